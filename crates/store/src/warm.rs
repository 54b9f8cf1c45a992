//! The busiest reads (a series answer, a goal tree's series) on connections kept warm.
//!
//! sqlx tests every connection it takes back into its pool with a ping: one more round trip to
//! PostgreSQL (on SQLite, one more hand-off to the connection's worker thread) after every
//! statement. For a statement that is itself one short round trip, that doubled what the
//! database and the server did per request: under load, the ping on release was 15 % of the
//! server's samples. sqlx has no option to skip it, so the reads that run on every series
//! request keep a few connections taken from the same pool and hand them to each other
//! directly, without the release: the ping is paid only when a connection goes back to the
//! pool.
//!
//! A connection kept idle longer than [`MAX_IDLE`] goes back to the pool (which checks it)
//! instead of being used; one that fails is dropped into the pool the same way, and the read is
//! tried once more on a fresh connection when the kept one had gone stale (a restarted server).
//! At most a quarter of the pool is kept, so the other statements never wait for the kept ones
//! (a test fills the pool around them). A read dropped half-way (a client that went away) drops
//! its connection into the pool, which drains it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{self, Database, Pool, Postgres, Sqlite};
use sea_orm::{ConnAcquireErr, DatabaseConnection, DbErr, QueryResult, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;

/// Connections kept at most, as a share of the pool: a kept connection, which no other
/// statement can use while it waits here, must never leave the rest of the store short.
const KEEP_SHARE: u32 = 4;

/// A kept connection idle this long goes back to the pool, which checks it before use (see
/// `Store::connect`, the same span): after a quiet spell a kept connection is not trusted.
const MAX_IDLE: Duration = Duration::from_secs(1);

/// How PostgreSQL plans a kept read.
///
/// A prepared statement's plan is kept per connection and, after five runs, PostgreSQL may
/// switch to a generic plan made without the bound values. For a list bound as one array
/// that plan assumes about ten elements: a goal tree's 2,000 series keys were looked up one
/// index probe at a time (15 ms) where the plan made for the values hashes them (6 ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Prepared once per connection, its plan reused: the values do not change the best plan
    /// (one series, a few areas).
    Reused,
    /// Planned for the values of each run (an unnamed statement): lists of any length.
    /// SQLite's planner does not look at bound values, so there it is [`Plan::Reused`].
    PerRun,
}

impl Plan {
    /// [`Plan::PerRun`] for a list longer than a generic plan assumes, [`Plan::Reused`] for
    /// the short lists of single-series reads (planning each run would cost them more than
    /// it buys).
    pub(crate) fn for_list(len: usize) -> Self {
        if len > 32 {
            Self::PerRun
        } else {
            Self::Reused
        }
    }
}

/// Connections of one pool, kept between reads.
pub(crate) struct Kept<DB: Database> {
    pool: Pool<DB>,
    idle: Mutex<Vec<(PoolConnection<DB>, Instant)>>,
    keep: usize,
}

impl<DB: Database> Kept<DB> {
    /// Keeps a quarter of `pool`'s connections at most (one at least).
    fn new(pool: Pool<DB>) -> Self {
        let keep = (pool.options().get_max_connections() / KEEP_SHARE).max(1) as usize;
        Self {
            pool,
            idle: Mutex::new(Vec::with_capacity(keep)),
            keep,
        }
    }

    /// A kept connection (`true`) or, when none is fresh, one from the pool.
    async fn take(&self) -> Result<(PoolConnection<DB>, bool), DbErr> {
        loop {
            let popped = self.idle.lock().expect("kept connections lock").pop();
            match popped {
                Some((conn, since)) if since.elapsed() < MAX_IDLE => return Ok((conn, true)),
                // Back to the pool, which pings it before anyone uses it again.
                Some((stale, _)) => drop(stale),
                None => break,
            }
        }
        let conn = self.pool.acquire().await.map_err(acquire_err)?;
        Ok((conn, false))
    }

    /// Keeps `conn` for the next read, or gives it back to the pool when enough are kept.
    fn keep(&self, conn: PoolConnection<DB>) {
        let mut idle = self.idle.lock().expect("kept connections lock");
        if idle.len() < self.keep {
            idle.push((conn, Instant::now()));
        }
    }
}

/// The kept connections of the store's pool.
pub(crate) enum Warm {
    /// PostgreSQL's.
    Postgres(Kept<Postgres>),
    /// SQLite's.
    Sqlite(Kept<Sqlite>),
}

impl std::fmt::Debug for Warm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Warm")
    }
}

/// Runs `stmt` on a kept connection of `$kept`, trying once more on a fresh one when a kept
/// connection failed: the same steps for both databases, whose connection types differ.
macro_rules! fetch_on {
    ($kept:expr, $stmt:expr, $persistent:expr) => {{
        let kept = $kept;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (mut conn, was_kept) = kept.take().await?;
            let values = SqlxValues($stmt.values.clone().unwrap_or(sea_orm::Values(Vec::new())));
            match sqlx::query_with(sqlx::AssertSqlSafe($stmt.sql.as_str()), values)
                .persistent($persistent)
                .fetch_all(&mut *conn)
                .await
            {
                Ok(rows) => {
                    kept.keep(conn);
                    break Ok(rows.into_iter().map(QueryResult::from).collect::<Vec<_>>());
                }
                // The pool checks the connection as it takes it back, and closes a broken one.
                Err(e) => {
                    drop(conn);
                    if !is_connection_error(&e) {
                        break Err(DbErr::Query(RuntimeErr::SqlxError(e.into())));
                    }
                    // A connection lost is the database unavailable (a 503 at the edge), as
                    // when no connection can be had.
                    if !(was_kept && attempt == 1) {
                        break Err(DbErr::Conn(RuntimeErr::SqlxError(e.into())));
                    }
                }
            }
        }
    }};
}

impl Warm {
    /// Kept connections for the pool of `db`.
    pub(crate) fn of(db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => Self::Postgres(Kept::new(db.get_postgres_connection_pool().clone())),
            _ => Self::Sqlite(Kept::new(db.get_sqlite_connection_pool().clone())),
        }
    }

    /// Every row of `stmt`, read on a kept connection and planned as `plan` says.
    pub(crate) async fn fetch_all(&self, stmt: &Statement, plan: Plan) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Self::Postgres(kept) => fetch_on!(kept, stmt, plan == Plan::Reused),
            Self::Sqlite(kept) => fetch_on!(kept, stmt, true),
        }
    }
}

/// An error of the connection rather than of the statement: worth one more try elsewhere, and
/// the database unavailable when there is none.
pub(crate) fn is_connection_error(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed
    )
}

/// Acquiring failed: the same error sea-orm gives for its own statements (a 503 at the edge).
fn acquire_err(e: sqlx::Error) -> DbErr {
    match e {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        other => DbErr::Conn(RuntimeErr::SqlxError(other.into())),
    }
}
