//! Indicator statuses kept at write time (the OData `Statuses` set and `statuses.csv`): each
//! stored verdict is the one GraphQL gives for the same indicator, area and period, and the
//! stored verdicts follow every kind of write: values, targets, a comparison group's members.
//! A re-run that changes nothing writes nothing.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource};
use styrhub_domain::ports::ObservationWriter;

use crate::helpers::{both, TestApp};

/// Every row of an OData feed, following the next links.
async fn feed(app: &TestApp, path: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut next = Some(app.url(path));
    while let Some(url) = next {
        let res = app.client().get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {url}");
        let body: Value = res.json().await.unwrap();
        rows.extend(body["value"].as_array().unwrap().iter().cloned());
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
    }
    rows
}

/// The stored statuses that `filter` (OData) keeps.
async fn stored(app: &TestApp, filter: &str) -> Vec<Value> {
    feed(app, &format!("/odata/Statuses?$filter={}", filter.replace(' ', "%20"))).await
}

/// Asserts that each stored row says what GraphQL's `status(area, period)` says: one request
/// for all of them.
async fn graphql_agrees(app: &TestApp, rows: &[Value]) {
    assert!(!rows.is_empty());
    let mut q = String::from("{");
    for (n, r) in rows.iter().enumerate() {
        q.push_str(&format!(
            " s{n}: indicator(id: {}) {{ status(area: \"{}\", period: {}) {{ status period value explanation \
             sv: explanation(language: SV) target {{ id }} trend {{ kind since change }} }} }}",
            r["indicator_id"],
            r["area"].as_str().unwrap(),
            r["period"]
        ));
    }
    q.push('}');
    let data = app.graphql_data(&q, json!({})).await;
    for (n, r) in rows.iter().enumerate() {
        let g = &data[format!("s{n}")]["status"];
        let at = format!(
            "indicator {} in {} for {}: stored {r:#}, GraphQL {g:#}",
            r["indicator_id"], r["area"], r["period"]
        );
        assert_eq!(g["status"].as_str().unwrap().to_lowercase(), r["status"].as_str().unwrap(), "{at}");
        assert_eq!(g["period"], r["period"], "{at}");
        assert_eq!(g["value"].as_f64(), r["value"].as_f64(), "{at}");
        assert_eq!(g["explanation"], r["explanation"], "{at}");
        assert_eq!(g["sv"], r["explanation_sv"], "{at}");
        assert_eq!(g["target"]["id"].as_i64(), r["target_id"].as_i64(), "{at}");
        assert_eq!(
            g["trend"]["kind"].as_str().unwrap().to_lowercase(),
            r["trend"].as_str().unwrap(),
            "{at}"
        );
        assert_eq!(g["trend"]["since"], r["trend_since"], "{at}");
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9,
            (a, b) => a == b,
        };
        assert!(close(g["trend"]["change"].as_f64(), r["trend_change"].as_f64()), "{at}");
    }
}

fn value(period: i32, v: f64) -> NewObservation {
    NewObservation {
        series: SeriesRef::Kpi(KpiId::parse("N00090").unwrap()),
        area: AreaCode::parse("1489").unwrap(),
        period: Year::new(period).unwrap(),
        gender: Gender::Total,
        value: Some(v),
        status: None,
        count: None,
        source: ValueSource::Kolada,
        deleted: false,
    }
}

