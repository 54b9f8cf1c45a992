//! Loading the demo shipped under `demo/`: the municipality packages, then the real Kolada
//! figures of `demo/kolada/`.
//!
//! `demo/kolada/` is not a package but data for them: the KPI catalogue, Kolada's metadata of
//! the KPIs the demo's indicators link to, and those KPIs' values. The values go through the
//! file import of `styrhub ingest file` (the same parser, the same bulk write), with the file's
//! `source` column saying `kolada`, so that the demo shows them as Kolada's as a user's import
//! would. Unlike `styrhub ingest file` no ingest run is recorded: loading the demo twice must
//! leave exactly the same data.

use std::path::Path;

use anyhow::Context;
use styrhub_domain::kpi::Kpi;
use styrhub_domain::observation::WriteCounts;
use styrhub_domain::package::Package;
use styrhub_domain::ports::{LoadReport, MetadataWriter, ObservationWriter, PackageWriter};

/// The sub-folder of the demo folder that holds the Kolada data rather than a package.
pub const KOLADA_DIR: &str = "kolada";

/// What loading the demo did.
#[derive(Debug, Default)]
pub struct DemoReport {
    /// One report per municipality package, in folder-name order.
    pub packages: Vec<LoadReport>,
    /// The Kolada data, when the demo folder has a `kolada/` sub-folder.
    pub kolada: Option<KoladaReport>,
}

/// What loading `demo/kolada/` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct KoladaReport {
    /// KPI metadata rows (the catalogue and `kpi.json`, merged).
    pub kpis: WriteCounts,
    /// Values of `values.csv`.
    pub observations: WriteCounts,
}

/// Reads, validates and loads every package (sub-folder but `kolada/`) of `dir`, in name order,
/// then the Kolada data of `dir/kolada/` when it is there ([`load_kolada`]). Each package is one
/// transaction; a package with errors loads nothing and stops the run. When the run inserted or
/// updated many observations, the planner's statistics are refreshed once at the end
/// (`styrhub_ingest::statistics`).
pub async fn load_all<W>(writer: &W, dir: &Path) -> anyhow::Result<DemoReport>
where
    W: PackageWriter + ObservationWriter + MetadataWriter,
{
    let mut dirs: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the demo folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != KOLADA_DIR))
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        anyhow::bail!("the demo folder {} holds no municipality packages", dir.display());
    }
    let mut report = DemoReport::default();
    for d in dirs {
        let package = Package::read_dir(&d)?
            .validate()
            .with_context(|| format!("{} is not valid", d.display()))?;
        let loaded = writer
            .load_package(&package)
            .await
            .with_context(|| format!("loading {} failed", d.display()))?;
        for w in &loaded.warnings {
            tracing::warn!(municipality = %loaded.municipality, "{w}");
        }
        report.packages.push(loaded);
    }
    // After the packages: their indicators link to the KPIs whose values come next.
    let kolada = dir.join(KOLADA_DIR);
    if kolada.is_dir() {
        report.kolada = Some(load_kolada(writer, &kolada).await?);
    }
    let mut written = WriteCounts::default();
    for r in &report.packages {
        written.add(r.observations);
    }
    if let Some(k) = &report.kolada {
        written.add(k.observations);
    }
    styrhub_ingest::statistics::refresh_after(writer, &written).await;
    Ok(report)
}

/// Loads a folder of Kolada data: `catalogue.csv` and `kpi.json` (each optional) as KPI
/// metadata, and `values.csv` (optional) through the file import. A file with an invalid row
/// loads nothing.
///
/// Metadata fills gaps and never makes a stored KPI poorer: where both files describe a KPI,
/// `kpi.json`'s metadata (description, gender flag, publication date) is the one written, not
/// the catalogue's title-only row; and a KPI already stored with a description (by a Kolada
/// sync, say, before `serve --demo` restarts) is left as it is. The rows to write go in one bulk
/// fill ([`MetadataWriter::fill_kpis`]), so that a second load finds every row unchanged.
pub async fn load_kolada<W>(writer: &W, dir: &Path) -> anyhow::Result<KoladaReport>
where
    W: ObservationWriter + MetadataWriter,
{
    let read = |name: &str| -> anyhow::Result<Option<String>> {
        let path = dir.join(name);
        if !path.is_file() {
            return Ok(None);
        }
        std::fs::read_to_string(&path)
            .map(Some)
            .with_context(|| format!("cannot read {}", path.display()))
    };
    let mut kpis: std::collections::BTreeMap<String, Kpi> = Default::default();
    if let Some(text) = read("catalogue.csv")? {
        let catalogue = styrhub_ingest::file::parse_kpi_catalogue(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join("catalogue.csv").display()))?;
        kpis.extend(catalogue.into_iter().map(|k| (k.id.clone(), k)));
    }
    if let Some(text) = read("kpi.json")? {
        let described =
            styrhub_ingest::file::parse_kpi_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", dir.join("kpi.json").display()))?;
        kpis.extend(described.into_iter().map(|k| (k.id.clone(), k)));
    }
    let mut report = KoladaReport::default();
    if !kpis.is_empty() {
        let rows: Vec<Kpi> = kpis.into_values().collect();
        report.kpis = writer.fill_kpis(&rows).await.context("storing the demo's KPI metadata failed")?;
    }
    if let Some(text) = read("values.csv")? {
        let path = dir.join("values.csv");
        // Kolada's values name KPIs, never a municipality's indicator.
        let parsed = styrhub_ingest::file::parse_csv(&text, &|_, _| None).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if let Some(e) = parsed.errors.first() {
            anyhow::bail!("{}: {e} ({} invalid row(s); nothing loaded)", path.display(), parsed.errors.len());
        }
        report.observations = writer
            .write_batch(&parsed.observations)
            .await
            .with_context(|| format!("writing {} failed", path.display()))?;
    }
    Ok(report)
}
