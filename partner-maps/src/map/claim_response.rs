//! 849 to [`ClaimResponse`]: BRC03/04 (`DB`) is the debit memo answered, heading `REF*CM` the
//! credit memo, each PAD loop a line decision, and each CON loop with no PAD loop a decision
//! for its whole contract ([`ContractAnswer`]).
//!
//! The 849 has no status element (x12-chargeback.md §6.1). With `dialect.status_rule =
//! "amounts"` a line is `accepted` when the approved amount equals the claimed one, `rejected`
//! when it is zero and `adjusted` otherwise; with `"aaa01"` no AAA or `AAA*Y` is accepted and
//! `AAA*N` is rejected or adjusted by the approved amount. AAA03/AAA04 give the reason and
//! follow-up either way. Claimed and approved amounts come from `AMT*<claimed_amount>` and
//! `AMT*<approved_amount>`, totals from `AMT*<total_claimed>` and `AMT*<total_approved>`;
//! a line with `AAA*N` and its whole quantity disapproved (`QTY*QC`) and no approved AMT is
//! approved nothing.

use rust_decimal::Decimal;
use schemas::{
    ClaimResponse, ClaimResponseLine, ContractAnswer, FollowUp, LineStatus, Party, ResponseReason,
    Source,
};
use x12::sets::Ts849;
use x12::sets::common::{Aaa, YesNo};
use x12::sets::ts849::{ConLoop, PadLoop};

use super::claim::quantity_and_uom;
use super::item::required_item;
use super::party::{customer, find_entity, optional_heading_party};
use super::{
    ContractPlaces, Ctx, Path, action, amount_by, contract_id, contract_places, count_u32,
    invoice_ref, line_units, note_unused_prices, one_date, pad_line_id, price_by_basis,
    quantity_by, ref_by, refuse_scaled_units, seen,
};
use crate::profile::StatusRule;

pub(crate) fn map(ctx: &mut Ctx<'_>, set: &Ts849, source: &Source) -> ClaimResponse {
    let d = ctx.dialect;
    let brc = &set.response;
    let action = action(ctx, brc.purpose.code(), "BRC");
    let debit_memo = match (&brc.reference_qualifier, &brc.debit_memo_number) {
        (Some(q), Some(memo)) if q.code() == "DB" => Some(memo.clone()),
        _ => ref_by(&set.refs, "DB").map(str::to_owned),
    };
    if debit_memo.is_none() {
        ctx.missing_element(
            Path::HEADING,
            None,
            "debit memo",
            Some("dialect.claim_ref"),
            (4, "127"),
            "neither BRC03/BRC04 with DB nor a heading REF*DB is sent".to_owned(),
        );
    }
    let (reason_code, follow_up) = match set.validations.first() {
        Some(aaa) => reason(ctx, aaa, Path::at("AAA", 0), None),
        None => (None, None),
    };
    // Several reasons for the whole claim: the first decides, the others are kept.
    let more_reasons = more_reasons(ctx, &set.validations, |k| Path::at("AAA", k), None);
    let supplier = optional_heading_party(ctx, &set.parties, &d.supplier_entity, "supplier");
    let distributor =
        optional_heading_party(ctx, &set.parties, &d.distributor_entity, "distributor");

    let mut lines = Vec::new();
    let mut contracts = Vec::new();
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
        )
        .map(str::to_owned);
        let end_customer = echoed_customer(ctx, con, con_path);
        // A contract-level AAA decides for the lines under it that carry none of their own
        // (x12-chargeback.md §6: AAA at claim, contract or line level).
        let contract_aaa = Validations {
            aaas: &con.validations,
            at: con_path,
        };
        if con.lines.is_empty() {
            // A CON loop with no PAD loop answers its contract as a whole.
            if let Some(answer) = contract_answer(ctx, contract, end_customer, contract_aaa) {
                contracts.push(answer);
            }
            continue;
        }
        for l in &con.lines {
            if let Some(mut line) = map_line(ctx, l, Path::at("PAD", pad), contract_aaa) {
                line.contract_id = contract.clone();
                line.end_customer = end_customer.clone();
                lines.push(line);
            }
            pad += 1;
        }
    }

    let ctt = Path::at("CTT", 0);
    let total = |ctx: &mut Ctx<'_>, code: &str, field, key| {
        let v = amount_by(&set.total_amounts, code);
        if v.is_none() {
            ctx.missing_segment(
                ctt,
                None,
                field,
                Some(key),
                "AMT",
                format!(
                    "no summary AMT with AMT01 {code}; found {}",
                    seen(set.total_amounts.iter().map(|a| a.qualifier.code()))
                ),
            );
        }
        v.unwrap_or_default()
    };
    let total_claimed = total(
        ctx,
        &d.total_claimed,
        "total claimed",
        "dialect.total_claimed",
    );
    let total_approved = total(
        ctx,
        &d.total_approved,
        "total approved",
        "dialect.total_approved",
    );
    let line_count = count_u32(ctx, set.totals.line_count, ctt, "line count");

    ClaimResponse {
        source: source.clone(),
        action,
        debit_memo: debit_memo.unwrap_or_default(),
        credit_memo: ref_by(&set.refs, "CM").map(str::to_owned),
        date: brc.date,
        supplier,
        distributor,
        reason_code,
        follow_up,
        more_reasons,
        lines,
        contracts,
        total_claimed,
        total_approved,
        line_count: Some(line_count),
    }
}

