//! Ports: what the API and ingest need from persistence, by capability. `styrhub-store`
//! implements them; the API holds them as `Arc<dyn …>` so that tests and later backends can
//! swap them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::assignment::{Assignment, AssignmentFilter};
use crate::budget::{BudgetFilter, BudgetLine};
use crate::error::RepoError;
use crate::follow_up::{FollowUp, FollowUpFilter, GoalAssessment};
use crate::goal::{Goal, GoalFilter};
use crate::governance_model::GovernanceModel;
use crate::ids::{AreaCode, Gender, GoalId, IndicatorId, KpiId};
use crate::indicator::{Indicator, IndicatorFilter};
use crate::ingest::{IngestRun, RunCounts, RunStatus};
use crate::kpi::{Area, AreaFilter, GroupFigure, GroupSpec, Kpi, KpiFilter};
use crate::mission::{BasicMission, PoliticalDirection, QualityFactor};
use crate::observation::{SeriesRef, WriteCounts};
use crate::org_unit::{OrgUnit, OrgUnitKind};
use crate::package::ValidPackage;
use crate::page::{Page, PageRequest};
use crate::rules::status::Kept;
use crate::rules::validate::Finding;
use crate::series::{KpiSeriesView, ReferencedDigest, SeriesDigest};
use crate::target::Target;
use crate::vision::{FocusArea, Vision};

/// Is the database there?
#[async_trait]
pub trait HealthCheck: Send + Sync {
    /// Runs a trivial query.
    async fn ping(&self) -> Result<(), RepoError>;
}

/// Reads the governance chain. Every `…_by_…` method takes many ids at once: the API's data
/// loaders batch a whole request level into one call.
#[async_trait]
pub trait GovernanceReader: Send + Sync {
    /// All municipalities (root org units).
    async fn municipalities(&self) -> Result<Vec<OrgUnit>, RepoError>;
    /// A municipality by its code, e.g. 1489.
    async fn municipality_by_code(&self, code: &str) -> Result<Option<OrgUnit>, RepoError>;
    /// Org units by id.
    async fn org_units_by_ids(&self, ids: &[i64]) -> Result<Vec<OrgUnit>, RepoError>;
    /// Every org unit of these municipalities, the roots included.
    async fn org_units_of(&self, municipality_ids: &[i64]) -> Result<Vec<OrgUnit>, RepoError>;
    /// One page of a municipality's units (the municipality first), top down: by depth below
    /// the municipality, then name (bytewise), then id; of one kind only, when given.
    async fn org_units_page(&self, municipality_id: i64, kind: Option<OrgUnitKind>, page: &PageRequest)
        -> Result<Page<OrgUnit>, RepoError>;
    /// Governance models of a municipality.
    async fn governance_models(&self, municipality_id: i64) -> Result<Vec<GovernanceModel>, RepoError>;
    /// Governance models by id.
    async fn governance_models_by_ids(&self, ids: &[i64]) -> Result<Vec<GovernanceModel>, RepoError>;
    /// Visions of a municipality.
    async fn visions(&self, municipality_id: i64) -> Result<Vec<Vision>, RepoError>;
    /// Visions by id.
    async fn visions_by_ids(&self, ids: &[i64]) -> Result<Vec<Vision>, RepoError>;
    /// Focus areas by id.
    async fn focus_areas_by_ids(&self, ids: &[i64]) -> Result<Vec<FocusArea>, RepoError>;
    /// Focus areas of these visions, in order.
    async fn focus_areas_of(&self, vision_ids: &[i64]) -> Result<Vec<FocusArea>, RepoError>;
    /// Goals matching a filter, ordered by model, kind, position and key.
    async fn goals(&self, filter: &GoalFilter) -> Result<Vec<Goal>, RepoError>;
    /// One page of [`GovernanceReader::goals`], cut by the database (keyset cursors).
    async fn goals_page(&self, filter: &GoalFilter, page: &PageRequest) -> Result<Page<Goal>, RepoError>;
    /// The goals (not archived) of these focus areas, in order.
    async fn goals_of_focus_areas(&self, focus_area_ids: &[i64]) -> Result<Vec<Goal>, RepoError>;
    /// Goals by id (archived ones too).
    async fn goals_by_ids(&self, ids: &[GoalId]) -> Result<Vec<Goal>, RepoError>;
    /// Every goal → parent-goal edge of these municipalities, as (child, parent).
    async fn goal_edges(&self, municipality_ids: &[i64]) -> Result<Vec<(i64, i64)>, RepoError>;
    /// One page of a municipality's basic missions (of some units only, when given), by id.
    async fn basic_missions_page(
        &self,
        municipality_id: i64,
        org_unit_ids: Option<&[i64]>,
        page: &PageRequest,
    ) -> Result<Page<BasicMission>, RepoError>;
    /// One page of a municipality's quality factors (of some units only, when given), by id.
    async fn quality_factors_page(
        &self,
        municipality_id: i64,
        org_unit_ids: Option<&[i64]>,
        page: &PageRequest,
    ) -> Result<Page<QualityFactor>, RepoError>;
    /// Quality factors by id.
    async fn quality_factors_by_ids(&self, ids: &[i64]) -> Result<Vec<QualityFactor>, RepoError>;
    /// One page of a municipality's political directions (of some units only, when given), by
    /// the day they apply from, then id.
    async fn political_directions_page(
        &self,
        municipality_id: i64,
        org_unit_ids: Option<&[i64]>,
        page: &PageRequest,
    ) -> Result<Page<PoliticalDirection>, RepoError>;
    /// One page of the assignments a filter selects, by deadline (those without one last),
    /// then id.
    async fn assignments_page(&self, filter: &AssignmentFilter, page: &PageRequest) -> Result<Page<Assignment>, RepoError>;
    /// One page of the budget lines a filter selects, by year, kind and id.
    async fn budgets_page(&self, filter: &BudgetFilter, page: &PageRequest) -> Result<Page<BudgetLine>, RepoError>;
    /// One page of the follow-ups a filter selects, newest first (year, month, then the later
    /// kind of report first), then id.
    async fn follow_ups_page(&self, filter: &FollowUpFilter, page: &PageRequest) -> Result<Page<FollowUp>, RepoError>;
    /// Follow-ups by id.
    async fn follow_ups_by_ids(&self, ids: &[i64]) -> Result<Vec<FollowUp>, RepoError>;
    /// Assessments of these goals, in every follow-up.
    async fn assessments_of_goals(&self, goal_ids: &[GoalId]) -> Result<Vec<GoalAssessment>, RepoError>;
    /// Assessments made in these follow-ups.
    async fn assessments_in(&self, follow_up_ids: &[i64]) -> Result<Vec<GoalAssessment>, RepoError>;
}

