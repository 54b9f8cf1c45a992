//! The permission check of a governance write, as the first step of its transaction.
//!
//! [`begin_write`] opens the transaction; [`permit`] reads the facts the rule needs (which
//! organisation units the command touches, each with its ancestors) inside it and asks the
//! domain's [`authorize`]. What it read stays as it was until the commit:
//!
//! - on PostgreSQL the rows are locked: the row the command changes (a goal, an indicator, a
//!   follow-up, an assignment) `FOR NO KEY UPDATE`, which is the lock the command's own
//!   `UPDATE` takes anyway and does not block foreign-key checks; the rows it only reads (the
//!   units of a lineage, the goals an indicator follows up) `FOR SHARE`. A goal moved to another
//!   owner by a transaction still running makes the check wait for it and then judge the new
//!   owner. Locks are taken indicator before goal, so that two writes never wait for each other.
//! - on SQLite the transaction begins `IMMEDIATE`, taking the one write lock before the first
//!   read: no other write commits between the check and this write's commit.

use sea_orm::sea_query::{LockType, Query};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use styrhub_domain::access::{authorize, decided_by_role, Action, Actor, Command, Facts, Lineage, Permit};
use styrhub_domain::commands::WriteError;
use styrhub_domain::RepoError;

use crate::db::repo_err;
use crate::entities::{assignment, follow_up, goal, governance_model, indicator, indicator_goal, org_unit};
use crate::Store;

/// The deepest organisation tree walked; a cycle (which the packages refuse) stops here.
const MAX_DEPTH: usize = 64;

/// Opens a governance write's transaction: on SQLite with the write lock taken at once.
pub(crate) async fn begin_write(store: &Store) -> Result<DatabaseTransaction, RepoError> {
    crate::db::begin_write(store.connection()).await
}

/// The leave for `actor` to perform `command`, judged on facts read (and locked) in `txn`.
/// Anonymous callers, readers and admins are judged by their role alone, without a read.
pub(crate) async fn permit<C: Command>(txn: &DatabaseTransaction, actor: &Actor, command: C) -> Result<Permit<C>, WriteError> {
    let action = command.action();
    let facts = match decided_by_role(actor, &action) {
        Some(_) => Facts::default(),
        None => facts(txn, &action).await?,
    };
    Ok(authorize(actor, command, &facts)?)
}

/// The units `action` touches, each with its ancestors. Something that does not exist touches
/// nothing: the write then answers NOT_FOUND itself.
async fn facts(txn: &DatabaseTransaction, action: &Action) -> Result<Facts, RepoError> {
    let units: Vec<i64> = match action {
        Action::CreateGoal { owner, .. } => vec![*owner],
        Action::UpdateGoal { goal, new_owner } => goal_owner(txn, *goal).await?.into_iter().chain(*new_owner).collect(),
        Action::ArchiveGoal(goal) | Action::RecordAssessment(goal) => goal_owner(txn, *goal).await?.into_iter().collect(),
        Action::LinkIndicator { goal, indicator } | Action::UnlinkIndicator { goal, indicator } => {
            // A link belongs to the goal: linking an indicator to one's own goal changes nothing
            // of the indicator. The indicator is locked first (the order every write keeps), so
            // that its targets' check, which reads its goals, waits for the link.
            indicator::Entity::find_by_id(*indicator)
                .lock(LockType::Share)
                .one(txn)
                .await
                .map_err(repo_err)?;
            goal_owner(txn, *goal).await?.into_iter().collect()
        }
        Action::SetTarget(indicator) => indicator_units(txn, *indicator).await?,
        Action::ApproveFollowUp(id) => {
            // Approving a report is the municipality's decision: its root unit.
            let found = follow_up::Entity::find_by_id(*id)
                .lock(LockType::NoKeyUpdate)
                .one(txn)
                .await
                .map_err(repo_err)?;
            let Some(fu) = found else { return Ok(Facts::default()) };
            governance_model::Entity::find_by_id(fu.governance_model_id)
                .one(txn)
                .await
                .map_err(repo_err)?
                .map(|m| m.municipality_id)
                .into_iter()
                .collect()
        }
        // An assignment belongs to the unit that gives it.
        Action::CreateAssignment { from, .. } => vec![*from],
        Action::UpdateAssignment { assignment, new_from } => assignment_row(txn, *assignment)
            .await?
            .map(|a| a.from_org_unit_id)
            .into_iter()
            .chain(*new_from)
            .collect(),
        // A report is the receiving unit's: the unit that carries the assignment out.
        Action::ReportAssignment(id) => assignment_row(txn, *id).await?.map(|a| a.to_org_unit_id).into_iter().collect(),
        // A municipality's own group is the municipality's: its root unit.
        Action::SaveGroup { municipality } => org_unit::Entity::find()
            .filter(org_unit::Column::MunicipalityCode.eq(municipality.as_str()))
            .lock(LockType::Share)
            .one(txn)
            .await
            .map_err(repo_err)?
            .map(|u| u.id)
            .into_iter()
            .collect(),
    };
    lineages(txn, units).await
}

