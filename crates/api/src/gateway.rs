//! The one door every write goes through. Permissions come in a later issue: the check will
//! slot into [`Gateway::writer`], and every mutation already asks it for the writer, naming
//! who writes and what.

use std::sync::Arc;

use styrhub_domain::commands::GovernanceWriter;
use styrhub_domain::RepoError;

/// Who is writing. Until authentication arrives every caller is anonymous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A caller without credentials.
    Anonymous,
}

/// What a write does and to what, for the permission check and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create a goal in a municipality (by code).
    CreateGoal(String),
    /// Change a goal.
    UpdateGoal(i64),
    /// Archive a goal.
    ArchiveGoal(i64),
    /// Link an indicator to a goal, or unlink it.
    LinkIndicator { goal: i64, indicator: i64 },
    /// Set a target of an indicator.
    SetTarget(i64),
    /// Record a goal's assessment in a follow-up.
    RecordAssessment(i64),
    /// Approve a follow-up.
    ApproveFollowUp(i64),
    /// Create an assignment in a municipality (by code).
    CreateAssignment(String),
    /// Change an assignment.
    UpdateAssignment(i64),
}

/// Hands out the writer once a write is allowed.
#[derive(Clone)]
pub struct Gateway {
    writer: Arc<dyn GovernanceWriter>,
}

impl Gateway {
    /// A gateway over `writer`.
    pub fn new(writer: Arc<dyn GovernanceWriter>) -> Self {
        Self { writer }
    }

    /// The writer, for `actor` to do `action`. Every write is logged here, once.
    pub fn writer(&self, actor: &Actor, action: &Action) -> Result<&dyn GovernanceWriter, RepoError> {
        // The permission check goes here: until then every actor may do everything.
        tracing::info!(actor = ?actor, action = ?action, "write");
        Ok(self.writer.as_ref())
    }
}
