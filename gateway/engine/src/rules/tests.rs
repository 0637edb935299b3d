//! One-line cases per rule (V0..V10), on the sample contract SPA-2026-0042. Each case prints
//! `status primary [failures] calc= acc= [warnings]` and compares it with the expected line.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemas::{Claim, Contract, Document, Party};

use super::*;
use crate::caps::{Cap, CapScope};
use crate::contracts::Membership;
use crate::duplicates::{HistoryEntry, line_keys};
use crate::settings::{ReferencePriceBasis, UomConversion};

pub(crate) fn date(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

pub(crate) fn sample_contract() -> Contract {
    match serde_json::from_str(include_str!("../../../../schemas/compat/contract.v1.json")) {
        Ok(Document::Contract(c)) => c,
        other => panic!("sample contract: {other:?}"),
    }
}

pub(crate) fn sample_claim() -> Claim {
    match serde_json::from_str(include_str!("../../../../schemas/compat/claim.v1.json")) {
        Ok(Document::Claim(c)) => c,
        other => panic!("sample claim: {other:?}"),
    }
}

/// The book holding the sample contract alone.
pub(crate) fn sample_book() -> ContractBook {
    book_of(&sample_contract())
}

/// The sample 844's batch header under batch id `id`, as adjudicator.
pub(crate) fn sample_header(id: &str) -> crate::batch::BatchHeader {
    let claim = sample_claim();
    crate::batch::BatchHeader {
        id: id.into(),
        number: id.into(),
        name: "sample".into(),
        kind: crate::batch::BatchKind::Claim844,
        role: crate::settings::Role::Adjudicator,
        distributor: claim.distributor.clone(),
        supplier: claim.supplier.clone(),
        currency: "USD".into(),
        file_name: None,
        debit_memo: Some(claim.debit_memo.clone()),
        received_at: date("2026-11-15"),
        claim_date: claim.date,
        corrects_batch_id: None,
    }
}

fn book_of(contract: &Contract) -> ContractBook {
    let mut book = ContractBook::new();
    if let Err(e) = book.apply(contract) {
        panic!("apply: {e}");
    }
    book
}

fn ctx(role: Role) -> BatchContext {
    BatchContext {
        batch: "B1".into(),
        role,
        distributor: PartyKey::new("1", "987654321"),
        supplier: PartyKey::new("1", "123456789"),
        claim_date: date("2026-11-15"),
    }
}

/// Sample claim line `n` (1-based) as a sale line.
fn line(n: usize) -> SaleLine {
    SaleLine::from(&sample_claim().lines[n - 1])
}

fn summary(v: &Validation) -> String {
    let failures: Vec<&str> = v.failures.iter().map(|f| f.reason.code()).collect();
    let warnings: Vec<&str> = v.warnings.iter().map(|w| w.code()).collect();
    let show = |d: Option<Decimal>| d.map_or("-".to_owned(), |d| d.to_string());
    format!(
        "{:?} {} [{}] calc={} acc={} [{}]",
        v.status,
        v.primary.map_or("-", ReasonCode::code),
        failures.join(","),
        show(v.calculated_amount),
        show(v.accepted_amount),
        warnings.join(",")
    )
}

struct Case {
    book: ContractBook,
    settings: EngineSettings,
    role: Role,
    history: LineHistory,
    caps: CapLedger,
    today: NaiveDate,
}

impl Case {
    fn new() -> Self {
        Self {
            book: book_of(&sample_contract()),
            settings: EngineSettings::default(),
            role: Role::Adjudicator,
            history: LineHistory::new(),
            caps: CapLedger::new(),
            today: date("2026-11-18"),
        }
    }

    fn with_contract(contract: Contract) -> Self {
        Self {
            book: book_of(&contract),
            ..Self::new()
        }
    }

    /// Validates lines as one batch and returns the summary of the last one.
    fn run(&mut self, lines: &[SaleLine]) -> String {
        self.run_all(lines).pop().unwrap_or_default()
    }

    fn run_all(&mut self, lines: &[SaleLine]) -> Vec<String> {
        let ctx = ctx(self.role);
        let mut pipeline = Pipeline::new(
            &self.book,
            &self.settings,
            &ctx,
            self.today,
            &self.history,
            Some(&mut self.caps),
        );
        pipeline.preload_sales(lines);
        let mut results: Vec<Validation> = lines.iter().map(|l| pipeline.validate(l)).collect();
        for position in pipeline.finish().failed {
            results[position].fail_header_tolerance();
        }
        results.iter().map(summary).collect()
    }
}

fn one(l: SaleLine) -> String {
    Case::new().run(&[l])
}

#[test]
fn passing_lines_are_accepted() {
    assert_eq!(one(line(1)), "Accepted - [] calc=62.50 acc=62.50 []");
    assert_eq!(one(line(2)), "Accepted - [] calc=48.00 acc=48.00 []");
    assert_eq!(one(line(4)), "Accepted - [] calc=12.50 acc=12.50 []");
}

#[test]
fn v0_structure() {
    let mut l = line(1);
    l.invoice = String::new();
    assert_eq!(
        one(l),
        "EligibilityDisputed DATA_MISSING [DATA_MISSING] calc=- acc=- []"
    );
    let mut l = line(1);
    l.invoice_date = None;
    assert_eq!(
        one(l),
        "EligibilityDisputed DATA_MISSING [DATA_MISSING] calc=- acc=- []"
    );
    let mut l = line(1);
    l.quantity = Decimal::ZERO;
    assert_eq!(
        one(l),
        "EligibilityDisputed DATA_INVALID [DATA_INVALID] calc=- acc=- []"
    );
    let mut l = line(1);
    l.item.id = "12345-01A".into();
    assert_eq!(
        one(l),
        "EligibilityDisputed ITEM_UNKNOWN [ITEM_UNKNOWN] calc=- acc=- []"
    );
    let mut l = line(1);
    l.uom = "BX".into();
    assert_eq!(
        one(l),
        "EligibilityDisputed UOM_UNKNOWN [UOM_UNKNOWN] calc=- acc=- []"
    );
    // Overflow is DATA_INVALID, never a panic (§4.1).
    let mut l = line(1);
    l.quantity = Decimal::MAX;
    l.claimed_amount = None;
    assert_eq!(
        one(l),
        "EligibilityDisputed DATA_INVALID [DATA_INVALID] calc=- acc=- []"
    );
}

#[test]
fn v0_uom_converts_exactly_4_2() {
    // 5 EA of a 12-EA case of 12345010001 (18.75 − 12.50 = 6.25 per CA): 6.25 × 5 / 12 = 2.6041… → 2.60.
    let mut case = Case::new();
    case.settings.uom_conversions.push(UomConversion {
        item: Some("NDC:12345010001".into()),
        from: "EA".into(),
        to: "CA".into(),
        num: 1,
        den: 12,
    });
    assert_eq!(
        case.run(&[sold_5_ea_of_item_1()]),
        "Accepted - [] calc=2.60 acc=2.60 []"
    );
}

#[test]
fn v0_an_items_conversion_is_found_under_any_of_its_ids() {
    // Item 1's LIN lists it as NDC 12345010001 and UPC 312345010003: a conversion written for
    // the UPC converts its sales too; one for item 2's UPC does not.
    let mut case = Case::new();
    converts(&mut case, Some("UP:312345020101"), "EA", "CA", 1, 12);
    assert_eq!(
        case.run(&[sold_5_ea_of_item_1()]),
        "EligibilityDisputed UOM_UNKNOWN [UOM_UNKNOWN] calc=- acc=- []"
    );
    converts(&mut case, Some("UP:312345010003"), "EA", "CA", 1, 12);
    assert_eq!(
        case.run(&[sold_5_ea_of_item_1()]),
        "Accepted - [] calc=2.60 acc=2.60 []"
    );
    // The item's own conversion wins over one for any item.
    let mut case = Case::new();
    converts(&mut case, None, "EA", "CA", 1, 6);
    converts(&mut case, Some("UP:312345010003"), "EA", "CA", 1, 12);
    assert_eq!(
        case.run(&[sold_5_ea_of_item_1()]),
        "Accepted - [] calc=2.60 acc=2.60 []"
    );
}

#[test]
fn v0_a_conversion_written_the_other_way_converts_by_its_inverse() {
    // `CA -> EA 12` states the same 12-EA case as `EA -> CA 1/12`: a sale in EA against the
    // row in CA converts by 1/12 (the same 2.60 as v0_uom_converts_exactly_4_2).
    let mut case = Case::new();
    converts(&mut case, None, "CA", "EA", 12, 1);
    assert_eq!(
        case.run(&[sold_5_ea_of_item_1()]),
        "Accepted - [] calc=2.60 acc=2.60 []"
    );
    // One written this way wins at its level: 1/6 here, though CA -> EA 12 is first.
    converts(&mut case, None, "EA", "CA", 1, 6);
    assert_eq!(
        case.run(&[sold_5_ea_of_item_1()]),
        "AmountDisputed CONTRACT_PRICE_MISMATCH [CONTRACT_PRICE_MISMATCH,REFERENCE_PRICE_MISMATCH] \
         calc=5.21 acc=- [UNDER_CLAIMED]"
    );
    // The item's own conversion, either way, wins over one for every item.
    converts(&mut case, Some("NDC:12345010001"), "CA", "EA", 12, 1);
    assert_eq!(
        case.run(&[sold_5_ea_of_item_1()]),
        "Accepted - [] calc=2.60 acc=2.60 []"
    );
}

#[test]
fn v1_duplicates() {
    // Same key twice in one claim: the first wins (§13.9); PAD01 is not part of the key.
    let mut again = line(1);
    again.line = "7".into();
    assert_eq!(
        Case::new().run_all(&[line(1), again]),
        [
            "Accepted - [] calc=62.50 acc=62.50 []",
            "Duplicate DUPLICATE_IN_BATCH [DUPLICATE_IN_BATCH] calc=- acc=- []"
        ]
    );
    // An earlier accepted line blocks; an earlier rejected one does not (§5.2).
    let history_with = |status: LineStatus| {
        let mut history = LineHistory::new();
        let l = line(1);
        let keys = line_keys(
            "987654321",
            "123456789",
            &l,
            "NDC:12345010001",
            Some(date("2026-11-05")),
            false,
        );
        let entry = HistoryEntry {
            line: LineRef {
                batch: "B0".into(),
                line: "1".into(),
            },
            status,
            batch_open: false,
        };
        history.record(keys, entry, Some(date("2026-11-05")), l.quantity);
        history
    };
    let mut case = Case::new();
    case.history = history_with(LineStatus::Claimed);
    assert_eq!(
        case.run(&[line(1)]),
        "Duplicate DUPLICATE_PRIOR [DUPLICATE_PRIOR] calc=- acc=- []"
    );
    let mut case = Case::new();
    case.history = history_with(LineStatus::Rejected);
    assert_eq!(
        case.run(&[line(1)]),
        "Accepted - [] calc=62.50 acc=62.50 [POSSIBLE_DUPLICATE]"
    );
    // A near match (other quantity) is only a warning.
    let mut other = line(1);
    other.quantity = dec("9");
    other.claimed_amount = Some(dec("56.25"));
    assert_eq!(
        Case::new().run(&[line(1), other]),
        "Accepted - [] calc=56.25 acc=56.25 [POSSIBLE_DUPLICATE]"
    );
}

#[test]
fn v1_in_batch_keys_sharing_a_sale() {
    // Same invoice and item: another quantity (near match), its repeat, another customer and
    // its repeat. Only the repeats are duplicates.
    let mut other_qty = line(1);
    other_qty.quantity = dec("9");
    other_qty.claimed_amount = Some(dec("56.25"));
    let mut other_customer = line(1);
    other_customer.end_customer = line(4).end_customer;
    assert_eq!(
        Case::new().run_all(&[
            line(1),
            other_qty.clone(),
            other_qty,
            other_customer.clone(),
            other_customer
        ]),
        [
            "Accepted - [] calc=62.50 acc=62.50 []",
            "Accepted - [] calc=56.25 acc=56.25 [POSSIBLE_DUPLICATE]",
            "Duplicate DUPLICATE_IN_BATCH [DUPLICATE_IN_BATCH] calc=- acc=- []",
            "Accepted - [] calc=62.50 acc=62.50 []",
            "Duplicate DUPLICATE_IN_BATCH [DUPLICATE_IN_BATCH] calc=- acc=- []",
        ]
    );
}

#[test]
fn v2_contract() {
    let mut l = line(1);
    l.contract_id = Some("SPA-9999".into());
    assert_eq!(
        one(l.clone()),
        "EligibilityDisputed CONTRACT_UNKNOWN [CONTRACT_UNKNOWN] calc=- acc=- []"
    );
    // As claimant the contract is derived (§3.2).
    let mut case = Case::new();
    case.role = Role::Claimant;
    assert_eq!(
        case.run(&[l]),
        "Accepted - [] calc=62.50 acc=62.50 [DERIVED_CONTRACT]"
    );
    let mut cancelled = sample_contract();
    cancelled.status = schemas::ContractStatus::Cancelled;
    assert_eq!(
        Case::with_contract(cancelled).run(&[line(1)]),
        "EligibilityDisputed CONTRACT_CANCELLED [CONTRACT_CANCELLED] calc=62.50 acc=- []"
    );
    let mut other = sample_contract();
    other.distributor.id = "111111111".into();
    assert_eq!(
        Case::with_contract(other).run(&[line(1)]),
        "EligibilityDisputed DISTRIBUTOR_NOT_AUTHORIZED [DISTRIBUTOR_NOT_AUTHORIZED] calc=62.50 acc=- []"
    );
}

#[test]
fn v2_derivation_prefers_lowest_price() {
    let mut cheaper = sample_contract();
    cheaper.contract_id = "SPA-2026-0099".into();
    cheaper.source.set = "0002".into();
    cheaper.items[0].contract_price = Some(dec("11.00"));
    let mut case = Case::new();
    if let Err(e) = case.book.apply(&cheaper) {
        panic!("{e}");
    }
    case.role = Role::Claimant;
    let mut l = line(1);
    l.contract_id = None;
    l.claimed_contract_price = None;
    l.claimed_amount = Some(dec("77.50"));
    assert_eq!(
        case.run(&[l.clone()]),
        "Accepted - [] calc=77.50 acc=77.50 [DERIVED_CONTRACT]"
    );
    let ctx = ctx(Role::Claimant);
    let mut pipeline = Pipeline::new(
        &case.book,
        &case.settings,
        &ctx,
        case.today,
        &case.history,
        None,
    );
    let v = pipeline.validate(&l);
    assert_eq!(v.derivation_candidates, ["SPA-2026-0099", "SPA-2026-0042"]);
}

#[test]
fn v3_contract_active() {
    // Sample line 6: before the start (19), V5 also fails.
    assert_eq!(
        one(line(6)),
        "EligibilityDisputed CONTRACT_NOT_STARTED [CONTRACT_NOT_STARTED,CUSTOMER_NOT_ELIGIBLE] calc=- acc=- []"
    );
    let mut case = Case::new();
    case.today = date("2027-12-01");
    let mut l = line(1);
    l.invoice_date = Some(date("2027-11-05"));
    assert_eq!(
        case.run(&[l]),
        "EligibilityDisputed CONTRACT_EXPIRED [CONTRACT_EXPIRED,CUSTOMER_NOT_ELIGIBLE] calc=- acc=- []"
    );
    let mut proposed = sample_contract();
    proposed.status = schemas::ContractStatus::Proposed;
    assert_eq!(
        Case::with_contract(proposed).run(&[line(1)]),
        "EligibilityDisputed CONTRACT_NOT_STARTED [CONTRACT_NOT_STARTED] calc=62.50 acc=- []"
    );
}

#[test]
fn v4_item_on_contract() {
    assert_eq!(
        one(line(5)),
        "EligibilityDisputed ITEM_NOT_ON_CONTRACT [ITEM_NOT_ON_CONTRACT] calc=- acc=- []"
    );
}

/// The sample contract with item 12345010001 (WAC 18.75 a CA) priced per class of trade:
/// `(CTP01, contract price)` rows, `None` for a price of any class.
fn priced_per_class(rows: &[(Option<&str>, &str)]) -> Contract {
    let mut contract = sample_contract();
    let base = contract.items.remove(0);
    for (k, (class, price)) in rows.iter().enumerate() {
        let mut item = base.clone();
        item.class_of_trade = class.map(str::to_owned);
        item.contract_price = Some(dec(price));
        contract.items.insert(k, item);
    }
    contract
}

/// Sample line 1 (Riverside, 10 CA of 12345010001) in class `class`, claimed at `price`.
fn line_1_in(class: Option<&str>, price: &str) -> SaleLine {
    let mut l = line(1);
    l.class_of_trade = class.map(str::to_owned);
    l.claimed_contract_price = Some(dec(price));
    l.claimed_amount = Some((dec("18.75") - dec(price)) * dec("10"));
    l
}

#[test]
fn v4_class_of_trade() {
    let run = |rows: &[(Option<&str>, &str)], l: SaleLine| {
        Case::with_contract(priced_per_class(rows)).run(&[l])
    };
    let hs_ph = [(Some("HS"), "12.50"), (Some("PH"), "14.00")];
    // One class prices the item: a line that does not say its class takes that price.
    assert_eq!(
        run(&[(Some("HS"), "12.50")], line_1_in(None, "12.50")),
        "Accepted - [] calc=62.50 acc=62.50 []"
    );
    // Classes at one price leave nothing to choose.
    assert_eq!(
        run(
            &[(Some("HS"), "12.50"), (Some("PH"), "12.50")],
            line_1_in(None, "12.50")
        ),
        "Accepted - [] calc=62.50 acc=62.50 []"
    );
    // Classes priced differently: the line's class picks the price, and it is not known.
    // The item is on the contract; the class is what is missing (15, C), not the item (03).
    assert_eq!(
        run(&hs_ph, line_1_in(None, "12.50")),
        "EligibilityDisputed CLASS_OF_TRADE_UNKNOWN [CLASS_OF_TRADE_UNKNOWN] calc=- acc=- []"
    );
    assert_eq!(ReasonCode::ClassOfTradeUnknown.aaa03(), "15");
    // A known class is priced at its class's price: (18.75 - 14.00) x 10.
    assert_eq!(
        run(&hs_ph, line_1_in(Some("PH"), "14.00")),
        "Accepted - [] calc=47.50 acc=47.50 []"
    );
    assert_eq!(
        run(&hs_ph, line_1_in(Some("HS"), "12.50")),
        "Accepted - [] calc=62.50 acc=62.50 []"
    );
    // A pharmacy claiming the hospital price claims too much.
    assert_eq!(
        run(&hs_ph, line_1_in(Some("PH"), "12.50")),
        "AmountDisputed CONTRACT_PRICE_MISMATCH [CONTRACT_PRICE_MISMATCH,AMOUNT_MISMATCH] calc=47.50 acc=- []"
    );
    // A class the item has no price for: not on the contract for it (V4 reads item and
    // class), never another class's price.
    assert_eq!(
        run(&hs_ph, line_1_in(Some("LC"), "14.00")),
        "EligibilityDisputed ITEM_NOT_ON_CONTRACT [ITEM_NOT_ON_CONTRACT] calc=- acc=- []"
    );
    // A blank class is no class.
    assert_eq!(
        run(&[(Some("HS"), "12.50")], line_1_in(Some(" "), "12.50")),
        "Accepted - [] calc=62.50 acc=62.50 []"
    );
    // A price for any class stands for every class the item has no price of its own for,
    // and for a line of unknown class.
    let any_and_hs = [(None, "13.00"), (Some("HS"), "12.50")];
    assert_eq!(
        run(&any_and_hs, line_1_in(None, "13.00")),
        "Accepted - [] calc=57.50 acc=57.50 []"
    );
    assert_eq!(
        run(&any_and_hs, line_1_in(Some("PH"), "13.00")),
        "Accepted - [] calc=57.50 acc=57.50 []"
    );
    assert_eq!(
        run(&any_and_hs, line_1_in(Some("HS"), "12.50")),
        "Accepted - [] calc=62.50 acc=62.50 []"
    );
}

#[test]
fn v4_a_line_without_a_class_takes_its_customers_class_on_the_contract() {
    let hs_ph = [(Some("HS"), "12.50"), (Some("PH"), "14.00")];
    // The 845 lists Riverside (sample line 1's customer) as a pharmacy.
    let mut contract = priced_per_class(&hs_ph);
    contract.eligible[0].class_of_trade = Some("PH".into());
    let mut case = Case::with_contract(contract.clone());
    assert_eq!(
        case.run(&[line_1_in(None, "14.00")]),
        "Accepted - [] calc=47.50 acc=47.50 []"
    );
    // The line's own class wins.
    assert_eq!(
        Case::with_contract(contract.clone()).run(&[line_1_in(Some("HS"), "12.50")]),
        "Accepted - [] calc=62.50 acc=62.50 []"
    );
    // Another customer's class says nothing about this one.
    let mut other = priced_per_class(&hs_ph);
    other.eligible[1].class_of_trade = Some("PH".into());
    assert_eq!(
        Case::with_contract(other).run(&[line_1_in(None, "14.00")]),
        "EligibilityDisputed CLASS_OF_TRADE_UNKNOWN [CLASS_OF_TRADE_UNKNOWN] calc=- acc=- []"
    );
    // A class the contract does not price the item for: not on the contract for it.
    let mut lc = priced_per_class(&hs_ph);
    lc.eligible[0].class_of_trade = Some("LC".into());
    assert_eq!(
        Case::with_contract(lc).run(&[line_1_in(None, "14.00")]),
        "EligibilityDisputed ITEM_NOT_ON_CONTRACT [ITEM_NOT_ON_CONTRACT] calc=- acc=- []"
    );
    // A membership change restating the class keeps the dates; one without a class keeps it.
    let mut change = contract.clone();
    change.action = schemas::Action::Change;
    change.items.clear();
    change.eligible.truncate(1);
    change.eligible[0].action = schemas::PartyAction::Change;
    change.eligible[0].start = None;
    change.eligible[0].end = None;
    change.eligible[0].class_of_trade = None;
    case.book.apply(&change).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        case.run(&[line_1_in(None, "14.00")]),
        "Accepted - [] calc=47.50 acc=47.50 []"
    );
}

