//! The store contract suite: every case runs against SQLite (a temporary file per test) and
//! a real PostgreSQL (a fresh `chargegate_test_<random>` database per test, dropped after).
//!
//! PostgreSQL is found at `CHARGEGATE_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). When it cannot be reached the PostgreSQL
//! cases fail, unless `CHARGEGATE_SKIP_PG=1` says to skip them.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor};
use store::*;
use uuid::Uuid;

// ---- harness --------------------------------------------------------------------------------

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

enum Backend {
    Sqlite {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
    },
    Postgres {
        options: Box<PgConnectOptions>,
        _db: Box<PgDatabase>,
    },
}

/// A fresh, migrated store and the means to open it again.
struct Harness {
    store: Arc<dyn Store>,
    backend: Backend,
}

impl Harness {
    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("chargegate.db");
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open sqlite"));
        store.migrate().await.expect("migrate sqlite");
        Harness {
            store,
            backend: Backend::Sqlite { _dir: dir, path },
        }
    }

    async fn postgres() -> Option<Self> {
        if std::env::var("CHARGEGATE_SKIP_PG").is_ok_and(|v| v == "1") {
            eprintln!("CHARGEGATE_SKIP_PG=1: skipping the PostgreSQL store contract case");
            return None;
        }
        let url = std::env::var("CHARGEGATE_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.into());
        let admin = PgConnectOptions::from_str(&url).expect("CHARGEGATE_TEST_PG_URL is a url");
        let mut conn = match admin.connect().await {
            Ok(c) => c,
            Err(e) => panic!(
                "PostgreSQL is not reachable at {url}: {e}. Start it (scripts/test.sh does) or \
                 set CHARGEGATE_SKIP_PG=1 to skip the PostgreSQL half of the store contract suite"
            ),
        };
        let name = format!("chargegate_test_{}", Uuid::new_v4().simple());
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        conn.close().await.expect("close admin connection");
        let db = PgDatabase {
            admin: admin.clone(),
            name: name.clone(),
        };
        let options = admin.database(&name);
        let store = Self::open_pg(&options).await;
        store.migrate().await.expect("migrate postgres");
        Some(Harness {
            store,
            backend: Backend::Postgres {
                options: Box::new(options),
                _db: Box::new(db),
            },
        })
    }

    async fn open_pg(options: &PgConnectOptions) -> Arc<dyn Store> {
        let pool = PgPoolOptions::new()
            .max_connections(12)
            .connect_with(PgStore::session(options.clone()))
            .await
            .expect("connect to test database");
        Arc::new(PgStore::from_pool(pool))
    }

    /// A second store on the same database, as after a restart.
    async fn reopen(&self) -> Arc<dyn Store> {
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                Arc::new(SqliteStore::open(path).await.expect("reopen sqlite"))
            }
            Backend::Postgres { options, .. } => Self::open_pg(options).await,
        }
    }

    async fn finish(self) {
        self.store.close().await;
    }
}

/// Drops the test database when the test ends, even by a panic.
struct PgDatabase {
    admin: PgConnectOptions,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop cannot await; a thread with its own runtime does the work.
        let joined = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for dropping the test database");
            rt.block_on(async move {
                if let Ok(mut conn) = admin.connect().await {
                    let _ = conn.execute(sql.as_str()).await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
        if joined.is_err() {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

macro_rules! contract_suite {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let h = super::Harness::sqlite().await;
                    super::$case(&h).await;
                    h.finish().await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let Some(h) = super::Harness::postgres().await else { return };
                    super::$case(&h).await;
                    h.finish().await;
                }
            )*
        }
    };
}

contract_suite!(
    migrations_apply_twice_harmlessly,
    transaction_lifecycle_and_search,
    stuck_transactions_are_the_unfinished_ones_not_updated_since,
    inbound_idempotency_records,
    document_and_outbox_commit_together,
    failure_between_document_and_outbox_leaves_neither,
    pending_outbox_in_order_until_marked_sent,
    published_but_unsettled_rows_are_pending_again_after_requeue,
    outbox_message_of_a_document_carries_its_exact_body,
    processed_message_applies_once,
    control_numbers_are_sequential_and_survive_reopen,
    concurrent_allocation_yields_distinct_numbers,
    exhausted_range_is_an_error_not_a_wrap,
    stale_batch_version_is_a_conflict,
    audit_events_roll_back_with_their_transaction,
    decimals_round_trip_exactly,
    unmatched_responses_queue,
    engine_entities_round_trip,
    bulk_lines_keep_every_byte,
    times_keep_microseconds,
    as2_outbound_messages_settle_once,
    transaction_error_note_can_be_cleared,
    only_a_failed_transaction_is_dismissed_with_its_reason_audited,
    a_dismissed_file_takes_its_failed_sets_with_it,
    a_restored_file_brings_back_the_sets_dismissed_with_it,
    rollback_to_savepoint_undoes_only_later_writes,
    roster_memberships_and_uploads_are_versioned,
    reference_prices_are_versioned_per_supplier,
    claim_periods_and_bulk_line_updates,
    audit_events_append_in_bulk_in_order,
    batches_and_claims_are_listed_by_filter,
    invoice_history_spans_batches_in_order,
    a_large_document_is_stored_once_as_it_is,
    a_spooled_document_is_stored_once_as_it_is,
    a_large_pending_report_is_kept_once_as_it_is,
    a_claim_line_without_its_sale_reads_its_batch_line,
    claim_lines_carried_by_batch_lines_read_as_claim_lines,
    lines_are_read_a_page_at_a_time_and_totalled_in_sql,
    disputes_and_unmatched_responses_are_listed_a_page_at_a_time,
);

// ---- fixtures -------------------------------------------------------------------------------

fn t(seconds: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-03T10:00:00Z")
        .expect("fixed time")
        .with_timezone(&Utc)
        + Duration::seconds(seconds)
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).expect("decimal literal")
}

fn audit(entity: &str, id: impl ToString, event: &str, to: &str, at: i64) -> NewAuditEvent {
    NewAuditEvent::new("system", entity, id.to_string(), event, t(at)).transition(None, to)
}

fn new_batch(number: &str) -> NewBatch {
    NewBatch {
        id: Uuid::now_v7(),
        number: number.into(),
        partner: "acme".into(),
        role: "adjudicator".into(),
        status: "open".into(),
        debit_memo: Some("DM-1001".into()),
        source_document_id: None,
        payload: json!({"mode": "review_and_claim", "lines": 2}),
        at: t(0),
    }
}

fn new_claim(number: &str, amount: &str) -> NewClaim {
    NewClaim {
        id: Uuid::now_v7(),
        partner: "acme".into(),
        claim_number: number.into(),
        status: "open".into(),
        amount: dec(amount),
        batch_id: None,
        parent_id: None,
        payload: json!({"source": "batch"}),
        at: t(0),
    }
}

fn line(no: i64, invoice: &str) -> NewBatchLine {
    NewBatchLine {
        line_no: no,
        status: "open".into(),
        invoice: Some(invoice.into()),
        item: Some("12345020101".into()),
        customer: Some("AB1234563".into()),
        contract: Some("SPA-2026-0042".into()),
        quantity: Some(dec("4")),
        contract_price: Some(dec("30.00")),
        claimed_amount: Some(dec("48.00")),
        calculated_amount: None,
        accepted_amount: None,
        payload: json!({"pad01": no}).into(),
        claim_line: None,
    }
}

/// One claim line's outcome, through the bulk update.
async fn update_claim_line(
    tx: &mut dyn StoreTx,
    update: &ClaimLineUpdate,
    event: &NewAuditEvent,
) -> StoreResult<()> {
    tx.update_claim_lines(std::slice::from_ref(update), std::slice::from_ref(event))
        .await
        .map(|_| ())
}

/// Writes batch `batch`'s `lines`, then `claim` with `claim_lines`, at t(0).
async fn lines_and_claim(
    tx: &mut dyn StoreTx,
    (batch, lines): (Uuid, &[NewBatchLine]),
    claim: &NewClaim,
    claim_lines: &[NewClaimLine],
) {
    tx.insert_batch_lines(
        batch,
        lines,
        t(0),
        &audit("batch", batch, "lines", "open", 0),
    )
    .await
    .expect("lines");
    tx.insert_claim(claim, &audit("claim", claim.id, "C1", "open", 0))
        .await
        .expect("claim");
    tx.insert_claim_lines(
        claim.id,
        claim_lines,
        t(0),
        &audit("claim", claim.id, "lines", "open", 0),
    )
    .await
    .expect("claim lines");
}

fn document(key: &str) -> NewDocument {
    NewDocument {
        id: Uuid::now_v7(),
        idempotency_key: key.into(),
        doc_type: "claim".into(),
        partner: "acme".into(),
        source: DocumentSource {
            file_sha256: Some("ab".repeat(32)),
            isa13: Some("000000905".into()),
            gs06: Some("905".into()),
            st02: Some("0001".into()),
        },
        tx_id: None,
        body: json!({"schema": "chargegate.claim/1", "debit_memo": "DM-1001",
                     "total_claimed": "255.25"})
        .into(),
        created_at: t(0),
    }
}

fn message(id: &str) -> OutboxMessage {
    OutboxMessage {
        message_id: id.into(),
        exchange: "chargegate.docs".into(),
        routing_key: "claim.acme".into(),
        headers: json!({"doc_type": "claim", "partner": "acme", "schema": 1}),
        payload: br#"{"schema":"chargegate.claim/1"}"#.to_vec(),
        created_at: t(0),
    }
}

async fn reader(h: &Harness) -> Box<dyn StoreRead> {
    h.store.reader().await.expect("reader")
}

// ---- cases ----------------------------------------------------------------------------------

async fn migrations_apply_twice_harmlessly(h: &Harness) {
    h.store.migrate().await.expect("second migrate");
    let again = h.reopen().await;
    again.migrate().await.expect("migrate after reopen");
    again.close().await;
    // The schema still works.
    assert_eq!(
        h.store
            .record_as2_message("acme", "<m1@acme>", &"ab".repeat(32), t(0))
            .await
            .expect("write after migrating twice"),
        As2Seen::New
    );
}

