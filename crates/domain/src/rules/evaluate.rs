//! Is a value on target? Direction-aware: for "ska minska" lower is better.

use serde::{Deserialize, Serialize};

use crate::indicator::Direction;
use crate::target::{Bound, Movement, Relation, TargetRule};

/// The verdict on one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// The value meets the target.
    OnTarget,
    /// The value misses the target.
    NotOnTarget,
    /// No value, or no value to compare with (the previous period, the reference area).
    NoData,
}

impl TargetStatus {
    /// The snake_case name, as stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnTarget => "on_target",
            Self::NotOnTarget => "not_on_target",
            Self::NoData => "no_data",
        }
    }

    /// The verdict named by [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::OnTarget, Self::NotOnTarget, Self::NoData]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A verdict with a short explanation a dashboard can show, in English and in Swedish (the
/// hub's users are Swedish municipalities; integrations read the English one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The verdict.
    pub status: TargetStatus,
    /// E.g. "0.4 above the national value".
    pub explanation: String,
    /// The same in Swedish, e.g. "0,4 över rikets värde".
    pub explanation_sv: String,
}

/// What a value is compared with besides the target itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// The same series' value for the previous period.
    pub previous: Option<f64>,
    /// The reference area's value for the same period (relative targets): for a group, the
    /// mean of its members of that period.
    pub reference: Option<f64>,
    /// The reference group's title, named in the explanation ("0,4 över snittet för
    /// Alingsås jämförelsekommuner").
    pub reference_group: Option<String>,
}

/// A relative target's reference for one period: the reference area's value, or the mean of a
/// group's members of that period with the group's title.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// The value compared with.
    pub value: f64,
    /// The group's title, when the reference is a group.
    pub group: Option<String>,
}

impl Reference {
    /// An area's value.
    pub fn area(value: f64) -> Self {
        Self { value, group: None }
    }
}

/// Values closer than this are equal: figures are published with one or two decimals.
const EPSILON: f64 = 1e-9;

