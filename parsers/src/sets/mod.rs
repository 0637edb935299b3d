//! Typed transaction sets: the chargeback cycle's 844, 845, 849 and 867, read from a validated
//! [`RawSet`] and written back as segments, for 004010 and 005010 alike.
//!
//! Each set type mirrors the standard's loop structure (see `shared/x12-chargeback.md` §4–7).
//! Segments the types model become typed fields (amounts as `Decimal`, dates as `NaiveDate`,
//! codes as enums); every other segment the standard allows in a loop is kept, as sent, in that
//! loop's `other` and written back at its standard position, so `read` followed by
//! `to_segments` drops nothing. Reading is lenient where partners are known to differ (an 867
//! line may put LIN before QTY) and writing is strict (QTY first).
//!
//! Architecture invariant: this module never decides whether a set is acceptable. The
//! validator reports syntax problems as diagnostics; a [`ReadError`] only says that a set
//! cannot be represented (a mandatory segment or element is missing, a number or date does
//! not parse), and [`ReadError::to_diagnostic`] turns it into the AK3/AK4 finding it is.

use std::fmt;

use crate::diagnostic::{
    Code, Diagnostic, ElementError, ElementPosition, Location, SegmentError, SetError, Severity,
};
use crate::stream::RawSet;

mod claim_loops;
pub mod common;
pub mod cursor;
pub mod ts844;
pub mod ts845;
pub mod ts849;
pub mod ts867;

pub use cursor::SegmentCursor;
pub use ts844::Ts844;
pub use ts845::Ts845;
pub use ts849::Ts849;
pub use ts867::Ts867;

/// A short element value kept by a typed set (a REF02, a LIN product id, an N1's name and id,
/// an N3/N4 address): held in place up to 24 bytes, so reading one costs no allocation, and
/// moved into a normalized document (`schemas::Text` is the same type) without a copy.
pub type Text = compact_str::CompactString;

/// One typed transaction set, chosen by ST01.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedSet {
    /// 844 Product Transfer Account Adjustment (the chargeback claim).
    Ts844(Ts844),
    /// 845 Price Authorization Acknowledgment/Status (the contract).
    Ts845(Ts845),
    /// 849 Response to Product Transfer Account Adjustment (the claim response).
    Ts849(Ts849),
    /// 867 Product Transfer and Resale Report (sales tracing).
    Ts867(Ts867),
}

impl TypedSet {
    /// The ST01 of this set.
    pub fn id(&self) -> &'static str {
        match self {
            TypedSet::Ts844(_) => "844",
            TypedSet::Ts845(_) => "845",
            TypedSet::Ts849(_) => "849",
            TypedSet::Ts867(_) => "867",
        }
    }

    /// The segments between ST and SE for `version`.
    pub fn to_segments(&self, version: crate::dict::Version) -> Vec<crate::envelope::Seg> {
        match self {
            TypedSet::Ts844(s) => s.to_segments(version),
            TypedSet::Ts845(s) => s.to_segments(version),
            TypedSet::Ts849(s) => s.to_segments(version),
            TypedSet::Ts867(s) => s.to_segments(version),
        }
    }
}

/// Reads `raw` into the typed set its ST01 names.
pub fn read_set(raw: &RawSet) -> Result<TypedSet, ReadError> {
    match raw.id.as_str() {
        "844" => Ts844::read(raw).map(TypedSet::Ts844),
        "845" => Ts845::read(raw).map(TypedSet::Ts845),
        "849" => Ts849::read(raw).map(TypedSet::Ts849),
        "867" => Ts867::read(raw).map(TypedSet::Ts867),
        other => Err(ReadError::unsupported(other)),
    }
}

/// Where in a set a [`ReadError`] applies: the segment position counted from ST = 1 (as
/// 997/999 count), its id, and the element when one is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetPosition {
    /// Segment position, ST = 1.
    pub segment: u32,
    /// The segment id found there, or for a missing segment the id that was expected.
    pub id: String,
    /// Element (and component) position, when an element is at fault.
    pub element: Option<ElementPosition>,
}

impl fmt::Display for SetPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "segment {} ({})", self.segment, self.id)?;
        if let Some(e) = &self.element {
            write!(f, ", element {}", e.element)?;
            if let Some(c) = e.component {
                write!(f, ", component {c}")?;
            }
        }
        Ok(())
    }
}

