//! A running ingest says it is alive: every [`HEARTBEAT_EVERY`] its run's heartbeat is
//! recorded, so that a run of the same source started elsewhere (another process, another
//! machine) leaves it running, and takes it for interrupted only once its process is gone and
//! the heartbeat has stayed quiet for [`RUN_LEASE`](styrhub_domain::ports::RUN_LEASE).

use std::future::Future;

use chrono::Utc;
use styrhub_domain::ports::{RunLog, HEARTBEAT_EVERY};

/// Runs `work` while beating for run `id`; its answer is `work`'s. A heartbeat that cannot be
/// recorded (the database busy or away for a moment) is logged and tried again at the next
/// beat: the work itself is what decides the run.
pub async fn beating<T>(runs: &dyn RunLog, id: i64, work: impl Future<Output = T>) -> T {
    let beat = async {
        let mut every = tokio::time::interval(HEARTBEAT_EVERY);
        // The first tick is at once; starting the run recorded that beat.
        every.tick().await;
        loop {
            every.tick().await;
            if let Err(e) = runs.heartbeat(id, Utc::now()).await {
                tracing::warn!(run = id, error = %e, "the run's heartbeat could not be recorded");
            }
        }
    };
    tokio::select! {
        biased;
        out = work => out,
        () = beat => unreachable!("the heartbeat never ends"),
    }
}
