//! Normalized documents to X12 in the partner's dialect and version.
//!
//! | document | set | module |
//! |---|---|---|
//! | [`Claim`](schemas::Claim) | 844 | [`claim`] |
//! | [`ClaimResponse`](schemas::ClaimResponse) | 849 | [`claim_response`] |
//! | [`Contract`](schemas::Contract) | 845 | [`contract`] |
//! | [`SalesReport`](schemas::SalesReport) | 867 | [`sales_report`] |
//!
//! Rendering is the mapping read backwards: every qualifier comes from the first code of the
//! profile's list for it (`contract_price_basis[0]`, `end_customer_entity[0]`...), the
//! contract number goes where `dialect.contract_ref` says, and the debit memo where
//! `dialect.claim_ref` says, so that translating a rendered document with the same profile
//! gives the document back. Lines that share a contract and end customer share a CON (or PTD)
//! loop. Three calls, from one set to bytes:
//!
//! - [`render_document`]: one document to a [`TransactionSet`] with a given ST02;
//! - [`render_interchange`]: documents to an [`Interchange`] from our identity to the
//!   partner, with caller-given control numbers, date and time (one group per run of
//!   documents of the same GS01);
//! - [`render_to_bytes`]: that interchange written with the profile's delimiters and line
//!   ending (`x12.write_options()`).
//!
//! Architecture invariant: no clock, no counters. Control numbers and timestamps are
//! arguments; the store allocates them.

pub mod claim;
pub mod claim_response;
pub mod contract;
pub mod sales_report;

use chrono::{NaiveDate, NaiveTime, Timelike};
use rust_decimal::Decimal;
use schemas::{Document, Item, Party};
use x12::dict::Version;
use x12::envelope::{Group, GroupHeader, Interchange, InterchangeHeader, TransactionSet};
use x12::sets::TypedSet;
use x12::sets::common::{
    AmountQualifier, Amt, DateQualifier, Dtm, EntityCode, IdQualifier, Lin, N1, N1Loop, N2, N3, N4,
    PriceBasis, ProductId, ProductIdQualifier, ProductIds, Qty, QuantityQualifier, Ref,
    RefQualifier, Uit, Unit, UnitCode,
};
use x12::writer::WriteError;

use crate::profile::{ControlRange, Profile, SetKind};

/// Who we are to partners: the `[identity]` of the gateway configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// ISA05 of what we send.
    pub isa_qualifier: String,
    /// ISA06 of what we send.
    pub isa_id: String,
    /// GS02 of what we send.
    pub gs_id: String,
}

impl Identity {
    /// An identity whose GS id is its ISA id.
    pub fn new(isa_qualifier: &str, isa_id: &str) -> Self {
        Identity {
            isa_qualifier: isa_qualifier.to_owned(),
            isa_id: isa_id.to_owned(),
            gs_id: isa_id.to_owned(),
        }
    }
}

/// The envelope values the caller decides: control numbers (from the store), date and time
/// (from the clock), usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// ISA13.
    pub interchange_control_number: u32,
    /// GS06 of the first group; each further group takes the next number.
    pub group_control_number: u32,
    /// ST02 of the first set; each further set takes the next number (written with at least
    /// four digits).
    pub set_control_number: u32,
    /// ISA09 and GS04.
    pub date: NaiveDate,
    /// ISA10 and GS05 (HHMM).
    pub time: NaiveTime,
    /// ISA15 `T` instead of `P`.
    pub test: bool,
    /// ISA14: ask the partner for a TA1.
    pub ack_requested: bool,
}

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The profile does not list the set among those exchanged with the partner.
    #[error("profile \"{partner}\" does not exchange {set} (x12.allowed_sets)")]
    NotExchanged {
        /// Profile id.
        partner: String,
        /// ST01.
        set: &'static str,
    },
    /// Acknowledgments are built from validation reports by `x12::ack`, not rendered here.
    #[error("acknowledgment documents are built by x12::ack, not rendered from a document")]
    Acknowledgment,
    /// A value the set needs is empty or absent in the document.
    #[error("{doc}{}: no {field}: {reason}", line.as_ref().map(|l| format!(" line {l}")).unwrap_or_default())]
    Missing {
        /// The document type.
        doc: &'static str,
        /// The line, when the value belongs to one.
        line: Option<String>,
        /// The field.
        field: &'static str,
        /// Why it is needed.
        reason: String,
    },
    /// A control number lies outside the profile's range.
    #[error("{what} {value} is outside x12.control_numbers.{key} [{start}, {end}]")]
    ControlNumber {
        /// ISA13, GS06 or ST02.
        what: &'static str,
        /// The profile key.
        key: &'static str,
        /// The number.
        value: u32,
        /// Range start.
        start: u64,
        /// Range end.
        end: u64,
    },
    /// The writer refused the interchange (a delimiter inside a value, an ISA field too long).
    #[error(transparent)]
    Write(#[from] WriteError),
    /// What was rendered is not valid X12 in the partner's version (a value longer than its
    /// element allows, say a 005010 reference of 40 characters going to a 004010 partner):
    /// the partner's translator would reject it, so it is not sent.
    #[error("the rendered interchange is not valid X12 for \"{partner}\": {first}{}", more_findings(*.more))]
    Invalid {
        /// Profile id.
        partner: String,
        /// The first finding, located in the rendered interchange.
        first: String,
        /// How many more there are.
        more: usize,
    },
}

