//! Receiving an AS2 message: decrypt, decompress, verify, find the payload, compute the MIC.
//!
//! The body is read as a stream when it is encrypted (the usual case), so the only full-size
//! buffer is the decrypted entity; the payload is then either written out from that buffer
//! (`receive_to`) or carved out of it in place (`receive`), never copied again. A compressed
//! message (RFC 5402) is inflated into one more buffer, at most `max_content` bytes.
//!
//! Layers, outside in: encryption, then compression and signature in either order (pyas2lib
//! and most products compress and then sign; others sign and then compress), then the payload
//! entity. At most one compressed-data layer is taken.

use std::io::{Read, Write};
use std::ops::Range;

use super::cms::{self, DecryptFailure, VerifyFailure};
use super::compress::{self, DecompressFailure};
use super::error::{FailureModifier, ReceiveFailure};
use super::identity::{EncryptionAlg, LocalIdentity, PartnerAs2};
use super::mic::{Mic, MicAlg};
use super::mime::{self, HeaderValue, Headers, header};

/// How the sender asked to be answered (Disposition-Notification-To and friends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdnRequest {
    /// Sign the MDN with this digest (first supported of `signed-receipt-micalg`), if asked.
    pub signed_micalg: Option<MicAlg>,
    /// Post the MDN to this URL (Receipt-Delivery-Option) instead of answering in the response.
    pub async_url: Option<String>,
}

/// An accepted inbound message.
#[derive(Debug, Clone)]
pub struct Received {
    /// The partner's AS2 name (AS2-From).
    pub partner_as2_id: String,
    /// The AS2 Message-ID without angle brackets. With `partner_as2_id` this is the key the
    /// server deduplicates on: a resent message arrives with the same pair.
    pub message_id: String,
    /// The payload; empty when it was written out by [`receive_to`].
    pub payload: Vec<u8>,
    /// Length of the payload in bytes (also when written out).
    pub payload_len: u64,
    /// The filename from the payload's Content-Disposition, if any.
    pub filename: Option<String>,
    /// The payload's Content-Type value.
    pub content_type: String,
    /// The MIC to return in the MDN.
    pub mic: Mic,
    /// The message was signed and the signature verified.
    pub signed: bool,
    /// The message was encrypted, with this algorithm.
    pub encryption: Option<EncryptionAlg>,
    /// The message held a compressed-data layer (RFC 5402), inflated here.
    pub compressed: bool,
    /// The sender wants an MDN, and how.
    pub mdn_request: Option<MdnRequest>,
}

impl Received {
    /// True when the message was encrypted.
    pub fn encrypted(&self) -> bool {
        self.encryption.is_some()
    }

    /// The (partner, Message-ID) pair a duplicate check keys on.
    pub fn dedup_key(&self) -> (&str, &str) {
        (&self.partner_as2_id, &self.message_id)
    }
}

/// Content-Transfer-Encoding of the payload part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Binary,
    Base64,
}

/// What `receive_core` hands to the two front ends: metadata and where the payload sits.
struct Core {
    info: Received,
    buf: Vec<u8>,
    payload: Range<usize>,
    encoding: Encoding,
}

/// Receives a message held in memory (borrowed: the decrypted entity is a second buffer; see
/// [`receive_owned`] to avoid it). The returned payload reuses the decrypted buffer.
///
/// `max_content` bounds what a compressed-data layer may expand to (the server passes the
/// body limit it reads messages under): past it the message is refused with
/// `decompression-failed` before more is inflated.
pub fn receive(
    headers: &[(String, String)],
    body: &[u8],
    me: &LocalIdentity,
    partner: &dyn Fn(&str) -> Option<PartnerAs2>,
    max_content: usize,
) -> Result<Received, ReceiveFailure> {
    into_payload(receive_core(
        headers,
        Body::Stream(body),
        me,
        partner,
        max_content,
    )?)
}

/// Receives a message whose body the caller hands over: it is decrypted in place and the payload
/// is carved out of the same allocation, so the message is held in memory once (twice at most,
/// `max_content` bytes more, when it is compressed). `max_content` as for [`receive`].
pub fn receive_owned(
    headers: &[(String, String)],
    body: Vec<u8>,
    me: &LocalIdentity,
    partner: &dyn Fn(&str) -> Option<PartnerAs2>,
    max_content: usize,
) -> Result<Received, ReceiveFailure> {
    into_payload(receive_core::<&[u8]>(
        headers,
        Body::Owned(body),
        me,
        partner,
        max_content,
    )?)
}

