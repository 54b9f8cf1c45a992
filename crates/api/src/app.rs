//! Application state and the router.

use std::sync::Arc;
use std::time::Duration;

use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{Extension, State};
use axum::http::{header, HeaderName, HeaderValue, Method, Request};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use styrhub_domain::access::{Actor, AuditReader, TokenStore};
use styrhub_domain::ports::{HealthCheck, RunLog};
use styrhub_store::replicas::ReplicaSet;
use styrhub_store::Store;
use tower::ServiceBuilder;
use tower_http::compression::{CompressionLayer, Predicate};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::access::Caller;
use crate::answer_cache::{AnswerCache, SeriesAnswers};
use crate::gateway::Gateway;
use crate::graphql::answers::{self, GraphqlAnswers};
use crate::graphql::{build_schema, StyrhubSchema};
use crate::limits::{Limits, RateLimiter};
use crate::metrics::Metrics;
use crate::read::Loaders;

/// The ports, by capability: what handlers and resolvers reach instead of the database.
#[derive(Clone)]
pub struct Ports {
    /// Database liveness.
    pub health: Arc<dyn HealthCheck>,
    /// Every read, by capability: what [`crate::read`] reads through. With read replicas,
    /// they answer these (see [`Ports::reads_for`]).
    pub read: crate::read::Ports,
    /// The same reads on the primary: for a caller that has just written, and for a GraphQL
    /// mutation's own reads. The same as `read` without replicas.
    pub read_primary: crate::read::Ports,
    /// The read replicas, when there are any.
    pub replicas: Option<Arc<ReplicaSet>>,
    /// Every write, behind the gateway.
    pub gateway: Gateway,
    /// The log of ingest runs.
    pub runs: Arc<dyn RunLog>,
    /// API tokens: who a bearer token belongs to.
    pub tokens: Arc<dyn TokenStore>,
    /// The audit log of every change.
    pub audit: Arc<dyn AuditReader>,
}

impl Ports {
    /// Every port backed by the store.
    pub fn from_store(store: Store) -> Self {
        let store = Arc::new(store);
        let read = crate::read::Ports::new(crate::read::Readers {
            governance: store.clone(),
            indicators: store.clone(),
            series: store.clone(),
            tables: store.clone(),
        });
        Self {
            health: store.clone(),
            read_primary: read.clone(),
            read,
            replicas: None,
            gateway: Gateway::new(store.clone()),
            runs: store.clone(),
            tokens: store.clone(),
            audit: store,
        }
    }

    /// Every port backed by the store, the reads by its replicas.
    pub fn with_replicas(store: Store, replicas: Arc<ReplicaSet>) -> Self {
        let mut ports = Self::from_store(store);
        ports.read = crate::read::Ports::new(crate::read::Readers {
            governance: replicas.clone(),
            indicators: replicas.clone(),
            series: replicas.clone(),
            tables: replicas.clone(),
        });
        ports.replicas = Some(replicas);
        ports
    }

    /// The reads for `actor`: on the primary when its token committed a write in this process
    /// more recently than every usable replica is sure to hold (`ReplicaSet::settled_after`),
    /// so that a caller always reads its own writes; otherwise through the replicas.
    pub fn reads_for(&self, actor: Option<&Actor>) -> &crate::read::Ports {
        let Some(replicas) = &self.replicas else {
            return &self.read;
        };
        match actor.and_then(Actor::principal) {
            Some(p) if self.gateway.commits().wrote_within(p.token_id, replicas.settled_after()) => &self.read_primary,
            _ => &self.read,
        }
    }
}

