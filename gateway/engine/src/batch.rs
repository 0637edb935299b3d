//! Batches and batch lines: the state machines of §6.1 and §6.2, in both modes (Immediate
//! Claim and Review and Claim).
//!
//! Each entity has one way to change: [`Batch::process`] runs the pipeline on an Open batch
//! (L1–L5, then B2–B5 in the same call) and [`Batch::apply`] takes a reviewer's action. Every
//! pair the tables do not list is refused with a [`BatchError`] and changes nothing; every
//! change returns its [`AuditEvent`]s. Closed and Rejected batches are immutable.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemas::Party;
use serde::{Deserialize, Serialize};

use crate::amounts;
use crate::audit::{Actor, AuditEvent, Entity, status_name};
use crate::caps::{CapCheck, CapLedger};
use crate::contracts::ContractBook;
use crate::duplicates::{HistoryEntry, LineHistory};
use crate::identity::PartyKey;
use crate::reasons::{RejectReason, Warning};
use crate::rules::{BatchContext, Pipeline, Validation};
use crate::sale::{LineRef, SaleLine};
use crate::settings::{BatchMode, EngineSettings, Role};

/// Batch line status (§6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// Imported, not yet validated.
    Open,
    /// Failed V0 or V2–V6.
    EligibilityDisputed,
    /// Failed V7–V10.
    AmountDisputed,
    /// Failed V1.
    Duplicate,
    /// Ready to claim; amount and quantity frozen.
    Accepted,
    /// On a claim (terminal).
    Claimed,
    /// Rejected with a reason (terminal).
    Rejected,
}

impl LineStatus {
    /// Eligibility Disputed, Amount Disputed or Duplicate.
    pub fn is_disputed(self) -> bool {
        matches!(
            self,
            Self::EligibilityDisputed | Self::AmountDisputed | Self::Duplicate
        )
    }
}

/// Batch status (§6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// Imported, ready.
    Open,
    /// Some lines need a decision.
    AwaitingReview,
    /// Claim created for the accepted lines (terminal).
    Closed,
    /// All lines Rejected (terminal).
    Rejected,
}

/// Where a batch came from (§2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchKind {
    /// An inbound 844.
    Claim844,
    /// An 867 used for claiming.
    Sales867,
    /// A CSV file.
    Csv,
    /// A corrected dispute CSV (§9).
    CorrectedCsv,
    /// An ERP extract.
    ErpExtract,
    /// A retro run (§5.3).
    Retro,
}

/// The batch transitions of §6.1 as (from, to) pairs; `None` = creation.
pub const BATCH_TRANSITIONS: &[(&str, Option<BatchStatus>, BatchStatus)] = &[
    ("B1", None, BatchStatus::Open),
    ("B2", Some(BatchStatus::Open), BatchStatus::Rejected),
    ("B3", Some(BatchStatus::Open), BatchStatus::Closed),
    ("B4", Some(BatchStatus::Open), BatchStatus::AwaitingReview),
    ("B5", Some(BatchStatus::Open), BatchStatus::AwaitingReview),
    ("B6", Some(BatchStatus::AwaitingReview), BatchStatus::Closed),
    (
        "B7",
        Some(BatchStatus::AwaitingReview),
        BatchStatus::AwaitingReview,
    ),
    (
        "B8",
        Some(BatchStatus::AwaitingReview),
        BatchStatus::Rejected,
    ),
    (
        "B9",
        Some(BatchStatus::AwaitingReview),
        BatchStatus::Rejected,
    ),
    (
        "B10",
        Some(BatchStatus::AwaitingReview),
        BatchStatus::Closed,
    ),
];

/// The line transitions of §6.2 as (rule, from, to).
pub const LINE_TRANSITIONS: &[(&str, LineStatus, LineStatus)] = {
    use LineStatus::*;
    &[
        ("L1", Open, EligibilityDisputed),
        ("L2", Open, AmountDisputed),
        ("L3", Open, Duplicate),
        ("L4", Open, Accepted),
        ("L5", Open, Claimed),
        ("L6", EligibilityDisputed, Rejected),
        ("L6", AmountDisputed, Rejected),
        ("L7", AmountDisputed, Accepted),
        ("L8", Accepted, Claimed),
        ("L9", Accepted, AmountDisputed),
        ("L10", EligibilityDisputed, Rejected),
        ("L10", AmountDisputed, Rejected),
        ("L10", Duplicate, Rejected),
        ("L11", Accepted, Rejected),
        ("L12", Open, Rejected),
        ("L12", Accepted, Rejected),
        ("L13", Open, Rejected),
        ("L14", EligibilityDisputed, Accepted),
        ("L14", EligibilityDisputed, EligibilityDisputed),
        ("L14", EligibilityDisputed, AmountDisputed),
        ("L14", AmountDisputed, Accepted),
        ("L14", AmountDisputed, AmountDisputed),
        ("L14", AmountDisputed, EligibilityDisputed),
        ("L15", Duplicate, Accepted),
        ("L15", Duplicate, EligibilityDisputed),
        ("L15", Duplicate, AmountDisputed),
        ("L16", EligibilityDisputed, Rejected),
        ("L16", AmountDisputed, Rejected),
        ("L16", Duplicate, Rejected),
    ]
};

/// Whether the tables list a line transition.
pub fn line_transition_allowed(from: LineStatus, to: LineStatus) -> bool {
    from == to
        || LINE_TRANSITIONS
            .iter()
            .any(|(_, f, t)| *f == from && *t == to)
}

/// Whether the tables list a batch transition.
pub fn batch_transition_allowed(from: BatchStatus, to: BatchStatus) -> bool {
    from == to
        || BATCH_TRANSITIONS
            .iter()
            .any(|(_, f, t)| *f == Some(from) && *t == to)
}

/// A line of a batch (§2.2). Serialized without its empty fields: it is stored once per line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchLine {
    /// The sale line as received; never edited (corrections keep originals).
    pub sale: SaleLine,
    /// Status.
    pub status: LineStatus,
    /// The last validation: reasons, warnings, pricing snapshot, calculated amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Validation>,
    /// Accepted quantity (sale units), frozen once Accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_quantity: Option<Decimal>,
    /// Accepted amount, frozen once Accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_amount: Option<Decimal>,
    /// Reject reason of a Rejected line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<RejectReason>,
    /// Reviewer comment (overrides, corrections).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Claim of the batch the line is on: 1 or 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<u8>,
    /// The line of a later batch that corrects this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_by: Option<LineRef>,
}

impl BatchLine {
    /// The contract the line was validated against, else the one it was reported under.
    pub fn contract(&self) -> Option<String> {
        self.validation
            .as_ref()
            .and_then(|v| v.contract.as_ref().map(|c| c.to_string()))
            .or_else(|| self.sale.contract_id.clone())
    }