async fn transaction_lifecycle_and_search(h: &Harness) {
    let store = &h.store;
    let file = NewTransaction {
        raw_sha256: Some("cd".repeat(32)),
        ..NewTransaction::new(
            Uuid::now_v7(),
            "acme",
            Direction::Inbound,
            Step::Receive,
            TxState::Done,
            t(0),
        )
    };
    store
        .insert_transaction(&file)
        .await
        .expect("insert file tx");
    let set = NewTransaction {
        parent_id: Some(file.id),
        raw_sha256: file.raw_sha256.clone(),
        doc_type: Some("claim".into()),
        isa13: Some("000000905".into()),
        gs06: Some("905".into()),
        st02: Some("0001".into()),
        debit_memo: Some("DM-1001".into()),
        refs: vec![
            TransactionRef::new(RefKind::Invoice, "INV-77"),
            TransactionRef::new(RefKind::Invoice, "INV-78"),
            TransactionRef::new(RefKind::DebitMemo, "DM-1001-R1"),
        ],
        ..NewTransaction::new(
            Uuid::now_v7(),
            "acme",
            Direction::Inbound,
            Step::Map,
            TxState::Received,
            t(1),
        )
    };
    store.insert_transaction(&set).await.expect("insert set tx");
    let other = NewTransaction {
        isa13: Some("000000999".into()),
        ..NewTransaction::new(
            Uuid::now_v7(),
            "lakeside",
            Direction::Outbound,
            Step::Render,
            TxState::Done,
            t(2),
        )
    };
    store
        .insert_transaction(&other)
        .await
        .expect("insert other");

    store
        .update_transaction(&TransactionUpdate::new(
            set.id,
            Step::Engine,
            TxState::Processing,
            "system",
            t(3),
        ))
        .await
        .expect("processing");
    store
        .update_transaction(
            &TransactionUpdate::new(set.id, Step::Engine, TxState::Failed, "system", t(4))
                .with_error("f.x12: interchange 000000905, group 905, set 0001, segment 7 (PAD), element 2: bad"),
        )
        .await
        .expect("failed");

    let got = store
        .get_transaction(set.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(got.state, TxState::Failed);
    assert_eq!(got.step, Step::Engine);
    assert_eq!(got.attempts, 1);
    assert_eq!(got.created_at, t(1));
    assert_eq!(got.updated_at, t(4));
    assert_eq!(got.parent_id, Some(file.id));
    assert!(
        got.error
            .as_deref()
            .is_some_and(|e| e.contains("segment 7 (PAD)"))
    );
    assert_eq!(got.refs.len(), 3);

    let ids = |v: Vec<TransactionRecord>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let list =
        |f: TransactionFilter| async move { store.list_transactions(&f).await.expect("list") };

    assert_eq!(
        ids(list(TransactionFilter {
            failed_only: true,
            ..Default::default()
        })
        .await),
        vec![set.id]
    );
    // Zero padding does not matter: ISA13 has nine digits, GS06 and ST02 as the sender chose.
    for cn in ["000000905", "905", "0001", "1", "00000905", "0000000001"] {
        assert_eq!(
            ids(list(TransactionFilter {
                control_number: Some(cn.into()),
                ..Default::default()
            })
            .await),
            vec![set.id],
            "control number {cn}"
        );
    }
    for memo in ["DM-1001", "DM-1001-R1"] {
        assert_eq!(
            ids(list(TransactionFilter {
                debit_memo: Some(memo.into()),
                ..Default::default()
            })
            .await),
            vec![set.id],
            "debit memo {memo}"
        );
    }
    assert_eq!(
        ids(list(TransactionFilter {
            invoice: Some("INV-78".into()),
            ..Default::default()
        })
        .await),
        vec![set.id]
    );
    assert!(
        list(TransactionFilter {
            invoice: Some("INV-00".into()),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    // Newest first; filters combine.
    assert_eq!(
        ids(list(TransactionFilter {
            partner: Some("acme".into()),
            ..Default::default()
        })
        .await),
        vec![set.id, file.id]
    );
    assert_eq!(
        ids(list(TransactionFilter {
            direction: Some(Direction::Outbound),
            ..Default::default()
        })
        .await),
        vec![other.id]
    );
    // A file's receipts without its sets (they share its hash).
    assert_eq!(
        ids(list(TransactionFilter {
            raw_sha256: file.raw_sha256.clone(),
            files_only: true,
            ..Default::default()
        })
        .await),
        vec![file.id]
    );
    assert_eq!(
        ids(list(TransactionFilter {
            partner: Some("acme".into()),
            limit: Some(1),
            offset: Some(1),
            ..Default::default()
        })
        .await),
        vec![file.id]
    );
    assert_eq!(
        ids(store.child_transactions(file.id).await.expect("children")),
        vec![set.id]
    );

    // Each state change left an audit event.
    let trail = store
        .audit_events("transaction", &set.id.to_string())
        .await
        .expect("audit");
    let changes: Vec<_> = trail
        .iter()
        .map(|a| (a.event.from_status.clone(), a.event.to_status.clone()))
        .collect();
    assert_eq!(
        changes,
        vec![
            (None, Some("map:received".into())),
            (
                Some("map:received".into()),
                Some("engine:processing".into())
            ),
            (
                Some("engine:processing".into()),
                Some("engine:failed".into())
            ),
        ]
    );

    // Fixed and replayed: a done transaction no longer shows what it once failed with.
    store
        .update_transaction(&TransactionUpdate::new(
            set.id,
            Step::Engine,
            TxState::Done,
            "ops",
            t(5),
        ))
        .await
        .expect("done");
    let done = store
        .get_transaction(set.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!((done.state, done.error), (TxState::Done, None));

    let missing = store
        .update_transaction(&TransactionUpdate::new(
            Uuid::now_v7(),
            Step::Parse,
            TxState::Done,
            "system",
            t(5),
        ))
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
}

/// `stuck_since`: what is still `received` or `processing` and was not updated since the
/// given time — an outbound 997 nobody will send, say — and nothing done, failed or moving.
async fn stuck_transactions_are_the_unfinished_ones_not_updated_since(h: &Harness) {
    let store = &h.store;
    let tx = |state, at| {
        NewTransaction::new(
            Uuid::now_v7(),
            "acme",
            Direction::Outbound,
            Step::Send,
            state,
            t(at),
        )
    };
    let waiting = tx(TxState::Received, 0);
    let sending = tx(TxState::Received, 1);
    let done = tx(TxState::Done, 2);
    let failed = tx(TxState::Failed, 3);
    let fresh = tx(TxState::Received, 4);
    for row in [&waiting, &sending, &done, &failed, &fresh] {
        store.insert_transaction(row).await.expect("insert");
    }
    // Picked up at 100 s, then nothing more.
    store
        .update_transaction(&TransactionUpdate::new(
            sending.id,
            Step::Send,
            TxState::Processing,
            "system",
            t(100),
        ))
        .await
        .expect("processing");
    // Moving again at 700 s.
    store
        .update_transaction(&TransactionUpdate::new(
            fresh.id,
            Step::Send,
            TxState::Processing,
            "system",
            t(700),
        ))
        .await
        .expect("processing");
    let stuck = |since| {
        let filter = TransactionFilter {
            stuck_since: Some(t(since)),
            ..TransactionFilter::default()
        };
        async move {
            let rows = store.list_transactions(&filter).await.expect("list");
            rows.iter().map(|r| r.id).collect::<Vec<_>>()
        }
    };
    // Newest first, as every list.
    assert_eq!(stuck(600).await, [sending.id, waiting.id]);
    assert_eq!(stuck(50).await, [waiting.id]);
    assert_eq!(stuck(800).await, [fresh.id, sending.id, waiting.id]);
}

async fn inbound_idempotency_records(h: &Harness) {
    let store = &h.store;
    let file = InboundFile {
        partner: "acme".into(),
        sha256: "ef".repeat(32),
        file_name: Some("844_004010_acme.x12".into()),
        size: 1234,
        received_at: t(0),
    };
    assert!(store.record_inbound_file(&file).await.expect("first"));
    let renamed = InboundFile {
        file_name: Some("again.x12".into()),
        received_at: t(9),
        ..file.clone()
    };
    assert!(
        !store
            .record_inbound_file(&renamed)
            .await
            .expect("same file again")
    );
    let other_partner = InboundFile {
        partner: "lakeside".into(),
        ..file.clone()
    };
    assert!(
        store
            .record_inbound_file(&other_partner)
            .await
            .expect("other partner")
    );

    let isa = InterchangeRecord {
        partner: "acme".into(),
        isa13: "000000905".into(),
        sha256: Some(file.sha256.clone()),
        received_at: t(0),
    };
    assert!(store.record_interchange(&isa).await.expect("first isa"));
    let replayed = InterchangeRecord {
        sha256: Some("00".repeat(32)),
        received_at: t(5),
        ..isa.clone()
    };
    assert!(!store.record_interchange(&replayed).await.expect("dup isa"));
    let first = reader(h)
        .await
        .find_interchange("acme", "000000905")
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(first, isa, "the first sighting is kept");

    let (first, other) = ("ab".repeat(32), "cd".repeat(32));
    assert_eq!(
        store
            .record_as2_message("acme", "<1@acme>", &first, t(0))
            .await
            .expect("as2"),
        As2Seen::New
    );
    // Sent again, with the same payload or another: what it first came with, unchanged.
    for sha in [&first, &other] {
        assert_eq!(
            store
                .record_as2_message("acme", "<1@acme>", sha, t(1))
                .await
                .expect("as2 dup"),
            As2Seen::Before {
                sha256: Some(first.clone())
            }
        );
    }
    // Message-IDs are per partner.
    assert_eq!(
        store
            .record_as2_message("other", "<1@acme>", &other, t(1))
            .await
            .expect("as2 other partner"),
        As2Seen::New
    );
    // Not recorded when the database transaction that recorded it is rolled back.
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(
        tx.record_as2_message("acme", "<2@acme>", &first, t(2))
            .await
            .expect("as2 in tx"),
        As2Seen::New
    );
    tx.rollback().await.expect("rollback");
    assert_eq!(
        store
            .record_as2_message("acme", "<2@acme>", &other, t(3))
            .await
            .expect("as2 after rollback"),
        As2Seen::New
    );
}

async fn document_and_outbox_commit_together(h: &Harness) {
    let store = &h.store;
    let doc = document("sha:0001");
    assert!(
        store
            .insert_document_with_outbox(&doc, &message("m-1"))
            .await
            .expect("insert")
    );
    let stored = reader(h)
        .await
        .find_document("sha:0001")
        .await
        .expect("find")
        .expect("stored");
    assert_eq!(stored, doc);
    let pending = store.pending_outbox(10).await.expect("pending");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].message, message("m-1"));
    assert_eq!(pending[0].sent_at, None);

    // A replay of the same input writes nothing, not even a message.
    let replay = NewDocument {
        id: Uuid::now_v7(),
        ..doc.clone()
    };
    assert!(
        !store
            .insert_document_with_outbox(&replay, &message("m-1-replay"))
            .await
            .expect("replay")
    );
    assert_eq!(store.pending_outbox(10).await.expect("pending").len(), 1);

    // A new document whose message id is taken: neither row is written.
    let clash = document("sha:0002");
    let err = store
        .insert_document_with_outbox(&clash, &message("m-1"))
        .await;
    assert!(matches!(err, Err(StoreError::Duplicate { .. })), "{err:?}");
    assert!(
        reader(h)
            .await
            .get_document(clash.id)
            .await
            .expect("get")
            .is_none()
    );
    assert_eq!(store.pending_outbox(10).await.expect("pending").len(), 1);
}

async fn failure_between_document_and_outbox_leaves_neither(h: &Harness) {
    let doc = document("sha:crash");
    {
        let mut tx = h.store.begin().await.expect("begin");
        assert!(tx.insert_document(&doc).await.expect("doc"));
        assert!(tx.insert_outbox(&message("m-crash")).await.expect("msg"));
        // The worker dies here: the handle is dropped without commit.
    }
    let mut r = reader(h).await;
    assert!(r.get_document(doc.id).await.expect("get").is_none());
    assert!(r.pending_outbox(10).await.expect("pending").is_empty());

    // A failing statement mid-way (a duplicate id) rolls back what came before it.
    let first = document("sha:first");
    assert!(
        h.store
            .insert_document_with_outbox(&first, &message("m-first"))
            .await
            .expect("first")
    );
    let mut tx = h.store.begin().await.expect("begin");
    let second = document("sha:second");
    assert!(tx.insert_document(&second).await.expect("doc"));
    let same_id = NewDocument {
        id: second.id,
        ..document("sha:third")
    };
    let err = tx.insert_document(&same_id).await;
    assert!(matches!(err, Err(StoreError::Duplicate { .. })), "{err:?}");
    tx.rollback().await.expect("rollback");
    assert!(r.get_document(second.id).await.expect("get").is_none());
}

/// Documents `k1`..`kN`, each with its outbox message `m1`..`mN`.
async fn seed_outbox(store: &dyn Store, count: usize) {
    for i in 1..=count {
        assert!(
            store
                .insert_document_with_outbox(
                    &document(&format!("k{i}")),
                    &message(&format!("m{i}"))
                )
                .await
                .expect("insert")
        );
    }
}

/// The message ids of outbox rows, in their order.
fn message_ids(rows: &[store::OutboxRecord]) -> Vec<&str> {
    rows.iter().map(|r| r.message.message_id.as_str()).collect()
}

async fn pending_outbox_in_order_until_marked_sent(h: &Harness) {
    let store = &h.store;
    seed_outbox(store.as_ref(), 3).await;
    let first_two = store.pending_outbox(2).await.expect("pending");
    let names = message_ids(&first_two);
    assert_eq!(names, ["m1", "m2"]);

    store
        .record_publish_failure(first_two[0].id, "connection reset")
        .await
        .expect("failure");
    store.mark_sent(first_two[1].id, t(10)).await.expect("sent");
    // A second confirm keeps the first time.
    store
        .mark_sent(first_two[1].id, t(20))
        .await
        .expect("sent again");

    let pending = store.pending_outbox(10).await.expect("pending");
    let names = message_ids(&pending);
    assert_eq!(names, ["m1", "m3"]);
    assert_eq!(pending[0].attempts, 1);
    assert_eq!(pending[0].last_error.as_deref(), Some("connection reset"));

    let missing = store.mark_sent(i64::MAX, t(30)).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
}

/// A row handed to the in-process bus (`mark_published`) is sent but not settled until its
/// consumers settle it; `requeue_unsettled` (the relay's first step on such a bus) makes
/// exactly the rows never settled pending again, in their order. A durable broker's confirm
/// (`mark_sent`) settles at once; a settlement that overtakes its publish still counts.
async fn published_but_unsettled_rows_are_pending_again_after_requeue(h: &Harness) {
    let store = &h.store;
    seed_outbox(store.as_ref(), 5).await;
    let rows = store.pending_outbox(10).await.expect("pending");
    let id = |n: usize| rows[n - 1].id;
    store.mark_sent(id(1), t(1)).await.expect("confirmed");
    store
        .mark_published(id(2), t(2))
        .await
        .expect("m2 handed over");
    store
        .mark_published(id(3), t(3))
        .await
        .expect("m3 handed over");
    // m4's consumer acked before the relay recorded its publish.
    assert_eq!(
        store
            .mark_settled(&["m4".to_owned()], t(4))
            .await
            .expect("m4 settled"),
        1
    );
    store
        .mark_published(id(4), t(5))
        .await
        .expect("m4 handed over");
    assert_eq!(
        store
            .mark_settled(&["m2".to_owned(), "no-such-message".to_owned()], t(6))
            .await
            .expect("m2 settled"),
        1
    );
    // m5 was never published.
    let names = |rows: &[OutboxRecord]| -> Vec<String> {
        rows.iter().map(|r| r.message.message_id.clone()).collect()
    };
    assert_eq!(
        names(&store.pending_outbox(10).await.expect("pending")),
        ["m5"]
    );

    // The process stopped: m3 died with the in-process bus.
    assert_eq!(store.requeue_unsettled().await.expect("requeue"), 1);
    let pending = store.pending_outbox(10).await.expect("pending");
    assert_eq!(names(&pending), ["m3", "m5"]);
    assert!(
        pending
            .iter()
            .all(|r| r.sent_at.is_none() && r.settled_at.is_none())
    );

    store.mark_published(id(3), t(7)).await.expect("m3 again");
    store.mark_published(id(5), t(8)).await.expect("m5");
    // A second settlement keeps the first time; m3 and m5 are settled now.
    assert_eq!(
        store
            .mark_settled(&["m3".to_owned(), "m5".to_owned(), "m2".to_owned()], t(9))
            .await
            .expect("settled"),
        2
    );
    assert_eq!(store.requeue_unsettled().await.expect("requeue"), 0);
    assert!(store.pending_outbox(10).await.expect("pending").is_empty());
}

async fn outbox_message_of_a_document_carries_its_exact_body(h: &Harness) {
    let store = &h.store;
    // Text a re-serialization would change (key order, spacing, escapes, a long decimal): the
    // message must carry the stored bytes, which are what its id was hashed from.
    let text = r#"{"schema":"chargegate.claim/1", "z":"\u00e9\n","a":[1,2.50,{}],"n":1.000000000000000000001}"#;
    let doc = NewDocument {
        body: JsonText::from_string(text.to_owned()).expect("json"),
        ..document("outbound:m-doc")
    };
    let before = message("m-before");
    let after = message("m-after");
    let mut tx = store.begin().await.expect("begin");
    assert!(tx.insert_outbox(&before).await.expect("before"));
    assert!(tx.insert_document(&doc).await.expect("doc"));
    let by_ref = message_ref("m-doc");
    assert!(
        tx.insert_outbox_for_document(&by_ref, doc.id)
            .await
            .expect("message of the document")
    );
    // The message id is taken: nothing is written.
    assert!(
        !tx.insert_outbox_for_document(&by_ref, doc.id)
            .await
            .expect("same id again")
    );
    assert!(tx.insert_outbox(&after).await.expect("after"));
    tx.commit().await.expect("commit");

    let pending = store.pending_outbox(10).await.expect("pending");
    let ids = message_ids(&pending);
    assert_eq!(ids, ["m-before", "m-doc", "m-after"], "publishing order");
    assert_eq!(pending[0].message, before);
    assert_eq!(pending[2].message, after);
    assert_eq!(
        pending[1].message,
        OutboxMessage {
            payload: text.as_bytes().to_vec(),
            ..by_ref
        }
    );
    let stored = reader(h)
        .await
        .get_document(doc.id)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(stored.body.get(), text, "the document itself is unchanged");

    // Sent like any other row.
    store.mark_sent(pending[1].id, t(10)).await.expect("sent");
    let names: Vec<_> = store
        .pending_outbox(10)
        .await
        .expect("pending")
        .into_iter()
        .map(|r| r.message.message_id)
        .collect();
    assert_eq!(names, ["m-before", "m-after"]);

    // A message cannot name a document that is not stored.
    let mut tx = store.begin().await.expect("begin");
    let orphan = tx
        .insert_outbox_for_document(&message_ref("m-orphan"), Uuid::now_v7())
        .await;
    assert!(orphan.is_err(), "{orphan:?}");
}

fn message_ref(id: &str) -> OutboxMessage {
    OutboxMessage {
        payload: Vec::new(),
        ..message(id)
    }
}

async fn processed_message_applies_once(h: &Harness) {
    let store = &*h.store;
    let batch = new_batch("B-APPLY");
    for attempt in 0..2 {
        let b = batch.clone();
        let outcome = apply_once(store, "engine.claims", "msg-1", t(attempt), move |tx| {
            Box::pin(async move {
                let event = audit("batch", b.id, "B1", "open", 0);
                tx.insert_batch(&b, &event).await?;
                Ok(b.id)
            })
        })
        .await
        .expect("apply");
        if attempt == 0 {
            assert_eq!(outcome, Applied::Applied(batch.id));
        } else {
            assert_eq!(outcome, Applied::AlreadyApplied);
        }
    }
    let trail = store
        .audit_events("batch", &batch.id.to_string())
        .await
        .expect("audit");
    assert_eq!(trail.len(), 1, "the second delivery changed nothing");

    // A failed apply rolls back the mark too, so a redelivery runs again.
    let failed = apply_once(store, "engine.claims", "msg-2", t(5), |tx| {
        Box::pin(async move {
            let dup = new_batch("B-APPLY");
            tx.insert_batch(&dup, &audit("batch", dup.id, "B1", "open", 5))
                .await?;
            Ok(())
        })
    })
    .await;
    assert!(
        matches!(failed, Err(StoreError::Duplicate { .. })),
        "{failed:?}"
    );
    let mut r = store.reader().await.expect("reader");
    assert!(
        !r.is_processed("engine.claims", "msg-2")
            .await
            .expect("check")
    );
    assert!(
        r.is_processed("engine.claims", "msg-1")
            .await
            .expect("check")
    );
    // Another consumer has its own record.
    assert!(
        !r.is_processed("engine.sales", "msg-1")
            .await
            .expect("check")
    );
}

async fn control_numbers_are_sequential_and_survive_reopen(h: &Harness) {
    let key = ControlNumberKey::new("acme", Direction::Outbound, ControlKind::Interchange);
    let range = (1, 999_999_999);
    for expected in 1..=3 {
        assert_eq!(
            h.store
                .allocate_control_number(&key, range, t(0))
                .await
                .expect("allocate"),
            expected
        );
    }
    // Other counters are independent.
    let group = ControlNumberKey::new("acme", Direction::Outbound, ControlKind::Group);
    assert_eq!(
        h.store
            .allocate_control_number(&group, range, t(0))
            .await
            .expect("group"),
        1
    );
    let inbound = ControlNumberKey::new("acme", Direction::Inbound, ControlKind::Interchange);
    assert_eq!(
        h.store
            .allocate_control_number(&inbound, range, t(0))
            .await
            .expect("inbound"),
        1
    );

    // A number allocated in a transaction that rolls back was never handed out for good.
    let mut tx = h.store.begin().await.expect("begin");
    assert_eq!(
        tx.allocate_control_number(&key, range, t(1))
            .await
            .expect("in tx"),
        4
    );
    tx.rollback().await.expect("rollback");

    // After a restart the counter goes on.
    let reopened = h.reopen().await;
    assert_eq!(
        reopened
            .allocate_control_number(&key, range, t(2))
            .await
            .expect("after reopen"),
        4
    );
    // A range moved up starts at its start; moved back down, it never reuses a number.
    assert_eq!(
        reopened
            .allocate_control_number(&key, (100, 200), t(3))
            .await
            .expect("moved up"),
        100
    );
    assert_eq!(
        reopened
            .allocate_control_number(&key, range, t(4))
            .await
            .expect("moved down"),
        101
    );
    reopened.close().await;
}

async fn concurrent_allocation_yields_distinct_numbers(h: &Harness) {
    let key = ControlNumberKey::new("acme", Direction::Outbound, ControlKind::Set);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = Arc::clone(&h.store);
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            store
                .allocate_control_number(&key, (1, 9999), t(i))
                .await
                .expect("allocate")
        }));
    }
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.expect("task"));
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=8).collect::<Vec<u32>>());
}

