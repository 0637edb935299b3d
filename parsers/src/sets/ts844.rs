//! 844 Product Transfer Account Adjustment: the distributor's chargeback claim
//! (`x12-chargeback.md` §5).
//!
//! ```text
//! Heading: BAA | CUR | NTE* | REF* | PER* | DTM* | N1 loop [N1 N2 N3 N4 REF PER]
//! Detail:  CON loop [CON | REF* | PER* | DTM*
//!                    N1 loop (end customer) [N1 N2 N3 N4 REF PER (SII loop -> other)]
//!                    PAD loop (claim line) [PAD LIN PID UIT QTY AMT REF DTM CUR
//!                                           (MEA RCD SSS -> other)]]
//! Summary: CTT | AMT*
//! ```
//! One CON loop holds the lines claimed against one contract for one end customer.

use chrono::NaiveDate;

use super::ReadError;
use super::claim_loops::claim_con_pad_loops;
use super::common::{
    Amt, Con, Ctt, Cur, Dtm, Lin, N1Loop, Nte, Pad, Per, Pid, Purpose, Qty, Ref, RefQualifier,
    Time, TransactionType, Uit, el, opt, read_n1_loop, seg,
};
use super::cursor::{SegmentAt, SegmentCursor, SegmentType, Shape, format_date, push_all};
use crate::dict::Version;
use crate::envelope::Seg;
use crate::stream::RawSet;

const SET: Shape = Shape {
    path: &[],
    order: &[
        "BAA", "CUR", "NTE", "REF", "PER", "DTM", "N1", "CON", "CTT", "AMT",
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
    order: &["CON", "REF", "PER", "DTM", "N1", "PAD"],
    opaque: &[],
    loops: &["N1", "PAD"],
    only_5010: &[],
};

const CON_N1: Shape = Shape {
    path: &["CON", "N1"],
    order: &["N1", "N2", "N3", "N4", "REF", "PER", "SII"],
    opaque: &[("SII", &["N9"])],
    loops: &["SII"],
    only_5010: &[],
};

const PAD: Shape = Shape {
    path: &["CON", "PAD"],
    order: &[
        "PAD", "LIN", "PID", "MEA", "UIT", "QTY", "AMT", "RCD", "REF", "DTM", "CUR", "SSS",
    ],
    opaque: &[],
    loops: &[],
    only_5010: &[],
};

/// BAA: the claim header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baa {
    /// BAA01 purpose (`00` original, `15` re-submission...).
    pub purpose: Purpose,
    /// BAA02 transaction type (`DR` debit memo...).
    pub transaction_type: TransactionType,
    /// BAA03 adjustment date.
    pub date: NaiveDate,
    /// BAA04 qualifier of the claim number, usually `DB`.
    pub reference_qualifier: Option<RefQualifier>,
    /// BAA05 debit memo (claim) number.
    pub debit_memo_number: Option<String>,
    /// BAA06 time.
    pub time: Option<Time>,
}

impl SegmentType for Baa {
    const ID: &'static str = "BAA";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        let reference_qualifier = at.code(4)?;
        let debit_memo_number = at.text(5)?;
        match (&reference_qualifier, &debit_memo_number) {
            (Some(_), None) => return Err(at.conditional_missing(5)),
            (None, Some(_)) => return Err(at.conditional_missing(4)),
            _ => {}
        }
        Ok(Baa {
            purpose: at.required_code(1)?,
            transaction_type: at.required_code(2)?,
            date: at.required_date(3)?,
            reference_qualifier,
            debit_memo_number,
            time: at.time(6)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "BAA",
            vec![
                el(&self.purpose),
                el(&self.transaction_type),
                el(format_date(self.date)),
                opt(&self.reference_qualifier),
                opt(&self.debit_memo_number),
                opt(&self.time),
            ],
        )
    }
}

/// An 844: one claim (debit memo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ts844 {
    /// BAA the claim header with the debit memo number.
    pub claim: Baa,
    /// CUR currency (`CUR*BY*USD`).
    pub currency: Option<Cur>,
    /// NTE notes.
    pub notes: Vec<Nte>,
    /// REF heading references (a heading `REF*DB` claim number for some partners).
    pub refs: Vec<Ref>,
    /// PER contacts.
    pub contacts: Vec<Per>,
    /// DTM heading dates.
    pub dates: Vec<Dtm>,
    /// Heading N1 loops: `DS` distributor (claimant), `MF`/`SU` supplier.
    pub parties: Vec<N1Loop>,
    /// CON loops, one per contract and end customer.
    pub contracts: Vec<ConLoop>,
    /// CTT totals: CTT01 line count, CTT02 sum of quantities.
    pub totals: Ctt,
    /// Summary AMT (`CC` claim total).
    pub total_amounts: Vec<Amt>,
    /// Heading or summary segments not modelled, written back at their place.
    pub other: Vec<Seg>,
}

