//! Access for the store: API tokens ([`TokenStore`]) and the audit log ([`AuditReader`], and
//! [`record`], which the writers call inside their transactions). The permission check of a
//! write is in `permit`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::Serialize;
use styrhub_domain::access::{ApiToken, AuditEntry, AuditFilter, AuditReader, Author, NewToken, Principal, Role, TokenStore};
use styrhub_domain::RepoError;

use crate::db::repo_err;
use crate::entities::{api_token, audit_entry, org_unit};
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
        let txn = crate::db::begin_write(self.connection()).await?;
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
        let txn = crate::db::begin_write(self.connection()).await?;
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
