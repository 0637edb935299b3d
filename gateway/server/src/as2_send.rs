//! Outbound AS2 (design.md 8): a rendered file goes as a signed and encrypted AS2 message to
//! a partner whose profile has `[as2]` and no `[sftp]` drop, or, for a partner with both,
//! when it answers a file that came in over AS2 (`outbound::send` decides).
//!
//! The message is built once and recorded (`as2_outbound`: Message-ID, MIC, headers, the body
//! in the raw store) before the first POST, so a retry after an HTTP error or a crash posts the
//! same bytes under the same Message-ID, which is derived from the transaction id. A
//! synchronous MDN settles the transaction at once; for an asynchronous one the transaction
//! stays `processing` with a note until `as2_mdn_wait` sees the MDN or gives up.
//!
//! Only transport failures are errors here (the bus retries them); a partner that refuses
//! the message (negative MDN, MIC mismatch, bad MDN signature) fails the transaction without a
//! retry: sending the same bytes again would be refused again.

use chrono::Utc;
use partner_maps::Profile;
use store::{
    As2OutboundRecord, As2OutboundStatus, NewAs2Outbound, Step, TransactionRecord, TransactionRef,
    TransactionUpdate, TxState,
};
use tracing::Instrument;
use transport::as2::{self, HttpMessage, MdnVerdict, Mic, PartnerAs2, SendOutcome};
use uuid::Uuid;

use crate::as2_endpoint::partner_as2;
use crate::error::PipelineError;
use crate::messages::Rendered;
use crate::shared::Shared;

/// The AS2 Message-ID (without angle brackets) of an outbound transaction: derived from its id,
/// so every attempt, also after a crash, sends under the same one.
pub fn message_id(transaction: Uuid, our_as2_id: &str) -> String {
    let host: String = our_as2_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("chargegate-{}@{host}", transaction.simple())
}

/// Whether `profile`'s files go over AS2: it has `[as2]` and no `[sftp]` outbox to collect
/// them from.
pub fn uses_as2(profile: &Profile) -> bool {
    profile.as2.is_some() && profile.sftp.is_none()
}

/// The partner's AS2 settings as the transport takes them.
pub(crate) fn partner_settings(shared: &Shared, partner: &str) -> Result<PartnerAs2, String> {
    let profiles = shared.profiles.current();
    let profile = profiles
        .get(partner)
        .ok_or_else(|| format!("no partner profile \"{partner}\""))?;
    match partner_as2(profile, &shared.as2_url()) {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(format!("partner \"{partner}\" has no [as2] settings")),
        Err(e) => Err(format!("AS2 settings of partner \"{partner}\": {e}")),
    }
}

/// Sends `rendered` over AS2 (the transaction is not done yet).
pub async fn send(
    shared: &Shared,
    tx: &TransactionRecord,
    rendered: &Rendered,
) -> Result<(), PipelineError> {
    let me = shared
        .as2_identity
        .clone()
        .ok_or_else(|| PipelineError::Send("AS2 identity not configured".into()))?;
    let id = message_id(tx.id, &me.as2_id);
    let span = tracing::info_span!("as2_send", transaction = %tx.id, partner = %rendered.partner, message_id = %id);
    send_as(shared, tx, rendered, me, id).instrument(span).await
}

