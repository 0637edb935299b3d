//! 849 reconciliation as claimant (§7, x12-chargeback §6.2): match the response to its claim
//! and lines, record each line's outcome, check the totals, split the unpaid part into an
//! automatic child claim and route every unpaid amount (§7.4). Responses whose claim is not
//! found are kept as unmatched, never dropped (§7.6).

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemas::{ClaimResponse, ClaimResponseLine, FollowUp, LineStatus as ResponseStatus};
use serde::{Deserialize, Serialize};

use crate::audit::{Actor, AuditEvent, Entity, status_name};
use crate::batch::LineStatus;
use crate::claims::{ClaimError, ClaimLineRecord, ClaimRecord, ClaimStatus, LineOutcome, WriteOff};
use crate::contracts::ContractBook;
use crate::duplicates::LineHistory;
use crate::identity::{PartyKey, normalize_id};
use crate::rules::{BatchContext, Pipeline};
use crate::settings::{EngineSettings, Role};

/// What to do with an unpaid amount (§7.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "route")]
pub enum Route {
    /// Write off: automatic (`BELOW_THRESHOLD`) or with approval.
    Accept {
        /// At or below `writeoff_threshold`: written off without approval.
        automatic: bool,
        /// Their price differs from our contract copy and theirs wins: raise a contract-sync alert.
        contract_sync_alert: bool,
    },
    /// Correct and resubmit (§7.5).
    Resubmit,
    /// Open a dispute case (§6.4), citing our contract version.
    Dispute {
        /// Our contract version.
        version: Option<u32>,
        /// The 845 interchange control number of that version.
        control_number: Option<String>,
    },
    /// A late contract or roster change made the line eligible: retro (§5.3).
    Retro,
}

/// The result for one claim line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineReconciliation {
    /// PAD01 of the claim line.
    pub line: String,
    /// Outcome.
    pub outcome: LineOutcome,
    /// Claimed − approved.
    pub unpaid: Decimal,
    /// Route of the unpaid part, when there is one.
    pub route: Option<Route>,
}

/// An 849 (or some of its lines) that matched nothing: kept and alerted (§7.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmatchedResponse {
    /// The response.
    pub response: ClaimResponse,
    /// Lines that matched nothing (all of them when the claim was not found).
    pub lines: Vec<String>,
    /// Why.
    pub reason: String,
}

/// What reconciling one 849 did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    /// Per matched claim line.
    pub lines: Vec<LineReconciliation>,
    /// Parked response lines.
    pub unmatched: Option<UnmatchedResponse>,
    /// Σ line approved = header approved and header claimed = ours (§7.1 step 4).
    pub consistent: bool,
    /// The automatic split child holding the unpaid part (§7.4, §8.4).
    pub split: Option<ClaimRecord>,
    /// The response was already applied: nothing changed.
    pub already_applied: bool,
    /// Audit events.
    pub events: Vec<AuditEvent>,
}

/// Why a response could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    /// A claim transition failed.
    #[error(transparent)]
    Claim(#[from] ClaimError),
    /// Response lines answer more quantity than the claim line had.
    #[error("response lines for claim line {0} exceed its quantity")]
    QuantityExceeded(String),
}

/// What reconciliation reads: our contract copy (for routing) and settings.
pub struct ReconcileContext<'a> {
    /// Our contracts.
    pub book: &'a ContractBook,
    /// The relationship's settings.
    pub settings: &'a EngineSettings,
    /// Today.
    pub today: NaiveDate,
    /// Sender id (ISA/GS) for idempotence.
    pub sender: &'a str,
    /// Interchange control number for idempotence.
    pub interchange: &'a str,
}

/// Keeps an 849 whose claim was not found (§7.6).
pub fn unmatched(response: &ClaimResponse) -> UnmatchedResponse {
    UnmatchedResponse {
        response: response.clone(),
        lines: response.lines.iter().map(|l| l.line.clone()).collect(),
        reason: format!("no claim with debit memo {}", response.debit_memo),
    }
}

