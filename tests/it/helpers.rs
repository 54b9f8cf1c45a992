//! The test harness: a fresh database per test, on SQLite always and on PostgreSQL when
//! `STYRHUB_TEST_DATABASE_URL` is set, and the real router served on a port chosen by the OS.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{json, Value};
use styrhub_api::app::{router, AppState, HttpOptions};
use styrhub_domain::access::{Author, NewToken, Role, TokenStore};
use styrhub_store::Store;
use tokio::sync::OnceCell;

/// Runs each listed test on SQLite and, when `STYRHUB_TEST_DATABASE_URL` is set, on
/// PostgreSQL: `both! { async fn name(db: TestDb) { … } }` makes `name::sqlite` and
/// `name::postgres`. Built without that variable, `name::postgres` is ignored (the package's
/// build script sets `cfg(styrhub_postgres_tests)`), so a run without PostgreSQL says how many
/// tests it did not run instead of counting them as passed.
macro_rules! both {
    ($(async fn $name:ident($db:ident: TestDb) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let $db = $crate::helpers::TestDb::sqlite().await;
                $body
            }

            #[tokio::test]
            #[cfg_attr(not(styrhub_postgres_tests), ignore = "STYRHUB_TEST_DATABASE_URL was not set when the tests were built")]
            async fn postgres() {
                let $db = $crate::helpers::TestDb::postgres().await;
                $body
            }
        }
    )*};
}
pub(crate) use both;

/// The repository root (where `demo/` and `schema.graphql` live).
pub fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The shipped municipality packages.
pub fn demo_dir() -> PathBuf {
    repo_root().join("demo")
}

/// A fresh, empty database for one test. SQLite: a file in a temporary folder removed on drop.
/// PostgreSQL: a new database next to the one `STYRHUB_TEST_DATABASE_URL` names.
pub struct TestDb {
    /// The URL the app connects with.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);
static PG_CLEANED: OnceCell<()> = OnceCell::const_new();

impl TestDb {
    /// A new SQLite file.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("styrhub.db").display());
        Self { url, _dir: Some(dir) }
    }

    /// A new PostgreSQL database next to the one `STYRHUB_TEST_DATABASE_URL` names. Only
    /// tests built for PostgreSQL (`cfg(styrhub_postgres_tests)`) call it, so the variable
    /// missing at run time is a mistake to report, not a reason to pass.
    pub async fn postgres() -> Self {
        let base = std::env::var("STYRHUB_TEST_DATABASE_URL")
            .ok()
            .filter(|s| !s.is_empty())
            .expect("the tests were built with STYRHUB_TEST_DATABASE_URL set, and it is not set now: set it, or rebuild without it");
        let (server, base_name) = base.rsplit_once('/').expect("STYRHUB_TEST_DATABASE_URL ends in /DATABASE");
        let base_name = base_name.split('?').next().unwrap_or(base_name).to_owned();
        let admin = Database::connect(base.as_str()).await.expect("STYRHUB_TEST_DATABASE_URL answers");
        let prefix = format!("{base_name}_t");
        // Databases of earlier runs are dropped once per run, before this run makes its own.
        PG_CLEANED
            .get_or_init(|| async {
                let rows = admin
                    .query_all_raw(Statement::from_string(
                        admin.get_database_backend(),
                        format!("SELECT datname FROM pg_database WHERE datname LIKE '{prefix}%'"),
                    ))
                    .await
                    .expect("list databases");
                for r in rows {
                    let name: String = r.try_get("", "datname").expect("datname");
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .await
                        .expect("drop old test database");
                }
            })
            .await;
        let name = format!("{prefix}{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create test database");
        admin.close().await.ok();
        Self {
            url: format!("{server}/{name}"),
            _dir: None,
        }
    }

    /// An existing database at `url` (e.g. the same database through a proxy).
    pub fn at(url: String) -> Self {
        Self { url, _dir: None }
    }

    /// Connects and migrates.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url).await.expect("connect to the test database");
        store.migrate().await.expect("migrate the test database");
        store
    }
}

/// The real router on `127.0.0.1:0`, over a migrated test database.
pub struct TestApp {
    /// Where the server listens.
    pub addr: SocketAddr,
    /// The store the server uses, for checks behind the API's back.
    pub store: Store,
    /// The database, kept as long as the app (a SQLite file is removed on drop).
    _db: TestDb,
    client: reqwest::Client,
    /// The token [`TestApp::graphql`] sends, once [`TestApp::with_admin_token`] set one.
    token: Option<String>,
}

