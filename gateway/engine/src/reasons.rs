//! The one table of reason codes (rules §3, §3.1 and x12-chargeback §9).
//!
//! Every fine reason a rule can emit is one row: its internal code, the line status it gives
//! (§6.2), the reject category a Rejected line carries (§3.1), the 849 AAA03 reject reason, the
//! default AAA04 follow-up and a short text. A partner profile may map a code to its own
//! AAA03/AAA04 (`EngineSettings::reject_codes`); nothing else in the engine spells a code.

use schemas::FollowUp;
use serde::{Deserialize, Serialize};

/// Line status a failing rule sets (the disputed statuses of §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStatus {
    /// Failed V0 or V2–V6.
    EligibilityDisputed,
    /// Failed V7–V10.
    AmountDisputed,
    /// Failed V1.
    Duplicate,
}

/// Reject reason a Rejected line carries (§3.1): a dispute category or a configured reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// Eligibility Disputed.
    EligibilityDisputed,
    /// Amount Disputed.
    AmountDisputed,
    /// Duplicate.
    Duplicate,
    /// Debit Claim Not Supported (disallowed negative lines, V7, or a reviewer's choice).
    DebitClaimNotSupported,
    /// Shipped configured reason: a corrected CSV row replaced the line (L16).
    Resubmitted,
    /// Shipped configured reason: the claimant withdrew the line.
    Withdrawn,
    /// Any other configured reason.
    Configured(String),
}

macro_rules! reason_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $status:ident, $category:ident, $aaa03:literal, $aaa04:ident, $text:literal; )*) => {
        /// Fine reason code recorded on a line (rules §3). Serialized as its rule code, e.g.
        /// `CONTRACT_PRICE_MISMATCH`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum ReasonCode {
            $( $(#[$doc])* #[serde(rename = $code)] $variant, )*
        }

        impl ReasonCode {
            /// Every code, in table order.
            pub const ALL: &'static [ReasonCode] = &[$(Self::$variant,)*];

            /// The rule code, e.g. `CONTRACT_PRICE_MISMATCH`.
            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code,)* }
            }

            /// The line status a failure with this code gives.
            pub fn status(self) -> DisputeStatus {
                match self { $(Self::$variant => DisputeStatus::$status,)* }
            }

            /// The reject category a line rejected for this code carries (§3.1).
            pub fn category(self) -> RejectReason {
                match self { $(Self::$variant => RejectReason::$category,)* }
            }

            /// Default 849 AAA03 reject reason (element 901).
            pub fn aaa03(self) -> &'static str {
                match self { $(Self::$variant => $aaa03,)* }
            }

            /// Default 849 AAA04 follow-up action (element 889).
            pub fn aaa04(self) -> FollowUp {
                match self { $(Self::$variant => FollowUp::$aaa04,)* }
            }

            /// Short human text for reports and the dispute CSV.
            pub fn text(self) -> &'static str {
                match self { $(Self::$variant => $text,)* }
            }
        }
    };
}

