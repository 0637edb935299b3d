//! The streaming validator: feed it segments in file order, drain diagnostics and finished
//! interchange reports as you go. It keeps only the envelope it is inside, the control numbers
//! it must check for uniqueness, and the findings, so memory does not grow with file size.

use std::collections::HashMap;

use crate::diagnostic::{
    Code, Diagnostic, ElementError, GroupError, Location, SetError, Severity, Ta1Note,
};
use crate::dict::{self, SetDef, Version};
use crate::tokenizer::delimiters::DelimiterError;
use crate::tokenizer::{Delimiters, Segment, TokenError};

use super::control::ControlNumbers;
use super::report::{GroupReport, InterchangeReport, IsaInfo, SetReport};
use super::set_check::{CheckMemo, OwedChecks, SetCheck, element_message};
use super::syntax::{self, ElementIssue};

/// What to check and how much to keep.
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    /// File name used in locations.
    pub file: Option<String>,
    /// Skip element and segment syntax checks (envelope checks only).
    pub envelope_only: bool,
    /// Keep a report for every set, not only those in error (profile "list every set").
    pub keep_all_sets: bool,
    /// Leave the checks inside each set (grammar and elements) to whoever takes the set
    /// from a [`crate::stream::SetReader`], which hands it out with the checks owed; they
    /// run with [`super::check_set`], on any thread. Only the envelope is checked as read.
    /// A set the reader cannot hand out (it lacks its SE, or is too big) is still checked
    /// by the reader. A [`Validator`] used on its own ignores this and checks every set.
    pub defer_set_checks: bool,
    /// An 867 line may open with LIN, its QTY right after (the partner's profile says
    /// `lenient_867_line_order`); otherwise such a LIN is out of place, as the standard has it.
    pub lenient_867_line_order: bool,
    /// The senders whose 867 lines may open with LIN, for a reader that finds the partner
    /// only at each ISA/GS (the gateway): a set of theirs is checked so even when the reader
    /// checks it itself (a set it cannot hand out, lacking its SE).
    pub lenient_867_senders: Vec<LenientSender>,
}

/// A sender whose 867 lines may open with LIN: its ISA05/ISA06 and the GS02 ids it sends
/// under.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LenientSender {
    /// ISA05.
    pub isa_qualifier: String,
    /// ISA06, trimmed.
    pub isa_id: String,
    /// GS02 values.
    pub gs_ids: Vec<String>,
}

struct OpenSet {
    report: SetReport,
    /// The checks inside the set, when they run as it is read.
    check: Option<SetCheck>,
    /// The checks left to the set's holder (deferred), until they are handed over or taken
    /// back ([`Validator::check_open_set`]).
    owed: Option<(Version, &'static SetDef)>,
}

struct OpenGroup {
    report: GroupReport,
    set_numbers: ControlNumbers,
    declared_sets_seen: u32,
}

struct OpenInterchange {
    report: InterchangeReport,
    group_numbers: ControlNumbers,
    groups_seen: u32,
}

/// Streaming envelope and syntax validator.
pub struct Validator {
    opts: ValidateOptions,
    interchange: Option<OpenInterchange>,
    group: Option<OpenGroup>,
    set: Option<OpenSet>,
    /// ISA13s used in this file, per sender (ISA06).
    interchange_numbers: HashMap<String, ControlNumbers>,
    diagnostics: Vec<Diagnostic>,
    finished: Vec<InterchangeReport>,
    element_scratch: Vec<ElementIssue>,
    /// Codes found in their lists and segments found clean, checked again only when their
    /// bytes differ.
    memo: CheckMemo,
    last_offset: u64,
    /// [`OpenSet::separator_free`] of the set the last SE closed, until taken.
    closed_separator_free: Option<bool>,
    /// The checks owed by the holder of the set the last SE closed, until taken.
    closed_owed: Option<OwedChecks>,
    /// Leave the checks inside sets to their holder: only a [`crate::stream::SetReader`],
    /// which hands sets out, asks for it.
    defer: bool,
    /// The last ISA read: bytes after its IEA that are no interchange came from its sender.
    last_isa: Option<IsaInfo>,
    /// Segments outside a transaction set since the first one reported, until an envelope
    /// segment ends the run ([`Validator::end_orphan_run`]).
    orphan_run: Option<OrphanRun>,
}

/// A run of segments outside any set (a broken or missing ST or GS orphans every segment of
/// its set): the first is reported where it is, the rest in one finding, not one each.
#[derive(Debug, Clone, Copy)]
struct OrphanRun {
    /// Segments after the first.
    more: u32,
    /// Offset of the last.
    last: u64,
}

impl Validator {
    /// A validator with the given options.
    pub fn new(opts: ValidateOptions) -> Self {
        Validator {
            opts,
            interchange: None,
            group: None,
            set: None,
            interchange_numbers: HashMap::new(),
            diagnostics: Vec::new(),
            finished: Vec::new(),
            element_scratch: Vec::new(),
            memo: CheckMemo::default(),
            last_offset: 0,
            closed_separator_free: None,
            closed_owed: None,
            defer: false,
            last_isa: None,
            orphan_run: None,
        }
    }

