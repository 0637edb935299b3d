//! Element-level syntax of one segment against the dictionary: presence, count, length,
//! data type, code lists, composites and repetitions. Produces AK4/IK4 findings.

use crate::diagnostic::{ElementError, ElementPosition};
use crate::dict::{DataType, ElementDef, Requirement, SegmentDef};
use crate::tokenizer::{Delimiters, Segment};

use super::datatype;

/// One element finding, ready for an AK4/IK4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementIssue {
    /// Where in the segment.
    pub position: ElementPosition,
    /// Data element reference number (AK402), e.g. `373`.
    pub ref_num: Option<&'static str>,
    /// The AK403 code.
    pub error: ElementError,
    /// Copy of the bad data (AK404), when there is any.
    pub data: Option<String>,
}

/// Checks every element of `seg` against `def` and appends findings to `out`.
pub fn check_segment(seg: &Segment<'_>, def: &SegmentDef, out: &mut Vec<ElementIssue>) {
    check_segment_with(seg, def, &mut CodeMemo::default(), out);
}

/// [`check_segment`] with a memo of code-list hits kept across segments (the validator keeps
/// one for the whole input).
pub fn check_segment_with(
    seg: &Segment<'_>,
    def: &SegmentDef,
    memo: &mut CodeMemo,
    out: &mut Vec<ElementIssue>,
) {
    check_segment_fast(seg, def, None, memo, out);
}

/// [`check_segment_with`] given the definition's mandatory positions as bits, as the
/// dictionary index keeps them ([`crate::dict::segment_entry`]); `None` works them out.
/// Returns true when some element holds a repetition or component separator (the typed
/// readers need not look for them in a set where none does).
pub(crate) fn check_segment_fast(
    seg: &Segment<'_>,
    def: &SegmentDef,
    mandatory: Option<u64>,
    memo: &mut CodeMemo,
    out: &mut Vec<ElementIssue>,
) -> bool {
    let d = seg.delimiters();
    let count = seg.element_count();
    let mut separators = false;
    if count > def.elements.len() {
        // Elements past the definition are not looked at below: count the segment as one
        // that may hold separators.
        separators = true;
        // Trailing empty elements are a style fault some senders have; only data counts.
        let extra_with_data = (def.elements.len() + 1..=count)
            .find(|&n| seg.element(n).is_some_and(|e| !e.is_empty()));
        if let Some(n) = extra_with_data {
            out.push(ElementIssue {
                position: ElementPosition::element(n as u16),
                ref_num: None,
                error: ElementError::TooManyElements,
                data: seg.element(n).map(lossy),
            });
        }
    }
    for ((i, el), value) in def.elements.iter().enumerate().zip(seg.elements()) {
        separators |= check_element(
            value,
            el,
            ElementPosition::element(i as u16 + 1),
            &d,
            memo,
            out,
        );
    }
    // Elements after the last one sent are empty: only a mandatory one is a finding (LIN
    // defines 31 elements and most are never sent).
    match mandatory {
        Some(bits) if def.elements.len() <= 64 => {
            let mut after = if count >= 64 {
                0
            } else {
                bits >> count << count
            };
            while after != 0 {
                let i = after.trailing_zeros() as usize;
                after &= after - 1;
                let position = ElementPosition::element(i as u16 + 1);
                out.push(issue(
                    position,
                    &def.elements[i],
                    ElementError::MandatoryMissing,
                    None,
                ));
            }
        }
        _ => {
            for (i, el) in def.elements.iter().enumerate().skip(count) {
                if el.req == Requirement::Mandatory {
                    let position = ElementPosition::element(i as u16 + 1);
                    out.push(issue(position, el, ElementError::MandatoryMissing, None));
                }
            }
        }
    }
    check_notes(seg, def, out);
    separators
}

/// The segment's syntax notes ([`crate::dict::notes`]): a broken one is a conditional
/// element missing (AK403 `2`) or an exclusion violated (`10`) at the element it names.
fn check_notes(seg: &Segment<'_>, def: &SegmentDef, out: &mut Vec<ElementIssue>) {
    let present = |n: usize| {
        seg.element(n)
            .is_some_and(|e| !e.is_empty() && !all_spaces(e))
    };
    let count = seg.element_count();
    for note in crate::dict::notes::syntax_notes(def.id) {
        // Elements past the last one sent are absent: only an R note over them can fail,
        // and the notes after it name later elements still ([`crate::dict::notes`] keeps R
        // notes first, then the others by their first element: LIN's fourteen pairs, most
        // never sent, cost one test).
        if note.kind != crate::dict::notes::NoteKind::Required
            && note.elements.iter().all(|&n| n > count)
        {
            break;
        }
        let Some((n, exclusion)) = crate::dict::notes::violation(note, present) else {
            continue;
        };
        let Some(el) = def.elements.get(n - 1) else {
            continue;
        };
        let position = ElementPosition::element(n as u16);
        if exclusion {
            out.push(issue(
                position,
                el,
                ElementError::ExclusionViolated,
                seg.element(n),
            ));
        } else {
            out.push(issue(position, el, ElementError::ConditionalMissing, None));
        }
    }
}

