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

/// A verdict with a short explanation a dashboard can show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The verdict.
    pub status: TargetStatus,
    /// E.g. "0.4 above the national value (0000)".
    pub explanation: String,
}

/// What a value is compared with besides the target itself.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Context {
    /// The same series' value for the previous period.
    pub previous: Option<f64>,
    /// The reference area's value for the same period (relative targets).
    pub reference: Option<f64>,
}

/// Values closer than this are equal: figures are published with one or two decimals.
const EPSILON: f64 = 1e-9;

fn fmt(v: f64) -> String {
    let s = format!("{:.2}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// Evaluates `value` against `rule`.
pub fn evaluate(value: Option<f64>, rule: &TargetRule, ctx: Context) -> Evaluation {
    let Some(v) = value else {
        return no_data("no value for the period");
    };
    match rule {
        TargetRule::Absolute { bound, value: t } => {
            let ok = match bound {
                Bound::AtLeast => v + EPSILON >= *t,
                Bound::AtMost => v - EPSILON <= *t,
                Bound::Equal => (v - t).abs() <= EPSILON,
            };
            let word = match bound {
                Bound::AtLeast => "at least",
                Bound::AtMost => "at most",
                Bound::Equal => "exactly",
            };
            verdict(ok, format!("{} against a target of {word} {}", fmt(v), fmt(*t)))
        }
        TargetRule::Direction { movement } => {
            let Some(p) = ctx.previous else {
                return no_data("no value for the previous period to compare with");
            };
            let d = v - p;
            let ok = match movement {
                Movement::Increase => d > EPSILON,
                Movement::Decrease => d < -EPSILON,
                Movement::NotDecrease => d >= -EPSILON,
                Movement::NotIncrease => d <= EPSILON,
            };
            verdict(ok, change_text(d, "the previous period"))
        }
        TargetRule::Relative { relation, reference_area } => {
            let Some(r) = ctx.reference else {
                return no_data(&format!("no value for the reference area {reference_area}"));
            };
            let d = v - r;
            let ok = match relation {
                Relation::Above => d > EPSILON,
                Relation::Below => d < -EPSILON,
                Relation::AtLeast => d >= -EPSILON,
                Relation::AtMost => d <= EPSILON,
            };
            let what = if reference_area.as_str() == crate::ids::AreaCode::COUNTRY {
                "the national value".to_owned()
            } else {
                format!("the value of {reference_area}")
            };
            verdict(ok, relative_text(d, &what))
        }
    }
}

/// Without a target, judges the change from the previous period by the desired direction.
pub fn evaluate_direction(value: Option<f64>, direction: Direction, previous: Option<f64>) -> Evaluation {
    let movement = match direction {
        Direction::Increase => Movement::NotDecrease,
        Direction::Decrease => Movement::NotIncrease,
        Direction::None => return no_data("the indicator has no desired direction"),
    };
    evaluate(value, &TargetRule::Direction { movement }, Context { previous, reference: None })
}

fn relative_text(d: f64, what: &str) -> String {
    if d.abs() <= EPSILON {
        format!("equal to {what}")
    } else if d > 0.0 {
        format!("{} above {what}", fmt(d))
    } else {
        format!("{} below {what}", fmt(-d))
    }
}

fn change_text(d: f64, since: &str) -> String {
    if d.abs() <= EPSILON {
        format!("unchanged since {since}")
    } else if d > 0.0 {
        format!("up {} since {since}", fmt(d))
    } else {
        format!("down {} since {since}", fmt(-d))
    }
}

fn verdict(ok: bool, explanation: String) -> Evaluation {
    Evaluation {
        status: if ok { TargetStatus::OnTarget } else { TargetStatus::NotOnTarget },
        explanation,
    }
}

fn no_data(why: &str) -> Evaluation {
    Evaluation {
        status: TargetStatus::NoData,
        explanation: why.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        };
        assert_eq!(evaluate(Some(30.0), &rule, ctx).status, TargetStatus::OnTarget);
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
