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
//! Inside a caller's transaction (the package loader, a few hundred rows) set-based statements
//! run through sea-orm instead ([`write_observations`]), staging by multi-row `INSERT` into
//! temporary tables kept per connection, and rebuild the touched digests in SQL.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait, Value};
use styrhub_domain::observation::{NewObservation, SeriesRef, WriteCounts};
use styrhub_domain::RepoError;

use crate::db::repo_err;

mod diff;
mod postgres;
mod sqlite;

/// The transaction-level advisory lock every PostgreSQL observation writer takes first (an
/// arbitrary constant: "styrhub" in ASCII). A writer reads what is stored and then writes the
/// difference; holding the lock, nobody changes those rows in between.
pub(super) const WRITER_LOCK: i64 = 0x0073_7479_7268_7562;

/// Rows per staging INSERT on SQLite: 11 values a row stays under SQLite's 32,766 bind
/// parameters, and fewer, larger statements save a round trip to sqlx's worker thread each.
const STAGE_CHUNK_SQLITE: usize = 2_000;

/// Rows per staging INSERT on PostgreSQL inside a caller's transaction (65,535 parameters).
const STAGE_CHUNK_POSTGRES: usize = 4_000;

pub(super) const STAGE_COLUMNS: &str = "series_key, kpi_id, indicator_id, area_code, period, gender, value, status, count, source, deleted";

const STAGE_TYPES: &str = "series_key TEXT NOT NULL, kpi_id TEXT, indicator_id BIGINT, area_code TEXT NOT NULL, \
     period INTEGER NOT NULL, gender TEXT NOT NULL, value DOUBLE PRECISION, status TEXT, count INTEGER, source TEXT NOT NULL, \
     deleted BOOLEAN NOT NULL";

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

pub(super) fn ids(o: &NewObservation) -> (Option<String>, Option<i64>) {
    match &o.series {
        SeriesRef::Kpi(k) => (Some(k.to_string()), None),
        SeriesRef::Indicator(id) => (None, Some(*id)),
    }
}

/// Statements that make the staging tables ready and empty.
///
/// The tables are made once per pooled connection and kept: making them per batch changed the
/// schema every time, so that SQLite prepared every statement of the batch again (the staging
/// INSERT of 2,000 rows among them) and PostgreSQL wrote its catalogue and planned afresh.
/// They are emptied first, in case a caller's transaction writes more than once.
pub(super) fn create_stage(backend: DatabaseBackend) -> Vec<String> {
    match backend {
        DatabaseBackend::Postgres => vec![
            // `IF NOT EXISTS` says "skipping" as a NOTICE, which sqlx would log every batch.
            "SET LOCAL client_min_messages = warning".into(),
            format!("CREATE TEMP TABLE IF NOT EXISTS obs_stage ({STAGE_TYPES}) ON COMMIT DELETE ROWS"),
            "CREATE TEMP TABLE IF NOT EXISTS obs_touched (series_key TEXT NOT NULL, area_code TEXT NOT NULL, gender TEXT NOT NULL) \
             ON COMMIT DELETE ROWS"
                .into(),
            "DELETE FROM obs_stage".into(),
            "DELETE FROM obs_touched".into(),
        ],
        _ => vec![
            // `old_id` and `changed` are filled as each row is staged: the one look-up per row.
            format!("CREATE TEMP TABLE IF NOT EXISTS obs_stage ({STAGE_TYPES}, old_id INTEGER, changed INTEGER NOT NULL)"),
            "CREATE TEMP TABLE IF NOT EXISTS obs_touched (series_key TEXT NOT NULL, area_code TEXT NOT NULL, gender TEXT NOT NULL)".into(),
            "DELETE FROM temp.obs_stage".into(),
            "DELETE FROM temp.obs_touched".into(),
        ],
    }
}

