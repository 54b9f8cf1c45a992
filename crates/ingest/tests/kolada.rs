//! The Kolada client against the local test server: paging, chunking, retries, limits and the
//! v2 shapes. Nothing here reaches the internet.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde_json::{json, Value};
use styrhub_domain::ids::Gender;
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource};
use styrhub_ingest::kolada::{DataQuery, FetchStats, KoladaClient, KoladaConfig, Page, USER_AGENT};
use styrhub_ingest::testserver::{Fault, FaultKind, Fixture, TestServer};
use styrhub_ingest::IngestError;

fn client(cfg: KoladaConfig) -> KoladaClient {
    KoladaClient::new(cfg).expect("a valid test config")
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

/// Every area code of the sample, in the sample's order (`0000` first).
fn area_codes(fx: &Fixture) -> Vec<String> {
    fx.municipalities.iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect()
}

/// Runs a data query and collects every page.
async fn fetch(client: &KoladaClient, q: &DataQuery) -> Result<(Vec<Page>, FetchStats), IngestError> {
    let pages = Arc::new(Mutex::new(Vec::new()));
    let sink = pages.clone();
    let stats = client
        .data(q, move |page| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(page);
                Ok(())
            }
        })
        .await?;
    let pages = std::mem::take(&mut *pages.lock().unwrap());
    Ok((pages, stats))
}

/// One line per observation, to compare sets.
fn line(kpi: &str, area: &str, year: i64, gender: &str, value: Option<f64>, status: Option<&str>) -> String {
    format!("{kpi} {area} {year} {gender} {value:?} {status:?}")
}

fn observed(pages: &[Page]) -> BTreeSet<String> {
    pages
        .iter()
        .flat_map(|p| &p.observations)
        .map(|o| {
            line(
                &kpi_of(o),
                o.area.as_str(),
                o.period.get().into(),
                o.gender.code(),
                o.value,
                o.status.as_deref(),
            )
        })
        .collect()
}

fn kpi_of(o: &NewObservation) -> String {
    match &o.series {
        SeriesRef::Kpi(k) => k.as_str().to_owned(),
        SeriesRef::Indicator(i) => format!("indicator {i}"),
    }
}

/// What the fixture holds for `kpi` in `areas` × `years`, read independently of the client.
fn expected(fx: &Fixture, kpi: &str, areas: &[String], years: &[i32]) -> BTreeSet<String> {
    fx.data
        .iter()
        .filter(|r| r["kpi"] == kpi)
        .filter(|r| areas.iter().any(|a| r["municipality"] == a.as_str()))
        .filter(|r| years.iter().any(|y| r["period"] == *y))
        .flat_map(|r| {
            r["values"].as_array().unwrap().iter().map(move |e| {
                let status = e["status"].as_str().filter(|s| !s.is_empty());
                line(
                    kpi,
                    r["municipality"].as_str().unwrap(),
                    r["period"].as_i64().unwrap(),
                    e["gender"].as_str().unwrap(),
                    e["value"].as_f64(),
                    status,
                )
            })
        })
        .collect()
}

fn query(kpis: &[&str], areas: Vec<String>, years: &[i32]) -> DataQuery {
    DataQuery {
        kpis: strings(kpis),
        areas,
        years: years.to_vec(),
        ou: false,
        from_date: None,
    }
}

