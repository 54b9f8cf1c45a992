//! Indicators: what a goal or quality factor is followed up with, and which way is better.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::KpiId;

/// The role an indicator plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// Målindikator: measures a goal, has a desired direction and targets.
    GoalIndicator,
    /// Kvalitetsindikator: follows a quality factor; whether it gets targets is the model's call.
    QualityIndicator,
    /// Nyckeltal: a measured series shown for context.
    KeyFigure,
}

impl IndicatorKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GoalIndicator => "goal_indicator",
            Self::QualityIndicator => "quality_indicator",
            Self::KeyFigure => "key_figure",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        [Self::GoalIndicator, Self::QualityIndicator, Self::KeyFigure]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| DomainError::new("kind", format!("`{s}` is not an indicator kind")))
    }
}

/// Which way is better for an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher is better ("ska öka").
    Increase,
    /// Lower is better ("ska minska").
    Decrease,
    /// No direction is better (a key figure shown for context).
    None,
}

impl Direction {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Increase => "increase",
            Self::Decrease => "decrease",
            Self::None => "none",
        }
    }

    /// Whether a higher value ranks first among others: `None` when no direction is better.
    pub fn higher_first(self) -> Option<bool> {
        match self {
            Self::Increase => Some(true),
            Self::Decrease => Some(false),
            Self::None => None,
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "increase" => Ok(Self::Increase),
            "decrease" => Ok(Self::Decrease),
            "none" => Ok(Self::None),
            other => Err(DomainError::new("direction", format!("`{other}` is not a direction"))),
        }
    }
}

/// The direction parsed from a Swedish phrase, and whether the indicator must first be measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DesiredDirection {
    /// Which way is better.
    pub direction: Direction,
    /// "ska mätas och öka": no baseline exists yet; the indicator is to be measured first.
    pub measure_first: bool,
}

/// Reads the desired direction from the phrase a budget writes after an indicator:
/// "ska öka", "ska minska", "ska mätas och öka under planperioden", "ska förbättras",
/// "ska vara över riksgenomsnittet", "ska inte överstiga 4,0 mdkr" …
///
/// Negated upper bounds ("inte överstiga", "inte öka snabbare") and "under"/"minska" mean lower
/// is better; "öka", "förbättras", "minst", "över" mean higher is better. The last verb wins in
/// "ska mätas och minska", which is why decrease is tested before increase.
pub fn parse_desired_direction(phrase: &str) -> Result<DesiredDirection, DomainError> {
    let p = phrase.to_lowercase();
    let measure_first = p.contains("mätas");
    let decrease = [
        "inte överstiga",
        "inte öka",
        "minska",
        "under riksgenomsnittet",
        "vara under",
        "högst",
        "sänkas",
        "kortas",
    ];
    let increase = [
        "öka",
        "förbättra",
        "minst",
        "över riksgenomsnittet",
        "vara över",
        "uppgå till",
        "höjas",
        "självfinansieras",
    ];
    let direction = if decrease.iter().any(|w| p.contains(w)) {
        Direction::Decrease
    } else if increase.iter().any(|w| p.contains(w)) {
        Direction::Increase
    } else if p.contains("oförändrad") || p.trim().is_empty() {
        Direction::None
    } else {
        return Err(DomainError::new(
            "desired",
            format!(
                "cannot tell from `{phrase}` whether higher or lower is better (expected a phrase such as \"ska öka\" or \"ska minska\")"
            ),
        ));
    };
    Ok(DesiredDirection { direction, measure_first })
}

/// An indicator as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    /// Database id.
    pub id: i64,
    /// The municipality it belongs to.
    pub municipality_id: i64,
    /// Natural key within the municipality.
    pub key: String,
    /// Title as written.
    pub title: String,
    /// Role of the indicator.
    pub kind: IndicatorKind,
    /// Unit as written ("andel %", "antal", "skala 0-10" …).
    pub unit: Option<String>,
    /// Which way is better.
    pub direction: Direction,
    /// The phrase the direction was read from, as written.
    pub desired_text: Option<String>,
    /// True when the indicator is first to be measured (no baseline yet).
    pub measure_first: bool,
    /// The Kolada KPI it is sourced from, where known.
    pub kpi: Option<KpiId>,
    /// The organisation unit responsible, if any.
    pub owner_id: Option<i64>,
    /// Order among the indicators of its goal.
    pub position: i32,
}

impl Indicator {
    /// The series its values are stored under: its KPI's when it has one (so that a Kolada
    /// sync and the indicator share values), else its own.
    pub fn series(&self) -> crate::observation::SeriesRef {
        match &self.kpi {
            Some(k) => crate::observation::SeriesRef::Kpi(k.clone()),
            None => crate::observation::SeriesRef::Indicator(self.id),
        }
    }
}

/// Which indicators to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndicatorFilter {
    /// Indicators of this municipality (its root unit's id).
    pub municipality_id: Option<i64>,
    /// Indicators linked to this goal.
    pub goal_id: Option<i64>,
    /// Indicators owned by this unit or its subtree, or following up a goal owned there.
    pub org_unit_id: Option<i64>,
    /// Of this kind.
    pub kind: Option<IndicatorKind>,
    /// Sourced from this KPI.
    pub kpi: Option<String>,
    /// Title containing this text (case-insensitive).
    pub text: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(p: &str) -> DesiredDirection {
        parse_desired_direction(p).unwrap()
    }

    #[test]
    fn ska_oka_means_higher_is_better() {
        assert_eq!(dir("ska öka").direction, Direction::Increase);
        assert!(!dir("ska öka").measure_first);
    }

    #[test]
    fn ska_minska_means_lower_is_better() {
        assert_eq!(dir("ska minska").direction, Direction::Decrease);
    }

    #[test]
    fn ska_matas_och_oka_is_increase_measured_first() {
        let d = dir("ska mätas och öka under planperioden");
        assert_eq!(d.direction, Direction::Increase);
        assert!(d.measure_first);
        let d = dir("ska mätas och minska under planperioden");
        assert_eq!(d.direction, Direction::Decrease);
        assert!(d.measure_first);
    }

    #[test]
    fn bounds_and_national_comparisons_read_the_right_way() {
        assert_eq!(dir("ska förbättras").direction, Direction::Increase);
        assert_eq!(dir("ska vara över riksgenomsnittet").direction, Direction::Increase);
        assert_eq!(dir("ska vara under riksgenomsnittet").direction, Direction::Decrease);
        assert_eq!(dir("ska inte överstiga 4,0 mdkr").direction, Direction::Decrease);
        assert_eq!(dir("ska uppgå till minst 4 procent").direction, Direction::Increase);
        assert_eq!(dir("ska vara oförändrad eller öka").direction, Direction::Increase);
    }

    #[test]
    fn a_phrase_without_a_direction_is_an_error_naming_it() {
        let err = parse_desired_direction("ska beaktas").unwrap_err();
        assert!(err.message.contains("ska beaktas"));
    }
}
