//! Ingest runs: every sync or import is recorded with its parameters, counts and outcome, so
//! that the next sync can be incremental and an operator can see what happened.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::observation::WriteCounts;

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Started, not finished (or the process died: the next run marks it failed).
    Running,
    /// Finished without error.
    Succeeded,
    /// Finished with an error, or interrupted.
    Failed,
}

impl RunStatus {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "running" => Ok(Self::Running),
            "succeeded" => Ok(Self::Succeeded),
            "failed" => Ok(Self::Failed),
            other => Err(DomainError::new("status", format!("`{other}` is not a run status"))),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    /// HTTP requests made (retries included).
    pub requests: u64,
    /// Pages read.
    pub pages: u64,
    /// Observations read from the source.
    pub fetched: u64,
    /// What writing them did.
    pub written: WriteCounts,
    /// Observations (or rows) that could not be written.
    pub failed: u64,
    /// Stored values the source no longer serves, marked deleted (a `--full` sync).
    pub removed: u64,
}

/// A recorded run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestRun {
    /// Database id.
    pub id: i64,
    /// `kolada`, `file` …
    pub source: String,
    /// The normalised parameters, as JSON.
    pub parameters: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Where it stands.
    pub status: RunStatus,
    /// What it did.
    pub counts: RunCounts,
    /// Why it failed.
    pub error: Option<String>,
}
