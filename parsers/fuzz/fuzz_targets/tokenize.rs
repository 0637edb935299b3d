//! Any bytes through `SegmentReader`, strict and lenient ISA modes: no panic, every call makes
//! progress, and reading in 7-byte trickles yields exactly the segments of one whole read.

#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use x12::tokenizer::components;
use x12::{IsaMode, ReaderOptions, SegmentReader};

/// A source that hands out at most 7 bytes per read, to cross every buffer boundary.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.len().min(out.len()).min(7);
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Segments as (offset, raw bytes, element count), then the error offset if reading failed.
fn read_all<R: Read>(
    src: R,
    isa_mode: IsaMode,
    len: usize,
) -> (Vec<(u64, Vec<u8>, usize)>, Option<u64>) {
    let opts = ReaderOptions {
        isa_mode,
        max_segment_len: 64 << 10,
        chunk_size: 4096,
    };
    let mut r = SegmentReader::with_options(src, opts);
    let mut out = Vec::new();
    loop {
        match r.next_segment() {
            Ok(Some(seg)) => {
                let d = seg.delimiters();
                let mut seen = seg.id().len();
                for e in seg.elements() {
                    seen += e.len() + components(e, &d).count();
                }
                std::hint::black_box(seen);
                out.push((seg.offset(), seg.raw().to_vec(), seg.element_count()));
                // Every segment ends in a terminator byte, so there are never more than bytes.
                assert!(out.len() <= len, "reader makes no progress");
            }
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e.offset())),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    for mode in [IsaMode::Strict, IsaMode::Lenient] {
        let whole = read_all(data, mode, data.len());
        let trickled = read_all(Trickle(data), mode, data.len());
        assert_eq!(whole, trickled, "chunking changed the segments ({mode:?})");
    }
});
