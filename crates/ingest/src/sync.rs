//! A Kolada sync: metadata first, then the data page by page, each page one transaction, the
//! whole run recorded. Incremental by default: the last successful run with the same
//! parameters (or `--since`) becomes Kolada's `from_date`; `full` re-reads everything. A
//! [`Stop`] ends a sync between two pages ([`sync_kolada_until`]), recorded as failed with where.

use std::sync::Mutex;

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use styrhub_domain::ids::KpiId;
use styrhub_domain::ingest::{RunCounts, RunStatus};
use styrhub_domain::kpi::Area;
use styrhub_domain::observation::{NewObservation, ObservationKey, SeriesRef, ValueSource};
use styrhub_domain::ports::{MetadataWriter, ObservationWriter, RunLog};

use crate::error::IngestError;
use crate::kolada::{DataQuery, KoladaClient};
use crate::served::Served;

/// The source name runs are recorded under.
pub const SOURCE: &str = "kolada";

/// What to sync.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncSpec {
    /// KPIs.
    pub kpis: Vec<KpiId>,
    /// Municipality (or region, 0000, group) codes; with `ou`, the municipalities whose
    /// organisational units to sync.
    pub areas: Vec<String>,
    /// Years.
    pub years: Vec<i32>,
    /// Organisational-unit data instead of municipal data.
    pub ou: bool,
    /// Only values changed since this day (overrides the last successful run).
    pub since: Option<NaiveDate>,
    /// Ignore earlier runs: read everything.
    pub full: bool,
    /// Fetch and count, write nothing.
    pub dry_run: bool,
}

/// The parameters that identify a sync: runs with equal parameters continue each other.
#[derive(Serialize)]
struct Parameters<'a> {
    kpis: Vec<&'a str>,
    areas: Vec<&'a str>,
    years: Vec<i32>,
    ou: bool,
}

impl SyncSpec {
    /// The normalised parameters as JSON (sorted, deduplicated).
    pub fn parameters(&self) -> String {
        let mut kpis: Vec<&str> = self.kpis.iter().map(|k| k.as_str()).collect();
        kpis.sort_unstable();
        kpis.dedup();
        let mut areas: Vec<&str> = self.areas.iter().map(String::as_str).collect();
        areas.sort_unstable();
        areas.dedup();
        let mut years = self.years.clone();
        years.sort_unstable();
        years.dedup();
        serde_json::to_string(&Parameters {
            kpis,
            areas,
            years,
            ou: self.ou,
        })
        .expect("parameters serialise")
    }
}

/// Parses `2015-2024` or `2019,2021,2023` into years, oldest first.
pub fn parse_years(s: &str) -> Result<Vec<i32>, IngestError> {
    let bad = || {
        IngestError::Invalid(format!(
            "--years: `{s}` is not a year range such as 2015-2024 or a list such as 2019,2021"
        ))
    };
    let year = |t: &str| t.trim().parse::<i32>().ok().filter(|y| (1900..=2200).contains(y)).ok_or_else(bad);
    let mut years: Vec<i32> = if let Some((a, b)) = s.split_once('-') {
        let (a, b) = (year(a)?, year(b)?);
        if b < a {
            return Err(IngestError::Invalid(format!("--years: {s} ends before it starts")));
        }
        (a..=b).collect()
    } else {
        s.split(',').filter(|t| !t.trim().is_empty()).map(year).collect::<Result<_, _>>()?
    };
    years.sort_unstable();
    years.dedup();
    if years.is_empty() {
        return Err(bad());
    }
    Ok(years)
}

/// Where a sync writes.
#[derive(Clone, Copy)]
pub struct SyncPorts<'a> {
    /// Observations.
    pub observations: &'a dyn ObservationWriter,
    /// KPI and area metadata.
    pub metadata: &'a dyn MetadataWriter,
    /// The run log.
    pub runs: &'a dyn RunLog,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncOutcome {
    /// The recorded run (none in a dry run).
    pub run_id: Option<i64>,
    /// The `from_date` used, if incremental.
    pub from_date: Option<NaiveDate>,
    /// The counts.
    pub counts: RunCounts,
}

/// A request to stop a sync between two pages (from a signal handler, say).
#[derive(Debug, Clone)]
pub struct Stop(tokio::sync::watch::Receiver<bool>);

