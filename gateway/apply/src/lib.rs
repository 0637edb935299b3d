//! The engine applied through the store: each normalized document or analyst action is one
//! database transaction (idempotency mark, engine step, writes, audit events, outbox).
//!
//! - [`apply_document`] applies a document received as a bus message: `mark_processed` (a
//!   message applied before gives [`Applied::AlreadyApplied`] and writes nothing), the engine
//!   step, the entity rows with their audit events, and outbound documents with their outbox
//!   messages, then commit. A document whose content was applied before under another
//!   message id (same contract version, report id, debit memo or 849 control numbers) writes
//!   nothing either.
//! - [`apply_batch_action`] applies a reviewer's action under optimistic concurrency: a stale
//!   `expected_version` is [`ApplyError::Conflict`] and writes nothing.
//! - [`apply_claim_settlement`] records a settlement instrument on a claim (C15, C16) under
//!   the same optimistic concurrency.
//! - [`apply_claim_action`] applies a user's action on a claim (submit, approve, reject,
//!   reopen, cancel, split: C2–C6, 8.4) the same way, so a split child has its own lifecycle.
//! - [`apply_retro_approval`] approves the pending retro run of a back-dated contract version
//!   (chargeback-rules 5.3): past sales re-evaluated, Retro batches written; a rerun creates
//!   nothing.
//! - [`Partners`] holds each partner's role and engine settings (converted from its profile)
//!   and the in-process cache of the contract book, rebuilt from the stored contract versions
//!   whenever another transaction added one.
//! - [`outbox_message`] is the outbox row for a document, inbound or outbound.
//! - [`cut_due`] cuts the claim periods that have ended (`claim_trigger` Daily, Weekly,
//!   Monthly: a sales report waits, unprocessed, in the Open batch of its period until
//!   then), [`cut_batch`] one batch; each batch in one transaction, idempotent.
//! - [`apply_roster_upload`] applies a GPO roster CSV to the stored memberships (or holds a
//!   snapshot deactivating over 5 %), [`approve_roster_upload`] applies a held one.
//! - [`load_reference_prices`] loads a supplier's reference price list (WAC or book cost per
//!   item, effective-dated) into its stored reference prices, which V8 prices with when a
//!   contract states none; [`reference_prices_page`] lists them.
//! - Caps (chargeback-rules 5.1): contract versions write their caps' rows; sales reports,
//!   batch actions and adjudicated claims replay the stored cap ledger and append to it.
//!
//! Flows per document type (partner role from the profile):
//! `contract` (supplier) -> new contract or version; `sales_report` (distributor) -> kept in
//! the batch of its claim period until the period is cut (then its lines are validated
//! V0..V10 and the batch ended, in one transaction) or, with an Immediate trigger, one batch
//! per invoice processed at once (Immediate Claim sends the 844 at once); `claim` (distributor) ->
//! adjudicated, 849 outbound; `claim_response` (supplier) -> reconciled against our claim or
//! kept unmatched (C14 when every line has a final outcome); `acknowledgment` -> recorded, and
//! when it answers an 844 we sent, the claim is Acknowledged (C12) or resent (C13).

#![forbid(unsafe_code)]

mod action;
mod audit;
mod book;
mod caps;
mod claim_action;
mod claim_answer;
mod claim_in;
mod claim_out;
mod contract;
mod corrections;
mod cut;
mod dispute;
mod error;
mod line_source;
mod outbox;
mod partners;
mod reference_prices;
mod response;
mod resubmit;
mod retro;
mod roster;
mod sales;
mod settle;
mod spool;
mod state;
mod transmission;

use chrono::{DateTime, NaiveDate, Utc};
use schemas::Document;
use store::{Store, StoreTx};
use uuid::Uuid;

pub use action::ActionOutcome;
pub use claim_action::{ClaimAction, ClaimActionOutcome};
pub use claim_answer::held_for_review;
pub use corrections::{
    CorrectionOutcome, DisputeExport, DisputeFile, export_disputes, import_dispute_corrections,
};
pub use cut::{CutBatch, cut_batch, cut_due};
pub use dispute::{
    DisputeAction, DisputeOutcome, OpenDispute, apply_dispute_action, expire_disputes, open_dispute,
};
pub use engine::batch::BatchAction;
pub use engine::claims::{Instrument, SettlementMethod};
pub use engine::rosters::RosterMode;
pub use error::ApplyError;
pub use outbox::{
    EXCHANGE, inbound_routing_key, outbound_message_id, outbound_routing_key, outbox_message,
};
pub use partners::{Partner, PartnerRole, Partners, convert as partner_from_profile};
pub use reference_prices::{
    ListedPrice, PriceListOutcome, PricePage, PriceQuery, load_reference_prices,
    reference_prices_page,
};
pub use resubmit::{Resubmission, ResubmissionOutcome, resubmit_claim};
pub use retro::{RetroBatch, RetroOutcome, RetroResult};
pub use roster::{RosterOutcome, apply_roster_upload, approve_roster_upload};
pub use sales::{
    batch_number, find_report_batch, locate_batch, period_batch_number, sales_batch_header,
};
pub use settle::{
    Allocation, AllocationProposal, MassSettlement, MassSettlementOutcome, SettlementOutcome,
    propose_allocations,
};
pub use state::{CHUNK_LINES, claim_line_of};
pub use store::Applied;

