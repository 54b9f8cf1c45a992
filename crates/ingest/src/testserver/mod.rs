//! A local Kolada look-alike for tests: serves [`Fixture`] rows in Kolada's exact v3 envelope
//! under `/v3` (and the v2 shapes under `/v2`), paged with absolute `next_url`s, refusing comma
//! lists longer than 25 values and `per_page` above 5000 with 400, and playing scripted
//! [`Fault`]s. It records every request, so tests can say how often a route was called.
//!
//! ```no_run
//! # async fn demo() {
//! use styrhub_ingest::kolada::KoladaClient;
//! use styrhub_ingest::testserver::{Fault, FaultKind, Fixture, TestServer};
//!
//! let server = TestServer::start(Fixture::sample().with_fault(Fault::new("/v3/kpi", 1, FaultKind::Status(500))));
//! let client = KoladaClient::new(server.config()).unwrap();
//! let kpis = client.kpis(None).await.unwrap();
//! assert_eq!(server.hits("/v3/kpi"), 2);
//! # }
//! ```
//!
//! Routes (each also under `/v2`): `/kpi[/{ids}]?title=`, `/kpi_groups[/{ids}]`,
//! `/municipality[/{ids}]?title=&region_type=`, `/municipality_groups[/{ids}]`,
//! `/ou[/{ids}]?title=&municipality=`, `/data/{kpi|municipality|year}/{list}/…` (at least two
//! dimensions) and `/oudata/{kpi|ou|year}/{list}/…` (the KPIs and one more), with `page`
//! (1-based), `per_page` and, on data, `from_date`.

mod fixture;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State as AxumState;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use reqwest::Url;
use serde_json::{json, Map, Value};

pub use fixture::{Fault, FaultKind, Fixture, SAMPLE_DATA_KPIS, SAMPLE_OU_KPI, SAMPLE_YEARS};

use crate::kolada::{KoladaConfig, MAX_IDS_PER_REQUEST, MAX_PER_PAGE};

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The path, with the version: `/v3/data/kpi/N01951/year/2022`.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
}

/// A running test server on 127.0.0.1 and a free port; stopped when dropped.
#[derive(Debug)]
pub struct TestServer {
    origin: String,
    state: Arc<ServerState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

#[derive(Debug)]
struct ServerState {
    fixture: Fixture,
    origin: String,
    /// Each fault with how many more requests it applies to.
    faults: Mutex<Vec<(Fault, usize)>>,
    log: Mutex<Vec<Recorded>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// The data rows each data path (and `from_date`) selects, as indices: every page of a
    /// request selects the same rows, and filtering a million-row fixture once per page would
    /// make the server, not the client, what a benchmark measures.
    selections: Mutex<HashMap<String, Arc<Vec<usize>>>>,
}

impl TestServer {
    /// Starts serving `fixture` on a free loopback port, on a thread of its own with its own
    /// runtime: it keeps answering while the test blocks (say, on `Command::output()` running
    /// the binary against it), and works from sync and async tests alike. Panics when no port
    /// can be bound or no thread started (a test helper: there is nothing sensible to do instead).
    pub fn start(fixture: Fixture) -> TestServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("a non-blocking listener");
        let addr: SocketAddr = listener.local_addr().expect("a bound listener has an address");
        let origin = format!("http://{addr}");
        let faults = fixture.faults.iter().map(|f| (f.clone(), f.times)).collect();
        let state = Arc::new(ServerState {
            fixture,
            origin: origin.clone(),
            faults: Mutex::new(faults),
            log: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            selections: Mutex::new(HashMap::new()),
        });
        let app = Router::new().fallback(handle).with_state(state.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(format!("kolada-testserver-{}", addr.port()))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the test server");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                    tokio::select! {
                        _ = axum::serve(listener, app) => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime drops the connection tasks with it: nothing outlives the server.
                drop(rt);
            })
            .expect("start the test server thread");
        TestServer {
            origin,
            state,
            stop: Some(stop),
        }
    }

    /// The v3 base URL, e.g. `http://127.0.0.1:40123/v3`.
    pub fn base_url(&self) -> String {
        format!("{}/v3", self.origin)
    }

    /// The v2 base URL: the same rows in v2's shapes.
    pub fn base_url_v2(&self) -> String {
        format!("{}/v2", self.origin)
    }

    /// A client configuration for this server that keeps tests fast: 2 at a time, no real rate
    /// limit, 4 tries with millisecond backoff, a 2 s timeout.
    pub fn config(&self) -> KoladaConfig {
        KoladaConfig {
            base_url: self.base_url(),
            concurrency: 2,
            requests_per_second: 1000.0,
            max_tries: 4,
            timeout: Duration::from_secs(2),
            per_page: MAX_PER_PAGE,
            backoff_base: Duration::from_millis(5),
            backoff_max: Duration::from_millis(40),
        }
    }

    /// How many requests had a path starting with `path_prefix` (with the version, e.g.
    /// `/v3/data` or `/v3/kpi`; note that `/v3/kpi` also counts `/v3/kpi_groups`).
    pub fn hits(&self, path_prefix: &str) -> usize {
        lock(&self.state.log).iter().filter(|r| r.path.starts_with(path_prefix)).count()
    }

    /// Every request so far, in order of arrival.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state.log).clone()
    }

    /// The most requests that were in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            // The server thread may already be gone; then there is nothing to stop.
            let _ = stop.send(());
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counts a request as in flight until its handler ends or is dropped (the client gave up).
struct InFlight(Arc<ServerState>);

