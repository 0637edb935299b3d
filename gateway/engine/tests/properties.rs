//! Property tests: claim totals, the batch and line state machines under random actions,
//! immutability of closed batches, the 849 of a held claim, the batch of a claim answered at
//! once and idempotent contract application.

use chrono::NaiveDate;
use engine::EngineSettings;
use engine::adjudicate::{
    AdjudicatedStatus, ResponseHeader, adjudicate, adjudicate_with, batch_answer,
};
use engine::audit::Actor;
use engine::batch::{
    Batch, BatchAction, BatchHeader, BatchKind, BatchStatus, Ledgers, batch_transition_allowed,
    line_transition_allowed,
};
use engine::caps::{Cap, CapLedger, CapScope};
use engine::claims::ClaimRecord;
use engine::contracts::ContractBook;
use engine::duplicates::LineHistory;
use engine::reasons::RejectReason;
use engine::sale::SaleLine;
use engine::settings::{BatchMode, Role, UnattendedAmountDisputes};
use proptest::prelude::*;
use rust_decimal::Decimal;
use schemas::{Action, Claim, Contract, Document, ItemAction, PartyAction};

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

fn book() -> ContractBook {
    let mut book = ContractBook::new();
    if let Err(e) = book.apply(&contract()) {
        panic!("{e}");
    }
    book
}

/// A variation of a sample claim line: which line, quantity, claimed amount delta in cents,
/// invoice suffix, day offset.
fn line_strategy() -> impl Strategy<Value = (usize, i64, i64, u8, u8)> {
    (0usize..6, -3i64..25, -300i64..300, 0u8..4, 0u8..20)
}

fn make_line(
    base: &Claim,
    (n, qty, delta, invoice, day): (usize, i64, i64, u8, u8),
    position: usize,
) -> SaleLine {
    let mut line = SaleLine::from(&base.lines[n]);
    line.line = (position + 1).to_string();
    line.quantity = Decimal::from(qty);
    let unit = line.claimed_reference_price.unwrap_or_default()
        - line.claimed_contract_price.unwrap_or_default();
    line.claimed_amount = Some(unit * Decimal::from(qty) + Decimal::new(delta, 2));
    line.invoice = format!("{}-{invoice}", line.invoice);
    line.invoice_date = line
        .invoice_date
        .and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(day))));
    if qty < 0 {
        line.original_invoice = Some(format!("{}-0", base.lines[n].invoice));
    }
    line
}

#[derive(Debug, Clone)]
enum Step {
    Accept(usize),
    AcceptCalculated(usize),
    AcceptClaimed(usize, bool),
    Correct(usize, i64),
    Reject(usize),
    Reverse(usize),
    Revalidate(usize),
    RevalidateDisputed,
    NotADuplicate(usize, bool),
    PayAndClose,
    RejectBatch(bool),
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0usize..8).prop_map(Step::Accept),
        (0usize..8).prop_map(Step::AcceptCalculated),
        (0usize..8, any::<bool>()).prop_map(|(i, c)| Step::AcceptClaimed(i, c)),
        (0usize..8, 0i64..8).prop_map(|(i, q)| Step::Correct(i, q)),
        (0usize..8).prop_map(Step::Reject),
        (0usize..8).prop_map(Step::Reverse),
        (0usize..8).prop_map(Step::Revalidate),
        Just(Step::RevalidateDisputed),
        (0usize..8, any::<bool>()).prop_map(|(i, s)| Step::NotADuplicate(i, s)),
        Just(Step::PayAndClose),
        any::<bool>().prop_map(Step::RejectBatch),
    ]
}

