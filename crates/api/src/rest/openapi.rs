//! The OpenAPI document's header (the paths and schemas come from the handlers' annotations,
//! collected by `utoipa-axum` in [`super::router`]) and the interactive docs page.

use utoipa::OpenApi;

/// The document's title, description and tags.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Styrhub REST API",
        description = "Areas, key figures (KPIs), indicators, goals and their values for Swedish \
municipalities. Series, rankings and goal status come as JSON (the default), CSV \
(`?format=csv` or `Accept: text/csv`; `?format=csv-excel` for Excel: BOM, `;`, decimal comma) \
and JSON-stat 2.0 (`?format=jsonstat`). Lists page with `limit` and an opaque `cursor` \
(`next_cursor` in the body, `Link: rel=\"next\"` in the headers). Errors are RFC 9457 problem \
details (`application/problem+json`) whose `parameter` names the bad query parameter. Answers \
carry an `ETag`; `If-None-Match` gets `304 Not Modified` when nothing changed.",
        license(name = "MIT OR Apache-2.0")
    ),
    tags(
        (name = "areas", description = "Municipalities, regions, groups and organisational units values are measured for."),
        (name = "kpis", description = "Key figures (Kolada KPIs): metadata, series and rankings."),
        (name = "indicators", description = "Indicators that follow goals up: metadata, targets, status and series."),
        (name = "goals", description = "Goals at every level, their hierarchy, and the status of their indicators."),
    )
)]
pub struct ApiDoc;

/// `/api/docs`: Scalar's API reference, loaded from a CDN, reading `/api/openapi.json`.
pub const DOCS_PAGE: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <title>Styrhub REST API</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <script id="api-reference" data-url="/api/openapi.json"></script>
    <script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference"></script>
  </body>
</html>
"#;
