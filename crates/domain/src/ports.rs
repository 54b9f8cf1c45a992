//! Ports: what the API and ingest need from persistence, by capability. `styrhub-store`
//! implements them; the API holds them as `Arc<dyn …>` so that tests and later backends can
//! swap them.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::RepoError;
use crate::goal::{Goal, GoalFilter};
use crate::governance_model::GovernanceModel;
use crate::org_unit::OrgUnit;
use crate::package::ValidPackage;
use crate::rules::validate::Finding;
use crate::vision::{FocusArea, Vision};

/// Is the database there?
#[async_trait]
pub trait HealthCheck: Send + Sync {
    /// Runs a trivial query.
    async fn ping(&self) -> Result<(), RepoError>;
}

/// Reads the governance chain.
#[async_trait]
pub trait GovernanceReader: Send + Sync {
    /// All municipalities (root org units).
    async fn municipalities(&self) -> Result<Vec<OrgUnit>, RepoError>;
    /// A municipality by its code, e.g. 1489.
    async fn municipality_by_code(&self, code: &str) -> Result<Option<OrgUnit>, RepoError>;
    /// Org units by id.
    async fn org_units_by_ids(&self, ids: &[i64]) -> Result<Vec<OrgUnit>, RepoError>;
    /// Governance models of a municipality.
    async fn governance_models(&self, municipality_id: i64) -> Result<Vec<GovernanceModel>, RepoError>;
    /// Visions of a municipality.
    async fn visions(&self, municipality_id: i64) -> Result<Vec<Vision>, RepoError>;
    /// Focus areas by id.
    async fn focus_areas_by_ids(&self, ids: &[i64]) -> Result<Vec<FocusArea>, RepoError>;
    /// Goals matching a filter, ordered by kind, position and key.
    async fn goals(&self, filter: &GoalFilter) -> Result<Vec<Goal>, RepoError>;
}

/// What loading a package did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadReport {
    /// The municipality code.
    pub municipality: String,
    /// Rows per table after the load.
    pub counts: Vec<(String, u64)>,
    /// Observations inserted, updated, unchanged.
    pub observations: crate::observation::WriteCounts,
    /// Validation warnings.
    pub warnings: Vec<Finding>,
}

/// Writes a whole municipality package, in one transaction, upserting on natural keys.
#[async_trait]
pub trait PackageWriter: Send + Sync {
    /// Loads the package; loading the same package twice changes nothing.
    async fn load_package(&self, package: &ValidPackage) -> Result<LoadReport, RepoError>;
}

/// Writes observations, one transaction per call.
#[async_trait]
pub trait ObservationWriter: Send + Sync {
    /// Writes a batch atomically: all of it or none. Writing the same batch twice reports
    /// everything unchanged the second time.
    async fn write_batch(&self, batch: &[crate::observation::NewObservation]) -> Result<crate::observation::WriteCounts, RepoError>;
}
