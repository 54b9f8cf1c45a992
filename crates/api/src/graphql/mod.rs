//! The GraphQL schema: one file per concept, merged here, built in one place for the server,
//! `styrhub schema` and the tests.
//!
//! Every request gets its own data loaders ([`crate::read::Loaders`]), so that a goal tree of any
//! size costs a fixed number of SQL statements and no cache outlives a request.

use async_graphql::{EmptySubscription, MergedObject, Schema};

use crate::limits::Limits;

pub mod answers;
pub mod assignment;
pub mod audit;
pub mod budget;
pub mod context;
pub mod cost;
pub mod follow_up;
pub mod goal;
pub mod group;
pub mod indicator;
pub mod ingest;
pub mod introspection;
pub mod mission;
pub mod mutation;
pub mod org_unit;
pub mod page;
pub mod plain;
pub mod series;
pub mod vision;

/// The schema type.
pub type StyrhubSchema = Schema<Query, mutation::Mutation, EmptySubscription>;

/// Every query, merged from the concept files.
#[derive(MergedObject, Default)]
pub struct Query(
    org_unit::OrgUnitQuery,
    vision::VisionQuery,
    goal::GoalQuery,
    indicator::IndicatorQuery,
    series::SeriesQuery,
    mission::MissionQuery,
    assignment::AssignmentQuery,
    follow_up::FollowUpQuery,
    budget::BudgetQuery,
    ingest::IngestQuery,
    audit::AuditQuery,
    group::GroupQuery,
);

/// Deepest nesting a query may have by default (`--graphql-max-depth`): vision → focus areas → goals → children → indicators →
/// status → target fits with room to spare.
pub const MAX_DEPTH: usize = 16;
/// Largest cost a query may have by default (`--graphql-max-complexity`), counted with its
/// fan-out ([`cost`]): a field costs 1 plus what is selected under it, once per item it may
/// return. A whole 1,000-goal page with each goal's indicators, latest values, statuses and
/// targets costs about 426,000 and passes; the same page reaching through every goal's
/// descendants to their indicators' series and points costs millions and is refused.
pub const MAX_COMPLEXITY: usize = 500_000;

/// Builds the schema with its limits (depth, complexity, introspection). Request data (ports,
/// loaders) is added per request. The limits do not change the SDL.
pub fn build_schema(limits: &Limits) -> StyrhubSchema {
    let builder = Schema::build(Query::default(), mutation::Mutation, EmptySubscription)
        .limit_depth(limits.graphql_max_depth)
        // Our own cost, with fan-out, in place of async-graphql's field count (see `cost`).
        .extension(cost::CostLimit {
            limit: limits.graphql_max_complexity,
        })
        .data(page::PageCap(limits.max_page_size));
    if limits.introspection {
        builder.finish()
    } else {
        builder.disable_introspection().extension(introspection::NoIntrospection).finish()
    }
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(&Limits::default()).sdl()
}
