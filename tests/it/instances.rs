//! Several API instances on one database behave as one: two `styrhub serve` processes and an
//! ingest at once, through the binary. Nothing a reader must see lives in one process's memory:
//! a write through one instance is read through the other at once, and both answer alike once
//! the ingest is done. Rate limits are per instance, as the README says.

use std::process::Child;
use std::time::Duration;

use serde_json::{json, Value};
use styrhub_domain::access::Role;
use styrhub_ingest::testserver::{Fixture, TestServer};

use crate::faults::{exit, signal, spawn, sync_args, until};
use crate::helpers::{both, mint_token, summary_count};

/// One `styrhub serve` on `db`, answering on its own port.
struct Instance {
    child: Child,
    base: String,
}

impl Instance {
    async fn start(db: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let args = ["serve", "--addr", &addr, "--rate-limit-per-minute", "0"];
        let child = spawn(db, &args.map(String::from));
        let base = format!("http://{addr}");
        let client = reqwest::Client::new();
        until("the instance answers", || async {
            client.get(format!("{base}/healthz")).send().await.is_ok()
        })
        .await;
        Self { child, base }
    }

    async fn get(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        let res = client.get(format!("{}{path}", self.base)).send().await.expect("an answer");
        (res.status().as_u16(), res.text().await.expect("a body"))
    }

    async fn graphql(&self, client: &reqwest::Client, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = client.post(format!("{}/graphql", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let body: Value = req
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("an answer")
            .json()
            .await
            .expect("JSON");
        assert!(body.get("errors").is_none(), "{body:#}");
        body["data"].clone()
    }

    async fn stop(mut self) {
        signal(&self.child, "TERM");
        let (status, out, err) = exit(&mut self.child, Duration::from_secs(20)).await;
        assert!(status.success(), "{out}\n{err}");
    }
}

both! {
    async fn two_instances_and_an_ingest_at_once_behave_as_one(db: TestDb) {
        let store = db.store().await;
        styrhub_api::demo::load_all(&store, &crate::helpers::demo_dir()).await.expect("the demo loads");
        let token = mint_token(&store, "writer", Role::Admin, None).await;
        let (a, b) = (Instance::start(&db.url).await, Instance::start(&db.url).await);
        let client = reqwest::Client::new();

        // An ingest of thirty areas, page by page, while both instances serve.
        let fixture = Fixture::sample().with_page_size_cap(10);
        let areas: Vec<String> = fixture.municipalities.iter().take(30).map(|m| m["id"].as_str().unwrap().to_owned()).collect();
        let server = TestServer::start(fixture);
        // A municipality the hub has no values for until the ingest writes them (not a region:
        // those start with 00; every seventh area's value is missing).
        let (_, area) = areas.iter().enumerate().find(|(i, a)| !a.starts_with("00") && i % 7 != 0).expect("a municipality");
        let new_series = format!("/api/v1/kpis/N00090/series?area={area}");
        for instance in [&a, &b] {
            assert_eq!(instance.get(&client, &new_series).await.0, 404, "no values for {area} yet");
        }
        let series = "/api/v1/kpis/N00090/series?area=1489,0000";
        let mut ingest = spawn(&db.url, &sync_args(&server, &areas.join(",")));

        let ids = a
            .graphql(
                &client,
                None,
                r#"{ orgUnits(municipality: "1489", kind: COMMITTEE, first: 1) { nodes { id } }
                     goals(municipality: "1489", filter: { kind: COUNCIL_GOAL }, first: 1) { nodes { id } } }"#,
                json!({}),
            )
            .await;
        let input = json!({ "input": {
            "municipality": "1489", "governanceModel": "styrmodell-2019", "title": "Skrivet via A", "kind": "COMMITTEE_GOAL",
            "ownerId": ids["orgUnits"]["nodes"][0]["id"], "parentIds": [ids["goals"]["nodes"][0]["id"]],
            "validFrom": "2022-01-01", "validTo": "2023-12-31"
        }});
        let created = a
            .graphql(&client, Some(&token), "mutation($input: CreateGoalInput!) { createGoal(input: $input) { goal { id } } }", input)
            .await;
        let id = created["createGoal"]["goal"]["id"].as_i64().expect("an id");
        // Written through A, read through B at once: no instance keeps what the other must see.
        let seen = b.graphql(&client, None, "query($id: Int!) { goal(id: $id) { title } }", json!({ "id": id })).await;
        assert_eq!(seen["goal"]["title"], "Skrivet via A");

        let mut during = 0;
        loop {
            let running = ingest.try_wait().unwrap().is_none();
            for instance in [&a, &b] {
                let (status, body) = instance.get(&client, series).await;
                assert_eq!(status, 200, "{body}");
            }
            if !running {
                break;
            }
            during += 1;
        }
        let (status, out, err) = exit(&mut ingest, Duration::from_secs(60)).await;
        assert!(status.success(), "{out}\n{err}");
        assert!(summary_count(&out, "inserted") > 500, "{out}");
        assert!(during > 0, "both instances answered while the ingest wrote");

        // Once it is done, both answer alike, with what it wrote.
        let (status, from_a) = a.get(&client, &new_series).await;
        assert_eq!(status, 200, "{from_a}");
        assert_eq!(b.get(&client, &new_series).await, (200, from_a), "the two instances answer alike, with the ingest's values");

        // Each instance counts its own requests (and so limits its own rates).
        let (_, metrics_a) = a.get(&client, "/metrics").await;
        let (_, metrics_b) = b.get(&client, "/metrics").await;
        assert_ne!(requests(&metrics_a), requests(&metrics_b), "each instance counts only what it answered");
        a.stop().await;
        b.stop().await;
    }
}

/// The count of GraphQL POSTs in a `/metrics` text: A answered three, B one.
fn requests(metrics: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("styrhub_http_requests_total{") && l.contains("route=\"/graphql\"") && l.contains("method=\"POST\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}
