//! Files embedded in the binary and served from it (the dashboard, GraphiQL): nothing is built
//! on the user's machine and nothing is fetched from elsewhere, so the pages work on a network
//! without internet.
//!
//! Each file is answered with its media type, a weak `ETag` (a hash of its bytes, made as the
//! REST answers' tags are, computed once) and `Cache-Control: no-cache`: browsers keep the
//! files but ask again each time (a `304` costs no body), so a new binary's files show at once
//! although their names are not fingerprinted.

use std::sync::OnceLock;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::rest::{etag, etag_matches};

/// One embedded file.
pub struct Asset {
    /// The file name, as its URL ends.
    pub name: &'static str,
    /// Its media type.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

/// An embedded file of `crates/api/assets/{folder}/`, by name and media type.
macro_rules! asset {
    ($folder:literal, $name:literal, $content_type:literal) => {
        $crate::embedded::Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../assets/", $folder, "/", $name)),
        }
    };
}
pub(crate) use asset;

/// A set of embedded files, each with its tag.
pub struct Bundle {
    assets: &'static [Asset],
    tags: OnceLock<Vec<HeaderValue>>,
}

/// The file names are not fingerprinted: see the module.
const CACHE_CONTROL: &str = "no-cache";

impl Bundle {
    /// The bundle of `assets`.
    pub const fn new(assets: &'static [Asset]) -> Self {
        Self {
            assets,
            tags: OnceLock::new(),
        }
    }

    /// The files, in order.
    pub fn assets(&self) -> &'static [Asset] {
        self.assets
    }

    /// The file called `name`, or `304 Not Modified` when `If-None-Match` names its tag; 404
    /// for any other name.
    pub fn serve(&'static self, name: &str, headers: &HeaderMap) -> Response {
        match self.assets.iter().position(|a| a.name == name) {
            Some(i) => self.serve_at(i, headers),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }

    /// The file at `index`, as [`Bundle::serve`].
    pub fn serve_at(&'static self, index: usize, headers: &HeaderMap) -> Response {
        let (asset, tag) = (&self.assets[index], &self.tags()[index]);
        let cache = [
            (header::ETAG, tag.clone()),
            (header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL)),
        ];
        let matches = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|inm| etag_matches(inm, tag.to_str().unwrap_or_default()));
        if matches {
            return (StatusCode::NOT_MODIFIED, cache).into_response();
        }
        let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type))];
        (content_type, cache, asset.body).into_response()
    }

    /// One tag per file, hashed once: the bodies never change while the binary runs.
    fn tags(&self) -> &[HeaderValue] {
        // Hex digits and quotes are always a valid header value.
        self.tags.get_or_init(|| {
            self.assets
                .iter()
                .map(|a| HeaderValue::from_str(&etag(a.body)).unwrap_or(HeaderValue::from_static("W/\"\"")))
                .collect()
        })
    }
}

/// Asserts that every file of `bundle` but the first (the page) is loaded by some file of it,
/// as `{prefix}{name}` or `./{name}`: nothing embedded for nothing.
#[cfg(test)]
pub fn assert_every_file_is_loaded(bundle: &Bundle, prefix: &str) {
    let assets = bundle.assets();
    for a in &assets[1..] {
        let loaded = assets
            .iter()
            .filter_map(|other| std::str::from_utf8(other.body).ok())
            .any(|text| text.contains(&format!("{prefix}{}", a.name)) || text.contains(&format!("./{}", a.name)));
        assert!(loaded, "{} is embedded but nothing loads it", a.name);
    }
}
