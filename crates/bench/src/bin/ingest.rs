//! Issue 4's ingest benchmark: observations per second and peak memory of the bulk writer
//! (parsed observations to committed rows) and of a whole Kolada sync (HTTP, JSON, writes),
//! next to a raw bulk load of the same rows on the same database.
//!
//! ```text
//! cargo build --release -p styrhub-bench --bin ingest
//! target/release/ingest --backend sqlite --observations 1000000
//! target/release/ingest --backend postgres://postgres@127.0.0.1:5432/postgres --observations 1000000
//! ```
//!
//! Phases, each on a fresh database named `styrhub_bench_ingest_*`:
//!
//! 1. **write path**: generated observations (as the Kolada client parses them) handed to the
//!    store's bulk writer in batches of `--batch`, each its own transaction: a first load, an
//!    identical re-run (must rewrite nothing), and a re-run with `--revised-percent` of the
//!    values changed. Only the writes are timed, not the generation.
//! 2. **raw load**: the same rows into a plain table without indexes: `COPY` on PostgreSQL,
//!    one prepared multi-row `INSERT` executed over and over in one transaction on SQLite.
//! 3. **end to end**: the local Kolada test server, in a child process of its own so that its
//!    fixture does not count towards this process's memory, serves the same observations in
//!    Kolada's v3 shape, 5,000 rows a page; the sync `styrhub ingest kolada` runs fetches them
//!    two requests at a time and writes page by page. Run twice: a first load and a re-run.
//!
//! Peak memory is this process's `VmHWM`, reset before each phase (`/proc/self/clear_refs`),
//! so each figure is that phase's own peak; run with `--observations 100000` to see that it
//! does not grow with the number of rows.

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use chrono::Utc;
use clap::Parser;
use sea_orm::sqlx::{self, Connection as _};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};
use styrhub_bench::{backend_name, fresh_store, peak_mib, reset_peak};
use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource, WriteCounts};
use styrhub_domain::ports::ObservationWriter;
use styrhub_ingest::kolada::{KoladaClient, KoladaConfig};
use styrhub_ingest::sync::{sync_kolada, SyncPorts, SyncSpec};
use styrhub_ingest::testserver::{Fixture, TestServer};
use styrhub_store::Store;

/// The same allocator as the `styrhub` binary, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The years of every series: ten points a series.
const YEARS: std::ops::RangeInclusive<i32> = 2015..=2024;
const GENDERS: [Gender; 3] = [Gender::Total, Gender::Women, Gender::Men];

#[derive(Parser, Debug)]
#[command(about = "Ingest benchmark: the bulk writer, a raw load and a Kolada sync end to end")]
struct Args {
    /// `sqlite` or a PostgreSQL URL whose server gets the `styrhub_bench_ingest_*` databases.
    #[arg(long, default_value = "sqlite")]
    backend: String,
    /// Observations in every phase.
    #[arg(long, default_value_t = 1_000_000)]
    observations: usize,
    /// Observations per write-path batch (a Kolada page of 5,000 rows is up to 15,000).
    #[arg(long, default_value_t = 15_000)]
    batch: usize,
    /// Share of values changed in the revision re-run, in percent.
    #[arg(long, default_value_t = 1.0)]
    revised_percent: f64,
    /// Skip the end-to-end phase.
    #[arg(long)]
    no_end_to_end: bool,
    /// Internal: serve this many observations from the Kolada test server, print its base URL
    /// and run until stdin closes.
    #[arg(long, hide = true)]
    serve: Option<usize>,
}

/// The synthetic data set: KPIs × the 312 real areas × [`YEARS`] × [`GENDERS`], in that
/// nesting, cut at `n` observations.
struct DataSet {
    areas: Vec<String>,
    n: usize,
}

impl DataSet {
    fn new(n: usize) -> Self {
        let areas = styrhub_bench::kolada_areas();
        Self { areas, n }
    }

    fn per_kpi(&self) -> usize {
        self.areas.len() * YEARS.count() * GENDERS.len()
    }

    fn kpi_count(&self) -> usize {
        self.n.div_ceil(self.per_kpi())
    }

