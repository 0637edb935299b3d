//! Delimiter detection from the ISA header.
//!
//! X12 has no out-of-band framing: every interchange announces its own delimiters in the
//! fixed-width ISA segment. The element separator is the byte after `ISA`, the component
//! separator is ISA16, the segment terminator follows it, and in 005010 ISA11 carries the
//! repetition separator. Strict mode trusts the fixed offsets (the ISA is always 106 bytes);
//! lenient mode counts 16 element separators so a mis-padded ISA06/ISA08 still reads.

use nom::{IResult, Parser, bytes::complete::tag, combinator::rest};

/// Length of a well-formed ISA segment including its terminator.
pub const ISA_LEN: usize = 106;

/// Offsets of the 16 element separators inside a well-formed ISA.
pub const ISA_SEPARATOR_OFFSETS: [usize; 16] = [
    3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103,
];

/// The delimiter set of one interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    /// Separates elements within a segment (ISA byte 3).
    pub element: u8,
    /// Separates components of a composite element (ISA16).
    pub component: u8,
    /// Separates repetitions of an element (ISA11, 005010 and later only).
    pub repetition: Option<u8>,
    /// Ends a segment (the byte after ISA16).
    pub segment: u8,
}

impl Delimiters {
    /// The common `* > ~` set with `^` repetitions (005010 style).
    pub const STANDARD: Delimiters = Delimiters {
        element: b'*',
        component: b'>',
        repetition: Some(b'^'),
        segment: b'~',
    };

    /// A repetition separator for a 005010 ISA11 when none is given: the first of the usual
    /// ones (`^ { } | ! \``) that is not the element, component or segment delimiter.
    pub fn spare_repetition(&self) -> Option<u8> {
        b"^{}|!`"
            .iter()
            .copied()
            .find(|&r| r != self.element && r != self.component && r != self.segment)
    }

    /// True when `b` is one of the active delimiters.
    pub fn is_delimiter(&self, b: u8) -> bool {
        b == self.element || b == self.component || b == self.segment || self.repetition == Some(b)
    }

    /// Checks the X12 rule that delimiters are pairwise distinct and not alphanumeric.
    pub fn check(&self) -> Result<(), DelimiterError> {
        let all = [
            Some(self.element),
            Some(self.component),
            self.repetition,
            Some(self.segment),
        ];
        if self.element.is_ascii_alphanumeric() {
            return Err(DelimiterError::InvalidElementSeparator(self.element));
        }
        if self.component.is_ascii_alphanumeric() || self.component == self.element {
            return Err(DelimiterError::InvalidComponentSeparator(self.component));
        }
        if self.segment.is_ascii_alphanumeric()
            || self.segment == self.element
            || self.segment == self.component
        {
            return Err(DelimiterError::InvalidSegmentTerminator(self.segment));
        }
        if let Some(r) = self.repetition {
            let clashes = all.iter().flatten().filter(|&&d| d == r).count() > 1;
            if r.is_ascii_alphanumeric() || clashes {
                return Err(DelimiterError::InvalidRepetitionSeparator(r));
            }
        }
        Ok(())
    }
}

/// How to read the delimiters from an ISA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsaMode {
    /// Fixed offsets: the ISA must be exactly 106 bytes with all separators in place.
    #[default]
    Strict,
    /// Count 16 element separators: survives mis-padded fixed-width fields.
    Lenient,
}

/// Why the delimiters of an interchange could not be determined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DelimiterError {
    /// The data does not start with `ISA`.
    #[error("interchange does not start with ISA")]
    NoIsa,
    /// The input holds no interchange at all: it is empty, or only whitespace or a
    /// byte-order mark.
    #[error("no interchange: the input is empty (no ISA)")]
    Empty,
    /// The input ended inside the ISA.
    #[error("input ends inside the ISA segment")]
    Truncated,
    /// A separator is missing at one of the fixed ISA offsets (strict mode).
    #[error("ISA is not fixed width: expected element separator at byte {0}")]
    NotFixedWidth(usize),
    /// The ISA does not have 16 elements (lenient mode).
    #[error("ISA does not have 16 elements")]
    WrongElementCount,
    /// The element separator is alphanumeric.
    #[error("invalid element separator {:?}", *.0 as char)]
    InvalidElementSeparator(u8),
    /// The component separator is alphanumeric or equals another delimiter.
    #[error("invalid component separator {:?}", *.0 as char)]
    InvalidComponentSeparator(u8),
    /// The repetition separator is alphanumeric or equals another delimiter.
    #[error("invalid repetition separator {:?}", *.0 as char)]
    InvalidRepetitionSeparator(u8),
    /// The segment terminator is alphanumeric or equals another delimiter.
    #[error("invalid segment terminator {:?}", *.0 as char)]
    InvalidSegmentTerminator(u8),
}

