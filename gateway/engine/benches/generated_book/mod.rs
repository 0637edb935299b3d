//! The generated contract book the engine and apply benchmarks share (fixed seed): contract
//! `c` has `items` consecutive NDCs from a contract-dependent offset, eight eligible
//! customers, and prices that are a pure function of (contract, item), so line generators know
//! the right price without asking the book. `gateway/apply/benches/workload/` includes this
//! file by path, so both benchmarks validate against the same book.

#![allow(dead_code, clippy::expect_used)]

use chrono::NaiveDate;
use engine::contracts::ContractBook;
use rust_decimal::Decimal;
use schemas::{
    Action, Contract, ContractItem, ContractStatus, EligibleParty, Item, ItemAction, Party,
    PartyAction, Source,
};

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

pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub const UNIVERSE: u64 = 50_000;
pub const CUSTOMERS: u64 = 8;
/// 2026-03-01 as days from the common era.
pub const FIRST_SALE_DAY: i32 = 739_676;

pub fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

pub fn party(qualifier: &str, id: String) -> Party {
    Party {
        qualifier: qualifier.into(),
        id: id.into(),
        name: None,
        additional_names: vec![],
        kind: None,
        address: None,
        refs: vec![],
    }
}

pub fn ndc(n: u64) -> String {
    format!("{:011}", 10_000_000_000 + n)
}

/// Contract price and WAC in cents of item slot `i` of contract `c`: a pure function, so the
/// line generator knows the right prices without asking the book.
pub fn prices(c: u64, item: u64) -> (i64, i64) {
    let contract = 1_000 + ((c * 7919 + item * 104_729) % 9_000) as i64;
    let wac = contract + 100 + ((c + item) % 2_000) as i64;
    (contract, wac)
}

/// Item numbers of contract `c`: 1,000 consecutive NDCs from a contract-dependent offset.
pub fn first_item(c: u64) -> u64 {
    (c * 4_099) % UNIVERSE
}

pub fn contract(c: u64, items: usize) -> Contract {
    let eligible = (0..CUSTOMERS)
        .map(|k| EligibleParty {
            party: party("11", format!("AB{:07}", c * 16 + k)),
            start: Some(date("2026-01-01")),
            end: Some(date("2027-12-31")),
            action: PartyAction::Add,
            class_of_trade: None,
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
                    id: ndc(item).into(),
                    other_ids: vec![],
                },
                description: None,
                class_of_trade: None,
                contract_price: Some(Decimal::new(contract_price, 2)),
                wac: Some(Decimal::new(wac, 2)),
                uom: Some("CA".into()),
                start: None,
                end: None,
                parties: vec![],
            }
        })
        .collect();
    Contract {
        source: Source {
            file: format!("{c:064x}"),
            interchange: c.to_string().into(),
            group: "1".into(),
            set: "0001".into(),
            partner: None,
        },
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
        caps: vec![],
    }
}

pub fn book(contracts: usize, items: usize) -> ContractBook {
    let mut book = ContractBook::new();
    for c in 0..contracts as u64 {
        if let Err(e) = book.apply(&contract(c, items)) {
            panic!("generated contract {c}: {e}");
        }
    }
    book
}
