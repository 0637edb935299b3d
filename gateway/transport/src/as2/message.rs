//! Building outbound AS2 messages: payload part, optional signature, optional encryption.

use super::cms;
use super::error::{As2Error, As2Result};
use super::identity::{LocalIdentity, MdnMode, PartnerAs2};
use super::mic::{Mic, MicAlg};
use super::mime;

/// An HTTP request or response body with its headers, as AS2 sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpMessage {
    /// Header fields in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl HttpMessage {
    /// Case-insensitive header lookup.
    pub fn header(&self, name: &str) -> Option<&str> {
        mime::header(&self.headers, name)
    }
}

/// A fresh AS2 Message-ID, `<uuid@host>`.
pub fn new_message_id(host: &str) -> String {
    format!("<{}@{}>", uuid::Uuid::new_v4().simple(), host)
}

/// Quotes an AS2 name that holds spaces (RFC 4130 6.2).
pub(crate) fn quote_as2_name(name: &str) -> String {
    if name.contains(' ') || name.contains('"') {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        name.to_owned()
    }
}

/// The angle-bracketed form of a Message-ID given with or without brackets.
pub(crate) fn bracketed(message_id: &str) -> String {
    format!(
        "<{}>",
        message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
    )
}

/// A MIME entity being wrapped layer by layer: its Content-Type and other header fields, body.
struct Entity {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Entity {
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 256);
        let pairs: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        mime::write_headers(&mut out, &pairs);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

/// Wraps `content` (a full MIME entity) in multipart/signed with a detached signature.
pub(crate) fn sign_entity(
    me: &LocalIdentity,
    alg: MicAlg,
    content: &[u8],
) -> As2Result<(String, Vec<u8>)> {
    let signature = cms::sign_detached(me, alg, content)?;
    let boundary = mime::new_boundary();
    let mut body = Vec::with_capacity(content.len() + signature.len() * 2 + 512);
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
    mime::write_headers(
        &mut body,
        &[
            (
                "Content-Type",
                "application/pkcs7-signature; name=\"smime.p7s\"; smime-type=signed-data",
            ),
            ("Content-Transfer-Encoding", "base64"),
            ("Content-Disposition", "attachment; filename=\"smime.p7s\""),
        ],
    );
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(&mime::encode_base64_lines(&signature));
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let content_type = format!(
        "multipart/signed; protocol=\"application/pkcs7-signature\"; micalg={}; boundary=\"{boundary}\"",
        alg.name()
    );
    Ok((content_type, body))
}

/// Builds the HTTP request for `payload` to `partner`: signed and/or encrypted per the partner,
/// asking for the partner's MDN mode. Returns the MIC the MDN must carry.
pub fn build_message(
    me: &LocalIdentity,
    partner: &PartnerAs2,
    payload: &[u8],
    filename: &str,
    message_id: &str,
) -> As2Result<(HttpMessage, Mic)> {
    let safe_name = filename.replace(['"', '\\', '\r', '\n'], "_");
    let mut entity = Entity {
        headers: vec![
            ("Content-Type".into(), "application/edi-x12".into()),
            ("Content-Transfer-Encoding".into(), "binary".into()),
            (
                "Content-Disposition".into(),
                format!("attachment; filename=\"{safe_name}\""),
            ),
        ],
        body: payload.to_vec(),
    };
    let mdn_alg = partner.sign.unwrap_or(MicAlg::Sha256);
    let mut mic = None;
    if let Some(alg) = partner.sign {
        let content = entity.to_bytes();
        mic = Some(Mic::compute(alg, &content)?);
        let (content_type, body) = sign_entity(me, alg, &content)?;
        entity = Entity {
            headers: vec![("Content-Type".into(), content_type)],
            body,
        };
    }
    if let Some(alg) = partner.encrypt {
        let cert = partner
            .valid_certs()
            .into_iter()
            .next()
            .ok_or_else(|| As2Error::NoValidCertificate(partner.as2_id.clone()))?;
        let content = entity.to_bytes();
        if mic.is_none() {
            mic = Some(Mic::compute(mdn_alg, &content)?);
        }
        let der = cms::encrypt(cert, alg, &content)?;
        entity = Entity {
            headers: vec![
                (
                    "Content-Type".into(),
                    "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"".into(),
                ),
                ("Content-Transfer-Encoding".into(), "binary".into()),
                (
                    "Content-Disposition".into(),
                    "attachment; filename=\"smime.p7m\"".into(),
                ),
            ],
            body: der,
        };
    }
    let mic = match mic {
        Some(m) => m,
        // Unsigned and unencrypted: the MIC covers the content without headers (RFC 4130 7.3.1).
        None => Mic::compute(mdn_alg, payload)?,
    };
    let mut headers: Vec<(String, String)> = vec![
        ("AS2-Version".into(), "1.2".into()),
        ("EDIINT-Features".into(), "CMS".into()),
        ("AS2-From".into(), quote_as2_name(&me.as2_id)),
        ("AS2-To".into(), quote_as2_name(&partner.as2_id)),
        ("Message-ID".into(), bracketed(message_id)),
        (
            "Date".into(),
            httpdate::fmt_http_date(std::time::SystemTime::now()),
        ),
        ("Subject".into(), format!("AS2 message {safe_name}")),
        ("MIME-Version".into(), "1.0".into()),
    ];
    if partner.mdn != MdnMode::None {
        headers.push(("Disposition-Notification-To".into(), me.as2_id.clone()));
        if partner.signed_mdn {
            headers.push((
                "Disposition-Notification-Options".into(),
                format!("signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, {}", mdn_alg.name()),
            ));
        }
        if let MdnMode::Async { url } = &partner.mdn {
            headers.push(("Receipt-Delivery-Option".into(), url.clone()));
        }
    }
    headers.extend(entity.headers);
    tracing::debug!(partner = %partner.as2_id, message_id = %message_id, bytes = entity.body.len(), "as2 message built");
    Ok((
        HttpMessage {
            headers,
            body: entity.body,
        },
        mic,
    ))
}
