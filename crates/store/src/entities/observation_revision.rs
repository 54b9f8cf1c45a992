//! Row of `observation_revision`: the database shape, converted to domain types in `crate::convert`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "observation_revision")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub observation_id: i64,
    #[sea_orm(column_type = "Double")]
    pub value: Option<f64>,
    pub status: Option<String>,
    pub source: String,
    pub deleted: bool,
    pub valid_until: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