/// The explanation of an indicator's status for its municipality, through GraphQL.
async fn explanation(app: &TestApp, id: i64) -> String {
    let q = format!("{{ indicator(id: {id}) {{ status {{ explanation }} }} }}");
    app.graphql_data(&q, json!({})).await["indicator"]["status"]["explanation"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Alingsås's indicator on sick leave (N00090).
async fn sick_leave_indicator(app: &TestApp) -> i64 {
    let ind: Value = app
        .get("/api/v1/indicators?municipality=1489&kpi=N00090")
        .await
        .json()
        .await
        .unwrap();
    ind["items"][0]["id"].as_i64().unwrap()
}

both! {
    async fn each_stored_status_is_the_verdict_graphql_gives_for_its_period(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let rows = stored(&app, "municipality eq '1489'").await;
        assert!(rows.len() > 50, "{} statuses", rows.len());
        graphql_agrees(&app, &rows).await;
        // One latest row per indicator and area: its last period.
        let mut last: BTreeMap<(i64, String), (i64, bool)> = BTreeMap::new();
        for r in &rows {
            let key = (r["indicator_id"].as_i64().unwrap(), r["area"].as_str().unwrap().to_owned());
            let period = r["period"].as_i64().unwrap();
            let e = last.entry(key).or_insert((period, false));
            if period >= e.0 {
                *e = (period, r["latest"].as_bool().unwrap());
            }
        }
        assert!(last.values().all(|(_, latest)| *latest), "the last period of each is the latest");
        let latest = stored(&app, "municipality eq '1489' and latest eq true").await;
        assert_eq!(latest.len(), last.len());
        // Filters run in SQL on the stored verdicts.
        let missed = stored(&app, "municipality eq '1489' and latest eq true and status eq 'not_on_target'").await;
        assert!(missed.iter().all(|r| r["status"] == "not_on_target"));
        assert!(missed.len() < latest.len());
    }

    async fn stored_statuses_follow_values_targets_and_groups_and_a_rerun_writes_nothing(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await.with_admin_token().await;
        let csv = |app: &TestApp| {
            let url = app.url("/api/v1/export/statuses.csv");
            let client = app.client().clone();
            async move { client.get(url).send().await.unwrap().text().await.unwrap() }
        };
        // The demo loaded again changes nothing, and judges nothing anew.
        let before = csv(&app).await;
        let app = app.with_demo().await;
        assert_eq!(csv(&app).await, before, "a re-run keeps every verdict and when it was written");

        let id = sick_leave_indicator(&app).await;
        let mine = format!("indicator_id eq {id} and area eq '1489'");
        // A new value: a new latest period, judged as GraphQL judges it.
        app.store.write_batch(&[value(2031, 3.0)]).await.unwrap();
        let latest = stored(&app, &format!("{mine} and latest eq true")).await;
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0]["period"], 2031);
        assert_eq!(latest[0]["value"], 3.0);
        graphql_agrees(&app, &stored(&app, &mine).await).await;
        // A revised value: judged again.
        app.store.write_batch(&[value(2031, 30.0)]).await.unwrap();
        assert_eq!(stored(&app, &format!("{mine} and period eq 2031")).await[0]["value"], 30.0);

        // A target nobody meets, from 2031.
        let set = r#"mutation($i: Int!) { setTarget(input: { indicatorId: $i, area: "1489", periodFrom: 2031,
                       kind: ABSOLUTE, comparison: "at_most", value: 0.5 }) { id } }"#;
        let target = app.graphql_data(set, json!({ "i": id })).await["setTarget"]["id"].as_i64().unwrap();
        let row = &stored(&app, &format!("{mine} and period eq 2031")).await[0];
        assert_eq!((row["status"].as_str(), row["target_id"].as_i64()), (Some("not_on_target"), Some(target)), "{row:#}");
        graphql_agrees(&app, &stored(&app, &mine).await).await;

        // Relative to the municipality's comparison group: its mean, named by its title.
        let set = r#"mutation($i: Int!) { setTarget(input: { indicatorId: $i, area: "1489", periodFrom: 2031,
                       kind: RELATIVE, comparison: "below", referenceArea: "1489:jamforelsekommuner" }) { id } }"#;
        app.graphql_data(set, json!({ "i": id })).await;
        app.store
            .write_batch(&[NewObservation { area: AreaCode::parse("1440").unwrap(), ..value(2031, 40.0) }])
            .await
            .unwrap();
        let row = stored(&app, &format!("{mine} and period eq 2031")).await[0].clone();
        graphql_agrees(&app, std::slice::from_ref(&row)).await;
        let said = row["explanation_sv"].as_str().unwrap().to_owned();
        assert!(said.contains("snittet för"), "{said}");
        // The group's members change: its mean, and so the verdict's explanation, with them.
        let save = r#"mutation { saveComparisonGroup(input: { municipality: "1489", key: "jamforelsekommuner",
                        title: "Bara Ale", members: [{ area: "1440" }] }) { code } }"#;
        app.graphql_data(save, json!({})).await;
        let row = stored(&app, &format!("{mine} and period eq 2031")).await[0].clone();
        assert!(row["explanation_sv"].as_str().unwrap().contains("10 under snittet för Bara Ale"), "{row:#}");
        assert_eq!(row["status"], "on_target");
        graphql_agrees(&app, std::slice::from_ref(&row)).await;
    }

    async fn reads_take_the_kept_verdict_unless_a_write_has_marked_it_to_be_judged_again(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let id = sick_leave_indicator(&app).await;
        let run = |sql: String| {
            let c = app.store.connection().clone();
            async move {
                use sea_orm::ConnectionTrait;
                c.execute_unprepared(&sql).await.unwrap();
            }
        };
        let judged = explanation(&app, id).await;
        // A kept verdict is what a read answers: one changed behind the writers' back shows.
        run(format!("UPDATE indicator_status SET explanation = 'kept' WHERE indicator_id = {id} AND latest = true")).await;
        assert_eq!(explanation(&app, id).await, "kept");
        // Marked to be judged again (a bulk write committed, its judging not yet done): the
        // read judges the series itself.
        run(format!("INSERT INTO status_stale (indicator_id) VALUES ({id})")).await;
        assert_eq!(explanation(&app, id).await, judged);
        // Judging the marks puts the verdict back as the rule gives it.
        assert_eq!(app.store.judge_stale_statuses().await.unwrap(), 1);
        assert_eq!(explanation(&app, id).await, judged);
        let row = stored(&app, &format!("indicator_id eq {id} and area eq '1489' and latest eq true")).await;
        assert_eq!(row[0]["explanation"], judged.as_str());
        // An area the hub keeps no verdict for is judged from its series.
        let q = format!("{{ indicator(id: {id}) {{ status(area: \"1440\") {{ status value }} }} }}");
        let other = app.graphql_data(&q, json!({})).await;
        assert!(other["indicator"]["status"]["value"].is_number(), "{other:#}");
        assert!(stored(&app, &format!("indicator_id eq {id} and area eq '1440'")).await.is_empty());
    }
}
