//! One-line cases per batch transition (B1–B10) and line transition (L1–L16), on the sample
//! claim GDD-CB-20261115-0001 against SPA-2026-0042.

use super::*;
use crate::rules::tests::{date, sample_claim, sample_contract, sample_header as header};

struct World {
    book: ContractBook,
    history: LineHistory,
    caps: CapLedger,
}

impl World {
    fn new() -> Self {
        let mut book = ContractBook::new();
        if let Err(e) = book.apply(&sample_contract()) {
            panic!("{e}");
        }
        Self {
            book,
            history: LineHistory::new(),
            caps: CapLedger::new(),
        }
    }

    fn ledgers(&mut self) -> Ledgers<'_> {
        Ledgers {
            book: &self.book,
            history: &mut self.history,
            caps: &mut self.caps,
        }
    }
}

fn today() -> NaiveDate {
    date("2026-11-18")
}

/// The sample batch in a mode, with only the given claim lines (1-based), processed.
fn processed(world: &mut World, mode: BatchMode, lines: &[usize]) -> (Batch, Outcome) {
    let settings = EngineSettings {
        batch_mode: mode,
        ..EngineSettings::default()
    };
    let claim = sample_claim();
    let sales = lines
        .iter()
        .map(|&n| SaleLine::from(&claim.lines[n - 1]))
        .collect();
    let (mut batch, _) = Batch::open(header("B1"), &settings, sales, &Actor::System, today());
    let out = match batch.process(&mut world.ledgers(), today()) {
        Ok(out) => out,
        Err(e) => panic!("{e}"),
    };
    (batch, out)
}

/// `status | line:status ... | claims`.
fn show(batch: &Batch) -> String {
    let lines: Vec<String> = batch
        .lines
        .iter()
        .map(|l| format!("{}:{}", l.sale.line, status_name(&l.status)))
        .collect();
    let claims: Vec<String> = batch
        .claims
        .iter()
        .map(|c| format!("#{}={}", c.seq, c.amount))
        .collect();
    format!(
        "{} | {} | {}",
        status_name(&batch.status),
        lines.join(" "),
        claims.join(" ")
    )
}

fn act(world: &mut World, batch: &mut Batch, action: BatchAction) -> String {
    match batch.apply(
        &action,
        &Actor::user("reviewer"),
        &mut world.ledgers(),
        today(),
    ) {
        Ok(_) => show(batch),
        Err(e) => format!("error: {e}"),
    }
}

fn line(n: &str) -> String {
    n.to_owned()
}

#[test]
fn b1_opens_with_open_lines() {
    let (batch, out) = Batch::open(
        header("B1"),
        &EngineSettings::default(),
        vec![SaleLine::from(&sample_claim().lines[0])],
        &Actor::System,
        today(),
    );
    assert_eq!(show(&batch), "open | 1:open | ");
    assert_eq!(out.events[0].event, "B1 open");
    assert_eq!(batch.mode, BatchMode::ReviewAndClaim);
}

#[test]
fn b2_all_disputed_rejects_the_batch_l13() {
    let (batch, _) = processed(&mut World::new(), BatchMode::ReviewAndClaim, &[3, 5, 6]);
    assert_eq!(
        show(&batch),
        "rejected | 3:rejected 5:rejected 6:rejected | "
    );
    assert_eq!(
        batch.lines[0].reject_reason,
        Some(RejectReason::AmountDisputed)
    );
    assert_eq!(
        batch.lines[1].reject_reason,
        Some(RejectReason::EligibilityDisputed)
    );
}

#[test]
fn b3_every_line_claimable_closes_with_one_claim() {
    let (batch, out) = processed(&mut World::new(), BatchMode::ReviewAndClaim, &[1, 2, 4]);
    assert_eq!(
        show(&batch),
        "closed | 1:claimed 2:claimed 4:claimed | #1=123.00"
    );
    assert_eq!(
        out.claim.map(|c| c.lines),
        Some(vec![line("1"), line("2"), line("4")])
    );
    let (batch, _) = processed(&mut World::new(), BatchMode::ImmediateClaim, &[1, 2, 4]);
    assert_eq!(
        show(&batch),
        "closed | 1:claimed 2:claimed 4:claimed | #1=123.00"
    );
}

