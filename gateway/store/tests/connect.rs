//! Opening a PostgreSQL store that cannot be had says why at once: sqlx's pool alone retried
//! a failing first connection for its whole acquire timeout (30 s) and then said only "pool
//! timed out while waiting for an open connection".
//!
//! The missing-database case needs the server at `CHARGEGATE_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), skipped with `CHARGEGATE_SKIP_PG=1`.

use std::time::{Duration, Instant};

use store::PgStore;

/// A local port nothing listens on (taken, then let go).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

#[tokio::test]
async fn a_refused_connection_is_said_at_once() {
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", closed_port());
    let started = Instant::now();
    let err = PgStore::connect(&url).await.expect_err("nothing listens");
    let said = err.to_string();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(said.to_lowercase().contains("refused"), "{said}");
    assert!(!said.contains("pool timed out"), "{said}");
}

#[tokio::test]
async fn a_missing_database_is_named() {
    if std::env::var("CHARGEGATE_SKIP_PG").is_ok_and(|v| v == "1") {
        return;
    }
    let server = std::env::var("CHARGEGATE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    let url = format!("{base}/chargegate_no_such_database");
    let started = Instant::now();
    let err = PgStore::connect(&url).await.expect_err("no such database");
    let said = err.to_string();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(said.contains("chargegate_no_such_database"), "{said}");
    assert!(said.contains("does not exist"), "{said}");
}
