//! Indicator statuses kept at write time (migration `m20261203_000016_indicator_status`): each
//! indicator judged for its municipality and for every area one of its targets names, period
//! by period, each period as the series stood then (its value against the target that held,
//! its trend up to then). What the OData `Statuses` set and the `statuses` export read, in
//! SQL.
//!
//! Writers mark what they change ([`mark_series`], [`mark_indicators`], [`mark_groups`],
//! [`mark_municipality`]) in their own transaction, and [`judge_marked`] judges every marked
//! indicator again from what is stored, with the domain's rule
//! ([`indicator_status`](styrhub_domain::rules::status::indicator_status)), the one REST and
//! GraphQL judge with. The governance writers judge inside their transaction; the bulk
//! observation writer, whose transaction runs on the drivers below sea-orm, marks inside it and
//! has [`Store::judge_stale_statuses`] judge right after its commit. A mark that a crash left
//! is judged at the next start ([`Store::migrate`](crate::Store::migrate)).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect, Statement, Value};
use styrhub_domain::ids::IndicatorId;
use styrhub_domain::ids::{AreaCode, Gender};
use styrhub_domain::indicator::Indicator;
use styrhub_domain::kpi::GroupSpec;
use styrhub_domain::observation::SeriesRef;
use styrhub_domain::observation::ValueSource;
use styrhub_domain::rules::evaluate::Reference;
use styrhub_domain::rules::evaluate::TargetStatus;
use styrhub_domain::rules::status::{indicator_status, IndicatorStatus, Kept};
use styrhub_domain::rules::trend::{Trend, TrendKind};
use styrhub_domain::series::{Point, SeriesDigest};
use styrhub_domain::target::{Target, TargetRule};
use styrhub_domain::RepoError;

use crate::bulk::WRITER_LOCK;
use crate::db::repo_err;
use crate::entities::{indicator, indicator_status, org_unit, series_digest, target};
use crate::governance::MAX_IN;
use crate::Store;

/// Rows per INSERT: 13 values each, well under both databases' bind limits.
const INSERT_ROWS: usize = 500;