#[test]
fn b4_immediate_claim_pays_valid_lines_now_l5() {
    let (batch, _) = processed(
        &mut World::new(),
        BatchMode::ImmediateClaim,
        &[1, 2, 3, 4, 5, 6],
    );
    assert_eq!(
        show(&batch),
        "awaiting_review | 1:claimed 2:claimed 3:amount_disputed 4:claimed 5:eligibility_disputed 6:eligibility_disputed | #1=123.00"
    );
}

#[test]
fn b5_review_and_claim_holds_everything_l4() {
    let (batch, _) = processed(
        &mut World::new(),
        BatchMode::ReviewAndClaim,
        &[1, 2, 3, 4, 5, 6],
    );
    assert_eq!(
        show(&batch),
        "awaiting_review | 1:accepted 2:accepted 3:amount_disputed 4:accepted 5:eligibility_disputed 6:eligibility_disputed | "
    );
}

/// §4.4 story, Review and Claim: accept line 3 at 100.50, Pay and Close: one claim of 223.50.
#[test]
fn b6_pay_and_close_review_and_claim_story() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ReviewAndClaim, &[1, 2, 3, 4, 5, 6]);
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::AcceptCalculated { line: line("3") }
        ),
        "awaiting_review | 1:accepted 2:accepted 3:accepted 4:accepted 5:eligibility_disputed 6:eligibility_disputed | "
    );
    assert_eq!(
        act(&mut world, &mut batch, BatchAction::PayAndClose),
        "closed | 1:claimed 2:claimed 3:claimed 4:claimed 5:rejected 6:rejected | #1=223.50"
    );
    assert_eq!(
        batch.lines[4].reject_reason,
        Some(RejectReason::EligibilityDisputed)
    );
}

/// §4.4 story, Immediate Claim: claim #1 = 123.00, then claim #2 = 100.50.
#[test]
fn b6_pay_and_close_immediate_claim_story() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ImmediateClaim, &[1, 2, 3, 4, 5, 6]);
    act(
        &mut world,
        &mut batch,
        BatchAction::AcceptCalculated { line: line("3") },
    );
    assert_eq!(
        act(&mut world, &mut batch, BatchAction::PayAndClose),
        "closed | 1:claimed 2:claimed 3:claimed 4:claimed 5:rejected 6:rejected | #1=123.00 #2=100.50"
    );
}

#[test]
fn b7_cap_exceeded_at_pay_and_close_keeps_review_l9() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ReviewAndClaim, &[1, 3]);
    act(
        &mut world,
        &mut batch,
        BatchAction::AcceptCalculated { line: line("3") },
    );
    // Another batch consumed the item's cap meanwhile.
    let cap = world.caps.add_cap(crate::caps::Cap {
        scope: crate::caps::CapScope {
            contract: "SPA-2026-0042".into(),
            item: "NDC:12345030005".into(),
            customer: None,
        },
        quantity: Some("10".parse().unwrap_or_default()),
        amount: None,
    });
    let other = LineRef {
        batch: "B0".into(),
        line: "9".into(),
    };
    world.caps.reserve(
        &[cap],
        &other,
        "8".parse().unwrap_or_default(),
        Decimal::ZERO,
        today(),
    );
    world.caps.reserve(
        &[cap],
        &LineRef {
            batch: "B1".into(),
            line: "3".into(),
        },
        "6".parse().unwrap_or_default(),
        Decimal::ZERO,
        today(),
    );
    assert_eq!(
        act(&mut world, &mut batch, BatchAction::PayAndClose),
        "awaiting_review | 1:accepted 3:amount_disputed | "
    );
}

