//! `claim_trigger` cuts a claimant's sale lines into batches (chargeback-rules 2.1, 8.1), on
//! SQLite and PostgreSQL: Daily, Weekly and Monthly collect the lines posted in a period (the
//! day a report is applied) into one Open batch, cut once the period has ended — Immediate
//! Claim then claims the valid lines and sends the 844, Review and Claim waits for the
//! reviewer —; Immediate makes one batch per invoice, processed at once. The cut is
//! idempotent, does nothing before the period ends, survives a restart (state only in the
//! store) and two concurrent cutters make one claim.
//!
//! GOOD DRUG's sample 867 (`samples/867_4010_sales.x12`) has 4 lines on 3 invoices against
//! ACME's SPA-2026-0042: INV0098123 (62.50 + 48.00) and INV0098301 (12.50) valid, INV0098555
//! without a contract (disputed). Each report here is that 867 under its own id, its invoices
//! suffixed so that it is other sales.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use apply::{Partners, apply_document};
use common::{Harness, Kind, applied, apply_sample_contract, ctx, date, translate};
use engine::settings::{BatchMode, ClaimTrigger};
use rust_decimal::Decimal;
use schemas::Document;

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

/// The profiles' partners with GOOD DRUG's trigger and mode set.
fn partners_with(trigger: ClaimTrigger, mode: BatchMode) -> Partners {
    let mut partners = common::partners();
    let gdd = partners.get_mut("gooddrug").expect("gooddrug");
    gdd.settings.claim_trigger = trigger;
    gdd.settings.batch_mode = mode;
    partners
}

/// The sample 867 as report `id`, its invoices suffixed with `suffix` (other sales).
fn report(id: &str, suffix: &str) -> Document {
    let Document::SalesReport(mut r) = translate("867_4010_sales.x12").remove(0) else {
        panic!("not a sales report");
    };
    r.report_id = id.into();
    r.source.interchange = id.into();
    for line in &mut r.lines {
        line.invoice.push_str(suffix);
    }
    Document::SalesReport(r)
}

async fn post(
    h: &Harness,
    partners: &Partners,
    message: &str,
    doc: &Document,
    day: &str,
) -> String {
    applied(
        apply_document(
            &*h.store,
            partners,
            "engine.sales",
            message,
            doc,
            &ctx(day, "system"),
        )
        .await,
    )
    .summary
}

async fn cut(h: &Harness, partners: &Partners, through: &str, day: &str) -> Vec<apply::CutBatch> {
    apply::cut_due(
        &*h.store,
        partners,
        date(through),
        None,
        &ctx(day, "system"),
    )
    .await
    .expect("cut")
}

async fn started(kind: Kind) -> Harness {
    let h = Harness::new(kind).await;
    apply_sample_contract(&h, &common::partners(), "2026-11-01").await;
    h
}

/// (status, line statuses) of the batch a report went into.
async fn batch_state(h: &Harness, report_id: &str) -> (String, String, Vec<String>) {
    let batch = common::report_batch(h, "gooddrug", report_id).await;
    let mut read = h.store.reader().await.unwrap();
    let lines = read.batch_lines(batch.id).await.unwrap();
    (
        batch.number,
        batch.status,
        lines.into_iter().map(|l| l.line.status).collect(),
    )
}

/// The reports recorded in the batch report `report_id` went into.
async fn batch_reports(h: &Harness, report_id: &str) -> Vec<store::BatchReport> {
    let batch = common::report_batch(h, "gooddrug", report_id).await;
    let mut read = h.store.reader().await.unwrap();
    read.batch_reports(batch.id).await.unwrap()
}

async fn claim_count(h: &Harness) -> i64 {
    h.counts()
        .await
        .into_iter()
        .find(|(t, _)| *t == "claims")
        .map_or(0, |(_, n)| n)
}

