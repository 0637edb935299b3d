//! 867 Product Transfer and Resale Report: the distributor's sales tracing
//! (`x12-chargeback.md` §7).
//!
//! ```text
//! Heading: BPT | CUR | DTM* | REF* | PER* | (MEA PSA -> other)
//!          N1 loop [N1 N2 N3 N4 REF (PER loop [PER REF*] -> other)]
//!          (LM loop [LM LQ LCD] -> other)
//! Detail:  PTD loop [PTD | DTM* | REF* | PER* | (PRF MAN, 005010 LCD LQ MEA -> other)
//!            N1 loop (end customer) [N1 N2 N3 N4 REF PER (SII loop -> other)]
//!            QTY loop (line) [QTY LIN UIT AMT PID REF PER DTM CUR
//!                             (PO3 PO4 ITA MEA PWK PKG DD LDT, LM/LX/FA1 loops -> other)]]
//! Summary: CTT loop [CTT AMT (ITA -> other)]
//! ```
//! A line starts with QTY, then LIN. Many hand-made files put LIN first: reading accepts
//! both, writing always puts QTY first. A PTD without a contract reference (PTD04/05) reports
//! an off-contract sale.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::ReadError;
use super::common::{
    Amt, Ctt, Cur, Dtm, Lin, MovementType, N1Loop, Per, Pid, Purpose, Qty, Ref, RefQualifier,
    ReportType, Time, TransferType, Uit, el, opt, read_n1_loop, seg,
};
use super::cursor::{
    SegmentAt, SegmentCursor, SegmentType, Shape, format_date, ids, push_all, push_one,
};
use crate::dict::Version;
use crate::envelope::Seg;
use crate::stream::RawSet;

const SET: Shape = Shape {
    path: &[],
    order: &[
        "BPT", "CUR", "DTM", "REF", "PER", "MEA", "PSA", "N1", "LM", "PTD", "CTT",
    ],
    opaque: &[("LM", &["LQ", "LCD"])],
    loops: &["N1", "LM", "PTD", "CTT"],
    only_5010: &["LCD"],
};

const HEADING_N1: Shape = Shape {
    path: &["N1"],
    order: &["N1", "N2", "N3", "N4", "REF", "PER"],
    opaque: &[("PER", &["REF"])],
    loops: &["PER"],
    only_5010: &[],
};

const PTD: Shape = Shape {
    path: &["PTD"],
    order: &[
        "PTD", "DTM", "REF", "PRF", "PER", "MAN", "LCD", "LQ", "MEA", "N1", "QTY",
    ],
    opaque: &[],
    loops: &["N1", "QTY"],
    only_5010: &["LCD", "LQ", "MEA"],
};

const PTD_N1: Shape = Shape {
    path: &["PTD", "N1"],
    order: &["N1", "N2", "N3", "N4", "REF", "PER", "SII"],
    opaque: &[("SII", &["N9"])],
    loops: &["SII"],
    only_5010: &[],
};

const QTY: Shape = Shape {
    path: &["PTD", "QTY"],
    order: &[
        "QTY", "LIN", "PO3", "PO4", "UIT", "AMT", "ITA", "PID", "MEA", "PWK", "PKG", "REF", "PER",
        "DTM", "CUR", "DD", "LDT", "LM", "LX", "FA1",
    ],
    opaque: &[
        ("LM", &["LQ"]),
        ("LX", &["REF", "DTM", "N1", "LM", "LQ"]),
        ("FA1", &["FA2"]),
    ],
    loops: &["LM", "LX", "FA1"],
    only_5010: &[],
};

const CTT: Shape = Shape {
    path: &["CTT"],
    order: &["CTT", "AMT", "ITA"],
    opaque: &[],
    loops: &[],
    only_5010: &[],
};

/// A line's list of a segment it nearly always sends once (its price, amount, invoice REF,
/// date): held inline, so reading a line does not allocate four one-item lists (four of the
/// seven allocations reading a line made). Reads and iterates as a slice.
pub type Lines<T> = smallvec::SmallVec<[T; 1]>;

