//! The GraphQL API over the demo and synthetic municipalities: the whole chain, hierarchies,
//! status against target, comparisons, pagination, and a statement count that does not grow
//! with the tree.

use std::sync::atomic::Ordering;

use serde_json::{json, Value};
use styrhub_api::synthetic::{self, Size};
use styrhub_domain::ports::PackageWriter;

use crate::helpers::{both, TestApp, TestDb};

const CHAIN: &str = r#"
{
  visions(municipality: "1489") {
    title values
    focusAreas {
      title
      goals {
        title kind
        indicators {
          title direction desiredText kpiId
          latestValue { period value source isExample }
          status { status explanation period target { kind referenceArea } trend { kind since } }
        }
      }
    }
  }
}"#;

both! {
    async fn the_whole_alingsas_chain_comes_in_one_query(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let data = app.graphql_data(CHAIN, json!({})).await;
        let vision = &data["visions"][0];
        assert_eq!(vision["title"], "Vision 2040");
        let areas = vision["focusAreas"].as_array().unwrap();
        assert_eq!(areas.len(), 5, "{vision:#}");
        let goals: Vec<&Value> = areas.iter().flat_map(|a| a["goals"].as_array().unwrap()).collect();
        let council: Vec<&&Value> = goals.iter().filter(|g| g["kind"] == "COUNCIL_GOAL").collect();
        assert_eq!(council.len(), 5, "the five council goals 2021–2023 sit under the focus areas");
        let indicators: Vec<&Value> = council.iter().flat_map(|g| g["indicators"].as_array().unwrap()).collect();
        assert!(indicators.len() >= 40, "every indicator of the council goals: {}", indicators.len());
        let with_values = indicators.iter().filter(|i| i["latestValue"]["value"].is_number()).count();
        assert!(with_values >= indicators.len() - 5, "values for nearly all: {with_values}/{}", indicators.len());
        // Indicators with a Kolada KPI show Kolada's real values (up to 2022, the last year
        // shipped); the municipality's own measures show generated values, marked as examples.
        let linked = indicators.iter().filter(|i| i["kpiId"].is_string()).count();
        assert!(linked >= 10, "KPI-linked indicators: {linked}");
        for i in &indicators {
            if !i["latestValue"].is_null() {
                let (source, example) = if i["kpiId"].is_string() { ("KOLADA", false) } else { ("EXAMPLE", true) };
                assert_eq!(i["latestValue"]["source"], source, "demo values are marked: {i:#}");
                assert_eq!(i["latestValue"]["isExample"], example, "{i:#}");
                if i["kpiId"].is_string() {
                    assert!(i["latestValue"]["period"].as_i64().unwrap() <= 2022, "no Kolada value is invented: {i:#}");
                }
            }
            let status = i["status"]["status"].as_str().unwrap();
            assert!(["ON_TARGET", "NOT_ON_TARGET", "NO_DATA"].contains(&status), "{i:#}");
            assert!(!i["status"]["explanation"].as_str().unwrap().is_empty());
        }
        let judged = indicators.iter().filter(|i| i["status"]["status"] != "NO_DATA").count();
        assert!(judged > indicators.len() / 2, "most indicators can be judged by their direction: {judged}");
    }

    async fn a_relative_target_is_judged_against_the_national_value(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let data = app
            .graphql_data(
                r#"{ indicators(municipality: "1489", filter: { kpi: "N00090" }) { nodes {
                      title direction
                      status { status explanation period value target { kind comparison referenceArea } }
                      series(areas: ["1489", "0000"], from: 2020) { area points { period value } }
                    } } }"#,
                json!({}),
            )
            .await;
        let i = &data["indicators"]["nodes"][0];
        assert_eq!(i["direction"], "DECREASE", "sick leave: lower is better");
        let s = &i["status"];
        assert_eq!(s["target"]["kind"], "RELATIVE");
        assert_eq!(s["target"]["comparison"], "below");
        assert_eq!(s["target"]["referenceArea"], "0000");
        let period = s["period"].as_i64().unwrap();
        let at = |area: usize| {
            i["series"][area]["points"].as_array().unwrap().iter().find(|p| p["period"] == period).and_then(|p| p["value"].as_f64())
        };
        let (own, national) = (at(0).unwrap(), at(1).unwrap());
        let expected = if own < national { "ON_TARGET" } else { "NOT_ON_TARGET" };
        assert_eq!(s["status"], expected, "{own} vs {national}: {s:#}");
        assert!(s["explanation"].as_str().unwrap().contains("the national value"), "{s:#}");
    }

    async fn comparison_puts_areas_side_by_side(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let data = app
            .graphql_data(r#"{ compare(kpi: "N00090", areas: ["1489", "0000"], from: 2016, to: 2020) { seriesKey areas rows { period values hasExamples } } }"#, json!({}))
            .await;
        let c = &data["compare"];
        assert_eq!(c["seriesKey"], "kpi:N00090");
        assert_eq!(c["areas"], json!(["1489", "0000"]));
        let rows = c["rows"].as_array().unwrap();
        assert_eq!(rows.iter().map(|r| r["period"].as_i64().unwrap()).collect::<Vec<_>>(), [2016, 2017, 2018, 2019, 2020]);
        for r in rows {
            assert_eq!(r["values"].as_array().unwrap().len(), 2);
            assert_eq!(r["hasExamples"], false, "Kolada's real values: {r}");
        }
        // Kolada: Alingsås 9.0 %, the country 8.3 % in 2020.
        assert_eq!(rows[4]["values"], json!([9.0, 8.3]));
    }

    async fn bad_arguments_name_the_field(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let body = app.graphql(r#"{ compare(kpi: "N00090", areas: ["14"]) { areas } }"#, json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION", "{body:#}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "areas", "{body:#}");
        let body = app.graphql(r#"{ goals(municipality: "1489", first: 100000) { totalCount } }"#, json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION", "{body:#}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "first", "{body:#}");
    }

    async fn goal_pages_follow_their_cursors(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let q = r#"query($after: String) { goals(municipality: "1489", first: 7, after: $after) {
                     totalCount pageInfo { hasNextPage endCursor } edges { cursor node { key } } } }"#;
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let data = app.graphql_data(q, json!({ "after": after })).await;
            let page = &data["goals"];
            seen.extend(page["edges"].as_array().unwrap().iter().map(|e| e["node"]["key"].as_str().unwrap().to_owned()));
            if page["pageInfo"]["hasNextPage"] != true {
                assert_eq!(seen.len() as i64, page["totalCount"].as_i64().unwrap());
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "no goal twice across pages");
        assert!(seen.len() >= 18);
    }

    async fn the_organisation_tree_walks_both_ways(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let data = app
            .graphql_data(
                r#"{ municipality(code: "1489") { name children { name kind } descendants { depth unit { name
                       ancestors { depth unit { municipalityCode } } } } } }"#,
                json!({}),
            )
            .await;
        let m = &data["municipality"];
        assert!(m["children"].as_array().unwrap().iter().any(|c| c["kind"] == "COUNCIL"), "{m:#}");
        for d in m["descendants"].as_array().unwrap() {
            let ancestors = d["unit"]["ancestors"].as_array().unwrap();
            assert_eq!(ancestors.len() as i64, d["depth"].as_i64().unwrap(), "{d:#}");
            assert_eq!(ancestors.last().unwrap()["unit"]["municipalityCode"], "1489");
        }
    }

    async fn goal_hierarchies_reach_up_to_the_vision(db: TestDb) {
        let app = TestApp::spawn(db).await;
        app.store.load_package(&synthetic::package(Size { goals: 20, indicators_per_goal: 2, years: 3 }).unwrap()).await.unwrap();
        let data = app
            .graphql_data(
                r#"{ goals(municipality: "9999", filter: { kind: COMMITTEE_GOAL, text: "mål 13" }) { nodes {
                      key parents { key } ancestors { depth goal { key } }
                      path { level key }
                      attainment { assessment onTarget notOnTarget noData }
                    } } }"#,
                json!({}),
            )
            .await;
        let g = &data["goals"]["nodes"][0];
        assert_eq!(g["key"], "g13");
        assert_eq!(g["parents"], json!([{ "key": "g1" }]));
        let path: Vec<&str> = g["path"].as_array().unwrap().iter().map(|s| s["level"].as_str().unwrap()).collect();
        assert_eq!(path, ["GOAL", "GOAL", "FOCUS_AREA", "VISION"]);
        let a = &g["attainment"];
        assert_eq!(a["onTarget"].as_i64().unwrap() + a["notOnTarget"].as_i64().unwrap() + a["noData"].as_i64().unwrap(), 2);

        let data = app.graphql_data(r#"{ goal(id: 0) { key } goals(municipality: "9999", filter: { kind: COUNCIL_GOAL }) { nodes { key children { key } descendants { depth } } } }"#, json!({})).await;
        assert!(data["goal"].is_null());
        let g1 = data["goals"]["nodes"].as_array().unwrap().iter().find(|g| g["key"] == "g1").unwrap();
        let children: Vec<&str> = g1["children"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
        assert_eq!(children, ["g3", "g5", "g7", "g9", "g11", "g13", "g15", "g17", "g19"]);
    }
}

