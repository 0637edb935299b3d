//! §13.1 `hold` as adjudicator, on SQLite and PostgreSQL: GOOD DRUG's 844
//! GDD-CB-20261115-0001 against ACME's 845 rests Awaiting Review with its lines as
//! validation left them; a reviewer works it and Pay and Close answers it with the 849 the
//! spec gives (§4.4 "Adjudicator, Immediate Claim"), after which the customer claim is
//! approved and settled (C3, C7, C8, C16).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use apply::{
    ApplyError, BatchAction, ClaimAction, Instrument, SettlementMethod, apply_batch_action,
    apply_claim_action, apply_claim_settlement, apply_retro_approval,
};
use common::{
    Harness, Kind, apply_sample_contract, ctx, date, earlier_start, line_statuses, outbox_doc,
    receive, translate,
};
use engine::settings::{BatchMode, UnattendedAmountDisputes};
use rust_decimal::Decimal;
use schemas::{Document, FollowUp, LineStatus};

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

const MEMO: &str = "GDD-CB-20261115-0001";

fn held_partners(mode: BatchMode) -> apply::Partners {
    let mut partners = common::partners();
    let gooddrug = partners.get_mut("gooddrug").expect("gooddrug");
    gooddrug.settings.unattended_amount_disputes = UnattendedAmountDisputes::Hold;
    gooddrug.settings.batch_mode = mode;
    gooddrug.settings.interim_849 = true;
    partners
}

async fn claim(h: &Harness) -> store::ClaimRecord {
    h.store
        .reader()
        .await
        .unwrap()
        .find_claim("gooddrug", MEMO)
        .await
        .unwrap()
        .expect("the customer claim")
}

/// A claim's lines as `line status claimed approved`.
async fn claim_lines(h: &Harness, claim: uuid::Uuid) -> Vec<String> {
    h.store
        .reader()
        .await
        .unwrap()
        .claim_lines(claim)
        .await
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{} {} {} {}",
                l.line.line_no,
                l.line.status,
                l.line.claimed_amount,
                l.line
                    .approved_amount
                    .map_or("-".to_owned(), |a| a.to_string())
            )
        })
        .collect()
}

/// GOOD DRUG's sample 844, received as adjudicator on 2026-11-18.
async fn receive_claim(h: &Harness, partners: &apply::Partners) -> apply::Outcome {
    receive(
        h,
        partners,
        ("engine.claims", "m-844"),
        &translate("844_4010_claim.x12").remove(0),
        "2026-11-18",
    )
    .await
}

/// The batch the sample claim is kept in.
async fn claim_batch(h: &Harness) -> store::BatchRecord {
    h.store
        .reader()
        .await
        .unwrap()
        .find_batch(&format!("gooddrug/{MEMO}"))
        .await
        .unwrap()
        .expect("batch")
}