/// How the HTTP layer around the handlers behaves.
#[derive(Clone, Debug, Default)]
pub struct HttpOptions {
    /// Origins whose browser pages may call the API (CORS): none by default; `*` allows any.
    pub cors_origins: Vec<HeaderValue>,
    /// How long a series answer is served again without reading the database (see
    /// `answer_cache`): zero, the default here and in `styrhub serve`, keeps none.
    pub series_cache_ttl: Duration,
    /// How long a GraphQL query's answer is served again to the same caller without running it
    /// (see `graphql::answers`): zero, the default here and in `styrhub serve`, keeps none.
    /// Every write this process commits forgets them all.
    pub graphql_cache_ttl: Duration,
    /// Whether every GraphQL request and REST read needs a valid token (see `access`); reads
    /// are open data by default.
    pub require_token_for_reads: bool,
    /// Body size, timeout, GraphQL depth and complexity, introspection and rate limits
    /// (see [`crate::limits`]).
    pub limits: Limits,
}

/// What every handler can reach: one shared [`Shared`], so that the copy each middleware and
/// handler takes per request is one reference count, not one per port and option.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
#[derive(Clone)]
pub struct Shared {
    /// The ports.
    pub ports: Ports,
    /// The GraphQL schema, built once.
    pub schema: StyrhubSchema,
    /// Request and ingest metrics.
    pub metrics: Arc<Metrics>,
    /// The HTTP layer's options.
    pub http: HttpOptions,
    /// Recent series answers (`http.series_cache_ttl`).
    pub answers: Arc<SeriesAnswers>,
    /// Recent GraphQL answers (`http.graphql_cache_ttl`).
    pub graphql_answers: Arc<GraphqlAnswers>,
    /// Request counts per client address and bearer token (`http.limits`).
    pub limiter: Arc<RateLimiter>,
}

impl AppState {
    /// State backed by the store.
    pub fn new(store: Store) -> Self {
        Self::of_ports(Ports::from_store(store))
    }

    /// State backed by the store, its reads by these replicas.
    pub fn with_replicas(store: Store, replicas: Arc<ReplicaSet>) -> Self {
        Self::of_ports(Ports::with_replicas(store, replicas))
    }

    fn of_ports(ports: Ports) -> Self {
        let http = HttpOptions::default();
        Self(Arc::new(Shared {
            schema: build_schema(&http.limits),
            metrics: Metrics::new(),
            answers: AnswerCache::new(http.series_cache_ttl, ports.gateway.commits()),
            graphql_answers: AnswerCache::new(http.graphql_cache_ttl, ports.gateway.commits()),
            ports,
            limiter: Arc::new(RateLimiter::for_limits(&http.limits)),
            http,
        }))
    }

    /// The same state with these HTTP options.
    pub fn with_http(self, http: HttpOptions) -> Self {
        let mut state = Arc::unwrap_or_clone(self.0);
        state.answers = AnswerCache::new(http.series_cache_ttl, state.ports.gateway.commits());
        state.graphql_answers = AnswerCache::new(http.graphql_cache_ttl, state.ports.gateway.commits());
        state.schema = build_schema(&http.limits);
        state.limiter = Arc::new(RateLimiter::for_limits(&http.limits));
        state.http = http;
        Self(Arc::new(state))
    }
}

/// The request id header: taken from the caller when given, made otherwise, sent back, and on
/// every log line of the request.
const REQUEST_ID: &str = "x-request-id";

