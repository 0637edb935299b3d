//! CMS CompressedData (RFC 3274) as AS2 uses it (RFC 5402): the zlib algorithm only, read with
//! the module's BER reader (senders on BouncyCastle stream it with indefinite lengths and the
//! content in OCTET STRING chunks, which a DER-only decoder refuses) and inflated with flate2.
//!
//! The output is bounded: inflating stops as soon as it would pass the caller's limit, so a
//! small message that expands without end (a "zip bomb") costs at most the limit in memory.

use flate2::{Decompress, FlushDecompress, Status};

use super::der::{self, Tlv, is_oid, oids, read_tlv, tag};
use super::error::As2Error;

/// Why a CompressedData could not be inflated.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DecompressFailure {
    /// A compression algorithm other than zlib.
    Unsupported(String),
    /// Not a CompressedData, or a corrupt or truncated zlib stream.
    Failed(String),
    /// The content expands past the limit (bytes) given.
    TooLarge(usize),
}

impl From<As2Error> for DecompressFailure {
    fn from(e: As2Error) -> Self {
        Self::Failed(e.to_string())
    }
}

/// Size of the buffer each inflate step writes into.
const STEP: usize = 64 * 1024;

/// Inflates the content of a CMS ContentInfo holding CompressedData, refusing to produce more
/// than `max` bytes.
pub(crate) fn decompress(cms_der: &[u8], max: usize) -> Result<Vec<u8>, DecompressFailure> {
    let chunks = compressed_content(cms_der)?;
    let mut inflater = Decompress::new(true);
    let mut out: Vec<u8> = Vec::new();
    let mut step = vec![0u8; STEP];
    let mut ended = false;
    let mut chunks = chunks.into_iter();
    let mut input: &[u8] = chunks.next().unwrap_or_default();
    loop {
        // When the input is used up, ask for what the inflater still holds.
        let last = input.is_empty();
        let flush = if last {
            FlushDecompress::Finish
        } else {
            FlushDecompress::None
        };
        let (in_before, out_before) = (inflater.total_in(), inflater.total_out());
        let status = inflater
            .decompress(input, &mut step, flush)
            .map_err(|e| DecompressFailure::Failed(format!("corrupt zlib stream: {e}")))?;
        let used = usize::try_from(inflater.total_in() - in_before).unwrap_or(input.len());
        let produced = usize::try_from(inflater.total_out() - out_before).unwrap_or(0);
        if !last && used == 0 && produced == 0 {
            return Err(DecompressFailure::Failed(
                "corrupt zlib stream: no progress".into(),
            ));
        }
        input = &input[used.min(input.len())..];
        append_bounded(&mut out, &step[..produced], max)?;
        if status == Status::StreamEnd {
            ended = true;
            break;
        }
        if input.is_empty() {
            match chunks.next() {
                Some(next) => input = next,
                // No input left and nothing more came out: the stream stops short.
                None if last && produced == 0 => break,
                None => {}
            }
        }
    }
    if !ended {
        return Err(DecompressFailure::Failed(
            "the zlib stream ends before its end marker (truncated)".into(),
        ));
    }
    Ok(out)
}

/// Appends `data` to `out` unless that would pass `max`; grows `out` at most to `max`, so the
/// limit bounds the allocation too (a doubling `Vec` could reserve twice the limit).
fn append_bounded(out: &mut Vec<u8>, data: &[u8], max: usize) -> Result<(), DecompressFailure> {
    let needed = out.len().saturating_add(data.len());
    if needed > max {
        return Err(DecompressFailure::TooLarge(max));
    }
    if needed > out.capacity() {
        let target = out.capacity().saturating_mul(2).max(needed).min(max);
        out.reserve_exact(target - out.len());
    }
    out.extend_from_slice(data);
    Ok(())
}

