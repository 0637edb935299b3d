//! The `Document` envelope: any normalized document, tagged by its `schema` field.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Acknowledgment, Claim, ClaimResponse, Contract, SalesReport, Source};

/// Any normalized document, written with its `"schema": "chargegate.<type>/1"` tag first, so a
/// JSON line can be read back without knowing its type.
///
/// A new version of a document type becomes a new variant (`chargegate.contract/2`); old
/// variants keep loading, pinned by the examples in `schemas/compat/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "schema")]
#[allow(
    clippy::large_enum_variant,
    reason = "a document is handled one at a time (translated, queued, applied); boxing the \
              contract would only move it to the heap and touch every match on Document"
)]
pub enum Document {
    /// A contract from an 845.
    #[serde(rename = "chargegate.contract/1")]
    Contract(Contract),
    /// A claim from an 844.
    #[serde(rename = "chargegate.claim/1")]
    Claim(Claim),
    /// A claim response from an 849.
    #[serde(rename = "chargegate.claim_response/1")]
    ClaimResponse(ClaimResponse),
    /// A sales report from an 867.
    #[serde(rename = "chargegate.sales_report/1")]
    SalesReport(SalesReport),
    /// An acknowledgment: 997, 999 or TA1.
    #[serde(rename = "chargegate.acknowledgment/1")]
    Acknowledgment(Acknowledgment),
}

impl Document {
    /// Where the document came from.
    pub fn source(&self) -> &Source {
        match self {
            Self::Contract(doc) => &doc.source,
            Self::Claim(doc) => &doc.source,
            Self::ClaimResponse(doc) => &doc.source,
            Self::SalesReport(doc) => &doc.source,
            Self::Acknowledgment(doc) => &doc.source,
        }
    }

    /// The document type: `contract`, `claim`, `claim_response`, `sales_report` or
    /// `acknowledgment`.
    pub fn doc_type(&self) -> &'static str {
        match self {
            Self::Contract(_) => Contract::DOC_TYPE,
            Self::Claim(_) => Claim::DOC_TYPE,
            Self::ClaimResponse(_) => ClaimResponse::DOC_TYPE,
            Self::SalesReport(_) => SalesReport::DOC_TYPE,
            Self::Acknowledgment(_) => Acknowledgment::DOC_TYPE,
        }
    }

    /// The `schema` tag written for this document, e.g. `chargegate.contract/1`.
    pub fn schema_id(&self) -> &'static str {
        match self {
            Self::Contract(_) => Contract::SCHEMA,
            Self::Claim(_) => Claim::SCHEMA,
            Self::ClaimResponse(_) => ClaimResponse::SCHEMA,
            Self::SalesReport(_) => SalesReport::SCHEMA,
            Self::Acknowledgment(_) => Acknowledgment::SCHEMA,
        }
    }
}

impl From<Contract> for Document {
    fn from(doc: Contract) -> Self {
        Self::Contract(doc)
    }
}

impl From<Claim> for Document {
    fn from(doc: Claim) -> Self {
        Self::Claim(doc)
    }
}

impl From<ClaimResponse> for Document {
    fn from(doc: ClaimResponse) -> Self {
        Self::ClaimResponse(doc)
    }
}

impl From<SalesReport> for Document {
    fn from(doc: SalesReport) -> Self {
        Self::SalesReport(doc)
    }
}

