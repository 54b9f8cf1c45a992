//! The write side of the governance chain through the `GovernanceWriter` port: goals, links,
//! targets, assessments and approvals, assignments. Each command is checked against the
//! municipality's governance model and is written whole or not at all.

use chrono::{NaiveDate, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait};
use styrhub_domain::access::{Actor, Denied, Principal, Role};
use styrhub_domain::assignment::AssignmentStatus;
use styrhub_domain::commands::{
    AssignmentPatch, FollowUpRef, GoalPatch, GovernanceWriter, NewAssessment, NewAssignment, NewGoal, NewTarget, WriteError,
};
use styrhub_domain::follow_up::{Assessment, FollowUpKind};
use styrhub_domain::goal::{Goal, GoalFilter, GoalKind};
use styrhub_domain::ids::AreaCode;
use styrhub_domain::ids::{GoalId, IndicatorId};
use styrhub_domain::indicator::{Indicator, IndicatorFilter};
use styrhub_domain::org_unit::OrgUnit;
use styrhub_domain::package::Package;
use styrhub_domain::ports::{GovernanceReader, IndicatorReader, PackageWriter};
use styrhub_domain::rules::validate::Severity;
use styrhub_domain::target::{Bound, Relation, TargetRule};
use styrhub_domain::RepoError;
use styrhub_store::package::table_counts;
use styrhub_store::Store;

use crate::helpers::{both, TestApp};

/// Who writes: an admin, whom the permission check lets through without reading facts; the
/// port, not the rule, is under test here (the rule's tests are in `access`).
fn by() -> Actor {
    Actor::Token(Principal {
        token_id: 0,
        name: "test".into(),
        role: Role::Admin,
        scope_unit_id: None,
    })
}

/// The store's error of a write the rule let through.
fn repo(e: WriteError) -> RepoError {
    match e {
        WriteError::Repo(e) => e,
        WriteError::Denied(d) => panic!("an admin's write was refused: {d}"),
    }
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn municipality_id(store: &Store, code: &str) -> i64 {
    store
        .municipality_by_code(code)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("municipality {code}"))
        .id
}

async fn unit(store: &Store, code: &str, key: &str) -> OrgUnit {
    let m = store.municipality_by_code(code).await.unwrap().expect("the municipality is loaded");
    store
        .org_units_of(&[m.id])
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.key == key)
        .unwrap_or_else(|| panic!("{code} has the unit {key}"))
}

async fn goal(store: &Store, code: &str, key: &str) -> Goal {
    let filter = GoalFilter {
        municipality_id: Some(municipality_id(store, code).await),
        include_archived: true,
        ..Default::default()
    };
    store
        .goals(&filter)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.key == key)
        .unwrap_or_else(|| panic!("{code} has the goal {key}"))
}

async fn indicator(store: &Store, code: &str, key: &str) -> Indicator {
    let filter = IndicatorFilter {
        municipality_id: Some(municipality_id(store, code).await),
        ..Default::default()
    };
    store
        .indicators(&filter)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.key == key)
        .unwrap_or_else(|| panic!("{code} has the indicator {key}"))
}

/// A committee goal of Alingsås under the 2019 model, contributing to `parents`.
async fn committee_goal(store: &Store, title: &str, parents: Vec<i64>) -> NewGoal {
    NewGoal {
        municipality_code: "1489".into(),
        governance_model: "styrmodell-2019".into(),
        key: None,
        title: title.into(),
        description: Some("Nämndens bidrag till fullmäktiges mål.".into()),
        kind: GoalKind::CommitteeGoal,
        owner_id: unit(store, "1489", "sn").await.id,
        focus_area_id: None,
        parent_ids: parents,
        valid_from: date("2022-01-01"),
        valid_to: Some(date("2023-12-31")),
        agenda2030: vec![3, 10],
        decision: Some("SN 2021-12-14 § 100".into()),
        position: None,
    }
}

fn field_of(err: &RepoError) -> &str {
    match err {
        RepoError::Invalid(e) => &e.field,
        other => panic!("expected an invalid-input error, got {other:?}"),
    }
}