fn more_findings(n: usize) -> String {
    match n {
        0 => String::new(),
        n => format!(" (and {n} more)"),
    }
}

/// The typed set for a document, in the profile's dialect.
pub fn render_set(doc: &Document, profile: &Profile) -> Result<TypedSet, RenderError> {
    Ok(match doc {
        Document::Claim(c) => TypedSet::Ts844(claim::render(c, profile)?),
        Document::ClaimResponse(r) => TypedSet::Ts849(claim_response::render(r, profile)?),
        Document::Contract(c) => TypedSet::Ts845(contract::render(c, profile)?),
        Document::SalesReport(s) => TypedSet::Ts867(sales_report::render(s, profile)?),
        Document::Acknowledgment(_) => return Err(RenderError::Acknowledgment),
    })
}

/// One document as a transaction set with ST02 `control_number`, in the profile's version.
pub fn render_document(
    doc: &Document,
    profile: &Profile,
    control_number: &str,
) -> Result<TransactionSet, RenderError> {
    let set = render_set(doc, profile)?;
    Ok(TransactionSet {
        id: set.id().to_owned(),
        control_number: control_number.to_owned(),
        implementation_ref: None,
        body: set.to_segments(profile.x12.version),
    })
}

/// The set kind and GS01 of a document.
fn kind_of(doc: &Document) -> Result<(SetKind, &'static str), RenderError> {
    Ok(match doc {
        Document::Claim(_) => (SetKind::Ts844, "CF"),
        Document::ClaimResponse(_) => (SetKind::Ts849, "CF"),
        Document::Contract(_) => (SetKind::Ts845, "PA"),
        Document::SalesReport(_) => (SetKind::Ts867, "PT"),
        Document::Acknowledgment(_) => return Err(RenderError::Acknowledgment),
    })
}

fn in_range(
    what: &'static str,
    key: &'static str,
    value: u32,
    range: ControlRange,
) -> Result<(), RenderError> {
    if range.contains(u64::from(value)) {
        Ok(())
    } else {
        Err(RenderError::ControlNumber {
            what,
            key,
            value,
            start: range.start,
            end: range.end,
        })
    }
}

