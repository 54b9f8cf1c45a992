//! Goals: the wire shape of `domain::Goal`, and the goal queries.

use std::collections::HashMap;

use async_graphql::parser::types::Field as PlainField;
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, Value};
use styrhub_domain::goal::{in_chain_order, way_up, Goal as DomainGoal, GoalFilter, GoalKind as DomainKind};
use styrhub_domain::ids::{AreaCode, GoalId};
use styrhub_domain::rules::rollup::Attainment;
use styrhub_domain::{DomainError, RepoError};

use crate::error::gql;
use crate::graphql::context::batch;
use crate::graphql::context::loader_err;
use crate::graphql::context::{goal_indicators, loaders, municipality, municipality_code, ports};
use crate::graphql::follow_up::{Assessment, GoalAssessment};
use crate::graphql::indicator::{prefetch, Indicator};
use crate::graphql::org_unit::{GovernanceModel, OrgUnit};
use crate::graphql::page::{connection, page_request, KeysetPage};
use crate::graphql::plain::{self, Cx, Plain, PlainItem, PlainList};
use crate::graphql::vision::FocusArea;
use crate::read::loaders::{load, Batch};

/// What kind of goal.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum GoalKind {
    /// Set by the council: prioriterat mål, koncerngemensamt mål, övergripande mål.
    CouncilGoal,
    /// Finansiellt mål for god ekonomisk hushållning.
    FinancialGoal,
    /// Verksamhetsmål for god ekonomisk hushållning.
    OperationalGoal,
    /// Nämndmål, a committee goal.
    CommitteeGoal,
    /// Utvecklingsmål, a development goal.
    DevelopmentGoal,
    /// A unit's goal.
    UnitGoal,
    /// A company's goal.
    CompanyGoal,
}

impl From<DomainKind> for GoalKind {
    fn from(k: DomainKind) -> Self {
        match k {
            DomainKind::CouncilGoal => Self::CouncilGoal,
            DomainKind::FinancialGoal => Self::FinancialGoal,
            DomainKind::OperationalGoal => Self::OperationalGoal,
            DomainKind::CommitteeGoal => Self::CommitteeGoal,
            DomainKind::DevelopmentGoal => Self::DevelopmentGoal,
            DomainKind::UnitGoal => Self::UnitGoal,
            DomainKind::CompanyGoal => Self::CompanyGoal,
        }
    }
}

impl From<GoalKind> for DomainKind {
    fn from(k: GoalKind) -> Self {
        match k {
            GoalKind::CouncilGoal => Self::CouncilGoal,
            GoalKind::FinancialGoal => Self::FinancialGoal,
            GoalKind::OperationalGoal => Self::OperationalGoal,
            GoalKind::CommitteeGoal => Self::CommitteeGoal,
            GoalKind::DevelopmentGoal => Self::DevelopmentGoal,
            GoalKind::UnitGoal => Self::UnitGoal,
            GoalKind::CompanyGoal => Self::CompanyGoal,
        }
    }
}

/// A goal reached by walking the goal hierarchy, with how far it is.
#[derive(SimpleObject)]
pub struct GoalAtDepth {
    /// Steps from the goal asked about: 1 for a parent or child.
    pub depth: u32,
    /// The goal.
    pub goal: Goal,
}

/// One step of the path from a goal up to its vision.
#[derive(SimpleObject)]
pub struct PathStep {
    /// GOAL, FOCUS_AREA or VISION.
    pub level: PathLevel,
    /// Database id of the goal, focus area or vision.
    pub id: i64,
    /// Its key.
    pub key: String,
    /// Its title.
    pub title: String,
}

/// What a path step is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum PathLevel {
    /// A goal.
    Goal,
    /// A focus area.
    FocusArea,
    /// A vision.
    Vision,
}

/// A goal's attainment rolled up from its indicators' statuses and its child goals.
#[derive(SimpleObject)]
pub struct GoalAttainment {
    /// Achieved when everything judged is on target, not achieved when nothing is, partly in
    /// between, not assessed when nothing could be judged.
    pub assessment: Assessment,
    /// Share of the judged parts on target, 0–1; null when nothing was judged.
    pub share: Option<f64>,
    /// The goal's own indicators on target.
    pub on_target: u32,
    /// The goal's own indicators not on target.
    pub not_on_target: u32,
    /// The goal's own indicators without data.
    pub no_data: u32,
}

impl From<Attainment> for GoalAttainment {
    fn from(a: Attainment) -> Self {
        Self {
            assessment: a.assessment.into(),
            share: a.share,
            on_target: a.on_target,
            not_on_target: a.not_on_target,
            no_data: a.no_data,
        }
    }
}

