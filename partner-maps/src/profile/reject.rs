//! Internal reject reasons and the AAA03 code each one is answered with in an 849.
//!
//! The defaults are the table of chargeback-rules.md section 3 (plus the header-level duplicate
//! debit memo of section 5.2); a profile's `[reject_codes]` overrides them one by one for
//! partners that use their own subset of element 901.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::codes::ReferencePriceBasis;

/// Why the engine refuses (part of) a claim line. The TOML spelling is the SCREAMING_SNAKE
/// reason code (`CUSTOMER_NOT_ELIGIBLE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RejectReason {
    /// V0: a required field is missing.
    DataMissing,
    /// V0: a field does not parse, or arithmetic overflowed.
    DataInvalid,
    /// V0: the item id is not well formed or not in the item master.
    ItemUnknown,
    /// V0: the unit of measure does not convert.
    UomUnknown,
    /// V1: the same line occurs earlier in the claim.
    DuplicateInBatch,
    /// V1: the line was claimed before.
    DuplicatePrior,
    /// 5.2: the whole debit memo was received before (header-level reject).
    DuplicateDebitMemo,
    /// V2: no such contract.
    ContractUnknown,
    /// V2: the contract was cancelled.
    ContractCancelled,
    /// V2: the distributor is not authorized on the contract.
    DistributorNotAuthorized,
    /// V3: the sale predates the contract.
    ContractNotStarted,
    /// V3: the sale is after the contract's end.
    ContractExpired,
    /// V4: the item is not on the contract.
    ItemNotOnContract,
    /// V4: the item is priced per class of trade, differently, and the line's class is not
    /// known.
    ClassOfTradeUnknown,
    /// V5: the end customer is not eligible on the pricing date.
    CustomerNotEligible,
    /// V5: the customer's GPO membership is not active.
    MembershipInactive,
    /// V6: the pricing date is in the future.
    DateInFuture,
    /// V6: the ship date is after the claim date, or a date is invalid.
    DateInvalid,
    /// V6: the claim is later than `claim_window_days` after the sale.
    ClaimWindowExpired,
    /// V7: negative line not allowed, or a return without a known original.
    DebitNotSupported,
    /// V8: the reference price is not above the contract price.
    NotBelowReference,
    /// V8: the claimed contract price differs from the contract.
    ContractPriceMismatch,
    /// V8: the claimed reference price (WAC or book cost) differs from ours.
    ReferencePriceMismatch,
    /// V8: the resale price is above the contract price.
    ResaleAboveContract,
    /// V9: the claimed amount is beyond tolerance.
    AmountMismatch,
    /// V10: the line exceeds the remaining cap.
    CapExceeded,
    /// V10: the cap is used up.
    CapExhausted,
}

impl RejectReason {
    /// Every reason, in pipeline order.
    pub const ALL: [RejectReason; 27] = [
        RejectReason::DataMissing,
        RejectReason::DataInvalid,
        RejectReason::ItemUnknown,
        RejectReason::UomUnknown,
        RejectReason::DuplicateInBatch,
        RejectReason::DuplicatePrior,
        RejectReason::DuplicateDebitMemo,
        RejectReason::ContractUnknown,
        RejectReason::ContractCancelled,
        RejectReason::DistributorNotAuthorized,
        RejectReason::ContractNotStarted,
        RejectReason::ContractExpired,
        RejectReason::ItemNotOnContract,
        RejectReason::ClassOfTradeUnknown,
        RejectReason::CustomerNotEligible,
        RejectReason::MembershipInactive,
        RejectReason::DateInFuture,
        RejectReason::DateInvalid,
        RejectReason::ClaimWindowExpired,
        RejectReason::DebitNotSupported,
        RejectReason::NotBelowReference,
        RejectReason::ContractPriceMismatch,
        RejectReason::ReferencePriceMismatch,
        RejectReason::ResaleAboveContract,
        RejectReason::AmountMismatch,
        RejectReason::CapExceeded,
        RejectReason::CapExhausted,
    ];