both! {
    async fn a_committee_goal_under_a_council_goal_is_created_and_readable(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let store = &app.store;
        let parent = goal(store, "1489", "kf-2021-mal-1").await;
        let input = committee_goal(store, "Öka tryggheten för äldre i hemtjänsten", vec![parent.id, parent.id]).await;
        let written = store.create_goal(&by(), &input).await.unwrap();
        assert!(written.warnings.is_empty(), "{:?}", written.warnings);
        let g = written.value;
        assert_eq!(g.key, "oka-tryggheten-for-aldre-i-hemtjansten");
        assert_eq!(g.agenda2030, vec![3, 10]);
        assert!(g.position >= 1);

        let read = store.goals_by_ids(&[GoalId(g.id)]).await.unwrap();
        assert_eq!(read, vec![g.clone()]);
        let edges = store.goal_edges(&[g.municipality_id]).await.unwrap();
        assert_eq!(edges.iter().filter(|(c, _)| *c == g.id).collect::<Vec<_>>(), vec![&(g.id, parent.id)]);

        // The same title again gets the next free key; a key given by hand that is taken is a conflict.
        let again = store.create_goal(&by(), &input).await.unwrap().value;
        assert_eq!(again.key, "oka-tryggheten-for-aldre-i-hemtjansten-2");
        let taken = NewGoal { key: Some(g.key.clone()), ..input.clone() };
        assert!(matches!(store.create_goal(&by(), &taken).await.map_err(repo).unwrap_err(), RepoError::Conflict(_)));
    }

    async fn goals_that_break_the_model_are_refused_naming_the_field(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let store = &app.store;
        let before = table_counts(store.connection()).await.unwrap();
        let parent = goal(store, "1489", "kf-2021-mal-1").await;
        let ok = committee_goal(store, "Ett nämndmål", vec![parent.id]).await;

        let council_kind = NewGoal { kind: GoalKind::CouncilGoal, ..ok.clone() };
        let err = store.create_goal(&by(), &council_kind).await.map_err(repo).unwrap_err();
        assert_eq!(field_of(&err), "kind", "{err}");
        assert!(err.to_string().contains("committee_goal"), "{err}");

        let too_late = NewGoal { valid_to: Some(date("2025-06-30")), ..ok.clone() };
        assert_eq!(field_of(&store.create_goal(&by(), &too_late).await.map_err(repo).unwrap_err()), "valid_to");
        let backwards = NewGoal { valid_to: Some(date("2021-06-30")), ..ok.clone() };
        assert_eq!(field_of(&store.create_goal(&by(), &backwards).await.map_err(repo).unwrap_err()), "valid_to");
        let tag = NewGoal { agenda2030: vec![18], ..ok.clone() };
        assert_eq!(field_of(&store.create_goal(&by(), &tag).await.map_err(repo).unwrap_err()), "agenda2030");
        let alvesta_owner = NewGoal { owner_id: unit(store, "0764", "ks").await.id, ..ok.clone() };
        assert_eq!(field_of(&store.create_goal(&by(), &alvesta_owner).await.map_err(repo).unwrap_err()), "owner_id");
        let alvesta_parent = NewGoal { parent_ids: vec![parent.id, -1], ..ok.clone() };
        assert!(matches!(store.create_goal(&by(), &alvesta_parent).await.map_err(repo).unwrap_err(), RepoError::NotFound(ref m) if m.contains("parent_ids")));
        let no_model = NewGoal { governance_model: "styrmodell-1999".into(), ..ok.clone() };
        assert!(matches!(store.create_goal(&by(), &no_model).await.map_err(repo).unwrap_err(), RepoError::NotFound(_)));
        let no_owner = NewGoal { owner_id: 999_999, ..ok.clone() };
        assert!(matches!(store.create_goal(&by(), &no_owner).await.map_err(repo).unwrap_err(), RepoError::NotFound(ref m) if m.contains("owner_id")));

        assert_eq!(table_counts(store.connection()).await.unwrap(), before, "nothing was written");
    }

    async fn a_cycle_through_new_parents_is_refused_and_nothing_changes(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let store = &app.store;
        let council = goal(store, "1489", "kf-2021-mal-1").await;
        let child = store.create_goal(&by(), &committee_goal(store, "Barnet", vec![council.id]).await).await.unwrap().value;
        let edges_before = store.goal_edges(&[council.municipality_id]).await.unwrap();

        let patch = GoalPatch { parent_ids: Some(vec![child.id]), title: Some("Nytt namn".into()), ..Default::default() };
        let err = store.update_goal(&by(), council.id, &patch).await.map_err(repo).unwrap_err();
        assert_eq!(field_of(&err), "parent_ids", "{err}");
        let own = GoalPatch { parent_ids: Some(vec![child.id]), ..Default::default() };
        assert_eq!(field_of(&store.update_goal(&by(), child.id, &own).await.map_err(repo).unwrap_err()), "parent_ids");

        assert_eq!(store.goal_edges(&[council.municipality_id]).await.unwrap(), edges_before);
        assert_eq!(goal(store, "1489", "kf-2021-mal-1").await.title, council.title, "the title was not half-written");

        // A patch that keeps to the model is written, and replaces the parents.
        let other = goal(store, "1489", "kf-2021-mal-2").await;
        let patch = GoalPatch {
            title: Some("Barnet, omformulerat".into()),
            parent_ids: Some(vec![other.id]),
            valid_to: Some(None),
            ..Default::default()
        };
        let err = store.update_goal(&by(), child.id, &patch).await.map_err(repo).unwrap_err();
        assert_eq!(field_of(&err), "valid_to", "open-ended is past the 2019 model's end: {err}");
        let patch = GoalPatch { valid_to: None, ..patch };
        let updated = store.update_goal(&by(), child.id, &patch).await.unwrap().value;
        assert_eq!(updated.title, "Barnet, omformulerat");
        let edges = store.goal_edges(&[council.municipality_id]).await.unwrap();
        assert_eq!(edges.iter().filter(|(c, _)| *c == child.id).collect::<Vec<_>>(), vec![&(child.id, other.id)]);
        assert!(matches!(store.update_goal(&by(), 999_999, &patch).await.map_err(repo).unwrap_err(), RepoError::NotFound(_)));
    }

    async fn a_fourth_development_goal_of_an_alvesta_unit_is_written_with_a_warning(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let store = &app.store;
        let owner = unit(store, "0764", "utbildningsforvaltningen").await;
        let mut warnings = Vec::new();
        for n in 1..=4 {
            let input = NewGoal {
                municipality_code: "0764".into(),
                governance_model: "styrmodell-2020".into(),
                key: None,
                title: format!("Utvecklingsmål {n}"),
                description: None,
                kind: GoalKind::DevelopmentGoal,
                owner_id: owner.id,
                focus_area_id: None,
                parent_ids: vec![],
                valid_from: date("2021-01-01"),
                valid_to: None,
                agenda2030: vec![4],
                decision: None,
                position: None,
            };
            let w = store.create_goal(&by(), &input).await.unwrap();
            assert_eq!(w.value.position, n);
            warnings.push(w.warnings);
        }
        assert!(warnings[..3].iter().all(Vec::is_empty), "{warnings:?}");
        assert_eq!(warnings[3].len(), 1, "{warnings:?}");
        assert_eq!(warnings[3][0].severity, Severity::Warning);
        assert_eq!(warnings[3][0].field, "owner_id");
        assert!(warnings[3][0].message.contains("at most 3"), "{:?}", warnings[3]);
        let filter = GoalFilter { municipality_id: Some(municipality_id(store, "0764").await), owner_id: Some(owner.id), ..Default::default() };
        assert_eq!(store.goals(&filter).await.unwrap().len(), 4, "all four are written");

        // Archiving one brings the unit back under the cap.
        let first = goal(store, "0764", "utvecklingsmal-1").await;
        store.archive_goal(&by(), first.id).await.unwrap();
        let second = goal(store, "0764", "utvecklingsmal-2").await;
        let w = store.update_goal(&by(), second.id, &GoalPatch { title: Some("Utvecklingsmål 2b".into()), ..Default::default() }).await.unwrap();
        assert!(w.warnings.is_empty(), "{:?}", w.warnings);
    }

    async fn archiving_is_idempotent_and_an_archived_goal_is_locked(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let store = &app.store;
        let g = goal(store, "1489", "kf-2021-mal-5").await;
        let ind = store.indicators_of_goals(&[GoalId(g.id)]).await.unwrap()[0].1.clone();
        let once = store.archive_goal(&by(), g.id).await.unwrap();
        assert!(once.archived);
        let twice = store.archive_goal(&by(), g.id).await.unwrap();
        assert_eq!(once, twice);
        assert_eq!(Goal { archived: false, ..twice }, g, "only the flag changed");

        let patch = GoalPatch { title: Some("Ändrat".into()), ..Default::default() };
        assert!(matches!(store.update_goal(&by(), g.id, &patch).await.map_err(repo).unwrap_err(), RepoError::Conflict(ref m) if m.contains("archived")));
        assert!(matches!(store.unlink_indicator(&by(), g.id, ind.id).await.map_err(repo).unwrap_err(), RepoError::Conflict(_)));
        let listed = store.goals(&GoalFilter { municipality_id: Some(municipality_id(store, "1489").await), ..Default::default() }).await.unwrap();
        assert!(listed.iter().all(|x| x.id != g.id), "archived goals are not listed by default");
        assert!(matches!(store.archive_goal(&by(), 999_999).await.map_err(repo).unwrap_err(), RepoError::NotFound(_)));
    }

    async fn indicators_are_linked_once_and_unlinked_within_a_municipality(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let store = &app.store;
        let g = goal(store, "1489", "kf-2021-mal-2").await;
        let ind = indicator(store, "1489", "kf1-trygga-i-skolan").await;
        store.link_indicator(&by(), g.id, ind.id).await.unwrap();
        store.link_indicator(&by(), g.id, ind.id).await.unwrap();
        let links = store.goal_links(&[IndicatorId(ind.id)]).await.unwrap();
        assert_eq!(links.iter().filter(|(_, gid)| *gid == GoalId(g.id)).count(), 1);

        store.unlink_indicator(&by(), g.id, ind.id).await.unwrap();
        assert!(matches!(store.unlink_indicator(&by(), g.id, ind.id).await.map_err(repo).unwrap_err(), RepoError::NotFound(_)));
        assert!(!store.goal_links(&[IndicatorId(ind.id)]).await.unwrap().iter().any(|(_, gid)| *gid == GoalId(g.id)));

        let alvesta_goal = store
            .create_goal(&by(), &NewGoal {
                municipality_code: "0764".into(),
                governance_model: "styrmodell-2020".into(),
                key: Some("ks-utvecklingsmal".into()),
                title: "Ett utvecklingsmål".into(),
                description: None,
                kind: GoalKind::DevelopmentGoal,
                owner_id: unit(store, "0764", "ks").await.id,
                focus_area_id: None,
                parent_ids: vec![],
                valid_from: date("2021-01-01"),
                valid_to: None,
                agenda2030: vec![],
                decision: None,
                position: None,
            })
            .await
            .unwrap()
            .value;
        assert_eq!(alvesta_goal.key, "ks-utvecklingsmal");
        let err = store.link_indicator(&by(), alvesta_goal.id, ind.id).await.map_err(repo).unwrap_err();
        assert_eq!(field_of(&err), "indicator_id");
        assert!(matches!(store.link_indicator(&by(), g.id, 999_999).await.map_err(repo).unwrap_err(), RepoError::NotFound(ref m) if m.contains("indicator_id")));
    }

    async fn targets_on_quality_indicators_are_refused_where_the_model_says_so(db: TestDb) {
        let store = db.store().await;
        let package = Package::parse(&[("m.toml".into(), QUALITY_PACKAGE.into())], None).unwrap().validate().unwrap();
        store.load_package(&package).await.unwrap();
        let quality = indicator(&store, "0764", "q").await;
        let measured = indicator(&store, "0764", "m").await;
        let rule = TargetRule::Absolute { bound: Bound::AtLeast, value: 80.0 };
        let t = NewTarget {
            indicator_id: quality.id,
            area: AreaCode::parse("0764").unwrap(),
            period_from: 2021,
            period_to: Some(2023),
            rule: rule.clone(),
            note: Some("minst 80 %".into()),
        };
        let err = store.set_target(&by(), &t).await.map_err(repo).unwrap_err();
        assert_eq!(field_of(&err), "indicator_id", "{err}");
        assert!(err.to_string().contains("no targets for quality indicators"), "{err}");
        assert!(store.targets_of(&[IndicatorId(quality.id)]).await.unwrap().is_empty());

        // A goal indicator gets one; setting it again for the same first year replaces it.
        let first = store.set_target(&by(), &NewTarget { indicator_id: measured.id, ..t.clone() }).await.unwrap();
        assert_eq!(first.rule, rule);
        let relative = TargetRule::Relative { relation: Relation::Above, reference_area: AreaCode::parse("0000").unwrap() };
        let second = store
            .set_target(&by(), &NewTarget { indicator_id: measured.id, rule: relative.clone(), period_to: None, ..t.clone() })
            .await
            .unwrap();
        assert_eq!(second.id, first.id);
        assert_eq!(store.targets_of(&[IndicatorId(measured.id)]).await.unwrap(), vec![second]);
        let backwards = NewTarget { indicator_id: measured.id, period_from: 2024, period_to: Some(2022), ..t.clone() };
        assert_eq!(field_of(&store.set_target(&by(), &backwards).await.map_err(repo).unwrap_err()), "period_to");
        assert!(matches!(store.set_target(&by(), &NewTarget { indicator_id: 999_999, ..t }).await.map_err(repo).unwrap_err(), RepoError::NotFound(_)));
    }

    async fn an_approved_follow_up_keeps_a_snapshot_and_is_locked(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let store = &app.store;
        let g = goal(store, "1489", "kf-2021-mal-1").await;
        let period = FollowUpRef::Period {
            governance_model_id: g.governance_model_id,
            kind: FollowUpKind::AnnualReport,
            year: 2022,
            month: None,
        };
        let input = NewAssessment {
            follow_up: period,
            goal_id: g.id,
            assessment: Assessment::PartlyAchieved,
            forecast: Some(Assessment::Achieved),
            analysis: Some("Tryggheten ökar men inte i alla grupper.".into()),
        };
        let first = store.record_assessment(&by(), &input).await.unwrap();
        let fu_id = first.follow_up_id;
        // The period now names the existing report; a second record replaces the assessment.
        let second = store
            .record_assessment(&by(), &NewAssessment { assessment: Assessment::Achieved, ..input.clone() })
            .await
            .unwrap();
        assert_eq!((second.id, second.follow_up_id), (first.id, fu_id));
        let of_model = styrhub_domain::follow_up::FollowUpFilter { municipality_id: g.municipality_id, governance_model_id: Some(g.governance_model_id), ..Default::default() };
        assert_eq!(store.follow_ups_page(&of_model, &every()).await.unwrap().items.len(), 1);

        // Refused before approval: a report the 2019 calendar lacks, a month on an annual report,
        // a year outside the model, a goal of another model.
        let bad = |kind, year, month| NewAssessment {
            follow_up: FollowUpRef::Period { governance_model_id: g.governance_model_id, kind, year, month },
            ..input.clone()
        };
        assert_eq!(field_of(&store.record_assessment(&by(), &bad(FollowUpKind::Monthly, 2022, Some(3))).await.map_err(repo).unwrap_err()), "kind");
        assert_eq!(field_of(&store.record_assessment(&by(), &bad(FollowUpKind::AnnualReport, 2022, Some(3))).await.map_err(repo).unwrap_err()), "month");
        assert_eq!(field_of(&store.record_assessment(&by(), &bad(FollowUpKind::AnnualReport, 2026, None)).await.map_err(repo).unwrap_err()), "year");
        let newer = goal(store, "1489", "kf-2025-sveriges-mest-effektiva-kommun").await;
        let err = store
            .record_assessment(&by(), &NewAssessment { goal_id: newer.id, follow_up: FollowUpRef::Id(fu_id), ..input.clone() })
            .await
            .map_err(repo).unwrap_err();
        assert_eq!(field_of(&err), "goal_id");

        let at = Utc.with_ymd_and_hms(2023, 4, 24, 18, 30, 0).unwrap();
        let approved = store.approve_follow_up(&by(), fu_id, at).await.unwrap();
        assert_eq!(approved.approved_at, Some(at));
        let snapshot = approved.snapshot.clone().expect("an approved report has a snapshot");
        assert!(snapshot.iter().all(|v| v.period <= 2022), "no value from after the report");

        // Values of the demo: the municipality for every indicator, the country only where a
        // relative target compares with it.
        let trygga = indicator(store, "1489", "kf1-trygga-i-skolan").await;
        let at_area = |ind: i64, area: &str| snapshot.iter().find(|v| v.indicator_id == ind && v.area == area).cloned();
        let v = at_area(trygga.id, "1489").expect("kf1-trygga-i-skolan is in the snapshot");
        // An own measure's example value (demo/alingsas/observations.csv) and a KPI's real one
        // (demo/kolada/values.csv: Kolada gives N00973 for Alingsås 2022 as 30.0).
        assert_eq!((v.period, v.value, v.series_key.clone()), (2022, Some(79.7), format!("indicator:{}", trygga.id)));
        assert!(at_area(trygga.id, "0000").is_none());
        let skola = indicator(store, "1489", "op-elever-klarar-skolgangen").await;
        assert_eq!(at_area(skola.id, "1489").map(|v| v.value), Some(Some(76.6)));
        assert_eq!(at_area(skola.id, "0000").map(|v| v.value), Some(Some(75.5)));
        let etablering = indicator(store, "1489", "kf1-etablering").await;
        let e = at_area(etablering.id, "1489").unwrap();
        assert_eq!((e.period, e.value, e.series_key.as_str()), (2022, Some(30.0), "kpi:N00973"));
        assert_eq!(store.follow_ups_by_ids(&[fu_id]).await.unwrap(), vec![approved.clone()], "the snapshot is stored");

        // Locked: no assessment changes, by id or by period, and it is not approved twice.
        let before = store.assessments_in(&[fu_id]).await.unwrap();
        let err = store.record_assessment(&by(), &NewAssessment { assessment: Assessment::NotAchieved, ..input.clone() }).await.map_err(repo).unwrap_err();
        assert!(matches!(err, RepoError::Conflict(ref m) if m.contains("Årsredovisning 2022") && m.contains("locked")), "{err}");
        let err = store
            .record_assessment(&by(), &NewAssessment { follow_up: FollowUpRef::Id(fu_id), ..input.clone() })
            .await
            .map_err(repo).unwrap_err();
        assert!(matches!(err, RepoError::Conflict(_)), "{err}");
        assert_eq!(store.assessments_in(&[fu_id]).await.unwrap(), before, "nothing changed");
        let err = store.approve_follow_up(&by(), fu_id, Utc::now()).await.map_err(repo).unwrap_err();
        assert!(matches!(err, RepoError::Conflict(ref m) if m.contains("already approved")), "{err}");
        assert_eq!(store.follow_ups_by_ids(&[fu_id]).await.unwrap(), vec![approved]);
        assert!(matches!(store.approve_follow_up(&by(), 999_999, at).await.map_err(repo).unwrap_err(), RepoError::NotFound(_)));
    }

    async fn assignments_are_created_and_updated_within_their_municipality(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let store = &app.store;
        let ks = unit(store, "1489", "ks").await;
        let klk = unit(store, "1489", "klk").await;
        let g = goal(store, "1489", "kf-2021-mal-3").await;
        let input = NewAssignment {
            municipality_code: "1489".into(),
            key: None,
            title: "Utred solceller på kommunens tak".into(),
            description: Some("Återrapporteras till KS.".into()),
            from_org_unit_id: ks.id,
            to_org_unit_id: klk.id,
            deadline: Some(date("2022-06-30")),
            funding: Some("Inom ram".into()),
            funding_tkr: Some(250.0),
            status: AssignmentStatus::NotStarted,
            goal_id: Some(g.id),
        };
        let a = store.create_assignment(&by(), &input).await.unwrap();
        assert_eq!(a.key, "utred-solceller-pa-kommunens-tak");
        assert_eq!(a.goal_id, Some(g.id));

        let patch = AssignmentPatch {
            status: Some(AssignmentStatus::Completed),
            funding_tkr: Some(None),
            deadline: Some(Some(date("2022-09-30"))),
            ..Default::default()
        };
        let done = store.update_assignment(&by(), a.id, &patch).await.unwrap();
        assert_eq!((done.status, done.funding_tkr, done.title.as_str()), (AssignmentStatus::Completed, None, a.title.as_str()));
        let filter = styrhub_domain::assignment::AssignmentFilter { municipality_id: a.municipality_id, goal_id: Some(g.id), ..Default::default() };
        assert_eq!(items(store.assignments_page(&filter, &every()).await.unwrap()), vec![done.clone()]);

        // Refused, with nothing written: an unknown unit, a unit of Alvesta, negative funding, a
        // key that is taken.
        let before = table_counts(store.connection()).await.unwrap();
        let err = store.create_assignment(&by(), &NewAssignment { to_org_unit_id: 999_999, ..input.clone() }).await.map_err(repo).unwrap_err();
        assert!(matches!(err, RepoError::NotFound(ref m) if m.contains("to_org_unit_id")), "{err}");
        let alvesta = unit(store, "0764", "ks").await;
        let err = store.create_assignment(&by(), &NewAssignment { to_org_unit_id: alvesta.id, ..input.clone() }).await.map_err(repo).unwrap_err();
        assert_eq!(field_of(&err), "to_org_unit_id");
        let err = store.create_assignment(&by(), &NewAssignment { funding_tkr: Some(-5.0), ..input.clone() }).await.map_err(repo).unwrap_err();
        assert_eq!(field_of(&err), "funding_tkr");
        let err = store.create_assignment(&by(), &NewAssignment { key: Some(a.key.clone()), ..input.clone() }).await.map_err(repo).unwrap_err();
        assert!(matches!(err, RepoError::Conflict(_)), "{err}");
        let err = store.update_assignment(&by(), a.id, &AssignmentPatch { from_org_unit_id: Some(999_999), ..Default::default() }).await.map_err(repo).unwrap_err();
        assert!(matches!(err, RepoError::NotFound(_)), "{err}");
        let err = store.update_assignment(&by(), a.id, &AssignmentPatch { title: Some("  ".into()), ..Default::default() }).await.map_err(repo).unwrap_err();
        assert_eq!(field_of(&err), "title");
        assert_eq!(table_counts(store.connection()).await.unwrap(), before);
        assert_eq!(items(store.assignments_page(&filter, &every()).await.unwrap()), vec![done]);
    }
}

