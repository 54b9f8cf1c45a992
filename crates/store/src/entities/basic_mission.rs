//! Row of `basic_mission`: the database shape, converted to domain types in `crate::convert`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "basic_mission")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub municipality_id: i64,
    pub org_unit_id: i64,
    pub key: String,
    #[sea_orm(column_type = "Text")]
    pub purpose: String,
    #[sea_orm(column_type = "Text")]
    pub target_groups: String,
    #[sea_orm(column_type = "Text")]
    pub governing_documents: String,
    #[sea_orm(column_type = "Text")]
    pub risks: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
