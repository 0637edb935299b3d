//! Drafting a profile from a partner's sample files (`chargegate partner new --from ...`).
//!
//! The samples are read the way the gateway reads inbound files: [`SegmentReader`] probes
//! each file's ISA (strictly, then leniently), and [`SetReader`] hands out validated sets whose
//! segments are tallied by where they sit: which REF01, DTM01, UIT03, CTP02, N101/N103, LIN,
//! QTY01 and AMT01 codes appear in headings, contract loops and lines, where the contract and
//! the debit memo numbers are carried. From that tally [`draft`] writes a commented TOML
//! profile that loads with [`Profile::from_toml_str`], and notes saying what was inferred and
//! what a person must still decide (transport, money rules, reject codes).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use x12::stream::{Event, RawSet, SetReader};
use x12::tokenizer::delimiters::DelimiterError;
use x12::validate::ValidateOptions;
use x12::{Delimiters, IsaMode, ReaderOptions, SegmentReader, TokenError};

use crate::profile::codes::{ClaimRef, ContractRef, LineEnding, Role};
use crate::profile::error::quote;
use crate::profile::{Profile, ProfileError};

/// A drafted profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The profile id (and file name without `.toml`).
    pub id: String,
    /// The profile text, commented; it loads with [`Profile::from_toml_str`].
    pub toml: String,
    /// What was inferred from the samples and what needs a human, one sentence each.
    pub notes: Vec<String>,
    /// Names of the samples not used: sent by another sender than the partner's.
    pub skipped: Vec<String>,
}

/// Why no profile could be drafted.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    /// No sample was given.
    #[error("no sample files given")]
    NoSamples,
    /// A sample has no readable ISA.
    #[error("{file}: not an X12 interchange: {message}")]
    Unreadable {
        /// The sample.
        file: String,
        /// What the reader found.
        message: String,
    },
    /// The samples hold no 844, 845, 849 or 867 from the partner, so its role is unknown.
    #[error("no 844, 845, 849 or 867 set sent by {sender} in the samples: its role cannot be told")]
    NoBusinessSets {
        /// ISA qualifier/id of the partner.
        sender: String,
    },
    /// The requested id is not a valid profile id.
    #[error(
        "invalid profile id {0:?}: expected lowercase letters, digits, '-' or '_', starting with a letter or digit"
    )]
    BadId(String),
    /// The drafted text did not load back (a bug: drafting should only write what loads).
    #[error("drafted profile does not load: {0}")]
    Invalid(#[from] ProfileError),
}

/// Counts of codes in order of first appearance.
#[derive(Debug, Default, Clone)]
struct Tally(Vec<(String, usize)>);

impl Tally {
    fn add(&mut self, code: &str) {
        if code.is_empty() {
            return;
        }
        match self.0.iter_mut().find(|(c, _)| c == code) {
            Some((_, n)) => *n += 1,
            None => self.0.push((code.to_owned(), 1)),
        }
    }

    fn has(&self, code: &str) -> bool {
        self.0.iter().any(|(c, _)| c == code)
    }