/// The outcome (§7.2) of a claim line claimed at `claimed` that 849 line `line` answers,
/// approving `approved`.
pub(crate) fn outcome_of(
    line: &ClaimResponseLine,
    claimed: Decimal,
    approved: Decimal,
) -> LineOutcome {
    if matches!(
        line.follow_up,
        Some(
            FollowUp::DoNotResubmitHeld
                | FollowUp::Wait30Days
                | FollowUp::Wait10Days
                | FollowUp::DoNotResubmitInquiry
        )
    ) {
        return LineOutcome::Pending;
    }
    if approved > claimed {
        LineOutcome::Overpaid
    } else if approved == claimed {
        LineOutcome::Paid
    } else if approved.is_zero() || line.status == ResponseStatus::Rejected {
        LineOutcome::Rejected
    } else {
        LineOutcome::Adjusted
    }
}

/// Fallback key: item, invoice, invoice date, quantity.
fn same_sale(
    claim_line: &crate::claims::ClaimLineRecord,
    response_line: &ClaimResponseLine,
) -> bool {
    normalize_id(&claim_line.sale.item.id) == normalize_id(&response_line.item.id)
        && claim_line.sale.invoice == response_line.invoice
        && (response_line.invoice_date.is_none()
            || response_line.invoice_date == claim_line.sale.invoice_date)
        && response_line
            .contract_id
            .as_deref()
            .is_none_or(|c| normalize_id(c) == normalize_id(&claim_line.contract_id))
}

/// A claim's lines by PAD01 and by the fallback key's item and invoice, each in line order: an
/// 849 answers every line of a claim, and searching the lines for each answer was quadratic
/// (an 85 K-line claim spent 60 % of its reconciliation comparing strings).
struct LineIndex<'a> {
    by_line: HashMap<&'a str, Vec<usize>>,
    by_sale: HashMap<(String, &'a str), Vec<usize>>,
}

impl<'a> LineIndex<'a> {
    fn of(lines: &'a [ClaimLineRecord]) -> Self {
        let mut index = Self {
            by_line: HashMap::with_capacity(lines.len()),
            by_sale: HashMap::with_capacity(lines.len()),
        };
        for (i, l) in lines.iter().enumerate() {
            index.by_line.entry(l.line.as_str()).or_default().push(i);
            index
                .by_sale
                .entry((normalize_id(&l.sale.item.id), l.sale.invoice.as_str()))
                .or_default()
                .push(i);
        }
        index
    }

    /// The first line the response line answers: by PAD01 echoed with the same sale, else the
    /// first with the same sale ([`same_sale`] needs the item and invoice the index keys).
    fn find(&self, lines: &[ClaimLineRecord], answer: &ClaimResponseLine) -> Option<usize> {
        let first = |candidates: Option<&Vec<usize>>| {
            candidates?
                .iter()
                .copied()
                .find(|&i| same_sale(&lines[i], answer))
        };
        first(self.by_line.get(answer.line.as_str())).or_else(|| {
            first(
                self.by_sale
                    .get(&(normalize_id(&answer.item.id), answer.invoice.as_str())),
            )
        })
    }
}

