//! Test harness: a fresh, migrated store per test on SQLite (a temporary file) or on a real
//! PostgreSQL (a `chargegate_apply_<random>` database, dropped after), the partner profiles
//! of `partner-maps/profiles`, and the sample files translated by `partner_maps::translate`.
//!
//! PostgreSQL is found at `CHARGEGATE_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); when it cannot be reached the test fails
//! loudly (start it as `scripts/test.sh` does).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

/// The benchmark's workload (generated book and reports, the 849 that answers a claim).
#[path = "../../benches/workload/mod.rs"]
pub mod workload;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use apply::{Context, Partners};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use partner_maps::ProfileSet;
use schemas::{Document, SalesLine, SalesReport};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{ConnectOptions, Connection, Executor, Row};
use store::{PgStore, SqliteStore, Store};
use uuid::Uuid;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which database a case runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

pub struct Harness {
    pub store: Arc<dyn Store>,
    backend: Backend,
}

enum Backend {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres {
        options: Box<PgConnectOptions>,
        _db: Box<PgDatabase>,
    },
}

/// Every table whose rows a double application must not change.
pub const TABLES: &[&str] = &[
    "audit_events",
    "documents",
    "outbox",
    "processed_messages",
    "contracts",
    "contract_versions",
    "batches",
    "batch_lines",
    "claims",
    "claim_lines",
    "responses",
    "claim_transmissions",
    "settlements",
    "settlement_allocations",
    "retro_runs",
    "sales_report_batches",
];

impl Harness {
    pub async fn new(kind: Kind) -> Self {
        match kind {
            Kind::Sqlite => Self::sqlite().await,
            Kind::Postgres => Self::postgres().await,
        }
    }

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

    async fn postgres() -> Self {
        let url = std::env::var("CHARGEGATE_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.into());
        let admin = PgConnectOptions::from_str(&url).expect("CHARGEGATE_TEST_PG_URL is a url");
        let mut conn = admin.connect().await.unwrap_or_else(|e| {
            panic!("PostgreSQL is not reachable at {url}: {e}. Start it (scripts/test.sh does)")
        });
        let name = format!("chargegate_apply_{}", Uuid::new_v4().simple());
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        conn.close().await.expect("close admin connection");
        let db = PgDatabase {
            admin: admin.clone(),
            name: name.clone(),
        };
        let options = admin.database(&name);
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(PgStore::session(options.clone()))
            .await
            .expect("connect to test database");
        let store: Arc<dyn Store> = Arc::new(PgStore::from_pool(pool));
        store.migrate().await.expect("migrate postgres");
        Harness {
            store,
            backend: Backend::Postgres {
                options: Box::new(options),
                _db: Box::new(db),
            },
        }
    }

    /// Row count of every table of [`TABLES`].
    pub async fn counts(&self) -> Vec<(&'static str, i64)> {
        let mut out = Vec::new();
        for t in TABLES {
            out.push((
                *t,
                self.scalar(&format!("SELECT COUNT(*) AS n FROM {t}")).await,
            ));
        }
        out
    }

    /// The one integer `sql` selects as `n`.
    pub async fn scalar(&self, sql: &str) -> i64 {
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect(&format!("sqlite://{}", path.display()))
                    .await
                    .expect("scalar connection");
                let row = sqlx::query(sql).fetch_one(&pool).await.expect("scalar");
                pool.close().await;
                row.get::<i64, _>("n")
            }
            Backend::Postgres { options, .. } => {
                let mut conn = options.connect().await.expect("scalar connection");
                let row = sqlx::query(sql).fetch_one(&mut conn).await.expect("scalar");
                conn.close().await.expect("close");
                row.get::<i64, _>("n")
            }
        }
    }

    /// What the documents and actions decided, independent of ids and times: batch
    /// statuses, claim statuses and amounts, outbound message ids, line statuses.
    pub async fn digest(&self) -> Vec<String> {
        const QUERIES: &[&str] = &[
            "SELECT number || ' ' || status AS d FROM batches ORDER BY number",
            "SELECT partner || ' ' || claim_number || ' ' || status || ' ' || CAST(amount AS TEXT) AS d \
             FROM claims ORDER BY partner, claim_number",
            "SELECT message_id AS d FROM outbox ORDER BY message_id",
            "SELECT b.number || ' ' || CAST(l.line_no AS TEXT) || ' ' || l.status AS d \
             FROM batch_lines l JOIN batches b ON b.id = l.batch_id ORDER BY b.number, l.line_no",
            "SELECT CAST(COUNT(*) AS TEXT) AS d FROM contract_versions",
        ];
        let mut out = Vec::new();
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect(&format!("sqlite://{}", path.display()))
                    .await
                    .expect("digest connection");
                for q in QUERIES {
                    for row in sqlx::query(q).fetch_all(&pool).await.expect("digest") {
                        out.push(row.get::<String, _>("d"));
                    }
                }
                pool.close().await;
            }
            Backend::Postgres { options, .. } => {
                let mut conn = options.connect().await.expect("digest connection");
                for q in QUERIES {
                    for row in sqlx::query(q).fetch_all(&mut conn).await.expect("digest") {
                        out.push(row.get::<String, _>("d"));
                    }
                }
                conn.close().await.expect("close");
            }
        }
        out
    }

    pub async fn finish(self) {
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

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn profiles() -> ProfileSet {
    ProfileSet::load_dir(repo().join("partner-maps/profiles")).expect("profiles load")
}

pub fn partners() -> Partners {
    Partners::from_profiles(&profiles()).expect("profiles convert")
}

/// The documents of a sample file, translated with the checked-in profiles.
pub fn translate(sample: &str) -> Vec<Document> {
    let bytes = std::fs::read(repo().join("samples").join(sample)).expect("sample file");
    let set = profiles();
    let sha = format!("sha-of-{sample}");
    let mut docs = Vec::new();
    for outcome in partner_maps::translate(&bytes[..], &sha, &set, None) {
        assert!(
            outcome.result.is_ok(),
            "{sample}: {:?}",
            outcome.all_diagnostics()
        );
        docs.extend(outcome.documents().iter().cloned());
    }
    assert!(!docs.is_empty(), "{sample} gave no documents");
    docs
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

pub fn at(day: &str) -> DateTime<Utc> {
    let d = date(day);
    Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).expect("noon"))
}

