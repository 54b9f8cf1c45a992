//! Row of `series_digest`: one whole series as JSON points, kept in step by the observation
//! writer (see `crate::observations`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "series_digest")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub series_key: String,
    pub area_code: String,
    pub gender: String,
    #[sea_orm(column_type = "Text")]
    pub points: String,
    pub latest_period: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