fn action(step: &Step) -> BatchAction {
    let id = |i: &usize| (i + 1).to_string();
    match step {
        Step::Accept(i) => BatchAction::Accept { line: id(i) },
        Step::AcceptCalculated(i) => BatchAction::AcceptCalculated { line: id(i) },
        Step::AcceptClaimed(i, comment) => BatchAction::AcceptClaimed {
            line: id(i),
            comment: comment.then(|| "ok".to_owned()),
        },
        Step::Correct(i, q) => BatchAction::CorrectAndAccept {
            line: id(i),
            quantity: Some(Decimal::from(*q)),
            amount: None,
            comment: None,
        },
        Step::Reject(i) => BatchAction::Reject {
            line: id(i),
            reason: RejectReason::AmountDisputed,
        },
        Step::Reverse(i) => BatchAction::ReverseAcceptance {
            line: id(i),
            reason: RejectReason::Withdrawn,
        },
        Step::Revalidate(i) => BatchAction::Revalidate { line: id(i) },
        Step::RevalidateDisputed => BatchAction::RevalidateDisputed { contract: None },
        Step::NotADuplicate(i, second) => BatchAction::NotADuplicate {
            line: id(i),
            approver: if *second {
                "second".into()
            } else {
                "reviewer".into()
            },
            reason: "checked".into(),
        },
        Step::PayAndClose => BatchAction::PayAndClose,
        Step::RejectBatch(reason) => BatchAction::RejectBatch {
            reason: if *reason {
                "bad file".into()
            } else {
                String::new()
            },
        },
    }
}

