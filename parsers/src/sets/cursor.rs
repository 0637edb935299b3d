//! A cursor over the segments of one [`RawSet`], for the typed readers.
//!
//! The typed readers are hand-written recursive descent over the standard loop structure: a
//! loop reader takes its first segment, then keeps taking segments while they belong to the
//! loop, and returns when the next one belongs to an enclosing loop. The cursor counts
//! positions from ST = 1, as 997/999 do, so every [`ReadError`] points at a segment an
//! acknowledgment can name. [`Shape`] describes where a loop's unmodelled segments go, both
//! when reading them into `other` and when writing them back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;

use super::{ReadError, ReadErrorKind};
use crate::diagnostic::ElementPosition;
use crate::dict::{self, Node, Version};
use crate::envelope::Seg;
use crate::stream::RawSet;
use crate::tokenizer::{Segment, components};

/// A position in a set's segments, between ST and SE.
pub struct SegmentCursor<'a> {
    raw: &'a RawSet,
    /// Index of the next segment in `raw` (0 = ST).
    next: usize,
    /// Index one past the last body segment (the SE's index when the set has one).
    end: usize,
    /// The [`key`]s of every segment id the set's grammar knows, in either version, sorted.
    known: Arc<[u64]>,
    /// The set's bytes as text, when they are UTF-8.
    text: Option<&'a str>,
    /// [`RawSet::separator_free`]: the validator found no separator in any element.
    separator_free: bool,
    /// The segment at `next` and its id's [`key`], worked out once per segment: readers
    /// peek at the next id several times before taking it, nearly always by key (the id as
    /// text is sliced out when asked for).
    head: Option<(Segment<'a>, u64)>,
    /// The last DTM read and its bytes: a line's dates repeat the line before's byte for
    /// byte (every line of an invoice has its date), and decoding a segment depends only on
    /// its bytes and the set, so an equal DTM is the same value.
    pub(crate) last_dtm: Option<(&'a [u8], super::common::Dtm)>,
}

impl<'a> SegmentCursor<'a> {
    /// A cursor on the first segment after ST.
    pub fn new(raw: &'a RawSet) -> Self {
        let len = raw.len();
        let starts_with_st = raw.segment(0).is_some_and(|s| s.id() == b"ST");
        let ends_with_se = len > 1 && raw.segment(len - 1).is_some_and(|s| s.id() == b"SE");
        let known = known_ids(&raw.id);
        let mut cursor = SegmentCursor {
            raw,
            next: usize::from(starts_with_st),
            end: if ends_with_se { len - 1 } else { len },
            known,
            text: raw.as_text(),
            separator_free: raw.separator_free(),
            head: None,
            last_dtm: None,
        };
        cursor.load_head();
        cursor
    }

    fn load_head(&mut self) {
        self.head = if self.next >= self.end {
            None
        } else {
            self.raw
                .segment(self.next)
                .map(|segment| (segment, key_bytes(segment.id())))
        };
    }

    /// The raw set this cursor reads.
    pub fn raw(&self) -> &'a RawSet {
        self.raw
    }

    /// Position of the next segment counted from ST = 1 (the SE's position at the end).
    pub fn position(&self) -> u32 {
        u32::try_from(self.next + 1).unwrap_or(u32::MAX)
    }

    /// True when only the SE (or nothing) is left.
    pub fn is_at_end(&self) -> bool {
        self.next >= self.end
    }

    /// The next segment without taking it.
    pub fn peek(&self) -> Option<Segment<'a>> {
        self.head.map(|(segment, _)| segment)
    }

    /// The next segment's id without taking it.
    pub fn peek_id(&self) -> Option<&'a str> {
        self.head.map(|(segment, _)| id_in(&segment, self.text))
    }

    /// The next segment's id as its [`key`], for readers that match ids as integers.
    pub(crate) fn peek_key(&self) -> Option<u64> {
        self.head.map(|(_, k)| k)
    }

    /// Takes the next segment, whatever it is.
    pub fn next_segment(&mut self) -> Option<SegmentAt<'a>> {
        let segment = self.peek()?;
        let at = SegmentAt {
            segment,
            position: self.position(),
            set_text: self.text,
            separator_free: self.separator_free,
        };
        self.next += 1;
        self.load_head();
        Some(at)
    }

    /// Takes the next segment when its id is `id`.
    pub fn next_if(&mut self, id: &str) -> Option<SegmentAt<'a>> {
        if self.peek_id() == Some(id) {
            self.next_segment()
        } else {
            None
        }
    }

    /// Takes segments while their ids are in `ids`.
    pub fn take_while_in(&mut self, ids: &[&str]) -> Vec<SegmentAt<'a>> {
        let mut out = Vec::new();
        while let Some(id) = self.peek_id() {
            if !ids.contains(&id) {
                break;
            }
            out.extend(self.next_segment());
        }
        out
    }

    /// Takes the next segment, which must be `id`.
    pub(crate) fn expect(&mut self, id: &str) -> Result<SegmentAt<'a>, ReadError> {
        self.next_if(id).ok_or_else(|| self.missing(id))
    }

    /// Takes and decodes the next segment, which must be a `T`.
    pub(crate) fn read_segment<T: SegmentType>(&mut self) -> Result<T, ReadError> {
        // The id compared by key (an integer compare, not a memcmp call per segment).
        let at = match T::KEY {
            u64::MAX => self.expect(T::ID)?,
            k if self.peek_key() == Some(k) => match self.next_segment() {
                Some(at) => at,
                None => return Err(self.missing(T::ID)),
            },
            _ => return Err(self.missing(T::ID)),
        };
        T::decode_in(self, &at)
    }

    /// A mandatory segment `id` is missing at the current position.
    pub(crate) fn missing(&self, id: &str) -> ReadError {
        ReadError::new(
            self.position(),
            id,
            None,
            ReadErrorKind::MissingSegment(id.to_owned()),
        )
    }

    /// The next segment has no place here.
    pub(crate) fn unexpected(&self) -> ReadError {
        let id = self.peek_id().unwrap_or("SE");
        ReadError::new(
            self.position(),
            id,
            None,
            ReadErrorKind::UnexpectedSegment(id.to_owned()),
        )
    }

    /// Takes the next segment into `other` when `shape` gives it a place in this loop
    /// without modelling it: a plain member, a whole unmodelled nested loop, or a segment
    /// the set's grammar does not define at all (kept by the innermost loop). Returns false,
    /// taking nothing, when the segment starts a new iteration of this loop or belongs to an
    /// enclosing one; an error when a taken segment could not be written back as sent.
    pub(crate) fn take_other(
        &mut self,
        shape: &Shape,
        other: &mut Vec<Seg>,
    ) -> Result<bool, ReadError> {
        let (Some(id), Some(k)) = (self.peek_id(), self.peek_key()) else {
            return Ok(false);
        };
        // Ids compared by key (strings only when too long for one): this runs at the end of
        // every loop, against every id of the loop's shape (twenty for an 867 line), so the
        // length and first byte rule out nearly all of them before a key is worked out.
        let (len, first) = (id.len(), id.as_bytes().first());
        let is = |s: &str| {
            s.len() == len
                && s.as_bytes().first() == first
                && key(s) == k
                && (k != u64::MAX || s == id)
        };
        if shape.order.first().is_some_and(|o| is(o)) {
            return Ok(false);
        }
        if let Some((_, members)) = shape.opaque.iter().find(|(t, _)| is(t)) {
            if let Some(first) = self.next_segment() {
                other.push(first.to_checked_seg()?);
            }
            for seg in self.take_while_in(members) {
                other.push(seg.to_checked_seg()?);
            }
            return Ok(true);
        }
        // Grammar ids are at most three bytes: a longer id is not one of them.
        let unknown = k == u64::MAX || self.known.binary_search(&k).is_err();
        if shape.order.iter().any(|o| is(o)) || unknown {
            if let Some(seg) = self.next_segment() {
                other.push(seg.to_checked_seg()?);
            }
            return Ok(true);
        }
        Ok(false)
    }
}

