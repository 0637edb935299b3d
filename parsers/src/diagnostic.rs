//! Located findings about partner data, each with the X12 code its acknowledgment needs.
//!
//! A [`Diagnostic`] is not an `Err`: bad partner data is something to report (TA1, 997/999)
//! and keep reading past where the standard allows it. The display form is the one the CLI
//! and the ops console show:
//! `FILE: interchange ICN, group GCN, set SCN, segment N (ID), element M: message`.

use std::fmt;

/// Where in a file a finding applies. Fields are filled as far as they are known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// File name as given by the caller.
    pub file: Option<String>,
    /// Byte offset in the input.
    pub offset: u64,
    /// ISA13 of the interchange.
    pub interchange: Option<String>,
    /// GS06 of the group.
    pub group: Option<String>,
    /// ST02 of the transaction set.
    pub set: Option<String>,
    /// Segment position counted from ST = 1 (as 997/999 count) and its id.
    pub segment: Option<(u32, String)>,
    /// Element position (1-based), with component and repetition where relevant.
    pub element: Option<ElementPosition>,
}

/// Position of an element inside a segment (the 997/999 C030 composite).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementPosition {
    /// Element position in the segment, 1-based.
    pub element: u16,
    /// Component position inside a composite, 1-based.
    pub component: Option<u16>,
    /// Repetition position of a repeating element (005010), 1-based.
    pub repetition: Option<u16>,
}

impl ElementPosition {
    /// A plain element position.
    pub fn element(n: u16) -> Self {
        ElementPosition {
            element: n,
            component: None,
            repetition: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        // The ids are quoted from the input: a control character in one (a form feed before
        // a segment id) is written escaped, as in the message, so a finding stays one line.
        if let Some(i) = self.interchange.as_ref().filter(|v| !v.is_empty()) {
            parts.push(format!("interchange {}", escaped(i)));
        }
        if let Some(g) = self.group.as_ref().filter(|v| !v.is_empty()) {
            parts.push(format!("group {}", escaped(g)));
        }
        if let Some(s) = self.set.as_ref().filter(|v| !v.is_empty()) {
            parts.push(format!("set {}", escaped(s)));
        }
        if let Some((pos, id)) = &self.segment {
            parts.push(format!("segment {pos} ({})", escaped(id)));
        }
        if let Some(e) = &self.element {
            let mut s = format!("element {}", e.element);
            if let Some(c) = e.component {
                s.push_str(&format!(", component {c}"));
            }
            if let Some(r) = e.repetition {
                s.push_str(&format!(", repetition {r}"));
            }
            parts.push(s);
        }
        if parts.is_empty() {
            parts.push(format!("byte {}", self.offset));
        }
        match &self.file {
            Some(file) => write!(f, "{file}: {}", parts.join(", ")),
            None => write!(f, "{}", parts.join(", ")),
        }
    }
}

/// `v` with its control characters escaped (`\u{c}`), the rest as is.
fn escaped(v: &str) -> String {
    v.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Accepted, but worth telling the partner or ops (e.g. an ISA14 of `2`).
    Warning,
    /// The interchange, group, set or segment is in error.
    Error,
}

/// TA105 interchange note codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ta1Note {
    /// 001 ISA13 and IEA02 do not match.
    ControlNumberMismatch,
    /// 003 this control version is not supported.
    VersionNotSupported,
    /// 004 invalid segment terminator.
    InvalidSegmentTerminator,
    /// 005 invalid interchange sender id qualifier.
    InvalidSenderQualifier,
    /// 006 invalid interchange sender id.
    InvalidSenderId,
    /// 007 invalid interchange receiver id qualifier.
    InvalidReceiverQualifier,
    /// 008 invalid interchange receiver id.
    InvalidReceiverId,
    /// 010 invalid authorization information qualifier.
    InvalidAuthorizationQualifier,
    /// 011 invalid authorization information value.
    InvalidAuthorizationValue,
    /// 012 invalid security information qualifier.
    InvalidSecurityQualifier,
    /// 013 invalid security information value.
    InvalidSecurityValue,
    /// 014 invalid interchange date.
    InvalidDate,
    /// 015 invalid interchange time.
    InvalidTime,
    /// 016 invalid interchange standards identifier (ISA11 in 004010).
    InvalidStandardsId,
    /// 017 invalid interchange control version number.
    InvalidVersion,
    /// 018 invalid interchange control number.
    InvalidControlNumber,
    /// 019 invalid acknowledgment requested value.
    InvalidAckRequested,
    /// 020 invalid test indicator value.
    InvalidTestIndicator,
    /// 021 invalid number of included groups.
    InvalidGroupCount,
    /// 022 invalid control structure.
    InvalidControlStructure,
    /// 023 improper (premature) end of file.
    PrematureEndOfFile,
    /// 024 invalid interchange content (e.g. a bad GS).
    InvalidContent,
    /// 025 duplicate interchange control number.
    DuplicateControlNumber,
    /// 026 invalid data element separator.
    InvalidElementSeparator,
    /// 027 invalid component element separator.
    InvalidComponentSeparator,
}

