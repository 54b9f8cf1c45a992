//! The governance rules, as pure functions: no I/O, so they are unit-tested here and used
//! alike by the API (status against target), ingest and the package loader (validation).

pub mod evaluate;
pub mod rollup;
pub mod status;
pub mod trend;
pub mod validate;
