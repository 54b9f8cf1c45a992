//! The bulk observation writer: one batch, one transaction; what is stored of the batch's
//! series is read once, compared in Rust ([`diff`]), and only the difference written. A re-run of an unchanged batch rewrites nothing and reports
//! every row unchanged; a revised value keeps its earlier one in `observation_revision` (the
//! `observation_keep_revision` trigger copies it on every real update, see migration
//! `m20261201_000005`); a tombstone (`deleted`) leaves the series' digest; null stays null.
//!
//! Where the time goes, per row, and why the statements look as they do:
//!
//! - **PostgreSQL** ([`postgres`]): one statement reads the stored rows of all the batch's
//!   series (one index range each, the series bound as arrays); the diff is made in Rust; new
//!   rows go in by one `COPY` straight into `observation`, differing ones by one
//!   `UPDATE … FROM unnest(…)`, digests by one upsert. Writers take an advisory lock per
//!   transaction, so nothing changes between the read and the write.
//! - **SQLite** ([`sqlite`]): prepared statements stepped on the pooled connection's own handle,
//!   one series at a time: one index range read of the series' stored rows, compared in Rust,
//!   then inserts of the new periods and updates by rowid of the differing ones, and the digest
//!   built in Rust from the merged rows. Nothing is staged.
//! - **Digests**: rebuilt in Rust only for the series (key × area × gender) the batch changed,
//!   from the stored rows read and the batch's (the natural key is ordered
//!   `series_key, area_code, gender, period`, so a series is one index range in period order).
//!
//! Inside a caller's transaction (the package loader, a few hundred rows) the same diff runs
//! through sea-orm ([`write_observations`]), one plain statement per series and per written row.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
use styrhub_domain::observation::{NewObservation, ObservationKey, SeriesRef, ValueSource, WriteCounts};
use styrhub_domain::RepoError;

use crate::db::repo_err;
use diff::{diff_gathered, series_runs, Digest, Stored};

mod diff;
mod postgres;
mod sqlite;

/// The transaction-level advisory lock every PostgreSQL observation writer takes first (an
/// arbitrary constant: "styrhub" in ASCII). A writer reads what is stored and then writes the
/// difference; holding the lock, nobody changes those rows in between.
pub(crate) const WRITER_LOCK: i64 = 0x0073_7479_7268_7562;

/// One staged row, deduplicated on the natural key (the last of a batch wins, as a source's
/// later page would).
pub(super) struct Staged<'a> {
    pub(super) series_key: String,
    pub(super) o: &'a NewObservation,
}

/// The batch without repeated keys, sorted as the natural key's index is, so that inserts
/// land next to each other in it.
fn dedup(batch: &[NewObservation]) -> Vec<Staged<'_>> {
    let mut rows: Vec<Staged<'_>> = batch
        .iter()
        .map(|o| Staged {
            series_key: o.series.key(),
            o,
        })
        .collect();
    // Stable: among equal keys the batch's order is kept, so the last one is the later row.
    rows.sort_by(|a, b| {
        a.series_key
            .cmp(&b.series_key)
            .then_with(|| a.o.area.as_str().cmp(b.o.area.as_str()))
            .then_with(|| a.o.gender.code().cmp(b.o.gender.code()))
            .then_with(|| a.o.period.get().cmp(&b.o.period.get()))
    });
    let mut out: Vec<Staged<'_>> = Vec::with_capacity(rows.len());
    for s in rows {
        match out.last_mut() {
            Some(last)
                if last.series_key == s.series_key
                    && last.o.area == s.o.area
                    && last.o.gender == s.o.gender
                    && last.o.period == s.o.period =>
            {
                *last = s
            }
            _ => out.push(s),
        }
    }
    out
}

/// The KPI or indicator a row's series belongs to.
fn series_ids(o: &NewObservation) -> (Option<&str>, Option<i64>) {
    match &o.series {
        SeriesRef::Kpi(k) => (Some(k.as_str()), None),
        SeriesRef::Indicator(id) => (None, Some(*id)),
    }
}

