//! Series of a KPI or an indicator over areas, years and genders, and their answers in every
//! format: JSON, CSV (one row per value) and JSON-stat (area × period × gender).

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::json;
use styrhub_domain::ids::{AreaCode, Gender};
use styrhub_domain::kpi::Area;
use styrhub_domain::observation::SeriesRef;
use styrhub_domain::observation::ValueSource;
use styrhub_domain::series::{Point, SeriesDigest};
use utoipa::{IntoParams, ToSchema};

use crate::read::Ports;
use crate::rest::areas::known;
use crate::rest::csv::{Cell, Table};
use crate::rest::gender_label;
use crate::rest::jsonstat::{or_jsonstat, Cube, Dimension};
use crate::rest::params::{parse_areas, parse_genders, parse_year, AreaCodeParam, GenderParam};
use crate::rest::problem::Problem;

/// Most areas one series request may name.
pub const MAX_AREAS: usize = 50;

/// Which values of an indicator's series.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesParams {
    /// Area codes, comma-separated, e.g. `1489,0000` (at most 50); the indicator's
    /// municipality and 0000 when left out.
    #[serde(alias = "areas")]
    #[param(value_type = Option<Vec<AreaCodeParam>>, style = Form, explode = false, min_items = 1, max_items = 50)]
    pub area: Option<String>,
    /// First year, e.g. 2015. A `from` after `to` leaves no year: every series comes back empty.
    #[param(value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub from: Option<String>,
    /// Last year, e.g. 2024.
    #[param(value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub to: Option<String>,
    /// Genders, comma-separated: T (total, the default), K (women), M (men).
    #[param(value_type = Option<Vec<GenderParam>>, style = Form, explode = false, min_items = 1)]
    pub gender: Option<String>,
}

/// Which values of a key figure's series: as [`SeriesParams`], with the areas required.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiSeriesParams {
    /// Area codes, comma-separated, e.g. `1489,0000` (at most 50).
    #[serde(alias = "areas")]
    #[param(required, value_type = Option<Vec<AreaCodeParam>>, style = Form, explode = false, min_items = 1, max_items = 50)]
    pub area: Option<String>,
    /// First year, e.g. 2015. A `from` after `to` leaves no year: every series comes back empty.
    #[param(value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub from: Option<String>,
    /// Last year, e.g. 2024.
    #[param(value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub to: Option<String>,
    /// Genders, comma-separated: T (total, the default), K (women), M (men).
    #[param(value_type = Option<Vec<GenderParam>>, style = Form, explode = false, min_items = 1)]
    pub gender: Option<String>,
}

impl From<KpiSeriesParams> for SeriesParams {
    fn from(p: KpiSeriesParams) -> Self {
        Self {
            area: p.area,
            from: p.from,
            to: p.to,
            gender: p.gender,
        }
    }
}

/// A parsed series request.
#[derive(Debug, Clone)]
pub struct SeriesRequest {
    /// The areas, in the order asked for.
    pub areas: Vec<AreaCode>,
    /// First year.
    pub from: Option<i32>,
    /// Last year.
    pub to: Option<i32>,
    /// The genders, in the order asked for.
    pub genders: Vec<Gender>,
}

impl SeriesParams {
    /// Parses the parameters; `default_areas` stand in when `area` is not given.
    pub fn parse(&self, default_areas: Option<Vec<AreaCode>>) -> Result<SeriesRequest, Problem> {
        let areas = match (&self.area, default_areas) {
            (Some(raw), _) => parse_areas("area", raw, MAX_AREAS)?,
            (None, Some(d)) => d,
            (None, None) => return Err(Problem::invalid("area", "give one or more area codes, e.g. area=1489,0000")),
        };
        let from = self.from.as_deref().map(|y| parse_year("from", y)).transpose()?;
        let to = self.to.as_deref().map(|y| parse_year("to", y)).transpose()?;
        Ok(SeriesRequest {
            areas,
            from,
            to,
            genders: parse_genders(self.gender.as_deref())?,
        })
    }
}

