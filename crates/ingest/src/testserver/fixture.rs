//! What the test server serves: rows in Kolada's v3 shape, and faults to script.

use std::time::Duration;

use serde_json::{json, Value};

const KPIS: &str = include_str!("../../tests/fixtures/kolada/v3_kpi__subset__RECONSTRUCTED_from_rKolada_sysdata.json");
const MUNICIPALITIES: &str = include_str!("../../tests/fixtures/kolada/v3_municipality__all__RECONSTRUCTED_from_rKolada_sysdata.json");
const MUNICIPALITY_GROUPS: &str =
    include_str!("../../tests/fixtures/kolada/v3_municipality_groups__subset__RECONSTRUCTED_from_rKolada_sysdata.json");
const OUS: &str = include_str!("../../tests/fixtures/kolada/v2_ou__municipality_1080_title_skola__EXCERPT.json");

/// The KPIs of [`Fixture::sample`]'s municipal data, and whether each is divided by gender.
pub const SAMPLE_DATA_KPIS: [(&str, bool); 3] = [("N01951", true), ("N00003", false), ("N00090", true)];
/// The years of [`Fixture::sample`]'s data.
pub const SAMPLE_YEARS: std::ops::RangeInclusive<i32> = 2020..=2023;
/// The KPI of [`Fixture::sample`]'s unit data.
pub const SAMPLE_OU_KPI: &str = "N15033";

/// The rows the server answers with, in Kolada's v3 shape (the server rewrites them for /v2),
/// and the faults it plays. Fields are public so that a test can add or change rows.
///
/// A data row may carry `"_changed": "YYYY-MM-DD"`: with `from_date`, only rows changed on or
/// after that date are served (rows without it count as unchanged). The key is never served.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    /// `/kpi` rows.
    pub kpis: Vec<Value>,
    /// `/kpi_groups` rows.
    pub kpi_groups: Vec<Value>,
    /// `/municipality` rows.
    pub municipalities: Vec<Value>,
    /// `/municipality_groups` rows.
    pub municipality_groups: Vec<Value>,
    /// `/ou` rows.
    pub ous: Vec<Value>,
    /// `/data` rows (with `municipality`).
    pub data: Vec<Value>,
    /// `/oudata` rows (with `ou`).
    pub oudata: Vec<Value>,
    /// The largest page served whatever `per_page` asks (0: Kolada's 5000), to force paging.
    pub page_size_cap: usize,
    /// Faults, tried in order against each request.
    pub faults: Vec<Fault>,
}

/// Something to go wrong for requests whose path starts with `path_prefix` (with the version,
/// e.g. `/v3/data/kpi/N01951`), the first `times` matching requests; after that the server
/// answers normally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Which requests, by path prefix.
    pub path_prefix: String,
    /// How many matching requests get the fault (`usize::MAX`: all of them).
    pub times: usize,
    /// What happens.
    pub kind: FaultKind,
}

impl Fault {
    /// The first `times` requests under `path_prefix` get `kind`.
    pub fn new(path_prefix: impl Into<String>, times: usize, kind: FaultKind) -> Self {
        Self {
            path_prefix: path_prefix.into(),
            times,
            kind,
        }
    }

    /// Every request under `path_prefix` gets `kind`.
    pub fn always(path_prefix: impl Into<String>, kind: FaultKind) -> Self {
        Self::new(path_prefix, usize::MAX, kind)
    }
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answers this status with an HTML error page (e.g. 500, 503, 404).
    Status(u16),
    /// Answers 429, with `Retry-After: <seconds>` when given.
    TooManyRequests {
        /// The `Retry-After` value in seconds.
        retry_after_secs: Option<u64>,
    },
    /// Waits this long, then answers normally: longer than the client's timeout, a timeout.
    Delay(Duration),
    /// Answers 200 with an HTML outage page, as Kolada's front end does during outages.
    Html,
    /// Answers 200 `application/json` with a body cut off mid-row.
    TruncatedJson,
    /// Answers exactly this.
    Body {
        /// The status.
        status: u16,
        /// The `Content-Type`.
        content_type: String,
        /// The body.
        body: String,
    },
    /// Answers normally, except that the last page's `next_url` leads back to page 1.
    NextUrlCycle,
    /// Answers normally: put first, it lets `times` requests through before the faults after
    /// it (e.g. one page served, then a pause on the next: `Pass` once, then `Delay` always).
    Pass,
}

impl Fixture {
    /// Nothing at all: every list is empty (Kolada answers 200 with no values, not 404).
    pub fn empty() -> Self {
        Self::default()
    }

