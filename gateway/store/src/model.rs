//! What the store reads and writes: records with typed key columns next to a JSON payload.
//!
//! The payloads are the engine's and the gateway's own structs serialized to JSON, so their
//! shape can change without a migration; only columns that are searched, indexed, locked or
//! summed are typed here. Statuses of engine entities are the engine's snake_case names, kept
//! as strings because the engine owns those enums. Times are explicit arguments (UTC), never
//! read from the database clock, so tests and replays are deterministic.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::error::{StoreError, StoreResult};

macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// The text stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            #[allow(dead_code, reason = "not every code is read back from a column")]
            pub(crate) fn parse(column: &str, text: &str) -> StoreResult<Self> {
                text.parse().map_err(|reason| StoreError::Corrupt {
                    column: column.to_owned(),
                    reason,
                })
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, String> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("unknown {} {other:?}", stringify!($name))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

code_enum! {
    /// Which way a transaction's document travels.
    Direction {
        /// From a partner to us.
        Inbound = "inbound",
        /// From us to a partner.
        Outbound = "outbound",
    }
}

code_enum! {
    /// The pipeline step a transaction is at (design.md section 1).
    Step {
        /// Raw bytes persisted.
        Receive = "receive",
        /// Envelope and syntax.
        Parse = "parse",
        /// Partner profile mapping to a normalized document.
        Map = "map",
        /// Document and message written to the outbox.
        Outbox = "outbox",
        /// Chargeback engine.
        Engine = "engine",
        /// Normalized document to X12.
        Render = "render",
        /// AS2 or SFTP delivery.
        Send = "send",
    }
}

code_enum! {
    /// Where a transaction stands within its step.
    TxState {
        /// Recorded, not started.
        Received = "received",
        /// Being worked on.
        Processing = "processing",
        /// Finished.
        Done = "done",
        /// Stopped with a located error; replayable.
        Failed = "failed",
        /// A failed transaction ops set aside (a corrected file came instead): off the failed
        /// queue, not replayable; its error and audit trail are kept.
        Dismissed = "dismissed",
    }
}

code_enum! {
    /// Which envelope level a control number belongs to.
    ControlKind {
        /// ISA13.
        Interchange = "interchange",
        /// GS06.
        Group = "group",
        /// ST02.
        Set = "set",
    }
}

code_enum! {
    /// What a searchable transaction reference is.
    RefKind {
        /// A distributor invoice number.
        Invoice = "invoice",
        /// A debit memo (claim) number.
        DebitMemo = "debit_memo",
        /// A credit memo number.
        CreditMemo = "credit_memo",
        /// A contract number.
        Contract = "contract",
        /// An AS2 message id.
        As2Message = "as2_message",
        /// The name a file arrived under.
        FileName = "file_name",
    }
}

code_enum! {
    /// How far an 849 was matched to our claims (chargeback-rules 7.1, 7.6).
    MatchStatus {
        /// Claim found and every line matched.
        Matched = "matched",
        /// Claim found, some lines parked.
        Partial = "partial",
        /// No claim found: the Unmatched Responses queue.
        Unmatched = "unmatched",
    }
}

code_enum! {
    /// Cap ledger movement (chargeback-rules 5.1).
    CapEntryKind {
        /// Held by an Accepted line.
        Reserved = "reserved",
        /// Used by a Claimed line.
        Consumed = "consumed",
        /// Given back by a Rejected or disputed line.
        Released = "released",
    }
}

/// A searchable reference attached to a transaction (`transaction_refs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionRef {
    /// What the value is.
    pub kind: RefKind,
    /// The value as sent.
    pub value: String,
}

impl TransactionRef {
    /// A reference of `kind` with `value`.
    pub fn new(kind: RefKind, value: impl Into<String>) -> Self {
        Self {
            kind,
            value: value.into(),
        }
    }
}

/// A pipeline transaction to record (design.md section 1).
#[derive(Debug, Clone)]
pub struct NewTransaction {
    /// Caller-chosen id (UUID v7 recommended, so ids sort by creation).
    pub id: Uuid,
    /// Partner id.
    pub partner: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Current step.
    pub step: Step,
    /// Current state.
    pub state: TxState,
    /// The transaction this one derives from (a set's file, a claim's batch).
    pub parent_id: Option<Uuid>,
    /// SHA-256 (hex) of the raw file, when there is one.
    pub raw_sha256: Option<String>,
    /// Normalized document type (`claim`, `contract`, ...).
    pub doc_type: Option<String>,
    /// ISA13.
    pub isa13: Option<String>,
    /// GS06.
    pub gs06: Option<String>,
    /// ST02.
    pub st02: Option<String>,
    /// BAA/BRC debit memo number.
    pub debit_memo: Option<String>,
    /// Searchable references (invoices, ...).
    pub refs: Vec<TransactionRef>,
    /// Creation time.
    pub at: DateTime<Utc>,
}

impl NewTransaction {
    /// A transaction with no links, control numbers or references yet.
    pub fn new(
        id: Uuid,
        partner: impl Into<String>,
        direction: Direction,
        step: Step,
        state: TxState,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            partner: partner.into(),
            direction,
            step,
            state,
            parent_id: None,
            raw_sha256: None,
            doc_type: None,
            isa13: None,
            gs06: None,
            st02: None,
            debit_memo: None,
            refs: Vec::new(),
            at,
        }
    }
}

