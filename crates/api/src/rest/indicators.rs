//! `/api/v1/indicators`: indicators (målindikatorer, kvalitetsindikatorer, nyckeltal), each
//! with its targets and its status against target, and its series.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use styrhub_domain::ids::{AreaCode, IndicatorId};
use styrhub_domain::indicator::{Indicator, IndicatorFilter, IndicatorKind};
use styrhub_domain::rules::evaluate::TargetStatus;
use styrhub_domain::rules::status::IndicatorStatus;
use styrhub_domain::rules::trend::{Trend, TrendKind};
use styrhub_domain::target::Target;
use styrhub_domain::RepoError;
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::read::loaders::Batch;
use crate::read::loaders::Loaders;
use crate::read::status::judge;
use crate::reads::Reads;
use crate::rest::csv::{Cell, Table};
use crate::rest::formats::{answer, csv, json, DataFormatParam, Format, ListFormatParam, Negotiated};
use crate::rest::page::{cursor_problem, link_next, Page, PageParams};
use crate::rest::params::{parse_id, parse_municipality_code, path_id, MunicipalityCodeParam, Params};
use crate::rest::problem::Problem;
use crate::rest::series::{self as s, About, SeriesParams, SeriesSet};

/// A short reference to an indicator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorRef {
    /// Database id.
    pub id: i64,
    /// Stable key within its municipality.
    pub key: String,
    /// Title as written.
    pub title: String,
    /// Its municipality's code, e.g. 1489.
    pub municipality: Option<String>,
}

impl IndicatorRef {
    /// The reference, with the municipality codes by id.
    pub fn new(i: &Indicator, codes: &HashMap<i64, String>) -> Self {
        Self {
            id: i.id,
            key: i.key.clone(),
            title: i.title.clone(),
            municipality: codes.get(&i.municipality_id).cloned(),
        }
    }
}

/// An indicator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorOut {
    /// Database id.
    pub id: i64,
    /// Stable key within its municipality.
    pub key: String,
    /// Title as written.
    pub title: String,
    /// goal_indicator, quality_indicator or key_figure.
    pub kind: &'static str,
    /// Unit as written ("andel %", "antal" …).
    pub unit: Option<String>,
    /// Which way is better: increase, decrease or none.
    pub direction: &'static str,
    /// The phrase the direction was read from, e.g. "ska öka".
    pub desired_text: Option<String>,
    /// True when the indicator is first to be measured ("ska mätas och öka").
    pub measure_first: bool,
    /// The Kolada KPI its values come from, where known.
    pub kpi: Option<String>,
    /// The key its values are stored under: kpi:ID or indicator:ID.
    pub series_key: String,
    /// Its municipality's code, e.g. 1489.
    pub municipality: Option<String>,
    /// The organisation unit responsible (id), if any.
    pub owner_id: Option<i64>,
    /// Order among the indicators of its goal.
    pub position: i32,
}

impl IndicatorOut {
    /// The wire shape, with the municipality codes by id.
    pub fn new(i: &Indicator, codes: &HashMap<i64, String>) -> Self {
        Self {
            id: i.id,
            key: i.key.clone(),
            title: i.title.clone(),
            kind: i.kind.as_str(),
            unit: i.unit.clone(),
            direction: i.direction.as_str(),
            desired_text: i.desired_text.clone(),
            measure_first: i.measure_first,
            kpi: i.kpi.as_ref().map(|k| k.to_string()),
            series_key: i.series().key(),
            municipality: codes.get(&i.municipality_id).cloned(),
            owner_id: i.owner_id,
            position: i.position,
        }
    }
}

/// A target (målvärde) for an area and a range of years.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetOut {
    /// Database id.
    pub id: i64,
    /// The area it applies to.
    pub area: String,
    /// First year it holds.
    pub period_from: i32,
    /// Last year it holds; null until further notice.
    pub period_to: Option<i32>,
    /// absolute, direction or relative.
    pub kind: &'static str,
    /// at_least, at_most, equal (absolute); increase, decrease, not_decrease, not_increase
    /// (direction); above, below, at_least, at_most (relative).
    pub comparison: &'static str,
    /// The target value (absolute targets).
    pub value: Option<f64>,
    /// The area compared with (relative targets), e.g. 0000.
    pub reference_area: Option<String>,
    /// The phrase as written, e.g. "ska vara under riksgenomsnittet".
    pub note: Option<String>,
}

