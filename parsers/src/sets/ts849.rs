//! 849 Response to Product Transfer Account Adjustment: the supplier's answer to an 844
//! (`x12-chargeback.md` §6).
//!
//! ```text
//! Heading: BRC | CUR | AAA* | NTE* | REF* | PER* | DTM* | N1 loop [N1 N2 N3 N4 REF PER]
//! Detail:  CON loop (optional) [CON | AAA* | REF* | PER* | DTM*
//!                               N1 loop [N1 N2 N3 N4 REF PER]
//!                               PAD loop [PAD LIN AAA PID UIT QTY AMT REF DTM CUR
//!                                         (MEA RCD SSS -> other)]]
//! Summary: CTT | AMT*
//! ```
//! The CON loop is optional: a header-only 849 answers a whole claim with a heading AAA.
//! The standard has no status field; AAA, UIT, QTY and AMT together encode accepted,
//! adjusted or rejected, per partner (§6.1), which the mapping decides.

use chrono::NaiveDate;

use super::ReadError;
use super::claim_loops::claim_con_pad_loops;
use super::common::{
    Aaa, Amt, Con, Ctt, Cur, Dtm, Lin, N1Loop, Nte, Pad, Per, Pid, Purpose, Qty, Ref, RefQualifier,
    Time, Uit, el, opt, read_n1_loop, seg,
};
use super::cursor::{SegmentAt, SegmentCursor, SegmentType, Shape, format_date, push_all};
use crate::dict::Version;
use crate::envelope::Seg;
use crate::stream::RawSet;

const SET: Shape = Shape {
    path: &[],
    order: &[
        "BRC", "CUR", "AAA", "NTE", "REF", "PER", "DTM", "N1", "CON", "CTT", "AMT",
    ],
    opaque: &[],
    loops: &["N1", "CON"],
    only_5010: &[],
};

const HEADING_N1: Shape = Shape {
    path: &["N1"],
    order: &["N1", "N2", "N3", "N4", "REF", "PER"],
    opaque: &[],
    loops: &[],
    only_5010: &[],
};

const CON: Shape = Shape {
    path: &["CON"],
    order: &["CON", "AAA", "REF", "PER", "DTM", "N1", "PAD"],
    opaque: &[],
    loops: &["N1", "PAD"],
    only_5010: &[],
};

const CON_N1: Shape = Shape {
    path: &["CON", "N1"],
    order: &["N1", "N2", "N3", "N4", "REF", "PER"],
    opaque: &[],
    loops: &[],
    only_5010: &[],
};

const PAD: Shape = Shape {
    path: &["CON", "PAD"],
    order: &[
        "PAD", "LIN", "AAA", "PID", "MEA", "UIT", "QTY", "AMT", "RCD", "REF", "DTM", "CUR", "SSS",
    ],
    opaque: &[],
    loops: &[],
    only_5010: &[],
};

/// BRC: the response header, pointing at the claim it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brc {
    /// BRC01 purpose.
    pub purpose: Purpose,
    /// BRC02 response date.
    pub date: NaiveDate,
    /// BRC03 qualifier of the claim reference, normally `DB`.
    pub reference_qualifier: Option<RefQualifier>,
    /// BRC04 the 844's claim reference, normally its BAA05 debit memo number.
    pub debit_memo_number: Option<String>,
    /// BRC05 time.
    pub time: Option<Time>,
}

impl SegmentType for Brc {
    const ID: &'static str = "BRC";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        let reference_qualifier = at.code(3)?;
        let debit_memo_number = at.text(4)?;
        match (&reference_qualifier, &debit_memo_number) {
            (Some(_), None) => return Err(at.conditional_missing(4)),
            (None, Some(_)) => return Err(at.conditional_missing(3)),
            _ => {}
        }
        Ok(Brc {
            purpose: at.required_code(1)?,
            date: at.required_date(2)?,
            reference_qualifier,
            debit_memo_number,
            time: at.time(5)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "BRC",
            vec![
                el(&self.purpose),
                el(format_date(self.date)),
                opt(&self.reference_qualifier),
                opt(&self.debit_memo_number),
                opt(&self.time),
            ],
        )
    }
}

/// An 849: the response to one claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ts849 {
    /// BRC the response header with the claim it answers.
    pub response: Brc,
    /// CUR currency.
    pub currency: Option<Cur>,
    /// AAA claim-level validation (a header-only reject, e.g. `11` invalid debit number).
    pub validations: Vec<Aaa>,
    /// NTE notes.
    pub notes: Vec<Nte>,
    /// REF heading references (`CM` the supplier's credit memo).
    pub refs: Vec<Ref>,
    /// PER contacts.
    pub contacts: Vec<Per>,
    /// DTM heading dates (`009` process date).
    pub dates: Vec<Dtm>,
    /// Heading N1 loops: `DS` distributor, `MF`/`SU` supplier.
    pub parties: Vec<N1Loop>,
    /// CON loops, echoing the 844's.
    pub contracts: Vec<ConLoop>,
    /// CTT totals.
    pub totals: Ctt,
    /// Summary AMT (`CC` claimed, `TT` approved total in the samples).
    pub total_amounts: Vec<Amt>,
    /// Heading or summary segments not modelled, written back at their place.
    pub other: Vec<Seg>,
}

