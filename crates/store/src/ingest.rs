//! Ingest support: key-figure metadata upserts ([`MetadataWriter`]) and the run log
//! ([`RunLog`]).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement,
};
use styrhub_domain::access::Author;
use styrhub_domain::ingest::{IngestRun, RunCounts, RunStatus};
use styrhub_domain::kpi::{membership_change, Area, Kpi, Membership};
use styrhub_domain::observation::WriteCounts;
use styrhub_domain::ports::{MetadataWriter, RunLog, RUN_LEASE};
use styrhub_domain::RepoError;

use crate::access::record;
use crate::db::repo_err;
use crate::entities::{area, area_group_member, ingest_run, kpi};
use crate::governance::MAX_IN;
use crate::Store;

/// A run as the audit log shows it.
fn run_state(r: &ingest_run::Model) -> serde_json::Value {
    serde_json::json!({
        "source": r.source,
        "parameters": r.parameters,
        "status": r.status,
        "started_at": r.started_at,
        "finished_at": r.finished_at,
        "requests": r.requests,
        "pages": r.pages,
        "fetched": r.fetched,
        "inserted": r.inserted,
        "updated": r.updated,
        "unchanged": r.unchanged,
        "failed": r.failed,
        "removed": r.removed,
        "error": r.error,
    })
}

/// Rows per multi-row INSERT: well under the bind-parameter limits.
const CHUNK: usize = 500;

/// A KPI batch larger than this is a catalogue: its write reads every stored KPI at once.
const CATALOGUE: usize = 1_000;

fn kpi_row(k: &Kpi) -> kpi::Model {
    kpi::Model {
        id: k.id.clone(),
        title: k.title.clone(),
        description: k.description.clone(),
        operating_area: k.operating_area.clone(),
        municipality_type: k.municipality_type.clone(),
        is_divided_by_gender: k.is_divided_by_gender,
        publication_date: k.publication_date.clone(),
    }
}

fn area_row(a: &Area) -> area::Model {
    area::Model {
        code: a.code.clone(),
        title: a.title.clone(),
        area_type: a.area_type.clone(),
        parent_code: a.parent.clone(),
    }
}

/// Which stored KPI rows a write may change.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Overwrite {
    /// Every row that differs ([`MetadataWriter::upsert_kpis`]).
    Any,
    /// Only rows without a description ([`MetadataWriter::fill_kpis`]).
    Undescribed,
}

/// Upserts KPI metadata in one transaction: reads the stored rows of the batch's ids, inserts
/// the new ones in multi-row statements and updates those that differ (and that `overwrite`
/// allows). A catalogue of 6,000 KPIs is a handful of statements, not one per row: the demo
/// loads it in every test that loads the demo.
async fn write_kpis(store: &Store, kpis: &[Kpi], overwrite: Overwrite) -> Result<WriteCounts, RepoError> {
    let wanted: BTreeMap<String, kpi::Model> = kpis.iter().map(|k| (k.id.clone(), kpi_row(k))).collect();
    let txn = crate::db::begin_write(store.connection()).await?;
    let ids: Vec<&String> = wanted.keys().collect();
    let mut stored = BTreeMap::new();
    if ids.len() > CATALOGUE {
        // A whole catalogue: every stored row, without a list of thousands of ids to bind.
        for row in kpi::Entity::find().all(&txn).await.map_err(repo_err)? {
            stored.insert(row.id.clone(), row);
        }
    } else {
        for chunk in ids.chunks(MAX_IN) {
            for row in kpi::Entity::find()
                .filter(kpi::Column::Id.is_in(chunk.iter().map(|s| s.as_str())))
                .all(&txn)
                .await
                .map_err(repo_err)?
            {
                stored.insert(row.id.clone(), row);
            }
        }
    }
    let mut counts = WriteCounts::default();
    let mut inserts = Vec::new();
    for (id, row) in wanted {
        match stored.get(&id) {
            None => {
                counts.inserted += 1;
                inserts.push(row);
            }
            Some(old) if *old == row => counts.unchanged += 1,
            Some(old) if overwrite == Overwrite::Undescribed && old.description.is_some() => counts.unchanged += 1,
            Some(_) => {
                counts.updated += 1;
                kpi::ActiveModel::from(row).reset_all().update(&txn).await.map_err(repo_err)?;
            }
        }
    }
    let backend = txn.get_database_backend();
    for chunk in inserts.chunks(CHUNK) {
        // A plain multi-row INSERT: sea-orm's builder costs more than the database does here.
        let mut sql = String::from(
            "INSERT INTO kpi (id, title, description, operating_area, municipality_type, is_divided_by_gender, publication_date) VALUES ",
        );
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 7);
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..7 {
                if c > 0 {
                    sql.push_str(", ");
                }
                match backend {
                    DatabaseBackend::Postgres => sql.push_str(&format!("${}", i * 7 + c + 1)),
                    _ => sql.push('?'),
                }
            }
            sql.push(')');
            values.extend([
                r.id.clone().into(),
                r.title.clone().into(),
                r.description.clone().into(),
                r.operating_area.clone().into(),
                r.municipality_type.clone().into(),
                r.is_divided_by_gender.into(),
                r.publication_date.clone().into(),
            ]);
        }
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .map_err(repo_err)?;
    }
    txn.commit().await.map_err(repo_err)?;
    Ok(counts)
}