reason_codes! {
    /// V0: a required field is absent.
    DataMissing = "DATA_MISSING", EligibilityDisputed, EligibilityDisputed, "15", CorrectAndResubmit, "required data missing";
    /// V0: a field does not parse, quantity is zero, or arithmetic overflowed.
    DataInvalid = "DATA_INVALID", EligibilityDisputed, EligibilityDisputed, "33", CorrectAndResubmit, "input errors";
    /// V0: the item id is not a well-formed id for its qualifier.
    ItemUnknown = "ITEM_UNKNOWN", EligibilityDisputed, EligibilityDisputed, "14", CorrectAndResubmit, "invalid item number";
    /// V0: the unit of measure does not convert to the contract's.
    UomUnknown = "UOM_UNKNOWN", EligibilityDisputed, EligibilityDisputed, "33", CorrectAndResubmit, "unit of measure does not convert";
    /// V1: the same line key appears earlier in this claim.
    DuplicateInBatch = "DUPLICATE_IN_BATCH", Duplicate, Duplicate, "12", NoResubmission, "duplicate line in claim";
    /// V1: an earlier blocking line has the same key.
    DuplicatePrior = "DUPLICATE_PRIOR", Duplicate, Duplicate, "28", NoResubmission, "duplicate of an earlier claimed line";
    /// V2: no such contract for this supplier.
    ContractUnknown = "CONTRACT_UNKNOWN", EligibilityDisputed, EligibilityDisputed, "01", CorrectAndResubmit, "contract invalid";
    /// V2: the contract is cancelled.
    ContractCancelled = "CONTRACT_CANCELLED", EligibilityDisputed, EligibilityDisputed, "23", CorrectAndResubmit, "contract cancelled";
    /// V2: the distributor is not authorized on the pricing date.
    DistributorNotAuthorized = "DISTRIBUTOR_NOT_AUTHORIZED", EligibilityDisputed, EligibilityDisputed, "01", CorrectAndResubmit, "distributor not authorized";
    /// V3: the pricing date is before the contract start.
    ContractNotStarted = "CONTRACT_NOT_STARTED", EligibilityDisputed, EligibilityDisputed, "19", CorrectAndResubmit, "date before contract start";
    /// V3: the pricing date is after the contract end, or the contract is no longer active.
    ContractExpired = "CONTRACT_EXPIRED", EligibilityDisputed, EligibilityDisputed, "02", NoResubmission, "contract expired";
    /// V4: the item is not on the contract on the pricing date.
    ItemNotOnContract = "ITEM_NOT_ON_CONTRACT", EligibilityDisputed, EligibilityDisputed, "03", NoResubmission, "product not on contract";
    /// V4: the item is on the contract, priced per class of trade at different prices, and
    /// the line's class of trade is not known (neither sent nor the eligible party's).
    ClassOfTradeUnknown = "CLASS_OF_TRADE_UNKNOWN", EligibilityDisputed, EligibilityDisputed, "15", CorrectAndResubmit, "class of trade needed to price the item";
    /// V5: the end customer is not eligible on the pricing date.
    CustomerNotEligible = "CUSTOMER_NOT_ELIGIBLE", EligibilityDisputed, EligibilityDisputed, "26", NoResubmission, "customer not eligible";
    /// V5: the customer's GPO roster membership is not active on the pricing date.
    MembershipInactive = "MEMBERSHIP_INACTIVE", EligibilityDisputed, EligibilityDisputed, "26", CorrectAndResubmit, "group membership inactive";
    /// V6: the pricing date is after today.
    DateInFuture = "DATE_IN_FUTURE", EligibilityDisputed, EligibilityDisputed, "18", CorrectAndResubmit, "date in the future";
    /// V6: the ship date is after the claim date.
    DateInvalid = "DATE_INVALID", EligibilityDisputed, EligibilityDisputed, "27", CorrectAndResubmit, "invalid ship date";
    /// V6: the claim came later than `claim_window_days` after the sale.
    ClaimWindowExpired = "CLAIM_WINDOW_EXPIRED", EligibilityDisputed, EligibilityDisputed, "29", NoResubmission, "claim window expired";
    /// V7: a negative line that is not allowed or has no known original.
    DebitNotSupported = "DEBIT_NOT_SUPPORTED", AmountDisputed, DebitClaimNotSupported, "09", NoResubmission, "debit claim not supported";
    /// V8: the reference price is not above the contract price.
    NotBelowReference = "NOT_BELOW_REFERENCE", AmountDisputed, AmountDisputed, "17", NoResubmission, "contract price not below reference price";
    /// V8: the claimed contract price differs from the contract's.
    ContractPriceMismatch = "CONTRACT_PRICE_MISMATCH", AmountDisputed, AmountDisputed, "06", NoResubmission, "contract price incorrect";
    /// V8: the claimed reference price differs from the one in force (AAA03 31 on a book-cost basis).
    ReferencePriceMismatch = "REFERENCE_PRICE_MISMATCH", AmountDisputed, AmountDisputed, "07", NoResubmission, "reference price incorrect";
    /// V8: the resale price is above the contract price.
    ResaleAboveContract = "RESALE_ABOVE_CONTRACT", AmountDisputed, AmountDisputed, "16", NoResubmission, "resale above contract price";
    /// V9: the claimed amount exceeds the calculated one beyond tolerance.
    AmountMismatch = "AMOUNT_MISMATCH", AmountDisputed, AmountDisputed, "33", NoResubmission, "claimed amount exceeds calculated amount";
    /// V10: the cap has some quantity left, less than the line needs.
    CapExceeded = "CAP_EXCEEDED", AmountDisputed, AmountDisputed, "04", ResubmissionAllowed, "authorized quantity exceeded";
    /// V10: the cap has nothing left.
    CapExhausted = "CAP_EXHAUSTED", AmountDisputed, AmountDisputed, "05", ResubmissionAllowed, "zero balance";
}

