//! The one door every write goes through, and the one permission check.
//!
//! [`Gateway::writer`] takes who writes ([`Actor`]) and what ([`Action`]), reads the facts the
//! rule needs (which organisation units the action touches) through the
//! [`AccessReader`] port, asks the domain's pure rule [`may`], and only then hands out a
//! [`Writer`]: the governance writer bound to the author, so that every change it makes is
//! audited under the actor who was checked. Nothing else in the API holds the raw writer: a
//! future write (an ingest triggered over the API, say) gets its writer here too.
//!
//! The gateway also counts what its writers commit ([`Commits`]): a command that returned `Ok`
//! moves the count on, a refused or rejected one does not. Kept answers (`answer_cache`) are made
//! at one count and served only while it holds, so every committed write forgets them, whichever
//! mutation made it, and nobody can flush them by sending a mutation that is then refused.
//!
//! The facts are read before the write's transaction begins: a goal whose owner an admin
//! changes in between is judged by its previous owner. Owners change rarely and only by
//! writers who are themselves checked, which is why the check is not inside the transaction.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use styrhub_domain::access::{decided_by_role, may, AccessReader, Author, Denied};
pub use styrhub_domain::access::{Action, Actor};
use styrhub_domain::assignment::Assignment;
use styrhub_domain::commands::{
    AssignmentPatch, AssignmentReport, GoalPatch, GovernanceWriter, NewAssessment, NewAssignment, NewGoal, NewTarget, Written,
};
use styrhub_domain::follow_up::{FollowUp, GoalAssessment};
use styrhub_domain::goal::Goal;
use styrhub_domain::target::Target;
use styrhub_domain::RepoError;

/// Why the gateway refused or failed: the caller may not, or the facts could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The rule said no.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The facts could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// How many writes the gateway's writers have committed in this process. Whatever was read at
/// one count may be stale at the next; ingests in other processes are not counted (nothing here
/// can hear them).
#[derive(Debug, Default)]
pub struct Commits(AtomicU64);

impl Commits {
    /// The writes committed so far.
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// One more write committed.
    pub(crate) fn committed(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// Hands out the writer once a write is allowed.
#[derive(Clone)]
pub struct Gateway {
    writer: Arc<dyn GovernanceWriter>,
    facts: Arc<dyn AccessReader>,
    commits: Arc<Commits>,
}

impl Gateway {
    /// A gateway over `writer`, reading the facts of its checks from `facts`.
    pub fn new(writer: Arc<dyn GovernanceWriter>, facts: Arc<dyn AccessReader>) -> Self {
        Self {
            writer,
            facts,
            commits: Arc::default(),
        }
    }

    /// The count of writes this gateway's writers committed, shared with whoever keeps answers.
    pub fn commits(&self) -> Arc<Commits> {
        self.commits.clone()
    }

    /// The writer, for `actor` to do `action`, or why not. Every write is logged here, once,
    /// and every refusal too.
    pub async fn writer(&self, actor: &Actor, action: &Action) -> Result<Writer<'_>, AccessError> {
        let answer = match decided_by_role(actor, action) {
            Some(answer) => answer,
            None => may(actor, action, &self.facts.facts(action).await?),
        };
        let principal = actor.principal();
        let token_id = principal.map(|p| p.token_id);
        if let Err(denied) = answer {
            tracing::info!(token_id = ?token_id, action = action.name(), reason = %denied, "write refused");
            return Err(denied.into());
        }
        let Some(p) = principal else {
            // The rule refuses anonymous writers; this keeps the audit log honest if it ever did not.
            return Err(Denied::Unauthenticated.into());
        };
        tracing::info!(token_id = p.token_id, token_name = %p.name, action = action.name(), target = ?action, "write");
        Ok(Writer {
            inner: self.writer.as_ref(),
            by: Author::of(p),
            commits: &self.commits,
        })
    }
}

/// The governance writer bound to the author the gateway checked: the same commands as
/// [`GovernanceWriter`], each audited under that author, and each counted in [`Commits`] when
/// it committed.
pub struct Writer<'a> {
    inner: &'a dyn GovernanceWriter,
    by: Author,
    commits: &'a Commits,
}

impl Writer<'_> {
    /// Counts `r` when its command may have committed. Every command is one transaction in the
    /// store: `Ok` means it committed; invalid input, a missing row or a conflict mean it rolled
    /// back. A lost database (`Unavailable`, `Internal`) leaves it unknown whether the commit
    /// landed, and is counted: forgetting kept answers for nothing costs one read each, keeping
    /// a stale one costs a wrong answer.
    fn counted<T>(&self, r: Result<T, RepoError>) -> Result<T, RepoError> {
        let rolled_back = matches!(r, Err(RepoError::Invalid(_) | RepoError::NotFound(_) | RepoError::Conflict(_)));
        if !rolled_back {
            self.commits.committed();
        }
        r
    }

    /// See [`GovernanceWriter::create_goal`].
    pub async fn create_goal(&self, input: &NewGoal) -> Result<Written<Goal>, RepoError> {
        self.counted(self.inner.create_goal(&self.by, input).await)
    }
    /// See [`GovernanceWriter::update_goal`].
    pub async fn update_goal(&self, id: i64, patch: &GoalPatch) -> Result<Written<Goal>, RepoError> {
        self.counted(self.inner.update_goal(&self.by, id, patch).await)
    }
    /// See [`GovernanceWriter::archive_goal`].
    pub async fn archive_goal(&self, id: i64) -> Result<Goal, RepoError> {
        self.counted(self.inner.archive_goal(&self.by, id).await)
    }
    /// See [`GovernanceWriter::link_indicator`].
    pub async fn link_indicator(&self, goal_id: i64, indicator_id: i64) -> Result<(), RepoError> {
        self.counted(self.inner.link_indicator(&self.by, goal_id, indicator_id).await)
    }
    /// See [`GovernanceWriter::unlink_indicator`].
    pub async fn unlink_indicator(&self, goal_id: i64, indicator_id: i64) -> Result<(), RepoError> {
        self.counted(self.inner.unlink_indicator(&self.by, goal_id, indicator_id).await)
    }
    /// See [`GovernanceWriter::set_target`].
    pub async fn set_target(&self, input: &NewTarget) -> Result<Target, RepoError> {
        self.counted(self.inner.set_target(&self.by, input).await)
    }
    /// See [`GovernanceWriter::record_assessment`].
    pub async fn record_assessment(&self, input: &NewAssessment) -> Result<GoalAssessment, RepoError> {
        self.counted(self.inner.record_assessment(&self.by, input).await)
    }
    /// See [`GovernanceWriter::approve_follow_up`].
    pub async fn approve_follow_up(&self, id: i64, at: DateTime<Utc>) -> Result<FollowUp, RepoError> {
        self.counted(self.inner.approve_follow_up(&self.by, id, at).await)
    }
    /// See [`GovernanceWriter::create_assignment`].
    pub async fn create_assignment(&self, input: &NewAssignment) -> Result<Assignment, RepoError> {
        self.counted(self.inner.create_assignment(&self.by, input).await)
    }
    /// See [`GovernanceWriter::update_assignment`].
    pub async fn update_assignment(&self, id: i64, patch: &AssignmentPatch) -> Result<Assignment, RepoError> {
        self.counted(self.inner.update_assignment(&self.by, id, patch).await)
    }
    /// See [`GovernanceWriter::report_assignment`].
    pub async fn report_assignment(&self, id: i64, report: &AssignmentReport) -> Result<Assignment, RepoError> {
        self.counted(self.inner.report_assignment(&self.by, id, report).await)
    }
}
