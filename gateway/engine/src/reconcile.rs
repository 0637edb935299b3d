//! 849 reconciliation as claimant (§7, x12-chargeback §6.2): match the response to its claim
//! and lines, record each line's outcome, check the totals, split the unpaid part into an
//! automatic child claim and route every unpaid amount (§7.4). Responses whose claim is not
//! found are kept as unmatched, never dropped (§7.6).

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemas::{
    ClaimResponse, ClaimResponseLine, ContractAnswer, FollowUp, LineStatus as ResponseStatus,
};
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
    /// Contracts of contract-level answers (CON loops with no PAD loop) that matched no claim
    /// line (all of them when the claim was not found).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contracts: Vec<String>,
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
        contracts: response
            .contracts
            .iter()
            .map(|c| c.contract_id.clone())
            .collect(),
        reason: format!("no claim with debit memo {}", response.debit_memo),
    }
}

/// The outcome (§7.2) of a claim line claimed at `claimed` that an 849 answers with `status`
/// and AAA04 `follow_up`, approving `approved`.
pub(crate) fn outcome_of(
    status: ResponseStatus,
    follow_up: Option<FollowUp>,
    claimed: Decimal,
    approved: Decimal,
) -> LineOutcome {
    if matches!(
        follow_up,
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
    } else if approved.is_zero() || status == ResponseStatus::Rejected {
        LineOutcome::Rejected
    } else {
        LineOutcome::Adjusted
    }
}

/// What an 849 says about one claim line, whichever level it says it at (§7.1): its PAD
/// lines, a contract-level AAA (a CON loop with no PAD loop) or the heading AAA and totals.
/// Every level goes through the same recording, events and routing.
struct Decision<'a> {
    /// The approved amount: Σ of the PAD lines; claimed or zero for a contract or header answer.
    approved: Decimal,
    status: ResponseStatus,
    reason_code: Option<&'a str>,
    follow_up: Option<FollowUp>,
    approved_quantity: Option<Decimal>,
    approved_contract_price: Option<Decimal>,
}

