//! `/api/v1/goals`: goals at every level, their hierarchy as a tree, and the latest values of
//! their indicators judged against target.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;
use styrhub_domain::goal::{in_chain_order, Goal, GoalFilter, GoalKind};
use styrhub_domain::hierarchy::Hierarchy;
use styrhub_domain::ids::{AreaCode, Gender, GoalId};
use styrhub_domain::indicator::Indicator;
use styrhub_domain::rules::rollup::Attainment;
use styrhub_domain::RepoError;
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::read::status::judge;
use crate::read::{Batch, Loaders};
use crate::reads::Reads;
use crate::rest::csv::{Cell, Table};
use crate::rest::formats::{answer, csv, json, DataFormatParam, Format, ListFormatParam, Negotiated};
use crate::rest::gender_label;
use crate::rest::indicators::{municipality_codes, municipality_id, GoalRef, IndicatorRef, StatusOut};
use crate::rest::jsonstat::{or_jsonstat, Cube, Dimension};
use crate::rest::page::{cursor_problem, link_next, Page, PageParams};
use crate::rest::params::{parse_area, parse_bool, parse_id, parse_year, path_id, AreaCodeParam, MunicipalityCodeParam, Params};
use crate::rest::problem::Problem;

/// A goal.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalOut {
    /// Database id.
    pub id: i64,
    /// Stable key within its municipality.
    pub key: String,
    /// Title as written.
    pub title: String,
    /// Motivation or description as written.
    pub description: Option<String>,
    /// council_goal, financial_goal, operational_goal, committee_goal, development_goal,
    /// unit_goal or company_goal.
    pub kind: &'static str,
    /// Its municipality's code, e.g. 1489.
    pub municipality: Option<String>,
    /// The governance model (goal set) it was set under (id).
    pub governance_model_id: i64,
    /// The organisation unit that owns it (id).
    pub owner_id: i64,
    /// The focus area it belongs to (id), if any.
    pub focus_area_id: Option<i64>,
    /// First day in force (YYYY-MM-DD).
    pub valid_from: String,
    /// Last day in force; null until further notice.
    pub valid_to: Option<String>,
    /// Agenda 2030 global goals (1–17) it is tagged with.
    pub agenda2030: Vec<u8>,
    /// The decision that set it, e.g. "KF 2024-02-26 § 15".
    pub decision: Option<String>,
    /// Order among its siblings.
    pub position: i32,
    /// True when archived (kept for history, no longer in force).
    pub archived: bool,
}

impl GoalOut {
    fn new(g: &Goal, codes: &HashMap<i64, String>) -> Self {
        Self {
            id: g.id,
            key: g.key.clone(),
            title: g.title.clone(),
            description: g.description.clone(),
            kind: g.kind.as_str(),
            municipality: codes.get(&g.municipality_id).cloned(),
            governance_model_id: g.governance_model_id,
            owner_id: g.owner_id,
            focus_area_id: g.focus_area_id,
            valid_from: g.validity.from.to_string(),
            valid_to: g.validity.to.map(|d| d.to_string()),
            agenda2030: g.agenda2030.clone(),
            decision: g.decision.clone(),
            position: g.position,
            archived: g.archived,
        }
    }
}

fn goal_ref(g: &Goal) -> GoalRef {
    GoalRef {
        id: g.id,
        key: g.key.clone(),
        title: g.title.clone(),
    }
}

/// A goal with its neighbours in the hierarchy and its indicators.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalDetail {
    /// The goal.
    #[serde(flatten)]
    pub goal: GoalOut,
    /// The goals it contributes to.
    pub parents: Vec<GoalRef>,
    /// The goals that contribute to it (archived ones left out).
    pub children: Vec<GoalRef>,
    /// The indicators that follow it up, in order.
    pub indicators: Vec<IndicatorRef>,
}

