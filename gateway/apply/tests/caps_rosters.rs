//! Caps from an 845 (chargeback-rules 5.1) and GPO rosters (2.2, 5.3) through `apply`, on
//! SQLite and PostgreSQL: the 845 `acmepharma/samples/845_5010_contract_caps.x12` caps
//! 12345010001 at 10 CA on SPA-2026-0099; GOOD DRUG's sales reports consume it across
//! batches, and a restarted process (a new contract book cache) still sees what is left.
//! SPA-2026-0099 is also GPO77's contract: roster uploads make customers eligible (V5) or,
//! deactivated, `MEMBERSHIP_INACTIVE` (26, C).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use apply::{Partners, apply_document};
use common::{Harness, Kind, answer_849, answered, applied, ctx, partners};
use engine::batch::{BatchLine, LineStatus};
use engine::reasons::ReasonCode;
use rust_decimal::Decimal;
use schemas::{Action, Document, Party, SalesLine, SalesReport, Source};

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

/// The documents of an acmepharma sample, translated with the checked-in profiles.
fn acme_sample(name: &str) -> Document {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../partner-maps/profiles/acmepharma/samples")
        .join(name);
    let bytes = std::fs::read(path).expect("sample file");
    let mut docs = Vec::new();
    for outcome in partner_maps::translate(
        &bytes[..],
        &format!("sha-of-{name}"),
        &common::profiles(),
        None,
    ) {
        assert!(
            outcome.result.is_ok(),
            "{name}: {:?}",
            outcome.all_diagnostics()
        );
        docs.extend(outcome.documents().iter().cloned());
    }
    assert_eq!(docs.len(), 1, "{name}");
    docs.remove(0)
}

fn party(qualifier: &str, id: &str, name: &str) -> Party {
    Party {
        qualifier: qualifier.into(),
        id: id.into(),
        name: Some(name.into()),
        additional_names: vec![],
        kind: None,
        address: None,
        refs: vec![],
    }
}

/// GOOD DRUG's sales report `id` with one line per (customer DEA/HIN, quantity) of
/// 12345010001 on SPA-2026-0099 (contract 12.50, WAC 18.75: 6.25 per CA).
fn report(id: &str, lines: &[(&str, &str, &str)]) -> Document {
    let item = match acme_sample("845_5010_contract_caps.x12") {
        Document::Contract(c) => c.items[0].item.clone(),
        _ => panic!("not a contract"),
    };
    Document::SalesReport(SalesReport {
        currency: None,
        source: Source {
            file: format!("sha-of-{id}"),
            interchange: id.into(),
            group: "1".into(),
            set: "0001".into(),
            partner: Some("gooddrug".into()),
        },
        action: Action::Original,
        report_id: id.into(),
        date: common::date("2026-11-15"),
        report_type: None,
        period_start: common::date("2026-11-01"),
        period_end: common::date("2026-11-15"),
        distributor: party("1", "987654321", "GOOD DRUG DISTRIBUTORS"),
        supplier: party("1", "123456789", "ACME PHARMACEUTICALS INC"),
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (qualifier, customer, quantity))| {
                let q = dec(quantity);
                SalesLine {
                    line: i as u32 + 1,
                    transfer_type: "SS".into(),
                    contract_id: Some("SPA-2026-0099".into()),
                    end_customer: Some(party(qualifier, customer, "CUSTOMER").into()),
                    class_of_trade: None,
                    item: item.clone(),
                    quantity: q,
                    uom: "CA".into(),
                    unit_price: dec("12.50"),
                    amount: Some(dec("6.25") * q),
                    invoice: format!("{id}-INV{}", i + 1).into(),
                    original_invoice: None,
                    invoice_date: Some(common::date("2026-11-05")),
                    ship_date: None,
                }
            })
            .collect(),
        line_count: Some(lines.len() as u32),
        quantity_total: None,
    })
}