async fn statements_for_tree(size: Size, db: TestDb) -> usize {
    let (app, count) = TestApp::spawn_counting(db).await;
    app.store.load_package(&synthetic::package(size).unwrap()).await.unwrap();
    let before = count.load(Ordering::SeqCst);
    let data = app.graphql_data(synthetic::TREE_QUERY, json!({ "m": synthetic::CODE })).await;
    let after = count.load(Ordering::SeqCst);
    assert_eq!(data["goals"]["totalCount"].as_u64().unwrap() as usize, size.goals);
    let indicators: usize = data["goals"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["indicators"].as_array().unwrap().len())
        .sum();
    assert_eq!(indicators, size.goals * size.indicators_per_goal);
    after - before
}

both! {
    async fn a_goal_tree_costs_the_same_statements_whatever_its_size(db: TestDb) {
        let postgres = std::env::var("STYRHUB_TEST_DATABASE_URL").is_ok() && !db.url.starts_with("sqlite");
        let other = if postgres { TestDb::postgres().await } else { TestDb::sqlite().await };
        let small = statements_for_tree(Size { goals: 10, indicators_per_goal: 2, years: 3 }, db).await;
        let large = statements_for_tree(Size { goals: 120, indicators_per_goal: 4, years: 5 }, other).await;
        assert_eq!(small, large, "statements must not grow with the tree");
        assert!(large <= 6, "{large} statements for the tree; at most 6");
    }
}