/// A stored row's source, read back.
fn source(text: &str) -> Result<ValueSource, RepoError> {
    ValueSource::parse(text).map_err(|e| RepoError::Internal(format!("observation holds a source the code cannot read: {e}")))
}

/// An error of sqlx or rusqlite, the drivers the fast paths use below sea-orm, as the store's.
fn driver_err(e: impl std::fmt::Display) -> RepoError {
    repo_err(sea_orm::DbErr::Custom(e.to_string()))
}

/// The per-series statements of [`write_observations`] and of SQLite's writer, with `?N`
/// placeholders (PostgreSQL's are `$N`, see [`statement`]).
pub(super) const PROBE: &str = "SELECT id, period, value, status, count, source, deleted FROM observation \
     WHERE series_key = ?1 AND area_code = ?2 AND gender = ?3 ORDER BY period";
const INSERT: &str = "INSERT INTO observation (series_key, kpi_id, indicator_id, area_code, period, gender, value, status, \
     count, source, deleted, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
pub(super) const UPDATE: &str = "UPDATE observation SET value = ?2, status = ?3, count = ?4, source = ?5, deleted = ?6, updated_at = ?7 \
     WHERE id = ?1";
pub(super) const DIGEST_PUT: &str = "INSERT INTO series_digest (series_key, area_code, gender, points, latest_period, \
     latest_value, previous_period, previous_value, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
     ON CONFLICT (series_key, area_code, gender) DO UPDATE SET points = excluded.points, \
     latest_period = excluded.latest_period, latest_value = excluded.latest_value, previous_period = excluded.previous_period, \
     previous_value = excluded.previous_value, updated_at = excluded.updated_at";
pub(super) const DIGEST_DROP: &str = "DELETE FROM series_digest WHERE series_key = ?1 AND area_code = ?2 AND gender = ?3";

/// `sql` with `values` for `backend`: `?N` placeholders become PostgreSQL's `$N` (the
/// statements above have no other `?`).
fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DatabaseBackend::Postgres {
        sql.replace('?', "$")
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// A row's value, status, count, source and deleted flag, in the statements' order.
fn state_values(o: &NewObservation) -> [Value; 5] {
    [
        o.value.into(),
        o.status.clone().into(),
        o.count.into(),
        o.source.as_str().into(),
        o.deleted.into(),
    ]
}

/// Writes `batch` on `conn`, the caller's connection or transaction, through sea-orm: each
/// series read, diffed and written with plain statements. For the package loader's few hundred
/// rows inside its own transaction; a sync's pages go through [`write_batch`]. Returns what
/// changed. Marks the indicators of the changed series stale: the caller judges them
/// ([`crate::statuses::judge_marked`]) before it commits.
pub async fn write_observations<C: ConnectionTrait>(
    conn: &C,
    batch: &[NewObservation],
    now: DateTime<Utc>,
) -> Result<WriteCounts, RepoError> {
    let staged = dedup(batch);
    if staged.is_empty() {
        return Ok(WriteCounts::default());
    }
    let backend = conn.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        conn.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT pg_advisory_xact_lock($1)",
            [WRITER_LOCK.into()],
        ))
        .await
        .map_err(repo_err)?;
    }
    let mut counts = WriteCounts::default();
    let mut changed: Vec<&str> = Vec::new();
    for rows in series_runs(&staged) {
        let head = &rows[0];
        let key: Vec<Value> = vec![
            head.series_key.as_str().into(),
            head.o.area.as_str().into(),
            head.o.gender.code().into(),
        ];
        let mut stored = Vec::new();
        for r in conn.query_all_raw(statement(backend, PROBE, key.clone())).await.map_err(repo_err)? {
            stored.push(Stored {
                id: r.try_get_by_index(0).map_err(repo_err)?,
                period: r.try_get_by_index(1).map_err(repo_err)?,
                value: r.try_get_by_index(2).map_err(repo_err)?,
                status: r.try_get_by_index(3).map_err(repo_err)?,
                count: r.try_get_by_index(4).map_err(repo_err)?,
                source: source(&r.try_get_by_index::<String>(5).map_err(repo_err)?)?,
                deleted: r.try_get_by_index(6).map_err(repo_err)?,
            });
        }
        let changes = diff_gathered(&stored, rows, &mut counts);
        for r in changes.inserts {
            let (kpi, indicator) = series_ids(r.o);
            let mut values: Vec<Value> = vec![
                r.series_key.as_str().into(),
                kpi.into(),
                indicator.into(),
                r.o.area.as_str().into(),
                r.o.period.get().into(),
                r.o.gender.code().into(),
            ];
            values.extend(state_values(r.o));
            values.push(now.into());
            conn.execute_raw(statement(backend, INSERT, values)).await.map_err(repo_err)?;
        }
        for (id, r) in changes.updates {
            let mut values: Vec<Value> = vec![id.into()];
            values.extend(state_values(r.o));
            values.push(now.into());
            conn.execute_raw(statement(backend, UPDATE, values)).await.map_err(repo_err)?;
        }
        if !matches!(changes.digest, Digest::Unchanged) {
            changed.push(&head.series_key);
        }
        match changes.digest {
            Digest::Unchanged => {}
            Digest::Drop => {
                conn.execute_raw(statement(backend, DIGEST_DROP, key)).await.map_err(repo_err)?;
            }
            Digest::Put { points, facts } => {
                let mut values = key;
                values.extend([
                    points.into(),
                    facts.latest.map(|l| l.0).into(),
                    facts.latest.map(|l| l.1).into(),
                    facts.previous.map(|p| p.0).into(),
                    facts.previous.map(|p| p.1).into(),
                    now.into(),
                ]);
                conn.execute_raw(statement(backend, DIGEST_PUT, values)).await.map_err(repo_err)?;
            }
        }
    }
    // The caller judges the marked statuses before its commit.
    crate::statuses::mark_series(conn, changed).await?;
    Ok(counts)
}