/// `n` placeholders from the `first`th, comma-separated, as `backend` writes them.
fn placeholders(backend: DatabaseBackend, first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| match backend {
            DatabaseBackend::Postgres => format!("${i}"),
            _ => format!("?{i}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `INSERT INTO status_stale … SELECT … WHERE <condition>`, `condition` holding `{}` for
/// the placeholders of `values`, chunk by chunk; returns how many indicators it marked.
async fn mark<C: ConnectionTrait>(c: &C, condition: &str, values: Vec<Value>) -> Result<u64, RepoError> {
    let backend = c.get_database_backend();
    let mut marked = 0;
    for chunk in values.chunks(MAX_IN) {
        let sql = format!(
            "INSERT INTO status_stale (indicator_id) SELECT i.id FROM indicator i WHERE {} \
             ON CONFLICT (indicator_id) DO NOTHING",
            condition.replace("{}", &placeholders(backend, 1, chunk.len()))
        );
        marked += c
            .execute_raw(Statement::from_sql_and_values(backend, sql, chunk.to_vec()))
            .await
            .map_err(repo_err)?
            .rows_affected();
    }
    Ok(marked)
}

/// The KPIs and the indicators (of their own values) of stored series keys (`kpi:…`,
/// `indicator:…`), each once: whose indicators a change of those series marks.
pub(crate) fn series_owners<'a>(series: impl IntoIterator<Item = &'a str>) -> (Vec<String>, Vec<i64>) {
    let (mut kpis, mut own) = (BTreeSet::new(), BTreeSet::new());
    for key in series {
        match key.split_once(':') {
            Some(("kpi", k)) => kpis.insert(k.to_owned()),
            Some(("indicator", id)) => id.parse::<i64>().is_ok_and(|id| own.insert(id)),
            _ => false,
        };
    }
    (kpis.into_iter().collect(), own.into_iter().collect())
}

/// Marks the indicators whose values are `series` (stored keys).
pub(crate) async fn mark_series<'a, C: ConnectionTrait>(c: &C, series: impl IntoIterator<Item = &'a str>) -> Result<u64, RepoError> {
    let (kpis, own) = series_owners(series);
    let mut marked = 0;
    if !kpis.is_empty() {
        marked += mark(c, "i.kpi_id IN ({})", kpis.into_iter().map(Value::from).collect()).await?;
    }
    if !own.is_empty() {
        marked += mark(c, "i.kpi_id IS NULL AND i.id IN ({})", own.into_iter().map(Value::from).collect()).await?;
    }
    Ok(marked)
}

/// Marks `indicators` (their targets changed).
pub(crate) async fn mark_indicators<C: ConnectionTrait>(c: &C, indicators: &[i64]) -> Result<u64, RepoError> {
    if indicators.is_empty() {
        return Ok(0);
    }
    mark(c, "i.id IN ({})", indicators.iter().copied().map(Value::from).collect()).await
}

/// Marks the indicators with a target relative to one of `groups` (their members or title
/// changed).
pub(crate) async fn mark_groups<C: ConnectionTrait>(c: &C, groups: &[&str]) -> Result<u64, RepoError> {
    if groups.is_empty() {
        return Ok(0);
    }
    let values = groups.iter().map(|g| Value::from(*g)).collect();
    mark(
        c,
        "i.id IN (SELECT t.indicator_id FROM target t WHERE t.reference_area IN ({}))",
        values,
    )
    .await
}

/// Marks every indicator of a municipality (its package was loaded).
pub(crate) async fn mark_municipality<C: ConnectionTrait>(c: &C, municipality_id: i64) -> Result<u64, RepoError> {
    mark(c, "i.municipality_id IN ({})", vec![municipality_id.into()]).await
}

/// Judges every marked indicator again and takes the marks away; on `c`, a transaction (the
/// caller's, or [`Store::judge_stale_statuses`]'s). Returns how many indicators were judged.
pub(crate) async fn judge_marked<C: ConnectionTrait>(c: &C, now: DateTime<Utc>) -> Result<usize, RepoError> {
    let backend = c.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        // In turn with the observation writers: what is judged is what they committed.
        c.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT pg_advisory_xact_lock($1)",
            [WRITER_LOCK.into()],
        ))
        .await
        .map_err(repo_err)?;
    }
    // A write first: on SQLite it takes the database's write lock before anything is read.
    let claimed = c
        .query_all_raw(Statement::from_string(backend, "DELETE FROM status_stale RETURNING indicator_id"))
        .await
        .map_err(repo_err)?;
    let mut ids: Vec<i64> = claimed
        .iter()
        .map(|r| r.try_get_by_index::<i64>(0))
        .collect::<Result<_, _>>()
        .map_err(repo_err)?;
    ids.sort_unstable();
    for chunk in ids.chunks(INSERT_ROWS) {
        judge(c, chunk, now).await?;
    }
    Ok(ids.len())
}

/// One status row.
struct Row {
    indicator_id: i64,
    area: AreaCode,
    period: i32,
    latest: bool,
    /// The judged point.
    point: Point,
    status: IndicatorStatus,
}

