//! CMS (RFC 5652) for AS2: detached SignedData built and verified over borrowed content, and
//! EnvelopedData decrypted as a stream.
//!
//! The bulk content is only ever hashed in place or run through `Crypter` chunk by chunk, so
//! receiving a large file holds at most the decrypted entity in memory (openssl's
//! `CmsContentInfo::decrypt`/`verify` would add whole copies in memory BIOs).
//! Encryption for outbound messages uses openssl's CMS directly.

use std::io::{BufReader, Read};

use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::encrypt::Decrypter;
use openssl::pkey::{PKeyRef, Public};
use openssl::rsa::Padding;
use openssl::sign::{Signer, Verifier};
use openssl::stack::Stack;
use openssl::symm::{Cipher, Crypter, Mode};

use super::der::{self, DerStream, Tlv, is_oid, oids, read_tlv, tag};
use super::error::{As2Error, As2Result};
use super::identity::{EncryptionAlg, LocalIdentity, PartnerCert};
use super::mic::MicAlg;

/// Builds a detached CMS SignedData (DER) over `content`: signed attributes contentType and
/// messageDigest, RSA PKCS#1 v1.5, our certificate included.
pub(crate) fn sign_detached(me: &LocalIdentity, alg: MicAlg, content: &[u8]) -> As2Result<Vec<u8>> {
    let digest = alg.hash(content)?;
    let digest_alg = der::der_of(
        tag::SEQUENCE,
        &[&der::oid(alg.oid()), &der::der(tag::NULL, &[])],
    );
    let attr_content_type = der::der_of(
        tag::SEQUENCE,
        &[
            &der::oid(oids::CONTENT_TYPE),
            &der::der(tag::SET, &der::oid(oids::DATA)),
        ],
    );
    let attr_digest = der::der_of(
        tag::SEQUENCE,
        &[
            &der::oid(oids::MESSAGE_DIGEST),
            &der::der(tag::SET, &der::der(tag::OCTET_STRING, &digest)),
        ],
    );
    // SET OF is sorted by encoding in DER.
    let mut attrs = [attr_content_type, attr_digest];
    attrs.sort();
    let attrs_content = attrs.concat();
    let signed_attrs_for_signature = der::der(tag::SET, &attrs_content);
    let mut signer = Signer::new(alg.digest(), &me.key)?;
    signer.update(&signed_attrs_for_signature)?;
    let signature = signer.sign_to_vec()?;

    let serial = me.cert.serial_number().to_bn()?.to_vec();
    let sid = der::der_of(
        tag::SEQUENCE,
        &[
            &me.cert.issuer_name().to_der()?,
            &der::der_unsigned(&serial),
        ],
    );
    let sig_alg = der::der_of(
        tag::SEQUENCE,
        &[&der::oid(oids::RSA_ENCRYPTION), &der::der(tag::NULL, &[])],
    );
    let signer_info = der::der_of(
        tag::SEQUENCE,
        &[
            &der::der_unsigned(&[1]),
            &sid,
            &digest_alg,
            &der::der(tag::CONTEXT_0, &attrs_content),
            &sig_alg,
            &der::der(tag::OCTET_STRING, &signature),
        ],
    );
    let signed_data = der::der_of(
        tag::SEQUENCE,
        &[
            &der::der_unsigned(&[1]),
            &der::der(tag::SET, &digest_alg),
            &der::der(tag::SEQUENCE, &der::oid(oids::DATA)),
            &der::der(tag::CONTEXT_0, &me.cert.to_der()?),
            &der::der(tag::SET, &signer_info),
        ],
    );
    Ok(der::der_of(
        tag::SEQUENCE,
        &[
            &der::oid(oids::SIGNED_DATA),
            &der::der(tag::CONTEXT_0, &signed_data),
        ],
    ))
}

/// Why a detached signature was not accepted.
#[derive(Debug)]
pub(crate) enum VerifyFailure {
    /// The content's digest differs from the signed messageDigest (maybe canonicalization).
    Integrity,
    /// No given certificate verifies the signature.
    Authentication,
    /// Refused or unknown algorithm.
    Unsupported(String),
    /// The SignedData could not be parsed.
    Malformed(String),
}