    /// The shared samples plus synthetic data in the exact shape of the v3 data sample:
    ///
    /// - `/kpi`: the 13 real v3 KPI objects; `/municipality`: all 312 real areas;
    ///   `/municipality_groups`: 4 real groups; `/ou`: the 5 real Karlskrona (1080) schools
    ///   and 2 synthetic Alingsås (1489) units; `/kpi_groups`: 2 synthetic groups.
    /// - `/data`: [`SAMPLE_DATA_KPIS`] × all 312 areas × [`SAMPLE_YEARS`], one row each. Gender
    ///   entries (T, K, M for the divided KPIs, T otherwise) come in a rotating order; every
    ///   seventh area has `value: null` with `status: "Missing"`; every thirteenth row has a
    ///   value of `0.0`; every eleventh row carries `count` and `isdeleted: false` like the
    ///   README's row. The values are synthetic, not Kolada's.
    /// - `/oudata`: [`SAMPLE_OU_KPI`] × every unit × 2021–2023, total only.
    pub fn sample() -> Self {
        let values = |text: &str| -> Vec<Value> {
            let v: Value = serde_json::from_str(text).expect("the embedded samples are JSON");
            v["values"].as_array().cloned().unwrap_or_default()
        };
        let municipalities = values(MUNICIPALITIES);
        let mut ous = values(OUS);
        ous.push(json!({"id": "V15E148900101", "municipality": "1489", "title": "Stadsskolan F-6 (synthetic)"}));
        ous.push(json!({"id": "V15E148900201", "municipality": "1489", "title": "Ängaboskolan 7-9 (synthetic)"}));

        let mut data = Vec::new();
        let mut n = 0usize;
        for (k, (kpi, by_gender)) in SAMPLE_DATA_KPIS.iter().enumerate() {
            for (a, area) in municipalities.iter().enumerate() {
                for year in SAMPLE_YEARS {
                    let genders: &[&str] = if *by_gender { &["T", "K", "M"] } else { &["T"] };
                    let rot = n % genders.len();
                    let mut entries = Vec::new();
                    for i in 0..genders.len() {
                        let g = genders[(i + rot) % genders.len()];
                        let value = if a % 7 == 3 {
                            None
                        } else if n % 13 == 5 {
                            Some(0.0)
                        } else {
                            Some(sample_value(k, a, year, g))
                        };
                        let mut e = json!({"gender": g, "value": value, "status": if value.is_none() { "Missing" } else { "" }});
                        if n.is_multiple_of(11) {
                            e["count"] = json!(1);
                            e["isdeleted"] = json!(false);
                        }
                        entries.push(e);
                    }
                    data.push(json!({"kpi": kpi, "period": year, "municipality": area["id"], "values": entries}));
                    n += 1;
                }
            }
        }

        let mut oudata = Vec::new();
        for (u, unit) in ous.iter().enumerate() {
            for year in 2021..=2023 {
                let value = 10.0 + u as f64 + f64::from(year - 2021) / 4.0;
                oudata.push(json!({"kpi": SAMPLE_OU_KPI, "period": year, "ou": unit["id"],
                    "values": [{"gender": "T", "value": value, "status": ""}]}));
            }
        }

        Self {
            kpis: values(KPIS),
            kpi_groups: vec![
                json!({"id": "G2KPI900001", "title": "Befolkning (synthetic group)",
                    "members": [{"member_id": "N01951", "member_title": "Invånare totalt, antal"},
                                {"member_id": "N01967", "member_title": "Unga vuxna av invånare 18-64 år, andel (%)"}]}),
                json!({"id": "G2KPI900002", "title": "Personal (synthetic group)",
                    "members": [{"member_id": "N00053", "member_title": "Månadsavlönade totalt, kommun, antal"},
                                {"member_id": "N00090", "member_title": "Sjukfrånvaro totalt bland anställda, kommun, andel (%)"}]}),
            ],
            municipalities,
            municipality_groups: values(MUNICIPALITY_GROUPS),
            ous,
            data,
            oudata,
            page_size_cap: 0,
            faults: Vec::new(),
        }
    }

    /// Adds a fault.
    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Serves at most `n` rows a page, whatever the client asks.
    pub fn with_page_size_cap(mut self, n: usize) -> Self {
        self.page_size_cap = n;
        self
    }
}

/// A synthetic value with two decimals, different per KPI, area, year and gender.
fn sample_value(kpi: usize, area: usize, year: i32, gender: &str) -> f64 {
    let g = match gender {
        "K" => 1.0,
        "M" => 2.0,
        _ => 0.0,
    };
    let raw = 100.0 * (kpi as f64 + 1.0) + area as f64 + f64::from(year - 2000) / 10.0 + g / 100.0;
    (raw * 100.0).round() / 100.0
}
