//! Which format an answer comes in, and the answers themselves: JSON (the default), CSV (plain,
//! or Excel's variant with a BOM, `;` and decimal commas) and JSON-stat 2.0.
//!
//! `?format=` wins over the `Accept` header. An unknown or unavailable `?format=` is a 400
//! naming `format`; an `Accept` header that names nothing offered falls back to JSON, as a
//! preference should.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::rest::csv::Table;
use crate::rest::jsonstat::Cube;
use crate::rest::problem::Problem;

/// An answer's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json`.
    Json,
    /// `text/csv`, UTF-8, comma-separated, with a header row.
    Csv,
    /// `text/csv` for Excel: a BOM, `;` between fields and decimal commas.
    CsvExcel,
    /// JSON-stat 2.0, class `dataset`.
    JsonStat,
}

impl Format {
    /// Data answers (series, rankings, goal status) come in every format.
    pub const DATA: &'static [Format] = &[Format::Json, Format::Csv, Format::CsvExcel, Format::JsonStat];
    /// Lists come as JSON or CSV.
    pub const LIST: &'static [Format] = &[Format::Json, Format::Csv, Format::CsvExcel];
    /// Single resources and trees come as JSON only.
    pub const JSON: &'static [Format] = &[Format::Json];

    /// The name `?format=` takes.
    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
            Self::CsvExcel => "csv-excel",
            Self::JsonStat => "jsonstat",
        }
    }

    /// The format of a `?format=` name, exactly as [`Format::name`] spells it.
    fn parse(s: &str) -> Option<Self> {
        [Self::Json, Self::Csv, Self::CsvExcel, Self::JsonStat]
            .into_iter()
            .find(|f| f.name() == s)
    }

    /// The format a media range asks for, if any.
    fn from_media(media: &str) -> Option<Self> {
        match media {
            "application/json" | "application/*" | "*/*" => Some(Self::Json),
            "text/csv" | "text/*" => Some(Self::Csv),
            m if m.contains("json-stat") || m.contains("jsonstat") || m == "application/json+stat" => Some(Self::JsonStat),
            _ => None,
        }
    }
}

/// `?format=` of a list (the document's; [`Negotiated`] reads it): overrides `Accept`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFormatParam {
    /// `json` (the default), `csv` or `csv-excel` (BOM, `;`, decimal comma). `Accept: text/csv`
    /// works too.
    #[param(value_type = Option<ListFormatName>)]
    pub format: Option<String>,
}

/// `?format=` of data (series, rankings, goal status): overrides `Accept`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DataFormatParam {
    /// `json` (the default), `csv`, `csv-excel` (BOM, `;`, decimal comma) or `jsonstat`
    /// (JSON-stat 2.0). `Accept: text/csv` works too.
    #[param(value_type = Option<DataFormatName>)]
    pub format: Option<String>,
}

/// The formats of a list ([`Format::LIST`]).
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum ListFormatName {
    /// JSON.
    Json,
    /// CSV.
    Csv,
    /// CSV for Excel.
    CsvExcel,
}

/// The formats of data ([`Format::DATA`]).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum DataFormatName {
    /// JSON.
    Json,
    /// CSV.
    Csv,
    /// CSV for Excel.
    #[schema(rename = "csv-excel")]
    CsvExcel,
    /// JSON-stat 2.0.
    JsonStat,
}

/// What the request asks for: `?format=` and the `Accept` header, resolved by
/// [`Negotiated::pick`] against what a resource offers.
#[derive(Debug, Clone, Default)]
pub struct Negotiated {
    format: Option<String>,
    accept: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Negotiated {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        // A malformed query string is reported by the handler's own parameters.
        let format = parts
            .uri
            .query()
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "format").map(|(_, v)| v));
        let accept = parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Self { format, accept })
    }
}

