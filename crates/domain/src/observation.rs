//! Observations: measured values of a KPI or an indicator for an area, a year and a gender,
//! with where they came from and what they were before.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::{AreaCode, Gender, KpiId, Year};

/// What a value measures: a source key figure, or an indicator the municipality measures itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SeriesRef {
    /// A key figure from a source such as Kolada.
    Kpi(KpiId),
    /// An indicator without a KPI, measured by the municipality (by database id).
    Indicator(i64),
}

impl SeriesRef {
    /// The stable text key stored with each observation: `kpi:N00973` or `indicator:42`.
    /// One column keeps the unique index portable: NULLs in a composite unique index behave
    /// differently across databases.
    pub fn key(&self) -> String {
        match self {
            Self::Kpi(k) => format!("kpi:{k}"),
            Self::Indicator(id) => format!("indicator:{id}"),
        }
    }

    /// The series of a stored [`SeriesRef::key`].
    pub fn parse(key: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::new("series_key", format!("`{key}` is not kpi:ID or indicator:ID"));
        match key.split_once(':') {
            Some(("kpi", id)) => KpiId::parse(id).map(Self::Kpi),
            Some(("indicator", id)) => id.parse().map(Self::Indicator).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod series_ref_tests {
    use super::*;

    #[test]
    fn a_series_key_reads_back_as_the_series_it_names() {
        for s in [SeriesRef::Kpi(KpiId::parse("N00090").unwrap()), SeriesRef::Indicator(42)] {
            assert_eq!(SeriesRef::parse(&s.key()).unwrap(), s);
        }
        for bad in ["N00090", "kpi:", "indicator:x", "goal:1", ""] {
            assert!(SeriesRef::parse(bad).is_err(), "{bad}");
        }
    }
}

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueSource {
    /// Fetched from Kolada.
    Kolada,
    /// Imported from a file.
    File,
    /// Entered by hand.
    Manual,
    /// Generated for the demo: not a real figure. The API shows this with every value.
    Example,
}

impl ValueSource {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kolada => "kolada",
            Self::File => "file",
            Self::Manual => "manual",
            Self::Example => "example",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "kolada" => Ok(Self::Kolada),
            "file" => Ok(Self::File),
            "manual" => Ok(Self::Manual),
            "example" => Ok(Self::Example),
            other => Err(DomainError::new(
                "source",
                format!("`{other}` is not a value source (kolada, file, manual, example)"),
            )),
        }
    }
}

/// Which value: a KPI's, for an area, a period and a gender.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObservationKey {
    /// The KPI.
    pub kpi: KpiId,
    /// The area (or unit) code.
    pub area: AreaCode,
    /// The year.
    pub period: Year,
    /// The gender.
    pub gender: Gender,
}

/// One value as it arrives from a source, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewObservation {
    /// What it measures.
    pub series: SeriesRef,
    /// For which area.
    pub area: AreaCode,
    /// For which year.
    pub period: Year,
    /// For which gender.
    pub gender: Gender,
    /// The value; `None` is a missing value (zero is a value).
    pub value: Option<f64>,
    /// The source's status flag, e.g. "Missing"; empty when none.
    pub status: Option<String>,
    /// How many members contributed (groups) as the source gave it.
    pub count: Option<i32>,
    /// Where it came from.
    pub source: ValueSource,
    /// The source marked the value deleted: it is tombstoned, not kept as current.
    pub deleted: bool,
}

/// A stored value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Database id.
    pub id: i64,
    /// What it measures.
    pub series: SeriesRef,
    /// For which area.
    pub area: AreaCode,
    /// For which year.
    pub period: i32,
    /// For which gender.
    pub gender: Gender,
    /// The value; `None` is missing.
    pub value: Option<f64>,
    /// The source's status flag.
    pub status: Option<String>,
    /// Members that contributed, for groups.
    pub count: Option<i32>,
    /// Where it came from.
    pub source: ValueSource,
    /// Tombstoned by the source.
    pub deleted: bool,
    /// When the current value was stored.
    pub updated_at: DateTime<Utc>,
}

/// What a bulk write did; a second identical write reports everything unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteCounts {
    /// New observations.
    pub inserted: u64,
    /// Observations whose value changed; the earlier value went to the revision history.
    pub updated: u64,
    /// Observations that were already stored as given.
    pub unchanged: u64,
}

/// The rows one ingest run (a Kolada sync, a file import, a package load) must insert or update
/// before the planner's statistics are refreshed at its end
/// ([`ObservationWriter::refresh_statistics`](crate::ports::ObservationWriter::refresh_statistics)).
/// Below it a run is a routine incremental sync of a few pages, and the statistics of the last
/// refresh still describe the tables; at or above it the run is a first load or a full re-sync,
/// exactly when they are most wrong (a table the planner believes empty, or a tenth of its size).
/// An absolute count rather than a share of the table: it needs no count of the table, and a
/// refresh samples, so paying one after every run of this size costs a fraction of the run.
pub const STATISTICS_REFRESH_ROWS: u64 = 10_000;

impl WriteCounts {
    /// Rows inserted or updated: what changed in the tables.
    pub fn changed(&self) -> u64 {
        self.inserted + self.updated
    }

    /// Whether a run that wrote this much should refresh the planner's statistics at its end
    /// (see [`STATISTICS_REFRESH_ROWS`]).
    pub fn warrants_fresh_statistics(&self) -> bool {
        self.changed() >= STATISTICS_REFRESH_ROWS
    }

    /// Adds another batch's counts.
    pub fn add(&mut self, other: WriteCounts) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}