#[test]
fn b8_reject_batch_review_and_claim_only_l12() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ReviewAndClaim, &[1, 3]);
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::RejectBatch { reason: " ".into() }
        ),
        "error: a reason is required"
    );
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::RejectBatch {
                reason: "wrong supplier".into()
            }
        ),
        "rejected | 1:rejected 3:rejected | "
    );
    let (mut batch, _) = processed(&mut world, BatchMode::ImmediateClaim, &[1, 3]);
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::RejectBatch { reason: "x".into() }
        ),
        "error: reject batch is for Review and Claim batches only"
    );
}

#[test]
fn b9_review_and_claim_nothing_accepted_rejects() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ReviewAndClaim, &[1, 3]);
    act(
        &mut world,
        &mut batch,
        BatchAction::ReverseAcceptance {
            line: line("1"),
            reason: RejectReason::Withdrawn,
        },
    );
    assert_eq!(
        act(&mut world, &mut batch, BatchAction::PayAndClose),
        "rejected | 1:rejected 3:rejected | "
    );
}

#[test]
fn b10_immediate_claim_nothing_accepted_closes_without_claim_2() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ImmediateClaim, &[1, 5]);
    assert_eq!(
        act(&mut world, &mut batch, BatchAction::PayAndClose),
        "closed | 1:claimed 5:rejected | #1=62.50"
    );
}

#[test]
fn l6_reject_with_reason() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ReviewAndClaim, &[1, 5]);
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::Reject {
                line: line("5"),
                reason: RejectReason::EligibilityDisputed
            }
        ),
        "awaiting_review | 1:accepted 5:rejected | "
    );
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::Reject {
                line: line("1"),
                reason: RejectReason::AmountDisputed
            }
        ),
        "error: line 1 is accepted; reject does not apply"
    );
}

#[test]
fn l7_accept_variants() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ReviewAndClaim, &[1, 3, 5]);
    // Eligibility disputes cannot be accepted (only Amount Disputed, L7).
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::AcceptCalculated { line: line("5") }
        ),
        "error: line 5 is eligibility_disputed; accept calculated amount does not apply"
    );
    // Claimed 120.00 exceeds calculated 100.50 beyond tolerance: an override needs a comment.
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::AcceptClaimed {
                line: line("3"),
                comment: None
            }
        ),
        "error: a comment is required to accept more than the calculated amount"
    );
    let mut other = batch.clone();
    act(
        &mut world,
        &mut other,
        BatchAction::AcceptClaimed {
            line: line("3"),
            comment: Some("per rep".into()),
        },
    );
    assert_eq!(
        other.lines[1]
            .accepted_amount
            .map(|a| a.to_string())
            .as_deref(),
        Some("120.00")
    );
    let mut other = batch.clone();
    act(
        &mut world,
        &mut other,
        BatchAction::Accept { line: line("3") },
    );
    assert_eq!(
        other.lines[1]
            .accepted_amount
            .map(|a| a.to_string())
            .as_deref(),
        Some("100.50")
    );
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::CorrectAndAccept {
                line: line("3"),
                quantity: None,
                amount: None,
                comment: None
            }
        ),
        "error: a correction needs a quantity or an amount"
    );
    // A correction lowers what the line claims (120.00), never raises it.
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::CorrectAndAccept {
                line: line("3"),
                quantity: None,
                amount: Some("150.00".parse().unwrap_or_default()),
                comment: Some("rep says so".into()),
            }
        ),
        "error: line 3: 150.00 is more than the 120.00 it claims"
    );
    act(
        &mut world,
        &mut batch,
        BatchAction::CorrectAndAccept {
            line: line("3"),
            quantity: Some("4".parse().unwrap_or_default()),
            amount: None,
            comment: None,
        },
    );
    let l3 = &batch.lines[1];
    assert_eq!(
        format!(
            "{:?} {:?} {}",
            l3.accepted_quantity, l3.accepted_amount, l3.sale.quantity
        ),
        "Some(4) Some(67.00) 6"
    );
}

