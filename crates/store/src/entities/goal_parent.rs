//! Row of `goal_parent`: the database shape, converted to domain types in `crate::convert`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "goal_parent")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub goal_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub parent_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