/// When and by whom: the engine takes `today`, the store takes `now`, audit events the actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The business day (pricing and claim dates, V6).
    pub today: NaiveDate,
    /// The time written on rows and audit events.
    pub now: DateTime<Utc>,
    /// `system`, a user name, or `partner:<id>`.
    pub actor: String,
}

impl Context {
    /// The context of an action by `actor` at `now`; its business day is `now`'s UTC date.
    pub fn at(now: DateTime<Utc>, actor: impl Into<String>) -> Self {
        Context {
            today: now.date_naive(),
            now,
            actor: actor.into(),
        }
    }
}

/// What applying a document did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// One line for logs and the transaction list.
    pub summary: String,
    /// Searchable references: (`contract`, no), (`batch`, no), (`claim`, no),
    /// (`debit_memo`, ..), (`credit_memo`, ..), (`invoice`, ..).
    pub refs: Vec<(String, String)>,
    /// Outbound documents written to `documents` and `outbox` in the same transaction.
    pub outbound: Vec<OutboundDoc>,
}

/// An outbound document queued in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundDoc {
    /// Its message id (hash of the normalized document).
    pub message_id: String,
    /// `outbound.<doc type>.<partner>`.
    pub routing_key: String,
    /// The partner it goes to.
    pub partner: String,
    /// `claim`, `claim_response`, ...
    pub doc_type: String,
}

/// Applies one normalized document received as bus message `message_id` by `consumer`, in
/// one store transaction. Ack the delivery once this returns `Ok` (either variant).
pub async fn apply_document(
    store: &dyn Store,
    partners: &Partners,
    consumer: &str,
    message_id: &str,
    doc: &Document,
    ctx: &Context,
) -> Result<Applied<Outcome>, ApplyError> {
    let mut tx = store.begin().await?;
    if !tx.mark_processed(consumer, message_id, ctx.now).await? {
        tx.rollback().await?;
        return Ok(Applied::AlreadyApplied);
    }
    match dispatch(&mut *tx, partners, message_id, doc, ctx).await {
        Ok((outcome, guard)) => {
            tx.commit().await?;
            if let Some(guard) = guard {
                guard.commit();
            }
            tracing::info!(message_id, doc_type = doc.doc_type(), summary = %outcome.summary, "document applied");
            Ok(Applied::Applied(outcome))
        }
        Err(e) => {
            // The rollback error, if any, is less useful than the cause.
            let _ = tx.rollback().await;
            tracing::warn!(message_id, doc_type = doc.doc_type(), error = %e, "document not applied");
            Err(e)
        }
    }
}

fn partner_of<'p>(
    partners: &'p Partners,
    doc: &Document,
    role: PartnerRole,
) -> Result<&'p Partner, ApplyError> {
    let id = doc
        .source()
        .partner
        .as_deref()
        .ok_or(ApplyError::NoPartner(doc.doc_type()))?;
    let partner = partners.get(id)?;
    if partner.role != role {
        return Err(ApplyError::WrongRole {
            partner: id.to_owned(),
            role: partner.role.as_str(),
            doc_type: doc.doc_type(),
        });
    }
    Ok(partner)
}

async fn dispatch<'p>(
    tx: &mut dyn StoreTx,
    partners: &'p Partners,
    message_id: &str,
    doc: &Document,
    ctx: &Context,
) -> Result<(Outcome, Option<book::BookGuard<'p>>), ApplyError> {
    match doc {
        Document::Contract(c) => {
            let partner = partner_of(partners, doc, PartnerRole::Supplier)?;
            let mut guard = partners.cache.lock_fresh(tx).await?;
            let outcome = contract::apply(tx, &mut guard, partner, c, message_id, ctx).await?;
            Ok((outcome, Some(guard)))
        }
        Document::SalesReport(r) => {
            let partner = partner_of(partners, doc, PartnerRole::Distributor)?;
            let outcome = sales::apply(tx, &partners.cache, partner, r, message_id, ctx).await?;
            Ok((outcome, None))
        }
        Document::Claim(c) => {
            let partner = partner_of(partners, doc, PartnerRole::Distributor)?;
            let outcome = claim_in::apply(tx, &partners.cache, partner, c, message_id, ctx).await?;
            Ok((outcome, None))
        }
        Document::ClaimResponse(r) => {
            let partner = partner_of(partners, doc, PartnerRole::Supplier)?;
            let outcome = response::apply(tx, &partners.cache, partner, r, message_id, ctx).await?;
            Ok((outcome, None))
        }
        Document::Acknowledgment(_) => Ok((ack::apply(tx, doc, message_id, ctx).await?, None)),
    }
}

