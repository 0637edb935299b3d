//! Retroactive contract changes (§5.3): after an approved back-dated contract, price, item or
//! member change, past sales are re-evaluated (V2–V10 against the new version) and each gives
//! a new retro line, a resubmission, a delta or (with `retro_clawback`) a negative adjustment.
//! A rerun for the same (contract, version) creates nothing new.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::batch::{BatchLine, LineStatus};
use crate::claims::{ClaimLineRecord, LineOutcome};
use crate::contracts::{Applied, ContractBook};
use crate::duplicates::LineHistory;
use crate::identity::{PartyKey, write_item_key};
use crate::reasons::RejectReason;
use crate::rules::{BatchContext, Pipeline};
use crate::sale::{LineRef, SaleLine};
use crate::settings::{EngineSettings, Role};

/// What happened to a past sale before the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum PastState {
    /// Never claimed (it was not eligible then).
    NeverClaimed,
    /// Rejected for eligibility, in review or by an 849.
    RejectedForEligibility,
    /// Paid at an amount.
    Paid {
        /// Amount paid.
        amount: Decimal,
    },
}

/// A past sale considered by a retro run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastSale {
    /// Where it is.
    pub line: LineRef,
    /// The sale.
    pub sale: SaleLine,
    /// Its state.
    pub state: PastState,
}

/// What the run does with a past sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetroAction {
    /// A new retro line.
    NewLine,
    /// A resubmission line linked to the rejected original.
    Resubmission,
    /// A delta line +(B − A) linked to the original.
    Delta,
    /// A negative adjustment −(A − B), needing approval.
    Clawback,
}

/// One line the run produces, for a Retro batch (always Review and Claim).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetroLine {
    /// Action.
    pub action: RetroAction,
    /// The original line.
    pub original: LineRef,
    /// The sale to claim, linked to its original, with the amount to claim.
    pub sale: SaleLine,
    /// Amount: B for new and resubmitted lines, the signed difference for deltas and
    /// clawbacks.
    pub amount: Decimal,
    /// Clawbacks need approval.
    pub needs_approval: bool,
}

/// The result of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetroRun {
    /// Lines for the Retro batch.
    pub lines: Vec<RetroLine>,
    /// Retro-eligible but outside the claim window: the leakage report.
    pub expired: Vec<LineRef>,
}

/// Which (contract, version) pairs have been run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetroLedger {
    done: BTreeSet<(u32, u32)>,
}