/// A stored pipeline transaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransactionRecord {
    /// Id.
    pub id: Uuid,
    /// Partner id.
    pub partner: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Current step.
    pub step: Step,
    /// Current state.
    pub state: TxState,
    /// Located error of the last failure (kept after a successful replay for history).
    pub error: Option<String>,
    /// SHA-256 of the raw file.
    pub raw_sha256: Option<String>,
    /// Parent transaction.
    pub parent_id: Option<Uuid>,
    /// Document type.
    pub doc_type: Option<String>,
    /// ISA13.
    pub isa13: Option<String>,
    /// GS06.
    pub gs06: Option<String>,
    /// ST02.
    pub st02: Option<String>,
    /// Debit memo.
    pub debit_memo: Option<String>,
    /// How many times the transaction entered `processing`.
    pub attempts: i64,
    /// Searchable references.
    pub refs: Vec<TransactionRef>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A step/state change of a transaction. Fields left `None` keep their stored value; entering
/// `processing` counts an attempt. The store writes the matching audit event itself.
#[derive(Debug, Clone)]
pub struct TransactionUpdate {
    /// Which transaction.
    pub id: Uuid,
    /// New step.
    pub step: Step,
    /// New state.
    pub state: TxState,
    /// Located error (set with `failed`; `None` keeps the previous one).
    pub error: Option<String>,
    /// Clear the error column instead (a note such as "awaiting the MDN" that no longer holds).
    pub clear_error: bool,
    /// Learned later in the pipeline.
    pub doc_type: Option<String>,
    /// ISA13, when learned by parsing.
    pub isa13: Option<String>,
    /// GS06.
    pub gs06: Option<String>,
    /// ST02.
    pub st02: Option<String>,
    /// Debit memo.
    pub debit_memo: Option<String>,
    /// Who made the change (`system`, a user, a partner).
    pub actor: String,
    /// Correlation id for the audit event (file hash, control number, request id).
    pub correlation_id: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

impl TransactionUpdate {
    /// A plain step/state change by `actor`. A change to [`TxState::Done`] clears the error
    /// column: what a transaction that went through once failed with is history (the audit
    /// trail keeps it), not why it is where it is.
    pub fn new(
        id: Uuid,
        step: Step,
        state: TxState,
        actor: impl Into<String>,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            step,
            state,
            error: None,
            clear_error: state == TxState::Done,
            doc_type: None,
            isa13: None,
            gs06: None,
            st02: None,
            debit_memo: None,
            actor: actor.into(),
            correlation_id: None,
            at,
        }
    }

    /// The same change with an error (use with [`TxState::Failed`]).
    pub fn with_error(mut self, error: impl Into<String>) -> Self {
        self.error = Some(error.into());
        self.clear_error = false;
        self
    }

    /// The same change, clearing the error column (the audit trail keeps what it said).
    pub fn clearing_error(mut self) -> Self {
        self.error = None;
        self.clear_error = true;
        self
    }
}

/// Ops setting a failed transaction aside ([`TxState::Dismissed`]), or undoing that, by whom
/// and why.
#[derive(Debug, Clone)]
pub struct TransactionDismissal {
    /// Which transaction.
    pub id: Uuid,
    /// Who dismissed it.
    pub actor: String,
    /// Why (kept as the audit event's reason).
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Filters for listing transactions; all given filters must hold. Newest first.
#[derive(Debug, Clone, Default)]
pub struct TransactionFilter {
    /// Partner id.
    pub partner: Option<String>,
    /// State.
    pub state: Option<TxState>,
    /// Only `failed` (same as `state = Some(Failed)`, kept for the console's failed queue).
    pub failed_only: bool,
    /// Direction.
    pub direction: Option<Direction>,
    /// Step.
    pub step: Option<Step>,
    /// Document type.
    pub doc_type: Option<String>,
    /// Matches ISA13, GS06 or ST02 exactly.
    pub control_number: Option<String>,
    /// Matches the debit memo column or a `debit_memo` reference.
    pub debit_memo: Option<String>,
    /// Matches an `invoice` reference.
    pub invoice: Option<String>,
    /// Matches the raw file hash.
    pub raw_sha256: Option<String>,
    /// Only transactions of their own (files, outbound files), not the sets of a file.
    pub files_only: bool,
    /// Only stuck transactions: still `received` or `processing` and not updated since this
    /// time (nothing is moving them; replay them).
    pub stuck_since: Option<DateTime<Utc>>,
    /// At most this many rows (default 100).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
}

/// A received file (idempotency on `(partner, sha256)`).
#[derive(Debug, Clone)]
pub struct InboundFile {
    /// Partner id.
    pub partner: String,
    /// SHA-256 (hex) of the bytes.
    pub sha256: String,
    /// Name it arrived under.
    pub file_name: Option<String>,
    /// Size in bytes.
    pub size: i64,
    /// When it was received.
    pub received_at: DateTime<Utc>,
}

code_enum! {
    /// Where an outbound AS2 message stands (design.md 8, transport-notes: sent, MDN ok, MDN
    /// negative or MIC mismatch, MDN timeout).
    As2OutboundStatus {
        /// Built and stored; not yet accepted by the partner's HTTP server.
        Sending = "sending",
        /// Accepted; its asynchronous MDN has not come yet.
        AwaitingMdn = "awaiting_mdn",
        /// A good MDN (signature and MIC checked) came.
        Processed = "processed",
        /// A negative MDN, a MIC mismatch, a bad MDN signature, or no MDN after the resends.
        Failed = "failed",
    }
}

/// An outbound AS2 message to record (`as2_outbound`), before its first POST.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAs2Outbound {
    /// The AS2 Message-ID without angle brackets; the key an MDN's Original-Message-ID names.
    pub message_id: String,
    /// Partner id.
    pub partner: String,
    /// The outbound transaction the message carries.
    pub transaction_id: Uuid,
    /// The MIC the MDN must return, as a Received-Content-MIC value (`<base64>, sha-256`).
    pub mic: String,
    /// The HTTP headers sent, as a JSON array of `[name, value]` pairs.
    pub headers: Value,
    /// SHA-256 (hex) of the HTTP body in the raw store: a resend posts exactly these bytes.
    pub body_sha256: String,
    /// When it was built.
    pub at: DateTime<Utc>,
}

