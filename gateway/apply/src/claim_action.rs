//! A user's action on a claim (chargeback-rules 6.3 C2–C6, 7.4, 8.4): submit for approval,
//! approve, reject, reopen for correction, cancel (manual claims only), write off (a split
//! child's unpaid part, with the acting user's approval) and split (while Open). One transaction each, under optimistic concurrency on the claim's version; the
//! engine's claim state machine decides what each status allows. This is how a split child —
//! an 849's unpaid part split off automatically, or a user's split — lives its own lifecycle.
//!
//! Approving as adjudicator moves the claim to Settlement Pending at once (C7). As claimant
//! it stays Approved: the claims a user can approve here are split children, which hold an
//! amount and no lines, so there is no 844 to send (C11); an unpaid part is pursued by
//! resubmitting its lines (7.5, `crate::resubmit`), disputed (6.4, `crate::dispute`) or
//! written off (7.4, here), not by sending the child.
//!
//! A child that ends (written off, cancelled) lets its Settled parent close (C16), in the
//! same transaction.

use engine::audit::{Actor, status_name};
use engine::claims::{Approval, WriteOff};
use engine::settings::Role;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use store::StoreTx;
use uuid::Uuid;

use crate::Context;
use crate::audit::append_all;
use crate::error::ApplyError;
use crate::state::{claim_at_version, insert_child_claim, load_claim, save_claim};

/// What a user does to a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClaimAction {
    /// C2: Open → Pending Approval.
    Submit,
    /// C3 by the acting user as approver, then C7 as adjudicator (a claimant's claim stays
    /// Approved: see the module's note).
    Approve,
    /// C4: Pending Approval → Rejected, with the reason.
    Reject {
        /// Why (audited).
        reason: String,
    },
    /// C5: Rejected → Open, for correction.
    Reopen,
    /// C6: Open → Cancelled (manual claims only).
    Cancel,
    /// §7.4 Accept above `writeoff_threshold`: a split child's unpaid part written off with
    /// the acting user's approval (Open → Cancelled, `written_off` says why).
    WriteOff {
        /// Why (audited, kept on the claim).
        reason: String,
    },
    /// §8.4: a child claim of `amount` split off an Open claim; Σ splits ≤ the amount.
    Split {
        /// The child's amount (positive).
        amount: Decimal,
        /// An optional reference (e.g. a debit memo number).
        #[serde(default)]
        reference: Option<String>,
    },
}

/// What a claim action did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimActionOutcome {
    /// The claim's version after the action (pass it as `expected_version` next time).
    pub version: i64,
    /// The claim's status after the action.
    pub status: String,
    /// `amount − Σ splits − settled` after the action (§8.4).
    pub remaining: Decimal,
    /// The child claim a split made: (row id, claim number).
    pub child: Option<(Uuid, String)>,
    /// Parents closed (C16) because this claim ended: their claim numbers.
    pub closed_parents: Vec<String>,
    /// One line for logs.
    pub summary: String,
}

pub(crate) async fn apply(
    tx: &mut dyn StoreTx,
    claim_id: Uuid,
    expected_version: i64,
    action: &ClaimAction,
    ctx: &Context,
) -> Result<ClaimActionOutcome, ApplyError> {
    let record = claim_at_version(tx, claim_id, expected_version).await?;
    let mut claim = load_claim(tx, &record).await?;
    if matches!(action, ClaimAction::Submit | ClaimAction::Approve)
        && crate::claim_answer::held_for_review(tx, &record).await?
    {
        return Err(ApplyError::HeldForReview(record.claim_number));
    }
    let actor = Actor::User(ctx.actor.clone());
    let mut events = Vec::new();
    let mut child = None;
    let what = match action {
        ClaimAction::Submit => {
            events.push(claim.submit(&actor, ctx.today)?);
            "submit"
        }
        ClaimAction::Approve => {
            let approval = Approval::Approver(ctx.actor.clone());
            events.push(claim.approve(&approval, &actor, ctx.today)?);
            if claim.role == Role::Adjudicator {
                events.push(claim.await_settlement(ctx.today)?);
            }
            "approve"
        }
        ClaimAction::Reject { reason } => {
            events.push(claim.reject(reason, &actor, ctx.today)?);
            "reject"
        }
        ClaimAction::Reopen => {
            events.push(claim.reopen(&actor, ctx.today)?);
            "reopen"
        }
        ClaimAction::Cancel => {
            events.push(claim.cancel(&actor, ctx.today)?);
            "cancel"
        }
        ClaimAction::WriteOff { reason } => {
            let how = WriteOff::Approved {
                approver: ctx.actor.clone(),
                reason: reason.clone(),
            };
            events.push(claim.write_off(&how, &actor, ctx.today)?);
            "write off"
        }
        ClaimAction::Split { amount, reference } => {
            let number = claim.next_split_number();
            let (split, event) =
                claim.split(*amount, number, reference.clone(), false, ctx.today)?;
            let correlation = claim_id.to_string();
            let id = insert_child_claim(tx, &record, &split, "split", &correlation, ctx).await?;
            events.push(event);
            child = Some((id, split.number));
            "split"
        }
    };
    let version = save_claim(
        tx,
        ctx,
        (claim_id, expected_version, &record.status),
        &claim,
        what,
        None,
    )
    .await?;
    append_all(tx, &events, ctx, &claim_id.to_string()).await?;
    let closed_parents = if claim.status == engine::claims::ClaimStatus::Cancelled {
        crate::settle::close_parents(tx, record.parent_id, ctx).await?
    } else {
        Vec::new()
    };
    let status = status_name(&claim.status);
    let mut summary = format!("claim {} {what}: {status}", claim.number);
    if !closed_parents.is_empty() {
        summary.push_str(&format!("; closed {}", closed_parents.join(", ")));
    }
    if let Some((_, number)) = &child {
        summary.push_str(&format!(
            "; split {number}, remaining {}",
            claim.remaining()
        ));
    }
    Ok(ClaimActionOutcome {
        version,
        status,
        remaining: claim.remaining(),
        child,
        closed_parents,
        summary,
    })
}