/// The documents as one interchange from `identity` to the partner, with the envelope's
/// control numbers, date and time. Consecutive documents of the same functional group (GS01)
/// share a group. Every set must be one the profile exchanges (`x12.allowed_sets`), and every
/// control number must lie in the profile's ranges.
pub fn render_interchange(
    docs: &[Document],
    profile: &Profile,
    identity: &Identity,
    envelope: &Envelope,
) -> Result<Interchange, RenderError> {
    let x = &profile.x12;
    let cn = &x.control_numbers;
    in_range(
        "ISA13",
        "interchange",
        envelope.interchange_control_number,
        cn.interchange,
    )?;
    let version = x.version;
    let date8 = envelope.date.format("%Y%m%d").to_string();
    let hhmm = format!("{:02}{:02}", envelope.time.hour(), envelope.time.minute());
    let mut groups: Vec<Group> = Vec::new();
    let mut last_gs01 = "";
    let mut gcn = envelope.group_control_number;
    let mut scn = envelope.set_control_number;
    for doc in docs {
        let (kind, gs01) = kind_of(doc)?;
        if !x.allowed_sets.contains(&kind) {
            return Err(RenderError::NotExchanged {
                partner: profile.id.clone(),
                set: kind.st01(),
            });
        }
        if groups.is_empty() || gs01 != last_gs01 {
            if !groups.is_empty() {
                gcn = gcn.saturating_add(1);
            }
            in_range("GS06", "group", gcn, cn.group)?;
            groups.push(Group {
                header: GroupHeader {
                    functional_id: gs01.to_owned(),
                    sender: identity.gs_id.clone(),
                    receiver: x.gs_id.clone(),
                    date: date8.clone(),
                    time: hhmm.clone(),
                    control_number: gcn,
                    version: version.gs08().to_owned(),
                },
                sets: Vec::new(),
            });
            last_gs01 = gs01;
        }
        in_range("ST02", "set", scn, cn.set)?;
        let set = render_document(doc, profile, &format!("{scn:04}"))?;
        scn = scn.saturating_add(1);
        if let Some(g) = groups.last_mut() {
            g.sets.push(set);
        }
    }
    Ok(Interchange {
        header: InterchangeHeader {
            sender_qualifier: identity.isa_qualifier.clone(),
            sender_id: identity.isa_id.clone(),
            receiver_qualifier: x.isa_qualifier.clone(),
            receiver_id: x.isa_id.clone(),
            date: envelope.date.format("%y%m%d").to_string(),
            time: hhmm,
            version: match version {
                Version::V004010 => "00401",
                Version::V005010 => "00501",
            }
            .to_owned(),
            control_number: envelope.interchange_control_number,
            ack_requested: envelope.ack_requested,
            usage: if envelope.test { 'T' } else { 'P' },
        },
        ta1: Vec::new(),
        groups,
    })
}

/// [`render_interchange`] written out with the profile's delimiters, line ending and
/// delimiter-in-value policy.
pub fn render_to_bytes(
    docs: &[Document],
    profile: &Profile,
    identity: &Identity,
    envelope: &Envelope,
) -> Result<Vec<u8>, RenderError> {
    let ic = render_interchange(docs, profile, identity, envelope)?;
    let bytes = x12::writer::render_interchange(&ic, profile.x12.write_options())?;
    // Checked as the partner will check it: nothing goes out that its translator rejects.
    let checked = x12::validate::validate(
        &bytes[..],
        profile.x12.reader_options(),
        x12::validate::ValidateOptions::default(),
    );
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity >= x12::diagnostic::Severity::Error)
        .collect();
    // The element's own finding says more than its segment's "has element errors".
    let telling = errors
        .iter()
        .find(|d| matches!(d.code, x12::diagnostic::Code::Element(_)))
        .or(errors.first());
    if let Some(first) = telling {
        return Err(RenderError::Invalid {
            partner: profile.id.clone(),
            first: first.to_string(),
            more: errors.len() - 1,
        });
    }
    Ok(bytes)
}

/// Fails with [`RenderError::Missing`] when `value` is empty.
pub(crate) fn need(
    value: &str,
    doc: &'static str,
    line: Option<&str>,
    field: &'static str,
) -> Result<(), RenderError> {
    if value.trim().is_empty() {
        Err(missing(doc, line, field, "the value is empty"))
    } else {
        Ok(())
    }
}

/// A [`RenderError::Missing`].
pub(crate) fn missing(
    doc: &'static str,
    line: Option<&str>,
    field: &'static str,
    reason: &str,
) -> RenderError {
    RenderError::Missing {
        doc,
        line: line.map(str::to_owned),
        field,
        reason: reason.to_owned(),
    }
}

