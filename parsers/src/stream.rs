//! One transaction set at a time, validated, with its envelope context.
//!
//! [`SetReader`] drives the segment reader and the validator together and hands out each
//! ST..SE as a [`RawSet`]: the set's own bytes plus an element index, so typed readers get
//! zero-copy [`Segment`]s while memory stays bounded by the largest set, not the file.

use std::io::Read;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, SetError, Severity};
use crate::dict::Version;
use crate::tokenizer::{Delimiters, ReaderOptions, Segment, SegmentReader, TokenError};
use crate::validate::set_check::OwedChecks;
use crate::validate::{
    InterchangeReport, IsaInfo, SegmentIssue, SetReport, ValidateOptions, Validator,
};

/// The functional group a set arrived in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// GS01.
    pub functional_id: String,
    /// GS02.
    pub sender: String,
    /// GS03.
    pub receiver: String,
    /// GS06.
    pub control_number: String,
    /// GS08 as sent.
    pub version_code: String,
    /// GS08 when supported.
    pub version: Option<Version>,
}

/// Interchange and group around a set; shared by all sets of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetContext {
    /// The ISA.
    pub isa: IsaInfo,
    /// The interchange's delimiters.
    pub delimiters: Delimiters,
    /// The GS.
    pub group: GroupInfo,
}

/// One transaction set, ST to SE inclusive, owning its bytes.
#[derive(Debug, Clone)]
pub struct RawSet {
    /// Envelope context.
    pub context: Arc<SetContext>,
    /// ST01.
    pub id: String,
    /// ST02.
    pub control_number: String,
    /// Byte offset of the ST in the input.
    pub offset: u64,
    /// Findings inside this set (and its envelope checks at SE).
    pub diagnostics: Vec<Diagnostic>,
    data: Vec<u8>,
    /// Per segment: byte range in `data`, range in `seps`, input offset.
    spans: Vec<(u32, u32, u32, u32, u64)>,
    seps: Vec<u32>,
    /// The validator checked every element of the set against its definition and none holds
    /// a repetition or component separator ([`crate::validate::Validator::take_separator_free`]).
    pub(crate) separator_free: bool,
    /// The checks inside the set the reader left to the set's holder
    /// ([`ValidateOptions::defer_set_checks`]), until [`crate::validate::check_set`] runs them.
    pub(crate) checks_owed: Option<OwedChecks>,
    /// How many of `diagnostics` were found at the ST (deferred checks put theirs after).
    pub(crate) after_st: usize,
}

impl RawSet {
    /// True when the validator checked every element of the set and none holds a repetition
    /// or component separator: typed readers then skip searching each element for them.
    pub(crate) fn separator_free(&self) -> bool {
        self.separator_free
    }

    /// True when the reader left the checks inside the set to its holder
    /// ([`ValidateOptions::defer_set_checks`]) and [`crate::validate::check_set`] has not run
    /// them yet: until then [`RawSet::is_valid`] speaks for the envelope only.
    pub fn checks_owed(&self) -> bool {
        self.checks_owed.is_some()
    }

    /// True when the validator found no error in the set.
    pub fn is_valid(&self) -> bool {
        self.diagnostics
            .iter()
            .all(|d| d.severity < Severity::Error)
    }

    /// The set's report (AK2..AK5, IK5) with `errors` and `segments`, for folding errors
    /// found after the reader into its interchange's report
    /// ([`InterchangeReport::fold_set`]).
    pub fn report(&self, errors: Vec<SetError>, segments: Vec<SegmentIssue>) -> SetReport {
        let st03 = self
            .segment(0)
            .and_then(|st| st.text(3).map(str::to_owned))
            .filter(|s| !s.is_empty());
        SetReport {
            id: self.id.clone(),
            control_number: self.control_number.clone(),
            implementation_ref: st03,
            errors,
            segments,
            segment_count: u32::try_from(self.len()).unwrap_or(u32::MAX),
            offset: self.offset,
        }
    }

