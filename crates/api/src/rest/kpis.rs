//! `/api/v1/kpis`: key figures (Kolada KPIs), their metadata, their series over areas, and the
//! ranking of a group of areas for one year.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;
use styrhub_domain::ids::{AreaCode, KpiId};
use styrhub_domain::indicator::{Direction, Indicator, IndicatorFilter};
use styrhub_domain::kpi::{Kpi, KpiFilter};
use styrhub_domain::observation::SeriesRef;
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::read::groups as group_members;
use crate::read::loaders::Loaders;
use crate::reads::Reads;
use crate::rest::areas::{known, with_country};
use crate::rest::csv::{Cell, Table};
use crate::rest::formats::{answer, csv, json, DataFormatParam, Format, ListFormatParam, Negotiated};
use crate::rest::gender_label;
use crate::rest::groups::{self, GroupSeriesAnswer, GroupSeriesParams};
use crate::rest::indicators::{municipality_codes, IndicatorRef};
use crate::rest::jsonstat::{or_jsonstat, Cube, Dimension};
use crate::rest::page::{cursor_problem, link_next, Page, PageParams};
use crate::rest::params::{parse_area, parse_areas, parse_genders, parse_year, AreaCodeParam, GenderParam, OrderParam, Params};
use crate::rest::problem::Problem;
use crate::rest::series::{self as s, About, KpiSeriesParams, SeriesParams};

/// Most areas a ranking may compare: every municipality and region fits.
pub const MAX_RANKED: usize = 500;

/// A key figure's metadata, as its source describes it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiOut {
    /// The id, e.g. N00090.
    pub id: String,
    /// Title as the source writes it.
    pub title: String,
    /// Description as the source writes it.
    pub description: Option<String>,
    /// The source's operating area (verksamhetsområde).
    pub operating_area: Option<String>,
    /// K (municipalities), L (regions) or both.
    pub municipality_type: Option<String>,
    /// Whether values come per gender (K, M) besides the total (T).
    pub is_divided_by_gender: Option<bool>,
    /// When the source published it.
    pub publication_date: Option<String>,
}

impl From<Kpi> for KpiOut {
    fn from(k: Kpi) -> Self {
        Self {
            id: k.id,
            title: k.title,
            description: k.description,
            operating_area: k.operating_area,
            municipality_type: k.municipality_type,
            is_divided_by_gender: k.is_divided_by_gender,
            publication_date: k.publication_date,
        }
    }
}

/// A key figure: its metadata when the hub has it, and the indicators sourced from it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiDetail {
    /// The id, e.g. N00090.
    pub id: String,
    /// The source's metadata; null when no sync has brought it yet.
    pub metadata: Option<KpiOut>,
    /// The indicators, of any municipality, whose values are this KPI's.
    pub indicators: Vec<IndicatorRef>,
}

/// Which key figures to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiParams {
    /// Id or title containing this text (case-insensitive).
    #[param(pattern = r"^[^\u0000]*$")]
    pub q: Option<String>,
}

/// A KPI as the hub knows it: parsed id, metadata, indicators sourced from it.
struct Known {
    id: KpiId,
    metadata: Option<Kpi>,
    indicators: Vec<Indicator>,
}

impl Known {
    fn about(&self) -> About {
        About {
            series: SeriesRef::Kpi(self.id.clone()),
            kpi: Some(self.id.to_string()),
            indicator: None,
            title: self
                .metadata
                .as_ref()
                .map(|m| m.title.clone())
                .or_else(|| self.indicators.first().map(|i| i.title.clone())),
            unit: None,
        }
    }

    fn is_known(&self) -> bool {
        self.metadata.is_some() || !self.indicators.is_empty()
    }
}

/// The KPI of a path: a malformed id names nothing (404).
async fn resolve(ports: &crate::read::Ports, raw: &str) -> Result<Known, Problem> {
    let id = KpiId::parse(raw).map_err(|_| Problem::not_found(format!("KPI {raw}")))?;
    let metadata = ports
        .series
        .kpis(&KpiFilter {
            ids: Some(vec![id.to_string()]),
            text: None,
        })
        .await?
        .pop();
    let indicators = ports
        .indicators
        .indicators(&IndicatorFilter {
            kpi: Some(id.to_string()),
            ..IndicatorFilter::default()
        })
        .await?;
    Ok(Known { id, metadata, indicators })
}

