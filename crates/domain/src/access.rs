//! Access: who may write what, and the audit log of what was written.
//!
//! Reads are open data; writes need an API token. A token has a [`Role`]: readers write
//! nothing, admins everything, and an editor is scoped to one organisation unit and may change
//! what belongs to that unit or to a unit below it (a committee's editor changes the
//! committee's goals and targets, never the council's). The rule is [`may`], a pure function of
//! the actor, the action and the [`Facts`] about the units the action touches.
//!
//! The rule is asked inside the write's transaction, never before it: the writer reads the
//! facts there (locking what it read until the commit) and [`authorize`]s the command, which
//! gives a [`Permit`] for that command and no other. The writer's code that changes rows takes
//! the permit, so it writes the ids that were checked, under the author that was checked: a
//! [`Command`] names its own [`Action`], so the two cannot disagree.
//!
//! Every change is recorded as an [`AuditEntry`] by the writer, in the transaction of the
//! change, naming its [`Author`].

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, RepoError};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads, also when reads need a token; writes nothing.
    Reader,
    /// Writes what belongs to its scope unit or a unit below it.
    Editor,
    /// Writes everything and reads the audit log.
    Admin,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 3] = [Self::Reader, Self::Editor, Self::Admin];

    /// The snake_case name used on the command line and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| DomainError::new("role", format!("`{s}` is not a role (reader, editor or admin)")))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The holder of a valid (known, not revoked) token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's id.
    pub token_id: i64,
    /// The token's name, e.g. "BI-export" or "Anna, socialnämnden".
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The unit an editor is scoped to; `None` for readers and admins.
    pub scope_unit_id: Option<i64>,
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A caller without a token.
    Anonymous,
    /// A caller with a valid token.
    Token(Principal),
}

impl Actor {
    /// The principal, when there is one.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Self::Anonymous => None,
            Self::Token(p) => Some(p),
        }
    }
}

/// What a write does and to what: for the permission check and the audit log. Ids are the
/// ones the command names; the gateway resolves which organisation units they belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create a goal owned by `owner` in a municipality (by code).
    CreateGoal {
        /// The municipality code.
        municipality: String,
        /// The owning unit of the new goal.
        owner: i64,
    },
    /// Change a goal; `new_owner` when the change moves it to another unit.
    UpdateGoal {
        /// The goal.
        goal: i64,
        /// The owner it moves to, if any.
        new_owner: Option<i64>,
    },
    /// Archive a goal.
    ArchiveGoal(i64),
    /// Link an indicator to a goal.
    LinkIndicator {
        /// The goal.
        goal: i64,
        /// The indicator.
        indicator: i64,
    },
    /// Remove an indicator's link to a goal.
    UnlinkIndicator {
        /// The goal.
        goal: i64,
        /// The indicator.
        indicator: i64,
    },
    /// Set a target of an indicator.
    SetTarget(i64),
    /// Record a goal's assessment in a follow-up.
    RecordAssessment(i64),
    /// Approve a follow-up.
    ApproveFollowUp(i64),
    /// Create an assignment given by `from` in a municipality (by code).
    CreateAssignment {
        /// The municipality code.
        municipality: String,
        /// The giving unit.
        from: i64,
    },
    /// Change an assignment; `new_from` when the change names another giving unit.
    UpdateAssignment {
        /// The assignment.
        assignment: i64,
        /// The giving unit it moves to, if any.
        new_from: Option<i64>,
    },
    /// Report on an assignment (its status and result): the receiving unit's part.
    ReportAssignment(i64),
    /// Create or replace a comparison group of a municipality's own (by the municipality's
    /// code): the municipality's, like its other decisions of the whole.
    SaveGroup {
        /// The municipality code.
        municipality: String,
    },
}