    /// Findings since the last call.
    pub fn take_diagnostics(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.diagnostics)
    }

    /// Moves the waiting findings to the end of `out`.
    pub fn drain_diagnostics_into(&mut self, out: &mut Vec<Diagnostic>) {
        if !self.diagnostics.is_empty() {
            out.append(&mut self.diagnostics);
        }
    }

    /// True when findings are waiting to be taken.
    pub fn has_diagnostics(&self) -> bool {
        !self.diagnostics.is_empty()
    }

    /// True when completed interchanges are waiting to be taken.
    pub fn has_reports(&self) -> bool {
        !self.finished.is_empty()
    }

    /// Interchanges completed since the last call.
    pub fn take_reports(&mut self) -> Vec<InterchangeReport> {
        std::mem::take(&mut self.finished)
    }

    /// Whether every element of the set the last SE closed was checked against its
    /// definition and none holds a repetition or component separator; `None` when the last
    /// SE closed no set, or once taken. A typed reader then need not search each element
    /// for them again.
    pub fn take_separator_free(&mut self) -> Option<bool> {
        self.closed_separator_free.take()
    }

    /// Checks one segment.
    // Always inlined, with the envelope out of line: a call per segment would force the
    // segment out of registers into memory in the caller's loop.
    #[inline(always)]
    pub fn feed(&mut self, seg: &Segment<'_>) {
        self.last_offset = seg.offset();
        let id = seg.id();
        // Nearly every segment is a body segment: decide that with one byte compare before
        // matching the envelope ids.
        if id.len() > 3 || !matches!(id.first(), Some(b'I' | b'G' | b'S' | b'T')) {
            self.on_body(seg);
        } else {
            // By value: a copy made only here, so that the caller's segment never needs an
            // address (which costs a store and a stalled reload of it per segment).
            self.on_envelope(*seg);
        }
    }

    #[inline(never)]
    fn on_envelope(&mut self, seg: Segment<'_>) {
        let seg = &seg;
        if self.orphan_run.is_some()
            && matches!(
                seg.id(),
                b"ISA" | b"IEA" | b"GS" | b"GE" | b"ST" | b"SE" | b"TA1"
            )
        {
            self.end_orphan_run();
        }
        match seg.id() {
            b"ISA" => self.on_isa(seg),
            b"IEA" => self.on_iea(seg),
            b"GS" => self.on_gs(seg),
            b"GE" => self.on_ge(seg),
            b"ST" => self.on_st(seg),
            b"SE" => self.on_se(seg),
            b"TA1" if self.set.is_none() && self.group.is_none() => {
                if let Some(i) = &mut self.interchange {
                    i.report.ta1_received += 1;
                    if i.report.ta1s.len() < super::report::MAX_TA1_KEPT {
                        let text = |n: usize| seg.text(n).unwrap_or("").trim().to_owned();
                        i.report.ta1s.push(super::report::ReceivedTa1 {
                            control_number: text(1),
                            date: text(2),
                            time: text(3),
                            status: text(4),
                            note_code: text(5),
                            offset: seg.offset(),
                        });
                    }
                }
                // A TA1 is envelope: its elements are checked as the GS's are, so a TA1
                // whose TA102 is no date (which links it to no interchange) is reported
                // where it is, instead of passing as valid and being dropped unsaid.
                let version = match self
                    .interchange
                    .as_ref()
                    .map(|i| i.report.isa.version.as_str())
                {
                    Some("00501") => Version::V005010,
                    _ => Version::V004010,
                };
                if let Some(def) = dict::segment(version, "TA1") {
                    self.element_checks_outside_set(seg, def);
                }
            }
            _ => self.on_body(seg),
        }
    }

