//! A minimal BER/DER reader and DER writer for the few CMS structures AS2 needs.
//!
//! openssl's `CmsContentInfo` copies whole messages into memory BIOs on decrypt and verify, which
//! breaks the memory bound for large files; reading the small CMS envelopes ourselves lets the
//! bulk content stream through `openssl::symm::Crypter` and the digests without extra copies.
//! Only single-byte tags are supported, which covers every CMS field used here.

use std::io::Read;

use super::error::{As2Error, As2Result};

/// Universal and context tags used by CMS.
pub(crate) mod tag {
    pub const INTEGER: u8 = 0x02;
    pub const OCTET_STRING: u8 = 0x04;
    pub const NULL: u8 = 0x05;
    pub const OID: u8 = 0x06;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
    pub const CONTEXT_0: u8 = 0xA0;
    pub const CONTEXT_0_PRIMITIVE: u8 = 0x80;
    pub const CONSTRUCTED_OCTET_STRING: u8 = 0x24;
}

/// Deepest nesting accepted, so hostile input cannot recurse without bound.
const MAX_DEPTH: usize = 32;

fn malformed(what: &str) -> As2Error {
    As2Error::Asn1(what.to_owned())
}

/// One element read from a byte slice.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The contents (for indefinite length: everything before the end-of-contents octets).
    pub content: &'a [u8],
    /// The whole element including its header.
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// The child elements of a constructed element.
    pub fn children(&self) -> As2Result<Vec<Tlv<'a>>> {
        let mut rest = self.content;
        let mut out = Vec::new();
        while !rest.is_empty() {
            let (child, tail) = read_tlv(rest)?;
            out.push(child);
            rest = tail;
        }
        Ok(out)
    }

    /// Checks the tag, naming the field on mismatch.
    pub fn expect(self, tag: u8, what: &str) -> As2Result<Self> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(malformed(&format!(
                "{what}: tag {:#04x}, expected {tag:#04x}",
                self.tag
            )))
        }
    }

    /// The bytes of an OCTET STRING, primitive or (BER) constructed from primitive chunks.
    #[cfg(test)]
    pub fn octets(&self) -> As2Result<Vec<u8>> {
        if self.tag & 0x20 == 0 {
            return Ok(self.content.to_vec());
        }
        let mut out = Vec::new();
        for chunk in self.children()? {
            out.extend_from_slice(&chunk.octets()?);
        }
        Ok(out)
    }
}

/// Reads the identifier and length octets: (tag, length or None for indefinite, header size).
fn read_header(input: &[u8]) -> As2Result<(u8, Option<usize>, usize)> {
    let tag = *input
        .first()
        .ok_or_else(|| malformed("truncated element"))?;
    if tag & 0x1f == 0x1f {
        return Err(malformed("multi-byte tags are not supported"));
    }
    let first = *input.get(1).ok_or_else(|| malformed("truncated length"))?;
    if first < 0x80 {
        return Ok((tag, Some(usize::from(first)), 2));
    }
    if first == 0x80 {
        return Ok((tag, None, 2));
    }
    let count = usize::from(first & 0x7f);
    if count > 8 {
        return Err(malformed("length too long"));
    }
    let bytes = input
        .get(2..2 + count)
        .ok_or_else(|| malformed("truncated length"))?;
    let len = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let len = usize::try_from(len).map_err(|_| malformed("length too large"))?;
    Ok((tag, Some(len), 2 + count))
}

/// Reads one element from the front of `input`, returning it and the rest.
pub(crate) fn read_tlv(input: &[u8]) -> As2Result<(Tlv<'_>, &[u8])> {
    read_tlv_depth(input, 0)
}