impl From<&Target> for TargetOut {
    fn from(t: &Target) -> Self {
        let (kind, comparison, value, reference_area) = t.rule.to_parts();
        Self {
            id: t.id,
            area: t.area.to_string(),
            period_from: t.period_from,
            period_to: t.period_to,
            kind,
            comparison,
            value,
            reference_area: reference_area.map(str::to_owned),
            note: t.note.clone(),
        }
    }
}

/// Which way a series is moving.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendOut {
    /// improving, worsening, stable, changing (no direction is better) or insufficient.
    pub kind: &'static str,
    /// First period of the latest run of moves.
    pub since: Option<i32>,
    /// Change from `since` to the latest period.
    pub change: Option<f64>,
    /// A short phrase, e.g. "improving since 2021".
    pub description: String,
}

impl From<&Trend> for TrendOut {
    fn from(t: &Trend) -> Self {
        Self {
            kind: match t.kind {
                TrendKind::Improving => "improving",
                TrendKind::Worsening => "worsening",
                TrendKind::Stable => "stable",
                TrendKind::Changing => "changing",
                TrendKind::Insufficient => "insufficient",
            },
            since: t.since,
            change: t.change,
            description: t.describe(),
        }
    }
}

/// An indicator's latest value judged against its target.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusOut {
    /// The area judged.
    pub area: String,
    /// on_target, not_on_target or no_data.
    pub status: &'static str,
    /// What the verdict rests on, e.g. "0.4 above the national value, improving since 2021".
    pub explanation: String,
    /// The same in Swedish, e.g. "0,4 över rikets värde, förbättras sedan 2021"; empty in verdicts
    /// frozen before it existed.
    pub explanation_sv: String,
    /// The period judged: the latest with a value.
    pub period: Option<i32>,
    /// The value judged.
    pub value: Option<f64>,
    /// The target used; null when judged by the desired direction alone.
    pub target: Option<TargetOut>,
    /// Which way the series is moving.
    pub trend: TrendOut,
}

/// The name of a status.
pub fn status_name(s: TargetStatus) -> &'static str {
    match s {
        TargetStatus::OnTarget => "on_target",
        TargetStatus::NotOnTarget => "not_on_target",
        TargetStatus::NoData => "no_data",
    }
}

impl StatusOut {
    /// The wire shape of a verdict for `area`, with the target it used.
    pub fn new(area: &AreaCode, s: &IndicatorStatus, targets: &[Target]) -> Self {
        Self {
            area: area.to_string(),
            status: status_name(s.status),
            explanation: s.explanation.clone(),
            explanation_sv: s.explanation_sv.clone(),
            period: s.period,
            value: s.value,
            target: s.target_id.and_then(|id| targets.iter().find(|t| t.id == id)).map(TargetOut::from),
            trend: TrendOut::from(&s.trend),
        }
    }
}

/// A short reference to a goal.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalRef {
    /// Database id.
    pub id: i64,
    /// Stable key within its municipality.
    pub key: String,
    /// Title as written.
    pub title: String,
}

/// An indicator with the goals it follows up, its targets, and its status for its
/// municipality.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorDetail {
    /// The indicator.
    #[serde(flatten)]
    pub indicator: IndicatorOut,
    /// The goals it follows up.
    pub goals: Vec<GoalRef>,
    /// Its targets, oldest first.
    pub targets: Vec<TargetOut>,
    /// Its latest value judged against its target, for its municipality.
    pub status: StatusOut,
}

/// The codes of these municipalities (root units), by id, through the request's loaders.
pub async fn municipality_codes(l: &Loaders, ids: impl IntoIterator<Item = i64>) -> Result<HashMap<i64, String>, Problem> {
    Ok(l.org_unit
        .load_many(ids)
        .await?
        .into_iter()
        .filter_map(|(id, u)| u.municipality_code.map(|c| (id, c)))
        .collect())
}