/// The CON loop: the lines claimed against one contract, for one end customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConLoop {
    /// CON the contract claimed against.
    pub contract: Con,
    /// REF contract references (`PD` ship-and-debit authorization...).
    pub refs: Vec<Ref>,
    /// PER contacts.
    pub contacts: Vec<Per>,
    /// DTM contract dates (`092`/`093`).
    pub dates: Vec<Dtm>,
    /// N1 loops: the end customer (`N1*ST`) with its ids and address.
    pub parties: Vec<N1Loop>,
    /// PAD loops: the claim lines.
    pub lines: Vec<PadLoop>,
    /// Segments not modelled, written back at their place.
    pub other: Vec<Seg>,
}

/// The PAD loop: one claim line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PadLoop {
    /// PAD line id and transfer type.
    pub line: Pad,
    /// LIN the product (`N4` NDC, `VP`/`BP` part numbers...).
    pub product: Option<Lin>,
    /// PID descriptions.
    pub descriptions: Vec<Pid>,
    /// UIT prices, one per basis (`WH` WAC, `CT` claimed contract price, `DI` book cost).
    pub unit_prices: Vec<Uit>,
    /// QTY quantities (`39` claimed).
    pub quantities: Vec<Qty>,
    /// AMT line amounts (`CC` line claim).
    pub amounts: Vec<Amt>,
    /// REF references (`IV` invoice to the end customer).
    pub refs: Vec<Ref>,
    /// DTM dates (`003` invoice, `011` ship: the eligibility date).
    pub dates: Vec<Dtm>,
    /// CUR line currency.
    pub currency: Option<Cur>,
    /// Segments not modelled (MEA, RCD, SSS), written back at their place.
    pub other: Vec<Seg>,
}

impl Ts844 {
    /// Reads an 844 from a set.
    pub fn read(raw: &RawSet) -> Result<Self, ReadError> {
        ReadError::check_set(raw, "844")?;
        read_ts844(&mut SegmentCursor::new(raw))
    }