#[test]
fn v5_customer_eligible() {
    // Northgate is eligible from 2026-12-01 only.
    let mut l = line(1);
    l.end_customer = Party {
        qualifier: "UL".into(),
        id: "0614141000012".into(),
        name: None,
        additional_names: vec![],
        kind: None,
        address: None,
        refs: vec![],
    };
    assert_eq!(
        one(l.clone()),
        "EligibilityDisputed CUSTOMER_NOT_ELIGIBLE [CUSTOMER_NOT_ELIGIBLE] calc=62.50 acc=- []"
    );
    // A GPO77 roster membership: active → eligible; ended → MEMBERSHIP_INACTIVE (26 C).
    let mut member = l.clone();
    member.end_customer.id = "0614141999999".into();
    let roster = |end: &str| Membership {
        gpo: PartyKey::new("91", "GPO77"),
        customer: PartyKey::new("UL", "0614141999999"),
        start: Some(date("2026-01-01")),
        end: Some(date(end)),
        tier: None,
        roster: None,
    };
    let mut case = Case::new();
    case.book.add_membership(roster("2026-12-31"));
    assert_eq!(
        case.run(&[member.clone()]),
        "Accepted - [] calc=62.50 acc=62.50 []"
    );
    let mut case = Case::new();
    case.book.add_membership(roster("2026-10-31"));
    assert_eq!(
        case.run(&[member]),
        "EligibilityDisputed MEMBERSHIP_INACTIVE [MEMBERSHIP_INACTIVE] calc=62.50 acc=- []"
    );
    // An open contract takes anyone.
    let mut open = sample_contract();
    open.gpo = None;
    open.eligible.clear();
    assert_eq!(
        Case::with_contract(open).run(&[l]),
        "Accepted - [] calc=62.50 acc=62.50 []"
    );
}