fn read_tlv_depth(input: &[u8], depth: usize) -> As2Result<(Tlv<'_>, &[u8])> {
    if depth > MAX_DEPTH {
        return Err(malformed("nesting too deep"));
    }
    let (tag, len, header) = read_header(input)?;
    match len {
        Some(len) => {
            let end = header
                .checked_add(len)
                .ok_or_else(|| malformed("length overflow"))?;
            let content = input
                .get(header..end)
                .ok_or_else(|| malformed("truncated content"))?;
            Ok((
                Tlv {
                    tag,
                    content,
                    raw: &input[..end],
                },
                &input[end..],
            ))
        }
        None => {
            if tag & 0x20 == 0 {
                return Err(malformed("indefinite length on a primitive element"));
            }
            let mut pos = header;
            loop {
                let rest = input
                    .get(pos..)
                    .ok_or_else(|| malformed("truncated content"))?;
                if rest.starts_with(&[0, 0]) {
                    let content = &input[header..pos];
                    let end = pos + 2;
                    return Ok((
                        Tlv {
                            tag,
                            content,
                            raw: &input[..end],
                        },
                        &input[end..],
                    ));
                }
                let (child, _) = read_tlv_depth(rest, depth + 1)?;
                pos += child.raw.len();
            }
        }
    }
}

