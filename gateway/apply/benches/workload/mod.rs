//! The apply benchmark's workload, shared by `benches/apply_sales.rs` and
//! `examples/apply_rss.rs`: a generated book of contracts (fixed seed), two partners (ACME
//! the supplier, GOOD DRUG the distributor, Immediate Claim so the claim path runs), sales
//! reports with new invoices per report, and a fresh store on PostgreSQL or SQLite.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::sync::Arc;

use apply::{Context, Partner, PartnerRole, Partners, apply_document};
use chrono::{NaiveDate, TimeZone, Utc};
use engine::EngineSettings;
use engine::contracts::ContractBook;
use engine::settings::BatchMode;
use rust_decimal::Decimal;
use schemas::{
    Action, Contract, ContractItem, ContractStatus, Document, EligibleParty, Item, ItemAction,
    Party, PartyAction, SalesLine, SalesReport, Source,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor};
use store::{PgStore, SqliteStore, Store};

pub const SUPPLIER: &str = "acme";
pub const DISTRIBUTOR: &str = "gooddrug";
const UNIVERSE: u64 = 50_000;
const CUSTOMERS: u64 = 8;
/// 2026-03-01 as days from the common era.
const FIRST_SALE_DAY: i32 = 739_676;

pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// SplitMix64: a fixed-seed generator, so every run sees the same book and lines.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// The business day every application runs on.
pub fn ctx() -> Context {
    let today = date("2026-12-01");
    Context {
        today,
        now: Utc.from_utc_datetime(&today.and_hms_opt(12, 0, 0).expect("noon")),
        actor: "system".into(),
    }
}

fn party(qualifier: &str, id: String) -> Party {
    Party {
        qualifier: qualifier.into(),
        id,
        name: None,
        kind: None,
        address: None,
        refs: vec![],
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

fn ndc(n: u64) -> String {
    format!("{:011}", 10_000_000_000 + n)
}

/// Contract price and WAC in cents of `item` on contract `c`: a pure function, so the line
/// generator knows the right prices without asking the book.
fn prices(c: u64, item: u64) -> (i64, i64) {
    let contract = 1_000 + ((c * 7919 + item * 104_729) % 9_000) as i64;
    let wac = contract + 100 + ((c + item) % 2_000) as i64;
    (contract, wac)
}

fn first_item(c: u64) -> u64 {
    (c * 4_099) % UNIVERSE
}

/// Contract `c` with `items` items, eight eligible customers, from ACME to GOOD DRUG.
pub fn contract(c: u64, items: usize) -> Contract {
    let eligible = (0..CUSTOMERS)
        .map(|k| EligibleParty {
            party: party("11", format!("AB{:07}", c * 16 + k)),
            start: Some(date("2026-01-01")),
            end: Some(date("2027-12-31")),
            action: PartyAction::Add,
        })
        .collect();
    let items = (0..items as u64)
        .map(|slot| {
            let item = (first_item(c) + slot) % UNIVERSE;
            let (contract_price, wac) = prices(c, item);
            ContractItem {
                line: slot.to_string(),
                action: ItemAction::Add,
                item: Item {
                    qualifier: "N4".into(),
                    id: ndc(item),
                    other_ids: vec![],
                },
                description: None,
                class_of_trade: None,
                contract_price: Some(Decimal::new(contract_price, 2)),
                wac: Some(Decimal::new(wac, 2)),
                uom: Some("CA".into()),
                start: None,
                end: None,
            }
        })
        .collect();
    Contract {
        source: source(SUPPLIER, format!("{c:064x}")),
        action: Action::Original,
        date: date("2026-01-01"),
        contract_id: format!("SPA-{c:06}"),
        status: ContractStatus::Original,
        supplier: party("1", "123456789".into()),
        distributor: party("1", "987654321".into()),
        gpo: None,
        refs: vec![],
        effective: date("2026-01-01"),
        expires: date("2027-12-31"),
        change_effective: None,
        eligible,
        items,
    }
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
                contract_id: Some(format!("SPA-{c:06}")),
                end_customer: Some(party("11", format!("AB{customer:07}"))),
                item: Item {
                    qualifier: "N4".into(),
                    id: ndc(item),
                    other_ids: vec![],
                },
                quantity: Decimal::from(1 + rng.below(20)),
                uom: "CA".into(),
                unit_price: Decimal::new(sell, 2),
                amount: None,
                invoice: format!("R{run:06}I{:07}", n / 3),
                invoice_date: NaiveDate::from_num_days_from_ce_opt(
                    FIRST_SALE_DAY + rng.below(200) as i32,
                ),
                ship_date: None,
            }
        })
        .collect();
    SalesReport {
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
        .connect_with(admin.database(&name))
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
