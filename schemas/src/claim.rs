//! The `claim` document: a chargeback claim (debit memo) sent or received as an 844.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::json_schema::DecimalString;
use crate::{Action, Item, Party, Reference, Source};

/// A chargeback claim: one 844, i.e. one debit memo with its lines. `chargegate.claim/1`.
///
/// The 844 groups lines in CON loops (one per contract and end customer); here every line
/// carries its contract and end customer, so the loops can be rebuilt when rendering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// Raw file and envelope the 844 came in.
    pub source: Source,
    /// BAA01 purpose: original, cancellation, replace or resubmission.
    pub action: Action,
    /// BAA02 transaction type as sent (`DR` debit memo, `CR` credit memo, `RA` request for
    /// credit); which one a partner expects is set in its profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<String>,
    /// BAA05 debit memo number (with BAA04 = `DB`), or a heading `REF*DB`: the claim number.
    pub debit_memo: String,
    /// BAA03 adjustment date of the claim.
    pub date: NaiveDate,
    /// CUR02 currency code (`USD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Heading N1 loop `MF` or `SU`: the supplier the claim is made against.
    pub supplier: Party,
    /// Heading N1 loop `DS`: the distributor making the claim.
    pub distributor: Party,
    /// PAD loops: the claimed lines, in file order.
    pub lines: Vec<ClaimLine>,
    /// Summary AMT*CC: total amount claimed.
    #[schemars(with = "DecimalString")]
    pub total_claimed: Decimal,
    /// CTT01: number of lines as stated by the sender.
    pub line_count: u32,
    /// CTT02: hash total of the line quantities, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DecimalString>")]
    pub quantity_total: Option<Decimal>,
}

impl Claim {
    /// The `schema` tag of a claim document.
    pub const SCHEMA: &'static str = "chargegate.claim/1";
    /// The document type name.
    pub const DOC_TYPE: &'static str = "claim";
}

/// One claimed line: a PAD loop of an 844 with the contract and end customer of its CON loop.
///
/// The claimed amount is normally (`wac` − `contract_price`) × `quantity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimLine {
    /// PAD01 line id, echoed by the 849.
    pub line: String,
    /// PAD02 product transfer type as sent (`SD` ship-and-debit sale, `CS` contract sale, `RV`
    /// return to vendor, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_type: Option<String>,
    /// CON02 of the enclosing CON loop: the contract claimed against.
    pub contract_id: String,
    /// CON-level REF segments of the enclosing CON loop (`REF*PD` design win, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contract_refs: Vec<Reference>,
    /// CON-level N1 loop `ST` (with N3/N4 and REF*DH/HI): the end customer sold to.
    pub end_customer: Party,
    /// The end customer's class of trade (`HS` hospital, `PH` pharmacy, ... as the contract's
    /// CTP01 spells it), when the partner states it: a REF with `dialect.class_of_trade_ref`
    /// on the line, else on the end customer's N1 loop. It picks the contract price of an
    /// item priced per class (V4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_of_trade: Option<String>,
    /// LIN: the product sold.
    pub item: Item,
    /// QTY02 of `QTY*39`: quantity claimed; negative for a return when the partner sends it so.
    #[schemars(with = "DecimalString")]
    pub quantity: Decimal,
    /// QTY03 unit of measure (`CA`, `EA`, ...), as sent.
    pub uom: String,
    /// UIT02 of the reference price the claim is computed from: the WAC (`UIT*..*WH`) in
    /// pharma, the distributor book cost (`UIT*..*DI`) in ship-and-debit.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DecimalString>")]
    pub wac: Option<Decimal>,
    /// UIT03 basis code of `wac` as sent (`WH`, `DI`, `SW`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_price_basis: Option<String>,
    /// UIT02 of `UIT*..*CT`: the contract (or authorized) price claimed.
    #[schemars(with = "DecimalString")]
    pub contract_price: Decimal,
    /// AMT02 of `AMT*CC`: the amount claimed for the line.
    #[schemars(with = "DecimalString")]
    pub claimed_amount: Decimal,
    /// REF*IV: the distributor's invoice to the end customer.
    pub invoice: String,
    /// DTM*003 invoice date.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::iso_date::option"
    )]
    pub invoice_date: Option<NaiveDate>,
    /// DTM*011 ship date (the eligibility date for some partners).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::iso_date::option"
    )]
    pub ship_date: Option<NaiveDate>,
    /// REF*OI: the original invoice a return or correction refers to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_invoice: Option<String>,
}