/// The municipality (root unit) with this code: a malformed code is a bad `parameter` (400),
/// one the hub does not hold is a 404 naming it.
pub async fn municipality_id(ports: &crate::read::Ports, parameter: &str, code: &str) -> Result<i64, Problem> {
    let code = parse_municipality_code(parameter, code)?;
    ports.governance.municipality_by_code(code).await?.map(|m| m.id).ok_or_else(|| {
        Problem::names_nothing(
            parameter,
            format!("`{code}` is not a municipality of the hub (see /api/v1/areas?type=K)"),
        )
    })
}

/// The indicator of a path, or 404.
pub async fn indicator(l: &Loaders, raw: &str) -> Result<Indicator, Problem> {
    let id = IndicatorId(path_id("indicator", raw)?);
    l.indicator
        .load_one(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("indicator {id}")))
}

/// An indicator's kind.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum IndicatorKindParam {
    /// Målindikator: follows a goal up against targets.
    GoalIndicator,
    /// Kvalitetsindikator.
    QualityIndicator,
    /// Nyckeltal: followed without targets.
    KeyFigure,
}

/// Which indicators to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorParams {
    /// Indicators of this municipality, e.g. 1489.
    #[param(value_type = Option<MunicipalityCodeParam>)]
    pub municipality: Option<String>,
    /// Indicators following up this goal (id).
    #[param(value_type = Option<i64>, minimum = 1)]
    pub goal: Option<String>,
    /// Indicators of this kind.
    #[param(value_type = Option<IndicatorKindParam>)]
    pub kind: Option<String>,
    /// Sourced from this KPI, e.g. N00090.
    #[param(pattern = r"^[^\u0000]*$")]
    pub kpi: Option<String>,
    /// Title containing this text (case-insensitive).
    #[param(pattern = r"^[^\u0000]*$")]
    pub q: Option<String>,
}