/// A goal at any level of the governance chain: council goals, committee goals, development
/// goals, unit goals … A goal may contribute to several goals above it.
pub struct Goal(pub DomainGoal);

impl Goal {
    async fn graph(&self, ctx: &Context<'_>) -> Result<std::sync::Arc<styrhub_domain::hierarchy::Hierarchy>> {
        loaders(ctx)
            .goal_graph
            .load_one(self.0.municipality_id)
            .await
            .map_err(loader_err)?
            .ok_or_else(|| gql(RepoError::Internal("goal graph missing".into())))
    }

    /// Goals by id, keyed by the hierarchy's plain ids.
    fn goals<'c>(
        ctx: &Context<'c>,
        ids: impl IntoIterator<Item = i64>,
    ) -> impl std::future::Future<Output = Result<HashMap<i64, DomainGoal>>> + Send + 'c {
        let found = loaders(ctx).goals_in_hierarchy(ids);
        async move { found.await.map_err(loader_err) }
    }
}

impl Plain for Goal {
    const TYPE: &'static str = "Goal";

    /// The goal's plain fields (see `scalar_fields!`), and its indicators when the `goals` list
    /// prefetched them.
    fn plain(&self, cx: &Cx<'_>, field: &PlainField) -> Option<Value> {
        match field.name.node.as_str() {
            "indicators" => plain::list(cx.goal_indicators?.of(GoalId(self.0.id))?.iter(), cx, &field.selection_set.node),
            name => self.plain_scalar(name),
        }
    }
}

plain::plain_enums!(GoalKind);

