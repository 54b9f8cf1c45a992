//! Stopping on SIGTERM (what orchestrators send) and SIGINT (Ctrl-C): `serve` stops accepting
//! connections and lets the requests in flight finish; `ingest kolada` finishes the page it is
//! writing and records where it stopped.

/// Resolves on the first SIGTERM or SIGINT, and says which.
pub async fn signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        // Installing a handler only fails when the runtime has no signal driver, which
        // `#[tokio::main]` always has; fall back to Ctrl-C rather than never stopping.
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            },
            _ => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
