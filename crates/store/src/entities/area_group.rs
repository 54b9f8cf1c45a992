//! Row of `area_group`: a comparison group, Kolada's (`G…`) or a municipality's own.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "area_group")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    pub source: String,
    pub owner_code: Option<String>,
    pub valid_from: Option<i32>,
    pub valid_to: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
