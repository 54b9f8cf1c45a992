//! Comparison groups, as both protocols read them: a list of area codes in which a municipality
//! group's code (`G…`) stands for the members the hub stores for it, year by year.

use styrhub_domain::ids::{AreaCode, Year};
use styrhub_domain::kpi::{GroupFigure, GroupSpec};
use styrhub_domain::observation::SeriesRef;
use styrhub_domain::RepoError;

use crate::read::Ports;

/// What `codes` name as a group: the areas and the stored groups among them, or the first
/// group code whose members the hub does not store.
pub async fn spec(ports: &Ports, codes: Vec<AreaCode>) -> Result<Result<GroupSpec, AreaCode>, RepoError> {
    let mut spec = GroupSpec::default();
    for code in codes {
        if !code.as_str().starts_with('G') {
            spec.areas.push(code);
        } else if ports.series.group_members(&code, Year::MAX).await?.is_some() {
            spec.stored.push(code);
        } else {
            return Ok(Err(code));
        }
    }
    Ok(Ok(spec))
}

/// A group's figures for `series`, year by year (see `SeriesReader::group_figures`).
pub async fn figures(
    ports: &Ports,
    series: &SeriesRef,
    spec: &GroupSpec,
    gender: styrhub_domain::ids::Gender,
    from: Option<i32>,
    to: Option<i32>,
) -> Result<Vec<GroupFigure>, RepoError> {
    ports.series.group_figures(series, spec, gender, from, to).await
}

/// The message for a group code whose members the hub does not store.
pub fn unknown_group(code: &AreaCode) -> String {
    format!("the hub stores no members of {code} (sync them: styrhub ingest kolada --municipality {code} …)")
}
