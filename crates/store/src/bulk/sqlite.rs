//! SQLite's bulk writer: the batch's statements stepped in a tight loop on the pooled
//! connection's own handle, one series at a time, with nothing staged.
//!
//! Why not through sqlx: every statement sqlx runs on SQLite is a message to the connection's
//! worker thread and back, and every bound value is copied on the way. The earlier writer
//! (multi-row staging `INSERT`s of 2,000 rows through sqlx, then set-based statements) spent
//! most of a batch there: its raw load of the same rows, with no index, no look-up and no
//! digest, reached only 250,000–480,000 rows/s. Here sqlx lends the handle
//! ([`sqlx::sqlite::SqliteConnection::lock_handle`]) and rusqlite steps prepared statements on
//! it directly; the connection, its pragmas and the pool stay sqlx's.
//!
//! Per series (key × area × gender, contiguous in the sorted batch): one index range read of its
//! stored rows, compared with the batch's rows in Rust; new periods inserted, differing ones
//! updated by rowid (the `observation_keep_revision` trigger keeps the earlier value), the
//! digest rebuilt in Rust from the merged rows when anything changed. A first load thus costs
//! one empty range probe per series and its rows' share of a multi-row insert; an identical
//! re-run one range read per series and no write at all.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, Statement, TransactionBehavior};
use sea_orm::sqlx;
use styrhub_domain::observation::WriteCounts;
use styrhub_domain::RepoError;

use super::diff::{diff_series, series_runs, Digest, Stored};
use super::{driver_err, series_ids, source, Staged, DIGEST_DROP, DIGEST_PUT, PROBE, UPDATE};

/// Rows per multi-row `INSERT`: each statement run costs SQLite a cursor set-up and the
/// `AUTOINCREMENT` counter's read and write, which per row was a third of a first load. Not
/// more: the statement is prepared once per batch, and parsing a 200-row `VALUES` list took a
/// fifth of a first load.
const INSERT_ROWS: usize = 32;

/// The `INSERT` of `rows` observations, 11 values each (`updated_at` is the last parameter).
fn insert_sql(rows: usize) -> String {
    use std::fmt::Write;
    let mut sql = String::from(
        "INSERT INTO observation (series_key, kpi_id, indicator_id, area_code, period, gender, value, status, count, \
         source, deleted, updated_at) VALUES ",
    );
    let now = rows * 11 + 1;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 1..=11 {
            let _ = write!(sql, "?{},", r * 11 + c);
        }
        let _ = write!(sql, "?{now})");
    }
    sql
}

/// Writes `staged` (deduplicated and sorted) in its own transaction on a connection of `pool`.
/// Returns what changed and whether it marked indicators whose statuses must be judged again.
pub(super) async fn write(pool: &sqlx::SqlitePool, staged: &[Staged<'_>], now: DateTime<Utc>) -> Result<(WriteCounts, bool), RepoError> {
    let now = stamp(now);
    on_handle(pool, |conn| write_locked(conn, staged, &now).map_err(driver_err)).await
}

/// Writes every batch `batches` gives, one after the other, in one transaction: all of them or
/// none. Only one batch is held at a time. Returns what changed and whether indicators were
/// marked for judging again.
pub(super) async fn write_many(
    pool: &sqlx::SqlitePool,
    batches: &mut super::Batches<'_>,
    now: DateTime<Utc>,
) -> Result<(WriteCounts, bool), RepoError> {
    let now = stamp(now);
    on_handle(pool, |conn| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(driver_err)?;
        let (mut counts, mut marked) = (WriteCounts::default(), false);
        // Pulled here, on this thread: the batches may come from a reader that blocks.
        for batch in &mut *batches {
            let batch = batch?;
            let staged = super::dedup(&batch);
            let (c, m) = write_in(&tx, &staged, &now).map_err(driver_err)?;
            counts.add(c);
            marked |= m;
        }
        tx.commit().map_err(driver_err)?;
        Ok((counts, marked))
    })
    .await
}