#[tokio::test]
async fn the_kpi_catalogue_is_read_over_two_pages() {
    let fx = Fixture::sample();
    let server = TestServer::start(fx.clone());
    let c = client(KoladaConfig {
        per_page: 10,
        ..server.config()
    });
    let kpis = c.kpis(None).await.unwrap();
    assert_eq!(kpis.len(), 13);
    let listed = server.requests().into_iter().filter(|r| r.path == "/v3/kpi").collect::<Vec<_>>();
    assert_eq!(listed.len(), 2, "13 KPIs at 10 a page");
    assert_eq!(
        listed[1].query.as_deref(),
        Some("per_page=10&page=2"),
        "the next_url is followed as given"
    );
    assert!(listed.iter().all(|r| r.user_agent.as_deref() == Some(USER_AGENT)));

    let inv = kpis.iter().find(|k| k.id == "N01951").unwrap();
    assert_eq!(inv.title, "Invånare totalt, antal");
    assert_eq!(inv.is_divided_by_gender, Some(true));
    assert_eq!(inv.municipality_type.as_deref(), Some("A"));
    assert_eq!(inv.has_ou_data, Some(false));
    assert_eq!(inv.to_domain().publication_date.as_deref(), Some("2027-02-24"));
    assert!(kpis.iter().any(|k| k.id == "N00009" && k.auspice.is_none()));
    assert_eq!(c.stats().pages, 2);
}

#[tokio::test]
async fn kpis_by_id_go_25_to_a_request_and_unknown_ids_are_absent() {
    let fx = Fixture::sample();
    let server = TestServer::start(fx.clone());
    let c = client(server.config());
    let mut ids: Vec<String> = fx.kpis.iter().map(|k| k["id"].as_str().unwrap().to_owned()).collect();
    ids.extend((0..20).map(|i| format!("U9{i:04}")));
    let kpis = c.kpis(Some(&ids)).await.unwrap();
    assert_eq!(kpis.len(), 13);
    assert_eq!(server.hits("/v3/kpi/"), 2, "33 ids make two requests");
    assert_eq!(kpis[0].id, "N00003", "the order of the answer is kept");
}

#[tokio::test]
async fn municipalities_keep_their_leading_zeros_and_types() {
    let server = TestServer::start(Fixture::sample());
    let c = client(server.config());
    let all = c.municipalities(None).await.unwrap();
    assert_eq!(all.len(), 312);
    assert_eq!(
        (all[0].id.as_str(), all[0].title.as_str(), all[0].area_type.as_str()),
        ("0000", "Riket", "L")
    );
    assert_eq!(all.iter().filter(|a| a.area_type == "K").count(), 290);
    let some = c.municipalities(Some(&strings(&["1489", "0114"]))).await.unwrap();
    assert_eq!(some.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["0114", "1489"]);
    assert_eq!(some[0].to_domain().code, "0114");
}

#[tokio::test]
async fn groups_and_units_are_listed_with_their_members() {
    let server = TestServer::start(Fixture::sample());
    let c = client(server.config());
    let groups = c.municipality_groups().await.unwrap();
    assert_eq!(groups.len(), 4);
    assert_eq!(groups[0].members[0], ("0682".to_owned(), "Nässjö".to_owned()));
    let kpi_groups = c.kpi_groups().await.unwrap();
    assert_eq!(kpi_groups[0].members[0].0, "N01951");
    let ous = c.ous(&strings(&["1080"])).await.unwrap();
    assert_eq!(ous.len(), 5);
    assert!(ous.iter().all(|o| o.municipality == "1080" && o.id.starts_with("V15E1080")));
    assert_eq!(
        server.requests().last().unwrap().query.as_deref(),
        Some("municipality=1080&per_page=5000")
    );
    assert_eq!(c.ous(&[]).await.unwrap().len(), 7, "no municipalities: every unit");
}

#[tokio::test]
async fn data_pages_are_followed_and_values_read_by_gender() {
    let fx = Fixture::sample();
    let server = TestServer::start(fx.clone());
    let c = client(KoladaConfig {
        per_page: 5,
        ..server.config()
    });
    let areas: Vec<String> = area_codes(&fx)[..8].to_vec();
    let years = [2020, 2021, 2022, 2023];
    let (pages, stats) = fetch(&c, &query(&["N01951"], areas.clone(), &years)).await.unwrap();

    // 8 areas × 4 years = 32 rows at 5 a page: 7 pages, each at most 5 rows of three genders.
    assert_eq!(pages.len(), 7);
    assert!(pages.iter().all(|p| p.observations.len() <= 15));
    assert_eq!(stats.pages, 7);
    assert_eq!(stats.requests, 7);
    assert_eq!(stats.observations, 96);
    assert_eq!(observed(&pages), expected(&fx, "N01951", &areas, &years));
    assert!(pages[1].url.contains("page=2"));

    let all: Vec<&NewObservation> = pages.iter().flat_map(|p| &p.observations).collect();
    assert!(all.iter().all(|o| o.source == ValueSource::Kolada && !o.deleted));
    assert!(all.iter().all(|o| matches!(&o.series, SeriesRef::Kpi(k) if k.as_str() == "N01951")));
    // The sample rotates the gender order, so reading by position would have mixed them up.
    let genders: BTreeSet<Gender> = all.iter().map(|o| o.gender).collect();
    assert_eq!(genders.len(), 3);
}

