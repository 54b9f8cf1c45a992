//! The typed configuration. Nothing else reads the environment: clap reads `STYRHUB_*`
//! variables for the flags here, and every other module receives these values.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Styrhub: an indicator data hub for Swedish municipalities.
#[derive(Debug, Parser)]
#[command(name = "styrhub", version, about)]
pub struct Cli {
    /// Database URL: sqlite://PATH (created on first run) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "STYRHUB_DATABASE_URL", default_value = styrhub_store::db::DEFAULT_DATABASE_URL, hide_env_values = true)]
    pub database_url: String,

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
}