plain::scalar_fields! {
/// A goal at any level of the governance chain: council goals, committee goals, development
/// goals, unit goals … A goal may contribute to several goals above it.
impl Goal (g) {
    /// Database id.
    id / "id": i64 = g.0.id;
    /// Stable key within the municipality.
    key / "key": &str = &g.0.key;
    /// Title as written.
    title / "title": &str = &g.0.title;
    /// Motivation or description as written.
    description / "description": Option<&str> = g.0.description.as_deref();
    /// Kind of goal.
    kind / "kind": GoalKind = g.0.kind.into();
    /// First day in force (YYYY-MM-DD).
    valid_from / "validFrom": String = g.0.validity.from.to_string();
    /// Last day in force; null until further notice.
    valid_to / "validTo": Option<String> = g.0.validity.to.map(|d| d.to_string());
    /// Agenda 2030 global goals (1–17) it is tagged with.
    agenda2030 / "agenda2030": Vec<i32> = g.0.agenda2030.iter().map(|n| i32::from(*n)).collect();
    /// The decision that set it, e.g. "KF 2024-02-26 § 15".
    decision / "decision": Option<&str> = g.0.decision.as_deref();
    /// Order among its siblings.
    position / "position": i32 = g.0.position;
    /// True when archived (kept for history, no longer in force).
    archived / "archived": bool = g.0.archived;
}
    /// The organisation unit that owns the goal.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        Ok(loaders(ctx)
            .org_unit
            .load_one(self.0.owner_id)
            .await
            .map_err(loader_err)?
            .map(OrgUnit))
    }
    /// The governance model (goal set) it was set under.
    async fn governance_model(&self, ctx: &Context<'_>) -> Result<Option<GovernanceModel>> {
        Ok(loaders(ctx)
            .governance_model
            .load_one(self.0.governance_model_id)
            .await
            .map_err(loader_err)?
            .map(GovernanceModel))
    }
    /// The focus area it belongs to, if any.
    async fn focus_area(&self, ctx: &Context<'_>) -> Result<Option<FocusArea>> {
        let Some(id) = self.0.focus_area_id else { return Ok(None) };
        Ok(loaders(ctx).focus_area.load_one(id).await.map_err(loader_err)?.map(FocusArea))
    }
    /// The goals it contributes to.
    async fn parents(&self, ctx: &Context<'_>) -> Result<Vec<Goal>> {
        let graph = self.graph(ctx).await?;
        let ids = graph.parents(self.0.id).to_vec();
        let found = Self::goals(ctx, ids.iter().copied()).await?;
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).map(Goal).collect())
    }
    /// The goals that contribute to it (archived ones left out).
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Goal>> {
        let graph = self.graph(ctx).await?;
        let ids = graph.children(self.0.id).to_vec();
        let found = Self::goals(ctx, ids.iter().copied()).await?;
        Ok(in_chain_order(&ids, &found, true).into_iter().cloned().map(Goal).collect())
    }
    /// Every goal above, nearest first.
    async fn ancestors(&self, ctx: &Context<'_>) -> Result<Vec<GoalAtDepth>> {
        let reached = self.graph(ctx).await?.ancestors(self.0.id);
        let found = Self::goals(ctx, reached.iter().map(|r| r.id)).await?;
        Ok(reached
            .into_iter()
            .filter_map(|r| {
                found.get(&r.id).cloned().map(|g| GoalAtDepth {
                    depth: r.depth,
                    goal: Goal(g),
                })
            })
            .collect())
    }
    /// Every goal below, nearest first (archived ones left out).
    async fn descendants(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Stop this many levels down; all levels when left out.")] max_depth: Option<u32>,
    ) -> Result<Vec<GoalAtDepth>> {
        let reached = self.graph(ctx).await?.descendants(self.0.id, max_depth);
        let found = Self::goals(ctx, reached.iter().map(|r| r.id)).await?;
        Ok(reached
            .into_iter()
            .filter_map(|r| {
                found.get(&r.id).cloned().filter(|g| !g.archived).map(|g| GoalAtDepth {
                    depth: r.depth,
                    goal: Goal(g),
                })
            })
            .collect())
    }
    /// The path from this goal up to the vision: the goal, its first parent, that goal's first
    /// parent … until a goal with a focus area, then the focus area and its vision.
    async fn path(&self, ctx: &Context<'_>) -> Result<Vec<PathStep>> {
        let graph = self.graph(ctx).await?;
        // Every goal above in one read; the way up is the domain's walk over them.
        let above = Self::goals(ctx, graph.ancestors(self.0.id).into_iter().map(|r| r.id)).await?;
        let way = way_up(&self.0, &graph, &above);
        let mut steps: Vec<PathStep> = way
            .iter()
            .map(|g| PathStep {
                level: PathLevel::Goal,
                id: g.id,
                key: g.key.clone(),
                title: g.title.clone(),
            })
            .collect();
        let top = way.last().copied().unwrap_or(&self.0);
        if let Some(fa) = top.focus_area_id {
            if let Some(fa) = loaders(ctx).focus_area.load_one(fa).await.map_err(loader_err)? {
                steps.push(PathStep {
                    level: PathLevel::FocusArea,
                    id: fa.id,
                    key: fa.key.clone(),
                    title: fa.title.clone(),
                });
                if let Some(v) = loaders(ctx).vision.load_one(fa.vision_id).await.map_err(loader_err)? {
                    steps.push(PathStep {
                        level: PathLevel::Vision,
                        id: v.id,
                        key: v.key,
                        title: v.title,
                    });
                }
            }
        }
        Ok(steps)
    }
    /// The indicators that follow the goal up, in order.
    async fn indicators(&self, ctx: &Context<'_>) -> Result<PlainList<Indicator>> {
        Ok(PlainList(
            loaders(ctx)
                .indicators_of_goal
                .load_one(GoalId(self.0.id))
                .await
                .map_err(loader_err)?
                .unwrap_or_default()
                .into_iter()
                .map(Indicator)
                .collect(),
        ))
    }
    /// Attainment rolled up from the indicators' statuses for an area (the municipality by
    /// default) and, recursively, the goals below; as of a year when given.
    async fn attainment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Area code; the goal's municipality when left out.")] area: Option<String>,
        #[graphql(desc = "Judge the indicators as of this year; their latest values when left out.")] period: Option<i32>,
    ) -> Result<GoalAttainment> {
        let period = crate::graphql::indicator::as_of(period)?;
        let area = match area {
            Some(a) => AreaCode::parse(&a).map_err(|e| gql(RepoError::Invalid(DomainError::new("area", e.message))))?,
            None => AreaCode::parse(&municipality_code(ctx, self.0.municipality_id).await?)
                .map_err(|e| gql(RepoError::Internal(e.to_string())))?,
        };
        Ok(crate::read::goals::attainment(loaders(ctx), &self.0, &area, period, batch(ctx))
            .await
            .map_err(loader_err)?
            .into())
    }
    /// The goal's assessments in follow-ups (interim reports, annual reports …), newest first.
    async fn assessments(&self, ctx: &Context<'_>) -> Result<Vec<GoalAssessment>> {
        let list = loaders(ctx)
            .assessments_of_goal
            .load_one(GoalId(self.0.id))
            .await
            .map_err(loader_err)?
            .unwrap_or_default();
        let reports = loaders(ctx)
            .follow_up
            .load_many(list.iter().map(|a| a.follow_up_id))
            .await
            .map_err(loader_err)?;
        let mut list: Vec<_> = list
            .into_iter()
            .map(|a| (reports.get(&a.follow_up_id).map(|f| (f.year, f.month.unwrap_or(13), f.kind)), a))
            .collect();
        list.sort_by_key(|b| std::cmp::Reverse(b.0));
        Ok(list.into_iter().map(|(_, a)| GoalAssessment(a)).collect())
    }
}