/// An Alvesta-like model where quality indicators get no targets, with one goal, one quality
/// indicator and one goal indicator.
const QUALITY_PACKAGE: &str = r#"
[municipality]
code = "0764"
name = "Alvesta kommun"

[[org_units]]
key = "kf"
name = "Kommunfullmäktige"
kind = "council"

[[org_units]]
key = "sn"
name = "Socialnämnden"
kind = "committee"
parent = "kf"

[[governance_models]]
key = "styrmodell-2020"
name = "Styrmodell för Alvesta kommunkoncern"
valid_from = "2020-06-15"
quality_indicators_have_targets = false
political_directions_followed_up = true

[[governance_models.levels]]
org_kind = "committee"
goal_kinds = ["development_goal"]
max_per_kind = { development_goal = 3 }

[[goals]]
key = "sn-utveckling"
title = "Fler brukare ska vara nöjda"
kind = "development_goal"
owner = "sn"
governance_model = "styrmodell-2020"
valid_from = "2021-01-01"

[[indicators]]
key = "q"
title = "Nöjda brukare, andel %"
kind = "quality_indicator"
goals = ["sn-utveckling"]

[[indicators]]
key = "m"
title = "Brukare med genomförandeplan, andel %"
kind = "goal_indicator"
desired = "ska öka"
goals = ["sn-utveckling"]
"#;

