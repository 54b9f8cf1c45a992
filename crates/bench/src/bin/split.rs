//! Issue 18's split benchmark: how reads divide over API instances and a read replica, and what
//! each part costs per request, on one machine (which cannot show more throughput from more
//! processes, so it shows the division and the cost instead).
//!
//! ```text
//! cargo build --release -p styrhub-api --bin styrhub
//! cargo build --release -p styrhub-bench --bin split
//! target/release/split --observations 1000000 --requests 20000
//! ```
//!
//! It starts a PostgreSQL primary and a streaming replica of its own (`styrhub_store::testcluster`,
//! `fsync = off`), loads `--observations` Kolada-shaped values into the primary through the store's
//! bulk writer, waits for the replica, and then runs the same random-series requests (a
//! different KPI × municipality each, REST) twice:
//!
//! 1. one `styrhub serve` on the primary alone;
//! 2. two `styrhub serve` on the primary with `--read-database-url` the replica, the requests
//!    dealt to the two in turn.
//!
//! For each run: the requests each instance answered (its `/metrics`), where its reads went
//! (`styrhub_database_reads_total`), the transactions each server ran (`pg_stat_database`), and
//! CPU per request of each process: an instance's own (`/proc/PID/stat`), each server's backends
//! (their postmaster's reaped children, read after the instances stop).

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use clap::Parser;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use styrhub_bench::{kolada_areas, Rng};
use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource};
use styrhub_domain::ports::ObservationWriter;
use styrhub_domain::RepoError;
use styrhub_store::testcluster::Cluster;
use styrhub_store::Store;

#[derive(Parser, Debug)]
#[command(about = "Split benchmark: two API instances and a read replica, beside one instance on the primary")]
struct Args {
    /// Values loaded.
    #[arg(long, default_value_t = 1_000_000)]
    observations: usize,
    /// Random-series requests per run.
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// The `styrhub` binary to run.
    #[arg(long, default_value = "target/release/styrhub")]
    styrhub: PathBuf,
}

const YEARS: std::ops::RangeInclusive<i32> = 2000..=2024;
const GENDERS: [Gender; 3] = [Gender::Total, Gender::Women, Gender::Men];

/// Process CPU time (user + system) and that of its reaped children, in seconds.
fn cpu(pid: u32) -> Result<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command (which may hold spaces) in parentheses.
    let rest = &stat[stat.rfind(')').context("a stat line")? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = 100.0; // USER_HZ on Linux
    let n = |i: usize| -> Result<f64> { Ok(f[i].parse::<f64>()? / tick) };
    // utime, stime, cutime, cstime are fields 14–17 of the line, 11–14 after the command.
    Ok((n(11)? + n(12)?, n(13)? + n(14)?))
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("a row")?;
    Ok(row.try_get_by_index(0)?)
}

/// Transactions the server has run in database `styrhub` so far.
async fn transactions(url: &str) -> Result<i64> {
    let db = Database::connect(url).await?;
    let n = scalar(
        &db,
        "SELECT (xact_commit + xact_rollback)::bigint FROM pg_stat_database WHERE datname = 'styrhub'",
    )
    .await?;
    db.close().await.ok();
    Ok(n)
}

struct Instance {
    child: Child,
    base: String,
}

