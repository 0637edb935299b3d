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

/// The distributor's ERP copy of SPA-2026-0042 before ACME's 845 was loaded: it starts
/// 2026-10-01, is open to any customer, prices 12345030005 at 45.00 and lists 12345099901.
/// Claiming against it gives exactly the sample 844, "as sent" in §4.4.
fn stale_copy() -> Contract {
    let mut copy = contract();
    copy.source.file = "0".repeat(64);
    copy.source.interchange = "manual-1".into();
    copy.effective = date("2026-10-01");
    copy.gpo = None;
    copy.eligible.clear();
    for item in &mut copy.items {
        item.start = None;
    }
    copy.items[2].contract_price = "45.00".parse().ok();
    let mut extra = copy.items[0].clone();
    extra.line = "4".into();
    extra.item.id = "12345099901".into();
    extra.item.other_ids.clear();
    extra.contract_price = "8.00".parse().ok();
    extra.wac = "10.00".parse().ok();
    copy.items.push(extra);
    copy
}

/// Claimant side: the batch is claimed as sent (255.25), ACME's 849 is reconciled: lines 1, 2
/// and 4 paid, 3 adjusted and accepted (ACME's 48.25 equals our copy once synced), 5 and 6
/// rejected and routed; an automatic split of 31.75; the credit memo settles 223.50.
#[test]
fn claimant_reconciles_the_sample_849() {
    use engine::audit::Actor;
    use engine::batch::{Batch, BatchHeader, BatchKind, BatchStatus, Ledgers};
    use engine::caps::CapLedger;
    use engine::claims::{
        Approval, ClaimLinePlace, ClaimRecord, ClaimStatus, ClaimedFromLine, Instrument,
        LineOutcome, SettlementMethod, claim_number,
    };
    use engine::duplicates::LineHistory;
    use engine::reconcile::{ReconcileContext, reconcile, recovery_rate};
    use engine::sale::SaleLine;
    use engine::settings::Role;

    let settings = EngineSettings::default();
    let mut book = ContractBook::new();
    if let Err(e) = book.apply(&stale_copy()) {
        panic!("{e}");
    }
    let sample = claim();
    let header = BatchHeader {
        id: "GDD-B-20261115".into(),
        number: "GDD-B-20261115".into(),
        name: "ACME daily".into(),
        kind: BatchKind::ErpExtract,
        role: Role::Claimant,
        distributor: sample.distributor.clone(),
        supplier: sample.supplier.clone(),
        currency: "USD".into(),
        file_name: None,
        debit_memo: None,
        received_at: date("2026-11-15"),
        claim_date: date("2026-11-15"),
        corrects_batch_id: None,
    };
    let sales = sample.lines.iter().map(SaleLine::from).collect();
    let today = date("2026-11-15");
    let (mut batch, _) = Batch::open(header, &settings, sales, &Actor::System, today);
    let mut history = LineHistory::new();
    let mut caps = CapLedger::new();
    let out = {
        let mut ledgers = Ledgers {
            book: &book,
            history: &mut history,
            caps: &mut caps,
        };
        batch.process(&mut ledgers, today)
    };
    let cut = match out.map(|o| o.claim) {
        Ok(Some(cut)) => cut,
        other => panic!("no claim: {other:?}"),
    };
    assert_eq!(batch.status, BatchStatus::Closed);
    assert_eq!(cut.amount.to_string(), "255.25");

    let number = match claim_number("GDD-CB", date("2026-11-15"), 1) {
        Ok(n) => n,
        Err(e) => panic!("{e}"),
    };
    let (mut record, _) = ClaimRecord::from_batch(&batch, &cut, number, today);
    // The 844 built from the claim is the sample 844.
    assert_eq!(record.to_844(sample.source.clone()), sample);
    // Each unanswered line is kept without its batch line's sale and rebuilt from it.
    let sale_of = |line: &engine::claims::ClaimLineRecord| {
        let origin = line.origin.as_ref().map(|o| o.line.clone());
        batch
            .lines
            .iter()
            .find(|b| Some(&b.sale.line) == origin.as_ref())
            .map(|b| b.sale.clone())
            .unwrap_or_else(|| panic!("no batch line for claim line {}", line.line))
    };
    let place_of = |line: &engine::claims::ClaimLineRecord| ClaimLinePlace {
        number: line.line.parse().unwrap_or_else(|e| panic!("{e}")),
        batch: &batch.header.id,
    };
    for line in &record.lines {
        let sale = sale_of(line);
        let compact = ClaimedFromLine::of(line, &sale, place_of(line))
            .unwrap_or_else(|| panic!("claim line {} not rebuilt from its sale", line.line));
        let stored = serde_json::to_string(&compact).unwrap_or_default();
        // Only what the sale and the row do not say: the amount and the prices claimed.
        assert!(!stored.contains("end_customer"), "{stored}");
        assert!(!stored.contains("origin"), "{stored}");
        assert!(stored.contains("claimed_amount"), "{stored}");
        let read: ClaimedFromLine = serde_json::from_str(&stored).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&read.clone().with_sale(sale.clone(), place_of(line)), line);
        // At another place (another row number, another batch) it is another line.
        let elsewhere = ClaimLinePlace {
            number: place_of(line).number + 1,
            batch: "another-batch",
        };
        assert_ne!(&read.with_sale(sale.clone(), elsewhere), line);
        // A line kept before only the differences were (every field written) reads the same.
        let whole_form = serde_json::json!({
            "line": line.line,
            "origin": line.origin,
            "contract_id": line.contract_id,
            "claimed_quantity": line.claimed_quantity,
            "claimed_amount": line.claimed_amount,
            "claimed_contract_price": line.sale.claimed_contract_price,
            "claimed_reference_price": line.sale.claimed_reference_price,
        });
        let read: ClaimedFromLine =
            serde_json::from_value(whole_form).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&read.with_sale(sale, elsewhere), line);
    }

    let user = Actor::user("ops");
    assert!(
        record
            .approve(&Approval::Approver("lead".into()), &user, today)
            .is_ok()
    );
    assert!(record.mark_sent(today).is_ok());
    assert!(
        record
            .acknowledged(true, "acmepharma", date("2026-11-16"))
            .is_ok()
    );

    // ACME's 845 reaches our book before its 849.
    if let Err(e) = book.apply(&contract()) {
        panic!("{e}");
    }
    let response = response();
    let ctx = ReconcileContext {
        book: &book,
        settings: &settings,
        today: date("2026-11-18"),
        sender: "ACMEPHARMA",
        interchange: "000000103",
    };
    let result = match reconcile(
        &mut record,
        &response,
        &ctx,
        "GDD-CB-20261115-0001-S1".into(),
    ) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let lines: Vec<String> = result
        .lines
        .iter()
        .map(|l| {
            format!(
                "{} {:?} unpaid={} {:?}",
                l.line, l.outcome, l.unpaid, l.route
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "1 Paid unpaid=0.00 None",
            "2 Paid unpaid=0.00 None",
            "3 Adjusted unpaid=19.50 Some(Accept { automatic: false, contract_sync_alert: false })",
            "4 Paid unpaid=0.00 None",
            "5 Rejected unpaid=6.00 Some(Accept { automatic: false, contract_sync_alert: false })",
            "6 Rejected unpaid=6.25 Some(Resubmit)",
        ]
    );
    assert!(result.consistent);
    assert_eq!(record.status, ClaimStatus::SettlementPending);
    let split = result.split.as_ref().map(|s| {
        (
            s.number.clone(),
            s.amount.to_string(),
            s.automatic,
            s.parent.clone(),
        )
    });
    assert_eq!(
        split,
        Some((
            "GDD-CB-20261115-0001-S1".into(),
            "31.75".into(),
            true,
            Some("GDD-CB-20261115-0001".into())
        ))
    );
    assert_eq!(record.remaining().to_string(), "223.50");
    let first_pass = record
        .lines
        .iter()
        .filter(|l| l.outcome == Some(LineOutcome::Paid))
        .count();
    assert_eq!(first_pass, 3);
    // An answered line is not what its batch line's sale rebuilds: it is kept whole.
    for line in &record.lines {
        assert!(
            ClaimedFromLine::of(line, &sale_of(line), place_of(line)).is_none(),
            "{}",
            line.line
        );
    }

    // The same 849 again changes nothing.
    let again = reconcile(&mut record, &response, &ctx, "X".into());
    assert_eq!(again.map(|r| r.already_applied), Ok(true));

    // Credit memo ACME-CR-556677 settles the parent at 223.50.
    let memo = Instrument {
        method: SettlementMethod::CreditMemoOnAccount,
        number: "ACME-CR-556677".into(),
        date: date("2026-11-25"),
        amount: "223.50".parse().unwrap_or_default(),
        mass_settlement: None,
    };
    assert!(matches!(
        record.settle(memo, &Actor::System, date("2026-11-25")),
        Ok(Some(_))
    ));
    assert_eq!(record.status, ClaimStatus::Settled);
    assert_eq!(
        recovery_rate(record.settled(), record.amount)
            .map(|r| r.to_string())
            .as_deref(),
        Some("87.56")
    );

    // Line 6 goes back as a resubmission with the partner suffix (§7.5).
    let resubmission = record.resubmission(
        &["6".into()],
        &settings.resubmission_suffix,
        settings.resubmission_limit,
        date("2026-11-20"),
    );
    let resubmission = resubmission.map(|r| {
        (
            r.number.clone(),
            r.to_844(sample.source.clone()).action,
            r.amount.to_string(),
        )
    });
    assert_eq!(
        resubmission,
        Ok((
            "GDD-CB-20261115-0001-R1".into(),
            schemas::Action::Resubmission,
            "6.25".into()
        ))
    );
}
