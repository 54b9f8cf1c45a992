//! Reading series and key-figure metadata: [`SeriesReader`] for the store.

use async_trait::async_trait;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use styrhub_domain::goal::text_matches;
use styrhub_domain::ids::{AreaCode, Gender};
use styrhub_domain::kpi::{Area, AreaFilter, Kpi, KpiFilter};
use styrhub_domain::ports::SeriesReader;
use styrhub_domain::series::SeriesDigest;
use styrhub_domain::RepoError;

use crate::db::repo_err;
use crate::entities::{area, kpi, series_digest};
use crate::governance::{convert, MAX_IN};
use crate::Store;

#[async_trait]
impl SeriesReader for Store {
    async fn digests(&self, series_keys: &[String], areas: &[String], genders: &[Gender]) -> Result<Vec<SeriesDigest>, RepoError> {
        if series_keys.is_empty() || areas.is_empty() || genders.is_empty() {
            return Ok(Vec::new());
        }
        let genders: Vec<&str> = genders.iter().map(|g| g.code()).collect();
        let mut out = Vec::new();
        for chunk in series_keys.chunks(MAX_IN) {
            // Only what a digest is made of, decoded by position: a goal tree reads thousands.
            let rows: Vec<(String, String, String, String)> = series_digest::Entity::find()
                .select_only()
                .columns([
                    series_digest::Column::SeriesKey,
                    series_digest::Column::AreaCode,
                    series_digest::Column::Gender,
                    series_digest::Column::Points,
                ])
                .filter(series_digest::Column::SeriesKey.is_in(chunk.iter().map(String::as_str)))
                .filter(series_digest::Column::AreaCode.is_in(areas.iter().map(String::as_str)))
                .filter(series_digest::Column::Gender.is_in(genders.iter().copied()))
                .into_tuple()
                .all(self.connection())
                .await
                .map_err(repo_err)?;
            for (series_key, area, gender, points) in rows {
                out.push(digest_from_parts(series_key, &area, &gender, &points)?);
            }
        }
        Ok(out)
    }

    async fn kpis(&self, filter: &KpiFilter) -> Result<Vec<Kpi>, RepoError> {
        let mut q = kpi::Entity::find().order_by_asc(kpi::Column::Id);
        if let Some(ids) = &filter.ids {
            q = q.filter(kpi::Column::Id.is_in(ids.iter().map(String::as_str)));
        }
        let all: Vec<Kpi> = convert(q.all(self.connection()).await.map_err(repo_err)?)?;
        Ok(all
            .into_iter()
            .filter(|k| {
                filter
                    .text
                    .as_deref()
                    .is_none_or(|t| text_matches(t, &[Some(&k.id), Some(&k.title)]))
            })
            .collect())
    }

    async fn areas_by_codes(&self, codes: &[String]) -> Result<Vec<Area>, RepoError> {
        convert(
            area::Entity::find()
                .filter(area::Column::Code.is_in(codes.iter().map(String::as_str)))
                .all(self.connection())
                .await
                .map_err(repo_err)?,
        )
    }

    async fn areas(&self, filter: &AreaFilter) -> Result<Vec<Area>, RepoError> {
        let mut q = area::Entity::find().order_by_asc(area::Column::Code);
        if let Some(types) = &filter.types {
            q = q.filter(area::Column::AreaType.is_in(types.iter().map(String::as_str)));
        }
        if let Some(parent) = &filter.parent {
            q = q.filter(area::Column::ParentCode.eq(parent.as_str()));
        }
        let all: Vec<Area> = convert(q.all(self.connection()).await.map_err(repo_err)?)?;
        Ok(all.into_iter().filter(|a| filter.matches(a)).collect())
    }
}

/// A digest from its stored columns.
fn digest_from_parts(series_key: String, area: &str, gender: &str, points: &str) -> Result<SeriesDigest, RepoError> {
    let corrupt = |e: &dyn std::fmt::Display| {
        RepoError::Internal(format!(
            "series_digest ({series_key}, {area}, {gender}) holds a value the code cannot read: {e}"
        ))
    };
    Ok(SeriesDigest {
        area: AreaCode::parse(area).map_err(|e| corrupt(&e))?,
        gender: Gender::parse(gender).map_err(|e| corrupt(&e))?,
        points: serde_json::from_str(points).map_err(|e| corrupt(&e))?,
        series_key,
    })
}