#[tokio::test]
async fn missing_values_stay_none_and_zero_stays_a_value() {
    let fx = Fixture::sample();
    let server = TestServer::start(fx.clone());
    let c = client(server.config());
    let areas = area_codes(&fx)[..25].to_vec();
    let (pages, _) = fetch(&c, &query(&["N00003"], areas, &[2020, 2021, 2022, 2023])).await.unwrap();
    let all: Vec<&NewObservation> = pages.iter().flat_map(|p| &p.observations).collect();
    let missing: Vec<_> = all.iter().filter(|o| o.value.is_none()).collect();
    assert!(!missing.is_empty());
    assert!(missing.iter().all(|o| o.status.as_deref() == Some("Missing")));
    assert!(all.iter().any(|o| o.value == Some(0.0) && o.status.is_none()));
    assert!(all.iter().any(|o| o.count == Some(1)), "rows with count keep it");
}

#[tokio::test]
async fn long_lists_are_split_into_requests_of_25() {
    let fx = Fixture::sample();
    let server = TestServer::start(fx.clone());
    let c = client(server.config());
    let areas = area_codes(&fx)[..60].to_vec();
    let (pages, stats) = fetch(&c, &query(&["N01951", "N00003"], areas.clone(), &[2022])).await.unwrap();
    assert_eq!(server.hits("/v3/data"), 3, "60 areas make 25 + 25 + 10");
    assert_eq!(stats.observations, 60 * 3 + 60);
    let mut want = expected(&fx, "N01951", &areas, &[2022]);
    want.extend(expected(&fx, "N00003", &areas, &[2022]));
    assert_eq!(observed(&pages), want);
}

#[tokio::test]
async fn the_server_refuses_more_than_25_values_and_pages_over_5000() {
    let server = TestServer::start(Fixture::sample());
    let ids: Vec<String> = (0..26).map(|i| format!("{:04}", 100 + i)).collect();
    let http = reqwest::Client::new();
    let url = format!("{}/data/kpi/N01951/municipality/{}/year/2022", server.base_url(), ids.join(","));
    assert_eq!(http.get(&url).send().await.unwrap().status(), 400);
    let url = format!("{}/kpi?per_page=5001", server.base_url());
    assert_eq!(http.get(&url).send().await.unwrap().status(), 400);
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let server = TestServer::start(Fixture::sample().with_fault(Fault::new(
        "/v3/municipality",
        1,
        FaultKind::TooManyRequests { retry_after_secs: Some(1) },
    )));
    let c = client(server.config());
    let started = Instant::now();
    let all = c.municipalities(None).await.unwrap();
    assert_eq!(all.len(), 312);
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was honoured");
    assert_eq!(server.hits("/v3/municipality"), 2);
    assert_eq!(c.stats().retries, 1);
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let server = TestServer::start(Fixture::sample().with_fault(Fault::new("/v3/municipality_groups", 2, FaultKind::Status(500))));
    let c = client(server.config());
    assert_eq!(c.municipality_groups().await.unwrap().len(), 4);
    assert_eq!(server.hits("/v3/municipality_groups"), 3);
    let stats = c.stats();
    assert_eq!((stats.requests, stats.retries, stats.pages), (3, 2, 1));
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let server = TestServer::start(Fixture::sample().with_fault(Fault::new("/v3/kpi_groups", 1, FaultKind::Delay(Duration::from_secs(2)))));
    let c = client(KoladaConfig {
        timeout: Duration::from_millis(250),
        ..server.config()
    });
    let started = Instant::now();
    assert_eq!(c.kpi_groups().await.unwrap().len(), 2);
    assert!(started.elapsed() < Duration::from_secs(2), "the slow answer was not waited for");
    assert_eq!(server.hits("/v3/kpi_groups"), 2);
}

