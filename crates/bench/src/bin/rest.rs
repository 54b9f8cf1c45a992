//! Issue 5: one 30-year series under concurrent load, next to the bare SQL for the same series.
//!
//! Prepares a fresh database (the demo governance chains, 290 areas, 20 key figures, and the
//! measured series: KPI N00973, area 1489, gender T, 1995–2024), serves the real router on
//! 127.0.0.1 and measures, each for `--seconds`:
//!
//! 1. the bare SQL of the series through the store's own pool (sqlx, prepared, as the store runs
//!    it), closed loop with `--connections` tasks: throughput and p50/p99;
//! 2. the same SQL through the store's port (`SeriesReader::digests`: sea-orm, row conversion);
//! 3. HTTP, closed loop: `--connections` keep-alive connections, each sending its next request
//!    when the answer is in: throughput at saturation and p50/p99;
//! 4. HTTP, open loop at `--rate` requests/s: latency from the moment a request was due, so a
//!    stall is counted against every request that waited behind it;
//! 5. when they are on the PATH: `pgbench` with the bare SQL as a custom script (PostgreSQL only)
//!    and `wrk` against the same URL, with the commands printed.
//!
//! The load generators run in this process on their own runtime, and share the machine's cores
//! with the server and the database: every figure is a lower bound of what a server alone would
//! do. `--serve` only prepares and serves, for `wrk` or `perf` run by hand.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clap::Parser;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use sea_orm::sqlx;
use styrhub_api::app::{router, AppState, HttpOptions};
use styrhub_bench::{backend_name, fresh_store, Latency};
use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
use styrhub_domain::kpi::{Area, Kpi};
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource};
use styrhub_domain::ports::{MetadataWriter, ObservationWriter, SeriesReader};
use styrhub_store::Store;
use tokio::runtime::Runtime;

/// The measured series.
const KPI: &str = "N00973";
const AREA: &str = "1489";
const FIRST: i32 = 1995;
const LAST: i32 = 2024;

/// The allocator `styrhub serve` runs with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(about = "Issue 5: one 30-year series under load, beside the bare SQL")]
struct Args {
    /// `sqlite`, or a PostgreSQL URL whose server gets a fresh `styrhub_bench_rest_*` database.
    #[arg(long, default_value = "sqlite")]
    backend: String,
    /// Concurrent connections (HTTP) or tasks (SQL) of the closed-loop runs.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Length of each run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The open-loop rate, requests per second.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Worker threads of the server's runtime (the `styrhub` binary uses one per core).
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// Skip `pgbench` and `wrk` even when they are installed.
    #[arg(long)]
    no_external: bool,
    /// Only prepare and serve (on --port), until interrupted.
    #[arg(long)]
    serve: bool,
    /// The port to serve on; 0 lets the system choose.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The server's series answer cache, in milliseconds (`styrhub serve --series-cache-ttl-ms`,
    /// off by default there too); 0, the default, measures every request reading the database.
    #[arg(long, default_value_t = 0)]
    series_cache_ttl_ms: u64,
}

/// Figures of one run.
struct Run {
    what: String,
    requests: usize,
    elapsed: Duration,
    latency: Latency,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:<44} {:>9.0} /s  {}", self.what, self.per_second(), self.latency)
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    // The server logs as `styrhub serve` does: spans and all.
    styrhub_api::telemetry::init();
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.server_threads)
        .thread_name("server")
        .enable_all()
        .build()?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads)
        .thread_name("client")
        .enable_all()
        .build()?;

    let name = format!("styrhub_bench_rest_{}", std::process::id());
    let (store, url) = server_rt.block_on(async {
        let (store, url) = fresh_store(&args.backend, &name).await?;
        seed(&store).await?;
        anyhow::Ok((store, url))
    })?;
    let result = measure(&args, &server_rt, &client_rt, store, &url);
    if args.backend.starts_with("postgres") {
        // Leave the server as it was, whatever happened: the database was made for this run.
        server_rt.block_on(drop_database(&args.backend, &name))?;
    }
    result
}