/// Checks one element; returns true when it holds a repetition or component separator.
fn check_element(
    value: &[u8],
    def: &ElementDef,
    position: ElementPosition,
    d: &Delimiters,
    memo: &mut CodeMemo,
    out: &mut Vec<ElementIssue>,
) -> bool {
    if value.is_empty() || blank(value, def) {
        if def.req == Requirement::Mandatory {
            out.push(issue(position, def, ElementError::MandatoryMissing, None));
        }
        return false;
    }
    if def.components.is_empty() {
        match def.data_type {
            DataType::AN | DataType::ID if plain_text(value, d) => {
                // Most elements are text: one pass found no control character and no
                // separator, so only the length and the code list are left to check.
                check_length_and_code(value, value.len(), def, position, memo, out);
                return false;
            }
            DataType::R if !numeric_delimiters(d) => {
                // Prices, amounts, quantities: one pass checks the grammar and counts the
                // digits. A valid R value holds only digits, `-` and `.`, none of them a
                // separator here, so the repetition and component checks cannot fail.
                if let Some(digits) = datatype::real_digits(value) {
                    check_length_and_code(value, digits, def, position, memo, out);
                    return false;
                }
            }
            DataType::DT if !numeric_delimiters(d) && value.iter().all(u8::is_ascii_digit) => {
                // Digits only: no separator, so only the calendar and the code list are left.
                match datatype::check_date(value) {
                    Ok(()) => check_length_and_code(value, value.len(), def, position, memo, out),
                    Err(e) => out.push(issue(position, def, e, Some(value))),
                }
                return false;
            }
            _ => {}
        }
    } else if let [first, rest @ ..] = def.components
        && matches!(first.data_type, DataType::AN | DataType::ID)
        && rest.iter().all(|c| c.req != Requirement::Mandatory)
        && plain_text(value, d)
    {
        // A composite sent as its first component alone (a unit of measure, C001), text
        // with no separator: what splitting would check, without the split.
        let position = ElementPosition {
            component: Some(1),
            ..position
        };
        check_length_and_code(value, value.len(), first, position, memo, out);
        return false;
    }
    let rep = d.repetition.unwrap_or(d.component);
    let separators = value.iter().any(|&b| b == rep || b == d.component);
    match d.repetition {
        Some(rep) if value.contains(&rep) => {
            if def.repeat <= 1 {
                out.push(issue(
                    position,
                    def,
                    ElementError::TooManyRepetitions,
                    Some(value),
                ));
                return true;
            }
            let mut count = 0u16;
            for (r, part) in value.split(|&b| b == rep).enumerate() {
                count += 1;
                let pos = ElementPosition {
                    repetition: Some(r as u16 + 1),
                    ..position
                };
                check_single(part, def, pos, d, memo, out);
            }
            if count > def.repeat {
                out.push(issue(
                    position,
                    def,
                    ElementError::TooManyRepetitions,
                    Some(value),
                ));
            }
        }
        _ => check_single(value, def, position, d, memo, out),
    }
    separators
}

fn check_single(
    value: &[u8],
    def: &ElementDef,
    position: ElementPosition,
    d: &Delimiters,
    memo: &mut CodeMemo,
    out: &mut Vec<ElementIssue>,
) {
    if !def.components.is_empty() {
        let parts = value.split(|&b| b == d.component);
        let mut n = 0usize;
        for (i, part) in parts.enumerate() {
            n = i + 1;
            let pos = ElementPosition {
                component: Some(n as u16),
                ..position
            };
            match def.components.get(i) {
                Some(cdef) => {
                    if part.is_empty() {
                        if cdef.req == Requirement::Mandatory {
                            out.push(issue(pos, cdef, ElementError::MandatoryMissing, None));
                        }
                    } else {
                        check_value(part, cdef, pos, memo, out);
                    }
                }
                None if !part.is_empty() => {
                    out.push(issue(pos, def, ElementError::TooManyComponents, Some(part)));
                }
                None => {}
            }
        }
        for (i, cdef) in def.components.iter().enumerate().skip(n) {
            if cdef.req == Requirement::Mandatory {
                let pos = ElementPosition {
                    component: Some(i as u16 + 1),
                    ..position
                };
                out.push(issue(pos, cdef, ElementError::MandatoryMissing, None));
            }
        }
        return;
    }
    if value.contains(&d.component) {
        let error = if d.repetition.is_some() {
            ElementError::TooManyComponents
        } else {
            ElementError::InvalidCharacter
        };
        out.push(issue(position, def, error, Some(value)));
        return;
    }
    check_value(value, def, position, memo, out);
}

