//! Targets (målvärden): what value an indicator should reach, per area and period.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::AreaCode;

/// How an absolute target compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// The value must be at least the target.
    AtLeast,
    /// The value must be at most the target.
    AtMost,
    /// The value must equal the target (within a rounding tolerance).
    Equal,
}

/// How a value should move versus the previous period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Movement {
    /// Strictly higher than the previous period.
    Increase,
    /// Strictly lower than the previous period.
    Decrease,
    /// Unchanged or higher ("oförändrad eller öka").
    NotDecrease,
    /// Unchanged or lower.
    NotIncrease,
}

/// How a value compares with a reference area's value for the same period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// Strictly above ("över riksgenomsnittet").
    Above,
    /// Strictly below ("under riksgenomsnittet").
    Below,
    /// Above or equal.
    AtLeast,
    /// Below or equal.
    AtMost,
}

/// The rule a target sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetRule {
    /// An absolute value, e.g. result at least 4 % of tax revenue.
    Absolute {
        /// How to compare.
        bound: Bound,
        /// The target value.
        value: f64,
    },
    /// A direction versus the previous period.
    Direction {
        /// Which movement is on target.
        movement: Movement,
    },
    /// Relative to a reference area such as 0000, the whole country.
    Relative {
        /// How to compare.
        relation: Relation,
        /// The area compared with.
        reference_area: AreaCode,
    },
}

impl TargetRule {
    /// Builds a rule from the three-part form files and APIs use: a kind, a comparison word and
    /// the value or reference area that kind needs.
    pub fn from_parts(kind: &str, comparison: &str, value: Option<f64>, reference_area: Option<&str>) -> Result<Self, DomainError> {
        let bad = |what: &str| {
            DomainError::new(
                "comparison",
                format!("`{comparison}` is not a comparison for a {kind} target ({what})"),
            )
        };
        match kind {
            "absolute" => {
                let bound = match comparison {
                    "at_least" => Bound::AtLeast,
                    "at_most" => Bound::AtMost,
                    "equal" => Bound::Equal,
                    _ => return Err(bad("at_least, at_most or equal")),
                };
                let value = value.ok_or_else(|| DomainError::new("value", "an absolute target needs a value"))?;
                if !value.is_finite() {
                    return Err(DomainError::new("value", "must be a finite number"));
                }
                Ok(Self::Absolute { bound, value })
            }
            "direction" => {
                let movement = match comparison {
                    "increase" => Movement::Increase,
                    "decrease" => Movement::Decrease,
                    "not_decrease" => Movement::NotDecrease,
                    "not_increase" => Movement::NotIncrease,
                    _ => return Err(bad("increase, decrease, not_decrease or not_increase")),
                };
                Ok(Self::Direction { movement })
            }
            "relative" => {
                let relation = match comparison {
                    "above" => Relation::Above,
                    "below" => Relation::Below,
                    "at_least" => Relation::AtLeast,
                    "at_most" => Relation::AtMost,
                    _ => return Err(bad("above, below, at_least or at_most")),
                };
                let area = reference_area
                    .ok_or_else(|| DomainError::new("reference_area", "a relative target needs a reference area, such as 0000"))?;
                Ok(Self::Relative {
                    relation,
                    reference_area: AreaCode::parse(area).map_err(|e| DomainError::new("reference_area", e.message))?,
                })
            }
            other => Err(DomainError::new(
                "kind",
                format!("`{other}` is not a target kind (absolute, direction or relative)"),
            )),
        }
    }

    /// The three-part form: kind, comparison, value, reference area.
    pub fn to_parts(&self) -> (&'static str, &'static str, Option<f64>, Option<&str>) {
        match self {
            Self::Absolute { bound, value } => (
                "absolute",
                match bound {
                    Bound::AtLeast => "at_least",
                    Bound::AtMost => "at_most",
                    Bound::Equal => "equal",
                },
                Some(*value),
                None,
            ),
            Self::Direction { movement } => (
                "direction",
                match movement {
                    Movement::Increase => "increase",
                    Movement::Decrease => "decrease",
                    Movement::NotDecrease => "not_decrease",
                    Movement::NotIncrease => "not_increase",
                },
                None,
                None,
            ),
            Self::Relative { relation, reference_area } => (
                "relative",
                match relation {
                    Relation::Above => "above",
                    Relation::Below => "below",
                    Relation::AtLeast => "at_least",
                    Relation::AtMost => "at_most",
                },
                None,
                Some(reference_area.as_str()),
            ),
        }
    }
}

/// A target as stored: a rule for an indicator, an area and a range of years.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Database id.
    pub id: i64,
    /// The indicator it is set for.
    pub indicator_id: i64,
    /// The area it applies to.
    pub area: AreaCode,
    /// First year it holds.
    pub period_from: i32,
    /// Last year it holds; `None` until further notice.
    pub period_to: Option<i32>,
    /// The rule.
    pub rule: TargetRule,
    /// The phrase as written, e.g. "ska vara under riksgenomsnittet".
    pub note: Option<String>,
}

impl Target {
    /// True when the target holds for `year`.
    pub fn applies_to(&self, year: i32) -> bool {
        self.period_from <= year && self.period_to.is_none_or(|to| year <= to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_target_needs_a_reference_area() {
        let err = TargetRule::from_parts("relative", "above", None, None).unwrap_err();
        assert_eq!(err.field, "reference_area");
    }

    #[test]
    fn an_unknown_comparison_names_the_valid_ones() {
        let err = TargetRule::from_parts("absolute", "above", Some(1.0), None).unwrap_err();
        assert!(err.message.contains("at_least"));
    }

    #[test]
    fn parts_round_trip() {
        let r = TargetRule::from_parts("relative", "below", None, Some("0000")).unwrap();
        let (k, c, v, a) = r.to_parts();
        assert_eq!(TargetRule::from_parts(k, c, v, a).unwrap(), r);
    }
}
