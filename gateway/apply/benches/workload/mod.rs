//! The apply benchmark's workload, shared by `benches/apply_sales.rs` and
//! `examples/apply_rss.rs`: a generated book of contracts (fixed seed), two partners (ACME
//! the supplier, GOOD DRUG the distributor, Immediate Claim so the claim path runs), sales
//! reports with new invoices per report, and a fresh store on PostgreSQL or SQLite.

#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::sync::Arc;

use apply::{Context, Partner, PartnerRole, Partners, apply_document};
use chrono::{NaiveDate, TimeZone, Utc};
use engine::EngineSettings;
use engine::contracts::ContractBook;
use engine::settings::BatchMode;
use rust_decimal::Decimal;
use schemas::{Action, Contract, Document, Item, SalesLine, SalesReport, Source};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor};
use store::{PgStore, SqliteStore, Store};

#[path = "../../../engine/benches/generated_book/mod.rs"]
mod generated_book;

use generated_book::{CUSTOMERS, FIRST_SALE_DAY, UNIVERSE, first_item, ndc, party, prices};
pub use generated_book::{Rng, date, env};

pub const SUPPLIER: &str = "acme";
pub const DISTRIBUTOR: &str = "gooddrug";

/// The business day every application runs on.
pub fn ctx() -> Context {
    let today = date("2026-12-01");
    Context {
        today,
        now: Utc.from_utc_datetime(&today.and_hms_opt(12, 0, 0).expect("noon")),
        actor: "system".into(),
    }
}

fn source(partner: &str, file: String) -> Source {
    Source {
        file,
        interchange: "1".into(),
        group: "1".into(),
        set: "0001".into(),
        partner: Some(partner.into()),
    }
}

/// Contract `c` of the shared generated book, sent by ACME.
pub fn contract(c: u64, items: usize) -> Contract {
    let mut contract = generated_book::contract(c, items);
    contract.source = source(SUPPLIER, format!("{c:064x}"));
    contract
}

/// The same contracts as an in-memory engine book (the no-store baseline).
pub fn book(contracts: usize, items: usize) -> ContractBook {
    let mut book = ContractBook::new();
    for c in 0..contracts as u64 {
        book.apply(&contract(c, items)).expect("generated contract");
    }
    book
}

/// ACME (supplier, owns the contracts) and GOOD DRUG (distributor, Immediate Claim).
pub fn partners() -> Partners {
    let mut partners = Partners::default();
    partners.insert(Partner {
        id: SUPPLIER.into(),
        role: PartnerRole::Supplier,
        settings: EngineSettings::default(),
        claim_prefix: "ACME".into(),
    });
    partners.insert(Partner {
        id: DISTRIBUTOR.into(),
        role: PartnerRole::Distributor,
        settings: distributor_settings(),
        claim_prefix: "GD".into(),
    });
    partners
}

pub fn distributor_settings() -> EngineSettings {
    EngineSettings {
        batch_mode: BatchMode::ImmediateClaim,
        ..EngineSettings::default()
    }
}

/// Applies a sales report as the bus would, then cuts its claim period (the distributor's
/// trigger is Daily, chargeback-rules 8.1): batch, lines, claim #1 and its 844, what one
/// report cost before periods collected lines. Returns the two summaries.
pub async fn apply_and_cut(
    store: &dyn Store,
    partners: &Partners,
    message_id: &str,
    doc: &schemas::Document,
) -> String {
    let ctx = ctx();
    let started = std::time::Instant::now();
    let applied = apply::apply_document(store, partners, "engine.sales", message_id, doc, &ctx)
        .await
        .expect("sales report applies");
    let mut summary = match applied {
        apply::Applied::Applied(o) => o.summary,
        apply::Applied::AlreadyApplied => "already applied".to_owned(),
    };
    let collected = started.elapsed();
    let cuts = apply::cut_due(store, partners, ctx.today, None, &ctx)
        .await
        .expect("period cut");
    tracing::info!(?collected, cut = ?(started.elapsed() - collected), "report applied and cut");
    for cut in cuts {
        summary.push_str("; ");
        summary.push_str(&cut.summary);
    }
    summary
}