    fn codes(&self) -> Vec<String> {
        self.0.iter().map(|(c, _)| c.clone()).collect()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn show(&self) -> String {
        self.0
            .iter()
            .map(|(c, n)| format!("{c} ({n})"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Everything observed in the partner's samples.
#[derive(Debug, Default)]
struct Seen {
    files: Vec<String>,
    skipped_files: Vec<String>,
    isa_qualifier: String,
    isa_id: String,
    gs_ids: Tally,
    versions: Tally,
    delimiters: Option<Delimiters>,
    delimiter_variants: usize,
    line_ending: Option<LineEnding>,
    lenient_isa: bool,
    ack_requested: bool,
    sets: Tally,
    invalid_sets: Vec<String>,
    names: Vec<(String, String)>,
    lin_before_qty: bool,
    /// Codes by set (ST01) and by where they were seen (`"UIT03"`, `"N101 heading"`, ...).
    by_set: BTreeMap<String, BTreeMap<&'static str, Tally>>,
}

impl Seen {
    fn rec(&mut self, set: &str, label: &'static str, code: &str) {
        if code.is_empty() {
            return;
        }
        self.by_set
            .entry(set.to_owned())
            .or_default()
            .entry(label)
            .or_default()
            .add(code);
    }

    /// One label's codes over every set.
    fn all(&self, label: &str) -> Tally {
        let mut out = Tally::default();
        for tallies in self.by_set.values() {
            if let Some(t) = tallies.get(label) {
                for (code, n) in &t.0 {
                    for _ in 0..*n {
                        out.add(code);
                    }
                }
            }
        }
        out
    }
}

/// Where in a set a segment sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Heading,
    /// CON loop (844, 845, 849) or PTD loop (867) before its lines.
    Contract,
    /// PAD loop or 867 QTY loop.
    Line,
    Summary,
}

/// Drafts a profile from `(file name, bytes)` samples. The partner is the ISA sender of the
/// first sample; samples from other senders are skipped (and noted). `id` defaults to the
/// lowercased ISA sender id.
pub fn draft(samples: &[(String, Vec<u8>)], id: Option<&str>) -> Result<Draft, DraftError> {
    if samples.is_empty() {
        return Err(DraftError::NoSamples);
    }
    let mut seen = Seen::default();
    let mut notes = Vec::new();
    for (name, bytes) in samples {
        read_sample(name, bytes, &mut seen, &mut notes)?;
    }
    let sender = format!("{}/{}", seen.isa_qualifier, seen.isa_id);
    let sends = |st: &str| seen.sets.has(st);
    let as_distributor = ["844", "867"].iter().filter(|s| sends(s)).count();
    let as_supplier = ["845", "849"].iter().filter(|s| sends(s)).count();
    let role = match (as_distributor, as_supplier) {
        (0, 0) => return Err(DraftError::NoBusinessSets { sender }),
        (d, s) if d >= s => Role::Distributor,
        _ => Role::Supplier,
    };
    if as_distributor > 0 && as_supplier > 0 {
        notes.push(format!(
            "CHECK role: the samples hold sets of both sides ({}); drafted as {}",
            seen.sets.show(),
            role.as_str()
        ));
    }
    let id = match id {
        Some(id) => {
            if !valid_id(id) {
                return Err(DraftError::BadId(id.to_owned()));
            }
            id.to_owned()
        }
        None => id_from(&seen.isa_id),
    };
    let toml = render(&seen, role, &id, &mut notes);
    Profile::from_toml_str(&toml, &format!("{id}.toml"))?;
    Ok(Draft {
        id,
        toml,
        notes,
        skipped: seen.skipped_files.clone(),
    })
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A profile id from an ISA id: lowercased, other characters turned into `-`.
fn id_from(isa_id: &str) -> String {
    let mapped: String = isa_id
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed: String = mapped.trim_matches('-').chars().take(64).collect();
    if trimmed.is_empty() {
        "partner".to_owned()
    } else {
        trimmed
    }
}

/// Reads one sample's ISA with the segment reader: strict first, lenient when the ISA is not
/// fixed width. Returns the mode that worked, the ISA sender and the delimiters.
fn probe(name: &str, bytes: &[u8]) -> Result<(IsaMode, String, String, Delimiters), DraftError> {
    let mut message = "interchange does not start with ISA".to_owned();
    for mode in [IsaMode::Strict, IsaMode::Lenient] {
        let opts = ReaderOptions {
            isa_mode: mode,
            ..ReaderOptions::default()
        };
        let mut reader = SegmentReader::with_options(bytes, opts);
        match reader.next_segment() {
            Ok(Some(isa)) if isa.id() == b"ISA" => {
                let q = isa.text(5).unwrap_or("").trim().to_owned();
                let id = isa.text(6).unwrap_or("").trim().to_owned();
                return Ok((mode, q, id, isa.delimiters()));
            }
            Ok(_) => break,
            Err(e) => {
                message = e.to_string();
                // Only a mis-sized ISA is worth a second, lenient try.
                let fixed_width = matches!(
                    &e,
                    TokenError::Isa {
                        source: DelimiterError::NotFixedWidth(_),
                        ..
                    }
                );
                if !fixed_width {
                    break;
                }
            }
        }
    }
    Err(DraftError::Unreadable {
        file: name.to_owned(),
        message,
    })
}

fn line_ending_after_first_segment(bytes: &[u8], d: &Delimiters) -> LineEnding {
    if d.segment == b'\n' {
        return LineEnding::None;
    }
    let Some(pos) = bytes.iter().position(|&b| b == d.segment) else {
        return LineEnding::None;
    };
    match (d.segment, &bytes[pos + 1..]) {
        // CR as the terminator, then LF: the partner ends its segments with CRLF.
        (b'\r', [b'\n', ..]) => LineEnding::Lf,
        (b'\r', _) => LineEnding::None,
        (_, [b'\r', b'\n', ..]) => LineEnding::Crlf,
        (_, [b'\n', ..]) => LineEnding::Lf,
        _ => LineEnding::None,
    }
}

fn read_sample(
    name: &str,
    bytes: &[u8],
    seen: &mut Seen,
    notes: &mut Vec<String>,
) -> Result<(), DraftError> {
    let (mode, qualifier, sender, delimiters) = probe(name, bytes)?;
    if seen.files.is_empty() && seen.skipped_files.is_empty() {
        seen.isa_qualifier = qualifier.clone();
        seen.isa_id = sender.clone();
    }
    if (qualifier.as_str(), sender.as_str()) != (seen.isa_qualifier.as_str(), seen.isa_id.as_str())
    {
        notes.push(format!(
            "skipped {name}: sent by {qualifier}/{sender}, not by the partner {}/{}",
            seen.isa_qualifier, seen.isa_id
        ));
        seen.skipped_files.push(name.to_owned());
        return Ok(());
    }
    seen.files.push(name.to_owned());
    if mode == IsaMode::Lenient {
        seen.lenient_isa = true;
    }
    match seen.delimiters {
        None => seen.delimiters = Some(delimiters),
        Some(d) if d != delimiters => seen.delimiter_variants += 1,
        Some(_) => {}
    }
    let ending = line_ending_after_first_segment(bytes, &delimiters);
    if seen.line_ending.is_none() {
        seen.line_ending = Some(ending);
    }

    let opts = ReaderOptions {
        isa_mode: mode,
        ..ReaderOptions::default()
    };
    let vopts = ValidateOptions {
        file: Some(name.to_owned()),
        ..ValidateOptions::default()
    };
    let mut reader = SetReader::new(bytes, opts, vopts, 64 << 20);
    let mut errors = 0usize;
    let mut first_error = None;
    loop {
        match reader.next_event() {
            Ok(Some(Event::Set(set))) => {
                if !set.is_valid() {
                    seen.invalid_sets
                        .push(format!("{name} set {} ({})", set.control_number, set.id));
                }
                for d in &set.diagnostics {
                    errors += 1;
                    first_error.get_or_insert_with(|| d.to_string());
                }
                analyze_set(&set, seen);
            }
            Ok(Some(Event::InterchangeEnd(report))) => {
                if report.isa.ack_requested == "1" {
                    seen.ack_requested = true;
                }
                for g in &report.groups {
                    seen.gs_ids.add(&g.sender);
                    seen.versions.add(&g.version_code);
                }
            }
            Ok(None) => break,
            Err(e) => {
                notes.push(format!("{name}: reading stopped early: {e}"));
                break;
            }
        }
    }
    for d in reader.take_envelope_diagnostics() {
        errors += 1;
        first_error.get_or_insert_with(|| d.to_string());
    }
    if let Some(first) = first_error {
        notes.push(format!(
            "CHECK {name}: {errors} validation finding(s), first: {first}"
        ));
    }
    Ok(())
}

fn first_component(seg: &x12::Segment<'_>, n: usize) -> String {
    let d = seg.delimiters();
    seg.element(n)
        .and_then(|e| x12::tokenizer::components(e, &d).next())
        .and_then(|c| std::str::from_utf8(c).ok())
        .unwrap_or("")
        .to_owned()
}

fn analyze_set(set: &RawSet, seen: &mut Seen) {
    let kind = set.id.as_str();
    seen.sets.add(kind);
    if !matches!(kind, "844" | "845" | "849" | "867") {
        return;
    }
    let mut area = Area::Heading;
    let mut prev = String::new();
    // Whether the current line had a UIT yet: a line's first UIT is its sell price.
    let mut line_priced = false;
    for seg in set.segments() {
        let id = seg.id_str();
        let t = |n: usize| seg.text(n).unwrap_or("").trim().to_owned();
        match id {
            "CON" => {
                area = Area::Contract;
                if !t(2).is_empty() {
                    seen.rec(kind, "contract number", ContractRef::Con02.as_str());
                }
            }
            "PTD" if kind == "867" => {
                area = Area::Contract;
                if t(4) == "CT" && !t(5).is_empty() {
                    seen.rec(kind, "contract number", ContractRef::Ptd05.as_str());
                }
            }
            "PAD" => {
                area = Area::Line;
                line_priced = false;
            }
            "QTY" => {
                if kind == "867" {
                    area = Area::Line;
                    line_priced = false;
                }
                if area == Area::Line {
                    seen.rec(kind, "QTY01", &t(1));
                    seen.rec(kind, "units", &first_component(&seg, 3));
                }
            }
            "CTT" => area = Area::Summary,
            "BPA" if t(3) == "CT" && !t(4).is_empty() => {
                seen.rec(kind, "contract number", ContractRef::Bpa04.as_str());
            }
            "BAA" => {
                seen.rec(kind, "BAA02", &t(2));
                if t(4) == "DB" && !t(5).is_empty() {
                    seen.rec(kind, "debit memo", ClaimRef::Baa05.as_str());
                }
            }
            "BRC" if t(3) == "DB" && !t(4).is_empty() => {
                seen.rec(kind, "debit memo", ClaimRef::Baa05.as_str());
            }
            "N1" => {
                let entity = t(1);
                match area {
                    Area::Heading => {
                        seen.rec(kind, "N101 heading", &entity);
                        seen.names.push((entity, t(2)));
                    }
                    Area::Contract if kind == "845" => {
                        seen.rec(kind, "N101 eligible", &entity);
                        seen.rec(kind, "N103 contract loop", &t(3));
                    }
                    Area::Contract => {
                        seen.rec(kind, "N101 contract loop", &entity);
                        seen.rec(kind, "N103 contract loop", &t(3));
                    }
                    Area::Line | Area::Summary => {}
                }
            }
            "REF" => {
                let q = t(1);
                if area == Area::Heading {
                    seen.rec(kind, "REF01 heading", &q);
                    if q == "DB" {
                        seen.rec(kind, "debit memo", ClaimRef::RefDb.as_str());
                    }
                } else {
                    seen.rec(kind, "REF01 detail", &q);
                    if q == "CT" {
                        seen.rec(kind, "contract number", ContractRef::RefCt.as_str());
                    }
                }
            }
            "DTM" => seen.rec(kind, "DTM01", &t(1)),
            "LIN" => {
                if kind == "867" && prev != "QTY" {
                    seen.lin_before_qty = true;
                }
                let mut n = 2;
                while n < seg.element_count() {
                    seen.rec(kind, "LIN qualifiers", &t(n));
                    n += 2;
                }
            }
            "UIT" => {
                seen.rec(kind, "units", &first_component(&seg, 1));
                seen.rec(kind, "UIT03", &t(3));
                if area == Area::Line && !std::mem::replace(&mut line_priced, true) {
                    seen.rec(kind, "UIT03 first", &t(3));
                }
            }
            "CTP" => {
                seen.rec(kind, "CTP02", &t(2));
                seen.rec(kind, "units", &first_component(&seg, 5));
            }
            "AMT" => match area {
                Area::Summary => seen.rec(kind, "AMT01 summary", &t(1)),
                Area::Line => seen.rec(kind, "AMT01 line", &t(1)),
                _ => {}
            },
            "AAA" => seen.rec(kind, "AAA03", &t(3)),
            _ => {}
        }
        prev = id.to_owned();
    }
}

/// Codes the dictionary knows for `element`; the others are reported in a note.
fn known(element: &str, codes: Vec<String>, what: &str, notes: &mut Vec<String>) -> Vec<String> {
    let (ok, bad): (Vec<String>, Vec<String>) = codes
        .into_iter()
        .partition(|c| crate::profile::v1::known_code(element, c) != Some(false));
    if !bad.is_empty() {
        notes.push(format!(
            "CHECK {what}: {} not in the X12 code list, left out",
            bad.join(", ")
        ));
    }
    ok
}

fn list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| quote(s)).collect();
    format!("[{}]", items.join(", "))
}

fn delimiter(b: u8) -> String {
    quote(&char::from(b).to_string())
}

/// Orders `found` with the codes of `preferred` first (in that order), then the rest as seen.
fn prefer(found: &[String], preferred: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = preferred
        .iter()
        .filter(|p| found.iter().any(|f| f == *p))
        .map(|p| (*p).to_owned())
        .collect();
    for f in found {
        if !out.contains(f) {
            out.push(f.clone());
        }
    }
    out
}

/// Builds the TOML text: `kv` lines with their comments aligned in one column.
#[derive(Default)]
struct TomlOut(String);

impl TomlOut {
    const COMMENT_COLUMN: usize = 33;

    fn line(&mut self, text: &str) {
        self.0.push_str(text);
        self.0.push('\n');
    }

    /// `text` followed by `# comment`, aligned.
    fn with(&mut self, text: &str, comment: &str) {
        let pad = Self::COMMENT_COLUMN.saturating_sub(text.len()).max(1);
        let _ = writeln!(self.0, "{text}{:pad$}# {comment}", "");
    }

    /// `text` with an optional comment.
    fn opt(&mut self, text: &str, comment: Option<String>) {
        match comment {
            Some(c) => self.with(text, &c),
            None => self.line(text),
        }
    }
}

fn render(seen: &Seen, role: Role, id: &str, notes: &mut Vec<String>) -> String {
    let mut o = TomlOut::default();
    let sets_seen = seen.sets.show();
    let partner_entities: &[&str] = match role {
        Role::Distributor => &["DS", "BY", "SE"],
        Role::Supplier => &["MF", "SU", "VN", "SE"],
    };
    let name = partner_entities
        .iter()
        .find_map(|e| seen.names.iter().find(|(n, _)| n == e))
        .map(|(_, name)| name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| {
            notes.push(
                "CHECK name: no N1 of the partner in its headings; the ISA id is used".to_owned(),
            );
            seen.isa_id.clone()
        });
    notes.push(format!(
        "identity: ISA {}/{}, role {} (it sends {sets_seen})",
        seen.isa_qualifier,
        seen.isa_id,
        role.as_str()
    ));
    for (set, tallies) in &seen.by_set {
        let parts: Vec<String> = tallies
            .iter()
            .map(|(label, t)| format!("{label} {}", t.show()))
            .collect();
        notes.push(format!("{set} qualifiers: {}", parts.join("; ")));
    }

    o.line(&format!(
        "# Drafted by `chargegate partner new` from {}.",
        seen.files.join(", ")
    ));
    o.line("# Values come from what the samples show; lines marked CHECK need a person to confirm");
    o.line("# them with the partner's implementation guide. Money and rule settings are the");
    o.line("# defaults of chargeback-rules.md 2.1 until the trading agreement says otherwise.");
    o.line("");
    o.line("version = 1");
    o.line(&format!("id = {}", quote(id)));
    o.with(
        &format!("name = {}", quote(&name)),
        "N1 of the partner in its headings",
    );
    o.with(
        &format!("role = \"{}\"", role.as_str()),
        &format!("it sends {sets_seen}"),
    );
    o.line("");

    // [x12]
    let gs_ids = seen.gs_ids.codes();
    let gs_id = gs_ids
        .first()
        .cloned()
        .unwrap_or_else(|| seen.isa_id.clone());
    let version = if seen.versions.0.iter().any(|(v, _)| v.starts_with("005010")) {
        "005010"
    } else {
        "004010"
    };
    if seen.versions.0.len() > 1 {
        notes.push(format!(
            "CHECK x12.version: samples use {}; drafted {version} for what we send",
            seen.versions.show()
        ));
    }
    let ack = if seen.sets.has("999") { "999" } else { "997" };
    if seen.sets.has("997") || seen.sets.has("999") {
        notes.push(format!(
            "x12.acknowledgment: it sends {ack}s itself; drafted {ack} for what we send"
        ));
    } else {
        notes.push(
            "CHECK x12.acknowledgment: no 997/999 from the partner in the samples; drafted 997"
                .to_owned(),
        );
    }
    o.line("[x12]");
    o.line(&format!("isa_qualifier = {}", quote(&seen.isa_qualifier)));
    o.line(&format!("isa_id = {}", quote(&seen.isa_id)));
    o.with(&format!("gs_id = {}", quote(&gs_id)), "GS02 seen");
    if gs_ids.len() > 1 {
        o.line(&format!("inbound_gs_ids = {}", list(&gs_ids[1..])));
    }
    o.with(
        &format!("version = \"{version}\""),
        &format!("what we send; GS08 seen: {}", seen.versions.show()),
    );
    o.with(
        &format!("acknowledgment = \"{ack}\""),
        "CHECK: what it expects from us",
    );
    if seen.ack_requested {
        o.with("ta1 = \"on_request\"", "its ISA14 = 1: it asks for TA1s");
        notes.push("x12.ta1: its files ask for a TA1 (ISA14 = 1)".to_owned());
    } else {
        o.line("ta1 = \"on_request\"");
    }
    if seen.lenient_isa {
        o.with("isa_strict = false", "its ISA is not fixed width");
        notes.push(
            "CHECK x12.isa_strict: its ISA is not the fixed 106 bytes; drafted lenient reading"
                .to_owned(),
        );
    } else {
        o.with("isa_strict = true", "its ISA is the fixed 106 bytes");
    }
    o.with(
        "allowed_sets = []",
        &format!("all the role implies; seen: {sets_seen}"),
    );
    o.line("");
    let d = seen.delimiters.unwrap_or(Delimiters::STANDARD);
    let ending = seen.line_ending.unwrap_or_default();
    o.with(
        "[x12.delimiters]",
        "CHECK: copied from its files for what we send",
    );
    o.line(&format!("element = {}", delimiter(d.element)));
    o.line(&format!("component = {}", delimiter(d.component)));
    if version == "005010" {
        o.line(&format!(
            "repetition = {}",
            delimiter(d.repetition.or(d.spare_repetition()).unwrap_or(b'^'))
        ));
    }
    o.line(&format!("segment = {}", delimiter(d.segment)));
    o.line(&format!("line_ending = \"{}\"", ending.name()));
    notes.push(format!(
        "x12.delimiters: element {}, component {}, repetition {}, segment {}, line ending {}",
        char::from(d.element),
        char::from(d.component),
        d.repetition
            .map_or("none".to_owned(), |r| char::from(r).to_string()),
        quote(&char::from(d.segment).to_string()),
        ending.name()
    ));
    if seen.delimiter_variants > 0 {
        notes.push(
            "CHECK x12.delimiters: the samples do not all use the same delimiters".to_owned(),
        );
    }
    o.line("");
    o.line("# [as2] or [sftp]: CHECK, transport does not show in X12 files; add the one it uses.");
    o.line("");

    // [dialect]
    o.line("[dialect]");
    let locations_seen = seen.all("contract number");
    let locations = locations_seen.codes();
    let ordered = prefer(&locations, &["CON02", "REF:CT", "PTD05", "BPA04"]);
    match ordered.first() {
        Some(primary) => {
            o.with(
                &format!("contract_ref = {}", quote(primary)),
                &format!("seen: {}", locations_seen.show()),
            );
            o.line(&format!(
                "contract_ref_alternates = {}",
                list(&ordered[1..])
            ));
        }
        None => {
            o.with("contract_ref = \"CON02\"", "CHECK: no contract number seen");
            notes.push("CHECK dialect.contract_ref: no contract number location seen".to_owned());
        }
    }
    let detail_refs = seen.all("REF01 detail");
    let agreements: Vec<String> = detail_refs
        .codes()
        .into_iter()
        .filter(|q| matches!(q.as_str(), "AH" | "PD" | "BC"))
        .collect();
    if !agreements.is_empty() {
        o.with(
            &format!("agreement_refs = {}", list(&agreements)),
            "REF next to the contract",
        );
    }
    let memo = seen.all("debit memo");
    if let Some(primary) = memo.codes().first() {
        o.with(
            &format!("claim_ref = {}", quote(primary)),
            &format!("seen: {}", memo.show()),
        );
    }
    let baa02 = known("640", seen.all("BAA02").codes(), "BAA02", notes);
    if let Some(b) = baa02.first() {
        o.line(&format!("baa02 = {}", quote(b)));
    }

    let basis_seen = seen.all("UIT03");
    let basis = known("639", basis_seen.codes(), "UIT03", notes);
    // An 867 line keeps one unit price, its sell price, read with contract_price_basis:
    // a basis an 867 line gives first is one (after CT); one that only follows another is a
    // reference (a catalog price beside the contract price).
    let sell: Vec<String> = seen
        .by_set
        .get("867")
        .and_then(|t| t.get("UIT03 first"))
        .map(Tally::codes)
        .unwrap_or_default();
    let mut contract: Vec<String> = basis.iter().filter(|b| *b == "CT").cloned().collect();
    contract.extend(
        basis
            .iter()
            .filter(|b| *b != "CT" && sell.contains(b))
            .cloned(),
    );
    let submitted: Vec<String> = basis
        .iter()
        .filter(|b| matches!(b.as_str(), "SC" | "SW"))
        .cloned()
        .collect();
    let reference: Vec<String> = basis
        .iter()
        .filter(|b| !contract.contains(b) && !submitted.contains(b))
        .cloned()
        .collect();
    if basis.is_empty() {
        o.line("# UIT03: no price basis seen; the standard WH (reference) and CT (contract) apply");
    } else {
        if reference.is_empty() {
            notes.push(
                "CHECK dialect.reference_price_basis: no reference price basis seen; WH kept"
                    .to_owned(),
            );
        } else {
            o.with(
                &format!("reference_price_basis = {}", list(&reference)),
                &format!("UIT03 seen: {}", basis_seen.show()),
            );
        }
        if !contract.is_empty() {
            o.line(&format!("contract_price_basis = {}", list(&contract)));
        }
        if !submitted.is_empty() {
            o.line(&format!("submitted_price_basis = {}", list(&submitted)));
        }
    }
    let ctp_seen = seen.all("CTP02");
    let ctp = known("236", ctp_seen.codes(), "CTP02", notes);
    if !ctp.is_empty() {
        let (con, other): (Vec<String>, Vec<String>) = ctp.into_iter().partition(|c| c == "CON");
        if !con.is_empty() {
            o.with(
                &format!("ctp_contract = {}", list(&con)),
                &format!("CTP02 seen: {}", ctp_seen.show()),
            );
        }
        o.line(&format!("ctp_reference = {}", list(&other)));
    }
    let heading = known("98", seen.all("N101 heading").codes(), "N101", notes);
    for (key, family) in [
        ("distributor_entity", &["DS", "BY", "WH"][..]),
        ("supplier_entity", &["MF", "SU", "VN", "SE"][..]),
    ] {
        let found: Vec<String> = heading
            .iter()
            .filter(|e| family.contains(&e.as_str()))
            .cloned()
            .collect();
        if !found.is_empty() {
            o.with(&format!("{key} = {}", list(&found)), "N1 in headings");
        }
    }
    let customers = known("98", seen.all("N101 contract loop").codes(), "N101", notes);
    if !customers.is_empty() {
        o.with(
            &format!("end_customer_entity = {}", list(&customers)),
            "N1 in contract loops",
        );
    }
    let eligible = known("98", seen.all("N101 eligible").codes(), "N101", notes);
    if !eligible.is_empty() {
        o.with(
            &format!("eligible_entity = {}", list(&eligible)),
            "845 CON-level N1",
        );
    }
    let quals_seen = seen.all("N103 contract loop");
    let quals = known("66", quals_seen.codes(), "N103", notes);
    if !quals.is_empty() {
        o.with(
            &format!(
                "customer_id_priority = {}",
                list(&prefer(&quals, &["11", "21", "UL", "PI"]))
            ),
            &format!("N103 seen: {}", quals_seen.show()),
        );
    }
    let products_seen = seen.all("LIN qualifiers");
    let products = known("235", products_seen.codes(), "LIN", notes);
    if !products.is_empty() {
        let ndc = products
            .iter()
            .any(|p| matches!(p.as_str(), "N4" | "ND" | "N1" | "N2" | "N3"));
        o.with(
            &format!("product_id_priority = {}", list(&products)),
            &format!("LIN seen: {}", products_seen.show()),
        );
        o.line(&format!("ndc_normalize = {ndc}"));
    }
    let refs = detail_refs.codes();
    if refs.iter().any(|r| r == "IV") {
        o.with(
            "invoice_ref = \"IV\"",
            &format!("REF01 seen: {}", detail_refs.show()),
        );
    } else if refs.iter().any(|r| r == "DI") {
        o.with(
            "invoice_ref = \"DI\"",
            &format!("REF01 seen: {}", detail_refs.show()),
        );
    }
    if refs.iter().any(|r| r == "OI") {
        o.line("original_invoice_ref = \"OI\"");
    }
    let dates = seen.all("DTM01");
    let eligibility = match (dates.has("003"), dates.has("011")) {
        (true, _) => Some("003"),
        (false, true) => Some("011"),
        (false, false) => None,
    };
    match eligibility {
        Some(q) => o.with(
            &format!("eligibility_date = \"{q}\""),
            &format!("DTM01 seen: {}", dates.show()),
        ),
        None => {
            if seen.sets.has("844") || seen.sets.has("867") {
                notes.push(
                    "CHECK dialect.eligibility_date: no DTM*003 or DTM*011 in lines".to_owned(),
                );
            }
        }
    }
    // QA/QC are an 849's approved and disapproved quantities, never the claimed one.
    let mut qty = known("673", seen.all("QTY01").codes(), "QTY01", notes);
    qty.retain(|q| !matches!(q.as_str(), "QA" | "QC"));
    if !qty.is_empty() {
        o.line(&format!("quantity_qualifier = {}", list(&qty)));
    }
    for (label, claimed_key, approved_key) in [
        ("AMT01 line", "claimed_amount", "approved_amount"),
        ("AMT01 summary", "total_claimed", "total_approved"),
    ] {
        let seen_amounts = seen.all(label);
        let amounts = known("522", seen_amounts.codes(), "AMT01", notes);
        let Some(first) = amounts.first() else {
            continue;
        };
        let claimed = if amounts.iter().any(|a| a == "CC") {
            "CC".to_owned()
        } else {
            first.clone()
        };
        o.with(
            &format!("{claimed_key} = {}", quote(&claimed)),
            &format!("{label} seen: {}", seen_amounts.show()),
        );
        if let Some(approved) = amounts.iter().find(|a| **a != claimed) {
            o.line(&format!("{approved_key} = {}", quote(approved)));
        }
    }
    // 844 lines that never state their amount leave it to be computed (x12-chargeback 10).
    let claim_line_amounts = seen
        .by_set
        .get("844")
        .and_then(|t| t.get("AMT01 line"))
        .is_some_and(|t| !t.0.is_empty());
    if seen.sets.has("844") && !claim_line_amounts {
        o.with(
            "compute_claimed_amount = true",
            "no 844 line sends an AMT: (WAC - contract price) x quantity, rounded by [money]",
        );
        notes.push(
            "dialect.compute_claimed_amount: no 844 line states its amount; each is computed"
                .to_owned(),
        );
    }
    if seen.sets.has("867") {
        o.line(&format!("lenient_867_line_order = {}", seen.lin_before_qty));
        if seen.lin_before_qty {
            notes.push(
                "dialect.lenient_867_line_order: its 867 lines put LIN before QTY".to_owned(),
            );
        }
    }
    let uoms = known("355", seen.all("units").codes(), "unit of measure", notes);
    if !uoms.is_empty() {
        o.line(&format!(
            "# units seen: {}; map any that differ from ours in [dialect.uom_map]",
            uoms.join(", ")
        ));
    }
    o.line("# omits: CHECK, segments it never sends cannot be seen in samples");
    o.line("");

    // [money] and [rules]: defaults, with the one rule the samples hint at.
    let rules_basis = if reference.iter().any(|r| r == "DI") {
        "book"
    } else {
        "wac"
    };
    o.with(
        "[money]",
        "CHECK: defaults; confirm with the trading agreement",
    );
    o.line("rounding = \"half_away_from_zero\"");
    o.line("rounding_order = \"extend_then_round\"");
    o.line("scale = 2");
    o.line("abs_tol = \"0.01\"");
    o.line("pct_tol = \"0\"");
    o.line("header_tol = \"1.00\"");
    o.line("");
    o.with("[rules]", "CHECK: defaults of chargeback-rules.md 2.1");
    o.line("batch_mode = \"review_and_claim\"");
    o.opt(
        &format!("reference_price_basis = \"{rules_basis}\""),
        (rules_basis == "book").then(|| "UIT03 DI: the reference is a book cost".to_owned()),
    );
    o.line("pay_basis = \"lower\"");
    o.line("# claim_window_days = 180");
    o.line("");
    o.line("# [reject_codes]: the defaults of chargeback-rules.md section 3 apply; override a");
    o.line("# reason with REASON_CODE = \"AAA03\" where the partner uses its own code.");
    let aaa03 = seen.all("AAA03");
    if !aaa03.is_empty() {
        o.line(&format!("# AAA03 codes seen in its 849s: {}", aaa03.show()));
        notes.push(format!(
            "reject codes: its 849s use AAA03 {}; the default mapping is kept",
            aaa03.show()
        ));
    }

    notes.push(format!(
        "dialect: contract in {}, debit memo in {}, UIT03 {}, LIN {}",
        if locations.is_empty() {
            "(not seen)".to_owned()
        } else {
            locations.join(" / ")
        },
        memo.codes().first().map_or("(not seen)", String::as_str),
        if basis.is_empty() {
            "(none)".to_owned()
        } else {
            basis.join("/")
        },
        if products.is_empty() {
            "(none)".to_owned()
        } else {
            products.join("/")
        },
    ));
    if !seen.invalid_sets.is_empty() {
        notes.push(format!(
            "CHECK samples: sets with validation errors: {}",
            seen.invalid_sets.join(", ")
        ));
    }
    notes.push("CHECK transport: add [as2] or [sftp]; neither shows in X12 files".to_owned());
    notes.push(
        "CHECK money and rules: defaults drafted; set them from the trading agreement".to_owned(),
    );
    let unused: BTreeSet<&str> = seen.skipped_files.iter().map(String::as_str).collect();
    if !unused.is_empty() {
        notes.push(format!(
            "{} sample(s) from other senders were not used",
            unused.len()
        ));
    }
    o.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cr_terminator_followed_by_lf_keeps_the_lf() {
        let d = |segment| x12::Delimiters {
            element: b'*',
            component: b'>',
            repetition: None,
            segment,
        };
        let isa = |end: &str| format!("ISA*00*X{end}GS*PA{end}");
        let ending =
            |end: &str, segment| line_ending_after_first_segment(isa(end).as_bytes(), &d(segment));
        assert_eq!(ending("\r\n", b'\r'), LineEnding::Lf);
        assert_eq!(ending("\r", b'\r'), LineEnding::None);
        assert_eq!(ending("\n", b'\n'), LineEnding::None);
        assert_eq!(ending("~\r\n", b'~'), LineEnding::Crlf);
        assert_eq!(ending("~\n", b'~'), LineEnding::Lf);
        assert_eq!(ending("~", b'~'), LineEnding::None);
    }

    #[test]
    fn ids_come_from_the_isa_sender() {
        assert_eq!(id_from("GOODDRUG"), "gooddrug");
        assert_eq!(id_from("ACME PHARMA"), "acme-pharma");
        assert_eq!(id_from("  "), "partner");
        assert!(valid_id(&id_from("A.B/C")));
    }

    #[test]
    fn tally_keeps_first_seen_order() {
        let mut t = Tally::default();
        for c in ["WH", "CT", "WH", ""] {
            t.add(c);
        }
        assert_eq!(t.codes(), ["WH", "CT"]);
        assert_eq!(t.show(), "WH (2), CT (1)");
    }

    #[test]
    fn preferred_codes_lead() {
        let found = vec!["21".to_owned(), "92".to_owned(), "11".to_owned()];
        assert_eq!(prefer(&found, &["11", "21", "UL"]), ["11", "21", "92"]);
    }

    #[test]
    fn refuses_empty_input_and_bad_ids() {
        assert!(matches!(draft(&[], None), Err(DraftError::NoSamples)));
        let junk = vec![("junk.x12".to_owned(), b"hello".to_vec())];
        assert!(matches!(
            draft(&junk, None),
            Err(DraftError::Unreadable { .. })
        ));
    }
}