impl Ta1Note {
    /// The TA105 code.
    pub fn code(self) -> &'static str {
        use Ta1Note::*;
        match self {
            ControlNumberMismatch => "001",
            VersionNotSupported => "003",
            InvalidSegmentTerminator => "004",
            InvalidSenderQualifier => "005",
            InvalidSenderId => "006",
            InvalidReceiverQualifier => "007",
            InvalidReceiverId => "008",
            InvalidAuthorizationQualifier => "010",
            InvalidAuthorizationValue => "011",
            InvalidSecurityQualifier => "012",
            InvalidSecurityValue => "013",
            InvalidDate => "014",
            InvalidTime => "015",
            InvalidStandardsId => "016",
            InvalidVersion => "017",
            InvalidControlNumber => "018",
            InvalidAckRequested => "019",
            InvalidTestIndicator => "020",
            InvalidGroupCount => "021",
            InvalidControlStructure => "022",
            PrematureEndOfFile => "023",
            InvalidContent => "024",
            DuplicateControlNumber => "025",
            InvalidElementSeparator => "026",
            InvalidComponentSeparator => "027",
        }
    }
}

/// AK905 (AK9) functional group error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupError {
    /// 1 functional group not supported.
    NotSupported,
    /// 2 functional group version not supported.
    VersionNotSupported,
    /// 3 functional group trailer (GE) missing.
    TrailerMissing,
    /// 4 GS06 and GE02 do not match.
    ControlNumberMismatch,
    /// 5 GE01 does not match the number of sets.
    SetCountMismatch,
    /// 6 group control number syntax error.
    ControlNumberSyntax,
    /// 19 GS06 not unique within the interchange.
    ControlNumberNotUnique,
    /// A GS element AK905 has no code for (GS02 to GS05, GS07) is in error: the group is
    /// rejected with no AK905.
    HeaderElementError,
    /// The group holds no transaction set (GS, then GE): rejected with no AK905.
    NoTransactionSets,
}

impl GroupError {
    /// The AK905 code, or `None` for a rejection the code list has no code for: the AK9
    /// then says `R` and names no reason rather than a wrong one (AK905 is optional).
    pub fn code(self) -> Option<&'static str> {
        Some(match self {
            GroupError::NotSupported => "1",
            GroupError::VersionNotSupported => "2",
            GroupError::TrailerMissing => "3",
            GroupError::ControlNumberMismatch => "4",
            GroupError::SetCountMismatch => "5",
            GroupError::ControlNumberSyntax => "6",
            GroupError::ControlNumberNotUnique => "19",
            GroupError::HeaderElementError | GroupError::NoTransactionSets => return None,
        })
    }
}

/// AK502 (IK502) transaction set error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetError {
    /// 1 transaction set not supported.
    NotSupported,
    /// 2 transaction set trailer (SE) missing.
    TrailerMissing,
    /// 3 ST02 and SE02 do not match.
    ControlNumberMismatch,
    /// 4 SE01 does not match the number of segments.
    SegmentCountMismatch,
    /// 5 one or more segments in error.
    SegmentsInError,
    /// 6 missing or invalid transaction set identifier.
    InvalidSetId,
    /// 7 missing or invalid transaction set control number.
    InvalidControlNumber,
    /// 23 ST02 not unique within the group.
    ControlNumberNotUnique,
    /// 5 one or more segments in error, where the errors are the partner's implementation
    /// rules (its profile), not the standard's: `I5` in a 999.
    ImplementationSegmentsInError,
}