/// Serves the store and runs every measurement (or only serves, with `--serve`).
fn measure(args: &Args, server_rt: &Runtime, client_rt: &Runtime, store: Store, url: &str) -> Result<()> {
    let path = format!("/api/v1/kpis/{KPI}/series?area={AREA}&from={FIRST}&to={LAST}&gender=T");
    let addr = server_rt.block_on(serve(store.clone(), args.port, args.series_cache_ttl_ms))?;
    let target = format!("http://{addr}{path}");
    println!("backend {} ({url}); serving {target}", backend_name(&args.backend));
    println!(
        "statements per request: {}",
        server_rt.block_on(statements(&store, &path))?.join("\n  ")
    );
    let body = client_rt.block_on(async {
        let mut c = Client::connect(addr).await?;
        c.get(&path).await
    })?;
    println!("answer: {} bytes", body.len());

    if args.serve {
        println!("serving until interrupted (Ctrl-C)");
        server_rt.block_on(tokio::signal::ctrl_c())?;
        return Ok(());
    }

    let span = Duration::from_secs(args.seconds);
    let runs = [
        server_rt.block_on(raw_sql(&store, args.connections, span))?,
        server_rt.block_on(port_call(&store, args.connections, span))?,
        client_rt.block_on(closed_loop(addr, &path, args.connections, span))?,
        client_rt.block_on(open_loop(addr, &path, args.rate, args.connections, span))?,
    ];
    println!();
    for r in &runs {
        println!("{r}");
    }
    if !args.no_external {
        if store.is_postgres() {
            pgbench(url, args.connections.min(32), args.seconds, None)?;
            pgbench(url, args.connections.min(32), args.seconds, Some(args.rate))?;
        }
        wrk(&target, args.connections, args.seconds)?;
    }
    Ok(())
}

/// The demo chains (indicators sourced from the KPI), 290 areas, 20 key figures with 30 years of
/// totals for 50 areas, and the measured KPI for every area, in total, women and men.
async fn seed(store: &Store) -> Result<()> {
    let demo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo"));
    styrhub_api::demo::load_all(store, &demo).await?;
    let mut areas = vec![Area {
        code: "0000".into(),
        title: "Riket".into(),
        area_type: "L".into(),
        parent: None,
    }];
    // 1489 Alingsås among 289 made-up municipality codes.
    for i in 0..289 {
        let code = if i == 0 { AREA.to_owned() } else { format!("{:04}", 1000 + i * 3) };
        let title = if i == 0 { "Alingsås".to_owned() } else { format!("Kommun {code}") };
        areas.push(Area {
            code,
            title,
            area_type: "K".into(),
            parent: None,
        });
    }
    store.upsert_areas(&areas).await?;
    let mut kpis: Vec<String> = (0..20).map(|i| format!("N{:05}", 10_000 + i * 7)).collect();
    kpis.push(KPI.into());
    store
        .upsert_kpis(
            &kpis
                .iter()
                .map(|id| Kpi {
                    id: id.clone(),
                    title: format!("Nyckeltal {id}, andel (%)"),
                    description: Some("Ett nyckeltal för mätningen.".into()),
                    operating_area: Some("Mätning".into()),
                    municipality_type: Some("K".into()),
                    is_divided_by_gender: Some(true),
                    publication_date: Some("2025-10-01".into()),
                })
                .collect::<Vec<_>>(),
        )
        .await?;
    let value = |k: usize, a: usize, year: i32, g: usize| 40.0 + ((k * 31 + a * 17 + g * 5) % 23) as f64 + f64::from(year - FIRST) * 0.37;
    let mut written = styrhub_domain::observation::WriteCounts::default();
    for (k, kpi) in kpis.iter().enumerate() {
        let (area_count, genders): (usize, &[Gender]) = if kpi == KPI {
            (areas.len(), &[Gender::Total, Gender::Women, Gender::Men])
        } else {
            (50, &[Gender::Total])
        };
        let mut batch = Vec::new();
        for (a, area) in areas.iter().take(area_count).enumerate() {
            for year in FIRST..=LAST {
                for (g, &gender) in genders.iter().enumerate() {
                    batch.push(NewObservation {
                        series: SeriesRef::Kpi(KpiId::parse(kpi)?),
                        area: AreaCode::parse(&area.code)?,
                        period: Year::new(year)?,
                        gender,
                        value: Some(value(k, a, year, g)),
                        status: None,
                        count: None,
                        source: ValueSource::Kolada,
                        deleted: false,
                    });
                }
            }
        }
        written.add(store.write_batch(&batch).await?);
    }
    // As an ingest of this size ends: the planner's statistics refreshed once.
    styrhub_ingest::statistics::refresh_after(store, &written).await;
    Ok(())
}

