//! Audit events (§2.2): one value for every state change. The engine returns them with the new
//! state; the store appends them in the same database transaction as the change.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// A batch.
    Batch,
    /// A batch line.
    BatchLine,
    /// A claim.
    Claim,
    /// A claim line.
    ClaimLine,
    /// A dispute case.
    DisputeCase,
    /// A contract version.
    Contract,
    /// An 849 response.
    Response,
}

/// Who changed it (§6 "By").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// A reviewer, approver or operator.
    User(String),
    /// The engine itself.
    System,
    /// An inbound document from a partner.
    Partner(String),
    /// The scheduler.
    Clock,
}

impl Actor {
    /// A user actor.
    pub fn user(name: &str) -> Self {
        Self::User(name.to_owned())
    }
}

/// One state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Entity kind.
    pub entity: Entity,
    /// Entity id (batch id, `batch/line`, claim number, ...).
    pub id: String,
    /// Status before; `None` on creation.
    pub from: Option<String>,
    /// Status after.
    pub to: String,
    /// The rule and action, e.g. `L7 accept_calculated_amount`.
    pub event: String,
    /// Who.
    pub actor: Actor,
    /// Reason given, when one is required or given.
    pub reason: Option<String>,
    /// Reviewer comment.
    pub comment: Option<String>,
    /// Control number, file hash or request id linking the change to its cause.
    pub correlation_id: Option<String>,
    /// Day of the change (the store adds the timestamp).
    pub date: NaiveDate,
    /// Relevant values before.
    pub before: Option<serde_json::Value>,
    /// Relevant values after.
    pub after: Option<serde_json::Value>,
}

/// Snake-case name of a serializable status, for `from`/`to`.
pub fn status_name<T: Serialize>(status: &T) -> String {
    match serde_json::to_value(status) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}