/// Which goals to list.
#[derive(InputObject, Default)]
pub struct GoalFilterInput {
    /// Goals of this governance model (goal set), by key, e.g. "styrmodell-2019".
    pub governance_model: Option<String>,
    /// Goals of this kind.
    pub kind: Option<GoalKind>,
    /// Goals owned by this organisation unit (id) …
    pub org_unit: Option<i64>,
    /// … and, unless false, by the units below it.
    #[graphql(default = true)]
    pub include_subtree: bool,
    /// Goals of this focus area (id).
    pub focus_area: Option<i64>,
    /// Goals tagged with this Agenda 2030 goal (1–17).
    pub agenda2030: Option<i32>,
    /// Title or description containing this text (case-insensitive).
    pub text: Option<String>,
    /// Goals in force some time during this year.
    pub year: Option<i32>,
    /// Include archived goals.
    #[graphql(default = false)]
    pub include_archived: bool,
}

/// Goal queries.
#[derive(Default)]
pub struct GoalQuery;

#[Object]
impl GoalQuery {
    /// A goal by id.
    async fn goal(&self, ctx: &Context<'_>, id: i64) -> Result<Option<Goal>> {
        let (l, id) = (&loaders(ctx).goal, GoalId(id));
        Ok(load(l, vec![id], batch(ctx)).await.map_err(loader_err)?.remove(&id).map(Goal))
    }

    /// Goals of a municipality, filtered, in the order of model, kind and position.
    #[allow(clippy::too_many_arguments)]
    async fn goals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality code, e.g. \"1489\".")] municipality: String,
        #[graphql(desc = "Which goals.")] filter: Option<GoalFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<KeysetPage<PlainItem<Goal>>> {
        let m = self::municipality(ctx, &municipality).await?;
        let request = page_request(ctx, after, before, first, last)?;
        let f = filter.unwrap_or_default();
        let agenda2030 = match f.agenda2030 {
            Some(n) if (1..=17).contains(&n) => Some(n as u8),
            Some(n) => {
                return Err(gql(RepoError::Invalid(DomainError::new(
                    "filter.agenda2030",
                    format!("{n} is not one of the 17 global goals"),
                ))))
            }
            None => None,
        };
        let filter = GoalFilter {
            municipality_id: Some(m.id),
            governance_model: f.governance_model,
            kind: f.kind.map(Into::into),
            owner_id: f.org_unit,
            include_subtree: f.include_subtree,
            focus_area_id: f.focus_area,
            agenda2030,
            text: f.text,
            year: f.year,
            include_archived: f.include_archived,
        };
        let goals = ports(ctx).read.governance.goals_page(&filter, &request).await.map_err(gql)?;
        // Fields below ask for these goals again (parents, paths): prime the loader.
        loaders(ctx)
            .goal
            .feed_many(goals.items.iter().map(|(_, g)| (GoalId(g.id), g.clone())))
            .await;
        let page = connection(goals, |g| PlainItem(Goal(g)));
        let la = ctx.look_ahead();
        let fields = [
            la.field("nodes").field("indicators"),
            la.field("edges").field("node").field("indicators"),
        ];
        if fields.iter().any(|f| f.exists()) {
            // The page's indicators in one statement, then what their fields need.
            let ids = page.edges.iter().map(|e| GoalId(e.node.0 .0.id)).collect();
            let by_goal = load(&loaders(ctx).indicators_of_goal, ids, Batch::Now).await.map_err(loader_err)?;
            let mut seen = std::collections::HashSet::new();
            let indicators: Vec<_> = by_goal.values().flatten().filter(|i| seen.insert(i.id)).cloned().collect();
            prefetch(ctx, &indicators, &fields, m.municipality_code.as_deref().unwrap_or_default()).await?;
            // For the goals' own shortcut past the executor (`PlainItem`).
            goal_indicators(ctx).keep(
                by_goal
                    .into_iter()
                    .map(|(goal, list)| (goal, list.into_iter().map(Indicator).collect::<Vec<_>>().into())),
            );
        }
        Ok(page)
    }
}