/// Reads indicators, their links and targets.
#[async_trait]
pub trait IndicatorReader: Send + Sync {
    /// Indicators matching a filter, ordered by position and key.
    async fn indicators(&self, filter: &IndicatorFilter) -> Result<Vec<Indicator>, RepoError>;
    /// One page of [`IndicatorReader::indicators`], cut by the database (keyset cursors).
    async fn indicators_page(&self, filter: &IndicatorFilter, page: &PageRequest) -> Result<Page<Indicator>, RepoError>;
    /// Indicators by id.
    async fn indicators_by_ids(&self, ids: &[IndicatorId]) -> Result<Vec<Indicator>, RepoError>;
    /// The indicators of these goals, as (goal id, indicator), in indicator order.
    async fn indicators_of_goals(&self, goal_ids: &[GoalId]) -> Result<Vec<(GoalId, Indicator)>, RepoError>;
    /// The goals these indicators follow up, as (indicator id, goal id).
    async fn goal_links(&self, indicator_ids: &[IndicatorId]) -> Result<Vec<(IndicatorId, GoalId)>, RepoError>;
    /// The quality factors these indicators follow up, as (indicator id, quality factor id).
    async fn quality_factor_links(&self, indicator_ids: &[IndicatorId]) -> Result<Vec<(IndicatorId, i64)>, RepoError>;
    /// Targets of these indicators.
    async fn targets_of(&self, indicator_ids: &[IndicatorId]) -> Result<Vec<Target>, RepoError>;
}

