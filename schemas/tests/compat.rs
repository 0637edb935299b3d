//! Every example document in `schemas/compat/` must keep loading, serialize back to exactly the
//! same JSON and satisfy the checked-in JSON Schemas.
//!
//! Files are named `<type>.v<N>.json`, with an optional case before `.json`
//! (`claim.v1.ship_and_debit.json`). Once a version is released its examples are never edited:
//! they pin what old stored documents look like.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use schemas::{
    AckKind, AckStatus, ClaimResponse, Document, FollowUp, ItemAction, LineStatus, PartyAction,
    PartyKind,
};
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

const DOC_TYPES: [&str; 5] = [
    "contract",
    "claim",
    "claim_response",
    "sales_report",
    "acknowledgment",
];

struct Example {
    name: String,
    text: String,
}

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn examples() -> Result<Vec<Example>, Box<dyn Error>> {
    let mut paths: Vec<PathBuf> = fs::read_dir(crate_dir().join("compat"))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    paths.retain(|path| path.extension().is_some_and(|ext| ext == "json"));
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            Ok(Example {
                name: path
                    .file_name()
                    .and_then(|name| name.to_str())
                    .unwrap_or_default()
                    .to_owned(),
                text: fs::read_to_string(&path)?,
            })
        })
        .collect()
}

fn example(name: &str) -> Result<Document, Box<dyn Error>> {
    let path = crate_dir().join("compat").join(name);
    let text =
        fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

fn validator(file: &str) -> Result<jsonschema::Validator, Box<dyn Error>> {
    let path = crate_dir().join("json").join(file);
    let text =
        fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let schema: Value = serde_json::from_str(&text)?;
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| format!("{file} is not a valid JSON Schema: {e}").into())
}

fn schema_errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

#[test]
fn every_document_type_has_a_v1_example() -> TestResult {
    let names: Vec<String> = examples()?.into_iter().map(|e| e.name).collect();
    for doc_type in DOC_TYPES {
        let expected = format!("{doc_type}.v1.json");
        assert!(
            names.contains(&expected),
            "schemas/compat/{expected} is missing"
        );
    }
    Ok(())
}

#[test]
fn examples_parse_and_round_trip_to_their_canonical_form() -> TestResult {
    for Example { name, text } in examples()? {
        let doc: Document =
            serde_json::from_str(&text).map_err(|e| format!("{name} does not parse: {e}"))?;
        let type_in_name = name.split('.').next().unwrap_or_default();
        assert_eq!(doc.doc_type(), type_in_name, "{name} holds the wrong type");

        let written = serde_json::to_string(&doc)?;
        let again: Document = serde_json::from_str(&written)?;
        assert_eq!(again, doc, "{name} changes when written and read again");

        let canonical: Value = serde_json::from_str(&text)?;
        assert_eq!(
            serde_json::from_str::<Value>(&written)?,
            canonical,
            "{name} is not written back as it is stored"
        );
    }
    Ok(())
}

#[test]
fn examples_validate_against_their_json_schemas() -> TestResult {
    let any_document = validator("document.schema.json")?;
    for Example { name, text } in examples()? {
        let instance: Value = serde_json::from_str(&text)?;
        let doc: Document = serde_json::from_str(&text)?;
        let own = validator(&format!("{}.schema.json", doc.doc_type()))?;
        for (schema, validator) in [("document", &any_document), (doc.doc_type(), &own)] {
            let errors = schema_errors(validator, &instance);
            assert!(
                errors.is_empty(),
                "{name} breaks {schema}.schema.json:\n  {}",
                errors.join("\n  ")
            );
        }
    }
    Ok(())
}

#[test]
fn json_schemas_refuse_what_serde_refuses() -> TestResult {
    let claim = validator("claim.schema.json")?;
    let any_document = validator("document.schema.json")?;
    let text = fs::read_to_string(crate_dir().join("compat/claim.v1.json"))?;
    let original: Value = serde_json::from_str(&text)?;

    let mut number = original.clone();
    number["total_claimed"] = serde_json::json!(255.25);
    let mut typo = original.clone();
    typo["lines"][0]["invoce"] = "INV0098123".into();
    let mut bad_date = original.clone();
    bad_date["date"] = "11/15/2026".into();
    let mut exponent = original.clone();
    exponent["total_claimed"] = "2.5525e2".into();
    let mut wrong_tag = original.clone();
    wrong_tag["schema"] = "chargegate.contract/1".into();

    for (case, instance) in [
        ("money as a number", number),
        ("misspelt field", typo),
        ("date not YYYY-MM-DD", bad_date),
        ("decimal with an exponent", exponent),
        ("another type's tag", wrong_tag),
    ] {
        assert!(
            !claim.is_valid(&instance),
            "claim.schema.json accepts {case}"
        );
        assert!(
            !any_document.is_valid(&instance),
            "document.schema.json accepts {case}"
        );
    }
    Ok(())
}