/// Encodes a DER length.
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    out.push(0x80 | (bytes.len() - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

/// Encodes one DER element.
pub(crate) fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// Encodes a constructed element from already encoded children.
pub(crate) fn der_of(tag: u8, children: &[&[u8]]) -> Vec<u8> {
    der(tag, &children.concat())
}

/// A BER element of indefinite length (`tag 0x80 … 00 00`), as streaming stacks such as
/// BouncyCastle send them: the tests' re-encodings of what openssl writes in DER.
#[cfg(test)]
pub(crate) fn indefinite(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![tag, 0x80];
    for p in parts {
        out.extend_from_slice(p);
    }
    out.extend_from_slice(&[0, 0]);
    out
}

/// Encodes a DER INTEGER from big-endian magnitude bytes (non-negative).
pub(crate) fn der_unsigned(magnitude: &[u8]) -> Vec<u8> {
    let trimmed: &[u8] = {
        let skip = magnitude.iter().take_while(|b| **b == 0).count();
        &magnitude[skip.min(magnitude.len().saturating_sub(1))..]
    };
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(trimmed);
    der(tag::INTEGER, &content)
}

/// Strips the sign octet of a non-negative INTEGER's content so two encodings compare equal.
pub(crate) fn integer_magnitude(content: &[u8]) -> &[u8] {
    let skip = content.iter().take_while(|b| **b == 0).count();
    &content[skip.min(content.len().saturating_sub(1))..]
}

/// Streams elements from a reader, for the large EnvelopedData whose bulk must not be buffered.
pub(crate) struct DerStream<R> {
    inner: R,
}

/// Most bytes `DerStream::read_element` buffers: envelope fields are small, content is streamed.
const MAX_BUFFERED_ELEMENT: usize = 1 << 20;

impl<R: Read> DerStream<R> {
    pub fn new(inner: R) -> Self {
        Self { inner }
    }

    fn byte(&mut self) -> As2Result<u8> {
        let mut b = [0u8; 1];
        self.inner
            .read_exact(&mut b)
            .map_err(|_| malformed("truncated element"))?;
        Ok(b[0])
    }

    /// Reads identifier and length octets: (tag, length or None for indefinite, header bytes).
    pub fn header(&mut self) -> As2Result<(u8, Option<u64>, Vec<u8>)> {
        let tag = self.byte()?;
        if tag & 0x1f == 0x1f {
            return Err(malformed("multi-byte tags are not supported"));
        }
        let first = self.byte()?;
        let mut raw = vec![tag, first];
        if first < 0x80 {
            return Ok((tag, Some(u64::from(first)), raw));
        }
        if first == 0x80 {
            return Ok((tag, None, raw));
        }
        let count = usize::from(first & 0x7f);
        if count > 8 {
            return Err(malformed("length too long"));
        }
        let mut len = 0u64;
        for _ in 0..count {
            let b = self.byte()?;
            raw.push(b);
            len = (len << 8) | u64::from(b);
        }
        Ok((tag, Some(len), raw))
    }

    /// Reads the rest of an element whose header was read, returning the whole element's bytes.
    pub fn element_after(&mut self, len: Option<u64>, mut raw: Vec<u8>) -> As2Result<Vec<u8>> {
        self.element_after_depth(len, &mut raw, 0)?;
        Ok(raw)
    }

    fn element_after_depth(
        &mut self,
        len: Option<u64>,
        raw: &mut Vec<u8>,
        depth: usize,
    ) -> As2Result<()> {
        if depth > MAX_DEPTH {
            return Err(malformed("nesting too deep"));
        }
        match len {
            Some(len) => {
                let len = usize::try_from(len).map_err(|_| malformed("length too large"))?;
                if raw.len() + len > MAX_BUFFERED_ELEMENT {
                    return Err(malformed("envelope field too large"));
                }
                let start = raw.len();
                raw.resize(start + len, 0);
                self.inner
                    .read_exact(&mut raw[start..])
                    .map_err(|_| malformed("truncated content"))?;
                Ok(())
            }
            None => loop {
                let (tag, len, header) = self.header()?;
                raw.extend_from_slice(&header);
                if tag == 0 && len == Some(0) {
                    return Ok(());
                }
                self.element_after_depth(len, raw, depth + 1)?;
            },
        }
    }

    /// Reads one whole (small) element.
    pub fn element(&mut self) -> As2Result<Vec<u8>> {
        let (_, len, raw) = self.header()?;
        self.element_after(len, raw)
    }

    /// Streams `len` content bytes to `sink` in chunks.
    pub fn stream_content(
        &mut self,
        mut len: u64,
        buf: &mut [u8],
        sink: &mut dyn FnMut(&[u8]) -> As2Result<()>,
    ) -> As2Result<()> {
        while len > 0 {
            let want = usize::try_from(len.min(buf.len() as u64)).unwrap_or(buf.len());
            let got = self.inner.read(&mut buf[..want])?;
            if got == 0 {
                return Err(malformed("truncated encrypted content"));
            }
            sink(&buf[..got])?;
            len -= got as u64;
        }
        Ok(())
    }
}

/// Encodes an OBJECT IDENTIFIER from its arcs.
pub(crate) fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut content = Vec::new();
    let mut push_arc = |mut v: u64| {
        let mut tmp = [0u8; 10];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = (v & 0x7f) as u8 | if i == tmp.len() - 1 { 0 } else { 0x80 };
            v >>= 7;
            if v == 0 {
                break;
            }
        }
        content.extend_from_slice(&tmp[i..]);
    };
    if let [a, b, rest @ ..] = arcs {
        push_arc(a * 40 + b);
        for arc in rest {
            push_arc(*arc);
        }
    }
    der(tag::OID, &content)
}

