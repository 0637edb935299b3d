//! The dispute CSV of chargeback-rules §9 for the batches a user works: the disputed lines
//! of a batch exported (`<batch_number>-disputes-<yyyymmdd>.csv`), and a corrected file
//! imported as a new Corrected CSV batch linked to its source, in one transaction: the new
//! batch runs the full pipeline (B2–B5, its claim sent as any claim), and the source lines it
//! corrects that are still disputed in a batch Awaiting Review become Rejected `Resubmitted`
//! (L16) under the source's version. The source is never reopened; a bad file fails whole
//! with its row and column, nothing written.
//!
//! Claimant batches only for import: a distributor corrects a received claim with a BAA01 15
//! resubmission 844 (§5.2), which is answered with its own 849.

use engine::audit::{Entity, status_name};
use engine::batch::{BatchHeader, BatchLine, BatchStatus, Ledgers, LineStatus};
use engine::disputes::{export, export_file_name, import_corrections, read_corrections};
use engine::settings::Role;
use store::{EntityUpdate, Store, StoreTx};
use uuid::Uuid;

use crate::action::write_changed_lines;
use crate::audit::append_all;
use crate::claim_out::send_claim;
use crate::error::ApplyError;
use crate::sales::free_batch_number;
use crate::state::{
    batch_payload, corrupt, history_for, insert_claimant_batch, insert_lines, invoices_of,
    load_batch,
};
use crate::{Context, OutboundDoc, Partners, finish};

/// A batch's disputed lines as the §9 file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeExport {
    /// `<batch_number>-disputes-<yyyymmdd>.csv`.
    pub file_name: String,
    /// Lines exported.
    pub rows: usize,
    /// The file (UTF-8, RFC 4180).
    pub csv: Vec<u8>,
}

/// Exports the disputed lines of batch `batch`: from a batch Awaiting Review its disputed
/// lines, from a Closed or Rejected one the lines rejected with a dispute category.
pub async fn export_disputes(
    store: &dyn Store,
    batch: Uuid,
    ctx: &Context,
) -> Result<DisputeExport, ApplyError> {
    let mut read = store.reader().await?;
    let batch = load_exportable(&mut *read, batch).await?;
    let mut csv = Vec::new();
    let rows = export(&batch, &batch.settings, &mut csv)?;
    Ok(DisputeExport {
        file_name: export_file_name(&batch, ctx.today),
        rows,
        csv,
    })
}

/// Batch `id` with only the lines its dispute file can hold (disputed or Rejected: the
/// export picks among them by the batch's status and the reject reason), read a page at a
/// time with the status filter in SQL: a batch's accepted and claimed lines, most of a large
/// one, are never read for its file.
async fn load_exportable(
    read: &mut dyn store::StoreRead,
    id: Uuid,
) -> Result<engine::batch::Batch, ApplyError> {
    const PAGE: i64 = 10_000;
    let record = read
        .get_batch(id)
        .await?
        .ok_or(ApplyError::UnknownBatch(id))?;
    let mut batch: engine::batch::Batch =
        serde_json::from_value(record.payload).map_err(corrupt(format!("batch {id}")))?;
    batch.lines.clear();
    let mut page = store::LinePage {
        after: 0,
        limit: PAGE,
        statuses: [
            LineStatus::EligibilityDisputed,
            LineStatus::AmountDisputed,
            LineStatus::Duplicate,
            LineStatus::Rejected,
        ]
        .iter()
        .map(status_name)
        .collect(),
    };
    loop {
        let rows = read.batch_lines_page(id, &page).await?;
        let Some(last) = rows.last() else { break };
        page.after = last.line.line_no;
        let full = rows.len() as i64 == PAGE;
        for r in rows {
            batch.lines.push(
                r.line
                    .payload
                    .parse::<BatchLine>()
                    .map_err(corrupt(format!("batch {id} line {}", r.line.line_no)))?,
            );
        }
        if !full {
            break;
        }
    }
    Ok(batch)
}

/// What importing a corrected file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionOutcome {
    /// The new Corrected CSV batch.
    pub batch: Uuid,
    /// Its number (`<source number>/corrected`, `-2`, ...).
    pub number: String,
    /// Its status after the pipeline (`closed`, `awaiting_review`, `rejected`).
    pub status: String,
    /// Source lines moved to Rejected `Resubmitted` (L16).
    pub resubmitted: usize,
    /// The source batch's version after the import (unchanged when nothing moved).
    pub source_version: i64,
    /// The claim cut from the new batch and its 844, when its valid lines were claimed.
    pub claim: Option<(String, rust_decimal::Decimal)>,
    /// Outbound documents written (the claim's 844).
    pub outbound: Vec<OutboundDoc>,
    /// One line for logs.
    pub summary: String,
}