async fn exhausted_range_is_an_error_not_a_wrap(h: &Harness) {
    let key = ControlNumberKey::new("lakeside", Direction::Outbound, ControlKind::Group);
    for expected in 7..=9 {
        assert_eq!(
            h.store
                .allocate_control_number(&key, (7, 9), t(0))
                .await
                .expect("allocate"),
            expected
        );
    }
    for _ in 0..2 {
        let err = h.store.allocate_control_number(&key, (7, 9), t(1)).await;
        assert!(
            matches!(
                err,
                Err(StoreError::RangeExhausted {
                    start: 7,
                    end: 9,
                    ..
                })
            ),
            "{err:?}"
        );
    }
    // The failed calls consumed nothing: a widened range continues right after 9.
    assert_eq!(
        h.store
            .allocate_control_number(&key, (7, 20), t(2))
            .await
            .expect("widened"),
        10
    );
    let reversed = h.store.allocate_control_number(&key, (5, 1), t(3)).await;
    assert!(
        matches!(reversed, Err(StoreError::InvalidValue { .. })),
        "{reversed:?}"
    );
}

async fn stale_batch_version_is_a_conflict(h: &Harness) {
    let batch = new_batch("B-OCC");
    let mut tx = h.store.begin().await.expect("begin");
    tx.insert_batch(&batch, &audit("batch", batch.id, "B1", "open", 0))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");

    let read = reader(h)
        .await
        .get_batch(batch.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(read.version, 1);

    let update = |version: i64, status: &str| EntityUpdate {
        id: batch.id,
        expected_version: version,
        status: status.into(),
        amount: None,
        payload: json!({"status": status}),
        at: t(1),
    };
    let mut tx = h.store.begin().await.expect("begin");
    let v = tx
        .update_batch(
            &update(1, "awaiting_review"),
            &audit("batch", batch.id, "B5", "awaiting_review", 1),
        )
        .await
        .expect("first update");
    assert_eq!(v, 2);
    tx.commit().await.expect("commit");

    // A second worker decided on version 1 too.
    let mut tx = h.store.begin().await.expect("begin");
    let stale = tx
        .update_batch(
            &update(1, "closed"),
            &audit("batch", batch.id, "B3", "closed", 2),
        )
        .await;
    assert!(
        matches!(
            stale,
            Err(StoreError::Conflict {
                expected: 1,
                actual: 2,
                ..
            })
        ),
        "{stale:?}"
    );
    tx.rollback().await.expect("rollback");

    let now = reader(h)
        .await
        .get_batch(batch.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(now.status, "awaiting_review");
    assert_eq!(now.version, 2);
    assert_eq!(now.updated_at, t(1));
    assert_eq!(now.created_at, t(0));
    let trail = h
        .store
        .audit_events("batch", &batch.id.to_string())
        .await
        .expect("audit");
    let events: Vec<_> = trail.iter().map(|a| a.event.event.as_str()).collect();
    assert_eq!(events, ["B1", "B5"]);

    let mut tx = h.store.begin().await.expect("begin");
    let missing = tx
        .update_batch(
            &EntityUpdate {
                id: Uuid::now_v7(),
                ..update(1, "closed")
            },
            &audit("batch", "x", "B3", "closed", 3),
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
    drop(tx);

    let mut tx = h.store.begin().await.expect("begin");
    let dup = NewBatch {
        id: Uuid::now_v7(),
        ..batch.clone()
    };
    let err = tx
        .insert_batch(&dup, &audit("batch", dup.id, "B1", "open", 4))
        .await;
    assert!(matches!(err, Err(StoreError::Duplicate { .. })), "{err:?}");
}

async fn audit_events_roll_back_with_their_transaction(h: &Harness) {
    let batch = new_batch("B-AUDIT");
    let id = batch.id.to_string();

    let mut tx = h.store.begin().await.expect("begin");
    tx.insert_batch(&batch, &audit("batch", batch.id, "B1", "open", 0))
        .await
        .expect("insert");
    let extra = NewAuditEvent {
        reason: Some("imported".into()),
        before: Some(json!(null)),
        after: Some(json!({"status": "open"})),
        correlation_id: Some("000000905".into()),
        ..audit("batch", batch.id, "note", "open", 0)
    };
    tx.append_audit(&extra).await.expect("append");
    // Visible inside the transaction...
    assert_eq!(tx.audit_events("batch", &id).await.expect("in tx").len(), 2);
    tx.rollback().await.expect("rollback");
    // ...and gone with it, together with the batch.
    assert!(
        h.store
            .audit_events("batch", &id)
            .await
            .expect("audit")
            .is_empty()
    );
    assert!(
        reader(h)
            .await
            .get_batch(batch.id)
            .await
            .expect("get")
            .is_none()
    );

    let mut tx = h.store.begin().await.expect("begin");
    tx.insert_batch(&batch, &audit("batch", batch.id, "B1", "open", 0))
        .await
        .expect("insert");
    tx.append_audit(&extra).await.expect("append");
    tx.commit().await.expect("commit");
    let trail = h.store.audit_events("batch", &id).await.expect("audit");
    assert_eq!(trail.len(), 2);
    assert!(trail[0].id < trail[1].id);
    assert_eq!(trail[1].event, extra);
}

async fn decimals_round_trip_exactly(h: &Harness) {
    let mut claim = new_claim("DM-BIG", "123456789012.34");
    let batch = new_batch("B-DEC");
    claim.batch_id = Some(batch.id);
    let mut tx = h.store.begin().await.expect("begin");
    tx.insert_batch(&batch, &audit("batch", batch.id, "B1", "open", 0))
        .await
        .expect("batch");
    let mut tiny = line(1, "INV-1");
    tiny.contract_price = Some(dec("0.000001"));
    tiny.quantity = Some(dec("1.5"));
    tiny.claimed_amount = Some(dec("10.5"));
    tiny.calculated_amount = Some(dec("-0.01"));
    // The widest values the columns hold, negative (PostgreSQL's binary NUMERIC groups four
    // digits from the decimal point both ways).
    tiny.accepted_amount = Some(dec("-9999999999999999.99"));
    let mut wide = line(2, "INV-2");
    wide.quantity = Some(dec("-999999999999.999999"));
    wide.contract_price = Some(dec("100000000000"));
    wide.claimed_amount = Some(dec("0"));
    lines_and_claim(
        &mut *tx,
        (batch.id, &[tiny, wide]),
        &claim,
        &[NewClaimLine {
            line_no: 1,
            batch_id: Some(batch.id),
            batch_line_no: Some(1),
            status: "open".into(),
            claimed_amount: dec("99999999.99"),
            approved_amount: Some(dec("0.01")),
            payload: json!({}).into(),
            sale_from_batch: false,
        }],
    )
    .await;
    tx.commit().await.expect("commit");

    let mut r = reader(h).await;
    let got = r.get_claim(claim.id).await.expect("get").expect("exists");
    assert_eq!(got.amount.to_string(), "123456789012.34");
    let lines = r.batch_lines(batch.id).await.expect("lines");
    // Each value as PostgreSQL and SQLite give it back: at its column's scale.
    let shown = |l: &NewBatchLine| {
        [
            l.quantity,
            l.contract_price,
            l.claimed_amount,
            l.calculated_amount,
            l.accepted_amount,
        ]
        .map(|d| d.map(|d| d.to_string()))
    };
    assert_eq!(
        shown(&lines[0].line),
        [
            Some("1.500000"),
            Some("0.000001"),
            Some("10.50"),
            Some("-0.01"),
            Some("-9999999999999999.99"),
        ]
        .map(|s| s.map(str::to_owned))
    );
    let w = &lines[1].line;
    assert_eq!(
        shown(w)[..2],
        [Some("-999999999999.999999"), Some("100000000000.000000")].map(|s| s.map(str::to_owned))
    );
    // (sqlx reads a NUMERIC zero back without its scale: compared by value.)
    assert_eq!(w.claimed_amount, Some(dec("0.00")));
    let cl = r.claim_lines(claim.id).await.expect("claim lines");
    assert_eq!(cl[0].line.claimed_amount.to_string(), "99999999.99");
    assert_eq!(cl[0].line.approved_amount, Some(dec("0.01")));

    // Amounts the column would round are refused on both backends.
    let mut tx = h.store.begin().await.expect("begin");
    let err = tx
        .insert_claim(
            &new_claim("DM-ROUND", "0.001"),
            &audit("claim", "x", "C1", "open", 0),
        )
        .await;
    assert!(
        matches!(err, Err(StoreError::InvalidValue { .. })),
        "{err:?}"
    );
    let too_big = tx
        .insert_claim(
            &new_claim("DM-HUGE", "10000000000000000.00"),
            &audit("claim", "x", "C1", "open", 0),
        )
        .await;
    assert!(
        matches!(too_big, Err(StoreError::InvalidValue { .. })),
        "{too_big:?}"
    );
    drop(tx);

    // Updating the amount keeps it exact too.
    let mut tx = h.store.begin().await.expect("begin");
    tx.update_claim(
        &EntityUpdate {
            id: claim.id,
            expected_version: 1,
            status: "approved".into(),
            amount: Some(dec("0.10")),
            payload: json!({}),
            at: t(1),
        },
        &audit("claim", claim.id, "C3", "approved", 1),
    )
    .await
    .expect("update");
    tx.commit().await.expect("commit");
    let got = r.get_claim(claim.id).await.expect("get").expect("exists");
    assert_eq!(got.amount.to_string(), "0.10");
}

fn response(isa13: &str, claim_id: Option<Uuid>, status: MatchStatus, at: i64) -> NewResponse {
    NewResponse {
        id: Uuid::now_v7(),
        partner: "acme".into(),
        direction: Direction::Inbound,
        isa13: Some(isa13.into()),
        gs06: Some("1".into()),
        st02: Some("0001".into()),
        debit_memo: Some("DM-1001".into()),
        claim_id,
        match_status: status,
        total_claimed: Some(dec("255.25")),
        total_approved: Some(dec("223.50")),
        document_id: None,
        payload: json!({"credit_memo": "ACME-CR-556677"}),
        at: t(at),
    }
}

async fn unmatched_responses_queue(h: &Harness) {
    let claim = new_claim("DM-1001", "255.25");
    let matched = response("000000101", Some(claim.id), MatchStatus::Matched, 1);
    let lost = response("000000102", None, MatchStatus::Unmatched, 2);
    let partial = response("000000103", Some(claim.id), MatchStatus::Partial, 3);
    let other_partner = NewResponse {
        partner: "lakeside".into(),
        ..response("000000104", None, MatchStatus::Unmatched, 4)
    };
    let mut tx = h.store.begin().await.expect("begin");
    tx.insert_claim(&claim, &audit("claim", claim.id, "C1", "open", 0))
        .await
        .expect("claim");
    for r in [&matched, &lost, &partial, &other_partner] {
        assert!(
            tx.insert_response(
                r,
                &audit("response", r.id, "received", r.match_status.as_str(), 0)
            )
            .await
            .expect("response")
        );
    }
    // The same 849 again (same sender control numbers) is not stored twice.
    let again = NewResponse {
        id: Uuid::now_v7(),
        ..lost.clone()
    };
    assert!(
        !tx.insert_response(
            &again,
            &audit("response", again.id, "received", "unmatched", 0)
        )
        .await
        .expect("dup")
    );
    tx.commit().await.expect("commit");

    let ids = |v: Vec<ResponseRecord>| v.into_iter().map(|r| r.response.id).collect::<Vec<_>>();
    assert_eq!(
        ids(h
            .store
            .unmatched_responses(Some("acme"))
            .await
            .expect("queue")),
        vec![lost.id, partial.id]
    );
    assert_eq!(
        ids(h.store.unmatched_responses(None).await.expect("queue")),
        vec![lost.id, partial.id, other_partner.id]
    );

    // Ops link the lost one (audited); it leaves the queue.
    let mut tx = h.store.begin().await.expect("begin");
    tx.link_response(
        lost.id,
        Some(claim.id),
        MatchStatus::Matched,
        t(9),
        &NewAuditEvent::new("ops:ann", "response", lost.id.to_string(), "link", t(9))
            .transition(Some("unmatched"), "matched"),
    )
    .await
    .expect("link");
    tx.commit().await.expect("commit");
    // Linked already: a second link finds no unmatched response and writes nothing.
    let mut tx = h.store.begin().await.expect("begin");
    let again = tx
        .link_response(
            lost.id,
            Some(claim.id),
            MatchStatus::Matched,
            t(10),
            &NewAuditEvent::new("ops:bob", "response", lost.id.to_string(), "link", t(10)),
        )
        .await;
    assert!(
        matches!(again, Err(StoreError::NotFound { .. })),
        "{again:?}"
    );
    tx.rollback().await.expect("rollback");
    assert_eq!(
        ids(h
            .store
            .unmatched_responses(Some("acme"))
            .await
            .expect("queue")),
        vec![partial.id]
    );
    let mut r = reader(h).await;
    let linked = r.get_response(lost.id).await.expect("get").expect("exists");
    assert_eq!(linked.response.claim_id, Some(claim.id));
    assert_eq!(linked.updated_at, t(9));
    assert_eq!(linked.response.total_approved, Some(dec("223.50")));
    assert_eq!(
        ids(r.responses_for_claim(claim.id).await.expect("for claim")),
        vec![matched.id, lost.id, partial.id]
    );
}

async fn engine_entities_round_trip(h: &Harness) {
    let contract = NewContract {
        id: Uuid::now_v7(),
        partner: "acme".into(),
        supplier: "acme".into(),
        contract_number: "SPA-2026-0042".into(),
        status: "active".into(),
        payload: json!({"type": "end_customer"}),
        at: t(0),
    };
    let doc = document("845:1");
    let version = |no: i64| ContractVersion {
        contract_id: contract.id,
        version_no: no,
        source_document_id: Some(doc.id),
        received_at: t(no),
        approved_by: None,
        payload: json!({"items": [{"item": "12345020101", "contract_price": "30.00"}]}),
    };
    let batch = new_batch("B-ROUND");
    let claim = NewClaim {
        batch_id: Some(batch.id),
        ..new_claim("DM-ROUND-1", "96.00")
    };

    let mut tx = h.store.begin().await.expect("begin");
    assert!(tx.insert_document(&doc).await.expect("doc"));
    tx.insert_contract(
        &contract,
        &audit("contract", contract.id, "845", "active", 0),
    )
    .await
    .expect("contract");
    for no in 1..=2 {
        tx.insert_contract_version(
            &version(no),
            &audit("contract", contract.id, "version", "active", no),
        )
        .await
        .expect("version");
    }
    tx.insert_batch(&batch, &audit("batch", batch.id, "B1", "open", 0))
        .await
        .expect("batch");
    let inserted = tx
        .insert_batch_lines(
            batch.id,
            &[line(1, "INV-77"), line(2, "INV-78"), line(3, "INV-77")],
            t(0),
            &audit("batch", batch.id, "lines", "open", 0),
        )
        .await
        .expect("lines");
    assert_eq!(inserted, 3);
    tx.insert_claim(&claim, &audit("claim", claim.id, "C1", "open", 0))
        .await
        .expect("claim");
    tx.update_batch_line(
        &BatchLineUpdate {
            batch_id: batch.id,
            line_no: 2,
            status: "claimed".into(),
            calculated_amount: Some(dec("48.00")),
            accepted_amount: Some(dec("48.00")),
            claim_id: Some(claim.id),
            payload: json!({"pad01": 2, "reason": null}),
            at: t(1),
        },
        &audit("batch_line", format!("{}/2", batch.id), "L8", "claimed", 1),
    )
    .await
    .expect("line update");
    tx.commit().await.expect("commit");

    let mut tx = h.store.begin().await.expect("begin");
    let dup_version = tx
        .insert_contract_version(
            &version(2),
            &audit("contract", contract.id, "version", "active", 3),
        )
        .await;
    assert!(
        matches!(dup_version, Err(StoreError::Duplicate { .. })),
        "{dup_version:?}"
    );
    drop(tx);

    let mut r = reader(h).await;
    let found = r
        .find_contract("acme", "acme", "SPA-2026-0042")
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(found.id, contract.id);
    assert_eq!(found.version, 1);
    assert_eq!(
        r.contract_versions(contract.id).await.expect("versions"),
        vec![version(1), version(2)]
    );
    assert_eq!(
        r.find_batch("B-ROUND").await.expect("find").map(|b| b.id),
        Some(batch.id)
    );

    let dupes = r
        .find_batch_lines(&LineQuery {
            partner: Some("acme".into()),
            invoice: "INV-77".into(),
            item: Some("12345020101".into()),
            customer: None,
        })
        .await
        .expect("find lines");
    assert_eq!(
        dupes.iter().map(|l| l.line.line_no).collect::<Vec<_>>(),
        vec![1, 3]
    );
    let lines = r.batch_lines(batch.id).await.expect("lines");
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1].line.status, "claimed");
    assert_eq!(lines[1].claim_id, Some(claim.id));
    assert_eq!(lines[1].line.accepted_amount, Some(dec("48.00")));
    assert_eq!(lines[1].updated_at, t(1));
    assert_eq!(lines[0].line, line(1, "INV-77").normalized());
    assert_eq!(
        r.find_claim("acme", "DM-ROUND-1")
            .await
            .expect("find")
            .map(|c| c.batch_id),
        Some(Some(batch.id))
    );

    // Caps: locked in the claim-creation transaction, ledger appended.
    let cap = CapRecord {
        cap_key: format!("{}:12345020101", contract.id),
        contract_id: Some(contract.id),
        item: Some("12345020101".into()),
        customer: None,
        quantity_limit: Some(dec("10")),
        amount_limit: None,
        payload: json!({"uom": "CA"}),
        updated_at: t(0),
    };
    let mut tx = h.store.begin().await.expect("begin");
    tx.upsert_cap(&cap, &audit("cap", &cap.cap_key, "set", "active", 0))
        .await
        .expect("cap");
    let locked = tx
        .lock_caps(std::slice::from_ref(&cap.cap_key))
        .await
        .expect("lock");
    assert_eq!(locked.len(), 1);
    // More keys than a statement can bind (PostgreSQL: 65,535), the cap's among them twice.
    let mut many: Vec<String> = (0..70_000).map(|n| format!("{n:05}:none")).collect();
    many.insert(35_000, cap.cap_key.clone());
    many.push(cap.cap_key.clone());
    let found = tx.lock_caps(&many).await.expect("lock many");
    assert_eq!(found, locked);
    assert_eq!(
        locked[0].quantity_limit.map(|d| d.to_string()).as_deref(),
        Some("10.000000")
    );
    tx.append_cap_entries(&[
        NewCapEntry {
            cap_key: cap.cap_key.clone(),
            batch_id: Some(batch.id),
            line_no: Some(2),
            line_ref: Some("2".into()),
            kind: CapEntryKind::Reserved,
            quantity: dec("6"),
            amount: dec("48.00"),
            at: t(1),
        },
        NewCapEntry {
            cap_key: cap.cap_key.clone(),
            batch_id: Some(batch.id),
            line_no: Some(2),
            line_ref: None,
            kind: CapEntryKind::Consumed,
            quantity: dec("6"),
            amount: dec("48.00"),
            at: t(2),
        },
    ])
    .await
    .expect("ledger");
    tx.commit().await.expect("commit");
    let ledger = r
        .cap_entries(std::slice::from_ref(&cap.cap_key))
        .await
        .expect("ledger");
    assert_eq!(
        ledger.iter().map(|e| e.entry.kind).collect::<Vec<_>>(),
        vec![CapEntryKind::Reserved, CapEntryKind::Consumed]
    );
    assert_eq!(
        ledger
            .iter()
            .map(|e| e.entry.line_ref.as_deref())
            .collect::<Vec<_>>(),
        vec![Some("2"), None]
    );
    // Several caps in one query: each cap's movements, in append order; none for no caps.
    let both = r
        .cap_entries(&[cap.cap_key.clone(), "no-such-cap".to_owned()])
        .await
        .expect("ledgers");
    assert_eq!(
        both.iter().map(|e| e.id).collect::<Vec<_>>(),
        ledger.iter().map(|e| e.id).collect::<Vec<_>>()
    );
    assert!(r.cap_entries(&[]).await.expect("none").is_empty());

    // Claim lines, settlement, dispute.
    let settlement = NewSettlement {
        id: Uuid::now_v7(),
        partner: "acme".into(),
        kind: "credit_memo".into(),
        number: "ACME-CR-556677".into(),
        amount: dec("64.25"),
        allocations: vec![(claim.id, dec("64.25"))],
        payload: json!({"date": "2026-12-15"}),
        at: t(5),
    };
    let dispute = NewDispute {
        id: Uuid::now_v7(),
        partner: "acme".into(),
        claim_id: Some(claim.id),
        status: "open".into(),
        amount: dec("31.75"),
        payload: json!({"reason": "CONTRACT_PRICE_MISMATCH"}),
        at: t(6),
    };
    let mut tx = h.store.begin().await.expect("begin");
    tx.insert_claim_lines(
        claim.id,
        &[NewClaimLine {
            line_no: 1,
            batch_id: Some(batch.id),
            batch_line_no: Some(2),
            status: "open".into(),
            claimed_amount: dec("96.00"),
            approved_amount: None,
            payload: json!({}).into(),
            sale_from_batch: false,
        }],
        t(2),
        &audit("claim", claim.id, "lines", "open", 2),
    )
    .await
    .expect("claim lines");
    update_claim_line(
        &mut *tx,
        &ClaimLineUpdate {
            claim_id: claim.id,
            line_no: 1,
            status: "adjusted".into(),
            approved_amount: Some(dec("64.25")),
            payload: json!({"aaa03": "07"}),
            at: t(4),
            batch_line: None,
        },
        &audit(
            "claim_line",
            format!("{}/1", claim.id),
            "849",
            "adjusted",
            4,
        ),
    )
    .await
    .expect("claim line outcome");
    tx.insert_settlement(
        &settlement,
        &audit("settlement", settlement.id, "C8", "settled", 5),
    )
    .await
    .expect("settlement");
    tx.insert_dispute(&dispute, &audit("dispute", dispute.id, "D1", "open", 6))
        .await
        .expect("dispute");
    tx.commit().await.expect("commit");

    let cl = r.claim_lines(claim.id).await.expect("claim lines");
    assert_eq!(cl[0].line.status, "adjusted");
    assert_eq!(cl[0].line.approved_amount, Some(dec("64.25")));
    assert_eq!(
        r.settlements_for_claim(claim.id)
            .await
            .expect("settlements"),
        vec![settlement]
    );
    let d = r
        .get_dispute(dispute.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!((d.version, d.amount), (1, dec("31.75")));
    assert_eq!(
        r.disputes_for_claim(claim.id)
            .await
            .expect("disputes")
            .len(),
        1
    );

    let mut tx = h.store.begin().await.expect("begin");
    let d_update = |v: i64| EntityUpdate {
        id: dispute.id,
        expected_version: v,
        status: "submitted".into(),
        amount: None,
        payload: json!({"reason": "CONTRACT_PRICE_MISMATCH"}),
        at: t(7),
    };
    assert_eq!(
        tx.update_dispute(
            &d_update(1),
            &audit("dispute", dispute.id, "D2", "submitted", 7)
        )
        .await
        .expect("update"),
        2
    );
    let stale = tx
        .update_dispute(
            &d_update(1),
            &audit("dispute", dispute.id, "D2", "submitted", 7),
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    drop(tx);

    let mut tx = h.store.begin().await.expect("begin");
    let v = tx
        .update_contract(
            &EntityUpdate {
                id: contract.id,
                expected_version: 1,
                status: "suspended".into(),
                amount: None,
                payload: json!({}),
                at: t(8),
            },
            &audit("contract", contract.id, "suspend", "suspended", 8),
        )
        .await
        .expect("contract update");
    assert_eq!(v, 2);
    tx.commit().await.expect("commit");
    assert_eq!(
        r.get_contract(contract.id)
            .await
            .expect("get")
            .map(|c| c.status),
        Some("suspended".into())
    );
}

/// Lines come back at column scale; the fixtures compare after the same rescaling.
trait Normalized {
    fn normalized(self) -> Self;
}

impl Normalized for NewBatchLine {
    fn normalized(mut self) -> Self {
        let scale = |d: Option<Decimal>, s: u32| {
            d.map(|mut d| {
                d.rescale(s);
                d
            })
        };
        self.quantity = scale(self.quantity, 6);
        self.contract_price = scale(self.contract_price, 6);
        self.claimed_amount = scale(self.claimed_amount, 2);
        self.calculated_amount = scale(self.calculated_amount, 2);
        self.accepted_amount = scale(self.accepted_amount, 2);
        self
    }
}

async fn bulk_lines_keep_every_byte(h: &Harness) {
    let batch = new_batch("B-BULK");
    let awkward =
        "tab\there, newline\nthere, cr\r, backslash \\ and \\N, quote \" and \u{e9}\u{1f4a9}";
    let lines: Vec<NewBatchLine> = (1..=2_500)
        .map(|no| NewBatchLine {
            invoice: Some(format!("INV\\{}\t{}", no / 3, awkward.len())),
            customer: if no % 2 == 0 {
                None
            } else {
                Some("AB1234563".into())
            },
            // Accepted as inserted, or not yet.
            accepted_amount: (no % 2 == 0).then(|| dec("1.25")),
            payload: json!({"note": awkward, "n": no, "nested": {"list": [1, null, "\\N"]}}).into(),
            ..line(no, "x")
        })
        .collect();
    let mut tx = h.store.begin().await.expect("begin");
    tx.insert_batch(&batch, &audit("batch", batch.id, "B1", "open", 0))
        .await
        .expect("batch");
    // Written by COPY on PostgreSQL: a time keeps its microseconds there too (truncated).
    let at = t(0) + Duration::nanoseconds(999_999_999);
    let n = tx
        .insert_batch_lines(
            batch.id,
            &lines,
            at,
            &audit("batch", batch.id, "lines", "open", 0),
        )
        .await
        .expect("bulk insert");
    assert_eq!(n, 2_500);
    tx.commit().await.expect("commit");

    let stored = reader(h).await.batch_lines(batch.id).await.expect("lines");
    assert_eq!(stored.len(), lines.len());
    for (got, want) in stored.iter().zip(&lines) {
        assert_eq!(got.line, want.clone().normalized());
        assert_eq!(got.line.payload.to_value()["note"], awkward);
        assert_eq!(got.updated_at, t(0) + Duration::microseconds(999_999));
    }

    // The same line numbers again: refused, nothing written.
    let mut tx = h.store.begin().await.expect("begin");
    let err = tx
        .insert_batch_lines(
            batch.id,
            &lines[..10],
            t(1),
            &audit("batch", batch.id, "lines", "open", 1),
        )
        .await;
    assert!(matches!(err, Err(StoreError::Duplicate { .. })), "{err:?}");
    drop(tx);
    // Lines of a batch that does not exist.
    let mut tx = h.store.begin().await.expect("begin");
    let err = tx
        .insert_batch_lines(
            Uuid::now_v7(),
            &lines[..1],
            t(1),
            &audit("batch", "x", "lines", "open", 1),
        )
        .await;
    assert!(matches!(err, Err(StoreError::NotFound { .. })), "{err:?}");
}

async fn times_keep_microseconds(h: &Harness) {
    // 999,999,999 ns: PostgreSQL alone would round this up to the next second.
    let at = t(0) + Duration::nanoseconds(999_999_999);
    let tx = NewTransaction::new(
        Uuid::now_v7(),
        "acme",
        Direction::Inbound,
        Step::Receive,
        TxState::Received,
        at,
    );
    h.store.insert_transaction(&tx).await.expect("insert");
    let got = h
        .store
        .get_transaction(tx.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(got.created_at, t(0) + Duration::microseconds(999_999));
    assert_eq!(got.created_at, got.updated_at);
}

// ---- outbound AS2 messages -----------------------------------------------------------------

async fn outbound_tx(h: &Harness) -> Uuid {
    let id = Uuid::now_v7();
    h.store
        .insert_transaction(&NewTransaction::new(
            id,
            "acme",
            Direction::Outbound,
            Step::Send,
            TxState::Processing,
            t(0),
        ))
        .await
        .expect("outbound transaction");
    id
}

fn as2_message(id: &str, tx: Uuid, mic: &str) -> NewAs2Outbound {
    NewAs2Outbound {
        message_id: id.into(),
        partner: "acme".into(),
        transaction_id: tx,
        mic: mic.into(),
        headers: json!([["AS2-To", "ACMEAS2"], ["Message-ID", format!("<{id}>")]]),
        body_sha256: "ef".repeat(32),
        at: t(0),
    }
}

async fn as2_outbound_messages_settle_once(h: &Harness) {
    use As2OutboundStatus::*;
    let store = &h.store;
    let tx = outbound_tx(h).await;
    store
        .put_as2_outbound(&as2_message("m1@cg", tx, "abc=, sha-256"))
        .await
        .expect("put");
    let m = store
        .get_as2_outbound("m1@cg")
        .await
        .expect("get")
        .expect("stored");
    assert_eq!((m.status, m.attempts, m.sent_at), (Sending, 0, None));
    assert_eq!(m.transaction_id, tx);
    assert_eq!(m.mic, "abc=, sha-256");
    assert_eq!(m.headers[0][1], "ACMEAS2");
    assert!(
        store
            .get_as2_outbound("other@cg")
            .await
            .expect("get")
            .is_none()
    );

    // One POST is counted once: a second claimant with the same view loses.
    assert!(
        store
            .claim_as2_attempt("m1@cg", 0, t(10))
            .await
            .expect("claim")
    );
    assert!(
        !store
            .claim_as2_attempt("m1@cg", 0, t(10))
            .await
            .expect("claim again")
    );
    let mut w = store.begin().await.expect("begin");
    assert!(
        w.transition_as2_outbound("m1@cg", &[Sending], AwaitingMdn, None, t(10))
            .await
            .expect("awaiting")
    );
    w.commit().await.expect("commit");

    // Due for a resend only once the timeout passed.
    assert!(
        store
            .as2_awaiting_mdn(t(10), 10)
            .await
            .expect("due")
            .is_empty()
    );
    let due = store.as2_awaiting_mdn(t(11), 10).await.expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].attempts, due[0].sent_at), (1, Some(t(10))));
    assert!(
        store
            .claim_as2_attempt("m1@cg", 1, t(20))
            .await
            .expect("resend")
    );

    // The MDN settles it once; a second MDN changes nothing.
    let mut w = store.begin().await.expect("begin");
    assert!(
        w.transition_as2_outbound(
            "m1@cg",
            &[Sending, AwaitingMdn],
            Failed,
            Some("negative"),
            t(30)
        )
        .await
        .expect("settle")
    );
    assert!(
        !w.transition_as2_outbound("m1@cg", &[Sending, AwaitingMdn], Processed, None, t(31))
            .await
            .expect("settle twice")
    );
    w.commit().await.expect("commit");
    assert!(
        !store
            .claim_as2_attempt("m1@cg", 2, t(40))
            .await
            .expect("settled: no resend")
    );
    let m = store
        .get_as2_outbound("m1@cg")
        .await
        .expect("get")
        .expect("stored");
    assert_eq!((m.status, m.attempts), (Failed, 2));
    assert_eq!(m.detail.as_deref(), Some("negative"));
    assert_eq!(m.sent_at, Some(t(20)));
    assert!(
        store
            .as2_awaiting_mdn(t(100), 10)
            .await
            .expect("due")
            .is_empty()
    );

    // Sent again after a replay: same Message-ID, new bytes, counting from zero.
    store
        .put_as2_outbound(&NewAs2Outbound {
            body_sha256: "01".repeat(32),
            ..as2_message("m1@cg", tx, "def=, sha-256")
        })
        .await
        .expect("put again");
    let m = store
        .get_as2_outbound("m1@cg")
        .await
        .expect("get")
        .expect("stored");
    assert_eq!((m.status, m.attempts, m.detail), (Sending, 0, None));
    assert_eq!(
        (m.mic.as_str(), m.body_sha256),
        ("def=, sha-256", "01".repeat(32))
    );
}

async fn transaction_error_note_can_be_cleared(h: &Harness) {
    let store = &h.store;
    let tx = outbound_tx(h).await;
    store
        .update_transaction(
            &TransactionUpdate::new(tx, Step::Send, TxState::Processing, "system", t(1))
                .with_error("awaiting the MDN"),
        )
        .await
        .expect("note");
    store
        .update_transaction(&TransactionUpdate::new(
            tx,
            Step::Send,
            TxState::Processing,
            "system",
            t(2),
        ))
        .await
        .expect("no error given");
    let row = store.get_transaction(tx).await.expect("get").expect("row");
    assert_eq!(
        row.error.as_deref(),
        Some("awaiting the MDN"),
        "None keeps the error"
    );
    store
        .update_transaction(
            &TransactionUpdate::new(tx, Step::Send, TxState::Done, "system", t(3)).clearing_error(),
        )
        .await
        .expect("done");
    let row = store.get_transaction(tx).await.expect("get").expect("row");
    assert_eq!((row.state, row.error), (TxState::Done, None));
    let trail = store
        .audit_events("transaction", &tx.to_string())
        .await
        .expect("audit");
    assert!(
        trail
            .iter()
            .any(|e| e.event.reason.as_deref() == Some("awaiting the MDN"))
    );
}

async fn only_a_failed_transaction_is_dismissed_with_its_reason_audited(h: &Harness) {
    let store = &h.store;
    let tx = outbound_tx(h).await;
    let dismissal = |id| TransactionDismissal {
        id,
        actor: "ann".into(),
        reason: "corrected file resent as ISA13 000000905".into(),
        at: t(5),
    };

    let unknown = Uuid::now_v7();
    let err = store
        .dismiss_transaction(&dismissal(unknown))
        .await
        .expect_err("unknown id");
    assert!(
        matches!(&err, StoreError::NotFound { entity: "transaction", id } if *id == unknown.to_string()),
        "{err:?}"
    );

    let err = store
        .dismiss_transaction(&dismissal(tx))
        .await
        .expect_err("not failed yet");
    assert!(
        matches!(err, StoreError::NotFailed { id, state: TxState::Processing } if id == tx),
        "{err:?}"
    );

    store
        .update_transaction(
            &TransactionUpdate::new(tx, Step::Send, TxState::Failed, "system", t(1))
                .with_error("duplicate ISA13 000000904"),
        )
        .await
        .expect("failed");
    let failed = TransactionFilter {
        failed_only: true,
        ..Default::default()
    };
    assert_eq!(
        store.list_transactions(&failed).await.expect("list").len(),
        1
    );

    let row = store
        .dismiss_transaction(&dismissal(tx))
        .await
        .expect("dismissed");
    assert_eq!(row.id, tx);
    assert_eq!(row.state, TxState::Dismissed);
    assert_eq!(row.step, Step::Send);
    assert_eq!(row.error.as_deref(), Some("duplicate ISA13 000000904"));
    assert_eq!(row.updated_at, t(5));
    assert_eq!(store.get_transaction(tx).await.expect("get"), Some(row));

    assert!(
        store
            .list_transactions(&failed)
            .await
            .expect("list")
            .is_empty(),
        "off the failed queue"
    );
    let dismissed = store
        .list_transactions(&TransactionFilter {
            state: Some(TxState::Dismissed),
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(dismissed.iter().map(|r| r.id).collect::<Vec<_>>(), [tx]);

    let trail = store
        .audit_events("transaction", &tx.to_string())
        .await
        .expect("audit");
    let event = &trail.last().expect("event").event;
    assert_eq!(event.event, "dismissed");
    assert_eq!(event.actor, "ann");
    assert_eq!(
        event.reason.as_deref(),
        Some("corrected file resent as ISA13 000000905")
    );
    assert_eq!(event.from_status.as_deref(), Some("send:failed"));
    assert_eq!(event.to_status.as_deref(), Some("send:dismissed"));

    let err = store
        .dismiss_transaction(&dismissal(tx))
        .await
        .expect_err("twice");
    assert!(
        matches!(err, StoreError::NotFailed { id, state: TxState::Dismissed } if id == tx),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "transaction {tx} is dismissed, not failed: only a failed transaction can be dismissed"
        )
    );
    let after = store
        .audit_events("transaction", &tx.to_string())
        .await
        .expect("audit");
    assert_eq!(
        after.len(),
        trail.len(),
        "a refused dismissal writes nothing"
    );
}

/// The state transaction `id` is in now.
async fn state_of(store: &Arc<dyn Store>, id: Uuid) -> TxState {
    store
        .get_transaction(id)
        .await
        .expect("get")
        .expect("row")
        .state
}

async fn a_dismissed_file_takes_its_failed_sets_with_it(h: &Harness) {
    let store = &h.store;
    let row = |direction, step, state, parent, s| {
        let mut t = NewTransaction::new(Uuid::now_v7(), "acme", direction, step, state, t(s));
        t.parent_id = parent;
        t
    };
    let file = row(Direction::Inbound, Step::Map, TxState::Failed, None, 0);
    let failed_set = row(
        Direction::Inbound,
        Step::Map,
        TxState::Failed,
        Some(file.id),
        1,
    );
    let done_set = row(
        Direction::Inbound,
        Step::Outbox,
        TxState::Done,
        Some(file.id),
        2,
    );
    let ack = row(
        Direction::Outbound,
        Step::Send,
        TxState::Failed,
        Some(file.id),
        3,
    );
    for r in [&file, &failed_set, &done_set, &ack] {
        store.insert_transaction(r).await.expect("insert");
    }
    store
        .dismiss_transaction(&TransactionDismissal {
            id: file.id,
            actor: "ann".into(),
            reason: "resent".into(),
            at: t(9),
        })
        .await
        .expect("dismiss");
    let state = |id| state_of(store, id);
    assert_eq!(state(file.id).await, TxState::Dismissed);
    assert_eq!(state(failed_set.id).await, TxState::Dismissed);
    assert_eq!(state(done_set.id).await, TxState::Done);
    assert_eq!(
        state(ack.id).await,
        TxState::Failed,
        "our acknowledgment is not the file's"
    );
    let trail = store
        .audit_events("transaction", &failed_set.id.to_string())
        .await
        .expect("audit");
    let event = &trail.last().expect("event").event;
    assert_eq!(
        (
            event.event.as_str(),
            event.actor.as_str(),
            event.reason.as_deref()
        ),
        ("dismissed", "ann", Some("resent"))
    );
    assert_eq!(
        event.comment.as_deref(),
        Some(format!("dismissed with its file {}", file.id).as_str())
    );
}

/// Undoing a dismissal: a dismissed file goes back on the failed queue with the sets that were
/// dismissed with it, each with a `restored` event naming who and why; a set ops dismissed
/// on its own before stays dismissed; a transaction that is not dismissed is refused
/// (`NotDismissed` with its state) and nothing is written.
async fn a_restored_file_brings_back_the_sets_dismissed_with_it(h: &Harness) {
    let store = &h.store;
    let row = |step, state, parent, s| {
        let mut t = NewTransaction::new(
            Uuid::now_v7(),
            "acme",
            Direction::Inbound,
            step,
            state,
            t(s),
        );
        t.parent_id = parent;
        t
    };
    let file = row(Step::Map, TxState::Failed, None, 0);
    let with_file = row(Step::Map, TxState::Failed, Some(file.id), 1);
    let on_its_own = row(Step::Map, TxState::Failed, Some(file.id), 2);
    for r in [&file, &with_file, &on_its_own] {
        store.insert_transaction(r).await.expect("insert");
    }
    let by_ann = |id, reason: &str, s| TransactionDismissal {
        id,
        actor: "ann".into(),
        reason: reason.into(),
        at: t(s),
    };
    let err = store
        .restore_transaction(&by_ann(file.id, "oops", 3))
        .await
        .expect_err("not dismissed");
    assert!(
        matches!(err, StoreError::NotDismissed { id, state: TxState::Failed } if id == file.id),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "transaction {} is failed, not dismissed: only a dismissed transaction can be restored",
            file.id
        )
    );
    store
        .dismiss_transaction(&by_ann(on_its_own.id, "resent alone", 4))
        .await
        .expect("dismiss the set");
    store
        .dismiss_transaction(&by_ann(file.id, "resent", 5))
        .await
        .expect("dismiss the file");
    let before = store
        .audit_events("transaction", &on_its_own.id.to_string())
        .await
        .expect("audit");

    let restored = store
        .restore_transaction(&by_ann(file.id, "dismissed the wrong file", 6))
        .await
        .expect("restore");
    assert_eq!(
        (restored.state, restored.updated_at),
        (TxState::Failed, t(6))
    );
    let state = |id| state_of(store, id);
    assert_eq!(state(with_file.id).await, TxState::Failed);
    assert_eq!(state(on_its_own.id).await, TxState::Dismissed);
    let failed = store
        .list_transactions(&TransactionFilter {
            failed_only: true,
            ..Default::default()
        })
        .await
        .expect("list");
    let mut ids: Vec<Uuid> = failed.iter().map(|r| r.id).collect();
    ids.sort();
    let mut want = vec![file.id, with_file.id];
    want.sort();
    assert_eq!(ids, want, "back on the failed queue");

    for (id, comment) in [
        (file.id, None),
        (
            with_file.id,
            Some(format!("restored with its file {}", file.id)),
        ),
    ] {
        let trail = store
            .audit_events("transaction", &id.to_string())
            .await
            .expect("audit");
        let e = &trail.last().expect("event").event;
        assert_eq!(
            (
                e.event.as_str(),
                e.actor.as_str(),
                e.reason.as_deref(),
                e.from_status.as_deref(),
                e.to_status.as_deref(),
                e.comment.clone()
            ),
            (
                "restored",
                "ann",
                Some("dismissed the wrong file"),
                Some("map:dismissed"),
                Some("map:failed"),
                comment
            )
        );
    }
    let after = store
        .audit_events("transaction", &on_its_own.id.to_string())
        .await
        .expect("audit");
    assert_eq!(after.len(), before.len(), "the set dismissed alone is left");
    let err = store
        .restore_transaction(&by_ann(file.id, "again", 7))
        .await
        .expect_err("twice");
    assert!(
        matches!(
            err,
            StoreError::NotDismissed {
                state: TxState::Failed,
                ..
            }
        ),
        "{err:?}"
    );
}

async fn rollback_to_savepoint_undoes_only_later_writes(h: &Harness) {
    let batch = new_batch("SP-1");
    let mut tx = h.store.begin().await.expect("begin");
    tx.insert_batch(&batch, &audit("batch", batch.id, "B1", "open", 0))
        .await
        .expect("batch");
    tx.savepoint("streamed_lines").await.expect("savepoint");
    for attempt in 0..2 {
        let lines = [line(1, "INV-1"), line(2, &format!("INV-2-{attempt}"))];
        let inserted = tx
            .insert_batch_lines(
                batch.id,
                &lines,
                t(1),
                &audit("batch", batch.id, "lines", "open", 1),
            )
            .await
            .expect("lines");
        assert_eq!(inserted, 2);
        if attempt == 0 {
            // The same primary keys go in again after the rollback.
            tx.rollback_to_savepoint("streamed_lines")
                .await
                .expect("rollback to");
        }
    }
    assert!(
        tx.savepoint("no such; name").await.is_err(),
        "names are not SQL"
    );
    tx.commit().await.expect("commit");
    let mut read = h.store.reader().await.expect("read");
    assert!(
        read.get_batch(batch.id).await.expect("get").is_some(),
        "kept before the savepoint"
    );
    let lines = read.batch_lines(batch.id).await.expect("lines");
    let invoices: Vec<_> = lines.iter().map(|l| l.line.invoice.clone()).collect();
    assert_eq!(
        invoices,
        [Some("INV-1".to_owned()), Some("INV-2-1".to_owned())]
    );
}

async fn roster_memberships_and_uploads_are_versioned(h: &Harness) {
    let mut r = reader(h).await;
    assert_eq!(r.membership_generation().await.expect("generation"), 0);
    let record = |members: i64, at: i64| GpoMembershipsRecord {
        gpo: "GPO77".into(),
        members,
        version: 0,
        payload: json!([{"customer": members}]),
        updated_at: t(at),
    };
    let mut tx = h.store.begin().await.expect("begin");
    let v = tx
        .put_gpo_memberships(
            &record(2, 1),
            None,
            &audit("gpo", "GPO77", "roster", "2", 1),
        )
        .await
        .expect("insert");
    assert_eq!(v, 1);
    let upload = RosterUploadRecord {
        id: Uuid::now_v7(),
        gpo: "GPO77".into(),
        mode: "snapshot".into(),
        status: "pending_approval".into(),
        row_count: 2,
        version: 1,
        payload: json!({"rows": 2}),
        created_at: t(1),
        updated_at: t(1),
    };
    tx.insert_roster_upload(
        &upload,
        &audit("roster_upload", upload.id, "held", "pending", 1),
    )
    .await
    .expect("upload");
    tx.commit().await.expect("commit");

    let mut tx = h.store.begin().await.expect("begin");
    let v = tx
        .put_gpo_memberships(
            &record(3, 2),
            Some(1),
            &audit("gpo", "GPO77", "roster", "3", 2),
        )
        .await
        .expect("update");
    assert_eq!(v, 2);
    let applied = tx
        .mark_roster_upload_applied(
            upload.id,
            1,
            &json!({"applied": true}),
            t(2),
            &audit("roster_upload", upload.id, "approved", "applied", 2),
        )
        .await
        .expect("approve");
    assert_eq!(applied, 2);
    tx.commit().await.expect("commit");

    // A stale writer and a second approval are conflicts and write nothing.
    let mut tx = h.store.begin().await.expect("begin");
    let stale = tx
        .put_gpo_memberships(
            &record(9, 3),
            Some(1),
            &audit("gpo", "GPO77", "roster", "9", 3),
        )
        .await;
    assert!(
        matches!(
            stale,
            Err(StoreError::Conflict {
                expected: 1,
                actual: 2,
                ..
            })
        ),
        "{stale:?}"
    );
    tx.rollback().await.expect("rollback");
    let mut tx = h.store.begin().await.expect("begin");
    let twice = tx
        .mark_roster_upload_applied(
            upload.id,
            2,
            &json!({}),
            t(3),
            &audit("roster_upload", upload.id, "approved", "applied", 3),
        )
        .await;
    assert!(
        matches!(twice, Err(StoreError::Conflict { .. })),
        "{twice:?}"
    );
    tx.rollback().await.expect("rollback");

    let mut r2 = reader(h).await;
    let stored = r2
        .gpo_memberships("GPO77")
        .await
        .expect("get")
        .expect("row");
    assert_eq!((stored.members, stored.version), (3, 2));
    assert_eq!(stored.payload, json!([{"customer": 3}]));
    assert_eq!(r2.all_gpo_memberships().await.expect("all").len(), 1);
    assert_eq!(r2.membership_generation().await.expect("generation"), 2);
    let up = r2
        .get_roster_upload(upload.id)
        .await
        .expect("get")
        .expect("row");
    assert_eq!((up.status.as_str(), up.version), ("applied", 2));
    assert_eq!(up.payload, json!({"applied": true}));
    drop(r);
}

/// Reference prices (migration 0025): one versioned list per supplier; a stale writer is a
/// conflict and writes nothing (not its audit event either); the generation sums the
/// versions, so a cached book sees a load made by another process.
async fn reference_prices_are_versioned_per_supplier(h: &Harness) {
    let mut r = reader(h).await;
    assert_eq!(r.reference_price_generation().await.expect("generation"), 0);
    assert!(
        r.reference_prices("123456789")
            .await
            .expect("get")
            .is_none()
    );
    let record = |supplier: &str, rows: i64, at: i64| ReferencePricesRecord {
        supplier: supplier.into(),
        row_count: rows,
        version: 0,
        payload: json!({"NDC:12345010001": [{"price": format!("{rows}.75")}]}),
        updated_at: t(at),
    };
    let mut tx = h.store.begin().await.expect("begin");
    let event = |n: i64| audit("reference_prices", "123456789", "loaded", "loaded", n);
    let other = audit("reference_prices", "556677889", "loaded", "loaded", 2);
    assert_eq!(
        tx.put_reference_prices(&record("123456789", 1, 1), None, &event(1))
            .await
            .expect("insert"),
        1
    );
    assert_eq!(
        tx.put_reference_prices(&record("123456789", 2, 2), Some(1), &event(2))
            .await
            .expect("update"),
        2
    );
    tx.put_reference_prices(&record("556677889", 5, 2), None, &other)
        .await
        .expect("another supplier");
    tx.commit().await.expect("commit");

    let mut tx = h.store.begin().await.expect("begin");
    let stale = tx
        .put_reference_prices(&record("123456789", 9, 3), Some(1), &event(3))
        .await;
    assert!(
        matches!(
            stale,
            Err(StoreError::Conflict {
                entity: "reference_prices",
                expected: 1,
                actual: 2,
                ..
            })
        ),
        "{stale:?}"
    );
    tx.rollback().await.expect("rollback");

    let mut r2 = reader(h).await;
    let stored = r2
        .reference_prices("123456789")
        .await
        .expect("get")
        .expect("row");
    assert_eq!((stored.row_count, stored.version), (2, 2));
    assert_eq!(
        stored.payload,
        json!({"NDC:12345010001": [{"price": "2.75"}]})
    );
    let all: Vec<String> = r2
        .all_reference_prices()
        .await
        .expect("all")
        .into_iter()
        .map(|p| p.supplier)
        .collect();
    assert_eq!(all, ["123456789", "556677889"]);
    assert_eq!(
        r2.reference_price_generation().await.expect("generation"),
        3
    );
    assert_eq!(
        r2.audit_events("reference_prices", "123456789")
            .await
            .expect("events")
            .len(),
        2
    );
    drop(r);
}

/// Claim periods (migration 0011): the Open batch of a period is found by its key, the
/// batches due by their period's last day (and partner), a report's batch is recorded once,
/// and a cut's bulk line update rewrites status, amounts and payload of many lines at once
/// (only those listed; an unknown line fails the update).
async fn claim_periods_and_bulk_line_updates(h: &Harness) {
    let daily = new_batch("gooddrug/123456789/2026-12-01");
    let weekly = new_batch("gooddrug/123456789/2026-W49");
    let mut tx = h.store.begin().await.expect("begin");
    for (b, key, end) in [
        (&daily, "123456789/2026-12-01", "2026-12-01"),
        (&weekly, "123456789/2026-W49", "2026-12-06"),
    ] {
        tx.insert_batch(b, &audit("batch", b.id, "B1", "open", 0))
            .await
            .expect("batch");
        tx.set_batch_period(b.id, key, end).await.expect("period");
    }
    let lines: Vec<NewBatchLine> = (1..=1_500).map(|no| line(no, "INV-P")).collect();
    tx.insert_batch_lines(
        daily.id,
        &lines,
        t(0),
        &audit("batch", daily.id, "lines", "open", 0),
    )
    .await
    .expect("lines");
    let to = ReportBatch {
        batch_id: daily.id,
        first_line_no: 1,
        line_count: 1_500,
        return_lines: None,
    };
    assert!(
        tx.record_report_batch("acme", "R1", &to, false, t(0))
            .await
            .expect("record")
    );
    assert!(
        !tx.record_report_batch("acme", "R1", &to, false, t(1))
            .await
            .expect("again")
    );
    // Two reports waiting for the weekly cut, their lines kept as JSON text in two chunks
    // each (written last chunk first: the chunk number orders them).
    let pending = |n: i64| JsonText::from(json!([{"line": n.to_string(), "invoice": "INV-W"}]));
    for (report, first) in [("W2", 3), ("W1", 1)] {
        // W1 counted one return among its lines, W2 none.
        let to = ReportBatch {
            batch_id: weekly.id,
            first_line_no: first,
            line_count: 2,
            return_lines: Some(i64::from(report == "W1")),
        };
        assert!(
            tx.record_report_batch("acme", report, &to, true, t(0))
                .await
                .expect("pending")
        );
        for chunk in [1, 0] {
            tx.insert_pending_chunk("acme", report, chunk, &pending(first + chunk))
                .await
                .expect("chunk");
        }
    }
    tx.commit().await.expect("commit");

    let mut read = reader(h).await;
    let open = read
        .open_period_batch("acme", "123456789/2026-12-01")
        .await
        .expect("query")
        .expect("open batch");
    assert_eq!(open.id, daily.id);
    assert_eq!(open.period_end.as_deref(), Some("2026-12-01"));
    assert!(
        read.open_period_batch("other", "123456789/2026-12-01")
            .await
            .expect("query")
            .is_none()
    );
    let due = |through: &'static str, partner: Option<&'static str>| {
        let store = h.store.clone();
        async move {
            let mut read = store.reader().await.expect("reader");
            read.batches_due(through, partner)
                .await
                .expect("due")
                .into_iter()
                .map(|b| b.number)
                .collect::<Vec<_>>()
        }
    };
    assert!(due("2026-11-30", None).await.is_empty());
    assert_eq!(
        due("2026-12-01", None).await,
        ["gooddrug/123456789/2026-12-01"]
    );
    assert_eq!(due("2026-12-06", Some("acme")).await.len(), 2);
    assert!(due("2026-12-06", Some("other")).await.is_empty());
    let reports = read.batch_reports(daily.id).await.expect("reports");
    assert_eq!(reports.len(), 1);
    assert_eq!((reports[0].line_count, reports[0].pending), (1_500, false));
    // Where the next report's lines go: after the last report in line order (W2, recorded
    // first, ends at line 4), or line 1 in a batch without reports.
    let next = |id| {
        let store = h.store.clone();
        async move {
            let mut read = store.reader().await.expect("reader");
            read.next_report_line_no(id).await.expect("next")
        }
    };
    assert_eq!(next(daily.id).await, 1_501);
    assert_eq!(next(weekly.id).await, 5);
    assert_eq!(next(Uuid::now_v7()).await, 1);
    let weekly_reports = read.batch_reports(weekly.id).await.expect("reports");
    assert_eq!(
        weekly_reports
            .iter()
            .map(|r| (
                r.report_id.as_str(),
                r.first_line_no,
                r.pending,
                r.return_lines
            ))
            .collect::<Vec<_>>(),
        [("W1", 1, true, Some(1)), ("W2", 3, true, Some(0))],
        "in line order, with their returns counted"
    );
    assert_eq!(reports[0].return_lines, None, "not counted");
    let mut chunks = Vec::new();
    for chunk in 0..3 {
        chunks.push(
            read.pending_report_chunk("acme", "W2", chunk)
                .await
                .expect("chunk")
                .map(|text| serde_json::from_str::<serde_json::Value>(&text).expect("json")),
        );
    }
    assert_eq!(
        chunks,
        [
            Some(json!([{"line": "3", "invoice": "INV-W"}])),
            Some(json!([{"line": "4", "invoice": "INV-W"}])),
            None
        ]
    );
    assert!(
        read.pending_report_chunk("acme", "R1", 0)
            .await
            .expect("chunk")
            .is_none()
    );
    assert_eq!(
        read.report_batch("acme", "R1").await.expect("report"),
        Some(to.clone())
    );
    drop(read);

    // Every other line claimed, in one bulk update; the rest untouched.
    let states: Vec<BatchLineState> = (1..=1_500)
        .filter(|no| no % 2 == 1)
        .map(|no| BatchLineState {
            line_no: no,
            status: "claimed".into(),
            calculated_amount: None,
            accepted_amount: Some(dec("48.00")),
            payload: json!({"pad01": no, "status": "claimed", "note": "quote \" and \\"}).into(),
        })
        .collect();
    let mut tx = h.store.begin().await.expect("begin");
    let n = tx
        .update_batch_lines(
            daily.id,
            &states,
            t(5),
            &audit("batch", daily.id, "cut", "closed", 5),
        )
        .await
        .expect("bulk update");
    assert_eq!(n, 750);
    tx.commit().await.expect("commit");
    let stored = reader(h).await.batch_lines(daily.id).await.expect("lines");
    for l in &stored {
        if l.line.line_no % 2 == 1 {
            assert_eq!(l.line.status, "claimed");
            assert_eq!(l.line.accepted_amount, Some(dec("48.00")));
            assert_eq!(l.line.calculated_amount, None);
            assert_eq!(l.line.payload.to_value()["note"], "quote \" and \\");
            assert_eq!(l.updated_at, t(5));
        } else {
            assert_eq!(l.line.status, "open");
            assert_eq!(l.line.accepted_amount, None);
            assert_eq!(l.updated_at, t(0));
        }
    }
    // A line that does not exist: refused.
    let mut tx = h.store.begin().await.expect("begin");
    let err = tx
        .update_batch_lines(
            daily.id,
            &[BatchLineState {
                line_no: 9_999,
                ..states[0].clone()
            }],
            t(6),
            &audit("batch", daily.id, "cut", "closed", 6),
        )
        .await;
    assert!(matches!(err, Err(StoreError::NotFound { .. })), "{err:?}");
    drop(tx);
    // A line that no longer accepts anything (a reversed acceptance) loses its amount.
    let mut tx = h.store.begin().await.expect("begin");
    let reversed = BatchLineState {
        status: "rejected".into(),
        accepted_amount: None,
        ..states[0].clone()
    };
    tx.update_batch_lines(
        daily.id,
        std::slice::from_ref(&reversed),
        t(6),
        &audit("batch", daily.id, "reverse", "awaiting_review", 6),
    )
    .await
    .expect("reverse");
    tx.commit().await.expect("commit");
    let stored = reader(h).await.batch_lines(daily.id).await.expect("lines");
    let line = stored
        .iter()
        .find(|l| l.line.line_no == reversed.line_no)
        .expect("the line");
    assert_eq!(
        (line.line.status.as_str(), line.line.accepted_amount),
        ("rejected", None)
    );

    // The cut forgets the pending lines of its batch's reports, and only of those.
    let mut tx = h.store.begin().await.expect("begin");
    let other = ReportBatch {
        batch_id: daily.id,
        first_line_no: 1_501,
        line_count: 1,
        return_lines: Some(0),
    };
    assert!(
        tx.record_report_batch("acme", "D2", &other, true, t(7))
            .await
            .expect("another batch's report")
    );
    tx.insert_pending_chunk("acme", "D2", 0, &pending(1_501))
        .await
        .expect("its chunk");
    assert_eq!(tx.clear_pending_reports(weekly.id).await.expect("clear"), 2);
    assert_eq!(tx.clear_pending_reports(weekly.id).await.expect("again"), 0);
    tx.commit().await.expect("commit");
    let mut read = reader(h).await;
    let reports = read.batch_reports(weekly.id).await.expect("reports");
    assert!(reports.iter().all(|r| !r.pending), "{reports:?}");
    for chunk in 0..2 {
        assert!(
            read.pending_report_chunk("acme", "W1", chunk)
                .await
                .expect("chunk")
                .is_none()
        );
    }
    assert!(
        read.pending_report_chunk("acme", "D2", 0)
            .await
            .expect("chunk")
            .is_some(),
        "another batch's pending lines are kept"
    );
}

/// Many events at once (an action on a large batch): all kept, in the order given, every
/// field intact, across the statements the bulk insert is split into.
async fn audit_events_append_in_bulk_in_order(h: &Harness) {
    let events: Vec<NewAuditEvent> = (0..2_500)
        .map(|n| NewAuditEvent {
            reason: (n % 2 == 0).then(|| format!("reason {n}")),
            after: Some(json!({"n": n, "quote": "a \"b\""})),
            correlation_id: Some("B-BULK#1".into()),
            ..audit("batch_line", "B-BULK/1", &format!("L{n}"), "claimed", n)
        })
        .collect();
    let mut tx = h.store.begin().await.expect("begin");
    assert_eq!(tx.append_audits(&events).await.expect("bulk"), 2_500);
    assert_eq!(tx.append_audits(&[]).await.expect("none"), 0);
    tx.commit().await.expect("commit");
    let stored = h
        .store
        .audit_events("batch_line", "B-BULK/1")
        .await
        .expect("audit");
    assert_eq!(stored.len(), 2_500);
    for (got, want) in stored.iter().zip(&events) {
        assert_eq!(&got.event, want);
    }
}

/// The analyst's lists (chargeback-rules 10, "Batches"): by partner, status, role and number
/// prefix, newest first, bounded; a `%` or `_` in the prefix is literal.
async fn batches_and_claims_are_listed_by_filter(h: &Harness) {
    let mut tx = h.store.begin().await.expect("begin");
    let mut ids = Vec::new();
    for (i, (number, partner, role, status)) in [
        ("acme/B-1", "acme", "adjudicator", "closed"),
        ("acme/B-2", "acme", "claimant", "awaiting_review"),
        ("acme/B_3", "acme", "claimant", "awaiting_review"),
        ("other/B-4", "other", "claimant", "awaiting_review"),
    ]
    .into_iter()
    .enumerate()
    {
        let batch = NewBatch {
            partner: partner.into(),
            role: role.into(),
            status: status.into(),
            at: t(i as i64),
            ..new_batch(number)
        };
        ids.push(batch.id);
        tx.insert_batch(&batch, &audit("batch", batch.id, "open", status, i as i64))
            .await
            .expect("batch");
    }
    for (i, (number, status)) in [
        ("CB-1", "sent"),
        ("CB-2", "settlement_pending"),
        ("XB-3", "settlement_pending"),
    ]
    .into_iter()
    .enumerate()
    {
        let claim = NewClaim {
            status: status.into(),
            at: t(10 + i as i64),
            ..new_claim(number, "1.00")
        };
        tx.insert_claim(
            &claim,
            &audit("claim", claim.id, "C1", status, 10 + i as i64),
        )
        .await
        .expect("claim");
    }
    tx.commit().await.expect("commit");
    let mut r = reader(h).await;
    let numbers = |v: Vec<BatchRecord>| v.into_iter().map(|b| b.number).collect::<Vec<_>>();
    let waiting = EntityFilter {
        partner: Some("acme".into()),
        status: Some("awaiting_review".into()),
        ..Default::default()
    };
    assert_eq!(
        numbers(r.list_batches(&waiting).await.expect("list")),
        ["acme/B_3", "acme/B-2"],
        "newest first"
    );
    let adjudicator = EntityFilter {
        role: Some("adjudicator".into()),
        ..Default::default()
    };
    assert_eq!(
        numbers(r.list_batches(&adjudicator).await.expect("list")),
        ["acme/B-1"]
    );
    let literal = EntityFilter {
        number: Some("acme/B_".into()),
        ..Default::default()
    };
    assert_eq!(
        numbers(r.list_batches(&literal).await.expect("list")),
        ["acme/B_3"],
        "_ is not a wildcard"
    );
    // The prefix is the number's own case on both backends (SQLite's LIKE ignores it).
    let other_case = EntityFilter {
        number: Some("ACME/B".into()),
        ..Default::default()
    };
    assert_eq!(
        numbers(r.list_batches(&other_case).await.expect("list")),
        Vec::<String>::new(),
        "a prefix in another case"
    );
    let one = EntityFilter {
        limit: Some(1),
        ..Default::default()
    };
    assert_eq!(
        numbers(r.list_batches(&one).await.expect("list")),
        ["other/B-4"]
    );
    let pending = EntityFilter {
        status: Some("settlement_pending".into()),
        number: Some("CB".into()),
        ..Default::default()
    };
    let claims: Vec<String> = r
        .list_claims(&pending)
        .await
        .expect("claims")
        .into_iter()
        .map(|c| c.claim_number)
        .collect();
    assert_eq!(claims, ["CB-2"]);
    let lower = EntityFilter {
        number: Some("cb".into()),
        ..Default::default()
    };
    assert!(
        r.list_claims(&lower).await.expect("claims").is_empty(),
        "a claim number prefix in another case"
    );
}

/// The duplicate and return history of a report (chargeback-rules 5.2): every earlier line
/// of the partner's batches in the role with one of the report's invoices, oldest batch
/// first, whatever the number of invoices asked (a report may carry tens of thousands).
async fn invoice_history_spans_batches_in_order(h: &Harness) {
    let batch = |number: &str, partner: &str, role: &str, at: i64| NewBatch {
        partner: partner.into(),
        role: role.into(),
        at: t(at),
        ..new_batch(number)
    };
    let older = batch("B-HIST-1", "acme", "claimant", 0);
    let newer = batch("B-HIST-2", "acme", "claimant", 10);
    let other_partner = batch("B-HIST-3", "zenith", "claimant", 5);
    let other_role = batch("B-HIST-4", "acme", "adjudicator", 5);
    let bulk: Vec<String> = (0..2_500).map(|n| format!("BULK-{n:05}")).collect();
    let mut tx = h.store.begin().await.expect("begin");
    // The newer batch first, so that insertion order is not the answer's order.
    for (b, lines) in [
        (
            &newer,
            std::iter::once(line(1, "INV-1"))
                .chain(bulk.iter().enumerate().map(|(n, i)| line(n as i64 + 2, i)))
                .collect::<Vec<_>>(),
        ),
        (
            &older,
            vec![line(1, "INV-1"), line(2, "INV-2"), line(3, "INV-1")],
        ),
        (&other_partner, vec![line(1, "INV-1")]),
        (&other_role, vec![line(1, "INV-1")]),
    ] {
        tx.insert_batch(b, &audit("batch", b.id, "B1", "open", 0))
            .await
            .expect("batch");
        tx.insert_batch_lines(
            b.id,
            &lines,
            t(0),
            &audit("batch", b.id, "lines", "open", 0),
        )
        .await
        .expect("lines");
    }
    tx.commit().await.expect("commit");

    let mut asked: Vec<String> = bulk.iter().rev().cloned().collect();
    asked.extend(["INV-2".to_owned(), "NOWHERE".to_owned(), "INV-1".to_owned()]);
    let mut r = reader(h).await;
    let found = r
        .lines_for_invoices("acme", "claimant", &asked)
        .await
        .expect("history");
    let got: Vec<(Uuid, i64)> = found
        .iter()
        .map(|(_, l)| (l.batch_id, l.line.line_no))
        .collect();
    let mut want = vec![(older.id, 1), (older.id, 2), (older.id, 3)];
    want.extend((1..=2_501).map(|no| (newer.id, no)));
    assert_eq!(got, want);
    assert!(found.iter().all(|(status, _)| status == "open"));
    assert_eq!(found[3].1.line.invoice.as_deref(), Some("INV-1"));
    assert_eq!(found[4].1.line.invoice.as_deref(), Some("BULK-00000"));
    assert!(
        r.lines_for_invoices("acme", "claimant", &[])
            .await
            .expect("none asked")
            .is_empty()
    );
    // Invoices compare as duplicate keys do. For a batch streamed in chunks (here the older),
    // its own lines come only below a line number and on the invoices it asks for.
    let chunk = |invoices: &[&str], own: &[&str], before: i64| {
        let invoices: Vec<String> = invoices.iter().map(|i| (*i).to_owned()).collect();
        let own: Vec<String> = own.iter().map(|i| (*i).to_owned()).collect();
        async move {
            reader(h)
                .await
                .lines_for_chunk(("acme", "claimant"), &invoices, older.id, (&own, before))
                .await
                .expect("chunk lookup")
                .iter()
                .map(|(_, l)| (l.batch_id, l.line.line_no))
                .collect::<Vec<_>>()
        }
    };
    let (o, n) = (older.id, newer.id);
    assert_eq!(
        chunk(&["inv 1", "Inv-2"], &["INV1", "inv-2"], 4).await,
        [(o, 1), (o, 2), (o, 3), (n, 1)]
    );
    assert_eq!(
        chunk(&["inv 1", "Inv-2"], &["INV-1"], 3).await,
        [(o, 1), (n, 1)]
    );
    assert_eq!(chunk(&["INV-1"], &[], 10).await, [(n, 1)]);
    assert_eq!(chunk(&["BULK-00001"], &["BULK-00001"], 10).await, [(n, 3)]);
}

/// A claim #1 844 of a big batch is hundreds of megabytes: PostgreSQL gets it by `COPY`
/// (above 1 MiB), with the same answer as the insert of a small one.
async fn a_large_document_is_stored_once_as_it_is(h: &Harness) {
    let line = r#"{"line":"1","note":"tab\t, quote \", backslash \\, \u00e9 é","amount":"182.70"}"#;
    let body = format!(
        "{{\"lines\":[{}],\"total\":\"1.00\"}}",
        vec![line; 40_000].join(",")
    );
    assert!(body.len() > 3 << 20, "{}", body.len());
    let at = t(0) + Duration::nanoseconds(999_999_999);
    let doc = NewDocument {
        body: JsonText::from_string(body.clone()).expect("json"),
        created_at: at,
        source: DocumentSource {
            isa13: None,
            ..document("x").source
        },
        ..document("outbound:big")
    };
    let mut tx = h.store.begin().await.expect("begin");
    assert!(tx.insert_document(&doc).await.expect("first"));
    assert!(
        tx.insert_outbox_for_document(&message_ref("m-big"), doc.id)
            .await
            .expect("message")
    );
    // The same key again, in the same transaction: nothing is written.
    let again = NewDocument {
        id: Uuid::now_v7(),
        ..doc.clone()
    };
    assert!(!tx.insert_document(&again).await.expect("again"));
    tx.commit().await.expect("commit");
    // And in a later one.
    let mut tx = h.store.begin().await.expect("begin");
    assert!(!tx.insert_document(&again).await.expect("later"));
    drop(tx);

    let mut r = reader(h).await;
    let stored = r.get_document(doc.id).await.expect("get").expect("stored");
    assert_eq!(stored.body.get(), body, "byte for byte");
    assert_eq!(stored.source, doc.source);
    assert_eq!(stored.tx_id, None);
    assert_eq!(stored.created_at, t(0) + Duration::microseconds(999_999));
    assert!(r.get_document(again.id).await.expect("get").is_none());
    let pending = h.store.pending_outbox(10).await.expect("pending");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].message.payload, body.as_bytes());
}

