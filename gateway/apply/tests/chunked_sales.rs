//! A sales report longer than one chunk (`apply::CHUNK_LINES`) is applied in chunks; the
//! stored batch, its lines, totals, claim and outbound 844 must be exactly those of the engine
//! processing the whole report at once, including a duplicate whose first occurrence sits in
//! an earlier chunk, and when the first chunk's plan does not hold for the whole report (its
//! lines are then streamed again).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "../benches/workload/mod.rs"]
mod workload;

use apply::{Applied, CHUNK_LINES, apply_document};
use common::{Harness, Kind};
use engine::audit::{Actor, status_name};
use engine::batch::{Batch, BatchLine, Ledgers, LineEvents, LineStatus};
use engine::caps::CapLedger;
use engine::claims::ClaimRecord;
use engine::duplicates::LineHistory;
use engine::reasons::ReasonCode;
use engine::sale::SaleLine;
use schemas::{Document, Source};

const CONTRACTS: usize = 20;
const ITEMS: usize = 10;

/// Two full chunks and a part; line CHUNK_LINES + 5 repeats line 3 (same invoice, item,
/// customer, date and quantity), two chunks apart.
fn report() -> schemas::SalesReport {
    let mut report = workload::report(7, 2 * CHUNK_LINES + 500, CONTRACTS, ITEMS);
    let mut copy = report.lines[2].clone();
    copy.line = report.lines[CHUNK_LINES + 4].line;
    report.lines[CHUNK_LINES + 4] = copy;
    report
}

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

/// The engine over the whole report, as `sales::apply` did before it streamed.
fn expected(report: &schemas::SalesReport, id: &str) -> Batch {
    let ctx = workload::ctx();
    let book = workload::book(CONTRACTS, ITEMS);
    let header = apply::sales_batch_header(
        report,
        id.to_owned(),
        apply::batch_number(workload::DISTRIBUTOR, &report.report_id),
        ctx.today,
    );
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

async fn chunked_equals_whole(kind: Kind, report: schemas::SalesReport) {
    let h = Harness::new(kind).await;
    let partners = workload::partners();
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

    let number = apply::batch_number(workload::DISTRIBUTOR, &report.report_id);
    let mut read = h.store.reader().await.unwrap();
    let stored = read.find_batch(&number).await.unwrap().expect("batch");
    let want = expected(&report, &stored.id.to_string());
    assert_eq!(stored.status, status_name(&want.status));
    let rows = read.batch_lines(stored.id).await.unwrap();
    assert_eq!(rows.len(), want.lines.len());
    for (row, line) in rows.iter().zip(&want.lines) {
        let got: BatchLine = row.line.payload.parse().unwrap();
        assert_eq!(&got, line, "line {}", row.line.line_no);
        assert_eq!(row.line.status, status_name(&line.status));
    }
    let dup = &want.lines[CHUNK_LINES + 4];
    if report.lines[2].invoice.is_empty() {
        // Its first occurrence lost its invoice: no longer the same sale.
        assert_ne!(dup.status, LineStatus::Duplicate);
    } else {
        assert_eq!(dup.status, LineStatus::Duplicate);
        assert_eq!(
            dup.validation.as_ref().and_then(|v| v.primary),
            Some(ReasonCode::DuplicateInBatch)
        );
    }
    let summary = want.summary();
    assert!(
        outcome.summary.contains(&format!(
            "({} lines, {} accepted, {} disputed)",
            summary.lines, summary.accepted_lines, summary.disputes
        )),
        "{}",
        outcome.summary
    );

    // Claim #1 and its 844, byte for byte as the whole-batch claim would give them.
    let cut = want.claims.first().expect("claim #1");
    let (_, claim_no) = outcome
        .refs
        .iter()
        .find(|(k, _)| k == "claim")
        .expect("claim ref");
    let (claim, _) = ClaimRecord::from_batch(&want, cut, claim_no.clone(), workload::ctx().today);
    let stored_claim = read
        .find_claim(workload::SUPPLIER, claim_no)
        .await
        .unwrap()
        .expect("claim row");
    assert_eq!(stored_claim.amount, cut.amount);
    let claim_rows = read.claim_lines(stored_claim.id).await.unwrap();
    assert_eq!(claim_rows.len(), claim.lines.len());
    for (row, line) in claim_rows.iter().zip(&claim.lines) {
        let got: engine::claims::ClaimLineRecord = row.line.payload.parse().unwrap();
        assert_eq!(&got, line);
    }
    let want_844 = Document::Claim(claim.to_844(Source {
        file: String::new(),
        interchange: String::new(),
        group: String::new(),
        set: String::new(),
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
}

#[tokio::test]
async fn chunked_report_equals_whole_batch_sqlite() {
    chunked_equals_whole(Kind::Sqlite, report()).await;
}

#[tokio::test]
async fn chunked_report_equals_whole_batch_postgres() {
    chunked_equals_whole(Kind::Postgres, report()).await;
}

#[tokio::test]
async fn misleading_first_chunk_is_streamed_again_sqlite() {
    chunked_equals_whole(Kind::Sqlite, report_misleading_first_chunk()).await;
}

#[tokio::test]
async fn misleading_first_chunk_is_streamed_again_postgres() {
    chunked_equals_whole(Kind::Postgres, report_misleading_first_chunk()).await;
}
