//! Comparison groups, as both protocols read them: a list of area codes in which a group's code
//! (Kolada's `G…`, a municipality's own `1489:jamforelsekommuner`) stands for the members the hub
//! stores for it, year by year.

use styrhub_domain::ids::{AreaCode, Year};
use styrhub_domain::kpi::GroupSpec;
use styrhub_domain::RepoError;

use crate::read::Ports;

/// What `codes` name as a group: the areas and the stored groups among them, or the first
/// group code whose members the hub does not store.
pub async fn spec(ports: &Ports, codes: Vec<AreaCode>) -> Result<Result<GroupSpec, AreaCode>, RepoError> {
    let mut spec = GroupSpec::default();
    for code in codes {
        if !code.is_group() {
            spec.areas.push(code);
        } else if ports.series.group_members(&code, Year::MAX).await?.is_some() {
            spec.stored.push(code);
        } else {
            return Ok(Err(code));
        }
    }
    Ok(Ok(spec))
}

/// The areas `codes` name in `year`, each once and in order: a group code stands for its
/// members that year. `Err` with the first group code whose members the hub does not store.
pub async fn members(ports: &Ports, codes: Vec<AreaCode>, year: i32) -> Result<Result<Vec<AreaCode>, AreaCode>, RepoError> {
    let mut out: Vec<AreaCode> = Vec::new();
    for code in codes {
        let members = if code.is_group() {
            match ports.series.group_members(&code, year).await? {
                Some(members) => members,
                None => return Ok(Err(code)),
            }
        } else {
            vec![code]
        };
        for m in members {
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    Ok(Ok(out))
}

/// The message for a group code whose members the hub does not store.
pub fn unknown_group(code: &AreaCode) -> String {
    if code.as_str().starts_with('G') {
        format!("the hub stores no members of {code} (sync them: styrhub ingest kolada --municipality {code} …)")
    } else {
        format!("the hub stores no group {code} (save it: styrhub group save, or the saveComparisonGroup mutation)")
    }
}