impl SetError {
    /// The AK502 code.
    pub fn code(self) -> &'static str {
        match self {
            SetError::NotSupported => "1",
            SetError::TrailerMissing => "2",
            SetError::ControlNumberMismatch => "3",
            SetError::SegmentCountMismatch => "4",
            SetError::SegmentsInError => "5",
            SetError::InvalidSetId => "6",
            SetError::InvalidControlNumber => "7",
            SetError::ControlNumberNotUnique => "23",
            SetError::ImplementationSegmentsInError => "5",
        }
    }

    /// The IK502 code: the AK502 code, or its implementation code (x12-chargeback 8.2).
    pub fn code_999(self) -> &'static str {
        match self {
            SetError::ImplementationSegmentsInError => "I5",
            other => other.code(),
        }
    }
}

/// AK304 (IK304) segment syntax error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentError {
    /// 1 unrecognized segment id.
    Unrecognized,
    /// 2 unexpected segment.
    Unexpected,
    /// 3 required segment missing.
    MandatoryMissing,
    /// 4 loop occurs over maximum times.
    LoopOverMax,
    /// 5 segment exceeds maximum use.
    SegmentOverMax,
    /// 6 segment not in the defined transaction set.
    NotInSet,
    /// 7 segment not in proper sequence.
    OutOfSequence,
    /// 8 segment has data element errors.
    HasElementErrors,
    /// 3 required segment missing, where the partner's implementation (its profile), not the
    /// standard, requires it: `I6` (implementation dependent segment missing) in a 999.
    ImplementationMissing,
}

impl SegmentError {
    /// The AK304 code.
    pub fn code(self) -> &'static str {
        match self {
            SegmentError::Unrecognized => "1",
            SegmentError::Unexpected => "2",
            SegmentError::MandatoryMissing => "3",
            SegmentError::LoopOverMax => "4",
            SegmentError::SegmentOverMax => "5",
            SegmentError::NotInSet => "6",
            SegmentError::OutOfSequence => "7",
            SegmentError::HasElementErrors => "8",
            SegmentError::ImplementationMissing => "3",
        }
    }

    /// The IK304 code: the AK304 code, or its implementation code (x12-chargeback 8.2).
    pub fn code_999(self) -> &'static str {
        match self {
            SegmentError::ImplementationMissing => "I6",
            other => other.code(),
        }
    }
}

/// AK403 (IK403) element syntax error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementError {
    /// 1 mandatory data element missing.
    MandatoryMissing,
    /// 2 conditional required data element missing.
    ConditionalMissing,
    /// 3 too many data elements.
    TooManyElements,
    /// 4 data element too short.
    TooShort,
    /// 5 data element too long.
    TooLong,
    /// 6 invalid character in data element.
    InvalidCharacter,
    /// 7 invalid code value.
    InvalidCode,
    /// 8 invalid date.
    InvalidDate,
    /// 9 invalid time.
    InvalidTime,
    /// 10 exclusion condition violated.
    ExclusionViolated,
    /// 12 too many repetitions (005010).
    TooManyRepetitions,
    /// 13 too many components (005010).
    TooManyComponents,
    /// 1 required element missing, where the partner's implementation (its profile), not the
    /// standard, requires it: `I9` (implementation dependent element missing) in a 999.
    ImplementationMissing,
    /// 7 invalid code value, where the code is one the partner's implementation (its profile)
    /// does not use: `I6` (code value not used in implementation) in a 999.
    NotUsedInImplementation,
}

impl ElementError {
    /// The AK403 code.
    pub fn code(self) -> &'static str {
        match self {
            ElementError::MandatoryMissing => "1",
            ElementError::ConditionalMissing => "2",
            ElementError::TooManyElements => "3",
            ElementError::TooShort => "4",
            ElementError::TooLong => "5",
            ElementError::InvalidCharacter => "6",
            ElementError::InvalidCode => "7",
            ElementError::InvalidDate => "8",
            ElementError::InvalidTime => "9",
            ElementError::ExclusionViolated => "10",
            ElementError::TooManyRepetitions => "12",
            ElementError::TooManyComponents => "13",
            ElementError::ImplementationMissing => "1",
            ElementError::NotUsedInImplementation => "7",
        }
    }

    /// The IK403 code: the AK403 code, or its implementation code (x12-chargeback 8.2).
    pub fn code_999(self) -> &'static str {
        match self {
            ElementError::ImplementationMissing => "I9",
            ElementError::NotUsedInImplementation => "I6",
            other => other.code(),
        }
    }
}

