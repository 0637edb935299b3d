//! Acknowledgments built from validation reports: TA1 for the interchange, 997 (004010 and
//! 005010) or 999 (005010) per functional group.
//!
//! The returning interchange swaps sender and receiver, takes its version from what it
//! acknowledges, and never acknowledges an acknowledgment (FA groups and TA1s get none).

use crate::diagnostic::ElementPosition;
use crate::dict::Version;
use crate::envelope::{Group, GroupHeader, Interchange, InterchangeHeader, Seg, TransactionSet};
use crate::validate::{GroupReport, InterchangeReport, IsaInfo, SegmentIssue, SetReport};

/// The version/release/industry identifier of the 999 implementation guide (005010X231A1),
/// a 999's GS08 and ST03.
const IA999_GUIDE: &str = "005010X231A1";

/// Which functional acknowledgment to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckKind {
    /// 997 functional acknowledgment.
    Fa997,
    /// 999 implementation acknowledgment (005010 groups only; 004010 groups get a 997).
    Ia999,
}

/// When to add a TA1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ta1Policy {
    /// When ISA14 = 1 or the interchange envelope is in error.
    #[default]
    WhenRequestedOrRejected,
    /// Always.
    Always,
    /// Only when ISA14 = 1.
    WhenRequested,
    /// Never, not even for a rejected interchange (partner agreement).
    Never,
}

/// What the caller decides: our control numbers, the clock, the policy.
#[derive(Debug, Clone)]
pub struct AckParams {
    /// 997 or 999.
    pub kind: AckKind,
    /// TA1 policy.
    pub ta1: Ta1Policy,
    /// List every set, not only those in error.
    pub all_sets: bool,
    /// ISA13 of the acknowledgment interchange.
    pub interchange_control_number: u32,
    /// First GS06 to use; one group per acknowledged group.
    pub group_control_number: u32,
    /// Date YYYYMMDD (the library never reads a clock).
    pub date: String,
    /// Time HHMM.
    pub time: String,
}

/// Builds the acknowledgment interchange for one received interchange, or `None` when
/// nothing is owed (an acknowledgment was received, or the policy asks for nothing).
pub fn acknowledge(report: &InterchangeReport, params: &AckParams) -> Option<Interchange> {
    let isa = &report.isa;
    let want_ta1 = match params.ta1 {
        Ta1Policy::Always => true,
        Ta1Policy::WhenRequested => isa.ack_requested == "1",
        Ta1Policy::Never => false,
        Ta1Policy::WhenRequestedOrRejected => {
            isa.ack_requested == "1" || report.rejected() || !report.warnings.is_empty()
        }
    };
    let mut ta1 = Vec::new();
    if want_ta1 && report.ta1_received == 0 {
        ta1.push(build_ta1(report));
    }
    let mut groups = Vec::new();
    if !report.rejected() {
        let acked = report.groups.iter().filter(|g| g.acknowledgeable());
        for (gcn, g) in (params.group_control_number..).zip(acked) {
            groups.push(group_ack(g, isa, params, gcn));
        }
    }
    debug_assert_eq!(groups.len(), acknowledged_groups(report));
    if ta1.is_empty() && groups.is_empty() {
        return None;
    }
    let version = if isa.version.is_empty() {
        "00401".to_owned()
    } else {
        isa.version.clone()
    };
    Some(Interchange {
        header: InterchangeHeader {
            sender_qualifier: or(&isa.receiver_qualifier, "ZZ"),
            sender_id: or(&isa.receiver_id, "UNKNOWN"),
            receiver_qualifier: or(&isa.sender_qualifier, "ZZ"),
            receiver_id: or(&isa.sender_id, "UNKNOWN"),
            date: params.date.get(2..8).unwrap_or("000101").to_owned(),
            time: params.time.clone(),
            version,
            control_number: params.interchange_control_number,
            ack_requested: false,
            usage: isa
                .usage
                .chars()
                .next()
                .filter(|c| *c == 'T')
                .unwrap_or('P'),
        },
        ta1,
        groups,
    })
}

/// How many groups the acknowledgment of `report` holds (one per group acknowledged, none
/// when the interchange is rejected): [`acknowledge`] numbers them from
/// [`AckParams::group_control_number`] on, so a caller allocates that many GS06s.
pub fn acknowledged_groups(report: &InterchangeReport) -> usize {
    if report.rejected() {
        return 0;
    }
    report.groups.iter().filter(|g| g.acknowledgeable()).count()
}

fn or(v: &str, default: &str) -> String {
    if v.is_empty() {
        default.to_owned()
    } else {
        v.to_owned()
    }
}