/// Two reports the same day land in one Daily batch (lines numbered on), a line sent again
/// in the second is a Duplicate, nothing is claimed before the cut; the cut (the next day)
/// makes one claim of both reports' valid lines (Immediate Claim, B4) and its 844; cutting
/// again does nothing more; a report the next day opens a new batch.
async fn daily_two_reports_one_claim(kind: Kind) {
    let h = started(kind).await;
    let partners = partners_with(ClaimTrigger::Daily, BatchMode::ImmediateClaim);
    let first = post(&h, &partners, "m-1", &report("R1", "-A"), "2026-12-01").await;
    assert!(
        first.contains("batch gooddrug/123456789/2026-12-01 open until 2026-12-01"),
        "{first}"
    );
    let mut second = report("R2", "-B");
    if let Document::SalesReport(r) = &mut second {
        // The first report's first sale, sent again.
        let mut again = r.lines[0].clone();
        again.invoice = "INV0098123-A".into();
        r.lines.push(again);
    }
    let out = post(&h, &partners, "m-2", &second, "2026-12-01").await;
    assert!(out.contains("(5 lines from line 5,"), "{out}");
    let (number, status, lines) = batch_state(&h, "R2").await;
    assert_eq!(number, "gooddrug/123456789/2026-12-01");
    assert_eq!(status, "open");
    // Chargeback-rules 6.2: nothing is processed while the batch is Open; the reports wait.
    assert!(lines.is_empty(), "{lines:?}");
    let reports = batch_reports(&h, "R2").await;
    assert_eq!(
        reports
            .iter()
            .map(|r| (
                r.report_id.as_str(),
                r.first_line_no,
                r.line_count,
                r.pending
            ))
            .collect::<Vec<_>>(),
        [("R1", 1, 4, true), ("R2", 5, 5, true)]
    );
    assert_eq!(
        batch_state(&h, "R1").await.0,
        number,
        "one batch for the day"
    );
    assert_eq!(claim_count(&h).await, 0);

    // Not before the period has ended.
    assert!(
        cut(&h, &partners, "2026-11-30", "2026-12-01")
            .await
            .is_empty()
    );
    let cuts = cut(&h, &partners, "2026-12-01", "2026-12-02").await;
    assert_eq!(cuts.len(), 1);
    assert_eq!(cuts[0].status, "awaiting_review");
    let (claim_no, amount) = cuts[0].claim.clone().expect("claim #1");
    assert_eq!(claim_no, "GOODDRUG-20261202-0001");
    assert_eq!(amount, dec("246.00"));
    assert_eq!(cuts[0].outbound.len(), 1);
    assert_eq!(cuts[0].outbound[0].routing_key, "outbound.claim.acmepharma");
    let (_, status, lines) = batch_state(&h, "R1").await;
    assert_eq!(status, "awaiting_review");
    // Both reports' lines, numbered on; the first report's sale sent again is a Duplicate.
    assert_eq!(
        lines,
        [
            "claimed",
            "claimed",
            "claimed",
            "eligibility_disputed",
            "claimed",
            "claimed",
            "claimed",
            "eligibility_disputed",
            "duplicate"
        ]
    );
    let reports = batch_reports(&h, "R1").await;
    assert!(reports.iter().all(|r| !r.pending), "{reports:?}");
    let mut read = h.store.reader().await.unwrap();
    let claim = read
        .find_claim("acmepharma", &claim_no)
        .await
        .unwrap()
        .expect("claim");
    assert_eq!(read.claim_lines(claim.id).await.unwrap().len(), 6);
    drop(read);

    // Idempotent: nothing more, whoever asks again.
    let before = h.counts().await;
    assert!(
        cut(&h, &partners, "2026-12-01", "2026-12-02")
            .await
            .is_empty()
    );
    assert!(
        cut(&h, &partners, "2026-12-05", "2026-12-06")
            .await
            .is_empty()
    );
    assert_eq!(h.counts().await, before);

    // The next day's report opens the next day's batch.
    let out = post(&h, &partners, "m-3", &report("R3", "-C"), "2026-12-02").await;
    assert!(out.contains("gooddrug/123456789/2026-12-02 open"), "{out}");
    assert_eq!(claim_count(&h).await, 1);
    h.finish().await;
}
both_backends!(daily_two_reports, daily_two_reports_one_claim);

