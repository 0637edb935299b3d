//! Engine settings: the partner-profile rules of §2.1 and §13, frozen onto each batch.
//!
//! The engine does not read profiles; the integration converts a partner profile into an
//! [`EngineSettings`]. `Default` gives the spec's defaults, which offline commands apply to a
//! partner without a profile (§13.13).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use schemas::FollowUp;
use serde::{Deserialize, Serialize};

use crate::reasons::ReasonCode;

/// Which side of the relationship this installation plays (§1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Distributor side: validates before sending, builds 844s, reconciles 849s.
    Claimant,
    /// Supplier side: validates inbound 844s, settles by credit memo, answers with 849s.
    Adjudicator,
}

/// Batch mode (§6.1), frozen on the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchMode {
    /// IC: pay valid lines now, resolve disputes later; at most two claims.
    ImmediateClaim,
    /// RC: hold all lines until review; at most one claim.
    ReviewAndClaim,
}

/// Which sale date prices a line (`pricing_date_basis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PricingDateBasis {
    /// Invoice date (default).
    InvoiceDate,
    /// Ship date.
    ShipDate,
}

/// What the reference price is (`reference_price_basis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferencePriceBasis {
    /// Wholesale acquisition cost (pharma, default).
    Wac,
    /// Book cost (ship and debit); a mismatch answers AAA03 31.
    Book,
    /// Distributor cost.
    Distributor,
    /// A cost stated on the contract.
    ContractStated,
}

/// Rounding of a line amount (`rounding_strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingStrategy {
    /// Half away from zero (default).
    HalfAwayFromZero,
    /// Half to even (banker's).
    HalfEven,
}

impl RoundingStrategy {
    /// The `rust_decimal` strategy.
    pub fn to_decimal(self) -> rust_decimal::RoundingStrategy {
        match self {
            Self::HalfAwayFromZero => rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            Self::HalfEven => rust_decimal::RoundingStrategy::MidpointNearestEven,
        }
    }
}

/// Where the single rounding happens (`rounding_order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingOrder {
    /// round(unit_cb × qty × num / den) (default).
    ExtendThenRound,
    /// round(round(unit_cb) × qty × num / den).
    RoundUnitThenExtend,
}

/// Which amount an accepted line is paid at when it passes V9 within tolerance (`pay_basis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayBasis {
    /// The lower of claimed and calculated (default).
    Lower,
    /// The claimed amount.
    Claimed,
    /// The calculated amount.
    Calculated,
}

/// How sale lines are cut into batches as claimant (`claim_trigger`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimTrigger {
    /// One batch per invoice as it posts.
    Immediate,
    /// One per supplier and day (default).
    Daily,
    /// One per supplier and week.
    Weekly,
    /// One per supplier and month.
    Monthly,
}

/// What an unattended adjudication does with Amount Disputed lines (§13.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnattendedAmountDisputes {
    /// Answer `AAA*N`, the reason, follow-up N, approved = calculated (default).
    PayCalculated,
    /// Answer approved 0.
    Reject,
    /// Leave the batch Awaiting Review; no 849.
    Hold,
}

/// A partner's own AAA03/AAA04 for one reason code (the profile's reject-code mapping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct X12Reason {
    /// AAA03 reject reason as the partner wants it.
    pub aaa03: String,
    /// AAA04 follow-up; the table's default when absent.
    pub aaa04: Option<FollowUp>,
}

/// An exact unit-of-measure conversion: `num / den` contract units per sale unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UomConversion {
    /// Normalized item id the conversion is for (`NDC:12345010001`); every item when absent.
    pub item: Option<String>,
    /// Sale unit (`EA`).
    pub from: String,
    /// Contract unit (`CA`).
    pub to: String,
    /// Numerator of the factor.
    pub num: u32,
    /// Denominator of the factor (12 for an EA against a 12-EA case).
    pub den: u32,
}