#[async_trait]
impl MetadataWriter for Store {
    async fn upsert_kpis(&self, kpis: &[Kpi]) -> Result<WriteCounts, RepoError> {
        write_kpis(self, kpis, Overwrite::Any).await
    }

    async fn fill_kpis(&self, kpis: &[Kpi]) -> Result<WriteCounts, RepoError> {
        write_kpis(self, kpis, Overwrite::Undescribed).await
    }

    async fn upsert_areas(&self, areas: &[Area]) -> Result<WriteCounts, RepoError> {
        let wanted: BTreeMap<String, area::Model> = areas.iter().map(|a| (a.code.clone(), area_row(a))).collect();
        let txn = crate::db::begin_write(self.connection()).await?;
        let codes: Vec<&String> = wanted.keys().collect();
        let mut stored = BTreeMap::new();
        for chunk in codes.chunks(MAX_IN) {
            for row in area::Entity::find()
                .filter(area::Column::Code.is_in(chunk.iter().map(|s| s.as_str())))
                .all(&txn)
                .await
                .map_err(repo_err)?
            {
                stored.insert(row.code.clone(), row);
            }
        }
        let mut counts = WriteCounts::default();
        let mut inserts = Vec::new();
        for (code, row) in wanted {
            match stored.get(&code) {
                None => {
                    counts.inserted += 1;
                    inserts.push(area::ActiveModel::from(row));
                }
                Some(old) if *old == row => counts.unchanged += 1,
                Some(_) => {
                    counts.updated += 1;
                    area::ActiveModel::from(row).reset_all().update(&txn).await.map_err(repo_err)?;
                }
            }
        }
        for chunk in inserts.chunks(CHUNK) {
            area::Entity::insert_many(chunk.to_vec())
                .on_conflict(OnConflict::column(area::Column::Code).do_nothing().to_owned())
                .exec_without_returning(&txn)
                .await
                .map_err(repo_err)?;
        }
        txn.commit().await.map_err(repo_err)?;
        Ok(counts)
    }

    async fn upsert_kolada_groups(&self, groups: &[(String, String)]) -> Result<WriteCounts, RepoError> {
        self.upsert_kolada_groups_rows(groups).await
    }

    async fn define_group(
        &self,
        by: &styrhub_domain::access::Author,
        group: &styrhub_domain::area_group::GroupDefinition,
    ) -> Result<styrhub_domain::area_group::AreaGroup, RepoError> {
        self.define_group_as(by, group).await
    }

