//! Why a document or an action could not be applied. Nothing was written in any case: the
//! transaction is rolled back.

use uuid::Uuid;

/// Where a stale entity is now: `is at version 4, not 3`; when its version is not known (a
/// retro run finished by another approval meanwhile: the row is there, no longer pending),
/// `changed since version 3 was read`.
fn stale_state(actual: &Option<i64>, expected: &i64) -> String {
    match actual {
        Some(actual) => format!("is at version {actual}, not {expected}"),
        None => format!("changed since version {expected} was read"),
    }
}

/// A failed application; the transaction was rolled back.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The database failed (or refused a write).
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    /// A stale `expected_version`: someone changed the entity since it was read.
    #[error("conflict: {entity} {id} {}", stale_state(.actual, .expected))]
    Conflict {
        /// `batch`, `claim`, ...
        entity: &'static str,
        /// Its id.
        id: Uuid,
        /// The version the caller read.
        expected: i64,
        /// The stored version, when known.
        actual: Option<i64>,
    },
    /// No partner profile with that id.
    #[error("unknown partner {0:?}")]
    UnknownPartner(String),
    /// The document does not name its partner (`source.partner`).
    #[error("the {0} document names no partner (source.partner)")]
    NoPartner(&'static str),
    /// The partner's role does not send this document type.
    #[error("partner {partner} is a {role}; it does not send {doc_type} documents")]
    WrongRole {
        /// Partner id.
        partner: String,
        /// Its role.
        role: &'static str,
        /// Document type.
        doc_type: &'static str,
    },
    /// A profile setting cannot become an engine setting.
    #[error("profile {partner}: {reason}")]
    Profile {
        /// Partner id.
        partner: String,
        /// What is wrong.
        reason: String,
    },
    /// No such batch.
    #[error("no batch {0}")]
    UnknownBatch(Uuid),
    /// No retro run for that contract version (it was not back-dated, or does not exist).
    #[error("no retro run for contract {contract} version {version}")]
    UnknownRetroRun {
        /// Contract id.
        contract: Uuid,
        /// Version number.
        version: i64,
    },
    /// A settlement request that cannot be recorded as given.
    #[error("settlement: {0}")]
    InvalidSettlement(String),
    /// No such claim.
    #[error("no claim {0}")]
    UnknownClaim(Uuid),
    /// The contract document was refused by the engine.
    #[error("contract: {0}")]
    Contract(#[from] engine::contracts::BookError),
    /// The batch state machine refused the action (nothing changed). Its message is the
    /// user's as it is, naming the batch where it needs to (`batch gooddrug/… is closed and
    /// cannot change`): a `batch:` before it said "batch" twice.
    #[error(transparent)]
    Batch(#[from] engine::batch::BatchError),
    /// The claim state machine refused a step. Its messages name the claim (`claim X is …`):
    /// a `claim:` before them said "claim" twice.
    #[error(transparent)]
    Claim(#[from] engine::claims::ClaimError),
    /// The 849 could not be reconciled.
    #[error("reconcile: {0}")]
    Reconcile(#[from] engine::reconcile::ReconcileError),
    /// Stored state does not read back as the engine's types.
    #[error("stored {what} is not readable: {source}")]
    Corrupt {
        /// What was read.
        what: String,
        /// Why.
        source: serde_json::Error,
    },
    /// A value could not be serialized.
    #[error("serialize: {0}")]
    Serialize(#[from] serde_json::Error),
    /// A document too large to hold could not be spooled to, or read from, its temporary
    /// file.
    #[error("spooling a large document: {0}")]
    Spool(#[source] std::io::Error),
    /// The roster file is refused (located: row and column).
    #[error("roster: {0}")]
    Roster(#[from] engine::rosters::RosterCsvError),
    /// The roster rule refused the roster.
    #[error("roster: {0}")]
    RosterRule(#[from] engine::contracts::RosterError),
    /// No such roster upload for that GPO.
    #[error("no roster upload {id} for GPO {gpo}")]
    UnknownRoster {
        /// The GPO of the request.
        gpo: String,
        /// The upload id.
        id: Uuid,
    },
    /// The roster upload is not waiting for approval (already applied).
    #[error("roster upload {0} is not pending approval")]
    RosterNotPending(Uuid),
    /// The reference price list is refused (every fault located: row, column, value).
    #[error("price list: {0}")]
    PriceList(#[from] engine::price_lists::PriceListError),
    /// A supplier id that is empty once normalized.
    #[error("supplier id {0:?} names no supplier")]
    InvalidSupplier(String),
    /// No such dispute case.
    #[error("no dispute case {0}")]
    UnknownDispute(Uuid),
    /// A dispute case request that cannot be applied as given.
    #[error("dispute: {0}")]
    InvalidDispute(String),
    /// A resubmission that cannot be made as asked.
    #[error("resubmission: {0}")]
    InvalidResubmission(String),
    /// The dispute case state machine refused the step (nothing changed).
    #[error("dispute: {0}")]
    Dispute(#[from] engine::disputes::CaseError),
    /// An adjudicator's batch has no customer claim row (written with the batch, so the
    /// database was changed outside Chargegate).
    #[error("batch {0} has no customer claim")]
    NoClaimForBatch(Uuid),
    /// An adjudicator's claim whose batch still awaits its reviewer (§13.1 hold) cannot be
    /// submitted or approved: Pay and Close the batch first, which answers it with the 849.
    #[error("claim {0} is held for review: its batch must be closed (Pay and Close) first")]
    HeldForReview(String),
    /// A dispute CSV could not be exported, or a corrected one does not fit its source batch
    /// (row and column named).
    #[error("dispute csv: {0}")]
    DisputeCsv(#[from] engine::disputes::DisputeCsvError),
    /// A corrected dispute file that cannot be imported for this batch.
    #[error("corrections: {0}")]
    InvalidCorrection(String),
    /// No stored 849 with that id.
    #[error("no 849 {0}")]
    UnknownResponse(Uuid),
    /// An 849 that cannot be linked as asked (already linked, another partner's claim).
    #[error("link: {0}")]
    InvalidLink(String),
    /// No supplier partner owns the contract of a claim to send.
    #[error("no supplier partner owns contract {0:?}")]
    NoSupplierPartner(String),
}

impl ApplyError {
    /// Maps the store's optimistic-concurrency refusal to [`ApplyError::Conflict`].
    pub(crate) fn from_store(
        entity: &'static str,
        id: Uuid,
        expected: i64,
    ) -> impl Fn(store::StoreError) -> ApplyError {
        move |e| match e {
            store::StoreError::Conflict { actual, .. } => ApplyError::Conflict {
                entity,
                id,
                expected,
                actual: Some(actual),
            },
            other => ApplyError::Store(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ApplyError;
    use uuid::Uuid;

    #[test]
    fn a_conflict_reads_naturally() {
        let conflict = |actual| ApplyError::Conflict {
            entity: "batch",
            id: Uuid::nil(),
            expected: 3,
            actual,
        };
        assert_eq!(
            conflict(Some(4)).to_string(),
            "conflict: batch 00000000-0000-0000-0000-000000000000 is at version 4, not 3"
        );
        assert_eq!(
            conflict(None).to_string(),
            "conflict: batch 00000000-0000-0000-0000-000000000000 changed since version 3 was read"
        );
    }

    #[test]
    fn a_refused_batch_action_says_batch_once() {
        use engine::batch::{BatchError, BatchStatus};
        let closed = ApplyError::Batch(BatchError::Immutable(
            "gooddrug/123456789/2026-12-02".into(),
            BatchStatus::Closed,
        ));
        assert_eq!(
            closed.to_string(),
            "batch gooddrug/123456789/2026-12-02 is closed and cannot change"
        );
        assert_eq!(
            ApplyError::Batch(BatchError::Empty).to_string(),
            "batch has no lines"
        );
    }

    #[test]
    fn a_refused_claim_step_says_claim_once() {
        use engine::claims::{ClaimError, ClaimStatus};
        let refused = ApplyError::Claim(ClaimError::NotAllowed {
            number: "GDD-CB-0001".into(),
            from: ClaimStatus::Closed,
            action: "submit",
        });
        assert_eq!(
            refused.to_string(),
            format!(
                "claim GDD-CB-0001 is {}; submit is not allowed",
                ClaimStatus::Closed
            )
        );
    }
}
