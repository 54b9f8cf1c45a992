//! Read replicas: the read ports served by PostgreSQL streaming replicas, the primary standing in
//! for any replica that is down or behind.
//!
//! [`ReplicaSet`] implements the read ports (`GovernanceReader`, `IndicatorReader`,
//! `SeriesReader`, `TableExporter`) by handing each call to one usable replica, in turn, and to
//! the primary when none is usable. Writes never come here: the writers are the primary's
//! [`Store`], and every read a write makes runs inside its own transaction on the primary.
//!
//! A replica is *usable* while its last check found it answering, in recovery (a promoted or
//! unrelated server is never read as a replica) and at most `max_lag` behind. The check
//! ([`ReplicaSet::check`], every `interval` in the background) reads the primary's WAL position,
//! then each replica's replay position: a replica that has replayed up to it is not behind at
//! all; one that has not is behind by the time since the last transaction it replayed was
//! committed. Since replay is in commit order, a usable replica holds every transaction
//! committed more than `max_lag + interval` ago ([`ReplicaSet::settled_after`]): a caller that
//! wrote more recently than that reads the primary (the API pins it), and so reads its own
//! write.
//!
//! A read that fails on a replica because the replica is unreachable (or the replica cancels
//! it, as a hot standby does when replay conflicts) marks the replica down until the next check
//! and is run again on the primary, so a replica going away costs no request its answer. A
//! streamed export is not run again (part of it may have gone out); it fails as it would on the
//! primary.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use styrhub_domain::assignment::{Assignment, AssignmentFilter};
use styrhub_domain::budget::{BudgetFilter, BudgetLine};
use styrhub_domain::export::{Cell, ExportFilter, PageQuery, RowSink, Table, TableExporter};
use styrhub_domain::follow_up::{FollowUp, FollowUpFilter, GoalAssessment};
use styrhub_domain::goal::{Goal, GoalFilter};
use styrhub_domain::governance_model::GovernanceModel;
use styrhub_domain::ids::{AreaCode, Gender, GoalId, IndicatorId, KpiId};
use styrhub_domain::indicator::{Indicator, IndicatorFilter};
use styrhub_domain::kpi::{Area, AreaFilter, GroupFigure, GroupRank, GroupSpec, Kpi, KpiFilter};
use styrhub_domain::mission::{BasicMission, PoliticalDirection, QualityFactor};
use styrhub_domain::observation::SeriesRef;
use styrhub_domain::org_unit::{OrgUnit, OrgUnitKind};
use styrhub_domain::page::{Page, PageRequest};
use styrhub_domain::ports::{GovernanceReader, IndicatorReader, SeriesReader};
use styrhub_domain::rules::status::Kept;
use styrhub_domain::series::{KpiSeriesView, ReferencedDigest, SeriesDigest};
use styrhub_domain::target::Target;
use styrhub_domain::vision::{FocusArea, Vision};
use styrhub_domain::RepoError;

use crate::db::{redact, Store, StoreError};

/// How far behind a replica may be and still be read, by default.
pub const DEFAULT_MAX_LAG: Duration = Duration::from_secs(5);

/// How often the replicas are checked, by default.
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// How the replicas are used.
#[derive(Debug, Clone, Copy)]
pub struct ReplicaOptions {
    /// A replica further behind than this is not read.
    pub max_lag: Duration,
    /// How often each replica's lag is checked.
    pub interval: Duration,
    /// How long a read waits for a replica's pooled connection.
    pub acquire_timeout: Duration,
}

impl Default for ReplicaOptions {
    fn default() -> Self {
        Self {
            max_lag: DEFAULT_MAX_LAG,
            interval: DEFAULT_CHECK_INTERVAL,
            acquire_timeout: crate::db::DEFAULT_ACQUIRE_TIMEOUT,
        }
    }
}

/// What the last check found of one replica.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaStatus {
    /// The replica's URL, password hidden.
    pub url: String,
    /// It answered the last check (and no read has failed on it since).
    pub up: bool,
    /// It is a server in recovery, i.e. a replica. `false` for a server that answered but is
    /// a primary (promoted, or given by mistake): it is never read.
    pub in_recovery: bool,
    /// How far behind the primary it was; `None` when unknown (down, or nothing replayed yet).
    pub lag: Option<Duration>,
    /// How many bytes of WAL it had still to replay.
    pub lag_bytes: Option<u64>,
    /// Reads are sent to it.
    pub usable: bool,
    /// Reads it has answered since the process started.
    pub reads: u64,
}