async fn immediate_claim_case(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = held_partners(BatchMode::ImmediateClaim);
    apply_sample_contract(&h, &partners, "2026-11-15").await;
    let out = receive_claim(&h, &partners).await;
    assert!(out.summary.contains("held for review"), "{}", out.summary);

    // Held: lines 1, 2, 4 claimed on claim #1 (123.00), the others as validation left them;
    // the interim 849 answers the valid lines and holds the rest (AAA04 Y).
    let batch = claim_batch(&h).await;
    assert_eq!(batch.status, "awaiting_review");
    assert_eq!(
        line_statuses(&h, batch.id).await,
        [
            "claimed",
            "claimed",
            "amount_disputed",
            "claimed",
            "eligibility_disputed",
            "eligibility_disputed"
        ]
    );
    let held = claim(&h).await;
    assert_eq!(held.status, "open");
    assert_eq!(held.amount, dec("123.00"));
    assert_eq!(out.outbound.len(), 1, "the interim 849");
    let Document::ClaimResponse(interim) = outbox_doc(&h, &out.outbound[0].message_id).await else {
        panic!("not an 849");
    };
    assert_eq!(interim.total_approved, dec("123.00"));
    assert_eq!(
        interim.lines[2].follow_up,
        Some(FollowUp::DoNotResubmitHeld)
    );

    // The customer claim cannot be approved while its batch waits for the reviewer.
    let before = h.counts().await;
    let refused = apply_claim_action(
        &*h.store,
        held.id,
        held.version,
        &ClaimAction::Approve,
        &ctx("2026-11-19", "approver1"),
    )
    .await;
    assert!(
        matches!(refused, Err(ApplyError::HeldForReview(ref n)) if n == MEMO),
        "{refused:?}"
    );
    assert_eq!(h.counts().await, before, "nothing written");

    // The reviewer accepts line 3 at the calculated amount and pays and closes: the 849 of
    // §4.4, no 844.
    let who = ctx("2026-11-19", "reviewer1");
    let accepted = apply_batch_action(
        &*h.store,
        &partners,
        batch.id,
        batch.version,
        BatchAction::AcceptCalculated { line: "3".into() },
        &who,
    )
    .await
    .expect("accept calculated");
    let closed = apply_batch_action(
        &*h.store,
        &partners,
        batch.id,
        accepted.version,
        BatchAction::PayAndClose,
        &who,
    )
    .await
    .expect("pay and close");
    assert_eq!(closed.status, "closed");
    assert_eq!(closed.outbound.len(), 1, "{}", closed.summary);
    assert_eq!(closed.outbound[0].doc_type, "claim_response");
    let Document::ClaimResponse(answer) = outbox_doc(&h, &closed.outbound[0].message_id).await
    else {
        panic!("not an 849");
    };
    assert_eq!(answer.debit_memo, MEMO);
    assert_eq!(answer.total_claimed, dec("255.25"));
    assert_eq!(answer.total_approved, dec("223.50"));
    let rows: Vec<String> = answer
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
        rows,
        [
            "1 Accepted - - 62.50",
            "2 Accepted - - 48.00",
            "3 Adjusted 06 N 100.50",
            "4 Accepted - - 12.50",
            "5 Rejected 03 N 0.00",
            "6 Rejected 19 C 0.00",
        ]
    );
    assert_eq!(answer.lines[2].status, LineStatus::Adjusted);
    assert_eq!(
        line_statuses(&h, batch.id).await,
        [
            "claimed", "claimed", "claimed", "claimed", "rejected", "rejected"
        ]
    );
    let answered = claim(&h).await;
    assert_eq!(answered.amount, dec("223.50"));
    assert_eq!(answered.payload["adjudication"]["total_approved"], "223.50");
    assert!(answered.payload.get("held").is_none());
    // Answered, the customer claim lists the lines the batch claimed (line 3 on claim #2).
    assert_eq!(
        claim_lines(&h, answered.id).await,
        [
            "1 paid 62.50 62.50",
            "2 paid 48.00 48.00",
            "3 adjusted 120.00 100.50",
            "4 paid 12.50 12.50",
        ]
    );
    let events: Vec<String> = h
        .store
        .audit_events("claim", &answered.id.to_string())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event.event)
        .collect();
    assert!(events.contains(&"answered by 849".to_owned()), "{events:?}");

    // Now approved (C3, C7 at once as adjudicator) and settled by its credit memo (C8).
    let approved = apply_claim_action(
        &*h.store,
        answered.id,
        answered.version,
        &ClaimAction::Approve,
        &ctx("2026-11-20", "approver1"),
    )
    .await
    .expect("approve");
    assert_eq!(approved.status, "settlement_pending");
    let settled = apply_claim_settlement(
        &*h.store,
        answered.id,
        approved.version,
        Instrument {
            method: SettlementMethod::CreditMemoOnAccount,
            number: "ACME-CM-9001".into(),
            date: date("2026-11-21"),
            amount: dec("223.50"),
            mass_settlement: None,
        },
        &ctx("2026-11-21", "ar1"),
    )
    .await
    .expect("settle");
    // Settled in full with nothing left open: closed at once (C8, then C16).
    assert_eq!(settled.status, "closed");
    h.finish().await;
}

