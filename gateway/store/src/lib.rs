//! Persistence for the gateway and the engine: PostgreSQL in production, SQLite as the
//! embedded default, both behind one [`Store`] trait (design.md 7).
//!
//! - [`Store`] is what a process holds (`Arc<dyn Store>`): migrations, [`Store::begin`] for a
//!   write transaction, [`Store::reader`] for reads, and one-call helpers for the pipeline
//!   (transactions, idempotency records, document + outbox, control numbers).
//! - [`StoreTx`] is a database transaction: every write of the engine goes through it, and
//!   every state change takes the [`NewAuditEvent`] that describes it, written in the same
//!   transaction. Dropping a `StoreTx` without [`StoreTx::commit`] rolls it back.
//! - [`StoreRead`] holds the reads, available on a reader and inside a transaction.
//!
//! Entities keep typed key columns (searched, locked, summed) next to a JSON payload that is
//! the engine's own struct, so the engine can evolve without migrations. Migrations live in
//! `schemas/migrations/{postgres,sqlite}/NNNN_name.sql` and are embedded here.
//!
//! **Consumer idempotency** (design.md 6): a worker applying a bus message does, in one
//! transaction, `mark_processed` (false → already applied: roll back and ack), its reads and
//! writes with their audit events, then `commit`, and acks only after the commit. See
//! [`apply_once`].
//!
//! **Invariants:** money is `Decimal` end to end (NUMERIC in PostgreSQL, decimal strings in
//! SQLite, never floats) and a value that would be rounded by the column is refused; times
//! are arguments, never the database clock; nothing is deleted; audit events, contract
//! versions, cap ledger entries and settlements are append-only (enforced by triggers).

mod copy;
mod error;
mod model;
mod postgres;
mod queries;
mod session;
mod sql;
mod sqlite;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use error::{StoreError, StoreResult};
pub use model::*;
pub use postgres::PgStore;
pub use sql::Dialect;
pub use sqlite::SqliteStore;

/// A boxed future borrowing a transaction, for [`apply_once`].
pub type TxFuture<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

