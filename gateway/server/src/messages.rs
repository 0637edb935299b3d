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
pub const EXCHANGE: &str = "chargegate.docs";

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

/// The message announcing a document mapped from a partner's set.
pub fn inbound(
    doc: &Document,
    partner: &str,
    message_id: &str,
    transaction: Uuid,
    now: DateTime<Utc>,
) -> Result<OutboxMessage, serde_json::Error> {
    Ok(OutboxMessage {
        message_id: message_id.to_owned(),
        exchange: EXCHANGE.to_owned(),
        routing_key: format!("{}.{partner}", doc.doc_type()),
        headers: json!({
            "doc_type": doc.doc_type(),
            "partner": partner,
            "schema": doc.schema_id(),
            "direction": "inbound",
            "transaction": transaction.to_string(),
            "idempotency_key": message_id,
        }),
        payload: serde_json::to_vec(doc)?,
        created_at: now,
    })
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
