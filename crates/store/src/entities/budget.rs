//! Row of `budget`: the database shape, converted to domain types in `crate::convert`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "budget")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_unit_id: i64,
    pub year: i32,
    pub kind: String,
    pub line: String,
    #[sea_orm(column_type = "Double")]
    pub amount_tkr: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
