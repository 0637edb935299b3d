//! Two money cases a black-box probe found, through the engine alone (the documents are what
//! the partner maps make of the probe's files):
//!
//! - Pinnacle's 867 returns one of six vials sold on PHS-91001 (`QTY*76*1`, `AMT*CC*54.50`,
//!   `REF*IV*PHS-91150`, `REF*OI*PHS-91001`): the return nets against its sale (§13.10) and
//!   the claim we send Zenith is the net 825.50, not 880.00.
//! - Zenith prices ZEN-2026-200's syringe per class of trade (`CTP*HS*CON*2.3575`); Harbor
//!   RX's 844 claims it without a class: the one price prices it (742.50), and where classes
//!   price it differently the line is disputed for its class, not as "not on the contract".

use chrono::NaiveDate;
use engine::EngineSettings;
use engine::adjudicate::{ResponseHeader, adjudicate};
use engine::audit::Actor;
use engine::batch::{Batch, BatchHeader, BatchKind, BatchStatus, Ledgers, LineStatus};
use engine::caps::CapLedger;
use engine::claims::ClaimRecord;
use engine::contracts::ContractBook;
use engine::duplicates::LineHistory;
use engine::sale::SaleLine;
use engine::settings::Role;
use schemas::{Claim, Contract, SalesReport, Source};
use serde_json::{Value, json};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

fn source(partner: &str) -> Value {
    json!({"file": "0", "interchange": "1", "group": "1", "set": "0001", "partner": partner})
}

/// Where an outbound document of the test goes (nothing reads it).
fn outbound() -> Source {
    Source {
        file: String::new(),
        interchange: "1".into(),
        group: "1".into(),
        set: "0001".into(),
        partner: None,
    }
}

fn party(qualifier: &str, id: &str, name: &str) -> Value {
    json!({"qualifier": qualifier, "id": id, "name": name})
}

fn zenith() -> Value {
    party("1", "555666777", "ZENITH BIOLOGICS INC")
}

fn eligible(qualifier: &str, id: &str, name: &str) -> Value {
    json!({"party": party(qualifier, id, name), "action": "add"})
}

/// A priced item of a contract: `(class of trade, contract price, reference price)` rows.
fn item(line: &str, upc: &str, rows: &[(Option<&str>, &str, &str)]) -> Vec<Value> {
    rows.iter()
        .map(|(class, price, wac)| {
            let mut v = json!({
                "line": line,
                "action": "add",
                "item": {"qualifier": "UP", "id": upc},
                "contract_price": price,
                "wac": wac,
                "uom": "EA",
            });
            if let Some(class) = class {
                v["class_of_trade"] = json!(class);
            }
            v
        })
        .collect()
}

fn contract(id: &str, distributor: Value, eligible: Vec<Value>, items: Vec<Value>) -> Contract {
    serde_json::from_value(json!({
        "source": source("zenith"),
        "action": "original",
        "date": "2026-10-15",
        "contract_id": id,
        "status": "original",
        "supplier": zenith(),
        "distributor": distributor,
        "effective": "2026-10-01",
        "expires": "2027-09-30",
        "eligible": eligible,
        "items": items,
    }))
    .unwrap_or_else(|e| panic!("contract {id}: {e}"))
}

fn book(contracts: &[Contract]) -> ContractBook {
    let mut book = ContractBook::new();
    for c in contracts {
        if let Err(e) = book.apply(c) {
            panic!("{e}");
        }
    }
    book
}

fn pinnacle() -> Value {
    party("1", "098765432", "PINNACLE HEALTH SUPPLY")
}

fn mercy() -> Value {
    party("11", "BM1234563", "MERCY GENERAL HOSPITAL")
}

