//! The observation write path, made cheap per row: the indexes every insert pays for are cut
//! to the ones something reads, the natural key is ordered as series are read, and the
//! revision history is kept by a trigger, so the bulk writer can upsert in one statement.
//!
//! - `ix_observation_kpi_id_area_code_period` is dropped: nothing reads observations by
//!   `kpi_id`; a KPI's series are found through `series_key` (`kpi:N00973`), which leads the
//!   natural key's unique index.
//! - `ix_observation_indicator_id_area_code_period` becomes partial (`indicator_id IS NOT
//!   NULL`): Kolada's rows, nearly all of them, have no indicator and no longer enter it; it
//!   still serves the foreign key's cascade and look-ups by indicator.
//! - The natural key's unique index becomes `(series_key, area_code, gender, period)`: one
//!   series (key × area × gender) is one contiguous range in period order, which is what the
//!   digest rebuild reads. Uniqueness is the same set of columns.
//! - `observation_keep_revision`: an `AFTER UPDATE` row trigger that copies the earlier value
//!   into `observation_revision` whenever a value, status, count, source or the deleted flag
//!   changes, with `valid_until` the update's `updated_at`. The writer updates only rows that
//!   differ, so a first load and an unchanged re-run never fire it.
//!
//! SQLite and PostgreSQL get the same indexes and the same trigger; only the trigger's syntax
//! differs (PostgreSQL needs a function).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::columns::*;

/// Reindexes `observation` and adds the revision trigger.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000005_observation_write_path"
    }
}

const PARTIAL_INDICATOR_INDEX: &str = "CREATE INDEX ix_observation_indicator_id_area_code_period \
     ON observation (indicator_id, area_code, period) WHERE indicator_id IS NOT NULL";

/// The columns whose change is a revision, as a condition on `OLD` and `NEW`.
fn changed(distinct: &str) -> String {
    ["value", "status", "count", "source", "deleted"]
        .iter()
        .map(|c| format!("OLD.{c} {distinct} NEW.{c}"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

const INSERT_REVISION: &str = "INSERT INTO observation_revision (observation_id, value, status, source, deleted, valid_until) \
     VALUES (OLD.id, OLD.value, OLD.status, OLD.source, OLD.deleted, NEW.updated_at);";

fn trigger_sql(backend: DatabaseBackend) -> Vec<String> {
    match backend {
        DatabaseBackend::Postgres => vec![
            format!(
                "CREATE OR REPLACE FUNCTION observation_keep_revision() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN {INSERT_REVISION} RETURN NULL; END $$"
            ),
            format!(
                "CREATE TRIGGER observation_keep_revision AFTER UPDATE ON observation FOR EACH ROW WHEN ({}) \
                 EXECUTE FUNCTION observation_keep_revision()",
                changed("IS DISTINCT FROM")
            ),
        ],
        _ => vec![format!(
            "CREATE TRIGGER observation_keep_revision AFTER UPDATE ON observation FOR EACH ROW WHEN {} \
             BEGIN {INSERT_REVISION} END",
            changed("IS NOT")
        )],
    }
}

/// `DROP INDEX IF EXISTS`, the same statement on both databases.
async fn drop_index(m: &SchemaManager<'_>, name: &'static str) -> Result<(), DbErr> {
    m.get_connection()
        .execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
        .await
        .map(|_| ())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In a transaction on SQLite too: then every statement runs on one connection. Without one,
    /// each goes to a pooled connection of its own, and a connection that has not seen the
    /// `DROP INDEX` yet refuses the `CREATE INDEX` of the same name (SQLite checks names
    /// against the schema it has cached when it prepares the statement).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        drop_index(m, "ix_observation_kpi_id_area_code_period").await?;
        drop_index(m, "ix_observation_indicator_id_area_code_period").await?;
        db.execute_unprepared(PARTIAL_INDICATOR_INDEX).await?;
        m.create_index(index("observation", &["series_key", "area_code", "gender", "period"], true))
            .await?;
        drop_index(m, "ux_observation_series_key_area_code_period_gender").await?;
        for sql in trigger_sql(m.get_database_backend()) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if m.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER IF EXISTS observation_keep_revision ON observation")
                .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS observation_keep_revision()").await?;
        } else {
            db.execute_unprepared("DROP TRIGGER IF EXISTS observation_keep_revision").await?;
        }
        m.create_index(index("observation", &["series_key", "area_code", "period", "gender"], true))
            .await?;
        drop_index(m, "ux_observation_series_key_area_code_gender_period").await?;
        drop_index(m, "ix_observation_indicator_id_area_code_period").await?;
        m.create_index(index("observation", &["kpi_id", "area_code", "period"], false))
            .await?;
        m.create_index(index("observation", &["indicator_id", "area_code", "period"], false))
            .await?;
        Ok(())
    }
}
