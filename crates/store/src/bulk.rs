//! The bulk observation writer: one batch, one transaction, a few set-based statements and
//! nothing read back row by row. A re-run of an unchanged batch rewrites nothing and reports
//! every row unchanged; a revised value keeps its earlier one in `observation_revision` (the
//! `observation_keep_revision` trigger copies it on every real update, see migration
//! `m20261201_000005`); a tombstone (`deleted`) leaves the series' digest; null stays null.
//!
//! Where the time goes, per row, and why the statements look as they do:
//!
//! - **PostgreSQL**: `COPY` into a temporary staging table (through sqlx on the same pool as
//!   sea-orm, which has no COPY). The series with no stored row yet (a first load) are found
//!   with one index probe per series and written by a plain `INSERT`, their digests built from
//!   the staged rows, in a savepoint that falls back to the upsert (see `fresh_steps`). For
//!   the rest, one statement: a read-only index look-up drops the rows
//!   stored exactly as staged, and `INSERT … ON CONFLICT DO UPDATE … WHERE` (something
//!   differs) `RETURNING` writes the rest, its `RETURNING` feeding the counts and the set of
//!   series touched. An upsert alone would lock, and so write, every row it meets in conflict.
//! - **SQLite**: through sqlx directly (sea-orm would copy every bound value twice more),
//!   multi-row `INSERT`s of 2,000 rows into a temporary staging table that look each row up
//!   as they stage it (one index probe per row, in-process), then an `UPDATE … FROM` of the
//!   changed rows by rowid and a plain `INSERT` of the new ones.
//! - **Digests**: rebuilt only for the series (key × area × gender) the batch changed, once per
//!   batch, each read as one index range (the natural key is ordered
//!   `series_key, area_code, gender, period`).
//! - The staging tables are made once per pooled connection and emptied per batch, so that the
//!   statements stay prepared.
//!
//! Inside a caller's transaction (the package loader) the same statements run through sea-orm,
//! staging by multi-row `INSERT` on both databases.

use chrono::{DateTime, Utc};
use sea_orm::sqlx::{self, Connection as _, Row as _};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait, Value};
use styrhub_domain::observation::{NewObservation, SeriesRef, WriteCounts};
use styrhub_domain::RepoError;

use crate::db::repo_err;

/// Rows per staging INSERT on SQLite: 11 values a row stays under SQLite's 32,766 bind
/// parameters, and fewer, larger statements save a round trip to sqlx's worker thread each.
const STAGE_CHUNK_SQLITE: usize = 2_000;

/// Rows per staging INSERT on PostgreSQL inside a caller's transaction (65,535 parameters).
const STAGE_CHUNK_POSTGRES: usize = 4_000;

const STAGE_COLUMNS: &str = "series_key, kpi_id, indicator_id, area_code, period, gender, value, status, count, source, deleted";

const STAGE_TYPES: &str = "series_key TEXT NOT NULL, kpi_id TEXT, indicator_id BIGINT, area_code TEXT NOT NULL, \
     period INTEGER NOT NULL, gender TEXT NOT NULL, value DOUBLE PRECISION, status TEXT, count INTEGER, source TEXT NOT NULL, \
     deleted BOOLEAN NOT NULL";

/// One staged row, deduplicated on the natural key (the last of a batch wins, as a source's
/// later page would).
struct Staged<'a> {
    series_key: String,
    o: &'a NewObservation,
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