/// A document too large to hold is stored from where it was spooled, byte for byte, with
/// the answers of a held one: once per key, whether spooled or held the second time; a body
/// shorter or longer than announced is refused and nothing is stored.
async fn a_spooled_document_is_stored_once_as_it_is(h: &Harness) {
    let line = r#"{"line":"1","note":"tab\t, quote \", \u00e9 é","amount":"182.70"}"#;
    let body = format!("{{\"lines\":[{}]}}", vec![line; 40_000].join(","));
    assert!(body.len() > 2 << 20, "{}", body.len());
    // Too short, then too long: refused, nothing kept.
    let bad = document("outbound:spooled-bad");
    for (text, len) in [
        (&body.as_bytes()[..body.len() - 10], body.len()),
        (body.as_bytes(), body.len() - 10),
    ] {
        let mut tx = h.store.begin().await.expect("begin");
        let mut read = std::io::Cursor::new(text.to_vec());
        let err = tx
            .insert_spooled_document(spooled(&bad, &mut read, len as u64))
            .await;
        assert!(matches!(err, Err(StoreError::Read(_))), "{err:?}");
        drop(tx);
    }
    let doc = document("outbound:spooled");
    let len = body.len() as u64;
    let mut tx = h.store.begin().await.expect("begin");
    let mut read = std::io::Cursor::new(body.clone().into_bytes());
    assert!(
        tx.insert_spooled_document(spooled(&doc, &mut read, len))
            .await
            .expect("stored")
    );
    let mut again = std::io::Cursor::new(body.clone().into_bytes());
    let other_id = NewDocument {
        id: Uuid::now_v7(),
        ..doc.clone()
    };
    assert!(
        !tx.insert_spooled_document(spooled(&other_id, &mut again, len))
            .await
            .expect("same key, spooled")
    );
    assert!(
        !tx.insert_document(&NewDocument {
            body: JsonText::from_string(body.clone()).expect("json"),
            ..other_id.clone()
        })
        .await
        .expect("same key, held")
    );
    tx.commit().await.expect("commit");
    let mut r = reader(h).await;
    let stored = r.get_document(doc.id).await.expect("get").expect("stored");
    assert_eq!(stored.body.get(), body, "byte for byte");
    assert_eq!(stored.source, doc.source);
    assert!(r.get_document(other_id.id).await.expect("get").is_none());
    assert!(
        r.find_document("outbound:spooled-bad")
            .await
            .expect("find")
            .is_none()
    );
}

