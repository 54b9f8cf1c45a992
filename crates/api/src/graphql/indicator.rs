//! Indicators: what goals and quality factors are followed up with, their targets, values and
//! status against target.

use std::sync::Arc;

use async_graphql::parser::types::Field as PlainField;
use async_graphql::{Context, Enum, InputObject, Lookahead, Object, Result, Value};
use styrhub_domain::ids::{AreaCode, IndicatorId, Year};
use styrhub_domain::indicator::{Direction as DomainDirection, Indicator as DomainIndicator, IndicatorFilter, IndicatorKind as DomainKind};
use styrhub_domain::rules::evaluate::TargetStatus as DomainStatus;
use styrhub_domain::rules::trend::{Trend as DomainTrend, TrendKind as DomainTrendKind};
use styrhub_domain::target::{Target as DomainTarget, TargetRule};
use styrhub_domain::{DomainError, RepoError};

use crate::error::gql;
use crate::graphql::context::batch;
use crate::graphql::context::loader_err;
use crate::graphql::context::{loaders, municipality, municipality_code, ports};
use crate::graphql::goal::Goal;
use crate::graphql::group::{group_series, GroupAsk, GroupFigure, RankOrder};
use crate::graphql::mission::QualityFactor;
use crate::graphql::org_unit::OrgUnit;
use crate::graphql::page::{connection, page_request, KeysetPage};
use crate::graphql::plain::{self, Cx, Plain};
use crate::graphql::series::{series_for, Gender, Kpi, Point, Series};
use crate::read::loaders::{load, Batch, DigestKey, IndicatorFacts};
use crate::read::status::Judged;

/// The role an indicator plays.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum IndicatorKind {
    /// Målindikator: measures a goal, has a desired direction and targets.
    GoalIndicator,
    /// Kvalitetsindikator: follows a quality factor.
    QualityIndicator,
    /// Nyckeltal: a measured series shown for context.
    KeyFigure,
}

impl From<DomainKind> for IndicatorKind {
    fn from(k: DomainKind) -> Self {
        match k {
            DomainKind::GoalIndicator => Self::GoalIndicator,
            DomainKind::QualityIndicator => Self::QualityIndicator,
            DomainKind::KeyFigure => Self::KeyFigure,
        }
    }
}

impl From<IndicatorKind> for DomainKind {
    fn from(k: IndicatorKind) -> Self {
        match k {
            IndicatorKind::GoalIndicator => Self::GoalIndicator,
            IndicatorKind::QualityIndicator => Self::QualityIndicator,
            IndicatorKind::KeyFigure => Self::KeyFigure,
        }
    }
}

/// Which way is better.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Direction {
    /// Higher is better ("ska öka").
    Increase,
    /// Lower is better ("ska minska").
    Decrease,
    /// Neither (a key figure shown for context).
    None,
}

impl From<DomainDirection> for Direction {
    fn from(d: DomainDirection) -> Self {
        match d {
            DomainDirection::Increase => Self::Increase,
            DomainDirection::Decrease => Self::Decrease,
            DomainDirection::None => Self::None,
        }
    }
}

/// A value judged against its target.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TargetStatus {
    /// The value meets the target.
    OnTarget,
    /// The value misses the target.
    NotOnTarget,
    /// No value, or nothing to compare it with.
    NoData,
}

impl From<DomainStatus> for TargetStatus {
    fn from(s: DomainStatus) -> Self {
        match s {
            DomainStatus::OnTarget => Self::OnTarget,
            DomainStatus::NotOnTarget => Self::NotOnTarget,
            DomainStatus::NoData => Self::NoData,
        }
    }
}

/// Which way a series is moving, judged by which way is better.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TrendKind {
    /// Moving the desired way.
    Improving,
    /// Moving against the desired way.
    Worsening,
    /// Not moving.
    Stable,
    /// Moving, but no direction is better.
    Changing,
    /// Fewer than two values.
    Insufficient,
}