    /// Reports a tokenizer failure (the input cannot be read further) against the open
    /// envelope, then closes everything.
    pub fn fail(&mut self, err: &TokenError) {
        let note = match err {
            TokenError::Isa { source, .. } => match source {
                DelimiterError::InvalidElementSeparator(_) => Ta1Note::InvalidElementSeparator,
                DelimiterError::InvalidComponentSeparator(_) => Ta1Note::InvalidComponentSeparator,
                DelimiterError::InvalidSegmentTerminator(_)
                | DelimiterError::InvalidRepetitionSeparator(_) => {
                    Ta1Note::InvalidSegmentTerminator
                }
                DelimiterError::Truncated | DelimiterError::Empty => Ta1Note::PrematureEndOfFile,
                _ => Ta1Note::InvalidControlStructure,
            },
            TokenError::Unterminated { .. } => Ta1Note::PrematureEndOfFile,
            TokenError::SegmentTooLong { .. } | TokenError::Io { .. } => {
                Ta1Note::InvalidControlStructure
            }
        };
        self.end_orphan_run();
        self.last_offset = err.offset();
        // The location already carries the offset; say only what went wrong.
        let msg = match err {
            TokenError::Isa { source, .. } => source.to_string(),
            TokenError::Io { source, .. } => format!("read failed: {source}"),
            TokenError::Unterminated { .. } => "input ends inside a segment".to_owned(),
            TokenError::SegmentTooLong { limit, .. } => {
                format!("segment longer than {limit} bytes")
            }
        };
        if self.interchange.is_none() {
            // An unreadable header still gets its TA1, echoing what could be salvaged.
            let isa = match err {
                TokenError::Isa { salvaged, .. } => {
                    let f = |n: usize| {
                        salvaged
                            .get(n - 1)
                            .map(|s| s.trim().to_owned())
                            .unwrap_or_default()
                    };
                    IsaInfo::from_fields(f)
                }
                _ => IsaInfo::default(),
            };
            let isa = match &self.last_isa {
                // Bytes after an interchange that are no interchange (trailing garbage, a
                // truncated second ISA): their TA1 goes to the sender of the file, whose ids
                // the interchange before named, not to an unknown party.
                Some(last) if isa.sender_id.is_empty() && isa.receiver_id.is_empty() => IsaInfo {
                    sender_qualifier: last.sender_qualifier.clone(),
                    sender_id: last.sender_id.clone(),
                    receiver_qualifier: last.receiver_qualifier.clone(),
                    receiver_id: last.receiver_id.clone(),
                    version: last.version.clone(),
                    usage: last.usage.clone(),
                    ..isa
                },
                _ => isa,
            };
            self.interchange = Some(OpenInterchange {
                report: InterchangeReport {
                    isa,
                    delimiters: Delimiters::STANDARD,
                    offset: err.offset(),
                    errors: Vec::new(),
                    warnings: Vec::new(),
                    groups: Vec::new(),
                    ta1_received: 0,
                    ta1s: Vec::new(),
                },
                group_numbers: ControlNumbers::default(),
                groups_seen: 0,
            });
        }
        self.interchange_error(note, msg);
        self.close_interchange();
    }

    /// Ends the input: anything still open lacks its trailers.
    pub fn finish(&mut self) {
        self.end_orphan_run();
        if self.interchange.is_some() {
            self.interchange_error(Ta1Note::PrematureEndOfFile, "input ends before IEA".into());
            self.close_interchange();
        }
    }

    /// True when the open group's 867 lines may open with LIN: asked for all, or its sender
    /// is one of [`ValidateOptions::lenient_867_senders`].
    fn lin_first(&self) -> bool {
        if self.opts.lenient_867_line_order {
            return true;
        }
        let (Some(i), Some(g)) = (&self.interchange, &self.group) else {
            return false;
        };
        let isa = &i.report.isa;
        self.opts.lenient_867_senders.iter().any(|s| {
            s.isa_qualifier.trim() == isa.sender_qualifier.trim()
                && s.isa_id.trim() == isa.sender_id.trim()
                && s.gs_ids
                    .iter()
                    .any(|gs| gs.trim() == g.report.sender.trim())
        })
    }

    fn location(&self) -> Location {
        Location {
            file: self.opts.file.clone(),
            offset: self.last_offset,
            interchange: self
                .interchange
                .as_ref()
                .map(|i| i.report.isa.control_number.clone()),
            group: self.group.as_ref().map(|g| g.report.control_number.clone()),
            set: self.set.as_ref().map(|s| s.report.control_number.clone()),
            segment: None,
            element: None,
        }
    }

    fn push(&mut self, severity: Severity, code: Code, location: Location, message: String) {
        self.diagnostics.push(Diagnostic {
            severity,
            code,
            location,
            message,
        });
    }

    fn interchange_error(&mut self, note: Ta1Note, message: String) {
        let loc = self.location();
        if let Some(i) = &mut self.interchange
            && !i.report.errors.contains(&note)
        {
            i.report.errors.push(note);
        }
        self.push(Severity::Error, Code::Interchange(note), loc, message);
    }

    fn group_error(&mut self, e: GroupError, message: String) {
        let mut loc = self.location();
        loc.set = None;
        if let Some(g) = &mut self.group
            && !g.report.errors.contains(&e)
        {
            g.report.errors.push(e);
        }
        self.push(Severity::Error, Code::Group(e), loc, message);
    }

    fn set_error(&mut self, e: SetError, message: String) {
        let loc = self.location();
        if let Some(s) = &mut self.set
            && !s.report.errors.contains(&e)
        {
            s.report.errors.push(e);
        }
        self.push(Severity::Error, Code::Set(e), loc, message);
    }

    // ---- ISA / IEA -------------------------------------------------------------------

    fn on_isa(&mut self, seg: &Segment<'_>) {
        if self.interchange.is_some() {
            self.interchange_error(
                Ta1Note::PrematureEndOfFile,
                "ISA before the IEA of the previous interchange".into(),
            );
            self.close_interchange();
        }
        let isa = IsaInfo::from_segment(seg);
        self.last_isa = Some(isa.clone());
        self.interchange = Some(OpenInterchange {
            report: InterchangeReport {
                isa,
                delimiters: seg.delimiters(),
                offset: seg.offset(),
                errors: Vec::new(),
                warnings: Vec::new(),
                groups: Vec::new(),
                ta1_received: 0,
                ta1s: Vec::new(),
            },
            group_numbers: ControlNumbers::default(),
            groups_seen: 0,
        });
        self.check_isa_fields(seg);
    }

