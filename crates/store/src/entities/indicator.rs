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

impl Model {
    /// The row from the columns of a select of the entity, by position (in the order above,
    /// sea-orm's select order) from `at`: a goal tree reads thousands, and a look-up by name
    /// per column was a tenth of its time.
    pub(crate) fn from_columns(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
        Ok(Self {
            id: row.try_get_by_index(at)?,
            municipality_id: row.try_get_by_index(at + 1)?,
            key: row.try_get_by_index(at + 2)?,
            title: row.try_get_by_index(at + 3)?,
            kind: row.try_get_by_index(at + 4)?,
            unit: row.try_get_by_index(at + 5)?,
            direction: row.try_get_by_index(at + 6)?,
            desired_text: row.try_get_by_index(at + 7)?,
            measure_first: row.try_get_by_index(at + 8)?,
            kpi_id: row.try_get_by_index(at + 9)?,
            owner_id: row.try_get_by_index(at + 10)?,
            position: row.try_get_by_index(at + 11)?,
        })
    }

    /// Columns [`Model::from_columns`] reads.
    pub(crate) const COLUMNS: usize = 12;
}