/// BPT: the report header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bpt {
    /// BPT01 purpose.
    pub purpose: Purpose,
    /// BPT02 report number.
    pub report_number: Option<String>,
    /// BPT03 report date.
    pub report_date: NaiveDate,
    /// BPT04 report type (`SS` seller sales report...).
    pub report_type: Option<ReportType>,
    /// BPT05 price multiplier qualifier.
    pub multiplier_qualifier: Option<String>,
    /// BPT06 multiplier.
    pub multiplier: Option<Decimal>,
    /// BPT07 action code.
    pub action: Option<String>,
    /// BPT08 time.
    pub time: Option<Time>,
    /// BPT09 reference.
    pub reference: Option<String>,
    /// BPT10 security level.
    pub security_level: Option<String>,
}

impl SegmentType for Bpt {
    const ID: &'static str = "BPT";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        Ok(Bpt {
            purpose: at.required_code(1)?,
            report_number: at.text(2)?,
            report_date: at.required_date(3)?,
            report_type: at.code(4)?,
            multiplier_qualifier: at.text(5)?,
            multiplier: at.decimal(6)?,
            action: at.text(7)?,
            time: at.time(8)?,
            reference: at.text(9)?,
            security_level: at.text(10)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "BPT",
            vec![
                el(&self.purpose),
                opt(&self.report_number),
                el(format_date(self.report_date)),
                opt(&self.report_type),
                opt(&self.multiplier_qualifier),
                opt(&self.multiplier),
                opt(&self.action),
                opt(&self.time),
                opt(&self.reference),
                opt(&self.security_level),
            ],
        )
    }
}

/// PTD: one product transfer (a group of sales of one kind, often per contract).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ptd {
    /// PTD01 transfer type (`SS` stock sale, `SD` ship-and-debit...).
    pub transfer_type: TransferType,
    /// PTD02 price multiplier qualifier.
    pub multiplier_qualifier: Option<String>,
    /// PTD03 multiplier.
    pub multiplier: Option<Decimal>,
    /// PTD04 reference qualifier, `CT` when PTD05 is the contract.
    pub reference_qualifier: Option<RefQualifier>,
    /// PTD05 reference: the contract with `CT`; absent for an off-contract sale.
    pub reference: Option<String>,
    /// PTD06 movement type (`DC` distributor to customer...).
    pub movement: Option<MovementType>,
}

impl Ptd {
    /// The contract the transfer is reported against: PTD05 when PTD04 is `CT`.
    pub fn contract_number(&self) -> Option<&str> {
        match self.reference_qualifier {
            Some(RefQualifier::Contract) => self.reference.as_deref(),
            _ => None,
        }
    }
}

impl SegmentType for Ptd {
    const ID: &'static str = "PTD";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        let reference_qualifier = at.code(4)?;
        let reference = at.text(5)?;
        match (&reference_qualifier, &reference) {
            (Some(_), None) => return Err(at.conditional_missing(5)),
            (None, Some(_)) => return Err(at.conditional_missing(4)),
            _ => {}
        }
        Ok(Ptd {
            transfer_type: at.required_code(1)?,
            multiplier_qualifier: at.text(2)?,
            multiplier: at.decimal(3)?,
            reference_qualifier,
            reference,
            movement: at.code(6)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "PTD",
            vec![
                el(&self.transfer_type),
                opt(&self.multiplier_qualifier),
                opt(&self.multiplier),
                opt(&self.reference_qualifier),
                opt(&self.reference),
                opt(&self.movement),
            ],
        )
    }
}

