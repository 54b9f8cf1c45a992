//! Whole tables streamed from the database: one statement per export, its rows handed to the
//! caller's sink as they arrive, so that memory stays flat whatever the table's size and the
//! first row leaves before the last is read. Each table's SELECT lists its columns in the order
//! of [`Table::columns`], cast so that both databases give the same types (whole numbers as
//! BIGINT, decimals as DOUBLE PRECISION).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sea_orm::{DatabaseBackend, QueryResult, Statement, StreamTrait, Value};
use styrhub_domain::export::{Cell, ColumnKind, ExportFilter, RowSink, Table, TableExporter};
use styrhub_domain::RepoError;

use crate::db::repo_err;
use crate::Store;

/// A table's statement: the select list and joins, the conditions its filters add, its order.
struct Query {
    sql: String,
    values: Vec<Value>,
}

impl Query {
    fn new(backend: DatabaseBackend, select: &str) -> (Self, Placeholders) {
        (
            Self {
                sql: format!("{select} WHERE 1 = 1"),
                values: Vec::new(),
            },
            Placeholders(backend),
        )
    }

    /// Adds `condition`, in which `?` stands for `value`.
    fn and(&mut self, p: &Placeholders, condition: &str, value: impl Into<Value>) {
        self.values.push(value.into());
        let placeholder = p.nth(self.values.len());
        self.sql.push_str(" AND ");
        self.sql.push_str(&condition.replace('?', &placeholder));
    }
}

struct Placeholders(DatabaseBackend);

impl Placeholders {
    fn nth(&self, n: usize) -> String {
        match self.0 {
            DatabaseBackend::Postgres => format!("${n}"),
            _ => format!("?{n}"),
        }
    }
}

/// The municipality a row belongs to, by code: `m` is the municipality's root unit.
const MUNICIPALITY: &str = "m.municipality_code = ?";

