//! The syntax checks inside one transaction set: each segment placed in the set's grammar
//! and its elements checked against their definitions.
//!
//! The [`super::Validator`] runs them as it reads, or, with
//! [`super::ValidateOptions::defer_set_checks`], leaves them to whoever holds the set's
//! bytes: [`check_set`] runs them over a [`RawSet`] later, on any thread, with the same
//! findings in the same order. The envelope checks (ST/SE control numbers, counts) always
//! run in the reader, since they need the group around the set.

use crate::diagnostic::{Code, Diagnostic, ElementError, Location, SegmentError, Severity};
use crate::dict::{self, SetDef, Version};
use crate::stream::RawSet;
use crate::tokenizer::Segment;

use super::grammar::{Missing, Walker};
use super::report::SegmentIssue;
use super::syntax::{CodeMemo, ElementIssue, SegmentMemo};

/// What checking segments remembers between sets: code values found in their lists and
/// segments found clean. One per thread.
#[derive(Debug, Default)]
pub struct CheckMemo {
    pub(crate) codes: CodeMemo,
    pub(crate) segments: SegmentMemo,
}

/// The checks of one open set, segment by segment.
pub(crate) struct SetCheck {
    version: Version,
    walker: Walker,
    /// PAD01 of the claim line being read (for the 999 CTX; empty outside a line).
    pad01: String,
    /// Every element so far was checked and none holds a repetition or component separator.
    pub(crate) separator_free: bool,
    /// File, interchange, group and set of every finding.
    location: Location,
    /// Segment issues not yet taken, in order.
    pub(crate) issues: Vec<SegmentIssue>,
    /// Findings not yet taken, in order.
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// The walker's list of mandatory segments missing before a segment, kept empty between
    /// segments (kept to spare a list per segment).
    missing: Missing,
}

impl SetCheck {
    /// Checks for a set of `def` in `version`; findings are located at `location`. With
    /// `lin_first`, an 867 line may open with LIN ([`Walker::lin_first`]).
    pub(crate) fn new(
        version: Version,
        def: &'static SetDef,
        location: Location,
        lin_first: bool,
    ) -> Self {
        SetCheck {
            version,
            walker: if lin_first {
                Walker::lin_first(def)
            } else {
                Walker::new(def)
            },
            pad01: String::new(),
            separator_free: true,
            location,
            issues: Vec::new(),
            diagnostics: Vec::new(),
            missing: Missing::new(),
        }
    }

    /// Checks the segment at `position` (ST = 1).
    pub(crate) fn segment(&mut self, seg: &Segment<'_>, position: u32, memo: &mut CheckMemo) {
        // Errors inside a claim line name it in the 999 CTX, so the partner can find it.
        if seg.id() == b"PAD" {
            self.pad01.clear();
            self.pad01.push_str(seg.text(1).unwrap_or(""));
        }
        let offset = seg.offset();
        let Some((def, mandatory)) = dict::segment_entry(self.version, seg.id()) else {
            self.separator_free = false;
            self.issue(
                offset,
                seg.id_str(),
                position,
                None,
                SegmentError::Unrecognized,
                Vec::new(),
                "unrecognized segment id",
            );
            return;
        };
        let id = def.id;
        let placement = self.walker.place(id, &mut self.missing);
        for i in 0..self.missing.len() {
            let (missing, loop_id) = self.missing[i];
            self.issue(
                offset,
                missing,
                position,
                loop_id,
                SegmentError::MandatoryMissing,
                Vec::new(),
                "mandatory segment missing before this one",
            );
        }
        self.missing.clear();
        let mut elements = Vec::new();
        if memo
            .segments
            .check(seg, def, Some(mandatory), &mut memo.codes, &mut elements)
        {
            self.separator_free = false;
        }
        let placed_ok = placement.error.is_none();
        if let Some(e) = placement.error {
            self.issue(
                offset,
                id,
                position,
                placement.loop_id,
                e,
                Vec::new(),
                segment_message(e),
            );
        }
        if !elements.is_empty() {
            if placed_ok {
                self.issue(
                    offset,
                    id,
                    position,
                    placement.loop_id,
                    SegmentError::HasElementErrors,
                    elements,
                    "segment has element errors",
                );
            } else if let Some(last) = self.issues.last_mut() {
                last.elements = elements.clone();
                self.element_diagnostics(offset, id, position, &elements);
            }
        }
    }

