//! Replay of a failed transaction (design.md 1), from the command line or the API. Every
//! path writes only to the database and the outbox, under the keys of the first run, so a
//! replay never creates a second document, batch, claim or control number:
//!
//! | transaction | replay |
//! |---|---|
//! | an inbound file, or one of its sets failed in parse/map | the file is processed again from its raw copy; done sets are skipped |
//! | a set failed in the engine | its documents are published again with their original idempotency key |
//! | an outbound file failed to send | it is queued for sending again (same bytes, same control numbers) |
//!
//! A failed transaction that will not be replayed (its partner resent a corrected file) is
//! [`dismiss`]ed instead: off the failed queue, its error and audit trail kept; a dismissed
//! transaction is not replayed, as a done one is not, until ops [`restore`] it (dismissed by
//! mistake).

use chrono::Utc;
use store::{
    Direction, OutboxMessage, Step, StoreError, TransactionDismissal, TransactionRecord,
    TransactionUpdate, TxState,
};
use uuid::Uuid;

use crate::error::PipelineError;
use crate::ingest::{Ingest, document_key};
use crate::messages;
use crate::outbound::rendered_of;

/// What a replay did, in a sentence for the operator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Replayed {
    /// The transaction replayed.
    pub transaction: Uuid,
    /// What happened.
    pub summary: String,
    /// The file replayed failed again (a set still does not go through): the fix did not
    /// take, and the transaction stays failed.
    pub still_failed: bool,
}

/// Replays transaction `id`.
pub async fn replay(ingest: &Ingest, id: Uuid) -> Result<Replayed, PipelineError> {
    let store = &ingest.store;
    let tx = store
        .get_transaction(id)
        .await?
        .ok_or(PipelineError::NoTransaction(id))?;
    // Replay is for what did not go through: a done transaction's documents were taken and
    // its files sent (running it again would change nothing, or send a file twice).
    if tx.state == TxState::Done {
        return Err(PipelineError::Done(id));
    }
    // Ops set it aside (a corrected file came instead): running it again would take the
    // superseded file after all.
    if tx.state == TxState::Dismissed {
        return Err(PipelineError::Dismissed(id));
    }
    let mut still_failed = false;
    let summary = match (tx.direction, tx.step, tx.parent_id) {
        (Direction::Inbound, Step::Engine, Some(_)) => republish(ingest, &tx).await?,
        (Direction::Inbound, _, parent) => {
            let file = parent.unwrap_or(tx.id);
            let p = ingest.process(file).await?;
            still_failed = p.state == Some(TxState::Failed);
            let dismissed = match p.sets_dismissed {
                0 => String::new(),
                n => format!(", {n} dismissed (left alone)"),
            };
            format!(
                "file {file} processed again: {} set(s) done now, {} already done, {} failed{dismissed}; {}",
                p.sets_done,
                p.sets_already_done,
                p.sets_failed,
                p.state.map_or("?".into(), |s| s.to_string())
            )
        }
        (Direction::Outbound, _, _) => resend(ingest, &tx).await?,
    };
    tracing::info!(transaction = %id, summary, "replayed");
    ingest.wake_relay.notify_one();
    Ok(Replayed {
        transaction: id,
        summary,
        still_failed,
    })
}

/// Dismisses failed transaction `id`: `actor` and `reason` (neither blank) go to its audit
/// event, its error stays. `NoTransaction` for an unknown id, `NotFailed` with its state for
/// any other than a failed one (a second dismissal included), `Blank` naming the field.
pub async fn dismiss(
    store: &dyn store::Store,
    id: Uuid,
    actor: &str,
    reason: &str,
) -> Result<TransactionRecord, PipelineError> {
    aside(store, id, actor, reason, false).await
}

/// Undoes the dismissal of transaction `id` (dismissed by mistake): failed again, on the
/// failed queue and replayable, with a file's sets dismissed with it; `actor` and `reason`
/// (neither blank) go to the audit event. `NoTransaction` for an unknown id, `NotDismissed`
/// with its state for any other than a dismissed one, `Blank` naming the field.
pub async fn restore(
    store: &dyn store::Store,
    id: Uuid,
    actor: &str,
    reason: &str,
) -> Result<TransactionRecord, PipelineError> {
    aside(store, id, actor, reason, true).await
}

