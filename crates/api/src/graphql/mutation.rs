//! Mutations: maintaining the governance chain. Each is one transaction in the store, goes
//! through the [`Gateway`](crate::gateway::Gateway)'s permission check as the request's actor
//! (UNAUTHENTICATED without a valid token, FORBIDDEN when the token may not), is audited, and
//! answers validation errors with `extensions.code` VALIDATION and `extensions.field`.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::NaiveDate;
use styrhub_domain::area_group::GroupDefinition;
use styrhub_domain::commands::{
    AssignmentPatch, AssignmentReport, FollowUpRef, GoalPatch, NewAssessment, NewAssignment, NewGoal, NewTarget, Written,
};
use styrhub_domain::goal::Goal as DomainGoal;
use styrhub_domain::ids::{parse_date, AreaCode, GoalId};
use styrhub_domain::rules::validate::Finding;
use styrhub_domain::target::TargetRule;
use styrhub_domain::{DomainError, RepoError};

use crate::error::{gql, gql_write};
use crate::gateway::{Actor, WriteError, Writer};
use crate::graphql::assignment::{Assignment, AssignmentStatus};
use crate::graphql::context::{loaders, ports};
use crate::graphql::follow_up::{Assessment, FollowUp, FollowUpKind, GoalAssessment};
use crate::graphql::goal::{Goal, GoalKind};
use crate::graphql::group::{ComparisonGroup, SaveComparisonGroupInput};
use crate::graphql::indicator::{Target, TargetKind};

fn invalid(field: &str, message: impl Into<String>) -> async_graphql::Error {
    gql(RepoError::Invalid(DomainError::new(field, message)))
}

fn date(field: &str, s: &str) -> Result<NaiveDate> {
    parse_date(field, s).map_err(|e| invalid(field, e.message))
}

fn opt_date(field: &str, s: Option<&str>) -> Result<Option<NaiveDate>> {
    s.map(|s| date(field, s)).transpose()
}

fn tags(field: &str, list: &[i32]) -> Result<Vec<u8>> {
    list.iter()
        .map(|n| u8::try_from(*n).map_err(|_| invalid(field, format!("{n} is not one of the 17 global goals"))))
        .collect()
}

/// `undefined` leaves a field alone, `null` clears it, a value sets it.
fn patch<T>(m: MaybeUndefined<T>) -> Option<Option<T>> {
    match m {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// Runs a write and forgets what the request's loaders hold, so the result's fields see it.
async fn after_write<T>(ctx: &Context<'_>, r: std::result::Result<T, WriteError>) -> Result<T> {
    loaders(ctx).clear();
    r.map_err(|e| {
        if let WriteError::Repo(e @ (RepoError::Unavailable(_) | RepoError::Internal(_))) = &e {
            tracing::error!(error = %e, "write failed");
        }
        gql_write(e)
    })
}

/// The writer for the request's actor (put there by the HTTP layer); each command is checked
/// for that actor inside its transaction.
fn writer<'a>(ctx: &Context<'a>) -> Writer<'a> {
    let actor = ctx.data_opt::<Actor>().unwrap_or(&Actor::Anonymous);
    ports(ctx).gateway.writer(actor)
}

/// A warning a write produced: written anyway, worth showing.
#[derive(SimpleObject)]
pub struct Warning {
    /// The field concerned.
    pub field: String,
    /// What is worth knowing, e.g. that a unit now has more development goals than its model allows.
    pub message: String,
}

impl From<Finding> for Warning {
    fn from(f: Finding) -> Self {
        Self {
            field: crate::error::camel_case(&f.field),
            message: f.message,
        }
    }
}

/// A goal as written, with the warnings the write produced.
#[derive(SimpleObject)]
pub struct GoalPayload {
    /// The goal.
    pub goal: Goal,
    /// Warnings, such as a cap of the governance model exceeded.
    pub warnings: Vec<Warning>,
}