/// Applies every generated contract through `apply::apply_document`, one document each.
pub async fn load_contracts(
    store: &dyn Store,
    partners: &Partners,
    contracts: usize,
    items: usize,
) {
    let ctx = ctx();
    for c in 0..contracts as u64 {
        let doc = Document::Contract(contract(c, items));
        apply_document(
            store,
            partners,
            "engine.contracts",
            &format!("contract-{c}"),
            &doc,
            &ctx,
        )
        .await
        .expect("contract applies");
    }
}

/// Report `run` of `lines` lines on random contracts and items; its invoices (three lines
/// each) are new in every run. About 1 in 20 lines is wrong on purpose (unknown item,
/// ineligible customer, resale above contract), so the batch has disputes and a claim #1.
pub fn report(run: u64, lines: usize, contracts: usize, items: usize) -> SalesReport {
    let mut rng = Rng(0x5eed ^ run);
    let lines = (0..lines)
        .map(|n| {
            let c = rng.below(contracts as u64);
            let slot = rng.below(items as u64);
            let mut item = (first_item(c) + slot) % UNIVERSE;
            let (contract_price, _) = prices(c, item);
            let mut customer = c * 16 + rng.below(CUSTOMERS);
            let mut sell = contract_price;
            match rng.below(20) {
                0 => item = (item + items as u64) % UNIVERSE,
                1 => customer += CUSTOMERS,
                2 => sell += 25,
                _ => {}
            }
            SalesLine {
                line: n as u32 + 1,
                transfer_type: "SS".into(),
                contract_id: Some(format!("SPA-{c:06}").into()),
                end_customer: Some(party("11", format!("AB{customer:07}")).into()),
                class_of_trade: None,
                item: Item {
                    qualifier: "N4".into(),
                    id: ndc(item).into(),
                    other_ids: vec![],
                },
                quantity: Decimal::from(1 + rng.below(20)),
                uom: "CA".into(),
                unit_price: Decimal::new(sell, 2),
                amount: None,
                invoice: format!("R{run:06}I{:07}", n / 3).into(),
                original_invoice: None,
                invoice_date: NaiveDate::from_num_days_from_ce_opt(
                    FIRST_SALE_DAY + rng.below(200) as i32,
                ),
                ship_date: None,
            }
        })
        .collect();
    SalesReport {
        currency: None,
        source: source(DISTRIBUTOR, format!("report-{run}")),
        action: Action::Original,
        report_id: format!("BENCH-{run:06}"),
        date: date("2026-12-01"),
        report_type: Some("SS".into()),
        period_start: date("2026-03-01"),
        period_end: date("2026-11-30"),
        distributor: party("1", "987654321".into()),
        supplier: party("1", "123456789".into()),
        lines,
        line_count: None,
        quantity_total: None,
    }
}