impl Action {
    /// The name in the audit log: the GraphQL mutation's.
    pub fn name(&self) -> &'static str {
        match self {
            Self::CreateGoal { .. } => "createGoal",
            Self::UpdateGoal { .. } => "updateGoal",
            Self::ArchiveGoal(_) => "archiveGoal",
            Self::LinkIndicator { .. } => "linkIndicator",
            Self::UnlinkIndicator { .. } => "unlinkIndicator",
            Self::SetTarget(_) => "setTarget",
            Self::RecordAssessment(_) => "recordAssessment",
            Self::ApproveFollowUp(_) => "approveFollowUp",
            Self::CreateAssignment { .. } => "createAssignment",
            Self::UpdateAssignment { .. } => "updateAssignment",
            Self::ReportAssignment(_) => "reportAssignment",
            Self::SaveGroup { .. } => "saveComparisonGroup",
        }
    }
}

/// A unit an action touches, with its ancestors: `lineage[0]` is the unit itself, the last is
/// the municipality (root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lineage(pub Vec<i64>);

impl Lineage {
    /// The unit itself.
    pub fn unit(&self) -> Option<i64> {
        self.0.first().copied()
    }

    /// True when `scope` is the unit or one of its ancestors.
    pub fn is_within(&self, scope: i64) -> bool {
        self.0.contains(&scope)
    }
}

/// What the rule needs to know about an action: the units it touches (a goal's owner, an
/// indicator's owner or its goals' owners, a follow-up's municipality …). Something that does
/// not exist touches nothing: the write then answers NOT_FOUND itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Every unit the action touches.
    pub touched: Vec<Lineage>,
}

/// Why a write is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// No token, or one that is unknown or revoked.
    #[error("a valid API token is required (Authorization: Bearer …)")]
    Unauthenticated,
    /// The role may not do this at all.
    #[error("the token `{name}` has the role {role}, which may not {action}")]
    Role {
        /// The token's name.
        name: String,
        /// Its role.
        role: Role,
        /// The action's name.
        action: &'static str,
    },
    /// An editor acting outside its scope.
    #[error("the token `{name}` may only change what belongs to organisation unit {scope} or below it; {action} touches unit {unit}")]
    OutOfScope {
        /// The token's name.
        name: String,
        /// Its scope unit.
        scope: i64,
        /// The action's name.
        action: &'static str,
        /// The first touched unit outside the scope.
        unit: i64,
    },
    /// An editor token without a scope unit (its unit was removed): it may change nothing.
    #[error("the editor token `{name}` has no scope unit and may change nothing")]
    NoScope {
        /// The token's name.
        name: String,
    },
    /// Only admins may read the audit log.
    #[error("only admin tokens may read the audit log")]
    AdminOnly,
}

/// Whether the role alone decides: `Some(answer)` for anonymous callers, readers and admins,
/// `None` for editors, whose answer depends on the [`Facts`]. Lets the gateway skip reading
/// facts it does not need.
pub fn decided_by_role(actor: &Actor, action: &Action) -> Option<Result<(), Denied>> {
    match actor {
        Actor::Anonymous => Some(Err(Denied::Unauthenticated)),
        Actor::Token(p) => match p.role {
            Role::Reader => Some(Err(Denied::Role {
                name: p.name.clone(),
                role: p.role,
                action: action.name(),
            })),
            Role::Admin => Some(Ok(())),
            Role::Editor => None,
        },
    }
}

/// May `actor` do `action`, given the units it touches? Anonymous callers: no
/// (unauthenticated); readers: no; admins: yes; editors: when every touched unit is their scope
/// unit or below it.
pub fn may(actor: &Actor, action: &Action, facts: &Facts) -> Result<(), Denied> {
    if let Some(answer) = decided_by_role(actor, action) {
        return answer;
    }
    let Actor::Token(p) = actor else {
        unreachable!("anonymous callers are decided by role")
    };
    let Some(scope) = p.scope_unit_id else {
        return Err(Denied::NoScope { name: p.name.clone() });
    };
    match facts.touched.iter().find(|l| !l.is_within(scope)) {
        None => Ok(()),
        Some(outside) => Err(Denied::OutOfScope {
            name: p.name.clone(),
            scope,
            action: action.name(),
            unit: outside.unit().unwrap_or_default(),
        }),
    }
}

