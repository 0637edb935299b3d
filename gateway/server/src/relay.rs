//! The outbox relay (design.md 6): publishes messages written to the `outbox` table, in
//! order, and marks each sent only once the broker confirmed it. A failed publish is counted
//! on its row and retried on the next pass; nothing unconfirmed counts as sent.
//!
//! A row is done with once its message is safe without it (`settled_at`): at RabbitMQ's
//! confirm, or, on the in-process bus, whose queues die with the process, only when every
//! consumer it was routed to acked it after its commit (or parked it, its failure recorded).
//! [`start_settling`] records those settlements as the bus reports them and, before the first
//! pass, makes pending again every row an earlier run handed to the in-process bus and never
//! saw settled; consumers skip a message id they already applied, so nothing is done twice.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bus::{Bus, Message, Settlements};
use chrono::Utc;
use store::{OutboxRecord, Store, StoreError};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::PipelineError;

/// Rows published per pass.
const BATCH: i64 = 256;

/// The header saying when an outbox row was written (RFC 3339).
pub const ENQUEUED_AT: &str = "enqueued_at";

/// The bus message for an outbox row: headers become string headers, and [`ENQUEUED_AT`] is
/// added.
pub fn to_bus_message(record: &OutboxRecord) -> Message {
    let mut headers: BTreeMap<String, String> = match &record.message.headers {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    // When the document was queued, for the consumers' queue lag (README, "Metrics").
    headers
        .entry(ENQUEUED_AT.to_owned())
        .or_insert_with(|| record.message.created_at.to_rfc3339());
    Message {
        message_id: record.message.message_id.clone(),
        routing_key: record.message.routing_key.clone(),
        headers,
        payload: record.message.payload.clone(),
    }
}

/// Settled message ids recorded per database transaction.
const SETTLED_BATCH: usize = 256;

/// Publishes every pending row once; returns how many were confirmed. On a durable bus a
/// confirmed row is sent and settled; on the in-process bus it is sent (not published again by
/// this process) and waits for its settlement.
pub async fn relay_once(store: &dyn Store, bus: &dyn Bus) -> Result<usize, PipelineError> {
    let durable = bus.durable();
    let mut sent = 0;
    loop {
        let pending = store.pending_outbox(BATCH).await?;
        if pending.is_empty() {
            return Ok(sent);
        }
        let mut progressed = false;
        for record in &pending {
            match bus.publish(&to_bus_message(record)).await {
                Ok(()) => {
                    if durable {
                        store.mark_sent(record.id, Utc::now()).await?;
                    } else {
                        store.mark_published(record.id, Utc::now()).await?;
                    }
                    sent += 1;
                    progressed = true;
                    metrics::counter!("chargegate_outbox_published_total").increment(1);
                }
                Err(error) => {
                    tracing::warn!(message_id = %record.message.message_id, %error, "publish failed; will retry");
                    store
                        .record_publish_failure(record.id, &error.to_string())
                        .await?;
                    metrics::counter!("chargegate_outbox_publish_failures_total").increment(1);
                    // Keep the order: stop this pass at the first failure.
                    return Ok(sent);
                }
            }
        }
        if !progressed {
            return Ok(sent);
        }
    }
}

/// On a bus that is not durable (the in-process bus), before the relay's first pass:
/// subscribes to its settlements and records them in the outbox until the bus closes (the
/// returned task; await it after closing the bus, so the acks of the last deliveries are
/// recorded), and makes every row an earlier run handed to the bus without seeing it settled
/// pending again (that run stopped, or died, before its consumers were done with it). `None`
/// on a durable bus.
pub async fn start_settling(
    store: Arc<dyn Store>,
    bus: &dyn Bus,
) -> Result<Option<JoinHandle<()>>, StoreError> {
    let Some(settled) = bus.settlements() else {
        return Ok(None);
    };
    let again = store.requeue_unsettled().await?;
    if again > 0 {
        tracing::info!(
            messages = again,
            "outbox messages an earlier run handed to the in-process bus and never saw consumed \
             are published again"
        );
        metrics::counter!("chargegate_outbox_republished_total").increment(again);
    }
    Ok(Some(tokio::spawn(record_settlements(store, settled))))
}

/// Marks the rows of the message ids the bus reports settled, a batch per database
/// transaction, until the bus closes. A batch that cannot be written stays unsettled: its
/// messages are published again at the next start and skipped by their consumers.
pub async fn record_settlements(store: Arc<dyn Store>, mut settled: Settlements) {
    let mut batch = Vec::with_capacity(SETTLED_BATCH);
    while settled.next_batch(&mut batch, SETTLED_BATCH).await > 0 {
        if let Err(error) = store.mark_settled(&batch, Utc::now()).await {
            tracing::warn!(%error, messages = batch.len(), "settled outbox messages not recorded; they are published again at the next start");
        }
        batch.clear();
    }
}

/// Runs the relay until `stop`: a pass when woken (a step wrote to the outbox) or every
/// `idle` otherwise (rows written by another process, such as `chargegate replay`).
pub async fn run(
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    wake: Arc<Notify>,
    idle: Duration,
    stop: CancellationToken,
) {
    let mut backoff = idle;
    loop {
        match relay_once(&*store, &*bus).await {
            Ok(_) => backoff = idle,
            Err(error) => {
                tracing::error!(%error, "outbox relay pass failed");
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = wake.notified() => {}
            () = tokio::time::sleep(backoff) => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use bus::{MemoryBus, Topology};
    use store::{DocumentSource, JsonText, NewDocument, OutboxMessage, SqliteStore};
    use uuid::Uuid;

    use super::*;

    /// An outbound document's message holds no payload of its own: the relay publishes the
    /// stored body, byte for byte (its message id is the hash of those bytes), in order with
    /// messages that carry their payload.
    #[tokio::test]
    async fn a_message_naming_its_document_publishes_the_stored_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("cg.db")).await.unwrap();
        store.migrate().await.unwrap();
        let text = r#"{"schema":"chargegate.claim/1", "debit_memo":"DM-1","n":1.50}"#;
        let now = Utc::now();
        let doc = NewDocument {
            id: Uuid::now_v7(),
            idempotency_key: "outbound:m-844".into(),
            doc_type: "claim".into(),
            partner: "acme".into(),
            source: DocumentSource::default(),
            tx_id: None,
            body: JsonText::from_string(text.into()).unwrap(),
            created_at: now,
        };
        let message = |id: &str, payload: &[u8]| OutboxMessage {
            message_id: id.into(),
            exchange: apply::EXCHANGE.into(),
            routing_key: "outbound.claim.acme".into(),
            headers: serde_json::json!({"doc_type": "claim", "partner": "acme"}),
            payload: payload.to_vec(),
            created_at: now,
        };
        let mut tx = store.begin().await.unwrap();
        assert!(tx.insert_document(&doc).await.unwrap());
        assert!(
            tx.insert_outbox_for_document(&message("m-844", b""), doc.id)
                .await
                .unwrap()
        );
        assert!(tx.insert_outbox(&message("m-own", b"{}")).await.unwrap());
        tx.commit().await.unwrap();

        let bus = MemoryBus::new(Topology::chargegate());
        let mut consumer = bus.consume("outbound.send", 10).await.unwrap();
        assert_eq!(relay_once(&store, &bus).await.unwrap(), 2);
        let first = consumer.next().await.unwrap().unwrap();
        assert_eq!(first.message.message_id, "m-844");
        assert_eq!(first.message.payload, text.as_bytes());
        assert_eq!(first.message.headers["doc_type"], "claim");
        let second = consumer.next().await.unwrap().unwrap();
        assert_eq!(second.message.message_id, "m-own");
        assert_eq!(second.message.payload, b"{}");
        assert!(store.pending_outbox(10).await.unwrap().is_empty());
    }
}
