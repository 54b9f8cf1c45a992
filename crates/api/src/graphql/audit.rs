//! The audit log: every change, who made it, when, and the row before and after. Admins only.
//!
//! The log only grows, so its pages are cut in the database (newest first, keyed by entry id)
//! rather than in memory as the other connections are.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result, SimpleObject};
use styrhub_domain::access::{may_read_audit, Actor, AuditEntry as DomainEntry, AuditFilter};
use styrhub_domain::{DomainError, RepoError};

use crate::error::{gql, gql_denied};
use crate::graphql::context::ports;
use crate::graphql::page::{PageCap, PageTotals, DEFAULT_PAGE, MAX_PAGE};

/// Who made a change.
#[derive(SimpleObject)]
pub struct AuditActor {
    /// The API token's id; null for writes outside the API (the command line).
    pub token_id: Option<i64>,
    /// The token's name as it was then, or `cli` for the command line.
    pub name: String,
}

/// One recorded change.
pub struct AuditEntry(pub DomainEntry);

/// One recorded change: who, when, what, and the row before and after.
#[Object]
impl AuditEntry {
    /// Entry id; later changes have larger ids.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// When the change was made (RFC 3339).
    async fn at(&self) -> String {
        self.0.at.to_rfc3339()
    }
    /// Who made it.
    async fn actor(&self) -> AuditActor {
        AuditActor {
            token_id: self.0.author.token_id,
            name: self.0.author.name.clone(),
        }
    }
    /// The action: the mutation's name (`updateGoal`, `setTarget` …) or the command's
    /// (`createToken`, `revokeToken`).
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// What kind of row changed: goal, indicator_link (id: the goal's), target,
    /// goal_assessment, follow_up, assignment, api_token.
    async fn entity(&self) -> &str {
        &self.0.entity
    }
    /// Which row.
    async fn entity_id(&self) -> i64 {
        self.0.entity_id
    }
    /// The row before the change, as JSON text; null when the change created it.
    async fn before(&self) -> Option<&str> {
        self.0.before.as_deref()
    }
    /// The row after the change, as JSON text; null when the change removed it.
    async fn after(&self) -> Option<&str> {
        self.0.after.as_deref()
    }
}

/// The audit log.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Every change, newest first: admins only (UNAUTHENTICATED without a token, FORBIDDEN for
    /// other roles).
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many entries (0 to the page cap, 1000 by default; 100 when left out).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the entry the page starts after.")] after: Option<String>,
        #[graphql(desc = "Only changes of this kind of row, e.g. goal or target.")] entity: Option<String>,
        #[graphql(desc = "Only changes of this row (with entity).")] entity_id: Option<i64>,
        #[graphql(desc = "Only changes by this actor: a token's name, or cli.")] actor: Option<String>,
    ) -> Result<Connection<String, AuditEntry, PageTotals>> {
        may_read_audit(ctx.data_opt::<Actor>().unwrap_or(&Actor::Anonymous)).map_err(gql_denied)?;
        let invalid = |field: &str, message: String| gql(RepoError::Invalid(DomainError::new(field, message)));
        // The same cap as every other list (`--max-page-size`).
        let max = ctx.data_opt::<PageCap>().map_or(MAX_PAGE, |c| c.0);
        let limit = match first {
            None => DEFAULT_PAGE.min(max),
            Some(n) if n >= 0 && n as usize <= max => n as usize,
            Some(n) => return Err(invalid("first", format!("{n} is not a page size between 0 and {max}"))),
        };
        let before_id = after
            .map(|c| {
                c.parse::<i64>()
                    .map_err(|_| invalid("after", format!("`{c}` is not a cursor of this list")))
            })
            .transpose()?;
        let mut filter = AuditFilter {
            entity,
            entity_id,
            actor,
            before_id,
            // One more than the page, to know whether there is a next page.
            limit: limit as u64 + 1,
        };
        let audit = &ports(ctx).audit;
        let mut entries = audit.audit_entries(&filter).await.map_err(gql)?;
        let has_next = entries.len() > limit;
        entries.truncate(limit);
        filter.before_id = None;
        let total = audit.audit_count(&filter).await.map_err(gql)? as usize;
        let mut page = Connection::with_additional_fields(before_id.is_some(), has_next, PageTotals { total_count: total });
        page.edges
            .extend(entries.into_iter().map(|e| Edge::new(e.id.to_string(), AuditEntry(e))));
        Ok(page)
    }
}