/// The timestamp as sqlx writes a `DateTime<Utc>` on SQLite, so that rows read back alike.
fn stamp(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Runs `work` with rusqlite on the handle of a connection of `pool`, off the runtime's worker
/// where the runtime can spare one (a batch is tens of milliseconds of CPU, and fetching the
/// next pages goes on meanwhile).
async fn on_handle<T>(pool: &sqlx::SqlitePool, work: impl FnOnce(&mut Connection) -> Result<T, RepoError>) -> Result<T, RepoError> {
    let mut conn = pool.acquire().await.map_err(|e| RepoError::Unavailable(e.to_string()))?;
    let mut handle = conn.lock_handle().await.map_err(driver_err)?;
    let raw = handle.as_raw_handle().as_ptr();
    let done = super::off_runtime(|| {
        // SAFETY: `handle` keeps sqlx's worker thread off this connection until it is dropped,
        // after this closure; the rusqlite `Connection` made here does not own the handle (it
        // is not closed when dropped) and is dropped, its statements finalized, before the
        // closure returns.
        #[allow(unsafe_code)]
        let mut conn = unsafe { Connection::from_handle(raw) }.map_err(driver_err)?;
        work(&mut conn)
    });
    drop(handle);
    done
}

struct Statements<'c> {
    probe: Statement<'c>,
    /// [`INSERT_ROWS`] rows at once, and one row for what is left at the end.
    insert_many: Statement<'c>,
    insert_one: Statement<'c>,
    update: Statement<'c>,
    digest_put: Statement<'c>,
    digest_drop: Statement<'c>,
}

/// The batch in one `BEGIN IMMEDIATE` transaction: taking the write lock first means a
/// concurrent writer waits (busy timeout) instead of failing this one half-way with
/// `SQLITE_BUSY_SNAPSHOT` when it reads first and writes later.
fn write_locked(conn: &mut Connection, staged: &[Staged<'_>], now: &str) -> rusqlite::Result<(WriteCounts, bool)> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let counts = write_in(&tx, staged, now)?;
    tx.commit()?;
    Ok(counts)
}

/// Writes `staged` in `tx`, a transaction that holds SQLite's write lock.
fn write_in(tx: &rusqlite::Transaction<'_>, staged: &[Staged<'_>], now: &str) -> rusqlite::Result<(WriteCounts, bool)> {
    let counts = {
        let mut st = Statements {
            probe: tx.prepare(PROBE)?,
            insert_many: tx.prepare(&insert_sql(INSERT_ROWS))?,
            insert_one: tx.prepare(&insert_sql(1))?,
            update: tx.prepare(UPDATE)?,
            digest_put: tx.prepare(DIGEST_PUT)?,
            digest_drop: tx.prepare(DIGEST_DROP)?,
        };
        let mut counts = WriteCounts::default();
        // Rows to insert, written [`INSERT_ROWS`] at a time: each series is written once per
        // batch, so nothing later in the batch reads them back.
        let mut pending: Vec<&Staged<'_>> = Vec::with_capacity(INSERT_ROWS);
        let mut changed: Vec<&str> = Vec::new();
        for rows in series_runs(staged) {
            if write_series(&mut st, rows, now, &mut pending, &mut counts)? {
                changed.push(&rows[0].series_key);
            }
        }
        for row in pending.chunks(1) {
            insert(&mut st.insert_one, row, now)?;
        }
        // The indicators on the changed series, for judging again (see `crate::statuses`).
        let (kpis, own) = crate::statuses::series_owners(changed);
        let mut marked = 0;
        let mut by_kpi = tx.prepare(MARK_KPI)?;
        for k in &kpis {
            marked += by_kpi.execute(params![k])?;
        }
        let mut by_id = tx.prepare(MARK_OWN)?;
        for id in &own {
            marked += by_id.execute(params![id])?;
        }
        (counts, marked > 0)
    };
    Ok(counts)
}

