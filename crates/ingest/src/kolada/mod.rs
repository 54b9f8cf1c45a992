//! The Kolada API client (v3 by default; v2 shapes parse through the same code).
//!
//! See `shared/kolada/README.md` in the project's shared notes for what is known of the API;
//! the samples there are the ground truth this module is tested against.

mod client;
mod model;
mod paging;
mod query;
mod rate;
mod retry;
mod stats;

pub use client::{KoladaClient, KoladaConfig, Page, DEFAULT_BASE_URL, USER_AGENT};
pub use model::{AreaMeta, Group, KpiMeta, OuMeta};
pub use query::{DataQuery, MAX_IDS_PER_REQUEST, MAX_PER_PAGE};
pub use stats::FetchStats;

/// Parses one data row of Kolada's format (`/data` or, with `ou`, `/oudata`) into one
/// observation per gender entry: the same code the client uses, for files in that format.
pub fn parse_data_row(raw: &str, ou: bool, out: &mut Vec<styrhub_domain::observation::NewObservation>) -> Result<(), String> {
    model::observations(raw, ou, out)
}

/// Parses one KPI metadata row of Kolada's format (`/kpi`): the same code the client uses, for
/// files in that format.
pub fn parse_kpi_row(raw: &str) -> Result<KpiMeta, String> {
    model::kpi(raw)
}
