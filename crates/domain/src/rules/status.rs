//! An indicator's status: its latest value judged against the target that holds for that
//! period (or, without one, against its desired direction), with a short explanation such as
//! "0.4 above the national value, improving since 2021".

use serde::{Deserialize, Serialize};

use crate::ids::AreaCode;
use crate::indicator::Direction;
use crate::rules::evaluate::{evaluate, evaluate_direction, Context, Reference, TargetStatus};
use crate::rules::trend::{Trend, TrendKind};
use crate::series::{Point, SeriesDigest};
use crate::target::{Target, TargetRule};

/// The verdict on an indicator for one area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorStatus {
    /// On target, not on target, or no data.
    pub status: TargetStatus,
    /// What the verdict rests on, in a phrase a dashboard can show.
    pub explanation: String,
    /// The same in Swedish. Empty in verdicts stored before it existed (follow-up snapshots).
    #[serde(default)]
    pub explanation_sv: String,
    /// The period judged: the latest with a value.
    pub period: Option<i32>,
    /// The value judged.
    pub value: Option<f64>,
    /// The target used; `None` when judged by the desired direction alone.
    pub target_id: Option<i64>,
    /// Which way the series is moving.
    pub trend: Trend,
}

/// An indicator's latest verdict for an area, as the writers kept it when its values, targets
/// or comparison groups last changed: each indicator is kept for its municipality and for every
/// area one of its targets names.
#[derive(Debug, Clone, PartialEq)]
pub enum Kept {
    /// None kept for the area, or one a write has since marked to be judged again: judge the
    /// series.
    NotKept,
    /// Kept: the series has no value for the area.
    NoValue,
    /// Kept: the latest verdict and the value it judged.
    Judged {
        /// The verdict.
        status: IndicatorStatus,
        /// The value judged, with its source and the source's flag.
        latest: Point,
    },
}

/// The target that holds for `area` and `period`: of several, the one set most recently
/// (the latest `period_from`).
pub fn target_for<'a>(targets: &'a [Target], area: &AreaCode, period: i32) -> Option<&'a Target> {
    targets
        .iter()
        .filter(|t| &t.area == area && t.applies_to(period))
        .max_by_key(|t| (t.period_from, t.id))
}