/// The side that asks a [`Stop`] to stop.
#[derive(Debug)]
pub struct StopHandle(tokio::sync::watch::Sender<bool>);

impl Stop {
    /// A stop and the handle that triggers it.
    pub fn channel() -> (StopHandle, Stop) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (StopHandle(tx), Stop(rx))
    }

    /// A stop that never triggers.
    pub fn never() -> Stop {
        Stop::channel().1
    }

    /// Whether a stop was asked for.
    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once a stop is asked for (never, when the handle is gone unused).
    async fn wait(&self) {
        let mut rx = self.0.clone();
        if rx.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl StopHandle {
    /// Asks the sync to stop after the page it is writing.
    pub fn stop(&self) {
        // No receiver left means no sync left to stop.
        let _ = self.0.send(true);
    }
}

/// Runs a sync, calling `progress` after every page. On failure the run is recorded as failed
/// with the error, and what was written before stays written: every page is one transaction,
/// and the writes are idempotent, so running again completes it. A run that inserted or updated
/// many rows refreshes the planner's statistics at its end ([`crate::statistics`]).
pub async fn sync_kolada(
    client: &KoladaClient,
    ports: SyncPorts<'_>,
    spec: &SyncSpec,
    progress: &(dyn Fn(&RunCounts) + Send + Sync),
) -> Result<SyncOutcome, IngestError> {
    sync_kolada_until(client, ports, spec, progress, &Stop::never()).await
}

/// [`sync_kolada`] that stops when `stop` asks: the page being written is committed, nothing
/// after it is, and the run is recorded as failed with an error saying how far it got (pages,
/// the last page written) and that running the same sync again completes it. Requests in flight
/// are dropped.
pub async fn sync_kolada_until(
    client: &KoladaClient,
    ports: SyncPorts<'_>,
    spec: &SyncSpec,
    progress: &(dyn Fn(&RunCounts) + Send + Sync),
    stop: &Stop,
) -> Result<SyncOutcome, IngestError> {
    if spec.kpis.is_empty() || spec.areas.is_empty() || spec.years.is_empty() {
        return Err(IngestError::Invalid("a sync needs KPIs, municipalities and years".into()));
    }
    let write = |e: styrhub_domain::RepoError| IngestError::Write(e.to_string());
    let parameters = spec.parameters();
    let from_date = match (spec.full, spec.since) {
        (true, _) => None,
        (false, Some(d)) => Some(d),
        // The day the last successful run started: anything changed since then is fetched
        // again, so a value revised during that run is not missed.
        (false, None) => ports
            .runs
            .last_success(SOURCE, &parameters)
            .await
            .map_err(write)?
            .map(|r| r.started_at.date_naive()),
    };
    let run_id = if spec.dry_run {
        None
    } else {
        Some(ports.runs.start_run(SOURCE, &parameters, Utc::now()).await.map_err(write)?)
    };
    let counts = Mutex::new(RunCounts::default());
    let work = run(client, ports, spec, from_date, &counts, progress, stop);
    let result = match run_id {
        Some(id) => crate::heartbeat::beating(ports.runs, id, work).await,
        None => work.await,
    };
    let mut counts = *counts.lock().expect("counts lock");
    let stats = client.stats();
    counts.requests = stats.requests;
    counts.pages = stats.pages;
    if let Some(id) = run_id {
        let (status, error) = match &result {
            Ok(()) => (RunStatus::Succeeded, None),
            Err(e) => (RunStatus::Failed, Some(e.to_string())),
        };
        ports
            .runs
            .finish_run(id, status, &counts, error.as_deref(), Utc::now())
            .await
            .map_err(write)?;
        // Also after a failed or stopped run: what it wrote before stays written.
        crate::statistics::refresh_after(ports.observations, &counts.written).await;
    }
    result.map(|()| SyncOutcome { run_id, from_date, counts })
}

async fn run(
    client: &KoladaClient,
    ports: SyncPorts<'_>,
    spec: &SyncSpec,
    from_date: Option<NaiveDate>,
    counts: &Mutex<RunCounts>,
    progress: &(dyn Fn(&RunCounts) + Send + Sync),
    stop: &Stop,
) -> Result<(), IngestError> {
    let write = |e: styrhub_domain::RepoError| IngestError::Write(e.to_string());
    let stopped_before = |what: &str| IngestError::Stopped(format!("before {what}; nothing of the data was written"));
    if stop.requested() {
        return Err(stopped_before("the metadata"));
    }
    let kpi_ids: Vec<String> = spec.kpis.iter().map(|k| k.to_string()).collect();
    let kpis = client.kpis(Some(&kpi_ids)).await?;
    let areas: Vec<String> = if spec.ou {
        let ous = client.ous(&spec.areas).await?;
        if !spec.dry_run {
            let rows: Vec<Area> = ous.iter().map(|o| o.to_domain()).collect();
            ports.metadata.upsert_areas(&rows).await.map_err(write)?;
        }
        ous.into_iter().map(|o| o.id).collect()
    } else {
        // Municipality groups (G…) come from their own route; everything else is a municipality,
        // a region or the country.
        let (groups, places): (Vec<String>, Vec<String>) = spec.areas.iter().cloned().partition(|a| a.starts_with('G'));
        let mut rows: Vec<Area> = Vec::new();
        if !places.is_empty() {
            rows.extend(client.municipalities(Some(&places)).await?.iter().map(|m| m.to_domain()));
        }
        let groups: Vec<_> = if groups.is_empty() {
            Vec::new()
        } else {
            client
                .municipality_groups()
                .await?
                .into_iter()
                .filter(|g| groups.contains(&g.id))
                .collect()
        };
        for g in &groups {
            // A group's members are areas too, known by the titles Kolada gives them, so that
            // a ranking of the group can name them before their own values are synced.
            rows.push(g.to_area());
            rows.extend(
                g.member_areas()
                    .into_iter()
                    .filter(|m| !rows.iter().any(|r| r.code == m.code))
                    .collect::<Vec<_>>(),
            );
        }
        if !spec.dry_run {
            ports.metadata.upsert_areas(&rows).await.map_err(write)?;
            let named: Vec<(String, String)> = groups.iter().map(|g| (g.id.clone(), g.title.clone())).collect();
            ports.metadata.upsert_kolada_groups(&named).await.map_err(write)?;
            // Membership as Kolada serves it now: the group is judged by this year's members
            // from now on, and by earlier members for earlier years.
            let year = chrono::Datelike::year(&chrono::Utc::now().date_naive());
            for g in &groups {
                let members: Vec<String> = g.members.iter().map(|(id, _)| id.clone()).collect();
                ports.metadata.sync_group_members(&g.id, &members, year).await.map_err(write)?;
            }
        }
        spec.areas.clone()
    };
    if !spec.dry_run {
        let rows: Vec<_> = kpis.iter().map(|k| k.to_domain()).collect();
        ports.metadata.upsert_kpis(&rows).await.map_err(write)?;
    }
    if areas.is_empty() {
        return Ok(());
    }
    if stop.requested() {
        return Err(stopped_before("the data"));
    }
    let query = DataQuery {
        kpis: kpi_ids,
        areas: areas.clone(),
        years: spec.years.clone(),
        ou: spec.ou,
        from_date,
    };
    // A full sync reads the whole scope, so whatever of it is stored and was not served has
    // been removed at the source: what was served is remembered to find it afterwards, one bit
    // a value of the scope (`Served`), whatever the number of values.
    let remember = spec.full && !spec.dry_run;
    let served = Mutex::new(if remember {
        Served::new(&spec.kpis, &areas, &spec.years)
    } else {
        Served::new(&[], &[], &[])
    });
    let served = &served;
    // A page is written while `writing` is held; a stop takes it, so it waits for the page
    // being written to commit and no later page starts. What is left is dropped.
    let writing = tokio::sync::Mutex::new(());
    let last_page: Mutex<Option<String>> = Mutex::new(None);
    let (writing, last_page) = (&writing, &last_page);
    let data = client.data(&query, |page| async move {
        let _writing = writing.lock().await;
        let n = page.observations.len() as u64;
        counts.lock().expect("counts lock").fetched += n;
        if remember {
            let mut served = served.lock().expect("served lock");
            for key in page.observations.iter().filter_map(key_of) {
                served.insert(key);
            }
        }
        if !spec.dry_run {
            match ports.observations.write_batch(&page.observations).await {
                Ok(w) => counts.lock().expect("counts lock").written.add(w),
                Err(e) => {
                    counts.lock().expect("counts lock").failed += n;
                    return Err(IngestError::Write(format!("writing the page {} failed: {e}", page.url)));
                }
            }
        }
        *last_page.lock().expect("last page lock") = Some(page.url);
        progress(&counts.lock().expect("counts lock"));
        Ok(())
    });
    tokio::select! {
        r = data => { r?; }
        _writing = async { stop.wait().await; writing.lock().await } => {
            let done = counts.lock().expect("counts lock").fetched;
            let at = match last_page.lock().expect("last page lock").clone() {
                Some(url) => format!("after the page {url} ({done} observations so far)"),
                None => "before the first page was written".to_owned(),
            };
            return Err(IngestError::Stopped(format!("{at}; run the same sync again to complete it")));
        }
    }
    if remember {
        let served = std::mem::replace(&mut *served.lock().expect("served lock"), Served::new(&[], &[], &[]));
        let removed = remove_unserved(ports, spec, &areas, &served).await?;
        counts.lock().expect("counts lock").removed += removed;
        progress(&counts.lock().expect("counts lock"));
    }
    Ok(())
}

/// Which value an observation of a KPI is; `None` for an indicator's own series.
fn key_of(o: &NewObservation) -> Option<ObservationKey> {
    match &o.series {
        SeriesRef::Kpi(kpi) => Some(ObservationKey {
            kpi: kpi.clone(),
            area: o.area.clone(),
            period: o.period,
            gender: o.gender,
        }),
        SeriesRef::Indicator(_) => None,
    }
}

/// Rows per tombstone batch: each batch is a transaction of its own, as a page is.
const REMOVAL_BATCH: usize = 5_000;

/// Marks deleted the values Kolada holds in the sync's scope (its KPIs, areas and years) that
/// it no longer serves: as a value Kolada itself flags deleted is written, so the value's
/// revisions are kept and reads stop showing it. One KPI's stored keys at a time, so that
/// memory stays that of one KPI's values. Returns how many were marked.
async fn remove_unserved(ports: SyncPorts<'_>, spec: &SyncSpec, areas: &[String], served: &Served) -> Result<u64, IngestError> {
    let write = |e: styrhub_domain::RepoError| IngestError::Write(e.to_string());
    let mut removed = 0;
    for kpi in &spec.kpis {
        let stored = ports
            .observations
            .current_keys(ValueSource::Kolada, std::slice::from_ref(kpi), areas, &spec.years)
            .await
            .map_err(write)?;
        let gone: Vec<NewObservation> = stored
            .into_iter()
            .filter(|k| !served.contains(k))
            .map(|k| NewObservation {
                series: SeriesRef::Kpi(k.kpi),
                area: k.area,
                period: k.period,
                gender: k.gender,
                value: None,
                status: None,
                count: None,
                source: ValueSource::Kolada,
                deleted: true,
            })
            .collect();
        for batch in gone.chunks(REMOVAL_BATCH) {
            let w = ports.observations.write_batch(batch).await.map_err(write)?;
            removed += w.updated;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_come_as_a_range_or_a_list() {
        assert_eq!(parse_years("2015-2018").unwrap(), [2015, 2016, 2017, 2018]);
        assert_eq!(parse_years("2021,2019,2021").unwrap(), [2019, 2021]);
        assert!(parse_years("2018-2015").is_err());
        assert!(parse_years("20x5").is_err());
    }

    #[test]
    fn parameters_do_not_depend_on_order() {
        let spec = |kpis: [&str; 2], areas: [&str; 2]| SyncSpec {
            kpis: kpis.iter().map(|k| KpiId::parse(k).unwrap()).collect(),
            areas: areas.iter().map(|s| s.to_string()).collect(),
            years: vec![2020, 2021],
            ou: false,
            since: None,
            full: false,
            dry_run: false,
        };
        assert_eq!(
            spec(["N00090", "N00973"], ["1489", "0000"]).parameters(),
            spec(["N00973", "N00090"], ["0000", "1489"]).parameters()
        );
    }
}