/// Lists key figures with metadata, by id.
#[utoipa::path(
    get,
    path = "/api/v1/kpis",
    operation_id = "list_kpis",
    tag = "kpis",
    params(KpiParams, PageParams, ListFormatParam),
    responses(
        (status = 200, description = "A page of key figures, by id.", content(
            (Page<KpiOut> = "application/json"),
            (String = "text/csv")
        )),
        (status = 400, description = "A bad parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No page of this list starts at `cursor`.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    reads: Reads,
    uri: Uri,
    negotiated: Negotiated,
    Params(p): Params<KpiParams>,
    Params(page): Params<PageParams>,
) -> Result<Response, Problem> {
    let format = negotiated.pick(Format::LIST)?;
    let page = page.keyset(state.http.limits.max_page_size)?;
    let limit = page.size();
    let found = reads
        .series
        .kpis_page(&KpiFilter { ids: None, text: p.q }, &page)
        .await
        .map_err(cursor_problem)?;
    let page = Page::keyset(found, limit).map(KpiOut::from);
    let res = match format {
        Format::Json => json(&page),
        _ => {
            let mut t = Table::new(&[
                "id",
                "title",
                "operating_area",
                "municipality_type",
                "is_divided_by_gender",
                "publication_date",
                "description",
            ]);
            for k in &page.items {
                t.push(vec![
                    Cell::text(&k.id),
                    Cell::text(&k.title),
                    Cell::opt(k.operating_area.as_ref()),
                    Cell::opt(k.municipality_type.as_ref()),
                    k.is_divided_by_gender.map(Cell::Bool).unwrap_or(Cell::Empty),
                    Cell::opt(k.publication_date.as_ref()),
                    Cell::opt(k.description.as_ref()),
                ]);
            }
            csv(format, "kpis", &t)
        }
    };
    Ok(link_next(res, &uri, page.next_cursor.as_deref()))
}

/// A key figure: its metadata and the indicators sourced from it.
#[utoipa::path(
    get,
    path = "/api/v1/kpis/{kpi}",
    operation_id = "get_kpi",
    tag = "kpis",
    params(("kpi" = String, Path, pattern = r"^[^\u0000]*$", description = "KPI id, e.g. N00090.")),
    responses(
        (status = 200, description = "The key figure.", body = KpiDetail),
        (status = 404, description = "No such KPI.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn one(reads: Reads, Path(kpi): Path<String>) -> Result<Response, Problem> {
    let k = resolve(&reads, &kpi).await?;
    if !k.is_known() {
        return Err(Problem::not_found(format!("KPI {}", k.id)));
    }
    let loaders = Loaders::new(&reads);
    let codes = municipality_codes(&loaders, k.indicators.iter().map(|i| i.municipality_id)).await?;
    Ok(json(&KpiDetail {
        id: k.id.to_string(),
        metadata: k.metadata.map(KpiOut::from),
        indicators: k.indicators.iter().map(|i| IndicatorRef::new(i, &codes)).collect(),
    }))
}

/// A key figure's values for areas, years and genders.
#[utoipa::path(
    get,
    path = "/api/v1/kpis/{kpi}/series",
    operation_id = "kpi_series",
    tag = "kpis",
    params(("kpi" = String, Path, pattern = r"^[^\u0000]*$", description = "KPI id, e.g. N00090."), KpiSeriesParams, DataFormatParam),
    responses(
        (status = 200, description = "One series per area and gender.", content(
            (inline(s::SeriesAnswer) = "application/json"),
            (String = "text/csv"),
        )),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`."),
        (status = 400, description = "A bad parameter: area, from, to, gender or format.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such KPI, or an area the hub neither knows nor has values for (`area`).", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn series(
    reads: Reads,
    Path(kpi): Path<String>,
    negotiated: Negotiated,
    Params(p): Params<KpiSeriesParams>,
) -> Result<Response, Problem> {
    let format = negotiated.pick(Format::DATA)?;
    let id = KpiId::parse(&kpi).map_err(|_| Problem::not_found(format!("KPI {kpi}")))?;
    let req = SeriesParams::from(p).parse(None)?;
    // The busiest read of the API: titles, areas and values come in one statement; the
    // indicators sourced from the KPI matter here only for the title and for knowing the KPI.
    let view = reads.series.kpi_series(&id, &req.areas, &req.genders).await?;
    let known_kpi = view.is_known();
    let about = About {
        series: SeriesRef::Kpi(id.clone()),
        kpi: Some(id.to_string()),
        indicator: None,
        title: view.title.or(view.indicator_title),
        unit: None,
    };
    let names = with_country(&req.areas, view.areas);
    let set = s::assemble(about, &req, &view.digests, &names)?;
    if !known_kpi && set.series.iter().all(|s| s.points.is_empty()) {
        return Err(Problem::not_found(format!("KPI {id}")));
    }
    Ok(answer(format, &s::file_name(&set), &set, || s::table(&set), || s::cube(&set)))
}

/// A key figure's figures over a group, year by year: mean, median, lowest and highest value,
/// and an area's rank and percentile, computed by the database over the stored values of the
/// group's members of each year.
#[utoipa::path(
    get,
    path = "/api/v1/kpis/{kpi}/group-series",
    operation_id = "kpi_group_series",
    tag = "kpis",
    params(("kpi" = String, Path, pattern = r"^[^\u0000]*$", description = "KPI id, e.g. N00090."), GroupSeriesParams, DataFormatParam),
    responses(
        (status = 200, description = "The group's figures, year by year.", content(
            (GroupSeriesAnswer = "application/json"),
            (String = "text/csv"),
        )),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`."),
        (status = 400, description = "A bad parameter: group, area, from, to, gender, order or format.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such KPI, or a group whose members the hub does not store (`group`).", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn group_series(
    reads: Reads,
    Path(kpi): Path<String>,
    negotiated: Negotiated,
    Params(p): Params<GroupSeriesParams>,
) -> Result<Response, Problem> {
    let format = negotiated.pick(Format::DATA)?;
    let k = resolve(&reads, &kpi).await?;
    // The key figure's direction is known when the indicators sourced from it agree on one.
    let mut directions: Vec<Direction> = k.indicators.iter().map(|i| i.direction).filter(|d| *d != Direction::None).collect();
    directions.dedup();
    let direction = match directions[..] {
        [one] => Some(one),
        _ => None,
    };
    groups::answer_for(&reads, k.about(), k.is_known(), direction, p, format).await
}

/// Which areas to rank, for which year.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingParams {
    /// The year, e.g. 2023.
    #[param(value_type = i32, minimum = 1900, maximum = 2200)]
    pub year: Option<String>,
    /// The areas to rank, comma-separated (at most 500; `areas=` is the same): areas such as
    /// `1489,1490,0764`, or a municipality group (`G…`), which stands for its members of `year`
    /// as synced with the group (`styrhub ingest kolada --municipality G…`).
    #[serde(alias = "areas")]
    #[param(required, value_type = Option<Vec<AreaCodeParam>>, style = Form, explode = false, min_items = 1, max_items = 500)]
    pub group: Option<String>,
    /// The area to highlight, e.g. 1489; ranked with the group when not in it.
    #[param(value_type = Option<AreaCodeParam>)]
    pub area: Option<String>,
    /// The gender ranked: T (total, the default), K (women) or M (men).
    #[param(value_type = Option<GenderParam>)]
    pub gender: Option<String>,
    /// `desc` (highest value first, the default) or `asc`.
    #[param(value_type = Option<OrderParam>)]
    pub order: Option<String>,
}

/// The highlighted area's place.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Position {
    /// Its rank, 1 being first; areas with equal values share a rank.
    pub rank: usize,
    /// How many areas have a value.
    pub of: usize,
    /// Its value.
    pub value: f64,
}

/// One ranked area.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RankedArea {
    /// Its rank, 1 being first; areas with equal values share a rank (1, 2, 2, 4).
    pub rank: usize,
    /// The area code.
    pub area: String,
    /// The area's name.
    pub area_title: Option<String>,
    /// Its value for the year.
    pub value: f64,
    /// Where the value came from (example: generated demo values).
    pub source: &'static str,
    /// True for the area asked about (`area`).
    pub highlighted: bool,
}

/// A group of areas ranked by a key figure's value for one year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ranking {
    /// The KPI.
    pub kpi: String,
    /// Its title, when known.
    pub title: Option<String>,
    /// The year.
    pub year: i32,
    /// T, K or M.
    pub gender: &'static str,
    /// `desc` or `asc`.
    pub order: &'static str,
    /// The highlighted area, if one was asked about.
    pub area: Option<String>,
    /// The highlighted area's place; null when it has no value for the year.
    pub position: Option<Position>,
    /// The areas with a value, ranked.
    pub rows: Vec<RankedArea>,
    /// The areas of the group without a value for the year.
    pub missing: Vec<String>,
}

