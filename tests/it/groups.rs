//! Comparison groups of a municipality's own: from a package, GraphQL (editors of the
//! municipality, audited) and the CLI; used in a group series with the municipality's rank, in
//! a ranking and in a relative target, each judged with the group as it was in the year.
//!
//! The values are written here, for years no demo file has (2031–2033), so that every figure
//! is checked against a computation in the test whatever the demo holds.

use serde_json::{json, Value};
use styrhub_domain::access::Role;
use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource};
use styrhub_domain::ports::ObservationWriter;

use crate::helpers::{both, styrhub_command, TestApp};

/// Writes `values` (area, year, value) of `kpi`.
async fn write(app: &TestApp, kpi: &str, values: &[(&str, i32, f64)]) {
    let rows: Vec<NewObservation> = values
        .iter()
        .map(|(area, year, value)| NewObservation {
            series: SeriesRef::Kpi(KpiId::parse(kpi).unwrap()),
            area: AreaCode::parse(area).unwrap(),
            period: Year::new(*year).unwrap(),
            gender: Gender::Total,
            value: Some(*value),
            status: None,
            count: None,
            source: ValueSource::File,
            deleted: false,
        })
        .collect();
    app.store.write_batch(&rows).await.unwrap();
}

/// The values: four members, one of which (1401) joins in 2032; Alingsås (1489) is not a member.
const VALUES: &[(&str, i32, f64)] = &[
    ("1440", 2031, 6.0),
    ("1441", 2031, 7.0),
    ("1482", 2031, 9.0),
    ("1401", 2031, 1.0),
    ("1489", 2031, 8.0),
    ("1440", 2032, 6.5),
    ("1441", 2032, 7.5),
    ("1482", 2032, 8.5),
    ("1401", 2032, 5.5),
    ("1489", 2032, 7.0),
];

const SAVE: &str = r#"mutation($i: SaveComparisonGroupInput!) { saveComparisonGroup(input: $i) {
    code title source owner validFrom members(year: 2031) all: members memberships { area from to } } }"#;

fn group_input(title: &str) -> Value {
    json!({ "i": {
        "municipality": "1489", "key": "testgrupp", "title": title, "validFrom": 2030,
        "members": [{ "area": "1440" }, { "area": "1441" }, { "area": "1482" }, { "area": "1401", "from": 2032 }]
    }})
}

fn error(body: &Value) -> (&str, &str) {
    let e = &body["errors"][0];
    (
        e["extensions"]["code"].as_str().unwrap_or_else(|| panic!("an error: {body:#}")),
        e["extensions"]["field"].as_str().unwrap_or(""),
    )
}

async fn audit_count(app: &TestApp, admin: &str) -> i64 {
    app.graphql_as(Some(admin), "{ auditLog(first: 0) { totalCount } }", json!({}))
        .await["data"]["auditLog"]["totalCount"]
        .as_i64()
        .unwrap()
}

