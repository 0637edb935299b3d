//! Normalized chargeback documents: the wire contract between mapping, the engine and the store.
//!
//! One serde type per document, each read and written as JSON with a `"schema":
//! "chargegate.<type>/1"` tag:
//!
//! | type | from | Rust type |
//! |---|---|---|
//! | `contract` | 845 | [`Contract`] |
//! | `claim` | 844 | [`Claim`] |
//! | `claim_response` | 849 | [`ClaimResponse`] |
//! | `sales_report` | 867 | [`SalesReport`] |
//! | `acknowledgment` | 997, 999, TA1 | [`Acknowledgment`] |
//!
//! A document travels as a [`Document`], whose `schema` tag says which type follows, so one JSON
//! line can be read back without knowing its type in advance. The bare structs serialize
//! without the tag; wrap them in [`Document`] before writing them anywhere.
//!
//! Conventions, fixed because other programs read these documents:
//! - Money and quantities are [`rust_decimal::Decimal`] written as a JSON **string** with the
//!   scale as received (`"62.50"` stays `"62.50"`); a JSON number is refused on input.
//! - Dates are [`chrono::NaiveDate`] written `YYYY-MM-DD`.
//! - Codes with a closed meaning are enums with snake_case names; partner-defined codes (units
//!   of measure, reason codes, qualifiers) stay strings exactly as sent.
//! - Optional fields are left out when empty, never written as `null`.
//! - Every struct refuses unknown fields, so a misspelt field fails loudly.
//!
//! `schemas/json/` holds JSON Schemas generated from these types by [`json_schemas`]; a test
//! fails when the checked-in files drift from the types.
//!
//! Architecture invariant: this crate is pure. It does no I/O, reads no clock and knows nothing
//! of async runtimes, databases or X12 bytes.

#![forbid(unsafe_code)]

mod acknowledgment;
mod action;
mod claim;
mod claim_response;
mod contract;
mod document;
pub mod iso_date;
mod item;
mod json_schema;
mod party;
mod reference;
mod sales_report;
mod source;

pub use acknowledgment::{
    AckKind, AckStatus, Acknowledgment, ElementError, GroupAck, InterchangeAck, SegmentError,
    SetAck,
};
pub use action::Action;
pub use claim::{Claim, ClaimLine};
pub use claim_response::{
    ClaimResponse, ClaimResponseLine, ContractAnswer, FollowUp, LineStatus, ResponseReason,
};
pub use contract::{
    Contract, ContractCap, ContractItem, ContractStatus, EligibleParty, ItemAction, PartyAction,
};
pub use document::Document;
pub use item::{Item, ItemId};
pub use json_schema::{DECIMAL_PATTERN, json_schemas};
pub use party::{Address, Party, PartyKind};
pub use reference::Reference;
pub use sales_report::{SalesLine, SalesReport};
pub use source::Source;

/// A short text value of a document as sent (a code, a product id, an invoice number): held
/// in place up to 24 bytes, so the several such values of every sales line cost no allocation
/// each (one per value, freed on another thread than the one that read them, was a fifth of
/// translating an 867). It reads, compares and serializes as a `String` does.
pub type Text = compact_str::CompactString;
