//! The sample story of `samples/README.md`: ACME's 845 (SPA-2026-0042), GOOD DRUG's 844
//! (GDD-CB-20261115-0001) and ACME's 849, run through the engine from both sides.
//!
//! The documents are the checked-in compatibility examples of `schemas/compat/`, which carry the
//! values of `samples/845_4010_contract.x12`, `844_4010_claim.x12` and `849_4010_response.x12`.

use chrono::NaiveDate;
use engine::EngineSettings;
use engine::adjudicate::{ResponseHeader, adjudicate};
use engine::contracts::ContractBook;
use schemas::{Claim, ClaimResponse, Contract, Document};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

fn contract() -> Contract {
    match serde_json::from_str(include_str!("../../../schemas/compat/contract.v1.json")) {
        Ok(Document::Contract(c)) => c,
        other => panic!("{other:?}"),
    }
}

fn claim() -> Claim {
    match serde_json::from_str(include_str!("../../../schemas/compat/claim.v1.json")) {
        Ok(Document::Claim(c)) => c,
        other => panic!("{other:?}"),
    }
}

fn response() -> ClaimResponse {
    match serde_json::from_str(include_str!(
        "../../../schemas/compat/claim_response.v1.json"
    )) {
        Ok(Document::ClaimResponse(r)) => r,
        other => panic!("{other:?}"),
    }
}

fn acme_book() -> ContractBook {
    let mut book = ContractBook::new();
    if let Err(e) = book.apply(&contract()) {
        panic!("{e}");
    }
    book
}

/// The compat documents are the sample X12 files: spot-check the values the story rests on.
#[test]
fn compat_documents_carry_the_sample_values() {
    let contract = contract();
    assert_eq!(contract.contract_id, "SPA-2026-0042");
    assert_eq!(contract.eligible.len(), 3);
    let prices: Vec<String> = contract
        .items
        .iter()
        .map(|i| format!("{} {:?} {:?}", i.item.id, i.contract_price, i.wac))
        .collect();
    assert_eq!(
        prices,
        [
            "12345010001 Some(12.50) Some(18.75)",
            "12345020101 Some(30.00) Some(42.00)",
            "12345030005 Some(48.25) Some(65.00)"
        ]
    );
    let claim = claim();
    assert_eq!(claim.debit_memo, "GDD-CB-20261115-0001");
    assert_eq!(claim.lines.len(), 6);
    assert_eq!(claim.total_claimed.to_string(), "255.25");
    assert_eq!(
        claim.quantity_total.map(|q| q.to_string()).as_deref(),
        Some("26")
    );
}

/// Supplier side: adjudicating the 844 gives exactly the sample 849.
#[test]
fn adjudicating_the_sample_844_gives_the_sample_849() {
    let settings = EngineSettings::default();
    let claim = claim();
    let run = adjudicate(&claim, &acme_book(), &settings, date("2026-11-18"));
    let outcome: Vec<String> = run
        .report
        .lines
        .iter()
        .map(|l| {
            format!(
                "{} {:?} {} {} {}",
                l.line,
                l.status,
                l.reason.map_or("-", |r| r.code()),
                l.x12_code.as_deref().unwrap_or("-"),
                l.approved_amount
            )
        })
        .collect();
    assert_eq!(
        outcome,
        [
            "1 Accepted - - 62.50",
            "2 Accepted - - 48.00",
            "3 AmountDisputed CONTRACT_PRICE_MISMATCH 06 100.50",
            "4 Accepted - - 12.50",
            "5 EligibilityDisputed ITEM_NOT_ON_CONTRACT 03 0.00",
            "6 EligibilityDisputed CONTRACT_NOT_STARTED 19 0.00",
        ]
    );
    assert_eq!(run.report.lines[5].follow_up.as_deref(), Some("C"));
    assert_eq!(run.report.total_claimed.to_string(), "255.25");
    assert_eq!(run.report.total_approved.to_string(), "223.50");

    let expected = response();
    let header = ResponseHeader {
        source: expected.source.clone(),
        date: expected.date,
        credit_memo: expected.credit_memo.clone(),
    };
    let built = run.response(&claim, header, &settings);
    assert_eq!(built.as_ref(), Some(&expected));
}
