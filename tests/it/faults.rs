//! Faults, through the `styrhub` binary where a process is involved: SIGTERM lets a request in
//! flight finish and stops an ingest between two pages; SIGKILL mid-ingest and a re-run leave
//! complete data; reads keep being answered while an ingest writes; the database going away
//! and coming back is a 503 and then normal service, with no restart.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};
use styrhub_api::app::HttpOptions;
use styrhub_api::limits::Limits;
use styrhub_domain::access::Role;
use styrhub_domain::ingest::RunStatus;
use styrhub_domain::ports::{RunLog, RUN_LEASE};
use styrhub_ingest::testserver::{Fault, FaultKind, Fixture, TestServer, SAMPLE_DATA_KPIS};
use styrhub_store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{both, mint_token, styrhub_command, summary_count, DbProxy, TestApp, TestDb};

/// Starts the binary with these arguments on `db`, its output captured.
pub(crate) fn spawn(db: &str, args: &[String]) -> Child {
    styrhub_command(db)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

pub(crate) fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(ok.success(), "kill -{name}");
}

/// Waits for the process to end (at most `limit`, generous), without blocking the runtime.
pub(crate) async fn exit(child: &mut Child, limit: Duration) -> (ExitStatus, String, String) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            let mut err = String::new();
            use std::io::Read;
            child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            return (status, out, err);
        }
        assert!(start.elapsed() < limit, "the process did not end within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `check` until it holds (at most 20 s, generous): a condition to wait for, never a
/// fixed sleep.
pub(crate) async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn observations(store: &Store) -> i64 {
    let db = store.connection();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM observation",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

/// `ingest kolada` of the sample KPIs for three areas against `server`.
pub(crate) fn sync_args(server: &TestServer, areas: &str) -> Vec<String> {
    let kpis: Vec<&str> = SAMPLE_DATA_KPIS.iter().map(|(k, _)| *k).collect();
    let args = [
        "ingest",
        "kolada",
        "--kpi",
        &kpis.join(","),
        "--municipality",
        areas,
        "--years",
        "2020-2023",
        "--base-url",
        &server.base_url(),
        "--rate",
        "1000",
        "--max-tries",
        "2",
        "--timeout",
        "60",
        "--backoff-ms",
        "10",
    ];
    args.iter().map(|s| s.to_string()).collect()
}

/// The count after `name ` in a summary line.
fn count(text: &str, name: &str) -> i64 {
    summary_count(text, name) as i64
}

/// A server that serves the first data page and then holds every later one for a minute: an
/// ingest is mid-run, one page committed, for as long as the test needs.
fn paused_after_one_page() -> TestServer {
    TestServer::start(
        Fixture::sample()
            .with_page_size_cap(10)
            .with_fault(Fault::new("/v3/data", 1, FaultKind::Pass))
            .with_fault(Fault::always("/v3/data", FaultKind::Delay(Duration::from_secs(60)))),
    )
}

/// Runs the same sync against a healthy server and checks that it completes the data: every
/// observation fetched is stored once, what the interrupted run wrote is unchanged.
async fn rerun_completes(db: &TestDb, store: &Store, written_before: i64) {
    let server = TestServer::start(Fixture::sample().with_page_size_cap(10));
    let (status, out, err) = exit(&mut spawn(&db.url, &sync_args(&server, "1489,0000,1490")), Duration::from_secs(60)).await;
    assert!(status.success(), "{out}\n{err}");
    let fetched = count(&out, "fetched");
    assert_eq!(
        count(&out, "unchanged"),
        written_before,
        "the first run's page is kept as written: {out}"
    );
    assert_eq!(count(&out, "inserted") + written_before, fetched, "{out}");
    assert_eq!(count(&out, "updated"), 0, "{out}");
    assert_eq!(observations(store).await, fetched, "complete, nothing twice");
}

both! {
    async fn sigterm_lets_the_request_in_flight_finish_and_the_server_exit_cleanly(db: TestDb) {
        // A real token: once verified, the rate limiter gives it a bucket of its own, and the
        // access layer lets it through.
        let store = db.store().await;
        let token = mint_token(&store, "reader", Role::Reader, None).await;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let args = ["serve", "--addr", &addr, "--rate-limit-per-minute", "2", "--max-body-bytes", "1000"];
        let mut child = spawn(&db.url, &args.map(String::from));
        let client = reqwest::Client::new();
        until("the server answers", || async { client.get(format!("http://{addr}/healthz")).send().await.is_ok() }).await;
        // The flags reach the server: the per-address limit (so the peer address is known) …
        let kpis = format!("http://{addr}/api/v1/kpis");
        // (the token's first request, which verifies it, counts against the address)
        assert_eq!(client.get(&kpis).bearer_auth(&token).send().await.unwrap().status(), 200);
        for expected in [200, 429] {
            assert_eq!(client.get(&kpis).send().await.unwrap().status(), expected);
        }
        // … and the body limit (a token has a bucket of its own).
        let big = client.post(format!("http://{addr}/graphql")).bearer_auth(&token).body(vec![b' '; 2000]).send().await.unwrap();
        assert_eq!(big.status(), 413);

        // A request whose handler has started (the server asked for the body: 100 Continue)
        // and cannot finish before the rest of the body arrives.
        let body = json!({ "query": "{ municipalities { name } }" }).to_string();
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; 25];
        stream.read_exact(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 100 Continue"), "{}", String::from_utf8_lossy(&buf));

        signal(&child, "TERM");
        // The listener closes first: new connections are refused …
        until("the listener closes", || async { tokio::net::TcpStream::connect(&addr).await.is_err() }).await;
        assert!(child.try_wait().unwrap().is_none(), "… while the request in flight keeps the process up");
        // … and the request in flight is answered in full.
        stream.write_all(body.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let json_start = answer.find("\r\n\r\n").unwrap() + 4;
        let payload: Value = serde_json::from_str(&answer[json_start..]).unwrap_or_else(|e| panic!("{e}: {answer}"));
        assert!(payload["data"]["municipalities"].is_array(), "{payload:#}");
        let (status, _, err) = exit(&mut child, Duration::from_secs(20)).await;
        assert!(status.success(), "exit code 0 after a graceful shutdown: {status:?} {err}");
    }

    async fn sigterm_stops_an_ingest_after_the_page_it_wrote_and_a_rerun_completes_it(db: TestDb) {
        let store = db.store().await;
        let server = paused_after_one_page();
        let mut child = spawn(&db.url, &sync_args(&server, "1489,0000,1490"));
        until("the first page is committed", || async { observations(&store).await > 0 }).await;
        let written = observations(&store).await;
        signal(&child, "TERM");
        let (status, out, err) = exit(&mut child, Duration::from_secs(20)).await;
        assert_eq!(status.code(), Some(1), "a stopped sync is not a success: {out}\n{err}");
        assert!(err.contains("stopped: after the page"), "{err}");
        assert_eq!(observations(&store).await, written, "nothing after the page it was writing");

        let runs = store.runs(10).await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].status, RunStatus::Failed);
        let error = runs[0].error.as_deref().unwrap();
        assert!(error.contains("/v3/data/") && error.contains("run the same sync again"), "where it stopped: {error}");
        assert_eq!(runs[0].counts.written.inserted as i64, written, "its counts are recorded");

        rerun_completes(&db, &store, written).await;
        let runs = store.runs(10).await.unwrap();
        assert_eq!(runs.iter().filter(|r| r.status == RunStatus::Succeeded).count(), 1);
    }

    async fn an_ingest_killed_mid_run_is_completed_by_the_next_run_and_marked_failed(db: TestDb) {
        let store = db.store().await;
        let server = paused_after_one_page();
        let mut child = spawn(&db.url, &sync_args(&server, "1489,0000,1490"));
        until("the first page is committed", || async { observations(&store).await > 0 }).await;
        let written = observations(&store).await;
        signal(&child, "KILL");
        let (status, _, _) = exit(&mut child, Duration::from_secs(20)).await;
        assert!(!status.success());
        let runs = store.runs(10).await.unwrap();
        assert_eq!(runs[0].status, RunStatus::Running, "a killed process records nothing");
        // Time passes: the killed process's heartbeat stays quiet past the lease.
        let quiet = chrono::Utc::now() - chrono::Duration::from_std(RUN_LEASE * 2).unwrap();
        store.heartbeat(runs[0].id, quiet).await.unwrap();

        rerun_completes(&db, &store, written).await;
        let runs = store.runs(10).await.unwrap();
        let killed = runs.iter().find(|r| r.id == runs.iter().map(|r| r.id).min().unwrap()).unwrap();
        assert_eq!(killed.status, RunStatus::Failed);
        assert!(killed.error.as_deref().unwrap().contains("interrupted"), "{killed:?}");
    }

    async fn a_run_started_elsewhere_leaves_a_live_run_running(db: TestDb) {
        let store = db.store().await;
        let server = paused_after_one_page();
        let mut live = spawn(&db.url, &sync_args(&server, "1489,0000,1490"));
        until("the first page is committed", || async { observations(&store).await > 0 }).await;
        // Another sync of the same source, from another process, while the first one is alive.
        let other = TestServer::start(Fixture::sample().with_page_size_cap(10));
        let (status, out, err) = exit(&mut spawn(&db.url, &sync_args(&other, "1489")), Duration::from_secs(60)).await;
        assert!(status.success(), "{out}\n{err}");
        let runs = store.runs(10).await.unwrap();
        let first = runs.iter().min_by_key(|r| r.id).unwrap();
        assert_eq!(first.status, RunStatus::Running, "a live run is not taken for interrupted: {runs:?}");
        assert!(runs.iter().any(|r| r.id != first.id && r.status == RunStatus::Succeeded), "{runs:?}");

        // The live run ends as it ends by itself: stopped, not interrupted.
        signal(&live, "TERM");
        let (status, _, _) = exit(&mut live, Duration::from_secs(20)).await;
        assert_eq!(status.code(), Some(1));
        let first = store.runs(10).await.unwrap().into_iter().find(|r| r.id == first.id).unwrap();
        assert_eq!(first.status, RunStatus::Failed);
        assert!(first.error.as_deref().is_some_and(|e| e.contains("stopped") && !e.contains("interrupted")), "{first:?}");
    }

    async fn a_run_is_taken_for_interrupted_only_once_its_heartbeat_has_gone_quiet(db: TestDb) {
        let store = db.store().await;
        let lease = chrono::Duration::from_std(RUN_LEASE).unwrap();
        let t0 = chrono::Utc::now();
        let a = store.start_run("kolada", "{}", t0).await.unwrap();
        store.heartbeat(a, t0 + lease / 2).await.unwrap();
        // Started while `a` still beats (its last beat within the lease): `a` stays running.
        let b = store.start_run("kolada", "{}", t0 + lease).await.unwrap();
        // Another source's start never touches them.
        store.start_run("file", "{}", t0 + lease * 3).await.unwrap();
        let status = |runs: &[styrhub_domain::ingest::IngestRun], id: i64| runs.iter().find(|r| r.id == id).unwrap().status;
        let runs = store.runs(10).await.unwrap();
        assert_eq!((status(&runs, a), status(&runs, b)), (RunStatus::Running, RunStatus::Running));
        // `b` beats on, `a` has gone quiet for longer than the lease: the next start takes `a`
        // for interrupted and leaves `b` running.
        store.heartbeat(b, t0 + lease * 2).await.unwrap();
        store.start_run("kolada", "{}", t0 + lease * 2 + chrono::Duration::seconds(1)).await.unwrap();
        let runs = store.runs(10).await.unwrap();
        assert_eq!((status(&runs, a), status(&runs, b)), (RunStatus::Failed, RunStatus::Running));
        let interrupted = runs.iter().find(|r| r.id == a).unwrap();
        assert!(interrupted.error.as_deref().is_some_and(|e| e.contains("interrupted")), "{interrupted:?}");
    }

    async fn reads_are_answered_while_an_ingest_writes(db: TestDb) {
        let limits = Limits { per_address_per_minute: 0, ..Limits::default() };
        let app = TestApp::spawn_with(db, HttpOptions { limits, ..HttpOptions::default() }).await;
        let app = app.with_demo().await;
        // Thirty areas, ten rows a page: some forty pages, each its own transaction.
        let fixture = Fixture::sample().with_page_size_cap(10);
        let areas: Vec<String> = fixture.municipalities.iter().take(30).map(|m| m["id"].as_str().unwrap().to_owned()).collect();
        let server = TestServer::start(fixture);
        let url = app_url(&app);
        let mut child = spawn(&url, &sync_args(&server, &areas.join(",")));
        let mut reads = 0;
        let mut during = 0;
        loop {
            let running = child.try_wait().unwrap().is_none();
            let res = app.get("/api/v1/kpis/N00090/series?area=1489,0000").await;
            assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
            let data = app.graphql_data(r#"{ goals(municipality: "1489") { totalCount } }"#, json!({})).await;
            assert!(data["goals"]["totalCount"].as_i64().unwrap() > 0);
            reads += 1;
            if !running {
                break;
            }
            during += 1;
        }
        let (status, out, err) = exit(&mut child, Duration::from_secs(60)).await;
        assert!(status.success(), "{out}\n{err}");
        assert!(during > 0, "reads ran while the ingest wrote ({reads} in all)");
        assert!(count(&out, "inserted") > 500, "{out}");
    }
}

both! {
    async fn an_exhausted_pool_is_503_fast_and_frees_up_by_itself(db: TestDb) {
        use sea_orm::TransactionTrait;
        let store = Store::connect_with(&db.url, Duration::from_millis(300)).await.unwrap();
        store.migrate().await.unwrap();
        let app = TestApp::spawn_on(db, store.clone(), HttpOptions::default()).await;
        assert_eq!(app.get("/api/v1/areas").await.status(), 200);
        // Every pooled connection held in an open transaction, until the pool has none left.
        let mut held = Vec::new();
        while held.len() < 64 {
            match store.connection().begin().await {
                Ok(tx) => held.push(tx),
                Err(_) => break,
            }
        }
        assert!(held.len() < 64, "the pool is bounded");
        let res = app.get("/api/v1/areas").await;
        assert_eq!(res.status(), 503);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "UNAVAILABLE", "{body:#}");
        let body = app.graphql("{ municipalities { name } }", json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE", "{body:#}");
        assert_eq!(app.get("/readyz").await.status(), 503);
        drop(held);
        until("the pool has connections again", || async { app.get("/api/v1/areas").await.status() == 200 }).await;
        assert_eq!(app.get("/readyz").await.status(), 200);
    }
}

/// The app's database URL (the test app keeps its database for as long as it lives).
fn app_url(app: &TestApp) -> String {
    app.db_url().to_owned()
}

/// The database goes away behind a proxy: requests fail fast with 503 and a clear message, in
/// REST and GraphQL, `/readyz` says not ready; when it is back, everything answers again without
/// a restart. (PostgreSQL only: an SQLite file cannot go away like this.)
#[tokio::test]
#[cfg_attr(
    not(styrhub_postgres_tests),
    ignore = "PostgreSQL only, and STYRHUB_TEST_DATABASE_URL was not set when the tests were built"
)]
async fn a_lost_database_is_503_fast_and_service_resumes_by_itself() {
    let db = TestDb::postgres().await;
    db.store().await;
    let proxy = DbProxy::start(&db.url).await;
    let app = TestApp::spawn(TestDb::at(proxy.url.clone())).await;
    assert_eq!(app.get("/api/v1/areas").await.status(), 200);
    // A series read keeps its connection for the next one (`styrhub_store::warm`): those kept
    // connections die with the database too.
    const SERIES: &str = "/api/v1/kpis/N00001/series?area=0000";
    for _ in 0..3 {
        assert_eq!(app.get(SERIES).await.status(), 404, "no such KPI yet");
    }

    proxy.take_down().await;
    let res = app.get(SERIES).await;
    assert_eq!(res.status(), 503, "a kept connection that died is the database unavailable");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "UNAVAILABLE", "{body:#}");
    let started = Instant::now();
    let res = app.get("/api/v1/areas").await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "UNAVAILABLE", "{body:#}");
    assert!(body["detail"].as_str().unwrap().contains("database is unavailable"), "{body:#}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "fails within the acquire timeout, not a request timeout"
    );
    let body = app.graphql("{ municipalities { name } }", json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE", "{body:#}");
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200);

    proxy.set_up(true);
    until("the service answers again", || async {
        app.get("/api/v1/areas").await.status() == 200
    })
    .await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.graphql_data("{ municipalities { name } }", json!({})).await;
    // The dead kept connections are dropped, not handed out again.
    for _ in 0..5 {
        assert_eq!(app.get(SERIES).await.status(), 404);
    }
    drop(db);
}
