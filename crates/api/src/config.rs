//! The typed configuration. Nothing else reads the environment: clap reads `STYRHUB_*`
//! variables for the flags here, and every other module receives these values.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::http::HeaderValue;
use clap::{Args, Parser, Subcommand};

/// The database URL. It may carry a password, so its `Debug` (and so the configuration's, in a
/// log or a panic) shows the URL with the password hidden; only [`DatabaseUrl::expose`] gives
/// the URL itself, to the one place that connects.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL with its password, for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        Ok(Self(url.to_owned()))
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("DatabaseUrl").field(&styrhub_store::db::redact(&self.0)).finish()
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&styrhub_store::db::redact(&self.0))
    }
}

/// Styrhub: an indicator data hub for Swedish municipalities.
#[derive(Debug, Parser)]
#[command(name = "styrhub", version, about)]
pub struct Cli {
    /// Database URL: sqlite://PATH (created on first run) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "STYRHUB_DATABASE_URL", default_value = styrhub_store::db::DEFAULT_DATABASE_URL, hide_env_values = true)]
    pub database_url: DatabaseUrl,

    /// How long, in milliseconds, a request waits for a database connection from the pool
    /// before it fails with 503 (pool exhausted, or the database down).
    #[arg(long, global = true, env = "STYRHUB_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 2000)]
    pub db_acquire_timeout_ms: u64,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of the binary.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply the database migrations.
    Migrate,
    /// Load the demo municipality (Alingsås) and the seed municipalities; idempotent.
    Demo(DemoArgs),
    /// Start the HTTP server (migrates first).
    Serve(ServeArgs),
    /// Print the GraphQL schema (SDL) to standard output.
    Schema,
    /// Ask a running server's `/healthz` whether it is up (for container health checks).
    Healthcheck(HealthcheckArgs),
    /// Pull key figures into the database: from Kolada, or from a file.
    #[command(subcommand)]
    Ingest(IngestCommand),
    /// Manage API tokens: create (shown once), list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Comparison groups: save a municipality's own group, list the stored ones.
    #[command(subcommand)]
    Group(GroupCommand),
}

/// What `group` does.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create or replace a municipality's own comparison group (audited as `cli`).
    Save(GroupSaveArgs),
    /// List the stored groups with their members.
    List(GroupListArgs),
}

/// Options of `group save`.
#[derive(Debug, Clone, Args)]
pub struct GroupSaveArgs {
    /// The owning municipality's code, e.g. 1489.
    #[arg(long)]
    pub municipality: String,
    /// The group's key (lower-case ASCII letters, digits and -); its code is MUNICIPALITY:KEY.
    #[arg(long)]
    pub key: String,
    /// The title, e.g. "Alingsås jämförelsekommuner".
    #[arg(long)]
    pub title: String,
    /// The members, comma-separated: a code (1440), or a code with its years (1401:2019-,
    /// 1463:2015-2020, 1487:-2018).
    #[arg(long)]
    pub members: String,
    /// The first year the group holds.
    #[arg(long)]
    pub from: Option<i32>,
    /// The last year it holds.
    #[arg(long)]
    pub to: Option<i32>,
}

/// Options of `group list`.
#[derive(Debug, Clone, Args)]
pub struct GroupListArgs {
    /// Only Kolada's groups and this municipality's own.
    #[arg(long)]
    pub municipality: Option<String>,
}

/// What `token` does.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it once (on standard output; the details go to standard error).
    Create(TokenCreateArgs),
    /// List the tokens (never their secrets).
    List,
    /// Revoke a token by id: it is refused from then on.
    Revoke(TokenRevokeArgs),
}

/// Options of `token create`.
#[derive(Debug, Clone, Args)]
pub struct TokenCreateArgs {
    /// Whose token it is or what it is for, e.g. "Anna, socialnämnden" (shown in the audit log).
    #[arg(long)]
    pub name: String,
    /// reader, editor or admin.
    #[arg(long, value_parser = parse_role)]
    pub role: styrhub_domain::access::Role,
    /// The organisation unit an editor may change, with everything below it: its id, or
    /// MUNICIPALITY-CODE/UNIT-KEY such as 1489/sn (1489/1489 is the whole municipality). Editors
    /// only, and required for them.
    #[arg(long)]
    pub scope_unit: Option<String>,
}

/// Options of `token revoke`.
#[derive(Debug, Clone, Args)]
pub struct TokenRevokeArgs {
    /// The token's id (see `token list`).
    pub id: i64,
}

fn parse_role(s: &str) -> Result<styrhub_domain::access::Role, String> {
    styrhub_domain::access::Role::parse(s).map_err(|e| e.message)
}

