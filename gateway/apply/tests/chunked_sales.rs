//! A sales report longer than one chunk (`apply::CHUNK_LINES`) is applied in chunks; the
//! stored batch, its lines, totals, claim and outbound 844 must be exactly those of the engine
//! processing the whole report at once, including a duplicate whose first occurrence sits in
//! an earlier chunk. Two paths (chargeback-rules 8.1): with a Daily trigger the report waits in
//! the period's batch and the cut streams its lines; an Immediate trigger processes a
//! one-invoice report at once. Both stream again when the first chunk's plan does not hold
//! for the whole report.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::workload;

use apply::{Applied, CHUNK_LINES, apply_document};
use common::{Harness, Kind};
use engine::audit::{Actor, status_name};
use engine::batch::{Batch, BatchLine, Ledgers, LineEvents, LineStatus};
use engine::caps::CapLedger;
use engine::claims::ClaimRecord;
use engine::duplicates::LineHistory;
use engine::reasons::ReasonCode;
use engine::sale::SaleLine;
use engine::settings::ClaimTrigger;
use schemas::{Document, Source};

const CONTRACTS: usize = 20;
const ITEMS: usize = 10;

/// Two full chunks and a part; line [`DUPLICATE`] + 1 repeats line 3 (same invoice, spelt
/// otherwise, item, customer, date and quantity) two chunks on, the chunk between without
/// that invoice (so the stream asks the store for it);
/// line 2 returns the sale of line [`SOLD_LATER`] + 1, two chunks later, on a later day
/// (§13.10: priced as of its sale).
fn report() -> schemas::SalesReport {
    let mut report = workload::report(7, 2 * CHUNK_LINES + 500, CONTRACTS, ITEMS);
    let mut copy = report.lines[2].clone();
    copy.invoice = format!(" {}", copy.invoice.replace('I', "-i").to_lowercase()).into();
    copy.line = report.lines[DUPLICATE].line;
    report.lines[DUPLICATE] = copy;
    let mut returned = report.lines[SOLD_LATER].clone();
    returned.line = report.lines[1].line;
    returned.quantity = -returned.quantity;
    returned.invoice_date = returned.invoice_date.map(|d| d + chrono::Days::new(3));
    report.lines[1] = returned;
    report
}

/// As [`report`] without its return: the cut skips the pass that gathers the sales returns
/// refer to (the report recorded none, migration 0021).
fn report_without_returns() -> schemas::SalesReport {
    let mut report = report();
    report.report_id.push_str("-NO-RETURNS");
    let line = report.lines[1].line;
    report.lines[1] = workload::report(8, 2, CONTRACTS, ITEMS).lines[1].clone();
    report.lines[1].line = line;
    assert!(report.lines.iter().all(|l| l.quantity.is_sign_positive()));
    report
}

/// The line (0-based) of [`report`] repeating line 3.
const DUPLICATE: usize = 2 * CHUNK_LINES + 4;

/// The line (0-based) whose sale line 2 of [`report`] returns.
const SOLD_LATER: usize = 2 * CHUNK_LINES + 100;

/// As [`report`], with every line of the first chunk missing its invoice (V0): that chunk
/// alone would reject the whole batch (B2), so the lines streamed under its plan are undone
/// and streamed again under the plan of every line.
fn report_misleading_first_chunk() -> schemas::SalesReport {
    let mut report = report();
    report.report_id.push_str("-B2-FIRST");
    for line in &mut report.lines[..CHUNK_LINES] {
        line.invoice.clear();
    }
    report
}

/// As [`report`], every line on one invoice (one batch under an Immediate trigger), and the
/// first chunk's items blank (V0): that chunk alone would reject the whole batch (B2), so the
/// lines streamed under its plan are undone and streamed again under the plan of every line.
fn one_invoice_misleading_first_chunk() -> schemas::SalesReport {
    let mut report = report();
    report.report_id.push_str("-ONE-INVOICE");
    for line in &mut report.lines {
        line.invoice = "INV-ONE".into();
    }
    for line in &mut report.lines[..CHUNK_LINES] {
        line.item.id.clear();
    }
    report
}