/// Lists indicators, in order.
#[utoipa::path(
    get,
    path = "/api/v1/indicators",
    operation_id = "list_indicators",
    tag = "indicators",
    params(IndicatorParams, PageParams, ListFormatParam),
    responses(
        (status = 200, description = "A page of indicators.", content(
            (Page<IndicatorOut> = "application/json"),
            (String = "text/csv")
        )),
        (status = 400, description = "A bad parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such municipality (`municipality`), or no page of this list starts at `cursor`.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    reads: Reads,
    uri: Uri,
    negotiated: Negotiated,
    Params(p): Params<IndicatorParams>,
    Params(page): Params<PageParams>,
) -> Result<Response, Problem> {
    let format = negotiated.pick(Format::LIST)?;
    let page = page.keyset(state.http.limits.max_page_size)?;
    let municipality_id = match &p.municipality {
        Some(code) => Some(municipality_id(&reads, "municipality", code).await?),
        None => None,
    };
    let filter = IndicatorFilter {
        municipality_id,
        goal_id: p.goal.as_deref().map(|g| parse_id("goal", g)).transpose()?,
        org_unit_id: None,
        kind: p
            .kind
            .as_deref()
            .map(|k| IndicatorKind::parse(k).map_err(|e| Problem::invalid("kind", e.message)))
            .transpose()?,
        kpi: p.kpi,
        text: p.q,
    };
    let limit = page.size();
    let found = reads.indicators.indicators_page(&filter, &page).await.map_err(cursor_problem)?;
    let page = Page::keyset(found, limit);
    let loaders = Loaders::new(&reads);
    let codes = municipality_codes(&loaders, page.items.iter().map(|i| i.municipality_id)).await?;
    let page = page.map(|i| IndicatorOut::new(&i, &codes));
    let res = match format {
        Format::Json => json(&page),
        _ => {
            let mut t = Table::new(&[
                "id",
                "municipality",
                "key",
                "title",
                "kind",
                "unit",
                "direction",
                "desired_text",
                "kpi",
                "series_key",
            ]);
            for i in &page.items {
                t.push(vec![
                    Cell::Int(i.id),
                    Cell::opt(i.municipality.as_ref()),
                    Cell::text(&i.key),
                    Cell::text(&i.title),
                    Cell::text(i.kind),
                    Cell::opt(i.unit.as_ref()),
                    Cell::text(i.direction),
                    Cell::opt(i.desired_text.as_ref()),
                    Cell::opt(i.kpi.as_ref()),
                    Cell::text(&i.series_key),
                ]);
            }
            csv(format, "indicators", &t)
        }
    };
    Ok(link_next(res, &uri, page.next_cursor.as_deref()))
}

/// An indicator with its goals, targets and status for its municipality.
#[utoipa::path(
    get,
    path = "/api/v1/indicators/{id}",
    operation_id = "get_indicator",
    tag = "indicators",
    params(("id" = i64, Path, description = "Indicator id.")),
    responses(
        (status = 200, description = "The indicator.", body = IndicatorDetail),
        (status = 404, description = "No such indicator.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn one(reads: Reads, Path(id): Path<String>) -> Result<Response, Problem> {
    let l = Loaders::new(&reads);
    let i = indicator(&l, &id).await?;
    let codes = municipality_codes(&l, [i.municipality_id]).await?;
    let area = home_area(&i, &codes)?;
    let goal_ids = l.goals_of_indicator.load_one(IndicatorId(i.id)).await?.unwrap_or_default();
    let (goals, judged) = futures_util::future::join(
        l.goal.load_many(goal_ids.iter().copied()),
        judge(&l, std::slice::from_ref(&i), &area, None, Batch::Now),
    )
    .await;
    let (goals, mut judged) = (goals?, judged?);
    let judged = judged
        .pop()
        .ok_or_else(|| RepoError::Internal(format!("indicator {} was not judged", i.id)))?;
    Ok(json(&IndicatorDetail {
        indicator: IndicatorOut::new(&i, &codes),
        goals: goal_ids
            .iter()
            .filter_map(|id| goals.get(id))
            .map(|g| GoalRef {
                id: g.id,
                key: g.key.clone(),
                title: g.title.clone(),
            })
            .collect(),
        targets: judged.targets.iter().map(TargetOut::from).collect(),
        status: StatusOut::new(&area, &judged.status, &judged.targets),
    }))
}

/// The indicator's municipality as an area.
fn home_area(i: &Indicator, codes: &HashMap<i64, String>) -> Result<AreaCode, Problem> {
    let code = codes
        .get(&i.municipality_id)
        .ok_or_else(|| RepoError::Internal(format!("indicator {} has no municipality code", i.id)))?;
    Ok(AreaCode::parse(code).map_err(|e| RepoError::Internal(e.to_string()))?)
}

/// An indicator's values for areas (its municipality and 0000 by default), years and genders.
#[utoipa::path(
    get,
    path = "/api/v1/indicators/{id}/series",
    operation_id = "indicator_series",
    tag = "indicators",
    params(("id" = i64, Path, description = "Indicator id."), SeriesParams, DataFormatParam),
    responses(
        (status = 200, description = "One series per area and gender.", content(
            (inline(s::SeriesAnswer) = "application/json"),
            (String = "text/csv"),
        )),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`."),
        (status = 400, description = "A bad parameter: area, from, to, gender or format.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such indicator, or an area the hub neither knows nor has values for (`area`).", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn series(
    reads: Reads,
    Path(id): Path<String>,
    negotiated: Negotiated,
    Params(p): Params<SeriesParams>,
) -> Result<Response, Problem> {
    let format = negotiated.pick(Format::DATA)?;
    let l = Loaders::new(&reads);
    let i = indicator(&l, &id).await?;
    let codes = municipality_codes(&l, [i.municipality_id]).await?;
    let home = home_area(&i, &codes)?;
    let country = AreaCode::parse(AreaCode::COUNTRY).map_err(|e| RepoError::Internal(e.to_string()))?;
    let defaults = if home == country { vec![home] } else { vec![home, country] };
    let req = p.parse(Some(defaults))?;
    let about = About {
        series: i.series(),
        kpi: i.kpi.as_ref().map(|k| k.to_string()),
        indicator: Some(i.id),
        title: Some(i.title.clone()),
        unit: i.unit.clone(),
    };
    let set: SeriesSet = s::load(&reads, about, &req).await?;
    Ok(answer(format, &s::file_name(&set), &set, || s::table(&set), || s::cube(&set)))
}