/// Runs §5.3 for one applied, approved change. `None` when the change is not retroactive or
/// this (contract, version) already ran.
#[allow(clippy::too_many_arguments)]
pub fn retro_run(
    book: &ContractBook,
    applied: &Applied,
    past: &[PastSale],
    settings: &EngineSettings,
    distributor: &PartyKey,
    supplier: &PartyKey,
    today: NaiveDate,
    ledger: &mut RetroLedger,
) -> Option<RetroRun> {
    let from = applied.retroactive_from?;
    let version = applied.version?;
    if !ledger.done.insert((applied.contract, version)) {
        return None;
    }
    let lineage = book.lineage(applied.contract)?;
    let window_start = settings
        .claim_window_days
        .and_then(|days| today.checked_sub_days(Days::new(u64::from(days))));
    let ctx = BatchContext {
        batch: format!("retro:{}:{version}", lineage.number),
        role: Role::Claimant,
        distributor: distributor.clone(),
        supplier: supplier.clone(),
        claim_date: today,
    };
    let history = LineHistory::new();
    // The claim window is the run's own test (below): with it in V6 too, an old sale would
    // fail V6 and never be counted as retro-eligible but expired.
    let run_settings = EngineSettings {
        derive_contract: Some(false),
        allow_unmatched_returns: true,
        claim_window_days: None,
        ..settings.clone()
    };
    let mut pipeline = Pipeline::new(book, &run_settings, &ctx, today, &history, None);
    pipeline.skip_duplicate_check();
    let mut run = RetroRun::default();
    let mut key = String::new();
    for sale in past {
        let Some(d) = sale.sale.own_date(settings.pricing_date_basis) else {
            continue;
        };
        let on_contract = sale
            .sale
            .contract_id
            .as_deref()
            .is_none_or(|c| *crate::identity::normalize_contract_number(c) == *lineage.number);
        if d < from || d > today || !on_contract || !touched(applied, &sale.sale, &mut key) {
            continue;
        }
        let mut probe = sale.sale.clone();
        probe.contract_id = Some(lineage.number_as_issued.to_string());
        probe.claimed_amount = None;
        probe.claimed_contract_price = None;
        probe.claimed_reference_price = None;
        // The sale was made at the prices of its day: a retroactive price below its sell
        // price is what the run reprices, not a resale above contract (V8).
        probe.sell_price = None;
        let v = pipeline.validate(&probe);
        let eligible = v.status == LineStatus::Accepted;
        let now = v.calculated_amount.filter(|_| eligible);
        let outside_window = window_start.is_some_and(|start| d < start);
        let (action, amount) = match (&sale.state, now) {
            (PastState::NeverClaimed, Some(b)) => (RetroAction::NewLine, b),
            (PastState::RejectedForEligibility, Some(b)) => (RetroAction::Resubmission, b),
            (PastState::Paid { amount: a }, Some(b)) if b > *a => (RetroAction::Delta, b - a),
            (PastState::Paid { amount: a }, b)
                if settings.retro_clawback && b.is_none_or(|b| b < *a) =>
            {
                (RetroAction::Clawback, b.unwrap_or_default() - a)
            }
            _ => continue,
        };
        if outside_window {
            run.expired.push(sale.line.clone());
            continue;
        }
        let mut line = sale.sale.clone();
        line.line = format!("{}-{}", sale.line.batch, sale.line.line);
        line.contract_id = Some(lineage.number_as_issued.to_string());
        line.corrects = Some(sale.line.clone());
        if let Some(pricing) = &v.pricing {
            line.claimed_contract_price = Some(pricing.contract_price_per_sale_unit());
            line.claimed_reference_price = Some(pricing.reference_price_per_sale_unit());
        }
        line.claimed_amount = Some(amount);
        run.lines.push(RetroLine {
            needs_approval: action == RetroAction::Clawback,
            action,
            original: sale.line.clone(),
            sale: line,
            amount,
        });
    }
    Some(run)
}

/// AAA03 codes of an 849 line rejected for eligibility (§7.4 rule 2): contract unknown or
/// distributor not authorized (01), contract expired (02), item not on the contract (03),
/// contract not started (19), customer not eligible (26).
pub const ELIGIBILITY_AAA03: [&str; 5] = ["01", "02", "03", "19", "26"];

/// What a past sale's line of a Closed or Rejected claimant batch was before the change
/// (§5.3 "Before"), from the line and the claim line that carried it (with its 849 outcome).
/// `prior` is what earlier retro runs already claimed for it (resubmissions, deltas,
/// clawbacks not rejected), so a later version's run claims only the new difference.
/// `None`: the line is not a past sale the run considers (rejected for another reason,
/// pending in an open batch, or still Accepted).
pub fn past_state(
    line: &BatchLine,
    claim_line: Option<&ClaimLineRecord>,
    prior: Decimal,
) -> Option<PastState> {
    let before = match line.status {
        LineStatus::Claimed => match claim_line.and_then(|c| c.outcome.map(|o| (c, o))) {
            Some((c, LineOutcome::Paid | LineOutcome::Adjusted | LineOutcome::Overpaid)) => {
                PastState::Paid {
                    amount: c.approved_amount.unwrap_or(c.claimed_amount),
                }
            }
            Some((c, LineOutcome::Rejected)) => {
                if c.reason_code
                    .as_deref()
                    .is_some_and(|r| ELIGIBILITY_AAA03.contains(&r))
                {
                    PastState::RejectedForEligibility
                } else {
                    return None;
                }
            }
            // Claimed, not answered yet (or held): claimed at its accepted amount.
            _ => PastState::Paid {
                amount: claim_line
                    .map(|c| c.claimed_amount)
                    .or(line.accepted_amount)
                    .unwrap_or_default(),
            },
        },
        LineStatus::Rejected
            if line.reject_reason.as_ref() == Some(&RejectReason::EligibilityDisputed) =>
        {
            PastState::RejectedForEligibility
        }
        _ => return None,
    };
    Some(match before {
        _ if prior.is_zero() => before,
        PastState::Paid { amount } => PastState::Paid {
            amount: amount + prior,
        },
        PastState::NeverClaimed | PastState::RejectedForEligibility => {
            PastState::Paid { amount: prior }
        }
    })
}

