//! How many stored values a run found the source no longer serves and marked deleted
//! (`styrhub ingest kolada --full`): counted with the run like its other counts. The same on
//! both databases.

use sea_orm_migration::prelude::*;

use crate::columns::n;

/// Adds `ingest_run.removed`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000013_ingest_run_removed"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("ingest_run"))
                .add_column(ColumnDef::new(n("removed")).big_integer().not_null().default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(n("ingest_run")).drop_column(n("removed")).to_owned())
            .await
    }
}