impl From<Written<DomainGoal>> for GoalPayload {
    fn from(w: Written<DomainGoal>) -> Self {
        Self {
            goal: Goal(w.value),
            warnings: w.warnings.into_iter().map(Warning::from).collect(),
        }
    }
}

/// A new goal.
#[derive(InputObject)]
pub struct CreateGoalInput {
    /// Municipality code, e.g. "1489".
    pub municipality: String,
    /// Key of the governance model (goal set) it is set under, e.g. "styrmodell-2024".
    pub governance_model: String,
    /// Stable key; derived from the title when left out.
    pub key: Option<String>,
    /// Title as written.
    pub title: String,
    /// Motivation or description.
    pub description: Option<String>,
    /// Kind of goal; the model decides which kinds the owner's level may set.
    pub kind: GoalKind,
    /// The organisation unit that owns it (id).
    pub owner_id: i64,
    /// Its focus area (id).
    pub focus_area_id: Option<i64>,
    /// The goals it contributes to (ids).
    #[graphql(default)]
    pub parent_ids: Vec<i64>,
    /// First day in force, YYYY-MM-DD.
    pub valid_from: String,
    /// Last day in force, YYYY-MM-DD; until further notice when left out.
    pub valid_to: Option<String>,
    /// Agenda 2030 global goals (1–17).
    #[graphql(default)]
    pub agenda2030: Vec<i32>,
    /// The decision that set it, e.g. "KF 2024-02-26 § 15".
    pub decision: Option<String>,
    /// Order among its siblings; after the owner's other goals when left out.
    pub position: Option<i32>,
}

/// Changes to a goal: fields left out stay as they are; `null` clears an optional field.
#[derive(InputObject, Default)]
pub struct UpdateGoalInput {
    /// Title as written.
    pub title: Option<String>,
    /// Motivation or description.
    pub description: MaybeUndefined<String>,
    /// Kind of goal.
    pub kind: Option<GoalKind>,
    /// The owning organisation unit (id).
    pub owner_id: Option<i64>,
    /// Its focus area (id).
    pub focus_area_id: MaybeUndefined<i64>,
    /// The goals it contributes to (ids), replacing the current ones.
    pub parent_ids: Option<Vec<i64>>,
    /// First day in force, YYYY-MM-DD.
    pub valid_from: Option<String>,
    /// Last day in force, YYYY-MM-DD.
    pub valid_to: MaybeUndefined<String>,
    /// Agenda 2030 global goals (1–17), replacing the current ones.
    pub agenda2030: Option<Vec<i32>>,
    /// The decision that set it.
    pub decision: MaybeUndefined<String>,
    /// Order among its siblings.
    pub position: Option<i32>,
}

/// A target for an indicator, an area and a range of years; setting it again for the same
/// indicator, area and first year replaces it.
#[derive(InputObject)]
pub struct SetTargetInput {
    /// The indicator (id).
    pub indicator_id: i64,
    /// The area it applies to, e.g. "1489".
    pub area: String,
    /// First year it holds.
    pub period_from: i32,
    /// Last year it holds; until further notice when left out.
    pub period_to: Option<i32>,
    /// Absolute, direction or relative.
    pub kind: TargetKind,
    /// at_least, at_most, equal (absolute); increase, decrease, not_decrease, not_increase
    /// (direction); above, below, at_least, at_most (relative).
    pub comparison: String,
    /// The target value (absolute targets).
    pub value: Option<f64>,
    /// What a relative target compares with: an area, e.g. "0000" (the whole country), or a
    /// comparison group, e.g. "1489:jamforelsekommuner" or "G92790" (the mean of its members of
    /// each year).
    pub reference_area: Option<String>,
    /// The phrase as written.
    pub note: Option<String>,
}

