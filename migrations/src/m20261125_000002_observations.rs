//! Key figures: areas, KPI metadata, observations and the history of revised values.

use sea_orm_migration::prelude::*;

use crate::columns::*;

/// Creates the observation tables.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000002_observations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "area",
            vec![
                ColumnDef::new(n("code")).string().not_null().primary_key().to_owned(),
                text("title"),
                text("area_type"),
            ],
            vec![],
        ))
        .await?;
        m.create_table(table(
            "kpi",
            vec![
                ColumnDef::new(n("id")).string().not_null().primary_key().to_owned(),
                long_text("title"),
                long_text_null("description"),
                text_null("operating_area"),
                text_null("municipality_type"),
                ColumnDef::new(n("is_divided_by_gender")).boolean().null().to_owned(),
                text_null("publication_date"),
            ],
            vec![],
        ))
        .await?;
        m.create_table(table(
            "observation",
            vec![
                id(),
                // `kpi:N00973` or `indicator:42`: one non-null column keeps the natural key's
                // unique index portable and makes it the series look-up index as well.
                text("series_key"),
                text_null("kpi_id"),
                big_null("indicator_id"),
                text("area_code"),
                int("period"),
                text("gender"),
                double_null("value"),
                text_null("status"),
                int_null("count"),
                text("source"),
                boolean("deleted"),
                timestamp("updated_at"),
            ],
            vec![fk("observation", "indicator_id", "indicator", ForeignKeyAction::Cascade)],
        ))
        .await?;
        m.create_table(table(
            "observation_revision",
            vec![
                id(),
                big("observation_id"),
                double_null("value"),
                text_null("status"),
                text("source"),
                boolean("deleted"),
                timestamp("valid_until"),
            ],
            vec![fk(
                "observation_revision",
                "observation_id",
                "observation",
                ForeignKeyAction::Cascade,
            )],
        ))
        .await?;
        m.create_index(index("observation", &["series_key", "area_code", "period", "gender"], true))
            .await?;
        m.create_index(index("observation", &["kpi_id", "area_code", "period"], false))
            .await?;
        m.create_index(index("observation", &["indicator_id", "area_code", "period"], false))
            .await?;
        m.create_index(index("observation_revision", &["observation_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["observation_revision", "observation", "kpi", "area"] {
            m.drop_table(Table::drop().table(n(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
