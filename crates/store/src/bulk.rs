//! The bulk observation writer: the batch goes into a staging table, and a handful of
//! set-based statements find what changed, keep the earlier values as revisions, update,
//! insert and rebuild the digests of the series touched. Nothing is read back row by row, so a
//! re-run of an unchanged batch rewrites nothing and costs little more than the staging.
//!
//! On PostgreSQL the staging is a `COPY` (through sqlx on the same pool as sea-orm); elsewhere,
//! and inside a caller's transaction (the package loader), multi-row `INSERT`s. The statements
//! after staging are the same SQL on both databases but for the JSON aggregate.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sqlx::{self, Connection as _, Row as _};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait, Value};
use styrhub_domain::observation::{NewObservation, SeriesRef, WriteCounts};
use styrhub_domain::RepoError;

use crate::db::repo_err;

/// Rows per staging INSERT: 11 values a row stays far below the bind-parameter limits.
const STAGE_CHUNK: usize = 1_000;

const STAGE_COLUMNS: &str = "series_key, kpi_id, indicator_id, area_code, period, gender, value, status, count, source, deleted";

/// One staged row, deduplicated on the natural key (the last of a batch wins, as a source's
/// later page would).
struct Staged<'a> {
    series_key: String,
    o: &'a NewObservation,
}

fn dedup(batch: &[NewObservation]) -> Vec<Staged<'_>> {
    let mut by_key: BTreeMap<(String, &str, i32, &str), &NewObservation> = BTreeMap::new();
    for o in batch {
        by_key.insert((o.series.key(), o.area.as_str(), o.period.get(), o.gender.code()), o);
    }
    by_key.into_iter().map(|((series_key, ..), o)| Staged { series_key, o }).collect()
}

fn ids(o: &NewObservation) -> (Option<String>, Option<i64>) {
    match &o.series {
        SeriesRef::Kpi(k) => (Some(k.to_string()), None),
        SeriesRef::Indicator(id) => (None, Some(*id)),
    }
}

fn create_stage(backend: DatabaseBackend) -> Vec<String> {
    let cols = "series_key TEXT NOT NULL, kpi_id TEXT, indicator_id BIGINT, area_code TEXT NOT NULL, period INTEGER NOT NULL, \
                gender TEXT NOT NULL, value DOUBLE PRECISION, status TEXT, count INTEGER, source TEXT NOT NULL, deleted BOOLEAN NOT NULL";
    match backend {
        // Temporary tables live as long as the pooled connection: drop them with the transaction.
        DatabaseBackend::Postgres => vec![format!("CREATE TEMP TABLE obs_stage ({cols}) ON COMMIT DROP")],
        _ => vec![
            "DROP TABLE IF EXISTS temp.obs_stage".into(),
            "DROP TABLE IF EXISTS temp.obs_changed".into(),
            format!("CREATE TEMP TABLE obs_stage ({cols})"),
        ],
    }
}

/// The statements after staging, in order; `{now}` is bound as the only parameter of those
/// that use it.
fn apply(backend: DatabaseBackend) -> Vec<(String, bool)> {
    let temp = if backend == DatabaseBackend::Postgres {
        "CREATE TEMP TABLE obs_changed ON COMMIT DROP AS"
    } else {
        "CREATE TEMP TABLE obs_changed AS"
    };
    let points = match backend {
        DatabaseBackend::Postgres => {
            "json_agg(json_build_object('period', o.period, 'value', o.value, 'status', o.status, 'source', o.source) ORDER BY o.period)::text"
        }
        _ => "json_group_array(json_object('period', o.period, 'value', o.value, 'status', o.status, 'source', o.source) ORDER BY o.period)",
    };
    let p = if backend == DatabaseBackend::Postgres { "$1" } else { "?" };
    vec![
        // What is new or different: everything else in the batch is unchanged and not touched.
        (
            format!(
                "{temp} SELECT s.*, o.id AS old_id FROM obs_stage s LEFT JOIN observation o \
                 ON o.series_key = s.series_key AND o.area_code = s.area_code AND o.period = s.period AND o.gender = s.gender \
                 WHERE o.id IS NULL OR o.value IS DISTINCT FROM s.value OR o.status IS DISTINCT FROM s.status \
                 OR o.count IS DISTINCT FROM s.count OR o.source <> s.source OR o.deleted <> s.deleted"
            ),
            false,
        ),
        // The earlier values of what changes, so that a report can show what it was based on.
        (
            format!(
                "INSERT INTO observation_revision (observation_id, value, status, source, deleted, valid_until) \
                 SELECT o.id, o.value, o.status, o.source, o.deleted, {p} FROM observation o JOIN obs_changed c ON c.old_id = o.id"
            ),
            true,
        ),
        (
            format!(
                "UPDATE observation SET value = c.value, status = c.status, count = c.count, source = c.source, deleted = c.deleted, \
                 updated_at = {p} FROM obs_changed c WHERE observation.id = c.old_id"
            ),
            true,
        ),
        (
            format!(
                "INSERT INTO observation ({STAGE_COLUMNS}, updated_at) SELECT {STAGE_COLUMNS}, {p} FROM obs_changed WHERE old_id IS NULL"
            ),
            true,
        ),
        // Digests of the series touched, rebuilt whole from their observations.
        (
            "DELETE FROM series_digest WHERE EXISTS (SELECT 1 FROM obs_changed c WHERE c.series_key = series_digest.series_key \
             AND c.area_code = series_digest.area_code AND c.gender = series_digest.gender)"
                .to_owned(),
            false,
        ),
        (
            format!(
                "INSERT INTO series_digest (series_key, area_code, gender, points, latest_period, updated_at) \
                 SELECT o.series_key, o.area_code, o.gender, {points}, MAX(CASE WHEN o.value IS NOT NULL THEN o.period END), {p} \
                 FROM observation o JOIN (SELECT DISTINCT series_key, area_code, gender FROM obs_changed) k \
                 ON k.series_key = o.series_key AND k.area_code = o.area_code AND k.gender = o.gender \
                 WHERE NOT o.deleted GROUP BY o.series_key, o.area_code, o.gender"
            ),
            true,
        ),
    ]
}