/// The engine over the whole report, as `sales::apply` did before it streamed.
fn expected(report: &schemas::SalesReport, stored: &store::BatchRecord) -> Batch {
    let ctx = workload::ctx();
    let book = workload::book(CONTRACTS, ITEMS);
    let mut header = apply::sales_batch_header(
        report,
        stored.id.to_string(),
        stored.number.clone(),
        ctx.today,
    );
    header.name = stored.payload["header"]["name"]
        .as_str()
        .expect("name")
        .to_owned();
    let sales = report.lines.iter().map(SaleLine::from).collect();
    let actor = Actor::Partner(workload::DISTRIBUTOR.into());
    let settings = workload::distributor_settings();
    let (mut batch, _) = Batch::open(header, &settings, sales, &actor, ctx.today);
    let mut history = LineHistory::new();
    let mut caps = CapLedger::new();
    batch
        .process_with(
            &mut Ledgers {
                book: &book,
                history: &mut history,
                caps: &mut caps,
            },
            ctx.today,
            LineEvents::None,
        )
        .expect("batch processes");
    batch
}

async fn chunked_equals_whole(kind: Kind, report: schemas::SalesReport, trigger: ClaimTrigger) {
    let h = Harness::new(kind).await;
    let mut partners = workload::partners();
    partners
        .get_mut(workload::DISTRIBUTOR)
        .expect("distributor")
        .settings
        .claim_trigger = trigger;
    workload::load_contracts(&*h.store, &partners, CONTRACTS, ITEMS).await;
    let doc = Document::SalesReport(report.clone());
    let Applied::Applied(outcome) = apply_document(
        &*h.store,
        &partners,
        "engine.sales",
        "chunked",
        &doc,
        &workload::ctx(),
    )
    .await
    .expect("report applies") else {
        panic!("applied before");
    };

    // Daily: the period's batch kept the report; the cut streams its lines and ends it as
    // the whole batch would have ended (header tolerance, B2-B5, claim #1).
    let claim_no = if trigger == ClaimTrigger::Immediate {
        let (_, no) = outcome
            .refs
            .iter()
            .find(|(k, _)| k == "claim")
            .expect("claim ref");
        no.clone()
    } else {
        let ctx = workload::ctx();
        let cut = apply::cut_due(&*h.store, &partners, ctx.today, None, &ctx)
            .await
            .expect("cut");
        assert_eq!(cut.len(), 1);
        cut[0].claim.clone().expect("claim #1").0
    };
    let mut read = h.store.reader().await.unwrap();
    let stored = apply::find_report_batch(&mut *read, workload::DISTRIBUTOR, &report.report_id)
        .await
        .unwrap()
        .expect("batch");
    let want = expected(&report, &stored);
    assert_eq!(stored.status, status_name(&want.status));
    let rows = read.batch_lines(stored.id).await.unwrap();
    assert_eq!(rows.len(), want.lines.len());
    for (row, line) in rows.iter().zip(&want.lines) {
        let got: BatchLine = row.line.payload.parse().unwrap();
        assert_eq!(&got, line, "line {}", row.line.line_no);
        assert_eq!(row.line.status, status_name(&line.status));
    }
    let returned = &report.lines[1];
    let is_return = engine::sale::is_return_quantity(returned.quantity);
    if is_return && !returned.invoice.is_empty() && !returned.item.id.is_empty() {
        // The return found its sale two chunks later: priced as of the sale, not its own day.
        let pricing = |n: usize| {
            want.lines[n]
                .validation
                .as_ref()
                .and_then(|v| v.pricing_date)
        };
        assert_eq!(pricing(1), report.lines[SOLD_LATER].invoice_date);
        assert_ne!(pricing(1), report.lines[1].invoice_date);
    }
    let dup = &want.lines[DUPLICATE];
    if report.lines[2].invoice.is_empty() || report.lines[2].item.id.is_empty() {
        // Its first occurrence lost its invoice or item: no longer the same sale.
        assert_ne!(dup.status, LineStatus::Duplicate);
    } else {
        assert_eq!(dup.status, LineStatus::Duplicate);
        assert_eq!(
            dup.validation.as_ref().and_then(|v| v.primary),
            Some(ReasonCode::DuplicateInBatch)
        );
    }
    let summary = want.summary();
    let counts = if trigger == ClaimTrigger::Immediate {
        format!(
            "({} lines, {} accepted, {} disputed)",
            summary.lines, summary.accepted_lines, summary.disputes
        )
    } else {
        format!("({} lines from line 1,", summary.lines)
    };
    assert!(outcome.summary.contains(&counts), "{}", outcome.summary);

    // Claim #1 and its 844, byte for byte as the whole-batch claim would give them.
    let cut = want.claims.first().expect("claim #1");
    let (claim, _) = ClaimRecord::from_batch(&want, cut, claim_no.clone(), workload::ctx().today);
    let stored_claim = read
        .find_claim(workload::SUPPLIER, &claim_no)
        .await
        .unwrap()
        .expect("claim row");
    assert_eq!(stored_claim.amount, cut.amount);
    let claim_rows = read.claim_lines(stored_claim.id).await.unwrap();
    assert_eq!(claim_rows.len(), claim.lines.len());
    // Carried by the batch lines they claim: no claim_lines row of their own.
    assert_eq!(
        h.scalar(&format!(
            "SELECT COUNT(*) AS n FROM claim_lines WHERE claim_id = '{}'",
            stored_claim.id
        ))
        .await,
        0
    );
    assert_eq!(
        h.scalar(&format!(
            "SELECT COUNT(*) AS n FROM batch_lines WHERE claim_line_no IS NOT NULL \
             AND batch_id = '{}'",
            stored_claim.batch_id.expect("cut from a batch")
        ))
        .await,
        claim.lines.len() as i64
    );
    for (row, line) in claim_rows.iter().zip(&claim.lines) {
        // Stored without the sale its batch line holds, and rebuilt from it.
        assert!(row.line.sale_from_batch, "claim line {}", row.line.line_no);
        // Nor what its row and that sale say already (line number, origin).
        let payload = row.line.payload.get();
        assert!(!payload.contains("end_customer"), "{payload}");
        assert!(!payload.contains("origin"), "{payload}");
        assert_eq!(&apply::claim_line_of(row).unwrap(), line);
    }
    let want_844 = Document::Claim(claim.to_844(Source {
        file: String::new(),
        interchange: Default::default(),
        group: Default::default(),
        set: Default::default(),
        partner: Some(workload::SUPPLIER.into()),
    }));
    let pending = h.store.pending_outbox(100).await.unwrap();
    let message = &pending
        .iter()
        .find(|m| m.message.routing_key.starts_with("outbound.claim."))
        .expect("844 in the outbox")
        .message;
    assert_eq!(message.payload, serde_json::to_vec(&want_844).unwrap());
    assert_eq!(
        message.message_id,
        apply::outbound_message_id(&want_844).unwrap()
    );
    // The 844 is stored once: its message names the document, whose body is the payload.
    let stored_844 = read
        .find_document(&format!("outbound:{}", message.message_id))
        .await
        .unwrap()
        .expect("844 document");
    assert_eq!(stored_844.body.get().as_bytes(), message.payload.as_slice());
    if claim.lines.len() > 3 * CHUNK_LINES / 2 {
        // Larger than a claim holds in memory (4 MiB): spooled to a file and stored from it.
        assert!(
            stored_844.body.get().len() > 4 << 20,
            "{}",
            stored_844.body.get().len()
        );
    }
    let by_reference = h
        .scalar(&format!(
            "SELECT COUNT(*) AS n FROM outbox WHERE message_id = '{}' \
             AND payload IS NULL AND document_id IS NOT NULL",
            message.message_id
        ))
        .await;
    assert_eq!(by_reference, 1, "the outbox row holds no second copy");
    // Its first transmission is recorded, so the 997/999 answering it finds the claim.
    let sent = read.claim_transmissions(stored_claim.id).await.unwrap();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].message_id, message.message_id);
    drop(read);
    h.finish().await;
}