fn statement(backend: DatabaseBackend, table: Table, f: &ExportFilter) -> Statement {
    let int = |e: &str| format!("CAST({e} AS BIGINT)");
    let num = |e: &str| format!("CAST({e} AS DOUBLE PRECISION)");
    let select = |columns: &[String], from: &str| format!("SELECT {} FROM {from}", columns.join(", "));
    let s = |e: &str| e.to_owned();
    let (mut q, p) = match table {
        Table::Observations => Query::new(
            backend,
            &select(
                &[
                    s("t.kpi_id"),
                    int("t.indicator_id"),
                    s("t.area_code"),
                    int("t.period"),
                    s("t.gender"),
                    num("t.value"),
                    s("t.status"),
                    s("t.source"),
                    s("t.updated_at"),
                ],
                "observation t",
            ),
        ),
        Table::Kpis => Query::new(
            backend,
            &select(
                &[
                    s("t.id"),
                    s("t.title"),
                    s("t.description"),
                    s("t.operating_area"),
                    s("t.municipality_type"),
                    s("t.is_divided_by_gender"),
                    s("t.publication_date"),
                ],
                "kpi t",
            ),
        ),
        Table::Areas => Query::new(backend, &select(&[s("t.code"), s("t.title"), s("t.area_type"), s("t.parent_code")], "area t")),
        Table::Municipalities => Query::new(
            backend,
            &select(&[int("t.id"), s("t.municipality_code"), s("t.name"), s("t.short_name")], "org_unit t"),
        ),
        Table::OrgUnits => Query::new(
            backend,
            &select(
                &[
                    int("t.id"),
                    s("m.municipality_code"),
                    int("t.parent_id"),
                    s("t.key"),
                    s("t.name"),
                    s("t.short_name"),
                    s("t.kind"),
                    s("t.kolada_ou_id"),
                ],
                "org_unit t JOIN org_unit m ON m.id = COALESCE(t.municipality_id, t.id)",
            ),
        ),
        Table::Goals => Query::new(
            backend,
            &select(
                &[
                    int("t.id"),
                    s("m.municipality_code"),
                    s("gm.key"),
                    s("t.key"),
                    s("t.title"),
                    s("t.kind"),
                    int("t.owner_id"),
                    int("t.focus_area_id"),
                    s("t.valid_from"),
                    s("t.valid_to"),
                    s("t.decision"),
                    int("t.position"),
                    s("t.archived"),
                ],
                "goal t JOIN org_unit m ON m.id = t.municipality_id JOIN governance_model gm ON gm.id = t.governance_model_id",
            ),
        ),
        Table::GoalEdges => Query::new(
            backend,
            &select(
                &[int("t.goal_id"), int("t.parent_id")],
                "goal_parent t JOIN goal g ON g.id = t.goal_id JOIN org_unit m ON m.id = g.municipality_id",
            ),
        ),
        Table::Indicators => Query::new(
            backend,
            &select(
                &[
                    int("t.id"),
                    s("m.municipality_code"),
                    s("t.key"),
                    s("t.title"),
                    s("t.kind"),
                    s("t.unit"),
                    s("t.direction"),
                    s("t.desired_text"),
                    s("t.kpi_id"),
                    int("t.owner_id"),
                    int("t.position"),
                ],
                "indicator t JOIN org_unit m ON m.id = t.municipality_id",
            ),
        ),
        Table::GoalIndicators => Query::new(
            backend,
            &select(
                &[int("t.indicator_id"), int("t.goal_id")],
                "indicator_goal t JOIN indicator i ON i.id = t.indicator_id JOIN org_unit m ON m.id = i.municipality_id",
            ),
        ),
        Table::Targets => Query::new(
            backend,
            &select(
                &[
                    int("t.id"),
                    int("t.indicator_id"),
                    s("t.area_code"),
                    int("t.period_from"),
                    int("t.period_to"),
                    s("t.kind"),
                    s("t.comparison"),
                    num("t.value"),
                    s("t.reference_area"),
                    s("t.note"),
                ],
                "target t JOIN indicator i ON i.id = t.indicator_id JOIN org_unit m ON m.id = i.municipality_id",
            ),
        ),
        Table::FollowUps => Query::new(
            backend,
            &select(
                &[
                    int("t.id"),
                    s("m.municipality_code"),
                    s("gm.key"),
                    s("t.kind"),
                    int("t.year"),
                    int("t.month"),
                    s("t.approved_at"),
                ],
                "follow_up t JOIN governance_model gm ON gm.id = t.governance_model_id JOIN org_unit m ON m.id = gm.municipality_id",
            ),
        ),
        Table::Assessments => Query::new(
            backend,
            &select(
                &[
                    int("t.id"),
                    int("t.follow_up_id"),
                    int("t.goal_id"),
                    s("t.assessment"),
                    s("t.forecast"),
                    s("t.analysis"),
                ],
                "goal_assessment t JOIN follow_up f ON f.id = t.follow_up_id \
                 JOIN governance_model gm ON gm.id = f.governance_model_id JOIN org_unit m ON m.id = gm.municipality_id",
            ),
        ),
        Table::Assignments => Query::new(
            backend,
            &select(
                &[
                    int("t.id"),
                    s("m.municipality_code"),
                    s("t.key"),
                    s("t.title"),
                    int("t.from_org_unit_id"),
                    int("t.to_org_unit_id"),
                    s("t.deadline"),
                    s("t.funding"),
                    num("t.funding_tkr"),
                    s("t.status"),
                    int("t.goal_id"),
                    s("t.result"),
                ],
                "assignment t JOIN org_unit m ON m.id = t.municipality_id",
            ),
        ),
        Table::Budgets => Query::new(
            backend,
            &select(
                &[
                    int("t.id"),
                    s("m.municipality_code"),
                    int("t.org_unit_id"),
                    int("t.year"),
                    s("t.kind"),
                    s("t.line"),
                    num("t.amount_tkr"),
                ],
                "budget t JOIN org_unit u ON u.id = t.org_unit_id JOIN org_unit m ON m.id = COALESCE(u.municipality_id, u.id)",
            ),
        ),
    };
    // Conditions every row of the table meets.
    match table {
        Table::Observations => q.sql.push_str(" AND t.deleted = false"),
        Table::Municipalities => q.sql.push_str(" AND t.municipality_code IS NOT NULL"),
        _ => {}
    }
    // The filters, each as the table reads it; `ExportFilter::check` refused the others.
    if let Some(code) = &f.municipality {
        let condition = if table == Table::Municipalities { "t.municipality_code = ?" } else { MUNICIPALITY };
        q.and(&p, condition, code.clone());
    }
    if let Some(kpi) = &f.kpi {
        let condition = if table == Table::Kpis { "t.id = ?" } else { "t.kpi_id = ?" };
        q.and(&p, condition, kpi.to_string());
    }
    if let Some(id) = f.indicator {
        let condition = match table {
            // An indicator with a KPI keeps its values as the KPI's series.
            Table::Observations => {
                "t.series_key = (SELECT CASE WHEN i.kpi_id IS NOT NULL THEN 'kpi:' || i.kpi_id \
                 ELSE 'indicator:' || CAST(i.id AS TEXT) END FROM indicator i WHERE i.id = ?)"
            }
            Table::Targets => "t.indicator_id = ?",
            _ => "t.id = ?",
        };
        q.and(&p, condition, id);
    }
    if let Some(area) = &f.area {
        let condition = if table == Table::Areas { "t.code = ?" } else { "t.area_code = ?" };
        q.and(&p, condition, area.to_string());
    }
    let (from, to) = match table {
        Table::Observations => ("t.period >= ?", "t.period <= ?"),
        // A target holds for a range of years: kept when the range meets the one asked for.
        Table::Targets => ("(t.period_to IS NULL OR t.period_to >= ?)", "t.period_from <= ?"),
        _ => ("t.year >= ?", "t.year <= ?"),
    };
    if let Some(y) = f.from {
        q.and(&p, from, y);
    }
    if let Some(y) = f.to {
        q.and(&p, to, y);
    }
    q.sql.push_str(match table {
        // The unique index's order: the database reads it in order, without a sort.
        Table::Observations => " ORDER BY t.series_key, t.area_code, t.period, t.gender",
        Table::Kpis => " ORDER BY t.id",
        Table::Areas => " ORDER BY t.code",
        Table::GoalEdges => " ORDER BY t.goal_id, t.parent_id",
        Table::GoalIndicators => " ORDER BY t.indicator_id, t.goal_id",
        _ => " ORDER BY t.id",
    });
    Statement::from_sql_and_values(backend, q.sql, q.values)
}