fn into_payload(core: Core) -> Result<Received, ReceiveFailure> {
    let Core {
        mut info,
        mut buf,
        payload,
        encoding,
    } = core;
    info.payload = match encoding {
        Encoding::Base64 => {
            mime::decode_base64(&buf[payload]).map_err(|e| fail_from(&info, e.to_string()))?
        }
        Encoding::Binary => {
            buf.truncate(payload.end);
            buf.drain(..payload.start);
            buf
        }
    };
    info.payload_len = info.payload.len() as u64;
    Ok(info)
}

/// Receives a message read from `body` (for example a spooled HTTP body file) and writes the
/// payload to `out`. `Received::payload` stays empty; `payload_len` says how much was written.
/// `max_content` as for [`receive`].
pub fn receive_to<R: Read, W: Write>(
    headers: &[(String, String)],
    body: R,
    me: &LocalIdentity,
    partner: &dyn Fn(&str) -> Option<PartnerAs2>,
    max_content: usize,
    out: &mut W,
) -> Result<Received, ReceiveFailure> {
    let Core {
        mut info,
        buf,
        payload,
        encoding,
    } = receive_core(headers, Body::Stream(body), me, partner, max_content)?;
    let written = match encoding {
        Encoding::Base64 => {
            let decoded =
                mime::decode_base64(&buf[payload]).map_err(|e| fail_from(&info, e.to_string()))?;
            out.write_all(&decoded).map(|_| decoded.len())
        }
        Encoding::Binary => out.write_all(&buf[payload.clone()]).map(|_| payload.len()),
    }
    .map_err(|e| fail_from(&info, format!("writing payload: {e}")))?;
    info.payload_len = written as u64;
    Ok(info)
}

fn fail_from(info: &Received, text: String) -> ReceiveFailure {
    ReceiveFailure {
        message_id: Some(info.message_id.clone()),
        partner_as2_id: Some(info.partner_as2_id.clone()),
        modifier: FailureModifier::UnexpectedProcessingError,
        text,
        mdn_request: info.mdn_request.clone(),
    }
}

/// Parses Disposition-Notification-To / -Options and Receipt-Delivery-Option.
pub(crate) fn mdn_request(headers: &[(String, String)]) -> Option<MdnRequest> {
    header(headers, "Disposition-Notification-To")?;
    let mut signed_micalg = None;
    if let Some(options) = header(headers, "Disposition-Notification-Options") {
        for option in options.split(';') {
            let Some((name, rest)) = option.split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("signed-receipt-micalg") {
                // "importance, alg1, alg2": the first supported algorithm wins.
                signed_micalg = rest.split(',').skip(1).find_map(MicAlg::parse);
            }
        }
    }
    let async_url = header(headers, "Receipt-Delivery-Option")
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty());
    Some(MdnRequest {
        signed_micalg,
        async_url,
    })
}

/// Strips quotes an AS2 name carries when it holds spaces.
pub(crate) fn as2_name(value: &str) -> String {
    mime::unquote(value.trim())
}

/// Where the body comes from: a reader (streamed decryption) or an owned buffer (decrypted in
/// place).
enum Body<R> {
    Stream(R),
    Owned(Vec<u8>),
}

impl<R: Read> Body<R> {
    fn into_vec(self) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Owned(bytes) => Ok(bytes),
            Self::Stream(mut reader) => {
                let mut raw = Vec::new();
                reader.read_to_end(&mut raw)?;
                Ok(raw)
            }
        }
    }
}

/// True for an `application/pkcs7-mime; smime-type=compressed-data` entity (RFC 5402 3).
fn is_compressed(entity_type: &HeaderValue) -> bool {
    entity_type
        .param("smime-type")
        .is_some_and(|t| t.eq_ignore_ascii_case("compressed-data"))
}