/// The sources `ingest` reads.
#[derive(Debug, Subcommand)]
pub enum IngestCommand {
    /// Sync KPIs from Kolada (v3; v2-shaped mirrors too): metadata, then values, incrementally.
    Kolada(KoladaArgs),
    /// Import a CSV file (see the layout in the README) or JSON in Kolada's data format.
    File(FileArgs),
}

/// Options of `ingest kolada`.
#[derive(Debug, Clone, Args)]
pub struct KoladaArgs {
    /// KPI ids, comma-separated, e.g. N15419,N00945.
    #[arg(long, value_delimiter = ',', required_unless_present = "config")]
    pub kpi: Vec<String>,
    /// Municipality (or region, 0000, group) codes, comma-separated, e.g. 1489,0000. With --ou:
    /// the municipalities whose organisational units to sync.
    #[arg(long, value_delimiter = ',', required_unless_present = "config")]
    pub municipality: Vec<String>,
    /// Years: a range such as 2015-2024 or a list such as 2019,2021.
    #[arg(long, required_unless_present = "config")]
    pub years: Option<String>,
    /// Organisational-unit data (schools, care homes …) instead of municipal data.
    #[arg(long)]
    pub ou: bool,
    /// Only values changed since this day (YYYY-MM-DD); by default, since the last successful
    /// run with the same parameters.
    #[arg(long, value_parser = parse_day)]
    pub since: Option<chrono::NaiveDate>,
    /// Re-read everything, ignoring earlier runs (Kolada revises values without notice).
    #[arg(long, conflicts_with = "since")]
    pub full: bool,
    /// A sync file of one or more [[sync]] blocks (see examples/sync.toml).
    #[arg(long, conflicts_with_all = ["kpi", "municipality", "years", "ou"])]
    pub config: Option<PathBuf>,
    /// The API's base URL (a mirror, or a test server).
    #[arg(long, env = "STYRHUB_KOLADA_URL")]
    pub base_url: Option<String>,
    /// Requests per second at most.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Requests in flight at most.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Tries per request before giving up.
    #[arg(long, default_value_t = 5)]
    pub max_tries: u32,
    /// Seconds before a request times out.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// First retry delay in milliseconds; it doubles with each try (with jitter).
    #[arg(long, default_value_t = 500)]
    pub backoff_ms: u64,
    /// Fetch and count, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Options of `ingest file`.
#[derive(Debug, Clone, Args)]
pub struct FileArgs {
    /// The file: .csv, or .json in Kolada's data format.
    pub path: PathBuf,
    /// Import the valid rows of a file with errors (the errors are reported).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Check the file, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn parse_day(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("`{s}` is not a date (YYYY-MM-DD)"))
}

/// Options of `healthcheck`.
#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    /// The server's address; an unspecified IP (0.0.0.0) means this host.
    #[arg(long, env = "STYRHUB_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
}

/// Where the municipality packages are.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Folder of municipality packages (one sub-folder each).
    #[arg(long, env = "STYRHUB_DEMO_DIR", default_value_os_t = default_demo_dir())]
    pub demo_dir: PathBuf,
}

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "STYRHUB_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Load the demo data before serving.
    #[arg(long)]
    pub demo: bool,
    /// Where the demo data is, with --demo.
    #[command(flatten)]
    pub demo_args: DemoArgs,
    /// Origins whose browser pages may call the API (CORS), comma-separated, e.g.
    /// https://dashboards.example.se; `*` allows any. None by default.
    #[arg(long = "cors-origin", env = "STYRHUB_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_origin: Vec<HeaderValue>,
    /// How long, in milliseconds, a series answer is served again without reading the
    /// database; 0, the default, keeps nothing. Ingests in other processes show after at most
    /// this long (answers tell clients `max-age=60` anyway); writes this server commits show at
    /// once. At most 128 MiB of answers are kept.
    #[arg(long, env = "STYRHUB_SERIES_CACHE_TTL_MS", default_value_t = 0)]
    pub series_cache_ttl_ms: u64,
    /// How long, in milliseconds, a GraphQL query's answer is served again to the same caller
    /// without running it; 0, the default, keeps nothing. Every write this server commits
    /// forgets every kept answer at once; ingests in other processes show after at most this
    /// long. At most 128 MiB of answers are kept.
    #[arg(long, env = "STYRHUB_GRAPHQL_CACHE_TTL_MS", default_value_t = 0)]
    pub graphql_cache_ttl_ms: u64,
    /// Make every GraphQL request and REST read need an API token (reads are open data by
    /// default); health checks, the dashboard's files and /metrics stay public.
    #[arg(long, env = "STYRHUB_REQUIRE_TOKEN_FOR_READS")]
    pub require_token_for_reads: bool,
    /// Request size, time and rate limits.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Read replicas (PostgreSQL streaming replicas of --database-url).
    #[command(flatten)]
    pub replicas: ReplicaArgs,
}

