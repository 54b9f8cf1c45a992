//! A read-only OData v4 service at `/odata/` for Power BI, Excel and Tableau, whose OData feed
//! connectors need no code: the service document, `$metadata` (CSDL XML), and one entity set
//! per exported table ([`styrhub_domain::export::Table`]) with `$filter`, `$select`,
//! `$orderby`, `$top`, `$skip`, `$count` and server-driven paging (`@odata.nextLink`), every
//! option translated to SQL. In the tables' key order, pages follow the last key seen, so a
//! feed read while an ingest writes neither repeats nor skips a row; with `$orderby` they
//! follow by position. Options the service does not take are refused with 501, naming them.

pub mod csdl;
pub mod filter;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};
use styrhub_domain::export::{Cell, ColumnKind, Literal, PageQuery, Table};
use styrhub_domain::RepoError;

use crate::app::AppState;
use crate::reads::Reads;

/// Rows per page unless `--odata-page-size` says otherwise.
pub const PAGE_SIZE: u64 = 5000;

/// The OData routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/odata", get(service))
        .route("/odata/", get(service))
        .route("/odata/{set}", get(entity_set))
}

/// An error in OData's JSON format: `{"error": {"code", "message", "target"}}`.
#[derive(Debug)]
pub struct ODataError {
    status: StatusCode,
    code: &'static str,
    message: String,
    target: Option<String>,
}

impl ODataError {
    fn bad(target: &str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "BadRequest",
            message: message.into(),
            target: Some(target.to_owned()),
        }
    }
}

impl From<RepoError> for ODataError {
    fn from(e: RepoError) -> Self {
        let (status, code) = match &e {
            RepoError::NotFound(_) => (StatusCode::NOT_FOUND, "NotFound"),
            RepoError::Invalid(_) => (StatusCode::BAD_REQUEST, "BadRequest"),
            RepoError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "odata read failed");
        }
        Self {
            status,
            code,
            message: if status == StatusCode::INTERNAL_SERVER_ERROR {
                "the read failed".to_owned()
            } else {
                e.to_string()
            },
            target: None,
        }
    }
}

impl IntoResponse for ODataError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(t) = &self.target {
            error["target"] = json!(t);
            error["details"] = json!([{ "code": self.code, "message": self.message, "target": t }]);
        }
        let mut res = odata_json(json!({ "error": error }));
        *res.status_mut() = self.status;
        res
    }
}

fn odata_json(body: Value) -> Response {
    odata_answer(serde_json::to_vec(&body).unwrap_or_default())
}

/// JSON text as an OData answer: its media type and version.
fn odata_answer(json: Vec<u8>) -> Response {
    let mut res = json.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false"),
    );
    res.headers_mut().insert("OData-Version", HeaderValue::from_static("4.0"));
    res
}

/// The service's root URL as the client reached it (`http://host/odata/`).
fn root(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{scheme}://{host}/odata/")
}

/// The service document: every entity set.
async fn service(headers: HeaderMap) -> Response {
    let base = root(&headers);
    let sets: Vec<Value> = Table::ALL
        .into_iter()
        .map(|t| json!({ "name": csdl::set_name(t), "kind": "EntitySet", "url": csdl::set_name(t) }))
        .collect();
    odata_json(json!({ "@odata.context": format!("{base}$metadata"), "value": sets }))
}

/// The options a request gave, each once.
struct Options {
    pairs: Vec<(String, String)>,
}

impl Options {
    fn parse(raw: Option<&str>) -> Result<Self, ODataError> {
        let pairs: Vec<(String, String)> = match raw {
            Some(q) => serde_urlencoded::from_str(q).map_err(|_| ODataError::bad("query", "the query string is not well-formed"))?,
            None => Vec::new(),
        };
        for (i, (k, _)) in pairs.iter().enumerate() {
            if pairs[..i].iter().any(|(j, _)| j == k) {
                return Err(ODataError::bad(k, format!("{k} is given twice")));
            }
            if let Some(name) = k.strip_prefix('$') {
                match name {
                    "filter" | "select" | "orderby" | "top" | "skip" | "count" | "skiptoken" | "format" | "expand" => {}
                    "search" | "apply" | "compute" | "levels" | "index" | "schemaversion" => {
                        return Err(ODataError {
                            status: StatusCode::NOT_IMPLEMENTED,
                            code: "NotImplemented",
                            message: format!(
                                "{k} is not supported by this service (supported: $filter, $select, $orderby, $top, $skip, $count)"
                            ),
                            target: Some(k.clone()),
                        })
                    }
                    _ => return Err(ODataError::bad(k, format!("{k} is not an OData system query option"))),
                }
            }
        }
        Ok(Self { pairs })
    }

