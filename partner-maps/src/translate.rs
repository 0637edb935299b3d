//! Bytes to normalized documents, one transaction set at a time.
//!
//! [`translate`] streams an input through [`SetReader`] (envelope and syntax validation), finds
//! the partner's profile by the interchange's ISA05/ISA06 and GS02 (or takes the one named),
//! and maps each set the partner may send into its documents. Each set yields a
//! [`SetOutcome`]: the documents, or a [`TranslateError`] saying where and why not. The
//! reader checks only the envelope as it reads; the checks inside each set run with its
//! typed reading and mapping, on worker threads (`translate/rounds.rs`), with the same
//! findings. Memory stays bounded by a round of sets per worker and one more: nothing is
//! kept between sets except
//! the failures of the open interchange, which are folded into the validator's
//! [`InterchangeReport`] when the interchange ends, so the 997/999 built from
//! [`Translator::take_reports`] rejects exactly the sets that produced no documents.
//!
//! | failure | acknowledgment |
//! |---|---|
//! | [`TranslateError::UnknownPartner`], no profile has the ISA sender (or the id asked for) | TA1 `R`, TA105 `006` invalid sender id |
//! | [`TranslateError::UnknownPartner`], the GS02 is not one of the profile's | AK9 `R`, AK905 `1` group not supported |
//! | [`TranslateError::SetNotAllowed`] | AK5 `R`, AK502 `1` set not supported |
//! | [`TranslateError::Read`] | the [`x12::sets::ReadError`]'s own AK3/AK4 or AK5 code |
//! | [`TranslateError::Map`] | AK3/AK4 per error (see [`crate::map::error`]), AK5 `R`, AK502 `5` |
//! | [`TranslateError::Invalid`] | already in the report from validation |
//! | [`TranslateError::NotTranslated`] (a 997/999, or a TA1) | none: acknowledgments are not acknowledged |
//! | [`TranslateError::EnvelopeRejected`] (set by [`EnvelopeRejections::apply`]) | already in the report: the TA1 `R` or AK9 `R` of its envelope |
//!
//! A TA1 sits outside any group, so it is no set: when its interchange ends, each TA1 the
//! validator kept comes out as an outcome of its own (`set_id` `TA1`, `group` empty, `set`
//! `TA1` or `TA1-<n>`) carrying its [`crate::ack_in::read_ta1`] document, like a 997.
//!
//! Offline commands translate without profiles ([`PartnerLookup::Offline`]): every
//! interchange gets [`Profile::default_for_unknown`] and every business set is mapped.

use std::collections::VecDeque;
use std::fmt;
use std::io::Read;
use std::sync::Arc;

use schemas::{Document, Source, Text};
use x12::diagnostic::{Code, ElementPosition, GroupError, SegmentError, SetError, Ta1Note};
use x12::sets::{ReadError, read_set};
use x12::stream::{Event, RawSet, SetContext, SetReader};
use x12::validate::{
    CheckMemo, ElementIssue, InterchangeReport, LenientSender, SegmentIssue, SetReport,
    ValidateOptions, check_set,
};
use x12::{Diagnostic, Location, ReaderOptions, Severity, TokenError};

use crate::map::{MapErrors, map_set_owned};

mod envelope;
mod rounds;

pub use envelope::{EnvelopeRejections, envelope_rejections};

use crate::profile::{Profile, Role, SetKind};
use crate::registry::ProfileSet;
use rounds::{Round, Workers};

/// How the profile of an interchange is found.
#[derive(Debug, Clone, Copy)]
pub enum PartnerLookup<'p> {
    /// By ISA05/ISA06 and GS02 among these profiles (the service).
    Sender(&'p ProfileSet),
    /// This profile for every interchange (`--partner ID`); the GS02 is not checked.
    Profile(&'p Profile),
    /// A partner id that names no profile: every set fails with
    /// [`TranslateError::UnknownPartner`].
    Missing(&'p str),
    /// No profiles (offline commands): the standard dialect for every interchange, every
    /// business set accepted, `source.partner` left out.
    Offline,
}

impl PartnerLookup<'_> {
    /// How the input is tokenized: the profile's way when there is one profile, else the
    /// standard's (strict ISA).
    pub fn reader_options(&self) -> ReaderOptions {
        match self {
            PartnerLookup::Profile(p) => p.x12.reader_options(),
            _ => ReaderOptions::default(),
        }
    }
}

/// Settings of a translation run.
#[derive(Debug, Clone)]
pub struct TranslateOptions {
    /// File name shown in locations.
    pub file: Option<String>,
    /// Largest set handed out in one piece; a bigger set is reported and skipped.
    pub max_set_len: usize,
    /// Keep every set in the reports (for partners that want every set listed in the
    /// 997/999); `None` decides from the profiles (`x12.ack_all_sets`).
    pub keep_all_sets: Option<bool>,
    /// Finish sets (the checks inside each, typed reading, mapping) on the worker threads the
    /// process keeps for every translation (one fewer than its cores, at least one), while
    /// the calling thread reads the next round and uses the outcomes (the default); false
    /// keeps the whole translation on the calling thread. The outcomes and reports are the
    /// same.
    pub parallel: bool,
    /// How to tokenize the input; `None` takes the lookup's ([`PartnerLookup::reader_options`]).
    pub reader: Option<ReaderOptions>,
}

impl Default for TranslateOptions {
    fn default() -> Self {
        TranslateOptions {
            file: None,
            max_set_len: 64 << 20,
            keep_all_sets: None,
            parallel: true,
            reader: None,
        }
    }
}

/// Translates `read`: finds the partner by the ISA/GS sender among `profiles`, or uses the
/// profile named `partner`. Iterate the result for one [`SetOutcome`] per set.
pub fn translate<'p, R: Read>(
    read: R,
    file_sha256: &str,
    profiles: &'p ProfileSet,
    partner: Option<&'p str>,
) -> Translator<'p, R> {
    let lookup = match partner {
        None => PartnerLookup::Sender(profiles),
        Some(id) => match profiles.get(id) {
            Some(p) => PartnerLookup::Profile(p),
            None => PartnerLookup::Missing(id),
        },
    };
    translate_with(read, file_sha256, lookup, TranslateOptions::default())
}