/// A stored outbound AS2 message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct As2OutboundRecord {
    /// The AS2 Message-ID without angle brackets.
    pub message_id: String,
    /// Partner id.
    pub partner: String,
    /// The outbound transaction.
    pub transaction_id: Uuid,
    /// Expected Received-Content-MIC value.
    pub mic: String,
    /// HTTP headers as `[name, value]` pairs.
    pub headers: Value,
    /// SHA-256 of the HTTP body in the raw store.
    pub body_sha256: String,
    /// Where the MDN stands.
    pub status: As2OutboundStatus,
    /// Why it failed (the MDN's disposition, the MIC mismatch, the timeout).
    pub detail: Option<String>,
    /// POSTs made: the first send and every resend.
    pub attempts: i64,
    /// When it was last posted.
    pub sent_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

code_enum! {
    /// Where one 844 sent for a claim stands with the partner's 997/999/TA1
    /// (chargeback-rules 6.3 C12, C13).
    TransmissionStatus {
        /// Handed to transport; no acknowledgment yet.
        Sent = "sent",
        /// A 997/999 accepted it (AK5/IK5 A or E, or AK9 A, E or P covering it).
        Accepted = "accepted",
        /// A 997/999 or a TA1 rejected it; the claim was sent again under new numbers.
        Rejected = "rejected",
    }
}

/// An 844 sent for a claim, before rendering gave it control numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct NewClaimTransmission {
    /// The outbox message id of the 844 document; rendering knows it and links its numbers.
    pub message_id: String,
    /// The claim.
    pub claim_id: Uuid,
    /// The partner it goes to (the claim's partner).
    pub partner: String,
    /// 1 for the first send, 2 for the first resend, ...
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
}

/// Which envelope level an acknowledgment answers: a TA1 the interchange, a 997/999 the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlLevel {
    /// ISA13.
    Interchange,
    /// GS06.
    Group,
}

/// A stored claim transmission with the control numbers it went out under.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimTransmission {
    /// Outbox message id of the 844 document.
    pub message_id: String,
    /// The claim.
    pub claim_id: Uuid,
    /// Partner id.
    pub partner: String,
    /// 1 for the first send, then one more per resend.
    pub seq: i64,
    /// ISA13, once rendered.
    pub isa13: Option<i64>,
    /// GS06, once rendered.
    pub gs06: Option<i64>,
    /// ST02, once rendered.
    pub st02: Option<i64>,
    /// Where it stands.
    pub status: TransmissionStatus,
    /// The message id of the acknowledgment that answered it.
    pub answered_by: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What was known of an inbound AS2 Message-ID when it was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum As2Seen {
    /// First time from this partner: recorded with its payload's hash.
    New,
    /// Received before, with a payload of this hash (`None`: recorded before hashes were
    /// kept, migration 0023).
    Before {
        /// SHA-256 (hex) of the payload the Message-ID first came with.
        sha256: Option<String>,
    },
}

/// An interchange seen from a sender (duplicate ISA13 detection, TA1 025).
#[derive(Debug, Clone, PartialEq)]
pub struct InterchangeRecord {
    /// Partner (sender) id.
    pub partner: String,
    /// ISA13 as sent.
    pub isa13: String,
    /// File it came in.
    pub sha256: Option<String>,
    /// When it was first seen.
    pub received_at: DateTime<Utc>,
}

/// Where a normalized document came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentSource {
    /// SHA-256 of the raw file.
    pub file_sha256: Option<String>,
    /// ISA13.
    pub isa13: Option<String>,
    /// GS06.
    pub gs06: Option<String>,
    /// ST02.
    pub st02: Option<String>,
}

