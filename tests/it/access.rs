//! Access over HTTP: every mutation without a token is UNAUTHENTICATED, with a reader's token
//! FORBIDDEN, with an editor's token outside its scope FORBIDDEN and inside it allowed and
//! audited; the audit log is for admins; revoked tokens are refused; reads are public unless
//! the setting says otherwise.

use serde_json::{json, Value};
use styrhub_api::app::HttpOptions;
use styrhub_domain::access::{Author, Role, TokenStore};

use crate::helpers::{both, TestApp};

/// The demo's ids the tests act on.
struct Demo {
    root: i64,
    council: i64,
    committee: i64,
    other_committee: i64,
    council_goal: i64,
    indicator: i64,
    model: i64,
    council_assignment: i64,
}

async fn demo(app: &TestApp) -> Demo {
    let d = app
        .graphql_data(
            r#"{ municipality(code: "1489") { id }
                 orgUnits(municipality: "1489") { nodes { id key kind } }
                 goals(municipality: "1489", filter: { kind: COUNCIL_GOAL }, first: 1) { nodes { id owner { key } indicators { id } } }
                 governanceModels(municipality: "1489") { id key }
                 assignments(municipality: "1489", first: 1) { nodes { id from { key } } } }"#,
            json!({}),
        )
        .await;
    let unit = |key: &str| {
        d["orgUnits"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["key"] == key)
            .unwrap_or_else(|| panic!("unit {key}"))["id"]
            .as_i64()
            .unwrap()
    };
    let goal = &d["goals"]["nodes"][0];
    assert_eq!(goal["owner"]["key"], "kf", "the council owns its goals: {goal:#}");
    assert_eq!(d["assignments"]["nodes"][0]["from"]["key"], "kf", "{d:#}");
    Demo {
        root: d["municipality"]["id"].as_i64().unwrap(),
        council: unit("kf"),
        committee: unit("sn"),
        other_committee: unit("kun"),
        council_goal: goal["id"].as_i64().unwrap(),
        indicator: goal["indicators"][0]["id"].as_i64().unwrap(),
        model: d["governanceModels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == "styrmodell-2019")
            .unwrap()["id"]
            .as_i64()
            .unwrap(),
        council_assignment: d["assignments"]["nodes"][0]["id"].as_i64().unwrap(),
    }
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("an error with a code: {body:#}"))
}

const CREATE_GOAL: &str = "mutation($input: CreateGoalInput!) { createGoal(input: $input) { goal { id } } }";
const UPDATE_GOAL: &str = "mutation($id: Int!) { updateGoal(id: $id, input: { title: \"Omformulerat mål\" }) { goal { id } } }";
const ARCHIVE_GOAL: &str = "mutation($id: Int!) { archiveGoal(id: $id) { id } }";
const LINK: &str = "mutation($g: Int!, $i: Int!) { linkIndicator(goalId: $g, indicatorId: $i) { id } }";
const UNLINK: &str = "mutation($g: Int!, $i: Int!) { unlinkIndicator(goalId: $g, indicatorId: $i) { id } }";
const SET_TARGET: &str = r#"mutation($i: Int!) { setTarget(input: { indicatorId: $i, area: "1489", periodFrom: 2022,
    kind: ABSOLUTE, comparison: "at_least", value: 80 }) { id } }"#;
const RECORD: &str = r#"mutation($m: Int!, $g: Int!) { recordAssessment(input: { governanceModelId: $m, kind: ANNUAL_REPORT,
    year: 2022, goalId: $g, assessment: ACHIEVED }) { id followUp { id } } }"#;
const APPROVE: &str = "mutation($id: Int!) { approveFollowUp(id: $id) { id } }";
const CREATE_ASSIGNMENT: &str = r#"mutation($f: Int!, $t: Int!) { createAssignment(input: { municipality: "1489",
    title: "Kartlägg behovet", fromOrgUnitId: $f, toOrgUnitId: $t }) { id } }"#;
const REPORT_ASSIGNMENT: &str = r#"mutation($id: Int!) { reportAssignment(id: $id, input: { status: COMPLETED,
    result: "Kartläggningen är klar" }) { id status result } }"#;
const UPDATE_ASSIGNMENT: &str = "mutation($id: Int!) { updateAssignment(id: $id, input: { status: IN_PROGRESS }) { id } }";

