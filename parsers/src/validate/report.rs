//! What the validator learnt about each interchange: the input for 997/999/TA1 and for the
//! `parse` structure view. Only sets with errors keep their details (unless asked to keep
//! all), so a report's size follows the number of errors, not the size of the file.

use crate::diagnostic::{GroupError, SegmentError, SetError, Ta1Note};
use crate::dict::Version;
use crate::tokenizer::Delimiters;

use super::syntax::ElementIssue;

/// The ISA fields an acknowledgment echoes or swaps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IsaInfo {
    /// ISA05.
    pub sender_qualifier: String,
    /// ISA06, trimmed.
    pub sender_id: String,
    /// ISA07.
    pub receiver_qualifier: String,
    /// ISA08, trimmed.
    pub receiver_id: String,
    /// ISA09 YYMMDD.
    pub date: String,
    /// ISA10 HHMM.
    pub time: String,
    /// ISA12, e.g. `00401`.
    pub version: String,
    /// ISA13.
    pub control_number: String,
    /// ISA14: `1` asks for a TA1.
    pub ack_requested: String,
    /// ISA15 `P`/`T`.
    pub usage: String,
}

impl IsaInfo {
    /// Builds the header from ISA element `n` (1-based) as given by `field`; ISA06/ISA08
    /// padding is trimmed, as partner ids are matched without it.
    pub fn from_fields(field: impl Fn(usize) -> String) -> Self {
        IsaInfo {
            sender_qualifier: field(5),
            sender_id: field(6).trim_end().to_owned(),
            receiver_qualifier: field(7),
            receiver_id: field(8).trim_end().to_owned(),
            date: field(9),
            time: field(10),
            version: field(12),
            control_number: field(13),
            ack_requested: field(14),
            usage: field(15),
        }
    }

    /// Builds the header from an ISA segment.
    pub fn from_segment(seg: &crate::tokenizer::Segment<'_>) -> Self {
        Self::from_fields(|n| seg.text(n).unwrap_or("").to_owned())
    }
}

/// One interchange, ISA to IEA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterchangeReport {
    /// Header fields.
    pub isa: IsaInfo,
    /// Delimiters the interchange used.
    pub delimiters: Delimiters,
    /// Byte offset of the ISA.
    pub offset: u64,
    /// Interchange-level errors (TA1 notes); empty means accepted.
    pub errors: Vec<Ta1Note>,
    /// Defects tolerated (lenient ISA reading): the TA1 says accepted with errors.
    pub warnings: Vec<Ta1Note>,
    /// Functional groups in order.
    pub groups: Vec<GroupReport>,
    /// TA1 segments received inside this interchange (it is itself an acknowledgment).
    pub ta1_received: u32,
    /// Those TA1 segments' elements, in order, for the gateway to apply (a TA1 answering an
    /// interchange we sent); bounded by [`MAX_TA1_KEPT`].
    pub ta1s: Vec<ReceivedTa1>,
}

/// TA1s kept per interchange: a TA1 answers one interchange, so a partner sends one or a
/// few; past this many the count goes on but their elements are not kept.
pub const MAX_TA1_KEPT: usize = 64;

/// A TA1 segment received outside any group, its elements as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceivedTa1 {
    /// TA101: the ISA13 of the interchange it answers.
    pub control_number: String,
    /// TA102: that interchange's ISA09, `YYMMDD`.
    pub date: String,
    /// TA103: its ISA10, `HHMM`.
    pub time: String,
    /// TA104: `A`, `E` or `R`.
    pub status: String,
    /// TA105 note code.
    pub note_code: String,
    /// Byte offset of the TA1 segment.
    pub offset: u64,
}

