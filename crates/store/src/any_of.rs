//! `column IN (…)` for long lists, bound as one value.
//!
//! A goal tree asks for the indicators of 500 goals, the targets of 2,000 indicators and the
//! series of 4,000 keys. As `IN ($1, …, $2000)` every request parses, plans and binds a
//! statement of thousands of parameters (on PostgreSQL about 2 ms of planning per list alone,
//! and sqlx encodes each parameter separately); as one array (PostgreSQL) or one JSON text
//! (SQLite's `json_each`) the statement text is the same whatever the list's length, so it is
//! prepared once per connection and bound with one value.
//!
//! On PostgreSQL the array is unnested into a subquery rather than compared with `= ANY($1)`:
//! in a prepared statement's generic plan `= ANY` of a parameter is checked element by element
//! for every row (2,000 targets × 2,000 ids took 95 ms), while the subquery becomes a hash
//! semi-join, or index look-ups when the table is large.
//!
//! Placeholders follow each builder: PostgreSQL's numbers them (`$1` is the expression's own
//! first value), SQLite's takes `?`.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseBackend, EntityName, Value};

/// `column IN ids` (plain numbers or typed ids such as `GoalId`).
pub(crate) fn any_of_ids<C: ColumnTrait, I: Copy + Into<i64>>(backend: DatabaseBackend, column: C, ids: &[I]) -> Expr {
    let column_sql = qualified(column);
    match backend {
        DatabaseBackend::Postgres => {
            let mut array = String::with_capacity(ids.len() * 8 + 2);
            array.push('{');
            for (n, id) in ids.iter().enumerate() {
                if n > 0 {
                    array.push(',');
                }
                array.push_str(&(*id).into().to_string());
            }
            array.push('}');
            Expr::cust_with_values(format!("{column_sql} IN (SELECT unnest(CAST($1 AS int8[])))"), [Value::from(array)])
        }
        _ => Expr::cust_with_values(
            format!("{column_sql} IN (SELECT value FROM json_each(?))"),
            [Value::from(
                serde_json::to_string(&ids.iter().map(|i| (*i).into()).collect::<Vec<i64>>()).expect("integers always serialise"),
            )],
        ),
    }
}

/// Lists at most this long are bound value by value (see [`any_of_texts`]).
const SHORT_LIST: usize = 4;

/// `column IN values`.
pub(crate) fn any_of_texts<C: ColumnTrait, S: AsRef<str>>(backend: DatabaseBackend, column: C, values: &[S]) -> Expr {
    let column_sql = qualified(column);
    // A few values, the commonest case (a series, its area and the country): a plain list is
    // an index look-up per value, where the unnested list is a join with a function scan that
    // halved PostgreSQL's rate for a single series under pgbench (15,300 against 28,200 tps).
    // Up to [`SHORT_LIST`] values, so that the prepared statements stay few.
    if !values.is_empty() && values.len() <= SHORT_LIST {
        let placeholders: Vec<String> = (1..=values.len())
            .map(|i| {
                if backend == DatabaseBackend::Postgres {
                    format!("${i}")
                } else {
                    "?".to_owned()
                }
            })
            .collect();
        let sql = match placeholders.as_slice() {
            [one] => format!("{column_sql} = {one}"),
            many => format!("{column_sql} IN ({})", many.join(", ")),
        };
        return Expr::cust_with_values(sql, values.iter().map(|v| v.as_ref().to_owned()));
    }
    Expr::cust_with_values(
        format!(
            "{column_sql} {}",
            in_text_list(backend, if backend == DatabaseBackend::Postgres { "$1" } else { "?" })
        ),
        [text_list(backend, values)],
    )
}

/// `IN (…)` of one bound list of texts, for hand-written statements: `placeholder` is the
/// list's `$n` (PostgreSQL) or `?` (SQLite); bind [`text_list`] there.
pub(crate) fn in_text_list(backend: DatabaseBackend, placeholder: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("IN (SELECT unnest(CAST({placeholder} AS text[])))"),
        _ => format!("IN (SELECT value FROM json_each({placeholder}))"),
    }
}

