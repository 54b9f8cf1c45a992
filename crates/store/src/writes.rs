//! Writing the governance chain: [`GovernanceWriter`] for the store.
//!
//! Every command is one transaction. Its first step is the permission check (`permit`), on
//! facts read and locked inside it; the code that writes takes the permit of its command. Then
//! the rows it refers to are read, handed to the domain's pure checks (`styrhub_domain::commands::validate_…`), and only then is anything
//! written, so a refused command leaves the database as it was. Unknown ids are `NotFound`
//! naming the command's field; a duplicate key, an archived goal and an approved follow-up are
//! `Conflict`s.
//!
//! Follow-ups are locked with `SELECT … FOR UPDATE` (PostgreSQL; SQLite has one writer at a time
//! anyway) before they are checked, so that an assessment racing an approval either lands
//! before it, and is in the approved report, or is refused.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect, Set, Statement,
};
use styrhub_domain::access::{Actor, Command, Permit};
use styrhub_domain::area_group::{AreaGroup, GroupDefinition};
use styrhub_domain::assignment::Assignment;
use styrhub_domain::commands::{
    check_key, slugify, unique_key, validate_assessment, validate_assignment, validate_follow_up_period, validate_goal, validate_target,
    AssignmentChange, AssignmentPatch, AssignmentReport, FollowUpApproval, FollowUpRef, GoalArchival, GoalContext, GoalPatch, GoalUpdate,
    GovernanceWriter, IndicatorLink, NewAssessment, NewAssignment, NewGoal, NewTarget, WriteError, Written,
};
use styrhub_domain::follow_up::{build_snapshot, FollowUp, GoalAssessment};
use styrhub_domain::goal::Goal;
use styrhub_domain::governance_model::GovernanceModel;
use styrhub_domain::ids::{AreaCode, Gender};
use styrhub_domain::indicator::Indicator;
use styrhub_domain::org_unit::OrgUnit;
use styrhub_domain::rules::validate;
use styrhub_domain::series::SeriesDigest;
use styrhub_domain::target::{Target, TargetRule};
use styrhub_domain::{DomainError, RepoError};

use crate::access::{record, state};
use crate::convert::agenda_to_text;
use crate::db::repo_err;
use crate::entities::{
    assignment, focus_area, follow_up, goal, goal_assessment, goal_parent, governance_model, indicator, indicator_goal, org_unit,
    series_digest, target,
};
use crate::governance::{by_ids, convert};
use crate::permit::{begin_write, permit};
use crate::Store;

fn internal(e: impl std::fmt::Display) -> RepoError {
    RepoError::Internal(e.to_string())
}

fn invalid(field: &str, message: impl Into<String>) -> RepoError {
    RepoError::Invalid(DomainError::new(field, message))
}

/// "goal 42", or "goal 42 (parent_ids)" when the id came in a field of the command.
fn not_found(what: &str, id: impl std::fmt::Display, field: Option<&str>) -> RepoError {
    match field {
        Some(f) => RepoError::NotFound(format!("{what} {id} ({f})")),
        None => RepoError::NotFound(format!("{what} {id}")),
    }
}

// ----- Reads inside the transaction ------------------------------------------------------------

async fn municipality(txn: &DatabaseTransaction, code: &str) -> Result<org_unit::Model, RepoError> {
    org_unit::Entity::find()
        .filter(org_unit::Column::MunicipalityCode.eq(code))
        .one(txn)
        .await
        .map_err(repo_err)?
        .ok_or_else(|| not_found("municipality", code, Some("municipality_code")))
}

async fn org_unit_by_id(txn: &DatabaseTransaction, id: i64, field: &str) -> Result<OrgUnit, RepoError> {
    org_unit::Entity::find_by_id(id)
        .one(txn)
        .await
        .map_err(repo_err)?
        .ok_or_else(|| not_found("organisation unit", id, Some(field)))?
        .try_into()
}

async fn goal_row(txn: &DatabaseTransaction, id: i64, field: Option<&str>) -> Result<goal::Model, RepoError> {
    goal::Entity::find_by_id(id)
        .one(txn)
        .await
        .map_err(repo_err)?
        .ok_or_else(|| not_found("goal", id, field))
}

async fn indicator_row(txn: &DatabaseTransaction, id: i64, field: Option<&str>) -> Result<indicator::Model, RepoError> {
    indicator::Entity::find_by_id(id)
        .one(txn)
        .await
        .map_err(repo_err)?
        .ok_or_else(|| not_found("indicator", id, field))
}

async fn model_by_id(txn: &DatabaseTransaction, id: i64, field: Option<&str>) -> Result<GovernanceModel, RepoError> {
    governance_model::Entity::find_by_id(id)
        .one(txn)
        .await
        .map_err(repo_err)?
        .ok_or_else(|| not_found("governance model", id, field))?
        .try_into()
}

