//! 867 to [`SalesReport`]: BPT the report, `DTM*090`/`091` its period, heading N1 loops the
//! distributor and supplier, and one line per QTY loop with the transfer type, contract and end
//! customer of its PTD loop.
//!
//! The contract of a line is the first of the profile's contract locations the transfer
//! fills: PTD05 (with PTD04 = `CT`) or a REF (PTD level, then the line's own), per
//! `dialect.contract_ref` and `contract_ref_alternates`; a transfer with none is an
//! off-contract sale. The end customer is the PTD-level N1 with an `end_customer_entity`.
//! Per line: QTY01 must be in `quantity_qualifier`, the unit via `uom_map`, the sell price
//! from the UIT without a basis or on a `contract_price_basis`, the amount from
//! `AMT*<claimed_amount>`, the invoice from `REF*<invoice_ref>`, a return's original invoice
//! from `REF*<original_invoice_ref>`, and the eligibility date must be there; a line without
//! its own invoice REF or dates takes its PTD loop's (a transfer sent as one invoice). A line marked a
//! return (QTY01 in `return_quantity_qualifiers`, `76` by default, or PTD01 in
//! `return_transfer_types`) reads its quantity and amount negative, once: `QTY*76*1` and
//! `QTY*76*-1` are both a return of one. With
//! `lenient_867_line_order = false` a line that starts with LIN is out of sequence.

use std::sync::Arc;

use rust_decimal::Decimal;
use schemas::{SalesLine, SalesReport, Source, Text};
use x12::sets::Ts867;
use x12::sets::common::{Dtm, Ref, Uit};
use x12::sets::ts867::{Ptd, PtdLoop, QtyLoop};
use x12::stream::RawSet;

use super::claim::eligibility_date;
use super::item::take_required_item;
use super::party::{find_entity, heading_party, take_customer};
use super::{
    ContractPlaces, Ctx, LineLabel, MapErrorKind, Path, action, amount_by, class_of_trade,
    contract_id, count_u32, either, invoice_ref, line_units, listed, note_return_without_original,
    one_date, period_by, ref_by, refuse_scaled_units, seen, take_party_class, take_ref,
};

/// An 867 as a sales report. The lines' invoice numbers and product ids and the transfers'
/// end customers are taken out of `set` rather than copied.
pub(crate) fn map(ctx: &mut Ctx<'_>, set: &mut Ts867, source: &Source) -> SalesReport {
    let d = ctx.dialect;
    let bpt = &set.report;
    let action = action(ctx, bpt.purpose.code(), "BPT");
    if bpt.report_number.is_none() {
        ctx.missing_element(
            Path::HEADING,
            None,
            "report id",
            None,
            (2, "127"),
            "BPT02 is empty".to_owned(),
        );
    }
    // A range (DTM05 `RD8`) on either DTM is the whole period.
    let (start, end) = period_by(&set.dates, "090", "091");
    let period = |ctx: &mut Ctx<'_>, v: Option<chrono::NaiveDate>, q: &str, field| {
        if v.is_none() {
            ctx.missing_segment(
                Path::HEADING,
                None,
                field,
                None,
                "DTM",
                format!(
                    "no heading DTM*{q}; found {}",
                    seen(set.dates.iter().map(|x| x.qualifier.code()))
                ),
            );
        }
        v.unwrap_or_default()
    };
    let period_start = period(ctx, start, "090", "period start");
    let period_end = period(ctx, end, "091", "period end");
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

    let mut lines = Vec::with_capacity(set.transfers.iter().map(|t| t.lines.len()).sum());
    let mut qty = 0usize;
    let mut lin = 0usize;
    for (t, ptd) in set.transfers.iter_mut().enumerate() {
        let ptd_path = Path::at("PTD", t);
        let mut end_customer = transfer_customer(ctx, ptd, ptd_path);
        let customer_class = end_customer
            .as_mut()
            .and_then(|c| take_party_class(d, c))
            .map(Text::from);
        let first = lines.len();
        let transfer = Transfer {
            ptd: &ptd.transfer,
            refs: &ptd.refs,
            dates: &ptd.dates,
            path: ptd_path,
        };
        for l in &mut ptd.lines {
            let line = map_line(ctx, &transfer, l, qty, lin);
            qty += 1;
            lin += usize::from(l.product.is_some());
            lines.extend(line);
        }
        // Every line of the transfer shares its end customer, and its class of trade when the
        // line states none of its own.
        if let Some(customer) = end_customer.map(Arc::new) {
            for line in &mut lines[first..] {
                line.end_customer = Some(Arc::clone(&customer));
            }
        }
        if let Some(class) = customer_class {
            for line in &mut lines[first..] {
                if line.class_of_trade.is_none() {
                    line.class_of_trade = Some(class.clone());
                }
            }
        }
    }
    let (line_count, quantity_total) = match &set.summary {
        Some(s) => (
            Some(count_u32(
                ctx,
                s.totals.line_count,
                Path::at("CTT", 0),
                "line count",
            )),
            s.totals.hash_total,
        ),
        None => (None, None),
    };

    SalesReport {
        currency: set.currency.as_ref().map(|c| c.currency.clone()),
        source: source.clone(),
        action,
        report_id: bpt.report_number.clone().unwrap_or_default(),
        date: bpt.report_date,
        report_type: bpt.report_type.as_ref().map(|r| r.code().to_owned()),
        period_start,
        period_end,
        distributor: distributor.unwrap_or_default(),
        supplier: supplier.unwrap_or_default(),
        lines,
        line_count,
        quantity_total,
    }
}