/// Judges the latest value of `own` (the indicator's series for `area`). `reference` gives
/// another area's value for a period, for relative targets ("över riksgenomsnittet").
pub fn indicator_status(
    direction: Direction,
    targets: &[Target],
    area: &AreaCode,
    own: Option<&SeriesDigest>,
    reference: impl Fn(&AreaCode, i32) -> Option<Reference>,
) -> IndicatorStatus {
    let trend = own.map(|d| d.trend(direction)).unwrap_or(Trend {
        kind: TrendKind::Insufficient,
        since: None,
        change: None,
    });
    let Some(latest) = own.and_then(SeriesDigest::latest) else {
        return IndicatorStatus {
            status: TargetStatus::NoData,
            explanation: format!("no value for {area}"),
            explanation_sv: format!("inget värde för {area}"),
            period: None,
            value: None,
            target_id: None,
            trend,
        };
    };
    let previous = own.and_then(|d| d.previous_before(latest.period)).and_then(|p| p.value);
    let target = target_for(targets, area, latest.period);
    let evaluation = match target {
        Some(t) => {
            let reference = match &t.rule {
                TargetRule::Relative { reference_area, .. } => reference(reference_area, latest.period),
                _ => None,
            };
            let context = Context {
                previous,
                reference: reference.as_ref().map(|r| r.value),
                reference_group: reference.and_then(|r| r.group),
            };
            evaluate(latest.value, &t.rule, context)
        }
        None => evaluate_direction(latest.value, direction, previous),
    };
    let (mut explanation, mut explanation_sv) = (evaluation.explanation, evaluation.explanation_sv);
    if trend.kind != TrendKind::Insufficient {
        explanation.push_str(", ");
        trend.describe_into(&mut explanation);
        explanation_sv.push_str(", ");
        trend.describe_sv_into(&mut explanation_sv);
    }
    IndicatorStatus {
        status: evaluation.status,
        explanation,
        explanation_sv,
        period: Some(latest.period),
        value: latest.value,
        target_id: target.map(|t| t.id),
        trend,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Gender;
    use crate::observation::ValueSource;
    use crate::series::Point;
    use crate::target::Relation;

    fn series(area: &str, values: &[(i32, f64)]) -> SeriesDigest {
        SeriesDigest {
            series: crate::observation::SeriesRef::Kpi(crate::ids::KpiId::parse("N00090").unwrap()),
            area: AreaCode::parse(area).unwrap(),
            gender: Gender::Total,
            points: values
                .iter()
                .map(|(p, v)| Point {
                    period: *p,
                    value: Some(*v),
                    status: None,
                    source: ValueSource::Kolada,
                })
                .collect(),
        }
    }

    fn relative(relation: Relation) -> Target {
        Target {
            id: 7,
            indicator_id: 1,
            area: AreaCode::parse("1489").unwrap(),
            period_from: 2021,
            period_to: Some(2023),
            rule: TargetRule::Relative {
                relation,
                reference_area: AreaCode::parse("0000").unwrap(),
            },
            note: None,
        }
    }

    #[test]
    fn above_the_national_value_and_rising_is_explained_in_one_phrase() {
        let own = series("1489", &[(2020, 80.0), (2021, 81.0), (2022, 82.0), (2023, 83.4)]);
        let national = series("0000", &[(2023, 83.0)]);
        let area = AreaCode::parse("1489").unwrap();
        let s = indicator_status(Direction::Increase, &[relative(Relation::Above)], &area, Some(&own), |a, p| {
            (a.as_str() == "0000").then(|| national.value_at(p)).flatten().map(Reference::area)
        });
        assert_eq!(s.status, TargetStatus::OnTarget);
        assert_eq!(s.explanation, "0.4 above the national value, improving since 2020");
        assert_eq!(s.explanation_sv, "0,4 över rikets värde, förbättras sedan 2020");
        assert_eq!(s.target_id, Some(7));
        assert_eq!(s.period, Some(2023));
    }

    #[test]
    fn a_target_relative_to_a_group_names_the_group() {
        let own = series("1489", &[(2022, 7.1)]);
        let area = AreaCode::parse("1489").unwrap();
        let mut target = relative(Relation::Below);
        target.rule = TargetRule::Relative {
            relation: Relation::Below,
            reference_area: AreaCode::parse("1489:jamforelsekommuner").unwrap(),
        };
        let judged = |mean: Option<f64>| {
            indicator_status(Direction::Decrease, std::slice::from_ref(&target), &area, Some(&own), |a, p| {
                assert_eq!((a.as_str(), p), ("1489:jamforelsekommuner", 2022));
                mean.map(|value| Reference {
                    value,
                    group: Some("Alingsås jämförelsekommuner".into()),
                })
            })
        };
        let s = judged(Some(7.5));
        assert_eq!(s.status, TargetStatus::OnTarget);
        assert_eq!(s.explanation_sv, "0,4 under snittet för Alingsås jämförelsekommuner");
        assert_eq!(s.explanation, "0.4 below the mean of Alingsås jämförelsekommuner");
        let s = judged(None);
        assert_eq!(s.status, TargetStatus::NoData);
        assert_eq!(s.explanation, "no member of 1489:jamforelsekommuner has a value");
    }

    #[test]
    fn ska_minska_judges_lower_as_better_without_a_target() {
        let own = series("1489", &[(2022, 7.5), (2023, 7.1)]);
        let area = AreaCode::parse("1489").unwrap();
        let s = indicator_status(Direction::Decrease, &[], &area, Some(&own), |_, _| None);
        assert_eq!(s.status, TargetStatus::OnTarget);
        assert_eq!(s.trend.kind, TrendKind::Improving);
    }

    #[test]
    fn a_target_outside_its_years_is_not_used() {
        let own = series("1489", &[(2024, 90.0)]);
        let area = AreaCode::parse("1489").unwrap();
        let s = indicator_status(Direction::Increase, &[relative(Relation::Above)], &area, Some(&own), |_, _| {
            Some(Reference::area(1.0))
        });
        assert_eq!(s.target_id, None);
    }

    #[test]
    fn no_series_is_no_data() {
        let area = AreaCode::parse("1489").unwrap();
        let s = indicator_status(Direction::Increase, &[], &area, None, |_, _| None);
        assert_eq!(s.status, TargetStatus::NoData);
        assert_eq!(s.explanation, "no value for 1489");
    }
}
