//! `/api/v1/areas`: the areas values are measured for, and the look-ups other resources use to
//! name areas and to tell a known area from a typo.
//!
//! Areas come from the `area` table (filled by Kolada syncs: municipalities K, regions and the
//! country L, municipality groups G, organisational units OU). The municipalities of the hub's
//! own governance chains and the whole country (0000, Riket) are known even before any sync,
//! so that a freshly loaded demo can be asked for its series.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use styrhub_domain::ids::AreaCode;
use styrhub_domain::kpi::{Area, AreaFilter};
use styrhub_domain::RepoError;
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::read::Ports;
use crate::reads::Reads;
use crate::rest::csv::{Cell, Table};
use crate::rest::formats::{csv, json, Format, ListFormatParam, Negotiated};
use crate::rest::page::{cursor_problem, link_next, Page, PageParams};
use crate::rest::params::{parse_list, parse_municipality_code, AreaTypeParam, MunicipalityCodeParam, Params};
use crate::rest::problem::Problem;

/// The name of the whole country.
const COUNTRY_NAME: &str = "Riket";

/// An area values are measured for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaOut {
    /// The code: 1489 (a municipality), 0000 (the country), G92790 (a group), V15E148900101 (a
    /// unit).
    pub code: String,
    /// The name, e.g. Alingsås or Riket.
    pub title: String,
    /// K municipality, L region or the country, G municipality group, OU organisational unit.
    #[serde(rename = "type")]
    pub area_type: String,
    /// For an organisational unit: its municipality's code.
    pub parent: Option<String>,
}

impl From<Area> for AreaOut {
    fn from(a: Area) -> Self {
        Self {
            code: a.code,
            title: a.title,
            area_type: a.area_type,
            parent: a.parent,
        }
    }
}

/// Which areas to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AreaParams {
    /// Only these types, comma-separated: K, L, G, OU.
    #[serde(rename = "type")]
    #[param(value_type = Option<Vec<AreaTypeParam>>, style = Form, explode = false, min_items = 1)]
    pub area_type: Option<String>,
    /// Only the organisational units of this municipality, e.g. 1489.
    #[param(value_type = Option<MunicipalityCodeParam>)]
    pub parent: Option<String>,
    /// Code or name containing this text (case-insensitive).
    #[param(pattern = r"^[^\u0000]*$")]
    pub q: Option<String>,
}

/// The areas the hub names without any stored metadata: its municipalities and the country
/// (see `SeriesReader::areas_page`).
pub async fn fallbacks(ports: &Ports) -> Result<Vec<Area>, RepoError> {
    let mut extra: Vec<Area> = ports
        .governance
        .municipalities()
        .await?
        .into_iter()
        .filter_map(|m| {
            m.municipality_code.map(|code| Area {
                code,
                title: m.name,
                area_type: "K".into(),
                parent: None,
            })
        })
        .collect();
    extra.push(country());
    Ok(extra)
}

fn country() -> Area {
    Area {
        code: AreaCode::COUNTRY.into(),
        title: COUNTRY_NAME.into(),
        area_type: "L".into(),
        parent: None,
    }
}

/// The areas among `codes` the hub knows, by code: stored areas, the hub's municipalities and
/// the country. One or two statements.
pub async fn known(ports: &Ports, codes: &[AreaCode]) -> Result<HashMap<String, Area>, RepoError> {
    let stored = ports.series.areas_by_codes(codes).await?;
    complete(ports, codes, stored).await
}

/// The areas named so far (`named`), by code, with the country when `codes` has it: what
/// [`known`] answers when the hub's municipalities were read with the stored areas (see
/// `SeriesReader::kpi_series`).
pub fn with_country(codes: &[AreaCode], named: Vec<Area>) -> HashMap<String, Area> {
    let mut found: HashMap<String, Area> = named.into_iter().map(|a| (a.code.clone(), a)).collect();
    if codes.iter().any(|c| c.as_str() == AreaCode::COUNTRY) {
        found.entry(AreaCode::COUNTRY.into()).or_insert_with(country);
    }
    found
}

/// [`known`] from the stored areas among `codes`, read already: adds the country and, only
/// when a municipality among `codes` is not stored, the hub's own municipalities (one
/// statement).
pub async fn complete(ports: &Ports, codes: &[AreaCode], stored: Vec<Area>) -> Result<HashMap<String, Area>, RepoError> {
    let mut found = with_country(codes, stored);
    if codes.iter().any(|c| c.is_municipality() && !found.contains_key(c.as_str())) {
        for m in ports.governance.municipalities().await? {
            if let Some(code) = m.municipality_code.filter(|c| codes.iter().any(|w| w.as_str() == c)) {
                found.entry(code.clone()).or_insert(Area {
                    code,
                    title: m.name,
                    area_type: "K".into(),
                    parent: None,
                });
            }
        }
    }
    Ok(found)
}

/// Lists areas.
#[utoipa::path(
    get,
    path = "/api/v1/areas",
    operation_id = "list_areas",
    tag = "areas",
    params(AreaParams, PageParams, ListFormatParam),
    responses(
        (status = 200, description = "A page of areas, by code.", content(
            (Page<AreaOut> = "application/json"),
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
    Params(p): Params<AreaParams>,
    Params(page): Params<PageParams>,
) -> Result<Response, Problem> {
    let format = negotiated.pick(Format::LIST)?;
    let page = page.keyset(state.http.limits.max_page_size)?;
    let limit = page.size();
    let types = match p.area_type.as_deref() {
        Some(raw) => Some(
            parse_list("type", raw)?
                .into_iter()
                .map(|t| match t {
                    "K" | "L" | "G" | "OU" => Ok(t.to_owned()),
                    other => Err(Problem::invalid("type", format!("`{other}` is not an area type (K, L, G or OU)"))),
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let filter = AreaFilter {
        types,
        parent: p
            .parent
            .as_deref()
            .map(|c| parse_municipality_code("parent", c))
            .transpose()?
            .map(str::to_owned),
        text: p.q,
    };
    let found = reads
        .series
        .areas_page(&filter, &fallbacks(&reads).await?, &page)
        .await
        .map_err(cursor_problem)?;
    let page = Page::keyset(found, limit).map(AreaOut::from);
    let res = match format {
        Format::Json => json(&page),
        _ => {
            let mut t = Table::new(&["code", "title", "type", "parent"]);
            for a in &page.items {
                t.push(vec![
                    Cell::text(&a.code),
                    Cell::text(&a.title),
                    Cell::text(&a.area_type),
                    Cell::opt(a.parent.as_ref()),
                ]);
            }
            csv(format, "areas", &t)
        }
    };
    Ok(link_next(res, &uri, page.next_cursor.as_deref()))
}