impl InFlight {
    fn enter(state: Arc<ServerState>) -> Self {
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(state)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    V2,
    V3,
}

async fn handle(AxumState(state): AxumState<Arc<ServerState>>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().to_owned();
    lock(&state.log).push(Recorded {
        path: path.clone(),
        query: uri.query().map(str::to_owned),
        user_agent: headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned),
    });
    let _in_flight = InFlight::enter(state.clone());

    let mut cycle = false;
    if let Some(kind) = take_fault(&state, &path) {
        match kind {
            FaultKind::Status(code) => return html(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)),
            FaultKind::TooManyRequests { retry_after_secs } => {
                let mut resp = (StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").into_response();
                if let Some(secs) = retry_after_secs {
                    resp.headers_mut().insert(header::RETRY_AFTER, secs.into());
                }
                return resp;
            }
            FaultKind::Delay(d) => tokio::time::sleep(d).await,
            FaultKind::Html => return html(StatusCode::OK),
            FaultKind::TruncatedJson => {
                return (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"count": 2, "values": [{"kpi": "N0195"#,
                )
                    .into_response()
            }
            FaultKind::Body {
                status,
                content_type,
                body,
            } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
            }
            FaultKind::NextUrlCycle => cycle = true,
            FaultKind::Pass => {}
        }
    }

    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let version = match segments.first() {
        Some(&"v3") => Version::V3,
        Some(&"v2") => Version::V2,
        _ => return not_found(),
    };
    let params = match Url::parse(&format!("{}{}", state.origin, uri)) {
        Ok(u) => Params(u.query_pairs().into_owned().collect()),
        Err(_) => return bad_request("unreadable query"),
    };
    let rows = match select(&state, &segments[1..], &params) {
        Ok(rows) => rows,
        Err(Refusal::NotFound) => return not_found(),
        Err(Refusal::BadRequest(message)) => return bad_request(&message),
    };
    page(&state, version, &path, uri.query(), rows, cycle)
}

/// The first fault that matches `path` and has tries left, used up by one.
fn take_fault(state: &ServerState, path: &str) -> Option<FaultKind> {
    let mut faults = lock(&state.faults);
    let (fault, left) = faults.iter_mut().find(|(f, left)| *left > 0 && path.starts_with(&f.path_prefix))?;
    *left -= 1;
    Some(fault.kind.clone())
}

/// Why a route gives no rows.
enum Refusal {
    NotFound,
    BadRequest(String),
}

/// Decoded query parameters.
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// The rows a route answers with, before paging.
fn select<'a>(state: &'a ServerState, segments: &[&str], params: &Params) -> Result<Vec<&'a Value>, Refusal> {
    let fx = &state.fixture;
    let param = |name: &str| params.get(name);
    let title_filter = |rows: &'a [Value]| -> Vec<&'a Value> {
        let title = param("title").map(str::to_lowercase);
        rows.iter()
            .filter(|r| match &title {
                Some(t) => r["title"].as_str().is_some_and(|s| s.to_lowercase().contains(t)),
                None => true,
            })
            .collect()
    };
    let by_ids = |rows: &'a [Value], ids: &str| -> Result<Vec<&'a Value>, Refusal> {
        let ids = list(ids)?;
        Ok(rows
            .iter()
            .filter(|r| r["id"].as_str().is_some_and(|id| ids.contains(id)))
            .collect())
    };
    let data_rows = |rows: &'a [Value], dims: &[&str], area_key: &str| -> Result<Vec<&'a Value>, Refusal> {
        let from_date = param("from_date");
        let key = format!("{area_key}/{}?{}", dims.join("/"), from_date.unwrap_or(""));
        let cached = lock(&state.selections).get(&key).cloned();
        let picked = match cached {
            Some(picked) => picked,
            None => {
                let picked = Arc::new(data(rows, dims, area_key, from_date)?);
                lock(&state.selections).insert(key, picked.clone());
                picked
            }
        };
        Ok(picked.iter().map(|&i| &rows[i]).collect())
    };
    match segments {
        ["kpi"] => Ok(title_filter(&fx.kpis)),
        ["kpi", ids] => by_ids(&fx.kpis, ids),
        ["kpi_groups"] => Ok(title_filter(&fx.kpi_groups)),
        ["kpi_groups", ids] => by_ids(&fx.kpi_groups, ids),
        ["municipality"] => {
            let region_type = param("region_type");
            Ok(title_filter(&fx.municipalities)
                .into_iter()
                .filter(|r| region_type.is_none_or(|t| r["type"].as_str() == Some(t)))
                .collect())
        }
        ["municipality", ids] => by_ids(&fx.municipalities, ids),
        ["municipality_groups"] => Ok(title_filter(&fx.municipality_groups)),
        ["municipality_groups", ids] => by_ids(&fx.municipality_groups, ids),
        ["ou"] => {
            let munis = param("municipality").map(list).transpose()?;
            Ok(title_filter(&fx.ous)
                .into_iter()
                .filter(|r| {
                    munis
                        .as_ref()
                        .is_none_or(|m| r["municipality"].as_str().is_some_and(|x| m.contains(x)))
                })
                .collect())
        }
        ["ou", ids] => by_ids(&fx.ous, ids),
        ["data", dims @ ..] => data_rows(&fx.data, dims, "municipality"),
        ["oudata", dims @ ..] => data_rows(&fx.oudata, dims, "ou"),
        _ => Err(Refusal::NotFound),
    }
}

