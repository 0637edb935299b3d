//! `POST /as2` (design.md 8): decrypt, decompress, verify, store the payload (raw copy +
//! rows), and only then answer with the (signed) MDN, synchronously or by posting it to the
//! partner's receipt URL. A Message-ID seen before from the partner with the same payload
//! gets its positive MDN again (the partner lost ours) and is not processed twice; with
//! another payload it is a different message under a used id: refused with
//! `processed/error: duplicate-document` (no MIC: nothing is certified), its payload kept on
//! a failed receipt of its own for ops, not processed. MDNs for what we sent are handed to
//! [`crate::as2_mdn_wait`].

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use partner_maps::Profile;
use partner_maps::profile::{Encryption, Mdn, Signing};
use transport::as2::{
    self, EncryptionAlg, FailureModifier, HttpMessage, LocalIdentity, MdnMode, MdnOutcome, MicAlg,
    PartnerAs2, PartnerCert,
};

use crate::http::AppState;
use crate::ingest::As2Receipt;

/// The AS2 route. Bodies up to `http.max_body` bytes are read by [`read_body`] (axum's
/// default limit of 2 MB would refuse ordinary AS2 files with 413).
pub fn routes() -> Router<AppState> {
    Router::new().route("/as2", post(receive))
}

/// Reads a request body into one buffer sized from Content-Length, so a 50 MB message costs
/// 50 MB once (collecting chunks into a growing buffer, then copying it into the `Vec` the
/// in-place decryption needs, peaks at twice that). Refuses more than `max` bytes with 413.
async fn read_body(body: Body, headers: &HeaderMap, max: usize) -> Result<Vec<u8>, Response> {
    use http_body_util::BodyExt;
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("AS2 messages are limited to {max} bytes (http.max_body)"),
        )
            .into_response()
    };
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let mut out = Vec::with_capacity(declared.unwrap_or(64 * 1024));
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()).into_response())?;
        if let Some(data) = frame.data_ref() {
            if out.len() + data.len() > max {
                return Err(too_large());
            }
            out.extend_from_slice(data);
        }
    }
    Ok(out)
}