fn ids(o: &NewObservation) -> (Option<String>, Option<i64>) {
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
fn create_stage(backend: DatabaseBackend) -> Vec<String> {
    match backend {
        DatabaseBackend::Postgres => vec![
            // `IF NOT EXISTS` says "skipping" as a NOTICE, which sqlx would log every batch.
            "SET LOCAL client_min_messages = warning".into(),
            format!("CREATE TEMP TABLE IF NOT EXISTS obs_stage ({STAGE_TYPES}) ON COMMIT DELETE ROWS"),
            "CREATE TEMP TABLE IF NOT EXISTS obs_touched (series_key TEXT NOT NULL, area_code TEXT NOT NULL, gender TEXT NOT NULL) \
             ON COMMIT DELETE ROWS"
                .into(),
            // The series of the batch with no stored row at all; see [`FRESH_STEPS`].
            "CREATE TEMP TABLE IF NOT EXISTS obs_fresh (series_key TEXT NOT NULL, area_code TEXT NOT NULL, gender TEXT NOT NULL) \
             ON COMMIT DELETE ROWS"
                .into(),
            "DELETE FROM obs_stage".into(),
            "DELETE FROM obs_touched".into(),
            "DELETE FROM obs_fresh".into(),
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
struct Step {
    sql: String,
    binds_now: bool,
    counts: bool,
}

fn step(sql: impl Into<String>, binds_now: bool, counts: bool) -> Step {
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
const PG_POINTS: &str = "'[' || string_agg('{\"period\":' || o.period || ',\"value\":' || COALESCE(o.value::text, 'null') \
     || ',\"status\":' || COALESCE(to_json(o.status)::text, 'null') || ',\"source\":\"' || o.source || '\"}', ',' \
     ORDER BY o.period) || ']'";

/// A series' latest period with a value, from rows `o`.
const PG_LATEST: &str = "MAX(CASE WHEN o.value IS NOT NULL THEN o.period END)";

/// PostgreSQL's fast path for series the database has no row of yet (a first load), run before
/// [`apply`] inside a savepoint.
///
/// A plain `INSERT` costs about half of the upsert per row: no look-up of an earlier row, no
/// speculative insertion into the natural key's index. Whether a series is new is asked once per
/// series (one index probe on the natural key's prefix), not once per row; its digest is built
/// from the staged rows alone, as they are all of its rows, so neither statement reads
/// `observation` again. The upsert in [`apply`] then leaves the fresh series out.
///
/// Another writer may store one of these series between the look-up and the insert; the insert
/// then fails on the natural key and the caller rolls back to the savepoint and lets the upsert
/// write everything.
fn fresh_steps() -> Vec<Step> {
    vec![
        // The scalar subquery keeps the look-up an index probe whatever the planner thinks of
        // the never-analysed staging table (see the upsert in `apply`).
        step(
            "INSERT INTO obs_fresh SELECT t.series_key, t.area_code, t.gender FROM \
             (SELECT DISTINCT series_key, area_code, gender FROM obs_stage) t \
             WHERE (SELECT true FROM observation x WHERE x.series_key = t.series_key AND x.area_code = t.area_code \
             AND x.gender = t.gender LIMIT 1) IS NULL",
            false,
            false,
        ),
        step(
            format!(
                "WITH f AS (SELECT s.* FROM obs_stage s JOIN obs_fresh USING (series_key, area_code, gender)), \
                 ins AS (INSERT INTO observation ({STAGE_COLUMNS}, updated_at) SELECT {STAGE_COLUMNS}, $1 FROM f RETURNING 1), \
                 dig AS (INSERT INTO series_digest (series_key, area_code, gender, points, latest_period, updated_at) \
                 SELECT o.series_key, o.area_code, o.gender, {PG_POINTS}, {PG_LATEST}, $1 FROM f o WHERE NOT o.deleted \
                 GROUP BY o.series_key, o.area_code, o.gender) \
                 SELECT COUNT(*) AS changed, COUNT(*) AS inserted FROM ins"
            ),
            true,
            true,
        ),
    ]
}

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
fn apply(backend: DatabaseBackend) -> Vec<Step> {
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
                 WHERE NOT EXISTS (SELECT 1 FROM obs_fresh f WHERE f.series_key = s.series_key AND f.area_code = s.area_code \
                 AND f.gender = s.gender) AND (SELECT true FROM observation x WHERE x.series_key = s.series_key AND x.area_code = s.area_code \
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

fn counts(staged: usize, changed: i64, inserted: i64) -> WriteCounts {
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

/// One CSV field for COPY: unquoted empty is NULL; text is quoted with doubled quotes.
fn csv_text(out: &mut String, s: Option<&str>) {
    if let Some(s) = s {
        out.push('"');
        if s.contains('"') {
            out.push_str(&s.replace('"', "\"\""));
        } else {
            out.push_str(s);
        }
        out.push('"');
    }
}

/// The batch as COPY's CSV.
fn copy_csv(staged: &[Staged<'_>]) -> String {
    use std::fmt::Write;
    let mut data = String::with_capacity(staged.len() * 64);
    for s in staged {
        let (kpi, indicator) = ids(s.o);
        csv_text(&mut data, Some(&s.series_key));
        data.push(',');
        csv_text(&mut data, kpi.as_deref());
        data.push(',');
        if let Some(i) = indicator {
            let _ = write!(data, "{i}");
        }
        data.push(',');
        csv_text(&mut data, Some(s.o.area.as_str()));
        let _ = write!(data, ",{},", s.o.period.get());
        csv_text(&mut data, Some(s.o.gender.code()));
        data.push(',');
        if let Some(v) = s.o.value {
            // `{:?}` prints the shortest text that reads back as the same f64.
            let _ = write!(data, "{v:?}");
        }
        data.push(',');
        csv_text(&mut data, s.o.status.as_deref());
        data.push(',');
        if let Some(c) = s.o.count {
            let _ = write!(data, "{c}");
        }
        data.push(',');
        csv_text(&mut data, Some(s.o.source.as_str()));
        let _ = writeln!(data, ",{}", s.o.deleted);
    }
    data
}

/// Writes `batch` in its own transaction on PostgreSQL, staging with COPY.
pub async fn write_observations_pg(pool: &sqlx::PgPool, batch: &[NewObservation], now: DateTime<Utc>) -> Result<WriteCounts, RepoError> {
    let staged = dedup(batch);
    if staged.is_empty() {
        return Ok(WriteCounts::default());
    }
    let db = |e: sqlx::Error| repo_err(sea_orm::DbErr::Custom(e.to_string()));
    let data = copy_csv(&staged);
    let mut conn = pool.acquire().await.map_err(|e| RepoError::Unavailable(e.to_string()))?;
    let mut tx = conn.begin().await.map_err(db)?;
    for sql in create_stage(DatabaseBackend::Postgres) {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.map_err(db)?;
    }
    let mut copy = tx
        .copy_in_raw(&format!("COPY obs_stage ({STAGE_COLUMNS}) FROM STDIN (FORMAT csv)"))
        .await
        .map_err(db)?;
    copy.send(data.into_bytes()).await.map_err(db)?;
    copy.finish().await.map_err(db)?;
    let mut fresh = tx.begin().await.map_err(db)?;
    let (fresh_changed, fresh_inserted) = match run_pg_steps(&mut fresh, fresh_steps(), now).await {
        Ok(n) => {
            fresh.commit().await.map_err(db)?;
            n
        }
        // Another writer stored one of the "new" series meanwhile: the upsert writes it all.
        Err(e) if is_unique_violation(&e) => {
            fresh.rollback().await.map_err(db)?;
            (0, 0)
        }
        Err(e) => return Err(db(e)),
    };
    // A first load's batch is all new series: nothing is left for the upsert, whose look-up of
    // every staged row in `obs_fresh` alone took a fifth of such a batch.
    let (changed, inserted) = if fresh_inserted as usize == staged.len() {
        (0, 0)
    } else {
        run_pg_steps(&mut tx, apply(DatabaseBackend::Postgres), now).await.map_err(db)?
    };
    tx.commit().await.map_err(db)?;
    Ok(counts(staged.len(), changed + fresh_changed, inserted + fresh_inserted))
}

/// Runs `steps` on `conn` and returns the (changed, inserted) of the one that counts.
async fn run_pg_steps(conn: &mut sqlx::PgConnection, steps: Vec<Step>, now: DateTime<Utc>) -> Result<(i64, i64), sqlx::Error> {
    let (mut changed, mut inserted) = (0, 0);
    for s in steps {
        // Built from the constants above: no outside text reaches the SQL.
        let q = sqlx::query(sqlx::AssertSqlSafe(s.sql));
        let q = if s.binds_now { q.bind(now) } else { q };
        if s.counts {
            let row = q.fetch_one(&mut *conn).await?;
            changed = row.try_get("changed")?;
            inserted = row.try_get("inserted")?;
        } else {
            q.execute(&mut *conn).await?;
        }
    }
    Ok((changed, inserted))
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("23505"))
}

/// Writes `batch` in its own transaction on SQLite, through sqlx directly: the statements are
/// those of [`write_observations`], but sea-orm would copy each of the 11 values a row twice
/// more on their way to sqlx, which at a million rows is most of a second.
pub async fn write_observations_sqlite(
    pool: &sqlx::SqlitePool,
    batch: &[NewObservation],
    now: DateTime<Utc>,
) -> Result<WriteCounts, RepoError> {
    let staged = dedup(batch);
    if staged.is_empty() {
        return Ok(WriteCounts::default());
    }
    let db = |e: sqlx::Error| repo_err(sea_orm::DbErr::Custom(e.to_string()));
    let backend = DatabaseBackend::Sqlite;
    let mut conn = pool.acquire().await.map_err(|e| RepoError::Unavailable(e.to_string()))?;
    let mut tx = conn.begin().await.map_err(db)?;
    for sql in create_stage(backend) {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.map_err(db)?;
    }
    let full_rows = STAGE_CHUNK_SQLITE.min(staged.len());
    let full_sql = stage_insert(backend, full_rows);
    for chunk in staged.chunks(STAGE_CHUNK_SQLITE) {
        let sql = if chunk.len() == full_rows {
            full_sql.clone()
        } else {
            stage_insert(backend, chunk.len())
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for s in chunk {
            let (kpi, indicator) = ids(s.o);
            q = q
                .bind(s.series_key.as_str())
                .bind(kpi)
                .bind(indicator)
                .bind(s.o.area.as_str())
                .bind(s.o.period.get())
                .bind(s.o.gender.code())
                .bind(s.o.value)
                .bind(s.o.status.as_deref())
                .bind(s.o.count)
                .bind(s.o.source.as_str())
                .bind(s.o.deleted);
        }
        q.execute(&mut *tx).await.map_err(db)?;
    }
    let (mut changed, mut inserted) = (0, 0);
    for s in apply(backend) {
        // Built from the constants above: no outside text reaches the SQL.
        let q = sqlx::query(sqlx::AssertSqlSafe(s.sql));
        let q = if s.binds_now { q.bind(now) } else { q };
        if s.counts {
            let row = q.fetch_one(&mut *tx).await.map_err(db)?;
            changed = row.try_get("changed").map_err(db)?;
            inserted = row.try_get("inserted").map_err(db)?;
        } else {
            q.execute(&mut *tx).await.map_err(db)?;
        }
    }
    tx.commit().await.map_err(db)?;
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
        DatabaseBackend::Postgres => write_observations_pg(db.get_postgres_connection_pool(), batch, now).await,
        DatabaseBackend::Sqlite => write_observations_sqlite(db.get_sqlite_connection_pool(), batch, now).await,
        _ => {
            let txn = db.begin().await.map_err(repo_err)?;
            let counts = write_observations(&txn, batch, now).await?;
            txn.commit().await.map_err(repo_err)?;
            Ok(counts)
        }
    }
}