async fn apply_doc(
    h: &Harness,
    partners: &Partners,
    message: &str,
    doc: &Document,
    day: &str,
) -> String {
    let mut summary = applied(
        apply_document(
            &*h.store,
            partners,
            "engine",
            message,
            doc,
            &ctx(day, "system"),
        )
        .await,
    )
    .summary;
    // GOOD DRUG's trigger is Daily (8.1): each report here is the day's only one, cut the
    // same day to be processed as its own batch.
    if matches!(doc, Document::SalesReport(_)) {
        for cut in common::cut(h, partners, day).await {
            summary.push_str("; ");
            summary.push_str(&cut);
        }
    }
    summary
}

/// The lines of GOOD DRUG's batch for a report, as the engine left them.
async fn lines_of(h: &Harness, report_id: &str) -> Vec<BatchLine> {
    let batch = common::report_batch(h, "gooddrug", report_id).await;
    let mut read = h.store.reader().await.unwrap();
    read.batch_lines(batch.id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.line.payload.parse().expect("line payload"))
        .collect()
}

fn reason(line: &BatchLine) -> (LineStatus, Option<ReasonCode>, Option<Decimal>) {
    let v = line.validation.as_ref().expect("validated");
    (v.status, v.primary, v.cap_remaining)
}

const RIVERSIDE: (&str, &str) = ("11", "AR1234563");

/// ACME's capped 845 (10 CA of 12345010001 on SPA-2026-0099) applied on 2026-11-01, then
/// GOOD DRUG's report R1 of 6 CA for Riverside on 2026-11-15.
async fn six_of_ten_claimed(h: &Harness, partners: &Partners) {
    let contract = acme_sample("845_5010_contract_caps.x12");
    let out = apply_doc(h, partners, "m-845", &contract, "2026-11-01").await;
    assert_eq!(out, "contract SPA-2026-0099 version 1");
    let (q, c) = RIVERSIDE;
    apply_doc(
        h,
        partners,
        "m-r1",
        &report("R1", &[(q, c, "6")]),
        "2026-11-15",
    )
    .await;
}

/// The movements of SPA-2026-0099's 12345010001 cap, as `kind line quantity`.
async fn cap_moves(h: &Harness) -> Vec<String> {
    let key = "123456789/SPA-2026-0099/NDC:12345010001/*/v1".to_owned();
    let mut read = h.store.reader().await.unwrap();
    read.cap_entries(&[key])
        .await
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e.entry.kind.as_str(),
                e.entry.line_ref.as_deref().unwrap_or("-"),
                e.entry.quantity.normalize()
            )
        })
        .collect()
}

/// 10 CA cap: batch 1 takes 6, batch 2 asks 5 and finds 4 (CAP_EXCEEDED, AAA03 04) in a
/// process that rebuilt everything from the store; 4 then fit (reserved), and the next 1 finds
/// nothing (CAP_EXHAUSTED, AAA03 05).
async fn cap_spans_batches_and_restarts(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = partners();
    six_of_ten_claimed(&h, &partners).await;
    let (q, c) = RIVERSIDE;
    let first = lines_of(&h, "R1").await;
    assert_eq!(reason(&first[0]), (LineStatus::Accepted, None, None));
    assert_eq!(first[0].status, LineStatus::Claimed);

    // A new process: nothing cached, the book and the ledger come from the database.
    let restarted = common::partners();
    let out = apply_doc(
        &h,
        &restarted,
        "m-r2",
        &report("R2", &[(q, c, "5")]),
        "2026-11-16",
    )
    .await;
    // Its only line disputed: the batch is rejected whole (B2), the line keeps its reason.
    assert!(out.contains("rejected"), "{out}");
    let second = lines_of(&h, "R2").await;
    assert_eq!(
        reason(&second[0]),
        (
            LineStatus::AmountDisputed,
            Some(ReasonCode::CapExceeded),
            Some(dec("4"))
        )
    );
    assert_eq!(ReasonCode::CapExceeded.aaa03(), "04");

    let restarted = common::partners();
    apply_doc(
        &h,
        &restarted,
        "m-r3",
        &report("R3", &[(q, c, "4"), (q, c, "1")]),
        "2026-11-17",
    )
    .await;
    let third = lines_of(&h, "R3").await;
    assert_eq!(reason(&third[0]), (LineStatus::Accepted, None, None));
    assert_eq!(
        reason(&third[1]),
        (
            LineStatus::AmountDisputed,
            Some(ReasonCode::CapExhausted),
            Some(dec("0"))
        )
    );

    // Review and Claim: R1 had only valid lines and was claimed (consumed); R3's valid line
    // waits for the reviewer, Accepted, holding its reservation until Pay and Close.
    assert_eq!(third[0].status, LineStatus::Accepted);
    // The reviewer pays and closes R3 (restarted process again): the reservation is consumed.
    let batch = common::report_batch(&h, "gooddrug", "R3").await;
    let paid = apply::apply_batch_action(
        &*h.store,
        &common::partners(),
        batch.id,
        batch.version,
        apply::BatchAction::PayAndClose,
        &ctx("2026-11-18", "analyst"),
    )
    .await
    .expect("pay and close");
    assert_eq!(paid.status, "closed");
    assert_eq!(
        cap_moves(&h).await,
        [
            "reserved 1 6",
            "consumed 1 6",
            "reserved 1 4",
            "consumed 1 4"
        ]
    );
    h.finish().await;
}
both_backends!(
    cap_spans_batches_and_restarts_on,
    cap_spans_batches_and_restarts
);

