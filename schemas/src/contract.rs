//! The `contract` document: a price authorization received in an 845.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::json_schema::DecimalString;
use crate::{Action, Item, Party, Reference, Source};

/// A contract (price authorization, SPA) from one CON loop of an 845, with its eligible parties
/// and priced items. `chargegate.contract/1`.
///
/// A change 845 (`BPA*04`) yields a contract that carries only the changes: each eligible party
/// and item says what happens to it in `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// Raw file and envelope the 845 came in.
    pub source: Source,
    /// BPA01 purpose: original, change, replace, cancellation or delete.
    pub action: Action,
    /// BPA02 date of the price authorization (or of its change).
    pub date: NaiveDate,
    /// CON02 contract / SPA / price-authorization number (BPA04 when the partner puts it there).
    pub contract_id: String,
    /// CON03 status of the contract.
    pub status: ContractStatus,
    /// Heading N1 loop `MF` or `SU`: the manufacturer or supplier granting the prices.
    pub supplier: Party,
    /// Heading N1 loop `DS`: the distributor the contract is sent to.
    pub distributor: Party,
    /// CON-level N1 loop `BG`: the buying group (GPO) the contract was negotiated for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpo: Option<Party>,
    /// CON-level REF segments: `AH` GPO agreement, `BC` buyer's contract, `PD` promotion/deal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refs: Vec<Reference>,
    /// CON-level DTM*092: first day the contract is valid.
    pub effective: NaiveDate,
    /// CON-level DTM*093: last day the contract is valid.
    pub expires: NaiveDate,
    /// Heading DTM*007 (or DTM*152): the day this 845 takes effect; for a change 845, the day
    /// its changes apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_effective: Option<NaiveDate>,
    /// CON-level N1 loops `EB` (or `ST`): the end customers allowed to buy at contract prices.
    pub eligible: Vec<EligibleParty>,
    /// PAD loops: the products and their prices.
    pub items: Vec<ContractItem>,
    /// Quantity and amount caps (CTB03–06 limits): per item, optionally per item × end customer
    /// (chargeback-rules §5.1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caps: Vec<ContractCap>,
}

impl Contract {
    /// The `schema` tag of a contract document.
    pub const SCHEMA: &'static str = "chargegate.contract/1";
    /// The document type name.
    pub const DOC_TYPE: &'static str = "contract";
}

/// CON03 status of a contract, as stated by the supplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    /// `OC`: original.
    Original,
    /// `CM`: modified.
    Modified,
    /// `CR`: renewed.
    Renewed,
    /// `EX`: expired.
    Expired,
    /// `CC`: cancelled.
    Cancelled,
    /// `VA`: valid, open.
    ValidOpen,
    /// `PR`: proposed.
    Proposed,
}

impl ContractStatus {
    const ALL: [Self; 7] = [
        Self::Original,
        Self::Modified,
        Self::Renewed,
        Self::Expired,
        Self::Cancelled,
        Self::ValidOpen,
        Self::Proposed,
    ];

    /// The CON03 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Original => "OC",
            Self::Modified => "CM",
            Self::Renewed => "CR",
            Self::Expired => "EX",
            Self::Cancelled => "CC",
            Self::ValidOpen => "VA",
            Self::Proposed => "PR",
        }
    }

    /// Reads a CON03 code; `None` for a code without a meaning here.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.code() == code)
    }
}

/// An end customer eligible for the contract: a CON-level N1 loop (`N1*EB`) with its membership
/// dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EligibleParty {
    /// N1/N3/N4 of the eligible customer, identified by DEA, HIN, GLN, 340B id, ...
    pub party: Party,
    /// DTM*129: first day of eligibility.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveDate>,
    /// DTM*130: last day of eligibility.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDate>,
    /// REF*TD (reason for change) in a delta 845: what happens to this membership; `add` when
    /// the 845 sends no REF*TD.
    pub action: PartyAction,
    /// The party's class of trade (`HS`, `PH`, ... as the CTP01 of the contract's prices),
    /// when the 845 states it: a REF with `dialect.class_of_trade_ref` in its N1 loop. A
    /// claim line for this customer that states no class of its own is priced at this
    /// class's price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_of_trade: Option<String>,
}

/// REF02 of a `REF*TD` under an eligible party: how a delta 845 changes the membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartyAction {
    /// `A`: the party is added (also the meaning of a party in an original 845).
    Add,
    /// `C`: the party's data or dates change.
    Change,
    /// `D`: the party is removed, as of its `end` date.
    Delete,
}

impl PartyAction {
    /// The REF02 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Add => "A",
            Self::Change => "C",
            Self::Delete => "D",
        }
    }

    /// Reads a REF*TD REF02 code; `None` for a code without a meaning here.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Add, Self::Change, Self::Delete]
            .into_iter()
            .find(|action| action.code() == code)
    }
}