    fn kpi_id(k: usize) -> String {
        format!("N{:05}", 10_000 + k)
    }

    /// Observation `i`: (KPI, area, year, gender) and its value, status and count. Every
    /// seventh area is missing (null with status "Missing"), every eleventh row has a count.
    fn point(&self, i: usize) -> (usize, usize, i32, Gender, Option<f64>, Option<i32>) {
        let years = YEARS.count();
        let (k, r) = (i / self.per_kpi(), i % self.per_kpi());
        let (a, r) = (r / (years * 3), r % (years * 3));
        let (y, g) = (r / 3, r % 3);
        let year = YEARS.start() + y as i32;
        let value = (a % 7 != 3).then(|| ((100.0 * k as f64 + a as f64 + y as f64 / 10.0 + g as f64 / 100.0) * 100.0).round() / 100.0);
        let count = (i / 3).is_multiple_of(11).then_some(1);
        (k, a, year, GENDERS[g], value, count)
    }

    /// The observation as the Kolada client would hand it over; `revised` shifts every
    /// `1 / share`-th value.
    fn observation(&self, i: usize, revise_every: Option<usize>) -> NewObservation {
        let (k, a, year, gender, mut value, count) = self.point(i);
        if revise_every.is_some_and(|every| i.is_multiple_of(every)) {
            value = Some(value.unwrap_or(0.0) + 0.5);
        }
        NewObservation {
            series: SeriesRef::Kpi(KpiId::parse(&Self::kpi_id(k)).expect("a valid KPI id")),
            area: AreaCode::parse(&self.areas[a]).expect("a real area code"),
            period: Year::new(year).expect("a valid year"),
            gender,
            value,
            status: value.is_none().then(|| "Missing".to_owned()),
            count,
            source: ValueSource::Kolada,
            deleted: false,
        }
    }

    fn batch(&self, start: usize, len: usize, revise_every: Option<usize>) -> Vec<NewObservation> {
        (start..(start + len).min(self.n))
            .map(|i| self.observation(i, revise_every))
            .collect()
    }

    /// The same observations as Kolada v3 data rows: one row per KPI, area and year with its
    /// gender entries.
    fn fixture(&self) -> Fixture {
        let mut fx = Fixture::sample();
        fx.kpis = (0..self.kpi_count())
            .map(|k| {
                json!({"id": Self::kpi_id(k), "title": format!("Synthetic benchmark KPI {k}"), "is_divided_by_gender": true,
                       "municipality_type": "K", "operating_area": "Benchmark"})
            })
            .collect();
        fx.data.clear();
        fx.oudata.clear();
        for start in (0..self.n).step_by(3) {
            let (k, a, year, ..) = self.point(start);
            let entries: Vec<Value> = (start..(start + 3).min(self.n))
                .map(|i| {
                    let (_, _, _, g, value, count) = self.point(i);
                    let mut e = json!({"gender": g.code(), "value": value, "status": if value.is_none() { "Missing" } else { "" }});
                    if let Some(c) = count {
                        e["count"] = json!(c);
                    }
                    e
                })
                .collect();
            fx.data
                .push(json!({"kpi": Self::kpi_id(k), "period": year, "municipality": self.areas[a], "values": entries}));
        }
        fx
    }
}

/// One line of the report.
struct Row {
    phase: String,
    observations: usize,
    elapsed: Duration,
    counts: Option<WriteCounts>,
    peak_mib: f64,
}

impl Row {
    fn rate(&self) -> f64 {
        self.observations as f64 / self.elapsed.as_secs_f64()
    }
}

fn print_table(backend: &str, rows: &[Row]) {
    println!();
    println!("| {backend} | observations | seconds | observations/s | inserted | updated | unchanged | peak MiB |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let (i, u, n) = r.counts.map_or(("–".into(), "–".into(), "–".into()), |c| {
            (c.inserted.to_string(), c.updated.to_string(), c.unchanged.to_string())
        });
        println!(
            "| {} | {} | {:.2} | {:.0} | {i} | {u} | {n} | {:.0} |",
            r.phase,
            r.observations,
            r.elapsed.as_secs_f64(),
            r.rate(),
            r.peak_mib
        );
    }
}