pub fn ctx(day: &str, actor: &str) -> Context {
    Context {
        today: date(day),
        now: at(day),
        actor: actor.to_owned(),
    }
}

/// One store per backend; runs `case` on both.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $case:ident) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $case(common::Kind::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $case(common::Kind::Postgres).await;
            }
        }
    };
}

/// Applies ACME's sample 845 (message `m-845`) as of `day`, as every story starts.
pub async fn apply_sample_contract(h: &Harness, partners: &Partners, day: &str) {
    applied(
        apply::apply_document(
            &*h.store,
            partners,
            "engine.contracts",
            "m-845",
            &translate("845_4010_contract.x12").remove(0),
            &ctx(day, "system"),
        )
        .await,
    );
}

/// Cuts every claim period ended by `day` (chargeback-rules 8.1), as the service does once
/// they are over; a story that applies a sales report on `day` and wants its batch processed
/// the same day cuts through `day`. The batches cut, as one summary per line.
pub async fn cut(h: &Harness, partners: &Partners, day: &str) -> Vec<String> {
    apply::cut_due(&*h.store, partners, date(day), None, &ctx(day, "system"))
        .await
        .expect("cut")
        .into_iter()
        .map(|c| c.summary)
        .collect()
}

/// The batch `partner`'s sales report `report_id` went into.
pub async fn report_batch(h: &Harness, partner: &str, report_id: &str) -> store::BatchRecord {
    let mut read = h.store.reader().await.expect("reader");
    apply::find_report_batch(&mut *read, partner, report_id)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no batch for report {partner}/{report_id}"))
}

/// §5.3: the contract's start moved to 2026-10-01 (a replace issued 2026-12-01).
pub fn earlier_start(real: &schemas::Contract) -> Document {
    let mut change = real.clone();
    change.action = schemas::Action::Replace;
    change.date = date("2026-12-01");
    change.source.interchange = "000000104".into();
    change.source.file = "2".repeat(64);
    change.effective = date("2026-10-01");
    for party in &mut change.eligible {
        party.start = Some(date("2026-10-01"));
    }
    for item in &mut change.items {
        item.start = Some(date("2026-10-01"));
    }
    Document::Contract(change)
}

/// Applies `doc` as message `message` of bus consumer `consumer` on `day`; it must apply.
pub async fn receive(
    h: &Harness,
    partners: &Partners,
    (consumer, message): (&str, &str),
    doc: &Document,
    day: &str,
) -> apply::Outcome {
    applied(
        apply::apply_document(
            &*h.store,
            partners,
            consumer,
            message,
            doc,
            &ctx(day, "system"),
        )
        .await,
    )
}

/// The statuses of a batch's lines, in line order.
pub async fn line_statuses(h: &Harness, batch: Uuid) -> Vec<String> {
    h.store
        .reader()
        .await
        .unwrap()
        .batch_lines(batch)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.line.status)
        .collect()
}