/// A number as a phrase shows it: at most two decimals, no trailing zeros.
pub(crate) fn fmt(v: f64) -> String {
    let s = format!("{:.2}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// The same with a decimal comma, as Swedish writes it.
pub(crate) fn fmt_sv(v: f64) -> String {
    fmt(v).replace('.', ",")
}

/// Evaluates `value` against `rule`.
pub fn evaluate(value: Option<f64>, rule: &TargetRule, ctx: Context) -> Evaluation {
    let Some(v) = value else {
        return no_data("no value for the period", "inget värde för perioden".into());
    };
    match rule {
        TargetRule::Absolute { bound, value: t } => {
            let ok = match bound {
                Bound::AtLeast => v + EPSILON >= *t,
                Bound::AtMost => v - EPSILON <= *t,
                Bound::Equal => (v - t).abs() <= EPSILON,
            };
            let (word, ord) = match bound {
                Bound::AtLeast => ("at least", "minst"),
                Bound::AtMost => ("at most", "högst"),
                Bound::Equal => ("exactly", "exakt"),
            };
            verdict(
                ok,
                format!("{} against a target of {word} {}", fmt(v), fmt(*t)),
                format!("{} mot målvärdet {ord} {}", fmt_sv(v), fmt_sv(*t)),
            )
        }
        TargetRule::Direction { movement } => {
            let Some(p) = ctx.previous else {
                return no_data(
                    "no value for the previous period to compare with",
                    "inget värde för föregående period att jämföra med".into(),
                );
            };
            let d = v - p;
            let ok = match movement {
                Movement::Increase => d > EPSILON,
                Movement::Decrease => d < -EPSILON,
                Movement::NotDecrease => d >= -EPSILON,
                Movement::NotIncrease => d <= EPSILON,
            };
            let (en, sv) = change_text(d);
            verdict(ok, en, sv)
        }
        TargetRule::Relative { relation, reference_area } => {
            let Some(r) = ctx.reference else {
                return if reference_area.is_group() {
                    let name = ctx.reference_group.clone().unwrap_or_else(|| reference_area.to_string());
                    no_data(&format!("no member of {name} has a value"), format!("ingen i {name} har ett värde"))
                } else {
                    no_data(
                        &format!("no value for the reference area {reference_area}"),
                        format!("inget värde för jämförelseområdet {reference_area}"),
                    )
                };
            };
            let d = v - r;
            let ok = match relation {
                Relation::Above => d > EPSILON,
                Relation::Below => d < -EPSILON,
                Relation::AtLeast => d >= -EPSILON,
                Relation::AtMost => d <= EPSILON,
            };
            let (what, vad) = if reference_area.as_str() == crate::ids::AreaCode::COUNTRY {
                ("the national value".to_owned(), "rikets värde".to_owned())
            } else if reference_area.is_group() {
                let name = ctx.reference_group.clone().unwrap_or_else(|| reference_area.to_string());
                (format!("the mean of {name}"), format!("snittet för {name}"))
            } else {
                (format!("the value of {reference_area}"), format!("värdet för {reference_area}"))
            };
            let (en, sv) = relative_text(d, &what, &vad);
            verdict(ok, en, sv)
        }
    }
}

/// Without a target, judges the change from the previous period by the desired direction.
pub fn evaluate_direction(value: Option<f64>, direction: Direction, previous: Option<f64>) -> Evaluation {
    let movement = match direction {
        Direction::Increase => Movement::NotDecrease,
        Direction::Decrease => Movement::NotIncrease,
        Direction::None => {
            return no_data(
                "the indicator has no desired direction",
                "indikatorn har ingen önskad riktning".into(),
            )
        }
    };
    evaluate(
        value,
        &TargetRule::Direction { movement },
        Context {
            previous,
            ..Context::default()
        },
    )
}

/// `d` compared with a reference, in English and Swedish.
fn relative_text(d: f64, what: &str, vad: &str) -> (String, String) {
    if d.abs() <= EPSILON {
        (format!("equal to {what}"), format!("lika med {vad}"))
    } else if d > 0.0 {
        (format!("{} above {what}", fmt(d)), format!("{} över {vad}", fmt_sv(d)))
    } else {
        (format!("{} below {what}", fmt(-d)), format!("{} under {vad}", fmt_sv(-d)))
    }
}

/// The change `d` since the previous period, in English and Swedish.
fn change_text(d: f64) -> (String, String) {
    if d.abs() <= EPSILON {
        (
            "unchanged since the previous period".into(),
            "oförändrat sedan föregående period".into(),
        )
    } else if d > 0.0 {
        (
            format!("up {} since the previous period", fmt(d)),
            format!("upp {} sedan föregående period", fmt_sv(d)),
        )
    } else {
        (
            format!("down {} since the previous period", fmt(-d)),
            format!("ned {} sedan föregående period", fmt_sv(-d)),
        )
    }
}

fn verdict(ok: bool, explanation: String, explanation_sv: String) -> Evaluation {
    Evaluation {
        status: if ok { TargetStatus::OnTarget } else { TargetStatus::NotOnTarget },
        explanation,
        explanation_sv,
    }
}

fn no_data(why: &str, varfor: String) -> Evaluation {
    Evaluation {
        status: TargetStatus::NoData,
        explanation: why.to_owned(),
        explanation_sv: varfor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_explanation_has_its_swedish_twin_with_a_decimal_comma() {
        let national = TargetRule::Relative {
            relation: Relation::Above,
            reference_area: crate::ids::AreaCode::parse("0000").unwrap(),
        };
        let e = evaluate(
            Some(83.4),
            &national,
            Context {
                previous: None,
                reference: Some(83.0),
                ..Context::default()
            },
        );
        assert_eq!(
            (e.explanation.as_str(), e.explanation_sv.as_str()),
            ("0.4 above the national value", "0,4 över rikets värde")
        );
        let e = evaluate(
            Some(5.0),
            &TargetRule::Absolute {
                bound: Bound::AtMost,
                value: 4.5,
            },
            Context::default(),
        );
        assert_eq!(e.explanation_sv, "5 mot målvärdet högst 4,5");
        let e = evaluate_direction(Some(10.0), Direction::Decrease, Some(12.25));
        assert_eq!(e.explanation_sv, "ned 2,25 sedan föregående period");
        assert_eq!(
            evaluate_direction(Some(1.0), Direction::None, None).explanation_sv,
            "indikatorn har ingen önskad riktning"
        );
        assert_eq!(
            evaluate(None, &national, Context::default()).explanation_sv,
            "inget värde för perioden"
        );
    }
    use crate::ids::AreaCode;

    fn relative(relation: Relation) -> TargetRule {
        TargetRule::Relative {
            relation,
            reference_area: AreaCode::parse("0000").unwrap(),
        }
    }

    #[test]
    fn sick_leave_below_the_national_value_is_on_target() {
        let e = evaluate(
            Some(7.1),
            &relative(Relation::Below),
            Context {
                reference: Some(7.5),
                previous: None,
                ..Context::default()
            },
        );
        assert_eq!(e.status, TargetStatus::OnTarget);
        assert_eq!(e.explanation, "0.4 below the national value");
    }

    #[test]
    fn above_the_national_value_misses_a_below_target() {
        let e = evaluate(
            Some(7.9),
            &relative(Relation::Below),
            Context {
                reference: Some(7.5),
                previous: None,
                ..Context::default()
            },
        );
        assert_eq!(e.status, TargetStatus::NotOnTarget);
        assert_eq!(e.explanation, "0.4 above the national value");
    }

    #[test]
    fn a_relative_target_without_the_reference_value_has_no_data() {
        let e = evaluate(Some(7.9), &relative(Relation::Above), Context::default());
        assert_eq!(e.status, TargetStatus::NoData);
        assert!(e.explanation.contains("0000"));
    }

    #[test]
    fn at_least_four_percent_includes_four() {
        let rule = TargetRule::Absolute {
            bound: Bound::AtLeast,
            value: 4.0,
        };
        assert_eq!(evaluate(Some(4.0), &rule, Context::default()).status, TargetStatus::OnTarget);
        assert_eq!(evaluate(Some(3.9), &rule, Context::default()).status, TargetStatus::NotOnTarget);
    }

    #[test]
    fn a_missing_value_is_no_data_not_zero() {
        let rule = TargetRule::Absolute {
            bound: Bound::AtMost,
            value: 4.0,
        };
        assert_eq!(evaluate(None, &rule, Context::default()).status, TargetStatus::NoData);
        assert_eq!(evaluate(Some(0.0), &rule, Context::default()).status, TargetStatus::OnTarget);
    }

    #[test]
    fn unchanged_or_increase_accepts_an_unchanged_value() {
        let rule = TargetRule::Direction {
            movement: Movement::NotDecrease,
        };
        let ctx = Context {
            previous: Some(30.0),
            reference: None,
            ..Context::default()
        };
        assert_eq!(evaluate(Some(30.0), &rule, ctx.clone()).status, TargetStatus::OnTarget);
        assert_eq!(evaluate(Some(29.0), &rule, ctx).status, TargetStatus::NotOnTarget);
        assert_eq!(evaluate(Some(29.0), &rule, Context::default()).status, TargetStatus::NoData);
    }

    #[test]
    fn ska_minska_means_a_fall_is_good() {
        let e = evaluate_direction(Some(10.0), Direction::Decrease, Some(12.0));
        assert_eq!(e.status, TargetStatus::OnTarget);
        assert_eq!(e.explanation, "down 2 since the previous period");
        let e = evaluate_direction(Some(14.0), Direction::Decrease, Some(12.0));
        assert_eq!(e.status, TargetStatus::NotOnTarget);
    }
}
