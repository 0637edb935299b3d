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
    let d = seg.delimiters();
    let count = seg.element_count();
    if count > def.elements.len() {
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
    for (i, el) in def.elements.iter().enumerate() {
        let n = i + 1;
        let value = seg.element(n).unwrap_or(b"");
        check_element(value, el, ElementPosition::element(n as u16), &d, out);
    }
}

fn check_element(
    value: &[u8],
    def: &ElementDef,
    position: ElementPosition,
    d: &Delimiters,
    out: &mut Vec<ElementIssue>,
) {
    if value.is_empty() {
        if def.req == Requirement::Mandatory {
            out.push(issue(position, def, ElementError::MandatoryMissing, None));
        }
        return;
    }
    match d.repetition {
        Some(rep) if value.contains(&rep) => {
            if def.repeat <= 1 {
                out.push(issue(
                    position,
                    def,
                    ElementError::TooManyRepetitions,
                    Some(value),
                ));
                return;
            }
            let mut count = 0u16;
            for (r, part) in value.split(|&b| b == rep).enumerate() {
                count += 1;
                let pos = ElementPosition {
                    repetition: Some(r as u16 + 1),
                    ..position
                };
                check_single(part, def, pos, d, out);
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
        _ => check_single(value, def, position, d, out),
    }
}

fn check_single(
    value: &[u8],
    def: &ElementDef,
    position: ElementPosition,
    d: &Delimiters,
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
                        check_value(part, cdef, pos, out);
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
    check_value(value, def, position, out);
}

fn check_value(
    value: &[u8],
    def: &ElementDef,
    position: ElementPosition,
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
    // Dates and times have their own codes; their length is part of the grammar above.
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
    if !def.has_code(value) {
        out.push(issue(position, def, ElementError::InvalidCode, Some(value)));
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