/// The acknowledgment code a finding maps to, which also says at which level it applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Interchange level: TA1 note.
    Interchange(Ta1Note),
    /// Group level: AK9 error.
    Group(GroupError),
    /// Set level: AK5 error.
    Set(SetError),
    /// Segment level: AK3 error.
    Segment(SegmentError),
    /// Element level: AK4 error (with the element reference number when known).
    Element(ElementError),
}

impl Code {
    /// The acknowledgment it feeds and the X12 code, e.g. `TA105 022` or `AK403 7`; a
    /// partner-rule finding names its 999 code too (`AK403 7 / IK403 I6`), and a group
    /// rejection with no AK905 code is `AK901 R`.
    pub fn label(&self) -> String {
        let with_999 = |ak: &str, code: &str, code_999: &str| {
            if code == code_999 {
                format!("AK{ak} {code}")
            } else {
                format!("AK{ak} {code} / IK{ak} {code_999}")
            }
        };
        match self {
            Code::Interchange(n) => format!("TA105 {}", n.code()),
            Code::Group(g) => match g.code() {
                Some(code) => format!("AK905 {code}"),
                None => "AK901 R".to_owned(),
            },
            Code::Set(s) => with_999("502", s.code(), s.code_999()),
            Code::Segment(s) => with_999("304", s.code(), s.code_999()),
            Code::Element(e) => with_999("403", e.code(), e.code_999()),
        }
    }
}

/// One located finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The acknowledgment code.
    pub code: Code,
    /// Where it applies.
    pub location: Location,
    /// Human-readable, lowercase, no trailing period.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        write!(f, "{}: {sev}", self.location)?;
        // One finding per line: a control character quoted from the input (a line break
        // before a segment id) is written escaped.
        for c in self.message.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        write!(f, " [{}]", self.code.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_break_in_a_message_is_written_escaped() {
        let d = Diagnostic {
            severity: Severity::Error,
            code: Code::Interchange(Ta1Note::InvalidControlStructure),
            location: Location {
                file: Some("f.x12".into()),
                offset: 106,
                ..Location::default()
            },
            message: "segment outside a transaction set (\" \nGS\" at byte 106)".to_owned(),
        };
        let text = d.to_string();
        assert!(!text.contains('\n'), "{text}");
        assert!(text.contains(r#"(" \nGS" at byte 106)"#), "{text}");
    }

    #[test]
    fn a_control_character_in_a_segment_id_is_written_escaped() {
        let d = Diagnostic {
            severity: Severity::Error,
            code: Code::Segment(SegmentError::Unrecognized),
            location: Location {
                file: Some("f.x12".into()),
                offset: 700,
                set: Some("0001".into()),
                segment: Some((19, "\u{c}\u{b}LIN".into())),
                ..Location::default()
            },
            message: "unrecognized segment id (loop -)".to_owned(),
        };
        let text = d.to_string();
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(
            text.starts_with(r"f.x12: set 0001, segment 19 (\u{c}\u{b}LIN): "),
            "{text}"
        );
    }

    #[test]
    fn displays_in_the_documented_located_form() {
        let d = Diagnostic {
            severity: Severity::Error,
            code: Code::Element(ElementError::InvalidDate),
            location: Location {
                file: Some("claim.x12".into()),
                offset: 120,
                interchange: Some("000005001".into()),
                group: Some("5001".into()),
                set: Some("0001".into()),
                segment: Some((2, "BAA".into())),
                element: Some(ElementPosition::element(3)),
            },
            message: "invalid date \"20261315\"".into(),
        };
        assert_eq!(
            d.to_string(),
            "claim.x12: interchange 000005001, group 5001, set 0001, segment 2 (BAA), element 3: invalid date \"20261315\" [AK403 8]"
        );
    }

    #[test]
    fn location_without_envelope_falls_back_to_byte_offset() {
        let l = Location {
            file: Some("x.edi".into()),
            offset: 7,
            ..Location::default()
        };
        assert_eq!(l.to_string(), "x.edi: byte 7");
    }
}
