//! The OData v4 service at `/odata/`: the service document and `$metadata`, every entity set
//! read to its end through `@odata.nextLink` with the same rows as the CSV export, each
//! `$filter` operator against the same rows filtered here, `$select`, `$orderby`, `$top`,
//! `$skip`, `$count`, pages that neither repeat nor skip a row while values are written, and
//! errors in OData's format naming the option.

use std::collections::BTreeSet;

use serde_json::Value;
use styrhub_api::app::HttpOptions;
use styrhub_api::limits::Limits;
use styrhub_domain::export::Table;
use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource};
use styrhub_domain::ports::ObservationWriter;

use crate::helpers::{both, TestApp};

/// Small pages, so that every feed has several.
fn paged(rows: u64) -> HttpOptions {
    HttpOptions {
        limits: Limits {
            odata_page_size: rows,
            ..Limits::default()
        },
        ..HttpOptions::default()
    }
}

async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    let res = app.get(path).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Every row of a feed, following `@odata.nextLink` to the end; how many pages it took.
async fn feed(app: &TestApp, path: &str) -> (Vec<Value>, usize) {
    let mut rows = Vec::new();
    let mut next = Some(app.url(path));
    let mut pages = 0;
    while let Some(url) = next {
        let res = app.client().get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {url}");
        assert_eq!(res.headers()["odata-version"], "4.0");
        let body: Value = res.json().await.unwrap();
        rows.extend(body["value"].as_array().unwrap().iter().cloned());
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
        pages += 1;
        assert!(pages < 10_000, "the feed ends");
    }
    (rows, pages)
}