    fn get(&self, k: &str) -> Option<&str> {
        self.pairs.iter().find(|(j, _)| j == k).map(|(_, v)| v.as_str())
    }

    fn number(&self, k: &str) -> Result<Option<u64>, ODataError> {
        self.get(k)
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| ODataError::bad(k, format!("{k} takes a whole number from 0, not `{v}`")))
            })
            .transpose()
    }
}

fn syntax(option: &str, e: filter::SyntaxError) -> ODataError {
    ODataError::bad(option, format!("{option}: at position {}: {}", e.at, e.message))
}

/// A cell as OData JSON.
fn json_of(cell: &Cell) -> Value {
    match cell {
        Cell::Null => Value::Null,
        Cell::Text(s) => json!(s),
        Cell::Int(n) => json!(n),
        Cell::Num(x) => json!(x),
        Cell::Bool(b) => json!(b),
    }
}

/// A key cell as a literal of the next page's key-set.
fn key_literal(cell: &Cell) -> Literal {
    match cell {
        Cell::Null => Literal::Null,
        Cell::Text(s) => Literal::Text(s.clone()),
        Cell::Int(n) => Literal::Int(*n),
        Cell::Num(x) => Literal::Num(*x),
        Cell::Bool(b) => Literal::Bool(*b),
    }
}

/// A cell as a map key.
fn key_text(cell: &Cell) -> String {
    match cell {
        Cell::Null => String::new(),
        Cell::Text(s) => s.clone(),
        other => json_of(other).to_string(),
    }
}

/// The rows of `target` whose `to` column holds one of `keys`, as JSON objects by that key:
/// one statement per thousand keys, whatever the page's size.
async fn related<'a>(
    tables: &dyn styrhub_domain::export::TableExporter,
    target: Table,
    to: &str,
    keys: impl Iterator<Item = &'a Cell>,
) -> Result<std::collections::HashMap<String, Value>, ODataError> {
    let (ti, _) = target.column(to).expect("navigation names a column");
    let mut wanted: Vec<Literal> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for k in keys {
        if *k != Cell::Null && seen.insert(key_text(k)) {
            wanted.push(key_literal(k));
        }
    }
    let mut out = std::collections::HashMap::new();
    for chunk in wanted.chunks(1000) {
        let query = PageQuery {
            condition: Some(styrhub_domain::export::Expr::In {
                column: ti,
                values: chunk.to_vec(),
            }),
            ..PageQuery::default()
        };
        for row in tables.page(target, &query).await? {
            let mut m = Map::new();
            for (c, cell) in target.columns().iter().zip(&row) {
                m.insert(c.name.to_owned(), json_of(cell));
            }
            out.insert(key_text(&row[ti]), Value::Object(m));
        }
    }
    Ok(out)
}

/// `$skiptoken`: `k` and the last key as JSON (key order), or `s` and the rows to skip.
enum Token {
    After(Vec<Literal>),
    Skip(u64),
}

/// A `$skiptoken` of a page cut by `key` (see [`PageQuery::key`]).
fn parse_token(table: Table, key: &[&str], raw: &str) -> Result<Token, ODataError> {
    let bad = || {
        ODataError::bad(
            "$skiptoken",
            "$skiptoken is not one this service gave out (take the @odata.nextLink as it is)",
        )
    };
    if let Some(n) = raw.strip_prefix('s') {
        return n.parse().map(Token::Skip).map_err(|_| bad());
    }
    let json = raw.strip_prefix('k').ok_or_else(bad)?;
    let values: Vec<Value> = serde_json::from_str(json).map_err(|_| bad())?;
    if values.len() != key.len() {
        return Err(bad());
    }
    let mut out = Vec::new();
    for (v, k) in values.iter().zip(key) {
        let (_, c) = table.column(k).ok_or_else(bad)?;
        out.push(match (c.kind, v) {
            (ColumnKind::Int, Value::Number(n)) => Literal::Int(n.as_i64().ok_or_else(bad)?),
            (ColumnKind::Text, Value::String(s)) => Literal::Text(s.clone()),
            _ => return Err(bad()),
        });
    }
    Ok(Token::After(out))
}

