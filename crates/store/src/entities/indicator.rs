//! Row of `indicator`: the database shape, converted to domain types in `crate::convert`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub municipality_id: i64,
    pub key: String,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    pub kind: String,
    pub unit: Option<String>,
    pub direction: String,
    pub desired_text: Option<String>,
    pub measure_first: bool,
    pub kpi_id: Option<String>,
    pub owner_id: Option<i64>,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
