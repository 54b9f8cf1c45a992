//! Styrhub's domain: the governance chain of a Swedish municipality and the rules that judge it.
//!
//! This crate knows nothing of HTTP, GraphQL, SQL or Kolada's wire format: those live in
//! `styrhub-api`, `styrhub-store` and `styrhub-ingest`, which translate into these types. CI
//! checks that its dependency tree holds none of sea-orm, axum, async-graphql or reqwest.
//!
//! # Layout
//! - [`ids`]: parsed identifiers and values (`AreaCode`, `KpiId`, `Gender`, `Year`, `DateRange`).
//! - One module per concept of the glossary: [`org_unit`], [`governance_model`], [`vision`],
//!   [`goal`], [`indicator`], [`target`], [`observation`], [`assignment`], [`follow_up`],
//!   [`budget`], [`mission`] (basic missions, quality factors, political directions).
//! - [`rules`]: pure functions: target evaluation, trends, goal roll-ups, validation.
//! - [`series`] and [`compact`]: a whole series, and the compact form it is stored in for reads.
//! - [`package`]: the municipality package (the demo and seed files) and its validation.
//! - [`page`]: pages cut by the database, with keyset cursors.
//! - [`ports`]: the traits persistence implements, by capability.
//! - [`commands`]: the write side's commands, their pure checks and the `GovernanceWriter` port.
//! - [`access`]: roles, the permission rule `may`, tokens and the audit log's types and ports.
//! - [`error`]: the typed errors the ports return.

pub mod access;
pub mod area_group;
pub mod assignment;
pub mod budget;
pub mod commands;
pub mod compact;
pub mod error;
pub mod export;
pub mod follow_up;
pub mod goal;
pub mod governance_model;
pub mod hierarchy;
pub mod ids;
pub mod indicator;
pub mod ingest;
pub mod kpi;
pub mod mission;
pub mod observation;
pub mod org_unit;
pub mod package;
pub mod page;
pub mod ports;
pub mod rules;
pub mod series;
pub mod target;
pub mod vision;

pub use error::{DomainError, RepoError};
