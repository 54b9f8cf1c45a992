//! Reading series and key-figure metadata: [`SeriesReader`] for the store.

use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, Order, QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait,
    Statement, Value,
};
use styrhub_domain::area_group::AreaGroup;
use styrhub_domain::compact::{decode, value_at};
use styrhub_domain::goal::text_matches;
use styrhub_domain::ids::{AreaCode, Gender, IndicatorId, KpiId};
use styrhub_domain::kpi::{Area, AreaFilter, GroupFigure, GroupRank, GroupSpec, Kpi, KpiFilter, Membership};
use styrhub_domain::observation::SeriesRef;
use styrhub_domain::page::{Page, PageRequest};
use styrhub_domain::ports::SeriesReader;
use styrhub_domain::rules::status::Kept;
use styrhub_domain::series::{KpiSeriesView, ReferencedDigest, SeriesDigest};
use styrhub_domain::RepoError;

use crate::any_of::{any_of_texts, in_text_list, text_list};
use crate::db::repo_err;
use crate::entities::{area, area_group_member, kpi, series_digest};
use crate::governance::{convert, MAX_IN};
use crate::keyset::{self, ListOrder};
use crate::warm::Plan;
use crate::Store;

#[async_trait]
impl SeriesReader for Store {
    async fn digests(&self, series: &[SeriesRef], areas: &[AreaCode], genders: &[Gender]) -> Result<Vec<SeriesDigest>, RepoError> {
        if series.is_empty() || areas.is_empty() || genders.is_empty() {
            return Ok(Vec::new());
        }
        let genders: Vec<&str> = genders.iter().map(|g| g.code()).collect();
        let keys = Keys::of(series);
        let mut out = Vec::new();
        for chunk in keys.texts.chunks(MAX_IN) {
            // Only what a digest is made of, decoded by position: a goal tree reads thousands.
            let stmt = series_digest::Entity::find()
                .select_only()
                .columns([
                    series_digest::Column::SeriesKey,
                    series_digest::Column::AreaCode,
                    series_digest::Column::Gender,
                    series_digest::Column::Points,
                ])
                .filter(any_of_texts(self.backend(), series_digest::Column::SeriesKey, chunk))
                .filter(any_of_texts(self.backend(), series_digest::Column::AreaCode, areas))
                .filter(series_digest::Column::Gender.is_in(genders.iter().copied()))
                .build(self.backend());
            // Every series request reads here: on a kept connection (see `warm`).
            for row in self.fetch_warm(&stmt, Plan::for_list(chunk.len())).await.map_err(repo_err)? {
                let series_key: String = row.try_get_by_index(0).map_err(repo_err)?;
                let area: String = row.try_get_by_index(1).map_err(repo_err)?;
                let gender: String = row.try_get_by_index(2).map_err(repo_err)?;
                let points: Option<Vec<u8>> = row.try_get_by_index(3).map_err(repo_err)?;
                out.push(digest_from_parts(keys.series(&series_key)?, &area, &gender, points.as_deref())?);
            }
        }
        Ok(out)
    }

    async fn kept_statuses(&self, indicators: &[IndicatorId], area: &AreaCode) -> Result<Vec<(IndicatorId, Kept)>, RepoError> {
        crate::statuses::kept(self, indicators, area).await
    }