/// Reads key-figure values and metadata.
#[async_trait]
pub trait SeriesReader: Send + Sync {
    /// The whole series for every combination of these series keys, areas and genders that has
    /// values.
    async fn digests(&self, series: &[SeriesRef], areas: &[AreaCode], genders: &[Gender]) -> Result<Vec<SeriesDigest>, RepoError>;
    /// The series of these keys for `area` (gender total) that have values, each with the
    /// values for its latest period of every area a target for `area` compares with (a
    /// relative target's reference area), in one round trip: a goal tree judges thousands of
    /// indicators against the national value and needs no more of it. The reference areas
    /// are found by the statement itself, so that it need not wait for the targets.
    async fn digests_with_references(&self, series: &[SeriesRef], area: &AreaCode) -> Result<Vec<ReferencedDigest>, RepoError>;
    /// The latest verdicts the writers kept for these indicators and `area` (each indicator
    /// once, in no particular order), in one round trip: a goal tree's verdicts without
    /// reading or judging a series. [`Kept::NotKept`] where the hub keeps none for the area,
    /// or a write has marked the indicator to be judged again and it has not been yet.
    async fn kept_statuses(&self, indicators: &[IndicatorId], area: &AreaCode) -> Result<Vec<(IndicatorId, Kept)>, RepoError>;
    /// One key figure's series for these areas and genders, with its title, the first
    /// indicator sourced from it and the names of the areas among `areas` (stored areas, then
    /// the hub's own municipalities): everything a series answer
    /// reads, in one round trip, because it is the API's busiest read.
    async fn kpi_series(&self, kpi: &KpiId, areas: &[AreaCode], genders: &[Gender]) -> Result<KpiSeriesView, RepoError>;
    /// KPI metadata matching a filter, by id.
    async fn kpis(&self, filter: &KpiFilter) -> Result<Vec<Kpi>, RepoError>;
    /// One page of [`SeriesReader::kpis`], cut by the database (keyset cursors).
    async fn kpis_page(&self, filter: &KpiFilter, page: &PageRequest) -> Result<Page<Kpi>, RepoError>;
    /// Areas by code.
    async fn areas_by_codes(&self, codes: &[AreaCode]) -> Result<Vec<Area>, RepoError>;
    /// The members of municipality group `group` in `year`, by code; `None` when the hub
    /// stores no membership of the group at all.
    async fn group_members(&self, group: &AreaCode, year: i32) -> Result<Option<Vec<AreaCode>>, RepoError>;
    /// A group's figures for `series` and `gender`, one per period from `from` to `to` in
    /// which a member has a value, computed by the database over the stored values (a stored
    /// group by its members of each period).
    async fn group_figures(
        &self,
        series: &SeriesRef,
        group: &GroupSpec,
        gender: Gender,
        from: Option<i32>,
        to: Option<i32>,
    ) -> Result<Vec<GroupFigure>, RepoError>;
    /// `area`'s place in a group for `series` and `gender`, one per period from `from` to `to`
    /// in which `area` has a value: its rank among the members of that period with a value (and
    /// itself, when it is not one of them), the highest value first when `higher_first`.
    /// Computed by the database over the stored values.
    #[allow(clippy::too_many_arguments)]
    async fn group_ranks(
        &self,
        series: &SeriesRef,
        group: &GroupSpec,
        gender: Gender,
        area: &AreaCode,
        higher_first: bool,
        from: Option<i32>,
        to: Option<i32>,
    ) -> Result<Vec<crate::kpi::GroupRank>, RepoError>;
    /// The stored comparison groups, by code: every Kolada group and the own groups of
    /// `owner` (every own group when `None`), with their memberships.
    async fn area_groups(&self, owner: Option<&str>) -> Result<Vec<crate::area_group::AreaGroup>, RepoError>;
    /// One stored comparison group with its memberships.
    async fn area_group(&self, code: &AreaCode) -> Result<Option<crate::area_group::AreaGroup>, RepoError>;
    /// One forward page of the areas matching `filter`, by code: the stored ones and, under a
    /// code no matching stored area has, `fallbacks` (the hub's municipalities and the
    /// country, which name areas before any metadata sync). The stored ones are cut by the
    /// database; a page asked backward is refused.
    async fn areas_page(&self, filter: &AreaFilter, fallbacks: &[Area], page: &PageRequest) -> Result<Page<Area>, RepoError>;
}