fn check_value(
    value: &[u8],
    def: &ElementDef,
    position: ElementPosition,
    memo: &mut CodeMemo,
    out: &mut Vec<ElementIssue>,
) {
    let typed = match def.data_type {
        DataType::N(_) => datatype::check_numeric(value),
        DataType::R => datatype::check_real(value),
        DataType::DT => datatype::check_date(value),
        DataType::TM => datatype::check_time(value),
        DataType::AN | DataType::ID => datatype::check_text(value),
        DataType::B => Ok(()),
    };
    if let Err(e) = typed {
        out.push(issue(position, def, e, Some(value)));
        return;
    }
    let len = match def.data_type {
        DataType::N(_) | DataType::R => datatype::numeric_len(value),
        _ => value.len(),
    };
    check_length_and_code(value, len, def, position, memo, out);
}

/// True when a string (AN) or code (ID) value is spaces only: X12.6 requires a string to
/// hold at least one non-space character, so such an element is not there (the ISA, whose
/// fixed-width fields may be spaces, is checked elsewhere). One comparison for most values.
fn blank(value: &[u8], def: &ElementDef) -> bool {
    matches!(def.data_type, DataType::AN | DataType::ID) && all_spaces(value)
}

fn all_spaces(value: &[u8]) -> bool {
    value.first() == Some(&b' ') && value.iter().all(|&b| b == b' ')
}

/// True when `value` has no control character and neither the repetition nor the component
/// separator: text that passes [`datatype::check_text`] and needs no splitting.
fn plain_text(value: &[u8], d: &Delimiters) -> bool {
    let rep = d.repetition.unwrap_or(d.component);
    value
        .iter()
        .all(|&b| b >= 0x20 && b != 0x7f && b != rep && b != d.component)
}

/// True when a repetition or component separator could be part of a number or a date (a
/// digit, `-` or `.`): the numeric fast paths of [`check_element`] are then not taken.
fn numeric_delimiters(d: &Delimiters) -> bool {
    let numeric = |b: u8| b.is_ascii_digit() || b == b'-' || b == b'.';
    numeric(d.component) || d.repetition.is_some_and(numeric)
}

/// The length (`len`, as the data type counts it) against min/max, then the code list.
/// Inlined: it runs for nearly every element, and a call with seven arguments cost about as
/// much as the checks.
#[inline(always)]
fn check_length_and_code(
    value: &[u8],
    len: usize,
    def: &ElementDef,
    position: ElementPosition,
    memo: &mut CodeMemo,
    out: &mut Vec<ElementIssue>,
) {
    // Dates and times have their own codes; their length is part of their grammar, and a
    // date shorter than its element allows (YYMMDD where CCYYMMDD is due) is no date there.
    if def.data_type == DataType::DT
        && !(usize::from(def.min)..=usize::from(def.max)).contains(&len)
    {
        out.push(issue(position, def, ElementError::InvalidDate, Some(value)));
        return;
    }
    if !matches!(def.data_type, DataType::DT | DataType::TM) {
        if len < usize::from(def.min) {
            out.push(issue(position, def, ElementError::TooShort, Some(value)));
            return;
        }
        if len > usize::from(def.max) {
            out.push(issue(position, def, ElementError::TooLong, Some(value)));
            return;
        }
    }
    if !memo.has_code(def, value) {
        out.push(issue(position, def, ElementError::InvalidCode, Some(value)));
    }
}

/// Code values recently found in their code lists. Files repeat a few qualifiers and units
/// thousands of times, and a hit here is one compare where the binary search of a list of
/// hundreds of codes was a quarter of full validation. Only hits are kept, so a miss always
/// asks the list: the memo cannot accept a code the list lacks.
#[derive(Debug, Clone)]
pub struct CodeMemo {
    slots: [MemoSlot; MEMO_SLOTS],
}

