//! The series digest: each series (series key × area × gender) kept whole in one row, so that
//! latest values, trends and comparisons over thousands of indicators are one indexed read.
//! The observation writer keeps it in step, in the same transaction as the observations.

use sea_orm_migration::prelude::*;

use crate::columns::*;

/// Creates `series_digest`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000003_series_digest"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "series_digest",
            vec![
                id(),
                text("series_key"),
                text("area_code"),
                text("gender"),
                // JSON: [{"period":2021,"value":7.1,"source":"kolada"}, …], oldest first.
                long_text("points"),
                int_null("latest_period"),
                timestamp("updated_at"),
            ],
            vec![],
        ))
        .await?;
        m.create_index(index("series_digest", &["series_key", "area_code", "gender"], true))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(n("series_digest")).if_exists().to_owned()).await
    }
}