/// A partner profile's AS2 settings as the transport takes them; `None` without `[as2]`.
/// `our_url` is where the partner posts asynchronous MDNs for what we send.
pub fn partner_as2(profile: &Profile, our_url: &str) -> Result<Option<PartnerAs2>, as2::As2Error> {
    let Some(a) = &profile.as2 else {
        return Ok(None);
    };
    let certificates = a
        .certificates
        .iter()
        .map(|p| PartnerCert::from_pem_file(p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(PartnerAs2 {
        as2_id: a.id.clone(),
        url: a.url.clone(),
        certificates,
        encrypt: Some(match a.encrypt {
            Encryption::Aes128Cbc => EncryptionAlg::Aes128Cbc,
            Encryption::Aes192Cbc => EncryptionAlg::Aes192Cbc,
            Encryption::Aes256Cbc => EncryptionAlg::Aes256Cbc,
            Encryption::TripleDes => EncryptionAlg::TripleDes,
            other @ (Encryption::Aes128Gcm | Encryption::Aes256Gcm) => {
                return Err(as2::As2Error::UnsupportedAlgorithm(format!(
                    "profile \"{}\": AS2 encryption {other:?} (use an AES-CBC cipher)",
                    profile.id
                )));
            }
        }),
        sign: Some(match a.sign {
            Signing::Sha1 => MicAlg::Sha1,
            Signing::Sha256 => MicAlg::Sha256,
            Signing::Sha384 => MicAlg::Sha384,
            Signing::Sha512 => MicAlg::Sha512,
        }),
        mdn: match a.mdn {
            Mdn::Sync => MdnMode::Sync,
            Mdn::Async => MdnMode::Async {
                url: our_url.to_owned(),
            },
        },
        signed_mdn: true,
    }))
}

async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let Some(me) = state.shared.as2_identity.clone() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "AS2 identity not configured",
        )
            .into_response();
    };
    let max_body = state.shared.settings.http.max_body;
    let body = match read_body(body, &headers, max_body).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    // An asynchronous MDN for something we sent comes to the same URL.
    if crate::as2_mdn_wait::is_mdn(&headers, &body) {
        return crate::as2_mdn_wait::accept(&state.shared, &headers, &body)
            .await
            .into_response();
    }
    let profiles = state.shared.profiles.current();
    let our_url = state.shared.as2_url();
    let lookup_profiles = profiles.clone();
    let url = our_url.clone();
    let me2 = me.clone();
    let received = tokio::task::spawn_blocking(move || {
        let lookup = |from: &str| {
            lookup_profiles
                .iter()
                .find(|p| p.as2.as_ref().is_some_and(|a| a.id == from))
                .and_then(|p| partner_as2(p, &url).ok().flatten())
        };
        // Handed over, decrypted in place: one copy of the message in memory (and what a
        // compressed one inflates to, which may not pass the body limit either).
        as2::receive_owned(&headers, body, &me2, &lookup, max_body)
    })
    .await;
    let received = match received {
        Ok(r) => r,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    match received {
        Ok(mut msg) => {
            // Moved, not cloned: the payload is stored once and not needed for the MDN.
            let payload = std::mem::take(&mut msg.payload);
            let Some(profile) = profiles
                .iter()
                .find(|p| p.as2.as_ref().is_some_and(|a| a.id == msg.partner_as2_id))
            else {
                return (StatusCode::FORBIDDEN, "unknown trading partner").into_response();
            };
            let partner = profile.id.clone();
            metrics::counter!("chargegate_as2_received_total").increment(1);
            let ingest = state.ingest.clone();
            let receipt = ingest
                .receive_as2(&partner, &msg.message_id, msg.filename.as_deref(), payload)
                .await;
            let outcome = match receipt {
                // Stored: now the MDN may go; processing runs after the answer.
                Ok(As2Receipt::New(r)) => {
                    let id = r.transaction;
                    tokio::spawn(async move {
                        if let Err(error) = ingest.process(id).await {
                            tracing::error!(transaction = %id, %error, "AS2 file not processed");
                        }
                    });
                    MdnOutcome::Processed {
                        mic: Some(msg.mic.clone()),
                    }
                }
                // The same message again: the same answer, nothing processed twice.
                Ok(As2Receipt::Resent) => {
                    tracing::warn!(partner, message_id = %msg.message_id, "AS2 message received before with the same content; answering again, not processing");
                    MdnOutcome::Processed {
                        mic: Some(msg.mic.clone()),
                    }
                }
                // Another message under a used Message-ID: a `processed` MDN would certify
                // content that is not processed, so it is refused (kept for ops).
                Ok(As2Receipt::Reused {
                    transaction,
                    first_sha256,
                }) => MdnOutcome::Failed {
                    modifier: FailureModifier::DuplicateDocument,
                    text: format!(
                        "Message-ID {} was received before with other content (SHA-256 {}); \
                         this content is not processed under it. Send it again under a new \
                         Message-ID.{}",
                        msg.message_id,
                        first_sha256,
                        transaction
                            .map(|t| format!(" It is kept for review (reference {t})."))
                            .unwrap_or_default()
                    ),
                },
                // Not stored: no positive MDN; the partner sends again.
                Err(e) => {
                    return (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response();
                }
            };
            answer(
                &state,
                &me,
                &msg.partner_as2_id,
                &msg.message_id,
                outcome,
                msg.mdn_request,
            )
            .await
        }
        Err(failure) => {
            tracing::warn!(error = %failure, "AS2 message refused");
            metrics::counter!("chargegate_as2_refused_total").increment(1);
            match (&failure.partner_as2_id, &failure.message_id) {
                (Some(from), Some(id)) => {
                    let outcome = MdnOutcome::Failed {
                        modifier: failure.modifier,
                        text: failure.text.clone(),
                    };
                    answer(&state, &me, from, id, outcome, failure.mdn_request.clone()).await
                }
                _ => (StatusCode::BAD_REQUEST, failure.to_string()).into_response(),
            }
        }
    }
}

async fn answer(
    state: &AppState,
    me: &Arc<LocalIdentity>,
    to: &str,
    message_id: &str,
    outcome: MdnOutcome,
    request: Option<as2::MdnRequest>,
) -> Response {
    let Some(request) = request else {
        return StatusCode::OK.into_response();
    };
    let mdn = match as2::build_mdn(me, to, message_id, outcome, request.signed_micalg) {
        Ok(m) => m,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    match request.async_url {
        None => http_message(mdn),
        Some(url) => {
            let sender = state.shared.as2_sender.clone();
            tokio::spawn(async move {
                if let Some(sender) = sender
                    && let Err(error) = sender.send_mdn(&url, &mdn).await
                {
                    tracing::error!(url, %error, "async MDN not delivered");
                }
            });
            StatusCode::OK.into_response()
        }
    }
}

fn http_message(msg: HttpMessage) -> Response {
    let mut response = (StatusCode::OK, msg.body).into_response();
    for (k, v) in msg.headers {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            axum::http::HeaderValue::from_str(&v),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