impl From<DomainTrendKind> for TrendKind {
    fn from(k: DomainTrendKind) -> Self {
        match k {
            DomainTrendKind::Improving => Self::Improving,
            DomainTrendKind::Worsening => Self::Worsening,
            DomainTrendKind::Stable => Self::Stable,
            DomainTrendKind::Changing => Self::Changing,
            DomainTrendKind::Insufficient => Self::Insufficient,
        }
    }
}

/// The language of the hub's phrases (explanations, trend descriptions).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum Language {
    /// English, the default: what integrations parse and logs show.
    #[default]
    En,
    /// Svenska, for the municipalities' own dashboards and reports.
    Sv,
}

/// The trend of a series: the latest run of moves in one direction.
pub struct Trend(pub DomainTrend);

plain::scalar_fields! {
/// The trend of a series: the latest run of moves in one direction.
impl Trend (t in DomainTrend) {
    /// The verdict.
    kind / "kind": TrendKind = t.kind.into();
    /// First period of the run ("improving since 2021").
    since / "since": Option<i32> = t.since;
    /// Change from `since` to the latest period.
    change / "change": Option<f64> = t.change;
}
    /// A short phrase, e.g. "improving since 2021" ("förbättras sedan 2021" in Swedish).
    async fn description(&self, #[graphql(desc = "The phrase's language; English by default.", default)] language: Language) -> String {
        match language {
            Language::En => self.0.describe(),
            Language::Sv => self.0.describe_sv(),
        }
    }
}

impl From<DomainTrend> for Trend {
    fn from(t: DomainTrend) -> Self {
        Self(t)
    }
}

/// How a target compares: the three-part form of files and APIs.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TargetKind {
    /// An absolute value.
    Absolute,
    /// A direction versus the previous period.
    Direction,
    /// Relative to a reference area's value for the same period, or to a comparison group's mean.
    Relative,
}

/// A target (målvärde) for an indicator, an area and a range of years.
pub struct Target(pub DomainTarget);

plain::scalar_fields! {
/// A target (målvärde) for an indicator, an area and a range of years.
impl Target (t in DomainTarget) {
    /// Database id.
    id / "id": i64 = t.id;
    /// The area it applies to.
    area / "area": &str = t.area.as_str();
    /// First year it holds.
    period_from / "periodFrom": i32 = t.period_from;
    /// Last year it holds; null until further notice.
    period_to / "periodTo": Option<i32> = t.period_to;
    /// Absolute, direction or relative.
    kind / "kind": TargetKind = match t.rule {
        TargetRule::Absolute { .. } => TargetKind::Absolute,
        TargetRule::Direction { .. } => TargetKind::Direction,
        TargetRule::Relative { .. } => TargetKind::Relative,
    };
    /// The comparison: at_least, at_most, equal (absolute); increase, decrease, not_decrease,
    /// not_increase (direction); above, below, at_least, at_most (relative).
    comparison / "comparison": &'static str = t.rule.to_parts().1;
    /// The target value (absolute targets).
    value / "value": Option<f64> = t.rule.to_parts().2;
    /// What a relative target compares with: an area, e.g. 0000 for the whole country, or a
    /// comparison group (`1489:jamforelsekommuner`, `G92790`: the mean of its members of each
    /// year; `comparisonGroup(code)` gives its title and members).
    reference_area / "referenceArea": Option<&str> = t.rule.to_parts().3;
    /// The phrase as written, e.g. "ska vara under riksgenomsnittet".
    note / "note": Option<&str> = t.note.as_deref();
}
}

/// An indicator's latest value judged against its target, with an explanation.
pub struct IndicatorStatus(pub Arc<Judged>);