/// Translates `read` without profiles (offline commands): the standard dialect.
pub fn translate_offline<R: Read>(read: R, file_sha256: &str) -> Translator<'static, R> {
    translate_with(
        read,
        file_sha256,
        PartnerLookup::Offline,
        TranslateOptions::default(),
    )
}

/// Translates `read` with an explicit lookup and options.
pub fn translate_with<'p, R: Read>(
    read: R,
    file_sha256: &str,
    lookup: PartnerLookup<'p>,
    options: TranslateOptions,
) -> Translator<'p, R> {
    let reader_options = options.reader.unwrap_or_else(|| lookup.reader_options());
    let keep_all_sets = options.keep_all_sets.unwrap_or(match lookup {
        PartnerLookup::Profile(p) => p.x12.ack_all_sets,
        PartnerLookup::Sender(set) => set.iter().any(|p| p.x12.ack_all_sets),
        PartnerLookup::Missing(_) | PartnerLookup::Offline => false,
    });
    let validate = ValidateOptions {
        file: options.file.clone(),
        keep_all_sets,
        // The checks inside each set run with its typed reading and mapping, off the
        // reading thread: only the envelope is sequential.
        defer_set_checks: true,
        // The checks inside each 867 take its partner's line order (LIN first or not), the
        // partner found as `resolve` finds it: by the lookup's one profile, or by ISA and GS
        // sender, for the sets handed out and those the reader checks itself alike.
        lenient_867_line_order: matches!(lookup, PartnerLookup::Profile(p) if p.dialect.lenient_867_line_order),
        lenient_867_senders: match lookup {
            PartnerLookup::Sender(set) => set
                .iter()
                .filter(|p| p.dialect.lenient_867_line_order)
                .map(|p| LenientSender {
                    isa_qualifier: p.x12.isa_qualifier.clone(),
                    isa_id: p.x12.isa_id.clone(),
                    gs_ids: std::iter::once(&p.x12.gs_id)
                        .chain(&p.x12.inbound_gs_ids)
                        .cloned()
                        .collect(),
                })
                .collect(),
            _ => Vec::new(),
        },
        ..ValidateOptions::default()
    };
    Translator {
        reader: SetReader::new(read, reader_options, validate, options.max_set_len),
        lookup,
        file_sha256: file_sha256.to_owned(),
        file: options.file,
        cached: None,
        profiles: Vec::new(),
        pending: Vec::new(),
        reports: VecDeque::new(),
        ready: VecDeque::new(),
        in_flight: VecDeque::new(),
        workers: None,
        reader_done: false,
        stopped: false,
        parallel: options.parallel,
        memo: CheckMemo::default(),
        error: None,
    }
}

/// The profile (or the lack of one) of a group.
#[derive(Debug, Clone)]
enum Resolved {
    Found {
        /// Shared with the thread that maps the set.
        profile: Arc<Profile>,
        /// Refuse sets the profile does not accept (false offline).
        check_allowed: bool,
        /// `source.partner`.
        partner: Option<String>,
    },
    Unknown {
        /// The ISA sender is known but not this GS02.
        gs_only: bool,
        requested: Option<String>,
    },
}

/// A failure waiting for its interchange's report.
#[derive(Debug, Clone)]
struct Pending {
    group: String,
    /// Byte offset of the set's ST (which of several groups with its GS06 it is in).
    offset: u64,
    rejection: Rejection,
}

/// How a failed set is rejected in its acknowledgment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The whole interchange (TA1 `R`).
    Interchange(Ta1Note),
    /// The set's group (AK9 `R`).
    Group(GroupError),
    /// The set (AK5 `R`, with its AK3/AK4 loops).
    Set(SetReport),
}

