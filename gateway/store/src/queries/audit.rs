//! The append-only audit log.

use crate::error::StoreResult;
use crate::model::{AuditRecord, NewAuditEvent};
use crate::sql::{Arg, Exec, Row};

/// The columns of an event, in the order of [`args`].
const COLUMNS: &str = "at, actor, entity, entity_id, from_status, to_status, event, reason, \
                       comment, before, after, correlation_id";

/// An event's values, in the order of [`COLUMNS`].
fn args(e: &NewAuditEvent) -> [Arg; 12] {
    [
        e.at.into(),
        e.actor.as_str().into(),
        e.entity.as_str().into(),
        e.entity_id.as_str().into(),
        (&e.from_status).into(),
        (&e.to_status).into(),
        e.event.as_str().into(),
        (&e.reason).into(),
        (&e.comment).into(),
        e.before.as_ref().into(),
        e.after.as_ref().into(),
        (&e.correlation_id).into(),
    ]
}

pub(crate) async fn append(c: &mut dyn Exec, e: &NewAuditEvent) -> StoreResult<i64> {
    let row = c
        .fetch_optional(
            &format!(
                "INSERT INTO audit_events ({COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id"
            ),
            args(e).into(),
        )
        .await?;
    match row {
        Some(r) => r.int("id"),
        None => Err(crate::error::StoreError::Corrupt {
            column: "audit_events.id".into(),
            reason: "insert returned no id".into(),
        }),
    }
}

/// Rows per multi-row `INSERT` of audit events (12 values a row: under SQLite's 32,766 and
/// PostgreSQL's 65,535 bound parameters).
const EVENTS_PER_INSERT: usize = 1_000;

/// Appends many events in order, a thousand rows a statement (an analyst's action on a
/// large batch records one event per line changed).
pub(crate) async fn append_many(c: &mut dyn Exec, events: &[NewAuditEvent]) -> StoreResult<u64> {
    let mut written = 0;
    for chunk in events.chunks(EVENTS_PER_INSERT) {
        let values: Vec<Arg> = chunk.iter().flat_map(args).collect();
        let sql = format!(
            "INSERT INTO audit_events ({COLUMNS}) VALUES {}",
            crate::sql::values_placeholders(c.dialect(), chunk.len(), 12)
        );
        written += c.execute(&sql, values).await?;
    }
    Ok(written)
}

fn from_row(r: &Row) -> StoreResult<AuditRecord> {
    Ok(AuditRecord {
        id: r.int("id")?,
        event: NewAuditEvent {
            actor: r.text("actor")?,
            entity: r.text("entity")?,
            entity_id: r.text("entity_id")?,
            from_status: r.opt_text("from_status")?,
            to_status: r.opt_text("to_status")?,
            event: r.text("event")?,
            reason: r.opt_text("reason")?,
            comment: r.opt_text("comment")?,
            before: r.opt_json("before")?,
            after: r.opt_json("after")?,
            correlation_id: r.opt_text("correlation_id")?,
            at: r.time("at")?,
        },
    })
}

pub(crate) async fn for_entity(
    c: &mut dyn Exec,
    entity: &str,
    entity_id: &str,
) -> StoreResult<Vec<AuditRecord>> {
    let rows = c
        .fetch_all(
            "SELECT id, at, actor, entity, entity_id, from_status, to_status, event, reason, \
             comment, before, after, correlation_id FROM audit_events \
             WHERE entity = $1 AND entity_id = $2 ORDER BY id",
            vec![Arg::from(entity), Arg::from(entity_id)],
        )
        .await?;
    rows.iter().map(from_row).collect()
}