/// Inflates the body of a compressed-data entity (binary or base64) to the MIME entity it
/// holds; `place` says which layer for the negative MDN.
fn inflate(
    headers: &[(String, String)],
    body: &[u8],
    max_content: usize,
    place: &str,
) -> Result<Vec<u8>, (FailureModifier, String)> {
    let base64 = header(headers, "Content-Transfer-Encoding")
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("base64"));
    let decoded;
    let cms_der = if base64 {
        decoded = mime::decode_base64(body).map_err(|e| {
            (
                FailureModifier::DecompressionFailed,
                format!("compressed-data {place}: {e}"),
            )
        })?;
        decoded.as_slice()
    } else {
        body
    };
    compress::decompress(cms_der, max_content).map_err(|e| match e {
        DecompressFailure::Unsupported(what) => (
            FailureModifier::UnsupportedFormat,
            format!("compressed-data {place}: unsupported {what}"),
        ),
        DecompressFailure::Failed(text) => (
            FailureModifier::DecompressionFailed,
            format!("compressed-data {place}: {text}"),
        ),
        DecompressFailure::TooLarge(max) => (
            FailureModifier::DecompressionFailed,
            format!(
                "compressed-data {place} expands past {max} bytes, the most one message may \
                 hold; not inflated further"
            ),
        ),
    })
}

