//! Application state and the router.

use std::sync::Arc;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use styrhub_domain::ports::{GovernanceReader, HealthCheck};
use styrhub_store::Store;
use tower_http::trace::TraceLayer;

use crate::graphql::{build_schema, StyrhubSchema};

/// What every handler can reach: the ports, never the database itself.
#[derive(Clone)]
pub struct AppState {
    /// Database liveness.
    pub health: Arc<dyn HealthCheck>,
    /// The governance chain.
    pub governance: Arc<dyn GovernanceReader>,
    /// The GraphQL schema, built once.
    pub schema: StyrhubSchema,
}

impl AppState {
    /// State backed by the store.
    pub fn new(store: Store) -> Self {
        let store = Arc::new(store);
        let governance: Arc<dyn GovernanceReader> = store.clone();
        Self {
            health: store,
            schema: build_schema(governance.clone()),
            governance,
        }
    }
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(crate::health::healthz))
        .route("/readyz", get(crate::health::readyz))
        .route("/graphql", get(graphiql).post(graphql))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn graphql(State(state): State<AppState>, req: GraphQLRequest) -> GraphQLResponse {
    state.schema.execute(req.into_inner()).await.into()
}

/// GraphiQL for browsers on GET `/graphql`.
async fn graphiql() -> impl IntoResponse {
    Html(GraphiQLSource::build().endpoint("/graphql").title("Styrhub GraphQL").finish())
}
