//! `sales_report` (867 from a distributor, §1.2 claimant): one batch of its lines, validated
//! against the stored contracts and the earlier lines with the same invoices; Immediate Claim
//! sends the claim of the valid lines at once, Review and Claim waits for the reviewer.

use chrono::NaiveDate;
use engine::audit::{Actor, Entity, status_name};
use engine::batch::stream::{LineStream, Survey};
use engine::batch::{Batch, BatchHeader, BatchKind, BatchSummary};
use engine::sale::SaleLine;
use engine::settings::Role;
use schemas::SalesReport;
use store::{NewBatch, StoreTx};
use uuid::Uuid;

use crate::audit::{append_all, convert};
use crate::book::BookCache;
use crate::claim_out::StreamedClaim;
use crate::error::ApplyError;
use crate::partners::Partner;
use crate::state::{CHUNK_LINES, batch_payload, history_for, line_row};
use crate::{Context, Outcome};

/// The batch number of a report: unique per distributor and report id, so the same report
/// under a new message id is recognised (§5.2 header key) and writes nothing.
pub fn batch_number(partner: &str, report_id: &str) -> String {
    format!("{partner}/{report_id}")
}

/// The header of the batch a sales report becomes (claimant side), received and claimed
/// `today`.
pub fn sales_batch_header(
    report: &SalesReport,
    id: String,
    number: String,
    today: NaiveDate,
) -> BatchHeader {
    BatchHeader {
        id,
        number,
        name: report.report_id.clone(),
        kind: BatchKind::Sales867,
        role: Role::Claimant,
        distributor: report.distributor.clone(),
        supplier: report.supplier.clone(),
        currency: "USD".to_owned(),
        file_name: None,
        debit_memo: None,
        received_at: today,
        claim_date: today,
        corrects_batch_id: None,
    }
}

