//! Follow-ups: interim reports, annual reports and monthly reports, and each goal's assessment.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// Which report a follow-up is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    /// Delårsrapport 1 (typically January–April).
    #[serde(rename = "interim_report_1")]
    InterimReport1,
    /// Delårsrapport 2 (typically January–August).
    #[serde(rename = "interim_report_2")]
    InterimReport2,
    /// Årsredovisning.
    AnnualReport,
    /// Månadsrapport, where a committee decides.
    Monthly,
}

impl FollowUpKind {
    /// Every kind.
    pub const ALL: [FollowUpKind; 4] = [Self::InterimReport1, Self::InterimReport2, Self::AnnualReport, Self::Monthly];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InterimReport1 => "interim_report_1",
            Self::InterimReport2 => "interim_report_2",
            Self::AnnualReport => "annual_report",
            Self::Monthly => "monthly",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            DomainError::new(
                "kind",
                format!("`{s}` is not a follow-up kind (interim_report_1, interim_report_2, annual_report, monthly)"),
            )
        })
    }
}

/// How a goal was judged in a follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assessment {
    /// Uppfyllt.
    Achieved,
    /// Delvis uppfyllt.
    PartlyAchieved,
    /// Ej uppfyllt.
    NotAchieved,
    /// Ej bedömt.
    NotAssessed,
}

impl Assessment {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Achieved => "achieved",
            Self::PartlyAchieved => "partly_achieved",
            Self::NotAchieved => "not_achieved",
            Self::NotAssessed => "not_assessed",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "achieved" => Ok(Self::Achieved),
            "partly_achieved" => Ok(Self::PartlyAchieved),
            "not_achieved" => Ok(Self::NotAchieved),
            "not_assessed" => Ok(Self::NotAssessed),
            other => Err(DomainError::new(
                "assessment",
                format!("`{other}` is not an assessment (achieved, partly_achieved, not_achieved, not_assessed)"),
            )),
        }
    }
}

/// A follow-up period as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    /// Database id.
    pub id: i64,
    /// The governance model whose calendar defines it.
    pub governance_model_id: i64,
    /// Which report.
    pub kind: FollowUpKind,
    /// The year it reports on.
    pub year: i32,
    /// The month, for monthly reports.
    pub month: Option<u32>,
    /// When it was approved; an approved follow-up is locked.
    pub approved_at: Option<DateTime<Utc>>,
}

/// A goal's assessment in one follow-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoalAssessment {
    /// Database id.
    pub id: i64,
    /// The follow-up.
    pub follow_up_id: i64,
    /// The goal.
    pub goal_id: i64,
    /// The judgement.
    pub assessment: Assessment,
    /// Forecast for the year's end, as the same scale.
    pub forecast: Option<Assessment>,
    /// The analysis as written.
    pub analysis: Option<String>,
}
