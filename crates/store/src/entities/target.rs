//! Row of `target`: the database shape, converted to domain types in `crate::convert`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "target")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub indicator_id: i64,
    pub area_code: String,
    pub period_from: i32,
    pub period_to: Option<i32>,
    pub kind: String,
    pub comparison: String,
    #[sea_orm(column_type = "Double")]
    pub value: Option<f64>,
    pub reference_area: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
