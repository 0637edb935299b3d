//! [`SalesReport`] to an 867: BPT, `DTM*090`/`091`, the distributor and supplier N1 loops,
//! one PTD loop per run of lines with the same transfer type, contract and end customer (the
//! contract in PTD04/05 or a PTD-level REF, whichever of the profile's contract locations an
//! 867 has first), and per line QTY first (a return under the profile's returns qualifier,
//! `QTY*76`, with its quantity and amount unsigned, when `quantity_qualifier` lists one;
//! otherwise signed under the first qualifier that marks no return), LIN, the sell price UIT
//! (no basis), the line AMT, the invoice REF, a return's original invoice REF and the dates;
//! CTT when the report states its counts.

use schemas::{SalesLine, SalesReport};
use x12::sets::Ts867;
use x12::sets::common::{Ctt, Cur, EntityCode, Purpose, RefQualifier, ReportType, TransferType};
use x12::sets::ts867::{Bpt, CttLoop, Lines, Ptd, PtdLoop, QtyLoop};

use rust_decimal::Decimal;

use super::{
    RenderError, amt, dtm, first, lin, missing, n1_loop, need, need_party, qty, reference,
    sale_quantity_qualifier, uit,
};
use crate::profile::{ContractRef, Dialect, Profile};

const DOC: &str = "sales_report";

pub(crate) fn render(s: &SalesReport, profile: &Profile) -> Result<Ts867, RenderError> {
    let d = &profile.dialect;
    need(&s.report_id, DOC, None, "report id")?;
    need_party(&s.distributor, DOC, None, "distributor")?;
    need_party(&s.supplier, DOC, None, "supplier")?;
    let parties = vec![
        n1_loop(
            first(
                &d.distributor_entity,
                DOC,
                None,
                "distributor",
                "distributor_entity",
            )?,
            &s.distributor,
        ),
        n1_loop(
            first(&d.supplier_entity, DOC, None, "supplier", "supplier_entity")?,
            &s.supplier,
        ),
    ];
    let place = contract_place(d);
    let mut transfers: Vec<PtdLoop> = Vec::new();
    let mut previous: Option<&SalesLine> = None;
    for l in &s.lines {
        let same = previous.is_some_and(|p| {
            p.transfer_type == l.transfer_type
                && p.contract_id == l.contract_id
                && p.end_customer == l.end_customer
        });
        if !same {
            transfers.push(ptd_loop(l, place, profile)?);
        }
        let line = qty_loop(l, profile)?;
        if let Some(t) = transfers.last_mut() {
            t.lines.push(line);
        }
        previous = Some(l);
    }
    if transfers.is_empty() {
        return Err(missing(
            DOC,
            None,
            "lines",
            "an 867 needs at least one line",
        ));
    }
    let summary = s.line_count.map(|n| CttLoop {
        totals: Ctt::new(u64::from(n), s.quantity_total),
        amounts: Vec::new(),
        other: Vec::new(),
    });
    Ok(Ts867 {
        report: Bpt {
            purpose: Purpose::from_code(s.action.code()),
            report_number: Some(s.report_id.clone()),
            report_date: s.date,
            report_type: s.report_type.as_deref().map(ReportType::from_code),
            multiplier_qualifier: None,
            multiplier: None,
            action: None,
            time: None,
            reference: None,
            security_level: None,
        },
        currency: s.currency.as_ref().map(|cur| Cur {
            entity: EntityCode::Buyer,
            currency: cur.clone(),
            exchange_rate: None,
            remaining: Vec::new(),
        }),
        dates: vec![dtm("090", s.period_start), dtm("091", s.period_end)],
        refs: Vec::new(),
        contacts: Vec::new(),
        parties,
        transfers,
        summary,
        other: Vec::new(),
    })
}

