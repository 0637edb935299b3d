//! Batch-line persistence: 100,000 generated lines written through
//! `StoreTx::insert_batch_lines` in transactions of 1,000 lines (PostgreSQL: `COPY`; SQLite:
//! multi-row inserts), reported as lines/s. Each iteration writes a new batch with new
//! invoice numbers; generating the lines is outside the timed part. Next to each, an in-run
//! baseline writes the same number of rows, chunked and committed the same way, into a
//! one-column table with `QueryBuilder::push_values`, so the ratio says what the real row
//! (13 columns, JSON payload, decimals, primary key, invoice index) costs over a bare insert.
//! The product target is at least 50,000 lines/s on PostgreSQL.
//!
//! `cargo bench -p store --bench persist_lines`. PostgreSQL is taken from
//! `CHARGEGATE_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`); a fresh
//! `chargegate_bench_<random>` database is created and dropped. Without PostgreSQL, or with
//! `CHARGEGATE_SKIP_PG=1`, only SQLite runs. `BENCH_LINES` and `BENCH_TX_LINES` change the
//! sizes.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, QueryBuilder};
use store::{NewAuditEvent, NewBatch, NewBatchLine, PgStore, SqliteStore, Store};
use uuid::Uuid;

/// SplitMix64: a fixed-seed generator, so every run writes the same lines.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `count` lines of batch number `batch`: three lines per invoice, invoice numbers new in
/// every batch (as in real submissions), contracts, items and customers drawn from fixed
/// universes.
fn lines(batch: u64, count: usize) -> Vec<NewBatchLine> {
    let mut rng = Rng(0x5eed ^ batch);
    (0..count)
        .map(|i| {
            let quantity = i64::try_from(rng.below(40)).unwrap_or(0) + 1;
            let price_cents = i64::try_from(rng.below(9_000)).unwrap_or(0) + 100;
            let wac_cents = price_cents + i64::try_from(rng.below(5_000)).unwrap_or(0);
            let amount = Decimal::new((wac_cents - price_cents) * quantity, 2);
            let line_no = i64::try_from(i).unwrap_or(i64::MAX) + 1;
            NewBatchLine {
                line_no,
                status: "open".into(),
                invoice: Some(format!("INV-{batch:05}-{:06}", i / 3)),
                item: Some(format!("{:011}", 12_345_000_000 + rng.below(1_000))),
                customer: Some(format!("AB{:07}", rng.below(50_000))),
                contract: Some(format!("SPA-2026-{:04}", rng.below(10_000))),
                quantity: Some(Decimal::from(quantity)),
                contract_price: Some(Decimal::new(price_cents, 2)),
                claimed_amount: Some(amount),
                calculated_amount: None,
                accepted_amount: None,
                payload: json!({
                    "pad01": line_no,
                    "uom": "CA",
                    "wac": Decimal::new(wac_cents, 2).to_string(),
                    "invoice_date": "2026-11-03",
                    "source": {"interchange": "000000905", "group": "905", "set": "0001"},
                })
                .into(),
                claim_line: None,
            }
        })
        .collect()
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Writes every line of `lines` into a new batch, `per_tx` lines per transaction.
async fn persist(store: &dyn Store, lines: &[NewBatchLine], per_tx: usize) {
    let at = now();
    let batch = NewBatch {
        id: Uuid::now_v7(),
        number: format!("BENCH-{}", Uuid::now_v7().simple()),
        partner: "acme".into(),
        role: "adjudicator".into(),
        status: "open".into(),
        debit_memo: None,
        source_document_id: None,
        payload: json!({}),
        at,
    };
    let event = NewAuditEvent::new("bench", "batch", batch.id.to_string(), "B1", at);
    let mut tx = store.begin().await.expect("begin");
    tx.insert_batch(&batch, &event).await.expect("batch");
    tx.commit().await.expect("commit");
    for chunk in lines.chunks(per_tx) {
        let mut tx = store.begin().await.expect("begin");
        tx.insert_batch_lines(batch.id, chunk, at, &event)
            .await
            .expect("lines");
        tx.commit().await.expect("commit");
    }
}

macro_rules! baseline {
    ($pool:expr, $count:expr, $per_tx:expr) => {{
        let mut n: i64 = 0;
        let mut left = $count;
        while left > 0 {
            let take = left.min($per_tx);
            let mut tx = $pool.begin().await.expect("begin");
            let mut qb = QueryBuilder::new("INSERT INTO bench_baseline (v) ");
            qb.push_values(0..take, |mut row, _| {
                n += 1;
                row.push_bind(n);
            });
            qb.build().execute(&mut *tx).await.expect("baseline insert");
            tx.commit().await.expect("commit");
            left -= take;
        }
    }};
}

struct PgBench {
    store: PgStore,
    admin: PgConnectOptions,
    name: String,
}

async fn postgres() -> Option<PgBench> {
    if std::env::var("CHARGEGATE_SKIP_PG").is_ok_and(|v| v == "1") {
        eprintln!("CHARGEGATE_SKIP_PG=1: PostgreSQL benchmark skipped");
        return None;
    }
    let url = std::env::var("CHARGEGATE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let admin = PgConnectOptions::from_str(&url).expect("CHARGEGATE_TEST_PG_URL is a url");
    let mut conn = match admin.connect().await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("PostgreSQL not reachable at {url} ({e}): PostgreSQL benchmark skipped");
            return None;
        }
    };
    let name = format!("chargegate_bench_{}", Uuid::new_v4().simple());
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create bench database");
    conn.close().await.expect("close");
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(PgStore::session(admin.clone().database(&name)))
        .await
        .expect("connect bench database");
    let store = PgStore::from_pool(pool);
    store.migrate().await.expect("migrate");
    store
        .pool()
        .execute("CREATE TABLE bench_baseline (v BIGINT NOT NULL)")
        .await
        .expect("baseline table");
    Some(PgBench { store, admin, name })
}

