//! Normalized documents, the transactional outbox and consumer idempotency.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use std::io::Read;

use super::{by_copy, copy_row_once, exactly};
use crate::copy::CopyData;
use crate::error::{StoreError, StoreResult};
use crate::model::{
    DocumentRecord, DocumentSource, NewDocument, OutboxMessage, OutboxRecord, SpooledBody,
};
use crate::sql::{Arg, Dialect, Exec, Row};

const DOC_COLUMNS: &str = "id, idempotency_key, doc_type, partner, source_sha256, isa13, gs06, \
     st02, tx_id, body, created_at";

fn document(r: &Row) -> StoreResult<DocumentRecord> {
    Ok(DocumentRecord {
        id: r.uuid("id")?,
        idempotency_key: r.text("idempotency_key")?,
        doc_type: r.text("doc_type")?,
        partner: r.text("partner")?,
        source: DocumentSource {
            file_sha256: r.opt_text("source_sha256")?,
            isa13: r.opt_text("isa13")?,
            gs06: r.opt_text("gs06")?,
            st02: r.opt_text("st02")?,
        },
        tx_id: r.opt_uuid("tx_id")?,
        body: r.json_text("body")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) async fn insert_document(c: &mut dyn Exec, d: &NewDocument) -> StoreResult<bool> {
    if by_copy(c, d.body.get()) {
        return insert_large_document(c, d).await;
    }
    let n = c
        .execute(
            "INSERT INTO documents (id, idempotency_key, doc_type, partner, source_sha256, \
             isa13, gs06, st02, tx_id, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (idempotency_key) DO NOTHING",
            vec![
                d.id.into(),
                d.idempotency_key.as_str().into(),
                d.doc_type.as_str().into(),
                d.partner.as_str().into(),
                (&d.source.file_sha256).into(),
                (&d.source.isa13).into(),
                (&d.source.gs06).into(),
                (&d.source.st02).into(),
                d.tx_id.into(),
                crate::sql::json_as_text(&d.body),
                d.created_at.into(),
            ],
        )
        .await?;
    Ok(n == 1)
}

/// [`insert_document`] of a big body (a claim #1 844 of 850 K lines is ~270 MB of JSON), by
/// [`copy_row_once`].
async fn insert_large_document(c: &mut dyn Exec, d: &NewDocument) -> StoreResult<bool> {
    let mut text = d.body.get().as_bytes();
    let body = SpooledBody {
        len: text.len() as u64,
        read: &mut text,
    };
    copy_document(c, d, body).await
}

/// Stores a document whose body is read as it is stored (see
/// `StoreTx::insert_spooled_document`).
pub(crate) async fn insert_spooled_document(
    c: &mut dyn Exec,
    d: NewDocument<SpooledBody<'_>>,
) -> StoreResult<bool> {
    let (head, body) = d.with_body(());
    if c.dialect() == Dialect::Postgres {
        return copy_document(c, &head, body).await;
    }
    // SQLite binds values whole.
    let mut text = String::with_capacity(usize::try_from(body.len).unwrap_or(0));
    let mut body = exactly(body);
    body.read_to_string(&mut text).map_err(StoreError::Read)?;
    body.check_end().map_err(StoreError::Read)?;
    let body = crate::model::JsonText::from_string(text).map_err(|e| StoreError::InvalidValue {
        field: "document body",
        reason: e.to_string(),
    })?;
    let (held, ()) = head.with_body(body);
    insert_document(c, &held).await
}

/// A document row by [`copy_row_once`], `body` its last column.
async fn copy_document<B>(
    c: &mut dyn Exec,
    d: &NewDocument<B>,
    body: SpooledBody<'_>,
) -> StoreResult<bool> {
    let mut row = CopyData::with_capacity(512);
    row.uuid(d.id);
    row.text(Some(&d.idempotency_key));
    row.text(Some(&d.doc_type));
    row.text(Some(&d.partner));
    row.text(d.source.file_sha256.as_deref());
    row.text(d.source.isa13.as_deref());
    row.text(d.source.gs06.as_deref());
    row.text(d.source.st02.as_deref());
    match d.tx_id {
        Some(id) => row.uuid(id),
        None => row.text(None),
    }
    row.time(&d.created_at);
    copy_row_once(
        c,
        &format!("documents:{}", d.idempotency_key),
        (
            "SELECT 1 AS found FROM documents WHERE idempotency_key = $1",
            vec![d.idempotency_key.as_str().into()],
        ),
        "COPY documents (id, idempotency_key, doc_type, partner, source_sha256, isa13, gs06, \
         st02, tx_id, created_at, body) FROM STDIN WITH (FORMAT binary)",
        row,
        body,
    )
    .await
}

pub(crate) async fn get_document(
    c: &mut dyn Exec,
    id: Uuid,
) -> StoreResult<Option<DocumentRecord>> {
    c.fetch_optional(
        &format!("SELECT {DOC_COLUMNS} FROM documents WHERE id = $1"),
        vec![id.into()],
    )
    .await?
    .map(|r| document(&r))
    .transpose()
}

pub(crate) async fn find_document(
    c: &mut dyn Exec,
    idempotency_key: &str,
) -> StoreResult<Option<DocumentRecord>> {
    c.fetch_optional(
        &format!("SELECT {DOC_COLUMNS} FROM documents WHERE idempotency_key = $1"),
        vec![idempotency_key.into()],
    )
    .await?
    .map(|r| document(&r))
    .transpose()
}

pub(crate) async fn insert_message(c: &mut dyn Exec, m: &OutboxMessage) -> StoreResult<bool> {
    let n = c
        .execute(
            "INSERT INTO outbox (message_id, exchange, routing_key, headers, payload, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id) DO NOTHING",
            vec![
                m.message_id.as_str().into(),
                m.exchange.as_str().into(),
                m.routing_key.as_str().into(),
                (&m.headers).into(),
                m.payload.as_slice().into(),
                m.created_at.into(),
            ],
        )
        .await?;
    Ok(n == 1)
}

/// A message whose payload is a stored document's body: `payload` stays NULL and the row
/// names the document (migration 0014), so the body is written once.
pub(crate) async fn insert_document_message(
    c: &mut dyn Exec,
    m: &OutboxMessage,
    document_id: Uuid,
) -> StoreResult<bool> {
    debug_assert!(m.payload.is_empty(), "the payload is the document's body");
    let n = c
        .execute(
            "INSERT INTO outbox (message_id, exchange, routing_key, headers, document_id, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id) DO NOTHING",
            vec![
                m.message_id.as_str().into(),
                m.exchange.as_str().into(),
                m.routing_key.as_str().into(),
                (&m.headers).into(),
                document_id.into(),
                m.created_at.into(),
            ],
        )
        .await?;
    Ok(n == 1)
}

pub(crate) async fn pending(c: &mut dyn Exec, limit: i64) -> StoreResult<Vec<OutboxRecord>> {
    let rows = c
        .fetch_all(
            "SELECT o.id, o.message_id, o.exchange, o.routing_key, o.headers, o.payload, \
             d.body AS document_body, o.created_at, o.sent_at, o.settled_at, o.attempts, \
             o.last_error \
             FROM outbox o LEFT JOIN documents d ON d.id = o.document_id \
             WHERE o.sent_at IS NULL ORDER BY o.id LIMIT $1",
            vec![limit.max(0).into()],
        )
        .await?;
    rows.iter()
        .map(|r| {
            // Either the row's own payload or, for a row naming a document, its body's text.
            let payload = match r.opt_bytes("payload")? {
                Some(payload) => payload,
                None => r
                    .opt_text("document_body")?
                    .ok_or_else(|| StoreError::Corrupt {
                        column: "outbox.payload".to_owned(),
                        reason: "neither a payload nor a stored document".to_owned(),
                    })?
                    .into_bytes(),
            };
            Ok(OutboxRecord {
                id: r.int("id")?,
                message: OutboxMessage {
                    message_id: r.text("message_id")?,
                    exchange: r.text("exchange")?,
                    routing_key: r.text("routing_key")?,
                    headers: r.json("headers")?,
                    payload,
                    created_at: r.time("created_at")?,
                },
                sent_at: r.opt_time("sent_at")?,
                settled_at: r.opt_time("settled_at")?,
                attempts: r.int("attempts")?,
                last_error: r.opt_text("last_error")?,
            })
        })
        .collect()
}

pub(crate) async fn mark_sent(c: &mut dyn Exec, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
    // The first confirm wins: a second relay confirming the same row keeps the first time. A
    // durable broker's confirm also settles the row: the broker keeps the message from here.
    mark(
        c,
        "UPDATE outbox SET sent_at = COALESCE(sent_at, $2), settled_at = COALESCE(settled_at, $2) \
         WHERE id = $1",
        id,
        at,
    )
    .await
}

pub(crate) async fn mark_published(
    c: &mut dyn Exec,
    id: i64,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    mark(
        c,
        "UPDATE outbox SET sent_at = COALESCE(sent_at, $2) WHERE id = $1",
        id,
        at,
    )
    .await
}

async fn mark(c: &mut dyn Exec, sql: &str, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
    let n = c.execute(sql, vec![id.into(), at.into()]).await?;
    if n == 0 {
        return Err(StoreError::NotFound {
            entity: "outbox message",
            id: id.to_string(),
        });
    }
    Ok(())
}

pub(crate) async fn mark_settled(
    c: &mut dyn Exec,
    message_ids: &[String],
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    let mut settled = 0;
    for id in message_ids {
        // The first settlement wins; an id no row has (a message published by someone else
        // than the relay) changes nothing.
        settled += c
            .execute(
                "UPDATE outbox SET settled_at = $2 WHERE message_id = $1 AND settled_at IS NULL",
                vec![id.as_str().into(), at.into()],
            )
            .await?;
    }
    Ok(settled)
}

pub(crate) async fn requeue_unsettled(c: &mut dyn Exec) -> StoreResult<u64> {
    c.execute(
        "UPDATE outbox SET sent_at = NULL WHERE settled_at IS NULL AND sent_at IS NOT NULL",
        Vec::new(),
    )
    .await
}

pub(crate) async fn record_publish_failure(
    c: &mut dyn Exec,
    id: i64,
    error: &str,
) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
            vec![id.into(), error.into()],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound {
            entity: "outbox message",
            id: id.to_string(),
        });
    }
    Ok(())
}

pub(crate) async fn mark_processed(
    c: &mut dyn Exec,
    consumer: &str,
    message_id: &str,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = c
        .execute(
            "INSERT INTO processed_messages (consumer, message_id, processed_at) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            vec![consumer.into(), message_id.into(), at.into()],
        )
        .await?;
    Ok(n == 1)
}

pub(crate) async fn is_processed(
    c: &mut dyn Exec,
    consumer: &str,
    message_id: &str,
) -> StoreResult<bool> {
    Ok(c.fetch_optional(
        "SELECT 1 AS one FROM processed_messages WHERE consumer = $1 AND message_id = $2",
        vec![Arg::from(consumer), Arg::from(message_id)],
    )
    .await?
    .is_some())
}
