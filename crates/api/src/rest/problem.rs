//! Errors as RFC 9457 problem details (`application/problem+json`). Every problem is made by
//! [`crate::error::problem`] from a domain `RepoError`, so that REST, GraphQL and the logs agree
//! on statuses and codes.

use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use styrhub_domain::{DomainError, RepoError};
use utoipa::ToSchema;

/// The media type of a problem.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem detail (RFC 9457).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "about:blank",
    "title": "Bad Request",
    "status": 400,
    "detail": "gender: `F` is not a gender (T total, K women, M men)",
    "code": "VALIDATION",
    "parameter": "gender"
}))]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is, and `code` says it in
    /// the words GraphQL uses too.
    #[serde(rename = "type")]
    pub problem_type: &'static str,
    /// The HTTP status phrase, e.g. "Not Found".
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, naming the parameter or the thing not found.
    pub detail: String,
    /// Stable code: NOT_FOUND, VALIDATION, CONFLICT, UNAVAILABLE or INTERNAL; from the limits
    /// TOO_LARGE (413), RATE_LIMITED (429) or TIMEOUT (503). The same as GraphQL's
    /// `extensions.code`.
    pub code: &'static str,
    /// The query parameter that was wrong, for validation problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
}

impl Problem {
    /// A problem with this status; see [`crate::error::problem`].
    pub fn new(status: StatusCode, code: &'static str, detail: String, parameter: Option<String>) -> Self {
        Self {
            problem_type: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            code,
            parameter,
        }
    }

    /// A bad query parameter: 400 naming it.
    pub fn invalid(parameter: &str, message: impl Into<String>) -> Self {
        RepoError::Invalid(DomainError::new(parameter, message)).into()
    }

    /// A thing that does not exist: 404.
    pub fn not_found(what: impl Into<String>) -> Self {
        RepoError::NotFound(what.into()).into()
    }

    /// A well-formed query parameter that names nothing (an unknown municipality, area, group
    /// or cursor): 404 naming it, `detail` saying what.
    pub fn names_nothing(parameter: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", detail.into(), Some(parameter.to_owned()))
    }
}

impl From<RepoError> for Problem {
    fn from(e: RepoError) -> Self {
        crate::error::problem(e)
    }
}

impl From<Arc<RepoError>> for Problem {
    fn from(e: Arc<RepoError>) -> Self {
        crate::error::problem(crate::error::unshare(e))
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (status, [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))], body).into_response()
    }
}
