//! 845 to [`Contract`]s, one per CON loop.
//!
//! The contract number comes from the first of the profile's contract locations that the set
//! fills (`dialect.contract_ref`, then `contract_ref_alternates`: CON02, a CON-level REF, or
//! BPA04). Heading N1 loops give supplier and distributor; the first CON-level `N1*BG` is the
//! GPO and every other CON-level N1 whose N101 is in `dialect.eligible_entity` is an eligible
//! party, identified by `customer_id_priority`, with its `DTM*129`/`130` dates, its class of
//! trade when the profile names the REF that states it (`class_of_trade_ref`) and, in a
//! delta 845, `REF*TD` (`A`/`C`/`D`; `add` when absent). Each PAD loop is an item: PAD03 the
//! action (`add` when absent), LIN the product, PID05 the description, `DTM*131`/`132` its
//! dates, and the CTP rows its prices: a row whose CTP02 is in `ctp_contract` is the contract
//! price, in `ctp_reference` the WAC; rows of the same class of trade (CTP01), unit (CTP05,
//! via `uom_map`) and parties share one item entry; a CTP loop's `DTM*007`/`036` (or
//! `131`/`132`) are the dates of its price, so one item priced for successive periods has a
//! row per period (a price without dates beside dated ones completes each of them). The N1 loops of a CTP loop name the only
//! parties its price is for (identified like an eligible party), and a PAD loop's N1 loops
//! of an `eligible_entity` without a CTB limit those of each of its prices that names none. An item that is added or replaced must state its
//! contract price, a price change at least one price.
//!
//! Caps (chargeback-rules §5.1): every CTB with a quantity (CTB04) or amount (CTB06) limit is
//! a cap: in a PAD loop it caps that item, in a PAD-level N1 loop that item for that end
//! customer (identified like an eligible party), at CON level each item of the contract.
//! The cap's unit is CTB07 (005010, via `uom_map`), else the unit of the item's first price
//! row. CTB03 `61` (remaining authorized) marks a cap that starts over (`reset`); any other
//! qualifier keeps the consumption of earlier versions.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemas::{
    Contract, ContractCap, ContractItem, ContractStatus, EligibleParty, ItemAction, Party,
    PartyAction, Source,
};
use x12::sets::Ts845;
use x12::sets::common::{Ctb, Ctp, Dtm};
use x12::sets::ts845::{ConLoop, PadLoop};

use super::item::required_item;
use super::party::{customer, heading_party, plain_party};
use super::{
    ContractPlaces, Ctx, Path, action, agreement_refs, contract_id, contract_places, either,
    listed, one_date, pad_line_id, period_by, refuse_scaled_units, take_party_class,
};