const MEMO_SLOTS: usize = 64;

/// A code found in a list: the list's address, the code packed, and its length (packing pads
/// with zeros, so the length tells `AB` from `AB\0`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct MemoSlot {
    list: usize,
    key: u64,
    len: usize,
}

impl Default for CodeMemo {
    fn default() -> Self {
        CodeMemo {
            slots: [MemoSlot::default(); MEMO_SLOTS],
        }
    }
}

impl CodeMemo {
    /// [`ElementDef::has_code`], remembering hits.
    pub fn has_code(&mut self, def: &ElementDef, value: &[u8]) -> bool {
        let Some(codes) = def.codes else {
            return true;
        };
        if value.len() > 8 {
            return def.has_code(value);
        }
        let slot = MemoSlot {
            list: codes.as_ptr() as usize,
            key: crate::dict::pack_prefix(value),
            len: value.len(),
        };
        let hash =
            (slot.list as u64 ^ slot.key.rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let i = (hash >> (64 - MEMO_SLOTS.trailing_zeros())) as usize;
        if self.slots[i] == slot {
            return true;
        }
        let found = def.has_code(value);
        if found {
            self.slots[i] = slot;
        }
        found
    }
}

/// Segments recently found clean, by their bytes: files repeat whole segments thousands of
/// times (a line's invoice REF and date, the report period, the parties, the common
/// quantities, units and products), and element checking is a pure function of the bytes,
/// the definition and the delimiters. A segment byte for byte equal to one remembered under
/// the same definition and delimiters needs no checking again: it has no findings and no
/// separator in any element. Only clean segments are kept, so a segment with findings is
/// always checked (and reported) in full.
pub(crate) struct SegmentMemo {
    slots: Box<[SegmentSlot]>,
    /// Segments answered from the memo (for the tests).
    #[cfg(test)]
    hits: usize,
}

/// Number of remembered segments (a power of two).
const SEGMENT_SLOTS: usize = 1024;

/// Longest segment remembered, in bytes; longer ones are always checked.
const SEGMENT_MEMO_LEN: usize = 56;

/// One remembered clean segment.
#[derive(Clone, Copy)]
struct SegmentSlot {
    /// The definition's address (0 = empty slot).
    def: usize,
    /// The delimiters, packed.
    delimiters: u32,
    /// Length of the segment in `bytes`.
    len: u8,
    bytes: [u8; SEGMENT_MEMO_LEN],
}

impl Default for SegmentMemo {
    fn default() -> Self {
        SegmentMemo {
            slots: vec![
                SegmentSlot {
                    def: 0,
                    delimiters: 0,
                    len: 0,
                    bytes: [0; SEGMENT_MEMO_LEN],
                };
                SEGMENT_SLOTS
            ]
            .into_boxed_slice(),
            #[cfg(test)]
            hits: 0,
        }
    }
}

impl std::fmt::Debug for SegmentMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentMemo").finish_non_exhaustive()
    }
}

