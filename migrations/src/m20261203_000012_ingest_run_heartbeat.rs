//! A run's heartbeat: the time its process last said it is alive. Starting a run marks the
//! runs of the same source that are still "running" as interrupted only when their heartbeat
//! has gone quiet (the process is gone), never a live run in another process. Nullable: runs
//! recorded before this migration have none, and are judged by when they started.

use sea_orm_migration::prelude::*;

use crate::columns::{n, timestamp_null};

/// Adds `ingest_run.heartbeat_at`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000012_ingest_run_heartbeat"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("ingest_run"))
                .add_column(timestamp_null("heartbeat_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(n("ingest_run")).drop_column(n("heartbeat_at")).to_owned())
            .await
    }
}
