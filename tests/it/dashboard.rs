//! The dashboard at `/` in a real browser (headless Chromium through chromedriver) against the
//! real server on the demo data: the tree shows the five Alingsås council goals and is driven
//! by the keyboard, an indicator opens a chart with the municipality's and the country's
//! lines, and the CSV link downloads the series. Screenshots of the tree and of a chart go to
//! `target/artifacts/`.
//!
//! Without Chromium and chromedriver the browser test says so loudly and passes, so that a
//! newcomer's `cargo test --workspace` works; with `STYRHUB_BROWSER_TESTS=required` (CI sets
//! it) it fails instead.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::helpers::{both, demo_dir, repo_root, TestApp};
use crate::webdriver::{keys, wait_for_download, Browser};

/// The Alingsås council goals of the demo (the five "prioriterade mål" of the 2021–2023
/// budget), as written in the package, and the last year they are in force.
fn council_goals() -> (BTreeSet<String>, i32) {
    let path = demo_dir().join("alingsas/goals-2021-2023.toml");
    let text = std::fs::read_to_string(&path).expect("the Alingsås goals package");
    let doc: toml::Table = toml::from_str(&text).expect("the package is TOML");
    let goals: Vec<&toml::Table> = doc["goals"]
        .as_array()
        .expect("a goals array")
        .iter()
        .filter_map(toml::Value::as_table)
        .filter(|g| g.get("kind").and_then(toml::Value::as_str) == Some("council_goal"))
        .collect();
    let titles = goals.iter().map(|g| g["title"].as_str().expect("a title").to_owned()).collect();
    let last_year = goals
        .iter()
        .filter_map(|g| g.get("valid_to")?.as_str()?.get(..4)?.parse().ok())
        .max()
        .expect("the council goals end");
    (titles, last_year)
}