pub(crate) fn map(ctx: &mut Ctx<'_>, set: &Ts845, source: &Source) -> Vec<Contract> {
    let d = ctx.dialect;
    let bpa = &set.authorization;
    let action = action(ctx, bpa.purpose.code(), "BPA");
    let supplier = heading_party(
        ctx,
        &set.parties,
        &d.supplier_entity,
        "supplier",
        "dialect.supplier_entity",
    );
    let distributor = heading_party(
        ctx,
        &set.parties,
        &d.distributor_entity,
        "distributor",
        "dialect.distributor_entity",
    );
    let heading = Path::HEADING;
    let change_effective = one_date(ctx, &set.dates, "007", heading, None, "change effective")
        .or_else(|| one_date(ctx, &set.dates, "152", heading, None, "change effective"));
    let bpa04 = match (&bpa.reference_qualifier, &bpa.reference) {
        (Some(q), Some(r)) if q.code() == "CT" => Some(r.as_str()),
        _ => None,
    };

    let mut out = Vec::with_capacity(set.contracts.len());
    let mut pad = 0usize;
    for (c, con) in set.contracts.iter().enumerate() {
        let con_path = Path::at("CON", c);
        let contract = contract_id(
            d,
            &ContractPlaces {
                con02: Some(&con.contract.contract_number),
                refs: &con.refs,
                bpa04,
                ..ContractPlaces::default()
            },
        );
        if contract.is_none() {
            ctx.missing_segment(
                con_path,
                None,
                "contract id",
                Some("dialect.contract_ref"),
                "REF",
                format!("none of {} is sent for this CON loop", contract_places(d)),
            );
        }
        let status_code = con.contract.status.code();
        let status = ContractStatus::from_code(status_code);
        if status.is_none() {
            ctx.invalid_code(
                con_path,
                None,
                "status",
                None,
                (3, "846"),
                status_code,
                format!("CON03 '{status_code}' is not a contract status"),
            );
        }
        // A range (DTM05 `RD8`) on either DTM is the whole term.
        let (start, end) = period_by(&con.dates, "092", "093");
        let date = |ctx: &mut Ctx<'_>, v: Option<chrono::NaiveDate>, q: &str, field| {
            if v.is_none() {
                ctx.missing_segment(
                    con_path,
                    None,
                    field,
                    None,
                    "DTM",
                    format!("no DTM*{q} in this CON loop"),
                );
            }
            v
        };
        let effective = date(ctx, start, "092", "effective date");
        let expires = date(ctx, end, "093", "expiration date");
        let refs = agreement_refs(ctx, &con.refs, con_path);
        let (gpo, eligible) = parties(ctx, con, con_path);
        let mut items = Vec::new();
        let mut caps: Vec<ContractCap> = con
            .restrictions
            .iter()
            .filter_map(|ctb| cap_of(ctx, ctb, None, None, None))
            .collect();
        for l in &con.items {
            let first = items.len();
            let pad_path = Path::at("PAD", pad);
            map_item(ctx, l, pad_path, &mut items);
            // PAD01 missing is reported by map_item.
            let line = l.item.line_id.clone();
            let uom = items.get(first).and_then(|i: &ContractItem| i.uom.clone());
            item_caps(ctx, l, pad_path, line, uom, &mut caps);
            pad += 1;
        }
        out.push(Contract {
            source: source.clone(),
            action,
            date: bpa.date,
            contract_id: contract.unwrap_or_default().to_owned(),
            status: status.unwrap_or(ContractStatus::Original),
            supplier: supplier.clone().unwrap_or_default(),
            distributor: distributor.clone().unwrap_or_default(),
            gpo,
            refs,
            effective: effective.unwrap_or_default(),
            expires: expires.unwrap_or_default(),
            change_effective,
            eligible,
            items,
            caps,
        });
    }
    out
}

/// The caps of one PAD loop: its own CTBs, then those of its N1 loops (item × customer).
fn item_caps(
    ctx: &mut Ctx<'_>,
    l: &PadLoop,
    pad: Path,
    line: Option<String>,
    uom: Option<String>,
    caps: &mut Vec<ContractCap>,
) {
    for ctb in &l.restrictions {
        caps.extend(cap_of(ctx, ctb, line.clone(), None, uom.clone()));
    }
    for (j, n1) in l.parties.iter().enumerate() {
        if !n1.restrictions.iter().any(is_limit) {
            continue;
        }
        let Some(party) = customer(ctx, n1, pad.then("N1", j), line.as_deref(), "cap customer")
        else {
            continue;
        };
        for ctb in &n1.restrictions {
            caps.extend(cap_of(
                ctx,
                ctb,
                line.clone(),
                Some(party.clone()),
                uom.clone(),
            ));
        }
    }
}

/// Whether a CTB states a quantity or amount limit.
fn is_limit(ctb: &Ctb) -> bool {
    ctb.quantity.is_some() || ctb.amount.is_some()
}

/// The cap a CTB states, if it states a limit.
fn cap_of(
    ctx: &Ctx<'_>,
    ctb: &Ctb,
    line: Option<String>,
    customer: Option<Party>,
    item_uom: Option<String>,
) -> Option<ContractCap> {
    if !is_limit(ctb) {
        return None;
    }
    let uom = match &ctb.unit {
        Some(u) => Some(ctx.dialect.uom(u.code.code()).to_owned()),
        None => item_uom,
    };
    Some(ContractCap {
        line,
        customer,
        quantity: ctb.quantity,
        uom: ctb.quantity.and(uom),
        amount: ctb.amount,
        reset: ctb
            .quantity_qualifier
            .as_ref()
            .is_some_and(|q| q.code() == RESET_QUALIFIER),
    })
}