/// The sorted [`key`]s of the segment ids of set `set_id`'s grammar in every version, computed
/// once per set id the dictionary knows (a file holds thousands of small sets; walking the
/// grammar for each showed in profiles). Unknown ids get an empty list and are not cached, so
/// input cannot grow the cache.
fn known_ids(set_id: &str) -> Arc<[u64]> {
    type Ids = Arc<[u64]>;
    static CACHE: OnceLock<Mutex<HashMap<String, Ids>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(ids) = cache.get(set_id) {
        return ids.clone();
    }
    let mut known = Vec::new();
    let mut in_dictionary = false;
    for version in Version::ALL {
        if let Some(def) = dict::set(version, set_id) {
            in_dictionary = true;
            collect_ids(def.body, &mut known);
        }
    }
    let mut keys: Vec<u64> = known.iter().map(|id| key(id)).collect();
    keys.sort_unstable();
    keys.dedup();
    let ids: Ids = keys.into();
    if in_dictionary {
        cache.insert(set_id.to_owned(), ids.clone());
    }
    ids
}

fn collect_ids(nodes: &'static [Node], out: &mut Vec<&'static str>) {
    for n in nodes {
        out.push(n.id());
        if let Node::Loop { body, .. } = n {
            collect_ids(body, out);
        }
    }
}

/// A segment id or code of at most seven bytes as one integer, equal for equal strings only:
/// the bytes packed high (see [`crate::dict::pack_prefix`]) and the length in the low byte,
/// which the packing leaves free (so `A` and `A\0` differ). Longer strings give `u64::MAX`,
/// which callers never compare as a key: they compare those as strings. Readers match ids and
/// codes by key, where matching strings called memcmp once per arm.
pub(crate) const fn key(s: &str) -> u64 {
    key_bytes(s.as_bytes())
}

/// [`key`] of an id as read. An id that is not UTF-8 gets a key no id of the grammar has,
/// as the empty id it reads as ([`Segment::id_str`]) does.
pub(crate) const fn key_bytes(b: &[u8]) -> u64 {
    if b.len() > 7 {
        return u64::MAX;
    }
    crate::dict::pack_prefix(b) | b.len() as u64
}

