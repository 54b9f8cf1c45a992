//! Assignments (särskilda uppdrag): given by one level to a level below.

use async_graphql::{Context, Enum, Object, Result};
use styrhub_domain::assignment::{Assignment as DomainAssignment, AssignmentFilter, AssignmentStatus as DomainStatus};
use styrhub_domain::ids::GoalId;

use crate::error::gql;
use crate::graphql::context::loader_err;
use crate::graphql::context::{loaders, municipality, ports};
use crate::graphql::goal::Goal;
use crate::graphql::org_unit::OrgUnit;
use crate::graphql::page::{connection, page_request, KeysetPage};

/// Where an assignment stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum AssignmentStatus {
    /// Given, not started.
    NotStarted,
    /// Being carried out.
    InProgress,
    /// Done and reported back.
    Completed,
    /// Withdrawn.
    Cancelled,
}

impl From<DomainStatus> for AssignmentStatus {
    fn from(s: DomainStatus) -> Self {
        match s {
            DomainStatus::NotStarted => Self::NotStarted,
            DomainStatus::InProgress => Self::InProgress,
            DomainStatus::Completed => Self::Completed,
            DomainStatus::Cancelled => Self::Cancelled,
        }
    }
}

impl From<AssignmentStatus> for DomainStatus {
    fn from(s: AssignmentStatus) -> Self {
        match s {
            AssignmentStatus::NotStarted => Self::NotStarted,
            AssignmentStatus::InProgress => Self::InProgress,
            AssignmentStatus::Completed => Self::Completed,
            AssignmentStatus::Cancelled => Self::Cancelled,
        }
    }
}

/// An assignment (särskilt uppdrag) from one unit to another.
pub struct Assignment(pub DomainAssignment);

/// An assignment (särskilt uppdrag) from one unit to another.
#[Object]
impl Assignment {
    /// Database id.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// Stable key.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Short title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The text as written.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// When it is due (YYYY-MM-DD).
    async fn deadline(&self) -> Option<String> {
        self.0.deadline.map(|d| d.to_string())
    }
    /// How it is funded, as written.
    async fn funding(&self) -> Option<&str> {
        self.0.funding.as_deref()
    }
    /// Funding in thousands of SEK.
    async fn funding_tkr(&self) -> Option<f64> {
        self.0.funding_tkr
    }
    /// Where it stands.
    async fn status(&self) -> AssignmentStatus {
        self.0.status.into()
    }
    /// What the receiving unit reports it achieved.
    async fn result(&self) -> Option<&str> {
        self.0.result.as_deref()
    }
    /// The unit that gave it.
    async fn from(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        Ok(loaders(ctx)
            .org_unit
            .load_one(self.0.from_org_unit_id)
            .await
            .map_err(loader_err)?
            .map(OrgUnit))
    }
    /// The unit that carries it out.
    async fn to(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        Ok(loaders(ctx)
            .org_unit
            .load_one(self.0.to_org_unit_id)
            .await
            .map_err(loader_err)?
            .map(OrgUnit))
    }
    /// The goal it serves.
    async fn goal(&self, ctx: &Context<'_>) -> Result<Option<Goal>> {
        let Some(id) = self.0.goal_id else { return Ok(None) };
        Ok(loaders(ctx).goal.load_one(GoalId(id)).await.map_err(loader_err)?.map(Goal))
    }
}

/// Assignment queries.
#[derive(Default)]
pub struct AssignmentQuery;

#[Object]
impl AssignmentQuery {
    /// Assignments of a municipality, by deadline.
    #[allow(clippy::too_many_arguments)]
    async fn assignments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality code, e.g. \"1489\".")] municipality: String,
        #[graphql(desc = "Only those in this status.")] status: Option<AssignmentStatus>,
        #[graphql(desc = "Only those given by this unit (id).")] from_org_unit: Option<i64>,
        #[graphql(desc = "Only those given to this unit (id).")] to_org_unit: Option<i64>,
        #[graphql(desc = "Only those serving this goal (id).")] goal: Option<i64>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<KeysetPage<Assignment>> {
        let m = self::municipality(ctx, &municipality).await?;
        let request = page_request(ctx, after, before, first, last)?;
        let filter = AssignmentFilter {
            municipality_id: m.id,
            from_org_unit_id: from_org_unit,
            to_org_unit_id: to_org_unit,
            status: status.map(Into::into),
            goal_id: goal,
        };
        let page = ports(ctx).read.governance.assignments_page(&filter, &request).await.map_err(gql)?;
        Ok(connection(page, Assignment))
    }
}
