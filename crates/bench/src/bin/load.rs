//! Issue 18's load benchmark: `styrhub ingest file` of a Kolada-shaped national file, through the
//! real binary, beside its twin in the same run: on PostgreSQL a plain `COPY` of the same rows
//! into the same table (`observation`, with its indexes, on a fresh migrated database), on SQLite
//! a raw prepared `INSERT` of the same rows into the same table through the same driver
//! (rusqlite, one transaction). Then an identical re-run (must rewrite nothing), and the import's
//! peak memory (`/usr/bin/time`'s maximum resident set).
//!
//! ```text
//! cargo build --release -p styrhub-api --bin styrhub
//! cargo build --release -p styrhub-bench --bin load
//! target/release/load --backend postgres://postgres@127.0.0.1:5432/postgres --observations 1000000
//! target/release/load --backend sqlite --observations 1000000
//! ```
//!
//! The data: KPIs × the 312 real Kolada areas (290 municipalities, 21 regions, the country) ×
//! `--years` years × T, K and M, cut at `--observations`; every seventh area's value is missing.
//! The file is written once under the temporary folder (not timed) in the import's CSV layout,
//! and beside it the same rows in `observation`'s columns for the twin.

use std::io::{BufRead as _, BufWriter, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use clap::Parser;
use sea_orm::sqlx::Connection as _;
use sea_orm::{ConnectionTrait, Statement};
use styrhub_bench::{backend_name, fresh_store, kolada_areas, Latency, Rng};
use styrhub_store::Store;

#[derive(Parser, Debug)]
#[command(about = "Load benchmark: `styrhub ingest file` beside COPY / a raw insert into the same table")]
struct Args {
    /// `sqlite` or a PostgreSQL URL whose server gets the `styrhub_bench_load_*` databases.
    #[arg(long, default_value = "sqlite")]
    backend: String,
    /// Observations in the file.
    #[arg(long, default_value_t = 1_000_000)]
    observations: usize,
    /// Years per series, ending in 2024.
    #[arg(long, default_value_t = 25)]
    years: usize,
    /// The `styrhub` binary to run.
    #[arg(long, default_value = "target/release/styrhub")]
    styrhub: PathBuf,
    /// Keep the loaded database (`styrhub_bench_load_write`) for other benches.
    #[arg(long)]
    keep: bool,
    /// Skip the identical re-run.
    #[arg(long)]
    no_rerun: bool,
    /// After loading, serve the database with `styrhub serve` and time reads of data new to the
    /// server: random series (REST and GraphQL), a ranking of one KPI over every municipality,
    /// one KPI's whole OData feed.
    #[arg(long)]
    reads: bool,
    /// Requests per read figure.
    #[arg(long, default_value_t = 2_000)]
    requests: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4)]
    connections: usize,
}

const GENDERS: [&str; 3] = ["T", "K", "M"];

/// Writes the import's CSV and the twin's rows (in `observation`'s columns); returns both paths.
fn write_files(dir: &Path, n: usize, years: usize) -> Result<(PathBuf, PathBuf)> {
    let areas = kolada_areas();
    let data = dir.join(format!("national-{n}.csv"));
    let twin = dir.join(format!("national-{n}.twin.csv"));
    if data.exists() && twin.exists() {
        return Ok((data, twin));
    }
    let mut d = BufWriter::with_capacity(1 << 20, std::fs::File::create(&data)?);
    let mut t = BufWriter::with_capacity(1 << 20, std::fs::File::create(&twin)?);
    writeln!(d, "kpi,area,period,gender,value,source")?;
    let stamp = "2026-12-03T00:00:00.000000Z";
    let first_year = 2025 - years as i32;
    let mut i = 0;
    'all: for k in 0.. {
        let kpi = format!("N{:05}", 10_000 + k);
        for (a, area) in areas.iter().enumerate() {
            for y in 0..years {
                for (g, gender) in GENDERS.iter().enumerate() {
                    if i == n {
                        break 'all;
                    }
                    let year = first_year + y as i32;
                    let value =
                        (a % 7 != 3).then(|| ((100.0 * k as f64 + a as f64 + y as f64 / 10.0 + g as f64 / 100.0) * 100.0).round() / 100.0);
                    let v = value.map(|v| format!("{v:?}")).unwrap_or_default();
                    writeln!(d, "{kpi},{area},{year},{gender},{v},kolada")?;
                    // series_key, kpi_id, indicator_id, area_code, period, gender, value, status,
                    // count, source, deleted, updated_at
                    let status = if value.is_none() { "Missing" } else { "" };
                    writeln!(t, "kpi:{kpi},{kpi},,{area},{year},{gender},{v},{status},,kolada,false,{stamp}")?;
                    i += 1;
                }
            }
        }
    }
    d.flush()?;
    t.flush()?;
    Ok((data, twin))
}

