//! 845 Price Authorization Acknowledgment/Status: the supplier's contract or ship-and-debit
//! authorization (`x12-chargeback.md` §4).
//!
//! ```text
//! Heading: BPA | CUR | NTE* | REF* | PER* | DTM* | N1 loop [N1 N2 N3 N4 REF PER DTM]
//! Detail:  CON loop [CON | REF* | PER* | DTM* | CTB* | (ITD -> other)
//!            N1 loop (eligible parties) [N1 N2 N3 N4 REF PER DTM CTB]
//!            PAD loop (item) [PAD CTB PID UIT QTY AMT CUR DTM (MEA SSS SHP -> other)
//!              LIN loop [LIN (G53 SLN -> other)]
//!              N1 loop [N1 N2 N3 N4 DTM CTB]
//!              CTP loop (price) [CTP DTM CTB | N1 loop [N1 N2 N3 N4 DTM CTB]]]]
//! Summary: CTT
//! ```
//! A full replacement (`BPA*05`) and a delta (`BPA*04`, with PAD03 item changes and `REF*TD`
//! member changes) read into the same type; applying a delta is the engine's business.

use chrono::NaiveDate;

use super::ReadError;
use super::common::{
    Amt, Con, Ctb, Ctp, Ctt, Cur, Dtm, Lin, N1Loop, Nte, Pad, Per, Pid, Purpose, Qty, Ref,
    RefQualifier, Time, Uit, el, opt, read_n1_loop, seg,
};
use super::cursor::{SegmentAt, SegmentCursor, SegmentType, Shape, format_date, push_all};
use crate::dict::Version;
use crate::envelope::Seg;
use crate::stream::RawSet;

const SET: Shape = Shape {
    path: &[],
    order: &["BPA", "CUR", "NTE", "REF", "PER", "DTM", "N1", "CON", "CTT"],
    opaque: &[],
    loops: &["N1", "CON"],
    only_5010: &[],
};

const HEADING_N1: Shape = Shape {
    path: &["N1"],
    order: &["N1", "N2", "N3", "N4", "REF", "PER", "DTM"],
    opaque: &[],
    loops: &[],
    only_5010: &[],
};

const CON: Shape = Shape {
    path: &["CON"],
    order: &["CON", "REF", "PER", "DTM", "CTB", "ITD", "N1", "PAD"],
    opaque: &[],
    loops: &["N1", "PAD"],
    only_5010: &[],
};

const CON_N1: Shape = Shape {
    path: &["CON", "N1"],
    order: &["N1", "N2", "N3", "N4", "REF", "PER", "DTM", "CTB"],
    opaque: &[],
    loops: &[],
    only_5010: &[],
};

const PAD: Shape = Shape {
    path: &["CON", "PAD"],
    order: &[
        "PAD", "CTB", "PID", "MEA", "UIT", "QTY", "AMT", "CUR", "SSS", "SHP", "DTM", "LIN", "N1",
        "CTP",
    ],
    opaque: &[],
    loops: &["LIN", "N1", "CTP"],
    only_5010: &[],
};

const LIN: Shape = Shape {
    path: &["CON", "PAD", "LIN"],
    order: &["LIN", "G53", "SLN"],
    opaque: &[],
    loops: &[],
    only_5010: &[],
};

const PAD_N1: Shape = Shape {
    path: &["CON", "PAD", "N1"],
    order: &["N1", "N2", "N3", "N4", "DTM", "CTB"],
    opaque: &[],
    loops: &[],
    only_5010: &[],
};

const CTP: Shape = Shape {
    path: &["CON", "PAD", "CTP"],
    order: &["CTP", "DTM", "CTB", "N1"],
    opaque: &[],
    loops: &["N1"],
    only_5010: &[],
};

const CTP_N1: Shape = Shape {
    path: &["CON", "PAD", "CTP", "N1"],
    order: &["N1", "N2", "N3", "N4", "DTM", "CTB"],
    opaque: &[],
    loops: &[],
    only_5010: &[],
};