async fn send_as(
    shared: &Shared,
    tx: &TransactionRecord,
    rendered: &Rendered,
    me: std::sync::Arc<as2::LocalIdentity>,
    id: String,
) -> Result<(), PipelineError> {
    let partner = &rendered.partner;
    let settings = partner_settings(shared, partner).map_err(PipelineError::Send)?;
    let record = match shared.store.get_as2_outbound(&id).await? {
        Some(r) if r.status == As2OutboundStatus::AwaitingMdn => {
            // Delivered; the MDN wait resends it if its MDN does not come.
            tracing::info!("already sent, awaiting its MDN");
            return Ok(());
        }
        Some(r) if r.status == As2OutboundStatus::Processed => {
            tracing::info!("its MDN came before");
            return Ok(());
        }
        Some(r) if r.status == As2OutboundStatus::Failed && tx.state == TxState::Failed => {
            // Refused (or no MDN) and not replayed: a redelivery does not send it again.
            tracing::info!(detail = ?r.detail, "failed before; replay it to send again");
            return Ok(());
        }
        // Built before (an HTTP error or a crash in between): the same bytes again.
        Some(r) if r.status == As2OutboundStatus::Sending => r,
        // New, or failed before and replayed: built afresh (the profile may have changed).
        _ => build(shared, &me, &settings, tx, rendered, &id).await?,
    };
    let now = Utc::now();
    let mut t = shared.store.begin().await?;
    t.update_transaction(&TransactionUpdate::new(
        tx.id,
        Step::Send,
        TxState::Processing,
        "system",
        now,
    ))
    .await?;
    t.add_transaction_refs(
        tx.id,
        &[TransactionRef::new(store::RefKind::As2Message, id.clone())],
    )
    .await?;
    let claimed = t.claim_as2_attempt(&id, record.attempts, now).await?;
    t.commit().await?;
    if !claimed {
        tracing::info!("another sender or its MDN got there first");
        return Ok(());
    }
    match post(shared, &settings, &record).await? {
        SendOutcome::SyncMdn(verdict) => {
            settle(shared, &record, problem(&verdict)).await?;
        }
        SendOutcome::AwaitingAsyncMdn => awaiting(shared, &record).await?,
        SendOutcome::Delivered => {
            settle(shared, &record, None).await?;
        }
    }
    Ok(())
}

/// Builds the message, stores its body and records it (status `sending`).
async fn build(
    shared: &Shared,
    me: &std::sync::Arc<as2::LocalIdentity>,
    settings: &PartnerAs2,
    tx: &TransactionRecord,
    rendered: &Rendered,
    id: &str,
) -> Result<As2OutboundRecord, PipelineError> {
    let payload = shared.raw.read(&rendered.raw_sha256)?;
    let (me, settings, name, mid) = (
        me.clone(),
        settings.clone(),
        rendered.file_name.clone(),
        id.to_owned(),
    );
    let (msg, mic) = tokio::task::spawn_blocking(move || {
        as2::build_message(&me, &settings, &payload, &name, &mid)
    })
    .await?
    .map_err(|e| PipelineError::Send(format!("building AS2 message {id}: {e}")))?;
    let body = shared.raw.put(&msg.body)?;
    let headers = serde_json::to_value(&msg.headers)?;
    let new = NewAs2Outbound {
        message_id: id.to_owned(),
        partner: rendered.partner.clone(),
        transaction_id: tx.id,
        mic: mic.to_header(),
        headers,
        body_sha256: body.sha256,
        at: Utc::now(),
    };
    shared.store.put_as2_outbound(&new).await?;
    shared
        .store
        .get_as2_outbound(id)
        .await?
        .ok_or_else(|| PipelineError::Inconsistent(format!("AS2 message {id} not recorded")))
}

/// POSTs a recorded message (its stored headers and body) and reads a synchronous MDN.
pub(crate) async fn post(
    shared: &Shared,
    settings: &PartnerAs2,
    record: &As2OutboundRecord,
) -> Result<SendOutcome, PipelineError> {
    let sender = shared
        .as2_sender
        .as_ref()
        .ok_or_else(|| PipelineError::Send("AS2 identity not configured".into()))?;
    let headers: Vec<(String, String)> = serde_json::from_value(record.headers.clone())?;
    let msg = HttpMessage {
        headers,
        body: shared.raw.read(&record.body_sha256)?,
    };
    let mic = Mic::parse_header(&record.mic).map_err(|e| {
        PipelineError::Inconsistent(format!("AS2 message {}: MIC: {e}", record.message_id))
    })?;
    sender
        .send(settings, &msg, &mic, &record.message_id)
        .await
        .map_err(|e| {
            PipelineError::Send(format!(
                "AS2 message {} to {} at {}: {e}",
                record.message_id, record.partner, settings.url
            ))
        })
}

