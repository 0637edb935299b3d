//! The cut of claim periods (chargeback-rules 8.1, `claim_trigger` Daily, Weekly, Monthly): a
//! collecting batch stays Open, its reports' lines waiting unprocessed, while its period
//! runs; once the period has ended it is cut, in one transaction per batch: the period's
//! lines are validated into the batch (L1–L5) and the batch ended (B2–B5) as a batch of the
//! same lines processed at once would be (`crate::sales::process_batch`) — in Immediate
//! Claim claim #1 of the valid lines and the outbound 844, in Review and Claim Awaiting
//! Review (or Closed with its claim when every line is valid, Rejected when none is).
//!
//! Idempotent and safe with concurrent cutters: a batch is cut only while it is Open, and its
//! row is taken first under its version (optimistic concurrency), so a second cutter (or a
//! report joining the period meanwhile) meets a `Conflict` before writing anything, and the
//! batch is read again. The clock is the caller's: `through` and `ctx.today` come in.

use chrono::NaiveDate;
use engine::audit::status_name;
use engine::batch::{Batch, BatchStatus};
use store::{EntityUpdate, Store, StoreTx};
use uuid::Uuid;

use crate::error::ApplyError;
use crate::line_source::{LineSource, PendingReport};
use crate::sales::{Row, Target, process_batch};
use crate::state::corrupt;
use crate::{Context, OutboundDoc, Partners};

/// A batch the cut moved on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CutBatch {
    /// Batch id.
    pub id: Uuid,
    /// Batch number (`<partner>/<supplier>/<period>`).
    pub number: String,
    /// The period's last day.
    pub period_end: String,
    /// Status after the cut (`closed`, `awaiting_review`, `rejected`).
    pub status: String,
    /// Version after the cut.
    pub version: i64,
    /// Lines in the batch.
    pub lines: usize,
    /// The claim sent, with its amount.
    pub claim: Option<(String, rust_decimal::Decimal)>,
    /// One line for logs.
    pub summary: String,
    /// The outbound 844, when a claim was sent.
    pub outbound: Vec<OutboundDoc>,
}

/// Attempts per batch when another writer moved it between the read and the write.
const ATTEMPTS: usize = 3;

/// Cuts every Open collecting batch whose period ended on or before `through` (of `partner`
/// when given), oldest period first, one transaction each. The scheduler passes the day
/// before today (the periods that have ended); an operator may pass a later day to cut a
/// running period early. A batch cut before (or by a concurrent cutter) is skipped, so
/// cutting twice does nothing more. Returns the batches this call cut; when a batch could not
/// be cut, the others still are (and stay cut) and the first error is returned.
pub async fn cut_due(
    store: &dyn Store,
    partners: &Partners,
    through: NaiveDate,
    partner: Option<&str>,
    ctx: &Context,
) -> Result<Vec<CutBatch>, ApplyError> {
    let due = {
        let mut read = store.reader().await?;
        read.batches_due(&through.to_string(), partner).await?
    };
    let mut out = Vec::new();
    let mut failed = None;
    for record in due {
        // A batch that cannot be cut does not hold the others back.
        match cut_batch(store, partners, record.id, through, ctx).await {
            Ok(Some(cut)) => out.push(cut),
            Ok(None) => {}
            Err(error) => {
                tracing::error!(batch = %record.number, %error, "claim period not cut");
                failed.get_or_insert(error);
            }
        }
    }
    match failed {
        Some(error) => Err(error),
        None => Ok(out),
    }
}

/// Cuts batch `id` if it is an Open collecting batch whose period ended on or before
/// `through`; `None` when there is nothing to cut (not a period batch, cut already, period
/// still running).
pub async fn cut_batch(
    store: &dyn Store,
    partners: &Partners,
    id: Uuid,
    through: NaiveDate,
    ctx: &Context,
) -> Result<Option<CutBatch>, ApplyError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut tx = store.begin().await?;
        match cut_one(&mut *tx, partners, id, through, ctx).await {
            Ok(Some(cut)) => {
                tx.commit().await?;
                tracing::info!(batch = %cut.number, status = %cut.status, lines = cut.lines, claim = ?cut.claim, "claim period cut");
                return Ok(Some(cut));
            }
            Ok(None) => {
                tx.rollback().await?;
                return Ok(None);
            }
            Err(ApplyError::Conflict { .. }) if attempt < ATTEMPTS => {
                let _ = tx.rollback().await;
                tracing::info!(%id, attempt, "batch moved while it was cut: reading it again");
            }
            Err(e) => {
                let _ = tx.rollback().await;
                return Err(e);
            }
        }
    }
}

