//! Bus messages between the steps (design.md 6): routing key `<doc type>.<partner>` for
//! documents coming in, `outbound.<doc type>.<partner>` for what goes out; headers carry the
//! document type, partner, schema and the transaction; `message_id` is the idempotency key.

use chrono::{DateTime, Utc};
use schemas::Document;
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::OutboxMessage;
use uuid::Uuid;

/// The exchange every document message goes through.
pub use apply::EXCHANGE;

/// Schema of an outbound message whose X12 is already rendered and stored (acknowledgments).
pub const RENDERED_SCHEMA: &str = "chargegate.rendered/1";

/// An outbound file ready to send: the bytes are in the raw store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    /// The outbound transaction.
    pub transaction: Uuid,
    /// Receiving partner.
    pub partner: String,
    /// `acknowledgment`, `claim`, `claim_response`, ...
    pub doc_type: String,
    /// The stored bytes.
    pub raw_sha256: String,
    /// Name to deliver it under.
    pub file_name: String,
}

/// The message announcing a document mapped from a partner's set: the engine's outbox
/// message shape, plus the set's transaction and the idempotency key a replay keeps.
pub fn inbound(
    doc: &Document,
    partner: &str,
    message_id: &str,
    transaction: Uuid,
    now: DateTime<Utc>,
) -> Result<OutboxMessage, serde_json::Error> {
    let routing_key = apply::inbound_routing_key(doc.doc_type(), partner);
    let mut message = apply::outbox_message(doc, &routing_key, message_id, now);
    if message.payload.is_empty() {
        // outbox_message leaves the payload empty only if serializing failed: say why.
        message.payload = serde_json::to_vec(doc)?;
    }
    if let serde_json::Value::Object(headers) = &mut message.headers {
        headers.insert("partner".into(), partner.into());
        headers.insert("transaction".into(), transaction.to_string().into());
        headers.insert("idempotency_key".into(), message_id.into());
    }
    Ok(message)
}

/// The message asking the sender to deliver stored bytes to a partner.
pub fn rendered(
    partner: &str,
    doc_type: &str,
    transaction: Uuid,
    raw_sha256: &str,
    message_id: &str,
    file_name: &str,
    now: DateTime<Utc>,
) -> Result<OutboxMessage, serde_json::Error> {
    let body = Rendered {
        transaction,
        partner: partner.to_owned(),
        doc_type: doc_type.to_owned(),
        raw_sha256: raw_sha256.to_owned(),
        file_name: file_name.to_owned(),
    };
    Ok(OutboxMessage {
        message_id: message_id.to_owned(),
        exchange: EXCHANGE.to_owned(),
        routing_key: format!("outbound.{doc_type}.{partner}"),
        headers: json!({
            "doc_type": doc_type,
            "partner": partner,
            "schema": RENDERED_SCHEMA,
            "direction": "outbound",
            "transaction": transaction.to_string(),
        }),
        payload: serde_json::to_vec(&body)?,
        created_at: now,
    })
}
