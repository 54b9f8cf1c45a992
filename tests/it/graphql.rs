use serde_json::json;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use styrhub_api::app::HttpOptions;
use styrhub_domain::access::Role;
use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource};
use styrhub_domain::ports::ObservationWriter;

use crate::helpers::{both, repo_root, TestApp};

const GOALS: &str = r#"
query Goals($m: String!, $model: String, $kind: GoalKind) {
  goals(municipality: $m, filter: { governanceModel: $model, kind: $kind }) {
    totalCount
    nodes {
      key title kind validFrom validTo
      owner { name shortName kind }
      focusArea { key title }
    }
  }
}"#;

/// An indicator's latest value and a goal's title: what the kept-answer test watches change.
const WATCHED: &str = r#"query($m: String!) {
  indicators(municipality: $m, filter: { kpi: "N00090" }) { nodes { latestValue { period value } } }
  goals(municipality: $m, filter: { kind: COUNCIL_GOAL }, first: 1) { nodes { id title } }
}"#;

both! {
    async fn query_answers_are_kept_per_caller_for_their_time_to_live_and_a_committed_mutation_forgets_them(db: TestDb) {
        let http = HttpOptions {
            graphql_cache_ttl: Duration::from_millis(1500),
            ..HttpOptions::default()
        };
        let mut store = db.store().await;
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        store.observe_statements(move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let app = TestApp::spawn_on(db, store, http).await.with_demo().await;
        let admin = app.token("admin", Role::Admin, None).await;
        let run = |query: &'static str, vars: serde_json::Value| {
            let (app, statements) = (&app, &statements);
            async move {
                let before = statements.load(Ordering::SeqCst);
                let body = app.graphql(query, vars).await;
                (body, statements.load(Ordering::SeqCst) - before)
            }
        };
        let vars = json!({ "m": "1489" });
        let latest = |data: &serde_json::Value| data["indicators"]["nodes"][0]["latestValue"].clone();
        let first = app.graphql_data(WATCHED, vars.clone()).await;
        let period = latest(&first)["period"].as_i64().expect("the demo indicator has a latest value");
        // A revision written behind the server's back, as an ingest in another process writes.
        let revised = NewObservation {
            series: SeriesRef::Kpi(KpiId::parse("N00090").unwrap()),
            area: AreaCode::parse("1489").unwrap(),
            period: Year::new(period as i32).unwrap(),
            gender: Gender::Total,
            value: Some(123.25),
            status: None,
            count: None,
            source: ValueSource::Kolada,
            deleted: false,
        };
        app.store.write_batch(&[revised]).await.unwrap();
        // Within the time to live: the kept answer for the same caller and request, without a
        // statement; another caller, or other variables, are answers of their own, run afresh.
        let (kept, ran) = run(WATCHED, vars.clone()).await;
        assert_eq!((kept["data"].clone(), ran), (first, 0));
        let as_admin = app.graphql_as(Some(&admin), WATCHED, vars.clone()).await;
        assert_eq!(latest(&as_admin["data"])["value"], 123.25, "{as_admin:#}");
        let other = app.graphql_data(WATCHED, json!({ "m": "1489", "unused": 1 })).await;
        assert_eq!(latest(&other)["value"], 123.25);
        // After it: the database again.
        tokio::time::sleep(Duration::from_millis(1600)).await;
        let fresh = app.graphql_data(WATCHED, vars.clone()).await;
        assert_eq!(latest(&fresh)["value"], 123.25);
        // A mutation that commits forgets every kept answer at once: its writer, and
        // everyone else, reads what it wrote well within the time to live.
        let goal = fresh["goals"]["nodes"][0]["id"].as_i64().unwrap();
        let renamed = app
            .graphql_as(
                Some(&admin),
                "mutation($id: Int!) { updateGoal(id: $id, input: { title: \"Ett omformulerat mål\" }) { goal { id } } }",
                json!({ "id": goal }),
            )
            .await;
        assert!(renamed.get("errors").is_none(), "{renamed:#}");
        let after = app.graphql_data(WATCHED, vars.clone()).await;
        assert_eq!(after["goals"]["nodes"][0]["title"], "Ett omformulerat mål", "{after:#}");
        // Answers with errors are never kept: the same failing request reads the database each time.
        for _ in 0..2 {
            let (body, ran) = run(WATCHED, json!({ "m": "9998" })).await;
            assert!(body.get("errors").is_some(), "{body:#}");
            assert!(ran > 0, "an answer with errors was served from the cache: {body:#}");
        }
    }

    async fn the_demo_council_goals_come_back_over_http(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let data = app.graphql_data(GOALS, json!({ "m": "1489", "model": "styrmodell-2019", "kind": "COUNCIL_GOAL" })).await;
        let goals = data["goals"]["nodes"].as_array().unwrap();
        assert_eq!(goals.len(), 5, "{data:#}");
        assert_eq!(goals[0]["title"], "I Alingsås ska alla ha tillgång till det goda och trygga livet");
        assert_eq!(goals[0]["validFrom"], "2021-01-01");
        assert_eq!(goals[0]["validTo"], "2023-12-31");
        for g in goals {
            assert_eq!(g["kind"], "COUNCIL_GOAL");
            assert_eq!(g["owner"]["kind"], "COUNCIL", "{g:#}");
            assert!(g["focusArea"]["title"].is_string(), "every council goal has a focus area: {g:#}");
        }
    }

    async fn the_2024_model_has_its_one_overarching_goal(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let data = app.graphql_data(GOALS, json!({ "m": "1489", "model": "styrmodell-2024" })).await;
        let titles: Vec<&str> = data["goals"]["nodes"].as_array().unwrap().iter().map(|g| g["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["Sveriges mest effektiva kommun"]);
    }

    async fn an_unknown_municipality_is_not_found_with_a_code(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let body = app.graphql(GOALS, json!({ "m": "9999" })).await;
        let err = &body["errors"][0];
        assert_eq!(err["extensions"]["code"], "NOT_FOUND", "{body:#}");
        assert!(err["message"].as_str().unwrap().contains("9999"), "{body:#}");
    }

    async fn municipalities_and_their_governance_models_are_listed(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let data = app
            .graphql_data(
                r#"{ municipalities { municipalityCode name }
                     governanceModels(municipality: "0764") { key qualityIndicatorsHaveTargets followUpReports } }"#,
                json!({}),
            )
            .await;
        let codes: Vec<&str> = data["municipalities"].as_array().unwrap().iter().map(|m| m["municipalityCode"].as_str().unwrap()).collect();
        assert_eq!(codes, ["0486", "0764", "1489", "1490"]);
        let alvesta = &data["governanceModels"][0];
        assert_eq!(alvesta["qualityIndicatorsHaveTargets"], false, "Alvesta never sets targets on quality indicators");
    }

    async fn graphiql_is_served_to_browsers(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let res = app.get("/graphql").await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("graphiql"), "{html}");
    }
}

