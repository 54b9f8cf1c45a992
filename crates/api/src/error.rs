//! The one place where domain errors become HTTP statuses, GraphQL `extensions.code`s and REST
//! problem details (RFC 9457).

use std::sync::Arc;

use async_graphql::ErrorExtensions;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use styrhub_domain::access::Denied;
use styrhub_domain::RepoError;

use crate::gateway::WriteError;
use crate::rest::problem::Problem;

/// Stable error codes clients can rely on.
pub fn code(e: &RepoError) -> &'static str {
    match e {
        RepoError::NotFound(_) => "NOT_FOUND",
        RepoError::Conflict(_) => "CONFLICT",
        RepoError::Invalid(_) => "VALIDATION",
        RepoError::Unavailable(_) => "UNAVAILABLE",
        RepoError::Internal(_) => "INTERNAL",
    }
}

/// The HTTP status for an error.
pub fn status(e: &RepoError) -> StatusCode {
    match e {
        RepoError::NotFound(_) => StatusCode::NOT_FOUND,
        RepoError::Conflict(_) => StatusCode::CONFLICT,
        // REST reads take their input from the path and the query string only: a bad
        // parameter is a bad request.
        RepoError::Invalid(_) => StatusCode::BAD_REQUEST,
        RepoError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        RepoError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// What a client may read about an error. Internal details are logged here, once, and never
/// sent; `field_name` spells a validation error's field the way the client knows it.
fn public_message(e: &RepoError, field_name: impl Fn(&str) -> String) -> String {
    match e {
        RepoError::Internal(detail) => {
            tracing::error!(error = %detail, "internal error");
            "internal error".to_owned()
        }
        RepoError::Unavailable(detail) => {
            tracing::warn!(error = %detail, "database unavailable");
            "the database is unavailable; try again shortly".to_owned()
        }
        RepoError::Invalid(d) => format!("{}: {}", field_name(&d.field), d.message),
        other => other.to_string(),
    }
}

/// A REST problem (RFC 9457) with the same status and stable code as everywhere else. A
/// validation error names the query parameter (REST parameters keep their snake_case names).
pub fn problem(e: RepoError) -> Problem {
    let status = status(&e);
    let detail = public_message(&e, str::to_owned);
    let parameter = match &e {
        RepoError::Invalid(d) => Some(d.field.clone()),
        _ => None,
    };
    Problem::new(status, code(&e), detail, parameter)
}

/// A loader's shared error as an owned one (loader errors are shared between every caller that
/// waited on the batch).
pub fn unshare(e: Arc<RepoError>) -> RepoError {
    Arc::try_unwrap(e).unwrap_or_else(|shared| match &*shared {
        RepoError::NotFound(m) => RepoError::NotFound(m.clone()),
        RepoError::Conflict(m) => RepoError::Conflict(m.clone()),
        RepoError::Invalid(d) => RepoError::Invalid(d.clone()),
        RepoError::Unavailable(m) => RepoError::Unavailable(m.clone()),
        RepoError::Internal(m) => RepoError::Internal(m.clone()),
    })
}

/// A GraphQL error with `extensions.code` (and `extensions.field` for validation errors).
/// Internal details are logged, never sent.
pub fn gql(e: RepoError) -> async_graphql::Error {
    let c = code(&e);
    let message = public_message(&e, camel_case);
    // The domain names fields in snake_case; clients know them by their GraphQL names.
    let field = match &e {
        RepoError::Invalid(d) => Some(camel_case(&d.field)),
        _ => None,
    };
    async_graphql::Error::new(message).extend_with(|_, ext| {
        ext.set("code", c);
        if let Some(f) = &field {
            ext.set("field", f.as_str());
        }
    })
}

/// The stable code of a refusal: no valid token is UNAUTHENTICATED, a token that may not is
/// FORBIDDEN.
pub fn denied_code(d: &Denied) -> &'static str {
    match d {
        Denied::Unauthenticated => "UNAUTHENTICATED",
        _ => "FORBIDDEN",
    }
}

/// The HTTP status of a refusal: 401 or 403.
pub fn denied_status(d: &Denied) -> StatusCode {
    match d {
        Denied::Unauthenticated => StatusCode::UNAUTHORIZED,
        _ => StatusCode::FORBIDDEN,
    }
}

/// A refusal as a GraphQL error with `extensions.code` UNAUTHENTICATED or FORBIDDEN. The
/// message names the token and the unit, never the secret.
pub fn gql_denied(d: Denied) -> async_graphql::Error {
    let c = denied_code(&d);
    async_graphql::Error::new(d.to_string()).extend_with(|_, ext| ext.set("code", c))
}

/// A write's error for GraphQL: refusals as [`gql_denied`], failures as [`gql`].
pub fn gql_write(e: WriteError) -> async_graphql::Error {
    match e {
        WriteError::Denied(d) => gql_denied(d),
        WriteError::Repo(r) => gql(r),
    }
}

/// A refusal as a REST problem (401 or 403); a 401 carries `WWW-Authenticate: Bearer`
/// (RFC 6750) so that clients know which credentials to send.
pub fn denied_response(d: &Denied) -> Response {
    let status = denied_status(d);
    let mut res = Problem::new(status, denied_code(d), d.to_string(), None).into_response();
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(r#"Bearer realm="styrhub""#));
    }
    res
}

/// Gives every GraphQL error without a code `VALIDATION`: resolvers' errors all carry one
/// ([`gql`]), so one without comes from async-graphql itself refusing the request — a syntax
/// error, an unknown field, a query nested too deep — before anything ran. (A query that costs
/// too much is refused earlier, with `TOO_COMPLEX`: see `graphql::cost`.)
pub fn label_request_errors(res: &mut async_graphql::Response) {
    for e in &mut res.errors {
        let ext = e.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "VALIDATION");
        }
    }
}

/// `owner_id` → `ownerId`, `parent_ids` → `parentIds`; other characters stay.
pub fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn snake_case_fields_become_graphql_names() {
        assert_eq!(super::camel_case("owner_id"), "ownerId");
        assert_eq!(super::camel_case("filter.agenda2030"), "filter.agenda2030");
    }
}