/// A normalized document to store; its body held as [`JsonText`], or read as it is stored
/// ([`SpooledBody`], [`crate::StoreTx::insert_spooled_document`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewDocument<B = JsonText> {
    /// Id.
    pub id: Uuid,
    /// Unique key: the same input always yields the same key, so a replay stores nothing new.
    pub idempotency_key: String,
    /// `contract`, `claim`, `claim_response`, `sales_report`, `acknowledgment`.
    pub doc_type: String,
    /// Partner id.
    pub partner: String,
    /// Origin.
    pub source: DocumentSource,
    /// Transaction that produced it.
    pub tx_id: Option<Uuid>,
    /// The document (`chargegate.<type>/1`).
    pub body: B,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl<B> NewDocument<B> {
    /// The same document with `body` instead, and the body it had.
    pub fn with_body<C>(self, body: C) -> (NewDocument<C>, B) {
        let NewDocument {
            id,
            idempotency_key,
            doc_type,
            partner,
            source,
            tx_id,
            body: had,
            created_at,
        } = self;
        let doc = NewDocument {
            id,
            idempotency_key,
            doc_type,
            partner,
            source,
            tx_id,
            body,
            created_at,
        };
        (doc, had)
    }
}

/// A document body too large to hold (the 844 of a million-line period's claim is hundreds
/// of megabytes): `len` bytes of JSON the caller serialized (not checked again), read from
/// `read` while they are stored.
pub struct SpooledBody<'a> {
    /// Bytes `read` gives.
    pub len: u64,
    /// Where they are.
    pub read: &'a mut (dyn std::io::Read + Send),
}

impl std::fmt::Debug for SpooledBody<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpooledBody")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// A stored normalized document.
pub type DocumentRecord = NewDocument;

/// A message to publish through the outbox (design.md section 6).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    /// Idempotency key of the message; unique.
    pub message_id: String,
    /// Exchange (`chargegate.docs`).
    pub exchange: String,
    /// `<doc type>.<partner>`.
    pub routing_key: String,
    /// AMQP headers (doc type, partner, schema version).
    pub headers: Value,
    /// Body bytes.
    pub payload: Vec<u8>,
    /// When written.
    pub created_at: DateTime<Utc>,
}

/// A stored outbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRecord {
    /// Row id, the relay's publishing order.
    pub id: i64,
    /// The message.
    pub message: OutboxMessage,
    /// Set once the bus took it: the broker confirmed it, or the in-process bus queued it.
    pub sent_at: Option<DateTime<Utc>>,
    /// Set once the row is no longer needed to deliver the message: the broker's confirm, or,
    /// on the in-process bus, once every queue it was routed to acked or parked it.
    pub settled_at: Option<DateTime<Utc>>,
    /// Publish attempts that failed.
    pub attempts: i64,
    /// Last publish error.
    pub last_error: Option<String>,
}

/// Key of a control-number counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ControlNumberKey {
    /// Partner id.
    pub partner: String,
    /// Inbound (numbers in our acknowledgments) or outbound (our documents).
    pub direction: Direction,
    /// ISA13, GS06 or ST02.
    pub kind: ControlKind,
}

impl ControlNumberKey {
    /// A key.
    pub fn new(partner: impl Into<String>, direction: Direction, kind: ControlKind) -> Self {
        Self {
            partner: partner.into(),
            direction,
            kind,
        }
    }
}

/// An audit event to append (chargeback-rules 2.2): written in the same database transaction
/// as the change it describes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEvent {
    /// `system`, a user name or `partner:<id>`.
    pub actor: String,
    /// `batch`, `batch_line`, `claim`, `transaction`, ...
    pub entity: String,
    /// The entity's id (`<batch id>/<line no>` for lines).
    pub entity_id: String,
    /// Status before.
    pub from_status: Option<String>,
    /// Status after.
    pub to_status: Option<String>,
    /// What happened (`B4`, `pay_and_close`, ...).
    pub event: String,
    /// Reason code or text.
    pub reason: Option<String>,
    /// Free comment.
    pub comment: Option<String>,
    /// State before, as JSON.
    pub before: Option<Value>,
    /// State after, as JSON.
    pub after: Option<Value>,
    /// Control number, file hash or request id.
    pub correlation_id: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

impl NewAuditEvent {
    /// An event with no statuses, reason or snapshots yet.
    pub fn new(
        actor: impl Into<String>,
        entity: impl Into<String>,
        entity_id: impl Into<String>,
        event: impl Into<String>,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            actor: actor.into(),
            entity: entity.into(),
            entity_id: entity_id.into(),
            from_status: None,
            to_status: None,
            event: event.into(),
            reason: None,
            comment: None,
            before: None,
            after: None,
            correlation_id: None,
            at,
        }
    }

    /// Sets the status change.
    pub fn transition(mut self, from: Option<&str>, to: &str) -> Self {
        self.from_status = from.map(str::to_owned);
        self.to_status = Some(to.to_owned());
        self
    }

    /// Sets the reason.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Sets the correlation id.
    pub fn correlation(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }
}

/// A stored audit event.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// Append order.
    pub id: i64,
    /// The event.
    pub event: NewAuditEvent,
}

