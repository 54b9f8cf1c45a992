//! `styrhub ingest …`: the command-line face of the ingest crate — options into a sync, a
//! progress bar on a terminal (plain log lines otherwise), and a summary at the end.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use styrhub_domain::indicator::IndicatorFilter;
use styrhub_domain::ingest::{RunCounts, RunStatus};
use styrhub_domain::observation::SeriesRef;
use styrhub_domain::ports::{GovernanceReader, IndicatorReader, ObservationWriter, RunLog};
use styrhub_ingest::kolada::{KoladaClient, KoladaConfig};
use styrhub_ingest::sync::{sync_kolada_until, Stop, SyncPorts, SyncSpec};
use styrhub_ingest::sync_config::{parse_areas, parse_kpis, SyncFile};
use styrhub_store::Store;

use crate::config::{FileArgs, KoladaArgs};

/// One line with every count, for the end of a run and for logs.
pub fn summary(c: &RunCounts) -> String {
    format!(
        "requests {}, pages {}, observations fetched {}, inserted {}, updated {}, unchanged {}, removed {}, failed {}",
        c.requests, c.pages, c.fetched, c.written.inserted, c.written.updated, c.written.unchanged, c.removed, c.failed
    )
}

/// Progress: a spinner with the counts on a terminal, a log line every few pages otherwise.
struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(name: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(ProgressStyle::with_template("{spinner} {prefix} {elapsed} {msg}").expect("a valid template"));
            bar.set_prefix(name.to_owned());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self { bar }
    }

    fn update(&self, c: &RunCounts) {
        let line = format!(
            "fetched {}, inserted {}, updated {}, unchanged {}",
            c.fetched, c.written.inserted, c.written.updated, c.written.unchanged
        );
        match &self.bar {
            Some(bar) => bar.set_message(line),
            None => tracing::info!(
                fetched = c.fetched,
                inserted = c.written.inserted,
                updated = c.written.updated,
                unchanged = c.written.unchanged,
                "page written"
            ),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `styrhub ingest kolada`.
pub async fn kolada(store: Store, args: KoladaArgs) -> anyhow::Result<()> {
    let (settings, syncs): (_, Vec<(String, SyncSpec)>) = match &args.config {
        Some(path) => {
            let file = SyncFile::read(path)?;
            let syncs = file
                .sync
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    Ok((
                        b.name.clone().unwrap_or_else(|| format!("sync {}", i + 1)),
                        b.spec(args.full, args.since, args.dry_run)?,
                    ))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            (file.kolada, syncs)
        }
        None => {
            let spec = SyncSpec {
                kpis: parse_kpis(&args.kpi)?,
                areas: parse_areas(&args.municipality)?,
                years: styrhub_ingest::sync::parse_years(args.years.as_deref().unwrap_or_default())?,
                ou: args.ou,
                since: args.since,
                full: args.full,
                dry_run: args.dry_run,
            };
            (Default::default(), vec![("kolada".to_owned(), spec)])
        }
    };
    let defaults = KoladaConfig::default();
    let config = KoladaConfig {
        base_url: args.base_url.clone().or(settings.base_url).unwrap_or(defaults.base_url.clone()),
        requests_per_second: args.rate.or(settings.requests_per_second).unwrap_or(defaults.requests_per_second),
        concurrency: args.concurrency.or(settings.concurrency).unwrap_or(defaults.concurrency),
        max_tries: args.max_tries,
        timeout: Duration::from_secs(args.timeout),
        backoff_base: Duration::from_millis(args.backoff_ms),
        ..defaults
    };
    let total = syncs.len();
    let mut failed = Vec::new();
    // SIGTERM or SIGINT: the page being written commits, the run is recorded as stopped (failed,
    // with where), and the remaining sync blocks are skipped. A second signal exits at once (the
    // open transaction rolls back; the next run marks this one interrupted).
    let (handle, stop) = Stop::channel();
    tokio::spawn(async move {
        let which = crate::shutdown::signal().await;
        tracing::warn!(
            signal = which,
            "stopping after the page being written; a second signal exits at once"
        );
        handle.stop();
        crate::shutdown::signal().await;
        std::process::exit(130);
    });
    for (name, spec) in syncs {
        if stop.requested() {
            failed.push(format!("{name}: not started (stopped)"));
            continue;
        }
        // A client per sync: its request counts are the run's.
        let client = KoladaClient::new(config.clone())?;
        let progress = Progress::new(&name);
        let ports = SyncPorts {
            observations: &store,
            metadata: &store,
            runs: &store,
        };
        let result = sync_kolada_until(&client, ports, &spec, &|c| progress.update(c), &stop).await;
        progress.finish();
        match result {
            Ok(outcome) => {
                let since = outcome.from_date.map(|d| format!(" (changes since {d})")).unwrap_or_default();
                let dry = if spec.dry_run { " [dry run: nothing written]" } else { "" };
                println!("{name}: {}{since}{dry}", summary(&outcome.counts));
            }
            Err(e) => failed.push(format!("{name}: {e}")),
        }
    }
    // Every block runs even when one fails; the exit code and the last line tell.
    match failed.len() {
        0 => Ok(()),
        1 if total == 1 => Err(anyhow::anyhow!(failed.remove(0))),
        n => {
            for f in &failed {
                eprintln!("{f}");
            }
            Err(anyhow::anyhow!("{n} of {total} syncs failed"))
        }
    }
}

/// `styrhub ingest file`.
pub async fn file(store: Store, args: FileArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.path).with_context(|| format!("cannot read {}", args.path.display()))?;
    let is_json = args.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) || text.trim_start().starts_with('{');
    let parsed = if is_json {
        styrhub_ingest::file::parse_kolada_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", args.path.display()))?
    } else {
        // Indicator keys are per municipality: resolve them against every municipality's.
        let mut series: HashMap<(String, String), SeriesRef> = HashMap::new();
        for m in store.municipalities().await? {
            let code = m.municipality_code.clone().unwrap_or_default();
            for i in store
                .indicators(&IndicatorFilter {
                    municipality_id: Some(m.id),
                    ..Default::default()
                })
                .await?
            {
                series.insert((code.clone(), i.key.clone()), i.series());
            }
        }
        let series = Arc::new(series);
        styrhub_ingest::file::parse_csv(&text, &|m, k| series.get(&(m.to_owned(), k.to_owned())).cloned())
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.path.display()))?
    };
    for e in parsed.errors.iter().take(50) {
        eprintln!("{}: {e}", args.path.display());
    }
    if parsed.errors.len() > 50 {
        eprintln!("{}: … and {} more errors", args.path.display(), parsed.errors.len() - 50);
    }
    if !parsed.errors.is_empty() && !args.skip_invalid {
        anyhow::bail!(
            "{}: {} invalid row(s); nothing imported (fix them, or pass --skip-invalid to import the {} valid rows)",
            args.path.display(),
            parsed.errors.len(),
            parsed.observations.len()
        );
    }
    let mut counts = RunCounts {
        fetched: parsed.observations.len() as u64,
        failed: parsed.errors.len() as u64,
        ..Default::default()
    };
    if args.dry_run {
        println!(
            "{}: {} valid row(s), {} invalid [dry run: nothing written]",
            args.path.display(),
            parsed.observations.len(),
            parsed.errors.len()
        );
        return Ok(());
    }
    let parameters = serde_json::json!({ "path": args.path.display().to_string(), "skip_invalid": args.skip_invalid }).to_string();
    let run = store.start_run("file", &parameters, Utc::now()).await?;
    // One batch, one transaction: a file lands whole or not at all.
    match styrhub_ingest::heartbeat::beating(&store, run, store.write_batch(&parsed.observations)).await {
        Ok(w) => {
            counts.written = w;
            store.finish_run(run, RunStatus::Succeeded, &counts, None, Utc::now()).await?;
            styrhub_ingest::statistics::refresh_after(&store, &w).await;
            println!("{}: {}", args.path.display(), summary(&counts));
            Ok(())
        }
        Err(e) => {
            store
                .finish_run(run, RunStatus::Failed, &counts, Some(&e.to_string()), Utc::now())
                .await?;
            Err(anyhow::anyhow!("{}: writing failed: {e}", args.path.display()))
        }
    }
}