#[test]
fn the_committed_schema_is_up_to_date() {
    let path = repo_root().join("schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let current = styrhub_api::graphql::sdl();
    assert!(
        committed == current,
        "schema.graphql is out of date: run `cargo run -q -p styrhub-api -- schema > schema.graphql` and commit it"
    );
}

#[tokio::test]
async fn every_type_and_field_has_a_description() {
    let schema = styrhub_api::graphql::build_schema(&Default::default());
    let res = schema
        .execute(
            "{ __schema { types { name kind description fields { name description } inputFields { name description } enumValues { name description } } } }",
        )
        .await;
    assert!(res.errors.is_empty(), "{:?}", res.errors);
    let data = res.data.into_json().unwrap();
    let mut missing = Vec::new();
    let blank = |v: &serde_json::Value| v.as_str().is_none_or(|s| s.trim().is_empty());
    for t in data["__schema"]["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        // async-graphql generates `…Connection` types without a type description (their
        // fields have them); everything of ours must have one.
        if blank(&t["description"]) && !name.ends_with("Connection") {
            missing.push(name.to_owned());
        }
        for list in ["fields", "inputFields", "enumValues"] {
            for f in t[list].as_array().into_iter().flatten() {
                if blank(&f["description"]) {
                    missing.push(format!("{name}.{}", f["name"].as_str().unwrap()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "without a description: {missing:#?}");
}