/// An 867 return nets against its sale through the store (chargeback-rules 13.10): 2 CA of
/// the first sale (INV0098123, 10 CA of 12345010001 at 6.25) come back on their own invoice
/// naming the sale's (`original_invoice`, REF*OI); at the cut the return is claimed at
/// -12.50, priced as of its sale, and claim #1 is the net 110.50 (not 123.00 with the
/// return disputed). Without the original invoice it finds no sale: DEBIT_NOT_SUPPORTED.
async fn a_return_nets_against_its_sale_at_the_cut(kind: Kind) {
    let h = started(kind).await;
    let partners = partners_with(ClaimTrigger::Daily, BatchMode::ImmediateClaim);
    let with_return = |id: &str, suffix: &str, original: Option<&str>| {
        let mut doc = report(id, suffix);
        if let Document::SalesReport(r) = &mut doc {
            let mut ret = r.lines[0].clone();
            ret.line = r.lines.len() as u32 + 1;
            ret.quantity = dec("-2");
            ret.amount = Some(dec("-12.50"));
            ret.invoice = format!("CR0001{suffix}").as_str().into();
            ret.original_invoice = original.map(Into::into);
            ret.invoice_date = Some(date("2026-11-12"));
            r.lines.push(ret);
        }
        doc
    };
    post(
        &h,
        &partners,
        "m-1",
        &with_return("R1", "-A", Some("INV0098123-A")),
        "2026-12-01",
    )
    .await;
    let cuts = cut(&h, &partners, "2026-12-01", "2026-12-02").await;
    assert_eq!(cuts.len(), 1);
    let (claim_no, amount) = cuts[0].claim.clone().expect("claim #1");
    assert_eq!(amount, dec("110.50"));
    let (_, _, lines) = batch_state(&h, "R1").await;
    assert_eq!(
        lines,
        [
            "claimed",
            "claimed",
            "claimed",
            "eligibility_disputed",
            "claimed"
        ]
    );
    let mut read = h.store.reader().await.unwrap();
    let claim = read
        .find_claim("acmepharma", &claim_no)
        .await
        .unwrap()
        .expect("claim");
    let claimed: Vec<String> = read
        .claim_lines(claim.id)
        .await
        .unwrap()
        .iter()
        .map(|l| l.line.claimed_amount.to_string())
        .collect();
    assert_eq!(claimed, ["62.50", "48.00", "12.50", "-12.50"]);
    drop(read);

    // The next day, the same return without its original invoice finds no sale.
    post(
        &h,
        &partners,
        "m-2",
        &with_return("R2", "-B", None),
        "2026-12-02",
    )
    .await;
    let cuts = cut(&h, &partners, "2026-12-02", "2026-12-03").await;
    let (_, amount) = cuts[0].claim.clone().expect("claim #1");
    assert_eq!(amount, dec("123.00"));
    let (_, _, lines) = batch_state(&h, "R2").await;
    assert_eq!(lines[4], "amount_disputed");
    h.finish().await;
}
both_backends!(
    a_return_nets_against_its_sale,
    a_return_nets_against_its_sale_at_the_cut
);

/// The same report again under another message id writes nothing (no doubled lines), nor
/// does the first message again; the batch is found by `partner/report`.
async fn replayed_report_changes_nothing(kind: Kind) {
    let h = started(kind).await;
    let partners = partners_with(ClaimTrigger::Daily, BatchMode::ReviewAndClaim);
    post(&h, &partners, "m-1", &report("R1", ""), "2026-12-01").await;
    let once = h.counts().await;
    let again = post(&h, &partners, "m-1-resent", &report("R1", ""), "2026-12-01").await;
    assert!(again.contains("already applied"), "{again}");
    // A replay the next day still finds the report (it would open the next day's batch).
    let later = post(&h, &partners, "m-1-later", &report("R1", ""), "2026-12-02").await;
    assert!(later.contains("already applied"), "{later}");
    let after = h.counts().await;
    let lines = |c: &[(&str, i64)]| c.iter().find(|(t, _)| *t == "batch_lines").unwrap().1;
    // Only the replays' message ids are new.
    let without_messages = |c: Vec<(&'static str, i64)>| {
        c.into_iter()
            .filter(|(t, _)| *t != "processed_messages")
            .collect::<Vec<_>>()
    };
    assert_eq!(without_messages(after), without_messages(once));
    // Cut, the batch has the report's four lines once.
    assert_eq!(
        cut(&h, &partners, "2026-12-01", "2026-12-02").await.len(),
        1
    );
    assert_eq!(lines(&h.counts().await), 4);
    h.finish().await;
}
both_backends!(replayed_report, replayed_report_changes_nothing);