/// Pushes onto a list that nearly always holds one item (a line's price, amount, invoice
/// REF and date; a party's address): the first push allocates room for exactly one instead
/// of taking the growth path, which allocates room for four.
#[inline]
pub(crate) fn push_one<T>(v: &mut Vec<T>, item: T) {
    if v.capacity() == 0 {
        *v = Vec::with_capacity(1);
    }
    v.push(item);
}

/// Keys of the segment ids the readers match.
pub(crate) mod ids {
    use super::key;

    pub(crate) const AMT: u64 = key("AMT");
    pub(crate) const CTB: u64 = key("CTB");
    pub(crate) const CTT: u64 = key("CTT");
    pub(crate) const CUR: u64 = key("CUR");
    pub(crate) const DTM: u64 = key("DTM");
    pub(crate) const LIN: u64 = key("LIN");
    pub(crate) const N1: u64 = key("N1");
    pub(crate) const N2: u64 = key("N2");
    pub(crate) const N3: u64 = key("N3");
    pub(crate) const N4: u64 = key("N4");
    pub(crate) const PER: u64 = key("PER");
    pub(crate) const PID: u64 = key("PID");
    pub(crate) const PTD: u64 = key("PTD");
    pub(crate) const QTY: u64 = key("QTY");
    pub(crate) const REF: u64 = key("REF");
    pub(crate) const UIT: u64 = key("UIT");
}

/// The id of `segment`, sliced out of its set's `text` when the set is UTF-8 (no check of its
/// own), else checked on its own.
fn id_in<'a>(segment: &Segment<'a>, text: Option<&'a str>) -> &'a str {
    let (from, to) = segment.id_span();
    text.and_then(|t| t.get(from..to))
        .unwrap_or_else(|| segment.id_str())
}

/// A segment taken from the cursor, with its position (ST = 1) for error locations, and
/// typed access to its elements.
#[derive(Debug, Clone, Copy)]
pub struct SegmentAt<'a> {
    /// The segment.
    pub segment: Segment<'a>,
    /// Its position counted from ST = 1.
    pub position: u32,
    /// The whole set as text, when UTF-8: elements are sliced out of it.
    set_text: Option<&'a str>,
    /// The validator found no repetition or component separator in any element of the set,
    /// so [`SegmentAt::str_at`] need not search for them again.
    separator_free: bool,
}