/// A CON loop with no PAD loop: its AAA decides for every claimed line of the contract that
/// no PAD loop answers (x12-chargeback.md §6: AAA at claim, contract or line level). A CON has
/// no amounts, so the status comes from AAA01 alone, whatever `dialect.status_rule`: no AAA or
/// `AAA*Y` is `accepted`, any other AAA01 `rejected`. A CON loop with neither PAD loops nor an
/// AAA is read as accepted with no reason, as a line with no AAA is (§6.1), and noted: the
/// summary totals still have to add up for the claim to settle, so a stray empty CON loop
/// cannot pay a contract silently. A contract answer with no contract id is a located error.
fn contract_answer(
    ctx: &mut Ctx<'_>,
    contract: Option<String>,
    end_customer: Option<Party>,
    aaas: Validations<'_>,
) -> Option<ContractAnswer> {
    let Some(contract_id) = contract else {
        let places = contract_places(ctx.dialect);
        ctx.missing_segment(
            aaas.at,
            None,
            "contract id",
            Some("dialect.contract_ref"),
            "REF",
            format!("none of {places} is sent in this CON loop"),
        );
        return None;
    };
    let aaa = aaas.aaas.first();
    if aaa.is_none() {
        ctx.note(aaas.at, None, || {
            format!(
                "CON loop for contract {contract_id} has no PAD loop and no AAA: its lines are read as accepted as claimed"
            )
        });
    }
    let status = if aaa.is_none_or(|a| a.valid == YesNo::Yes) {
        LineStatus::Accepted
    } else {
        LineStatus::Rejected
    };
    let (reason_code, follow_up) = match aaa {
        Some(a) => reason(ctx, a, aaas.at.then("AAA", 0), None),
        None => (None, None),
    };
    let more_reasons = more_reasons(ctx, aaas.aaas, |k| aaas.at.then("AAA", k), None);
    Some(ContractAnswer {
        contract_id,
        end_customer,
        status,
        reason_code,
        follow_up,
        more_reasons,
    })
}

/// The end customer echoed in a CON loop, when there is one.
fn echoed_customer(ctx: &mut Ctx<'_>, con: &ConLoop, con_path: Path) -> Option<Party> {
    let (j, l) = find_entity(&con.parties, &ctx.dialect.end_customer_entity)?;
    customer(ctx, l, con_path.then("N1", j), None, "end customer")
}

/// The AAAs after the first, each at its path, as reasons kept beside the one that decides.
fn more_reasons(
    ctx: &mut Ctx<'_>,
    validations: &[Aaa],
    at: impl Fn(usize) -> Path,
    line: Option<&str>,
) -> Vec<ResponseReason> {
    validations
        .iter()
        .enumerate()
        .skip(1)
        .map(|(k, a)| {
            let (reason_code, follow_up) = reason(ctx, a, at(k), line);
            ResponseReason {
                reason_code,
                follow_up,
            }
        })
        .collect()
}

