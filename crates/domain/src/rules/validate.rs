//! Validation of a governance chain against itself and against its governance model.
//! Errors stop a write; warnings (such as a level over its cap of development goals) are
//! reported and the write goes ahead, as the seeds treat caps as guidance.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::follow_up::FollowUpKind;
use crate::goal::GoalKind;
use crate::governance_model::GovernanceRules;
use crate::indicator::IndicatorKind;
use crate::org_unit::OrgUnitKind;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The data is wrong; nothing is written.
    Error,
    /// The data breaks a guideline of the model; it is written and the warning reported.
    Warning,
}

/// One finding, naming where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// Where, e.g. `goals[kf-2021-mal-1].owner`.
    pub field: String,
    /// What, in plain words.
    pub message: String,
}

impl Finding {
    /// An error.
    pub fn error(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            field: field.into(),
            message: message.into(),
        }
    }

    /// A warning.
    pub fn warning(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<DomainError> for Finding {
    fn from(e: DomainError) -> Self {
        Self::error(e.field, e.message)
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{s}: {}: {}", self.field, self.message)
    }
}

/// Finds a goal that is its own ancestor. `edges` are (goal, parent) pairs; a goal may have
/// several parents (a hierarchy, not only a tree). Returns the cycle, starting and ending with
/// the same goal, or `None`.
pub fn find_goal_cycle<K: Ord + Clone>(edges: &[(K, K)]) -> Option<Vec<K>> {
    let mut parents: BTreeMap<&K, Vec<&K>> = BTreeMap::new();
    for (child, parent) in edges {
        parents.entry(child).or_default().push(parent);
    }
    // Iterative depth-first search with colours: 1 = on the current path, 2 = done.
    let mut colour: BTreeMap<&K, u8> = BTreeMap::new();
    for start in parents.keys() {
        if colour.contains_key(start) {
            continue;
        }
        let mut path: Vec<&K> = vec![start];
        let mut next: Vec<usize> = vec![0];
        colour.insert(start, 1);
        while let Some(node) = path.last().copied() {
            let i = next.last_mut().expect("stacks move together");
            let ps = parents.get(node).map(Vec::as_slice).unwrap_or(&[]);
            if *i < ps.len() {
                let p = ps[*i];
                *i += 1;
                match colour.get(p) {
                    Some(1) => {
                        let at = path.iter().position(|n| *n == p).expect("on the path");
                        let mut cycle: Vec<K> = path[at..].iter().map(|k| (*k).clone()).collect();
                        cycle.push(p.clone());
                        return Some(cycle);
                    }
                    Some(_) => {}
                    None => {
                        colour.insert(p, 1);
                        path.push(p);
                        next.push(0);
                    }
                }
            } else {
                colour.insert(node, 2);
                path.pop();
                next.pop();
            }
        }
    }
    None
}

/// Checks that a unit of `owner_kind` may set a goal of `goal_kind` under the model.
pub fn check_goal_kind(
    field: &str,
    goal_kind: GoalKind,
    owner_kind: OrgUnitKind,
    rules: &GovernanceRules,
    model_name: &str,
) -> Result<(), Finding> {
    if rules.levels.is_empty() {
        // A model that names no goal-setting levels (Borås' trust-based model) does not restrict.
        return Ok(());
    }
    match rules.level(owner_kind) {
        None => Err(Finding::error(
            field,
            format!(
                "{model_name} does not let the level {} set goals (levels that do: {})",
                owner_kind.as_str(),
                rules.levels.iter().map(|l| l.org_kind.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
        Some(level) if !level.goal_kinds.contains(&goal_kind) => Err(Finding::error(
            field,
            format!(
                "{model_name} does not let the level {} set a {} (it may set: {})",
                owner_kind.as_str(),
                goal_kind.as_str(),
                level.goal_kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// Counts goals per owner against the model's caps. `goals` are (owner name, owner kind, goal
/// kind) for the goals in force together under one model. Over a cap is a warning.
pub fn check_goal_caps(goals: &[(String, OrgUnitKind, GoalKind)], rules: &GovernanceRules, model_name: &str) -> Vec<Finding> {
    let mut per_owner: BTreeMap<(&str, OrgUnitKind), Vec<GoalKind>> = BTreeMap::new();
    for (owner, kind, goal_kind) in goals {
        per_owner.entry((owner.as_str(), *kind)).or_default().push(*goal_kind);
    }
    let mut out = Vec::new();
    for ((owner, org_kind), kinds) in per_owner {
        let Some(level) = rules.level(org_kind) else { continue };
        if let Some(max) = level.max_goals {
            if kinds.len() as u32 > max {
                out.push(Finding::warning(
                    format!("goals[owner={owner}]"),
                    format!(
                        "{owner} has {} goals; {model_name} caps a {} at {max}",
                        kinds.len(),
                        org_kind.as_str()
                    ),
                ));
            }
        }
        for (goal_kind, max) in &level.max_per_kind {
            let n = kinds.iter().filter(|k| *k == goal_kind).count() as u32;
            if n > *max {
                out.push(Finding::warning(
                    format!("goals[owner={owner}]"),
                    format!(
                        "{owner} has {n} of kind {}; {model_name} allows at most {max} per {}",
                        goal_kind.as_str(),
                        org_kind.as_str()
                    ),
                ));
            }
        }
    }
    out
}

/// Checks that an indicator of `kind` may have a target under the model.
pub fn check_target_allowed(field: &str, kind: IndicatorKind, rules: &GovernanceRules, model_name: &str) -> Result<(), Finding> {
    if kind == IndicatorKind::QualityIndicator && !rules.quality_indicators_have_targets {
        return Err(Finding::error(
            field,
            format!("{model_name} sets no targets for quality indicators"),
        ));
    }
    Ok(())
}

/// Checks that the model's calendar has a report of `kind`.
pub fn check_follow_up_kind(field: &str, kind: FollowUpKind, rules: &GovernanceRules, model_name: &str) -> Result<(), Finding> {
    if rules.follow_up(kind).is_none() {
        let known: BTreeSet<&str> = rules.follow_ups.iter().map(|f| f.kind.as_str()).collect();
        return Err(Finding::error(
            field,
            format!(
                "{model_name} has no {} in its follow-up calendar (it has: {})",
                kind.as_str(),
                known.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    Ok(())
}

/// Checks a range of years: `from` not after `to`.
pub fn check_period(field: &str, from: i32, to: Option<i32>) -> Result<(), Finding> {
    crate::ids::Year::new(from).map_err(|e| Finding::error(field, e.message))?;
    if let Some(to) = to {
        crate::ids::Year::new(to).map_err(|e| Finding::error(field, e.message))?;
        if to < from {
            return Err(Finding::error(field, format!("the period ends {to}, before it starts ({from})")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance_model::GoalLevel;

    fn alvesta() -> GovernanceRules {
        GovernanceRules {
            levels: vec![GoalLevel {
                org_kind: OrgUnitKind::Committee,
                goal_kinds: vec![GoalKind::DevelopmentGoal],
                max_goals: None,
                max_per_kind: [(GoalKind::DevelopmentGoal, 3)].into_iter().collect(),
            }],
            quality_indicators_have_targets: false,
            ..Default::default()
        }
    }

    #[test]
    fn a_goal_that_is_its_own_ancestor_is_found() {
        let edges = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")];
        let cycle = find_goal_cycle(&edges).unwrap();
        assert_eq!(cycle.first(), cycle.last());
        assert!(cycle.len() == 4);
    }

    #[test]
    fn a_goal_with_two_parents_is_not_a_cycle() {
        let edges = [(1, 2), (1, 3), (2, 4), (3, 4)];
        assert_eq!(find_goal_cycle(&edges), None);
        assert!(find_goal_cycle(&[(7, 7)]).is_some());
    }

    #[test]
    fn a_fourth_development_goal_is_a_warning_not_an_error() {
        let goals: Vec<_> = (0..4)
            .map(|_| ("Socialnämnden".to_owned(), OrgUnitKind::Committee, GoalKind::DevelopmentGoal))
            .collect();
        let f = check_goal_caps(&goals, &alvesta(), "Alvesta");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].message.contains("at most 3"));
        assert!(check_goal_caps(&goals[..3], &alvesta(), "Alvesta").is_empty());
    }

    #[test]
    fn a_level_may_only_set_the_goal_kinds_of_its_model() {
        assert!(check_goal_kind("g", GoalKind::DevelopmentGoal, OrgUnitKind::Committee, &alvesta(), "m").is_ok());
        let e = check_goal_kind("g", GoalKind::CouncilGoal, OrgUnitKind::Committee, &alvesta(), "m").unwrap_err();
        assert!(e.message.contains("development_goal"));
        let e = check_goal_kind("g", GoalKind::CouncilGoal, OrgUnitKind::Council, &alvesta(), "m").unwrap_err();
        assert!(e.message.contains("council"));
    }

    #[test]
    fn quality_indicators_get_no_targets_in_alvesta() {
        assert!(check_target_allowed("t", IndicatorKind::QualityIndicator, &alvesta(), "Alvesta").is_err());
        assert!(check_target_allowed("t", IndicatorKind::GoalIndicator, &alvesta(), "Alvesta").is_ok());
    }

    #[test]
    fn a_report_missing_from_the_calendar_is_rejected() {
        let e = check_follow_up_kind("f", FollowUpKind::Monthly, &alvesta(), "Alvesta").unwrap_err();
        assert!(e.message.contains("monthly"));
    }

    #[test]
    fn periods_run_forwards() {
        assert!(check_period("p", 2021, Some(2023)).is_ok());
        assert!(check_period("p", 2023, Some(2021)).is_err());
        assert!(check_period("p", 20221, None).is_err());
    }
}
