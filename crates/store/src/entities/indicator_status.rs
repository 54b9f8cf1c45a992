//! Row of `indicator_status`: an indicator judged for an area and a period, kept at write time
//! (see `crate::statuses`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_status")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub indicator_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub area_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: i32,
    pub status: String,
    pub value: Option<f64>,
    pub source: String,
    pub value_status: Option<String>,
    pub target_id: Option<i64>,
    pub trend: String,
    pub trend_since: Option<i32>,
    pub trend_change: Option<f64>,
    pub explanation: String,
    pub explanation_sv: String,
    pub latest: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The same verdict as `other`, whenever each was written.
    pub fn says_as(&self, other: &Model) -> bool {
        Self {
            updated_at: other.updated_at,
            ..self.clone()
        } == *other
    }
}