/// The first code of a profile list, or an error naming the key.
pub(crate) fn first<'a>(
    codes: &'a [String],
    doc: &'static str,
    line: Option<&str>,
    field: &'static str,
    key: &str,
) -> Result<&'a str, RenderError> {
    codes.first().map(String::as_str).ok_or_else(|| {
        missing(
            doc,
            line,
            field,
            &format!("dialect.{key} lists no code to write it with"),
        )
    })
}

/// The QTY01 a sale's quantity (or a return's, signed) is written under: the first of
/// `dialect.quantity_qualifier` that does not mark a return, so reading it back never turns
/// its sign.
pub(crate) fn sale_quantity_qualifier<'a>(
    d: &'a crate::profile::Dialect,
    doc: &'static str,
    line: Option<&str>,
) -> Result<&'a str, RenderError> {
    d.quantity_qualifier
        .iter()
        .map(String::as_str)
        .find(|q| !d.is_return_quantity(q))
        .ok_or_else(|| {
            missing(
                doc,
                line,
                "quantity",
                "dialect.quantity_qualifier lists no code that does not mark a return \
                 (dialect.return_quantity_qualifiers)",
            )
        })
}

/// An N1 loop for a party: N1 with its id, N2 names and N3 lines (two per segment), N4, REF ids.
pub(crate) fn n1_loop(entity: &str, p: &Party) -> N1Loop {
    let has_id = !p.qualifier.is_empty() && !p.id.is_empty();
    let mut l = N1Loop::new(N1 {
        entity: EntityCode::from_code(entity),
        name: p.name.clone(),
        id_qualifier: has_id.then(|| IdQualifier::from_code(&p.qualifier)),
        id: has_id.then(|| p.id.clone()),
        relationship: None,
        related_entity: None,
    });
    for pair in p.additional_names.chunks(2) {
        l.names.push(N2 {
            name: pair[0].to_string(),
            name2: pair.get(1).map(ToString::to_string),
        });
    }
    if let Some(a) = &p.address {
        for pair in a.lines.chunks(2) {
            l.address.push(N3 {
                line1: pair[0].clone(),
                line2: pair.get(1).cloned(),
            });
        }
        if a.city.is_some() || a.state.is_some() || a.postal_code.is_some() || a.country.is_some() {
            l.place = Some(N4 {
                city: a.city.clone(),
                state: a.state.clone(),
                postal_code: a.postal_code.clone(),
                country: a.country.clone(),
                location_qualifier: None,
                location_id: None,
                country_subdivision: None,
            });
        }
    }
    for r in &p.refs {
        l.refs.push(Ref {
            qualifier: RefQualifier::from_code(&r.qualifier),
            value: Some(r.id.clone()),
            description: r.description.clone(),
            related: Vec::new(),
        });
    }
    l
}

/// Checks a party has an id before it becomes an N1.
pub(crate) fn need_party(
    p: &Party,
    doc: &'static str,
    line: Option<&str>,
    field: &'static str,
) -> Result<(), RenderError> {
    if p.qualifier.is_empty() || p.id.is_empty() {
        return Err(missing(
            doc,
            line,
            field,
            "the party has no qualifier and id",
        ));
    }
    Ok(())
}

/// A LIN for an item: its lead id, then the others.
pub(crate) fn lin(item: &Item, assigned: Option<&str>) -> Lin {
    let mut ids = ProductIds::new();
    ids.push(ProductId {
        qualifier: ProductIdQualifier::from_code(&item.qualifier),
        id: item.id.clone(),
    });
    ids.extend(item.other_ids.iter().map(|o| ProductId {
        qualifier: ProductIdQualifier::from_code(&o.qualifier),
        id: o.id.clone(),
    }));
    Lin {
        assigned_id: assigned.map(str::to_owned),
        ids,
    }
}

/// A UIT: price per unit on a basis.
pub(crate) fn uit(uom: &str, price: Decimal, basis: &str) -> Uit {
    Uit {
        unit: Unit::from(UnitCode::from_code(uom)),
        unit_price: Some(price),
        basis: (!basis.is_empty()).then(|| PriceBasis::from_code(basis)),
    }
}

/// A QTY with its unit.
pub(crate) fn qty(qualifier: &str, quantity: Decimal, uom: Option<&str>) -> Qty {
    Qty {
        qualifier: QuantityQualifier::from_code(qualifier),
        quantity: Some(quantity),
        unit: uom.map(|u| Unit::from(UnitCode::from_code(u))),
        free_form: None,
    }
}

