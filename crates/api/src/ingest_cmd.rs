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
use styrhub_domain::observation::{NewObservation, SeriesRef};
use styrhub_domain::ports::{GovernanceReader, IndicatorReader, ObservationWriter, RunLog};
use styrhub_domain::RepoError;
use styrhub_ingest::file::{read_rows, DataFormat, RowError};
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

/// `ingest file`: a CSV or Kolada JSON file in two passes over it, in memory that does not grow
/// with the file. The first checks every row and reports the bad ones by line, writing
/// nothing; the second reads the file again and writes it in batches of [`FILE_BATCH`] values,
/// all in one transaction: the file lands whole or not at all. A file changed between the
/// passes (a row count that differs, a row that no longer reads) is refused and nothing stays.
pub async fn file(store: Store, args: FileArgs) -> anyhow::Result<()> {
    let path = args.path.clone();
    let shown = path.display().to_string();
    let format = DataFormat::of(&path).with_context(|| format!("cannot read {shown}"))?;
    let resolver = Arc::new(indicator_series(&store, format).await?);

    // The first pass: every row checked, nothing kept but the first errors and the counts.
    let check = {
        let (path, resolver) = (path.clone(), resolver.clone());
        tokio::task::spawn_blocking(move || check_file(&path, format, &resolver))
    };
    let checked = check.await.context("checking the file")??;
    for e in &checked.first_errors {
        eprintln!("{shown}: {e}");
    }
    if checked.invalid > checked.first_errors.len() as u64 {
        eprintln!("{shown}: … and {} more errors", checked.invalid - checked.first_errors.len() as u64);
    }
    if checked.invalid > 0 && !args.skip_invalid {
        anyhow::bail!(
            "{shown}: {} invalid row(s); nothing imported (fix them, or pass --skip-invalid to import the {} valid rows)",
            checked.invalid,
            checked.valid
        );
    }
    let mut counts = RunCounts {
        fetched: checked.valid,
        failed: checked.invalid,
        ..Default::default()
    };
    if args.dry_run {
        println!(
            "{shown}: {} valid row(s), {} invalid [dry run: nothing written]",
            checked.valid, checked.invalid
        );
        return Ok(());
    }
    let parameters = serde_json::json!({ "path": shown, "skip_invalid": args.skip_invalid }).to_string();
    let run = store.start_run("file", &parameters, Utc::now()).await?;
    // The second pass: a reader thread hands batches over a channel two deep, so that at most
    // a few batches are in memory while the store writes them in its one transaction.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<NewObservation>, RepoError>>(2);
    let reader = {
        let resolver = resolver.clone();
        let expected = checked.valid;
        std::thread::spawn(move || feed_file(&path, format, &resolver, expected, &tx))
    };
    let mut batches = rx.into_iter();
    let written = styrhub_ingest::heartbeat::beating(&store, run, store.write_batches(&mut batches)).await;
    drop(batches);
    let _ = reader.join();
    match written {
        Ok(w) => {
            counts.written = w;
            store.finish_run(run, RunStatus::Succeeded, &counts, None, Utc::now()).await?;
            styrhub_ingest::statistics::refresh_after(&store, &w).await;
            println!("{shown}: {}", summary(&counts));
            Ok(())
        }
        Err(e) => {
            store
                .finish_run(run, RunStatus::Failed, &counts, Some(&e.to_string()), Utc::now())
                .await?;
            Err(anyhow::anyhow!("{shown}: writing failed: {e}; nothing imported"))
        }
    }
}

/// Values per batch of `ingest file`'s second pass: large enough that a batch's statements
/// cost little per value, small enough that memory stays a few megabytes.
pub const FILE_BATCH: usize = 50_000;

/// The errors reported in full; the rest are counted.
const ERRORS_SHOWN: usize = 50;

/// What the first pass found.
struct Checked {
    valid: u64,
    invalid: u64,
    first_errors: Vec<RowError>,
}

/// Indicator keys are per municipality: a CSV's are resolved against every municipality's.
/// A Kolada JSON file names KPIs only.
async fn indicator_series(store: &Store, format: DataFormat) -> anyhow::Result<HashMap<(String, String), SeriesRef>> {
    let mut series = HashMap::new();
    if format == DataFormat::KoladaJson {
        return Ok(series);
    }
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
    Ok(series)
}

fn open(path: &std::path::Path) -> anyhow::Result<std::fs::File> {
    std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The first pass.
fn check_file(path: &std::path::Path, format: DataFormat, series: &HashMap<(String, String), SeriesRef>) -> anyhow::Result<Checked> {
    let mut checked = Checked {
        valid: 0,
        invalid: 0,
        first_errors: Vec::new(),
    };
    let resolve = |m: &str, k: &str| series.get(&(m.to_owned(), k.to_owned())).cloned();
    // A bad row is one error, whatever the values it would have given.
    read_rows(open(path)?, format, &resolve, &mut |line, row| match row {
        Ok(_) => checked.valid += 1,
        Err(message) => {
            checked.invalid += 1;
            if checked.first_errors.len() < ERRORS_SHOWN {
                checked.first_errors.push(RowError { line, message });
            }
        }
    })
    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(checked)
}

/// The second pass: the valid rows, in batches, into `tx`; an error (the file changed since the
/// first pass) is sent instead, and ends the write.
fn feed_file(
    path: &std::path::Path,
    format: DataFormat,
    series: &HashMap<(String, String), SeriesRef>,
    expected: u64,
    tx: &std::sync::mpsc::SyncSender<Result<Vec<NewObservation>, RepoError>>,
) {
    let changed = |what: String| {
        RepoError::Invalid(styrhub_domain::DomainError::new(
            "file",
            format!("{} changed while it was imported: {what}", path.display()),
        ))
    };
    let resolve = |m: &str, k: &str| series.get(&(m.to_owned(), k.to_owned())).cloned();
    let mut batch = Vec::with_capacity(FILE_BATCH);
    let mut sent = 0u64;
    // Once the writer has gone (it failed), reading on is of no use.
    let mut gone = false;
    let file = match open(path) {
        Ok(f) => f,
        Err(e) => {
            let _ = tx.send(Err(changed(e.to_string())));
            return;
        }
    };
    let read = read_rows(file, format, &resolve, &mut |_, row| {
        if gone {
            return;
        }
        if let Ok(o) = row {
            batch.push(o);
            sent += 1;
            if batch.len() == FILE_BATCH {
                gone = tx.send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(FILE_BATCH)))).is_err();
            }
        }
    });
    if gone {
        return;
    }
    let last = match read {
        Err(e) => Err(changed(e.to_string())),
        Ok(()) if sent != expected => Err(changed(format!("{expected} valid values when checked, {sent} now"))),
        Ok(()) => Ok(batch),
    };
    let _ = tx.send(last);
}