impl<'a> SegmentAt<'a> {
    /// The segment id.
    pub fn id(&self) -> &'a str {
        id_in(&self.segment, self.set_text)
    }

    fn error(&self, element: usize, component: Option<usize>, kind: ReadErrorKind) -> ReadError {
        let to_u16 = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        ReadError::new(
            self.position,
            self.id(),
            Some(ElementPosition {
                element: to_u16(element),
                component: component.map(to_u16),
                repetition: None,
            }),
            kind,
        )
    }

    /// Element `n` as text (a `String` or a [`super::Text`], as the field wants); `None`
    /// when absent, empty or spaces only (X12.6: a string holds at least one non-space
    /// character, so the validator takes such an element as absent, and so does the
    /// mapping: a contract id or name of three spaces is none). Trailing spaces are not
    /// significant (x12-chargeback 2.5) and are left out: `SPA-2026-0042 ` is the contract
    /// `SPA-2026-0042`; leading ones are kept. A simple element must be
    /// UTF-8 and must not hold a component or repetition separator, which could not be
    /// written back.
    pub fn text<T: From<&'a str>>(&self, n: usize) -> Result<Option<T>, ReadError> {
        Ok(self.str_at(n)?.map(T::from))
    }

    /// [`SegmentAt::text`] borrowed from the set: codes, numbers and dates are parsed from
    /// it without an owned copy (a copy per element was a good part of typed reading).
    ///
    /// Always inlined, with the errors, the values that start with a space and the sets that
    /// are not UTF-8 out of line: readers ask for every element a segment may have and most
    /// are absent, which the call and the spills of the whole function cost several times
    /// over (left to `#[inline]`, the check for spaces tipped it out of some callers: +1.2 %
    /// instructions translating an 867).
    #[inline(always)]
    pub(crate) fn str_at(&self, n: usize) -> Result<Option<&'a str>, ReadError> {
        let Some((from, to)) = self.segment.element_span(n) else {
            return Ok(None);
        };
        if from >= to {
            return Ok(None);
        }
        let Some(text) = self.set_text.and_then(|t| t.get(from..to)) else {
            return self.str_at_slow(n);
        };
        // Both ends in one branch for nearly every value (`from < to`: not empty); the rest
        // out of line.
        let bytes = text.as_bytes();
        if (bytes[0] == b' ') | (bytes[bytes.len() - 1] == b' ') {
            return self.str_at_spaced(n, text);
        }
        // None to find in a set the validator found none in.
        self.without_separators(n, text, !self.separator_free)
    }

    /// `text`, element `n`, unless `look` and it holds a repetition or component separator.
    #[inline(always)]
    fn without_separators(
        &self,
        n: usize,
        text: &'a str,
        look: bool,
    ) -> Result<Option<&'a str>, ReadError> {
        let d = self.segment.delimiters();
        // One pass for both separators (elements are short and this runs for every one);
        // which of them it was is only worked out when one is there.
        let rep = d.repetition.unwrap_or(d.component);
        if look && text.bytes().any(|b| b == rep || b == d.component) {
            return Err(self.separator_error(n, text));
        }
        Ok(Some(text))
    }

    /// [`SegmentAt::str_at`] for an element that starts or ends with a space: absent when
    /// it is spaces only, else without its trailing spaces and checked as any other.
    #[cold]
    #[inline(never)]
    fn str_at_spaced(&self, n: usize, text: &'a str) -> Result<Option<&'a str>, ReadError> {
        let text = text.trim_end_matches(' ');
        if text.is_empty() {
            return Ok(None);
        }
        self.without_separators(n, text, !self.separator_free)
    }

    /// True when element `n` may hold a component separator (it cannot when the validator
    /// found none in the set).
    pub(crate) fn may_have_components(&self, n: usize) -> bool {
        let component = self.segment.delimiters().component;
        !self.separator_free
            && self
                .segment
                .element(n)
                .is_some_and(|e| e.contains(&component))
    }

    /// [`SegmentAt::str_at`] for an element not sliced from the set's text (the set is not
    /// UTF-8): checked on its own.
    #[cold]
    #[inline(never)]
    fn str_at_slow(&self, n: usize) -> Result<Option<&'a str>, ReadError> {
        let raw = self.segment.element(n).unwrap_or_default();
        let text = std::str::from_utf8(raw).map_err(|_| {
            self.error(
                n,
                None,
                ReadErrorKind::InvalidCharacter(String::from_utf8_lossy(raw).into_owned()),
            )
        })?;
        let text = text.trim_end_matches(' ');
        if text.is_empty() {
            return Ok(None);
        }
        // Always looked for on this rare path.
        self.without_separators(n, text, true)
    }

    /// The error for a simple element `n` holding a repetition or component separator.
    #[cold]
    #[inline(never)]
    fn separator_error(&self, n: usize, text: &str) -> ReadError {
        let d = self.segment.delimiters();
        let kind = if d.repetition.is_some_and(|r| text.as_bytes().contains(&r)) {
            ReadErrorKind::Repetition(text.to_owned())
        } else {
            ReadErrorKind::InvalidCharacter(text.to_owned())
        };
        self.error(n, None, kind)
    }

    /// Element `n` as text; a [`ReadErrorKind::MissingElement`] when empty.
    pub fn required<T: From<&'a str>>(&self, n: usize) -> Result<T, ReadError> {
        self.text(n)?.ok_or_else(|| self.missing_element(n))
    }

    /// Mandatory element `n` is empty.
    pub fn missing_element(&self, n: usize) -> ReadError {
        self.error(n, None, ReadErrorKind::MissingElement)
    }

    /// A conditionally required element `n` (the other half of a pair) is empty.
    pub fn conditional_missing(&self, n: usize) -> ReadError {
        self.error(n, None, ReadErrorKind::ConditionalMissing)
    }

    /// Element `n` as a code of list `T`.
    pub fn code<T: CodeValue>(&self, n: usize) -> Result<Option<T>, ReadError> {
        match self.str_at(n)? {
            None => Ok(None),
            Some(s) => T::parse_code(s)
                .map(Some)
                .ok_or_else(|| self.error(n, None, ReadErrorKind::InvalidCode(s.to_owned()))),
        }
    }

    /// Element `n` as a mandatory code of list `T`.
    pub fn required_code<T: CodeValue>(&self, n: usize) -> Result<T, ReadError> {
        self.code(n)?
            .ok_or_else(|| self.error(n, None, ReadErrorKind::MissingElement))
    }

    /// Element `n` as an R (decimal) number, scale kept as sent.
    pub fn decimal(&self, n: usize) -> Result<Option<Decimal>, ReadError> {
        match self.str_at(n)? {
            None => Ok(None),
            Some(s) => parse_r(s)
                .map(Some)
                .ok_or_else(|| self.error(n, None, ReadErrorKind::InvalidNumber(s.to_owned()))),
        }
    }

    /// Element `n` as a mandatory R number.
    pub fn required_decimal(&self, n: usize) -> Result<Decimal, ReadError> {
        self.decimal(n)?
            .ok_or_else(|| self.error(n, None, ReadErrorKind::MissingElement))
    }

    /// Element `n` as an Nn number (`scale` implied decimals: N2 `1250` is 12.50).
    pub fn implied_decimal(&self, n: usize, scale: u32) -> Result<Option<Decimal>, ReadError> {
        match self.str_at(n)? {
            None => Ok(None),
            Some(s) => parse_n(s, scale)
                .map(Some)
                .ok_or_else(|| self.error(n, None, ReadErrorKind::InvalidNumber(s.to_owned()))),
        }
    }

    /// Element `n` as an N0 count.
    pub fn count(&self, n: usize) -> Result<Option<u64>, ReadError> {
        match self.str_at(n)? {
            None => Ok(None),
            Some(s) if s.bytes().all(|b| b.is_ascii_digit()) => s
                .parse()
                .map(Some)
                .map_err(|_| self.error(n, None, ReadErrorKind::InvalidNumber(s.to_owned()))),
            Some(s) => Err(self.error(n, None, ReadErrorKind::InvalidNumber(s.to_owned()))),
        }
    }

    /// Element `n` as a CCYYMMDD date.
    pub fn date(&self, n: usize) -> Result<Option<NaiveDate>, ReadError> {
        match self.str_at(n)? {
            None => Ok(None),
            Some(s) => parse_date(s)
                .map(Some)
                .ok_or_else(|| self.error(n, None, ReadErrorKind::InvalidDate(s.to_owned()))),
        }
    }

    /// Element `n` as a `CCYYMMDD-CCYYMMDD` range (DTM06 under DTM05 `RD8`), start first.
    pub fn date_range(&self, n: usize) -> Result<Option<(NaiveDate, NaiveDate)>, ReadError> {
        match self.str_at(n)? {
            None => Ok(None),
            Some(s) => s
                .split_once('-')
                .and_then(|(a, b)| Some((parse_date(a)?, parse_date(b)?)))
                .filter(|(a, b)| a <= b)
                .map(Some)
                .ok_or_else(|| self.error(n, None, ReadErrorKind::InvalidDate(s.to_owned()))),
        }
    }

    /// Element `n` as a mandatory CCYYMMDD date.
    pub fn required_date(&self, n: usize) -> Result<NaiveDate, ReadError> {
        self.date(n)?
            .ok_or_else(|| self.error(n, None, ReadErrorKind::MissingElement))
    }

    /// Element `n` as an HHMM[SS[D[D]]] time.
    pub fn time(&self, n: usize) -> Result<Option<super::common::Time>, ReadError> {
        match self.str_at(n)? {
            None => Ok(None),
            Some(s) => super::common::Time::parse(s)
                .map(Some)
                .ok_or_else(|| self.error(n, None, ReadErrorKind::InvalidTime(s.to_owned()))),
        }
    }

    /// Element `n` split into its components, trailing empty components dropped; empty when
    /// the element is absent.
    pub fn components(&self, n: usize) -> Result<Vec<String>, ReadError> {
        Ok(self
            .component_strs(n)?
            .into_iter()
            .map(str::to_owned)
            .collect())
    }

    /// [`SegmentAt::components`] borrowed from the set.
    pub(crate) fn component_strs(&self, n: usize) -> Result<Vec<&'a str>, ReadError> {
        let Some(raw) = self.segment.element(n).filter(|e| !e.is_empty()) else {
            return Ok(Vec::new());
        };
        let d = self.segment.delimiters();
        let mut out = Vec::new();
        for (i, c) in components(raw, &d).enumerate() {
            let text = std::str::from_utf8(c).map_err(|_| {
                self.error(
                    n,
                    Some(i + 1),
                    ReadErrorKind::InvalidCharacter(String::from_utf8_lossy(c).into_owned()),
                )
            })?;
            if d.repetition.is_some_and(|r| c.contains(&r)) {
                return Err(self.error(n, Some(i + 1), ReadErrorKind::Repetition(text.to_owned())));
            }
            out.push(text);
        }
        while out.last().is_some_and(|c| c.is_empty()) {
            out.pop();
        }
        Ok(out)
    }

    /// A mandatory component `component` of composite element `n` is empty.
    pub fn component_missing(&self, n: usize, component: usize) -> ReadError {
        self.error(n, Some(component), ReadErrorKind::MissingElement)
    }

    /// The segment copied out as an owned [`Seg`], components split and trailing empty
    /// elements dropped (the writer never sends them); an error when an element is not
    /// UTF-8 or repeats, since it could not be written back as sent.
    pub fn to_checked_seg(&self) -> Result<Seg, ReadError> {
        for n in 1..=self.segment.element_count() {
            self.component_strs(n)?;
        }
        Ok(self.to_seg().trimmed())
    }

    /// The segment copied out as an owned [`Seg`], components split.
    pub fn to_seg(&self) -> Seg {
        let d = self.segment.delimiters();
        Seg {
            id: self.id().to_owned(),
            elements: self
                .segment
                .elements()
                .map(|e| {
                    components(e, &d)
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect()
                })
                .collect(),
        }
    }
}

