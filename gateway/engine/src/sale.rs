//! Sale lines: what the pipeline validates, whatever the batch came from (844, 867, CSV, ERP
//! extract, retro run).

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemas::{ClaimLine, Item, Party, SalesLine};
use serde::{Deserialize, Serialize};

use crate::settings::PricingDateBasis;

/// A link to a line of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LineRef {
    /// Batch id.
    pub batch: String,
    /// Line id within the batch.
    pub line: String,
}

/// One sale line to validate (§2.2 "Sale line").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLine {
    /// Line id in its source: PAD01, CSV row, 867 position.
    pub line: String,
    /// Contract claimed against, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<String>,
    /// End customer.
    pub end_customer: Party,
    /// Customer's class of trade, when the line states it (`ClaimLine`/`SalesLine`
    /// `class_of_trade`); otherwise V4 asks the contract (the eligible party's class, or the
    /// item's one price).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_of_trade: Option<String>,
    /// Item as sent.
    pub item: Item,
    /// Signed quantity in `uom`.
    pub quantity: Decimal,
    /// Unit of measure as sent.
    pub uom: String,
    /// Claimed reference price (WAC or book cost) per `uom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_reference_price: Option<Decimal>,
    /// Claimed contract price per `uom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_contract_price: Option<Decimal>,
    /// Claimed amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_amount: Option<Decimal>,
    /// Price the distributor sold at per `uom`, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sell_price: Option<Decimal>,
    /// Distributor invoice to the end customer.
    pub invoice: String,
    /// Invoice line, when the profile maps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_line: Option<String>,
    /// Invoice date.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "schemas::iso_date::option"
    )]
    pub invoice_date: Option<NaiveDate>,
    /// Ship date.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "schemas::iso_date::option"
    )]
    pub ship_date: Option<NaiveDate>,
    /// Original invoice of a return (`REF*OI`, else `REF*IV`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_invoice: Option<String>,
    /// The original line this one corrects, resubmits or adds a delta to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<LineRef>,
}

/// Whether a line of `quantity` is a return (§13.10): negative, not zero.
pub fn is_return_quantity(quantity: Decimal) -> bool {
    quantity.is_sign_negative() && !quantity.is_zero()
}

impl SaleLine {
    /// The line's own pricing date per the basis (a return's comes from its original).
    pub fn own_date(&self, basis: PricingDateBasis) -> Option<NaiveDate> {
        match basis {
            PricingDateBasis::InvoiceDate => self.invoice_date,
            PricingDateBasis::ShipDate => self.ship_date,
        }
    }

    /// Its own date when it is a sale a return may refer to (a positive quantity, §13.10).
    pub fn sale_date(&self, basis: PricingDateBasis) -> Option<NaiveDate> {
        (!self.is_return() && !self.quantity.is_zero())
            .then(|| self.own_date(basis))
            .flatten()
    }

    /// Whether the line is a return.
    pub fn is_return(&self) -> bool {
        is_return_quantity(self.quantity)
    }

    /// The invoice a return refers to: `original_invoice`, else its own invoice (§13.10).
    pub fn return_of(&self) -> &str {
        self.original_invoice.as_deref().unwrap_or(&self.invoice)
    }

    /// The line as an 844 line claims it: its claimed prices and amount (zero when not sent).
    pub fn to_claim_line(&self) -> ClaimLine {
        ClaimLine {
            line: self.line.clone(),
            transfer_type: None,
            contract_id: self.contract_id.clone().unwrap_or_default(),
            contract_refs: vec![],
            end_customer: self.end_customer.clone(),
            class_of_trade: self.class_of_trade.clone(),
            item: self.item.clone(),
            quantity: self.quantity,
            uom: self.uom.clone(),
            wac: self.claimed_reference_price,
            reference_price_basis: None,
            contract_price: self.claimed_contract_price.unwrap_or_default(),
            claimed_amount: self.claimed_amount.unwrap_or_default(),
            invoice: self.invoice.clone(),
            invoice_date: self.invoice_date,
            ship_date: self.ship_date,
            original_invoice: self.original_invoice.clone(),
        }
    }
}

impl From<&ClaimLine> for SaleLine {
    fn from(line: &ClaimLine) -> Self {
        Self {
            line: line.line.clone(),
            contract_id: Some(line.contract_id.clone()).filter(|c| !c.trim().is_empty()),
            end_customer: line.end_customer.clone(),
            class_of_trade: line.class_of_trade.clone(),
            item: line.item.clone(),
            quantity: line.quantity,
            uom: line.uom.clone(),
            claimed_reference_price: line.wac,
            claimed_contract_price: Some(line.contract_price),
            claimed_amount: Some(line.claimed_amount),
            sell_price: None,
            invoice: line.invoice.clone(),
            invoice_line: None,
            invoice_date: line.invoice_date,
            ship_date: line.ship_date,
            original_invoice: line.original_invoice.clone(),
            corrects: None,
        }
    }
}

impl From<&SalesLine> for SaleLine {
    fn from(line: &SalesLine) -> Self {
        Self::from(line.clone())
    }
}

/// A sales report's line as the engine validates it, its text moved rather than copied (a
/// period's lines read back from the store are converted once).
impl From<SalesLine> for SaleLine {
    fn from(line: SalesLine) -> Self {
        Self {
            line: line.line.to_string(),
            contract_id: line.contract_id.map(String::from),
            // The party is shared with the transfer's other lines while mapped; read back
            // from the store, each line holds its own and it moves.
            end_customer: line
                .end_customer
                .map(Arc::unwrap_or_clone)
                .unwrap_or_default(),
            class_of_trade: line.class_of_trade.map(String::from),
            item: line.item,
            quantity: line.quantity,
            uom: line.uom.into(),
            claimed_reference_price: None,
            claimed_contract_price: None,
            claimed_amount: None,
            sell_price: Some(line.unit_price),
            invoice: line.invoice.into(),
            invoice_line: None,
            invoice_date: line.invoice_date,
            ship_date: line.ship_date,
            original_invoice: line.original_invoice.map(String::from),
            corrects: None,
        }
    }
}