/// One priced product of the contract: a PAD loop with its LIN, PID, DTM and CTP segments.
///
/// The contract price (`CTP**CON`) and WAC (`CTP**WHL`) of the same unit and class of trade share
/// one entry. When an 845 prices the same product differently per class of trade (CTP01), the
/// item appears once per class with the same `line`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractItem {
    /// PAD01 line id.
    pub line: String,
    /// PAD03 change code in a delta 845; `add` when the 845 sends none.
    pub action: ItemAction,
    /// LIN: the product ids (NDC, GTIN, manufacturer part, ...).
    pub item: Item,
    /// PID05 free-form product description (`PID*F`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// CTP01 class of trade the price applies to (`HS` hospital, `PH` pharmacy, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_of_trade: Option<String>,
    /// CTP03 of the `CON` price row: the contract price per `uom`. Absent when the 845 does not
    /// (re)state it, e.g. a change that only moves the WAC or a deleted item.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DecimalString>")]
    pub contract_price: Option<Decimal>,
    /// CTP03 of the `WHL` price row: the wholesale acquisition cost (WAC) per `uom`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DecimalString>")]
    pub wac: Option<Decimal>,
    /// CTP05 unit of measure the prices are for (`CA`, `EA`, ...), as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uom: Option<String>,
    /// DTM*131: first day the item is on the contract.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveDate>,
    /// DTM*132: last day the item is on the contract.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDate>,
    /// The parties this price is only for (the N1 loops of its CTP loop): a sale to any other
    /// end customer is not priced by it. Empty: the price is for every eligible party.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
}

/// A quantity and/or amount cap of the contract (chargeback-rules §5.1): a CTB with a quantity
/// (CTB03/04) or an amount (CTB05/06) limit.
///
/// A CTB in a PAD loop caps that item; in a PAD-level N1 loop, that item for that end customer;
/// at CON level, each item of the contract (one cap per item, not one shared between them).
/// The scope in the ledger is the contract lineage (all versions) × item (× customer): a later
/// version restating the cap keeps the consumption so far, unless `reset` says it starts over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractCap {
    /// PAD01 of the item capped; absent for a CON-level CTB, which caps every item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// The end customer of an item × customer cap (the PAD-level N1 loop holding the CTB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<Party>,
    /// CTB04: the approved quantity, in `uom`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DecimalString>")]
    pub quantity: Option<Decimal>,
    /// Unit of the quantity: CTB07 (005010), else the unit the item is priced in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uom: Option<String>,
    /// CTB06: the approved amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DecimalString>")]
    pub amount: Option<Decimal>,
    /// CTB03 `61` (remaining authorized) in an amendment: the cap starts over at these limits
    /// instead of inheriting what earlier versions consumed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reset: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// PAD03 product change code: what a delta 845 does to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemAction {
    /// `AI`: item added (also the meaning of an item in an original 845).
    Add,
    /// `DI`: item deleted, as of its `end` date.
    Delete,
    /// `PC`: price change.
    PriceChange,
    /// `NC`: no change.
    NoChange,
    /// `RZ`: all values of the item replaced.
    Replace,
}

impl ItemAction {
    /// The PAD03 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Add => "AI",
            Self::Delete => "DI",
            Self::PriceChange => "PC",
            Self::NoChange => "NC",
            Self::Replace => "RZ",
        }
    }

    /// Reads a PAD03 code; `None` for a code without a meaning here.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::Add,
            Self::Delete,
            Self::PriceChange,
            Self::NoChange,
            Self::Replace,
        ]
        .into_iter()
        .find(|action| action.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_round_trip() {
        for status in ContractStatus::ALL {
            assert_eq!(ContractStatus::from_code(status.code()), Some(status));
        }
        assert_eq!(
            ContractStatus::from_code("VA"),
            Some(ContractStatus::ValidOpen)
        );
        assert_eq!(ContractStatus::from_code("XX"), None);
    }

    #[test]
    fn change_codes_read_as_actions() {
        assert_eq!(ItemAction::from_code("PC"), Some(ItemAction::PriceChange));
        assert_eq!(ItemAction::from_code("DI"), Some(ItemAction::Delete));
        assert_eq!(ItemAction::from_code("ZZ"), None);
        assert_eq!(PartyAction::from_code("D"), Some(PartyAction::Delete));
        assert_eq!(PartyAction::from_code("X"), None);
    }

    #[test]
    fn enums_use_snake_case_names() -> Result<(), serde_json::Error> {
        assert_eq!(
            serde_json::to_string(&ItemAction::PriceChange)?,
            r#""price_change""#
        );
        assert_eq!(
            serde_json::to_string(&ContractStatus::ValidOpen)?,
            r#""valid_open""#
        );
        Ok(())
    }

    #[test]
    fn a_cap_without_reset_leaves_the_flag_out() -> Result<(), serde_json::Error> {
        let json = r#"{"line":"1","quantity":"10","uom":"CA"}"#;
        let cap: ContractCap = serde_json::from_str(json)?;
        assert_eq!(cap.quantity, Some(Decimal::TEN));
        assert!(!cap.reset);
        assert_eq!(serde_json::to_string(&cap)?, json);
        let reset = r#"{"amount":"500.00","reset":true}"#;
        let cap: ContractCap = serde_json::from_str(reset)?;
        assert!(cap.reset && cap.line.is_none());
        assert_eq!(serde_json::to_string(&cap)?, reset);
        Ok(())
    }

    #[test]
    fn price_row_keeps_the_scale_of_the_845() -> Result<(), serde_json::Error> {
        let json = r#"{"line":"2","action":"price_change","item":{"qualifier":"N4","id":"12345020101"},"contract_price":"29.00","uom":"CA"}"#;
        let item: ContractItem = serde_json::from_str(json)?;
        assert_eq!(item.contract_price, Some(Decimal::new(2900, 2)));
        assert_eq!(item.wac, None);
        assert_eq!(serde_json::to_string(&item)?, json);
        Ok(())
    }
}