/// Chromium and chromedriver, or `None` (with a loud notice) when they are missing and the
/// browser tests are not required.
fn browser() -> Option<Browser> {
    match Browser::locate() {
        Ok(b) => Some(b),
        Err(missing) => {
            let required = std::env::var("STYRHUB_BROWSER_TESTS").is_ok_and(|v| v == "required");
            assert!(
                !required,
                "STYRHUB_BROWSER_TESTS=required but the browser test cannot run: {missing}. \
                 Install Debian's chromium and chromium-driver (.ci/run does)."
            );
            // Straight to stderr: the test harness captures `eprintln!` of passing tests, and
            // this notice is meant to be seen.
            let notice = format!(
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 !! SKIPPED: the dashboard browser test ({missing}).\n\
                 !! Install chromium and chromium-driver to run it; CI requires it.\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
            None
        }
    }
}

/// `target/artifacts/` at the workspace root, created.
fn artifacts() -> PathBuf {
    let dir = repo_root().join("target/artifacts");
    std::fs::create_dir_all(&dir).expect("create target/artifacts");
    dir
}

/// What the focused element is, for the keyboard checks.
const FOCUSED: &str = "const e = document.activeElement; \
    return e ? { kind: e.dataset.kind || null, goal: e.dataset.goalId || null, \
                 indicator: e.dataset.indicatorId || null, expanded: e.getAttribute('aria-expanded') } : null;";

both! {
    async fn the_dashboard_shows_the_chain_charts_an_indicator_and_downloads_its_csv(db: TestDb) {
        let Some(browser) = browser() else { return };
        let backend = if db.url.starts_with("postgres") { "postgres" } else { "sqlite" };
        let (goals, year) = council_goals();
        assert_eq!(goals.len(), 5, "the demo has five Alingsås council goals: {goals:?}");
        let app = TestApp::spawn(db).await.with_demo().await.with_admin_token().await;
        // One assessment in the year's annual report, so that the follow-up shows in the tree
        // and in the summary.
        let data = app
            .graphql_data(
                "query($year: Int!) { governanceModels(municipality: \"1489\") { id key } \
                   goals(municipality: \"1489\", filter: { kind: COUNCIL_GOAL, year: $year }) { nodes { id title } } }",
                json!({ "year": year }),
            )
            .await;
        let model = data["governanceModels"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["key"] == "styrmodell-2019"))
            .expect("the 2019 governance model")["id"]
            .clone();
        let assessed = data["goals"]["nodes"][0].clone();
        app.graphql_data(
            "mutation($input: RecordAssessmentInput!) { recordAssessment(input: $input) { id } }",
            json!({ "input": {
                "governanceModelId": model, "kind": "ANNUAL_REPORT", "year": year, "goalId": assessed["id"],
                "assessment": "PARTLY_ACHIEVED", "forecast": "ACHIEVED", "analysis": "Tryggheten i skolan har minskat."
            }}),
        )
        .await;
        let downloads = tempfile::tempdir().expect("a download folder");
        let web = browser.session(downloads.path()).await;

        web.goto(&app.url(&format!("/?kommun=1489&ar={year}"))).await;
        web.wait_for("the tree", "return document.body.dataset.state === 'ready' && document.querySelector('[role=tree]')").await;

        // The tree: the five council goals as tree items, with ARIA levels under vision and
        // focus area, and a status that is written out, not only coloured.
        let shown = web
            .execute(
                "return [...document.querySelectorAll('[role=treeitem][data-goal-kind=COUNCIL_GOAL]')].map(li => ({ \
                    title: li.querySelector(':scope > .row .title').textContent, \
                    level: li.getAttribute('aria-level'), \
                    expanded: li.getAttribute('aria-expanded'), \
                    status: li.querySelector(':scope > .row .badge').textContent.trim() }));",
                json!([]),
            )
            .await;
        let shown = shown.as_array().expect("a list of goals");
        let titles: BTreeSet<String> = shown.iter().map(|g| g["title"].as_str().unwrap_or_default().to_owned()).collect();
        assert_eq!(titles, goals, "the tree's council goals");
        for g in shown {
            assert_eq!(g["level"], "3", "a council goal sits under a vision and a focus area: {g}");
            assert_eq!(g["expanded"], "false", "goals start closed: {g}");
            let status = g["status"].as_str().unwrap_or_default();
            assert!(
                ["Uppfyllt", "Delvis uppfyllt", "Ej uppfyllt", "Ej bedömt"].iter().any(|s| status.ends_with(s)),
                "a goal's status in words: {g}"
            );
        }

        // The follow-up: the assessed goal says so in the tree, and the summary counts it.
        let said = web
            .execute(
                &format!("return document.querySelector('[data-goal-id=\"{}\"] > .row .assessment').textContent", assessed["id"]),
                json!([]),
            )
            .await;
        assert_eq!(said, format!("Bedömning i Årsredovisning {year}: ◐ Delvis uppfyllt"), "the goal's assessment");
        let summary = web
            .execute(
                "return { partly: document.querySelector('#summary [data-assessment=PARTLY_ACHIEVED] strong').textContent.trim(), \
                          source: document.querySelector('#summary .source').textContent, \
                          rows: document.querySelectorAll('#summary tbody tr').length };",
                json!([]),
            )
            .await;
        assert_eq!(summary["partly"], "1", "{summary}");
        assert!(summary["source"].as_str().is_some_and(|s| s.contains("Årsredovisning")), "{summary}");
        assert!(summary["rows"].as_u64().is_some_and(|n| n >= 5), "every goal in force has a row: {summary}");

        // The keyboard: Right opens a goal, Down reaches its first indicator, Up and Left go
        // back and close it, Right and Down again, Enter opens the indicator.
        let first = web.find("[role=treeitem][data-goal-kind=COUNCIL_GOAL]").await;
        web.send_keys(&first, keys::ARROW_RIGHT).await;
        let f = web.execute(FOCUSED, json!([])).await;
        assert_eq!((f["kind"].as_str(), f["expanded"].as_str()), (Some("goal"), Some("true")), "Right opens the goal: {f}");
        let goal = f["goal"].clone();
        web.press(keys::ARROW_DOWN).await;
        let f = web.execute(FOCUSED, json!([])).await;
        assert_eq!(f["kind"], "indicator", "Down moves into the goal: {f}");
        web.press(&format!("{}{}", keys::ARROW_UP, keys::ARROW_LEFT)).await;
        let f = web.execute(FOCUSED, json!([])).await;
        assert_eq!((&f["goal"], f["expanded"].as_str()), (&goal, Some("false")), "Up and Left close the goal: {f}");
        web.press(&format!("{}{}", keys::ARROW_RIGHT, keys::ARROW_DOWN)).await;
        let f = web.execute(FOCUSED, json!([])).await;
        let indicator = f["indicator"].as_str().expect("an indicator has the focus").to_owned();
        let tabbable = web.execute("return document.querySelectorAll('[role=treeitem][tabindex=\"0\"]').length", json!([])).await;
        assert_eq!(tabbable, 1, "one tree item at a time is in the tab order");
        web.press(keys::ENTER).await;

        // The chart: at least the municipality's and the country's lines, actually drawn.
        let lines = web
            .wait_for(
                "the indicator's chart",
                &format!(
                    "const p = document.querySelector('#indicator'); \
                     if (p.dataset.state !== 'ready' || p.dataset.indicatorId !== '{indicator}') return null; \
                     return [...p.querySelectorAll('svg[data-chart] path[data-line=series]')] \
                       .map(l => ({{ area: l.dataset.area, gender: l.dataset.gender, d: l.getAttribute('d') }}));"
                ),
            )
            .await;
        let lines = lines.as_array().expect("a list of lines");
        assert!(lines.len() >= 2, "at least two lines: {lines:?}");
        for area in ["1489", "0000"] {
            let line = lines
                .iter()
                .find(|l| l["area"] == area && l["gender"] == "T")
                .unwrap_or_else(|| panic!("a line for {area}: {lines:?}"));
            let d = line["d"].as_str().unwrap_or_default();
            assert!(d.starts_with('M') && d.contains('L'), "the {area} line joins several points: {d}");
        }
        let legend = web.execute("return document.querySelector('#indicator .legend').textContent", json!([])).await;
        assert!(legend.as_str().is_some_and(|t| t.contains("Riket")), "the country is labelled Riket: {legend}");
        let rows = web.execute("return document.querySelectorAll('#indicator table[data-table=series] tbody tr').length", json!([])).await;
        assert!(rows.as_u64().is_some_and(|n| n >= 2), "the table under the chart has the years: {rows}");
        let selected = web.execute("return document.querySelectorAll('[role=treeitem][aria-selected=true]').length", json!([])).await;
        assert_eq!(selected, 1, "the open indicator is the selected tree item");

        // Screenshots: the whole page (the README's), the tree and the chart.
        // From the top of the page, so that each run takes the same pictures.
        let dir = artifacts();
        web.execute("window.scrollTo(0, 0); document.activeElement.blur();", json!([])).await;
        std::fs::write(dir.join(format!("dashboard-{backend}.png")), web.screenshot().await).expect("write a screenshot");
        web.execute("document.querySelector('section.chain').scrollIntoView({ block: 'start' });", json!([])).await;
        let tree = web.find("section.chain").await;
        std::fs::write(dir.join(format!("dashboard-tree-{backend}.png")), web.element_screenshot(&tree).await)
            .expect("write a screenshot");
        let chart = web.find("#indicator").await;
        std::fs::write(dir.join(format!("dashboard-chart-{backend}.png")), web.element_screenshot(&chart).await)
            .expect("write a screenshot");

        // The CSV link downloads the series: the REST endpoint's header and the municipality.
        let links = web
            .execute(
                "return { csv: document.querySelector('#csv-link').getAttribute('href'), \
                          jsonstat: document.querySelector('#jsonstat-link').getAttribute('href') };",
                json!([]),
            )
            .await;
        let href = links["csv"].as_str().expect("a CSV link");
        assert!(href.starts_with(&format!("/api/v1/indicators/{indicator}/series?")), "{href}");
        let jsonstat = links["jsonstat"].as_str().expect("a JSON-stat link");
        let cube: Value = app.get(jsonstat).await.json().await.expect("the JSON-stat link answers JSON");
        assert_eq!(cube["version"], "2.0", "{cube:#}");
        web.click(&web.find("#csv-link").await).await;
        let file = wait_for_download(downloads.path(), "csv").await;
        let csv = std::fs::read_to_string(&file).expect("the downloaded CSV is UTF-8");
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("series_key,area,area_title,gender,period,value,status,source"), "{csv}");
        assert!(lines.clone().any(|l| l.split(',').nth(1) == Some("1489")), "the municipality's values: {csv}");
        assert!(lines.any(|l| l.split(',').nth(1) == Some("0000")), "the country's values: {csv}");

        // Home goes back to the top of the tree.
        web.send_keys(&web.find("[role=treeitem][aria-selected=true]").await, keys::HOME).await;
        let f = web.execute(FOCUSED, json!([])).await;
        assert_eq!(f["kind"], "vision", "Home moves to the first item: {f}");
        web.quit().await;
    }

    async fn with_private_reads_the_dashboard_asks_for_a_token_keeps_it_for_the_tab_and_sends_it(db: TestDb) {
        let Some(browser) = browser() else { return };
        let (_, year) = council_goals();
        let http = styrhub_api::app::HttpOptions {
            require_token_for_reads: true,
            ..Default::default()
        };
        let app = TestApp::spawn_with(db, http).await.with_demo().await;
        let reader = app.token("Dashboard", styrhub_domain::access::Role::Reader, None).await;
        let downloads = tempfile::tempdir().expect("a download folder");
        let web = browser.session(downloads.path()).await;
        web.goto(&app.url(&format!("/?kommun=1489&ar={year}"))).await;
        let asking = "return document.body.dataset.state === 'token' && !document.querySelector('#token-form').hidden \
                      ? { refused: !document.querySelector('#token-refused').hidden } : null;";
        let first = web.wait_for("the token form", asking).await;
        assert_eq!(first["refused"], false, "nothing refused yet: {first}");

        // A wrong token: asked again, saying it was not accepted.
        web.send_keys(&web.find("#token").await, "styrhub_not-a-real-token").await;
        web.click(&web.find("#token-form button[type=submit]").await).await;
        web.wait_for("the form again, refused", "return !document.querySelector('#token-refused').hidden || null;").await;

        // The right one: the tree loads, and the token is kept for this tab only.
        web.send_keys(&web.find("#token").await, &reader).await;
        web.click(&web.find("#token-form button[type=submit]").await).await;
        web.wait_for("the tree", "return document.body.dataset.state === 'ready' && document.querySelector('[role=tree]')").await;
        let kept = web
            .execute(
                "return { session: sessionStorage.getItem('styrhub-token'), local: localStorage.length, \
                          cookies: document.cookie, form: document.querySelector('#token-form').hidden };",
                json!([]),
            )
            .await;
        assert_eq!(kept, json!({ "session": reader, "local": 0, "cookies": "", "form": true }), "{kept}");

        // An indicator's chart, and its CSV downloaded with the token.
        let first = web.find("[role=treeitem][data-goal-kind=COUNCIL_GOAL]").await;
        web.send_keys(&first, keys::ARROW_RIGHT).await;
        web.press(&format!("{}{}", keys::ARROW_DOWN, keys::ENTER)).await;
        web.wait_for(
            "the indicator's chart",
            "return document.querySelector('#indicator').dataset.state === 'ready' && document.querySelector('#csv-link');",
        )
        .await;
        web.click(&web.find("#csv-link").await).await;
        let file = wait_for_download(downloads.path(), "csv").await;
        let csv = std::fs::read_to_string(&file).expect("the downloaded CSV is UTF-8");
        assert!(csv.starts_with("series_key,area,area_title,gender,period,value,status,source"), "{csv}");
        assert!(csv.lines().any(|l| l.split(',').nth(1) == Some("1489")), "the municipality's values: {csv}");
        // Without the token the same file is refused: the page really sent it.
        let href = web.execute("return document.querySelector('#csv-link').getAttribute('href')", json!([])).await;
        assert_eq!(app.get(href.as_str().unwrap()).await.status(), 401);
        web.quit().await;
    }

    async fn a_picked_comparison_group_draws_its_mean_and_spread_and_the_municipalitys_rank(db: TestDb) {
        let Some(browser) = browser() else { return };
        let backend = if db.url.starts_with("postgres") { "postgres" } else { "sqlite" };
        let app = TestApp::spawn(db).await.with_demo().await;
        // Sick leave (N00090, "ska minska"): real values for Alingsås and its comparison group.
        let data = app
            .graphql_data(r#"{ indicators(municipality: "1489", filter: { kpi: "N00090" }) { nodes { id } } }"#, json!({}))
            .await;
        let id = data["indicators"]["nodes"][0]["id"].as_i64().expect("the sick-leave indicator");
        let group = "1489:jamforelsekommuner";
        let expected: Value = app
            .get(&format!("/api/v1/indicators/{id}/group-series?group={group}&area=1489&to=2022"))
            .await
            .json()
            .await
            .unwrap();
        let last = expected["figures"].as_array().and_then(|f| f.last()).cloned().expect("the group has figures");
        let downloads = tempfile::tempdir().expect("a download folder");
        let web = browser.session(downloads.path()).await;
        web.goto(&app.url(&format!("/?kommun=1489&ar=2022&grupp={group}&indikator={id}"))).await;
        let drawn = web
            .wait_for(
                "the chart with the group",
                "const p = document.querySelector('#indicator'); \
                 if (p.dataset.state !== 'ready') return null; \
                 const mean = p.querySelector('svg[data-chart] path[data-line=group-mean]'); \
                 const band = p.querySelector('svg[data-chart] path[data-line=group-spread]'); \
                 const rank = p.querySelector('.rank'); \
                 return { mean: mean && mean.getAttribute('d'), area: mean && mean.dataset.area, band: band && band.getAttribute('d'), \
                          rank: rank && rank.dataset.rank, text: rank && rank.textContent, \
                          legend: p.querySelector('.legend').textContent, picked: document.querySelector('#grupp').value, \
                          source: (p.querySelector('.source-note') || {}).textContent, \
                          text_of_panel: p.textContent };",
            )
            .await;
        let mean = drawn["mean"].as_str().unwrap_or_default();
        assert!(mean.starts_with('M') && mean.contains('L'), "the group's mean joins several years: {drawn}");
        assert_eq!(drawn["area"], group);
        assert!(drawn["band"].as_str().is_some_and(|d| d.ends_with('Z')), "the spread is a closed band: {drawn}");
        assert_eq!(drawn["picked"], group, "the picker shows the group: {drawn}");
        assert!(drawn["legend"].as_str().is_some_and(|l| l.contains("Snitt Alingsås jämförelsekommuner")), "{drawn}");
        assert_eq!(drawn["rank"].as_str(), Some(format!("{}/{}", last["rank"], last["of"]).as_str()), "the rank the API gives: {drawn} {last}");
        assert!(drawn["text"].as_str().is_some_and(|t| t.contains(&format!("{}", last["period"])) && t.contains("lägst värde först")), "{drawn}");
        assert!(drawn["source"].as_str().is_some_and(|s| s.contains("Kolada")), "Kolada is named as the source: {drawn}");
        assert!(!drawn["text_of_panel"].as_str().unwrap_or_default().contains("null"), "nothing left out shows as text: {drawn}");
        let chart = web.find("#indicator").await;
        std::fs::write(artifacts().join(format!("dashboard-group-{backend}.png")), web.element_screenshot(&chart).await)
            .expect("write a screenshot");
        // "Ingen" takes the group away again.
        web.execute("const s = document.querySelector('#grupp'); s.value = ''; s.dispatchEvent(new Event('change'));", json!([])).await;
        web.wait_for(
            "the chart without the group",
            "const p = document.querySelector('#indicator'); \
             return p.dataset.state === 'ready' && !p.querySelector('[data-line=group-mean]') && !location.search.includes('grupp') \
               && !p.textContent.includes('null') ? true : null;",
        )
        .await;
        web.quit().await;
    }

    async fn graphiql_loads_from_the_server_alone_and_reads_the_schema(db: TestDb) {
        let Some(browser) = browser() else { return };
        let app = TestApp::spawn(db).await;
        let downloads = tempfile::tempdir().expect("a download folder");
        let web = browser.session(downloads.path()).await;
        web.goto(&app.url("/graphql")).await;
        // The editor renders, and it has asked the server for the schema (its documentation
        // explorer and completion need it).
        let loaded = "const asked = performance.getEntriesByType('resource').some(e => new URL(e.name).pathname === '/graphql'); \
                      return document.querySelector('.graphiql-container .graphiql-editor') && asked \
                        ? performance.getEntriesByType('resource').map(e => e.name) : null;";
        let resources = web.wait_for("GraphiQL with the schema", loaded).await;
        let origin = app.url("");
        for r in resources.as_array().unwrap() {
            let url = r.as_str().unwrap();
            assert!(url.starts_with(origin.trim_end_matches('/')), "everything comes from the server: {url}");
        }
        web.quit().await;
    }
}