/// One page of an entity set.
async fn entity_set(
    State(state): State<AppState>,
    reads: Reads,
    Path(set): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ODataError> {
    if set == "$metadata" {
        let mut res = csdl::document().into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        res.headers_mut().insert("OData-Version", HeaderValue::from_static("4.0"));
        return Ok(res);
    }
    let table = csdl::table_of(&set).ok_or_else(|| ODataError {
        status: StatusCode::NOT_FOUND,
        code: "NotFound",
        message: format!(
            "`{set}` is not an entity set of this service ({})",
            Table::ALL.map(csdl::set_name).join(", ")
        ),
        target: Some(set.clone()),
    })?;
    let o = Options::parse(raw.as_deref())?;
    if let Some(f) = o.get("$format") {
        if !matches!(f, "json" | "application/json") && !f.starts_with("application/json;") {
            return Err(ODataError::bad("$format", format!("$format: only json is served, not `{f}`")));
        }
    }
    let condition = o
        .get("$filter")
        .map(|f| filter::parse_filter(table, &set, f))
        .transpose()
        .map_err(|e| syntax("$filter", e))?;
    let order = o
        .get("$orderby")
        .map(|f| filter::parse_orderby(table, &set, f))
        .transpose()
        .map_err(|e| syntax("$orderby", e))?;
    let select: Option<Vec<usize>> = match o.get("$select") {
        None | Some("*") => None,
        Some(s) => Some(
            s.split(',')
                .map(|p| {
                    let p = p.trim();
                    table
                        .column(p)
                        .map(|(i, _)| i)
                        .ok_or_else(|| ODataError::bad("$select", format!("$select: `{p}` is not a property of {set}")))
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    // `$expand`: single-valued navigation properties by name, or `*` for all of them.
    let navigation = csdl::navigation(table);
    let expand: Vec<&(&str, &str, Table, &str)> = match o.get("$expand") {
        None => Vec::new(),
        Some("*") => navigation.iter().collect(),
        Some(list) => list
            .split(',')
            .map(|n| {
                let n = n.trim();
                if n.contains('(') || n.contains('/') {
                    return Err(ODataError {
                        status: StatusCode::NOT_IMPLEMENTED,
                        code: "NotImplemented",
                        message: format!(
                            "$expand: options and paths inside $expand (`{n}`) are not supported; name navigation properties only"
                        ),
                        target: Some("$expand".into()),
                    });
                }
                navigation.iter().find(|(name, ..)| *name == n).ok_or_else(|| {
                    ODataError::bad(
                        "$expand",
                        format!(
                            "$expand: `{n}` is not a navigation property of {set} ({})",
                            if navigation.is_empty() {
                                "it has none".to_owned()
                            } else {
                                navigation.iter().map(|(n, ..)| *n).collect::<Vec<_>>().join(", ")
                            }
                        ),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let count = match o.get("$count") {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => return Err(ODataError::bad("$count", format!("$count takes true or false, not `{v}`"))),
    };
    let top = o.number("$top")?;
    let skip = o.number("$skip")?.unwrap_or(0);
    let page_size = state.http.limits.odata_page_size.max(1);
    let ordered = order.as_ref().is_some_and(|o| !o.is_empty());
    let mut query = PageQuery {
        condition,
        order: order.unwrap_or_default(),
        ..PageQuery::default()
    };
    let key = query.key(table);
    let token = o.get("$skiptoken").map(|t| parse_token(table, key, t)).transpose()?;
    // Where this page starts: `$skip` on the first page; then the last key (key order) or the
    // position (an order of the client's) the token carries.
    match token {
        None => query.skip = skip,
        Some(Token::After(after)) if !ordered => query.after = Some(after),
        Some(Token::Skip(n)) if ordered => query.skip = n,
        Some(_) => return Err(ODataError::bad("$skiptoken", "$skiptoken does not belong with this $orderby")),
    }
    let limit = top.map_or(page_size, |t| t.min(page_size));
    query.limit = Some(limit);
    let tables = &reads.tables;
    let rows = tables.page(table, &query).await?;
    let total = if count {
        let counted = PageQuery {
            condition: query.condition.clone(),
            ..PageQuery::default()
        };
        Some(tables.count(table, &counted).await?)
    } else {
        None
    };
    let columns = table.columns();
    let shown: Vec<usize> = select.clone().unwrap_or_else(|| (0..columns.len()).collect());
    let mut expanded: Vec<(&str, usize, std::collections::HashMap<String, Value>)> = Vec::new();
    for (name, from, target, to) in expand {
        let (fi, _) = table.column(from).expect("navigation names a column");
        expanded.push((name, fi, related(tables.as_ref(), *target, to, rows.iter().map(|r| &r[fi])).await?));
    }
    let base = root(&headers);
    let selected = select.map(|s| format!("({})", s.iter().map(|i| columns[*i].name).collect::<Vec<_>>().join(",")));
    // The answer is written straight as JSON text: a page holds thousands of rows, and a map
    // per row would cost more than reading them.
    let mut out: Vec<u8> = Vec::with_capacity(64 + rows.len() * 24 * shown.len());
    out.extend_from_slice(b"{\"@odata.context\":");
    write_json(&mut out, &json!(format!("{base}$metadata#{set}{}", selected.unwrap_or_default())));
    if let Some(n) = total {
        out.extend_from_slice(format!(",\"@odata.count\":{n}").as_bytes());
    }
    out.extend_from_slice(b",\"value\":[");
    // Each field's `"name":` once per answer, not once per row.
    let names: Vec<Vec<u8>> = shown
        .iter()
        .enumerate()
        .map(|(j, &i)| {
            let mut n = if j > 0 { vec![b','] } else { Vec::new() };
            write_json(&mut n, &Value::String(columns[i].name.to_owned()));
            n.push(b':');
            n
        })
        .collect();
    for (n, r) in rows.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.push(b'{');
        for (name, &i) in names.iter().zip(&shown) {
            out.extend_from_slice(name);
            write_cell(&mut out, &r[i]);
        }
        for (k, (name, fi, related)) in expanded.iter().enumerate() {
            if k > 0 || !shown.is_empty() {
                out.push(b',');
            }
            write_json(&mut out, &Value::String((*name).to_owned()));
            out.push(b':');
            write_json(&mut out, related.get(&key_text(&r[*fi])).unwrap_or(&Value::Null));
        }
        out.push(b'}');
    }
    out.push(b']');
    // A full page, and rows left under $top: the next page's link.
    let served = rows.len() as u64;
    let left = top.map(|t| t - served);
    if served == limit && left != Some(0) {
        let mut pairs: Vec<(String, String)> = o
            .pairs
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "$skip" | "$skiptoken" | "$top"))
            .cloned()
            .collect();
        if let Some(l) = left {
            pairs.push(("$top".into(), l.to_string()));
        }
        let token = if ordered {
            format!("s{}", query.skip + served)
        } else {
            let last = rows.last().expect("a full page has a last row");
            let key: Vec<Value> = key
                .iter()
                .filter_map(|k| table.column(k))
                .map(|(i, _)| match key_literal(&last[i]) {
                    Literal::Int(n) => json!(n),
                    Literal::Text(s) => json!(s),
                    _ => Value::Null,
                })
                .collect();
            format!("k{}", Value::Array(key))
        };
        pairs.push(("$skiptoken".into(), token));
        let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        out.extend_from_slice(b",\"@odata.nextLink\":");
        write_json(&mut out, &json!(format!("{base}{set}?{q}")));
    }
    out.push(b'}');
    Ok(odata_answer(out))
}

fn write_json(out: &mut Vec<u8>, v: &Value) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// A cell as JSON text, without building a `Value` for it.
fn write_cell(out: &mut Vec<u8>, cell: &Cell) {
    match cell {
        Cell::Null => out.extend_from_slice(b"null"),
        Cell::Text(s) => {
            let _ = serde_json::to_writer(&mut *out, s);
        }
        Cell::Int(n) => {
            use std::io::Write;
            let _ = write!(out, "{n}");
        }
        Cell::Num(x) => {
            let _ = serde_json::to_writer(&mut *out, x);
        }
        Cell::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
    }
}