/// A contract (chargeback-rules 2.2), current state.
#[derive(Debug, Clone, PartialEq)]
pub struct NewContract {
    /// Id.
    pub id: Uuid,
    /// Trading partner the contract came from or goes to.
    pub partner: String,
    /// Supplier owning the contract.
    pub supplier: String,
    /// Contract number, normalized.
    pub contract_number: String,
    /// `proposed`, `active`, ...
    pub status: String,
    /// The engine's contract.
    pub payload: Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// A stored contract.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractRecord {
    /// Id.
    pub id: Uuid,
    /// Partner.
    pub partner: String,
    /// Supplier.
    pub supplier: String,
    /// Contract number.
    pub contract_number: String,
    /// Status.
    pub status: String,
    /// Optimistic-concurrency version, 1 on insert.
    pub version: i64,
    /// Payload.
    pub payload: Value,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
}

/// An immutable contract version.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractVersion {
    /// Contract.
    pub contract_id: Uuid,
    /// 1, 2, ...
    pub version_no: i64,
    /// Document it came from (845, CSV, manual).
    pub source_document_id: Option<Uuid>,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Approver, where one was needed.
    pub approved_by: Option<String>,
    /// The engine's version (items, prices, eligibility).
    pub payload: Value,
}

/// A retro run of a back-dated contract version (chargeback-rules 5.3).
#[derive(Debug, Clone, PartialEq)]
pub struct RetroRunRecord {
    /// Contract.
    pub contract_id: Uuid,
    /// The back-dated version.
    pub version_no: i64,
    /// Supplier partner that sent the version.
    pub partner: String,
    /// Normalized contract number.
    pub contract_number: String,
    /// Earliest changed effective date (`YYYY-MM-DD`).
    pub retroactive_from: String,
    /// `pending` until approved, then `done`.
    pub status: String,
    /// Who approved the run.
    pub approved_by: Option<String>,
    /// What the run made (batches, lines, expired sales); `{}` while pending.
    pub payload: Value,
    /// Written with the version.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A status/payload change of a versioned entity (contract, batch, claim, dispute case).
#[derive(Debug, Clone, PartialEq)]
pub struct EntityUpdate {
    /// Which row.
    pub id: Uuid,
    /// The version read before deciding; the update fails with `Conflict` if it moved.
    pub expected_version: i64,
    /// New status.
    pub status: String,
    /// New amount, for entities that carry one (claims, disputes); `None` keeps it.
    pub amount: Option<Decimal>,
    /// New payload.
    pub payload: Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// A batch to create (chargeback-rules 6.1 B1).
#[derive(Debug, Clone, PartialEq)]
pub struct NewBatch {
    /// Id.
    pub id: Uuid,
    /// Batch number, unique.
    pub number: String,
    /// Partner.
    pub partner: String,
    /// `claimant` or `adjudicator`.
    pub role: String,
    /// Status.
    pub status: String,
    /// Debit memo of the claim it came from (header duplicate key), if any.
    pub debit_memo: Option<String>,
    /// Source document.
    pub source_document_id: Option<Uuid>,
    /// The engine's batch (frozen profile, mode, totals).
    pub payload: Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// A stored batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRecord {
    /// Id.
    pub id: Uuid,
    /// Number.
    pub number: String,
    /// Partner.
    pub partner: String,
    /// Role.
    pub role: String,
    /// Status.
    pub status: String,
    /// Debit memo.
    pub debit_memo: Option<String>,
    /// Source document.
    pub source_document_id: Option<Uuid>,
    /// Optimistic-concurrency version, 1 on insert.
    pub version: i64,
    /// Payload.
    pub payload: Value,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
    /// The claim period a collecting batch belongs to (`claim_trigger` Daily, Weekly or
    /// Monthly: the engine's `claims::batch_key`); `None` for every other batch.
    pub period_key: Option<String>,
    /// The period's last day (ISO `YYYY-MM-DD`); the batch is cut once it has passed.
    pub period_end: Option<String>,
}

/// A line's new state, written with others in one bulk update ([`crate::StoreTx::update_batch_lines`]).
#[derive(Debug, Clone)]
pub struct BatchLineState {
    /// Line.
    pub line_no: i64,
    /// New status.
    pub status: String,
    /// Calculated amount (`None` keeps it).
    pub calculated_amount: Option<Decimal>,
    /// Accepted amount, as the line now stands (`None`: it accepts nothing, e.g. a
    /// reversed acceptance).
    pub accepted_amount: Option<Decimal>,
    /// New payload.
    pub payload: JsonText,
}

/// Where a sales report's lines went (`sales_report_batches`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportBatch {
    /// The batch (the first one, for a report spread over several).
    pub batch_id: Uuid,
    /// The report's first line in the batch.
    pub first_line_no: i64,
    /// How many lines it has there.
    pub line_count: i64,
    /// How many of them are returns (non-zero negative quantities); `None` when not counted
    /// (a report not kept pending for a cut, or recorded before migration 0021).
    pub return_lines: Option<i64>,
}

/// A sales report recorded in a batch (`sales_report_batches`), in line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchReport {
    /// The report id (BPT of the 867).
    pub report_id: String,
    /// The report's first line in the batch.
    pub first_line_no: i64,
    /// How many lines it has there.
    pub line_count: i64,
    /// Whether its lines still wait for the cut of their claim period (kept as JSON text,
    /// not yet batch lines).
    pub pending: bool,
    /// How many of its lines are returns; `None` when not counted ([`ReportBatch::return_lines`]).
    pub return_lines: Option<i64>,
}