/// Streams a translation; see [`translate`].
pub struct Translator<'p, R> {
    reader: SetReader<R>,
    lookup: PartnerLookup<'p>,
    file_sha256: String,
    file: Option<String>,
    cached: Option<(Arc<SetContext>, Resolved)>,
    /// The caller's profiles copied for the mapping thread, by their address.
    profiles: Vec<(usize, Arc<Profile>)>,
    pending: Vec<Pending>,
    reports: VecDeque<InterchangeReport>,
    /// Outcomes, interchange ends and the end of input, in input order, ready to hand out.
    ready: VecDeque<Ready>,
    /// Rounds read and not yet handed out, oldest first.
    in_flight: VecDeque<Round>,
    /// The threads that finish rounds beside this one (looked up with the first round big
    /// enough; `None` until then, or when [`TranslateOptions::parallel`] is off).
    workers: Option<&'static Workers>,
    /// The reader has reached the end of input (or a tokenizer error).
    reader_done: bool,
    /// Everything has been handed out.
    stopped: bool,
    /// [`TranslateOptions::parallel`].
    parallel: bool,
    /// What checking sets on this thread remembers.
    memo: CheckMemo,
    error: Option<TokenError>,
}

/// One event read from the input, on its way to being handed out.
enum Step {
    Set(Box<SetStep>),
    /// A set being finished ([`rounds::RoundWork`]): its index there.
    Shared(usize),
    End(Box<InterchangeReport>),
    Stop(Option<TokenError>),
}

/// A set read and its envelope checked; what is left of it (the checks inside it, then its
/// typed reading and mapping, `job`, when it gets that far) is a round's work.
struct SetStep {
    raw: RawSet,
    out: SetOutcome,
    job: Option<MapJob>,
    /// Errors the checks inside the set found, for its interchange's report.
    late: Option<SetReport>,
}

impl SetStep {
    /// True when the set still has work: checks owed, or typing and mapping.
    fn has_work(&self) -> bool {
        self.job.is_some() || self.raw.checks_owed()
    }
}

/// What mapping a set needs besides the set: the profile and the documents' `source`.
struct MapJob {
    profile: Arc<Profile>,
    source: Source,
}

/// What [`Translator::next`] hands out or acts on next.
enum Ready {
    Outcome(Box<SetOutcome>),
    Report(Box<InterchangeReport>),
    Stop(Option<TokenError>),
}

/// A round reads sets up to about this many segments (some 80 KiB of X12). Small rounds keep
/// a round's sets and documents in cache between the two threads (with rounds of 16 K
/// segments two threads were no faster than one).
const ROUND_SEGMENTS: usize = 4096;

/// Rounds read ahead of the one handed out next, per worker: the workers finish one while
/// the caller uses the outcomes of another.
const ROUNDS_PER_WORKER: usize = 1;

/// Below this many segments of work a round is finished on the calling thread alone: the
/// workers cost more than they save on a small file.
const PARALLEL_SEGMENTS: usize = 256;

impl<R: Read> Iterator for Translator<'_, R> {
    type Item = SetOutcome;

    fn next(&mut self) -> Option<SetOutcome> {
        loop {
            match self.ready.pop_front() {
                Some(Ready::Outcome(out)) => return Some(*out),
                // Handed over only once every outcome before it has been taken, as when
                // the reader met the interchange's end at this point.
                Some(Ready::Report(report)) => self.reports.push_back(*report),
                Some(Ready::Stop(error)) => {
                    self.error = error;
                    self.stopped = true;
                }
                None if self.stopped => return None,
                None => self.advance(),
            }
        }
    }
}

impl<R> Drop for Translator<'_, R> {
    /// The workers outlive the translation: the sets they have not taken are left undone.
    fn drop(&mut self) {
        for round in &self.in_flight {
            round.work.cancel();
        }
    }
}

impl<'p, R: Read> Translator<'p, R> {
    /// Reports of the interchanges finished so far, with every failed set's rejection folded
    /// in: the input for [`x12::ack::acknowledge`].
    pub fn take_reports(&mut self) -> Vec<InterchangeReport> {
        self.reports.drain(..).collect()
    }

    /// Findings outside any set (envelope errors) since the last call.
    pub fn take_envelope_diagnostics(&mut self) -> Vec<Diagnostic> {
        self.reader.take_envelope_diagnostics()
    }

    /// The tokenizer error that ended the input early, if any.
    pub fn token_error(&self) -> Option<&TokenError> {
        self.error.as_ref()
    }

    /// Reads rounds until enough are being finished, then hands out the oldest: its sets
    /// finished (by the workers, helped by this thread) and its outcomes queued in input
    /// order.
    fn advance(&mut self) {
        while self.in_flight.len() < self.rounds_in_flight() && !self.reader_done {
            let steps = self.read_round();
            let round = Round::new(steps, self.file.as_deref().map(Arc::from));
            if self.parallel && round.segments >= PARALLEL_SEGMENTS {
                if self.workers.is_none() {
                    self.workers = Workers::shared();
                }
                if let Some(workers) = self.workers {
                    workers.send(&round.work);
                }
            }
            self.in_flight.push_back(round);
        }
        match self.in_flight.pop_front() {
            Some(round) => {
                let steps = round.finish(&mut self.memo);
                self.settle(steps);
            }
            None => self.stopped = true,
        }
    }

