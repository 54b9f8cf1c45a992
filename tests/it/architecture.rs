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