/// §5.1 as claimant: the ledger mirrors the supplier's. R1's 6 CA are claimed (consumed);
/// ACME's 849 rejects the line, which gives the 6 CA back, so R2's 10 CA fit the 10 CA cap.
async fn an_849_rejection_gives_the_cap_back(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = partners();
    six_of_ten_claimed(&h, &partners).await;
    let (q, c) = RIVERSIDE;
    assert_eq!(lines_of(&h, "R1").await[0].status, LineStatus::Claimed);
    let pending = h.store.pending_outbox(1_000).await.unwrap();
    let sent = pending
        .iter()
        .find_map(|r| match serde_json::from_slice(&r.message.payload) {
            Ok(Document::Claim(c)) => Some(c),
            _ => None,
        })
        .expect("R1's 844 in the outbox");
    let rejection = answer_849(&sent, "000000849", sent.lines[0].claimed_amount);
    let out = apply_doc(
        &h,
        &partners,
        "m-849",
        &Document::ClaimResponse(rejection),
        "2026-11-20",
    )
    .await;
    assert!(out.contains("approved 0.00"), "{out}");
    apply_doc(
        &h,
        &partners,
        "m-r2",
        &report("R2", &[(q, c, "10")]),
        "2026-11-21",
    )
    .await;
    let second = lines_of(&h, "R2").await;
    assert_eq!(reason(&second[0]), (LineStatus::Accepted, None, None));
    assert_eq!(
        cap_moves(&h).await,
        [
            "reserved 1 6",
            "consumed 1 6",
            "released 1 6",
            "reserved 1 10",
            "consumed 1 10"
        ]
    );
    h.finish().await;
}
both_backends!(
    an_849_rejection_gives_the_cap_back_on,
    an_849_rejection_gives_the_cap_back
);

/// The change 845 resets the cap to 20 CA (CTB03 61): what batch 1 consumed no longer counts.
async fn a_reset_starts_the_cap_over(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = partners();
    apply_doc(
        &h,
        &partners,
        "m-845",
        &acme_sample("845_5010_contract_caps.x12"),
        "2026-11-01",
    )
    .await;
    let (q, c) = RIVERSIDE;
    apply_doc(
        &h,
        &partners,
        "m-r1",
        &report("R1", &[(q, c, "10")]),
        "2026-11-15",
    )
    .await;
    let out = apply_doc(
        &h,
        &partners,
        "m-845c",
        &acme_sample("845_5010_contract_caps_reset.x12"),
        "2026-12-01",
    )
    .await;
    assert_eq!(out, "contract SPA-2026-0099 version 2");
    let restarted = common::partners();
    apply_doc(
        &h,
        &restarted,
        "m-r2",
        &report("R2", &[(q, c, "20"), (q, c, "1")]),
        "2026-12-02",
    )
    .await;
    let lines = lines_of(&h, "R2").await;
    assert_eq!(reason(&lines[0]), (LineStatus::Accepted, None, None));
    assert_eq!(
        reason(&lines[1]),
        (
            LineStatus::AmountDisputed,
            Some(ReasonCode::CapExhausted),
            Some(dec("0"))
        )
    );
    h.finish().await;
}
both_backends!(a_reset_starts_the_cap_over_on, a_reset_starts_the_cap_over);

