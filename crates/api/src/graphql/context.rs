//! What resolvers reach through the GraphQL context: the ports and the request's loaders.

use async_graphql::{Context, Result};
use styrhub_domain::org_unit::OrgUnit;
use styrhub_domain::RepoError;

use crate::app::Ports;
use crate::error::gql;
use crate::graphql::loaders::{loader_err, Loaders};

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
