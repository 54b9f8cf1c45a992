//! Row of `org_unit`: the database shape, converted to domain types in `crate::convert`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "org_unit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub municipality_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub key: String,
    pub name: String,
    pub short_name: Option<String>,
    pub kind: String,
    pub municipality_code: Option<String>,
    pub kolada_ou_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
