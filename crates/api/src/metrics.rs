//! `/metrics` in the Prometheus text format: requests and latency per route, ingest runs, and
//! the read replicas (up, lag, reads each answered).
//!
//! The route label is axum's matched path (`/api/v1/kpis/{kpi}`), never the raw URL, so that a
//! scan of random URLs cannot grow the label set without bound.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use styrhub_domain::ingest::RunStatus;

use crate::app::AppState;

/// Labels of a request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// GET, POST …
    pub method: String,
    /// The matched route, or "unmatched".
    pub route: String,
    /// The status code.
    pub status: u16,
}

/// Labels of a route.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// GET, POST …
    pub method: String,
    /// The matched route, or "unmatched".
    pub route: String,
}

/// Labels of ingest runs.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RunLabels {
    /// kolada, file …
    pub source: String,
    /// running, succeeded, failed.
    pub status: String,
}

/// Labels of a request refused by a limit.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusedLabels {
    /// too_large, timeout, rate_limited.
    pub reason: &'static str,
}

/// Labels of a read replica.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReplicaLabels {
    /// The replica's URL, password hidden.
    pub replica: String,
}

/// Labels of where reads went.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReadLabels {
    /// `primary`, or a replica's URL (password hidden).
    pub database: String,
}

/// The registry and its metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    runs: Family<RunLabels, Gauge>,
    refused: Family<RefusedLabels, Counter>,
    replica_up: Family<ReplicaLabels, Gauge>,
    replica_lag: Family<ReplicaLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    replica_lag_bytes: Family<ReplicaLabels, Gauge>,
    reads: Family<ReadLabels, Counter>,
}

impl Metrics {
    /// A fresh registry.
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("styrhub");
        let requests = Family::<RequestLabels, Counter>::default();
        // 0.5 ms … about 4 s: API answers are expected in single milliseconds.
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.0005, 2.0, 14))
        });
        let runs = Family::<RunLabels, Gauge>::default();
        let refused = Family::<RefusedLabels, Counter>::default();
        // The limits answer outside the routes, so the per-route counts do not see them.
        registry.register(
            "http_refused",
            "HTTP requests refused by a limit, by reason (too_large, timeout, rate_limited)",
            refused.clone(),
        );
        registry.register("http_requests", "HTTP requests by method, route and status", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and route",
            latency.clone(),
        );
        registry.register(
            "ingest_runs",
            "Ingest runs among the latest 1,000, by source and status",
            runs.clone(),
        );
        let replica_up = Family::<ReplicaLabels, Gauge>::default();
        let replica_lag = Family::<ReplicaLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        let replica_lag_bytes = Family::<ReplicaLabels, Gauge>::default();
        let reads = Family::<ReadLabels, Counter>::default();
        registry.register(
            "replica_up",
            "Whether each read replica answered its last check and is read (1) or not (0)",
            replica_up.clone(),
        );
        registry.register(
            "replica_lag_seconds",
            "How far behind the primary each read replica was at its last check (-1: unknown)",
            replica_lag.clone(),
        );
        registry.register(
            "replica_lag_bytes",
            "WAL bytes each read replica had still to replay at its last check (-1: unknown)",
            replica_lag_bytes.clone(),
        );
        registry.register(
            "database_reads",
            "Reads answered through the read replicas' router, by database (primary or a replica)",
            reads.clone(),
        );
        Arc::new(Self {
            registry,
            requests,
            latency,
            runs,
            refused,
            replica_up,
            replica_lag,
            replica_lag_bytes,
            reads,
        })
    }

    /// Sets the replicas' figures from their last check (at scrape time: the checks run in the
    /// background, the counts are the router's).
    fn replicas(&self, replicas: &styrhub_store::replicas::ReplicaSet) {
        let counted = |family: &Family<ReadLabels, Counter>, database: String, now: u64| {
            let c = family.get_or_create(&ReadLabels { database });
            c.inc_by(now.saturating_sub(c.get()));
        };
        counted(&self.reads, "primary".into(), replicas.primary_reads());
        for r in replicas.statuses() {
            let labels = ReplicaLabels { replica: r.url.clone() };
            self.replica_up.get_or_create(&labels).set(i64::from(r.usable));
            self.replica_lag.get_or_create(&labels).set(r.lag.map_or(-1.0, |l| l.as_secs_f64()));
            self.replica_lag_bytes
                .get_or_create(&labels)
                .set(r.lag_bytes.map_or(-1, |b| i64::try_from(b).unwrap_or(i64::MAX)));
            counted(&self.reads, r.url, r.reads);
        }
    }

    /// Counts a request refused by a limit.
    pub fn refused(&self, reason: &'static str) {
        self.refused.get_or_create(&RefusedLabels { reason }).inc();
    }
}

/// Middleware: counts and times every request.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let start = Instant::now();
    let res = next.run(req).await;
    let m = &state.metrics;
    m.requests
        .get_or_create(&RequestLabels {
            method: method.clone(),
            route: route.clone(),
            status: res.status().as_u16(),
        })
        .inc();
    m.latency
        .get_or_create(&RouteLabels { method, route })
        .observe(start.elapsed().as_secs_f64());
    res
}

/// Any path no route matches: 404, counted under one label (the route layer sees only matched
/// routes).
pub async fn unmatched(State(state): State<AppState>, req: Request) -> StatusCode {
    let method = req.method().to_string();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route: "unmatched".into(),
            status: 404,
        })
        .inc();
    StatusCode::NOT_FOUND
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Response {
    // Ingest runs are read at scrape time from the run log: the runs are made by other
    // processes (`styrhub ingest`), not by this server.
    if let Ok(runs) = state.ports.runs.runs(1_000).await {
        state.metrics.runs.clear();
        for status in [RunStatus::Running, RunStatus::Succeeded, RunStatus::Failed] {
            for source in runs.iter().map(|r| r.source.clone()).collect::<std::collections::BTreeSet<_>>() {
                let n = runs.iter().filter(|r| r.status == status && r.source == source).count() as i64;
                state
                    .metrics
                    .runs
                    .get_or_create(&RunLabels {
                        source,
                        status: status.as_str().into(),
                    })
                    .set(n);
            }
        }
    }
    if let Some(replicas) = &state.ports.replicas {
        state.metrics.replicas(replicas);
    }
    let mut body = String::new();
    match encode(&mut body, &state.metrics.registry) {
        Ok(()) => (
            [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "encoding metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