/// ZEN-2026-300 (`zen_300_pinnacle.x12`): two vials, one price each, for Pinnacle's customers.
fn zen_300() -> Contract {
    let mut items = item("1", "312345000011", &[(None, "125.50", "180.00")]);
    items.extend(item("2", "312345000028", &[(None, "460.25", "655.00")]));
    contract(
        "ZEN-2026-300",
        pinnacle(),
        vec![
            eligible("11", "BM1234563", "MERCY GENERAL HOSPITAL"),
            eligible("UL", "0614141000012", "VALLEY SURGERY CENTER"),
            eligible("21", "9Z9Z9Z9Z9", "RIVERBEND CLINIC"),
        ],
        items,
    )
}

fn sales_line(
    line: u32,
    customer: Value,
    upc: &str,
    (quantity, price, amount): (&str, &str, &str),
    (invoice, original, day): (&str, Option<&str>, &str),
) -> Value {
    let mut v = json!({
        "line": line,
        "transfer_type": "SS",
        "contract_id": "ZEN-2026-300",
        "end_customer": customer,
        "item": {"qualifier": "UP", "id": upc},
        "quantity": quantity,
        "uom": "EA",
        "unit_price": price,
        "amount": amount,
        "invoice": invoice,
        "invoice_date": day,
    });
    if let Some(original) = original {
        v["original_invoice"] = json!(original);
    }
    v
}

/// Pinnacle's 867 (`pin_867_b.x12`) as its profile maps it.
fn pinnacle_867() -> SalesReport {
    let valley = party("UL", "0614141000012", "VALLEY SURGERY CENTER");
    serde_json::from_value(json!({
        "source": source("pinnacle"),
        "action": "original",
        "report_id": "PHS-867-202611-B",
        "date": "2026-11-30",
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "distributor": pinnacle(),
        "supplier": zenith(),
        "lines": [
            sales_line(1, mercy(), "312345000011", ("6", "125.50", "327.00"), ("PHS-91001", None, "2026-11-03")),
            sales_line(2, mercy(), "312345000028", ("2", "460.25", "389.50"), ("PHS-91001", None, "2026-11-03")),
            sales_line(3, mercy(), "312345000011", ("-1", "125.50", "-54.50"), ("PHS-91150", Some("PHS-91001"), "2026-11-20")),
            sales_line(4, valley, "312345000011", ("3", "125.5", "163.50"), ("PHS-91077", None, "2026-11-12")),
        ],
        "line_count": 4,
        "quantity_total": "10",
    }))
    .unwrap_or_else(|e| panic!("sales report: {e}"))
}

/// The claimant's batch of a sales report, processed on `today`.
fn claimant_batch(report: &SalesReport, book: &ContractBook, today: NaiveDate) -> Batch {
    let header = BatchHeader {
        id: "pinnacle/2026-12-01".into(),
        number: "pinnacle/2026-12-01".into(),
        name: report.report_id.clone(),
        kind: BatchKind::Sales867,
        role: Role::Claimant,
        distributor: report.distributor.clone(),
        supplier: report.supplier.clone(),
        currency: "USD".into(),
        file_name: None,
        debit_memo: None,
        received_at: today,
        claim_date: today,
        corrects_batch_id: None,
    };
    let lines: Vec<SaleLine> = report.lines.iter().map(SaleLine::from).collect();
    let (mut batch, _) = Batch::open(
        header,
        &EngineSettings::default(),
        lines,
        &Actor::System,
        today,
    );
    let mut history = LineHistory::new();
    let mut caps = CapLedger::new();
    let mut ledgers = Ledgers {
        book,
        history: &mut history,
        caps: &mut caps,
    };
    if let Err(e) = batch.process(&mut ledgers, today) {
        panic!("{e}");
    }
    batch
}