/// The CON loop: the responses for one contract and end customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConLoop {
    /// CON the contract, echoed.
    pub contract: Con,
    /// AAA contract-level validation.
    pub validations: Vec<Aaa>,
    /// REF contract references.
    pub refs: Vec<Ref>,
    /// PER contacts.
    pub contacts: Vec<Per>,
    /// DTM contract dates.
    pub dates: Vec<Dtm>,
    /// N1 loops: the end customer, echoed.
    pub parties: Vec<N1Loop>,
    /// PAD loops: the line responses.
    pub lines: Vec<PadLoop>,
    /// Segments not modelled, written back at their place.
    pub other: Vec<Seg>,
}

/// The PAD loop: the response to one claim line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PadLoop {
    /// PAD, PAD01 echoing the 844 line id.
    pub line: Pad,
    /// LIN the product, echoed.
    pub product: Option<Lin>,
    /// AAA line validation: AAA01 valid or not, AAA03 reject reason, AAA04 follow-up.
    pub validations: Vec<Aaa>,
    /// PID descriptions.
    pub descriptions: Vec<Pid>,
    /// UIT prices (`CT` approved contract, `SC`/`SW` submitted, `WH` WAC).
    pub unit_prices: Vec<Uit>,
    /// QTY quantities (`39` claimed, `QA` approved, `QC` disapproved).
    pub quantities: Vec<Qty>,
    /// AMT amounts (`CC` claimed and `1` approved in the samples; partner-defined).
    pub amounts: Vec<Amt>,
    /// REF references echoed for matching (`IV` invoice).
    pub refs: Vec<Ref>,
    /// DTM dates echoed for matching (`003`/`011`).
    pub dates: Vec<Dtm>,
    /// CUR line currency.
    pub currency: Option<Cur>,
    /// Segments not modelled (MEA, RCD, SSS), written back at their place.
    pub other: Vec<Seg>,
}

impl Ts849 {
    /// Reads an 849 from a set.
    pub fn read(raw: &RawSet) -> Result<Self, ReadError> {
        ReadError::check_set(raw, "849")?;
        read_ts849(&mut SegmentCursor::new(raw))
    }

    /// The segments between ST and SE for `version`.
    pub fn to_segments(&self, version: Version) -> Vec<Seg> {
        let mut out = Vec::new();
        SET.write(version, &self.other, &mut out, |id, out| match id {
            "BRC" => out.push(self.response.to_seg(version)),
            "CUR" => push_all(out, self.currency.as_slice(), version),
            "AAA" => push_all(out, &self.validations, version),
            "NTE" => push_all(out, &self.notes, version),
            "REF" => push_all(out, &self.refs, version),
            "PER" => push_all(out, &self.contacts, version),
            "DTM" => push_all(out, &self.dates, version),
            "N1" => {
                for p in &self.parties {
                    p.write(version, &HEADING_N1, out);
                }
            }
            "CON" => {
                for c in &self.contracts {
                    c.write(version, out);
                }
            }
            "CTT" => out.push(self.totals.to_seg(version)),
            "AMT" => push_all(out, &self.total_amounts, version),
            _ => {}
        });
        out
    }

    /// Every line response, in order, with its contract loop.
    pub fn lines(&self) -> impl Iterator<Item = (&ConLoop, &PadLoop)> {
        self.contracts
            .iter()
            .flat_map(|c| c.lines.iter().map(move |l| (c, l)))
    }
}

fn read_ts849(c: &mut SegmentCursor<'_>) -> Result<Ts849, ReadError> {
    let response = c.read_segment()?;
    let mut currency = None;
    let (mut validations, mut notes, mut refs, mut contacts) = (vec![], vec![], vec![], vec![]);
    let (mut dates, mut parties, mut contracts) = (vec![], vec![], vec![]);
    let (mut total_amounts, mut other) = (vec![], vec![]);
    let mut totals = None;
    while let Some(id) = c.peek_id() {
        match id {
            "CUR" if currency.is_none() => currency = Some(c.read_segment()?),
            "AAA" => validations.push(c.read_segment()?),
            "NTE" => notes.push(c.read_segment()?),
            "REF" => refs.push(c.read_segment()?),
            "PER" => contacts.push(c.read_segment()?),
            "DTM" => dates.push(c.read_segment()?),
            "N1" => parties.push(read_n1_loop(c, &HEADING_N1)?),
            "CON" => contracts.push(read_con_loop(c)?),
            "CTT" if totals.is_none() => totals = Some(c.read_segment()?),
            "AMT" => total_amounts.push(c.read_segment()?),
            _ if c.take_other(&SET, &mut other)? => {}
            _ => return Err(c.unexpected()),
        }
    }
    SET.settle(&mut other);
    Ok(Ts849 {
        response,
        currency,
        validations,
        notes,
        refs,
        contacts,
        dates,
        parties,
        contracts,
        totals: totals.ok_or_else(|| c.missing("CTT"))?,
        total_amounts,
        other,
    })
}