#[tokio::test]
async fn html_and_truncated_json_are_retried() {
    let server = TestServer::start(
        Fixture::sample()
            .with_fault(Fault::new("/v3/data", 1, FaultKind::Html))
            .with_fault(Fault::new("/v3/data", 1, FaultKind::TruncatedJson)),
    );
    let c = client(server.config());
    let fx = Fixture::sample();
    let areas = area_codes(&fx)[..3].to_vec();
    let (pages, stats) = fetch(&c, &query(&["N01951"], areas.clone(), &[2021])).await.unwrap();
    assert_eq!(observed(&pages), expected(&fx, "N01951", &areas, &[2021]));
    assert_eq!((stats.requests, stats.retries), (3, 2));
}

#[tokio::test]
async fn a_permanently_malformed_body_fails_naming_the_url_and_status() {
    let server = TestServer::start(Fixture::sample().with_fault(Fault::always("/v3/data", FaultKind::Html)));
    let c = client(server.config());
    let err = fetch(&c, &query(&["N01951"], strings(&["1489"]), &[2021])).await.unwrap_err();
    let IngestError::Malformed { url, message } = &err else {
        panic!("expected Malformed, got {err:?}");
    };
    assert!(url.starts_with(&server.base_url()) && url.contains("/data/kpi/N01951/municipality/1489/year/2021"));
    assert!(
        message.contains("4 tries") && message.contains("200") && message.contains("text/html"),
        "{message}"
    );
    assert_eq!(server.hits("/v3/data"), 4, "max_tries");
}

#[tokio::test]
async fn persistent_server_errors_give_up_with_the_last_status() {
    let server = TestServer::start(Fixture::sample().with_fault(Fault::always("/v3/kpi", FaultKind::Status(503))));
    let c = client(KoladaConfig {
        max_tries: 3,
        ..server.config()
    });
    let err = c.kpis(None).await.unwrap_err();
    assert!(
        matches!(&err, IngestError::Http { status: Some(503), url, .. } if url.ends_with("/v3/kpi?per_page=5000")),
        "{err:?}"
    );
    assert_eq!(server.hits("/v3/kpi"), 3);
}

#[tokio::test]
async fn other_client_errors_are_not_retried() {
    let server = TestServer::start(Fixture::sample().with_fault(Fault::always("/v3/ou", FaultKind::Status(404))));
    let c = client(server.config());
    let err = c.ous(&strings(&["1080"])).await.unwrap_err();
    assert!(matches!(&err, IngestError::Http { status: Some(404), .. }), "{err:?}");
    assert!(err.to_string().contains("/v3/ou?municipality=1080"), "{err}");
    assert_eq!(server.hits("/v3/ou"), 1);
}

#[tokio::test]
async fn empty_results_are_no_error_and_no_page() {
    let server = TestServer::start(Fixture::empty());
    let c = client(server.config());
    assert!(c.kpis(None).await.unwrap().is_empty());
    let (pages, stats) = fetch(&c, &query(&["N01951"], strings(&["1489"]), &[2022])).await.unwrap();
    assert!(pages.is_empty());
    assert_eq!((stats.requests, stats.pages, stats.observations), (1, 1, 0));
}

#[tokio::test]
async fn a_next_url_cycle_ends_with_an_error() {
    let server = TestServer::start(Fixture::sample().with_fault(Fault::always("/v3/data", FaultKind::NextUrlCycle)));
    let c = client(KoladaConfig {
        per_page: 2,
        ..server.config()
    });
    let err = fetch(&c, &query(&["N01951"], strings(&["1489", "0764"]), &[2021, 2022]))
        .await
        .unwrap_err();
    // The first URL has no `page`; page 2 links to `page=1`, whose next link is page 2 again.
    assert!(matches!(&err, IngestError::Cycle { url } if url.ends_with("page=2")), "{err:?}");
    assert_eq!(server.hits("/v3/data"), 3);
}

