//! Loading the municipality packages shipped under `demo/`.

use std::path::Path;

use anyhow::Context;
use styrhub_domain::package::Package;
use styrhub_domain::ports::{LoadReport, PackageWriter};

/// Reads, validates and loads every package (sub-folder) of `dir`, in name order. Each package
/// is one transaction; a package with errors loads nothing and stops the run.
pub async fn load_all(writer: &dyn PackageWriter, dir: &Path) -> anyhow::Result<Vec<LoadReport>> {
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
    Ok(reports)
}
