//! [`ClaimResponse`] to an 849: BRC with the debit memo answered (`DB`), the credit memo as
//! heading `REF*CM`, a heading AAA for a whole-claim reason, the parties, one CON loop per run
//! of lines with the same contract and end customer, and per line PAD, LIN, an AAA when the
//! line is not accepted as claimed (`AAA*N**<reason>*<follow-up>`), the WAC, approved and
//! submitted contract price UITs, claimed and approved QTY, claimed and approved AMT, REF and
//! DTM echoes; a CON loop with its AAAs and no PAD loop per contract-level answer; CTT and the
//! claimed and approved totals.

use schemas::{ClaimResponse, ClaimResponseLine, ContractAnswer, LineStatus, Party};
use x12::sets::Ts849;
use x12::sets::common::{
    Aaa, Con, ContractStatus, Ctt, FollowUpAction, Pad, Purpose, RefQualifier, RejectReason, YesNo,
};
use x12::sets::ts849::{Brc, ConLoop, PadLoop};

use super::{
    RenderError, amt, dtm, first, lin, missing, n1_loop, need, need_party, qty, reference, uit,
};
use crate::profile::Profile;

const DOC: &str = "claim_response";

pub(crate) fn render(r: &ClaimResponse, profile: &Profile) -> Result<Ts849, RenderError> {
    let d = &profile.dialect;
    need(&r.debit_memo, DOC, None, "debit memo")?;
    let mut validations = Vec::new();
    if r.reason_code.is_some() || r.follow_up.is_some() || !r.more_reasons.is_empty() {
        validations.push(aaa(false, r.reason_code.as_deref(), r.follow_up));
    }
    for m in &r.more_reasons {
        validations.push(aaa(false, m.reason_code.as_deref(), m.follow_up));
    }
    let mut refs = Vec::new();
    if let Some(cm) = &r.credit_memo {
        refs.push(reference("CM", cm));
    }
    let mut parties = Vec::new();
    if let Some(p) = &r.distributor {
        need_party(p, DOC, None, "distributor")?;
        let e = first(
            &d.distributor_entity,
            DOC,
            None,
            "distributor",
            "distributor_entity",
        )?;
        parties.push(n1_loop(e, p));
    }
    if let Some(p) = &r.supplier {
        need_party(p, DOC, None, "supplier")?;
        let e = first(&d.supplier_entity, DOC, None, "supplier", "supplier_entity")?;
        parties.push(n1_loop(e, p));
    }
    let mut contracts: Vec<ConLoop> = Vec::new();
    let mut previous: Option<&ClaimResponseLine> = None;
    for l in &r.lines {
        let same = previous
            .is_some_and(|p| p.contract_id == l.contract_id && p.end_customer == l.end_customer);
        if !same {
            contracts.push(con_loop(
                l.contract_id.as_deref(),
                l.end_customer.as_ref(),
                Some(l.line.as_str()),
                profile,
            )?);
        }
        let pad = pad_loop(l, profile)?;
        if let Some(con) = contracts.last_mut() {
            con.lines.push(pad);
        }
        previous = Some(l);
    }
    // Contract-level answers: a CON loop each, with its AAAs and no PAD loop.
    for c in &r.contracts {
        contracts.push(contract_answer_loop(c, profile)?);
    }
    let line_count = r.line_count.map_or(r.lines.len() as u64, u64::from);
    Ok(Ts849 {
        response: Brc {
            purpose: Purpose::from_code(r.action.code()),
            date: r.date,
            reference_qualifier: Some(RefQualifier::DebitMemo),
            debit_memo_number: Some(r.debit_memo.clone()),
            time: None,
        },
        currency: None,
        validations,
        notes: Vec::new(),
        refs,
        contacts: Vec::new(),
        dates: Vec::new(),
        parties,
        contracts,
        totals: Ctt::new(line_count, None),
        total_amounts: vec![
            amt(&d.total_claimed, r.total_claimed),
            amt(&d.total_approved, r.total_approved),
        ],
        other: Vec::new(),
    })
}

fn aaa(valid: bool, reason: Option<&str>, follow_up: Option<schemas::FollowUp>) -> Aaa {
    Aaa {
        valid: if valid { YesNo::Yes } else { YesNo::No },
        agency: None,
        reject_reason: reason.map(RejectReason::from_code),
        follow_up: follow_up.map(|f| FollowUpAction::from_code(f.code())),
    }
}

