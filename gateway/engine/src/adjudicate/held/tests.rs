//! The adjudicator's batch on the worked example of §4.4. §13.1 `hold`: the batch rests
//! Awaiting Review, a reviewer works it, and its end is answered with the 849 the spec gives.
//! Answered at once (`pay_calculated`, `reject`): what the run pays is claimed on claim #1,
//! the rest rejected, and the batch answers as the run did.

use super::*;
use crate::adjudicate::adjudicate;
use crate::audit::Actor;
use crate::batch::{BatchAction, BatchHeader, Ledgers};
use crate::caps::CapLedger;
use crate::duplicates::LineHistory;
use crate::rules::tests::{date, sample_book as book, sample_claim, sample_header};
use crate::settings::{EngineSettings, UnattendedAmountDisputes};
use chrono::NaiveDate;
use schemas::LineStatus as Answer;

fn today() -> NaiveDate {
    date("2026-11-18")
}

fn settings(mode: BatchMode, unattended: UnattendedAmountDisputes) -> EngineSettings {
    EngineSettings {
        batch_mode: mode,
        unattended_amount_disputes: unattended,
        ..EngineSettings::default()
    }
}

fn header() -> ResponseHeader {
    ResponseHeader {
        source: sample_claim().source,
        date: today(),
        credit_memo: None,
    }
}

/// The sample claim adjudicated under `hold` and kept as a batch, as `claim_in` keeps it.
fn held_batch(mode: BatchMode) -> Batch {
    let settings = settings(mode, UnattendedAmountDisputes::Hold);
    let claim = sample_claim();
    let run = adjudicate(&claim, &book(), &settings, today());
    assert!(run.held);
    let sales = claim.lines.iter().map(SaleLine::from).collect();
    let kept = run.batch(sales, mode);
    Batch {
        header: BatchHeader {
            number: "gooddrug/GDD-CB-20261115-0001".into(),
            received_at: today(),
            ..sample_header("B")
        },
        settings,
        mode,
        status: kept.status,
        lines: kept.lines,
        claims: kept.claims,
    }
}

fn act(batch: &mut Batch, actions: &[BatchAction]) {
    let book = book();
    let mut history = LineHistory::new();
    let mut caps = CapLedger::new();
    for action in actions {
        let mut ledgers = Ledgers {
            book: &book,
            history: &mut history,
            caps: &mut caps,
        };
        if let Err(e) = batch.apply(action, &Actor::User("ann".into()), &mut ledgers, today()) {
            panic!("{action:?}: {e}");
        }
    }
}

fn statuses(batch: &Batch) -> String {
    let lines: Vec<String> = batch
        .lines
        .iter()
        .map(|l| {
            format!(
                "{}:{:?}{}",
                l.sale.line,
                l.status,
                l.claim.map_or(String::new(), |c| format!("#{c}"))
            )
        })
        .collect();
    format!("{:?} {}", batch.status, lines.join(" "))
}

#[test]
fn a_held_immediate_claim_batch_claims_its_valid_lines_and_waits_13_1() {
    let batch = held_batch(BatchMode::ImmediateClaim);
    assert_eq!(
        statuses(&batch),
        "AwaitingReview 1:Claimed#1 2:Claimed#1 3:AmountDisputed 4:Claimed#1 \
         5:EligibilityDisputed 6:EligibilityDisputed"
    );
    assert_eq!(batch.claims.len(), 1);
    assert_eq!(batch.claims[0].amount.to_string(), "123.00");
    assert_eq!(batch_answer(&batch, header()), None, "no 849 while held");
}