/// Reads, on a pooled connection ([`Store::reader`]) or inside a transaction.
#[async_trait]
pub trait StoreRead: Send {
    /// A pipeline transaction with its references.
    async fn get_transaction(&mut self, id: Uuid) -> StoreResult<Option<TransactionRecord>>;
    /// Transactions matching every given filter, newest first.
    async fn list_transactions(
        &mut self,
        filter: &TransactionFilter,
    ) -> StoreResult<Vec<TransactionRecord>>;
    /// Transactions whose parent is `parent`, oldest first.
    async fn child_transactions(&mut self, parent: Uuid) -> StoreResult<Vec<TransactionRecord>>;
    /// The first sighting of an interchange control number from a sender.
    async fn find_interchange(
        &mut self,
        partner: &str,
        isa13: &str,
    ) -> StoreResult<Option<InterchangeRecord>>;
    /// A normalized document by id.
    async fn get_document(&mut self, id: Uuid) -> StoreResult<Option<DocumentRecord>>;
    /// A normalized document by idempotency key.
    async fn find_document(&mut self, idempotency_key: &str)
    -> StoreResult<Option<DocumentRecord>>;
    /// Unsent outbox messages in publishing order.
    async fn pending_outbox(&mut self, limit: i64) -> StoreResult<Vec<OutboxRecord>>;
    /// Whether `consumer` already applied `message_id`.
    async fn is_processed(&mut self, consumer: &str, message_id: &str) -> StoreResult<bool>;
    /// A contract by id.
    async fn get_contract(&mut self, id: Uuid) -> StoreResult<Option<ContractRecord>>;
    /// A contract by its natural key.
    async fn find_contract(
        &mut self,
        partner: &str,
        supplier: &str,
        contract_number: &str,
    ) -> StoreResult<Option<ContractRecord>>;
    /// Every version of a contract, oldest first.
    async fn contract_versions(&mut self, contract_id: Uuid) -> StoreResult<Vec<ContractVersion>>;
    /// Every version of every contract, oldest received first (rebuilds the contract book).
    async fn all_contract_versions(&mut self) -> StoreResult<Vec<ContractVersion>>;
    /// How many contract versions exist; versions are append-only, so this changes exactly
    /// when one is added.
    async fn contract_version_count(&mut self) -> StoreResult<i64>;
    /// A batch by id.
    async fn get_batch(&mut self, id: Uuid) -> StoreResult<Option<BatchRecord>>;
    /// Batches matching `filter`, newest first.
    async fn list_batches(&mut self, filter: &EntityFilter) -> StoreResult<Vec<BatchRecord>>;
    /// Claims matching `filter` (split children too), newest first.
    async fn list_claims(&mut self, filter: &EntityFilter) -> StoreResult<Vec<ClaimRecord>>;
    /// A batch by number.
    async fn find_batch(&mut self, number: &str) -> StoreResult<Option<BatchRecord>>;
    /// The Open batch collecting `partner`'s lines of claim period `period_key`.
    async fn open_period_batch(
        &mut self,
        partner: &str,
        period_key: &str,
    ) -> StoreResult<Option<BatchRecord>>;
    /// Open collecting batches whose period ended on or before `through` (`YYYY-MM-DD`), of
    /// `partner` when given, oldest period first.
    async fn batches_due(
        &mut self,
        through: &str,
        partner: Option<&str>,
    ) -> StoreResult<Vec<BatchRecord>>;
    /// The sales reports recorded in a batch, in line order.
    async fn batch_reports(&mut self, batch_id: Uuid) -> StoreResult<Vec<BatchReport>>;
    /// The line number after the last sales report's lines in a batch (1 when it has none):
    /// where the next report's lines go. One index lookup, however many reports it holds.
    async fn next_report_line_no(&mut self, batch_id: Uuid) -> StoreResult<i64>;
    /// Chunk `chunk_no` (from 0) of the lines (a JSON array of sales lines) of `partner`'s
    /// report `report_id` while they wait for the cut of their claim period; `None` past its
    /// last chunk, once cut, or when never pending. The text is not checked to be JSON here:
    /// the caller parses it.
    async fn pending_report_chunk(
        &mut self,
        partner: &str,
        report_id: &str,
        chunk_no: i64,
    ) -> StoreResult<Option<String>>;
    /// Where `partner`'s sales report `report_id` went, if it was applied.
    async fn report_batch(
        &mut self,
        partner: &str,
        report_id: &str,
    ) -> StoreResult<Option<ReportBatch>>;
    /// A batch's lines in line order.
    async fn batch_lines(&mut self, batch_id: Uuid) -> StoreResult<Vec<BatchLineRecord>>;
    /// One page of a batch's lines ([`LinePage`]), in line order; the whole batch is never
    /// read for it.
    async fn batch_lines_page(
        &mut self,
        batch_id: Uuid,
        page: &LinePage,
    ) -> StoreResult<Vec<BatchLineRecord>>;
    /// A batch's lines counted and summed by status, by the database, in status order.
    async fn batch_line_totals(&mut self, batch_id: Uuid) -> StoreResult<Vec<BatchLineTotals>>;
    /// Earlier lines by duplicate-key columns (chargeback-rules 5.2).
    async fn find_batch_lines(&mut self, query: &LineQuery) -> StoreResult<Vec<BatchLineRecord>>;
    /// Lines of `partner`'s batches in `role` (`claimant`, `adjudicator`) with one of
    /// `invoices` (compared as duplicate keys compare them: ASCII whitespace and '-' ignored,
    /// ASCII case too), each with its batch's status, in batch creation and line order
    /// (duplicate and return history, chargeback-rules 5.2).
    async fn lines_for_invoices(
        &mut self,
        partner: &str,
        role: &str,
        invoices: &[String],
    ) -> StoreResult<Vec<(String, BatchLineRecord)>>;
    /// As [`StoreRead::lines_for_invoices`] for the next chunk of a batch streamed in chunks,
    /// `batch`: its own lines only when numbered below `before` and on one of `own` (a part of
    /// `invoices`; the stream keeps its other earlier lines). One lookup for both.
    async fn lines_for_chunk(
        &mut self,
        (partner, role): (&str, &str),
        invoices: &[String],
        batch: Uuid,
        (own, before): (&[String], i64),
    ) -> StoreResult<Vec<(String, BatchLineRecord)>>;
    /// The retro run of a contract version (chargeback-rules 5.3).
    async fn retro_run(
        &mut self,
        contract_id: Uuid,
        version_no: i64,
    ) -> StoreResult<Option<RetroRunRecord>>;
    /// Retro runs of version `version_no` of contracts numbered `contract_number`
    /// (normalized), one per contract (partners may share a number).
    async fn retro_runs_by_number(
        &mut self,
        contract_number: &str,
        version_no: i64,
    ) -> StoreResult<Vec<RetroRunRecord>>;
    /// Adjudicator batches held for review (Awaiting Review) with disputed lines of any of
    /// `contracts` (numbers as stored on the lines), oldest first: what a back-dated change
    /// revalidates (chargeback-rules 5.3).
    async fn held_batches_for_contracts(
        &mut self,
        contracts: &[String],
    ) -> StoreResult<Vec<BatchRecord>>;
    /// Lines of claimant batches reported or validated under one of `contracts`, each with its
    /// batch's status, in batch creation and line order (the past sales of a retro run).
    async fn lines_for_contracts(
        &mut self,
        contracts: &[String],
    ) -> StoreResult<Vec<(String, BatchLineRecord)>>;
    /// The lines of the top-level claims (not split children) cut from a batch, with their
    /// 849 outcomes, in claim and line order.
    async fn claim_lines_of_batch(&mut self, batch_id: Uuid) -> StoreResult<Vec<ClaimLineRecord>>;
    /// The top-level claims (not split children) of a batch, oldest first.
    async fn claims_of_batch(&mut self, batch_id: Uuid) -> StoreResult<Vec<ClaimRecord>>;
    /// A claim by id.
    async fn get_claim(&mut self, id: Uuid) -> StoreResult<Option<ClaimRecord>>;
    /// A claim by partner and number.
    async fn find_claim(
        &mut self,
        partner: &str,
        claim_number: &str,
    ) -> StoreResult<Option<ClaimRecord>>;
    /// A claim's lines in line order.
    async fn claim_lines(&mut self, claim_id: Uuid) -> StoreResult<Vec<ClaimLineRecord>>;
    /// One page of a claim's lines ([`LinePage`]; `statuses` as [`StoreRead::claim_lines`]
    /// reads them: a carried line is `open`), in line order.
    async fn claim_lines_page(
        &mut self,
        claim_id: Uuid,
        page: &LinePage,
    ) -> StoreResult<Vec<ClaimLineRecord>>;
    /// A claim's lines counted and summed by status, by the database, in status order.
    async fn claim_line_totals(&mut self, claim_id: Uuid) -> StoreResult<Vec<ClaimLineTotals>>;
    /// A response by id.
    async fn get_response(&mut self, id: Uuid) -> StoreResult<Option<ResponseRecord>>;
    /// The Unmatched Responses queue: unmatched or partially matched, oldest first.
    async fn unmatched_responses(
        &mut self,
        partner: Option<&str>,
    ) -> StoreResult<Vec<ResponseRecord>>;
    /// One page ([`ListPage`]) of the Unmatched Responses queue, of `partner` when given,
    /// newest received first.
    async fn unmatched_responses_page(
        &mut self,
        partner: Option<&str>,
        page: &ListPage,
    ) -> StoreResult<Vec<ResponseRecord>>;
    /// Responses linked to a claim, oldest first (a later 849 supersedes, both are kept).
    async fn responses_for_claim(&mut self, claim_id: Uuid) -> StoreResult<Vec<ResponseRecord>>;
    /// The ledgers of `cap_keys` in append order (one query, however many caps).
    async fn cap_entries(&mut self, cap_keys: &[String]) -> StoreResult<Vec<CapEntryRecord>>;
    /// A GPO's roster memberships.
    async fn gpo_memberships(&mut self, gpo: &str) -> StoreResult<Option<GpoMembershipsRecord>>;
    /// Every GPO's roster memberships, by GPO.
    async fn all_gpo_memberships(&mut self) -> StoreResult<Vec<GpoMembershipsRecord>>;
    /// A number that grows with every membership write (the sum of their versions).
    async fn membership_generation(&mut self) -> StoreResult<i64>;
    /// A roster upload.
    async fn get_roster_upload(&mut self, id: Uuid) -> StoreResult<Option<RosterUploadRecord>>;
    /// A supplier's reference prices.
    async fn reference_prices(
        &mut self,
        supplier: &str,
    ) -> StoreResult<Option<ReferencePricesRecord>>;
    /// Every supplier's reference prices, by supplier.
    async fn all_reference_prices(&mut self) -> StoreResult<Vec<ReferencePricesRecord>>;
    /// A number that grows with every reference price write (the sum of their versions).
    async fn reference_price_generation(&mut self) -> StoreResult<i64>;
    /// Settlements with an allocation to the claim.
    async fn settlements_for_claim(&mut self, claim_id: Uuid)
    -> StoreResult<Vec<SettlementRecord>>;
    /// The claim transmission to `partner` that went out under interchange (ISA13) or group
    /// (GS06) control number `number` (chargeback-rules 7.1).
    async fn find_claim_transmission(
        &mut self,
        partner: &str,
        level: ControlLevel,
        number: i64,
    ) -> StoreResult<Option<ClaimTransmission>>;
    /// A claim's transmissions, first send first.
    async fn claim_transmissions(&mut self, claim_id: Uuid) -> StoreResult<Vec<ClaimTransmission>>;
    /// A dispute case by id.
    async fn get_dispute(&mut self, id: Uuid) -> StoreResult<Option<DisputeRecord>>;
    /// Dispute cases of a claim.
    async fn disputes_for_claim(&mut self, claim_id: Uuid) -> StoreResult<Vec<DisputeRecord>>;
    /// Dispute cases in any of `statuses` (e.g. the open ones), oldest first.
    async fn disputes_with_status(
        &mut self,
        statuses: &[String],
    ) -> StoreResult<Vec<DisputeRecord>>;
    /// One page ([`ListPage`]) of the dispute cases in any of `statuses` (none: no case), of
    /// `partner` when given, newest first.
    async fn list_disputes(
        &mut self,
        statuses: &[String],
        partner: Option<&str>,
        page: &ListPage,
    ) -> StoreResult<Vec<DisputeRecord>>;
    /// The audit trail of an entity in append order.
    async fn audit_events(
        &mut self,
        entity: &str,
        entity_id: &str,
    ) -> StoreResult<Vec<AuditRecord>>;
    /// An outbound AS2 message by Message-ID (without angle brackets).
    async fn get_as2_outbound(
        &mut self,
        message_id: &str,
    ) -> StoreResult<Option<As2OutboundRecord>>;
    /// Outbound AS2 messages awaiting their asynchronous MDN, last posted before
    /// `sent_before`, oldest first.
    async fn as2_awaiting_mdn(
        &mut self,
        sent_before: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<As2OutboundRecord>>;
}

/// One database transaction. Writes are visible to others only after [`StoreTx::commit`];
/// dropping the handle rolls back. After an error, roll back (PostgreSQL aborts the
/// transaction on any failed statement).
#[async_trait]
pub trait StoreTx: StoreRead {
    /// Commits every write made through this handle, audit events included.
    async fn commit(self: Box<Self>) -> StoreResult<()>;
    /// Discards every write made through this handle.
    async fn rollback(self: Box<Self>) -> StoreResult<()>;

