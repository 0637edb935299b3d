//! [`Claim`] to an 844: BAA (or a heading `REF*DB`, per `dialect.claim_ref`), the distributor
//! and supplier N1 loops, one CON loop per run of lines with the same contract, agreement
//! references and end customer, and per line PAD, LIN, the reference price and contract price
//! UITs, QTY, the claimed AMT, the invoice REFs and the dates; CTT and the total AMT.

use schemas::{Claim, ClaimLine};
use x12::sets::Ts844;
use x12::sets::common::{
    Con, ContractStatus, Ctt, Cur, EntityCode, Pad, Purpose, RefQualifier, TransactionType,
    TransferType,
};
use x12::sets::ts844::{Baa, ConLoop, PadLoop};

use super::{
    RenderError, amt, dtm, first, lin, missing, n1_loop, need, need_party, qty, reference,
    sale_quantity_qualifier, uit,
};
use crate::profile::{ClaimRef, Profile};

const DOC: &str = "claim";

pub(crate) fn render(c: &Claim, profile: &Profile) -> Result<Ts844, RenderError> {
    let d = &profile.dialect;
    need(&c.debit_memo, DOC, None, "debit memo")?;
    need_party(&c.distributor, DOC, None, "distributor")?;
    need_party(&c.supplier, DOC, None, "supplier")?;
    let by_baa = d.claim_ref == ClaimRef::Baa05;
    let claim = Baa {
        purpose: Purpose::from_code(c.action.code()),
        transaction_type: TransactionType::from_code(
            c.transaction_type.as_deref().unwrap_or(&d.baa02),
        ),
        date: c.date,
        reference_qualifier: by_baa.then_some(RefQualifier::DebitMemo),
        debit_memo_number: by_baa.then(|| c.debit_memo.clone()),
        time: None,
    };
    let refs = if by_baa {
        Vec::new()
    } else {
        vec![reference("DB", &c.debit_memo)]
    };
    let parties = vec![
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
        n1_loop(
            first(&d.supplier_entity, DOC, None, "supplier", "supplier_entity")?,
            &c.supplier,
        ),
    ];
    let mut contracts: Vec<ConLoop> = Vec::new();
    let mut previous: Option<&ClaimLine> = None;
    for l in &c.lines {
        let same = previous.is_some_and(|p| {
            p.contract_id == l.contract_id
                && p.contract_refs == l.contract_refs
                && p.end_customer == l.end_customer
        });
        if !same {
            contracts.push(con_loop(l, profile)?);
        }
        let pad = pad_loop(l, profile)?;
        if let Some(con) = contracts.last_mut() {
            con.lines.push(pad);
        }
        previous = Some(l);
    }
    if contracts.is_empty() {
        return Err(missing(
            DOC,
            None,
            "lines",
            "an 844 needs at least one line",
        ));
    }
    let line_count = u64::from(c.line_count);
    Ok(Ts844 {
        claim,
        currency: c.currency.as_ref().map(|cur| Cur {
            entity: EntityCode::Buyer,
            currency: cur.clone(),
            exchange_rate: None,
            remaining: Vec::new(),
        }),
        notes: Vec::new(),
        refs,
        contacts: Vec::new(),
        dates: Vec::new(),
        parties,
        contracts,
        totals: Ctt::new(line_count, c.quantity_total),
        total_amounts: vec![amt(&d.total_claimed, c.total_claimed)],
        other: Vec::new(),
    })
}

/// The CON loop opened by a line: contract, its references, the end customer.
fn con_loop(l: &ClaimLine, profile: &Profile) -> Result<ConLoop, RenderError> {
    let d = &profile.dialect;
    let line = Some(l.line.as_str());
    need(&l.contract_id, DOC, line, "contract id")?;
    need_party(&l.end_customer, DOC, line, "end customer")?;
    let mut refs = Vec::new();
    if let Some(q) = d.contract_ref.ref_qualifier() {
        refs.push(reference(q, &l.contract_id));
    }
    refs.extend(l.contract_refs.iter().map(|r| {
        let mut x = reference(&r.qualifier, &r.id);
        x.description = r.description.clone();
        x
    }));
    let entity = first(
        &d.end_customer_entity,
        DOC,
        line,
        "end customer",
        "end_customer_entity",
    )?;
    Ok(ConLoop {
        contract: Con {
            qualifier: RefQualifier::Contract,
            contract_number: l.contract_id.clone(),
            status: ContractStatus::ValidOpen,
        },
        refs,
        contacts: Vec::new(),
        dates: Vec::new(),
        parties: vec![n1_loop(entity, &l.end_customer)],
        lines: Vec::new(),
        other: Vec::new(),
    })
}

fn pad_loop(l: &ClaimLine, profile: &Profile) -> Result<PadLoop, RenderError> {
    let d = &profile.dialect;
    let line = Some(l.line.as_str());
    need(&l.line, DOC, None, "line id")?;
    need(&l.uom, DOC, line, "unit of measure")?;
    need(&l.invoice, DOC, line, "invoice")?;
    let mut unit_prices = Vec::new();
    if let Some(wac) = l.wac {
        let basis = match &l.reference_price_basis {
            Some(b) => b.as_str(),
            None => first(
                &d.reference_price_basis,
                DOC,
                line,
                "reference price",
                "reference_price_basis",
            )?,
        };
        unit_prices.push(uit(&l.uom, wac, basis));
    }
    let ct = first(
        &d.contract_price_basis,
        DOC,
        line,
        "contract price",
        "contract_price_basis",
    )?;
    unit_prices.push(uit(&l.uom, l.contract_price, ct));
    let q = sale_quantity_qualifier(d, DOC, line)?;
    let mut refs = vec![reference(&d.invoice_ref, &l.invoice)];
    if let Some(oi) = &l.original_invoice {
        refs.push(reference(&d.original_invoice_ref, oi));
    }
    // Written where the partner states it; a partner with no such REF gets none.
    if let (Some(class), Some(q)) = (&l.class_of_trade, &d.class_of_trade_ref) {
        refs.push(reference(q, class));
    }
    let mut dates = Vec::new();
    if let Some(date) = l.invoice_date {
        dates.push(dtm(&d.invoice_date, date));
    }
    if let Some(date) = l.ship_date {
        dates.push(dtm(&d.ship_date, date));
    }
    Ok(PadLoop {
        line: Pad {
            line_id: Some(l.line.clone()),
            transfer_type: l.transfer_type.as_deref().map(TransferType::from_code),
            change: None,
            multiplier_qualifier: None,
            multiplier: None,
        },
        product: Some(lin(&l.item, None)),
        descriptions: Vec::new(),
        unit_prices,
        quantities: vec![qty(q, l.quantity, Some(&l.uom))],
        amounts: vec![amt(&d.claimed_amount, l.claimed_amount)],
        refs,
        dates,
        currency: None,
        other: Vec::new(),
    })
}
