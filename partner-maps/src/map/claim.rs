//! 844 to [`Claim`]: the debit memo where `dialect.claim_ref` says, the heading parties, and
//! one line per PAD loop carrying the contract and end customer of its CON loop.
//!
//! Per line: item from the LIN (`product_id_priority`), quantity from the QTY whose QTY01 is in
//! `quantity_qualifier` (unit via `uom_map`), reference price (WAC or book cost) from the UIT
//! on a `reference_price_basis`, contract price from the UIT on a `contract_price_basis`,
//! claimed amount from `AMT*<claimed_amount>`, invoice from `REF*<invoice_ref>`, a return's
//! original invoice from `REF*<original_invoice_ref>`, dates from `DTM*<invoice_date>` and
//! `DTM*<ship_date>`. A line marked a return (its QTY01 in `return_quantity_qualifiers`, or
//! its PAD02 in `return_transfer_types`) reads its quantity and amount negative, once. Required: everything the document requires,
//! plus the eligibility date (`dialect.eligibility_date`), which the engine prices on.

use schemas::{Claim, ClaimLine, Party, Source};
use x12::sets::Ts844;
use x12::sets::ts844::{ConLoop, PadLoop};

use super::item::required_item;
use super::party::{customer, find_entity, heading_party};
use super::{
    ContractPlaces, Ctx, Path, action, agreement_refs, amount_by, class_of_trade, contract_id,
    contract_places, count_u32, either, first_unbased, invoice_ref, is_range, line_units, listed,
    note_return_without_original, note_unused_prices, one_date, our_uom, pad_line_id,
    price_by_basis, quantity_by, ref_by, refuse_scaled_units, seen, take_party_class,
    unbased_price,
};
use crate::profile::{ClaimRef, DateBasis};

pub(crate) fn map(ctx: &mut Ctx<'_>, set: &Ts844, source: &Source) -> Claim {
    let d = ctx.dialect;
    let baa = &set.claim;
    let action = action(ctx, baa.purpose.code(), "BAA");
    let transaction_type = baa.transaction_type.code().to_owned();
    if transaction_type != d.baa02 {
        let want = d.baa02.clone();
        ctx.note(Path::HEADING, None, || {
            format!("BAA02 '{transaction_type}' differs from dialect.baa02 '{want}'")
        });
    }
    let debit_memo = debit_memo(ctx, set).unwrap_or_default();
    let distributor = heading_party(
        ctx,
        &set.parties,
        &d.distributor_entity,
        "distributor",
        "dialect.distributor_entity",
    );
    let supplier = heading_party(
        ctx,
        &set.parties,
        &d.supplier_entity,
        "supplier",
        "dialect.supplier_entity",
    );

    let mut lines = Vec::with_capacity(set.contracts.iter().map(|c| c.lines.len()).sum());
    let mut pad = 0usize;
    for (c, con) in set.contracts.iter().enumerate() {
        let con_path = Path::at("CON", c);
        let contract = contract_id(
            d,
            &ContractPlaces {
                con02: Some(&con.contract.contract_number),
                refs: &con.refs,
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
                format!("none of {} is sent in this CON loop", contract_places(d)),
            );
        }
        let contract_refs = agreement_refs(ctx, &con.refs, con_path);
        let mut end_customer = end_customer(ctx, con, con_path);
        let customer_class = end_customer.as_mut().and_then(|c| take_party_class(d, c));
        for l in &con.lines {
            let line = map_line(ctx, l, Path::at("PAD", pad));
            pad += 1;
            if let Some(mut line) = line {
                line.contract_id = contract.unwrap_or_default().to_owned();
                line.contract_refs = contract_refs.clone();
                if let Some(c) = &end_customer {
                    line.end_customer = c.clone();
                }
                if line.class_of_trade.is_none() {
                    line.class_of_trade.clone_from(&customer_class);
                }
                lines.push(line);
            }
        }
    }

    let ctt = Path::at("CTT", 0);
    let total_claimed = amount_by(&set.total_amounts, &d.total_claimed);
    if total_claimed.is_none() {
        ctx.missing_segment(
            ctt,
            None,
            "total claimed",
            Some("dialect.total_claimed"),
            "AMT",
            format!("no summary AMT with AMT01 {}", d.total_claimed),
        );
    }
    if ctx.wants_notes()
        && let Some(total) = total_claimed
    {
        // x12-chargeback 5, checks on receipt: the summary is the sum of the lines. A note
        // here; the engine adjudicates the lines and reports the summary beside them
        // (`Adjudication::stated_total`).
        let sum: rust_decimal::Decimal = lines.iter().map(|l| l.claimed_amount).sum();
        if sum != total {
            ctx.note(ctt, None, || {
                format!(
                    "the summary AMT {} {total} is not the sum of the lines' amounts ({sum})",
                    d.total_claimed
                )
            });
        }
    }
    let line_count = count_u32(ctx, set.totals.line_count, ctt, "line count");
    if ctx.wants_notes()
        && d.ctt01 == crate::profile::Ctt01Rule::Lines
        && line_count as usize != pad
    {
        ctx.note(ctt, None, || {
            format!("CTT01 {line_count} is not the number of PAD loops ({pad}) that dialect.ctt01 = \"lines\" expects")
        });
    }

    Claim {
        source: source.clone(),
        action,
        transaction_type: Some(transaction_type),
        debit_memo,
        date: baa.date,
        currency: set.currency.as_ref().map(|c| c.currency.clone()),
        supplier: supplier.unwrap_or_default(),
        distributor: distributor.unwrap_or_default(),
        lines,
        total_claimed: total_claimed.unwrap_or_default(),
        line_count,
        quantity_total: set.totals.hash_total,
    }
}

