//! Cheaper index entries for observations on PostgreSQL. Measured with `COPY` of 1,000,000
//! observations into copies of `observation` (docs/BENCHMARKS.md, ingest, fourth round): 6.5 s
//! with the schema before, 4.3 s with both changes below. SQLite is left as it is: it compares
//! text bytewise already, and checks a foreign key only when the column is not null.
//!
//! - The natural key's text columns (`series_key`, `area_code`, `gender`, in `observation` and
//!   `series_digest`) are collated `"C"`: compared bytewise instead of through the database's
//!   locale. The codes are ASCII, so nothing sorts differently; only the index maintenance of
//!   every insert gets cheaper.
//! - The foreign key from `observation.indicator_id` to `indicator` becomes two triggers with
//!   the same effect (an observation must name an existing indicator; deleting an indicator
//!   deletes its observations). A foreign key queues a check for every inserted row, null or
//!   not, and nearly all rows (Kolada's) have no indicator; the trigger's `WHEN` skips them
//!   before anything is queued.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

/// Collates the natural key's columns `"C"` and replaces the indicator foreign key (PostgreSQL).
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000008_observation_keys"
    }
}

/// `ALTER TABLE … ALTER COLUMN … TYPE varchar COLLATE …` for the key columns of `table`.
fn collate(table: &str, collation: &str) -> String {
    let cols: Vec<String> = ["series_key", "area_code", "gender"]
        .iter()
        .map(|c| format!("ALTER COLUMN {c} TYPE varchar COLLATE {collation}"))
        .collect();
    format!("ALTER TABLE {table} {}", cols.join(", "))
}

const UP: &[&str] = &[
    "ALTER TABLE observation DROP CONSTRAINT IF EXISTS fk_observation_indicator_id",
    // The error is the one the foreign key raised, word for word.
    // `FOR KEY SHARE` holds the indicator until this transaction ends, as a foreign key's check
    // does, so that a concurrent delete waits and then removes the new row too.
    "CREATE OR REPLACE FUNCTION observation_indicator_exists() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       PERFORM 1 FROM indicator WHERE id = NEW.indicator_id FOR KEY SHARE; \
       IF NOT FOUND THEN \
         RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', \
           MESSAGE = 'insert or update on table \"observation\" violates foreign key constraint \"fk_observation_indicator_id\"', \
           DETAIL = format('Key (indicator_id)=(%s) is not present in table \"indicator\".', NEW.indicator_id); \
       END IF; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER observation_indicator_exists AFTER INSERT OR UPDATE OF indicator_id ON observation \
     FOR EACH ROW WHEN (NEW.indicator_id IS NOT NULL) EXECUTE FUNCTION observation_indicator_exists()",
    "CREATE OR REPLACE FUNCTION indicator_drop_observations() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN DELETE FROM observation WHERE indicator_id = OLD.id; RETURN NULL; END $$",
    "CREATE TRIGGER indicator_drop_observations AFTER DELETE ON indicator \
     FOR EACH ROW EXECUTE FUNCTION indicator_drop_observations()",
];

const DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS indicator_drop_observations ON indicator",
    "DROP FUNCTION IF EXISTS indicator_drop_observations()",
    "DROP TRIGGER IF EXISTS observation_indicator_exists ON observation",
    "DROP FUNCTION IF EXISTS observation_indicator_exists()",
    "ALTER TABLE observation ADD CONSTRAINT fk_observation_indicator_id FOREIGN KEY (indicator_id) \
     REFERENCES indicator (id) ON DELETE CASCADE",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(&collate("observation", "\"C\"")).await?;
        db.execute_unprepared(&collate("series_digest", "\"C\"")).await?;
        for sql in UP {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        for sql in DOWN {
            db.execute_unprepared(sql).await?;
        }
        db.execute_unprepared(&collate("observation", "pg_catalog.\"default\"")).await?;
        db.execute_unprepared(&collate("series_digest", "pg_catalog.\"default\"")).await?;
        Ok(())
    }
}