/// Statements for one council goal's attainment, rolled up over every goal and indicator below
/// it (a top-level field, where loaders read at once instead of waiting for siblings).
async fn statements_for_attainment(size: Size, db: TestDb) -> (usize, Value) {
    let (app, count) = TestApp::spawn_counting(db).await;
    app.store.load_package(&synthetic::package(size).unwrap()).await.unwrap();
    let goals = app
        .graphql_data(
            r#"{ goals(municipality: "9999", filter: { kind: COUNCIL_GOAL }) { nodes { id key } } }"#,
            json!({}),
        )
        .await;
    let g0 = goals["goals"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "g0")
        .unwrap()["id"]
        .clone();
    let before = count.load(Ordering::SeqCst);
    let data = app
        .graphql_data(
            "query A($id: Int!) { goal(id: $id) { attainment { assessment onTarget notOnTarget noData } } }",
            json!({ "id": g0 }),
        )
        .await;
    (count.load(Ordering::SeqCst) - before, data["goal"]["attainment"].clone())
}

both! {
    async fn a_goals_attainment_costs_the_same_statements_whatever_lies_below(db: TestDb) {
        let postgres = std::env::var("STYRHUB_TEST_DATABASE_URL").is_ok() && !db.url.starts_with("sqlite");
        let other = if postgres { TestDb::postgres().await } else { TestDb::sqlite().await };
        let (small, a) = statements_for_attainment(Size { goals: 10, indicators_per_goal: 2, years: 3 }, db).await;
        let (large, b) = statements_for_attainment(Size { goals: 100, indicators_per_goal: 3, years: 3 }, other).await;
        assert_eq!(small, large, "statements must not grow with the goals below");
        // g0 and its children (every tenth goal hangs under g0 in the synthetic tree).
        let judged = |a: &Value| a["onTarget"].as_i64().unwrap() + a["notOnTarget"].as_i64().unwrap() + a["noData"].as_i64().unwrap();
        assert!(judged(&a) >= 2 && judged(&b) > judged(&a), "{a} {b}");
    }
}