/// A sales report's line (867) claims no amount: accepting its claimed amount is refused for
/// that reason, naming what the reviewer can do instead. It was refused as "line 3 has no
/// calculated amount" while the line showed its calculated amount beside the error.
#[test]
fn l7_accept_claimed_on_a_line_that_claims_nothing_says_so() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ReviewAndClaim, &[1, 3]);
    batch.lines[1].sale.claimed_amount = None;
    assert!(
        batch.lines[1]
            .validation
            .as_ref()
            .is_some_and(|v| v.calculated_amount.is_some()),
        "{:?}",
        batch.lines[1].validation
    );
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::AcceptClaimed {
                line: line("3"),
                comment: Some("per rep".into()),
            }
        ),
        "error: line 3 claims no amount (a sales report's line): accept its calculated \
         amount, or correct and accept it"
    );
    // Nothing it claims bounds a corrected amount: one above the calculated amount beyond
    // tolerance is an override, as accepting such a claimed amount is (4.3), and needs a
    // comment; at or below it, none.
    let mut raised = batch.clone();
    let correct = |amount: &str, comment: Option<&str>| BatchAction::CorrectAndAccept {
        line: line("3"),
        quantity: None,
        amount: Some(amount.parse().unwrap_or_default()),
        comment: comment.map(str::to_owned),
    };
    assert_eq!(
        act(&mut world, &mut raised, correct("20000.00", None)),
        "error: a comment is required to accept more than the calculated amount"
    );
    assert_eq!(
        act(&mut world, &mut raised, correct("20000.00", Some("  "))),
        "error: a comment is required to accept more than the calculated amount"
    );
    assert_eq!(
        act(
            &mut world,
            &mut raised,
            correct("20000.00", Some("per rep"))
        ),
        "awaiting_review | 1:accepted 3:accepted | "
    );
    let mut lowered = batch.clone();
    assert_eq!(
        act(&mut world, &mut lowered, correct("50.00", None)),
        "awaiting_review | 1:accepted 3:accepted | "
    );
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::AcceptCalculated { line: line("3") }
        ),
        "awaiting_review | 1:accepted 3:accepted | "
    );
}

#[test]
fn l11_reverse_acceptance() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ReviewAndClaim, &[1, 3]);
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::ReverseAcceptance {
                line: line("1"),
                reason: RejectReason::Withdrawn
            }
        ),
        "awaiting_review | 1:rejected 3:amount_disputed | "
    );
    // It no longer counts in what the batch accepted.
    let l1 = &batch.lines[0];
    assert_eq!((l1.accepted_amount, l1.accepted_quantity), (None, None));
}

/// The supplier adds 12345099901 (10.00 / 8.00) by a change 845.
fn add_item_99901(world: &mut World) {
    let mut change = sample_contract();
    change.action = schemas::Action::Change;
    change.source.set = "0009".into();
    change.eligible.clear();
    change.items.truncate(1);
    change.items[0].item.id = "12345099901".into();
    change.items[0].item.other_ids.clear();
    change.items[0].contract_price = "8.00".parse().ok();
    change.items[0].wac = "10.00".parse().ok();
    if let Err(e) = world.book.apply(&change) {
        panic!("{e}");
    }
}

#[test]
fn l14_revalidate_after_a_contract_fix() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ReviewAndClaim, &[1, 5]);
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::Revalidate { line: line("5") }
        ),
        "awaiting_review | 1:accepted 5:eligibility_disputed | "
    );
    add_item_99901(&mut world);
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::Revalidate { line: line("5") }
        ),
        "awaiting_review | 1:accepted 5:accepted | "
    );
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::Revalidate { line: line("1") }
        ),
        "error: line 1 is accepted; revalidate does not apply"
    );
}

#[test]
fn l14_revalidates_every_disputed_line_of_a_contract() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ReviewAndClaim, &[1, 5]);
    let all = |contract: &str| BatchAction::RevalidateDisputed {
        contract: Some(contract.into()),
    };
    assert_eq!(
        act(&mut world, &mut batch, all("SPA-2026-9999")),
        "error: no disputed line to revalidate"
    );
    add_item_99901(&mut world);
    // Matched however the contract number is written.
    assert_eq!(
        act(&mut world, &mut batch, all(" spa-2026-0042")),
        "awaiting_review | 1:accepted 5:accepted | "
    );
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::RevalidateDisputed { contract: None }
        ),
        "error: no disputed line to revalidate"
    );
}

