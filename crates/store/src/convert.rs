//! Rows → domain types. A row that does not convert means the database holds something the
//! code never writes: reported as an internal error naming the table and id.

use styrhub_domain::assignment::{Assignment, AssignmentStatus};
use styrhub_domain::budget::{BudgetKind, BudgetLine};
use styrhub_domain::follow_up::{Assessment, FollowUp, FollowUpKind, GoalAssessment};
use styrhub_domain::goal::{Goal, GoalKind};
use styrhub_domain::governance_model::{GovernanceModel, GovernanceRules};
use styrhub_domain::ids::{AreaCode, DateRange, Gender, KpiId};
use styrhub_domain::indicator::{Direction, Indicator, IndicatorKind};
use styrhub_domain::kpi::{Area, Kpi};
use styrhub_domain::mission::{BasicMission, PoliticalDirection, QualityFactor};
use styrhub_domain::org_unit::{OrgUnit, OrgUnitKind};
use styrhub_domain::series::SeriesDigest;
use styrhub_domain::target::{Target, TargetRule};
use styrhub_domain::vision::{FocusArea, Vision};
use styrhub_domain::{DomainError, RepoError};

use crate::entities::{
    area, assignment, basic_mission, budget, focus_area, follow_up, goal, goal_assessment, governance_model, indicator, kpi, org_unit,
    political_direction, quality_factor, series_digest, target, vision,
};

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

impl TryFrom<indicator::Model> for Indicator {
    type Error = RepoError;
    fn try_from(m: indicator::Model) -> Result<Self, RepoError> {
        Ok(Indicator {
            kind: IndicatorKind::parse(&m.kind).map_err(|e| corrupt("indicator", m.id, e))?,
            direction: Direction::parse(&m.direction).map_err(|e| corrupt("indicator", m.id, e))?,
            kpi: m
                .kpi_id
                .as_deref()
                .map(KpiId::parse)
                .transpose()
                .map_err(|e| corrupt("indicator", m.id, e))?,
            id: m.id,
            municipality_id: m.municipality_id,
            key: m.key,
            title: m.title,
            unit: m.unit,
            desired_text: m.desired_text,
            measure_first: m.measure_first,
            owner_id: m.owner_id,
            position: m.position,
        })
    }
}

impl TryFrom<target::Model> for Target {
    type Error = RepoError;
    fn try_from(m: target::Model) -> Result<Self, RepoError> {
        let rule =
            TargetRule::from_parts(&m.kind, &m.comparison, m.value, m.reference_area.as_deref()).map_err(|e| corrupt("target", m.id, e))?;
        Ok(Target {
            area: AreaCode::parse(&m.area_code).map_err(|e| corrupt("target", m.id, e))?,
            id: m.id,
            indicator_id: m.indicator_id,
            period_from: m.period_from,
            period_to: m.period_to,
            rule,
            note: m.note,
        })
    }
}

impl From<kpi::Model> for Kpi {
    fn from(m: kpi::Model) -> Self {
        Kpi {
            id: m.id,
            title: m.title,
            description: m.description,
            operating_area: m.operating_area,
            municipality_type: m.municipality_type,
            is_divided_by_gender: m.is_divided_by_gender,
            publication_date: m.publication_date,
        }
    }
}

impl From<area::Model> for Area {
    fn from(m: area::Model) -> Self {
        Area {
            code: m.code,
            title: m.title,
            area_type: m.area_type,
            parent: m.parent_code,
        }
    }
}

impl TryFrom<assignment::Model> for Assignment {
    type Error = RepoError;
    fn try_from(m: assignment::Model) -> Result<Self, RepoError> {
        Ok(Assignment {
            status: AssignmentStatus::parse(&m.status).map_err(|e| corrupt("assignment", m.id, e))?,
            id: m.id,
            municipality_id: m.municipality_id,
            key: m.key,
            title: m.title,
            description: m.description,
            from_org_unit_id: m.from_org_unit_id,
            to_org_unit_id: m.to_org_unit_id,
            deadline: m.deadline,
            funding: m.funding,
            funding_tkr: m.funding_tkr,
            goal_id: m.goal_id,
            result: m.result,
        })
    }
}