    /// How many rounds to keep read ahead: one to hand out, and work for each worker.
    fn rounds_in_flight(&self) -> usize {
        1 + ROUNDS_PER_WORKER * self.workers.map_or(1, Workers::len)
    }

    /// Reads and checks sets until the round is full or the input ends.
    fn read_round(&mut self) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut segments = 0;
        while !self.reader_done && segments < ROUND_SEGMENTS {
            match self.reader.next_event() {
                Ok(Some(Event::Set(raw))) => {
                    segments += raw.len();
                    steps.push(Step::Set(Box::new(self.prepare(raw))));
                }
                Ok(Some(Event::InterchangeEnd(report))) => {
                    steps.push(Step::End(Box::new(report)));
                }
                Ok(None) => {
                    self.reader_done = true;
                    steps.push(Step::Stop(None));
                }
                Err(e) => {
                    self.reader_done = true;
                    steps.push(Step::Stop(Some(e)));
                }
            }
        }
        steps
    }

    /// Queues a mapped round's outcomes in input order; an interchange's end folds in the
    /// failures of its sets and queues its TA1s.
    fn settle(&mut self, round: Vec<Step>) {
        for step in round {
            match step {
                Step::Set(set) => {
                    let SetStep {
                        raw, mut out, late, ..
                    } = *set;
                    // A set that produced no documents is found by what it names, as sent;
                    // a received acknowledgment is no such set.
                    if matches!(&out.result, Err(e) if !matches!(e, TranslateError::NotTranslated { .. }))
                    {
                        out.keys = SetKeys::of(&raw);
                    }
                    self.reader.recycle(raw);
                    if let Some(report) = late {
                        self.pending.push(Pending {
                            group: out.group.clone(),
                            offset: out.offset,
                            rejection: Rejection::Set(report),
                        });
                    }
                    if let Some(r) = &out.rejection {
                        self.pending.push(Pending {
                            group: out.group.clone(),
                            offset: out.offset,
                            rejection: r.clone(),
                        });
                    }
                    self.ready.push_back(Ready::Outcome(Box::new(out)));
                }
                Step::End(mut report) => {
                    for p in self.pending.drain(..) {
                        reject(&mut report, &p.group, p.offset, p.rejection);
                    }
                    let ta1s = self.ta1_outcomes(&report);
                    self.ready.push_back(Ready::Report(report));
                    self.ready
                        .extend(ta1s.into_iter().map(|o| Ready::Outcome(Box::new(o))));
                }
                Step::Stop(error) => self.ready.push_back(Ready::Stop(error)),
                Step::Shared(_) => unreachable!("a round is settled once finished"),
            }
        }
    }

    /// One outcome per TA1 of an ended interchange, its document read by
    /// [`crate::ack_in::read_ta1`]; the result stays [`TranslateError::NotTranslated`].
    fn ta1_outcomes(&self, report: &InterchangeReport) -> Vec<SetOutcome> {
        let mut outcomes = Vec::new();
        let several = report.ta1s.len() > 1;
        for (n, ta1) in report.ta1s.iter().enumerate() {
            let set = if several {
                format!("TA1-{}", n + 1)
            } else {
                "TA1".to_owned()
            };
            let mut out = SetOutcome {
                interchange: report.isa.control_number.clone(),
                group: String::new(),
                set,
                set_id: "TA1".to_owned(),
                offset: ta1.offset,
                partner: None,
                diagnostics: Vec::new(),
                result: Ok(Vec::new()),
                rejection: None,
                acknowledgment: None,
                keys: SetKeys::default(),
            };
            out.acknowledgment = crate::ack_in::read_ta1(ta1, self.source_of(&out));
            out.result = Err(TranslateError::NotTranslated {
                location: Location {
                    file: self.file.clone(),
                    offset: ta1.offset,
                    interchange: Some(report.isa.control_number.clone()),
                    group: None,
                    set: None,
                    segment: None,
                    element: None,
                },
                set: "TA1".to_owned(),
            });
            outcomes.push(out);
        }
        outcomes
    }

    fn resolve(&mut self, ctx: &Arc<SetContext>) -> Resolved {
        if let Some((c, r)) = &self.cached
            && Arc::ptr_eq(c, ctx)
        {
            return r.clone();
        }
        let isa = &ctx.isa;
        let r = match self.lookup {
            PartnerLookup::Profile(p) => Resolved::Found {
                profile: self.shared(p),
                check_allowed: true,
                partner: Some(p.id.clone()),
            },
            PartnerLookup::Missing(id) => Resolved::Unknown {
                gs_only: false,
                requested: Some(id.to_owned()),
            },
            PartnerLookup::Offline => Resolved::Found {
                profile: Arc::new(Profile::default_for_unknown(&isa.sender_id)),
                check_allowed: false,
                partner: None,
            },
            PartnerLookup::Sender(set) => {
                match set.find_by_sender(
                    &isa.sender_qualifier,
                    &isa.sender_id,
                    Some(&ctx.group.sender),
                ) {
                    Some(p) => Resolved::Found {
                        profile: self.shared(p),
                        check_allowed: true,
                        partner: Some(p.id.clone()),
                    },
                    None => Resolved::Unknown {
                        gs_only: set
                            .find_by_sender(&isa.sender_qualifier, &isa.sender_id, None)
                            .is_some(),
                        requested: None,
                    },
                }
            }
        };
        self.cached = Some((ctx.clone(), r.clone()));
        r
    }

    /// The caller's profile `p` as one the mapping thread can share: copied once per
    /// translation.
    fn shared(&mut self, p: &Profile) -> Arc<Profile> {
        let key = std::ptr::from_ref(p) as usize;
        if let Some((_, arc)) = self.profiles.iter().find(|(k, _)| *k == key) {
            return arc.clone();
        }
        let arc = Arc::new(p.clone());
        self.profiles.push((key, arc.clone()));
        arc
    }

    /// Everything about a set short of its typed reading and mapping: its validity, its
    /// partner and whether the partner may send it. Runs in input order (the partner of a
    /// group is worked out once); what is left is [`MapJob`] work, done in [`map_round`].
    fn prepare(&mut self, mut raw: RawSet) -> SetStep {
        let (out, job) = self.checked(&mut raw);
        SetStep {
            raw,
            out,
            job,
            late: None,
        }
    }

    fn checked(&mut self, raw: &mut RawSet) -> (SetOutcome, Option<MapJob>) {
        let ctx = raw.context.clone();
        let invalid = errors_in(&raw.diagnostics);
        // A set with checks still owed keeps its findings until they are done.
        let diagnostics = if raw.checks_owed() {
            Vec::new()
        } else {
            std::mem::take(&mut raw.diagnostics)
        };
        let mut out = SetOutcome {
            interchange: ctx.isa.control_number.clone(),
            group: ctx.group.control_number.clone(),
            set: raw.control_number.clone(),
            set_id: raw.id.clone(),
            offset: raw.offset,
            partner: None,
            diagnostics,
            result: Ok(Vec::new()),
            rejection: None,
            acknowledgment: None,
            keys: SetKeys::default(),
        };
        // Only a set that is not translated needs its location (six strings): made then.
        if invalid > 0 {
            out.result = Err(TranslateError::Invalid {
                location: set_location(raw, self.file.as_deref()),
                errors: invalid,
            });
            return (out, None);
        }
        let Some(kind) = SetKind::from_st01(&raw.id) else {
            // No partner yet: the ingest names the one whose inbox it came to.
            out.acknowledgment = crate::ack_in::read_acknowledgment(raw, self.source_of(&out));
            out.result = Err(TranslateError::NotTranslated {
                location: set_location(raw, self.file.as_deref()),
                set: raw.id.clone(),
            });
            return (out, None);
        };
        let (profile, check_allowed) = match self.resolve(&ctx) {
            Resolved::Found {
                profile,
                check_allowed,
                partner,
            } => {
                out.partner = partner;
                (profile, check_allowed)
            }
            Resolved::Unknown { gs_only, requested } => {
                let rejection = if gs_only {
                    Rejection::Group(GroupError::NotSupported)
                } else {
                    Rejection::Interchange(Ta1Note::InvalidSenderId)
                };
                out.rejection = Some(rejection);
                out.result = Err(TranslateError::UnknownPartner {
                    location: sender_location(raw, self.file.as_deref(), gs_only),
                    isa_qualifier: ctx.isa.sender_qualifier.clone(),
                    isa_id: ctx.isa.sender_id.clone(),
                    gs_id: ctx.group.sender.clone(),
                    requested,
                    isa_known: gs_only,
                });
                return (out, None);
            }
        };
        if check_allowed && !profile.x12.accepts_inbound(profile.role, kind) {
            out.rejection = Some(Rejection::Set(
                raw.report(vec![SetError::NotSupported], vec![]),
            ));
            out.result = Err(TranslateError::SetNotAllowed {
                location: set_location(raw, self.file.as_deref()),
                partner: profile.id.clone(),
                set: raw.id.clone(),
                role: profile.role,
            });
            return (out, None);
        }
        let source = self.source_of(&out);
        (out, Some(MapJob { profile, source }))
    }

    /// The `source` of the documents made from the set `out` reports on.
    fn source_of(&self, out: &SetOutcome) -> Source {
        Source {
            file: self.file_sha256.clone(),
            interchange: out.interchange.as_str().into(),
            group: out.group.as_str().into(),
            set: out.set.as_str().into(),
            partner: out.partner.as_deref().map(Text::from),
        }
    }
}

