//! What to fetch, checked before anything is sent, and split into Kolada-sized requests.
//!
//! v3 refuses comma lists longer than 25 values, so every list (KPIs, areas, years, metadata
//! ids) is cut into chunks of at most 25 and one request is made per combination of chunks.

use chrono::NaiveDate;
use reqwest::Url;
use styrhub_domain::ids::{AreaCode, KpiId, Year};

use crate::error::IngestError;

/// The most values Kolada v3 accepts in one comma list.
pub const MAX_IDS_PER_REQUEST: usize = 25;

/// The largest page Kolada serves (`per_page` is capped there, and defaults to it).
pub const MAX_PER_PAGE: u32 = 5000;

/// Which values to fetch: municipal data (`/data`) or organisational-unit data (`/oudata`).
///
/// An empty list leaves that dimension out of the request (all of it), as Kolada's routes allow,
/// but at least two dimensions must be given, and for unit data the KPIs always.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataQuery {
    /// KPI ids, e.g. `N01951`.
    pub kpis: Vec<String>,
    /// Municipality, region or group codes; organisational-unit ids when `ou` is set.
    pub areas: Vec<String>,
    /// Years.
    pub years: Vec<i32>,
    /// Fetch `/oudata` for organisational units instead of `/data`.
    pub ou: bool,
    /// Only values changed since this date (`from_date=YYYY-MM-DD`).
    pub from_date: Option<NaiveDate>,
}

impl DataQuery {
    /// The path segments of every request the query needs, below the base URL.
    pub(crate) fn paths(&self) -> Result<Vec<Vec<String>>, IngestError> {
        let kpis = checked("KPI", &self.kpis, |s| {
            KpiId::parse(s).map(|k| k.as_str().to_owned()).map_err(|e| e.message)
        })?;
        let areas = checked(if self.ou { "unit" } else { "area" }, &self.areas, |s| {
            let code = AreaCode::parse(s).map_err(|e| e.message)?;
            match (self.ou, code.as_str().starts_with('V')) {
                (true, false) => Err(format!("`{code}` is not an organisational unit id (such as V15E144001301)")),
                (false, true) => Err(format!("`{code}` is an organisational unit: set `ou` to fetch unit data")),
                _ => Ok(code.as_str().to_owned()),
            }
        })?;
        let years: Vec<String> = self.years.iter().map(|y| y.to_string()).collect();
        let years = checked("year", &years, |s| {
            let y: i32 = s.parse().map_err(|_| format!("`{s}` is not a year"))?;
            Year::new(y).map(|y| y.to_string()).map_err(|e| e.message)
        })?;

        let given = [!kpis.is_empty(), !areas.is_empty(), !years.is_empty()];
        if self.ou && kpis.is_empty() {
            return Err(IngestError::Invalid("unit data needs at least one KPI".into()));
        }
        if given.iter().filter(|g| **g).count() < 2 {
            return Err(IngestError::Invalid(
                "a data query needs at least two of KPIs, areas and years (Kolada refuses one alone)".into(),
            ));
        }

        let (route, area_dim) = if self.ou { ("oudata", "ou") } else { ("data", "municipality") };
        let dims = [("kpi", chunks(&kpis)), (area_dim, chunks(&areas)), ("year", chunks(&years))];
        // The cross product, leaving out dimensions that were not given.
        let mut paths = vec![vec![route.to_owned()]];
        for (dim, dim_chunks) in dims {
            if dim_chunks.is_empty() {
                continue;
            }
            paths = paths
                .into_iter()
                .flat_map(|prefix| {
                    dim_chunks.iter().map(move |chunk| {
                        let mut p = prefix.clone();
                        p.push(dim.to_owned());
                        p.push(chunk.clone());
                        p
                    })
                })
                .collect();
        }
        Ok(paths)
    }
}

/// Checks and normalises each id with `parse`, drops repeats (keeping the first) and names the
/// first bad one. Ids end up in a URL path, so nothing unchecked gets there.
pub(crate) fn checked(kind: &str, ids: &[String], parse: impl Fn(&str) -> Result<String, String>) -> Result<Vec<String>, IngestError> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        let id = parse(id).map_err(|m| IngestError::Invalid(format!("{kind} id: {m}")))?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// Comma lists of at most [`MAX_IDS_PER_REQUEST`] values.
pub(crate) fn chunks(ids: &[String]) -> Vec<String> {
    ids.chunks(MAX_IDS_PER_REQUEST).map(|c| c.join(",")).collect()
}