#[test]
fn l15_not_a_duplicate_needs_a_second_user() {
    let mut world = World::new();
    let claim = sample_claim();
    let mut again = SaleLine::from(&claim.lines[0]);
    again.line = "7".into();
    let sales = vec![SaleLine::from(&claim.lines[0]), again];
    let (mut batch, _) = Batch::open(
        header("B1"),
        &EngineSettings::default(),
        sales,
        &Actor::System,
        today(),
    );
    let _ = batch.process(&mut world.ledgers(), today());
    assert_eq!(show(&batch), "awaiting_review | 1:accepted 7:duplicate | ");
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::NotADuplicate {
                line: line("7"),
                approver: "reviewer".into(),
                reason: "two deliveries".into()
            }
        ),
        "error: a second user must approve a not-a-duplicate override"
    );
    // Nor is the same user spelled another way.
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::NotADuplicate {
                line: line("7"),
                approver: " REVIEWER ".into(),
                reason: "two deliveries".into()
            }
        ),
        "error: a second user must approve a not-a-duplicate override"
    );
    assert_eq!(
        act(
            &mut world,
            &mut batch,
            BatchAction::NotADuplicate {
                line: line("7"),
                approver: "supervisor".into(),
                reason: "two deliveries".into()
            }
        ),
        "awaiting_review | 1:accepted 7:accepted | "
    );
}

#[test]
fn l16_corrected_csv_row_resubmits_the_line() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ReviewAndClaim, &[1, 5]);
    let by = LineRef {
        batch: "B2".into(),
        line: "1".into(),
    };
    assert!(
        batch
            .mark_resubmitted("1", by.clone(), &mut world.ledgers(), today())
            .is_err()
    );
    assert!(
        batch
            .mark_resubmitted("5", by, &mut world.ledgers(), today())
            .is_ok()
    );
    assert_eq!(show(&batch), "awaiting_review | 1:accepted 5:rejected | ");
    assert_eq!(
        batch.lines[1].reject_reason,
        Some(RejectReason::Resubmitted)
    );
}

#[test]
fn closed_and_rejected_batches_refuse_every_action() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ReviewAndClaim, &[1, 2]);
    let before = batch.clone();
    for action in [
        BatchAction::PayAndClose,
        BatchAction::Revalidate { line: line("1") },
        BatchAction::RejectBatch { reason: "x".into() },
    ] {
        assert_eq!(
            act(&mut world, &mut batch, action),
            "error: batch B1 is closed and cannot change"
        );
    }
    assert!(batch.process(&mut world.ledgers(), today()).is_err());
    assert_eq!(batch, before);
    // Named by its number, as users know it; by its id only when it has no number.
    batch.header.id = "0198c1f2-0000-7000-8000-000000000001".into();
    batch.header.number = "gooddrug/123456789/2026-12-02".into();
    assert_eq!(
        act(&mut world, &mut batch, BatchAction::PayAndClose),
        "error: batch gooddrug/123456789/2026-12-02 is closed and cannot change"
    );
    batch.header.number.clear();
    assert_eq!(
        act(&mut world, &mut batch, BatchAction::PayAndClose),
        "error: batch 0198c1f2-0000-7000-8000-000000000001 is closed and cannot change"
    );
}

