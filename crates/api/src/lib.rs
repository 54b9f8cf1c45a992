//! Styrhub's HTTP server and the `styrhub` binary's commands.
//!
//! # Layout
//! - [`config`]: the one typed configuration (defaults → `STYRHUB_*` environment → flags).
//! - [`app`]: application state (ports as `Arc<dyn …>`) and the axum router.
//! - [`dashboard`]: the follow-up dashboard at `/`, a page on the public GraphQL API, embedded.
//! - [`graphiql`]: GraphiQL at `GET /graphql`, embedded.
//! - [`embedded`]: serving files embedded in the binary (the dashboard's, GraphiQL's).
//! - [`health`]: `/healthz` and `/readyz`.
//! - [`graphql`]: the GraphQL schema, one file per concept, built in one place.
//! - [`rest`]: the REST API under `/api/v1`, its formats (JSON, CSV, JSON-stat) and its
//!   OpenAPI document, one file per resource.
//! - [`read`]: the read side both protocols call: per-request loaders over the read ports,
//!   indicator statuses and goal attainment.
//! - [`access`]: API tokens (minting, hashing) and the middleware that makes a bearer token the
//!   request's actor; the reads setting.
//! - [`gateway`]: the one door every write goes through; the permission check is in each write's
//!   transaction.
//! - [`answer_cache`]: series and GraphQL answers kept for a moment when switched on (off by default).
//! - [`limits`]: body size, request timeout, GraphQL depth/complexity/introspection, rate limits.
//! - [`error`]: the one mapping from domain errors to HTTP statuses and GraphQL codes.
//! - [`demo`]: loading the municipality packages under `demo/`, then its Kolada figures.
//! - [`synthetic`]: a synthetic municipality of any size, for benchmarks and statement counts.
//! - [`ingest_cmd`]: `styrhub ingest kolada|file`: progress and summaries around the ingest crate.
//! - [`shutdown`]: SIGTERM and SIGINT, for graceful shutdown of `serve` and `ingest`.
//! - [`token_cmd`]: `styrhub token create|list|revoke`.
//! - [`metrics`]: `/metrics` in the Prometheus format, and the middleware that feeds it.
//! - [`telemetry`]: tracing set-up (JSON when not on a terminal).

pub mod access;
pub mod answer_cache;
pub mod app;
pub mod config;
pub mod dashboard;
pub mod demo;
pub mod embedded;
pub mod error;
pub mod gateway;
pub mod graphiql;
pub mod graphql;
pub mod group_cmd;
pub mod health;
pub mod ingest_cmd;
pub mod limits;
pub mod metrics;
pub mod odata;
pub mod read;
pub mod reads;
pub mod rest;
pub mod shutdown;
pub mod synthetic;
pub mod telemetry;
pub mod token_cmd;
