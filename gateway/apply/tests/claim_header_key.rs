//! §5.2 header key as adjudicator, on SQLite and PostgreSQL: GOOD DRUG's 844
//! GDD-CB-20261115-0001 adjudicated against ACME's 845, then the same debit memo again.
//! BAA01 00 (or anything but 05/15) is refused whole with a header-level 849 (AAA03 11);
//! 05 replaces the original while its batch is still open, else it is refused; 15 resubmits
//! the original's rejected lines as a new batch linked to the original.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use apply::{Partners, apply_document};
use common::{Harness, Kind, applied, ctx, date, outbox_doc, partners, translate};
use engine::batch::Batch;
use engine::settings::UnattendedAmountDisputes;
use rust_decimal::Decimal;
use schemas::{Action, Claim, Document};

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn sample_claim() -> Claim {
    match translate("844_4010_claim.x12").remove(0) {
        Document::Claim(c) => c,
        other => panic!("not a claim: {other:?}"),
    }
}

/// The sample claim with only `lines` (PAD01), as BAA01 `action`, under interchange `icn`.
fn variant(action: Action, lines: &[&str], icn: &str) -> Claim {
    let mut claim = sample_claim();
    claim.action = action;
    claim.source.interchange = icn.into();
    claim.lines.retain(|l| lines.contains(&l.line.as_str()));
    claim.total_claimed = claim.lines.iter().map(|l| l.claimed_amount).sum();
    claim.line_count = claim.lines.len() as u32;
    claim.quantity_total = None;
    claim
}

async fn setup(h: &Harness, partners: &Partners) {
    applied(
        apply_document(
            &*h.store,
            partners,
            "engine.contracts",
            "m-845",
            &translate("845_4010_contract.x12")[0],
            &ctx("2026-11-15", "system"),
        )
        .await,
    );
}

async fn send(h: &Harness, partners: &Partners, message: &str, claim: Claim) -> apply::Outcome {
    applied(
        apply_document(
            &*h.store,
            partners,
            "engine.claims",
            message,
            &Document::Claim(claim),
            &ctx("2026-11-25", "system"),
        )
        .await,
    )
}

async fn refused_with_11(h: &Harness, out: &apply::Outcome) {
    assert_eq!(out.outbound.len(), 1, "{out:?}");
    let Document::ClaimResponse(r) = outbox_doc(h, &out.outbound[0].message_id).await else {
        panic!("not an 849");
    };
    assert_eq!(r.reason_code.as_deref(), Some("11"));
    assert!(r.lines.is_empty(), "header-level reject");
    assert_eq!(r.total_approved, dec("0.00"));
}

async fn batch(h: &Harness, number: &str) -> (store::BatchRecord, Batch) {
    let record = h
        .store
        .reader()
        .await
        .unwrap()
        .find_batch(number)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("batch {number}"));
    let batch = serde_json::from_value(record.payload.clone()).unwrap();
    (record, batch)
}