#[test]
fn v6_dates() {
    let mut case = Case::new();
    case.today = date("2026-11-04");
    assert_eq!(
        case.run(&[line(1)]),
        "EligibilityDisputed DATE_IN_FUTURE [DATE_IN_FUTURE] calc=62.50 acc=- []"
    );
    let mut l = line(1);
    l.ship_date = Some(date("2026-11-16"));
    assert_eq!(
        one(l),
        "EligibilityDisputed DATE_INVALID [DATE_INVALID] calc=62.50 acc=- []"
    );
    let mut case = Case::new();
    case.settings.claim_window_days = Some(7);
    assert_eq!(
        case.run(&[line(1)]),
        "EligibilityDisputed CLAIM_WINDOW_EXPIRED [CLAIM_WINDOW_EXPIRED] calc=62.50 acc=- []"
    );
    let mut case = Case::new();
    case.settings.claim_window_days = Some(10);
    assert_eq!(
        case.run(&[line(1)]),
        "Accepted - [] calc=62.50 acc=62.50 []"
    );
}

fn sample_return() -> SaleLine {
    let mut r = line(1);
    r.line = "7".into();
    r.invoice = "CR0001".into();
    r.original_invoice = Some("INV0098123".into());
    r.invoice_date = Some(date("2026-11-12"));
    r.quantity = dec("-2");
    r.claimed_amount = Some(dec("-12.50"));
    r
}