const HILLCREST: (&str, &str) = ("21", "5G6H7J8K9");

fn roster(rows: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut csv = String::from(
        "gpo_id_qualifier,gpo_id,customer_id_qualifier,customer_id,customer_name,activation_date,deactivation_date,tier\n",
    );
    for (q, id, start) in rows {
        csv.push_str(&format!("91,GPO77,{q},{id},MEMBER {id},{start},,A\n"));
    }
    csv.into_bytes()
}

/// 20 other hospitals plus Hillcrest, all active from 2026-11-01.
fn members(with_hillcrest: bool, others: usize) -> Vec<u8> {
    let ids: Vec<String> = (0..others).map(|i| format!("H{i:03}")).collect();
    let mut rows: Vec<(&str, &str, &str)> = ids
        .iter()
        .map(|id| ("21", id.as_str(), "2026-11-01"))
        .collect();
    if with_hillcrest {
        rows.push((HILLCREST.0, HILLCREST.1, "2026-11-01"));
    }
    roster(&rows)
}

async fn line_after(
    h: &Harness,
    id: &str,
    invoice_day: &str,
    today: &str,
) -> (LineStatus, Option<ReasonCode>) {
    let mut doc = report(id, &[(HILLCREST.0, HILLCREST.1, "1")]);
    if let Document::SalesReport(r) = &mut doc {
        r.lines[0].invoice_date = Some(common::date(invoice_day));
    }
    // Every sale in a fresh process: memberships come from the database.
    apply_doc(h, &common::partners(), &format!("m-{id}"), &doc, today).await;
    let line = lines_of(h, id).await.remove(0);
    let (status, primary, _) = reason(&line);
    (status, primary)
}

/// Hillcrest is not on the 845: not eligible until a roster makes it a GPO77 member (a
/// back-dated activation, recorded as retroactive); a snapshot without it deactivates it
/// (1 of 21, under 5 %): later sales are MEMBERSHIP_INACTIVE (26, C).
async fn rosters_decide_v5(kind: Kind) {
    let h = Harness::new(kind).await;
    apply_doc(
        &h,
        &partners(),
        "m-845",
        &acme_sample("845_5010_contract_caps.x12"),
        "2026-11-01",
    )
    .await;
    assert_eq!(
        line_after(&h, "S1", "2026-11-05", "2026-11-06").await,
        (
            LineStatus::EligibilityDisputed,
            Some(ReasonCode::CustomerNotEligible)
        )
    );

    let out = apply::apply_roster_upload(
        &*h.store,
        "GPO77",
        apply::RosterMode::Delta,
        &members(true, 20),
        &ctx("2026-11-10", "analyst"),
    )
    .await
    .expect("roster applies");
    assert_eq!(out.status, "applied");
    let applied = out.applied.expect("applied");
    assert_eq!((applied.added, applied.deactivated), (21, 0));
    assert_eq!(applied.retroactive_from, Some(common::date("2026-11-01")));
    let events = h.store.audit_events("gpo", "GPO77").await.unwrap();
    assert_eq!(
        events
            .last()
            .and_then(|e| e.event.reason.clone())
            .as_deref(),
        Some("retroactive from 2026-11-01: retro run pending approval")
    );
    let upload = h
        .store
        .audit_events("roster_upload", &out.id.to_string())
        .await
        .unwrap();
    assert_eq!(upload.len(), 1);
    assert_eq!(
        line_after(&h, "S2", "2026-11-05", "2026-11-11").await,
        (LineStatus::Accepted, None)
    );

    // Snapshot on 11-20 without Hillcrest: 1 of 21 deactivated (end 11-20, inclusive).
    let out = apply::apply_roster_upload(
        &*h.store,
        "GPO77",
        apply::RosterMode::Snapshot,
        &members(false, 20),
        &ctx("2026-11-20", "analyst"),
    )
    .await
    .expect("snapshot applies");
    assert_eq!(out.applied.map(|a| a.deactivated), Some(1));
    assert_eq!(
        line_after(&h, "S3", "2026-11-25", "2026-11-26").await,
        (
            LineStatus::EligibilityDisputed,
            Some(ReasonCode::MembershipInactive)
        )
    );
    assert_eq!(ReasonCode::MembershipInactive.aaa03(), "26");
    // A sale from before the deactivation stays eligible.
    assert_eq!(
        line_after(&h, "S4", "2026-11-19", "2026-11-26").await,
        (LineStatus::Accepted, None)
    );
    h.finish().await;
}
both_backends!(rosters_decide_v5_on, rosters_decide_v5);