/// Reconciles an 849 against its claim (matched by debit memo beforehand).
pub fn reconcile(
    claim: &mut ClaimRecord,
    response: &ClaimResponse,
    ctx: &ReconcileContext<'_>,
    split_number: String,
) -> Result<Reconciliation, ReconcileError> {
    let key = (ctx.sender.to_owned(), ctx.interchange.to_owned());
    if claim.responses.contains(&key) {
        return Ok(Reconciliation {
            lines: vec![],
            unmatched: None,
            consistent: !claim.inconsistent,
            split: None,
            already_applied: true,
            events: vec![],
        });
    }
    // Match response lines: PAD01 echoed, else the fallback key; several may answer one line.
    let mut answers: Vec<Vec<&ClaimResponseLine>> = vec![Vec::new(); claim.lines.len()];
    let mut parked = Vec::new();
    let index = LineIndex::of(&claim.lines);
    for response_line in &response.lines {
        match index.find(&claim.lines, response_line) {
            Some(i) => answers[i].push(response_line),
            None => parked.push(response_line.line.clone()),
        }
    }
    for (i, lines) in answers.iter().enumerate() {
        let quantity: Decimal = lines.iter().filter_map(|l| l.quantity).sum();
        if lines.len() > 1 && quantity > claim.lines[i].claimed_quantity {
            return Err(ReconcileError::QuantityExceeded(
                claim.lines[i].line.clone(),
            ));
        }
    }
    let mut events = Vec::new();
    let mut results = Vec::new();
    for (i, lines) in answers.iter().enumerate() {
        if lines.is_empty() {
            continue;
        }
        let approved: Decimal = lines.iter().map(|l| l.approved_amount).sum();
        let first = lines[0];
        let line = &mut claim.lines[i];
        let outcome = outcome_of(first, line.claimed_amount, approved);
        let before = line.outcome;
        line.approved_amount = Some(approved);
        line.approved_quantity = first.approved_quantity;
        line.approved_contract_price = first.approved_contract_price;
        line.reason_code = first.reason_code.clone();
        line.follow_up = first.follow_up;
        line.outcome = Some(outcome);
        events.push(AuditEvent {
            entity: Entity::ClaimLine,
            id: format!("{}/{}", claim.number, line.line),
            from: before.map(|o| status_name(&o)),
            to: status_name(&outcome),
            event: "849 line outcome".to_owned(),
            actor: Actor::Partner(ctx.sender.to_owned()),
            reason: first.reason_code.clone(),
            comment: None,
            correlation_id: Some(ctx.interchange.to_owned()),
            date: ctx.today,
            before: None,
            after: Some(serde_json::json!({ "approved_amount": approved })),
        });
        let unpaid = line.claimed_amount - approved;
        let route = (unpaid > Decimal::ZERO && outcome != LineOutcome::Pending)
            .then(|| route(claim, i, unpaid, ctx));
        results.push(LineReconciliation {
            line: claim.lines[i].line.clone(),
            outcome,
            unpaid,
            route,
        });
    }
    let line_total: Decimal = response.lines.iter().map(|l| l.approved_amount).sum();
    let consistent = line_total == response.total_approved
        && response.total_claimed == claim.amount
        && parked.is_empty();
    claim.inconsistent = !consistent;
    claim.responses.push(key);
    claim.dates.response = Some(ctx.today);

    let final_outcomes = claim.lines.iter().all(ClaimLineRecord::answered);
    let mut split = None;
    if final_outcomes
        && consistent
        && matches!(claim.status, ClaimStatus::Sent | ClaimStatus::Acknowledged)
    {
        events.push(claim.responded(ctx.sender, ctx.today)?);
        let unpaid: Decimal = claim.lines.iter().map(ClaimLineRecord::unpaid).sum();
        if unpaid > Decimal::ZERO {
            // §7.4: when every unpaid amount routes to Accept at or below
            // `writeoff_threshold`, the child is written off at once (BELOW_THRESHOLD);
            // otherwise it stays Open for the analyst (write off with approval, resubmit or
            // dispute).
            let below_threshold = claim.lines.iter().enumerate().all(|(i, l)| {
                let unpaid = l.unpaid();
                unpaid.is_zero()
                    || matches!(
                        route(claim, i, unpaid, ctx),
                        Route::Accept {
                            automatic: true,
                            ..
                        }
                    )
            });
            let (mut child, event) = claim.split(
                unpaid,
                split_number,
                Some(claim.number.clone()),
                true,
                ctx.today,
            )?;
            events.push(event);
            if below_threshold {
                events.push(child.write_off(
                    &WriteOff::BelowThreshold,
                    &Actor::System,
                    ctx.today,
                )?);
            }
            split = Some(child);
        }
    }
    let unmatched = (!parked.is_empty()).then(|| UnmatchedResponse {
        response: response.clone(),
        lines: parked,
        reason: "response lines match no claim line".to_owned(),
    });
    Ok(Reconciliation {
        lines: results,
        unmatched,
        consistent,
        split,
        already_applied: false,
        events,
    })
}

const PRICE_REASONS: [&str; 3] = ["06", "07", "31"];
const ELIGIBILITY_REASONS: [&str; 4] = ["02", "03", "19", "26"];
const DATA_REASONS: [&str; 5] = ["14", "15", "27", "32", "33"];

