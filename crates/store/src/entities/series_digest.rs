//! Row of `series_digest`: the read model of one series (key × area × gender): its points in
//! the compact form (`styrhub_domain::compact`) and its latest and previous values, kept in step
//! by the observation writers (`crate::bulk`) in the transaction of the observations.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "series_digest")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub series_key: String,
    pub area_code: String,
    pub gender: String,
    /// Always written; nullable only because SQLite cannot add a NOT NULL column without a
    /// default (migration `m20261203_000009`).
    pub points: Option<Vec<u8>>,
    pub latest_period: Option<i32>,
    pub latest_value: Option<f64>,
    pub previous_period: Option<i32>,
    pub previous_value: Option<f64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