    fn check_isa_fields(&mut self, seg: &Segment<'_>) {
        /// ISA05/ISA07 (element I05): the codes of the 004010 and 005010 lists together, so
        /// a qualifier valid in either is taken (TA105 005/007 for any other, e.g. `QQ`).
        const ISA_ID_QUALIFIERS: &[&[u8]] = &[
            b"01", b"02", b"03", b"04", b"07", b"08", b"09", b"10", b"11", b"12", b"13", b"14",
            b"15", b"16", b"17", b"18", b"19", b"20", b"21", b"22", b"23", b"24", b"25", b"26",
            b"27", b"28", b"29", b"30", b"31", b"32", b"33", b"34", b"35", b"36", b"37", b"38",
            b"AM", b"NR", b"SA", b"SN", b"ZZ",
        ];
        // Only a lenient reader hands out an ISA that is not 106 bytes; its width faults are
        // then tolerated defects (TA1 `E`), not rejections.
        let tolerated = seg.raw().len() + 1 != crate::tokenizer::delimiters::ISA_LEN;
        if tolerated {
            self.warn_interchange(
                Ta1Note::InvalidControlStructure,
                &format!(
                    "ISA is {} bytes, not 106; read by counting separators",
                    seg.raw().len() + 1
                ),
            );
        }
        let raw = |n: usize| seg.element(n).unwrap_or(b"");
        let fixed = |n: usize, len: usize| raw(n).len() == len;
        if seg.element_count() != 16 {
            self.interchange_error(
                Ta1Note::InvalidControlStructure,
                format!("ISA has {} elements, expected 16", seg.element_count()),
            );
        }
        if !fixed(1, 2)
            || !matches!(
                raw(1),
                b"00" | b"01" | b"02" | b"03" | b"04" | b"05" | b"06" | b"07" | b"08"
            )
        {
            self.interchange_error(
                Ta1Note::InvalidAuthorizationQualifier,
                "invalid ISA01 authorization qualifier".into(),
            );
        }
        if !fixed(2, 10) {
            self.interchange_error(
                Ta1Note::InvalidAuthorizationValue,
                "ISA02 must be 10 characters".into(),
            );
        }
        if !fixed(3, 2) || !matches!(raw(3), b"00" | b"01") {
            self.interchange_error(
                Ta1Note::InvalidSecurityQualifier,
                "invalid ISA03 security qualifier".into(),
            );
        }
        if !fixed(4, 10) {
            self.interchange_error(
                Ta1Note::InvalidSecurityValue,
                "ISA04 must be 10 characters".into(),
            );
        }
        let qualifier_ok = |q: &[u8]| ISA_ID_QUALIFIERS.contains(&q);
        if !qualifier_ok(raw(5)) {
            self.interchange_error(
                Ta1Note::InvalidSenderQualifier,
                "invalid ISA05 sender qualifier".into(),
            );
        }
        let msg = format!(
            "ISA06 sender id must be 15 characters, got {}",
            raw(6).len()
        );
        if raw(6).iter().all(|&b| b == b' ') || (!fixed(6, 15) && !tolerated) {
            self.interchange_error(Ta1Note::InvalidSenderId, msg);
        } else if !fixed(6, 15) {
            self.warn_interchange(Ta1Note::InvalidSenderId, &msg);
        }
        if !qualifier_ok(raw(7)) {
            self.interchange_error(
                Ta1Note::InvalidReceiverQualifier,
                "invalid ISA07 receiver qualifier".into(),
            );
        }
        let msg = format!(
            "ISA08 receiver id must be 15 characters, got {}",
            raw(8).len()
        );
        if raw(8).iter().all(|&b| b == b' ') || (!fixed(8, 15) && !tolerated) {
            self.interchange_error(Ta1Note::InvalidReceiverId, msg);
        } else if !fixed(8, 15) {
            self.warn_interchange(Ta1Note::InvalidReceiverId, &msg);
        }
        if super::datatype::check_date(raw(9)).is_err() || raw(9).len() != 6 {
            self.interchange_error(Ta1Note::InvalidDate, "invalid ISA09 date".into());
        }
        if super::datatype::check_time(raw(10)).is_err() || raw(10).len() != 4 {
            self.interchange_error(Ta1Note::InvalidTime, "invalid ISA10 time".into());
        }
        let version = raw(12);
        if version.len() != 5 || !version.iter().all(u8::is_ascii_digit) {
            self.interchange_error(Ta1Note::InvalidVersion, "invalid ISA12 version".into());
        } else if version != b"00401" && version != b"00501" {
            self.interchange_error(
                Ta1Note::VersionNotSupported,
                format!(
                    "ISA12 version {} not supported",
                    String::from_utf8_lossy(version)
                ),
            );
        }
        if version == b"00401" && raw(11) != b"U" {
            self.interchange_error(
                Ta1Note::InvalidStandardsId,
                "ISA11 must be U in 00401".into(),
            );
        }
        // From 00501 ISA11 is the repetition separator: a delimiter, so not a letter or a
        // digit (x12-chargeback 2.2, step 5); a 00401 `U` left there is no separator. Nor a
        // space, which data holds ("ACME HOSPITAL" would be two repeats).
        if version == b"00501" && raw(11) == b" " {
            self.interchange_error(
                Ta1Note::InvalidStandardsId,
                "ISA11 is a space: in 00501 a space cannot be the repetition separator".into(),
            );
        } else if version == b"00501" && raw(11).first().is_none_or(u8::is_ascii_alphanumeric) {
            self.interchange_error(
                Ta1Note::InvalidStandardsId,
                format!(
                    "ISA11 {:?} is no repetition separator: in 00501 it must not be a letter or digit",
                    String::from_utf8_lossy(raw(11))
                ),
            );
        }
        let icn = raw(13);
        if icn.len() != 9 || !icn.iter().all(u8::is_ascii_digit) {
            self.interchange_error(
                Ta1Note::InvalidControlNumber,
                "ISA13 must be 9 digits".into(),
            );
        } else {
            let icn = String::from_utf8_lossy(icn).into_owned();
            let sender = String::from_utf8_lossy(raw(6)).trim_end().to_owned();
            if !self
                .interchange_numbers
                .entry(sender)
                .or_default()
                .insert(&icn)
            {
                self.interchange_error(
                    Ta1Note::DuplicateControlNumber,
                    format!("ISA13 {icn} already used in this file"),
                );
            }
        }
        match raw(14) {
            b"0" | b"1" => {}
            b"2" | b"3" => self.warn_interchange(
                Ta1Note::InvalidAckRequested,
                "ISA14 value not used in 004010/005010",
            ),
            _ => {
                self.interchange_error(Ta1Note::InvalidAckRequested, "ISA14 must be 0 or 1".into())
            }
        }
        match raw(15) {
            b"P" | b"T" => {}
            b"I" => self.warn_interchange(
                Ta1Note::InvalidTestIndicator,
                "ISA15 I (information) accepted",
            ),
            _ => {
                self.interchange_error(Ta1Note::InvalidTestIndicator, "ISA15 must be P or T".into())
            }
        }
        if raw(16).len() != 1 {
            self.interchange_error(
                Ta1Note::InvalidComponentSeparator,
                "ISA16 must be one character".into(),
            );
        }
    }