    async fn sync_group_members(&self, group: &str, members: &[String], year: i32) -> Result<WriteCounts, RepoError> {
        let txn = crate::db::begin_write(self.connection()).await?;
        let rows = area_group_member::Entity::find()
            .filter(area_group_member::Column::GroupCode.eq(group))
            .all(&txn)
            .await
            .map_err(repo_err)?;
        let stored: Vec<Membership> = rows.iter().map(Membership::from).collect();
        let change = membership_change(&stored, members, year);
        let row_of = |member: &str, from: i32| rows.iter().find(|r| r.member_code == member && r.valid_from == from);
        for (member, from) in &change.remove {
            if let Some(r) = row_of(member, *from) {
                area_group_member::Entity::delete_by_id(r.id).exec(&txn).await.map_err(repo_err)?;
            }
        }
        for (member, from) in &change.close {
            if let Some(r) = row_of(member, *from) {
                area_group_member::Entity::update_many()
                    .col_expr(area_group_member::Column::ValidTo, Expr::value(Some(year - 1)))
                    .filter(area_group_member::Column::Id.eq(r.id))
                    .exec(&txn)
                    .await
                    .map_err(repo_err)?;
            }
        }
        for m in &change.open {
            area_group_member::ActiveModel {
                id: NotSet,
                group_code: Set(group.to_owned()),
                member_code: Set(m.member.clone()),
                valid_from: Set(m.valid_from),
                valid_to: Set(m.valid_to),
            }
            .insert(&txn)
            .await
            .map_err(repo_err)?;
        }
        if !(change.open.is_empty() && change.close.is_empty() && change.remove.is_empty()) {
            // Means of the group, and so targets relative to it, change with its members.
            crate::statuses::mark_groups(&txn, &[group]).await?;
            crate::statuses::judge_marked(&txn, Utc::now()).await?;
        }
        txn.commit().await.map_err(repo_err)?;
        let open_before = stored.iter().filter(|m| m.valid_to.is_none()).count() as u64;
        let ended = (change.close.len() + change.remove.len()) as u64;
        Ok(WriteCounts {
            inserted: change.open.len() as u64,
            updated: ended,
            unchanged: open_before - ended,
        })
    }
}

fn run_from_row(r: ingest_run::Model) -> Result<IngestRun, RepoError> {
    let n = |v: i64| v.max(0) as u64;
    Ok(IngestRun {
        status: RunStatus::parse(&r.status).map_err(|e| RepoError::Internal(format!("ingest_run {}: {e}", r.id)))?,
        counts: RunCounts {
            requests: n(r.requests),
            pages: n(r.pages),
            fetched: n(r.fetched),
            written: WriteCounts {
                inserted: n(r.inserted),
                updated: n(r.updated),
                unchanged: n(r.unchanged),
            },
            failed: n(r.failed),
            removed: n(r.removed),
        },
        id: r.id,
        source: r.source,
        parameters: r.parameters,
        started_at: r.started_at,
        finished_at: r.finished_at,
        error: r.error,
    })
}

#[async_trait]
impl RunLog for Store {
    async fn start_run(&self, source: &str, parameters: &str, at: DateTime<Utc>) -> Result<i64, RepoError> {
        let txn = crate::db::begin_write(self.connection()).await?;
        // Only runs whose process has gone quiet: no heartbeat within the lease (or, recorded
        // before heartbeats were, started before it). A live run in another process stays.
        let quiet_since = at - chrono::Duration::from_std(RUN_LEASE).map_err(|e| RepoError::Internal(e.to_string()))?;
        ingest_run::Entity::update_many()
            .col_expr(ingest_run::Column::Status, Expr::value(RunStatus::Failed.as_str()))
            .col_expr(
                ingest_run::Column::Error,
                Expr::value("interrupted: the process ended before the run finished"),
            )
            .col_expr(ingest_run::Column::FinishedAt, Expr::value(at))
            .filter(ingest_run::Column::Source.eq(source))
            .filter(ingest_run::Column::Status.eq(RunStatus::Running.as_str()))
            .filter(
                Condition::any().add(ingest_run::Column::HeartbeatAt.lt(quiet_since)).add(
                    Condition::all()
                        .add(ingest_run::Column::HeartbeatAt.is_null())
                        .add(ingest_run::Column::StartedAt.lt(quiet_since)),
                ),
            )
            .exec(&txn)
            .await
            .map_err(repo_err)?;
        let row = ingest_run::ActiveModel {
            id: NotSet,
            source: Set(source.to_owned()),
            parameters: Set(parameters.to_owned()),
            started_at: Set(at),
            finished_at: Set(None),
            status: Set(RunStatus::Running.as_str().to_owned()),
            requests: Set(0),
            pages: Set(0),
            fetched: Set(0),
            inserted: Set(0),
            updated: Set(0),
            unchanged: Set(0),
            failed: Set(0),
            error: Set(None),
            heartbeat_at: Set(Some(at)),
            removed: Set(0),
        }
        .insert(&txn)
        .await
        .map_err(repo_err)?;
        txn.commit().await.map_err(repo_err)?;
        Ok(row.id)
    }