#[test]
fn an_867_return_nets_against_its_original_sale_and_the_claim_is_the_net() {
    let today = date("2026-12-01");
    let report = pinnacle_867();
    assert_eq!(
        SaleLine::from(&report.lines[2]).original_invoice.as_deref(),
        Some("PHS-91001")
    );
    let batch = claimant_batch(&report, &book(&[zen_300()]), today);
    let lines: Vec<String> = batch
        .lines
        .iter()
        .map(|l| {
            let v = l.validation.as_ref();
            format!(
                "{} {:?} {} {} d={}",
                l.sale.line,
                l.status,
                v.and_then(|v| v.primary).map_or("-", |r| r.code()),
                l.accepted_amount.map_or("-".to_owned(), |a| a.to_string()),
                v.and_then(|v| v.pricing_date)
                    .map_or("-".to_owned(), |d| d.to_string()),
            )
        })
        .collect();
    // Every line claimable (B3): the return is priced as of its sale, 2026-11-03, at
    // 180.00 - 125.50 = 54.50 for the one vial, and credited.
    assert_eq!(
        lines,
        [
            "1 Claimed - 327.00 d=2026-11-03",
            "2 Claimed - 389.50 d=2026-11-03",
            "3 Claimed - -54.50 d=2026-11-03",
            "4 Claimed - 163.50 d=2026-11-12",
        ]
    );
    assert_eq!(batch.status, BatchStatus::Closed);
    assert_eq!(batch.claims.len(), 1);
    assert_eq!(batch.claims[0].amount.to_string(), "825.50");

    // The 844 we send Zenith claims the net, the return as a negative line naming its sale.
    let (claim, _) =
        ClaimRecord::from_batch(&batch, &batch.claims[0], "PINNACLE-0001".into(), today);
    let sent = claim.to_844(outbound());
    assert_eq!(sent.total_claimed.to_string(), "825.50");
    assert_eq!(
        sent.quantity_total.map(|q| q.to_string()).as_deref(),
        Some("10")
    );
    let ret = &sent.lines[2];
    assert_eq!(
        (
            ret.quantity.to_string(),
            ret.claimed_amount.to_string(),
            ret.invoice.as_str(),
            ret.original_invoice.as_deref()
        ),
        (
            "-1".to_owned(),
            "-54.50".to_owned(),
            "PHS-91150",
            Some("PHS-91001")
        )
    );
}

#[test]
fn without_its_original_invoice_the_return_finds_no_sale_and_is_disputed() {
    // What the probe saw before the mapping kept REF*OI: V7, and a claim of 880.00.
    let today = date("2026-12-01");
    let mut report = pinnacle_867();
    report.lines[2].original_invoice = None;
    let batch = claimant_batch(&report, &book(&[zen_300()]), today);
    let ret = &batch.lines[2];
    assert_eq!(ret.status, LineStatus::AmountDisputed);
    assert_eq!(
        ret.validation
            .as_ref()
            .and_then(|v| v.primary)
            .map(|r| r.code()),
        Some("DEBIT_NOT_SUPPORTED")
    );
    assert_eq!(batch.status, BatchStatus::AwaitingReview);
}

fn harbor() -> Value {
    party("1", "111222333", "HARBOR RX WHOLESALE")
}

/// ZEN-2026-200 (`845_5010_originals.x12`, set 0002): the syringe priced with CTP01 classes.
fn zen_200(rows: &[(Option<&str>, &str, &str)]) -> Contract {
    contract(
        "ZEN-2026-200",
        harbor(),
        vec![
            eligible("PI", "340BNS0091", "NORTHSIDE 340B PHARMACY"),
            eligible("11", "BM1234563", "MERCY GENERAL HOSPITAL"),
        ],
        item("1", "312345000035", rows),
    )
}

