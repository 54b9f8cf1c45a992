//! Typed errors. Parsing and validation fail with [`DomainError`]; ports fail with
//! [`RepoError`], which the API maps once, at its edge, to HTTP statuses and GraphQL codes.

use thiserror::Error;

/// A value that does not make sense in the domain; the message names the field and the value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct DomainError {
    /// The field, parameter or path that was wrong, e.g. `goals[3].owner`.
    pub field: String,
    /// What was wrong with it, in plain words.
    pub message: String,
}

impl DomainError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why a port (a repository) could not answer.
#[derive(Debug, Error)]
pub enum RepoError {
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The write conflicts with what is stored (a unique key, a locked follow-up …).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The input is not valid.
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// The database cannot be reached or refused the connection.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else; the message is for logs, not for clients.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Lets infallible row conversions share the code of fallible ones.
impl From<std::convert::Infallible> for RepoError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}
