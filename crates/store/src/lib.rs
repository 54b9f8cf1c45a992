//! Styrhub persistence: sea-orm entities, repositories that implement the domain's ports, and
//! the conversions between rows and domain types. SQLite and PostgreSQL alike.
//!
//! # Layout
//! - [`access`]: implements `TokenStore` and `AuditReader`; the writers record audit entries
//!   through it.
//! - `any_of`: long `IN` lists bound as one value.
//! - [`bulk`]: the bulk observation writer: a batch's series read once, diffed in Rust, only the
//!   difference written (COPY on PostgreSQL, rusqlite on the pooled handle on SQLite).
//! - [`db`]: connecting (with one clear error for a bad URL or an unreachable database) and
//!   migrating.
//! - [`entities`]: one row type per table.
//! - [`convert`]: rows → domain types.
//! - [`governance`]: implements `styrhub_domain::ports::GovernanceReader`.
//! - [`indicators`]: implements `styrhub_domain::ports::IndicatorReader`.
//! - [`ingest`]: implements `MetadataWriter` (KPI and area metadata) and `RunLog` (the run log).
//! - `statistics`: the planner's statistics, refreshed after migrations and large ingests.
//! - `statuses`: indicator statuses kept at write time, judged again for what a writer marked.
//! - [`series`]: implements `styrhub_domain::ports::SeriesReader` (series digests, KPI metadata, areas).
//! - [`package`]: implements `styrhub_domain::ports::PackageWriter`, upserting on natural keys.
//! - [`replicas`]: the read ports served by streaming replicas, the primary standing in for any
//!   that is down or behind.
//! - `permit`: a governance write's permission check, inside its transaction, on facts it locks.
//! - `warm`: connections kept for the busiest reads, without sqlx's ping on every release.
//! - [`writes`]: implements `styrhub_domain::ports::GovernanceWriter`: one transaction per
//!   command, permitted and then checked by the domain's rules first; approvals freeze a
//!   snapshot of the values.

pub mod access;
mod any_of;
pub mod bulk;
pub mod convert;
pub mod db;
pub mod entities;
mod export;
pub mod governance;
mod groups;
pub mod indicators;
pub mod ingest;
mod keyset;
mod lists;
mod org_units;
pub mod package;
mod permit;
pub mod replicas;
pub mod series;
mod statistics;
mod statuses;
#[cfg(feature = "testcluster")]
pub mod testcluster;
mod warm;
pub mod writes;

pub use db::{Store, StoreError};
