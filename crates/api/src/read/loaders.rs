//! Data loaders: every parent → child edge of the schema is fetched in one statement per
//! request level, whatever the number of parents. They are made per request ([`Loaders::new`])
//! so that their caches never outlive a request.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use rustc_hash::{FxBuildHasher, FxHashMap};
use styrhub_domain::follow_up::{FollowUp, GoalAssessment};
use styrhub_domain::goal::Goal;
use styrhub_domain::governance_model::GovernanceModel;
use styrhub_domain::hierarchy::Hierarchy;
use styrhub_domain::ids::{AreaCode, Gender, GoalId, IndicatorId};
use styrhub_domain::indicator::Indicator;
use styrhub_domain::kpi::{Area, Kpi, KpiFilter};
use styrhub_domain::mission::QualityFactor;
use styrhub_domain::observation::SeriesRef;
use styrhub_domain::org_unit::OrgUnit;
use styrhub_domain::series::SeriesDigest;
use styrhub_domain::target::Target;
use styrhub_domain::vision::{FocusArea, Vision};
use styrhub_domain::RepoError;

use crate::read::status::Judged;
use crate::read::Ports;

/// The loaders' caches. A goal tree looks up tens of thousands of keys per request, all made by
/// the server itself, so a fast non-keyed hash beats SipHash's protection against chosen keys.
pub type Cache = HashMapCache<FxBuildHasher>;

/// How a read through a loader goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    /// With the keys sibling fields register within the loader's delay: inside lists, where
    /// every item asks for its own keys.
    WithSiblings,
    /// At once: the caller holds every key there is (a list resolver's prefetch, a REST
    /// handler), or no sibling will ask (a field outside any list). Waiting would only add
    /// the delay.
    Now,
}

/// Reads `keys` through `loader`, batched as `batch` says; what is read at once is fed to the
/// loader's cache for the fields that ask again.
pub async fn load<K, T>(loader: &DataLoader<T, Cache>, keys: Vec<K>, batch: Batch) -> Result<HashMap<K, T::Value>, LoadError>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    T: Loader<K, Error = LoadError>,
{
    match batch {
        Batch::WithSiblings => loader.load_many(keys).await,
        Batch::Now => {
            let found = loader.loader().load(&keys).await?;
            loader.feed_many(found.clone()).await;
            Ok(found)
        }
    }
}

/// Loader errors are shared between every field that waited on the batch.
pub type LoadError = Arc<RepoError>;