/// Marks a KPI's indicators, and an indicator with values of its own, for judging again.
const MARK_KPI: &str = "INSERT INTO status_stale (indicator_id) SELECT id FROM indicator WHERE kpi_id = ?1 \
     ON CONFLICT (indicator_id) DO NOTHING";
const MARK_OWN: &str = "INSERT INTO status_stale (indicator_id) SELECT id FROM indicator WHERE kpi_id IS NULL AND id = ?1 \
     ON CONFLICT (indicator_id) DO NOTHING";

/// One series: its rows of the batch (`rows`, sorted by period) against its stored rows.
/// Returns whether its digest changed.
fn write_series<'r>(
    st: &mut Statements<'_>,
    rows: &'r [Staged<'r>],
    now: &str,
    pending: &mut Vec<&'r Staged<'r>>,
    counts: &mut WriteCounts,
) -> rusqlite::Result<bool> {
    let head = &rows[0];
    let (key, area, gender) = (head.series_key.as_str(), head.o.area.as_str(), head.o.gender.code());
    let mut stored = Vec::with_capacity(rows.len());
    let mut found = st.probe.query(params![key, area, gender])?;
    while let Some(r) = found.next()? {
        stored.push(Stored {
            id: r.get(0)?,
            period: r.get(1)?,
            value: r.get(2)?,
            status: r.get(3)?,
            count: r.get(4)?,
            source: {
                let text: String = r.get(5)?;
                source(&text).map_err(|e| rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e)))?
            },
            deleted: r.get(6)?,
        });
    }
    drop(found);
    let update = &mut st.update;
    let insert_many = &mut st.insert_many;
    let digest = diff_series(
        &stored,
        rows,
        counts,
        |r| {
            pending.push(r);
            if pending.len() == INSERT_ROWS {
                insert(insert_many, pending, now)?;
                pending.clear();
            }
            Ok(())
        },
        |id, r| {
            let o = r.o;
            update
                .execute(params![
                    id,
                    o.value,
                    o.status.as_deref(),
                    o.count,
                    o.source.as_str(),
                    o.deleted,
                    now
                ])
                .map(|_| ())
        },
    )?;
    match digest {
        Digest::Unchanged => return Ok(false),
        Digest::Drop => {
            st.digest_drop.execute(params![key, area, gender])?;
        }
        Digest::Put { points, facts } => {
            let (latest, previous) = (facts.latest, facts.previous);
            st.digest_put.execute(params![
                key,
                area,
                gender,
                points,
                latest.map(|l| l.0),
                latest.map(|l| l.1),
                previous.map(|p| p.0),
                previous.map(|p| p.1),
                now
            ])?;
        }
    }
    Ok(true)
}

/// Runs `stmt`, an [`insert_sql`] of `rows.len()` rows.
fn insert(stmt: &mut Statement<'_>, rows: &[&Staged<'_>], now: &str) -> rusqlite::Result<()> {
    for (r, s) in rows.iter().enumerate() {
        let o = s.o;
        let (kpi, indicator) = series_ids(o);
        let at = r * 11;
        stmt.raw_bind_parameter(at + 1, s.series_key.as_str())?;
        stmt.raw_bind_parameter(at + 2, kpi)?;
        stmt.raw_bind_parameter(at + 3, indicator)?;
        stmt.raw_bind_parameter(at + 4, o.area.as_str())?;
        stmt.raw_bind_parameter(at + 5, o.period.get())?;
        stmt.raw_bind_parameter(at + 6, o.gender.code())?;
        stmt.raw_bind_parameter(at + 7, o.value)?;
        stmt.raw_bind_parameter(at + 8, o.status.as_deref())?;
        stmt.raw_bind_parameter(at + 9, o.count)?;
        stmt.raw_bind_parameter(at + 10, o.source.as_str())?;
        stmt.raw_bind_parameter(at + 11, o.deleted)?;
    }
    stmt.raw_bind_parameter(rows.len() * 11 + 1, now)?;
    stmt.raw_execute()?;
    Ok(())
}