/// An 867: one sales tracing report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ts867 {
    /// BPT the report header.
    pub report: Bpt,
    /// CUR currency.
    pub currency: Option<Cur>,
    /// DTM the reporting period (`090`/`091`).
    pub dates: Vec<Dtm>,
    /// REF heading references.
    pub refs: Vec<Ref>,
    /// PER contacts.
    pub contacts: Vec<Per>,
    /// Heading N1 loops: `DS` distributor, `MF`/`SU` supplier.
    pub parties: Vec<N1Loop>,
    /// PTD loops: the transfers.
    pub transfers: Vec<PtdLoop>,
    /// CTT loop: the totals (CTT01 = QTY loops, CTT02 = sum of quantities in the samples).
    pub summary: Option<CttLoop>,
    /// Heading segments not modelled (MEA, PSA, LM loop), written back at their place.
    pub other: Vec<Seg>,
}

/// The PTD loop: one transfer with its end customer and lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtdLoop {
    /// PTD transfer type and, in PTD04/05, the contract.
    pub transfer: Ptd,
    /// DTM transfer dates.
    pub dates: Vec<Dtm>,
    /// REF transfer references.
    pub refs: Vec<Ref>,
    /// PER contacts.
    pub contacts: Vec<Per>,
    /// N1 loops: the end customer (`N1*ST`, extra `REF*DH`/`REF*HI`).
    pub parties: Vec<N1Loop>,
    /// QTY loops: the lines.
    pub lines: Vec<QtyLoop>,
    /// Segments not modelled (PRF, MAN; 005010 LCD, LQ, MEA), written back at their place.
    pub other: Vec<Seg>,
}

/// The QTY loop: one sold line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QtyLoop {
    /// QTY the quantity (`39` shipped, `32` sold, `76` returns).
    pub quantity: Qty,
    /// LIN the product.
    pub product: Option<Lin>,
    /// UIT the sell price.
    pub unit_prices: Lines<Uit>,
    /// AMT amounts (`CC` when the 867 doubles as a claim).
    pub amounts: Lines<Amt>,
    /// PID descriptions.
    pub descriptions: Vec<Pid>,
    /// REF references (`IV`/`DI` invoice).
    pub refs: Lines<Ref>,
    /// PER contacts.
    pub contacts: Vec<Per>,
    /// DTM dates (`003` invoice, `011` ship).
    pub dates: Lines<Dtm>,
    /// CUR line currency.
    pub currency: Option<Cur>,
    /// Segments not modelled (PO3, PO4, ITA, MEA, PWK, PKG, DD, LDT, the LM, LX and FA1
    /// loops), written back at their place.
    pub other: Vec<Seg>,
}

/// The CTT loop: report totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CttLoop {
    /// CTT line count and hash total.
    pub totals: Ctt,
    /// AMT total amounts.
    pub amounts: Vec<Amt>,
    /// Segments not modelled (ITA), written back at their place.
    pub other: Vec<Seg>,
}

impl Ts867 {
    /// Reads an 867 from a set. A line may put LIN before QTY.
    pub fn read(raw: &RawSet) -> Result<Self, ReadError> {
        ReadError::check_set(raw, "867")?;
        read_ts867(&mut SegmentCursor::new(raw))
    }

    /// The segments between ST and SE for `version`, each line QTY first.
    pub fn to_segments(&self, version: Version) -> Vec<Seg> {
        let mut out = Vec::new();
        SET.write(version, &self.other, &mut out, |id, out| match id {
            "BPT" => out.push(self.report.to_seg(version)),
            "CUR" => push_all(out, self.currency.as_slice(), version),
            "DTM" => push_all(out, &self.dates, version),
            "REF" => push_all(out, &self.refs, version),
            "PER" => push_all(out, &self.contacts, version),
            "N1" => {
                for p in &self.parties {
                    p.write(version, &HEADING_N1, out);
                }
            }
            "PTD" => {
                for t in &self.transfers {
                    t.write(version, out);
                }
            }
            "CTT" => {
                if let Some(s) = &self.summary {
                    s.write(version, out);
                }
            }
            _ => {}
        });
        out
    }

    /// Every line, in order, with its transfer loop.
    pub fn lines(&self) -> impl Iterator<Item = (&PtdLoop, &QtyLoop)> {
        self.transfers
            .iter()
            .flat_map(|t| t.lines.iter().map(move |l| (t, l)))
    }
}