/// A goal and, below it, the goals that contribute to it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalNode {
    /// Database id.
    pub id: i64,
    /// Stable key within its municipality.
    pub key: String,
    /// Title as written.
    pub title: String,
    /// Kind of goal.
    pub kind: &'static str,
    /// The organisation unit that owns it (id).
    pub owner_id: i64,
    /// Steps below the root of the tree: 0 for the root.
    pub depth: u32,
    /// The indicators that follow it up, in order.
    pub indicators: Vec<IndicatorRef>,
    /// Its attainment for its municipality's latest values, rolled up as
    /// `/api/v1/goals/{id}/status` and GraphQL's `attainment` roll it up.
    pub attainment: AttainmentOut,
    /// The goals that contribute to it, in order (archived ones left out). A goal that
    /// contributes to several goals appears under each.
    #[schema(no_recursion)]
    pub children: Vec<GoalNode>,
}

/// A goal's attainment, rolled up from its indicators' statuses and, recursively, the goals
/// below it: the same verdict as GraphQL's `Goal.attainment`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttainmentOut {
    /// achieved, partly_achieved, not_achieved or not_assessed (nothing judged).
    pub assessment: &'static str,
    /// Share of what was judged that is on target (a partly achieved goal below counts half);
    /// null when nothing was judged.
    pub share: Option<f64>,
    /// Indicators of the goal itself on target.
    pub on_target: u32,
    /// Indicators of the goal itself not on target.
    pub not_on_target: u32,
    /// Indicators of the goal itself without data.
    pub no_data: u32,
}

impl From<&Attainment> for AttainmentOut {
    fn from(a: &Attainment) -> Self {
        Self {
            assessment: a.assessment.as_str(),
            share: a.share,
            on_target: a.on_target,
            not_on_target: a.not_on_target,
            no_data: a.no_data,
        }
    }
}

/// The largest `max_depth` of a tree: deeper than any municipality's goals go.
const MAX_TREE_DEPTH: u32 = 1000;

/// A goal's kind.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum GoalKindParam {
    /// Kommunfullmäktiges mål.
    CouncilGoal,
    /// Finansiellt mål.
    FinancialGoal,
    /// Verksamhetsmål.
    OperationalGoal,
    /// Nämndmål.
    CommitteeGoal,
    /// Utvecklingsmål.
    DevelopmentGoal,
    /// Enhetsmål.
    UnitGoal,
    /// Bolagsmål.
    CompanyGoal,
}

/// Which goals to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GoalParams {
    /// Goals of this municipality, e.g. 1489.
    #[param(value_type = Option<MunicipalityCodeParam>)]
    pub municipality: Option<String>,
    /// Goals of this governance model (goal set), by key, e.g. styrmodell-2019.
    #[param(pattern = r"^[^\u0000]*$")]
    pub model: Option<String>,
    /// Goals of this kind.
    #[param(value_type = Option<GoalKindParam>)]
    pub kind: Option<String>,
    /// Goals owned by this organisation unit (id) or a unit below it.
    #[param(value_type = Option<i64>, minimum = 1)]
    pub org_unit: Option<String>,
    /// Goals in force some time during this year.
    #[param(value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub year: Option<String>,
    /// Title or description containing this text (case-insensitive).
    #[param(pattern = r"^[^\u0000]*$")]
    pub q: Option<String>,
    /// Include archived goals (false by default).
    #[param(value_type = Option<bool>)]
    pub include_archived: Option<String>,
}

