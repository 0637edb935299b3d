//! Analyst actions on a batch (§4.3, §6.1, §6.2): one transaction each, under optimistic
//! concurrency on the batch version.

use engine::audit::AuditEvent;
use engine::audit::{Actor, Entity, status_name};
use engine::batch::{Batch, BatchAction, BatchLine, Ledgers};
use engine::settings::Role;
use store::{BatchLineState, EntityUpdate, StoreTx};
use uuid::Uuid;

use crate::audit::{append_all, convert};
use crate::claim_answer::answer_batch;
use crate::claim_out::send_claim;
use crate::error::ApplyError;
use crate::state::{CHUNK_LINES, batch_payload, history_for, invoices_of, load_batch};
use crate::{Context, OutboundDoc, Partners};

/// What an analyst action did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionOutcome {
    /// The batch's version after the action (pass it as `expected_version` next time).
    pub version: i64,
    /// The batch's status after the action (snake_case, e.g. `awaiting_review`, `closed`).
    pub status: String,
    /// One line for logs.
    pub summary: String,
    /// Searchable references (`batch`, `claim`, `debit_memo`).
    pub refs: Vec<(String, String)>,
    /// Outbound documents written (the claim of Pay and Close Batch).
    pub outbound: Vec<OutboundDoc>,
}

pub(crate) async fn apply(
    tx: &mut dyn StoreTx,
    partners: &Partners,
    batch_id: Uuid,
    expected_version: i64,
    action: &BatchAction,
    ctx: &Context,
) -> Result<ActionOutcome, ApplyError> {
    let (record, mut batch) = load_batch(tx, batch_id).await?;
    if record.version != expected_version {
        return Err(ApplyError::Conflict {
            entity: "batch",
            id: batch_id,
            expected: expected_version,
            actual: Some(record.version),
        });
    }
    let partner = partners.get(&record.partner)?;
    let books = partners.cache.snapshot(tx).await?;
    let mut history = history_for(
        tx,
        &record.partner,
        &record.role,
        invoices_of(batch.lines.iter().map(|l| &l.sale)),
    )
    .await?;
    let stored_caps = crate::caps::load(tx, &books.book).await?;
    let mut caps = stored_caps.ledger.clone();
    let before: Vec<_> = batch.lines.clone();
    let actor = Actor::User(ctx.actor.clone());
    let out = {
        let mut ledgers = Ledgers {
            book: &books.book,
            history: &mut history,
            caps: &mut caps,
        };
        batch.apply(action, &actor, &mut ledgers, ctx.today)?
    };
    stored_caps.save(tx, &caps, Some(batch_id), ctx).await?;
    let correlation = format!("{}#{}", record.number, expected_version);
    let changed = write_changed_lines(
        tx,
        batch_id,
        &before,
        &batch,
        &out.events,
        &correlation,
        ctx,
    )
    .await?;
    tracing::debug!(batch = %record.number, changed, "lines changed by the action");
    let batch_events: Vec<_> = out
        .events
        .iter()
        .filter(|e| e.entity != Entity::BatchLine)
        .cloned()
        .collect();
    let status = status_name(&batch.status);
    let action_name = serde_json::to_value(action)?
        .get("action")
        .and_then(|a| a.as_str().map(str::to_owned))
        .unwrap_or_else(|| "action".to_owned());
    let mut event = crate::audit::event(ctx, "batch", batch_id.to_string(), &action_name)
        .transition(Some(&record.status), &status)
        .correlation(correlation.clone());
    event.after = serde_json::to_value(action).ok();
    let version = tx
        .update_batch(
            &EntityUpdate {
                id: batch_id,
                expected_version,
                status: status.clone(),
                amount: None,
                payload: batch_payload(&batch)?,
                at: ctx.now,
            },
            &event,
        )
        .await
        .map_err(ApplyError::from_store("batch", batch_id, expected_version))?;
    append_all(tx, &batch_events, ctx, &correlation).await?;
    let mut refs = vec![("batch".to_owned(), record.number.clone())];
    let mut outbound = Vec::new();
    let mut summary = format!("batch {} {action_name}: {status}", record.number);
    if batch.header.role == Role::Adjudicator {
        // §7.7: the end of a held batch is answered with the 849; no 844 goes out.
        if let Some(answer) =
            answer_batch(tx, &partner.id, batch_id, &batch, &correlation, ctx).await?
        {
            summary.push_str(&format!(
                "; claim {} answered: approved {}",
                answer.claim_number, answer.approved
            ));
            refs.push(("claim".to_owned(), answer.claim_number));
            outbound.push(answer.outbound);
        }
    } else if let Some(cut) = &out.claim {
        let sent = send_claim(tx, &books, partner, batch_id, &batch, cut, ctx).await?;
        summary.push_str(&format!("; claim {} {}", sent.number, sent.amount));
        refs.push(("claim".to_owned(), sent.number.clone()));
        refs.push(("debit_memo".to_owned(), sent.number));
        outbound.push(sent.outbound);
    }
    Ok(ActionOutcome {
        version,
        status,
        summary,
        refs,
        outbound,
    })
}

