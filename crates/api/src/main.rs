//! The `styrhub` binary: `migrate`, `demo`, `serve`, `schema`, `healthcheck`, `ingest`, `token`.

use std::process::ExitCode;

use clap::Parser;
use styrhub_api::app::{router, AppState};
use styrhub_api::config::{Cli, Command, IngestCommand};
use styrhub_store::Store;

/// Many small allocations per request (GraphQL values, rows): mimalloc serves them far faster
/// than glibc's allocator, which spent a quarter of a goal tree's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    styrhub_api::telemetry::init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One clear line (plus the causes, on the same line) for the operator.
            let causes: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("styrhub: error: {}", causes.join(": "));
            ExitCode::FAILURE
        }
    }
}

async fn open(url: &str, acquire_timeout_ms: u64) -> anyhow::Result<Store> {
    let store = Store::connect_with(url, std::time::Duration::from_millis(acquire_timeout_ms)).await?;
    store.migrate().await?;
    Ok(store)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Schema => {
            print!("{}", styrhub_api::graphql::sdl());
        }
        Command::Healthcheck(args) => {
            styrhub_api::health::probe(args.addr).await?;
            println!("ok");
        }
        Command::Ingest(cmd) => {
            let store = open(cli.database_url.expose(), cli.db_acquire_timeout_ms).await?;
            match cmd {
                IngestCommand::Kolada(args) => styrhub_api::ingest_cmd::kolada(store, args).await?,
                IngestCommand::File(args) => styrhub_api::ingest_cmd::file(store, args).await?,
            }
        }
        Command::Token(cmd) => {
            let store = open(cli.database_url.expose(), cli.db_acquire_timeout_ms).await?;
            styrhub_api::token_cmd::run(&store, cmd).await?;
        }
        Command::Group(cmd) => {
            let store = open(cli.database_url.expose(), cli.db_acquire_timeout_ms).await?;
            styrhub_api::group_cmd::run(&store, cmd).await?;
        }
        Command::Migrate => {
            open(cli.database_url.expose(), cli.db_acquire_timeout_ms).await?;
            tracing::info!("migrations applied");
        }
        Command::Demo(args) => {
            let store = open(cli.database_url.expose(), cli.db_acquire_timeout_ms).await?;
            let report = styrhub_api::demo::load_all(&store, &args.demo_dir).await?;
            for r in &report.packages {
                println!(
                    "loaded {}: observations {} inserted, {} updated, {} unchanged; {} warning(s)",
                    r.municipality,
                    r.observations.inserted,
                    r.observations.updated,
                    r.observations.unchanged,
                    r.warnings.len()
                );
            }
            if let Some(k) = &report.kolada {
                println!(
                    "loaded Kolada figures (Källa: Kolada): KPIs {} inserted, {} updated, {} unchanged; observations {} inserted, {} updated, {} unchanged",
                    k.kpis.inserted,
                    k.kpis.updated,
                    k.kpis.unchanged,
                    k.observations.inserted,
                    k.observations.updated,
                    k.observations.unchanged
                );
            }
        }
        Command::Serve(args) => {
            let store = open(cli.database_url.expose(), cli.db_acquire_timeout_ms).await?;
            if args.demo {
                styrhub_api::demo::load_all(&store, &args.demo_args.demo_dir).await?;
            }
            let listener = tokio::net::TcpListener::bind(args.addr)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.addr))?;
            tracing::info!(
                addr = %args.addr,
                "styrhub listening; GraphiQL at http://{0}/graphql, REST docs at http://{0}/api/docs",
                args.addr
            );
            let state = if args.replicas.read_database_urls.is_empty() {
                AppState::new(store)
            } else {
                let acquire = std::time::Duration::from_millis(cli.db_acquire_timeout_ms);
                let replicas =
                    styrhub_store::replicas::ReplicaSet::connect(store.clone(), &args.replicas.urls(), args.replicas.options(acquire))
                        .await?;
                replicas.watch();
                for r in replicas.statuses() {
                    tracing::info!(replica = %r.url, up = r.up, lag_ms = ?r.lag.map(|l| l.as_millis()), "read replica");
                }
                AppState::with_replicas(store, replicas)
            };
            let app = router(state.with_http(args.http()));
            // The peer address keys the per-address rate limit. On SIGTERM or SIGINT the
            // listener closes and the requests in flight are answered before the process exits.
            axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
                .with_graceful_shutdown(async {
                    let which = styrhub_api::shutdown::signal().await;
                    tracing::info!(signal = which, "shutting down: finishing the requests in flight");
                })
                .await?;
            tracing::info!("stopped");
        }
    }
    Ok(())
}