/// BPA: the price authorization header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bpa {
    /// BPA01 purpose: `00` original, `04` change (delta), `05` replace, `01` cancellation.
    pub purpose: Purpose,
    /// BPA02 date.
    pub date: NaiveDate,
    /// BPA03 reference qualifier (`CT` contract).
    pub reference_qualifier: Option<RefQualifier>,
    /// BPA04 reference: the contract / SPA number with `CT`.
    pub reference: Option<String>,
    /// BPA05 time.
    pub time: Option<Time>,
}

impl SegmentType for Bpa {
    const ID: &'static str = "BPA";
    fn decode(at: &SegmentAt<'_>) -> Result<Self, ReadError> {
        let reference_qualifier = at.code(3)?;
        let reference = at.text(4)?;
        match (&reference_qualifier, &reference) {
            (Some(_), None) => return Err(at.conditional_missing(4)),
            (None, Some(_)) => return Err(at.conditional_missing(3)),
            _ => {}
        }
        Ok(Bpa {
            purpose: at.required_code(1)?,
            date: at.required_date(2)?,
            reference_qualifier,
            reference,
            time: at.time(5)?,
        })
    }
    fn to_seg(&self, _: Version) -> Seg {
        seg(
            "BPA",
            vec![
                el(&self.purpose),
                el(format_date(self.date)),
                opt(&self.reference_qualifier),
                opt(&self.reference),
                opt(&self.time),
            ],
        )
    }
}

/// An 845: one price authorization (contract) message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ts845 {
    /// BPA the header: purpose (full or delta) and the contract reference.
    pub authorization: Bpa,
    /// CUR currency.
    pub currency: Option<Cur>,
    /// NTE notes.
    pub notes: Vec<Nte>,
    /// REF heading references.
    pub refs: Vec<Ref>,
    /// PER contacts.
    pub contacts: Vec<Per>,
    /// DTM heading dates (`007` effective).
    pub dates: Vec<Dtm>,
    /// Heading N1 loops: `MF`/`SU` supplier, `DS` distributor (with PER contacts).
    pub parties: Vec<N1Loop>,
    /// CON loops: one per contract.
    pub contracts: Vec<ConLoop>,
    /// CTT totals (CTT01 = number of PAD loops in the samples).
    pub totals: Ctt,
    /// Heading or summary segments not modelled, written back at their place.
    pub other: Vec<Seg>,
}

/// The CON loop: one contract, its eligible parties and its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConLoop {
    /// CON the contract number and status.
    pub contract: Con,
    /// REF contract references (`AH` GPO agreement, `BC`, `PD`).
    pub refs: Vec<Ref>,
    /// PER contacts.
    pub contacts: Vec<Per>,
    /// DTM contract dates (`092`/`093`).
    pub dates: Vec<Dtm>,
    /// CTB restrictions (`OR`, `SR`, `DO`, `WO`, `DW`) and quantity/amount limits.
    pub restrictions: Vec<Ctb>,
    /// N1 loops: the eligible parties (`EB`, `BG` GPO, sometimes `ST`) with membership dates
    /// (`129`/`130`) and, in a delta, `REF*TD` `A`/`C`/`D`.
    pub eligible_parties: Vec<N1Loop>,
    /// PAD loops: the items.
    pub items: Vec<PadLoop>,
    /// Segments not modelled (ITD), written back at their place.
    pub other: Vec<Seg>,
}

/// The PAD loop: one contract item with its prices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PadLoop {
    /// PAD line id and, in a delta, PAD03 the change (`AI`, `DI`, `PC`...).
    pub item: Pad,
    /// CTB item restrictions.
    pub restrictions: Vec<Ctb>,
    /// PID descriptions (`PID*F****<text>`).
    pub descriptions: Vec<Pid>,
    /// UIT unit prices.
    pub unit_prices: Vec<Uit>,
    /// QTY quantities.
    pub quantities: Vec<Qty>,
    /// AMT amounts.
    pub amounts: Vec<Amt>,
    /// CUR item currency.
    pub currency: Option<Cur>,
    /// DTM item validity (`131`/`132`).
    pub dates: Vec<Dtm>,
    /// LIN loop: the product ids.
    pub product: Option<LinLoop>,
    /// N1 loops restricting the item to named parties.
    pub parties: Vec<N1Loop>,
    /// CTP loops: the prices (`CON` contract, `WHL` WAC...).
    pub prices: Vec<CtpLoop>,
    /// Segments not modelled (MEA, SSS, SHP), written back at their place.
    pub other: Vec<Seg>,
}

