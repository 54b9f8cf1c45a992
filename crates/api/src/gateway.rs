//! The one door every write goes through.
//!
//! [`Gateway::writer`] binds the governance writer to who writes ([`Actor`]). The permission
//! check itself is the first step of each write's transaction, in the store: the facts it needs
//! are read and locked there, and the code that writes takes the permit of its own command (see
//! `styrhub_domain::access::Permit`), so a write can only do what was checked, on the ids that
//! were checked, under the author that was checked. Nothing else in the API holds the raw
//! writer: a future write (an ingest triggered over the API, say) goes through here too.
//!
//! The gateway refuses at once what the role alone refuses (no token, a reader's token), without
//! opening a transaction, logs every write and every refusal, and counts what its writers commit
//! ([`Commits`]): a command that returned `Ok` moves the count on, a refused or rejected one does
//! not. Kept answers (`answer_cache`) are made at one count and served only while it holds, so
//! every committed write forgets them, whichever mutation made it, and nobody can flush them by
//! sending a mutation that is then refused.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use styrhub_domain::access::{decided_by_role, Command};
pub use styrhub_domain::access::{Action, Actor};
use styrhub_domain::area_group::{AreaGroup, GroupDefinition};
use styrhub_domain::assignment::Assignment;
pub use styrhub_domain::commands::WriteError;
use styrhub_domain::commands::{
    AssignmentChange, AssignmentPatch, AssignmentReport, FollowUpApproval, GoalArchival, GoalPatch, GoalUpdate, GovernanceWriter,
    IndicatorLink, NewAssessment, NewAssignment, NewGoal, NewTarget, Written,
};
use styrhub_domain::follow_up::{FollowUp, GoalAssessment};
use styrhub_domain::goal::Goal;
use styrhub_domain::target::Target;
use styrhub_domain::RepoError;

/// How many writes the gateway's writers have committed in this process, and when each token
/// last wrote. Whatever was read at one count may be stale at the next; ingests in other
/// processes are not counted (nothing here can hear them).
#[derive(Debug, Default)]
pub struct Commits {
    count: AtomicU64,
    /// When each token last committed: its reads go to the primary for a while after (see
    /// `app::Ports::reads_for`), so that it reads its own writes past the replicas' lag.
    last_by_token: Mutex<HashMap<i64, Instant>>,
}

/// Tokens remembered at most before the oldest are forgotten; and the age past which they may be.
const TOKENS_REMEMBERED: usize = 1024;
const REMEMBERED_FOR: Duration = Duration::from_secs(3600);

impl Commits {
    /// The writes committed so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Acquire)
    }

    /// One more write committed, by `token_id` when a token wrote it.
    pub(crate) fn committed(&self, token_id: Option<i64>) {
        self.count.fetch_add(1, Ordering::AcqRel);
        if let Some(token_id) = token_id {
            let now = Instant::now();
            let mut last = self.last_by_token.lock().unwrap_or_else(|p| p.into_inner());
            if last.len() >= TOKENS_REMEMBERED {
                last.retain(|_, at| now.duration_since(*at) < REMEMBERED_FOR);
            }
            last.insert(token_id, now);
        }
    }

    /// Whether `token_id` committed a write in this process within the last `window`.
    pub fn wrote_within(&self, token_id: i64, window: Duration) -> bool {
        let last = self.last_by_token.lock().unwrap_or_else(|p| p.into_inner());
        last.get(&token_id).is_some_and(|at| at.elapsed() < window)
    }
}

/// Hands out the writer, bound to who writes.
#[derive(Clone)]
pub struct Gateway {
    writer: Arc<dyn GovernanceWriter>,
    commits: Arc<Commits>,
}

impl Gateway {
    /// A gateway over `writer`.
    pub fn new(writer: Arc<dyn GovernanceWriter>) -> Self {
        Self {
            writer,
            commits: Arc::default(),
        }
    }

    /// The count of writes this gateway's writers committed, shared with whoever keeps answers.
    pub fn commits(&self) -> Arc<Commits> {
        self.commits.clone()
    }

    /// The writer for `actor`: each of its commands is checked for `actor` in its own transaction.
    pub fn writer<'a>(&'a self, actor: &'a Actor) -> Writer<'a> {
        Writer {
            inner: self.writer.as_ref(),
            actor,
            commits: &self.commits,
        }
    }
}

/// The governance writer bound to an actor: the same commands as [`GovernanceWriter`], each
/// checked and audited for that actor, logged, and counted in [`Commits`] when it committed.
pub struct Writer<'a> {
    inner: &'a dyn GovernanceWriter,
    actor: &'a Actor,
    commits: &'a Commits,
}