async fn goal_owner(txn: &DatabaseTransaction, id: i64) -> Result<Option<i64>, RepoError> {
    Ok(goal::Entity::find_by_id(id)
        .lock(LockType::NoKeyUpdate)
        .one(txn)
        .await
        .map_err(repo_err)?
        .map(|g| g.owner_id))
}

async fn assignment_row(txn: &DatabaseTransaction, id: i64) -> Result<Option<assignment::Model>, RepoError> {
    assignment::Entity::find_by_id(id)
        .lock(LockType::NoKeyUpdate)
        .one(txn)
        .await
        .map_err(repo_err)
}

/// An indicator belongs to its owner when it has one, else to the owners of the goals it
/// follows up (all of them: a target of an indicator the council's goal uses is the
/// council's), else, followed by nothing, to its municipality.
async fn indicator_units(txn: &DatabaseTransaction, id: i64) -> Result<Vec<i64>, RepoError> {
    let found = indicator::Entity::find_by_id(id)
        .lock(LockType::NoKeyUpdate)
        .one(txn)
        .await
        .map_err(repo_err)?;
    let Some(ind) = found else { return Ok(Vec::new()) };
    if let Some(owner) = ind.owner_id {
        return Ok(vec![owner]);
    }
    let goals: Vec<goal::Model> = goal::Entity::find()
        .filter(
            goal::Column::Id.in_subquery(
                Query::select()
                    .column(indicator_goal::Column::GoalId)
                    .from(indicator_goal::Entity)
                    .and_where(indicator_goal::Column::IndicatorId.eq(id))
                    .to_owned(),
            ),
        )
        .lock(LockType::Share)
        .all(txn)
        .await
        .map_err(repo_err)?;
    let mut owners: Vec<i64> = goals.iter().map(|g| g.owner_id).collect();
    owners.sort_unstable();
    owners.dedup();
    Ok(if owners.is_empty() { vec![ind.municipality_id] } else { owners })
}

/// `unit` and its ancestors up to the municipality; `None` when the unit does not exist.
async fn lineage(txn: &DatabaseTransaction, unit: i64) -> Result<Option<Lineage>, RepoError> {
    let mut chain = Vec::new();
    let mut next = Some(unit);
    while let Some(id) = next {
        if chain.len() >= MAX_DEPTH || chain.contains(&id) {
            break;
        }
        let found = org_unit::Entity::find_by_id(id)
            .lock(LockType::Share)
            .one(txn)
            .await
            .map_err(repo_err)?;
        let Some(row) = found else {
            // The unit itself missing touches nothing (the write answers NOT_FOUND); a missing
            // ancestor ends the chain.
            return Ok((!chain.is_empty()).then_some(Lineage(chain)));
        };
        chain.push(row.id);
        next = row.parent_id;
    }
    Ok(Some(Lineage(chain)))
}

async fn lineages(txn: &DatabaseTransaction, units: impl IntoIterator<Item = i64>) -> Result<Facts, RepoError> {
    let mut touched: Vec<Lineage> = Vec::new();
    for u in units {
        if touched.iter().any(|l| l.unit() == Some(u)) {
            continue;
        }
        if let Some(l) = lineage(txn, u).await? {
            touched.push(l);
        }
    }
    Ok(Facts { touched })
}