/// Applies an analyst action to a batch in one transaction. `expected_version` is the batch
/// version the analyst saw; a stale one is [`ApplyError::Conflict`] and nothing is written.
pub async fn apply_batch_action(
    store: &dyn Store,
    partners: &Partners,
    batch: Uuid,
    expected_version: i64,
    action: BatchAction,
    ctx: &Context,
) -> Result<ActionOutcome, ApplyError> {
    let mut tx = store.begin().await?;
    let result = action::apply(&mut *tx, partners, batch, expected_version, &action, ctx).await;
    let outcome = finish(tx, result).await?;
    tracing::info!(%batch, version = outcome.version, summary = %outcome.summary, "batch action applied");
    Ok(outcome)
}

/// Links an unmatched 849 to claim `claim` (chargeback-rules 7.6: ops link it, audited, and
/// it is applied as if it had matched) in one transaction.
pub async fn apply_response_link(
    store: &dyn Store,
    partners: &Partners,
    response: Uuid,
    claim: Uuid,
    ctx: &Context,
) -> Result<Outcome, ApplyError> {
    let mut tx = store.begin().await?;
    let result = response::link(&mut *tx, partners, response, claim, ctx).await;
    let outcome = finish(tx, result).await?;
    tracing::info!(%response, %claim, actor = %ctx.actor, summary = %outcome.summary, "849 linked by hand");
    Ok(outcome)
}

/// Records a settlement instrument on a claim in one transaction (C15, then C16 when nothing
/// is left open). `expected_version` is the claim version the analyst saw; a stale one is
/// [`ApplyError::Conflict`] and nothing is written.
pub async fn apply_claim_settlement(
    store: &dyn Store,
    claim: Uuid,
    expected_version: i64,
    instrument: Instrument,
    ctx: &Context,
) -> Result<SettlementOutcome, ApplyError> {
    let mut tx = store.begin().await?;
    let result = settle::apply(&mut *tx, claim, expected_version, instrument, ctx).await;
    let outcome = finish(tx, result).await?;
    tracing::info!(%claim, version = outcome.version, status = %outcome.status, summary = %outcome.summary, "settlement recorded");
    Ok(outcome)
}

/// Applies a user's action on claim `claim` (submit, approve, reject, reopen, cancel, split:
/// chargeback-rules 6.3 C2–C6 and 8.4) in one transaction: a stale `expected_version` is
/// [`ApplyError::Conflict`], an action the claim's status does not allow is
/// [`ApplyError::Claim`], and either writes nothing.
pub async fn apply_claim_action(
    store: &dyn Store,
    claim: Uuid,
    expected_version: i64,
    action: &ClaimAction,
    ctx: &Context,
) -> Result<ClaimActionOutcome, ApplyError> {
    let mut tx = store.begin().await?;
    let result = claim_action::apply(&mut *tx, claim, expected_version, action, ctx).await;
    let outcome = finish(tx, result).await?;
    tracing::info!(%claim, version = outcome.version, status = %outcome.status, summary = %outcome.summary, "claim action applied");
    Ok(outcome)
}

/// Approves the retro run of version `version_no` of contract `contract_id` and runs it, in
/// one transaction (chargeback-rules 5.3): the past sales matching the changed items or
/// customers from the earliest changed date to `ctx.today` are re-evaluated against the
/// version, and the lines it gives become Retro batches (Review and Claim, Awaiting Review),
/// each linked to its original, with their audit events. A run approved before returns its
/// result with `already_run` and writes nothing.
pub async fn apply_retro_approval(
    store: &dyn Store,
    partners: &Partners,
    contract_id: Uuid,
    version_no: i64,
    ctx: &Context,
) -> Result<RetroOutcome, ApplyError> {
    let mut tx = store.begin().await?;
    match retro::approve(&mut *tx, partners, contract_id, version_no, ctx).await {
        Ok(outcome) => {
            if outcome.already_run {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
            tracing::info!(%contract_id, version_no, summary = %outcome.summary, "retro run approved");
            Ok(outcome)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

/// Records one instrument settling several claims in one transaction (chargeback-rules 7.3,
/// 8.2): each allocation is checked against its claim's `expected_version` (a stale one is
/// [`ApplyError::Conflict`] and nothing is written), each claim gets the instrument under the
/// mass settlement number (C15, then C16 when nothing is left open, parents included).
pub async fn apply_mass_settlement(
    store: &dyn Store,
    settlement: MassSettlement,
    ctx: &Context,
) -> Result<MassSettlementOutcome, ApplyError> {
    let mut tx = store.begin().await?;
    let result = settle::apply_mass(&mut *tx, settlement, ctx).await;
    let outcome = finish(tx, result).await?;
    tracing::info!(mass_settlement = %outcome.mass_settlement, claims = outcome.claims.len(), amount = %outcome.amount, "mass settlement recorded");
    Ok(outcome)
}

/// Ends the transaction a step ran in: committed when the step succeeded, rolled back (and
/// the step's error returned) otherwise.
pub(crate) async fn finish<T>(
    tx: Box<dyn store::StoreTx>,
    result: Result<T, ApplyError>,
) -> Result<T, ApplyError> {
    match result {
        Ok(out) => {
            tx.commit().await?;
            Ok(out)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

mod ack;