#[test]
fn v7_sign_and_returns_13_10() {
    // A return finds its sale in the same claim and nets against it.
    assert_eq!(
        Case::new().run(&[sample_return(), line(1)]),
        "Accepted - [] calc=62.50 acc=62.50 []"
    );
    assert_eq!(
        Case::new().run_all(&[line(1), sample_return()])[1],
        "Accepted - [] calc=-12.50 acc=-12.50 []"
    );
    // No original: DEBIT_NOT_SUPPORTED (09), unless unmatched returns are allowed.
    assert_eq!(
        one(sample_return()),
        "AmountDisputed DEBIT_NOT_SUPPORTED [DEBIT_NOT_SUPPORTED] calc=-12.50 acc=- []"
    );
    let mut case = Case::new();
    case.settings.allow_unmatched_returns = true;
    assert_eq!(
        case.run(&[sample_return()]),
        "Accepted - [] calc=-12.50 acc=-12.50 []"
    );
    let mut case = Case::new();
    case.settings.allow_negative_lines = false;
    assert_eq!(
        case.run_all(&[line(1), sample_return()])[1],
        "AmountDisputed DEBIT_NOT_SUPPORTED [DEBIT_NOT_SUPPORTED] calc=-12.50 acc=- []"
    );
    // Claiming a smaller credit than calculated is in the claimant's favour (§13.3).
    let mut smaller = sample_return();
    smaller.claimed_amount = Some(dec("-10.00"));
    assert_eq!(
        Case::new().run_all(&[line(1), smaller])[1],
        "AmountDisputed AMOUNT_MISMATCH [AMOUNT_MISMATCH] calc=-12.50 acc=- []"
    );
}

