//! Row of `observation`: the database shape, converted to domain types in `crate::convert`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "observation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub series_key: String,
    pub kpi_id: Option<String>,
    pub indicator_id: Option<i64>,
    pub area_code: String,
    pub period: i32,
    pub gender: String,
    #[sea_orm(column_type = "Double")]
    pub value: Option<f64>,
    pub status: Option<String>,
    pub count: Option<i32>,
    pub source: String,
    pub deleted: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
