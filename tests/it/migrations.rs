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
