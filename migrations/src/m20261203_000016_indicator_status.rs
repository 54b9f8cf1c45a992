//! Indicator statuses as a read model kept at write time: each indicator judged for its
//! municipality and for every area a target of it names, period by period (each period judged
//! as the series stood then: its value against the target that held, its trend up to then),
//! so that the OData `Statuses` set and the status CSV filter and page them in SQL.
//!
//! `status_stale` names the indicators whose statuses must be judged again: every writer marks
//! them in the same transaction as the change (values of their series, their targets, a
//! group a target compares with), and the statuses are judged from the marks, in the writer's
//! transaction or, after the bulk writer's, in one of their own. A mark left by a crash is
//! judged at the next start. This migration marks every existing indicator.
//!
//! The same schema on both databases.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::columns::*;

/// Adds `indicator_status` and `status_stale`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000016_indicator_status"
    }
}

const CASCADE: ForeignKeyAction = ForeignKeyAction::Cascade;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "indicator_status",
            vec![
                big("indicator_id"),
                text("area_code"),
                int("period"),
                // `on_target`, `not_on_target` or `no_data`.
                text("status"),
                double_null("value"),
                // The judged value's source (`kolada`, `manual` …) and the source's status
                // flag for it, so that a read of the latest verdict also has the latest value.
                text("source"),
                text_null("value_status"),
                big_null("target_id"),
                // `improving`, `worsening`, `stable`, `changing` or `insufficient`.
                text("trend"),
                int_null("trend_since"),
                double_null("trend_change"),
                long_text("explanation"),
                long_text("explanation_sv"),
                // The period is the series' latest with a value.
                boolean("latest"),
                timestamp("updated_at"),
            ],
            vec![fk("indicator_status", "indicator_id", "indicator", CASCADE)],
        ))
        .await?;
        m.create_index(index("indicator_status", &["indicator_id", "area_code", "period"], true))
            .await?;
        m.create_index(index("indicator_status", &["area_code", "period"], false)).await?;
        // The latest verdicts alone, by area and indicator: what a goal tree reads (one entry
        // per indicator, where the table holds one per period). Partial on both databases.
        let c = m.get_connection();
        c.execute_raw(Statement::from_string(
            c.get_database_backend(),
            "CREATE INDEX ix_indicator_status_latest ON indicator_status (area_code, indicator_id) WHERE latest = true",
        ))
        .await?;
        m.create_table(table(
            "status_stale",
            vec![ColumnDef::new(n("indicator_id")).big_integer().not_null().primary_key().to_owned()],
            vec![fk("status_stale", "indicator_id", "indicator", CASCADE)],
        ))
        .await?;
        c.execute_raw(Statement::from_string(
            c.get_database_backend(),
            "INSERT INTO status_stale (indicator_id) SELECT id FROM indicator",
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(n("status_stale")).to_owned()).await?;
        m.drop_table(Table::drop().table(n("indicator_status")).to_owned()).await
    }
}