    async fn heartbeat(&self, id: i64, at: DateTime<Utc>) -> Result<(), RepoError> {
        ingest_run::Entity::update_many()
            .col_expr(ingest_run::Column::HeartbeatAt, Expr::value(at))
            .filter(ingest_run::Column::Id.eq(id))
            .filter(ingest_run::Column::Status.eq(RunStatus::Running.as_str()))
            .exec(self.connection())
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn finish_run(
        &self,
        id: i64,
        status: RunStatus,
        counts: &RunCounts,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let n = |v: u64| v.min(i64::MAX as u64) as i64;
        // The run's end and its audit entry commit together: one entry per run (as the system,
        // with the run's id and counts), not one per value it wrote. Its pages committed as
        // they went, each with the run's id on its revisions.
        let txn = crate::db::begin_write(self.connection()).await?;
        let row = ingest_run::Entity::find_by_id(id)
            .one(&txn)
            .await
            .map_err(repo_err)?
            .ok_or_else(|| RepoError::NotFound(format!("ingest run {id}")))?;
        let source = row.source.clone();
        let before = run_state(&row);
        let mut am: ingest_run::ActiveModel = row.into();
        am.status = Set(status.as_str().to_owned());
        am.finished_at = Set(Some(at));
        am.requests = Set(n(counts.requests));
        am.pages = Set(n(counts.pages));
        am.fetched = Set(n(counts.fetched));
        am.inserted = Set(n(counts.written.inserted));
        am.updated = Set(n(counts.written.updated));
        am.unchanged = Set(n(counts.written.unchanged));
        am.failed = Set(n(counts.failed));
        am.removed = Set(n(counts.removed));
        am.error = Set(error.map(str::to_owned));
        let row = am.update(&txn).await.map_err(repo_err)?;
        let by = Author::system(&format!("ingest {source}"));
        record(&txn, &by, "finishIngestRun", "ingest_run", id, Some(before), Some(run_state(&row))).await?;
        txn.commit().await.map_err(repo_err)?;
        Ok(())
    }

    async fn last_success(&self, source: &str, parameters: &str) -> Result<Option<IngestRun>, RepoError> {
        ingest_run::Entity::find()
            .filter(ingest_run::Column::Source.eq(source))
            .filter(ingest_run::Column::Parameters.eq(parameters))
            .filter(ingest_run::Column::Status.eq(RunStatus::Succeeded.as_str()))
            .order_by_desc(ingest_run::Column::StartedAt)
            .one(self.connection())
            .await
            .map_err(repo_err)?
            .map(run_from_row)
            .transpose()
    }

    async fn runs(&self, limit: u64) -> Result<Vec<IngestRun>, RepoError> {
        ingest_run::Entity::find()
            .order_by_desc(ingest_run::Column::StartedAt)
            .order_by_desc(ingest_run::Column::Id)
            .limit(limit)
            .all(self.connection())
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(run_from_row)
            .collect()
    }
}