const COUNTS: &str =
    "SELECT COUNT(*) AS changed, COALESCE(SUM(CASE WHEN old_id IS NULL THEN 1 ELSE 0 END), 0) AS inserted FROM obs_changed";

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
    for chunk in staged.chunks(STAGE_CHUNK) {
        let mut sql = format!("INSERT INTO obs_stage ({STAGE_COLUMNS}) VALUES ");
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 11);
        for (i, s) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let base = i * 11;
            let marks: Vec<String> = (1..=11)
                .map(|n| {
                    if backend == DatabaseBackend::Postgres {
                        format!("${}", base + n)
                    } else {
                        "?".into()
                    }
                })
                .collect();
            sql.push('(');
            sql.push_str(&marks.join(","));
            sql.push(')');
            let (kpi, indicator) = ids(s.o);
            values.extend([
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
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .map_err(repo_err)?;
    }
    for (sql, binds_now) in apply(backend) {
        let stmt = if binds_now {
            Statement::from_sql_and_values(backend, sql, [now.into()])
        } else {
            Statement::from_string(backend, sql)
        };
        conn.execute_raw(stmt).await.map_err(repo_err)?;
    }
    let row = conn
        .query_one_raw(Statement::from_string(backend, COUNTS))
        .await
        .map_err(repo_err)?
        .ok_or_else(|| RepoError::Internal("no counts".into()))?;
    let changed: i64 = row.try_get("", "changed").map_err(repo_err)?;
    let inserted: i64 = row.try_get("", "inserted").map_err(repo_err)?;
    if backend != DatabaseBackend::Postgres {
        conn.execute_unprepared("DROP TABLE IF EXISTS temp.obs_stage")
            .await
            .map_err(repo_err)?;
        conn.execute_unprepared("DROP TABLE IF EXISTS temp.obs_changed")
            .await
            .map_err(repo_err)?;
    }
    Ok(counts(staged.len(), changed, inserted))
}

/// One CSV field for COPY: unquoted empty is NULL; text is quoted with doubled quotes.
fn csv_text(out: &mut String, s: Option<&str>) {
    if let Some(s) = s {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    }
}

/// Writes `batch` in its own transaction on PostgreSQL, staging with COPY.
pub async fn write_observations_pg(pool: &sqlx::PgPool, batch: &[NewObservation], now: DateTime<Utc>) -> Result<WriteCounts, RepoError> {
    use std::fmt::Write;
    let staged = dedup(batch);
    if staged.is_empty() {
        return Ok(WriteCounts::default());
    }
    let db = |e: sqlx::Error| repo_err(sea_orm::DbErr::Custom(e.to_string()));
    let mut conn = pool.acquire().await.map_err(|e| RepoError::Unavailable(e.to_string()))?;
    let mut tx = conn.begin().await.map_err(db)?;
    for sql in create_stage(DatabaseBackend::Postgres) {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.map_err(db)?;
    }
    let mut data = String::with_capacity(staged.len() * 64);
    for s in &staged {
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
    let mut copy = tx
        .copy_in_raw(&format!("COPY obs_stage ({STAGE_COLUMNS}) FROM STDIN (FORMAT csv)"))
        .await
        .map_err(db)?;
    copy.send(data.into_bytes()).await.map_err(db)?;
    copy.finish().await.map_err(db)?;
    for (sql, binds_now) in apply(DatabaseBackend::Postgres) {
        // Built from the constants above: no outside text reaches the SQL.
        let q = sqlx::query(sqlx::AssertSqlSafe(sql));
        let q = if binds_now { q.bind(now) } else { q };
        q.execute(&mut *tx).await.map_err(db)?;
    }
    let row = sqlx::query(COUNTS).fetch_one(&mut *tx).await.map_err(db)?;
    let changed: i64 = row.try_get("changed").map_err(db)?;
    let inserted: i64 = row.try_get("inserted").map_err(db)?;
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
    if db.get_database_backend() == DatabaseBackend::Postgres {
        return write_observations_pg(db.get_postgres_connection_pool(), batch, now).await;
    }
    let txn = db.begin().await.map_err(repo_err)?;
    let counts = write_observations(&txn, batch, now).await?;
    txn.commit().await.map_err(repo_err)?;
    Ok(counts)
}
