//! Kolada's paging envelope and the walk along `next_url`.
//!
//! v3 answers `{"count", "values", "next_url", "previous_url"}` with null links at the ends; v2
//! answers `{"count", "values", "next_page", "previous_page"}` and leaves the keys out. Both
//! parse here. `count` is the size of this page, not a total, so it is not used.

use std::collections::HashSet;

use reqwest::Url;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::IngestError;

/// Why a body could not be used.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// The body is not a Kolada envelope (an HTML outage page, truncated JSON, no `values`):
    /// worth another try.
    Envelope(String),
    /// The envelope is fine but a row is not: the same answer would come again, so no retry.
    Row(IngestError),
}

/// One page: its rows converted, how many rows it had and where the next page is.
#[derive(Debug)]
pub(crate) struct ParsedPage<O> {
    /// The converted rows (a data row gives up to three observations).
    pub(crate) items: Vec<O>,
    /// The number of rows in `values`; zero ends the walk.
    pub(crate) rows: usize,
    /// `next_url` (v3) or `next_page` (v2), when present and not empty.
    pub(crate) next: Option<String>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    values: Vec<&'a RawValue>,
    #[serde(default)]
    next_url: Option<String>,
    #[serde(default)]
    next_page: Option<String>,
}

/// Parses an envelope and converts each row with `row`, which appends what it makes to the
/// vector. A row that fails is named by its index and its text (shortened).
pub(crate) fn parse_page<O>(
    url: &str,
    body: &[u8],
    row: impl Fn(&str, &mut Vec<O>) -> Result<(), String>,
) -> Result<ParsedPage<O>, BodyError> {
    let env: Envelope<'_> = serde_json::from_slice(body).map_err(|e| BodyError::Envelope(format!("not a Kolada JSON envelope: {e}")))?;
    let mut items = Vec::with_capacity(env.values.len());
    for (i, raw) in env.values.iter().enumerate() {
        row(raw.get(), &mut items).map_err(|message| {
            BodyError::Row(IngestError::Malformed {
                url: url.to_owned(),
                message: format!("row values[{i}] {}: {message}", snippet(raw.get(), 300)),
            })
        })?;
    }
    let next = env.next_url.or(env.next_page).filter(|n| !n.trim().is_empty());
    Ok(ParsedPage {
        items,
        rows: env.values.len(),
        next,
    })
}

