//! Engine consumers (design.md 6): one per engine queue, each delivery applied through the
//! store in one transaction (`apply::apply_document`, idempotent on the message id) and
//! acked only after that committed. A failure is retried with growing delay by the bus; the
//! last attempt dead-letters the message and marks its transaction `failed` with the error.

use std::sync::Arc;

use apply::Applied;
use bus::Delivery;
use chrono::Utc;
use schemas::Document;
use store::{RefKind, Step, TransactionRef, TransactionUpdate, TxState};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use crate::consume::consume;
use crate::relay::ENQUEUED_AT;
use crate::shared::Shared;
use crate::telemetry;

/// The engine's queues.
pub const ENGINE_QUEUES: &[&str] = &[
    "engine.contracts",
    "engine.sales",
    "engine.claims",
    "engine.responses",
];

/// Consumes `queue` until `stop`.
pub async fn run(shared: Arc<Shared>, queue: String, stop: CancellationToken) {
    consume(&shared, &queue, &stop, |delivery| {
        let (shared, queue) = (shared.clone(), queue.clone());
        async move { handle(&shared, &queue, delivery).await }
    })
    .await;
}

async fn handle(shared: &Shared, queue: &str, delivery: Delivery) {
    // A replay publishes a new message under the original key: the engine applies a
    // document once, whichever message brought it.
    let message_id = delivery
        .message
        .headers
        .get("idempotency_key")
        .cloned()
        .unwrap_or_else(|| delivery.message.message_id.clone());
    let transaction = header_uuid(&delivery, "transaction");
    let span =
        tracing::info_span!("engine", queue, message_id = %message_id, transaction = ?transaction);
    // The span follows the work across its awaits (a guard held across an await would
    // leave it entered on whichever thread resumed other tasks meanwhile).
    async move {
        let doc: Document = match serde_json::from_slice(&delivery.message.payload) {
            Ok(doc) => doc,
            Err(e) => {
                let error = format!("message {message_id} is not a normalized document: {e}");
                fail(shared, transaction, &error).await;
                if let Err(e) = delivery.dead_letter(&error).await {
                    tracing::error!(error = %e, "dead-lettering failed");
                }
                return;
            }
        };
        let ctx = shared.context("system");
        let now = ctx.now;
        if let Some(lag) = queued_for(&delivery, now) {
            telemetry::observe_queue("chargegate_queue_lag_seconds", queue, lag);
        }
        let started = std::time::Instant::now();
        let result = match shared.partners() {
            Ok(partners) => {
                apply::apply_document(&*shared.store, &partners, queue, &message_id, &doc, &ctx)
                    .await
                    .map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        telemetry::observe_queue("chargegate_engine_apply_seconds", queue, started.elapsed());
        match result {
            Ok(applied) => {
                if let (Applied::Applied(_), Some(lines)) = (&applied, lines_of(&doc)) {
                    metrics::counter!("chargegate_lines_total", "document" => doc.doc_type())
                        .increment(lines);
                }
                if let (Applied::AlreadyApplied, Some(id)) = (&applied, transaction) {
                    applied_before(shared, id, now).await;
                }
                if let (Applied::Applied(outcome), Some(id)) = (&applied, transaction) {
                    let refs: Vec<TransactionRef> = outcome
                        .refs
                        .iter()
                        .filter_map(|(k, v)| {
                            Some(TransactionRef::new(k.parse::<RefKind>().ok()?, v.clone()))
                        })
                        .collect();
                    let mut update =
                        TransactionUpdate::new(id, Step::Engine, TxState::Done, "system", now);
                    update.correlation_id = Some(outcome.summary.clone());
                    if let Err(e) = record(shared, id, update, &refs).await {
                        tracing::error!(error = %e, "transaction not updated");
                    }
                }
                if matches!(applied, Applied::Applied(ref o) if !o.outbound.is_empty()) {
                    shared.wake_relay.notify_one();
                }
                metrics::counter!("chargegate_engine_applied_total", "queue" => queue.to_owned())
                    .increment(1);
                if let Err(e) = delivery.ack().await {
                    tracing::error!(error = %e, "ack failed; the delivery will come again and be skipped");
                }
            }
            Err(error) => {
                metrics::counter!("chargegate_engine_failures_total", "queue" => queue.to_owned())
                    .increment(1);
                let last = delivery.attempt >= shared.settings.workers.max_attempts;
                tracing::warn!(%error, attempt = delivery.attempt, last, "document not applied");
                if last {
                    fail(shared, transaction, &error).await;
                    if let Err(e) = delivery.dead_letter(&error).await {
                        tracing::error!(error = %e, "dead-lettering failed");
                    }
                } else if let Err(e) = delivery.retry(&error).await {
                    tracing::error!(error = %e, "retry failed");
                }
            }
        }
    }
    .instrument(span)
    .await
}

async fn record(
    shared: &Shared,
    id: Uuid,
    update: TransactionUpdate,
    refs: &[TransactionRef],
) -> Result<(), store::StoreError> {
    let mut t = shared.store.begin().await?;
    t.update_transaction(&update).await?;
    if !refs.is_empty() {
        t.add_transaction_refs(id, refs).await?;
    }
    t.commit().await
}

/// A document an earlier delivery applied whose process stopped before recording it on the
/// set's transaction (or before acking it): the transaction learns its engine step is done, so
/// it does not rest at its parse/map step as if the engine had never run. (The references the
/// engine found were that delivery's to add.)
async fn applied_before(shared: &Shared, id: Uuid, now: chrono::DateTime<Utc>) {
    match shared.store.get_transaction(id).await {
        Ok(Some(tx)) if tx.step == Step::Engine && tx.state == TxState::Done => {}
        Ok(Some(_)) => {
            let mut update = TransactionUpdate::new(id, Step::Engine, TxState::Done, "system", now);
            update.correlation_id = Some("applied by an earlier delivery".to_owned());
            if let Err(e) = shared.store.update_transaction(&update).await {
                tracing::error!(error = %e, "transaction not updated");
            }
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "transaction not read"),
    }
}

async fn fail(shared: &Shared, transaction: Option<Uuid>, error: &str) {
    let Some(id) = transaction else { return };
    let update = TransactionUpdate::new(id, Step::Engine, TxState::Failed, "system", Utc::now())
        .with_error(error);
    if let Err(e) = shared.store.update_transaction(&update).await {
        tracing::error!(error = %e, "transaction not marked failed");
    }
}

/// A UUID header.
pub fn header_uuid(delivery: &Delivery, name: &str) -> Option<Uuid> {
    delivery
        .message
        .headers
        .get(name)
        .and_then(|v| v.parse().ok())
}

/// How long the delivery's document waited since it was queued (its [`ENQUEUED_AT`] header);
/// `None` without one (a message from before the header, or from another publisher).
fn queued_for(delivery: &Delivery, now: chrono::DateTime<Utc>) -> Option<std::time::Duration> {
    let queued = delivery.message.headers.get(ENQUEUED_AT)?;
    let queued = chrono::DateTime::parse_from_rfc3339(queued).ok()?;
    // A clock that stepped back gives no negative lag: zero.
    Some(
        (now - queued.with_timezone(&Utc))
            .to_std()
            .unwrap_or_default(),
    )
}

/// The document's number of lines, for `chargegate_lines_total`; `None` for an
/// acknowledgment (no lines).
fn lines_of(doc: &Document) -> Option<u64> {
    let n = match doc {
        Document::Contract(c) => c.items.len(),
        Document::SalesReport(r) => r.lines.len(),
        Document::Claim(c) => c.lines.len(),
        Document::ClaimResponse(r) => r.lines.len(),
        Document::Acknowledgment(_) => return None,
    };
    Some(n as u64)
}
