//! Mutations over HTTP: every write validated against the governance model, one transaction,
//! errors with `extensions.code` and `extensions.field`.

use serde_json::{json, Value};

use crate::helpers::{both, TestApp};

/// Ids the tests need: a committee, the first council goal and its first indicator.
async fn ids(app: &TestApp) -> (i64, i64, i64) {
    let data = app
        .graphql_data(
            r#"{ orgUnits(municipality: "1489", kind: COMMITTEE, first: 1) { nodes { id } }
                 goals(municipality: "1489", filter: { kind: COUNCIL_GOAL }, first: 1) { nodes { id indicators { id } } } }"#,
            json!({}),
        )
        .await;
    let committee = data["orgUnits"]["nodes"][0]["id"].as_i64().unwrap();
    let goal = &data["goals"]["nodes"][0];
    (
        committee,
        goal["id"].as_i64().unwrap(),
        goal["indicators"][0]["id"].as_i64().unwrap(),
    )
}

const CREATE: &str = r#"mutation($input: CreateGoalInput!) {
  createGoal(input: $input) { goal { id key title kind owner { id } parents { id } path { level } } warnings { field message } }
}"#;

fn committee_goal(owner: i64, parent: i64, title: &str) -> Value {
    json!({ "input": {
        "municipality": "1489", "governanceModel": "styrmodell-2019", "title": title, "kind": "COMMITTEE_GOAL",
        "ownerId": owner, "parentIds": [parent], "validFrom": "2022-01-01", "validTo": "2023-12-31"
    }})
}

fn error(body: &Value) -> (&str, &str) {
    let e = &body["errors"][0];
    (
        e["extensions"]["code"].as_str().unwrap_or_else(|| panic!("an error: {body:#}")),
        e["extensions"]["field"].as_str().unwrap_or(""),
    )
}

async fn goal_count(app: &TestApp) -> i64 {
    app.graphql_data(
        r#"{ goals(municipality: "1489", filter: { includeArchived: true }) { totalCount } }"#,
        json!({}),
    )
    .await["goals"]["totalCount"]
        .as_i64()
        .unwrap()
}

