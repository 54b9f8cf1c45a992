//! Crate boundaries are the architecture: the domain crate knows no framework.

use std::process::Command;

#[test]
fn the_domain_crate_depends_on_no_framework() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "styrhub-domain",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(crate::helpers::repo_root())
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(tree.contains("styrhub-domain"), "{tree}");
    for banned in ["sea-orm", "sqlx", "axum", "async-graphql", "reqwest", "hyper", "styrhub-store"] {
        let found: Vec<&str> = tree.lines().filter(|l| l.split_whitespace().next() == Some(banned)).collect();
        assert!(found.is_empty(), "styrhub-domain depends on {banned}: {found:?}");
    }
}

/// The files of one of the api crate's modules (a folder under `crates/api/src`).
fn module_sources(module: &str) -> Vec<(std::path::PathBuf, String)> {
    let dir = crate::helpers::repo_root().join("crates/api/src").join(module);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("a source file");
            out.push((path, text));
        }
    }
    assert!(!out.is_empty(), "no sources in {}", dir.display());
    out
}

#[test]
fn neither_protocol_imports_the_other_and_the_read_module_imports_neither() {
    for (module, banned) in [
        ("rest", &["crate::graphql", "graphql::"][..]),
        ("graphql", &["crate::rest", "rest::"][..]),
        ("read", &["crate::graphql", "crate::rest", "async_graphql::Context", "axum"][..]),
    ] {
        for (path, text) in module_sources(module) {
            for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for b in banned {
                    assert!(!line.contains(b), "{} reaches into `{b}`: {line}", path.display());
                }
            }
        }
    }
}
