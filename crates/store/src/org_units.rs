//! A municipality's organisation units a page at a time, top down: by depth below the
//! municipality, then name, then id. The depth is not a column, so the page is read through a
//! recursive walk of the tree in SQL (the same statement on both databases), and the keyset
//! compares (depth, name, id) on the walk's rows. Names compare bytewise on both databases
//! (`COLLATE "C"` on PostgreSQL; SQLite's default), as the list was ordered before.

use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement, Value};
use serde::{Deserialize, Serialize};
use styrhub_domain::org_unit::{OrgUnit, OrgUnitKind};
use styrhub_domain::page::{Cursor, Page, PageRequest};
use styrhub_domain::RepoError;

use crate::db::repo_err;
use crate::entities::org_unit;
use crate::keyset::{cursor_of, parse_cursor};
use crate::Store;

/// How deep the walk goes at most: far below any real organisation, and a stop should a
/// parent loop ever be stored.
const MAX_DEPTH: i64 = 64;

/// A unit's place in the list: its depth, name and id.
#[derive(Serialize, Deserialize)]
struct OrgUnitKey(i64, String, i64);

impl Store {
    /// See [`styrhub_domain::ports::GovernanceReader::org_units_page`].
    pub(crate) async fn org_units_page_of(
        &self,
        municipality_id: i64,
        kind: Option<OrgUnitKind>,
        page: &PageRequest,
    ) -> Result<Page<OrgUnit>, RepoError> {
        let after = page.after.as_ref().map(|c| parse_cursor::<OrgUnitKey>(c, "after")).transpose()?;
        let before = page.before.as_ref().map(|c| parse_cursor::<OrgUnitKey>(c, "before")).transpose()?;
        let backend = self.backend();
        // Values in the order their placeholders appear (SQLite's `?` are positional).
        let mut values: Vec<Value> = Vec::new();
        let param = |v: Value, values: &mut Vec<Value>| {
            values.push(v);
            match backend {
                DatabaseBackend::Postgres => format!("${}", values.len()),
                _ => "?".to_owned(),
            }
        };
        let (root, max_depth) = (param(municipality_id.into(), &mut values), param(MAX_DEPTH.into(), &mut values));
        let walk = format!(
            "WITH RECURSIVE tree(id, depth) AS ( \
               SELECT id, CAST(0 AS BIGINT) FROM org_unit WHERE id = {root} \
               UNION ALL \
               SELECT c.id, t.depth + 1 FROM org_unit c JOIN tree t ON c.parent_id = t.id WHERE t.depth < {max_depth} \
             )"
        );
        let name = match backend {
            DatabaseBackend::Postgres => "o.name COLLATE \"C\"",
            _ => "o.name",
        };
        let mut filter = String::new();
        if let Some(k) = kind {
            filter.push_str(&format!(" AND o.kind = {}", param(k.as_str().into(), &mut values)));
        }
        let count_filter = filter.clone();
        let count_values = values.clone();
        let backward = page.backward();
        for (key, greater) in [(&after, true), (&before, false)] {
            if let Some(OrgUnitKey(depth, n, id)) = key {
                let (d, n, i) = (
                    param((*depth).into(), &mut values),
                    param(n.clone().into(), &mut values),
                    param((*id).into(), &mut values),
                );
                let op = if greater { ">" } else { "<" };
                filter.push_str(&format!(" AND (t.depth, {name}, o.id) {op} ({d}, {n}, {i})"));
            }
        }
        let dir = if backward { "DESC" } else { "ASC" };
        let wanted = page.size() + 1;
        let limit = param((wanted as i64).into(), &mut values);
        let sql = format!(
            "{walk} SELECT o.*, t.depth AS depth FROM tree t JOIN org_unit o ON o.id = t.id WHERE 1 = 1{filter} \
             ORDER BY t.depth {dir}, {name} {dir}, o.id {dir} LIMIT {limit}"
        );
        let read = async {
            let rows = self
                .connection()
                .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
                .await
                .map_err(repo_err)?;
            rows.into_iter()
                .map(|row| {
                    let depth: i64 = row.try_get("", "depth").map_err(repo_err)?;
                    let unit = OrgUnit::try_from(org_unit::Model::from_query_result(&row, "").map_err(repo_err)?)?;
                    let cursor: Cursor = cursor_of(&OrgUnitKey(depth, unit.name.clone(), unit.id));
                    Ok((cursor, unit))
                })
                .collect::<Result<Vec<_>, RepoError>>()
        };
        let count = async {
            if !page.count {
                return Ok(None);
            }
            let sql = format!("{walk} SELECT COUNT(*) AS n FROM tree t JOIN org_unit o ON o.id = t.id WHERE 1 = 1{count_filter}");
            let row = self
                .connection()
                .query_one_raw(Statement::from_sql_and_values(backend, sql, count_values))
                .await
                .map_err(repo_err)?;
            let n: i64 = row.map(|r| r.try_get("", "n")).transpose().map_err(repo_err)?.unwrap_or_default();
            Ok::<_, RepoError>(Some(n as usize))
        };
        let (items, total) = tokio::try_join!(read, count)?;
        Ok(Page::from_read(items, page, total))
    }
}