/// Ranks a group of areas by a key figure's value for one year, and places one of them.
#[utoipa::path(
    get,
    path = "/api/v1/kpis/{kpi}/ranking",
    operation_id = "kpi_ranking",
    tag = "kpis",
    params(("kpi" = String, Path, pattern = r"^[^\u0000]*$", description = "KPI id, e.g. N00090."), RankingParams, DataFormatParam),
    responses(
        (status = 200, description = "The group, ranked.", content(
            (inline(RankingAnswer) = "application/json"),
            (String = "text/csv"),
        )),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`."),
        (status = 400, description = "A bad parameter: year, group, area, gender, order or format.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such KPI, an area the hub neither knows nor has values for (`group`, `area`), or a group whose members the hub does not store (`group`).", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ranking(
    reads: Reads,
    Path(kpi): Path<String>,
    negotiated: Negotiated,
    Params(p): Params<RankingParams>,
) -> Result<Response, Problem> {
    let format = negotiated.pick(Format::DATA)?;
    let k = resolve(&reads, &kpi).await?;
    let year = match &p.year {
        Some(y) => parse_year("year", y)?,
        None => return Err(Problem::invalid("year", "give the year to rank, e.g. year=2023")),
    };
    let Some(raw) = &p.group else {
        return Err(Problem::invalid(
            "group",
            "give the areas to rank, e.g. group=1489,1490,0764 (or areas=…)",
        ));
    };
    // A stored group (G…, 1489:jamforelsekommuner) stands for its members of the year ranked.
    let codes = parse_areas("group", raw, MAX_RANKED)?;
    let highlight = p.area.as_deref().map(|a| parse_area("area", a)).transpose()?;
    // Areas named directly must be areas the hub knows; a group's members need not be (one
    // without a value is listed as missing).
    let named: Vec<AreaCode> = codes.iter().filter(|c| !c.is_group()).cloned().chain(highlight.clone()).collect();
    let mut group = group_members::members(&reads, codes, year)
        .await?
        .map_err(|g| groups::unknown_group(&g))?;
    if let Some(h) = &highlight {
        if !group.contains(h) {
            group.push(h.clone());
        }
    }
    let genders = parse_genders(p.gender.as_deref())?;
    let [gender] = genders[..] else {
        return Err(Problem::invalid("gender", "rank one gender at a time: T, K or M"));
    };
    let descending = match p.order.as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(other) => return Err(Problem::invalid("order", format!("`{other}` is not desc or asc"))),
    };
    let about = k.about();
    let digests = reads.series.digests(std::slice::from_ref(&about.series), &group, &[gender]).await?;
    if !k.is_known() && digests.is_empty() {
        return Err(Problem::not_found(format!("KPI {}", k.id)));
    }
    let names = known(&reads, &group).await?;
    let values: HashMap<&str, (f64, &'static str)> = digests
        .iter()
        .filter_map(|d| {
            let p = d.points.iter().find(|p| p.period == year)?;
            Some((d.area.as_str(), (p.value?, p.source.as_str())))
        })
        .collect();
    if let Some(unknown) = s::first_unknown(&named, &digests, &names) {
        let parameter = if highlight.as_ref() == Some(unknown) { "area" } else { "group" };
        return Err(s::unknown_area(parameter, unknown));
    }
    let mut ranked: Vec<(&AreaCode, f64, &'static str)> = group
        .iter()
        .filter_map(|a| values.get(a.as_str()).map(|(v, src)| (a, *v, *src)))
        .collect();
    ranked.sort_by(|a, b| {
        let by_value = if descending { b.1.total_cmp(&a.1) } else { a.1.total_cmp(&b.1) };
        by_value.then_with(|| a.0.cmp(b.0))
    });
    let mut rows: Vec<RankedArea> = Vec::with_capacity(ranked.len());
    for (i, (area, value, source)) in ranked.iter().enumerate() {
        // Competition ranking: an area equal to the one before shares its rank.
        let rank = match rows.last() {
            Some(prev) if prev.value == *value => prev.rank,
            _ => i + 1,
        };
        rows.push(RankedArea {
            rank,
            area: area.to_string(),
            area_title: names.get(area.as_str()).map(|a| a.title.clone()),
            value: *value,
            source,
            highlighted: highlight.as_ref() == Some(*area),
        });
    }
    let position = rows.iter().find(|r| r.highlighted).map(|r| Position {
        rank: r.rank,
        of: rows.len(),
        value: r.value,
    });
    let body = Ranking {
        kpi: k.id.to_string(),
        title: about.title,
        year,
        gender: gender.code(),
        order: if descending { "desc" } else { "asc" },
        area: highlight.map(|a| a.to_string()),
        position,
        missing: group
            .iter()
            .filter(|a| !values.contains_key(a.as_str()))
            .map(|a| a.to_string())
            .collect(),
        rows,
    };
    let name = format!("kpi-{}-ranking-{year}", body.kpi);
    Ok(answer(
        format,
        &name,
        &body,
        || ranking_table(&body),
        || ranking_cube(&body, &names),
    ))
}

fn ranking_table(r: &Ranking) -> Table {
    let mut t = Table::new(&["rank", "area", "area_title", "value", "highlighted", "source"]);
    for row in &r.rows {
        t.push(vec![
            Cell::Int(row.rank as i64),
            Cell::text(&row.area),
            Cell::opt(row.area_title.as_ref()),
            Cell::Num(Some(row.value)),
            Cell::Bool(row.highlighted),
            Cell::text(row.source),
        ]);
    }
    for a in &r.missing {
        t.push(vec![
            Cell::Empty,
            Cell::text(a),
            Cell::Empty,
            Cell::Num(None),
            Cell::Bool(r.area.as_ref() == Some(a)),
            Cell::Empty,
        ]);
    }
    t
}

/// The ranking as a JSON-stat dataset: area (ranked, then those without a value) × period (the
/// year) × gender; the ranks are in `extension`.
fn ranking_cube(r: &Ranking, names: &HashMap<String, styrhub_domain::kpi::Area>) -> Cube {
    let label = |a: &str| names.get(a).map(|n| n.title.clone()).unwrap_or_else(|| a.to_owned());
    let areas: Vec<(String, String)> = r
        .rows
        .iter()
        .map(|row| row.area.as_str())
        .chain(r.missing.iter().map(String::as_str))
        .map(|a| (a.to_owned(), label(a)))
        .collect();
    let year = r.year.to_string();
    let gender = styrhub_domain::ids::Gender::parse(r.gender).map(gender_label).unwrap_or(r.gender);
    let ranks: serde_json::Map<String, serde_json::Value> = r.rows.iter().map(|row| (row.area.clone(), json!(row.rank))).collect();
    let mut cube = Cube::new(
        format!("{} {year}", r.title.clone().unwrap_or_else(|| r.kpi.clone())),
        vec![
            Dimension::new("area", "area", areas),
            Dimension::new("period", "year", vec![(year.clone(), year.clone())]),
            Dimension::new("gender", "gender", vec![(r.gender.to_owned(), gender.to_owned())]),
        ],
    )
    .role("geo", "area")
    .role("time", "period")
    .extension(json!({ "kpi": r.kpi, "order": r.order, "highlighted": r.area, "rank": ranks }));
    for row in &r.rows {
        cube.set(&[&row.area, &year, r.gender], Some(row.value), s::value_status(None, row.source));
    }
    cube
}

or_jsonstat!(
    /// A ranking, or the same as JSON-stat.
    RankingAnswer,
    Ranking
);