impl TestApp {
    /// Migrates `db` and serves the router on it.
    pub async fn spawn(db: TestDb) -> Self {
        let store = db.store().await;
        Self::serve(db, store).await
    }

    /// Like [`TestApp::spawn`], counting every SQL statement the server runs.
    pub async fn spawn_counting(db: TestDb) -> (Self, Arc<AtomicUsize>) {
        let mut store = db.store().await;
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        store.observe_statements(move |sql, _| {
            if std::env::var_os("STYRHUB_TEST_PRINT_SQL").is_some() {
                eprintln!("SQL: {}", &sql[..sql.len().min(150)]);
            }
            c.fetch_add(1, Ordering::SeqCst);
        });
        (Self::serve(db, store).await, count)
    }

    /// Like [`TestApp::spawn`], with these HTTP options (CORS origins, limits …).
    pub async fn spawn_with(db: TestDb, http: HttpOptions) -> Self {
        let store = db.store().await;
        Self::serve_with(db, store, http).await
    }

    /// Serves the router on a store the test made (its own pool settings), with these options.
    pub async fn spawn_on(db: TestDb, store: Store, http: HttpOptions) -> Self {
        Self::serve_with(db, store, http).await
    }

    async fn serve(db: TestDb, store: Store) -> Self {
        Self::serve_with(db, store, HttpOptions::default()).await
    }

    async fn serve_with(db: TestDb, store: Store, http: HttpOptions) -> Self {
        let state = AppState::new(store.clone()).with_http(http);
        Self::serve_state(db, store, state).await
    }

    /// Serves the router with this state (read replicas, say) over `store`'s database.
    pub async fn serve_state(db: TestDb, store: Store, state: AppState) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        let addr = listener.local_addr().expect("local address");
        let app = router(state);
        // With the peer address, as `styrhub serve` does: the per-address rate limit keys on it.
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Self {
            addr,
            store,
            _db: db,
            client: reqwest::Client::new(),
            token: None,
        }
    }

    /// The database URL the server uses (for the binary to work on the same database).
    pub fn db_url(&self) -> &str {
        &self._db.url
    }

    /// Loads the shipped municipality packages.
    pub async fn with_demo(self) -> Self {
        styrhub_api::demo::load_all(&self.store, &demo_dir()).await.expect("the demo loads");
        self
    }

    /// A new API token, made as `styrhub token create` makes one (minted, stored hashed,
    /// audited); returns the secret.
    pub async fn token(&self, name: &str, role: Role, scope_unit_id: Option<i64>) -> String {
        mint_token(&self.store, name, role, scope_unit_id).await
    }

    /// The same app, sending an admin token with every [`TestApp::graphql`] request: for tests
    /// of writes that are not about access.
    pub async fn with_admin_token(mut self) -> Self {
        self.token = Some(self.token("test admin", Role::Admin, None).await);
        self
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A GET request.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// A GET request with these headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.send().await.expect("GET")
    }

    /// The HTTP client, for requests other than GET.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// A GraphQL request over HTTP (with the token of [`TestApp::with_admin_token`], if any); returns the
    /// whole response body (`data` and `errors`).
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_as(self.token.as_deref(), query, variables).await
    }

    /// A GraphQL request with this bearer token, or none.
    pub async fn graphql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self.client.post(self.url("/graphql"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("POST /graphql");
        assert!(res.status().is_success(), "POST /graphql answered {}", res.status());
        res.json().await.expect("a JSON body")
    }

    /// A GraphQL request that must succeed; returns `data`.
    pub async fn graphql_data(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(body.get("errors").is_none(), "GraphQL errors: {body:#}");
        body["data"].clone()
    }
}

/// A TCP proxy in front of a PostgreSQL server, to take the database away and bring it back
/// (crates.io's unhealthy-database tests): while down, it refuses new connections and cuts the
/// open ones.
pub struct DbProxy {
    /// The database URL through the proxy.
    pub url: String,
    up: Arc<AtomicBool>,
    open: Arc<AtomicUsize>,
}

