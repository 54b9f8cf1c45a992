use std::collections::BTreeMap;

use sea_orm::{FromQueryResult, JsonValue, Statement};
use serde_json::json;
use styrhub_domain::kpi::{Kpi, KpiFilter};
use styrhub_domain::ports::{MetadataWriter, SeriesReader};
use styrhub_store::package::table_counts;

use crate::helpers::{both, demo_dir, TestApp};

/// The shipped Kolada values as `(kpi, area, period, gender) → value`, read from the file the
/// demo loads, so that the tests compare the API with the source rather than with copied numbers.
fn kolada_values() -> BTreeMap<(String, String, i64, String), f64> {
    let text = std::fs::read_to_string(demo_dir().join("kolada/values.csv")).expect("demo/kolada/values.csv");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("kpi,area,period,gender,value,source"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f[5], "kolada", "{l}");
            (
                (f[0].to_owned(), f[1].to_owned(), f[2].parse().unwrap(), f[3].to_owned()),
                f[4].parse().unwrap(),
            )
        })
        .collect()
}

/// The demo's indicator `key` of Alingsås, with `fields`.
async fn indicator(app: &TestApp, key: &str, fields: &str) -> serde_json::Value {
    let data = app
        .graphql_data(
            &format!(r#"{{ indicators(municipality: "1489", first: 100) {{ nodes {{ key {fields} }} }} }}"#),
            json!({}),
        )
        .await;
    data["indicators"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == key)
        .unwrap_or_else(|| panic!("no indicator {key}"))
        .clone()
}

/// Every row of every table, in key order: what "exactly the same data" compares.
async fn dump(store: &styrhub_store::Store) -> Vec<(String, Vec<JsonValue>)> {
    let conn = store.connection();
    let mut out = Vec::new();
    for (table, _) in table_counts(conn).await.unwrap() {
        let sql = format!("SELECT * FROM {table} ORDER BY 1, 2");
        let rows = JsonValue::find_by_statement(Statement::from_string(conn.get_database_backend(), sql))
            .all(conn)
            .await
            .unwrap();
        out.push((table, rows));
    }
    out
}

fn count(counts: &[(String, u64)], table: &str) -> u64 {
    counts
        .iter()
        .find(|(t, _)| t == table)
        .map(|(_, n)| *n)
        .unwrap_or_else(|| panic!("no count for {table}"))
}

both! {
    async fn the_demo_loads_every_seed_municipality(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let report = styrhub_api::demo::load_all(&app.store, &demo_dir()).await.unwrap();
        let codes: Vec<&str> = report.packages.iter().map(|r| r.municipality.as_str()).collect();
        for code in ["1489", "0764", "0486", "1490"] {
            assert!(codes.contains(&code), "municipality {code} in {codes:?}");
        }
        let counts = table_counts(app.store.connection()).await.unwrap();
        // Alingsås 2021–2023: five council goals, seven financial and five operational goals,
        // plus the 2024 model's one overarching goal.
        assert!(count(&counts, "goal") >= 18, "{counts:?}");
        assert!(count(&counts, "indicator") >= 50, "{counts:?}");
        assert!(count(&counts, "budget") >= 60, "{counts:?}");
        // Example values 2015–2023 of the own measures, and every value of the shipped Kolada file.
        let kolada = report.kolada.expect("demo/kolada/ is loaded");
        assert_eq!(kolada.observations.inserted as usize, kolada_values().len());
        assert!(count(&counts, "observation") >= 500 + kolada_values().len() as u64, "{counts:?}");
        // The whole catalogue: 6,099 KPIs.
        assert_eq!(kolada.kpis.inserted, 6_099);
        assert_eq!(count(&counts, "kpi"), 6_099);
        assert_eq!(count(&counts, "observation_revision"), 0);
    }

    async fn loading_the_demo_twice_leaves_exactly_the_same_data(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let first = dump(&app.store).await;
        let report = styrhub_api::demo::load_all(&app.store, &demo_dir()).await.unwrap();
        for r in &report.packages {
            assert_eq!(r.observations.inserted, 0, "{}: {:?}", r.municipality, r.observations);
            assert_eq!(r.observations.updated, 0, "{}: {:?}", r.municipality, r.observations);
        }
        let kolada = report.kolada.expect("demo/kolada/ is loaded");
        assert_eq!((kolada.kpis.inserted, kolada.kpis.updated), (0, 0), "{kolada:?}");
        assert_eq!((kolada.observations.inserted, kolada.observations.updated), (0, 0), "{kolada:?}");
        assert_eq!(kolada.observations.unchanged as usize, kolada_values().len());
        let second = dump(&app.store).await;
        assert_eq!(first.len(), second.len());
        for ((table, a), (_, b)) in first.iter().zip(&second) {
            assert_eq!(a.len(), b.len(), "rows of {table}");
            assert!(a == b, "the rows of {table} changed on the second load");
        }
    }

    async fn kolada_values_are_marked_kolada_and_only_own_measures_have_examples(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let conn = app.store.connection();
        let rows = JsonValue::find_by_statement(Statement::from_string(
            conn.get_database_backend(),
            "SELECT source, CASE WHEN kpi_id IS NULL THEN 'indicator' ELSE 'kpi' END AS series, COUNT(*) AS n \
             FROM observation GROUP BY source, CASE WHEN kpi_id IS NULL THEN 'indicator' ELSE 'kpi' END ORDER BY source",
        ))
        .all(conn)
        .await
        .unwrap();
        let kinds: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r["source"].as_str().unwrap().to_owned(), r["series"].as_str().unwrap().to_owned()))
            .collect();
        // Generated values only for the municipality's own measures (stored under the
        // indicator), real ones only for KPIs: no KPI-linked indicator gets an invented value.
        assert_eq!(
            kinds,
            [("example".to_owned(), "indicator".to_owned()), ("kolada".to_owned(), "kpi".to_owned())],
            "{rows:?}"
        );
    }

    async fn the_sick_leave_indicator_shows_alingsas_s_real_kolada_values(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let kolada = kolada_values();
        let i = indicator(
            &app,
            "op-sjukfranvaro",
            r#"kpiId kpi { title } series(areas: ["1489", "0000"], from: 2015) { area points { period value source isExample } }"#,
        )
        .await;
        assert_eq!(i["kpiId"], "N00090");
        assert_eq!(i["kpi"]["title"], "Sjukfrånvaro totalt bland anställda, kommun, andel (%)");
        for series in i["series"].as_array().unwrap() {
            let area = series["area"].as_str().unwrap();
            let points = series["points"].as_array().unwrap();
            let periods: Vec<i64> = points.iter().map(|p| p["period"].as_i64().unwrap()).collect();
            assert_eq!(periods, (2015..=2022).collect::<Vec<_>>(), "{area}: every year 2015–2022, none after");
            for p in points {
                let key = ("N00090".to_owned(), area.to_owned(), p["period"].as_i64().unwrap(), "T".to_owned());
                assert_eq!(p["value"].as_f64(), Some(kolada[&key]), "{area} {p}");
                assert_eq!(p["source"], "KOLADA", "{p}");
                assert_eq!(p["isExample"], false, "{p}");
            }
        }
        // As Kolada gives them: Alingsås 8.9 % in 2022, 9.0 % in 2020; the country 8.1 % in 2022.
        let a = &i["series"][0]["points"];
        assert_eq!((a[7]["period"].as_i64(), a[7]["value"].as_f64()), (Some(2022), Some(8.9)));
        assert_eq!((a[5]["period"].as_i64(), a[5]["value"].as_f64()), (Some(2020), Some(9.0)));
        assert_eq!(i["series"][1]["points"][7]["value"].as_f64(), Some(8.1));

        // The comparison group's members and the other seed municipalities, by gender too.
        let body = app
            .graphql_data(
                r#"{ series(kpi: "N00090", areas: ["1441", "0764", "1490"], gender: K) { area points { period value source } } }"#,
                json!({}),
            )
            .await;
        for s in body["series"].as_array().unwrap() {
            let area = s["area"].as_str().unwrap();
            let p = s["points"].as_array().unwrap().last().expect("a value");
            let key = ("N00090".to_owned(), area.to_owned(), p["period"].as_i64().unwrap(), "K".to_owned());
            assert_eq!(p["value"].as_f64(), Some(kolada[&key]), "{area} {p}");
            assert_eq!(p["source"], "KOLADA");
        }
    }

    async fn a_kpi_linked_indicator_has_no_value_for_2023_and_none_is_invented(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let i = indicator(
            &app,
            "op-sjukfranvaro",
            r#"only2023: series(from: 2023, to: 2023) { points { period } }
               latestValue(period: 2023) { period value }
               status(period: 2023) { status period value explanation }
               now: status { status period value }"#,
        )
        .await;
        let points = i["only2023"].as_array().unwrap().iter().flat_map(|s| s["points"].as_array().unwrap().clone());
        assert_eq!(points.count(), 0, "no value for 2023: {i}");
        // As of 2023 the latest real value is 2022's: the status judges it and says which year
        // it is, never a value for 2023.
        assert_eq!(i["latestValue"]["period"], 2022, "{i}");
        assert_eq!(i["status"]["period"], 2022, "{i}");
        assert_eq!(i["status"]["value"].as_f64(), Some(8.9));
        // 8.9 % against the country's 8.1 %: not below the national average.
        assert_eq!(i["status"]["status"], "NOT_ON_TARGET", "{i}");
        assert_eq!(i["now"], i["status"].as_object().map(|s| {
            let mut s = s.clone();
            s.remove("explanation");
            serde_json::Value::Object(s)
        }).unwrap());

        // An indicator whose KPI has no value in 2022 (HME stops in 2019) has no data for 2022.
        let hme = indicator(&app, "kf5-hme", r#"kpiId series(from: 2020) { points { period } }"#).await;
        assert_eq!(hme["kpiId"], "U00200");
        assert!(hme["series"].as_array().unwrap().iter().all(|s| s["points"].as_array().unwrap().is_empty()), "{hme}");
    }

    async fn an_own_measure_keeps_example_values_within_its_magnitude(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        // Pupils' attendance: about 90 % or more.
        let i = indicator(
            &app,
            "kf1-elevnarvaro",
            r#"kpiId series(areas: ["1489", "0000"]) { area points { period value source isExample } }"#,
        )
        .await;
        assert_eq!(i["kpiId"], serde_json::Value::Null, "an own measure");
        let mut seen = 0;
        for s in i["series"].as_array().unwrap() {
            for p in s["points"].as_array().unwrap() {
                assert_eq!(p["source"], "EXAMPLE", "{p}");
                assert_eq!(p["isExample"], true, "{p}");
                if let Some(v) = p["value"].as_f64() {
                    assert!((90.0..=100.0).contains(&v), "attendance {v} %: {p}");
                    seen += 1;
                }
            }
        }
        assert!(seen >= 16, "values 2015–2023 for Alingsås and the country: {seen}");
        // Elderly care satisfaction: 77–89 %.
        let care = indicator(&app, "op-brukarnojdhet-aldreomsorg", r#"series { points { value source } }"#).await;
        for p in care["series"][0]["points"].as_array().unwrap() {
            if let Some(v) = p["value"].as_f64() {
                assert!((77.0..=89.0).contains(&v), "satisfaction {v} %");
            }
        }
    }

    async fn kpi_metadata_and_the_catalogue_are_there_before_any_sync(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        // kpi.json's metadata, not the catalogue's title-only row.
        let data = app
            .graphql_data(
                r#"{ kpi(id: "N00090") { id title description operatingArea isDividedByGender } }"#,
                json!({}),
            )
            .await;
        let k = &data["kpi"];
        assert_eq!(k["title"], "Sjukfrånvaro totalt bland anställda, kommun, andel (%)");
        assert!(k["description"].as_str().is_some_and(|d| !d.is_empty()), "{k}");
        assert_eq!(k["isDividedByGender"], true);

        // N00091 (long-term sick leave) is in the catalogue only: no demo indicator uses it.
        let found = app
            .graphql_data(r#"{ kpis(search: "sjukfrånvaro", first: 100) { nodes { id title description } } }"#, json!({}))
            .await;
        let nodes = found["kpis"]["nodes"].as_array().unwrap();
        assert!(nodes.len() > 5, "{found}");
        let long_term = nodes.iter().find(|n| n["id"] == "N00091").unwrap_or_else(|| panic!("N00091 in {found}"));
        assert!(long_term["title"].as_str().unwrap().to_lowercase().contains("sjukfrånvaro"));
        assert_eq!(long_term["description"], serde_json::Value::Null, "a catalogue row has a title only");
        let linked = app
            .graphql_data(r#"{ indicators(municipality: "1489", filter: { kpi: "N00091" }) { nodes { key } } }"#, json!({}))
            .await;
        assert_eq!(linked["indicators"]["nodes"], json!([]));

        let res = app.get("/api/v1/kpis?q=sjukfr%C3%A5nvaro&limit=100").await;
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        let ids: Vec<&str> = body["items"].as_array().unwrap().iter().map(|k| k["id"].as_str().unwrap()).collect();
        assert!(ids.contains(&"N00091") && ids.contains(&"N00090"), "{ids:?}");
    }

    async fn the_demo_s_kpi_metadata_fills_gaps_and_never_overwrites_a_described_kpi(db: TestDb) {
        let app = TestApp::spawn(db).await;
        // Before `serve --demo` (re)starts: N00091 described by a sync, N00090 known by title only.
        let synced = Kpi {
            id: "N00091".into(),
            title: "Sjukfrånvaro mer än 59 dagar, kommun (as synced)".into(),
            description: Some("From a sync.".into()),
            operating_area: None,
            municipality_type: Some("K".into()),
            is_divided_by_gender: Some(true),
            publication_date: Some("2026-04-01".into()),
        };
        let title_only = Kpi {
            id: "N00090".into(),
            title: "Sjukfrånvaro".into(),
            description: None,
            operating_area: None,
            municipality_type: None,
            is_divided_by_gender: None,
            publication_date: None,
        };
        app.store.upsert_kpis(&[synced.clone(), title_only]).await.unwrap();
        let report = styrhub_api::demo::load_all(&app.store, &demo_dir()).await.unwrap();
        let kolada = report.kolada.unwrap();
        assert_eq!((kolada.kpis.inserted, kolada.kpis.updated, kolada.kpis.unchanged), (6_097, 1, 1), "{kolada:?}");
        let stored = app
            .store
            .kpis(&KpiFilter {
                ids: Some(vec!["N00090".into(), "N00091".into()]),
                text: None,
            })
            .await
            .unwrap();
        assert_eq!(stored[1], synced, "the sync's metadata stays");
        assert_eq!(stored[0].title, "Sjukfrånvaro totalt bland anställda, kommun, andel (%)");
        assert!(stored[0].description.is_some(), "kpi.json's metadata fills the gap: {:?}", stored[0]);
    }
}