/// [`dismiss`], or with `restore` [`restore`].
async fn aside(
    store: &dyn store::Store,
    id: Uuid,
    actor: &str,
    reason: &str,
    restore: bool,
) -> Result<TransactionRecord, PipelineError> {
    let decision = ops_decision(id, actor, reason)?;
    let result = if restore {
        store.restore_transaction(&decision).await
    } else {
        store.dismiss_transaction(&decision).await
    };
    let tx = result.map_err(|e| aside_error(id, e))?;
    let action = if restore { "restored" } else { "dismissed" };
    tracing::info!(transaction = %id, actor = decision.actor, reason = decision.reason, step = %tx.step, "transaction {action}");
    Ok(tx)
}

/// Who moves transaction `id` off or back onto the failed queue and why, both required.
fn ops_decision(
    id: Uuid,
    actor: &str,
    reason: &str,
) -> Result<TransactionDismissal, PipelineError> {
    let (actor, reason) = (actor.trim(), reason.trim());
    if actor.is_empty() {
        return Err(PipelineError::Blank("actor"));
    }
    if reason.is_empty() {
        return Err(PipelineError::Blank("reason"));
    }
    Ok(TransactionDismissal {
        id,
        actor: actor.to_owned(),
        reason: reason.to_owned(),
        at: Utc::now(),
    })
}

fn aside_error(id: Uuid, e: StoreError) -> PipelineError {
    match e {
        StoreError::NotFound { .. } => PipelineError::NoTransaction(id),
        StoreError::NotFailed { state, .. } => PipelineError::NotFailed(id, state),
        StoreError::NotDismissed { state, .. } => PipelineError::NotDismissed(id, state),
        e => e.into(),
    }
}

async fn republish(
    ingest: &Ingest,
    tx: &store::TransactionRecord,
) -> Result<String, PipelineError> {
    let sha = tx.raw_sha256.as_deref().unwrap_or("");
    let key = |n| {
        document_key(
            sha,
            tx.isa13.as_deref().unwrap_or(""),
            tx.gs06.as_deref().unwrap_or(""),
            tx.st02.as_deref().unwrap_or(""),
            n,
        )
    };
    let now = Utc::now();
    let mut reader = ingest.store.reader().await?;
    let mut t = ingest.store.begin().await?;
    let mut n = 0;
    while let Some(doc) = reader.find_document(&key(n)).await? {
        let parsed: schemas::Document = doc.body.parse()?;
        let mut message: OutboxMessage =
            messages::inbound(&parsed, &tx.partner, &doc.idempotency_key, tx.id, now)?;
        // A new message for the outbox, the same idempotency key for the engine.
        message.message_id = format!("{}#replay{}", doc.idempotency_key, tx.attempts + 1);
        t.insert_outbox(&message).await?;
        n += 1;
    }
    if n == 0 {
        t.rollback().await?;
        return Err(PipelineError::NotReplayable(
            tx.id,
            "no stored document for this set; replay its file instead".into(),
        ));
    }
    t.update_transaction(&TransactionUpdate::new(
        tx.id,
        Step::Engine,
        TxState::Received,
        "ops",
        now,
    ))
    .await?;
    t.commit().await?;
    Ok(format!("{n} document(s) queued for the engine again"))
}

async fn resend(ingest: &Ingest, tx: &store::TransactionRecord) -> Result<String, PipelineError> {
    if tx.raw_sha256.is_none() {
        return Err(PipelineError::NotReplayable(
            tx.id,
            "it has no rendered file".into(),
        ));
    }
    let now = Utc::now();
    let r = rendered_of(
        tx,
        tx.doc_type.as_deref().unwrap_or("document"),
        &ingest.raw,
    )?;
    let message = messages::rendered(
        &r.partner,
        &r.doc_type,
        r.transaction,
        &r.raw_sha256,
        &format!("resend:{}:{}", tx.id, tx.attempts + 1),
        &r.file_name,
        now,
    )?;
    let mut t = ingest.store.begin().await?;
    t.insert_outbox(&message).await?;
    t.update_transaction(&TransactionUpdate::new(
        tx.id,
        Step::Send,
        TxState::Received,
        "ops",
        now,
    ))
    .await?;
    t.commit().await?;
    Ok("queued for sending again".into())
}
