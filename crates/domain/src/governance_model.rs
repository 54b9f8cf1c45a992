//! The governance model (styrmodell) of a municipality: who sets which goals, how many, which
//! plans exist, whether quality indicators get targets, and the follow-up calendar (årshjul).
//! Every municipality's model differs, so all of it is data, checked by [`crate::rules::validate`].

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::follow_up::FollowUpKind;
use crate::goal::GoalKind;
use crate::ids::DateRange;
use crate::org_unit::OrgUnitKind;

/// Which goals an organisation level may set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalLevel {
    /// The level: an organisation unit kind.
    pub org_kind: OrgUnitKind,
    /// The goal kinds units at this level may set.
    pub goal_kinds: Vec<GoalKind>,
    /// A cap on all goals per unit at this level; exceeding it is a warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_goals: Option<u32>,
    /// Caps per goal kind per unit (Alvesta: three development goals); exceeding is a warning.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub max_per_kind: BTreeMap<GoalKind, u32>,
}

/// A month and day, `MM-DD`, for the periods a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MonthDay {
    /// 1–12.
    pub month: u32,
    /// 1–31, valid for the month (29 February allowed).
    pub day: u32,
}

impl MonthDay {
    /// Parses `MM-DD`.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::new("covers", format!("`{s}` is not a month and day (MM-DD)"));
        let (m, d) = s.split_once('-').ok_or_else(bad)?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        let day: u32 = d.parse().map_err(|_| bad())?;
        // 2000 is a leap year, so 02-29 is accepted.
        NaiveDate::from_ymd_opt(2000, month, day).ok_or_else(bad)?;
        Ok(Self { month, day })
    }
}

impl TryFrom<String> for MonthDay {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<MonthDay> for String {
    fn from(m: MonthDay) -> Self {
        format!("{:02}-{:02}", m.month, m.day)
    }
}

/// A report of the follow-up calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRule {
    /// Which report.
    pub kind: FollowUpKind,
    /// The municipality's name for it ("Delårsrapport 1").
    pub name: String,
    /// Start of the period covered; `None` for reports whose period is set case by case
    /// (a monthly report covers its month, or the year to date, as the committee decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covers_from: Option<MonthDay>,
    /// End of the period covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covers_to: Option<MonthDay>,
    /// The level that approves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<OrgUnitKind>,
    /// Month it is due or decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_month: Option<u32>,
    /// Only where a committee decides (monthly reports).
    #[serde(default)]
    pub optional: bool,
}

/// Another event of the årshjul.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarEvent {
    /// Month, 1–12.
    pub month: u32,
    /// What happens.
    pub event: String,
}

/// The rules of a governance model: everything but its identity. Stored as one document.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GovernanceRules {
    /// Which levels set which goals.
    #[serde(default)]
    pub levels: Vec<GoalLevel>,
    /// Whether quality indicators may have targets (Alvesta: never).
    pub quality_indicators_have_targets: bool,
    /// Whether political directions are followed up by default (Alingsås 2024: no).
    pub political_directions_followed_up: bool,
    /// The chain of plans, top down (Strängnäs: flerårsplan → verksamhetsplan → …).
    #[serde(default)]
    pub plans: Vec<String>,
    /// The follow-up reports.
    #[serde(default)]
    pub follow_ups: Vec<FollowUpRule>,
    /// Other events of the annual cycle.
    #[serde(default)]
    pub calendar: Vec<CalendarEvent>,
}

impl GovernanceRules {
    /// The level rules for `kind`, if that level sets goals.
    pub fn level(&self, kind: OrgUnitKind) -> Option<&GoalLevel> {
        self.levels.iter().find(|l| l.org_kind == kind)
    }

    /// The calendar's rule for a report kind.
    pub fn follow_up(&self, kind: FollowUpKind) -> Option<&FollowUpRule> {
        self.follow_ups.iter().find(|f| f.kind == kind)
    }

    /// Checks the model itself: months in range, coverage periods in order, no level twice.
    pub fn check(&self) -> Result<(), DomainError> {
        for (i, f) in self.follow_ups.iter().enumerate() {
            if let (Some(from), Some(to)) = (f.covers_from, f.covers_to) {
                if to < from {
                    return Err(DomainError::new(
                        format!("follow_ups[{i}].covers_to"),
                        format!("{} ends before it starts", f.name),
                    ));
                }
            }
            if f.covers_from.is_some() != f.covers_to.is_some() {
                return Err(DomainError::new(
                    format!("follow_ups[{i}].covers_to"),
                    format!("{} needs both covers_from and covers_to, or neither", f.name),
                ));
            }
            if let Some(m) = f.due_month {
                if !(1..=12).contains(&m) {
                    return Err(DomainError::new(
                        format!("follow_ups[{i}].due_month"),
                        format!("{m} is not a month"),
                    ));
                }
            }
        }
        for (i, e) in self.calendar.iter().enumerate() {
            if !(1..=12).contains(&e.month) {
                return Err(DomainError::new(
                    format!("calendar[{i}].month"),
                    format!("{} is not a month", e.month),
                ));
            }
        }
        for (i, l) in self.levels.iter().enumerate() {
            if self.levels[..i].iter().any(|o| o.org_kind == l.org_kind) {
                return Err(DomainError::new(
                    format!("levels[{i}].org_kind"),
                    format!("the level {} is defined twice", l.org_kind.as_str()),
                ));
            }
        }
        Ok(())
    }
}

/// A governance model as stored, attached to a municipality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GovernanceModel {
    /// Database id.
    pub id: i64,
    /// The municipality (root org unit).
    pub municipality_id: i64,
    /// Natural key, e.g. `styrmodell-2024`.
    pub key: String,
    /// Name as written.
    pub name: String,
    /// Summary.
    pub description: Option<String>,
    /// The decision that adopted it.
    pub decision: Option<String>,
    /// Period in force.
    pub validity: DateRange,
    /// The rules.
    pub rules: GovernanceRules,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_days_are_checked_against_the_calendar() {
        assert!(MonthDay::parse("04-30").is_ok());
        assert!(MonthDay::parse("02-29").is_ok());
        assert!(MonthDay::parse("04-31").is_err());
        assert!(MonthDay::parse("13-01").is_err());
    }

    #[test]
    fn a_report_that_ends_before_it_starts_is_rejected() {
        let rules = GovernanceRules {
            follow_ups: vec![FollowUpRule {
                kind: FollowUpKind::InterimReport1,
                name: "Delårsrapport 1".into(),
                covers_from: Some(MonthDay::parse("05-01").unwrap()),
                covers_to: Some(MonthDay::parse("04-30").unwrap()),
                decided_by: None,
                due_month: None,
                optional: false,
            }],
            ..Default::default()
        };
        let err = rules.check().unwrap_err();
        assert_eq!(err.field, "follow_ups[0].covers_to");
    }
}