fn header(base: &Claim) -> BatchHeader {
    BatchHeader {
        id: "P1".into(),
        number: "P1".into(),
        name: "prop".into(),
        kind: BatchKind::Claim844,
        role: Role::Adjudicator,
        distributor: base.distributor.clone(),
        supplier: base.supplier.clone(),
        currency: "USD".into(),
        file_name: None,
        debit_memo: Some(base.debit_memo.clone()),
        received_at: date("2026-11-15"),
        claim_date: date("2026-11-30"),
        corrects_batch_id: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Claim totals equal the sum of their lines: the adjudication report and the 844 built
    /// from a batch's claim.
    #[test]
    fn claim_totals_equal_the_sum_of_lines(specs in prop::collection::vec(line_strategy(), 1..8), ic in any::<bool>()) {
        let base = claim();
        let lines: Vec<SaleLine> = specs.iter().enumerate().map(|(i, s)| make_line(&base, *s, i)).collect();
        let mut doc = base.clone();
        doc.lines = base.lines.iter().cycle().take(lines.len()).cloned().zip(&lines).map(|(mut l, s)| {
            l.line = s.line.clone();
            l.quantity = s.quantity;
            l.claimed_amount = s.claimed_amount.unwrap_or_default();
            l.invoice = s.invoice.clone();
            l.invoice_date = s.invoice_date;
            l
        }).collect();
        let run = adjudicate(&doc, &book(), &EngineSettings::default(), date("2026-12-31"));
        let approved: Decimal = run.report.lines.iter().map(|l| l.approved_amount).sum();
        let claimed: Decimal = doc.lines.iter().map(|l| l.claimed_amount).sum();
        prop_assert_eq!(run.report.total_approved, approved);
        prop_assert_eq!(run.report.total_claimed, claimed);

        let settings = EngineSettings { batch_mode: if ic { BatchMode::ImmediateClaim } else { BatchMode::ReviewAndClaim }, ..EngineSettings::default() };
        let (mut batch, _) = Batch::open(header(&base), &settings, lines, &Actor::System, date("2026-12-31"));
        let book = book();
        let mut history = LineHistory::new();
        let mut caps = CapLedger::new();
        let out = batch.process(&mut Ledgers { book: &book, history: &mut history, caps: &mut caps }, date("2026-12-31"));
        if let Ok(Some(cut)) = out.map(|o| o.claim) {
            let (record, _) = ClaimRecord::from_batch(&batch, &cut, "P1-1".into(), date("2026-12-31"));
            let doc = record.to_844(base.source.clone());
            let sum: Decimal = doc.lines.iter().map(|l| l.claimed_amount).sum();
            prop_assert_eq!(doc.total_claimed, sum);
            prop_assert_eq!(record.amount, sum);
            prop_assert_eq!(cut.amount, sum);
            prop_assert_eq!(doc.line_count as usize, doc.lines.len());
        }
    }

    /// No sequence of actions reaches a transition the tables forbid: every action either
    /// applies listed transitions or returns an error and changes nothing; a Closed or
    /// Rejected batch never changes.
    #[test]
    fn random_actions_only_take_listed_transitions(
        specs in prop::collection::vec(line_strategy(), 1..8),
        steps in prop::collection::vec(step_strategy(), 0..16),
        ic in any::<bool>(),
        cap in prop::option::of(0i64..12),
    ) {
        let base = claim();
        let lines: Vec<SaleLine> = specs.iter().enumerate().map(|(i, s)| make_line(&base, *s, i)).collect();
        let settings = EngineSettings { batch_mode: if ic { BatchMode::ImmediateClaim } else { BatchMode::ReviewAndClaim }, ..EngineSettings::default() };
        let (mut batch, _) = Batch::open(header(&base), &settings, lines, &Actor::System, date("2026-12-31"));
        let book = book();
        let mut history = LineHistory::new();
        let mut caps = CapLedger::new();
        if let Some(q) = cap {
            caps.add_cap(Cap { scope: CapScope { contract: "SPA-2026-0042".into(), item: "NDC:12345010001".into(), customer: None }, quantity: Some(Decimal::from(q)), amount: None });
        }
        let today = date("2026-12-31");
        let before = batch.clone();
        let result = batch.process(&mut Ledgers { book: &book, history: &mut history, caps: &mut caps }, today);
        check(&before, &batch, result.is_ok())?;
        let mut frozen: Option<Batch> = None;
        for step in &steps {
            let before = batch.clone();
            let result = batch.apply(&action(step), &Actor::user("reviewer"), &mut Ledgers { book: &book, history: &mut history, caps: &mut caps }, today);
            check(&before, &batch, result.is_ok())?;
            if let Some(frozen) = &frozen {
                prop_assert!(result.is_err());
                prop_assert_eq!(frozen, &batch);
            }
            if matches!(batch.status, BatchStatus::Closed | BatchStatus::Rejected) {
                frozen.get_or_insert_with(|| batch.clone());
            }
        }
        let max_claims = if ic { 2 } else { 1 };
        prop_assert!(batch.claims.len() <= max_claims);
    }

    /// A received claim held for review (13.1 `hold`) is worked by the same machines, and the
    /// 849 that answers its end answers every line from its final status: Claimed lines at
    /// their accepted amount, Rejected ones at zero with a reject code, the totals the sums
    /// (7.7); no 849 while the batch is open.
    #[test]
    fn a_held_claim_is_answered_line_for_line(
        specs in prop::collection::vec(line_strategy(), 1..8),
        steps in prop::collection::vec(step_strategy(), 0..12),
        ic in any::<bool>(),
    ) {
        let base = claim();
        let sales: Vec<SaleLine> = specs.iter().enumerate().map(|(i, s)| make_line(&base, *s, i)).collect();
        let mut doc = base.clone();
        doc.lines = sales.iter().map(SaleLine::to_claim_line).collect();
        doc.total_claimed = doc.lines.iter().map(|l| l.claimed_amount).sum();
        let mode = if ic { BatchMode::ImmediateClaim } else { BatchMode::ReviewAndClaim };
        let settings = EngineSettings {
            batch_mode: mode,
            unattended_amount_disputes: UnattendedAmountDisputes::Hold,
            ..EngineSettings::default()
        };
        let today = date("2026-12-31");
        let run = adjudicate(&doc, &book(), &settings, today);
        prop_assume!(run.held);
        let kept = run.batch(sales, mode);
        let mut batch = Batch {
            header: header(&base),
            settings,
            mode,
            status: kept.status,
            lines: kept.lines,
            claims: kept.claims,
        };
        prop_assert_eq!(batch.status, BatchStatus::AwaitingReview);
        let book = book();
        let mut history = LineHistory::new();
        let mut caps = CapLedger::new();
        let answer_header = || ResponseHeader { source: base.source.clone(), date: today, credit_memo: None };
        for step in &steps {
            let before = batch.clone();
            let result = batch.apply(&action(step), &Actor::user("reviewer"), &mut Ledgers { book: &book, history: &mut history, caps: &mut caps }, today);
            check(&before, &batch, result.is_ok())?;
            if matches!(batch.status, BatchStatus::Closed | BatchStatus::Rejected) {
                break;
            }
        }
        let Some((report, answer)) = batch_answer(&batch, answer_header()) else {
            prop_assert!(!matches!(batch.status, BatchStatus::Closed | BatchStatus::Rejected));
            return Ok(());
        };
        prop_assert_eq!(answer.lines.len(), batch.lines.len());
        prop_assert_eq!(answer.total_claimed, doc.total_claimed);
        let approved: Decimal = answer.lines.iter().map(|l| l.approved_amount).sum();
        prop_assert_eq!(answer.total_approved, approved);
        prop_assert_eq!(report.total_approved, approved);
        for (line, answered) in batch.lines.iter().zip(&answer.lines) {
            prop_assert_eq!(&line.sale.line, &answered.line);
            match line.status {
                engine::batch::LineStatus::Claimed => prop_assert_eq!(
                    answered.approved_amount,
                    line.accepted_amount.unwrap_or_default()
                ),
                engine::batch::LineStatus::Rejected => {
                    prop_assert!(answered.approved_amount.is_zero());
                    prop_assert!(answered.reason_code.is_some(), "{answered:?}");
                    prop_assert_eq!(answered.status, schemas::LineStatus::Rejected);
                }
                other => prop_assert!(false, "an ended batch holds a {other:?} line"),
            }
        }
    }

    /// A received claim answered at once (13.1 `pay_calculated` or `reject`, caps and
    /// `auto_partial_approve` or not) is kept Closed (Rejected when it pays nothing, B2) with
    /// claim #1 holding exactly the lines the run approved anything on, each Claimed at its approved amount, and the others Rejected
    /// with a reason on no claim; a capped line paid takes its cap in the run (5.1); and
    /// `batch_answer` answers that batch exactly as the run answered the claim (7.7).
    #[test]
    fn a_claim_answered_at_once_is_claimed_as_it_is_paid(
        specs in prop::collection::vec(line_strategy(), 1..8),
        ic in any::<bool>(),
        reject in any::<bool>(),
        partial in any::<bool>(),
        cap in prop::option::of((0i64..12, any::<bool>())),
    ) {
        let base = claim();
        let sales: Vec<SaleLine> = specs.iter().enumerate().map(|(i, s)| make_line(&base, *s, i)).collect();
        let mut doc = base.clone();
        doc.lines = sales.iter().map(SaleLine::to_claim_line).collect();
        doc.total_claimed = doc.lines.iter().map(|l| l.claimed_amount).sum();
        let mode = if ic { BatchMode::ImmediateClaim } else { BatchMode::ReviewAndClaim };
        let settings = EngineSettings {
            batch_mode: mode,
            unattended_amount_disputes: if reject {
                UnattendedAmountDisputes::Reject
            } else {
                UnattendedAmountDisputes::PayCalculated
            },
            auto_partial_approve: partial,
            ..EngineSettings::default()
        };
        let today = date("2026-12-31");
        let mut caps = CapLedger::new();
        if let Some((q, wrong_price_item)) = cap {
            let item = if wrong_price_item { "NDC:12345030005" } else { "NDC:12345010001" };
            caps.add_cap(Cap { scope: CapScope { contract: "SPA-2026-0042".into(), item: item.into(), customer: None }, quantity: Some(Decimal::from(q)), amount: None });
        }
        let run = adjudicate_with(&doc, "B", &book(), &settings, today, &LineHistory::new(), Some(&mut caps), None);
        prop_assert!(!run.held);
        let kept = run.batch(sales, mode);
        let batch = Batch {
            header: header(&base),
            settings: settings.clone(),
            mode,
            status: kept.status,
            lines: kept.lines,
            claims: kept.claims,
        };
        // B3 when anything is paid, else B2: every line Rejected and so the batch.
        let any_paid = run.report.lines.iter().any(|l| {
            l.status == AdjudicatedStatus::Accepted || !l.approved_amount.is_zero()
        });
        let ended = if any_paid { BatchStatus::Closed } else { BatchStatus::Rejected };
        prop_assert_eq!(batch.status, ended);
        let mut claimed = Vec::new();
        for (line, answered) in batch.lines.iter().zip(&run.report.lines) {
            let paid = answered.status == AdjudicatedStatus::Accepted || !answered.approved_amount.is_zero();
            if paid {
                prop_assert_eq!(line.status, engine::batch::LineStatus::Claimed);
                prop_assert_eq!(line.claim, Some(1));
                prop_assert_eq!(line.accepted_amount, Some(answered.approved_amount));
                claimed.push(line.sale.line.clone());
            } else {
                prop_assert_eq!(line.status, engine::batch::LineStatus::Rejected);
                prop_assert_eq!(line.claim, None);
                prop_assert!(line.reject_reason.is_some());
            }
            let line_ref = engine::sale::LineRef { batch: "B".into(), line: line.sale.line.clone() };
            let held: Decimal = caps.held_by(&line_ref).iter().map(|h| h.2).sum();
            let capped = line.validation.as_ref().is_some_and(|v| !v.caps.is_empty());
            if paid && capped && answered.status == AdjudicatedStatus::AmountDisputed {
                prop_assert_eq!(held, answered.approved_amount);
            }
            if !paid {
                prop_assert!(held.is_zero());
            }
        }
        match batch.claims.as_slice() {
            [] => prop_assert!(claimed.is_empty()),
            [one] => {
                prop_assert_eq!(one.seq, 1);
                prop_assert_eq!(&one.lines, &claimed);
                prop_assert_eq!(one.amount, run.report.total_approved);
            }
            more => prop_assert!(false, "{} claims", more.len()),
        }
        let answer_header = || ResponseHeader { source: base.source.clone(), date: today, credit_memo: None };
        let Some((report, answer)) = batch_answer(&batch, answer_header()) else {
            return Err(TestCaseError::fail("a closed batch is answered"));
        };
        prop_assert_eq!(Some(answer), run.response(&doc, answer_header(), &settings));
        prop_assert_eq!(report, run.report);
    }

    /// Applying any contract document twice equals applying it once.
    #[test]
    fn applying_a_contract_twice_equals_once(
        prices in prop::collection::vec((0usize..3, 100i64..9000, prop::option::of(0u32..60), 0u8..4), 0..6),
        parties in prop::collection::vec((0usize..3, 0u32..90, any::<bool>()), 0..3),
        change in any::<bool>(),
    ) {
        let base = contract();
        let mut doc = base.clone();
        doc.source.interchange = "999".into();
        doc.action = if change { Action::Change } else { Action::Replace };
        doc.change_effective = Some(date("2026-12-01"));
        doc.items = prices.iter().map(|(n, cents, start, action)| {
            let mut item = base.items[*n].clone();
            item.contract_price = Some(Decimal::new(*cents, 2));
            item.start = start.and_then(|d| date("2026-11-01").checked_add_days(chrono::Days::new(u64::from(d))));
            item.action = [ItemAction::Add, ItemAction::PriceChange, ItemAction::Delete, ItemAction::Replace][usize::from(*action)];
            item
        }).collect();
        doc.eligible = parties.iter().map(|(n, days, delete)| {
            let mut party = base.eligible[*n].clone();
            party.end = date("2026-11-01").checked_add_days(chrono::Days::new(u64::from(*days)));
            party.action = if *delete { PartyAction::Delete } else { PartyAction::Change };
            party
        }).collect();
        let mut once = book();
        let first = once.apply(&doc);
        let mut twice = once.clone();
        let second = twice.apply(&doc);
        prop_assert_eq!(&once, &twice);
        prop_assert!(first.is_ok());
        prop_assert_eq!(second.map(|a| a.version), Ok(None));
        // A copy from another file with the same content adds no version either.
        let mut copy = doc.clone();
        copy.source.interchange = "1000".into();
        let mut thrice = once.clone();
        let third = thrice.apply(&copy);
        prop_assert_eq!(third.map(|a| a.version), Ok(None));
    }
}

/// Every line and the batch moved along listed transitions; on error nothing changed.
fn check(before: &Batch, after: &Batch, ok: bool) -> Result<(), TestCaseError> {
    if !ok {
        prop_assert_eq!(before, after);
        return Ok(());
    }
    prop_assert!(
        batch_transition_allowed(before.status, after.status),
        "batch {:?} -> {:?}",
        before.status,
        after.status
    );
    for (b, a) in before.lines.iter().zip(&after.lines) {
        let listed = line_transition_allowed(b.status, a.status)
            // An Open line passes through Accepted to Claimed (L4 + L8 via B3).
            || (b.status == engine::batch::LineStatus::Open && a.status == engine::batch::LineStatus::Claimed)
            // B2 rejects lines just validated (L1–L3 then L13).
            || (b.status == engine::batch::LineStatus::Open && a.status == engine::batch::LineStatus::Rejected);
        prop_assert!(
            listed,
            "line {} {:?} -> {:?}",
            a.sale.line,
            b.status,
            a.status
        );
        if matches!(
            b.status,
            engine::batch::LineStatus::Claimed | engine::batch::LineStatus::Rejected
        ) {
            prop_assert_eq!(b, a, "terminal line changed");
        }
    }
    Ok(())
}