/// Whether the change touched the sale's item or customer (all sales when it named neither).
fn touched(applied: &Applied, sale: &SaleLine, key: &mut String) -> bool {
    if applied.changed_items.is_empty() && applied.changed_parties.is_empty() {
        return true;
    }
    let item = write_item_key(&sale.item.qualifier, &sale.item.id, key).is_ok()
        && applied.changed_items.iter().any(|k| k == key);
    let customers = PartyKey::all_of(&sale.end_customer);
    item || applied
        .changed_parties
        .iter()
        .any(|p| customers.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests::{date, sample_claim, sample_contract};
    use schemas::{Action, ItemAction};

    fn past(n: usize, state: PastState) -> PastSale {
        let claim = sample_claim();
        PastSale {
            line: LineRef {
                batch: "GDD-CB-20261115-0001".into(),
                line: n.to_string(),
            },
            sale: SaleLine::from(&claim.lines[n - 1]),
            state,
        }
    }

    fn paid(n: usize, amount: &str) -> PastSale {
        past(
            n,
            PastState::Paid {
                amount: amount.parse().unwrap_or_default(),
            },
        )
    }

    fn run(change: &schemas::Contract, settings: &EngineSettings) -> Vec<String> {
        let mut book = ContractBook::new();
        let _ = book.apply(&sample_contract());
        let applied = match book.apply(change) {
            Ok(a) => a,
            Err(e) => panic!("{e}"),
        };
        let sales = [
            paid(1, "62.50"),
            paid(2, "48.00"),
            paid(4, "12.50"),
            past(6, PastState::RejectedForEligibility),
        ];
        let mut ledger = RetroLedger::default();
        let parties = (
            PartyKey::new("1", "987654321"),
            PartyKey::new("1", "123456789"),
        );
        let first = retro_run(
            &book,
            &applied,
            &sales,
            settings,
            &parties.0,
            &parties.1,
            date("2026-12-05"),
            &mut ledger,
        );
        let again = retro_run(
            &book,
            &applied,
            &sales,
            settings,
            &parties.0,
            &parties.1,
            date("2026-12-05"),
            &mut ledger,
        );
        assert_eq!(
            again, None,
            "a rerun per (contract, version) creates nothing"
        );
        match first {
            None => vec!["not retroactive".into()],
            Some(run) => run
                .lines
                .iter()
                .map(|l| format!("{:?} {} {}", l.action, l.original.line, l.amount))
                .collect(),
        }
    }

    fn price_change(effective: &str) -> schemas::Contract {
        let mut change = sample_contract();
        change.action = Action::Change;
        change.date = date("2026-12-01");
        change.source.interchange = "000000102".into();
        change.eligible.clear();
        change.items = vec![change.items[1].clone()];
        change.items[0].action = ItemAction::PriceChange;
        change.items[0].contract_price = "29.00".parse().ok();
        change.items[0].wac = None;
        change.items[0].start = Some(date(effective));
        change.items[0].end = None;
        change
    }

    /// §5.3 example: 12345020101 from 30.00 to 29.00.
    #[test]
    fn price_decrease_effective_later_is_not_retroactive() {
        assert_eq!(
            run(&price_change("2026-12-01"), &EngineSettings::default()),
            ["not retroactive"]
        );
    }

    #[test]
    fn back_dated_price_gives_a_delta_line() {
        assert_eq!(
            run(&price_change("2026-11-01"), &EngineSettings::default()),
            ["Delta 2 4.00"]
        );
    }

    #[test]
    fn earlier_contract_start_resubmits_line_6() {
        let mut change = sample_contract();
        change.action = Action::Replace;
        change.date = date("2026-12-01");
        change.source.interchange = "000000104".into();
        change.effective = date("2026-10-01");
        for party in &mut change.eligible {
            party.start = Some(date("2026-10-01"));
        }
        for item in &mut change.items {
            item.start = Some(date("2026-10-01"));
        }
        assert_eq!(
            run(&change, &EngineSettings::default()),
            ["Resubmission 6 6.25"]
        );
    }

    #[test]
    fn clawback_only_with_retro_clawback() {
        let mut cheaper = price_change("2026-11-01");
        cheaper.items[0].contract_price = "31.00".parse().ok();
        assert_eq!(
            run(&cheaper, &EngineSettings::default()),
            Vec::<String>::new()
        );
        let settings = EngineSettings {
            retro_clawback: true,
            ..EngineSettings::default()
        };
        assert_eq!(run(&cheaper, &settings), ["Clawback 2 -4.00"]);
    }

    /// §5.3 window: a sale older than `claim_window_days` before today is retro-eligible but
    /// expired (the leakage report), not a line of the batch.
    #[test]
    fn claim_window_sends_old_sales_to_expired() {
        let mut book = ContractBook::new();
        let _ = book.apply(&sample_contract());
        let applied = match book.apply(&price_change("2026-11-01")) {
            Ok(a) => a,
            Err(e) => panic!("{e}"),
        };
        let settings = EngineSettings {
            claim_window_days: Some(20),
            ..EngineSettings::default()
        };
        let run = retro_run(
            &book,
            &applied,
            &[paid(2, "48.00")],
            &settings,
            &PartyKey::new("1", "987654321"),
            &PartyKey::new("1", "123456789"),
            date("2026-12-05"),
            &mut RetroLedger::default(),
        );
        let Some(run) = run else {
            panic!("retroactive change");
        };
        assert!(run.lines.is_empty(), "{:?}", run.lines);
        assert_eq!(run.expired.len(), 1);
        assert_eq!(run.expired[0].line, "2");
    }

    fn claimed_line(status: LineStatus, accepted: &str) -> BatchLine {
        let (batch, _) = crate::batch::Batch::open(
            crate::rules::tests::sample_header("b"),
            &EngineSettings::default(),
            vec![SaleLine::from(&sample_claim().lines[1])],
            &crate::audit::Actor::System,
            date("2026-11-15"),
        );
        let mut line = batch.lines[0].clone();
        line.status = status;
        line.accepted_amount = accepted.parse().ok();
        line
    }

    fn answered(outcome: LineOutcome, approved: &str, reason: Option<&str>) -> ClaimLineRecord {
        let line = claimed_line(LineStatus::Claimed, "48.00");
        let mut c = ClaimLineRecord::from_batch_line(1, "b", &line);
        c.outcome = Some(outcome);
        c.approved_amount = approved.parse().ok();
        c.reason_code = reason.map(str::to_owned);
        c
    }

    /// §5.3 "Before": paid at the 849's approved amount, rejected for eligibility by AAA03
    /// 19, or by a reviewer; other rejections are not retro candidates; earlier retro lines
    /// add to what was paid.
    #[test]
    fn past_state_of_stored_lines() {
        let claimed = claimed_line(LineStatus::Claimed, "48.00");
        let zero = Decimal::ZERO;
        assert_eq!(
            past_state(
                &claimed,
                Some(&answered(LineOutcome::Adjusted, "40.00", Some("06"))),
                zero
            ),
            Some(PastState::Paid {
                amount: "40.00".parse().unwrap_or_default()
            })
        );
        assert_eq!(
            past_state(
                &claimed,
                Some(&answered(LineOutcome::Rejected, "0.00", Some("19"))),
                zero
            ),
            Some(PastState::RejectedForEligibility)
        );
        assert_eq!(
            past_state(
                &claimed,
                Some(&answered(LineOutcome::Rejected, "0.00", Some("12"))),
                zero
            ),
            None
        );
        assert_eq!(
            past_state(&claimed, None, "4.00".parse().unwrap_or_default()),
            Some(PastState::Paid {
                amount: "52.00".parse().unwrap_or_default()
            })
        );
        let mut rejected = claimed_line(LineStatus::Rejected, "");
        rejected.reject_reason = Some(RejectReason::EligibilityDisputed);
        assert_eq!(
            past_state(&rejected, None, zero),
            Some(PastState::RejectedForEligibility)
        );
        rejected.reject_reason = Some(RejectReason::Duplicate);
        assert_eq!(past_state(&rejected, None, zero), None);
        let accepted = claimed_line(LineStatus::Accepted, "48.00");
        assert_eq!(past_state(&accepted, None, zero), None);
    }

    /// A Retro batch is Review and Claim whatever the profile says; its lines are Accepted at
    /// the run's amounts, linked to their originals, and it waits for review.
    #[test]
    fn retro_batch_waits_for_review_with_linked_lines() {
        let mut book = ContractBook::new();
        let _ = book.apply(&sample_contract());
        let applied = match book.apply(&price_change("2026-11-01")) {
            Ok(a) => a,
            Err(e) => panic!("{e}"),
        };
        let ic = EngineSettings {
            batch_mode: crate::settings::BatchMode::ImmediateClaim,
            ..EngineSettings::default()
        };
        let Some(run) = retro_run(
            &book,
            &applied,
            &[paid(2, "48.00")],
            &ic,
            &PartyKey::new("1", "987654321"),
            &PartyKey::new("1", "123456789"),
            date("2026-12-05"),
            &mut RetroLedger::default(),
        ) else {
            panic!("retroactive change");
        };
        let (batch, out) = match crate::batch::Batch::open_retro(
            crate::rules::tests::sample_header("retro"),
            &ic,
            &run,
            &crate::audit::Actor::User("ann".into()),
            date("2026-12-05"),
        ) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(batch.header.kind, crate::batch::BatchKind::Retro);
        assert_eq!(batch.mode, crate::settings::BatchMode::ReviewAndClaim);
        assert_eq!(batch.status, crate::batch::BatchStatus::AwaitingReview);
        assert_eq!(batch.lines.len(), 1);
        assert_eq!(batch.lines[0].status, LineStatus::Accepted);
        assert_eq!(batch.lines[0].accepted_amount, "4.00".parse().ok());
        assert_eq!(
            batch.lines[0].sale.corrects,
            Some(LineRef {
                batch: "GDD-CB-20261115-0001".into(),
                line: "2".into()
            })
        );
        let events: Vec<&str> = out.events.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(
            events,
            ["B1 open", "L4 retro line", "B5 retro lines to review"]
        );
        let empty = crate::batch::Batch::open_retro(
            crate::rules::tests::sample_header("retro"),
            &ic,
            &RetroRun::default(),
            &crate::audit::Actor::System,
            date("2026-12-05"),
        );
        assert!(empty.is_err(), "an empty run makes no batch");
    }

    /// The sale was invoiced at the old contract price (30.00): repricing it to 29.00 is not
    /// a resale above contract; line 2 still gets its +4.00 delta.
    #[test]
    fn sell_price_of_the_past_sale_does_not_block_the_delta() {
        let mut book = ContractBook::new();
        let _ = book.apply(&sample_contract());
        let applied = match book.apply(&price_change("2026-11-01")) {
            Ok(a) => a,
            Err(e) => panic!("{e}"),
        };
        let mut sale = paid(2, "48.00");
        sale.sale.sell_price = "30.00".parse().ok();
        let run = retro_run(
            &book,
            &applied,
            &[sale],
            &EngineSettings::default(),
            &PartyKey::new("1", "987654321"),
            &PartyKey::new("1", "123456789"),
            date("2026-12-05"),
            &mut RetroLedger::default(),
        );
        let amounts: Vec<Decimal> = run
            .map(|r| r.lines.iter().map(|l| l.amount).collect())
            .unwrap_or_default();
        assert_eq!(amounts, ["4.00".parse().unwrap_or_default()]);
    }
}