/// Serves the real router on 127.0.0.1 in the current runtime.
async fn serve(store: Store, port: u16, cache_ttl_ms: u64) -> Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let http = HttpOptions {
        series_cache_ttl: Duration::from_millis(cache_ttl_ms),
        ..styrhub_bench::bench_http()
    };
    let app = router(AppState::new(store).with_http(http));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("server stopped: {e}");
        }
    });
    Ok(addr)
}

/// The statements one request runs, as the store sends them: the request goes to a second
/// server whose store reports them (the measured one does not pay for the observer).
async fn statements(store: &Store, path: &str) -> Result<Vec<String>> {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut observed = store.clone();
    let log = seen.clone();
    observed.observe_statements(move |sql, _| log.lock().expect("not poisoned").push(sql.to_owned()));
    let addr = serve(observed, 0, 0).await?;
    Client::connect(addr).await?.get(path).await?;
    let mut out = seen.lock().expect("not poisoned").clone();
    out.insert(0, out.len().to_string());
    Ok(out)
}

/// The bare SQL of the series, as the store's digest read sends it.
fn bare_sql(postgres: bool) -> String {
    let p = |i: usize| if postgres { format!("${i}") } else { "?".to_owned() };
    format!(
        "SELECT \"series_digest\".\"id\", \"series_digest\".\"series_key\", \"series_digest\".\"area_code\", \
         \"series_digest\".\"gender\", \"series_digest\".\"points\", \"series_digest\".\"latest_period\", \
         \"series_digest\".\"updated_at\" FROM \"series_digest\" WHERE \"series_digest\".\"series_key\" IN ({}) \
         AND \"series_digest\".\"area_code\" IN ({}) AND \"series_digest\".\"gender\" IN ({})",
        p(1),
        p(2),
        p(3)
    )
}

/// Runs `one` in a loop in each of the tasks, each with its own state (`states`), for `span`
/// after a short warm-up that fills the pool and the statement caches; each task records its
/// latencies.
async fn closed<S, F, Fut>(what: String, states: Vec<S>, span: Duration, one: F) -> Result<Run>
where
    S: Send + 'static,
    F: Fn(S) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<S>> + Send,
{
    let warm = Instant::now() + Duration::from_millis(500);
    let end = warm + span;
    let mut handles = Vec::new();
    for state in states {
        let one = one.clone();
        handles.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut state = state;
            loop {
                let t = Instant::now();
                if t >= end {
                    break;
                }
                state = one(state).await?;
                if t >= warm {
                    samples.push(t.elapsed());
                }
            }
            anyhow::Ok(samples)
        }));
    }
    let mut samples = Vec::new();
    for h in handles {
        samples.extend(h.await??);
    }
    Ok(Run {
        what,
        requests: samples.len(),
        elapsed: span,
        latency: Latency::of(samples),
    })
}