/// Every rule setting of §2.1 and §13, with the spec's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineSettings {
    /// `batch_mode`.
    pub batch_mode: BatchMode,
    /// `pricing_date_basis`.
    pub pricing_date_basis: PricingDateBasis,
    /// `reference_price_basis`.
    pub reference_price_basis: ReferencePriceBasis,
    /// `rounding_strategy`.
    pub rounding_strategy: RoundingStrategy,
    /// `rounding_order`.
    pub rounding_order: RoundingOrder,
    /// `amount_scale`: decimals of the currency (2 for USD).
    pub amount_scale: u32,
    /// `abs_tol`: absolute tolerance per line.
    pub abs_tol: Decimal,
    /// `pct_tol`: tolerance as a fraction of |calculated| (0.01 = 1 %).
    pub pct_tol: Decimal,
    /// `header_tol`: absolute limit per claim of Σ|variance| over lines passed thanks to
    /// tolerance (§13.4).
    pub header_tol: Decimal,
    /// `pay_basis`.
    pub pay_basis: PayBasis,
    /// `claim_window_days`; unset = no window.
    pub claim_window_days: Option<u32>,
    /// `allow_negative_lines`.
    pub allow_negative_lines: bool,
    /// `derive_contract`; unset = on as claimant, off as adjudicator.
    pub derive_contract: Option<bool>,
    /// `auto_partial_approve`: accept the part of a line that fits its cap.
    pub auto_partial_approve: bool,
    /// `retro_clawback`: retro runs may produce negative adjustments.
    pub retro_clawback: bool,
    /// `auto_approve_limit`.
    pub auto_approve_limit: Decimal,
    /// `writeoff_threshold`.
    pub writeoff_threshold: Decimal,
    /// `resubmission_limit` per line.
    pub resubmission_limit: u32,
    /// `no_response_days`.
    pub no_response_days: u32,
    /// `claim_trigger`.
    pub claim_trigger: ClaimTrigger,
    /// `interim_849`.
    pub interim_849: bool,
    /// `dispute_due_days`.
    pub dispute_due_days: u32,
    /// `unattended_amount_disputes` (§13.1).
    pub unattended_amount_disputes: UnattendedAmountDisputes,
    /// `allow_unmatched_returns` (§13.10).
    pub allow_unmatched_returns: bool,
    /// Reject-code mapping: a partner's own AAA03/AAA04 per reason code.
    pub reject_codes: BTreeMap<ReasonCode, X12Reason>,
    /// Exact UOM conversions beyond the identity.
    pub uom_conversions: Vec<UomConversion>,
    /// The profile maps an invoice line number, so it is part of the duplicate key (§13.9).
    pub invoice_line_in_key: bool,
    /// Suffix for resubmitted debit memos (`-R` gives `-R1`, `-R2`, ...; §7.5).
    pub resubmission_suffix: String,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            batch_mode: BatchMode::ReviewAndClaim,
            pricing_date_basis: PricingDateBasis::InvoiceDate,
            reference_price_basis: ReferencePriceBasis::Wac,
            rounding_strategy: RoundingStrategy::HalfAwayFromZero,
            rounding_order: RoundingOrder::ExtendThenRound,
            amount_scale: 2,
            abs_tol: Decimal::new(1, 2),
            pct_tol: Decimal::ZERO,
            header_tol: Decimal::new(100, 2),
            pay_basis: PayBasis::Lower,
            claim_window_days: None,
            allow_negative_lines: true,
            derive_contract: None,
            auto_partial_approve: false,
            retro_clawback: false,
            auto_approve_limit: Decimal::new(0, 2),
            writeoff_threshold: Decimal::new(0, 2),
            resubmission_limit: 3,
            no_response_days: 45,
            claim_trigger: ClaimTrigger::Daily,
            interim_849: false,
            dispute_due_days: 90,
            unattended_amount_disputes: UnattendedAmountDisputes::PayCalculated,
            allow_unmatched_returns: false,
            reject_codes: BTreeMap::new(),
            uom_conversions: Vec::new(),
            invoice_line_in_key: false,
            resubmission_suffix: "-R".to_owned(),
        }
    }
}

impl EngineSettings {
    /// Whether contract derivation (§3.2) runs for `role`.
    pub fn derive_contract_for(&self, role: Role) -> bool {
        self.derive_contract.unwrap_or(role == Role::Claimant)
    }

    /// AAA03 and AAA04 for a reason, after the partner's mapping.
    pub fn x12_reason(&self, reason: ReasonCode) -> (String, FollowUp) {
        if let Some(mapped) = self.reject_codes.get(&reason) {
            return (
                mapped.aaa03.clone(),
                mapped.aaa04.unwrap_or_else(|| reason.aaa04()),
            );
        }
        let aaa03 = if self.reference_price_basis == ReferencePriceBasis::Book {
            reason.aaa03_for_book_cost()
        } else {
            reason.aaa03()
        };
        (aaa03.to_owned(), reason.aaa04())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_section_2_1_and_13() {
        let settings = EngineSettings::default();
        assert_eq!(settings.batch_mode, BatchMode::ReviewAndClaim);
        assert_eq!(settings.abs_tol.to_string(), "0.01");
        assert_eq!(settings.header_tol.to_string(), "1.00");
        assert_eq!(settings.pay_basis, PayBasis::Lower);
        assert_eq!(settings.resubmission_limit, 3);
        assert_eq!(settings.no_response_days, 45);
        assert_eq!(settings.dispute_due_days, 90);
        assert!(settings.derive_contract_for(Role::Claimant));
        assert!(!settings.derive_contract_for(Role::Adjudicator));
        assert_eq!(
            settings.unattended_amount_disputes,
            UnattendedAmountDisputes::PayCalculated
        );
        assert!(!settings.allow_unmatched_returns);
    }

    #[test]
    fn partner_mapping_overrides_the_table() {
        let mut settings = EngineSettings::default();
        assert_eq!(
            settings.x12_reason(ReasonCode::CustomerNotEligible),
            ("26".to_owned(), FollowUp::NoResubmission)
        );
        settings.reject_codes.insert(
            ReasonCode::CustomerNotEligible,
            X12Reason {
                aaa03: "ZZ".into(),
                aaa04: None,
            },
        );
        assert_eq!(
            settings.x12_reason(ReasonCode::CustomerNotEligible),
            ("ZZ".to_owned(), FollowUp::NoResubmission)
        );
        settings.reference_price_basis = ReferencePriceBasis::Book;
        assert_eq!(
            settings.x12_reason(ReasonCode::ReferencePriceMismatch).0,
            "31"
        );
    }
}
