//! JSON Schemas generated from the document types, checked in under `schemas/json/`.
//!
//! Non-Rust consumers (the HTTP API's clients, partner tooling, reviewers) read the checked-in
//! files; a test regenerates them and fails when the types and the files disagree.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::Value;

use crate::{Acknowledgment, Claim, ClaimResponse, Contract, Document, SalesReport};

/// Pattern every decimal string (money, quantities) matches: an optional minus sign, digits and
/// an optional fraction. No exponent, no plus sign, no thousands separators.
pub const DECIMAL_PATTERN: &str = r"^-?[0-9]+(\.[0-9]+)?$";

/// Stand-in type that gives a [`rust_decimal::Decimal`] field its JSON Schema: a string matching
/// [`DECIMAL_PATTERN`]. Schemars' own `Decimal` schema also admits JSON numbers, which the
/// documents never contain and refuse on input.
pub(crate) struct DecimalString;

impl JsonSchema for DecimalString {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Decimal".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": DECIMAL_PATTERN,
        })
    }
}

/// Every JSON Schema of the crate as `(file name under schemas/json/, pretty JSON text)`: one per
/// document type, including its `schema` tag, then `document.schema.json` for any document.
///
/// The text ends with a newline and is stable from run to run, so it can be compared with the
/// checked-in files byte for byte.
pub fn json_schemas() -> Vec<(&'static str, String)> {
    vec![
        ("contract.schema.json", tagged::<Contract>(Contract::SCHEMA)),
        ("claim.schema.json", tagged::<Claim>(Claim::SCHEMA)),
        (
            "claim_response.schema.json",
            tagged::<ClaimResponse>(ClaimResponse::SCHEMA),
        ),
        (
            "sales_report.schema.json",
            tagged::<SalesReport>(SalesReport::SCHEMA),
        ),
        (
            "acknowledgment.schema.json",
            tagged::<Acknowledgment>(Acknowledgment::SCHEMA),
        ),
        (
            "document.schema.json",
            render(&generator().into_root_schema_for::<Document>()),
        ),
    ]
}

fn generator() -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with_transform(RecursiveTransform(omit_nulls))
        .into_generator()
}

/// Optional fields are left out when empty, never written as `null`, but schemars describes an
/// `Option` as nullable. Drop `null` from every property that is not required, so the schemas
/// describe the documents as they are written.
fn omit_nulls(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let required: Vec<String> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let Some(Value::Object(properties)) = object.get_mut("properties") else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        if !required.contains(name) {
            drop_null(property);
        }
    }
}

fn drop_null(property: &mut Value) {
    let Some(property) = property.as_object_mut() else {
        return;
    };
    // `Option<String>` and other inline schemas: `"type": ["string", "null"]`.
    if let Some(Value::Array(types)) = property.get_mut("type") {
        types.retain(|kind| kind != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            property.insert("type".into(), only);
        }
    }
    // `Option<Party>` and other referenced schemas: `"anyOf": [{"$ref": ...}, {"type": "null"}]`.
    if let Some(Value::Array(alternatives)) = property.remove("anyOf") {
        let mut rest: Vec<Value> = alternatives
            .into_iter()
            .filter(|alternative| alternative.get("type") != Some(&Value::from("null")))
            .collect();
        match rest.as_mut_slice() {
            [Value::Object(only)] => {
                for (key, value) in std::mem::take(only) {
                    property.entry(key).or_insert(value);
                }
            }
            _ => {
                property.insert("anyOf".into(), Value::Array(rest));
            }
        }
    }
}

/// The schema of one document type as it travels: the struct's own schema plus the required
/// `schema` tag that [`Document`] writes in front of its fields.
fn tagged<T: JsonSchema>(tag: &'static str) -> String {
    let mut schema = generator().into_root_schema_for::<T>();
    if let Some(root) = schema.as_object_mut() {
        if let Some(Value::Object(properties)) = root.get_mut("properties") {
            properties.insert(
                "schema".into(),
                serde_json::json!({
                    "description": "Document type and version tag.",
                    "type": "string",
                    "const": tag,
                }),
            );
        }
        if let Some(Value::Array(required)) = root.get_mut("required") {
            required.insert(0, Value::from("schema"));
        }
    }
    render(&schema)
}

fn render(schema: &Schema) -> String {
    format!("{:#}\n", schema.as_value())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(name: &str) -> Value {
        json_schemas()
            .into_iter()
            .find(|(file, _)| *file == name)
            .and_then(|(_, text)| serde_json::from_str(&text).ok())
            .unwrap_or(Value::Null)
    }

    #[test]
    fn per_type_schemas_require_their_tag() {
        let claim = schema("claim.schema.json");
        assert_eq!(claim["properties"]["schema"]["const"], "chargegate.claim/1");
        assert_eq!(claim["required"][0], "schema");
        assert_eq!(claim["additionalProperties"], false);
    }

    #[test]
    fn decimals_are_strings_and_dates_have_a_format() {
        let claim = schema("claim.schema.json");
        let total = &claim["properties"]["total_claimed"];
        assert_eq!(total["type"], "string");
        assert_eq!(total["pattern"], DECIMAL_PATTERN);
        assert_eq!(claim["properties"]["date"]["format"], "date");
    }

    #[test]
    fn optional_fields_are_not_nullable() {
        let response = schema("claim_response.schema.json");
        let supplier = &response["properties"]["supplier"];
        assert_eq!(supplier["$ref"], "#/$defs/Party");
        assert!(supplier.get("anyOf").is_none(), "{supplier}");
        let wac = &response["$defs"]["ClaimResponseLine"]["properties"]["wac"];
        assert_eq!(wac["type"], "string");
        assert!(!schema("document.schema.json").to_string().contains("null"));
    }

    #[test]
    fn document_schema_lists_every_type() {
        let document = schema("document.schema.json");
        let tags: Vec<&Value> = document["oneOf"]
            .as_array()
            .map(|variants| {
                variants
                    .iter()
                    .map(|v| &v["properties"]["schema"]["const"])
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            tags,
            [
                Contract::SCHEMA,
                Claim::SCHEMA,
                ClaimResponse::SCHEMA,
                SalesReport::SCHEMA,
                Acknowledgment::SCHEMA
            ]
        );
    }
}
