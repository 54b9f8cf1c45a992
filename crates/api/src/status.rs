//! Indicator statuses through a request's loaders: the one way GraphQL and REST judge
//! indicators against their targets, with the domain rule
//! [`indicator_status`](styrhub_domain::rules::status::indicator_status).

use std::collections::HashMap;
use std::sync::Arc;

use styrhub_domain::ids::{AreaCode, Gender};
use styrhub_domain::indicator::Indicator;
use styrhub_domain::rules::status::{indicator_status, IndicatorStatus};
use styrhub_domain::series::{Point, SeriesDigest};
use styrhub_domain::target::{Target, TargetRule};

use crate::graphql::loaders::{load, Batch, DigestKey, LoadError, Loaders};

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
/// given) against the target that holds for that period, or its desired direction. Two batched
/// reads through the loaders whatever the number of indicators: their targets, then their
/// series for `area` and for their relative targets' reference areas. Concurrent callers (one
/// GraphQL field per indicator) share those batches.
pub async fn judge(
    l: &Loaders,
    indicators: &[Indicator],
    area: &AreaCode,
    as_of: Option<i32>,
    batch: Batch,
) -> Result<Vec<Judged>, LoadError> {
    let targets = load(&l.targets, indicators.iter().map(|i| i.id).collect(), batch).await?;
    let key = |series_key: &str, a: &str| DigestKey {
        series_key: series_key.to_owned(),
        area: a.to_owned(),
        gender: Gender::Total,
    };
    let mut keys = Vec::new();
    for i in indicators {
        let series_key = i.series().key();
        keys.push(key(&series_key, area.as_str()));
        for t in targets.get(&i.id).into_iter().flatten() {
            if let TargetRule::Relative { reference_area, .. } = &t.rule {
                if &t.area == area {
                    keys.push(key(&series_key, reference_area.as_str()));
                }
            }
        }
    }
    let digests: HashMap<DigestKey, Option<Arc<SeriesDigest>>> = load(&l.digest, keys, batch).await?;
    Ok(indicators
        .iter()
        .map(|i| {
            let series_key = i.series().key();
            let targets = targets.get(&i.id).cloned().unwrap_or_default();
            let own = digests.get(&key(&series_key, area.as_str())).and_then(|d| d.as_deref());
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
                digests
                    .get(&key(&series_key, a.as_str()))
                    .and_then(|d| d.as_deref())
                    .and_then(|d| d.value_at(p))
            });
            Judged {
                status,
                targets,
                latest: own.and_then(SeriesDigest::latest).cloned(),
            }
        })
        .collect())
}