/// Runs `styrhub ingest file` on `url`; returns its wall time, peak resident set (MiB) and
/// summary line.
fn import(styrhub: &Path, url: &str, file: &Path) -> Result<(Duration, f64, String)> {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "PEAK_KIB %M"])
        .arg(styrhub)
        .args(["--database-url", url, "ingest", "file"])
        .arg(file)
        .env("RUST_LOG", "warn")
        .output()
        .context("running /usr/bin/time styrhub ingest file")?;
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    ensure!(out.status.success(), "ingest file failed: {stdout}\n{stderr}");
    let kib: f64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("PEAK_KIB "))
        .context("no peak from /usr/bin/time")?
        .trim()
        .parse()?;
    Ok((elapsed, kib / 1024.0, stdout.trim().to_owned()))
}

fn count(summary: &str, name: &str) -> u64 {
    let at = summary
        .find(&format!("{name} "))
        .map(|i| i + name.len() + 1)
        .unwrap_or(summary.len());
    summary[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The twin: the same rows into the same table of a fresh migrated database.
async fn twin(store: &Store, url: &str, file: &Path) -> Result<Duration> {
    const COLUMNS: &str = "series_key, kpi_id, indicator_id, area_code, period, gender, value, status, count, source, deleted, updated_at";
    if store.is_postgres() {
        let pool = store.connection().get_postgres_connection_pool();
        let mut c = pool.acquire().await?;
        let mut f = std::fs::File::open(file)?;
        let start = Instant::now();
        let mut tx = c.begin().await?;
        let mut copy = tx
            .copy_in_raw(&format!("COPY observation ({COLUMNS}) FROM STDIN (FORMAT csv)"))
            .await?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            copy.send(&buf[..n]).await?;
        }
        copy.finish().await?;
        tx.commit().await?;
        Ok(start.elapsed())
    } else {
        let path = url.trim_start_matches("sqlite://").split('?').next().unwrap_or_default().to_owned();
        let file = file.to_owned();
        tokio::task::spawn_blocking(move || -> Result<Duration> {
            let mut conn = rusqlite::Connection::open(&path)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&file)?);
            let start = Instant::now();
            let tx = conn.transaction()?;
            {
                let mut insert = tx.prepare(&format!(
                    "INSERT INTO observation ({COLUMNS}) VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9, ?10)"
                ))?;
                for line in reader.lines() {
                    let line = line?;
                    let f: Vec<&str> = line.split(',').collect();
                    let value: Option<f64> = if f[6].is_empty() { None } else { Some(f[6].parse()?) };
                    let status = (!f[7].is_empty()).then_some(f[7]);
                    let period: i32 = f[4].parse()?;
                    insert.execute(rusqlite::params![f[0], f[1], f[3], period, f[5], value, status, f[9], false, f[11]])?;
                }
            }
            tx.commit()?;
            Ok(start.elapsed())
        })
        .await?
    }
}

