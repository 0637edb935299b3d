//! Message Disposition Notifications (RFC 3798/8098 as profiled by RFC 4130): build ours, check
//! the partner's.

use std::borrow::Cow;

use super::cms::{self, VerifyFailure};
use super::error::{As2Error, As2Result, FailureModifier};
use super::identity::{LocalIdentity, PartnerAs2};
use super::message::{HttpMessage, bracketed, quote_as2_name, sign_entity};
use super::mic::{Mic, MicAlg};
use super::mime::{self, HeaderValue, header};

/// What an MDN reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdnOutcome {
    /// The message was processed; the MIC goes in Received-Content-MIC.
    Processed {
        /// The received content's MIC.
        mic: Option<Mic>,
    },
    /// The message was refused.
    Failed {
        /// The disposition modifier, e.g. `decryption-failed`.
        modifier: FailureModifier,
        /// Human readable explanation for the text part.
        text: String,
    },
}

/// How a partner's MDN for our message reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdnVerdict {
    /// Processed, with the MIC we expected (and signed if we asked for that).
    Processed,
    /// The partner refused the message; the Disposition text.
    Negative(String),
    /// Processed, but the MIC differs from ours: the content was altered or mis-canonicalized.
    MicMismatch {
        /// Ours, as a header value.
        expected: String,
        /// Theirs, if any.
        received: Option<String>,
    },
    /// We asked for a signed MDN and got an unsigned one.
    Unsigned,
    /// The MDN's signature does not verify with any partner certificate.
    SignatureInvalid(String),
}

impl MdnVerdict {
    /// True only for `Processed`.
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Processed)
    }
}

/// Builds an MDN answering `original_message_id` from `to_as2_id`, signed with `sign` if given.
pub fn build_mdn(
    me: &LocalIdentity,
    to_as2_id: &str,
    original_message_id: &str,
    outcome: MdnOutcome,
    sign: Option<MicAlg>,
) -> As2Result<HttpMessage> {
    let (text, disposition, mic) = match &outcome {
        MdnOutcome::Processed { mic } => (
            format!(
                "The AS2 message {} was received and verified.",
                bracketed(original_message_id)
            ),
            "automatic-action/MDN-sent-automatically; processed".to_owned(),
            mic.as_ref(),
        ),
        MdnOutcome::Failed { modifier, text } => (
            format!(
                "The AS2 message {} could not be processed: {text}",
                bracketed(original_message_id)
            ),
            format!("automatic-action/MDN-sent-automatically; processed/error: {modifier}"),
            None,
        ),
    };
    let boundary = mime::new_boundary();
    let mut report = Vec::with_capacity(1024);
    report.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    mime::write_headers(
        &mut report,
        &[
            ("Content-Type", "text/plain"),
            ("Content-Transfer-Encoding", "7bit"),
        ],
    );
    report.extend_from_slice(format!("\r\n{}\r\n", text.replace(['\r', '\n'], " ")).as_bytes());
    report.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
    mime::write_headers(
        &mut report,
        &[
            ("Content-Type", "message/disposition-notification"),
            ("Content-Transfer-Encoding", "7bit"),
        ],
    );
    report.extend_from_slice(b"\r\n");
    let recipient = format!("rfc822; {}", quote_as2_name(&me.as2_id));
    let original = bracketed(original_message_id);
    let mut fields: Vec<(&str, &str)> = vec![
        ("Reporting-UA", "chargegate"),
        ("Original-Recipient", &recipient),
        ("Final-Recipient", &recipient),
        ("Original-Message-ID", &original),
        ("Disposition", &disposition),
    ];
    let mic_value = mic.map(Mic::to_header);
    if let Some(m) = &mic_value {
        fields.push(("Received-Content-MIC", m));
    }
    mime::write_headers(&mut report, &fields);
    report.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let report_type =
        format!("multipart/report; report-type=disposition-notification; boundary=\"{boundary}\"");

    let (content_type, body) = match sign {
        Some(alg) => {
            let mut entity = Vec::with_capacity(report.len() + 128);
            mime::write_headers(&mut entity, &[("Content-Type", &report_type)]);
            entity.extend_from_slice(b"\r\n");
            entity.extend_from_slice(&report);
            sign_entity(me, alg, &entity)?
        }
        None => (report_type, report),
    };
    let headers = vec![
        ("AS2-Version".into(), "1.2".into()),
        ("AS2-From".into(), quote_as2_name(&me.as2_id)),
        ("AS2-To".into(), quote_as2_name(to_as2_id)),
        (
            "Message-ID".into(),
            super::message::new_message_id(&me.as2_id.replace(' ', "_")),
        ),
        (
            "Date".into(),
            httpdate::fmt_http_date(std::time::SystemTime::now()),
        ),
        ("MIME-Version".into(), "1.0".into()),
        ("Content-Type".into(), content_type),
    ];
    Ok(HttpMessage { headers, body })
}

/// The parts of an MDN a caller needs before the full check: to find the original message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdnFields {
    /// Original-Message-ID without brackets.
    pub original_message_id: String,
    /// The Disposition field.
    pub disposition: String,
    /// Received-Content-MIC, if present.
    pub mic: Option<String>,
}

