//! Goals at every level, and the filter that selects them.

use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use crate::error::DomainError;
use crate::hierarchy::Hierarchy;
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

/// The goals among `ids` found in `goals`, in the chain's order (position, then key), archived
/// ones left out when `live`: how every list of a goal's children or parents is shown.
pub fn in_chain_order<'a>(ids: &[i64], goals: &'a HashMap<i64, Goal>, live: bool) -> Vec<&'a Goal> {
    let mut out: Vec<&Goal> = ids
        .iter()
        .filter_map(|id| goals.get(id))
        .filter(|g| !(live && g.archived))
        .collect();
    out.sort_by(|a, b| (a.position, &a.key).cmp(&(b.position, &b.key)));
    out
}

/// The way up from `start` towards the vision: the goal, its first parent in the chain's order,
/// that goal's first parent … until a goal with a focus area (where the chain meets the
/// vision), a goal without parents, or a goal already on the way (a cycle in stored data).
/// `goals` holds the goals above `start` (its ancestors).
pub fn way_up<'a>(start: &'a Goal, graph: &Hierarchy, goals: &'a HashMap<i64, Goal>) -> Vec<&'a Goal> {
    let mut way = vec![start];
    let mut current = start;
    while current.focus_area_id.is_none() {
        let next = in_chain_order(graph.parents(current.id), goals, false).into_iter().next();
        match next {
            Some(g) if !way.iter().any(|w| w.id == g.id) => {
                way.push(g);
                current = g;
            }
            _ => break,
        }
    }
    way
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal(id: i64, position: i32, focus_area: Option<i64>) -> Goal {
        Goal {
            id,
            municipality_id: 1,
            governance_model_id: 1,
            key: format!("g{id}"),
            title: format!("Mål {id}"),
            description: None,
            kind: GoalKind::CommitteeGoal,
            owner_id: 1,
            focus_area_id: focus_area,
            validity: DateRange::new(chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap(), None).unwrap(),
            agenda2030: Vec::new(),
            decision: None,
            position,
            archived: false,
        }
    }

    #[test]
    fn children_come_in_position_order_and_archived_ones_only_when_asked() {
        let mut archived = goal(3, 0, None);
        archived.archived = true;
        let goals: HashMap<i64, Goal> = [goal(1, 2, None), goal(2, 1, None), archived]
            .into_iter()
            .map(|g| (g.id, g))
            .collect();
        let ids = |v: Vec<&Goal>| v.iter().map(|g| g.id).collect::<Vec<_>>();
        assert_eq!(ids(in_chain_order(&[1, 2, 3, 9], &goals, true)), [2, 1]);
        assert_eq!(ids(in_chain_order(&[1, 2, 3], &goals, false)), [3, 2, 1]);
    }

    #[test]
    fn the_way_up_takes_the_first_parent_until_a_focus_area_and_stops_at_a_cycle() {
        // 4 → 2 (position 1) and 3 (position 0) → 1 (focus area 7).
        let graph = Hierarchy::new([(4, 2), (4, 3), (3, 1), (2, 1)]);
        let goals: HashMap<i64, Goal> = [goal(1, 0, Some(7)), goal(2, 1, None), goal(3, 0, None), goal(4, 0, None)]
            .into_iter()
            .map(|g| (g.id, g))
            .collect();
        let way: Vec<i64> = way_up(&goals[&4], &graph, &goals).iter().map(|g| g.id).collect();
        assert_eq!(way, [4, 3, 1]);
        let cycle = Hierarchy::new([(1, 2), (2, 1)]);
        let goals: HashMap<i64, Goal> = [goal(1, 0, None), goal(2, 0, None)].into_iter().map(|g| (g.id, g)).collect();
        let way: Vec<i64> = way_up(&goals[&1], &cycle, &goals).iter().map(|g| g.id).collect();
        assert_eq!(way, [1, 2]);
    }

    #[test]
    fn text_filters_fold_swedish_letters() {
        assert!(text_matches("ÄLDRE", &[Some("Nöjdhet inom äldreomsorgen")]));
        assert!(!text_matches("skola", &[None, Some("Trygghet")]));
    }
}