#[async_trait::async_trait]
impl styrhub_domain::ports::ObservationWriter for crate::Store {
    async fn write_batch(&self, batch: &[NewObservation]) -> Result<WriteCounts, RepoError> {
        write_batch(self.connection(), batch, Utc::now()).await
    }

    async fn write_batches(
        &self,
        batches: &mut (dyn Iterator<Item = Result<Vec<NewObservation>, RepoError>> + Send),
    ) -> Result<WriteCounts, RepoError> {
        write_batches(self.connection(), batches, Utc::now()).await
    }

    async fn refresh_statistics(&self) -> Result<(), RepoError> {
        crate::Store::refresh_statistics(self).await
    }

    async fn current_keys(
        &self,
        source: ValueSource,
        kpis: &[KpiId],
        areas: &[String],
        years: &[i32],
    ) -> Result<Vec<ObservationKey>, RepoError> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

        use crate::entities::observation::{Column, Entity};
        let corrupt = |e: &dyn std::fmt::Display| RepoError::Internal(format!("an observation the code cannot read: {e}"));
        let mut keys = Vec::new();
        // One KPI at a time, areas in chunks: every list stays well under the bind limits.
        for kpi in kpis {
            for chunk in areas.chunks(crate::governance::MAX_IN) {
                let mut q = Entity::find()
                    .select_only()
                    .columns([Column::AreaCode, Column::Period, Column::Gender])
                    .filter(Column::Source.eq(source.as_str()))
                    .filter(Column::Deleted.eq(false))
                    .filter(Column::KpiId.eq(kpi.as_str()))
                    .filter(Column::AreaCode.is_in(chunk.iter().map(String::as_str)));
                if !years.is_empty() {
                    q = q.filter(Column::Period.is_in(years.iter().copied()));
                }
                let rows: Vec<(String, i32, String)> = q.into_tuple().all(self.connection()).await.map_err(repo_err)?;
                for (area, period, gender) in rows {
                    keys.push(ObservationKey {
                        kpi: kpi.clone(),
                        area: AreaCode::parse(&area).map_err(|e| corrupt(&e))?,
                        period: Year::new(period).map_err(|e| corrupt(&e))?,
                        gender: Gender::parse(&gender).map_err(|e| corrupt(&e))?,
                    });
                }
            }
        }
        Ok(keys)
    }
}

