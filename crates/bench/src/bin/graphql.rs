//! The GraphQL benchmark of issue 3: the latency of a whole goal tree (goals → indicators →
//! latest values → status against target → targets) and of a single indicator series, through
//! HTTP on the real router, with the SQL statements each request costs; beside it, the same
//! tree as one hand-written SQL statement through the same pool.
//!
//! ```sh
//! cargo run --release -p styrhub-bench --bin graphql -- --backend sqlite
//! cargo run --release -p styrhub-bench --bin graphql -- --backend postgres://postgres@127.0.0.1:5432/test
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use clap::Parser;
use sea_orm::sqlx;
use serde_json::{json, Value};
use styrhub_api::app::{router, AppState, HttpOptions};
use styrhub_api::synthetic::{self, Size};
use styrhub_bench::{backend_name, fresh_store, Latency};
use styrhub_domain::ports::PackageWriter;

/// The same allocator as the `styrhub` binary, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(about = "Latency of the GraphQL goal tree and of a single series")]
struct Args {
    /// `sqlite`, or a PostgreSQL URL whose server gets a fresh database `styrhub_bench_graphql`.
    #[arg(long, default_value = "sqlite")]
    backend: String,
    /// Goals in the tree.
    #[arg(long, default_value_t = 500)]
    goals: usize,
    /// Indicators per goal.
    #[arg(long, default_value_t = 4)]
    indicators_per_goal: usize,
    /// Years of values per indicator (for the municipality and the whole country).
    #[arg(long, default_value_t = 10)]
    years: i32,
    /// Timed requests per measurement (after a warm-up of a tenth as many).
    #[arg(long, default_value_t = 300)]
    iterations: usize,
    /// How long the second server keeps GraphQL answers (`styrhub serve --graphql-cache-ttl-ms`,
    /// off by default there: this measures what switching it on buys); the first server keeps
    /// none, as `serve` does by default, so every request runs.
    #[arg(long, default_value_t = 1000)]
    graphql_cache_ttl_ms: u64,
    /// Seconds of requests to the server that keeps answers (several times their time to live).
    #[arg(long, default_value_t = 5.0)]
    kept_seconds: f64,
    /// Time only this query (a file) instead, for experiments: what a field costs.
    #[arg(long)]
    query: Option<std::path::PathBuf>,
}

/// One indicator's series for the municipality and the whole country.
const SERIES: &str = r#"query Series($id: Int!) {
  indicator(id: $id) {
    series(areas: ["9999", "0000"]) { area points { period value } }
  }
}"#;

