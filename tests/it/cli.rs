//! The `styrhub` binary end to end.

use std::process::{Command, Output};

use crate::helpers::{both, demo_dir, repo_root};

fn styrhub(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_styrhub"))
        .args(args)
        .current_dir(dir.path())
        .env_remove("STYRHUB_DATABASE_URL")
        .env_remove("STYRHUB_DEMO_DIR")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A failure is one line on stderr naming what was wrong, and a non-zero exit.
fn assert_one_line_error(o: &Output, expected: &str) {
    assert!(!o.status.success(), "expected a failure, got {:?}", o.status);
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got: {err}");
    assert!(lines[0].starts_with("styrhub: error: "), "{err}");
    assert!(lines[0].contains(expected), "`{expected}` in: {err}");
}

both! {
    async fn migrate_then_demo_twice_through_the_binary(db: TestDb) {
        let url = db.url.clone();
        let demo = demo_dir().display().to_string();
        let o = styrhub(&["--database-url", &url, "migrate"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let first = styrhub(&["--database-url", &url, "demo", "--demo-dir", &demo]);
        assert!(first.status.success(), "{}", stderr(&first));
        assert!(stdout(&first).contains("loaded 1489"), "{}", stdout(&first));
        assert!(stdout(&first).contains("loaded Kolada figures (Källa: Kolada): KPIs 6099 inserted"), "{}", stdout(&first));
        let second = styrhub(&["--database-url", &url, "demo", "--demo-dir", &demo]);
        assert!(second.status.success(), "{}", stderr(&second));
        for line in stdout(&second).lines().filter(|l| l.starts_with("loaded")) {
            assert!(line.contains(" 0 inserted, 0 updated"), "the second load changes nothing: {line}");
        }
    }
}

#[test]
fn a_malformed_database_url_is_one_clear_line() {
    let o = styrhub(&["--database-url", "mysql://localhost/x", "migrate"]);
    assert_one_line_error(&o, "database URL `mysql://localhost/x` is not valid");
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    // Port 1 on loopback: nothing listens there.
    let o = styrhub(&["--database-url", "postgres://styrhub:secret@127.0.0.1:1/styrhub", "migrate"]);
    assert_one_line_error(&o, "cannot connect to the database");
    assert!(!stderr(&o).contains("secret"), "the password is never printed: {}", stderr(&o));
    // PostgreSQL also takes the password as a parameter.
    let o = styrhub(&[
        "--database-url",
        "postgres://127.0.0.1:1/styrhub?user=styrhub&password=secret",
        "migrate",
    ]);
    assert_one_line_error(&o, "cannot connect to the database");
    assert!(!stderr(&o).contains("secret"), "the password is never printed: {}", stderr(&o));
}

#[test]
fn a_missing_demo_folder_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("x.db").display());
    let o = styrhub(&["--database-url", &url, "demo", "--demo-dir", "/nonexistent/demo"]);
    assert_one_line_error(&o, "/nonexistent/demo");
}

#[test]
fn an_invalid_package_names_the_file_and_field_and_loads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("demo").join("test");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("municipality.toml"),
        "[municipality]\ncode = \"0764\"\nname = \"Alvesta\"\n\n[[org_units]]\nkey = \"kf\"\nname = \"KF\"\nkind = \"council\"\nparent = \"nope\"\n",
    )
    .unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("x.db").display());
    let o = styrhub(&[
        "--database-url",
        &url,
        "demo",
        "--demo-dir",
        &dir.path().join("demo").display().to_string(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("org_units[kf].parent"), "{}", stderr(&o));
}

#[test]
fn schema_prints_the_committed_sdl() {
    let o = styrhub(&["schema"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let committed = std::fs::read_to_string(repo_root().join("schema.graphql")).unwrap_or_default();
    assert_eq!(stdout(&o), committed);
}

#[tokio::test]
async fn healthcheck_asks_a_running_server() {
    let app = crate::helpers::TestApp::spawn(crate::helpers::TestDb::sqlite().await).await;
    let addr = app.addr.to_string();
    // The binary blocks; run it off the runtime that serves the app.
    let o = tokio::task::spawn_blocking(move || styrhub(&["healthcheck", "--addr", &addr]))
        .await
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = styrhub(&["healthcheck", "--addr", "127.0.0.1:1"]);
    assert_one_line_error(&o, "nothing answers on 127.0.0.1:1");
}

both! {
    async fn tokens_are_created_listed_and_revoked_through_the_binary(db: TestDb) {
        let url = db.url.clone();
        let demo = demo_dir().display().to_string();
        let o = styrhub(&["--database-url", &url, "demo", "--demo-dir", &demo]);
        assert!(o.status.success(), "{}", stderr(&o));

        let o = styrhub(&["--database-url", &url, "token", "create", "--name", "Socialnämndens redaktör", "--role", "editor", "--scope-unit", "1489/sn"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let secret = stdout(&o).trim().to_owned();
        assert!(secret.starts_with("styrhub_") && !secret.contains(char::is_whitespace), "only the token on stdout: {secret}");
        assert!(stderr(&o).contains("editor") && stderr(&o).contains("Socialnämnden"), "{}", stderr(&o));
        let o = styrhub(&["--database-url", &url, "token", "create", "--name", "BI", "--role", "reader"]);
        assert!(o.status.success(), "{}", stderr(&o));

        // Errors name what was wrong.
        let o = styrhub(&["--database-url", &url, "token", "create", "--name", "x", "--role", "owner"]);
        assert!(!o.status.success() && stderr(&o).contains("`owner` is not a role"), "{}", stderr(&o));
        let o = styrhub(&["--database-url", &url, "token", "create", "--name", "x", "--role", "editor", "--scope-unit", "1489/nope"]);
        assert_one_line_error(&o, "--scope-unit `1489/nope`: there is no such organisation unit");
        let o = styrhub(&["--database-url", &url, "token", "create", "--name", "x", "--role", "editor", "--scope-unit", "9999/sn"]);
        assert_one_line_error(&o, "there is no municipality 9999");
        let o = styrhub(&["--database-url", &url, "token", "create", "--name", "x", "--role", "editor"]);
        assert_one_line_error(&o, "--scope-unit: an editor token needs a scope unit");
        let o = styrhub(&["--database-url", &url, "token", "create", "--name", "x", "--role", "admin", "--scope-unit", "1489/sn"]);
        assert_one_line_error(&o, "only editor tokens have a scope unit");

        let o = styrhub(&["--database-url", &url, "token", "list"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let list = stdout(&o);
        assert!(list.contains("Socialnämndens redaktör") && list.contains("BI"), "{list}");
        assert!(!list.contains(&secret) && !list.contains("styrhub_"), "no secrets in the list: {list}");
        assert_eq!(list.lines().count(), 3, "a header and two tokens: {list}");

        // The token works against a server on the same database, as its name.
        let app = crate::helpers::TestApp::spawn(db).await;
        let q = r#"mutation($u: Int!) { createGoal(input: { municipality: "1489", governanceModel: "styrmodell-2019", title: "Ett nämndmål",
                    kind: COMMITTEE_GOAL, ownerId: $u, validFrom: "2022-01-01", validTo: "2023-12-31" }) { goal { id } } }"#;
        let sn = app.graphql_data(r#"{ orgUnits(municipality: "1489", kind: COMMITTEE) { nodes { id key } } }"#, serde_json::json!({})).await["orgUnits"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["key"] == "sn")
            .unwrap()["id"]
            .clone();
        let body = app.graphql_as(Some(&secret), q, serde_json::json!({ "u": sn })).await;
        assert!(body.get("errors").is_none(), "{body:#}");

        let id = list.lines().find(|l| l.contains("Socialnämndens redaktör")).unwrap().split_whitespace().next().unwrap().to_owned();
        let o = styrhub(&["--database-url", &url, "token", "revoke", &id]);
        assert!(o.status.success(), "{}", stderr(&o));
        let body = app.graphql_as(Some(&secret), q, serde_json::json!({ "u": sn })).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{body:#}");
        let o = styrhub(&["--database-url", &url, "token", "revoke", "999999"]);
        assert_one_line_error(&o, "token 999999 not found");
    }
}
