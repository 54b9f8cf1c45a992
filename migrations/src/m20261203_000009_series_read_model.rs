//! The series digest becomes the read model of a series: its points in the compact form
//! (`styrhub_domain::compact`, no longer JSON text parsed on every read), and beside them the
//! latest and previous period with a value and their values, which the writers keep in the same
//! transaction as the observations. A read of latest values then takes two numbers per series,
//! and a read of a whole series decodes a few bytes per point.
//!
//! The same schema on both databases. `points` ends as a nullable binary column on both
//! (SQLite cannot add a NOT NULL column without a default); every writer writes it, and a row
//! without it is read as an error naming the row.
//!
//! Existing rows are converted in pages by id, so a national database's digests never sit in
//! memory at once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, QueryResult, Statement, Value};
use styrhub_domain::compact::{decode, encode, SeriesFacts};
use styrhub_domain::series::Point;

use crate::columns::*;

/// Adds the compact points and the latest/previous facts to `series_digest`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000009_series_read_model"
    }
}

/// Rows converted per statement page.
const PAGE: i64 = 2_000;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too (sea-orm-migration wraps only PostgreSQL's by default):
    /// the conversion is all or nothing, and every step sees the columns the one before added
    /// (outside a transaction the steps could run on different pooled connections).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE takes one change at a time.
        for column in [
            ColumnDef::new(n("compact")).binary().null().to_owned(),
            double_null("latest_value"),
            int_null("previous_period"),
            double_null("previous_value"),
        ] {
            m.alter_table(Table::alter().table(n("series_digest")).add_column(column).to_owned())
                .await?;
        }
        convert(m).await?;
        m.alter_table(Table::alter().table(n("series_digest")).drop_column(n("points")).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(n("series_digest"))
                .rename_column(n("compact"), n("points"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("series_digest"))
                .add_column(ColumnDef::new(n("json")).text().null().to_owned())
                .to_owned(),
        )
        .await?;
        convert_back(m).await?;
        for column in ["points", "latest_value", "previous_period", "previous_value"] {
            m.alter_table(Table::alter().table(n("series_digest")).drop_column(n(column)).to_owned())
                .await?;
        }
        m.alter_table(
            Table::alter()
                .table(n("series_digest"))
                .rename_column(n("json"), n("points"))
                .to_owned(),
        )
        .await
    }
}

/// `?` or `$n` for the backend.
fn params(backend: sea_orm_migration::sea_orm::DatabaseBackend, count: usize) -> Vec<String> {
    (1..=count)
        .map(|i| match backend {
            sea_orm_migration::sea_orm::DatabaseBackend::Postgres => format!("${i}"),
            _ => "?".to_owned(),
        })
        .collect()
}

/// Rewrites every row of `series_digest`, page by page: `change` turns a row's id and its
/// `points` (read as `alias`) into the columns to set and their values.
async fn rewrite<F>(m: &SchemaManager<'_>, alias: &str, change: F) -> Result<(), DbErr>
where
    F: Fn(i64, &QueryResult) -> Result<Vec<(&'static str, Value)>, DbErr>,
{
    let db = m.get_connection();
    let backend = db.get_database_backend();
    let mut after = 0i64;
    loop {
        // `alias` tells the two directions' reads apart: PostgreSQL connections keep prepared
        // statements by text, and the column's type differs between them.
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT id, points AS {alias} FROM series_digest WHERE id > {} ORDER BY id LIMIT {PAGE}",
                    params(backend, 1)[0]
                ),
                [after.into()],
            ))
            .await?;
        let Some(last) = rows.last() else { return Ok(()) };
        after = last.try_get_by_index(0)?;
        for row in rows {
            let id: i64 = row.try_get_by_index(0)?;
            let columns = change(id, &row)?;
            let p = params(backend, columns.len() + 1);
            let set: Vec<String> = columns.iter().zip(&p).map(|((c, _), p)| format!("{c} = {p}")).collect();
            let mut values: Vec<Value> = columns.into_iter().map(|(_, v)| v).collect();
            values.push(id.into());
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                format!("UPDATE series_digest SET {} WHERE id = {}", set.join(", "), p[p.len() - 1]),
                values,
            ))
            .await?;
        }
    }
}

/// Writes `compact` and the facts of every row from its JSON `points`.
async fn convert(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    rewrite(m, "json_points", |id, row| {
        let text: String = row.try_get_by_index(1)?;
        let points: Vec<Point> =
            serde_json::from_str(&text).map_err(|e| DbErr::Migration(format!("series_digest {id} holds points that are not JSON: {e}")))?;
        let facts = SeriesFacts::of(&points);
        Ok(vec![
            ("compact", Value::from(encode(&points))),
            ("latest_value", facts.latest.map(|l| l.1).into()),
            ("previous_period", facts.previous.map(|l| l.0).into()),
            ("previous_value", facts.previous.map(|l| l.1).into()),
        ])
    })
    .await
}

/// Writes `json` of every row from its compact `points`.
async fn convert_back(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    rewrite(m, "compact_points", |id, row| {
        let bytes: Vec<u8> = row.try_get_by_index(1)?;
        let points = decode(&bytes).map_err(|e| DbErr::Migration(format!("series_digest {id}: {e}")))?;
        let json = serde_json::to_string(&points).map_err(|e| DbErr::Migration(e.to_string()))?;
        Ok(vec![("json", json.into())])
    })
    .await
}
