//! Commands: what the API asks persistence to write along the governance chain, the port that
//! writes them ([`GovernanceWriter`]), and the pure checks every command passes first.
//!
//! The store gathers the rows a command refers to (the owner, the model, the parents …) inside
//! its transaction and hands them to the `validate_…` functions here, so that the rules live in
//! one place and are unit-tested without a database. Errors name the command's field in
//! snake_case (`owner_id`, `parent_ids`, `valid_to` …); warnings, such as a unit over its
//! model's cap of goals, are returned with the written value in [`Written`].

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::access::{Action, Actor, Command, Denied};
use crate::assignment::{Assignment, AssignmentStatus};
use crate::error::{DomainError, RepoError};
use crate::follow_up::{Assessment, FollowUp, FollowUpKind, GoalAssessment};
use crate::goal::{Goal, GoalKind};
use crate::governance_model::GovernanceModel;
use crate::ids::{AreaCode, DateRange};
use crate::indicator::Indicator;
use crate::org_unit::{OrgUnit, OrgUnitKind};
use crate::rules::validate::{self, Finding};
use crate::target::{Target, TargetRule};

/// A goal to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewGoal {
    /// The municipality, by its code (e.g. 1489).
    pub municipality_code: String,
    /// The governance model it is set under, by key (e.g. `styrmodell-2019`).
    pub governance_model: String,
    /// Natural key; `None` derives a unique one from the title (see [`slugify`]).
    pub key: Option<String>,
    /// Title as written.
    pub title: String,
    /// Motivation or description as written.
    pub description: Option<String>,
    /// Kind of goal; the owner's level must be allowed to set it under the model.
    pub kind: GoalKind,
    /// The organisation unit that sets the goal.
    pub owner_id: i64,
    /// The focus area it belongs to.
    pub focus_area_id: Option<i64>,
    /// The goals it contributes to.
    pub parent_ids: Vec<i64>,
    /// First day in force.
    pub valid_from: NaiveDate,
    /// Last day in force; `None` until further notice.
    pub valid_to: Option<NaiveDate>,
    /// Agenda 2030 global goals, 1–17.
    pub agenda2030: Vec<u8>,
    /// The decision that set it.
    pub decision: Option<String>,
    /// Order among its siblings; `None` places it after the owner's other goals of the model.
    pub position: Option<i32>,
}

/// Changes to a goal: `None` leaves a field as it is; `Some(None)` clears an optional field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GoalPatch {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<Option<String>>,
    /// New kind.
    pub kind: Option<GoalKind>,
    /// New owner.
    pub owner_id: Option<i64>,
    /// New focus area.
    pub focus_area_id: Option<Option<i64>>,
    /// The parent goals, replacing all the current ones.
    pub parent_ids: Option<Vec<i64>>,
    /// New first day.
    pub valid_from: Option<NaiveDate>,
    /// New last day.
    pub valid_to: Option<Option<NaiveDate>>,
    /// The Agenda 2030 tags, replacing the current ones.
    pub agenda2030: Option<Vec<u8>>,
    /// New decision reference.
    pub decision: Option<Option<String>>,
    /// New position.
    pub position: Option<i32>,
}

/// A target to set: replaces the target of the same indicator, area and first year.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTarget {
    /// The indicator.
    pub indicator_id: i64,
    /// The area it applies to.
    pub area: AreaCode,
    /// First year it holds.
    pub period_from: i32,
    /// Last year it holds.
    pub period_to: Option<i32>,
    /// The rule.
    pub rule: TargetRule,
    /// The phrase as written.
    pub note: Option<String>,
}

/// Which follow-up an assessment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpRef {
    /// An existing follow-up.
    Id(i64),
    /// The report of a model's calendar for a year (and month, for monthly reports), created
    /// when it does not exist yet.
    Period {
        /// The governance model whose calendar has the report.
        governance_model_id: i64,
        /// Which report.
        kind: FollowUpKind,
        /// The year reported on.
        year: i32,
        /// The month, for monthly reports only.
        month: Option<u32>,
    },
}

/// A goal's assessment in a follow-up: replaces the goal's earlier assessment in that report.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAssessment {
    /// The report.
    pub follow_up: FollowUpRef,
    /// The goal, set under the report's governance model.
    pub goal_id: i64,
    /// The judgement.
    pub assessment: Assessment,
    /// Forecast for the year's end.
    pub forecast: Option<Assessment>,
    /// The analysis as written.
    pub analysis: Option<String>,
}

/// An assignment to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAssignment {
    /// The municipality, by its code.
    pub municipality_code: String,
    /// Natural key; `None` derives a unique one from the title.
    pub key: Option<String>,
    /// Short title.
    pub title: String,
    /// The text as written.
    pub description: Option<String>,
    /// The unit that gives it.
    pub from_org_unit_id: i64,
    /// The unit that carries it out.
    pub to_org_unit_id: i64,
    /// When it is due.
    pub deadline: Option<NaiveDate>,
    /// How it is funded, as written.
    pub funding: Option<String>,
    /// Funding in thousands of SEK: finite and not negative.
    pub funding_tkr: Option<f64>,
    /// Where it stands.
    pub status: AssignmentStatus,
    /// The goal it serves.
    pub goal_id: Option<i64>,
}

/// The receiving unit's report on an assignment: its status and result, and nothing else (its
/// content, deadline and resources are the giving unit's). `None` leaves a field as it is;
/// `Some(None)` clears the result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssignmentReport {
    /// Where it stands.
    pub status: Option<AssignmentStatus>,
    /// What was achieved.
    pub result: Option<Option<String>>,
}

