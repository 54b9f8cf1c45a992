//! Row of `assignment`: the database shape, converted to domain types in `crate::convert`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "assignment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub municipality_id: i64,
    pub key: String,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    pub from_org_unit_id: i64,
    pub to_org_unit_id: i64,
    pub deadline: Option<Date>,
    #[sea_orm(column_type = "Text")]
    pub funding: Option<String>,
    #[sea_orm(column_type = "Double")]
    pub funding_tkr: Option<f64>,
    pub status: String,
    pub goal_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub result: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