impl ReasonCode {
    /// AAA03 for this code when the reference price is a book cost: `31` instead of `07` for a
    /// reference price mismatch (§3 V8).
    pub fn aaa03_for_book_cost(self) -> &'static str {
        match self {
            Self::ReferencePriceMismatch => "31",
            other => other.aaa03(),
        }
    }

    /// Reads a rule code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|reason| reason.code() == code)
    }
}

/// Warnings never change a status (§3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Warning {
    /// A near match (other quantity or price) of an earlier or same-batch line.
    PossibleDuplicate,
    /// The claimed amount is below the calculated one (leakage report).
    UnderClaimed,
    /// The contract was derived (§3.2).
    DerivedContract,
    /// Adjudicator with an 867 feed: no matching traced sale.
    NotTraced,
}

impl Warning {
    /// The rule code, e.g. `UNDER_CLAIMED`.
    pub fn code(self) -> &'static str {
        match self {
            Self::PossibleDuplicate => "POSSIBLE_DUPLICATE",
            Self::UnderClaimed => "UNDER_CLAIMED",
            Self::DerivedContract => "DERIVED_CONTRACT",
            Self::NotTraced => "NOT_TRACED",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One line per row of the §3 table: code, status, category, AAA03, AAA04.
    fn row(reason: ReasonCode) -> String {
        format!(
            "{} {:?} {:?} {} {}",
            reason.code(),
            reason.status(),
            reason.category(),
            reason.aaa03(),
            reason.aaa04().code()
        )
    }

    #[test]
    fn table_matches_rules_section_3() {
        let cases = [
            (
                ReasonCode::DataMissing,
                "DATA_MISSING EligibilityDisputed EligibilityDisputed 15 C",
            ),
            (
                ReasonCode::DataInvalid,
                "DATA_INVALID EligibilityDisputed EligibilityDisputed 33 C",
            ),
            (
                ReasonCode::ItemUnknown,
                "ITEM_UNKNOWN EligibilityDisputed EligibilityDisputed 14 C",
            ),
            (
                ReasonCode::UomUnknown,
                "UOM_UNKNOWN EligibilityDisputed EligibilityDisputed 33 C",
            ),
            (
                ReasonCode::DuplicateInBatch,
                "DUPLICATE_IN_BATCH Duplicate Duplicate 12 N",
            ),
            (
                ReasonCode::DuplicatePrior,
                "DUPLICATE_PRIOR Duplicate Duplicate 28 N",
            ),
            (
                ReasonCode::ContractUnknown,
                "CONTRACT_UNKNOWN EligibilityDisputed EligibilityDisputed 01 C",
            ),
            (
                ReasonCode::ContractCancelled,
                "CONTRACT_CANCELLED EligibilityDisputed EligibilityDisputed 23 C",
            ),
            (
                ReasonCode::DistributorNotAuthorized,
                "DISTRIBUTOR_NOT_AUTHORIZED EligibilityDisputed EligibilityDisputed 01 C",
            ),
            (
                ReasonCode::ContractNotStarted,
                "CONTRACT_NOT_STARTED EligibilityDisputed EligibilityDisputed 19 C",
            ),
            (
                ReasonCode::ContractExpired,
                "CONTRACT_EXPIRED EligibilityDisputed EligibilityDisputed 02 N",
            ),
            (
                ReasonCode::ItemNotOnContract,
                "ITEM_NOT_ON_CONTRACT EligibilityDisputed EligibilityDisputed 03 N",
            ),
            (
                ReasonCode::ClassOfTradeUnknown,
                "CLASS_OF_TRADE_UNKNOWN EligibilityDisputed EligibilityDisputed 15 C",
            ),
            (
                ReasonCode::CustomerNotEligible,
                "CUSTOMER_NOT_ELIGIBLE EligibilityDisputed EligibilityDisputed 26 N",
            ),
            (
                ReasonCode::MembershipInactive,
                "MEMBERSHIP_INACTIVE EligibilityDisputed EligibilityDisputed 26 C",
            ),
            (
                ReasonCode::DateInFuture,
                "DATE_IN_FUTURE EligibilityDisputed EligibilityDisputed 18 C",
            ),
            (
                ReasonCode::DateInvalid,
                "DATE_INVALID EligibilityDisputed EligibilityDisputed 27 C",
            ),
            (
                ReasonCode::ClaimWindowExpired,
                "CLAIM_WINDOW_EXPIRED EligibilityDisputed EligibilityDisputed 29 N",
            ),
            (
                ReasonCode::DebitNotSupported,
                "DEBIT_NOT_SUPPORTED AmountDisputed DebitClaimNotSupported 09 N",
            ),
            (
                ReasonCode::NotBelowReference,
                "NOT_BELOW_REFERENCE AmountDisputed AmountDisputed 17 N",
            ),
            (
                ReasonCode::ContractPriceMismatch,
                "CONTRACT_PRICE_MISMATCH AmountDisputed AmountDisputed 06 N",
            ),
            (
                ReasonCode::ReferencePriceMismatch,
                "REFERENCE_PRICE_MISMATCH AmountDisputed AmountDisputed 07 N",
            ),
            (
                ReasonCode::ResaleAboveContract,
                "RESALE_ABOVE_CONTRACT AmountDisputed AmountDisputed 16 N",
            ),
            (
                ReasonCode::AmountMismatch,
                "AMOUNT_MISMATCH AmountDisputed AmountDisputed 33 N",
            ),
            (
                ReasonCode::CapExceeded,
                "CAP_EXCEEDED AmountDisputed AmountDisputed 04 R",
            ),
            (
                ReasonCode::CapExhausted,
                "CAP_EXHAUSTED AmountDisputed AmountDisputed 05 R",
            ),
        ];
        assert_eq!(cases.len(), ReasonCode::ALL.len());
        for (reason, expected) in cases {
            assert_eq!(row(reason), expected);
        }
    }

    #[test]
    fn book_cost_mismatch_is_31() {
        assert_eq!(
            ReasonCode::ReferencePriceMismatch.aaa03_for_book_cost(),
            "31"
        );
        assert_eq!(
            ReasonCode::ContractPriceMismatch.aaa03_for_book_cost(),
            "06"
        );
    }

    #[test]
    fn codes_serialize_as_rule_codes() -> Result<(), serde_json::Error> {
        assert_eq!(
            serde_json::to_string(&ReasonCode::ContractPriceMismatch)?,
            r#""CONTRACT_PRICE_MISMATCH""#
        );
        assert_eq!(
            ReasonCode::from_code("CAP_EXHAUSTED"),
            Some(ReasonCode::CapExhausted)
        );
        assert_eq!(
            serde_json::to_string(&Warning::UnderClaimed)?,
            r#""UNDER_CLAIMED""#
        );
        Ok(())
    }
}