impl From<&AssignmentReport> for AssignmentPatch {
    fn from(r: &AssignmentReport) -> Self {
        Self {
            status: r.status,
            result: r.result.clone(),
            ..Self::default()
        }
    }
}

/// Changes to an assignment: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssignmentPatch {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<Option<String>>,
    /// New giving unit.
    pub from_org_unit_id: Option<i64>,
    /// New receiving unit.
    pub to_org_unit_id: Option<i64>,
    /// New deadline.
    pub deadline: Option<Option<NaiveDate>>,
    /// New funding text.
    pub funding: Option<Option<String>>,
    /// New funding amount.
    pub funding_tkr: Option<Option<f64>>,
    /// New status.
    pub status: Option<AssignmentStatus>,
    /// New goal.
    pub goal_id: Option<Option<i64>>,
    /// New result (what the receiving unit reports).
    pub result: Option<Option<String>>,
}

/// A written value with the warnings the write raised (written anyway).
#[derive(Debug, Clone, PartialEq)]
pub struct Written<T> {
    /// What was written, as stored.
    pub value: T,
    /// Guidelines of the model the write breaks, such as Alvesta's cap of three development
    /// goals per unit.
    pub warnings: Vec<Finding>,
}

/// Why a write did not happen: the rule refused it, or the store did (invalid input, a missing
/// row, a conflict, a lost database).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The actor may not.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The store refused or failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Writes the governance chain, one transaction per call: a command is written whole or not at
/// all, together with its audit entries (before and after each changed row, by the actor's
/// token; a call that changes nothing records nothing).
///
/// The permission check is the transaction's first step: the facts it needs (which units the
/// command touches) are read there and stay locked until the commit, so that a goal moved to
/// another owner meanwhile is judged by its new owner. A refusal is `Denied`; unknown ids are
/// `NotFound`; invalid input is `Invalid` naming the field; a duplicate key, an archived goal or
/// an approved (locked) follow-up is a `Conflict`.
#[async_trait]
pub trait GovernanceWriter: Send + Sync {
    /// Creates a goal under a governance model of its municipality.
    async fn create_goal(&self, actor: &Actor, input: &NewGoal) -> Result<Written<Goal>, WriteError>;
    /// Changes a goal; an archived goal cannot change.
    async fn update_goal(&self, actor: &Actor, id: i64, patch: &GoalPatch) -> Result<Written<Goal>, WriteError>;
    /// Archives a goal: kept for history, no longer in force. Archiving twice changes nothing.
    async fn archive_goal(&self, actor: &Actor, id: i64) -> Result<Goal, WriteError>;
    /// Links an indicator to a goal of the same municipality; linking twice changes nothing.
    async fn link_indicator(&self, actor: &Actor, goal_id: i64, indicator_id: i64) -> Result<(), WriteError>;
    /// Removes a link; `NotFound` when there is none.
    async fn unlink_indicator(&self, actor: &Actor, goal_id: i64, indicator_id: i64) -> Result<(), WriteError>;
    /// Sets a target, replacing the one of the same indicator, area and first year.
    async fn set_target(&self, actor: &Actor, input: &NewTarget) -> Result<Target, WriteError>;
    /// Records (or replaces) a goal's assessment in a follow-up that is not yet approved.
    async fn record_assessment(&self, actor: &Actor, input: &NewAssessment) -> Result<GoalAssessment, WriteError>;
    /// Approves a follow-up, locking it and freezing the values it was based on.
    async fn approve_follow_up(&self, actor: &Actor, id: i64, at: DateTime<Utc>) -> Result<FollowUp, WriteError>;
    /// Creates an assignment.
    async fn create_assignment(&self, actor: &Actor, input: &NewAssignment) -> Result<Assignment, WriteError>;
    /// Changes an assignment.
    async fn update_assignment(&self, actor: &Actor, id: i64, patch: &AssignmentPatch) -> Result<Assignment, WriteError>;
    /// Records the receiving unit's report on an assignment: its status and result only.
    async fn report_assignment(&self, actor: &Actor, id: i64, report: &AssignmentReport) -> Result<Assignment, WriteError>;
    /// Create or replace a comparison group of the municipality's own.
    async fn save_group(
        &self,
        actor: &Actor,
        group: &crate::area_group::GroupDefinition,
    ) -> Result<crate::area_group::AreaGroup, WriteError>;
}

// ----- The commands as the permission rule sees them -------------------------------------------
//
// Each write's arguments, bundled so that a `Permit` can carry them from the check to the code
// that writes: the action judged is computed from the same ids that are written.

impl<C: Command> Command for &C {
    fn action(&self) -> Action {
        (**self).action()
    }
}

impl Command for NewGoal {
    fn action(&self) -> Action {
        Action::CreateGoal {
            municipality: self.municipality_code.clone(),
            owner: self.owner_id,
        }
    }
}

/// A change of goal `id`.
#[derive(Debug, Clone, Copy)]
pub struct GoalUpdate<'a> {
    /// The goal.
    pub id: i64,
    /// What changes.
    pub patch: &'a GoalPatch,
}

impl Command for GoalUpdate<'_> {
    fn action(&self) -> Action {
        Action::UpdateGoal {
            goal: self.id,
            new_owner: self.patch.owner_id,
        }
    }
}

/// Archiving goal `0`.
#[derive(Debug, Clone, Copy)]
pub struct GoalArchival(pub i64);

impl Command for GoalArchival {
    fn action(&self) -> Action {
        Action::ArchiveGoal(self.0)
    }
}

