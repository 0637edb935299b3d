//! Migration 0014 on a database that already has outbox rows: each keeps its id, payload and
//! state, and new rows (with a payload or naming a document) follow them. SQLite rebuilds the
//! table, PostgreSQL alters it; both run here (PostgreSQL unless `CHARGEGATE_SKIP_PG=1`).

use std::borrow::Cow;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor};
use store::*;
use uuid::Uuid;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The backend's migrations before 0014.
async fn migrations_before_0014(backend: &str) -> Migrator {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/migrations")
        .join(backend);
    let mut migrator = Migrator::new(dir).await.expect("migrations");
    let older: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version < 14)
        .cloned()
        .collect();
    assert!(older.len() >= 11, "{backend}: {} migrations", older.len());
    migrator.migrations = Cow::Owned(older);
    migrator
}

fn t(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("time")
}

fn message(id: &str, payload: &[u8]) -> OutboxMessage {
    OutboxMessage {
        message_id: id.into(),
        exchange: "chargegate.docs".into(),
        routing_key: "outbound.claim.acme".into(),
        headers: json!({"doc_type": "claim", "partner": "acme"}),
        payload: payload.to_vec(),
        created_at: t(0),
    }
}

/// Writes rows through the pre-0014 schema, migrates, and checks what the relay sees.
async fn rows_survive(store: &dyn Store) {
    let mut tx = store.begin().await.expect("begin");
    for (id, payload) in [
        ("m1", "{\"a\":1}"),
        ("m2", "{\"b\":2}"),
        ("m3", "{\"c\": 3}"),
    ] {
        assert!(
            tx.insert_outbox(&message(id, payload.as_bytes()))
                .await
                .expect("old row")
        );
    }
    tx.commit().await.expect("commit");
    store.mark_sent(2, t(5)).await.expect("sent");
    store
        .record_publish_failure(3, "reset")
        .await
        .expect("fail");

    store.migrate().await.expect("migrate to 0014");

    let pending = store.pending_outbox(10).await.expect("pending");
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0].id, 1);
    assert_eq!(pending[0].message, message("m1", b"{\"a\":1}"));
    assert_eq!(pending[1].id, 3);
    assert_eq!(pending[1].message, message("m3", b"{\"c\": 3}"));
    assert_eq!(pending[1].attempts, 1);
    assert_eq!(pending[1].last_error.as_deref(), Some("reset"));

    // New rows come after the old ones, by payload or by document.
    let doc = NewDocument {
        id: Uuid::now_v7(),
        idempotency_key: "outbound:m5".into(),
        doc_type: "claim".into(),
        partner: "acme".into(),
        source: DocumentSource::default(),
        tx_id: None,
        body: JsonText::from_string("{\"d\":[4]}".into()).expect("json"),
        created_at: t(0),
    };
    let mut tx = store.begin().await.expect("begin");
    assert!(tx.insert_outbox(&message("m4", b"{}")).await.expect("m4"));
    assert!(tx.insert_document(&doc).await.expect("doc"));
    assert!(
        tx.insert_outbox_for_document(&message("m5", b""), doc.id)
            .await
            .expect("m5")
    );
    tx.commit().await.expect("commit");
    let pending = store.pending_outbox(10).await.expect("pending");
    let rows: Vec<_> = pending
        .iter()
        .map(|r| (r.id, r.message.message_id.as_str()))
        .collect();
    assert_eq!(rows, [(1, "m1"), (3, "m3"), (4, "m4"), (5, "m5")]);
    assert_eq!(pending[3].message.payload, b"{\"d\":[4]}");
}

#[tokio::test]
async fn sqlite_outbox_rows_survive_0014() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("old.db"))
        .await
        .expect("open");
    migrations_before_0014("sqlite")
        .await
        .run(store.pool())
        .await
        .expect("migrate to 0013");
    rows_survive(&store).await;
    store.close().await;
}

#[tokio::test]
async fn postgres_outbox_rows_survive_0014() {
    if std::env::var("CHARGEGATE_SKIP_PG").is_ok_and(|v| v == "1") {
        eprintln!("CHARGEGATE_SKIP_PG=1: skipping the PostgreSQL migration case");
        return;
    }
    let url = std::env::var("CHARGEGATE_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.into());
    let admin = PgConnectOptions::from_str(&url).expect("CHARGEGATE_TEST_PG_URL is a url");
    let name = format!("chargegate_test_{}", Uuid::new_v4().simple());
    let mut conn = admin.connect().await.expect("PostgreSQL is reachable");
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create test database");
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(PgStore::session(admin.clone().database(&name)))
        .await
        .expect("connect");
    let store = PgStore::from_pool(pool);
    migrations_before_0014("postgres")
        .await
        .run(store.pool())
        .await
        .expect("migrate to 0013");
    // Run the checks in a task so the database is dropped even when one fails.
    let store = std::sync::Arc::new(store);
    let run = tokio::spawn({
        let store = store.clone();
        async move { rows_survive(&*store).await }
    })
    .await;
    store.close().await;
    conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await
        .expect("drop test database");
    conn.close().await.expect("close");
    if let Err(panic) = run {
        std::panic::resume_unwind(panic.into_panic());
    }
}