/// Run 1: the bare SQL through the store's pool.
async fn raw_sql(store: &Store, tasks: usize, span: Duration) -> Result<Run> {
    let what = format!("bare SQL through the pool, {tasks} tasks");
    let sql: &'static str = Box::leak(bare_sql(store.is_postgres()).into_boxed_str());
    let key = format!("kpi:{KPI}");
    let conn = store.connection();
    if store.is_postgres() {
        let pool = conn.get_postgres_connection_pool().clone();
        closed(what, vec![(); tasks], span, move |()| {
            let pool = pool.clone();
            let key = key.clone();
            async move {
                let rows = sqlx::query(sql).bind(key).bind(AREA).bind("T").fetch_all(&pool).await?;
                check_rows(rows.len())
            }
        })
        .await
    } else {
        let pool = conn.get_sqlite_connection_pool().clone();
        closed(what, vec![(); tasks], span, move |()| {
            let pool = pool.clone();
            let key = key.clone();
            async move {
                let rows = sqlx::query(sql).bind(key).bind(AREA).bind("T").fetch_all(&pool).await?;
                check_rows(rows.len())
            }
        })
        .await
    }
}

fn check_rows(n: usize) -> Result<()> {
    if n != 1 {
        bail!("{n} rows for the series, not 1");
    }
    Ok(())
}

/// Run 2: the same read through the store's port: sea-orm builds the statement and converts rows.
async fn port_call(store: &Store, tasks: usize, span: Duration) -> Result<Run> {
    let store = Arc::new(store.clone());
    closed(format!("store port (sea-orm), {tasks} tasks"), vec![(); tasks], span, move |()| {
        let store = store.clone();
        async move {
            let series = styrhub_domain::observation::SeriesRef::Kpi(styrhub_domain::ids::KpiId::parse(KPI)?);
            let d = store
                .digests(&[series], &[styrhub_domain::ids::AreaCode::parse(AREA)?], &[Gender::Total])
                .await?;
            check_rows(d.len())
        }
    })
    .await
}

/// A keep-alive HTTP/1.1 connection.
struct Client {
    sender: http1::SendRequest<Empty<Bytes>>,
    host: String,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Result<Self> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self {
            sender,
            host: addr.to_string(),
        })
    }

    async fn get(&mut self, path: &str) -> Result<Bytes> {
        self.sender.ready().await?;
        let req = Request::get(path).header(hyper::header::HOST, &self.host).body(Empty::new())?;
        let res = self.sender.send_request(req).await?;
        let status = res.status();
        let body = res.into_body().collect().await?.to_bytes();
        if status != StatusCode::OK {
            bail!("{path} answered {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(body)
    }
}

/// Run 3: HTTP in a closed loop: every connection sends its next request as soon as it has an answer.
async fn closed_loop(addr: SocketAddr, path: &str, connections: usize, span: Duration) -> Result<Run> {
    let mut clients = Vec::new();
    for _ in 0..connections {
        clients.push(Client::connect(addr).await?);
    }
    let path: Arc<str> = path.into();
    closed(
        format!("HTTP closed loop, {connections} connections"),
        clients,
        span,
        move |mut c: Client| {
            let path = path.clone();
            async move {
                c.get(&path).await?;
                Ok(c)
            }
        },
    )
    .await
}

/// Run 4, HTTP in an open loop: a request is due every 1/rate s, waits for a free connection
/// if none is, and its latency runs from when it was due.
async fn open_loop(addr: SocketAddr, path: &str, rate: u64, connections: usize, span: Duration) -> Result<Run> {
    let (tx, rx) = async_channel(connections * 4);
    let mut workers = Vec::new();
    for _ in 0..connections {
        let mut c = Client::connect(addr).await?;
        let rx = rx.clone();
        let path = path.to_owned();
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            while let Ok(due) = rx.recv().await {
                c.get(&path).await?;
                samples.push(due.elapsed());
            }
            anyhow::Ok(samples)
        }));
    }
    drop(rx);
    // The pacer is an OS thread: tokio's timers tick in whole milliseconds, which would add up
    // to a millisecond of lateness to every due time at 1,000 requests/s.
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let start = Instant::now();
    let total = (span.as_secs_f64() * rate as f64) as u32;
    let pacer = std::thread::spawn(move || {
        for i in 0..total {
            let due = start + interval * i;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            // Every request that fell due while this thread slept goes now, stamped with its due time.
            if tx.blocking_send(due).is_err() {
                return;
            }
        }
    });
    tokio::task::spawn_blocking(move || pacer.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the pacer panicked"))?;
    let elapsed = start.elapsed();
    let mut samples = Vec::new();
    for w in workers {
        samples.extend(w.await??);
    }
    Ok(Run {
        what: format!("HTTP open loop at {rate}/s"),
        requests: samples.len(),
        elapsed,
        latency: Latency::of(samples),
    })
}

