//! Ingest end to end through the `styrhub` binary, against the local Kolada test server, on
//! SQLite and PostgreSQL: a sync, the same sync again (nothing inserted), faults survived,
//! failures recorded and completed by a re-run, file imports all or nothing, the planner's
//! statistics refreshed after a large one.

use std::process::Output;

use serde_json::json;
use styrhub_domain::access::{AuditFilter, AuditReader};
use styrhub_ingest::testserver::{Fault, FaultKind, Fixture, TestServer, SAMPLE_DATA_KPIS};

use crate::helpers::{both, planner_rows, styrhub_command, summary_count, TestApp, TestDb};

fn styrhub(db: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    styrhub_command(db)
        .args(args)
        .current_dir(dir.path())
        .output()
        .expect("the binary runs")
}

fn out(o: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The count after `name ` in the summary line, e.g. `inserted 120`.
fn count(o: &Output, name: &str) -> u64 {
    summary_count(&String::from_utf8_lossy(&o.stdout), name)
}

fn sync_args(server: &TestServer) -> Vec<String> {
    let kpis: Vec<&str> = SAMPLE_DATA_KPIS.iter().map(|(k, _)| *k).collect();
    [
        "ingest",
        "kolada",
        "--kpi",
        &kpis.join(","),
        "--municipality",
        "1489,0000,1490",
        "--years",
        "2020-2023",
        "--base-url",
        &server.base_url(),
        "--rate",
        "1000",
        "--max-tries",
        "6",
        "--timeout",
        "1",
        "--backoff-ms",
        "10",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn run(db: &TestDb, args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    styrhub(&db.url, &args)
}

both! {
    async fn a_sync_lands_once_and_the_same_sync_again_inserts_nothing(db: TestDb) {
        let server = TestServer::start(Fixture::sample());
        let first = run(&db, &sync_args(&server));
        assert!(first.status.success(), "{}", out(&first));
        let fetched = count(&first, "fetched");
        assert!(fetched > 0, "{}", out(&first));
        assert_eq!(count(&first, "inserted"), fetched, "{}", out(&first));
        let second = run(&db, &[sync_args(&server), vec!["--full".into()]].concat());
        assert!(second.status.success(), "{}", out(&second));
        assert_eq!(count(&second, "inserted"), 0, "{}", out(&second));
        assert_eq!(count(&second, "updated"), 0, "{}", out(&second));
        assert_eq!(count(&second, "unchanged"), fetched, "{}", out(&second));
        assert!(server.requests().iter().all(|r| r.user_agent.as_deref().is_some_and(|u| u.starts_with("styrhub/"))));

        // Without --full, the last successful run makes the sync incremental.
        let third = run(&db, &sync_args(&server));
        assert!(third.status.success(), "{}", out(&third));
        assert!(String::from_utf8_lossy(&third.stdout).contains("changes since"), "{}", out(&third));
        let last = server.requests().into_iter().rev().find(|r| r.path.starts_with("/v3/data")).unwrap();
        assert!(last.query.as_deref().is_some_and(|q| q.contains("from_date=")), "{last:?}");
        assert_eq!(count(&third, "inserted"), 0, "{}", out(&third));

        // Metadata and the runs are visible in GraphQL; values too.
        let app = TestApp::spawn(db).await;
        let data = app
            .graphql_data(
                r#"{ kpi(id: "N00090") { title series(areas: ["1489"]) { points { period value source } } }
                     ingestRuns { source status inserted unchanged } }"#,
                json!({}),
            )
            .await;
        assert!(!data["kpi"]["title"].as_str().unwrap().is_empty(), "{data:#}");
        let points = data["kpi"]["series"][0]["points"].as_array().unwrap();
        assert!(!points.is_empty() && points.iter().all(|p| p["source"] == "KOLADA"), "{data:#}");
        let runs = data["ingestRuns"].as_array().unwrap();
        assert_eq!(runs.len(), 3);
        assert!(runs.iter().all(|r| r["status"] == "SUCCEEDED" && r["source"] == "kolada"), "{runs:#?}");
    }

    async fn a_synced_municipality_group_keeps_its_members_and_a_ranking_of_it_names_them(db: TestDb) {
        let server = TestServer::start(Fixture::sample());
        let kpi = SAMPLE_DATA_KPIS[0].0;
        let mut args = sync_args(&server);
        // The group and, beside it, one of its members with values.
        let at = args.iter().position(|a| a == "--municipality").unwrap() + 1;
        args[at] = "G114798,0486".into();
        let first = run(&db, &args);
        assert!(first.status.success(), "{}", out(&first));
        let second = run(&db, &[args.clone(), vec!["--full".into()]].concat());
        assert!(second.status.success(), "synced again, the membership stays as it was: {}", out(&second));

        let app = TestApp::spawn(db).await;
        let r = app.get(&format!("/api/v1/kpis/{kpi}/ranking?year=2021&group=G114798")).await;
        assert_eq!(r.status(), 200);
        let r: serde_json::Value = r.json().await.unwrap();
        let mut areas: Vec<&str> = r["rows"].as_array().unwrap().iter().map(|row| row["area"].as_str().unwrap()).collect();
        areas.extend(r["missing"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()));
        areas.sort();
        assert_eq!(areas, ["0381", "0484", "0486", "1980"], "4M's members, as Kolada lists them: {r:#}");
        assert!(r["rows"].as_array().unwrap().iter().any(|row| row["area"] == "0486"), "the member with values is ranked: {r:#}");
        // The members are areas the hub knows, by Kolada's titles.
        let areas: serde_json::Value = app.get("/api/v1/areas?q=V%C3%A4ster%C3%A5s").await.json().await.unwrap();
        assert!(areas["items"].as_array().unwrap().iter().any(|a| a["code"] == "1980"), "{areas:#}");
        // The group is listed by its Kolada title, as Kolada's, with its members.
        let groups = app.graphql_data(r#"{ comparisonGroups { code title source owner members } }"#, json!({})).await;
        let g = groups["comparisonGroups"].as_array().unwrap().iter().find(|g| g["code"] == "G114798").cloned();
        let g = g.unwrap_or_else(|| panic!("{groups:#}"));
        assert_eq!((g["source"].as_str(), g["owner"].as_str()), (Some("KOLADA"), None), "{g:#}");
        assert!(g["title"].as_str().is_some_and(|t| !t.is_empty() && t != "G114798"), "{g:#}");
        assert_eq!(g["members"], json!(["0381", "0484", "0486", "1980"]));
    }

    async fn a_flaky_source_is_retried_and_a_broken_one_fails_the_run_until_it_is_back(db: TestDb) {
        let flaky = Fixture::sample()
            .with_fault(Fault::new("/v3/data", 1, FaultKind::TooManyRequests { retry_after_secs: Some(1) }))
            .with_fault(Fault::new("/v3/data", 1, FaultKind::Status(500)))
            .with_fault(Fault::new("/v3/data", 1, FaultKind::Html))
            .with_fault(Fault::new("/v3/data", 1, FaultKind::Delay(std::time::Duration::from_millis(1500))));
        let server = TestServer::start(flaky);
        let o = run(&db, &sync_args(&server));
        assert!(o.status.success(), "retries carry the run: {}", out(&o));
        assert!(count(&o, "inserted") > 0);

        let broken = TestServer::start(Fixture::sample().with_fault(Fault::always("/v3/data", FaultKind::TruncatedJson)));
        let o = run(&db, &[sync_args(&broken), vec!["--full".into()]].concat());
        assert!(!o.status.success(), "{}", out(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("/v3/data"), "the error names the URL: {err}");

        // Back again: a re-run completes, and the failed run is on record.
        let o = run(&db, &[sync_args(&server), vec!["--full".into()]].concat());
        assert!(o.status.success(), "{}", out(&o));
        assert_eq!(count(&o, "inserted"), 0, "{}", out(&o));
        let app = TestApp::spawn(db).await;
        let runs = app.graphql_data("{ ingestRuns { status error } }", json!({})).await;
        let statuses: Vec<&str> = runs["ingestRuns"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["SUCCEEDED", "FAILED", "SUCCEEDED"]);
        assert!(runs["ingestRuns"][1]["error"].as_str().unwrap().contains("/v3/data"));
    }

    async fn every_ingest_import_and_package_load_is_audited_once_with_its_counts(db: TestDb) {
        // A Kolada sync, a file import and the demo's packages, each through the binary.
        let server = TestServer::start(Fixture::sample());
        let sync = run(&db, &sync_args(&server));
        assert!(sync.status.success(), "{}", out(&sync));
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("egna.csv");
        std::fs::write(&csv, "kpi;area;period;gender;value\nN00090;1489;2022;T;7,5\nN00090;1490;2022;T;7\n").unwrap();
        let file = styrhub(&db.url, &["ingest", "file", &csv.display().to_string()]);
        assert!(file.status.success(), "{}", out(&file));
        let demo = styrhub(&db.url, &["demo", "--demo-dir", &crate::helpers::demo_dir().display().to_string()]);
        assert!(demo.status.success(), "{}", out(&demo));

        let store = db.store().await;
        let entries = store.audit_entries(&AuditFilter { limit: 1000, ..AuditFilter::default() }).await.unwrap();
        let runs: Vec<_> = entries.iter().filter(|e| e.entity == "ingest_run").collect();
        assert_eq!(runs.len(), 2, "one entry per run, none per value: {entries:#?}");
        for (entry, (who, output)) in runs.iter().zip([("ingest file", &file), ("ingest kolada", &sync)]) {
            assert_eq!((entry.author.name.as_str(), entry.author.token_id), (who, None), "as the system");
            assert_eq!(entry.action, "finishIngestRun");
            let before: serde_json::Value = serde_json::from_str(entry.before.as_deref().unwrap()).unwrap();
            let after: serde_json::Value = serde_json::from_str(entry.after.as_deref().unwrap()).unwrap();
            assert_eq!((before["status"].as_str(), after["status"].as_str()), (Some("running"), Some("succeeded")));
            assert_eq!(after["inserted"].as_u64(), Some(count(output, "inserted")), "{after:#}");
            assert_eq!(after["fetched"].as_u64(), Some(count(output, "fetched")), "{after:#}");
        }
        assert!(runs[0].entity_id > runs[1].entity_id, "newest first, by run id");
        let loads: Vec<_> = entries.iter().filter(|e| e.action == "loadPackage").collect();
        let mut codes: Vec<String> = loads
            .iter()
            .map(|e| {
                assert_eq!((e.author.name.as_str(), e.entity.as_str()), ("package", "municipality"));
                let after: serde_json::Value = serde_json::from_str(e.after.as_deref().unwrap()).unwrap();
                assert!(after["observations"]["inserted"].is_u64(), "{after:#}");
                after["municipality"].as_str().unwrap().to_owned()
            })
            .collect();
        codes.sort();
        assert_eq!(codes, ["0486", "0764", "1489", "1490"], "one entry per package loaded");
        assert_eq!(entries.len(), runs.len() + loads.len(), "nothing else: {entries:#?}");
    }

    async fn a_full_sync_marks_deleted_what_the_source_no_longer_serves(db: TestDb) {
        let fixture = Fixture::sample();
        let first = run(&db, &sync_args(&TestServer::start(fixture.clone())));
        assert!(first.status.success(), "{}", out(&first));
        // 3 areas × 4 years: N01951 and N00090 by gender (3), N00003 total only.
        assert_eq!(count(&first, "inserted"), 84, "{}", out(&first));

        // The source drops one value (N00003, Alingsås, 2022) and the whole of N01951.
        let mut dropped = fixture;
        dropped
            .data
            .retain(|r| r["kpi"] != "N01951" && !(r["kpi"] == "N00003" && r["municipality"] == "1489" && r["period"] == 2022));
        dropped.kpis.retain(|k| k["id"] != "N01951");
        let server = TestServer::start(dropped);
        let full = run(&db, &[sync_args(&server), vec!["--full".into()]].concat());
        assert!(full.status.success(), "{}", out(&full));
        assert_eq!(count(&full, "removed"), 36 + 1, "{}", out(&full));
        assert_eq!(count(&full, "unchanged"), 84 - 37, "{}", out(&full));
        // The same full sync again finds nothing more to remove.
        let again = run(&db, &[sync_args(&server), vec!["--full".into()]].concat());
        assert_eq!((count(&again, "removed"), count(&again, "updated")), (0, 0), "{}", out(&again));

        // Reads no longer show them; the values' history is kept.
        let app = TestApp::spawn(db).await;
        let data = app
            .graphql_data(
                r#"{ a: series(kpi: "N00003", areas: ["1489"]) { points { period } }
                     b: series(kpi: "N01951", areas: ["1489", "0000"]) { points { period } }
                     ingestRuns { status } }"#,
                json!({}),
            )
            .await;
        let periods: Vec<i64> = data["a"][0]["points"].as_array().unwrap().iter().map(|p| p["period"].as_i64().unwrap()).collect();
        assert_eq!(periods, [2020, 2021, 2023], "{data:#}");
        assert!(data["b"].as_array().unwrap().iter().all(|s| s["points"].as_array().unwrap().is_empty()), "{data:#}");
        let counts = styrhub_store::package::table_counts(app.store.connection()).await.unwrap();
        let revisions = counts.iter().find(|(t, _)| t == "observation_revision").map(|(_, n)| *n);
        assert!(revisions.is_some_and(|n| n >= 37), "each removal keeps the value it replaced: {counts:?}");
    }

    async fn since_fetches_only_what_changed_from_that_day(db: TestDb) {
        let mut fixture = Fixture::sample();
        for r in fixture.data.iter_mut() {
            let changed = (r["kpi"] == "N00090" && r["municipality"] == "1489" && r["period"] == 2023)
                || (r["kpi"] == "N00003" && r["municipality"] == "0000" && r["period"] == 2021);
            if changed {
                r["_changed"] = json!("2024-03-01");
            }
        }
        let server = TestServer::start(fixture);
        let o = run(&db, &[sync_args(&server), vec!["--since".into(), "2024-02-01".into()]].concat());
        assert!(o.status.success(), "{}", out(&o));
        assert_eq!((count(&o, "fetched"), count(&o, "inserted")), (4, 4), "three genders and one total: {}", out(&o));
        let asked: Vec<_> = server.requests().into_iter().filter(|r| r.path.starts_with("/v3/data")).collect();
        assert!(!asked.is_empty());
        assert!(
            asked.iter().all(|r| r.query.as_deref().is_some_and(|q| q.contains("from_date=2024-02-01"))),
            "every data request asks from that day: {asked:?}"
        );
    }

    async fn an_incremental_run_fetches_a_changed_and_a_deleted_value(db: TestDb) {
        let fixture = Fixture::sample();
        let first = run(&db, &sync_args(&TestServer::start(fixture.clone())));
        assert!(first.status.success(), "{}", out(&first));
        // Today at the source: one value revised, one deleted.
        let today = chrono::Utc::now().date_naive().to_string();
        let mut next = fixture;
        let mut revised = None;
        for r in next.data.iter_mut() {
            if r["kpi"] == "N00090" && r["municipality"] == "1489" && r["period"] == 2023 {
                let total = r["values"].as_array_mut().unwrap().iter_mut().find(|e| e["gender"] == "T").unwrap();
                let value = total["value"].as_f64().unwrap_or(1.0) + 10.0;
                total["value"] = json!(value);
                revised = Some(value);
                r["_changed"] = json!(today);
            }
            if r["kpi"] == "N00003" && r["municipality"] == "1490" && r["period"] == 2021 {
                r["values"][0]["isdeleted"] = json!(true);
                r["_changed"] = json!(today);
            }
        }
        let o = run(&db, &sync_args(&TestServer::start(next)));
        assert!(o.status.success(), "{}", out(&o));
        assert_eq!(count(&o, "fetched"), 4, "only what changed since the last run: {}", out(&o));
        assert_eq!((count(&o, "updated"), count(&o, "unchanged")), (2, 2), "{}", out(&o));

        let app = TestApp::spawn(db).await;
        let data = app
            .graphql_data(
                r#"{ a: series(kpi: "N00090", areas: ["1489"]) { points { period value } }
                     b: series(kpi: "N00003", areas: ["1490"]) { points { period } } }"#,
                json!({}),
            )
            .await;
        let latest = data["a"][0]["points"].as_array().unwrap().iter().find(|p| p["period"] == 2023).cloned().unwrap();
        assert_eq!(latest["value"].as_f64(), revised, "{data:#}");
        let periods: Vec<i64> = data["b"][0]["points"].as_array().unwrap().iter().map(|p| p["period"].as_i64().unwrap()).collect();
        assert!(!periods.contains(&2021), "the deleted value is gone: {data:#}");
    }

    async fn a_dry_run_writes_nothing(db: TestDb) {
        let server = TestServer::start(Fixture::sample());
        let o = run(&db, &[sync_args(&server), vec!["--dry-run".into()]].concat());
        assert!(o.status.success(), "{}", out(&o));
        assert!(count(&o, "fetched") > 0);
        assert_eq!(count(&o, "inserted"), 0);
        let app = TestApp::spawn(db).await;
        let runs = app.graphql_data("{ ingestRuns { id } kpi(id: \"N00090\") { id } }", json!({})).await;
        assert_eq!(runs["ingestRuns"], json!([]));
        assert!(runs["kpi"].is_null());
    }

    async fn a_file_with_errors_imports_nothing_unless_invalid_rows_are_skipped(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("egna.csv");
        std::fs::write(&csv, "kpi;area;period;gender;value\nN00090;1489;2022;T;7,5\nN00090;1489;20x2;T;7\nN00090;0000;2022;K;\n").unwrap();
        let path = csv.display().to_string();
        let o = styrhub(&db.url, &["ingest", "file", &path]);
        assert!(!o.status.success(), "{}", out(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("line 3: column period"), "{err}");
        assert!(err.contains("nothing imported"), "{err}");
        let o = styrhub(&db.url, &["ingest", "file", &path, "--skip-invalid"]);
        assert!(o.status.success(), "{}", out(&o));
        assert_eq!(count(&o, "inserted"), 2, "{}", out(&o));
        assert_eq!(count(&o, "failed"), 1, "{}", out(&o));

        let json_file = dir.path().join("kolada.json");
        std::fs::write(&json_file, r#"{"values": [{"kpi": "N00090", "municipality": "1489", "period": 2023, "values": [{"gender": "T", "value": 7.9}]}]}"#).unwrap();
        let o = styrhub(&db.url, &["ingest", "file", &json_file.display().to_string()]);
        assert!(o.status.success(), "{}", out(&o));
        assert_eq!(count(&o, "inserted"), 1, "{}", out(&o));
        let app = TestApp::spawn(db).await;
        let data = app.graphql_data(r#"{ series(kpi: "N00090", areas: ["1489"]) { points { period value source } } }"#, json!({})).await;
        let points = data["series"][0]["points"].as_array().unwrap();
        assert_eq!(points.len(), 2, "{data:#}");
        assert_eq!(points[0], json!({ "period": 2022, "value": 7.5, "source": "FILE" }));
    }

    async fn a_file_names_its_values_source_and_an_unknown_source_is_a_row_error(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("fran-kolada.csv");
        std::fs::write(
            &csv,
            "kpi,area,period,gender,value,source\nN00090,1489,2022,T,8.9,kolada\nN00090,1489,2021,T,8.2,\nN00090,1489,2020,T,9.0,manual\n",
        )
        .unwrap();
        let o = styrhub(&db.url, &["ingest", "file", &csv.display().to_string()]);
        assert!(o.status.success(), "{}", out(&o));
        assert_eq!(count(&o, "inserted"), 3, "{}", out(&o));
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "kpi,area,period,value,source\nN00090,0000,2022,8.1,scb\n").unwrap();
        let o = styrhub(&db.url, &["ingest", "file", &bad.display().to_string()]);
        assert!(!o.status.success(), "{}", out(&o));
        assert!(String::from_utf8_lossy(&o.stderr).contains("line 2: column source"), "{}", out(&o));
        let app = TestApp::spawn(db).await;
        let data = app.graphql_data(r#"{ series(kpi: "N00090", areas: ["1489"]) { points { period value source isExample } } }"#, json!({})).await;
        assert_eq!(
            data["series"][0]["points"],
            json!([
                { "period": 2020, "value": 9.0, "source": "MANUAL", "isExample": false },
                { "period": 2021, "value": 8.2, "source": "FILE", "isExample": false },
                { "period": 2022, "value": 8.9, "source": "KOLADA", "isExample": false },
            ])
        );
    }

    async fn a_file_of_many_batches_lands_whole_or_not_at_all_and_a_rerun_changes_nothing(db: TestDb) {
        let store = db.store().await;
        let dir = tempfile::tempdir().unwrap();
        // 10 KPIs × 1,000 areas × 12 years: more than two of the writer's batches (`FILE_BATCH`).
        let rows = 120_000u64;
        assert!(rows > 2 * styrhub_api::ingest_cmd::FILE_BATCH as u64);
        let mut text = String::from("kpi,area,period,gender,value\n");
        for kpi in 90..100 {
            for area in 1000..2000 {
                for year in 2012..2024 {
                    text.push_str(&format!("N{kpi:05},{area},{year},T,{}\n", area % 89));
                }
            }
        }
        // The same rows and, last of all, one bad row: found by the first pass, nothing written.
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, format!("{text}N00090,1999,20x3,T,1\n")).unwrap();
        let o = styrhub(&db.url, &["ingest", "file", &bad.display().to_string()]);
        assert!(!o.status.success(), "{}", out(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&format!("line {}: column period", rows + 2)), "{err}");
        assert!(err.contains("nothing imported"), "{err}");
        assert_eq!(observations(&store).await, 0, "nothing of the file was written");

        let good = dir.path().join("good.csv");
        std::fs::write(&good, &text).unwrap();
        let o = styrhub(&db.url, &["ingest", "file", &good.display().to_string()]);
        assert!(o.status.success(), "{}", out(&o));
        assert_eq!(count(&o, "inserted"), rows, "{}", out(&o));
        assert_eq!(observations(&store).await, rows as i64);
        let o = styrhub(&db.url, &["ingest", "file", &good.display().to_string()]);
        assert!(o.status.success(), "{}", out(&o));
        assert_eq!((count(&o, "inserted"), count(&o, "updated"), count(&o, "unchanged")), (0, 0, rows), "{}", out(&o));

        // Kolada's JSON, read as a stream: a row's line is where it starts.
        let json = dir.path().join("kolada.json");
        std::fs::write(
            &json,
            "{\"count\": 2,\n \"values\": [\n  {\"kpi\": \"N00090\", \"municipality\": \"1489\", \"period\": 2023,\n   \"values\": [{\"gender\": \"T\", \"value\": 7.9}]},\n  {\"kpi\": \"N00090\", \"municipality\": \"1489\", \"period\": \"x\", \"values\": []}\n]}\n",
        )
        .unwrap();
        let o = styrhub(&db.url, &["ingest", "file", &json.display().to_string()]);
        assert!(!o.status.success(), "{}", out(&o));
        assert!(String::from_utf8_lossy(&o.stderr).contains("line 5:"), "{}", out(&o));
    }

    async fn an_import_that_writes_many_rows_refreshes_the_planners_statistics_and_a_small_one_does_not(db: TestDb) {
        let store = db.store().await;
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small.csv");
        std::fs::write(&small, "kpi;area;period;gender;value\nN00090;1489;2022;T;7,5\nN00090;1490;2022;T;7\n").unwrap();
        let o = styrhub(&db.url, &["ingest", "file", &small.display().to_string()]);
        assert!(o.status.success(), "{}", out(&o));
        assert_eq!(planner_rows(&store, "observation").await.unwrap_or(0), 0, "refreshed after two rows");
        // 900 areas × 12 years: past the threshold (`STATISTICS_REFRESH_ROWS`), in one run.
        let large = dir.path().join("large.csv");
        let mut text = String::from("kpi;area;period;gender;value\n");
        for area in 2000..2900 {
            for year in 2012..2024 {
                text.push_str(&format!("N00090;{area};{year};T;{}\n", area % 97));
            }
        }
        std::fs::write(&large, text).unwrap();
        let o = styrhub(&db.url, &["ingest", "file", &large.display().to_string()]);
        assert!(o.status.success(), "{}", out(&o));
        assert_eq!(count(&o, "inserted"), 10_800, "{}", out(&o));
        let rows = planner_rows(&store, "observation").await;
        assert!(rows.is_some_and(|n| n >= 10_000), "the planner believes observation holds {rows:?} rows");
    }
}

#[test]
fn bad_sync_options_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("x.db").display());
    let o = styrhub(
        &db,
        &["ingest", "kolada", "--kpi", "N0009", "--municipality", "1489", "--years", "2020"],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("N0009"), "{}", out(&o));
    let o = styrhub(
        &db,
        &[
            "ingest",
            "kolada",
            "--kpi",
            "N00090",
            "--municipality",
            "1489",
            "--years",
            "2024-2020",
        ],
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--years"), "{}", out(&o));
    let o = styrhub(&db, &["ingest", "kolada", "--config", "/nonexistent/sync.toml"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/sync.toml"), "{}", out(&o));
}

#[test]
fn the_shipped_sync_file_is_valid() {
    let path = crate::helpers::repo_root().join("examples/sync.toml");
    let file = styrhub_ingest::sync_config::SyncFile::read(&path).unwrap();
    assert!(file.sync[0].kpis.contains(&"N00090".to_owned()));
}

/// The observations stored.
async fn observations(store: &styrhub_store::Store) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = store.connection();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM observation",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}