/// Where a set is: its ST.
fn set_location(raw: &RawSet, file: Option<&str>) -> Location {
    Location {
        file: file.map(str::to_owned),
        offset: raw.offset,
        interchange: Some(raw.context.isa.control_number.clone()),
        group: Some(raw.context.group.control_number.clone()),
        set: Some(raw.control_number.clone()),
        segment: Some((1, "ST".to_owned())),
        element: None,
    }
}

/// Where an unknown sender is: the interchange (its ISA06), or the group when the ISA sender
/// is a partner's and only the GS02 is not one of its ids; not the set's ST, which says
/// nothing of the sender.
fn sender_location(raw: &RawSet, file: Option<&str>, in_group: bool) -> Location {
    Location {
        group: in_group.then(|| raw.context.group.control_number.clone()),
        set: None,
        segment: None,
        ..set_location(raw, file)
    }
}

/// How many of `diagnostics` are errors.
fn errors_in(diagnostics: &[Diagnostic]) -> usize {
    diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Error)
        .count()
}

/// What is left of a set after its envelope was checked: the checks inside it, then, when
/// it is valid and owed one, its typed reading and mapping, each filling in its outcome.
/// Needs nothing from the translator but the file name, so it can run on another thread.
fn finish_set(set: &mut SetStep, memo: &mut CheckMemo, file: Option<&str>) {
    if set.raw.checks_owed() {
        let findings = check_set(&mut set.raw, memo);
        set.out.diagnostics = std::mem::take(&mut set.raw.diagnostics);
        if findings.errors > 0 {
            // Invalid after all: as if the reader had found it so, nothing else is tried.
            set.late = Some(
                set.raw
                    .report(vec![SetError::SegmentsInError], findings.issues),
            );
            set.job = None;
            let out = &mut set.out;
            out.partner = None;
            out.rejection = None;
            out.acknowledgment = None;
            out.result = Err(TranslateError::Invalid {
                location: set_location(&set.raw, file),
                errors: errors_in(&out.diagnostics),
            });
        }
    }
    if let Some(job) = set.job.take() {
        map_one(&set.raw, &mut set.out, &job, file);
    }
}