impl Instance {
    async fn start(styrhub: &PathBuf, primary: &str, replica: Option<&str>) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = format!("127.0.0.1:{port}");
        let mut cmd = Command::new(styrhub);
        cmd.args(["--database-url", primary, "serve", "--addr", &addr])
            .args(["--rate-limit-per-minute", "0", "--token-rate-limit-per-minute", "0"])
            .env("RUST_LOG", "warn");
        if let Some(r) = replica {
            cmd.args(["--read-database-url", r]);
        }
        let child = cmd.spawn()?;
        let base = format!("http://{addr}");
        let client = reqwest::Client::new();
        let start = Instant::now();
        loop {
            if let Ok(res) = client.get(format!("{base}/readyz")).send().await {
                let ready: serde_json::Value = res.json().await?;
                let replicas_ready = replica.is_none() || ready["replicas"][0]["usable"] == true;
                if ready["status"] == "ready" && replicas_ready {
                    break;
                }
            }
            ensure!(start.elapsed() < Duration::from_secs(60), "the instance did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self { child, base })
    }

    /// The sum of a counter family's samples in `/metrics` whose line holds `filter`.
    async fn metric(&self, name: &str, filter: &str) -> Result<f64> {
        let text = reqwest::get(format!("{}/metrics", self.base)).await?.text().await?;
        Ok(text
            .lines()
            .filter(|l| l.starts_with(name) && l.contains(filter))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum())
    }

    fn stop(mut self) -> Result<f64> {
        let (own, _) = cpu(self.child.id())?;
        self.child.kill()?;
        self.child.wait()?;
        Ok(own)
    }
}

/// Deals `paths` to `instances` in turn, `connections` at a time; returns the wall time.
async fn run(instances: &[&Instance], paths: &[String], connections: usize) -> Result<Duration> {
    let client = reqwest::Client::new();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let bases: Vec<String> = instances.iter().map(|i| i.base.clone()).collect();
    let paths = std::sync::Arc::new(paths.to_vec());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, next, bases, paths) = (client.clone(), next.clone(), bases.clone(), paths.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(path) = paths.get(i) else { break };
                let res = client.get(format!("{}{path}", bases[i % bases.len()])).send().await?;
                ensure!(res.status().is_success(), "{path}: {}", res.status());
                res.bytes().await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(start.elapsed())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    ensure!(
        args.styrhub.exists(),
        "{} not found: cargo build --release -p styrhub-api --bin styrhub",
        args.styrhub.display()
    );
    let cluster = Cluster::start();
    let admin = Database::connect(cluster.primary_url("postgres")).await?;
    admin.execute_unprepared("CREATE DATABASE styrhub").await?;
    admin.close().await.ok();
    let (primary, replica) = (cluster.primary_url("styrhub"), cluster.replica_url("styrhub"));
    let store = Store::connect(&primary).await?;
    store.migrate().await?;

    // Kolada-shaped values: KPIs × the 312 areas × 25 years × T, K, M.
    let areas = kolada_areas();
    let per_kpi = areas.len() * YEARS.count() * GENDERS.len();
    let kpis = args.observations.div_ceil(per_kpi);
    let t = Instant::now();
    let mut batches = (0..kpis).map(|k| -> Result<Vec<NewObservation>, RepoError> {
        let kpi = KpiId::parse(&format!("N{:05}", 10_000 + k)).map_err(RepoError::Invalid)?;
        let mut batch = Vec::with_capacity(per_kpi);
        for (a, area) in areas.iter().enumerate() {
            for year in YEARS {
                for (g, gender) in GENDERS.iter().enumerate() {
                    batch.push(NewObservation {
                        series: SeriesRef::Kpi(kpi.clone()),
                        area: AreaCode::parse(area).map_err(RepoError::Invalid)?,
                        period: Year::new(year).map_err(RepoError::Invalid)?,
                        gender: *gender,
                        value: Some((k * 1000 + a) as f64 + f64::from(year - 2000) / 10.0 + g as f64 / 100.0),
                        status: None,
                        count: None,
                        source: ValueSource::Kolada,
                        deleted: false,
                    });
                }
            }
        }
        Ok(batch)
    });
    let written = store.write_batches(&mut batches).await?;
    store.refresh_statistics().await?;
    eprintln!("loaded {} values in {:.1} s", written.inserted, t.elapsed().as_secs_f64());
    // The replica has caught up when it has replayed the primary's position.
    let lsn: String = {
        let row = store
            .connection()
            .query_one_raw(Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT pg_current_wal_lsn()::text",
            ))
            .await?
            .context("a row")?;
        row.try_get_by_index(0)?
    };
    let replica_db = Database::connect(replica.as_str()).await?;
    let start = Instant::now();
    while scalar(
        &replica_db,
        &format!("SELECT CASE WHEN pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn THEN 1::int8 ELSE 0::int8 END"),
    )
    .await?
        == 0
    {
        ensure!(start.elapsed() < Duration::from_secs(300), "the replica did not catch up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    replica_db.close().await.ok();
    drop(store);

    let municipalities: Vec<&String> = areas.iter().filter(|a| !a.starts_with("00")).collect();
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut paths = || -> Vec<String> {
        (0..args.requests)
            .map(|_| {
                let k = rng.below(kpis);
                let a = rng.below(municipalities.len());
                format!("/api/v1/kpis/N{:05}/series?area={}", 10_000 + k, municipalities[a])
            })
            .collect()
    };

    println!(
        "\n{} values, {} random-series requests per run, {} in flight; both servers on this machine",
        written.inserted, args.requests, args.connections
    );
    println!("| run | requests/s | instance: requests, reads on primary / replica, CPU ms a request | primary: transactions, backends' CPU ms a request | replica: transactions, backends' CPU ms a request |");
    println!("|---|---:|---|---|---|");
    for with_replica in [false, true] {
        let (p0, r0) = (transactions(&primary).await?, transactions(&replica).await?);
        let (_, pc0) = cpu(cluster.primary_pid())?;
        let (_, rc0) = cpu(cluster.replica_pid())?;
        let instances = if with_replica {
            vec![
                Instance::start(&args.styrhub, &primary, Some(&replica)).await?,
                Instance::start(&args.styrhub, &primary, Some(&replica)).await?,
            ]
        } else {
            vec![Instance::start(&args.styrhub, &primary, None).await?]
        };
        let took = run(&instances.iter().collect::<Vec<_>>(), &paths(), args.connections).await?;
        let mut shown = Vec::new();
        for i in &instances {
            let requests = i.metric("styrhub_http_requests_total", "/api/v1/kpis/{kpi}/series").await?;
            let on_primary = i.metric("styrhub_database_reads_total", "database=\"primary\"").await?;
            let on_replica = i.metric("styrhub_database_reads_total", "database=\"postgres://").await?;
            shown.push((requests, on_primary, on_replica));
        }
        let (p1, r1) = (transactions(&primary).await?, transactions(&replica).await?);
        let mut cells = Vec::new();
        for (i, (requests, on_primary, on_replica)) in instances.into_iter().zip(shown) {
            let own = i.stop()?;
            let reads = if with_replica {
                format!("{on_primary:.0} / {on_replica:.0}")
            } else {
                "all on the primary".to_owned()
            };
            cells.push(format!("{requests:.0}, {reads}, {:.3}", own * 1e3 / requests.max(1.0)));
        }
        // The instances' connections are closed: their backends have exited and been reaped.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (_, pc1) = cpu(cluster.primary_pid())?;
        let (_, rc1) = cpu(cluster.replica_pid())?;
        let n = args.requests as f64;
        println!(
            "| {} | {:.0} | {} | {}, {:.3} | {}, {:.3} |",
            if with_replica {
                "two instances, reads on the replica"
            } else {
                "one instance on the primary"
            },
            n / took.as_secs_f64(),
            cells.join("; "),
            p1 - p0,
            (pc1 - pc0) * 1e3 / n,
            r1 - r0,
            (rc1 - rc0) * 1e3 / n,
        );
    }
    Ok(())
}