fn debit_memo(ctx: &mut Ctx<'_>, set: &Ts844) -> Option<String> {
    match ctx.dialect.claim_ref {
        ClaimRef::Baa05 => {
            let baa = &set.claim;
            match (&baa.reference_qualifier, &baa.debit_memo_number) {
                (Some(q), Some(memo)) if q.code() == "DB" => Some(memo.clone()),
                (Some(q), Some(_)) => {
                    let q = q.code().to_owned();
                    ctx.invalid_code(
                        Path::HEADING,
                        None,
                        "debit memo",
                        Some("dialect.claim_ref"),
                        (4, "128"),
                        &q,
                        format!("BAA04 is '{q}', not DB"),
                    );
                    None
                }
                _ => {
                    ctx.missing_element(
                        Path::HEADING,
                        None,
                        "debit memo",
                        Some("dialect.claim_ref"),
                        (5, "127"),
                        "BAA04/BAA05 not sent".to_owned(),
                    );
                    None
                }
            }
        }
        ClaimRef::RefDb => {
            let memo = ref_by(&set.refs, "DB").map(str::to_owned);
            if memo.is_none() {
                ctx.missing_segment(
                    Path::HEADING,
                    None,
                    "debit memo",
                    Some("dialect.claim_ref"),
                    "REF",
                    "no heading REF*DB".to_owned(),
                );
            }
            memo
        }
    }
}

/// The end customer of a CON loop: its N1 with an `end_customer_entity`.
fn end_customer(ctx: &mut Ctx<'_>, con: &ConLoop, con_path: Path) -> Option<Party> {
    let d = ctx.dialect;
    match find_entity(&con.parties, &d.end_customer_entity) {
        Some((j, l)) => customer(ctx, l, con_path.then("N1", j), None, "end customer"),
        None => {
            ctx.missing_segment(
                con_path,
                None,
                "end customer",
                Some("dialect.end_customer_entity"),
                "N1",
                format!(
                    "no N1 with N101 in {} in this CON loop; found {}",
                    listed(&d.end_customer_entity),
                    seen(con.parties.iter().map(|p| p.party.entity.code()))
                ),
            );
            None
        }
    }
}

