//! Row of `indicator_quality_factor`: the database shape, converted to domain types in `crate::convert`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_quality_factor")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub indicator_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub quality_factor_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
