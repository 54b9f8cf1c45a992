//! Assignments (särskilda uppdrag): given by one level to a level below.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// Where an assignment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatus {
    /// Given, not started.
    NotStarted,
    /// Being carried out.
    InProgress,
    /// Done and reported back.
    Completed,
    /// Withdrawn.
    Cancelled,
}

impl AssignmentStatus {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "not_started" => Ok(Self::NotStarted),
            "in_progress" => Ok(Self::InProgress),
            "completed" => Ok(Self::Completed),
            "cancelled" => Ok(Self::Cancelled),
            other => Err(DomainError::new(
                "status",
                format!("`{other}` is not an assignment status (not_started, in_progress, completed, cancelled)"),
            )),
        }
    }
}

/// An assignment as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// Database id.
    pub id: i64,
    /// The municipality.
    pub municipality_id: i64,
    /// Natural key.
    pub key: String,
    /// Short title.
    pub title: String,
    /// The text as written.
    pub description: Option<String>,
    /// The unit that gave it.
    pub from_org_unit_id: i64,
    /// The unit that carries it out.
    pub to_org_unit_id: i64,
    /// When it is due.
    pub deadline: Option<NaiveDate>,
    /// How it is funded, as written.
    pub funding: Option<String>,
    /// Funding in thousands of SEK.
    pub funding_tkr: Option<f64>,
    /// Where it stands.
    pub status: AssignmentStatus,
    /// The goal it serves.
    pub goal_id: Option<i64>,
    /// What the receiving unit reports it achieved.
    pub result: Option<String>,
}

/// Which assignments to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssignmentFilter {
    /// Of this municipality.
    pub municipality_id: i64,
    /// Given by this unit.
    pub from_org_unit_id: Option<i64>,
    /// Given to this unit.
    pub to_org_unit_id: Option<i64>,
    /// In this status.
    pub status: Option<AssignmentStatus>,
    /// Serving this goal.
    pub goal_id: Option<i64>,
}