/// The indices of the data rows matching the path's dimensions. Kolada needs two of the three
/// (the KPIs always for unit data) and refuses lists longer than 25.
fn data(rows: &[Value], dims: &[&str], area_key: &str, from_date: Option<&str>) -> Result<Vec<usize>, Refusal> {
    if !dims.len().is_multiple_of(2) {
        return Err(Refusal::NotFound);
    }
    let (mut kpis, mut areas, mut years) = (None, None, None);
    for pair in dims.chunks(2) {
        let slot = match pair[0] {
            "kpi" => &mut kpis,
            "year" => &mut years,
            d if d == area_key => &mut areas,
            _ => return Err(Refusal::NotFound),
        };
        if slot.is_some() {
            return Err(Refusal::NotFound);
        }
        *slot = Some(list(pair[1])?);
    }
    let given = [kpis.is_some(), areas.is_some(), years.is_some()].iter().filter(|g| **g).count();
    if given < 2 || (area_key == "ou" && kpis.is_none()) {
        return Err(Refusal::BadRequest("at least two of kpi, area and year are needed".into()));
    }
    let matches = |set: &Option<HashSet<String>>, v: &Value| match set {
        None => true,
        Some(set) => match v {
            Value::String(s) => set.contains(s),
            Value::Number(n) => set.contains(&n.to_string()),
            _ => false,
        },
    };
    Ok(rows
        .iter()
        .enumerate()
        .filter(|(_, r)| matches(&kpis, &r["kpi"]) && matches(&areas, &r[area_key]) && matches(&years, &r["period"]))
        .filter(|(_, r)| match from_date {
            // ISO dates compare as text.
            Some(d) => r["_changed"].as_str().is_some_and(|c| c >= d),
            None => true,
        })
        .map(|(i, _)| i)
        .collect())
}

/// A comma list, refused with 400 past 25 values as v3 does.
fn list(s: &str) -> Result<HashSet<String>, Refusal> {
    let ids: Vec<&str> = s.split(',').filter(|x| !x.is_empty()).collect();
    if ids.len() > MAX_IDS_PER_REQUEST {
        return Err(Refusal::BadRequest(format!(
            "at most {MAX_IDS_PER_REQUEST} values per list, got {}",
            ids.len()
        )));
    }
    Ok(ids.into_iter().map(str::to_owned).collect())
}