/// One PAD loop; contract and end customer are filled in by the caller.
fn map_line(ctx: &mut Ctx<'_>, l: &PadLoop, pad: Path) -> Option<ClaimLine> {
    let d = ctx.dialect;
    let line_id = pad_line_id(ctx, &l.line, pad);
    let line = line_id.as_deref();
    let item = required_item(ctx, l.product.as_ref(), pad, pad.then("LIN", 0), line);
    refuse_scaled_units(ctx, line_units(&l.unit_prices, &l.quantities, pad), line);

    let wac_uit = price_by_basis(&l.unit_prices, &d.reference_price_basis);
    let (wac, reference_price_basis) = match wac_uit {
        Some((k, uit)) => match uit.unit_price {
            Some(p) => (Some(p), uit.basis.as_ref().map(|b| b.code().to_owned())),
            None => {
                ctx.missing_element(
                    pad.then("UIT", k),
                    line,
                    "reference price",
                    Some("dialect.reference_price_basis"),
                    (2, "212"),
                    "UIT02 is empty".to_owned(),
                );
                (None, None)
            }
        },
        None => (None, None),
    };
    let contract_uit = price_by_basis(&l.unit_prices, &d.contract_price_basis);
    let contract_price = match contract_uit {
        Some((_, uit)) if uit.unit_price.is_some() => uit.unit_price,
        Some((k, _)) => {
            ctx.missing_element(
                pad.then("UIT", k),
                line,
                "contract price",
                Some("dialect.contract_price_basis"),
                (2, "212"),
                "UIT02 is empty".to_owned(),
            );
            None
        }
        // A UIT without a basis may be the price meant, but nothing says so: the finding is
        // that UIT's missing UIT03.
        None => match first_unbased(&l.unit_prices) {
            Some((k, uit)) => {
                ctx.missing_element(
                    pad.then("UIT", k),
                    line,
                    "contract price",
                    Some("dialect.contract_price_basis"),
                    (3, "639"),
                    format!(
                        "no UIT with basis {}: {}",
                        either(&d.contract_price_basis),
                        unbased_price(uit)
                    ),
                );
                None
            }
            None => {
                ctx.missing_segment(
                    pad,
                    line,
                    "contract price",
                    Some("dialect.contract_price_basis"),
                    "UIT",
                    format!("no UIT with basis {}", either(&d.contract_price_basis)),
                );
                None
            }
        },
    };
    note_unused_prices(
        ctx,
        &l.unit_prices,
        pad,
        line,
        &[
            ("reference_price_basis", &d.reference_price_basis),
            ("contract_price_basis", &d.contract_price_basis),
        ],
    );

    let (quantity, uom) = quantity_and_uom(
        ctx,
        &l.quantities,
        contract_uit.map(|(_, u)| u.unit.code.code()),
        pad,
        line,
    );

    let claimed_amount = amount_by(&l.amounts, &d.claimed_amount);
    let claimed_qty = quantity_by(&l.quantities, &d.quantity_qualifier);
    // Left out by a partner whose profile says it computes none: (WAC − contract price) ×
    // quantity, the claim's own prices, once the sign of a return is applied (below).
    let computed = claimed_amount.is_none() && d.compute_claimed_amount;
    // Prices and quantity of one unit only: across units the amount needs a conversion,
    // which is the engine's (chargeback-rules 4.1), not a guess here.
    let units: Vec<&str> = if computed {
        [
            wac_uit.map(|(_, u)| u.unit.code.code()),
            contract_uit.map(|(_, u)| u.unit.code.code()),
            claimed_qty
                .and_then(|(_, q)| q.unit.as_ref())
                .map(|u| u.code.code()),
        ]
        .into_iter()
        .flatten()
        .collect()
    } else {
        Vec::new()
    };
    let one_unit = units.windows(2).all(|w| w[0] == w[1]);
    let missing = match claimed_amount {
        Some(_) => None,
        None if !computed => Some((
            "dialect.claimed_amount",
            "AMT",
            format!(
                "no AMT with AMT01 {}; found {}",
                d.claimed_amount,
                seen(l.amounts.iter().map(|a| a.qualifier.code()))
            ),
        )),
        None if !one_unit => Some((
            "dialect.compute_claimed_amount",
            "AMT",
            format!(
                "no AMT with AMT01 {} to claim, and its prices and quantity are in different units ({}): no amount is computed across units",
                d.claimed_amount,
                units.join(", ")
            ),
        )),
        None if wac.is_none() => Some((
            "dialect.compute_claimed_amount",
            "UIT",
            format!(
                "no AMT with AMT01 {} to claim, and no UIT with basis {} to compute it from",
                d.claimed_amount,
                either(&d.reference_price_basis)
            ),
        )),
        None => None,
    };
    if let Some((key, id, reason)) = missing {
        ctx.missing_segment(pad, line, "claimed amount", Some(key), id, reason);
    }
    // A line marked a return, by its QTY01 (QTY*76) or a transfer type the profile calls
    // one (PAD*4*RV), claims it by sign: quantity and amount both negative, once.
    let qty01 = claimed_qty.map(|(_, q)| q.qualifier.code());
    let marked_return = d.marks_return(qty01, l.line.transfer_type.as_ref().map(|t| t.code()));
    let (quantity, claimed_amount) = if marked_return {
        (
            quantity.map(super::as_return),
            claimed_amount.map(super::as_return),
        )
    } else {
        (quantity, claimed_amount)
    };
    let claimed_amount = match (claimed_amount, computed) {
        (None, true) if one_unit => wac
            .zip(contract_price)
            .zip(quantity)
            .map(|((wac, cp), q)| computed_amount(&ctx.money, wac - cp, q)),
        (sent, _) => sent,
    };
    let invoice = invoice_ref(ctx, &l.refs, pad, line);
    if marked_return || quantity.is_some_and(|v| v < rust_decimal::Decimal::ZERO) {
        note_return_without_original(ctx, &l.refs, pad, line);
    }
    let invoice_date = one_date(ctx, &l.dates, &d.invoice_date, pad, line, "invoice date");
    let ship_date = one_date(ctx, &l.dates, &d.ship_date, pad, line, "ship date");
    eligibility_date(ctx, &l.dates, invoice_date, ship_date, pad, line);

    Some(ClaimLine {
        line: line_id.unwrap_or_default(),
        transfer_type: l.line.transfer_type.as_ref().map(|t| t.code().to_owned()),
        contract_id: String::new(),
        contract_refs: Vec::new(),
        end_customer: Party::default(),
        class_of_trade: class_of_trade(d, &l.refs).map(str::to_owned),
        item: item?,
        quantity: quantity.unwrap_or_default(),
        uom: uom.unwrap_or_default(),
        wac,
        reference_price_basis,
        contract_price: contract_price.unwrap_or_default(),
        claimed_amount: claimed_amount.unwrap_or_default(),
        invoice: invoice.unwrap_or_default().to_owned(),
        invoice_date,
        ship_date,
        original_invoice: ref_by(&l.refs, &d.original_invoice_ref).map(str::to_owned),
    })
}