/// The zlib stream of a CompressedData ContentInfo, as the slices of its (maybe chunked) eContent.
fn compressed_content(cms_der: &[u8]) -> Result<Vec<&[u8]>, DecompressFailure> {
    let (ci, _) = read_tlv(cms_der)?;
    let ci = ci.expect(tag::SEQUENCE, "ContentInfo")?.children()?;
    let [content_type, explicit, ..] = ci.as_slice() else {
        return Err(DecompressFailure::Failed("ContentInfo too short".into()));
    };
    if !is_oid(content_type, oids::COMPRESSED_DATA) {
        return Err(DecompressFailure::Failed(
            "pkcs7-mime content labelled compressed-data is not CompressedData".into(),
        ));
    }
    let wrapper = explicit
        .expect(tag::CONTEXT_0, "CompressedData wrapper")?
        .children()?;
    let fields = wrapper
        .first()
        .ok_or_else(|| DecompressFailure::Failed("empty CompressedData".into()))?
        .expect(tag::SEQUENCE, "CompressedData")?
        .children()?;
    // version (0), compressionAlgorithm, encapContentInfo
    let [_version, algorithm, encapsulated, ..] = fields.as_slice() else {
        return Err(DecompressFailure::Failed("CompressedData too short".into()));
    };
    let algorithm = algorithm
        .expect(tag::SEQUENCE, "compressionAlgorithm")?
        .children()?;
    let oid = algorithm
        .first()
        .ok_or_else(|| DecompressFailure::Failed("no compression algorithm".into()))?;
    if !is_oid(oid, oids::ZLIB_COMPRESS) {
        return Err(DecompressFailure::Unsupported(format!(
            "compression algorithm {} (only zlib, 1.2.840.113549.1.9.16.3.8)",
            der::oid_text(oid)
        )));
    }
    let encapsulated = encapsulated
        .expect(tag::SEQUENCE, "encapContentInfo")?
        .children()?;
    let content = encapsulated
        .get(1)
        .ok_or_else(|| DecompressFailure::Failed("CompressedData without content".into()))?
        .expect(tag::CONTEXT_0, "eContent")?
        .children()?;
    let octets = content
        .first()
        .ok_or_else(|| DecompressFailure::Failed("empty eContent".into()))?;
    let mut chunks = Vec::new();
    octet_chunks(octets, &mut chunks, 0)?;
    Ok(chunks)
}

/// The bytes of an OCTET STRING, primitive or BER constructed (chunks, maybe nested), in order.
fn octet_chunks<'a>(
    element: &Tlv<'a>,
    out: &mut Vec<&'a [u8]>,
    depth: usize,
) -> Result<(), DecompressFailure> {
    match element.tag {
        tag::OCTET_STRING => {
            out.push(element.content);
            Ok(())
        }
        tag::CONSTRUCTED_OCTET_STRING if depth < 8 => {
            for chunk in element.children()? {
                octet_chunks(&chunk, out, depth + 1)?;
            }
            Ok(())
        }
        other => Err(DecompressFailure::Failed(format!(
            "compressed content: tag {other:#04x}, expected an OCTET STRING"
        ))),
    }
}