/// A code list of the typed sets: named codes, parsed from their X12 values.
pub trait CodeValue: Sized {
    /// The value for `code`; `None` when a closed list does not have it.
    fn parse_code(code: &str) -> Option<Self>;
}

/// A segment the typed sets model: read from a [`SegmentAt`], written as a [`Seg`].
pub(crate) trait SegmentType: Sized {
    /// The segment id.
    const ID: &'static str;
    /// The segment id's [`key`].
    const KEY: u64 = key(Self::ID);
    /// Reads the segment's elements.
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError>;
    /// [`SegmentType::decode`] for a segment taken from `cursor`, which a type whose
    /// segments often repeat may answer from what it read before.
    #[inline]
    fn decode_in<'a>(
        cursor: &mut SegmentCursor<'a>,
        at: &SegmentAt<'a>,
    ) -> Result<Self, ReadError> {
        let _ = cursor;
        Self::decode(at)
    }
    /// Writes the segment for `version`, leaving out elements the version does not have.
    fn to_seg(&self, version: Version) -> Seg;
}

/// Parses an X12 R value: optional `-`, digits with at most one `.`, at least one digit
/// (`12.5`, `-3`, `.5`, `12.50`). The scale is kept as sent.
pub fn parse_r(s: &str) -> Option<Decimal> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    // One pass for the usual value (prices and quantities: at most 18 digits, so the
    // mantissa fits a u64): digits accumulated, the point's place noted, the decimal built
    // from its parts (from_parts clears the sign of a zero, as the i128 conversion does).
    let mut m = 0u64;
    let mut digits = 0u32;
    let mut point: Option<u32> = None;
    for &b in body.as_bytes() {
        match b {
            b'0'..=b'9' if digits < 18 => {
                m = m * 10 + u64::from(b - b'0');
                digits += 1;
            }
            b'0'..=b'9' => return parse_r_wide(negative, body),
            b'.' if point.is_none() => point = Some(digits),
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    let scale = digits - point.unwrap_or(digits);
    Some(Decimal::from_parts(
        m as u32,
        (m >> 32) as u32,
        0,
        negative,
        scale,
    ))
}

/// [`parse_r`] for 19 to 28 digits.
fn parse_r_wide(negative: bool, body: &str) -> Option<Decimal> {
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = int.len() + frac.len();
    if digits == 0 || digits > 28 || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut mantissa = 0i128;
    for b in int.bytes().chain(frac.bytes()) {
        mantissa = mantissa * 10 + i128::from(b - b'0');
    }
    if negative {
        mantissa = -mantissa;
    }
    Decimal::try_from_i128_with_scale(mantissa, u32::try_from(frac.len()).ok()?).ok()
}

/// The reference [`parse_r`] is checked against: the i128 conversion for every length.
#[cfg(test)]
fn parse_r_reference(s: &str) -> Option<Decimal> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    parse_r_wide(negative, body)
}