fn read_ts867(c: &mut SegmentCursor<'_>) -> Result<Ts867, ReadError> {
    let report = c.read_segment()?;
    let mut currency = None;
    let (mut dates, mut refs, mut contacts) = (vec![], vec![], vec![]);
    let (mut parties, mut transfers, mut other) = (vec![], vec![], vec![]);
    let mut summary = None;
    while let Some(k) = c.peek_key() {
        match k {
            ids::CUR if currency.is_none() => currency = Some(c.read_segment()?),
            ids::DTM => dates.push(c.read_segment()?),
            ids::REF => refs.push(c.read_segment()?),
            ids::PER => contacts.push(c.read_segment()?),
            ids::N1 => parties.push(read_n1_loop(c, &HEADING_N1)?),
            ids::PTD => transfers.push(read_ptd_loop(c)?),
            ids::CTT if summary.is_none() => summary = Some(read_ctt_loop(c)?),
            _ if c.take_other(&SET, &mut other)? => {}
            _ => return Err(c.unexpected()),
        }
    }
    if transfers.is_empty() {
        return Err(c.missing("PTD"));
    }
    SET.settle(&mut other);
    Ok(Ts867 {
        report,
        currency,
        dates,
        refs,
        contacts,
        parties,
        transfers,
        summary,
        other,
    })
}

fn read_ptd_loop(c: &mut SegmentCursor<'_>) -> Result<PtdLoop, ReadError> {
    let mut l = PtdLoop {
        transfer: c.read_segment()?,
        dates: Vec::new(),
        refs: Vec::new(),
        contacts: Vec::new(),
        parties: Vec::new(),
        lines: Vec::new(),
        other: Vec::new(),
    };
    while let Some(k) = c.peek_key() {
        match k {
            ids::DTM => l.dates.push(c.read_segment()?),
            ids::REF => l.refs.push(c.read_segment()?),
            ids::PER => l.contacts.push(c.read_segment()?),
            ids::N1 => push_one(&mut l.parties, read_n1_loop(c, &PTD_N1)?),
            // A LIN here starts a line sent LIN first.
            ids::QTY | ids::LIN => read_qty_loop(c, &mut l.lines)?,
            _ if c.take_other(&PTD, &mut l.other)? => {}
            _ => break,
        }
    }
    PTD.settle(&mut l.other);
    Ok(l)
}

impl PtdLoop {
    fn write(&self, version: Version, out: &mut Vec<Seg>) {
        PTD.write(version, &self.other, out, |id, out| match id {
            "PTD" => out.push(self.transfer.to_seg(version)),
            "DTM" => push_all(out, &self.dates, version),
            "REF" => push_all(out, &self.refs, version),
            "PER" => push_all(out, &self.contacts, version),
            "N1" => {
                for p in &self.parties {
                    p.write(version, &PTD_N1, out);
                }
            }
            "QTY" => {
                for l in &self.lines {
                    l.write(version, out);
                }
            }
            _ => {}
        });
    }

    /// The contract this transfer is reported against (PTD05 with PTD04 `CT`).
    pub fn contract_number(&self) -> Option<&str> {
        self.transfer.contract_number()
    }
}