both! {
    async fn two_concurrent_parent_changes_cannot_make_a_cycle_together(db: TestDb) {
        // a under b and b under a, at the same time: each is fine alone, together a cycle.
        let app = TestApp::spawn(db).await.with_demo().await;
        let store = &app.store;
        let council = goal(store, "1489", "kf-2021-mal-1").await;
        for round in 0..8 {
            let a = store.create_goal(&by(), &committee_goal(store, &format!("A{round}"), vec![council.id]).await).await.unwrap().value;
            let b = store.create_goal(&by(), &committee_goal(store, &format!("B{round}"), vec![council.id]).await).await.unwrap().value;
            let under = |p: i64| GoalPatch { parent_ids: Some(vec![council.id, p]), ..Default::default() };
            let (pa, pb) = (under(b.id), under(a.id));
            let author = by();
            let (ra, rb) = tokio::join!(store.update_goal(&author, a.id, &pa), store.update_goal(&author, b.id, &pb));
            assert!(ra.is_err() || rb.is_err(), "round {round}: both changes went through");
            let edges = store.goal_edges(&[council.municipality_id]).await.unwrap();
            assert_eq!(styrhub_domain::rules::validate::find_goal_cycle(&edges), None, "round {round}");
        }
    }
}

/// An editor of the social committee.
fn editor_of(unit: &OrgUnit) -> Actor {
    Actor::Token(Principal {
        token_id: 1,
        name: "Anna, socialnämnden".into(),
        role: Role::Editor,
        scope_unit_id: Some(unit.id),
    })
}