impl From<Acknowledgment> for Document {
    fn from(doc: Acknowledgment) -> Self {
        Self::Acknowledgment(doc)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    use super::*;
    use crate::{AckKind, AckStatus, GroupAck, Item, Party, SetAck};

    fn source() -> Source {
        Source {
            file: "ab".repeat(32),
            interchange: "000000104".into(),
            group: "104".into(),
            set: "0001".into(),
            partner: Some("acme".into()),
        }
    }

    fn party(id: &str) -> Party {
        Party {
            qualifier: "1".into(),
            id: id.into(),
            name: None,
            additional_names: vec![],
            kind: None,
            address: None,
            refs: vec![],
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn ack() -> Acknowledgment {
        Acknowledgment {
            source: source(),
            kind: AckKind::Functional,
            interchange: None,
            group: Some(GroupAck {
                functional_id: "CF".into(),
                control_number: "5001".into(),
                version: None,
                status: AckStatus::Accepted,
                sets_included: 1,
                sets_received: 1,
                sets_accepted: 1,
                error_codes: vec![],
            }),
            sets: vec![SetAck {
                set_id: "844".into(),
                control_number: "0001".into(),
                implementation_reference: None,
                status: AckStatus::Accepted,
                error_codes: vec![],
                segment_errors: vec![],
            }],
        }
    }

    fn sales_report() -> SalesReport {
        SalesReport {
            currency: None,
            source: source(),
            action: crate::Action::Original,
            report_id: "GDD-867-202611".into(),
            date: date(2026, 12, 1),
            report_type: Some("SS".into()),
            period_start: date(2026, 11, 1),
            period_end: date(2026, 11, 30),
            distributor: party("987654321"),
            supplier: party("123456789"),
            lines: vec![crate::SalesLine {
                line: 1,
                transfer_type: "SS".into(),
                contract_id: None,
                end_customer: None,
                class_of_trade: None,
                item: Item {
                    qualifier: "N4".into(),
                    id: "12345020101".into(),
                    other_ids: vec![],
                },
                quantity: Decimal::new(5, 0),
                uom: "CA".into(),
                unit_price: Decimal::new(4200, 2),
                amount: None,
                invoice: "INV0098555".into(),
                original_invoice: None,
                invoice_date: Some(date(2026, 11, 18)),
                ship_date: None,
            }],
            line_count: Some(1),
            quantity_total: None,
        }
    }

    #[test]
    fn writes_the_schema_tag_first() -> Result<(), serde_json::Error> {
        let json = serde_json::to_string(&Document::from(ack()))?;
        assert!(
            json.starts_with(r#"{"schema":"chargegate.acknowledgment/1","source":"#),
            "{json}"
        );
        Ok(())
    }

    #[test]
    fn reads_a_line_back_without_knowing_its_type() -> Result<(), serde_json::Error> {
        for doc in [Document::from(ack()), Document::from(sales_report())] {
            let json = serde_json::to_string(&doc)?;
            let back: Document = serde_json::from_str(&json)?;
            assert_eq!(back, doc);
        }
        Ok(())
    }

    #[test]
    fn tag_constants_match_the_serde_names() -> Result<(), serde_json::Error> {
        for doc in [Document::from(ack()), Document::from(sales_report())] {
            let value = serde_json::to_value(&doc)?;
            assert_eq!(value["schema"], doc.schema_id());
            assert_eq!(doc.schema_id(), format!("chargegate.{}/1", doc.doc_type()));
        }
        Ok(())
    }

    #[test]
    fn exposes_source_and_type() {
        let doc = Document::from(sales_report());
        assert_eq!(doc.doc_type(), "sales_report");
        assert_eq!(doc.source().interchange, "000000104");
        assert_eq!(doc.source().partner.as_deref(), Some("acme"));
    }

    #[test]
    fn keeps_decimal_scale_and_writes_strings() -> Result<(), serde_json::Error> {
        let value = serde_json::to_value(Document::from(sales_report()))?;
        assert_eq!(value["lines"][0]["unit_price"], "42.00");
        assert_eq!(value["lines"][0]["quantity"], "5");
        assert_eq!(value["period_end"], "2026-11-30");
        Ok(())
    }

    fn parse_error(json: &str) -> String {
        match serde_json::from_str::<Document>(json) {
            Ok(doc) => format!("unexpectedly parsed {doc:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn rejects_unknown_fields_missing_tags_and_unknown_versions() -> Result<(), serde_json::Error> {
        let mut value = serde_json::to_value(Document::from(sales_report()))?;
        value["lines"][0]["unit_prise"] = "42.00".into();
        assert!(parse_error(&value.to_string()).contains("unknown field `unit_prise`"));

        let mut value = serde_json::to_value(Document::from(sales_report()))?;
        value["schema"] = "chargegate.sales_report/2".into();
        assert!(parse_error(&value.to_string()).contains("unknown variant"));

        let mut value = serde_json::to_value(Document::from(sales_report()))?;
        if let Some(map) = value.as_object_mut() {
            map.remove("schema");
        }
        assert!(parse_error(&value.to_string()).contains("missing field `schema`"));
        Ok(())
    }

    #[test]
    fn refuses_money_written_as_a_number() -> Result<(), serde_json::Error> {
        let mut value = serde_json::to_value(Document::from(sales_report()))?;
        value["lines"][0]["unit_price"] = serde_json::json!(42.0);
        let error = parse_error(&value.to_string());
        assert!(error.contains("invalid type: floating point"), "{error}");
        Ok(())
    }
}
