//! Row of `governance_model`: the database shape, converted to domain types in `crate::convert`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "governance_model")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub municipality_id: i64,
    pub key: String,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    pub decision: Option<String>,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    #[sea_orm(column_type = "Text")]
    pub rules: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
