//! Styrhub's key-figure sources: the Kolada client, with paging, retries, a rate limit and a
//! concurrency bound, turning Kolada's rows into domain observations; the sync that writes
//! them through the domain's ports, run by run; and file imports.
//!
//! The client only fetches and converts; what to fetch and how to write it (incremental sync
//! with `from_date`, bulk idempotent writes) is [`sync`]'s, through
//! [`kolada::KoladaClient::data`], which hands over one parsed page at a time.
//!
//! # Layout
//! - [`error`]: [`IngestError`], the crate's one error type; every source error names its URL.
//! - [`kolada`]: the client. Inside, one file per concept: `client` (configuration, endpoints,
//!   the request loop), `query` (data queries, 25-value chunks, URLs), `paging` (the envelope
//!   and the walk along `next_url`), `retry` (what is retried, backoff with jitter,
//!   `Retry-After`), `rate` (the shared request-rate limiter), `model` (wire types and their
//!   conversion to metadata structs and `NewObservation`s), `stats` (counts).
//! - [`sync`]: a Kolada sync: metadata, then data page by page, recorded as a run; incremental.
//! - `served`: what a full sync was served, one bit a value of its scope, to find removals.
//! - [`statistics`]: the planner's statistics refreshed at the end of a run that wrote many rows.
//! - [`sync_config`]: `sync.toml`, a standing sync of several blocks.
//! - [`file`]: CSV and Kolada-format JSON files, read as streams and checked row by row; KPI metadata files
//!   (Kolada's `/kpi` JSON, a catalogue CSV).
//! - `testserver` (feature `testserver`): a local Kolada look-alike serving the v3 and v2 shapes
//!   from the shared samples, with scripted faults, for tests here and end-to-end tests of the
//!   binary. Never compiled into the binary.

pub mod error;
pub mod file;
pub mod heartbeat;
pub mod kolada;
mod served;
pub mod statistics;
pub mod sync;
pub mod sync_config;
#[cfg(feature = "testserver")]
pub mod testserver;

pub use error::IngestError;