    /// Checks `segments` in order from the ST (position 1); returns the offset of the last.
    pub(crate) fn replay<'s>(
        &mut self,
        segments: impl Iterator<Item = Segment<'s>>,
        memo: &mut CheckMemo,
    ) -> u64 {
        let mut last = 0;
        for (i, seg) in segments.enumerate() {
            self.segment(&seg, i as u32 + 1, memo);
            last = seg.offset();
        }
        last
    }

    /// The set ended with its SE (at `offset`, the set `segments` long): the mandatory
    /// segments of the loops still open are missing.
    pub(crate) fn finish(&mut self, offset: u64, segments: u32) {
        for (id, loop_id) in self.walker.finish() {
            // SE itself was already placed; only the loops' own mandatory segments remain.
            if id == "SE" {
                continue;
            }
            self.issue(
                offset,
                id,
                segments,
                loop_id,
                SegmentError::MandatoryMissing,
                Vec::new(),
                "mandatory segment missing",
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn issue(
        &mut self,
        offset: u64,
        id: &str,
        position: u32,
        loop_id: Option<&str>,
        error: SegmentError,
        elements: Vec<ElementIssue>,
        message: &str,
    ) {
        let mut location = self.location.clone();
        location.offset = offset;
        location.segment = Some((position, id.to_owned()));
        self.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            code: Code::Segment(error),
            location,
            message: format!("{message} (loop {})", loop_id.unwrap_or("-")),
        });
        self.element_diagnostics(offset, id, position, &elements);
        self.issues.push(SegmentIssue {
            id: id.to_owned(),
            position,
            loop_id: loop_id.map(str::to_owned),
            error,
            elements,
            context: (!self.pad01.is_empty()).then(|| ("PAD01".to_owned(), self.pad01.clone())),
        });
    }

    fn element_diagnostics(
        &mut self,
        offset: u64,
        id: &str,
        position: u32,
        elements: &[ElementIssue],
    ) {
        for e in elements {
            let mut location = self.location.clone();
            location.offset = offset;
            location.segment = Some((position, id.to_owned()));
            location.element = Some(e.position);
            self.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                code: Code::Element(e.error),
                location,
                message: element_message(e, id),
            });
        }
    }
}

/// What [`check_set`] found in a set whose checks were deferred.
#[derive(Debug, Default)]
pub struct SetFindings {
    /// The segment issues (AK3/AK4, IK3/IK4) for the set's report, in order; empty when the
    /// set is clean.
    pub issues: Vec<SegmentIssue>,
    /// How many findings of error severity were added to the set's diagnostics.
    pub errors: usize,
}

/// Runs the syntax checks the reader left to the holder of `set`
/// ([`super::ValidateOptions::defer_set_checks`]): the findings go into the set's
/// diagnostics where checking as it was read would have put them, the set is vouched
/// separator-free when it is, and the segment issues are returned for the set's report
/// (fold them in with the interchange's report once it ends). Does nothing for a set whose
/// checks were run already, or that has none (its version or id unsupported, or only
/// envelope checks asked for).
pub fn check_set(set: &mut RawSet, memo: &mut CheckMemo) -> SetFindings {
    let Some(owed) = set.checks_owed.take() else {
        return SetFindings::default();
    };
    let mut check = SetCheck::new(owed.version, owed.def, owed.location, owed.lin_first);
    let last = check.replay(set.segments(), memo);
    let body = std::mem::take(&mut check.diagnostics);
    check.finish(last, set.len() as u32);
    let errors = body.len() + check.diagnostics.len();
    // In read order: the envelope's findings at ST, the segments', the SE's, the loops'.
    let at = set.after_st.min(set.diagnostics.len());
    set.diagnostics.splice(at..at, body);
    set.diagnostics.append(&mut check.diagnostics);
    set.separator_free = check.separator_free;
    SetFindings {
        issues: check.issues,
        errors,
    }
}

/// Checks the reader owes a set it handed out unchecked.
#[derive(Debug, Clone)]
pub(crate) struct OwedChecks {
    pub(crate) version: Version,
    pub(crate) def: &'static SetDef,
    pub(crate) location: Location,
    /// An 867 line may open with LIN ([`super::ValidateOptions::lenient_867_line_order`] or
    /// [`super::ValidateOptions::lenient_867_senders`]).
    pub(crate) lin_first: bool,
}

pub(crate) fn segment_message(e: SegmentError) -> &'static str {
    match e {
        SegmentError::Unrecognized => "unrecognized segment id",
        SegmentError::Unexpected => "unexpected segment",
        SegmentError::MandatoryMissing => "mandatory segment missing",
        SegmentError::LoopOverMax => "loop occurs more often than allowed",
        SegmentError::SegmentOverMax => "segment used more often than allowed",
        SegmentError::NotInSet => "segment not in this transaction set",
        SegmentError::OutOfSequence => "segment out of sequence",
        SegmentError::HasElementErrors => "segment has element errors",
        SegmentError::ImplementationMissing => "segment the partner requires missing",
    }
}

pub(crate) fn element_message(e: &ElementIssue, segment_id: &str) -> String {
    let what = match e.error {
        ElementError::MandatoryMissing => "mandatory element missing",
        ElementError::ConditionalMissing => "conditionally required element missing",
        ElementError::TooManyElements => "too many elements",
        ElementError::TooShort => "element too short",
        ElementError::TooLong => "element too long",
        ElementError::InvalidCharacter => "invalid character",
        ElementError::InvalidCode => "invalid code value",
        ElementError::InvalidDate => "invalid date",
        ElementError::InvalidTime => "invalid time",
        ElementError::ExclusionViolated => "exclusion condition violated",
        ElementError::TooManyRepetitions => "too many repetitions",
        ElementError::TooManyComponents => "too many components",
        ElementError::ImplementationMissing => "element the partner requires missing",
        ElementError::NotUsedInImplementation => "code value the partner does not use",
    };
    let name = format!("{segment_id}{:02}", e.position.element);
    match (&e.data, e.ref_num) {
        (Some(d), Some(r)) => format!("{what} in {name} (element {r}): {d:?}"),
        (Some(d), None) => format!("{what} in {name}: {d:?}"),
        (None, Some(r)) => format!("{what}: {name} (element {r})"),
        (None, None) => format!("{what}: {name}"),
    }
}
