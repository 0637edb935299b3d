//! The outbox relay (design.md 6): publishes messages written to the `outbox` table, in
//! order, and marks each sent only once the broker confirmed it. A failed publish is counted
//! on its row and retried on the next pass; nothing unconfirmed counts as sent.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bus::{Bus, Message};
use chrono::Utc;
use store::{OutboxRecord, Store};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::error::PipelineError;

/// Rows published per pass.
const BATCH: i64 = 256;

/// The bus message for an outbox row: headers become string headers.
pub fn to_bus_message(record: &OutboxRecord) -> Message {
    let headers = match &record.message.headers {
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
    Message {
        message_id: record.message.message_id.clone(),
        routing_key: record.message.routing_key.clone(),
        headers,
        payload: record.message.payload.clone(),
    }
}

/// Publishes every pending row once; returns how many were confirmed.
pub async fn relay_once(store: &dyn Store, bus: &dyn Bus) -> Result<usize, PipelineError> {
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
                    store.mark_sent(record.id, Utc::now()).await?;
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