/// Object identifiers used by AS2's CMS.
pub(crate) mod oids {
    pub const DATA: &[u64] = &[1, 2, 840, 113549, 1, 7, 1];
    pub const SIGNED_DATA: &[u64] = &[1, 2, 840, 113549, 1, 7, 2];
    pub const ENVELOPED_DATA: &[u64] = &[1, 2, 840, 113549, 1, 7, 3];
    pub const COMPRESSED_DATA: &[u64] = &[1, 2, 840, 113549, 1, 9, 16, 1, 9];
    /// id-alg-zlibCompress (RFC 3274), the one compression algorithm of CMS and AS2.
    pub const ZLIB_COMPRESS: &[u64] = &[1, 2, 840, 113549, 1, 9, 16, 3, 8];
    pub const CONTENT_TYPE: &[u64] = &[1, 2, 840, 113549, 1, 9, 3];
    pub const MESSAGE_DIGEST: &[u64] = &[1, 2, 840, 113549, 1, 9, 4];
    pub const RSA_ENCRYPTION: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];
    pub const RSAES_OAEP: &[u64] = &[1, 2, 840, 113549, 1, 1, 7];
    pub const MGF1: &[u64] = &[1, 2, 840, 113549, 1, 1, 8];
    pub const RSASSA_PSS: &[u64] = &[1, 2, 840, 113549, 1, 1, 10];
    pub const SHA1: &[u64] = &[1, 3, 14, 3, 2, 26];
    pub const SHA256: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 2, 1];
    pub const SHA384: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 2, 2];
    pub const SHA512: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 2, 3];
    pub const SHA1_WITH_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 5];
    pub const SHA256_WITH_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 11];
    pub const SHA384_WITH_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 12];
    pub const SHA512_WITH_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 13];
    pub const AES128_CBC: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 1, 2];
    pub const AES192_CBC: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 1, 22];
    pub const AES256_CBC: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 1, 42];
    pub const DES_EDE3_CBC: &[u64] = &[1, 2, 840, 113549, 3, 7];
    pub const RC2_CBC: &[u64] = &[1, 2, 840, 113549, 3, 2];
    pub const RC4: &[u64] = &[1, 2, 840, 113549, 3, 4];
}

/// An OID element in dotted form, for messages (`?` for an element that is not an OID).
pub(crate) fn oid_text(element: &Tlv<'_>) -> String {
    if element.tag != tag::OID {
        return "?".into();
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut value = 0u64;
    for &b in element.content {
        value = value
            .saturating_mul(128)
            .saturating_add(u64::from(b & 0x7f));
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// True when an OID element (whole TLV) encodes `arcs`.
pub(crate) fn is_oid(element: &Tlv<'_>, arcs: &[u64]) -> bool {
    element.tag == tag::OID && element.raw == oid(arcs).as_slice()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn encodes_sha256_oid_like_openssl() {
        let der_bytes = oid(oids::SHA256);
        assert_eq!(
            der_bytes,
            [
                0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01
            ]
        );
    }

    #[test]
    fn reads_indefinite_length_with_nested_chunks() {
        // [0] constructed, indefinite: two OCTET STRING chunks then end-of-contents.
        let input = [
            0xA0, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00, 0x00, 0xFF,
        ];
        let (tlv, rest) = read_tlv(&input).unwrap();
        assert_eq!(tlv.tag, 0xA0);
        assert_eq!(rest, [0xFF]);
        assert_eq!(tlv.octets().unwrap(), b"abc");
    }

    #[test]
    fn long_lengths_round_trip() {
        let content = vec![7u8; 300];
        let encoded = der(tag::OCTET_STRING, &content);
        assert_eq!(&encoded[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let (tlv, rest) = read_tlv(&encoded).unwrap();
        assert!(rest.is_empty());
        assert_eq!(tlv.content, content.as_slice());
    }

    #[test]
    fn unsigned_integer_gets_sign_octet() {
        assert_eq!(der_unsigned(&[0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(der_unsigned(&[0x00, 0x05]), [0x02, 0x01, 0x05]);
    }

    #[test]
    fn oid_text_reads_back_what_oid_writes() {
        for arcs in [oids::ZLIB_COMPRESS, oids::SHA256, oids::DES_EDE3_CBC] {
            let encoded = oid(arcs);
            let (tlv, _) = read_tlv(&encoded).unwrap();
            let dotted: Vec<String> = arcs.iter().map(u64::to_string).collect();
            assert_eq!(oid_text(&tlv), dotted.join("."));
        }
        let (not_oid, _) = read_tlv(&[0x05, 0x00]).unwrap();
        assert_eq!(oid_text(&not_oid), "?");
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        assert!(read_tlv(&[0x30, 0x05, 0x01]).is_err());
        assert!(read_tlv(&[0x30, 0x80, 0x04]).is_err());
    }
}