/// May `actor` read the audit log? Admins only.
pub fn may_read_audit(actor: &Actor) -> Result<(), Denied> {
    match actor {
        Actor::Anonymous => Err(Denied::Unauthenticated),
        Actor::Token(p) if p.role == Role::Admin => Ok(()),
        Actor::Token(_) => Err(Denied::AdminOnly),
    }
}

/// A write the rule judges. Its [`Action`] is derived from the command itself, from the very
/// ids it will write, so that what is checked and what is written cannot differ.
pub trait Command {
    /// What the command does, and to what.
    fn action(&self) -> Action;
}

/// Leave to perform one command: made only by [`authorize`], for the command it judged. The
/// writer's code that changes rows takes a `Permit` of its own command type, and reads the
/// command (its ids) and the author to audit from it.
///
/// Nothing outside this module can make one:
///
/// ```compile_fail
/// use styrhub_domain::access::{Author, Permit};
/// use styrhub_domain::commands::GoalArchival;
/// let forged = Permit { command: GoalArchival(1), author: Author::system("me") };
/// ```
#[derive(Debug)]
pub struct Permit<C> {
    command: C,
    author: Author,
}

impl<C> Permit<C> {
    /// The command that was judged.
    pub fn command(&self) -> &C {
        &self.command
    }

    /// Who performs it, as the audit log records them.
    pub fn author(&self) -> &Author {
        &self.author
    }
}

/// Judges `command` for `actor` on `facts` (which the caller read in the transaction that
/// writes it) and gives the [`Permit`] to perform it, or why not.
pub fn authorize<C: Command>(actor: &Actor, command: C, facts: &Facts) -> Result<Permit<C>, Denied> {
    may(actor, &command.action(), facts)?;
    // `may` refuses anonymous callers; this keeps the audit log honest if it ever did not.
    let principal = actor.principal().ok_or(Denied::Unauthenticated)?;
    Ok(Permit {
        command,
        author: Author::of(principal),
    })
}

// ----- Tokens ----------------------------------------------------------------------------------

/// A token as stored: never the secret, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Database id.
    pub id: i64,
    /// A name saying whose it is or what it is for.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The unit an editor is scoped to.
    pub scope_unit_id: Option<i64>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last presented.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; a revoked token is refused.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The editor's scope unit: required for editors, refused for the other roles.
    pub scope_unit_id: Option<i64>,
    /// The SHA-256 of the secret, hex.
    pub hash: String,
}

impl NewToken {
    /// Checks the name and that exactly editors have a scope.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.name.trim().is_empty() {
            return Err(DomainError::new("name", "must not be empty"));
        }
        match (self.role, self.scope_unit_id) {
            (Role::Editor, None) => Err(DomainError::new(
                "scope_unit",
                "an editor token needs a scope unit (the organisation unit whose subtree it may change)",
            )),
            (Role::Reader | Role::Admin, Some(_)) => Err(DomainError::new(
                "scope_unit",
                format!("only editor tokens have a scope unit; a {} token has none", self.role),
            )),
            _ => Ok(()),
        }
    }
}

/// Stores tokens and finds the principal behind a presented one.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a new token, audited under `by`; the scope unit must exist.
    async fn create_token(&self, by: &Author, token: &NewToken) -> Result<ApiToken, RepoError>;
    /// Every token, revoked ones included, oldest first.
    async fn tokens(&self) -> Result<Vec<ApiToken>, RepoError>;
    /// Revokes a token, audited under `by`; revoking twice keeps the first time.
    async fn revoke_token(&self, by: &Author, id: i64, at: DateTime<Utc>) -> Result<ApiToken, RepoError>;
    /// The principal of the token with this hash, unless it is unknown or revoked; notes when
    /// it was used.
    async fn principal_by_hash(&self, hash: &str, at: DateTime<Utc>) -> Result<Option<Principal>, RepoError>;
}