/// Review and Claim: the cut moves the period's batch to Awaiting Review (B5), no claim; the
/// reviewer's Pay and Close then claims it. The cut runs in a "restarted" process (new
/// partners and book cache): everything it needs is in the store.
async fn review_and_claim_waits_for_review(kind: Kind) {
    let h = started(kind).await;
    let partners = partners_with(ClaimTrigger::Daily, BatchMode::ReviewAndClaim);
    post(&h, &partners, "m-1", &report("R1", ""), "2026-12-01").await;
    drop(partners);
    let restarted = partners_with(ClaimTrigger::Daily, BatchMode::ReviewAndClaim);
    let cuts = cut(&h, &restarted, "2026-12-01", "2026-12-02").await;
    assert_eq!(cuts.len(), 1);
    assert_eq!(cuts[0].status, "awaiting_review");
    assert!(cuts[0].claim.is_none() && cuts[0].outbound.is_empty());
    let (_, status, lines) = batch_state(&h, "R1").await;
    assert_eq!(status, "awaiting_review");
    assert_eq!(
        lines,
        ["accepted", "accepted", "accepted", "eligibility_disputed"]
    );
    let batch = common::report_batch(&h, "gooddrug", "R1").await;
    let paid = apply::apply_batch_action(
        &*h.store,
        &restarted,
        batch.id,
        batch.version,
        apply::BatchAction::PayAndClose,
        &ctx("2026-12-02", "analyst1"),
    )
    .await
    .expect("pay and close");
    assert_eq!(paid.status, "closed");
    assert!(paid.summary.contains("123.00"), "{}", paid.summary);
    // Each line changed keeps its own audit event (written in bulk): line 1 claimed (L8).
    let line_events = h
        .store
        .audit_events("batch_line", &format!("{}/1", batch.id))
        .await
        .unwrap();
    assert!(
        line_events.iter().any(|e| e.event.event.starts_with("L8")
            && e.event.to_status.as_deref() == Some("claimed")
            && e.event.actor == "analyst1"),
        "{line_events:?}"
    );
    h.finish().await;
}
both_backends!(review_and_claim, review_and_claim_waits_for_review);

/// Weekly: Thursday 2026-12-03 and Sunday 2026-12-06 are ISO week 49, Monday 2026-12-07 is
/// week 50; the week's batch is cut only once Sunday has passed. Monthly: 2026-11-30 and
/// 2026-12-01 are two months.
async fn weekly_and_monthly_boundaries(kind: Kind) {
    let h = started(kind).await;
    let weekly = partners_with(ClaimTrigger::Weekly, BatchMode::ReviewAndClaim);
    post(&h, &weekly, "m-w1", &report("W1", "-1"), "2026-12-03").await;
    post(&h, &weekly, "m-w2", &report("W2", "-2"), "2026-12-06").await;
    post(&h, &weekly, "m-w3", &report("W3", "-3"), "2026-12-07").await;
    let (w1, _, _) = batch_state(&h, "W1").await;
    assert_eq!(w1, "gooddrug/123456789/2026-W49");
    assert_eq!(batch_state(&h, "W2").await.0, w1);
    assert_eq!(batch_state(&h, "W3").await.0, "gooddrug/123456789/2026-W50");
    assert!(
        cut(&h, &weekly, "2026-12-05", "2026-12-06")
            .await
            .is_empty()
    );
    let cuts = cut(&h, &weekly, "2026-12-06", "2026-12-07").await;
    assert_eq!(cuts.len(), 1);
    assert_eq!(cuts[0].number, w1);
    assert_eq!(cuts[0].period_end, "2026-12-06");
    assert_eq!(
        batch_state(&h, "W1").await.2.len(),
        8,
        "both reports' lines"
    );
    assert_eq!(batch_state(&h, "W3").await.1, "open");

    let monthly = partners_with(ClaimTrigger::Monthly, BatchMode::ReviewAndClaim);
    post(&h, &monthly, "m-m1", &report("M1", "-4"), "2026-11-30").await;
    post(&h, &monthly, "m-m2", &report("M2", "-5"), "2026-12-01").await;
    assert_eq!(batch_state(&h, "M1").await.0, "gooddrug/123456789/2026-11");
    assert_eq!(batch_state(&h, "M2").await.0, "gooddrug/123456789/2026-12");
    let cuts = cut(&h, &monthly, "2026-11-30", "2026-12-01").await;
    assert_eq!(cuts.len(), 1);
    assert_eq!(cuts[0].number, "gooddrug/123456789/2026-11");
    // December is still running on its 30th: only week 50 (ended 2026-12-13) is due.
    let cuts = cut(&h, &monthly, "2026-12-30", "2026-12-31").await;
    assert_eq!(
        cuts.iter().map(|c| c.number.as_str()).collect::<Vec<_>>(),
        ["gooddrug/123456789/2026-W50"]
    );
    h.finish().await;
}
both_backends!(weekly_monthly, weekly_and_monthly_boundaries);