/// `doc` with its body read from `read` (`len` bytes announced).
fn spooled<'a>(
    doc: &NewDocument,
    read: &'a mut std::io::Cursor<Vec<u8>>,
    len: u64,
) -> NewDocument<SpooledBody<'a>> {
    doc.clone().with_body(SpooledBody { len, read }).0
}

/// A day's report kept for its cut comes in chunks of megabytes of JSON: PostgreSQL gets a
/// large chunk by `COPY` (above 1 MiB), a small one by insert, each kept byte for byte and
/// read back by its number; a chunk number is kept once.
async fn a_large_pending_report_is_kept_once_as_it_is(h: &Harness) {
    let batch = new_batch("B-PENDING-BIG");
    let lines: Vec<serde_json::Value> = (0..25_000)
        .map(|n| json!({"line": n.to_string(), "invoice": format!("INV-\t{n}"), "note": "é\\"}))
        .collect();
    let pending = JsonText::from(json!(lines));
    assert!(pending.get().len() > 1 << 20, "{}", pending.get().len());
    let small = JsonText::from(json!([{"line": "25000"}]));
    let to = ReportBatch {
        batch_id: batch.id,
        first_line_no: 7,
        line_count: 25_001,
        return_lines: Some(3),
    };
    let mut tx = h.store.begin().await.expect("begin");
    tx.insert_batch(&batch, &audit("batch", batch.id, "B1", "open", 0))
        .await
        .expect("batch");
    let at = t(0) + Duration::nanoseconds(999_999_999);
    assert!(
        tx.record_report_batch("acme", "BIG", &to, true, at)
            .await
            .expect("kept")
    );
    tx.insert_pending_chunk("acme", "BIG", 0, &pending)
        .await
        .expect("large chunk");
    tx.insert_pending_chunk("acme", "BIG", 1, &small)
        .await
        .expect("small chunk");
    assert!(
        !tx.record_report_batch("acme", "BIG", &to, true, t(1))
            .await
            .expect("same transaction")
    );
    tx.commit().await.expect("commit");
    let mut tx = h.store.begin().await.expect("begin");
    assert!(
        !tx.record_report_batch("acme", "BIG", &to, true, t(2))
            .await
            .expect("later")
    );
    for (chunk, text) in [(0, &pending), (1, &small)] {
        assert!(
            tx.insert_pending_chunk("acme", "BIG", chunk, text)
                .await
                .is_err(),
            "chunk {chunk} kept twice"
        );
        tx.rollback().await.expect("rollback");
        tx = h.store.begin().await.expect("begin");
    }
    drop(tx);

    let mut read = reader(h).await;
    for (chunk, text) in [(0, Some(pending.get())), (1, Some(small.get())), (2, None)] {
        assert_eq!(
            read.pending_report_chunk("acme", "BIG", chunk)
                .await
                .expect("chunk")
                .as_deref(),
            text,
            "chunk {chunk} byte for byte"
        );
    }
    let reports = read.batch_reports(batch.id).await.expect("reports");
    assert_eq!(
        reports
            .iter()
            .map(|r| (
                r.report_id.as_str(),
                r.first_line_no,
                r.line_count,
                r.pending
            ))
            .collect::<Vec<_>>(),
        [("BIG", 7, 25_001, true)]
    );
    assert_eq!(
        read.report_batch("acme", "BIG").await.expect("report"),
        Some(to)
    );
}

