//! Comparison groups over REST: the stored groups, and a key figure's or an indicator's figures
//! over a group year by year (mean, median, spread, and an area's rank and percentile), as
//! JSON, CSV and JSON-stat.

use axum::extract::Path;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;
use styrhub_domain::area_group::AreaGroup;
use styrhub_domain::ids::{AreaCode, Gender};
use styrhub_domain::indicator::Direction;
use styrhub_domain::kpi::{GroupFigure, GroupRank};
use utoipa::{IntoParams, ToSchema};

use crate::read::groups;
use crate::read::loaders::Loaders;
use crate::reads::Reads;
use crate::rest::csv::{Cell, Table};
use crate::rest::formats::{answer, csv, json, DataFormatParam, Format, ListFormatParam, Negotiated};
use crate::rest::gender_label;
use crate::rest::jsonstat::{or_jsonstat, Cube, Dimension};
use crate::rest::params::{
    parse_area, parse_areas, parse_genders, parse_municipality_code, parse_year, AreaCodeParam, GenderParam, MunicipalityCodeParam,
    OrderParam, Params, PlaceCodeParam,
};
use crate::rest::problem::Problem;
use crate::rest::series::About;

/// Most areas and groups one group parameter may list.
const MAX_GROUP: usize = 500;

/// `group` named a group whose members the hub does not store: 404.
pub fn unknown_group(code: &AreaCode) -> Problem {
    Problem::names_nothing("group", format!("group: {}", groups::unknown_group(code)))
}

// ----- The stored groups ------------------------------------------------------------------------

/// Which groups to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupListParams {
    /// A municipality code, e.g. 1489: Kolada's groups and that municipality's own.
    #[param(value_type = Option<MunicipalityCodeParam>)]
    pub municipality: Option<String>,
}

/// One membership: an area in a group for some years.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembershipOut {
    /// The member's area code.
    pub area: String,
    /// The first year it belongs; null: from before the hub knew the group.
    pub from: Option<i32>,
    /// The last year; null: still.
    pub to: Option<i32>,
}

/// A comparison group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupOut {
    /// `G92790` (Kolada's) or `1489:jamforelsekommuner` (a municipality's own).
    pub code: String,
    /// The title.
    pub title: String,
    /// `kolada` or `own`.
    pub source: String,
    /// The owning municipality (own groups).
    pub owner: Option<String>,
    /// The first year the group holds.
    pub valid_from: Option<i32>,
    /// The last year it holds.
    pub valid_to: Option<i32>,
    /// Every membership with its years.
    pub members: Vec<MembershipOut>,
}

impl From<AreaGroup> for GroupOut {
    fn from(g: AreaGroup) -> Self {
        Self {
            code: g.code.to_string(),
            title: g.title,
            source: g.source.as_str().to_owned(),
            owner: g.owner,
            valid_from: g.valid_from,
            valid_to: g.valid_to,
            members: g
                .members
                .into_iter()
                .map(|m| MembershipOut {
                    area: m.member,
                    from: (m.valid_from > 0).then_some(m.valid_from),
                    to: m.valid_to,
                })
                .collect(),
        }
    }
}