impl Writer<'_> {
    /// Runs `write`, which does `action`: refused at once when the role alone refuses it, else
    /// judged by the store inside the write's transaction. Logs the outcome and counts a commit.
    ///
    /// `Ok` means the command committed; a refusal, invalid input, a missing row or a conflict
    /// mean it rolled back. A lost database (`Unavailable`, `Internal`) leaves it unknown whether
    /// the commit landed, and is counted: forgetting kept answers for nothing costs one read
    /// each, keeping a stale one costs a wrong answer.
    async fn run<T>(&self, action: Action, write: impl Future<Output = Result<T, WriteError>>) -> Result<T, WriteError> {
        let token_id = self.actor.principal().map(|p| p.token_id);
        let r = match decided_by_role(self.actor, &action) {
            Some(Err(denied)) => Err(denied.into()),
            _ => write.await,
        };
        let may_have_committed = match &r {
            Ok(_) => {
                tracing::info!(token_id = ?token_id, action = action.name(), target = ?action, "write");
                true
            }
            Err(WriteError::Denied(denied)) => {
                tracing::info!(token_id = ?token_id, action = action.name(), reason = %denied, "write refused");
                false
            }
            Err(WriteError::Repo(e)) => !matches!(e, RepoError::Invalid(_) | RepoError::NotFound(_) | RepoError::Conflict(_)),
        };
        if may_have_committed {
            self.commits.committed(token_id);
        }
        r
    }

    /// See [`GovernanceWriter::create_goal`].
    pub async fn create_goal(&self, input: &NewGoal) -> Result<Written<Goal>, WriteError> {
        self.run(input.action(), self.inner.create_goal(self.actor, input)).await
    }
    /// See [`GovernanceWriter::update_goal`].
    pub async fn update_goal(&self, id: i64, patch: &GoalPatch) -> Result<Written<Goal>, WriteError> {
        self.run(GoalUpdate { id, patch }.action(), self.inner.update_goal(self.actor, id, patch))
            .await
    }
    /// See [`GovernanceWriter::archive_goal`].
    pub async fn archive_goal(&self, id: i64) -> Result<Goal, WriteError> {
        self.run(GoalArchival(id).action(), self.inner.archive_goal(self.actor, id)).await
    }
    /// See [`GovernanceWriter::link_indicator`].
    pub async fn link_indicator(&self, goal_id: i64, indicator_id: i64) -> Result<(), WriteError> {
        let action = IndicatorLink {
            goal_id,
            indicator_id,
            unlink: false,
        }
        .action();
        self.run(action, self.inner.link_indicator(self.actor, goal_id, indicator_id)).await
    }
    /// See [`GovernanceWriter::unlink_indicator`].
    pub async fn unlink_indicator(&self, goal_id: i64, indicator_id: i64) -> Result<(), WriteError> {
        let action = IndicatorLink {
            goal_id,
            indicator_id,
            unlink: true,
        }
        .action();
        self.run(action, self.inner.unlink_indicator(self.actor, goal_id, indicator_id))
            .await
    }
    /// See [`GovernanceWriter::set_target`].
    pub async fn set_target(&self, input: &NewTarget) -> Result<Target, WriteError> {
        self.run(input.action(), self.inner.set_target(self.actor, input)).await
    }
    /// See [`GovernanceWriter::record_assessment`].
    pub async fn record_assessment(&self, input: &NewAssessment) -> Result<GoalAssessment, WriteError> {
        self.run(input.action(), self.inner.record_assessment(self.actor, input)).await
    }
    /// See [`GovernanceWriter::approve_follow_up`].
    pub async fn approve_follow_up(&self, id: i64, at: DateTime<Utc>) -> Result<FollowUp, WriteError> {
        self.run(
            FollowUpApproval { id, at }.action(),
            self.inner.approve_follow_up(self.actor, id, at),
        )
        .await
    }
    /// See [`GovernanceWriter::create_assignment`].
    pub async fn create_assignment(&self, input: &NewAssignment) -> Result<Assignment, WriteError> {
        self.run(input.action(), self.inner.create_assignment(self.actor, input)).await
    }
    /// See [`GovernanceWriter::update_assignment`].
    pub async fn update_assignment(&self, id: i64, patch: &AssignmentPatch) -> Result<Assignment, WriteError> {
        let action = AssignmentChange::update(id, patch).action();
        self.run(action, self.inner.update_assignment(self.actor, id, patch)).await
    }
    /// See [`GovernanceWriter::report_assignment`].
    pub async fn report_assignment(&self, id: i64, report: &AssignmentReport) -> Result<Assignment, WriteError> {
        let action = AssignmentChange::report(id, report).action();
        self.run(action, self.inner.report_assignment(self.actor, id, report)).await
    }
    /// See [`GovernanceWriter::save_group`].
    pub async fn save_group(&self, group: &GroupDefinition) -> Result<AreaGroup, WriteError> {
        self.run(group.action(), self.inner.save_group(self.actor, group)).await
    }
}