/// An AMT.
pub(crate) fn amt(qualifier: &str, amount: Decimal) -> Amt {
    Amt::new(AmountQualifier::from_code(qualifier), amount)
}

/// A REF with a value.
pub(crate) fn reference(qualifier: &str, value: &str) -> Ref {
    Ref::new(RefQualifier::from_code(qualifier), value)
}

/// A DTM.
pub(crate) fn dtm(qualifier: &str, date: NaiveDate) -> Dtm {
    Dtm::new(DateQualifier::from_code(qualifier), date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::translate_offline;

    const CLAIM: &[u8] = include_bytes!("../../profiles/gooddrug/samples/844_4010_claim.x12");
    const SALES: &[u8] = include_bytes!("../../profiles/gooddrug/samples/867_4010_sales.x12");

    /// The ST..SE text of an interchange.
    fn set_text(x12: &[u8]) -> String {
        let text = String::from_utf8(x12.to_vec()).expect("ascii");
        let start = text.find("ST*").expect("ST");
        let end = text.find("\nGE*").expect("GE");
        text[start..end].to_owned()
    }

    fn render_back(sample: &[u8]) -> Vec<u8> {
        let docs: Vec<Document> = translate_offline(sample, &"0".repeat(64))
            .flat_map(|o| o.result.expect("maps"))
            .collect();
        let profile = Profile::default_for_unknown("GOODDRUG");
        let envelope = Envelope {
            interchange_control_number: 1,
            group_control_number: 1,
            set_control_number: 1,
            date: NaiveDate::from_ymd_opt(2026, 12, 24).expect("date"),
            time: NaiveTime::from_hms_opt(9, 30, 0).expect("time"),
            test: false,
            ack_requested: false,
        };
        render_to_bytes(
            &docs,
            &profile,
            &Identity::new("ZZ", "CHARGEGATE"),
            &envelope,
        )
        .expect("renders")
    }

    #[test]
    fn a_mapped_claim_renders_back_to_the_segments_it_came_from() {
        assert_eq!(set_text(&render_back(CLAIM)), set_text(CLAIM));
    }

    #[test]
    fn a_mapped_sales_report_renders_back_to_the_segments_it_came_from() {
        assert_eq!(set_text(&render_back(SALES)), set_text(SALES));
    }

    #[test]
    fn rendering_checks_control_numbers_against_the_profile_ranges() {
        let mut profile = Profile::default_for_unknown("GOODDRUG");
        profile.x12.control_numbers.set = ControlRange {
            start: 7000,
            end: 7999,
        };
        let docs: Vec<Document> = translate_offline(CLAIM, &"0".repeat(64))
            .flat_map(|o| o.result.expect("maps"))
            .collect();
        let envelope = Envelope {
            interchange_control_number: 1,
            group_control_number: 1,
            set_control_number: 1,
            date: NaiveDate::from_ymd_opt(2026, 12, 24).expect("date"),
            time: NaiveTime::from_hms_opt(9, 30, 0).expect("time"),
            test: true,
            ack_requested: false,
        };
        let err = render_interchange(&docs, &profile, &Identity::new("ZZ", "US"), &envelope)
            .expect_err("ST02 1 is outside 7000..=7999");
        assert_eq!(
            err.to_string(),
            "ST02 1 is outside x12.control_numbers.set [7000, 7999]"
        );
    }

    #[test]
    fn a_document_without_a_required_value_does_not_render() {
        let docs: Vec<Document> = translate_offline(CLAIM, &"0".repeat(64))
            .flat_map(|o| o.result.expect("maps"))
            .collect();
        let Document::Claim(mut claim) = docs[0].clone() else {
            panic!("a claim")
        };
        claim.lines[2].invoice.clear();
        let profile = Profile::default_for_unknown("GOODDRUG");
        let err =
            render_document(&Document::Claim(claim), &profile, "0001").expect_err("no invoice");
        assert_eq!(
            err.to_string(),
            "claim line 3: no invoice: the value is empty"
        );
    }
}