impl TryFrom<budget::Model> for BudgetLine {
    type Error = RepoError;
    fn try_from(m: budget::Model) -> Result<Self, RepoError> {
        Ok(BudgetLine {
            kind: BudgetKind::parse(&m.kind).map_err(|e| corrupt("budget", m.id, e))?,
            id: m.id,
            org_unit_id: m.org_unit_id,
            year: m.year,
            line: m.line,
            amount_tkr: m.amount_tkr,
        })
    }
}

impl TryFrom<basic_mission::Model> for BasicMission {
    type Error = RepoError;
    fn try_from(m: basic_mission::Model) -> Result<Self, RepoError> {
        Ok(BasicMission {
            target_groups: text_to_list("basic_mission", m.id, &m.target_groups)?,
            governing_documents: text_to_list("basic_mission", m.id, &m.governing_documents)?,
            risks: text_to_list("basic_mission", m.id, &m.risks)?,
            id: m.id,
            org_unit_id: m.org_unit_id,
            key: m.key,
            purpose: m.purpose,
        })
    }
}

impl From<quality_factor::Model> for QualityFactor {
    fn from(m: quality_factor::Model) -> Self {
        QualityFactor {
            id: m.id,
            org_unit_id: m.org_unit_id,
            key: m.key,
            title: m.title,
            description: m.description,
            basic_mission_id: m.basic_mission_id,
        }
    }
}

impl TryFrom<political_direction::Model> for PoliticalDirection {
    type Error = RepoError;
    fn try_from(m: political_direction::Model) -> Result<Self, RepoError> {
        Ok(PoliticalDirection {
            validity: DateRange::new(m.valid_from, m.valid_to).map_err(|e| corrupt("political_direction", m.id, e))?,
            id: m.id,
            org_unit_id: m.org_unit_id,
            key: m.key,
            title: m.title,
            description: m.description,
            followed_up: m.followed_up,
        })
    }
}

impl TryFrom<follow_up::Model> for FollowUp {
    type Error = RepoError;
    fn try_from(m: follow_up::Model) -> Result<Self, RepoError> {
        Ok(FollowUp {
            kind: FollowUpKind::parse(&m.kind).map_err(|e| corrupt("follow_up", m.id, e))?,
            id: m.id,
            governance_model_id: m.governance_model_id,
            year: m.year,
            // 0 stands for "not monthly" in the unique index.
            month: (m.month != 0).then_some(m.month as u32),
            approved_at: m.approved_at,
            // JSON written by the approval (see `crate::writes`).
            snapshot: m
                .snapshot
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| corrupt("follow_up", m.id, e))?,
        })
    }
}

impl TryFrom<goal_assessment::Model> for GoalAssessment {
    type Error = RepoError;
    fn try_from(m: goal_assessment::Model) -> Result<Self, RepoError> {
        Ok(GoalAssessment {
            assessment: Assessment::parse(&m.assessment).map_err(|e| corrupt("goal_assessment", m.id, e))?,
            forecast: m
                .forecast
                .as_deref()
                .map(Assessment::parse)
                .transpose()
                .map_err(|e| corrupt("goal_assessment", m.id, e))?,
            id: m.id,
            follow_up_id: m.follow_up_id,
            goal_id: m.goal_id,
            analysis: m.analysis,
        })
    }
}

impl TryFrom<series_digest::Model> for SeriesDigest {
    type Error = RepoError;
    fn try_from(m: series_digest::Model) -> Result<Self, RepoError> {
        Ok(SeriesDigest {
            area: AreaCode::parse(&m.area_code).map_err(|e| corrupt("series_digest", m.id, e))?,
            gender: Gender::parse(&m.gender).map_err(|e| corrupt("series_digest", m.id, e))?,
            points: styrhub_domain::compact::decode(m.points.as_deref().unwrap_or_default())
                .map_err(|e| corrupt("series_digest", m.id, e))?,
            series: styrhub_domain::observation::SeriesRef::parse(&m.series_key).map_err(|e| corrupt("series_digest", m.id, e))?,
        })
    }
}
