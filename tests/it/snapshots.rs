//! The safety net of the read path: answers taken on the demo before a change to how reads are
//! made, and kept. A refactor of the read path must leave every one of them as it is; a change
//! of an answer is a change of the contract and shows here as a diff to review
//! (`cargo insta review`, or `INSTA_UPDATE=always` and read the diff).
//!
//! Both databases compare against the same snapshot: the answers must not depend on which one
//! holds the data. Timestamps (the time of the load) are redacted; ids are not, because the
//! demo's load order fixes them and clients see them.

use serde_json::{json, Value};

use crate::helpers::{both, TestApp};

/// A council goal tree of the demo as a BI tool reads it: every level, each indicator with its
/// latest value, status, trend and targets, each goal with its attainment.
const GOAL_TREE: &str = r#"
query Tree {
  visions(municipality: "1489") {
    title
    focusAreas {
      title
      goals {
        id title kind
        attainment { assessment share onTarget notOnTarget noData }
        children { title }
        indicators {
          id title direction
          latestValue { period value source }
          status { status explanation period value trend { kind } }
          targets { kind comparison referenceArea }
        }
      }
    }
  }
}"#;

/// Replaces every RFC 3339 timestamp in `text` (the time of a load or an answer) with a mark.
fn redact_timestamps(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        // YYYY-MM-DDTHH:MM:SS…: the date, a T, a time, then anything up to the closing quote.
        let is_stamp = bytes.len() >= i + 19
            && bytes[i..i + 4].iter().all(u8::is_ascii_digit)
            && bytes[i + 4] == b'-'
            && bytes[i + 7] == b'-'
            && bytes[i + 10] == b'T'
            && bytes[i + 13] == b':';
        if is_stamp {
            let end = text[i..].find(['"', ',', '\n']).map_or(text.len(), |e| i + e);
            out.push_str("[timestamp]");
            i = end;
        } else {
            let c = text[i..].chars().next().expect("a character");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

async fn body(app: &TestApp, path: &str) -> String {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "GET {path}");
    let bytes = res.bytes().await.expect("a body");
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

async fn pretty(app: &TestApp, path: &str) -> String {
    let mut v: Value = serde_json::from_str(&body(app, path).await).expect("JSON");
    // Cursors are opaque: what they hold is no part of the contract (a test follows them).
    if let Some(c) = v.get_mut("next_cursor").filter(|c| c.is_string()) {
        *c = Value::String("[cursor]".into());
    }
    redact_timestamps(&serde_json::to_string_pretty(&v).expect("JSON"))
}

both! {
    async fn the_openapi_document_is_unchanged(db: TestDb) {
        let app = TestApp::spawn(db).await;
        insta::assert_snapshot!("openapi", pretty(&app, "/api/openapi.json").await);
    }

    async fn the_demo_goal_tree_answers_as_it_did(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let data = app.graphql_data(GOAL_TREE, json!({})).await;
        insta::assert_snapshot!("goal_tree_graphql", serde_json::to_string_pretty(&data).unwrap());
    }

    async fn a_series_answers_as_it_did_in_every_format(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let path = "/api/v1/kpis/N00090/series?area=1489,0000&from=2018";
        insta::assert_snapshot!("series_json", pretty(&app, path).await);
        insta::assert_snapshot!("series_csv", body(&app, &format!("{path}&format=csv")).await);
        insta::assert_snapshot!("series_csv_excel", body(&app, &format!("{path}&format=csv-excel")).await);
        insta::assert_snapshot!("series_jsonstat", pretty(&app, &format!("{path}&format=jsonstat")).await);
        let indicator = "/api/v1/indicators?municipality=1489&kpi=N00090";
        let found: Value = serde_json::from_str(&body(&app, indicator).await).unwrap();
        let id = found["items"][0]["id"].as_i64().expect("an indicator sourced from N00090");
        insta::assert_snapshot!("indicator_json", pretty(&app, &format!("/api/v1/indicators/{id}")).await);
        insta::assert_snapshot!("indicator_series_json", pretty(&app, &format!("/api/v1/indicators/{id}/series")).await);
    }

    async fn a_goal_status_answers_as_it_did(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let goals: Value =
            serde_json::from_str(&body(&app, "/api/v1/goals?municipality=1489&model=styrmodell-2019&kind=council_goal").await).unwrap();
        let id = goals["items"][0]["id"].as_i64().unwrap();
        insta::assert_snapshot!("goal_status_json", pretty(&app, &format!("/api/v1/goals/{id}/status?period=2022")).await);
        insta::assert_snapshot!("goal_status_csv", body(&app, &format!("/api/v1/goals/{id}/status?format=csv")).await);
        insta::assert_snapshot!("goal_tree_json", pretty(&app, &format!("/api/v1/goals/{id}/tree")).await);
        insta::assert_snapshot!("goals_page_json", pretty(&app, "/api/v1/goals?municipality=1489&limit=3").await);
    }
}