async fn cut_one(
    tx: &mut dyn StoreTx,
    partners: &Partners,
    id: Uuid,
    through: NaiveDate,
    ctx: &Context,
) -> Result<Option<CutBatch>, ApplyError> {
    let started = std::time::Instant::now();
    let record = match tx.get_batch(id).await? {
        Some(r) if r.status == status_name(&BatchStatus::Open) => r,
        _ => return Ok(None),
    };
    let Some(period_end) = record
        .period_end
        .clone()
        .filter(|end| end.as_str() <= through.to_string().as_str())
    else {
        return Ok(None);
    };
    let mut batch: Batch = serde_json::from_value(record.payload.clone())
        .map_err(corrupt(format!("batch {}", record.id)))?;
    if batch.status != BatchStatus::Open {
        return Ok(None);
    }
    let partner = partners.get(&record.partner)?;
    let reports = tx.batch_reports(id).await?;
    let pending: Vec<_> = reports.iter().filter(|r| r.pending).collect();
    // The row first, under the version read: a concurrent cutter or report conflicts here,
    // before anything else is written (and the row stays locked on PostgreSQL until commit).
    let line_count: i64 = pending.iter().map(|r| r.line_count).sum();
    let taken = crate::audit::event(ctx, "batch", id.to_string(), "B1 period ended")
        .transition(Some(&record.status), &record.status)
        .correlation(format!("{}#{}", record.number, record.version))
        .reason(format!(
            "claim period ended {period_end}: {line_count} lines of {} reports to validate",
            pending.len()
        ));
    let version = tx
        .update_batch(
            &EntityUpdate {
                id,
                expected_version: record.version,
                status: record.status.clone(),
                amount: None,
                payload: record.payload.clone(),
                at: ctx.now,
            },
            &taken,
        )
        .await
        .map_err(ApplyError::from_store("batch", id, record.version))?;
    // The period's lines in the order they came, report after report, read from the store
    // a chunk at a time by each pass over them.
    if pending.is_empty() {
        // Reports collected before migration 0012 were validated on arrival and kept no
        // pending lines; a period batch is never opened without lines otherwise.
        return Err(engine::batch::BatchError::Empty.into());
    }
    let source = LineSource::Pending {
        partner: record.partner.clone(),
        reports: pending
            .iter()
            .map(|r| PendingReport {
                id: r.report_id.clone(),
                lines: r.line_count,
                returns: r.return_lines,
            })
            .collect(),
    };
    let taken_at = started.elapsed();
    let correlation = format!("{}#{version}", record.number);
    let target = Target {
        id,
        number: &record.number,
        row: Row::Taken {
            version,
            reason: format!("claim period ended {period_end}"),
        },
        renumber: true,
        correlation: &correlation,
    };
    let done = process_batch(
        tx,
        &partners.cache,
        partner,
        &mut batch,
        target,
        &source,
        ctx,
    )
    .await?;
    tx.clear_pending_reports(id).await?;
    let mut summary = format!(
        "batch {} cut (period ended {period_end}): {}, {} lines, {} accepted, {} disputed",
        record.number,
        done.status,
        done.totals.lines,
        done.totals.accepted_lines,
        done.totals.disputes
    );
    let mut claim = None;
    let mut outbound = Vec::new();
    if let Some(sent) = done.claim {
        summary.push_str(&format!("; claim {} {}", sent.number, sent.amount));
        claim = Some((sent.number, sent.amount));
        outbound.push(sent.outbound);
    }
    tracing::debug!(batch = %record.number, lines = done.totals.lines, taken = ?taken_at, total = ?started.elapsed(), "cut phases");
    Ok(Some(CutBatch {
        id,
        number: record.number,
        period_end,
        status: done.status,
        version: done.version,
        lines: done.totals.lines,
        claim,
        summary,
        outbound,
    }))
}
