//! PostgreSQL's bulk writer: `COPY` into a kept staging table through sqlx on sea-orm's pool
//! (sea-orm has no COPY), then the set-based statements of [`super`].

use chrono::{DateTime, Utc};
use sea_orm::sqlx::{self, Connection as _, Row as _};
use sea_orm::DatabaseBackend;
use styrhub_domain::observation::WriteCounts;
use styrhub_domain::RepoError;

use super::{apply, counts, create_stage, ids, step, Staged, Step, PG_LATEST, PG_POINTS, STAGE_COLUMNS};
use crate::db::repo_err;

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
pub(super) fn fresh_steps() -> Vec<Step> {
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

/// Writes `staged` (deduplicated and sorted) in its own transaction, staging with COPY.
pub(super) async fn write(pool: &sqlx::PgPool, staged: &[Staged<'_>], now: DateTime<Utc>) -> Result<WriteCounts, RepoError> {
    let db = |e: sqlx::Error| repo_err(sea_orm::DbErr::Custom(e.to_string()));
    let data = copy_csv(staged);
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