/// Imports `csv`, a corrected dispute file of batch `source` (seen at `expected_version`),
/// named `file_name`, in one transaction. A stale version is [`ApplyError::Conflict`]; a
/// file that does not fit the source, [`ApplyError::DisputeCsv`] with its row and column.
pub async fn import_dispute_corrections(
    store: &dyn Store,
    partners: &Partners,
    source: Uuid,
    expected_version: i64,
    (file_name, csv): (&str, &[u8]),
    ctx: &Context,
) -> Result<CorrectionOutcome, ApplyError> {
    let mut tx = store.begin().await?;
    let result = import(
        &mut *tx,
        partners,
        source,
        expected_version,
        (file_name, csv),
        ctx,
    )
    .await;
    let outcome = finish(tx, result).await?;
    tracing::info!(%source, batch = %outcome.number, summary = %outcome.summary, "corrected disputes imported");
    Ok(outcome)
}

async fn import(
    tx: &mut dyn StoreTx,
    partners: &Partners,
    source_id: Uuid,
    expected_version: i64,
    (file_name, csv): (&str, &[u8]),
    ctx: &Context,
) -> Result<CorrectionOutcome, ApplyError> {
    let (record, mut source) = load_batch(tx, source_id).await?;
    if record.version != expected_version {
        return Err(ApplyError::Conflict {
            entity: "batch",
            id: source_id,
            expected: expected_version,
            actual: Some(record.version),
        });
    }
    if source.header.role != Role::Claimant {
        return Err(ApplyError::InvalidCorrection(format!(
            "batch {} is a received claim's: its distributor corrects it with a BAA01 15 \
             resubmission",
            record.number
        )));
    }
    let partner = partners.get(&record.partner)?;
    // Read once up front: a file that does not fit fails before anything is loaded, and its
    // invoices bound the duplicate history.
    let rows = read_corrections(&source, csv)?;
    let books = partners.cache.snapshot(tx).await?;
    let invoices = invoices_of(
        source
            .lines
            .iter()
            .map(|l| &l.sale)
            .chain(rows.iter().map(|r| &r.sale)),
    );
    let mut history = history_for(tx, &record.partner, "claimant", invoices).await?;
    let stored_caps = crate::caps::load(tx, &books.book).await?;
    let mut caps = stored_caps.ledger.clone();
    let id = Uuid::now_v7();
    let number = free_batch_number(tx, format!("{}/corrected", record.number)).await?;
    let header = BatchHeader {
        id: id.to_string(),
        number: number.clone(),
        name: format!("corrected {}", source.header.name),
        file_name: Some(file_name.to_owned()),
        debit_memo: None,
        received_at: ctx.today,
        claim_date: ctx.today,
        ..source.header.clone()
    };
    let before = source.lines.clone();
    let (batch, out) = {
        let mut ledgers = Ledgers {
            book: &books.book,
            history: &mut history,
            caps: &mut caps,
        };
        import_corrections(&mut source, csv, header, &mut ledgers, ctx.today)?
    };
    drop(history);
    // Each movement under the batch its line names (new lines, or a source line's release).
    stored_caps.save(tx, &caps, None, ctx).await?;
    let correlation = format!("corrections:{}", record.number);

    // The source: its corrected lines still disputed are Rejected `Resubmitted` (L16).
    let resubmitted = write_changed_lines(
        tx,
        source_id,
        &before,
        &source,
        &out.events,
        &correlation,
        ctx,
    )
    .await?;
    let source_version = if resubmitted == 0 {
        record.version
    } else {
        let event = crate::audit::event(ctx, "batch", source_id.to_string(), "L16 corrected")
            .transition(Some(&record.status), &status_name(&source.status))
            .reason(format!("{resubmitted} line(s) resubmitted in {number}"))
            .correlation(correlation.clone());
        tx.update_batch(
            &EntityUpdate {
                id: source_id,
                expected_version,
                status: status_name(&source.status),
                amount: None,
                payload: batch_payload(&source)?,
                at: ctx.now,
            },
            &event,
        )
        .await
        .map_err(ApplyError::from_store("batch", source_id, expected_version))?
    };

    // The new batch, its lines in their final state and their events.
    let own = |e: &&engine::audit::AuditEvent| match e.entity {
        Entity::Batch => e.id == batch.header.id,
        Entity::BatchLine => e.id.starts_with(&format!("{}/", batch.header.id)),
        _ => true,
    };
    let mut events = out.events.iter().filter(own);
    insert_claimant_batch(
        tx,
        (id, &number, &record.partner),
        &batch,
        events.next(),
        &correlation,
        ctx,
    )
    .await?;
    insert_lines(tx, id, &batch.lines, "corrected lines", &correlation, ctx).await?;
    let rest: Vec<_> = events.cloned().collect();
    append_all(tx, &rest, ctx, &correlation).await?;

    let status = status_name(&batch.status);
    let mut summary = format!(
        "{} corrected line(s) of {} -> batch {number} {status}; {resubmitted} resubmitted (L16)",
        rows.len(),
        record.number
    );
    let mut outbound = Vec::new();
    let mut claim = None;
    if let Some(cut) = &out.claim {
        let sent = send_claim(tx, &books, partner, id, &batch, cut, ctx).await?;
        summary.push_str(&format!("; claim {} {}", sent.number, sent.amount));
        claim = Some((sent.number, sent.amount));
        outbound.push(sent.outbound);
    }
    debug_assert!(batch.status != BatchStatus::Open);
    Ok(CorrectionOutcome {
        batch: id,
        number,
        status,
        resubmitted,
        source_version,
        claim,
        outbound,
        summary,
    })
}
