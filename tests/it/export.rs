//! Whole tables as CSV (`/api/v1/export/{table}.csv`, `.csv.gz`): every table with its header
//! and every row the database holds, filters as each table takes them, the gzipped and the
//! Excel variants, and bad requests named.

use std::collections::HashMap;
use std::io::Read;

use serde_json::Value;
use styrhub_domain::export::Table;

use crate::helpers::{both, TestApp};

/// The body of a 200, as text.
async fn text(app: &TestApp, path: &str) -> String {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "GET {path}");
    res.text().await.unwrap()
}

/// Rows (header first) of a plain CSV.
fn rows(csv: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(csv.as_bytes());
    r.records().map(|x| x.unwrap().iter().map(str::to_owned).collect()).collect()
}

async fn problem(app: &TestApp, path: &str, status: u16, parameter: &str) {
    let res = app.get(path).await;
    assert_eq!(res.status(), status, "GET {path}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["parameter"], parameter, "GET {path}: {body:#}");
}

both! {
    async fn every_table_exports_every_row_with_its_header(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let counts: HashMap<String, u64> = styrhub_store::package::table_counts(app.store.connection()).await.unwrap().into_iter().collect();
        let stored = |t: Table| -> Option<u64> {
            let name = match t {
                Table::Observations => "observation",
                Table::Kpis => "kpi",
                Table::Areas => "area",
                Table::OrgUnits => "org_unit",
                Table::Goals => "goal",
                Table::GoalEdges => "goal_parent",
                Table::Indicators => "indicator",
                Table::GoalIndicators => "indicator_goal",
                Table::Targets => "target",
                Table::FollowUps => "follow_up",
                Table::Assessments => "goal_assessment",
                Table::Assignments => "assignment",
                Table::Budgets => "budget",
                Table::Statuses => "indicator_status",
                Table::Municipalities => return None,
            };
            Some(counts[name])
        };
        for t in Table::ALL {
            let csv = text(&app, &format!("/api/v1/export/{}.csv", t.name())).await;
            let r = rows(&csv);
            let header: Vec<&str> = t.columns().iter().map(|c| c.name).collect();
            assert_eq!(r[0], header, "{}", t.name());
            if let Some(n) = stored(t) {
                assert_eq!(r.len() as u64 - 1, n, "{}: every stored row", t.name());
            }
            if matches!(t, Table::Observations | Table::Kpis | Table::Goals | Table::Indicators | Table::Targets | Table::Budgets | Table::Statuses) {
                assert!(r.len() > 1, "{}: the demo has rows", t.name());
            }
        }
        let m = rows(&text(&app, "/api/v1/export/municipalities.csv").await);
        let codes: Vec<&str> = m[1..].iter().map(|r| r[1].as_str()).collect();
        assert_eq!(codes.len(), 4, "{codes:?}");
        assert!(codes.contains(&"1489"), "{codes:?}");
    }

    async fn filters_narrow_an_export_as_the_rest_api_reads_the_same_rows(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        // Alingsås's sick leave, 2015–2022, every gender: the same values as the series.
        let csv = text(&app, "/api/v1/export/observations.csv?kpi=N00090&area=1489&from=2015&to=2022").await;
        let r = rows(&csv);
        let series: Value = app.get("/api/v1/kpis/N00090/series?area=1489&from=2015&to=2022&gender=T,K,M").await.json().await.unwrap();
        let mut expected: Vec<(String, String, String)> = Vec::new();
        for s in series["series"].as_array().unwrap() {
            for p in s["points"].as_array().unwrap() {
                if let Some(v) = p["value"].as_f64() {
                    expected.push((p["period"].to_string(), s["gender"].as_str().unwrap().to_owned(), v.to_string()));
                }
            }
        }
        let mut got: Vec<(String, String, String)> = r[1..].iter().map(|row| (row[4].clone(), row[5].clone(), row[6].clone())).collect();
        expected.sort();
        got.sort();
        assert_eq!(got, expected);
        assert!(r[1..].iter().all(|row| row[1] == "N00090" && row[3] == "1489" && row[8] == "kolada"), "{csv}");
        // By indicator: the KPI's series, since the indicator keeps its values there.
        let ind: Value = app.get("/api/v1/indicators?municipality=1489&kpi=N00090").await.json().await.unwrap();
        let id = ind["items"][0]["id"].as_i64().unwrap();
        let by_indicator = rows(&text(&app, &format!("/api/v1/export/observations.csv?indicator={id}&area=1489&from=2015&to=2022")).await);
        assert_eq!(by_indicator.len(), r.len());
        // Governance tables by municipality.
        let goals = rows(&text(&app, "/api/v1/export/goals.csv?municipality=1489").await);
        assert!(goals[1..].iter().all(|g| g[1] == "1489") && goals.len() > 10, "{goals:?}");
        let alvesta = rows(&text(&app, "/api/v1/export/goals.csv?municipality=0764").await);
        assert!(alvesta[1..].iter().all(|g| g[1] == "0764"));
        let targets = rows(&text(&app, &format!("/api/v1/export/targets.csv?indicator={id}")).await);
        assert!(targets.len() > 1 && targets[1..].iter().all(|t| t[1] == id.to_string()), "{targets:?}");
        let budgets = rows(&text(&app, "/api/v1/export/budgets.csv?municipality=1489&from=2022&to=2022").await);
        assert!(budgets.len() > 1 && budgets[1..].iter().all(|b| b[3] == "2022"), "{budgets:?}");
    }

    async fn an_export_comes_gzipped_or_for_excel_and_bad_requests_are_named(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let path = "/api/v1/export/observations.csv?kpi=N00090";
        let plain = app.get(path).await;
        assert_eq!(plain.headers()["content-type"], "text/csv; charset=utf-8; header=present");
        assert!(plain.headers()["content-disposition"].to_str().unwrap().contains("observations.csv"));
        // Streamed: not held whole to be tagged, and not kept.
        assert!(plain.headers().get("etag").is_none());
        assert_eq!(plain.headers()["cache-control"], "no-store");
        let plain = plain.bytes().await.unwrap();
        let gz = app.get("/api/v1/export/observations.csv.gz?kpi=N00090").await;
        assert_eq!(gz.headers()["content-type"], "application/gzip");
        assert!(gz.headers().get("content-encoding").is_none(), "a gzip file is not compressed again");
        let gz = gz.bytes().await.unwrap();
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut unzipped).unwrap();
        assert_eq!(unzipped, plain.to_vec(), "the same file, gzipped");
        assert!(gz.len() < plain.len() / 3, "{} bytes against {}", gz.len(), plain.len());

        let excel = app.get(&format!("{path}&format=csv-excel")).await.bytes().await.unwrap();
        let excel = String::from_utf8(excel.to_vec()).unwrap();
        assert!(excel.starts_with("\u{feff}id;kpi;indicator_id;area;period;gender;value"), "{}", &excel[..80]);
        assert!(excel.lines().nth(1).unwrap().contains(','), "decimal commas: {}", excel.lines().nth(1).unwrap());

        problem(&app, "/api/v1/export/secrets.csv", 404, "table").await;
        problem(&app, "/api/v1/export/goals.json", 404, "table").await;
        problem(&app, "/api/v1/export/observations.csv?municipality=1489", 400, "municipality").await;
        problem(&app, "/api/v1/export/goals.csv?municipality=9999", 404, "municipality").await;
        problem(&app, "/api/v1/export/indicators.csv?indicator=999999", 404, "indicator").await;
        problem(&app, "/api/v1/export/goals.csv?format=xml", 400, "format").await;
        problem(&app, "/api/v1/export/observations.csv?from=20155", 400, "from").await;
    }
}
