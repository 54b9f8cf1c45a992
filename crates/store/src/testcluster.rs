//! A PostgreSQL primary and a streaming replica of it, made and started by a test or a bench
//! itself (`initdb`, then `pg_basebackup -R`), on ports of their own, in a temporary folder removed when
//! the cluster is dropped. The binaries are PostgreSQL's own (`pg_config --bindir`, or
//! `STYRHUB_TEST_PG_BINDIR`); as root (CI) they run as the `postgres` user, since PostgreSQL
//! refuses to run as root. Behind the `testcluster` feature: never in the binary. The servers
//! run with `fsync = off`, as a test needs no durability.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A primary and its replica.
pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    as_postgres: bool,
    /// The primary's port.
    pub primary_port: u16,
    /// The replica's port.
    pub replica_port: u16,
    replica_running: bool,
}

impl Cluster {
    /// Makes and starts both servers; the replica streams from the primary.
    pub fn start() -> Self {
        let bin = std::env::var_os("STYRHUB_TEST_PG_BINDIR").map(PathBuf::from).unwrap_or_else(|| {
            let out = Command::new("pg_config")
                .arg("--bindir")
                .output()
                .expect("pg_config runs (PostgreSQL's server binaries are needed for the replica tests)");
            PathBuf::from(String::from_utf8(out.stdout).expect("a path").trim())
        });
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut cluster = Self {
            bin,
            dir,
            as_postgres,
            primary_port: free_port(),
            replica_port: free_port(),
            replica_running: false,
        };
        if as_postgres {
            run(Command::new("chown").args(["-R", "postgres:"]).arg(cluster.dir.path()));
        }
        let primary = cluster.path("primary");
        cluster.pg(
            "initdb",
            &["-D", s(&primary), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        );
        let conf = format!(
            "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off\n\
             max_wal_senders = 4\nwal_level = replica\nhot_standby = on\n",
            cluster.primary_port,
            cluster.dir.path().display()
        );
        append(&primary.join("postgresql.conf"), &conf);
        cluster.pg_ctl(&primary, "start");
        let replica = cluster.path("replica");
        let port = cluster.primary_port.to_string();
        cluster.pg(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                s(&replica),
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ],
        );
        append(&replica.join("postgresql.conf"), &format!("port = {}\n", cluster.replica_port));
        cluster.pg_ctl(&replica, "start");
        cluster.replica_running = true;
        cluster
    }

    /// The URL of database `name` on the primary.
    pub fn primary_url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.primary_port)
    }

    /// The URL of database `name` on the replica.
    pub fn replica_url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.replica_port)
    }

    /// Stops the replica at once, as a crash would.
    pub fn stop_replica(&mut self) {
        let replica = self.path("replica");
        self.pg_ctl_stop(&replica);
        self.replica_running = false;
    }

    /// The primary's postmaster process id (its children are the primary's backends).
    pub fn primary_pid(&self) -> u32 {
        postmaster_pid(&self.path("primary"))
    }

    /// The replica's postmaster process id.
    pub fn replica_pid(&self) -> u32 {
        postmaster_pid(&self.path("replica"))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn pg(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        run(cmd.args(args));
    }

    fn pg_ctl(&self, data: &Path, action: &str) {
        let log = data.with_extension("log");
        self.pg("pg_ctl", &["-D", s(data), "-l", s(&log), "-w", "-t", "30", action]);
    }

    fn pg_ctl_stop(&self, data: &Path) {
        self.pg("pg_ctl", &["-D", s(data), "-m", "immediate", "-w", "stop"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.replica_running {
            let replica = self.path("replica");
            self.pg_ctl_stop(&replica);
        }
        let primary = self.path("primary");
        self.pg_ctl_stop(&primary);
    }
}

/// The first line of a data folder's `postmaster.pid`.
fn postmaster_pid(data: &Path) -> u32 {
    let text = std::fs::read_to_string(data.join("postmaster.pid")).expect("postmaster.pid of a running server");
    text.lines().next().and_then(|l| l.trim().parse().ok()).expect("a process id")
}

fn s(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

fn append(file: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(file).expect("open the configuration");
    f.write_all(text.as_bytes()).expect("write the configuration");
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?} runs: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A port nothing listens on now (the OS's choice, released at once).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