/// One page of `rows` in the version's envelope.
fn page(state: &ServerState, version: Version, path: &str, query: Option<&str>, rows: Vec<&Value>, cycle: bool) -> Response {
    let pairs: Vec<&str> = query.unwrap_or("").split('&').filter(|p| !p.is_empty()).collect();
    let get = |name: &str| pairs.iter().find_map(|p| p.strip_prefix(name).and_then(|r| r.strip_prefix('=')));
    let per_page = match get("per_page").map(str::parse::<usize>) {
        None => MAX_PER_PAGE as usize,
        Some(Ok(n)) if (1..=MAX_PER_PAGE as usize).contains(&n) => n,
        Some(_) => return bad_request(&format!("per_page must be between 1 and {MAX_PER_PAGE}")),
    };
    let page_no = match get("page").map(str::parse::<usize>) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return bad_request("page must be 1 or more"),
    };
    let size = match state.fixture.page_size_cap {
        0 => per_page,
        cap => per_page.min(cap),
    };
    let pages = rows.len().div_ceil(size).max(1);
    let start = ((page_no - 1) * size).min(rows.len());
    let end = (start + size).min(rows.len());
    let link = |n: usize| -> String {
        let mut q: Vec<&str> = pairs.iter().copied().filter(|p| !p.starts_with("page=")).collect();
        let page_param = format!("page={n}");
        q.push(&page_param);
        format!("{}{}?{}", state.origin, path, q.join("&"))
    };
    let next = if page_no < pages {
        Some(link(page_no + 1))
    } else if cycle {
        Some(link(1))
    } else {
        None
    };
    let previous = (page_no > 1).then(|| link(page_no - 1));
    let served = &rows[start..end];
    let values: Vec<Value>;
    // v3 rows are served as stored, less the fixture's `_changed` (the change date is for
    // `from_date`, never served), written straight from the fixture: cloning a million rows
    // page by page made the server, not the client under test, the bench's busiest process.
    let values = match version {
        Version::V3 => Served::Rows(served),
        Version::V2 => {
            values = served.iter().map(|r| to_v2(r)).collect();
            Served::Owned(&values)
        }
    };
    let mut body = Map::new();
    body.insert("count".into(), json!(served.len()));
    match version {
        Version::V3 => {
            body.insert("next_url".into(), json!(next));
            body.insert("previous_url".into(), json!(previous));
        }
        // v2 leaves the links out when there are none.
        Version::V2 => {
            if let Some(n) = next {
                body.insert("next_page".into(), json!(n));
            }
            if let Some(p) = previous {
                body.insert("previous_page".into(), json!(p));
            }
        }
    }
    let text = serde_json::to_string(&Envelope { head: &body, values }).expect("JSON values serialize");
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

/// A page's rows, borrowed from the fixture (v3) or made for it (v2).
enum Served<'a> {
    Rows(&'a [&'a Value]),
    Owned(&'a [Value]),
}

/// A page body: the envelope's fields, then `values`.
struct Envelope<'a> {
    head: &'a Map<String, Value>,
    values: Served<'a>,
}

impl serde::Serialize for Envelope<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.head.len() + 1))?;
        for (k, v) in self.head {
            m.serialize_entry(k, v)?;
        }
        match &self.values {
            Served::Rows(rows) => m.serialize_entry("values", &Rows(rows))?,
            Served::Owned(rows) => m.serialize_entry("values", &Rows(&rows.iter().collect::<Vec<_>>()))?,
        }
        m.end()
    }
}

/// Rows without the fixture's own `_changed` field.
struct Rows<'a>(&'a [&'a Value]);

impl serde::Serialize for Rows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for row in self.0 {
            match row {
                Value::Object(o) => {
                    struct Row<'a>(&'a Map<String, Value>);
                    impl serde::Serialize for Row<'_> {
                        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                            let mut m = s.serialize_map(None)?;
                            for (k, v) in self.0.iter().filter(|(k, _)| k.as_str() != "_changed") {
                                m.serialize_entry(k, v)?;
                            }
                            m.end()
                        }
                    }
                    seq.serialize_element(&Row(o))?;
                }
                other => seq.serialize_element(other)?,
            }
        }
        seq.end()
    }
}

/// A v3 row in v2's shape: `auspices`, 0/1 gender flag, `is_deleted` as 0/1.
fn to_v2(row: &Value) -> Value {
    let mut row = row.clone();
    if let Some(o) = row.as_object_mut() {
        if let Some(a) = o.remove("auspice") {
            o.insert("auspices".into(), a);
        }
        if let Some(Value::Bool(b)) = o.get("is_divided_by_gender") {
            let flag = u8::from(*b);
            o.insert("is_divided_by_gender".into(), json!(flag));
        }
        if let Some(Value::Array(entries)) = o.get_mut("values") {
            for e in entries.iter_mut().filter_map(Value::as_object_mut) {
                if let Some(Value::Bool(b)) = e.remove("isdeleted") {
                    e.insert("is_deleted".into(), json!(u8::from(b)));
                }
            }
        }
    }
    row
}

fn html(status: StatusCode) -> Response {
    let body =
        format!("<!DOCTYPE html><html><head><title>{status}</title></head><body><h1>Kolada är tillfälligt otillgänglig</h1></body></html>");
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"detail":"Not Found"}"#,
    )
        .into_response()
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "detail": message }).to_string(),
    )
        .into_response()
}