/// The claimed quantity (QTY02 of the QTY with a listed QTY01) and its unit (QTY03 via
/// `uom_map`, or the unit of the line's contract price when QTY03 is empty).
pub(crate) fn quantity_and_uom(
    ctx: &mut Ctx<'_>,
    quantities: &[x12::sets::common::Qty],
    fallback_unit: Option<&str>,
    path: Path,
    line: Option<&str>,
) -> (Option<rust_decimal::Decimal>, Option<String>) {
    let d = ctx.dialect;
    let Some((k, qty)) = quantity_by(quantities, &d.quantity_qualifier) else {
        ctx.missing_segment(
            path,
            line,
            "quantity",
            Some("dialect.quantity_qualifier"),
            "QTY",
            format!(
                "no QTY with QTY01 {}; found {}",
                either(&d.quantity_qualifier),
                seen(quantities.iter().map(|q| q.qualifier.code()))
            ),
        );
        return (None, None);
    };
    if qty.quantity.is_none() {
        ctx.missing_element(
            path.then("QTY", k),
            line,
            "quantity",
            None,
            (2, "380"),
            "QTY02 is empty".to_owned(),
        );
    }
    let unit = qty
        .unit
        .as_ref()
        .map(|u| u.code.code())
        .or(fallback_unit)
        .map(|u| our_uom(d, u));
    if unit.is_none() {
        ctx.missing_element(
            path.then("QTY", k),
            line,
            "unit of measure",
            Some("dialect.uom_map"),
            (3, "355"),
            "QTY03 is empty and no price states a unit".to_owned(),
        );
    }
    (qty.quantity, unit)
}

/// Checks that the date the profile prices on is there.
pub(crate) fn eligibility_date(
    ctx: &mut Ctx<'_>,
    dates: &[x12::sets::common::Dtm],
    invoice_date: Option<chrono::NaiveDate>,
    ship_date: Option<chrono::NaiveDate>,
    path: Path,
    line: Option<&str>,
) {
    let d = ctx.dialect;
    let (found, basis) = match d.eligibility_date {
        DateBasis::Invoice => (invoice_date, "invoice"),
        DateBasis::Ship => (ship_date, "ship"),
    };
    // A range in its place is refused as such already.
    if found.is_none() && !is_range(dates, d.eligibility_date_qualifier()) {
        ctx.missing_segment(
            path,
            line,
            "eligibility date",
            Some("dialect.eligibility_date"),
            "DTM",
            format!(
                "no DTM with DTM01 {} (the {basis} date); found {}",
                d.eligibility_date_qualifier(),
                seen(dates.iter().map(|x| x.qualifier.code()))
            ),
        );
    }
}

/// A claimed amount the partner leaves for us to compute: `unit` (WAC − contract price)
/// × `quantity`, rounded to `[money] scale` by its rule, the unit first with
/// `round_unit_then_extend` (chargeback-rules 4.1, as the engine computes its own).
fn computed_amount(
    money: &crate::profile::Money,
    unit: rust_decimal::Decimal,
    quantity: rust_decimal::Decimal,
) -> rust_decimal::Decimal {
    let unit = match money.rounding_order {
        crate::profile::RoundingOrder::ExtendThenRound => unit,
        crate::profile::RoundingOrder::RoundUnitThenExtend => money.round(unit),
    };
    money.round(unit.saturating_mul(quantity))
}