/// Immediate: one batch per invoice, processed at once — the two valid invoices close with
/// their claims (B3), the disputed one is rejected (B2); nothing is left to cut.
async fn immediate_is_one_batch_per_invoice(kind: Kind) {
    let h = started(kind).await;
    let partners = partners_with(ClaimTrigger::Immediate, BatchMode::ReviewAndClaim);
    let out = applied(
        apply_document(
            &*h.store,
            &partners,
            "engine.sales",
            "m-1",
            &report("R1", ""),
            &ctx("2026-12-01", "system"),
        )
        .await,
    );
    assert!(out.summary.contains("3 invoice batches"), "{}", out.summary);
    assert_eq!(out.outbound.len(), 2, "{}", out.summary);
    let mut read = h.store.reader().await.unwrap();
    let mut got = Vec::new();
    for invoice in ["INV0098123", "INV0098301", "INV0098555"] {
        let number = format!("gooddrug/123456789/invoice/{invoice}");
        let batch = read.find_batch(&number).await.unwrap().expect("batch");
        let lines = read.batch_lines(batch.id).await.unwrap().len();
        got.push((batch.status, lines));
    }
    drop(read);
    assert_eq!(
        got,
        [
            ("closed".to_owned(), 2),
            ("closed".to_owned(), 1),
            ("rejected".to_owned(), 1)
        ]
    );
    assert_eq!(claim_count(&h).await, 2);
    assert!(
        cut(&h, &partners, "2026-12-31", "2026-12-31")
            .await
            .is_empty()
    );
    h.finish().await;
}
both_backends!(immediate, immediate_is_one_batch_per_invoice);

/// The trigger is frozen onto the batch at creation (2.1): a profile changed to Weekly the
/// same day leaves the Daily batch as it is (cut with its day) and opens a Weekly one.
async fn trigger_is_frozen_on_the_batch(kind: Kind) {
    let h = started(kind).await;
    let daily = partners_with(ClaimTrigger::Daily, BatchMode::ReviewAndClaim);
    post(&h, &daily, "m-1", &report("R1", "-A"), "2026-12-03").await;
    let weekly = partners_with(ClaimTrigger::Weekly, BatchMode::ReviewAndClaim);
    post(&h, &weekly, "m-2", &report("R2", "-B"), "2026-12-03").await;
    let first = common::report_batch(&h, "gooddrug", "R1").await;
    assert_eq!(first.payload["settings"]["claim_trigger"], "daily");
    assert_eq!(first.period_end.as_deref(), Some("2026-12-03"));
    let second = common::report_batch(&h, "gooddrug", "R2").await;
    assert_eq!(second.payload["settings"]["claim_trigger"], "weekly");
    assert_eq!(second.number, "gooddrug/123456789/2026-W49");
    let cuts = cut(&h, &weekly, "2026-12-03", "2026-12-04").await;
    assert_eq!(
        cuts.iter().map(|c| c.number.as_str()).collect::<Vec<_>>(),
        ["gooddrug/123456789/2026-12-03"]
    );
    h.finish().await;
}
both_backends!(frozen_trigger, trigger_is_frozen_on_the_batch);

/// Two cutters at once (two service processes, or the tick and an operator): one claim.
async fn concurrent_cutters_make_one_claim(kind: Kind) {
    let h = started(kind).await;
    let partners = partners_with(ClaimTrigger::Daily, BatchMode::ImmediateClaim);
    post(&h, &partners, "m-1", &report("R1", ""), "2026-12-01").await;
    let other = partners_with(ClaimTrigger::Daily, BatchMode::ImmediateClaim);
    let (a, b) = tokio::join!(
        cut(&h, &partners, "2026-12-01", "2026-12-02"),
        cut(&h, &other, "2026-12-01", "2026-12-02"),
    );
    assert_eq!(a.len() + b.len(), 1, "{a:?} {b:?}");
    assert_eq!(claim_count(&h).await, 1);
    h.finish().await;
}
both_backends!(concurrent_cutters, concurrent_cutters_make_one_claim);

/// A report without lines opens no period batch (one could never be cut): refused whole.
async fn an_empty_report_opens_no_batch(kind: Kind) {
    let h = started(kind).await;
    let partners = partners_with(ClaimTrigger::Daily, BatchMode::ReviewAndClaim);
    let mut empty = report("R0", "");
    if let Document::SalesReport(r) = &mut empty {
        r.lines.clear();
    }
    let before = h.counts().await;
    let err = apply_document(
        &*h.store,
        &partners,
        "engine.sales",
        "m-0",
        &empty,
        &ctx("2026-12-01", "system"),
    )
    .await;
    assert!(
        matches!(
            err,
            Err(apply::ApplyError::Batch(engine::batch::BatchError::Empty))
        ),
        "{err:?}"
    );
    assert_eq!(h.counts().await, before);
    h.finish().await;
}
both_backends!(empty_report, an_empty_report_opens_no_batch);