/// Writes key-figure metadata from a source, upserting on ids.
#[async_trait]
pub trait MetadataWriter: Send + Sync {
    /// KPI metadata; a second identical write changes nothing.
    async fn upsert_kpis(&self, kpis: &[Kpi]) -> Result<WriteCounts, RepoError>;
    /// KPI metadata that fills gaps and never makes the hub poorer: written where the hub has
    /// no row for the id or one without a description; a KPI already described (by a sync, say)
    /// is left as it is and counted unchanged. For shipped metadata such as the demo's.
    async fn fill_kpis(&self, kpis: &[Kpi]) -> Result<WriteCounts, RepoError>;
    /// Areas: municipalities, regions, groups, organisational units.
    async fn upsert_areas(&self, areas: &[Area]) -> Result<WriteCounts, RepoError>;
    /// The members a source serves for municipality group `group` in `year`: memberships that
    /// ended close the year before, new ones start this year ([`crate::kpi::membership_change`]),
    /// in one transaction. Counts memberships inserted, updated (closed or removed), unchanged.
    async fn sync_group_members(&self, group: &str, members: &[String], year: i32) -> Result<WriteCounts, RepoError>;
    /// Names Kolada's municipality groups (code and title), so that they can be listed and
    /// named; their members come with [`MetadataWriter::sync_group_members`].
    async fn upsert_kolada_groups(&self, groups: &[(String, String)]) -> Result<WriteCounts, RepoError>;
    /// Creates or replaces a municipality's own comparison group, as the operator (the CLI,
    /// a package), in one transaction, audited as `by`. Saving the same definition again
    /// changes nothing and records nothing.
    async fn define_group(
        &self,
        by: &crate::access::Author,
        group: &crate::area_group::GroupDefinition,
    ) -> Result<crate::area_group::AreaGroup, RepoError>;
}

/// How often a running ingest says it is alive.
pub const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(15);
/// How long a run may stay silent before another run of its source takes it for dead: four
/// missed heartbeats, so that a busy database or a paused process is not mistaken for a dead one.
pub const RUN_LEASE: std::time::Duration = std::time::Duration::from_secs(60);

/// The log of ingest runs.
#[async_trait]
pub trait RunLog: Send + Sync {
    /// Records a run as started. Runs of the same source still marked running whose heartbeat
    /// is older than [`RUN_LEASE`] belonged to a process that is gone: they are marked failed
    /// ("interrupted") first. A run whose process still beats is left running.
    async fn start_run(&self, source: &str, parameters: &str, at: DateTime<Utc>) -> Result<i64, RepoError>;
    /// Says that run `id`'s process is alive at `at` (every [`HEARTBEAT_EVERY`] while it runs).
    async fn heartbeat(&self, id: i64, at: DateTime<Utc>) -> Result<(), RepoError>;
    /// Records how a run ended.
    async fn finish_run(
        &self,
        id: i64,
        status: RunStatus,
        counts: &RunCounts,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;
    /// The latest successful run of this source with these parameters.
    async fn last_success(&self, source: &str, parameters: &str) -> Result<Option<IngestRun>, RepoError>;
    /// The latest runs, newest first.
    async fn runs(&self, limit: u64) -> Result<Vec<IngestRun>, RepoError>;
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

    /// Writes every batch `batches` gives in one transaction, all of them or none, holding one
    /// batch at a time (a file of any size in bounded memory). An error from `batches` ends it
    /// and nothing stays. By default, the batches gathered and written as one.
    async fn write_batches(
        &self,
        batches: &mut (dyn Iterator<Item = Result<Vec<crate::observation::NewObservation>, RepoError>> + Send),
    ) -> Result<crate::observation::WriteCounts, RepoError> {
        let mut all = Vec::new();
        for batch in batches {
            all.extend(batch?);
        }
        self.write_batch(&all).await
    }

    /// The values `source` holds and has not deleted for these KPIs and areas (and years; all
    /// when empty), as (KPI, area, period, gender): what a full sync compares with what the
    /// source serves now, to find what it removed.
    async fn current_keys(
        &self,
        source: crate::observation::ValueSource,
        kpis: &[crate::ids::KpiId],
        areas: &[String],
        years: &[i32],
    ) -> Result<Vec<crate::observation::ObservationKey>, RepoError> {
        // A writer that keeps nothing (a test double) holds nothing to compare.
        let _ = (source, kpis, areas, years);
        Ok(Vec::new())
    }

    /// Refreshes the query planner's statistics, once at the end of a run that wrote many rows
    /// ([`crate::observation::STATISTICS_REFRESH_ROWS`]), never per batch. Nothing by default:
    /// a writer without a planner (a test double) has none to refresh.
    async fn refresh_statistics(&self) -> Result<(), RepoError> {
        Ok(())
    }
}

pub use crate::commands::GovernanceWriter;
