//! `chargegate partner check`: run a profile over sample files and say, set by set, what
//! mapped, what did not, and exactly which segment or qualifier was the reason.
//!
//! Each sample is validated with the profile's reader options, every set is read into its
//! typed form and mapped with notes on ([`crate::map::map_set_with_notes`]), so the report
//! shows the validation diagnostics, the documents each set became (type, id, line count),
//! every [`crate::map::MapError`] and every [`MapNote`] (a UIT on a basis the profile does
//! not name, a REF that is not kept, an N1 nobody reads). A sample sent by someone else than
//! the partner (by its ISA id) is still mapped with the profile, and says so.

use std::fmt;

use schemas::{Document, Source};
use x12::sets::read_set;
use x12::stream::{Event, SetReader};
use x12::validate::ValidateOptions;
use x12::{Diagnostic, Severity};

use crate::map::{MapNote, map_set_with_notes};
use crate::profile::{Profile, SetKind};

/// What `check` found for a profile and its samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// The profile id.
    pub profile: String,
    /// One entry per sample, in the order given.
    pub samples: Vec<SampleCheck>,
}

/// One sample file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleCheck {
    /// The name it was given.
    pub name: String,
    /// Validation findings (envelope and sets), in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// The transaction sets.
    pub sets: Vec<SetCheck>,
    /// The tokenizer error that ended the file early, if any.
    pub token_error: Option<String>,
}

/// One transaction set of a sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCheck {
    /// ISA13.
    pub interchange: String,
    /// GS06.
    pub group: String,
    /// ST02.
    pub set: String,
    /// ST01.
    pub set_id: String,
    /// True when the ISA sender is the profile's partner.
    pub from_partner: bool,
    /// What the set mapped to.
    pub documents: Vec<DocumentSummary>,
    /// Why (part of) the set did not map, located.
    pub errors: Vec<String>,
    /// What the mapping left out on purpose or could not use.
    pub notes: Vec<MapNote>,
}

/// One document a set mapped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSummary {
    /// `claim`, `contract`, `claim_response` or `sales_report`.
    pub doc_type: &'static str,
    /// Debit memo, contract id or report id.
    pub id: String,
    /// Number of lines (items for a contract).
    pub lines: usize,
}

/// Totals over a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckSummary {
    /// Samples checked.
    pub samples: usize,
    /// Transaction sets seen.
    pub sets: usize,
    /// Sets that mapped.
    pub mapped: usize,
    /// Documents produced.
    pub documents: usize,
    /// Lines (and contract items) in them.
    pub lines: usize,
    /// Errors: validation errors, set errors, tokenizer errors.
    pub errors: usize,
    /// Notes.
    pub notes: usize,
}

impl CheckReport {
    /// The totals.
    pub fn summary(&self) -> CheckSummary {
        let mut s = CheckSummary {
            samples: self.samples.len(),
            ..CheckSummary::default()
        };
        for sample in &self.samples {
            s.errors += sample
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            s.errors += usize::from(sample.token_error.is_some());
            for set in &sample.sets {
                s.sets += 1;
                s.mapped += usize::from(set.errors.is_empty() && !set.documents.is_empty());
                s.documents += set.documents.len();
                s.lines += set.documents.iter().map(|d| d.lines).sum::<usize>();
                s.errors += set.errors.len();
                s.notes += set.notes.len();
            }
        }
        s
    }

    /// True when every sample validated and every set mapped.
    pub fn is_ok(&self) -> bool {
        self.summary().errors == 0
    }
}

/// Runs `profile` over `samples` (name, bytes).
pub fn check(profile: &Profile, samples: &[(&str, &[u8])]) -> CheckReport {
    CheckReport {
        profile: profile.id.clone(),
        samples: samples
            .iter()
            .map(|(name, bytes)| check_sample(profile, name, bytes))
            .collect(),
    }
}

