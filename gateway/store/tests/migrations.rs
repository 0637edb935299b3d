//! Migrations that move existing rows, run on a database that has them, on SQLite and
//! PostgreSQL (unless `CHARGEGATE_SKIP_PG=1`):
//! - 0014: outbox rows keep their id, payload and state, and new rows (with a payload or
//!   naming a document) follow them (SQLite rebuilds the table, PostgreSQL alters it);
//! - 0015: a pending sales report kept whole becomes its chunk 0, still pending;
//! - 0016 (PostgreSQL): a batch line's invoice, item and contract compare byte by byte, and
//!   the lines stored before are still found by them, through their indexes;
//! - 0017: a claim line stored before holds its whole sale (`sale_from_batch` false);
//! - 0019 (PostgreSQL): an 849 stored as JSONB reads the same from TEXT;
//! - 0021: a report recorded before has its returns not counted (`None`), so its cut still
//!   gathers the sales returns refer to;
//! - 0023: an inbound AS2 Message-ID recorded before has no payload hash (`None`), so the
//!   gateway answers it as a resend, as it did then;
//! - 0024: outbox rows sent before count as settled (nothing is published again at start),
//!   a row never sent stays pending;
//! - 0026: transactions may be `dismissed`; the rows before keep their state, error,
//!   references and parents (SQLite rebuilds the table under the foreign keys that name it,
//!   which still hold after), and a failed one can be dismissed.

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

/// The backend's migrations before `version`.
async fn migrations_before(backend: &str, version: i64) -> Migrator {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/migrations")
        .join(backend);
    let mut migrator = Migrator::new(dir).await.expect("migrations");
    let older: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect();
    // SQLite has no 0007, 0010, 0016 nor 0019 (PostgreSQL storage settings).
    assert!(
        older.len() as i64 >= version - 5,
        "{backend}: {} migrations",
        older.len()
    );
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
    // Sent as the relay of that schema marked it (`sent_at` only; `settled_at` is 0024's).
    store.mark_published(2, t(5)).await.expect("sent");
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

/// A fresh SQLite store migrated up to (not including) `version`, handed to `check`.
async fn on_sqlite<F, Fut>(version: i64, check: F)
where
    F: FnOnce(SqliteStore) -> Fut,
    Fut: std::future::Future<Output = SqliteStore>,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("old.db"))
        .await
        .expect("open");
    migrations_before("sqlite", version)
        .await
        .run(store.pool())
        .await
        .expect("older migrations");
    check(store).await.close().await;
}

/// A fresh PostgreSQL database migrated up to (not including) `version`, handed to `check`,
/// dropped after (also when `check` fails).
async fn on_postgres<F, Fut>(version: i64, check: F)
where
    F: FnOnce(std::sync::Arc<PgStore>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
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
    migrations_before("postgres", version)
        .await
        .run(store.pool())
        .await
        .expect("older migrations");
    // Run the checks in a task so the database is dropped even when one fails.
    let store = std::sync::Arc::new(store);
    let run = tokio::spawn(check(store.clone())).await;
    store.close().await;
    conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await
        .expect("drop test database");
    conn.close().await.expect("close");
    if let Err(panic) = run {
        std::panic::resume_unwind(panic.into_panic());
    }
}

#[tokio::test]
async fn sqlite_outbox_rows_survive_0014() {
    on_sqlite(14, |store| async move {
        rows_survive(&store).await;
        store
    })
    .await;
}

#[tokio::test]
async fn postgres_outbox_rows_survive_0014() {
    on_postgres(14, |store| async move { rows_survive(&*store).await }).await;
}

/// A batch with a report kept whole for its period's cut (0012) and one applied at once, in
/// a database before 0015.
fn old_rows() -> String {
    format!("{WHOLE_PENDING_REPORT}; {}", report_rows(PENDING_LINES))
}

/// The batch of [`old_rows`].
const WHOLE_PENDING_REPORT: &str = "INSERT INTO batches (id, number, partner, role, status, \
     version, payload, created_at, updated_at) VALUES ('00000000-0000-0000-0000-0000000000b1', \
     'gooddrug/123456789/2026-12-01', 'gooddrug', 'claimant', 'open', 1, '{}', \
     '2026-12-01T12:00:00Z', '2026-12-01T12:00:00Z')";

