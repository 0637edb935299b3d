//! [`Contract`] to an 845 with one CON loop: BPA (with `CT` and the contract in BPA03/04),
//! `DTM*007` for the change date, the supplier and distributor N1 loops, CON with status and
//! the contract's REFs and `DTM*092`/`093`, the GPO as `N1*BG`, every eligible party as an N1
//! (`eligible_entity[0]`, never `BG`) with `REF*TD` when it is not added and `DTM*129`/`130`,
//! and one PAD loop per item line (PAD03 in a change 845 or when the item is not added) with
//! PID, `DTM*131`/`132`, LIN and a CTP per price: `ctp_contract[0]` and `ctp_reference[0]`,
//! per class of trade and unit; CTT counts the PAD loops. Caps are CTBs (`CTB*SR`, CTB03 `QA`,
//! or `61` for a cap that starts over, CTB05 `CC`, CTB07 the unit in 005010): at CON level for
//! a cap without a line, in the item's PAD loop, or in a PAD-level N1 loop for an item ×
//! customer cap.

use rust_decimal::Decimal;
use schemas::{Action, Contract, ContractCap, ContractItem, ItemAction, PartyAction};
use x12::sets::Ts845;
use x12::sets::common::{
    AmountQualifier, ChangeType, ClassOfTrade, Con, ContractStatus, Ctb, Ctp, Ctt, Pad, Pid,
    PriceId, Purpose, QuantityQualifier, RefQualifier, Restriction, Unit, UnitCode,
};
use x12::sets::ts845::{Bpa, ConLoop, CtpLoop, LinLoop, PadLoop};

use super::{RenderError, dtm, first, lin, missing, n1_loop, need, need_party, reference};
use crate::profile::Profile;

const DOC: &str = "contract";

pub(crate) fn render(c: &Contract, profile: &Profile) -> Result<Ts845, RenderError> {
    let d = &profile.dialect;
    need(&c.contract_id, DOC, None, "contract id")?;
    need_party(&c.supplier, DOC, None, "supplier")?;
    need_party(&c.distributor, DOC, None, "distributor")?;
    let mut dates = Vec::new();
    if let Some(date) = c.change_effective {
        dates.push(dtm("007", date));
    }
    let parties = vec![
        n1_loop(
            first(&d.supplier_entity, DOC, None, "supplier", "supplier_entity")?,
            &c.supplier,
        ),
        n1_loop(
            first(
                &d.distributor_entity,
                DOC,
                None,
                "distributor",
                "distributor_entity",
            )?,
            &c.distributor,
        ),
    ];

    let mut refs = Vec::new();
    if let Some(q) = d.contract_ref.ref_qualifier() {
        refs.push(reference(q, &c.contract_id));
    }
    refs.extend(c.refs.iter().map(|r| {
        let mut x = reference(&r.qualifier, &r.id);
        x.description = r.description.clone();
        x
    }));
    let mut eligible_parties = Vec::new();
    if let Some(gpo) = &c.gpo {
        need_party(gpo, DOC, None, "gpo")?;
        eligible_parties.push(n1_loop("BG", gpo));
    }
    let entity = party_entity(profile);
    for e in &c.eligible {
        need_party(&e.party, DOC, None, "eligible party")?;
        let mut l = n1_loop(entity, &e.party);
        if e.action != PartyAction::Add {
            l.refs.push(reference("TD", e.action.code()));
        }
        // Written where the partner states it; a partner with no such REF gets none.
        if let (Some(class), Some(q)) = (&e.class_of_trade, &d.class_of_trade_ref) {
            l.refs.push(reference(q, class));
        }
        if let Some(date) = e.start {
            l.dates.push(dtm("129", date));
        }
        if let Some(date) = e.end {
            l.dates.push(dtm("130", date));
        }
        eligible_parties.push(l);
    }

    let mut items: Vec<PadLoop> = Vec::new();
    let mut previous: Option<&ContractItem> = None;
    for item in &c.items {
        let same = previous.is_some_and(|p| {
            p.line == item.line
                && p.action == item.action
                && p.item == item.item
                && p.description == item.description
                && p.start == item.start
                && p.end == item.end
        });
        if !same {
            items.push(pad_loop(item, c.action)?);
        }
        let prices = ctp_loops(item, profile)?;
        if let Some(pad) = items.last_mut() {
            pad.prices.extend(prices);
        }
        previous = Some(item);
    }
    let mut restrictions = Vec::new();
    for cap in &c.caps {
        let ctb = cap_ctb(cap)?;
        let Some(line) = &cap.line else {
            if cap.customer.is_some() {
                return Err(missing(
                    DOC,
                    None,
                    "cap line",
                    "an item × customer cap needs the line of its item",
                ));
            }
            restrictions.push(ctb);
            continue;
        };
        let Some(pad) = items
            .iter_mut()
            .find(|p| p.item.line_id.as_deref() == Some(line.as_str()))
        else {
            return Err(missing(
                DOC,
                Some(line),
                "cap item",
                "no item of the contract has the cap's line",
            ));
        };
        match &cap.customer {
            None => pad.restrictions.push(ctb),
            Some(customer) => {
                need_party(customer, DOC, Some(line), "cap customer")?;
                let mut l = n1_loop(entity, customer);
                l.restrictions.push(ctb);
                pad.parties.push(l);
            }
        }
    }
    let pads = items.len() as u64;
    let con = ConLoop {
        contract: Con {
            qualifier: RefQualifier::Contract,
            contract_number: c.contract_id.clone(),
            status: ContractStatus::from_code(c.status.code()),
        },
        refs,
        contacts: Vec::new(),
        dates: vec![dtm("092", c.effective), dtm("093", c.expires)],
        restrictions,
        eligible_parties,
        items,
        other: Vec::new(),
    };
    Ok(Ts845 {
        authorization: Bpa {
            purpose: Purpose::from_code(c.action.code()),
            date: c.date,
            reference_qualifier: Some(RefQualifier::Contract),
            reference: Some(c.contract_id.clone()),
            time: None,
        },
        currency: None,
        notes: Vec::new(),
        refs: Vec::new(),
        contacts: Vec::new(),
        dates,
        parties,
        contracts: vec![con],
        totals: Ctt::new(pads, None),
        other: Vec::new(),
    })
}

