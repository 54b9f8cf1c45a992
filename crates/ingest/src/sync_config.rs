//! `sync.toml`: a standing sync, one or more `[[sync]]` blocks and optional client settings.
//!
//! ```toml
//! [kolada]                       # optional; these are the defaults
//! base_url = "https://api.kolada.se/v3"
//! requests_per_second = 5.0
//! concurrency = 2
//!
//! [[sync]]
//! name = "alingsas"              # for logs
//! kpis = ["N00090", "N00973"]
//! municipalities = ["1489", "0000", "1440"]
//! years = "2015-2024"            # or "2019,2021"
//! ou = false                     # organisational-unit data for these municipalities
//! ```

use std::path::Path;

use serde::Deserialize;
use styrhub_domain::ids::KpiId;

use crate::error::IngestError;
use crate::sync::{parse_years, SyncSpec};

/// Client settings of a sync file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSettings {
    /// The API's base URL, e.g. a mirror's.
    pub base_url: Option<String>,
    /// Requests per second at most.
    pub requests_per_second: Option<f64>,
    /// Requests in flight at most.
    pub concurrency: Option<usize>,
}

/// One `[[sync]]` block.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncBlock {
    /// A name for logs.
    pub name: Option<String>,
    /// KPI ids.
    pub kpis: Vec<String>,
    /// Municipality, region or group codes.
    pub municipalities: Vec<String>,
    /// `2015-2024` or `2019,2021`.
    pub years: String,
    /// Organisational-unit data.
    #[serde(default)]
    pub ou: bool,
}

/// A whole sync file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncFile {
    /// Client settings.
    #[serde(default)]
    pub kolada: ClientSettings,
    /// The syncs, run in order.
    pub sync: Vec<SyncBlock>,
}

impl SyncFile {
    /// Reads and checks a sync file; errors name the file and what is wrong.
    pub fn read(path: &Path) -> Result<Self, IngestError> {
        let text = std::fs::read_to_string(path).map_err(|e| IngestError::Invalid(format!("{}: {e}", path.display())))?;
        let file: SyncFile =
            toml::from_str(&text).map_err(|e| IngestError::Invalid(format!("{}: {}", path.display(), e.to_string().trim_end())))?;
        if file.sync.is_empty() {
            return Err(IngestError::Invalid(format!("{}: no [[sync]] block", path.display())));
        }
        for (i, b) in file.sync.iter().enumerate() {
            b.spec(false, None, false)
                .map_err(|e| IngestError::Invalid(format!("{}: sync[{i}]: {e}", path.display())))?;
        }
        Ok(file)
    }
}

/// Parses a list of KPI ids, naming the bad one.
pub fn parse_kpis<S: AsRef<str>>(ids: &[S]) -> Result<Vec<KpiId>, IngestError> {
    ids.iter()
        .map(|k| KpiId::parse(k.as_ref()).map_err(|e| IngestError::Invalid(format!("--kpi: {}", e.message))))
        .collect()
}

/// Checks area codes, naming the bad one.
pub fn parse_areas<S: AsRef<str>>(codes: &[S]) -> Result<Vec<String>, IngestError> {
    codes
        .iter()
        .map(|c| {
            styrhub_domain::ids::AreaCode::parse(c.as_ref())
                .map(|a| a.to_string())
                .map_err(|e| IngestError::Invalid(format!("--municipality: {}", e.message)))
        })
        .collect()
}

impl SyncBlock {
    /// The block as a sync.
    pub fn spec(&self, full: bool, since: Option<chrono::NaiveDate>, dry_run: bool) -> Result<SyncSpec, IngestError> {
        if self.kpis.is_empty() || self.municipalities.is_empty() {
            return Err(IngestError::Invalid("kpis and municipalities may not be empty".into()));
        }
        Ok(SyncSpec {
            kpis: parse_kpis(&self.kpis)?,
            areas: parse_areas(&self.municipalities)?,
            years: parse_years(&self.years)?,
            ou: self.ou,
            since,
            full,
            dry_run,
        })
    }
}
