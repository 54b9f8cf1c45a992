//! GraphiQL, the in-browser GraphQL IDE, at `GET /graphql`, served entirely from the binary
//! ([`crate::embedded`]; the files and their versions and licences are in
//! `crates/api/assets/graphiql/`). async-graphql's own GraphiQL page loads its scripts from a
//! CDN, which leaves it blank on a network without internet.

use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::app::AppState;
use crate::embedded::{asset, Bundle};

/// The page and every file it loads.
static GRAPHIQL: Bundle = Bundle::new(&[
    asset!("graphiql", "index.html", "text/html; charset=utf-8"),
    asset!("graphiql", "start.js", "text/javascript; charset=utf-8"),
    asset!("graphiql", "graphiql.min.js", "text/javascript; charset=utf-8"),
    asset!("graphiql", "graphiql.min.css", "text/css; charset=utf-8"),
    asset!("graphiql", "react.production.min.js", "text/javascript; charset=utf-8"),
    asset!("graphiql", "react-dom.production.min.js", "text/javascript; charset=utf-8"),
]);

/// GraphiQL's files under `/assets/graphiql/` (the page itself is `GET /graphql`: [`page`]).
pub fn router() -> Router<AppState> {
    Router::new().route("/assets/graphiql/{name}", get(file))
}

/// `GET /graphql` from a browser: the page.
pub async fn page(headers: HeaderMap) -> Response {
    GRAPHIQL.serve_at(0, &headers)
}

/// `GET /assets/graphiql/{name}`: one of the page's files; 404 for any other name.
async fn file(Path(name): Path<String>, headers: HeaderMap) -> Response {
    GRAPHIQL.serve(&name, &headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_page_loads_is_embedded_and_nothing_comes_from_elsewhere() {
        crate::embedded::assert_every_file_is_loaded(&GRAPHIQL, "/assets/graphiql/");
        let page = std::str::from_utf8(GRAPHIQL.assets()[0].body).expect("index.html is UTF-8");
        assert!(!page.contains("//unpkg") && !page.contains("cdn"), "{page}");
    }
}