fn map_one(raw: &RawSet, out: &mut SetOutcome, job: &MapJob, file: Option<&str>) {
    let typed = match read_set(raw) {
        Ok(t) => t,
        Err(e) => {
            let mut diagnostic = e.to_diagnostic(raw);
            diagnostic.location.file = file.map(str::to_owned);
            out.rejection = Some(Rejection::Set(read_rejection(raw, &e)));
            out.result = Err(TranslateError::Read { diagnostic });
            return;
        }
    };
    match map_set_owned(raw, typed, &job.profile, &job.source) {
        Ok(docs) => out.result = Ok(docs),
        Err(mut errors) => {
            for e in &mut errors.0 {
                e.location.file = file.map(str::to_owned);
            }
            out.rejection = Some(Rejection::Set(map_rejection(raw, &errors)));
            out.result = Err(TranslateError::Map(errors));
        }
    }
}

/// The rejection of a set whose typed reading failed.
fn read_rejection(raw: &RawSet, e: &ReadError) -> SetReport {
    let issue = |error, elements| SegmentIssue {
        id: e.at.id.clone(),
        position: e.at.segment,
        loop_id: None,
        error,
        elements,
        context: None,
    };
    match e.code() {
        Code::Set(s) => raw.report(vec![s], vec![]),
        Code::Segment(s) => raw.report(vec![SetError::SegmentsInError], vec![issue(s, vec![])]),
        Code::Element(el) => raw.report(
            vec![SetError::SegmentsInError],
            vec![issue(
                SegmentError::HasElementErrors,
                vec![ElementIssue {
                    position: e.at.element.unwrap_or(ElementPosition::element(1)),
                    ref_num: None,
                    error: el,
                    data: None,
                }],
            )],
        ),
        Code::Group(_) | Code::Interchange(_) => {
            raw.report(vec![SetError::SegmentsInError], vec![])
        }
    }
}

/// The rejection of a set whose mapping failed: one AK3 loop per error (one per segment and
/// code), AK502 `5`; in a 999 the partner-rule codes (IK502 `I5`, IK304 `I6`, IK403 `I6`/`I9`).
pub fn map_rejection(raw: &RawSet, errors: &MapErrors) -> SetReport {
    let mut segments: Vec<SegmentIssue> = Vec::new();
    for e in errors.iter() {
        let Some(issue) = e.to_segment_issue(raw) else {
            continue;
        };
        match segments
            .iter_mut()
            .find(|s| s.position == issue.position && s.id == issue.id && s.error == issue.error)
        {
            Some(s) => s.elements.extend(issue.elements),
            None => segments.push(issue),
        }
    }
    segments.sort_by_key(|s| s.position);
    raw.report(vec![SetError::ImplementationSegmentsInError], segments)
}