impl InterchangeReport {
    /// True when the interchange envelope itself is in error (TA1 `R`).
    pub fn rejected(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The group whose GS06 is `control` and that holds the set at byte `set_offset`: the
    /// last such group starting before it (a file may repeat a GS06; the validator reports
    /// that, and each set still belongs to the group it came in).
    pub fn group_of(&mut self, control: &str, set_offset: u64) -> Option<&mut GroupReport> {
        self.groups
            .iter_mut()
            .rev()
            .find(|g| g.control_number == control && g.offset < set_offset)
    }

    /// Folds errors found in a set after its interchange was reported (checks left to the
    /// set's holder, a typed reading or mapping that failed) into the set's report in the
    /// group whose GS06 is `group`: its codes and segment issues are added to the set's
    /// entry, found by ST02 and offset; a set not listed (only sets in error are, unless
    /// every set is kept) was accepted until now and is listed at its place. The group's
    /// accepted count follows.
    pub fn fold_set(&mut self, group: &str, set: SetReport) {
        let Some(g) = self.group_of(group, set.offset) else {
            return;
        };
        match g
            .sets
            .iter_mut()
            .find(|s| s.control_number == set.control_number && s.offset == set.offset)
        {
            Some(existing) => {
                let was_accepted = existing.accepted();
                for e in set.errors {
                    if !existing.errors.contains(&e) {
                        existing.errors.push(e);
                    }
                }
                existing.segments.extend(set.segments);
                if was_accepted && !existing.accepted() {
                    g.sets_accepted = g.sets_accepted.saturating_sub(1);
                }
            }
            None => {
                let at = g.sets.partition_point(|s| s.offset < set.offset);
                g.sets.insert(at, set);
                g.sets_accepted = g.sets_accepted.saturating_sub(1);
            }
        }
    }
}

/// One functional group, GS to GE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupReport {
    /// GS01.
    pub functional_id: String,
    /// GS02.
    pub sender: String,
    /// GS03.
    pub receiver: String,
    /// GS06.
    pub control_number: String,
    /// GS08.
    pub version_code: String,
    /// GS08 when supported.
    pub version: Option<Version>,
    /// Group-level errors (AK905..AK909).
    pub errors: Vec<GroupError>,
    /// GE01 as sent: the sets the group says it includes (`None` without a readable GE).
    pub sets_included: Option<u32>,
    /// Sets received.
    pub sets_received: u32,
    /// Sets accepted (no error).
    pub sets_accepted: u32,
    /// Sets with errors, and every set when the validator keeps all.
    pub sets: Vec<SetReport>,
    /// Byte offset of the GS.
    pub offset: u64,
}

impl GroupReport {
    /// Whether a 997/999 answers this group: it is not an acknowledgment group itself (`FA`)
    /// and its GS01 can be echoed in AK101, which is the same element (479, a code of two
    /// characters). A GS01 missing, too long or no code at all would make the AK1 naming the
    /// group invalid X12 in turn; TA1 `E` `024` (invalid interchange content) answers such a
    /// group instead ([`crate::validate::Validator`] notes it).
    pub fn acknowledgeable(&self) -> bool {
        self.functional_id != "FA" && echoable_functional_id(&self.functional_id, self.version)
    }

    /// AK901: `A` all accepted, `P` some, `R` none or a group-level error.
    pub fn status(&self) -> &'static str {
        if !self.errors.is_empty() || (self.sets_received > 0 && self.sets_accepted == 0) {
            "R"
        } else if self.sets_accepted < self.sets_received {
            "P"
        } else {
            "A"
        }
    }
}

/// One transaction set, ST to SE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetReport {
    /// ST01.
    pub id: String,
    /// ST02.
    pub control_number: String,
    /// ST03 (005010), echoed in AK203.
    pub implementation_ref: Option<String>,
    /// Set-level errors (AK502..AK506).
    pub errors: Vec<SetError>,
    /// Segment findings (AK3 with their AK4s).
    pub segments: Vec<SegmentIssue>,
    /// Segments counted ST..SE.
    pub segment_count: u32,
    /// Byte offset of the ST.
    pub offset: u64,
}

impl SetReport {
    /// True when the set has no error at any level.
    pub fn accepted(&self) -> bool {
        self.errors.is_empty() && self.segments.is_empty()
    }
}

/// A segment in error (AK3/IK3 with AK4/IK4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentIssue {
    /// AK301 segment id.
    pub id: String,
    /// AK302 position from ST = 1.
    pub position: u32,
    /// AK303 loop identifier.
    pub loop_id: Option<String>,
    /// AK304; `HasElementErrors` when only elements are wrong.
    pub error: SegmentError,
    /// AK4s.
    pub elements: Vec<ElementIssue>,
    /// Business context for a 999 CTX, e.g. (`PAD01`, `3`) for claim line 3.
    pub context: Option<(String, String)>,
}

/// True when `gs01` is a functional identifier code (element 479) the AK101 of an
/// acknowledgment in `version` (004010 when the group's is not supported) may carry.
pub(crate) fn echoable_functional_id(gs01: &str, version: Option<Version>) -> bool {
    crate::dict::segment(version.unwrap_or(Version::V004010), "AK1")
        .and_then(|ak1| ak1.elements.first())
        .is_some_and(|ak101| {
            (usize::from(ak101.min)..=usize::from(ak101.max)).contains(&gs01.len())
                && ak101.accepts_code(gs01)
        })
}