    /// Number of segments, ST and SE included.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when the set has no segment (never the case for a set read from input).
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Segment `i` (0 = ST).
    pub fn segment(&self, i: usize) -> Option<Segment<'_>> {
        let &(from, to, sf, st, offset) = self.spans.get(i)?;
        Some(Segment::new(
            &self.data[from as usize..to as usize],
            &self.seps[sf as usize..st as usize],
            from,
            self.context.delimiters,
            offset,
        ))
    }

    /// The whole set as text when it is UTF-8 (X12 data nearly always is). Typed readers
    /// slice elements out of it by [`Segment::element_span`] instead of checking each
    /// element's UTF-8 on its own, which was a tenth of typed reading.
    pub fn as_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.data).ok()
    }

    /// The id of every segment in order, ST first: what [`RawSet::segments`] gives with
    /// [`Segment::id`], without building each segment.
    pub fn ids(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.spans.iter().map(|&(from, to, sf, st, _)| {
            let end = if sf < st { self.seps[sf as usize] } else { to };
            &self.data[from as usize..end as usize]
        })
    }

    /// All segments in order, ST first.
    pub fn segments(&self) -> impl Iterator<Item = Segment<'_>> + '_ {
        (0..self.spans.len()).filter_map(move |i| self.segment(i))
    }

    fn push(&mut self, seg: &Segment<'_>) {
        let from = self.data.len() as u32;
        let sf = self.seps.len() as u32;
        let raw = seg.raw();
        self.data.extend_from_slice(raw);
        // The separator positions, moved from the reader's buffer to this set's.
        let (seps, base) = seg.separators();
        self.seps.extend(seps.iter().map(|&p| p - base + from));
        let to = self.data.len() as u32;
        self.spans
            .push((from, to, sf, self.seps.len() as u32, seg.offset()));
    }
}

/// What [`SetReader::next_event`] yields.
#[derive(Debug)]
pub enum Event {
    /// A complete transaction set.
    Set(RawSet),
    /// An interchange ended (IEA, or the input ended or broke inside it).
    InterchangeEnd(InterchangeReport),
}

/// Streams validated sets out of any `Read`.
pub struct SetReader<R> {
    segments: SegmentReader<R>,
    validator: Validator,
    context: Option<Arc<SetContext>>,
    isa: Option<(IsaInfo, Delimiters)>,
    building: Option<RawSet>,
    /// Findings outside any set (envelope), waiting to be taken.
    envelope_diagnostics: Vec<Diagnostic>,
    pending: std::collections::VecDeque<Event>,
    done: bool,
    max_set_len: usize,
    /// Buffers of sets handed back with [`SetReader::recycle`] (a few: a caller may hold
    /// several sets at once, as the translator does while it maps one round of sets).
    spare: Vec<Buffers>,
}

/// What ends with the segment just read.
#[derive(Debug, Clone, Copy)]
enum End {
    Set,
    Interchange,
}

/// How many emptied set buffers a reader keeps for reuse.
const MAX_SPARE: usize = 256;

/// A [`RawSet`]'s buffers, emptied, for the next set.
#[derive(Debug, Default)]
struct Buffers {
    data: Vec<u8>,
    spans: Vec<(u32, u32, u32, u32, u64)>,
    seps: Vec<u32>,
    diagnostics: Vec<Diagnostic>,
}

impl<R: Read> SetReader<R> {
    /// A reader with the given options. `max_set_len` bounds a single set's bytes.
    pub fn new(src: R, reader: ReaderOptions, opts: ValidateOptions, max_set_len: usize) -> Self {
        let defer = opts.defer_set_checks;
        let mut validator = Validator::new(opts);
        if defer {
            validator.defer_set_checks();
        }
        SetReader {
            segments: SegmentReader::with_options(src, reader),
            validator,
            context: None,
            isa: None,
            building: None,
            envelope_diagnostics: Vec::new(),
            pending: Default::default(),
            done: false,
            max_set_len,
            spare: Vec::new(),
        }
    }