impl Negotiated {
    /// The format to answer in, of those `offered` (the first is the default).
    pub fn pick(&self, offered: &[Format]) -> Result<Format, Problem> {
        let names = || offered.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ");
        if let Some(asked) = &self.format {
            return match Format::parse(asked) {
                Some(f) if offered.contains(&f) => Ok(f),
                Some(_) => Err(Problem::invalid(
                    "format",
                    format!("`{asked}` is not available for this resource (it offers {})", names()),
                )),
                None => Err(Problem::invalid(
                    "format",
                    format!(
                        "`{asked}` is not a format (json, csv, csv-excel or jsonstat; this resource offers {})",
                        names()
                    ),
                )),
            };
        }
        let Some(accept) = &self.accept else { return Ok(offered[0]) };
        // Media ranges by quality, highest first; equal qualities keep their order.
        let mut ranges: Vec<(f32, String)> = accept
            .split(',')
            .filter_map(|range| {
                let mut parts = range.split(';');
                let media = parts.next()?.trim().to_ascii_lowercase();
                let q = parts
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((q, media))
            })
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(ranges
            .iter()
            .filter(|(q, _)| *q > 0.0)
            .filter_map(|(_, m)| Format::from_media(m))
            .find(|f| offered.contains(f))
            .unwrap_or(offered[0]))
    }
}

/// A JSON answer.
pub fn json<T: Serialize>(body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes).into_response(),
        Err(e) => Problem::from(styrhub_domain::RepoError::Internal(format!("cannot encode JSON: {e}"))).into_response(),
    }
}

/// A CSV answer (plain or for Excel), offered for download as `{name}.csv`.
pub fn csv(format: Format, name: &str, table: &Table) -> Response {
    let excel = format == Format::CsvExcel;
    match table.to_csv(excel) {
        Ok(bytes) => {
            let disposition = format!("attachment; filename=\"{name}.csv\"");
            let mut res = (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
                )],
                bytes,
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) => Problem::from(styrhub_domain::RepoError::Internal(format!("cannot write CSV: {e}"))).into_response(),
    }
}

/// A JSON-stat 2.0 answer.
pub fn jsonstat(cube: &Cube) -> Response {
    json(&cube.to_json())
}

/// Answers in `format`: JSON from `body`, CSV from `table()`, JSON-stat from `cube()`. Only
/// the format asked for is built.
pub fn answer<T: Serialize>(format: Format, name: &str, body: &T, table: impl FnOnce() -> Table, cube: impl FnOnce() -> Cube) -> Response {
    match format {
        Format::Json => json(body),
        Format::Csv | Format::CsvExcel => csv(format, name, &table()),
        Format::JsonStat => jsonstat(&cube()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn negotiated(format: Option<&str>, accept: Option<&str>) -> Negotiated {
        Negotiated {
            format: format.map(Into::into),
            accept: accept.map(Into::into),
        }
    }

    #[test]
    fn the_query_wins_over_the_accept_header() {
        let n = negotiated(Some("csv-excel"), Some("application/json"));
        assert_eq!(n.pick(Format::DATA).unwrap(), Format::CsvExcel);
    }

    #[test]
    fn accept_ranges_are_read_by_quality() {
        let n = negotiated(None, Some("application/json;q=0.5, text/csv"));
        assert_eq!(n.pick(Format::DATA).unwrap(), Format::Csv);
        let n = negotiated(None, Some("text/html, */*;q=0.8"));
        assert_eq!(n.pick(Format::DATA).unwrap(), Format::Json);
    }

    #[test]
    fn an_accept_header_naming_nothing_offered_falls_back_to_json() {
        let n = negotiated(None, Some("text/csv"));
        assert_eq!(n.pick(Format::JSON).unwrap(), Format::Json);
    }

    #[test]
    fn an_unknown_or_unavailable_format_names_the_parameter() {
        let p = negotiated(Some("xml"), None).pick(Format::DATA).unwrap_err();
        assert_eq!(p.parameter.as_deref(), Some("format"));
        assert_eq!(p.status, 400);
        let p = negotiated(Some("jsonstat"), None).pick(Format::LIST).unwrap_err();
        assert!(p.detail.contains("not available"), "{}", p.detail);
    }
}