/// The pending report of [`WHOLE_PENDING_REPORT`]'s batch, and one applied at once.
fn report_rows(pending: &str) -> String {
    format!(
        "INSERT INTO sales_report_batches (partner, report_id, batch_id, first_line_no, \
         line_count, created_at, pending_lines) VALUES \
         ('gooddrug', 'R1', '00000000-0000-0000-0000-0000000000b1', 1, 2, \
          '2026-12-01T12:00:00Z', '{pending}'), \
         ('gooddrug', 'R0', '00000000-0000-0000-0000-0000000000b1', 3, 1, \
          '2026-12-01T12:00:00Z', NULL)"
    )
}

const PENDING_LINES: &str = r#"[{"line":1,"invoice":"INV-1"},{"line":2,"invoice":"INV-1"}]"#;

/// After 0015: R1 pending with its lines as chunk 0, R0 not pending.
async fn whole_report_is_chunk_0(store: &dyn Store) {
    store.migrate().await.expect("migrate to 0015");
    let mut read = store.reader().await.expect("reader");
    let batch: Uuid = "00000000-0000-0000-0000-0000000000b1".parse().expect("id");
    let reports = read.batch_reports(batch).await.expect("reports");
    let got: Vec<_> = reports
        .iter()
        .map(|r| (r.report_id.as_str(), r.line_count, r.pending))
        .collect();
    assert_eq!(got, [("R1", 2, true), ("R0", 1, false)]);
    assert_eq!(
        read.pending_report_chunk("gooddrug", "R1", 0)
            .await
            .expect("chunk 0")
            .as_deref(),
        Some(PENDING_LINES)
    );
    assert!(
        read.pending_report_chunk("gooddrug", "R1", 1)
            .await
            .expect("chunk 1")
            .is_none()
    );
    assert!(
        read.pending_report_chunk("gooddrug", "R0", 0)
            .await
            .expect("R0")
            .is_none()
    );
}

#[tokio::test]
async fn sqlite_whole_pending_report_becomes_chunk_0_in_0015() {
    on_sqlite(15, |store| async move {
        sqlx::raw_sql(&old_rows())
            .execute(store.pool())
            .await
            .expect("rows before 0015");
        whole_report_is_chunk_0(&store).await;
        store
    })
    .await;
}

#[tokio::test]
async fn postgres_whole_pending_report_becomes_chunk_0_in_0015() {
    on_postgres(15, |store| async move {
        sqlx::raw_sql(&old_rows())
            .execute(store.pool())
            .await
            .expect("rows before 0015");
        whole_report_is_chunk_0(&*store).await;
    })
    .await;
}

/// A line of [`WHOLE_PENDING_REPORT`]'s batch, before 0016.
const OLD_LINE: &str = "INSERT INTO batch_lines (batch_id, line_no, status, invoice, item, \
     customer, contract, payload, updated_at) VALUES ('00000000-0000-0000-0000-0000000000b1', \
     1, 'open', 'INV-1', 'NDC:1', 'AB1', 'SPA-1', '{}', '2026-12-01T12:00:00Z')";

