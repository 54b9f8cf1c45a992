//! The REST API under `/api/v1`: areas, key figures, indicators, goals, series, rankings and
//! goal status, as JSON, CSV or JSON-stat; its OpenAPI 3.1 document at `/api/openapi.json`,
//! generated from the handlers' annotations, and an interactive page at `/api/docs`.
//!
//! Handlers read through the ports in [`AppState::ports`] and, where a request needs many
//! related reads, through a request's own [`crate::read::loaders::Loaders`], as GraphQL
//! does. Wire types are their own structs, documented here and in the OpenAPI document.
//!
//! # Layout
//! - [`areas`], [`kpis`], [`indicators`], [`goals`]: one file per resource.
//! - [`series`]: series of a KPI or an indicator over areas, years and genders.
//! - [`formats`], [`csv`], [`jsonstat`]: format negotiation and the answers in each format.
//! - [`page`]: limits and opaque cursors of list endpoints.
//! - [`params`]: query parameters, parsed as strictly as the OpenAPI document describes them.
//! - [`problem`]: errors as RFC 9457 problem details.
//! - [`openapi`]: the document's header and the docs page.
//!
//! Every successful GET answer gets a (weak) `ETag` and `Cache-Control`; a request whose
//! `If-None-Match` names the current tag gets `304 Not Modified` ([`conditional_get`]).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use styrhub_domain::ids::Gender;
use styrhub_domain::RepoError;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::rest::problem::Problem;

pub mod areas;
pub mod csv;
pub mod export;
pub mod formats;
pub mod goals;
pub mod groups;
pub mod indicators;
pub mod jsonstat;
pub mod kpis;
pub mod openapi;
pub mod page;
pub mod params;
pub mod problem;
pub mod series;

/// How long clients and caches may reuse an answer without asking again; after that they
/// revalidate with `If-None-Match`. Values change only when an ingest runs.
pub const CACHE_CONTROL: &str = "public, max-age=60";

/// The REST routes, the OpenAPI document (for lists of at most `max_page_size`) and the docs
/// page; series answers are kept in `answers` for its time to live.
pub fn router(answers: Arc<crate::answer_cache::SeriesAnswers>, max_page_size: usize) -> Router<AppState> {
    let (routes, mut api) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(areas::list))
        .routes(routes!(kpis::list))
        .routes(routes!(kpis::one))
        .routes(routes!(kpis::series))
        .routes(routes!(kpis::ranking))
        .routes(routes!(kpis::group_series))
        .routes(routes!(indicators::list))
        .routes(routes!(indicators::one))
        .routes(routes!(indicators::series))
        .routes(routes!(groups::indicator_group_series))
        .routes(routes!(groups::list))
        .routes(routes!(export::export))
        .routes(routes!(goals::list))
        .routes(routes!(goals::one))
        .routes(routes!(goals::tree))
        .routes(routes!(goals::status))
        .split_for_parts();
    utoipa::Modify::modify(&openapi::AccessAndLimits, &mut api);
    utoipa::Modify::modify(&openapi::PageLimit(max_page_size), &mut api);
    let document: Arc<[u8]> = serde_json::to_vec(&api).unwrap_or_default().into();
    routes
        .route(
            "/api/openapi.json",
            get(move || {
                let document = document.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                        document.to_vec(),
                    )
                }
            }),
        )
        .merge(openapi::docs_page())
        .route("/api/v1/{*rest}", get(unknown_path))
        // Inside the ETag layer, so that conditional requests are answered from kept answers too.
        .layer(middleware::from_fn_with_state(answers, crate::answer_cache::cached_series))
        .layer(middleware::from_fn(conditional_get))
}

async fn unknown_path(uri: axum::http::Uri) -> Problem {
    Problem::not_found(format!("path {}", uri.path()))
}

/// Marks an answer streamed as it is read (a whole-table export): [`conditional_get`] leaves it
/// alone, since tagging it would mean holding all of it before the first byte leaves.
#[derive(Debug, Clone, Copy)]
pub struct Streamed;

/// Adds `ETag` (a hash of the body), `Cache-Control` and `Vary: Accept` to successful GET
/// answers, and answers `304 Not Modified` when `If-None-Match` names the tag. The tag is weak
/// because compression, further out, changes the bytes but not the meaning.
pub async fn conditional_get(req: Request, next: Next) -> Response {
    let get = req.method() == Method::GET || req.method() == Method::HEAD;
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let res = next.run(req).await;
    if !get || res.status() != StatusCode::OK || res.extensions().get::<Streamed>().is_some() {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // Every other answer here is built in memory first, so buffering it costs nothing extra.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return Problem::from(RepoError::Internal(format!("cannot read the answer: {e}"))).into_response(),
    };
    let tag = etag(&bytes);
    if let Ok(v) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, v);
    }
    parts
        .headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(CACHE_CONTROL));
    parts.headers.append(header::VARY, HeaderValue::from_static("accept"));
    if if_none_match.is_some_and(|inm| etag_matches(&inm, &tag)) {
        parts.status = StatusCode::NOT_MODIFIED;
        for h in [header::CONTENT_LENGTH, header::CONTENT_TYPE, header::CONTENT_DISPOSITION] {
            parts.headers.remove(h);
        }
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// `W/"…"`: the first 128 bits of the body's SHA-256, in hex.
pub(crate) fn etag(body: &[u8]) -> String {
    use std::fmt::Write;
    let hash = Sha256::digest(body);
    // One buffer for the whole tag: this runs on every answer.
    let mut tag = String::with_capacity(36);
    tag.push_str("W/\"");
    for b in &hash[..16] {
        let _ = write!(tag, "{b:02x}");
    }
    tag.push('"');
    tag
}

/// The weak comparison of `If-None-Match` (RFC 9110 §13.1.2): `*`, or any listed tag equal to
/// ours once `W/` is set aside.
pub(crate) fn etag_matches(if_none_match: &str, tag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    if_none_match.split(',').any(|t| t.trim() == "*" || opaque(t) == opaque(tag))
}

/// The display name of a gender.
pub fn gender_label(g: Gender) -> &'static str {
    match g {
        Gender::Total => "total",
        Gender::Women => "women",
        Gender::Men => "men",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_accepts_a_list_or_a_star() {
        let tag = etag(b"body");
        assert!(etag_matches(&tag, &tag));
        assert!(etag_matches(&format!("\"x\", {}", tag.trim_start_matches("W/")), &tag));
        assert!(etag_matches("*", &tag));
        assert!(!etag_matches("W/\"other\"", &tag));
    }
}