/// The tree as one statement: goal → indicator → its latest value (the digest's latest period)
/// → targets. What a hand-tuned report query would run; the reference for the API's overhead.
const RAW_TREE: &str = "SELECT g.id, g.title, g.kind, i.id, i.title, o.period, o.value, o.source, \
     t.kind, t.comparison, t.reference_area \
     FROM goal g \
     JOIN indicator_goal ig ON ig.goal_id = g.id \
     JOIN indicator i ON i.id = ig.indicator_id \
     LEFT JOIN series_digest d ON d.series_key = 'indicator:' || CAST(i.id AS TEXT) \
       AND d.area_code = '9999' AND d.gender = 'T' \
     LEFT JOIN observation o ON o.series_key = d.series_key AND o.area_code = d.area_code \
       AND o.gender = 'T' AND o.period = d.latest_period \
     LEFT JOIN target t ON t.indicator_id = i.id \
     WHERE g.municipality_id = (SELECT id FROM org_unit WHERE municipality_code = '9999' AND parent_id IS NULL) \
     ORDER BY g.position, g.id, i.position, i.id";

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let size = Size {
        goals: args.goals,
        indicators_per_goal: args.indicators_per_goal,
        years: args.years,
    };
    let (mut store, _) = fresh_store(&args.backend, "styrhub_bench_graphql").await?;
    eprintln!(
        "loading {} goals, {} indicators, {} years of values ({})…",
        size.goals,
        size.goals * size.indicators_per_goal,
        size.years,
        backend_name(&args.backend)
    );
    let package = synthetic::package(size).context("the synthetic package")?;
    store.load_package(&package).await?;
    // Fresh tables have no planner statistics until autovacuum's first pass, up to a minute
    // after a load (on SQLite, never); a running hub has them. The same refresh a large ingest
    // or `Store::migrate` runs, so the bench plans as production does.
    store
        .refresh_statistics()
        .await
        .context("refreshing the planner statistics after the load")?;

    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    let trace_sql = std::env::var_os("BENCH_TRACE_SQL").is_some();
    store.observe_statements(move |sql, elapsed| {
        counter.fetch_add(1, Ordering::Relaxed);
        if trace_sql {
            eprintln!("{:>8.3} ms  {}", elapsed.as_secs_f64() * 1e3, &sql[..sql.len().min(160)]);
        }
    });
    let raw_pool = RawPool::of(&store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = router(AppState::new(store.clone()).with_http(styrhub_bench::bench_http()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    // The same router with `styrhub serve`'s kept GraphQL answers (one second), on its own port.
    let kept_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let kept_addr = kept_listener.local_addr()?;
    let kept_http = HttpOptions {
        graphql_cache_ttl: Duration::from_millis(args.graphql_cache_ttl_ms),
        ..styrhub_bench::bench_http()
    };
    let kept_app = router(AppState::new(store).with_http(kept_http));
    tokio::spawn(async move { axum::serve(kept_listener, kept_app).await });
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/graphql");
    let kept_url = format!("http://{kept_addr}/graphql");

    // Correctness first: the whole tree comes back, every indicator judged.
    let tree_vars = json!({ "m": synthetic::CODE });
    let body = post(&client, &url, synthetic::TREE_QUERY, &tree_vars).await?;
    let nodes = body["data"]["goals"]["nodes"].as_array().context("goals.nodes")?;
    let indicators: Vec<&Value> = nodes
        .iter()
        .flat_map(|g| g["indicators"].as_array().into_iter().flatten())
        .collect();
    ensure!(nodes.len() == size.goals, "{} goals in the answer", nodes.len());
    ensure!(
        indicators.len() == size.goals * size.indicators_per_goal,
        "{} indicators",
        indicators.len()
    );
    ensure!(
        indicators
            .iter()
            .all(|i| i["latestValue"]["value"].is_number() && i["status"]["status"] != "NO_DATA"),
        "every indicator has a latest value and a verdict"
    );
    let first_indicator = indicators[0]["id"].as_i64().context("indicator id")?;
    let series_vars = json!({ "id": first_indicator });
    let series = post(&client, &url, SERIES, &series_vars).await?;
    ensure!(
        series["data"]["indicator"]["series"][1]["points"].as_array().map(Vec::len) == Some(size.years as usize),
        "the series has every year: {series}"
    );

    if let Some(path) = &args.query {
        let query = std::fs::read_to_string(path)?;
        post(&client, &url, &query, &tree_vars).await?;
        let (l, n) = measure(&args, &statements, || send(&client, &url, &query, &tree_vars)).await?;
        println!("{}  {l}  statements/request={n}", path.display());
        return Ok(());
    }
    let (tree, tree_statements) = measure(&args, &statements, || send(&client, &url, synthetic::TREE_QUERY, &tree_vars)).await?;
    ensure!(
        post(&client, &kept_url, synthetic::TREE_QUERY, &tree_vars).await? == body,
        "a kept answer is the answer"
    );
    let (kept_tree, kept_misses) = measure_kept(&args, &statements, || send(&client, &kept_url, synthetic::TREE_QUERY, &tree_vars)).await?;
    let (single, series_statements) = measure(&args, &statements, || send(&client, &url, SERIES, &series_vars)).await?;
    let (kept_single, kept_single_misses) = measure_kept(&args, &statements, || send(&client, &kept_url, SERIES, &series_vars)).await?;
    let rows = raw_pool.tree().await?;
    ensure!(rows == indicators.len(), "{rows} rows from the hand-written statement");
    let raw = measure_raw(&args, || raw_pool.tree()).await?;
    let serialise_ms = executor_floor(&body, args.iterations);

    println!(
        "{} · {} goals · {} indicators · {} years",
        backend_name(&args.backend),
        size.goals,
        size.goals * size.indicators_per_goal,
        size.years
    );
    println!("full tree (GraphQL over HTTP)   {tree}  statements/request={tree_statements}");
    println!(
        "full tree, answers kept {} ms   {kept_tree}  ran (misses)={kept_misses}",
        args.graphql_cache_ttl_ms
    );
    println!("single series (GraphQL)         {single}  statements/request={series_statements}");
    println!(
        "single series, answers kept {} ms {kept_single}  ran (misses)={kept_single_misses}",
        args.graphql_cache_ttl_ms
    );
    println!("full tree, one hand-written SQL {raw}  rows={rows}");
    println!(
        "the tree's answer ({} bytes) as async-graphql values: {serialise_ms:.2} ms of CPU to serialise and drop",
        serde_json::to_vec(&body)?.len()
    );
    Ok(())
}

/// POSTs a query and returns its JSON answer, failing on GraphQL errors.
async fn post(client: &reqwest::Client, url: &str, query: &str, variables: &Value) -> Result<Value> {
    let body: Value = serde_json::from_slice(&send(client, url, query, variables).await?)?;
    ensure!(body.get("errors").is_none(), "GraphQL errors: {}", body["errors"]);
    Ok(body)
}

/// POSTs a query and reads its whole answer without parsing it: the timed part measures the
/// server, not the client's JSON parser ([`measure`] checks answers outside it).
async fn send(client: &reqwest::Client, url: &str, query: &str, variables: &Value) -> Result<bytes::Bytes> {
    Ok(client
        .post(url)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?)
}

/// CPU time this process has used so far (user and system, every thread): with the server in
/// the process, CPU per request is a figure a busy machine does not blur as it does latency.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let ticks: Vec<u64> = rest.split_whitespace().skip(11).take(2).filter_map(|t| t.parse().ok()).collect();
    // Linux reports in clock ticks of 1/100 s (USER_HZ).
    Duration::from_millis(ticks.iter().sum::<u64>() * 10)
}

/// Times `args.iterations` sequential requests after a warm-up; returns the latency and the
/// most SQL statements a request took (any variation is reported).
async fn measure<F, Fut>(args: &Args, statements: &AtomicUsize, mut request: F) -> Result<(Latency, usize)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bytes::Bytes>>,
{
    for _ in 0..(args.iterations / 10).max(3) {
        request().await?;
    }
    let mut samples = Vec::with_capacity(args.iterations);
    let mut per_request = None;
    let cpu = cpu_time();
    for i in 0..args.iterations {
        let before = statements.load(Ordering::Relaxed);
        let start = Instant::now();
        let body = request().await?;
        samples.push(start.elapsed());
        if i % 10 == 0 {
            let v: Value = serde_json::from_slice(&body)?;
            ensure!(
                v.get("errors").is_none() && v["data"].is_object(),
                "GraphQL errors: {}",
                v["errors"]
            );
        }
        let n = statements.load(Ordering::Relaxed) - before;
        if per_request.is_some_and(|p| p != n) {
            eprintln!("  statements per request vary: {per_request:?} then {n}");
        }
        per_request = Some(per_request.map_or(n, |p: usize| p.max(n)));
    }
    eprintln!(
        "  CPU per request (server and client): {:.2} ms",
        (cpu_time() - cpu).as_secs_f64() * 1e3 / args.iterations as f64
    );
    Ok((Latency::of(samples), per_request.unwrap_or_default()))
}

/// Times sequential requests to the server that keeps answers for `args.kept_seconds`, several
/// times its time to live, so that the requests that find the kept answer expired and run the
/// query (the misses, counted by the statements they cost) are among the samples.
async fn measure_kept<F, Fut>(args: &Args, statements: &AtomicUsize, mut request: F) -> Result<(Latency, usize)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bytes::Bytes>>,
{
    let mut samples = Vec::new();
    let mut misses = 0;
    let cpu = cpu_time();
    let until = Instant::now() + Duration::from_secs_f64(args.kept_seconds);
    while Instant::now() < until {
        let before = statements.load(Ordering::Relaxed);
        let start = Instant::now();
        request().await?;
        samples.push(start.elapsed());
        if statements.load(Ordering::Relaxed) > before {
            misses += 1;
        }
    }
    eprintln!(
        "  CPU per request (server and client): {:.2} ms",
        (cpu_time() - cpu).as_secs_f64() * 1e3 / samples.len() as f64
    );
    Ok((Latency::of(samples), misses))
}

async fn measure_raw<F, Fut>(args: &Args, mut run: F) -> Result<Latency>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize>>,
{
    for _ in 0..(args.iterations / 10).max(3) {
        run().await?;
    }
    let mut samples: Vec<Duration> = Vec::with_capacity(args.iterations);
    let cpu = cpu_time();
    for _ in 0..args.iterations {
        let start = Instant::now();
        run().await?;
        samples.push(start.elapsed());
    }
    eprintln!(
        "  CPU per statement (this process: sqlx reading the rows): {:.2} ms",
        (cpu_time() - cpu).as_secs_f64() * 1e3 / args.iterations as f64
    );
    Ok(Latency::of(samples))
}

/// What any answer of this size costs in the GraphQL layer alone, whatever reads it: the
/// tree's answer held as async-graphql's values (as the executor hands it to the HTTP layer),
/// serialised to JSON and dropped, per tree, in ms of this thread's CPU. A floor for the
/// CPU-per-tree goal that no change to the reads can go below while the answer goes through
/// async-graphql's executor.
fn executor_floor(answer: &Value, iterations: usize) -> f64 {
    let mut total = Duration::ZERO;
    for _ in 0..iterations {
        let value = async_graphql::Value::from_json(answer["data"].clone()).expect("a JSON answer is a GraphQL value");
        let response = async_graphql::Response::new(value);
        let start = thread_cpu();
        let bytes = serde_json::to_vec(&response).expect("serialisable");
        drop(response);
        total += thread_cpu() - start;
        std::hint::black_box(bytes);
    }
    total.as_secs_f64() * 1e3 / iterations as f64
}

/// CPU time of the calling thread, in nanoseconds' precision (`CLOCK_THREAD_CPUTIME_ID` through
/// /proc would be too coarse for one serialisation).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns: u64 = stat.split_whitespace().next().and_then(|t| t.parse().ok()).unwrap_or_default();
    Duration::from_nanos(ns)
}

/// sea-orm's own sqlx pool, for the hand-written statement.
enum RawPool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl RawPool {
    fn of(store: &styrhub_store::Store) -> Self {
        let c = store.connection();
        if store.is_postgres() {
            Self::Postgres(c.get_postgres_connection_pool().clone())
        } else {
            Self::Sqlite(c.get_sqlite_connection_pool().clone())
        }
    }

    /// Runs the tree statement and returns its row count (every row is fetched whole).
    async fn tree(&self) -> Result<usize> {
        Ok(match self {
            Self::Sqlite(p) => sqlx::query(RAW_TREE).fetch_all(p).await?.len(),
            Self::Postgres(p) => sqlx::query(RAW_TREE).fetch_all(p).await?.len(),
        })
    }
}