/// Review and Claim: nothing is claimed while held and no interim 849 goes out (IC only);
/// Reject Batch (B8) ends it, and the 849 rejects every line.
async fn review_and_claim_case(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = held_partners(BatchMode::ReviewAndClaim);
    apply_sample_contract(&h, &partners, "2026-11-15").await;
    let out = receive_claim(&h, &partners).await;
    assert!(
        out.outbound.is_empty(),
        "no interim 849 in Review and Claim"
    );
    let batch = claim_batch(&h).await;
    assert_eq!(
        line_statuses(&h, batch.id).await,
        [
            "accepted",
            "accepted",
            "amount_disputed",
            "accepted",
            "eligibility_disputed",
            "eligibility_disputed"
        ]
    );
    assert_eq!(claim(&h).await.amount, dec("0"));
    let rejected = apply_batch_action(
        &*h.store,
        &partners,
        batch.id,
        batch.version,
        BatchAction::RejectBatch {
            reason: "claim sent to the wrong supplier".into(),
        },
        &ctx("2026-11-19", "reviewer1"),
    )
    .await
    .expect("reject batch");
    assert_eq!(rejected.status, "rejected");
    assert_eq!(rejected.outbound.len(), 1);
    let Document::ClaimResponse(answer) = outbox_doc(&h, &rejected.outbound[0].message_id).await
    else {
        panic!("not an 849");
    };
    assert_eq!(answer.total_approved, dec("0.00"));
    assert!(
        answer
            .lines
            .iter()
            .all(|l| l.status == LineStatus::Rejected),
        "{:?}",
        answer.lines
    );
    let rejected_claim = claim(&h).await;
    assert_eq!(rejected_claim.amount, dec("0.00"));
    assert!(
        claim_lines(&h, rejected_claim.id).await.is_empty(),
        "nothing claimed"
    );
    h.finish().await;
}

/// §5.3 as adjudicator: ACME moves the contract's start back to 2026-10-01 while GOOD
/// DRUG's claim is held; approving the retro run revalidates the held batch's disputed lines
/// (L14), so line 6 (invoice of 2026-10-20, `CONTRACT_NOT_STARTED`) is accepted and paid at
/// Pay and Close, and line 3 (a wrong contract price) is disputed again.
async fn back_dated_change_case(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = held_partners(BatchMode::ReviewAndClaim);
    apply_sample_contract(&h, &partners, "2026-11-15").await;
    receive_claim(&h, &partners).await;
    let Document::Contract(real) = translate("845_4010_contract.x12").remove(0) else {
        panic!("not a contract");
    };
    let change = receive(
        &h,
        &partners,
        ("engine.contracts", "m-845-change"),
        &earlier_start(&real),
        "2026-12-01",
    )
    .await;
    assert!(
        change.summary.contains("retroactive from"),
        "{}",
        change.summary
    );
    let run = h
        .store
        .reader()
        .await
        .unwrap()
        .retro_runs_by_number("SPA-2026-0042", 2)
        .await
        .unwrap()
        .remove(0);
    let approved = apply_retro_approval(
        &*h.store,
        &partners,
        run.contract_id,
        2,
        &ctx("2026-12-02", "ann"),
    )
    .await
    .expect("retro approval");
    let batch = claim_batch(&h).await;
    assert_eq!(
        approved.result.revalidated,
        std::slice::from_ref(&batch.number)
    );
    assert_eq!(batch.status, "awaiting_review");
    assert_eq!(
        line_statuses(&h, batch.id).await,
        [
            "accepted",
            "accepted",
            "amount_disputed",
            "accepted",
            "eligibility_disputed",
            "accepted"
        ]
    );
    // Approved again: the run is done and revalidates nothing twice.
    let again = apply_retro_approval(
        &*h.store,
        &partners,
        run.contract_id,
        2,
        &ctx("2026-12-03", "bob"),
    )
    .await
    .expect("second approval");
    assert!(again.already_run);
    let closed = apply_batch_action(
        &*h.store,
        &partners,
        batch.id,
        batch.version,
        BatchAction::PayAndClose,
        &ctx("2026-12-03", "reviewer1"),
    )
    .await
    .expect("pay and close");
    let Document::ClaimResponse(answer) = outbox_doc(&h, &closed.outbound[0].message_id).await
    else {
        panic!("not an 849");
    };
    assert_eq!(answer.lines[5].status, LineStatus::Accepted);
    assert_eq!(answer.lines[5].approved_amount, dec("6.25"));
    assert_eq!(answer.lines[2].status, LineStatus::Rejected);
    assert_eq!(answer.total_approved, dec("129.25"));
    h.finish().await;
}

both_backends!(held_immediate_claim, immediate_claim_case);
both_backends!(held_review_and_claim, review_and_claim_case);
both_backends!(held_back_dated_change, back_dated_change_case);
