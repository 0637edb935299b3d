//! The memory claim as a test: a large generated interchange stream is read through a `Read`
//! that generates it on the fly (nothing holds the whole input), and the reader's buffers stay
//! at the size they had after the first MiB.
//!
//! Both tests stream 64 MiB; in a debug build the reader test takes about 2 s and the
//! validator test about 10 s (full syntax checks are the slow part), well under 20 s together.

use x12::generate::{CorpusReader, SetKind};
use x12::validate::{ValidateOptions, validate_stream};
use x12::{ReaderOptions, SegmentReader};

const MIB: usize = 1 << 20;

/// Reads `mib` MiB of generated 844s and returns the buffer capacity after the first MiB and
/// at the end, with the number of segments read.
fn capacities(mib: usize) -> (usize, usize, u64) {
    let src = CorpusReader::new(SetKind::Claim844, mib * MIB, 11);
    let mut r = SegmentReader::with_options(src, ReaderOptions::default());
    let mut after_first_mib = None;
    let mut segments = 0u64;
    let mut longest_segment = 0usize;
    while let Some(seg) = r.next_segment().expect("generated input reads") {
        segments += 1;
        longest_segment = longest_segment.max(seg.raw().len());
        if after_first_mib.is_none() && seg.offset() >= MIB as u64 {
            after_first_mib = Some(r.buffer_capacity());
        }
    }
    assert!(longest_segment < 200, "generated segments are short");
    assert!(r.position() >= (mib * MIB) as u64, "read the whole corpus");
    let first = after_first_mib.expect("more than 1 MiB read");
    (first, r.buffer_capacity(), segments)
}

fn check_flat(mib: usize) {
    let (first, last, segments) = capacities(mib);
    assert_eq!(
        first, last,
        "buffer capacity grew from {first} to {last} bytes over {mib} MiB ({segments} segments)"
    );
    // Flat, and small: nowhere near the input size.
    assert!(last < 4 * MIB, "buffers hold {last} bytes");
}

fn check_validates_clean(mib: usize) {
    let src = CorpusReader::new(SetKind::Claim844, mib * MIB, 12);
    let mut diagnostics = Vec::new();
    let mut interchanges = 0u64;
    let segments = validate_stream(
        src,
        ReaderOptions::default(),
        ValidateOptions::default(),
        |d| diagnostics.push(d.to_string()),
        |_| interchanges += 1,
    );
    diagnostics.truncate(10);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert!(interchanges > 1);
    assert!(segments > (mib * MIB / 30) as u64, "{segments} segments");
}

#[test]
fn reader_buffers_stay_flat_over_64_mib() {
    check_flat(64);
}

#[test]
fn validator_streams_64_mib_without_diagnostics() {
    check_validates_clean(64);
}