/// The page and its files are served with their media types and revalidated by ETag; GraphiQL
/// stays on GET `/graphql`.
mod assets {
    use super::*;

    #[tokio::test]
    async fn the_page_and_its_modules_are_served_with_types_and_tags() {
        let app = TestApp::spawn(crate::helpers::TestDb::sqlite().await).await;
        let page = app.get("/").await;
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
        let tag = page.headers()["etag"].to_str().unwrap().to_owned();
        let html = page.text().await.unwrap();
        assert!(
            html.contains("<html lang=\"sv\">") && html.contains("/assets/dashboard/app.js"),
            "{html}"
        );

        let again = app.get_with("/", &[("if-none-match", &tag)]).await;
        assert_eq!(again.status(), 304);

        for (path, media) in [
            ("/assets/dashboard/app.js", "text/javascript; charset=utf-8"),
            ("/assets/dashboard/style.css", "text/css; charset=utf-8"),
        ] {
            let res = app.get(path).await;
            assert_eq!(res.status(), 200, "{path}");
            assert_eq!(res.headers()["content-type"], media, "{path}");
            assert!(res.headers().contains_key("etag"), "{path}");
        }
        assert_eq!(app.get("/assets/dashboard/missing.js").await.status(), 404);

        let graphiql = app.get_with("/graphql", &[("accept", "text/html")]).await;
        assert_eq!(graphiql.status(), 200);
        assert!(graphiql.text().await.unwrap().contains("/assets/graphiql/graphiql.min.js"));
        let script = app.get("/assets/graphiql/graphiql.min.js").await;
        assert_eq!(script.status(), 200);
        assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8");
        assert_eq!(app.get("/assets/graphiql/missing.js").await.status(), 404);
    }
}
