//! The whole-table export (issue 17, point 2): `GET /api/v1/export/observations.csv` of N
//! values (7 million by default) on PostgreSQL, read to its end by a client that keeps nothing,
//! beside its twin in the same run: PostgreSQL's own `COPY (the same SELECT) TO STDOUT WITH CSV`
//! through `psql` to /dev/null, the floor of any CSV export of that statement. Also the gzipped
//! variant, and how soon the first bytes arrive.
//!
//! Memory: this process's peak resident memory (server and client together) before and after
//! the export; flat means the export added nothing that grows with the table.
//!
//! ```sh
//! cargo run --release -p styrhub-bench --bin export -- --backend postgres://postgres@127.0.0.1:5432/postgres
//! ```

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use sea_orm::{ConnectionTrait, Statement};
use styrhub_api::app::{router, AppState};
use styrhub_bench::{bench_http, fresh_store, peak_mib, reset_peak, rss_mib};

#[derive(Parser)]
struct Args {
    /// A PostgreSQL URL whose server gets a fresh `styrhub_bench_export` database.
    #[arg(long)]
    backend: String,
    /// How many values: KPIs × 290 areas × 30 years.
    #[arg(long, default_value_t = 7_000_000)]
    values: u64,
    /// How many KPIs' feeds to read one by one (each new to the server).
    #[arg(long, default_value_t = 7)]
    kpi_feeds: u64,
}

/// A page of an OData feed as this client reads it: every row parsed as JSON and counted,
/// none kept (as the CSV client keeps no line), and the next link.
#[derive(serde::Deserialize)]
struct FeedPage {
    value: Vec<serde::de::IgnoredAny>,
    #[serde(rename = "@odata.nextLink")]
    next: Option<String>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if !args.backend.starts_with("postgres") {
        bail!("the export bench runs on PostgreSQL (its twin is PostgreSQL's COPY)");
    }
    let name = "styrhub_bench_export";
    let (store, url) = fresh_store(&args.backend, name).await?;
    let kpis = args.values.div_ceil(290 * 30);
    let seed = Instant::now();
    // The values are made by the database itself: 290 areas × 30 years per KPI, total only.
    store
        .connection()
        .execute_raw(Statement::from_string(
            store.backend(),
            format!(
                "INSERT INTO observation (series_key, kpi_id, indicator_id, area_code, period, gender, value, status, count, source, deleted, updated_at) \
                 SELECT 'kpi:N' || lpad(k::text, 5, '0'), 'N' || lpad(k::text, 5, '0'), NULL, lpad((1000 + a * 3)::text, 4, '0'), \
                        1995 + y, 'T', round((random() * 100)::numeric, 1)::float8, NULL, NULL, 'kolada', false, now() \
                 FROM generate_series(1, {kpis}) k, generate_series(0, 289) a, generate_series(0, 29) y"
            ),
        ))
        .await?;
    store
        .connection()
        .execute_raw(Statement::from_string(store.backend(), "ANALYZE observation".to_owned()))
        .await?;
    let n: i64 = store
        .connection()
        .query_one_raw(Statement::from_string(
            store.backend(),
            "SELECT COUNT(*) AS n FROM observation".to_owned(),
        ))
        .await?
        .context("a count")?
        .try_get("", "n")?;
    println!("seeded {n} values in {:.1} s", seed.elapsed().as_secs_f64());

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let app = router(AppState::new(store.clone()).with_http(bench_http()));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = reqwest::Client::new();

    // The twin: the same statement's rows as CSV by PostgreSQL itself.
    let sql = "SELECT CAST(t.id AS BIGINT), t.kpi_id, CAST(t.indicator_id AS BIGINT), t.area_code, CAST(t.period AS BIGINT), t.gender, \
               CAST(t.value AS DOUBLE PRECISION), t.status, t.source, t.updated_at FROM observation t \
               WHERE 1 = 1 AND t.deleted = false ORDER BY t.id";
    let copy = Instant::now();
    let out = std::process::Command::new("psql")
        .arg(&url)
        .arg("-qAtc")
        .arg(format!("COPY ({sql}) TO STDOUT WITH CSV HEADER"))
        .stdout(std::process::Stdio::null())
        .status()
        .context("psql runs")?;
    if !out.success() {
        bail!("psql COPY failed");
    }
    let copy = copy.elapsed();