/// What was learnt from the ISA: the delimiters and where the ISA ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsaFrame {
    /// The interchange's delimiters.
    pub delimiters: Delimiters,
    /// Length of the ISA segment including its terminator.
    pub len: usize,
    /// True when the ISA was not the fixed 106 bytes (only possible in lenient mode).
    pub irregular: bool,
}

fn isa_tag(input: &[u8]) -> IResult<&[u8], &[u8]> {
    tag(&b"ISA"[..]).parse(input)
}

fn after_tag(input: &[u8]) -> IResult<&[u8], &[u8]> {
    rest(input)
}

/// Reads the delimiters from the start of `data`, which must begin with `ISA`.
///
/// `data` may be longer than the ISA; `Truncated` means more bytes are needed (or the input
/// ended). Strict mode falls back to nothing: a mis-sized ISA is an error to report.
pub fn detect(data: &[u8], mode: IsaMode) -> Result<IsaFrame, DelimiterError> {
    let body = match isa_tag(data).and_then(|(r, _)| after_tag(r)) {
        Ok((_, body)) => body,
        Err(_) if data.len() < 3 && b"ISA".starts_with(data) => {
            return Err(DelimiterError::Truncated);
        }
        Err(_) => return Err(DelimiterError::NoIsa),
    };
    let Some(&element) = body.first() else {
        return Err(DelimiterError::Truncated);
    };
    match mode {
        IsaMode::Strict => detect_fixed(data, element),
        IsaMode::Lenient => match detect_fixed(data, element) {
            Ok(frame) => Ok(frame),
            Err(DelimiterError::Truncated) => Err(DelimiterError::Truncated),
            Err(_) => detect_counted(data, element),
        },
    }
}

fn detect_fixed(data: &[u8], element: u8) -> Result<IsaFrame, DelimiterError> {
    if data.len() < ISA_LEN {
        // Fail early on a wrong separator so callers do not wait for bytes that cannot help.
        for &off in ISA_SEPARATOR_OFFSETS.iter().filter(|&&o| o < data.len()) {
            if data[off] != element {
                return Err(DelimiterError::NotFixedWidth(off));
            }
        }
        return Err(DelimiterError::Truncated);
    }
    for off in ISA_SEPARATOR_OFFSETS {
        if data[off] != element {
            return Err(DelimiterError::NotFixedWidth(off));
        }
    }
    let delimiters = Delimiters {
        element,
        component: data[104],
        repetition: repetition_for(&data[84..89], data[82]),
        segment: data[105],
    };
    delimiters.check()?;
    Ok(IsaFrame {
        delimiters,
        len: ISA_LEN,
        irregular: false,
    })
}

fn detect_counted(data: &[u8], element: u8) -> Result<IsaFrame, DelimiterError> {
    // Positions of the element separators; the 16th precedes ISA16.
    let mut seps = [0usize; 16];
    let mut found = 0;
    for (i, &b) in data.iter().enumerate().skip(3) {
        if b == element {
            seps[found] = i;
            found += 1;
            if found == 16 {
                break;
            }
        }
        // A segment terminator never appears inside a real ISA before ISA16; bail out on
        // runaway input instead of scanning a whole file.
        if i > 4 * ISA_LEN {
            return Err(DelimiterError::WrongElementCount);
        }
    }
    if found < 16 {
        return if data.len() <= 4 * ISA_LEN {
            Err(DelimiterError::Truncated)
        } else {
            Err(DelimiterError::WrongElementCount)
        };
    }
    let last = seps[15];
    if data.len() < last + 3 {
        return Err(DelimiterError::Truncated);
    }
    let isa11 = &data[seps[10] + 1..seps[11]];
    let isa12 = &data[seps[11] + 1..seps[12]];
    let delimiters = Delimiters {
        element,
        component: data[last + 1],
        repetition: if isa11.len() == 1 {
            repetition_for(isa12, isa11[0])
        } else {
            None
        },
        segment: data[last + 2],
    };
    delimiters.check()?;
    Ok(IsaFrame {
        delimiters,
        len: last + 3,
        irregular: last + 3 != ISA_LEN,
    })
}

