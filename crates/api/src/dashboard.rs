//! The follow-up dashboard at `/`: a page that shows a municipality's governance chain and how
//! it is doing, built only on the public GraphQL API (it doubles as the reference example for
//! dashboard builders).
//!
//! The page is plain HTML, CSS and hand-written ES modules under `crates/api/assets/dashboard/`,
//! embedded in the binary: nothing is built on the user's machine and nothing is fetched from
//! elsewhere, so `cargo run -- serve --demo` is still the whole set-up.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

use crate::app::AppState;

/// One embedded file.
struct Asset {
    /// The file name under `/assets/dashboard/`.
    name: &'static str,
    /// Its media type.
    content_type: &'static str,
    /// Its bytes.
    body: &'static [u8],
}

/// An embedded file of `crates/api/assets/dashboard/`, by name and media type.
macro_rules! asset {
    ($name:literal, $content_type:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../assets/dashboard/", $name)),
        }
    };
}

/// The page and every file it loads. `index.html` is also served at `/`.
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("api.js", "text/javascript; charset=utf-8"),
    asset!("tree.js", "text/javascript; charset=utf-8"),
    asset!("chart.js", "text/javascript; charset=utf-8"),
    asset!("dom.js", "text/javascript; charset=utf-8"),
    asset!("labels.js", "text/javascript; charset=utf-8"),
];

/// The file names are not fingerprinted, so browsers keep them but ask again each time (a
/// `304` costs no body): a new binary's page shows at once.
const CACHE_CONTROL: &str = "no-cache";

/// The dashboard's routes: the page at `/`, its files under `/assets/dashboard/`.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(index)).route("/assets/dashboard/{name}", get(asset))
}

/// `GET /`: the page.
async fn index(headers: HeaderMap) -> Response {
    serve(0, &headers)
}

/// `GET /assets/dashboard/{name}`: one of the page's files; 404 for any other name.
async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => serve(i, &headers),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The asset at `index` of [`ASSETS`], or `304 Not Modified` when `If-None-Match` names its tag.
fn serve(index: usize, headers: &HeaderMap) -> Response {
    let (asset, tag) = (&ASSETS[index], &etags()[index]);
    let cache = [
        (header::ETAG, tag.clone()),
        (header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL)),
    ];
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|inm| etag_matches(inm, tag));
    if matches {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type))];
    (content_type, cache, asset.body).into_response()
}

/// One tag per asset, in the order of [`ASSETS`], hashed once: the bodies never change while
/// the binary runs.
fn etags() -> &'static [HeaderValue] {
    static TAGS: OnceLock<Vec<HeaderValue>> = OnceLock::new();
    TAGS.get_or_init(|| ASSETS.iter().map(|a| etag(a.body)).collect())
}

/// `W/"…"`: the first 128 bits of the body's SHA-256, in hex. Weak, because compression further
/// out changes the bytes but not the meaning.
fn etag(body: &[u8]) -> HeaderValue {
    let hex: String = Sha256::digest(body)[..16].iter().map(|b| format!("{b:02x}")).collect();
    // Hex digits and quotes are always a valid header value.
    HeaderValue::from_str(&format!("W/\"{hex}\"")).unwrap_or(HeaderValue::from_static("W/\"\""))
}

/// The weak comparison of `If-None-Match` (RFC 9110 §13.1.2): `*`, or any listed tag equal to
/// ours once `W/` is set aside.
fn etag_matches(if_none_match: &str, tag: &HeaderValue) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let tag = tag.to_str().unwrap_or_default();
    if_none_match.split(',').any(|t| t.trim() == "*" || opaque(t) == opaque(tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_the_page_loads_is_embedded() {
        let page = std::str::from_utf8(ASSETS[0].body).expect("index.html is UTF-8");
        for a in &ASSETS[1..] {
            let imported = ASSETS
                .iter()
                .filter_map(|other| std::str::from_utf8(other.body).ok())
                .any(|text| text.contains(&format!("/assets/dashboard/{}", a.name)) || text.contains(&format!("./{}", a.name)));
            assert!(imported, "{} is embedded but nothing loads it", a.name);
        }
        assert!(page.contains("/assets/dashboard/app.js"), "the page loads app.js");
    }

    #[test]
    fn a_tag_matches_itself_weakly_and_in_a_list() {
        let tag = etag(b"x");
        let s = tag.to_str().unwrap().to_owned();
        assert!(etag_matches(&s, &tag));
        assert!(etag_matches(&format!("\"other\", {}", s.trim_start_matches("W/")), &tag));
        assert!(!etag_matches("\"other\"", &tag));
    }
}
