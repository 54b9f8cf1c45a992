//! An index of the targets by the area they judge and the area they compare with: a goal
//! tree's series statement finds the reference areas of a municipality's relative targets
//! ("över riksgenomsnittet") itself, so that it runs beside the read of the targets instead of
//! after it (`SeriesReader::digests_with_references`). Without it that look-up scans every
//! target of every municipality in the hub. The same index on both databases.

use sea_orm_migration::prelude::*;

use crate::columns::n;

/// Adds `ix_target_area_code_reference_area`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000010_target_references"
    }
}

const INDEX: &str = "ix_target_area_code_reference_area";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(INDEX)
                .table(n("target"))
                .col(n("area_code"))
                .col(n("reference_area"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(INDEX).table(n("target")).to_owned()).await
    }
}
