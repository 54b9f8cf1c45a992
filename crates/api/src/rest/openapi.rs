//! The OpenAPI document's header (the paths and schemas come from the handlers' annotations,
//! collected by `utoipa-axum` in [`super::router`]) and the interactive docs page.

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

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
    // The shapes of query parameters, which the handlers' annotations name but do not collect.
    components(schemas(
        crate::rest::params::AreaCodeParam,
        crate::rest::params::PlaceCodeParam,
        crate::rest::params::MunicipalityCodeParam,
        crate::rest::params::GenderParam,
        crate::rest::params::AreaTypeParam,
        crate::rest::params::OrderParam,
        crate::rest::formats::ListFormatName,
        crate::rest::formats::DataFormatName,
        crate::rest::export::ExportFormatName,
        crate::rest::goals::GoalKindParam,
        crate::rest::indicators::IndicatorKindParam,
        crate::rest::jsonstat::JsonStatDataset,
        // Named by the answers that may come as JSON-stat instead (`json_or_jsonstat`).
        crate::rest::series::SeriesSet,
        crate::rest::kpis::Ranking,
        crate::rest::groups::GroupSeries,
        crate::rest::goals::GoalStatus
    )),
    tags(
        (name = "areas", description = "Municipalities, regions, groups and organisational units values are measured for."),
        (name = "kpis", description = "Key figures (Kolada KPIs): metadata, series, rankings and group figures."),
        (name = "groups", description = "Comparison groups: Kolada's municipality groups and municipalities' own, with their members year by year."),
        (name = "indicators", description = "Indicators that follow goals up: metadata, targets, status and series."),
        (name = "goals", description = "Goals at every level, their hierarchy, and the status of their indicators."),
        (name = "exports", description = "Whole tables as CSV (or gzipped CSV) for scripts, Grafana and spreadsheets, streamed from the database."),
    )
)]
pub struct ApiDoc;

/// What every operation shares and the handlers' annotations do not repeat: the optional
/// bearer token (reads are public unless a deployment requires a token) and the answers of
/// the access and limit layers in front of every handler. Applied by [`super::router`] once the
/// handlers' paths are collected.
pub struct AccessAndLimits;

/// The answers every operation may get from the layers in front of it (`access`, `limits`).
const SHARED_ANSWERS: &[(&str, &str)] = &[
    (
        "401",
        "UNAUTHENTICATED: the bearer token is unknown, revoked or malformed, or this deployment \
         requires a token for reads (`WWW-Authenticate: Bearer`).",
    ),
    ("413", "TOO_LARGE: the request body is larger than the deployment allows."),
    (
        "429",
        "RATE_LIMITED: too many requests from this address or token; `Retry-After` says when to try again.",
    ),
    (
        "503",
        "UNAVAILABLE (the database cannot be reached; try again shortly) or TIMEOUT (the request \
         took longer than the deployment allows).",
    ),
];

impl Modify for AccessAndLimits {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.components.get_or_insert_with(Default::default).add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token from `styrhub token create`, as `Authorization: Bearer styrhub_…`.",
                    ))
                    .build(),
            ),
        );
        // Either no token (open data) or a bearer token.
        openapi.security = Some(vec![
            SecurityRequirement::default(),
            SecurityRequirement::new("bearer", Vec::<String>::new()),
        ]);
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete]
                .into_iter()
                .flatten()
            {
                for (status, description) in SHARED_ANSWERS {
                    op.responses.responses.entry((*status).to_owned()).or_insert_with(|| {
                        RefOr::T(
                            ResponseBuilder::new()
                                .description(*description)
                                .content(
                                    "application/problem+json",
                                    ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                                )
                                .build(),
                        )
                    });
                }
            }
        }
    }
}

/// The largest `limit` a list answers, as this deployment set it (`--max-page-size`): the
/// handlers' annotations say the default.
pub struct PageLimit(pub usize);

impl Modify for PageLimit {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let Some(op) = item.get.as_mut() else { continue };
            for param in op.parameters.iter_mut().flatten().filter(|p| p.name == "limit") {
                param.schema = Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                        .minimum(Some(1))
                        .maximum(Some(self.0 as f64))
                        .into(),
                );
            }
        }
    }
}

/// `/api/docs`: Swagger UI reading `/api/openapi.json`, every file of it served from the
/// binary (the crate's `vendored` copy), so the page works on a network without internet. The
/// validator badge is off: it would send the document to swagger.io.
pub fn docs_page<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    SwaggerUi::new(DOCS_PATH)
        .config(Config::from("/api/openapi.json").validator_url("none").try_it_out_enabled(true))
        .into()
}

/// Where [`docs_page`] is served (its files below it).
pub const DOCS_PATH: &str = "/api/docs";
