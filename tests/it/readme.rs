//! Every example of the README, run against the demo as a newcomer would run it after
//! `cargo run -- serve --demo`: each GraphQL block answers without errors, and each `curl` of a
//! REST read answers as the README says (200, or the 400 it announces). The examples are read
//! from the README itself, so an example edited there is tested as edited.
//!
//! Left to other tests: the `styrhub` commands (`tests/it/cli.rs`, `ingest.rs`, `access.rs`)
//! and the mutation sent with a token (`tests/it/mutations.rs`), which need a token made first.

use serde_json::json;

use crate::helpers::{both, repo_root, TestApp};

/// The README's fenced blocks of `language`, each as its text.
fn blocks(readme: &str, language: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        let fence = line.trim_start();
        match &mut current {
            None if fence == format!("```{language}") => current = Some(String::new()),
            Some(block) if fence == "```" => {
                out.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    out
}

/// A `curl` line of a REST or OData read: its path and query, its headers, and the status the
/// README promises (400 or 501 where its comment says so).
struct Curl {
    path: String,
    headers: Vec<(String, String)>,
    status: u16,
}

fn curls(readme: &str) -> Vec<Curl> {
    let mut out = Vec::new();
    for line in readme.lines().map(str::trim) {
        // GET reads only: a line that sends a body is a write (tested with its token elsewhere).
        if !line.starts_with("curl ") || line.contains(" -d ") || line.ends_with('\\') {
            continue;
        }
        let (command, comment) = line.split_once('#').unwrap_or((line, ""));
        let quoted: Vec<&str> = command.split('\'').skip(1).step_by(2).collect();
        let Some(url) = quoted.iter().find(|q| q.starts_with("localhost:8080")) else {
            continue;
        };
        let mut headers = Vec::new();
        let words: Vec<&str> = command.split('\'').collect();
        for (i, w) in words.iter().enumerate() {
            if w.trim_end().ends_with("-H") {
                if let Some((name, value)) = words.get(i + 1).and_then(|h| h.split_once(':')) {
                    headers.push((name.trim().to_owned(), value.trim().to_owned()));
                }
            }
        }
        out.push(Curl {
            path: url.trim_start_matches("localhost:8080").to_owned(),
            headers,
            status: if comment.contains("a 400") {
                400
            } else if comment.contains("a 501") {
                501
            } else {
                200
            },
        });
    }
    out
}

fn readme() -> String {
    std::fs::read_to_string(repo_root().join("README.md")).expect("the README")
}

#[test]
fn the_readme_has_examples_to_run() {
    let text = readme();
    assert!(blocks(&text, "graphql").len() >= 3, "GraphQL examples");
    assert!(curls(&text).len() >= 9, "curl examples");
}

both! {
    async fn every_readme_example_answers_on_the_demo(db: TestDb) {
        // An admin token: one example reads the audit log, which only admins may.
        let app = TestApp::spawn(db).await.with_demo().await.with_admin_token().await;
        let text = readme();
        for query in blocks(&text, "graphql") {
            let body = app.graphql(&query, json!({})).await;
            assert!(body.get("errors").is_none(), "README example:\n{query}\nanswered {body:#}");
            assert!(body["data"].as_object().is_some_and(|d| !d.is_empty()), "{query}");
        }
        let examples = curls(&text);
        for c in &examples {
            let headers: Vec<(&str, &str)> = c.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let res = app.get_with(&c.path, &headers).await;
            let status = res.status().as_u16();
            let body = res.text().await.unwrap_or_default();
            assert_eq!(status, c.status, "README example `curl {}` answered {status}: {}", c.path, &body[..body.len().min(300)]);
            assert!(!body.is_empty(), "{}", c.path);
        }
        // The health check mentioned in the text.
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
}
