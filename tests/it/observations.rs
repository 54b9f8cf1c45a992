//! The bulk observation writer: idempotent, revisions kept, digests in step, tombstones.

use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource};
use styrhub_domain::ports::{ObservationWriter, SeriesReader};
use styrhub_store::entities::observation_revision;

use crate::helpers::both;

fn obs(area: &str, year: i32, gender: Gender, value: Option<f64>) -> NewObservation {
    NewObservation {
        series: SeriesRef::Kpi(KpiId::parse("N00090").unwrap()),
        area: AreaCode::parse(area).unwrap(),
        period: Year::new(year).unwrap(),
        gender,
        value,
        status: value.is_none().then(|| "Missing".to_owned()),
        count: Some(1),
        source: ValueSource::Kolada,
        deleted: false,
    }
}

fn batch() -> Vec<NewObservation> {
    let mut b = Vec::new();
    for year in 2015..2024 {
        for (g, v) in [(Gender::Total, 7.0), (Gender::Women, 8.5), (Gender::Men, 0.0)] {
            b.push(obs("1489", year, g, Some(v + f64::from(year - 2015) / 10.0)));
        }
    }
    b.push(obs("0000", 2023, Gender::Total, None));
    b
}

both! {
    async fn series_reads_keep_at_most_a_quarter_of_the_pool_for_themselves(db: TestDb) {
        // Many series read at once; the connections they keep (`styrhub_store::warm`) wait
        // idle, where no other statement can use them. The rest of the pool stays usable: as
        // many transactions as three quarters of it open at once, each within a short wait.
        db.store().await;
        let store = styrhub_store::Store::connect_with(&db.url, std::time::Duration::from_millis(1500))
            .await
            .unwrap();
        store.write_batch(&batch()).await.unwrap();
        let series = [SeriesRef::Kpi(KpiId::parse("N00090").unwrap())];
        let areas = [AreaCode::parse("1489").unwrap()];
        let reads = (0..16).map(|_| store.digests(&series, &areas, &[Gender::Total]));
        for read in futures_util::future::join_all(reads).await {
            assert_eq!(read.unwrap().len(), 1);
        }
        let pool = if store.is_postgres() { 16 } else { 4 };
        let held = pool - pool / 4;
        let opened = futures_util::future::join_all((0..held).map(|_| sea_orm::TransactionTrait::begin(store.connection()))).await;
        for (n, txn) in opened.into_iter().enumerate() {
            assert!(txn.is_ok(), "transaction {} of {held} could not have a connection: {:?}", n + 1, txn.err());
        }
    }

    async fn a_batch_written_twice_changes_nothing_the_second_time(db: TestDb) {
        let store = db.store().await;
        let first = store.write_batch(&batch()).await.unwrap();
        assert_eq!((first.inserted, first.updated, first.unchanged), (28, 0, 0));
        let second = store.write_batch(&batch()).await.unwrap();
        assert_eq!((second.inserted, second.updated, second.unchanged), (0, 0, 28));
        let d = store.digests(&[crate::helpers::n00090()], &crate::helpers::areas(&["1489", "0000"]), &[Gender::Total, Gender::Men]).await.unwrap();
        assert_eq!(d.len(), 3, "T and M for 1489, T for 0000");
        let men = d.iter().find(|d| d.gender == Gender::Men).unwrap();
        assert_eq!(men.points.first().unwrap().value, Some(0.0), "zero is a value");
        let national = d.iter().find(|d| d.area.as_str() == "0000").unwrap();
        assert_eq!(national.points[0].value, None, "null stays null");
        assert_eq!(national.points[0].status.as_deref(), Some("Missing"));
    }

    async fn batches_written_as_one_land_all_or_none(db: TestDb) {
        use styrhub_domain::RepoError;
        let store = db.store().await;
        // A series split over two batches, the second also revising one of the first's values.
        let all = batch();
        let (first, second) = all.split_at(10);
        let mut revised = second.to_vec();
        revised.push(obs("1489", 2015, Gender::Total, Some(99.0)));
        let failing: Vec<Result<Vec<NewObservation>, RepoError>> = vec![
            Ok(first.to_vec()),
            Ok(revised.clone()),
            Err(RepoError::Internal("the reader failed".into())),
        ];
        let err = store.write_batches(&mut failing.into_iter()).await.expect_err("the error ends the write");
        assert!(err.to_string().contains("the reader failed"), "{err}");
        let none = store.digests(&[crate::helpers::n00090()], &crate::helpers::areas(&["1489", "0000"]), &[Gender::Total]).await.unwrap();
        assert!(none.is_empty(), "nothing of the earlier batches stayed: {none:?}");

        let written = store.write_batches(&mut vec![Ok(first.to_vec()), Ok(revised)].into_iter()).await.unwrap();
        assert_eq!((written.inserted, written.updated, written.unchanged), (28, 1, 0));
        let d = store.digests(&[crate::helpers::n00090()], &crate::helpers::areas(&["1489"]), &[Gender::Total]).await.unwrap();
        assert_eq!(d[0].points.len(), 9, "the series is whole across batches");
        assert_eq!(d[0].points[0].value, Some(99.0), "the later batch's value wins");
        let again = store.write_batch(&batch()).await.unwrap();
        assert_eq!((again.inserted, again.updated, again.unchanged), (0, 1, 27));
    }

    async fn a_revised_value_keeps_the_earlier_one_and_a_tombstone_leaves_the_digest(db: TestDb) {
        let store = db.store().await;
        store.write_batch(&batch()).await.unwrap();
        let mut revised = batch();
        revised[0].value = Some(99.0);
        let last = revised.len() - 1;
        revised[last].deleted = true;
        let counts = store.write_batch(&revised).await.unwrap();
        assert_eq!((counts.inserted, counts.updated, counts.unchanged), (0, 2, 26));
        use sea_orm::EntityTrait;
        let revisions = observation_revision::Entity::find().all(store.connection()).await.unwrap();
        assert_eq!(revisions.len(), 2);
        assert!(revisions.iter().any(|r| r.value == Some(7.0)), "{revisions:?}");
        let d = store.digests(&[crate::helpers::n00090()], &crate::helpers::areas(&["1489", "0000"]), &[Gender::Total]).await.unwrap();
        assert_eq!(d.len(), 1, "the tombstoned series has no values left: {d:?}");
        assert_eq!(d[0].value_at(2015), Some(99.0));
    }

    async fn the_last_of_repeated_keys_wins_and_an_odd_status_survives_the_digest(db: TestDb) {
        let store = db.store().await;
        let status = "Preliminär \"p\" \\ ny";
        let mut b = vec![obs("1489", 2020, Gender::Total, Some(1.0)), obs("1489", 2020, Gender::Total, Some(2.5))];
        b[1].status = Some(status.to_owned());
        let counts = store.write_batch(&b).await.unwrap();
        assert_eq!((counts.inserted, counts.updated, counts.unchanged), (1, 0, 0));
        let d = store.digests(&[crate::helpers::n00090()], &crate::helpers::areas(&["1489"]), &[Gender::Total]).await.unwrap();
        assert_eq!(d[0].points.len(), 1);
        assert_eq!(d[0].value_at(2020), Some(2.5), "the later row of the batch wins");
        assert_eq!(d[0].points[0].status.as_deref(), Some(status), "quotes and backslashes come back as sent");
    }

    async fn a_count_only_change_is_an_update_whose_revision_is_dated_by_it(db: TestDb) {
        use sea_orm::EntityTrait;
        use styrhub_store::entities::observation;
        let store = db.store().await;
        store.write_batch(&batch()).await.unwrap();
        let mut changed = batch();
        changed[4].count = Some(7);
        let counts = store.write_batch(&changed).await.unwrap();
        assert_eq!((counts.inserted, counts.updated, counts.unchanged), (0, 1, 27));
        let revisions = observation_revision::Entity::find().all(store.connection()).await.unwrap();
        assert_eq!(revisions.len(), 1, "{revisions:?}");
        let row = observation::Entity::find_by_id(revisions[0].observation_id).one(store.connection()).await.unwrap().unwrap();
        assert_eq!(row.count, Some(7));
        assert_eq!(revisions[0].valid_until, row.updated_at, "the earlier value was valid until the update");
    }

    async fn only_the_series_a_batch_changes_get_their_digests_rebuilt(db: TestDb) {
        use sea_orm::EntityTrait;
        use styrhub_store::entities::series_digest;
        let store = db.store().await;
        store.write_batch(&batch()).await.unwrap();
        let before = series_digest::Entity::find().all(store.connection()).await.unwrap();
        let mut changed = batch();
        // 1489, 2015, women: one value of one series.
        changed[1].value = Some(42.0);
        store.write_batch(&changed).await.unwrap();
        let after = series_digest::Entity::find().all(store.connection()).await.unwrap();
        assert_eq!(before.len(), after.len());
        let rebuilt: Vec<_> = after
            .iter()
            .filter(|a| !before.iter().any(|b| b.series_key == a.series_key && b.area_code == a.area_code && b.gender == a.gender && b.updated_at == a.updated_at))
            .collect();
        assert_eq!(rebuilt.len(), 1, "{rebuilt:?}");
        assert_eq!((rebuilt[0].area_code.as_str(), rebuilt[0].gender.as_str()), ("1489", "K"));
        let points = styrhub_domain::compact::decode(rebuilt[0].points.as_deref().unwrap()).unwrap();
        assert_eq!(points.iter().find(|p| p.period == 2015).unwrap().value, Some(42.0));
    }

    async fn a_batch_of_new_and_stored_series_gets_each_written_and_digested_once(db: TestDb) {
        use sea_orm::EntityTrait;
        use styrhub_store::entities::series_digest;
        let store = db.store().await;
        // Only 1489 total is stored; the batch then brings it a new year and revises one value,
        // and brings women and men (new series), one of them only a tombstone.
        let stored: Vec<_> = batch().into_iter().filter(|o| o.area.as_str() == "1489" && o.gender == Gender::Total).collect();
        store.write_batch(&stored).await.unwrap();
        let mut next = batch();
        next[0].value = Some(99.0);
        next.push(obs("1489", 2024, Gender::Total, Some(3.0)));
        let men_2015 = next.iter().position(|o| o.gender == Gender::Men).unwrap();
        next.retain(|o| o.gender != Gender::Men || o.period.get() == 2015);
        next[men_2015].deleted = true;
        let counts = store.write_batch(&next).await.unwrap();
        // 9 women, 1 man (tombstone), 1 national and 2024 are new; 2015 total is revised.
        assert_eq!((counts.inserted, counts.updated, counts.unchanged), (12, 1, 8));
        assert_eq!(observation_revision::Entity::find().all(store.connection()).await.unwrap().len(), 1);
        let digests = series_digest::Entity::find().all(store.connection()).await.unwrap();
        assert_eq!(digests.len(), 3, "total, women, national; the tombstoned men have none: {digests:?}");
        let d = store.digests(&[crate::helpers::n00090()], &crate::helpers::areas(&["1489", "0000"]), &[Gender::Total, Gender::Women]).await.unwrap();
        let total = d.iter().find(|d| d.area.as_str() == "1489" && d.gender == Gender::Total).unwrap();
        assert_eq!((total.points.len(), total.value_at(2015), total.value_at(2024)), (10, Some(99.0), Some(3.0)));
        let women = d.iter().find(|d| d.gender == Gender::Women).unwrap();
        assert_eq!((women.points.len(), women.value_at(2015)), (9, Some(8.5)));
        let national = d.iter().find(|d| d.area.as_str() == "0000").unwrap();
        assert_eq!((national.points[0].value, national.points[0].status.as_deref()), (None, Some("Missing")));
        // The read model's facts, kept beside the points.
        let row = digests.iter().find(|d| d.area_code == "1489" && d.gender == "T").unwrap();
        let facts = styrhub_domain::compact::SeriesFacts::of(&total.points);
        assert_eq!(facts.latest, Some((2024, 3.0)));
        assert_eq!(
            (row.latest_period, row.latest_value, row.previous_period, row.previous_value),
            (Some(2024), Some(3.0), facts.previous.map(|p| p.0), facts.previous.map(|p| p.1))
        );
        let again = store.write_batch(&next).await.unwrap();
        assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 21));
    }

    async fn an_indicator_s_observations_must_name_it_and_go_with_it(db: TestDb) {
        use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, ColumnTrait};
        use styrhub_store::entities::{indicator, observation};
        let store = db.store().await;
        styrhub_api::demo::load_all(&store, &crate::helpers::demo_dir()).await.unwrap();
        let id = indicator::Entity::find().one(store.connection()).await.unwrap().unwrap().id;
        let own = |indicator: i64| NewObservation { series: SeriesRef::Indicator(indicator), source: ValueSource::File, ..obs("1489", 2030, Gender::Total, Some(1.0)) };
        let counts = store.write_batch(&[own(id)]).await.unwrap();
        assert_eq!(counts.inserted, 1);
        let err = store.write_batch(&[own(id + 1_000_000)]).await.unwrap_err();
        assert!(err.to_string().to_lowercase().contains("foreign key"), "{err}");
        let of_it = || observation::Entity::find().filter(observation::Column::IndicatorId.eq(id)).count(store.connection());
        assert!(of_it().await.unwrap() >= 1);
        store.connection().execute_unprepared(&format!("DELETE FROM indicator WHERE id = {id}")).await.unwrap();
        assert_eq!(of_it().await.unwrap(), 0, "deleting an indicator deletes its observations");
    }

    async fn two_writers_at_once_on_the_same_series_lose_neither_rows_nor_digest_points(db: TestDb) {
        // Each writer reads what is stored of a series and writes the difference with the
        // digest built from it: without the writer lock (PostgreSQL) or the immediate
        // transaction (SQLite), one writer would digest a series from rows the other has just
        // changed, and the digest would lack the other's years.
        let store = db.store().await;
        let areas: Vec<String> = (0..40).map(|i| format!("{:04}", 1400 + i)).collect();
        let write = |years: std::ops::Range<i32>, value: f64| {
            let store = &store;
            let areas = &areas;
            async move {
                let mut inserted = 0;
                for year in years {
                    let b: Vec<_> = areas.iter().map(|a| obs(a, year, Gender::Total, Some(value))).collect();
                    inserted += store.write_batch(&b).await.unwrap().inserted;
                }
                inserted
            }
        };
        let (a, b) = tokio::join!(write(2000..2010, 1.0), write(2010..2020, 2.0));
        assert_eq!(a + b, 20 * 40);
        let codes: Vec<&str> = areas.iter().map(String::as_str).collect();
        let d = store.digests(&[crate::helpers::n00090()], &crate::helpers::areas(&codes), &[Gender::Total]).await.unwrap();
        assert_eq!(d.len(), 40);
        for digest in d {
            let years: Vec<i32> = digest.points.iter().map(|p| p.period).collect();
            assert_eq!(years, (2000..2020).collect::<Vec<_>>(), "{}", digest.area.as_str());
        }
    }
}

