//! Access for the store: API tokens ([`TokenStore`]), the facts the permission check needs
//! ([`AccessReader`]: which organisation units a write touches) and the audit log
//! ([`AuditReader`], and [`record`], which the writers call inside their transactions).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TransactionTrait,
};
use serde::Serialize;
use styrhub_domain::access::{
    AccessReader, Action, ApiToken, AuditEntry, AuditFilter, AuditReader, Author, Facts, Lineage, NewToken, Principal, Role, TokenStore,
};
use styrhub_domain::RepoError;

use crate::db::repo_err;
use crate::entities::{api_token, assignment, audit_entry, follow_up, goal, governance_model, indicator, indicator_goal, org_unit};
use crate::Store;

fn internal(e: impl std::fmt::Display) -> RepoError {
    RepoError::Internal(e.to_string())
}

// ----- The audit log ---------------------------------------------------------------------------

/// A row's state for the audit log: the domain value as JSON.
pub(crate) fn state<T: Serialize>(value: &T) -> Result<serde_json::Value, RepoError> {
    serde_json::to_value(value).map_err(internal)
}

/// Records one change in the caller's transaction, so that the entry commits with the change or
/// not at all. `before` is `None` for a creation, `after` for a removal.
pub(crate) async fn record(
    txn: &impl ConnectionTrait,
    by: &Author,
    action: &str,
    entity: &str,
    entity_id: i64,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), RepoError> {
    audit_entry::ActiveModel {
        id: NotSet,
        at: Set(Utc::now()),
        actor_token_id: Set(by.token_id),
        actor_name: Set(by.name.clone()),
        action: Set(action.to_owned()),
        entity: Set(entity.to_owned()),
        entity_id: Set(entity_id),
        before: Set(before.map(|v| v.to_string())),
        after: Set(after.map(|v| v.to_string())),
    }
    .insert(txn)
    .await
    .map_err(repo_err)?;
    Ok(())
}

fn audit_query(f: &AuditFilter) -> sea_orm::Select<audit_entry::Entity> {
    let mut q = audit_entry::Entity::find();
    if let Some(e) = &f.entity {
        q = q.filter(audit_entry::Column::Entity.eq(e.as_str()));
    }
    if let Some(id) = f.entity_id {
        q = q.filter(audit_entry::Column::EntityId.eq(id));
    }
    if let Some(a) = &f.actor {
        q = q.filter(audit_entry::Column::ActorName.eq(a.as_str()));
    }
    q
}

impl From<audit_entry::Model> for AuditEntry {
    fn from(r: audit_entry::Model) -> Self {
        Self {
            id: r.id,
            at: r.at,
            author: Author {
                token_id: r.actor_token_id,
                name: r.actor_name,
            },
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            before: r.before,
            after: r.after,
        }
    }
}

#[async_trait]
impl AuditReader for Store {
    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, RepoError> {
        let mut q = audit_query(filter);
        if let Some(before) = filter.before_id {
            q = q.filter(audit_entry::Column::Id.lt(before));
        }
        let rows = q
            .order_by_desc(audit_entry::Column::Id)
            .limit(filter.limit)
            .all(self.connection())
            .await
            .map_err(repo_err)?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    async fn audit_count(&self, filter: &AuditFilter) -> Result<u64, RepoError> {
        audit_query(filter).count(self.connection()).await.map_err(repo_err)
    }
}

// ----- Tokens ----------------------------------------------------------------------------------

impl TryFrom<api_token::Model> for ApiToken {
    type Error = RepoError;

