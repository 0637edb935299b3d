//! The 844s sent for a claim and the acknowledgments that answer them (chargeback-rules 6.3
//! C11–C13, 7.1): each send is a `claim_transmissions` row keyed by its outbox message id;
//! rendering gives it control numbers; a partner's 997/999/TA1 finds it by them.
//!
//! - C12: a 997/999 accepting the 844 (AK5/IK5 A or E; without an AK2 for it, AK9 A, E or P)
//!   moves the claim Sent → Acknowledged and records the acknowledged date.
//! - C13: a 997/999 or a TA1 rejecting it moves the claim Sent → Approved, and the claim is
//!   sent again at once (C11): the same 844 (same debit memo) under a new message id, so
//!   rendering gives it new control numbers.
//!
//! A transmission is answered once: a second acknowledgment of the same 844, an answer to an
//! earlier send, or one arriving after the 849 moved the claim on changes no claim.

use engine::claims::ClaimStatus;
use schemas::{AckKind, AckStatus, Acknowledgment, Document};
use sha2::{Digest, Sha256};
use store::{ClaimTransmission, ControlLevel, NewClaimTransmission, StoreTx, TransmissionStatus};
use uuid::Uuid;

use crate::audit::append_all;
use crate::error::ApplyError;
use crate::state::{load_claim, save_claim};
use crate::{Context, OutboundDoc};

/// Records that the 844 in outbox message `message_id` went to `partner` for the claim.
pub(crate) async fn record_sent(
    tx: &mut dyn StoreTx,
    claim_id: Uuid,
    partner: &str,
    message_id: &str,
    seq: i64,
    ctx: &Context,
) -> Result<(), ApplyError> {
    let event = crate::audit::event(ctx, "claim_transmission", message_id, "844 handed over")
        .transition(None, TransmissionStatus::Sent.as_str())
        .correlation(claim_id.to_string());
    tx.insert_claim_transmission(
        &NewClaimTransmission {
            message_id: message_id.to_owned(),
            claim_id,
            partner: partner.to_owned(),
            seq,
            at: ctx.now,
        },
        &event,
    )
    .await?;
    Ok(())
}

/// What an acknowledgment did to a claim.
pub(crate) struct AckEffect {
    /// For the summary.
    pub note: String,
    /// The claim number, when one was found.
    pub claim: Option<String>,
    /// The resent 844 (C13).
    pub outbound: Option<OutboundDoc>,
}

impl AckEffect {
    fn note(note: impl Into<String>) -> Self {
        AckEffect {
            note: note.into(),
            claim: None,
            outbound: None,
        }
    }
}

/// Control numbers are numbers; partners echo them with or without leading zeros.
fn number(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

/// Accepted (`true`), rejected (`false`) or no verdict on the one set of a transmission. A
/// TA1 only rejects: its acceptance says the envelope was readable, not that the set was.
fn verdict(ack: &Acknowledgment, t: &ClaimTransmission) -> Option<bool> {
    let accepts = |s: AckStatus| s != AckStatus::Rejected;
    match ack.kind {
        AckKind::Interchange => ack
            .interchange
            .as_ref()
            .filter(|i| i.status == AckStatus::Rejected)
            .map(|_| false),
        AckKind::Functional | AckKind::Implementation => {
            let set = ack
                .sets
                .iter()
                .find(|s| s.set_id == "844" && number(&s.control_number) == t.st02);
            match set {
                Some(s) => Some(accepts(s.status)),
                // A 997 usually lists only the sets in error: AK9 covers ours.
                None => ack.group.as_ref().map(|g| accepts(g.status)),
            }
        }
    }
}

/// Applies a partner's acknowledgment to the claim whose 844 it answers, in the caller's
/// transaction.
pub(crate) async fn apply_ack(
    tx: &mut dyn StoreTx,
    ack: &Acknowledgment,
    partner: &str,
    message_id: &str,
    ctx: &Context,
) -> Result<AckEffect, ApplyError> {
    let (level, control) = match (&ack.kind, &ack.interchange, &ack.group) {
        (AckKind::Interchange, Some(i), _) => (ControlLevel::Interchange, &i.control_number),
        (AckKind::Functional | AckKind::Implementation, _, Some(g)) => {
            (ControlLevel::Group, &g.control_number)
        }
        _ => return Ok(AckEffect::note("answers no envelope")),
    };
    let Some(control) = number(control) else {
        return Ok(AckEffect::note("answers no claim"));
    };
    let Some(t) = tx.find_claim_transmission(partner, level, control).await? else {
        return Ok(AckEffect::note("answers no claim"));
    };
    let Some(accepted) = verdict(ack, &t) else {
        return Ok(AckEffect::note("says nothing about the claim's 844"));
    };
    let status = if accepted {
        TransmissionStatus::Accepted
    } else {
        TransmissionStatus::Rejected
    };
    let event = crate::audit::event(ctx, "claim_transmission", &t.message_id, "acknowledged")
        .transition(Some(t.status.as_str()), status.as_str())
        .reason(format!("{:?}", ack.kind))
        .correlation(message_id.to_owned());
    if !tx
        .answer_claim_transmission(&t.message_id, status, message_id, ctx.now, &event)
        .await?
    {
        return Ok(AckEffect::note("answers an 844 answered before"));
    }
    let record = tx
        .get_claim(t.claim_id)
        .await?
        .ok_or(ApplyError::UnknownClaim(t.claim_id))?;
    let latest = tx
        .claim_transmissions(t.claim_id)
        .await?
        .last()
        .map(|l| l.seq);
    let mut claim = load_claim(tx, &record).await?;
    let mut effect = AckEffect {
        note: String::new(),
        claim: Some(claim.number.clone()),
        outbound: None,
    };
    if latest != Some(t.seq) || claim.status != ClaimStatus::Sent {
        effect.note = format!(
            "{status} send {} of claim {}, which is {}: claim unchanged",
            t.seq, claim.number, record.status
        );
        return Ok(effect);
    }
    let mut events = vec![claim.acknowledged(accepted, partner, ctx.today)?];
    if accepted {
        effect.note = format!("claim {} acknowledged (C12)", claim.number);
    } else {
        // C13 then C11: the same 844 (same debit memo) under a new message id, so rendering
        // allocates new control numbers; control numbers are never reused.
        let doc = Document::Claim(crate::claim_out::outbound_844(&claim, partner));
        let seq = t.seq + 1;
        let resend_id = resend_message_id(&doc, seq)?;
        let outbound =
            crate::outbox::write_outbound_as(tx, &doc, partner, resend_id, ctx.now).await?;
        events.push(claim.mark_sent(ctx.today)?);
        record_sent(tx, record.id, partner, &outbound.message_id, seq, ctx).await?;
        effect.note = format!(
            "claim {} rejected (C13), sent again as send {seq} (C11)",
            claim.number
        );
        effect.outbound = Some(outbound);
    }
    save_claim(
        tx,
        ctx,
        (record.id, record.version, &record.status),
        &claim,
        "acknowledgment",
        Some(message_id),
    )
    .await?;
    append_all(tx, &events, ctx, message_id).await?;
    Ok(effect)
}

/// The message id of send `seq` of an 844: derived from the document and the send number, so
/// applying the same rejection again (a redelivery) would name the same message.
fn resend_message_id(doc: &Document, seq: i64) -> Result<String, ApplyError> {
    let base = crate::outbox::outbound_message_id(doc)?;
    Ok(format!(
        "{:x}",
        Sha256::digest(format!("{base}:send:{seq}").as_bytes())
    ))
}