/// AAA03 and AAA04 as reason code and follow-up.
fn reason(
    ctx: &mut Ctx<'_>,
    aaa: &Aaa,
    path: Path,
    line: Option<&str>,
) -> (Option<String>, Option<FollowUp>) {
    let code = aaa.reject_reason.as_ref().map(|r| r.code().to_owned());
    let follow_up = match &aaa.follow_up {
        Some(f) => match FollowUp::from_code(f.code()) {
            Some(f) => Some(f),
            None => {
                let v = f.code().to_owned();
                ctx.invalid_code(
                    path,
                    line,
                    "follow-up",
                    None,
                    (4, "889"),
                    &v,
                    format!("AAA04 '{v}' is not a follow-up action code"),
                );
                None
            }
        },
        None => None,
    };
    (code, follow_up)
}

/// AAAs and the loop they sit in (their paths are `at` then `AAA`, k).
#[derive(Clone, Copy)]
struct Validations<'a> {
    aaas: &'a [Aaa],
    at: Path,
}

fn map_line(
    ctx: &mut Ctx<'_>,
    l: &PadLoop,
    pad: Path,
    contract_aaa: Validations<'_>,
) -> Option<ClaimResponseLine> {
    let d = ctx.dialect;
    let line_id = pad_line_id(ctx, &l.line, pad);
    let line = line_id.as_deref();
    // LIN comes right after PAD in an 849 loop.
    let item = required_item(ctx, l.product.as_ref(), pad, pad.then("LIN", 0), line);
    refuse_scaled_units(ctx, line_units(&l.unit_prices, &l.quantities, pad), line);
    let invoice = invoice_ref(ctx, &l.refs, pad, line);
    let price =
        |bases: &[String]| price_by_basis(&l.unit_prices, bases).and_then(|(_, u)| u.unit_price);
    let wac = price(&d.reference_price_basis);
    let approved_contract_price = price(&d.contract_price_basis);
    let submitted_contract_price = price(&d.submitted_price_basis);
    note_unused_prices(
        ctx,
        &l.unit_prices,
        pad,
        line,
        &[
            ("reference_price_basis", &d.reference_price_basis),
            ("contract_price_basis", &d.contract_price_basis),
            ("submitted_price_basis", &d.submitted_price_basis),
        ],
    );
    // The claimed quantity is optional in a response: without a listed QTY the unit comes
    // from any QTY or UIT that states one.
    let fallback = l.unit_prices.first().map(|u| u.unit.code.code());
    let (quantity, uom) = match quantity_by(&l.quantities, &d.quantity_qualifier) {
        Some(_) => quantity_and_uom(ctx, &l.quantities, fallback, pad, line),
        None => {
            let unit = l
                .quantities
                .iter()
                .find_map(|q| q.unit.as_ref().map(|u| u.code.code()))
                .or(fallback)
                .map(|u| d.uom(u).to_owned());
            (None, unit)
        }
    };
    let approved_quantity =
        quantity_by(&l.quantities, &["QA".to_owned()]).and_then(|(_, q)| q.quantity);

    let claimed_amount = amount_by(&l.amounts, &d.claimed_amount);
    if claimed_amount.is_none() {
        ctx.missing_segment(
            pad,
            line,
            "claimed amount",
            Some("dialect.claimed_amount"),
            "AMT",
            format!(
                "no AMT with AMT01 {}; found {}",
                d.claimed_amount,
                seen(l.amounts.iter().map(|a| a.qualifier.code()))
            ),
        );
    }
    // The line's own AAAs decide; without any, its contract's do.
    let validations = if l.validations.is_empty() {
        contract_aaa
    } else {
        Validations {
            aaas: &l.validations,
            at: pad,
        }
    };
    let aaa = validations.aaas.first();
    let valid = aaa.is_none_or(|a| a.valid == YesNo::Yes);
    // QTY*QC: the quantity disapproved.
    let disapproved = quantity_by(&l.quantities, &["QC".to_owned()]).and_then(|(_, q)| q.quantity);
    let approved_amount = match amount_by(&l.amounts, &d.approved_amount) {
        Some(a) => Some(a),
        // An accepted line under the AAA01 rule is approved as claimed (§6.1).
        None if d.status_rule == StatusRule::Aaa01 && valid => claimed_amount,
        // A line rejected (AAA*N) with its whole quantity disapproved is approved nothing:
        // §6.1 "rejected: approved 0 or QTY*QC = the full qty".
        None if !valid && disapproved.is_some() && disapproved == quantity => Some(Decimal::ZERO),
        None => {
            ctx.missing_segment(
                pad,
                line,
                "approved amount",
                Some("dialect.approved_amount"),
                "AMT",
                format!(
                    "no AMT with AMT01 {}; found {}",
                    d.approved_amount,
                    seen(l.amounts.iter().map(|a| a.qualifier.code()))
                ),
            );
            None
        }
    };
    let status = match (claimed_amount, approved_amount) {
        (Some(c), Some(a)) => status(d.status_rule, valid, c, a),
        _ => LineStatus::Rejected,
    };
    let (reason_code, follow_up) = match aaa {
        Some(a) => reason(ctx, a, validations.at.then("AAA", 0), line),
        None => (None, None),
    };
    // A partner may give a line several reasons; the first decides, the others are kept.
    let more_reasons = more_reasons(
        ctx,
        validations.aaas,
        |k| validations.at.then("AAA", k),
        line,
    );
    let invoice_date = one_date(ctx, &l.dates, &d.invoice_date, pad, line, "invoice date");
    let ship_date = one_date(ctx, &l.dates, &d.ship_date, pad, line, "ship date");
    if ctx.wants_notes() && invoice_date.is_none() && ship_date.is_none() {
        eligibility_note(ctx, pad, line);
    }
    Some(ClaimResponseLine {
        line: line_id.unwrap_or_default(),
        contract_id: None,
        end_customer: None,
        item: item?,
        invoice: invoice.unwrap_or_default().to_owned(),
        invoice_date,
        ship_date,
        status,
        reason_code,
        follow_up,
        more_reasons,
        quantity,
        approved_quantity,
        uom,
        wac,
        submitted_contract_price,
        approved_contract_price,
        claimed_amount: claimed_amount.unwrap_or_default(),
        approved_amount: approved_amount.unwrap_or_default(),
    })
}