/// Lists goals, in the order of model, kind and position.
#[utoipa::path(
    get,
    path = "/api/v1/goals",
    operation_id = "list_goals",
    tag = "goals",
    params(GoalParams, PageParams, ListFormatParam),
    responses(
        (status = 200, description = "A page of goals.", content(
            (Page<GoalOut> = "application/json"),
            (String = "text/csv")
        )),
        (status = 400, description = "A bad parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such municipality (`municipality`) or organisation unit (`org_unit`), or no page of this list starts at `cursor`.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    reads: Reads,
    uri: Uri,
    negotiated: Negotiated,
    Params(p): Params<GoalParams>,
    Params(page): Params<PageParams>,
) -> Result<Response, Problem> {
    let format = negotiated.pick(Format::LIST)?;
    let page = page.keyset(state.http.limits.max_page_size)?;
    let municipality_id = match &p.municipality {
        Some(code) => Some(municipality_id(&reads, "municipality", code).await?),
        None => None,
    };
    let filter = GoalFilter {
        municipality_id,
        governance_model: p.model,
        kind: p
            .kind
            .as_deref()
            .map(|k| GoalKind::parse(k).map_err(|e| Problem::invalid("kind", e.message)))
            .transpose()?,
        owner_id: p.org_unit.as_deref().map(|u| parse_id("org_unit", u)).transpose()?,
        include_subtree: true,
        focus_area_id: None,
        agenda2030: None,
        text: p.q,
        year: p.year.as_deref().map(|y| parse_year("year", y)).transpose()?,
        include_archived: p
            .include_archived
            .as_deref()
            .map(|b| parse_bool("include_archived", b))
            .transpose()?
            .unwrap_or(false),
    };
    let limit = page.size();
    let found = reads.governance.goals_page(&filter, &page).await.map_err(cursor_problem)?;
    let page = Page::keyset(found, limit);
    let loaders = Loaders::new(&reads);
    let codes = municipality_codes(&loaders, page.items.iter().map(|g| g.municipality_id)).await?;
    let page = page.map(|g| GoalOut::new(&g, &codes));
    let res = match format {
        Format::Json => json(&page),
        _ => {
            let mut t = Table::new(&[
                "id",
                "municipality",
                "key",
                "title",
                "kind",
                "owner_id",
                "focus_area_id",
                "valid_from",
                "valid_to",
                "archived",
            ]);
            for g in &page.items {
                t.push(vec![
                    Cell::Int(g.id),
                    Cell::opt(g.municipality.as_ref()),
                    Cell::text(&g.key),
                    Cell::text(&g.title),
                    Cell::text(g.kind),
                    Cell::Int(g.owner_id),
                    g.focus_area_id.map(Cell::Int).unwrap_or(Cell::Empty),
                    Cell::text(&g.valid_from),
                    Cell::opt(g.valid_to.as_ref()),
                    Cell::Bool(g.archived),
                ]);
            }
            csv(format, "goals", &t)
        }
    };
    Ok(link_next(res, &uri, page.next_cursor.as_deref()))
}

/// The goal of a path, or 404.
async fn goal(l: &Loaders, raw: &str) -> Result<Goal, Problem> {
    let id = GoalId(path_id("goal", raw)?);
    l.goal.load_one(id).await?.ok_or_else(|| Problem::not_found(format!("goal {id}")))
}

async fn graph(l: &Loaders, g: &Goal) -> Result<Arc<Hierarchy>, Problem> {
    Ok(l.goal_graph
        .load_one(g.municipality_id)
        .await?
        .ok_or_else(|| RepoError::Internal("goal graph missing".into()))?)
}

/// A goal with its parents, children and indicators.
#[utoipa::path(
    get,
    path = "/api/v1/goals/{id}",
    operation_id = "get_goal",
    tag = "goals",
    params(("id" = i64, Path, description = "Goal id.")),
    responses(
        (status = 200, description = "The goal.", body = GoalDetail),
        (status = 404, description = "No such goal.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn one(reads: Reads, Path(id): Path<String>) -> Result<Response, Problem> {
    let l = Loaders::new(&reads);
    let g = goal(&l, &id).await?;
    let graph = graph(&l, &g).await?;
    let (parents, children) = (graph.parents(g.id).to_vec(), graph.children(g.id).to_vec());
    let found = l.goals_in_hierarchy(parents.iter().chain(&children).copied()).await?;
    let indicators = l.indicators_of_goal.load_one(GoalId(g.id)).await?.unwrap_or_default();
    let codes = municipality_codes(
        &l,
        std::iter::once(g.municipality_id).chain(indicators.iter().map(|i| i.municipality_id)),
    )
    .await?;
    Ok(json(&GoalDetail {
        goal: GoalOut::new(&g, &codes),
        parents: in_chain_order(&parents, &found, false).into_iter().map(goal_ref).collect(),
        children: in_chain_order(&children, &found, true).into_iter().map(goal_ref).collect(),
        indicators: indicators.iter().map(|i| IndicatorRef::new(i, &codes)).collect(),
    }))
}

/// How deep a tree goes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TreeParams {
    /// Stop this many levels down (at most 1000); every level when left out.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 1000)]
    pub max_depth: Option<String>,
}

/// A goal and every goal below it, with their indicators.
#[utoipa::path(
    get,
    path = "/api/v1/goals/{id}/tree",
    operation_id = "goal_tree",
    tag = "goals",
    params(("id" = i64, Path, description = "Goal id."), TreeParams),
    responses(
        (status = 200, description = "The tree below the goal.", body = GoalNode),
        (status = 400, description = "A bad parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such goal.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tree(reads: Reads, Path(id): Path<String>, Params(p): Params<TreeParams>) -> Result<Response, Problem> {
    let max_depth = p
        .max_depth
        .as_deref()
        .map(|d| {
            d.parse::<u32>()
                .ok()
                .filter(|d| *d <= MAX_TREE_DEPTH)
                .ok_or_else(|| Problem::invalid("max_depth", format!("`{d}` is not a number of levels from 0 to {MAX_TREE_DEPTH}")))
        })
        .transpose()?;
    let l = Loaders::new(&reads);
    let root = goal(&l, &id).await?;
    let graph = graph(&l, &root).await?;
    // The whole tree in three batched reads: the goals, their indicators, the municipalities.
    let below: Vec<i64> = graph.descendants(root.id, max_depth).into_iter().map(|r| r.id).collect();
    let goals = l.goals_in_hierarchy(below.iter().copied()).await?;
    let indicators = l
        .indicators_in_hierarchy(std::iter::once(root.id).chain(below.iter().copied()))
        .await?;
    let codes = municipality_codes(&l, indicators.values().flatten().map(|i| i.municipality_id)).await?;
    let area = municipality_codes(&l, [root.municipality_id])
        .await?
        .get(&root.municipality_id)
        .and_then(|c| AreaCode::parse(c).ok())
        .ok_or_else(|| RepoError::Internal(format!("goal {} has no municipality code", root.id)))?;
    let shown: Vec<i64> = std::iter::once(root.id).chain(below.iter().copied()).collect();
    let attainments = crate::read::goals::attainments(&l, &root, &area, None, Batch::Now, &shown).await?;
    let parts = TreeParts {
        graph: &graph,
        goals: &goals,
        indicators: &indicators,
        codes: &codes,
        attainments: &attainments,
        max_depth,
    };
    Ok(json(&parts.node(&root, 0, &mut vec![root.id])))
}

/// The attainment of a goal nothing was judged for.
const NOT_ASSESSED: AttainmentOut = AttainmentOut {
    assessment: "not_assessed",
    share: None,
    on_target: 0,
    not_on_target: 0,
    no_data: 0,
};

struct TreeParts<'a> {
    graph: &'a Hierarchy,
    goals: &'a HashMap<i64, Goal>,
    indicators: &'a HashMap<i64, Vec<Indicator>>,
    codes: &'a HashMap<i64, String>,
    attainments: &'a HashMap<i64, Attainment>,
    max_depth: Option<u32>,
}

impl TreeParts<'_> {
    /// The node of `g`; `path` guards against a cycle in stored data.
    fn node(&self, g: &Goal, depth: u32, path: &mut Vec<i64>) -> GoalNode {
        let children = if self.max_depth.is_some_and(|m| depth >= m) {
            Vec::new()
        } else {
            let ids: Vec<i64> = self.graph.children(g.id).iter().copied().filter(|c| !path.contains(c)).collect();
            in_chain_order(&ids, self.goals, true)
                .into_iter()
                .map(|c| {
                    path.push(c.id);
                    let n = self.node(c, depth + 1, path);
                    path.pop();
                    n
                })
                .collect()
        };
        GoalNode {
            id: g.id,
            key: g.key.clone(),
            title: g.title.clone(),
            kind: g.kind.as_str(),
            owner_id: g.owner_id,
            depth,
            indicators: self
                .indicators
                .get(&g.id)
                .into_iter()
                .flatten()
                .map(|i| IndicatorRef::new(i, self.codes))
                .collect(),
            attainment: self.attainments.get(&g.id).map_or(NOT_ASSESSED, AttainmentOut::from),
            children,
        }
    }
}