/// The end customer of a transfer, when it names one, its text taken out of the N1 loop.
fn transfer_customer(
    ctx: &mut Ctx<'_>,
    ptd: &mut PtdLoop,
    ptd_path: Path,
) -> Option<schemas::Party> {
    let d = ctx.dialect;
    if ctx.wants_notes() {
        for (j, p) in ptd.parties.iter().enumerate() {
            let e = p.party.entity.code();
            if !d.end_customer_entity.iter().any(|x| x == e) {
                let want = listed(&d.end_customer_entity);
                ctx.note(ptd_path.then("N1", j), None, || {
                    format!("N1*{e} not mapped: not in dialect.end_customer_entity {want}")
                });
            }
        }
    }
    let (j, _) = find_entity(&ptd.parties, &d.end_customer_entity)?;
    let l = ptd.parties.get_mut(j)?;
    take_customer(ctx, l, ptd_path.then("N1", j), None, "end customer")
}

/// The sell price: the UIT without a basis, else one on a `contract_price_basis`.
fn sell_price<'u>(prices: &'u [Uit], contract_bases: &[String]) -> Option<(usize, &'u Uit)> {
    prices
        .iter()
        .enumerate()
        .find(|(_, p)| p.basis.is_none())
        .or_else(|| super::price_by_basis(prices, contract_bases))
}

/// What a line needs of its PTD loop (borrowed apart from the loop's lines, which mapping
/// takes text out of).
struct Transfer<'t> {
    ptd: &'t Ptd,
    refs: &'t [Ref],
    /// The PTD loop's DTMs: a line's dates when its QTY loop has none of its own.
    dates: &'t [Dtm],
    /// Where the PTD loop is, for findings at its DTMs.
    path: Path,
}

impl Transfer<'_> {
    /// The REFs a line's REF `q` is looked for in: the transfer's when only they have one,
    /// else the line's own (`own`), which a finding then lists as what was found.
    fn refs_for<'a>(&'a self, own: &'a [Ref], q: &str) -> &'a [Ref] {
        if ref_by(own, q).is_none() && ref_by(self.refs, q).is_some() {
            self.refs
        } else {
            own
        }
    }
}

