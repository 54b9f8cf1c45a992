use crate::helpers::{both, TestApp};

both! {
    async fn healthz_answers_with_the_version(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let res = app.get("/healthz").await;
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    }

    async fn readyz_reports_the_database(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let res = app.get("/readyz").await;
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["database"], "ok");
    }
}

mod database_loss {
    //! The database goes away behind a TCP proxy and comes back: `/readyz` answers 200, 503,
    //! then 200 again, and `/healthz` stays 200 throughout (crates.io's unhealthy-database test).

    use crate::helpers::{DbProxy, TestApp, TestDb};

    #[tokio::test]
    #[cfg_attr(
        not(styrhub_postgres_tests),
        ignore = "PostgreSQL only, and STYRHUB_TEST_DATABASE_URL was not set when the tests were built"
    )]
    async fn readyz_follows_the_database_away_and_back() {
        let db = TestDb::postgres().await;
        let proxy = DbProxy::start(&db.url).await;
        db.store().await; // migrate directly
        let app = TestApp::spawn(TestDb::at(proxy.url.clone())).await;

        assert_eq!(app.get("/readyz").await.status(), 200);
        proxy.set_up(false);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(app.get("/readyz").await.status(), 503);
        assert_eq!(app.get("/healthz").await.status(), 200, "the process itself is fine");
        let body = app.graphql("{ municipalities { name } }", serde_json::json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE", "{body:#}");
        proxy.set_up(true);
        let mut status = 0;
        for _ in 0..50 {
            status = app.get("/readyz").await.status().as_u16();
            if status == 200 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(status, 200, "ready again once the database is back");
        drop(db);
    }
}

mod observability {
    use crate::helpers::{both, TestApp};

    both! {
        async fn metrics_count_requests_per_route_and_every_answer_has_a_request_id(db: TestDb) {
            let app = TestApp::spawn(db).await;
            let res = app.get("/healthz").await;
            let id = res.headers().get("x-request-id").expect("a request id").to_str().unwrap().to_owned();
            assert_eq!(id.len(), 36, "a UUID: {id}");
            let given = reqwest::Client::new().get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
            assert_eq!(given.headers()["x-request-id"], "abc-123", "the caller's id is kept");
            app.get("/no/such/route").await;
            let text = app.get("/metrics").await.text().await.unwrap();
            let line = text.lines().find(|l| l.starts_with("styrhub_http_requests_total") && l.contains("route=\"/healthz\"")).unwrap_or_else(|| panic!("{text}"));
            assert!(line.contains("status=\"200\"") && line.ends_with(" 2"), "{line}");
            assert!(text.contains("route=\"unmatched\""), "unknown paths share one label: {text}");
            assert!(text.contains("styrhub_http_request_duration_seconds_bucket"), "{text}");
        }
    }
}
