use sea_orm::{FromQueryResult, JsonValue, Statement};
use styrhub_store::package::table_counts;

use crate::helpers::{both, demo_dir, TestApp};

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
        let reports = styrhub_api::demo::load_all(&app.store, &demo_dir()).await.unwrap();
        let codes: Vec<&str> = reports.iter().map(|r| r.municipality.as_str()).collect();
        for code in ["1489", "0764", "0486", "1490"] {
            assert!(codes.contains(&code), "municipality {code} in {codes:?}");
        }
        let counts = table_counts(app.store.connection()).await.unwrap();
        // Alingsås 2021–2023: five council goals, seven financial and five operational goals,
        // plus the 2024 model's one overarching goal.
        assert!(count(&counts, "goal") >= 18, "{counts:?}");
        assert!(count(&counts, "indicator") >= 50, "{counts:?}");
        assert!(count(&counts, "budget") >= 60, "{counts:?}");
        // Example values 2015–2023 for Alingsås and the whole country.
        assert!(count(&counts, "observation") >= 1000, "{counts:?}");
        assert_eq!(count(&counts, "observation_revision"), 0);
    }

    async fn loading_the_demo_twice_leaves_exactly_the_same_data(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let first = dump(&app.store).await;
        let reports = styrhub_api::demo::load_all(&app.store, &demo_dir()).await.unwrap();
        for r in &reports {
            assert_eq!(r.observations.inserted, 0, "{}: {:?}", r.municipality, r.observations);
            assert_eq!(r.observations.updated, 0, "{}: {:?}", r.municipality, r.observations);
        }
        let second = dump(&app.store).await;
        assert_eq!(first.len(), second.len());
        for ((table, a), (_, b)) in first.iter().zip(&second) {
            assert_eq!(a.len(), b.len(), "rows of {table}");
            assert!(a == b, "the rows of {table} changed on the second load");
        }
    }

    async fn example_values_are_marked_as_examples(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let conn = app.store.connection();
        let rows = JsonValue::find_by_statement(Statement::from_string(
            conn.get_database_backend(),
            "SELECT source, COUNT(*) AS n FROM observation GROUP BY source ORDER BY source",
        ))
        .all(conn)
        .await
        .unwrap();
        assert_eq!(rows.len(), 1, "only example values are shipped: {rows:?}");
        assert_eq!(rows[0]["source"], "example");
    }
}
