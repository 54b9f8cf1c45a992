//! Bulk, idempotent observation writes. A value arriving again unchanged is counted and left
//! alone; a changed value replaces the stored one and the earlier value goes to
//! `observation_revision`, so that a report can always show what it was based on.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource, WriteCounts};
use styrhub_domain::ports::ObservationWriter;
use styrhub_domain::series::Point;
use styrhub_domain::RepoError;

use crate::db::repo_err;
use crate::entities::{observation, observation_revision, series_digest};
use crate::Store;

/// Rows per INSERT statement: well under SQLite's and PostgreSQL's bind-parameter limits.
const INSERT_CHUNK: usize = 500;
/// Values per IN list when reading what is stored.
const IN_CHUNK: usize = 500;

type Key = (String, String, i32, String);

fn key_of(o: &NewObservation) -> Key {
    (
        o.series.key(),
        o.area.as_str().to_owned(),
        o.period.get(),
        o.gender.code().to_owned(),
    )
}

/// Writes `batch` on `conn` (the caller's transaction), returning what changed.
pub async fn write_observations<C: ConnectionTrait>(
    conn: &C,
    batch: &[NewObservation],
    now: DateTime<Utc>,
) -> Result<WriteCounts, RepoError> {
    let mut counts = WriteCounts::default();
    if batch.is_empty() {
        return Ok(counts);
    }
    // Last one wins when a batch holds the same key twice, as a source's later page would.
    let mut wanted: BTreeMap<Key, &NewObservation> = BTreeMap::new();
    for o in batch {
        wanted.insert(key_of(o), o);
    }
    let series: BTreeSet<&str> = wanted.keys().map(|k| k.0.as_str()).collect();
    let areas: BTreeSet<&str> = wanted.keys().map(|k| k.1.as_str()).collect();
    let mut stored: BTreeMap<Key, observation::Model> = BTreeMap::new();
    let series: Vec<&str> = series.into_iter().collect();
    let areas: Vec<&str> = areas.into_iter().collect();
    for s_chunk in series.chunks(IN_CHUNK) {
        for a_chunk in areas.chunks(IN_CHUNK) {
            let rows = observation::Entity::find()
                .filter(observation::Column::SeriesKey.is_in(s_chunk.iter().copied()))
                .filter(observation::Column::AreaCode.is_in(a_chunk.iter().copied()))
                .all(conn)
                .await
                .map_err(repo_err)?;
            for r in rows {
                stored.insert((r.series_key.clone(), r.area_code.clone(), r.period, r.gender.clone()), r);
            }
        }
    }
    let mut inserts = Vec::new();
    let mut changed: BTreeSet<(String, String, String)> = BTreeSet::new();
    for (key, o) in wanted {
        let (kpi_id, indicator_id) = match &o.series {
            SeriesRef::Kpi(k) => (Some(k.to_string()), None),
            SeriesRef::Indicator(id) => (None, Some(*id)),
        };
        let digest_key = (key.0.clone(), key.1.clone(), key.3.clone());
        match stored.get(&key) {
            None => {
                counts.inserted += 1;
                changed.insert(digest_key);
                inserts.push(observation::ActiveModel {
                    id: NotSet,
                    series_key: Set(key.0),
                    kpi_id: Set(kpi_id),
                    indicator_id: Set(indicator_id),
                    area_code: Set(key.1),
                    period: Set(key.2),
                    gender: Set(key.3),
                    value: Set(o.value),
                    status: Set(o.status.clone()),
                    count: Set(o.count),
                    source: Set(o.source.as_str().to_owned()),
                    deleted: Set(o.deleted),
                    updated_at: Set(now),
                });
            }
            Some(old)
                if old.value == o.value
                    && old.status == o.status
                    && old.count == o.count
                    && old.source == o.source.as_str()
                    && old.deleted == o.deleted =>
            {
                counts.unchanged += 1;
            }
            Some(old) => {
                counts.updated += 1;
                changed.insert(digest_key);
                observation_revision::ActiveModel {
                    id: NotSet,
                    observation_id: Set(old.id),
                    value: Set(old.value),
                    status: Set(old.status.clone()),
                    source: Set(old.source.clone()),
                    deleted: Set(old.deleted),
                    valid_until: Set(now),
                }
                .insert(conn)
                .await
                .map_err(repo_err)?;
                let mut am: observation::ActiveModel = old.clone().into();
                am.value = Set(o.value);
                am.status = Set(o.status.clone());
                am.count = Set(o.count);
                am.source = Set(o.source.as_str().to_owned());
                am.deleted = Set(o.deleted);
                am.updated_at = Set(now);
                am.update(conn).await.map_err(repo_err)?;
            }
        }
    }
    while !inserts.is_empty() {
        let rest = inserts.split_off(inserts.len().min(INSERT_CHUNK));
        observation::Entity::insert_many(std::mem::replace(&mut inserts, rest))
            .exec(conn)
            .await
            .map_err(repo_err)?;
    }
    refresh_digests(conn, &changed, now).await?;
    Ok(counts)
}

