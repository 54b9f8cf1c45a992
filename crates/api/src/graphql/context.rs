//! What resolvers reach through the GraphQL context: the ports and the request's loaders.

use async_graphql::{Context, Result};
use styrhub_domain::ids::GoalId;
use styrhub_domain::org_unit::OrgUnit;
use styrhub_domain::RepoError;

use crate::app::Ports;
use crate::error::gql;
use crate::read::{Batch, Loaders};

/// The ports.
pub fn ports<'a>(ctx: &Context<'a>) -> &'a Ports {
    ctx.data_unchecked::<Ports>()
}

/// The request's data loaders.
pub fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}

/// A municipality by code, or NOT_FOUND naming it. The loaders are primed with it so that
/// fields below need no second look-up.
pub async fn municipality(ctx: &Context<'_>, code: &str) -> Result<OrgUnit> {
    let m = ports(ctx)
        .read
        .governance
        .municipality_by_code(code.trim())
        .await
        .map_err(gql)?
        .ok_or_else(|| gql(RepoError::NotFound(format!("municipality {code}"))))?;
    loaders(ctx).org_unit.feed_one(m.id, m.clone()).await;
    Ok(m)
}

/// The municipality (root unit) with this id, through the loader.
pub async fn municipality_by_id(ctx: &Context<'_>, id: i64) -> Result<OrgUnit> {
    loaders(ctx)
        .org_unit
        .load_one(id)
        .await
        .map_err(loader_err)?
        .ok_or_else(|| gql(RepoError::Internal(format!("municipality {id} is referenced but missing"))))
}

/// The code of the municipality with this id, e.g. "1489".
pub async fn municipality_code(ctx: &Context<'_>, id: i64) -> Result<String> {
    Ok(municipality_by_id(ctx, id).await?.municipality_code.unwrap_or_default())
}

/// How a field reads through the loaders: with its siblings ([`Batch::WithSiblings`]) inside a
/// list of the answer, where every item asks for its own keys; at once ([`Batch::Now`]) outside
/// one, where no sibling will ask.
pub fn batch(ctx: &Context<'_>) -> Batch {
    let mut node = ctx.path_node.as_ref();
    while let Some(n) = node {
        if matches!(n.segment, async_graphql::QueryPathSegment::Index(_)) {
            return Batch::WithSiblings;
        }
        node = n.parent;
    }
    Batch::Now
}

/// Turns a loader error into a GraphQL error with its code.
pub fn loader_err(e: std::sync::Arc<styrhub_domain::RepoError>) -> async_graphql::Error {
    crate::error::gql(crate::error::unshare(e))
}

/// Each goal's indicators, by goal id, as GraphQL objects: filled by the `goals` list resolver
/// with what it prefetched, so that its goals answer `indicators` without the executor (see
/// [`crate::graphql::plain`]). Per request, beside the loaders.
#[derive(Default)]
pub struct GoalIndicators(std::sync::Mutex<rustc_hash::FxHashMap<GoalId, std::sync::Arc<[crate::graphql::indicator::Indicator]>>>);

impl GoalIndicators {
    /// The indicators prefetched for a goal, if any.
    pub fn of(&self, goal: GoalId) -> Option<std::sync::Arc<[crate::graphql::indicator::Indicator]>> {
        self.0.lock().expect("goal indicators lock").get(&goal).cloned()
    }

    /// Keeps the indicators of many goals.
    pub fn keep(&self, by_goal: impl IntoIterator<Item = (GoalId, std::sync::Arc<[crate::graphql::indicator::Indicator]>)>) {
        self.0.lock().expect("goal indicators lock").extend(by_goal);
    }
}

/// The request's prefetched goal indicators.
pub fn goal_indicators<'a>(ctx: &Context<'a>) -> &'a GoalIndicators {
    ctx.data_unchecked::<GoalIndicators>()
}