/// Why a set cannot be represented as its typed form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadErrorKind {
    /// ST01 names a set this module has no type for.
    #[error("transaction set {0:?} is not supported")]
    UnsupportedSet(String),
    /// A segment the set cannot do without is absent.
    #[error("mandatory segment {0} missing")]
    MissingSegment(String),
    /// A segment sits where the set's structure has no place for it.
    #[error("segment {0} not expected here")]
    UnexpectedSegment(String),
    /// A mandatory element (or mandatory component of a composite) is empty.
    #[error("mandatory element missing")]
    MissingElement,
    /// An element that another element makes required is empty (a paired qualifier and
    /// value, or a DTM without its date).
    #[error("conditionally required element missing")]
    ConditionalMissing,
    /// An R, N0 or N2 element is not a number.
    #[error("invalid number {0:?}")]
    InvalidNumber(String),
    /// A DT element is not a CCYYMMDD calendar date.
    #[error("invalid date {0:?}")]
    InvalidDate(String),
    /// A TM element is not HHMM[SS[D[D]]].
    #[error("invalid time {0:?}")]
    InvalidTime(String),
    /// ST01 names another set than the reader was asked to read.
    #[error("transaction set {found:?} is not an {expected}")]
    WrongSet {
        /// The set the reader reads.
        expected: &'static str,
        /// ST01 as sent.
        found: String,
    },
    /// A code outside a closed code list.
    #[error("invalid code value {0:?}")]
    InvalidCode(String),
    /// A value that is not UTF-8, or holds a component separator where the element is
    /// simple.
    #[error("invalid character in {0:?}")]
    InvalidCharacter(String),
    /// A 005010 repetition separator in an element; no element of these sets repeats.
    #[error("repeated element {0:?}")]
    Repetition(String),
}

/// A set that cannot be read into its typed form, with the position at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {kind}")]
pub struct ReadError {
    /// Where.
    pub at: SetPosition,
    /// What.
    pub kind: ReadErrorKind,
}

impl ReadError {
    /// An error at segment `segment` (id `id`), element `element` when given.
    pub fn new(
        segment: u32,
        id: &str,
        element: Option<ElementPosition>,
        kind: ReadErrorKind,
    ) -> Self {
        ReadError {
            at: SetPosition {
                segment,
                id: id.to_owned(),
                element,
            },
            kind,
        }
    }

    fn unsupported(st01: &str) -> Self {
        ReadError::new(
            1,
            "ST",
            Some(ElementPosition::element(1)),
            ReadErrorKind::UnsupportedSet(st01.to_owned()),
        )
    }

    /// Checks that `raw` is the set `expected` before a typed reader starts.
    pub(crate) fn check_set(raw: &RawSet, expected: &'static str) -> Result<(), ReadError> {
        if raw.id == expected {
            Ok(())
        } else {
            Err(ReadError::new(
                1,
                "ST",
                Some(ElementPosition::element(1)),
                ReadErrorKind::WrongSet {
                    expected,
                    found: raw.id.clone(),
                },
            ))
        }
    }

    /// The acknowledgment code this error maps to.
    pub fn code(&self) -> Code {
        match &self.kind {
            ReadErrorKind::UnsupportedSet(_) => Code::Set(SetError::NotSupported),
            ReadErrorKind::WrongSet { .. } => Code::Set(SetError::InvalidSetId),
            ReadErrorKind::MissingSegment(_) => Code::Segment(SegmentError::MandatoryMissing),
            ReadErrorKind::UnexpectedSegment(_) => Code::Segment(SegmentError::Unexpected),
            ReadErrorKind::MissingElement => Code::Element(ElementError::MandatoryMissing),
            ReadErrorKind::ConditionalMissing => Code::Element(ElementError::ConditionalMissing),
            ReadErrorKind::InvalidNumber(_) | ReadErrorKind::InvalidCharacter(_) => {
                Code::Element(ElementError::InvalidCharacter)
            }
            ReadErrorKind::InvalidDate(_) => Code::Element(ElementError::InvalidDate),
            ReadErrorKind::InvalidTime(_) => Code::Element(ElementError::InvalidTime),
            ReadErrorKind::InvalidCode(_) => Code::Element(ElementError::InvalidCode),
            ReadErrorKind::Repetition(_) => Code::Element(ElementError::TooManyRepetitions),
        }
    }