/// CTB03 `61` remaining authorized: the amendment restarts the cap.
pub(crate) const RESET_QUALIFIER: &str = "61";

/// The GPO (first `N1*BG`) and the eligible parties of a CON loop.
fn parties(
    ctx: &mut Ctx<'_>,
    con: &ConLoop,
    con_path: Path,
) -> (Option<Party>, Vec<EligibleParty>) {
    let d = ctx.dialect;
    let mut gpo = None;
    let mut eligible = Vec::with_capacity(con.eligible_parties.len());
    for (j, l) in con.eligible_parties.iter().enumerate() {
        let path = con_path.then("N1", j);
        let entity = l.party.entity.code();
        if entity == "BG" && gpo.is_none() {
            gpo = plain_party(ctx, l, path, None, "gpo");
            continue;
        }
        if !d.eligible_entity.iter().any(|e| e == entity) {
            let listed_entities = listed(&d.eligible_entity);
            ctx.note(path, None, || {
                format!("N1*{entity} not mapped: not in dialect.eligible_entity {listed_entities}")
            });
            continue;
        }
        let mut party = customer(ctx, l, path, None, "eligible party");
        let class_of_trade = party.as_mut().and_then(|p| take_party_class(d, p));
        let mut action = PartyAction::Add;
        for (k, r) in l.refs.iter().enumerate() {
            if r.qualifier.code() != "TD" {
                continue;
            }
            let v = r.value.as_deref().unwrap_or("");
            match PartyAction::from_code(v) {
                Some(a) => action = a,
                None => ctx.invalid_code(
                    path.then("REF", k),
                    None,
                    "eligible party action",
                    None,
                    (2, "127"),
                    v,
                    format!("REF*TD '{v}' is not A, C or D"),
                ),
            }
        }
        if let Some(party) = party {
            let (start, end) = period_by(&l.dates, "129", "130");
            eligible.push(EligibleParty {
                party,
                start,
                end,
                action,
                class_of_trade,
            });
        }
    }
    (gpo, eligible)
}

/// One price entry of an item: a class of trade and unit with its contract price and WAC.
struct PriceRow {
    class_of_trade: Option<String>,
    /// The parties of the CTP loop's N1 loops (empty: every eligible party).
    parties: Vec<Party>,
    uom: Option<String>,
    contract_price: Option<Decimal>,
    wac: Option<Decimal>,
    /// The CTP loop's own validity (`DTM*007`/`036`, or `131`/`132`): when this price is in
    /// force, within the item's; `None` takes the item's dates.
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
}

/// A CTP element that changes what CTP03 means, which a price row (one price for one
/// CTP05 unit, in force for all quantities) cannot hold.
struct UnappliedTerm {
    element: u16,
    reference: &'static str,
    value: String,
    reason: String,
}