/// A goal's assessment in a follow-up: name the follow-up by id, or by governance model, kind,
/// year (and month) to create it when it does not exist yet.
#[derive(InputObject)]
pub struct RecordAssessmentInput {
    /// The follow-up (id) …
    pub follow_up_id: Option<i64>,
    /// … or its governance model (id) …
    pub governance_model_id: Option<i64>,
    /// … kind …
    pub kind: Option<FollowUpKind>,
    /// … year …
    pub year: Option<i32>,
    /// … and month (monthly reports only).
    pub month: Option<u32>,
    /// The goal assessed (id).
    pub goal_id: i64,
    /// The judgement.
    pub assessment: Assessment,
    /// Forecast for the year's end.
    pub forecast: Option<Assessment>,
    /// The analysis as written.
    pub analysis: Option<String>,
}

/// A new assignment.
#[derive(InputObject)]
pub struct CreateAssignmentInput {
    /// Municipality code, e.g. "1489".
    pub municipality: String,
    /// Stable key; derived from the title when left out.
    pub key: Option<String>,
    /// Short title.
    pub title: String,
    /// The text as written.
    pub description: Option<String>,
    /// The unit that gives it (id).
    pub from_org_unit_id: i64,
    /// The unit that carries it out (id).
    pub to_org_unit_id: i64,
    /// When it is due, YYYY-MM-DD.
    pub deadline: Option<String>,
    /// How it is funded, as written.
    pub funding: Option<String>,
    /// Funding in thousands of SEK.
    pub funding_tkr: Option<f64>,
    /// Where it stands; not started when left out.
    pub status: Option<AssignmentStatus>,
    /// The goal it serves (id).
    pub goal_id: Option<i64>,
}

/// Changes to an assignment: fields left out stay; `null` clears an optional field.
#[derive(InputObject, Default)]
pub struct UpdateAssignmentInput {
    /// Short title.
    pub title: Option<String>,
    /// The text as written.
    pub description: MaybeUndefined<String>,
    /// The unit that gives it (id).
    pub from_org_unit_id: Option<i64>,
    /// The unit that carries it out (id).
    pub to_org_unit_id: Option<i64>,
    /// When it is due, YYYY-MM-DD.
    pub deadline: MaybeUndefined<String>,
    /// How it is funded, as written.
    pub funding: MaybeUndefined<String>,
    /// Funding in thousands of SEK.
    pub funding_tkr: MaybeUndefined<f64>,
    /// Where it stands.
    pub status: Option<AssignmentStatus>,
    /// The goal it serves (id).
    pub goal_id: MaybeUndefined<i64>,
    /// What the receiving unit reports it achieved.
    pub result: MaybeUndefined<String>,
}

/// The receiving unit's report on an assignment given to it.
#[derive(InputObject)]
pub struct ReportAssignmentInput {
    /// Where it stands.
    pub status: Option<AssignmentStatus>,
    /// What was achieved; null clears it.
    pub result: MaybeUndefined<String>,
}

async fn goal_by_id(ctx: &Context<'_>, id: i64) -> Result<Goal> {
    ports(ctx)
        .read
        .governance
        .goals_by_ids(&[GoalId(id)])
        .await
        .map_err(gql)?
        .pop()
        .map(Goal)
        .ok_or_else(|| gql(RepoError::NotFound(format!("goal {id}"))))
}

/// Every mutation.
#[derive(Default)]
pub struct Mutation;

/// Maintaining the governance chain: goals, indicator links, targets, assessments, follow-up
/// approval and assignments. Each mutation is one transaction.
#[Object]
impl Mutation {
    /// Creates a goal, checked against the municipality's governance model: which kinds the
    /// owner's level may set, its caps (a warning), its period, and that no goal becomes its
    /// own ancestor.
    async fn create_goal(&self, ctx: &Context<'_>, input: CreateGoalInput) -> Result<GoalPayload> {
        let cmd = NewGoal {
            municipality_code: input.municipality,
            governance_model: input.governance_model,
            key: input.key,
            title: input.title,
            description: input.description,
            kind: input.kind.into(),
            owner_id: input.owner_id,
            focus_area_id: input.focus_area_id,
            parent_ids: input.parent_ids,
            valid_from: date("valid_from", &input.valid_from)?,
            valid_to: opt_date("valid_to", input.valid_to.as_deref())?,
            agenda2030: tags("agenda2030", &input.agenda2030)?,
            decision: input.decision,
            position: input.position,
        };
        let w = writer(ctx);
        Ok(after_write(ctx, w.create_goal(&cmd).await).await?.into())
    }