pub(crate) async fn apply(
    tx: &mut dyn StoreTx,
    cache: &BookCache,
    partner: &Partner,
    report: &SalesReport,
    message_id: &str,
    ctx: &Context,
) -> Result<Outcome, ApplyError> {
    let number = batch_number(&partner.id, &report.report_id);
    let mut refs = vec![("batch".to_owned(), number.clone())];
    if tx.find_batch(&number).await?.is_some() {
        return Ok(Outcome {
            summary: format!(
                "sales report {} already applied as batch {number}",
                report.report_id
            ),
            refs,
            outbound: vec![],
        });
    }
    let books = cache.snapshot(tx).await?;
    let history = history_for(tx, &partner.id, "claimant", report_invoices(report)).await?;
    let id = Uuid::now_v7();
    let header = sales_batch_header(report, id.to_string(), number.clone(), ctx.today);
    let actor = Actor::Partner(partner.id.clone());
    // The lines stream through in chunks of CHUNK_LINES: a survey pass learns how the batch
    // ends (B2-B5, header tolerance), then each chunk is validated again, written with its
    // final statuses and dropped. Only the pipeline's per-line key fingerprints and the
    // claim's 844 text grow with the report.
    let (mut batch, opened) = Batch::open_streamed(
        header,
        &partner.settings,
        report.lines.len(),
        &actor,
        ctx.today,
    );
    let bctx = batch.stream_context();
    let sales_of = |chunk: &[schemas::SalesLine]| -> Vec<SaleLine> {
        chunk.iter().map(SaleLine::from).collect()
    };
    // §5.1: every cap in force with what earlier batches reserved and consumed (rows locked
    // until commit); both passes start from it, the second pass's movements are saved.
    let stored_caps = crate::caps::load(tx, &books.book).await?;
    let plan = {
        let mut caps = stored_caps.ledger.clone();
        let mut survey = Survey::new(&batch, &bctx, &books.book, &history, &mut caps, ctx.today);
        for chunk in report.lines.chunks(CHUNK_LINES) {
            survey.preload(&sales_of(chunk));
        }
        for chunk in report.lines.chunks(CHUNK_LINES) {
            for sale in &sales_of(chunk) {
                survey.add(sale);
            }
        }
        survey.finish()?
    };
    let processed = batch.finish_streamed(&plan, ctx.today)?;
    let opened_event = opened
        .events
        .first()
        .map(|e| convert(e, ctx.now, message_id))
        .unwrap_or_else(|| crate::audit::event(ctx, "batch", id.to_string(), "B1 open"));
    tx.insert_batch(
        &NewBatch {
            id,
            number: number.clone(),
            partner: partner.id.clone(),
            role: "claimant".to_owned(),
            status: status_name(&batch.status),
            debit_memo: None,
            source_document_id: None,
            payload: batch_payload(&batch)?,
            at: ctx.now,
        },
        &opened_event,
    )
    .await?;
    let mut totals = BatchSummary::default();
    let mut claim: Option<StreamedClaim> = None;
    let mut caps = stored_caps.ledger.clone();
    {
        let mut stream = LineStream::new(
            &batch,
            &bctx,
            &books.book,
            &history,
            &mut caps,
            ctx.today,
            &plan,
        );
        for chunk in report.lines.chunks(CHUNK_LINES) {
            stream.preload(&sales_of(chunk));
        }
        let mut line_no = 0i64;
        for chunk in report.lines.chunks(CHUNK_LINES) {
            let mut rows = Vec::with_capacity(chunk.len());
            for sale in sales_of(chunk) {
                let line = stream.next(sale);
                line_no += 1;
                totals.add(&line);
                if line.claim.is_some()
                    && let Some(cut) = &processed.claim
                {
                    if claim.is_none() {
                        let first_contract = line.contract().unwrap_or_default();
                        claim = Some(
                            StreamedClaim::start(
                                tx,
                                &books,
                                partner,
                                id,
                                &batch,
                                cut,
                                &first_contract,
                                ctx,
                            )
                            .await?,
                        );
                    }
                    if let Some(claim) = claim.as_mut() {
                        claim.add(line_no, &line)?;
                    }
                }
                rows.push(line_row(line_no, &line)?);
            }
            // Line transitions are recorded on the line rows themselves (status, reasons,
            // pricing snapshot); one audit event per chunk, so a million-line report does
            // not write a million audit rows.
            let event = crate::audit::event(ctx, "batch", id.to_string(), "L1-L5 validate")
                .correlation(message_id.to_owned());
            tx.insert_batch_lines(id, &rows, ctx.now, &event).await?;
            if let Some(claim) = claim.as_mut() {
                claim.write_lines(tx, ctx).await?;
            }
        }
        stream.finish();
    }
    stored_caps.save(tx, &caps, Some(id), ctx).await?;
    drop(history);
    totals.payment_amount = batch.claims.iter().map(|c| c.amount).sum();
    let batch_events: Vec<_> = processed
        .events
        .into_iter()
        .filter(|e| e.entity == Entity::Batch)
        .collect();
    append_all(tx, &batch_events, ctx, message_id).await?;
    let mut outbound = Vec::new();
    let mut summary = format!(
        "sales report {} -> batch {number} {} ({} lines, {} accepted, {} disputed)",
        report.report_id,
        status_name(&batch.status),
        totals.lines,
        totals.accepted_lines,
        totals.disputes
    );
    if let Some(claim) = claim {
        let sent = claim.finish(tx, ctx).await?;
        summary.push_str(&format!("; claim {} {}", sent.number, sent.amount));
        refs.push(("claim".to_owned(), sent.number.clone()));
        refs.push(("debit_memo".to_owned(), sent.number));
        outbound.push(sent.outbound);
    }
    let contracts: std::collections::BTreeSet<&str> = report
        .lines
        .iter()
        .filter_map(|l| l.contract_id.as_deref())
        .collect();
    refs.extend(
        contracts
            .into_iter()
            .map(|c| ("contract".to_owned(), c.to_owned())),
    );
    tracing::info!(batch = %number, lines = totals.lines, status = %status_name(&batch.status), "sales report applied");
    Ok(Outcome {
        summary,
        refs,
        outbound,
    })
}

/// `state::invoices_of` over the report's lines without converting them: a sales line has no
/// original invoice, so a return refers to its own invoice.
fn report_invoices(report: &SalesReport) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for l in &report.lines {
        let is_return = l.quantity.is_sign_negative() && !l.quantity.is_zero();
        if !l.invoice.is_empty() || is_return {
            out.insert(l.invoice.clone());
        }
    }
    out
}