/// Folds a rejection into the report of the interchange the set at byte `offset` came in
/// (group `group`, GS06; of several groups with that GS06, the one the set is in): adds the
/// set's AK5 code and AK3/AK4 loops (or the TA1 note, or the AK9 code) and fixes the group's
/// accepted count, so [`x12::ack::acknowledge`] writes the rejection.
pub fn reject(report: &mut InterchangeReport, group: &str, offset: u64, rejection: Rejection) {
    match rejection {
        Rejection::Interchange(note) => {
            if !report.errors.contains(&note) {
                report.errors.push(note);
            }
        }
        Rejection::Group(error) => {
            if let Some(g) = report.group_of(group, offset)
                && !g.errors.contains(&error)
            {
                g.errors.push(error);
            }
        }
        Rejection::Set(set) => report.fold_set(group, set),
    }
}

/// Folds a set's rejection into its interchange's report, for callers that build reports
/// themselves; [`Translator::take_reports`] already has every rejection folded in. Outcomes
/// that owe no rejection (documents, sets invalid in validation, acknowledgments) change
/// nothing.
pub fn fold_outcome(report: &mut InterchangeReport, outcome: &SetOutcome) {
    if let Some(r) = &outcome.rejection {
        reject(report, &outcome.group, outcome.offset, r.clone());
    }
}

/// What became of one transaction set.
#[derive(Debug, Clone)]
pub struct SetOutcome {
    /// ISA13.
    pub interchange: String,
    /// GS06.
    pub group: String,
    /// ST02.
    pub set: String,
    /// ST01.
    pub set_id: String,
    /// Byte offset of the ST.
    pub offset: u64,
    /// The profile id the set was mapped with (none offline or when unknown).
    pub partner: Option<String>,
    /// The validator's findings in the set (warnings, or the errors that made it invalid).
    pub diagnostics: Vec<Diagnostic>,
    /// The documents (several contracts for an 845 with several CON loops), or why not.
    pub result: Result<Vec<Document>, TranslateError>,
    /// How the acknowledgment rejects the set, when the translation owes a rejection the
    /// validator did not already report.
    pub rejection: Option<Rejection>,
    /// A valid 997/999, or a TA1, read into its document ([`crate::ack_in`]); its `result`
    /// stays [`TranslateError::NotTranslated`]: nothing is mapped and nothing acknowledges it.
    pub acknowledgment: Option<schemas::Acknowledgment>,
    /// What ops search a set that produced no documents by, read from its segments as sent
    /// (empty for a set that mapped: its documents carry them).
    pub keys: SetKeys,
}

/// The debit memo, invoices and contracts a set names, as sent: for finding a failed set
/// by what its partner calls it (design.md 10). Read only when the set fails.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetKeys {
    /// BAA05 (844) or BRC04 (849).
    pub debit_memo: Option<String>,
    /// REF02 of each `REF*IV`, in order, each once, at most [`MAX_SET_KEYS`].
    pub invoices: Vec<String>,
    /// CON02, PTD05 (after `CT`) and REF02 of `REF*CT`, each once, at most [`MAX_SET_KEYS`].
    pub contracts: Vec<String>,
}

/// Invoices or contracts kept per failed set: a million-line 867 must not become a million
/// search keys.
pub const MAX_SET_KEYS: usize = 500;

impl SetKeys {
    /// The keys `raw` names.
    pub fn of(raw: &RawSet) -> SetKeys {
        let mut keys = SetKeys::default();
        let add = |list: &mut Vec<String>, value: Option<&str>| {
            if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty())
                && list.len() < MAX_SET_KEYS
                && !list.iter().any(|k| k == v)
            {
                list.push(v.to_owned());
            }
        };
        for seg in raw.segments() {
            match seg.id() {
                b"BAA" => keys.debit_memo = seg.text(5).map(str::to_owned),
                b"BRC" => keys.debit_memo = seg.text(4).map(str::to_owned),
                b"CON" => add(&mut keys.contracts, seg.text(2)),
                b"PTD" if seg.text(4) == Some("CT") => add(&mut keys.contracts, seg.text(5)),
                b"REF" => match seg.text(1) {
                    Some("IV") => add(&mut keys.invoices, seg.text(2)),
                    Some("CT") => add(&mut keys.contracts, seg.text(2)),
                    _ => {}
                },
                _ => {}
            }
        }
        keys
    }
}

impl SetOutcome {
    /// The documents, empty when the set failed.
    pub fn documents(&self) -> &[Document] {
        self.result.as_deref().unwrap_or(&[])
    }

    /// Every located finding: validation diagnostics, then the translation error's.
    pub fn all_diagnostics(&self) -> Vec<Diagnostic> {
        let mut out = self.diagnostics.clone();
        if let Err(e) = &self.result {
            out.extend(e.to_diagnostics());
        }
        out
    }
}