/// Default routing of §7.4, first match wins.
fn route(claim: &ClaimRecord, i: usize, unpaid: Decimal, ctx: &ReconcileContext<'_>) -> Route {
    let line = &claim.lines[i];
    let reason = line.reason_code.as_deref().unwrap_or("");
    let write_off = Route::Accept {
        automatic: unpaid <= ctx.settings.writeoff_threshold,
        contract_sync_alert: false,
    };
    let ours = our_validation(claim, i, ctx);
    // 1. Price reasons: compare their price with our contract version.
    if PRICE_REASONS.contains(&reason) {
        let our_price = ours
            .as_ref()
            .and_then(|(v, _)| v.pricing.as_ref().map(|p| p.contract_price_per_sale_unit()));
        return match (our_price, line.approved_contract_price) {
            (Some(ours_price), Some(theirs)) if ours_price == theirs => write_off,
            (Some(_), Some(_)) => {
                let (version, control_number) = ours
                    .as_ref()
                    .and_then(|(v, control)| {
                        v.pricing
                            .as_ref()
                            .map(|p| (Some(p.version), control.clone()))
                    })
                    .unwrap_or((None, None));
                Route::Dispute {
                    version,
                    control_number,
                }
            }
            _ => Route::Accept {
                automatic: unpaid <= ctx.settings.writeoff_threshold,
                contract_sync_alert: true,
            },
        };
    }
    let eligible_now = ours
        .as_ref()
        .is_some_and(|(v, _)| v.status == LineStatus::Accepted);
    // 2. Eligibility reasons, and a later contract or roster change made the line eligible.
    if ELIGIBILITY_REASONS.contains(&reason) && eligible_now {
        return Route::Retro;
    }
    // 3. Correctable follow-ups or data reasons: resubmit once corrected.
    let correctable = matches!(
        line.follow_up,
        Some(
            FollowUp::CorrectAndResubmit
                | FollowUp::ResubmitClaim
                | FollowUp::ResubmitItem
                | FollowUp::ResubmitOriginal
                | FollowUp::ResubmissionAllowed
        )
    );
    if correctable || DATA_REASONS.contains(&reason) {
        return Route::Resubmit;
    }
    // 4. Otherwise dispute when our own rules say the line is valid, else accept.
    if eligible_now {
        let (version, control_number) = ours
            .as_ref()
            .and_then(|(v, control)| {
                v.pricing
                    .as_ref()
                    .map(|p| (Some(p.version), control.clone()))
            })
            .unwrap_or((None, None));
        return Route::Dispute {
            version,
            control_number,
        };
    }
    write_off
}

/// The line validated against our book now (V2–V10), with the control number of the 845 behind
/// the contract version used.
fn our_validation(
    claim: &ClaimRecord,
    i: usize,
    ctx: &ReconcileContext<'_>,
) -> Option<(crate::rules::Validation, Option<String>)> {
    let line = &claim.lines[i];
    let batch = BatchContext {
        batch: format!("reconcile:{}", claim.number),
        role: Role::Claimant,
        distributor: PartyKey::of(&claim.distributor),
        supplier: PartyKey::of(&claim.supplier),
        claim_date: claim.date,
    };
    let history = LineHistory::new();
    let settings = EngineSettings {
        derive_contract: Some(false),
        ..ctx.settings.clone()
    };
    let mut pipeline = Pipeline::new(ctx.book, &settings, &batch, ctx.today, &history, None);
    pipeline.skip_duplicate_check();
    let mut sale = line.sale.clone();
    sale.claimed_contract_price = None;
    sale.claimed_reference_price = None;
    sale.claimed_amount = None;
    let v = pipeline.validate(&sale);
    let control = v.pricing.as_ref().and_then(|p| {
        let mut scratch = String::new();
        let idx =
            ctx.book
                .find_contract(&PartyKey::of(&claim.supplier).id, &p.contract, &mut scratch)?;
        let lineage = ctx.book.lineage(idx)?;
        lineage
            .versions
            .get(p.version as usize - 1)
            .map(|ver| ver.source.interchange.to_string())
    });
    Some((v, control))
}