/// PostgreSQL at `CHARGEGATE_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
pub fn pg_admin() -> PgConnectOptions {
    let url = std::env::var("CHARGEGATE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    PgConnectOptions::from_str(&url).expect("CHARGEGATE_TEST_PG_URL is a url")
}

/// A fresh, migrated `cg_bench_apply_<pid>` database (an earlier one of that name is dropped).
pub async fn pg_store() -> (Arc<dyn Store>, String) {
    let admin = pg_admin();
    let name = format!("cg_bench_apply_{}", std::process::id());
    let mut conn = admin.connect().await.expect("PostgreSQL reachable");
    conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await
        .expect("drop old bench database");
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create bench database");
    conn.close().await.expect("close admin connection");
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(PgStore::session(admin.database(&name)))
        .await
        .expect("connect to bench database");
    let store: Arc<dyn Store> = Arc::new(PgStore::from_pool(pool));
    store.migrate().await.expect("migrate postgres");
    (store, name)
}

/// Drops the bench database once its store is closed.
pub async fn drop_pg(store: Arc<dyn Store>, name: &str) {
    store.close().await;
    if let Ok(mut conn) = pg_admin().connect().await {
        let _ = conn
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await;
        let _ = conn.close().await;
    }
}

/// What the examples take: `LINES [BACKEND]` (BACKEND `postgres` or SQLite by default) and
/// the book's size from `BENCH_CONTRACTS` x `BENCH_ITEMS`; logs to stderr by `RUST_LOG`.
pub struct ExampleArgs {
    pub lines: usize,
    pub backend: String,
    pub contracts: usize,
    pub items: usize,
}

/// Reads the examples' arguments (`default_lines` when none), sets up logging, and gives a
/// one-thread runtime, as a bus consumer applies a document.
pub fn example_start(default_lines: usize) -> (ExampleArgs, tokio::runtime::Runtime) {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let lines = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(default_lines);
    let backend = args.next().unwrap_or_else(|| "sqlite".into());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let args = ExampleArgs {
        lines,
        backend,
        contracts: env("BENCH_CONTRACTS", 1_000),
        items: env("BENCH_ITEMS", 100),
    };
    (args, rt)
}

/// The store of `backend` (`postgres`: a fresh database, its name returned to drop it;
/// anything else: SQLite in `dir`), for the examples.
pub fn store_for(
    rt: &tokio::runtime::Runtime,
    backend: &str,
    dir: &std::path::Path,
) -> (Arc<dyn Store>, Option<String>) {
    match backend {
        "postgres" => {
            let (store, name) = rt.block_on(pg_store());
            (store, Some(name))
        }
        _ => (rt.block_on(sqlite_store(dir)), None),
    }
}

/// A migrated SQLite store in `dir`.
pub async fn sqlite_store(dir: &std::path::Path) -> Arc<dyn Store> {
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.join("chargegate.db"))
            .await
            .expect("open sqlite"),
    );
    store.migrate().await.expect("migrate sqlite");
    store
}

/// The supplier's 849 answering `sent`: every line paid as claimed but the first, cut by
/// `short` (adjusted, reason 06, when `short` is not zero).
pub fn answer_849(
    sent: &schemas::Claim,
    source: Source,
    date: NaiveDate,
    short: Decimal,
) -> schemas::ClaimResponse {
    let lines: Vec<schemas::ClaimResponseLine> = sent
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let cut = if i == 0 { short } else { Decimal::ZERO };
            schemas::ClaimResponseLine {
                line: l.line.clone(),
                contract_id: Some(l.contract_id.clone()),
                end_customer: None,
                item: l.item.clone(),
                invoice: l.invoice.clone(),
                invoice_date: l.invoice_date,
                ship_date: None,
                status: if cut.is_zero() {
                    schemas::LineStatus::Accepted
                } else {
                    schemas::LineStatus::Adjusted
                },
                reason_code: (!cut.is_zero()).then(|| "06".to_owned()),
                follow_up: None,
                more_reasons: Vec::new(),
                quantity: Some(l.quantity),
                approved_quantity: Some(l.quantity),
                uom: None,
                wac: None,
                submitted_contract_price: Some(l.contract_price),
                approved_contract_price: None,
                claimed_amount: l.claimed_amount,
                approved_amount: l.claimed_amount - cut,
            }
        })
        .collect();
    schemas::ClaimResponse {
        source,
        action: Action::Original,
        debit_memo: sent.debit_memo.clone(),
        credit_memo: Some("ACME-CM-1".into()),
        date,
        supplier: None,
        distributor: None,
        reason_code: None,
        follow_up: None,
        more_reasons: Vec::new(),
        contracts: Vec::new(),
        total_claimed: lines.iter().map(|l| l.claimed_amount).sum(),
        total_approved: lines.iter().map(|l| l.approved_amount).sum(),
        line_count: Some(lines.len() as u32),
        lines,
    }
}
