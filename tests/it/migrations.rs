use sea_orm_migration::MigratorTrait;
use styrhub_migrations::Migrator;

use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource};
use styrhub_domain::ports::ObservationWriter;

use crate::helpers::{both, has_statistics_table, planner_rows};

/// Every table the migrations create.
const TABLES: [&str; 24] = [
    "org_unit",
    "governance_model",
    "vision",
    "focus_area",
    "goal",
    "goal_parent",
    "basic_mission",
    "quality_factor",
    "indicator",
    "indicator_goal",
    "indicator_quality_factor",
    "target",
    "political_direction",
    "assignment",
    "follow_up",
    "goal_assessment",
    "budget",
    "area",
    "kpi",
    "observation",
    "observation_revision",
    "series_digest",
    "api_token",
    "audit_entry",
];

both! {
    async fn migrations_go_up_down_and_up_again(db: TestDb) {
        let store = db.store().await;
        let conn = store.connection();
        let manager = sea_orm_migration::SchemaManager::new(conn);
        for t in TABLES {
            assert!(manager.has_table(t).await.unwrap(), "table {t} after migrating");
        }
        // Migrating an up-to-date database is a no-op.
        store.migrate().await.unwrap();
        assert!(Migrator::get_pending_migrations(conn).await.unwrap().is_empty());

        Migrator::down(conn, None).await.unwrap();
        for t in TABLES {
            assert!(!manager.has_table(t).await.unwrap(), "table {t} after rolling back");
        }
        store.migrate().await.unwrap();
        assert!(manager.has_table("observation").await.unwrap());
    }

    async fn observations_are_indexed_for_series_look_ups(db: TestDb) {
        let store = db.store().await;
        let manager = sea_orm_migration::SchemaManager::new(store.connection());
        // Series are read through the natural key, one contiguous range per series; observations
        // by indicator through the partial index (Kolada's rows have none and stay out of it).
        // Nothing reads by `kpi_id`: that index only slowed every insert, and is gone.
        assert!(manager.has_index("observation", "ux_observation_series_key_area_code_gender_period").await.unwrap());
        assert!(manager.has_index("observation", "ix_observation_indicator_id_area_code_period").await.unwrap());
        assert!(!manager.has_index("observation", "ix_observation_kpi_id_area_code_period").await.unwrap());
        assert!(!manager.has_index("observation", "ux_observation_series_key_area_code_period_gender").await.unwrap());
    }

    async fn migrating_refreshes_the_planners_statistics(db: TestDb) {
        // A fresh database, just migrated: analysed, though empty (PostgreSQL knows it holds 0
        // rows, not "never analysed"; SQLite has its statistics table).
        let store = db.store().await;
        assert!(has_statistics_table(&store).await);
        assert_eq!(planner_rows(&store, "observation").await.filter(|_| store.is_postgres()), store.is_postgres().then_some(0));
        // A few rows, far below an ingest's threshold: the statistics are not refreshed.
        let rows: Vec<NewObservation> = (0..120)
            .map(|i| NewObservation {
                series: SeriesRef::Kpi(KpiId::parse("N00090").unwrap()),
                area: AreaCode::parse(&format!("{:04}", 1000 + i)).unwrap(),
                period: Year::new(2023).unwrap(),
                gender: Gender::Total,
                value: Some(f64::from(i)),
                status: None,
                count: None,
                source: ValueSource::Kolada,
                deleted: false,
            })
            .collect();
        store.write_batch(&rows).await.unwrap();
        assert_eq!(planner_rows(&store, "observation").await.unwrap_or(0), 0);
        // Migrating an up-to-date database is a no-op, statistics included.
        store.migrate().await.unwrap();
        assert_eq!(planner_rows(&store, "observation").await.unwrap_or(0), 0);
        // A migration applied: the statistics follow.
        Migrator::down(store.connection(), Some(1)).await.unwrap();
        store.migrate().await.unwrap();
        assert_eq!(planner_rows(&store, "observation").await, Some(120));
    }
}

both! {
    async fn digests_written_as_json_read_the_same_in_the_compact_form(db: TestDb) {
        use sea_orm::{ConnectionTrait, Statement};
        use styrhub_domain::ids::Gender;
        use styrhub_domain::ports::SeriesReader;
        let store = db.store().await;
        let conn = store.connection();
        // Back to the JSON digest of migration 000008, a series stored as it was then, forward.
        down_to(conn, JSON_DIGESTS).await;
        let json = r#"[{"period":2020,"value":1.5,"source":"kolada"},{"period":2021,"value":null,"status":"Missing","source":"kolada"},{"period":2022,"value":2.5,"source":"file"}]"#;
        let p = |i: usize| if conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres { format!("${i}") } else { "?".into() };
        conn.execute_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            format!(
                "INSERT INTO series_digest (series_key, area_code, gender, points, latest_period, updated_at) VALUES ('kpi:N00090', '1489', 'T', {}, 2022, {})",
                p(1),
                p(2)
            ),
            [json.into(), chrono::Utc::now().into()],
        ))
        .await
        .unwrap();
        store.migrate().await.unwrap();
        let read = |store: &styrhub_store::Store| {
            let store = store.clone();
            async move { store.digests(&[crate::helpers::n00090()], &crate::helpers::areas(&["1489"]), &[Gender::Total]).await.unwrap() }
        };
        let d = read(&store).await;
        assert_eq!(d.len(), 1);
        let expected: Vec<styrhub_domain::series::Point> = serde_json::from_str(json).unwrap();
        assert_eq!(d[0].points, expected);
        let row = conn
            .query_one_raw(Statement::from_string(
                conn.get_database_backend(),
                "SELECT latest_period, latest_value, previous_period, previous_value FROM series_digest",
            ))
            .await
            .unwrap()
            .unwrap();
        let facts: (Option<i32>, Option<f64>, Option<i32>, Option<f64>) = (
            row.try_get_by_index(0).unwrap(),
            row.try_get_by_index(1).unwrap(),
            row.try_get_by_index(2).unwrap(),
            row.try_get_by_index(3).unwrap(),
        );
        assert_eq!(facts, (Some(2022), Some(2.5), Some(2020), Some(1.5)));
        // Down to JSON and up again keeps the series.
        down_to(conn, JSON_DIGESTS).await;
        store.migrate().await.unwrap();
        assert_eq!(read(&store).await[0].points, expected);
    }
}

/// The last migration whose digests held their points as JSON text.
const JSON_DIGESTS: &str = "m20261202_000008_observation_keys";

/// Undoes every migration applied after `name`, however many came later.
async fn down_to(conn: &sea_orm::DatabaseConnection, name: &str) {
    let applied = Migrator::get_applied_migrations(conn).await.unwrap();
    let after = applied.iter().rev().take_while(|m| m.name() != name).count();
    assert!(after < applied.len(), "{name} is not applied");
    Migrator::down(conn, Some(after as u32)).await.unwrap();
}