/// One replica and what its last check found.
struct Replica {
    url: String,
    store: Store,
    up: AtomicBool,
    in_recovery: AtomicBool,
    /// Microseconds behind; `u64::MAX` when unknown.
    lag_micros: AtomicU64,
    /// `u64::MAX` when unknown.
    lag_bytes: AtomicU64,
    reads: AtomicU64,
}

const UNKNOWN: u64 = u64::MAX;

impl Replica {
    fn lag(&self) -> Option<Duration> {
        match self.lag_micros.load(Ordering::Acquire) {
            UNKNOWN => None,
            m => Some(Duration::from_micros(m)),
        }
    }

    fn usable(&self, max_lag: Duration) -> bool {
        self.up.load(Ordering::Acquire) && self.in_recovery.load(Ordering::Acquire) && self.lag().is_some_and(|lag| lag <= max_lag)
    }

    fn mark_down(&self, why: &str) {
        if self.up.swap(false, Ordering::AcqRel) {
            tracing::warn!(replica = %self.url, reason = why, "read replica down: the primary serves its reads");
        }
    }
}

/// The primary and its read replicas, as one set of read ports.
pub struct ReplicaSet {
    primary: Store,
    replicas: Vec<Replica>,
    options: ReplicaOptions,
    next: AtomicUsize,
    primary_reads: AtomicU64,
}

impl std::fmt::Debug for ReplicaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicaSet")
            .field("replicas", &self.replicas.iter().map(|r| &r.url).collect::<Vec<_>>())
            .field("options", &self.options)
            .finish()
    }
}

impl ReplicaSet {
    /// The replicas at `urls` beside `primary`, checked once before this returns (so that the
    /// first reads already go to the replicas that answer). A replica that does not answer is
    /// no error: it is skipped until a check finds it. Call [`ReplicaSet::watch`] to keep
    /// checking.
    pub async fn connect(primary: Store, urls: &[String], options: ReplicaOptions) -> Result<Arc<Self>, StoreError> {
        if !primary.is_postgres() {
            return Err(StoreError::BadUrl {
                url: urls.first().map(|u| redact(u)).unwrap_or_default(),
                reason: "read replicas need PostgreSQL as the primary database (--database-url postgres://…)".into(),
            });
        }
        let mut replicas = Vec::with_capacity(urls.len());
        for url in urls {
            replicas.push(Replica {
                url: redact(url),
                store: Store::connect_replica(url, options.acquire_timeout).await?,
                up: AtomicBool::new(false),
                in_recovery: AtomicBool::new(false),
                lag_micros: AtomicU64::new(UNKNOWN),
                lag_bytes: AtomicU64::new(UNKNOWN),
                reads: AtomicU64::new(0),
            });
        }
        let set = Arc::new(Self {
            primary,
            replicas,
            options,
            next: AtomicUsize::new(0),
            primary_reads: AtomicU64::new(0),
        });
        set.check().await;
        Ok(set)
    }