/// One QTY loop (`qty` is its index in the set, `lin` the index of its LIN among the set's);
/// its invoice number and product id are taken out of it.
fn map_line(
    ctx: &mut Ctx<'_>,
    transfer: &Transfer<'_>,
    l: &mut QtyLoop,
    qty: usize,
    lin: usize,
) -> Option<SalesLine> {
    let d = ctx.dialect;
    let qty_path = Path::at("QTY", qty);
    let number = u32::try_from(qty + 1).unwrap_or(u32::MAX);
    let label = LineLabel::new(number);
    let line = Some(label.as_str());

    let contract = contract_id(
        d,
        &ContractPlaces {
            refs: transfer.refs,
            more_refs: &l.refs,
            ptd05: transfer.ptd.contract_number(),
            ..ContractPlaces::default()
        },
    )
    .map(Text::from);
    let item = take_required_item(
        ctx,
        l.product.as_mut(),
        qty_path,
        Path::at("LIN", lin),
        line,
    );

    // The QTY is the loop's own first segment: its unit is at the loop's path.
    let qty03 = l.quantity.unit.as_ref().map(|u| (qty_path, 3, u));
    refuse_scaled_units(
        ctx,
        line_units(&l.unit_prices, &[], qty_path).chain(qty03),
        line,
    );
    let q = &l.quantity;
    let q01 = q.qualifier.code();
    if !d.quantity_qualifier.iter().any(|x| x == q01) {
        ctx.invalid_code(
            qty_path,
            line,
            "quantity",
            Some("dialect.quantity_qualifier"),
            (1, "673"),
            q01,
            format!("QTY01 '{q01}' not in {}", listed(&d.quantity_qualifier)),
        );
    }
    // A return: a returns quantity (QTY*76), or a transfer the profile calls one (PTD*RV).
    // Its quantity and amount both read negative, once.
    let marked_return = d.marks_return(Some(q01), Some(transfer.ptd.transfer_type.code()));
    let quantity = match q.quantity {
        Some(v) if marked_return => Some(super::as_return(v)),
        Some(v) => Some(v),
        None => {
            ctx.missing_element(
                qty_path,
                line,
                "quantity",
                None,
                (2, "380"),
                "QTY02 is empty".to_owned(),
            );
            None
        }
    };
    let price = sell_price(&l.unit_prices, &d.contract_price_basis);
    if price.is_none() {
        ctx.missing_segment(
            qty_path,
            line,
            "unit price",
            Some("dialect.contract_price_basis"),
            "UIT",
            format!(
                "no UIT without a basis or with basis {}; found {}",
                either(&d.contract_price_basis),
                seen(
                    l.unit_prices
                        .iter()
                        .map(|u| u.basis.as_ref().map_or("(none)", |b| b.code()))
                )
            ),
        );
    }
    let unit_price = match price {
        Some((_, u)) if u.unit_price.is_some() => u.unit_price,
        Some((k, _)) => {
            ctx.missing_element(
                qty_path.then("UIT", k),
                line,
                "unit price",
                None,
                (2, "212"),
                "UIT02 is empty".to_owned(),
            );
            None
        }
        None => None,
    };
    if ctx.wants_notes() {
        for (k, u) in l.unit_prices.iter().enumerate() {
            if price.is_some_and(|(i, _)| i == k) {
                continue;
            }
            let b = u.basis.as_ref().map_or("(none)", |b| b.code()).to_owned();
            ctx.note(qty_path.then("UIT", k), line, || {
                format!("UIT03 '{b}' not mapped: a sales line keeps only the sell price")
            });
        }
    }
    let uom = q
        .unit
        .as_ref()
        .map(|u| u.code.code())
        .or(price.map(|(_, u)| u.unit.code.code()))
        .map(|u| Text::from(d.uom(u)));
    if uom.is_none() {
        ctx.missing_element(
            qty_path,
            line,
            "unit of measure",
            Some("dialect.uom_map"),
            (3, "355"),
            "QTY03 is empty and no price states a unit".to_owned(),
        );
    }
    // A transfer (PTD loop) is often one invoice to one customer: its REF*IV and DTM*003
    // are then sent once, at PTD level, for all its lines, where a line's own override them.
    // Reported missing here (neither has it); taken out of the line below.
    invoice_ref(
        ctx,
        transfer.refs_for(&l.refs, &d.invoice_ref),
        qty_path,
        line,
    );
    let is_return = marked_return || quantity.is_some_and(|v| v < Decimal::ZERO);
    if is_return {
        let refs = transfer.refs_for(&l.refs, &d.original_invoice_ref);
        note_return_without_original(ctx, refs, qty_path, line);
    }
    // Each date from the line's own DTM, else from its transfer's (at the PTD loop's DTM).
    let place = |q: &str| {
        if l.dates.iter().any(|x| x.qualifier.code() == q) {
            (&l.dates[..], qty_path)
        } else {
            (transfer.dates, transfer.path)
        }
    };
    let (dates, at) = place(&d.invoice_date);
    let invoice_date = one_date(ctx, dates, &d.invoice_date, at, line, "invoice date");
    let (dates, at) = place(&d.ship_date);
    let ship_date = one_date(ctx, dates, &d.ship_date, at, line, "ship date");
    let dates = if l.dates.is_empty() {
        transfer.dates
    } else {
        &l.dates
    };
    eligibility_date(ctx, dates, invoice_date, ship_date, qty_path, line);

    Some(SalesLine {
        line: number,
        transfer_type: transfer.ptd.transfer_type.code().into(),
        contract_id: contract,
        end_customer: None,
        class_of_trade: class_of_trade(d, &l.refs).map(Text::from),
        item: item?,
        quantity: quantity.unwrap_or_default(),
        uom: uom.unwrap_or_default(),
        unit_price: unit_price.unwrap_or_default(),
        amount: amount_by(&l.amounts, &d.claimed_amount).map(|a| {
            if marked_return {
                super::as_return(a)
            } else {
                a
            }
        }),
        invoice: take_ref(&mut l.refs, &d.invoice_ref)
            .or_else(|| ref_by(transfer.refs, &d.invoice_ref).map(Text::from))
            .unwrap_or_default(),
        original_invoice: take_ref(&mut l.refs, &d.original_invoice_ref)
            .or_else(|| ref_by(transfer.refs, &d.original_invoice_ref).map(Text::from)),
        invoice_date,
        ship_date,
    })
}

