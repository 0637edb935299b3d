//! Per-partner engine settings and roles, converted once from the partner profiles.

use std::collections::BTreeMap;

use engine::ReasonCode;
use engine::settings::{self as es, EngineSettings, X12Reason};
use partner_maps::profile::{self as pm, Profile};
use partner_maps::registry::ProfileSet;
use schemas::FollowUp;

use crate::error::ApplyError;

/// What a partner is to us (`role` in its profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerRole {
    /// Owns contracts and pays claims: sends 845/849, receives 844/867. We are the claimant.
    Supplier,
    /// Claims from us: sends 844/867, receives 845/849. We are the adjudicator.
    Distributor,
}

impl PartnerRole {
    /// `supplier` or `distributor`.
    pub fn as_str(self) -> &'static str {
        match self {
            PartnerRole::Supplier => "supplier",
            PartnerRole::Distributor => "distributor",
        }
    }
}

/// One partner: its role, engine settings and claim-number prefix.
#[derive(Debug, Clone)]
pub struct Partner {
    /// Profile id.
    pub id: String,
    /// Role from the profile.
    pub role: PartnerRole,
    /// The profile's `[money]`, `[rules]` and `[reject_codes]` as engine settings.
    pub settings: EngineSettings,
    /// Prefix of the claim (debit memo) numbers we generate for this partner's sales
    /// (`<prefix>-<yyyymmdd>-<seq>`); the upper-cased id unless set.
    pub claim_prefix: String,
}

/// Every partner, keyed by profile id.
#[derive(Debug, Clone, Default)]
pub struct Partners {
    by_id: BTreeMap<String, Partner>,
    /// The contract book shared by every application in this process.
    pub(crate) cache: crate::book::BookCache,
}

impl Partners {
    /// Converts every profile of the set.
    pub fn from_profiles(set: &ProfileSet) -> Result<Self, ApplyError> {
        let mut by_id = BTreeMap::new();
        for profile in set.iter() {
            let partner = convert(profile)?;
            by_id.insert(partner.id.clone(), partner);
        }
        Ok(Partners {
            by_id,
            cache: Default::default(),
        })
    }

    /// Adds or replaces one partner (tests, a profile reloaded at run time).
    pub fn insert(&mut self, partner: Partner) {
        self.by_id.insert(partner.id.clone(), partner);
    }

    /// A partner by id.
    pub fn get(&self, id: &str) -> Result<&Partner, ApplyError> {
        self.by_id
            .get(id)
            .ok_or_else(|| ApplyError::UnknownPartner(id.to_owned()))
    }

    /// A partner by id, to change its settings (e.g. the claim prefix).
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Partner> {
        self.by_id.get_mut(id)
    }

    /// Every partner in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Partner> {
        self.by_id.values()
    }
}

/// Profile -> engine settings (chargeback-rules 2.1): `[money]`, `[rules]`, and the reject-code
/// and follow-up mapping of `[reject_codes]` / `[follow_up_codes]`.
pub fn convert(profile: &Profile) -> Result<Partner, ApplyError> {
    let money = &profile.money;
    let rules = &profile.rules;
    let mut settings = EngineSettings {
        batch_mode: match rules.batch_mode {
            pm::BatchMode::ReviewAndClaim => es::BatchMode::ReviewAndClaim,
            pm::BatchMode::ImmediateClaim => es::BatchMode::ImmediateClaim,
        },
        pricing_date_basis: match rules.pricing_date_basis {
            pm::DateBasis::Invoice => es::PricingDateBasis::InvoiceDate,
            pm::DateBasis::Ship => es::PricingDateBasis::ShipDate,
        },
        reference_price_basis: match rules.reference_price_basis {
            pm::ReferencePriceBasis::Wac => es::ReferencePriceBasis::Wac,
            pm::ReferencePriceBasis::Book => es::ReferencePriceBasis::Book,
            pm::ReferencePriceBasis::Distributor => es::ReferencePriceBasis::Distributor,
            pm::ReferencePriceBasis::ContractStated => es::ReferencePriceBasis::ContractStated,
        },
        rounding_strategy: match money.rounding {
            pm::RoundingStrategy::HalfAwayFromZero => es::RoundingStrategy::HalfAwayFromZero,
            pm::RoundingStrategy::HalfEven => es::RoundingStrategy::HalfEven,
        },
        rounding_order: match money.rounding_order {
            pm::RoundingOrder::ExtendThenRound => es::RoundingOrder::ExtendThenRound,
            pm::RoundingOrder::RoundUnitThenExtend => es::RoundingOrder::RoundUnitThenExtend,
        },
        amount_scale: money.scale,
        abs_tol: money.abs_tol,
        pct_tol: money.pct_tol,
        header_tol: money.header_tol,
        pay_basis: match rules.pay_basis {
            pm::PayBasis::Lower => es::PayBasis::Lower,
            pm::PayBasis::Claimed => es::PayBasis::Claimed,
            pm::PayBasis::Calculated => es::PayBasis::Calculated,
        },
        claim_window_days: rules.claim_window_days,
        allow_negative_lines: rules.allow_negative_lines,
        derive_contract: Some(rules.derive_contract),
        auto_partial_approve: rules.auto_partial_approve,
        retro_clawback: rules.retro_clawback,
        auto_approve_limit: rules.auto_approve_limit,
        writeoff_threshold: rules.writeoff_threshold,
        resubmission_limit: rules.resubmission_limit,
        no_response_days: rules.no_response_days,
        claim_trigger: match rules.claim_trigger {
            pm::ClaimTrigger::Immediate => es::ClaimTrigger::Immediate,
            pm::ClaimTrigger::Daily => es::ClaimTrigger::Daily,
            pm::ClaimTrigger::Weekly => es::ClaimTrigger::Weekly,
            pm::ClaimTrigger::Monthly => es::ClaimTrigger::Monthly,
        },
        interim_849: rules.interim_849,
        dispute_due_days: rules.dispute_due_days,
        unattended_amount_disputes: match rules.unattended_amount_disputes {
            pm::UnattendedAmountDisputes::PayCalculated => {
                es::UnattendedAmountDisputes::PayCalculated
            }
            pm::UnattendedAmountDisputes::Reject => es::UnattendedAmountDisputes::Reject,
            pm::UnattendedAmountDisputes::Hold => es::UnattendedAmountDisputes::Hold,
        },
        allow_unmatched_returns: rules.allow_unmatched_returns,
        ..EngineSettings::default()
    };
    for (reason, aaa03, aaa04) in profile.reject_codes.iter() {
        let Some(code) = ReasonCode::from_code(reason.code()) else {
            // A profile reason the engine does not raise (e.g. the header-level duplicate
            // debit memo) has nothing to map.
            continue;
        };
        settings.reject_codes.insert(
            code,
            X12Reason {
                aaa03: aaa03.to_owned(),
                aaa04: FollowUp::from_code(aaa04),
            },
        );
    }
    let role = match profile.role {
        pm::Role::Supplier => PartnerRole::Supplier,
        pm::Role::Distributor => PartnerRole::Distributor,
    };
    if profile.id.is_empty() {
        return Err(ApplyError::Profile {
            partner: profile.name.clone(),
            reason: "empty id".into(),
        });
    }
    Ok(Partner {
        id: profile.id.clone(),
        role,
        settings,
        claim_prefix: profile.id.to_uppercase(),
    })
}