/// Reads the disposition fields of an MDN without checking its signature (use this to find the
/// message an asynchronous MDN belongs to, then call [`parse_mdn`]).
pub fn read_mdn_fields(headers: &[(String, String)], body: &[u8]) -> As2Result<MdnFields> {
    let (_, report_headers, report_body) = locate_report(headers, body)?;
    report_fields(&report_headers, report_body)
}

/// The signed part (if signed), and the multipart/report's headers and body.
#[allow(clippy::type_complexity)]
fn locate_report<'a>(
    headers: &[(String, String)],
    body: &'a [u8],
) -> As2Result<(Option<(&'a [u8], Vec<u8>)>, Vec<(String, String)>, &'a [u8])> {
    let top = HeaderValue::parse(header(headers, "Content-Type").unwrap_or_default());
    match top.value.as_str() {
        "multipart/signed" => {
            let parts = mime::split_multipart(body, top.param("boundary").unwrap_or_default())?;
            let [signed, signature, ..] = parts.as_slice() else {
                return Err(As2Error::Mdn("multipart/signed without two parts".into()));
            };
            let signed_bytes = &body[signed.clone()];
            let sig_entity = &body[signature.clone()];
            let (sig_headers, sig_at) = mime::split_head(sig_entity)?;
            let base64 = header(&sig_headers, "Content-Transfer-Encoding")
                .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
            let signature = if base64 {
                mime::decode_base64(&sig_entity[sig_at..])?
            } else {
                sig_entity[sig_at..].to_vec()
            };
            let (report_headers, at) = mime::split_head(signed_bytes)?;
            Ok((
                Some((signed_bytes, signature)),
                report_headers,
                &signed_bytes[at..],
            ))
        }
        "multipart/report" => Ok((None, headers.to_vec(), body)),
        other => Err(As2Error::Mdn(format!("not an mdn: {other}"))),
    }
}

fn report_fields(report_headers: &[(String, String)], report_body: &[u8]) -> As2Result<MdnFields> {
    let report_type =
        HeaderValue::parse(header(report_headers, "Content-Type").unwrap_or_default());
    if report_type.value != "multipart/report" {
        return Err(As2Error::Mdn(format!(
            "signed part is {}",
            report_type.value
        )));
    }
    let parts = mime::split_multipart(
        report_body,
        report_type.param("boundary").unwrap_or_default(),
    )?;
    for part in parts {
        let entity = &report_body[part];
        let (part_headers, at) = mime::split_head(entity)?;
        let part_type =
            HeaderValue::parse(header(&part_headers, "Content-Type").unwrap_or_default());
        if part_type.value != "message/disposition-notification" {
            continue;
        }
        let (fields, _) = mime::split_head(entity[at..].trim_ascii_start())?;
        let original = header(&fields, "Original-Message-ID")
            .ok_or_else(|| As2Error::Mdn("no Original-Message-ID".into()))?;
        let disposition =
            header(&fields, "Disposition").ok_or_else(|| As2Error::Mdn("no Disposition".into()))?;
        return Ok(MdnFields {
            original_message_id: original
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned(),
            disposition: disposition.to_owned(),
            mic: header(&fields, "Received-Content-MIC").map(str::to_owned),
        });
    }
    Err(As2Error::Mdn(
        "no message/disposition-notification part".into(),
    ))
}

/// Checks a partner's MDN for our message: signature (any partner certificate valid now), that it
/// answers `expected_message_id`, the disposition, and the MIC against `expected_mic`.
/// `Err` means the MDN is not understandable or answers another message.
pub fn parse_mdn(
    _me: &LocalIdentity,
    partner: &PartnerAs2,
    headers: &[(String, String)],
    body: &[u8],
    expected_message_id: &str,
    expected_mic: &Mic,
) -> As2Result<MdnVerdict> {
    let (signed, report_headers, report_body) = locate_report(headers, body)?;
    let fields = report_fields(&report_headers, report_body)?;
    let expected_id = bracketed(expected_message_id);
    if bracketed(&fields.original_message_id) != expected_id {
        return Err(As2Error::Mdn(format!(
            "mdn answers {} instead of {expected_id}",
            fields.original_message_id
        )));
    }
    match signed {
        Some((content, signature)) => {
            let certs = partner.valid_certs();
            let first = cms::verify_detached(&signature, content, &certs);
            let result = match first {
                Err(VerifyFailure::Integrity) => match mime::canonicalize(content) {
                    Cow::Owned(c) => cms::verify_detached(&signature, &c, &certs),
                    Cow::Borrowed(_) => Err(VerifyFailure::Integrity),
                },
                other => other,
            };
            if let Err(e) = result {
                return Ok(MdnVerdict::SignatureInvalid(format!("{e:?}")));
            }
        }
        None if partner.signed_mdn => return Ok(MdnVerdict::Unsigned),
        None => {}
    }
    let status = fields
        .disposition
        .rsplit(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !status.starts_with("processed")
        || status.contains("/error")
        || status.contains("/failure")
        || status.starts_with("failed")
    {
        return Ok(MdnVerdict::Negative(fields.disposition.trim().to_owned()));
    }
    let received = fields
        .mic
        .as_deref()
        .map(Mic::parse_header)
        .transpose()
        .ok()
        .flatten();
    if received.as_ref() != Some(expected_mic) {
        return Ok(MdnVerdict::MicMismatch {
            expected: expected_mic.to_header(),
            received: fields.mic,
        });
    }
    Ok(MdnVerdict::Processed)
}