    /// Checks every replica every `interval` from now on, in the background, for as long as
    /// the set is in use.
    pub fn watch(self: &Arc<Self>) {
        let set: Weak<Self> = Arc::downgrade(self);
        let interval = self.options.interval;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(set) = set.upgrade() else { break };
                set.check().await;
            }
        });
    }

    /// Checks every replica now: whether it answers, is in recovery, and how far behind the
    /// primary it is. Each check waits at most `interval` (at least a second) for an answer.
    pub async fn check(&self) {
        let wait = self.options.interval.max(Duration::from_secs(1));
        let primary_lsn = match tokio::time::timeout(wait, primary_position(&self.primary)).await {
            Ok(Ok(lsn)) => Some(lsn),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "reading the primary's WAL position failed");
                None
            }
            Err(_) => None,
        };
        for replica in &self.replicas {
            let found = match &primary_lsn {
                Some(lsn) => tokio::time::timeout(wait, replica_position(&replica.store, lsn))
                    .await
                    .unwrap_or_else(|_| Err(RepoError::Unavailable("no answer in time".into()))),
                // Without the primary's position no lag can be told: the replica is not read
                // (nor is the primary, then, but that is the primary's own outage).
                None => Err(RepoError::Unavailable("the primary's position is unknown".into())),
            };
            match found {
                Ok(position) => {
                    let was_up = replica.up.swap(true, Ordering::AcqRel);
                    if !was_up {
                        tracing::info!(replica = %replica.url, in_recovery = position.in_recovery, "read replica answers");
                    }
                    replica.in_recovery.store(position.in_recovery, Ordering::Release);
                    replica.lag_micros.store(
                        position.lag.map_or(UNKNOWN, |l| l.as_micros().min(u128::from(UNKNOWN - 1)) as u64),
                        Ordering::Release,
                    );
                    replica.lag_bytes.store(position.lag_bytes.unwrap_or(UNKNOWN), Ordering::Release);
                }
                Err(e) => {
                    replica.mark_down(&e.to_string());
                    replica.lag_micros.store(UNKNOWN, Ordering::Release);
                    replica.lag_bytes.store(UNKNOWN, Ordering::Release);
                }
            }
        }
    }

    /// What the last check found of each replica, in the order given.
    pub fn statuses(&self) -> Vec<ReplicaStatus> {
        self.replicas
            .iter()
            .map(|r| ReplicaStatus {
                url: r.url.clone(),
                up: r.up.load(Ordering::Acquire),
                in_recovery: r.in_recovery.load(Ordering::Acquire),
                lag: r.lag(),
                lag_bytes: match r.lag_bytes.load(Ordering::Acquire) {
                    UNKNOWN => None,
                    b => Some(b),
                },
                usable: r.usable(self.options.max_lag),
                reads: r.reads.load(Ordering::Acquire),
            })
            .collect()
    }

    /// Reads the primary has answered through this set (none were usable, or one failed).
    pub fn primary_reads(&self) -> u64 {
        self.primary_reads.load(Ordering::Acquire)
    }

    /// How long after a commit every usable replica is sure to hold it: `max_lag` plus one
    /// check's interval. A caller that committed more recently reads the primary.
    pub fn settled_after(&self) -> Duration {
        self.options.max_lag + self.options.interval
    }

    /// The next usable replica, in turn; `None` when none is.
    fn pick(&self) -> Option<&Replica> {
        let n = self.replicas.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| &self.replicas[(start + i) % n])
            .find(|r| r.usable(self.options.max_lag))
    }

    /// Counts a read sent to the primary.
    fn on_primary(&self) -> &Store {
        self.primary_reads.fetch_add(1, Ordering::Relaxed);
        &self.primary
    }
}

/// Whether a read that failed on a replica is run again on the primary. An unreachable replica
/// is marked down first; a read the replica cancelled (a hot standby cancels reads that hold up
/// its replay) or any other fault of its own is the primary's to answer. A refusal of the input
/// (invalid, not found) would be the same on the primary and is answered as it is.
fn fail_over(replica: &Replica, e: &RepoError) -> bool {
    match e {
        RepoError::Unavailable(why) => {
            replica.mark_down(why);
            true
        }
        RepoError::Internal(why) => {
            tracing::warn!(replica = %replica.url, error = %why, "a read failed on a replica; the primary answers it");
            true
        }
        _ => false,
    }
}

/// Runs one read on a usable replica (the primary when there is none, or when it fails there).
macro_rules! routed {
    ($set:ident, $port:ident :: $method:ident ( $($arg:expr),* )) => {
        match $set.pick() {
            None => $port::$method($set.on_primary(), $($arg),*).await,
            Some(replica) => match $port::$method(&replica.store, $($arg),*).await {
                Err(e) if fail_over(replica, &e) => $port::$method($set.on_primary(), $($arg),*).await,
                answered => {
                    replica.reads.fetch_add(1, Ordering::Relaxed);
                    answered
                }
            },
        }
    };
}

/// Where a server is in the WAL.
struct Position {
    in_recovery: bool,
    lag: Option<Duration>,
    lag_bytes: Option<u64>,
}

async fn primary_position(primary: &Store) -> Result<String, RepoError> {
    let row = primary
        .connection()
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT pg_current_wal_lsn()::text",
        ))
        .await
        .map_err(crate::db::repo_err)?
        .ok_or_else(|| RepoError::Internal("no WAL position".into()))?;
    row.try_get_by_index::<String>(0).map_err(crate::db::repo_err)
}

