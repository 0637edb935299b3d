//! Structural index: the positions of every element separator and segment terminator.
//!
//! X12 is delimiter-dense (a separator every few bytes), so calling `memchr` once per element
//! pays its set-up cost for very little scanning. Instead the reader indexes a whole buffer in
//! one SIMD pass and the segment and element iterators then walk the index.

use wide::u8x16;

/// Set on an index entry that marks a segment terminator rather than an element separator.
pub const TERMINATOR: u32 = 1 << 31;

/// Appends to `out` the position (relative to `base`) of every `element` and `segment` byte
/// in `data`, in order; terminators carry the [`TERMINATOR`] flag.
///
/// Sixteen bytes at a time: one SIMD compare and move-mask per delimiter (safe, portable
/// types from `wide`), then one push per delimiter found. Positions must fit in 31 bits, so
/// `base + data.len()` stays below 2 GiB: the reader's buffer is bounded far below that.
pub fn index(data: &[u8], base: u32, element: u8, segment: u8, out: &mut Vec<u32>) {
    let es = u8x16::splat(element);
    let ts = u8x16::splat(segment);
    let mut chunks = data.chunks_exact(16);
    let mut pos = base;
    for chunk in &mut chunks {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(chunk);
        let v = u8x16::from(bytes);
        let mt = v.simd_eq(ts).to_bitmask();
        let mut m = v.simd_eq(es).to_bitmask() | mt;
        while m != 0 {
            let bit = m.trailing_zeros();
            let flag = if mt & (1 << bit) != 0 { TERMINATOR } else { 0 };
            out.push((pos + bit) | flag);
            m &= m - 1;
        }
        pos += 16;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        let p = pos + i as u32;
        if b == segment {
            out.push(p | TERMINATOR);
        } else if b == element {
            out.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(data: &[u8], element: u8, segment: u8) -> Vec<u32> {
        data.iter()
            .enumerate()
            .filter_map(|(i, &b)| {
                if b == segment {
                    Some(i as u32 | TERMINATOR)
                } else if b == element {
                    Some(i as u32)
                } else {
                    None
                }
            })
            .collect()
    }

    #[test]
    fn indexes_separators_and_terminators_in_order() {
        let data = b"ST*844*0001~BAA*00~";
        let mut out = Vec::new();
        index(data, 0, b'*', b'~', &mut out);
        assert_eq!(out, vec![2, 6, 11 | TERMINATOR, 15, 18 | TERMINATOR]);
    }

    #[test]
    fn high_bytes_are_not_false_matches() {
        // 0x80 and 0xff lanes are the classic false positives of the cheap SWAR test.
        let data = [
            0x80u8,
            0xff,
            b'*',
            0x2a ^ 0x80,
            b'~',
            0,
            0x7f,
            0xfe,
            b'*',
            0x80,
        ];
        let mut out = Vec::new();
        index(&data, 10, b'*', b'~', &mut out);
        assert_eq!(out, vec![12, 14 | TERMINATOR, 18]);
    }

    proptest! {
        #[test]
        fn matches_naive_scan(data in proptest::collection::vec(any::<u8>(), 0..200),
                              element in any::<u8>(), segment in any::<u8>()) {
            prop_assume!(element != segment);
            let mut out = Vec::new();
            index(&data, 0, element, segment, &mut out);
            prop_assert_eq!(out, naive(&data, element, segment));
        }
    }
}