claim_con_pad_loops! {
    con: ConLoop, CON, CON_N1;
    pad: PadLoop, PAD;
    aaa: validations;
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::sets::common::{
        AmountQualifier, DateQualifier, EntityCode, FollowUpAction, PriceBasis, RejectReason,
        YesNo, amount_of, date_of, price_of, ref_value,
    };
    use crate::sets::cursor::tests::check_shape;
    use crate::sets::tests::{body, edit, first_set};

    const RESPONSE: &[u8] = include_bytes!("../../../samples/849_4010_response.x12");

    fn dec(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn shapes_follow_the_grammar() {
        for shape in [&SET, &HEADING_N1, &CON, &CON_N1, &PAD] {
            check_shape("849", shape);
        }
    }

    #[test]
    fn reads_line_level_decisions() {
        let set = Ts849::read(&first_set(RESPONSE)).expect("reads");
        assert_eq!(
            set.response.reference_qualifier,
            Some(RefQualifier::DebitMemo)
        );
        assert_eq!(
            set.response.debit_memo_number.as_deref(),
            Some("GDD-CB-20261115-0001")
        );
        assert_eq!(
            set.response.date,
            NaiveDate::from_ymd_opt(2026, 11, 18).expect("date")
        );
        assert_eq!(
            ref_value(&set.refs, &RefQualifier::CreditMemo),
            Some("ACME-CR-556677")
        );
        assert_eq!(
            date_of(&set.dates, &DateQualifier::Process),
            NaiveDate::from_ymd_opt(2026, 11, 18)
        );
        assert_eq!(set.parties[0].party.entity, EntityCode::Distributor);
        assert_eq!(set.contracts.len(), 2);
        assert!(set.validations.is_empty());

        let lines: Vec<&PadLoop> = set.lines().map(|(_, l)| l).collect();
        assert_eq!(lines.len(), 6);
        assert!(lines[0].validations.is_empty(), "accepted line has no AAA");
        let line3 = lines[2];
        assert_eq!(line3.line.line_id.as_deref(), Some("3"));
        let aaa = &line3.validations[0];
        assert_eq!(aaa.valid, YesNo::No);
        assert_eq!(aaa.agency, None);
        assert_eq!(aaa.reject_reason, Some(RejectReason::ContractCostIncorrect));
        assert_eq!(aaa.follow_up, Some(FollowUpAction::NoResubmission));
        assert_eq!(
            price_of(&line3.unit_prices, &PriceBasis::SubmittedContract),
            Some(dec("45.00"))
        );
        assert_eq!(
            price_of(&line3.unit_prices, &PriceBasis::Contract),
            Some(dec("48.25"))
        );
        assert_eq!(
            amount_of(&line3.amounts, &AmountQualifier::LineItemTotal),
            Some(dec("100.50"))
        );
        assert_eq!(
            amount_of(&line3.amounts, &AmountQualifier::ChargebackClaim),
            Some(dec("120.00"))
        );
        assert_eq!(
            lines[4].validations[0].reject_reason,
            Some(RejectReason::ProductNotOnContract)
        );
        assert_eq!(
            lines[5].validations[0].follow_up,
            Some(FollowUpAction::CorrectAndResubmit)
        );
        assert_eq!(set.totals.line_count, 6);
        assert_eq!(set.totals.hash_total, None);
        assert_eq!(
            amount_of(&set.total_amounts, &AmountQualifier::TotalTransaction),
            Some(dec("223.50"))
        );
    }

    #[test]
    fn writes_back_every_segment() {
        let raw = first_set(RESPONSE);
        let set = Ts849::read(&raw).expect("reads");
        assert_eq!(set.to_segments(Version::V004010), body(&raw));
    }

    #[test]
    fn reads_a_header_only_response() {
        let text = String::from_utf8(RESPONSE.to_vec()).expect("ascii");
        let head = text.split("CON*").next().expect("head");
        let tail = &text[text.find("CTT*").expect("CTT")..];
        let text = format!("{head}{tail}").replace("SE*72*", "SE*11*");
        let text = edit(text.as_bytes(), "REF*CM*", "AAA*N**11*D~REF*CM*");
        let raw = first_set(text.as_bytes());
        assert!(raw.is_valid(), "{:?}", raw.diagnostics);
        let set = Ts849::read(&raw).expect("reads");
        assert!(set.contracts.is_empty());
        assert_eq!(
            set.validations[0].reject_reason,
            Some(RejectReason::InvalidDebitMemoNumber)
        );
        assert_eq!(set.to_segments(Version::V004010), body(&raw));
    }

    #[test]
    fn an_unknown_aaa01_is_an_invalid_code() {
        let text = edit(RESPONSE, "AAA*N**06*N~", "AAA*Q**06*N~");
        let err = Ts849::read(&first_set(text.as_bytes())).expect_err("closed list");
        assert_eq!(
            err.kind,
            crate::sets::ReadErrorKind::InvalidCode("Q".into())
        );
        assert_eq!(err.at.id, "AAA");
    }
}