/// The LIN loop: the item's product ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinLoop {
    /// LIN the product ids (`N4` NDC, `UP` GTIN-12...).
    pub product: Lin,
    /// Segments not modelled (G53, SLN kits and substitutes), written back at their place.
    pub other: Vec<Seg>,
}

/// The CTP loop: one price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtpLoop {
    /// CTP class of trade, price id, unit price, quantity and unit.
    pub price: Ctp,
    /// DTM price validity.
    pub dates: Vec<Dtm>,
    /// CTB price restrictions.
    pub restrictions: Vec<Ctb>,
    /// N1 loops restricting the price to named parties.
    pub parties: Vec<N1Loop>,
    /// Segments not modelled, written back at their place.
    pub other: Vec<Seg>,
}

impl Ts845 {
    /// Reads an 845 from a set.
    pub fn read(raw: &RawSet) -> Result<Self, ReadError> {
        ReadError::check_set(raw, "845")?;
        read_ts845(&mut SegmentCursor::new(raw))
    }

    /// The segments between ST and SE for `version`.
    pub fn to_segments(&self, version: Version) -> Vec<Seg> {
        let mut out = Vec::new();
        SET.write(version, &self.other, &mut out, |id, out| match id {
            "BPA" => out.push(self.authorization.to_seg(version)),
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
            _ => {}
        });
        out
    }
}

fn read_ts845(c: &mut SegmentCursor<'_>) -> Result<Ts845, ReadError> {
    let authorization = c.read_segment()?;
    let mut currency = None;
    let (mut notes, mut refs, mut contacts, mut dates) = (vec![], vec![], vec![], vec![]);
    let (mut parties, mut contracts, mut other) = (vec![], vec![], vec![]);
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
            _ if c.take_other(&SET, &mut other)? => {}
            _ => return Err(c.unexpected()),
        }
    }
    if contracts.is_empty() {
        return Err(c.missing("CON"));
    }
    SET.settle(&mut other);
    Ok(Ts845 {
        authorization,
        currency,
        notes,
        refs,
        contacts,
        dates,
        parties,
        contracts,
        totals: totals.ok_or_else(|| c.missing("CTT"))?,
        other,
    })
}

fn read_con_loop(c: &mut SegmentCursor<'_>) -> Result<ConLoop, ReadError> {
    let mut l = ConLoop {
        contract: c.read_segment()?,
        refs: Vec::new(),
        contacts: Vec::new(),
        dates: Vec::new(),
        restrictions: Vec::new(),
        eligible_parties: Vec::new(),
        items: Vec::new(),
        other: Vec::new(),
    };
    while let Some(id) = c.peek_id() {
        match id {
            "REF" => l.refs.push(c.read_segment()?),
            "PER" => l.contacts.push(c.read_segment()?),
            "DTM" => l.dates.push(c.read_segment()?),
            "CTB" => l.restrictions.push(c.read_segment()?),
            "N1" => l.eligible_parties.push(read_n1_loop(c, &CON_N1)?),
            "PAD" => l.items.push(read_pad_loop(c)?),
            _ if c.take_other(&CON, &mut l.other)? => {}
            _ => break,
        }
    }
    CON.settle(&mut l.other);
    Ok(l)
}

impl ConLoop {
    fn write(&self, version: Version, out: &mut Vec<Seg>) {
        CON.write(version, &self.other, out, |id, out| match id {
            "CON" => out.push(self.contract.to_seg(version)),
            "REF" => push_all(out, &self.refs, version),
            "PER" => push_all(out, &self.contacts, version),
            "DTM" => push_all(out, &self.dates, version),
            "CTB" => push_all(out, &self.restrictions, version),
            "N1" => {
                for p in &self.eligible_parties {
                    p.write(version, &CON_N1, out);
                }
            }
            "PAD" => {
                for l in &self.items {
                    l.write(version, out);
                }
            }
            _ => {}
        });
    }
}

