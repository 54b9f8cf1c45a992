//! Follow-ups (interim reports, annual reports, monthly reports) and goals' assessments in them.

use async_graphql::{Context, Enum, Object, Result};
use styrhub_domain::follow_up::{
    Assessment as DomainAssessment, FollowUp as DomainFollowUp, FollowUpFilter, FollowUpKind as DomainKind,
    GoalAssessment as DomainGoalAssessment, SnapshotValue as DomainSnapshotValue,
};
use styrhub_domain::ids::{AreaCode, Gender, GoalId};
use styrhub_domain::observation::SeriesRef;

use crate::error::gql;
use crate::graphql::context::loader_err;
use crate::graphql::context::{loaders, municipality, ports};
use crate::graphql::goal::Goal;
use crate::graphql::org_unit::GovernanceModel;
use crate::graphql::page::{connection, page_request, KeysetPage};
use crate::graphql::series::ValueSource;
use crate::read::loaders::DigestKey;

/// Which report a follow-up is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum FollowUpKind {
    /// Delårsrapport 1 (typically January–April).
    #[graphql(name = "INTERIM_REPORT_1")]
    InterimReport1,
    /// Delårsrapport 2 (typically January–August).
    #[graphql(name = "INTERIM_REPORT_2")]
    InterimReport2,
    /// Årsredovisning.
    AnnualReport,
    /// Månadsrapport, where a committee decides.
    Monthly,
}

impl From<DomainKind> for FollowUpKind {
    fn from(k: DomainKind) -> Self {
        match k {
            DomainKind::InterimReport1 => Self::InterimReport1,
            DomainKind::InterimReport2 => Self::InterimReport2,
            DomainKind::AnnualReport => Self::AnnualReport,
            DomainKind::Monthly => Self::Monthly,
        }
    }
}

impl From<FollowUpKind> for DomainKind {
    fn from(k: FollowUpKind) -> Self {
        match k {
            FollowUpKind::InterimReport1 => Self::InterimReport1,
            FollowUpKind::InterimReport2 => Self::InterimReport2,
            FollowUpKind::AnnualReport => Self::AnnualReport,
            FollowUpKind::Monthly => Self::Monthly,
        }
    }
}

/// How a goal was judged.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Assessment {
    /// Uppfyllt.
    Achieved,
    /// Delvis uppfyllt.
    PartlyAchieved,
    /// Ej uppfyllt.
    NotAchieved,
    /// Ej bedömt.
    NotAssessed,
}

impl From<DomainAssessment> for Assessment {
    fn from(a: DomainAssessment) -> Self {
        match a {
            DomainAssessment::Achieved => Self::Achieved,
            DomainAssessment::PartlyAchieved => Self::PartlyAchieved,
            DomainAssessment::NotAchieved => Self::NotAchieved,
            DomainAssessment::NotAssessed => Self::NotAssessed,
        }
    }
}

impl From<Assessment> for DomainAssessment {
    fn from(a: Assessment) -> Self {
        match a {
            Assessment::Achieved => Self::Achieved,
            Assessment::PartlyAchieved => Self::PartlyAchieved,
            Assessment::NotAchieved => Self::NotAchieved,
            Assessment::NotAssessed => Self::NotAssessed,
        }
    }
}

/// A follow-up period: one report of a governance model's calendar for a year (and month).
pub struct FollowUp(pub DomainFollowUp);

/// A follow-up period: one report of a governance model's calendar for a year (and month).
#[Object]
impl FollowUp {
    /// Database id.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// Which report.
    async fn kind(&self) -> FollowUpKind {
        self.0.kind.into()
    }
    /// The year reported on.
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// The month, for monthly reports.
    async fn month(&self) -> Option<u32> {
        self.0.month
    }
    /// When it was approved (RFC 3339); an approved follow-up is locked.
    async fn approved_at(&self) -> Option<String> {
        self.0.approved_at.map(|t| t.to_rfc3339())
    }
    /// True once approved: its assessments can no longer change.
    async fn approved(&self) -> bool {
        self.0.approved_at.is_some()
    }
    /// The governance model whose calendar it belongs to.
    async fn governance_model(&self, ctx: &Context<'_>) -> Result<Option<GovernanceModel>> {
        Ok(loaders(ctx)
            .governance_model
            .load_one(self.0.governance_model_id)
            .await
            .map_err(loader_err)?
            .map(GovernanceModel))
    }
    /// The indicator values the report was based on, frozen when it was approved, beside what
    /// the series holds now; empty until approved.
    async fn snapshot(&self) -> Vec<SnapshotValue> {
        self.0.snapshot.clone().unwrap_or_default().into_iter().map(SnapshotValue).collect()
    }
    /// The goals' assessments in this report.
    async fn assessments(&self, ctx: &Context<'_>) -> Result<Vec<GoalAssessment>> {
        Ok(loaders(ctx)
            .assessments_in
            .load_one(self.0.id)
            .await
            .map_err(loader_err)?
            .unwrap_or_default()
            .into_iter()
            .map(GoalAssessment)
            .collect())
    }
}

