//! A goal's attainment, rolled up from its indicators' statuses and its child goals.

use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use crate::follow_up::Assessment;
use crate::hierarchy::Hierarchy;
use crate::rules::evaluate::TargetStatus;

/// The roll-up of one goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attainment {
    /// Achieved when everything assessed is on target, not achieved when nothing is, partly in
    /// between, not assessed when nothing could be judged.
    pub assessment: Assessment,
    /// Share of the judged parts that are on target, 0–1; `None` when nothing was judged.
    pub share: Option<f64>,
    /// Indicators on target.
    pub on_target: u32,
    /// Indicators not on target.
    pub not_on_target: u32,
    /// Indicators without data.
    pub no_data: u32,
}

/// Rolls up a goal from its indicators' statuses and its child goals' attainments. A child goal
/// weighs as much as one indicator: achieved counts 1, partly 0.5, not achieved 0; children not
/// assessed are left out, as are indicators without data.
pub fn roll_up(indicators: &[TargetStatus], children: &[Assessment]) -> Attainment {
    let count = |s: TargetStatus| indicators.iter().filter(|x| **x == s).count() as u32;
    let (on, off, none) = (
        count(TargetStatus::OnTarget),
        count(TargetStatus::NotOnTarget),
        count(TargetStatus::NoData),
    );
    let mut score = on as f64;
    let mut judged = (on + off) as f64;
    for c in children {
        match c {
            Assessment::Achieved => {
                score += 1.0;
                judged += 1.0;
            }
            Assessment::PartlyAchieved => {
                score += 0.5;
                judged += 1.0;
            }
            Assessment::NotAchieved => judged += 1.0,
            Assessment::NotAssessed => {}
        }
    }
    let (assessment, share) = if judged == 0.0 {
        (Assessment::NotAssessed, None)
    } else {
        let share = score / judged;
        let a = if share >= 1.0 - 1e-9 {
            Assessment::Achieved
        } else if share <= 1e-9 {
            Assessment::NotAchieved
        } else {
            Assessment::PartlyAchieved
        };
        (a, Some(share))
    };
    Attainment {
        assessment,
        share,
        on_target: on,
        not_on_target: off,
        no_data: none,
    }
}

/// The attainment of `root` over a goal hierarchy, bottom-up: each goal rolls up its own
/// indicators' statuses (`own`) and the assessments of the goals below it that count (`counts`:
/// archived goals do not). Every goal is judged once, however many parents it has; a walk back
/// onto its own path (a cycle in stored data) is not followed.
pub fn roll_up_tree(root: i64, graph: &Hierarchy, counts: impl Fn(i64) -> bool, own: impl Fn(i64) -> Vec<TargetStatus>) -> Attainment {
    struct Walk<'a, C, O> {
        graph: &'a Hierarchy,
        counts: C,
        own: O,
        memo: HashMap<i64, Attainment>,
        on_path: Vec<i64>,
    }
    impl<C: Fn(i64) -> bool, O: Fn(i64) -> Vec<TargetStatus>> Walk<'_, C, O> {
        fn visit(&mut self, id: i64) -> Attainment {
            if let Some(a) = self.memo.get(&id) {
                return a.clone();
            }
            self.on_path.push(id);
            let next: Vec<i64> = self
                .graph
                .children(id)
                .iter()
                .copied()
                .filter(|c| (self.counts)(*c) && !self.on_path.contains(c))
                .collect();
            let children: Vec<Assessment> = next.into_iter().map(|c| self.visit(c).assessment).collect();
            self.on_path.pop();
            let a = roll_up(&(self.own)(id), &children);
            self.memo.insert(id, a.clone());
            a
        }
    }
    Walk {
        graph,
        counts,
        own,
        memo: HashMap::new(),
        on_path: Vec::new(),
    }
    .visit(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TargetStatus::*;

    #[test]
    fn a_tree_rolls_up_from_its_leaves_and_leaves_archived_goals_out() {
        // 1 ← 2 ← 4, 1 ← 3 (archived).
        let graph = Hierarchy::new([(2, 1), (3, 1), (4, 2)]);
        let own = |id: i64| match id {
            2 => vec![NotOnTarget],
            3 => vec![NotOnTarget, NotOnTarget],
            4 => vec![OnTarget],
            _ => vec![],
        };
        let a = roll_up_tree(1, &graph, |id| id != 3, own);
        // Goal 4 achieved, goal 2: one indicator off + goal 4 achieved = partly; goal 1: partly.
        assert_eq!(a.assessment, Assessment::PartlyAchieved);
        assert_eq!(a.share, Some(0.5));
        assert_eq!(roll_up_tree(4, &graph, |_| true, own).assessment, Assessment::Achieved);
    }

    #[test]
    fn a_goal_with_two_parents_counts_under_each_and_a_cycle_ends_the_walk() {
        let diamond = Hierarchy::new([(2, 1), (3, 1), (4, 2), (4, 3)]);
        let a = roll_up_tree(1, &diamond, |_| true, |id| if id == 4 { vec![OnTarget] } else { vec![] });
        assert_eq!(a.assessment, Assessment::Achieved);
        let cycle = Hierarchy::new([(1, 2), (2, 1)]);
        let a = roll_up_tree(1, &cycle, |_| true, |id| if id == 2 { vec![OnTarget] } else { vec![] });
        assert_eq!(a.assessment, Assessment::Achieved);
    }

    #[test]
    fn all_indicators_on_target_is_achieved() {
        assert_eq!(roll_up(&[OnTarget, OnTarget], &[]).assessment, Assessment::Achieved);
    }

    #[test]
    fn a_mix_is_partly_achieved_and_no_data_is_left_out() {
        let a = roll_up(&[OnTarget, NotOnTarget, NoData], &[]);
        assert_eq!(a.assessment, Assessment::PartlyAchieved);
        assert_eq!(a.share, Some(0.5));
        assert_eq!(a.no_data, 1);
    }

    #[test]
    fn nothing_judged_is_not_assessed() {
        assert_eq!(roll_up(&[NoData], &[Assessment::NotAssessed]).assessment, Assessment::NotAssessed);
    }

    #[test]
    fn child_goals_count_like_indicators() {
        let a = roll_up(&[NotOnTarget], &[Assessment::Achieved, Assessment::PartlyAchieved]);
        assert_eq!(a.assessment, Assessment::PartlyAchieved);
        assert_eq!(a.share, Some(0.5));
        assert_eq!(roll_up(&[], &[Assessment::NotAchieved]).assessment, Assessment::NotAchieved);
    }
}
