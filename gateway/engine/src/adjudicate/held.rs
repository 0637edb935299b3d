//! The adjudicator's batch (§1.2: the §6 state machines run unchanged on the supplier side).
//!
//! Answered at once, every line of the claim is final and the batch Closed: a line the run
//! pays anything on — Accepted, or paid at the calculated amount under §13.1 `pay_calculated`
//! — is Claimed at its approved amount on claim #1, keeping the validation that says which
//! rule it failed; a line paid nothing is Rejected with its reason, on no claim. Held (§13.1
//! `hold`), the batch rests Awaiting Review with the lines as validation left them, so a
//! reviewer works them as on any batch (accept the calculated amount, reject, revalidate, Pay
//! and Close); the 849 answers every line once the reviewer closes or rejects the batch
//! (§7.7), from each line's final status.

use rust_decimal::Decimal;
use schemas::{Claim, ClaimResponse, FollowUp, Source};

use super::{AdjudicatedLine, AdjudicatedStatus, Adjudication, AdjudicationRun, ResponseHeader};
use crate::batch::{Batch, BatchClaim, BatchLine, BatchStatus, LineStatus};
use crate::reasons::{ReasonCode, RejectReason};
use crate::rules::Validation;
use crate::sale::SaleLine;
use crate::settings::{BatchMode, UnattendedAmountDisputes};

/// What an adjudication leaves in the batch that keeps the claim's lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjudicatedBatch {
    /// Closed when answered at once, Awaiting Review when held.
    pub status: BatchStatus,
    /// The lines, in claim order.
    pub lines: Vec<BatchLine>,
    /// Claim #1: answered at once, the lines the run pays anything on; held, an Immediate
    /// Claim batch's valid lines; none when it holds no line.
    pub claims: Vec<BatchClaim>,
}

impl AdjudicationRun {
    /// The batch lines of the run's claim (`sales`, in claim order). Answered at once, a line
    /// approved anything (Accepted, or Amount Disputed and paid under `pay_calculated`) is
    /// Claimed on claim #1 at its approved amount (and quantity: the remaining one of a cap
    /// paid in part), its validation kept, so [`batch_answer`] answers it as the run did; the
    /// others are Rejected with their reason. Held, valid lines are Claimed on claim #1
    /// (Immediate Claim, L5/B4) or wait Accepted (Review and Claim, L4/B5) and the others keep
    /// their dispute status: the batch rests Awaiting Review even when no line is valid, as
    /// §13.1 takes precedence over B2.
    pub fn batch(&self, sales: Vec<SaleLine>, mode: BatchMode) -> AdjudicatedBatch {
        let mut claimed = Vec::new();
        let mut amount = Decimal::ZERO;
        let lines = sales
            .into_iter()
            .zip(self.validations.iter().cloned())
            .zip(&self.report.lines)
            .map(|((sale, v), adjudicated)| {
                let mut line = BatchLine {
                    status: LineStatus::Rejected,
                    accepted_quantity: None,
                    accepted_amount: None,
                    reject_reason: None,
                    validation: None,
                    comment: None,
                    claim: None,
                    corrected_by: None,
                    sale,
                };
                if !self.held {
                    let approved = adjudicated.approved_amount;
                    let paid =
                        adjudicated.status == AdjudicatedStatus::Accepted || !approved.is_zero();
                    if paid {
                        line.status = LineStatus::Claimed;
                        // Paid although its cap failed: the part that fits (auto_partial_approve).
                        let capped = v.cap_failure() == Some(ReasonCode::CapExceeded);
                        line.accepted_quantity = Some(if capped {
                            super::partial_quantity(&v).unwrap_or(line.sale.quantity)
                        } else {
                            line.sale.quantity
                        });
                        line.accepted_amount = Some(approved);
                        line.claim = Some(1);
                        claimed.push(line.sale.line.clone());
                        amount += approved;
                    } else {
                        line.reject_reason = Some(
                            v.primary
                                .map(ReasonCode::category)
                                .unwrap_or(RejectReason::EligibilityDisputed),
                        );
                    }
                } else if v.status.is_disputed() {
                    line.status = v.status;
                } else {
                    line.accepted_quantity = Some(line.sale.quantity);
                    line.accepted_amount = v.accepted_amount;
                    line.status = match mode {
                        BatchMode::ImmediateClaim => {
                            claimed.push(line.sale.line.clone());
                            amount += v.accepted_amount.unwrap_or_default();
                            line.claim = Some(1);
                            LineStatus::Claimed
                        }
                        BatchMode::ReviewAndClaim => LineStatus::Accepted,
                    };
                }
                line.validation = Some(v);
                line
            })
            .collect();
        let claims = if claimed.is_empty() {
            vec![]
        } else {
            vec![BatchClaim {
                seq: 1,
                lines: claimed,
                amount,
            }]
        };
        AdjudicatedBatch {
            // B2: answered at once with nothing paid, every line is Rejected and so is the
            // batch; B3 when something is claimed.
            status: if self.held {
                BatchStatus::AwaitingReview
            } else if claims.is_empty() {
                BatchStatus::Rejected
            } else {
                BatchStatus::Closed
            },
            lines,
            claims,
        }
    }
}