mod runs {
    use chrono::Utc;
    use styrhub_domain::ingest::{RunCounts, RunStatus};
    use styrhub_domain::ports::{RunLog, RUN_LEASE};

    use crate::helpers::both;

    both! {
        async fn a_run_left_running_by_a_killed_process_is_marked_failed_by_the_next(db: TestDb) {
            let store = db.store().await;
            let first = store.start_run("kolada", "{}", Utc::now()).await.unwrap();
            // The process dies here: no finish_run, no more heartbeats. The next run of the
            // source, once the lease has run out, cleans up.
            let later = Utc::now() + chrono::Duration::from_std(RUN_LEASE).unwrap() + chrono::Duration::seconds(1);
            let second = store.start_run("kolada", "{}", later).await.unwrap();
            store.finish_run(second, RunStatus::Succeeded, &RunCounts::default(), None, Utc::now()).await.unwrap();
            let runs = store.runs(10).await.unwrap();
            let dead = runs.iter().find(|r| r.id == first).unwrap();
            assert_eq!(dead.status, RunStatus::Failed);
            assert!(dead.error.as_deref().unwrap().contains("interrupted"));
            assert_eq!(store.last_success("kolada", "{}").await.unwrap().unwrap().id, second);
            assert!(store.last_success("kolada", "{\"other\":1}").await.unwrap().is_none());
        }
    }
}