    let before = rss_mib();
    let mut rows = Vec::new();
    for path in ["/api/v1/export/observations.csv", "/api/v1/export/observations.csv.gz"] {
        reset_peak();
        let start = Instant::now();
        let mut res = client.get(format!("http://{addr}{path}")).send().await?;
        let mut first: Option<Duration> = None;
        let (mut bytes, mut lines) = (0u64, 0u64);
        while let Some(chunk) = res.chunk().await? {
            first.get_or_insert(start.elapsed());
            bytes += chunk.len() as u64;
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        }
        rows.push((path, start.elapsed(), first.unwrap_or_default(), bytes, lines, peak_mib()));
    }
    // The OData feed: one KPI (first page, then to the end), and the whole table, following
    // @odata.nextLink as Power BI does.
    // One KPI: several, each read once (new to the server), so that one slow moment of a
    // shared machine does not make the figure; the median is the one to quote.
    let mut feeds = Vec::new();
    let mut paths: Vec<(String, String)> = (1..=args.kpi_feeds.min(kpis))
        .map(|k| {
            (
                format!("one KPI (N{k:05})"),
                format!("/odata/Observations?$filter=kpi%20eq%20'N{k:05}'"),
            )
        })
        .collect();
    paths.push(("the whole table".to_owned(), "/odata/Observations".to_owned()));
    for (what, path) in paths {
        reset_peak();
        let start = Instant::now();
        let mut next = Some(format!("http://{addr}{path}"));
        let (mut values, mut pages, mut first) = (0u64, 0u64, None);
        while let Some(url) = next {
            let bytes = client.get(&url).send().await?.error_for_status()?.bytes().await?;
            let page: FeedPage = serde_json::from_slice(&bytes)?;
            first.get_or_insert(start.elapsed());
            values += page.value.len() as u64;
            pages += 1;
            next = page.next;
        }
        feeds.push((what, values, pages, start.elapsed(), first.unwrap_or_default(), peak_mib()));
    }
    println!();
    println!("| OData feed | values | pages | first page | whole feed | values/s | peak memory (MiB) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut one: Vec<(f64, f64)> = feeds
        .iter()
        .filter(|f| f.0.starts_with("one KPI"))
        .map(|f| (f.4.as_secs_f64() * 1000.0, f.1 as f64 / f.3.as_secs_f64()))
        .collect();
    for (what, values, pages, took, first, peak) in feeds {
        println!(
            "| {what} | {values} | {pages} | {:.1} ms | {:.2} s | {:.0} | {peak:.0} (before: {before:.0}) |",
            first.as_secs_f64() * 1000.0,
            took.as_secs_f64(),
            values as f64 / took.as_secs_f64()
        );
    }
    if !one.is_empty() {
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let mut firsts: Vec<f64> = one.iter().map(|o| o.0).collect();
        let mut rates: Vec<f64> = one.drain(..).map(|o| o.1).collect();
        println!(
            "| one KPI, median of {} | | | {:.1} ms | | {:.0} | |",
            rates.len(),
            median(&mut firsts),
            median(&mut rates)
        );
    }
    println!();
    println!("| what | values | time | values/s | first bytes | size | peak memory (MiB) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    println!(
        "| PostgreSQL `COPY (same SELECT) TO STDOUT WITH CSV` via psql (twin) | {n} | {:.2} s | {:.0} | – | – | – |",
        copy.as_secs_f64(),
        n as f64 / copy.as_secs_f64()
    );
    for (path, took, first, bytes, lines, peak) in rows {
        let values = if path.ends_with(".gz") { n as u64 } else { lines.saturating_sub(1) };
        println!(
            "| Styrhub `{path}` | {values} | {:.2} s | {:.0} | {:.0} ms | {:.0} MiB | {peak:.0} (before: {before:.0}) |",
            took.as_secs_f64(),
            values as f64 / took.as_secs_f64(),
            first.as_secs_f64() * 1000.0,
            bytes as f64 / 1048576.0,
        );
    }
    drop(store);
    let admin = sea_orm::Database::connect(&args.backend).await?;
    admin
        .execute_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        ))
        .await?;
    Ok(())
}
