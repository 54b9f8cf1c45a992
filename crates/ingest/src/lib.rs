//! Styrhub's key-figure sources: the Kolada client, with paging, retries, a rate limit and a
//! concurrency bound, turning Kolada's rows into domain observations for the store to write.
//!
//! The client only fetches and converts; what to fetch and how to write it (incremental sync
//! with `from_date`, bulk idempotent writes) is the caller's, through
//! [`kolada::KoladaClient::data`], which hands over one parsed page at a time.
//!
//! # Layout
//! - [`error`]: [`IngestError`], the crate's one error type; every source error names its URL.
//! - [`kolada`]: the client. Inside, one file per concept: `client` (configuration, endpoints,
//!   the request loop), `query` (data queries, 25-value chunks, URLs), `paging` (the envelope
//!   and the walk along `next_url`), `retry` (what is retried, backoff with jitter,
//!   `Retry-After`), `rate` (the shared request-rate limiter), `model` (wire types and their
//!   conversion to metadata structs and `NewObservation`s), `stats` (counts).
//! - `testserver` (feature `testserver`): a local Kolada look-alike serving the v3 and v2 shapes
//!   from the shared samples, with scripted faults, for tests here and end-to-end tests of the
//!   binary. Never compiled into the binary.

pub mod error;
pub mod kolada;
#[cfg(feature = "testserver")]
pub mod testserver;

pub use error::IngestError;