    fn new(sale: SaleLine) -> Self {
        Self {
            sale,
            status: LineStatus::Open,
            validation: None,
            accepted_quantity: None,
            accepted_amount: None,
            reject_reason: None,
            comment: None,
            claim: None,
            corrected_by: None,
        }
    }

    /// The dispute category of a disputed line (§3.1).
    pub fn dispute_category(&self) -> RejectReason {
        match (
            self.status,
            self.validation.as_ref().and_then(|v| v.primary),
        ) {
            (_, Some(reason)) => reason.category(),
            (LineStatus::Duplicate, None) => RejectReason::Duplicate,
            (LineStatus::AmountDisputed, None) => RejectReason::AmountDisputed,
            _ => RejectReason::EligibilityDisputed,
        }
    }

    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "status": status_name(&self.status),
            "accepted_quantity": self.accepted_quantity,
            "accepted_amount": self.accepted_amount,
            "reject_reason": self.reject_reason,
            "claim": self.claim,
            "contract": self.validation.as_ref().and_then(|v| v.contract.clone()),
            // §3.2: a derived contract's audit event lists the candidates.
            "derivation_candidates": self.validation.as_ref().map(|v| v.derivation_candidates.clone()).unwrap_or_default(),
        })
    }
}

/// The lines one claim of a batch takes (IC claim #1 and #2, RC the one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchClaim {
    /// 1 or 2.
    pub seq: u8,
    /// Line ids.
    pub lines: Vec<String>,
    /// Σ accepted amounts.
    pub amount: Decimal,
}

/// Header of a new batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchHeader {
    /// Unique id.
    pub id: String,
    /// Batch number shown to users.
    pub number: String,
    /// Name.
    pub name: String,
    /// Type.
    pub kind: BatchKind,
    /// Our role.
    pub role: Role,
    /// Distributor.
    pub distributor: Party,
    /// Supplier.
    pub supplier: Party,
    /// Currency.
    pub currency: String,
    /// File name, when from a file.
    pub file_name: Option<String>,
    /// Debit memo of an inbound 844.
    pub debit_memo: Option<String>,
    /// Receipt day.
    pub received_at: NaiveDate,
    /// Claim date used by V6.
    pub claim_date: NaiveDate,
    /// The batch this one corrects (Corrected CSV).
    pub corrects_batch_id: Option<String>,
}

/// A batch: header, frozen settings and mode, status, lines and claims (§2.2). Plain data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// Header.
    pub header: BatchHeader,
    /// Settings frozen at creation (§2.1).
    pub settings: EngineSettings,
    /// Mode frozen at creation (Retro batches are always Review and Claim).
    pub mode: BatchMode,
    /// Status.
    pub status: BatchStatus,
    /// Lines in received order.
    pub lines: Vec<BatchLine>,
    /// Claims cut from the batch.
    pub claims: Vec<BatchClaim>,
}

/// Why an action was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Closed and Rejected batches never change. The batch is named as users know it, by its
    /// number ([`Batch::name`]).
    #[error("batch {0} is {1} and cannot change")]
    Immutable(String, BatchStatus),
    /// The batch is not in the status the action needs.
    #[error("batch is {status}; {action} needs {needed}")]
    WrongBatchStatus {
        /// Current status.
        status: BatchStatus,
        /// The action.
        action: &'static str,
        /// Status it needs.
        needed: BatchStatus,
    },
    /// The line is not in a status the action applies to.
    #[error("line {line} is {status}; {action} does not apply")]
    WrongLineStatus {
        /// Line id.
        line: String,
        /// Its status.
        status: LineStatus,
        /// The action.
        action: &'static str,
    },
    /// No such line.
    #[error("no line {0} in the batch")]
    UnknownLine(String),
    /// No disputed line to revalidate.
    #[error("no disputed line to revalidate")]
    NothingToRevalidate,
    /// The action is for the other mode.
    #[error("{0} is for Review and Claim batches only")]
    ReviewAndClaimOnly(&'static str),
    /// A reason is required.
    #[error("a reason is required")]
    ReasonRequired,
    /// Accepting a claimed amount, or correcting to an amount, above calculated beyond
    /// tolerance needs a comment.
    #[error("a comment is required to accept more than the calculated amount")]
    CommentRequired,
    /// A correction must change quantity or amount.
    #[error("a correction needs a quantity or an amount")]
    NothingToCorrect,
    /// The calculated amount is unknown (prices did not resolve).
    #[error("line {0} has no calculated amount")]
    NoCalculatedAmount(String),
    /// The line claims no amount (a sales report's line: the claim is what we calculate), so
    /// there is no claimed amount to accept.
    #[error(
        "line {0} claims no amount (a sales report's line): accept its calculated amount, or correct and accept it"
    )]
    NoClaimedAmount(String),
    /// The cap does not allow the quantity.
    #[error("cap allows {remaining} more; the line needs more")]
    InsufficientCap {
        /// Remaining quantity.
        remaining: Decimal,
    },
    /// "Not a duplicate" needs a second user.
    #[error("a second user must approve a not-a-duplicate override")]
    SecondUserRequired,
    /// A correction may lower what a line claims, never raise it (an approved amount above
    /// the claimed one is an overpayment, chargeback-rules 7.2).
    #[error("line {line}: {amount} is more than the {claimed} it claims")]
    AboveClaimed {
        /// The line.
        line: String,
        /// The corrected amount.
        amount: Decimal,
        /// What the line claims.
        claimed: Decimal,
    },
    /// The batch has no lines.
    #[error("batch has no lines")]
    Empty,
}

/// What the engine reads and updates while a batch changes: the contract book, the index of
/// earlier lines and the cap ledger.
pub struct Ledgers<'a> {
    /// Contracts.
    pub book: &'a ContractBook,
    /// Earlier lines (duplicates, returns).
    pub history: &'a mut LineHistory,
    /// Caps.
    pub caps: &'a mut CapLedger,
}