async fn json_of(app: &TestApp, path: &str) -> Value {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

/// Mean, median, lowest, highest of `v`.
fn figures(mut v: Vec<f64>) -> (f64, f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
    (v.iter().sum::<f64>() / n as f64, median, v[0], v[n - 1])
}

both! {
    async fn the_demo_package_defines_alingsas_comparison_group_year_by_year(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let data = app
            .graphql_data(
                r#"{ comparisonGroups(municipality: "1489") { code title source owner validFrom before: members(year: 2018) now: members(year: 2022) } }"#,
                json!({}),
            )
            .await;
        let g = data["comparisonGroups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["code"] == "1489:jamforelsekommuner")
            .unwrap_or_else(|| panic!("{data:#}"));
        assert_eq!((g["title"].as_str(), g["source"].as_str(), g["owner"].as_str()), (Some("Alingsås jämförelsekommuner"), Some("OWN"), Some("1489")));
        assert_eq!(g["before"], json!(["1415", "1440", "1441", "1463", "1482", "1487"]), "Härryda joins in 2019");
        assert_eq!(g["now"], json!(["1401", "1415", "1440", "1441", "1463", "1482", "1487"]));
        let rest = json_of(&app, "/api/v1/groups?municipality=1489").await;
        let r = rest.as_array().unwrap().iter().find(|g| g["code"] == "1489:jamforelsekommuner").unwrap();
        assert!(r["members"].as_array().unwrap().contains(&json!({ "area": "1401", "from": 2019, "to": null })), "{r:#}");
        let csv = app.get("/api/v1/groups?municipality=1489&format=csv").await.text().await.unwrap();
        assert_eq!(csv.lines().next(), Some("group,title,source,owner,member,from,to"), "{csv}");
        assert!(csv.lines().any(|l| l == "1489:jamforelsekommuner,Alingsås jämförelsekommuner,own,1489,1401,2019,"), "{csv}");
        let bad = app.get("/api/v1/groups?municipality=14").await;
        assert_eq!(bad.status(), 400);
        // Another municipality's list does not show it.
        let other = app.graphql_data(r#"{ comparisonGroups(municipality: "0764") { code } }"#, json!({})).await;
        assert!(!other.to_string().contains("1489:"), "{other:#}");
    }

    async fn an_own_group_is_saved_by_the_municipalitys_editors_audited_and_again_changes_nothing(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await.with_admin_token().await;
        let admin = app.token("admin", Role::Admin, None).await;
        let d = app.graphql_data(r#"{ municipality(code: "1489") { id } orgUnits(municipality: "1489") { nodes { id key } } }"#, json!({})).await;
        let root = d["municipality"]["id"].as_i64().unwrap();
        let unit = d["orgUnits"]["nodes"].as_array().unwrap().iter().find(|u| u["key"] != "1489" && u["id"] != root).unwrap()["id"].as_i64().unwrap();
        let editor = app.token("kommunstyrelsen", Role::Editor, Some(root)).await;
        let narrow = app.token("en enhet", Role::Editor, Some(unit)).await;
        let reader = app.token("läsare", Role::Reader, None).await;

        let before = audit_count(&app, &admin).await;
        for (token, code) in [(Some(reader.as_str()), "FORBIDDEN"), (Some(narrow.as_str()), "FORBIDDEN"), (None, "UNAUTHENTICATED")] {
            let body = app.graphql_as(token, SAVE, group_input("Testgrupp")).await;
            assert_eq!(error(&body).0, code, "{body:#}");
        }
        assert_eq!(audit_count(&app, &admin).await, before, "a refusal writes nothing");

        let body = app.graphql_as(Some(&editor), SAVE, group_input("Testgrupp")).await;
        let g = &body["data"]["saveComparisonGroup"];
        assert_eq!(g["code"], "1489:testgrupp", "{body:#}");
        assert_eq!(g["members"], json!(["1440", "1441", "1482"]), "1401 joins in 2032");
        assert_eq!(g["all"], json!(["1401", "1440", "1441", "1482"]));
        assert!(g["memberships"].as_array().unwrap().contains(&json!({ "area": "1401", "from": 2032, "to": null })), "{g:#}");
        let entry = app
            .graphql_as(Some(&admin), "{ auditLog(first: 1) { nodes { action entity actor { name } after } } }", json!({}))
            .await;
        let e = &entry["data"]["auditLog"]["nodes"][0];
        assert_eq!((e["action"].as_str(), e["entity"].as_str(), e["actor"]["name"].as_str()), (Some("saveComparisonGroup"), Some("area_group"), Some("kommunstyrelsen")), "{e:#}");
        let counted = audit_count(&app, &admin).await;
        assert_eq!(counted, before + 1);
        let again = app.graphql_as(Some(&editor), SAVE, group_input("Testgrupp")).await;
        assert!(again.get("errors").is_none(), "{again:#}");
        assert_eq!(audit_count(&app, &admin).await, counted, "the same group again changes nothing");
        let renamed = app.graphql_as(Some(&editor), SAVE, group_input("Testgruppen")).await;
        assert_eq!(renamed["data"]["saveComparisonGroup"]["title"], "Testgruppen", "{renamed:#}");
        assert_eq!(audit_count(&app, &admin).await, counted + 1);

        // Bad input names its field and writes nothing.
        let mut bad = group_input("x");
        bad["i"]["members"] = json!([{ "area": "G92790" }]);
        let body = app.graphql_as(Some(&editor), SAVE, bad).await;
        assert_eq!(error(&body), ("VALIDATION", "members"), "{body:#}");
        let mut bad = group_input("x");
        bad["i"]["key"] = json!("Test Grupp");
        assert_eq!(error(&app.graphql_as(Some(&editor), SAVE, bad).await).1, "key");
        let mut bad = group_input("x");
        bad["i"]["municipality"] = json!("9999");
        let body = app.graphql_as(Some(&admin), SAVE, bad).await;
        assert_eq!(error(&body).0, "NOT_FOUND", "{body:#}");
        assert_eq!(audit_count(&app, &admin).await, counted + 1);
    }

    async fn an_own_group_gives_figures_a_rank_and_a_relative_target_judged_as_the_group_was(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await.with_admin_token().await;
        let body = app.graphql(SAVE, group_input("Testgrupp")).await;
        assert!(body.get("errors").is_none(), "{body:#}");
        // N00090, the demo's sick-leave key figure (ska minska), and the same values under a
        // key figure no indicator uses.
        write(&app, "N00090", VALUES).await;
        write(&app, "N99990", VALUES).await;

        // Figures year by year over the members of that year, against the same computed here.
        let g = json_of(&app, "/api/v1/kpis/N00090/group-series?group=1489:testgrupp&area=1489&from=2031&to=2032").await;
        let rows = g["figures"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{g:#}");
        let members_of = |year: i32| -> Vec<f64> {
            VALUES
                .iter()
                .filter(|(a, y, _)| *y == year && *a != "1489" && (*a != "1401" || year >= 2032))
                .map(|(_, _, v)| *v)
                .collect()
        };
        for (row, year) in rows.iter().zip([2031, 2032]) {
            let v = members_of(year);
            let (mean, median, min, max) = figures(v.clone());
            assert_eq!(row["period"], year);
            assert_eq!((row["members"].as_u64(), row["with_value"].as_u64()), (Some(v.len() as u64), Some(v.len() as u64)), "{row}");
            assert!((row["mean"].as_f64().unwrap() - mean).abs() < 1e-9, "{year}: {row} against {mean}");
            assert_eq!((row["median"].as_f64(), row["min"].as_f64(), row["max"].as_f64()), (Some(median), Some(min), Some(max)), "{row}");
            // The rank among the members and Alingsås, lowest first: the demo's indicator of
            // N00090 says "ska minska".
            let own = VALUES.iter().find(|(a, y, _)| *a == "1489" && *y == year).unwrap().2;
            let rank = 1 + v.iter().filter(|x| **x < own).count() as u64;
            assert_eq!((row["value"].as_f64(), row["rank"].as_u64(), row["of"].as_u64()), (Some(own), Some(rank), Some(v.len() as u64 + 1)), "{row}");
        }
        assert_eq!((rows[0]["rank"].as_u64(), rows[0]["percentile"].as_f64()), (Some(3), Some(33.3)), "8.0 after 6 and 7, before 9");
        assert_eq!((g["order"].as_str(), g["order_from"].as_str()), (Some("asc"), Some("desired_direction")));
        let desc = json_of(&app, "/api/v1/kpis/N00090/group-series?group=1489:testgrupp&area=1489&from=2031&to=2031&order=desc").await;
        assert_eq!((desc["figures"][0]["rank"].as_u64(), desc["figures"][0]["percentile"].as_f64(), desc["order_from"].as_str()), (Some(2), Some(66.7), Some("parameter")));
        // A key figure no indicator gives a direction to: the highest first, and said so.
        let bare = json_of(&app, "/api/v1/kpis/N99990/group-series?group=1489:testgrupp&area=1489&from=2031&to=2031").await;
        assert_eq!((bare["order"].as_str(), bare["order_from"].as_str(), bare["figures"][0]["rank"].as_u64()), (Some("desc"), Some("default"), Some(2)), "{bare:#}");
        assert_eq!(g["groups"][0], json!({ "code": "1489:testgrupp", "title": "Testgrupp" }));

        // Through the indicator: ranked in its desired direction (sick leave: ska minska).
        let ind = app
            .graphql_data(r#"{ indicators(municipality: "1489", filter: { kpi: "N00090" }) { nodes { id direction } } }"#, json!({}))
            .await;
        let indicator = ind["indicators"]["nodes"][0]["id"].as_i64().unwrap();
        let by_indicator = json_of(&app, &format!("/api/v1/indicators/{indicator}/group-series?group=1489:testgrupp&area=1489&from=2031&to=2031")).await;
        assert_eq!((by_indicator["order"].as_str(), by_indicator["order_from"].as_str()), (Some("asc"), Some("desired_direction")), "{by_indicator:#}");
        assert_eq!(by_indicator["figures"][0]["rank"], 3, "8.0 after 6 and 7, before 9");
        let gql = app
            .graphql_data(
                "query($i: Int!) { indicator(id: $i) { groupSeries(group: [\"1489:testgrupp\"], area: \"1489\", from: 2031, to: 2031) { period mean rank of percentile } } }",
                json!({ "i": indicator }),
            )
            .await;
        let f = &gql["indicator"]["groupSeries"][0];
        assert_eq!((f["rank"].as_i64(), f["of"].as_i64(), f["percentile"].as_f64()), (Some(3), Some(4), Some(33.3)), "{gql:#}");
        assert!((f["mean"].as_f64().unwrap() - 22.0 / 3.0).abs() < 1e-9, "{gql:#}");

        // JSON-stat and CSV carry the same figures.
        let d = json_of(&app, "/api/v1/kpis/N00090/group-series?group=1489:testgrupp&area=1489&from=2031&to=2032&format=jsonstat").await;
        assert_eq!(d["id"], json!(["period", "gender", "measure"]), "{d:#}");
        let measures = d["dimension"]["measure"]["category"]["index"].as_object().unwrap();
        let (m, size) = (measures.len(), d["size"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap()).collect::<Vec<_>>());
        assert_eq!(size, [2, 1, m as u64]);
        let at = |year: usize, measure: &str| d["value"][year * m + measures[measure].as_u64().unwrap() as usize].clone();
        assert_eq!(at(1, "median"), rows[1]["median"]);
        assert_eq!(at(0, "rank"), json!(3.0));
        let csv = app.get("/api/v1/kpis/N00090/group-series?group=1489:testgrupp&area=1489&from=2031&to=2031&format=csv").await.text().await.unwrap();
        assert!(csv.starts_with("series,period,gender,members,with_value,mean,median,min,max,area,value,rank,of,percentile"), "{csv}");
        assert!(csv.contains("N00090,2031,T,3,3,"), "{csv}");

        // A ranking of the group stands for its members of the year ranked.
        let r2031 = json_of(&app, "/api/v1/kpis/N00090/ranking?year=2031&group=1489:testgrupp&area=1489").await;
        assert_eq!(r2031["position"], json!({ "rank": 2, "of": 4, "value": 8.0 }), "{r2031:#}");
        let r2032 = json_of(&app, "/api/v1/kpis/N00090/ranking?year=2032&group=1489:testgrupp&area=1489").await;
        assert_eq!(r2032["position"]["of"], 5, "1401 is a member in 2032: {r2032:#}");

        // A target relative to the group's mean: "under snittet för Testgrupp".
        let set = r#"mutation($i: Int!) { setTarget(input: { indicatorId: $i, area: "1489", periodFrom: 2031,
                       kind: RELATIVE, comparison: "below", referenceArea: "1489:testgrupp" }) { id referenceArea } }"#;
        let data = app.graphql_data(set, json!({ "i": indicator })).await;
        assert_eq!(data["setTarget"]["referenceArea"], "1489:testgrupp");
        let status = |year: i32| {
            let app = &app;
            async move {
                app.graphql_data(
                    "query($i: Int!, $y: Int) { indicator(id: $i) { status(period: $y) { status period explanation sv: explanation(language: SV) } } }",
                    json!({ "i": indicator, "y": year }),
                )
                .await["indicator"]["status"]
                    .clone()
            }
        };
        // 2031: 8.0 against the mean of 6, 7, 9 (7.33…): above it, so not on target.
        let s = status(2031).await;
        assert_eq!(s["status"], "NOT_ON_TARGET", "{s:#}");
        assert!(s["sv"].as_str().unwrap().starts_with("0,67 över snittet för Testgrupp"), "{s:#}");
        // 2032, with 1401 a member: 7.0 against the mean of 6.5, 7.5, 8.5, 5.5 (7.0): equal.
        let s = status(2032).await;
        assert_eq!(s["status"], "NOT_ON_TARGET", "{s:#}");
        assert!(s["explanation"].as_str().unwrap().starts_with("equal to the mean of Testgrupp"), "{s:#}");
        // Without 1401, 2032's mean would be 7.5 and 7.0 below it: the group is judged as it was.
        let latest = app
            .graphql_data("query($i: Int!) { indicator(id: $i) { status { status period } } }", json!({ "i": indicator }))
            .await;
        assert_eq!(latest["indicator"]["status"], json!({ "status": "NOT_ON_TARGET", "period": 2032 }), "{latest:#}");
        // The same over REST.
        let rest = json_of(&app, &format!("/api/v1/indicators/{indicator}")).await;
        assert!(rest["status"]["explanation"].as_str().unwrap().contains("the mean of Testgrupp"), "{rest:#}");
    }
}

both! {
    async fn the_cli_saves_and_lists_an_own_group(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let run = |args: &[&str]| {
            let out = styrhub_command(app.db_url()).args(args).output().expect("styrhub runs");
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let (ok, out, err) = run(&[
            "group",
            "save",
            "--municipality",
            "1489",
            "--key",
            "cli-grupp",
            "--title",
            "CLI-gruppen",
            "--members",
            "1440,1401:2019-",
            "--from",
            "2015",
        ]);
        assert!(ok, "{out}{err}");
        assert!(out.contains("saved 1489:cli-grupp"), "{out}");
        let (ok, out, err) = run(&["group", "list", "--municipality", "1489"]);
        assert!(ok, "{err}");
        assert!(out.contains("1489:cli-grupp\town\tCLI-gruppen\t1401:2019-,1440:2015-"), "{out}");
        let (ok, _, err) = run(&[
            "group",
            "save",
            "--municipality",
            "1489",
            "--key",
            "x",
            "--title",
            "X",
            "--members",
            "1440,,1441",
        ]);
        assert!(!ok && err.contains("--members"), "{err}");
        let (ok, _, err) = run(&[
            "group",
            "save",
            "--municipality",
            "1489",
            "--key",
            "x",
            "--title",
            "X",
            "--members",
            "1440",
            "--from",
            "2020",
            "--to",
            "2010",
        ]);
        assert!(!ok && err.contains("--from"), "{err}");
    }
}