/// Why a set produced no documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TranslateError {
    /// No profile for the sender: no profile has the ISA05/ISA06, the GS02 is not one of the
    /// profile's ids, or the partner id asked for names no profile.
    UnknownPartner {
        /// The set.
        location: Location,
        /// ISA05.
        isa_qualifier: String,
        /// ISA06, trimmed.
        isa_id: String,
        /// GS02.
        gs_id: String,
        /// The partner id asked for, when one was.
        requested: Option<String>,
        /// A profile has the ISA sender, but the GS02 is not one of its application ids: the
        /// group is rejected (AK905 `1`), not the interchange (TA105 `006`).
        isa_known: bool,
    },
    /// The profile does not let this partner send this set (`x12.allowed_sets` and `role`).
    SetNotAllowed {
        /// The set.
        location: Location,
        /// The profile id.
        partner: String,
        /// ST01.
        set: String,
        /// The partner's role.
        role: Role,
    },
    /// The validator found errors in the set; its diagnostics say which, and the report
    /// already rejects it.
    Invalid {
        /// The set.
        location: Location,
        /// Number of errors.
        errors: usize,
    },
    /// Not a business set (a 997 or 999): nothing to map, nothing to acknowledge.
    NotTranslated {
        /// The set.
        location: Location,
        /// ST01.
        set: String,
    },
    /// The set is valid X12 but cannot be read into its typed form.
    Read {
        /// The located finding.
        diagnostic: Diagnostic,
    },
    /// Mapping found no value for required fields.
    Map(MapErrors),
    /// The set's interchange (TA1 `R`) or group (AK9 `R` with a group-level code) is
    /// rejected, found by [`envelope_rejections`]: nothing in it is processed.
    EnvelopeRejected {
        /// The set.
        location: Location,
        /// The TA105 or AK905 code of the rejection.
        code: Code,
    },
}

impl TranslateError {
    /// The located findings of this error, with their acknowledgment codes.
    pub fn to_diagnostics(&self) -> Vec<Diagnostic> {
        let one = |location: &Location, code, message: String| {
            vec![Diagnostic {
                severity: Severity::Error,
                code,
                location: location.clone(),
                message,
            }]
        };
        match self {
            TranslateError::UnknownPartner {
                location,
                isa_known,
                ..
            } => one(
                location,
                if *isa_known {
                    Code::Group(GroupError::NotSupported)
                } else {
                    Code::Interchange(Ta1Note::InvalidSenderId)
                },
                self.message(),
            ),
            TranslateError::SetNotAllowed { location, .. } => {
                one(location, Code::Set(SetError::NotSupported), self.message())
            }
            TranslateError::Invalid { .. } | TranslateError::NotTranslated { .. } => Vec::new(),
            TranslateError::Read { diagnostic } => vec![diagnostic.clone()],
            TranslateError::Map(errors) => errors.iter().map(|e| e.to_diagnostic()).collect(),
            TranslateError::EnvelopeRejected { location, code } => {
                one(location, *code, self.message())
            }
        }
    }

    fn message(&self) -> String {
        match self {
            TranslateError::UnknownPartner {
                isa_qualifier,
                isa_id,
                gs_id,
                requested,
                ..
            } => match requested {
                Some(id) => format!("unknown partner: no profile \"{id}\""),
                None => format!(
                    "unknown partner: no profile for ISA sender {isa_qualifier}/{isa_id} with GS02 {gs_id}"
                ),
            },
            TranslateError::SetNotAllowed {
                partner, set, role, ..
            } => format!(
                "set not allowed: profile \"{partner}\" ({}) does not accept {set} from the partner (x12.allowed_sets, role)",
                role.as_str()
            ),
            TranslateError::Invalid { errors, .. } => {
                format!("not translated: the set has {errors} validation error(s)")
            }
            TranslateError::NotTranslated { set, .. } => {
                format!("not translated: {set} is not a chargeback business set")
            }
            TranslateError::Read { diagnostic } => diagnostic.message.clone(),
            TranslateError::Map(errors) => errors.to_string(),
            TranslateError::EnvelopeRejected { code, .. } => match code {
                Code::Interchange(_) => {
                    "not processed: its interchange is rejected (TA1 R), and with it every set"
                        .to_owned()
                }
                _ => {
                    "not processed: its functional group is rejected (AK9 R), and with it every set"
                        .to_owned()
                }
            },
        }
    }
}

impl fmt::Display for TranslateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TranslateError::UnknownPartner { location, .. }
            | TranslateError::SetNotAllowed { location, .. }
            | TranslateError::Invalid { location, .. }
            | TranslateError::NotTranslated { location, .. }
            | TranslateError::EnvelopeRejected { location, .. } => {
                write!(f, "{location}: {}", self.message())
            }
            TranslateError::Read { diagnostic } => write!(f, "{diagnostic}"),
            TranslateError::Map(errors) => write!(f, "{errors}"),
        }
    }
}

impl std::error::Error for TranslateError {}

#[cfg(test)]
mod tests;