/// Writes the whole data set through the bulk writer, batch by batch; times only the writes.
async fn write_pass(store: &Store, data: &DataSet, batch: usize, revise_every: Option<usize>) -> Result<(Duration, WriteCounts)> {
    let mut total = WriteCounts::default();
    let mut elapsed = Duration::ZERO;
    for start in (0..data.n).step_by(batch) {
        let rows = data.batch(start, batch, revise_every);
        let t = Instant::now();
        let counts = store.write_batch(&rows).await.context("writing a batch")?;
        elapsed += t.elapsed();
        total.add(counts);
    }
    Ok((elapsed, total))
}

async fn scalar(store: &Store, sql: &str) -> Result<i64> {
    let conn = store.connection();
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql.to_owned()))
        .await?
        .context("no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// Row counts after a phase: observations, revisions, digests.
async fn table_counts(store: &Store) -> Result<(i64, i64, i64)> {
    Ok((
        scalar(store, "SELECT COUNT(*) FROM observation").await?,
        scalar(store, "SELECT COUNT(*) FROM observation_revision").await?,
        scalar(store, "SELECT COUNT(*) FROM series_digest").await?,
    ))
}

fn series_count(data: &DataSet) -> i64 {
    // Every series has all its ten years, but for a cut-off last one.
    data.n.div_ceil(YEARS.count() * GENDERS.len()) as i64 * GENDERS.len() as i64
}

async fn write_path(args: &Args, data: &DataSet, rows: &mut Vec<Row>) -> Result<()> {
    let (store, _) = fresh_store(&args.backend, "styrhub_bench_ingest_write").await?;
    let n = data.n;
    let phases: [(&str, Option<usize>); 3] = [
        ("write path: first load", None),
        ("write path: identical re-run", None),
        (
            "write path: re-run, revised values",
            Some((100.0 / args.revised_percent).round().max(1.0) as usize),
        ),
    ];
    for (phase, revise_every) in phases {
        reset_peak();
        let (elapsed, counts) = write_pass(&store, data, args.batch, revise_every).await?;
        eprintln!("{phase}: {:.2} s, {counts:?}", elapsed.as_secs_f64());
        rows.push(Row {
            phase: format!("{phase} (batches of {})", args.batch),
            observations: n,
            elapsed,
            counts: Some(counts),
            peak_mib: peak_mib(),
        });
        match revise_every {
            None if counts.inserted == 0 => ensure!(
                counts.unchanged == n as u64 && counts.updated == 0,
                "the identical re-run rewrote rows: {counts:?}"
            ),
            None => ensure!(counts.inserted == n as u64, "the first load did not insert every row: {counts:?}"),
            Some(every) => ensure!(
                counts.updated == n.div_ceil(every) as u64 && counts.inserted == 0,
                "the revision re-run should update exactly every {every}th value: {counts:?}"
            ),
        }
    }
    let (obs, revisions, digests) = table_counts(&store).await?;
    eprintln!("after the write path: {obs} observations, {revisions} revisions, {digests} digests");
    ensure!(obs == n as i64, "{obs} observation rows, expected {n}");
    ensure!(
        revisions == rows.last().and_then(|r| r.counts).map_or(0, |c| c.updated as i64),
        "revisions: {revisions}"
    );
    ensure!(digests == series_count(data), "{digests} digests, expected {}", series_count(data));
    // The revised values are in the digests: one series, read back.
    let revised = scalar(
        &store,
        &format!(
            "SELECT COUNT(*) FROM series_digest WHERE series_key = 'kpi:{}' AND area_code = '{}' AND gender = 'T'",
            DataSet::kpi_id(0),
            data.areas[0]
        ),
    )
    .await?;
    ensure!(revised == 1, "the first series has no digest");
    raw_load(&store, data, rows).await
}

/// The same rows into a plain table: the floor of what the database can take.
async fn raw_load(store: &Store, data: &DataSet, rows: &mut Vec<Row>) -> Result<()> {
    const CREATE: &str = "CREATE TABLE raw_observation (series_key TEXT NOT NULL, kpi_id TEXT, indicator_id BIGINT, \
         area_code TEXT NOT NULL, period INTEGER NOT NULL, gender TEXT NOT NULL, value DOUBLE PRECISION, status TEXT, \
         count INTEGER, source TEXT NOT NULL, deleted BOOLEAN NOT NULL)";
    const COLUMNS: &str = "series_key, kpi_id, indicator_id, area_code, period, gender, value, status, count, source, deleted";
    const CHUNK: usize = 15_000;
    reset_peak();
    let conn = store.connection();
    conn.execute_unprepared(CREATE).await?;
    // Generating the observations is not timed, as in the write path; formatting, binding and
    // loading are.
    let mut elapsed = Duration::ZERO;
    let phase;
    if store.is_postgres() {
        phase = "raw load: COPY into a plain table, one transaction";
        let pool = conn.get_postgres_connection_pool();
        let mut c = pool.acquire().await?;
        let t = Instant::now();
        let mut tx = c.begin().await?;
        let mut copy = tx
            .copy_in_raw(&format!("COPY raw_observation ({COLUMNS}) FROM STDIN (FORMAT csv)"))
            .await?;
        elapsed += t.elapsed();
        for start in (0..data.n).step_by(CHUNK) {
            let batch = data.batch(start, CHUNK, None);
            let t = Instant::now();
            let mut csv = String::with_capacity(CHUNK * 64);
            for o in batch {
                let SeriesRef::Kpi(k) = &o.series else {
                    bail!("only KPI series here")
                };
                let value = o.value.map(|v| format!("{v:?}")).unwrap_or_default();
                let count = o.count.map(|c| c.to_string()).unwrap_or_default();
                let status = o.status.as_deref().map(|s| format!("\"{s}\"")).unwrap_or_default();
                csv.push_str(&format!(
                    "\"{}\",\"{k}\",,\"{}\",{},\"{}\",{value},{status},{count},\"kolada\",{}\n",
                    o.series.key(),
                    o.area,
                    o.period.get(),
                    o.gender.code(),
                    o.deleted
                ));
            }
            copy.send(csv.into_bytes()).await?;
            elapsed += t.elapsed();
        }
        let t = Instant::now();
        copy.finish().await?;
        tx.commit().await?;
        elapsed += t.elapsed();
    } else {
        // One statement of ROWS rows, prepared once, run again and again: sqlx hands every
        // statement to SQLite's worker thread, so one row a statement would measure that hop.
        const ROWS: usize = 1_000;
        phase = "raw load: one prepared INSERT (1,000 rows) in one transaction";
        let row = format!("({})", ["?"; 11].join(","));
        let insert = |n: usize| format!("INSERT INTO raw_observation ({COLUMNS}) VALUES {}", vec![row.as_str(); n].join(","));
        let sql = insert(ROWS);
        let pool = conn.get_sqlite_connection_pool();
        let mut c = pool.acquire().await?;
        let t = Instant::now();
        let mut tx = c.begin().await?;
        elapsed += t.elapsed();
        for start in (0..data.n).step_by(ROWS) {
            let batch = data.batch(start, ROWS, None);
            let t = Instant::now();
            let stmt = if batch.len() == ROWS { sql.clone() } else { insert(batch.len()) };
            let mut q = sqlx::query(sqlx::AssertSqlSafe(stmt));
            for o in &batch {
                let SeriesRef::Kpi(k) = &o.series else {
                    bail!("only KPI series here")
                };
                q = q
                    .bind(o.series.key())
                    .bind(k.to_string())
                    .bind(None::<i64>)
                    .bind(o.area.to_string())
                    .bind(o.period.get())
                    .bind(o.gender.code())
                    .bind(o.value)
                    .bind(o.status.clone())
                    .bind(o.count)
                    .bind("kolada")
                    .bind(o.deleted);
            }
            q.execute(&mut *tx).await?;
            elapsed += t.elapsed();
        }
        let t = Instant::now();
        tx.commit().await?;
        elapsed += t.elapsed();
    }
    let loaded = scalar(store, "SELECT COUNT(*) FROM raw_observation").await?;
    ensure!(loaded == data.n as i64, "raw load: {loaded} rows");
    eprintln!("{phase}: {:.2} s", elapsed.as_secs_f64());
    rows.push(Row {
        phase: phase.into(),
        observations: data.n,
        elapsed,
        counts: None,
        peak_mib: peak_mib(),
    });
    conn.execute_unprepared("DROP TABLE raw_observation").await?;
    Ok(())
}

/// Serves the data set until stdin closes (the `--serve` child).
fn serve(n: usize) -> Result<()> {
    let server = TestServer::start(DataSet::new(n).fixture());
    println!("{}", server.base_url());
    std::io::stdout().flush()?;
    let mut sink = String::new();
    while std::io::stdin().read_line(&mut sink)? > 0 {}
    drop(server);
    Ok(())
}

async fn end_to_end(args: &Args, data: &DataSet, rows: &mut Vec<Row>) -> Result<()> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--serve", &data.n.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the test server process")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("the server's stdout")?).read_line(&mut line)?;
    let base_url = line.trim().to_owned();
    ensure!(base_url.starts_with("http://"), "the test server said {line:?}");
    let result = async {
        let (store, _) = fresh_store(&args.backend, "styrhub_bench_ingest_e2e").await?;
        let spec = SyncSpec {
            kpis: (0..data.kpi_count())
                .map(|k| KpiId::parse(&DataSet::kpi_id(k)).expect("valid"))
                .collect(),
            areas: data.areas.clone(),
            years: YEARS.collect(),
            ou: false,
            since: None,
            full: true,
            dry_run: false,
        };
        for phase in ["end to end: first load", "end to end: identical re-run"] {
            // Two requests in flight, no rate limit to speak of: what the local machine can do.
            let client = KoladaClient::new(KoladaConfig {
                base_url: base_url.clone(),
                concurrency: 2,
                requests_per_second: 10_000.0,
                timeout: Duration::from_secs(120),
                ..KoladaConfig::default()
            })?;
            reset_peak();
            let ports = SyncPorts {
                observations: &store,
                metadata: &store,
                runs: &store,
            };
            let t = Instant::now();
            let outcome = sync_kolada(&client, ports, &spec, &|_| {}).await?;
            let elapsed = t.elapsed();
            let c = outcome.counts;
            eprintln!(
                "{phase}: {:.2} s, {} requests, {} pages, {c:?}",
                elapsed.as_secs_f64(),
                c.requests,
                c.pages
            );
            ensure!(c.fetched == data.n as u64, "fetched {} of {}", c.fetched, data.n);
            rows.push(Row {
                phase: format!("{phase} ({} pages, 2 in flight)", c.pages),
                observations: data.n,
                elapsed,
                counts: Some(c.written),
                peak_mib: peak_mib(),
            });
        }
        let (obs, revisions, digests) = table_counts(&store).await?;
        eprintln!("after end to end: {obs} observations, {revisions} revisions, {digests} digests");
        ensure!(
            obs == data.n as i64 && revisions == 0 && digests == series_count(data),
            "end-to-end counts"
        );
        let last = rows.last().and_then(|r| r.counts).unwrap_or_default();
        ensure!(last.unchanged == data.n as u64, "the end-to-end re-run rewrote rows: {last:?}");
        Ok::<_, anyhow::Error>(())
    }
    .await;
    // Closing its stdin ends the server process.
    drop(child.stdin.take());
    let _ = child.wait();
    result
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(n) = args.serve {
        return serve(n);
    }
    ensure!(
        args.observations > 0 && args.batch > 0,
        "--observations and --batch must be positive"
    );
    ensure!(
        args.revised_percent > 0.0 && args.revised_percent <= 100.0,
        "--revised-percent must be in (0, 100]"
    );
    let data = DataSet::new(args.observations);
    eprintln!(
        "{} observations: {} KPIs × {} areas × {} years × 3 genders, on {} ({})",
        data.n,
        data.kpi_count(),
        data.areas.len(),
        YEARS.count(),
        backend_name(&args.backend),
        Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    let mut rows = Vec::new();
    write_path(&args, &data, &mut rows).await?;
    if !args.no_end_to_end {
        end_to_end(&args, &data, &mut rows).await?;
    }
    print_table(backend_name(&args.backend), &rows);
    Ok(())
}