    fn try_from(r: api_token::Model) -> Result<Self, RepoError> {
        Ok(Self {
            id: r.id,
            role: Role::parse(&r.role).map_err(internal)?,
            name: r.name,
            scope_unit_id: r.scope_unit_id,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        })
    }
}

/// A token as the audit log keeps it: never its hash.
fn token_state(t: &ApiToken) -> serde_json::Value {
    serde_json::json!({
        "id": t.id,
        "name": t.name,
        "role": t.role,
        "scope_unit_id": t.scope_unit_id,
        "created_at": t.created_at,
        "revoked_at": t.revoked_at,
    })
}

#[async_trait]
impl TokenStore for Store {
    async fn create_token(&self, by: &Author, token: &NewToken) -> Result<ApiToken, RepoError> {
        token.validate()?;
        let txn = self.connection().begin().await.map_err(repo_err)?;
        if let Some(unit) = token.scope_unit_id {
            org_unit::Entity::find_by_id(unit)
                .one(&txn)
                .await
                .map_err(repo_err)?
                .ok_or_else(|| RepoError::NotFound(format!("organisation unit {unit} (scope_unit)")))?;
        }
        let row = api_token::ActiveModel {
            id: NotSet,
            name: Set(token.name.trim().to_owned()),
            role: Set(token.role.as_str().to_owned()),
            scope_unit_id: Set(token.scope_unit_id),
            token_hash: Set(token.hash.clone()),
            created_at: Set(Utc::now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(repo_err)?;
        let created: ApiToken = row.try_into()?;
        record(&txn, by, "createToken", "api_token", created.id, None, Some(token_state(&created))).await?;
        txn.commit().await.map_err(repo_err)?;
        Ok(created)
    }

    async fn tokens(&self) -> Result<Vec<ApiToken>, RepoError> {
        api_token::Entity::find()
            .order_by_asc(api_token::Column::Id)
            .all(self.connection())
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(ApiToken::try_from)
            .collect()
    }

    async fn revoke_token(&self, by: &Author, id: i64, at: DateTime<Utc>) -> Result<ApiToken, RepoError> {
        let txn = self.connection().begin().await.map_err(repo_err)?;
        let before: ApiToken = api_token::Entity::find_by_id(id)
            .one(&txn)
            .await
            .map_err(repo_err)?
            .ok_or_else(|| RepoError::NotFound(format!("token {id}")))?
            .try_into()?;
        if before.revoked_at.is_some() {
            return Ok(before);
        }
        let res = api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(Some(at)))
            .filter(api_token::Column::Id.eq(id))
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(repo_err)?;
        let after = ApiToken {
            revoked_at: Some(at),
            ..before.clone()
        };
        if res.rows_affected == 1 {
            record(
                &txn,
                by,
                "revokeToken",
                "api_token",
                id,
                Some(token_state(&before)),
                Some(token_state(&after)),
            )
            .await?;
        }
        txn.commit().await.map_err(repo_err)?;
        Ok(after)
    }

    async fn principal_by_hash(&self, hash: &str, at: DateTime<Utc>) -> Result<Option<Principal>, RepoError> {
        // Looked up by the hash through a unique index: an attacker who can time the look-up
        // learns about hashes of guesses, not about the secret, so no constant-time comparison
        // is needed.
        let Some(row) = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(hash))
            .one(self.connection())
            .await
            .map_err(repo_err)?
        else {
            return Ok(None);
        };
        if row.revoked_at.is_some() {
            return Ok(None);
        }
        // Noted at most once a minute, so a busy integration does not write on every request.
        if row.last_used_at.is_none_or(|t| at - t > chrono::Duration::minutes(1)) {
            api_token::Entity::update_many()
                .col_expr(api_token::Column::LastUsedAt, sea_orm::sea_query::Expr::value(Some(at)))
                .filter(api_token::Column::Id.eq(row.id))
                .exec(self.connection())
                .await
                .map_err(repo_err)?;
        }
        let t = ApiToken::try_from(row)?;
        Ok(Some(Principal {
            token_id: t.id,
            name: t.name,
            role: t.role,
            scope_unit_id: t.scope_unit_id,
        }))
    }
}

// ----- Facts for the permission check ----------------------------------------------------------

/// The deepest organisation tree walked; a cycle (which the packages refuse) stops here.
const MAX_DEPTH: usize = 64;

impl Store {
    /// `unit` and its ancestors up to the municipality; `None` when the unit does not exist.
    async fn lineage(&self, unit: i64) -> Result<Option<Lineage>, RepoError> {
        let mut chain = Vec::new();
        let mut next = Some(unit);
        while let Some(id) = next {
            if chain.len() >= MAX_DEPTH || chain.contains(&id) {
                break;
            }
            let Some(row) = org_unit::Entity::find_by_id(id).one(self.connection()).await.map_err(repo_err)? else {
                // The unit itself missing touches nothing (the write answers NOT_FOUND); a
                // missing ancestor ends the chain.
                return Ok((!chain.is_empty()).then_some(Lineage(chain)));
            };
            chain.push(row.id);
            next = row.parent_id;
        }
        Ok(Some(Lineage(chain)))
    }