/// JSON as text: a payload is serialized once from its typed value and bound as text, never
/// built as a `Value` tree (a tree is several times the size of its text and costs an
/// allocation per node). Equality compares the JSON values, not the text.
#[derive(Debug, Clone)]
pub struct JsonText(Box<RawValue>);

impl JsonText {
    /// `value` serialized.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Self> {
        serde_json::value::to_raw_value(value).map(Self)
    }

    /// Text that must be JSON.
    pub fn from_string(text: String) -> serde_json::Result<Self> {
        RawValue::from_string(text).map(Self)
    }

    /// The text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The text as a typed value.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(self.0.get())
    }

    /// The text as a `Value` (for callers that index into it).
    pub fn to_value(&self) -> Value {
        self.parse().unwrap_or(Value::Null)
    }

    pub(crate) fn raw(&self) -> &RawValue {
        &self.0
    }
}

impl From<Box<RawValue>> for JsonText {
    fn from(raw: Box<RawValue>) -> Self {
        Self(raw)
    }
}

impl From<Value> for JsonText {
    fn from(value: Value) -> Self {
        // A `Value` always serializes (its keys are strings).
        Self::of(&value).unwrap_or_else(|_| Self(RawValue::NULL.to_owned()))
    }
}

impl PartialEq for JsonText {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get() || self.to_value() == other.to_value()
    }
}

/// A batch line to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBatchLine {
    /// Line number within the batch.
    pub line_no: i64,
    /// Status.
    pub status: String,
    /// Invoice number (duplicate key, search).
    pub invoice: Option<String>,
    /// Normalized item.
    pub item: Option<String>,
    /// End customer id.
    pub customer: Option<String>,
    /// Contract number claimed or derived.
    pub contract: Option<String>,
    /// Signed quantity, NUMERIC(18,6).
    pub quantity: Option<Decimal>,
    /// Contract unit price, NUMERIC(18,6).
    pub contract_price: Option<Decimal>,
    /// Claimed amount, NUMERIC(18,2).
    pub claimed_amount: Option<Decimal>,
    /// Calculated amount, NUMERIC(18,2).
    pub calculated_amount: Option<Decimal>,
    /// Accepted amount, once accepted (a line may be accepted as it is inserted), NUMERIC(18,2).
    pub accepted_amount: Option<Decimal>,
    /// The engine's line (failures, pricing snapshot, source location).
    pub payload: JsonText,
    /// The line of its batch's carrying claim that claims it, kept on this row
    /// ([`CarriedClaimLine`]).
    pub claim_line: Option<CarriedClaimLine>,
}

/// A claim line kept on the batch line it claims rather than as a `claim_lines` row: a line
/// of the claim of the batch marked `lines_carried` (claim #1 of a streamed batch), as it was
/// cut (status `open`, nothing approved, its sale the batch line's). Read back as a
/// [`ClaimLineRecord`] of that claim with `sale_from_batch`; the first update of it writes it
/// whole to `claim_lines`, and that row is the line from then on.
#[derive(Debug, Clone, PartialEq)]
pub struct CarriedClaimLine {
    /// Line number in the claim.
    pub line_no: i64,
    /// Claimed amount.
    pub claimed_amount: Decimal,
    /// The claim line without its sale (as [`NewClaimLine::payload`] with `sale_from_batch`).
    pub payload: JsonText,
}

/// A stored batch line.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchLineRecord {
    /// Batch.
    pub batch_id: Uuid,
    /// The line.
    pub line: NewBatchLine,
    /// Claim the line went into.
    pub claim_id: Option<Uuid>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
}

/// A batch line status change. Lines have no version of their own: the engine changes lines
/// under their batch's version (update the batch in the same transaction).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchLineUpdate {
    /// Batch.
    pub batch_id: Uuid,
    /// Line.
    pub line_no: i64,
    /// New status.
    pub status: String,
    /// Calculated amount (`None` keeps it).
    pub calculated_amount: Option<Decimal>,
    /// Accepted amount (`None` keeps it).
    pub accepted_amount: Option<Decimal>,
    /// Claim link (`None` keeps it).
    pub claim_id: Option<Uuid>,
    /// New payload.
    pub payload: Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// Search for earlier batch lines by the duplicate-key columns.
#[derive(Debug, Clone, Default)]
pub struct LineQuery {
    /// Partner of the batch.
    pub partner: Option<String>,
    /// Invoice number (required for a useful query).
    pub invoice: String,
    /// Item.
    pub item: Option<String>,
    /// Customer.
    pub customer: Option<String>,
}

/// One page of a batch's or a claim's lines, in line order: the lines numbered above `after`,
/// at most `limit` of them, of one of `statuses` when any are given. Read with `LIMIT` in SQL,
/// so a page costs its own lines whatever the size of the batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinePage {
    /// Lines numbered above this (0: from the first line).
    pub after: i64,
    /// At most this many lines (at least 1).
    pub limit: i64,
    /// Only lines in one of these statuses (none: every line).
    pub statuses: Vec<String>,
}