/// The CTB of a cap.
fn cap_ctb(cap: &ContractCap) -> Result<Ctb, RenderError> {
    if cap.quantity.is_none() && cap.amount.is_none() {
        return Err(missing(
            DOC,
            cap.line.as_deref(),
            "cap limit",
            "a cap needs a quantity or an amount",
        ));
    }
    if cap.reset && cap.quantity.is_none() {
        return Err(missing(
            DOC,
            cap.line.as_deref(),
            "cap quantity",
            "a cap that starts over is written as CTB03 61 with its quantity",
        ));
    }
    Ok(Ctb {
        restriction: Restriction::Shipping,
        description: None,
        quantity_qualifier: cap.quantity.map(|_| {
            if cap.reset {
                QuantityQualifier::RemainingAuthorized
            } else {
                QuantityQualifier::Approved
            }
        }),
        quantity: cap.quantity,
        amount_qualifier: cap.amount.map(|_| AmountQualifier::ChargebackClaim),
        amount: cap.amount,
        unit: cap
            .uom
            .as_deref()
            .filter(|_| cap.quantity.is_some())
            .map(|u| Unit::from(UnitCode::from_code(u))),
    })
}

/// The PAD loop of an item line, without its prices.
fn pad_loop(item: &ContractItem, action: Action) -> Result<PadLoop, RenderError> {
    need(&item.line, DOC, None, "item line")?;
    // An original 845 leaves PAD03 out; a change says what happens to every item.
    let change = (action == Action::Change || item.action != ItemAction::Add)
        .then(|| ChangeType::from_code(item.action.code()));
    let mut dates = Vec::new();
    if let Some(date) = item.start {
        dates.push(dtm("131", date));
    }
    if let Some(date) = item.end {
        dates.push(dtm("132", date));
    }
    Ok(PadLoop {
        item: Pad {
            line_id: Some(item.line.clone()),
            transfer_type: None,
            change,
            multiplier_qualifier: None,
            multiplier: None,
        },
        restrictions: Vec::new(),
        descriptions: item
            .description
            .as_deref()
            .map(Pid::free_form)
            .into_iter()
            .collect(),
        unit_prices: Vec::new(),
        quantities: Vec::new(),
        amounts: Vec::new(),
        currency: None,
        dates,
        product: Some(LinLoop {
            product: lin(&item.item, Some(&item.line)),
            other: Vec::new(),
        }),
        parties: Vec::new(),
        prices: Vec::new(),
        other: Vec::new(),
    })
}

/// The N101 of the parties the partner names in a contract (eligible parties, price parties):
/// its first eligible entity other than the GPO's `BG`, `EB` when it lists none.
fn party_entity(profile: &Profile) -> &str {
    profile
        .dialect
        .eligible_entity
        .iter()
        .find(|e| *e != "BG")
        .map_or("EB", String::as_str)
}

/// The CTP rows of one item entry: contract price, then WAC.
fn ctp_loops(item: &ContractItem, profile: &Profile) -> Result<Vec<CtpLoop>, RenderError> {
    let d = &profile.dialect;
    let line = Some(item.line.as_str());
    // The parties the price is only for, as the CTP loop's N1 loops.
    let mut parties = Vec::with_capacity(item.parties.len());
    for p in &item.parties {
        need_party(p, DOC, line, "price party")?;
        parties.push(n1_loop(party_entity(profile), p));
    }
    let row = |id: &str, price: Decimal| CtpLoop {
        price: Ctp {
            class_of_trade: item.class_of_trade.as_deref().map(ClassOfTrade::from_code),
            price_id: Some(PriceId::from_code(id)),
            unit_price: Some(price),
            quantity: Some(Decimal::ONE),
            unit: item
                .uom
                .as_deref()
                .map(|u| Unit::from(UnitCode::from_code(u))),
            multiplier_qualifier: None,
            multiplier: None,
            amount: None,
            basis: None,
            condition_value: None,
            multiple_price_quantity: None,
        },
        dates: Vec::new(),
        restrictions: Vec::new(),
        parties: parties.clone(),
        other: Vec::new(),
    };
    let mut out = Vec::new();
    if let Some(p) = item.contract_price {
        out.push(row(
            first(&d.ctp_contract, DOC, line, "contract price", "ctp_contract")?,
            p,
        ));
    }
    if let Some(p) = item.wac {
        let Some(id) = d.ctp_reference.first() else {
            return Err(missing(
                DOC,
                line,
                "wac",
                "dialect.ctp_reference lists no CTP02 code to write it with",
            ));
        };
        out.push(row(id, p));
    }
    Ok(out)
}