/// A link between a goal and an indicator, made (`unlink: false`) or removed.
#[derive(Debug, Clone, Copy)]
pub struct IndicatorLink {
    /// The goal.
    pub goal_id: i64,
    /// The indicator.
    pub indicator_id: i64,
    /// Removes the link instead of making it.
    pub unlink: bool,
}

impl Command for IndicatorLink {
    fn action(&self) -> Action {
        let (goal, indicator) = (self.goal_id, self.indicator_id);
        if self.unlink {
            Action::UnlinkIndicator { goal, indicator }
        } else {
            Action::LinkIndicator { goal, indicator }
        }
    }
}

impl Command for NewTarget {
    fn action(&self) -> Action {
        Action::SetTarget(self.indicator_id)
    }
}

impl Command for NewAssessment {
    fn action(&self) -> Action {
        Action::RecordAssessment(self.goal_id)
    }
}

/// Approving follow-up `id` at `at`.
#[derive(Debug, Clone, Copy)]
pub struct FollowUpApproval {
    /// The follow-up.
    pub id: i64,
    /// When it is approved.
    pub at: DateTime<Utc>,
}

impl Command for FollowUpApproval {
    fn action(&self) -> Action {
        Action::ApproveFollowUp(self.id)
    }
}

impl Command for NewAssignment {
    fn action(&self) -> Action {
        Action::CreateAssignment {
            municipality: self.municipality_code.clone(),
            from: self.from_org_unit_id,
        }
    }
}

/// A change of assignment `id`: the giving unit's (`report: false`, any field) or the receiving
/// unit's report (status and result only).
#[derive(Debug, Clone)]
pub struct AssignmentChange {
    /// The assignment.
    pub id: i64,
    /// What changes.
    pub patch: AssignmentPatch,
    /// A report by the receiving unit, not a change by the giving one.
    pub report: bool,
}

impl AssignmentChange {
    /// The giving unit's change.
    pub fn update(id: i64, patch: &AssignmentPatch) -> Self {
        Self {
            id,
            patch: patch.clone(),
            report: false,
        }
    }

    /// The receiving unit's report: only its status and result reach the patch.
    pub fn report(id: i64, report: &AssignmentReport) -> Self {
        Self {
            id,
            patch: report.into(),
            report: true,
        }
    }

    /// The name it is audited under.
    pub fn name(&self) -> &'static str {
        self.action().name()
    }
}

impl Command for AssignmentChange {
    fn action(&self) -> Action {
        if self.report {
            Action::ReportAssignment(self.id)
        } else {
            Action::UpdateAssignment {
                assignment: self.id,
                new_from: self.patch.from_org_unit_id,
            }
        }
    }
}

// ----- Keys ------------------------------------------------------------------------------------

/// The longest key [`slugify`] derives, in bytes; goal titles can be whole sentences.
pub const MAX_DERIVED_KEY: usize = 60;

/// A key derived from a title: lower-case ASCII letters, digits and `-`. Swedish letters fold
/// (å, ä → a; ö → o), as do common accented ones (é → e); any other run of characters becomes
/// one `-`. Cut at a word boundary to [`MAX_DERIVED_KEY`]; `item` when nothing is left.
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in title.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'a'..='z' | '0'..='9' => Some(c),
            'å' | 'ä' | 'à' | 'á' | 'â' | 'ã' | 'æ' => Some('a'),
            'ö' | 'ø' | 'ò' | 'ó' | 'ô' | 'õ' => Some('o'),
            'é' | 'è' | 'ê' | 'ë' => Some('e'),
            'ü' | 'ù' | 'ú' | 'û' => Some('u'),
            'í' | 'ì' | 'î' | 'ï' => Some('i'),
            'ç' => Some('c'),
            'ñ' => Some('n'),
            'ý' | 'ÿ' => Some('y'),
            _ => None,
        };
        match folded {
            Some(c) => {
                if dash && !out.is_empty() {
                    out.push('-');
                }
                dash = false;
                out.push(c);
            }
            None => dash = true,
        }
    }
    if out.len() > MAX_DERIVED_KEY {
        let cut = out[..=MAX_DERIVED_KEY].rfind('-').filter(|&i| i > 0).unwrap_or(MAX_DERIVED_KEY);
        out.truncate(cut);
    }
    if out.is_empty() {
        out.push_str("item");
    }
    out
}

/// `base`, or `base-2`, `base-3` … whichever `taken` does not hold.
pub fn unique_key(base: &str, taken: &BTreeSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|k| !taken.contains(k))
        .expect("some suffix is free")
}

/// A key given by hand: lower-case ASCII letters, digits and `-`, as in the packages.
pub fn check_key(field: &str, key: &str) -> Result<(), DomainError> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(DomainError::new(
            field,
            format!("`{key}` is not a key (lower-case ASCII letters, digits and -)"),
        ));
    }
    Ok(())
}

fn check_title(title: &str) -> Result<(), DomainError> {
    if title.trim().is_empty() {
        return Err(DomainError::new("title", "must not be empty"));
    }
    Ok(())
}

fn to_error(f: Finding) -> DomainError {
    DomainError::new(f.field, f.message)
}

fn overlaps(a: &DateRange, b: &DateRange) -> bool {
    a.to.is_none_or(|to| b.from <= to) && b.to.is_none_or(|to| a.from <= to)
}

// ----- Goals -----------------------------------------------------------------------------------

impl NewGoal {
    /// The goal as it will be stored, before checks: `id` 0 until the database gives one.
    pub fn draft(&self, municipality_id: i64, governance_model_id: i64, key: String, position: i32) -> Result<Goal, DomainError> {
        Ok(Goal {
            id: 0,
            municipality_id,
            governance_model_id,
            key,
            title: self.title.clone(),
            description: self.description.clone(),
            kind: self.kind,
            owner_id: self.owner_id,
            focus_area_id: self.focus_area_id,
            validity: DateRange::new(self.valid_from, self.valid_to)?,
            agenda2030: self.agenda2030.clone(),
            decision: self.decision.clone(),
            position: self.position.unwrap_or(position),
            archived: false,
        })
    }
}