/// Judges `ids` and replaces their stored statuses.
async fn judge<C: ConnectionTrait>(c: &C, ids: &[i64], now: DateTime<Utc>) -> Result<(), RepoError> {
    let indicators: Vec<Indicator> = indicator::Entity::find()
        .filter(indicator::Column::Id.is_in(ids.iter().copied()))
        .all(c)
        .await
        .map_err(repo_err)?
        .into_iter()
        .map(Indicator::try_from)
        .collect::<Result<_, _>>()?;
    let municipality_ids: BTreeSet<i64> = indicators.iter().map(|i| i.municipality_id).collect();
    let codes: HashMap<i64, AreaCode> = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(municipality_ids))
        .all(c)
        .await
        .map_err(repo_err)?
        .into_iter()
        .filter_map(|u| Some((u.id, AreaCode::parse(u.municipality_code.as_deref()?).ok()?)))
        .collect();
    let mut targets: HashMap<i64, Vec<Target>> = HashMap::new();
    for t in target::Entity::find()
        .filter(target::Column::IndicatorId.is_in(ids.iter().copied()))
        .all(c)
        .await
        .map_err(repo_err)?
    {
        let t = Target::try_from(t)?;
        targets.entry(t.indicator_id).or_default().push(t);
    }

    // What each indicator is judged for, and which values that takes: its areas' series and
    // the reference areas' (a group's mean is computed by the database, below).
    let mut judged: Vec<(&Indicator, Vec<AreaCode>)> = Vec::new();
    let (mut keys, mut areas, mut groups) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for i in &indicators {
        let mut own: BTreeSet<AreaCode> = codes.get(&i.municipality_id).cloned().into_iter().collect();
        for t in targets.get(&i.id).into_iter().flatten() {
            own.insert(t.area.clone());
            if let TargetRule::Relative { reference_area, .. } = &t.rule {
                if reference_area.is_group() {
                    groups.insert((i.series(), reference_area.clone()));
                } else {
                    areas.insert(reference_area.as_str().to_owned());
                }
            }
        }
        keys.insert(i.series().key());
        areas.extend(own.iter().map(|a| a.as_str().to_owned()));
        judged.push((i, own.into_iter().collect()));
    }
    let mut digests: HashMap<(String, AreaCode), SeriesDigest> = HashMap::new();
    let areas: Vec<String> = areas.into_iter().collect();
    for key_chunk in keys.into_iter().collect::<Vec<_>>().chunks(MAX_IN / 2) {
        for area_chunk in areas.chunks(MAX_IN / 2) {
            let rows: Vec<(String, String, String, Option<Vec<u8>>)> = series_digest::Entity::find()
                .select_only()
                .columns([
                    series_digest::Column::SeriesKey,
                    series_digest::Column::AreaCode,
                    series_digest::Column::Gender,
                    series_digest::Column::Points,
                ])
                .filter(series_digest::Column::SeriesKey.is_in(key_chunk.iter().cloned()))
                .filter(series_digest::Column::AreaCode.is_in(area_chunk.iter().cloned()))
                .filter(series_digest::Column::Gender.eq(Gender::Total.code()))
                .into_tuple()
                .all(c)
                .await
                .map_err(repo_err)?;
            for (key, area, gender, points) in rows {
                let series = SeriesRef::parse(&key).map_err(|e| RepoError::Internal(e.to_string()))?;
                let d = crate::series::digest_from_parts(series, &area, &gender, points.as_deref())?;
                digests.insert((key, d.area.clone()), d);
            }
        }
    }
    let mut means: HashMap<(String, AreaCode), HashMap<i32, f64>> = HashMap::new();
    let mut titles: HashMap<AreaCode, String> = HashMap::new();
    for (series, group) in groups {
        if !titles.contains_key(&group) {
            if let Some(g) = crate::groups::read(c, Some(group.as_str()), None).await?.pop() {
                titles.insert(group.clone(), g.title);
            }
        }
        let spec = GroupSpec {
            stored: vec![group.clone()],
            areas: Vec::new(),
        };
        let figures = crate::series::group_figures(c, &series, &spec, Gender::Total, None, None).await?;
        means.insert((series.key(), group), figures.into_iter().map(|f| (f.period, f.mean)).collect());
    }

    let mut rows = Vec::new();
    for (i, own_areas) in judged {
        let key = i.series().key();
        let none = Vec::new();
        let targets = targets.get(&i.id).unwrap_or(&none);
        let reference = |a: &AreaCode, p: i32| -> Option<Reference> {
            if a.is_group() {
                let value = *means.get(&(key.clone(), a.clone()))?.get(&p)?;
                let title = titles.get(a).cloned().unwrap_or_else(|| a.to_string());
                return Some(Reference { value, group: Some(title) });
            }
            digests.get(&(key.clone(), a.clone()))?.value_at(p).map(Reference::area)
        };
        for area in own_areas {
            let Some(own) = digests.get(&(key.clone(), area.clone())) else {
                continue;
            };
            let judged: Vec<&Point> = own.points.iter().filter(|p| p.value.is_some()).collect();
            for (n, point) in judged.iter().enumerate() {
                // The series as it stood in the point's period: its latest value, the
                // previous one and the trend are that year's.
                let cut = SeriesDigest {
                    points: own.points.iter().filter(|p| p.period <= point.period).cloned().collect(),
                    ..own.clone()
                };
                rows.push(Row {
                    indicator_id: i.id,
                    area: area.clone(),
                    period: point.period,
                    latest: n + 1 == judged.len(),
                    point: (*point).clone(),
                    status: indicator_status(i.direction, targets, &area, Some(&cut), reference),
                });
            }
        }
    }

    write(c, ids, rows, now).await
}