async fn scalar(store: &Store, sql: &str) -> Result<i64> {
    let db = store.connection();
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("a row")?;
    Ok(row.try_get_by_index(0)?)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if !args.styrhub.exists() {
        bail!(
            "{} not found: cargo build --release -p styrhub-api --bin styrhub",
            args.styrhub.display()
        );
    }
    let dir = std::env::temp_dir().join("styrhub-bench");
    std::fs::create_dir_all(&dir)?;
    let t = Instant::now();
    let (data, twin_file) = write_files(&dir, args.observations, args.years)?;
    eprintln!("files ready in {:.1} s: {}", t.elapsed().as_secs_f64(), data.display());
    let n = args.observations as f64;
    let name = backend_name(&args.backend);

    let (twin_store, twin_url) = fresh_store(&args.backend, "styrhub_bench_load_twin").await?;
    let twin_time = twin(&twin_store, &twin_url, &twin_file).await?;
    ensure!(scalar(&twin_store, "SELECT COUNT(*) FROM observation").await? == args.observations as i64);
    drop(twin_store);
    if args.backend != "sqlite" {
        let admin = sea_orm::Database::connect(args.backend.as_str()).await?;
        admin
            .execute_unprepared("DROP DATABASE IF EXISTS styrhub_bench_load_twin WITH (FORCE)")
            .await?;
    }

    let (store, url) = fresh_store(&args.backend, "styrhub_bench_load_write").await?;
    let (first, first_peak, summary) = import(&args.styrhub, &url, &data)?;
    ensure!(count(&summary, "inserted") == args.observations as u64, "first load: {summary}");
    ensure!(scalar(&store, "SELECT COUNT(*) FROM observation").await? == args.observations as i64);

    println!("\n{name}, {} observations ({} years a series)", args.observations, args.years);
    println!("| in one run | seconds | values/s | peak MiB |");
    println!("|---|---:|---:|---:|");
    let row = |what: &str, d: Duration, peak: Option<f64>| {
        println!(
            "| {what} | {:.2} | {:.0} | {} |",
            d.as_secs_f64(),
            n / d.as_secs_f64(),
            peak.map(|p| format!("{p:.0}")).unwrap_or_default()
        )
    };
    let twin_label = if args.backend == "sqlite" {
        "twin: a prepared INSERT into `observation` (rusqlite, one transaction)"
    } else {
        "twin: COPY into `observation` with its indexes (one transaction)"
    };
    row(twin_label, twin_time, None);
    row(
        "`styrhub ingest file`, first load (two passes, one transaction)",
        first,
        Some(first_peak),
    );
    if !args.no_rerun {
        let (again, again_peak, summary) = import(&args.styrhub, &url, &data)?;
        ensure!(count(&summary, "unchanged") == args.observations as u64, "re-run: {summary}");
        ensure!(count(&summary, "inserted") + count(&summary, "updated") == 0, "re-run: {summary}");
        row(
            "`styrhub ingest file`, identical re-run (nothing rewritten)",
            again,
            Some(again_peak),
        );
    }
    println!(
        "\nfirst load at {:.0} % of the twin",
        100.0 * twin_time.as_secs_f64() / first.as_secs_f64()
    );
    if store.is_postgres() {
        let size = scalar(&store, "SELECT pg_database_size(current_database())").await? as f64 / (1 << 20) as f64;
        println!("database size {size:.0} MiB: {:.0} MiB per million values", size / n * 1e6);
    }
    if args.reads {
        // Only KPIs whose every area the file holds: the last one may be cut short.
        let kpis = (args.observations / (kolada_areas().len() * args.years * GENDERS.len())).max(1);
        read_figures(&args, &url, kpis).await?;
    }
    drop(store);
    if !args.keep && args.backend != "sqlite" {
        let admin = sea_orm::Database::connect(args.backend.as_str()).await?;
        admin
            .execute_unprepared("DROP DATABASE IF EXISTS styrhub_bench_load_write WITH (FORCE)")
            .await?;
    }
    Ok(())
}