/// Harbor RX's 844 HRX-DM-000782 (`844_4010_pipe_bang.x12`, set 0002): 1000 syringes for
/// Northside at 3.10 - 2.3575, with no class of trade (or the one given).
fn harbor_claim(class: Option<&str>, contract_price: &str, amount: &str) -> Claim {
    let mut line = json!({
        "line": "1",
        "transfer_type": "CS",
        "contract_id": "ZEN-2026-200",
        "end_customer": party("PI", "340BNS0091", "NORTHSIDE 340B PHARMACY"),
        "item": {"qualifier": "UP", "id": "312345000035"},
        "quantity": "1000",
        "uom": "EA",
        "wac": "3.10",
        "reference_price_basis": "WH",
        "contract_price": contract_price,
        "claimed_amount": amount,
        "invoice": "HRX-INV-56010",
        "invoice_date": "2026-11-15",
    });
    if let Some(class) = class {
        line["class_of_trade"] = json!(class);
    }
    serde_json::from_value(json!({
        "source": source("harborrx"),
        "action": "original",
        "debit_memo": "HRX-DM-000782",
        "date": "2026-11-25",
        "supplier": zenith(),
        "distributor": harbor(),
        "lines": [line],
        "total_claimed": amount,
        "line_count": 1,
    }))
    .unwrap_or_else(|e| panic!("claim: {e}"))
}

/// `status reason AAA03 AAA04 approved` of the one line, and the 849 AAA of it.
fn adjudicated(contract: &Contract, claim: &Claim) -> (String, String) {
    let settings = EngineSettings::default();
    let run = adjudicate(
        claim,
        &book(std::slice::from_ref(contract)),
        &settings,
        date("2026-11-25"),
    );
    let l = &run.report.lines[0];
    let row = format!(
        "{:?} {} {} {} {}",
        l.status,
        l.reason.map_or("-", |r| r.code()),
        l.x12_code.as_deref().unwrap_or("-"),
        l.follow_up.as_deref().unwrap_or("-"),
        l.approved_amount
    );
    let header = ResponseHeader {
        source: outbound(),
        date: date("2026-11-25"),
        credit_memo: None,
    };
    let Some(response) = run.response(claim, header, &settings) else {
        panic!("an 849 is owed")
    };
    let r = &response.lines[0];
    let aaa = format!(
        "{:?} {} {}",
        r.status,
        r.reason_code.as_deref().unwrap_or("-"),
        r.follow_up.map_or("-", |f| f.code())
    );
    (row, aaa)
}

#[test]
fn an_item_priced_for_one_class_prices_a_line_of_unknown_class() {
    // CTP*HS*CON*2.3575 and CTP*HS*CAT*3.10: one class, so one price.
    let zen = zen_200(&[(Some("HS"), "2.3575", "3.10")]);
    let (row, aaa) = adjudicated(&zen, &harbor_claim(None, "2.3575", "742.50"));
    assert_eq!(row, "Accepted - - - 742.50");
    assert_eq!(aaa, "Accepted - -");
    // The same with CTP01 blank (the probe's zen_orig_noCOT.x12) was already accepted.
    let blank = zen_200(&[(None, "2.3575", "3.10")]);
    assert_eq!(
        adjudicated(&blank, &harbor_claim(None, "2.3575", "742.50")).0,
        "Accepted - - - 742.50"
    );
}

#[test]
fn classes_that_price_an_item_differently_dispute_a_line_of_unknown_class_for_its_class() {
    let zen = zen_200(&[
        (Some("HS"), "2.3575", "3.10"),
        (Some("PH"), "2.6000", "3.10"),
    ]);
    // Not "product not on the price authorization" (03): the class that picks the price is
    // missing (15, correct and resubmit).
    let (row, aaa) = adjudicated(&zen, &harbor_claim(None, "2.3575", "742.50"));
    assert_eq!(row, "EligibilityDisputed CLASS_OF_TRADE_UNKNOWN 15 C 0.00");
    assert_eq!(aaa, "Rejected 15 C");
    // Told its class (REF with the profile's class_of_trade_ref), the line is priced at that
    // class's price.
    assert_eq!(
        adjudicated(&zen, &harbor_claim(Some("HS"), "2.3575", "742.50")).0,
        "Accepted - - - 742.50"
    );
    assert_eq!(
        adjudicated(&zen, &harbor_claim(Some("PH"), "2.60", "500.00")).0,
        "Accepted - - - 500.00"
    );
    // So is a line for a customer the 845 lists with its class (N1*EB with that REF).
    let mut listed = zen.clone();
    listed.eligible[0].class_of_trade = Some("PH".into());
    assert_eq!(
        adjudicated(&listed, &harbor_claim(None, "2.60", "500.00")).0,
        "Accepted - - - 500.00"
    );
    // A class the item has no price for: not on the contract for that class (03).
    assert_eq!(
        adjudicated(&zen, &harbor_claim(Some("LC"), "2.3575", "742.50")).0,
        "EligibilityDisputed ITEM_NOT_ON_CONTRACT 03 N 0.00"
    );
    // Classes that agree on the price leave nothing to choose.
    let alike = zen_200(&[
        (Some("HS"), "2.3575", "3.10"),
        (Some("PH"), "2.3575", "3.10"),
    ]);
    assert_eq!(
        adjudicated(&alike, &harbor_claim(None, "2.3575", "742.50")).0,
        "Accepted - - - 742.50"
    );
}

