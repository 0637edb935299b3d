//! Errors of the gateway's steps. Each says which transaction and why; the step records the
//! located X12 error on the transaction itself, so these are about the machinery.

use uuid::Uuid;

/// A step could not run.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The database refused or failed.
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    /// A file could not be read or written.
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
    /// A blocking task died.
    #[error("worker task: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// A document or message did not (de)serialize.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// An acknowledgment could not be written.
    #[error("writing X12: {0}")]
    Write(#[from] x12::writer::WriteError),
    /// A document could not be rendered with the partner's profile.
    #[error("render: {0}")]
    Render(String),
    /// A file could not be delivered.
    #[error("send: {0}")]
    Send(String),
    /// No such transaction.
    #[error("no transaction {0}")]
    NoTransaction(Uuid),
    /// The transaction is done: nothing to replay.
    #[error(
        "transaction {0} cannot be replayed: it is done, nothing to replay (a set of a file that failed later is replayed by its own transaction)"
    )]
    Done(Uuid),
    /// The transaction was dismissed by ops: nothing to replay.
    #[error(
        "transaction {0} cannot be replayed: it was dismissed (set aside by ops; its audit trail says who and why)"
    )]
    Dismissed(Uuid),
    /// Only a failed transaction can be dismissed.
    #[error("transaction {0} cannot be dismissed: it is {1}, and only a failed transaction is")]
    NotFailed(Uuid, store::TxState),
    /// Only a dismissed transaction can be restored.
    #[error("transaction {0} cannot be restored: it is {1}, and only a dismissed transaction is")]
    NotDismissed(Uuid, store::TxState),
    /// A required field was missing or blank.
    #[error("{0} is required and must not be blank")]
    Blank(&'static str),
    /// The transaction cannot be replayed.
    #[error("transaction {0} cannot be replayed: {1}")]
    NotReplayable(Uuid, String),
    /// Stored state contradicts itself.
    #[error("inconsistent state: {0}")]
    Inconsistent(String),
}
