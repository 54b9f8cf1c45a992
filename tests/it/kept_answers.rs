//! Kept answers (`answer_cache`), across both protocols: off by default; when switched on,
//! forgotten by a mutation that committed and by nothing else, so nobody can flush them by
//! sending a mutation that is then refused.

use std::time::Duration;

use serde_json::{json, Value};
use styrhub_api::app::HttpOptions;
use styrhub_domain::access::Role;
use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource};
use styrhub_domain::ports::ObservationWriter;

use crate::helpers::{both, TestApp};

/// An indicator's latest value and a goal's title, as GraphQL answers them.
const WATCHED: &str = r#"query($m: String!) {
  indicators(municipality: $m, filter: { kpi: "N00090" }) { nodes { latestValue { period value } } }
  goals(municipality: $m, filter: { kind: COUNCIL_GOAL }, first: 1) { nodes { id title } }
}"#;

const RENAME: &str = r#"mutation($id: Int!, $title: String!) { updateGoal(id: $id, input: { title: $title }) { goal { id } } }"#;

/// The same indicator's series, as REST answers it.
const SERIES: &str = "/api/v1/kpis/N00090/series?area=1489";

fn latest(data: &Value) -> Value {
    data["indicators"]["nodes"][0]["latestValue"].clone()
}

/// The value a REST series answer gives for `period`.
fn rest_value(body: &Value, period: i64) -> Option<f64> {
    body["series"][0]["points"]
        .as_array()?
        .iter()
        .find(|p| p["period"].as_i64() == Some(period))?["value"]
        .as_f64()
}

async fn series(app: &TestApp) -> Value {
    let res = app.get(SERIES).await;
    assert_eq!(res.status(), 200, "GET {SERIES}");
    res.json().await.unwrap()
}

/// Writes `value` for the demo's latest N00090 period behind the server's back, as an ingest in
/// another process writes.
async fn revise_behind_the_servers_back(app: &TestApp, period: i64, value: f64) {
    let revised = NewObservation {
        series: SeriesRef::Kpi(KpiId::parse("N00090").unwrap()),
        area: AreaCode::parse("1489").unwrap(),
        period: Year::new(period as i32).unwrap(),
        gender: Gender::Total,
        value: Some(value),
        status: None,
        count: None,
        source: ValueSource::Kolada,
        deleted: false,
    };
    app.store.write_batch(&[revised]).await.unwrap();
}

/// Both caches on, for far longer than any of these tests takes.
fn kept() -> HttpOptions {
    HttpOptions {
        series_cache_ttl: Duration::from_secs(120),
        graphql_cache_ttl: Duration::from_secs(120),
        ..HttpOptions::default()
    }
}

both! {
    async fn a_refused_or_rejected_mutation_forgets_no_kept_answer_and_a_committed_one_forgets_them_all(db: TestDb) {
        let app = TestApp::spawn_with(db, kept()).await.with_demo().await;
        let admin = app.token("admin", Role::Admin, None).await;
        let reader = app.token("reader", Role::Reader, None).await;
        let vars = json!({ "m": "1489" });
        let first = app.graphql_data(WATCHED, vars.clone()).await;
        let period = latest(&first)["period"].as_i64().expect("the demo indicator has a latest value");
        let goal = first["goals"]["nodes"][0]["id"].as_i64().unwrap();
        let first_series = series(&app).await;
        assert!(rest_value(&first_series, period).is_some(), "{first_series:#}");
        revise_behind_the_servers_back(&app, period, 123.25).await;

        // Refused (no token, a reader's token) or rejected (no such goal): nothing committed, so
        // every kept answer stays, GraphQL and series alike, though the database moved on.
        let attempts = [
            (None, goal, "UNAUTHENTICATED"),
            (Some(reader.as_str()), goal, "FORBIDDEN"),
            (Some(admin.as_str()), i64::from(i32::MAX), "NOT_FOUND"),
        ];
        for (token, id, code) in attempts {
            let refused = app.graphql_as(token, RENAME, json!({ "id": id, "title": "Obehörigt" })).await;
            assert_eq!(refused["errors"][0]["extensions"]["code"], code, "{refused:#}");
            assert_eq!(app.graphql_data(WATCHED, vars.clone()).await, first, "after a mutation answered {code}");
            assert_eq!(series(&app).await, first_series, "after a mutation answered {code}");
        }

        // A mutation that commits forgets them all: the next reads are fresh, for the writer
        // and for everyone else, and see the revision made behind the server's back too.
        let renamed = app.graphql_as(Some(&admin), RENAME, json!({ "id": goal, "title": "Ett omformulerat mål" })).await;
        assert!(renamed.get("errors").is_none(), "{renamed:#}");
        let after = app.graphql_data(WATCHED, vars.clone()).await;
        assert_eq!(after["goals"]["nodes"][0]["title"], "Ett omformulerat mål", "{after:#}");
        assert_eq!(latest(&after)["value"], 123.25, "{after:#}");
        assert_eq!(rest_value(&series(&app).await, period), Some(123.25));
    }

    async fn the_default_options_keep_no_answer(db: TestDb) {
        let app = TestApp::spawn_with(db, HttpOptions::default()).await.with_demo().await;
        let vars = json!({ "m": "1489" });
        let first = app.graphql_data(WATCHED, vars.clone()).await;
        let period = latest(&first)["period"].as_i64().unwrap();
        assert!(rest_value(&series(&app).await, period).is_some());
        revise_behind_the_servers_back(&app, period, 123.25).await;
        // At once, without a mutation and without waiting: nothing was kept.
        assert_eq!(latest(&app.graphql_data(WATCHED, vars).await)["value"], 123.25);
        assert_eq!(rest_value(&series(&app).await, period), Some(123.25));
    }
}
