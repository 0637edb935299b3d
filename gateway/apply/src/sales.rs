//! `sales_report` (867 from a distributor, §1.2 claimant): one batch of its lines, validated
//! against the stored contracts and the earlier lines with the same invoices; Immediate Claim
//! sends the claim of the valid lines at once, Review and Claim waits for the reviewer.

use engine::audit::{Actor, Entity, status_name};
use engine::batch::{Batch, BatchHeader, BatchKind, Ledgers, LineEvents};
use engine::caps::CapLedger;
use engine::sale::SaleLine;
use engine::settings::Role;
use schemas::SalesReport;
use store::{NewBatch, StoreTx};
use uuid::Uuid;

use crate::audit::{append_all, convert};
use crate::book::BookCache;
use crate::claim_out::send_claim;
use crate::error::ApplyError;
use crate::partners::Partner;
use crate::state::{CHUNK_LINES, batch_payload, history_for, invoices_of, line_row};
use crate::{Context, Outcome};

/// The batch number of a report: unique per distributor and report id, so the same report
/// under a new message id is recognised (§5.2 header key) and writes nothing.
pub fn batch_number(partner: &str, report_id: &str) -> String {
    format!("{partner}/{report_id}")
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
    let sales: Vec<SaleLine> = report.lines.iter().map(SaleLine::from).collect();
    let mut history = history_for(tx, &partner.id, "claimant", invoices_of(sales.iter())).await?;
    let id = Uuid::now_v7();
    let header = BatchHeader {
        id: id.to_string(),
        number: number.clone(),
        name: report.report_id.clone(),
        kind: BatchKind::Sales867,
        role: Role::Claimant,
        distributor: report.distributor.clone(),
        supplier: report.supplier.clone(),
        currency: "USD".to_owned(),
        file_name: None,
        debit_memo: None,
        received_at: ctx.today,
        claim_date: ctx.today,
        corrects_batch_id: None,
    };
    let actor = Actor::Partner(partner.id.clone());
    let (mut batch, opened) = Batch::open(header, &partner.settings, sales, &actor, ctx.today);
    let mut caps = CapLedger::new();
    let processed = {
        let mut ledgers = Ledgers {
            book: &books.book,
            history: &mut history,
            caps: &mut caps,
        };
        // Line transitions are recorded on the line rows (below), not as events.
        batch.process_with(&mut ledgers, ctx.today, LineEvents::None)?
    };
    drop(history);
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
    // Line transitions are recorded on the line rows themselves (status, reasons, pricing
    // snapshot); one audit event per chunk of inserted lines, so a million-line report does
    // not write a million audit rows. Batch-level transitions are kept one by one.
    for (chunk_no, chunk) in batch.lines.chunks(CHUNK_LINES).enumerate() {
        let rows = chunk
            .iter()
            .enumerate()
            .map(|(i, l)| line_row((chunk_no * CHUNK_LINES + i) as i64 + 1, l))
            .collect::<Result<Vec<_>, _>>()?;
        let event = crate::audit::event(ctx, "batch", id.to_string(), "L1-L5 validate")
            .correlation(message_id.to_owned());
        tx.insert_batch_lines(id, &rows, ctx.now, &event).await?;
    }
    let batch_events: Vec<_> = processed
        .events
        .into_iter()
        .filter(|e| e.entity == Entity::Batch)
        .collect();
    append_all(tx, &batch_events, ctx, message_id).await?;
    let summary_lines = batch.summary();
    let mut outbound = Vec::new();
    let mut summary = format!(
        "sales report {} -> batch {number} {} ({} lines, {} accepted, {} disputed)",
        report.report_id,
        status_name(&batch.status),
        summary_lines.lines,
        summary_lines.accepted_lines,
        summary_lines.disputes
    );
    if let Some(cut) = &processed.claim {
        let sent = send_claim(tx, &books, partner, id, &batch, cut, ctx).await?;
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
    tracing::info!(batch = %number, lines = batch.lines.len(), status = %status_name(&batch.status), "sales report applied");
    Ok(Outcome {
        summary,
        refs,
        outbound,
    })
}