/// The export's rows of a table, as (header, rows).
async fn export(app: &TestApp, table: Table, query: &str) -> Vec<Vec<String>> {
    let csv = app
        .get(&format!("/api/v1/export/{}.csv{query}", table.name()))
        .await
        .text()
        .await
        .unwrap();
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(csv.as_bytes());
    r.records().map(|x| x.unwrap().iter().map(str::to_owned).collect()).collect()
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

both! {
    async fn every_entity_set_reads_to_its_end_with_the_rows_of_the_export(db: TestDb) {
        let app = TestApp::spawn_with(db, paged(40)).await.with_demo().await;
        let (status, service) = get(&app, "/odata/").await;
        assert_eq!(status, 200);
        let names: Vec<&str> = service["value"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names.len(), 15, "{names:?}");
        let metadata = app.get("/odata/$metadata").await;
        assert_eq!(metadata.headers()["content-type"], "application/xml");
        let xml = metadata.text().await.unwrap();
        for t in Table::ALL {
            let set = styrhub_api::odata::csdl::set_name(t);
            assert!(xml.contains(&format!("<EntitySet Name=\"{set}\"")), "{set} in $metadata");
            if t == Table::Observations || t == Table::Kpis {
                continue; // thousands of rows: read by filter below
            }
            let (rows, pages) = feed(&app, &format!("/odata/{set}")).await;
            let expected = export(&app, t, "").await;
            assert_eq!(rows.len(), expected.len(), "{set}");
            for (row, want) in rows.iter().zip(&expected) {
                for (c, w) in t.columns().iter().zip(want) {
                    let got = text_of(&row[c.name]);
                    // Decimals are the same number however they print (4 and 4.0), within
                    // the last digit serde_json's parser may round otherwise.
                    match (got.parse::<f64>(), w.parse::<f64>()) {
                        (Ok(a), Ok(b)) => assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{set}.{}: {a} against {b}", c.name),
                        _ => assert_eq!(&got, w, "{set}.{}", c.name),
                    }
                }
            }
            assert_eq!(pages as u64, (expected.len() as u64 / 40) + 1, "{set}: pages of 40");
        }
        // The catalogue is thousands of KPIs: every one, once, in pages.
        let (kpis, pages) = feed(&app, "/odata/Kpis?$select=id").await;
        let ids: BTreeSet<String> = kpis.iter().map(|k| k["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids.len(), kpis.len(), "no KPI twice");
        assert_eq!(ids.len(), export(&app, Table::Kpis, "").await.len());
        assert!(pages > 100, "{pages}");
    }

    async fn each_filter_operator_keeps_what_the_same_test_keeps_here(db: TestDb) {
        let app = TestApp::spawn_with(db, paged(25)).await.with_demo().await;
        let all: Vec<Vec<String>> = export(&app, Table::Observations, "?kpi=N00090").await;
        let col = |name: &str| Table::Observations.column(name).unwrap().0;
        let (period, area, gender, value, source) = (col("period"), col("area"), col("gender"), col("value"), col("source"));
        let num = |s: &str| s.parse::<f64>().ok();
        type Keep = Box<dyn Fn(&Vec<String>) -> bool>;
        let cases: Vec<(&str, Keep)> = vec![
            ("period eq 2020", Box::new(move |r| r[period] == "2020")),
            ("period ne 2020", Box::new(move |r| r[period] != "2020")),
            ("period gt 2020", Box::new(move |r| r[period].parse::<i32>().unwrap() > 2020)),
            ("period ge 2020", Box::new(move |r| r[period].parse::<i32>().unwrap() >= 2020)),
            ("period lt 2010", Box::new(move |r| r[period].parse::<i32>().unwrap() < 2010)),
            ("period le 2010", Box::new(move |r| r[period].parse::<i32>().unwrap() <= 2010)),
            ("value gt 8.5 and gender eq 'T'", Box::new(move |r| num(&r[value]).is_some_and(|v| v > 8.5) && r[gender] == "T")),
            ("area eq '1489' or area eq '0000'", Box::new(move |r| r[area] == "1489" || r[area] == "0000")),
            ("not (gender eq 'T')", Box::new(move |r| r[gender] != "T")),
            ("area in ('1489', '1440', '1441')", Box::new(move |r| ["1489", "1440", "1441"].contains(&r[area].as_str()))),
            ("(period ge 2015 and period le 2016) and (area eq '1489')", Box::new(move |r| r[area] == "1489" && (r[period] == "2015" || r[period] == "2016"))),
            ("startswith(area, '14')", Box::new(move |r| r[area].starts_with("14"))),
            ("contains(source, 'olad')", Box::new(move |r| r[source].contains("olad"))),
            ("value eq null", Box::new(move |r| r[value].is_empty())),
        ];
        for (filter, keep) in cases {
            let want: BTreeSet<String> = all.iter().filter(|r| keep(r)).map(|r| r[0].clone()).collect();
            let q = serde_urlencoded::to_string([("$filter", format!("kpi eq 'N00090' and ({filter})")), ("$count", "true".into())]).unwrap();
            let (rows, _) = feed(&app, &format!("/odata/Observations?{q}")).await;
            let got: BTreeSet<String> = rows.iter().map(|r| r["id"].to_string()).collect();
            assert_eq!(got.len(), rows.len(), "{filter}: no row twice");
            assert_eq!(got, want, "{filter}");
            let (_, first) = get(&app, &format!("/odata/Observations?{q}")).await;
            assert_eq!(first["@odata.count"].as_u64(), Some(want.len() as u64), "{filter}: the count of every page");
        }
    }

    async fn select_orderby_top_and_skip_shape_a_page(db: TestDb) {
        let app = TestApp::spawn_with(db, paged(4)).await.with_demo().await;
        let (status, body) = get(&app, "/odata/Goals?$select=id,title&$filter=municipality%20eq%20'1489'&$top=3").await;
        assert_eq!(status, 200, "{body:#}");
        let rows = body["value"].as_array().unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.as_object().unwrap().len() == 2), "{body:#}");
        assert!(body["@odata.context"].as_str().unwrap().ends_with("$metadata#Goals(id,title)"), "{body:#}");
        assert!(body.get("@odata.nextLink").is_none(), "$top reached: {body:#}");
        // An order of the client's, read through pages by position: the same rows as sorted here.
        let (ordered, pages) = feed(&app, "/odata/Targets?$orderby=period_from%20desc,id&$select=id,period_from").await;
        assert!(pages > 1);
        let mut sorted = ordered.clone();
        sorted.sort_by_key(|r| (-r["period_from"].as_i64().unwrap(), r["id"].as_i64().unwrap()));
        assert_eq!(ordered, sorted);
        // $top across pages, then $skip.
        let (top, pages) = feed(&app, "/odata/Targets?$top=10&$select=id").await;
        assert_eq!((top.len(), pages), (10, 3), "pages of 4, 4 and 2");
        let (skipped, _) = feed(&app, "/odata/Targets?$skip=2&$top=3&$select=id").await;
        assert_eq!(skipped, top[2..5].to_vec());
    }

    async fn expand_brings_each_rows_related_entity(db: TestDb) {
        let app = TestApp::spawn_with(db, paged(7)).await.with_demo().await;
        let (status, body) = get(&app, "/odata/Observations?$filter=kpi%20eq%20'N00090'%20and%20area%20eq%20'1489'&$top=3&$expand=Kpi,Area").await;
        assert_eq!(status, 200, "{body:#}");
        let rows = body["value"].as_array().unwrap();
        assert_eq!(rows.len(), 3);
        let (_, kpi) = get(&app, "/odata/Kpis?$filter=id%20eq%20'N00090'").await;
        for r in rows {
            assert_eq!(r["Kpi"], kpi["value"][0], "{r:#}");
            assert_eq!(r["Area"]["code"], "1489", "{r:#}");
        }
        // Through every page, `*` for every navigation property; a missing target is null.
        let (goals, pages) = feed(&app, "/odata/Goals?$select=id,owner_id&$expand=*").await;
        assert!(pages > 1);
        assert!(goals.iter().all(|g| g["Owner"]["id"] == g["owner_id"]), "each goal's owner");
        let (indicators, _) = feed(&app, "/odata/Indicators?$select=id,kpi&$expand=Kpi").await;
        assert!(indicators.iter().any(|i| i["kpi"].is_null() && i["Kpi"].is_null()));
        assert!(indicators.iter().filter(|i| !i["kpi"].is_null()).all(|i| i["Kpi"]["id"] == i["kpi"]));
    }

    async fn pages_neither_repeat_nor_skip_a_row_while_values_are_written(db: TestDb) {
        let app = TestApp::spawn_with(db, paged(5)).await.with_demo().await;
        let path = "/odata/Observations?$filter=kpi%20eq%20'N00090'%20and%20area%20eq%20'1489'%20and%20gender%20eq%20'T'&$select=id,period,value";
        let (before, _) = feed(&app, path).await;
        let (_, first) = get(&app, path).await;
        let next = first["@odata.nextLink"].as_str().unwrap().to_owned();
        // An ingest writes between two pages: a revised value and two new years.
        let write = |period: i32, value: f64| NewObservation {
            series: SeriesRef::Kpi(KpiId::parse("N00090").unwrap()),
            area: AreaCode::parse("1489").unwrap(),
            period: Year::new(period).unwrap(),
            gender: Gender::Total,
            value: Some(value),
            status: None,
            count: None,
            source: ValueSource::Kolada,
            deleted: false,
        };
        app.store.write_batch(&[write(2015, 1.5), write(2030, 2.0), write(2031, 3.0)]).await.unwrap();
        let mut rows: Vec<Value> = first["value"].as_array().unwrap().clone();
        let mut url = Some(next);
        while let Some(u) = url {
            let body: Value = app.client().get(&u).send().await.unwrap().json().await.unwrap();
            rows.extend(body["value"].as_array().unwrap().iter().cloned());
            url = body["@odata.nextLink"].as_str().map(str::to_owned);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
        let unique: BTreeSet<i64> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "no row twice");
        for r in &before {
            assert!(unique.contains(&r["id"].as_i64().unwrap()), "every row of before is read: {r}");
        }
        assert_eq!(ids.len(), before.len() + 2, "and the two new ones, at the end");
    }

    async fn bad_options_are_answered_in_odatas_error_format_naming_them(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let cases = [
            ("/odata/Observations?$filter=period%20eq", 400, "$filter", "at position"),
            ("/odata/Observations?$filter=peroid%20eq%202020", 400, "$filter", "`peroid` is not a property of Observations"),
            ("/odata/Observations?$filter=period%20eq%20'x'", 400, "$filter", "expected a whole number"),
            ("/odata/Observations?$orderby=nope", 400, "$orderby", "not a property"),
            ("/odata/Observations?$select=id,nope", 400, "$select", "`nope`"),
            ("/odata/Observations?$top=many", 400, "$top", "whole number"),
            ("/odata/Observations?$count=yes", 400, "$count", "true or false"),
            ("/odata/Observations?$expand=Kpi($select=title)", 501, "$expand", "not supported"),
            ("/odata/Observations?$expand=Nope", 400, "$expand", "`Nope` is not a navigation property of Observations (Kpi, Indicator, Area)"),
            ("/odata/Observations?$search=x", 501, "$search", "not supported"),
            ("/odata/Observations?$frobnicate=1", 400, "$frobnicate", "not an OData system query option"),
            ("/odata/Observations?$skiptoken=zzz", 400, "$skiptoken", "gave out"),
            ("/odata/Nothing", 404, "Nothing", "not an entity set"),
        ];
        for (path, status, target, says) in cases {
            let (got, body) = get(&app, path).await;
            assert_eq!(got, status, "{path}: {body:#}");
            let e = &body["error"];
            if status != 404 {
                assert_eq!(e["target"], target, "{path}: {body:#}");
            }
            assert!(e["message"].as_str().is_some_and(|m| m.contains(says)), "{path}: {body:#}");
            assert!(e["code"].is_string(), "{path}: {body:#}");
        }
    }
}

// Under `--require-token-for-reads` an OData feed may carry its token in the query string
// (Power BI's "Web API" key); the token then appears in no log line, link, error or metric.
both! {
    async fn a_token_in_the_query_string_opens_a_private_feed_and_is_never_logged(db: TestDb) {
        use std::io::Read;
        use std::process::Stdio;
        let token = crate::helpers::mint_token(&db.store().await, "power bi", styrhub_domain::access::Role::Reader, None).await;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let mut child = crate::helpers::styrhub_command(&db.url)
            .args([
                "serve",
                "--demo",
                "--addr",
                &addr,
                "--require-token-for-reads",
                "--odata-page-size",
                "3",
            ])
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let client = reqwest::Client::new();
        let start = std::time::Instant::now();
        while client.get(format!("http://{addr}/healthz")).send().await.is_err() {
            assert!(start.elapsed() < std::time::Duration::from_secs(30), "the server starts");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let base = format!("http://{addr}/odata/Goals?$select=id");
        assert_eq!(client.get(&base).send().await.unwrap().status(), 401, "private without a token");
        let open = client.get(format!("{base}&token={token}")).send().await.unwrap();
        assert_eq!(open.status(), 200);
        let body = open.text().await.unwrap();
        assert!(!body.contains(&token), "the next link does not repeat the token: {body}");
        let next: Value = serde_json::from_str(&body).unwrap();
        let link = next["@odata.nextLink"].as_str().expect("pages of 3");
        assert_eq!(client.get(format!("{link}&token={token}")).send().await.unwrap().status(), 200);
        let wrong = format!("{}x", &token[..token.len() - 1]);
        let refused = client.get(format!("{base}&token={wrong}")).send().await.unwrap();
        assert_eq!(refused.status(), 401);
        assert!(!refused.text().await.unwrap().contains(&wrong));
        let metrics = client
            .get(format!("http://{addr}/metrics"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!metrics.contains(&token) && !metrics.contains(&wrong));
        // Only OData takes a token from the query string.
        let rest = client.get(format!("http://{addr}/api/v1/kpis?token={token}")).send().await.unwrap();
        assert_eq!(rest.status(), 401);
        std::process::Command::new("kill").arg(child.id().to_string()).status().unwrap();
        let _ = child.wait();
        let (mut out, mut err) = (String::new(), String::new());
        child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        let logs = format!("{out}{err}");
        assert!(logs.contains("/odata/Goals"), "the requests are logged: {logs}");
        assert!(logs.contains("token=REDACTED"), "{logs}");
        assert!(!logs.contains(&token) && !logs.contains(&wrong), "the token is never logged");
    }
}