// ----- Audit -----------------------------------------------------------------------------------

/// Who made a change, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The token, for writes over the API.
    pub token_id: Option<i64>,
    /// The token's name, or the writer outside the API (e.g. "cli").
    pub name: String,
}

impl Author {
    /// The author of a write by this principal.
    pub fn of(p: &Principal) -> Self {
        Self {
            token_id: Some(p.token_id),
            name: p.name.clone(),
        }
    }

    /// A writer outside the API, such as "cli" or "package".
    pub fn system(name: &str) -> Self {
        Self {
            token_id: None,
            name: name.to_owned(),
        }
    }
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Database id; later entries have larger ids.
    pub id: i64,
    /// When the change was made.
    pub at: DateTime<Utc>,
    /// Who made it.
    pub author: Author,
    /// The action, e.g. `updateGoal`.
    pub action: String,
    /// What kind of row changed, e.g. `goal`, `target`, `indicator_link`.
    pub entity: String,
    /// Which one.
    pub entity_id: i64,
    /// The row before (JSON); `None` when it was created.
    pub before: Option<String>,
    /// The row after (JSON); `None` when it was removed.
    pub after: Option<String>,
}

/// Which audit entries to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this kind of row.
    pub entity: Option<String>,
    /// Only this row.
    pub entity_id: Option<i64>,
    /// Only changes by this author name.
    pub actor: Option<String>,
    /// Only entries with an id below this (the next page, newest first).
    pub before_id: Option<i64>,
    /// At most this many.
    pub limit: u64,
}

/// Reads the audit log.
#[async_trait]
pub trait AuditReader: Send + Sync {
    /// Entries matching the filter, newest first.
    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, RepoError>;
    /// How many entries match the filter, ignoring `before_id` and `limit`.
    async fn audit_count(&self, filter: &AuditFilter) -> Result<u64, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    // 1 municipality ← 2 council ← 3 committee ← 4 its administration; 5 another committee.
    fn lineage(unit: i64) -> Lineage {
        Lineage(match unit {
            1 => vec![1],
            2 => vec![2, 1],
            3 => vec![3, 2, 1],
            4 => vec![4, 3, 2, 1],
            5 => vec![5, 2, 1],
            _ => unreachable!(),
        })
    }

    fn touching(units: &[i64]) -> Facts {
        Facts {
            touched: units.iter().map(|&u| lineage(u)).collect(),
        }
    }

    fn token(role: Role, scope: Option<i64>) -> Actor {
        Actor::Token(Principal {
            token_id: 7,
            name: "t".into(),
            role,
            scope_unit_id: scope,
        })
    }

    const ARCHIVE: Action = Action::ArchiveGoal(10);

    #[test]
    fn an_anonymous_caller_is_unauthenticated() {
        assert_eq!(may(&Actor::Anonymous, &ARCHIVE, &touching(&[3])), Err(Denied::Unauthenticated));
    }

    #[test]
    fn a_reader_may_write_nothing() {
        assert!(matches!(
            may(&token(Role::Reader, None), &ARCHIVE, &touching(&[3])),
            Err(Denied::Role { .. })
        ));
    }

    #[test]
    fn an_admin_may_write_everything() {
        assert_eq!(may(&token(Role::Admin, None), &ARCHIVE, &touching(&[1, 2, 5])), Ok(()));
    }

    #[test]
    fn an_editor_may_change_its_own_unit_and_the_units_below_it() {
        let editor = token(Role::Editor, Some(3));
        assert_eq!(may(&editor, &ARCHIVE, &touching(&[3])), Ok(()));
        assert_eq!(may(&editor, &ARCHIVE, &touching(&[4])), Ok(()));
    }

