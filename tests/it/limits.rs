//! The limits of a public deployment, over HTTP: hostile filter values, over-deep and
//! over-complex queries, malformed and oversized bodies, slow requests, rate limits and
//! introspection; and property-based checks of REST query parameters and the CSV import.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use styrhub_api::app::HttpOptions;
use styrhub_api::limits::Limits;
use styrhub_domain::access::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{both, TestApp, TestDb};

/// Strings shaped like injections, wildcards, escapes and oddities.
fn hostile() -> Vec<String> {
    vec![
        "'; DROP TABLE goal; --".into(),
        "1489' OR '1'='1".into(),
        "\" OR \"\"=\"".into(),
        "%".into(),
        "_".into(),
        "%_%".into(),
        "\\".into(),
        "\\'".into(),
        "'".into(),
        "\u{0}".into(),
        "a\u{0}b".into(),
        "Ålidhem 😀 ∑ \u{202e}".into(),
        "$1".into(),
        "?".into(),
        "*/ SELECT 1; /*".into(),
        " ".into(),
        "".into(),
        "x".repeat(5000),
    ]
}

/// Rows per table, read behind the API's back, to show that nothing changed (a dropped table
/// fails the count).
async fn table_counts(app: &TestApp) -> Vec<(String, u64)> {
    styrhub_store::package::table_counts(app.store.connection())
        .await
        .expect("every table is still there")
}

/// GraphQL lists and lookups with a string argument, each taking `$s`.
const GRAPHQL_FILTERS: &[&str] = &[
    "query($s: String!) { municipality(code: $s) { __typename } }",
    "query($s: String!) { orgUnits(municipality: $s) { __typename } }",
    "query($s: String!) { orgUnits(municipality: \"1489\", after: $s) { __typename } }",
    "query($s: String!) { governanceModels(municipality: $s) { __typename } }",
    "query($s: String!) { visions(municipality: $s) { __typename } }",
    "query($s: String!) { focusAreas(municipality: $s) { __typename } }",
    "query($s: String!) { goals(municipality: $s) { __typename } }",
    "query($s: String!) { goals(municipality: \"1489\", filter: { text: $s }) { totalCount } }",
    "query($s: String!) { goals(municipality: \"1489\", filter: { governanceModel: $s }) { totalCount } }",
    "query($s: String!) { goals(municipality: \"1489\", before: $s) { totalCount } }",
    "query($s: String!) { indicators(municipality: $s) { totalCount } }",
    "query($s: String!) { indicators(municipality: \"1489\", filter: { kpi: $s }) { totalCount } }",
    "query($s: String!) { indicators(municipality: \"1489\", filter: { text: $s }) { totalCount } }",
    "query($s: String!) { kpi(id: $s) { __typename } }",
    "query($s: String!) { kpis(search: $s) { totalCount } }",
    "query($s: String!) { kpis(after: $s) { totalCount } }",
    "query($s: String!) { series(kpi: $s, areas: [\"1489\"]) { __typename } }",
    "query($s: String!) { series(kpi: \"N00090\", areas: [$s]) { __typename } }",
    "query($s: String!) { compare(kpi: \"N00090\", areas: [\"1489\", $s]) { __typename } }",
    "query($s: String!) { basicMissions(municipality: $s) { __typename } }",
    "query($s: String!) { qualityFactors(municipality: $s) { __typename } }",
    "query($s: String!) { politicalDirections(municipality: $s) { __typename } }",
    "query($s: String!) { assignments(municipality: $s) { __typename } }",
    "query($s: String!) { followUps(municipality: $s) { __typename } }",
    "query($s: String!) { budgets(municipality: $s) { __typename } }",
];

