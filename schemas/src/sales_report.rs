//! The `sales_report` document: a distributor's sales tracing report, an 867.

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::json_schema::DecimalString;
use crate::{Action, Item, Party, Source, Text};

/// A product transfer and resale report (867) for one period: every sale of the supplier's
/// products, on contract or not. `chargegate.sales_report/1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SalesReport {
    /// Raw file and envelope the 867 came in.
    pub source: Source,
    /// BPT01 purpose.
    pub action: Action,
    /// BPT02 report number.
    pub report_id: String,
    /// BPT03 report date.
    pub date: NaiveDate,
    /// BPT04 report type as sent (`SS` seller sales report, `01` product transfer, `02` resale,
    /// `DD` distributor inventory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_type: Option<String>,
    /// Heading DTM*090: first day of the reporting period.
    pub period_start: NaiveDate,
    /// Heading DTM*091: last day of the reporting period.
    pub period_end: NaiveDate,
    /// Heading N1 loop `DS`: the reporting distributor.
    pub distributor: Party,
    /// Heading N1 loop `MF` or `SU`: the supplier reported to.
    pub supplier: Party,
    /// Heading CUR02 currency code (`USD`); none sent means dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// QTY loops of all PTD loops: one sold (or returned) product each, in file order.
    pub lines: Vec<SalesLine>,
    /// CTT01: number of lines as stated by the sender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_count: Option<u32>,
    /// CTT02: hash total of the line quantities, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DecimalString>")]
    pub quantity_total: Option<Decimal>,
}

impl SalesReport {
    /// The `schema` tag of a sales report document.
    pub const SCHEMA: &'static str = "chargegate.sales_report/1";
    /// The document type name.
    pub const DOC_TYPE: &'static str = "sales_report";
}

/// One reported sale: a QTY loop of an 867 with the transfer type, contract and end customer of
/// its PTD loop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SalesLine {
    /// Position of the QTY loop in the set, counted from 1 (the 867 has no line id).
    pub line: u32,
    /// PTD01 product transfer type as sent (`SS` stock sale, `DS` drop ship, `RV` return, ...).
    pub transfer_type: Text,
    /// PTD05 (with PTD04 = `CT`): the contract the sale was made under; absent for an
    /// off-contract sale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<Text>,
    /// PTD-level N1 loop `ST` (with N3/N4 and REF*DH/HI): the end customer; absent for
    /// transfers without one (inventory adjustments).
    // Shared by every line of its transfer (a party is several strings; a copy per line was
    // a tenth of mapping an 867); it serializes as the party itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_customer: Option<Arc<Party>>,
    /// The end customer's class of trade (`HS`, `PH`, ... as the contract's CTP01 spells
    /// it), when the partner states it: a REF with `dialect.class_of_trade_ref` in the QTY
    /// loop, else on the transfer's end customer N1 loop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_of_trade: Option<Text>,
    /// LIN: the product.
    pub item: Item,
    /// QTY02: the quantity (`QTY*39` shipped, `32` sold, `76` returned); negative for a
    /// return, however the partner marks it (a returns qualifier, a return transfer type or a
    /// sign).
    #[schemars(with = "DecimalString")]
    pub quantity: Decimal,
    /// QTY03 unit of measure (`CA`, `EA`, ...), as sent.
    pub uom: Text,
    /// UIT02: the unit sell price charged to the end customer.
    #[schemars(with = "DecimalString")]
    pub unit_price: Decimal,
    /// AMT02 of `AMT*CC` (or the partner's line amount qualifier): the line amount, when sent;
    /// negative for a return, like `quantity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DecimalString>")]
    pub amount: Option<Decimal>,
    /// REF*IV: the distributor's invoice to the end customer.
    pub invoice: Text,
    /// REF*OI (the partner's `original_invoice_ref`): on a return, the invoice of the sale it
    /// gives back, which the return is priced and netted against (chargeback-rules §13.10);
    /// absent on sales, and on returns that name their sale by `invoice` alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_invoice: Option<Text>,
    /// DTM*003 invoice date.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::iso_date::option"
    )]
    pub invoice_date: Option<NaiveDate>,
    /// DTM*011 ship date.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::iso_date::option"
    )]
    pub ship_date: Option<NaiveDate>,
}