    #[test]
    fn a_committees_editor_may_not_change_the_councils_or_another_committees() {
        let editor = token(Role::Editor, Some(3));
        assert!(matches!(
            may(&editor, &ARCHIVE, &touching(&[2])),
            Err(Denied::OutOfScope { unit: 2, .. })
        ));
        assert!(matches!(
            may(&editor, &ARCHIVE, &touching(&[5])),
            Err(Denied::OutOfScope { unit: 5, .. })
        ));
    }

    #[test]
    fn every_touched_unit_must_be_in_scope() {
        // Moving one's own goal to another committee touches both.
        let editor = token(Role::Editor, Some(3));
        assert!(matches!(
            may(&editor, &ARCHIVE, &touching(&[4, 5])),
            Err(Denied::OutOfScope { unit: 5, .. })
        ));
    }

    #[test]
    fn municipality_level_writes_need_a_scope_at_the_municipality() {
        let approve = Action::ApproveFollowUp(1);
        assert!(may(&token(Role::Editor, Some(2)), &approve, &touching(&[1])).is_err());
        assert_eq!(may(&token(Role::Editor, Some(1)), &approve, &touching(&[1])), Ok(()));
    }

    #[test]
    fn an_editor_without_a_scope_may_change_nothing() {
        assert!(matches!(
            may(&token(Role::Editor, None), &ARCHIVE, &touching(&[3])),
            Err(Denied::NoScope { .. })
        ));
    }

    #[test]
    fn only_admins_read_the_audit_log() {
        assert_eq!(may_read_audit(&token(Role::Admin, None)), Ok(()));
        assert_eq!(may_read_audit(&token(Role::Editor, Some(1))), Err(Denied::AdminOnly));
        assert_eq!(may_read_audit(&Actor::Anonymous), Err(Denied::Unauthenticated));
    }

    #[test]
    fn roles_parse_by_name_and_name_the_bad_one() {
        assert_eq!(Role::parse("editor"), Ok(Role::Editor));
        let e = Role::parse("owner").unwrap_err();
        assert!(e.message.contains("`owner`"), "{e}");
    }

    #[test]
    fn only_editor_tokens_have_a_scope() {
        let t = |role, scope| NewToken {
            name: "n".into(),
            role,
            scope_unit_id: scope,
            hash: String::new(),
        };
        assert!(t(Role::Editor, Some(3)).validate().is_ok());
        assert_eq!(t(Role::Editor, None).validate().unwrap_err().field, "scope_unit");
        assert_eq!(t(Role::Admin, Some(3)).validate().unwrap_err().field, "scope_unit");
    }

    /// A command of the tests: archiving a goal, judged on whatever facts the test gives.
    struct Archive(i64);

    impl Command for Archive {
        fn action(&self) -> Action {
            Action::ArchiveGoal(self.0)
        }
    }

    #[test]
    fn a_permit_carries_the_command_it_judged_and_the_author_to_audit() {
        let editor = token(Role::Editor, Some(3));
        let permit = authorize(&editor, Archive(10), &touching(&[4])).unwrap();
        assert_eq!(permit.command().0, 10);
        assert_eq!(
            permit.author(),
            &Author {
                token_id: Some(7),
                name: "t".into()
            }
        );
    }

    #[test]
    fn no_permit_outside_the_scope_or_without_a_token() {
        let editor = token(Role::Editor, Some(3));
        assert!(matches!(
            authorize(&editor, Archive(10), &touching(&[5])),
            Err(Denied::OutOfScope {
                unit: 5,
                action: "archiveGoal",
                ..
            })
        ));
        assert!(matches!(
            authorize(&Actor::Anonymous, Archive(10), &Facts::default()),
            Err(Denied::Unauthenticated)
        ));
        assert!(matches!(
            authorize(&token(Role::Reader, None), Archive(10), &Facts::default()),
            Err(Denied::Role { .. })
        ));
    }
}
