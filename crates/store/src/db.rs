//! Connecting to SQLite or PostgreSQL, and migrating.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, QueryResult, RuntimeErr, Statement};
use sea_orm_migration::MigratorTrait;
use styrhub_domain::ports::HealthCheck;
use styrhub_domain::RepoError;
use styrhub_migrations::Migrator;

use crate::warm::{Plan, Warm};

/// The default database: an SQLite file in the working directory, created on first run.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://styrhub.db?mode=rwc";

/// How long to wait for the database before giving up with a clear error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A pooled connection idle at least this long is pinged before it is handed out; busier ones
/// are not (see `Store::connect`). HikariCP skips the check within 0.5 s of a connection's last
/// use for the same reason; a second keeps that spirit: under load connections never wait this
/// long, and after a quiet spell (when a server restart or a proxy's idle cut is likely) every
/// connection is checked first.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// How long a statement waits for a pooled connection by default: when the pool is exhausted
/// or the database is down, a request should fail fast (503) rather than queue for long.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is not one Styrhub can use.
    #[error("database URL `{url}` is not valid: {reason}")]
    BadUrl {
        /// The URL, with any password hidden.
        url: String,
        /// Why.
        reason: String,
    },
    /// The database did not answer or refused.
    #[error("cannot connect to the database at `{url}`: {reason}")]
    Unreachable {
        /// The URL, with any password hidden.
        url: String,
        /// Why.
        reason: String,
    },
    /// A migration failed.
    #[error("migrating the database failed: {0}")]
    Migration(String),
    /// The migrations were applied, but the planner's statistics could not be refreshed.
    #[error("refreshing the planner's statistics after migrating failed: {0}")]
    Statistics(RepoError),
    /// The database is migrated, but the indicators marked stale could not be judged.
    #[error("judging the indicator statuses left to judge failed: {0}")]
    Statuses(RepoError),
}

/// The database, shared by every repository.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// Connections kept for the busiest reads (see [`crate::warm`]).
    warm: Arc<Warm>,
    /// Who is told of each statement (see [`Store::observe_statements`]).
    observer: Option<Observer>,
}

/// What is told the SQL and duration of a statement.
type ObserveFn = dyn Fn(&str, Duration) + Send + Sync;