/// Where an 867 of this partner carries the contract: the first of its contract locations an
/// 867 has (PTD05 or a REF), PTD05 when it lists neither.
fn contract_place(d: &Dialect) -> ContractRef {
    d.contract_refs()
        .find(|r| matches!(r, ContractRef::Ptd05) || r.ref_qualifier().is_some())
        .unwrap_or(ContractRef::Ptd05)
}

fn ptd_loop(l: &SalesLine, place: ContractRef, profile: &Profile) -> Result<PtdLoop, RenderError> {
    let d = &profile.dialect;
    let line = l.line.to_string();
    let line = Some(line.as_str());
    need(&l.transfer_type, DOC, line, "transfer type")?;
    let contract = l.contract_id.as_deref().filter(|c| !c.is_empty());
    let mut refs = Vec::new();
    let (reference_qualifier, ptd05) = match (contract, place.ref_qualifier()) {
        (Some(c), Some(q)) => {
            refs.push(reference(q, c));
            (None, None)
        }
        (Some(c), None) => (Some(RefQualifier::Contract), Some(c.to_owned())),
        (None, _) => (None, None),
    };
    let mut parties = Vec::new();
    if let Some(p) = &l.end_customer {
        need_party(p, DOC, line, "end customer")?;
        let e = first(
            &d.end_customer_entity,
            DOC,
            line,
            "end customer",
            "end_customer_entity",
        )?;
        parties.push(n1_loop(e, p));
    }
    Ok(PtdLoop {
        transfer: Ptd {
            transfer_type: TransferType::from_code(&l.transfer_type),
            multiplier_qualifier: None,
            multiplier: None,
            reference_qualifier,
            reference: ptd05,
            movement: None,
        },
        dates: Vec::new(),
        refs,
        contacts: Vec::new(),
        parties,
        lines: Vec::new(),
        other: Vec::new(),
    })
}

fn qty_loop(l: &SalesLine, profile: &Profile) -> Result<QtyLoop, RenderError> {
    let d = &profile.dialect;
    let label = l.line.to_string();
    let line = Some(label.as_str());
    need(&l.uom, DOC, line, "unit of measure")?;
    need(&l.invoice, DOC, line, "invoice")?;
    // A return goes under the partner's returns qualifier when it reads one, its quantity
    // and amount unsigned (the qualifier says "returned", and reading turns both back);
    // otherwise under the first qualifier that marks no return, signed.
    let returns = d
        .quantity_qualifier
        .iter()
        .find(|q| d.is_return_quantity(q))
        .filter(|_| l.quantity < Decimal::ZERO);
    let (quantity, amount) = match returns {
        Some(q) => (qty(q, -l.quantity, Some(&l.uom)), l.amount.map(|a| a.abs())),
        None => {
            let q = sale_quantity_qualifier(d, DOC, line)?;
            (qty(q, l.quantity, Some(&l.uom)), l.amount)
        }
    };
    let mut refs = Lines::from_buf([reference(&d.invoice_ref, &l.invoice)]);
    if let Some(oi) = &l.original_invoice {
        refs.push(reference(&d.original_invoice_ref, oi));
    }
    // Written where the partner states it; a partner with no such REF gets none.
    if let (Some(class), Some(q)) = (&l.class_of_trade, &d.class_of_trade_ref) {
        refs.push(reference(q, class));
    }
    let mut dates = Lines::new();
    if let Some(date) = l.invoice_date {
        dates.push(dtm(&d.invoice_date, date));
    }
    if let Some(date) = l.ship_date {
        dates.push(dtm(&d.ship_date, date));
    }
    Ok(QtyLoop {
        quantity,
        product: Some(lin(&l.item, None)),
        unit_prices: Lines::from_buf([uit(&l.uom, l.unit_price, "")]),
        amounts: amount
            .map(|a| amt(&d.claimed_amount, a))
            .into_iter()
            .collect(),
        descriptions: Vec::new(),
        refs,
        contacts: Vec::new(),
        dates,
        currency: None,
        other: Vec::new(),
    })
}
