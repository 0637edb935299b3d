//! Structural index: where every element separator and segment terminator lies.
//!
//! X12 is delimiter-dense (a separator every few bytes), so calling `memchr` once per element
//! pays its set-up cost for very little scanning. Instead the reader indexes a stretch of its
//! buffer in one SIMD pass, and segments are then cut from the index without looking at the
//! bytes again: every terminator entry already says which separators precede it, so cutting a
//! segment is one load, with no search and no data-dependent branch.

use wide::u8x16;

/// A segment terminator: its buffer position, and the end (exclusive) of the separator
/// entries before it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Term {
    pos: u32,
    seps_end: u32,
}

/// One segment cut from the index: its terminator's position and its separators' entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// Buffer position of the segment terminator.
    pub end: usize,
    /// First entry of the segment's element separators (see [`Index::seps`]).
    pub seps_from: usize,
    /// End (exclusive) of the segment's element separators.
    pub seps_to: usize,
}

/// Element separator and segment terminator positions of a stretch of buffer, with a cursor
/// over the segments not yet handed out.
///
/// Both vectors are kept at their full length and only `..len` of each is valid, so the scan
/// can write a whole 64-byte block's entries with one bounds check instead of a capacity
/// check per entry. Positions are `u32`: the reader's buffer is bounded far below 4 GiB.
#[derive(Debug, Default)]
pub struct Index {
    seps: Vec<u32>,
    seps_len: usize,
    /// First separator entry not yet handed out.
    seps_pos: usize,
    terms: Vec<Term>,
    terms_len: usize,
    /// First terminator entry not yet handed out.
    terms_pos: usize,
}

impl Index {
    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.seps_len = 0;
        self.seps_pos = 0;
        self.terms_len = 0;
        self.terms_pos = 0;
    }

    /// The next segment whose terminator is indexed, and moves past it.
    #[inline]
    pub fn next_cut(&mut self) -> Option<Cut> {
        let t = *self.terms[..self.terms_len].get(self.terms_pos)?;
        self.terms_pos += 1;
        let seps_from = self.seps_pos;
        self.seps_pos = t.seps_end as usize;
        Some(Cut {
            end: t.pos as usize,
            seps_from,
            seps_to: self.seps_pos,
        })
    }

    /// Separator positions `from..to`, as given by a [`Cut`].
    #[inline]
    pub fn seps(&self, from: usize, to: usize) -> &[u32] {
        &self.seps[from..to]
    }

    /// Drops the entries already handed out, keeping those of a segment still being read.
    pub fn discard_consumed(&mut self) {
        let done = self.seps_pos;
        self.seps.copy_within(done..self.seps_len, 0);
        self.seps_len -= done;
        self.seps_pos = 0;
        self.terms.copy_within(self.terms_pos..self.terms_len, 0);
        self.terms_len -= self.terms_pos;
        self.terms_pos = 0;
        for t in &mut self.terms[..self.terms_len] {
            t.seps_end -= done as u32;
        }
    }

    /// Moves every kept position `by` bytes down, after the buffer was compacted that much.
    pub fn shift(&mut self, by: u32) {
        for p in &mut self.seps[self.seps_pos..self.seps_len] {
            *p -= by;
        }
        for t in &mut self.terms[self.terms_pos..self.terms_len] {
            t.pos -= by;
        }
    }

    /// Bytes held, for the reader's memory figure.
    pub fn capacity_bytes(&self) -> usize {
        self.seps.capacity() * size_of::<u32>() + self.terms.capacity() * size_of::<Term>()
    }

    /// Appends the `element` separators and `segment` terminators of `data`, whose first byte
    /// is at buffer position `base`. `base + data.len()` must stay below 4 GiB.
    ///
    /// Sixty-four bytes at a time: four SIMD compares and move-masks per delimiter (safe,
    /// portable types from `wide`) give two bit masks, whose set bits are then written out.
    pub fn extend(&mut self, data: &[u8], base: u32, element: u8, segment: u8) {
        // Worst case every byte is a delimiter, plus one block of scratch writes.
        let room = data.len() + 64;
        grow(&mut self.seps, self.seps_len + room);
        grow(&mut self.terms, self.terms_len + room);
        let es = u8x16::splat(element);
        let ts = u8x16::splat(segment);
        let mut blocks = data.chunks_exact(64);
        let mut pos = base;
        for block in &mut blocks {
            let (e, t) = masks(block, es, ts);
            self.push_block(e, t, pos);
            pos += 64;
        }
        let rest = blocks.remainder();
        if !rest.is_empty() {
            let mut block = [0u8; 64];
            block[..rest.len()].copy_from_slice(rest);
            // The zero padding must not match a NUL delimiter.
            let valid = (1u64 << rest.len()) - 1;
            let (e, t) = masks(&block, es, ts);
            self.push_block(e & valid, t & valid, pos);
        }
    }

    /// Writes the entries of one block: `e` and `t` mark its separators and terminators.
    #[inline(always)]
    fn push_block(&mut self, e: u64, t: u64, base: u32) {
        let seps_len = self.seps_len;
        let seps: &mut [u32; 64] = (&mut self.seps[seps_len..seps_len + 64])
            .try_into()
            .expect("extend made room for a block");
        let mut n = 0;
        let mut m = e;
        while m != 0 {
            seps[n & 63] = base + m.trailing_zeros();
            m &= m - 1;
            n += 1;
        }
        self.seps_len += n;
        let terms_len = self.terms_len;
        let terms: &mut [Term; 64] = (&mut self.terms[terms_len..terms_len + 64])
            .try_into()
            .expect("extend made room for a block");
        let mut n = 0;
        let mut m = t;
        while m != 0 {
            let low = m & m.wrapping_neg();
            // The separators before this terminator: those of earlier blocks, and the bits of
            // `e` below it.
            let before = (e & (low - 1)).count_ones() as usize;
            terms[n & 63] = Term {
                pos: base + low.trailing_zeros(),
                seps_end: (seps_len + before) as u32,
            };
            m ^= low;
            n += 1;
        }
        self.terms_len += n;
    }
}

