//! The REST API over HTTP. CSV answers are read back with the csv crate and JSON-stat answers
//! are checked the way a JSON-stat client reads them (ids, sizes, category indexes, values in
//! row-major order), not by comparing strings.

use std::collections::{BTreeSet, HashMap};

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{json, Value};
use styrhub_api::app::HttpOptions;
use styrhub_api::synthetic::{self, Size};
use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
use styrhub_domain::kpi::{Area, Kpi};
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource};
use styrhub_domain::ports::{IndicatorReader, MetadataWriter, ObservationWriter, PackageWriter};

use crate::helpers::{both, TestApp};

/// The municipalities of the test group, and the country.
const MUNICIPALITIES: [(&str, &str); 5] = [
    ("0486", "Strängnäs"),
    ("0764", "Alvesta"),
    ("1401", "Härryda"),
    ("1489", "Alingsås"),
    ("1490", "Borås"),
];

/// The value of N15419 for an area, year and gender: decimals everywhere (so that a decimal
/// comma shows), one missing value, no value at all for Härryda, and a tie in 2023.
fn value(area: &str, year: i32, gender: Gender) -> Option<f64> {
    if area == "1401" || (area == "0000" && year == 2019) {
        return None;
    }
    if year == 2023 && gender == Gender::Total {
        return Some(match area {
            "1490" => 80.25,
            "0764" | "1489" => 75.5,
            "0486" => 70.125,
            _ => 72.75,
        });
    }
    let base = match area {
        "0486" => 60.0,
        "0764" => 62.0,
        "1489" => 64.0,
        "1490" => 66.0,
        _ => 63.0,
    };
    let g = match gender {
        Gender::Total => 0.0,
        Gender::Women => 1.25,
        Gender::Men => -1.25,
    };
    Some(base + f64::from(year - 2015) * 0.75 + g)
}

/// KPI metadata, areas (municipalities, the country, a group, two organisational units) and the
/// values of N15419 for 2015–2023: totals for every area, women and men for 1489 and 0000.
async fn seed(app: &TestApp) {
    app.store
        .upsert_kpis(&[Kpi {
            id: "N15419".into(),
            title: "Elever i åk 9 som är behöriga till ett yrkesprogram, andel (%)".into(),
            description: Some("Andel elever i årskurs 9 som är behöriga till ett yrkesprogram.".into()),
            operating_area: Some("Grundskola".into()),
            municipality_type: Some("K".into()),
            is_divided_by_gender: Some(true),
            publication_date: Some("2024-10-01".into()),
        }])
        .await
        .expect("KPI metadata");
    let area = |code: &str, title: &str, area_type: &str, parent: Option<&str>| Area {
        code: code.into(),
        title: title.into(),
        area_type: area_type.into(),
        parent: parent.map(Into::into),
    };
    let mut areas: Vec<Area> = MUNICIPALITIES.iter().map(|(c, t)| area(c, t, "K", None)).collect();
    areas.push(area("0000", "Riket", "L", None));
    areas.push(area("G92790", "Liknande kommuner, grundskola", "G", None));
    areas.push(area("V15E148900101", "Ängaboskolan", "OU", Some("1489")));
    areas.push(area("V15E149000101", "Sjöboskolan", "OU", Some("1490")));
    app.store.upsert_areas(&areas).await.expect("areas");
    let mut batch = Vec::new();
    for (code, _) in MUNICIPALITIES.iter().chain([("0000", "Riket")].iter()) {
        let genders: &[Gender] = if ["1489", "0000"].contains(code) {
            &[Gender::Total, Gender::Women, Gender::Men]
        } else {
            &[Gender::Total]
        };
        for year in 2015..=2023 {
            for &gender in genders {
                if *code == "1401" {
                    continue;
                }
                let v = value(code, year, gender);
                batch.push(NewObservation {
                    series: SeriesRef::Kpi(KpiId::parse("N15419").unwrap()),
                    area: AreaCode::parse(code).unwrap(),
                    period: Year::new(year).unwrap(),
                    gender,
                    value: v,
                    status: v.is_none().then(|| "Missing".to_owned()),
                    count: None,
                    source: ValueSource::Kolada,
                    deleted: false,
                });
            }
        }
    }
    app.store.write_batch(&batch).await.expect("values");
}

/// The demo and the seeded key figure.
async fn app(db: crate::helpers::TestDb) -> TestApp {
    let app = TestApp::spawn(db).await.with_demo().await;
    seed(&app).await;
    app
}

async fn json_of(app: &TestApp, path: &str) -> Value {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "GET {path}: {}", res.text().await.unwrap_or_default());
    assert_eq!(res.headers()[CONTENT_TYPE], "application/json", "GET {path}");
    res.json().await.expect("a JSON body")
}

/// A problem: its status, media type and members, naming `parameter` when given.
async fn problem(app: &TestApp, path: &str, status: u16, parameter: Option<&str>) -> Value {
    let res = app.get(path).await;
    assert_eq!(res.status(), status, "GET {path}");
    assert_eq!(res.headers()[CONTENT_TYPE], "application/problem+json", "GET {path}");
    let p: Value = res.json().await.expect("a problem body");
    assert_eq!(p["status"], status, "{p:#}");
    assert_eq!(p["type"], "about:blank", "{p:#}");
    assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()), "{p:#}");
    let detail = p["detail"].as_str().expect("a detail");
    if let Some(name) = parameter {
        assert_eq!(p["parameter"], name, "GET {path}: {p:#}");
        assert!(detail.contains(name), "the detail names the parameter: {p:#}");
    }
    p
}

/// CSV read back: the header and the records.
fn read_csv(body: &[u8], delimiter: u8) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let mut r = csv::ReaderBuilder::new().delimiter(delimiter).from_reader(body);
    let header: Vec<String> = r.headers().expect("a header row").iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.expect("a well-formed record");
            assert_eq!(rec.len(), header.len(), "every row has every column");
            header.iter().cloned().zip(rec.iter().map(str::to_owned)).collect()
        })
        .collect();
    (header, rows)
}

/// A JSON-stat 2.0 dataset, checked as a client reads it; returns the category codes of each
/// dimension in order, by dimension id.
fn read_jsonstat(d: &Value) -> (Vec<String>, HashMap<String, Vec<String>>) {
    assert_eq!(d["version"], "2.0", "{d:#}");
    assert_eq!(d["class"], "dataset");
    let ids: Vec<String> = d["id"]
        .as_array()
        .expect("id")
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let sizes: Vec<usize> = d["size"]
        .as_array()
        .expect("size")
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(ids.len(), sizes.len(), "one size per dimension");
    let mut categories = HashMap::new();
    for (id, size) in ids.iter().zip(&sizes) {
        let cat = &d["dimension"][id]["category"];
        let index = cat["index"].as_object().unwrap_or_else(|| panic!("dimension {id} has an index"));
        assert_eq!(index.len(), *size, "dimension {id}: as many categories as its size");
        let mut codes = vec![String::new(); *size];
        for (code, pos) in index {
            let pos = pos.as_u64().expect("a position") as usize;
            assert!(pos < *size && codes[pos].is_empty(), "dimension {id}: positions 0..size, each once");
            codes[pos] = code.clone();
            assert!(cat["label"][code].is_string(), "dimension {id}: category {code} has a label");
        }
        categories.insert(id.clone(), codes);
    }
    let values = d["value"].as_array().expect("a dense value array");
    assert_eq!(values.len(), sizes.iter().product::<usize>(), "one value per cell");
    assert!(values.iter().all(|v| v.is_null() || v.is_number()));
    (ids, categories)
}