/// A goal's assessment in one follow-up.
pub struct GoalAssessment(pub DomainGoalAssessment);

/// A goal's assessment in one follow-up.
#[Object]
impl GoalAssessment {
    /// Database id.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// The judgement.
    async fn assessment(&self) -> Assessment {
        self.0.assessment.into()
    }
    /// Forecast for the year's end.
    async fn forecast(&self) -> Option<Assessment> {
        self.0.forecast.map(Into::into)
    }
    /// The analysis as written.
    async fn analysis(&self) -> Option<&str> {
        self.0.analysis.as_deref()
    }
    /// The goal assessed.
    async fn goal(&self, ctx: &Context<'_>) -> Result<Option<Goal>> {
        Ok(loaders(ctx)
            .goal
            .load_one(GoalId(self.0.goal_id))
            .await
            .map_err(loader_err)?
            .map(Goal))
    }
    /// The follow-up it was made in.
    async fn follow_up(&self, ctx: &Context<'_>) -> Result<Option<FollowUp>> {
        Ok(loaders(ctx)
            .follow_up
            .load_one(self.0.follow_up_id)
            .await
            .map_err(loader_err)?
            .map(FollowUp))
    }
}

/// Follow-up queries.
#[derive(Default)]
pub struct FollowUpQuery;

#[Object]
impl FollowUpQuery {
    /// A follow-up by id.
    async fn follow_up(&self, ctx: &Context<'_>, id: i64) -> Result<Option<FollowUp>> {
        Ok(loaders(ctx).follow_up.load_one(id).await.map_err(loader_err)?.map(FollowUp))
    }

    /// The follow-ups of a municipality's governance models, newest first.
    #[allow(clippy::too_many_arguments)]
    async fn follow_ups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality code, e.g. \"1489\".")] municipality: String,
        #[graphql(desc = "Only this year.")] year: Option<i32>,
        #[graphql(desc = "Only this kind of report.")] kind: Option<FollowUpKind>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<KeysetPage<FollowUp>> {
        let m = self::municipality(ctx, &municipality).await?;
        let request = page_request(ctx, after, before, first, last)?;
        let filter = FollowUpFilter {
            municipality_id: m.id,
            governance_model_id: None,
            year,
            kind: kind.map(DomainKind::from),
        };
        let page = ports(ctx).read.governance.follow_ups_page(&filter, &request).await.map_err(gql)?;
        Ok(connection(page, FollowUp))
    }
}

/// One indicator value as an approved follow-up reported it.
pub struct SnapshotValue(pub DomainSnapshotValue);

/// One indicator value as an approved follow-up reported it.
#[Object]
impl SnapshotValue {
    /// The indicator (id).
    async fn indicator_id(&self) -> i64 {
        self.0.indicator_id
    }
    /// The series: kpi:ID or indicator:ID.
    async fn series_key(&self) -> &str {
        &self.0.series_key
    }
    /// The area: the municipality, or a relative target's reference area.
    async fn area(&self) -> &str {
        &self.0.area
    }
    /// The year of the value.
    async fn period(&self) -> i32 {
        self.0.period
    }
    /// The value as reported.
    async fn value(&self) -> Option<f64> {
        self.0.value
    }
    /// Where the reported value came from.
    async fn source(&self) -> ValueSource {
        self.0.source.into()
    }
    /// The value the series holds for the same period now.
    async fn current_value(&self, ctx: &Context<'_>) -> Result<Option<f64>> {
        // A snapshot stores its series and area as text; one that no longer parses has no
        // value today.
        let (Ok(series), Ok(area)) = (SeriesRef::parse(&self.0.series_key), AreaCode::parse(&self.0.area)) else {
            return Ok(None);
        };
        let key = DigestKey {
            series,
            area,
            gender: Gender::Total,
        };
        Ok(loaders(ctx)
            .digest
            .load_one(key)
            .await
            .map_err(loader_err)?
            .flatten()
            .and_then(|d| d.value_at(self.0.period)))
    }
    /// True when the series has been revised since: the current value differs from the one reported.
    async fn revised(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.current_value(ctx).await? != self.0.value)
    }
}