/// Test support: a CompressedData ContentInfo (DER) of `content`, zlib at the default level.
#[cfg(test)]
pub(crate) fn compress_for_tests(content: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(content).expect("in memory");
    let zlib = z.finish().expect("in memory");
    der::der_of(
        tag::SEQUENCE,
        &[
            &der::oid(oids::COMPRESSED_DATA),
            &der::der(
                tag::CONTEXT_0,
                &der::der_of(
                    tag::SEQUENCE,
                    &[
                        &der::der_unsigned(&[0]),
                        &der::der(tag::SEQUENCE, &der::oid(oids::ZLIB_COMPRESS)),
                        &der::der_of(
                            tag::SEQUENCE,
                            &[
                                &der::oid(oids::DATA),
                                &der::der(tag::CONTEXT_0, &der::der(tag::OCTET_STRING, &zlib)),
                            ],
                        ),
                    ],
                ),
            ),
        ],
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn text(len: usize) -> Vec<u8> {
        b"BCD*20261201*GDD-CB-1*C*12.50~\r\n"
            .iter()
            .copied()
            .cycle()
            .take(len)
            .collect()
    }

    /// Re-encodes a DER CompressedData the way BouncyCastle streams it: indefinite lengths
    /// and the zlib stream in OCTET STRING chunks inside a constructed OCTET STRING.
    fn to_ber_chunked(der_bytes: &[u8], chunk: usize) -> Vec<u8> {
        let indefinite = der::indefinite;
        let (ci, _) = read_tlv(der_bytes).unwrap();
        let ci = ci.children().unwrap();
        let cd = ci[1].children().unwrap()[0].children().unwrap();
        let encap = cd[2].children().unwrap();
        let zlib = encap[1].children().unwrap()[0].content;
        let chunks: Vec<Vec<u8>> = zlib
            .chunks(chunk)
            .map(|c| der::der(tag::OCTET_STRING, c))
            .collect();
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let octets = indefinite(tag::CONSTRUCTED_OCTET_STRING, &refs);
        let econtent = indefinite(tag::CONTEXT_0, &[&octets]);
        let encap = indefinite(tag::SEQUENCE, &[encap[0].raw, &econtent]);
        let cd = indefinite(tag::SEQUENCE, &[cd[0].raw, cd[1].raw, &encap]);
        let wrapper = indefinite(tag::CONTEXT_0, &[&cd]);
        indefinite(tag::SEQUENCE, &[ci[0].raw, &wrapper])
    }

    #[test]
    fn inflates_der_and_chunked_ber() {
        let content = text(300_000);
        let der_bytes = compress_for_tests(&content);
        assert!(der_bytes.len() < 10_000, "{}", der_bytes.len());
        assert_eq!(decompress(&der_bytes, content.len()).unwrap(), content);
        for chunk in [1, 7, 1000] {
            let ber = to_ber_chunked(&der_bytes, chunk);
            assert_eq!(decompress(&ber, usize::MAX).unwrap(), content, "{chunk}");
        }
    }

    #[test]
    fn stops_at_the_limit_without_reserving_past_it() {
        // 64 MiB of zeros is about 64 KB compressed.
        let bomb = compress_for_tests(&vec![0u8; 64 << 20]);
        assert!(bomb.len() < 100_000, "{}", bomb.len());
        assert_eq!(
            decompress(&bomb, 1 << 20),
            Err(DecompressFailure::TooLarge(1 << 20))
        );
        // Exactly at the limit is fine.
        let content = text(100_000);
        let exact = compress_for_tests(&content);
        assert_eq!(decompress(&exact, 100_000).unwrap().len(), 100_000);
        assert_eq!(
            decompress(&exact, 99_999),
            Err(DecompressFailure::TooLarge(99_999))
        );
    }

    #[test]
    fn bounded_growth_never_passes_the_limit() {
        let mut out = Vec::new();
        for _ in 0..10 {
            append_bounded(&mut out, &[1u8; 1000], 9_500).unwrap_or(());
        }
        assert_eq!(out.len(), 9_000);
        assert!(out.capacity() <= 9_500, "{}", out.capacity());
    }

    #[test]
    fn no_input_makes_it_panic_or_pass_the_limit() {
        // Every truncation and a flipped byte at every position of a small CompressedData,
        // DER and BER: an error or some output within the limit, never a panic.
        let der_bytes = compress_for_tests(&text(2_000));
        let ber = to_ber_chunked(&der_bytes, 50);
        for input in [&der_bytes, &ber] {
            for end in 0..input.len() {
                let _ = decompress(&input[..end], 4_096);
            }
            for at in 0..input.len() {
                for flip in [0x01u8, 0x80, 0xff] {
                    let mut mutated = input.clone();
                    mutated[at] ^= flip;
                    if let Ok(out) = decompress(&mutated, 4_096) {
                        assert!(out.len() <= 4_096);
                    }
                }
            }
        }
    }

    #[test]
    fn corrupt_truncated_and_foreign_content_is_refused() {
        let der_bytes = compress_for_tests(&text(50_000));
        // Flip a byte of the zlib stream (the Adler-32 check or the inflater notices).
        let mut corrupt = der_bytes.clone();
        let at = corrupt.len() - 20;
        corrupt[at] ^= 0x55;
        assert!(matches!(
            decompress(&corrupt, usize::MAX),
            Err(DecompressFailure::Failed(_))
        ));
        // Cut the zlib stream short inside a well-formed envelope.
        let (ci, _) = read_tlv(&der_bytes).unwrap();
        let ci = ci.children().unwrap();
        let cd = ci[1].children().unwrap()[0].children().unwrap();
        let zlib = cd[2].children().unwrap()[1].children().unwrap()[0].content;
        let short = &zlib[..zlib.len() / 2];
        let truncated = der::der_of(
            tag::SEQUENCE,
            &[
                ci[0].raw,
                &der::der(
                    tag::CONTEXT_0,
                    &der::der_of(
                        tag::SEQUENCE,
                        &[
                            cd[0].raw,
                            cd[1].raw,
                            &der::der_of(
                                tag::SEQUENCE,
                                &[
                                    &der::oid(oids::DATA),
                                    &der::der(tag::CONTEXT_0, &der::der(tag::OCTET_STRING, short)),
                                ],
                            ),
                        ],
                    ),
                ),
            ],
        );
        let failure = decompress(&truncated, usize::MAX).unwrap_err();
        assert!(
            matches!(&failure, DecompressFailure::Failed(t) if t.contains("truncated")),
            "{failure:?}"
        );
        // Another algorithm is unsupported, not corrupt.
        let other = der_bytes
            .windows(der::oid(oids::ZLIB_COMPRESS).len())
            .position(|w| w == der::oid(oids::ZLIB_COMPRESS).as_slice())
            .unwrap();
        let mut foreign = der_bytes.clone();
        let last = other + der::oid(oids::ZLIB_COMPRESS).len() - 1;
        foreign[last] = 9;
        assert!(matches!(
            decompress(&foreign, usize::MAX),
            Err(DecompressFailure::Unsupported(t)) if t.contains("1.2.840.113549.1.9.16.3.9")
        ));
        // Not CMS at all.
        assert!(decompress(b"ISA*00*", usize::MAX).is_err());
        // EnvelopedData labelled compressed-data.
        let enveloped = der::der_of(
            tag::SEQUENCE,
            &[
                &der::oid(oids::ENVELOPED_DATA),
                &der::der(tag::CONTEXT_0, &[]),
            ],
        );
        assert!(matches!(
            decompress(&enveloped, usize::MAX),
            Err(DecompressFailure::Failed(t)) if t.contains("not CompressedData")
        ));
    }
}