/// The value of a JSON-stat dataset at these category codes (by dimension id), computed as a
/// client does: row-major, the last dimension fastest.
fn jsonstat_value(d: &Value, at: &[(&str, &str)]) -> Value {
    let (ids, categories) = read_jsonstat(d);
    let mut pos = 0;
    for id in &ids {
        let codes = &categories[id];
        let code = at.iter().find(|(i, _)| i == id).unwrap_or_else(|| panic!("a code for {id}")).1;
        let i = codes.iter().position(|c| c == code).unwrap_or_else(|| panic!("{code} in {id}"));
        pos = pos * codes.len() + i;
    }
    d["value"][pos].clone()
}

both! {
    async fn areas_page_with_a_cursor_a_link_header_and_filters(db: TestDb) {
        let app = app(db).await;
        let first = app.get("/api/v1/areas?limit=3").await;
        assert_eq!(first.status(), 200);
        let link = first.headers()["link"].to_str().unwrap().to_owned();
        let body: Value = first.json().await.unwrap();
        let total = body["total"].as_u64().unwrap() as usize;
        assert!(total >= 9, "the seeded areas and the demo's municipalities: {body:#}");
        assert_eq!(body["items"].as_array().unwrap().len(), 3);
        assert_eq!(body["limit"], 3);
        // Walk every page through the Link header; the cursor is in it and in the body.
        let cursor = body["next_cursor"].as_str().unwrap().to_owned();
        assert!(link.contains(&cursor) && link.ends_with("rel=\"next\""), "{link}");
        let mut codes: Vec<String> = body["items"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap().to_owned()).collect();
        let mut next = Some(link);
        while let Some(link) = next {
            let path = link.trim_start_matches('<').split('>').next().unwrap().to_owned();
            assert!(path.contains("limit=3"), "the next page keeps the parameters: {path}");
            let res = app.get(&path).await;
            next = res.headers().get("link").map(|l| l.to_str().unwrap().to_owned());
            let page: Value = res.json().await.unwrap();
            assert_eq!(page["next_cursor"].is_null(), next.is_none());
            codes.extend(page["items"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap().to_owned()));
        }
        assert_eq!(codes.len(), total, "every area once over all pages");
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, codes, "by code, no repeats");
        assert!(codes.contains(&"0000".to_owned()) && codes.contains(&"G92790".to_owned()));

        let units = json_of(&app, "/api/v1/areas?type=OU&parent=1489").await;
        assert_eq!(units["items"], json!([{ "code": "V15E148900101", "title": "Ängaboskolan", "type": "OU", "parent": "1489" }]));
        let found = json_of(&app, "/api/v1/areas?q=borås").await;
        assert_eq!(found["items"][0]["code"], "1490", "{found:#}");

        let res = app.get_with("/api/v1/areas?type=K", &[("accept", "text/csv")]).await;
        assert!(res.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
        let (header, rows) = read_csv(&res.bytes().await.unwrap(), b',');
        assert_eq!(header, ["code", "title", "type", "parent"]);
        assert!(rows.len() >= 5 && rows.iter().all(|r| r["type"] == "K"), "{rows:?}");

        problem(&app, "/api/v1/areas?limit=5000", 400, Some("limit")).await;
        problem(&app, "/api/v1/areas?limit=0", 400, Some("limit")).await;
        // A cursor is opaque: one this list did not make is well formed and names no page.
        problem(&app, "/api/v1/areas?cursor=not-ours", 404, Some("cursor")).await;
        problem(&app, "/api/v1/areas?cursor=", 404, Some("cursor")).await;
        problem(&app, "/api/v1/areas?type=K,X", 400, Some("type")).await;
        problem(&app, "/api/v1/areas?type=k", 400, Some("type")).await;
        problem(&app, "/api/v1/areas?parent=148", 400, Some("parent")).await;
        problem(&app, "/api/v1/areas?format=jsonstat", 400, Some("format")).await;
    }

    async fn area_pages_merge_the_hubs_municipalities_where_no_area_is_stored(db: TestDb) {
        // Take away the stored rows of two demo municipalities and the country: the hub names
        // them itself, and the pages (cut by the database) weave them in by code.
        let app = app(db).await;
        sea_orm::ConnectionTrait::execute_unprepared(app.store.connection(), "DELETE FROM area WHERE code IN ('0000', '1489', '0764')")
            .await
            .unwrap();
        for limit in [1, 2, 5] {
            let mut path = Some(format!("/api/v1/areas?limit={limit}"));
            let (mut codes, mut total) = (Vec::<String>::new(), None);
            let mut titles = std::collections::HashMap::new();
            while let Some(p) = path {
                let page = json_of(&app, &p).await;
                total.get_or_insert(page["total"].as_u64().unwrap() as usize);
                assert!(page["items"].as_array().unwrap().len() <= limit, "{page:#}");
                for a in page["items"].as_array().unwrap() {
                    codes.push(a["code"].as_str().unwrap().to_owned());
                    titles.insert(a["code"].as_str().unwrap().to_owned(), a["title"].as_str().unwrap().to_owned());
                }
                path = page["next_cursor"].as_str().map(|c| format!("/api/v1/areas?limit={limit}&cursor={c}"));
            }
            assert_eq!(Some(codes.len()), total, "limit {limit}: every area once: {codes:?}");
            let mut sorted = codes.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted, codes, "limit {limit}: by code, no repeats");
            assert_eq!(titles["0000"], "Riket");
            assert_eq!(titles["1489"], "Alingsås kommun", "the hub's own name where no area is stored");
            assert_eq!(titles["1490"], "Borås", "a stored area names itself");
        }
        let found = json_of(&app, "/api/v1/areas?q=alings").await;
        assert_eq!(found["total"], 2, "{found:#}");
        assert_eq!(found["items"][0]["code"], "1489");
        assert_eq!(found["items"][1]["code"], "1489:jamforelsekommuner", "the demo's own comparison group is an area too");
    }

    async fn kpis_list_and_show_their_metadata_and_indicators(db: TestDb) {
        let app = app(db).await;
        // The demo ships Kolada's catalogue: every KPI with "yrkesprogram" in its title, and
        // N15419 with the metadata the sync brought.
        let list = json_of(&app, "/api/v1/kpis?q=yrkesprogram").await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(list["total"], items.len(), "{list:#}");
        assert!(items.len() > 1, "{list:#}");
        for k in items {
            assert!(k["title"].as_str().unwrap().to_lowercase().contains("yrkesprogram"), "{k}");
        }
        let n15419 = items.iter().find(|k| k["id"] == "N15419").expect("N15419 found");
        assert_eq!(n15419["operating_area"], "Grundskola");
        assert_eq!(n15419["is_divided_by_gender"], true);
        let one = json_of(&app, "/api/v1/kpis/N15419").await;
        assert_eq!(one["metadata"]["title"], n15419["title"]);
        assert_eq!(one["indicators"], json!([]));
        // The demo's sick-leave indicator is sourced from N00090, described by the demo's kpi.json.
        let n00090 = json_of(&app, "/api/v1/kpis/N00090").await;
        assert_eq!(n00090["metadata"]["title"], "Sjukfrånvaro totalt bland anställda, kommun, andel (%)");
        assert_eq!(n00090["indicators"][0]["municipality"], "1489", "{n00090:#}");
        problem(&app, "/api/v1/kpis/N99999", 404, None).await;
        let p = problem(&app, "/api/v1/kpis/not-a-kpi", 404, None).await;
        assert!(p["detail"].as_str().unwrap().contains("not-a-kpi"), "{p:#}");
        assert_eq!(p["code"], "NOT_FOUND");
    }

    async fn a_kpi_series_comes_as_json_csv_and_jsonstat(db: TestDb) {
        let app = app(db).await;
        let path = "/api/v1/kpis/N15419/series?area=1489,0000&from=2017&to=2023&gender=T,K";
        let body = json_of(&app, path).await;
        assert_eq!(body["series_key"], "kpi:N15419");
        let series = body["series"].as_array().unwrap();
        let keys: Vec<(String, String)> = series.iter().map(|s| (s["area"].as_str().unwrap().into(), s["gender"].as_str().unwrap().into())).collect();
        assert_eq!(keys, [("1489".into(), "T".into()), ("1489".into(), "K".into()), ("0000".into(), "T".into()), ("0000".into(), "K".into())]);
        assert_eq!(series[0]["area_title"], "Alingsås");
        for s in series {
            let points = s["points"].as_array().unwrap();
            assert_eq!(points.len(), 7, "2017–2023: {s:#}");
            for p in points {
                let (area, year) = (s["area"].as_str().unwrap(), p["period"].as_i64().unwrap() as i32);
                let gender = Gender::parse(s["gender"].as_str().unwrap()).unwrap();
                assert_eq!(p["value"].as_f64(), value(area, year, gender), "{area} {year}");
            }
        }
        let missing = &series[2]["points"].as_array().unwrap()[2];
        assert_eq!((missing["period"].clone(), missing["value"].clone(), missing["status"].clone()), (json!(2019), Value::Null, json!("Missing")));

        // CSV, by Accept: one row per value, read back with the csv crate.
        let res = app.get_with(path, &[("accept", "text/csv")]).await;
        assert_eq!(res.headers()[CONTENT_TYPE], "text/csv; charset=utf-8; header=present");
        assert!(res.headers()["content-disposition"].to_str().unwrap().contains("kpi-N15419-series.csv"));
        let (header, rows) = read_csv(&res.bytes().await.unwrap(), b',');
        assert_eq!(header, ["series_key", "area", "area_title", "gender", "period", "value", "status", "source"]);
        assert_eq!(rows.len(), 28);
        for r in &rows {
            let expected = value(&r["area"], r["period"].parse().unwrap(), Gender::parse(&r["gender"]).unwrap());
            let got = (!r["value"].is_empty()).then(|| r["value"].parse::<f64>().unwrap());
            assert_eq!(got, expected, "{r:?}");
            assert_eq!(r["source"], "kolada");
        }

        // The Excel variant: a BOM, `;` and decimal commas.
        let bytes = app.get(&format!("{path}&format=csv-excel")).await.bytes().await.unwrap();
        assert!(bytes.starts_with("\u{feff}".as_bytes()), "a byte order mark first");
        let (header, excel) = read_csv(&bytes[3..], b';');
        assert_eq!(header[0], "series_key");
        assert_eq!(excel.len(), rows.len());
        for (e, r) in excel.iter().zip(&rows) {
            assert!(!e["value"].contains('.'), "decimal commas: {e:?}");
            assert_eq!(e["value"].replace(',', "."), r["value"]);
        }
        assert!(excel.iter().any(|e| e["value"].contains(',')));

        // JSON-stat: area × period × gender, each value where a client looks for it.
        let d = json_of(&app, &format!("{path}&format=jsonstat")).await;
        let (ids, cats) = read_jsonstat(&d);
        assert_eq!(ids, ["area", "period", "gender"]);
        assert_eq!(cats["area"], ["1489", "0000"]);
        assert_eq!(cats["period"], (2017..=2023).map(|y| y.to_string()).collect::<Vec<_>>());
        assert_eq!(cats["gender"], ["T", "K"]);
        assert_eq!(d["dimension"]["area"]["category"]["label"]["1489"], "Alingsås");
        assert_eq!(d["role"]["time"], json!(["period"]));
        for area in ["1489", "0000"] {
            for year in 2017..=2023 {
                for gender in [Gender::Total, Gender::Women] {
                    let v = jsonstat_value(&d, &[("area", area), ("period", &year.to_string()), ("gender", gender.code())]);
                    assert_eq!(v.as_f64(), value(area, year, gender), "{area} {year} {gender:?}");
                }
            }
        }
    }

    async fn a_kpi_series_is_one_statement_whatever_it_asks_for(db: TestDb) {
        let (app, count) = TestApp::spawn_counting(db).await;
        let app = app.with_demo().await;
        seed(&app).await;
        for path in [
            "/api/v1/kpis/N15419/series?area=1489&from=2015&to=2023&gender=T",
            "/api/v1/kpis/N15419/series?area=1489,0000,0764,1490,0486&gender=T,K,M&format=csv",
        ] {
            let before = count.load(std::sync::atomic::Ordering::SeqCst);
            let res = app.get(path).await;
            assert_eq!(res.status(), 200, "{path}");
            let after = count.load(std::sync::atomic::Ordering::SeqCst);
            assert_eq!(after - before, 1, "titles, areas and values in one statement: {path}");
        }
        let body = json_of(&app, "/api/v1/kpis/N15419/series?area=1489,0000").await;
        assert_eq!(body["title"], "Elever i åk 9 som är behöriga till ett yrkesprogram, andel (%)");
        assert_eq!(body["series"][1]["area_title"], "Riket");
    }

    async fn a_municipality_without_area_metadata_is_named_by_the_hub_in_the_same_statement(db: TestDb) {
        // The demo holds Alingsås (1489) as a municipality; its area metadata is taken away,
        // as before any metadata sync.
        let (app, count) = TestApp::spawn_counting(db).await;
        let app = app.with_demo().await;
        sea_orm::ConnectionTrait::execute_unprepared(app.store.connection(), "DELETE FROM area WHERE code = '1489'")
            .await
            .unwrap();
        let stored = styrhub_domain::ports::SeriesReader::areas_by_codes(&app.store, &crate::helpers::areas(&["1489"])).await.unwrap();
        assert!(stored.is_empty(), "no stored area 1489: {stored:?}");
        let before = count.load(std::sync::atomic::Ordering::SeqCst);
        let body = json_of(&app, "/api/v1/kpis/N00090/series?area=1489,0000").await;
        let after = count.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(body["series"][0]["area_title"], "Alingsås kommun", "{body:#}");
        assert_eq!(body["series"][1]["area_title"], "Riket", "{body:#}");
        assert_eq!(after - before, 1, "the hub's municipalities are named in the series statement");
    }

    async fn series_answers_are_kept_for_their_time_to_live_and_no_longer(db: TestDb) {
        let http = HttpOptions {
            series_cache_ttl: std::time::Duration::from_millis(1500),
            ..HttpOptions::default()
        };
        let app = TestApp::spawn_with(db, http).await.with_demo().await;
        seed(&app).await;
        let path = "/api/v1/kpis/N15419/series?area=1489&from=2023&to=2023";
        let latest = |body: &Value| body["series"][0]["points"][0]["value"].as_f64();
        let first = app.get(path).await;
        let tag = first.headers()["etag"].to_str().unwrap().to_owned();
        let first: Value = first.json().await.unwrap();
        assert_eq!(latest(&first), value("1489", 2023, Gender::Total));
        // A revision written behind the server's back, as an ingest in another process writes.
        let revised = NewObservation {
            series: SeriesRef::Kpi(KpiId::parse("N15419").unwrap()),
            area: AreaCode::parse("1489").unwrap(),
            period: Year::new(2023).unwrap(),
            gender: Gender::Total,
            value: Some(12.5),
            status: None,
            count: None,
            source: ValueSource::Kolada,
            deleted: false,
        };
        app.store.write_batch(&[revised]).await.unwrap();
        // Within the time to live: the kept answer, still answering conditional requests; other
        // formats and other URLs are their own answers, read afresh.
        assert_eq!(json_of(&app, path).await, first);
        assert_eq!(app.get_with(path, &[("if-none-match", &tag)]).await.status(), 304);
        let csv = app.get_with(path, &[("accept", "text/csv")]).await.text().await.unwrap();
        assert!(csv.contains("12.5"), "{csv}");
        let other = json_of(&app, "/api/v1/kpis/N15419/series?area=1489&from=2022&to=2023").await;
        assert_eq!(other["series"][0]["points"][1]["value"].as_f64(), Some(12.5));
        // After it: the database again.
        tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
        assert_eq!(latest(&json_of(&app, path).await), Some(12.5));
        assert_eq!(app.get_with(path, &[("if-none-match", &tag)]).await.status(), 200);
        // Errors are never kept.
        problem(&app, "/api/v1/kpis/N15419/series?area=9998", 404, Some("area")).await;
    }

    async fn a_kpi_known_only_by_its_indicators_is_titled_after_the_first(db: TestDb) {
        let app = app(db).await;
        // The demo sources an indicator from N00973 and brings its values and its metadata; a
        // hub that has the values but no metadata (as after a file import of them) is made by
        // removing the metadata.
        use sea_orm::ConnectionTrait;
        app.store
            .connection()
            .execute_unprepared("DELETE FROM kpi WHERE id = 'N00973'")
            .await
            .unwrap();
        let body = json_of(&app, "/api/v1/kpis/N00973/series?area=1489").await;
        let first = app
            .store
            .indicators(&styrhub_domain::indicator::IndicatorFilter {
                kpi: Some("N00973".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(body["title"], first[0].title.as_str());
        assert_eq!(body["series"][0]["area_title"], "Alingsås");
        assert_eq!(body["series"][0]["points"][0]["source"], "kolada");
        problem(&app, "/api/v1/kpis/N00001/series?area=1489", 404, None).await;
    }

    async fn bad_parameters_are_problems_naming_them(db: TestDb) {
        let app = app(db).await;
        let s = "/api/v1/kpis/N15419/series";
        // A well-formed code the hub does not know names nothing: 404, naming the parameter.
        let p = problem(&app, &format!("{s}?area=1489,9999"), 404, Some("area")).await;
        assert!(p["detail"].as_str().unwrap().contains("9999"), "{p:#}");
        assert_eq!(p["code"], "NOT_FOUND");
        let p = problem(&app, &format!("{s}?area=764"), 400, Some("area")).await;
        assert_eq!(p["code"], "VALIDATION");
        problem(&app, s, 400, Some("area")).await;
        problem(&app, &format!("{s}?area=1489,,0000"), 400, Some("area")).await;
        problem(&app, &format!("{s}?area=%201489%09"), 400, Some("area")).await;
        // A range from after to holds no year.
        let empty = json_of(&app, &format!("{s}?area=1489&from=2024&to=2015")).await;
        assert!(empty["series"][0]["points"].as_array().unwrap().is_empty(), "{empty:#}");
        problem(&app, &format!("{s}?area=1489&from=20155"), 400, Some("from")).await;
        problem(&app, &format!("{s}?area=1489&from=%202015"), 400, Some("from")).await;
        problem(&app, &format!("{s}?area=1489&gender=F"), 400, Some("gender")).await;
        problem(&app, &format!("{s}?area=1489&format=xml"), 400, Some("format")).await;
        problem(&app, "/api/v1/kpis/N99999/series?area=1489", 404, None).await;
        problem(&app, "/api/v1/indicators/999999", 404, None).await;
        problem(&app, "/api/v1/indicators/abc/series", 404, None).await;
        problem(&app, "/api/v1/goals/999999/tree", 404, None).await;
        problem(&app, "/api/v1/goals/999999/status", 404, None).await;
        problem(&app, "/api/v1/goals?municipality=9999", 404, Some("municipality")).await;
        problem(&app, "/api/v1/goals?municipality=14890", 400, Some("municipality")).await;
        problem(&app, "/api/v1/goals?kind=wish", 400, Some("kind")).await;
        problem(&app, "/api/v1/goals?include_archived=1", 400, Some("include_archived")).await;
        problem(&app, "/api/v1/goals?org_unit=0", 400, Some("org_unit")).await;
        problem(&app, "/api/v1/goals/1/tree?max_depth=1001", 400, Some("max_depth")).await;
        problem(&app, "/api/v1/indicators?goal=first", 400, Some("goal")).await;
        problem(&app, "/api/v1/indicators?goal=0", 400, Some("goal")).await;
        problem(&app, &format!("{s}?area=1489&format=CSV"), 400, Some("format")).await;
        problem(&app, "/api/v1/no-such-thing", 404, None).await;
    }

    async fn an_indicator_is_judged_as_graphql_judges_it(db: TestDb) {
        let app = app(db).await;
        let list = json_of(&app, "/api/v1/indicators?municipality=1489&kpi=N00090").await;
        assert_eq!(list["total"], 1);
        let id = list["items"][0]["id"].as_i64().unwrap();
        let rest = json_of(&app, &format!("/api/v1/indicators/{id}")).await;
        assert_eq!(rest["direction"], "decrease");
        assert_eq!(rest["series_key"], "kpi:N00090");
        assert!(!rest["goals"].as_array().unwrap().is_empty());
        let gql = app
            .graphql_data(
                "query($id: Int!) { indicator(id: $id) { status { status explanation period value target { id } trend { kind since } } } }",
                json!({ "id": id }),
            )
            .await;
        let g = &gql["indicator"]["status"];
        let s = &rest["status"];
        assert_eq!(s["area"], "1489");
        assert_eq!(s["status"].as_str().unwrap().to_uppercase(), g["status"].as_str().unwrap());
        assert_eq!(s["explanation"], g["explanation"]);
        assert_eq!((&s["period"], &s["value"]), (&g["period"], &g["value"]));
        assert_eq!(s["target"]["id"], g["target"]["id"]);
        assert_eq!(s["target"]["reference_area"], "0000");
        assert_eq!(s["trend"]["kind"].as_str().unwrap().to_uppercase(), g["trend"]["kind"].as_str().unwrap());

        // Its series: the municipality and the country by default.
        let series = json_of(&app, &format!("/api/v1/indicators/{id}/series")).await;
        let areas: Vec<&str> = series["series"].as_array().unwrap().iter().map(|s| s["area"].as_str().unwrap()).collect();
        assert_eq!(areas, ["1489", "0000"]);
        assert_eq!(series["indicator"], id);
        assert_eq!(series["series"][0]["points"][0]["source"], "kolada", "Kolada's values are marked as Kolada's");
        // Kolada's values stop at 2022: that is the value judged, and JSON-stat marks none as an example.
        assert_eq!(s["period"], 2022);
        let d = json_of(&app, &format!("/api/v1/indicators/{id}/series?format=jsonstat&from=2022")).await;
        let v = jsonstat_value(&d, &[("area", "1489"), ("period", "2022"), ("gender", "T")]);
        assert_eq!(v, s["value"], "the judged value is the 2022 value");
        assert_eq!(v, 8.9, "Kolada's value for 2022");
        assert!(d["status"].is_null(), "no example values: {d:#}");
    }

    async fn a_ranking_places_the_municipality_in_its_group(db: TestDb) {
        let app = app(db).await;
        let path = "/api/v1/kpis/N15419/ranking?year=2023&group=1490,0486,0764,1401&area=1489";
        let r = json_of(&app, path).await;
        let ranked: Vec<(u64, &str, f64, bool)> = r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| (row["rank"].as_u64().unwrap(), row["area"].as_str().unwrap(), row["value"].as_f64().unwrap(), row["highlighted"].as_bool().unwrap()))
            .collect();
        assert_eq!(
            ranked,
            [(1, "1490", 80.25, false), (2, "0764", 75.5, false), (2, "1489", 75.5, true), (4, "0486", 70.125, false)],
            "highest first; equal values share a rank"
        );
        assert_eq!(r["position"], json!({ "rank": 2, "of": 4, "value": 75.5 }));
        assert_eq!(r["missing"], json!(["1401"]), "Härryda has no value");
        assert_eq!(r["rows"][0]["area_title"], "Borås");
        let asc = json_of(&app, &format!("{path}&order=asc")).await;
        assert_eq!(asc["rows"][0]["area"], "0486");
        assert_eq!(asc["position"]["rank"], 2);
        let same = json_of(&app, "/api/v1/kpis/N15419/ranking?year=2023&areas=1490,0486,0764,1401,1489&area=1489").await;
        assert_eq!(same["rows"], r["rows"], "areas= is the same as group=");

        let (header, rows) = read_csv(&app.get(&format!("{path}&format=csv")).await.bytes().await.unwrap(), b',');
        assert_eq!(header, ["rank", "area", "area_title", "value", "highlighted", "source"]);
        assert_eq!(rows.len(), 5, "four ranked, one without a value");
        assert_eq!((rows[2]["rank"].as_str(), rows[2]["area"].as_str(), rows[2]["highlighted"].as_str()), ("2", "1489", "true"));
        assert_eq!((rows[4]["rank"].as_str(), rows[4]["value"].as_str()), ("", ""));

        let d = json_of(&app, &format!("{path}&format=jsonstat")).await;
        let (ids, cats) = read_jsonstat(&d);
        assert_eq!(ids, ["area", "period", "gender"]);
        assert_eq!(cats["area"], ["1490", "0764", "1489", "0486", "1401"], "in rank order");
        assert_eq!(jsonstat_value(&d, &[("area", "0486"), ("period", "2023"), ("gender", "T")]), json!(70.125));
        assert!(jsonstat_value(&d, &[("area", "1401"), ("period", "2023"), ("gender", "T")]).is_null());
        assert_eq!(d["extension"]["rank"]["1489"], 2);

        let base = "/api/v1/kpis/N15419/ranking";
        problem(&app, &format!("{base}?group=1489,1490"), 400, Some("year")).await;
        problem(&app, &format!("{base}?year=2023"), 400, Some("group")).await;
        // A group whose members the hub does not store names nothing it can rank.
        let p = problem(&app, &format!("{base}?year=2023&group=G92790"), 404, Some("group")).await;
        assert!(p["detail"].as_str().unwrap().contains("G92790"), "{p:#}");
        // A stored group stands for its members of the year ranked: 0486 left it in 2023, when
        // 0764 joined.
        let store: &dyn MetadataWriter = &app.store;
        store.sync_group_members("G999001", &["1490".into(), "0486".into()], 2020).await.unwrap();
        store.sync_group_members("G999001", &["1490".into(), "0764".into()], 2023).await.unwrap();
        let areas_of = |r: &Value| -> Vec<String> {
            let mut a: Vec<String> = r["rows"].as_array().unwrap().iter().map(|row| row["area"].as_str().unwrap().to_owned()).collect();
            a.extend(r["missing"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_owned()));
            a.sort();
            a
        };
        let now = json_of(&app, &format!("{base}?year=2023&group=G999001&area=1489")).await;
        assert_eq!(areas_of(&now), ["0764", "1489", "1490"], "{now:#}");
        assert_eq!(now["position"]["rank"], 2, "{now:#}");
        let then = json_of(&app, &format!("{base}?year=2022&group=G999001")).await;
        assert_eq!(areas_of(&then), ["0486", "1490"], "{then:#}");

        // The group's figures, year by year, computed by the database: checked against the
        // same computed here from the members' series.
        let four = "1489,1490,0764,0486";
        let series = json_of(&app, &format!("/api/v1/kpis/N15419/series?area={four}")).await;
        let mut by_year: std::collections::BTreeMap<i64, Vec<f64>> = std::collections::BTreeMap::new();
        for s in series["series"].as_array().unwrap() {
            for p in s["points"].as_array().unwrap() {
                if let Some(v) = p["value"].as_f64() {
                    by_year.entry(p["period"].as_i64().unwrap()).or_default().push(v);
                }
            }
        }
        let figures = json_of(&app, &format!("/api/v1/kpis/N15419/group-series?group={four}")).await;
        let rows = figures["figures"].as_array().unwrap();
        assert_eq!(rows.len(), by_year.len(), "{figures:#}");
        for (row, (year, values)) in rows.iter().zip(&by_year) {
            let mut v = values.clone();
            v.sort_by(f64::total_cmp);
            let median = if v.len() % 2 == 1 { v[v.len() / 2] } else { (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0 };
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            assert_eq!(row["period"].as_i64(), Some(*year));
            assert_eq!(row["members"], 4);
            assert_eq!(row["with_value"].as_u64(), Some(v.len() as u64), "{row}");
            assert!((row["mean"].as_f64().unwrap() - mean).abs() < 1e-9, "{year}: {row} against {mean}");
            assert!((row["median"].as_f64().unwrap() - median).abs() < 1e-9, "{year}: {row} against {median}");
            assert_eq!((row["min"].as_f64(), row["max"].as_f64()), (Some(v[0]), Some(v[v.len() - 1])), "{row}");
        }
        let y2023 = rows.iter().find(|r| r["period"] == 2023).unwrap();
        assert_eq!((y2023["mean"].as_f64(), y2023["median"].as_f64()), (Some(75.34375), Some(75.5)));
        // A stored group: its members of each year.
        let stored = json_of(&app, "/api/v1/kpis/N15419/group-series?group=G999001&from=2022&to=2023").await;
        let at = |y: i64| stored["figures"].as_array().unwrap().iter().find(|r| r["period"] == y).unwrap().clone();
        assert_eq!((at(2023)["members"].as_u64(), at(2023)["mean"].as_f64()), (Some(2), Some((80.25 + 75.5) / 2.0)), "1490 and 0764");
        let then = json_of(&app, "/api/v1/kpis/N15419/series?area=1490,0486&from=2022&to=2022").await;
        let v2022: Vec<f64> = then["series"].as_array().unwrap().iter().filter_map(|s| s["points"][0]["value"].as_f64()).collect();
        assert_eq!(at(2022)["mean"].as_f64(), Some(v2022.iter().sum::<f64>() / v2022.len() as f64), "1490 and 0486 in 2022");
        let (header, _) = read_csv(&app.get("/api/v1/kpis/N15419/group-series?group=G999001&format=csv").await.bytes().await.unwrap(), b',');
        assert_eq!(
            header,
            ["series", "period", "gender", "members", "with_value", "mean", "median", "min", "max", "area", "value", "rank", "of", "percentile"]
        );
        problem(&app, "/api/v1/kpis/N15419/group-series?group=G92790", 404, Some("group")).await;
        // A stored group and an area together: the members of each year and the area.
        let both = json_of(&app, "/api/v1/kpis/N15419/group-series?group=G999001,1489&from=2023&to=2023").await;
        assert_eq!(both["figures"][0]["members"], 3, "{both:#}");
        // GraphQL reads the same figures through the same read module.
        let gql = app
            .graphql_data(
                r#"{ kpi(id: "N15419") { groupSeries(group: ["G999001", "1489"], from: 2023, to: 2023) {
                     period members withValue mean median min max } } }"#,
                json!({}),
            )
            .await;
        let (g, r) = (&gql["kpi"]["groupSeries"][0], &both["figures"][0]);
        for (gf, rf) in [("members", "members"), ("withValue", "with_value"), ("mean", "mean"), ("median", "median"), ("min", "min"), ("max", "max")] {
            assert_eq!(g[gf].as_f64(), r[rf].as_f64(), "{gf}: {gql:#} against {both:#}");
        }
        let unknown = app.graphql(r#"{ kpi(id: "N15419") { groupSeries(group: ["G92790"]) { mean } } }"#, json!({})).await;
        assert_eq!(unknown["errors"][0]["extensions"]["code"], "NOT_FOUND", "{unknown:#}");
        problem(&app, "/api/v1/kpis/N15419/group-series", 400, Some("group")).await;
        problem(&app, &format!("{base}?year=2023&group=1489,1490&gender=T,K"), 400, Some("gender")).await;
        problem(&app, &format!("{base}?year=2023&group=1489,1490&order=sideways"), 400, Some("order")).await;
        problem(&app, &format!("{base}?year=2023&group=1489,1490&area=12"), 400, Some("area")).await;
        problem(&app, &format!("{base}?year=2023&group=1489,9998"), 404, Some("group")).await;
        problem(&app, &format!("{base}?year=2023&group=1489&area=9998"), 404, Some("area")).await;
        // A group of one is ranked too: first of one.
        let alone = json_of(&app, &format!("{base}?year=2023&group=1489&area=1489")).await;
        assert_eq!(alone["position"]["rank"], 1, "{alone:#}");
    }

    async fn the_excel_csv_neutralises_titles_that_begin_like_a_formula(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await.with_admin_token().await;
        let path = "/api/v1/goals?municipality=1489&model=styrmodell-2019&kind=council_goal";
        let goals = json_of(&app, path).await;
        let titles = ["=HYPERLINK(\"http://example.invalid\")", "+46 31", "-1", "@SUM(A1)"];
        let mut renamed = HashMap::new();
        for (goal, title) in goals["items"].as_array().unwrap().iter().zip(titles) {
            let id = goal["id"].as_i64().unwrap();
            app.graphql_data(
                "mutation($id: Int!, $title: String!) { updateGoal(id: $id, input: { title: $title }) { goal { id } } }",
                json!({ "id": id, "title": title }),
            )
            .await;
            renamed.insert(id.to_string(), title);
        }
        assert_eq!(renamed.len(), titles.len());

        // Read back as a spreadsheet would get it: each such title is text behind a `'`.
        let bytes = app.get(&format!("{path}&format=csv-excel")).await.bytes().await.unwrap();
        let (_, rows) = read_csv(&bytes[3..], b';');
        for r in &rows {
            match renamed.get(&r["id"]) {
                Some(title) => assert_eq!(r["title"], format!("'{title}")),
                None => assert!(!r["title"].starts_with('\''), "{r:?}"),
            }
            assert_eq!(r["owner_id"].parse::<i64>().ok().map(|n| n > 0), Some(true), "numbers stay numbers: {r:?}");
        }
        // Plain CSV is for programs: the titles as they are.
        let (_, plain) = read_csv(&app.get(&format!("{path}&format=csv")).await.bytes().await.unwrap(), b',');
        for r in plain.iter().filter(|r| renamed.contains_key(&r["id"])) {
            assert_eq!(r["title"], renamed[&r["id"]]);
        }
    }

    async fn a_goals_status_judges_every_indicator_as_graphql_does(db: TestDb) {
        let app = app(db).await;
        let goals = json_of(&app, "/api/v1/goals?municipality=1489&model=styrmodell-2019&kind=council_goal").await;
        assert_eq!(goals["total"], 5);
        let id = goals["items"][0]["id"].as_i64().unwrap();
        let rest = json_of(&app, &format!("/api/v1/goals/{id}/status")).await;
        let gql = app
            .graphql_data(
                "query($id: Int!) { goal(id: $id) { indicators { id status { status explanation period value } } } }",
                json!({ "id": id }),
            )
            .await;
        let expected = gql["goal"]["indicators"].as_array().unwrap();
        let rows = rest["indicators"].as_array().unwrap();
        assert!(!rows.is_empty());
        assert_eq!(rows.len(), expected.len());
        for (r, g) in rows.iter().zip(expected) {
            assert_eq!(r["indicator"]["id"], g["id"]);
            assert_eq!(r["status"]["status"].as_str().unwrap().to_uppercase(), g["status"]["status"].as_str().unwrap());
            assert_eq!(r["status"]["explanation"], g["status"]["explanation"]);
            assert_eq!((&r["status"]["period"], &r["status"]["value"]), (&g["status"]["period"], &g["status"]["value"]));
        }
        let s = &rest["summary"];
        let counted = s["on_target"].as_u64().unwrap() + s["not_on_target"].as_u64().unwrap() + s["no_data"].as_u64().unwrap();
        assert_eq!(counted as usize, rows.len());

        // As of 2021: no value after it is judged.
        let then = json_of(&app, &format!("/api/v1/goals/{id}/status?period=2021")).await;
        assert_eq!(then["period"], 2021);
        assert!(then["indicators"].as_array().unwrap().iter().all(|r| r["status"]["period"].as_i64().is_none_or(|p| p <= 2021)));

        let (header, csv_rows) = read_csv(&app.get(&format!("/api/v1/goals/{id}/status?format=csv")).await.bytes().await.unwrap(), b',');
        assert!(header.contains(&"explanation".to_owned()) && header.contains(&"status".to_owned()));
        assert_eq!(csv_rows.len(), rows.len());
        for (c, r) in csv_rows.iter().zip(rows) {
            assert_eq!(c["indicator_id"], r["indicator"]["id"].to_string());
            assert_eq!(c["status"], r["status"]["status"].as_str().unwrap());
        }

        let d = json_of(&app, &format!("/api/v1/goals/{id}/status?format=jsonstat")).await;
        let (ids, cats) = read_jsonstat(&d);
        assert_eq!(ids, ["indicator", "area", "period", "gender"]);
        assert_eq!(cats["indicator"].len(), rows.len());
        for r in rows.iter().filter(|r| r["status"]["period"].is_number()) {
            let v = jsonstat_value(
                &d,
                &[("indicator", &r["indicator"]["id"].to_string()), ("area", "1489"), ("period", &r["status"]["period"].to_string()), ("gender", "T")],
            );
            assert_eq!(v, r["status"]["value"], "{r:#}");
        }

        // A goal's subtree brings the indicators of the goals below.
        let top = json_of(&app, "/api/v1/goals?municipality=1489&model=styrmodell-2024").await;
        let top_id = top["items"][0]["id"].as_i64().unwrap();
        let own = json_of(&app, &format!("/api/v1/goals/{top_id}/status")).await;
        let all = json_of(&app, &format!("/api/v1/goals/{top_id}/status?subtree=true")).await;
        assert!(all["indicators"].as_array().unwrap().len() >= own["indicators"].as_array().unwrap().len());
        problem(&app, &format!("/api/v1/goals/{id}/status?subtree=maybe"), 400, Some("subtree")).await;
        problem(&app, &format!("/api/v1/goals/{id}/status?period=next"), 400, Some("period")).await;
    }

    async fn rest_reports_goal_attainment_exactly_as_graphql_judges_it(db: TestDb) {
        let app = app(db).await;
        let query = "query($id: Int!, $p: Int) { goal(id: $id) { attainment(period: $p) { assessment share onTarget notOnTarget noData } } }";
        let same = |rest: &Value, gql: &Value, what: &str| {
            assert_eq!(rest["assessment"].as_str().unwrap().to_uppercase(), gql["assessment"].as_str().unwrap(), "{what}");
            assert_eq!(rest["share"], gql["share"], "{what}");
            for (r, g) in [("on_target", "onTarget"), ("not_on_target", "notOnTarget"), ("no_data", "noData")] {
                assert_eq!(rest[r], gql[g], "{what}: {r}");
            }
        };
        let mut judged = 0;
        for model in ["styrmodell-2019", "styrmodell-2024"] {
            let goals = json_of(&app, &format!("/api/v1/goals?municipality=1489&model={model}&limit=1000")).await;
            for g in goals["items"].as_array().unwrap() {
                let id = g["id"].as_i64().unwrap();
                for period in [None, Some(2021)] {
                    let path = match period {
                        Some(p) => format!("/api/v1/goals/{id}/status?period={p}"),
                        None => format!("/api/v1/goals/{id}/status"),
                    };
                    let rest = json_of(&app, &path).await;
                    let gql = app.graphql_data(query, json!({ "id": id, "p": period })).await;
                    same(&rest["attainment"], &gql["goal"]["attainment"], &path);
                    judged += usize::from(rest["attainment"]["assessment"] != "not_assessed");
                }
            }
        }
        assert!(judged > 0, "some goal of the demo is judged");
    }

    async fn a_goal_tree_holds_every_goal_below_with_its_indicators(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let size = Size { goals: 20, indicators_per_goal: 2, years: 3 };
        app.store.load_package(&synthetic::package(size).unwrap()).await.unwrap();
        let data = app
            .graphql_data(
                r#"query($m: String!) { goals(municipality: $m, first: 1000) { nodes { id indicators { id } descendants { depth goal { id } } } } }"#,
                json!({ "m": synthetic::CODE }),
            )
            .await;
        let nodes = data["goals"]["nodes"].as_array().unwrap();
        let root = nodes.iter().max_by_key(|n| n["descendants"].as_array().unwrap().len()).unwrap();
        let below: BTreeSet<i64> = root["descendants"].as_array().unwrap().iter().map(|d| d["goal"]["id"].as_i64().unwrap()).collect();
        assert!(!below.is_empty(), "some goal has goals below it");
        let id = root["id"].as_i64().unwrap();
        let tree = json_of(&app, &format!("/api/v1/goals/{id}/tree")).await;
        assert_eq!(tree["id"], id);
        assert_eq!(tree["depth"], 0);
        // Every node carries the attainment GraphQL gives that goal.
        let query = "query($id: Int!) { goal(id: $id) { attainment { assessment share onTarget notOnTarget noData } } }";
        let mut nodes = vec![&tree];
        let mut assessed = BTreeSet::new();
        while let Some(n) = nodes.pop() {
            let gql = &app.graphql_data(query, json!({ "id": n["id"] })).await["goal"]["attainment"];
            let rest = &n["attainment"];
            assert_eq!(rest["assessment"].as_str().unwrap().to_uppercase(), gql["assessment"].as_str().unwrap(), "{n:#}");
            assert_eq!((&rest["share"], &rest["on_target"], &rest["not_on_target"], &rest["no_data"]), (&gql["share"], &gql["onTarget"], &gql["notOnTarget"], &gql["noData"]));
            assessed.insert(rest["assessment"].as_str().unwrap().to_owned());
            nodes.extend(n["children"].as_array().unwrap());
        }
        assert!(!assessed.contains("not_assessed") || assessed.len() > 1, "the tree's goals are judged: {assessed:?}");
        fn walk(n: &Value, out: &mut BTreeSet<i64>, depths: &mut Vec<u64>) {
            for c in n["children"].as_array().unwrap() {
                out.insert(c["id"].as_i64().unwrap());
                depths.push(c["depth"].as_u64().unwrap());
                walk(c, out, depths);
            }
        }
        let (mut seen, mut depths) = (BTreeSet::new(), Vec::new());
        walk(&tree, &mut seen, &mut depths);
        assert_eq!(seen, below, "the tree holds exactly the goals below");
        let own: Vec<i64> = root["indicators"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
        let listed: Vec<i64> = tree["indicators"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
        assert_eq!(listed, own);
        let shallow = json_of(&app, &format!("/api/v1/goals/{id}/tree?max_depth=1")).await;
        assert!(shallow["children"].as_array().unwrap().iter().all(|c| c["children"] == json!([])));
        problem(&app, &format!("/api/v1/goals/{id}/tree?max_depth=-1"), 400, Some("max_depth")).await;

        let detail = json_of(&app, &format!("/api/v1/goals/{id}")).await;
        let children: BTreeSet<i64> = detail["children"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
        let first_level: BTreeSet<i64> = tree["children"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
        assert_eq!(children, first_level);
        assert_eq!(detail["municipality"], synthetic::CODE);
    }

    async fn answers_carry_an_etag_and_are_compressed_when_asked(db: TestDb) {
        let app = app(db).await;
        let path = "/api/v1/kpis/N15419/series?area=1489&from=2020";
        let res = app.get(path).await;
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        assert!(etag.starts_with("W/\""), "{etag}");
        assert!(res.headers()["cache-control"].to_str().unwrap().contains("max-age"));
        let again = app.get_with(path, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status(), 304);
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert!(again.bytes().await.unwrap().is_empty());
        let other = app.get_with(path, &[("if-none-match", "W/\"stale\"")]).await;
        assert_eq!(other.status(), 200);
        let csv = app.get_with(path, &[("accept", "text/csv"), ("if-none-match", &etag)]).await;
        assert_eq!(csv.status(), 200, "another representation has another tag");
        assert_ne!(csv.headers()["etag"].to_str().unwrap(), etag);

        for encoding in ["gzip", "br"] {
            let res = app.get_with("/api/v1/kpis/N15419/series?area=1489,0000,0764,1490,0486&gender=T", &[("accept-encoding", encoding)]).await;
            assert_eq!(res.status(), 200);
            assert_eq!(res.headers()["content-encoding"], encoding);
        }
        let plain = app.get_with(path, &[(ACCEPT.as_str(), "application/json")]).await;
        assert!(plain.headers().get("content-encoding").is_none());
    }

    async fn the_openapi_document_covers_every_path_and_the_docs_page_loads_it(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let doc = json_of(&app, "/api/openapi.json").await;
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            "/api/v1/areas",
            "/api/v1/kpis",
            "/api/v1/kpis/{kpi}",
            "/api/v1/kpis/{kpi}/series",
            "/api/v1/kpis/{kpi}/ranking",
            "/api/v1/indicators",
            "/api/v1/indicators/{id}",
            "/api/v1/indicators/{id}/series",
            "/api/v1/goals",
            "/api/v1/goals/{id}/tree",
            "/api/v1/goals/{id}/status",
        ] {
            assert!(paths.contains_key(p), "{p} is documented");
        }
        let mut ops = BTreeSet::new();
        for (p, item) in paths {
            let op = &item["get"];
            assert!(ops.insert(op["operationId"].as_str().unwrap().to_owned()), "{p}: operation ids are unique");
            assert!(op["responses"]["200"].is_object(), "{p}");
            // The layers in front of every handler answer these; the document says so.
            for status in ["401", "413", "429", "503"] {
                assert!(op["responses"][status]["content"]["application/problem+json"].is_object(), "{p}: {status}");
            }
        }
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        assert_eq!(doc["security"], json!([{}, { "bearer": [] }]), "a token is optional for reads");
        let series = &paths["/api/v1/kpis/{kpi}/series"]["get"];
        let params: Vec<&str> = series["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        for name in ["kpi", "area", "from", "to", "gender", "format"] {
            assert!(params.contains(&name), "{name} in {params:?}");
        }
        assert!(series["responses"]["200"]["content"]["text/csv"].is_object());
        assert!(series["responses"]["400"]["content"]["application/problem+json"].is_object());
        assert!(doc["components"]["schemas"]["Problem"].is_object());
        assert!(doc["components"]["schemas"]["SeriesSet"]["properties"]["series"].is_object());
        // Every reference resolves: a tool that cannot follow one skips what it names.
        let text = doc.to_string();
        for r in text.split("\"#/components/schemas/").skip(1) {
            let name = &r[..r.find('"').unwrap()];
            assert!(doc["components"]["schemas"][name].is_object(), "#/components/schemas/{name} is declared");
        }
        // What the handlers accept, the document says: the bounds of a year and of a page,
        // the enums of a format, and the pattern of an area code.
        let param = |op: &Value, name: &str| -> Value {
            op["parameters"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["schema"].clone()
        };
        assert_eq!((param(series, "from")["minimum"].as_f64(), param(series, "from")["maximum"].as_f64()), (Some(1900.0), Some(2200.0)));
        let areas = &paths["/api/v1/areas"]["get"];
        assert_eq!(param(areas, "limit")["maximum"].as_f64(), Some(1000.0), "the deployment's --max-page-size");
        let formats = &doc["components"]["schemas"]["ListFormatName"]["enum"];
        assert_eq!(formats, &json!(["json", "csv", "csv-excel"]));
        assert_eq!(doc["components"]["schemas"]["DataFormatName"]["enum"], json!(["json", "csv", "csv-excel", "jsonstat"]));
        assert!(doc["components"]["schemas"]["AreaCodeParam"]["pattern"].is_string());

        // The docs page and every file it loads come from the binary: nothing from another host.
        let page = app.get("/api/docs").await;
        assert_eq!(page.status(), 200);
        assert_eq!(page.url().path(), "/api/docs/");
        assert!(page.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        let html = page.text().await.unwrap();
        let files: Vec<&str> = ["src=\"", "href=\""]
            .iter()
            .flat_map(|attr| html.split(attr).skip(1).map(|rest| rest.split('"').next().unwrap()))
            .collect();
        assert!(files.iter().any(|f| f.ends_with(".js")), "the page loads its script: {html}");
        let mut document_named = false;
        for file in files {
            assert!(!file.contains("//"), "{file} would come from another host");
            let res = app.get(&format!("/api/docs/{}", file.trim_start_matches("./"))).await;
            assert_eq!(res.status(), 200, "{file}");
            document_named |= res.text().await.unwrap().contains("/api/openapi.json");
        }
        let initializer = app.get("/api/docs/swagger-initializer.js").await.text().await.unwrap();
        assert!(document_named || initializer.contains("/api/openapi.json"), "the page reads this server's document: {initializer}");
        assert!(initializer.contains(r#""validatorUrl": "none""#), "no document is sent to swagger.io's validator: {initializer}");
    }
}

/// CORS needs a server with origins configured; on SQLite only, as it does not touch the data.
#[tokio::test]
async fn cors_answers_only_configured_origins() {
    let origin = "https://dashboards.example.se";
    let preflight = |app: &TestApp, from: &'static str| {
        app.client()
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/areas"))
            .header("origin", from)
            .header("access-control-request-method", "GET")
            .send()
    };
    let off = TestApp::spawn(crate::helpers::TestDb::sqlite().await).await;
    let res = preflight(&off, origin).await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none(), "none by default");
    let res = off.get_with("/api/v1/areas", &[("origin", origin)]).await;
    assert!(res.headers().get("access-control-allow-origin").is_none());

    let http = HttpOptions {
        cors_origins: vec![origin.parse().unwrap()],
        ..HttpOptions::default()
    };
    let on = TestApp::spawn_with(crate::helpers::TestDb::sqlite().await, http).await;
    let res = preflight(&on, origin).await.unwrap();
    assert!(res.status().is_success());
    assert_eq!(res.headers()["access-control-allow-origin"], origin);
    let res = on.get_with("/api/v1/areas", &[("origin", origin)]).await;
    assert_eq!(res.headers()["access-control-allow-origin"], origin);
    let exposed = res.headers()["access-control-expose-headers"].to_str().unwrap().to_lowercase();
    assert!(exposed.contains("etag") && exposed.contains("link"), "{exposed}");
    let res = preflight(&on, "https://elsewhere.example.com").await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}
