//! Row of `follow_up`: the database shape, converted to domain types in `crate::convert`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "follow_up")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub governance_model_id: i64,
    pub kind: String,
    pub year: i32,
    pub month: i32,
    pub approved_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub snapshot: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