#[test]
fn v8_prices() {
    // Sample line 3: claimed contract price 45.00 against 48.25 (06); V9 also fails.
    assert_eq!(
        one(line(3)),
        "AmountDisputed CONTRACT_PRICE_MISMATCH [CONTRACT_PRICE_MISMATCH,AMOUNT_MISMATCH] calc=100.50 acc=- []"
    );
    let mut l = line(1);
    l.claimed_reference_price = Some(dec("19.00"));
    assert_eq!(
        one(l),
        "AmountDisputed REFERENCE_PRICE_MISMATCH [REFERENCE_PRICE_MISMATCH] calc=62.50 acc=- []"
    );
    let mut l = line(1);
    l.sell_price = Some(dec("12.60"));
    assert_eq!(
        one(l),
        "AmountDisputed RESALE_ABOVE_CONTRACT [RESALE_ABOVE_CONTRACT] calc=62.50 acc=- []"
    );
    let mut inverted = sample_contract();
    inverted.items[0].wac = Some(dec("12.00"));
    let mut l = line(1);
    l.claimed_reference_price = None;
    l.claimed_amount = None;
    assert_eq!(
        Case::with_contract(inverted).run(&[l]),
        "AmountDisputed NOT_BELOW_REFERENCE [NOT_BELOW_REFERENCE] calc=-5.00 acc=- []"
    );
    // No reference price on the contract or in the book: the line's own (UIT*WH 18.75)
    // prices it, unchecked, so its contract price and amount are.
    let mut no_wac = sample_contract();
    no_wac.items[0].wac = None;
    assert_eq!(
        Case::with_contract(no_wac.clone()).run(&[line(1)]),
        "Accepted - [] calc=62.50 acc=62.50 []"
    );
    let mut l = line(1);
    l.claimed_reference_price = Some(dec("19.00"));
    l.claimed_amount = Some(dec("65.00"));
    assert_eq!(
        Case::with_contract(no_wac.clone()).run(&[l]),
        "Accepted - [] calc=65.00 acc=65.00 []"
    );
    // With none stated either, no amount can be (§13.11), but the contract price is still
    // checked: a line claiming 5.00 against 12.50 passed unchecked.
    let mut l = line(1);
    l.claimed_reference_price = None;
    assert_eq!(
        Case::with_contract(no_wac.clone()).run(&[l.clone()]),
        "Accepted - [] calc=- acc=- []"
    );
    l.claimed_contract_price = Some(dec("5.00"));
    assert_eq!(
        Case::with_contract(no_wac).run(&[l]),
        "AmountDisputed CONTRACT_PRICE_MISMATCH [CONTRACT_PRICE_MISMATCH] calc=- acc=- []"
    );
}

/// ACME's price list gives 12345010001 a WAC of `price` per CA from 2026-01-01, open-ended,
/// under `item` (any of the item's ids) and `basis`.
fn listed(case: &mut Case, item: &str, price: &str, uom: &str, basis: ReferencePriceBasis) {
    let row = crate::contracts::ReferencePriceRow {
        start: date("2026-01-01"),
        end: None,
        price: dec(price),
        uom: uom.into(),
        basis,
    };
    case.book.add_reference_price(
        &PartyKey::new("1", "123456789"),
        item,
        row,
        date("2026-11-18"),
    );
}

#[test]
fn v8_prices_from_the_suppliers_price_list() {
    use crate::settings::ReferencePriceBasis::{Book, Wac};
    let mut no_wac = sample_contract();
    no_wac.items[0].wac = None;
    // Line 1 as an 844 without UIT*WH: the list's WAC prices it (18.75 − 12.50) × 10.
    let mut l = line(1);
    l.claimed_reference_price = None;
    let mut case = Case::with_contract(no_wac.clone());
    listed(&mut case, "NDC:12345010001", "18.75", "CA", Wac);
    assert_eq!(
        case.run(&[l.clone()]),
        "Accepted - [] calc=62.50 acc=62.50 []"
    );
    // A wrong claimed amount is checked against it (V9), and a stated WAC too (V8: the list
    // can be checked against, unlike the line's own figure).
    let mut over = l.clone();
    over.claimed_amount = Some(dec("70.00"));
    assert_eq!(
        case.run(&[over]),
        "AmountDisputed AMOUNT_MISMATCH [AMOUNT_MISMATCH] calc=62.50 acc=- []"
    );
    let mut stated = l.clone();
    stated.claimed_reference_price = Some(dec("19.00"));
    assert_eq!(
        case.run(&[stated]),
        "AmountDisputed REFERENCE_PRICE_MISMATCH [REFERENCE_PRICE_MISMATCH] calc=62.50 acc=- []"
    );
    // Listed under the item's UPC (the 845's second id): the same item.
    let mut case = Case::with_contract(no_wac.clone());
    listed(&mut case, "UP:312345010003", "18.75", "CA", Wac);
    assert_eq!(
        case.run(&[l.clone()]),
        "Accepted - [] calc=62.50 acc=62.50 []"
    );
    // A price per EA does not price a contract row per CA; a book cost does not price a
    // partner whose basis is WAC, but does one whose basis is book cost.
    let mut case = Case::with_contract(no_wac.clone());
    listed(&mut case, "NDC:12345010001", "1.60", "EA", Wac);
    listed(&mut case, "NDC:12345010001", "17.50", "CA", Book);
    assert_eq!(case.run(&[l.clone()]), "Accepted - [] calc=- acc=- []");
    case.settings.reference_price_basis = Book;
    let mut book_claim = l.clone();
    book_claim.claimed_amount = Some(dec("50.00"));
    assert_eq!(
        case.run(&[book_claim]),
        "Accepted - [] calc=50.00 acc=50.00 []"
    );
    // The contract's own WAC wins over the list (§4.1: a contract-stated one wins).
    let mut case = Case::new();
    listed(&mut case, "NDC:12345010001", "20.00", "CA", Wac);
    assert_eq!(case.run(&[l]), "Accepted - [] calc=62.50 acc=62.50 []");
}