/// A snapshot dropping Hillcrest and 1 more of 21 (9.5 %) is held: nothing changes and
/// Hillcrest stays eligible until the upload is approved; approving twice is refused.
async fn a_large_snapshot_waits_for_approval(kind: Kind) {
    let h = Harness::new(kind).await;
    apply_doc(
        &h,
        &partners(),
        "m-845",
        &acme_sample("845_5010_contract_caps.x12"),
        "2026-11-01",
    )
    .await;
    apply::apply_roster_upload(
        &*h.store,
        "GPO77",
        apply::RosterMode::Snapshot,
        &members(true, 20),
        &ctx("2026-11-01", "analyst"),
    )
    .await
    .expect("first roster");
    let held = apply::apply_roster_upload(
        &*h.store,
        "GPO77",
        apply::RosterMode::Snapshot,
        &members(false, 19),
        &ctx("2026-11-10", "analyst"),
    )
    .await
    .expect("held");
    assert_eq!(
        (held.status.as_str(), held.held),
        ("pending_approval", Some((2, 21)))
    );
    assert!(held.applied.is_none());
    let stored = h
        .store
        .reader()
        .await
        .unwrap()
        .get_roster_upload(held.id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(
        (stored.status.as_str(), stored.row_count),
        ("pending_approval", 19)
    );
    assert_eq!(
        line_after(&h, "S1", "2026-11-12", "2026-11-13").await,
        (LineStatus::Accepted, None)
    );

    let approved = apply::approve_roster_upload(
        &*h.store,
        "GPO77",
        held.id,
        &ctx("2026-11-14", "supervisor"),
    )
    .await
    .expect("approved");
    assert_eq!(approved.status, "applied");
    assert_eq!(approved.applied.map(|a| a.deactivated), Some(2));
    assert_eq!(
        line_after(&h, "S2", "2026-11-16", "2026-11-17").await,
        (
            LineStatus::EligibilityDisputed,
            Some(ReasonCode::MembershipInactive)
        )
    );
    let again = apply::approve_roster_upload(
        &*h.store,
        "GPO77",
        held.id,
        &ctx("2026-11-15", "supervisor"),
    )
    .await;
    assert!(
        matches!(again, Err(apply::ApplyError::RosterNotPending(_))),
        "{again:?}"
    );
    let other_gpo = apply::approve_roster_upload(
        &*h.store,
        "GPO12",
        held.id,
        &ctx("2026-11-15", "supervisor"),
    )
    .await;
    assert!(
        matches!(other_gpo, Err(apply::ApplyError::UnknownRoster { .. })),
        "{other_gpo:?}"
    );
    // A bad file writes nothing and says where it is wrong.
    let bad = apply::apply_roster_upload(
        &*h.store,
        "GPO77",
        apply::RosterMode::Delta,
        b"gpo_id\nGPO77\n",
        &ctx("2026-11-15", "analyst"),
    )
    .await;
    assert_eq!(
        bad.map(|o| o.status).map_err(|e| e.to_string()),
        Err("roster: row 1, column gpo_id_qualifier: column missing".to_owned())
    );
    h.finish().await;
}
both_backends!(
    a_large_snapshot_waits_for_approval_on,
    a_large_snapshot_waits_for_approval
);

/// GOOD DRUG's 844 `memo` on SPA-2026-0099 for Riverside, one line per quantity of
/// 12345010001, from the sample 844's first line.
fn claim_844(memo: &str, quantities: &[&str]) -> Document {
    let Document::Claim(mut claim) = common::translate("844_4010_claim.x12").remove(0) else {
        panic!("not a claim");
    };
    let template = claim.lines[0].clone();
    claim.debit_memo = memo.into();
    claim.source.interchange = memo.into();
    claim.lines = quantities
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mut l = template.clone();
            l.line = (i + 1).to_string();
            l.contract_id = "SPA-2026-0099".into();
            l.quantity = dec(q);
            l.wac = Some(dec("18.75"));
            l.contract_price = dec("12.50");
            l.claimed_amount = dec("6.25") * dec(q);
            l.invoice = format!("{memo}-{}", i + 1);
            l
        })
        .collect();
    claim.total_claimed = claim.lines.iter().map(|l| l.claimed_amount).sum();
    claim.line_count = claim.lines.len() as u32;
    claim.quantity_total = None;
    Document::Claim(claim)
}