/// The first `max` characters of `text` on one line, for error messages.
pub(crate) fn snippet(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

/// Walks one request's pages: hands out the next URL until a page is empty or has no next link,
/// and fails when a link leads back to a page already fetched.
#[derive(Debug)]
pub(crate) struct Pager {
    seen: HashSet<String>,
    next: Option<Url>,
}

impl Pager {
    /// Starts at `first`.
    pub(crate) fn new(first: Url) -> Self {
        let mut seen = HashSet::new();
        seen.insert(first.as_str().to_owned());
        Self { seen, next: Some(first) }
    }

    /// The next URL to fetch, if any.
    pub(crate) fn next_url(&mut self) -> Option<Url> {
        self.next.take()
    }

    /// Records the page fetched from `current`. The link is opaque (a mirror or a test server
    /// points it at itself), but a relative one is resolved against `current`.
    pub(crate) fn advance(&mut self, current: &Url, rows: usize, next: Option<&str>) -> Result<(), IngestError> {
        let Some(next) = next.filter(|_| rows > 0) else {
            self.next = None;
            return Ok(());
        };
        let next = current.join(next.trim()).map_err(|e| IngestError::Malformed {
            url: current.to_string(),
            message: format!("next page link `{next}` is not a URL: {e}"),
        })?;
        if !self.seen.insert(next.as_str().to_owned()) {
            return Err(IngestError::Cycle { url: next.to_string() });
        }
        self.next = Some(next);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KPI_PAGE1: &str = include_str!("../../tests/fixtures/kolada/v3_kpi__paged_page1__SYNTHETIC_koladapy_fixture.json");
    const KPI_PAGE2: &str = include_str!("../../tests/fixtures/kolada/v3_kpi__paged_page2__SYNTHETIC_koladapy_fixture.json");
    const DATA_PAGE1: &str = include_str!("../../tests/fixtures/kolada/v3_data__paged_page1_with_Missing__SYNTHETIC_headroom_fixture.json");
    const DATA_PAGE2: &str = include_str!("../../tests/fixtures/kolada/v3_data__paged_page2__SYNTHETIC_headroom_fixture.json");
    const V2_MUNI: &str = include_str!("../../tests/fixtures/kolada/v2_municipality__title_karlskrona.json");
    const V2_OU: &str = include_str!("../../tests/fixtures/kolada/v2_ou__municipality_1080_title_skola__EXCERPT.json");
    const V3_MUNI: &str = include_str!("../../tests/fixtures/kolada/v3_municipality__all__RECONSTRUCTED_from_rKolada_sysdata.json");
    const V3_KPIS: &str = include_str!("../../tests/fixtures/kolada/v3_kpi__subset__RECONSTRUCTED_from_rKolada_sysdata.json");
    const V3_GROUPS: &str =
        include_str!("../../tests/fixtures/kolada/v3_municipality_groups__subset__RECONSTRUCTED_from_rKolada_sysdata.json");
    const V2_KPIS: &str = include_str!("../../tests/fixtures/kolada/v2_kpi__values_array_municipality_type_K__2020.json");

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn one<T>(f: fn(&str) -> Result<T, String>) -> impl Fn(&str, &mut Vec<T>) -> Result<(), String> {
        move |raw, out| {
            out.push(f(raw)?);
            Ok(())
        }
    }

    #[test]
    fn the_sample_kpi_pages_link_to_each_other_and_end() {
        let p1 = parse_page("u", KPI_PAGE1.as_bytes(), one(crate::kolada::model::kpi)).unwrap();
        assert_eq!(p1.items.len(), 2);
        assert_eq!(p1.next.as_deref(), Some("https://api.kolada.se/v3/kpi?page=2&per_page=2"));
        let p2 = parse_page("u", KPI_PAGE2.as_bytes(), one(crate::kolada::model::kpi)).unwrap();
        assert_eq!(p2.items[1].id, "N00004");
        assert_eq!(p2.next, None);
    }

    #[test]
    fn the_sample_data_pages_parse_with_missing_values() {
        let conv = |raw: &str, out: &mut Vec<_>| crate::kolada::model::observations(raw, false, out);
        let p1 = parse_page("u", DATA_PAGE1.as_bytes(), conv).unwrap();
        assert_eq!(p1.rows, 2);
        assert_eq!(p1.items[0].value, Some(0.0));
        assert_eq!(p1.items[1].area.as_str(), "0000");
        assert_eq!(p1.items[1].value, None);
        assert_eq!(p1.items[1].status.as_deref(), Some("Missing"));
        let p2 = parse_page("u", DATA_PAGE2.as_bytes(), conv).unwrap();
        assert_eq!(p2.items[0].status, None);
        assert_eq!(p2.next, None);
    }

    #[test]
    fn every_metadata_sample_parses() {
        let munis = parse_page("u", V3_MUNI.as_bytes(), one(crate::kolada::model::area)).unwrap();
        assert_eq!(munis.items.len(), 312);
        assert_eq!(munis.items[0].id, "0000");
        assert_eq!(munis.items[0].area_type, "L");
        let v2 = parse_page("u", V2_MUNI.as_bytes(), one(crate::kolada::model::area)).unwrap();
        assert_eq!(v2.items[0].title, "Karlskrona");
        assert_eq!(v2.next, None, "v2 leaves next_page out on the last page");
        let ous = parse_page("u", V2_OU.as_bytes(), one(crate::kolada::model::ou)).unwrap();
        assert_eq!(ous.items[0].municipality, "1080");
        let kpis = parse_page("u", V3_KPIS.as_bytes(), one(crate::kolada::model::kpi)).unwrap();
        assert_eq!(kpis.items.len(), 13);
        assert!(kpis.items.iter().any(|k| k.auspice.is_none()));
        let groups = parse_page("u", V3_GROUPS.as_bytes(), one(crate::kolada::model::group)).unwrap();
        assert_eq!(groups.items[3].members.len(), 7);
    }

    #[test]
    fn the_v2_kpi_sample_parses_row_by_row() {
        let rows: Vec<&RawValue> = serde_json::from_str(V2_KPIS).unwrap();
        let kpis: Vec<_> = rows.iter().map(|r| crate::kolada::model::kpi(r.get()).unwrap()).collect();
        assert_eq!(kpis.len(), 110);
        assert!(kpis.iter().all(|k| k.is_divided_by_gender.is_some()));
        assert_eq!(kpis[0].auspice.as_deref(), Some("E"));
    }

    #[test]
    fn html_is_an_envelope_error_and_a_bad_row_is_a_row_error() {
        let html = parse_page("u", b"<!DOCTYPE html><html>down</html>", one(crate::kolada::model::area));
        assert!(matches!(html, Err(BodyError::Envelope(_))));
        let no_values = parse_page("u", br#"{"detail":"oops"}"#, one(crate::kolada::model::area));
        assert!(matches!(no_values, Err(BodyError::Envelope(_))));
        let bad = parse_page(
            "http://x/v3/data",
            br#"{"values":[{"kpi":"N00945","municipality":"0180","period":2000,"values":[{"gender":"T","value":"abc"}]}]}"#,
            |raw: &str, out: &mut Vec<_>| crate::kolada::model::observations(raw, false, out),
        );
        let Err(BodyError::Row(IngestError::Malformed { url, message })) = bad else {
            panic!("expected a row error");
        };
        assert_eq!(url, "http://x/v3/data");
        assert!(message.contains("values[0]") && message.contains("\"abc\""), "{message}");
    }

    #[test]
    fn an_empty_next_link_ends_the_walk() {
        let p = parse_page::<()>("u", br#"{"values":[],"next_url":""}"#, |_, _| Ok(())).unwrap();
        assert_eq!(p.next, None);
    }

    #[test]
    fn the_pager_stops_on_an_empty_page_even_with_a_link() {
        let mut pager = Pager::new(url("http://h/v3/kpi"));
        let first = pager.next_url().unwrap();
        pager.advance(&first, 0, Some("http://h/v3/kpi?page=2")).unwrap();
        assert!(pager.next_url().is_none());
    }

    #[test]
    fn the_pager_resolves_relative_links_and_detects_cycles() {
        let mut pager = Pager::new(url("http://h/v3/kpi"));
        let p1 = pager.next_url().unwrap();
        pager.advance(&p1, 2, Some("/v3/kpi?page=2")).unwrap();
        let p2 = pager.next_url().unwrap();
        assert_eq!(p2.as_str(), "http://h/v3/kpi?page=2");
        let err = pager.advance(&p2, 2, Some("http://h/v3/kpi")).unwrap_err();
        assert!(matches!(err, IngestError::Cycle { url } if url == "http://h/v3/kpi"));
    }

    #[test]
    fn snippets_are_short_and_on_one_line() {
        assert_eq!(snippet("a\n  b", 10), "a b");
        assert_eq!(snippet("abcdef", 3), "abc…");
    }
}