    async fn digests_with_references(&self, series: &[SeriesRef], area: &AreaCode) -> Result<Vec<ReferencedDigest>, RepoError> {
        if series.is_empty() {
            return Ok(Vec::new());
        }
        let keys = Keys::of(series);
        let backend = self.backend();
        // Numbered on both: `own` appears twice.
        let (key_list, own) = match backend {
            DatabaseBackend::Postgres => ("$1", "$2"),
            _ => ("?1", "?2"),
        };
        // One row per series and reference area that has a series (or one with nulls): both
        // sides are look-ups of the digests' unique index, and the reference's value for the
        // series' latest period is taken from its compact points here. The read model holds
        // what this needs; the observation table (a look-up per series in a far larger index)
        // is not read.
        // The reference areas are those the area's relative targets name (`reference_area` is
        // set for those only), found here rather than from the targets the caller reads at the
        // same time: a few codes, so an area with targets against several references gets a
        // row for each, and the caller uses those its targets name. On PostgreSQL they are
        // gathered once into an array (an init plan) and compared with `= ANY`, which keeps
        // them in the look-up of the index; a plain subquery there became a semi-join per
        // series. The long key list is unnested (see `any_of`).
        let reference_in = match backend {
            DatabaseBackend::Postgres => format!(
                "= ANY(ARRAY(SELECT DISTINCT t.reference_area FROM target t \
                 WHERE t.area_code = {own} AND t.reference_area IS NOT NULL))"
            ),
            _ => format!("IN (SELECT t.reference_area FROM target t WHERE t.area_code = {own} AND t.reference_area IS NOT NULL)"),
        };
        let sql = format!(
            "SELECT d.series_key, d.points, r.area_code AS reference_area, r.points AS reference_points \
             FROM series_digest d LEFT JOIN series_digest r ON r.series_key = d.series_key AND r.area_code {reference_in} \
             AND r.gender = d.gender \
             WHERE d.series_key {} AND d.area_code = {own} AND d.gender = 'T'",
            in_text_list(backend, key_list),
        );
        let values = [text_list(backend, &keys.texts), Value::from(area.as_str())];
        let rows = self
            .fetch_warm(
                &Statement::from_sql_and_values(backend, sql, values),
                Plan::for_list(keys.texts.len()),
            )
            .await
            .map_err(repo_err)?;
        // Rows of one series need not be adjacent: grouped by position, no sort in SQL.
        let mut out: Vec<ReferencedDigest> = Vec::with_capacity(series.len());
        let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::with_capacity(series.len());
        // The few reference areas, each parsed once.
        let mut references: Vec<AreaCode> = Vec::new();
        for row in rows {
            let series_key: String = row.try_get_by_index(0).map_err(repo_err)?;
            let n = match at.get(&series_key) {
                Some(n) => *n,
                None => {
                    let points: Option<Vec<u8>> = row.try_get_by_index(1).map_err(repo_err)?;
                    at.insert(series_key.clone(), out.len());
                    out.push(ReferencedDigest {
                        digest: digest_from_parts(keys.series(&series_key)?, area.as_str(), Gender::Total.code(), points.as_deref())?,
                        references: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            let reference: Option<String> = row.try_get_by_index(2).map_err(repo_err)?;
            let Some(reference) = reference else { continue };
            let code = match references.iter().find(|a| a.as_str() == reference) {
                Some(code) => code.clone(),
                None => {
                    let code = AreaCode::parse(&reference)
                        .map_err(|e| RepoError::Internal(format!("a target's reference area {reference:?} is not an area code: {e}")))?;
                    references.push(code.clone());
                    code
                }
            };
            let Some(latest) = out[n].digest.latest().map(|p| p.period) else {
                continue;
            };
            let points: Option<Vec<u8>> = row.try_get_by_index(3).map_err(repo_err)?;
            // Only the one period is read, in place (the reference's series is not decoded).
            let value = value_at(points.as_deref().unwrap_or_default(), latest).map_err(|e| {
                RepoError::Internal(format!(
                    "series_digest ({series_key}, {reference}) holds points the code cannot read: {e}"
                ))
            })?;
            // As the observation row of that period: a missing value (null) is a reference of
            // no value; no point at all is no reference.
            if let Some(value) = value {
                out[n].references.push((code, value));
            }
        }
        Ok(out)
    }

    async fn kpi_series(&self, kpi: &KpiId, areas: &[AreaCode], genders: &[Gender]) -> Result<KpiSeriesView, RepoError> {
        let stmt = kpi_series_statement(self.connection().get_database_backend(), kpi, areas, genders);
        // The busiest read of the API: on a kept connection (see `warm`).
        let rows = self.fetch_warm(&stmt, Plan::for_list(areas.len())).await.map_err(repo_err)?;
        let mut view = KpiSeriesView::default();
        let mut municipalities = Vec::new();
        for row in rows {
            match row.try_get::<i32>("", "part").map_err(repo_err)? {
                PART_TITLES => {
                    view.title = text(&row, "a")?;
                    view.indicator_title = text(&row, "b")?;
                }
                PART_AREA => view.areas.push(Area {
                    code: required(&row, "a")?,
                    title: required(&row, "b")?,
                    area_type: required(&row, "c")?,
                    parent: text(&row, "d")?,
                }),
                PART_MUNICIPALITY => municipalities.push(Area {
                    code: required(&row, "a")?,
                    title: required(&row, "b")?,
                    area_type: "K".into(),
                    parent: None,
                }),
                _ => {
                    let (area, gender): (String, String) = (required(&row, "a")?, required(&row, "b")?);
                    let points: Option<Vec<u8>> = row.try_get("", "e").map_err(repo_err)?;
                    view.digests
                        .push(digest_from_parts(SeriesRef::Kpi(kpi.clone()), &area, &gender, points.as_deref())?);
                }
            }
        }
        // A stored area names itself; the hub's own municipality names one that is not stored.
        for m in municipalities {
            if !view.areas.iter().any(|a| a.code == m.code) {
                view.areas.push(m);
            }
        }
        Ok(view)
    }

    async fn kpis(&self, filter: &KpiFilter) -> Result<Vec<Kpi>, RepoError> {
        let all: Vec<Kpi> = convert(
            KpiKey::sort(kpi::Entity::find().filter(kpi_condition(filter)), &Order::Asc)
                .all(self.connection())
                .await
                .map_err(repo_err)?,
        )?;
        Ok(all.into_iter().filter(|k| kpi_matches(filter, k)).collect())
    }

    async fn kpis_page(&self, filter: &KpiFilter, page: &PageRequest) -> Result<Page<Kpi>, RepoError> {
        let keep = filter
            .text
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty())
            .then_some(|k: &Kpi| kpi_matches(filter, k));
        keyset::page::<Kpi, KpiKey, _, _>(self.connection(), kpi_condition(filter), convert::<kpi::Model, Kpi>, keep, page).await
    }

    async fn areas_by_codes(&self, codes: &[AreaCode]) -> Result<Vec<Area>, RepoError> {
        convert(
            area::Entity::find()
                .filter(area::Column::Code.is_in(codes.iter().map(AreaCode::as_str)))
                .all(self.connection())
                .await
                .map_err(repo_err)?,
        )
    }

    async fn group_members(&self, group: &AreaCode, year: i32) -> Result<Option<Vec<AreaCode>>, RepoError> {
        let rows = area_group_member::Entity::find()
            .filter(area_group_member::Column::GroupCode.eq(group.as_str()))
            .order_by_asc(area_group_member::Column::MemberCode)
            .all(self.connection())
            .await
            .map_err(repo_err)?;
        if rows.is_empty() {
            return Ok(None);
        }
        let members = rows
            .into_iter()
            .map(|r| Membership::from(&r))
            .filter(|m| m.holds_in(year))
            .map(|m| AreaCode::parse(&m.member).map_err(|e| RepoError::Internal(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(members))
    }

    async fn group_figures(
        &self,
        series: &SeriesRef,
        group: &GroupSpec,
        gender: Gender,
        from: Option<i32>,
        to: Option<i32>,
    ) -> Result<Vec<GroupFigure>, RepoError> {
        group_figures(self.connection(), series, group, gender, from, to).await
    }

    async fn group_ranks(
        &self,
        series: &SeriesRef,
        group: &GroupSpec,
        gender: Gender,
        area: &AreaCode,
        higher_first: bool,
        from: Option<i32>,
        to: Option<i32>,
    ) -> Result<Vec<GroupRank>, RepoError> {
        let backend = self.backend();
        let p = |n: usize| match backend {
            DatabaseBackend::Postgres => format!("${n}"),
            _ => format!("?{n}"),
        };
        let texts = |codes: &[AreaCode]| codes.iter().map(|a| a.as_str().to_owned()).collect::<Vec<String>>();
        let mut values: Vec<Value> = vec![
            series.key().into(),
            gender.code().into(),
            text_list(backend, &texts(&group.areas)),
            text_list(backend, &texts(&group.stored)),
            area.as_str().into(),
        ];
        let mut range = String::new();
        for (bound, op) in [(from, ">="), (to, "<=")] {
            if let Some(year) = bound {
                values.push(year.into());
                range.push_str(&format!(" AND a.period {op} {}", p(values.len())));
            }
        }
        // The area's value of each period against the values of that period's members: those
        // better come before it; the area counts itself once, member or not.
        let better = if higher_first { ">" } else { "<" };
        let sql = format!(
            "SELECT a.period, a.value, \
               (SELECT COUNT(*) FROM observation g WHERE g.series_key = a.series_key AND g.gender = a.gender \
                  AND g.period = a.period AND g.deleted = false AND g.value IS NOT NULL AND g.area_code <> a.area_code \
                  AND g.value {better} a.value AND {member}) AS better, \
               (SELECT COUNT(*) FROM observation g WHERE g.series_key = a.series_key AND g.gender = a.gender \
                  AND g.period = a.period AND g.deleted = false AND g.value IS NOT NULL AND g.area_code <> a.area_code \
                  AND {member}) AS others \
             FROM observation a \
             WHERE a.series_key = {} AND a.gender = {} AND a.area_code = {} AND a.deleted = false AND a.value IS NOT NULL{range} \
             ORDER BY a.period",
            p(1),
            p(2),
            p(5),
            member = format!(
                "(g.area_code {} OR EXISTS (SELECT 1 FROM area_group_member m WHERE m.member_code = g.area_code \
                 AND m.group_code {} AND m.valid_from <= g.period AND (m.valid_to IS NULL OR g.period <= m.valid_to)))",
                in_text_list(backend, &p(3)),
                in_text_list(backend, &p(4)),
            ),
        );
        let rows = self
            .connection()
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .map_err(repo_err)?;
        rows.iter()
            .map(|row| {
                let better: i64 = row.try_get("", "better").map_err(repo_err)?;
                let others: i64 = row.try_get("", "others").map_err(repo_err)?;
                Ok(GroupRank {
                    period: row.try_get("", "period").map_err(repo_err)?,
                    value: row.try_get("", "value").map_err(repo_err)?,
                    rank: better as u64 + 1,
                    of: others as u64 + 1,
                })
            })
            .collect()
    }

    async fn area_groups(&self, owner: Option<&str>) -> Result<Vec<AreaGroup>, RepoError> {
        crate::groups::read(self.connection(), None, owner).await
    }

    async fn area_group(&self, code: &AreaCode) -> Result<Option<AreaGroup>, RepoError> {
        Ok(crate::groups::read(self.connection(), Some(code.as_str()), None).await?.pop())
    }

    async fn areas_page(&self, filter: &AreaFilter, fallbacks: &[Area], page: &PageRequest) -> Result<Page<Area>, RepoError> {
        if page.backward() {
            return Err(RepoError::Invalid(styrhub_domain::DomainError::new(
                "before",
                "areas are paged forward only",
            )));
        }
        let keep = filter
            .text
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty())
            .then_some(|a: &Area| filter.matches(a));
        let stored =
            keyset::page::<Area, AreaKey, _, _>(self.connection(), area_condition(filter), convert::<area::Model, Area>, keep, page)
                .await?;
        // The fallbacks are few (a hub's municipalities and the country): matched in Rust, and
        // dropped where a matching stored area has the code (one look-up of their codes).
        let matching: Vec<&Area> = fallbacks.iter().filter(|a| filter.matches(a)).collect();
        let codes: Vec<AreaCode> = matching.iter().filter_map(|a| AreaCode::parse(&a.code).ok()).collect();
        let shadowed: std::collections::HashSet<String> = if codes.is_empty() {
            Default::default()
        } else {
            self.areas_by_codes(&codes)
                .await?
                .into_iter()
                .filter(|a| filter.matches(a))
                .map(|a| a.code)
                .collect()
        };
        let mut fallbacks: Vec<&Area> = matching.into_iter().filter(|a| !shadowed.contains(&a.code)).collect();
        fallbacks.sort_by(|a, b| a.code.cmp(&b.code));
        fallbacks.dedup_by(|a, b| a.code == b.code);
        let total = stored.total.map(|n| n + fallbacks.len());
        let after = page.after.as_ref().map(|c| AreaKey::parse(c, "after")).transpose()?;
        // The page's first `size` of the stored page and the fallbacks past the cursor: a stored
        // area beyond the stored page sorts after all of that page, so none is missed.
        let size = page.size();
        let mut items = stored.items;
        items.extend(
            fallbacks
                .into_iter()
                .filter(|a| after.as_ref().is_none_or(|k| a.code > k.0))
                .map(|a| (AreaKey::of(a).cursor(), a.clone())),
        );
        items.sort_by(|(_, a), (_, b)| a.code.cmp(&b.code));
        let has_next = stored.has_next || items.len() > size;
        items.truncate(size);
        Ok(Page {
            items,
            has_previous: stored.has_previous,
            has_next,
            total,
        })
    }
}

/// The SQL part of an area filter: the types and the parent.
fn area_condition(filter: &AreaFilter) -> sea_orm::Condition {
    let mut cond = sea_orm::Condition::all();
    if let Some(types) = &filter.types {
        cond = cond.add(area::Column::AreaType.is_in(types.iter().map(String::as_str)));
    }
    if let Some(parent) = &filter.parent {
        cond = cond.add(area::Column::ParentCode.eq(parent.as_str()));
    }
    cond
}

/// An area's place in the list (by code): what its cursor holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct AreaKey(String);

impl ListOrder<Area> for AreaKey {
    type Entity = area::Entity;

    fn columns() -> Vec<sea_orm::sea_query::Expr> {
        vec![sea_orm::sea_query::Expr::col(area::Column::Code)]
    }

    fn of(a: &Area) -> Self {
        Self(a.code.clone())
    }

    fn values(&self) -> Vec<sea_orm::sea_query::Expr> {
        vec![sea_orm::sea_query::Expr::val(self.0.clone())]
    }
}

/// The series keys asked for as stored text, and back: a read binds the text and maps each
/// row's key to the series it was asked as, without parsing it again.
struct Keys<'a> {
    texts: Vec<String>,
    by_text: std::collections::HashMap<String, &'a SeriesRef>,
}

impl<'a> Keys<'a> {
    fn of(series: &'a [SeriesRef]) -> Self {
        let texts: Vec<String> = series.iter().map(SeriesRef::key).collect();
        let by_text = texts.iter().cloned().zip(series).collect();
        Self { texts, by_text }
    }

    fn series(&self, key: &str) -> Result<SeriesRef, RepoError> {
        self.by_text
            .get(key)
            .map(|s| (*s).clone())
            .ok_or_else(|| RepoError::Internal(format!("series_digest answered series `{key}`, which was not asked for")))
    }
}

/// A digest from its stored columns.
pub(crate) fn digest_from_parts(series: SeriesRef, area: &str, gender: &str, points: Option<&[u8]>) -> Result<SeriesDigest, RepoError> {
    let corrupt = |e: &dyn std::fmt::Display| {
        RepoError::Internal(format!(
            "series_digest ({}, {area}, {gender}) holds a value the code cannot read: {e}",
            series.key()
        ))
    };
    Ok(SeriesDigest {
        area: AreaCode::parse(area).map_err(|e| corrupt(&e))?,
        gender: Gender::parse(gender).map_err(|e| corrupt(&e))?,
        points: decode(points.ok_or_else(|| corrupt(&"no points"))?).map_err(|e| corrupt(&e))?,
        series,
    })
}

/// The parts of the [`SeriesReader::kpi_series`] statement, told apart by its `part` column.
const PART_TITLES: i32 = 0;
const PART_AREA: i32 = 1;
const PART_DIGEST: i32 = 2;
const PART_MUNICIPALITY: i32 = 3;

/// One statement for a KPI series answer: a row of titles (the KPI's, the first indicator's),
/// a row per stored area, a row per digest. Three reads in one round trip: on a loaded server a
/// round trip costs the database and the pool more than the index look-ups themselves. The
/// columns are text in every part (`a`…`d`), so that both databases accept the union; the
/// digest's compact points come in `e`, binary, null in the other parts.
fn kpi_series_statement(backend: DatabaseBackend, kpi: &KpiId, areas: &[AreaCode], genders: &[Gender]) -> Statement {
    let mut values: Vec<Value> = Vec::new();
    let mut param = |v: Value| {
        values.push(v);
        match backend {
            DatabaseBackend::Postgres => format!("${}", values.len()),
            _ => "?".to_owned(),
        }
    };
    let id = param(kpi.to_string().into());
    let id_again = param(kpi.to_string().into());
    let area_list = |param: &mut dyn FnMut(Value) -> String| areas.iter().map(|a| param(a.as_str().into())).collect::<Vec<_>>().join(", ");
    let stored_areas = area_list(&mut param);
    let municipality_areas = area_list(&mut param);
    let key = param(SeriesRef::Kpi(kpi.clone()).key().into());
    let digest_areas = area_list(&mut param);
    let gender_list = genders.iter().map(|g| param(g.code().into())).collect::<Vec<_>>().join(", ");
    // An empty IN list is not SQL: no areas or genders ask for no rows of that part.
    let in_or_none = |list: String| {
        if list.is_empty() {
            "(NULL)".to_owned()
        } else {
            format!("({list})")
        }
    };
    // PostgreSQL types a union's columns branch by branch, from the left: the first branch
    // names the binary type, or two untyped nulls would make `e` text.
    let binary = match backend {
        DatabaseBackend::Postgres => "bytea",
        _ => "blob",
    };
    let sql = format!(
        "SELECT {PART_TITLES} AS \"part\", \
             (SELECT \"title\" FROM \"kpi\" WHERE \"id\" = {id}) AS \"a\", \
             (SELECT \"title\" FROM \"indicator\" WHERE \"kpi_id\" = {id_again} \
                ORDER BY \"municipality_id\", \"position\", \"key\" LIMIT 1) AS \"b\", \
             NULL AS \"c\", NULL AS \"d\", CAST(NULL AS {binary}) AS \"e\" \
         UNION ALL \
         SELECT {PART_AREA}, \"code\", \"title\", \"area_type\", \"parent_code\", NULL FROM \"area\" \
             WHERE \"code\" IN {} \
         UNION ALL \
         SELECT {PART_MUNICIPALITY}, \"municipality_code\", \"name\", NULL, NULL, NULL FROM \"org_unit\" \
             WHERE \"kind\" = 'municipality' AND \"municipality_code\" IN {} \
         UNION ALL \
         SELECT {PART_DIGEST}, \"area_code\", \"gender\", NULL, NULL, \"points\" FROM \"series_digest\" \
             WHERE \"series_key\" = {key} AND \"area_code\" IN {} AND \"gender\" IN {}",
        in_or_none(stored_areas),
        in_or_none(municipality_areas),
        in_or_none(digest_areas),
        in_or_none(gender_list),
    );
    Statement::from_sql_and_values(backend, sql, values)
}

fn text(row: &QueryResult, column: &str) -> Result<Option<String>, RepoError> {
    row.try_get::<Option<String>>("", column).map_err(repo_err)
}

fn required(row: &QueryResult, column: &str) -> Result<String, RepoError> {
    text(row, column)?.ok_or_else(|| RepoError::Internal(format!("the series statement gave no `{column}`")))
}

/// The SQL part of a KPI filter: the ids.
fn kpi_condition(filter: &KpiFilter) -> sea_orm::Condition {
    let mut cond = sea_orm::Condition::all();
    if let Some(ids) = &filter.ids {
        cond = cond.add(kpi::Column::Id.is_in(ids.iter().map(String::as_str)));
    }
    cond
}

/// The part of a KPI filter matched in Rust: the free text (see `text_matches`).
fn kpi_matches(filter: &KpiFilter, k: &Kpi) -> bool {
    filter
        .text
        .as_deref()
        .is_none_or(|t| text_matches(t, &[Some(&k.id), Some(&k.title)]))
}

/// A KPI's place in the catalogue (by id): what its cursor holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct KpiKey(String);

impl ListOrder<Kpi> for KpiKey {
    type Entity = kpi::Entity;

    fn columns() -> Vec<sea_orm::sea_query::Expr> {
        vec![sea_orm::sea_query::Expr::col(kpi::Column::Id)]
    }

    fn of(k: &Kpi) -> Self {
        Self(k.id.clone())
    }

    fn values(&self) -> Vec<sea_orm::sea_query::Expr> {
        vec![sea_orm::sea_query::Expr::val(self.0.clone())]
    }
}

/// The figures of `group` for `series`, period by period, on `c` (a connection or a writer's
/// transaction): its members' mean, median, lowest and highest value, computed by the database.
pub(crate) async fn group_figures<C: ConnectionTrait>(
    c: &C,
    series: &SeriesRef,
    group: &GroupSpec,
    gender: Gender,
    from: Option<i32>,
    to: Option<i32>,
) -> Result<Vec<GroupFigure>, RepoError> {
    let backend = c.get_database_backend();
    let p = |n: usize| match backend {
        DatabaseBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    };
    let texts = |codes: &[AreaCode]| codes.iter().map(|a| a.as_str().to_owned()).collect::<Vec<String>>();
    let (stored, listed) = (texts(&group.stored), texts(&group.areas));
    let mut values: Vec<Value> = vec![
        series.key().into(),
        gender.code().into(),
        text_list(backend, &listed),
        text_list(backend, &stored),
    ];
    // Which observations belong: the listed areas, and the members of the stored groups
    // of the observation's own year.
    let member_filter = format!(
        " AND (o.area_code {} OR EXISTS (SELECT 1 FROM area_group_member m WHERE m.member_code = o.area_code \
         AND m.group_code {} AND m.valid_from <= o.period AND (m.valid_to IS NULL OR o.period <= m.valid_to)))",
        in_text_list(backend, &p(3)),
        in_text_list(backend, &p(4)),
    );
    let mut range = String::new();
    for (bound, op) in [(from, ">="), (to, "<=")] {
        if let Some(year) = bound {
            values.push(year.into());
            range.push_str(&format!(" AND o.period {op} {}", p(values.len())));
        }
    }
    // The median in portable SQL: each period's values numbered in order, and the one or
    // two in the middle averaged.
    let sql = format!(
        "SELECT period, COUNT(*) AS n, AVG(value) AS mean, MIN(value) AS lo, MAX(value) AS hi, \
         AVG(CASE WHEN rn IN ((c + 1) / 2, (c + 2) / 2) THEN value END) AS median \
         FROM (SELECT o.period, o.value, \
               ROW_NUMBER() OVER (PARTITION BY o.period ORDER BY o.value) AS rn, \
               COUNT(*) OVER (PARTITION BY o.period) AS c \
               FROM observation o \
               WHERE o.series_key = {} AND o.gender = {} AND o.deleted = false AND o.value IS NOT NULL{member_filter}{range}) t \
         GROUP BY period ORDER BY period",
        p(1),
        p(2),
    );
    let rows = c
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map_err(repo_err)?;
    // How many members each period had: the listed areas and the stored groups' members
    // of that period, each once.
    let memberships: Vec<Membership> = if stored.is_empty() {
        Vec::new()
    } else {
        area_group_member::Entity::find()
            .filter(area_group_member::Column::GroupCode.is_in(stored.iter().map(String::as_str)))
            .all(c)
            .await
            .map_err(repo_err)?
            .iter()
            .map(Membership::from)
            .collect()
    };
    let members_in = |year: i32| -> u64 {
        let mut all: std::collections::BTreeSet<&str> = listed.iter().map(String::as_str).collect();
        all.extend(memberships.iter().filter(|m| m.holds_in(year)).map(|m| m.member.as_str()));
        all.len() as u64
    };
    rows.iter()
        .map(|row| {
            let period: i32 = row.try_get("", "period").map_err(repo_err)?;
            let n: i64 = row.try_get("", "n").map_err(repo_err)?;
            Ok(GroupFigure {
                period,
                members: members_in(period),
                with_value: n as u64,
                mean: row.try_get("", "mean").map_err(repo_err)?,
                median: row.try_get("", "median").map_err(repo_err)?,
                min: row.try_get("", "lo").map_err(repo_err)?,
                max: row.try_get("", "hi").map_err(repo_err)?,
            })
        })
        .collect()
}
