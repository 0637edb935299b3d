//! Documents to outbox messages (design.md 6), and outbound documents written with theirs.

use chrono::{DateTime, Utc};
use schemas::Document;
use sha2::{Digest, Sha256};
use store::{DocumentSource, NewDocument, OutboxMessage, StoreTx};
use uuid::Uuid;

use crate::OutboundDoc;
use crate::error::ApplyError;

/// The exchange every document message goes to.
pub const EXCHANGE: &str = "chargegate.docs";

/// The outbox message announcing `doc`: payload = the document's JSON, headers `doc_type`,
/// `partner`, `schema` and `direction` (`outbound` when the routing key starts with
/// `outbound.`, else `inbound`). Routing keys: `<doc type>.<partner>` inbound,
/// `outbound.<doc type>.<partner>` outbound (see [`inbound_routing_key`],
/// [`outbound_routing_key`]).
pub fn outbox_message(
    doc: &Document,
    routing_key: &str,
    message_id: &str,
    now: DateTime<Utc>,
) -> OutboxMessage {
    // Serializing a schemas::Document cannot fail (plain data, string keys); an empty payload
    // would be refused by consumers, never silently applied.
    let payload = serde_json::to_vec(doc).unwrap_or_default();
    message_with(doc, routing_key, message_id, payload, now)
}

/// [`outbox_message`] with the document already serialized.
fn message_with(
    doc: &Document,
    routing_key: &str,
    message_id: &str,
    payload: Vec<u8>,
    now: DateTime<Utc>,
) -> OutboxMessage {
    let direction = if routing_key.starts_with("outbound.") {
        "outbound"
    } else {
        "inbound"
    };
    OutboxMessage {
        message_id: message_id.to_owned(),
        exchange: EXCHANGE.to_owned(),
        routing_key: routing_key.to_owned(),
        headers: serde_json::json!({
            "doc_type": doc.doc_type(),
            "partner": doc.source().partner.clone().unwrap_or_default(),
            "schema": doc.schema_id(),
            "direction": direction,
        }),
        payload,
        created_at: now,
    }
}

/// `<doc type>.<partner>`.
pub fn inbound_routing_key(doc_type: &str, partner: &str) -> String {
    format!("{doc_type}.{partner}")
}

/// `outbound.<doc type>.<partner>`.
pub fn outbound_routing_key(doc_type: &str, partner: &str) -> String {
    format!("outbound.{doc_type}.{partner}")
}

/// The message id of an outbound document: the hash of its normalized JSON (design.md 6), so
/// the same document always gets the same id.
pub fn outbound_message_id(doc: &Document) -> Result<String, ApplyError> {
    let bytes = serde_json::to_vec(doc)?;
    Ok(format!("{:x}", Sha256::digest(&bytes)))
}

/// Writes an outbound document and its message in the caller's transaction; a document
/// already stored (same content) writes nothing again.
pub(crate) async fn write_outbound(
    tx: &mut dyn StoreTx,
    doc: &Document,
    partner: &str,
    now: DateTime<Utc>,
) -> Result<OutboundDoc, ApplyError> {
    write_outbound_as(tx, doc, partner, outbound_message_id(doc)?, now).await
}

/// [`write_outbound`] under a given message id: a document sent again as it was (a claim
/// resent after a rejection, C13) needs a new id, so it is rendered with new control numbers.
pub(crate) async fn write_outbound_as(
    tx: &mut dyn StoreTx,
    doc: &Document,
    partner: &str,
    message_id: String,
    now: DateTime<Utc>,
) -> Result<OutboundDoc, ApplyError> {
    let record = outbound_record(doc, partner, &message_id, store::JsonText::of(doc)?, now);
    let id = record.id;
    let inserted = tx.insert_document(&record).await?;
    queue_outbound(tx, doc, (id, inserted), partner, message_id, now).await
}

/// [`write_outbound`] for a document already serialized as `bytes` (`doc` gives its type,
/// partner and source, not its content): the bytes are hashed for the message id and become
/// the stored body, which is also the message's payload.
pub(crate) async fn write_outbound_bytes(
    tx: &mut dyn StoreTx,
    doc: &Document,
    bytes: Vec<u8>,
    partner: &str,
    now: DateTime<Utc>,
) -> Result<OutboundDoc, ApplyError> {
    let message_id = format!("{:x}", Sha256::digest(&bytes));
    let body = store::JsonText::from_string(
        String::from_utf8(bytes).map_err(<serde_json::Error as serde::de::Error>::custom)?,
    )?;
    let record = outbound_record(doc, partner, &message_id, body, now);
    let id = record.id;
    let inserted = tx.insert_document(&record).await?;
    queue_outbound(tx, doc, (id, inserted), partner, message_id, now).await
}

/// [`write_outbound_bytes`] for a document too large to hold, read from `body` as it is
/// stored; `message_id` is the hash of its bytes.
pub(crate) async fn write_outbound_spooled(
    tx: &mut dyn StoreTx,
    doc: &Document,
    message_id: String,
    body: store::SpooledBody<'_>,
    partner: &str,
    now: DateTime<Utc>,
) -> Result<OutboundDoc, ApplyError> {
    let record = outbound_record(doc, partner, &message_id, body, now);
    let id = record.id;
    let inserted = tx.insert_spooled_document(record).await?;
    queue_outbound(tx, doc, (id, inserted), partner, message_id, now).await
}

/// The message of an outbound document stored as `id` (when `inserted`: a document stored
/// before has its message already).
async fn queue_outbound(
    tx: &mut dyn StoreTx,
    doc: &Document,
    (id, inserted): (Uuid, bool),
    partner: &str,
    message_id: String,
    now: DateTime<Utc>,
) -> Result<OutboundDoc, ApplyError> {
    let doc_type = doc.doc_type();
    let routing_key = outbound_routing_key(doc_type, partner);
    if inserted {
        let message = message_with(doc, &routing_key, &message_id, Vec::new(), now);
        tx.insert_outbox_for_document(&message, id).await?;
    }
    Ok(OutboundDoc {
        message_id,
        routing_key,
        partner: partner.to_owned(),
        doc_type: doc_type.to_owned(),
    })
}

/// The `documents` row of an outbound document sent as `message_id`.
fn outbound_record<B>(
    doc: &Document,
    partner: &str,
    message_id: &str,
    body: B,
    now: DateTime<Utc>,
) -> NewDocument<B> {
    let source = doc.source();
    NewDocument {
        id: Uuid::now_v7(),
        idempotency_key: format!("outbound:{message_id}"),
        doc_type: doc.doc_type().to_owned(),
        partner: partner.to_owned(),
        source: DocumentSource {
            file_sha256: None,
            isa13: Some(source.interchange.to_string()).filter(|s| !s.is_empty()),
            gs06: Some(source.group.to_string()).filter(|s| !s.is_empty()),
            st02: Some(source.set.to_string()).filter(|s| !s.is_empty()),
        },
        tx_id: None,
        body,
        created_at: now,
    }
}
