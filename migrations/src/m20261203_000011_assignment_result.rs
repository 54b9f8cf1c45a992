//! An assignment's result: what the receiving unit reports it achieved ("resultat"), beside the
//! status it reports. The governance models in the seeds have the receiver report both in the
//! follow-ups. Text, nullable, the same on both databases.

use sea_orm_migration::prelude::*;

use crate::columns::n;

/// Adds `assignment.result`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000011_assignment_result"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("assignment"))
                .add_column(ColumnDef::new(n("result")).text().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(n("assignment")).drop_column(n("result")).to_owned())
            .await
    }
}
