//! Loading municipality packages: upserts on natural keys, locked follow-ups, all or nothing.

use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use styrhub_domain::package::Package;
use styrhub_domain::ports::PackageWriter;
use styrhub_domain::RepoError;
use styrhub_store::entities::{follow_up, goal, goal_assessment};

use crate::helpers::both;

const BASE: &str = r#"
[municipality]
code = "0764"
name = "Testkommun"

[[org_units]]
key = "kf"
name = "Kommunfullmäktige"
kind = "council"

[[governance_models]]
key = "m"
name = "Styrmodell"
valid_from = "2020-01-01"
quality_indicators_have_targets = true
political_directions_followed_up = true

[[governance_models.levels]]
org_kind = "council"
goal_kinds = ["council_goal"]

[[governance_models.follow_ups]]
kind = "annual_report"
name = "Årsredovisning"

[[goals]]
key = "g"
title = "Ett mål"
kind = "council_goal"
owner = "kf"
governance_model = "m"
valid_from = "2021-01-01"

[[follow_ups]]
governance_model = "m"
kind = "annual_report"
year = 2021
"#;

fn package(assessment: &str, goal_title: &str) -> styrhub_domain::package::ValidPackage {
    let text = format!(
        "{}\n[[follow_ups.assessments]]\ngoal = \"g\"\nassessment = \"{assessment}\"\nanalysis = \"Som väntat.\"\n",
        BASE.replace("Ett mål", goal_title)
    );
    Package::parse(&[("m.toml".into(), text)], None).unwrap().validate().unwrap()
}

both! {
    async fn follow_ups_load_once_and_an_approved_one_is_locked(db: TestDb) {
        let store = db.store().await;
        store.load_package(&package("partly_achieved", "Ett mål")).await.unwrap();
        store.load_package(&package("partly_achieved", "Ett mål")).await.unwrap();
        let conn = store.connection();
        assert_eq!(follow_up::Entity::find().all(conn).await.unwrap().len(), 1);
        let assessments = goal_assessment::Entity::find().all(conn).await.unwrap();
        assert_eq!(assessments.len(), 1);
        assert_eq!(assessments[0].assessment, "partly_achieved");

        // Approve the report behind the loader's back, as the API will.
        let report = follow_up::Entity::find().one(conn).await.unwrap().unwrap();
        let mut am = report.into_active_model();
        am.approved_at = Set(Some(chrono::Utc::now()));
        am.update(conn).await.unwrap();

        // The same package still loads; a changed assessment is refused, and the goal title
        // changed in the same package is not half-written.
        store.load_package(&package("partly_achieved", "Ett mål")).await.unwrap();
        let err = store.load_package(&package("achieved", "Ett nytt mål")).await.unwrap_err();
        assert!(matches!(err, RepoError::Conflict(ref m) if m.contains("approved and locked")), "{err}");
        let goals = goal::Entity::find().all(conn).await.unwrap();
        assert_eq!(goals[0].title, "Ett mål", "the failed load wrote nothing");
        assert_eq!(goal_assessment::Entity::find().all(conn).await.unwrap()[0].assessment, "partly_achieved");
    }
}