/// A verified signature: the signer's digest algorithm and the content's digest under it.
#[derive(Debug)]
pub(crate) struct Verified {
    pub alg: MicAlg,
    pub content_digest: Vec<u8>,
}

struct SignerInfo<'a> {
    alg: MicAlg,
    signed_attrs: Option<Tlv<'a>>,
    signature: &'a [u8],
}

fn parse_signers(signature_der: &[u8]) -> As2Result<Vec<SignerInfo<'_>>> {
    let (ci, _) = read_tlv(signature_der)?;
    let ci = ci.expect(tag::SEQUENCE, "ContentInfo")?.children()?;
    let [content_type, explicit, ..] = ci.as_slice() else {
        return Err(As2Error::Asn1("ContentInfo too short".into()));
    };
    if !is_oid(content_type, oids::SIGNED_DATA) {
        return Err(As2Error::Asn1("signature is not SignedData".into()));
    }
    let signed_data = explicit
        .expect(tag::CONTEXT_0, "SignedData wrapper")?
        .children()?;
    let sd = signed_data
        .first()
        .ok_or_else(|| As2Error::Asn1("empty SignedData".into()))?
        .expect(tag::SEQUENCE, "SignedData")?
        .children()?;
    let signer_infos = sd
        .iter()
        .rev()
        .find(|t| t.tag == tag::SET)
        .ok_or_else(|| As2Error::Asn1("no signerInfos".into()))?;
    let mut out = Vec::new();
    for si in signer_infos.children()? {
        let fields = si.expect(tag::SEQUENCE, "SignerInfo")?.children()?;
        let mut it = fields.into_iter().skip(2); // version, sid
        let digest_alg = it
            .next()
            .ok_or_else(|| As2Error::Asn1("no digestAlgorithm".into()))?;
        let digest_oid = digest_alg
            .children()?
            .first()
            .map(|t| t.raw.to_vec())
            .unwrap_or_default();
        let alg = MicAlg::from_oid(&digest_oid)
            .ok_or_else(|| As2Error::UnsupportedAlgorithm("signature digest algorithm".into()))?;
        let mut next = it
            .next()
            .ok_or_else(|| As2Error::Asn1("SignerInfo too short".into()))?;
        let signed_attrs = if next.tag == tag::CONTEXT_0 {
            let attrs = next;
            next = it
                .next()
                .ok_or_else(|| As2Error::Asn1("SignerInfo too short".into()))?;
            Some(attrs)
        } else {
            None
        };
        let sig_alg = next.children()?;
        let sig_oid = sig_alg
            .first()
            .ok_or_else(|| As2Error::Asn1("no signatureAlgorithm".into()))?;
        let rsa_ok = [
            oids::RSA_ENCRYPTION,
            oids::SHA1_WITH_RSA,
            oids::SHA256_WITH_RSA,
            oids::SHA384_WITH_RSA,
            oids::SHA512_WITH_RSA,
        ]
        .iter()
        .any(|o| is_oid(sig_oid, o));
        if !rsa_ok {
            let what = if is_oid(sig_oid, oids::RSASSA_PSS) {
                "rsassa-pss"
            } else {
                "signature algorithm"
            };
            return Err(As2Error::UnsupportedAlgorithm(what.into()));
        }
        let signature = it
            .next()
            .ok_or_else(|| As2Error::Asn1("no signature".into()))?
            .expect(tag::OCTET_STRING, "signature")?
            .content;
        out.push(SignerInfo {
            alg,
            signed_attrs,
            signature,
        });
    }
    Ok(out)
}

fn message_digest_attr<'a>(attrs: &Tlv<'a>) -> As2Result<Option<&'a [u8]>> {
    for attr in attrs.children()? {
        let parts = attr.children()?;
        if let [oid, values, ..] = parts.as_slice()
            && is_oid(oid, oids::MESSAGE_DIGEST)
        {
            let value = values.children()?;
            let first = value
                .first()
                .ok_or_else(|| As2Error::Asn1("empty messageDigest".into()))?;
            return Ok(Some(first.content));
        }
    }
    Ok(None)
}

fn verify_with(alg: MicAlg, key: &PKeyRef<Public>, data: &[u8], signature: &[u8]) -> bool {
    let Ok(mut verifier) = Verifier::new(alg.digest(), key) else {
        return false;
    };
    verifier.update(data).is_ok() && verifier.verify(signature).unwrap_or(false)
}