#[tokio::test]
async fn chunked_report_equals_whole_batch_sqlite() {
    chunked_equals_whole(Kind::Sqlite, report(), ClaimTrigger::Daily).await;
}

#[tokio::test]
async fn chunked_report_equals_whole_batch_postgres() {
    chunked_equals_whole(Kind::Postgres, report(), ClaimTrigger::Daily).await;
}

#[tokio::test]
async fn chunked_report_without_returns_equals_whole_batch_sqlite() {
    chunked_equals_whole(Kind::Sqlite, report_without_returns(), ClaimTrigger::Daily).await;
}

#[tokio::test]
async fn chunked_report_without_returns_equals_whole_batch_postgres() {
    chunked_equals_whole(
        Kind::Postgres,
        report_without_returns(),
        ClaimTrigger::Daily,
    )
    .await;
}

/// The cut streams a period's lines like any batch's: a misleading first chunk streams them
/// again.
#[tokio::test]
async fn misleading_first_chunk_collected_then_cut_sqlite() {
    chunked_equals_whole(
        Kind::Sqlite,
        report_misleading_first_chunk(),
        ClaimTrigger::Daily,
    )
    .await;
}

#[tokio::test]
async fn misleading_first_chunk_collected_then_cut_postgres() {
    chunked_equals_whole(
        Kind::Postgres,
        report_misleading_first_chunk(),
        ClaimTrigger::Daily,
    )
    .await;
}