/// The sample contract with item 1 at `contract_price` per `uom` and no WAC of its own.
fn item_1_at(contract_price: &str, uom: &str) -> Contract {
    let mut contract = sample_contract();
    contract.items[0].wac = None;
    contract.items[0].contract_price = Some(dec(contract_price));
    contract.items[0].uom = Some(uom.into());
    contract
}

/// Line 1 as 5 EA of the 12-EA case the contract prices per CA, claiming 2.60 (6.25 per CA
/// × 5 / 12) at prices per EA.
fn sold_5_ea_of_item_1() -> SaleLine {
    let mut l = line(1);
    l.uom = "EA".into();
    l.quantity = dec("5");
    l.claimed_contract_price = Some(dec("1.041667"));
    l.claimed_reference_price = Some(dec("1.5625"));
    l.claimed_amount = Some(dec("2.60"));
    l
}

/// An exact conversion `from` → `to` (`num / den` `to` per `from`), for item 1 alone or
/// for any item.
fn converts(case: &mut Case, item: Option<&str>, from: &str, to: &str, num: u32, den: u32) {
    case.settings.uom_conversions.push(UomConversion {
        item: item.map(str::to_owned),
        from: from.into(),
        to: to.into(),
        num,
        den,
    });
}

/// Line 1 (12345010001) as `quantity` `uom`, stating no prices and no amount.
fn bare_line_1(quantity: &str, uom: &str) -> SaleLine {
    let mut l = line(1);
    l.quantity = dec(quantity);
    l.uom = uom.into();
    l.claimed_reference_price = None;
    l.claimed_contract_price = None;
    l.claimed_amount = None;
    l
}

impl Case {
    /// Validates one line and returns its validation.
    fn validate(&self, l: &SaleLine) -> Validation {
        let ctx = ctx(self.role);
        let mut pipeline = Pipeline::new(
            &self.book,
            &self.settings,
            &ctx,
            self.today,
            &self.history,
            None,
        );
        pipeline.validate(l)
    }
}

/// The reference price per contract unit of a validation, the list unit it was converted
/// from and that unit's price (`-` when not converted), and the amount.
fn priced_from(v: &Validation) -> String {
    let Some(p) = &v.pricing else {
        return format!("unpriced {}", summary(v));
    };
    let from = p.reference_converted.as_ref().map_or("-".to_owned(), |c| {
        format!("{} {} {}/{}", c.price, c.uom, c.factor.num, c.factor.den)
    });
    let calc = v
        .calculated_amount
        .map_or("-".to_owned(), |d| d.to_string());
    format!("ref {} from {from} calc={calc}", p.reference_price)
}

/// §4.1 `ref(d)` per contract unit from a list in another unit, with the §4.2 golden:
/// reference 120.00/CA, contract 90.00/CA, 12 EA per CA, 5 EA sold: 12.50.
#[test]
fn v8_a_list_in_another_unit_prices_through_the_exact_factor_4_2() {
    use crate::settings::ReferencePriceBasis::Wac;
    // An EA list price of 10.00 prices a CA contract row at 120.00 (EA → CA is 1/12).
    let mut case = Case::with_contract(item_1_at("90.00", "CA"));
    listed(&mut case, "NDC:12345010001", "10.00", "EA", Wac);
    converts(&mut case, None, "EA", "CA", 1, 12);
    assert_eq!(
        priced_from(&case.validate(&bare_line_1("5", "EA"))),
        "ref 120.00 from 10.00 EA 1/12 calc=12.50"
    );
    assert_eq!(
        priced_from(&case.validate(&bare_line_1("2", "CA"))),
        "ref 120.00 from 10.00 EA 1/12 calc=60.00"
    );
    // A stated UIT*WH per EA is checked against the list's EA price, per sale unit.
    let mut stated = bare_line_1("5", "EA");
    stated.claimed_reference_price = Some(dec("10.00"));
    stated.claimed_amount = Some(dec("12.50"));
    assert_eq!(
        case.run(&[stated.clone()]),
        "Accepted - [] calc=12.50 acc=12.50 []"
    );
    stated.claimed_reference_price = Some(dec("10.50"));
    assert_eq!(
        case.run(&[stated]),
        "AmountDisputed REFERENCE_PRICE_MISMATCH [REFERENCE_PRICE_MISMATCH] calc=12.50 acc=- []"
    );

    // A CA list price of 120.00 prices an EA contract row at 10.00 (CA → EA is 12/1).
    let mut case = Case::with_contract(item_1_at("7.50", "EA"));
    listed(&mut case, "NDC:12345010001", "120.00", "CA", Wac);
    converts(&mut case, None, "CA", "EA", 12, 1);
    assert_eq!(
        priced_from(&case.validate(&bare_line_1("5", "EA"))),
        "ref 10.00 from 120.00 CA 12/1 calc=12.50"
    );
    // The snapshot gives a claim's UIT*WH per sale unit: 10.00 per EA.
    let v = case.validate(&bare_line_1("5", "EA"));
    assert_eq!(
        v.pricing
            .as_ref()
            .map(|p| p.reference_price_per_sale_unit().to_string()),
        Some("10.00".to_owned())
    );
}

#[test]
fn v8_the_contract_unit_wins_over_a_converted_one() {
    use crate::settings::ReferencePriceBasis::Wac;
    // CA 18.75 and EA 2.00 (24.00 per CA converted): the CA row prices, (18.75 − 12.50) × 10.
    let mut case = Case::with_contract(item_1_at("12.50", "CA"));
    listed(&mut case, "NDC:12345010001", "2.00", "EA", Wac);
    listed(&mut case, "NDC:12345010001", "18.75", "CA", Wac);
    converts(&mut case, None, "EA", "CA", 1, 12);
    assert_eq!(
        priced_from(&case.validate(&bare_line_1("10", "CA"))),
        "ref 18.75 from - calc=62.50"
    );
    // Even when the CA row is listed under the item's other id (its UPC).
    let mut case = Case::with_contract(item_1_at("12.50", "CA"));
    listed(&mut case, "NDC:12345010001", "2.00", "EA", Wac);
    listed(&mut case, "UP:312345010003", "18.75", "CA", Wac);
    converts(&mut case, None, "EA", "CA", 1, 12);
    assert_eq!(
        priced_from(&case.validate(&bare_line_1("10", "CA"))),
        "ref 18.75 from - calc=62.50"
    );
    // Of two convertible units the first in code order wins: BX (5 per CA, 4.00 → 20.00)
    // before EA (2.00 → 24.00), under either id.
    let mut case = Case::with_contract(item_1_at("12.50", "CA"));
    listed(&mut case, "NDC:12345010001", "2.00", "EA", Wac);
    listed(&mut case, "UP:312345010003", "4.00", "BX", Wac);
    converts(&mut case, None, "EA", "CA", 1, 12);
    converts(&mut case, None, "BX", "CA", 1, 5);
    assert_eq!(
        priced_from(&case.validate(&bare_line_1("10", "CA"))),
        "ref 20.00 from 4.00 BX 1/5 calc=75.00"
    );
}

