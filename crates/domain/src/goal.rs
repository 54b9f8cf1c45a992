//! Goals at every level, and the filter that selects them.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::DateRange;

/// What kind of goal this is; which kinds a level may set is part of the governance model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoalKind {
    /// Set by the council: prioriterat mål, koncerngemensamt mål, övergripande mål.
    CouncilGoal,
    /// Finansiellt mål for god ekonomisk hushållning.
    FinancialGoal,
    /// Verksamhetsmål for god ekonomisk hushållning.
    OperationalGoal,
    /// Nämndmål.
    CommitteeGoal,
    /// Utvecklingsmål (Alvesta: at most three per level).
    DevelopmentGoal,
    /// A unit's own goal (enhetsmål, verksamhetsmål på enhetsnivå).
    UnitGoal,
    /// A company's goal (from ägardirektiv).
    CompanyGoal,
}

impl GoalKind {
    /// Every kind.
    pub const ALL: [GoalKind; 7] = [
        Self::CouncilGoal,
        Self::FinancialGoal,
        Self::OperationalGoal,
        Self::CommitteeGoal,
        Self::DevelopmentGoal,
        Self::UnitGoal,
        Self::CompanyGoal,
    ];

    /// The snake_case name used in files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CouncilGoal => "council_goal",
            Self::FinancialGoal => "financial_goal",
            Self::OperationalGoal => "operational_goal",
            Self::CommitteeGoal => "committee_goal",
            Self::DevelopmentGoal => "development_goal",
            Self::UnitGoal => "unit_goal",
            Self::CompanyGoal => "company_goal",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| DomainError::new("kind", format!("`{s}` is not a goal kind")))
    }
}

/// A goal as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    /// Database id.
    pub id: i64,
    /// The municipality it belongs to.
    pub municipality_id: i64,
    /// The governance model (goal set) it was set under.
    pub governance_model_id: i64,
    /// Natural key within the municipality.
    pub key: String,
    /// Title as written.
    pub title: String,
    /// Motivation or description as written.
    pub description: Option<String>,
    /// Kind of goal.
    pub kind: GoalKind,
    /// The organisation unit that owns (set) the goal.
    pub owner_id: i64,
    /// The focus area it belongs to, if any.
    pub focus_area_id: Option<i64>,
    /// Period of validity.
    pub validity: DateRange,
    /// Agenda 2030 global goals (1–17) it is tagged with.
    pub agenda2030: Vec<u8>,
    /// The decision that set it, e.g. "KF 2024-02-26 § 15".
    pub decision: Option<String>,
    /// Order among its siblings.
    pub position: i32,
    /// Archived goals are kept for history but no longer in force.
    pub archived: bool,
}

/// Which goals to list. Both GraphQL and REST translate into this; only the store turns it
/// into SQL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GoalFilter {
    /// Goals of this municipality (its root unit's id).
    pub municipality_id: Option<i64>,
    /// Goals of this governance model (by key).
    pub governance_model: Option<String>,
    /// Goals of this kind.
    pub kind: Option<GoalKind>,
    /// Goals owned by this organisation unit …
    pub owner_id: Option<i64>,
    /// … or by any unit below it.
    pub include_subtree: bool,
    /// Goals of this focus area.
    pub focus_area_id: Option<i64>,
    /// Goals tagged with this Agenda 2030 goal (1–17).
    pub agenda2030: Option<u8>,
    /// Title or description containing this text (case-insensitive).
    pub text: Option<String>,
    /// Goals in force some time during this year.
    pub year: Option<i32>,
    /// Include archived goals.
    pub include_archived: bool,
}

/// Case-insensitive "contains" for free-text filters; Swedish letters included, which SQL's
/// `LOWER` does not fold on SQLite, so text filters are applied in Rust.
pub fn text_matches(needle: &str, haystacks: &[Option<&str>]) -> bool {
    let needle = needle.trim().to_lowercase();
    needle.is_empty() || haystacks.iter().flatten().any(|h| h.to_lowercase().contains(&needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_filters_fold_swedish_letters() {
        assert!(text_matches("ÄLDRE", &[Some("Nöjdhet inom äldreomsorgen")]));
        assert!(!text_matches("skola", &[None, Some("Trygghet")]));
    }
}