/// REST paths with `{}` where a hostile value goes (percent-encoded).
const REST_FILTERS: &[&str] = &[
    "/api/v1/areas?q={}",
    "/api/v1/areas?type={}",
    "/api/v1/areas?parent={}",
    "/api/v1/areas?cursor={}",
    "/api/v1/kpis?q={}",
    "/api/v1/kpis?limit={}",
    "/api/v1/kpis/{}",
    "/api/v1/kpis/{}/series?area=1489",
    "/api/v1/kpis/N00090/series?area={}",
    "/api/v1/kpis/N00090/series?area=1489&gender={}",
    "/api/v1/kpis/N00090/series?area=1489&from={}",
    "/api/v1/kpis/N00090/series?area=1489&format={}",
    "/api/v1/kpis/N00090/ranking?year=2022&group={}",
    "/api/v1/kpis/N00090/ranking?year={}&group=1489",
    "/api/v1/indicators?municipality={}",
    "/api/v1/indicators?municipality=1489&q={}",
    "/api/v1/indicators?municipality=1489&kpi={}",
    "/api/v1/indicators?municipality=1489&kind={}",
    "/api/v1/indicators?municipality=1489&goal={}",
    "/api/v1/indicators/{}",
    "/api/v1/goals?municipality={}",
    "/api/v1/goals?municipality=1489&q={}",
    "/api/v1/goals?municipality=1489&model={}",
    "/api/v1/goals?municipality=1489&kind={}",
    "/api/v1/goals?municipality=1489&year={}",
    "/api/v1/goals/{}",
    "/api/v1/goals/{}/tree",
    "/api/v1/goals/{}/status",
];

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A problem body, as every REST error is.
async fn assert_problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status(), status);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "{body:#}");
    assert!(!body["detail"].as_str().unwrap_or_default().is_empty(), "{body:#}");
    body
}

/// A server with these limits changed from the defaults.
async fn app_with(db: TestDb, change: impl FnOnce(&mut Limits)) -> TestApp {
    let mut limits = Limits::default();
    change(&mut limits);
    TestApp::spawn_with(
        db,
        HttpOptions {
            limits,
            ..HttpOptions::default()
        },
    )
    .await
}