#[test]
fn open_batches_take_no_review_action_and_audit_every_change() {
    let mut world = World::new();
    let settings = EngineSettings::default();
    let (mut batch, _) = Batch::open(
        header("B1"),
        &settings,
        vec![SaleLine::from(&sample_claim().lines[2])],
        &Actor::System,
        today(),
    );
    assert_eq!(
        act(&mut world, &mut batch, BatchAction::PayAndClose),
        "error: batch is open; a review action needs awaiting_review"
    );
    let out = batch.process(&mut world.ledgers(), today());
    let events: Vec<String> = out
        .map(|o| {
            o.events
                .iter()
                .map(|e| format!("{} {:?}->{}", e.event, e.from, e.to))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        events,
        [
            "L2 validate Some(\"open\")->amount_disputed",
            "L13 batch rejected Some(\"amount_disputed\")->rejected",
            "B2 all lines disputed Some(\"open\")->rejected"
        ]
    );
}

#[test]
fn transition_tables_list_what_the_engine_does() {
    assert!(line_transition_allowed(
        LineStatus::AmountDisputed,
        LineStatus::Accepted
    ));
    assert!(!line_transition_allowed(
        LineStatus::EligibilityDisputed,
        LineStatus::Claimed
    ));
    assert!(!line_transition_allowed(
        LineStatus::Claimed,
        LineStatus::Rejected
    ));
    assert!(!line_transition_allowed(
        LineStatus::Rejected,
        LineStatus::Accepted
    ));
    assert!(batch_transition_allowed(
        BatchStatus::AwaitingReview,
        BatchStatus::AwaitingReview
    ));
    assert!(!batch_transition_allowed(
        BatchStatus::Closed,
        BatchStatus::Open
    ));
}

#[test]
fn batch_and_claim_are_plain_data_a_store_can_persist() -> Result<(), serde_json::Error> {
    let mut world = World::new();
    let (batch, out) = processed(&mut world, BatchMode::ImmediateClaim, &[1, 2, 3, 4, 5, 6]);
    let stored = serde_json::to_string(&batch)?;
    let loaded: Batch = serde_json::from_str(&stored)?;
    assert_eq!(loaded, batch);
    let cut = out.claim.unwrap_or_else(|| panic!("claim #1"));
    let (claim, _) =
        crate::claims::ClaimRecord::from_batch(&batch, &cut, "ACME-CL-1".into(), today());
    let stored = serde_json::to_string(&claim)?;
    assert_eq!(
        serde_json::from_str::<crate::claims::ClaimRecord>(&stored)?,
        claim
    );
    let stored = serde_json::to_string(&world.caps)?;
    assert_eq!(serde_json::from_str::<CapLedger>(&stored)?, world.caps);
    Ok(())
}

/// §5.2 BAA01 05: a replacement rejects every undecided or accepted line of the open batch
/// (`Replaced`) and the batch; a Closed batch cannot be replaced.
#[test]
fn replaced_rejects_an_open_batch_and_refuses_a_closed_one() {
    let mut world = World::new();
    let (mut batch, _) = processed(&mut world, BatchMode::ReviewAndClaim, &[1, 3, 5]);
    let actor = Actor::Partner("gooddrug".into());
    let out = match batch.replaced(&actor, &mut world.ledgers(), today()) {
        Ok(out) => out,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        show(&batch),
        "rejected | 1:rejected 3:rejected 5:rejected | "
    );
    assert!(
        batch
            .lines
            .iter()
            .all(|l| l.reject_reason == Some(RejectReason::Configured("Replaced".into())))
    );
    let events: Vec<&str> = out.events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "L12 replaced",
            "L12 replaced",
            "L12 replaced",
            "B8 replaced by BAA01 05"
        ]
    );
    assert!(matches!(
        batch.replaced(&actor, &mut world.ledgers(), today()),
        Err(BatchError::Immutable(_, BatchStatus::Rejected))
    ));
    let (mut closed, _) = processed(&mut world, BatchMode::ReviewAndClaim, &[1]);
    assert_eq!(closed.status, BatchStatus::Closed);
    assert!(matches!(
        closed.replaced(&actor, &mut world.ledgers(), today()),
        Err(BatchError::Immutable(_, BatchStatus::Closed))
    ));
}