/// 00 again: refused; 05 while the original is held open (`unattended_amount_disputes =
/// hold`): the original batch and its lines Rejected, its claim cancelled, the replacement
/// adjudicated in its place; 05 again once that batch is Closed: refused.
async fn replace_case(kind: Kind) {
    let h = Harness::new(kind).await;
    let mut partners = partners();
    partners
        .get_mut("gooddrug")
        .expect("gooddrug")
        .settings
        .unattended_amount_disputes = UnattendedAmountDisputes::Hold;
    setup(&h, &partners).await;
    let out = send(&h, &partners, "m-844", sample_claim()).await;
    assert!(out.summary.contains("held for review"), "{}", out.summary);
    let (original, _) = batch(&h, "gooddrug/GDD-CB-20261115-0001").await;
    assert_eq!(original.status, "awaiting_review");

    // The same debit memo as an original again (other content): refused whole, no batch.
    let before = h.counts().await;
    let out = send(
        &h,
        &partners,
        "m-844-dup",
        variant(Action::Original, &["1", "2"], "000005002"),
    )
    .await;
    assert!(
        out.summary.contains("refused: duplicate debit memo"),
        "{}",
        out.summary
    );
    refused_with_11(&h, &out).await;
    let after = h.counts().await;
    let count = |c: &[(&str, i64)], t: &str| c.iter().find(|(n, _)| *n == t).map(|(_, v)| *v);
    assert_eq!(count(&after, "batches"), count(&before, "batches"));
    assert_eq!(count(&after, "claims"), count(&before, "claims"));

    // BAA01 05 without the disputed line 3: replaces the open original.
    let out = send(
        &h,
        &partners,
        "m-844-05",
        variant(Action::Replace, &["1", "2", "4", "5", "6"], "000005003"),
    )
    .await;
    assert!(
        out.summary
            .contains("as GDD-CB-20261115-0001-R1 (replaces GDD-CB-20261115-0001)"),
        "{}",
        out.summary
    );
    assert_eq!(out.outbound.len(), 1, "the replacement is answered");
    let Document::ClaimResponse(r) = outbox_doc(&h, &out.outbound[0].message_id).await else {
        panic!("not an 849");
    };
    assert_eq!(r.debit_memo, "GDD-CB-20261115-0001");
    assert_eq!(r.total_approved, dec("123.00"));
    let (old, _) = batch(&h, "gooddrug/GDD-CB-20261115-0001").await;
    assert_eq!(old.status, "rejected");
    let lines = h
        .store
        .reader()
        .await
        .unwrap()
        .batch_lines(old.id)
        .await
        .unwrap();
    assert!(lines.iter().all(|l| l.line.status == "rejected"));
    let (new, new_batch) = batch(&h, "gooddrug/GDD-CB-20261115-0001-R1").await;
    assert_eq!(new.status, "closed");
    assert_eq!(
        new_batch.header.corrects_batch_id,
        Some(old.id.to_string()),
        "the replacement is linked to the batch it replaces"
    );
    let mut read = h.store.reader().await.unwrap();
    let old_claim = read
        .find_claim("gooddrug", "GDD-CB-20261115-0001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old_claim.status, "cancelled");
    assert_eq!(old_claim.payload["replaced_by"], "GDD-CB-20261115-0001-R1");
    let new_claim = read
        .find_claim("gooddrug", "GDD-CB-20261115-0001-R1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new_claim.payload["replaces"], "GDD-CB-20261115-0001");
    assert_eq!(new_claim.amount, dec("123.00"));
    drop(read);
    let events: Vec<String> = h
        .store
        .audit_events("batch", &old.id.to_string())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event.event)
        .collect();
    assert!(
        events.contains(&"B8 replaced by BAA01 05".to_owned()),
        "{events:?}"
    );

    // 05 again: the current claim's batch is Closed now, so it is refused whole.
    let before = h.counts().await;
    let out = send(
        &h,
        &partners,
        "m-844-05b",
        variant(Action::Replace, &["1", "2"], "000005004"),
    )
    .await;
    assert!(
        out.summary.contains("refused: replaces a closed batch"),
        "{}",
        out.summary
    );
    refused_with_11(&h, &out).await;
    let after = h.counts().await;
    assert_eq!(count(&after, "batches"), count(&before, "batches"));
    assert_eq!(count(&after, "claims"), count(&before, "claims"));
    // The same replacement delivered again under another message id writes nothing.
    let before = h.counts().await;
    let out = send(
        &h,
        &partners,
        "m-844-05-again",
        variant(Action::Replace, &["1", "2", "4", "5", "6"], "000005003"),
    )
    .await;
    assert!(
        out.summary.contains("already adjudicated"),
        "{}",
        out.summary
    );
    let after = h.counts().await;
    assert_eq!(count(&after, "batches"), count(&before, "batches"));
    assert_eq!(count(&after, "outbox"), count(&before, "outbox"));
    h.finish().await;
}

/// 15 after the original closed: line 6 (rejected 19, invoice date before the contract)
/// comes back corrected and is paid; line 1, paid on the original, is a duplicate (28); the
/// new batch is linked to the original.
async fn resubmission_case(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = partners();
    setup(&h, &partners).await;
    let out = send(&h, &partners, "m-844", sample_claim()).await;
    assert!(
        out.summary.contains("approved 223.50 of 255.25"),
        "{}",
        out.summary
    );
    let (original, _) = batch(&h, "gooddrug/GDD-CB-20261115-0001").await;
    assert_eq!(original.status, "closed");

    let mut again = variant(Action::Resubmission, &["1", "6"], "000005010");
    again.lines[1].invoice_date = Some(date("2026-11-20"));
    let out = send(&h, &partners, "m-844-15", again).await;
    assert!(
        out.summary
            .contains("as GDD-CB-20261115-0001-R1 (resubmits GDD-CB-20261115-0001)"),
        "{}",
        out.summary
    );
    let (new, new_batch) = batch(&h, "gooddrug/GDD-CB-20261115-0001-R1").await;
    assert_eq!(
        new_batch.header.corrects_batch_id,
        Some(original.id.to_string())
    );
    assert_eq!(new.debit_memo.as_deref(), Some("GDD-CB-20261115-0001"));
    let Document::ClaimResponse(r) = outbox_doc(&h, &out.outbound[0].message_id).await else {
        panic!("not an 849");
    };
    let lines: Vec<String> = r
        .lines
        .iter()
        .map(|l| format!("{} {:?} {}", l.line, l.reason_code, l.approved_amount))
        .collect();
    assert_eq!(lines, ["1 Some(\"28\") 0.00", "6 None 6.25"]);
    // The original is untouched: still Closed, its claim open.
    let (still, _) = batch(&h, "gooddrug/GDD-CB-20261115-0001").await;
    assert_eq!(
        (still.status.as_str(), still.version),
        ("closed", original.version)
    );
    h.finish().await;
}

/// The 844's CUR02 is the currency of the batch and claim it becomes; without CUR, dollars.
async fn currency_case(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = partners();
    setup(&h, &partners).await;
    let mut cad = variant(Action::Original, &["1"], "000005101");
    cad.debit_memo = "GDD-CB-CAD-0001".into();
    cad.currency = Some("CAD".into());
    send(&h, &partners, "m-844-cad", cad).await;
    let mut plain = variant(Action::Original, &["1"], "000005102");
    plain.debit_memo = "GDD-CB-USD-0001".into();
    plain.currency = None;
    send(&h, &partners, "m-844-plain", plain).await;
    for (number, currency) in [("GDD-CB-CAD-0001", "CAD"), ("GDD-CB-USD-0001", "USD")] {
        let (_, batch) = batch(&h, &format!("gooddrug/{number}")).await;
        assert_eq!(batch.header.currency, currency, "{number}");
        let claim = h
            .store
            .reader()
            .await
            .unwrap()
            .find_claim("gooddrug", number)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("claim {number}"));
        assert_eq!(claim.payload["currency"], currency, "{number}");
    }
    h.finish().await;
}

both_backends!(header_key_replace, replace_case);
both_backends!(header_key_resubmission, resubmission_case);
both_backends!(claim_currency, currency_case);