/// A price for named parties (a CTP-level N1 loop, x12-chargeback §4): ZEN-2026-200's syringe
/// at 2.3575 for every eligible party, and at 2.10 for Northside only (the WAC stated once,
/// on the price for every party).
fn zen_200_northside_price() -> Contract {
    let mut zen = zen_200(&[(None, "2.3575", "3.10"), (None, "2.10", "3.10")]);
    zen.items[1].wac = None;
    zen.items[1].parties = vec![
        serde_json::from_value(party("PI", "340BNS0091", "NORTHSIDE 340B PHARMACY"))
            .unwrap_or_else(|e| panic!("party: {e}")),
    ];
    zen
}

#[test]
fn a_price_for_named_parties_prices_their_sales_only() {
    let zen = zen_200_northside_price();
    // Northside (named): 1000 × (3.10 − 2.10).
    assert_eq!(
        adjudicated(&zen, &harbor_claim(None, "2.10", "1000.00")).0,
        "Accepted - - - 1000.00"
    );
    // Claimed at the price for every party, Northside's line is told its own.
    assert_eq!(
        adjudicated(&zen, &harbor_claim(None, "2.3575", "742.50")).0,
        "AmountDisputed CONTRACT_PRICE_MISMATCH 06 N 742.50"
    );
    // Mercy (eligible, not named) is priced at 2.3575, never at Northside's 2.10.
    let mut mercy = harbor_claim(None, "2.3575", "742.50");
    mercy.lines[0].end_customer =
        serde_json::from_value(party("11", "BM1234563", "MERCY GENERAL HOSPITAL"))
            .unwrap_or_else(|e| panic!("party: {e}"));
    assert_eq!(adjudicated(&zen, &mercy).0, "Accepted - - - 742.50");
    let mut cheaper = mercy.clone();
    cheaper.lines[0].contract_price = "2.10".parse().unwrap_or_default();
    cheaper.lines[0].claimed_amount = "1000.00".parse().unwrap_or_default();
    cheaper.total_claimed = cheaper.lines[0].claimed_amount;
    assert_eq!(
        adjudicated(&zen, &cheaper).0,
        "AmountDisputed CONTRACT_PRICE_MISMATCH 06 N 742.50"
    );
    // An item priced for named parties only is not on the contract for anyone else.
    let mut only_named = zen.clone();
    only_named.items.remove(0);
    assert_eq!(
        adjudicated(&only_named, &mercy).0,
        "EligibilityDisputed ITEM_NOT_ON_CONTRACT 03 N 0.00"
    );
    // The book keeps the parties when it is stored and read back.
    let kept = book(std::slice::from_ref(&zen));
    let json = serde_json::to_string(&kept).unwrap_or_else(|e| panic!("book: {e}"));
    let back: ContractBook = serde_json::from_str(&json).unwrap_or_else(|e| panic!("book: {e}"));
    assert_eq!(back, kept);
}