/// Marks a message accepted by the partner's server as awaiting its asynchronous MDN, unless
/// the MDN was quicker.
async fn awaiting(shared: &Shared, record: &As2OutboundRecord) -> Result<(), PipelineError> {
    use As2OutboundStatus::{AwaitingMdn, Sending};
    let now = Utc::now();
    let mut t = shared.store.begin().await?;
    if !t
        .transition_as2_outbound(&record.message_id, &[Sending], AwaitingMdn, None, now)
        .await?
    {
        t.rollback().await?;
        return Ok(());
    }
    t.update_transaction(
        &TransactionUpdate::new(
            record.transaction_id,
            Step::Send,
            TxState::Processing,
            "system",
            now,
        )
        .with_error(format!(
            "awaiting the asynchronous AS2 MDN for message {} from {}",
            record.message_id, record.partner
        )),
    )
    .await?;
    t.commit().await?;
    tracing::info!("posted; awaiting its asynchronous MDN");
    Ok(())
}

/// What is wrong with an MDN, in words for the operator; `None` for a good one.
pub(crate) fn problem(verdict: &MdnVerdict) -> Option<String> {
    match verdict {
        MdnVerdict::Processed => None,
        MdnVerdict::Negative(disposition) => Some(format!("negative MDN: {disposition}")),
        MdnVerdict::MicMismatch { expected, received } => Some(format!(
            "MIC mismatch: we computed {expected}, the MDN returned {}",
            received.as_deref().unwrap_or("none")
        )),
        MdnVerdict::Unsigned => Some("the MDN is not signed, a signed one was asked for".into()),
        MdnVerdict::SignatureInvalid(why) => Some(format!("the MDN signature is invalid: {why}")),
    }
}

/// Settles a message and its transaction: done on a good MDN, failed (not retried) with
/// `problem`. Returns `false` when it was settled before (an MDN that came twice).
pub(crate) async fn settle(
    shared: &Shared,
    record: &As2OutboundRecord,
    problem: Option<String>,
) -> Result<bool, PipelineError> {
    use As2OutboundStatus::{AwaitingMdn, Failed, Processed, Sending};
    let now = Utc::now();
    let error = problem.map(|p| {
        format!(
            "AS2 message {} to {}: {p}",
            record.message_id, record.partner
        )
    });
    let (status, state) = match &error {
        None => (Processed, TxState::Done),
        Some(_) => (Failed, TxState::Failed),
    };
    let mut t = shared.store.begin().await?;
    if !t
        .transition_as2_outbound(
            &record.message_id,
            &[Sending, AwaitingMdn],
            status,
            error.as_deref(),
            now,
        )
        .await?
    {
        t.rollback().await?;
        tracing::info!(message_id = %record.message_id, "settled before; MDN ignored");
        return Ok(false);
    }
    let update = TransactionUpdate::new(record.transaction_id, Step::Send, state, "system", now);
    let update = match &error {
        None => update.clearing_error(),
        Some(e) => update.with_error(e.clone()),
    };
    t.update_transaction(&update).await?;
    t.commit().await?;
    match error {
        None => {
            metrics::counter!("chargegate_files_sent_total", "channel" => "as2").increment(1);
            tracing::info!(transaction = %record.transaction_id, partner = %record.partner, message_id = %record.message_id, "sent over AS2; MDN processed");
        }
        Some(error) => {
            metrics::counter!("chargegate_as2_mdn_failures_total").increment(1);
            tracing::warn!(transaction = %record.transaction_id, partner = %record.partner, message_id = %record.message_id, %error, "AS2 message failed");
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_id_is_derived_from_the_transaction() {
        let tx = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        assert_eq!(
            message_id(tx, "CHARGE GATE"),
            "chargegate-0123456789abcdef0123456789abcdef@CHARGE_GATE"
        );
        assert_eq!(message_id(tx, "X"), message_id(tx, "X"));
        assert_ne!(message_id(Uuid::nil(), "X"), message_id(tx, "X"));
    }

    #[test]
    fn every_bad_verdict_says_what_is_wrong() {
        assert_eq!(problem(&MdnVerdict::Processed), None);
        let negative = problem(&MdnVerdict::Negative(
            "automatic-action/MDN-sent-automatically; processed/error: decryption-failed".into(),
        ));
        assert!(negative.is_some_and(|p| p.contains("decryption-failed")));
        let mismatch = problem(&MdnVerdict::MicMismatch {
            expected: "a=, sha-256".into(),
            received: None,
        });
        assert!(mismatch.is_some_and(|p| p.contains("a=, sha-256") && p.contains("none")));
    }
}
