//! What the bench binaries share: a fresh database on either backend, and latency summaries.
//!
//! Each binary in `src/bin/` measures one issue's figures; `docs/BENCHMARKS.md` gives the
//! commands and the results on the project's machine. Timings live here, never in tests.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use sea_orm::{ConnectionTrait, Database, Statement};
use styrhub_api::app::HttpOptions;
use styrhub_api::limits::Limits;
use styrhub_store::Store;

/// A fresh, migrated database for a bench run.
///
/// `backend` is `sqlite` (a new file under the system's temporary folder) or a PostgreSQL URL
/// such as `postgres://postgres@127.0.0.1:5432/test`: a database `name` is (re)created on that
/// server, so a run never measures what an earlier run left behind.
pub async fn fresh_store(backend: &str, name: &str) -> Result<(Store, String)> {
    let url = if backend == "sqlite" {
        let dir = std::env::temp_dir().join("styrhub-bench");
        std::fs::create_dir_all(&dir)?;
        let file = dir.join(format!("{name}.db"));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
        format!("sqlite://{}?mode=rwc", file.display())
    } else if backend.starts_with("postgres") {
        let admin = Database::connect(backend)
            .await
            .with_context(|| format!("connecting to {backend}"))?;
        for sql in [
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            format!("CREATE DATABASE \"{name}\""),
        ] {
            admin.execute_raw(Statement::from_string(admin.get_database_backend(), sql)).await?;
        }
        let (server, _) = backend.rsplit_once('/').context("a PostgreSQL URL ends in /DATABASE")?;
        format!("{server}/{name}")
    } else {
        bail!("backend must be `sqlite` or a postgres:// URL, not {backend:?}");
    };
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    Ok((store, url))
}

/// The HTTP options the benches serve with: `styrhub serve`'s defaults but no rate limits, since
/// one client sends thousands of requests a second and the figures are the service's, not its
/// limiter's refusals.
pub fn bench_http() -> HttpOptions {
    HttpOptions {
        limits: Limits {
            per_address_per_minute: 0,
            per_token_per_minute: 0,
            ..Limits::default()
        },
        ..HttpOptions::default()
    }
}

/// The short name of a backend for reports.
pub fn backend_name(backend: &str) -> &'static str {
    if backend == "sqlite" {
        "SQLite"
    } else {
        "PostgreSQL"
    }
}

/// Latency percentiles of a run of samples.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    /// Samples.
    pub n: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// 99.9th percentile.
    pub p999: Duration,
    /// Slowest.
    pub max: Duration,
}

impl Latency {
    /// Summarises `samples` (any order).
    pub fn of(mut samples: Vec<Duration>) -> Self {
        assert!(!samples.is_empty(), "no samples");
        samples.sort_unstable();
        let at = |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1];
        Self {
            n: samples.len(),
            p50: at(0.50),
            p99: at(0.99),
            p999: at(0.999),
            max: *samples.last().expect("not empty"),
        }
    }
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        write!(
            f,
            "n={} p50={:.3} ms p99={:.3} ms p99.9={:.3} ms max={:.3} ms",
            self.n,
            ms(self.p50),
            ms(self.p99),
            ms(self.p999),
            ms(self.max)
        )
    }
}

/// This process's resident memory now, in MiB (Linux).
pub fn rss_mib() -> f64 {
    proc_status("VmRSS:")
}

/// This process's peak resident memory since the last [`reset_peak`], in MiB (Linux).
pub fn peak_mib() -> f64 {
    proc_status("VmHWM:")
}

fn proc_status(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Starts a new peak-memory window (Linux: writing 5 to `clear_refs` resets `VmHWM`). Without
/// the reset the figure is the process's peak so far, still an upper bound.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The 312 real Kolada areas the test server knows (the country, 21 regions, 290
/// municipalities), by code: the areas of every synthetic national data set.
pub fn kolada_areas() -> Vec<String> {
    styrhub_ingest::testserver::Fixture::sample()
        .municipalities
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect()
}

/// A small deterministic random sequence (xorshift): the same requests in every run.
pub struct Rng(pub u64);

impl Rng {
    /// The next number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
