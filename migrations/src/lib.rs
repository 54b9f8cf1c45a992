//! Styrhub's database migrations. They use only sea-query's portable schema builder, so the
//! same migrations run unchanged on SQLite (the embedded default) and PostgreSQL.
//!
//! # Layout
//! - `m20261125_000001_governance`: organisation, governance models, the goal chain,
//!   indicators, targets, follow-ups, assignments, budgets.
//! - `m20261125_000002_observations`: areas, KPIs, observations and their revisions.
//! - `m20261125_000003_series_digest`: each series whole in one row, for fast look-ups.
//! - `m20261125_000004_ingest`: the log of sync runs; organisational units' municipality.
//! - `m20261201_000005_observation_write_path`: fewer, better-ordered observation indexes and
//!   the revision trigger, for the bulk writer.
//! - `m20261201_000007_access`: API tokens (hashed) and the audit log.
//! - `m20261202_000008_observation_keys`: PostgreSQL only: the natural key's columns collated
//!   "C" and the indicator foreign key as triggers that skip Kolada's rows, for the bulk writer.
//! - `m20261203_000009_series_read_model`: the digest's points in the compact form, and each
//!   series' latest and previous value beside them, kept by the writers for reads.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261125_000001_governance;
mod m20261125_000002_observations;
mod m20261125_000003_series_digest;
mod m20261125_000004_ingest;
mod m20261201_000005_observation_write_path;
mod m20261201_000007_access;
mod m20261202_000008_observation_keys;
mod m20261203_000009_series_read_model;
mod m20261203_000010_target_references;
mod m20261203_000011_assignment_result;
mod m20261203_000012_ingest_run_heartbeat;
mod m20261203_000013_ingest_run_removed;
mod m20261203_000014_area_group_member;
mod m20261203_000015_area_group;
mod m20261203_000016_indicator_status;

/// The migrator used by `styrhub migrate`, the server's start-up and the tests.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_governance::Migration),
            Box::new(m20261125_000002_observations::Migration),
            Box::new(m20261125_000003_series_digest::Migration),
            Box::new(m20261125_000004_ingest::Migration),
            Box::new(m20261201_000005_observation_write_path::Migration),
            Box::new(m20261201_000007_access::Migration),
            Box::new(m20261202_000008_observation_keys::Migration),
            Box::new(m20261203_000009_series_read_model::Migration),
            Box::new(m20261203_000010_target_references::Migration),
            Box::new(m20261203_000011_assignment_result::Migration),
            Box::new(m20261203_000012_ingest_run_heartbeat::Migration),
            Box::new(m20261203_000013_ingest_run_removed::Migration),
            Box::new(m20261203_000014_area_group_member::Migration),
            Box::new(m20261203_000015_area_group::Migration),
            Box::new(m20261203_000016_indicator_status::Migration),
        ]
    }
}
