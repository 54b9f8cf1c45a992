//! Whole tables for BI tools and scripts: which tables the hub exports, their columns, which
//! filters each takes, and the port that streams their rows (in constant memory: a sink takes
//! each row as it is read, and may stop the read).

use async_trait::async_trait;

use crate::error::DomainError;
use crate::ids::{AreaCode, KpiId};
use crate::RepoError;

/// What kind of value a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text.
    Text,
    /// A whole number.
    Int,
    /// A decimal number.
    Num,
    /// True or false.
    Bool,
    /// A date, YYYY-MM-DD.
    Date,
    /// A point in time, RFC 3339.
    Timestamp,
}

/// One column of an exported table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Its name in the header, snake_case.
    pub name: &'static str,
    /// What it holds.
    pub kind: ColumnKind,
}

use ColumnKind::{Bool, Date, Int, Num, Text, Timestamp};

/// A filter an export may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKind {
    /// `kpi`: one key figure.
    Kpi,
    /// `indicator`: one indicator.
    Indicator,
    /// `area`: one area.
    Area,
    /// `municipality`: one municipality's rows.
    Municipality,
    /// `from` and `to`: a range of years.
    Period,
}

impl FilterKind {
    /// The query parameter(s).
    pub fn parameter(self) -> &'static str {
        match self {
            Self::Kpi => "kpi",
            Self::Indicator => "indicator",
            Self::Area => "area",
            Self::Municipality => "municipality",
            Self::Period => "from",
        }
    }
}

/// The tables the hub exports whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// Every stored value: key figure or indicator, area, year, gender.
    Observations,
    /// Key figures' metadata.
    Kpis,
    /// Areas: municipalities, regions, the country, groups, organisational units.
    Areas,
    /// The hub's municipalities (the root units).
    Municipalities,
    /// Organisation units.
    OrgUnits,
    /// Goals.
    Goals,
    /// Goal → parent goal.
    GoalEdges,
    /// Indicators.
    Indicators,
    /// Indicator → goal it follows up.
    GoalIndicators,
    /// Targets.
    Targets,
    /// Follow-up reports.
    FollowUps,
    /// Goals' assessments in follow-ups.
    Assessments,
    /// Assignments.
    Assignments,
    /// Budget lines.
    Budgets,
    /// Indicators judged against their targets: per indicator, area (its municipality and
    /// every area a target names) and period with a value, as the series stood then.
    Statuses,
}

impl Table {
    /// Every table, in the order listed.
    pub const ALL: [Table; 15] = [
        Self::Observations,
        Self::Kpis,
        Self::Areas,
        Self::Municipalities,
        Self::OrgUnits,
        Self::Goals,
        Self::GoalEdges,
        Self::Indicators,
        Self::GoalIndicators,
        Self::Targets,
        Self::FollowUps,
        Self::Assessments,
        Self::Assignments,
        Self::Budgets,
        Self::Statuses,
    ];