fn goal_input(owner: i64, kind: &str, parents: &[i64], title: &str) -> Value {
    json!({ "input": {
        "municipality": "1489", "governanceModel": "styrmodell-2019", "title": title, "kind": kind,
        "ownerId": owner, "parentIds": parents, "validFrom": "2022-01-01", "validTo": "2023-12-31"
    }})
}

/// The newest audit entry, read with an admin token.
async fn newest_entry(app: &TestApp, admin: &str) -> Value {
    let body = app
        .graphql_as(
            Some(admin),
            "{ auditLog(first: 1) { totalCount nodes { id at actor { tokenId name } action entity entityId before after } } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"]["auditLog"]["nodes"][0].clone()
}

async fn audit_count(app: &TestApp, admin: &str) -> i64 {
    app.graphql_as(Some(admin), "{ auditLog(first: 0) { totalCount } }", json!({}))
        .await["data"]["auditLog"]["totalCount"]
        .as_i64()
        .unwrap()
}

/// A write that must be refused with `expected`, leaving the audit log as it was.
async fn refused(app: &TestApp, admin: &str, token: Option<&str>, expected: &str, query: &str, vars: &Value) {
    let before = audit_count(app, admin).await;
    let body = app.graphql_as(token, query, vars.clone()).await;
    assert_eq!(code(&body), expected, "{query}: {body:#}");
    assert_eq!(audit_count(app, admin).await, before, "a refused write records nothing: {query}");
}

/// A write that must be allowed for `token` and recorded as `action` by `name`; returns `data`
/// and the entry.
async fn allowed(app: &TestApp, admin: &str, token: &str, name: &str, action: &str, query: &str, vars: Value) -> (Value, Value) {
    let body = app.graphql_as(Some(token), query, vars).await;
    assert!(body.get("errors").is_none(), "{action} is allowed: {body:#}");
    let entry = newest_entry(app, admin).await;
    assert_eq!(entry["action"], action, "{entry:#}");
    assert_eq!(entry["actor"]["name"], name, "{entry:#}");
    assert!(entry["actor"]["tokenId"].is_i64(), "{entry:#}");
    assert!(
        entry["after"].is_string() || action == "unlinkIndicator",
        "the row after: {entry:#}"
    );
    (body["data"].clone(), entry)
}

fn json_of(s: &Value) -> Value {
    serde_json::from_str(s.as_str().unwrap_or_else(|| panic!("JSON text: {s}"))).unwrap()
}