plain::scalar_fields! {
/// An indicator's latest value judged against its target, with an explanation.
impl IndicatorStatus (j in Judged) {
    /// On target, not on target, or no data.
    status / "status": TargetStatus = j.status.status.into();
    /// The period judged: the latest with a value.
    period / "period": Option<i32> = j.status.period;
    /// The value judged.
    value / "value": Option<f64> = j.status.value;
}
    /// What the verdict rests on, e.g. "0.4 above the national value, improving since 2021"
    /// ("0,4 över rikets värde, förbättras sedan 2021" in Swedish).
    async fn explanation(&self, #[graphql(desc = "The phrase's language; English by default.", default)] language: Language) -> &str {
        let s = &self.0.status;
        match language {
            // Verdicts frozen in follow-ups before Swedish existed have only English.
            Language::Sv if !s.explanation_sv.is_empty() => &s.explanation_sv,
            _ => &s.explanation,
        }
    }
    /// The target used; null when judged by the desired direction alone.
    async fn target(&self) -> Option<Target> {
        let id = self.0.status.target_id?;
        self.0.targets.iter().find(|t| t.id == id).cloned().map(Target)
    }
    /// Which way the series is moving.
    async fn trend(&self) -> Trend {
        self.0.status.trend.clone().into()
    }
}

impl Plain for DomainTarget {
    const TYPE: &'static str = "Target";

    fn plain(&self, _: &Cx<'_>, field: &PlainField) -> Option<Value> {
        Target::plain_scalar_of(self, field.name.node.as_str())
    }
}

impl Plain for DomainTrend {
    const TYPE: &'static str = "Trend";

    /// The plain fields, and `description` without its argument (English, its default).
    fn plain(&self, _: &Cx<'_>, field: &PlainField) -> Option<Value> {
        match field.name.node.as_str() {
            "description" => Some(Value::String(self.describe())),
            name => Trend::plain_scalar_of(self, name),
        }
    }
}

impl Plain for Judged {
    const TYPE: &'static str = "IndicatorStatus";

    /// The plain fields, `explanation` without its argument (English, its default), and the
    /// target and trend objects.
    fn plain(&self, cx: &Cx<'_>, field: &PlainField) -> Option<Value> {
        let s = &self.status;
        match field.name.node.as_str() {
            "explanation" => Some(Value::String(s.explanation.clone())),
            "target" => {
                let target = s.target_id.and_then(|id| self.targets.iter().find(|t| t.id == id));
                plain::optional(target, cx, &field.selection_set.node)
            }
            "trend" => plain::object(&s.trend, cx, &field.selection_set.node),
            name => IndicatorStatus::plain_scalar_of(self, name),
        }
    }
}

impl Plain for Indicator {
    const TYPE: &'static str = "Indicator";

    /// The indicator's plain fields (see `scalar_fields!`) and, for its municipality, what the
    /// list resolver prefetched: the same answers as the resolvers' without arguments.
    fn plain(&self, cx: &Cx<'_>, field: &PlainField) -> Option<Value> {
        let set = &field.selection_set.node;
        // The default area's facts, as the list resolver prefetched them.
        let facts = || cx.loaders.facts_of(IndicatorId(self.0.id));
        match field.name.node.as_str() {
            "latestValue" => plain::optional(facts()?.judged.latest.as_ref(), cx, set),
            "status" => plain::object(&*facts()?.judged, cx, set),
            "targets" => plain::list(&facts()?.judged.targets, cx, set),
            name => self.plain_scalar(name),
        }
    }
}

plain::plain_enums!(IndicatorKind, Direction, TrendKind, TargetKind, TargetStatus);

/// A year argument (`period`), checked as every year the hub takes ([`Year`]).
pub fn as_of(period: Option<i32>) -> Result<Option<i32>> {
    period
        .map(|p| {
            Year::new(p)
                .map(Year::get)
                .map_err(|e| gql(RepoError::Invalid(DomainError::new("period", e.message))))
        })
        .transpose()
}

/// The indicator judged for `area` (as of a year, when given): prefetched, or through the
/// loaders.
async fn judged(ctx: &Context<'_>, i: &DomainIndicator, area: &AreaCode, as_of: Option<i32>) -> Result<Arc<Judged>> {
    let judged = crate::read::status::judge(loaders(ctx), std::slice::from_ref(i), area, as_of, batch(ctx))
        .await
        .map_err(loader_err)?
        .pop()
        .ok_or_else(|| gql(RepoError::Internal(format!("indicator {} was not judged", i.id))))?;
    Ok(Arc::new(judged))
}

