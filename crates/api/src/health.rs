//! Liveness and readiness.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::app::AppState;

/// `/healthz`: the process answers. Does not touch the database, so an orchestrator does not
/// restart a healthy process during a database outage.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// `/readyz`: the database answers; 503 when it does not. With read replicas, each one's state
/// from its last check (up, lag, whether it is read) is listed too; a replica down does not make
/// the server unready, since the primary serves its reads.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let (status, mut body) = match state.ports.health.ping().await {
        Ok(()) => (StatusCode::OK, json!({ "status": "ready", "database": "ok" })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "status": "unavailable", "database": "unreachable" }),
            )
        }
    };
    if let Some(replicas) = &state.ports.replicas {
        body["replicas"] = replicas
            .statuses()
            .into_iter()
            .map(|r| {
                json!({
                    "url": r.url,
                    "up": r.up,
                    "inRecovery": r.in_recovery,
                    "lagSeconds": r.lag.map(|l| l.as_secs_f64()),
                    "lagBytes": r.lag_bytes,
                    "usable": r.usable,
                    "reads": r.reads,
                })
            })
            .collect();
    }
    (status, Json(body))
}

/// `styrhub healthcheck`: GET `/healthz` on a running server, so that a container health check
/// needs nothing but the binary. A plain HTTP/1.0 request over TCP is all it takes; pulling an
/// HTTP client into the server for this would cost more than these lines.
pub async fn probe(addr: SocketAddr) -> anyhow::Result<()> {
    let addr = if addr.ip().is_unspecified() {
        SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
    } else {
        addr
    };
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("nothing answers on {addr}"))?;
        stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n").await?;
        let mut head = vec![0; 64];
        let n = stream.read(&mut head).await?;
        let status = String::from_utf8_lossy(&head[..n]).lines().next().unwrap_or_default().to_owned();
        anyhow::ensure!(
            status.split_whitespace().nth(1) == Some("200"),
            "http://{addr}/healthz answered `{status}`"
        );
        Ok(())
    };
    tokio::time::timeout(Duration::from_secs(3), ask)
        .await
        .with_context(|| format!("http://{addr}/healthz did not answer within 3 s"))?
}
