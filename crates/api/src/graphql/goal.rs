//! Goals: the wire shape of `domain::Goal`, and the goal queries.

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use styrhub_domain::goal::{Goal as DomainGoal, GoalFilter, GoalKind as DomainKind};
use styrhub_domain::ports::GovernanceReader;

use crate::error::gql;
use crate::graphql::loaders::{loader_err, FocusAreaLoader, OrgUnitLoader};
use crate::graphql::org_unit::OrgUnit;

/// What kind of goal.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum GoalKind {
    /// Set by the council: prioriterat mål, koncerngemensamt mål, övergripande mål.
    CouncilGoal,
    /// Finansiellt mål for god ekonomisk hushållning.
    FinancialGoal,
    /// Verksamhetsmål for god ekonomisk hushållning.
    OperationalGoal,
    /// Nämndmål, a committee goal.
    CommitteeGoal,
    /// Utvecklingsmål, a development goal.
    DevelopmentGoal,
    /// A unit's goal.
    UnitGoal,
    /// A company's goal.
    CompanyGoal,
}

impl From<DomainKind> for GoalKind {
    fn from(k: DomainKind) -> Self {
        match k {
            DomainKind::CouncilGoal => Self::CouncilGoal,
            DomainKind::FinancialGoal => Self::FinancialGoal,
            DomainKind::OperationalGoal => Self::OperationalGoal,
            DomainKind::CommitteeGoal => Self::CommitteeGoal,
            DomainKind::DevelopmentGoal => Self::DevelopmentGoal,
            DomainKind::UnitGoal => Self::UnitGoal,
            DomainKind::CompanyGoal => Self::CompanyGoal,
        }
    }
}

impl From<GoalKind> for DomainKind {
    fn from(k: GoalKind) -> Self {
        match k {
            GoalKind::CouncilGoal => Self::CouncilGoal,
            GoalKind::FinancialGoal => Self::FinancialGoal,
            GoalKind::OperationalGoal => Self::OperationalGoal,
            GoalKind::CommitteeGoal => Self::CommitteeGoal,
            GoalKind::DevelopmentGoal => Self::DevelopmentGoal,
            GoalKind::UnitGoal => Self::UnitGoal,
            GoalKind::CompanyGoal => Self::CompanyGoal,
        }
    }
}

/// A focus area (fokusområde) that groups goals under a vision.
#[derive(SimpleObject)]
pub struct FocusArea {
    /// Database id.
    pub id: i64,
    /// Stable key.
    pub key: String,
    /// Title as written.
    pub title: String,
    /// Order under the vision.
    pub position: i32,
}

/// A goal at any level of the governance chain.
pub struct Goal(pub DomainGoal);

#[Object]
impl Goal {
    /// Database id.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// Stable key within the municipality.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Title as written.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Motivation or description as written.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Kind of goal.
    async fn kind(&self) -> GoalKind {
        self.0.kind.into()
    }
    /// First day in force (YYYY-MM-DD).
    async fn valid_from(&self) -> String {
        self.0.validity.from.to_string()
    }
    /// Last day in force; null until further notice.
    async fn valid_to(&self) -> Option<String> {
        self.0.validity.to.map(|d| d.to_string())
    }
    /// Agenda 2030 global goals (1–17) it is tagged with.
    async fn agenda2030(&self) -> Vec<i32> {
        self.0.agenda2030.iter().map(|n| i32::from(*n)).collect()
    }
    /// The decision that set it, e.g. "KF 2024-02-26 § 15".
    async fn decision(&self) -> Option<&str> {
        self.0.decision.as_deref()
    }
    /// Order among its siblings.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// True when archived (kept for history, no longer in force).
    async fn archived(&self) -> bool {
        self.0.archived
    }
    /// The organisation unit that owns the goal.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        let loader = ctx.data::<DataLoader<OrgUnitLoader>>()?;
        Ok(loader.load_one(self.0.owner_id).await.map_err(loader_err)?.map(OrgUnit))
    }
    /// The focus area it belongs to, if any.
    async fn focus_area(&self, ctx: &Context<'_>) -> Result<Option<FocusArea>> {
        let Some(id) = self.0.focus_area_id else { return Ok(None) };
        let loader = ctx.data::<DataLoader<FocusAreaLoader>>()?;
        Ok(loader.load_one(id).await.map_err(loader_err)?.map(|f| FocusArea {
            id: f.id,
            key: f.key,
            title: f.title,
            position: f.position,
        }))
    }
}

/// Goal queries.
#[derive(Default)]
pub struct GoalQuery;

#[Object]
impl GoalQuery {
    /// Goals of a municipality, filtered by governance model (goal set), kind and year in force.
    /// Archived goals are left out unless asked for.
    async fn goals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality code, e.g. \"1489\".")] municipality: String,
        #[graphql(desc = "Key of a governance model, e.g. \"styrmodell-2019\".")] governance_model: Option<String>,
        #[graphql(desc = "Only goals of this kind.")] kind: Option<GoalKind>,
        #[graphql(desc = "Only goals in force some time during this year.")] year: Option<i32>,
        #[graphql(desc = "Include archived goals.", default = false)] include_archived: bool,
    ) -> Result<Vec<Goal>> {
        let g = ctx.data::<Arc<dyn GovernanceReader>>()?;
        let filter = GoalFilter {
            municipality_code: Some(municipality),
            governance_model,
            kind: kind.map(Into::into),
            year,
            include_archived,
            ..Default::default()
        };
        Ok(g.goals(&filter).await.map_err(gql)?.into_iter().map(Goal).collect())
    }
}