/// §4.4 "Adjudicator, Immediate Claim": Accept Calculated Amount on line 3, Pay and Close;
/// the 849 is the one `pay_calculated` answers at once (`849_4010_response.x12`).
#[test]
fn worked_example_reviewed_answers_as_the_sample_849_4_4() {
    let mut batch = held_batch(BatchMode::ImmediateClaim);
    act(
        &mut batch,
        &[
            BatchAction::AcceptCalculated { line: "3".into() },
            BatchAction::PayAndClose,
        ],
    );
    assert_eq!(
        statuses(&batch),
        "Closed 1:Claimed#1 2:Claimed#1 3:Claimed#2 4:Claimed#1 5:Rejected 6:Rejected"
    );
    let Some((report, answer)) = batch_answer(&batch, header()) else {
        panic!("a closed batch is answered");
    };
    let unattended = settings(
        BatchMode::ImmediateClaim,
        UnattendedAmountDisputes::PayCalculated,
    );
    let at_once = adjudicate(&sample_claim(), &book(), &unattended, today());
    let Some(expected) = at_once.response(&sample_claim(), header(), &unattended) else {
        panic!("pay_calculated answers at once");
    };
    assert_eq!(answer, expected);
    assert_eq!(report, at_once.report);
    assert_eq!(answer.total_approved.to_string(), "223.50");
    assert_eq!(answer.total_claimed.to_string(), "255.25");
    let line3 = &answer.lines[2];
    assert_eq!(line3.status, Answer::Adjusted);
    assert_eq!(line3.reason_code.as_deref(), Some("06"));
    assert_eq!(
        line3
            .approved_contract_price
            .map(|p| p.to_string())
            .as_deref(),
        Some("48.25")
    );
}