    /// Changes a goal; the same checks as creating one. Archived goals cannot change.
    async fn update_goal(&self, ctx: &Context<'_>, id: i64, input: UpdateGoalInput) -> Result<GoalPayload> {
        let cmd = GoalPatch {
            title: input.title,
            description: patch(input.description),
            kind: input.kind.map(Into::into),
            owner_id: input.owner_id,
            focus_area_id: patch(input.focus_area_id),
            parent_ids: input.parent_ids,
            valid_from: input.valid_from.as_deref().map(|s| date("valid_from", s)).transpose()?,
            valid_to: patch(input.valid_to).map(|v| opt_date("valid_to", v.as_deref())).transpose()?,
            agenda2030: input.agenda2030.as_deref().map(|t| tags("agenda2030", t)).transpose()?,
            decision: patch(input.decision),
            position: input.position,
        };
        let w = writer(ctx);
        Ok(after_write(ctx, w.update_goal(id, &cmd).await).await?.into())
    }

    /// Archives a goal: kept for history, no longer in force. Archiving twice is harmless.
    async fn archive_goal(&self, ctx: &Context<'_>, id: i64) -> Result<Goal> {
        let w = writer(ctx);
        Ok(Goal(after_write(ctx, w.archive_goal(id).await).await?))
    }

    /// Links an indicator to a goal it follows up (linking twice is harmless).
    async fn link_indicator(&self, ctx: &Context<'_>, goal_id: i64, indicator_id: i64) -> Result<Goal> {
        let w = writer(ctx);
        after_write(ctx, w.link_indicator(goal_id, indicator_id).await).await?;
        goal_by_id(ctx, goal_id).await
    }

    /// Unlinks an indicator from a goal.
    async fn unlink_indicator(&self, ctx: &Context<'_>, goal_id: i64, indicator_id: i64) -> Result<Goal> {
        let w = writer(ctx);
        after_write(ctx, w.unlink_indicator(goal_id, indicator_id).await).await?;
        goal_by_id(ctx, goal_id).await
    }

    /// Sets a target; the governance model decides whether the indicator's kind may have one
    /// (Alvesta: no targets on quality indicators).
    async fn set_target(&self, ctx: &Context<'_>, input: SetTargetInput) -> Result<Target> {
        let kind = match input.kind {
            TargetKind::Absolute => "absolute",
            TargetKind::Direction => "direction",
            TargetKind::Relative => "relative",
        };
        let rule = TargetRule::from_parts(kind, &input.comparison, input.value, input.reference_area.as_deref())
            .map_err(|e| invalid(&e.field, e.message))?;
        let cmd = NewTarget {
            indicator_id: input.indicator_id,
            area: AreaCode::parse(&input.area).map_err(|e| invalid("area", e.message))?,
            period_from: input.period_from,
            period_to: input.period_to,
            rule,
            note: input.note,
        };
        let w = writer(ctx);
        Ok(Target(after_write(ctx, w.set_target(&cmd).await).await?))
    }