impl DbProxy {
    /// A proxy for the database at `url` (postgres://user@host:port/name).
    pub async fn start(url: &str) -> Self {
        use tokio::net::{TcpListener, TcpStream};
        let (head, name) = url.rsplit_once('/').expect("a URL ending in /DATABASE");
        let (creds, target) = head.rsplit_once('@').expect("a URL with user@host");
        let target = target.to_owned();
        let up = Arc::new(AtomicBool::new(true));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let via = listener.local_addr().expect("the proxy's address");
        let flag = up.clone();
        let open = Arc::new(AtomicUsize::new(0));
        let counter = open.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else { return };
                if !flag.load(Ordering::SeqCst) {
                    continue;
                }
                let up = flag.clone();
                let target = target.clone();
                let open = counter.clone();
                open.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    // Counted until this task ends, however it ends.
                    struct Open(Arc<AtomicUsize>);
                    impl Drop for Open {
                        fn drop(&mut self) {
                            self.0.fetch_sub(1, Ordering::SeqCst);
                        }
                    }
                    let _open = Open(open);
                    let Ok(mut server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut client, &mut server);
                    let watch = async {
                        while up.load(Ordering::SeqCst) {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! { _ = copy => {}, _ = watch => {} }
                });
            }
        });
        Self {
            url: format!("{creds}@{via}/{name}"),
            up,
            open,
        }
    }

    /// Takes the database away (`false`) or brings it back (`true`).
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }

    /// Takes the database away and returns once every connection through the proxy is cut.
    pub async fn take_down(&self) {
        self.set_up(false);
        while self.open.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

/// A new API token in `store`, made as `styrhub token create` makes one (minted, stored hashed,
/// audited); returns the secret.
pub async fn mint_token(store: &Store, name: &str, role: Role, scope_unit_id: Option<i64>) -> String {
    let (secret, hash) = styrhub_api::access::mint().expect("a token");
    let new = NewToken {
        name: name.into(),
        role,
        scope_unit_id,
        hash,
    };
    store
        .create_token(&Author::system("test"), &new)
        .await
        .expect("the token is stored");
    secret.expose().to_owned()
}

/// The `styrhub` binary on `db`, with the environment that could redirect it removed and its
/// log quiet: what every test through the binary runs.
pub fn styrhub_command(db: &str) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_styrhub"));
    c.arg("--database-url")
        .arg(db)
        .env_remove("STYRHUB_DATABASE_URL")
        .env_remove("STYRHUB_KOLADA_URL")
        .env_remove("STYRHUB_READ_DATABASE_URLS")
        .env("RUST_LOG", "warn");
    c
}

/// The count after `name ` in an ingest summary line, e.g. `inserted 120`.
pub fn summary_count(text: &str, name: &str) -> u64 {
    let at = text.find(&format!("{name} ")).unwrap_or_else(|| panic!("`{name}` in {text}"));
    text[at + name.len() + 1..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The series of Kolada's KPI N00090, the tests' usual key figure.
pub fn n00090() -> styrhub_domain::observation::SeriesRef {
    styrhub_domain::observation::SeriesRef::Kpi(styrhub_domain::ids::KpiId::parse("N00090").expect("a KPI id"))
}

/// Area codes, parsed.
pub fn areas(codes: &[&str]) -> Vec<styrhub_domain::ids::AreaCode> {
    codes
        .iter()
        .map(|c| styrhub_domain::ids::AreaCode::parse(c).expect("an area code"))
        .collect()
}

/// The rows of `table` as the query planner's statistics know them, or `None` when the table has
/// none. PostgreSQL: `pg_class.reltuples` (-1 until the table is first analysed or vacuumed,
/// then the count, 0 for an empty table). SQLite: the row count `sqlite_stat1` holds for the
/// table (no row for an empty table, nor before the first `ANALYZE`).
pub async fn planner_rows(store: &Store, table: &str) -> Option<u64> {
    let conn = store.connection();
    let backend = conn.get_database_backend();
    if store.is_postgres() {
        let sql = format!("SELECT reltuples::float8 AS n FROM pg_class WHERE oid = '{table}'::regclass");
        let row = conn.query_one_raw(Statement::from_string(backend, sql)).await.unwrap().unwrap();
        let n: f64 = row.try_get("", "n").unwrap();
        return (n >= 0.0).then_some(n as u64);
    }
    if !has_statistics_table(store).await {
        return None;
    }
    let sql = format!("SELECT stat FROM sqlite_stat1 WHERE tbl = '{table}' LIMIT 1");
    let row = conn.query_one_raw(Statement::from_string(backend, sql)).await.unwrap()?;
    let stat: String = row.try_get("", "stat").unwrap();
    // The first number of `stat` is the table's row count.
    stat.split(' ').next().and_then(|n| n.parse().ok())
}

/// Whether SQLite holds a statistics table (`ANALYZE` ran at least once); PostgreSQL always has
/// its catalogue, so true there.
pub async fn has_statistics_table(store: &Store) -> bool {
    if store.is_postgres() {
        return true;
    }
    let conn = store.connection();
    conn.query_one_raw(Statement::from_string(
        conn.get_database_backend(),
        "SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
    ))
    .await
    .unwrap()
    .is_some()
}