/// A replica's replay position against the primary's `lsn`: not behind when it has replayed
/// that far; else behind by the time since its last replayed commit.
async fn replica_position(replica: &Store, lsn: &str) -> Result<Position, RepoError> {
    const SQL: &str = "SELECT pg_is_in_recovery(), \
        pg_last_wal_replay_lsn() >= $1::pg_lsn, \
        EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8, \
        GREATEST(pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()), 0)::float8";
    let row = replica
        .connection()
        .query_one_raw(Statement::from_sql_and_values(DatabaseBackend::Postgres, SQL, [lsn.into()]))
        .await
        .map_err(crate::db::repo_err)?
        .ok_or_else(|| RepoError::Internal("no replay position".into()))?;
    let get = |e| crate::db::repo_err(e);
    let in_recovery: bool = row.try_get_by_index(0).map_err(get)?;
    let caught_up: Option<bool> = row.try_get_by_index(1).map_err(get)?;
    let since_replay: Option<f64> = row.try_get_by_index(2).map_err(get)?;
    let bytes: Option<f64> = row.try_get_by_index(3).map_err(get)?;
    let lag = match (caught_up, since_replay) {
        (Some(true), _) => Some(Duration::ZERO),
        (_, Some(s)) => Some(Duration::from_secs_f64(s.max(0.0))),
        _ => None,
    };
    Ok(Position {
        in_recovery,
        lag,
        lag_bytes: bytes.map(|b| b as u64),
    })
}

#[async_trait]
impl GovernanceReader for ReplicaSet {
    async fn municipalities(&self) -> Result<Vec<OrgUnit>, RepoError> {
        routed!(self, GovernanceReader::municipalities())
    }
    async fn municipality_by_code(&self, code: &str) -> Result<Option<OrgUnit>, RepoError> {
        routed!(self, GovernanceReader::municipality_by_code(code))
    }
    async fn org_units_by_ids(&self, ids: &[i64]) -> Result<Vec<OrgUnit>, RepoError> {
        routed!(self, GovernanceReader::org_units_by_ids(ids))
    }
    async fn org_units_of(&self, municipality_ids: &[i64]) -> Result<Vec<OrgUnit>, RepoError> {
        routed!(self, GovernanceReader::org_units_of(municipality_ids))
    }
    async fn org_units_page(
        &self,
        municipality_id: i64,
        kind: Option<OrgUnitKind>,
        page: &PageRequest,
    ) -> Result<Page<OrgUnit>, RepoError> {
        routed!(self, GovernanceReader::org_units_page(municipality_id, kind, page))
    }
    async fn governance_models(&self, municipality_id: i64) -> Result<Vec<GovernanceModel>, RepoError> {
        routed!(self, GovernanceReader::governance_models(municipality_id))
    }
    async fn governance_models_by_ids(&self, ids: &[i64]) -> Result<Vec<GovernanceModel>, RepoError> {
        routed!(self, GovernanceReader::governance_models_by_ids(ids))
    }
    async fn visions(&self, municipality_id: i64) -> Result<Vec<Vision>, RepoError> {
        routed!(self, GovernanceReader::visions(municipality_id))
    }
    async fn visions_by_ids(&self, ids: &[i64]) -> Result<Vec<Vision>, RepoError> {
        routed!(self, GovernanceReader::visions_by_ids(ids))
    }
    async fn focus_areas_by_ids(&self, ids: &[i64]) -> Result<Vec<FocusArea>, RepoError> {
        routed!(self, GovernanceReader::focus_areas_by_ids(ids))
    }
    async fn focus_areas_of(&self, vision_ids: &[i64]) -> Result<Vec<FocusArea>, RepoError> {
        routed!(self, GovernanceReader::focus_areas_of(vision_ids))
    }
    async fn goals(&self, filter: &GoalFilter) -> Result<Vec<Goal>, RepoError> {
        routed!(self, GovernanceReader::goals(filter))
    }
    async fn goals_page(&self, filter: &GoalFilter, page: &PageRequest) -> Result<Page<Goal>, RepoError> {
        routed!(self, GovernanceReader::goals_page(filter, page))
    }
    async fn goals_of_focus_areas(&self, focus_area_ids: &[i64]) -> Result<Vec<Goal>, RepoError> {
        routed!(self, GovernanceReader::goals_of_focus_areas(focus_area_ids))
    }
    async fn goals_by_ids(&self, ids: &[GoalId]) -> Result<Vec<Goal>, RepoError> {
        routed!(self, GovernanceReader::goals_by_ids(ids))
    }
    async fn goal_edges(&self, municipality_ids: &[i64]) -> Result<Vec<(i64, i64)>, RepoError> {
        routed!(self, GovernanceReader::goal_edges(municipality_ids))
    }
    async fn basic_missions_page(
        &self,
        municipality_id: i64,
        org_unit_ids: Option<&[i64]>,
        page: &PageRequest,
    ) -> Result<Page<BasicMission>, RepoError> {
        routed!(self, GovernanceReader::basic_missions_page(municipality_id, org_unit_ids, page))
    }
    async fn quality_factors_page(
        &self,
        municipality_id: i64,
        org_unit_ids: Option<&[i64]>,
        page: &PageRequest,
    ) -> Result<Page<QualityFactor>, RepoError> {
        routed!(self, GovernanceReader::quality_factors_page(municipality_id, org_unit_ids, page))
    }
    async fn quality_factors_by_ids(&self, ids: &[i64]) -> Result<Vec<QualityFactor>, RepoError> {
        routed!(self, GovernanceReader::quality_factors_by_ids(ids))
    }
    async fn political_directions_page(
        &self,
        municipality_id: i64,
        org_unit_ids: Option<&[i64]>,
        page: &PageRequest,
    ) -> Result<Page<PoliticalDirection>, RepoError> {
        routed!(
            self,
            GovernanceReader::political_directions_page(municipality_id, org_unit_ids, page)
        )
    }
    async fn assignments_page(&self, filter: &AssignmentFilter, page: &PageRequest) -> Result<Page<Assignment>, RepoError> {
        routed!(self, GovernanceReader::assignments_page(filter, page))
    }
    async fn budgets_page(&self, filter: &BudgetFilter, page: &PageRequest) -> Result<Page<BudgetLine>, RepoError> {
        routed!(self, GovernanceReader::budgets_page(filter, page))
    }
    async fn follow_ups_page(&self, filter: &FollowUpFilter, page: &PageRequest) -> Result<Page<FollowUp>, RepoError> {
        routed!(self, GovernanceReader::follow_ups_page(filter, page))
    }
    async fn follow_ups_by_ids(&self, ids: &[i64]) -> Result<Vec<FollowUp>, RepoError> {
        routed!(self, GovernanceReader::follow_ups_by_ids(ids))
    }
    async fn assessments_of_goals(&self, goal_ids: &[GoalId]) -> Result<Vec<GoalAssessment>, RepoError> {
        routed!(self, GovernanceReader::assessments_of_goals(goal_ids))
    }
    async fn assessments_in(&self, follow_up_ids: &[i64]) -> Result<Vec<GoalAssessment>, RepoError> {
        routed!(self, GovernanceReader::assessments_in(follow_up_ids))
    }
}