    /// Records (or replaces) a goal's assessment, forecast and analysis in a follow-up. An
    /// approved follow-up is locked: CONFLICT.
    async fn record_assessment(&self, ctx: &Context<'_>, input: RecordAssessmentInput) -> Result<GoalAssessment> {
        let follow_up = match (input.follow_up_id, input.governance_model_id, input.kind, input.year) {
            (Some(id), None, None, None) => FollowUpRef::Id(id),
            (None, Some(governance_model_id), Some(kind), Some(year)) => FollowUpRef::Period {
                governance_model_id,
                kind: kind.into(),
                year,
                month: input.month,
            },
            _ => {
                return Err(invalid(
                    "follow_up_id",
                    "give followUpId, or governanceModelId, kind and year (and month)",
                ))
            }
        };
        let cmd = NewAssessment {
            follow_up,
            goal_id: input.goal_id,
            assessment: input.assessment.into(),
            forecast: input.forecast.map(Into::into),
            analysis: input.analysis,
        };
        let w = writer(ctx);
        Ok(GoalAssessment(after_write(ctx, w.record_assessment(&cmd).await).await?))
    }

    /// Approves a follow-up: locks it and stores a snapshot of the indicator values it was
    /// based on, so that later revisions never change what the report said.
    async fn approve_follow_up(&self, ctx: &Context<'_>, id: i64) -> Result<FollowUp> {
        let w = writer(ctx);
        Ok(FollowUp(after_write(ctx, w.approve_follow_up(id, chrono::Utc::now()).await).await?))
    }

    /// Creates an assignment from one unit to another.
    async fn create_assignment(&self, ctx: &Context<'_>, input: CreateAssignmentInput) -> Result<Assignment> {
        let cmd = NewAssignment {
            municipality_code: input.municipality,
            key: input.key,
            title: input.title,
            description: input.description,
            from_org_unit_id: input.from_org_unit_id,
            to_org_unit_id: input.to_org_unit_id,
            deadline: opt_date("deadline", input.deadline.as_deref())?,
            funding: input.funding,
            funding_tkr: input.funding_tkr,
            status: input
                .status
                .map(Into::into)
                .unwrap_or(styrhub_domain::assignment::AssignmentStatus::NotStarted),
            goal_id: input.goal_id,
        };
        let w = writer(ctx);
        Ok(Assignment(after_write(ctx, w.create_assignment(&cmd).await).await?))
    }

    /// Changes an assignment.
    async fn update_assignment(&self, ctx: &Context<'_>, id: i64, input: UpdateAssignmentInput) -> Result<Assignment> {
        let cmd = AssignmentPatch {
            title: input.title,
            description: patch(input.description),
            from_org_unit_id: input.from_org_unit_id,
            to_org_unit_id: input.to_org_unit_id,
            deadline: patch(input.deadline).map(|d| opt_date("deadline", d.as_deref())).transpose()?,
            funding: patch(input.funding),
            funding_tkr: patch(input.funding_tkr),
            status: input.status.map(Into::into),
            goal_id: patch(input.goal_id),
            result: patch(input.result),
        };
        let w = writer(ctx);
        Ok(Assignment(after_write(ctx, w.update_assignment(id, &cmd).await).await?))
    }

    /// Reports on an assignment: its status and result. The receiving unit's editors may, as
    /// the unit that carries it out; its content, deadline and resources stay the giving unit's
    /// (`updateAssignment`).
    async fn report_assignment(&self, ctx: &Context<'_>, id: i64, input: ReportAssignmentInput) -> Result<Assignment> {
        let report = AssignmentReport {
            status: input.status.map(Into::into),
            result: patch(input.result),
        };
        let w = writer(ctx);
        Ok(Assignment(after_write(ctx, w.report_assignment(id, &report).await).await?))
    }

    /// Creates or replaces a comparison group of a municipality's own ("liknande kommuner"):
    /// its code is `municipality:key`, its members are kept year by year. Editors of the
    /// municipality's root unit may (it is the municipality's decision); audited. Saving the
    /// same group again changes nothing.
    async fn save_comparison_group(&self, ctx: &Context<'_>, input: SaveComparisonGroupInput) -> Result<ComparisonGroup> {
        let group = GroupDefinition::from(input);
        let w = writer(ctx);
        Ok(ComparisonGroup(after_write(ctx, w.save_group(&group).await).await?))
    }
}