    fn warn_interchange(&mut self, note: Ta1Note, message: &str) {
        let loc = self.location();
        if let Some(i) = &mut self.interchange
            && !i.report.warnings.contains(&note)
        {
            i.report.warnings.push(note);
        }
        self.push(
            Severity::Warning,
            Code::Interchange(note),
            loc,
            message.into(),
        );
    }

    fn on_iea(&mut self, seg: &Segment<'_>) {
        if self.interchange.is_none() {
            self.orphan(*seg, "IEA without ISA");
            return;
        }
        if self.group.is_some() {
            self.close_group_missing_trailer();
        }
        let (groups, isa13) = match &self.interchange {
            Some(i) => (i.groups_seen, i.report.isa.control_number.clone()),
            None => (0, String::new()),
        };
        let (count, control) = trailer_mismatches(seg, groups, "groups", &isa13, "ISA13");
        if let Some(message) = count {
            self.interchange_error(Ta1Note::InvalidGroupCount, message);
        }
        if let Some(message) = control {
            self.interchange_error(Ta1Note::ControlNumberMismatch, message);
        }
        self.close_interchange();
    }

    fn close_interchange(&mut self) {
        if self.group.is_some() {
            self.close_group_missing_trailer();
        }
        if let Some(i) = self.interchange.take() {
            self.finished.push(i.report);
        }
    }

    /// A segment outside any set: the first of a run is reported, the others counted.
    #[cold]
    #[inline(never)]
    fn orphan_body(&mut self, seg: Segment<'_>) {
        if let Some(run) = &mut self.orphan_run {
            run.more += 1;
            run.last = seg.offset();
            return;
        }
        self.orphan(seg, "segment outside a transaction set");
        self.orphan_run = Some(OrphanRun {
            more: 0,
            last: seg.offset(),
        });
    }

    /// Reports the segments of the open run after its first, in one finding at the last.
    fn end_orphan_run(&mut self) {
        let Some(run) = self.orphan_run.take() else {
            return;
        };
        if run.more == 0 {
            return;
        }
        let mut loc = self.location();
        loc.offset = run.last;
        let (n, s) = (run.more, if run.more == 1 { "" } else { "s" });
        self.push(
            Severity::Error,
            Code::Interchange(Ta1Note::InvalidControlStructure),
            loc,
            format!(
                "{n} more segment{s} outside a transaction set after it, the last at byte {}",
                run.last
            ),
        );
    }

    #[cold]
    #[inline(never)]
    fn orphan(&mut self, seg: Segment<'_>, what: &str) {
        let loc = self.location();
        self.push(
            Severity::Error,
            Code::Interchange(Ta1Note::InvalidControlStructure),
            loc,
            format!("{what} ({:?} at byte {})", seg.id_str(), seg.offset()),
        );
        if let Some(i) = &mut self.interchange
            && !i.report.errors.contains(&Ta1Note::InvalidControlStructure)
        {
            i.report.errors.push(Ta1Note::InvalidControlStructure);
        }
    }