/// Times `requests` (method, path, body) against `base`, `connections` at a time.
async fn timed(base: &str, requests: Vec<(String, Option<String>)>, connections: usize) -> Result<Latency> {
    let client = reqwest::Client::new();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(requests));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, queue, base) = (client.clone(), queue.clone(), base.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            loop {
                let next = queue.lock().expect("the queue").pop();
                let Some((path, body)) = next else { break };
                let start = Instant::now();
                let req = match &body {
                    Some(b) => client
                        .post(format!("{base}{path}"))
                        .header("content-type", "application/json")
                        .body(b.clone()),
                    None => client.get(format!("{base}{path}")),
                };
                let res = req.send().await?;
                ensure!(res.status().is_success(), "{path}: {}", res.status());
                let text = res.text().await?;
                ensure!(!text.contains("\"errors\""), "{path}: {text}");
                samples.push(start.elapsed());
            }
            Ok::<_, anyhow::Error>(samples)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(Latency::of(all))
}

/// Serves the loaded database and times reads of data new to the server.
async fn read_figures(args: &Args, url: &str, kpis: usize) -> Result<()> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(&args.styrhub)
        .args(["--database-url", url, "serve", "--addr", &addr])
        .args([
            "--rate-limit-per-minute",
            "0",
            "--token-rate-limit-per-minute",
            "0",
            "--request-timeout-ms",
            "0",
        ])
        .env("RUST_LOG", "warn")
        .spawn()?;
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        ensure!(started.elapsed() < Duration::from_secs(60), "serve did not answer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let areas = kolada_areas();
    let municipalities: Vec<&String> = areas.iter().filter(|a| !a.starts_with("00")).collect();
    let kpi = |k: usize| format!("N{:05}", 10_000 + k);
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let rest: Vec<(String, Option<String>)> = (0..args.requests)
        .map(|_| {
            (
                format!(
                    "/api/v1/kpis/{}/series?area={}",
                    kpi(rng.below(kpis)),
                    municipalities[rng.below(municipalities.len())]
                ),
                None,
            )
        })
        .collect();
    let graphql: Vec<(String, Option<String>)> = (0..args.requests)
        .map(|_| {
            let q = format!(
                "{{ series(kpi: \"{}\", areas: [\"{}\"]) {{ area points {{ period value }} }} }}",
                kpi(rng.below(kpis)),
                municipalities[rng.below(municipalities.len())]
            );
            ("/graphql".to_owned(), Some(serde_json::json!({ "query": q }).to_string()))
        })
        .collect();
    let all: Vec<&str> = municipalities.iter().map(|m| m.as_str()).collect();
    let group = all.join(",");
    let rankings: Vec<(String, Option<String>)> = (0..args.requests / 10)
        .map(|_| {
            let area = municipalities[rng.below(municipalities.len())];
            (
                format!("/api/v1/kpis/{}/ranking?year=2022&group={group}&area={area}", kpi(rng.below(kpis))),
                None,
            )
        })
        .collect();
    println!("\nreads of data new to the server, {} in flight ({} KPIs):", args.connections, kpis);
    println!("| read | p50 ms | p99 ms |");
    println!("|---|---:|---:|");
    for (what, requests) in [
        ("a random series, REST", rest),
        ("a random series, GraphQL", graphql),
        ("one KPI ranked over the 290 municipalities, REST", rankings),
    ] {
        let l = timed(&base, requests, args.connections).await?;
        println!("| {what} | {:.2} | {:.2} |", l.p50.as_secs_f64() * 1e3, l.p99.as_secs_f64() * 1e3);
    }
    // One KPI's whole feed through its next links, for a KPI no read above asked for.
    let start = Instant::now();
    let mut next = Some(format!("{base}/odata/Observations?$filter=kpi%20eq%20'{}'", kpi(kpis - 1)));
    let mut values = 0usize;
    while let Some(url) = next {
        let page: serde_json::Value = client.get(&url).send().await?.json().await?;
        values += page["value"].as_array().map_or(0, Vec::len);
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    let took = start.elapsed();
    println!(
        "| one KPI's whole OData feed ({values} values) | {:.1} ms in all | {:.0} values/s |",
        took.as_secs_f64() * 1e3,
        values as f64 / took.as_secs_f64()
    );
    let _ = child.kill();
    let _ = child.wait();
    Ok(())
}
