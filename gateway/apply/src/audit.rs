//! The engine's audit events as the store's: same transaction as the change they describe.

use chrono::{DateTime, Utc};
use engine::audit::{Actor, AuditEvent, Entity};
use store::{NewAuditEvent, StoreTx};

use crate::Context;
use crate::error::ApplyError;

/// The store's name of an engine entity.
pub(crate) fn entity_name(entity: &Entity) -> &'static str {
    match entity {
        Entity::Batch => "batch",
        Entity::BatchLine => "batch_line",
        Entity::Claim => "claim",
        Entity::ClaimLine => "claim_line",
        Entity::DisputeCase => "dispute_case",
        Entity::Contract => "contract",
        Entity::Response => "response",
    }
}

/// `system`, the user's name, `partner:<id>` or `clock`.
pub(crate) fn actor_name(actor: &Actor) -> String {
    match actor {
        Actor::User(name) => name.clone(),
        Actor::System => "system".to_owned(),
        Actor::Partner(id) => format!("partner:{id}"),
        Actor::Clock => "clock".to_owned(),
    }
}

/// An engine event as the store's, stamped `now` (the engine only knows the day).
pub(crate) fn convert(event: &AuditEvent, now: DateTime<Utc>, correlation: &str) -> NewAuditEvent {
    NewAuditEvent {
        actor: actor_name(&event.actor),
        entity: entity_name(&event.entity).to_owned(),
        entity_id: event.id.clone(),
        from_status: event.from.clone(),
        to_status: Some(event.to.clone()),
        event: event.event.clone(),
        reason: event.reason.clone(),
        comment: event.comment.clone(),
        before: event.before.clone(),
        after: event.after.clone(),
        correlation_id: Some(
            event
                .correlation_id
                .clone()
                .unwrap_or_else(|| correlation.to_owned()),
        ),
        at: now,
    }
}

/// Appends engine events.
pub(crate) async fn append_all(
    tx: &mut dyn StoreTx,
    events: &[AuditEvent],
    ctx: &Context,
    correlation: &str,
) -> Result<(), ApplyError> {
    // In bulk, a thousand a statement: an 849's reconciliation records an event per line.
    let events: Vec<NewAuditEvent> = events
        .iter()
        .map(|e| convert(e, ctx.now, correlation))
        .collect();
    tx.append_audits(&events).await?;
    Ok(())
}

/// A plain event by the context's actor.
pub(crate) fn event(
    ctx: &Context,
    entity: &str,
    entity_id: impl Into<String>,
    name: &str,
) -> NewAuditEvent {
    NewAuditEvent::new(ctx.actor.clone(), entity, entity_id, name, ctx.now)
}
