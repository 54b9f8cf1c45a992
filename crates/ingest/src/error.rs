//! The one error type of the ingest crate.

/// What can go wrong while fetching and converting key figures.
///
/// Every variant that comes from a source names the URL, so that one log line is enough to
/// reproduce the request.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The request failed: a transport error or timeout (`status` is `None`), a status that is
    /// not retried (4xx other than 429), or retryable failures until the tries ran out (`status`
    /// is the last one seen).
    #[error("GET {url} failed{}: {message}", status.map(|s| format!(" with status {s}")).unwrap_or_default())]
    Http {
        /// The URL requested.
        url: String,
        /// The last HTTP status, when a response arrived.
        status: Option<u16>,
        /// What happened, with the number of tries when retries ran out.
        message: String,
    },
    /// The response was not what Kolada sends: not JSON, no `values` list, or a row whose fields
    /// have the wrong type (the message names the row).
    #[error("malformed response from {url}: {message}")]
    Malformed {
        /// The URL requested.
        url: String,
        /// What is wrong, and where.
        message: String,
    },
    /// Paging led back to a page already fetched.
    #[error("paging cycle: {url} was already fetched")]
    Cycle {
        /// The URL seen twice.
        url: String,
    },
    /// The request or the configuration was invalid before anything was sent.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The caller's page handler failed (e.g. the database write); passed through unchanged.
    #[error("write failed: {0}")]
    Write(String),
    /// The sync was asked to stop (SIGTERM, SIGINT) and stopped between two pages; the message
    /// says how far it got. Running the same sync again completes it.
    #[error("stopped: {0}")]
    Stopped(String),
}
