//! Who belongs to a municipality group (Kolada's `G…` groups, synced with their metadata), and
//! from which year to which: a group is judged as it was in the year asked about. A membership
//! that holds from before the hub knew the group starts at year 0; an open one ends at `NULL`.
//! The same on both databases.

use sea_orm_migration::prelude::*;

use crate::columns::{id, index, int, int_null, n, table, text};

/// Adds `area_group_member`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000014_area_group_member"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "area_group_member",
            vec![
                id(),
                // Codes, not foreign keys: a group and its members are areas the hub may know
                // only by code (their values and titles come with later syncs).
                text("group_code"),
                text("member_code"),
                int("valid_from"),
                int_null("valid_to"),
            ],
            vec![],
        ))
        .await?;
        m.create_index(index("area_group_member", &["group_code", "member_code", "valid_from"], true))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(n("area_group_member")).to_owned()).await
    }
}
