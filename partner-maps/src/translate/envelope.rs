//! Sets whose interchange or group the acknowledgment rejects are not processed.
//!
//! A TA1 `R` says the whole interchange is rejected, nothing processed; an AK9 `R` with a
//! group-level code (AK905) says the same of the group. Some of those faults are only known
//! at the trailer (IEA or GE counts and control numbers, a missing trailer), after the
//! translation has handed the sets out, and holding a whole interchange's documents back
//! would let memory grow with the file. So a caller that can read its input twice (a file,
//! the raw store) checks the envelopes first with [`envelope_rejections`], a reading of the
//! envelope only at several times the speed of translating, and turns the outcome of every
//! set in a rejected envelope into [`TranslateError::EnvelopeRejected`] with
//! [`EnvelopeRejections::apply`]. The acknowledgment itself comes from the translation's
//! reports, which carry the same rejections.

use std::io::Read;

use x12::diagnostic::{Code, GroupError, Ta1Note};
use x12::validate::{ValidateOptions, validate_stream};
use x12::{Location, ReaderOptions};

use super::{SetOutcome, TranslateError};

/// The envelopes of an input, in input order, each with the first reason it is rejected.
#[derive(Debug, Default, Clone)]
pub struct EnvelopeRejections {
    /// Each interchange's ISA offset and, when rejected, its TA105 code.
    interchanges: Vec<(u64, Option<Ta1Note>)>,
    /// Each group's GS offset and, when rejected, its AK905 code.
    groups: Vec<(u64, Option<GroupError>)>,
}

/// Reads the envelopes of `read` (ISA/GS/ST..SE/GE/IEA, no element syntax) as the
/// translation will, with `reader`, and keeps which are rejected.
pub fn envelope_rejections<R: Read>(read: R, reader: ReaderOptions) -> EnvelopeRejections {
    let options = ValidateOptions {
        envelope_only: true,
        ..ValidateOptions::default()
    };
    let mut found = EnvelopeRejections::default();
    validate_stream(
        read,
        reader,
        options,
        |_| {},
        |report| {
            found
                .interchanges
                .push((report.offset, report.errors.first().copied()));
            found.groups.extend(
                report
                    .groups
                    .iter()
                    .map(|g| (g.offset, g.errors.first().copied())),
            );
        },
    );
    found
}

impl EnvelopeRejections {
    /// True when no envelope is rejected.
    pub fn is_empty(&self) -> bool {
        self.interchanges.iter().all(|(_, r)| r.is_none())
            && self.groups.iter().all(|(_, r)| r.is_none())
    }

    /// Turns `outcome` into [`TranslateError::EnvelopeRejected`] when its set lies in a
    /// rejected interchange or group: its documents are dropped, its acknowledgment (a
    /// received 997/999) too. Outcomes of sets already failed keep their own error.
    pub fn apply(&self, outcome: &mut SetOutcome, file: Option<&str>) {
        if outcome.result.is_err() && outcome.acknowledgment.is_none() {
            return;
        }
        let Some(code) = self.rejection_at(outcome.offset) else {
            return;
        };
        outcome.acknowledgment = None;
        outcome.result = Err(TranslateError::EnvelopeRejected {
            location: Location {
                file: file.map(str::to_owned),
                offset: outcome.offset,
                interchange: Some(outcome.interchange.clone()),
                group: (!outcome.group.is_empty()).then(|| outcome.group.clone()),
                set: Some(outcome.set.clone()),
                segment: Some((1, "ST".to_owned())),
                element: None,
            },
            code,
        });
    }

    /// The rejection of the envelope around byte `offset`: its interchange's, else its
    /// group's.
    fn rejection_at(&self, offset: u64) -> Option<Code> {
        let (isa, note) = last_before(&self.interchanges, offset)?;
        if let Some(note) = note {
            return Some(Code::Interchange(note));
        }
        // Only a group of the same interchange: a TA1 received outside any group must not
        // take the rejection of a group in an interchange before it.
        match last_before(&self.groups, offset)? {
            (gs, Some(error)) if gs > isa => Some(Code::Group(error)),
            _ => None,
        }
    }
}

/// The last envelope in `list` (by offset, in input order) that starts before `offset`: its
/// offset and rejection.
fn last_before<T: Copy>(list: &[(u64, Option<T>)], offset: u64) -> Option<(u64, Option<T>)> {
    let i = list.partition_point(|(at, _)| *at < offset);
    list[..i].last().copied()
}