/// The municipality of a focus area, or `None` when the goal has none.
async fn focus_area_municipality(txn: &DatabaseTransaction, id: Option<i64>) -> Result<Option<i64>, RepoError> {
    let Some(id) = id else { return Ok(None) };
    let row = focus_area::Entity::find_by_id(id)
        .one(txn)
        .await
        .map_err(repo_err)?
        .ok_or_else(|| not_found("focus area", id, Some("focus_area_id")))?;
    Ok(Some(row.municipality_id))
}

/// The goals of `ids`, each once; an unknown id is `NotFound` naming `parent_ids`.
async fn parent_goals(txn: &DatabaseTransaction, ids: &[i64]) -> Result<Vec<Goal>, RepoError> {
    let goals: Vec<Goal> = by_ids(ids, |c| goal::Entity::find().filter(goal::Column::Id.is_in(c)).all(txn)).await?;
    let found: BTreeSet<i64> = goals.iter().map(|g| g.id).collect();
    if let Some(missing) = ids.iter().find(|id| !found.contains(id)) {
        return Err(not_found("goal", missing, Some("parent_ids")));
    }
    Ok(goals)
}

/// Serialises the changes of one municipality's goal hierarchy until the transaction ends. Each
/// change is checked for cycles against the edges it reads; two concurrent changes (a under b,
/// b under a) would each pass alone and together make a cycle. On PostgreSQL a transaction-level
/// advisory lock per municipality makes the second wait for the first and then read its edges.
/// SQLite needs none: it has one writer, and a transaction that read before another's commit
/// cannot write after it (it fails instead).
async fn lock_hierarchy(txn: &DatabaseTransaction, municipality_id: i64) -> Result<(), RepoError> {
    if txn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    // The two-key form: the first key names the lock's purpose, the second the municipality
    // (folded into 32 bits: two municipalities sharing a lock only wait for each other).
    let key = (municipality_id.rem_euclid(i64::from(i32::MAX))) as i32;
    txn.query_one_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1, $2)::text AS locked",
        [sea_orm::Value::from(GOAL_HIERARCHY_LOCK), sea_orm::Value::from(key)],
    ))
    .await
    .map_err(repo_err)?;
    Ok(())
}

/// The advisory lock class of goal hierarchy changes (see [`lock_hierarchy`]).
const GOAL_HIERARCHY_LOCK: i32 = 0x5354_0001;

