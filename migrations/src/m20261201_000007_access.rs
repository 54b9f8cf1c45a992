//! Access: API tokens (only their hashes) and the audit log of every change.

use sea_orm_migration::prelude::*;

use crate::columns::*;

/// Creates `api_token` and `audit_entry`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000007_access"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "api_token",
            vec![
                id(),
                text("name"),
                text("role"),
                // An editor's scope. A unit that disappears leaves the token without a scope,
                // and an editor without one may change nothing.
                big_null("scope_unit_id"),
                // SHA-256 of the secret, hex: the secret itself is shown once and never stored.
                text("token_hash"),
                timestamp("created_at"),
                timestamp_null("last_used_at"),
                timestamp_null("revoked_at"),
            ],
            vec![fk("api_token", "scope_unit_id", "org_unit", ForeignKeyAction::SetNull)],
        ))
        .await?;
        // Every authenticated request looks its token up by hash.
        m.create_index(index("api_token", &["token_hash"], true)).await?;
        m.create_table(table(
            "audit_entry",
            vec![
                id(),
                timestamp("at"),
                // No foreign key: the log outlives whatever it names, tokens included.
                big_null("actor_token_id"),
                text("actor_name"),
                text("action"),
                text("entity"),
                big("entity_id"),
                long_text_null("before"),
                long_text_null("after"),
            ],
            vec![],
        ))
        .await?;
        m.create_index(index("audit_entry", &["entity", "entity_id"], false)).await?;
        m.create_index(index("audit_entry", &["actor_name"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(n("audit_entry")).if_exists().to_owned()).await?;
        m.drop_table(Table::drop().table(n("api_token")).if_exists().to_owned()).await
    }
}