fn bench(c: &mut Criterion) {
    let count = env("BENCH_LINES", 100_000);
    let per_tx = env("BENCH_TX_LINES", 1_000).max(1);
    let batches = AtomicU64::new(0);
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");

    let mut group = c.benchmark_group("persist_lines");
    group.throughput(Throughput::Elements(
        u64::try_from(count).unwrap_or(u64::MAX),
    ));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(20));

    if let Some(pg) = rt.block_on(postgres()) {
        group.bench_function("postgres/batch_lines", |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut elapsed = Duration::ZERO;
                    for _ in 0..iters {
                        let rows = lines(batches.fetch_add(1, Ordering::Relaxed), count);
                        let start = Instant::now();
                        persist(&pg.store, &rows, per_tx).await;
                        elapsed += start.elapsed();
                    }
                    elapsed
                })
            })
        });
        group.bench_function("postgres/baseline_one_column", |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        baseline!(pg.store.pool(), count, per_tx);
                    }
                    start.elapsed()
                })
            })
        });
        rt.block_on(async {
            pg.store.close().await;
            if let Ok(mut conn) = pg.admin.connect().await {
                let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", pg.name);
                let _ = conn.execute(drop.as_str()).await;
            }
        });
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = rt.block_on(async {
        let store = SqliteStore::open(dir.path().join("bench.db"))
            .await
            .expect("open sqlite");
        store.migrate().await.expect("migrate");
        store
            .pool()
            .execute("CREATE TABLE bench_baseline (v INTEGER NOT NULL) STRICT")
            .await
            .expect("baseline table");
        store
    });
    group.bench_function("sqlite/batch_lines", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut elapsed = Duration::ZERO;
                for _ in 0..iters {
                    let rows = lines(batches.fetch_add(1, Ordering::Relaxed), count);
                    let start = Instant::now();
                    persist(&sqlite, &rows, per_tx).await;
                    elapsed += start.elapsed();
                }
                elapsed
            })
        })
    });
    group.bench_function("sqlite/baseline_one_column", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    baseline!(sqlite.pool(), count, per_tx);
                }
                start.elapsed()
            })
        })
    });
    rt.block_on(sqlite.close());
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