/// Parses an X12 Nn value: optional `-` and digits, with `scale` implied decimal places.
pub fn parse_n(s: &str, scale: u32) -> Option<Decimal> {
    let body = s.strip_prefix('-').unwrap_or(s);
    if body.is_empty() || body.len() > 28 || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mantissa: i128 = s.parse().ok()?;
    Decimal::try_from_i128_with_scale(mantissa, scale).ok()
}

/// Writes `value` as an Nn element with `scale` implied decimal places, rounding when the
/// value holds more decimals than the element can.
pub fn format_n(value: Decimal, scale: u32) -> String {
    let mut v = value;
    v.rescale(scale);
    v.mantissa().to_string()
}

/// Parses a CCYYMMDD date.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b: &[u8; 8] = s.as_bytes().try_into().ok()?;
    if !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Digits checked above: plain arithmetic, no `str::parse` per field.
    let n = |i: usize| u32::from(b[i] - b'0');
    let y = n(0) * 1000 + n(1) * 100 + n(2) * 10 + n(3);
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, n(4) * 10 + n(5), n(6) * 10 + n(7))
}

/// Writes a date as CCYYMMDD.
pub fn format_date(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// Parses HH, MM, SS from the first digits of a TM value.
pub(crate) fn parse_hms(s: &str) -> Option<(u32, u32, u32)> {
    let h: u32 = s.get(0..2)?.parse().ok()?;
    let m: u32 = s.get(2..4)?.parse().ok()?;
    let sec: u32 = match s.get(4..6) {
        Some(x) => x.parse().ok()?,
        None => 0,
    };
    NaiveTime::from_hms_opt(h, m, sec).map(|_| (h, m, sec))
}

/// Where a loop's segments go: the standard order of the loop's direct segments and nested
/// loops (by first segment), which of them are unmodelled nested loops (kept whole in
/// `other`), and which exist only in 005010.
///
/// Reading puts a segment the loop does not model into `other`; writing emits `other`
/// segments at their slot in `order`, so a set read from standard-ordered input is written
/// back in the same order. A segment the set does not define at all stays with the
/// innermost loop that met it and is written before that loop's first nested loop.
#[derive(Debug)]
pub(crate) struct Shape {
    /// Loop ids from the set root to this loop; empty for the set level (tests check `order`
    /// against the grammar at this path).
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "read by the grammar tests only")
    )]
    pub path: &'static [&'static str],
    /// Direct segment ids and nested loop ids in standard order, the loop's own first
    /// segment first (the set level starts after ST and leaves out SE).
    pub order: &'static [&'static str],
    /// Unmodelled nested loops: first segment id, then every id that may follow it inside
    /// the nested loop (flattened).
    pub opaque: &'static [(&'static str, &'static [&'static str])],
    /// Ids in `order` that start nested loops (modelled or opaque).
    pub loops: &'static [&'static str],
    /// Ids in `order` (or inside an opaque loop) that 004010 does not have; such `other`
    /// segments are left out when writing 004010.
    pub only_5010: &'static [&'static str],
}