/// Read replicas of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ReplicaArgs {
    /// A read replica of the primary (--database-url), e.g. postgres://app@replica1/styrhub:
    /// repeat it, or give several comma-separated. Reads go to the replicas in turn; writes,
    /// and the reads of a caller whose token wrote moments ago, to the primary. A replica that
    /// is down or further behind than --replica-max-lag-ms is skipped, and the primary serves.
    #[arg(
        long = "read-database-url",
        env = "STYRHUB_READ_DATABASE_URLS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub read_database_urls: Vec<DatabaseUrl>,
    /// How far behind the primary, in milliseconds, a replica may be and still be read.
    #[arg(long, env = "STYRHUB_REPLICA_MAX_LAG_MS", default_value_t = styrhub_store::replicas::DEFAULT_MAX_LAG.as_millis() as u64)]
    pub replica_max_lag_ms: u64,
    /// How often, in milliseconds, each replica's lag is checked.
    #[arg(long, env = "STYRHUB_REPLICA_CHECK_INTERVAL_MS", default_value_t = styrhub_store::replicas::DEFAULT_CHECK_INTERVAL.as_millis() as u64)]
    pub replica_check_interval_ms: u64,
}

impl ReplicaArgs {
    /// The URLs, for connecting.
    pub fn urls(&self) -> Vec<String> {
        self.read_database_urls.iter().map(|u| u.expose().to_owned()).collect()
    }

    /// How the replicas are used, each read waiting at most `acquire_timeout` for a connection.
    pub fn options(&self, acquire_timeout: std::time::Duration) -> styrhub_store::replicas::ReplicaOptions {
        styrhub_store::replicas::ReplicaOptions {
            max_lag: std::time::Duration::from_millis(self.replica_max_lag_ms),
            interval: std::time::Duration::from_millis(self.replica_check_interval_ms.max(10)),
            acquire_timeout,
        }
    }
}

impl ServeArgs {
    /// The HTTP options these flags set.
    pub fn http(&self) -> crate::app::HttpOptions {
        crate::app::HttpOptions {
            cors_origins: self.cors_origin.clone(),
            series_cache_ttl: std::time::Duration::from_millis(self.series_cache_ttl_ms),
            graphql_cache_ttl: std::time::Duration::from_millis(self.graphql_cache_ttl_ms),
            require_token_for_reads: self.require_token_for_reads,
            limits: self.limits.limits(),
        }
    }
}

/// The limits of `serve` (see `limits::Limits`, whose defaults these are).
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// The largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, env = "STYRHUB_MAX_BODY_BYTES", default_value_t = crate::limits::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// How long, in milliseconds, a request may take before it is answered 503; 0: no limit.
    #[arg(long, env = "STYRHUB_REQUEST_TIMEOUT_MS", default_value_t = crate::limits::DEFAULT_REQUEST_TIMEOUT.as_millis() as u64)]
    pub request_timeout_ms: u64,
    /// The deepest nesting a GraphQL query may have.
    #[arg(long, env = "STYRHUB_GRAPHQL_MAX_DEPTH", default_value_t = crate::graphql::MAX_DEPTH)]
    pub graphql_max_depth: usize,
    /// The largest cost a GraphQL query may have, counted with its fan-out (each list's items
    /// times what is selected under them; see the README's "Limits and reliability").
    #[arg(long, env = "STYRHUB_GRAPHQL_MAX_COMPLEXITY", default_value_t = crate::graphql::MAX_COMPLEXITY)]
    pub graphql_max_complexity: usize,
    /// The longest page a list answers (REST `limit`, GraphQL `first`/`last`).
    #[arg(long, env = "STYRHUB_MAX_PAGE_SIZE", default_value_t = crate::rest::page::MAX_LIMIT)]
    pub max_page_size: usize,
    /// Rows per page of an OData feed (`/odata/…`); the client follows `@odata.nextLink`.
    #[arg(long, env = "STYRHUB_ODATA_PAGE_SIZE", default_value_t = crate::odata::PAGE_SIZE)]
    pub odata_page_size: u64,
    /// Refuse GraphQL introspection (`__schema`, `__type`), e.g. for a private deployment.
    #[arg(long, env = "STYRHUB_DISABLE_INTROSPECTION")]
    pub no_introspection: bool,
    /// Requests per minute from one client address (without a bearer token); 0: no limit.
    #[arg(long, env = "STYRHUB_RATE_LIMIT_PER_MINUTE", default_value_t = crate::limits::DEFAULT_PER_ADDRESS_PER_MINUTE)]
    pub rate_limit_per_minute: u32,
    /// Requests per minute with one bearer token; 0: no limit.
    #[arg(long, env = "STYRHUB_TOKEN_RATE_LIMIT_PER_MINUTE", default_value_t = crate::limits::DEFAULT_PER_TOKEN_PER_MINUTE)]
    pub token_rate_limit_per_minute: u32,
    /// Reverse proxies (IP addresses, comma-separated) whose X-Forwarded-For names the client
    /// for the per-address limit; the header is ignored from anyone else.
    #[arg(long, env = "STYRHUB_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxy: Vec<std::net::IpAddr>,
}

