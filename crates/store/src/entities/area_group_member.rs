//! Row of `area_group_member`: one membership of an area in a municipality group, for the
//! years `valid_from` (0: always) to `valid_to` (`None`: still).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "area_group_member")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub group_code: String,
    pub member_code: String,
    pub valid_from: i32,
    pub valid_to: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<&Model> for styrhub_domain::kpi::Membership {
    fn from(r: &Model) -> Self {
        Self {
            member: r.member_code.clone(),
            valid_from: r.valid_from,
            valid_to: r.valid_to,
        }
    }
}