    /// Sets a savepoint named `name` (letters, digits and `_`): writes made after it can be
    /// undone with [`StoreTx::rollback_to_savepoint`] while the transaction goes on.
    async fn savepoint(&mut self, name: &str) -> StoreResult<()>;
    /// Undoes every write made since [`StoreTx::savepoint`] `name`, which stays set.
    async fn rollback_to_savepoint(&mut self, name: &str) -> StoreResult<()>;

    /// Appends an audit event for a change made in this transaction.
    async fn append_audit(&mut self, event: &NewAuditEvent) -> StoreResult<i64>;
    /// Appends many audit events, in order, in bulk; returns how many.
    async fn append_audits(&mut self, events: &[NewAuditEvent]) -> StoreResult<u64>;
    /// Marks `message_id` applied by `consumer`; `false` when it already was (then nothing
    /// else should be written: roll back and ack). On PostgreSQL a concurrent delivery of the
    /// same message waits here until the first transaction ends.
    async fn mark_processed(
        &mut self,
        consumer: &str,
        message_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Records a pipeline transaction (and its creation audit event).
    async fn insert_transaction(&mut self, tx: &NewTransaction) -> StoreResult<()>;
    /// Moves a transaction to a step/state; writes the audit event itself; entering
    /// `processing` counts an attempt. `NotFound` if there is no such transaction.
    async fn update_transaction(&mut self, update: &TransactionUpdate) -> StoreResult<()>;
    /// Dismisses a failed transaction ([`TxState::Dismissed`]) with the audit event naming
    /// who and why (the error column is kept), and with it its failed children of the same
    /// direction (a file's failed sets, each with its own event); returns the transaction as
    /// it now is.
    /// `NotFound` if there is no such transaction, `NotFailed` with its state if it is not
    /// failed (a second dismissal included).
    async fn dismiss_transaction(
        &mut self,
        dismissal: &TransactionDismissal,
    ) -> StoreResult<TransactionRecord>;
    /// Undoes a dismissal ([`TxState::Dismissed`] back to [`TxState::Failed`]: on the failed
    /// queue and replayable again), with the audit event naming who and why (`restored`), and
    /// with it the sets of a file that were dismissed with it (not one dismissed on its own);
    /// `restoral` says who, why and when. Returns the transaction as it now is.
    /// `NotFound` if there is no such transaction, `NotDismissed` with its state if it is not
    /// dismissed.
    async fn restore_transaction(
        &mut self,
        restoral: &TransactionDismissal,
    ) -> StoreResult<TransactionRecord>;
    /// Adds searchable references; existing ones are kept.
    async fn add_transaction_refs(&mut self, id: Uuid, refs: &[TransactionRef]) -> StoreResult<()>;
    /// `true` if the file was not seen before from this partner.
    async fn record_inbound_file(&mut self, file: &InboundFile) -> StoreResult<bool>;
    /// `true` if the ISA13 was not seen before from this sender.
    async fn record_interchange(&mut self, interchange: &InterchangeRecord) -> StoreResult<bool>;
    /// Records an inbound AS2 Message-ID with the SHA-256 (hex) of its payload, unless the
    /// partner sent it before: then what it came with the first time.
    async fn record_as2_message(
        &mut self,
        partner: &str,
        message_id: &str,
        sha256: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<As2Seen>;
    /// Records an outbound AS2 message before its first POST (status `sending`, no attempts);
    /// a message under the same Message-ID is replaced (a failed one sent again).
    async fn put_as2_outbound(&mut self, message: &NewAs2Outbound) -> StoreResult<()>;
    /// Counts a POST of an unsettled AS2 message that had `seen_attempts` attempts (and sets
    /// `sent_at`); `false` when it is settled or someone else counted first.
    async fn claim_as2_attempt(
        &mut self,
        message_id: &str,
        seen_attempts: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Moves an AS2 message from one of `from` to `to`; `false` (nothing written) when it is in
    /// none of them, e.g. an MDN that came twice.
    async fn transition_as2_outbound(
        &mut self,
        message_id: &str,
        from: &[As2OutboundStatus],
        to: As2OutboundStatus,
        detail: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Stores a document; `false` (nothing written) if its idempotency key exists.
    async fn insert_document(&mut self, doc: &NewDocument) -> StoreResult<bool>;
    /// [`StoreTx::insert_document`] of a body read as it is stored: on PostgreSQL it goes
    /// from `doc.body` to the server a MiB at a time, never held (SQLite binds a value whole,
    /// so it reads the body into memory first). `StoreError::Read` when the body cannot be
    /// read or is not `len` bytes.
    async fn insert_spooled_document(
        &mut self,
        doc: NewDocument<SpooledBody<'_>>,
    ) -> StoreResult<bool>;
    /// Queues a message; `false` (nothing written) if its message id exists.
    async fn insert_outbox(&mut self, message: &OutboxMessage) -> StoreResult<bool>;
    /// Queues a message whose payload is the body of the stored document `document_id`, byte
    /// for byte: the row points at the document instead of holding a second copy (a sales
    /// report's 844 is megabytes), and [`StoreRead::pending_outbox`] reads the body in its
    /// place. `message.payload` is not stored (leave it empty). `false` (nothing written) if
    /// the message id exists.
    async fn insert_outbox_for_document(
        &mut self,
        message: &OutboxMessage,
        document_id: Uuid,
    ) -> StoreResult<bool>;
    /// Marks an outbox row confirmed by a durable broker: sent and settled at once (the first
    /// confirm time is kept).
    async fn mark_sent(&mut self, id: i64, at: DateTime<Utc>) -> StoreResult<()>;
    /// Marks an outbox row handed to a bus that does not outlive the process (the in-process
    /// bus): sent, so the relay does not publish it again, but not settled until
    /// [`StoreTx::mark_settled`]; [`StoreTx::requeue_unsettled`] makes it pending again.
    async fn mark_published(&mut self, id: i64, at: DateTime<Utc>) -> StoreResult<()>;
    /// Marks the rows of `message_ids` settled (their every consumer acked or parked them); an
    /// id already settled or of no row is skipped. Returns how many rows were marked.
    async fn mark_settled(&mut self, message_ids: &[String], at: DateTime<Utc>)
    -> StoreResult<u64>;
    /// Makes every row sent but never settled pending again (its message was handed to an
    /// in-process bus that stopped before it was consumed); returns how many. Run by the relay
    /// before its first pass on such a bus.
    async fn requeue_unsettled(&mut self) -> StoreResult<u64>;
    /// Counts a failed publish attempt.
    async fn record_publish_failure(&mut self, id: i64, error: &str) -> StoreResult<()>;
    /// Allocates the next control number in `range` (inclusive) for `key`: the first call
    /// gives `range.0`, then each call one more, never a number given before (a range moved
    /// up starts at its new start). `RangeExhausted` past `range.1`. Committed with this
    /// transaction, so allocate in the transaction that records the outbound file.
    async fn allocate_control_number(
        &mut self,
        key: &ControlNumberKey,
        range: (u32, u32),
        at: DateTime<Utc>,
    ) -> StoreResult<u32>;

    /// Creates a contract (version 1). `Duplicate` on its natural key.
    async fn insert_contract(
        &mut self,
        contract: &NewContract,
        audit: &NewAuditEvent,
    ) -> StoreResult<()>;
    /// Changes a contract's status and payload; returns the new version or `Conflict`.
    async fn update_contract(
        &mut self,
        update: &EntityUpdate,
        audit: &NewAuditEvent,
    ) -> StoreResult<i64>;
    /// Adds an immutable contract version. `Duplicate` if the number exists.
    async fn insert_contract_version(
        &mut self,
        version: &ContractVersion,
        audit: &NewAuditEvent,
    ) -> StoreResult<()>;
    /// Creates a batch (version 1). `Duplicate` on its number.
    async fn insert_batch(&mut self, batch: &NewBatch, audit: &NewAuditEvent) -> StoreResult<()>;
    /// Changes a batch's status and payload; returns the new version or `Conflict`.
    async fn update_batch(
        &mut self,
        update: &EntityUpdate,
        audit: &NewAuditEvent,
    ) -> StoreResult<i64>;
    /// Inserts lines in bulk (multi-row inserts); one audit event for the whole insert.
    /// Lines that carry a claim line need their batch's carrying claim
    /// ([`StoreTx::carry_claim_lines`]) first.
    async fn insert_batch_lines(
        &mut self,
        batch_id: Uuid,
        lines: &[NewBatchLine],
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<u64>;
    /// Marks a batch as the collecting batch of claim period `period_key`, ending `period_end`.
    async fn set_batch_period(
        &mut self,
        id: Uuid,
        period_key: &str,
        period_end: &str,
    ) -> StoreResult<()>;
    /// Records where a sales report's lines went; `pending` when they wait for their
    /// period's cut, kept by [`StoreTx::insert_pending_chunk`]. `false` (nothing written)
    /// when it was recorded before.
    async fn record_report_batch(
        &mut self,
        partner: &str,
        report_id: &str,
        to: &ReportBatch,
        pending: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Keeps chunk `chunk_no` (0, 1, ... in line order) of a pending report's lines, a JSON
    /// array of sales lines, until its period's cut.
    async fn insert_pending_chunk(
        &mut self,
        partner: &str,
        report_id: &str,
        chunk_no: i64,
        lines: &JsonText,
    ) -> StoreResult<()>;
    /// Forgets the pending lines of a batch's reports once they are batch lines.
    async fn clear_pending_reports(&mut self, batch_id: Uuid) -> StoreResult<u64>;
    /// Writes many lines' new states in bulk; one audit event for the whole update.
    async fn update_batch_lines(
        &mut self,
        batch_id: Uuid,
        lines: &[BatchLineState],
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<u64>;
    /// Changes one line's status, amounts, claim link and payload.
    async fn update_batch_line(
        &mut self,
        update: &BatchLineUpdate,
        audit: &NewAuditEvent,
    ) -> StoreResult<()>;
    /// Creates a claim (version 1). `Duplicate` on (partner, claim number).
    async fn insert_claim(&mut self, claim: &NewClaim, audit: &NewAuditEvent) -> StoreResult<()>;
    /// Changes a claim's status, amount and payload; returns the new version or `Conflict`.
    async fn update_claim(
        &mut self,
        update: &EntityUpdate,
        audit: &NewAuditEvent,
    ) -> StoreResult<i64>;
    /// Marks claim `claim_id`, a top-level claim cut from a batch, as the one whose lines
    /// that batch's lines carry ([`CarriedClaimLine`]); `NotFound` for any other claim, and
    /// an error when another claim of the batch carries lines already.
    async fn carry_claim_lines(&mut self, claim_id: Uuid) -> StoreResult<()>;
    /// Inserts claim lines in bulk; one audit event.
    async fn insert_claim_lines(
        &mut self,
        claim_id: Uuid,
        lines: &[NewClaimLine],
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<u64>;
    /// Records claim lines' outcomes with their audit events (one each, or one for all), in
    /// bulk; a line its batch line still carries is written whole to `claim_lines` (found by
    /// [`ClaimLineUpdate::batch_line`]). `NotFound` when any line is missing.
    async fn update_claim_lines(
        &mut self,
        updates: &[ClaimLineUpdate],
        audit: &[NewAuditEvent],
    ) -> StoreResult<u64>;
    /// Stores an 849; `false` (nothing written) if one with the same partner, direction and
    /// control numbers exists.
    async fn insert_response(
        &mut self,
        response: &NewResponse,
        audit: &NewAuditEvent,
    ) -> StoreResult<bool>;
    /// Links an unmatched response to a claim and sets its match status; `NotFound` when no
    /// unmatched response has that id (it was linked meanwhile).
    async fn link_response(
        &mut self,
        id: Uuid,
        claim_id: Option<Uuid>,
        status: MatchStatus,
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<()>;
    /// Creates or replaces a cap definition.
    async fn upsert_cap(&mut self, cap: &CapRecord, audit: &NewAuditEvent) -> StoreResult<()>;
    /// Reads caps and locks them until this transaction ends (PostgreSQL `FOR UPDATE`, in
    /// bytewise key order whatever the order given, so concurrent transactions never lock two
    /// caps in opposite orders; SQLite write transactions are exclusive already). Any number
    /// of keys (several statements past 10,000); the caps found, in that order.
    async fn lock_caps(&mut self, keys: &[String]) -> StoreResult<Vec<CapRecord>>;
    /// Appends cap ledger movements; they are audited by the line transitions that cause them.
    async fn append_cap_entries(&mut self, entries: &[NewCapEntry]) -> StoreResult<()>;
    /// Writes a GPO's memberships: a new row when `expected_version` is `None`, else only over
    /// that version (`Conflict` otherwise). Returns the new version.
    async fn put_gpo_memberships(
        &mut self,
        record: &GpoMembershipsRecord,
        expected_version: Option<i64>,
        audit: &NewAuditEvent,
    ) -> StoreResult<i64>;
    /// Writes a supplier's reference prices: a new row when `expected_version` is `None`, else
    /// only over that version (`Conflict` otherwise). Returns the new version.
    async fn put_reference_prices(
        &mut self,
        record: &ReferencePricesRecord,
        expected_version: Option<i64>,
        audit: &NewAuditEvent,
    ) -> StoreResult<i64>;
    /// Records a roster upload (`applied` or `pending_approval`).
    async fn insert_roster_upload(
        &mut self,
        upload: &RosterUploadRecord,
        audit: &NewAuditEvent,
    ) -> StoreResult<()>;
    /// Marks a held roster upload applied (from `pending_approval` at `expected_version` only).
    async fn mark_roster_upload_applied(
        &mut self,
        id: Uuid,
        expected_version: i64,
        payload: &serde_json::Value,
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<i64>;
    /// Stores an immutable settlement instrument with its allocations.
    async fn insert_settlement(
        &mut self,
        settlement: &NewSettlement,
        audit: &NewAuditEvent,
    ) -> StoreResult<()>;
    /// Records an 844 sent for a claim (status `sent`, no control numbers yet).
    async fn insert_claim_transmission(
        &mut self,
        transmission: &NewClaimTransmission,
        audit: &NewAuditEvent,
    ) -> StoreResult<()>;
    /// Gives the transmission carried by outbox message `message_id` the (ISA13, GS06, ST02)
    /// it was rendered with; `false` (nothing written) when there is no such transmission or
    /// it has numbers already. Call it in the transaction that allocates the numbers.
    async fn link_claim_transmission(
        &mut self,
        message_id: &str,
        numbers: (i64, i64, i64),
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<bool>;
    /// Records the acknowledgment that answered a transmission still `sent`; `false`
    /// (nothing written) when it was answered before.
    async fn answer_claim_transmission(
        &mut self,
        message_id: &str,
        status: TransmissionStatus,
        answered_by: &str,
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<bool>;
    /// Records a back-dated contract version's retro run as `pending` (chargeback-rules 5.3).
    async fn insert_retro_run(
        &mut self,
        run: &RetroRunRecord,
        audit: &NewAuditEvent,
    ) -> StoreResult<()>;
    /// Marks a pending retro run `done` with what it made; `false` (nothing written) when it
    /// was done before.
    async fn finish_retro_run(
        &mut self,
        contract_id: Uuid,
        version_no: i64,
        approved_by: &str,
        payload: &serde_json::Value,
        at: DateTime<Utc>,
        audit: &NewAuditEvent,
    ) -> StoreResult<bool>;
    /// Opens a dispute case (version 1).
    async fn insert_dispute(
        &mut self,
        dispute: &NewDispute,
        audit: &NewAuditEvent,
    ) -> StoreResult<()>;
    /// Changes a dispute case; returns the new version or `Conflict`.
    async fn update_dispute(
        &mut self,
        update: &EntityUpdate,
        audit: &NewAuditEvent,
    ) -> StoreResult<i64>;
}

/// A database: PostgreSQL ([`PgStore`]) or SQLite ([`SqliteStore`]).
#[async_trait]
pub trait Store: Send + Sync {
    /// Which backend this is.
    fn dialect(&self) -> Dialect;
    /// Applies the embedded migrations not yet applied; harmless to repeat.
    async fn migrate(&self) -> StoreResult<()>;
    /// Starts a write transaction (SQLite: `BEGIN IMMEDIATE`, so writers queue instead of
    /// failing on lock upgrade).
    async fn begin(&self) -> StoreResult<Box<dyn StoreTx>>;
    /// A pooled connection for reads, outside any transaction.
    async fn reader(&self) -> StoreResult<Box<dyn StoreRead>>;
    /// Closes the pool, waiting for connections in use to be returned.
    async fn close(&self);

    /// [`StoreTx::insert_transaction`] in its own transaction.
    async fn insert_transaction(&self, tx: &NewTransaction) -> StoreResult<()> {
        let mut t = self.begin().await?;
        t.insert_transaction(tx).await?;
        t.commit().await
    }

    /// [`StoreTx::update_transaction`] in its own transaction.
    async fn update_transaction(&self, update: &TransactionUpdate) -> StoreResult<()> {
        let mut t = self.begin().await?;
        t.update_transaction(update).await?;
        t.commit().await
    }

    /// [`StoreTx::dismiss_transaction`] in its own transaction.
    async fn dismiss_transaction(
        &self,
        dismissal: &TransactionDismissal,
    ) -> StoreResult<TransactionRecord> {
        let mut t = self.begin().await?;
        let record = t.dismiss_transaction(dismissal).await?;
        t.commit().await?;
        Ok(record)
    }

    /// [`StoreTx::restore_transaction`] in its own transaction.
    async fn restore_transaction(
        &self,
        restoral: &TransactionDismissal,
    ) -> StoreResult<TransactionRecord> {
        let mut t = self.begin().await?;
        let record = t.restore_transaction(restoral).await?;
        t.commit().await?;
        Ok(record)
    }

    /// [`StoreRead::get_transaction`].
    async fn get_transaction(&self, id: Uuid) -> StoreResult<Option<TransactionRecord>> {
        self.reader().await?.get_transaction(id).await
    }

    /// [`StoreRead::list_transactions`].
    async fn list_transactions(
        &self,
        filter: &TransactionFilter,
    ) -> StoreResult<Vec<TransactionRecord>> {
        self.reader().await?.list_transactions(filter).await
    }

    /// [`StoreRead::child_transactions`].
    async fn child_transactions(&self, parent: Uuid) -> StoreResult<Vec<TransactionRecord>> {
        self.reader().await?.child_transactions(parent).await
    }

    /// [`StoreTx::record_inbound_file`] in its own transaction.
    async fn record_inbound_file(&self, file: &InboundFile) -> StoreResult<bool> {
        let mut t = self.begin().await?;
        let new = t.record_inbound_file(file).await?;
        t.commit().await?;
        Ok(new)
    }

    /// [`StoreTx::record_interchange`] in its own transaction.
    async fn record_interchange(&self, interchange: &InterchangeRecord) -> StoreResult<bool> {
        let mut t = self.begin().await?;
        let new = t.record_interchange(interchange).await?;
        t.commit().await?;
        Ok(new)
    }

    /// [`StoreTx::record_as2_message`] in its own transaction.
    async fn record_as2_message(
        &self,
        partner: &str,
        message_id: &str,
        sha256: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<As2Seen> {
        let mut t = self.begin().await?;
        let seen = t
            .record_as2_message(partner, message_id, sha256, at)
            .await?;
        t.commit().await?;
        Ok(seen)
    }

    /// [`StoreRead::get_as2_outbound`].
    async fn get_as2_outbound(&self, message_id: &str) -> StoreResult<Option<As2OutboundRecord>> {
        self.reader().await?.get_as2_outbound(message_id).await
    }

    /// [`StoreRead::as2_awaiting_mdn`].
    async fn as2_awaiting_mdn(
        &self,
        sent_before: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<As2OutboundRecord>> {
        self.reader()
            .await?
            .as2_awaiting_mdn(sent_before, limit)
            .await
    }

    /// [`StoreTx::put_as2_outbound`] in its own transaction.
    async fn put_as2_outbound(&self, message: &NewAs2Outbound) -> StoreResult<()> {
        let mut t = self.begin().await?;
        t.put_as2_outbound(message).await?;
        t.commit().await
    }

    /// [`StoreTx::claim_as2_attempt`] in its own transaction.
    async fn claim_as2_attempt(
        &self,
        message_id: &str,
        seen_attempts: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut t = self.begin().await?;
        let claimed = t.claim_as2_attempt(message_id, seen_attempts, at).await?;
        t.commit().await?;
        Ok(claimed)
    }

    /// Stores a document and the message announcing it in one transaction (design.md 6).
    /// `Ok(false)`: the document's idempotency key exists, nothing was written (a replay).
    /// `Err(Duplicate)`: the document is new but the message id is taken; nothing was
    /// written.
    async fn insert_document_with_outbox(
        &self,
        doc: &NewDocument,
        message: &OutboxMessage,
    ) -> StoreResult<bool> {
        let mut t = self.begin().await?;
        if !t.insert_document(doc).await? {
            t.rollback().await?;
            return Ok(false);
        }
        if !t.insert_outbox(message).await? {
            t.rollback().await?;
            return Err(StoreError::Duplicate {
                what: format!("outbox message_id {}", message.message_id),
            });
        }
        t.commit().await?;
        Ok(true)
    }

    /// [`StoreRead::pending_outbox`].
    async fn pending_outbox(&self, limit: i64) -> StoreResult<Vec<OutboxRecord>> {
        self.reader().await?.pending_outbox(limit).await
    }

    /// [`StoreTx::mark_sent`] in its own transaction.
    async fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        let mut t = self.begin().await?;
        t.mark_sent(id, at).await?;
        t.commit().await
    }

    /// [`StoreTx::mark_published`] in its own transaction.
    async fn mark_published(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        let mut t = self.begin().await?;
        t.mark_published(id, at).await?;
        t.commit().await
    }

    /// [`StoreTx::mark_settled`] in its own transaction.
    async fn mark_settled(&self, message_ids: &[String], at: DateTime<Utc>) -> StoreResult<u64> {
        let mut t = self.begin().await?;
        let n = t.mark_settled(message_ids, at).await?;
        t.commit().await?;
        Ok(n)
    }

    /// [`StoreTx::requeue_unsettled`] in its own transaction.
    async fn requeue_unsettled(&self) -> StoreResult<u64> {
        let mut t = self.begin().await?;
        let n = t.requeue_unsettled().await?;
        t.commit().await?;
        Ok(n)
    }

    /// [`StoreTx::record_publish_failure`] in its own transaction.
    async fn record_publish_failure(&self, id: i64, error: &str) -> StoreResult<()> {
        let mut t = self.begin().await?;
        t.record_publish_failure(id, error).await?;
        t.commit().await
    }

    /// [`StoreTx::allocate_control_number`] in its own transaction.
    async fn allocate_control_number(
        &self,
        key: &ControlNumberKey,
        range: (u32, u32),
        at: DateTime<Utc>,
    ) -> StoreResult<u32> {
        let mut t = self.begin().await?;
        let n = t.allocate_control_number(key, range, at).await?;
        t.commit().await?;
        Ok(n)
    }

    /// [`StoreRead::unmatched_responses`].
    async fn unmatched_responses(&self, partner: Option<&str>) -> StoreResult<Vec<ResponseRecord>> {
        self.reader().await?.unmatched_responses(partner).await
    }

    /// [`StoreRead::audit_events`].
    async fn audit_events(&self, entity: &str, entity_id: &str) -> StoreResult<Vec<AuditRecord>> {
        self.reader().await?.audit_events(entity, entity_id).await
    }
}

/// What [`apply_once`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied<T> {
    /// The message was new: `apply` ran and its writes committed with the mark.
    Applied(T),
    /// The consumer had applied this message before; nothing ran or changed.
    AlreadyApplied,
}

/// Applies a bus message at most once for `consumer`: in one transaction, marks
/// `message_id` processed, runs `apply` (its writes and audit events), and commits. A message
/// applied before changes nothing. If `apply` fails, everything rolls back, the mark too, so
/// a redelivery tries again. Ack the delivery only after this returns `Ok`.
///
/// ```no_run
/// # use store::*;
/// # async fn consume(store: std::sync::Arc<dyn Store>, message_id: String, batch: NewBatch)
/// # -> StoreResult<()> {
/// let now = chrono::Utc::now();
/// let audit = NewAuditEvent::new("system", "batch", batch.id.to_string(), "B1", now)
///     .transition(None, "open")
///     .correlation(message_id.clone());
/// let outcome = apply_once(&*store, "engine.sales", &message_id, now, move |tx| {
///     Box::pin(async move {
///         tx.insert_batch(&batch, &audit).await?;
///         Ok(batch.id)
///     })
/// })
/// .await?;
/// // Ack the delivery now, whether `Applied` or `AlreadyApplied`.
/// # let _ = outcome;
/// # Ok(())
/// # }
/// ```
pub async fn apply_once<T, F>(
    store: &dyn Store,
    consumer: &str,
    message_id: &str,
    at: DateTime<Utc>,
    apply: F,
) -> StoreResult<Applied<T>>
where
    T: Send,
    F: for<'a> FnOnce(&'a mut dyn StoreTx) -> TxFuture<'a, T> + Send,
{
    let mut tx = store.begin().await?;
    if !tx.mark_processed(consumer, message_id, at).await? {
        tx.rollback().await?;
        return Ok(Applied::AlreadyApplied);
    }
    match apply(&mut *tx).await {
        Ok(value) => {
            tx.commit().await?;
            Ok(Applied::Applied(value))
        }
        Err(e) => {
            // The rollback error, if any, is less useful than the cause.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

/// Creates the PostgreSQL database a URL names when the server does not have it yet, so a
/// fresh server needs no manual `CREATE DATABASE`; other URLs are left alone.
pub async fn ensure_database(url: &str) -> StoreResult<()> {
    use sqlx::migrate::MigrateDatabase;
    if (url.starts_with("postgres://") || url.starts_with("postgresql://"))
        && !sqlx::Postgres::database_exists(url).await?
    {
        tracing::info!("creating the database");
        sqlx::Postgres::create_database(url).await?;
    }
    Ok(())
}

/// Opens the store named by a URL: `postgres://…`/`postgresql://…` or `sqlite:…`, without
/// migrating (call [`Store::migrate`]).
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}