fn read_pad_loop(c: &mut SegmentCursor<'_>) -> Result<PadLoop, ReadError> {
    let mut l = PadLoop {
        item: c.read_segment()?,
        restrictions: Vec::new(),
        descriptions: Vec::new(),
        unit_prices: Vec::new(),
        quantities: Vec::new(),
        amounts: Vec::new(),
        currency: None,
        dates: Vec::new(),
        product: None,
        parties: Vec::new(),
        prices: Vec::new(),
        other: Vec::new(),
    };
    while let Some(id) = c.peek_id() {
        match id {
            "CTB" => l.restrictions.push(c.read_segment()?),
            "PID" => l.descriptions.push(c.read_segment()?),
            "UIT" => l.unit_prices.push(c.read_segment()?),
            "QTY" => l.quantities.push(c.read_segment()?),
            "AMT" => l.amounts.push(c.read_segment()?),
            "CUR" if l.currency.is_none() => l.currency = Some(c.read_segment()?),
            "DTM" => l.dates.push(c.read_segment()?),
            "LIN" if l.product.is_none() => l.product = Some(read_lin_loop(c)?),
            "N1" => l.parties.push(read_n1_loop(c, &PAD_N1)?),
            "CTP" => l.prices.push(read_ctp_loop(c)?),
            _ if c.take_other(&PAD, &mut l.other)? => {}
            _ => break,
        }
    }
    PAD.settle(&mut l.other);
    Ok(l)
}

impl PadLoop {
    fn write(&self, version: Version, out: &mut Vec<Seg>) {
        PAD.write(version, &self.other, out, |id, out| match id {
            "PAD" => out.push(self.item.to_seg(version)),
            "CTB" => push_all(out, &self.restrictions, version),
            "PID" => push_all(out, &self.descriptions, version),
            "UIT" => push_all(out, &self.unit_prices, version),
            "QTY" => push_all(out, &self.quantities, version),
            "AMT" => push_all(out, &self.amounts, version),
            "CUR" => push_all(out, self.currency.as_slice(), version),
            "DTM" => push_all(out, &self.dates, version),
            "LIN" => {
                if let Some(l) = &self.product {
                    LIN.write(version, &l.other, out, |id, out| {
                        if id == "LIN" {
                            out.push(l.product.to_seg(version));
                        }
                    });
                }
            }
            "N1" => {
                for p in &self.parties {
                    p.write(version, &PAD_N1, out);
                }
            }
            "CTP" => {
                for p in &self.prices {
                    p.write(version, out);
                }
            }
            _ => {}
        });
    }

    /// The product ids of the item, if it has a LIN.
    pub fn product_ids(&self) -> Option<&Lin> {
        self.product.as_ref().map(|l| &l.product)
    }
}

fn read_lin_loop(c: &mut SegmentCursor<'_>) -> Result<LinLoop, ReadError> {
    let mut l = LinLoop {
        product: c.read_segment()?,
        other: Vec::new(),
    };
    while c.take_other(&LIN, &mut l.other)? {}
    LIN.settle(&mut l.other);
    Ok(l)
}

fn read_ctp_loop(c: &mut SegmentCursor<'_>) -> Result<CtpLoop, ReadError> {
    let mut l = CtpLoop {
        price: c.read_segment()?,
        dates: Vec::new(),
        restrictions: Vec::new(),
        parties: Vec::new(),
        other: Vec::new(),
    };
    while let Some(id) = c.peek_id() {
        match id {
            "DTM" => l.dates.push(c.read_segment()?),
            "CTB" => l.restrictions.push(c.read_segment()?),
            "N1" => l.parties.push(read_n1_loop(c, &CTP_N1)?),
            _ if c.take_other(&CTP, &mut l.other)? => {}
            _ => break,
        }
    }
    CTP.settle(&mut l.other);
    Ok(l)
}