/// Works out, for many indicators at once, what their selected fields will ask for: their
/// targets and, when values or statuses are selected, their verdicts for `area` (their series
/// for `area` and their targets' reference areas, one statement each). Called by list
/// resolvers that hold all the indicators at once, so that a tree's statement count does not
/// depend on how the executor interleaves thousands of sibling fields, and so that those
/// fields only look their answers up.
pub async fn prefetch(ctx: &Context<'_>, indicators: &[DomainIndicator], fields: &[Lookahead<'_>], area: &str) -> Result<()> {
    let wants = |name: &str| fields.iter().any(|f| f.field(name).exists());
    let (status, values) = (wants("status"), wants("latestValue"));
    if indicators.is_empty() || !(status || values || wants("targets")) {
        return Ok(());
    }
    let l = loaders(ctx);
    if !(status || values) {
        load(&l.targets, indicators.iter().map(|i| IndicatorId(i.id)).collect(), Batch::Now)
            .await
            .map_err(loader_err)?;
        return Ok(());
    }
    let code = AreaCode::parse(area).map_err(|e| gql(RepoError::Internal(e.to_string())))?;
    let judged = crate::read::status::judge(l, indicators, &code, None, Batch::Now)
        .await
        .map_err(loader_err)?;
    l.keep_facts(indicators.iter().zip(judged).map(|(i, j)| {
        (
            IndicatorId(i.id),
            Arc::new(IndicatorFacts {
                area: area.to_owned(),
                judged: Arc::new(j),
            }),
        )
    }));
    Ok(())
}

/// An indicator (målindikator, kvalitetsindikator or nyckeltal).
pub struct Indicator(pub DomainIndicator);

impl Indicator {
    /// The prefetched facts, when they are for `area` (`None`: the municipality).
    fn facts(&self, ctx: &Context<'_>, area: Option<&str>) -> Option<Arc<IndicatorFacts>> {
        loaders(ctx)
            .facts_of(IndicatorId(self.0.id))
            .filter(|f| area.is_none_or(|a| a == f.area))
    }

    async fn area(&self, ctx: &Context<'_>, area: Option<String>) -> Result<AreaCode> {
        let code = match area {
            Some(a) => a,
            None => municipality_code(ctx, self.0.municipality_id).await?,
        };
        AreaCode::parse(&code).map_err(|e| gql(RepoError::Invalid(DomainError::new("area", e.message))))
    }
}