/// The cells of one row, read by the kinds of the table's columns.
fn cells(row: &QueryResult, table: Table) -> Result<Vec<Cell>, RepoError> {
    table
        .columns()
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let i = i as usize;
            Ok(match column.kind {
                ColumnKind::Text | ColumnKind::Date => {
                    match row.try_get_by_index::<Option<String>>(i) {
                        Ok(v) => v.map_or(Cell::Null, Cell::Text),
                        // PostgreSQL gives dates as dates.
                        Err(_) => row
                            .try_get_by_index::<Option<chrono::NaiveDate>>(i)
                            .map_err(repo_err)?
                            .map_or(Cell::Null, |d| Cell::Text(d.to_string())),
                    }
                }
                ColumnKind::Int => row.try_get_by_index::<Option<i64>>(i).map_err(repo_err)?.map_or(Cell::Null, Cell::Int),
                ColumnKind::Num => row.try_get_by_index::<Option<f64>>(i).map_err(repo_err)?.map_or(Cell::Null, Cell::Num),
                ColumnKind::Bool => row.try_get_by_index::<Option<bool>>(i).map_err(repo_err)?.map_or(Cell::Null, Cell::Bool),
                ColumnKind::Timestamp => row
                    .try_get_by_index::<Option<DateTime<Utc>>>(i)
                    .map_err(repo_err)?
                    .map_or(Cell::Null, |t| Cell::Text(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))),
            })
        })
        .collect()
}

#[async_trait]
impl TableExporter for Store {
    async fn export(&self, table: Table, filter: &ExportFilter, sink: &mut dyn RowSink) -> Result<u64, RepoError> {
        let stmt = statement(self.backend(), table, filter);
        let db = self.connection();
        let mut rows = db.stream_raw(stmt).await.map_err(repo_err)?;
        let mut n = 0u64;
        while let Some(row) = rows.next().await {
            let row = row.map_err(repo_err)?;
            if sink.row(cells(&row, table)?).await.is_err() {
                break;
            }
            n += 1;
        }
        Ok(n)
    }
}