    // ---- GS / GE ---------------------------------------------------------------------

    fn on_gs(&mut self, seg: &Segment<'_>) {
        if self.interchange.is_none() {
            self.orphan(*seg, "GS outside an interchange");
            return;
        }
        if self.group.is_some() {
            self.close_group_missing_trailer();
        }
        let t = |n: usize| seg.text(n).unwrap_or("").to_owned();
        let version_code = t(8);
        let version = Version::from_gs08(&version_code);
        let control_number = t(6);
        self.group = Some(OpenGroup {
            report: GroupReport {
                functional_id: t(1),
                sender: t(2),
                receiver: t(3),
                control_number: control_number.clone(),
                version_code: version_code.clone(),
                version,
                errors: Vec::new(),
                sets_included: None,
                sets_received: 0,
                sets_accepted: 0,
                sets: Vec::new(),
                offset: seg.offset(),
            },
            set_numbers: ControlNumbers::default(),
            declared_sets_seen: 0,
        });
        if let Some(i) = &mut self.interchange {
            i.groups_seen += 1;
        }
        if control_number.is_empty()
            || control_number.len() > 9
            || !control_number.bytes().all(|b| b.is_ascii_digit())
        {
            self.group_error(
                GroupError::ControlNumberSyntax,
                format!("GS06 {control_number:?} is not a 1-9 digit number"),
            );
        } else {
            let unique = self
                .interchange
                .as_mut()
                .is_some_and(|i| i.group_numbers.insert(&control_number));
            if !unique {
                self.group_error(
                    GroupError::ControlNumberNotUnique,
                    format!("GS06 {control_number} used twice in the interchange"),
                );
            }
        }
        if version.is_none() {
            self.group_error(
                GroupError::VersionNotSupported,
                format!("GS08 version {version_code:?} not supported (004010 and 005010 are)"),
            );
        }
        if !matches!(t(1).as_str(), "CF" | "PA" | "PT" | "FA") {
            self.group_error(
                GroupError::NotSupported,
                format!("functional group {:?} not supported", t(1)),
            );
        }
        if !super::report::echoable_functional_id(&t(1), version) {
            self.warn_interchange(
                Ta1Note::InvalidContent,
                &format!(
                    "GS01 {:?} is no functional identifier code (element 479): no 997 or 999 can name the group in its AK101, so TA1 E 024 answers it",
                    t(1)
                ),
            );
        }
        // The GS is envelope: its element errors reject the group, so they are checked even
        // when only the envelopes are (the translation's prepass must see that rejection).
        if let Some(v) = version
            && let Some(def) = dict::segment(v, "GS")
        {
            self.element_checks_outside_set(seg, def);
        }
    }

    fn element_checks_outside_set(&mut self, seg: &Segment<'_>, def: &dict::SegmentDef) {
        let mut issues = std::mem::take(&mut self.element_scratch);
        issues.clear();
        syntax::check_segment_with(seg, def, &mut self.memo.codes, &mut issues);
        for issue in issues.drain(..) {
            let mut loc = self.location();
            loc.set = None;
            loc.element = Some(issue.position);
            let msg = element_message(&issue, seg.id_str());
            self.push(Severity::Error, Code::Element(issue.error), loc, msg);
            if seg.id() == b"GS" && issue.error != ElementError::TooManyElements {
                let element = issue.position.element;
                let rejection = gs_element_rejection(element);
                // A rejection already given is not said twice: GS01, GS06 and GS08 have
                // checks of their own, and two bad elements may share their code.
                let said = self
                    .group
                    .as_ref()
                    .is_some_and(|g| g.report.errors.contains(&rejection));
                if !said {
                    self.group_error(
                        rejection,
                        format!("GS{element:02} in error: the functional group is rejected"),
                    );
                }
            }
        }
        self.element_scratch = issues;
    }

    fn on_ge(&mut self, seg: &Segment<'_>) {
        if self.group.is_none() {
            self.orphan(*seg, "GE without GS");
            return;
        }
        if self.set.is_some() {
            self.close_set_missing_trailer();
        }
        let (seen, gs06) = match &self.group {
            Some(g) => (g.declared_sets_seen, g.report.control_number.clone()),
            None => (0, String::new()),
        };
        if let Some(g) = &mut self.group {
            g.report.sets_included = seg.text(1).and_then(parse_count);
        }
        let (count, control) = trailer_mismatches(seg, seen, "sets", &gs06, "GS06");
        if let Some(message) = count {
            self.group_error(GroupError::SetCountMismatch, message);
        }
        if let Some(message) = control {
            self.group_error(GroupError::ControlNumberMismatch, message);
        }
        if seen == 0 {
            // A functional group holds one or more transaction sets. AK905 has no code for an
            // empty one: `5` says GE01 is not the number of sets, and a GE01 of 0 is (one that
            // says otherwise has its `5` above). So the group is rejected, AK9 `R` 0 0 0,
            // with no AK905 rather than a wrong one, as for a GS element with no code.
            self.group_error(
                GroupError::NoTransactionSets,
                "GE ends a functional group with no transaction set in it (a group holds one or more)"
                    .into(),
            );
        }
        self.close_group();
    }