/// For which area, as of which year, and how deep.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusParams {
    /// As of this year: each indicator's latest value up to it (e.g. the year an annual report
    /// covers). The latest value of all when left out.
    #[param(value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub period: Option<String>,
    /// The area judged; the goal's municipality when left out.
    #[param(value_type = Option<AreaCodeParam>)]
    pub area: Option<String>,
    /// Also the indicators of every goal below (false by default).
    #[param(value_type = Option<bool>)]
    pub subtree: Option<String>,
}

/// One indicator of a goal, judged.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorStatusOut {
    /// The goal it follows up (in a subtree, the goal below).
    pub goal_id: i64,
    /// The indicator.
    pub indicator: IndicatorRef,
    /// Unit as written.
    pub unit: Option<String>,
    /// Which way is better.
    pub direction: &'static str,
    /// Its latest value judged against its target.
    pub status: StatusOut,
}

/// How many indicators are on target.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct StatusCounts {
    /// On target.
    pub on_target: usize,
    /// Not on target.
    pub not_on_target: usize,
    /// Without data.
    pub no_data: usize,
}

/// The latest values of a goal's indicators, judged against target.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalStatus {
    /// The goal.
    pub goal: GoalRef,
    /// The area judged.
    pub area: String,
    /// The year values were taken up to; null for the latest of all.
    pub period: Option<i32>,
    /// Counts by status.
    pub summary: StatusCounts,
    /// The goal's attainment for the area and period, rolled up over the goals below it as
    /// GraphQL's `attainment(area, period)` rolls it up (whatever `subtree` says).
    pub attainment: AttainmentOut,
    /// Each indicator, in the order of the goals and their indicators.
    pub indicators: Vec<IndicatorStatusOut>,
}