/// The whole HTTP surface. Answers are compressed (gzip or br) when the client accepts it;
/// CORS headers are sent only for the configured origins; every request is counted and timed
/// per route, and carries a request id. Around the routes, from the outside in: the rate limit
/// (a throttled client costs no more than a bucket lookup), the request timeout, the body limit.
///
/// Serve it with `into_make_service_with_connect_info::<SocketAddr>()`: the per-address rate
/// limit keys on the peer address (without it, only bearer tokens are limited).
pub fn router(state: AppState) -> Router {
    let cors = cors(&state.http.cors_origins);
    let request_id = HeaderName::from_static(REQUEST_ID);
    let app = Router::new()
        .route("/healthz", get(crate::health::healthz))
        .route("/readyz", get(crate::health::readyz))
        .route("/graphql", get(crate::graphiql::page).post(graphql))
        .route("/metrics", get(crate::metrics::metrics))
        .merge(crate::rest::router(state.answers.clone(), state.http.limits.max_page_size))
        .merge(crate::odata::router())
        .merge(crate::dashboard::router())
        .merge(crate::graphiql::router())
        // Inside the metrics layer, so that refused requests are counted too.
        .route_layer(middleware::from_fn_with_state(state.clone(), crate::access::authenticate))
        .route_layer(middleware::from_fn_with_state(state.clone(), crate::metrics::track))
        .fallback(crate::metrics::unmatched)
        .layer(middleware::from_fn(crate::limits::reject_nul))
        .layer(middleware::from_fn_with_state(state.clone(), crate::limits::body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), crate::limits::timeout))
        .layer(middleware::from_fn_with_state(state.clone(), crate::limits::rate_limit))
        // A gzip file (`/api/v1/export/….csv.gz`) is not compressed again.
        .layer(
            CompressionLayer::new().compress_when(
                tower_http::compression::DefaultPredicate::new()
                    .and(tower_http::compression::predicate::NotForContentType::const_new("application/gzip")),
            ),
        )
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", request_id = %id, method = %req.method(), uri = %crate::access::redacted(req.uri()))
                }))
                .layer(PropagateRequestIdLayer::new(request_id)),
        );
    match cors {
        Some(cors) => app.layer(cors),
        None => app,
    }
    .with_state(state)
}
/// The CORS layer for these origins; none when there are none.
fn cors(origins: &[HeaderValue]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().cloned())
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::HEAD, Method::POST])
            .allow_headers([header::ACCEPT, header::CONTENT_TYPE, header::IF_NONE_MATCH, header::AUTHORIZATION])
            .expose_headers([header::ETAG, header::LINK, header::CONTENT_DISPOSITION])
            .max_age(Duration::from_secs(3600)),
    )
}

async fn graphql(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    req: GraphQLRequest<crate::limits::GraphQLRejection>,
) -> Response {
    // The middleware always sets the caller; without it the request is anonymous.
    let actor = match caller.map(|Extension(c)| c.0).unwrap_or(Ok(Actor::Anonymous)) {
        Ok(actor) => actor,
        Err(denied) => {
            // About the request as a whole, not a place in the query: no locations.
            let mut error = crate::error::gql_denied(denied).into_server_error(async_graphql::Pos::default());
            error.locations.clear();
            return GraphQLResponse::from(async_graphql::Response::from_errors(vec![error])).into_response();
        }
    };
    let req = req.into_inner();
    if let Some(refused) = crate::limits::nul_in_graphql(&req) {
        return GraphQLResponse::from(refused).into_response();
    }
    let cache = &state.graphql_answers;
    let key = if cache.enabled() { answers::Key::of(&req, &actor) } else { None };
    if let Some(kept) = key.as_ref().and_then(|k| cache.get(k)) {
        return kept.into_response();
    }
    // Parsed here as well as by the executor only when the cache needs to know. Mutations
    // forget kept answers where they commit (the gateway's `Commits`), not here: a mutation
    // that is refused or rejected forgets nothing.
    let operation = if key.is_some() {
        answers::operation(&req)
    } else {
        answers::Operation::Other
    };
    let generation = cache.generation();
    // With replicas, a query reads where its caller should (see `Ports::reads_for`), and a
    // mutation reads the primary: what it returns must show what it wrote.
    let mut ports = state.ports.clone();
    if ports.replicas.is_some() {
        ports.read = match answers::operation(&req) {
            answers::Operation::Query => ports.reads_for(Some(&actor)).clone(),
            _ => ports.read_primary.clone(),
        };
    }
    let req = req
        .data(Loaders::new(&ports.read))
        .data(crate::graphql::context::GoalIndicators::default())
        .data(ports)
        .data(actor);
    let mut res = state.schema.execute(req).await;
    crate::error::label_request_errors(&mut res);
    let ok = res.is_ok();
    let res = GraphQLResponse::from(res).into_response();
    match (operation, key) {
        (answers::Operation::Query, Some(key)) if ok => cache.keep(key, generation, res).await,
        _ => res,
    }
}