/// The first CTP term that would make CTP03 a price other than that of one unit: a
/// quantity other than one (a price per 12, or a quantity break), a multiplier, a tier
/// breakpoint, a price for several units. Read as a plain unit price they paid a wrong
/// amount without a word; refused, located, the partner sends the net unit price instead.
fn unapplied_term(ctp: &Ctp) -> Option<UnappliedTerm> {
    let term = |element, reference, value: String, reason: String| {
        Some(UnappliedTerm {
            element,
            reference,
            value,
            reason,
        })
    };
    if let Some(q) = ctp.quantity.filter(|q| *q != Decimal::ONE) {
        return term(
            4,
            "380",
            q.to_string(),
            format!(
                "CTP04 {q}: a price for a quantity other than one (a price per {q}, or a quantity break) is not applied; CTP03 must be the price of one CTP05 unit"
            ),
        );
    }
    if let Some(qualifier) = &ctp.multiplier_qualifier {
        return term(
            6,
            "648",
            qualifier.clone(),
            format!(
                "CTP06 {qualifier}: a price multiplier is not applied; CTP03 must be the net unit price"
            ),
        );
    }
    if let Some(m) = ctp.multiplier {
        return term(
            7,
            "649",
            m.to_string(),
            format!(
                "CTP07 {m}: a price multiplier is not applied; CTP03 must be the net unit price"
            ),
        );
    }
    if let Some(c) = &ctp.condition_value {
        return term(
            10,
            "499",
            c.clone(),
            format!(
                "CTP10 {c}: a tier breakpoint is not applied; one price per unit, class and period"
            ),
        );
    }
    if let Some(n) = ctp.multiple_price_quantity.filter(|n| *n != 1) {
        return term(
            11,
            "289",
            n.to_string(),
            format!(
                "CTP11 {n}: a price for several units is not applied; CTP03 must be the price of one CTP05 unit"
            ),
        );
    }
    None
}

/// The validity a CTP loop's DTMs give its price: effective `007` (or `131`), expiration
/// `036` (or `132`); a range (DTM05 `RD8`) on either gives both.
fn price_dates(dates: &[Dtm]) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let (start, end) = period_by(dates, "007", "036");
    let (start2, end2) = period_by(dates, "131", "132");
    (start.or(start2), end.or(end2))
}

/// A price sent with no dates of its own beside prices that have them (a contract price per
/// period and one WAC, or one contract price and a WAC per period) prices each dated row of
/// its class, parties and unit that lacks it, and goes: it is the other half of those rows,
/// not a row in force all along with a price missing.
fn share_undated(rows: &mut Vec<PriceRow>) {
    let mut k = 0;
    while k < rows.len() {
        let r = &rows[k];
        let undated = r.start.is_none() && r.end.is_none();
        if !undated || r.contract_price.is_some() == r.wac.is_some() {
            k += 1;
            continue;
        }
        let (class, parties, uom) = (r.class_of_trade.clone(), r.parties.clone(), r.uom.clone());
        let (contract_price, wac) = (r.contract_price, r.wac);
        let mut taken = false;
        for d in rows.iter_mut().filter(|d| {
            (d.start.is_some() || d.end.is_some())
                && d.class_of_trade == class
                && d.parties == parties
                && d.uom == uom
        }) {
            if contract_price.is_some() && d.contract_price.is_none() {
                d.contract_price = contract_price;
                taken = true;
            } else if wac.is_some() && d.wac.is_none() {
                d.wac = wac;
                taken = true;
            }
        }
        if taken {
            rows.remove(k);
        } else {
            k += 1;
        }
    }
}

/// Why an added or replaced item has no contract price. When the item has one, the WAC
/// left without it is in another unit, class of trade, parties or period (a WAC per EA
/// beside a contract price per CA): saying there is no contract price at all sent the
/// partner looking for a CTP it had sent.
fn missing_contract_price(rows: &[PriceRow], ctp_contract: &[String]) -> String {
    let codes = either(ctp_contract);
    let alone = rows.iter().find(|r| r.contract_price.is_none());
    match alone {
        Some(r) if rows.iter().any(|o| o.contract_price.is_some()) => {
            let or_any = |v: &Option<String>| v.clone().unwrap_or_else(|| "(any)".to_owned());
            format!(
                "a reference price (CTP05 unit {}, CTP01 class {}) has no CTP with CTP02 {codes} \
                 of the same unit, class of trade, parties and dates",
                or_any(&r.uom),
                or_any(&r.class_of_trade)
            )
        }
        _ => format!("no CTP with CTP02 {codes} for an item that is added or replaced"),
    }
}

