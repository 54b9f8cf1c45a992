//! PostgreSQL's bulk writer: read what is stored of the batch's series in one statement, diff in
//! Rust ([`super::diff`]), and write only the difference: new rows by `COPY` straight into
//! `observation`, differing ones by one `UPDATE … FROM unnest(…)`, digests by one upsert. All
//! through sqlx on sea-orm's pool (sea-orm has no COPY).
//!
//! Why so: the earlier writer staged every row by `COPY` and then looked each one up again in
//! SQL (an index probe per row, 4 buffer hits each), which held an identical re-run to about
//! 115,000 rows/s on this machine; and it inserted a first load row by row by `INSERT … SELECT`
//! from the staging table. Here an identical re-run is one range read per series, all of a
//! batch's series in one statement, and writes nothing; a first load is one empty probe per
//! series and one `COPY` of the batch.
//!
//! Every statement has one text whatever the batch's size (its lists are bound as arrays), so
//! each is prepared once per pooled connection, and its plan is index probes driven by the
//! arrays whatever the planner thinks of their length.
//!
//! Writers take [`super::WRITER_LOCK`] for their transaction, so what a batch read is still what
//! is stored when it writes: two concurrent syncs take turns batch by batch instead of one
//! failing on the natural key or digesting a series from rows the other has since changed.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sqlx::{self, Connection as _, Row as _};
use styrhub_domain::observation::{NewObservation, WriteCounts};
use styrhub_domain::RepoError;

use super::diff::{diff_gathered, series_runs, Digest, Stored};
use super::{driver_err, series_ids, source, Staged, WRITER_LOCK};

/// The stored rows of the series `($1[i], $2[i], $3[i])`, with `n` the series' place (from 1)
/// in the arrays, in series then period order: each series is one range of the natural key.
const READ: &str = "SELECT t.n, o.id, o.period, o.value, o.status, o.count, o.source, o.deleted \
     FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(k, a, g, n) \
     CROSS JOIN LATERAL (SELECT x.id, x.period, x.value, x.status, x.count, x.source, x.deleted FROM observation x \
     WHERE x.series_key = t.k AND x.area_code = t.a AND x.gender = t.g) o ORDER BY t.n, o.period";

const COPY: &str = "COPY observation (series_key, kpi_id, indicator_id, area_code, period, gender, value, status, count, \
     source, deleted, updated_at) FROM STDIN (FORMAT csv)";

/// The `observation_keep_revision` trigger keeps each earlier value.
const UPDATE: &str = "UPDATE observation o SET value = u.value, status = u.status, count = u.count, source = u.source, \
     deleted = u.deleted, updated_at = $7 \
     FROM unnest($1::bigint[], $2::float8[], $3::text[], $4::int4[], $5::text[], $6::bool[]) AS u(id, value, status, count, source, deleted) \
     WHERE o.id = u.id";

const DIGEST_PUT: &str = "INSERT INTO series_digest (series_key, area_code, gender, points, latest_period, latest_value, \
     previous_period, previous_value, updated_at) \
     SELECT k, a, g, p, lp, lv, pp, pv, $9 FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::int4[], $6::float8[], \
     $7::int4[], $8::float8[]) AS d(k, a, g, p, lp, lv, pp, pv) \
     ON CONFLICT (series_key, area_code, gender) DO UPDATE SET points = EXCLUDED.points, \
     latest_period = EXCLUDED.latest_period, latest_value = EXCLUDED.latest_value, previous_period = EXCLUDED.previous_period, \
     previous_value = EXCLUDED.previous_value, updated_at = EXCLUDED.updated_at";

const DIGEST_DROP: &str = "DELETE FROM series_digest d USING unnest($1::text[], $2::text[], $3::text[]) AS t(k, a, g) \
     WHERE d.series_key = t.k AND d.area_code = t.a AND d.gender = t.g";

/// What a batch writes, gathered from the diff of each series.
#[derive(Default)]
struct Batch<'r> {
    inserts: Vec<&'r Staged<'r>>,
    update_ids: Vec<i64>,
    updates: Vec<&'r Staged<'r>>,
    put: DigestRows,
    drop: DigestRows,
}