/// A multi-consumer queue: tokio's receiver behind a lock.
fn async_channel(capacity: usize) -> (tokio::sync::mpsc::Sender<Instant>, Shared) {
    let (tx, rx) = tokio::sync::mpsc::channel(capacity);
    (tx, Shared(Arc::new(tokio::sync::Mutex::new(rx))))
}

#[derive(Clone)]
struct Shared(Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<Instant>>>);

impl Shared {
    async fn recv(&self) -> Result<Instant, ()> {
        self.0.lock().await.recv().await.ok_or(())
    }
}

fn on_path(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// Run 5a: `pgbench` with the bare SQL as a custom script, prepared as sqlx prepares it; with
/// `rate`, open loop at that rate. Per-transaction logs give p50/p99.
fn pgbench(url: &str, clients: usize, seconds: u64, rate: Option<u64>) -> Result<()> {
    if !on_path("pgbench") {
        println!("pgbench: not installed, skipped");
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("styrhub-bench-pgbench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let script = dir.join("series.sql");
    // The statement with its three parameters, which pgbench binds from -D variables as sqlx
    // binds the store's (`:name` is pgbench's syntax for a variable).
    let sql = bare_sql(true).replace("$1", ":key").replace("$2", ":area").replace("$3", ":gender");
    std::fs::write(&script, format!("{sql};\n"))?;
    let mut cmd = Command::new("pgbench");
    cmd.args(["-n", "-M", "prepared", "-j", "2", "-l", "--log-prefix"])
        .arg(dir.join("log"))
        .args(["-D", &format!("key=kpi:{KPI}"), "-D", &format!("area={AREA}"), "-D", "gender=T"])
        .args(["-c", &clients.to_string(), "-T", &seconds.to_string(), "-f"])
        .arg(&script)
        .arg(url);
    if let Some(r) = rate {
        cmd.args(["-R", &r.to_string()]);
    }
    println!("\n$ {}", shown(&cmd));
    let out = cmd.output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text
        .lines()
        .filter(|l| l.starts_with("tps") || l.contains("latency average") || l.contains("number of transactions"))
    {
        println!("  {line}");
    }
    if !out.status.success() {
        bail!("pgbench failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let samples = pgbench_latencies(&dir)?;
    println!("  per-transaction log: {}", Latency::of(samples));
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// The third column of pgbench's per-transaction logs: the latency in microseconds.
fn pgbench_latencies(dir: &Path) -> Result<Vec<Duration>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("log")) {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            if let Some(us) = line.split_whitespace().nth(2).and_then(|v| v.parse::<u64>().ok()) {
                out.push(Duration::from_micros(us));
            }
        }
    }
    Ok(out)
}

/// Run 5b: `wrk` on the series URL: saturation with as many connections as the closed loop.
fn wrk(target: &str, connections: usize, seconds: u64) -> Result<()> {
    if !on_path("wrk") {
        println!("wrk: not installed, skipped");
        return Ok(());
    }
    let mut cmd = Command::new("wrk");
    cmd.args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s"), "--latency", target]);
    println!("\n$ {}", shown(&cmd));
    let out = cmd.output()?;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        println!("  {line}");
    }
    Ok(())
}

fn shown(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn drop_database(admin_url: &str, name: &str) -> Result<()> {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let admin = Database::connect(admin_url).await?;
    admin
        .execute_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        ))
        .await?;
    Ok(())
}