#[tokio::test]
async fn misleading_first_chunk_is_streamed_again_sqlite() {
    chunked_equals_whole(
        Kind::Sqlite,
        one_invoice_misleading_first_chunk(),
        ClaimTrigger::Immediate,
    )
    .await;
}

#[tokio::test]
async fn misleading_first_chunk_is_streamed_again_postgres() {
    chunked_equals_whole(
        Kind::Postgres,
        one_invoice_misleading_first_chunk(),
        ClaimTrigger::Immediate,
    )
    .await;
}

/// A period whose kept lines lost a chunk is not cut: the cut finds fewer lines than its
/// reports recorded and says so — before it writes a line when it gathers the sales of the
/// report's returns, else at the end of the stream, whose writes are rolled back; the batch
/// stays Open with its lines pending, nothing written.
async fn a_missing_chunk_stops_the_cut(kind: Kind, report: schemas::SalesReport) {
    let h = Harness::new(kind).await;
    let partners = workload::partners();
    workload::load_contracts(&*h.store, &partners, CONTRACTS, ITEMS).await;
    let ctx = workload::ctx();
    apply_document(
        &*h.store,
        &partners,
        "engine.sales",
        "lost-chunk",
        &Document::SalesReport(report.clone()),
        &ctx,
    )
    .await
    .expect("report collected");
    let lost = h
        .scalar(
            "DELETE FROM pending_report_chunks WHERE chunk_no = 1 RETURNING CAST(1 AS BIGINT) AS n",
        )
        .await;
    assert_eq!(lost, 1);
    let err = apply::cut_due(&*h.store, &partners, ctx.today, None, &ctx)
        .await
        .expect_err("a chunk is missing");
    // Chunk 0 is read; the report ends where its chunks stop.
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "{CHUNK_LINES} lines read, {} recorded",
            report.lines.len()
        )),
        "{text}"
    );
    assert_eq!(h.scalar("SELECT COUNT(*) AS n FROM batch_lines").await, 0);
    assert_eq!(h.scalar("SELECT COUNT(*) AS n FROM claims").await, 0);
    let mut read = h.store.reader().await.unwrap();
    let stored = apply::find_report_batch(&mut *read, workload::DISTRIBUTOR, &report.report_id)
        .await
        .unwrap()
        .expect("batch");
    assert_eq!(stored.status, "open");
    let reports = read.batch_reports(stored.id).await.unwrap();
    assert!(reports.iter().all(|r| r.pending), "{reports:?}");
    drop(read);
    h.finish().await;
}

#[tokio::test]
async fn a_missing_chunk_stops_the_cut_sqlite() {
    a_missing_chunk_stops_the_cut(Kind::Sqlite, report()).await;
    a_missing_chunk_stops_the_cut(Kind::Sqlite, report_without_returns()).await;
}

#[tokio::test]
async fn a_missing_chunk_stops_the_cut_postgres() {
    a_missing_chunk_stops_the_cut(Kind::Postgres, report()).await;
    a_missing_chunk_stops_the_cut(Kind::Postgres, report_without_returns()).await;
}
