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

/// Profile -> engine settings (chargeback-rules 2.1): `[money]`, `[rules]` (its
/// `[[rules.uom_conversions]]` with their items normalized as a contract's), and the
/// reject-code and follow-up mapping of `[reject_codes]` / `[follow_up_codes]`.
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
        uom_conversions: uom_conversions(profile)?,
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

/// `[[rules.uom_conversions]]` as the engine looks them up (`ContractBook::uom_factor`), in
/// file order: each item normalized as a contract's items are (and as a reference price
/// list's `item` with its `item_qualifier`: `NDC:12345010001`). The profile loader checked
/// units and factors; an item that is no item id, or two entries whose items normalize to the
/// same one with the same units, are refused here, naming the profile and the entry.
fn uom_conversions(profile: &Profile) -> Result<Vec<es::UomConversion>, ApplyError> {
    let refuse = |reason: String| ApplyError::Profile {
        partner: profile.id.clone(),
        reason,
    };
    let mut out: Vec<es::UomConversion> = Vec::with_capacity(profile.rules.uom_conversions.len());
    for (i, c) in profile.rules.uom_conversions.iter().enumerate() {
        let item = match &c.item {
            None => None,
            Some(id) => Some(
                engine::price_lists::item_key(c.item_qualifier.as_deref(), id).map_err(|why| {
                    refuse(format!(
                        "[[rules.uom_conversions]] entry {} ({c}): item \"{id}\" {why}",
                        i + 1
                    ))
                })?,
            ),
        };
        let same = |o: &es::UomConversion| {
            o.item == item
                && o.from.eq_ignore_ascii_case(&c.from)
                && o.to.eq_ignore_ascii_case(&c.to)
        };
        if let Some(earlier) = out.iter().position(same) {
            return Err(refuse(format!(
                "[[rules.uom_conversions]] entry {} ({c}) converts the same item ({}) from {} to \
                 {} as entry {}",
                i + 1,
                item.as_deref().unwrap_or("every item"),
                c.from,
                c.to,
                earlier + 1
            )));
        }
        out.push(es::UomConversion {
            item,
            from: c.from.clone(),
            to: c.to.clone(),
            num: c.num,
            den: c.den,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(conversions: &str) -> Profile {
        let text = format!(
            "version = 1\nid = \"acme\"\nname = \"ACME\"\nrole = \"supplier\"\n\n\
             [x12]\nisa_qualifier = \"ZZ\"\nisa_id = \"ACME\"\nversion = \"004010\"\n\n\
             [rules]\n{conversions}"
        );
        Profile::from_toml_str(&text, "acme.toml").expect("profile loads")
    }

    fn conversion(
        item: Option<&str>,
        from: &str,
        to: &str,
        num: u32,
        den: u32,
    ) -> es::UomConversion {
        es::UomConversion {
            item: item.map(str::to_owned),
            from: from.to_owned(),
            to: to.to_owned(),
            num,
            den,
        }
    }

    #[test]
    fn uom_conversions_become_engine_settings_with_normalized_items() {
        let p = profile(
            "[[rules.uom_conversions]]\nfrom = \"EA\"\nto = \"CA\"\nfactor = \"1/12\"\n\
             item = \"12345-0100-01\"\n\n\
             [[rules.uom_conversions]]\nfrom = \"EA\"\nto = \"CA\"\nfactor = \"1/24\"\n\n\
             [[rules.uom_conversions]]\nfrom = \"CA\"\nto = \"EA\"\nfactor = \"12\"\n\
             item = \"1234501000\"\nitem_qualifier = \"N2\"\n\n\
             [[rules.uom_conversions]]\nfrom = \"BX\"\nto = \"EA\"\nfactor = \"10\"\n\
             item = \"00312345010003\"\n\n\
             [[rules.uom_conversions]]\nfrom = \"EA\"\nto = \"BX\"\nfactor = \"1/10\"\n\
             item = \"AB-100\"\nitem_qualifier = \"VP\"\n",
        );
        let settings = convert(&p).expect("converts").settings;
        assert_eq!(
            settings.uom_conversions,
            [
                conversion(Some("NDC:12345010001"), "EA", "CA", 1, 12),
                conversion(None, "EA", "CA", 1, 24),
                conversion(Some("NDC:12345001000"), "CA", "EA", 12, 1),
                conversion(Some("UK:00312345010003"), "BX", "EA", 10, 1),
                conversion(Some("VP:AB-100"), "EA", "BX", 1, 10),
            ]
        );
        // Without the setting, none: the spec's default.
        let none = convert(&profile("")).expect("converts").settings;
        assert!(none.uom_conversions.is_empty());
    }

    #[test]
    fn an_item_that_does_not_normalize_is_refused_naming_profile_and_entry() {
        let p = profile(
            "[[rules.uom_conversions]]\nfrom = \"EA\"\nto = \"CA\"\nfactor = \"1/12\"\n\n\
             [[rules.uom_conversions]]\nfrom = \"EA\"\nto = \"CA\"\nfactor = \"1/12\"\n\
             item = \"1234501000\"\n",
        );
        let err = convert(&p).expect_err("a ten-digit NDC needs its qualifier");
        assert_eq!(
            err.to_string(),
            "profile acme: [[rules.uom_conversions]] entry 2 (EA -> CA 1/12, item 1234501000): \
             item \"1234501000\" is ten digits: write an NDC-10 with its hyphens, or name its \
             item_qualifier (N1, N2 or N3; VP for a part number)"
        );
    }

    #[test]
    fn two_spellings_of_one_item_with_the_same_units_are_refused() {
        let p = profile(
            "[[rules.uom_conversions]]\nfrom = \"EA\"\nto = \"CA\"\nfactor = \"1/12\"\n\
             item = \"12345-0100-01\"\n\n\
             [[rules.uom_conversions]]\nfrom = \"EA\"\nto = \"CA\"\nfactor = \"1/10\"\n\
             item = \"12345010001\"\n",
        );
        let err = convert(&p).expect_err("the same item twice");
        assert_eq!(
            err.to_string(),
            "profile acme: [[rules.uom_conversions]] entry 2 (EA -> CA 1/10, item 12345010001) \
             converts the same item (NDC:12345010001) from EA to CA as entry 1"
        );
    }
}
