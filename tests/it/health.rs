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