    /// The reason code as written in profiles, reports and the engine (`CUSTOMER_NOT_ELIGIBLE`).
    pub fn code(self) -> &'static str {
        match self {
            RejectReason::DataMissing => "DATA_MISSING",
            RejectReason::DataInvalid => "DATA_INVALID",
            RejectReason::ItemUnknown => "ITEM_UNKNOWN",
            RejectReason::UomUnknown => "UOM_UNKNOWN",
            RejectReason::DuplicateInBatch => "DUPLICATE_IN_BATCH",
            RejectReason::DuplicatePrior => "DUPLICATE_PRIOR",
            RejectReason::DuplicateDebitMemo => "DUPLICATE_DEBIT_MEMO",
            RejectReason::ContractUnknown => "CONTRACT_UNKNOWN",
            RejectReason::ContractCancelled => "CONTRACT_CANCELLED",
            RejectReason::DistributorNotAuthorized => "DISTRIBUTOR_NOT_AUTHORIZED",
            RejectReason::ContractNotStarted => "CONTRACT_NOT_STARTED",
            RejectReason::ContractExpired => "CONTRACT_EXPIRED",
            RejectReason::ItemNotOnContract => "ITEM_NOT_ON_CONTRACT",
            RejectReason::ClassOfTradeUnknown => "CLASS_OF_TRADE_UNKNOWN",
            RejectReason::CustomerNotEligible => "CUSTOMER_NOT_ELIGIBLE",
            RejectReason::MembershipInactive => "MEMBERSHIP_INACTIVE",
            RejectReason::DateInFuture => "DATE_IN_FUTURE",
            RejectReason::DateInvalid => "DATE_INVALID",
            RejectReason::ClaimWindowExpired => "CLAIM_WINDOW_EXPIRED",
            RejectReason::DebitNotSupported => "DEBIT_NOT_SUPPORTED",
            RejectReason::NotBelowReference => "NOT_BELOW_REFERENCE",
            RejectReason::ContractPriceMismatch => "CONTRACT_PRICE_MISMATCH",
            RejectReason::ReferencePriceMismatch => "REFERENCE_PRICE_MISMATCH",
            RejectReason::ResaleAboveContract => "RESALE_ABOVE_CONTRACT",
            RejectReason::AmountMismatch => "AMOUNT_MISMATCH",
            RejectReason::CapExceeded => "CAP_EXCEEDED",
            RejectReason::CapExhausted => "CAP_EXHAUSTED",
        }
    }

    /// The reason named by its code.
    pub fn from_code(code: &str) -> Option<RejectReason> {
        RejectReason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The AAA03 (element 901) code of chargeback-rules.md section 3 for this reason. A wrong
    /// reference price is `31` (invalid book cost) when the reference is a book cost, else `07`.
    pub fn default_aaa03(self, basis: ReferencePriceBasis) -> &'static str {
        match self {
            RejectReason::DataMissing => "15",
            RejectReason::DataInvalid => "33",
            RejectReason::ItemUnknown => "14",
            RejectReason::UomUnknown => "33",
            RejectReason::DuplicateInBatch => "12",
            RejectReason::DuplicatePrior => "28",
            RejectReason::DuplicateDebitMemo => "11",
            RejectReason::ContractUnknown => "01",
            RejectReason::ContractCancelled => "23",
            RejectReason::DistributorNotAuthorized => "01",
            RejectReason::ContractNotStarted => "19",
            RejectReason::ContractExpired => "02",
            RejectReason::ItemNotOnContract => "03",
            RejectReason::ClassOfTradeUnknown => "15",
            RejectReason::CustomerNotEligible => "26",
            RejectReason::MembershipInactive => "26",
            RejectReason::DateInFuture => "18",
            RejectReason::DateInvalid => "27",
            RejectReason::ClaimWindowExpired => "29",
            RejectReason::DebitNotSupported => "09",
            RejectReason::NotBelowReference => "17",
            RejectReason::ContractPriceMismatch => "06",
            RejectReason::ReferencePriceMismatch => match basis {
                ReferencePriceBasis::Book | ReferencePriceBasis::Distributor => "31",
                ReferencePriceBasis::Wac | ReferencePriceBasis::ContractStated => "07",
            },
            RejectReason::ResaleAboveContract => "16",
            RejectReason::AmountMismatch => "33",
            RejectReason::CapExceeded => "04",
            RejectReason::CapExhausted => "05",
        }
    }

    /// The AAA04 follow-up action of chargeback-rules.md section 3: `C` correct and resubmit,
    /// `N` resubmission not allowed, `R` resubmission allowed.
    pub fn default_follow_up(self) -> &'static str {
        match self {
            RejectReason::DataMissing
            | RejectReason::DataInvalid
            | RejectReason::ItemUnknown
            | RejectReason::UomUnknown
            | RejectReason::ContractUnknown
            | RejectReason::ContractCancelled
            | RejectReason::DistributorNotAuthorized
            | RejectReason::ContractNotStarted
            | RejectReason::MembershipInactive
            | RejectReason::DateInFuture
            | RejectReason::DateInvalid
            | RejectReason::ClassOfTradeUnknown => "C",
            RejectReason::CapExceeded | RejectReason::CapExhausted => "R",
            RejectReason::DuplicateInBatch
            | RejectReason::DuplicatePrior
            | RejectReason::DuplicateDebitMemo
            | RejectReason::ContractExpired
            | RejectReason::ItemNotOnContract
            | RejectReason::CustomerNotEligible
            | RejectReason::ClaimWindowExpired
            | RejectReason::DebitNotSupported
            | RejectReason::NotBelowReference
            | RejectReason::ContractPriceMismatch
            | RejectReason::ReferencePriceMismatch
            | RejectReason::ResaleAboveContract
            | RejectReason::AmountMismatch => "N",
        }
    }
}