/// Returns once a statement of another session waits for a row lock (PostgreSQL), or after a
/// moment (SQLite, whose writers wait inside the driver, where nothing can see them).
async fn until_a_write_waits(store: &Store) {
    if store.backend() != DatabaseBackend::Postgres {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        return;
    }
    let sql = "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
    for _ in 0..500 {
        let row = store
            .connection()
            .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
            .await
            .unwrap()
            .unwrap();
        if row.try_get::<i64>("", "n").unwrap() > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no statement waited for a lock within 5 s");
}

both! {
    async fn a_goal_moved_to_another_owner_between_check_and_write_is_judged_by_its_new_owner(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let store = &app.store;
        let council = goal(store, "1489", "kf-2021-mal-1").await;
        let (sn, kun) = (unit(store, "1489", "sn").await, unit(store, "1489", "kun").await);
        let g = store.create_goal(&by(), &committee_goal(store, "Flyttas", vec![council.id]).await).await.unwrap().value;
        assert_eq!(g.owner_id, sn.id);

        // The move, in a transaction that holds its change uncommitted until the editor's write
        // has started and is waiting for it.
        let mover = store.connection().begin().await.unwrap();
        let sql = format!("UPDATE goal SET owner_id = {} WHERE id = {}", kun.id, g.id);
        mover.execute_raw(Statement::from_string(store.backend(), sql)).await.unwrap();
        let write = tokio::spawn({
            let (store, editor) = (store.clone(), editor_of(&sn));
            let retitle = GoalPatch { title: Some("Omformulerat av socialnämnden".into()), ..Default::default() };
            async move { store.update_goal(&editor, g.id, &retitle).await }
        });
        until_a_write_waits(store).await;
        mover.commit().await.unwrap();

        // Checked before the move committed, the write would pass as the social committee's.
        let r = write.await.unwrap();
        assert!(
            matches!(r, Err(WriteError::Denied(Denied::OutOfScope { unit, .. })) if unit == kun.id),
            "the goal is the other committee's now: {r:?}"
        );
        let now = goal(store, "1489", &g.key).await;
        assert_eq!((now.owner_id, now.title.as_str()), (kun.id, "Flyttas"), "the move stands and the title is unchanged");

        // Moved back, the same write goes through.
        store.update_goal(&by(), g.id, &GoalPatch { owner_id: Some(sn.id), ..Default::default() }).await.unwrap();
        let retitle = GoalPatch { title: Some("Omformulerat av socialnämnden".into()), ..Default::default() };
        store.update_goal(&editor_of(&sn), g.id, &retitle).await.unwrap();
    }

    async fn an_editor_may_write_only_what_the_command_itself_touches(db: TestDb) {
        let app = TestApp::spawn(db).await.with_demo().await;
        let store = &app.store;
        let council = goal(store, "1489", "kf-2021-mal-1").await;
        let (sn, kun) = (unit(store, "1489", "sn").await, unit(store, "1489", "kun").await);
        let own = store.create_goal(&by(), &committee_goal(store, "Eget", vec![council.id]).await).await.unwrap().value;
        let editor = editor_of(&sn);
        // Moving its goal to another committee, or archiving the council's goal: no.
        let away = GoalPatch { owner_id: Some(kun.id), ..Default::default() };
        let denied = |r: Result<_, WriteError>| matches!(r, Err(WriteError::Denied(Denied::OutOfScope { .. })));
        assert!(denied(store.update_goal(&editor, own.id, &away).await.map(|_| ())));
        assert!(denied(store.archive_goal(&editor, council.id).await.map(|_| ())));
        assert_eq!(goal(store, "1489", &own.key).await.owner_id, sn.id, "nothing was written");
        assert!(!goal(store, "1489", &council.key).await.archived, "nothing was written");
        // Archiving its own goal: yes.
        assert!(store.archive_goal(&editor, own.id).await.unwrap().archived);
        // No token: refused before anything is read.
        let anonymous = store.archive_goal(&Actor::Anonymous, own.id).await;
        assert!(matches!(anonymous, Err(WriteError::Denied(Denied::Unauthenticated))), "{anonymous:?}");
    }
}

/// A page request for a whole short list.
fn every() -> styrhub_domain::page::PageRequest {
    styrhub_domain::page::PageRequest::forward(None, 1_000, false)
}

/// A page's items without their cursors.
fn items<T>(page: styrhub_domain::page::Page<T>) -> Vec<T> {
    page.items.into_iter().map(|(_, item)| item).collect()
}