both! {
    async fn hostile_strings_in_every_filter_get_an_answer_or_a_validation_error_and_change_nothing(db: TestDb) {
        // Rate limits off: this test makes several hundred requests.
        let app = app_with(db, |l| l.per_address_per_minute = 0).await.with_demo().await;
        let before = table_counts(&app).await;
        // Each value through every filter at once: the answers do not depend on each other.
        for s in hostile() {
            let graphql = GRAPHQL_FILTERS.iter().map(|query| {
                let (app, s) = (&app, &s);
                async move {
                    let body = app.graphql(query, json!({ "s": s })).await;
                    for e in body["errors"].as_array().into_iter().flatten() {
                        let code = e["extensions"]["code"].as_str().unwrap_or_default();
                        assert!(matches!(code, "VALIDATION" | "NOT_FOUND"), "{query} with {s:?}: {body:#}");
                    }
                }
            });
            let rest = REST_FILTERS.iter().map(|path| {
                let url = path.replace("{}", &encode(&s));
                let app = &app;
                async move {
                    let res = app.get(&url).await;
                    let status = res.status().as_u16();
                    assert!(matches!(status, 200 | 400 | 404), "{url} answered {status}: {}", res.text().await.unwrap_or_default());
                    if status != 200 {
                        let code = if status == 400 { "VALIDATION" } else { "NOT_FOUND" };
                        assert_problem(res, status, code).await;
                    }
                }
            });
            futures_util::future::join(futures_util::future::join_all(graphql), futures_util::future::join_all(rest)).await;
        }
        assert_eq!(table_counts(&app).await, before, "the data is intact");
        // Wildcards match themselves: no demo goal has `%_%` or `_` in its text.
        for wildcard in ["%_%", "_", "%"] {
            let data = app.graphql_data("query($s: String!) { goals(municipality: \"1489\", filter: { text: $s }) { totalCount } }", json!({ "s": wildcard })).await;
            assert_eq!(data["goals"]["totalCount"], 0, "{wildcard}");
        }
        let data = app.graphql_data(r#"{ goals(municipality: "1489") { totalCount } }"#, json!({})).await;
        assert!(data["goals"]["totalCount"].as_i64().unwrap() > 0);
    }

    async fn over_deep_and_over_complex_queries_are_refused_with_a_clear_error(db: TestDb) {
        let app = TestApp::spawn(db).await;
        // Deeper than the default limit of 16: org units' parents, nested (objects, not lists,
        // so that the query is deep without being costly).
        let deep = format!(
            "{{ municipality(code: \"1489\") {}{} }}",
            "{ parent ".repeat(17),
            "{ name }".to_owned() + &" }".repeat(17)
        );
        let body = app.graphql(&deep, json!({})).await;
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("nested too deep"), "{body:#}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION", "{body:#}");
        assert!(body["data"].is_null(), "nothing is executed: {body:#}");

        // A list costs what is under it ten times: `municipalities { name }` is 11, six
        // aliases of it 66.
        let app = app_with(TestDb::sqlite().await, |l| {
            l.graphql_max_complexity = 20;
            l.graphql_max_depth = 3;
        })
        .await;
        let fields: String = (0..6).map(|i| format!("m{i}: municipalities {{ name }} ")).collect();
        let body = app.graphql(&format!("{{ {fields} }}"), json!({})).await;
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("too complex") && message.contains("66"), "{body:#}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "TOO_COMPLEX", "{body:#}");
        assert!(body["data"].is_null(), "nothing is executed: {body:#}");
        let body = app.graphql(r#"{ municipality(code: "1489") { parent { parent { name } } } }"#, json!({})).await;
        assert!(body["errors"][0]["message"].as_str().unwrap_or_default().contains("nested too deep"), "{body:#}");
        app.graphql_data("{ municipalities { name } }", json!({})).await;
    }

    async fn the_default_cost_limit_takes_a_whole_tree_and_refuses_its_fan_out_before_reading(db: TestDb) {
        let (app, statements) = TestApp::spawn_counting(db).await;
        let app = app.with_demo().await;
        // The whole of a municipality's goals with their indicators, statuses and targets.
        app.graphql_data(styrhub_api::synthetic::TREE_QUERY, json!({ "m": "1489" })).await;
        // The same page reaching through every goal's descendants to every series' points, and
        // two aliases of a tree (each counted): refused, and nothing read.
        let fan_out = r#"{ goals(municipality: "1489", first: 1000) { nodes { descendants { goal { indicators {
            series(areas: ["1489"]) { points { period value } } } } } } } }"#;
        let tree = styrhub_api::synthetic::TREE_QUERY;
        let goals = &tree[tree.find("goals(").unwrap()..tree.rfind('}').unwrap()];
        let twice = format!("query Tree($m: String!) {{ a: {goals} b: {goals} }}");
        for query in [fan_out, twice.as_str()] {
            let before = statements.load(std::sync::atomic::Ordering::SeqCst);
            let body = app.graphql(query, json!({ "m": "1489" })).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "TOO_COMPLEX", "{body:#}");
            assert!(body["data"].is_null(), "{body:#}");
            assert_eq!(statements.load(std::sync::atomic::Ordering::SeqCst), before, "refused before anything is read");
        }
    }

    async fn malformed_bodies_are_400_and_oversized_ones_413(db: TestDb) {
        let app = app_with(db, |l| l.max_body_bytes = 4096).await;
        let post = |body: Vec<u8>| app.client().post(app.url("/graphql")).header("content-type", "application/json").body(body).send();
        for bad in [&b"{"[..], b"{\"query\": ", b"[1, 2", b"not json at all", b"{\"query\": 42}", b"\xff\xfe"] {
            let res = post(bad.to_vec()).await.unwrap();
            assert_eq!(res.status(), 400, "{:?}", String::from_utf8_lossy(bad));
            assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION", "{body:#}");
            assert!(body["errors"][0]["message"].as_str().unwrap().contains("not a GraphQL request in JSON"), "{body:#}");
        }

        let big = json!({ "query": format!("{{ municipalities {{ name }} }} #{}", "x".repeat(5000)) }).to_string();
        let res = post(big.clone().into_bytes()).await.unwrap();
        assert_eq!(res.status(), 413);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "TOO_LARGE", "{body:#}");
        // Without a Content-Length (chunked), the body is cut off at the limit all the same.
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        let mut request = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for chunk in big.as_bytes().chunks(1000) {
            request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            request.extend_from_slice(chunk);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        stream.write_all(&request).await.unwrap();
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 413", "{}", String::from_utf8_lossy(&head));
        // REST answers with a problem.
        let res = app.client().post(app.url("/api/v1/areas")).body(vec![b'x'; 5000]).send().await.unwrap();
        assert_problem(res, 413, "TOO_LARGE").await;
        // Under the limit, all is well.
        let res = post(json!({ "query": "{ municipalities { name } }" }).to_string().into_bytes()).await.unwrap();
        assert_eq!(res.status(), 200);
    }

    async fn pages_are_capped_at_the_configured_size(db: TestDb) {
        let app = app_with(db, |l| l.max_page_size = 2).await.with_demo().await;
        let res = app.get("/api/v1/areas?limit=3").await;
        let body = assert_problem(res, 400, "VALIDATION").await;
        assert_eq!(body["parameter"], "limit");
        assert!(body["detail"].as_str().unwrap().contains("between 1 and 2"), "{body:#}");
        let page: Value = app.get("/api/v1/areas").await.json().await.unwrap();
        assert_eq!(page["items"].as_array().map(Vec::len), Some(2), "the default page shrinks to the cap: {page:#}");
        let body = app.graphql(r#"{ goals(municipality: "1489", first: 3) { totalCount } }"#, json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION", "{body:#}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "first", "{body:#}");
        let data = app.graphql_data(r#"{ goals(municipality: "1489") { edges { cursor } } }"#, json!({})).await;
        assert_eq!(data["goals"]["edges"].as_array().unwrap().len(), 2);
        // The OpenAPI document says the same bound.
        let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
        let areas = doc["paths"]["/api/v1/areas"]["get"]["parameters"].as_array().unwrap();
        let limit = areas.iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(limit["schema"]["maximum"].as_f64(), Some(2.0), "{limit:#}");
    }

    async fn a_request_slower_than_the_timeout_is_answered_503(db: TestDb) {
        let app = app_with(db, |l| l.request_timeout = Duration::from_millis(300)).await;
        // A client that announces a body and never sends it: the server gives up on it.
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        stream
            .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), async {
            let mut buf = [0u8; 4096];
            while !String::from_utf8_lossy(&answer).contains("TIMEOUT") {
                let n = stream.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                answer.extend_from_slice(&buf[..n]);
            }
        });
        read.await.expect("an answer within the timeout, long before 10 s");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.contains("\"code\":\"TIMEOUT\""), "{answer}");
        assert_eq!(app.get("/api/v1/kpis").await.status(), 200, "other requests are unaffected");
    }

    async fn a_client_over_its_rate_gets_429_with_retry_after_and_others_still_pass(db: TestDb) {
        let app = app_with(db, |l| {
            l.per_address_per_minute = 7;
            l.per_token_per_minute = 3;
        })
        .await;
        // Two tokens, each verified by a first request (which counts against the address).
        let one = format!("Bearer {}", app.token("one", Role::Reader, None).await);
        let two = format!("Bearer {}", app.token("two", Role::Reader, None).await);
        for token in [&one, &two] {
            assert_eq!(app.get_with("/api/v1/kpis", &[("authorization", token)]).await.status(), 200);
        }
        for _ in 0..5 {
            assert_eq!(app.get("/api/v1/kpis").await.status(), 200);
        }
        let res = app.get("/api/v1/kpis").await;
        let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=9).contains(&retry), "one request every 8.6 s: {retry}");
        assert_problem(res, 429, "RATE_LIMITED").await;
        let res = app.client().post(app.url("/graphql")).json(&json!({ "query": "{ municipalities { name } }" })).send().await.unwrap();
        assert_eq!(res.status(), 429);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
        // The health endpoints are exempt; a verified token has a bucket of its own, and so has
        // another.
        assert_eq!(app.get("/healthz").await.status(), 200);
        assert_eq!(app.get("/readyz").await.status(), 200);
        for _ in 0..3 {
            assert_eq!(app.get_with("/api/v1/kpis", &[("authorization", &one)]).await.status(), 200);
        }
        assert_eq!(app.get_with("/api/v1/kpis", &[("authorization", &one)]).await.status(), 429);
        assert_eq!(app.get_with("/api/v1/kpis", &[("authorization", &two)]).await.status(), 200);
        let metrics = app.get_with("/metrics", &[("authorization", &two)]).await.text().await.unwrap();
        assert!(metrics.contains(r#"styrhub_http_refused_total{reason="rate_limited"} 3"#), "{metrics}");
    }

    async fn invented_tokens_count_against_their_address_and_a_repeated_one_is_not_looked_up(db: TestDb) {
        let mut store = db.store().await;
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        store.observe_statements(move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let limits = Limits {
            per_address_per_minute: 50,
            ..Limits::default()
        };
        let app = TestApp::spawn_on(db, store, HttpOptions { limits, ..HttpOptions::default() }).await;
        let get = |auth: String| {
            let app = &app;
            async move { app.get_with("/api/v1/kpis", &[("authorization", &auth)]).await.status().as_u16() }
        };
        // A real token, verified once while the address has requests left. The address's
        // bucket starts emptying here, and refills one request every 1.2 s from now on.
        let real = format!("Bearer {}", app.token("real", Role::Reader, None).await);
        let begun = std::time::Instant::now();
        assert_eq!(get(real.clone()).await, 200);

        // A bad token repeated: refused the second time without a statement.
        let bad = "Bearer styrhub_not-a-token-anyone-made".to_owned();
        let before = statements.load(Ordering::SeqCst);
        assert_eq!(get(bad.clone()).await, 401);
        let per_look_up = statements.load(Ordering::SeqCst) - before;
        assert!(per_look_up > 0, "the first time, the token is looked up");
        let before = statements.load(Ordering::SeqCst);
        assert_eq!(get(bad).await, 401);
        assert_eq!(statements.load(Ordering::SeqCst), before, "a token refused a moment ago is not looked up again");

        // 2,000 invented tokens from one address: each costs the address a request, so once its
        // 50 are spent (3 above) they are refused with 429, before any look-up. A request the
        // bucket refilled meanwhile is looked up (401).
        let mut answers = Vec::new();
        let mut at_limit = None;
        for n in 0..2000 {
            let status = get(format!("Bearer styrhub_{n:08}{}", uuid::Uuid::new_v4().simple())).await;
            if status == 429 && at_limit.is_none() {
                at_limit = Some((answers.len(), statements.load(Ordering::SeqCst)));
            }
            answers.push(status);
        }
        let refills = (begun.elapsed().as_secs_f64() / 1.2).ceil() as usize;
        assert!(answers[..47].iter().all(|s| *s == 401), "{:?}", &answers[..50]);
        assert!(answers.iter().all(|s| *s == 401 || *s == 429));
        let (first_429, statements_then) = at_limit.expect("the address runs out");
        assert!(first_429 <= 47 + refills, "429 from the 48th on (or a refill later): {first_429}");
        let late = answers[first_429..].iter().filter(|s| **s == 401).count();
        assert!(late <= refills, "only refilled requests pass: {late} in {:?}", begun.elapsed());
        assert_eq!(
            statements.load(Ordering::SeqCst) - statements_then,
            late * per_look_up,
            "no look-up for a request refused with 429"
        );

        // The verified token still has its own bucket; requests without one soon meet the
        // address's empty bucket (it may have refilled one while the loop ran).
        assert_eq!(get(real).await, 200);
        let mut anonymous = Vec::new();
        for _ in 0..3 {
            anonymous.push(app.get("/api/v1/kpis").await.status().as_u16());
        }
        assert!(anonymous.contains(&429), "{anonymous:?}");
    }

    async fn introspection_can_be_switched_off_while_queries_still_work(db: TestDb) {
        let app = app_with(db, |l| l.introspection = false).await;
        for query in [
            "{ __schema { types { name } } }",
            r#"{ __type(name: "Goal") { name } }"#,
            "query { ...f } fragment f on Query { ... on Query { __schema { queryType { name } } } }",
        ] {
            let body = app.graphql(query, json!({})).await;
            assert_eq!(body["errors"][0]["message"], "introspection is disabled on this server", "{body:#}");
            assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION", "{body:#}");
            assert!(body["data"].is_null(), "{body:#}");
        }
        let data = app.graphql_data("{ municipalities { __typename name } }", json!({})).await;
        assert!(data["municipalities"].is_array(), "__typename is no introspection");
        app.graphql_data("{ municipalities { name } }", json!({})).await;

        let open = TestApp::spawn(TestDb::sqlite().await).await;
        let data = open.graphql_data("{ __schema { queryType { name } } }", json!({})).await;
        assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    }

    async fn arbitrary_rest_query_parameters_never_get_a_500(db: TestDb) {
        let app = app_with(db, |l| l.per_address_per_minute = 0).await.with_demo().await;
        let paths = [
            "/api/v1/areas",
            "/api/v1/kpis",
            "/api/v1/kpis/N00090/series",
            "/api/v1/kpis/N00090/ranking",
            "/api/v1/indicators",
            "/api/v1/goals",
        ];
        let names = proptest::sample::select(vec![
            "q", "type", "parent", "cursor", "limit", "area", "areas", "from", "to", "gender", "format", "year", "group",
            "order", "municipality", "goal", "kind", "kpi", "model", "org_unit", "include_archived", "max_depth", "period",
            "subtree", "x",
        ]);
        let values = proptest::prop_oneof![
            proptest::string::string_regex("[0-9]{0,6}").unwrap(),
            proptest::string::string_regex("[A-Za-z0-9,_%;'\"\\-]{0,12}").unwrap(),
            proptest::string::string_regex(".{0,16}").unwrap(),
            proptest::sample::select(vec!["-1".to_owned(), "99999999999999999999".into(), "1489,0000".into(), "T,K,M".into(), "csv".into(), "jsonstat".into()]),
        ];
        let strategy = (proptest::sample::select(paths.to_vec()), proptest::collection::vec((names, values), 0..4));
        // A fixed seed: the same cases every run, so a failure reproduces.
        let mut runner = TestRunner::new_with_rng(Config::default(), proptest::test_runner::TestRng::deterministic_rng(proptest::test_runner::RngAlgorithm::ChaCha));
        for _ in 0..150 {
            let (path, params) = strategy.new_tree(&mut runner).unwrap().current();
            let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
            let url = format!("{path}?{}", query.join("&"));
            let res = app.get(&url).await;
            let status = res.status().as_u16();
            assert!(status < 500, "{url} answered {status}: {}", res.text().await.unwrap_or_default());
        }
    }
}

mod csv_import {
    //! The CSV parser never panics, and valid rows come back as written.

    use proptest::prelude::*;
    use styrhub_domain::ids::Gender;
    use styrhub_domain::observation::SeriesRef;
    use styrhub_ingest::file::parse_csv;

    fn no_indicators(_: &str, _: &str) -> Option<SeriesRef> {
        None
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn any_text_is_parsed_or_refused_without_a_panic(text in ".{0,400}") {
            let _ = parse_csv(&text, &no_indicators);
        }

        #[test]
        fn any_rows_under_a_valid_header_are_parsed_or_refused_without_a_panic(
            rows in proptest::collection::vec("[^\n\r]{0,60}", 0..20),
            semicolon in any::<bool>(),
        ) {
            let header = if semicolon { "kpi;area;period;gender;value;status" } else { "kpi,area,period,gender,value,status" };
            let text = format!("{header}\n{}", rows.join("\n"));
            if let Ok(parsed) = parse_csv(&text, &no_indicators) {
                prop_assert!(parsed.observations.len() + parsed.errors.len() <= rows.len());
            }
        }

        #[test]
        fn valid_rows_round_trip(
            rows in proptest::collection::vec(
                ("N[0-9]{5}", "[0-9]{4}", 1990i32..2040, 0usize..3, proptest::option::of(-1.0e6f64..1.0e6)),
                1..30,
            ),
            semicolon in any::<bool>(),
        ) {
            let sep = if semicolon { ";" } else { "," };
            let genders = [Gender::Total, Gender::Women, Gender::Men];
            let mut text = ["kpi", "area", "period", "gender", "value"].join(sep) + "\n";
            for (kpi, area, period, g, value) in &rows {
                let value = value.map(|v| {
                    let s = format!("{v}");
                    if semicolon { s.replace('.', ",") } else { s }
                }).unwrap_or_default();
                text += &[kpi.clone(), area.clone(), period.to_string(), genders[*g].code().to_owned(), value].join(sep);
                text += "\n";
            }
            let parsed = parse_csv(&text, &no_indicators).unwrap();
            prop_assert!(parsed.errors.is_empty(), "{:?}\n{text}", parsed.errors);
            prop_assert_eq!(parsed.observations.len(), rows.len());
            for (o, (kpi, area, period, g, value)) in parsed.observations.iter().zip(&rows) {
                prop_assert_eq!(o.series.clone(), SeriesRef::Kpi(styrhub_domain::ids::KpiId::parse(kpi).unwrap()));
                prop_assert_eq!(o.area.as_str(), area.as_str());
                prop_assert_eq!(o.period.get(), *period);
                prop_assert_eq!(o.gender, genders[*g]);
                prop_assert_eq!(o.value, *value);
            }
        }
    }
}

both! {
    async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(db: TestDb) {
        let app = app_with(db, |l| {
            l.per_address_per_minute = 2;
            l.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        })
        .await;
        let from = |client: &'static str| [("x-forwarded-for", client)];
        for _ in 0..2 {
            assert_eq!(app.get_with("/api/v1/kpis", &from("203.0.113.5")).await.status(), 200);
        }
        assert_eq!(app.get_with("/api/v1/kpis", &from("203.0.113.5")).await.status(), 429);
        // Another client behind the same proxy is not throttled with the first …
        assert_eq!(app.get_with("/api/v1/kpis", &from("203.0.113.6")).await.status(), 200);
        // … and what a client writes before the proxy's own entry is not believed.
        assert_eq!(app.get_with("/api/v1/kpis", &from("198.51.100.1, 203.0.113.5")).await.status(), 429);
    }

    async fn without_a_trusted_proxy_forwarded_for_is_ignored(db: TestDb) {
        let app = app_with(db, |l| l.per_address_per_minute = 2).await;
        for client in ["203.0.113.5", "203.0.113.6"] {
            assert_eq!(app.get_with("/api/v1/kpis", &[("x-forwarded-for", client)]).await.status(), 200);
        }
        assert_eq!(app.get_with("/api/v1/kpis", &[("x-forwarded-for", "203.0.113.7")]).await.status(), 429);
    }
}