#[test]
fn v8_an_items_own_conversion_beats_the_generic_one() {
    use crate::settings::ReferencePriceBasis::Wac;
    // Generic: 10 EA a CA; this item: 12 EA a CA. 1.5625 × 12 = 18.75, not 15.625.
    let mut case = Case::with_contract(item_1_at("12.50", "CA"));
    listed(&mut case, "NDC:12345010001", "1.5625", "EA", Wac);
    converts(&mut case, None, "EA", "CA", 1, 10);
    converts(&mut case, Some("NDC:12345010001"), "EA", "CA", 1, 12);
    assert_eq!(
        priced_from(&case.validate(&bare_line_1("10", "CA"))),
        "ref 18.7500 from 1.5625 EA 1/12 calc=62.50"
    );
    // Another item's conversion does not apply: the generic one does.
    let mut case = Case::with_contract(item_1_at("12.50", "CA"));
    listed(&mut case, "NDC:12345010001", "1.5625", "EA", Wac);
    converts(&mut case, None, "EA", "CA", 1, 10);
    converts(&mut case, Some("NDC:12345020101"), "EA", "CA", 1, 12);
    assert_eq!(
        priced_from(&case.validate(&bare_line_1("10", "CA"))),
        "ref 15.6250 from 1.5625 EA 1/10 calc=31.25"
    );
}

#[test]
fn v8_no_factor_falls_through_to_the_lines_stated_reference() {
    use crate::settings::ReferencePriceBasis::Wac;
    // A list per EA and no EA → CA conversion: the line's UIT*WH (19.00 per CA) prices it.
    let mut case = Case::with_contract(item_1_at("12.50", "CA"));
    listed(&mut case, "NDC:12345010001", "1.5625", "EA", Wac);
    // Only a conversion of other units is known: not used for the list (nor the CA sale).
    converts(&mut case, None, "BX", "CA", 1, 4);
    let mut l = bare_line_1("10", "CA");
    l.claimed_reference_price = Some(dec("19.00"));
    assert_eq!(
        priced_from(&case.validate(&l)),
        "ref 19.00 from - calc=65.00"
    );
    // With none stated, nothing prices it (§13.11).
    assert_eq!(
        case.run(&[bare_line_1("10", "CA")]),
        "Accepted - [] calc=- acc=- []"
    );
    // `CA -> EA 12` is the EA -> CA factor written the other way: it converts the list.
    converts(&mut case, None, "CA", "EA", 12, 1);
    assert_eq!(
        priced_from(&case.validate(&l)),
        "ref 18.7500 from 1.5625 EA 1/12 calc=62.50"
    );
    // A list row not in force on d is not converted either.
    let mut case = Case::with_contract(item_1_at("12.50", "CA"));
    case.book.add_reference_price(
        &PartyKey::new("1", "123456789"),
        "NDC:12345010001",
        crate::contracts::ReferencePriceRow {
            start: date("2026-01-01"),
            end: Some(date("2026-10-31")),
            price: dec("1.5625"),
            uom: "EA".into(),
            basis: Wac,
        },
        date("2026-11-18"),
    );
    converts(&mut case, None, "EA", "CA", 1, 12);
    assert_eq!(
        case.run(&[bare_line_1("10", "CA")]),
        "Accepted - [] calc=- acc=- []"
    );
}

/// 100.06 per CA is 8.33833… per EA (the division does not end): 3 EA at 8.00 are
/// (100.06 − 96.00) × 3 / 12 = 1.015, 1.02 half away from zero, which extending the
/// 28-digit price per EA (1.01499…99) would round to 1.01. The snapshot keeps the list row,
/// and recomputing from it, stored and read back, gives the same cents.
#[test]
fn v8_an_inexact_conversion_loses_no_cent_and_recomputes_the_same() {
    use crate::settings::ReferencePriceBasis::Wac;
    use crate::settings::RoundingStrategy::HalfEven;
    let mut case = Case::with_contract(item_1_at("8.00", "EA"));
    listed(&mut case, "NDC:12345010001", "100.06", "CA", Wac);
    converts(&mut case, None, "CA", "EA", 12, 1);
    let v = case.validate(&bare_line_1("3", "EA"));
    assert_eq!(
        priced_from(&v),
        "ref 8.338333333333333333333333333 from 100.06 CA 12/1 calc=1.02"
    );
    let Some(pricing) = v.pricing else {
        panic!("priced");
    };
    let naive = (pricing.reference_price - pricing.contract_price) * dec("3");
    assert_eq!(naive.to_string(), "1.014999999999999999999999999");
    let text = serde_json::to_string(&pricing).unwrap_or_default();
    assert!(
        text.contains(
            r#""reference_converted":{"uom":"CA","price":"100.06","factor":{"num":12,"den":1}}"#
        ),
        "{text}"
    );
    let back: PricingSnapshot =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(back, pricing);
    assert_eq!(
        back.amount(dec("3")).map(|a| a.to_string()),
        Ok("1.02".into())
    );
    // A partial quantity recomputes from it too: 2 EA, 0.6766… → 0.68.
    assert_eq!(
        back.amount(dec("2")).map(|a| a.to_string()),
        Ok("0.68".into())
    );
    // Half to even: 1.015 → 1.02 as well (2 is even); 1.025 (100.10) → 1.02.
    case.settings.rounding_strategy = HalfEven;
    assert_eq!(
        priced_from(&case.validate(&bare_line_1("3", "EA"))),
        "ref 8.338333333333333333333333333 from 100.06 CA 12/1 calc=1.02"
    );
    let mut case = Case::with_contract(item_1_at("8.00", "EA"));
    case.settings.rounding_strategy = HalfEven;
    listed(&mut case, "NDC:12345010001", "100.10", "CA", Wac);
    converts(&mut case, None, "CA", "EA", 12, 1);
    assert_eq!(
        priced_from(&case.validate(&bare_line_1("3", "EA"))),
        "ref 8.341666666666666666666666667 from 100.10 CA 12/1 calc=1.02"
    );
    // 100.00 per CA: 8.33… per EA, 12 EA at 8.00 are exactly 4.00.
    let mut case = Case::with_contract(item_1_at("8.00", "EA"));
    listed(&mut case, "NDC:12345010001", "100.00", "CA", Wac);
    converts(&mut case, None, "CA", "EA", 12, 1);
    assert_eq!(
        priced_from(&case.validate(&bare_line_1("12", "EA"))),
        "ref 8.333333333333333333333333333 from 100.00 CA 12/1 calc=4.00"
    );
    // A sale per CA of an EA contract row: the list's CA price is the sale unit's, exactly.
    let v = case.validate(&bare_line_1("1", "CA"));
    assert_eq!(
        v.pricing
            .as_ref()
            .map(|p| p.reference_price_per_sale_unit().to_string()),
        Some("100.00".to_owned())
    );
    assert_eq!(
        v.calculated_amount.map(|a| a.to_string()),
        Some("4.00".into())
    );
    // A sale per EA: 8.333… per EA, written to 6 places for a claim's UIT*WH (UIT02 holds
    // 17 digits), the amount computed apart: 12 EA are 4.00.
    let l = bare_line_1("12", "EA");
    let v = case.validate(&l);
    let mut accepted = crate::batch::BatchLine {
        sale: l,
        status: crate::batch::LineStatus::Accepted,
        validation: Some(v.clone()),
        accepted_quantity: Some(dec("12")),
        accepted_amount: v.accepted_amount,
        reject_reason: None,
        comment: None,
        claim: None,
        corrected_by: None,
    };
    accepted.sale.line = "1".into();
    let claimed = crate::claims::ClaimLineRecord::from_batch_line(1, "B1", &accepted);
    assert_eq!(
        (
            claimed.sale.claimed_reference_price.map(|p| p.to_string()),
            claimed.sale.claimed_amount.map(|p| p.to_string())
        ),
        (Some("8.333333".into()), Some("4.00".into()))
    );
    let Some(pricing) = v.pricing else {
        panic!("priced");
    };
    assert_eq!(
        pricing.amount(dec("12")).map(|a| a.to_string()),
        Ok("4.00".into())
    );
}