/// A reviewer's action (§4.3, §6.1, §6.2), written `{"action": "accept", "line": "7"}`.
///
/// A field the action does not take is refused, not ignored (`{"action": "correct_and_accept",
/// "line": "1", "amont": "5.00"}` would accept the line uncorrected). It is read through
/// [`crate::tagged`], so a fault in a field is located at that field (`action.line`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum BatchAction {
    /// L7 at the amount the rules propose: the lower of claimed and calculated.
    Accept {
        /// Line id.
        line: String,
    },
    /// L7 Accept Calculated Amount.
    AcceptCalculated {
        /// Line id.
        line: String,
    },
    /// L7 accept claimed amount; a comment is required when it overrides the calculation.
    AcceptClaimed {
        /// Line id.
        line: String,
        /// Reviewer comment.
        comment: Option<String>,
    },
    /// L7 correct and accept: edit quantity and/or amount (originals kept).
    CorrectAndAccept {
        /// Line id.
        line: String,
        /// New quantity (sale units).
        quantity: Option<Decimal>,
        /// New amount.
        amount: Option<Decimal>,
        /// Reviewer comment.
        comment: Option<String>,
    },
    /// L6 reject a disputed line with a reason.
    Reject {
        /// Line id.
        line: String,
        /// Reason.
        reason: RejectReason,
    },
    /// L11 reverse a mistaken manual acceptance.
    ReverseAcceptance {
        /// Line id.
        line: String,
        /// Reason.
        reason: RejectReason,
    },
    /// L14 re-run V2–V10 after a contract, roster or UOM fix.
    Revalidate {
        /// Line id.
        line: String,
    },
    /// L14 for every Eligibility or Amount Disputed line (of `contract` when given): what an
    /// adjudicator's open batch gets when a back-dated contract change is approved (§5.3).
    RevalidateDisputed {
        /// Only lines claimed against this contract (as issued or normalized).
        contract: Option<String>,
    },
    /// L15 "not a duplicate", approved by a second user; re-runs V2–V10.
    NotADuplicate {
        /// Line id.
        line: String,
        /// The approving second user.
        approver: String,
        /// Reason.
        reason: String,
    },
    /// B6/B7/B9/B10.
    PayAndClose,
    /// B8 (Review and Claim only).
    RejectBatch {
        /// Reason.
        reason: String,
    },
}

/// [`BatchAction`] externally tagged (`{"accept": {"line": "7"}}`), which no one writes: the
/// form [`crate::tagged`] reads an action through, field by field. The compiler holds it to
/// [`BatchAction`]: the derive builds every variant, and in tests takes every one apart.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
#[serde(remote = "BatchAction", rename_all = "snake_case", deny_unknown_fields)]
enum BatchActionFields {
    Accept {
        line: String,
    },
    AcceptCalculated {
        line: String,
    },
    AcceptClaimed {
        line: String,
        comment: Option<String>,
    },
    CorrectAndAccept {
        line: String,
        quantity: Option<Decimal>,
        amount: Option<Decimal>,
        comment: Option<String>,
    },
    Reject {
        line: String,
        reason: RejectReason,
    },
    ReverseAcceptance {
        line: String,
        reason: RejectReason,
    },
    Revalidate {
        line: String,
    },
    RevalidateDisputed {
        #[serde(default)]
        contract: Option<String>,
    },
    NotADuplicate {
        line: String,
        approver: String,
        reason: String,
    },
    PayAndClose,
    RejectBatch {
        reason: String,
    },
}

impl crate::tagged::InternallyTagged for BatchAction {
    const TAG: &'static str = "action";
    const NAME: &'static str = "BatchAction";

    fn deserialize_external<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Self, D::Error> {
        BatchActionFields::deserialize(deserializer)
    }
}

impl<'de> Deserialize<'de> for BatchAction {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::tagged::deserialize(deserializer)
    }
}

/// What a transition produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Audit events, in order.
    pub events: Vec<AuditEvent>,
    /// A claim cut by this transition (B3, B4, B6), to be built by [`crate::claims`].
    pub claim: Option<BatchClaim>,
    line_events: LineEvents,
}

/// Whether [`Batch::process_with`] returns an audit event per line transition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LineEvents {
    /// One event per line transition, with before/after snapshots.
    #[default]
    Each,
    /// Batch events only: the caller records line transitions on the lines themselves (a
    /// million-line report would otherwise carry millions of events in memory).
    None,
}

fn line_id(batch: &str, line: &str) -> String {
    format!("{batch}/{line}")
}

impl Batch {
    /// An Open batch without lines, settings and mode frozen (a Retro batch is always Review
    /// and Claim); [`Batch::open`] and [`Batch::open_streamed`] start from it.
    pub(crate) fn opened(header: BatchHeader, settings: &EngineSettings) -> Self {
        let mode = if header.kind == BatchKind::Retro {
            BatchMode::ReviewAndClaim
        } else {
            settings.batch_mode
        };
        Self {
            settings: settings.clone(),
            mode,
            status: BatchStatus::Open,
            lines: Vec::new(),
            claims: Vec::new(),
            header,
        }
    }

    /// B1: a stored and parsed file, set or extract becomes an Open batch with Open lines.
    /// Settings and mode are frozen here; a Retro batch is always Review and Claim.
    pub fn open(
        header: BatchHeader,
        settings: &EngineSettings,
        lines: Vec<SaleLine>,
        actor: &Actor,
        today: NaiveDate,
    ) -> (Self, Outcome) {
        let mut batch = Self::opened(header, settings);
        batch.lines = lines.into_iter().map(BatchLine::new).collect();
        let event = batch.event(None, BatchStatus::Open, "B1 open", actor, None, today);
        (
            batch,
            Outcome {
                events: vec![event],
                ..Outcome::default()
            },
        )
    }

    /// B1 then B5 for a Retro batch (§5.3, always Review and Claim): the lines of an approved
    /// run, validated by the run against the new version, enter Accepted (L4) at the run's
    /// amounts — the whole amount of a new or resubmitted line, the signed difference of a
    /// delta or clawback —, each linked to its original (`sale.corrects`) with the action in
    /// its comment. The batch waits in Awaiting Review: the reviewer claims it with Pay and
    /// Close (B6), or rejects lines (L11) or the batch (B8).
    pub fn open_retro(
        mut header: BatchHeader,
        settings: &EngineSettings,
        run: &crate::retro::RetroRun,
        actor: &Actor,
        today: NaiveDate,
    ) -> Result<(Self, Outcome), BatchError> {
        if run.lines.is_empty() {
            return Err(BatchError::Empty);
        }
        header.kind = BatchKind::Retro;
        let mut batch = Self::opened(header, settings);
        batch.lines = run
            .lines
            .iter()
            .map(|l| {
                let mut line = BatchLine::new(l.sale.clone());
                line.status = LineStatus::Accepted;
                line.accepted_quantity = Some(l.sale.quantity);
                line.accepted_amount = Some(l.amount);
                line.comment = Some(format!(
                    "retro {}: original {}/{}",
                    status_name(&l.action),
                    l.original.batch,
                    l.original.line
                ));
                line
            })
            .collect();
        let mut out = Outcome::default();
        out.events
            .push(batch.event(None, BatchStatus::Open, "B1 open", actor, None, today));
        for (i, line) in batch.lines.iter().enumerate() {
            let line_ref = batch.line_ref(i);
            out.events.push(AuditEvent {
                entity: Entity::BatchLine,
                id: line_id(&line_ref.batch, &line_ref.line),
                from: Some(status_name(&LineStatus::Open)),
                to: status_name(&LineStatus::Accepted),
                event: "L4 retro line".to_owned(),
                actor: actor.clone(),
                reason: line.comment.clone(),
                comment: None,
                correlation_id: None,
                date: today,
                before: None,
                after: Some(line.snapshot()),
            });
        }
        batch.status = BatchStatus::AwaitingReview;
        out.events.push(batch.event(
            Some(BatchStatus::Open),
            BatchStatus::AwaitingReview,
            "B5 retro lines to review",
            actor,
            None,
            today,
        ));
        Ok((batch, out))
    }