/// Every field the executor's shortcut answers (`graphql::plain`), with an alias and
/// `__typename`; `DIRECTIVE` is replaced by nothing or by a directive that sends the goals and
/// their indicators through the executor.
const PLAIN_FIELDS: &str = r#"
query Everything($m: String!) {
  goals(municipality: $m, first: 1000) {
    nodes {
      __typename id DIRECTIVE key title description kind validFrom validTo agenda2030 decision position archived
      heading: title
      indicators {
        __typename id DIRECTIVE key title kind unit direction desiredText measureFirst kpiId seriesKey
        name: title
        latestValue { __typename period value status source isExample }
        status {
          __typename status explanation period value
          target { __typename id area periodFrom periodTo kind comparison value referenceArea note }
          trend { __typename kind since change description }
        }
        targets { __typename id area periodFrom periodTo kind comparison value referenceArea note }
      }
    }
  }
}"#;

both! {
    async fn the_executors_shortcut_answers_exactly_what_the_executor_does(db: TestDb) {
        // Every plain field of a 1,000-goal page costs about 1.6 million (each indicator's
        // targets counted ten times), over the default limit: this test is about answers, so
        // it raises the limit as an operator would.
        let limits = styrhub_api::limits::Limits {
            graphql_max_complexity: 2_000_000,
            ..Default::default()
        };
        let http = styrhub_api::app::HttpOptions {
            limits,
            ..Default::default()
        };
        let app = TestApp::spawn_with(db, http).await.with_demo().await;
        app.store.load_package(&synthetic::package(Size { goals: 20, indicators_per_goal: 3, years: 4 }).unwrap()).await.unwrap();
        for m in ["1489", synthetic::CODE] {
            let plain = app.graphql_data(&PLAIN_FIELDS.replace("DIRECTIVE", ""), json!({ "m": m })).await;
            let executor = app
                .graphql_data(&PLAIN_FIELDS.replace("DIRECTIVE", "@include(if: true)"), json!({ "m": m }))
                .await;
            assert_eq!(plain, executor, "municipality {m}");
            let indicators: Vec<&Value> = plain["goals"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|g| g["indicators"].as_array().unwrap())
                .collect();
            assert!(indicators.len() >= 40, "{m}: {}", indicators.len());
            assert!(indicators.iter().any(|i| !i["status"]["target"].is_null()), "{m}: some verdicts use a target");
            assert!(indicators.iter().any(|i| !i["latestValue"].is_null()), "{m}: some have values");
        }
    }
}