/// The stored comparison groups with their members, by code.
#[utoipa::path(
    get,
    path = "/api/v1/groups",
    operation_id = "list_groups",
    tag = "groups",
    params(GroupListParams, ListFormatParam),
    responses(
        (status = 200, description = "The groups, by code.", content(
            (Vec<GroupOut> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`."),
        (status = 400, description = "A bad parameter: municipality or format.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(reads: Reads, negotiated: Negotiated, Params(p): Params<GroupListParams>) -> Result<Response, Problem> {
    let format = negotiated.pick(Format::LIST)?;
    let owner = p
        .municipality
        .as_deref()
        .map(|m| parse_municipality_code("municipality", m))
        .transpose()?;
    let found: Vec<GroupOut> = reads.series.area_groups(owner).await?.into_iter().map(GroupOut::from).collect();
    Ok(match format {
        Format::Json => json(&found),
        _ => {
            let mut t = Table::new(&["group", "title", "source", "owner", "member", "from", "to"]);
            for g in &found {
                for m in &g.members {
                    t.push(vec![
                        Cell::text(&g.code),
                        Cell::text(&g.title),
                        Cell::text(&g.source),
                        Cell::opt(g.owner.as_ref()),
                        Cell::text(&m.area),
                        m.from.map_or(Cell::Num(None), |y| Cell::Int(i64::from(y))),
                        m.to.map_or(Cell::Num(None), |y| Cell::Int(i64::from(y))),
                    ]);
                }
            }
            csv(format, "groups", &t)
        }
    })
}

// ----- A group's figures ------------------------------------------------------------------------

/// Which group's figures, over which years, and whose place in it.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupSeriesParams {
    /// The group, comma-separated (at most 500): areas, e.g. `1440,1441,1482`, and stored groups
    /// (`G…`, `1489:jamforelsekommuner`), each standing for its members of each year.
    #[param(required, value_type = Option<Vec<AreaCodeParam>>, style = Form, explode = false, min_items = 1, max_items = 500)]
    pub group: Option<String>,
    /// An area whose rank and percentile in the group to give each year, e.g. 1489 (a place,
    /// not a group); ranked with the group's members when it is not one of them.
    #[param(value_type = Option<PlaceCodeParam>)]
    pub area: Option<String>,
    /// First year, e.g. 2015. A `from` after `to` leaves no year.
    #[param(value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub from: Option<String>,
    /// Last year, e.g. 2022.
    #[param(value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub to: Option<String>,
    /// The gender: T (total, the default), K (women) or M (men).
    #[param(value_type = Option<GenderParam>)]
    pub gender: Option<String>,
    /// Which value ranks first: `desc` (the highest) or `asc` (the lowest). By default an
    /// indicator's desired direction, and the highest first for a bare key figure.
    #[param(value_type = Option<OrderParam>)]
    pub order: Option<String>,
}

/// A group's figures for one year, with the area's place when one was asked for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupFigureOut {
    /// The year.
    pub period: i32,
    /// The group's members that year.
    pub members: u64,
    /// How many of them have a value.
    pub with_value: u64,
    /// The unweighted mean of their values (as Kolada computes a group's value).
    pub mean: f64,
    /// The median.
    pub median: f64,
    /// The lowest value.
    pub min: f64,
    /// The highest value.
    pub max: f64,
    /// The area's value that year.
    pub value: Option<f64>,
    /// The area's rank, 1 being first (`order`); equal values share a rank.
    pub rank: Option<u64>,
    /// How many were ranked: the members with a value, and the area when it is not one.
    pub of: Option<u64>,
    /// Where the area stands, 0 to 100: the share of the others it ranks before or beside.
    pub percentile: Option<f64>,
}

/// A key figure's or an indicator's figures over a group, year by year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupSeries {
    /// The KPI, when the series is one.
    pub kpi: Option<String>,
    /// The indicator, when asked through one.
    pub indicator: Option<i64>,
    /// The title.
    pub title: Option<String>,
    /// The stored groups whose members of each year the figures are over, with their titles.
    pub groups: Vec<GroupName>,
    /// The areas the figures are over in every year.
    pub areas: Vec<String>,
    /// The gender.
    pub gender: String,
    /// The area ranked, if any.
    pub area: Option<String>,
    /// `desc` (the highest value ranks first) or `asc`.
    pub order: &'static str,
    /// Why that order: `parameter`, `desired_direction` (the indicator's) or `default` (a key
    /// figure without a known direction: the highest first).
    pub order_from: &'static str,
    /// One per year in which a member has a value, oldest first.
    pub figures: Vec<GroupFigureOut>,
}

/// A stored group named in an answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupName {
    /// Its code.
    pub code: String,
    /// Its title, when the hub has one.
    pub title: Option<String>,
}

or_jsonstat!(
    /// A group series, or the same as JSON-stat.
    GroupSeriesAnswer,
    GroupSeries
);

/// Which way the area is ranked, and why.
fn order(p: &GroupSeriesParams, direction: Option<Direction>) -> Result<(bool, &'static str), Problem> {
    match p.order.as_deref() {
        Some("desc") => Ok((true, "parameter")),
        Some("asc") => Ok((false, "parameter")),
        Some(other) => Err(Problem::invalid("order", format!("`{other}` is not desc or asc"))),
        None => match direction.and_then(Direction::higher_first) {
            Some(higher) => Ok((higher, "desired_direction")),
            None => Ok((true, "default")),
        },
    }
}

/// The group series of `about` (a KPI's or an indicator's series), ranked by `direction` when
/// no order is asked for. `known`: whether the series exists though it has no value.
pub async fn answer_for(
    reads: &Reads,
    about: About,
    known: bool,
    direction: Option<Direction>,
    p: GroupSeriesParams,
    format: Format,
) -> Result<Response, Problem> {
    let Some(raw) = &p.group else {
        return Err(Problem::invalid(
            "group",
            "give the group: a stored group (G…, 1489:jamforelsekommuner) or areas, e.g. group=1440,1441,1482",
        ));
    };
    let ports: &crate::read::Ports = reads;
    let spec = groups::spec(ports, parse_areas("group", raw, MAX_GROUP)?)
        .await?
        .map_err(|g| unknown_group(&g))?;
    let area = p.area.as_deref().map(|a| parse_area("area", a)).transpose()?;
    if area.as_ref().is_some_and(AreaCode::is_group) {
        return Err(Problem::invalid("area", "rank one area, not a group, e.g. area=1489"));
    }
    let from = p.from.as_deref().map(|y| parse_year("from", y)).transpose()?;
    let to = p.to.as_deref().map(|y| parse_year("to", y)).transpose()?;
    let genders = parse_genders(p.gender.as_deref())?;
    let [gender] = genders[..] else {
        return Err(Problem::invalid("gender", "one gender at a time: T, K or M"));
    };
    let (higher_first, order_from) = order(&p, direction)?;
    let query = groups::GroupQuery {
        spec: &spec,
        area: area.as_ref(),
        higher_first,
        gender,
        from,
        to,
    };
    let figures = groups::figures(ports, &about.series, &query).await?;
    if !known && figures.is_empty() {
        return Err(Problem::not_found(match (&about.kpi, about.indicator) {
            (Some(k), _) => format!("KPI {k}"),
            (None, Some(i)) => format!("indicator {i}"),
            _ => "series".to_owned(),
        }));
    }
    let mut names = Vec::new();
    for code in &spec.stored {
        let title = ports.series.area_group(code).await?.map(|g| g.title);
        names.push(GroupName {
            code: code.to_string(),
            title,
        });
    }
    let body = GroupSeries {
        kpi: about.kpi.clone(),
        indicator: about.indicator,
        title: about.title.clone(),
        groups: names,
        areas: spec.areas.iter().map(|a| a.to_string()).collect(),
        gender: gender.code().to_owned(),
        area: area.map(|a| a.to_string()),
        order: if higher_first { "desc" } else { "asc" },
        order_from,
        figures: figures.iter().map(|(f, rank)| figure_out(f, rank.as_ref())).collect(),
    };
    let name = match (&body.kpi, body.indicator) {
        (_, Some(i)) => format!("indicator-{i}-group"),
        (Some(k), None) => format!("{k}-group"),
        _ => "group".to_owned(),
    };
    Ok(answer(format, &name, &body, || table(&body), || cube(&body, gender)))
}

fn figure_out(f: &GroupFigure, rank: Option<&GroupRank>) -> GroupFigureOut {
    GroupFigureOut {
        period: f.period,
        members: f.members,
        with_value: f.with_value,
        mean: f.mean,
        median: f.median,
        min: f.min,
        max: f.max,
        value: rank.map(|r| r.value),
        rank: rank.map(|r| r.rank),
        of: rank.map(|r| r.of),
        percentile: rank.map(GroupRank::percentile),
    }
}

fn table(g: &GroupSeries) -> Table {
    let mut t = Table::new(&[
        "series",
        "period",
        "gender",
        "members",
        "with_value",
        "mean",
        "median",
        "min",
        "max",
        "area",
        "value",
        "rank",
        "of",
        "percentile",
    ]);
    let series = g.kpi.clone().or(g.indicator.map(|i| format!("indicator:{i}"))).unwrap_or_default();
    let int = |v: Option<u64>| v.map_or(Cell::Num(None), |v| Cell::Int(v as i64));
    for f in &g.figures {
        t.push(vec![
            Cell::text(&series),
            Cell::Int(i64::from(f.period)),
            Cell::text(&g.gender),
            Cell::Int(f.members as i64),
            Cell::Int(f.with_value as i64),
            Cell::Num(Some(f.mean)),
            Cell::Num(Some(f.median)),
            Cell::Num(Some(f.min)),
            Cell::Num(Some(f.max)),
            Cell::opt(g.area.as_ref()),
            Cell::Num(f.value),
            int(f.rank),
            int(f.of),
            Cell::Num(f.percentile),
        ]);
    }
    t
}

/// The measures of a group series as JSON-stat: one per figure, the area's among them when
/// one was ranked.
fn cube(g: &GroupSeries, gender: Gender) -> Cube {
    let mut measures: Vec<(&str, &str)> = vec![
        ("members", "members"),
        ("with_value", "members with a value"),
        ("mean", "mean"),
        ("median", "median"),
        ("min", "lowest value"),
        ("max", "highest value"),
    ];
    if g.area.is_some() {
        measures.extend([
            ("value", "the area's value"),
            ("rank", "the area's rank"),
            ("of", "ranked"),
            ("percentile", "the area's percentile"),
        ]);
    }
    let periods: Vec<(String, String)> = g.figures.iter().map(|f| (f.period.to_string(), f.period.to_string())).collect();
    let groups: Vec<String> = g
        .groups
        .iter()
        .map(|n| n.title.clone().unwrap_or_else(|| n.code.clone()))
        .chain(g.areas.iter().cloned())
        .collect();
    let mut cube = Cube::new(
        format!("{} – {}", g.title.clone().or(g.kpi.clone()).unwrap_or_default(), groups.join(", ")),
        vec![
            Dimension::new("period", "year", periods),
            Dimension::new("gender", "gender", vec![(g.gender.clone(), gender_label(gender).to_owned())]),
            Dimension::new("measure", "measure", measures.iter().map(|(c, l)| ((*c).to_owned(), (*l).to_owned())).collect()),
        ],
    )
    .role("time", "period")
    .role("metric", "measure")
    .extension(json!({ "kpi": g.kpi, "indicator": g.indicator, "groups": g.groups.iter().map(|n| &n.code).collect::<Vec<_>>(), "areas": g.areas, "area": g.area, "order": g.order }));
    for f in &g.figures {
        let period = f.period.to_string();
        let mut set = |m: &str, v: Option<f64>| cube.set(&[&period, &g.gender, m], v, None);
        set("members", Some(f.members as f64));
        set("with_value", Some(f.with_value as f64));
        set("mean", Some(f.mean));
        set("median", Some(f.median));
        set("min", Some(f.min));
        set("max", Some(f.max));
        set("value", f.value);
        set("rank", f.rank.map(|r| r as f64));
        set("of", f.of.map(|r| r as f64));
        set("percentile", f.percentile);
    }
    cube
}

/// An indicator's figures over a group, year by year, with an area's rank in its desired
/// direction: computed by the database over the stored values of the group's members of each
/// year.
#[utoipa::path(
    get,
    path = "/api/v1/indicators/{id}/group-series",
    operation_id = "indicator_group_series",
    tag = "indicators",
    params(("id" = i64, Path, description = "Indicator id."), GroupSeriesParams, DataFormatParam),
    responses(
        (status = 200, description = "The group's figures, year by year.", content(
            (GroupSeriesAnswer = "application/json"),
            (String = "text/csv"),
        )),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`."),
        (status = 400, description = "A bad parameter: group, area, from, to, gender, order or format.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such indicator, or a group whose members the hub does not store (`group`).", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn indicator_group_series(
    reads: Reads,
    Path(id): Path<String>,
    negotiated: Negotiated,
    Params(p): Params<GroupSeriesParams>,
) -> Result<Response, Problem> {
    let format = negotiated.pick(Format::DATA)?;
    let l = Loaders::new(&reads);
    let i = crate::rest::indicators::indicator(&l, &id).await?;
    let about = About {
        series: i.series(),
        kpi: i.kpi.as_ref().map(|k| k.to_string()),
        indicator: Some(i.id),
        title: Some(i.title.clone()),
        unit: i.unit.clone(),
    };
    answer_for(&reads, about, true, Some(i.direction), p, format).await
}