/// A claim line kept without its sale (`sale_from_batch`) is read with its batch line's
/// payload, by both claim line reads; one kept whole, or rewritten by an update, is not.
async fn a_claim_line_without_its_sale_reads_its_batch_line(h: &Harness) {
    let batch = new_batch("B-SALE");
    let mut claim = new_claim("DM-SALE", "96.00");
    claim.batch_id = Some(batch.id);
    let claim_line = |no: i64, sale_from_batch: bool| NewClaimLine {
        line_no: no,
        batch_id: Some(batch.id),
        batch_line_no: Some(no),
        status: "open".into(),
        claimed_amount: dec("48.00"),
        approved_amount: None,
        payload: json!({"claim_line": no}).into(),
        sale_from_batch,
    };
    let mut tx = h.store.begin().await.expect("begin");
    tx.insert_batch(&batch, &audit("batch", batch.id, "B1", "open", 0))
        .await
        .expect("batch");
    lines_and_claim(
        &mut *tx,
        (batch.id, &[line(1, "INV-1"), line(2, "INV-2")]),
        &claim,
        &[claim_line(1, true), claim_line(2, false)],
    )
    .await;
    let seen = |lines: &[ClaimLineRecord]| {
        lines
            .iter()
            .map(|l| {
                (
                    l.line.line_no,
                    l.line.sale_from_batch,
                    l.line.payload.to_value(),
                    l.batch_payload.as_ref().map(JsonText::to_value),
                )
            })
            .collect::<Vec<_>>()
    };
    let expected = vec![
        (1, true, json!({"claim_line": 1}), Some(json!({"pad01": 1}))),
        (2, false, json!({"claim_line": 2}), None),
    ];
    assert_eq!(
        seen(&tx.claim_lines_of_batch(batch.id).await.expect("of batch")),
        expected
    );
    update_claim_line(
        &mut *tx,
        &ClaimLineUpdate {
            claim_id: claim.id,
            line_no: 1,
            status: "paid".into(),
            approved_amount: Some(dec("48.00")),
            payload: json!({"whole": true}),
            at: t(2),
            batch_line: None,
        },
        &audit("claim_line", format!("{}/1", claim.id), "849", "paid", 2),
    )
    .await
    .expect("outcome");
    tx.commit().await.expect("commit");
    let mut r = reader(h).await;
    let lines = r.claim_lines(claim.id).await.expect("claim lines");
    assert_eq!(
        seen(&lines)[0],
        (1, false, json!({"whole": true}), None),
        "an update writes the whole line"
    );
    assert_eq!(seen(&lines)[1], expected[1]);
}