impl Shape {
    /// Emits the loop in standard order: for each slot, `modelled` writes the typed
    /// segments (or nested loops) with that id, then the `other` segments of that slot
    /// follow. Segments the set does not define go just before the first nested loop (or at
    /// the end), where reading gives them back to this loop.
    pub(crate) fn write(
        &self,
        version: Version,
        other: &[Seg],
        out: &mut Vec<Seg>,
        mut modelled: impl FnMut(&'static str, &mut Vec<Seg>),
    ) {
        let keys = self.keys(other);
        let keep =
            |seg: &Seg| version != Version::V004010 || !self.only_5010.contains(&seg.id.as_str());
        let emit = |key: usize, out: &mut Vec<Seg>| {
            out.extend(
                other
                    .iter()
                    .zip(&keys)
                    .filter(|&(seg, &k)| k == key && keep(seg))
                    .map(|(seg, _)| seg.clone()),
            );
        };
        for (i, id) in self.order.iter().enumerate() {
            emit(2 * i, out);
            modelled(id, out);
            emit(2 * i + 1, out);
        }
        emit(2 * self.order.len(), out);
    }

    /// Puts `other` in the order [`Shape::write`] emits it, so a loop read from any input
    /// holds the same value once written and read again. Input in standard order is left as
    /// it is.
    pub(crate) fn settle(&self, other: &mut Vec<Seg>) {
        // Nearly every loop has nothing unmodelled; one segment is in order by itself.
        if other.len() < 2 {
            return;
        }
        let keys = self.keys(other);
        if keys.is_sorted() {
            return;
        }
        let mut keyed: Vec<(usize, Seg)> = keys.into_iter().zip(other.drain(..)).collect();
        keyed.sort_by_key(|(k, _)| *k);
        other.extend(keyed.into_iter().map(|(_, seg)| seg));
    }

    /// The write position of each `other` segment: `2 * slot + 1` after the modelled
    /// segments of its slot, `2 * slot` before them for a segment the set does not define
    /// (slot = the first nested loop's). Nested-loop membership is re-derived as reading
    /// does.
    fn keys(&self, other: &[Seg]) -> Vec<usize> {
        let index = |id: &str| self.order.iter().position(|o| *o == id);
        let unknown = 2 * self
            .order
            .iter()
            .position(|o| self.loops.contains(o))
            .unwrap_or(self.order.len());
        let mut open: Option<(usize, &[&str])> = None;
        other
            .iter()
            .map(|seg| {
                let id = seg.id.as_str();
                // Membership first: an LM inside an 867 LX loop belongs to the LX loop, as
                // reading took it.
                if let Some((key, members)) = open
                    && members.contains(&id)
                {
                    return key;
                }
                if let Some((trigger, members)) = self.opaque.iter().find(|(t, _)| *t == id) {
                    let key = index(trigger).map_or(unknown, |i| 2 * i + 1);
                    open = Some((key, members));
                    return key;
                }
                open = None;
                index(id).map_or(unknown, |i| 2 * i + 1)
            })
            .collect()
    }
}

/// Appends each item's segment.
pub(crate) fn push_all<T: SegmentType>(out: &mut Vec<Seg>, items: &[T], version: Version) {
    out.extend(items.iter().map(|i| i.to_seg(version)));
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dict;

    /// Keys stand for grammar ids exactly: every id is short enough for one, and keys order
    /// like the ids.
    #[test]
    fn grammar_ids_have_exact_keys() {
        for version in Version::ALL {
            for set in ["844", "845", "849", "867", "997", "999"] {
                let Some(def) = dict::set(version, set) else {
                    continue;
                };
                let mut ids = Vec::new();
                collect_ids(def.body, &mut ids);
                assert!(ids.iter().all(|id| id.len() <= 7), "{set}");
                let mut by_id = ids.clone();
                by_id.sort_unstable();
                let mut by_key = ids;
                by_key.sort_unstable_by_key(|id| key(id));
                assert_eq!(by_id, by_key);
            }
        }
    }

    #[test]
    fn r_numbers_keep_their_scale() {
        for (text, shown) in [
            ("12.5", "12.5"),
            ("12.50", "12.50"),
            ("-3", "-3"),
            (".5", "0.5"),
            ("0.00", "0.00"),
            ("2750.00", "2750.00"),
            ("7.", "7"),
        ] {
            let d = parse_r(text).unwrap_or_else(|| panic!("{text} parses"));
            assert_eq!(d.to_string(), shown, "{text}");
        }
        assert_eq!(parse_r("12.50").map(|d| d.scale()), Some(2));
    }

    proptest::proptest! {
        /// The one-pass parse gives what the i128 conversion gives: the same value, scale and
        /// sign (a negative zero included), and refuses the same texts.
        #[test]
        fn r_numbers_parse_as_the_reference(
            text in "-?[0-9]{0,20}(\\.[0-9]{0,12})?|[-.0-9a]{0,8}",
        ) {
            let (fast, reference) = (parse_r(&text), parse_r_reference(&text));
            proptest::prop_assert_eq!(fast, reference);
            proptest::prop_assert_eq!(
                fast.map(|d| (d.to_string(), d.scale(), d.is_sign_negative())),
                reference.map(|d| (d.to_string(), d.scale(), d.is_sign_negative()))
            );
        }
    }

    #[test]
    fn r_numbers_reject_what_x12_does_not_allow() {
        for bad in ["", "-", ".", "+1", "1,000", "1.2.3", "1e5", " 1", "12O"] {
            assert!(parse_r(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn n2_numbers_imply_two_decimals_both_ways() {
        let d = parse_n("1250", 2).expect("parses");
        assert_eq!(d.to_string(), "12.50");
        assert_eq!(format_n(d, 2), "1250");
        assert_eq!(format_n(Decimal::new(125, 1), 2), "1250");
        assert!(parse_n("12.50", 2).is_none());
    }

    #[test]
    fn dates_are_strict_ccyymmdd() {
        assert_eq!(parse_date("20261107"), NaiveDate::from_ymd_opt(2026, 11, 7));
        for bad in ["261107", "20261131", "2026-11-07", "2026110a"] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    /// The direct children (segment ids and loop ids) of the loop at `path`.
    fn children(version: Version, set: &str, path: &[&str]) -> Option<Vec<&'static str>> {
        let mut body = dict::set(version, set)?.body;
        for step in path {
            body = body.iter().find_map(|n| match n {
                Node::Loop { id, body, .. } if id == step => Some(*body),
                _ => None,
            })?;
        }
        // A loop's body starts with its own first segment; the set level has ST/SE around it.
        Some(
            body.iter()
                .map(Node::id)
                .filter(|id| !(path.is_empty() && matches!(*id, "ST" | "SE")))
                .collect(),
        )
    }

    /// The ids of the nested loops directly inside the loop at `path`.
    fn loop_children(version: Version, set: &str, path: &[&str]) -> Option<Vec<&'static str>> {
        let mut body = dict::set(version, set)?.body;
        for step in path {
            body = body.iter().find_map(|n| match n {
                Node::Loop { id, body, .. } if id == step => Some(*body),
                _ => None,
            })?;
        }
        Some(
            body.iter()
                .filter(|n| matches!(n, Node::Loop { .. }))
                .map(Node::id)
                .collect(),
        )
    }

    fn flattened(version: Version, set: &str, path: &[&str]) -> Option<Vec<&'static str>> {
        let mut body = dict::set(version, set)?.body;
        for step in path {
            body = body.iter().find_map(|n| match n {
                Node::Loop { id, body, .. } if id == step => Some(*body),
                _ => None,
            })?;
        }
        let mut out = Vec::new();
        collect_ids(body, &mut out);
        Some(out)
    }

    /// Checks a shape against the grammars of both versions: each version's children appear
    /// in `order` in the same relative order, every `order` id exists in some version, the
    /// 005010-only ids are exactly those 004010 lacks, and each opaque loop's members are
    /// the ids its nested loop holds.
    pub(crate) fn check_shape(set: &str, shape: &Shape) {
        let mut seen: Vec<&str> = Vec::new();
        let mut in_4010: Vec<&str> = Vec::new();
        for version in Version::ALL {
            let kids = children(version, set, shape.path)
                .unwrap_or_else(|| panic!("{set} {:?} missing in {version:?}", shape.path));
            let mut at = 0;
            for k in &kids {
                let pos = shape.order[at..]
                    .iter()
                    .position(|o| o == k)
                    .unwrap_or_else(|| {
                        panic!(
                            "{set} {:?} {version:?}: {k} missing or out of order in {:?}",
                            shape.path, shape.order
                        )
                    });
                at += pos + 1;
            }
            let loops = loop_children(version, set, shape.path).unwrap_or_default();
            for l in &loops {
                assert!(
                    shape.loops.contains(l),
                    "{set} {:?} {version:?}: nested loop {l} not in loops",
                    shape.path
                );
            }
            for l in shape.loops {
                assert!(
                    !kids.contains(l) || loops.contains(l),
                    "{set} {:?} {version:?}: {l} is not a loop",
                    shape.path
                );
            }
            seen.extend(kids.iter().copied());
            if version == Version::V004010 {
                in_4010.extend(kids.iter().copied());
            }
            for (trigger, members) in shape.opaque {
                let mut path = shape.path.to_vec();
                path.push(trigger);
                let Some(mut ids) = flattened(version, set, &path) else {
                    continue;
                };
                ids.retain(|i| i != trigger);
                for id in &ids {
                    assert!(
                        members.contains(id),
                        "{set} {path:?} {version:?}: {id} not in {members:?}"
                    );
                }
            }
        }
        for o in shape.order {
            assert!(
                seen.contains(o),
                "{set} {:?}: {o} not in the grammar",
                shape.path
            );
            assert_eq!(
                shape.only_5010.contains(o),
                !in_4010.contains(o),
                "{set} {:?}: {o} 005010-only flag",
                shape.path
            );
        }
    }
}