/// Every goal → parent edge of a municipality, as (child, parent).
async fn municipality_edges(txn: &DatabaseTransaction, municipality_id: i64) -> Result<Vec<(i64, i64)>, RepoError> {
    goal_parent::Entity::find()
        .select_only()
        .column(goal_parent::Column::GoalId)
        .column(goal_parent::Column::ParentId)
        .filter(
            goal_parent::Column::GoalId.in_subquery(
                Query::select()
                    .column(goal::Column::Id)
                    .from(goal::Entity)
                    .and_where(goal::Column::MunicipalityId.eq(municipality_id))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(txn)
        .await
        .map_err(repo_err)
}

/// The goals `owner` has set under `model`, archived ones included.
async fn owner_goals(txn: &DatabaseTransaction, owner: i64, model: i64) -> Result<Vec<Goal>, RepoError> {
    convert(
        goal::Entity::find()
            .filter(goal::Column::OwnerId.eq(owner))
            .filter(goal::Column::GovernanceModelId.eq(model))
            .all(txn)
            .await
            .map_err(repo_err)?,
    )
}

/// A follow-up, locked for the rest of the transaction.
async fn follow_up_locked(txn: &DatabaseTransaction, id: i64, field: Option<&str>) -> Result<follow_up::Model, RepoError> {
    follow_up::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await
        .map_err(repo_err)?
        .ok_or_else(|| not_found("follow-up", id, field))
}

/// "Delårsrapport 1 2022 of Styrmodell … (follow-up 7)": how conflicts name a report.
fn describe(fu: &FollowUp, model: &GovernanceModel) -> String {
    let name = model.rules.follow_up(fu.kind).map(|r| r.name.as_str()).unwrap_or(fu.kind.as_str());
    let month = fu.month.map(|m| format!("-{m:02}")).unwrap_or_default();
    format!("{name} {}{month} of {} (follow-up {})", fu.year, model.name, fu.id)
}

// ----- Keys ------------------------------------------------------------------------------------

/// A key for a new row: the given one (checked, and a `Conflict` when taken) or one derived from
/// the title and made unique among `taken`.
fn new_key(given: Option<&str>, title: &str, taken: &BTreeSet<String>, what: &str, code: &str) -> Result<String, RepoError> {
    match given {
        Some(k) => {
            check_key("key", k)?;
            if taken.contains(k) {
                return Err(RepoError::Conflict(format!("{code} already has {what} with the key `{k}`")));
            }
            Ok(k.to_owned())
        }
        None => Ok(unique_key(&slugify(title), taken)),
    }
}

async fn goal_keys(txn: &DatabaseTransaction, municipality_id: i64) -> Result<BTreeSet<String>, RepoError> {
    let keys: Vec<String> = goal::Entity::find()
        .select_only()
        .column(goal::Column::Key)
        .filter(goal::Column::MunicipalityId.eq(municipality_id))
        .into_tuple()
        .all(txn)
        .await
        .map_err(repo_err)?;
    Ok(keys.into_iter().collect())
}

async fn assignment_keys(txn: &DatabaseTransaction, municipality_id: i64) -> Result<BTreeSet<String>, RepoError> {
    let keys: Vec<String> = assignment::Entity::find()
        .select_only()
        .column(assignment::Column::Key)
        .filter(assignment::Column::MunicipalityId.eq(municipality_id))
        .into_tuple()
        .all(txn)
        .await
        .map_err(repo_err)?;
    Ok(keys.into_iter().collect())
}

// ----- Domain → rows ---------------------------------------------------------------------------

fn goal_model(g: &Goal) -> goal::Model {
    goal::Model {
        id: g.id,
        municipality_id: g.municipality_id,
        governance_model_id: g.governance_model_id,
        key: g.key.clone(),
        title: g.title.clone(),
        description: g.description.clone(),
        kind: g.kind.as_str().into(),
        owner_id: g.owner_id,
        focus_area_id: g.focus_area_id,
        valid_from: g.validity.from,
        valid_to: g.validity.to,
        agenda2030: agenda_to_text(&g.agenda2030),
        decision: g.decision.clone(),
        position: g.position,
        archived: g.archived,
    }
}

fn assignment_model(a: &Assignment) -> assignment::Model {
    assignment::Model {
        id: a.id,
        municipality_id: a.municipality_id,
        key: a.key.clone(),
        title: a.title.clone(),
        description: a.description.clone(),
        from_org_unit_id: a.from_org_unit_id,
        to_org_unit_id: a.to_org_unit_id,
        deadline: a.deadline,
        funding: a.funding.clone(),
        funding_tkr: a.funding_tkr,
        status: a.status.as_str().into(),
        goal_id: a.goal_id,
        result: a.result.clone(),
    }
}

/// Inserts a row, leaving its id to the database.
async fn insert<A>(txn: &DatabaseTransaction, mut am: A) -> Result<<A::Entity as EntityTrait>::Model, RepoError>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    for pk in <<A::Entity as EntityTrait>::PrimaryKey as sea_orm::Iterable>::iter() {
        am.not_set(sea_orm::PrimaryKeyToColumn::into_column(pk));
    }
    am.insert(txn).await.map_err(repo_err)
}

/// Replaces every parent link of `goal_id` with `parents`.
async fn set_parents(txn: &DatabaseTransaction, goal_id: i64, parents: &[Goal]) -> Result<(), RepoError> {
    goal_parent::Entity::delete_many()
        .filter(goal_parent::Column::GoalId.eq(goal_id))
        .exec(txn)
        .await
        .map_err(repo_err)?;
    let rows: Vec<goal_parent::ActiveModel> = parents
        .iter()
        .map(|p| goal_parent::ActiveModel {
            goal_id: Set(goal_id),
            parent_id: Set(p.id),
        })
        .collect();
    if !rows.is_empty() {
        goal_parent::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await
            .map_err(repo_err)?;
    }
    Ok(())
}

/// The ids of a goal's parents, in order.
async fn parent_ids_of(txn: &DatabaseTransaction, goal_id: i64) -> Result<Vec<i64>, RepoError> {
    let mut ids: Vec<i64> = goal_parent::Entity::find()
        .select_only()
        .column(goal_parent::Column::ParentId)
        .filter(goal_parent::Column::GoalId.eq(goal_id))
        .into_tuple()
        .all(txn)
        .await
        .map_err(repo_err)?;
    ids.sort_unstable();
    Ok(ids)
}

/// A goal as the audit log keeps it: the row and its parents, which are part of what a goal
/// says.
fn goal_state(goal: &Goal, mut parent_ids: Vec<i64>) -> Result<serde_json::Value, RepoError> {
    parent_ids.sort_unstable();
    let mut v = state(goal)?;
    if let Some(o) = v.as_object_mut() {
        o.insert("parent_ids".into(), serde_json::json!(parent_ids));
    }
    Ok(v)
}

/// A link as the audit log keeps it (entity `indicator_link`, id the goal's).
fn link_state(goal_id: i64, indicator_id: i64) -> serde_json::Value {
    serde_json::json!({ "goal_id": goal_id, "indicator_id": indicator_id })
}

/// Everything a goal is checked against, read in the transaction.
struct GoalFacts {
    model: GovernanceModel,
    owner: OrgUnit,
    focus_area_municipality_id: Option<i64>,
    parents: Option<Vec<Goal>>,
    edges: Vec<(i64, i64)>,
    owner_goals: Vec<Goal>,
}

impl GoalFacts {
    async fn gather(txn: &DatabaseTransaction, model: GovernanceModel, goal: &Goal, parent_ids: Option<&[i64]>) -> Result<Self, RepoError> {
        let owner = org_unit_by_id(txn, goal.owner_id, "owner_id").await?;
        let focus_area_municipality_id = focus_area_municipality(txn, goal.focus_area_id).await?;
        let parents = match parent_ids {
            Some(ids) => {
                let unique: BTreeSet<i64> = ids.iter().copied().collect();
                Some(parent_goals(txn, &unique.into_iter().collect::<Vec<_>>()).await?)
            }
            None => None,
        };
        let edges = if parents.is_some() {
            lock_hierarchy(txn, goal.municipality_id).await?;
            municipality_edges(txn, goal.municipality_id).await?
        } else {
            Vec::new()
        };
        let owner_goals = owner_goals(txn, goal.owner_id, model.id).await?;
        Ok(Self {
            model,
            owner,
            focus_area_municipality_id,
            parents,
            edges,
            owner_goals,
        })
    }

    fn check(&self, goal: &Goal) -> Result<Vec<validate::Finding>, RepoError> {
        let ctx = GoalContext {
            model: &self.model,
            owner: &self.owner,
            focus_area_municipality_id: self.focus_area_municipality_id,
            parents: self.parents.as_deref(),
            other_edges: &self.edges,
            owner_goals: &self.owner_goals,
        };
        Ok(validate_goal(goal, &ctx)?)
    }
}

/// Loads everything an approval freezes and builds the snapshot.
async fn snapshot_of(txn: &DatabaseTransaction, fu: &FollowUp, model: &GovernanceModel) -> Result<String, RepoError> {
    let root = org_unit::Entity::find_by_id(model.municipality_id)
        .one(txn)
        .await
        .map_err(repo_err)?
        .ok_or_else(|| internal(format!("governance model {} has no municipality", model.id)))?;
    let code = root
        .municipality_code
        .as_deref()
        .ok_or_else(|| internal(format!("organisation unit {} is a model's municipality but has no code", root.id)))?;
    let municipality = AreaCode::parse(code).map_err(internal)?;

    let goals: Vec<Goal> = convert(
        goal::Entity::find()
            .filter(goal::Column::GovernanceModelId.eq(model.id))
            .filter(goal::Column::Archived.eq(false))
            .all(txn)
            .await
            .map_err(repo_err)?,
    )?;
    let goal_ids: Vec<i64> = goals.iter().filter(|g| g.validity.overlaps_year(fu.year)).map(|g| g.id).collect();
    let links: Vec<indicator_goal::Model> = by_ids(&goal_ids, |c| {
        indicator_goal::Entity::find()
            .filter(indicator_goal::Column::GoalId.is_in(c))
            .all(txn)
    })
    .await?;
    let indicator_ids: Vec<i64> = links.iter().map(|l| l.indicator_id).collect();
    let indicators: Vec<Indicator> = by_ids(&indicator_ids, |c| {
        indicator::Entity::find().filter(indicator::Column::Id.is_in(c)).all(txn)
    })
    .await?;
    let targets: Vec<Target> = by_ids(&indicator_ids, |c| {
        target::Entity::find().filter(target::Column::IndicatorId.is_in(c)).all(txn)
    })
    .await?;

    let keys: BTreeSet<String> = indicators.iter().map(|i| i.series().key()).collect();
    let mut areas: BTreeSet<String> = targets
        .iter()
        .filter_map(|t| match &t.rule {
            TargetRule::Relative { reference_area, .. } => Some(reference_area.to_string()),
            _ => None,
        })
        .collect();
    areas.insert(municipality.to_string());
    let mut digests: Vec<SeriesDigest> = Vec::new();
    let keys: Vec<String> = keys.into_iter().collect();
    for chunk in keys.chunks(crate::governance::MAX_IN) {
        let rows = series_digest::Entity::find()
            .filter(series_digest::Column::SeriesKey.is_in(chunk.iter().cloned()))
            .filter(series_digest::Column::AreaCode.is_in(areas.iter().cloned()))
            .filter(series_digest::Column::Gender.eq(Gender::Total.code()))
            .all(txn)
            .await
            .map_err(repo_err)?;
        digests.extend(convert::<_, SeriesDigest>(rows)?);
    }
    let snapshot = build_snapshot(fu.year, &municipality, &indicators, &targets, &digests);
    serde_json::to_string(&snapshot).map_err(internal)
}

impl Store {
    /// Runs `write` in a governance write's transaction once the permission check, the
    /// transaction's first step, gave its permit; commits what it wrote.
    async fn permitted<C: Command, T>(
        &self,
        actor: &Actor,
        command: C,
        write: impl AsyncFnOnce(&DatabaseTransaction, &Permit<C>) -> Result<T, RepoError>,
    ) -> Result<T, WriteError> {
        let txn = begin_write(self).await?;
        let permit = permit(&txn, actor, command).await?;
        let written = write(&txn, &permit).await?;
        txn.commit().await.map_err(repo_err)?;
        Ok(written)
    }
}

/// Each command in its transaction, after its permission check; the code that writes it is
/// below, one function per command, each taking the permit of its own command.
#[async_trait]
impl GovernanceWriter for Store {
    async fn create_goal(&self, actor: &Actor, input: &NewGoal) -> Result<Written<Goal>, WriteError> {
        self.permitted(actor, input, create_goal).await
    }

    async fn update_goal(&self, actor: &Actor, id: i64, patch: &GoalPatch) -> Result<Written<Goal>, WriteError> {
        self.permitted(actor, GoalUpdate { id, patch }, update_goal).await
    }

    async fn archive_goal(&self, actor: &Actor, id: i64) -> Result<Goal, WriteError> {
        self.permitted(actor, GoalArchival(id), archive_goal).await
    }

    async fn link_indicator(&self, actor: &Actor, goal_id: i64, indicator_id: i64) -> Result<(), WriteError> {
        self.permitted(
            actor,
            IndicatorLink {
                goal_id,
                indicator_id,
                unlink: false,
            },
            link_indicator,
        )
        .await
    }

    async fn unlink_indicator(&self, actor: &Actor, goal_id: i64, indicator_id: i64) -> Result<(), WriteError> {
        self.permitted(
            actor,
            IndicatorLink {
                goal_id,
                indicator_id,
                unlink: true,
            },
            unlink_indicator,
        )
        .await
    }

    async fn set_target(&self, actor: &Actor, input: &NewTarget) -> Result<Target, WriteError> {
        self.permitted(actor, input, set_target).await
    }

    async fn record_assessment(&self, actor: &Actor, input: &NewAssessment) -> Result<GoalAssessment, WriteError> {
        self.permitted(actor, input, record_assessment).await
    }

    async fn approve_follow_up(&self, actor: &Actor, id: i64, at: DateTime<Utc>) -> Result<FollowUp, WriteError> {
        self.permitted(actor, FollowUpApproval { id, at }, approve_follow_up).await
    }

    async fn create_assignment(&self, actor: &Actor, input: &NewAssignment) -> Result<Assignment, WriteError> {
        self.permitted(actor, input, create_assignment).await
    }

    async fn update_assignment(&self, actor: &Actor, id: i64, patch: &AssignmentPatch) -> Result<Assignment, WriteError> {
        self.permitted(actor, AssignmentChange::update(id, patch), patch_assignment).await
    }

    async fn report_assignment(&self, actor: &Actor, id: i64, report: &AssignmentReport) -> Result<Assignment, WriteError> {
        self.permitted(actor, AssignmentChange::report(id, report), patch_assignment).await
    }

    async fn save_group(&self, actor: &Actor, group: &GroupDefinition) -> Result<AreaGroup, WriteError> {
        self.permitted(actor, group, crate::groups::save).await
    }
}

// ----- The commands, each given its permit ----------------------------------------------------

async fn create_goal(txn: &DatabaseTransaction, p: &Permit<&NewGoal>) -> Result<Written<Goal>, RepoError> {
    let (by, input) = (p.author(), *p.command());
    let root = municipality(txn, &input.municipality_code).await?;
    let model: GovernanceModel = governance_model::Entity::find()
        .filter(governance_model::Column::MunicipalityId.eq(root.id))
        .filter(governance_model::Column::Key.eq(input.governance_model.as_str()))
        .one(txn)
        .await
        .map_err(repo_err)?
        .ok_or_else(|| {
            RepoError::NotFound(format!(
                "governance model {} of {} (governance_model)",
                input.governance_model, input.municipality_code
            ))
        })?
        .try_into()?;
    let taken = goal_keys(txn, root.id).await?;
    let key = new_key(input.key.as_deref(), &input.title, &taken, "a goal", &input.municipality_code)?;
    let draft = input.draft(root.id, model.id, key, 0)?;
    let facts = GoalFacts::gather(txn, model, &draft, Some(&input.parent_ids)).await?;
    let position = match input.position {
        Some(p) => p,
        // After the owner's other goals of the model.
        None => facts.owner_goals.iter().map(|g| g.position).max().map_or(1, |p| p + 1),
    };
    let draft = Goal { position, ..draft };
    let warnings = facts.check(&draft)?;
    let row = insert(txn, goal::ActiveModel::from(goal_model(&draft)).reset_all()).await?;
    let parents = facts.parents.as_deref().unwrap_or_default();
    set_parents(txn, row.id, parents).await?;
    let goal: Goal = row.try_into()?;
    let after = goal_state(&goal, parents.iter().map(|p| p.id).collect())?;
    record(txn, by, "createGoal", "goal", goal.id, None, Some(after)).await?;
    Ok(Written { value: goal, warnings })
}

async fn update_goal(txn: &DatabaseTransaction, p: &Permit<GoalUpdate<'_>>) -> Result<Written<Goal>, RepoError> {
    let (by, GoalUpdate { id, patch }) = (p.author(), *p.command());
    let old: Goal = goal_row(txn, id, None).await?.try_into()?;
    if old.archived {
        return Err(RepoError::Conflict(format!(
            "goal {id} `{}` is archived and cannot change",
            old.key
        )));
    }
    let new = patch.apply(&old)?;
    let model = model_by_id(txn, old.governance_model_id, None).await?;
    let facts = GoalFacts::gather(txn, model, &new, patch.parent_ids.as_deref()).await?;
    let warnings = facts.check(&new)?;
    let old_parents = parent_ids_of(txn, id).await?;
    let row = if new == old {
        goal_model(&old)
    } else {
        goal::ActiveModel::from(goal_model(&new))
            .reset_all()
            .update(txn)
            .await
            .map_err(repo_err)?
    };
    let new_parents = match &facts.parents {
        Some(parents) => {
            set_parents(txn, id, parents).await?;
            let mut ids: Vec<i64> = parents.iter().map(|p| p.id).collect();
            ids.sort_unstable();
            ids
        }
        None => old_parents.clone(),
    };
    let goal: Goal = row.try_into()?;
    if goal != old || new_parents != old_parents {
        let before = goal_state(&old, old_parents)?;
        let after = goal_state(&goal, new_parents)?;
        record(txn, by, "updateGoal", "goal", id, Some(before), Some(after)).await?;
    }
    Ok(Written { value: goal, warnings })
}

async fn archive_goal(txn: &DatabaseTransaction, p: &Permit<GoalArchival>) -> Result<Goal, RepoError> {
    let (by, GoalArchival(id)) = (p.author(), *p.command());
    let row = goal_row(txn, id, None).await?;
    let row = if row.archived {
        row
    } else {
        let before: Goal = row.clone().try_into()?;
        let mut am: goal::ActiveModel = row.into();
        am.archived = Set(true);
        let row = am.update(txn).await.map_err(repo_err)?;
        let after: Goal = row.clone().try_into()?;
        record(txn, by, "archiveGoal", "goal", id, Some(state(&before)?), Some(state(&after)?)).await?;
        row
    };
    row.try_into()
}

async fn link_indicator(txn: &DatabaseTransaction, p: &Permit<IndicatorLink>) -> Result<(), RepoError> {
    let (by, IndicatorLink { goal_id, indicator_id, .. }) = (p.author(), *p.command());
    let g = goal_row(txn, goal_id, Some("goal_id")).await?;
    let ind: Indicator = indicator_row(txn, indicator_id, Some("indicator_id")).await?.try_into()?;
    if ind.municipality_id != g.municipality_id {
        return Err(invalid(
            "indicator_id",
            format!("the indicator {indicator_id} belongs to another municipality than the goal {goal_id}"),
        ));
    }
    if g.archived {
        return Err(RepoError::Conflict(format!(
            "goal {goal_id} `{}` is archived and cannot change",
            g.key
        )));
    }
    // An indicator that has targets may only follow up goals of models that allow them.
    let has_targets = target::Entity::find()
        .filter(target::Column::IndicatorId.eq(indicator_id))
        .one(txn)
        .await
        .map_err(repo_err)?
        .is_some();
    if has_targets {
        let model = model_by_id(txn, g.governance_model_id, None).await?;
        validate::check_target_allowed("indicator_id", ind.kind, &model.rules, &model.name)
            .map_err(|f| invalid(&f.field, format!("{} (the indicator has targets)", f.message)))?;
    }
    let inserted = indicator_goal::Entity::insert(indicator_goal::ActiveModel {
        indicator_id: Set(indicator_id),
        goal_id: Set(goal_id),
    })
    .on_conflict(
        OnConflict::columns([indicator_goal::Column::IndicatorId, indicator_goal::Column::GoalId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await
    .map_err(repo_err)?;
    // Linking twice changes nothing and records nothing.
    if inserted > 0 {
        let after = link_state(goal_id, indicator_id);
        record(txn, by, "linkIndicator", "indicator_link", goal_id, None, Some(after)).await?;
    }
    Ok(())
}

async fn unlink_indicator(txn: &DatabaseTransaction, p: &Permit<IndicatorLink>) -> Result<(), RepoError> {
    let (by, IndicatorLink { goal_id, indicator_id, .. }) = (p.author(), *p.command());
    let g = goal_row(txn, goal_id, Some("goal_id")).await?;
    indicator_row(txn, indicator_id, Some("indicator_id")).await?;
    if g.archived {
        return Err(RepoError::Conflict(format!(
            "goal {goal_id} `{}` is archived and cannot change",
            g.key
        )));
    }
    let res = indicator_goal::Entity::delete_many()
        .filter(indicator_goal::Column::GoalId.eq(goal_id))
        .filter(indicator_goal::Column::IndicatorId.eq(indicator_id))
        .exec(txn)
        .await
        .map_err(repo_err)?;
    if res.rows_affected == 0 {
        return Err(RepoError::NotFound(format!(
            "link between goal {goal_id} and indicator {indicator_id}"
        )));
    }
    let before = link_state(goal_id, indicator_id);
    record(txn, by, "unlinkIndicator", "indicator_link", goal_id, Some(before), None).await?;
    Ok(())
}

async fn set_target(txn: &DatabaseTransaction, p: &Permit<&NewTarget>) -> Result<Target, RepoError> {
    let (by, input) = (p.author(), *p.command());
    let ind: Indicator = indicator_row(txn, input.indicator_id, Some("indicator_id")).await?.try_into()?;
    let model_ids: Vec<i64> = goal::Entity::find()
        .select_only()
        .column(goal::Column::GovernanceModelId)
        .distinct()
        .filter(
            goal::Column::Id.in_subquery(
                Query::select()
                    .column(indicator_goal::Column::GoalId)
                    .from(indicator_goal::Entity)
                    .and_where(indicator_goal::Column::IndicatorId.eq(input.indicator_id))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(txn)
        .await
        .map_err(repo_err)?;
    let models: Vec<GovernanceModel> = by_ids(&model_ids, |c| {
        governance_model::Entity::find()
            .filter(governance_model::Column::Id.is_in(c))
            .all(txn)
    })
    .await?;
    validate_target(input, &ind, &models)?;
    let old = target::Entity::find()
        .filter(target::Column::IndicatorId.eq(input.indicator_id))
        .filter(target::Column::AreaCode.eq(input.area.as_str()))
        .filter(target::Column::PeriodFrom.eq(input.period_from))
        .one(txn)
        .await
        .map_err(repo_err)?;
    let (kind, comparison, value, reference) = input.rule.to_parts();
    let row = target::Model {
        id: old.as_ref().map(|o| o.id).unwrap_or_default(),
        indicator_id: input.indicator_id,
        area_code: input.area.to_string(),
        period_from: input.period_from,
        period_to: input.period_to,
        kind: kind.into(),
        comparison: comparison.into(),
        value,
        reference_area: reference.map(str::to_owned),
        note: input.note.clone(),
    };
    let (row, before) = match old {
        Some(o) if o == row => (o, None),
        Some(o) => {
            let before: Target = o.try_into()?;
            let row = target::ActiveModel::from(row).reset_all().update(txn).await.map_err(repo_err)?;
            (row, Some(Some(state(&before)?)))
        }
        None => (insert(txn, target::ActiveModel::from(row).reset_all()).await?, Some(None)),
    };
    let target: Target = row.try_into()?;
    // `None`: unchanged, nothing to record; `Some(None)`: created.
    if let Some(before) = before {
        record(txn, by, "setTarget", "target", target.id, before, Some(state(&target)?)).await?;
        crate::statuses::mark_indicators(txn, &[target.indicator_id]).await?;
        crate::statuses::judge_marked(txn, Utc::now()).await?;
    }
    Ok(target)
}

async fn record_assessment(txn: &DatabaseTransaction, p: &Permit<&NewAssessment>) -> Result<GoalAssessment, RepoError> {
    let (by, input) = (p.author(), *p.command());
    let g: Goal = goal_row(txn, input.goal_id, Some("goal_id")).await?.try_into()?;
    let (report, model) = match input.follow_up {
        FollowUpRef::Id(id) => {
            let row = follow_up_locked(txn, id, Some("follow_up")).await?;
            let model = model_by_id(txn, row.governance_model_id, None).await?;
            (row, model)
        }
        FollowUpRef::Period {
            governance_model_id,
            kind,
            year,
            month,
        } => {
            let model = model_by_id(txn, governance_model_id, Some("governance_model_id")).await?;
            validate_follow_up_period(&model, kind, year, month)?;
            // 0 stands for "not monthly" in the unique index.
            let month = month.map_or(0, |m| m as i32);
            let existing = follow_up::Entity::find()
                .filter(follow_up::Column::GovernanceModelId.eq(governance_model_id))
                .filter(follow_up::Column::Kind.eq(kind.as_str()))
                .filter(follow_up::Column::Year.eq(year))
                .filter(follow_up::Column::Month.eq(month))
                .lock_exclusive()
                .one(txn)
                .await
                .map_err(repo_err)?;
            let row = match existing {
                Some(r) => r,
                None => {
                    let am = follow_up::ActiveModel {
                        id: NotSet,
                        governance_model_id: Set(governance_model_id),
                        kind: Set(kind.as_str().to_owned()),
                        year: Set(year),
                        month: Set(month),
                        approved_at: Set(None),
                        snapshot: Set(None),
                    };
                    let row = am.insert(txn).await.map_err(repo_err)?;
                    let created: FollowUp = row.clone().try_into()?;
                    record(txn, by, "recordAssessment", "follow_up", created.id, None, Some(state(&created)?)).await?;
                    row
                }
            };
            (row, model)
        }
    };
    let fu: FollowUp = report.try_into()?;
    if fu.approved_at.is_some() {
        return Err(RepoError::Conflict(format!(
            "{} is approved and locked; its assessments cannot change",
            describe(&fu, &model)
        )));
    }
    validate_assessment(&g, &fu)?;
    let old = goal_assessment::Entity::find()
        .filter(goal_assessment::Column::FollowUpId.eq(fu.id))
        .filter(goal_assessment::Column::GoalId.eq(g.id))
        .one(txn)
        .await
        .map_err(repo_err)?;
    let row = goal_assessment::Model {
        id: old.as_ref().map(|o| o.id).unwrap_or_default(),
        follow_up_id: fu.id,
        goal_id: g.id,
        assessment: input.assessment.as_str().into(),
        forecast: input.forecast.map(|f| f.as_str().into()),
        analysis: input.analysis.clone(),
    };
    let (row, before) = match old {
        Some(o) if o == row => (o, None),
        Some(o) => {
            let before: GoalAssessment = o.try_into()?;
            let row = goal_assessment::ActiveModel::from(row)
                .reset_all()
                .update(txn)
                .await
                .map_err(repo_err)?;
            (row, Some(Some(state(&before)?)))
        }
        None => (insert(txn, goal_assessment::ActiveModel::from(row).reset_all()).await?, Some(None)),
    };
    let assessed: GoalAssessment = row.try_into()?;
    // `None`: unchanged, nothing to record; `Some(None)`: created.
    if let Some(before) = before {
        record(
            txn,
            by,
            "recordAssessment",
            "goal_assessment",
            assessed.id,
            before,
            Some(state(&assessed)?),
        )
        .await?;
    }
    Ok(assessed)
}

async fn approve_follow_up(txn: &DatabaseTransaction, p: &Permit<FollowUpApproval>) -> Result<FollowUp, RepoError> {
    let (by, FollowUpApproval { id, at }) = (p.author(), *p.command());
    let fu: FollowUp = follow_up_locked(txn, id, None).await?.try_into()?;
    let model = model_by_id(txn, fu.governance_model_id, None).await?;
    if let Some(when) = fu.approved_at {
        return Err(RepoError::Conflict(format!(
            "{} was already approved at {when}",
            describe(&fu, &model)
        )));
    }
    let snapshot = snapshot_of(txn, &fu, &model).await?;
    // The condition makes a second approval that slipped past the check above change nothing.
    let res = follow_up::Entity::update_many()
        .col_expr(follow_up::Column::ApprovedAt, Expr::value(Some(at)))
        .col_expr(follow_up::Column::Snapshot, Expr::value(Some(snapshot)))
        .filter(follow_up::Column::Id.eq(id))
        .filter(follow_up::Column::ApprovedAt.is_null())
        .exec(txn)
        .await
        .map_err(repo_err)?;
    if res.rows_affected != 1 {
        return Err(RepoError::Conflict(format!("{} was already approved", describe(&fu, &model))));
    }
    let row = follow_up::Entity::find_by_id(id)
        .one(txn)
        .await
        .map_err(repo_err)?
        .ok_or_else(|| internal(format!("follow-up {id} vanished while it was approved")))?;
    let approved: FollowUp = row.try_into()?;
    record(
        txn,
        by,
        "approveFollowUp",
        "follow_up",
        id,
        Some(state(&fu)?),
        Some(state(&approved)?),
    )
    .await?;
    Ok(approved)
}

async fn create_assignment(txn: &DatabaseTransaction, p: &Permit<&NewAssignment>) -> Result<Assignment, RepoError> {
    let (by, input) = (p.author(), *p.command());
    let root = municipality(txn, &input.municipality_code).await?;
    let from = org_unit_by_id(txn, input.from_org_unit_id, "from_org_unit_id").await?;
    let to = org_unit_by_id(txn, input.to_org_unit_id, "to_org_unit_id").await?;
    let goal: Option<Goal> = match input.goal_id {
        Some(g) => Some(goal_row(txn, g, Some("goal_id")).await?.try_into()?),
        None => None,
    };
    let taken = assignment_keys(txn, root.id).await?;
    let key = new_key(
        input.key.as_deref(),
        &input.title,
        &taken,
        "an assignment",
        &input.municipality_code,
    )?;
    let draft = input.draft(root.id, key);
    validate_assignment(&draft, &from, &to, goal.as_ref())?;
    let row = insert(txn, assignment::ActiveModel::from(assignment_model(&draft)).reset_all()).await?;
    let created: Assignment = row.try_into()?;
    record(txn, by, "createAssignment", "assignment", created.id, None, Some(state(&created)?)).await?;
    Ok(created)
}

/// Applies the change's patch to its assignment and records it under the change's name: a
/// report and an update are the same write of different fields, audited under their own names.
async fn patch_assignment(txn: &DatabaseTransaction, p: &Permit<AssignmentChange>) -> Result<Assignment, RepoError> {
    let (by, change) = (p.author(), p.command());
    let (id, patch, action) = (change.id, &change.patch, change.name());
    let old: Assignment = assignment::Entity::find_by_id(id)
        .one(txn)
        .await
        .map_err(repo_err)?
        .ok_or_else(|| not_found("assignment", id, None))?
        .try_into()?;
    let new = patch.apply(&old);
    let from = org_unit_by_id(txn, new.from_org_unit_id, "from_org_unit_id").await?;
    let to = org_unit_by_id(txn, new.to_org_unit_id, "to_org_unit_id").await?;
    let goal: Option<Goal> = match new.goal_id {
        Some(g) => Some(goal_row(txn, g, Some("goal_id")).await?.try_into()?),
        None => None,
    };
    validate_assignment(&new, &from, &to, goal.as_ref())?;
    if new == old {
        return Ok(old);
    }
    let row = assignment::ActiveModel::from(assignment_model(&new))
        .reset_all()
        .update(txn)
        .await
        .map_err(repo_err)?;
    let updated: Assignment = row.try_into()?;
    record(txn, by, action, "assignment", id, Some(state(&old)?), Some(state(&updated)?)).await?;
    Ok(updated)
}