/// Recovery rate: Σ settled ÷ Σ claimed (§10), as a percentage rounded to 2 decimals.
pub fn recovery_rate(settled: Decimal, claimed: Decimal) -> Option<Decimal> {
    if claimed.is_zero() {
        return None;
    }
    let rate = settled
        .checked_mul(Decimal::ONE_HUNDRED)?
        .checked_div(claimed)?;
    Some(rate.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::{ClaimDates, ClaimLineRecord, ClaimSource, SettlementMethod};
    use crate::rules::tests::{date, sample_claim, sample_contract};
    use crate::sale::SaleLine;
    use schemas::Document;

    fn response() -> ClaimResponse {
        match serde_json::from_str(include_str!(
            "../../../schemas/compat/claim_response.v1.json"
        )) {
            Ok(Document::ClaimResponse(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    fn book() -> ContractBook {
        let mut book = ContractBook::new();
        let _ = book.apply(&sample_contract());
        book
    }

    /// The sample 844 as a sent claim.
    fn sent() -> ClaimRecord {
        let claim = sample_claim();
        ClaimRecord {
            number: claim.debit_memo.clone(),
            role: Role::Claimant,
            status: ClaimStatus::Sent,
            source: ClaimSource::Batch,
            date: claim.date,
            dates: ClaimDates::default(),
            amount: claim.total_claimed,
            currency: "USD".into(),
            distributor: claim.distributor.clone(),
            supplier: claim.supplier.clone(),
            batch: None,
            parent: None,
            children: vec![],
            automatic: false,
            source_claim_number: None,
            claim_type: None,
            reason: None,
            settlement_method: SettlementMethod::CreditMemoOnAccount,
            instruments: vec![],
            lines: claim
                .lines
                .iter()
                .map(|l| {
                    ClaimLineRecord::unanswered(
                        l.line.clone(),
                        None,
                        SaleLine::from(l),
                        l.contract_id.clone(),
                        l.quantity,
                        l.claimed_amount,
                    )
                })
                .collect(),
            responses: vec![],
            inconsistent: false,
            manual: false,
            written_off: None,
            resubmitted_as: None,
            extra: serde_json::Map::new(),
        }
    }

    fn run(
        claim: &mut ClaimRecord,
        response: &ClaimResponse,
        book: &ContractBook,
    ) -> Result<Reconciliation, ReconcileError> {
        let settings = EngineSettings::default();
        let ctx = ReconcileContext {
            book,
            settings: &settings,
            today: date("2026-11-18"),
            sender: "ACMEPHARMA",
            interchange: "000000103",
        };
        reconcile(claim, response, &ctx, "S1".into())
    }

    fn routes(r: &Reconciliation) -> Vec<String> {
        r.lines
            .iter()
            .map(|l| format!("{} {:?} {:?}", l.line, l.outcome, l.route))
            .collect()
    }

    /// A response line answers the claim line whose PAD01 it echoes with the same sale; when
    /// its PAD01 names none (renumbered by the supplier), the first line with the same sale
    /// (item, normalized, and invoice; date and contract when given); else it is parked.
    #[test]
    fn response_lines_match_by_pad01_then_by_sale() {
        let claim = sent();
        let lines = &claim.lines;
        let index = LineIndex::of(lines);
        let base = response();
        let answer = |pad: &str, of: usize| {
            let mut a = base.lines[of].clone();
            a.line = pad.to_owned();
            a
        };
        for (i, l) in lines.iter().enumerate() {
            assert_eq!(
                index.find(lines, &answer(&l.line, i)),
                Some(i),
                "PAD01 {}",
                l.line
            );
            assert_eq!(index.find(lines, &answer("999", i)), Some(i), "by sale {i}");
        }
        // PAD01 of line 0 but the sale of line 1: the sale decides.
        assert_eq!(index.find(lines, &answer(&lines[0].line, 1)), Some(1));
        // The item as the supplier spells it (blanks, hyphens, case) is the same item.
        let mut spelled = answer("999", 2);
        spelled.item.id = format!(" {}-", spelled.item.id.to_ascii_lowercase()).into();
        assert_eq!(index.find(lines, &spelled), Some(2));
        let mut other = answer("999", 0);
        other.invoice = "NOT-CLAIMED".into();
        assert_eq!(index.find(lines, &other), None);
        // Reconciliation agrees with the index: every line of the sample is answered.
        let mut claim = sent();
        let mut renumbered = response();
        for (n, l) in renumbered.lines.iter_mut().enumerate() {
            l.line = format!("R{n}");
        }
        let r = run(&mut claim, &renumbered, &book());
        assert_eq!(
            r.map(|r| (r.lines.len(), r.unmatched.is_none())),
            Ok((6, true))
        );
    }

    #[test]
    fn unmatched_responses_are_kept_7_6() {
        let kept = unmatched(&response());
        assert_eq!(kept.lines.len(), 6);
        assert_eq!(kept.reason, "no claim with debit memo GDD-CB-20261115-0001");
    }

    #[test]
    fn inconsistent_totals_record_lines_but_do_not_settle_7_1() {
        let mut claim = sent();
        let mut response = response();
        response.total_approved = "200.00".parse().unwrap_or_default();
        let r = run(&mut claim, &response, &book());
        assert_eq!(
            r.as_ref()
                .map(|r| (r.consistent, r.split.is_some(), r.lines.len())),
            Ok((false, false, 6))
        );
        assert_eq!(
            (claim.status, claim.inconsistent),
            (ClaimStatus::Sent, true)
        );
    }

    #[test]
    fn response_lines_may_split_a_claim_line_by_quantity_7_1() {
        let mut response = response();
        let mut half = response.lines[0].clone();
        half.quantity = "5".parse().ok();
        half.approved_amount = "31.25".parse().unwrap_or_default();
        half.claimed_amount = "31.25".parse().unwrap_or_default();
        response.lines[0] = half.clone();
        response.lines.insert(1, half.clone());
        let mut claim = sent();
        let r = run(&mut claim, &response, &book());
        assert_eq!(
            r.map(|r| routes(&r)[0].clone()),
            Ok("1 Paid None".to_owned())
        );
        assert_eq!(
            claim.lines[0]
                .approved_amount
                .map(|a| a.to_string())
                .as_deref(),
            Some("62.50")
        );
        let mut too_much = response.clone();
        too_much.lines.insert(1, half);
        let mut claim = sent();
        assert_eq!(
            run(&mut claim, &too_much, &book()).map(|_| ()),
            Err(ReconcileError::QuantityExceeded("1".into()))
        );
    }

    #[test]
    fn held_and_overpaid_lines_7_2() {
        let mut response = response();
        response.lines[5].follow_up = Some(FollowUp::DoNotResubmitHeld);
        response.lines[0].approved_amount = "70.00".parse().unwrap_or_default();
        response.total_approved = "231.00".parse().unwrap_or_default();
        let mut claim = sent();
        let r = run(&mut claim, &response, &book());
        let rows = r.as_ref().map(routes).unwrap_or_default();
        assert_eq!(
            (rows[0].as_str(), rows[5].as_str()),
            ("1 Overpaid None", "6 Pending None")
        );
        // Not every line is final: no Settlement Pending yet.
        assert_eq!(claim.status, ClaimStatus::Sent);
    }

    #[test]
    fn routing_7_4() {
        // Their 48.25 against our 50.00: ours differs, dispute citing our version's 845.
        let mut ours = sample_contract();
        ours.items[2].contract_price = "50.00".parse().ok();
        let mut our_book = ContractBook::new();
        let _ = our_book.apply(&ours);
        let mut claim = sent();
        let r = run(&mut claim, &response(), &our_book);
        assert_eq!(
            r.map(|r| routes(&r)[2].clone()),
            Ok("3 Adjusted Some(Dispute { version: Some(1), control_number: Some(\"000000101\") })".to_owned())
        );
        // Line 6 rejected 19 C, and a back-dated 845 has since made it eligible: retro.
        let mut earlier = sample_contract();
        earlier.effective = date("2026-10-01");
        for party in &mut earlier.eligible {
            party.start = Some(date("2026-10-01"));
        }
        for item in &mut earlier.items {
            item.start = Some(date("2026-10-01"));
        }
        let mut later_book = ContractBook::new();
        let _ = later_book.apply(&earlier);
        let mut claim = sent();
        let r = run(&mut claim, &response(), &later_book);
        assert_eq!(
            r.map(|r| routes(&r)[5].clone()),
            Ok("6 Rejected Some(Retro)".to_owned())
        );
        // A small enough write-off is automatic.
        let (_, r) = with_threshold("20.00", &response());
        assert_eq!(
            routes(&r)[2],
            "3 Adjusted Some(Accept { automatic: true, contract_sync_alert: false })"
        );
    }

    fn with_threshold(threshold: &str, response: &ClaimResponse) -> (ClaimRecord, Reconciliation) {
        let settings = EngineSettings {
            writeoff_threshold: threshold.parse().unwrap_or_default(),
            ..EngineSettings::default()
        };
        let book = book();
        let ctx = ReconcileContext {
            book: &book,
            settings: &settings,
            today: date("2026-11-18"),
            sender: "ACMEPHARMA",
            interchange: "1",
        };
        let mut claim = sent();
        let r = reconcile(&mut claim, response, &ctx, "S1".into());
        let r = r.unwrap_or_else(|e| panic!("{e}"));
        (claim, r)
    }

    #[test]
    fn an_unpaid_part_below_the_threshold_is_written_off_at_once_7_4() {
        // The story's 849 with line 6 paid in full: lines 3 (19.50, price, ours = theirs)
        // and 5 (6.00) are unpaid and both route to Accept.
        let mut paid6 = response();
        paid6.lines[5].status = ResponseStatus::Accepted;
        paid6.lines[5].reason_code = None;
        paid6.lines[5].follow_up = None;
        paid6.lines[5].approved_amount = paid6.lines[5].claimed_amount;
        paid6.total_approved += paid6.lines[5].claimed_amount;
        let (claim, r) = with_threshold("20.00", &paid6);
        let child = r.split.as_ref().expect("an automatic split");
        assert_eq!(child.amount.to_string(), "25.50");
        assert_eq!(
            (child.status, child.written_off.as_deref()),
            (ClaimStatus::Cancelled, Some("BELOW_THRESHOLD"))
        );
        assert!(
            r.events.iter().any(
                |e| e.event == "C6 write off" && e.reason.as_deref() == Some("BELOW_THRESHOLD")
            ),
            "{:?}",
            r.events
        );
        assert_eq!(claim.status, ClaimStatus::SettlementPending);
        // 19.50 above a 10.00 threshold: the child stays Open for the analyst.
        let (_, r) = with_threshold("10.00", &paid6);
        let child = r.split.expect("an automatic split");
        assert_eq!((child.status, child.written_off), (ClaimStatus::Open, None));
        // The whole story: line 6 (19 C) routes to Resubmit, so nothing is written off.
        let (_, r) = with_threshold("20.00", &response());
        let child = r.split.expect("an automatic split");
        assert_eq!(
            (child.amount.to_string(), child.status),
            ("31.75".to_owned(), ClaimStatus::Open)
        );
    }

    #[test]
    fn only_an_open_split_child_is_written_off_7_4() {
        let approved = WriteOff::Approved {
            approver: "sam".into(),
            reason: "not worth disputing".into(),
        };
        let user = Actor::User("sam".into());
        let today = date("2026-11-20");
        let mut parent = sent();
        assert_eq!(
            parent.write_off(&approved, &user, today),
            Err(ClaimError::SplitOnly("write off"))
        );
        let (_, r) = with_threshold("0.00", &response());
        let mut child = r.split.expect("an automatic split");
        let mut pending = child.clone();
        pending.status = ClaimStatus::PendingApproval;
        assert!(matches!(
            pending.write_off(&approved, &user, today),
            Err(ClaimError::NotAllowed { .. })
        ));
        let event = child
            .write_off(&approved, &user, today)
            .expect("written off");
        assert_eq!(event.event, "C6 write off");
        assert_eq!(
            (child.status, child.written_off.as_deref()),
            (
                ClaimStatus::Cancelled,
                Some("WRITE_OFF approved by sam: not worth disputing")
            )
        );
        // Ended: nothing more to write off.
        assert!(child.write_off(&approved, &user, today).is_err());
    }

    #[test]
    fn recovery_rate_of_the_story() {
        let rate = recovery_rate(
            "223.50".parse().unwrap_or_default(),
            "255.25".parse().unwrap_or_default(),
        );
        assert_eq!(rate.map(|r| r.to_string()).as_deref(), Some("87.56"));
        assert_eq!(recovery_rate(Decimal::ONE, Decimal::ZERO), None);
    }
}
