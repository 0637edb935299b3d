//! The cut of claim periods (chargeback-rules 8.1, `claim_trigger` Daily, Weekly, Monthly): a
//! collecting batch stays Open while its period runs; once the period has ended it is cut, in
//! one transaction per batch: the header tolerance over every line of the period, then B2–B5
//! (`engine::batch::Batch::cut`) — in Immediate Claim claim #1 of the valid lines and the
//! outbound 844, in Review and Claim Awaiting Review (or Closed with its claim when every line
//! is valid, Rejected when none is).
//!
//! Idempotent and safe with concurrent cutters: a batch is cut only while it is Open, and its
//! row is written first under its version (optimistic concurrency), so a second cutter (or a
//! report appending to the period meanwhile) meets a `Conflict` before writing anything, and
//! the batch is read again. The clock is the caller's: `through` and `ctx.today` come in.

use chrono::NaiveDate;
use engine::audit::{Actor, Entity, status_name};
use engine::batch::{BatchStatus, Ledgers};
use engine::duplicates::LineHistory;
use store::{BatchLineState, EntityUpdate, Store, StoreTx};
use uuid::Uuid;

use crate::audit::{append_all, convert};
use crate::claim_out::send_claim;
use crate::error::ApplyError;
use crate::state::{CHUNK_LINES, batch_payload, load_batch};
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
    // The row alone first: a batch cut before, or not due, is left without reading its lines.
    let due = |status: &str, end: Option<&str>| {
        status == status_name(&BatchStatus::Open)
            && end.is_some_and(|e| e <= through.to_string().as_str())
    };
    match tx.get_batch(id).await? {
        Some(r) if due(&r.status, r.period_end.as_deref()) => {}
        _ => return Ok(None),
    }
    let (record, mut batch) = load_batch(tx, id).await?;
    let loaded = started.elapsed();
    let Some(period_end) = record.period_end.clone() else {
        return Ok(None);
    };
    if batch.status != BatchStatus::Open || !due(&record.status, Some(&period_end)) {
        return Ok(None);
    }
    let partner = partners.get(&record.partner)?;
    let books = partners.cache.snapshot(tx).await?;
    // The cut validates nothing (the lines were validated as they arrived): the history of
    // earlier lines is not read, only kept up to date by the engine, so it starts empty
    // rather than reading the batch's lines a second time.
    let mut history = LineHistory::new();
    let stored_caps = crate::caps::load(tx, &books.book).await?;
    let mut caps = stored_caps.ledger.clone();
    let before: Vec<_> = batch.lines.iter().map(|l| (l.status, l.claim)).collect();
    let actor = if ctx.actor == "system" {
        Actor::System
    } else {
        Actor::User(ctx.actor.clone())
    };
    let out = {
        let mut ledgers = Ledgers {
            book: &books.book,
            history: &mut history,
            caps: &mut caps,
        };
        batch.cut(&mut ledgers, &actor, ctx.today)?
    };
    let decided = started.elapsed();
    let correlation = format!("{}#{}", record.number, record.version);
    let status = status_name(&batch.status);
    // The row first, under the version read: a concurrent cutter or report conflicts here,
    // before anything else is written.
    let mut batch_events = out
        .events
        .iter()
        .filter(|e| e.entity == Entity::Batch)
        .map(|e| convert(e, ctx.now, &correlation));
    let end_event = batch_events.next().unwrap_or_else(|| {
        crate::audit::event(ctx, "batch", id.to_string(), "cut")
            .transition(Some(&record.status), &status)
            .correlation(correlation.clone())
    });
    let version = tx
        .update_batch(
            &EntityUpdate {
                id,
                expected_version: record.version,
                status: status.clone(),
                amount: None,
                payload: batch_payload(&batch)?,
                at: ctx.now,
            },
            &end_event.reason(format!("claim period ended {period_end}")),
        )
        .await
        .map_err(ApplyError::from_store("batch", id, record.version))?;
    for event in batch_events {
        tx.append_audit(&event).await?;
    }
    // The lines the cut moved (claimed, header tolerance, B2), in bulk, one event per chunk.
    let changed: Vec<BatchLineState> = batch
        .lines
        .iter()
        .zip(&before)
        .enumerate()
        .filter(|(_, (line, was))| (line.status, line.claim) != **was)
        .map(|(i, (line, _))| {
            Ok(BatchLineState {
                line_no: i as i64 + 1,
                status: status_name(&line.status),
                calculated_amount: None,
                accepted_amount: line.accepted_amount,
                payload: store::JsonText::of(line)?,
            })
        })
        .collect::<Result<_, ApplyError>>()?;
    for chunk in changed.chunks(CHUNK_LINES) {
        let event = crate::audit::event(ctx, "batch", id.to_string(), "L5-L13 cut")
            .correlation(correlation.clone());
        tx.update_batch_lines(id, chunk, ctx.now, &event).await?;
    }
    let lines_written = started.elapsed();
    drop(changed);
    stored_caps.save(tx, &caps, Some(id), ctx).await?;
    let line_events: Vec<_> = out
        .events
        .iter()
        .filter(|e| e.entity == Entity::BatchLine)
        .cloned()
        .collect();
    append_all(tx, &line_events, ctx, &correlation).await?;
    let before_claim = started.elapsed();
    let mut summary = format!(
        "batch {} cut (period ended {period_end}): {status}, {} lines",
        record.number,
        batch.lines.len()
    );
    let mut claim = None;
    let mut outbound = Vec::new();
    if let Some(cut) = &out.claim {
        let sent = send_claim(tx, &books, partner, id, &batch, cut, ctx).await?;
        summary.push_str(&format!("; claim {} {}", sent.number, sent.amount));
        claim = Some((sent.number, sent.amount));
        outbound.push(sent.outbound);
    }
    tracing::debug!(batch = %record.number, lines = batch.lines.len(), ?loaded, ?decided, ?lines_written, ?before_claim, total = ?started.elapsed(), "cut phases");
    Ok(Some(CutBatch {
        id,
        number: record.number,
        period_end,
        status,
        version,
        lines: batch.lines.len(),
        claim,
        summary,
        outbound,
    }))
}
