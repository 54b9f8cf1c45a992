//! Indicator statuses through a request's loaders: the one way GraphQL and REST judge
//! indicators against their targets, with the domain rule
//! [`indicator_status`](styrhub_domain::rules::status::indicator_status).

use std::collections::HashMap;
use std::sync::Arc;

use styrhub_domain::ids::{AreaCode, Gender, IndicatorId};
use styrhub_domain::indicator::Indicator;
use styrhub_domain::kpi::GroupSpec;
use styrhub_domain::observation::SeriesRef;
use styrhub_domain::rules::evaluate::Reference;
use styrhub_domain::rules::status::{indicator_status, IndicatorStatus, Kept};
use styrhub_domain::series::{Point, ReferencedDigest, SeriesDigest};
use styrhub_domain::target::{Target, TargetRule};

use crate::read::loaders::{load, Batch, DigestKey, LoadError, Loaders};

/// An indicator judged for one area, with its targets (the one used is among them).
#[derive(Debug, Clone)]
pub struct Judged {
    /// The verdict.
    pub status: IndicatorStatus,
    /// Every target of the indicator.
    pub targets: Vec<Target>,
    /// The latest value of its series for the area (up to `as_of`), when it has one.
    pub latest: Option<Point>,
}

/// Judges each indicator for `area`, in the order given: its latest value (up to `as_of`, when
/// given) against the target that holds for that period, or its desired direction. The latest
/// verdicts are those the writers kept ([`judge_latest`]); as of a year, two batched reads
/// through the loaders whatever the number of indicators: their targets, then their series
/// for `area` and for their relative targets' reference areas. Concurrent callers (one
/// GraphQL field per indicator) share those batches.
pub async fn judge(
    l: &Loaders,
    indicators: &[Indicator],
    area: &AreaCode,
    as_of: Option<i32>,
    batch: Batch,
) -> Result<Vec<Judged>, LoadError> {
    let target_keys = indicators.iter().map(|i| IndicatorId(i.id)).collect();
    if as_of.is_none() && batch == Batch::Now {
        return judge_latest(l, indicators, area, load(&l.targets, target_keys, batch)).await;
    }
    let targets = load(&l.targets, target_keys, batch).await?;
    let key = |series: &SeriesRef, a: &AreaCode| DigestKey {
        series: series.clone(),
        area: a.clone(),
        gender: Gender::Total,
    };
    let mut keys = Vec::new();
    for i in indicators {
        let series = i.series();
        keys.push(key(&series, area));
        for t in targets.get(&IndicatorId(i.id)).into_iter().flatten() {
            if let TargetRule::Relative { reference_area, .. } = &t.rule {
                if &t.area == area {
                    keys.push(key(&series, reference_area));
                }
            }
        }
    }
    let digests: HashMap<DigestKey, Option<Arc<SeriesDigest>>> = load(&l.digest, keys, batch).await?;
    let groups = group_references(l, indicators, &targets, area).await?;
    Ok(indicators
        .iter()
        .map(|i| {
            let series = i.series();
            let targets = targets.get(&IndicatorId(i.id)).cloned().unwrap_or_default();
            let own = digests.get(&key(&series, area)).and_then(|d| d.as_deref());
            // As of a year: the series as it stood then, so that the latest value, the previous
            // one and the trend are those of that year.
            let cut = match (own, as_of) {
                (Some(d), Some(year)) => Some(SeriesDigest {
                    points: d.points.iter().filter(|p| p.period <= year).cloned().collect(),
                    ..d.clone()
                }),
                _ => None,
            };
            let own = cut.as_ref().or(own);
            let status = indicator_status(i.direction, &targets, area, own, |a, p| {
                if a.is_group() {
                    return groups.at(&series, a, p);
                }
                digests
                    .get(&key(&series, a))
                    .and_then(|d| d.as_deref())
                    .and_then(|d| d.value_at(p))
                    .map(Reference::area)
            });
            Judged {
                status,
                targets,
                latest: own.and_then(SeriesDigest::latest).cloned(),
            }
        })
        .collect())
}