fn receive_core<R: Read>(
    http_headers: &[(String, String)],
    body: Body<R>,
    me: &LocalIdentity,
    partner_of: &dyn Fn(&str) -> Option<PartnerAs2>,
    max_content: usize,
) -> Result<Core, ReceiveFailure> {
    let message_id = header(http_headers, "Message-ID").map(|m| {
        m.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_owned()
    });
    let from = header(http_headers, "AS2-From").map(as2_name);
    let request = mdn_request(http_headers);
    let fail = |modifier: FailureModifier, text: String| {
        tracing::warn!(partner = from.as_deref().unwrap_or(""), message_id = message_id.as_deref().unwrap_or(""), modifier = %modifier, error = %text, "as2 message refused");
        ReceiveFailure {
            message_id: message_id.clone(),
            partner_as2_id: from.clone(),
            modifier,
            text,
            mdn_request: request.clone(),
        }
    };
    let Some(from_id) = from.clone() else {
        return Err(fail(
            FailureModifier::UnknownTradingPartner,
            "no AS2-From header".into(),
        ));
    };
    let Some(message_id_value) = message_id.clone() else {
        return Err(fail(
            FailureModifier::UnexpectedProcessingError,
            "no Message-ID header".into(),
        ));
    };
    let to = header(http_headers, "AS2-To")
        .map(as2_name)
        .unwrap_or_default();
    if to != me.as2_id {
        return Err(fail(
            FailureModifier::UnknownTradingPartner,
            format!("AS2-To {to} is not us"),
        ));
    }
    let Some(partner) = partner_of(&from_id) else {
        return Err(fail(
            FailureModifier::UnknownTradingPartner,
            format!("unknown AS2-From {from_id}"),
        ));
    };

    let top_type = HeaderValue::parse(
        header(http_headers, "Content-Type").unwrap_or("application/octet-stream"),
    );
    let is_pkcs7_mime = matches!(
        top_type.value.as_str(),
        "application/pkcs7-mime" | "application/x-pkcs7-mime"
    );
    let mut encryption = None;
    // The current entity: its headers and where its body starts in `buf`.
    let (mut buf, mut headers, mut body_start): (Vec<u8>, Headers, usize) = if is_pkcs7_mime
        && top_type
            .param("smime-type")
            .is_none_or(|t| t.eq_ignore_ascii_case("enveloped-data"))
    {
        let base64 = header(http_headers, "Content-Transfer-Encoding")
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("base64"));
        let result = match (base64, body) {
            (false, Body::Stream(reader)) => cms::decrypt_stream(reader, me),
            (false, Body::Owned(bytes)) => cms::decrypt_in_place(bytes, me),
            (true, body) => {
                let raw = body
                    .into_vec()
                    .map_err(|e| fail(FailureModifier::UnexpectedProcessingError, e.to_string()))?;
                let der = mime::decode_base64(&raw)
                    .map_err(|e| fail(FailureModifier::DecryptionFailed, e.to_string()))?;
                drop(raw);
                cms::decrypt_in_place(der, me)
            }
        };
        let (decrypted, alg) = result.map_err(|e| match e {
            DecryptFailure::Unsupported(a) => fail(
                FailureModifier::UnsupportedFormat,
                format!("unsupported: {a}"),
            ),
            DecryptFailure::Failed(t) => fail(FailureModifier::DecryptionFailed, t),
        })?;
        encryption = Some(alg);
        let (headers, start) = mime::split_head(&decrypted)
            .map_err(|e| fail(FailureModifier::DecryptionFailed, e.to_string()))?;
        (decrypted, headers, start)
    } else {
        if partner.encrypt.is_some() {
            return Err(fail(
                FailureModifier::InsufficientMessageSecurity,
                "partner must encrypt".into(),
            ));
        }
        let raw = body
            .into_vec()
            .map_err(|e| fail(FailureModifier::UnexpectedProcessingError, e.to_string()))?;
        (raw, http_headers.to_vec(), 0)
    };

    let mut entity_type =
        HeaderValue::parse(header(&headers, "Content-Type").unwrap_or("text/plain"));
    // Range of the entity whose body is the payload (headers included).
    let mut payload_entity = if encryption.is_some() {
        0..buf.len()
    } else {
        body_start..buf.len()
    };
    let mut compressed = false;
    // Signed, then compressed (or compressed and not signed): the entity right under the
    // encryption, or the message itself, is compressed-data. What it holds replaces it.
    if is_compressed(&entity_type) {
        buf = inflate(&headers, &buf[body_start..], max_content, "of the message")
            .map_err(|(modifier, text)| fail(modifier, text))?;
        let (inner_headers, inner_start) = mime::split_head(&buf)
            .map_err(|e| fail(FailureModifier::DecompressionFailed, e.to_string()))?;
        headers = inner_headers;
        body_start = inner_start;
        payload_entity = 0..buf.len();
        entity_type = HeaderValue::parse(header(&headers, "Content-Type").unwrap_or("text/plain"));
        compressed = true;
    }

    let mut signed = false;
    let mic;
    if entity_type.value == "multipart/signed" {
        let boundary = entity_type.param("boundary").unwrap_or_default().to_owned();
        let parts = mime::split_multipart(&buf[body_start..], &boundary)
            .map_err(|e| fail(FailureModifier::IntegrityCheckFailed, e.to_string()))?;
        let [signed_part, signature_part, ..] = parts.as_slice() else {
            return Err(fail(
                FailureModifier::IntegrityCheckFailed,
                "multipart/signed without two parts".into(),
            ));
        };
        let signed_range = (signed_part.start + body_start)..(signed_part.end + body_start);
        let sig_entity =
            &buf[(signature_part.start + body_start)..(signature_part.end + body_start)];
        let (sig_headers, sig_body) = mime::split_head(sig_entity)
            .map_err(|e| fail(FailureModifier::AuthenticationFailed, e.to_string()))?;
        let sig_type = HeaderValue::parse(header(&sig_headers, "Content-Type").unwrap_or_default());
        if !matches!(
            sig_type.value.as_str(),
            "application/pkcs7-signature" | "application/x-pkcs7-signature"
        ) {
            return Err(fail(
                FailureModifier::AuthenticationFailed,
                format!("second part is {}", sig_type.value),
            ));
        }
        let sig_base64 = header(&sig_headers, "Content-Transfer-Encoding")
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("base64"));
        let signature = if sig_base64 {
            mime::decode_base64(&sig_entity[sig_body..])
                .map_err(|e| fail(FailureModifier::AuthenticationFailed, e.to_string()))?
        } else {
            sig_entity[sig_body..].to_vec()
        };
        let certs = partner.valid_certs();
        if certs.is_empty() {
            return Err(fail(
                FailureModifier::AuthenticationFailed,
                "no partner certificate valid now".into(),
            ));
        }
        let content = &buf[signed_range.clone()];
        // Raw bytes first; the canonical (CRLF) form only if the digest did not match.
        let verified = match cms::verify_detached(&signature, content, &certs) {
            Err(VerifyFailure::Integrity) => match mime::canonicalize(content) {
                std::borrow::Cow::Owned(canonical) => {
                    cms::verify_detached(&signature, &canonical, &certs)
                }
                std::borrow::Cow::Borrowed(_) => Err(VerifyFailure::Integrity),
            },
            other => other,
        };
        let verified = verified.map_err(|e| match e {
            VerifyFailure::Integrity => fail(
                FailureModifier::IntegrityCheckFailed,
                "content digest does not match the signature".into(),
            ),
            VerifyFailure::Authentication => fail(
                FailureModifier::AuthenticationFailed,
                "no partner certificate verifies the signature".into(),
            ),
            VerifyFailure::Unsupported(a) => fail(
                FailureModifier::UnsupportedFormat,
                format!("unsupported: {a}"),
            ),
            VerifyFailure::Malformed(t) => fail(FailureModifier::AuthenticationFailed, t),
        })?;
        signed = true;
        // The MIC uses the signer's digest: that is what the sender computed for its records.
        mic = Mic {
            alg: verified.alg,
            digest: verified.content_digest,
        };
        let (inner_headers, inner_start) = mime::split_head(content)
            .map_err(|e| fail(FailureModifier::UnexpectedProcessingError, e.to_string()))?;
        headers = inner_headers;
        body_start = signed_range.start + inner_start;
        payload_entity = signed_range;
        entity_type = HeaderValue::parse(header(&headers, "Content-Type").unwrap_or("text/plain"));
        // Compressed, then signed: the signed entity is compressed-data. The MIC stays the
        // digest of what was signed, the compressed entity (RFC 5402 4.1), as pyas2lib checks.
        if is_compressed(&entity_type) && !compressed {
            let inflated = inflate(
                &headers,
                &buf[body_start..payload_entity.end],
                max_content,
                "inside the signed part",
            )
            .map_err(|(modifier, text)| fail(modifier, text))?;
            buf = inflated;
            let (inner_headers, inner_start) = mime::split_head(&buf)
                .map_err(|e| fail(FailureModifier::DecompressionFailed, e.to_string()))?;
            headers = inner_headers;
            body_start = inner_start;
            payload_entity = 0..buf.len();
            entity_type =
                HeaderValue::parse(header(&headers, "Content-Type").unwrap_or("text/plain"));
            compressed = true;
        }
    } else {
        if partner.sign.is_some() {
            return Err(fail(
                FailureModifier::InsufficientMessageSecurity,
                "partner must sign".into(),
            ));
        }
        let alg = request
            .as_ref()
            .and_then(|r| r.signed_micalg)
            .unwrap_or(MicAlg::Sha256);
        // Encrypt-only: MIC over the decrypted entity with headers (canonical form);
        // neither: over the content alone (RFC 4130 7.3.1). Compressed and not signed: over
        // the inflated entity with its headers, encrypted or not (RFC 5402 4.2, 4.3).
        let covered = if encryption.is_some() || compressed {
            &buf[payload_entity.clone()]
        } else {
            &buf[body_start..]
        };
        mic = Mic::compute(alg, &mime::canonicalize(covered))
            .map_err(|e| fail(FailureModifier::UnexpectedProcessingError, e.to_string()))?;
    }

    if is_compressed(&entity_type) {
        return Err(fail(
            FailureModifier::UnsupportedFormat,
            "compressed-data inside compressed-data (one compression layer is taken)".into(),
        ));
    }

    let encoding = match header(&headers, "Content-Transfer-Encoding")
        .map(|e| e.trim().to_ascii_lowercase())
    {
        Some(e) if e == "base64" => Encoding::Base64,
        Some(e) if e == "quoted-printable" => {
            return Err(fail(
                FailureModifier::UnsupportedFormat,
                "quoted-printable payload".into(),
            ));
        }
        _ => Encoding::Binary,
    };
    let filename = header(&headers, "Content-Disposition")
        .and_then(|d| HeaderValue::parse(d).param("filename").map(str::to_owned));
    let content_type = header(&headers, "Content-Type")
        .unwrap_or("text/plain")
        .to_owned();
    let payload = body_start.min(payload_entity.end)..payload_entity.end;
    tracing::info!(partner = %from_id, message_id = %message_id_value, signed, encrypted = encryption.is_some(), compressed, bytes = payload.len(), "as2 message received");
    Ok(Core {
        info: Received {
            partner_as2_id: from_id,
            message_id: message_id_value,
            payload: Vec::new(),
            payload_len: 0,
            filename,
            content_type,
            mic,
            signed,
            encryption,
            compressed,
            mdn_request: request,
        },
        buf,
        payload,
        encoding,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    //! Compressed messages in every layer order, built here from the module's own CMS pieces
    //! (pyas2lib's are in `tests/as2_pyas2lib.rs`).
    use super::*;
    use crate::as2::compress::compress_for_tests;
    use crate::as2::identity::{MdnMode, PartnerCert};
    use crate::as2::message::sign_entity;

    struct World {
        _dir: tempfile::TempDir,
        us: LocalIdentity,
        them: LocalIdentity,
    }

    fn world() -> World {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name);
        let us = LocalIdentity::generate("US", &at("us.key"), &at("us.crt")).unwrap();
        let them = LocalIdentity::generate("THEM", &at("them.key"), &at("them.crt")).unwrap();
        World {
            _dir: dir,
            us,
            them,
        }
    }

    fn partner(w: &World, sign: bool, encrypt: bool) -> PartnerAs2 {
        PartnerAs2 {
            as2_id: "THEM".into(),
            url: "http://unused".into(),
            certificates: vec![PartnerCert {
                cert: w.them.cert.clone(),
            }],
            encrypt: encrypt.then_some(EncryptionAlg::Aes256Cbc),
            sign: sign.then_some(MicAlg::Sha256),
            mdn: MdnMode::Sync,
            signed_mdn: true,
        }
    }

    fn entity(headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        mime::write_headers(&mut out, headers);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        out
    }

    const DATA: &[u8] = b"ISA*00*          *00*          *ZZ*ACME*ZZ*US*261201*1200*U*00401*000000202*0*P*>~\r\nGS*CT~\r\n";

    fn payload_entity() -> Vec<u8> {
        entity(
            &[
                ("Content-Type", "application/edi-x12"),
                ("Content-Transfer-Encoding", "binary"),
                ("Content-Disposition", "attachment; filename=\"845.x12\""),
            ],
            DATA,
        )
    }

    fn compressed(inner: &[u8], base64: bool) -> Vec<u8> {
        let der = compress_for_tests(inner);
        let (encoding, body) = if base64 {
            ("base64", mime::encode_base64_lines(&der))
        } else {
            ("binary", der)
        };
        entity(
            &[
                (
                    "Content-Type",
                    "application/pkcs7-mime; smime-type=compressed-data; name=\"smime.p7z\"",
                ),
                ("Content-Transfer-Encoding", encoding),
            ],
            &body,
        )
    }

    fn signed(w: &World, content: &[u8]) -> Vec<u8> {
        let (content_type, body) = sign_entity(&w.them, MicAlg::Sha256, content).unwrap();
        entity(&[("Content-Type", &content_type)], &body)
    }

    /// The HTTP request for `outer` (a whole entity), encrypted to us or as it is.
    fn request(w: &World, outer: &[u8], encrypt: bool) -> (Vec<(String, String)>, Vec<u8>) {
        let mut headers: Vec<(String, String)> = vec![
            ("AS2-From".into(), "THEM".into()),
            ("AS2-To".into(), "US".into()),
            ("Message-ID".into(), "<m1@them>".into()),
            ("Disposition-Notification-To".into(), "them".into()),
        ];
        if encrypt {
            let cert = PartnerCert {
                cert: w.us.cert.clone(),
            };
            let der = cms::encrypt(&cert, EncryptionAlg::Aes256Cbc, outer).unwrap();
            headers.push((
                "Content-Type".into(),
                "application/pkcs7-mime; smime-type=enveloped-data".into(),
            ));
            return (headers, der);
        }
        let (entity_headers, start) = mime::split_head(outer).unwrap();
        headers.extend(entity_headers);
        (headers, outer[start..].to_vec())
    }

    fn take(
        w: &World,
        partner: &PartnerAs2,
        (headers, body): &(Vec<(String, String)>, Vec<u8>),
        max: usize,
    ) -> Result<Received, ReceiveFailure> {
        receive(headers, body, &w.us, &|_| Some(partner.clone()), max)
    }

    fn sha256(data: &[u8]) -> Mic {
        Mic::compute(MicAlg::Sha256, data).unwrap()
    }

    #[test]
    fn compressed_then_signed_then_encrypted_mic_is_over_the_compressed_entity() {
        let w = world();
        let inner = compressed(&payload_entity(), false);
        let message = request(&w, &signed(&w, &inner), true);
        let got = take(&w, &partner(&w, true, true), &message, 1 << 20).unwrap();
        assert_eq!(got.payload, DATA);
        assert!(got.signed && got.compressed && got.encrypted());
        assert_eq!(got.mic, sha256(&inner), "RFC 5402 4.1: what was signed");
        assert_eq!(got.filename.as_deref(), Some("845.x12"));
        assert_eq!(got.content_type, "application/edi-x12");
    }

    #[test]
    fn signed_then_compressed_mic_is_over_the_payload_entity() {
        let w = world();
        for encrypt in [true, false] {
            let outer = compressed(&signed(&w, &payload_entity()), false);
            let message = request(&w, &outer, encrypt);
            let got = take(&w, &partner(&w, true, encrypt), &message, 1 << 20).unwrap();
            assert_eq!(got.payload, DATA, "encrypt {encrypt}");
            assert!(got.signed && got.compressed);
            assert_eq!(got.encrypted(), encrypt);
            assert_eq!(got.mic, sha256(&payload_entity()), "encrypt {encrypt}");
        }
    }

    #[test]
    fn compressed_and_unsigned_mic_is_over_the_inflated_entity_with_headers() {
        let w = world();
        for (encrypt, base64) in [(true, false), (false, false), (false, true)] {
            let message = request(&w, &compressed(&payload_entity(), base64), encrypt);
            let got = take(&w, &partner(&w, false, encrypt), &message, 1 << 20).unwrap();
            assert_eq!(got.payload, DATA, "encrypt {encrypt} base64 {base64}");
            assert!(!got.signed && got.compressed);
            // RFC 5402 4.2 and 4.3: the uncompressed content with its MIME headers.
            assert_eq!(got.mic, sha256(&payload_entity()));
        }
    }

    #[test]
    fn a_decompression_bomb_is_refused_with_a_located_decompression_failed() {
        let w = world();
        let bomb_payload = entity(
            &[("Content-Type", "application/edi-x12")],
            &vec![b'~'; 8 << 20],
        );
        let inner = compressed(&bomb_payload, false);
        assert!(inner.len() < 64 * 1024, "{}", inner.len());
        // Compressed inside the signature, and outside it.
        for (outer, place) in [
            (signed(&w, &inner), "inside the signed part"),
            (
                compressed(&signed(&w, &bomb_payload), false),
                "of the message",
            ),
        ] {
            let message = request(&w, &outer, true);
            let failure = take(&w, &partner(&w, true, true), &message, 1 << 20).unwrap_err();
            assert_eq!(failure.modifier, FailureModifier::DecompressionFailed);
            assert!(
                failure.text.contains(place) && failure.text.contains("1048576 bytes"),
                "{}",
                failure.text
            );
            assert_eq!(failure.message_id.as_deref(), Some("m1@them"));
            assert!(failure.mdn_request.is_some(), "a negative MDN goes back");
        }
        // Under a limit it fits, the same message is taken.
        let message = request(&w, &signed(&w, &inner), true);
        let got = take(&w, &partner(&w, true, true), &message, 9 << 20).unwrap();
        assert_eq!(got.payload.len(), 8 << 20);
    }

    #[test]
    fn corrupt_double_and_unsigned_compression_are_refused() {
        let w = world();
        // Corrupt zlib inside the signature: decompression-failed (the signature held).
        let mut inner = compressed(&payload_entity(), false);
        let at = inner.len() - 10;
        inner[at] ^= 0xff;
        let failure = take(
            &w,
            &partner(&w, true, true),
            &request(&w, &signed(&w, &inner), true),
            1 << 20,
        )
        .unwrap_err();
        assert_eq!(failure.modifier, FailureModifier::DecompressionFailed);
        // Compressed twice: one layer is taken.
        let twice = compressed(&compressed(&payload_entity(), false), false);
        let failure = take(
            &w,
            &partner(&w, false, true),
            &request(&w, &twice, true),
            1 << 20,
        )
        .unwrap_err();
        assert_eq!(failure.modifier, FailureModifier::UnsupportedFormat);
        assert!(
            failure.text.contains("inside compressed-data"),
            "{}",
            failure.text
        );
        // A partner that must sign cannot skip it by compressing.
        let failure = take(
            &w,
            &partner(&w, true, true),
            &request(&w, &compressed(&payload_entity(), false), true),
            1 << 20,
        )
        .unwrap_err();
        assert_eq!(
            failure.modifier,
            FailureModifier::InsufficientMessageSecurity
        );
    }
}