/// Verifies a detached signature over `content` with any of `certs`.
pub(crate) fn verify_detached(
    signature_der: &[u8],
    content: &[u8],
    certs: &[&PartnerCert],
) -> Result<Verified, VerifyFailure> {
    let signers = parse_signers(signature_der).map_err(|e| match e {
        As2Error::UnsupportedAlgorithm(a) => VerifyFailure::Unsupported(a),
        other => VerifyFailure::Malformed(other.to_string()),
    })?;
    let keys: Vec<_> = certs
        .iter()
        .filter_map(|c| c.cert.public_key().ok())
        .collect();
    let mut integrity_failed = false;
    let mut cached: Option<(MicAlg, Vec<u8>)> = None;
    for signer in &signers {
        let digest = match &cached {
            Some((alg, d)) if *alg == signer.alg => d.clone(),
            _ => {
                let d = signer
                    .alg
                    .hash(content)
                    .map_err(|e| VerifyFailure::Malformed(e.to_string()))?;
                cached = Some((signer.alg, d.clone()));
                d
            }
        };
        match &signer.signed_attrs {
            Some(attrs) => {
                let signed = message_digest_attr(attrs)
                    .map_err(|e| VerifyFailure::Malformed(e.to_string()))?;
                if signed != Some(digest.as_slice()) {
                    integrity_failed = true;
                    continue;
                }
                // The signature covers the attributes re-tagged as a universal SET.
                let mut as_set = attrs.raw.to_vec();
                as_set[0] = tag::SET;
                if keys
                    .iter()
                    .any(|k| verify_with(signer.alg, k, &as_set, signer.signature))
                {
                    return Ok(Verified {
                        alg: signer.alg,
                        content_digest: digest,
                    });
                }
            }
            None => {
                if keys
                    .iter()
                    .any(|k| verify_with(signer.alg, k, content, signer.signature))
                {
                    return Ok(Verified {
                        alg: signer.alg,
                        content_digest: digest,
                    });
                }
            }
        }
    }
    Err(if integrity_failed {
        VerifyFailure::Integrity
    } else {
        VerifyFailure::Authentication
    })
}

/// Encrypts `content` to the partner certificate as DER EnvelopedData.
pub(crate) fn encrypt(
    cert: &PartnerCert,
    alg: EncryptionAlg,
    content: &[u8],
) -> As2Result<Vec<u8>> {
    let mut certs = Stack::new()?;
    certs.push(cert.cert.clone())?;
    let cms = CmsContentInfo::encrypt(&certs, content, alg.cipher(), CMSOptions::BINARY)?;
    Ok(cms.to_der()?)
}

/// Why an EnvelopedData could not be decrypted.
#[derive(Debug)]
pub(crate) enum DecryptFailure {
    /// Refused or unknown content or key encryption algorithm.
    Unsupported(String),
    /// Malformed structure, wrong key, or bad padding.
    Failed(String),
}

impl From<As2Error> for DecryptFailure {
    fn from(e: As2Error) -> Self {
        match e {
            As2Error::UnsupportedAlgorithm(a) => Self::Unsupported(a),
            other => Self::Failed(other.to_string()),
        }
    }
}

/// Size of the chunks read from the body and fed to the cipher.
const CHUNK: usize = 256 * 1024;

fn content_cipher(alg_id: &[u8]) -> As2Result<(EncryptionAlg, Vec<u8>)> {
    let (alg, _) = read_tlv(alg_id)?;
    let parts = alg.children()?;
    let oid = parts
        .first()
        .ok_or_else(|| As2Error::Asn1("no content algorithm".into()))?;
    let table = [
        (oids::AES128_CBC, EncryptionAlg::Aes128Cbc),
        (oids::AES192_CBC, EncryptionAlg::Aes192Cbc),
        (oids::AES256_CBC, EncryptionAlg::Aes256Cbc),
        (oids::DES_EDE3_CBC, EncryptionAlg::TripleDes),
    ];
    let Some((_, enc)) = table.iter().find(|(o, _)| is_oid(oid, o)) else {
        let name = if is_oid(oid, oids::RC2_CBC) {
            "rc2-cbc"
        } else if is_oid(oid, oids::RC4) {
            "rc4"
        } else {
            "content encryption algorithm"
        };
        return Err(As2Error::UnsupportedAlgorithm(name.into()));
    };
    let iv = parts
        .get(1)
        .ok_or_else(|| As2Error::Asn1("no iv".into()))?
        .expect(tag::OCTET_STRING, "iv")?
        .content
        .to_vec();
    Ok((*enc, iv))
}