    async fn lineages(&self, units: impl IntoIterator<Item = i64>) -> Result<Facts, RepoError> {
        let mut touched: Vec<Lineage> = Vec::new();
        for u in units {
            if touched.iter().any(|l| l.unit() == Some(u)) {
                continue;
            }
            if let Some(l) = self.lineage(u).await? {
                touched.push(l);
            }
        }
        Ok(Facts { touched })
    }

    async fn goal_owner(&self, id: i64) -> Result<Option<i64>, RepoError> {
        Ok(goal::Entity::find_by_id(id)
            .one(self.connection())
            .await
            .map_err(repo_err)?
            .map(|g| g.owner_id))
    }

    /// An indicator belongs to its owner when it has one, else to the owners of the goals it
    /// follows up (all of them: a target of an indicator the council's goal uses is the
    /// council's), else, followed by nothing, to its municipality.
    async fn indicator_units(&self, id: i64) -> Result<Vec<i64>, RepoError> {
        let Some(ind) = indicator::Entity::find_by_id(id).one(self.connection()).await.map_err(repo_err)? else {
            return Ok(Vec::new());
        };
        if let Some(owner) = ind.owner_id {
            return Ok(vec![owner]);
        }
        let owners: Vec<i64> = goal::Entity::find()
            .select_only()
            .column(goal::Column::OwnerId)
            .distinct()
            .filter(
                goal::Column::Id.in_subquery(
                    Query::select()
                        .column(indicator_goal::Column::GoalId)
                        .from(indicator_goal::Entity)
                        .and_where(indicator_goal::Column::IndicatorId.eq(id))
                        .to_owned(),
                ),
            )
            .into_tuple()
            .all(self.connection())
            .await
            .map_err(repo_err)?;
        Ok(if owners.is_empty() { vec![ind.municipality_id] } else { owners })
    }
}

#[async_trait]
impl AccessReader for Store {
    async fn facts(&self, action: &Action) -> Result<Facts, RepoError> {
        let units: Vec<i64> = match action {
            Action::CreateGoal { owner, .. } => vec![*owner],
            Action::UpdateGoal { goal, new_owner } => self.goal_owner(*goal).await?.into_iter().chain(*new_owner).collect(),
            Action::ArchiveGoal(goal) | Action::RecordAssessment(goal) | Action::LinkIndicator { goal, .. } => {
                // A link belongs to the goal: linking an indicator to one's own goal changes
                // nothing of the indicator.
                self.goal_owner(*goal).await?.into_iter().collect()
            }
            Action::SetTarget(indicator) => self.indicator_units(*indicator).await?,
            Action::ApproveFollowUp(id) => {
                // Approving a report is the municipality's decision: its root unit.
                let Some(fu) = follow_up::Entity::find_by_id(*id).one(self.connection()).await.map_err(repo_err)? else {
                    return Ok(Facts::default());
                };
                governance_model::Entity::find_by_id(fu.governance_model_id)
                    .one(self.connection())
                    .await
                    .map_err(repo_err)?
                    .map(|m| m.municipality_id)
                    .into_iter()
                    .collect()
            }
            // An assignment belongs to the unit that gives it.
            Action::CreateAssignment { from, .. } => vec![*from],
            Action::UpdateAssignment { assignment, new_from } => assignment::Entity::find_by_id(*assignment)
                .one(self.connection())
                .await
                .map_err(repo_err)?
                .map(|a| a.from_org_unit_id)
                .into_iter()
                .chain(*new_from)
                .collect(),
            // A report is the receiving unit's: the unit that carries the assignment out.
            Action::ReportAssignment(id) => assignment::Entity::find_by_id(*id)
                .one(self.connection())
                .await
                .map_err(repo_err)?
                .map(|a| a.to_org_unit_id)
                .into_iter()
                .collect(),
        };
        self.lineages(units).await
    }
}