/// TA1 for an interchange: accepted (`A`, `000`) or rejected with its first note.
pub fn build_ta1(report: &InterchangeReport) -> Seg {
    let isa = &report.isa;
    let (status, note) = match (report.errors.first(), report.warnings.first()) {
        (Some(n), _) => ("R", n.code()),
        (None, Some(n)) => ("E", n.code()),
        (None, None) => ("A", "000"),
    };
    let icn = if isa.control_number.len() == 9
        && isa.control_number.bytes().all(|b| b.is_ascii_digit())
    {
        isa.control_number.clone()
    } else {
        "000000000".to_owned()
    };
    // TA102/TA103 echo ISA09/ISA10, but an ISA rejected for its date or time (TA105 014,
    // 015) has none to echo: a placeholder keeps the TA1 valid X12 (as TA101 does above),
    // where the echo made it a TA1 the partner's translator refuses in turn.
    use crate::validate::datatype::{check_date, check_time};
    let date = match isa.date.as_str() {
        d if d.len() == 6 && check_date(d.as_bytes()).is_ok() => d.to_owned(),
        _ => "000101".to_owned(),
    };
    let time = match isa.time.as_str() {
        t if t.len() == 4 && check_time(t.as_bytes()).is_ok() => t.to_owned(),
        _ => "0000".to_owned(),
    };
    Seg::from_strings(
        "TA1",
        vec![icn, date, time, status.to_owned(), note.to_owned()],
    )
}

fn group_ack(g: &GroupReport, isa: &IsaInfo, params: &AckParams, gcn: u32) -> Group {
    let v5 = g.version == Some(Version::V005010);
    let kind = if v5 { params.kind } else { AckKind::Fa997 };
    let mut body = Vec::new();
    let mut ak1 = vec![g.functional_id.clone(), ak102(&g.control_number)];
    if v5 && let Some(ak103) = ak103(&g.version_code) {
        ak1.push(ak103);
    }
    body.push(Seg::from_strings("AK1", ak1));
    for set in g.sets.iter().filter(|s| params.all_sets || !s.accepted()) {
        set_ack(set, kind, v5, &mut body);
    }
    // AK902 is what the GE says the group includes, AK903 what came; a group rejected as a
    // whole (a group-level code) accepts none of its sets, whatever each was worth.
    let accepted = if g.errors.is_empty() {
        g.sets_accepted
    } else {
        0
    };
    let mut ak9 = vec![
        g.status().to_owned(),
        g.sets_included.unwrap_or(g.sets_received).to_string(),
        g.sets_received.to_string(),
        accepted.to_string(),
    ];
    ak9.extend(
        g.errors
            .iter()
            .filter_map(|e| e.code())
            .take(5)
            .map(str::to_owned),
    );
    body.push(Seg::from_strings("AK9", ak9));
    let id = match kind {
        AckKind::Fa997 => "997",
        AckKind::Ia999 => "999",
    };
    // The acknowledgment's own version. A 997 is versioned as the group it acknowledges,
    // bare (`005010`): the received GS08's implementation suffix (`005010X222`...) names the
    // guide of the set acknowledged, not of this 997. A 999 is an implementation
    // acknowledgment, itself written to a guide (X231A1), whose identifier its GS08 and
    // ST03 carry.
    let (version, implementation_ref) = match (kind, g.version) {
        (AckKind::Ia999, _) => (IA999_GUIDE.to_owned(), Some(IA999_GUIDE.to_owned())),
        (AckKind::Fa997, Some(v)) => (v.gs08().to_owned(), None),
        (AckKind::Fa997, None) => ("004010".to_owned(), None),
    };
    Group {
        header: GroupHeader {
            functional_id: "FA".to_owned(),
            sender: application_code(&g.receiver, &isa.receiver_id),
            receiver: application_code(&g.sender, &isa.sender_id),
            date: params.date.clone(),
            time: params.time.clone(),
            control_number: gcn,
            version,
        },
        sets: vec![TransactionSet {
            id: id.to_owned(),
            control_number: "0001".to_owned(),
            implementation_ref,
            body,
        }],
    }
}

// The AK1 and GS of an acknowledgment echo the received GS, and a GS is rejected for
// the very values that would make the echo invalid X12 in turn: an acknowledgment the
// partner's translator refuses, so the rejection never reaches them. As the TA1 does
// for ISA09/ISA10 (`build_ta1`), each element takes the most faithful value that is valid,
// and the AK9 code (`6`, `2`, or none for GS02/GS03) still says what was wrong.

/// AK102 from GS06. AK102 is mandatory, N0 1/9 (it cannot be left out), and a GS06 that is
/// not 1 to 9 digits is rejected with AK905 `6`. Digits with leading zeros past nine are
/// still that number, written as N0 writes it (leading zeros are not significant, and the
/// partner matches the number); anything else (letters, a sign, ten significant digits) has
/// no number to echo, and gets `0`, as TA101 gets `000000000`: a placeholder next to the
/// AK905 `6` that says why, where a cut or guessed number could match another group.
fn ak102(gs06: &str) -> String {
    if gs06.is_empty() || !gs06.bytes().all(|b| b.is_ascii_digit()) {
        return "0".to_owned();
    }
    if gs06.len() <= 9 {
        return gs06.to_owned();
    }
    match gs06.trim_start_matches('0') {
        "" => "0",
        n if n.len() <= 9 => n,
        _ => "0",
    }
    .to_owned()
}