fn check_sample(profile: &Profile, name: &str, bytes: &[u8]) -> SampleCheck {
    let mut reader = SetReader::new(
        bytes,
        profile.x12.reader_options(),
        ValidateOptions {
            file: Some(name.to_owned()),
            // Every sample is read as the profile's, as translate reads its partner's files:
            // an 867 line may open with LIN when the profile says so.
            lenient_867_line_order: profile.dialect.lenient_867_line_order,
            ..ValidateOptions::default()
        },
        bytes.len().max(1 << 20),
    );
    let mut out = SampleCheck {
        name: name.to_owned(),
        diagnostics: Vec::new(),
        sets: Vec::new(),
        token_error: None,
    };
    loop {
        let event = reader.next_event();
        out.diagnostics.extend(reader.take_envelope_diagnostics());
        match event {
            Ok(Some(Event::Set(raw))) => {
                out.diagnostics.extend(raw.diagnostics.iter().cloned());
                let ctx = &raw.context;
                let from_partner = ctx.isa.sender_id.trim() == profile.x12.isa_id;
                let mut set = SetCheck {
                    interchange: ctx.isa.control_number.clone(),
                    group: ctx.group.control_number.clone(),
                    set: raw.control_number.clone(),
                    set_id: raw.id.clone(),
                    from_partner,
                    documents: Vec::new(),
                    errors: Vec::new(),
                    notes: Vec::new(),
                };
                let location = format!(
                    "{name}: interchange {}, group {}, set {}",
                    set.interchange, set.group, set.set
                );
                if !raw.is_valid() {
                    set.errors.push(format!(
                        "{location}: not mapped: the set has validation errors"
                    ));
                    out.sets.push(set);
                    continue;
                }
                let Some(kind) = SetKind::from_st01(&raw.id) else {
                    // Acknowledgments are not mapped; nothing to say about them here.
                    continue;
                };
                if from_partner && !profile.x12.accepts_inbound(profile.role, kind) {
                    set.errors.push(format!(
                        "{location}: set not allowed: a {} does not send {} under this profile (x12.allowed_sets, role)",
                        profile.role.as_str(),
                        raw.id
                    ));
                }
                let typed = match read_set(&raw) {
                    Ok(t) => t,
                    Err(e) => {
                        let mut d = e.to_diagnostic(&raw);
                        d.location.file = Some(name.to_owned());
                        set.errors.push(d.to_string());
                        out.sets.push(set);
                        continue;
                    }
                };
                let source = Source {
                    file: String::new(),
                    interchange: set.interchange.as_str().into(),
                    group: set.group.as_str().into(),
                    set: set.set.as_str().into(),
                    partner: Some(profile.id.as_str().into()),
                };
                let (result, notes) = map_set_with_notes(&raw, &typed, profile, &source);
                set.notes = notes;
                match result {
                    Ok(docs) => set.documents = docs.iter().map(summarize).collect(),
                    Err(errors) => {
                        for mut e in errors.0 {
                            e.location.file = Some(name.to_owned());
                            set.errors.push(e.to_string());
                        }
                    }
                }
                out.sets.push(set);
            }
            Ok(Some(Event::InterchangeEnd(_))) => {}
            Ok(None) => break,
            Err(e) => {
                out.token_error = Some(format!("{name}: {e}"));
                break;
            }
        }
    }
    out.diagnostics.extend(reader.take_envelope_diagnostics());
    out
}

fn summarize(doc: &Document) -> DocumentSummary {
    let (id, lines) = match doc {
        Document::Claim(c) => (c.debit_memo.clone(), c.lines.len()),
        Document::Contract(c) => (c.contract_id.clone(), c.items.len()),
        Document::ClaimResponse(r) => (r.debit_memo.clone(), r.lines.len()),
        Document::SalesReport(s) => (s.report_id.clone(), s.lines.len()),
        Document::Acknowledgment(_) => (String::new(), 0),
    };
    DocumentSummary {
        doc_type: doc.doc_type(),
        id,
        lines,
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.summary();
        writeln!(
            f,
            "partner {}: {} sample(s), {} set(s), {} mapped to {} document(s) with {} line(s); {} error(s), {} note(s)",
            self.profile, s.samples, s.sets, s.mapped, s.documents, s.lines, s.errors, s.notes
        )?;
        for sample in &self.samples {
            writeln!(f, "{}", sample.name)?;
            for d in &sample.diagnostics {
                writeln!(f, "  {d}")?;
            }
            if let Some(e) = &sample.token_error {
                writeln!(f, "  error: {e}")?;
            }
            for set in &sample.sets {
                let mapped: Vec<String> = set
                    .documents
                    .iter()
                    .map(|d| format!("{} {} ({} line(s))", d.doc_type, d.id, d.lines))
                    .collect();
                let what = if mapped.is_empty() {
                    "not mapped".to_owned()
                } else {
                    mapped.join(", ")
                };
                writeln!(
                    f,
                    "  interchange {}, group {}, set {} ({}): {what}",
                    set.interchange, set.group, set.set, set.set_id
                )?;
                if !set.from_partner {
                    writeln!(
                        f,
                        "    note: not sent by this partner's ISA id; mapped with this profile anyway"
                    )?;
                }
                for e in &set.errors {
                    writeln!(f, "    error: {e}")?;
                }
                for n in &set.notes {
                    writeln!(f, "    note: {n}")?;
                }
            }
        }
        Ok(())
    }
}