/// Told the SQL and duration of every statement.
#[derive(Clone)]
struct Observer(Arc<ObserveFn>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

/// Hides the password of a URL for messages and logs, wherever the URL carries one: in its
/// user part (`postgres://user:secret@host/db`) or as a `password=` parameter, as PostgreSQL
/// also accepts (`postgres://host/db?user=app&password=secret`).
pub fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut shown = match (base.find("://"), base.rfind('@')) {
        (Some(s), Some(at)) if at > s => match base[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{}:***{}", &base[..s + 3], user, &base[at..]),
            None => base.to_owned(),
        },
        _ => base.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
                _ => p.to_owned(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&params.join("&"));
    }
    shown
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`), waiting at most
    /// [`DEFAULT_ACQUIRE_TIMEOUT`] for a pooled connection.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, DEFAULT_ACQUIRE_TIMEOUT).await
    }

    /// Connects to `url`; every statement waits at most `acquire_timeout` for a pooled
    /// connection, then fails as unavailable. The pool reconnects by itself once the database
    /// answers again, so an outage needs no restart.
    pub async fn connect_with(url: &str, acquire_timeout: Duration) -> Result<Self, StoreError> {
        let shown = redact(url);
        let scheme = url.split("://").next().unwrap_or_default();
        if !url.contains("://") || !matches!(scheme, "sqlite" | "postgres" | "postgresql") {
            return Err(StoreError::BadUrl {
                url: shown,
                reason: "expected sqlite://PATH or postgres://USER@HOST/DATABASE".into(),
            });
        }
        if scheme != "sqlite" {
            probe_postgres(url, &shown).await?;
        }
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.connect_timeout(CONNECT_TIMEOUT)
            .acquire_timeout(acquire_timeout)
            .sqlx_logging(false)
            // sqlx pings every connection it hands out by default: a second round trip (on
            // SQLite a second hand-off to the worker thread) for every statement. Only a
            // connection that sat idle is checked first.
            .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
        if scheme == "sqlite" {
            // One writer at a time is what SQLite allows; a small pool avoids lock storms.
            // Pragmas go on every pooled connection: foreign keys are off by default in
            // SQLite, WAL lets readers run beside the writer, and synchronous=NORMAL is durable
            // in WAL mode (a power cut may lose the last commits, never corrupt the file).
            opts.max_connections(4).min_connections(1).map_sqlx_sqlite_opts(|o| {
                o.foreign_keys(true)
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(CONNECT_TIMEOUT)
                    // The bulk writer's staging tables in memory, not in a temporary file; and
                    // 32 MiB of page cache (the default is 2 MiB) so that the natural key's index
                    // stays cached across batches. Both bound memory: neither grows with rows.
                    .pragma("temp_store", "memory")
                    .pragma("cache_size", "-32768")
            });
        } else {
            opts.max_connections(16);
        }
        let db = Database::connect(opts).await.map_err(|e| classify(&shown, e))?;
        Ok(Self {
            warm: Arc::new(Warm::of(&db)),
            db,
            observer: None,
        })
    }

    /// A read replica's pool at `url` (PostgreSQL only), for [`crate::replicas::ReplicaSet`]:
    /// made without connecting, so that a replica that is down when the server starts is no
    /// error (it is read once a check finds it answering), and never migrated (a replica
    /// receives the primary's schema with its WAL).
    pub(crate) async fn connect_replica(url: &str, acquire_timeout: Duration) -> Result<Self, StoreError> {
        let shown = redact(url);
        let scheme = url.split("://").next().unwrap_or_default();
        if !url.contains("://") || !matches!(scheme, "postgres" | "postgresql") {
            return Err(StoreError::BadUrl {
                url: shown,
                reason: "a read replica is a PostgreSQL server: expected postgres://USER@HOST/DATABASE".into(),
            });
        }
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.connect_timeout(CONNECT_TIMEOUT)
            .acquire_timeout(acquire_timeout)
            .sqlx_logging(false)
            .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
            .max_connections(16)
            .min_connections(0)
            .connect_lazy(true);
        // A lazy pool only parses the URL here; a bad one fails now, an unreachable server later.
        let db = Database::connect(opts).await.map_err(|e| classify(&shown, e))?;
        Ok(Self {
            warm: Arc::new(Warm::of(&db)),
            db,
            observer: None,
        })
    }

    /// Applies every pending migration, then refreshes the planner's statistics when there
    /// were any: a migration may add an index (which has no statistics yet) or rewrite a table.
    /// Every command migrates when it opens the database, so an up-to-date one is left alone.
    /// Then judges the indicator statuses marked stale and not yet judged (a migration's, or
    /// a crash's between a bulk write and its judging; see `crate::statuses`).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migration = |e: DbErr| StoreError::Migration(e.to_string());
        let pending = Migrator::get_pending_migrations(&self.db).await.map_err(migration)?;
        if !pending.is_empty() {
            Migrator::up(&self.db, None).await.map_err(migration)?;
            self.refresh_statistics().await.map_err(StoreError::Statistics)?;
        }
        self.judge_stale_statuses().await.map(drop).map_err(StoreError::Statuses)
    }

    /// Calls `observer` with the SQL and the duration of every statement the store runs from
    /// now on: the tests count statements per request with it, and the benchmark reports them.
    pub fn observe_statements(&mut self, observer: impl Fn(&str, std::time::Duration) + Send + Sync + 'static) {
        let observer = Observer(Arc::new(observer));
        let told = observer.clone();
        self.db.set_metric_callback(move |info| (told.0)(&info.statement.sql, info.elapsed));
        self.observer = Some(observer);
    }

    /// Every row of `stmt`, read on a connection kept for the busiest reads (see
    /// [`crate::warm`]), and told to the statement observer as sea-orm's statements are.
    pub(crate) async fn fetch_warm(&self, stmt: &Statement, plan: Plan) -> Result<Vec<QueryResult>, DbErr> {
        let start = Instant::now();
        let rows = self.warm.fetch_all(stmt, plan).await;
        if let Some(observer) = &self.observer {
            (observer.0)(&stmt.sql, start.elapsed());
        }
        rows
    }

    /// The connection, for repositories and tests.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The database's dialect.
    pub fn backend(&self) -> sea_orm::DatabaseBackend {
        self.db.get_database_backend()
    }

    /// True for PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.db.get_database_backend(), sea_orm::DatabaseBackend::Postgres)
    }
}

/// One direct connection before the pool is built: the pool retries until its timeout and then
/// reports only "pool timed out", while a single attempt says what is wrong (refused, unknown
/// host, no such database, bad password).
async fn probe_postgres(url: &str, shown: &str) -> Result<(), StoreError> {
    use sea_orm::sqlx::{postgres::PgConnection, Connection};
    let unreachable = |reason: String| StoreError::Unreachable {
        url: shown.to_owned(),
        reason,
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(url)).await {
        Err(_) => Err(unreachable(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))),
        Ok(Err(sea_orm::sqlx::Error::Configuration(e))) => Err(StoreError::BadUrl {
            url: shown.to_owned(),
            reason: e.to_string(),
        }),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Ok(Ok(conn)) => {
            // Closing politely is not worth an error of its own.
            let _ = conn.close().await;
            Ok(())
        }
    }
}

fn classify(url: &str, e: DbErr) -> StoreError {
    let reason = match &e {
        DbErr::Conn(RuntimeErr::SqlxError(inner)) => inner.to_string(),
        other => other.to_string(),
    };
    // sqlx reports a malformed URL as a configuration error; anything else is reachability.
    if reason.contains("configuration") || reason.contains("invalid") && reason.contains("url") {
        StoreError::BadUrl {
            url: url.to_owned(),
            reason,
        }
    } else {
        StoreError::Unreachable {
            url: url.to_owned(),
            reason,
        }
    }
}

/// Opens a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
/// deferred transaction that reads first and writes later fails at once with `SQLITE_BUSY`
/// ("database is locked", without waiting out the busy timeout) when another connection or
/// process committed in between, as happens with several processes on one file. Taken at the
/// start, the lock is waited for instead. PostgreSQL begins as usual.
pub(crate) async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, RepoError> {
    use sea_orm::TransactionTrait;
    let options = sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..sea_orm::TransactionOptions::default()
    };
    db.begin_with_options(options).await.map_err(repo_err)
}

/// Maps a database error to the port error: connection trouble is `Unavailable` (503 at the
/// edge), a violated unique key a `Conflict`, anything else `Internal`.
pub fn repo_err(e: DbErr) -> RepoError {
    match &e {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => RepoError::Unavailable(e.to_string()),
        // A connection lost under a statement (the server restarted, a proxy cut it) is the
        // database unavailable too: a pooled connection used within the last second is handed
        // out without a ping (see `Store::connect`), so this is where a dead one shows.
        DbErr::Query(RuntimeErr::SqlxError(inner)) | DbErr::Exec(RuntimeErr::SqlxError(inner))
            if crate::warm::is_connection_error(inner) =>
        {
            RepoError::Unavailable(e.to_string())
        }
        _ => match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(m)) => RepoError::Conflict(m),
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(m)) => RepoError::Conflict(m),
            _ => RepoError::Internal(e.to_string()),
        },
    }
}

#[async_trait]
impl HealthCheck for Store {
    async fn ping(&self) -> Result<(), RepoError> {
        self.db.ping().await.map_err(|e| RepoError::Unavailable(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/styrhub"),
            "postgres://app:***@db:5432/styrhub"
        );
        assert_eq!(redact("sqlite://styrhub.db?mode=rwc"), "sqlite://styrhub.db?mode=rwc");
        assert_eq!(
            redact("postgres://db/styrhub?user=app&password=s3cret&sslmode=require"),
            "postgres://db/styrhub?user=app&password=***&sslmode=require"
        );
        assert_eq!(redact("postgres://app@db/styrhub"), "postgres://app@db/styrhub");
    }

    #[tokio::test]
    async fn an_unknown_scheme_is_a_bad_url() {
        let err = Store::connect("mysql://localhost/x").await.unwrap_err();
        assert!(matches!(err, StoreError::BadUrl { .. }), "{err}");
    }
}