    fn event(
        &self,
        from: Option<BatchStatus>,
        to: BatchStatus,
        event: &str,
        actor: &Actor,
        reason: Option<String>,
        today: NaiveDate,
    ) -> AuditEvent {
        self.event_of(self.lines.len(), from, to, event, actor, reason, today)
    }

    /// A batch event for a batch of `lines` lines (a streamed batch holds none of them).
    #[allow(clippy::too_many_arguments)]
    fn event_of(
        &self,
        lines: usize,
        from: Option<BatchStatus>,
        to: BatchStatus,
        event: &str,
        actor: &Actor,
        reason: Option<String>,
        today: NaiveDate,
    ) -> AuditEvent {
        AuditEvent {
            entity: Entity::Batch,
            id: self.header.id.clone(),
            from: from.map(|s| status_name(&s)),
            to: status_name(&to),
            event: event.to_owned(),
            actor: actor.clone(),
            reason,
            comment: None,
            correlation_id: self.header.debit_memo.clone(),
            date: today,
            before: None,
            after: Some(serde_json::json!({ "lines": lines, "claims": self.claims.len() })),
        }
    }

    fn context(&self) -> BatchContext {
        BatchContext {
            batch: self.header.id.clone(),
            role: self.header.role,
            distributor: PartyKey::of(&self.header.distributor),
            supplier: PartyKey::of(&self.header.supplier),
            claim_date: self.header.claim_date,
        }
    }

    fn line_ref(&self, index: usize) -> LineRef {
        LineRef {
            batch: self.header.id.clone(),
            line: self.lines[index].sale.line.clone(),
        }
    }

    fn find(&self, line: &str) -> Result<usize, BatchError> {
        self.lines
            .iter()
            .position(|l| l.sale.line == line)
            .ok_or_else(|| BatchError::UnknownLine(line.to_owned()))
    }

    /// Processing (B2–B5) starts only from Open; a closed or rejected batch never changes.
    fn open_for_processing(&self) -> Result<(), BatchError> {
        self.require(BatchStatus::Open, "process")
    }

    /// The batch as users know it (the console, the lists, the API's paths): its number, or
    /// its id when it has none.
    pub fn name(&self) -> &str {
        if self.header.number.is_empty() {
            &self.header.id
        } else {
            &self.header.number
        }
    }

    fn open_for_review(&self) -> Result<(), BatchError> {
        self.require(BatchStatus::AwaitingReview, "a review action")
    }

    /// `Ok` in status `needed`; a closed or rejected batch is immutable, any other status is
    /// the wrong one for `action`.
    fn require(&self, needed: BatchStatus, action: &'static str) -> Result<(), BatchError> {
        match self.status {
            status if status == needed => Ok(()),
            BatchStatus::Closed | BatchStatus::Rejected => {
                Err(BatchError::Immutable(self.name().to_owned(), self.status))
            }
            status => Err(BatchError::WrongBatchStatus {
                status,
                action,
                needed,
            }),
        }
    }