/// One of every reviewer's action.
fn every_action() -> Vec<BatchAction> {
    let reason = || RejectReason::Configured("not ours".into());
    vec![
        BatchAction::Accept { line: line("1") },
        BatchAction::AcceptCalculated { line: line("2") },
        BatchAction::AcceptClaimed {
            line: line("3"),
            comment: Some("as claimed".into()),
        },
        BatchAction::CorrectAndAccept {
            line: line("4"),
            quantity: Some(Decimal::new(25, 1)),
            amount: None,
            comment: None,
        },
        BatchAction::Reject {
            line: line("5"),
            reason: reason(),
        },
        BatchAction::ReverseAcceptance {
            line: line("6"),
            reason: RejectReason::AmountDisputed,
        },
        BatchAction::Revalidate { line: line("7") },
        BatchAction::RevalidateDisputed { contract: None },
        BatchAction::NotADuplicate {
            line: line("8"),
            approver: "second".into(),
            reason: "a rebill".into(),
        },
        BatchAction::PayAndClose,
        BatchAction::RejectBatch {
            reason: "wrong period".into(),
        },
    ]
}

/// Every action reads back as itself, its tag written first (as it is serialized) or last;
/// its externally tagged twin, the form it is read through, takes every variant apart and
/// builds it again.
#[test]
fn actions_read_back_wherever_their_tag_is() {
    for action in every_action() {
        let first = serde_json::to_string(&action).expect("serializes");
        assert!(first.starts_with(r#"{"action":"#), "{first}");
        let read: BatchAction = serde_json::from_str(&first).expect(&first);
        assert_eq!(read, action, "{first}");

        let serde_json::Value::Object(fields) = serde_json::to_value(&action).expect("an object")
        else {
            panic!("{first} is not an object");
        };
        let mut last: Vec<String> = fields
            .iter()
            .filter(|(k, _)| *k != "action")
            .map(|(k, v)| format!("{}: {v}", serde_json::Value::from(k.as_str())))
            .collect();
        last.push(format!(r#""action": {}"#, fields["action"]));
        let last = format!("{{{}}}", last.join(", "));
        let read: BatchAction = serde_json::from_str(&last).expect(&last);
        assert_eq!(read, action, "{last}");

        let external = super::BatchActionFields::serialize(&action, serde_json::value::Serializer)
            .expect("serializes");
        let read = super::BatchActionFields::deserialize(external).expect("reads");
        assert_eq!(read, action);
    }
    // A field that may be left out.
    let read: BatchAction =
        serde_json::from_str(r#"{"action": "revalidate_disputed"}"#).expect("no contract");
    assert_eq!(read, BatchAction::RevalidateDisputed { contract: None });
}

/// What is not an action is refused, saying what is wrong and where.
#[test]
fn what_is_not_an_action_is_refused() {
    for (json, says) in [
        (
            r#"{"action": "acept", "line": "1"}"#,
            "unknown variant `acept`, expected one of `accept`, `accept_calculated`,",
        ),
        (r#"{"line": "1"}"#, "missing field `action`"),
        (r#"{"action": "accept"}"#, "missing field `line`"),
        (
            r#"{"action": "accept", "line": "1", "action": "accept"}"#,
            "duplicate field `action`",
        ),
        (
            r#"{"action": "correct_and_accept", "line": "1", "amont": "5.00"}"#,
            "unknown field `amont`, expected one of `line`, `quantity`, `amount`, `comment`",
        ),
        // The derive ignored a unit variant's fields: a field the action does not take.
        (
            r#"{"action": "pay_and_close", "line": "3"}"#,
            "unknown field `line`, there are no fields",
        ),
        (
            r#"{"action": "accept", "line": 5}"#,
            "invalid type: integer `5`, expected a string",
        ),
        // Read before the variant is known: the field is named in the message.
        (
            r#"{"line": 5, "action": "accept"}"#,
            "line: invalid type: integer `5`, expected a string",
        ),
        (
            r#""accept""#,
            "invalid type: string \"accept\", expected internally tagged enum BatchAction",
        ),
    ] {
        let e = serde_json::from_str::<BatchAction>(json).expect_err(json);
        assert!(e.to_string().starts_with(says), "{json}: {e}");
    }
}
