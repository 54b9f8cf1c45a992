//! Row of `goal_assessment`: the database shape, converted to domain types in `crate::convert`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "goal_assessment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub follow_up_id: i64,
    pub goal_id: i64,
    pub assessment: String,
    pub forecast: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub analysis: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