/// Reads one line onto `lines`. The line opens with QTY and LIN in either order; the other of
/// the two belongs to it only when it follows at once, so a LIN after a line's UIT or REF
/// starts the next line rather than joining this one.
///
/// The line is filled in place once its QTY is read: a line is ~750 bytes, and building it
/// apart then moving it into the list copied it several times (~2 % of translating an 867).
/// On an error the half-read line stays on `lines`; the caller drops the whole set.
fn read_qty_loop(c: &mut SegmentCursor<'_>, lines: &mut Vec<QtyLoop>) -> Result<(), ReadError> {
    let mut quantity: Option<Qty> = None;
    let mut product: Option<Lin> = None;
    while let Some(k) = c.peek_key() {
        match k {
            ids::QTY if quantity.is_none() => quantity = Some(c.read_segment()?),
            ids::LIN if product.is_none() => product = Some(c.read_segment()?),
            // A second QTY or LIN starts the next line; anything else is the body, which
            // a line sent LIN first must not begin before its QTY.
            _ => break,
        }
    }
    let at = lines.len();
    lines.push(QtyLoop {
        quantity: quantity.ok_or_else(|| c.missing("QTY"))?,
        product,
        unit_prices: Lines::new(),
        amounts: Lines::new(),
        descriptions: Vec::new(),
        refs: Lines::new(),
        contacts: Vec::new(),
        dates: Lines::new(),
        currency: None,
        other: Vec::new(),
    });
    let l = &mut lines[at];
    while let Some(k) = c.peek_key() {
        match k {
            ids::QTY | ids::LIN => break,
            ids::UIT => l.unit_prices.push(c.read_segment()?),
            ids::AMT => l.amounts.push(c.read_segment()?),
            ids::PID => l.descriptions.push(c.read_segment()?),
            ids::REF => l.refs.push(c.read_segment()?),
            ids::PER => l.contacts.push(c.read_segment()?),
            ids::DTM => l.dates.push(c.read_segment()?),
            ids::CUR if l.currency.is_none() => l.currency = Some(c.read_segment()?),
            _ if c.take_other(&QTY, &mut l.other)? => {}
            _ => break,
        }
    }
    QTY.settle(&mut l.other);
    Ok(())
}

impl QtyLoop {
    fn write(&self, version: Version, out: &mut Vec<Seg>) {
        QTY.write(version, &self.other, out, |id, out| match id {
            "QTY" => out.push(self.quantity.to_seg(version)),
            "LIN" => push_all(out, self.product.as_slice(), version),
            "UIT" => push_all(out, &self.unit_prices, version),
            "AMT" => push_all(out, &self.amounts, version),
            "PID" => push_all(out, &self.descriptions, version),
            "REF" => push_all(out, &self.refs, version),
            "PER" => push_all(out, &self.contacts, version),
            "DTM" => push_all(out, &self.dates, version),
            "CUR" => push_all(out, self.currency.as_slice(), version),
            _ => {}
        });
    }
}

fn read_ctt_loop(c: &mut SegmentCursor<'_>) -> Result<CttLoop, ReadError> {
    let mut l = CttLoop {
        totals: c.read_segment()?,
        amounts: Vec::new(),
        other: Vec::new(),
    };
    while let Some(k) = c.peek_key() {
        match k {
            ids::AMT => l.amounts.push(c.read_segment()?),
            _ if c.take_other(&CTT, &mut l.other)? => {}
            _ => break,
        }
    }
    CTT.settle(&mut l.other);
    Ok(l)
}

