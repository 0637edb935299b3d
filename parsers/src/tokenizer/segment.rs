//! A borrowed segment and its elements.
//!
//! Elements are not copied: a [`Segment`] is a view into the reader's buffer plus the slice of
//! the structural index that covers it, so asking for element N is two index look-ups.

use super::delimiters::Delimiters;

/// One segment, without its terminator, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    data: &'a [u8],
    /// Absolute buffer positions of the element separators inside `data`.
    seps: &'a [u32],
    /// Absolute buffer position of `data[0]`.
    base: u32,
    delimiters: Delimiters,
    offset: u64,
}

impl<'a> Segment<'a> {
    pub(crate) fn new(
        data: &'a [u8],
        seps: &'a [u32],
        base: u32,
        delimiters: Delimiters,
        offset: u64,
    ) -> Self {
        Segment {
            data,
            seps,
            base,
            delimiters,
            offset,
        }
    }

    /// The segment id (`ST`, `BAA`, ...): the bytes before the first element separator.
    pub fn id(&self) -> &'a [u8] {
        match self.seps.first() {
            Some(&p) => &self.data[..(p - self.base) as usize],
            None => self.data,
        }
    }

    /// Where the id lies in the buffer the segment was read from, as `(from, to)` in the
    /// positions of [`Segment::element_span`].
    pub fn id_span(&self) -> (usize, usize) {
        let base = self.base as usize;
        match self.seps.first() {
            Some(&p) => (base, p as usize),
            None => (base, base + self.data.len()),
        }
    }

    /// Where element `n` lies in the buffer the segment was read from (its first byte is
    /// position `base`), so a caller holding that whole buffer as text can slice the element
    /// out of it without checking its UTF-8 again.
    pub fn element_span(&self, n: usize) -> Option<(usize, usize)> {
        if n == 0 || n > self.seps.len() {
            return None;
        }
        let from = self.seps[n - 1] as usize + 1;
        let to = match self.seps.get(n) {
            Some(&p) => p as usize,
            None => self.base as usize + self.data.len(),
        };
        Some((from, to))
    }

    /// The element separators' positions, in the numbering where `data[0]` is `base`, and
    /// that base: what a copy of the segment needs to rebuild its index without a scan.
    pub(crate) fn separators(&self) -> (&'a [u32], u32) {
        (self.seps, self.base)
    }

    /// The segment id as text; ids are ASCII, anything else yields `""`.
    pub fn id_str(&self) -> &'a str {
        std::str::from_utf8(self.id()).unwrap_or("")
    }

    /// Number of elements after the id, counting empty ones (`N1*ST**11` has 3).
    pub fn element_count(&self) -> usize {
        self.seps.len()
    }

    /// Element `n`, 1-based as in X12 (`BAA05` is `element(5)`); `None` past the end.
    pub fn element(&self, n: usize) -> Option<&'a [u8]> {
        if n == 0 || n > self.seps.len() {
            return None;
        }
        let from = (self.seps[n - 1] - self.base) as usize + 1;
        let to = match self.seps.get(n) {
            Some(&p) => (p - self.base) as usize,
            None => self.data.len(),
        };
        Some(&self.data[from..to])
    }

    /// Element `n` as text when present, non-empty and UTF-8.
    pub fn text(&self, n: usize) -> Option<&'a str> {
        self.element(n)
            .filter(|e| !e.is_empty())
            .and_then(|e| std::str::from_utf8(e).ok())
    }

    /// The elements after the id, in order.
    #[inline]
    pub fn elements(&self) -> Elements<'a> {
        Elements {
            data: self.data,
            seps: self.seps,
            base: self.base,
        }
    }

    /// The whole segment without its terminator.
    pub fn raw(&self) -> &'a [u8] {
        self.data
    }

    /// The delimiters of the interchange this segment belongs to.
    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

    /// Byte offset of the segment's first byte in the input.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Copies the segment out of the reader's buffer.
    pub fn to_owned_segment(&self) -> OwnedSegment {
        OwnedSegment {
            id: self.id_str().to_owned(),
            elements: self.elements().map(<[u8]>::to_vec).collect(),
            offset: self.offset,
        }
    }
}

/// Iterator over a segment's elements (see [`Segment::elements`]): each step reads the next
/// separator position and slices up to the one after it.
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    data: &'a [u8],
    /// Separators not yet passed; the first one opens the next element.
    seps: &'a [u32],
    base: u32,
}

impl<'a> Iterator for Elements<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&open, rest) = self.seps.split_first()?;
        self.seps = rest;
        let from = (open - self.base) as usize + 1;
        let to = rest
            .first()
            .map_or(self.data.len(), |&p| (p - self.base) as usize);
        Some(&self.data[from..to])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.seps.len(), Some(self.seps.len()))
    }
}

impl ExactSizeIterator for Elements<'_> {}

/// Splits an element into its components with the component separator.
pub fn components<'a>(
    element: &'a [u8],
    delimiters: &Delimiters,
) -> impl Iterator<Item = &'a [u8]> {
    element.split(move |&b| b == delimiters.component)
}

/// A segment copied out of the reader's buffer, for the few places that must keep one
/// (the ISA and GS of the interchange being read, acknowledgment building).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedSegment {
    /// Segment id.
    pub id: String,
    /// Elements after the id, raw bytes.
    pub elements: Vec<Vec<u8>>,
    /// Byte offset in the input.
    pub offset: u64,
}

impl OwnedSegment {
    /// Element `n` (1-based) as text, `""` when absent or not UTF-8.
    pub fn text(&self, n: usize) -> &str {
        n.checked_sub(1)
            .and_then(|i| self.elements.get(i))
            .and_then(|e| std::str::from_utf8(e).ok())
            .unwrap_or("")
    }
}