/// Grows `v` to at least `len` entries; it never shrinks, so this is rare.
fn grow<T: Default + Clone>(v: &mut Vec<T>, len: usize) {
    if v.len() < len {
        v.resize(len, T::default());
    }
}

/// Bit masks of the `element` and `segment` bytes of a 64-byte block, bit `i` for byte `i`.
#[inline(always)]
fn masks(block: &[u8], es: u8x16, ts: u8x16) -> (u64, u64) {
    let (mut e, mut t) = (0u64, 0u64);
    for (i, chunk) in block.chunks_exact(16).enumerate() {
        let bytes: [u8; 16] = chunk.try_into().expect("16-byte chunk");
        let v = u8x16::from(bytes);
        e |= u64::from(v.simd_eq(es).to_bitmask()) << (16 * i);
        t |= u64::from(v.simd_eq(ts).to_bitmask()) << (16 * i);
    }
    (e, t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every segment the index hands out, as (terminator position, separator positions).
    fn drain(ix: &mut Index) -> Vec<(usize, Vec<u32>)> {
        let mut out = Vec::new();
        while let Some(c) = ix.next_cut() {
            out.push((c.end, ix.seps(c.seps_from, c.seps_to).to_vec()));
        }
        out
    }

    /// The same by looking at every byte.
    fn naive(data: &[u8], element: u8, segment: u8) -> Vec<(usize, Vec<u32>)> {
        let mut out = Vec::new();
        let mut seps = Vec::new();
        for (i, &b) in data.iter().enumerate() {
            if b == segment {
                out.push((i, std::mem::take(&mut seps)));
            } else if b == element {
                seps.push(i as u32);
            }
        }
        out
    }

    #[test]
    fn cuts_segments_with_their_separators() {
        let data = b"ST*844*0001~BAA*00~";
        let mut ix = Index::default();
        ix.extend(data, 0, b'*', b'~');
        assert_eq!(drain(&mut ix), vec![(11, vec![2, 6]), (18, vec![15])]);
        assert_eq!(ix.next_cut(), None);
    }

    #[test]
    fn high_bytes_and_padding_are_not_false_matches() {
        // 0x80 and 0xff lanes are the classic false positives of the cheap SWAR test; NUL as
        // a delimiter must not match the zero padding of the last block.
        let data = [
            0x80u8,
            0xff,
            b'*',
            0x2a ^ 0x80,
            0,
            0,
            0x7f,
            0xfe,
            b'*',
            0x80,
        ];
        let mut ix = Index::default();
        ix.extend(&data, 10, b'*', 0);
        assert_eq!(drain(&mut ix), vec![(14, vec![12]), (15, vec![])]);
    }

    #[test]
    fn a_segment_split_across_extends_keeps_its_separators() {
        let mut ix = Index::default();
        ix.extend(b"AB*1~CD*2*", 0, b'*', b'~');
        assert_eq!(drain(&mut ix), vec![(4, vec![2])]);
        ix.discard_consumed();
        ix.extend(b"3~", 10, b'*', b'~');
        assert_eq!(drain(&mut ix), vec![(11, vec![7, 9])]);
    }

    #[test]
    fn shift_follows_a_compacted_buffer() {
        let mut ix = Index::default();
        ix.extend(b"AB*1~CD*2*", 0, b'*', b'~');
        assert_eq!(ix.next_cut().map(|c| c.end), Some(4));
        ix.discard_consumed();
        ix.shift(5);
        ix.extend(b"3~", 5, b'*', b'~');
        assert_eq!(drain(&mut ix), vec![(6, vec![2, 4])]);
    }

    proptest! {
        #[test]
        fn matches_naive_scan(data in proptest::collection::vec(any::<u8>(), 0..300),
                              split in 0usize..300,
                              element in any::<u8>(), segment in any::<u8>()) {
            prop_assume!(element != segment);
            let split = split.min(data.len());
            let mut ix = Index::default();
            ix.extend(&data[..split], 0, element, segment);
            let mut got = drain(&mut ix);
            ix.discard_consumed();
            ix.extend(&data[split..], split as u32, element, segment);
            got.extend(drain(&mut ix));
            prop_assert_eq!(got, naive(&data, element, segment));
        }

        #[test]
        fn dense_delimiters_fill_whole_blocks(data in proptest::collection::vec(
            prop_oneof![Just(b'*'), Just(b'~'), Just(b'a')], 0..400)) {
            let mut ix = Index::default();
            ix.extend(&data, 3, b'*', b'~');
            let want: Vec<_> = naive(&data, b'*', b'~')
                .into_iter()
                .map(|(end, seps)| (end + 3, seps.into_iter().map(|p| p + 3).collect()))
                .collect();
            prop_assert_eq!(drain(&mut ix), want);
        }
    }
}
