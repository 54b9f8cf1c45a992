//! Whole tables from the database: streamed (one statement per export, its rows handed to the
//! caller's sink as they arrive, so that memory stays flat whatever the table's size and the
//! first row leaves before the last is read), or a page at a time for the OData service (the
//! conditions, order, key-set and count all in SQL). Each table's SELECT lists its columns in the order
//! of [`Table::columns`], cast so that both databases give the same types (whole numbers as
//! BIGINT, decimals as DOUBLE PRECISION).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, StreamTrait, Value};
use styrhub_domain::export::{Cell, CmpOp, ColumnKind, ExportFilter, Expr, Literal, PageQuery, RowSink, Table, TableExporter};
use styrhub_domain::observation::SeriesRef;
use styrhub_domain::RepoError;

use crate::db::repo_err;
use crate::Store;

/// The municipality a row belongs to, by code: `m` is the municipality's root unit.
const MUNICIPALITY: &str = "m.municipality_code = ?";

/// A table as SQL: its FROM (with joins), the SQL of each column in [`Table::columns`] order,
/// and what every row meets.
struct Def {
    from: &'static str,
    columns: Vec<String>,
    always: Option<&'static str>,
}

fn def(table: Table) -> Def {
    let int = |e: &str| format!("CAST({e} AS BIGINT)");
    let num = |e: &str| format!("CAST({e} AS DOUBLE PRECISION)");
    let s = |e: &str| e.to_owned();
    let (from, columns, always) = match table {
        Table::Observations => (
            "observation t",
            vec![
                int("t.id"),
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
            Some("t.deleted = false"),
        ),
        Table::Kpis => (
            "kpi t",
            vec![
                s("t.id"),
                s("t.title"),
                s("t.description"),
                s("t.operating_area"),
                s("t.municipality_type"),
                s("t.is_divided_by_gender"),
                s("t.publication_date"),
            ],
            None,
        ),
        Table::Areas => (
            "area t",
            vec![s("t.code"), s("t.title"), s("t.area_type"), s("t.parent_code")],
            None,
        ),
        Table::Municipalities => (
            "org_unit t",
            vec![int("t.id"), s("t.municipality_code"), s("t.name"), s("t.short_name")],
            Some("t.municipality_code IS NOT NULL"),
        ),
        Table::OrgUnits => (
            "org_unit t JOIN org_unit m ON m.id = COALESCE(t.municipality_id, t.id)",
            vec![
                int("t.id"),
                s("m.municipality_code"),
                int("t.parent_id"),
                s("t.key"),
                s("t.name"),
                s("t.short_name"),
                s("t.kind"),
                s("t.kolada_ou_id"),
            ],
            None,
        ),
        Table::Goals => (
            "goal t JOIN org_unit m ON m.id = t.municipality_id JOIN governance_model gm ON gm.id = t.governance_model_id",
            vec![
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
            None,
        ),
        Table::GoalEdges => (
            "goal_parent t JOIN goal g ON g.id = t.goal_id JOIN org_unit m ON m.id = g.municipality_id",
            vec![int("t.goal_id"), int("t.parent_id")],
            None,
        ),
        Table::Indicators => (
            "indicator t JOIN org_unit m ON m.id = t.municipality_id",
            vec![
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
            None,
        ),
        Table::GoalIndicators => (
            "indicator_goal t JOIN indicator i ON i.id = t.indicator_id JOIN org_unit m ON m.id = i.municipality_id",
            vec![int("t.indicator_id"), int("t.goal_id")],
            None,
        ),
        Table::Targets => (
            "target t JOIN indicator i ON i.id = t.indicator_id JOIN org_unit m ON m.id = i.municipality_id",
            vec![
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
            None,
        ),
        Table::FollowUps => (
            "follow_up t JOIN governance_model gm ON gm.id = t.governance_model_id JOIN org_unit m ON m.id = gm.municipality_id",
            vec![
                int("t.id"),
                s("m.municipality_code"),
                s("gm.key"),
                s("t.kind"),
                int("t.year"),
                int("t.month"),
                s("t.approved_at"),
            ],
            None,
        ),
        Table::Assessments => (
            "goal_assessment t JOIN follow_up f ON f.id = t.follow_up_id \
             JOIN governance_model gm ON gm.id = f.governance_model_id JOIN org_unit m ON m.id = gm.municipality_id",
            vec![
                int("t.id"),
                int("t.follow_up_id"),
                int("t.goal_id"),
                s("t.assessment"),
                s("t.forecast"),
                s("t.analysis"),
            ],
            None,
        ),
        Table::Assignments => (
            "assignment t JOIN org_unit m ON m.id = t.municipality_id",
            vec![
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
            None,
        ),
        Table::Budgets => (
            "budget t JOIN org_unit u ON u.id = t.org_unit_id JOIN org_unit m ON m.id = COALESCE(u.municipality_id, u.id)",
            vec![
                int("t.id"),
                s("m.municipality_code"),
                int("t.org_unit_id"),
                int("t.year"),
                s("t.kind"),
                s("t.line"),
                num("t.amount_tkr"),
            ],
            None,
        ),
        Table::Statuses => (
            "indicator_status t JOIN indicator i ON i.id = t.indicator_id JOIN org_unit m ON m.id = i.municipality_id",
            vec![
                int("t.indicator_id"),
                s("t.area_code"),
                int("t.period"),
                s("m.municipality_code"),
                s("t.status"),
                num("t.value"),
                int("t.target_id"),
                s("t.trend"),
                int("t.trend_since"),
                num("t.trend_change"),
                s("t.explanation"),
                s("t.explanation_sv"),
                s("t.latest"),
                s("t.updated_at"),
            ],
            None,
        ),
    };
    debug_assert_eq!(columns.len(), table.columns().len(), "{}", table.name());
    Def { from, columns, always }
}

/// The stored column of a key property (see [`PageQuery::key`]).
fn key_column(table: Table, property: &str) -> String {
    match (table, property) {
        (Table::Observations | Table::Statuses, "area") => "t.area_code".to_owned(),
        _ => format!("t.{property}"),
    }
}

/// A statement being written: its SQL and the values its placeholders stand for.
struct Sql {
    backend: DatabaseBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// A placeholder for `value`.
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => format!("?{}", self.values.len()),
        }
    }

    /// Adds `condition`, in which `?` stands for `value`.
    fn and(&mut self, condition: &str, value: impl Into<Value>) {
        let placeholder = self.bind(value);
        self.text.push_str(" AND ");
        self.text.push_str(&condition.replace('?', &placeholder));
    }

    fn literal(&mut self, l: &Literal) -> String {
        match l {
            Literal::Null => "NULL".to_owned(),
            Literal::Text(s) => self.bind(s.clone()),
            Literal::Int(n) => self.bind(*n),
            Literal::Num(x) => self.bind(*x),
            Literal::Bool(b) => self.bind(*b),
            Literal::Date(d) => self.bind(d.to_string()),
            Literal::Timestamp(t) => self.bind(*t),
        }
    }

    /// A column as a condition compares it: dates as their text (YYYY-MM-DD on both databases).
    fn column(&self, def: &Def, table: Table, i: usize) -> String {
        match table.columns()[i].kind {
            ColumnKind::Date if self.backend == DatabaseBackend::Postgres => format!("CAST({} AS TEXT)", def.columns[i]),
            _ => def.columns[i].clone(),
        }
    }

    fn expr(&mut self, def: &Def, table: Table, e: &Expr) -> String {
        match e {
            Expr::And(a, b) => format!("({} AND {})", self.expr(def, table, a), self.expr(def, table, b)),
            Expr::Or(a, b) => format!("({} OR {})", self.expr(def, table, a), self.expr(def, table, b)),
            // A row without a value is neither kept by a condition nor by its negation, as SQL
            // judges it; OData's `not` keeps it: COALESCE makes the unknown false first.
            Expr::Not(a) => format!("(NOT COALESCE({}, false))", self.expr(def, table, a)),
            // A KPI's values by the series key, which the values' unique index leads with.
            Expr::Cmp {
                column: 1,
                op: CmpOp::Eq,
                value: Literal::Text(kpi),
            } if table == Table::Observations => {
                let p = self.bind(format!("kpi:{kpi}"));
                format!("(t.series_key = {p})")
            }
            Expr::Cmp { column, op, value } => {
                let c = self.column(def, table, *column);
                match (op, value) {
                    (CmpOp::Eq, Literal::Null) => format!("({c} IS NULL)"),
                    (CmpOp::Ne, Literal::Null) => format!("({c} IS NOT NULL)"),
                    // Ordering against null keeps nothing.
                    (_, Literal::Null) => "(1 = 0)".to_owned(),
                    // `ne` keeps the rows without a value, as OData's null semantics say.
                    (CmpOp::Ne, v) => {
                        let p = self.literal(v);
                        format!("({c} IS NULL OR {c} <> {p})")
                    }
                    (op, v) => {
                        let p = self.literal(v);
                        let o = match op {
                            CmpOp::Eq => "=",
                            CmpOp::Gt => ">",
                            CmpOp::Ge => ">=",
                            CmpOp::Lt => "<",
                            CmpOp::Le => "<=",
                            CmpOp::Ne => unreachable!("handled above"),
                        };
                        format!("({c} {o} {p})")
                    }
                }
            }
            Expr::In { column, values } => {
                let c = self.column(def, table, *column);
                let ps: Vec<String> = values.iter().filter(|v| **v != Literal::Null).map(|v| self.literal(v)).collect();
                let null = values.contains(&Literal::Null);
                match (ps.is_empty(), null) {
                    (true, true) => format!("({c} IS NULL)"),
                    (true, false) => "(1 = 0)".to_owned(),
                    (false, true) => format!("({c} IN ({}) OR {c} IS NULL)", ps.join(", ")),
                    (false, false) => format!("({c} IN ({}))", ps.join(", ")),
                }
            }
            // Case-sensitive on both databases (SQLite's LIKE is not).
            Expr::StartsWith { column, value } => {
                let c = self.column(def, table, *column);
                let p = self.bind(value.clone());
                let n = self.bind(value.chars().count() as i64);
                format!("(substr({c}, 1, CAST({n} AS INTEGER)) = {p})")
            }
            Expr::Contains { column, value } => {
                let c = self.column(def, table, *column);
                let p = self.bind(value.clone());
                match self.backend {
                    DatabaseBackend::Postgres => format!("(strpos({c}, {p}) > 0)"),
                    _ => format!("(instr({c}, {p}) > 0)"),
                }
            }
        }
    }
}

/// The statement for `query` of `table`: its rows, or with `count` how many there are.
fn statement(backend: DatabaseBackend, table: Table, query: &PageQuery, count: bool) -> Statement {
    let d = def(table);
    let mut q = Sql {
        backend,
        text: if count {
            format!("SELECT COUNT(*) AS n FROM {} WHERE 1 = 1", d.from)
        } else {
            format!("SELECT {} FROM {} WHERE 1 = 1", d.columns.join(", "), d.from)
        },
        values: Vec::new(),
    };
    if let Some(a) = d.always {
        q.text.push_str(" AND ");
        q.text.push_str(a);
    }
    let f = &query.filter;
    // The filters, each as the table reads it; `ExportFilter::check` refused the others.
    if let Some(code) = &f.municipality {
        let condition = if table == Table::Municipalities {
            "t.municipality_code = ?"
        } else {
            MUNICIPALITY
        };
        q.and(condition, code.clone());
    }
    if let Some(kpi) = &f.kpi {
        match table {
            Table::Kpis => q.and("t.id = ?", kpi.to_string()),
            // By the series key, which the values' unique index leads with.
            Table::Observations => q.and("t.series_key = ?", SeriesRef::Kpi(kpi.clone()).key()),
            _ => q.and("t.kpi_id = ?", kpi.to_string()),
        }
    }
    if let Some(id) = f.indicator {
        let condition = match table {
            // An indicator with a KPI keeps its values as the KPI's series.
            Table::Observations => {
                "t.series_key = (SELECT CASE WHEN i.kpi_id IS NOT NULL THEN 'kpi:' || i.kpi_id \
                 ELSE 'indicator:' || CAST(i.id AS TEXT) END FROM indicator i WHERE i.id = ?)"
            }
            Table::Targets | Table::Statuses => "t.indicator_id = ?",
            _ => "t.id = ?",
        };
        q.and(condition, id);
    }
    if let Some(area) = &f.area {
        let condition = if table == Table::Areas { "t.code = ?" } else { "t.area_code = ?" };
        q.and(condition, area.to_string());
    }
    let (from, to) = match table {
        Table::Observations | Table::Statuses => ("t.period >= ?", "t.period <= ?"),
        // A target holds for a range of years: kept when the range meets the one asked for.
        Table::Targets => ("(t.period_to IS NULL OR t.period_to >= ?)", "t.period_from <= ?"),
        _ => ("t.year >= ?", "t.year <= ?"),
    };
    if let Some(y) = f.from {
        q.and(from, y);
    }
    if let Some(y) = f.to {
        q.and(to, y);
    }
    if let Some(e) = &query.condition {
        let sql = q.expr(&d, table, e);
        q.text.push_str(" AND ");
        q.text.push_str(&sql);
    }
    // The key as stored (`t.id`, not its cast), so that both databases read it by its index.
    let key: Vec<String> = query.key(table).iter().map(|k| key_column(table, k)).collect();
    // After the previous page's last key: (k1, k2, …) > (a, b, …), which both databases read
    // as one range of an index that leads with the key.
    if let Some(after) = &query.after {
        let n = key.len().min(after.len());
        if n > 0 {
            let values: Vec<String> = after[..n].iter().map(|v| q.literal(v)).collect();
            q.text
                .push_str(&format!(" AND ({}) > ({})", key[..n].join(", "), values.join(", ")));
        }
    }
    if count {
        return Statement::from_sql_and_values(backend, q.text, q.values);
    }
    let mut order: Vec<String> = query
        .order
        .iter()
        .map(|(i, desc)| format!("{}{}", d.columns[*i], if *desc { " DESC" } else { "" }))
        .collect();
    order.extend(key);
    q.text.push_str(&format!(" ORDER BY {}", order.join(", ")));
    if let Some(limit) = query.limit {
        let p = q.bind(limit as i64);
        q.text.push_str(&format!(" LIMIT {p}"));
    }
    if query.skip > 0 {
        // SQLite takes an OFFSET only after a LIMIT.
        if query.limit.is_none() && backend != DatabaseBackend::Postgres {
            q.text.push_str(" LIMIT -1");
        }
        let p = q.bind(query.skip as i64);
        q.text.push_str(&format!(" OFFSET {p}"));
    }
    Statement::from_sql_and_values(backend, q.text, q.values)
}

/// The cells of one row, read by the kinds of the table's columns.
fn cells(row: &QueryResult, table: Table) -> Result<Vec<Cell>, RepoError> {
    table
        .columns()
        .iter()
        .enumerate()
        .map(|(i, column)| {
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
                ColumnKind::Int => row
                    .try_get_by_index::<Option<i64>>(i)
                    .map_err(repo_err)?
                    .map_or(Cell::Null, Cell::Int),
                ColumnKind::Num => row
                    .try_get_by_index::<Option<f64>>(i)
                    .map_err(repo_err)?
                    .map_or(Cell::Null, Cell::Num),
                ColumnKind::Bool => row
                    .try_get_by_index::<Option<bool>>(i)
                    .map_err(repo_err)?
                    .map_or(Cell::Null, Cell::Bool),
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
        let query = PageQuery {
            filter: filter.clone(),
            ..PageQuery::default()
        };
        let stmt = statement(self.backend(), table, &query, false);
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

    async fn page(&self, table: Table, query: &PageQuery) -> Result<Vec<Vec<Cell>>, RepoError> {
        let stmt = statement(self.backend(), table, query, false);
        let rows = self.connection().query_all_raw(stmt).await.map_err(repo_err)?;
        rows.iter().map(|r| cells(r, table)).collect()
    }

    async fn count(&self, table: Table, query: &PageQuery) -> Result<u64, RepoError> {
        let stmt = statement(self.backend(), table, query, true);
        let row = self.connection().query_one_raw(stmt).await.map_err(repo_err)?;
        let n: i64 = row.map(|r| r.try_get("", "n")).transpose().map_err(repo_err)?.unwrap_or(0);
        Ok(n as u64)
    }
}