#[tokio::test]
async fn postgres_line_keys_compare_bytewise_after_0016() {
    on_postgres(16, |store| async move {
        sqlx::raw_sql(&format!("{WHOLE_PENDING_REPORT}; {OLD_LINE}"))
            .execute(store.pool())
            .await
            .expect("rows before 0016");
        store.migrate().await.expect("migrate to 0016");
        let collations: Vec<(String, String)> = sqlx::query_as(
            "SELECT column_name::text, collation_name::text FROM information_schema.columns \
             WHERE table_name = 'batch_lines' AND collation_name IS NOT NULL \
             ORDER BY column_name",
        )
        .fetch_all(store.pool())
        .await
        .expect("collations");
        let c = |n: &str| (n.to_owned(), "C".to_owned());
        // (invoice_key since 0020.)
        assert_eq!(
            collations,
            [c("contract"), c("invoice"), c("invoice_key"), c("item")]
        );
        let mut read = store.reader().await.expect("reader");
        let found = read
            .find_batch_lines(&LineQuery {
                partner: Some("gooddrug".into()),
                invoice: "INV-1".into(),
                item: Some("NDC:1".into()),
                customer: None,
            })
            .await
            .expect("by invoice");
        assert_eq!(found.len(), 1);
        let by_contract = read
            .lines_for_contracts(&["SPA-1".to_owned()])
            .await
            .expect("by contract");
        assert_eq!(by_contract.len(), 1);
        drop(read);
        // A query's text (collation "default") still meets the "C" indexes. 0020 fills
        // `invoice_key` and then indexes it: while a transaction that began before (in any
        // database of the cluster: another test's, under load) still runs, the updated rows'
        // old versions are not dead yet, PostgreSQL marks the new index `indcheckxmin`, and
        // no plan may use it until that transaction ends. So a plan is asked again, for a
        // while, until the index is usable.
        for (query, index) in [
            (
                "EXPLAIN SELECT * FROM batch_lines WHERE invoice_key = 'INV1'::text",
                "batch_lines_invoice_key",
            ),
            (
                "EXPLAIN SELECT * FROM batch_lines WHERE contract = ANY('{SPA-1}'::text[])",
                "batch_lines_contract",
            ),
        ] {
            let asked = std::time::Instant::now();
            loop {
                let plan: String = sqlx::raw_sql(&format!("SET enable_seqscan = off; {query}"))
                    .fetch_all(store.pool())
                    .await
                    .expect("plan")
                    .iter()
                    .map(|row| sqlx::Row::get::<String, _>(row, 0) + "\n")
                    .collect();
                if plan.contains(index) {
                    break;
                }
                let (check_xmin,): (bool,) = sqlx::query_as(
                    "SELECT indcheckxmin FROM pg_index WHERE indexrelid = $1::regclass",
                )
                .bind(index)
                .fetch_one(store.pool())
                .await
                .expect("index flags");
                assert!(
                    check_xmin && asked.elapsed() < std::time::Duration::from_secs(120),
                    "{query} (indcheckxmin {check_xmin}): {plan}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
        }
    })
    .await;
}

/// A claim of [`WHOLE_PENDING_REPORT`]'s batch with one line, claiming [`OLD_LINE`], before
/// 0017.
const OLD_CLAIM_LINE: &str = "INSERT INTO claims (id, partner, claim_number, status, amount, \
     batch_id, version, payload, created_at, updated_at) VALUES \
     ('00000000-0000-0000-0000-0000000000c1', 'acme', 'GD-1', 'open', '48.00', \
     '00000000-0000-0000-0000-0000000000b1', 1, '{}', '2026-12-01T12:00:00Z', \
     '2026-12-01T12:00:00Z'); \
     INSERT INTO claim_lines (claim_id, line_no, batch_id, batch_line_no, status, \
     claimed_amount, payload, updated_at) VALUES ('00000000-0000-0000-0000-0000000000c1', 1, \
     '00000000-0000-0000-0000-0000000000b1', 1, 'open', '48.00', '{\"sale\":{}}', \
     '2026-12-01T12:00:00Z')";

/// After 0017 the old claim line reads as it was written, whole, without its batch line.
async fn old_claim_line_is_whole(store: &dyn Store) {
    store.migrate().await.expect("migrate to 0017");
    let mut read = store.reader().await.expect("reader");
    let claim: Uuid = "00000000-0000-0000-0000-0000000000c1".parse().expect("id");
    let lines = read.claim_lines(claim).await.expect("claim lines");
    assert_eq!(lines.len(), 1);
    assert!(!lines[0].line.sale_from_batch);
    assert_eq!(lines[0].batch_payload, None);
    assert_eq!(lines[0].line.payload.get(), r#"{"sale":{}}"#);
}

fn rows_before_0017() -> String {
    format!("{WHOLE_PENDING_REPORT}; {OLD_LINE}; {OLD_CLAIM_LINE}")
}

#[tokio::test]
async fn sqlite_old_claim_lines_are_whole_after_0017() {
    on_sqlite(17, |store| async move {
        sqlx::raw_sql(&rows_before_0017())
            .execute(store.pool())
            .await
            .expect("rows before 0017");
        old_claim_line_is_whole(&store).await;
        store
    })
    .await;
}

#[tokio::test]
async fn postgres_old_claim_lines_are_whole_after_0017() {
    on_postgres(17, |store| async move {
        sqlx::raw_sql(&rows_before_0017())
            .execute(store.pool())
            .await
            .expect("rows before 0017");
        old_claim_line_is_whole(&*store).await;
    })
    .await;
}

/// An 849 of [`OLD_CLAIM_LINE`]'s claim, stored as JSONB before 0019.
const OLD_RESPONSE: &str = "INSERT INTO responses (id, partner, direction, isa13, gs06, st02, \
     debit_memo, claim_id, match_status, total_claimed, total_approved, payload, received_at, \
     updated_at) VALUES ('00000000-0000-0000-0000-0000000000d1', 'acme', 'inbound', \
     '000000849', '849', '0001', 'GD-1', '00000000-0000-0000-0000-0000000000c1', 'matched', \
     '48.00', '47.99', '{\"lines\": [{\"line\": \"1\", \"approved_amount\": \"47.99\"}]}', \
     '2026-12-01T12:00:00Z', '2026-12-01T12:00:00Z')";

#[tokio::test]
async fn postgres_responses_read_the_same_after_0019() {
    on_postgres(19, |store| async move {
        sqlx::raw_sql(&format!("{}; {OLD_RESPONSE}", rows_before_0017()))
            .execute(store.pool())
            .await
            .expect("rows before 0019");
        store.migrate().await.expect("migrate to 0019");
        let claim: Uuid = "00000000-0000-0000-0000-0000000000c1".parse().expect("id");
        let mut read = store.reader().await.expect("reader");
        let responses = read.responses_for_claim(claim).await.expect("responses");
        assert_eq!(responses.len(), 1);
        assert_eq!(
            responses[0].response.payload,
            json!({"lines": [{"line": "1", "approved_amount": "47.99"}]})
        );
    })
    .await;
}

/// Lines of [`OLD_LINE`]'s invoice spelt otherwise ("INV-1" stored, " inv1" and "Inv-1"
/// asked): found after 0020, which gave the old line its invoice key.
async fn lines_are_found_by_invoice_key(store: &dyn Store) {
    let mut read = store.reader().await.expect("reader");
    let found = read
        .lines_for_invoices("gooddrug", "claimant", &[" inv1".to_owned()])
        .await
        .expect("history");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1.line.invoice.as_deref(), Some("INV-1"));
    let by_search = read
        .find_batch_lines(&LineQuery {
            partner: Some("gooddrug".into()),
            invoice: "Inv-1".into(),
            item: Some("NDC:1".into()),
            customer: None,
        })
        .await
        .expect("search");
    assert_eq!(by_search.len(), 1);
}

#[tokio::test]
async fn sqlite_lines_are_found_by_invoice_key_after_0020() {
    on_sqlite(20, |store| async move {
        sqlx::raw_sql(&format!("{WHOLE_PENDING_REPORT}; {OLD_LINE}"))
            .execute(store.pool())
            .await
            .expect("rows before 0020");
        store.migrate().await.expect("migrate to 0020");
        lines_are_found_by_invoice_key(&store).await;
        // The lookup by invoice key uses the index.
        let plan: Vec<String> = sqlx::query(
            "EXPLAIN QUERY PLAN SELECT * FROM batch_lines \
             WHERE invoice_key IN (SELECT value FROM json_each('[\"INV1\"]'))",
        )
        .fetch_all(store.pool())
        .await
        .expect("plan")
        .iter()
        .map(|row| sqlx::Row::get::<String, _>(row, "detail"))
        .collect();
        assert!(
            plan.iter().any(|p| p.contains("batch_lines_invoice_key")),
            "{plan:?}"
        );
        store
    })
    .await;
}

#[tokio::test]
async fn postgres_lines_are_found_by_invoice_key_after_0020() {
    on_postgres(20, |store| async move {
        sqlx::raw_sql(&format!("{WHOLE_PENDING_REPORT}; {OLD_LINE}"))
            .execute(store.pool())
            .await
            .expect("rows before 0020");
        store.migrate().await.expect("migrate to 0020");
        lines_are_found_by_invoice_key(&*store).await;
    })
    .await;
}

/// A pending report recorded before 0021, in [`WHOLE_PENDING_REPORT`]'s batch.
const UNCOUNTED_REPORT: &str = "INSERT INTO sales_report_batches (partner, report_id, \
     batch_id, first_line_no, line_count, created_at, pending) VALUES ('gooddrug', 'R1', \
     '00000000-0000-0000-0000-0000000000b1', 1, 2, '2026-12-01T12:00:00Z', TRUE)";

async fn returns_are_not_counted(store: &dyn Store) {
    let mut read = store.reader().await.expect("reader");
    let batch = Uuid::parse_str("00000000-0000-0000-0000-0000000000b1").expect("uuid");
    let reports = read.batch_reports(batch).await.expect("reports");
    assert_eq!(
        reports
            .iter()
            .map(|r| (
                r.report_id.as_str(),
                r.line_count,
                r.pending,
                r.return_lines
            ))
            .collect::<Vec<_>>(),
        [("R1", 2, true, None)]
    );
}

#[tokio::test]
async fn sqlite_reports_before_0021_count_no_returns() {
    on_sqlite(21, |store| async move {
        sqlx::raw_sql(&format!("{WHOLE_PENDING_REPORT}; {UNCOUNTED_REPORT}"))
            .execute(store.pool())
            .await
            .expect("rows before 0021");
        store.migrate().await.expect("migrate to 0021");
        returns_are_not_counted(&store).await;
        store
    })
    .await;
}

#[tokio::test]
async fn postgres_reports_before_0021_count_no_returns() {
    on_postgres(21, |store| async move {
        sqlx::raw_sql(&format!("{WHOLE_PENDING_REPORT}; {UNCOUNTED_REPORT}"))
            .execute(store.pool())
            .await
            .expect("rows before 0021");
        store.migrate().await.expect("migrate to 0021");
        returns_are_not_counted(&*store).await;
    })
    .await;
}

/// An AS2 message recorded before 0023, without the hash of its payload.
const OLD_AS2_MESSAGE: &str = "INSERT INTO as2_messages (partner, message_id, received_at) \
     VALUES ('acme', 'm1@acme', '2026-12-01T12:00:00Z')";

async fn old_as2_messages_have_no_hash(store: &dyn Store) {
    let (sha, other) = ("ab".repeat(32), "cd".repeat(32));
    // Known, content unknown: what the gateway answers as a resend, as before 0023.
    assert_eq!(
        store
            .record_as2_message("acme", "m1@acme", &sha, t(1))
            .await
            .expect("old message"),
        As2Seen::Before { sha256: None }
    );
    assert_eq!(
        store
            .record_as2_message("acme", "m2@acme", &sha, t(2))
            .await
            .expect("new message"),
        As2Seen::New
    );
    assert_eq!(
        store
            .record_as2_message("acme", "m2@acme", &other, t(3))
            .await
            .expect("new message again"),
        As2Seen::Before { sha256: Some(sha) }
    );
}

#[tokio::test]
async fn sqlite_as2_messages_before_0023_have_no_payload_hash() {
    on_sqlite(23, |store| async move {
        sqlx::raw_sql(OLD_AS2_MESSAGE)
            .execute(store.pool())
            .await
            .expect("row before 0023");
        store.migrate().await.expect("migrate to 0023");
        old_as2_messages_have_no_hash(&store).await;
        store
    })
    .await;
}

/// Three rows before 0024: m1 sent, m2 never sent, m3 sent after a failed attempt.
const OUTBOX_ROWS_BEFORE_0024: &str = "INSERT INTO outbox (message_id, exchange, routing_key, \
     headers, payload, created_at, sent_at, attempts) VALUES \
     ('m1', 'chargegate.docs', 'claim.acme', '{}', X'78', '2026-12-01T12:00:00Z', \
      '2026-12-01T12:00:01Z', 0), \
     ('m2', 'chargegate.docs', 'claim.acme', '{}', X'78', '2026-12-01T12:00:00Z', NULL, 0), \
     ('m3', 'chargegate.docs', 'claim.acme', '{}', X'78', '2026-12-01T12:00:00Z', \
      '2026-12-01T12:00:02Z', 1)";

/// After 0024: the rows sent before are settled when they were sent; only m2 is pending, and
/// a start on the in-process bus publishes nothing again.
async fn sent_rows_are_settled(store: &dyn Store) {
    store.migrate().await.expect("migrate to 0024");
    assert_eq!(store.requeue_unsettled().await.expect("requeue"), 0);
    let pending = store.pending_outbox(10).await.expect("pending");
    let got: Vec<_> = pending
        .iter()
        .map(|r| (r.message.message_id.as_str(), r.sent_at, r.settled_at))
        .collect();
    assert_eq!(got, [("m2", None, None)]);
}

#[tokio::test]
async fn sqlite_outbox_rows_sent_before_0024_are_settled() {
    on_sqlite(24, |store| async move {
        sqlx::raw_sql(OUTBOX_ROWS_BEFORE_0024)
            .execute(store.pool())
            .await
            .expect("rows before 0024");
        sent_rows_are_settled(&store).await;
        store
    })
    .await;
}

#[tokio::test]
async fn postgres_as2_messages_before_0023_have_no_payload_hash() {
    on_postgres(23, |store| async move {
        sqlx::raw_sql(OLD_AS2_MESSAGE)
            .execute(store.pool())
            .await
            .expect("row before 0023");
        store.migrate().await.expect("migrate to 0023");
        old_as2_messages_have_no_hash(&*store).await;
    })
    .await;
}

#[tokio::test]
async fn postgres_outbox_rows_sent_before_0024_are_settled() {
    on_postgres(24, |store| async move {
        sqlx::raw_sql(&OUTBOX_ROWS_BEFORE_0024.replace("X'78'", "'x'::bytea"))
            .execute(store.pool())
            .await
            .expect("rows before 0024");
        sent_rows_are_settled(&*store).await;
    })
    .await;
}

/// A failed file with a reference and a set under it, written before 0026.
async fn transactions_before_0026(store: &dyn Store) -> (Uuid, Uuid) {
    let (file, set) = (Uuid::now_v7(), Uuid::now_v7());
    let mut row = NewTransaction::new(
        file,
        "acme",
        Direction::Inbound,
        Step::Parse,
        TxState::Processing,
        t(0),
    );
    row.refs = vec![TransactionRef {
        kind: RefKind::Invoice,
        value: "INV-1".into(),
    }];
    store.insert_transaction(&row).await.expect("file");
    let mut child = NewTransaction::new(
        set,
        "acme",
        Direction::Inbound,
        Step::Map,
        TxState::Done,
        t(1),
    );
    child.parent_id = Some(file);
    store.insert_transaction(&child).await.expect("set");
    store
        .update_transaction(
            &TransactionUpdate::new(file, Step::Parse, TxState::Failed, "system", t(2))
                .with_error("duplicate ISA13 000000904"),
        )
        .await
        .expect("failed");
    (file, set)
}

/// After 0026: the rows read as before, and the failed one can be dismissed.
async fn transactions_survive_0026(store: &dyn Store, file: Uuid, set: Uuid) {
    store.migrate().await.expect("migrate to 0026");
    let row = store
        .get_transaction(file)
        .await
        .expect("get")
        .expect("file");
    assert_eq!(row.state, TxState::Failed);
    assert_eq!(row.error.as_deref(), Some("duplicate ISA13 000000904"));
    assert_eq!(row.refs.len(), 1);
    assert_eq!(row.attempts, 1);
    let children = store.child_transactions(file).await.expect("children");
    assert_eq!(children.iter().map(|c| c.id).collect::<Vec<_>>(), [set]);
    let by_invoice = store
        .list_transactions(&TransactionFilter {
            invoice: Some("INV-1".into()),
            ..Default::default()
        })
        .await
        .expect("by invoice");
    assert_eq!(by_invoice.iter().map(|r| r.id).collect::<Vec<_>>(), [file]);
    let dismissed = store
        .dismiss_transaction(&TransactionDismissal {
            id: file,
            actor: "ann".into(),
            reason: "resent".into(),
            at: t(3),
        })
        .await
        .expect("dismiss");
    assert_eq!(dismissed.state, TxState::Dismissed);
    // The references to transactions still hold.
    let mut tx = store.begin().await.expect("begin");
    let err = tx
        .add_transaction_refs(
            Uuid::now_v7(),
            &[TransactionRef {
                kind: RefKind::Invoice,
                value: "INV-2".into(),
            }],
        )
        .await
        .expect_err("a reference to no transaction");
    assert!(
        err.to_string().contains("FOREIGN KEY") || err.to_string().contains("foreign key"),
        "{err}"
    );
}

#[tokio::test]
async fn sqlite_transactions_survive_0026() {
    on_sqlite(26, |store| async move {
        let (file, set) = transactions_before_0026(&store).await;
        transactions_survive_0026(&store, file, set).await;
        store
    })
    .await;
}

#[tokio::test]
async fn postgres_transactions_survive_0026() {
    on_postgres(26, |store| async move {
        let (file, set) = transactions_before_0026(&*store).await;
        transactions_survive_0026(&*store, file, set).await;
    })
    .await;
}