/// The partner's AAA03 code and AAA04 follow-up for every reject reason: the defaults
/// overridden by `[reject_codes]` and `[follow_up_codes]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectCodes {
    codes: BTreeMap<RejectReason, String>,
    follow_ups: BTreeMap<RejectReason, String>,
}

impl RejectCodes {
    /// The defaults of chargeback-rules.md section 3 for a reference price basis.
    pub fn defaults(basis: ReferencePriceBasis) -> Self {
        RejectCodes {
            codes: RejectReason::ALL
                .into_iter()
                .map(|r| (r, r.default_aaa03(basis).to_owned()))
                .collect(),
            follow_ups: RejectReason::ALL
                .into_iter()
                .map(|r| (r, r.default_follow_up().to_owned()))
                .collect(),
        }
    }

    /// Replaces the AAA03 code of one reason.
    pub fn set(&mut self, reason: RejectReason, aaa03: String) {
        self.codes.insert(reason, aaa03);
    }

    /// Replaces the AAA04 follow-up of one reason.
    pub fn set_follow_up(&mut self, reason: RejectReason, aaa04: String) {
        self.follow_ups.insert(reason, aaa04);
    }

    /// The AAA03 code to send for `reason`.
    pub fn aaa03(&self, reason: RejectReason) -> &str {
        self.codes.get(&reason).map_or("ZZ", String::as_str)
    }

    /// The AAA04 follow-up to send for `reason`.
    pub fn aaa04(&self, reason: RejectReason) -> &str {
        self.follow_ups
            .get(&reason)
            .map_or_else(|| reason.default_follow_up(), String::as_str)
    }

    /// The reasons that an incoming AAA03 code may stand for (several reasons share a code).
    pub fn reasons_for<'a>(&'a self, aaa03: &'a str) -> impl Iterator<Item = RejectReason> + 'a {
        self.codes
            .iter()
            .filter(move |(_, c)| c.as_str() == aaa03)
            .map(|(r, _)| *r)
    }

    /// Every reason with its AAA03 and AAA04.
    pub fn iter(&self) -> impl Iterator<Item = (RejectReason, &str, &str)> + '_ {
        self.codes
            .iter()
            .map(|(r, c)| (*r, c.as_str(), self.aaa04(*r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_rules_table() {
        let wac = RejectCodes::defaults(ReferencePriceBasis::Wac);
        assert_eq!(wac.aaa03(RejectReason::CustomerNotEligible), "26");
        assert_eq!(wac.aaa03(RejectReason::ContractPriceMismatch), "06");
        assert_eq!(wac.aaa03(RejectReason::ReferencePriceMismatch), "07");
        assert_eq!(wac.aaa03(RejectReason::CapExhausted), "05");
        let book = RejectCodes::defaults(ReferencePriceBasis::Book);
        assert_eq!(book.aaa03(RejectReason::ReferencePriceMismatch), "31");
    }

    #[test]
    fn codes_round_trip_and_shared_codes_list_every_reason() {
        for r in RejectReason::ALL {
            assert_eq!(RejectReason::from_code(r.code()), Some(r));
        }
        let wac = RejectCodes::defaults(ReferencePriceBasis::Wac);
        let for_26: Vec<_> = wac.reasons_for("26").collect();
        assert_eq!(
            for_26,
            [
                RejectReason::CustomerNotEligible,
                RejectReason::MembershipInactive
            ]
        );
        assert_eq!(RejectReason::ContractExpired.default_follow_up(), "N");
        assert_eq!(wac.aaa04(RejectReason::CapExceeded), "R");
        assert_eq!(RejectReason::ContractNotStarted.default_follow_up(), "C");
    }
}