impl CtpLoop {
    fn write(&self, version: Version, out: &mut Vec<Seg>) {
        CTP.write(version, &self.other, out, |id, out| match id {
            "CTP" => out.push(self.price.to_seg(version)),
            "DTM" => push_all(out, &self.dates, version),
            "CTB" => push_all(out, &self.restrictions, version),
            "N1" => {
                for p in &self.parties {
                    p.write(version, &CTP_N1, out);
                }
            }
            _ => {}
        });
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::sets::common::{
        ChangeType, ContractStatus, DateQualifier, EntityCode, IdQualifier, PriceId,
        ProductIdQualifier, UnitCode, date_of, ref_value,
    };
    use crate::sets::cursor::tests::check_shape;
    use crate::sets::tests::{body, edit, first_set};

    const CONTRACT: &[u8] = include_bytes!("../../../samples/845_4010_contract.x12");
    const CHANGE: &[u8] = include_bytes!("../../../samples/845_5010_contract_change.x12");

    fn dec(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn price(item: &PadLoop, id: &PriceId) -> Option<Decimal> {
        item.prices
            .iter()
            .find(|p| p.price.price_id.as_ref() == Some(id))
            .and_then(|p| p.price.unit_price)
    }

    #[test]
    fn shapes_follow_the_grammar() {
        for shape in [
            &SET,
            &HEADING_N1,
            &CON,
            &CON_N1,
            &PAD,
            &LIN,
            &PAD_N1,
            &CTP,
            &CTP_N1,
        ] {
            check_shape("845", shape);
        }
    }

    #[test]
    fn reads_the_full_contract() {
        let set = Ts845::read(&first_set(CONTRACT)).expect("reads");
        let bpa = &set.authorization;
        assert_eq!(bpa.purpose, Purpose::Original);
        assert_eq!(bpa.reference_qualifier, Some(RefQualifier::Contract));
        assert_eq!(bpa.reference.as_deref(), Some("SPA-2026-0042"));
        assert_eq!(
            date_of(&set.dates, &DateQualifier::Effective),
            Some(date(2026, 11, 1))
        );
        let mf = &set.parties[0];
        assert_eq!(mf.party.entity, EntityCode::Manufacturer);
        assert_eq!(mf.contacts[0].function, "CN");
        assert_eq!(mf.contacts[0].name.as_deref(), Some("CONTRACT ADMIN"));
        assert_eq!(mf.contacts[0].numbers[0].number, "8005550100");
        assert_eq!(set.parties[1].party.entity, EntityCode::Distributor);

        assert_eq!(set.contracts.len(), 1);
        let con = &set.contracts[0];
        assert_eq!(con.contract.status, ContractStatus::Original);
        assert_eq!(
            ref_value(&con.refs, &RefQualifier::Agreement),
            Some("GPO-AGR-7781")
        );
        assert_eq!(
            date_of(&con.dates, &DateQualifier::ContractExpiration),
            Some(date(2027, 10, 31))
        );
        let members = &con.eligible_parties;
        assert_eq!(members.len(), 4);
        assert_eq!(members[0].party.entity, EntityCode::BuyingGroup);
        assert_eq!(members[1].party.entity, EntityCode::EligibleParty);
        assert_eq!(members[1].party.id.as_deref(), Some("AR1234563"));
        assert_eq!(
            members[1].date(&DateQualifier::CustomerEffective),
            Some(date(2026, 11, 1))
        );
        assert_eq!(members[3].party.id_qualifier, Some(IdQualifier::Gln));
        assert_eq!(
            members[3].date(&DateQualifier::CustomerEffective),
            Some(date(2026, 12, 1))
        );

        assert_eq!(con.items.len(), 3);
        let first = &con.items[0];
        assert_eq!(
            first.descriptions[0].description.as_deref(),
            Some("AMOXICILLIN 500MG CAP 100CT")
        );
        assert_eq!(
            date_of(&first.dates, &DateQualifier::ItemExpiration),
            Some(date(2027, 10, 31))
        );
        let lin = first.product_ids().expect("LIN");
        assert_eq!(lin.assigned_id.as_deref(), Some("1"));
        assert_eq!(lin.id(&ProductIdQualifier::Ndc11), Some("12345010001"));
        assert_eq!(lin.id(&ProductIdQualifier::Gtin12), Some("312345010003"));
        assert_eq!(price(first, &PriceId::Contract), Some(dec("12.50")));
        assert_eq!(price(first, &PriceId::Wholesale), Some(dec("18.75")));
        let ctp = &first.prices[0].price;
        assert_eq!(ctp.quantity, Some(dec("1")));
        assert_eq!(ctp.unit.as_ref().map(|u| &u.code), Some(&UnitCode::Case));
        assert_eq!(price(&con.items[2], &PriceId::Contract), Some(dec("48.25")));
        assert_eq!(set.totals.line_count, 3);
    }

    #[test]
    fn reads_the_delta_with_member_and_item_changes() {
        let set = Ts845::read(&first_set(CHANGE)).expect("reads");
        assert_eq!(set.authorization.purpose, Purpose::Change);
        assert_eq!(
            set.authorization.reference.as_deref(),
            Some("SPA-2026-0042")
        );
        let con = &set.contracts[0];
        assert_eq!(con.contract.status, ContractStatus::Modified);
        let member = &con.eligible_parties[0];
        assert_eq!(
            member.party.name.as_deref(),
            Some("LAKESIDE CLINIC PHARMACY")
        );
        assert_eq!(member.ref_value(&RefQualifier::ChangeReason), Some("D"));
        assert_eq!(
            member.date(&DateQualifier::CustomerExpiration),
            Some(date(2026, 12, 31))
        );
        let items = &con.items;
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].item.line_id.as_deref(), Some("2"));
        assert_eq!(items[0].item.change, Some(ChangeType::PriceChange));
        let con_price = price(&items[0], &PriceId::Contract).expect("CTP CON");
        assert_eq!(con_price.to_string(), "29.00");
        assert_eq!(items[1].item.change, Some(ChangeType::Delete));
        assert!(items[1].prices.is_empty());
        assert_eq!(
            date_of(&items[1].dates, &DateQualifier::ItemExpiration),
            Some(date(2026, 12, 31))
        );
        assert_eq!(items[2].item.change, Some(ChangeType::Add));
        assert_eq!(price(&items[2], &PriceId::Contract), Some(dec("9.10")));
        assert_eq!(price(&items[2], &PriceId::Wholesale), Some(dec("14.00")));
        assert_eq!(
            items[2]
                .product_ids()
                .and_then(|l| l.id(&ProductIdQualifier::Ndc11)),
            Some("12345040050")
        );
    }