both! {
    async fn a_tree_judges_indicators_as_a_single_goal_does(db: TestDb) {
        // The tree's prefetch reads the reference areas' values for the latest period only; a
        // single goal's indicators read whole series through the loaders. Same verdicts.
        let app = TestApp::spawn(db).await.with_demo().await;
        let status = "status { status explanation period value target { id } trend { kind since change } }";
        let tree = app
            .graphql_data(
                &format!(r#"{{ goals(municipality: "1489", first: 1000) {{ nodes {{ id indicators {{ id {status} }} }} }} }}"#),
                json!({}),
            )
            .await;
        let mut relative = 0;
        for g in tree["goals"]["nodes"].as_array().unwrap() {
            let single = app
                .graphql_data(
                    &format!(r#"query($id: Int!) {{ goal(id: $id) {{ indicators {{ id {status} targets {{ kind }} }} }} }}"#),
                    json!({ "id": g["id"] }),
                )
                .await;
            let single = single["goal"]["indicators"].as_array().unwrap();
            relative += single
                .iter()
                .filter(|i| !i["status"]["target"].is_null() && i["targets"].as_array().unwrap().iter().any(|t| t["kind"] == "RELATIVE"))
                .count();
            let single: Vec<Value> = single.iter().map(|i| json!({ "id": i["id"], "status": i["status"] })).collect();
            assert_eq!(g["indicators"].as_array().unwrap(), &single, "goal {}", g["id"]);
        }
        assert!(relative > 0, "some verdicts rest on a relative target");
    }
}

both! {
    async fn statuses_and_attainment_can_be_judged_as_of_a_year(db: TestDb) {
        // GraphQL's `period` judges as REST's `status?period=` does: the series as it stood.
        let app = TestApp::spawn(db).await.with_demo().await;
        let goals = app
            .graphql_data(
                r#"{ goals(municipality: "1489", filter: { kind: COUNCIL_GOAL }, first: 10) { nodes { id } } }"#,
                json!({}),
            )
            .await;
        let id = goals["goals"]["nodes"][0]["id"].clone();
        let query = "query($id: Int!, $y: Int) { goal(id: $id) { attainment(period: $y) { onTarget notOnTarget noData } \
                     indicators { id latestValue(period: $y) { period value } status(period: $y) { status explanation period value } } } }";
        for year in [2019, 2021] {
            let data = app.graphql_data(query, json!({ "id": id, "y": year })).await;
            let rest: Value = app.get(&format!("/api/v1/goals/{id}/status?period={year}")).await.json().await.unwrap();
            let indicators = data["goal"]["indicators"].as_array().unwrap();
            let rows = rest["indicators"].as_array().unwrap();
            assert_eq!(rows.len(), indicators.len());
            for (r, g) in rows.iter().zip(indicators) {
                assert_eq!(r["indicator"]["id"], g["id"]);
                assert_eq!(r["status"]["explanation"], g["status"]["explanation"], "{year}: {g:#}");
                assert_eq!((&r["status"]["period"], &r["status"]["value"]), (&g["status"]["period"], &g["status"]["value"]));
                assert!(g["status"]["period"].as_i64().is_none_or(|p| p <= year), "{year}: {g:#}");
                assert_eq!(g["latestValue"]["period"], g["status"]["period"], "the value judged is the latest up to the year");
            }
            let a = &data["goal"]["attainment"];
            let s = &rest["summary"];
            assert_eq!(
                (&a["onTarget"], &a["notOnTarget"], &a["noData"]),
                (&s["on_target"], &s["not_on_target"], &s["no_data"]),
                "{year}"
            );
        }
        let latest = app.graphql_data(query, json!({ "id": id, "y": null })).await;
        let then = app.graphql_data(query, json!({ "id": id, "y": 2019 })).await;
        assert_ne!(latest, then, "2019 is judged on other values than the latest");

        let body = app.graphql(query, json!({ "id": id, "y": 20 })).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION", "{body:#}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("period"), "{body:#}");
    }
}

both! {
    async fn explanations_come_in_swedish_when_asked(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let data = app
            .graphql_data(
                r#"{ goals(municipality: "1489", first: 1000) { nodes { indicators {
                     status { en: explanation sv: explanation(language: SV) trend { kind en: description sv: description(language: SV) } }
                   } } } }"#,
                json!({}),
            )
            .await;
        let statuses: Vec<&Value> = data["goals"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["indicators"].as_array().unwrap())
            .map(|i| &i["status"])
            .collect();
        assert!(!statuses.is_empty());
        for s in &statuses {
            let (en, sv) = (s["en"].as_str().unwrap(), s["sv"].as_str().unwrap());
            assert!(!sv.is_empty() && sv != en, "{s:#}");
            if en.contains("improving since") {
                assert!(sv.contains("förbättras sedan"), "{s:#}");
            }
            if en.contains("the national value") {
                assert!(sv.contains("rikets värde"), "{s:#}");
            }
            let trend_sv = s["trend"]["sv"].as_str().unwrap();
            assert!(sv.ends_with(trend_sv) || s["trend"]["kind"] == "INSUFFICIENT", "{s:#}");
        }
        assert!(statuses.iter().any(|s| s["sv"].as_str().unwrap().contains(',')), "a decimal comma somewhere");

        // REST carries both.
        let goals: Value = app.get("/api/v1/goals?municipality=1489&kind=council_goal").await.json().await.unwrap();
        let id = goals["items"][0]["id"].as_i64().unwrap();
        let rest: Value = app.get(&format!("/api/v1/goals/{id}/status")).await.json().await.unwrap();
        let first = &rest["indicators"][0]["status"];
        assert!(!first["explanation_sv"].as_str().unwrap().is_empty(), "{first:#}");
    }
}