/// A claim whose lines its batch lines carry reads them as claim lines (unanswered, their sale
/// the batch line's), merged in line order with its `claim_lines` rows; the first update of a
/// carried line writes it whole, and that row is the line from then on. Lines cannot carry a
/// claim line before their batch has a carrying claim, and a batch has one at most.
async fn claim_lines_carried_by_batch_lines_read_as_claim_lines(h: &Harness) {
    let batch = new_batch("B-CARRY");
    let mut claim = new_claim("DM-CARRY", "144.00");
    claim.batch_id = Some(batch.id);
    let mut other = new_claim("DM-CARRY-2", "0.00");
    other.batch_id = Some(batch.id);
    let carrying = |no: i64, claim_no: i64| NewBatchLine {
        claim_line: Some(CarriedClaimLine {
            line_no: claim_no,
            claimed_amount: dec("48.00"),
            payload: json!({"carried": claim_no}).into(),
        }),
        ..line(no, "INV-C")
    };
    let mut tx = h.store.begin().await.expect("begin");
    tx.insert_batch(&batch, &audit("batch", batch.id, "B1", "open", 0))
        .await
        .expect("batch");
    tx.insert_claim(&claim, &audit("claim", claim.id, "C1", "open", 0))
        .await
        .expect("claim");
    tx.insert_claim(&other, &audit("claim", other.id, "C1", "open", 0))
        .await
        .expect("other claim");
    let early = tx
        .insert_batch_lines(
            batch.id,
            &[carrying(1, 1)],
            t(0),
            &audit("batch", batch.id, "lines", "open", 0),
        )
        .await;
    assert!(
        matches!(
            early,
            Err(StoreError::InvalidValue {
                field: "claim_line",
                ..
            })
        ),
        "no carrying claim yet: {early:?}"
    );
    // Refused before any statement: the transaction goes on.
    tx.carry_claim_lines(claim.id).await.expect("carrying");
    tx.carry_claim_lines(claim.id)
        .await
        .expect("marking it again changes nothing");
    let second = tx.carry_claim_lines(other.id).await;
    assert!(
        matches!(second, Err(StoreError::Duplicate { .. })),
        "one carrying claim a batch: {second:?}"
    );
    // Batch line 2 is not claimed; claim line 2 is kept whole (it does not claim its batch
    // line's sale as cut), between carried lines 1 and 3.
    tx.insert_batch_lines(
        batch.id,
        &[
            carrying(1, 1),
            line(2, "INV-C"),
            carrying(3, 3),
            carrying(4, 4),
        ],
        t(0),
        &audit("batch", batch.id, "lines", "open", 0),
    )
    .await
    .expect("lines");
    tx.insert_claim_lines(
        claim.id,
        &[NewClaimLine {
            line_no: 2,
            batch_id: Some(batch.id),
            batch_line_no: Some(4),
            status: "open".into(),
            claimed_amount: dec("12.00"),
            approved_amount: None,
            payload: json!({"whole": 2}).into(),
            sale_from_batch: false,
        }],
        t(0),
        &audit("claim", claim.id, "lines", "open", 0),
    )
    .await
    .expect("claim line 2");
    tx.commit().await.expect("commit");

    // A batch line a carried claim line claims names its claim when paged.
    let page = reader(h)
        .await
        .batch_lines_page(
            batch.id,
            &LinePage {
                after: 0,
                limit: 10,
                statuses: Vec::new(),
            },
        )
        .await
        .expect("page");
    let claims: Vec<(i64, Option<Uuid>)> =
        page.iter().map(|l| (l.line.line_no, l.claim_id)).collect();
    assert_eq!(
        claims,
        vec![
            (1, Some(claim.id)),
            (2, None),
            (3, Some(claim.id)),
            (4, Some(claim.id))
        ]
    );

    let seen = |lines: &[ClaimLineRecord]| {
        lines
            .iter()
            .map(|l| {
                (
                    l.claim_id,
                    l.line.line_no,
                    l.line.batch_line_no,
                    l.line.status.clone(),
                    l.line.claimed_amount,
                    l.line.approved_amount,
                    l.line.sale_from_batch,
                    l.line.payload.to_value(),
                    l.batch_payload.as_ref().map(JsonText::to_value),
                )
            })
            .collect::<Vec<_>>()
    };
    let carried = |claim_no: i64, batch_no: i64| {
        (
            claim.id,
            claim_no,
            Some(batch_no),
            "open".to_owned(),
            dec("48.00"),
            None,
            true,
            json!({"carried": claim_no}),
            Some(json!({"pad01": batch_no})),
        )
    };
    let whole_2 = (
        claim.id,
        2,
        Some(4),
        "open".to_owned(),
        dec("12.00"),
        None,
        false,
        json!({"whole": 2}),
        None,
    );
    let mut r = reader(h).await;
    let expected = vec![carried(1, 1), whole_2.clone(), carried(3, 3), carried(4, 4)];
    assert_eq!(
        seen(&r.claim_lines(claim.id).await.expect("lines")),
        expected
    );
    assert!(r.claim_lines(other.id).await.expect("other").is_empty());
    let stored = r.batch_lines(batch.id).await.expect("batch lines");
    assert_eq!(
        stored.iter().map(|l| l.line.clone()).collect::<Vec<_>>(),
        [
            carrying(1, 1),
            line(2, "INV-C"),
            carrying(3, 3),
            carrying(4, 4)
        ]
        .map(Normalized::normalized),
        "a batch line reads back with the claim line it carries"
    );
    drop(r);

    let mut tx = h.store.begin().await.expect("begin");
    assert_eq!(
        seen(&tx.claim_lines_of_batch(batch.id).await.expect("of batch")),
        expected
    );
    let answer = |line_no: i64, batch_line: Option<(Uuid, i64)>| ClaimLineUpdate {
        claim_id: claim.id,
        line_no,
        status: "paid".into(),
        approved_amount: Some(dec("48.00")),
        payload: json!({"paid": line_no}),
        at: t(2),
        batch_line,
    };
    let lost = update_claim_line(
        &mut *tx,
        &answer(3, None),
        &audit("claim_line", format!("{}/3", claim.id), "849", "paid", 2),
    )
    .await;
    assert!(
        matches!(lost, Err(StoreError::NotFound { .. })),
        "a carried line is found by its batch line: {lost:?}"
    );
    let wrong = update_claim_line(
        &mut *tx,
        &answer(3, Some((batch.id, 4))),
        &audit("claim_line", format!("{}/3", claim.id), "849", "paid", 2),
    )
    .await;
    assert!(
        matches!(wrong, Err(StoreError::NotFound { .. })),
        "batch line 4 carries claim line 4, not 3: {wrong:?}"
    );
    update_claim_line(
        &mut *tx,
        &answer(3, Some((batch.id, 3))),
        &audit("claim_line", format!("{}/3", claim.id), "849", "paid", 2),
    )
    .await
    .expect("first answer writes the line whole");
    update_claim_line(
        &mut *tx,
        &ClaimLineUpdate {
            status: "adjusted".into(),
            approved_amount: None,
            ..answer(3, Some((batch.id, 3)))
        },
        &audit(
            "claim_line",
            format!("{}/3", claim.id),
            "849",
            "adjusted",
            2,
        ),
    )
    .await
    .expect("a second updates that row");
    tx.commit().await.expect("commit");

    let answered = (
        claim.id,
        3,
        Some(3),
        "adjusted".to_owned(),
        dec("48.00"),
        Some(dec("48.00")),
        false,
        json!({"paid": 3}),
        None,
    );
    let expected = vec![carried(1, 1), whole_2, answered.clone(), carried(4, 4)];
    let mut r = reader(h).await;
    assert_eq!(
        seen(&r.claim_lines(claim.id).await.expect("lines")),
        expected
    );
    assert_eq!(
        seen(&r.claim_lines_of_batch(batch.id).await.expect("of batch")),
        expected
    );
    drop(r);

    // An 849 answers many lines at once: rows and carried lines in one bulk update, each
    // with its event; one line that is not there fails them all.
    let events = |n: usize| {
        (0..n)
            .map(|i| audit("claim_line", format!("{}/{i}", claim.id), "849", "paid", 3))
            .collect::<Vec<_>>()
    };
    let mut tx = h.store.begin().await.expect("begin");
    let missing = tx
        .update_claim_lines(
            &[
                answer(1, Some((batch.id, 1))),
                answer(9, Some((batch.id, 9))),
            ],
            &events(2),
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
    tx.rollback().await.expect("rollback");
    let mut tx = h.store.begin().await.expect("begin");
    let written = tx
        .update_claim_lines(
            &[
                answer(1, Some((batch.id, 1))),
                answer(2, Some((batch.id, 4))),
                answer(4, Some((batch.id, 4))),
            ],
            &events(3),
        )
        .await
        .expect("bulk answers");
    assert_eq!(written, 3);
    tx.commit().await.expect("commit");
    let paid = |no: i64, batch_no: i64, claimed: &str| {
        (
            claim.id,
            no,
            Some(batch_no),
            "paid".to_owned(),
            dec(claimed),
            Some(dec("48.00")),
            false,
            json!({"paid": no}),
            None,
        )
    };
    let mut r = reader(h).await;
    assert_eq!(
        seen(&r.claim_lines(claim.id).await.expect("lines")),
        vec![
            paid(1, 1, "48.00"),
            paid(2, 4, "12.00"),
            answered,
            paid(4, 4, "48.00")
        ]
    );
}

/// A batch's and a claim's lines a page at a time (`LIMIT` in SQL, after a line number, of
/// some statuses), and their counts and sums by status made by the database: the pages add up
/// to the totals, exactly (SQLite's amounts are text, summed as cents).
async fn lines_are_read_a_page_at_a_time_and_totalled_in_sql(h: &Harness) {
    let batch = new_batch("B-PAGES");
    let mut claim = new_claim("DM-PAGES", "0.00");
    claim.batch_id = Some(batch.id);
    // 25 lines: every third disputed, the others accepted at a cent less than claimed; the
    // odd accepted ones carry claim #1's line (numbered as the batch line).
    let lines: Vec<NewBatchLine> = (1..=25)
        .map(|no| {
            let disputed = no % 3 == 0;
            let claimed = Decimal::new(1000 + no * 101, 2);
            NewBatchLine {
                status: if disputed {
                    "amount_disputed"
                } else {
                    "accepted"
                }
                .into(),
                claimed_amount: Some(claimed),
                calculated_amount: Some(claimed - Decimal::new(1, 2)),
                accepted_amount: (!disputed).then(|| claimed - Decimal::new(1, 2)),
                claim_line: (!disputed && no % 2 == 1).then(|| CarriedClaimLine {
                    line_no: no,
                    claimed_amount: claimed,
                    payload: json!({"carried": no}).into(),
                }),
                ..line(no, &format!("INV-P{no}"))
            }
        })
        .collect();
    let mut tx = h.store.begin().await.expect("begin");
    tx.insert_batch(&batch, &audit("batch", batch.id, "B1", "open", 0))
        .await
        .expect("batch");
    tx.insert_claim(&claim, &audit("claim", claim.id, "C1", "open", 0))
        .await
        .expect("claim");
    tx.carry_claim_lines(claim.id).await.expect("carrying");
    tx.insert_batch_lines(
        batch.id,
        &lines,
        t(0),
        &audit("batch", batch.id, "lines", "open", 0),
    )
    .await
    .expect("lines");
    // The even accepted lines are claim rows of their own, one of them answered.
    let rows: Vec<NewClaimLine> = lines
        .iter()
        .filter(|l| l.status == "accepted" && l.line_no % 2 == 0)
        .map(|l| NewClaimLine {
            line_no: l.line_no,
            batch_id: Some(batch.id),
            batch_line_no: Some(l.line_no),
            status: if l.line_no == 4 { "paid" } else { "open" }.into(),
            claimed_amount: l.claimed_amount.expect("claimed"),
            approved_amount: (l.line_no == 4).then(|| dec("5.55")),
            payload: json!({"row": l.line_no}).into(),
            sale_from_batch: false,
        })
        .collect();
    tx.insert_claim_lines(
        claim.id,
        &rows,
        t(0),
        &audit("claim", claim.id, "lines", "open", 0),
    )
    .await
    .expect("claim rows");
    tx.commit().await.expect("commit");

    let mut r = reader(h).await;
    // Walked 7 at a time: every line once, in order.
    let mut walked = Vec::new();
    let mut after = 0;
    loop {
        let page = r
            .batch_lines_page(
                batch.id,
                &LinePage {
                    after,
                    limit: 7,
                    statuses: Vec::new(),
                },
            )
            .await
            .expect("page");
        assert!(page.len() <= 7);
        let Some(last) = page.last() else { break };
        after = last.line.line_no;
        walked.extend(page.into_iter().map(|l| l.line));
    }
    assert_eq!(walked, lines);
    // Of some statuses only.
    let disputed = r
        .batch_lines_page(
            batch.id,
            &LinePage {
                after: 6,
                limit: 100,
                statuses: vec!["amount_disputed".into(), "duplicate".into()],
            },
        )
        .await
        .expect("disputed page");
    assert_eq!(
        disputed.iter().map(|l| l.line.line_no).collect::<Vec<_>>(),
        [9, 12, 15, 18, 21, 24]
    );
    // The totals are the sums of the lines.
    let totals = r.batch_line_totals(batch.id).await.expect("totals");
    let expect = |status: &str| {
        let of: Vec<&NewBatchLine> = lines.iter().filter(|l| l.status == status).collect();
        let sum = |f: fn(&NewBatchLine) -> Option<Decimal>| {
            of.iter().filter_map(|l| f(l)).sum::<Decimal>()
        };
        BatchLineTotals {
            status: status.into(),
            lines: of.len() as i64,
            claimed_amount: sum(|l| l.claimed_amount),
            calculated_amount: sum(|l| l.calculated_amount),
            accepted_amount: sum(|l| l.accepted_amount),
        }
    };
    assert_eq!(totals, [expect("accepted"), expect("amount_disputed")]);
    assert_eq!(totals[1].accepted_amount.to_string(), "0.00");
    assert!(
        r.batch_line_totals(Uuid::now_v7())
            .await
            .expect("none")
            .is_empty()
    );

    // The claim: carried lines and rows, merged in line order, a page at a time.
    let all = r.claim_lines(claim.id).await.expect("claim lines");
    assert_eq!(all.len(), 17);
    let mut walked = Vec::new();
    let mut after = 0;
    loop {
        let page = r
            .claim_lines_page(
                claim.id,
                &LinePage {
                    after,
                    limit: 5,
                    statuses: Vec::new(),
                },
            )
            .await
            .expect("claim page");
        assert!(page.len() <= 5);
        let Some(last) = page.last() else { break };
        after = last.line.line_no;
        walked.extend(page);
    }
    let numbers = |l: &[ClaimLineRecord]| l.iter().map(|l| l.line.line_no).collect::<Vec<_>>();
    assert_eq!(numbers(&walked), numbers(&all));
    let paid = r
        .claim_lines_page(
            claim.id,
            &LinePage {
                after: 0,
                limit: 10,
                statuses: vec!["paid".into()],
            },
        )
        .await
        .expect("paid page");
    assert_eq!(numbers(&paid), [4]);
    let totals = r.claim_line_totals(claim.id).await.expect("claim totals");
    let claimed = |status: &str| {
        all.iter()
            .filter(|l| l.line.status == status)
            .map(|l| l.line.claimed_amount)
            .sum::<Decimal>()
    };
    assert_eq!(
        totals,
        [
            ClaimLineTotals {
                status: "open".into(),
                lines: 16,
                claimed_amount: claimed("open"),
                approved_amount: dec("0.00"),
            },
            ClaimLineTotals {
                status: "paid".into(),
                lines: 1,
                claimed_amount: claimed("paid"),
                approved_amount: dec("5.55"),
            },
        ]
    );
}

/// `GET /api/v1/disputes` and `/api/v1/responses/unmatched`: the status and partner filters in
/// SQL, newest first by (time, id), a page after the last row of the page before, that row
/// still marking its place once it has left the list.
async fn disputes_and_unmatched_responses_are_listed_a_page_at_a_time(h: &Harness) {
    // Ids chosen so that of two cases opened at the same time the one inserted first sorts
    // last: the tie is broken by id, not by insertion order.
    let case = |n: u128, partner: &str, status: &str, at: i64| NewDispute {
        id: Uuid::from_u128(n),
        partner: partner.into(),
        claim_id: None,
        status: status.into(),
        amount: dec("1.00"),
        payload: json!({"n": n as u64}),
        at: t(at),
    };
    let d1 = case(10, "acme", "open", 1);
    let d2 = case(30, "acme", "submitted", 2);
    let d3 = case(20, "acme", "open", 2);
    let other = case(40, "lakeside", "open", 3);
    let won = case(50, "acme", "won", 4);
    let mut tx = h.store.begin().await.expect("begin");
    for d in [&d1, &d2, &d3, &other, &won] {
        tx.insert_dispute(
            d,
            &audit("dispute", d.id, "D1", &d.status, d.at.timestamp()),
        )
        .await
        .expect("dispute");
    }
    tx.commit().await.expect("commit");

    let open: Vec<String> = ["open", "submitted", "under_review"]
        .map(String::from)
        .into();
    let mut r = reader(h).await;
    let page = |statuses: Vec<String>,
                partner: Option<&'static str>,
                after: Option<Uuid>,
                limit| {
        async move {
            let mut r = reader(h).await;
            r.list_disputes(&statuses, partner, &ListPage { after, limit })
                .await
                .expect("list disputes")
                .into_iter()
                .map(|d| d.id)
                .collect::<Vec<_>>()
        }
    };
    // acme's open cases, two a page, newest first, (t2, id 30) before (t2, id 20).
    assert_eq!(
        page(open.clone(), Some("acme"), None, 2).await,
        [d2.id, d3.id]
    );
    assert_eq!(
        page(open.clone(), Some("acme"), Some(d3.id), 2).await,
        [d1.id]
    );
    assert_eq!(
        page(open.clone(), Some("acme"), Some(d1.id), 2).await,
        Vec::<Uuid>::new()
    );
    // Every partner's; then only the closed ones asked for.
    assert_eq!(
        page(open.clone(), None, None, 100).await,
        [other.id, d2.id, d3.id, d1.id]
    );
    assert_eq!(page(vec!["won".into()], None, None, 100).await, [won.id]);
    assert_eq!(page(vec![], None, None, 100).await, Vec::<Uuid>::new());
    // A case no longer in the list (decided) still marks its place.
    assert_eq!(
        page(open.clone(), None, Some(won.id), 2).await,
        [other.id, d2.id]
    );
    // The clock's D6 pass still reads every open case, oldest first.
    assert_eq!(
        r.disputes_with_status(&open)
            .await
            .expect("with status")
            .iter()
            .map(|d| d.id)
            .collect::<Vec<_>>(),
        [d1.id, d3.id, d2.id, other.id]
    );

    // The Unmatched Responses queue.
    let claim = new_claim("DM-2001", "10.00");
    let at = |n: u128, isa13: &str, partner: &str, status: MatchStatus, at: i64| NewResponse {
        id: Uuid::from_u128(n),
        partner: partner.into(),
        claim_id: (status != MatchStatus::Unmatched).then_some(claim.id),
        ..response(isa13, None, status, at)
    };
    let r1 = at(110, "000000201", "acme", MatchStatus::Unmatched, 1);
    let r2 = at(120, "000000202", "acme", MatchStatus::Partial, 2);
    let matched = at(130, "000000203", "acme", MatchStatus::Matched, 3);
    let r3 = at(140, "000000204", "lakeside", MatchStatus::Unmatched, 4);
    let r4 = at(150, "000000205", "acme", MatchStatus::Unmatched, 5);
    let mut tx = h.store.begin().await.expect("begin");
    tx.insert_claim(&claim, &audit("claim", claim.id, "C1", "open", 0))
        .await
        .expect("claim");
    for x in [&r1, &r2, &matched, &r3, &r4] {
        assert!(
            tx.insert_response(x, &audit("response", x.id, "received", "unmatched", 0))
                .await
                .expect("response")
        );
    }
    tx.commit().await.expect("commit");
    let queue = |partner: Option<&'static str>, after: Option<Uuid>, limit| async move {
        let mut r = reader(h).await;
        r.unmatched_responses_page(partner, &ListPage { after, limit })
            .await
            .expect("queue page")
            .into_iter()
            .map(|x| x.response.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(queue(None, None, 2).await, [r4.id, r3.id]);
    assert_eq!(queue(None, Some(r3.id), 2).await, [r2.id, r1.id]);
    assert_eq!(queue(None, Some(r1.id), 2).await, Vec::<Uuid>::new());
    assert_eq!(queue(Some("acme"), None, 100).await, [r4.id, r2.id, r1.id]);
    assert_eq!(queue(Some("lakeside"), None, 100).await, [r3.id]);
    // After a matched 849 (not in the queue): the ones received before it.
    assert_eq!(
        queue(Some("acme"), Some(matched.id), 100).await,
        [r2.id, r1.id]
    );
}
