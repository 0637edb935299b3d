//! Retroactive contract changes (§5.3): after an approved back-dated contract, price, item or
//! member change, past sales are re-evaluated (V2–V10 against the new version) and each gives
//! a new retro line, a resubmission, a delta or (with `retro_clawback`) a negative adjustment.
//! A rerun for the same (contract, version) creates nothing new.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::batch::LineStatus;
use crate::contracts::{Applied, ContractBook};
use crate::duplicates::LineHistory;
use crate::identity::{PartyKey, write_item_key};
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
    let run_settings = EngineSettings {
        derive_contract: Some(false),
        allow_unmatched_returns: true,
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
            line.claimed_reference_price = Some(
                pricing
                    .factor
                    .price_per_sale_unit(pricing.reference_price)
                    .unwrap_or(pricing.reference_price),
            );
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
}