/// Where a document from ACME (`acmepharma`) comes from, under interchange `interchange`.
pub fn source(interchange: &str) -> schemas::Source {
    schemas::Source {
        file: format!("sha-of-{interchange}"),
        interchange: interchange.into(),
        group: "1".into(),
        set: "0001".into(),
        partner: Some("acmepharma".into()),
    }
}

/// ACME's 849 for the 844 we sent: every line approved as claimed, except `short` off line 1.
pub fn answer_849(
    sent: &schemas::Claim,
    interchange: &str,
    short: rust_decimal::Decimal,
) -> schemas::ClaimResponse {
    workload::answer_849(sent, source(interchange), date("2026-12-10"), short)
}

/// The document an outbound message in the outbox carries.
pub async fn outbox_doc(h: &Harness, message_id: &str) -> Document {
    let pending = h.store.pending_outbox(1_000).await.expect("outbox");
    let row = pending
        .iter()
        .find(|r| r.message.message_id == message_id)
        .expect("outbound message in the outbox");
    serde_json::from_slice(&row.message.payload).expect("outbox payload is a document")
}

/// The lines of the 849 an outbox message carries, as `line AAA03 approved` (`-` for no
/// AAA03).
pub async fn answered(h: &Harness, message_id: &str) -> Vec<String> {
    let Document::ClaimResponse(r) = outbox_doc(h, message_id).await else {
        panic!("not an 849");
    };
    r.lines
        .iter()
        .map(|l| {
            format!(
                "{} {} {}",
                l.line,
                l.reason_code.as_deref().unwrap_or("-"),
                l.approved_amount
            )
        })
        .collect()
}

/// The outcome of a document or action that must have been applied (not skipped as seen).
pub fn applied<T: std::fmt::Debug>(result: Result<apply::Applied<T>, apply::ApplyError>) -> T {
    match result {
        Ok(apply::Applied::Applied(v)) => v,
        other => panic!("expected Applied, got {other:?}"),
    }
}

/// GOOD DRUG's ERP copy of SPA-2026-0042 before ACME's 845 (as in the engine's story test):
/// starts 2026-10-01, open to any customer, 12345030005 at 45.00, lists 12345099901.
pub fn stale_copy(real: &Document) -> Document {
    let Document::Contract(real) = real else {
        panic!("not a contract");
    };
    let mut copy = real.clone();
    copy.source.file = "0".repeat(64);
    copy.source.interchange = "manual-1".into();
    copy.effective = date("2026-10-01");
    copy.gpo = None;
    copy.eligible.clear();
    for item in &mut copy.items {
        item.start = None;
    }
    copy.items[2].contract_price = Some("45.00".parse().expect("decimal"));
    let mut extra = copy.items[0].clone();
    extra.line = "4".into();
    extra.item.id = "12345099901".into();
    extra.item.other_ids.clear();
    extra.contract_price = Some("8.00".parse().expect("decimal"));
    extra.wac = Some("10.00".parse().expect("decimal"));
    copy.items.push(extra);
    Document::Contract(copy)
}

/// GOOD DRUG's sales behind its 844, as the sales report its ERP extract would give.
pub fn sales_of_claim(claim: &Document) -> Document {
    let Document::Claim(claim) = claim else {
        panic!("not a claim");
    };
    Document::SalesReport(SalesReport {
        currency: None,
        source: claim.source.clone(),
        action: schemas::Action::Original,
        report_id: claim.debit_memo.clone(),
        date: claim.date,
        report_type: None,
        period_start: date("2026-10-01"),
        period_end: claim.date,
        distributor: claim.distributor.clone(),
        supplier: claim.supplier.clone(),
        lines: claim
            .lines
            .iter()
            .map(|l| SalesLine {
                line: l.line.parse().expect("line number"),
                transfer_type: "SS".into(),
                contract_id: Some(l.contract_id.as_str().into()),
                end_customer: Some(l.end_customer.clone().into()),
                class_of_trade: l.class_of_trade.as_deref().map(Into::into),
                item: l.item.clone(),
                quantity: l.quantity,
                uom: l.uom.as_str().into(),
                unit_price: l.contract_price,
                amount: Some(l.claimed_amount),
                invoice: l.invoice.as_str().into(),
                original_invoice: l.original_invoice.as_deref().map(Into::into),
                invoice_date: l.invoice_date,
                ship_date: None,
            })
            .collect(),
        line_count: Some(claim.lines.len() as u32),
        quantity_total: None,
    })
}