/// One value.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PointOut {
    /// The year.
    pub period: i32,
    /// The value; null when missing (zero is a value).
    pub value: Option<f64>,
    /// The source's status flag, such as "Missing".
    pub status: Option<String>,
    /// Where the value came from: kolada, file, manual, or example (generated demo values, not
    /// real figures).
    pub source: &'static str,
}

impl From<&Point> for PointOut {
    fn from(p: &Point) -> Self {
        Self {
            period: p.period,
            value: p.value,
            status: p.status.clone(),
            source: p.source.as_str(),
        }
    }
}

/// The values of one area and gender, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeriesOut {
    /// The area code.
    pub area: String,
    /// The area's name.
    pub area_title: Option<String>,
    /// T, K or M.
    pub gender: &'static str,
    /// The values, oldest first; empty when the area has none.
    pub points: Vec<PointOut>,
}

/// The values of a KPI or an indicator for some areas and genders.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeriesSet {
    /// The key values are stored under: `kpi:N00090` or `indicator:42`.
    pub series_key: String,
    /// The KPI, when the values are a KPI's.
    pub kpi: Option<String>,
    /// The indicator, for an indicator's series.
    pub indicator: Option<i64>,
    /// The KPI's or indicator's title, when known.
    pub title: Option<String>,
    /// The unit, when known (indicators).
    pub unit: Option<String>,
    /// First year asked for.
    pub from: Option<i32>,
    /// Last year asked for.
    pub to: Option<i32>,
    /// One series per area and gender, in the order asked for (areas first).
    pub series: Vec<SeriesOut>,
}

/// What a series is of, for its title and labels.
#[derive(Debug, Clone)]
pub struct About {
    /// The KPI or indicator.
    pub series: SeriesRef,
    /// The KPI id.
    pub kpi: Option<String>,
    /// The indicator id.
    pub indicator: Option<i64>,
    /// The title.
    pub title: Option<String>,
    /// The unit.
    pub unit: Option<String>,
}

/// Loads the series: one statement for the values, one or two to name the areas. An area that
/// is neither known to the hub nor has values is a bad `area` parameter.
pub async fn load(ports: &Ports, about: About, req: &SeriesRequest) -> Result<SeriesSet, Problem> {
    let digests = ports
        .series
        .digests(std::slice::from_ref(&about.series), &req.areas, &req.genders)
        .await?;
    let names = known(ports, &req.areas).await?;
    assemble(about, req, &digests, &names)
}

/// The first of `areas` that the hub neither knows (`names`) nor has values for (`digests`).
pub fn first_unknown<'a>(areas: &'a [AreaCode], digests: &[SeriesDigest], names: &HashMap<String, Area>) -> Option<&'a AreaCode> {
    areas
        .iter()
        .find(|a| !names.contains_key(a.as_str()) && !digests.iter().any(|d| &d.area == *a))
}

/// `parameter` named an area the hub neither knows nor has values for: 404.
pub fn unknown_area(parameter: &str, code: &AreaCode) -> Problem {
    Problem::names_nothing(
        parameter,
        format!("{parameter}: `{code}` is not an area the hub knows or has values for (see /api/v1/areas)"),
    )
}