    /// The file name without extension, snake_case.
    pub fn name(self) -> &'static str {
        match self {
            Self::Observations => "observations",
            Self::Kpis => "kpis",
            Self::Areas => "areas",
            Self::Municipalities => "municipalities",
            Self::OrgUnits => "org_units",
            Self::Goals => "goals",
            Self::GoalEdges => "goal_edges",
            Self::Indicators => "indicators",
            Self::GoalIndicators => "goal_indicators",
            Self::Targets => "targets",
            Self::FollowUps => "follow_ups",
            Self::Assessments => "assessments",
            Self::Assignments => "assignments",
            Self::Budgets => "budgets",
            Self::Statuses => "statuses",
        }
    }

    /// The table of a name.
    pub fn parse(name: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|t| t.name() == name).ok_or_else(|| {
            DomainError::new(
                "table",
                format!("`{name}` is not an exported table ({})", Self::ALL.map(Self::name).join(", ")),
            )
        })
    }

    /// Its columns, in order.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Self::Observations => &[
                Column { name: "id", kind: Int },
                Column { name: "kpi", kind: Text },
                Column {
                    name: "indicator_id",
                    kind: Int,
                },
                Column { name: "area", kind: Text },
                Column { name: "period", kind: Int },
                Column {
                    name: "gender",
                    kind: Text,
                },
                Column { name: "value", kind: Num },
                Column {
                    name: "status",
                    kind: Text,
                },
                Column {
                    name: "source",
                    kind: Text,
                },
                Column {
                    name: "updated_at",
                    kind: Timestamp,
                },
            ],
            Self::Kpis => &[
                Column { name: "id", kind: Text },
                Column { name: "title", kind: Text },
                Column {
                    name: "description",
                    kind: Text,
                },
                Column {
                    name: "operating_area",
                    kind: Text,
                },
                Column {
                    name: "municipality_type",
                    kind: Text,
                },
                Column {
                    name: "is_divided_by_gender",
                    kind: Bool,
                },
                Column {
                    name: "publication_date",
                    kind: Text,
                },
            ],
            Self::Areas => &[
                Column { name: "code", kind: Text },
                Column { name: "title", kind: Text },
                Column {
                    name: "area_type",
                    kind: Text,
                },
                Column {
                    name: "parent_code",
                    kind: Text,
                },
            ],
            Self::Municipalities => &[
                Column { name: "id", kind: Int },
                Column { name: "code", kind: Text },
                Column { name: "name", kind: Text },
                Column {
                    name: "short_name",
                    kind: Text,
                },
            ],
            Self::OrgUnits => &[
                Column { name: "id", kind: Int },
                Column {
                    name: "municipality",
                    kind: Text,
                },
                Column {
                    name: "parent_id",
                    kind: Int,
                },
                Column { name: "key", kind: Text },
                Column { name: "name", kind: Text },
                Column {
                    name: "short_name",
                    kind: Text,
                },
                Column { name: "kind", kind: Text },
                Column {
                    name: "kolada_ou_id",
                    kind: Text,
                },
            ],
            Self::Goals => &[
                Column { name: "id", kind: Int },
                Column {
                    name: "municipality",
                    kind: Text,
                },
                Column {
                    name: "governance_model",
                    kind: Text,
                },
                Column { name: "key", kind: Text },
                Column { name: "title", kind: Text },
                Column { name: "kind", kind: Text },
                Column {
                    name: "owner_id",
                    kind: Int,
                },
                Column {
                    name: "focus_area_id",
                    kind: Int,
                },
                Column {
                    name: "valid_from",
                    kind: Date,
                },
                Column {
                    name: "valid_to",
                    kind: Date,
                },
                Column {
                    name: "decision",
                    kind: Text,
                },
                Column {
                    name: "position",
                    kind: Int,
                },
                Column {
                    name: "archived",
                    kind: Bool,
                },
            ],
            Self::GoalEdges => &[
                Column {
                    name: "goal_id",
                    kind: Int,
                },
                Column {
                    name: "parent_id",
                    kind: Int,
                },
            ],
            Self::Indicators => &[
                Column { name: "id", kind: Int },
                Column {
                    name: "municipality",
                    kind: Text,
                },
                Column { name: "key", kind: Text },
                Column { name: "title", kind: Text },
                Column { name: "kind", kind: Text },
                Column { name: "unit", kind: Text },
                Column {
                    name: "direction",
                    kind: Text,
                },
                Column {
                    name: "desired_text",
                    kind: Text,
                },
                Column { name: "kpi", kind: Text },
                Column {
                    name: "owner_id",
                    kind: Int,
                },
                Column {
                    name: "position",
                    kind: Int,
                },
            ],
            Self::GoalIndicators => &[
                Column {
                    name: "indicator_id",
                    kind: Int,
                },
                Column {
                    name: "goal_id",
                    kind: Int,
                },
            ],
            Self::Targets => &[
                Column { name: "id", kind: Int },
                Column {
                    name: "indicator_id",
                    kind: Int,
                },
                Column { name: "area", kind: Text },
                Column {
                    name: "period_from",
                    kind: Int,
                },
                Column {
                    name: "period_to",
                    kind: Int,
                },
                Column { name: "kind", kind: Text },
                Column {
                    name: "comparison",
                    kind: Text,
                },
                Column { name: "value", kind: Num },
                Column {
                    name: "reference_area",
                    kind: Text,
                },
                Column { name: "note", kind: Text },
            ],
            Self::FollowUps => &[
                Column { name: "id", kind: Int },
                Column {
                    name: "municipality",
                    kind: Text,
                },
                Column {
                    name: "governance_model",
                    kind: Text,
                },
                Column { name: "kind", kind: Text },
                Column { name: "year", kind: Int },
                Column { name: "month", kind: Int },
                Column {
                    name: "approved_at",
                    kind: Timestamp,
                },
            ],
            Self::Assessments => &[
                Column { name: "id", kind: Int },
                Column {
                    name: "follow_up_id",
                    kind: Int,
                },
                Column {
                    name: "goal_id",
                    kind: Int,
                },
                Column {
                    name: "assessment",
                    kind: Text,
                },
                Column {
                    name: "forecast",
                    kind: Text,
                },
                Column {
                    name: "analysis",
                    kind: Text,
                },
            ],
            Self::Assignments => &[
                Column { name: "id", kind: Int },
                Column {
                    name: "municipality",
                    kind: Text,
                },
                Column { name: "key", kind: Text },
                Column { name: "title", kind: Text },
                Column {
                    name: "from_org_unit_id",
                    kind: Int,
                },
                Column {
                    name: "to_org_unit_id",
                    kind: Int,
                },
                Column {
                    name: "deadline",
                    kind: Date,
                },
                Column {
                    name: "funding",
                    kind: Text,
                },
                Column {
                    name: "funding_tkr",
                    kind: Num,
                },
                Column {
                    name: "status",
                    kind: Text,
                },
                Column {
                    name: "goal_id",
                    kind: Int,
                },
                Column {
                    name: "result",
                    kind: Text,
                },
            ],
            Self::Budgets => &[
                Column { name: "id", kind: Int },
                Column {
                    name: "municipality",
                    kind: Text,
                },
                Column {
                    name: "org_unit_id",
                    kind: Int,
                },
                Column { name: "year", kind: Int },
                Column { name: "kind", kind: Text },
                Column { name: "line", kind: Text },
                Column {
                    name: "amount_tkr",
                    kind: Num,
                },
            ],
            Self::Statuses => &[
                Column {
                    name: "indicator_id",
                    kind: Int,
                },
                Column { name: "area", kind: Text },
                Column { name: "period", kind: Int },
                Column {
                    name: "municipality",
                    kind: Text,
                },
                Column {
                    name: "status",
                    kind: Text,
                },
                Column { name: "value", kind: Num },
                Column {
                    name: "target_id",
                    kind: Int,
                },
                Column { name: "trend", kind: Text },
                Column {
                    name: "trend_since",
                    kind: Int,
                },
                Column {
                    name: "trend_change",
                    kind: Num,
                },
                Column {
                    name: "explanation",
                    kind: Text,
                },
                Column {
                    name: "explanation_sv",
                    kind: Text,
                },
                Column {
                    name: "latest",
                    kind: Bool,
                },
                Column {
                    name: "updated_at",
                    kind: Timestamp,
                },
            ],
        }
    }

    /// The columns that identify a row, in the table's order.
    pub fn key(self) -> &'static [&'static str] {
        match self {
            Self::Areas => &["code"],
            Self::GoalEdges => &["goal_id", "parent_id"],
            Self::GoalIndicators => &["indicator_id", "goal_id"],
            Self::Statuses => &["indicator_id", "area", "period"],
            _ => &["id"],
        }
    }

    /// The position and the column of a name.
    pub fn column(self, name: &str) -> Option<(usize, Column)> {
        self.columns().iter().copied().enumerate().find(|(_, c)| c.name == name)
    }

    /// The filters it takes.
    pub fn filters(self) -> &'static [FilterKind] {
        use FilterKind::{Area, Indicator, Kpi, Municipality, Period};
        match self {
            Self::Observations => &[Kpi, Indicator, Area, Period],
            Self::Kpis => &[Kpi],
            Self::Areas => &[Area],
            Self::Municipalities => &[Municipality],
            Self::OrgUnits | Self::Goals | Self::GoalEdges | Self::GoalIndicators | Self::Assessments | Self::Assignments => {
                &[Municipality]
            }
            Self::Indicators => &[Municipality, Kpi, Indicator],
            Self::Targets => &[Municipality, Indicator, Area, Period],
            Self::FollowUps | Self::Budgets => &[Municipality, Period],
            Self::Statuses => &[Municipality, Indicator, Area, Period],
        }
    }
}