/// One page of a list read newest first (dispute cases, the Unmatched Responses queue): the
/// rows that come after row `after` in that order (the last row of the page before; a row
/// that has left the list since, e.g. a case decided or an 849 linked, still marks its
/// place), at most `limit` of them. Read with `LIMIT` in SQL, keyed on (time, id), so a page
/// costs its own rows and a row added meanwhile neither repeats nor skips one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListPage {
    /// The rows after this one (none: from the newest).
    pub after: Option<Uuid>,
    /// At most this many rows (at least 1).
    pub limit: i64,
}

/// The lines of a batch in one status, counted and summed by the database (the batch head of
/// the API: no line is loaded to make it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchLineTotals {
    /// The line status.
    pub status: String,
    /// How many lines.
    pub lines: i64,
    /// Sum of their claimed amounts (lines without one count as zero).
    pub claimed_amount: Decimal,
    /// Sum of their calculated amounts.
    pub calculated_amount: Decimal,
    /// Sum of their accepted amounts.
    pub accepted_amount: Decimal,
}

/// The lines of a claim in one status, counted and summed by the database; lines still
/// carried by their batch lines count as `open`, as they read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimLineTotals {
    /// The line status.
    pub status: String,
    /// How many lines.
    pub lines: i64,
    /// Sum of their claimed amounts.
    pub claimed_amount: Decimal,
    /// Sum of their approved amounts (lines without one count as zero).
    pub approved_amount: Decimal,
}

/// Filters for listing batches or claims (chargeback-rules 10, "Batches"); all given filters
/// must hold. Newest first (or oldest), at most `limit` (default 100, at most 1,000).
#[derive(Debug, Clone, Default)]
pub struct EntityFilter {
    /// Partner.
    pub partner: Option<String>,
    /// Status (snake_case, e.g. `awaiting_review`, `settlement_pending`).
    pub status: Option<String>,
    /// Batches only: `claimant` or `adjudicator`.
    pub role: Option<String>,
    /// Number starting with this (a batch number, a claim or debit memo number).
    pub number: Option<String>,
    /// At most this many.
    pub limit: Option<i64>,
    /// Oldest first instead of newest first.
    pub oldest_first: bool,
}

impl EntityFilter {
    /// The row limit: default 100, between 1 and 1,000.
    pub fn row_limit(&self) -> i64 {
        self.limit.unwrap_or(100).clamp(1, 1_000)
    }
}

/// A claim to create (chargeback-rules 6.3 C1).
#[derive(Debug, Clone, PartialEq)]
pub struct NewClaim {
    /// Id.
    pub id: Uuid,
    /// Partner.
    pub partner: String,
    /// Claim (debit memo) number, unique per partner.
    pub claim_number: String,
    /// Status.
    pub status: String,
    /// Amount, NUMERIC(18,2).
    pub amount: Decimal,
    /// Batch it was built from.
    pub batch_id: Option<Uuid>,
    /// Parent claim (splits, resubmissions).
    pub parent_id: Option<Uuid>,
    /// The engine's claim.
    pub payload: Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// A stored claim.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRecord {
    /// Id.
    pub id: Uuid,
    /// Partner.
    pub partner: String,
    /// Number.
    pub claim_number: String,
    /// Status.
    pub status: String,
    /// Amount.
    pub amount: Decimal,
    /// Batch.
    pub batch_id: Option<Uuid>,
    /// Parent.
    pub parent_id: Option<Uuid>,
    /// Optimistic-concurrency version, 1 on insert.
    pub version: i64,
    /// Payload.
    pub payload: Value,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
}

/// A claim line to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewClaimLine {
    /// Line number in the claim (PAD01 as sent).
    pub line_no: i64,
    /// Batch line it claims.
    pub batch_id: Option<Uuid>,
    /// Its line number.
    pub batch_line_no: Option<i64>,
    /// Outcome (`open`, `paid`, `adjusted`, ...).
    pub status: String,
    /// Claimed amount.
    pub claimed_amount: Decimal,
    /// Approved amount, once answered.
    pub approved_amount: Option<Decimal>,
    /// The engine's line; without its sale when `sale_from_batch`.
    pub payload: JsonText,
    /// The line's sale is its batch line's (`batch_id`, `batch_line_no`), not in `payload`.
    pub sale_from_batch: bool,
}

/// A stored claim line.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimLineRecord {
    /// Claim.
    pub claim_id: Uuid,
    /// The line.
    pub line: NewClaimLine,
    /// Its batch line's payload, read with it when the line's sale is that line's
    /// (`line.sale_from_batch`).
    pub batch_payload: Option<JsonText>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
}

/// A claim line outcome change.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimLineUpdate {
    /// Claim.
    pub claim_id: Uuid,
    /// Line.
    pub line_no: i64,
    /// New outcome.
    pub status: String,
    /// Approved amount (`None` keeps it).
    pub approved_amount: Option<Decimal>,
    /// New payload.
    pub payload: Value,
    /// When.
    pub at: DateTime<Utc>,
    /// The batch line it claims, as read (`batch_id`, `batch_line_no`): where the line is
    /// kept when its batch line still carries it ([`CarriedClaimLine`]).
    pub batch_line: Option<(Uuid, i64)>,
}