/// The value to bind for [`in_text_list`].
pub(crate) fn text_list<S: AsRef<str>>(backend: DatabaseBackend, values: &[S]) -> Value {
    match backend {
        DatabaseBackend::Postgres => Value::from(pg_text_array(values)),
        _ => {
            let list: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
            Value::from(serde_json::to_string(&list).expect("strings always serialise"))
        }
    }
}

/// A PostgreSQL array literal of texts. Each element is quoted, with `"` and `\` escaped, so
/// that no value (commas, braces, the word NULL) is read as anything but itself.
fn pg_text_array<S: AsRef<str>>(values: &[S]) -> String {
    let mut array = String::with_capacity(values.iter().map(|v| v.as_ref().len() + 3).sum::<usize>() + 2);
    array.push('{');
    for (n, v) in values.iter().enumerate() {
        if n > 0 {
            array.push(',');
        }
        array.push('"');
        for c in v.as_ref().chars() {
            if c == '"' || c == '\\' {
                array.push('\\');
            }
            array.push(c);
        }
        array.push('"');
    }
    array.push('}');
    array
}

/// `"table"."column"`: the names are the entities' own snake_case identifiers.
fn qualified<C: ColumnTrait>(column: C) -> String {
    format!("\"{}\".\"{}\"", C::EntityName::default().table_name(), column.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::{series_digest, target};
    use sea_orm::{EntityTrait, QueryFilter, QueryTrait};

    #[test]
    fn lists_become_one_bound_value_on_either_backend() {
        let pg = target::Entity::find()
            .filter(any_of_ids(DatabaseBackend::Postgres, target::Column::IndicatorId, &[3, 1, 2]))
            .build(DatabaseBackend::Postgres);
        assert!(
            pg.sql
                .ends_with("WHERE \"target\".\"indicator_id\" IN (SELECT unnest(CAST($1 AS int8[])))"),
            "{}",
            pg.sql
        );
        assert_eq!(pg.values.unwrap().0, vec![Value::from("{3,1,2}")]);

        let lite = target::Entity::find()
            .filter(any_of_ids(DatabaseBackend::Sqlite, target::Column::IndicatorId, &[3, 1, 2]))
            .build(DatabaseBackend::Sqlite);
        assert!(
            lite.sql
                .ends_with("WHERE \"target\".\"indicator_id\" IN (SELECT value FROM json_each(?))"),
            "{}",
            lite.sql
        );
        assert_eq!(lite.values.unwrap().0, vec![Value::from("[3,1,2]")]);
    }

    #[test]
    fn texts_are_quoted_so_that_no_value_reads_as_syntax() {
        let odd = ["kpi:N1", "a,b", "x\"y", "back\\slash", "NULL"];
        assert!(odd.len() > SHORT_LIST, "a long list, bound as one value");
        let pg = series_digest::Entity::find()
            .filter(any_of_texts(DatabaseBackend::Postgres, series_digest::Column::SeriesKey, &odd))
            .build(DatabaseBackend::Postgres);
        assert_eq!(
            pg.values.unwrap().0,
            vec![Value::from(r#"{"kpi:N1","a,b","x\"y","back\\slash","NULL"}"#)]
        );
        let lite = series_digest::Entity::find()
            .filter(any_of_texts(DatabaseBackend::Sqlite, series_digest::Column::SeriesKey, &odd))
            .build(DatabaseBackend::Sqlite);
        assert_eq!(
            lite.values.unwrap().0,
            vec![Value::from(r#"["kpi:N1","a,b","x\"y","back\\slash","NULL"]"#)]
        );
    }

    #[test]
    fn one_text_is_compared_plainly_for_the_index() {
        for backend in [DatabaseBackend::Postgres, DatabaseBackend::Sqlite] {
            let q = series_digest::Entity::find()
                .filter(any_of_texts(backend, series_digest::Column::SeriesKey, &["kpi:N00090"]))
                .build(backend);
            assert!(q.sql.contains("\"series_digest\".\"series_key\" = "), "{}", q.sql);
            assert_eq!(q.values.unwrap().0, vec![Value::from("kpi:N00090")]);
        }
    }
}