/// A contract answer as a CON loop with no PAD loop: `AAA*Y` when accepted, `AAA*N` with its
/// reason and follow-up when rejected, then an AAA per further reason. The AAA is written even
/// for an accepted contract with no reason, so that the decision is explicit.
fn contract_answer_loop(c: &ContractAnswer, profile: &Profile) -> Result<ConLoop, RenderError> {
    let accepted = match c.status {
        LineStatus::Accepted => true,
        LineStatus::Rejected => false,
        LineStatus::Adjusted => {
            return Err(missing(
                DOC,
                None,
                "contract answer amounts",
                "a CON loop with no PAD loop carries no amounts: a contract answer is accepted or rejected, not adjusted",
            ));
        }
    };
    let mut con = con_loop(
        Some(c.contract_id.as_str()),
        c.end_customer.as_ref(),
        None,
        profile,
    )?;
    con.validations
        .push(aaa(accepted, c.reason_code.as_deref(), c.follow_up));
    for m in &c.more_reasons {
        con.validations
            .push(aaa(false, m.reason_code.as_deref(), m.follow_up));
    }
    Ok(con)
}

fn con_loop(
    contract: Option<&str>,
    end_customer: Option<&Party>,
    line: Option<&str>,
    profile: &Profile,
) -> Result<ConLoop, RenderError> {
    let d = &profile.dialect;
    let Some(contract) = contract.filter(|c| !c.is_empty()) else {
        return Err(missing(
            DOC,
            line,
            "contract id",
            "849 lines sit in CON loops, which need the contract",
        ));
    };
    let mut refs = Vec::new();
    if let Some(q) = d.contract_ref.ref_qualifier() {
        refs.push(reference(q, contract));
    }
    let mut parties = Vec::new();
    if let Some(p) = end_customer {
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
    Ok(ConLoop {
        contract: Con {
            qualifier: RefQualifier::Contract,
            contract_number: contract.to_owned(),
            status: ContractStatus::ValidOpen,
        },
        validations: Vec::new(),
        refs,
        contacts: Vec::new(),
        dates: Vec::new(),
        parties,
        lines: Vec::new(),
        other: Vec::new(),
    })
}

fn pad_loop(l: &ClaimResponseLine, profile: &Profile) -> Result<PadLoop, RenderError> {
    let d = &profile.dialect;
    let line = Some(l.line.as_str());
    need(&l.line, DOC, None, "line id")?;
    need(&l.invoice, DOC, line, "invoice")?;
    let mut validations = Vec::new();
    if l.status != LineStatus::Accepted
        || l.reason_code.is_some()
        || l.follow_up.is_some()
        || !l.more_reasons.is_empty()
    {
        validations.push(aaa(
            l.status == LineStatus::Accepted,
            l.reason_code.as_deref(),
            l.follow_up,
        ));
    }
    // The line's further reasons, each its own AAA after the first.
    for r in &l.more_reasons {
        validations.push(aaa(false, r.reason_code.as_deref(), r.follow_up));
    }
    let prices = [
        (
            l.wac,
            &d.reference_price_basis,
            "wac",
            "reference_price_basis",
        ),
        (
            l.approved_contract_price,
            &d.contract_price_basis,
            "approved contract price",
            "contract_price_basis",
        ),
        (
            l.submitted_contract_price,
            &d.submitted_price_basis,
            "submitted contract price",
            "submitted_price_basis",
        ),
    ];
    let mut unit_prices = Vec::new();
    for (price, bases, field, key) in prices {
        let Some(price) = price else { continue };
        let Some(uom) = l.uom.as_deref() else {
            return Err(missing(
                DOC,
                line,
                "unit of measure",
                "a price needs its unit",
            ));
        };
        unit_prices.push(uit(uom, price, first(bases, DOC, line, field, key)?));
    }
    let mut quantities = Vec::new();
    if let Some(q) = l.quantity {
        let code = first(
            &d.quantity_qualifier,
            DOC,
            line,
            "quantity",
            "quantity_qualifier",
        )?;
        quantities.push(qty(code, q, l.uom.as_deref()));
    }
    if let Some(q) = l.approved_quantity {
        quantities.push(qty("QA", q, l.uom.as_deref()));
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
            transfer_type: None,
            change: None,
            multiplier_qualifier: None,
            multiplier: None,
        },
        product: Some(lin(&l.item, None)),
        validations,
        descriptions: Vec::new(),
        unit_prices,
        quantities,
        amounts: vec![
            amt(&d.claimed_amount, l.claimed_amount),
            amt(&d.approved_amount, l.approved_amount),
        ],
        refs: vec![reference(&d.invoice_ref, &l.invoice)],
        dates,
        currency: None,
        other: Vec::new(),
    })
}
