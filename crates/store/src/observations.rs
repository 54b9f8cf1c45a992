//! Bulk, idempotent observation writes. A value arriving again unchanged is counted and left
//! alone; a changed value replaces the stored one and the earlier value goes to
//! `observation_revision`, so that a report can always show what it was based on.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use styrhub_domain::observation::{NewObservation, SeriesRef, WriteCounts};
use styrhub_domain::ports::ObservationWriter;
use styrhub_domain::RepoError;

use crate::db::repo_err;
use crate::entities::{observation, observation_revision};
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
    for (key, o) in wanted {
        let (kpi_id, indicator_id) = match &o.series {
            SeriesRef::Kpi(k) => (Some(k.to_string()), None),
            SeriesRef::Indicator(id) => (None, Some(*id)),
        };
        match stored.get(&key) {
            None => {
                counts.inserted += 1;
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
    Ok(counts)
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