/// ISA11 is a repetition separator from version 00501 on; before that it is the standards id.
/// A letter, digit or space is none (the validator refuses it): a space taken as one would
/// split every value holding a space into repeats.
fn repetition_for(isa12: &[u8], isa11: u8) -> Option<u8> {
    let version_5_or_later =
        isa12.len() == 5 && isa12.iter().all(u8::is_ascii_digit) && isa12 >= b"00501".as_slice();
    (version_5_or_later && !isa11.is_ascii_alphanumeric() && isa11 != b' ').then_some(isa11)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA_4010: &[u8] = b"ISA*00*          *00*          *ZZ*GOODDRUG       *ZZ*ACMEPHARMA     *261115*1405*U*00401*000005001*1*P*>~\nGS*";
    const ISA_5010_PIPE: &[u8] = b"ISA|00|          |00|          |ZZ|ACMEPHARMA     |ZZ|GOODDRUG       |261201|0800|^|00501|000000102|0|P|>~\r\nGS|";

    #[test]
    fn reads_004010_delimiters_without_repetition() {
        let f = detect(ISA_4010, IsaMode::Strict).expect("valid ISA");
        assert_eq!(
            f.delimiters,
            Delimiters {
                element: b'*',
                component: b'>',
                repetition: None,
                segment: b'~'
            }
        );
        assert_eq!(f.len, 106);
    }

    #[test]
    fn reads_005010_repetition_separator_and_pipe() {
        let f = detect(ISA_5010_PIPE, IsaMode::Strict).expect("valid ISA");
        assert_eq!(f.delimiters.element, b'|');
        assert_eq!(f.delimiters.repetition, Some(b'^'));
        assert_eq!(f.delimiters.segment, b'~');
    }

    #[test]
    fn strict_rejects_mispadded_isa_and_lenient_reads_it() {
        let bad = b"ISA*00*          *00*          *ZZ*GOODDRUG      *ZZ*ACMEPHARMA     *261115*1405*U*00401*000005001*1*P*>~\nGS*CF";
        assert!(matches!(
            detect(bad, IsaMode::Strict),
            Err(DelimiterError::NotFixedWidth(_))
        ));
        let f = detect(bad, IsaMode::Lenient).expect("lenient reads it");
        assert_eq!(f.delimiters.component, b'>');
        assert_eq!(f.delimiters.segment, b'~');
        assert_eq!(f.len, 105);
        assert!(f.irregular);
    }

    #[test]
    fn short_input_is_truncated_not_an_error() {
        assert_eq!(
            detect(&ISA_4010[..50], IsaMode::Strict),
            Err(DelimiterError::Truncated)
        );
        assert_eq!(
            detect(b"IS", IsaMode::Strict),
            Err(DelimiterError::Truncated)
        );
        assert_eq!(detect(b"GS*", IsaMode::Strict), Err(DelimiterError::NoIsa));
    }

    #[test]
    fn rejects_alphanumeric_or_clashing_delimiters() {
        let mut isa = ISA_4010.to_vec();
        isa[105] = b'A';
        assert_eq!(
            detect(&isa, IsaMode::Strict),
            Err(DelimiterError::InvalidSegmentTerminator(b'A'))
        );
        let mut isa = ISA_4010.to_vec();
        isa[104] = b'*';
        assert_eq!(
            detect(&isa, IsaMode::Strict),
            Err(DelimiterError::InvalidComponentSeparator(b'*'))
        );
    }
}
