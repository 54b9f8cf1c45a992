//! Row of `target`: the database shape, converted to domain types in `crate::convert`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "target")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub indicator_id: i64,
    pub area_code: String,
    pub period_from: i32,
    pub period_to: Option<i32>,
    pub kind: String,
    pub comparison: String,
    #[sea_orm(column_type = "Double")]
    pub value: Option<f64>,
    pub reference_area: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The row from the columns of a select of the entity, by position (as
    /// `indicator::Model::from_columns`).
    pub(crate) fn from_columns(row: &QueryResult) -> Result<Self, DbErr> {
        Ok(Self {
            id: row.try_get_by_index(0)?,
            indicator_id: row.try_get_by_index(1)?,
            area_code: row.try_get_by_index(2)?,
            period_from: row.try_get_by_index(3)?,
            period_to: row.try_get_by_index(4)?,
            kind: row.try_get_by_index(5)?,
            comparison: row.try_get_by_index(6)?,
            value: row.try_get_by_index(7)?,
            reference_area: row.try_get_by_index(8)?,
            note: row.try_get_by_index(9)?,
        })
    }
}