fn eligibility_note(ctx: &mut Ctx<'_>, pad: Path, line: Option<&str>) {
    let (inv, ship) = (
        ctx.dialect.invoice_date.clone(),
        ctx.dialect.ship_date.clone(),
    );
    ctx.note(pad, line, || {
        format!("no DTM*{inv} or DTM*{ship} echoed; matching to the 844 line falls back to line id and invoice")
    });
}

/// A line's status per `dialect.status_rule` (x12-chargeback.md §6.1).
pub fn status(
    rule: StatusRule,
    aaa_valid: bool,
    claimed: Decimal,
    approved: Decimal,
) -> LineStatus {
    match rule {
        StatusRule::Amounts if approved == claimed => LineStatus::Accepted,
        StatusRule::Amounts if approved.is_zero() => LineStatus::Rejected,
        StatusRule::Amounts => LineStatus::Adjusted,
        StatusRule::Aaa01 if aaa_valid => LineStatus::Accepted,
        StatusRule::Aaa01 if approved.is_zero() => LineStatus::Rejected,
        StatusRule::Aaa01 => LineStatus::Adjusted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn amounts_rule_derives_status_from_approved_versus_claimed() {
        let s = |c, a| status(StatusRule::Amounts, false, dec(c), dec(a));
        assert_eq!(s("62.50", "62.50"), LineStatus::Accepted);
        assert_eq!(s("120.00", "100.50"), LineStatus::Adjusted);
        assert_eq!(s("6.00", "0.00"), LineStatus::Rejected);
        assert_eq!(
            s("6.00", "6"),
            LineStatus::Accepted,
            "scale does not matter"
        );
    }

    #[test]
    fn aaa01_rule_trusts_aaa01_and_splits_not_valid_by_amount() {
        let s = |v, c, a| status(StatusRule::Aaa01, v, dec(c), dec(a));
        assert_eq!(s(true, "10", "8"), LineStatus::Accepted);
        assert_eq!(s(false, "10", "0"), LineStatus::Rejected);
        assert_eq!(s(false, "10", "8"), LineStatus::Adjusted);
    }
}