/// An 849 (in or out) to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewResponse {
    /// Id.
    pub id: Uuid,
    /// Partner (sender of an inbound 849).
    pub partner: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// ISA13.
    pub isa13: Option<String>,
    /// GS06.
    pub gs06: Option<String>,
    /// ST02.
    pub st02: Option<String>,
    /// Debit memo it answers.
    pub debit_memo: Option<String>,
    /// Matched claim.
    pub claim_id: Option<Uuid>,
    /// Match status.
    pub match_status: MatchStatus,
    /// Claimed total.
    pub total_claimed: Option<Decimal>,
    /// Approved total.
    pub total_approved: Option<Decimal>,
    /// Normalized document.
    pub document_id: Option<Uuid>,
    /// The engine's response (lines, outcomes).
    pub payload: Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// A stored response.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseRecord {
    /// The response; `at` is when it was received.
    pub response: NewResponse,
    /// Changed (linked).
    pub updated_at: DateTime<Utc>,
}

/// A cap (quantity and/or amount limit) whose row is locked while claims are created.
#[derive(Debug, Clone, PartialEq)]
pub struct CapRecord {
    /// Key chosen by the engine: contract lineage × item (× customer).
    pub cap_key: String,
    /// Contract.
    pub contract_id: Option<Uuid>,
    /// Item.
    pub item: Option<String>,
    /// Customer.
    pub customer: Option<String>,
    /// Approved quantity, NUMERIC(18,6).
    pub quantity_limit: Option<Decimal>,
    /// Approved amount, NUMERIC(18,2).
    pub amount_limit: Option<Decimal>,
    /// Payload.
    pub payload: Value,
    /// When set.
    pub updated_at: DateTime<Utc>,
}

/// A cap ledger movement.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCapEntry {
    /// Cap.
    pub cap_key: String,
    /// Batch of the line.
    pub batch_id: Option<Uuid>,
    /// Line.
    pub line_no: Option<i64>,
    /// The engine's id of the line (its PAD01 or 867 position).
    pub line_ref: Option<String>,
    /// Movement.
    pub kind: CapEntryKind,
    /// Quantity, NUMERIC(18,6).
    pub quantity: Decimal,
    /// Amount, NUMERIC(18,2).
    pub amount: Decimal,
    /// When.
    pub at: DateTime<Utc>,
}

/// A stored cap ledger movement.
#[derive(Debug, Clone, PartialEq)]
pub struct CapEntryRecord {
    /// Append order.
    pub id: i64,
    /// The movement.
    pub entry: NewCapEntry,
}

/// A GPO's roster memberships (the engine's list, as JSON), versioned.
#[derive(Debug, Clone, PartialEq)]
pub struct GpoMembershipsRecord {
    /// Normalized GPO id.
    pub gpo: String,
    /// Memberships in the list.
    pub members: i64,
    /// Optimistic-concurrency version (1 for the first write).
    pub version: i64,
    /// The memberships.
    pub payload: Value,
    /// When written.
    pub updated_at: DateTime<Utc>,
}

/// A supplier's reference prices (the engine's list, as JSON), versioned.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferencePricesRecord {
    /// Normalized supplier id.
    pub supplier: String,
    /// Price rows in the list.
    pub row_count: i64,
    /// Optimistic-concurrency version (1 for the first write).
    pub version: i64,
    /// The prices.
    pub payload: Value,
    /// When written.
    pub updated_at: DateTime<Utc>,
}

/// A roster file received for a GPO.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterUploadRecord {
    /// Id.
    pub id: Uuid,
    /// Normalized GPO id.
    pub gpo: String,
    /// `snapshot` or `delta`.
    pub mode: String,
    /// `applied` or `pending_approval`.
    pub status: String,
    /// Data rows in the file.
    pub row_count: i64,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// The parsed rows and what applying them did.
    pub payload: Value,
    /// When received.
    pub created_at: DateTime<Utc>,
    /// When last changed (applied).
    pub updated_at: DateTime<Utc>,
}

/// An immutable settlement instrument with its allocations to claims.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSettlement {
    /// Id.
    pub id: Uuid,
    /// Partner.
    pub partner: String,
    /// `credit_memo`, `check`, `deduction`, ...
    pub kind: String,
    /// Instrument number.
    pub number: String,
    /// Total, NUMERIC(18,2).
    pub amount: Decimal,
    /// Allocations `(claim id, amount)`.
    pub allocations: Vec<(Uuid, Decimal)>,
    /// Instrument details.
    pub payload: Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// A stored settlement.
pub type SettlementRecord = NewSettlement;

/// A dispute case to open (chargeback-rules 6.4 D1).
#[derive(Debug, Clone, PartialEq)]
pub struct NewDispute {
    /// Id.
    pub id: Uuid,
    /// Counterparty.
    pub partner: String,
    /// Claim disputed.
    pub claim_id: Option<Uuid>,
    /// Status.
    pub status: String,
    /// Amount, NUMERIC(18,2).
    pub amount: Decimal,
    /// Reason, evidence, due date, lines.
    pub payload: Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// A stored dispute case.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeRecord {
    /// Id.
    pub id: Uuid,
    /// Counterparty.
    pub partner: String,
    /// Claim.
    pub claim_id: Option<Uuid>,
    /// Status.
    pub status: String,
    /// Amount.
    pub amount: Decimal,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Payload.
    pub payload: Value,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
}
