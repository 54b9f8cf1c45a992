//! Fresh planner statistics after a run that changed many rows: once at the end of the run,
//! never per page, and only past [`STATISTICS_REFRESH_ROWS`].

use std::time::Instant;

use styrhub_domain::observation::{WriteCounts, STATISTICS_REFRESH_ROWS};
use styrhub_domain::ports::ObservationWriter;

/// Refreshes the statistics through `writer` when a run wrote `written` (see
/// [`WriteCounts::warrants_fresh_statistics`]), and says whether it did. A failure is logged,
/// not returned: the run's rows are committed and its outcome stands; the statistics are
/// refreshed by the next large run (and on PostgreSQL by autovacuum meanwhile).
pub async fn refresh_after(writer: &dyn ObservationWriter, written: &WriteCounts) -> bool {
    if !written.warrants_fresh_statistics() {
        return false;
    }
    let started = Instant::now();
    match writer.refresh_statistics().await {
        Ok(()) => {
            tracing::info!(
                rows = written.changed(),
                threshold = STATISTICS_REFRESH_ROWS,
                duration_ms = started.elapsed().as_millis() as u64,
                "planner statistics refreshed"
            );
            true
        }
        Err(e) => {
            tracing::warn!(rows = written.changed(), error = %e, "refreshing the planner statistics failed");
            false
        }
    }
}