    fn close_group_missing_trailer(&mut self) {
        if self.set.is_some() {
            self.close_set_missing_trailer();
        }
        self.group_error(GroupError::TrailerMissing, "GE missing".into());
        self.close_group();
    }

    fn close_group(&mut self) {
        if let Some(g) = self.group.take()
            && let Some(i) = &mut self.interchange
        {
            i.report.groups.push(g.report);
        }
    }

    // ---- ST / SE ---------------------------------------------------------------------

    fn on_st(&mut self, seg: &Segment<'_>) {
        if self.group.is_none() {
            self.orphan(*seg, "ST outside a functional group");
            if self.interchange.is_some() {
                self.interchange_error(
                    Ta1Note::InvalidContent,
                    "transaction set outside a group".into(),
                );
            }
            return;
        }
        if self.set.is_some() {
            self.close_set_missing_trailer();
        }
        // Borrowed from the segment: ST starts every set, so copies are kept to the report.
        let st01 = seg.text(1).unwrap_or("");
        let st02 = seg.text(2).unwrap_or("");
        let st03 = seg.text(3).map(str::to_owned);
        let version = match &mut self.group {
            Some(g) => {
                g.declared_sets_seen += 1;
                g.report.sets_received += 1;
                g.report.version
            }
            None => None,
        };
        let set_def = version.and_then(|v| dict::set(v, st01));
        let group_id = self
            .group
            .as_ref()
            .map_or("", |g| g.report.functional_id.as_str());
        let wrong_group = set_def.filter(|d| d.functional_id != group_id).map(|d| {
            format!(
                "set {st01} does not belong in a {group_id:?} group ({} expected)",
                d.functional_id
            )
        });
        let checked = (!self.opts.envelope_only)
            .then_some(version.zip(set_def))
            .flatten();
        self.set = Some(OpenSet {
            report: SetReport {
                id: st01.to_owned(),
                control_number: st02.to_owned(),
                implementation_ref: st03,
                errors: Vec::new(),
                segments: Vec::new(),
                segment_count: 1,
                offset: seg.offset(),
            },
            check: None,
            owed: None,
        });
        if let Some((version, def)) = checked {
            if self.defer {
                if let Some(s) = &mut self.set {
                    s.owed = Some((version, def));
                }
            } else {
                let check = SetCheck::new(version, def, self.location(), self.lin_first());
                if let Some(s) = &mut self.set {
                    s.check = Some(check);
                }
            }
        }
        if set_def.is_none() && version.is_some() {
            self.set_error(
                SetError::NotSupported,
                format!("transaction set {st01:?} not supported"),
            );
        }
        if let Some(message) = wrong_group {
            self.set_error(SetError::InvalidSetId, message);
        }
        if st02.len() < 4 || st02.len() > 9 {
            self.set_error(
                SetError::InvalidControlNumber,
                format!("ST02 {st02:?} must be 4 to 9 characters"),
            );
        } else {
            let unique = self
                .group
                .as_mut()
                .is_some_and(|g| g.set_numbers.insert(st02));
            if !unique {
                self.set_error(
                    SetError::ControlNumberNotUnique,
                    format!("ST02 {st02} used twice in the group"),
                );
            }
        }
        if !self.opts.envelope_only {
            self.check_set_segment(*seg, 1);
        }
    }

    fn on_se(&mut self, seg: &Segment<'_>) {
        if self.set.is_none() {
            self.orphan(*seg, "SE without ST");
            return;
        }
        let position = match &mut self.set {
            Some(s) => {
                s.report.segment_count += 1;
                s.report.segment_count
            }
            None => 0,
        };
        if !self.opts.envelope_only {
            self.check_set_segment(*seg, position);
        }
        self.closed_separator_free = self
            .set
            .as_ref()
            .map(|s| s.check.as_ref().is_some_and(|c| c.separator_free));
        if let Some((version, def)) = self.set.as_mut().and_then(|s| s.owed.take()) {
            self.closed_owed = Some(OwedChecks {
                version,
                def,
                location: self.location(),
                lin_first: self.lin_first(),
            });
        }
        // Borrowed from the segment, not copied: SE ends every set, so this runs often.
        let count = seg.text(1).unwrap_or("");
        let scn = seg.text(2).unwrap_or("");
        if parse_count(count) != Some(position) {
            self.set_error(
                SetError::SegmentCountMismatch,
                format!("SE01 says {count} segments, counted {position}"),
            );
        }
        let st02_matches = self
            .set
            .as_ref()
            .is_some_and(|s| s.report.control_number == scn);
        if !st02_matches {
            let st02 = self
                .set
                .as_ref()
                .map(|s| s.report.control_number.clone())
                .unwrap_or_default();
            self.set_error(
                SetError::ControlNumberMismatch,
                format!("SE02 {scn} does not match ST02 {st02}"),
            );
        }
        self.close_set(false);
    }

    fn close_set_missing_trailer(&mut self) {
        self.set_error(SetError::TrailerMissing, "SE missing".into());
        self.close_set(true);
    }