/// [`judge`] of the latest values when every key is at hand: the verdicts the writers kept
/// (one statement, read while the targets are), and for the indicators not kept for `area`, or
/// marked to be judged again by a write not yet judged, their series judged here.
async fn judge_latest(
    l: &Loaders,
    indicators: &[Indicator],
    area: &AreaCode,
    targets: impl std::future::Future<Output = Result<HashMap<IndicatorId, Vec<Target>>, LoadError>>,
) -> Result<Vec<Judged>, LoadError> {
    let ids: Vec<IndicatorId> = indicators.iter().map(|i| IndicatorId(i.id)).collect();
    let series = &l.digest.loader().0.series;
    let kept = async { series.kept_statuses(&ids, area).await.map_err(Arc::new) };
    let (targets, kept) = futures_util::future::try_join(targets, kept).await?;
    let mut kept: HashMap<IndicatorId, Kept> = kept.into_iter().collect();
    let rest: Vec<Indicator> = indicators
        .iter()
        .filter(|i| matches!(kept.get(&IndicatorId(i.id)), None | Some(Kept::NotKept)))
        .cloned()
        .collect();
    let mut judged: HashMap<IndicatorId, Judged> = judge_series(l, &rest, area, &targets).await?.into_iter().collect();
    Ok(indicators
        .iter()
        .map(|i| {
            let id = IndicatorId(i.id);
            let targets = targets.get(&id).cloned().unwrap_or_default();
            match kept.remove(&id) {
                Some(Kept::Judged { status, latest }) => Judged {
                    status,
                    targets,
                    latest: Some(latest),
                },
                // No value for the area: as the rule judges a series without one.
                Some(Kept::NoValue) => Judged {
                    status: indicator_status(i.direction, &targets, area, None, |_, _| None),
                    targets,
                    latest: None,
                },
                _ => judged.remove(&id).expect("every indicator not kept is judged"),
            }
        })
        .collect())
}

/// `indicators` judged from their series for `area` as they stand: each series with the
/// reference areas' values for its latest period, in one statement.
async fn judge_series(
    l: &Loaders,
    indicators: &[Indicator],
    area: &AreaCode,
    targets: &HashMap<IndicatorId, Vec<Target>>,
) -> Result<Vec<(IndicatorId, Judged)>, LoadError> {
    if indicators.is_empty() {
        return Ok(Vec::new());
    }
    let mut keys: Vec<SeriesRef> = indicators.iter().map(Indicator::series).collect();
    keys.sort_unstable();
    keys.dedup();
    let series = &l.digest.loader().0.series;
    let found = series.digests_with_references(&keys, area).await.map_err(Arc::new)?;
    let groups = group_references(l, indicators, targets, area).await?;
    let by_key: HashMap<&SeriesRef, &ReferencedDigest> = found.iter().map(|d| (&d.digest.series, d)).collect();
    Ok(indicators
        .iter()
        .map(|i| {
            let targets = targets.get(&IndicatorId(i.id)).cloned().unwrap_or_default();
            let own = by_key.get(&i.series()).copied();
            let series = i.series();
            let status = indicator_status(i.direction, &targets, area, own.map(|d| &d.digest), |a, p| {
                if a.is_group() {
                    return groups.at(&series, a, p);
                }
                own.and_then(|d| d.reference_at(a, p)).map(Reference::area)
            });
            let judged = Judged {
                status,
                targets,
                latest: own.and_then(|d| d.digest.latest()).cloned(),
            };
            (IndicatorId(i.id), judged)
        })
        .collect())
}

/// The means of the groups that relative targets for an area compare with, by series and
/// group, period by period (each period over the group's members of that period), with the
/// groups' titles.
#[derive(Default)]
struct GroupReferences {
    means: HashMap<(SeriesRef, AreaCode), HashMap<i32, f64>>,
    titles: HashMap<AreaCode, String>,
}

impl GroupReferences {
    fn at(&self, series: &SeriesRef, group: &AreaCode, period: i32) -> Option<Reference> {
        let value = *self.means.get(&(series.clone(), group.clone()))?.get(&period)?;
        Some(Reference {
            value,
            group: Some(self.titles.get(group).cloned().unwrap_or_else(|| group.to_string())),
        })
    }
}

/// Reads [`GroupReferences`] for the relative targets of `indicators` for `area` that name a
/// group: one statement per series and group, computed by the database. Most trees have none.
async fn group_references(
    l: &Loaders,
    indicators: &[Indicator],
    targets: &HashMap<IndicatorId, Vec<Target>>,
    area: &AreaCode,
) -> Result<GroupReferences, LoadError> {
    let mut wanted: Vec<(SeriesRef, AreaCode)> = Vec::new();
    for i in indicators {
        for t in targets.get(&IndicatorId(i.id)).into_iter().flatten() {
            if let TargetRule::Relative { reference_area, .. } = &t.rule {
                if &t.area == area && reference_area.is_group() {
                    let pair = (i.series(), reference_area.clone());
                    if !wanted.contains(&pair) {
                        wanted.push(pair);
                    }
                }
            }
        }
    }
    let mut out = GroupReferences::default();
    if wanted.is_empty() {
        return Ok(out);
    }
    let series = &l.digest.loader().0.series;
    for (s, group) in wanted {
        if !out.titles.contains_key(&group) {
            if let Some(g) = series.area_group(&group).await.map_err(Arc::new)? {
                out.titles.insert(group.clone(), g.title);
            }
        }
        let spec = GroupSpec {
            stored: vec![group.clone()],
            areas: Vec::new(),
        };
        let figures = series.group_figures(&s, &spec, Gender::Total, None, None).await.map_err(Arc::new)?;
        out.means
            .insert((s, group), figures.into_iter().map(|f| (f.period, f.mean)).collect());
    }
    Ok(out)
}