impl GoalPatch {
    /// `goal` with the patch applied, before checks.
    pub fn apply(&self, goal: &Goal) -> Result<Goal, DomainError> {
        let from = self.valid_from.unwrap_or(goal.validity.from);
        let to = self.valid_to.unwrap_or(goal.validity.to);
        let validity = DateRange::new(from, to).map_err(|e| {
            // Name the field the caller changed: a new first day after the old last day is about
            // `valid_from`.
            if self.valid_from.is_some() && self.valid_to.is_none() {
                DomainError::new("valid_from", e.message)
            } else {
                e
            }
        })?;
        Ok(Goal {
            title: self.title.clone().unwrap_or_else(|| goal.title.clone()),
            description: self.description.clone().unwrap_or_else(|| goal.description.clone()),
            kind: self.kind.unwrap_or(goal.kind),
            owner_id: self.owner_id.unwrap_or(goal.owner_id),
            focus_area_id: self.focus_area_id.unwrap_or(goal.focus_area_id),
            validity,
            agenda2030: self.agenda2030.clone().unwrap_or_else(|| goal.agenda2030.clone()),
            decision: self.decision.clone().unwrap_or_else(|| goal.decision.clone()),
            position: self.position.unwrap_or(goal.position),
            ..goal.clone()
        })
    }
}

/// What a goal is checked against, gathered by the store.
#[derive(Debug, Clone, Copy)]
pub struct GoalContext<'a> {
    /// The model the goal is set under.
    pub model: &'a GovernanceModel,
    /// The owning unit.
    pub owner: &'a OrgUnit,
    /// The municipality of the focus area, when the goal has one.
    pub focus_area_municipality_id: Option<i64>,
    /// The parent goals, when they are being set (`None`: unchanged, not checked again).
    pub parents: Option<&'a [Goal]>,
    /// Every goal → parent edge of the municipality except the goal's own.
    pub other_edges: &'a [(i64, i64)],
    /// The owner's other goals under the model (archived ones included; they are skipped).
    pub owner_goals: &'a [Goal],
}

/// Checks a goal (new, or patched) against its model, owner, focus area and parents. Returns
/// the warnings (a cap exceeded) on success; the first error otherwise.
pub fn validate_goal(goal: &Goal, ctx: &GoalContext<'_>) -> Result<Vec<Finding>, DomainError> {
    check_title(&goal.title)?;
    let model = ctx.model;
    if goal.governance_model_id != model.id || model.municipality_id != goal.municipality_id {
        return Err(DomainError::new(
            "governance_model",
            format!("{} is not a governance model of the goal's municipality", model.name),
        ));
    }
    if !model.validity.contains_range(&goal.validity) {
        let field = if goal.validity.from < model.validity.from {
            "valid_from"
        } else {
            "valid_to"
        };
        return Err(DomainError::new(
            field,
            format!(
                "the goal must be in force within the period of {} ({} – {})",
                model.name,
                model.validity.from,
                model
                    .validity
                    .to
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "until further notice".into())
            ),
        ));
    }
    if let Some(n) = goal.agenda2030.iter().find(|n| !(1..=17).contains(*n)) {
        return Err(DomainError::new("agenda2030", format!("{n} is not one of the 17 global goals")));
    }
    if ctx.owner.id != goal.owner_id || ctx.owner.municipality_id != goal.municipality_id {
        return Err(DomainError::new(
            "owner_id",
            format!("the organisation unit {} belongs to another municipality", goal.owner_id),
        ));
    }
    validate::check_goal_kind("kind", goal.kind, ctx.owner.kind, &model.rules, &model.name).map_err(to_error)?;
    if let Some(fa) = goal.focus_area_id {
        if ctx.focus_area_municipality_id != Some(goal.municipality_id) {
            return Err(DomainError::new(
                "focus_area_id",
                format!("the focus area {fa} belongs to another municipality"),
            ));
        }
    }
    if let Some(parents) = ctx.parents {
        for p in parents {
            if p.municipality_id != goal.municipality_id {
                return Err(DomainError::new(
                    "parent_ids",
                    format!("the goal {} belongs to another municipality", p.id),
                ));
            }
            if p.id == goal.id {
                return Err(DomainError::new("parent_ids", "a goal cannot be its own parent"));
            }
        }
        let mut edges: Vec<(i64, i64)> = ctx.other_edges.iter().copied().filter(|(child, _)| *child != goal.id).collect();
        edges.extend(parents.iter().map(|p| (goal.id, p.id)));
        if let Some(cycle) = validate::find_goal_cycle(&edges) {
            let path: Vec<String> = cycle.iter().map(i64::to_string).collect();
            return Err(DomainError::new(
                "parent_ids",
                format!("the goal would be its own ancestor: {}", path.join(" → ")),
            ));
        }
    }
    Ok(goal_cap_warnings(goal, ctx))
}