both! {
    async fn every_mutation_checks_the_token_and_audits_what_it_allows(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let d = demo(&app).await;
        let admin = app.token("admin", Role::Admin, None).await;
        let reader = app.token("läsare", Role::Reader, None).await;
        let editor = app.token("sn-redaktör", Role::Editor, Some(d.committee)).await;
        let top = app.token("kommun-redaktör", Role::Editor, Some(d.root)).await;
        let (e, a) = (editor.as_str(), admin.as_str());

        // The indicator the editor will set a target for follows only the committee's goal:
        // moved there by the admin (it is the council's as long as a council goal uses it).
        let moved = app.graphql_as(Some(a), UNLINK, json!({ "g": d.council_goal, "i": d.indicator })).await;
        assert!(moved.get("errors").is_none(), "{moved:#}");

        // createGoal
        let outside = goal_input(d.council, "COUNCIL_GOAL", &[], "Ett nytt fullmäktigemål");
        let inside = goal_input(d.committee, "COMMITTEE_GOAL", &[d.council_goal], "Fler ska känna sig trygga");
        refused(&app, a, None, "UNAUTHENTICATED", CREATE_GOAL, &inside).await;
        refused(&app, a, Some(&reader), "FORBIDDEN", CREATE_GOAL, &inside).await;
        refused(&app, a, Some(e), "FORBIDDEN", CREATE_GOAL, &outside).await;
        let mut moving = inside.clone();
        moving["input"]["ownerId"] = json!(d.other_committee);
        refused(&app, a, Some(e), "FORBIDDEN", CREATE_GOAL, &moving).await;
        let (data, entry) = allowed(&app, a, e, "sn-redaktör", "createGoal", CREATE_GOAL, inside.clone()).await;
        let goal = data["createGoal"]["goal"]["id"].as_i64().unwrap();
        assert_eq!((entry["entity"].as_str(), entry["entityId"].as_i64()), (Some("goal"), Some(goal)));
        assert!(entry["before"].is_null(), "a creation has no before: {entry:#}");
        assert_eq!(json_of(&entry["after"])["parent_ids"], json!([d.council_goal]), "{entry:#}");
        let spare = allowed(&app, a, e, "sn-redaktör", "createGoal", CREATE_GOAL, goal_input(d.committee, "COMMITTEE_GOAL", &[], "Att arkivera")).await.0
            ["createGoal"]["goal"]["id"]
            .as_i64()
            .unwrap();

        // updateGoal: the council's goal is not the committee's; nor may the committee's goal
        // move to another committee.
        refused(&app, a, None, "UNAUTHENTICATED", UPDATE_GOAL, &json!({ "id": goal })).await;
        refused(&app, a, Some(&reader), "FORBIDDEN", UPDATE_GOAL, &json!({ "id": goal })).await;
        refused(&app, a, Some(e), "FORBIDDEN", UPDATE_GOAL, &json!({ "id": d.council_goal })).await;
        refused(&app, a, Some(e), "FORBIDDEN", "mutation($id: Int!, $o: Int!) { updateGoal(id: $id, input: { ownerId: $o }) { goal { id } } }",
            &json!({ "id": goal, "o": d.other_committee })).await;
        let (_, entry) = allowed(&app, a, e, "sn-redaktör", "updateGoal", UPDATE_GOAL, json!({ "id": goal })).await;
        assert_eq!(json_of(&entry["before"])["title"], "Fler ska känna sig trygga", "{entry:#}");
        assert_eq!(json_of(&entry["after"])["title"], "Omformulerat mål", "{entry:#}");

        // archiveGoal
        refused(&app, a, None, "UNAUTHENTICATED", ARCHIVE_GOAL, &json!({ "id": spare })).await;
        refused(&app, a, Some(&reader), "FORBIDDEN", ARCHIVE_GOAL, &json!({ "id": spare })).await;
        refused(&app, a, Some(e), "FORBIDDEN", ARCHIVE_GOAL, &json!({ "id": d.council_goal })).await;
        let (_, entry) = allowed(&app, a, e, "sn-redaktör", "archiveGoal", ARCHIVE_GOAL, json!({ "id": spare })).await;
        assert_eq!((json_of(&entry["before"])["archived"].as_bool(), json_of(&entry["after"])["archived"].as_bool()), (Some(false), Some(true)));

        // linkIndicator and unlinkIndicator: a link belongs to its goal.
        let own = json!({ "g": goal, "i": d.indicator });
        let council = json!({ "g": d.council_goal, "i": d.indicator });
        refused(&app, a, None, "UNAUTHENTICATED", LINK, &own).await;
        refused(&app, a, Some(&reader), "FORBIDDEN", LINK, &own).await;
        refused(&app, a, Some(e), "FORBIDDEN", LINK, &council).await;
        let (_, entry) = allowed(&app, a, e, "sn-redaktör", "linkIndicator", LINK, own.clone()).await;
        assert_eq!((entry["entity"].as_str(), entry["entityId"].as_i64()), (Some("indicator_link"), Some(goal)));
        assert_eq!(json_of(&entry["after"]), json!({ "goal_id": goal, "indicator_id": d.indicator }));

        // setTarget: the indicator now follows only the committee's goal.
        let target = json!({ "i": d.indicator });
        refused(&app, a, None, "UNAUTHENTICATED", SET_TARGET, &target).await;
        refused(&app, a, Some(&reader), "FORBIDDEN", SET_TARGET, &target).await;
        let council_indicator = app.graphql_data("query($id: Int!) { goal(id: $id) { indicators { id } } }", json!({ "id": d.council_goal })).await
            ["goal"]["indicators"][0]["id"]
            .as_i64()
            .expect("the council goal has another indicator");
        refused(&app, a, Some(e), "FORBIDDEN", SET_TARGET, &json!({ "i": council_indicator })).await;
        let (data, entry) = allowed(&app, a, e, "sn-redaktör", "setTarget", SET_TARGET, target.clone()).await;
        assert_eq!(entry["entityId"], data["setTarget"]["id"], "{entry:#}");
        assert_eq!(json_of(&entry["after"])["rule"]["value"], 80.0, "{entry:#}");

        refused(&app, a, None, "UNAUTHENTICATED", UNLINK, &own).await;
        refused(&app, a, Some(&reader), "FORBIDDEN", UNLINK, &own).await;
        let council_link = json!({ "g": d.council_goal, "i": council_indicator });
        refused(&app, a, Some(e), "FORBIDDEN", UNLINK, &council_link).await;
        let (_, entry) = allowed(&app, a, e, "sn-redaktör", "unlinkIndicator", UNLINK, own.clone()).await;
        assert!(entry["after"].is_null() && entry["before"].is_string(), "a removal has no after: {entry:#}");

        // recordAssessment
        let own = json!({ "m": d.model, "g": goal });
        refused(&app, a, None, "UNAUTHENTICATED", RECORD, &own).await;
        refused(&app, a, Some(&reader), "FORBIDDEN", RECORD, &own).await;
        refused(&app, a, Some(e), "FORBIDDEN", RECORD, &json!({ "m": d.model, "g": d.council_goal })).await;
        let (data, entry) = allowed(&app, a, e, "sn-redaktör", "recordAssessment", RECORD, own).await;
        assert_eq!(entry["entity"], "goal_assessment", "{entry:#}");
        let follow_up = data["recordAssessment"]["followUp"]["id"].as_i64().unwrap();

        // approveFollowUp: the municipality's decision, for an editor scoped to the whole
        // municipality.
        let fu = json!({ "id": follow_up });
        refused(&app, a, None, "UNAUTHENTICATED", APPROVE, &fu).await;
        refused(&app, a, Some(&reader), "FORBIDDEN", APPROVE, &fu).await;
        refused(&app, a, Some(e), "FORBIDDEN", APPROVE, &fu).await;
        let (_, entry) = allowed(&app, a, &top, "kommun-redaktör", "approveFollowUp", APPROVE, fu).await;
        assert!(json_of(&entry["before"])["approved_at"].is_null(), "{entry:#}");
        assert!(json_of(&entry["after"])["approved_at"].is_string(), "{entry:#}");

        // createAssignment and updateAssignment: an assignment belongs to the unit giving it.
        let own = json!({ "f": d.committee, "t": d.other_committee });
        refused(&app, a, None, "UNAUTHENTICATED", CREATE_ASSIGNMENT, &own).await;
        refused(&app, a, Some(&reader), "FORBIDDEN", CREATE_ASSIGNMENT, &own).await;
        refused(&app, a, Some(e), "FORBIDDEN", CREATE_ASSIGNMENT, &json!({ "f": d.council, "t": d.committee })).await;
        let (data, _) = allowed(&app, a, e, "sn-redaktör", "createAssignment", CREATE_ASSIGNMENT, own).await;
        let assignment = data["createAssignment"]["id"].as_i64().unwrap();
        refused(&app, a, None, "UNAUTHENTICATED", UPDATE_ASSIGNMENT, &json!({ "id": assignment })).await;
        refused(&app, a, Some(&reader), "FORBIDDEN", UPDATE_ASSIGNMENT, &json!({ "id": assignment })).await;
        refused(&app, a, Some(e), "FORBIDDEN", UPDATE_ASSIGNMENT, &json!({ "id": d.council_assignment })).await;
        let (_, entry) = allowed(&app, a, e, "sn-redaktör", "updateAssignment", UPDATE_ASSIGNMENT, json!({ "id": assignment })).await;
        assert_eq!(json_of(&entry["before"])["status"], "not_started", "{entry:#}");
        assert_eq!(json_of(&entry["after"])["status"], "in_progress", "{entry:#}");

        // The log, filtered: the committee goal's history, newest first.
        let history = app
            .graphql_as(Some(a), "query($id: Int!) { auditLog(entity: \"goal\", entityId: $id) { totalCount nodes { action } } }", json!({ "id": goal }))
            .await;
        assert_eq!(history["data"]["auditLog"]["nodes"], json!([{ "action": "updateGoal" }, { "action": "createGoal" }]), "{history:#}");
        let by_top = app.graphql_as(Some(a), "{ auditLog(actor: \"kommun-redaktör\") { totalCount } }", json!({})).await;
        assert_eq!(by_top["data"]["auditLog"]["totalCount"], 1, "{by_top:#}");
    }

    async fn the_receiving_unit_reports_on_an_assignment_and_only_the_giving_unit_changes_it(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let d = demo(&app).await;
        let admin = app.token("admin", Role::Admin, None).await;
        let reader = app.token("läsare", Role::Reader, None).await;
        let giver = app.token("sn-redaktör", Role::Editor, Some(d.committee)).await;
        let receiver = app.token("kun-redaktör", Role::Editor, Some(d.other_committee)).await;
        let top = app.token("kommun-redaktör", Role::Editor, Some(d.root)).await;
        let a = admin.as_str();
        // Given by the committee to the other committee.
        let (data, _) = allowed(&app, a, &giver, "sn-redaktör", "createAssignment", CREATE_ASSIGNMENT, json!({ "f": d.committee, "t": d.other_committee })).await;
        let id = json!({ "id": data["createAssignment"]["id"] });

        // The report (status and result) is the receiver's, and any editor's above it.
        refused(&app, a, None, "UNAUTHENTICATED", REPORT_ASSIGNMENT, &id).await;
        refused(&app, a, Some(&reader), "FORBIDDEN", REPORT_ASSIGNMENT, &id).await;
        refused(&app, a, Some(&giver), "FORBIDDEN", REPORT_ASSIGNMENT, &id).await;
        let (data, entry) = allowed(&app, a, &receiver, "kun-redaktör", "reportAssignment", REPORT_ASSIGNMENT, id.clone()).await;
        assert_eq!(data["reportAssignment"]["status"], "COMPLETED");
        assert_eq!(data["reportAssignment"]["result"], "Kartläggningen är klar");
        assert_eq!(json_of(&entry["before"])["status"], "not_started", "{entry:#}");
        assert_eq!(json_of(&entry["before"])["result"], Value::Null, "{entry:#}");
        assert_eq!(json_of(&entry["after"])["result"], "Kartläggningen är klar", "{entry:#}");
        let clear = "mutation($id: Int!) { reportAssignment(id: $id, input: { result: null }) { result status } }";
        let (data, _) = allowed(&app, a, &top, "kommun-redaktör", "reportAssignment", clear, id.clone()).await;
        assert_eq!(data["reportAssignment"], json!({ "result": null, "status": "COMPLETED" }), "null clears the result only");
        allowed(&app, a, a, "admin", "reportAssignment", REPORT_ASSIGNMENT, id.clone()).await;

        // Its content is the giver's: the receiver may not change it, the giver may.
        refused(&app, a, Some(&receiver), "FORBIDDEN", UPDATE_ASSIGNMENT, &id).await;
        let (_, entry) = allowed(&app, a, &giver, "sn-redaktör", "updateAssignment", UPDATE_ASSIGNMENT, id.clone()).await;
        assert_eq!(json_of(&entry["after"])["result"], "Kartläggningen är klar", "an update keeps the report: {entry:#}");

        // Reading it back: what was reported.
        let read = app
            .graphql_data("{ assignments(municipality: \"1489\", first: 100) { nodes { id status result } } }", json!({}))
            .await;
        let ours = read["assignments"]["nodes"].as_array().unwrap().iter().find(|n| n["id"] == id["id"]).cloned();
        assert_eq!(ours, Some(json!({ "id": id["id"], "status": "IN_PROGRESS", "result": "Kartläggningen är klar" })));

        // A report on an assignment that does not exist: NOT_FOUND for an admin.
        let missing = app.graphql_as(Some(a), REPORT_ASSIGNMENT, json!({ "id": 999_999 })).await;
        assert_eq!(code(&missing), "NOT_FOUND", "{missing:#}");
    }

    async fn only_admins_read_the_audit_log_page_by_page(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let d = demo(&app).await;
        let admin = app.token("admin", Role::Admin, None).await;
        let editor = app.token("sn", Role::Editor, Some(d.committee)).await;
        let reader = app.token("läsare", Role::Reader, None).await;
        for title in ["Ett", "Två", "Tre"] {
            let body = app.graphql_as(Some(&admin), CREATE_GOAL, goal_input(d.committee, "COMMITTEE_GOAL", &[], title)).await;
            assert!(body.get("errors").is_none(), "{body:#}");
        }
        // A write that fails leaves no entry.
        let before = audit_count(&app, &admin).await;
        let body = app.graphql_as(Some(&admin), CREATE_GOAL, goal_input(d.committee, "COUNCIL_GOAL", &[], "Fel nivå")).await;
        assert_eq!(code(&body), "VALIDATION", "{body:#}");
        assert_eq!(audit_count(&app, &admin).await, before, "a failed write records nothing");

        let log = "query($after: String) { auditLog(first: 2, after: $after, entity: \"goal\") { totalCount pageInfo { hasNextPage endCursor }
                     nodes { actor { name } after } } }";
        let first = app.graphql_as(Some(&admin), log, json!({})).await;
        let page = &first["data"]["auditLog"];
        assert_eq!(page["totalCount"], 3, "{first:#}");
        assert_eq!(page["pageInfo"]["hasNextPage"], true);
        assert_eq!(json_of(&page["nodes"][0]["after"])["title"], "Tre", "newest first: {first:#}");
        let next = app.graphql_as(Some(&admin), log, json!({ "after": page["pageInfo"]["endCursor"] })).await;
        let nodes = next["data"]["auditLog"]["nodes"].as_array().unwrap().clone();
        assert_eq!(nodes.len(), 1, "{next:#}");
        assert_eq!(json_of(&nodes[0]["after"])["title"], "Ett");
        assert_eq!(next["data"]["auditLog"]["pageInfo"]["hasNextPage"], false);

        let q = "{ auditLog { totalCount } }";
        assert_eq!(code(&app.graphql_as(Some(&editor), q, json!({})).await), "FORBIDDEN");
        assert_eq!(code(&app.graphql_as(Some(&reader), q, json!({})).await), "FORBIDDEN");
        assert_eq!(code(&app.graphql_as(None, q, json!({})).await), "UNAUTHENTICATED");
    }

    async fn revoked_unknown_and_malformed_tokens_are_unauthenticated(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let admin = app.token("snart återkallad", Role::Admin, None).await;
        let q = "{ municipality(code: \"1489\") { name } }";
        assert!(app.graphql_as(Some(&admin), q, json!({})).await.get("errors").is_none());
        let id = app.store.tokens().await.unwrap().into_iter().find(|t| t.name == "snart återkallad").unwrap().id;
        app.store.revoke_token(&Author::system("test"), id, chrono::Utc::now()).await.unwrap();
        assert_eq!(code(&app.graphql_as(Some(&admin), q, json!({})).await), "UNAUTHENTICATED", "a revoked token, even for a read");
        assert_eq!(code(&app.graphql_as(Some("styrhub_nonsense"), q, json!({})).await), "UNAUTHENTICATED");
        assert_eq!(code(&app.graphql_as(Some("not-a-token"), q, json!({})).await), "UNAUTHENTICATED");

        let res = app.get_with("/api/v1/kpis", &[("authorization", &format!("Bearer {admin}"))]).await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"styrhub\"");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "UNAUTHENTICATED", "{body:#}");
        assert!(!body.to_string().contains(&admin), "the token is never echoed");
    }

    async fn reads_are_public_by_default(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let body = app.graphql_as(None, "{ municipality(code: \"1489\") { name } }", json!({})).await;
        assert!(body.get("errors").is_none(), "{body:#}");
        assert_eq!(app.get("/api/v1/kpis").await.status(), 200);
    }

    async fn with_the_setting_every_read_needs_a_token(db: TestDb) {
        let http = HttpOptions { require_token_for_reads: true, ..HttpOptions::default() };
        let app = TestApp::spawn_with(db, http).await.with_demo().await;
        let reader = app.token("läsare", Role::Reader, None).await;
        let q = "{ municipality(code: \"1489\") { name } }";
        assert_eq!(code(&app.graphql_as(None, q, json!({})).await), "UNAUTHENTICATED");
        let body = app.graphql_as(Some(&reader), q, json!({})).await;
        assert_eq!(body["data"]["municipality"]["name"].as_str().map(|n| n.contains("Alingsås")), Some(true), "{body:#}");

        let res = app.get("/api/v1/kpis").await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        assert!(res.headers().contains_key("www-authenticate"));
        let body: Value = res.json().await.unwrap();
        assert_eq!((body["status"].as_i64(), body["code"].as_str()), (Some(401), Some("UNAUTHENTICATED")), "{body:#}");

        let res = app.get_with("/api/v1/kpis", &[("authorization", &format!("Bearer {reader}"))]).await;
        assert_eq!(res.status(), 200);
        let cache = res.headers()["cache-control"].to_str().unwrap().to_owned();
        assert!(cache.contains("private") && !cache.contains("public"), "no shared cache keeps it: {cache}");

        for public in ["/healthz", "/readyz", "/", "/api/openapi.json", "/metrics"] {
            assert_eq!(app.get(public).await.status(), 200, "{public} stays public");
        }
    }
}
