//! The `claim_response` document: a supplier's answer to a claim, sent or received as an 849.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::json_schema::DecimalString;
use crate::{Action, Item, Party, Source};

/// The answer to one claim (debit memo): an 849, with a decision per line, per contract (a
/// CON loop with no PAD loop), or a header-only answer for the whole claim. `chargegate.claim_response/1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimResponse {
    /// Raw file and envelope the 849 came in.
    pub source: Source,
    /// BRC01 purpose.
    pub action: Action,
    /// BRC04 (with BRC03 = `DB`): the debit memo of the 844 answered.
    pub debit_memo: String,
    /// Heading `REF*CM`: the supplier's credit memo; absent when nothing is credited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_memo: Option<String>,
    /// BRC02 date of the response.
    pub date: NaiveDate,
    /// Heading N1 loop `MF` or `SU`: the supplier answering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<Party>,
    /// Heading N1 loop `DS`: the distributor whose claim is answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distributor: Option<Party>,
    /// Heading AAA03: reject reason for the whole claim (e.g. `11` invalid debit memo number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// Heading AAA04: what the distributor should do with the whole claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUp>,
    /// The heading AAAs after the first, in order: more reasons for the whole claim. The
    /// first is `reason_code` and `follow_up`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_reasons: Vec<ResponseReason>,
    /// PAD loops: one decision per claimed line; empty for a header-only answer.
    pub lines: Vec<ClaimResponseLine>,
    /// CON loops with no PAD loop: each decides for every claimed line of its contract (and
    /// end customer, when echoed) that no PAD loop answers. Empty when every CON loop has
    /// lines, and for a header-only answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contracts: Vec<ContractAnswer>,
    /// Summary AMT (the samples use `AMT*CC`): total amount claimed.
    #[schemars(with = "DecimalString")]
    pub total_claimed: Decimal,
    /// Summary AMT (the samples use `AMT*TT`): total amount approved.
    #[schemars(with = "DecimalString")]
    pub total_approved: Decimal,
    /// CTT01: number of lines as stated by the sender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_count: Option<u32>,
}

impl ClaimResponse {
    /// The `schema` tag of a claim response document.
    pub const SCHEMA: &'static str = "chargegate.claim_response/1";
    /// The document type name.
    pub const DOC_TYPE: &'static str = "claim_response";
}

/// The decision on one claimed line: a PAD loop of an 849.
///
/// Which UIT, QTY and AMT qualifiers carry the submitted and approved values is partner-defined;
/// the profile maps them onto these fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimResponseLine {
    /// PAD01: the 844 line id echoed.
    pub line: String,
    /// CON02 of the enclosing CON loop: the contract echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<String>,
    /// CON-level N1 loop `ST`: the end customer echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_customer: Option<Party>,
    /// LIN: the product echoed.
    pub item: Item,
    /// REF*IV: the invoice echoed.
    pub invoice: String,
    /// DTM*003 invoice date echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_date: Option<NaiveDate>,
    /// DTM*011 ship date echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_date: Option<NaiveDate>,
    /// The decision, derived from AAA01 and approved versus claimed amounts.
    pub status: LineStatus,
    /// AAA03 reject reason code as sent (element 901: `06`, `03`, `19`, or a partner's `ZZ`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// AAA04 follow-up action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUp>,
    /// The AAAs after the first, in order: more reasons the partner gives for the same line.
    /// The first AAA is `reason_code` and `follow_up`, which decide.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_reasons: Vec<ResponseReason>,
    /// QTY02 of `QTY*39`: the quantity claimed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DecimalString>")]
    pub quantity: Option<Decimal>,
    /// QTY02 of `QTY*QA`: the quantity approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DecimalString>")]
    pub approved_quantity: Option<Decimal>,
    /// QTY03 unit of measure, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uom: Option<String>,
    /// UIT02 of `UIT*..*WH`: the WAC echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DecimalString>")]
    pub wac: Option<Decimal>,
    /// UIT02 of `UIT*..*SC`: the contract price the distributor submitted, sent when corrected.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DecimalString>")]
    pub submitted_contract_price: Option<Decimal>,
    /// UIT02 of `UIT*..*CT`: the contract price the supplier applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DecimalString>")]
    pub approved_contract_price: Option<Decimal>,
    /// Line AMT (the samples use `AMT*CC`): the amount claimed.
    #[schemars(with = "DecimalString")]
    pub claimed_amount: Decimal,
    /// Line AMT (the samples use `AMT*1`): the amount approved; zero when rejected.
    #[schemars(with = "DecimalString")]
    pub approved_amount: Decimal,
}

