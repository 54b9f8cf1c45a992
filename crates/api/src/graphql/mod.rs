//! The GraphQL schema: one file per concept, merged here, built in one place for the server,
//! `styrhub schema` and the tests.

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema};
use styrhub_domain::ports::GovernanceReader;

pub mod goal;
pub mod loaders;
pub mod org_unit;

/// The schema type.
pub type StyrhubSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Every query, merged from the concept files.
#[derive(MergedObject, Default)]
pub struct Query(org_unit::OrgUnitQuery, goal::GoalQuery);

/// Deepest nesting a query may have; the goal chain is at most a handful of levels.
pub const MAX_DEPTH: usize = 12;
/// Largest complexity a query may have.
pub const MAX_COMPLEXITY: usize = 5_000;

/// Builds the schema with its data loaders and limits.
pub fn build_schema(governance: Arc<dyn GovernanceReader>) -> StyrhubSchema {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .data(DataLoader::new(loaders::OrgUnitLoader(governance.clone()), tokio::spawn))
        .data(DataLoader::new(loaders::FocusAreaLoader(governance.clone()), tokio::spawn))
        .data(governance)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription).finish().sdl()
}