#[async_trait]
impl IndicatorReader for ReplicaSet {
    async fn indicators(&self, filter: &IndicatorFilter) -> Result<Vec<Indicator>, RepoError> {
        routed!(self, IndicatorReader::indicators(filter))
    }
    async fn indicators_page(&self, filter: &IndicatorFilter, page: &PageRequest) -> Result<Page<Indicator>, RepoError> {
        routed!(self, IndicatorReader::indicators_page(filter, page))
    }
    async fn indicators_by_ids(&self, ids: &[IndicatorId]) -> Result<Vec<Indicator>, RepoError> {
        routed!(self, IndicatorReader::indicators_by_ids(ids))
    }
    async fn indicators_of_goals(&self, goal_ids: &[GoalId]) -> Result<Vec<(GoalId, Indicator)>, RepoError> {
        routed!(self, IndicatorReader::indicators_of_goals(goal_ids))
    }
    async fn goal_links(&self, indicator_ids: &[IndicatorId]) -> Result<Vec<(IndicatorId, GoalId)>, RepoError> {
        routed!(self, IndicatorReader::goal_links(indicator_ids))
    }
    async fn quality_factor_links(&self, indicator_ids: &[IndicatorId]) -> Result<Vec<(IndicatorId, i64)>, RepoError> {
        routed!(self, IndicatorReader::quality_factor_links(indicator_ids))
    }
    async fn targets_of(&self, indicator_ids: &[IndicatorId]) -> Result<Vec<Target>, RepoError> {
        routed!(self, IndicatorReader::targets_of(indicator_ids))
    }
}