/// Writes `batch` in its own transaction, the fastest way the database allows.
pub async fn write_batch(db: &sea_orm::DatabaseConnection, batch: &[NewObservation], now: DateTime<Utc>) -> Result<WriteCounts, RepoError> {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let staged = dedup(batch);
            if staged.is_empty() {
                return Ok(WriteCounts::default());
            }
            let (counts, marked) = postgres::write(db.get_postgres_connection_pool(), &staged, now).await?;
            judge_after(db, marked, now).await?;
            Ok(counts)
        }
        DatabaseBackend::Sqlite => {
            let staged = dedup(batch);
            if staged.is_empty() {
                return Ok(WriteCounts::default());
            }
            let (counts, marked) = sqlite::write(db.get_sqlite_connection_pool(), &staged, now).await?;
            judge_after(db, marked, now).await?;
            Ok(counts)
        }
        _ => {
            let txn = crate::db::begin_write(db).await?;
            let counts = write_observations(&txn, batch, now).await?;
            crate::statuses::judge_marked(&txn, now).await?;
            txn.commit().await.map_err(repo_err)?;
            Ok(counts)
        }
    }
}

/// Batches for [`write_batches`], pulled one at a time inside its transaction: a file's rows
/// read as they are written, say. An error ends the write, and nothing of it stays.
pub type Batches<'a> = dyn Iterator<Item = Result<Vec<NewObservation>, RepoError>> + Send + 'a;

/// The next batch of `batches`. A source that blocks (a reader on another thread) is waited for
/// off the runtime's worker where the runtime can spare one.
fn next_batch(batches: &mut Batches<'_>) -> Option<Result<Vec<NewObservation>, RepoError>> {
    off_runtime(|| batches.next())
}

/// Runs `work`, which blocks, off the runtime's worker on a multi-threaded runtime (the
/// runtime hands the worker's other tasks to another thread meanwhile); in place on a
/// current-thread runtime, which has no other worker, or outside any.
fn off_runtime<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// Writes every batch of `batches` in one transaction, the fastest way the database allows,
/// holding one batch at a time: a file of any size lands whole or not at all, in memory bounded
/// by its batch size. A key in two batches is written twice, the later value over the earlier.
pub async fn write_batches(
    db: &sea_orm::DatabaseConnection,
    batches: &mut Batches<'_>,
    now: DateTime<Utc>,
) -> Result<WriteCounts, RepoError> {
    let (counts, marked) = match db.get_database_backend() {
        DatabaseBackend::Postgres => postgres::write_many(db.get_postgres_connection_pool(), batches, now).await?,
        DatabaseBackend::Sqlite => sqlite::write_many(db.get_sqlite_connection_pool(), batches, now).await?,
        _ => {
            let txn = crate::db::begin_write(db).await?;
            let mut counts = WriteCounts::default();
            while let Some(batch) = next_batch(batches) {
                counts.add(write_observations(&txn, &batch?, now).await?);
            }
            crate::statuses::judge_marked(&txn, now).await?;
            txn.commit().await.map_err(repo_err)?;
            return Ok(counts);
        }
    };
    judge_after(db, marked, now).await?;
    Ok(counts)
}

/// Judges the statuses the batch's commit marked stale, in a transaction of their own (the
/// batch's ran on the driver below sea-orm). A failure here leaves the marks, which the next
/// write or start judges; the values are written either way.
async fn judge_after(db: &sea_orm::DatabaseConnection, marked: bool, now: DateTime<Utc>) -> Result<(), RepoError> {
    if !marked {
        return Ok(());
    }
    let txn = crate::db::begin_write(db).await?;
    crate::statuses::judge_marked(&txn, now).await?;
    txn.commit().await.map_err(repo_err)
}