/// Supplier side: ACME adjudicates GOOD DRUG's 844s against its capped 845: 6 then 5 of 10 CA
/// in one claim (the 849 says AAA03 04), then, in a later claim seen by a restarted process,
/// 4 fit and 1 more finds nothing (05).
async fn adjudication_answers_cap_codes(kind: Kind) {
    let h = Harness::new(kind).await;
    apply_doc(
        &h,
        &partners(),
        "m-845",
        &acme_sample("845_5010_contract_caps.x12"),
        "2026-11-01",
    )
    .await;
    let doc = claim_844("GDD-CAP-1", &["6", "5"]);
    let out = applied(
        apply_document(
            &*h.store,
            &partners(),
            "engine.claims",
            "m-844-1",
            &doc,
            &ctx("2026-11-18", "system"),
        )
        .await,
    );
    assert_eq!(
        answered(&h, &out.outbound[0].message_id).await,
        ["1 - 37.50", "2 04 0.00"]
    );
    let doc = claim_844("GDD-CAP-2", &["4", "1"]);
    let out = applied(
        apply_document(
            &*h.store,
            &common::partners(),
            "engine.claims",
            "m-844-2",
            &doc,
            &ctx("2026-11-19", "system"),
        )
        .await,
    );
    assert_eq!(
        answered(&h, &out.outbound[0].message_id).await,
        ["1 - 25.00", "2 05 0.00"]
    );
    h.finish().await;
}
both_backends!(
    adjudication_answers_cap_codes_on,
    adjudication_answers_cap_codes
);