    /// The segments between ST and SE for `version`.
    pub fn to_segments(&self, version: Version) -> Vec<Seg> {
        let mut out = Vec::new();
        SET.write(version, &self.other, &mut out, |id, out| match id {
            "BAA" => out.push(self.claim.to_seg(version)),
            "CUR" => push_all(out, self.currency.as_slice(), version),
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

    /// Every claim line, in order, with its contract loop.
    pub fn lines(&self) -> impl Iterator<Item = (&ConLoop, &PadLoop)> {
        self.contracts
            .iter()
            .flat_map(|c| c.lines.iter().map(move |l| (c, l)))
    }
}

fn read_ts844(c: &mut SegmentCursor<'_>) -> Result<Ts844, ReadError> {
    let claim = c.read_segment()?;
    let mut currency = None;
    let (mut notes, mut refs, mut contacts, mut dates) = (vec![], vec![], vec![], vec![]);
    let (mut parties, mut contracts, mut total_amounts, mut other) =
        (vec![], vec![], vec![], vec![]);
    let mut totals = None;
    while let Some(id) = c.peek_id() {
        match id {
            "CUR" if currency.is_none() => currency = Some(c.read_segment()?),
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
    if contracts.is_empty() {
        return Err(c.missing("CON"));
    }
    SET.settle(&mut other);
    Ok(Ts844 {
        claim,
        currency,
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
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::sets::common::{
        AmountQualifier, ContractStatus, DateQualifier, EntityCode, IdQualifier, PriceBasis,
        ProductIdQualifier, QuantityQualifier, TransferType, UnitCode, amount_of, date_of,
        price_of, quantity_of, ref_value,
    };
    use crate::sets::cursor::tests::check_shape;
    use crate::sets::tests::{body, edit, first_set};

    const CLAIM: &[u8] = include_bytes!("../../../samples/844_4010_claim.x12");
    const SHIP_AND_DEBIT: &[u8] = include_bytes!("../../../samples/844_5010_ship_and_debit.x12");

    fn dec(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn shapes_follow_the_grammar() {
        for shape in [&SET, &HEADING_N1, &CON, &CON_N1, &PAD] {
            check_shape("844", shape);
        }
    }

    #[test]
    fn reads_the_pharma_claim() {
        let set = Ts844::read(&first_set(CLAIM)).expect("reads");
        assert_eq!(set.claim.purpose, Purpose::Original);
        assert_eq!(set.claim.transaction_type, TransactionType::DebitMemo);
        assert_eq!(set.claim.date, date(2026, 11, 15));
        assert_eq!(set.claim.reference_qualifier, Some(RefQualifier::DebitMemo));
        assert_eq!(
            set.claim.debit_memo_number.as_deref(),
            Some("GDD-CB-20261115-0001")
        );
        let cur = set.currency.as_ref().expect("CUR");
        assert_eq!(
            (cur.entity.clone(), cur.currency.as_str()),
            (EntityCode::Buyer, "USD")
        );
        assert_eq!(set.parties.len(), 2);
        assert_eq!(set.parties[0].party.entity, EntityCode::Distributor);
        assert_eq!(set.parties[0].party.id.as_deref(), Some("987654321"));
        assert_eq!(set.parties[1].party.entity, EntityCode::Manufacturer);

        assert_eq!(set.contracts.len(), 2);
        let first = &set.contracts[0];
        assert_eq!(first.contract.contract_number, "SPA-2026-0042");
        assert_eq!(first.contract.status, ContractStatus::ValidOpen);
        let customer = &first.parties[0];
        assert_eq!(customer.party.entity, EntityCode::ShipTo);
        assert_eq!(customer.party.id_qualifier, Some(IdQualifier::Dea));
        assert_eq!(customer.party.id.as_deref(), Some("AR1234563"));
        assert_eq!(customer.address[0].line1, "100 RIVER RD");
        let place = customer.place.as_ref().expect("N4");
        assert_eq!(place.city.as_deref(), Some("SPRINGFIELD"));
        assert_eq!(place.postal_code.as_deref(), Some("62701"));
        assert_eq!(
            set.contracts[1].parties[0].party.id_qualifier,
            Some(IdQualifier::Hin)
        );

        let lines: Vec<&PadLoop> = set.lines().map(|(_, l)| l).collect();
        assert_eq!(lines.len(), 6);
        let line3 = lines[2];
        assert_eq!(line3.line.line_id.as_deref(), Some("3"));
        let product = line3.product.as_ref().expect("LIN");
        assert_eq!(product.id(&ProductIdQualifier::Ndc11), Some("12345030005"));
        let claimed = amount_of(&line3.amounts, &AmountQualifier::ChargebackClaim);
        assert_eq!(claimed, Some(dec("120.00")));
        assert_eq!(claimed.map(|d| d.to_string()).as_deref(), Some("120.00"));
        assert_eq!(
            price_of(&line3.unit_prices, &PriceBasis::Wholesale),
            Some(dec("65.00"))
        );
        assert_eq!(
            price_of(&line3.unit_prices, &PriceBasis::Contract),
            Some(dec("45.00"))
        );
        assert_eq!(line3.unit_prices[0].unit.code, UnitCode::Case);
        assert_eq!(
            quantity_of(&line3.quantities, &QuantityQualifier::Shipped),
            Some(dec("6"))
        );
        assert_eq!(
            ref_value(&line3.refs, &RefQualifier::Invoice),
            Some("INV0098177")
        );
        assert_eq!(
            date_of(&line3.dates, &DateQualifier::Invoice),
            Some(date(2026, 11, 7))
        );

        assert_eq!(set.totals.line_count, 6);
        assert_eq!(set.totals.hash_total, Some(dec("26")));
        let total = amount_of(&set.total_amounts, &AmountQualifier::ChargebackClaim);
        assert_eq!(total, Some(dec("255.25")));
        let sum: Decimal = lines
            .iter()
            .filter_map(|l| amount_of(&l.amounts, &AmountQualifier::ChargebackClaim))
            .sum();
        assert_eq!(Some(sum), total);
        assert!(set.other.is_empty() && lines.iter().all(|l| l.other.is_empty()));
    }

    #[test]
    fn reads_the_electronics_ship_and_debit_claim() {
        let set = Ts844::read(&first_set(SHIP_AND_DEBIT)).expect("reads");
        assert_eq!(
            set.claim.debit_memo_number.as_deref(),
            Some("ELX-SD-7781203")
        );
        assert_eq!(set.parties[1].party.entity, EntityCode::Supplier);
        let con = &set.contracts[0];
        assert_eq!(con.contract.contract_number, "DA-2026-00913");
        assert_eq!(
            ref_value(&con.refs, &RefQualifier::PromotionDeal),
            Some("Q4-DESIGNWIN-77")
        );
        assert_eq!(
            date_of(&con.dates, &DateQualifier::ContractEffective),
            Some(date(2026, 10, 1))
        );
        assert_eq!(
            date_of(&con.dates, &DateQualifier::ContractExpiration),
            Some(date(2026, 12, 31))
        );
        let customer = &con.parties[0];
        assert_eq!(
            customer.party.id_qualifier,
            Some(IdQualifier::AssignedByBuyer)
        );
        assert_eq!(customer.party.id.as_deref(), Some("C-004512"));
        assert!(customer.address.is_empty());
        assert_eq!(
            customer.place.as_ref().and_then(|p| p.state.as_deref()),
            Some("TX")
        );
        assert_eq!(con.lines.len(), 2);
        let l1 = &con.lines[0];
        assert_eq!(l1.line.transfer_type, Some(TransferType::ShipAndDebitSale));
        let lin = l1.product.as_ref().expect("LIN");
        assert_eq!(
            lin.id(&ProductIdQualifier::VendorPart),
            Some("NWS-MCU32F4-LQFP64")
        );
        assert_eq!(lin.id(&ProductIdQualifier::BuyerPart), Some("VC-884120"));
        assert_eq!(
            price_of(&l1.unit_prices, &PriceBasis::Distributor),
            Some(dec("2.45"))
        );
        assert_eq!(
            price_of(&l1.unit_prices, &PriceBasis::Contract),
            Some(dec("1.90"))
        );
        assert_eq!(
            l1.quantities[0].unit.as_ref().map(|u| &u.code),
            Some(&UnitCode::Each)
        );
        assert_eq!(
            quantity_of(&l1.quantities, &QuantityQualifier::Shipped),
            Some(dec("5000"))
        );
        assert_eq!(
            date_of(&l1.dates, &DateQualifier::Shipped),
            Some(date(2026, 11, 12))
        );
        assert_eq!(set.totals.hash_total, Some(dec("17000")));
        assert_eq!(
            amount_of(&set.total_amounts, &AmountQualifier::ChargebackClaim),
            Some(dec("5990.00"))
        );
    }

    #[test]
    fn writes_back_every_segment_of_both_samples() {
        for (data, version) in [
            (CLAIM, Version::V004010),
            (SHIP_AND_DEBIT, Version::V005010),
        ] {
            let raw = first_set(data);
            let set = Ts844::read(&raw).expect("reads");
            assert_eq!(set.to_segments(version), body(&raw));
        }
    }

    #[test]
    fn keeps_unmodelled_segments_in_place() {
        let text = edit(CLAIM, "CUR*BY*USD~", "CUR*BY*USD~NTE*GEN*RUSH~");
        let text = edit(
            text.as_bytes(),
            "N4*SPRINGFIELD*IL*62701~",
            "N4*SPRINGFIELD*IL*62701~SII*N4*12345010001*10*CA~N9*LT*LOT7~",
        );
        let text = edit(
            text.as_bytes(),
            "LIN**N4*12345030005~",
            "LIN**N4*12345030005~MEA**WT*12.5*LB~",
        );
        let text = edit(
            text.as_bytes(),
            "DTM*003*20261107~",
            "DTM*003*20261107~SSS*N*ZZ*NOTE~",
        );
        let raw = first_set(text.as_bytes());
        let set = Ts844::read(&raw).expect("reads");
        assert_eq!(set.notes[0].text, "RUSH");
        let customer = &set.contracts[0].parties[0];
        let ids: Vec<&str> = customer.other.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["SII", "N9"]);
        let line3 = &set.contracts[0].lines[2];
        let ids: Vec<&str> = line3.other.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["MEA", "SSS"]);
        assert_eq!(set.to_segments(Version::V004010), body(&raw));
    }
}