/// A WAC sent for every class (CTP01 left out) beside contract prices per class: each class
/// row of the same parties and unit without a WAC of its own takes it, and the any-class
/// row, which has no contract price to be a row of its own, goes. A partner sending one WAC
/// and a price per class is pricing each class, not an item with no contract price.
/// Likewise a WAC for everyone (no CTP-level N1 loop) that no price for everyone took
/// prices the rows for named parties of its unit: one WAC beside a price for named parties
/// only is that price's reference, not a row with no contract price.
fn share_any_class_wac(rows: &mut Vec<PriceRow>) {
    share_wac(rows, |r, parties| {
        r.class_of_trade.is_some() && r.parties == parties
    });
    share_wac(rows, |r, parties| {
        parties.is_empty() && !r.parties.is_empty()
    });
}

/// Gives each any-class row with a WAC and no contract price to the rows with a contract
/// price and no WAC, of its unit, that `takes` (given the row and the WAC row's parties);
/// a WAC row taken goes.
fn share_wac(rows: &mut Vec<PriceRow>, takes: impl Fn(&PriceRow, &[Party]) -> bool) {
    let shared = |r: &PriceRow| r.class_of_trade.is_none() && r.contract_price.is_none();
    let mut k = 0;
    while k < rows.len() {
        let (parties, uom, wac) = match &rows[k] {
            r if shared(r) => (r.parties.clone(), r.uom.clone(), r.wac),
            _ => {
                k += 1;
                continue;
            }
        };
        let mut taken = false;
        for r in rows
            .iter_mut()
            .filter(|r| r.contract_price.is_some() && r.wac.is_none())
        {
            if takes(r, &parties) && r.uom == uom {
                r.wac = wac;
                taken = true;
            }
        }
        if taken {
            rows.remove(k);
        } else {
            k += 1;
        }
    }
}