impl LimitArgs {
    /// The limits these flags set.
    pub fn limits(&self) -> crate::limits::Limits {
        crate::limits::Limits {
            max_body_bytes: self.max_body_bytes,
            request_timeout: std::time::Duration::from_millis(self.request_timeout_ms),
            graphql_max_depth: self.graphql_max_depth,
            graphql_max_complexity: self.graphql_max_complexity,
            max_page_size: self.max_page_size.max(1),
            odata_page_size: self.odata_page_size.max(1),
            introspection: !self.no_introspection,
            per_address_per_minute: self.rate_limit_per_minute,
            per_token_per_minute: self.token_rate_limit_per_minute,
            trusted_proxies: self.trusted_proxy.clone(),
        }
    }
}

/// An origin as browsers send it: `scheme://host[:port]`, no path; or `*`.
fn parse_origin(s: &str) -> Result<HeaderValue, String> {
    let s = s.trim();
    let well_formed = s == "*"
        || s.split_once("://").is_some_and(|(scheme, rest)| {
            matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains('/') && !rest.contains(char::is_whitespace)
        });
    if !well_formed {
        return Err(format!(
            "`{s}` is not an origin such as https://dashboards.example.se (scheme and host, no path) or *"
        ));
    }
    HeaderValue::from_str(s).map_err(|_| format!("`{s}` cannot be sent in a header"))
}

/// `demo/` in the working directory when there is one, else the repository's.
pub fn default_demo_dir() -> PathBuf {
    let here = PathBuf::from("demo");
    if here.is_dir() {
        here
    } else {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo"))
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_valid() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn the_configuration_never_shows_the_database_password() {
        use clap::Parser;
        for (url, shown) in [
            ("postgres://app:s3cret@db:5432/styrhub", "postgres://app:***@db:5432/styrhub"),
            (
                "postgres://db/styrhub?user=app&password=s3cret",
                "postgres://db/styrhub?user=app&password=***",
            ),
        ] {
            let cli = super::Cli::try_parse_from(["styrhub", "--database-url", url, "migrate"]).unwrap();
            assert_eq!(cli.database_url.expose(), url, "connecting uses the URL as given");
            let debug = format!("{cli:?} {cli:#?} {}", cli.database_url);
            assert!(!debug.contains("s3cret"), "{debug}");
            assert!(debug.contains(shown), "{debug}");
        }
    }

    #[test]
    fn the_limit_flags_default_to_the_documented_limits() {
        use clap::Parser;
        let cli = super::Cli::try_parse_from(["styrhub", "serve"]).unwrap();
        let super::Command::Serve(args) = cli.command else {
            panic!("serve")
        };
        assert_eq!(args.limits.limits(), crate::limits::Limits::default());
        assert_eq!(cli.db_acquire_timeout_ms, 2000);
    }

    #[test]
    fn serve_keeps_no_answers_unless_told_to() {
        use clap::Parser;
        let cli = super::Cli::try_parse_from(["styrhub", "serve"]).unwrap();
        let super::Command::Serve(args) = cli.command else {
            panic!("serve")
        };
        let http = args.http();
        assert!(http.series_cache_ttl.is_zero() && http.graphql_cache_ttl.is_zero(), "{http:?}");
        let default = crate::app::HttpOptions::default();
        assert!(default.series_cache_ttl.is_zero() && default.graphql_cache_ttl.is_zero());
        let on = ["styrhub", "serve", "--series-cache-ttl-ms", "1000", "--graphql-cache-ttl-ms", "500"];
        let super::Command::Serve(args) = super::Cli::try_parse_from(on).unwrap().command else {
            panic!("serve")
        };
        assert_eq!(args.http().series_cache_ttl, std::time::Duration::from_secs(1));
        assert_eq!(args.http().graphql_cache_ttl, std::time::Duration::from_millis(500));
    }

    #[test]
    fn cors_origins_are_scheme_and_host_only() {
        assert!(super::parse_origin("https://dashboards.example.se").is_ok());
        assert!(super::parse_origin("http://localhost:3000").is_ok());
        assert!(super::parse_origin("*").is_ok());
        assert!(super::parse_origin("dashboards.example.se").is_err());
        assert!(super::parse_origin("https://example.se/path").is_err());
    }
}
