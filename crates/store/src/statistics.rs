//! The query planner's statistics, refreshed where the data changed a lot: after migrations and
//! after large ingests (callers decide when: `styrhub_domain::observation::STATISTICS_REFRESH_ROWS`).
//!
//! Fresh or freshly filled tables have no statistics, or ones describing a handful of rows, and
//! the planners then guess: PostgreSQL until autovacuum's next pass (up to a minute, and only
//! past its own thresholds), SQLite for ever, since it never analyses on its own. The benches
//! call the same method after loading, so what they measure is what production runs.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use styrhub_domain::RepoError;

use crate::db::repo_err;
use crate::Store;

/// The rows SQLite's first `ANALYZE` reads per index: an approximate count that is plenty for
/// the planner and bounds the time on a large table (SQLite's documentation suggests 100 to 1000;
/// `PRAGMA optimize` sets a limit of its own the same way).
const SQLITE_ANALYSIS_LIMIT: u32 = 1000;

impl Store {
    /// Refreshes the planner's statistics of every table. PostgreSQL: `ANALYZE`, which samples
    /// each table and so costs about the same on a large one as on a small one. SQLite:
    /// `PRAGMA optimize=0x10002` (analyse every table that might benefit, looking at all tables,
    /// not only those this connection used), except on a database whose `observation` was never
    /// analysed: `PRAGMA optimize` decides by how much a table changed since its last analysis,
    /// so a fresh database gets a bounded `ANALYZE` once, after which `sqlite_stat1` exists.
    pub async fn refresh_statistics(&self) -> Result<(), RepoError> {
        let db = self.connection();
        match db.get_database_backend() {
            DatabaseBackend::Postgres => db.execute_unprepared("ANALYZE").await.map(drop).map_err(repo_err),
            DatabaseBackend::Sqlite => {
                // One connection for the pragma and the statement it limits: a transaction pins it.
                let txn = crate::db::begin_write(db).await?;
                let exists = |sql: &str| {
                    let sql = Statement::from_string(DatabaseBackend::Sqlite, sql);
                    async { txn.query_one_raw(sql).await.map(|row| row.is_some()).map_err(repo_err) }
                };
                // Two statements: SQLite resolves every table a statement names before running it.
                let analysed = exists("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'").await?
                    && exists("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'observation'").await?;
                if analysed {
                    txn.execute_unprepared("PRAGMA optimize=0x10002").await.map_err(repo_err)?;
                } else {
                    txn.execute_unprepared(&format!("PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}"))
                        .await
                        .map_err(repo_err)?;
                    let analysed = txn.execute_unprepared("ANALYZE").await.map_err(repo_err);
                    // The connection goes back to the pool: without the limit, as it came.
                    txn.execute_unprepared("PRAGMA analysis_limit=0").await.map_err(repo_err)?;
                    analysed?;
                }
                txn.commit().await.map_err(repo_err)
            }
            other => Err(RepoError::Internal(format!("no statistics to refresh on {other:?}"))),
        }
    }
}