#[test]
fn contract_example_is_the_sample_845() -> TestResult {
    let Document::Contract(contract) = example("contract.v1.json")? else {
        return Err("contract.v1.json is not a contract".into());
    };
    assert_eq!(contract.contract_id, "SPA-2026-0042");
    assert_eq!(contract.eligible.len(), 3);
    assert_eq!(contract.eligible[0].party.kind, Some(PartyKind::Dea));
    assert_eq!(contract.items.len(), 3);
    let prices: Vec<(Option<Decimal>, Option<Decimal>)> = contract
        .items
        .iter()
        .map(|item| (item.contract_price, item.wac))
        .collect();
    assert_eq!(
        prices,
        [
            (Some(Decimal::new(1250, 2)), Some(Decimal::new(1875, 2))),
            (Some(Decimal::new(3000, 2)), Some(Decimal::new(4200, 2))),
            (Some(Decimal::new(4825, 2)), Some(Decimal::new(6500, 2))),
        ]
    );

    let Document::Contract(change) = example("contract.v1.change.json")? else {
        return Err("contract.v1.change.json is not a contract".into());
    };
    assert_eq!(change.eligible[0].action, PartyAction::Delete);
    let actions: Vec<ItemAction> = change.items.iter().map(|item| item.action).collect();
    assert_eq!(
        actions,
        [ItemAction::PriceChange, ItemAction::Delete, ItemAction::Add]
    );
    assert_eq!(
        change.items[0].wac, None,
        "a price change restates one price"
    );
    Ok(())
}

#[test]
fn claim_example_adds_up_to_its_total() -> TestResult {
    for name in ["claim.v1.json", "claim.v1.ship_and_debit.json"] {
        let Document::Claim(claim) = example(name)? else {
            return Err(format!("{name} is not a claim").into());
        };
        let lines: Decimal = claim.lines.iter().map(|line| line.claimed_amount).sum();
        assert_eq!(lines, claim.total_claimed, "{name}");
        assert_eq!(claim.lines.len(), claim.line_count as usize, "{name}");
        let quantities: Decimal = claim.lines.iter().map(|line| line.quantity).sum();
        assert_eq!(Some(quantities), claim.quantity_total, "{name}");
        for line in &claim.lines {
            let basis = line.wac.ok_or("claim line without a reference price")?;
            assert_eq!(
                (basis - line.contract_price) * line.quantity,
                line.claimed_amount,
                "{name} line {}",
                line.line
            );
        }
    }
    let Document::Claim(claim) = example("claim.v1.json")? else {
        return Err("claim.v1.json is not a claim".into());
    };
    assert_eq!(claim.debit_memo, "GDD-CB-20261115-0001");
    assert_eq!(claim.lines.len(), 6);
    assert_eq!(claim.total_claimed.to_string(), "255.25");
    Ok(())
}

#[test]
fn claim_response_example_answers_the_sample_claim() -> TestResult {
    let Document::ClaimResponse(response) = example("claim_response.v1.json")? else {
        return Err("claim_response.v1.json is not a claim response".into());
    };
    let ClaimResponse {
        debit_memo,
        lines,
        total_claimed,
        total_approved,
        ..
    } = &response;
    assert_eq!(debit_memo, "GDD-CB-20261115-0001");
    assert_eq!(total_claimed.to_string(), "255.25");
    assert_eq!(total_approved.to_string(), "223.50");
    let approved: Decimal = lines.iter().map(|line| line.approved_amount).sum();
    assert_eq!(&approved, total_approved);

    let statuses: Vec<(&str, LineStatus, Option<&str>, Option<FollowUp>)> = lines
        .iter()
        .map(|line| {
            (
                line.line.as_str(),
                line.status,
                line.reason_code.as_deref(),
                line.follow_up,
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("1", LineStatus::Accepted, None, None),
            ("2", LineStatus::Accepted, None, None),
            (
                "3",
                LineStatus::Adjusted,
                Some("06"),
                Some(FollowUp::NoResubmission)
            ),
            ("4", LineStatus::Accepted, None, None),
            (
                "5",
                LineStatus::Rejected,
                Some("03"),
                Some(FollowUp::NoResubmission)
            ),
            (
                "6",
                LineStatus::Rejected,
                Some("19"),
                Some(FollowUp::CorrectAndResubmit)
            ),
        ]
    );
    Ok(())
}

#[test]
fn sales_report_example_is_the_sample_867() -> TestResult {
    let Document::SalesReport(report) = example("sales_report.v1.json")? else {
        return Err("sales_report.v1.json is not a sales report".into());
    };
    assert_eq!(report.report_id, "GDD-867-202611");
    let quantities: Decimal = report.lines.iter().map(|line| line.quantity).sum();
    assert_eq!(Some(quantities), report.quantity_total);
    let off_contract: Vec<u32> = report
        .lines
        .iter()
        .filter(|line| line.contract_id.is_none())
        .map(|line| line.line)
        .collect();
    assert_eq!(off_contract, [4]);
    Ok(())
}

#[test]
fn acknowledgment_examples_cover_997_999_and_ta1() -> TestResult {
    let mut kinds = Vec::new();
    for name in [
        "acknowledgment.v1.json",
        "acknowledgment.v1.999.json",
        "acknowledgment.v1.ta1.json",
    ] {
        let Document::Acknowledgment(ack) = example(name)? else {
            return Err(format!("{name} is not an acknowledgment").into());
        };
        kinds.push(ack.kind);
        match ack.kind {
            AckKind::Interchange => {
                let ta1 = ack.interchange.ok_or("TA1 without its interchange")?;
                assert_eq!(ta1.status, AckStatus::Rejected);
                assert_eq!(ta1.note_code, "022");
            }
            AckKind::Functional | AckKind::Implementation => {
                assert!(ack.group.is_some(), "{name} without AK1/AK9");
            }
        }
    }
    assert_eq!(
        kinds,
        [
            AckKind::Functional,
            AckKind::Implementation,
            AckKind::Interchange
        ]
    );
    Ok(())
}