/// Digest rows as the arrays of [`DIGEST_PUT`] / [`DIGEST_DROP`].
#[derive(Default)]
struct DigestRows {
    keys: Vec<String>,
    areas: Vec<String>,
    genders: Vec<&'static str>,
    points: Vec<Vec<u8>>,
    latest_period: Vec<Option<i32>>,
    latest_value: Vec<Option<f64>>,
    previous_period: Vec<Option<i32>>,
    previous_value: Vec<Option<f64>>,
}

impl DigestRows {
    fn push(&mut self, series: &Staged<'_>) {
        self.keys.push(series.series_key.clone());
        self.areas.push(series.o.area.as_str().to_owned());
        self.genders.push(series.o.gender.code());
    }
}

/// Marks the indicators of the KPIs `$1` and of the own series `$2` for judging again (see
/// [`crate::statuses`]).
const MARK: &str = "INSERT INTO status_stale (indicator_id) SELECT i.id FROM indicator i \
     WHERE i.kpi_id = ANY($1) OR (i.kpi_id IS NULL AND i.id = ANY($2)) ON CONFLICT (indicator_id) DO NOTHING";

/// Writes `staged` (deduplicated and sorted) in its own transaction; returns what changed and
/// whether it marked indicators whose statuses must be judged again.
pub(super) async fn write(pool: &sqlx::PgPool, staged: &[Staged<'_>], now: DateTime<Utc>) -> Result<(WriteCounts, bool), RepoError> {
    let mut conn = pool.acquire().await.map_err(|e| RepoError::Unavailable(e.to_string()))?;
    let mut tx = conn.begin().await.map_err(driver_err)?;
    lock(&mut tx).await?;
    let written = write_in(&mut tx, staged, now).await?;
    tx.commit().await.map_err(driver_err)?;
    Ok(written)
}

/// Writes every batch `batches` gives, one after the other, in one transaction: all of them or
/// none. Only one batch is held at a time. Returns what changed and whether indicators were
/// marked for judging again.
pub(super) async fn write_many(
    pool: &sqlx::PgPool,
    batches: &mut super::Batches<'_>,
    now: DateTime<Utc>,
) -> Result<(WriteCounts, bool), RepoError> {
    let mut conn = pool.acquire().await.map_err(|e| RepoError::Unavailable(e.to_string()))?;
    let mut tx = conn.begin().await.map_err(driver_err)?;
    lock(&mut tx).await?;
    let (mut counts, mut marked) = (WriteCounts::default(), false);
    while let Some(batch) = super::next_batch(batches) {
        let batch = batch?;
        let staged = super::dedup(&batch);
        if staged.is_empty() {
            continue;
        }
        let (c, m) = write_in(&mut tx, &staged, now).await?;
        counts.add(c);
        marked |= m;
    }
    tx.commit().await.map_err(driver_err)?;
    Ok((counts, marked))
}

/// Takes the writers' lock for the rest of the transaction.
async fn lock(tx: &mut sqlx::PgConnection) -> Result<(), RepoError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(WRITER_LOCK)
        .execute(&mut *tx)
        .await
        .map(drop)
        .map_err(driver_err)
}

