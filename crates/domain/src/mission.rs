//! Basic missions, quality factors and political directions: what governs a unit besides goals.

use serde::{Deserialize, Serialize};

use crate::ids::DateRange;

/// A unit's basic mission (grunduppdrag): why it exists, for whom, under what, with what risks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BasicMission {
    /// Database id.
    pub id: i64,
    /// The unit.
    pub org_unit_id: i64,
    /// Natural key.
    pub key: String,
    /// What the unit exists for.
    pub purpose: String,
    /// Whom it serves.
    pub target_groups: Vec<String>,
    /// Laws and documents that govern it.
    pub governing_documents: Vec<String>,
    /// Its risks.
    pub risks: Vec<String>,
}

/// A quality factor (kvalitetsfaktor): what marks good quality in a basic mission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityFactor {
    /// Database id.
    pub id: i64,
    /// The unit.
    pub org_unit_id: i64,
    /// Natural key.
    pub key: String,
    /// Title as written.
    pub title: String,
    /// Description as written.
    pub description: Option<String>,
    /// The basic mission it belongs to.
    pub basic_mission_id: Option<i64>,
}

/// A political direction (politisk inriktning): a committee's stated priority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoliticalDirection {
    /// Database id.
    pub id: i64,
    /// The unit that stated it.
    pub org_unit_id: i64,
    /// Natural key.
    pub key: String,
    /// Title as written.
    pub title: String,
    /// Description as written.
    pub description: Option<String>,
    /// Period in force.
    pub validity: DateRange,
    /// Whether it is followed up (Alingsås 2024: not by default).
    pub followed_up: bool,
}