    #[test]
    fn writes_back_every_segment_of_both_samples() {
        for (data, version) in [(CONTRACT, Version::V004010), (CHANGE, Version::V005010)] {
            let raw = first_set(data);
            let set = Ts845::read(&raw).expect("reads");
            assert_eq!(set.to_segments(version), body(&raw));
        }
    }

    #[test]
    fn keeps_unmodelled_nested_segments_in_place() {
        let text = edit(
            CONTRACT,
            "LIN*1*N4*12345010001*UP*312345010003~",
            "LIN*1*N4*12345010001*UP*312345010003~SLN*1**I*1*CA~",
        );
        let text = edit(
            text.as_bytes(),
            "DTM*093*20271031~",
            "DTM*093*20271031~CTB*OR*GPO MEMBERS ONLY~ITD*01~",
        );
        let raw = first_set(text.as_bytes());
        let set = Ts845::read(&raw).expect("reads");
        let con = &set.contracts[0];
        assert_eq!(
            con.restrictions[0].description.as_deref(),
            Some("GPO MEMBERS ONLY")
        );
        assert_eq!(con.other[0].id, "ITD");
        let lin = con.items[0].product.as_ref().expect("LIN loop");
        assert_eq!(lin.other[0].id, "SLN");
        assert_eq!(set.to_segments(Version::V004010), body(&raw));
    }
}
