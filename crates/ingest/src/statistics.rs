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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use styrhub_domain::observation::NewObservation;
    use styrhub_domain::RepoError;

    use super::*;

    /// Counts refreshes; fails them when told to.
    #[derive(Default)]
    struct Writer {
        refreshed: AtomicUsize,
        fail: bool,
    }

    #[async_trait::async_trait]
    impl ObservationWriter for Writer {
        async fn write_batch(&self, _: &[NewObservation]) -> Result<WriteCounts, RepoError> {
            Ok(WriteCounts::default())
        }

        async fn refresh_statistics(&self) -> Result<(), RepoError> {
            self.refreshed.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                return Err(RepoError::Unavailable("gone".into()));
            }
            Ok(())
        }
    }

    fn written(inserted: u64, updated: u64, unchanged: u64) -> WriteCounts {
        WriteCounts {
            inserted,
            updated,
            unchanged,
        }
    }

    #[tokio::test]
    async fn only_a_run_that_changed_enough_rows_refreshes_and_unchanged_rows_do_not_count() {
        let w = Writer::default();
        assert!(!refresh_after(&w, &written(STATISTICS_REFRESH_ROWS - 1, 0, 1_000_000)).await);
        assert_eq!(w.refreshed.load(Ordering::SeqCst), 0);
        assert!(refresh_after(&w, &written(STATISTICS_REFRESH_ROWS / 2, STATISTICS_REFRESH_ROWS / 2, 0)).await);
        assert_eq!(w.refreshed.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_refresh_is_reported_not_raised() {
        let w = Writer {
            fail: true,
            ..Writer::default()
        };
        assert!(!refresh_after(&w, &written(STATISTICS_REFRESH_ROWS, 0, 0)).await);
        assert_eq!(w.refreshed.load(Ordering::SeqCst), 1);
    }
}
