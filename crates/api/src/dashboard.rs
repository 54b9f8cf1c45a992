//! The follow-up dashboard at `/`: a page that shows a municipality's governance chain and how
//! it is doing, built only on the public GraphQL API (it doubles as the reference example for
//! dashboard builders).
//!
//! The page is plain HTML, CSS and hand-written ES modules under `crates/api/assets/dashboard/`,
//! embedded in the binary ([`crate::embedded`]): nothing is built on the user's machine and
//! nothing is fetched from elsewhere, so `cargo run -- serve --demo` is still the whole set-up.

use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::app::AppState;
use crate::embedded::{asset, Bundle};

/// The page and every file it loads. `index.html` is also served at `/`.
static DASHBOARD: Bundle = Bundle::new(&[
    asset!("dashboard", "index.html", "text/html; charset=utf-8"),
    asset!("dashboard", "style.css", "text/css; charset=utf-8"),
    asset!("dashboard", "app.js", "text/javascript; charset=utf-8"),
    asset!("dashboard", "api.js", "text/javascript; charset=utf-8"),
    asset!("dashboard", "tree.js", "text/javascript; charset=utf-8"),
    asset!("dashboard", "chart.js", "text/javascript; charset=utf-8"),
    asset!("dashboard", "dom.js", "text/javascript; charset=utf-8"),
    asset!("dashboard", "labels.js", "text/javascript; charset=utf-8"),
]);

/// The dashboard's routes: the page at `/`, its files under `/assets/dashboard/`.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(index)).route("/assets/dashboard/{name}", get(file))
}

/// `GET /`: the page.
async fn index(headers: HeaderMap) -> Response {
    DASHBOARD.serve_at(0, &headers)
}

/// `GET /assets/dashboard/{name}`: one of the page's files; 404 for any other name.
async fn file(Path(name): Path<String>, headers: HeaderMap) -> Response {
    DASHBOARD.serve(&name, &headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_the_page_loads_is_embedded() {
        crate::embedded::assert_every_file_is_loaded(&DASHBOARD, "/assets/dashboard/");
        let page = std::str::from_utf8(DASHBOARD.assets()[0].body).expect("index.html is UTF-8");
        assert!(page.contains("/assets/dashboard/app.js"), "the page loads app.js");
    }
}