#[test]
fn v9_amount_and_tolerance() {
    let mut l = line(1);
    l.claimed_amount = Some(dec("62.51"));
    assert_eq!(one(l.clone()), "Accepted - [] calc=62.50 acc=62.50 []");
    let mut case = Case::new();
    case.settings.pay_basis = crate::settings::PayBasis::Claimed;
    assert_eq!(case.run(&[l]), "Accepted - [] calc=62.50 acc=62.51 []");
    let mut l = line(1);
    l.claimed_amount = Some(dec("62.52"));
    assert_eq!(
        one(l),
        "AmountDisputed AMOUNT_MISMATCH [AMOUNT_MISMATCH] calc=62.50 acc=- []"
    );
    // Under-claim: the adjudicator pays the claimed amount, the claimant claims the calculated one.
    let mut l = line(1);
    l.claimed_amount = Some(dec("60.00"));
    assert_eq!(
        one(l.clone()),
        "Accepted - [] calc=62.50 acc=60.00 [UNDER_CLAIMED]"
    );
    let mut case = Case::new();
    case.role = Role::Claimant;
    assert_eq!(
        case.run(&[l]),
        "Accepted - [] calc=62.50 acc=62.50 [UNDER_CLAIMED]"
    );
}

#[test]
fn v9_header_tolerance_13_4() {
    // Each line 0.01 over (within tolerance); with header_tol 0.02 the third tips it.
    let mut case = Case::new();
    case.settings.header_tol = dec("0.02");
    let lines: Vec<SaleLine> = (0..3)
        .map(|i| {
            let mut l = line(1);
            l.invoice = format!("INV{i}");
            l.claimed_amount = Some(dec("62.51"));
            l
        })
        .collect();
    assert_eq!(
        case.run_all(&lines),
        ["AmountDisputed AMOUNT_MISMATCH [AMOUNT_MISMATCH] calc=62.50 acc=- []"; 3]
    );
    let mut case = Case::new();
    case.settings.header_tol = dec("0.03");
    assert_eq!(
        case.run_all(&lines),
        ["Accepted - [] calc=62.50 acc=62.50 []"; 3]
    );
}

#[test]
fn v10_caps_5_1() {
    // 12345030005 capped at 10 CA: line 3 (6 CA, priced right) reserves 6; a 5 CA line finds 4.
    let mut case = Case::new();
    case.caps.add_cap(Cap {
        scope: CapScope {
            contract: "SPA-2026-0042".into(),
            item: "NDC:12345030005".into(),
            customer: None,
        },
        quantity: Some(dec("10")),
        amount: None,
    });
    let mut first = line(3);
    first.claimed_contract_price = Some(dec("48.25"));
    first.claimed_amount = Some(dec("100.50"));
    let mut second = first.clone();
    second.invoice = "INV0098999".into();
    second.quantity = dec("5");
    second.claimed_amount = Some(dec("83.75"));
    let mut third = second.clone();
    third.invoice = "INV0099000".into();
    third.quantity = dec("4");
    third.claimed_amount = Some(dec("67.00"));
    let mut fourth = third.clone();
    fourth.invoice = "INV0099001".into();
    fourth.quantity = dec("1");
    fourth.claimed_amount = Some(dec("16.75"));
    assert_eq!(
        case.run_all(&[first, second, third, fourth]),
        [
            "Accepted - [] calc=100.50 acc=100.50 []",
            "AmountDisputed CAP_EXCEEDED [CAP_EXCEEDED] calc=83.75 acc=- []",
            "Accepted - [] calc=67.00 acc=67.00 []",
            "AmountDisputed CAP_EXHAUSTED [CAP_EXHAUSTED] calc=16.75 acc=- []",
        ]
    );
}

/// A stored pricing snapshot leaves out the 1/1 factor and the standard rounding, and reads
/// back equal; any other factor or rounding is kept.
#[test]
fn a_pricing_snapshot_stores_only_what_differs_from_the_standard() {
    let ctx = ctx(Role::Adjudicator);
    let book = book_of(&sample_contract());
    let settings = EngineSettings::default();
    let history = LineHistory::new();
    let mut pipeline = Pipeline::new(&book, &settings, &ctx, date("2026-11-18"), &history, None);
    let v = pipeline.validate(&line(1));
    let Some(mut pricing) = v.pricing else {
        panic!("line 1 is priced");
    };
    let round_trip = |p: &PricingSnapshot| -> (String, PricingSnapshot) {
        let text = serde_json::to_string(p).unwrap_or_default();
        let back = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        (text, back)
    };
    let (text, back) = round_trip(&pricing);
    assert!(
        !text.contains("\"factor\"") && !text.contains("\"rounding\""),
        "{text}"
    );
    assert_eq!(back, pricing);
    pricing.factor = crate::amounts::UomFactor { num: 12, den: 1 };
    pricing.rounding.strategy = crate::settings::RoundingStrategy::HalfEven;
    let (text, back) = round_trip(&pricing);
    assert!(
        text.contains("\"factor\"") && text.contains("half_even"),
        "{text}"
    );
    assert_eq!(back, pricing);
}