/// How a recipient info's content-encryption key was wrapped with our RSA key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyTransport {
    /// rsaEncryption: PKCS #1 v1.5.
    Pkcs1,
    /// RSAES-OAEP with the digests its parameters name (RFC 3560; SHA-1 when absent).
    Oaep { hash: MicAlg, mgf1: MicAlg },
}

/// Reads RSAES-OAEP-params (RFC 3560 / RFC 8017 A.2.1) from a keyEncryptionAlgorithm:
/// `hashFunc [0]`, `maskGenFunc [1]` (MGF1 and its digest), `pSourceFunc [2]`, each defaulting
/// to SHA-1 / MGF1-SHA-1 / an empty label. Stacks that encrypt with OAEP today (libas2,
/// OpenSSL with `rsa_oaep_md`, Java's OAEPWithSHA-256) name SHA-256 or SHA-512 here; with the
/// defaults assumed their key would not unwrap. `None` for parameters not supported here
/// (another digest or mask function, a non-empty label).
fn oaep_params(key_alg: &Tlv<'_>) -> Option<KeyTransport> {
    let (mut hash, mut mgf1) = (MicAlg::Sha1, MicAlg::Sha1);
    let fields = key_alg.children().ok()?;
    let Some(params) = fields.get(1).filter(|p| p.tag == tag::SEQUENCE) else {
        return Some(KeyTransport::Oaep { hash, mgf1 });
    };
    let digest_of = |alg_id: &Tlv<'_>| -> Option<MicAlg> {
        let parts = alg_id.children().ok()?;
        MicAlg::from_oid(parts.first()?.raw)
    };
    for field in params.children().ok()? {
        let inner = field.children().ok()?;
        let alg_id = inner.first()?;
        match field.tag {
            tag::CONTEXT_0 => hash = digest_of(alg_id)?,
            0xA1 => {
                let parts = alg_id.children().ok()?;
                if !is_oid(parts.first()?, oids::MGF1) {
                    return None;
                }
                mgf1 = digest_of(parts.get(1)?)?;
            }
            0xA2 => {
                // pSpecified with an empty label is the default; a label is not supported.
                let parts = alg_id.children().ok()?;
                if parts.get(1).is_some_and(|label| !label.content.is_empty()) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(KeyTransport::Oaep { hash, mgf1 })
}

/// Unwraps the content-encryption key from the key-transport recipient infos addressed to us
/// (matching issuer and serial first, then any, since some stacks identify us by key id).
fn unwrap_key(recipient_infos: &[u8], me: &LocalIdentity, key_len: usize) -> As2Result<Vec<u8>> {
    let (set, _) = read_tlv(recipient_infos)?;
    let our_issuer = me.cert.issuer_name().to_der()?;
    let our_serial = me.cert.serial_number().to_bn()?.to_vec();
    let mut candidates = Vec::new();
    for ri in set.children()? {
        if ri.tag != tag::SEQUENCE {
            continue; // Key agreement and other recipient kinds are not used in AS2.
        }
        let fields = ri.children()?;
        let [_, rid, key_alg, encrypted_key, ..] = fields.as_slice() else {
            continue;
        };
        let matches = rid.tag == tag::SEQUENCE
            && match rid.children()?.as_slice() {
                [issuer, serial, ..] => {
                    issuer.raw == our_issuer.as_slice()
                        && der::integer_magnitude(serial.content)
                            == der::integer_magnitude(&our_serial)
                }
                _ => false,
            };
        let alg_oid = key_alg
            .children()?
            .first()
            .map(|t| t.raw.to_vec())
            .unwrap_or_default();
        let transport = if alg_oid == der::oid(oids::RSA_ENCRYPTION) {
            KeyTransport::Pkcs1
        } else if alg_oid == der::oid(oids::RSAES_OAEP) {
            match oaep_params(key_alg) {
                Some(params) => params,
                None => continue,
            }
        } else {
            continue;
        };
        candidates.push((matches, transport, encrypted_key.content));
    }
    candidates.sort_by_key(|(matches, _, _)| !matches);
    for (_, transport, encrypted) in candidates {
        let mut decrypter = Decrypter::new(&me.key)?;
        match transport {
            KeyTransport::Pkcs1 => decrypter.set_rsa_padding(Padding::PKCS1)?,
            KeyTransport::Oaep { hash, mgf1 } => {
                decrypter.set_rsa_padding(Padding::PKCS1_OAEP)?;
                decrypter.set_rsa_oaep_md(hash.digest())?;
                decrypter.set_rsa_mgf1_md(mgf1.digest())?;
            }
        }
        let mut out = vec![0u8; decrypter.decrypt_len(encrypted)?];
        if let Ok(n) = decrypter.decrypt(encrypted, &mut out) {
            out.truncate(n);
            if n == key_len {
                return Ok(out);
            }
        }
    }
    Err(As2Error::Asn1(
        "no recipient info could be decrypted with our key".into(),
    ))
}

/// Decrypts a DER/BER EnvelopedData read from `body`, returning the decrypted entity.
/// The encrypted content is streamed; only the output is held in memory.
pub(crate) fn decrypt_stream<R: Read>(
    body: R,
    me: &LocalIdentity,
) -> Result<(Vec<u8>, EncryptionAlg), DecryptFailure> {
    let mut s = DerStream::new(BufReader::with_capacity(64 * 1024, body));
    let (t, _, _) = s.header()?;
    if t != tag::SEQUENCE {
        return Err(DecryptFailure::Failed("not a ContentInfo".into()));
    }
    let content_type = s.element()?;
    if content_type != der::oid(oids::ENVELOPED_DATA) {
        let what = if content_type == der::oid(oids::COMPRESSED_DATA) {
            "compressed-data without smime-type=compressed-data (RFC 5402 3)"
        } else {
            "pkcs7-mime content that is not enveloped-data"
        };
        return Err(DecryptFailure::Unsupported(what.into()));
    }
    let (t, _, _) = s.header()?; // [0] EXPLICIT
    let (t2, _, _) = s.header()?; // EnvelopedData SEQUENCE
    if t != tag::CONTEXT_0 || t2 != tag::SEQUENCE {
        return Err(DecryptFailure::Failed("bad EnvelopedData wrapper".into()));
    }
    let _version = s.element()?;
    let (mut t, mut len, mut raw) = s.header()?;
    if t == tag::CONTEXT_0 {
        // originatorInfo: certificates we do not need.
        s.element_after(len, raw)?;
        (t, len, raw) = s.header()?;
    }
    if t != tag::SET {
        return Err(DecryptFailure::Failed("no recipientInfos".into()));
    }
    let recipient_infos = s.element_after(len, raw)?;
    let (t, _, _) = s.header()?;
    if t != tag::SEQUENCE {
        return Err(DecryptFailure::Failed("no encryptedContentInfo".into()));
    }
    let _inner_type = s.element()?;
    let alg_id = s.element()?;
    let (alg, iv) = content_cipher(&alg_id)?;
    let cipher: Cipher = alg.cipher();
    let key = unwrap_key(&recipient_infos, me, cipher.key_len())?;
    let mut crypter = Crypter::new(cipher, Mode::Decrypt, &key, Some(&iv))
        .map_err(|e| DecryptFailure::Failed(e.to_string()))?;
    let block = cipher.block_size();

    let (t, len, _) = s.header()?;
    let mut out: Vec<u8> = Vec::new();
    if let (tag::CONTEXT_0_PRIMITIVE, Some(len)) = (t, len) {
        // Reserving the exact size avoids the doubling reallocations of a growing Vec.
        out.reserve_exact(usize::try_from(len).unwrap_or(0) + block);
    }
    let mut buf = vec![0u8; CHUNK];
    let mut feed = |chunk: &[u8]| -> As2Result<()> {
        let start = out.len();
        out.resize(start + chunk.len() + block, 0);
        let n = crypter.update(chunk, &mut out[start..])?;
        out.truncate(start + n);
        Ok(())
    };
    match (t, len) {
        (tag::CONTEXT_0_PRIMITIVE, Some(len)) => {
            s.stream_content(len, &mut buf, &mut feed)?;
        }
        (tag::CONTEXT_0, chunks_len) => {
            // BER constructed form: OCTET STRING chunks, definite or ended by end-of-contents.
            let mut remaining = chunks_len;
            loop {
                if remaining == Some(0) {
                    break;
                }
                let (ct, clen, header) = s.header()?;
                if ct == 0 && clen == Some(0) {
                    break;
                }
                let clen = match (ct, clen) {
                    (tag::OCTET_STRING, Some(l)) => l,
                    (tag::CONSTRUCTED_OCTET_STRING, _) => {
                        return Err(DecryptFailure::Unsupported(
                            "nested constructed encrypted content".into(),
                        ));
                    }
                    _ => return Err(DecryptFailure::Failed("bad encrypted content chunk".into())),
                };
                s.stream_content(clen, &mut buf, &mut feed)?;
                if let Some(r) = remaining.as_mut() {
                    *r = r.saturating_sub(header.len() as u64 + clen);
                }
            }
        }
        _ => return Err(DecryptFailure::Failed("no encrypted content".into())),
    }
    let start = out.len();
    out.resize(start + block, 0);
    let n = crypter
        .finalize(&mut out[start..])
        .map_err(|_| DecryptFailure::Failed("bad padding: wrong key or corrupt content".into()))?;
    out.truncate(start + n);
    Ok((out, alg))
}

/// Decrypts an EnvelopedData held in `body`, writing the plaintext over the ciphertext in the
/// same allocation (CBC output never overtakes the input), so no second full-size buffer exists.
pub(crate) fn decrypt_in_place(
    mut body: Vec<u8>,
    me: &LocalIdentity,
) -> Result<(Vec<u8>, EncryptionAlg), DecryptFailure> {
    let (recipient_infos, alg_id, ranges) = {
        let base = body.as_ptr() as usize;
        let offset = |part: &[u8]| {
            let start = part.as_ptr() as usize - base;
            start..start + part.len()
        };
        let (ci, _) = read_tlv(&body)?;
        let ci = ci.expect(tag::SEQUENCE, "ContentInfo")?.children()?;
        let [content_type, explicit, ..] = ci.as_slice() else {
            return Err(DecryptFailure::Failed("ContentInfo too short".into()));
        };
        if !is_oid(content_type, oids::ENVELOPED_DATA) {
            let what = if is_oid(content_type, oids::COMPRESSED_DATA) {
                "compressed-data without smime-type=compressed-data (RFC 5402 3)"
            } else {
                "pkcs7-mime content that is not enveloped-data"
            };
            return Err(DecryptFailure::Unsupported(what.into()));
        }
        let wrapper = explicit
            .expect(tag::CONTEXT_0, "EnvelopedData wrapper")?
            .children()?;
        let fields = wrapper
            .first()
            .ok_or_else(|| DecryptFailure::Failed("empty EnvelopedData".into()))?
            .expect(tag::SEQUENCE, "EnvelopedData")?
            .children()?;
        let mut it = fields
            .into_iter()
            .skip(1)
            .skip_while(|t| t.tag == tag::CONTEXT_0);
        let recipient_infos = it
            .next()
            .ok_or_else(|| DecryptFailure::Failed("no recipientInfos".into()))?
            .expect(tag::SET, "recipientInfos")?;
        let eci = it
            .next()
            .ok_or_else(|| DecryptFailure::Failed("no encryptedContentInfo".into()))?
            .expect(tag::SEQUENCE, "encryptedContentInfo")?
            .children()?;
        let [_, alg_id, content, ..] = eci.as_slice() else {
            return Err(DecryptFailure::Failed("no encrypted content".into()));
        };
        let ranges = match content.tag {
            tag::CONTEXT_0_PRIMITIVE => vec![offset(content.content)],
            tag::CONTEXT_0 => content
                .children()?
                .iter()
                .map(|chunk| {
                    chunk
                        .expect(tag::OCTET_STRING, "encrypted content chunk")
                        .map(|c| offset(c.content))
                })
                .collect::<As2Result<Vec<_>>>()?,
            _ => return Err(DecryptFailure::Failed("no encrypted content".into())),
        };
        (recipient_infos.raw.to_vec(), alg_id.raw.to_vec(), ranges)
    };
    let (alg, iv) = content_cipher(&alg_id)?;
    let cipher = alg.cipher();
    let key = unwrap_key(&recipient_infos, me, cipher.key_len())?;
    let mut crypter = Crypter::new(cipher, Mode::Decrypt, &key, Some(&iv))
        .map_err(|e| DecryptFailure::Failed(e.to_string()))?;
    let mut tmp = vec![0u8; CHUNK + cipher.block_size()];
    let mut write = 0;
    for range in ranges {
        let mut pos = range.start;
        while pos < range.end {
            let end = (pos + CHUNK).min(range.end);
            let n = crypter
                .update(&body[pos..end], &mut tmp)
                .map_err(|e| DecryptFailure::Failed(e.to_string()))?;
            body[write..write + n].copy_from_slice(&tmp[..n]);
            write += n;
            pos = end;
        }
    }
    let n = crypter
        .finalize(&mut tmp)
        .map_err(|_| DecryptFailure::Failed("bad padding: wrong key or corrupt content".into()))?;
    body[write..write + n].copy_from_slice(&tmp[..n]);
    body.truncate(write + n);
    Ok((body, alg))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn identity() -> (tempfile::TempDir, LocalIdentity) {
        let dir = tempfile::tempdir().unwrap();
        let me =
            LocalIdentity::generate("me", &dir.path().join("k.pem"), &dir.path().join("c.pem"))
                .unwrap();
        (dir, me)
    }

    /// Re-encodes openssl's DER EnvelopedData in BER the way streaming stacks send it:
    /// indefinite lengths and the encrypted content split into OCTET STRING chunks.
    fn to_ber_chunked(der_bytes: &[u8], chunk: usize) -> Vec<u8> {
        let indefinite = der::indefinite;
        let (ci, _) = read_tlv(der_bytes).unwrap();
        let ci = ci.children().unwrap();
        let ed = ci[1].children().unwrap()[0].children().unwrap();
        let eci = ed[2].children().unwrap();
        let chunks: Vec<Vec<u8>> = eci[2]
            .content
            .chunks(chunk)
            .map(|c| der::der(tag::OCTET_STRING, c))
            .collect();
        let chunk_refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let content = indefinite(tag::CONTEXT_0, &chunk_refs);
        let eci = indefinite(tag::SEQUENCE, &[eci[0].raw, eci[1].raw, &content]);
        let ed = indefinite(tag::SEQUENCE, &[ed[0].raw, ed[1].raw, &eci]);
        let wrapper = indefinite(tag::CONTEXT_0, &[&ed]);
        indefinite(tag::SEQUENCE, &[ci[0].raw, &wrapper])
    }

    #[test]
    fn decrypts_der_and_chunked_ber_streamed_and_in_place() {
        let (_dir, me) = identity();
        let cert = PartnerCert {
            cert: me.cert.clone(),
        };
        let content: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        for alg in [EncryptionAlg::Aes256Cbc, EncryptionAlg::TripleDes] {
            let der_bytes = encrypt(&cert, alg, &content).unwrap();
            let ber = to_ber_chunked(&der_bytes, 1000);
            for input in [&der_bytes, &ber] {
                let (streamed, got_alg) = decrypt_stream(input.as_slice(), &me).unwrap();
                assert_eq!(streamed, content);
                assert_eq!(got_alg, alg);
                let (in_place, _) = decrypt_in_place(input.clone(), &me).unwrap();
                assert_eq!(in_place, content);
            }
        }
    }

    /// EnvelopedData from the `openssl cms` command (an independent encoder) to `me`, with
    /// the key wrapped per `keyopts` (e.g. RSAES-OAEP with SHA-256).
    fn openssl_encrypt(dir: &std::path::Path, me: &LocalIdentity, keyopts: &[&str]) -> Vec<u8> {
        let (cert, input) = (dir.join("recipient.pem"), dir.join("content"));
        std::fs::write(&cert, me.cert.to_pem().unwrap()).unwrap();
        std::fs::write(&input, b"ISA*00*payload~").unwrap();
        let mut cmd = std::process::Command::new("openssl");
        cmd.args([
            "cms",
            "-encrypt",
            "-binary",
            "-aes-256-cbc",
            "-outform",
            "DER",
            "-in",
        ])
        .arg(&input)
        .arg("-recip")
        .arg(&cert);
        for opt in keyopts {
            cmd.args(["-keyopt", opt]);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "openssl cms -encrypt: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    #[test]
    fn unwraps_keys_sent_with_rsaes_oaep_and_its_digest_parameters() {
        // libas2 (npm) wraps the key with RSAES-OAEP, SHA-512 and MGF1-SHA-512; other stacks
        // use SHA-256. The digests are in the algorithm's parameters, not implied by the OID.
        let (dir, me) = identity();
        for keyopts in [
            &[][..],
            &["rsa_padding_mode:oaep"][..],
            &[
                "rsa_padding_mode:oaep",
                "rsa_oaep_md:sha256",
                "rsa_mgf1_md:sha256",
            ][..],
            &[
                "rsa_padding_mode:oaep",
                "rsa_oaep_md:sha512",
                "rsa_mgf1_md:sha512",
            ][..],
            &[
                "rsa_padding_mode:oaep",
                "rsa_oaep_md:sha256",
                "rsa_mgf1_md:sha1",
            ][..],
        ] {
            let der_bytes = openssl_encrypt(dir.path(), &me, keyopts);
            let (streamed, alg) = decrypt_stream(der_bytes.as_slice(), &me)
                .unwrap_or_else(|e| panic!("{keyopts:?}: {e:?}"));
            assert_eq!(streamed, b"ISA*00*payload~", "{keyopts:?}");
            assert_eq!(alg, EncryptionAlg::Aes256Cbc);
            let (in_place, _) = decrypt_in_place(der_bytes, &me).unwrap();
            assert_eq!(in_place, b"ISA*00*payload~", "{keyopts:?}");
        }
    }

    #[test]
    fn wrong_key_fails_and_truncation_is_an_error() {
        let (_dir, me) = identity();
        let (_dir2, other) = identity();
        let der_bytes = encrypt(
            &PartnerCert {
                cert: other.cert.clone(),
            },
            EncryptionAlg::Aes128Cbc,
            b"secret",
        )
        .unwrap();
        assert!(matches!(
            decrypt_stream(der_bytes.as_slice(), &me),
            Err(DecryptFailure::Failed(_))
        ));
        assert!(matches!(
            decrypt_in_place(der_bytes.clone(), &me),
            Err(DecryptFailure::Failed(_))
        ));
        let truncated = &der_bytes[..der_bytes.len() - 5];
        assert!(decrypt_stream(truncated, &other).is_err());
        assert!(decrypt_in_place(truncated.to_vec(), &other).is_err());
    }

    #[test]
    fn signature_round_trip_and_digest_mismatch() {
        let (_dir, me) = identity();
        let cert = PartnerCert {
            cert: me.cert.clone(),
        };
        let sig = sign_detached(&me, MicAlg::Sha384, b"content").unwrap();
        let verified = verify_detached(&sig, b"content", &[&cert]).unwrap();
        assert_eq!(verified.alg, MicAlg::Sha384);
        assert_eq!(
            verified.content_digest,
            MicAlg::Sha384.hash(b"content").unwrap()
        );
        assert!(matches!(
            verify_detached(&sig, b"c0ntent", &[&cert]),
            Err(VerifyFailure::Integrity)
        ));
        let (_dir2, other) = identity();
        let other_cert = PartnerCert {
            cert: other.cert.clone(),
        };
        assert!(matches!(
            verify_detached(&sig, b"content", &[&other_cert]),
            Err(VerifyFailure::Authentication)
        ));
    }

    #[test]
    fn openssl_verifies_our_signed_data() {
        // Independent check of our hand-built SignedData: openssl's CMS_verify accepts it.
        let (_dir, me) = identity();
        let sig = sign_detached(&me, MicAlg::Sha256, b"payload").unwrap();
        let mut cms = CmsContentInfo::from_der(&sig).unwrap();
        let mut certs = Stack::new().unwrap();
        certs.push(me.cert.clone()).unwrap();
        cms.verify(
            Some(&certs),
            None,
            Some(b"payload"),
            None,
            CMSOptions::NOVERIFY | CMSOptions::BINARY,
        )
        .unwrap();
        assert!(
            cms.verify(
                Some(&certs),
                None,
                Some(b"paylaod"),
                None,
                CMSOptions::NOVERIFY | CMSOptions::BINARY
            )
            .is_err()
        );
    }
}