#[tokio::test]
async fn a_value_of_the_wrong_type_fails_naming_the_url_and_the_row() {
    let mut fx = Fixture::sample();
    fx.data.insert(
        0,
        json!({"kpi": "N01951", "period": 2022, "municipality": "1489", "values": [{"gender": "T", "value": "abc", "status": ""}]}),
    );
    let server = TestServer::start(fx);
    let c = client(server.config());
    let err = fetch(&c, &query(&["N01951"], strings(&["1489"]), &[2022])).await.unwrap_err();
    let IngestError::Malformed { url, message } = &err else {
        panic!("expected Malformed, got {err:?}");
    };
    assert!(url.contains("/data/kpi/N01951/municipality/1489/year/2022"));
    assert!(
        message.contains("values[0]") && message.contains("\"abc\"") && message.contains("1489"),
        "{message}"
    );
    assert_eq!(server.hits("/v3/data"), 1, "a bad row is not retried");
}

#[tokio::test]
async fn requests_stay_within_the_concurrency_bound() {
    let fx = Fixture::sample();
    let server = TestServer::start(
        fx.clone()
            .with_fault(Fault::always("/v3/data", FaultKind::Delay(Duration::from_millis(80)))),
    );
    let c = client(server.config());
    let areas = area_codes(&fx)[..150].to_vec();
    let (_, stats) = fetch(&c, &query(&["N00003"], areas, &[2022])).await.unwrap();
    assert_eq!(stats.requests, 6);
    assert_eq!(server.max_in_flight(), 2, "concurrency 2, and it is used");
}

#[tokio::test]
async fn requests_keep_to_the_rate() {
    let fx = Fixture::sample();
    let server = TestServer::start(fx.clone());
    let c = client(KoladaConfig {
        requests_per_second: 10.0,
        ..server.config()
    });
    let areas = area_codes(&fx)[..125].to_vec();
    let started = Instant::now();
    let (_, stats) = fetch(&c, &query(&["N00003"], areas, &[2022])).await.unwrap();
    assert_eq!(stats.requests, 5);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "5 requests at 10/s take 0.4 s at least"
    );
}

#[tokio::test]
async fn from_date_is_sent_and_only_changes_come_back() {
    let mut fx = Fixture::sample();
    for row in fx.data.iter_mut().filter(|r| r["municipality"] == "1489" && r["period"] == 2023) {
        row["_changed"] = json!("2026-05-02");
    }
    let server = TestServer::start(fx.clone());
    let c = client(server.config());
    let mut q = query(&["N01951", "N00003"], strings(&["1489", "0764"]), &[2022, 2023]);
    q.from_date = Some(NaiveDate::from_ymd_opt(2026, 5, 1).unwrap());
    let (pages, _) = fetch(&c, &q).await.unwrap();
    assert!(server.requests()[0].query.as_deref().unwrap().contains("from_date=2026-05-01"));
    let all: Vec<&NewObservation> = pages.iter().flat_map(|p| &p.observations).collect();
    assert_eq!(all.len(), 3 + 1, "N01951 (T, K, M) and N00003 (T) for 1489 in 2023");
    assert!(all.iter().all(|o| o.area.as_str() == "1489" && o.period.get() == 2023));
}

#[tokio::test]
async fn unit_data_comes_per_unit() {
    let server = TestServer::start(Fixture::sample());
    let c = client(server.config());
    let ous: Vec<String> = c.ous(&strings(&["1080"])).await.unwrap().into_iter().map(|o| o.id).collect();
    let q = DataQuery {
        kpis: strings(&["N15033"]),
        areas: ous.clone(),
        years: vec![2022, 2023],
        ou: true,
        from_date: None,
    };
    let (pages, stats) = fetch(&c, &q).await.unwrap();
    assert_eq!(stats.observations, 5 * 2);
    assert!(pages
        .iter()
        .flat_map(|p| &p.observations)
        .all(|o| ous.contains(&o.area.as_str().to_owned())));
    assert!(server
        .requests()
        .last()
        .unwrap()
        .path
        .starts_with("/v3/oudata/kpi/N15033/ou/V15E1080"));
}