impl CttLoop {
    fn write(&self, version: Version, out: &mut Vec<Seg>) {
        CTT.write(version, &self.other, out, |id, out| match id {
            "CTT" => out.push(self.totals.to_seg(version)),
            "AMT" => push_all(out, &self.amounts, version),
            _ => {}
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sets::ReadErrorKind;
    use crate::sets::common::{
        AmountQualifier, DateQualifier, EntityCode, ProductIdQualifier, QuantityQualifier,
        UnitCode, amount_of, date_of, ref_value,
    };
    use crate::sets::cursor::tests::check_shape;
    use crate::sets::tests::{body, edit, first_set};

    const SALES: &[u8] = include_bytes!("../../../samples/867_4010_sales.x12");

    fn dec(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    /// The sample with every line sent LIN first.
    fn lin_first() -> String {
        crate::generate::lin_before_qty(std::str::from_utf8(SALES).expect("ascii"))
    }

    #[test]
    fn shapes_follow_the_grammar() {
        for shape in [&SET, &HEADING_N1, &PTD, &PTD_N1, &QTY, &CTT] {
            check_shape("867", shape);
        }
    }

    /// A set that is not UTF-8 as a whole is read element by element: its UTF-8 elements read
    /// as usual, and the one that is not is refused at its segment and element.
    #[test]
    fn an_element_that_is_not_utf8_is_located() {
        let text = SALES.to_vec();
        // BPT and the DTMs before the bad byte are read from a set that is not UTF-8.
        let name = b"GOOD DRUG DISTRIBUTORS";
        let at = text
            .windows(name.len())
            .position(|w| w == name)
            .expect("N102 in the sample");
        let mut latin1 = text.clone();
        latin1[at + 20] = 0xC9; // 'O' as a lone Latin-1 byte: not UTF-8
        let raw = first_set(&latin1);
        assert!(raw.as_text().is_none());
        let err = Ts867::read(&raw).expect_err("N102 is not UTF-8");
        assert_eq!(err.at.segment, 5);
        assert_eq!(err.at.id, "N1");
        assert_eq!(err.at.element.map(|e| e.element), Some(2));
        assert!(matches!(err.kind, ReadErrorKind::InvalidCharacter(_)));
        // The same bytes with the name intact read through the per-set text.
        let raw = first_set(&text);
        assert!(raw.as_text().is_some());
        assert_eq!(
            Ts867::read(&raw).expect("reads").parties[0]
                .party
                .name
                .as_deref(),
            Some("GOOD DRUG DISTRIBUTORS")
        );
    }

    #[test]
    fn reads_the_sales_report() {
        let set = Ts867::read(&first_set(SALES)).expect("reads");
        assert_eq!(set.report.report_number.as_deref(), Some("GDD-867-202611"));
        assert_eq!(set.report.report_date, date(2026, 12, 1));
        assert_eq!(set.report.report_type, Some(ReportType::SellerSales));
        assert_eq!(
            date_of(&set.dates, &DateQualifier::ReportStart),
            Some(date(2026, 11, 1))
        );
        assert_eq!(
            date_of(&set.dates, &DateQualifier::ReportEnd),
            Some(date(2026, 11, 30))
        );
        assert_eq!(set.parties[0].party.entity, EntityCode::Distributor);

        assert_eq!(set.transfers.len(), 3);
        let first = &set.transfers[0];
        assert_eq!(first.transfer.transfer_type, TransferType::StockSale);
        assert_eq!(first.contract_number(), Some("SPA-2026-0042"));
        let customer = &first.parties[0];
        assert_eq!(customer.party.entity, EntityCode::ShipTo);
        assert_eq!(customer.ref_value(&RefQualifier::Hin), Some("1R9S8T7U6"));
        assert_eq!(first.lines.len(), 2);
        let line = &first.lines[0];
        assert_eq!(line.quantity.qualifier, QuantityQualifier::Shipped);
        assert_eq!(line.quantity.quantity, Some(dec("10")));
        assert_eq!(
            line.quantity.unit.as_ref().map(|u| &u.code),
            Some(&UnitCode::Case)
        );
        let lin = line.product.as_ref().expect("LIN");
        assert_eq!(lin.id(&ProductIdQualifier::Ndc11), Some("12345010001"));
        assert_eq!(line.unit_prices[0].unit_price, Some(dec("12.50")));
        assert_eq!(line.unit_prices[0].basis, None);
        assert_eq!(
            amount_of(&line.amounts, &AmountQualifier::ChargebackClaim),
            Some(dec("62.50"))
        );
        assert_eq!(
            ref_value(&line.refs, &RefQualifier::Invoice),
            Some("INV0098123")
        );
        assert_eq!(
            date_of(&line.dates, &DateQualifier::Invoice),
            Some(date(2026, 11, 5))
        );

        let off_contract = &set.transfers[2];
        assert_eq!(off_contract.contract_number(), None);
        assert_eq!(off_contract.transfer.reference_qualifier, None);
        assert_eq!(off_contract.lines.len(), 1);
        assert!(off_contract.lines[0].amounts.is_empty());

        assert_eq!(set.lines().count(), 4);
        let summary = set.summary.as_ref().expect("CTT");
        assert_eq!(summary.totals.line_count, 4);
        assert_eq!(summary.totals.hash_total, Some(dec("21")));
        let sum: Decimal = set.lines().filter_map(|(_, l)| l.quantity.quantity).sum();
        assert_eq!(Some(sum), summary.totals.hash_total);
    }

    #[test]
    fn writes_back_every_segment() {
        let raw = first_set(SALES);
        let set = Ts867::read(&raw).expect("reads");
        assert_eq!(set.to_segments(Version::V004010), body(&raw));
    }

    #[test]
    fn accepts_lin_before_qty_and_writes_qty_first() {
        let strict = Ts867::read(&first_set(SALES)).expect("reads");
        let swapped = lin_first();
        assert!(swapped.contains("LIN**N4*12345020101~\nQTY*39*5*CA~"));
        let lenient = Ts867::read(&first_set(swapped.as_bytes())).expect("reads");
        assert_eq!(lenient, strict);
        assert_eq!(
            lenient.to_segments(Version::V004010),
            body(&first_set(SALES))
        );
    }

    #[test]
    fn a_lin_after_the_line_body_starts_the_next_line() {
        // The first line has no LIN; the LIN after its DTM opens a LIN-first second line.
        let text = edit(
            SALES,
            "QTY*39*10*CA~\nLIN**N4*12345010001~\n",
            "QTY*39*10*CA~\n",
        );
        let text = edit(
            text.as_bytes(),
            "QTY*39*4*CA~\nLIN**N4*12345020101~\n",
            "LIN**N4*12345020101~\nQTY*39*4*CA~\n",
        );
        let set = Ts867::read(&first_set(text.as_bytes())).expect("reads");
        let lines = &set.transfers[0].lines;
        assert_eq!(lines.len(), 2);
        assert!(lines[0].product.is_none());
        assert_eq!(lines[1].quantity.quantity, Some(dec("4")));
        assert_eq!(
            lines[1]
                .product
                .as_ref()
                .and_then(|p| p.id(&ProductIdQualifier::Ndc11)),
            Some("12345020101")
        );
    }

    #[test]
    fn a_line_without_qty_is_a_missing_segment() {
        let text = edit(SALES, "QTY*39*5*CA~\n", "");
        let err = Ts867::read(&first_set(text.as_bytes())).expect_err("QTY missing");
        assert_eq!(err.kind, ReadErrorKind::MissingSegment("QTY".into()));
        assert_eq!(err.at.segment, 37, "where the QTY should follow the LIN");
    }

    #[test]
    fn leaves_out_005010_only_segments_for_004010() {
        let mut set = Ts867::read(&first_set(SALES)).expect("reads");
        set.transfers[0]
            .other
            .push(Seg::new("MEA", &["", "SU", "1"]));
        set.other.push(Seg::new("LM", &["AG"]));
        set.other.push(Seg::new("LQ", &["0", "X"]));
        set.other.push(Seg::new("LCD", &["1"]));
        let ids = |segs: &[Seg]| segs.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        let v5 = ids(&set.to_segments(Version::V005010));
        let v4 = ids(&set.to_segments(Version::V004010));
        assert!(v5.contains(&"LCD".to_owned()) && v5.contains(&"MEA".to_owned()));
        assert!(!v4.contains(&"LCD".to_owned()) && !v4.contains(&"MEA".to_owned()));
        assert!(v4.contains(&"LQ".to_owned()), "heading LQ exists in 004010");
        // The heading LM loop sits after the N1 loops, the PTD MEA before its N1 loop.
        let lm = v5.iter().position(|i| i == "LM").expect("LM");
        assert_eq!(v5[lm - 1], "N1");
        assert_eq!(&v5[lm..lm + 4], ["LM", "LQ", "LCD", "PTD"]);
        let mea = v5.iter().position(|i| i == "MEA").expect("MEA");
        assert_eq!(&v5[mea - 1..mea + 2], ["PTD", "MEA", "N1"]);
    }
}