/// Defines a loader from a key to one value, fetched by a batch method of a port.
macro_rules! by_id_loader {
    ($(#[$doc:meta])* $name:ident, $key:ty => $value:ty, |$ports:ident, $keys:ident| $fetch:expr, |$v:ident| $key_of:expr) => {
        $(#[$doc])*
        pub struct $name(pub Ports);

        impl Loader<$key> for $name {
            type Value = $value;
            type Error = LoadError;

            async fn load(&self, $keys: &[$key]) -> Result<HashMap<$key, $value>, LoadError> {
                let $ports = &self.0;
                Ok($fetch.await?.into_iter().map(|$v| ($key_of, $v)).collect())
            }
        }
    };
}

/// Defines a loader from a key to a list, grouped from one batch fetch of (key, item) pairs.
macro_rules! group_loader {
    ($(#[$doc:meta])* $name:ident, $key:ty => $item:ty, |$ports:ident, $keys:ident| $fetch:expr) => {
        $(#[$doc])*
        pub struct $name(pub Ports);

        impl Loader<$key> for $name {
            type Value = Vec<$item>;
            type Error = LoadError;

            async fn load(&self, $keys: &[$key]) -> Result<HashMap<$key, Vec<$item>>, LoadError> {
                let $ports = &self.0;
                let mut out: HashMap<$key, Vec<$item>> = $keys.iter().map(|k| (k.clone(), Vec::new())).collect();
                for (k, v) in $fetch.await? {
                    out.entry(k).or_default().push(v);
                }
                Ok(out)
            }
        }
    };
}

by_id_loader!(
    /// Organisation units by id.
    OrgUnitLoader, i64 => OrgUnit, |p, keys| p.governance.org_units_by_ids(keys), |u| u.id
);
by_id_loader!(
    /// Goals by id.
    GoalLoader, GoalId => Goal, |p, keys| p.governance.goals_by_ids(keys), |g| GoalId(g.id)
);
by_id_loader!(
    /// Focus areas by id.
    FocusAreaLoader, i64 => FocusArea, |p, keys| p.governance.focus_areas_by_ids(keys), |f| f.id
);
by_id_loader!(
    /// Visions by id.
    VisionLoader, i64 => Vision, |p, keys| p.governance.visions_by_ids(keys), |v| v.id
);
by_id_loader!(
    /// Governance models by id.
    GovernanceModelLoader, i64 => GovernanceModel, |p, keys| p.governance.governance_models_by_ids(keys), |m| m.id
);
by_id_loader!(
    /// Indicators by id.
    IndicatorLoader, IndicatorId => Indicator, |p, keys| p.indicators.indicators_by_ids(keys), |i| IndicatorId(i.id)
);
by_id_loader!(
    /// Quality factors by id.
    QualityFactorLoader, i64 => QualityFactor, |p, keys| p.governance.quality_factors_by_ids(keys), |q| q.id
);
by_id_loader!(
    /// Follow-ups by id.
    FollowUpLoader, i64 => FollowUp, |p, keys| p.governance.follow_ups_by_ids(keys), |f| f.id
);
by_id_loader!(
    /// KPI metadata by id.
    KpiLoader, String => Kpi, |p, keys| p.series.kpis(&KpiFilter { ids: Some(keys.to_vec()), text: None }), |k| k.id.clone()
);
/// Areas by code.
pub struct AreaLoader(pub Ports);

impl Loader<AreaCode> for AreaLoader {
    type Value = Area;
    type Error = LoadError;

    async fn load(&self, keys: &[AreaCode]) -> Result<HashMap<AreaCode, Area>, LoadError> {
        let found = self.0.series.areas_by_codes(keys).await?;
        // Keyed by the codes asked for: the stored text is not parsed again.
        Ok(found
            .into_iter()
            .filter_map(|a| keys.iter().find(|k| k.as_str() == a.code).map(|k| (k.clone(), a)))
            .collect())
    }
}

group_loader!(
    /// The indicators of each goal.
    IndicatorsOfGoal, GoalId => Indicator, |p, keys| p.indicators.indicators_of_goals(keys)
);
group_loader!(
    /// The goal ids each indicator follows up.
    GoalsOfIndicator, IndicatorId => GoalId, |p, keys| p.indicators.goal_links(keys)
);
group_loader!(
    /// The quality factor ids each indicator follows up.
    QualityFactorsOfIndicator, IndicatorId => i64, |p, keys| p.indicators.quality_factor_links(keys)
);
group_loader!(
    /// The focus areas of each vision.
    FocusAreasOfVision, i64 => FocusArea, |p, keys| async { Ok::<_, RepoError>(p.governance.focus_areas_of(keys).await?.into_iter().map(|f| (f.vision_id, f))) }
);
group_loader!(
    /// The goals of each focus area.
    GoalsOfFocusArea, i64 => Goal, |p, keys| async { Ok::<_, RepoError>(p.governance.goals_of_focus_areas(keys).await?.into_iter().filter_map(|g| g.focus_area_id.map(|f| (f, g)))) }
);
group_loader!(
    /// The targets of each indicator.
    TargetsOfIndicator, IndicatorId => Target, |p, keys| async { Ok::<_, RepoError>(p.indicators.targets_of(keys).await?.into_iter().map(|t| (IndicatorId(t.indicator_id), t))) }
);
group_loader!(
    /// The assessments of each goal, in every follow-up.
    AssessmentsOfGoal, GoalId => GoalAssessment, |p, keys| async { Ok::<_, RepoError>(p.governance.assessments_of_goals(keys).await?.into_iter().map(|a| (GoalId(a.goal_id), a))) }
);
group_loader!(
    /// The assessments made in each follow-up.
    AssessmentsInFollowUp, i64 => GoalAssessment, |p, keys| async { Ok::<_, RepoError>(p.governance.assessments_in(keys).await?.into_iter().map(|a| (a.follow_up_id, a))) }
);

/// A municipality's organisation tree: every unit, and the parent/child index.
pub struct OrgTree {
    /// Units by id.
    pub units: HashMap<i64, OrgUnit>,
    /// Child → parent edges.
    pub hierarchy: Hierarchy,
}

/// The organisation tree of each municipality (by the municipality's id).
pub struct OrgTreeLoader(pub Ports);

impl Loader<i64> for OrgTreeLoader {
    type Value = Arc<OrgTree>;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Arc<OrgTree>>, LoadError> {
        let units = self.0.governance.org_units_of(keys).await?;
        let mut by_m: HashMap<i64, Vec<OrgUnit>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for u in units {
            by_m.entry(u.municipality_id).or_default().push(u);
        }
        Ok(by_m
            .into_iter()
            .map(|(m, units)| {
                let hierarchy = Hierarchy::new(units.iter().filter_map(|u| u.parent_id.map(|p| (u.id, p))));
                (
                    m,
                    Arc::new(OrgTree {
                        units: units.into_iter().map(|u| (u.id, u)).collect(),
                        hierarchy,
                    }),
                )
            })
            .collect())
    }
}

/// The goal hierarchy of each municipality (by the municipality's id).
pub struct GoalGraphLoader(pub Ports);

impl Loader<i64> for GoalGraphLoader {
    type Value = Arc<Hierarchy>;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Arc<Hierarchy>>, LoadError> {
        // One statement for all municipalities; edges are split by their goal's municipality
        // through the goals the edges name, which the caller already holds, so a shared graph
        // per key is simplest: goals of different municipalities are never linked.
        let edges = self.0.governance.goal_edges(keys).await?;
        let graph = Arc::new(Hierarchy::new(edges));
        Ok(keys.iter().map(|k| (*k, graph.clone())).collect())
    }
}

/// A series for one area and gender.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DigestKey {
    /// The KPI or indicator.
    pub series: SeriesRef,
    /// The area.
    pub area: AreaCode,
    /// Gender.
    pub gender: Gender,
}

/// Whole series by (series, area, gender): one statement for a whole goal tree's values.
pub struct DigestLoader(pub Ports);

impl Loader<DigestKey> for DigestLoader {
    /// `None` for a series without values, so that the absence is cached too.
    type Value = Option<Arc<SeriesDigest>>;
    type Error = LoadError;

    async fn load(&self, keys: &[DigestKey]) -> Result<HashMap<DigestKey, Option<Arc<SeriesDigest>>>, LoadError> {
        let series: Vec<SeriesRef> = keys.iter().map(|k| k.series.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let areas: Vec<AreaCode> = keys.iter().map(|k| k.area.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let genders: Vec<Gender> = keys.iter().map(|k| k.gender).collect::<BTreeSet<_>>().into_iter().collect();
        let mut out: HashMap<DigestKey, Option<Arc<SeriesDigest>>> = keys.iter().map(|k| (k.clone(), None)).collect();
        for d in self.0.series.digests(&series, &areas, &genders).await? {
            let key = DigestKey {
                series: d.series.clone(),
                area: d.area.clone(),
                gender: d.gender,
            };
            // The query is a cross product of the keys' parts; keep what was asked for.
            if let Some(slot) = out.get_mut(&key) {
                *slot = Some(Arc::new(d));
            }
        }
        Ok(out)
    }
}

/// Every loader of a request.
pub struct Loaders {
    pub org_unit: DataLoader<OrgUnitLoader, Cache>,
    pub org_tree: DataLoader<OrgTreeLoader, Cache>,
    pub goal: DataLoader<GoalLoader, Cache>,
    pub goal_graph: DataLoader<GoalGraphLoader, Cache>,
    pub focus_area: DataLoader<FocusAreaLoader, Cache>,
    pub focus_areas_of_vision: DataLoader<FocusAreasOfVision, Cache>,
    pub goals_of_focus_area: DataLoader<GoalsOfFocusArea, Cache>,
    pub vision: DataLoader<VisionLoader, Cache>,
    pub governance_model: DataLoader<GovernanceModelLoader, Cache>,
    pub indicator: DataLoader<IndicatorLoader, Cache>,
    pub indicators_of_goal: DataLoader<IndicatorsOfGoal, Cache>,
    pub goals_of_indicator: DataLoader<GoalsOfIndicator, Cache>,
    pub quality_factors_of_indicator: DataLoader<QualityFactorsOfIndicator, Cache>,
    pub quality_factor: DataLoader<QualityFactorLoader, Cache>,
    pub targets: DataLoader<TargetsOfIndicator, Cache>,
    pub digest: DataLoader<DigestLoader, Cache>,
    pub assessments_of_goal: DataLoader<AssessmentsOfGoal, Cache>,
    pub assessments_in: DataLoader<AssessmentsInFollowUp, Cache>,
    pub follow_up: DataLoader<FollowUpLoader, Cache>,
    pub kpi: DataLoader<KpiLoader, Cache>,
    pub area: DataLoader<AreaLoader, Cache>,
    /// Indicators judged for their municipality, by id: filled by list resolvers that hold a
    /// whole tree's indicators at once (see `graphql::indicator::prefetch`), so that the
    /// thousands of `status`, `latestValue` and `targets` fields below them are look-ups.
    pub facts: Mutex<FxHashMap<IndicatorId, Arc<IndicatorFacts>>>,
}

/// What an indicator's default-area fields show, worked out once per request.
pub struct IndicatorFacts {
    /// The area judged: the indicator's municipality.
    pub area: String,
    /// The verdict, the targets and the latest value (gender total).
    pub judged: Arc<Judged>,
}

impl Loaders {
    /// Goals by id, keyed by the plain ids the goal hierarchy walks in. The ids are read
    /// before the future is made, so that it holds no borrowed iterator of the caller's.
    pub fn goals_in_hierarchy(
        &self,
        ids: impl IntoIterator<Item = i64>,
    ) -> impl std::future::Future<Output = Result<HashMap<i64, Goal>, LoadError>> + Send + '_ {
        let keys: Vec<GoalId> = ids.into_iter().map(GoalId).collect();
        async move {
            let found = self.goal.load_many(keys).await?;
            Ok(found.into_iter().map(|(id, g)| (id.get(), g)).collect())
        }
    }

    /// Each goal's indicators, keyed by the plain ids the goal hierarchy walks in (read as
    /// [`Loaders::goals_in_hierarchy`] reads them).
    pub fn indicators_in_hierarchy(
        &self,
        ids: impl IntoIterator<Item = i64>,
    ) -> impl std::future::Future<Output = Result<HashMap<i64, Vec<Indicator>>, LoadError>> + Send + '_ {
        let keys: Vec<GoalId> = ids.into_iter().map(GoalId).collect();
        async move {
            let found = self.indicators_of_goal.load_many(keys).await?;
            Ok(found.into_iter().map(|(id, list)| (id.get(), list)).collect())
        }
    }

    /// The facts prefetched for an indicator, if any.
    pub fn facts_of(&self, indicator: IndicatorId) -> Option<Arc<IndicatorFacts>> {
        self.facts.lock().expect("facts lock").get(&indicator).cloned()
    }

    /// Keeps the facts of many indicators.
    pub fn keep_facts(&self, facts: impl IntoIterator<Item = (IndicatorId, Arc<IndicatorFacts>)>) {
        self.facts.lock().expect("facts lock").extend(facts);
    }
}

/// How long a loader waits to collect the keys of one request level. Sibling fields register
/// their keys in the same pass of the executor, well within this.
const BATCH_DELAY: Duration = Duration::from_millis(1);
/// Keys per batch: a goal tree's 2,000 indicators load in one statement.
const MAX_BATCH: usize = 20_000;

fn make<T: Send + Sync + 'static>(loader: T) -> DataLoader<T, Cache> {
    DataLoader::with_cache(loader, tokio::spawn, Cache::new())
        .delay(BATCH_DELAY)
        .max_batch_size(MAX_BATCH)
}

impl Loaders {
    /// Forgets everything loaded so far: a mutation's result fields must see its write.
    pub fn clear(&self) {
        self.org_unit.clear::<i64>();
        self.org_tree.clear::<i64>();
        self.goal.clear::<GoalId>();
        self.goal_graph.clear::<i64>();
        self.focus_area.clear::<i64>();
        self.focus_areas_of_vision.clear::<i64>();
        self.goals_of_focus_area.clear::<i64>();
        self.vision.clear::<i64>();
        self.governance_model.clear::<i64>();
        self.indicator.clear::<IndicatorId>();
        self.indicators_of_goal.clear::<GoalId>();
        self.goals_of_indicator.clear::<IndicatorId>();
        self.quality_factors_of_indicator.clear::<IndicatorId>();
        self.quality_factor.clear::<i64>();
        self.targets.clear::<IndicatorId>();
        self.digest.clear::<DigestKey>();
        self.assessments_of_goal.clear::<GoalId>();
        self.assessments_in.clear::<i64>();
        self.follow_up.clear::<i64>();
        self.kpi.clear::<String>();
        self.area.clear::<AreaCode>();
        self.facts.lock().expect("facts lock").clear();
    }

    /// Fresh loaders (and caches) for one request.
    pub fn new(p: &Ports) -> Self {
        Self {
            org_unit: make(OrgUnitLoader(p.clone())),
            org_tree: make(OrgTreeLoader(p.clone())),
            goal: make(GoalLoader(p.clone())),
            goal_graph: make(GoalGraphLoader(p.clone())),
            focus_area: make(FocusAreaLoader(p.clone())),
            focus_areas_of_vision: make(FocusAreasOfVision(p.clone())),
            goals_of_focus_area: make(GoalsOfFocusArea(p.clone())),
            vision: make(VisionLoader(p.clone())),
            governance_model: make(GovernanceModelLoader(p.clone())),
            indicator: make(IndicatorLoader(p.clone())),
            indicators_of_goal: make(IndicatorsOfGoal(p.clone())),
            goals_of_indicator: make(GoalsOfIndicator(p.clone())),
            quality_factors_of_indicator: make(QualityFactorsOfIndicator(p.clone())),
            quality_factor: make(QualityFactorLoader(p.clone())),
            targets: make(TargetsOfIndicator(p.clone())),
            digest: make(DigestLoader(p.clone())),
            assessments_of_goal: make(AssessmentsOfGoal(p.clone())),
            assessments_in: make(AssessmentsInFollowUp(p.clone())),
            follow_up: make(FollowUpLoader(p.clone())),
            kpi: make(KpiLoader(p.clone())),
            area: make(AreaLoader(p.clone())),
            facts: Mutex::default(),
        }
    }
}