/// The model's caps for the owner's goals in force together with `goal`; over a cap is a
/// warning, named `owner_id`.
fn goal_cap_warnings(goal: &Goal, ctx: &GoalContext<'_>) -> Vec<Finding> {
    if goal.archived {
        return Vec::new();
    }
    let owned: Vec<(String, OrgUnitKind, GoalKind)> = ctx
        .owner_goals
        .iter()
        .filter(|g| g.id != goal.id && !g.archived && g.owner_id == goal.owner_id && g.governance_model_id == goal.governance_model_id)
        .filter(|g| overlaps(&g.validity, &goal.validity))
        .map(|g| g.kind)
        .chain([goal.kind])
        .map(|k| (ctx.owner.name.clone(), ctx.owner.kind, k))
        .collect();
    validate::check_goal_caps(&owned, &ctx.model.rules, &ctx.model.name)
        .into_iter()
        .map(|f| Finding {
            field: "owner_id".into(),
            ..f
        })
        .collect()
}

// ----- Targets ---------------------------------------------------------------------------------

/// Checks a target: the period runs forwards, the rule's value is a number, a relative target
/// compares with another area, and every model the indicator's goals are set under lets such
/// an indicator have targets (Alvesta: quality indicators get none).
pub fn validate_target(input: &NewTarget, indicator: &Indicator, goal_models: &[GovernanceModel]) -> Result<(), DomainError> {
    validate::check_period("period_from", input.period_from, input.period_to).map_err(|f| {
        // A bad last year is about `period_to`.
        if input.period_to.is_some() && crate::ids::Year::new(input.period_from).is_ok() {
            DomainError::new("period_to", f.message)
        } else {
            to_error(f)
        }
    })?;
    match &input.rule {
        TargetRule::Absolute { value, .. } if !value.is_finite() => {
            return Err(DomainError::new("rule", "an absolute target needs a finite value"));
        }
        TargetRule::Relative { reference_area, .. } if *reference_area == input.area => {
            return Err(DomainError::new(
                "rule",
                format!("a relative target compares {} with another area, not with itself", input.area),
            ));
        }
        _ => {}
    }
    for m in goal_models {
        validate::check_target_allowed("indicator_id", indicator.kind, &m.rules, &m.name).map_err(to_error)?;
    }
    Ok(())
}

// ----- Follow-ups ------------------------------------------------------------------------------

/// Checks a report before it is created: the model's calendar has it, the year lies in the
/// model's period, and only monthly reports have a month (1–12).
pub fn validate_follow_up_period(model: &GovernanceModel, kind: FollowUpKind, year: i32, month: Option<u32>) -> Result<(), DomainError> {
    validate::check_follow_up_kind("kind", kind, &model.rules, &model.name).map_err(to_error)?;
    crate::ids::Year::new(year)?;
    if !model.validity.overlaps_year(year) {
        return Err(DomainError::new("year", format!("{year} is outside the period of {}", model.name)));
    }
    match (kind, month) {
        (FollowUpKind::Monthly, None) => Err(DomainError::new("month", "a monthly report needs its month (1–12)")),
        (FollowUpKind::Monthly, Some(m)) if !(1..=12).contains(&m) => Err(DomainError::new("month", format!("{m} is not a month"))),
        (k, Some(_)) if k != FollowUpKind::Monthly => Err(DomainError::new(
            "month",
            format!("only monthly reports have a month, not {}", k.as_str()),
        )),
        _ => Ok(()),
    }
}

/// Checks that `goal` may be assessed in `follow_up`: it is set under the report's model and in
/// force during the year reported on. (Whether the report is still open is the store's check:
/// a locked report is a conflict, not invalid input.)
pub fn validate_assessment(goal: &Goal, follow_up: &FollowUp) -> Result<(), DomainError> {
    if goal.governance_model_id != follow_up.governance_model_id {
        return Err(DomainError::new(
            "goal_id",
            format!("the goal {} is set under another governance model than the report's", goal.id),
        ));
    }
    if !goal.validity.overlaps_year(follow_up.year) {
        return Err(DomainError::new(
            "goal_id",
            format!("the goal {} is not in force in {}", goal.id, follow_up.year),
        ));
    }
    Ok(())
}

// ----- Assignments -----------------------------------------------------------------------------

impl NewAssignment {
    /// The assignment as it will be stored, before checks: `id` 0 until the database gives one.
    pub fn draft(&self, municipality_id: i64, key: String) -> Assignment {
        Assignment {
            id: 0,
            municipality_id,
            key,
            title: self.title.clone(),
            description: self.description.clone(),
            from_org_unit_id: self.from_org_unit_id,
            to_org_unit_id: self.to_org_unit_id,
            deadline: self.deadline,
            funding: self.funding.clone(),
            funding_tkr: self.funding_tkr,
            status: self.status,
            goal_id: self.goal_id,
            result: None,
        }
    }
}

impl AssignmentPatch {
    /// `a` with the patch applied, before checks.
    pub fn apply(&self, a: &Assignment) -> Assignment {
        Assignment {
            title: self.title.clone().unwrap_or_else(|| a.title.clone()),
            description: self.description.clone().unwrap_or_else(|| a.description.clone()),
            from_org_unit_id: self.from_org_unit_id.unwrap_or(a.from_org_unit_id),
            to_org_unit_id: self.to_org_unit_id.unwrap_or(a.to_org_unit_id),
            deadline: self.deadline.unwrap_or(a.deadline),
            funding: self.funding.clone().unwrap_or_else(|| a.funding.clone()),
            funding_tkr: self.funding_tkr.unwrap_or(a.funding_tkr),
            status: self.status.unwrap_or(a.status),
            goal_id: self.goal_id.unwrap_or(a.goal_id),
            result: self.result.clone().unwrap_or_else(|| a.result.clone()),
            ..a.clone()
        }
    }
}

