//! Ingest: the log of sync runs, and the municipality an organisational unit belongs to.

use sea_orm_migration::prelude::*;

use crate::columns::*;

/// Creates `ingest_run` and adds `area.parent_code`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000004_ingest"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "ingest_run",
            vec![
                id(),
                text("source"),
                // The normalised parameters (JSON): runs with equal parameters are the same sync,
                // which is how the last successful one makes the next incremental.
                long_text("parameters"),
                timestamp("started_at"),
                timestamp_null("finished_at"),
                text("status"),
                big("requests"),
                big("pages"),
                big("fetched"),
                big("inserted"),
                big("updated"),
                big("unchanged"),
                big("failed"),
                long_text_null("error"),
            ],
            vec![],
        ))
        .await?;
        m.create_index(index("ingest_run", &["source", "status", "started_at"], false))
            .await?;
        m.alter_table(
            Table::alter()
                .table(n("area"))
                .add_column(ColumnDef::new(n("parent_code")).string().null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(n("area")).drop_column(n("parent_code")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(n("ingest_run")).if_exists().to_owned()).await
    }
}