/// Rebuilds the digest row of every (series, area, gender) in `keys` from its observations.
/// Only series whose values changed are passed, so an unchanged re-run writes nothing.
async fn refresh_digests<C: ConnectionTrait>(
    conn: &C,
    keys: &BTreeSet<(String, String, String)>,
    now: DateTime<Utc>,
) -> Result<(), RepoError> {
    if keys.is_empty() {
        return Ok(());
    }
    let series: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect::<BTreeSet<_>>().into_iter().collect();
    let areas: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut points: BTreeMap<(String, String, String), Vec<Point>> = keys.iter().map(|k| (k.clone(), Vec::new())).collect();
    let mut existing: BTreeMap<(String, String, String), series_digest::Model> = BTreeMap::new();
    for s_chunk in series.chunks(IN_CHUNK) {
        for a_chunk in areas.chunks(IN_CHUNK) {
            let rows = observation::Entity::find()
                .filter(observation::Column::SeriesKey.is_in(s_chunk.iter().copied()))
                .filter(observation::Column::AreaCode.is_in(a_chunk.iter().copied()))
                .filter(observation::Column::Deleted.eq(false))
                .order_by_asc(observation::Column::Period)
                .all(conn)
                .await
                .map_err(repo_err)?;
            for r in rows {
                if let Some(list) = points.get_mut(&(r.series_key.clone(), r.area_code.clone(), r.gender.clone())) {
                    let source = ValueSource::parse(&r.source).map_err(|e| RepoError::Internal(format!("observation {}: {e}", r.id)))?;
                    list.push(Point {
                        period: r.period,
                        value: r.value,
                        status: r.status,
                        source,
                    });
                }
            }
            let digests = series_digest::Entity::find()
                .filter(series_digest::Column::SeriesKey.is_in(s_chunk.iter().copied()))
                .filter(series_digest::Column::AreaCode.is_in(a_chunk.iter().copied()))
                .all(conn)
                .await
                .map_err(repo_err)?;
            for d in digests {
                existing.insert((d.series_key.clone(), d.area_code.clone(), d.gender.clone()), d);
            }
        }
    }
    let mut inserts = Vec::new();
    for (key, pts) in points {
        let latest_period = pts.iter().rev().find(|p| p.value.is_some()).map(|p| p.period);
        let json = serde_json::to_string(&pts).map_err(|e| RepoError::Internal(e.to_string()))?;
        match existing.remove(&key) {
            // Every value of the series was tombstoned: no digest.
            Some(old) if pts.is_empty() => {
                series_digest::Entity::delete_by_id(old.id).exec(conn).await.map_err(repo_err)?;
            }
            None if pts.is_empty() => {}
            Some(old) => {
                let mut am: series_digest::ActiveModel = old.into();
                am.points = Set(json);
                am.latest_period = Set(latest_period);
                am.updated_at = Set(now);
                am.update(conn).await.map_err(repo_err)?;
            }
            None => inserts.push(series_digest::ActiveModel {
                id: NotSet,
                series_key: Set(key.0),
                area_code: Set(key.1),
                gender: Set(key.2),
                points: Set(json),
                latest_period: Set(latest_period),
                updated_at: Set(now),
            }),
        }
    }
    for chunk in inserts.chunks(INSERT_CHUNK) {
        series_digest::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await
            .map_err(repo_err)?;
    }
    Ok(())
}

#[async_trait]
impl ObservationWriter for Store {
    async fn write_batch(&self, batch: &[NewObservation]) -> Result<WriteCounts, RepoError> {
        let txn = self.connection().begin().await.map_err(repo_err)?;
        let counts = write_observations(&txn, batch, Utc::now()).await?;
        txn.commit().await.map_err(repo_err)?;
        Ok(counts)
    }
}