    /// Moves a line, recording the audit event and the history and cap effects.
    #[allow(clippy::too_many_arguments)]
    fn move_line(
        &mut self,
        index: usize,
        to: LineStatus,
        rule: &str,
        actor: &Actor,
        reason: Option<String>,
        ledgers: &mut Ledgers<'_>,
        today: NaiveDate,
        out: &mut Outcome,
    ) {
        let line_ref = self.line_ref(index);
        let batch_open = matches!(self.status, BatchStatus::Open | BatchStatus::AwaitingReview);
        let line = &mut self.lines[index];
        let from = line.status;
        let with_event = out.line_events == LineEvents::Each;
        let before = with_event.then(|| line.snapshot());
        line.status = to;
        match to {
            LineStatus::Rejected
            | LineStatus::AmountDisputed
            | LineStatus::EligibilityDisputed
            | LineStatus::Duplicate => {
                ledgers.caps.release(&line_ref, today);
            }
            LineStatus::Claimed => ledgers.caps.consume(&line_ref, today),
            LineStatus::Open | LineStatus::Accepted => {}
        }
        if let Some(v) = &line.validation
            && let Some(keys) = v.keys
        {
            ledgers
                .history
                .update(keys, &line_ref, to, batch_open, v.pricing_date);
        }
        if !with_event {
            return;
        }
        let after = line.snapshot();
        out.events.push(AuditEvent {
            entity: Entity::BatchLine,
            id: line_id(&line_ref.batch, &line_ref.line),
            from: Some(status_name(&from)),
            to: status_name(&to),
            event: rule.to_owned(),
            actor: actor.clone(),
            reason,
            comment: line.comment.clone(),
            correlation_id: self.header.debit_memo.clone(),
            date: today,
            before,
            after: Some(after),
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn set_status(
        &mut self,
        to: BatchStatus,
        rule: &str,
        actor: &Actor,
        reason: Option<String>,
        ledgers: &mut Ledgers<'_>,
        today: NaiveDate,
        out: &mut Outcome,
    ) {
        let from = self.status;
        self.status = to;
        if matches!(to, BatchStatus::Closed | BatchStatus::Rejected) {
            // The batch's undecided lines stop blocking duplicates once it is final (§5.2).
            for i in 0..self.lines.len() {
                let line_ref = self.line_ref(i);
                let line = &self.lines[i];
                if let Some(v) = &line.validation
                    && let Some(keys) = v.keys
                {
                    ledgers
                        .history
                        .update(keys, &line_ref, line.status, false, v.pricing_date);
                }
            }
        }
        out.events
            .push(self.event(Some(from), to, rule, actor, reason, today));
    }

    fn cut_claim(&mut self, indexes: &[usize]) -> BatchClaim {
        let seq = self.claims.len() as u8 + 1;
        let mut amount = Decimal::ZERO;
        let mut lines = Vec::with_capacity(indexes.len());
        for &i in indexes {
            let line = &mut self.lines[i];
            line.claim = Some(seq);
            amount += line.accepted_amount.unwrap_or_default();
            lines.push(line.sale.line.clone());
        }
        let claim = BatchClaim { seq, lines, amount };
        self.claims.push(claim.clone());
        claim
    }

    /// Validates an Open batch (L1–L5) and moves it on (B2–B5), in one call.
    pub fn process(
        &mut self,
        ledgers: &mut Ledgers<'_>,
        today: NaiveDate,
    ) -> Result<Outcome, BatchError> {
        self.process_with(ledgers, today, LineEvents::Each)
    }

    /// [`Batch::process`], returning line events or not.
    pub fn process_with(
        &mut self,
        ledgers: &mut Ledgers<'_>,
        today: NaiveDate,
        line_events: LineEvents,
    ) -> Result<Outcome, BatchError> {
        self.open_for_processing()?;
        if self.lines.is_empty() {
            return Err(BatchError::Empty);
        }
        let ctx = self.context();
        let sales = &self.lines;
        let mut validations: Vec<Validation> = {
            let history: &LineHistory = ledgers.history;
            let mut pipeline = Pipeline::new(
                ledgers.book,
                &self.settings,
                &ctx,
                today,
                history,
                Some(&mut *ledgers.caps),
            );
            pipeline.preload_sales(sales.iter().map(|l| &l.sale));
            let mut out: Vec<Validation> =
                sales.iter().map(|l| pipeline.validate(&l.sale)).collect();
            for position in pipeline.finish().failed {
                out[position].fail_header_tolerance();
            }
            out
        };
        let actor = Actor::System;
        let mut out = Outcome {
            line_events,
            ..Outcome::default()
        };
        for (i, v) in validations.drain(..).enumerate() {
            let line_ref = self.line_ref(i);
            if let Some(keys) = v.keys {
                let entry = HistoryEntry {
                    line: line_ref,
                    status: v.status,
                    batch_open: true,
                };
                ledgers
                    .history
                    .record(keys, entry, v.pricing_date, self.lines[i].sale.quantity);
            }
            let status = v.status;
            let line = &mut self.lines[i];
            if status == LineStatus::Accepted {
                line.accepted_amount = v.accepted_amount;
                line.accepted_quantity = Some(line.sale.quantity);
            }
            line.validation = Some(v);
            let rule = match status {
                LineStatus::EligibilityDisputed => "L1 validate",
                LineStatus::AmountDisputed => "L2 validate",
                LineStatus::Duplicate => "L3 validate",
                _ => "L4 validate",
            };
            self.move_line(i, status, rule, &actor, None, ledgers, today, &mut out);
        }
        self.end_processing(&actor, ledgers, today, &mut out);
        Ok(out)
    }

    /// B2–B5 once every line is validated: all disputed → Rejected; otherwise the valid lines
    /// are claimed (B3 both modes, B4 Immediate Claim) and the batch is Closed or Awaiting
    /// Review.
    fn end_processing(
        &mut self,
        actor: &Actor,
        ledgers: &mut Ledgers<'_>,
        today: NaiveDate,
        out: &mut Outcome,
    ) {
        let valid: Vec<usize> = (0..self.lines.len())
            .filter(|&i| self.lines[i].status == LineStatus::Accepted)
            .collect();
        if valid.is_empty() {
            // B2: every line disputed or Duplicate; all lines → Rejected (L13).
            for i in 0..self.lines.len() {
                let reason = self.lines[i].dispute_category();
                self.lines[i].reject_reason = Some(reason.clone());
                self.move_line(
                    i,
                    LineStatus::Rejected,
                    "L13 batch rejected",
                    actor,
                    Some(reason_text(&reason)),
                    ledgers,
                    today,
                    out,
                );
            }
            self.set_status(
                BatchStatus::Rejected,
                "B2 all lines disputed",
                actor,
                None,
                ledgers,
                today,
                out,
            );
            return;
        }
        let all_valid = valid.len() == self.lines.len();
        if all_valid || self.mode == BatchMode::ImmediateClaim {
            // B3 (both modes) or B4 (IC): claim the valid lines now.
            for &i in &valid {
                let rule = if self.mode == BatchMode::ImmediateClaim {
                    "L5 claim #1"
                } else {
                    "L8 claim"
                };
                self.move_line(
                    i,
                    LineStatus::Claimed,
                    rule,
                    actor,
                    None,
                    ledgers,
                    today,
                    out,
                );
            }
            out.claim = Some(self.cut_claim(&valid));
        }
        if all_valid {
            self.set_status(
                BatchStatus::Closed,
                "B3 every line claimable",
                actor,
                None,
                ledgers,
                today,
                out,
            );
        } else if self.mode == BatchMode::ImmediateClaim {
            self.set_status(
                BatchStatus::AwaitingReview,
                "B4 claim #1, disputes to review",
                actor,
                None,
                ledgers,
                today,
                out,
            );
        } else {
            self.set_status(
                BatchStatus::AwaitingReview,
                "B5 disputes to review",
                actor,
                None,
                ledgers,
                today,
                out,
            );
        }
    }

    /// L14 on the lines at `positions`: V2–V10 again, by the acting user.
    fn revalidate_l14(
        &mut self,
        positions: &[usize],
        actor: &Actor,
        ledgers: &mut Ledgers<'_>,
        today: NaiveDate,
        out: &mut Outcome,
    ) {
        // V2–V10 only, as L14 says: a disputed line that became Duplicate here (it met a
        // later line of its key) would take a transition the line table does not list.
        for &i in positions {
            self.revalidate(i, true, "L14 revalidate", actor, None, ledgers, today, out);
        }
    }

    /// Applies a reviewer's action. On error nothing changed.
    pub fn apply(
        &mut self,
        action: &BatchAction,
        actor: &Actor,
        ledgers: &mut Ledgers<'_>,
        today: NaiveDate,
    ) -> Result<Outcome, BatchError> {
        self.open_for_review()?;
        let mut out = Outcome::default();
        match action {
            BatchAction::Accept { line } => {
                let i = self.disputed_amount_line(line, "accept")?;
                let v = self.lines[i].validation.as_ref();
                let calculated = v
                    .and_then(|v| v.calculated_amount)
                    .ok_or_else(|| BatchError::NoCalculatedAmount(line.clone()))?;
                let amount = self.lines[i]
                    .sale
                    .claimed_amount
                    .map_or(calculated, |c| c.min(calculated));
                let quantity = self.lines[i].sale.quantity;
                self.accept(
                    i,
                    quantity,
                    amount,
                    None,
                    "L7 accept",
                    actor,
                    ledgers,
                    today,
                    &mut out,
                )?;
            }
            BatchAction::AcceptCalculated { line } => {
                let i = self.disputed_amount_line(line, "accept calculated amount")?;
                let calculated = self.lines[i]
                    .validation
                    .as_ref()
                    .and_then(|v| v.calculated_amount)
                    .ok_or_else(|| BatchError::NoCalculatedAmount(line.clone()))?;
                let quantity = self.lines[i].sale.quantity;
                self.accept(
                    i,
                    quantity,
                    calculated,
                    None,
                    "L7 accept calculated amount",
                    actor,
                    ledgers,
                    today,
                    &mut out,
                )?;
            }
            BatchAction::AcceptClaimed { line, comment } => {
                let i = self.disputed_amount_line(line, "accept claimed amount")?;
                let sale = &self.lines[i].sale;
                let claimed = sale
                    .claimed_amount
                    .ok_or_else(|| BatchError::NoClaimedAmount(line.clone()))?;
                let calculated = self.lines[i]
                    .validation
                    .as_ref()
                    .and_then(|v| v.calculated_amount);
                self.override_commented(claimed, calculated, comment.as_deref())?;
                let quantity = sale.quantity;
                self.accept(
                    i,
                    quantity,
                    claimed,
                    comment.clone(),
                    "L7 accept claimed amount",
                    actor,
                    ledgers,
                    today,
                    &mut out,
                )?;
            }
            BatchAction::CorrectAndAccept {
                line,
                quantity,
                amount,
                comment,
            } => {
                let i = self.disputed_amount_line(line, "correct and accept")?;
                if quantity.is_none() && amount.is_none() {
                    return Err(BatchError::NothingToCorrect);
                }
                let l = &self.lines[i];
                let v = l.validation.as_ref();
                let quantity = quantity.unwrap_or(l.sale.quantity);
                // What the engine calculates for the (corrected) quantity.
                let calculated = v
                    .and_then(|v| v.pricing.as_ref())
                    .and_then(|p| p.amount(quantity).ok());
                let amount = match amount {
                    Some(a) => *a,
                    None => {
                        calculated.ok_or_else(|| BatchError::NoCalculatedAmount(line.clone()))?
                    }
                };
                if let Some(claimed) = l.sale.claimed_amount
                    && amount.abs() > claimed.abs()
                {
                    return Err(BatchError::AboveClaimed {
                        line: line.clone(),
                        amount,
                        claimed,
                    });
                }
                // An amount typed in above the calculated one beyond tolerance is an override,
                // as accepting such a claimed amount is (4.3): it needs a comment. A sales
                // report's line claims nothing to bound it otherwise.
                self.override_commented(amount, calculated, comment.as_deref())?;
                self.accept(
                    i,
                    quantity,
                    amount,
                    comment.clone(),
                    "L7 correct and accept",
                    actor,
                    ledgers,
                    today,
                    &mut out,
                )?;
            }
            BatchAction::Reject { line, reason } => {
                let i = self.find(line)?;
                let status = self.lines[i].status;
                if !matches!(
                    status,
                    LineStatus::EligibilityDisputed | LineStatus::AmountDisputed
                ) {
                    return Err(BatchError::WrongLineStatus {
                        line: line.clone(),
                        status,
                        action: "reject",
                    });
                }
                self.lines[i].reject_reason = Some(reason.clone());
                self.move_line(
                    i,
                    LineStatus::Rejected,
                    "L6 reject",
                    actor,
                    Some(reason_text(reason)),
                    ledgers,
                    today,
                    &mut out,
                );
            }
            BatchAction::ReverseAcceptance { line, reason } => {
                let i = self.find(line)?;
                let status = self.lines[i].status;
                if status != LineStatus::Accepted {
                    return Err(BatchError::WrongLineStatus {
                        line: line.clone(),
                        status,
                        action: "reverse acceptance",
                    });
                }
                // A rejected line accepts nothing: its amount must not count in what the
                // batch accepted (nor reach the claim).
                let l = &mut self.lines[i];
                l.reject_reason = Some(reason.clone());
                l.accepted_amount = None;
                l.accepted_quantity = None;
                self.move_line(
                    i,
                    LineStatus::Rejected,
                    "L11 reverse acceptance",
                    actor,
                    Some(reason_text(reason)),
                    ledgers,
                    today,
                    &mut out,
                );
            }
            BatchAction::Revalidate { line } => {
                let i = self.find(line)?;
                let status = self.lines[i].status;
                if !matches!(
                    status,
                    LineStatus::EligibilityDisputed | LineStatus::AmountDisputed
                ) {
                    return Err(BatchError::WrongLineStatus {
                        line: line.clone(),
                        status,
                        action: "revalidate",
                    });
                }
                self.revalidate_l14(&[i], actor, ledgers, today, &mut out);
            }
            BatchAction::RevalidateDisputed { contract } => {
                let wanted = contract
                    .as_deref()
                    .map(crate::identity::normalize_contract_number);
                let disputed: Vec<usize> = (0..self.lines.len())
                    .filter(|&i| {
                        let line = &self.lines[i];
                        matches!(
                            line.status,
                            LineStatus::EligibilityDisputed | LineStatus::AmountDisputed
                        ) && wanted.as_ref().is_none_or(|w| {
                            line.contract().is_some_and(|c| {
                                &crate::identity::normalize_contract_number(&c) == w
                            })
                        })
                    })
                    .collect();
                if disputed.is_empty() {
                    return Err(BatchError::NothingToRevalidate);
                }
                self.revalidate_l14(&disputed, actor, ledgers, today, &mut out);
            }
            BatchAction::NotADuplicate {
                line,
                approver,
                reason,
            } => {
                let i = self.find(line)?;
                let status = self.lines[i].status;
                if status != LineStatus::Duplicate {
                    return Err(BatchError::WrongLineStatus {
                        line: line.clone(),
                        status,
                        action: "not a duplicate",
                    });
                }
                if reason.trim().is_empty() {
                    return Err(BatchError::ReasonRequired);
                }
                // The same person however the name is spelled (case, spaces) is no second user.
                let same = |name: &str| name.trim().eq_ignore_ascii_case(approver.trim());
                if approver.trim().is_empty() || matches!(actor, Actor::User(name) if same(name)) {
                    return Err(BatchError::SecondUserRequired);
                }
                self.revalidate(
                    i,
                    true,
                    "L15 not a duplicate",
                    actor,
                    Some(format!("{reason} (approved by {approver})")),
                    ledgers,
                    today,
                    &mut out,
                );
            }
            BatchAction::PayAndClose => self.pay_and_close(actor, ledgers, today, &mut out),
            BatchAction::RejectBatch { reason } => {
                if self.mode != BatchMode::ReviewAndClaim {
                    return Err(BatchError::ReviewAndClaimOnly("reject batch"));
                }
                if reason.trim().is_empty() {
                    return Err(BatchError::ReasonRequired);
                }
                for i in 0..self.lines.len() {
                    let status = self.lines[i].status;
                    if status == LineStatus::Rejected {
                        continue;
                    }
                    let category = if status == LineStatus::Accepted {
                        RejectReason::Configured(reason.clone())
                    } else {
                        self.lines[i].dispute_category()
                    };
                    self.lines[i].reject_reason = Some(category);
                    self.move_line(
                        i,
                        LineStatus::Rejected,
                        "L12 reject batch",
                        &Actor::System,
                        Some(reason.clone()),
                        ledgers,
                        today,
                        &mut out,
                    );
                }
                self.set_status(
                    BatchStatus::Rejected,
                    "B8 reject batch",
                    actor,
                    Some(reason.clone()),
                    ledgers,
                    today,
                    &mut out,
                );
            }
        }
        Ok(out)
    }

    /// A replacement claim (BAA01 05, §5.2) takes the place of this batch while it is still
    /// open: every line not yet Rejected is Rejected with reason `Replaced` (L12) and the
    /// batch is Rejected (B8, by the partner). Lines already on the batch's claim go too: the
    /// replacement cancels that claim in the same transaction (an adjudicator's held batch
    /// carries its accepted lines as Claimed before any 849 answered them). A Closed or
    /// Rejected batch is immutable: the replacement is refused instead.
    pub fn replaced(
        &mut self,
        actor: &Actor,
        ledgers: &mut Ledgers<'_>,
        today: NaiveDate,
    ) -> Result<Outcome, BatchError> {
        if matches!(self.status, BatchStatus::Closed | BatchStatus::Rejected) {
            return Err(BatchError::Immutable(self.name().to_owned(), self.status));
        }
        let mut out = Outcome::default();
        let reason = RejectReason::Configured("Replaced".into());
        for i in 0..self.lines.len() {
            if self.lines[i].status == LineStatus::Rejected {
                continue;
            }
            self.lines[i].reject_reason = Some(reason.clone());
            self.move_line(
                i,
                LineStatus::Rejected,
                "L12 replaced",
                actor,
                Some("replaced by BAA01 05".into()),
                ledgers,
                today,
                &mut out,
            );
        }
        self.set_status(
            BatchStatus::Rejected,
            "B8 replaced by BAA01 05",
            actor,
            Some("replaced by BAA01 05".into()),
            ledgers,
            today,
            &mut out,
        );
        Ok(out)
    }

    /// L16: a corrected CSV row for this line was imported (§9); only lines still disputed
    /// in a batch Awaiting Review move.
    pub fn mark_resubmitted(
        &mut self,
        line: &str,
        corrected_by: LineRef,
        ledgers: &mut Ledgers<'_>,
        today: NaiveDate,
    ) -> Result<Outcome, BatchError> {
        self.open_for_review()?;
        let i = self.find(line)?;
        let status = self.lines[i].status;
        if !status.is_disputed() {
            return Err(BatchError::WrongLineStatus {
                line: line.to_owned(),
                status,
                action: "resubmit",
            });
        }
        let mut out = Outcome::default();
        self.lines[i].reject_reason = Some(RejectReason::Resubmitted);
        self.lines[i].corrected_by = Some(corrected_by);
        self.move_line(
            i,
            LineStatus::Rejected,
            "L16 resubmitted",
            &Actor::System,
            Some("Resubmitted".into()),
            ledgers,
            today,
            &mut out,
        );
        Ok(out)
    }

    fn disputed_amount_line(&self, line: &str, action: &'static str) -> Result<usize, BatchError> {
        let i = self.find(line)?;
        let status = self.lines[i].status;
        if status != LineStatus::AmountDisputed {
            return Err(BatchError::WrongLineStatus {
                line: line.to_owned(),
                status,
                action,
            });
        }
        Ok(i)
    }

    /// An amount accepted above the calculated one beyond tolerance, or with nothing
    /// calculated to bound it, is an override (4.3): it needs a comment.
    fn override_commented(
        &self,
        amount: Decimal,
        calculated: Option<Decimal>,
        comment: Option<&str>,
    ) -> Result<(), BatchError> {
        let overrides =
            calculated.is_none_or(|c| amount - c > amounts::tolerance(&self.settings, c));
        if overrides && comment.is_none_or(|c| c.trim().is_empty()) {
            return Err(BatchError::CommentRequired);
        }
        Ok(())
    }

    /// L7 with the cap re-checked at this moment (§4.3): takes the reservation.
    #[allow(clippy::too_many_arguments)]
    fn accept(
        &mut self,
        i: usize,
        quantity: Decimal,
        amount: Decimal,
        comment: Option<String>,
        rule: &str,
        actor: &Actor,
        ledgers: &mut Ledgers<'_>,
        today: NaiveDate,
        out: &mut Outcome,
    ) -> Result<(), BatchError> {
        let line_ref = self.line_ref(i);
        let (caps, contract_quantity) = self.caps_of(i, quantity, ledgers);
        if !caps.is_empty() {
            match ledgers
                .caps
                .check(&caps, contract_quantity, amount, Some(&line_ref))
            {
                CapCheck::Fits => {}
                CapCheck::Exceeded { remaining } => {
                    return Err(BatchError::InsufficientCap { remaining });
                }
                CapCheck::Exhausted => {
                    return Err(BatchError::InsufficientCap {
                        remaining: Decimal::ZERO,
                    });
                }
            }
            ledgers
                .caps
                .reserve(&caps, &line_ref, contract_quantity, amount, today);
        }
        let line = &mut self.lines[i];
        line.accepted_quantity = Some(quantity);
        line.accepted_amount = Some(amount);
        if comment.is_some() {
            line.comment = comment;
        }
        self.move_line(
            i,
            LineStatus::Accepted,
            rule,
            actor,
            None,
            ledgers,
            today,
            out,
        );
        Ok(())
    }

    /// The caps of a line and a quantity in contract units.
    fn caps_of(&self, i: usize, quantity: Decimal, ledgers: &Ledgers<'_>) -> (Vec<usize>, Decimal) {
        let line = &self.lines[i];
        let Some(pricing) = line.validation.as_ref().and_then(|v| v.pricing.as_ref()) else {
            return (Vec::new(), quantity);
        };
        let customer = PartyKey::all_of(&line.sale.end_customer);
        let caps = ledgers
            .caps
            .caps_for(&pricing.contract, &pricing.item, &customer);
        let contract_quantity = pricing
            .factor
            .to_contract_units(quantity)
            .unwrap_or(quantity);
        (caps, contract_quantity)
    }

    /// L14/L15: re-runs V2–V10 on one line, V1 too unless `skip_duplicates`.
    #[allow(clippy::too_many_arguments)]
    fn revalidate(
        &mut self,
        i: usize,
        skip_duplicates: bool,
        rule: &str,
        actor: &Actor,
        reason: Option<String>,
        ledgers: &mut Ledgers<'_>,
        today: NaiveDate,
        out: &mut Outcome,
    ) {
        let ctx = self.context();
        let sale = self.lines[i].sale.clone();
        let v = {
            let history: &LineHistory = ledgers.history;
            let mut pipeline = Pipeline::new(
                ledgers.book,
                &self.settings,
                &ctx,
                today,
                history,
                Some(&mut *ledgers.caps),
            );
            if skip_duplicates {
                pipeline.skip_duplicate_check();
            }
            let others = self
                .lines
                .iter()
                .filter(|l| l.sale.line != sale.line)
                .map(|l| &l.sale);
            pipeline.preload_sales(others);
            let v = pipeline.validate(&sale);
            let _ = pipeline.finish();
            v
        };
        let to = v.status;
        let line = &mut self.lines[i];
        if to == LineStatus::Accepted {
            line.accepted_amount = v.accepted_amount;
            line.accepted_quantity = Some(line.sale.quantity);
        }
        line.validation = Some(v);
        self.move_line(i, to, rule, actor, reason, ledgers, today, out);
    }

    /// B6, B7, B9, B10.
    fn pay_and_close(
        &mut self,
        actor: &Actor,
        ledgers: &mut Ledgers<'_>,
        today: NaiveDate,
        out: &mut Outcome,
    ) {
        let accepted: Vec<usize> = (0..self.lines.len())
            .filter(|&i| self.lines[i].status == LineStatus::Accepted)
            .collect();
        // Cap re-check under the lock (§5.1): atomic, nothing else changes on failure (B7).
        let mut over = Vec::new();
        for &i in &accepted {
            let quantity = self.lines[i]
                .accepted_quantity
                .unwrap_or(self.lines[i].sale.quantity);
            let amount = self.lines[i].accepted_amount.unwrap_or_default();
            let (caps, contract_quantity) = self.caps_of(i, quantity, ledgers);
            if !caps.is_empty()
                && ledgers
                    .caps
                    .check(&caps, contract_quantity, amount, Some(&self.line_ref(i)))
                    != CapCheck::Fits
            {
                over.push(i);
            }
        }
        if !over.is_empty() {
            for i in over {
                self.move_line(
                    i,
                    LineStatus::AmountDisputed,
                    "L9 cap exceeded at pay and close",
                    &Actor::System,
                    None,
                    ledgers,
                    today,
                    out,
                );
            }
            out.events.push(self.event(
                Some(BatchStatus::AwaitingReview),
                BatchStatus::AwaitingReview,
                "B7 cap exceeded, no claim",
                actor,
                None,
                today,
            ));
            return;
        }
        for i in 0..self.lines.len() {
            if self.lines[i].status.is_disputed() {
                let reason = self.lines[i].dispute_category();
                self.lines[i].reject_reason = Some(reason.clone());
                self.move_line(
                    i,
                    LineStatus::Rejected,
                    "L10 pay and close",
                    &Actor::System,
                    Some(reason_text(&reason)),
                    ledgers,
                    today,
                    out,
                );
            }
        }
        if accepted.is_empty() {
            match self.mode {
                BatchMode::ReviewAndClaim => self.set_status(
                    BatchStatus::Rejected,
                    "B9 pay and close, nothing accepted",
                    actor,
                    None,
                    ledgers,
                    today,
                    out,
                ),
                BatchMode::ImmediateClaim => self.set_status(
                    BatchStatus::Closed,
                    "B10 pay and close, no claim #2",
                    actor,
                    None,
                    ledgers,
                    today,
                    out,
                ),
            }
            return;
        }
        for &i in &accepted {
            self.move_line(
                i,
                LineStatus::Claimed,
                "L8 claim created",
                actor,
                None,
                ledgers,
                today,
                out,
            );
        }
        out.claim = Some(self.cut_claim(&accepted));
        self.set_status(
            BatchStatus::Closed,
            "B6 pay and close",
            actor,
            None,
            ledgers,
            today,
            out,
        );
    }

    /// §2.2 list columns.
    pub fn summary(&self) -> BatchSummary {
        let mut s = BatchSummary::default();
        for line in &self.lines {
            s.add(line);
        }
        s.payment_amount = self.claims.iter().map(|c| c.amount).sum();
        s
    }

    /// Lines with a warning, for the duplicates and leakage reports.
    pub fn lines_with(&self, warning: Warning) -> impl Iterator<Item = &BatchLine> {
        self.lines.iter().filter(move |l| {
            l.validation
                .as_ref()
                .is_some_and(|v| v.warnings.contains(&warning))
        })
    }
}

impl BatchSummary {
    /// Counts one line (the list columns of a streamed batch are summed line by line).
    pub fn add(&mut self, line: &BatchLine) {
        let s = self;
        s.lines += 1;
        s.claimed_amount += line.sale.claimed_amount.unwrap_or_default();
        s.calculated_amount += line
            .validation
            .as_ref()
            .and_then(|v| v.calculated_amount)
            .unwrap_or_default();
        if line.status.is_disputed() {
            s.disputes += 1;
            s.disputed_amount += line.sale.claimed_amount.unwrap_or_default();
        }
        if matches!(line.status, LineStatus::Accepted | LineStatus::Claimed) {
            s.accepted_lines += 1;
            s.accepted_amount += line.accepted_amount.unwrap_or_default();
        }
    }
}

/// The list columns of a batch (§2.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchSummary {
    /// Lines.
    pub lines: usize,
    /// Distributor claimed amount.
    pub claimed_amount: Decimal,
    /// Calculated amount.
    pub calculated_amount: Decimal,
    /// Disputed or Duplicate lines.
    pub disputes: usize,
    /// Their claimed amount.
    pub disputed_amount: Decimal,
    /// Accepted or Claimed lines.
    pub accepted_lines: usize,
    /// Their accepted amount.
    pub accepted_amount: Decimal,
    /// Σ claims cut.
    pub payment_amount: Decimal,
}

fn reason_text(reason: &RejectReason) -> String {
    match reason {
        RejectReason::Configured(text) => text.clone(),
        other => status_name(other),
    }
}

pub mod stream;
#[cfg(test)]
pub(crate) mod tests;