plain::scalar_fields! {
/// An indicator (målindikator, kvalitetsindikator or nyckeltal).
impl Indicator (i) {
    /// Database id.
    id / "id": i64 = i.0.id;
    /// Stable key within the municipality.
    key / "key": &str = &i.0.key;
    /// Title as written.
    title / "title": &str = &i.0.title;
    /// Role of the indicator.
    kind / "kind": IndicatorKind = i.0.kind.into();
    /// Unit as written ("andel %", "antal", "skala 0-10" …).
    unit / "unit": Option<&str> = i.0.unit.as_deref();
    /// Which way is better.
    direction / "direction": Direction = i.0.direction.into();
    /// The phrase the direction was read from, e.g. "ska öka".
    desired_text / "desiredText": Option<&str> = i.0.desired_text.as_deref();
    /// True when the indicator is first to be measured ("ska mätas och öka").
    measure_first / "measureFirst": bool = i.0.measure_first;
    /// The Kolada KPI it is sourced from, where known.
    kpi_id / "kpiId": Option<&str> = i.0.kpi.as_ref().map(|k| k.as_str());
    /// The series key values are stored under: kpi:ID or indicator:ID.
    series_key / "seriesKey": String = i.0.series().key();
}
    /// The KPI's metadata, when the hub has it.
    async fn kpi(&self, ctx: &Context<'_>) -> Result<Option<Kpi>> {
        let Some(k) = &self.0.kpi else { return Ok(None) };
        Ok(loaders(ctx).kpi.load_one(k.to_string()).await.map_err(loader_err)?.map(Kpi))
    }
    /// The organisation unit responsible, if any.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        let Some(id) = self.0.owner_id else { return Ok(None) };
        Ok(loaders(ctx).org_unit.load_one(id).await.map_err(loader_err)?.map(OrgUnit))
    }
    /// The goals it follows up.
    async fn goals(&self, ctx: &Context<'_>) -> Result<Vec<Goal>> {
        let ids = loaders(ctx)
            .goals_of_indicator
            .load_one(IndicatorId(self.0.id))
            .await
            .map_err(loader_err)?
            .unwrap_or_default();
        let found = loaders(ctx).goal.load_many(ids.iter().copied()).await.map_err(loader_err)?;
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).map(Goal).collect())
    }
    /// The quality factors it follows up.
    async fn quality_factors(&self, ctx: &Context<'_>) -> Result<Vec<QualityFactor>> {
        let ids = loaders(ctx)
            .quality_factors_of_indicator
            .load_one(IndicatorId(self.0.id))
            .await
            .map_err(loader_err)?
            .unwrap_or_default();
        let found = loaders(ctx)
            .quality_factor
            .load_many(ids.iter().copied())
            .await
            .map_err(loader_err)?;
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).map(QualityFactor).collect())
    }
    /// Its targets, oldest first; only those for `area` when given.
    async fn targets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only targets for this area.")] area: Option<String>,
    ) -> Result<Vec<Target>> {
        if let Some(f) = self.facts(ctx, None) {
            let only = |t: &&DomainTarget| area.as_deref().is_none_or(|a| t.area.as_str() == a);
            return Ok(f.judged.targets.iter().filter(only).cloned().map(Target).collect());
        }
        let all = loaders(ctx)
            .targets
            .load_one(IndicatorId(self.0.id))
            .await
            .map_err(loader_err)?
            .unwrap_or_default();
        Ok(all
            .into_iter()
            .filter(|t| area.as_deref().is_none_or(|a| t.area.as_str() == a))
            .map(Target)
            .collect())
    }
    /// The values for one or more areas (the municipality by default), period by period. Every
    /// value carries its source: `EXAMPLE` marks generated demo values.
    async fn series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Area codes; the indicator's municipality when left out.")] areas: Option<Vec<String>>,
        #[graphql(desc = "First year.")] from: Option<i32>,
        #[graphql(desc = "Last year.")] to: Option<i32>,
        #[graphql(desc = "Gender; the total by default.", default_with = "Gender::T")] gender: Gender,
    ) -> Result<Vec<Series>> {
        let areas = match areas {
            Some(a) if !a.is_empty() => a,
            _ => vec![municipality_code(ctx, self.0.municipality_id).await?],
        };
        series_for(ctx, &self.0.series(), &areas, from, to, gender.into()).await
    }
    /// The indicator's figures over a comparison group year by year (members, mean, median,
    /// lowest and highest value) and, with `area`, that area's value, rank and percentile in
    /// the group, ranked in the indicator's desired direction unless `order` says otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn group_series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Area codes and stored groups, e.g. [\"1489:jamforelsekommuner\"] (at most 500).")] group: Vec<String>,
        #[graphql(desc = "An area to rank in the group each year, e.g. \"1489\".")] area: Option<String>,
        #[graphql(desc = "First year.")] from: Option<i32>,
        #[graphql(desc = "Last year.")] to: Option<i32>,
        #[graphql(desc = "Gender; the total by default.", default_with = "Gender::T")] gender: Gender,
        #[graphql(desc = "Which value ranks first; by default the indicator's desired direction (the highest first when it has none).")]
        order: Option<RankOrder>,
    ) -> Result<Vec<GroupFigure>> {
        let order = order.unwrap_or(match self.0.direction.higher_first() {
            Some(false) => RankOrder::Asc,
            _ => RankOrder::Desc,
        });
        let ask = GroupAsk { group, area, from, to, gender: gender.into() };
        group_series(ctx, &self.0.series(), ask, order).await
    }
    /// The latest value for an area (the municipality by default), up to a year when given.
    async fn latest_value(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Area code; the indicator's municipality when left out.")] area: Option<String>,
        #[graphql(desc = "Gender; the total by default.", default_with = "Gender::T")] gender: Gender,
        #[graphql(desc = "The latest value up to this year; the latest of all when left out.")] period: Option<i32>,
    ) -> Result<Option<Point>> {
        let period = as_of(period)?;
        if let Some(f) = self.facts(ctx, area.as_deref()).filter(|_| gender == Gender::T && period.is_none()) {
            return Ok(f.judged.latest.clone().map(Point));
        }
        let area = self.area(ctx, area).await?;
        let key = DigestKey {
            series: self.0.series(),
            area: area.clone(),
            gender: gender.into(),
        };
        let d = load(&loaders(ctx).digest, vec![key.clone()], batch(ctx))
            .await
            .map_err(loader_err)?
            .remove(&key)
            .flatten();
        Ok(d.and_then(|d| {
            d.points
                .iter()
                .rev()
                .find(|p| p.value.is_some() && period.is_none_or(|y| p.period <= y))
                .cloned()
        })
        .map(Point))
    }
    /// The latest value judged against the target that holds for its period (or the desired
    /// direction when none does), for an area (the municipality by default); as of a year when
    /// given (the series as it stood then: its latest value up to that year, the one before,
    /// the trend up to it).
    async fn status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Area code; the indicator's municipality when left out.")] area: Option<String>,
        #[graphql(desc = "Judge as of this year; the latest value of all when left out.")] period: Option<i32>,
    ) -> Result<IndicatorStatus> {
        let period = as_of(period)?;
        if let Some(f) = self.facts(ctx, area.as_deref()).filter(|_| period.is_none()) {
            return Ok(IndicatorStatus(f.judged.clone()));
        }
        let area = self.area(ctx, area).await?;
        Ok(IndicatorStatus(judged(ctx, &self.0, &area, period).await?))
    }
}

