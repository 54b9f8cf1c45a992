//! Comparison groups as data: Kolada's municipality groups (`G…`, synced with their metadata)
//! and groups of the hub's own, which a municipality defines for itself ("liknande kommuner":
//! a code `1489:jamforelsekommuner`, a title, the owning municipality and the years the group
//! holds). Members stay in `area_group_member`, year by year; this table names the group, so
//! that a group can be listed, titled in an explanation, and audited by id. The same on both
//! databases.

use sea_orm_migration::prelude::*;

use crate::columns::{id, index, int_null, n, table, text, text_null, timestamp};

/// Adds `area_group`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000015_area_group"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "area_group",
            vec![
                id(),
                text("code"),
                text("title"),
                // `kolada` or `own`.
                text("source"),
                // The owning municipality's code (own groups); none for Kolada's.
                text_null("owner_code"),
                int_null("valid_from"),
                int_null("valid_to"),
                timestamp("updated_at"),
            ],
            vec![],
        ))
        .await?;
        m.create_index(index("area_group", &["code"], true)).await?;
        m.create_index(index("area_group", &["owner_code"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(n("area_group")).to_owned()).await
    }
}
