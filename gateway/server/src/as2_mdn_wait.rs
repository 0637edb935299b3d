//! Waiting for asynchronous MDNs (design.md 8): the ones that come to `POST /as2`, and the
//! ones that do not.
//!
//! An MDN is matched to the message we sent by its Original-Message-ID, checked (signature
//! with the partner's certificates, MIC against the one we computed) and settles the message
//! and its transaction. A message whose MDN is late is resent under the same Message-ID with
//! the same bytes (RFC 4130 practice: the partner deduplicates), up to `as2_resends` times;
//! when the last resend times out too, the transaction fails.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::Utc;
use store::As2OutboundRecord;
use tokio_util::sync::CancellationToken;
use transport::as2::{self, Mic, SendOutcome};

use crate::as2_send::{partner_settings, post, problem, settle};
use crate::error::PipelineError;
use crate::shared::Shared;

/// Whether a request to `POST /as2` is an MDN rather than an AS2 message: a multipart/report,
/// or a multipart/signed whose signed part is one.
pub fn is_mdn(headers: &[(String, String)], body: &[u8]) -> bool {
    let content_type = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if content_type.starts_with("multipart/report") {
        return true;
    }
    content_type.starts_with("multipart/signed") && as2::read_mdn_fields(headers, body).is_ok()
}

/// Takes an asynchronous MDN: the answer to its POST. An MDN for a message we do not know is
/// answered 200 (the partner cannot do better) and logged.
pub async fn accept(
    shared: &Shared,
    headers: &[(String, String)],
    body: &[u8],
) -> (StatusCode, String) {
    let fields = match as2::read_mdn_fields(headers, body) {
        Ok(f) => f,
        Err(error) => {
            tracing::warn!(%error, "unreadable MDN");
            return (StatusCode::BAD_REQUEST, format!("unreadable MDN: {error}"));
        }
    };
    let id = fields.original_message_id;
    let record = match shared.store.get_as2_outbound(&id).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            metrics::counter!("chargegate_as2_mdn_unknown_total").increment(1);
            tracing::warn!(message_id = %id, disposition = %fields.disposition, "MDN for a message we did not send; ignored");
            return (StatusCode::OK, "no such message".into());
        }
        Err(e) => return (StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    match check(shared, &record, headers, body).await {
        Ok(()) => (StatusCode::OK, "MDN received".into()),
        Err(e @ PipelineError::Send(_)) => {
            tracing::warn!(message_id = %id, partner = %record.partner, error = %e, "MDN not usable");
            (StatusCode::BAD_REQUEST, e.to_string())
        }
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

async fn check(
    shared: &Shared,
    record: &As2OutboundRecord,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(), PipelineError> {
    let me = shared
        .as2_identity
        .clone()
        .ok_or_else(|| PipelineError::Send("AS2 identity not configured".into()))?;
    let partner = partner_settings(shared, &record.partner).map_err(PipelineError::Send)?;
    let mic = Mic::parse_header(&record.mic).map_err(|e| {
        PipelineError::Inconsistent(format!("AS2 message {}: MIC: {e}", record.message_id))
    })?;
    let verdict = as2::parse_mdn(&me, &partner, headers, body, &record.message_id, &mic)
        .map_err(|e| PipelineError::Send(format!("MDN for {}: {e}", record.message_id)))?;
    tracing::info!(transaction = %record.transaction_id, partner = %record.partner, message_id = %record.message_id, ?verdict, "asynchronous MDN");
    settle(shared, record, problem(&verdict)).await?;
    Ok(())
}

/// Resends messages whose asynchronous MDN is late, and fails them after the last resend,
/// until `stop`.
pub async fn run(shared: Arc<Shared>, stop: CancellationToken) {
    let timeout = shared.settings.workers.as2_mdn_timeout();
    // Look often enough that a message waits at most about a quarter timeout too long.
    let tick = (timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(5));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(tick) => {}
        }
        if let Err(error) = sweep(&shared, timeout).await {
            tracing::warn!(%error, "AS2 MDN wait: sweep failed");
        }
    }
}

async fn sweep(shared: &Shared, timeout: Duration) -> Result<(), PipelineError> {
    let timeout = chrono::Duration::from_std(timeout)
        .map_err(|e| PipelineError::Inconsistent(format!("as2_mdn_timeout_ms: {e}")))?;
    let late = shared
        .store
        .as2_awaiting_mdn(Utc::now() - timeout, 100)
        .await?;
    let allowed = 1 + i64::from(shared.settings.workers.as2_resends);
    for record in late {
        if record.attempts >= allowed {
            let why = format!("no MDN after {} attempts", record.attempts);
            settle(shared, &record, Some(why)).await?;
        } else {
            resend(shared, &record).await?;
        }
    }
    Ok(())
}

async fn resend(shared: &Shared, record: &As2OutboundRecord) -> Result<(), PipelineError> {
    let now = Utc::now();
    if !shared
        .store
        .claim_as2_attempt(&record.message_id, record.attempts, now)
        .await?
    {
        return Ok(()); // another gateway process resends it, or its MDN just came
    }
    metrics::counter!("chargegate_as2_resends_total").increment(1);
    tracing::info!(transaction = %record.transaction_id, partner = %record.partner, message_id = %record.message_id, attempt = record.attempts + 1, "no MDN yet: resending");
    let partner = match partner_settings(shared, &record.partner) {
        Ok(p) => p,
        Err(error) => {
            tracing::warn!(message_id = %record.message_id, %error, "not resent");
            return Ok(());
        }
    };
    // The attempt counts whether or not the POST gets through: the timeout comes round again.
    match post(shared, &partner, record).await {
        Ok(SendOutcome::SyncMdn(verdict)) => {
            settle(shared, record, problem(&verdict)).await?;
        }
        Ok(SendOutcome::AwaitingAsyncMdn | SendOutcome::Delivered) => {}
        Err(error) => {
            tracing::warn!(message_id = %record.message_id, %error, "resend failed");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ct(v: &str) -> Vec<(String, String)> {
        vec![("Content-Type".into(), v.into())]
    }

    #[test]
    fn a_report_is_an_mdn_and_an_edi_message_is_not() {
        assert!(is_mdn(
            &ct("multipart/report; report-type=disposition-notification; boundary=\"b\""),
            b""
        ));
        assert!(!is_mdn(
            &ct("application/pkcs7-mime; smime-type=enveloped-data"),
            b""
        ));
        assert!(!is_mdn(&ct("application/edi-x12"), b"ISA*"));
        // A signed AS2 message (not a report inside) is a message.
        let signed = b"--b\r\nContent-Type: application/edi-x12\r\n\r\nISA*\r\n--b\r\nContent-Type: application/pkcs7-signature\r\n\r\nxx\r\n--b--\r\n";
        assert!(!is_mdn(
            &ct(
                "multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"b\""
            ),
            signed
        ));
    }
}
