//! The one place where domain errors become HTTP statuses and GraphQL `extensions.code`s.

use async_graphql::ErrorExtensions;
use axum::http::StatusCode;
use styrhub_domain::RepoError;

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
        RepoError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        RepoError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        RepoError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A GraphQL error with `extensions.code` (and `extensions.field` for validation errors).
/// Internal details are logged, never sent.
pub fn gql(e: RepoError) -> async_graphql::Error {
    let c = code(&e);
    let message = match &e {
        RepoError::Internal(detail) => {
            tracing::error!(error = %detail, "internal error");
            "internal error".to_owned()
        }
        RepoError::Unavailable(detail) => {
            tracing::warn!(error = %detail, "database unavailable");
            "the database is unavailable; try again shortly".to_owned()
        }
        RepoError::Invalid(d) => format!("{}: {}", camel_case(&d.field), d.message),
        other => other.to_string(),
    };
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