#[async_trait]
impl SeriesReader for ReplicaSet {
    async fn digests(&self, series: &[SeriesRef], areas: &[AreaCode], genders: &[Gender]) -> Result<Vec<SeriesDigest>, RepoError> {
        routed!(self, SeriesReader::digests(series, areas, genders))
    }
    async fn digests_with_references(&self, series: &[SeriesRef], area: &AreaCode) -> Result<Vec<ReferencedDigest>, RepoError> {
        routed!(self, SeriesReader::digests_with_references(series, area))
    }
    async fn kept_statuses(&self, indicators: &[IndicatorId], area: &AreaCode) -> Result<Vec<(IndicatorId, Kept)>, RepoError> {
        routed!(self, SeriesReader::kept_statuses(indicators, area))
    }
    async fn kpi_series(&self, kpi: &KpiId, areas: &[AreaCode], genders: &[Gender]) -> Result<KpiSeriesView, RepoError> {
        routed!(self, SeriesReader::kpi_series(kpi, areas, genders))
    }
    async fn kpis(&self, filter: &KpiFilter) -> Result<Vec<Kpi>, RepoError> {
        routed!(self, SeriesReader::kpis(filter))
    }
    async fn kpis_page(&self, filter: &KpiFilter, page: &PageRequest) -> Result<Page<Kpi>, RepoError> {
        routed!(self, SeriesReader::kpis_page(filter, page))
    }
    async fn areas_by_codes(&self, codes: &[AreaCode]) -> Result<Vec<Area>, RepoError> {
        routed!(self, SeriesReader::areas_by_codes(codes))
    }
    async fn group_members(&self, group: &AreaCode, year: i32) -> Result<Option<Vec<AreaCode>>, RepoError> {
        routed!(self, SeriesReader::group_members(group, year))
    }
    async fn group_figures(
        &self,
        series: &SeriesRef,
        group: &GroupSpec,
        gender: Gender,
        from: Option<i32>,
        to: Option<i32>,
    ) -> Result<Vec<GroupFigure>, RepoError> {
        routed!(self, SeriesReader::group_figures(series, group, gender, from, to))
    }
    async fn group_ranks(
        &self,
        series: &SeriesRef,
        group: &GroupSpec,
        gender: Gender,
        area: &AreaCode,
        higher_first: bool,
        from: Option<i32>,
        to: Option<i32>,
    ) -> Result<Vec<GroupRank>, RepoError> {
        routed!(self, SeriesReader::group_ranks(series, group, gender, area, higher_first, from, to))
    }
    async fn area_groups(&self, owner: Option<&str>) -> Result<Vec<styrhub_domain::area_group::AreaGroup>, RepoError> {
        routed!(self, SeriesReader::area_groups(owner))
    }
    async fn area_group(&self, code: &AreaCode) -> Result<Option<styrhub_domain::area_group::AreaGroup>, RepoError> {
        routed!(self, SeriesReader::area_group(code))
    }
    async fn areas_page(&self, filter: &AreaFilter, fallbacks: &[Area], page: &PageRequest) -> Result<Page<Area>, RepoError> {
        routed!(self, SeriesReader::areas_page(filter, fallbacks, page))
    }
}

#[async_trait]
impl TableExporter for ReplicaSet {
    async fn export(&self, table: Table, filter: &ExportFilter, sink: &mut dyn RowSink) -> Result<u64, RepoError> {
        // Not run again elsewhere when it fails: part of the table may have gone out already.
        match self.pick() {
            None => self.on_primary().export(table, filter, sink).await,
            Some(replica) => {
                let r = replica.store.export(table, filter, sink).await;
                match &r {
                    Err(RepoError::Unavailable(why)) => replica.mark_down(why),
                    _ => {
                        replica.reads.fetch_add(1, Ordering::Relaxed);
                    }
                }
                r
            }
        }
    }
    async fn page(&self, table: Table, query: &PageQuery) -> Result<Vec<Vec<Cell>>, RepoError> {
        routed!(self, TableExporter::page(table, query))
    }
    async fn count(&self, table: Table, query: &PageQuery) -> Result<u64, RepoError> {
        routed!(self, TableExporter::count(table, query))
    }
}