/// The latest values of a goal's indicators, judged against target.
#[utoipa::path(
    get,
    path = "/api/v1/goals/{id}/status",
    operation_id = "goal_status",
    tag = "goals",
    params(("id" = i64, Path, description = "Goal id."), StatusParams, DataFormatParam),
    responses(
        (status = 200, description = "Each indicator's latest value and status.", content(
            (inline(GoalStatusAnswer) = "application/json"),
            (String = "text/csv"),
        )),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`."),
        (status = 400, description = "A bad parameter: period, area, subtree or format.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such goal.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn status(
    reads: Reads,
    Path(id): Path<String>,
    negotiated: Negotiated,
    Params(p): Params<StatusParams>,
) -> Result<Response, Problem> {
    let format = negotiated.pick(Format::DATA)?;
    let period = p.period.as_deref().map(|y| parse_year("period", y)).transpose()?;
    let subtree = p.subtree.as_deref().map(|b| parse_bool("subtree", b)).transpose()?.unwrap_or(false);
    let l = Loaders::new(&reads);
    let g = goal(&l, &id).await?;
    let codes = municipality_codes(&l, [g.municipality_id]).await?;
    let area = match &p.area {
        Some(a) => parse_area("area", a)?,
        None => codes
            .get(&g.municipality_id)
            .and_then(|c| AreaCode::parse(c).ok())
            .ok_or_else(|| RepoError::Internal(format!("goal {} has no municipality code", g.id)))?,
    };
    let mut goal_ids = vec![g.id];
    if subtree {
        let graph = graph(&l, &g).await?;
        let below: Vec<i64> = graph.descendants(g.id, None).into_iter().map(|r| r.id).collect();
        let found = l.goals_in_hierarchy(below.iter().copied()).await?;
        goal_ids.extend(below.into_iter().filter(|id| found.get(id).is_some_and(|g| !g.archived)));
    }
    let by_goal = l.indicators_in_hierarchy(goal_ids.iter().copied()).await?;
    // Each indicator once, under the first goal (in tree order) that it follows up.
    let mut seen = HashSet::new();
    let listed: Vec<(i64, Indicator)> = goal_ids
        .iter()
        .flat_map(|gid| by_goal.get(gid).into_iter().flatten().map(move |i| (*gid, i.clone())))
        .filter(|(_, i)| seen.insert(i.id))
        .collect();
    let indicators: Vec<Indicator> = listed.iter().map(|(_, i)| i.clone()).collect();
    let judged = judge(&l, &indicators, &area, period, Batch::Now).await?;
    let codes = municipality_codes(&l, indicators.iter().map(|i| i.municipality_id)).await?;
    let mut summary = StatusCounts::default();
    let rows: Vec<IndicatorStatusOut> = listed
        .iter()
        .zip(&judged)
        .map(|((goal_id, i), j)| {
            let status = StatusOut::new(&area, &j.status, &j.targets);
            match status.status {
                "on_target" => summary.on_target += 1,
                "not_on_target" => summary.not_on_target += 1,
                _ => summary.no_data += 1,
            }
            IndicatorStatusOut {
                goal_id: *goal_id,
                indicator: IndicatorRef::new(i, &codes),
                unit: i.unit.clone(),
                direction: i.direction.as_str(),
                status,
            }
        })
        .collect();
    let attainment = crate::read::goals::attainment(&l, &g, &area, period, Batch::Now).await?;
    let body = GoalStatus {
        goal: goal_ref(&g),
        area: area.to_string(),
        period,
        summary,
        attainment: AttainmentOut::from(&attainment),
        indicators: rows,
    };
    let name = format!("goal-{}-status", g.id);
    Ok(answer(format, &name, &body, || status_table(&body), || status_cube(&body)))
}

fn status_table(s: &GoalStatus) -> Table {
    let mut t = Table::new(&[
        "goal_id",
        "indicator_id",
        "indicator",
        "unit",
        "direction",
        "area",
        "period",
        "value",
        "status",
        "explanation",
        "target_kind",
        "target_comparison",
        "target_value",
        "target_reference_area",
        "trend",
    ]);
    for r in &s.indicators {
        let target = r.status.target.as_ref();
        t.push(vec![
            Cell::Int(r.goal_id),
            Cell::Int(r.indicator.id),
            Cell::text(&r.indicator.title),
            Cell::opt(r.unit.as_ref()),
            Cell::text(r.direction),
            Cell::text(&s.area),
            r.status.period.map(|p| Cell::Int(p.into())).unwrap_or(Cell::Empty),
            Cell::Num(r.status.value),
            Cell::text(r.status.status),
            Cell::text(&r.status.explanation),
            Cell::opt(target.map(|t| t.kind)),
            Cell::opt(target.map(|t| t.comparison)),
            Cell::Num(target.and_then(|t| t.value)),
            Cell::opt(target.and_then(|t| t.reference_area.as_ref())),
            Cell::text(r.status.trend.kind),
        ]);
    }
    t
}

/// The statuses as a JSON-stat dataset: indicator × area × period × gender (the total), the
/// periods being each indicator's judged year; every other cell is null. Each value's status
/// is its verdict (on_target, not_on_target).
fn status_cube(s: &GoalStatus) -> Cube {
    let indicators: Vec<(String, String)> = s
        .indicators
        .iter()
        .map(|r| (r.indicator.id.to_string(), r.indicator.title.clone()))
        .collect();
    let mut periods: Vec<i32> = s.indicators.iter().filter_map(|r| r.status.period).collect();
    periods.sort_unstable();
    periods.dedup();
    let periods: Vec<(String, String)> = periods.iter().map(|p| (p.to_string(), p.to_string())).collect();
    let total = Gender::Total;
    let mut cube = Cube::new(
        format!("{}: status of its indicators", s.goal.title),
        vec![
            Dimension::new("indicator", "indicator", indicators),
            Dimension::new("area", "area", vec![(s.area.clone(), s.area.clone())]),
            Dimension::new("period", "year", periods),
            Dimension::new("gender", "gender", vec![(total.code().to_owned(), gender_label(total).to_owned())]),
        ],
    )
    .role("metric", "indicator")
    .role("geo", "area")
    .role("time", "period")
    .extension(json!({
        "goal": s.goal.id,
        "summary": s.summary,
        "status": s.indicators.iter().map(|r| (r.indicator.id.to_string(), r.status.status)).collect::<HashMap<_, _>>(),
    }));
    for r in &s.indicators {
        if let Some(p) = r.status.period {
            let id = r.indicator.id.to_string();
            cube.set(
                &[&id, &s.area, &p.to_string(), total.code()],
                r.status.value,
                Some(r.status.status.to_owned()),
            );
        }
    }
    cube
}

or_jsonstat!(
    /// A goal status, or the same as JSON-stat.
    GoalStatusAnswer,
    GoalStatus
);
