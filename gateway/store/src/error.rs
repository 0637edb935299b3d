//! The one error type of the store.

/// Result of every store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Optimistic concurrency: the row's version is no longer the one the caller read. Reload
    /// and retry the decision; nothing was written.
    #[error("{entity} {id} changed concurrently: expected version {expected}, found {actual}")]
    Conflict {
        /// Table-level name of the entity (`batch`, `claim`, ...).
        entity: &'static str,
        /// Its id.
        id: String,
        /// The version the caller expected.
        expected: i64,
        /// The version found in the database.
        actual: i64,
    },
    /// The row to update or link does not exist.
    #[error("{entity} {id} not found")]
    NotFound {
        /// Table-level name of the entity.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// Only a failed transaction can be dismissed; this one is in another state.
    #[error("transaction {id} is {state}, not failed: only a failed transaction can be dismissed")]
    NotFailed {
        /// The transaction.
        id: uuid::Uuid,
        /// Its current state.
        state: crate::model::TxState,
    },
    /// Only a dismissed transaction can be restored to the failed queue; this one is in
    /// another state.
    #[error(
        "transaction {id} is {state}, not dismissed: only a dismissed transaction can be restored"
    )]
    NotDismissed {
        /// The transaction.
        id: uuid::Uuid,
        /// Its current state.
        state: crate::model::TxState,
    },
    /// A unique key is already taken (batch number, claim number, message id, ...). In
    /// PostgreSQL the transaction is aborted after this error: roll it back.
    #[error("duplicate {what}")]
    Duplicate {
        /// The constraint, or the database's message when it names none.
        what: String,
    },
    /// A control-number range has no number left; numbers are never reused or wrapped.
    #[error(
        "control number range {start}..={end} exhausted for partner {partner}, {direction} {kind}"
    )]
    RangeExhausted {
        /// Partner id.
        partner: String,
        /// `inbound` or `outbound`.
        direction: &'static str,
        /// `interchange`, `group` or `set`.
        kind: &'static str,
        /// First number of the range.
        start: u32,
        /// Last number of the range.
        end: u32,
    },
    /// A value the schema cannot hold exactly (an amount with three decimals, a reversed
    /// range); refused rather than rounded so both backends behave alike.
    #[error("invalid {field}: {reason}")]
    InvalidValue {
        /// The field that was refused.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A stored value could not be decoded into its Rust type.
    #[error("column {column} cannot be read: {reason}")]
    Corrupt {
        /// Column name.
        column: String,
        /// Decoder message.
        reason: String,
    },
    /// The database URL names no backend this crate has.
    #[error("unsupported database url {0} (expected postgres:// or sqlite:)")]
    UnsupportedUrl(String),
    /// Applying the embedded migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A value being stored could not be read from where the caller spooled it, or gave
    /// another length than announced.
    #[error("reading a value to store: {0}")]
    Read(#[source] std::io::Error),
    /// Any other driver error (connection lost, syntax, ...).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}
