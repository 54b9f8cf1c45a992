//! Ingest runs: what each sync or import did, for operators and dashboards of data freshness.

use async_graphql::{Context, Enum, Object, Result};
use styrhub_domain::ingest::{IngestRun as DomainRun, RunStatus as DomainStatus};
use styrhub_domain::{DomainError, RepoError};

use crate::error::gql;
use crate::graphql::context::ports;

/// Where a run stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum RunStatus {
    /// Started, not finished.
    Running,
    /// Finished without error.
    Succeeded,
    /// Finished with an error, or interrupted.
    Failed,
}

impl From<DomainStatus> for RunStatus {
    fn from(s: DomainStatus) -> Self {
        match s {
            DomainStatus::Running => Self::Running,
            DomainStatus::Succeeded => Self::Succeeded,
            DomainStatus::Failed => Self::Failed,
        }
    }
}

/// One sync or import run.
pub struct IngestRun(pub DomainRun);

/// One sync or import run.
#[Object]
impl IngestRun {
    /// Database id.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// The source: kolada, file …
    async fn source(&self) -> &str {
        &self.0.source
    }
    /// The run's parameters (KPIs, areas, years …) as JSON.
    async fn parameters(&self) -> &str {
        &self.0.parameters
    }
    /// When it started (RFC 3339).
    async fn started_at(&self) -> String {
        self.0.started_at.to_rfc3339()
    }
    /// When it finished (RFC 3339).
    async fn finished_at(&self) -> Option<String> {
        self.0.finished_at.map(|t| t.to_rfc3339())
    }
    /// Where it stands.
    async fn status(&self) -> RunStatus {
        self.0.status.into()
    }
    /// HTTP requests made, retries included.
    async fn requests(&self) -> u64 {
        self.0.counts.requests
    }
    /// Pages read.
    async fn pages(&self) -> u64 {
        self.0.counts.pages
    }
    /// Observations read from the source.
    async fn fetched(&self) -> u64 {
        self.0.counts.fetched
    }
    /// Observations that were new.
    async fn inserted(&self) -> u64 {
        self.0.counts.written.inserted
    }
    /// Observations whose value changed (the earlier value is kept as a revision).
    async fn updated(&self) -> u64 {
        self.0.counts.written.updated
    }
    /// Observations already stored as given.
    async fn unchanged(&self) -> u64 {
        self.0.counts.written.unchanged
    }
    /// Observations or rows that could not be written.
    async fn failed(&self) -> u64 {
        self.0.counts.failed
    }
    /// Why it failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
}

/// Ingest queries.
#[derive(Default)]
pub struct IngestQuery;

#[Object]
impl IngestQuery {
    /// The latest ingest runs, newest first.
    async fn ingest_runs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many (1–500).", default = 50)] limit: i32,
    ) -> Result<Vec<IngestRun>> {
        if !(1..=500).contains(&limit) {
            return Err(gql(RepoError::Invalid(DomainError::new(
                "limit",
                format!("{limit} is not between 1 and 500"),
            ))));
        }
        Ok(ports(ctx)
            .runs
            .runs(limit as u64)
            .await
            .map_err(gql)?
            .into_iter()
            .map(IngestRun)
            .collect())
    }
}
