//! Tells the integration tests (`tests/it`, built as part of this package) whether they were
//! built to run on PostgreSQL too: with `STYRHUB_TEST_DATABASE_URL` set, `cfg(styrhub_postgres_tests)`
//! holds and each test's PostgreSQL variant runs; without it that variant is built as ignored,
//! so `cargo test` reports it as ignored rather than as passed. The library and the binary do
//! not look at it.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=STYRHUB_TEST_DATABASE_URL");
    println!("cargo::rustc-check-cfg=cfg(styrhub_postgres_tests)");
    if std::env::var("STYRHUB_TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=styrhub_postgres_tests");
    }
}
