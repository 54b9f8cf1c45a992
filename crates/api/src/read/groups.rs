//! Comparison groups, as both protocols read them: a list of area codes in which a group's code
//! (Kolada's `G…`, a municipality's own `1489:jamforelsekommuner`) stands for the members the hub
//! stores for it, year by year.

use styrhub_domain::ids::{AreaCode, Gender, Year};
use styrhub_domain::kpi::{GroupFigure, GroupRank, GroupSpec};
use styrhub_domain::observation::SeriesRef;
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

/// What a group series asks: the group, the area to rank (if any) and which way, the gender
/// and the years.
pub struct GroupQuery<'a> {
    /// The group.
    pub spec: &'a GroupSpec,
    /// The area whose place to give each year.
    pub area: Option<&'a AreaCode>,
    /// True: the highest value ranks first.
    pub higher_first: bool,
    /// The gender.
    pub gender: Gender,
    /// First year.
    pub from: Option<i32>,
    /// Last year.
    pub to: Option<i32>,
}

/// A series' figures over a group, year by year, each with the ranked area's place that year
/// (when an area is ranked and has a value): the two reads both protocols answer from.
pub async fn figures(ports: &Ports, series: &SeriesRef, q: &GroupQuery<'_>) -> Result<Vec<(GroupFigure, Option<GroupRank>)>, RepoError> {
    let figures = ports.series.group_figures(series, q.spec, q.gender, q.from, q.to).await?;
    let mut ranks = match q.area {
        Some(a) => {
            ports
                .series
                .group_ranks(series, q.spec, q.gender, a, q.higher_first, q.from, q.to)
                .await?
        }
        None => Vec::new(),
    };
    Ok(figures
        .into_iter()
        .map(|f| {
            let rank = ranks.iter().position(|r| r.period == f.period).map(|i| ranks.swap_remove(i));
            (f, rank)
        })
        .collect())
}

/// The message for a group code whose members the hub does not store.
pub fn unknown_group(code: &AreaCode) -> String {
    if code.as_str().starts_with('G') {
        format!("the hub stores no members of {code} (sync them: styrhub ingest kolada --municipality {code} …)")
    } else {
        format!("the hub stores no group {code} (save it: styrhub group save, or the saveComparisonGroup mutation)")
    }
}