/// With `lenient_867_line_order = false`, a line that starts with LIN (LIN directly followed
/// by QTY) is out of sequence.
pub(crate) fn check_line_order(ctx: &mut Ctx<'_>, raw: &RawSet) {
    let (mut lins, mut qtys) = (0usize, 0usize);
    let mut prev_lin = false;
    for id in raw.ids() {
        match id {
            b"QTY" => {
                if prev_lin {
                    let line = (qtys + 1).to_string();
                    ctx.error(
                        Path::at("LIN", lins - 1),
                        Some(&line),
                        "item",
                        Some("dialect.lenient_867_line_order"),
                        MapErrorKind::OutOfSequence,
                        "LIN before QTY: a line must start with QTY".to_owned(),
                    );
                }
                qtys += 1;
                prev_lin = false;
            }
            b"LIN" => {
                lins += 1;
                prev_lin = true;
            }
            _ => prev_lin = false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x12::sets::common::{PriceBasis, Unit, UnitCode};

    fn uit(price: i64, basis: Option<PriceBasis>) -> Uit {
        Uit {
            unit: Unit::from(UnitCode::Case),
            unit_price: Some(Decimal::new(price, 2)),
            basis,
        }
    }

    #[test]
    fn sell_price_prefers_the_uit_without_a_basis_then_the_contract_basis() {
        let ct = ["CT".to_owned()];
        let both = [
            uit(5200, Some(PriceBasis::Catalog)),
            uit(3840, Some(PriceBasis::Contract)),
        ];
        assert_eq!(sell_price(&both, &ct).map(|(i, _)| i), Some(1));
        let plain = [uit(5200, Some(PriceBasis::Catalog)), uit(1250, None)];
        assert_eq!(sell_price(&plain, &ct).map(|(i, _)| i), Some(1));
        assert!(sell_price(&[uit(1, Some(PriceBasis::Catalog))], &ct).is_none());
    }
}
