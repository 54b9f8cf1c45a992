//! Municipalities and organisation units.

use std::sync::Arc;

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use styrhub_domain::org_unit::{OrgUnit as DomainOrgUnit, OrgUnitKind as DomainKind};
use styrhub_domain::ports::GovernanceReader;

use crate::error::gql;

/// What kind of body an organisation unit is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum OrgUnitKind {
    /// Kommun / kommunkoncern: the root of the tree.
    Municipality,
    /// Kommunfullmäktige, the council.
    Council,
    /// Kommunstyrelsen, the executive board.
    ExecutiveBoard,
    /// Nämnd, a committee.
    Committee,
    /// Förvaltning or kontor.
    Administration,
    /// Enhet, a unit.
    Unit,
    /// Bolag, a company.
    Company,
    /// Moderbolag, a holding company.
    HoldingCompany,
}

impl From<DomainKind> for OrgUnitKind {
    fn from(k: DomainKind) -> Self {
        match k {
            DomainKind::Municipality => Self::Municipality,
            DomainKind::Council => Self::Council,
            DomainKind::ExecutiveBoard => Self::ExecutiveBoard,
            DomainKind::Committee => Self::Committee,
            DomainKind::Administration => Self::Administration,
            DomainKind::Unit => Self::Unit,
            DomainKind::Company => Self::Company,
            DomainKind::HoldingCompany => Self::HoldingCompany,
        }
    }
}

/// An organisation unit: the municipality, its council, board, committees, offices, units and
/// companies.
pub struct OrgUnit(pub DomainOrgUnit);

#[Object]
impl OrgUnit {
    /// Database id.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// Stable key within the municipality (for a municipality: its code).
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Name as the municipality writes it.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Abbreviation such as KF or KS.
    async fn short_name(&self) -> Option<&str> {
        self.0.short_name.as_deref()
    }
    /// What kind of body it is.
    async fn kind(&self) -> OrgUnitKind {
        self.0.kind.into()
    }
    /// Kolada/SCB municipality code (on municipalities only), e.g. 1489.
    async fn municipality_code(&self) -> Option<&str> {
        self.0.municipality_code.as_deref()
    }
    /// Kolada organisational-unit id, where known.
    async fn kolada_ou_id(&self) -> Option<&str> {
        self.0.kolada_ou_id.as_deref()
    }
    /// Id of the parent unit; null for a municipality.
    async fn parent_id(&self) -> Option<i64> {
        self.0.parent_id
    }
}

/// A governance model (styrmodell) of a municipality.
#[derive(SimpleObject)]
pub struct GovernanceModel {
    /// Database id.
    pub id: i64,
    /// Stable key, e.g. styrmodell-2024.
    pub key: String,
    /// Name as written.
    pub name: String,
    /// The decision that adopted it, e.g. "KF 2024-11-06 § 149".
    pub decision: Option<String>,
    /// A summary of the model.
    pub description: Option<String>,
    /// First day in force (YYYY-MM-DD).
    pub valid_from: String,
    /// Last day in force; null until further notice.
    pub valid_to: Option<String>,
    /// Whether quality indicators may have targets.
    pub quality_indicators_have_targets: bool,
    /// Whether political directions are followed up by default.
    pub political_directions_followed_up: bool,
    /// The chain of plans, top down.
    pub plans: Vec<String>,
    /// The reports of the follow-up calendar, by name.
    pub follow_up_reports: Vec<String>,
}

/// Queries of municipalities and organisation units.
#[derive(Default)]
pub struct OrgUnitQuery;

#[Object]
impl OrgUnitQuery {
    /// Every municipality in the hub.
    async fn municipalities(&self, ctx: &Context<'_>) -> Result<Vec<OrgUnit>> {
        let g = ctx.data::<Arc<dyn GovernanceReader>>()?;
        Ok(g.municipalities().await.map_err(gql)?.into_iter().map(OrgUnit).collect())
    }

    /// A municipality by its Kolada/SCB code, e.g. "1489"; null when the hub does not have it.
    async fn municipality(&self, ctx: &Context<'_>, code: String) -> Result<Option<OrgUnit>> {
        let g = ctx.data::<Arc<dyn GovernanceReader>>()?;
        Ok(g.municipality_by_code(&code).await.map_err(gql)?.map(OrgUnit))
    }

    /// The governance models of a municipality, oldest first.
    async fn governance_models(&self, ctx: &Context<'_>, municipality: String) -> Result<Vec<GovernanceModel>> {
        let g = ctx.data::<Arc<dyn GovernanceReader>>()?;
        let m = g
            .municipality_by_code(&municipality)
            .await
            .map_err(gql)?
            .ok_or_else(|| gql(styrhub_domain::RepoError::NotFound(format!("municipality {municipality}"))))?;
        Ok(g.governance_models(m.id)
            .await
            .map_err(gql)?
            .into_iter()
            .map(|m| GovernanceModel {
                id: m.id,
                key: m.key,
                name: m.name,
                decision: m.decision,
                description: m.description,
                valid_from: m.validity.from.to_string(),
                valid_to: m.validity.to.map(|d| d.to_string()),
                quality_indicators_have_targets: m.rules.quality_indicators_have_targets,
                political_directions_followed_up: m.rules.political_directions_followed_up,
                plans: m.rules.plans,
                follow_up_reports: m.rules.follow_ups.into_iter().map(|f| f.name).collect(),
            })
            .collect())
    }
}