#[tokio::test]
async fn a_v2_base_parses_through_the_same_code() {
    let mut fx = Fixture::sample();
    fx.data.push(json!({"kpi": "N00003", "period": "2019", "municipality": "1489",
        "values": [{"gender": "T", "value": null, "status": "", "isdeleted": true}]}));
    let server = TestServer::start(fx.clone());
    let c = client(KoladaConfig {
        base_url: server.base_url_v2(),
        per_page: 10,
        ..server.config()
    });
    let kpis = c.kpis(None).await.unwrap();
    assert_eq!(kpis.len(), 13, "followed next_page");
    assert_eq!(kpis.iter().find(|k| k.id == "N01951").unwrap().is_divided_by_gender, Some(true));
    assert_eq!(kpis.iter().find(|k| k.id == "N00003").unwrap().auspice.as_deref(), Some("E"));
    let raw: Value = reqwest::get(format!("{}/kpi/N00003", server.base_url_v2()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw["values"][0]["is_divided_by_gender"], 0, "the server really speaks v2");
    assert!(raw.get("next_page").is_none());

    let (pages, _) = fetch(&c, &query(&["N00003"], strings(&["1489"]), &[2019, 2022])).await.unwrap();
    let all: Vec<&NewObservation> = pages.iter().flat_map(|p| &p.observations).collect();
    assert_eq!(all.len(), 2);
    assert!(all.iter().any(|o| o.period.get() == 2019 && o.deleted && o.value.is_none()));
}

#[tokio::test]
async fn an_error_from_the_page_handler_stops_the_fetch() {
    let fx = Fixture::sample();
    let server = TestServer::start(fx.clone());
    let c = client(KoladaConfig {
        per_page: 5,
        ..server.config()
    });
    let areas = area_codes(&fx)[..100].to_vec();
    let mut calls = 0;
    let err = c
        .data(&query(&["N01951"], areas, &[2022]), |_page| {
            calls += 1;
            async { Err(IngestError::Write("disk full".into())) }
        })
        .await
        .unwrap_err();
    assert!(matches!(&err, IngestError::Write(m) if m == "disk full"));
    assert_eq!(calls, 1);
    assert!(server.hits("/v3/data") < 20, "100 areas at 5 a page would be 20 requests");
}

#[tokio::test]
async fn totals_add_up_over_calls() {
    let server = TestServer::start(Fixture::sample());
    let c = client(server.config());
    c.kpis(None).await.unwrap();
    let (_, stats) = fetch(&c, &query(&["N01951"], strings(&["1489"]), &[2022])).await.unwrap();
    assert_eq!(stats.requests, 1, "a call counts its own");
    assert_eq!(c.clone().stats().requests, 2, "the client (and its clones) count all");
}

#[test]
fn the_data_future_is_send_when_the_handler_is() {
    fn assert_send<T: Send>(_: &T) {}
    let c = KoladaClient::new(KoladaConfig::default()).unwrap();
    let q = query(&["N01951"], strings(&["1489"]), &[2022]);
    let fut = c.data(&q, |_page| async { Ok(()) });
    assert_send(&fut);
}

#[tokio::test]
async fn the_server_answers_while_the_test_thread_blocks() {
    // As when a test runs the binary with `Command::output()` on a current-thread runtime.
    use std::io::{Read, Write};
    let server = TestServer::start(Fixture::sample());
    let addr = server.base_url().trim_start_matches("http://").trim_end_matches("/v3").to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(stream, "GET /v3/municipality/1489 HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.0 200") && answer.contains("Alingsås"), "{answer}");
}