    /// Envelope-level findings (outside any set) since the last call.
    pub fn take_envelope_diagnostics(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.envelope_diagnostics)
    }

    /// The next set or interchange end; `Ok(None)` at the end of the input. A tokenizer
    /// error ends the stream after the open interchange has been reported.
    pub fn next_event(&mut self) -> Result<Option<Event>, TokenError> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Ok(Some(e));
            }
            if self.done {
                return Ok(None);
            }
            match self.segments.next_segment() {
                Ok(Some(seg)) => {
                    let seg: Segment<'_> = seg;
                    // A set still open lacks its SE if this segment ends it, or is too big to
                    // hand out in one piece: the validator reports it, its bytes are dropped.
                    let ends_open_set = matches!(seg.id(), b"ISA" | b"GS" | b"ST" | b"GE" | b"IEA");
                    if let Some(open) = self
                        .building
                        .take_if(|b| ends_open_set || b.data.len() > self.max_set_len)
                    {
                        if !ends_open_set {
                            self.envelope_diagnostics
                                .push(too_big(&open, self.max_set_len));
                        }
                        drop_open_set(&mut self.validator, &mut self.spare, open);
                    }
                    before_segment(
                        &seg,
                        &mut self.isa,
                        &mut self.context,
                        &mut self.building,
                        &mut self.spare,
                    );
                    self.validator.feed(&seg);
                    let ends = match seg.id() {
                        b"SE" => Some(End::Set),
                        b"IEA" => Some(End::Interchange),
                        _ => None,
                    };
                    let separator_free = match ends {
                        Some(End::Set) => self.validator.take_separator_free(),
                        _ => None,
                    };
                    match &mut self.building {
                        Some(b) => {
                            b.push(&seg);
                            b.separator_free = separator_free.unwrap_or(false);
                            self.validator.drain_diagnostics_into(&mut b.diagnostics);
                            match ends {
                                Some(End::Set) => b.checks_owed = self.validator.take_owed_checks(),
                                None if b.len() == 1 => b.after_st = b.diagnostics.len(),
                                _ => {}
                            }
                        }
                        None => self
                            .validator
                            .drain_diagnostics_into(&mut self.envelope_diagnostics),
                    }
                    self.on_segment_after(ends);
                    // An interchange closed without its IEA (a new ISA began): its report
                    // goes out now, before any set of the next, so reports and sets stay in
                    // input order.
                    if self.validator.has_reports() {
                        self.flush();
                    }
                }
                Ok(None) => {
                    self.done = true;
                    self.check_open_set();
                    self.validator.finish();
                    self.flush();
                }
                Err(e) => {
                    self.done = true;
                    self.check_open_set();
                    self.validator.fail(&e);
                    self.flush();
                    if self.pending.is_empty() {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// The input ends inside a set.
    fn check_open_set(&mut self) {
        if let Some(open) = self.building.take() {
            drop_open_set(&mut self.validator, &mut self.spare, open);
        }
    }

    fn on_segment_after(&mut self, ends: Option<End>) {
        match ends {
            Some(End::Set) => {
                if let Some(set) = self.building.take() {
                    self.pending.push_back(Event::Set(set));
                }
            }
            Some(End::Interchange) => self.flush(),
            None => {}
        }
    }

    /// Gives back a set's buffers once the caller is done with it, so the next set is
    /// copied into memory already sized for a set instead of growing a new buffer segment
    /// by segment (a file holds thousands of sets).
    pub fn recycle(&mut self, set: RawSet) {
        keep_buffers(&mut self.spare, set);
    }

    fn flush(&mut self) {
        self.envelope_diagnostics
            .extend(self.validator.take_diagnostics());
        for r in self.validator.take_reports() {
            self.pending.push_back(Event::InterchangeEnd(r));
        }
    }
}

/// Drops the set being built, which will not be handed out: the checks it was owed run now,
/// and its buffers are kept.
fn drop_open_set(validator: &mut Validator, spare: &mut Vec<Buffers>, open: RawSet) {
    validator.check_open_set(open.segments());
    keep_buffers(spare, open);
}

/// Keeps the buffers of `set`, emptied, for the next set (up to [`MAX_SPARE`]).
fn keep_buffers(spare: &mut Vec<Buffers>, mut set: RawSet) {
    set.data.clear();
    set.spans.clear();
    set.seps.clear();
    set.diagnostics.clear();
    if spare.len() < MAX_SPARE {
        spare.push(Buffers {
            data: set.data,
            spans: set.spans,
            seps: set.seps,
            diagnostics: set.diagnostics,
        });
    }
}

/// Keeps the envelope context up to date and starts a set at its ST.
fn before_segment(
    seg: &Segment<'_>,
    isa_slot: &mut Option<(IsaInfo, Delimiters)>,
    context: &mut Option<Arc<SetContext>>,
    building: &mut Option<RawSet>,
    spare: &mut Vec<Buffers>,
) {
    let t = |n: usize| seg.text(n).unwrap_or("").to_owned();
    match seg.id() {
        b"ISA" => {
            let isa = IsaInfo::from_segment(seg);
            *isa_slot = Some((isa, seg.delimiters()));
            *context = None;
        }
        b"GS" => {
            let version_code = t(8);
            if let Some((isa, d)) = isa_slot.as_ref() {
                *context = Some(Arc::new(SetContext {
                    isa: isa.clone(),
                    delimiters: *d,
                    group: GroupInfo {
                        functional_id: t(1),
                        sender: t(2),
                        receiver: t(3),
                        control_number: t(6),
                        version: Version::from_gs08(&version_code),
                        version_code,
                    },
                }));
            }
        }
        b"ST" => {
            *building = context.as_ref().map(|ctx| {
                let b = spare.pop().unwrap_or_default();
                RawSet {
                    context: ctx.clone(),
                    id: t(1),
                    control_number: t(2),
                    offset: seg.offset(),
                    diagnostics: b.diagnostics,
                    data: b.data,
                    spans: b.spans,
                    seps: b.seps,
                    separator_free: false,
                    checks_owed: None,
                    after_st: 0,
                }
            });
        }
        _ => {}
    }
}

/// Why the set `b` is not handed out: bigger than `max_set_len` bytes.
fn too_big(b: &RawSet, max_set_len: usize) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code: crate::diagnostic::Code::Set(crate::diagnostic::SetError::NotSupported),
        location: crate::diagnostic::Location {
            offset: b.offset,
            interchange: Some(b.context.isa.control_number.clone()),
            group: Some(b.context.group.control_number.clone()),
            set: Some(b.control_number.clone()),
            ..Default::default()
        },
        message: format!("set larger than {max_set_len} bytes is not processed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAIM: &[u8] = include_bytes!("../../samples/844_4010_claim.x12");
    const SALES: &[u8] = include_bytes!("../../samples/867_4010_sales.x12");

    fn events(data: &[u8]) -> Vec<Event> {
        let mut r = SetReader::new(
            data,
            ReaderOptions::default(),
            ValidateOptions::default(),
            1 << 20,
        );
        let mut out = Vec::new();
        while let Some(e) = r.next_event().expect("reads") {
            out.push(e);
        }
        out
    }

    #[test]
    fn yields_each_set_with_its_context_then_the_interchange() {
        let mut both = CLAIM.to_vec();
        both.extend_from_slice(SALES);
        let ev = events(&both);
        assert_eq!(ev.len(), 4);
        let Event::Set(claim) = &ev[0] else {
            panic!("set first")
        };
        assert_eq!(claim.id, "844");
        assert_eq!(claim.context.group.functional_id, "CF");
        assert_eq!(claim.context.isa.sender_id, "GOODDRUG");
        assert_eq!(claim.len(), 64);
        assert!(claim.is_valid());
        let baa = claim.segment(1).expect("BAA");
        assert_eq!(baa.id(), b"BAA");
        assert_eq!(baa.text(5), Some("GDD-CB-20261115-0001"));
        assert!(matches!(&ev[1], Event::InterchangeEnd(r) if r.errors.is_empty()));
        let Event::Set(sales) = &ev[2] else {
            panic!("set")
        };
        assert_eq!(sales.id, "867");
        assert_eq!(sales.segments().filter(|s| s.id() == b"QTY").count(), 4);
        assert!(sales.ids().eq(sales.segments().map(|s| s.id())));
        assert!(claim.ids().eq(claim.segments().map(|s| s.id())));
    }

    /// A recycled set's buffers hold nothing of it when the next set is read into them.
    #[test]
    fn recycled_buffers_give_the_same_sets() {
        let mut both = SALES.to_vec();
        both.extend_from_slice(CLAIM);
        both.extend_from_slice(SALES);
        let fresh: Vec<(String, usize, Vec<Vec<u8>>)> = events(&both)
            .into_iter()
            .filter_map(|e| match e {
                Event::Set(s) => Some(s),
                Event::InterchangeEnd(_) => None,
            })
            .map(|s| {
                (
                    s.id.clone(),
                    s.len(),
                    s.segments().map(|g| g.raw().to_vec()).collect(),
                )
            })
            .collect();
        let mut r = SetReader::new(
            &both[..],
            ReaderOptions::default(),
            ValidateOptions::default(),
            1 << 20,
        );
        let mut recycled = Vec::new();
        while let Some(e) = r.next_event().expect("reads") {
            if let Event::Set(s) = e {
                recycled.push((
                    s.id.clone(),
                    s.len(),
                    s.segments().map(|g| g.raw().to_vec()).collect(),
                ));
                r.recycle(s);
            }
        }
        assert_eq!(fresh.len(), 3);
        assert_eq!(recycled, fresh);
    }

    /// A set is vouched separator-free only when the validator checked every element and
    /// found none; a component anywhere (here a valid composite UIT01) or envelope-only
    /// checking leaves it to the typed readers to look.
    #[test]
    fn separator_free_only_when_every_element_was_checked_clean() {
        let sets = |data: &[u8], opts: ValidateOptions| -> Vec<RawSet> {
            let mut r = SetReader::new(data, ReaderOptions::default(), opts, 1 << 20);
            let mut out = Vec::new();
            while let Some(e) = r.next_event().expect("reads") {
                if let Event::Set(s) = e {
                    out.push(s);
                }
            }
            out
        };
        let clean = sets(SALES, ValidateOptions::default());
        assert!(clean[0].is_valid() && clean[0].separator_free());
        let composite = String::from_utf8(SALES.to_vec()).expect("ascii").replacen(
            "UIT*CA*12.50~",
            "UIT*CA>1*12.50~",
            1,
        );
        let with_component = sets(composite.as_bytes(), ValidateOptions::default());
        assert!(with_component[0].is_valid());
        assert!(!with_component[0].separator_free());
        let envelope_only = ValidateOptions {
            envelope_only: true,
            ..ValidateOptions::default()
        };
        assert!(!sets(SALES, envelope_only)[0].separator_free());
    }

    #[test]
    fn a_set_with_errors_carries_its_diagnostics() {
        let bad = String::from_utf8(CLAIM.to_vec())
            .expect("ascii")
            .replace("DTM*003*20261105~", "DTM*003*20261305~");
        let ev = events(bad.as_bytes());
        let Event::Set(claim) = &ev[0] else {
            panic!("set")
        };
        assert!(!claim.is_valid());
        assert!(
            claim
                .diagnostics
                .iter()
                .any(|d| d.message.contains("invalid date"))
        );
    }

    /// An interchange that ends without its IEA (a new ISA begins) is reported before the
    /// sets of the next: a holder folding late findings into "the interchange that ends
    /// next" folds them into the right one.
    #[test]
    fn an_interchange_without_iea_is_reported_before_the_next_ones_sets() {
        let text = String::from_utf8([CLAIM, SALES].concat()).expect("ascii");
        let cut = text.find("IEA*1*000005001~\n").expect("the claim's IEA");
        let without_iea = format!(
            "{}{}",
            &text[..cut],
            &text[cut + "IEA*1*000005001~\n".len()..]
        );
        let order: Vec<String> = events(without_iea.as_bytes())
            .iter()
            .map(|e| match e {
                Event::Set(s) => format!("set {}", s.id),
                Event::InterchangeEnd(r) => format!("end {}", r.isa.control_number),
            })
            .collect();
        assert_eq!(
            order,
            ["set 844", "end 000005001", "set 867", "end 000005002"],
            "{order:?}"
        );
    }

    /// What a reader hands out, with the checks a deferring reader leaves run by the holder
    /// (one memo for all sets, as a thread of the translator has) and their findings folded
    /// into the interchange's report: per set its id, offset, findings and whether it is
    /// vouched separator-free; the reports; the findings outside sets.
    type ReadAll = (
        Vec<(String, u64, Vec<Diagnostic>, bool)>,
        Vec<InterchangeReport>,
        Vec<Diagnostic>,
    );

    fn read_all(data: &[u8], defer: bool, keep_all_sets: bool, max_set_len: usize) -> ReadAll {
        let opts = ValidateOptions {
            file: Some("in.x12".into()),
            keep_all_sets,
            defer_set_checks: defer,
            ..ValidateOptions::default()
        };
        let mut r = SetReader::new(data, ReaderOptions::default(), opts, max_set_len);
        let mut memo = crate::validate::CheckMemo::default();
        let (mut sets, mut reports, mut late) = (Vec::new(), Vec::new(), Vec::new());
        loop {
            match r.next_event() {
                Ok(Some(Event::Set(mut set))) => {
                    assert_eq!(set.checks_owed(), defer && set.checks_owed.is_some());
                    let found = crate::validate::check_set(&mut set, &mut memo);
                    assert!(!set.checks_owed());
                    assert_eq!(found.issues.is_empty(), found.errors == 0);
                    if !found.issues.is_empty() {
                        let report = set.report(vec![SetError::SegmentsInError], found.issues);
                        late.push((set.context.group.control_number.clone(), report));
                    }
                    sets.push((
                        set.id.clone(),
                        set.offset,
                        set.diagnostics.clone(),
                        set.separator_free(),
                    ));
                }
                Ok(Some(Event::InterchangeEnd(mut report))) => {
                    for (group, set) in late.drain(..) {
                        report.fold_set(&group, set);
                    }
                    reports.push(report);
                }
                Ok(None) | Err(_) => break,
            }
        }
        (sets, reports, r.take_envelope_diagnostics())
    }

    fn replaced(data: &[u8], from: &str, to: &str) -> Vec<u8> {
        let text = String::from_utf8(data.to_vec()).expect("ascii");
        assert!(text.contains(from), "{from}");
        text.replacen(from, to, 1).into_bytes()
    }

    /// Checks left to the set's holder find what checking as read finds, in the same order,
    /// and the reports come out the same once their findings are folded in: for clean sets,
    /// each kind of segment and element error, a claim line's 999 context, and sets the
    /// reader cannot hand out (no SE, the input ends inside one, too big, a new ISA).
    #[test]
    fn deferred_checks_find_what_checking_as_read_finds() {
        let two = [SALES, CLAIM].concat();
        let bad_date = replaced(&two, "DTM*003*20261105~", "DTM*003*20261305~");
        // The input up to `at` and `more` bytes after it.
        let cut_after = |data: &[u8], at: &str, more: usize| {
            let text = String::from_utf8(data.to_vec()).expect("ascii");
            let end = text.find(at).expect("present") + at.len() + more;
            text.as_bytes()[..end].to_vec()
        };
        // Sets of any size are handed out, except in the two "too big" cases.
        let case = |name, data| (name, data, 1 << 20);
        let mut cases: Vec<(&str, Vec<u8>, usize)> = vec![
            case("clean", two.clone()),
            case("bad date", bad_date.clone()),
            case(
                "unknown segment",
                replaced(&two, "UIT*CA*12.50~", "UIT*CA*12.50~ZZZ*1~"),
            ),
            case(
                "missing BPT",
                replaced(&two, "BPT*00*GDD-867-202611*20261201*SS~", ""),
            ),
            case(
                "out of order",
                replaced(&two, "DTM*090*20261101~", "CTT*1~DTM*090*20261101~"),
            ),
            case(
                "claim line",
                replaced(&two, "PAD*2~", "PAD*2~AMT*XX*1.0.0~"),
            ),
            case("no SE", replaced(&two, "SE*42*0001~", "")),
            case(
                "ends after a segment",
                cut_after(&bad_date, "DTM*003*20261305~\n", 0),
            ),
            case(
                "ends inside a segment",
                cut_after(&bad_date, "DTM*003*20261305~\n", 6),
            ),
            (
                "too big",
                replaced(&two, "UIT*CA*12.50~", "UIT*CA*12.50~ZZZ*1~"),
                300,
            ),
            (
                "too big, errors after",
                replaced(&two, "SE*42*0001~", "ZZZ*1~SE*43*0001~"),
                300,
            ),
            case(
                "new ISA",
                replaced(&bad_date, "SE*42*0001~\nGE*1*5002~\nIEA*1*000005002~\n", ""),
            ),
            case(
                "bad date, SE count off",
                replaced(&bad_date, "SE*42*0001~", "SE*41*0001~"),
            ),
        ];
        let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
        for entry in std::fs::read_dir(seeds).expect("seeds") {
            let path = entry.expect("entry").path();
            cases.push(case("seed", std::fs::read(&path).expect("seed")));
        }
        for (name, data, max) in &cases {
            for keep_all in [false, true] {
                let inline = read_all(data, false, keep_all, *max);
                let deferred = read_all(data, true, keep_all, *max);
                assert_eq!(inline.0, deferred.0, "{name}: sets");
                assert_eq!(inline.1, deferred.1, "{name}: reports");
                assert_eq!(inline.2, deferred.2, "{name}: envelope findings");
            }
        }
        // The cases reach what they are named for.
        let found = |name: &str, what: &str| {
            let (_, data, max) = cases.iter().find(|c| c.0 == name).expect("case");
            let (sets, reports, envelope) = read_all(data, true, false, *max);
            let text = format!("{sets:?} {reports:?} {envelope:?}");
            assert!(text.contains(what), "{name}: {what} not in {text}");
        };
        found("bad date", "invalid date");
        found("unknown segment", "Unrecognized");
        found("missing BPT", "MandatoryMissing");
        found("out of order", "segment");
        found("claim line", "PAD01");
        found("no SE", "TrailerMissing");
        found("too big", "Unrecognized");
        found("too big, errors after", "Unrecognized");
        found("new ISA", "TrailerMissing");
        found("ends after a segment", "InvalidDate");
        found("ends inside a segment", "InvalidDate");
        found("bad date, SE count off", "SegmentCountMismatch");
        let (sets, ..) = read_all(&two, true, false, 1 << 20);
        assert!(
            sets.iter().all(|s| s.2.is_empty() && s.3),
            "clean sets are vouched for"
        );
        // The validator on its own has no holder to leave the checks to: it runs them.
        let alone = |defer_set_checks| {
            let opts = ValidateOptions {
                defer_set_checks,
                ..ValidateOptions::default()
            };
            crate::validate::validate(&bad_date[..], ReaderOptions::default(), opts).diagnostics
        };
        assert!(
            alone(true)
                .iter()
                .any(|d| d.message.contains("invalid date"))
        );
        assert_eq!(alone(true), alone(false));
    }
}