/// The decision on a whole contract: a CON loop of an 849 with its AAA and no PAD loop. It
/// answers every claimed line of the contract (and of the end customer, when one is echoed)
/// that no PAD loop answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractAnswer {
    /// CON02 (or the contract REF the profile names): the contract echoed.
    pub contract_id: String,
    /// CON-level N1 loop `ST`: the end customer echoed; absent when the answer is for every
    /// end customer of the contract.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_customer: Option<Party>,
    /// The decision, from AAA01 alone (a CON loop has no amounts): `accepted` for no AAA or
    /// `AAA*Y` (every line approved as claimed), `rejected` otherwise (every line approved
    /// zero); never `adjusted`.
    pub status: LineStatus,
    /// AAA03 reject reason code as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// AAA04 follow-up action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUp>,
    /// The CON loop's AAAs after the first, in order: more reasons for the same contract. The
    /// first AAA is `status`, `reason_code` and `follow_up`, which decide.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_reasons: Vec<ResponseReason>,
}

/// Decision on a claim line. The 849 has no single status element: the profile derives it from
/// AAA01 and from the approved amount against the claimed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// Approved as claimed (no AAA, or `AAA*Y`).
    Accepted,
    /// Approved for a different amount (`AAA*N` + a reason, approved ≠ claimed).
    Adjusted,
    /// Not approved (`AAA*N` + a reason, approved zero).
    Rejected,
}

/// One more AAA of a response line: its reject reason and follow-up, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseReason {
    /// AAA03 reject reason code as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// AAA04 follow-up action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUp>,
}

/// AAA04 follow-up action (element 889): what the distributor should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUp {
    /// `C`: correct and resubmit.
    CorrectAndResubmit,
    /// `D`: resubmit the entire claim.
    ResubmitClaim,
    /// `E`: resubmit this item only.
    ResubmitItem,
    /// `N`: resubmission not allowed.
    NoResubmission,
    /// `R`: resubmission allowed.
    ResubmissionAllowed,
    /// `P`: resubmit the original transaction.
    ResubmitOriginal,
    /// `W`: wait 30 days and resubmit.
    #[serde(rename = "wait_30_days")]
    Wait30Days,
    /// `X`: wait 10 days and resubmit.
    #[serde(rename = "wait_10_days")]
    Wait10Days,
    /// `Y`: do not resubmit; the claim is held and a response follows.
    DoNotResubmitHeld,
    /// `S`: do not resubmit; a third-party inquiry is under way.
    DoNotResubmitInquiry,
}

impl FollowUp {
    const ALL: [Self; 10] = [
        Self::CorrectAndResubmit,
        Self::ResubmitClaim,
        Self::ResubmitItem,
        Self::NoResubmission,
        Self::ResubmissionAllowed,
        Self::ResubmitOriginal,
        Self::Wait30Days,
        Self::Wait10Days,
        Self::DoNotResubmitHeld,
        Self::DoNotResubmitInquiry,
    ];

    /// The AAA04 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::CorrectAndResubmit => "C",
            Self::ResubmitClaim => "D",
            Self::ResubmitItem => "E",
            Self::NoResubmission => "N",
            Self::ResubmissionAllowed => "R",
            Self::ResubmitOriginal => "P",
            Self::Wait30Days => "W",
            Self::Wait10Days => "X",
            Self::DoNotResubmitHeld => "Y",
            Self::DoNotResubmitInquiry => "S",
        }
    }

    /// Reads an AAA04 code; `None` for a code without a meaning here.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|follow_up| follow_up.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_up_codes_round_trip() {
        for follow_up in FollowUp::ALL {
            assert_eq!(FollowUp::from_code(follow_up.code()), Some(follow_up));
        }
        assert_eq!(FollowUp::from_code("C"), Some(FollowUp::CorrectAndResubmit));
        assert_eq!(FollowUp::from_code("Q"), None);
    }

    #[test]
    fn wait_follow_ups_keep_their_digits() -> Result<(), serde_json::Error> {
        assert_eq!(
            serde_json::to_string(&FollowUp::Wait30Days)?,
            r#""wait_30_days""#
        );
        assert_eq!(
            serde_json::from_str::<FollowUp>(r#""wait_10_days""#)?,
            FollowUp::Wait10Days
        );
        Ok(())
    }
}