both! {
    async fn goal_pages_cut_by_the_database_cover_the_list_once_in_both_directions(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let all = app
            .graphql_data(r#"{ goals(municipality: "1489", first: 1000) { totalCount nodes { id } } }"#, json!({}))
            .await;
        let ids: Vec<i64> = all["goals"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_i64().unwrap()).collect();
        assert_eq!(all["goals"]["totalCount"], ids.len());
        assert!(ids.len() > 5);
        let q = "query($a: String, $b: String, $f: Int, $l: Int) { goals(municipality: \"1489\", after: $a, before: $b, first: $f, last: $l) {
                   pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id } } }";
        let nodes = |page: &Value| -> Vec<i64> { page["goals"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_i64().unwrap()).collect() };
        // Forward, two at a time.
        let (mut seen, mut after) = (Vec::new(), Value::Null);
        loop {
            let page = app.graphql_data(q, json!({ "a": after, "f": 2 })).await;
            seen.extend(nodes(&page));
            if page["goals"]["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["goals"]["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, ids, "forward pages");
        // Backward, three at a time, from the end.
        let (mut back, mut before) = (Vec::new(), Value::Null);
        loop {
            let page = app.graphql_data(q, json!({ "b": before, "l": 3 })).await;
            let mut n = nodes(&page);
            n.extend(back);
            back = n;
            if page["goals"]["pageInfo"]["hasPreviousPage"] != true {
                break;
            }
            before = page["goals"]["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(back, ids, "backward pages");
        // Between two cursors.
        let first = app.graphql_data(q, json!({ "f": 1 })).await;
        let fifth = app.graphql_data(q, json!({ "f": 5 })).await;
        let between = app
            .graphql_data(q, json!({ "a": first["goals"]["pageInfo"]["endCursor"], "b": fifth["goals"]["pageInfo"]["endCursor"], "f": 10 }))
            .await;
        assert_eq!(nodes(&between), ids[1..4].to_vec());
        // A cursor the hub did not make is the client's mistake, named.
        let bad = app.graphql(q, json!({ "a": "bm90LWEtY3Vyc29y", "f": 2 })).await;
        assert_eq!(bad["errors"][0]["extensions"]["code"], "VALIDATION", "{bad:#}");
        assert_eq!(bad["errors"][0]["extensions"]["field"], "after", "{bad:#}");

        // REST follows the same cursors through `next_cursor`.
        let mut rest_ids = Vec::new();
        let mut path = "/api/v1/goals?municipality=1489&limit=4".to_owned();
        loop {
            let page: Value = app.get(&path).await.json().await.unwrap();
            assert_eq!(page["total"], ids.len());
            rest_ids.extend(page["items"].as_array().unwrap().iter().map(|g| g["id"].as_i64().unwrap()));
            match page["next_cursor"].as_str() {
                Some(c) => path = format!("/api/v1/goals?municipality=1489&limit=4&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(rest_ids, ids);
        let bad = app.get("/api/v1/goals?municipality=1489&cursor=bm9wZQ").await;
        assert_eq!(bad.status(), 404, "a cursor the list did not make names no page");
        let problem: Value = bad.json().await.unwrap();
        assert_eq!(problem["parameter"], "cursor", "{problem:#}");
    }
}

both! {
    async fn indicator_pages_cut_by_the_database_cover_the_list_once(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let all = app
            .graphql_data(r#"{ indicators(municipality: "1489", first: 1000) { totalCount nodes { id } } }"#, json!({}))
            .await;
        let ids: Vec<i64> = all["indicators"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_i64().unwrap()).collect();
        assert_eq!(all["indicators"]["totalCount"], ids.len());
        assert!(ids.len() > 10);
        let q = "query($a: String, $b: String, $f: Int, $l: Int) { indicators(municipality: \"1489\", after: $a, before: $b, first: $f, last: $l) {
                   pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id } } }";
        let nodes = |page: &Value| -> Vec<i64> { page["indicators"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_i64().unwrap()).collect() };
        let (mut seen, mut after) = (Vec::new(), Value::Null);
        loop {
            let page = app.graphql_data(q, json!({ "a": after, "f": 4 })).await;
            seen.extend(nodes(&page));
            if page["indicators"]["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["indicators"]["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, ids, "forward pages");
        let (mut back, mut before) = (Vec::new(), Value::Null);
        loop {
            let page = app.graphql_data(q, json!({ "b": before, "l": 5 })).await;
            let mut n = nodes(&page);
            n.extend(back);
            back = n;
            if page["indicators"]["pageInfo"]["hasPreviousPage"] != true {
                break;
            }
            before = page["indicators"]["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(back, ids, "backward pages");
        // A text filter (matched outside SQL) pages and counts the same way.
        let text = "query($a: String) { indicators(municipality: \"1489\", filter: { text: \"andel\" }, first: 2, after: $a) {
                      totalCount pageInfo { hasNextPage endCursor } nodes { title } } }";
        let (mut titles, mut after, mut totals) = (Vec::new(), Value::Null, Vec::new());
        loop {
            let page = app.graphql_data(text, json!({ "a": after })).await;
            totals.push(page["indicators"]["totalCount"].as_u64().unwrap());
            titles.extend(page["indicators"]["nodes"].as_array().unwrap().iter().map(|n| n["title"].as_str().unwrap().to_owned()));
            if page["indicators"]["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["indicators"]["pageInfo"]["endCursor"].clone();
        }
        assert!(titles.len() > 2 && titles.iter().all(|t| t.to_lowercase().contains("andel")), "{titles:?}");
        assert!(totals.iter().all(|t| *t == titles.len() as u64), "{totals:?}");
        // REST follows the same cursors.
        let mut rest_ids = Vec::new();
        let mut path = "/api/v1/indicators?municipality=1489&limit=7".to_owned();
        loop {
            let page: Value = app.get(&path).await.json().await.unwrap();
            rest_ids.extend(page["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()));
            match page["next_cursor"].as_str() {
                Some(c) => path = format!("/api/v1/indicators?municipality=1489&limit=7&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(rest_ids, ids);
    }
}

both! {
    async fn every_other_list_is_paged_by_the_database_in_its_own_order(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        // The demo has no quality factors or political directions: Alvesta gets five of each,
        // the directions in force from days out of order.
        let factors: String = (0..5)
            .map(|i| {
                format!(
                    "[[quality_factors]]\nkey = \"q{i}\"\norg_unit = \"kf\"\ntitle = \"Kvalitetsfaktor {i}\"\n\n\
                     [[political_directions]]\nkey = \"p{i}\"\norg_unit = \"kf\"\ntitle = \"Inriktning {i}\"\nvalid_from = \"202{}-01-01\"\n\n",
                    (i * 3) % 5
                )
            })
            .collect();
        // And reports of every kind over two years, written out of their order.
        let mut reports = String::from(
            "[[governance_models]]\nkey = \"m\"\nname = \"Styrmodell\"\nvalid_from = \"2020-01-01\"\n\
             quality_indicators_have_targets = true\npolitical_directions_followed_up = true\n\n\
             [[governance_models.levels]]\norg_kind = \"council\"\ngoal_kinds = [\"council_goal\"]\n\n",
        );
        for kind in ["interim_report_1", "interim_report_2", "annual_report", "monthly"] {
            reports.push_str(&format!("[[governance_models.follow_ups]]\nkind = \"{kind}\"\nname = \"{kind}\"\n\n"));
        }
        for (kind, year, month) in [
            ("annual_report", 2021, None),
            ("monthly", 2022, Some(3)),
            ("interim_report_1", 2022, None),
            ("monthly", 2021, Some(10)),
            ("interim_report_2", 2022, None),
            ("monthly", 2022, Some(9)),
            ("annual_report", 2022, None),
            ("interim_report_1", 2021, None),
        ] {
            let month = month.map(|m| format!("month = {m}\n")).unwrap_or_default();
            reports.push_str(&format!("[[follow_ups]]\ngovernance_model = \"m\"\nkind = \"{kind}\"\nyear = {year}\n{month}\n"));
        }
        let text = format!(
            "[municipality]\ncode = \"0764\"\nname = \"Alvesta\"\n\n[[org_units]]\nkey = \"kf\"\nname = \"Kommunfullmäktige\"\nkind = \"council\"\n\n{reports}{factors}"
        );
        let package = styrhub_domain::package::Package::parse(&[("q.toml".into(), text)], None).unwrap().validate().unwrap();
        app.store.load_package(&package).await.unwrap();
        // Each list with the fields its order is made of.
        let lists = [
            ("basicMissions", "id"),
            ("qualityFactors", "id"),
            ("politicalDirections", "id validFrom"),
            ("assignments", "id deadline"),
            ("budgets", "id year kind"),
            ("followUps", "id year month kind"),
            ("orgUnits", "id name parentId"),
        ];
        for (list, fields) in lists {
            // The demo municipality with more of them.
            let mut of_each = Vec::new();
            for m in ["1489", "0764"] {
                let all = app
                    .graphql_data(&format!(r#"{{ {list}(municipality: "{m}", first: 1000) {{ totalCount nodes {{ {fields} }} }} }}"#), json!({}))
                    .await;
                of_each.push((all[list]["nodes"].as_array().unwrap().len(), m, all));
            }
            let (_, m, all) = of_each.into_iter().max_by_key(|(n, _, _)| *n).unwrap();
            let whole = all[list]["nodes"].as_array().unwrap().clone();
            let ids: Vec<i64> = whole.iter().map(|n| n["id"].as_i64().unwrap()).collect();
            assert_eq!(all[list]["totalCount"], ids.len(), "{list}");
            assert!(ids.len() >= 3, "{list}: the demo has {} of them", ids.len());
            let q = format!(
                "query($a: String, $b: String, $f: Int, $l: Int) {{ {list}(municipality: \"{m}\", after: $a, before: $b, first: $f, last: $l) {{
                   totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} nodes {{ id }} }} }}"
            );
            let nodes = |page: &Value| -> Vec<i64> { page[list]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_i64().unwrap()).collect() };
            let (mut seen, mut after) = (Vec::new(), Value::Null);
            loop {
                let page = app.graphql_data(&q, json!({ "a": after, "f": 2 })).await;
                assert_eq!(page[list]["totalCount"], ids.len(), "{list}");
                seen.extend(nodes(&page));
                if page[list]["pageInfo"]["hasNextPage"] != true {
                    break;
                }
                after = page[list]["pageInfo"]["endCursor"].clone();
            }
            assert_eq!(seen, ids, "{list}: forward pages");
            let (mut back, mut before) = (Vec::new(), Value::Null);
            loop {
                let page = app.graphql_data(&q, json!({ "b": before, "l": 3 })).await;
                let mut n = nodes(&page);
                n.extend(back);
                back = n;
                if page[list]["pageInfo"]["hasPreviousPage"] != true {
                    break;
                }
                before = page[list]["pageInfo"]["startCursor"].clone();
            }
            assert_eq!(back, ids, "{list}: backward pages");
            let bad = app.graphql(&q, json!({ "a": "bm90LWEtY3Vyc29y", "f": 2 })).await;
            assert_eq!(bad["errors"][0]["extensions"]["field"], "after", "{list}: {bad:#}");

            // The order each list promises, the same on both databases.
            match list {
                "assignments" => {
                    // By deadline, those without one last.
                    let deadlines: Vec<String> =
                        whole.iter().map(|n| n["deadline"].as_str().unwrap_or("9999-12-31").to_owned()).collect();
                    assert!(deadlines.is_sorted(), "{deadlines:?}");
                }
                "followUps" => {
                    // Newest first: year, then month (an annual or interim report of no month
                    // before the monthly ones), then the later report first.
                    let rank = |k: &str| ["MONTHLY", "ANNUAL_REPORT", "INTERIM_REPORT_2", "INTERIM_REPORT_1"].iter().position(|r| *r == k).unwrap();
                    let keys: Vec<(i64, i64, usize)> = whole
                        .iter()
                        .map(|n| (-n["year"].as_i64().unwrap(), -n["month"].as_i64().unwrap_or(13), rank(n["kind"].as_str().unwrap())))
                        .collect();
                    assert!(keys.is_sorted(), "{keys:?}");
                }
                "politicalDirections" => {
                    let keys: Vec<(String, i64)> = whole.iter().map(|n| (n["validFrom"].as_str().unwrap().to_owned(), n["id"].as_i64().unwrap())).collect();
                    assert!(keys.is_sorted(), "{keys:?}");
                    assert!(!ids.is_sorted(), "the test's directions are not in id order");
                }
                "budgets" => {
                    let keys: Vec<(i64, String)> = whole.iter().map(|n| (n["year"].as_i64().unwrap(), n["kind"].as_str().unwrap().to_owned())).collect();
                    assert!(keys.is_sorted(), "{keys:?}");
                }
                "orgUnits" => {
                    // Top down: the municipality, then by depth below it, then name (bytewise).
                    let parent: std::collections::HashMap<i64, Option<i64>> =
                        whole.iter().map(|n| (n["id"].as_i64().unwrap(), n["parentId"].as_i64())).collect();
                    let depth = |mut id: i64| {
                        let mut d = 0;
                        while let Some(Some(p)) = parent.get(&id) {
                            (id, d) = (*p, d + 1);
                        }
                        d
                    };
                    let keys: Vec<(i32, String)> = whole.iter().map(|n| (depth(n["id"].as_i64().unwrap()), n["name"].as_str().unwrap().to_owned())).collect();
                    assert_eq!(keys[0].0, 0, "{keys:?}");
                    assert!(keys.iter().skip(1).all(|k| k.0 > 0) && keys.is_sorted(), "{keys:?}");
                }
                _ => assert!(ids.is_sorted(), "{list}: by id"),
            }
        }
    }
}