    fn close_set(&mut self, truncated: bool) {
        let Some(mut set) = self.set.take() else {
            return;
        };
        if let Some(check) = &mut set.check
            && !truncated
        {
            check.finish(self.last_offset, set.report.segment_count);
            set.report.segments.append(&mut check.issues);
            self.diagnostics.append(&mut check.diagnostics);
        }
        if !set.report.segments.is_empty()
            && !set.report.errors.contains(&SetError::SegmentsInError)
        {
            set.report.errors.push(SetError::SegmentsInError);
        }
        if let Some(g) = &mut self.group {
            let accepted = set.report.accepted();
            if accepted {
                g.report.sets_accepted += 1;
            }
            if !accepted || self.opts.keep_all_sets {
                g.report.sets.push(set.report);
            }
        }
    }

    // ---- body segments ---------------------------------------------------------------

    #[inline(always)]
    fn on_body(&mut self, seg: &Segment<'_>) {
        let position = match &mut self.set {
            Some(s) => {
                s.report.segment_count += 1;
                s.report.segment_count
            }
            None => {
                self.orphan_body(*seg);
                return;
            }
        };
        if !self.opts.envelope_only {
            self.check_set_segment(*seg, position);
        }
    }

    #[inline(never)]
    fn check_set_segment(&mut self, seg: Segment<'_>, position: u32) {
        let Some(set) = &mut self.set else { return };
        let Some(check) = &mut set.check else { return };
        check.segment(&seg, position, &mut self.memo);
        if !check.issues.is_empty() {
            set.report.segments.append(&mut check.issues);
        }
        if !check.diagnostics.is_empty() {
            self.diagnostics.append(&mut check.diagnostics);
        }
    }

    /// The open set's checks, deferred so far, run here after all: the reader cannot hand
    /// the set out (it lacks its SE, or is too big), so `segments`, the set read so far, are
    /// checked now and the rest as they are read. Their findings go with the set's bytes, as
    /// they would have when checked as read; its report keeps them.
    pub(crate) fn check_open_set<'s>(&mut self, segments: impl Iterator<Item = Segment<'s>>) {
        let Some((version, def)) = self.set.as_mut().and_then(|s| s.owed.take()) else {
            return;
        };
        let location = self.location();
        let lin_first = self.lin_first();
        let Some(set) = &mut self.set else { return };
        let mut check = SetCheck::new(version, def, location, lin_first);
        check.replay(segments, &mut self.memo);
        check.diagnostics.clear();
        set.report.segments.append(&mut check.issues);
        set.check = Some(check);
    }

    /// Leaves the checks inside each set to the holder of the set
    /// ([`ValidateOptions::defer_set_checks`]), which takes them at its SE.
    pub(crate) fn defer_set_checks(&mut self) {
        self.defer = true;
    }

    /// The checks the set the last SE closed is owed by its holder (deferred), until taken.
    pub(crate) fn take_owed_checks(&mut self) -> Option<OwedChecks> {
        self.closed_owed.take()
    }
}

/// The group error a GS element error at `element` (1-based) rejects its group with.
///
/// AK905 has codes for three GS elements only: GS01 (`1`, functional group not supported),
/// GS06 (`6`, group control number syntax) and GS08 (`2`, version not supported). A bad
/// GS02 to GS05 or GS07 (sender, receiver, date, time, agency) has none. `6` would send the
/// partner after a control number that is fine, and TA1 `024` (invalid interchange content)
/// would reject every other group of the interchange with this one. The group is still
/// rejected, as a header that breaks the syntax cannot be trusted, by an AK9 `R` with no
/// AK905 (the element is optional); the finding beside it names the element and its AK403
/// code.
fn gs_element_rejection(element: u16) -> GroupError {
    match element {
        1 => GroupError::NotSupported,
        6 => GroupError::ControlNumberSyntax,
        8 => GroupError::VersionNotSupported,
        _ => GroupError::HeaderElementError,
    }
}

/// The checks an envelope trailer (IEA, GE) shares: element 1 must be `counted`, the number
/// of `what` (groups, sets) the envelope held, and element 2 must repeat the header's control
/// number `control` (from `header`, ISA13 or GS06). Returns the message for a count mismatch
/// and for a control number mismatch, each when there is one.
fn trailer_mismatches(
    seg: &Segment<'_>,
    counted: u32,
    what: &str,
    control: &str,
    header: &str,
) -> (Option<String>, Option<String>) {
    let trailer = seg.id_str();
    let count = seg.text(1).unwrap_or("");
    let number = seg.text(2).unwrap_or("");
    let count_mismatch = (parse_count(count) != Some(counted))
        .then(|| format!("{trailer}01 says {count} {what}, counted {counted}"));
    let control_mismatch = (number != control)
        .then(|| format!("{trailer}02 {number} does not match {header} {control}"));
    (count_mismatch, control_mismatch)
}

/// A count of an envelope trailer (SE01, GE01, IEA01: N0): digits only. `str::parse` would
/// also take a leading `+`, which no X12 numeric value may carry, so `GE*+1` passed as 1.
fn parse_count(count: &str) -> Option<u32> {
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    count.parse().ok()
}
