//! Data loaders: every parent → child edge is fetched in one query per request level.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use styrhub_domain::org_unit::OrgUnit;
use styrhub_domain::ports::GovernanceReader;
use styrhub_domain::vision::FocusArea;
use styrhub_domain::RepoError;

/// Loads organisation units by id.
pub struct OrgUnitLoader(pub Arc<dyn GovernanceReader>);

impl Loader<i64> for OrgUnitLoader {
    type Value = OrgUnit;
    type Error = Arc<RepoError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, OrgUnit>, Self::Error> {
        Ok(self.0.org_units_by_ids(keys).await?.into_iter().map(|u| (u.id, u)).collect())
    }
}

/// Loads focus areas by id.
pub struct FocusAreaLoader(pub Arc<dyn GovernanceReader>);

impl Loader<i64> for FocusAreaLoader {
    type Value = FocusArea;
    type Error = Arc<RepoError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, FocusArea>, Self::Error> {
        Ok(self.0.focus_areas_by_ids(keys).await?.into_iter().map(|f| (f.id, f)).collect())
    }
}

/// Turns a loader error into a GraphQL error with its code.
pub fn loader_err(e: Arc<RepoError>) -> async_graphql::Error {
    match Arc::try_unwrap(e) {
        Ok(e) => crate::error::gql(e),
        Err(shared) => crate::error::gql(RepoError::Internal(shared.to_string())),
    }
}