/// Which rows of a table to export. Each filter set must be one the table takes
/// ([`Table::filters`]); [`ExportFilter::check`] says which is not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportFilter {
    /// One key figure.
    pub kpi: Option<KpiId>,
    /// One indicator (by id): its series, its target rows, itself.
    pub indicator: Option<i64>,
    /// One area.
    pub area: Option<AreaCode>,
    /// One municipality (by code).
    pub municipality: Option<String>,
    /// First year.
    pub from: Option<i32>,
    /// Last year.
    pub to: Option<i32>,
}

impl ExportFilter {
    /// The filters given, as kinds.
    fn given(&self) -> Vec<(FilterKind, &'static str)> {
        let mut out = Vec::new();
        if self.kpi.is_some() {
            out.push((FilterKind::Kpi, "kpi"));
        }
        if self.indicator.is_some() {
            out.push((FilterKind::Indicator, "indicator"));
        }
        if self.area.is_some() {
            out.push((FilterKind::Area, "area"));
        }
        if self.municipality.is_some() {
            out.push((FilterKind::Municipality, "municipality"));
        }
        if self.from.is_some() {
            out.push((FilterKind::Period, "from"));
        }
        if self.to.is_some() {
            out.push((FilterKind::Period, "to"));
        }
        out
    }

    /// Refuses a filter `table` does not take, naming it.
    pub fn check(&self, table: Table) -> Result<(), DomainError> {
        for (kind, parameter) in self.given() {
            if !table.filters().contains(&kind) {
                let takes: Vec<&str> = table
                    .filters()
                    .iter()
                    .flat_map(|f| {
                        if *f == FilterKind::Period {
                            vec!["from", "to"]
                        } else {
                            vec![f.parameter()]
                        }
                    })
                    .collect();
                return Err(DomainError::new(
                    parameter,
                    format!(
                        "the {} export takes no `{parameter}` filter (it takes: {})",
                        table.name(),
                        if takes.is_empty() { "none".to_owned() } else { takes.join(", ") }
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// One value of an exported row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value.
    Null,
    /// Text (dates and times as text too).
    Text(String),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Num(f64),
    /// True or false.
    Bool(bool),
}

/// A value in a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// No value.
    Null,
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Num(f64),
    /// True or false.
    Bool(bool),
    /// A date, YYYY-MM-DD.
    Date(chrono::NaiveDate),
    /// A point in time.
    Timestamp(chrono::DateTime<chrono::Utc>),
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

/// A condition on a table's rows: columns by position in [`Table::columns`].
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
    /// Not.
    Not(Box<Expr>),
    /// A column compared with a value (`eq null` is "has no value").
    Cmp {
        /// The column.
        column: usize,
        /// The comparison.
        op: CmpOp,
        /// The value.
        value: Literal,
    },
    /// A column equal to one of the values.
    In {
        /// The column.
        column: usize,
        /// The values.
        values: Vec<Literal>,
    },
    /// A text column that begins with the text (case-sensitive).
    StartsWith {
        /// The column.
        column: usize,
        /// The text.
        value: String,
    },
    /// A text column that holds the text (case-sensitive).
    Contains {
        /// The column.
        column: usize,
        /// The text.
        value: String,
    },
}

/// One page of a table: rows that `filter` and `condition` keep, ordered by `order` (then the
/// key) or by the key alone, after the row whose key is `after` (key order only), skipping
/// `skip`, at most `limit`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageQuery {
    /// The export filters.
    pub filter: ExportFilter,
    /// A condition.
    pub condition: Option<Expr>,
    /// Columns to order by (position, descending), before the key.
    pub order: Vec<(usize, bool)>,
    /// The key of the last row of the previous page (key order only).
    pub after: Option<Vec<Literal>>,
    /// Rows to skip.
    pub skip: u64,
    /// Most rows.
    pub limit: Option<u64>,
}

impl Expr {
    /// True when every row it keeps has `column` equal to one text value: the column is
    /// compared with `eq` on this side of every `and` from the top.
    pub fn pins(&self, column: usize) -> bool {
        match self {
            Self::And(a, b) => a.pins(column) || b.pins(column),
            Self::Cmp {
                column: c,
                op: CmpOp::Eq,
                value: Literal::Text(_),
            } => *c == column,
            _ => false,
        }
    }
}

impl PageQuery {
    /// The columns pages are cut and ordered by (after any `order`): the table's key; for the
    /// values of one series (a KPI or an indicator pinned), the series' own order, area,
    /// gender and period, in which its index holds the rows: a page reads from the previous
    /// page's last row on, instead of the whole series again to sort it by id.
    pub fn key(&self, table: Table) -> &'static [&'static str] {
        let one_series = self.filter.kpi.is_some()
            || self.filter.indicator.is_some()
            || self.condition.as_ref().is_some_and(|c| c.pins(OBSERVATION_KPI));
        if table == Table::Observations && self.order.is_empty() && one_series {
            &["area", "gender", "period"]
        } else {
            table.key()
        }
    }
}

/// The position of `kpi` among [`Table::Observations`]' columns.
const OBSERVATION_KPI: usize = 1;

/// The reader asked to stop: whoever wanted the rows is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop;

/// Takes exported rows as they are read.
#[async_trait]
pub trait RowSink: Send {
    /// One row, its cells in the table's column order. `Err(Stop)` ends the read.
    async fn row(&mut self, cells: Vec<Cell>) -> Result<(), Stop>;
}

/// Streams whole tables.
#[async_trait]
pub trait TableExporter: Send + Sync {
    /// Reads the rows of `table` that `filter` keeps, in the table's key order, into `sink`,
    /// in one statement (one consistent state of the table, whatever writes meanwhile).
    /// Returns how many rows went out; a sink that stops ends the read early.
    async fn export(&self, table: Table, filter: &ExportFilter, sink: &mut dyn RowSink) -> Result<u64, RepoError>;
    /// One page of `table`, in one statement.
    async fn page(&self, table: Table, query: &PageQuery) -> Result<Vec<Vec<Cell>>, RepoError>;
    /// How many rows `query` keeps, over all pages.
    async fn count(&self, table: Table, query: &PageQuery) -> Result<u64, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_series_values_are_paged_in_the_series_order_and_everything_else_by_the_key() {
        let kpi = |k: &str| Expr::Cmp {
            column: OBSERVATION_KPI,
            op: CmpOp::Eq,
            value: Literal::Text(k.into()),
        };
        let area = Expr::Cmp {
            column: 3,
            op: CmpOp::Eq,
            value: Literal::Text("1489".into()),
        };
        let q = |condition: Option<Expr>| PageQuery {
            condition,
            ..PageQuery::default()
        };
        let series: &[&str] = &["area", "gender", "period"];
        assert_eq!(q(Some(kpi("N00090"))).key(Table::Observations), series);
        let and = Expr::And(Box::new(area.clone()), Box::new(kpi("N00090")));
        assert_eq!(q(Some(and)).key(Table::Observations), series);
        // Not one series: either KPI, or any but one.
        let or = Expr::Or(Box::new(kpi("N00090")), Box::new(kpi("N00091")));
        assert_eq!(q(Some(or)).key(Table::Observations), &["id"]);
        assert_eq!(q(Some(Expr::Not(Box::new(kpi("N00090"))))).key(Table::Observations), &["id"]);
        assert_eq!(q(Some(area)).key(Table::Observations), &["id"]);
        assert_eq!(q(None).key(Table::Observations), &["id"]);
        // An order of the client's comes first, and the key keeps its ties apart.
        let ordered = PageQuery {
            order: vec![(6, true)],
            ..q(Some(kpi("N00090")))
        };
        assert_eq!(ordered.key(Table::Observations), &["id"]);
        let exported = PageQuery {
            filter: ExportFilter {
                kpi: Some(KpiId::parse("N00090").unwrap()),
                ..ExportFilter::default()
            },
            ..PageQuery::default()
        };
        assert_eq!(exported.key(Table::Observations), series);
        assert_eq!(q(Some(kpi("x"))).key(Table::Kpis), &["id"]);
        assert_eq!(q(None).key(Table::Statuses), &["indicator_id", "area", "period"]);
    }

    #[test]
    fn every_table_has_a_name_columns_and_filters_and_a_filter_it_does_not_take_is_named() {
        for t in Table::ALL {
            assert_eq!(Table::parse(t.name()).unwrap(), t);
            assert!(!t.columns().is_empty());
        }
        assert_eq!(Table::parse("secrets").unwrap_err().field, "table");
        let f = ExportFilter {
            municipality: Some("1489".into()),
            ..ExportFilter::default()
        };
        assert!(f.check(Table::Goals).is_ok());
        let e = f.check(Table::Observations).unwrap_err();
        assert_eq!(e.field, "municipality");
        assert!(e.message.contains("kpi, indicator, area, from, to"), "{}", e.message);
    }
}