/// One PAD loop: pushes one item per class of trade and unit it is priced in.
fn map_item(ctx: &mut Ctx<'_>, l: &PadLoop, pad: Path, items: &mut Vec<ContractItem>) {
    let d = ctx.dialect;
    let line_id = pad_line_id(ctx, &l.item, pad);
    let line = line_id.as_deref();
    let action = match &l.item.change {
        None => ItemAction::Add,
        Some(c) => match ItemAction::from_code(c.code()) {
            Some(a) => a,
            None => {
                let v = c.code().to_owned();
                ctx.invalid_code(
                    pad,
                    line,
                    "item action",
                    None,
                    (3, "670"),
                    &v,
                    format!("PAD03 '{v}' is not AI, DI, PC, NC or RZ"),
                );
                ItemAction::Add
            }
        },
    };
    let lin = l.product.as_ref().map(|p| &p.product);
    let item = required_item(ctx, lin, pad, pad.then("LIN", 0), line);
    // The item's own N1 loops (PAD level) name the only parties it is for, as a CTP loop's
    // do for its price: each price without parties of its own is for them. One with a CTB
    // limit is that customer's cap on the item (`item_caps`), not a restriction; one whose
    // N101 is no `eligible_entity` is not a party the item could be for.
    let mut item_parties: Vec<Party> = Vec::new();
    for (j, n1) in l.parties.iter().enumerate() {
        if n1.restrictions.iter().any(is_limit) {
            continue;
        }
        let entity = n1.party.entity.code();
        if !d.eligible_entity.iter().any(|e| e == entity) {
            let listed_entities = listed(&d.eligible_entity);
            ctx.note(pad.then("N1", j), line, || {
                format!("N1*{entity} not mapped: not in dialect.eligible_entity {listed_entities}")
            });
            continue;
        }
        item_parties.extend(customer(ctx, n1, pad.then("N1", j), line, "item party"));
    }

    let mut rows: Vec<PriceRow> = Vec::new();
    for (k, p) in l.prices.iter().enumerate() {
        let ctp = &p.price;
        let id = ctp.price_id.as_ref().map_or("", |i| i.code());
        let is_contract = d.ctp_contract.iter().any(|c| c == id);
        let is_reference = d.ctp_reference.iter().any(|c| c == id);
        if !is_contract && !is_reference {
            if ctx.wants_notes() {
                let (a, b) = (listed(&d.ctp_contract), listed(&d.ctp_reference));
                ctx.note(pad.then("CTP", k), line, || {
                    format!(
                        "CTP02 '{id}' not in dialect.ctp_contract {a} or dialect.ctp_reference {b}"
                    )
                });
            }
            continue;
        }
        let Some(price) = ctp.unit_price else {
            ctx.missing_element(
                pad.then("CTP", k),
                line,
                if is_contract { "contract price" } else { "wac" },
                None,
                (3, "212"),
                "CTP03 is empty".to_owned(),
            );
            continue;
        };
        if let Some(term) = unapplied_term(ctp) {
            ctx.invalid_code(
                pad.then("CTP", k),
                line,
                if is_contract { "contract price" } else { "wac" },
                None,
                (term.element, term.reference),
                &term.value,
                term.reason,
            );
            continue;
        }
        let class_of_trade = ctp.class_of_trade.as_ref().map(|c| c.code().to_owned());
        // The N1 loops of the CTP loop name the only parties the price is for.
        let ctp_path = pad.then("CTP", k);
        let mut parties: Vec<Party> = p
            .parties
            .iter()
            .enumerate()
            .filter_map(|(j, n1)| customer(ctx, n1, ctp_path.then("N1", j), line, "price party"))
            .collect();
        if parties.is_empty() {
            parties.clone_from(&item_parties);
        }
        refuse_scaled_units(ctx, ctp.unit.as_ref().map(|u| (ctp_path, 5, u)), line);
        let uom = ctp.unit.as_ref().map(|u| d.uom(u.code.code()).to_owned());
        let (start, end) = price_dates(&p.dates);
        let slot = rows.iter_mut().find(|r| {
            r.class_of_trade == class_of_trade
                && r.parties == parties
                && r.uom == uom
                && (r.start, r.end) == (start, end)
                && if is_contract {
                    r.contract_price.is_none()
                } else {
                    r.wac.is_none()
                }
        });
        let row = match slot {
            Some(r) => r,
            None => {
                rows.push(PriceRow {
                    class_of_trade,
                    parties,
                    uom,
                    contract_price: None,
                    wac: None,
                    start,
                    end,
                });
                let last = rows.len() - 1;
                &mut rows[last]
            }
        };
        if is_contract {
            row.contract_price = Some(price);
        } else {
            row.wac = Some(price);
        }
    }
    share_undated(&mut rows);
    share_any_class_wac(&mut rows);
    match action {
        ItemAction::Add | ItemAction::Replace
            if rows.is_empty() || rows.iter().any(|r| r.contract_price.is_none()) =>
        {
            ctx.missing_segment(
                pad,
                line,
                "contract price",
                Some("dialect.ctp_contract"),
                "CTP",
                missing_contract_price(&rows, &d.ctp_contract),
            );
        }
        ItemAction::PriceChange if rows.is_empty() => {
            ctx.missing_segment(
                pad,
                line,
                "price",
                Some("dialect.ctp_contract"),
                "CTP",
                format!(
                    "no CTP with CTP02 {} or {} for a price change",
                    either(&d.ctp_contract),
                    either(&d.ctp_reference)
                ),
            );
        }
        _ => {}
    }
    if rows.is_empty() {
        rows.push(PriceRow {
            class_of_trade: None,
            parties: Vec::new(),
            uom: None,
            contract_price: None,
            wac: None,
            start: None,
            end: None,
        });
    }
    let Some(item) = item else { return };
    let description = l.descriptions.iter().find_map(|p| p.description.clone());
    let (start, end) = period_by(&l.dates, "131", "132");
    for r in rows {
        items.push(ContractItem {
            line: line_id.clone().unwrap_or_default(),
            action,
            item: item.clone(),
            description: description.clone(),
            class_of_trade: r.class_of_trade,
            contract_price: r.contract_price,
            wac: r.wac,
            uom: r.uom,
            // A price's own dates (its CTP loop's DTMs) say when it is in force: two
            // prices of one item for successive periods are two rows, each of its period.
            start: r.start.or(start),
            end: r.end.or(end),
            parties: r.parties,
        });
    }
}