both! {
    async fn a_committee_goal_is_created_under_a_council_goal(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await.with_admin_token().await;
        let (committee, council_goal, _) = ids(&app).await;
        let data = app.graphql_data(CREATE, committee_goal(committee, council_goal, "Fler elever ska känna sig trygga")).await;
        let g = &data["createGoal"]["goal"];
        assert_eq!(g["key"], "fler-elever-ska-kanna-sig-trygga", "a key is derived from the title");
        assert_eq!(g["owner"]["id"], committee);
        assert_eq!(g["parents"], json!([{ "id": council_goal }]));
        let levels: Vec<&str> = g["path"].as_array().unwrap().iter().map(|s| s["level"].as_str().unwrap()).collect();
        assert_eq!(levels, ["GOAL", "GOAL", "FOCUS_AREA", "VISION"]);
        // It is there for the next request too.
        let id = g["id"].as_i64().unwrap();
        let again = app.graphql_data("query($id: Int!) { goal(id: $id) { title } }", json!({ "id": id })).await;
        assert_eq!(again["goal"]["title"], "Fler elever ska känna sig trygga");
    }

    async fn a_kind_the_level_may_not_set_is_a_validation_error_and_nothing_is_written(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await.with_admin_token().await;
        let (committee, council_goal, _) = ids(&app).await;
        let before = goal_count(&app).await;
        let mut input = committee_goal(committee, council_goal, "Ett mål på fel nivå");
        input["input"]["kind"] = json!("COUNCIL_GOAL");
        let body = app.graphql(CREATE, input).await;
        assert_eq!(error(&body), ("VALIDATION", "kind"), "{body:#}");
        assert!(body["errors"][0]["message"].as_str().unwrap().starts_with("kind:"), "{body:#}");
        assert_eq!(goal_count(&app).await, before);

        let body = app.graphql(CREATE, committee_goal(999_999, council_goal, "Okänd ägare")).await;
        assert_eq!(error(&body).0, "NOT_FOUND", "{body:#}");
        let mut input = committee_goal(committee, council_goal, "Fel datum");
        input["input"]["validFrom"] = json!("2022-13-01");
        let body = app.graphql(CREATE, input).await;
        assert_eq!(error(&body), ("VALIDATION", "validFrom"), "{body:#}");
        assert_eq!(goal_count(&app).await, before, "no failed write left anything behind");
    }

    async fn a_goal_cannot_become_its_own_ancestor(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await.with_admin_token().await;
        let (committee, council_goal, _) = ids(&app).await;
        let a = app.graphql_data(CREATE, committee_goal(committee, council_goal, "Mål A")).await["createGoal"]["goal"]["id"].as_i64().unwrap();
        let b = app.graphql_data(CREATE, committee_goal(committee, a, "Mål B")).await["createGoal"]["goal"]["id"].as_i64().unwrap();
        let body = app
            .graphql("mutation($id: Int!, $p: [Int!]) { updateGoal(id: $id, input: { parentIds: $p }) { goal { id } } }", json!({ "id": a, "p": [b] }))
            .await;
        assert_eq!(error(&body), ("VALIDATION", "parentIds"), "{body:#}");
        let data = app
            .graphql_data("mutation($id: Int!) { updateGoal(id: $id, input: { title: \"Mål A, omformulerat\", description: null }) { goal { title } } }", json!({ "id": a }))
            .await;
        assert_eq!(data["updateGoal"]["goal"]["title"], "Mål A, omformulerat");
        let data = app.graphql_data("mutation($id: Int!) { archiveGoal(id: $id) { archived } }", json!({ "id": b })).await;
        assert_eq!(data["archiveGoal"]["archived"], true);
        let body = app.graphql("mutation($id: Int!) { updateGoal(id: $id, input: { title: \"x\" }) { goal { id } } }", json!({ "id": b })).await;
        assert_eq!(error(&body).0, "CONFLICT", "an archived goal cannot change: {body:#}");
    }

    async fn indicators_link_and_unlink_and_targets_drive_the_status(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await.with_admin_token().await;
        let (committee, council_goal, indicator) = ids(&app).await;
        let g = app.graphql_data(CREATE, committee_goal(committee, council_goal, "Mål med indikator")).await["createGoal"]["goal"]["id"].as_i64().unwrap();
        let link = "mutation($g: Int!, $i: Int!) { linkIndicator(goalId: $g, indicatorId: $i) { indicators { id } } }";
        let data = app.graphql_data(link, json!({ "g": g, "i": indicator })).await;
        assert_eq!(data["linkIndicator"]["indicators"], json!([{ "id": indicator }]));
        app.graphql_data(link, json!({ "g": g, "i": indicator })).await;
        let unlink = "mutation($g: Int!, $i: Int!) { unlinkIndicator(goalId: $g, indicatorId: $i) { indicators { id } } }";
        let data = app.graphql_data(unlink, json!({ "g": g, "i": indicator })).await;
        assert_eq!(data["unlinkIndicator"]["indicators"], json!([]));
        let body = app.graphql(unlink, json!({ "g": g, "i": indicator })).await;
        assert_eq!(error(&body).0, "NOT_FOUND", "{body:#}");

        // A target nobody can meet: the status must say so, naming the target.
        let set = r#"mutation($i: Int!) { setTarget(input: { indicatorId: $i, area: "1489", periodFrom: 2015,
                       kind: ABSOLUTE, comparison: "at_least", value: 1000000 }) { id kind value } }"#;
        let data = app.graphql_data(set, json!({ "i": indicator })).await;
        let target = data["setTarget"]["id"].as_i64().unwrap();
        let data = app.graphql_data("query($i: Int!) { indicator(id: $i) { status { status target { id } explanation } } }", json!({ "i": indicator })).await;
        let s = &data["indicator"]["status"];
        assert_eq!(s["target"]["id"], target, "{s:#}");
        assert_eq!(s["status"], "NOT_ON_TARGET", "{s:#}");
        let bad = r#"mutation($i: Int!) { setTarget(input: { indicatorId: $i, area: "1489", periodFrom: 2015, kind: RELATIVE, comparison: "above" }) { id } }"#;
        let body = app.graphql(bad, json!({ "i": indicator })).await;
        assert_eq!(error(&body), ("VALIDATION", "referenceArea"), "{body:#}");
    }

    async fn an_approved_follow_up_is_locked_and_keeps_its_snapshot(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await.with_admin_token().await;
        let (_, council_goal, _) = ids(&app).await;
        let model = app.graphql_data(r#"{ governanceModels(municipality: "1489") { id key } }"#, json!({})).await["governanceModels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == "styrmodell-2019")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let record = r#"mutation($m: Int!, $g: Int!, $a: Assessment!) { recordAssessment(input: { governanceModelId: $m, kind: ANNUAL_REPORT,
                          year: 2022, goalId: $g, assessment: $a, forecast: ACHIEVED, analysis: "Delvis." }) { id assessment followUp { id approved } } }"#;
        let data = app.graphql_data(record, json!({ "m": model, "g": council_goal, "a": "PARTLY_ACHIEVED" })).await;
        let follow_up = data["recordAssessment"]["followUp"]["id"].as_i64().unwrap();
        assert_eq!(data["recordAssessment"]["followUp"]["approved"], false);
        let body = app
            .graphql(r#"mutation($m: Int!, $g: Int!) { recordAssessment(input: { governanceModelId: $m, kind: MONTHLY, year: 2022, goalId: $g, assessment: ACHIEVED }) { id } }"#, json!({ "m": model, "g": council_goal }))
            .await;
        assert_eq!(error(&body).0, "VALIDATION", "the 2019 model has no monthly reports: {body:#}");

        let approve = "mutation($id: Int!) { approveFollowUp(id: $id) { approved snapshot { indicatorId area period value currentValue revised } } }";
        let data = app.graphql_data(approve, json!({ "id": follow_up })).await;
        let snap = data["approveFollowUp"]["snapshot"].as_array().unwrap();
        assert!(!snap.is_empty(), "the report's indicator values are frozen");
        for v in snap {
            assert_eq!(v["revised"], false, "{v:#}");
            assert_eq!(v["value"], v["currentValue"]);
            assert!(v["period"].as_i64().unwrap() <= 2022);
        }
        let body = app.graphql(record, json!({ "m": model, "g": council_goal, "a": "ACHIEVED" })).await;
        assert_eq!(error(&body).0, "CONFLICT", "{body:#}");
        let body = app.graphql(approve, json!({ "id": follow_up })).await;
        assert_eq!(error(&body).0, "CONFLICT", "{body:#}");
        let data = app.graphql_data("query($id: Int!) { goal(id: $id) { assessments { assessment forecast followUp { approved year } } } }", json!({ "id": council_goal })).await;
        assert_eq!(data["goal"]["assessments"][0]["assessment"], "PARTLY_ACHIEVED", "the locked assessment stands");
    }

    async fn assignments_are_created_and_updated(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await.with_admin_token().await;
        let units = app.graphql_data(r#"{ orgUnits(municipality: "1489") { nodes { id kind } } }"#, json!({})).await;
        let id_of = |kind: &str| units["orgUnits"]["nodes"].as_array().unwrap().iter().find(|u| u["kind"] == kind).unwrap()["id"].as_i64().unwrap();
        let (kf, committee) = (id_of("COUNCIL"), id_of("COMMITTEE"));
        let create = r#"mutation($f: Int!, $t: Int!, $d: String) { createAssignment(input: { municipality: "1489", title: "Utred fritidsbanken",
                          fromOrgUnitId: $f, toOrgUnitId: $t, deadline: $d, fundingTkr: 250 }) { id key status deadline from { id } to { id } } }"#;
        let data = app.graphql_data(create, json!({ "f": kf, "t": committee, "d": "2024-06-30" })).await;
        let a = &data["createAssignment"];
        assert_eq!(a["status"], "NOT_STARTED");
        assert_eq!(a["deadline"], "2024-06-30");
        let id = a["id"].as_i64().unwrap();
        let data = app
            .graphql_data("mutation($id: Int!) { updateAssignment(id: $id, input: { status: IN_PROGRESS, deadline: null }) { status deadline } }", json!({ "id": id }))
            .await;
        assert_eq!(data["updateAssignment"], json!({ "status": "IN_PROGRESS", "deadline": null }));
        let body = app.graphql(create, json!({ "f": kf, "t": committee, "d": "30/6 2024" })).await;
        assert_eq!(error(&body), ("VALIDATION", "deadline"), "{body:#}");
        let body = app.graphql(create, json!({ "f": kf, "t": 999_999, "d": null })).await;
        assert_eq!(error(&body).0, "NOT_FOUND", "{body:#}");
    }
}