    /// The located finding for an acknowledgment, with interchange, group and set taken from
    /// the raw set's envelope.
    pub fn to_diagnostic(&self, raw: &RawSet) -> Diagnostic {
        // A missing segment is reported where it was expected, which may be the SE.
        let offset = (self.at.segment as usize)
            .checked_sub(1)
            .and_then(|i| raw.segment(i))
            .map_or(raw.offset, |s| s.offset());
        Diagnostic {
            severity: Severity::Error,
            code: self.code(),
            location: Location {
                file: None,
                offset,
                interchange: Some(raw.context.isa.control_number.clone()),
                group: Some(raw.context.group.control_number.clone()),
                set: Some(raw.control_number.clone()),
                segment: Some((self.at.segment, self.at.id.clone())),
                element: self.at.element,
            },
            message: self.kind.to_string(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::envelope::Seg;
    use crate::stream::{Event, SetReader};
    use crate::tokenizer::ReaderOptions;
    use crate::validate::ValidateOptions;

    /// The first transaction set in `data`.
    pub(crate) fn first_set(data: &[u8]) -> RawSet {
        let mut r = SetReader::new(
            data,
            ReaderOptions::default(),
            ValidateOptions::default(),
            1 << 20,
        );
        while let Some(e) = r.next_event().expect("reads") {
            if let Event::Set(s) = e {
                return s;
            }
        }
        panic!("no set")
    }

    /// The segments between ST and SE as owned segments, trailing empty elements dropped.
    pub(crate) fn body(raw: &RawSet) -> Vec<Seg> {
        let mut c = SegmentCursor::new(raw);
        let mut out = Vec::new();
        while let Some(s) = c.next_segment() {
            out.push(s.to_seg().trimmed());
        }
        out
    }

    /// `data` with `from` replaced by `to`, checking that `from` occurs.
    pub(crate) fn edit(data: &[u8], from: &str, to: &str) -> String {
        let text = String::from_utf8(data.to_vec()).expect("ascii");
        assert!(text.contains(from), "{from:?} not in the sample");
        text.replacen(from, to, 1)
    }

    #[test]
    fn dispatches_on_st01() {
        let raw = first_set(include_bytes!("../../../samples/849_4010_response.x12"));
        let set = read_set(&raw).expect("reads");
        assert_eq!(set.id(), "849");
        assert!(matches!(set, TypedSet::Ts849(_)));
    }

    #[test]
    fn rejects_an_acknowledgment_as_unsupported_with_ak5_code_1() {
        let raw = first_set(include_bytes!("../../../samples/997_4010_ack_844.x12"));
        let err = read_set(&raw).expect_err("997 is not typed here");
        assert_eq!(err.kind, ReadErrorKind::UnsupportedSet("997".into()));
        let d = err.to_diagnostic(&raw);
        assert_eq!(d.code.label(), "AK502 1");
        assert_eq!(d.location.segment, Some((1, "ST".into())));
    }

    #[test]
    fn bad_amount_becomes_a_located_ak4_invalid_character() {
        let text = edit(
            include_bytes!("../../../samples/844_4010_claim.x12"),
            "AMT*CC*120.00~",
            "AMT*CC*12O.00~",
        );
        let raw = first_set(text.as_bytes());
        let err = read_set(&raw).expect_err("bad number");
        assert_eq!(err.kind, ReadErrorKind::InvalidNumber("12O.00".into()));
        let d = err.to_diagnostic(&raw);
        assert_eq!(d.code.label(), "AK403 6");
        assert_eq!(d.location.interchange.as_deref(), Some("000005001"));
        assert_eq!(d.location.group.as_deref(), Some("5001"));
        assert_eq!(d.location.set.as_deref(), Some("0001"));
        assert_eq!(d.location.segment, Some((31, "AMT".into())));
        assert_eq!(d.location.element, Some(ElementPosition::element(2)));
        assert_eq!(
            d.to_string(),
            "interchange 000005001, group 5001, set 0001, segment 31 (AMT), element 2: invalid number \"12O.00\" [AK403 6]"
        );
    }

    #[test]
    fn bad_date_becomes_ak4_invalid_date() {
        let text = edit(
            include_bytes!("../../../samples/867_4010_sales.x12"),
            "DTM*091*20261130~",
            "DTM*091*20261131~",
        );
        let raw = first_set(text.as_bytes());
        let err = read_set(&raw).expect_err("bad date");
        assert_eq!(err.to_diagnostic(&raw).code.label(), "AK403 8");
        assert_eq!(err.at.segment, 4);
        assert_eq!(err.at.element, Some(ElementPosition::element(2)));
    }

    #[test]
    fn missing_mandatory_element_becomes_ak4_code_1() {
        let text = edit(
            include_bytes!("../../../samples/844_4010_claim.x12"),
            "CON*CT*SPA-2026-0042*VA~\nN1*ST*LAKESIDE",
            "CON*CT**VA~\nN1*ST*LAKESIDE",
        );
        let raw = first_set(text.as_bytes());
        let err = read_set(&raw).expect_err("CON02 missing");
        assert_eq!(err.kind, ReadErrorKind::MissingElement);
        assert_eq!(err.at.id, "CON");
        assert_eq!(err.at.segment, 34);
        assert_eq!(err.to_diagnostic(&raw).code.label(), "AK403 1");
    }

    #[test]
    fn missing_mandatory_segment_becomes_ak3_code_3() {
        let text = edit(
            include_bytes!("../../../samples/845_4010_contract.x12"),
            "CTT*3~\nSE*48*",
            "SE*47*",
        );
        let raw = first_set(text.as_bytes());
        let err = read_set(&raw).expect_err("CTT missing");
        assert_eq!(err.kind, ReadErrorKind::MissingSegment("CTT".into()));
        assert_eq!(err.at.segment, 47, "reported where it was expected");
        assert_eq!(err.to_diagnostic(&raw).code.label(), "AK304 3");
    }
}