/// Checks an assignment (new, or patched) against the units and goal it names: all of its
/// municipality, given by one unit to another, with a funding amount that is a non-negative
/// number.
pub fn validate_assignment(a: &Assignment, from: &OrgUnit, to: &OrgUnit, goal: Option<&Goal>) -> Result<(), DomainError> {
    check_title(&a.title)?;
    for (field, unit) in [("from_org_unit_id", from), ("to_org_unit_id", to)] {
        if unit.municipality_id != a.municipality_id {
            return Err(DomainError::new(
                field,
                format!("the organisation unit {} belongs to another municipality", unit.id),
            ));
        }
    }
    if from.id == to.id {
        return Err(DomainError::new(
            "to_org_unit_id",
            format!("{} cannot give an assignment to itself", from.name),
        ));
    }
    if let Some(g) = goal {
        if g.municipality_id != a.municipality_id {
            return Err(DomainError::new(
                "goal_id",
                format!("the goal {} belongs to another municipality", g.id),
            ));
        }
    }
    if a.funding_tkr.is_some_and(|x| !x.is_finite() || x < 0.0) {
        return Err(DomainError::new("funding_tkr", "must be a non-negative amount"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance_model::{GoalLevel, GovernanceRules};
    use crate::indicator::{Direction, IndicatorKind};

    fn d(s: &str) -> NaiveDate {
        crate::ids::parse_date("d", s).unwrap()
    }

    fn model(levels: Vec<GoalLevel>, quality_targets: bool) -> GovernanceModel {
        GovernanceModel {
            id: 10,
            municipality_id: 1,
            key: "m".into(),
            name: "Styrmodell".into(),
            description: None,
            decision: None,
            validity: DateRange::new(d("2020-01-01"), Some(d("2024-12-31"))).unwrap(),
            rules: GovernanceRules {
                levels,
                quality_indicators_have_targets: quality_targets,
                follow_ups: vec![crate::governance_model::FollowUpRule {
                    kind: FollowUpKind::AnnualReport,
                    name: "Årsredovisning".into(),
                    covers_from: None,
                    covers_to: None,
                    decided_by: None,
                    due_month: None,
                    optional: false,
                }],
                ..Default::default()
            },
        }
    }

    fn alvesta_like() -> GovernanceModel {
        model(
            vec![GoalLevel {
                org_kind: OrgUnitKind::Committee,
                goal_kinds: vec![GoalKind::DevelopmentGoal],
                max_goals: None,
                max_per_kind: [(GoalKind::DevelopmentGoal, 3)].into_iter().collect(),
            }],
            false,
        )
    }

    fn unit(id: i64, municipality_id: i64, kind: OrgUnitKind) -> OrgUnit {
        OrgUnit {
            id,
            municipality_id,
            parent_id: Some(municipality_id),
            key: format!("u{id}"),
            name: format!("Enhet {id}"),
            short_name: None,
            kind,
            municipality_code: None,
            kolada_ou_id: None,
        }
    }

    fn goal(id: i64, owner_id: i64) -> Goal {
        Goal {
            id,
            municipality_id: 1,
            governance_model_id: 10,
            key: format!("g{id}"),
            title: format!("Mål {id}"),
            description: None,
            kind: GoalKind::DevelopmentGoal,
            owner_id,
            focus_area_id: None,
            validity: DateRange::new(d("2021-01-01"), Some(d("2023-12-31"))).unwrap(),
            agenda2030: vec![],
            decision: None,
            position: 0,
            archived: false,
        }
    }

    fn ctx<'a>(m: &'a GovernanceModel, owner: &'a OrgUnit) -> GoalContext<'a> {
        GoalContext {
            model: m,
            owner,
            focus_area_municipality_id: None,
            parents: None,
            other_edges: &[],
            owner_goals: &[],
        }
    }

    #[test]
    fn keys_are_derived_from_titles_with_swedish_letters_folded() {
        assert_eq!(
            slugify("Ökad trygghet i äldreomsorgen, 2025!"),
            "okad-trygghet-i-aldreomsorgen-2025"
        );
        assert_eq!(slugify("  Sveriges mest effektiva kommun  "), "sveriges-mest-effektiva-kommun");
        assert_eq!(slugify("Café & Åtgärd"), "cafe-atgard");
        assert_eq!(slugify("!!!"), "item");
    }

    #[test]
    fn a_long_title_gives_a_key_cut_at_a_word() {
        let k = slugify("I Alingsås ska alla ha tillgång till det goda och trygga livet, i hela kommunen och hela livet");
        assert!(k.len() <= MAX_DERIVED_KEY, "{k}");
        assert!(!k.ends_with('-'), "{k}");
        assert!(k.starts_with("i-alingsas-ska-alla"), "{k}");
        assert!(check_key("key", &k).is_ok());
    }

    #[test]
    fn a_taken_key_gets_the_first_free_suffix() {
        let taken: BTreeSet<String> = ["mal".to_owned(), "mal-2".to_owned()].into_iter().collect();
        assert_eq!(unique_key("mal", &taken), "mal-3");
        assert_eq!(unique_key("annat", &taken), "annat");
    }

    #[test]
    fn a_key_given_by_hand_must_look_like_a_key() {
        assert!(check_key("key", "kf-2021-mal-1").is_ok());
        assert_eq!(check_key("key", "Mål 1").unwrap_err().field, "key");
    }

    #[test]
    fn a_level_may_not_set_a_goal_kind_its_model_does_not_give_it() {
        let m = alvesta_like();
        let owner = unit(5, 1, OrgUnitKind::Committee);
        let g = Goal {
            kind: GoalKind::CouncilGoal,
            ..goal(0, 5)
        };
        assert_eq!(validate_goal(&g, &ctx(&m, &owner)).unwrap_err().field, "kind");
    }

    #[test]
    fn an_owner_of_another_municipality_is_refused_naming_owner_id() {
        let m = alvesta_like();
        let owner = unit(5, 2, OrgUnitKind::Committee);
        assert_eq!(validate_goal(&goal(0, 5), &ctx(&m, &owner)).unwrap_err().field, "owner_id");
    }

    #[test]
    fn a_goal_outside_its_models_period_is_refused() {
        let m = alvesta_like();
        let owner = unit(5, 1, OrgUnitKind::Committee);
        let mut g = goal(0, 5);
        g.validity = DateRange::new(d("2023-01-01"), None).unwrap();
        assert_eq!(validate_goal(&g, &ctx(&m, &owner)).unwrap_err().field, "valid_to");
        g.validity = DateRange::new(d("2019-01-01"), Some(d("2020-12-31"))).unwrap();
        assert_eq!(validate_goal(&g, &ctx(&m, &owner)).unwrap_err().field, "valid_from");
    }

    #[test]
    fn agenda_2030_tags_are_the_seventeen_global_goals() {
        let m = alvesta_like();
        let owner = unit(5, 1, OrgUnitKind::Committee);
        let mut g = goal(0, 5);
        g.agenda2030 = vec![3, 18];
        assert_eq!(validate_goal(&g, &ctx(&m, &owner)).unwrap_err().field, "agenda2030");
    }

    #[test]
    fn a_parent_that_descends_from_the_goal_is_a_cycle_naming_parent_ids() {
        let m = alvesta_like();
        let owner = unit(5, 1, OrgUnitKind::Committee);
        // 3 → 2 → 1: making 3 a parent of 1 closes the loop.
        let parents = [goal(3, 5)];
        let c = GoalContext {
            parents: Some(&parents),
            other_edges: &[(3, 2), (2, 1)],
            ..ctx(&m, &owner)
        };
        let e = validate_goal(&goal(1, 5), &c).unwrap_err();
        assert_eq!(e.field, "parent_ids");
        assert!(e.message.contains("own ancestor"), "{e}");
    }

    #[test]
    fn replacing_a_goals_parents_drops_its_old_edges_from_the_cycle_check() {
        let m = alvesta_like();
        let owner = unit(5, 1, OrgUnitKind::Committee);
        let parents = [goal(2, 5)];
        // 1 had parent 3, which is being replaced; 3 → 1 is no cycle once 1 → 3 is gone.
        let c = GoalContext {
            parents: Some(&parents),
            other_edges: &[(1, 3), (3, 1)],
            ..ctx(&m, &owner)
        };
        assert!(validate_goal(&goal(1, 5), &c).is_ok());
        let own = [goal(1, 5)];
        let c = GoalContext {
            parents: Some(&own),
            ..ctx(&m, &owner)
        };
        assert_eq!(validate_goal(&goal(1, 5), &c).unwrap_err().field, "parent_ids");
    }

    #[test]
    fn a_fourth_development_goal_in_force_together_is_a_warning_not_an_error() {
        let m = alvesta_like();
        let owner = unit(5, 1, OrgUnitKind::Committee);
        let mut old = goal(9, 5);
        old.validity = DateRange::new(d("2020-01-01"), Some(d("2020-12-31"))).unwrap();
        let archived = Goal {
            archived: true,
            ..goal(8, 5)
        };
        let others = [goal(1, 5), goal(2, 5), goal(3, 5), old, archived];
        let c = GoalContext {
            owner_goals: &others,
            ..ctx(&m, &owner)
        };
        let w = validate_goal(&goal(0, 5), &c).unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].field, "owner_id");
        assert_eq!(w[0].severity, validate::Severity::Warning);
        let c = GoalContext {
            owner_goals: &others[2..],
            ..ctx(&m, &owner)
        };
        assert!(
            validate_goal(&goal(0, 5), &c).unwrap().is_empty(),
            "the old and archived goals do not count"
        );
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let g = goal(1, 5);
        let p = GoalPatch {
            title: Some("Nytt".into()),
            valid_to: Some(None),
            ..Default::default()
        };
        let n = p.apply(&g).unwrap();
        assert_eq!(n.title, "Nytt");
        assert_eq!(n.validity.to, None);
        assert_eq!(n.kind, g.kind);
        let bad = GoalPatch {
            valid_from: Some(d("2025-01-01")),
            ..Default::default()
        };
        assert_eq!(bad.apply(&g).unwrap_err().field, "valid_from");
    }

    fn indicator(kind: IndicatorKind) -> Indicator {
        Indicator {
            id: 4,
            municipality_id: 1,
            key: "q".into(),
            title: "Q".into(),
            kind,
            unit: None,
            direction: Direction::Increase,
            desired_text: None,
            measure_first: false,
            kpi: None,
            owner_id: None,
            position: 0,
        }
    }

    fn target(rule: TargetRule, from: i32, to: Option<i32>) -> NewTarget {
        NewTarget {
            indicator_id: 4,
            area: AreaCode::parse("0764").unwrap(),
            period_from: from,
            period_to: to,
            rule,
            note: None,
        }
    }

    #[test]
    fn quality_indicators_get_no_target_where_the_model_says_so() {
        let t = target(
            TargetRule::Absolute {
                bound: crate::target::Bound::AtLeast,
                value: 1.0,
            },
            2021,
            None,
        );
        let e = validate_target(&t, &indicator(IndicatorKind::QualityIndicator), &[alvesta_like()]).unwrap_err();
        assert_eq!(e.field, "indicator_id");
        assert!(validate_target(&t, &indicator(IndicatorKind::GoalIndicator), &[alvesta_like()]).is_ok());
        assert!(validate_target(&t, &indicator(IndicatorKind::QualityIndicator), &[]).is_ok());
    }

    #[test]
    fn a_target_period_running_backwards_names_its_last_year() {
        let rule = TargetRule::Direction {
            movement: crate::target::Movement::Increase,
        };
        let ind = indicator(IndicatorKind::GoalIndicator);
        assert_eq!(
            validate_target(&target(rule.clone(), 2023, Some(2021)), &ind, &[])
                .unwrap_err()
                .field,
            "period_to"
        );
        assert_eq!(
            validate_target(&target(rule, 20231, None), &ind, &[]).unwrap_err().field,
            "period_from"
        );
    }

    #[test]
    fn a_relative_target_compares_with_another_area() {
        let rule = TargetRule::Relative {
            relation: crate::target::Relation::Above,
            reference_area: AreaCode::parse("0764").unwrap(),
        };
        let e = validate_target(&target(rule, 2021, None), &indicator(IndicatorKind::GoalIndicator), &[]).unwrap_err();
        assert_eq!(e.field, "rule");
    }

    #[test]
    fn a_report_must_be_in_the_calendar_and_only_monthly_ones_have_a_month() {
        let m = alvesta_like();
        assert!(validate_follow_up_period(&m, FollowUpKind::AnnualReport, 2022, None).is_ok());
        assert_eq!(
            validate_follow_up_period(&m, FollowUpKind::Monthly, 2022, Some(3))
                .unwrap_err()
                .field,
            "kind"
        );
        assert_eq!(
            validate_follow_up_period(&m, FollowUpKind::AnnualReport, 2022, Some(3))
                .unwrap_err()
                .field,
            "month"
        );
        assert_eq!(
            validate_follow_up_period(&m, FollowUpKind::AnnualReport, 2019, None)
                .unwrap_err()
                .field,
            "year"
        );
    }

    #[test]
    fn a_monthly_report_needs_a_real_month() {
        let mut m = alvesta_like();
        m.rules.follow_ups[0].kind = FollowUpKind::Monthly;
        assert!(validate_follow_up_period(&m, FollowUpKind::Monthly, 2022, Some(12)).is_ok());
        assert_eq!(
            validate_follow_up_period(&m, FollowUpKind::Monthly, 2022, Some(13))
                .unwrap_err()
                .field,
            "month"
        );
        assert_eq!(
            validate_follow_up_period(&m, FollowUpKind::Monthly, 2022, None).unwrap_err().field,
            "month"
        );
    }

    #[test]
    fn only_goals_of_the_reports_model_in_force_that_year_are_assessed() {
        let fu = FollowUp {
            id: 1,
            governance_model_id: 10,
            kind: FollowUpKind::AnnualReport,
            year: 2022,
            month: None,
            approved_at: None,
            snapshot: None,
        };
        assert!(validate_assessment(&goal(1, 5), &fu).is_ok());
        let other = Goal {
            governance_model_id: 11,
            ..goal(1, 5)
        };
        assert_eq!(validate_assessment(&other, &fu).unwrap_err().field, "goal_id");
        let later = FollowUp { year: 2024, ..fu };
        assert_eq!(validate_assessment(&goal(1, 5), &later).unwrap_err().field, "goal_id");
    }

    #[test]
    fn an_assignment_is_given_by_one_unit_to_another_of_the_same_municipality() {
        let a = NewAssignment {
            municipality_code: "0764".into(),
            key: None,
            title: "Utred".into(),
            description: None,
            from_org_unit_id: 2,
            to_org_unit_id: 3,
            deadline: None,
            funding: None,
            funding_tkr: Some(100.0),
            status: AssignmentStatus::NotStarted,
            goal_id: None,
        }
        .draft(1, "utred".into());
        let (ks, klk, far) = (
            unit(2, 1, OrgUnitKind::ExecutiveBoard),
            unit(3, 1, OrgUnitKind::Administration),
            unit(4, 7, OrgUnitKind::Unit),
        );
        assert!(validate_assignment(&a, &ks, &klk, None).is_ok());
        assert_eq!(validate_assignment(&a, &ks, &far, None).unwrap_err().field, "to_org_unit_id");
        assert_eq!(validate_assignment(&a, &ks, &ks, None).unwrap_err().field, "to_org_unit_id");
        let other = Goal {
            municipality_id: 7,
            ..goal(1, 4)
        };
        assert_eq!(validate_assignment(&a, &ks, &klk, Some(&other)).unwrap_err().field, "goal_id");
    }

    #[test]
    fn funding_is_a_non_negative_number() {
        let base = Assignment {
            id: 1,
            municipality_id: 1,
            key: "a".into(),
            title: "A".into(),
            description: None,
            from_org_unit_id: 2,
            to_org_unit_id: 3,
            deadline: None,
            funding: None,
            funding_tkr: None,
            status: AssignmentStatus::InProgress,
            goal_id: None,
            result: None,
        };
        let (ks, klk) = (unit(2, 1, OrgUnitKind::ExecutiveBoard), unit(3, 1, OrgUnitKind::Administration));
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let p = AssignmentPatch {
                funding_tkr: Some(Some(bad)),
                ..Default::default()
            };
            assert_eq!(
                validate_assignment(&p.apply(&base), &ks, &klk, None).unwrap_err().field,
                "funding_tkr"
            );
        }
        let cleared = AssignmentPatch {
            funding_tkr: Some(None),
            status: Some(AssignmentStatus::Completed),
            ..Default::default()
        }
        .apply(&base);
        assert_eq!((cleared.funding_tkr, cleared.status), (None, AssignmentStatus::Completed));
        assert_eq!(cleared.title, "A");
    }
}
