//! Rows → domain types. A row that does not convert means the database holds something the
//! code never writes: reported as an internal error naming the table and id.

use styrhub_domain::goal::{Goal, GoalKind};
use styrhub_domain::governance_model::{GovernanceModel, GovernanceRules};
use styrhub_domain::ids::DateRange;
use styrhub_domain::org_unit::{OrgUnit, OrgUnitKind};
use styrhub_domain::vision::{FocusArea, Vision};
use styrhub_domain::{DomainError, RepoError};

use crate::entities::{focus_area, goal, governance_model, org_unit, vision};

fn corrupt(table: &str, id: i64, e: impl std::fmt::Display) -> RepoError {
    RepoError::Internal(format!("{table} {id} holds a value the code cannot read: {e}"))
}

/// Joins a list for a text column (JSON keeps any character safe).
pub fn list_to_text(items: &[String]) -> String {
    serde_json::to_string(items).expect("a list of strings serialises")
}

/// Reads a list from a text column.
pub fn text_to_list(table: &str, id: i64, s: &str) -> Result<Vec<String>, RepoError> {
    serde_json::from_str(s).map_err(|e| corrupt(table, id, e))
}

/// Agenda 2030 tags as stored: comma-separated numbers, empty when none.
pub fn agenda_to_text(tags: &[u8]) -> String {
    tags.iter().map(u8::to_string).collect::<Vec<_>>().join(",")
}

impl TryFrom<org_unit::Model> for OrgUnit {
    type Error = RepoError;
    fn try_from(m: org_unit::Model) -> Result<Self, RepoError> {
        Ok(OrgUnit {
            id: m.id,
            municipality_id: m.municipality_id.unwrap_or(m.id),
            parent_id: m.parent_id,
            kind: OrgUnitKind::parse(&m.kind).map_err(|e| corrupt("org_unit", m.id, e))?,
            key: m.key,
            name: m.name,
            short_name: m.short_name,
            municipality_code: m.municipality_code,
            kolada_ou_id: m.kolada_ou_id,
        })
    }
}

impl TryFrom<governance_model::Model> for GovernanceModel {
    type Error = RepoError;
    fn try_from(m: governance_model::Model) -> Result<Self, RepoError> {
        let rules: GovernanceRules = serde_json::from_str(&m.rules).map_err(|e| corrupt("governance_model", m.id, e))?;
        Ok(GovernanceModel {
            id: m.id,
            municipality_id: m.municipality_id,
            key: m.key,
            name: m.name,
            description: m.description,
            decision: m.decision,
            validity: DateRange::new(m.valid_from, m.valid_to).map_err(|e| corrupt("governance_model", m.id, e))?,
            rules,
        })
    }
}

impl TryFrom<vision::Model> for Vision {
    type Error = RepoError;
    fn try_from(m: vision::Model) -> Result<Self, RepoError> {
        Ok(Vision {
            values: text_to_list("vision", m.id, &m.vision_values)?,
            id: m.id,
            municipality_id: m.municipality_id,
            key: m.key,
            title: m.title,
            statement: m.statement,
            horizon_year: m.horizon_year,
        })
    }
}

impl From<focus_area::Model> for FocusArea {
    fn from(m: focus_area::Model) -> Self {
        FocusArea {
            id: m.id,
            vision_id: m.vision_id,
            key: m.key,
            title: m.title,
            description: m.description,
            position: m.position,
        }
    }
}

impl TryFrom<goal::Model> for Goal {
    type Error = RepoError;
    fn try_from(m: goal::Model) -> Result<Self, RepoError> {
        let agenda2030 = m
            .agenda2030
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<u8>().map_err(|_| DomainError::new("agenda2030", s)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| corrupt("goal", m.id, e))?;
        Ok(Goal {
            id: m.id,
            municipality_id: m.municipality_id,
            governance_model_id: m.governance_model_id,
            kind: GoalKind::parse(&m.kind).map_err(|e| corrupt("goal", m.id, e))?,
            validity: DateRange::new(m.valid_from, m.valid_to).map_err(|e| corrupt("goal", m.id, e))?,
            key: m.key,
            title: m.title,
            description: m.description,
            owner_id: m.owner_id,
            focus_area_id: m.focus_area_id,
            agenda2030,
            decision: m.decision,
            position: m.position,
            archived: m.archived,
        })
    }
}