/// §7.7: the report and the 849 of an adjudicator's batch a reviewer has ended (Closed or
/// Rejected), every line answered from its final status; `None` while the batch is open.
///
/// A Claimed line is approved at its accepted amount (with its rule's reason and follow-up
/// `N` when that differs from the claimed amount, as `pay_calculated` answers); a Rejected
/// line is approved nothing, with its rule's AAA03/AAA04, or, when no rule failed (a
/// reviewer reversed an acceptance, L11), `10` (administrative cancellation) and `N`.
///
/// A line a run answered at once paid although it failed an amount rule (a batch whose frozen
/// settings say `pay_calculated`, §13.1: never held) is answered as the run answered it: with
/// its rule's reason even when the lower of claimed and calculated is the claimed amount, and
/// the approved quantity the run gave.
pub fn batch_answer(
    batch: &Batch,
    header: ResponseHeader,
) -> Option<(Adjudication, ClaimResponse)> {
    if !matches!(batch.status, BatchStatus::Closed | BatchStatus::Rejected) {
        return None;
    }
    let settings = &batch.settings;
    let claim = claim_of(batch, &header.source);
    let zero = Decimal::new(0, settings.amount_scale);
    let mut validations = Vec::with_capacity(batch.lines.len());
    let mut lines = Vec::with_capacity(batch.lines.len());
    for line in &batch.lines {
        let v = line.validation.clone().unwrap_or_else(Validation::new);
        let claimed = line.sale.claimed_amount.unwrap_or_default();
        let (approved, reason, code) = if line.status == LineStatus::Claimed {
            let approved = line.accepted_amount.unwrap_or(claimed);
            let reason = v
                .primary
                .filter(|_| approved != claimed || paid_unattended(batch, line));
            let code = reason.map(|r| (settings.x12_reason(r).0, FollowUp::NoResubmission));
            (approved, reason, code)
        } else {
            let code = match (v.primary, &line.reject_reason) {
                (Some(r), _) => settings.x12_reason(r),
                (None, Some(RejectReason::DebitClaimNotSupported)) => {
                    settings.x12_reason(ReasonCode::DebitNotSupported)
                }
                (None, Some(RejectReason::Duplicate)) => {
                    settings.x12_reason(ReasonCode::DuplicatePrior)
                }
                (None, _) => ("10".to_owned(), FollowUp::NoResubmission),
            };
            (zero, v.primary, Some(code))
        };
        lines.push(AdjudicatedLine {
            line: line.sale.line.clone(),
            status: match v.status {
                LineStatus::EligibilityDisputed => AdjudicatedStatus::EligibilityDisputed,
                LineStatus::AmountDisputed => AdjudicatedStatus::AmountDisputed,
                LineStatus::Duplicate => AdjudicatedStatus::Duplicate,
                _ => AdjudicatedStatus::Accepted,
            },
            reason,
            x12_code: code.as_ref().map(|c| c.0.clone()),
            follow_up: code.map(|c| c.1.code().to_owned()),
            calculated_amount: v.calculated_amount,
            approved_amount: if approved.is_zero() { zero } else { approved },
            warnings: v.warnings.clone(),
        });
        validations.push(v);
    }
    let run = AdjudicationRun {
        report: Adjudication {
            debit_memo: claim.debit_memo.clone(),
            total_claimed: claim.total_claimed,
            total_approved: lines.iter().map(|l| l.approved_amount).sum(),
            lines,
            stated_total: None,
        },
        validations,
        held: false,
    };
    let mut response = run.response(&claim, header, settings)?;
    // A reviewer's corrected quantity (§4.3 correct and accept) is the approved quantity.
    for (answer, line) in response.lines.iter_mut().zip(&batch.lines) {
        if line.status == LineStatus::Claimed
            && !paid_unattended(batch, line)
            && let Some(q) = line.accepted_quantity.filter(|q| *q != line.sale.quantity)
        {
            answer.approved_quantity = Some(q);
        }
    }
    Some((run.report, response))
}

/// Whether `line` of `batch` is Claimed although its validation failed an amount rule because
/// the run answering the claim at once paid it (§13.1 `pay_calculated`, frozen on the batch): a
/// held batch's settings say `hold`, so there a reviewer accepted it.
fn paid_unattended(batch: &Batch, line: &BatchLine) -> bool {
    batch.settings.unattended_amount_disputes == UnattendedAmountDisputes::PayCalculated
        && line.status == LineStatus::Claimed
        && line
            .validation
            .as_ref()
            .is_some_and(|v| v.status == LineStatus::AmountDisputed)
}

/// The claim the batch keeps, as received (the lines' claimed values, the header's parties).
fn claim_of(batch: &Batch, source: &Source) -> Claim {
    let lines: Vec<_> = batch.lines.iter().map(|l| l.sale.to_claim_line()).collect();
    Claim {
        source: source.clone(),
        action: schemas::Action::Original,
        transaction_type: None,
        debit_memo: batch
            .header
            .debit_memo
            .clone()
            .unwrap_or_else(|| batch.header.name.clone()),
        date: batch.header.claim_date,
        currency: Some(batch.header.currency.clone()),
        supplier: batch.header.supplier.clone(),
        distributor: batch.header.distributor.clone(),
        total_claimed: lines.iter().map(|l| l.claimed_amount).sum(),
        line_count: lines.len() as u32,
        quantity_total: None,
        lines,
    }
}

#[cfg(test)]
mod tests;
