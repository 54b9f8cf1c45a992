//! A goal's attainment, rolled up from its indicators' statuses and its child goals.

use serde::{Deserialize, Serialize};

use crate::follow_up::Assessment;
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

#[cfg(test)]
mod tests {
    use super::*;
    use TargetStatus::*;

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