/// The staging INSERT for `rows` rows of 11 parameters each.
fn stage_insert(backend: DatabaseBackend, rows: usize) -> String {
    let mut sql = String::with_capacity(rows * 40 + 600);
    if backend == DatabaseBackend::Postgres {
        sql.push_str(&format!("INSERT INTO obs_stage ({STAGE_COLUMNS}) VALUES "));
    } else {
        sql.push_str(&format!(
            "INSERT INTO temp.obs_stage ({STAGE_COLUMNS}, old_id, changed) SELECT v.column1, v.column2, v.column3, v.column4, \
             v.column5, v.column6, v.column7, v.column8, v.column9, v.column10, v.column11, o.id, \
             (o.id IS NULL OR o.value IS NOT v.column7 OR o.status IS NOT v.column8 OR o.count IS NOT v.column9 \
             OR o.source IS NOT v.column10 OR o.deleted IS NOT v.column11) FROM (VALUES "
        ));
    }
    let mut n = 0;
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..11 {
            if c > 0 {
                sql.push(',');
            }
            n += 1;
            if backend == DatabaseBackend::Postgres {
                sql.push_str(&format!("${n}"));
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    if backend != DatabaseBackend::Postgres {
        sql.push_str(
            ") AS v LEFT JOIN observation o ON o.series_key = v.column1 AND o.area_code = v.column4 \
             AND o.gender = v.column6 AND o.period = v.column5",
        );
    }
    sql
}

/// The 11 staged values of a row, in [`STAGE_COLUMNS`] order.
fn stage_values(s: &Staged<'_>, out: &mut Vec<Value>) {
    let (kpi, indicator) = ids(s.o);
    out.extend([
        s.series_key.clone().into(),
        kpi.into(),
        indicator.into(),
        s.o.area.as_str().into(),
        s.o.period.get().into(),
        s.o.gender.code().into(),
        s.o.value.into(),
        s.o.status.clone().into(),
        s.o.count.into(),
        s.o.source.as_str().into(),
        s.o.deleted.into(),
    ]);
}

/// A statement after staging; `now` is bound as its only parameter when `binds_now`, and
/// `counts` marks the one whose single row is (changed, inserted).
pub(super) struct Step {
    pub(super) sql: String,
    pub(super) binds_now: bool,
    pub(super) counts: bool,
}

pub(super) fn step(sql: impl Into<String>, binds_now: bool, counts: bool) -> Step {
    Step {
        sql: sql.into(),
        binds_now,
        counts,
    }
}

/// A series' digest points on PostgreSQL, from rows `o` in period order, put together as text:
/// `json_build_object` looks up the type of every argument on every row and took three times as
/// long. `float8::text` is the shortest text that reads back as the same value, `to_json`
/// escapes the status, and a source is a plain snake_case word.
pub(super) const PG_POINTS: &str = "'[' || string_agg('{\"period\":' || o.period || ',\"value\":' || COALESCE(o.value::text, 'null') \
     || ',\"status\":' || COALESCE(to_json(o.status)::text, 'null') || ',\"source\":\"' || o.source || '\"}', ',' \
     ORDER BY o.period) || ']'";

/// A series' latest period with a value, from rows `o`.
pub(super) const PG_LATEST: &str = "MAX(CASE WHEN o.value IS NOT NULL THEN o.period END)";

/// The digest of each series in `obs_touched`, rebuilt whole from its current observations.
fn digest_steps(backend: DatabaseBackend) -> Vec<Step> {
    match backend {
        DatabaseBackend::Postgres => vec![
            // `= ANY(ARRAY(…))` and LATERAL keep both statements on index look-ups whatever the
            // planner thinks of a never-analysed temporary table: a hash join here would read
            // every digest or every observation once per batch.
            step(
                "DELETE FROM series_digest WHERE id = ANY(ARRAY(SELECT d.id FROM obs_touched t CROSS JOIN LATERAL \
                 (SELECT x.id FROM series_digest x WHERE x.series_key = t.series_key AND x.area_code = t.area_code \
                 AND x.gender = t.gender) d))",
                false,
                false,
            ),
            step(
                format!("INSERT INTO series_digest (series_key, area_code, gender, points, latest_period, updated_at) \
                 SELECT t.series_key, t.area_code, t.gender, d.points, d.latest, $1 FROM obs_touched t CROSS JOIN LATERAL \
                 (SELECT {PG_POINTS} AS points, {PG_LATEST} AS latest FROM observation o WHERE o.series_key = t.series_key AND o.area_code = t.area_code AND o.gender = t.gender \
                 AND NOT o.deleted) d WHERE d.points IS NOT NULL"),
                true,
                false,
            ),
        ],
        _ => vec![
            step(
                "DELETE FROM series_digest WHERE (series_key, area_code, gender) IN \
                 (SELECT series_key, area_code, gender FROM temp.obs_touched)",
                false,
                false,
            ),
            // CROSS JOIN fixes the loop order in SQLite: each touched series, then its range.
            step(
                "INSERT INTO series_digest (series_key, area_code, gender, points, latest_period, updated_at) \
                 SELECT t.series_key, t.area_code, t.gender, \
                 json_group_array(json_object('period', o.period, 'value', o.value, 'status', o.status, 'source', o.source) \
                 ORDER BY o.period), MAX(CASE WHEN o.value IS NOT NULL THEN o.period END), ? \
                 FROM temp.obs_touched t CROSS JOIN observation o ON o.series_key = t.series_key AND o.area_code = t.area_code \
                 AND o.gender = t.gender WHERE NOT o.deleted GROUP BY t.series_key, t.area_code, t.gender",
                true,
                false,
            ),
        ],
    }
}

/// The statements after staging, in order.
pub(super) fn apply(backend: DatabaseBackend) -> Vec<Step> {
    const DIFFERS: &str = "o.value IS DISTINCT FROM EXCLUDED.value OR o.status IS DISTINCT FROM EXCLUDED.status \
         OR o.count IS DISTINCT FROM EXCLUDED.count OR o.source <> EXCLUDED.source OR o.deleted <> EXCLUDED.deleted";
    let mut steps = match backend {
        // The scalar subquery drops the rows stored exactly as staged, reading only: an upsert
        // locks (and so writes) every row it finds in conflict, even when its `WHERE` then
        // leaves it alone, which made an unchanged re-run cost nearly what a first load does. A
        // scalar subquery is never turned into a join, so it stays one index look-up a row
        // whatever the planner thinks of the temporary table.
        DatabaseBackend::Postgres => vec![step(
            format!(
                "WITH up AS (INSERT INTO observation AS o ({STAGE_COLUMNS}, updated_at) SELECT {STAGE_COLUMNS}, $1 FROM obs_stage s \
                 WHERE (SELECT true FROM observation x WHERE x.series_key = s.series_key AND x.area_code = s.area_code \
                 AND x.gender = s.gender AND x.period = s.period AND x.value IS NOT DISTINCT FROM s.value \
                 AND x.status IS NOT DISTINCT FROM s.status AND x.count IS NOT DISTINCT FROM s.count AND x.source = s.source \
                 AND x.deleted = s.deleted) IS NULL \
                 ON CONFLICT (series_key, area_code, gender, period) DO UPDATE SET value = EXCLUDED.value, \
                 status = EXCLUDED.status, count = EXCLUDED.count, source = EXCLUDED.source, deleted = EXCLUDED.deleted, \
                 updated_at = EXCLUDED.updated_at WHERE {DIFFERS} \
                 RETURNING (o.xmax = 0) AS inserted, o.series_key, o.area_code, o.gender), \
                 touched AS (INSERT INTO obs_touched SELECT DISTINCT series_key, area_code, gender FROM up) \
                 SELECT COUNT(*) AS changed, COUNT(*) FILTER (WHERE inserted) AS inserted FROM up"
            ),
            true,
            true,
        )],
        _ => vec![
            step(
                "UPDATE observation SET value = s.value, status = s.status, count = s.count, source = s.source, \
                 deleted = s.deleted, updated_at = ? FROM temp.obs_stage s \
                 WHERE s.changed AND s.old_id IS NOT NULL AND observation.id = s.old_id",
                true,
                false,
            ),
            step(
                format!(
                    "INSERT INTO observation ({STAGE_COLUMNS}, updated_at) SELECT {STAGE_COLUMNS}, ? FROM temp.obs_stage \
                     WHERE old_id IS NULL"
                ),
                true,
                false,
            ),
            step(
                "INSERT INTO temp.obs_touched SELECT DISTINCT series_key, area_code, gender FROM temp.obs_stage WHERE changed",
                false,
                false,
            ),
            step(
                "SELECT COALESCE(SUM(changed), 0) AS changed, COALESCE(SUM(changed AND old_id IS NULL), 0) AS inserted \
                 FROM temp.obs_stage",
                false,
                true,
            ),
        ],
    };
    steps.extend(digest_steps(backend));
    if backend != DatabaseBackend::Postgres {
        // Emptied in the transaction, so that the rows do not stay in memory until the next batch.
        steps.push(step("DELETE FROM temp.obs_stage", false, false));
        steps.push(step("DELETE FROM temp.obs_touched", false, false));
    }
    steps
}

pub(super) fn counts(staged: usize, changed: i64, inserted: i64) -> WriteCounts {
    let (changed, inserted) = (changed.max(0) as u64, inserted.max(0) as u64);
    WriteCounts {
        inserted,
        updated: changed - inserted,
        unchanged: staged as u64 - changed,
    }
}

/// Writes `batch` on `conn`, the caller's connection or transaction: staging by multi-row
/// INSERT. Returns what changed.
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
    for sql in create_stage(backend) {
        conn.execute_unprepared(&sql).await.map_err(repo_err)?;
    }
    let chunk_rows = if backend == DatabaseBackend::Postgres {
        STAGE_CHUNK_POSTGRES
    } else {
        STAGE_CHUNK_SQLITE
    };
    // Every full chunk shares one SQL text, so sqlx prepares it once per connection.
    let full_rows = chunk_rows.min(staged.len());
    let full_sql = stage_insert(backend, full_rows);
    for chunk in staged.chunks(chunk_rows) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 11);
        for s in chunk {
            stage_values(s, &mut values);
        }
        let sql = if chunk.len() == full_rows {
            full_sql.clone()
        } else {
            stage_insert(backend, chunk.len())
        };
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .map_err(repo_err)?;
    }
    let (mut changed, mut inserted) = (0, 0);
    for s in apply(backend) {
        let stmt = if s.binds_now {
            Statement::from_sql_and_values(backend, s.sql, [now.into()])
        } else {
            Statement::from_string(backend, s.sql)
        };
        if s.counts {
            let row = conn
                .query_one_raw(stmt)
                .await
                .map_err(repo_err)?
                .ok_or_else(|| RepoError::Internal("no counts".into()))?;
            changed = row.try_get("", "changed").map_err(repo_err)?;
            inserted = row.try_get("", "inserted").map_err(repo_err)?;
        } else {
            conn.execute_raw(stmt).await.map_err(repo_err)?;
        }
    }
    Ok(counts(staged.len(), changed, inserted))
}

#[async_trait::async_trait]
impl styrhub_domain::ports::ObservationWriter for crate::Store {
    async fn write_batch(&self, batch: &[NewObservation]) -> Result<WriteCounts, RepoError> {
        write_batch(self.connection(), batch, Utc::now()).await
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
            postgres::write(db.get_postgres_connection_pool(), &staged, now).await
        }
        DatabaseBackend::Sqlite => {
            let staged = dedup(batch);
            if staged.is_empty() {
                return Ok(WriteCounts::default());
            }
            sqlite::write(db.get_sqlite_connection_pool(), &staged, now).await
        }
        _ => {
            let txn = db.begin().await.map_err(repo_err)?;
            let counts = write_observations(&txn, batch, now).await?;
            txn.commit().await.map_err(repo_err)?;
            Ok(counts)
        }
    }
}