/// `base` + `segments` (each percent-encoded as a path segment; commas stay literal) +
/// `query` pairs (values are checked ids, numbers and dates, so they need no escaping).
pub(crate) fn endpoint(base: &Url, segments: &[String], query: &[(&str, String)]) -> Url {
    let mut url = base.clone();
    // A base URL is checked to be hierarchical (http/https) when the client is built.
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    url.set_query((!q.is_empty()).then(|| q.join("&")).as_deref());
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(kpis: &[&str], areas: &[&str], years: &[i32], ou: bool) -> DataQuery {
        DataQuery {
            kpis: kpis.iter().map(|s| s.to_string()).collect(),
            areas: areas.iter().map(|s| s.to_string()).collect(),
            years: years.to_vec(),
            ou,
            from_date: None,
        }
    }

    #[test]
    fn every_list_is_cut_into_chunks_of_25_and_crossed() {
        let kpis: Vec<String> = (0..30).map(|i| format!("N{i:05}")).collect();
        let areas: Vec<String> = (0..51).map(|i| format!("{:04}", 100 + i)).collect();
        let query = DataQuery {
            kpis,
            areas,
            years: vec![2020, 2021],
            ou: false,
            from_date: None,
        };
        let paths = query.paths().unwrap();
        assert_eq!(paths.len(), 2 * 3, "2 KPI chunks × 3 area chunks × 1 year chunk");
        for p in &paths {
            assert_eq!(p[0], "data");
            assert!(p.iter().all(|seg| seg.split(',').count() <= MAX_IDS_PER_REQUEST));
        }
        assert_eq!(
            paths[0][1..],
            [
                "kpi".to_owned(),
                paths[0][2].clone(),
                "municipality".into(),
                paths[0][4].clone(),
                "year".into(),
                "2020,2021".into()
            ]
        );
    }

    #[test]
    fn a_dimension_left_empty_is_left_out_of_the_path() {
        let paths = q(&["N01951"], &[], &[2022], false).paths().unwrap();
        assert_eq!(paths, vec![vec!["data", "kpi", "N01951", "year", "2022"]]);
        let paths = q(&["N15033"], &["V15E108000701"], &[], true).paths().unwrap();
        assert_eq!(paths, vec![vec!["oudata", "kpi", "N15033", "ou", "V15E108000701"]]);
    }

    #[test]
    fn one_dimension_alone_is_refused() {
        assert!(matches!(q(&["N01951"], &[], &[], false).paths(), Err(IngestError::Invalid(_))));
        assert!(matches!(
            q(&[], &["V15E108000701"], &[2022], true).paths(),
            Err(IngestError::Invalid(_))
        ));
    }

    #[test]
    fn bad_ids_are_named_before_anything_is_sent() {
        let err = q(&["N01951", "N1/../x"], &["1489"], &[2022], false).paths().unwrap_err();
        assert!(err.to_string().contains("N1/../x"), "{err}");
        assert!(q(&["N01951"], &["1489"], &[20223], false).paths().is_err());
        assert!(
            q(&["N01951"], &["1489"], &[2022], true).paths().is_err(),
            "a municipality is not a unit"
        );
        assert!(
            q(&["N01951"], &["V15E108000701"], &[2022], false).paths().is_err(),
            "a unit needs `ou`"
        );
    }

    #[test]
    fn repeated_ids_are_fetched_once() {
        let paths = q(&["N01951", "N01951"], &["1489", "1489"], &[2022, 2022], false).paths().unwrap();
        assert_eq!(paths, vec![vec!["data", "kpi", "N01951", "municipality", "1489", "year", "2022"]]);
    }

    #[test]
    fn endpoints_keep_commas_and_the_base_path() {
        let base = Url::parse("http://127.0.0.1:9/v3/").unwrap();
        let url = endpoint(&base, &["kpi".into(), "N00001,N00002".into()], &[("per_page", "5000".into())]);
        assert_eq!(url.as_str(), "http://127.0.0.1:9/v3/kpi/N00001,N00002?per_page=5000");
        let url = endpoint(&Url::parse("https://api.kolada.se/v3").unwrap(), &["municipality".into()], &[]);
        assert_eq!(url.as_str(), "https://api.kolada.se/v3/municipality");
    }
}
