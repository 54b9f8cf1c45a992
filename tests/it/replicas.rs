//! Read replicas against a real streaming replica the test starts itself ([`Cluster`]): reads go
//! to the replica, a writer reads its own write at once, a replica further behind than the bound
//! or stopped while serving is skipped and the primary answers, and `/readyz` and `/metrics`
//! report each replica's state.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};
use styrhub_api::app::{AppState, HttpOptions};
use styrhub_domain::access::Role;
use styrhub_store::replicas::{ReplicaOptions, ReplicaSet};
use styrhub_store::testcluster::Cluster;

use crate::helpers::{TestApp, TestDb};

const MAX_LAG: Duration = Duration::from_millis(600);
const INTERVAL: Duration = Duration::from_millis(100);

/// The demo on a fresh primary, served with its replica.
async fn served(cluster: &Cluster) -> (TestApp, Arc<ReplicaSet>) {
    let admin = Database::connect(cluster.primary_url("postgres"))
        .await
        .expect("the primary answers");
    admin
        .execute_unprepared("CREATE DATABASE styrhub")
        .await
        .expect("create the database");
    admin.close().await.ok();
    let db = TestDb::at(cluster.primary_url("styrhub"));
    let store = db.store().await;
    styrhub_api::demo::load_all(&store, &crate::helpers::demo_dir())
        .await
        .expect("the demo loads");
    let options = ReplicaOptions {
        max_lag: MAX_LAG,
        interval: INTERVAL,
        acquire_timeout: Duration::from_secs(2),
    };
    let replicas = ReplicaSet::connect(store.clone(), &[cluster.replica_url("styrhub")], options)
        .await
        .expect("the replica set");
    replicas.watch();
    // No rate limit: one test reads as fast as it can while the replica goes away.
    let mut http = HttpOptions::default();
    http.limits.per_address_per_minute = 0;
    let state = AppState::with_replicas(store.clone(), replicas.clone()).with_http(http);
    let app = TestApp::serve_state(db, store, state).await;
    wait_for(|| replicas.statuses()[0].usable, "the replica to catch up with the demo").await;
    (app, replicas)
}

async fn wait_for(mut done: impl FnMut() -> bool, what: &str) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(30), "waited 30 s for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

const CREATE: &str = r#"mutation($input: CreateGoalInput!) { createGoal(input: $input) { goal { id title } } }"#;
const GOAL: &str = r#"query($id: Int!) { goal(id: $id) { id title } }"#;

async fn new_goal(app: &TestApp, token: &str, title: &str) -> i64 {
    let ids = app
        .graphql_data(
            r#"{ orgUnits(municipality: "1489", kind: COMMITTEE, first: 1) { nodes { id } }
                 goals(municipality: "1489", filter: { kind: COUNCIL_GOAL }, first: 1) { nodes { id } } }"#,
            json!({}),
        )
        .await;
    let input = json!({ "input": {
        "municipality": "1489", "governanceModel": "styrmodell-2019", "title": title, "kind": "COMMITTEE_GOAL",
        "ownerId": ids["orgUnits"]["nodes"][0]["id"], "parentIds": [ids["goals"]["nodes"][0]["id"]],
        "validFrom": "2022-01-01", "validTo": "2023-12-31"
    }});
    let body = app.graphql_as(Some(token), CREATE, input).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert_eq!(
        body["data"]["createGoal"]["goal"]["title"], title,
        "the mutation's answer shows what it wrote"
    );
    body["data"]["createGoal"]["goal"]["id"].as_i64().expect("an id")
}

async fn goal_title(app: &TestApp, token: Option<&str>, id: i64) -> Value {
    let body = app.graphql_as(token, GOAL, json!({ "id": id })).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"]["goal"]["title"].clone()
}

async fn on_replica(cluster: &Cluster, sql: &str) {
    let replica = Database::connect(cluster.replica_url("styrhub"))
        .await
        .expect("the replica answers");
    replica.execute_unprepared(sql).await.expect(sql);
    replica.close().await.ok();
}