/// The answer from what was read: one series per area and gender asked for, in that order,
/// each cut to the years asked for. An area that is neither known (`names`) nor has values is
/// a 404 naming the `area` parameter: the code is well formed, it names nothing.
pub fn assemble(about: About, req: &SeriesRequest, digests: &[SeriesDigest], names: &HashMap<String, Area>) -> Result<SeriesSet, Problem> {
    if let Some(unknown) = first_unknown(&req.areas, digests, names) {
        return Err(unknown_area("area", unknown));
    }
    let mut series = Vec::with_capacity(req.areas.len() * req.genders.len());
    for area in &req.areas {
        for &gender in &req.genders {
            let points = digests
                .iter()
                .find(|d| &d.area == area && d.gender == gender)
                .map(|d| {
                    d.points
                        .iter()
                        .filter(|p| req.from.is_none_or(|f| p.period >= f) && req.to.is_none_or(|t| p.period <= t))
                        .map(PointOut::from)
                        .collect()
                })
                .unwrap_or_default();
            series.push(SeriesOut {
                area: area.to_string(),
                area_title: names.get(area.as_str()).map(|a| a.title.clone()),
                gender: gender.code(),
                points,
            });
        }
    }
    Ok(SeriesSet {
        series_key: about.series.key(),
        kpi: about.kpi,
        indicator: about.indicator,
        title: about.title,
        unit: about.unit,
        from: req.from,
        to: req.to,
        series,
    })
}

/// The file name of a CSV answer, e.g. `kpi-N00090-series`.
pub fn file_name(set: &SeriesSet) -> String {
    match (&set.kpi, set.indicator) {
        (_, Some(i)) => format!("indicator-{i}-series"),
        (Some(k), None) => format!("kpi-{k}-series"),
        (None, None) => "series".into(),
    }
}

/// One row per value: `series_key,area,area_title,gender,period,value,status,source`.
pub fn table(set: &SeriesSet) -> Table {
    let mut t = Table::new(&["series_key", "area", "area_title", "gender", "period", "value", "status", "source"]);
    for s in &set.series {
        for p in &s.points {
            t.push(vec![
                Cell::text(&set.series_key),
                Cell::text(&s.area),
                Cell::opt(s.area_title.as_ref()),
                Cell::text(s.gender),
                Cell::Int(p.period.into()),
                Cell::Num(p.value),
                Cell::opt(p.status.as_ref()),
                Cell::text(p.source),
            ]);
        }
    }
    t
}

/// A JSON-stat value's status: the source's flag, or `example` for generated demo values.
pub fn value_status(status: Option<&str>, source: &str) -> Option<String> {
    status
        .map(str::to_owned)
        .or_else(|| (source == ValueSource::Example.as_str()).then(|| source.to_owned()))
}

/// The series as a JSON-stat dataset: area × period × gender, the periods being every year
/// with a value in any of the series.
pub fn cube(set: &SeriesSet) -> Cube {
    let mut areas: Vec<(String, String)> = Vec::new();
    let mut genders: Vec<(String, String)> = Vec::new();
    let mut periods = BTreeSet::new();
    for s in &set.series {
        if !areas.iter().any(|(c, _)| c == &s.area) {
            areas.push((s.area.clone(), s.area_title.clone().unwrap_or_else(|| s.area.clone())));
        }
        if !genders.iter().any(|(c, _)| c == s.gender) {
            let label = Gender::parse(s.gender).map(gender_label).unwrap_or(s.gender);
            genders.push((s.gender.to_owned(), label.to_owned()));
        }
        periods.extend(s.points.iter().map(|p| p.period));
    }
    let periods: Vec<(String, String)> = periods.into_iter().map(|p| (p.to_string(), p.to_string())).collect();
    let label = set.title.clone().unwrap_or_else(|| set.series_key.clone());
    let mut cube = Cube::new(
        label,
        vec![
            Dimension::new("area", "area", areas),
            Dimension::new("period", "year", periods),
            Dimension::new("gender", "gender", genders),
        ],
    )
    .role("geo", "area")
    .role("time", "period")
    .extension(json!({ "series_key": set.series_key, "kpi": set.kpi, "indicator": set.indicator, "unit": set.unit }));
    for s in &set.series {
        for p in &s.points {
            let period = p.period.to_string();
            cube.set(&[&s.area, &period, s.gender], p.value, value_status(p.status.as_deref(), p.source));
        }
    }
    cube
}

or_jsonstat!(
    /// A series set, or the same as JSON-stat.
    SeriesAnswer,
    SeriesSet
);