impl<'a> Decision<'a> {
    /// The PAD lines answering one claim line (several for a quantity split): the first gives
    /// the status, reason and prices, their approved amounts add up.
    fn of_lines(lines: &[&'a ClaimResponseLine]) -> Option<Self> {
        let first = lines.first()?;
        Some(Self {
            approved: lines.iter().map(|l| l.approved_amount).sum(),
            status: first.status,
            reason_code: first.reason_code.as_deref(),
            follow_up: first.follow_up,
            approved_quantity: first.approved_quantity,
            approved_contract_price: first.approved_contract_price,
        })
    }

    /// A decision for a whole claim line that carries no amount of its own: accepted approves
    /// the claimed amount, rejected approves nothing; `None` for `adjusted`, which a contract
    /// or header answer cannot allocate to lines.
    fn whole(
        status: ResponseStatus,
        claimed: Decimal,
        reason_code: Option<&'a str>,
        follow_up: Option<FollowUp>,
    ) -> Option<Self> {
        let approved = match status {
            ResponseStatus::Accepted => claimed,
            ResponseStatus::Rejected => Decimal::ZERO,
            ResponseStatus::Adjusted => return None,
        };
        Some(Self {
            approved,
            status,
            reason_code,
            follow_up,
            approved_quantity: None,
            approved_contract_price: None,
        })
    }
}

/// Whether contract answer `answer` is for claim line `line`: the same contract, normalized
/// as everywhere in the engine, and, when the answer echoes an end customer, one of its ids.
fn contract_answers(answer: &ContractAnswer, line: &ClaimLineRecord) -> bool {
    normalize_id(&answer.contract_id) == normalize_id(&line.contract_id)
        && answer.end_customer.as_ref().is_none_or(|echoed| {
            let ours = PartyKey::all_of(&line.sale.end_customer);
            PartyKey::all_of(echoed).iter().any(|k| ours.contains(k))
        })
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
    // PAD lines decide first; then contract answers (CON loops with no PAD loop) decide the
    // lines of their contract no PAD line answered; with neither, the header answers the
    // whole claim (§7.1 step 2).
    let mut decisions: Vec<Option<Decision<'_>>> =
        answers.iter().map(|l| Decision::of_lines(l)).collect();
    // Approved amounts the contract and header answers imply, for the totals check.
    let mut implied = Decimal::ZERO;
    // An answer that cannot be allocated to lines: nothing decided by it, the claim inconsistent.
    let mut unallocated: Option<String> = None;
    let mut parked_contracts = Vec::new();
    for answer in &response.contracts {
        let mut matched = false;
        for (i, line) in claim.lines.iter().enumerate() {
            if !contract_answers(answer, line) {
                continue;
            }
            matched = true;
            if decisions[i].is_some() {
                continue;
            }
            match Decision::whole(
                answer.status,
                line.claimed_amount,
                answer.reason_code.as_deref(),
                answer.follow_up,
            ) {
                Some(d) => {
                    implied += d.approved;
                    decisions[i] = Some(d);
                }
                None => {
                    unallocated = Some(format!(
                        "contract {} answered adjusted with no amounts per line",
                        answer.contract_id
                    ));
                }
            }
        }
        if !matched {
            parked_contracts.push(answer.contract_id.clone());
        }
    }
    if response.lines.is_empty() && response.contracts.is_empty() {
        // A header-only 849: all or nothing for every line, else the 849 does not say how a
        // partial amount falls on the lines and nobody decides for it.
        let status = if response.total_approved.is_zero() {
            Some(ResponseStatus::Rejected)
        } else if response.total_approved == claim.amount && response.total_claimed == claim.amount
        {
            Some(ResponseStatus::Accepted)
        } else {
            None
        };
        match status {
            Some(status) => {
                for (i, line) in claim.lines.iter().enumerate() {
                    let d = Decision::whole(
                        status,
                        line.claimed_amount,
                        response.reason_code.as_deref(),
                        response.follow_up,
                    );
                    if let Some(d) = d {
                        implied += d.approved;
                        decisions[i] = Some(d);
                    }
                }
            }
            None => {
                unallocated = Some(format!(
                    "header-only 849 approves {} of {} without saying per line",
                    response.total_approved, response.total_claimed
                ));
            }
        }
    }
    let mut events = Vec::new();
    let mut results = Vec::new();
    for (i, decision) in decisions.into_iter().enumerate() {
        let Some(decision) = decision else {
            continue;
        };
        let approved = decision.approved;
        let line = &mut claim.lines[i];
        let outcome = outcome_of(
            decision.status,
            decision.follow_up,
            line.claimed_amount,
            approved,
        );
        let before = line.outcome;
        let reason = decision.reason_code.map(str::to_owned);
        line.approved_amount = Some(approved);
        line.approved_quantity = decision.approved_quantity;
        line.approved_contract_price = decision.approved_contract_price;
        line.reason_code = reason.clone();
        line.follow_up = decision.follow_up;
        line.outcome = Some(outcome);
        events.push(AuditEvent {
            entity: Entity::ClaimLine,
            id: format!("{}/{}", claim.number, line.line),
            from: before.map(|o| status_name(&o)),
            to: status_name(&outcome),
            event: "849 line outcome".to_owned(),
            actor: Actor::Partner(ctx.sender.to_owned()),
            reason,
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
    let line_total: Decimal = response
        .lines
        .iter()
        .map(|l| l.approved_amount)
        .sum::<Decimal>()
        + implied;
    let consistent = line_total == response.total_approved
        && response.total_claimed == claim.amount
        && parked.is_empty()
        && parked_contracts.is_empty()
        && unallocated.is_none();
    if let Some(why) = unallocated {
        // Nothing on the lines shows it: say so on the claim, for the review queue.
        events.push(AuditEvent {
            entity: Entity::Claim,
            id: claim.number.clone(),
            from: Some(status_name(&claim.status)),
            to: status_name(&claim.status),
            event: "849 not allocated to lines".to_owned(),
            actor: Actor::Partner(ctx.sender.to_owned()),
            reason: Some("RESPONSE_INCONSISTENT".to_owned()),
            comment: Some(why),
            correlation_id: Some(ctx.interchange.to_owned()),
            date: ctx.today,
            before: None,
            after: None,
        });
    }
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
    let unmatched =
        (!parked.is_empty() || !parked_contracts.is_empty()).then(|| UnmatchedResponse {
            response: response.clone(),
            reason: if parked.is_empty() {
                "contract answers match no claim line".to_owned()
            } else {
                "response lines match no claim line".to_owned()
            },
            lines: parked,
            contracts: parked_contracts,
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

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    /// The sample 849 with no CON loop: the heading AAA and totals answer the whole claim.
    fn header_only(
        total_approved: &str,
        reason: Option<&str>,
        follow_up: Option<FollowUp>,
    ) -> ClaimResponse {
        let mut r = response();
        r.lines.clear();
        r.line_count = Some(0);
        r.reason_code = reason.map(str::to_owned);
        r.follow_up = follow_up;
        r.total_approved = dec(total_approved);
        r
    }

    fn contract_answer(
        contract: &str,
        status: ResponseStatus,
        reason: Option<&str>,
        follow_up: Option<FollowUp>,
    ) -> ContractAnswer {
        ContractAnswer {
            contract_id: contract.to_owned(),
            end_customer: None,
            status,
            reason_code: reason.map(str::to_owned),
            follow_up,
            more_reasons: vec![],
        }
    }

    /// Each claim line as `line outcome approved reason`.
    fn outcomes(claim: &ClaimRecord) -> Vec<String> {
        claim
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{} {} {} {}",
                    l.line,
                    l.outcome.map(|o| status_name(&o)).unwrap_or_default(),
                    l.approved_amount.map(|a| a.to_string()).unwrap_or_default(),
                    l.reason_code.as_deref().unwrap_or("-")
                )
            })
            .collect()
    }

    /// §7.1 step 2, x12 §6: a header-only 849 approving nothing rejects every line with the
    /// heading reason (11 invalid debit memo); the claim settles at zero, its whole amount
    /// split off for §7.4.
    #[test]
    fn a_header_only_849_approving_nothing_rejects_every_line() {
        let mut claim = sent();
        let response = header_only("0.00", Some("11"), Some(FollowUp::NoResubmission));
        let r = run(&mut claim, &response, &book()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            outcomes(&claim),
            [
                "1 rejected 0 11",
                "2 rejected 0 11",
                "3 rejected 0 11",
                "4 rejected 0 11",
                "5 rejected 0 11",
                "6 rejected 0 11",
            ]
        );
        assert!(
            claim
                .lines
                .iter()
                .all(|l| l.follow_up == Some(FollowUp::NoResubmission))
        );
        assert!(r.consistent && r.unmatched.is_none());
        assert_eq!(r.lines.len(), 6);
        assert!(r.lines.iter().all(|l| l.route.is_some()), "{:?}", r.lines);
        let line_events = r
            .events
            .iter()
            .filter(|e| e.event == "849 line outcome" && e.reason.as_deref() == Some("11"))
            .count();
        assert_eq!(line_events, 6);
        assert_eq!(
            (claim.status, claim.inconsistent),
            (ClaimStatus::SettlementPending, false)
        );
        let child = r.split.expect("the whole claim split off");
        assert_eq!(child.amount.to_string(), "255.25");
        // Idempotent on (sender, interchange).
        let again = run(&mut claim, &response, &book()).unwrap_or_else(|e| panic!("{e}"));
        assert!(again.already_applied && again.events.is_empty());
    }

    #[test]
    fn a_header_only_849_approving_the_claim_pays_every_line() {
        let mut claim = sent();
        let response = header_only("255.25", None, None);
        let r = run(&mut claim, &response, &book()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            outcomes(&claim),
            [
                "1 paid 62.50 -",
                "2 paid 48.00 -",
                "3 paid 120.00 -",
                "4 paid 12.50 -",
                "5 paid 6.00 -",
                "6 paid 6.25 -",
            ]
        );
        assert!(r.consistent && r.split.is_none());
        assert_eq!(claim.status, ClaimStatus::SettlementPending);
    }

    /// A partial amount the 849 does not allocate to lines: nobody decides for the supplier.
    /// No line gets an outcome, the claim is RESPONSE_INCONSISTENT (§7.1 step 4) for review.
    #[test]
    fn a_header_only_849_approving_part_of_the_claim_decides_nothing() {
        let mut claim = sent();
        let response = header_only("200.00", Some("06"), None);
        let r = run(&mut claim, &response, &book()).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.lines.is_empty() && r.split.is_none());
        assert!(claim.lines.iter().all(|l| l.outcome.is_none()));
        assert!(!r.consistent);
        assert_eq!(
            (claim.status, claim.inconsistent),
            (ClaimStatus::Sent, true)
        );
        assert!(
            r.events
                .iter()
                .any(|e| e.event == "849 not allocated to lines"
                    && e.reason.as_deref() == Some("RESPONSE_INCONSISTENT")),
            "{:?}",
            r.events
        );
        // Everything approved but claimed totals that differ from ours: not all or nothing.
        let mut claim = sent();
        let mut other = header_only("255.25", None, None);
        other.total_claimed = dec("300.00");
        let r = run(&mut claim, &other, &book()).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.lines.is_empty() && !r.consistent && claim.inconsistent);
    }

    /// A contract-level answer (CON loop with no PAD loop) decides for every line of its
    /// contract that no PAD line answers; PAD lines keep priority, and answer the other
    /// contract's lines; the totals check counts what the contract answer implies.
    #[test]
    fn a_contract_answer_decides_its_contracts_unanswered_lines() {
        let mut claim = sent();
        for l in &mut claim.lines[3..] {
            l.contract_id = "SPA-2026-0099".into();
            l.sale.contract_id = Some("SPA-2026-0099".into());
        }
        let mut response = response();
        // PAD lines 1-3 (contract 0042) and line 4 (contract 0099, paid); lines 5 and 6 are
        // answered by the contract, spelled as the supplier spells it.
        response.lines.truncate(4);
        response.lines[3].contract_id = Some("SPA-2026-0099".into());
        response.contracts = vec![contract_answer(
            " spa-2026-0099",
            ResponseStatus::Rejected,
            Some("26"),
            Some(FollowUp::NoResubmission),
        )];
        response.total_approved = dec("223.50");
        let r = run(&mut claim, &response, &book()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            outcomes(&claim),
            [
                "1 paid 62.50 -",
                "2 paid 48.00 -",
                "3 adjusted 100.50 06",
                "4 paid 12.50 -",
                "5 rejected 0 26",
                "6 rejected 0 26",
            ]
        );
        assert!(r.consistent && r.unmatched.is_none(), "{r:?}");
        assert_eq!(claim.status, ClaimStatus::SettlementPending);
        assert_eq!(
            r.split.map(|c| c.amount.to_string()).as_deref(),
            Some("31.75")
        );

        // The end customer echoed narrows it: Lakeside's lines of 0042, not Riverside's.
        let mut claim = sent();
        let mut response = self::response();
        response.lines.truncate(3);
        let mut lakeside =
            contract_answer("SPA-2026-0042", ResponseStatus::Rejected, Some("26"), None);
        lakeside.end_customer = self::response().lines[3].end_customer.clone();
        response.contracts = vec![lakeside];
        response.total_approved = dec("211.00");
        let r = run(&mut claim, &response, &book()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            outcomes(&claim)[2..],
            [
                "3 adjusted 100.50 06",
                "4 rejected 0 26",
                "5 rejected 0 26",
                "6 rejected 0 26",
            ]
        );
        assert!(r.consistent, "{r:?}");
        // An accepted contract answer approves its lines as claimed.
        let mut claim = sent();
        response.contracts[0].status = ResponseStatus::Accepted;
        response.contracts[0].reason_code = None;
        response.total_approved = dec("235.75");
        let r = run(&mut claim, &response, &book()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            outcomes(&claim)[3..],
            ["4 paid 12.50 -", "5 paid 6.00 -", "6 paid 6.25 -"]
        );
        assert!(r.consistent, "{r:?}");
    }

    /// §7.6: a contract answer that matches no claim line is parked like an unmatched line;
    /// the lines that match apply, and the claim is not settled automatically.
    #[test]
    fn a_contract_answer_matching_no_line_is_parked_7_6() {
        let mut claim = sent();
        let mut response = response();
        response.contracts = vec![contract_answer(
            "SPA-NOT-OURS",
            ResponseStatus::Rejected,
            Some("02"),
            None,
        )];
        let r = run(&mut claim, &response, &book()).unwrap_or_else(|e| panic!("{e}"));
        let parked = r.unmatched.as_ref().expect("parked");
        assert_eq!(parked.contracts, ["SPA-NOT-OURS"]);
        assert!(parked.lines.is_empty());
        assert_eq!(r.lines.len(), 6);
        assert!(!r.consistent);
        assert_eq!(
            (claim.status, claim.inconsistent),
            (ClaimStatus::Sent, true)
        );
        // Echoing an end customer none of the contract's lines has: parked too.
        let mut claim = sent();
        let mut response = self::response();
        let mut stranger = contract_answer("SPA-2026-0042", ResponseStatus::Rejected, None, None);
        let mut party = self::response().lines[0]
            .end_customer
            .clone()
            .expect("an end customer");
        party.id = "ZZ9999999".into();
        party.refs.clear();
        stranger.end_customer = Some(party);
        response.contracts = vec![stranger];
        let r = run(&mut claim, &response, &book()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.unmatched.map(|u| u.contracts),
            Some(vec!["SPA-2026-0042".to_owned()])
        );
    }

    /// A pending follow-up (AAA04 Y, W, X, S) at header or contract level holds the lines it
    /// answers as it holds a PAD line: Pending, no route, no settlement yet.
    #[test]
    fn a_pending_follow_up_holds_the_lines_it_answers_7_2() {
        let mut claim = sent();
        let response = header_only("0.00", None, Some(FollowUp::DoNotResubmitHeld));
        let r = run(&mut claim, &response, &book()).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            claim
                .lines
                .iter()
                .all(|l| l.outcome == Some(LineOutcome::Pending)),
            "{:?}",
            outcomes(&claim)
        );
        assert!(r.lines.iter().all(|l| l.route.is_none()));
        assert!(r.consistent && r.split.is_none());
        assert_eq!(claim.status, ClaimStatus::Sent);

        let mut claim = sent();
        let mut response = self::response();
        response.lines.truncate(3);
        response.contracts = vec![ContractAnswer {
            end_customer: self::response().lines[3].end_customer.clone(),
            ..contract_answer(
                "SPA-2026-0042",
                ResponseStatus::Rejected,
                Some("19"),
                Some(FollowUp::Wait30Days),
            )
        }];
        response.total_approved = dec("211.00");
        let r = run(&mut claim, &response, &book()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            outcomes(&claim)[3..],
            ["4 pending 0 19", "5 pending 0 19", "6 pending 0 19"]
        );
        assert!(r.consistent);
        assert_eq!(claim.status, ClaimStatus::Sent);
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