/// AK301/IK301 from the received segment id. AK301 is mandatory, ID 2/3: an id that is not
/// two or three letters or digits (an empty segment, `~~`; `C`; `CURRX`) cannot be echoed,
/// and gets `UNK`, a placeholder that is no segment of any set, where a cut id would name
/// another segment. AK302 locates the segment and AK304 `1` says why.
fn ak301(id: &str) -> String {
    let fits = (2..=3).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric());
    if fits { id } else { "UNK" }.to_owned()
}

/// AK103 (005010) from GS08. AK103 is optional, AN 1/12: a GS08 that is not (too long, or
/// with a character no X12 set has) is left out rather than cut into a version the partner
/// never sent. AK905 `2` says why.
fn ak103(gs08: &str) -> Option<String> {
    an_fits(gs08, 1, 12).then(|| gs08.to_owned())
}

/// Our GS02 or GS03: the received GS03 or GS02 (`received`), AN 2/15 and mandatory. One
/// that does not fit (GS02/GS03 rejected the group) is replaced by the same party's
/// interchange id (`isa_id`, ISA08 or ISA06, trimmed), which names the same trading partner
/// and is what the returning ISA carries; `UNKNOWN` only when that does not fit either. The
/// acknowledgment has no other id for either party ([`AckParams`] carries none).
fn application_code(received: &str, isa_id: &str) -> String {
    [received, isa_id]
        .into_iter()
        .find(|id| an_fits(id, 2, 15))
        .unwrap_or("UNKNOWN")
        .to_owned()
}

/// True when `v` is a valid AN value of `min` to `max` characters, printable ASCII only (no
/// control character, which no X12 character set has) and not spaces only (X12.6: a string
/// holds a non-space character; one of spaces only is no value).
fn an_fits(v: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&v.len())
        && v.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
        && v.bytes().any(|b| b != b' ')
}

fn set_ack(set: &SetReport, kind: AckKind, v5: bool, body: &mut Vec<Seg>) {
    let mut ak2 = vec![set.id.clone(), set.control_number.clone()];
    if v5 && let Some(r) = &set.implementation_ref {
        ak2.push(r.clone());
    }
    body.push(Seg::from_strings("AK2", ak2));
    let (seg_id, el_id, set_id) = match kind {
        AckKind::Fa997 => ("AK3", "AK4", "AK5"),
        AckKind::Ia999 => ("IK3", "IK4", "IK5"),
    };
    for issue in &set.segments {
        segment_ack(issue, kind, v5, seg_id, el_id, body);
    }
    let status = if set.accepted() { "A" } else { "R" };
    let mut ak5 = vec![status.to_owned()];
    ak5.extend(set.errors.iter().take(5).map(|e| match kind {
        AckKind::Fa997 => e.code().to_owned(),
        AckKind::Ia999 => e.code_999().to_owned(),
    }));
    body.push(Seg::from_strings(set_id, ak5));
}

fn segment_ack(
    issue: &SegmentIssue,
    kind: AckKind,
    v5: bool,
    seg_id: &str,
    el_id: &str,
    body: &mut Vec<Seg>,
) {
    body.push(Seg::from_strings(
        seg_id,
        vec![
            ak301(&issue.id),
            issue.position.to_string(),
            issue.loop_id.clone().unwrap_or_default(),
            match kind {
                AckKind::Fa997 => issue.error.code().to_owned(),
                AckKind::Ia999 => issue.error.code_999().to_owned(),
            },
        ],
    ));
    if kind == AckKind::Ia999
        && let Some((name, value)) = &issue.context
    {
        // Business-unit context: which claim line the error sits in.
        body.push(Seg {
            id: "CTX".to_owned(),
            elements: vec![vec![name.clone(), value.clone()]],
        });
    }
    // AK3 allows at most 99 AK4s.
    for e in issue.elements.iter().take(99) {
        body.push(Seg {
            id: el_id.to_owned(),
            elements: vec![
                position(e.position, v5),
                vec![e.ref_num.unwrap_or("").to_owned()],
                vec![
                    match kind {
                        AckKind::Fa997 => e.error.code(),
                        AckKind::Ia999 => e.error.code_999(),
                    }
                    .to_owned(),
                ],
                vec![sanitize(e.data.as_deref().unwrap_or(""))],
            ],
        });
    }
}

fn position(p: ElementPosition, v5: bool) -> Vec<String> {
    let mut c = vec![p.element.to_string()];
    match (p.component, p.repetition) {
        (Some(comp), Some(rep)) if v5 => {
            c.push(comp.to_string());
            c.push(rep.to_string());
        }
        (None, Some(rep)) if v5 => {
            c.push(String::new());
            c.push(rep.to_string());
        }
        (Some(comp), _) => c.push(comp.to_string()),
        _ => {}
    }
    c
}

/// AK404 copies the bad data as received, up to 99 characters, leaving out only what is no
/// printable ASCII (control characters, bytes outside the X12 character sets). A character
/// that is a delimiter of the acknowledgment is the writer's to replace
/// (`DelimiterPolicy::Substitute`): which characters those are is only known when it is
/// written.
fn sanitize(v: &str) -> String {
    v.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(99)
        .collect()
}
