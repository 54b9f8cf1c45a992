//! Styrhub's integration tests: one binary, one harness, two databases.
//!
//! Every test in [`both`] runs on a fresh SQLite file, and again on a fresh PostgreSQL database
//! when `STYRHUB_TEST_DATABASE_URL` is set (CI sets it). The server is the real router on a
//! port chosen by the OS; GraphQL and REST are exercised over HTTP.
//!
//! # Layout
//! - [`helpers`]: `TestDb` (a database per test) and `TestApp` (a running server).
//! - [`access`]: tokens and roles on every mutation, the audit log, revoked tokens, the reads
//!   setting.
//! - [`architecture`]: crate boundaries (the domain crate depends on no framework).
//! - [`chain`]: the GraphQL API over the whole chain, hierarchies, status, statement counts.
//! - [`cli`]: the `styrhub` binary end to end: migrate, demo twice, bad URLs, tokens.
//! - [`dashboard`]: the page at `/` in headless Chromium: the tree, a chart, the CSV download;
//!   and its files' media types and ETags.
//! - [`demo`]: the demo municipality loads, and loads again without changing anything.
//! - [`export`]: whole tables as CSV, gzipped and for Excel, with their filters.
//! - [`faults`]: SIGTERM and SIGKILL of `serve` and `ingest` through the binary, reads during
//!   an ingest, the database lost and back (503, then service without a restart).
//! - [`graphql`]: the demo's goals over HTTP, GraphiQL, the committed schema.
//! - [`groups`]: a municipality's own comparison groups (package, GraphQL, CLI) in group
//!   series, rankings and relative targets, judged as the group was in each year.
//! - [`health`]: `/healthz` and `/readyz`.
//! - [`ingest`]: Kolada syncs and file imports through the binary against a local Kolada server.
//! - [`instances`]: two `styrhub serve` processes and an ingest at once, on one database.
//! - [`kept_answers`]: kept answers off by default; on, forgotten by a committed mutation only.
//! - [`limits`]: hostile filter values, query depth and complexity, malformed and oversized
//!   bodies, timeouts, rate limits, introspection; property tests of REST parameters and CSV.
//! - [`migrations`]: migrations up, down and up again on both databases.
//! - [`mutations`]: GraphQL mutations over HTTP: validation, locking, one transaction each.
//! - [`observations`]: the bulk observation writer: idempotent, revisions, digests, tombstones.
//! - [`odata`]: the OData v4 service: `$metadata`, every entity set through its next links,
//!   each `$filter` operator, pages stable while values are written, errors naming the option.
//! - [`package`]: package loads upsert, keep approved follow-ups locked, and are all or nothing.
//! - [`replicas`]: reads on a real streaming replica (`styrhub_store::testcluster` starts one): a writer reads its
//!   own write, a replica behind the bound or stopped while serving is skipped, `/readyz` and
//!   `/metrics` report it, and `serve --read-database-url` through the binary.
//! - [`readme`]: every GraphQL and REST example of the README, run on the demo.
//! - [`rest`]: the REST API over HTTP: pages and cursors, JSON, CSV and JSON-stat answers read
//!   back by parsing them, problems naming the bad parameter, ETags, compression, CORS, and the
//!   OpenAPI document.
//! - [`snapshots`]: answers of the read path on the demo (OpenAPI, a goal tree, a series in
//!   every format, a goal's status), taken before the read path was rebuilt and kept.
//! - [`webdriver`]: a small WebDriver client (chromedriver on a free port, killed on drop).
//! - [`writes`]: the `GovernanceWriter` port: goals, links, targets, assessments, approvals with
//!   snapshots, assignments; each command checked against the model and written whole or not at all.

mod helpers;

mod access;
mod architecture;
mod chain;
mod cli;
mod dashboard;
mod demo;
mod export;
mod faults;
mod graphql;
mod groups;
mod health;
mod ingest;
mod instances;
mod kept_answers;
mod limits;
mod migrations;
mod mutations;
mod observations;
mod odata;
mod package;
mod readme;
mod replicas;
mod rest;
mod snapshots;
mod statuses;
mod webdriver;
mod writes;