#[tokio::test]
#[cfg_attr(
    not(styrhub_postgres_tests),
    ignore = "STYRHUB_TEST_DATABASE_URL was not set when the tests were built"
)]
async fn reads_go_to_the_replica_and_a_writer_reads_its_own_write() {
    let cluster = Cluster::start();
    let (app, replicas) = served(&cluster).await;

    // Anonymous reads: every one answered by the replica, none by the primary.
    let primary_before = replicas.primary_reads();
    let res = app.get("/api/v1/kpis/N00090/series?area=1489,0000").await;
    assert_eq!(res.status(), 200);
    let tree = app.get("/api/v1/goals?municipality=1489").await;
    assert_eq!(tree.status(), 200);
    assert!(replicas.statuses()[0].reads >= 2, "{:?}", replicas.statuses());
    assert_eq!(replicas.primary_reads(), primary_before, "the primary answered no read");

    // The replica stops replaying: whatever is written now, it does not have.
    on_replica(&cluster, "SELECT pg_wal_replay_pause()").await;
    let writer = app.token("writer", Role::Admin, None).await;
    let id = new_goal(&app, &writer, "Skrivet nyss").await;
    // The writer reads its own write at once, from the primary.
    assert_eq!(goal_title(&app, Some(&writer), id).await, "Skrivet nyss");

    // Once the replica is further behind than the bound, nobody reads it: the primary answers,
    // and anonymous readers see the write too.
    wait_for(|| !replicas.statuses()[0].usable, "the paused replica to fall behind the bound").await;
    assert_eq!(goal_title(&app, None, id).await, "Skrivet nyss");
    let ready: Value = app.get("/readyz").await.json().await.expect("JSON");
    assert_eq!(ready["status"], "ready", "{ready:#}");
    assert_eq!(ready["replicas"][0]["usable"], false, "{ready:#}");
    assert!(
        ready["replicas"][0]["lagSeconds"].as_f64().unwrap_or(0.0) > MAX_LAG.as_secs_f64(),
        "{ready:#}"
    );
    let metrics = app.get("/metrics").await.text().await.expect("text");
    assert!(metrics.contains("styrhub_replica_up{replica=\""), "{metrics}");
    assert!(
        metrics.lines().any(|l| l.starts_with("styrhub_replica_up{") && l.ends_with(" 0")),
        "the lagging replica is reported down: {metrics}"
    );

    // Replay resumes: the replica is read again, and has the write.
    on_replica(&cluster, "SELECT pg_wal_replay_resume()").await;
    wait_for(|| replicas.statuses()[0].usable, "the replica to catch up again").await;
    let served_before = replicas.statuses()[0].reads;
    let primary_before = replicas.primary_reads();
    assert_eq!(goal_title(&app, None, id).await, "Skrivet nyss");
    assert!(replicas.statuses()[0].reads > served_before, "the replica answered");
    assert_eq!(replicas.primary_reads(), primary_before, "the primary answered no read");
    let metrics = app.get("/metrics").await.text().await.expect("text");
    assert!(
        metrics.lines().any(|l| l.starts_with("styrhub_replica_up{") && l.ends_with(" 1")),
        "{metrics}"
    );
    assert!(metrics.contains("styrhub_database_reads_total{database=\"primary\"}"), "{metrics}");
}

#[tokio::test]
#[cfg_attr(
    not(styrhub_postgres_tests),
    ignore = "STYRHUB_TEST_DATABASE_URL was not set when the tests were built"
)]
async fn a_replica_stopped_while_serving_is_skipped_and_the_primary_answers() {
    let mut cluster = Cluster::start();
    let (app, replicas) = served(&cluster).await;
    let series = "/api/v1/kpis/N00090/series?area=1489,0000";
    let before = app.get(series).await;
    assert_eq!(before.status(), 200);
    let before = before.text().await.expect("a body");
    assert!(replicas.statuses()[0].reads > 0);

    // Reads keep coming while the replica goes away: not one fails.
    let reader = {
        let url = app.url(series);
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut answered = 0;
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(1500) {
                let res = client.get(&url).send().await.expect("an answer");
                assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
                answered += 1;
            }
            answered
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    cluster.stop_replica();
    let answered = reader.await.expect("the reader");
    assert!(answered > 0);

    let after = app.get(series).await;
    assert_eq!(after.status(), 200);
    assert_eq!(after.text().await.expect("a body"), before, "the primary gives the same answer");
    wait_for(|| !replicas.statuses()[0].up, "the stopped replica to be found down").await;
    let primary_before = replicas.primary_reads();
    assert_eq!(app.get(series).await.status(), 200);
    assert!(replicas.primary_reads() > primary_before, "the primary answers");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200, "a replica down leaves the server ready");
    let ready: Value = ready.json().await.expect("JSON");
    assert_eq!(ready["replicas"][0]["up"], false, "{ready:#}");
    assert_eq!(ready["replicas"][0]["lagSeconds"], Value::Null, "{ready:#}");
}

#[tokio::test]
async fn replicas_need_postgresql_as_the_primary() {
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    let err = ReplicaSet::connect(store, &["postgres://postgres@127.0.0.1:1/x".into()], ReplicaOptions::default())
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("read replicas need PostgreSQL"), "{err}");
}

#[tokio::test]
#[cfg_attr(
    not(styrhub_postgres_tests),
    ignore = "STYRHUB_TEST_DATABASE_URL was not set when the tests were built"
)]
async fn serve_reads_through_the_replicas_it_is_given() {
    use crate::faults::{exit, signal, spawn, until};
    let cluster = Cluster::start();
    let admin = Database::connect(cluster.primary_url("postgres"))
        .await
        .expect("the primary answers");
    admin
        .execute_unprepared("CREATE DATABASE styrhub")
        .await
        .expect("create the database");
    admin.close().await.ok();
    let primary = cluster.primary_url("styrhub");
    let store = TestDb::at(primary.clone()).store().await;
    styrhub_api::demo::load_all(&store, &crate::helpers::demo_dir())
        .await
        .expect("the demo loads");

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let replica = cluster.replica_url("styrhub");
    let args = [
        "serve",
        "--addr",
        &format!("127.0.0.1:{port}"),
        "--read-database-url",
        &replica,
        "--replica-max-lag-ms",
        "2000",
        "--replica-check-interval-ms",
        "100",
    ];
    let mut child = spawn(&primary, &args.map(String::from));
    let client = reqwest::Client::new();
    let ready = || async {
        match client.get(format!("{base}/readyz")).send().await {
            Ok(res) => res.json::<Value>().await.is_ok_and(|v| v["replicas"][0]["usable"] == true),
            Err(_) => false,
        }
    };
    until("the server reads its replica", ready).await;
    let res = client
        .get(format!("{base}/api/v1/kpis/N00090/series?area=1489,0000"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let ready: Value = client.get(format!("{base}/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["replicas"][0]["url"], replica, "{ready:#}");
    assert!(
        ready["replicas"][0]["reads"].as_u64().unwrap() > 0,
        "the replica answered the series: {ready:#}"
    );
    signal(&child, "TERM");
    let (status, out, err) = exit(&mut child, Duration::from_secs(20)).await;
    assert!(status.success(), "{out}\n{err}");
}