impl Row {
    fn model(&self, now: DateTime<Utc>) -> indicator_status::Model {
        let s = &self.status;
        indicator_status::Model {
            indicator_id: self.indicator_id,
            area_code: self.area.as_str().to_owned(),
            period: self.period,
            status: s.status.as_str().to_owned(),
            value: s.value,
            source: self.point.source.as_str().to_owned(),
            value_status: self.point.status.clone(),
            target_id: s.target_id,
            trend: s.trend.kind.as_str().to_owned(),
            trend_since: s.trend.since,
            trend_change: s.trend.change,
            explanation: s.explanation.clone(),
            explanation_sv: s.explanation_sv.clone(),
            latest: self.latest,
            updated_at: now,
        }
    }
}

/// Replaces the stored statuses of `ids` with `rows`: the rows that differ upserted, the ones
/// no longer judged deleted. A row judged again to the same verdict is left as it is, so its
/// `updated_at` says when the verdict last changed, and a re-run writes nothing.
async fn write<C: ConnectionTrait>(c: &C, ids: &[i64], rows: Vec<Row>, now: DateTime<Utc>) -> Result<(), RepoError> {
    use indicator_status::Column as S;
    let key = |m: &indicator_status::Model| (m.indicator_id, m.area_code.clone(), m.period);
    let mut old: HashMap<(i64, String, i32), indicator_status::Model> = indicator_status::Entity::find()
        .filter(S::IndicatorId.is_in(ids.iter().copied()))
        .all(c)
        .await
        .map_err(repo_err)?
        .into_iter()
        .map(|m| (key(&m), m))
        .collect();
    let mut changed = Vec::new();
    for r in &rows {
        let new = r.model(now);
        if old.remove(&key(&new)).is_none_or(|o| !o.says_as(&new)) {
            changed.push(new);
        }
    }
    // What is left of the stored rows is no longer judged (a value or a target's area gone).
    for (indicator_id, area, period) in old.into_keys() {
        indicator_status::Entity::delete_many()
            .filter(S::IndicatorId.eq(indicator_id))
            .filter(S::AreaCode.eq(area))
            .filter(S::Period.eq(period))
            .exec(c)
            .await
            .map_err(repo_err)?;
    }
    for chunk in changed.chunks(INSERT_ROWS) {
        let models = chunk.iter().cloned().map(indicator_status::ActiveModel::from);
        indicator_status::Entity::insert_many(models)
            .on_conflict(
                OnConflict::columns([S::IndicatorId, S::AreaCode, S::Period])
                    .update_columns([
                        S::Status,
                        S::Value,
                        S::Source,
                        S::ValueStatus,
                        S::TargetId,
                        S::Trend,
                        S::TrendSince,
                        S::TrendChange,
                        S::Explanation,
                        S::ExplanationSv,
                        S::Latest,
                        S::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(c)
            .await
            .map_err(repo_err)?;
    }
    Ok(())
}

/// The latest verdicts kept for `indicators` and `area` ([`SeriesReader::kept_statuses`]): one
/// statement, the indicators' list bound as one value (see `crate::any_of`), each verdict one
/// look-up of the statuses' key.
///
/// [`SeriesReader::kept_statuses`]: styrhub_domain::ports::SeriesReader::kept_statuses
pub(crate) async fn kept(store: &Store, indicators: &[IndicatorId], area: &AreaCode) -> Result<Vec<(IndicatorId, Kept)>, RepoError> {
    if indicators.is_empty() {
        return Ok(Vec::new());
    }
    let backend = store.backend();
    let (ids, code) = match backend {
        DatabaseBackend::Postgres => ("SELECT unnest(CAST($1 AS int8[]))", "$2"),
        _ => ("SELECT value FROM json_each(?1)", "?2"),
    };
    let list = match backend {
        DatabaseBackend::Postgres => {
            let texts: Vec<String> = indicators.iter().map(|i| i.0.to_string()).collect();
            Value::from(format!("{{{}}}", texts.join(",")))
        }
        _ => Value::from(format!(
            "[{}]",
            indicators.iter().map(|i| i.0.to_string()).collect::<Vec<_>>().join(",")
        )),
    };
    // Kept (1) for the municipality and the areas of the indicator's targets, unless a mark
    // says a write has yet to be judged: then the caller judges the series, as it stands.
    let sql = format!(
        "SELECT i.id, CASE WHEN EXISTS (SELECT 1 FROM status_stale x WHERE x.indicator_id = i.id) THEN 0 \
           WHEN m.municipality_code = {code} THEN 1 \
           WHEN EXISTS (SELECT 1 FROM target t WHERE t.indicator_id = i.id AND t.area_code = {code}) THEN 1 ELSE 0 END, \
           s.period, s.status, s.value, s.source, s.value_status, s.target_id, s.trend, s.trend_since, s.trend_change, \
           s.explanation, s.explanation_sv \
         FROM indicator i JOIN org_unit m ON m.id = i.municipality_id \
         LEFT JOIN indicator_status s ON s.indicator_id = i.id AND s.area_code = {code} AND s.latest = true \
         WHERE i.id IN ({ids})"
    );
    let stmt = Statement::from_sql_and_values(backend, sql, [list, Value::from(area.as_str())]);
    let rows = store
        .fetch_warm(&stmt, crate::warm::Plan::for_list(indicators.len()))
        .await
        .map_err(repo_err)?;
    let corrupt = |what: &str, id: i64| RepoError::Internal(format!("indicator_status ({id}, {area}) holds {what} the code cannot read"));
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let get = |e| repo_err(e);
        let id: i64 = r.try_get_by_index(0).map_err(get)?;
        let kept: i32 = r.try_get_by_index(1).map_err(get)?;
        let period: Option<i32> = r.try_get_by_index(2).map_err(get)?;
        let kept = match (kept, period) {
            (0, _) => Kept::NotKept,
            (_, None) => Kept::NoValue,
            (_, Some(period)) => {
                let status: String = r.try_get_by_index(3).map_err(get)?;
                let value: Option<f64> = r.try_get_by_index(4).map_err(get)?;
                let source: String = r.try_get_by_index(5).map_err(get)?;
                let trend: String = r.try_get_by_index(8).map_err(get)?;
                Kept::Judged {
                    status: IndicatorStatus {
                        status: TargetStatus::parse(&status).ok_or_else(|| corrupt("a verdict", id))?,
                        explanation: r.try_get_by_index(11).map_err(get)?,
                        explanation_sv: r.try_get_by_index(12).map_err(get)?,
                        period: Some(period),
                        value,
                        target_id: r.try_get_by_index(7).map_err(get)?,
                        trend: Trend {
                            kind: TrendKind::parse(&trend).ok_or_else(|| corrupt("a trend", id))?,
                            since: r.try_get_by_index(9).map_err(get)?,
                            change: r.try_get_by_index(10).map_err(get)?,
                        },
                    },
                    latest: Point {
                        period,
                        value,
                        status: r.try_get_by_index(6).map_err(get)?,
                        source: ValueSource::parse(&source).map_err(|_| corrupt("a source", id))?,
                    },
                }
            }
        };
        out.push((IndicatorId(id), kept));
    }
    Ok(out)
}

impl Store {
    /// Judges the indicators marked stale, in a transaction of its own: after the bulk
    /// writer's commit, and at start-up for marks a crash left. Returns how many were judged.
    pub async fn judge_stale_statuses(&self) -> Result<usize, RepoError> {
        let c = self.connection();
        let any = Statement::from_string(c.get_database_backend(), "SELECT 1 FROM status_stale LIMIT 1");
        if c.query_one_raw(any).await.map_err(repo_err)?.is_none() {
            return Ok(0);
        }
        let txn = crate::db::begin_write(self.connection()).await?;
        let judged = judge_marked(&txn, Utc::now()).await?;
        txn.commit().await.map_err(repo_err)?;
        Ok(judged)
    }
}