/// Writes `staged` on `tx`, a transaction holding the writers' lock.
async fn write_in(tx: &mut sqlx::PgConnection, staged: &[Staged<'_>], now: DateTime<Utc>) -> Result<(WriteCounts, bool), RepoError> {
    let db = driver_err;
    let runs: Vec<&[Staged<'_>]> = series_runs(staged).collect();
    let keys: Vec<&str> = runs.iter().map(|r| r[0].series_key.as_str()).collect();
    let areas: Vec<&str> = runs.iter().map(|r| r[0].o.area.as_str()).collect();
    let genders: Vec<&str> = runs.iter().map(|r| r[0].o.gender.code()).collect();
    let found = sqlx::query(READ)
        .bind(&keys)
        .bind(&areas)
        .bind(&genders)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;

    let mut counts = WriteCounts::default();
    let mut changes = Batch::default();
    let mut next = 0;
    for (i, rows) in runs.iter().enumerate() {
        let mut stored = Vec::new();
        while let Some(r) = found.get(next) {
            let n: i64 = r.try_get(0).map_err(db)?;
            if n != i as i64 + 1 {
                break;
            }
            stored.push(Stored {
                id: r.try_get(1).map_err(db)?,
                period: r.try_get(2).map_err(db)?,
                value: r.try_get(3).map_err(db)?,
                status: r.try_get(4).map_err(db)?,
                count: r.try_get(5).map_err(db)?,
                source: source(r.try_get(6).map_err(db)?)?,
                deleted: r.try_get(7).map_err(db)?,
            });
            next += 1;
        }
        let series = diff_gathered(&stored, rows, &mut counts);
        changes.inserts.extend(series.inserts);
        for (id, r) in series.updates {
            changes.update_ids.push(id);
            changes.updates.push(r);
        }
        match series.digest {
            Digest::Unchanged => {}
            Digest::Drop => changes.drop.push(&rows[0]),
            Digest::Put { points, facts } => {
                let put = &mut changes.put;
                put.push(&rows[0]);
                put.points.push(points);
                put.latest_period.push(facts.latest.map(|l| l.0));
                put.latest_value.push(facts.latest.map(|l| l.1));
                put.previous_period.push(facts.previous.map(|p| p.0));
                put.previous_value.push(facts.previous.map(|p| p.1));
            }
        }
    }

    let stamp = now.to_rfc3339_opts(SecondsFormat::Micros, true);
    if !changes.inserts.is_empty() {
        let mut copy = tx.copy_in_raw(COPY).await.map_err(db)?;
        copy.send(copy_csv(&changes.inserts, &stamp).into_bytes()).await.map_err(db)?;
        copy.finish().await.map_err(db)?;
    }
    if !changes.updates.is_empty() {
        let u = &changes.updates;
        sqlx::query(UPDATE)
            .bind(&changes.update_ids)
            .bind(u.iter().map(|s| s.o.value).collect::<Vec<_>>())
            .bind(u.iter().map(|s| s.o.status.as_deref()).collect::<Vec<_>>())
            .bind(u.iter().map(|s| s.o.count).collect::<Vec<_>>())
            .bind(u.iter().map(|s| s.o.source.as_str()).collect::<Vec<_>>())
            .bind(u.iter().map(|s| s.o.deleted).collect::<Vec<_>>())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    let put = &changes.put;
    if !put.keys.is_empty() {
        sqlx::query(DIGEST_PUT)
            .bind(&put.keys)
            .bind(&put.areas)
            .bind(&put.genders)
            .bind(&put.points)
            .bind(&put.latest_period)
            .bind(&put.latest_value)
            .bind(&put.previous_period)
            .bind(&put.previous_value)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    let drop = &changes.drop;
    if !drop.keys.is_empty() {
        sqlx::query(DIGEST_DROP)
            .bind(&drop.keys)
            .bind(&drop.areas)
            .bind(&drop.genders)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    let (kpis, own) = crate::statuses::series_owners(put.keys.iter().chain(&drop.keys).map(String::as_str));
    let marked = if kpis.is_empty() && own.is_empty() {
        false
    } else {
        let done = sqlx::query(MARK).bind(&kpis).bind(&own).execute(&mut *tx).await.map_err(db)?;
        done.rows_affected() > 0
    };
    Ok((counts, marked))
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

/// `rows` as COPY's CSV, in [`COPY`]'s column order, each stamped `updated_at`.
fn copy_csv(rows: &[&Staged<'_>], updated_at: &str) -> String {
    use std::fmt::Write;
    let mut data = String::with_capacity(rows.len() * 96);
    for s in rows {
        let o: &NewObservation = s.o;
        csv_text(&mut data, Some(&s.series_key));
        data.push(',');
        let (kpi, indicator) = series_ids(o);
        csv_text(&mut data, kpi);
        data.push(',');
        if let Some(id) = indicator {
            let _ = write!(data, "{id}");
        }
        data.push(',');
        csv_text(&mut data, Some(o.area.as_str()));
        let _ = write!(data, ",{},", o.period.get());
        csv_text(&mut data, Some(o.gender.code()));
        data.push(',');
        if let Some(v) = o.value {
            // `{:?}` prints the shortest text that reads back as the same f64.
            let _ = write!(data, "{v:?}");
        }
        data.push(',');
        csv_text(&mut data, o.status.as_deref());
        data.push(',');
        if let Some(c) = o.count {
            let _ = write!(data, "{c}");
        }
        data.push(',');
        csv_text(&mut data, Some(o.source.as_str()));
        let _ = writeln!(data, ",{},{updated_at}", o.deleted);
    }
    data
}