/// Review and Claim: the valid lines wait Accepted; a reviewer rejects the disputed line
/// (L6) and reverses one acceptance (L11); the reversed line is answered `10`/`N`.
#[test]
fn review_and_claim_rejections_are_answered_with_their_codes() {
    let mut batch = held_batch(BatchMode::ReviewAndClaim);
    assert_eq!(
        statuses(&batch),
        "AwaitingReview 1:Accepted 2:Accepted 3:AmountDisputed 4:Accepted \
         5:EligibilityDisputed 6:EligibilityDisputed"
    );
    assert!(batch.claims.is_empty());
    act(
        &mut batch,
        &[
            BatchAction::Reject {
                line: "3".into(),
                reason: RejectReason::AmountDisputed,
            },
            BatchAction::ReverseAcceptance {
                line: "4".into(),
                reason: RejectReason::Withdrawn,
            },
            BatchAction::PayAndClose,
        ],
    );
    assert_eq!(
        statuses(&batch),
        "Closed 1:Claimed#1 2:Claimed#1 3:Rejected 4:Rejected 5:Rejected 6:Rejected"
    );
    let Some((report, answer)) = batch_answer(&batch, header()) else {
        panic!("a closed batch is answered");
    };
    let codes: Vec<String> = answer
        .lines
        .iter()
        .map(|l| {
            format!(
                "{} {:?} {} {} {}",
                l.line,
                l.status,
                l.reason_code.as_deref().unwrap_or("-"),
                l.follow_up.map_or("-", |f| f.code()),
                l.approved_amount
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            "1 Accepted - - 62.50",
            "2 Accepted - - 48.00",
            "3 Rejected 06 N 0.00",
            "4 Rejected 10 N 0.00",
            "5 Rejected 03 N 0.00",
            "6 Rejected 19 C 0.00",
        ]
    );
    assert_eq!(answer.total_approved.to_string(), "110.50");
    assert_eq!(report.total_approved, answer.total_approved);
}

/// §13.1 over B2: held with no valid line, the batch still waits for its reviewer; Pay and
/// Close then rejects it (B9) and every line is answered.
#[test]
fn a_held_batch_with_no_valid_line_waits_and_its_rejection_is_answered() {
    let settings = settings(BatchMode::ReviewAndClaim, UnattendedAmountDisputes::Hold);
    let mut claim = sample_claim();
    claim.lines.retain(|l| l.line == "3" || l.line == "5");
    claim.total_claimed = claim.lines.iter().map(|l| l.claimed_amount).sum();
    let run = adjudicate(&claim, &book(), &settings, today());
    let kept = run.batch(
        claim.lines.iter().map(SaleLine::from).collect(),
        settings.batch_mode,
    );
    assert_eq!(kept.status, BatchStatus::AwaitingReview);
    let mut batch = held_batch(BatchMode::ReviewAndClaim);
    batch.lines = kept.lines;
    batch.claims = kept.claims;
    act(&mut batch, &[BatchAction::PayAndClose]);
    assert_eq!(statuses(&batch), "Rejected 3:Rejected 5:Rejected");
    let Some((_, answer)) = batch_answer(&batch, header()) else {
        panic!("a rejected batch is answered");
    };
    assert_eq!(answer.lines.len(), 2);
    assert!(answer.lines.iter().all(|l| l.status == Answer::Rejected));
    assert_eq!(answer.total_approved.to_string(), "0.00");
    assert_eq!(answer.total_claimed.to_string(), "126.00");
}

/// The sample claim adjudicated unattended (not held) and kept as a batch, as `claim_in`
/// keeps it, with the run.
fn answered_batch(
    mode: BatchMode,
    unattended: UnattendedAmountDisputes,
) -> (AdjudicationRun, Batch) {
    let settings = settings(mode, unattended);
    let claim = sample_claim();
    let run = adjudicate(&claim, &book(), &settings, today());
    assert!(!run.held);
    let kept = run.batch(claim.lines.iter().map(SaleLine::from).collect(), mode);
    let batch = Batch {
        header: BatchHeader {
            number: "gooddrug/GDD-CB-20261115-0001".into(),
            received_at: today(),
            ..sample_header("B")
        },
        settings,
        mode,
        status: kept.status,
        lines: kept.lines,
        claims: kept.claims,
    };
    (run, batch)
}

/// §13.1 `pay_calculated`: line 3 (claimed 120.00, `CONTRACT_PRICE_MISMATCH`) is paid the
/// calculated 100.50, so it is Claimed at 100.50 on claim #1 with lines 1, 2 and 4, its failed
/// rule kept; lines 5 and 6, paid nothing, are Rejected with their reason and no claim.
#[test]
fn pay_calculated_claims_the_lines_it_pays_on_claim_1_13_1() {
    for mode in [BatchMode::ImmediateClaim, BatchMode::ReviewAndClaim] {
        let (_, batch) = answered_batch(mode, UnattendedAmountDisputes::PayCalculated);
        assert_eq!(
            statuses(&batch),
            "Closed 1:Claimed#1 2:Claimed#1 3:Claimed#1 4:Claimed#1 5:Rejected 6:Rejected",
            "{mode:?}"
        );
        let line3 = &batch.lines[2];
        assert_eq!(
            line3.accepted_amount.map(|a| a.to_string()).as_deref(),
            Some("100.50")
        );
        assert_eq!(line3.accepted_quantity, Some(line3.sale.quantity));
        assert_eq!(
            line3.sale.claimed_amount.map(|a| a.to_string()).as_deref(),
            Some("120.00")
        );
        assert_eq!(line3.reject_reason, None);
        let v = line3.validation.as_ref().expect("validation kept");
        assert_eq!(v.status, LineStatus::AmountDisputed);
        assert_eq!(v.primary, Some(ReasonCode::ContractPriceMismatch));
        let accepted: Vec<String> = batch
            .lines
            .iter()
            .map(|l| l.accepted_amount.map_or("-".to_owned(), |a| a.to_string()))
            .collect();
        assert_eq!(accepted, ["62.50", "48.00", "100.50", "12.50", "-", "-"]);
        for rejected in &batch.lines[4..] {
            assert_eq!(rejected.claim, None);
            assert_eq!(
                rejected.reject_reason,
                Some(RejectReason::EligibilityDisputed)
            );
        }
        assert_eq!(batch.claims.len(), 1);
        assert_eq!(batch.claims[0].seq, 1);
        assert_eq!(batch.claims[0].lines, ["1", "2", "3", "4"]);
        assert_eq!(batch.claims[0].amount.to_string(), "223.50");
    }
}

/// §13.1 `reject`: line 3 is approved nothing, so it is Rejected (`AMOUNT_DISPUTED`) and claim
/// #1 holds lines 1, 2 and 4 for 123.00.
#[test]
fn reject_leaves_the_amount_disputed_line_off_the_claim_13_1() {
    let (_, batch) = answered_batch(BatchMode::ImmediateClaim, UnattendedAmountDisputes::Reject);
    assert_eq!(
        statuses(&batch),
        "Closed 1:Claimed#1 2:Claimed#1 3:Rejected 4:Claimed#1 5:Rejected 6:Rejected"
    );
    assert_eq!(
        batch.lines[2].reject_reason,
        Some(RejectReason::AmountDisputed)
    );
    assert_eq!(batch.lines[2].accepted_amount, None);
    assert_eq!(batch.claims[0].lines, ["1", "2", "4"]);
    assert_eq!(batch.claims[0].amount.to_string(), "123.00");
}

/// §7.7: the batch a run answered at once is answered by `batch_answer` exactly as the run
/// answered it (the sample 849 for `pay_calculated`: line 3 `06`, `N`, 100.50).
#[test]
fn the_batch_answered_at_once_answers_as_the_run_did_7_7() {
    for unattended in [
        UnattendedAmountDisputes::PayCalculated,
        UnattendedAmountDisputes::Reject,
    ] {
        let (run, batch) = answered_batch(BatchMode::ImmediateClaim, unattended);
        let Some((report, answer)) = batch_answer(&batch, header()) else {
            panic!("a closed batch is answered");
        };
        let sent = run.response(&sample_claim(), header(), &batch.settings);
        assert_eq!(Some(answer), sent, "{unattended:?}");
        assert_eq!(report, run.report, "{unattended:?}");
    }
    let (_, batch) = answered_batch(
        BatchMode::ImmediateClaim,
        UnattendedAmountDisputes::PayCalculated,
    );
    let Some((_, answer)) = batch_answer(&batch, header()) else {
        panic!("a closed batch is answered");
    };
    let line3 = &answer.lines[2];
    assert_eq!(
        (
            line3.status,
            line3.reason_code.as_deref(),
            line3.follow_up.map(|f| f.code()),
            line3.approved_amount.to_string()
        ),
        (Answer::Adjusted, Some("06"), Some("N"), "100.50".to_owned())
    );
    assert_eq!(answer.total_approved.to_string(), "223.50");
}

/// §5.1 with §13.1 `pay_calculated`: line 3 (6 CA of 12345030005, the wrong contract price)
/// is paid at the calculated amount, so it takes 6 of a 10 CA cap, as an accepted line would;
/// a later line of 5 CA in the same claim finds 4 left (`CAP_EXCEEDED`, 04).
#[test]
fn a_line_paid_at_the_calculated_amount_takes_its_cap_5_1() {
    let mut claim = sample_claim();
    let mut later = claim.lines[2].clone();
    later.line = "7".into();
    later.invoice = "INV0098178".into();
    later.quantity = "5".parse().unwrap_or_default();
    later.contract_price = "48.25".parse().unwrap_or_default();
    later.claimed_amount = "83.75".parse().unwrap_or_default();
    claim.lines.push(later);
    claim.total_claimed = claim.lines.iter().map(|l| l.claimed_amount).sum();
    let (mut caps, cap) = cap_on_line_3_item("10");
    let settings = settings(
        BatchMode::ImmediateClaim,
        UnattendedAmountDisputes::PayCalculated,
    );
    let run = run_with_caps(&claim, &settings, &mut caps);
    let approved: Vec<String> = run
        .report
        .lines
        .iter()
        .map(|l| {
            format!(
                "{} {} {}",
                l.line,
                l.x12_code.as_deref().unwrap_or("-"),
                l.approved_amount
            )
        })
        .collect();
    assert_eq!(approved[2], "3 06 100.50");
    assert_eq!(approved[6], "7 04 0.00");
    let line3 = crate::sale::LineRef {
        batch: "B".into(),
        line: "3".into(),
    };
    let held: Vec<String> = caps
        .held_by(&line3)
        .iter()
        .map(|(c, q, a, kind)| format!("{c} {q} {a} {kind:?}"))
        .collect();
    assert_eq!(held, [format!("{cap} 6 100.50 Reserved")]);
    assert_eq!(
        caps.remaining(cap).0.map(|q| q.to_string()).as_deref(),
        Some("4")
    );
    let kept = run.batch(
        claim.lines.iter().map(SaleLine::from).collect(),
        settings.batch_mode,
    );
    assert_eq!(kept.lines[2].status, LineStatus::Claimed);
    assert_eq!(kept.lines[6].status, LineStatus::Rejected);
    assert_eq!(kept.claims[0].lines, ["1", "2", "3", "4"]);
}

/// §13.1 `pay_calculated` with §5.1: line 3 (6 CA, the wrong contract price: V8 fails first)
/// against a 4 CA cap is paid as a capped line: nothing, the cap untouched; with
/// `auto_partial_approve`, the 4 CA left at the calculated price (67.00 of 100.50), the cap
/// then empty. It was paid the whole 100.50, the cap left at -2.
#[test]
fn a_line_failing_v8_and_its_cap_is_paid_as_a_capped_line_13_1() {
    for (partial, approved, left, held) in [
        (false, "0.00", "4", Vec::new()),
        (true, "67.00", "0", vec!["4 67.00 Reserved".to_owned()]),
    ] {
        let claim = sample_claim();
        let (mut caps, cap) = cap_on_line_3_item("4");
        let mut settings = settings(
            BatchMode::ImmediateClaim,
            UnattendedAmountDisputes::PayCalculated,
        );
        settings.auto_partial_approve = partial;
        let run = run_with_caps(&claim, &settings, &mut caps);
        let line3 = &run.report.lines[2];
        assert_eq!(
            (line3.x12_code.as_deref(), line3.approved_amount.to_string()),
            (Some("06"), approved.to_owned()),
            "auto_partial_approve {partial}"
        );
        let line_ref = crate::sale::LineRef {
            batch: "B".into(),
            line: "3".into(),
        };
        let taken: Vec<String> = caps
            .held_by(&line_ref)
            .iter()
            .map(|(_, q, a, kind)| format!("{q} {a} {kind:?}"))
            .collect();
        assert_eq!(taken, held, "auto_partial_approve {partial}");
        assert_eq!(
            caps.remaining(cap).0.map(|q| q.to_string()).as_deref(),
            Some(left),
            "auto_partial_approve {partial}"
        );
    }
}

/// B2: a claim answered at once that pays nothing (only the sample's lines 5 and 6, both
/// Eligibility Disputed) keeps a Rejected batch with no claim, whatever the unattended
/// setting; one that pays something is Closed (B3).
#[test]
fn a_claim_answered_at_once_paying_nothing_is_a_rejected_batch_b2() {
    for unattended in [
        UnattendedAmountDisputes::PayCalculated,
        UnattendedAmountDisputes::Reject,
    ] {
        let settings = settings(BatchMode::ImmediateClaim, unattended);
        let mut claim = sample_claim();
        claim.lines.drain(..4);
        claim.total_claimed = claim.lines.iter().map(|l| l.claimed_amount).sum();
        let run = adjudicate(&claim, &book(), &settings, today());
        let kept = run.batch(
            claim.lines.iter().map(SaleLine::from).collect(),
            BatchMode::ImmediateClaim,
        );
        assert_eq!(kept.status, BatchStatus::Rejected, "{unattended:?}");
        assert!(kept.claims.is_empty(), "{unattended:?}");
        assert!(
            kept.lines.iter().all(|l| l.status == LineStatus::Rejected),
            "{unattended:?}"
        );
        let (_, paid) = answered_batch(BatchMode::ImmediateClaim, unattended);
        assert_eq!(paid.status, BatchStatus::Closed, "{unattended:?}");
    }
}

/// `claim` adjudicated as batch `B` against `caps`, with no history.
fn run_with_caps(
    claim: &Claim,
    settings: &EngineSettings,
    caps: &mut CapLedger,
) -> AdjudicationRun {
    crate::adjudicate::adjudicate_with(
        claim,
        "B",
        &book(),
        settings,
        today(),
        &LineHistory::new(),
        Some(caps),
        None,
    )
}

/// A ledger with one cap of `quantity` CA on SPA-2026-0042's 12345030005 (the sample claim's
/// line 3), and the cap's id.
fn cap_on_line_3_item(quantity: &str) -> (CapLedger, usize) {
    let mut caps = CapLedger::new();
    let cap = caps.add_cap(crate::caps::Cap {
        scope: crate::caps::CapScope {
            contract: "SPA-2026-0042".into(),
            item: "NDC:12345030005".into(),
            customer: None,
        },
        quantity: quantity.parse().ok(),
        amount: None,
    });
    (caps, cap)
}

/// The customer claim's lines (§7.7) as `claim line: outcome claimed approved AAA03 AAA04`.
fn claim_lines(claim: &crate::claims::ClaimRecord) -> Vec<String> {
    claim
        .lines
        .iter()
        .map(|l| {
            format!(
                "{}: {:?} {} {} {} {}",
                l.line,
                l.outcome,
                l.claimed_amount,
                l.approved_amount.map_or("-".to_owned(), |a| a.to_string()),
                l.reason_code.as_deref().unwrap_or("-"),
                l.follow_up.map_or("-", |f| f.code())
            )
        })
        .collect()
}

/// §7.7: the customer claim answered by its 849 lists the lines its batch claimed, each as the
/// distributor claimed it and as the 849 answers it (line 3: 120.00 claimed, 100.50 approved,
/// adjusted `06`/`N`); lines 5 and 6, paid nothing, are not on it. The same whether the run
/// answered at once or a reviewer ended the held batch (line 3 then on claim #2).
#[test]
fn the_answered_customer_claim_lists_its_claimed_lines_7_7() {
    let expected = [
        "1: Some(Paid) 62.50 62.50 - -",
        "2: Some(Paid) 48.00 48.00 - -",
        "3: Some(Adjusted) 120.00 100.50 06 N",
        "4: Some(Paid) 12.50 12.50 - -",
    ];
    let (run, batch) = answered_batch(
        BatchMode::ImmediateClaim,
        UnattendedAmountDisputes::PayCalculated,
    );
    let Some(response) = run.response(&sample_claim(), header(), &batch.settings) else {
        panic!("pay_calculated answers at once");
    };
    let mut claim = crate::claims::ClaimRecord::received(
        &batch,
        "GDD-CB-20261115-0001".into(),
        run.report.total_approved,
        today(),
    );
    assert!(claim.lines.is_empty());
    claim.answer_received(&batch, &response);
    assert_eq!(claim_lines(&claim), expected);
    assert_eq!(claim.amount.to_string(), "223.50");
    assert_eq!(claim.approved().to_string(), "223.50");
    let line3 = &claim.lines[2];
    assert_eq!(
        line3
            .origin
            .as_ref()
            .map(|o| (o.batch.as_str(), o.line.as_str())),
        Some(("B", "3"))
    );
    assert_eq!(line3.claimed_quantity.to_string(), "6");
    assert_eq!(
        line3
            .approved_contract_price
            .map(|p| p.to_string())
            .as_deref(),
        Some("48.25")
    );

    let mut held = held_batch(BatchMode::ImmediateClaim);
    act(
        &mut held,
        &[
            BatchAction::AcceptCalculated { line: "3".into() },
            BatchAction::PayAndClose,
        ],
    );
    let Some((_, answer)) = batch_answer(&held, header()) else {
        panic!("a closed batch is answered");
    };
    let mut reviewed = crate::claims::ClaimRecord::received(
        &held,
        "GDD-CB-20261115-0001".into(),
        Decimal::ZERO,
        today(),
    );
    reviewed.answer_received(&held, &answer);
    assert_eq!(claim_lines(&reviewed), expected);
    assert_eq!(reviewed.amount.to_string(), "223.50");
}