/// Which indicators to list.
#[derive(InputObject, Default)]
pub struct IndicatorFilterInput {
    /// Indicators of this goal (id).
    pub goal: Option<i64>,
    /// Indicators owned by this unit (id) or its subtree, or following up a goal owned there.
    pub org_unit: Option<i64>,
    /// Of this kind.
    pub kind: Option<IndicatorKind>,
    /// Sourced from this KPI, e.g. "N00090".
    pub kpi: Option<String>,
    /// Title containing this text (case-insensitive).
    pub text: Option<String>,
}

/// Indicator queries.
#[derive(Default)]
pub struct IndicatorQuery;

#[Object]
impl IndicatorQuery {
    /// An indicator by id.
    async fn indicator(&self, ctx: &Context<'_>, id: i64) -> Result<Option<Indicator>> {
        let (l, id) = (&loaders(ctx).indicator, IndicatorId(id));
        Ok(load(l, vec![id], batch(ctx)).await.map_err(loader_err)?.remove(&id).map(Indicator))
    }

    /// Indicators of a municipality, filtered, in order.
    #[allow(clippy::too_many_arguments)]
    async fn indicators(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality code, e.g. \"1489\".")] municipality: String,
        #[graphql(desc = "Which indicators.")] filter: Option<IndicatorFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<KeysetPage<Indicator>> {
        let m = self::municipality(ctx, &municipality).await?;
        let request = page_request(ctx, after, before, first, last)?;
        let f = filter.unwrap_or_default();
        let filter = IndicatorFilter {
            municipality_id: Some(m.id),
            goal_id: f.goal,
            org_unit_id: f.org_unit,
            kind: f.kind.map(Into::into),
            kpi: f.kpi,
            text: f.text,
        };
        let found = ports(ctx).read.indicators.indicators_page(&filter, &request).await.map_err(gql)?;
        let page = connection(found, Indicator);
        let la = ctx.look_ahead();
        let fields = [la.field("nodes"), la.field("edges").field("node")];
        let nodes: Vec<DomainIndicator> = page.edges.iter().map(|e| e.node.0.clone()).collect();
        prefetch(ctx, &nodes, &fields, m.municipality_code.as_deref().unwrap_or_default()).await?;
        Ok(page)
    }
}