impl SegmentMemo {
    /// The slot `raw` (under `def` and `delimiters`) would be kept in, or `None` when it is
    /// too long to remember.
    #[inline]
    fn slot_of(def: &SegmentDef, delimiters: u32, raw: &[u8]) -> Option<usize> {
        if raw.len() > SEGMENT_MEMO_LEN {
            return None;
        }
        // A multiplicative hash of the bytes eight at a time, the definition and delimiters.
        let mut h = (def as *const SegmentDef as u64) ^ u64::from(delimiters).rotate_left(32);
        let mut words = raw.chunks_exact(8);
        for word in &mut words {
            let word = <[u8; 8]>::try_from(word).map_or(0, u64::from_le_bytes);
            h = (h ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
        let tail = words
            .remainder()
            .iter()
            .rev()
            .fold(0u64, |t, &b| t << 8 | u64::from(b));
        h ^= tail ^ (raw.len() as u64) << 56;
        h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Some((h >> (64 - SEGMENT_SLOTS.trailing_zeros())) as usize)
    }

    /// Checks `seg` as [`check_segment_fast`] does, unless a segment with the same bytes,
    /// definition and delimiters was found clean before: then there is nothing to find.
    pub(crate) fn check(
        &mut self,
        seg: &Segment<'_>,
        def: &'static SegmentDef,
        mandatory: Option<u64>,
        memo: &mut CodeMemo,
        out: &mut Vec<ElementIssue>,
    ) -> bool {
        let d = seg.delimiters();
        let delimiters = u32::from_le_bytes([
            d.element,
            d.component,
            d.repetition.map_or(0, |r| r),
            u8::from(d.repetition.is_some()),
        ]);
        let raw = seg.raw();
        let Some(i) = Self::slot_of(def, delimiters, raw) else {
            return check_segment_fast(seg, def, mandatory, memo, out);
        };
        let slot = &self.slots[i];
        if slot.def == def as *const SegmentDef as usize
            && slot.delimiters == delimiters
            && usize::from(slot.len) == raw.len()
            && slot.bytes[..raw.len()] == *raw
        {
            #[cfg(test)]
            {
                self.hits += 1;
            }
            return false;
        }
        let before = out.len();
        let separators = check_segment_fast(seg, def, mandatory, memo, out);
        if !separators && out.len() == before {
            let slot = &mut self.slots[i];
            slot.def = def as *const SegmentDef as usize;
            slot.delimiters = delimiters;
            slot.len = raw.len() as u8;
            slot.bytes[..raw.len()].copy_from_slice(raw);
        }
        separators
    }
}

fn issue(
    position: ElementPosition,
    def: &ElementDef,
    error: ElementError,
    data: Option<&[u8]>,
) -> ElementIssue {
    ElementIssue {
        position,
        ref_num: Some(def.ref_num),
        error,
        data: data.map(lossy),
    }
}

fn lossy(b: &[u8]) -> String {
    // AK404 is at most 99 characters.
    let s = String::from_utf8_lossy(b);
    s.chars().take(99).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dict::{self, Version};

    /// The memo answers exactly as the code list does, however often a value repeats and
    /// whichever list it was first found in.
    #[test]
    fn code_memo_agrees_with_the_lists() {
        let n1 = dict::segment(Version::V004010, "N1").expect("N1");
        let (n101, n103) = (&n1.elements[0], &n1.elements[2]);
        let mut memo = CodeMemo::default();
        for _ in 0..3 {
            for value in [&b"ST"[..], b"DS", b"ZZZ", b"", b"S", b"ST\0", b"1", b"11"] {
                for def in [n101, n103] {
                    assert_eq!(
                        memo.has_code(def, value),
                        def.has_code(value),
                        "{} {value:?}",
                        def.ref_num
                    );
                }
            }
        }
        // Found in N103's list ("1" is a qualifier), still refused as an entity code.
        assert!(memo.has_code(n103, b"1"));
        assert!(!memo.has_code(n101, b"1"));
    }

    /// The segment memo answers exactly as checking does: clean repeats are skipped, and a
    /// segment with findings (or separators) is checked, and reported, every time it comes.
    #[test]
    fn segment_memo_agrees_with_checking() {
        let sample = include_bytes!("../../../samples/867_4010_sales.x12");
        let text = String::from_utf8(sample.to_vec()).expect("ascii");
        let (head, body) = text.split_at(text.find("BPT*").expect("BPT"));
        // Every segment twice, then bad copies of some, twice each, then all again.
        let bad = "DTM*091*20261131~\nN1**NAME~\nQTY*39*1.2.3*CA~\nREF*IV*A>B~\nDTM*003*20261105*1*2*3*4*5~\n";
        let (lines, tail) = body.split_at(body.find("SE*").expect("SE"));
        let doubled: String = lines.split_inclusive('\n').flat_map(|l| [l, l]).collect();
        let data = format!("{head}{doubled}{bad}{bad}{lines}{tail}");
        for version in [Version::V004010, Version::V005010] {
            let mut reader = crate::tokenizer::SegmentReader::new(data.as_bytes());
            let mut memo = SegmentMemo::default();
            let (mut codes, mut fresh_codes) = (CodeMemo::default(), CodeMemo::default());
            let mut found = 0;
            while let Some(seg) = reader.next_segment().expect("reads") {
                let Some((def, mandatory)) = dict::segment_entry(version, seg.id()) else {
                    continue;
                };
                let (mut got, mut want) = (Vec::new(), Vec::new());
                let a = memo.check(&seg, def, Some(mandatory), &mut codes, &mut got);
                let b = check_segment_fast(&seg, def, Some(mandatory), &mut fresh_codes, &mut want);
                assert_eq!((a, &got), (b, &want), "{:?}", seg.id_str());
                found += usize::from(!want.is_empty());
            }
            // Each bad segment found both times in 004010; every clean segment sent twice in
            // a row answered from the memo the second time.
            assert!(found >= 10, "{version:?}: {found}");
            assert!(memo.hits >= 30, "{version:?}: {} hits", memo.hits);
        }
    }
}
