//! Loading the municipality packages shipped under `demo/`.

use std::path::Path;

use anyhow::Context;
use styrhub_domain::observation::WriteCounts;
use styrhub_domain::package::Package;
use styrhub_domain::ports::{LoadReport, ObservationWriter, PackageWriter};

/// Reads, validates and loads every package (sub-folder) of `dir`, in name order. Each package
/// is one transaction; a package with errors loads nothing and stops the run. When the packages
/// together inserted or updated many observations, the planner's statistics are refreshed once
/// at the end (`styrhub_ingest::statistics`).
pub async fn load_all<W>(writer: &W, dir: &Path) -> anyhow::Result<Vec<LoadReport>>
where
    W: PackageWriter + ObservationWriter,
{
    let mut dirs: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the demo folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        anyhow::bail!("the demo folder {} holds no municipality packages", dir.display());
    }
    let mut reports = Vec::new();
    for d in dirs {
        let package = Package::read_dir(&d)?
            .validate()
            .with_context(|| format!("{} is not valid", d.display()))?;
        let report = writer
            .load_package(&package)
            .await
            .with_context(|| format!("loading {} failed", d.display()))?;
        for w in &report.warnings {
            tracing::warn!(municipality = %report.municipality, "{w}");
        }
        reports.push(report);
    }
    let mut written = WriteCounts::default();
    for r in &reports {
        written.add(r.observations);
    }
    styrhub_ingest::statistics::refresh_after(writer, &written).await;
    Ok(reports)
}