/// Writes the lines of `batch` (row `batch_id`) that differ from `before`, in bulk a chunk at
/// a time: their new states in one statement, each line's events from `events` (the first
/// one, or a plain "line changed", then any further ones, e.g. L7 then L8) in a few more.
/// Returns how many lines changed.
pub(crate) async fn write_changed_lines(
    tx: &mut dyn StoreTx,
    batch_id: Uuid,
    before: &[BatchLine],
    batch: &Batch,
    events: &[AuditEvent],
    correlation: &str,
    ctx: &Context,
) -> Result<usize, ApplyError> {
    // Each line's events, in order, found by entity id (a Pay and Close moves every line of
    // a large batch: searching the event list per line would be quadratic).
    let mut by_line: std::collections::HashMap<&str, Vec<&AuditEvent>> =
        std::collections::HashMap::new();
    for e in events.iter().filter(|e| e.entity == Entity::BatchLine) {
        by_line.entry(e.id.as_str()).or_default().push(e);
    }
    let mut states: Vec<BatchLineState> = Vec::new();
    let mut rows: Vec<store::NewAuditEvent> = Vec::new();
    let mut changed = 0usize;
    for (i, (old, new)) in before.iter().zip(&batch.lines).enumerate() {
        if old == new {
            continue;
        }
        changed += 1;
        let entity_id = format!("{}/{}", batch.header.id, new.sale.line);
        let line_events = by_line
            .get(entity_id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        if line_events.is_empty() {
            rows.push(
                crate::audit::event(ctx, "batch_line", entity_id.clone(), "line changed")
                    .transition(Some(&status_name(&old.status)), &status_name(&new.status))
                    .correlation(correlation.to_owned()),
            );
        }
        rows.extend(line_events.iter().map(|e| convert(e, ctx.now, correlation)));
        states.push(BatchLineState {
            line_no: i as i64 + 1,
            status: status_name(&new.status),
            calculated_amount: new.validation.as_ref().and_then(|v| v.calculated_amount),
            accepted_amount: new.accepted_amount,
            payload: store::JsonText::of(new)?,
        });
        if states.len() == CHUNK_LINES {
            write_lines(tx, batch_id, &mut states, &mut rows, correlation, ctx).await?;
        }
    }
    write_lines(tx, batch_id, &mut states, &mut rows, correlation, ctx).await?;
    Ok(changed)
}

/// Writes the lines' new states in one bulk update (with one batch event naming how many)
/// and their events, then empties both lists.
async fn write_lines(
    tx: &mut dyn StoreTx,
    batch_id: Uuid,
    states: &mut Vec<BatchLineState>,
    events: &mut Vec<store::NewAuditEvent>,
    correlation: &str,
    ctx: &Context,
) -> Result<(), ApplyError> {
    if states.is_empty() {
        return Ok(());
    }
    let event = crate::audit::event(ctx, "batch", batch_id.to_string(), "lines changed")
        .correlation(correlation.to_owned())
        .reason(format!("{} lines", states.len()));
    tx.update_batch_lines(batch_id, states, ctx.now, &event)
        .await?;
    tx.append_audits(events).await?;
    states.clear();
    events.clear();
    Ok(())
}