/// Supplier side, §5.1 with §13.1 `pay_calculated`: GOOD DRUG claims 40.00 for 6 CA whose
/// chargeback is 37.50 (`AMOUNT_MISMATCH`); the 849 pays the calculated 37.50, so the line is
/// claimed at 37.50 and consumes 6 of the 10 CA cap, as a line paid as claimed does: a later
/// claim of 5 CA finds 4 left (04, nothing paid).
async fn a_line_paid_at_the_calculated_amount_consumes_its_cap(kind: Kind) {
    let h = Harness::new(kind).await;
    apply_doc(
        &h,
        &partners(),
        "m-845",
        &acme_sample("845_5010_contract_caps.x12"),
        "2026-11-01",
    )
    .await;
    let Document::Claim(mut over) = claim_844("GDD-CAP-1", &["6"]) else {
        unreachable!("claim_844 makes claims")
    };
    over.lines[0].claimed_amount = dec("40.00");
    over.total_claimed = dec("40.00");
    let out = applied(
        apply_document(
            &*h.store,
            &partners(),
            "engine.claims",
            "m-844-1",
            &Document::Claim(over),
            &ctx("2026-11-18", "system"),
        )
        .await,
    );
    assert_eq!(
        answered(&h, &out.outbound[0].message_id).await,
        ["1 33 37.50"]
    );
    let mut read = h.store.reader().await.unwrap();
    let batch = read
        .find_batch("gooddrug/GDD-CAP-1")
        .await
        .unwrap()
        .expect("batch");
    let lines = read.batch_lines(batch.id).await.unwrap();
    assert_eq!(
        (lines[0].line.status.as_str(), lines[0].line.accepted_amount),
        ("claimed", Some(dec("37.50")))
    );
    let key = "123456789/SPA-2026-0099/NDC:12345010001/*/v1".to_owned();
    let moves: Vec<String> = read
        .cap_entries(&[key])
        .await
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {}",
                e.entry.kind.as_str(),
                e.entry.line_ref.as_deref().unwrap_or("-"),
                e.entry.quantity.normalize(),
                e.entry.amount
            )
        })
        .collect();
    assert_eq!(moves, ["reserved 1 6 37.50", "consumed 1 6 37.50"]);
    drop(read);
    let out = applied(
        apply_document(
            &*h.store,
            &partners(),
            "engine.claims",
            "m-844-2",
            &claim_844("GDD-CAP-2", &["5"]),
            &ctx("2026-11-19", "system"),
        )
        .await,
    );
    assert_eq!(
        answered(&h, &out.outbound[0].message_id).await,
        ["1 04 0.00"]
    );
    h.finish().await;
}
both_backends!(
    a_line_paid_at_the_calculated_amount_consumes_its_cap_on,
    a_line_paid_at_the_calculated_amount_consumes_its_cap
);

/// BAA01 05 as adjudicator (§5.2) gives the replaced lines' cap back (§5.1): with the batch of
/// GDD-CAP-1 held for review (its 5 CA line found only 4 left of 10), its replacement claims 4;
/// the 6 the replaced line held are released, so a later 6 CA claim fits the 10 CA cap
/// (10 - 4 = 6) instead of finding it exhausted.
async fn a_replaced_claim_gives_its_cap_back(kind: Kind) {
    let h = Harness::new(kind).await;
    let mut partners = partners();
    partners
        .get_mut("gooddrug")
        .expect("gooddrug")
        .settings
        .unattended_amount_disputes = engine::settings::UnattendedAmountDisputes::Hold;
    apply_doc(
        &h,
        &partners,
        "m-845",
        &acme_sample("845_5010_contract_caps.x12"),
        "2026-11-01",
    )
    .await;
    let send = |message: &'static str, doc: Document, day: &'static str| {
        let (h, partners) = (&h, &partners);
        async move {
            applied(
                apply_document(
                    &*h.store,
                    partners,
                    "engine.claims",
                    message,
                    &doc,
                    &ctx(day, "system"),
                )
                .await,
            )
        }
    };
    let held = send("m-844-1", claim_844("GDD-CAP-1", &["6", "5"]), "2026-11-18").await;
    assert!(held.summary.contains("held for review"), "{}", held.summary);
    let Document::Claim(mut replacement) = claim_844("GDD-CAP-1", &["4"]) else {
        unreachable!("claim_844 makes claims")
    };
    replacement.action = Action::Replace;
    replacement.source.interchange = "GDD-CAP-1-R".into();
    let replaced = send("m-844-1r", Document::Claim(replacement), "2026-11-19").await;
    assert_eq!(
        answered(&h, &replaced.outbound[0].message_id).await,
        ["1 - 25.00"]
    );
    let later = send("m-844-3", claim_844("GDD-CAP-3", &["6"]), "2026-11-20").await;
    assert_eq!(
        answered(&h, &later.outbound[0].message_id).await,
        ["1 - 37.50"],
        "{}",
        later.summary
    );
    h.finish().await;
}
both_backends!(
    a_replaced_claim_gives_its_cap_back_on,
    a_replaced_claim_gives_its_cap_back
);
