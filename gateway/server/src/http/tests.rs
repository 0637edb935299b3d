//! The OpenAPI document (`openapi.json`) against the router: every `/api/v1` route the source
//! registers (`.route("…", get(…).post(…))` in `src/*.rs`) is in the document with its methods,
//! and the document has no other; the values it lists for filters and reasons are the API's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use serde_json::Value;

/// `(path, method)` of every `.route(` in the crate's source, `/api/v1` paths only.
fn routed() -> BTreeSet<(String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices(".route(") {
            let rest = text[at + ".route(".len()..].trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            let end = rest.find('"').unwrap();
            let route = &rest[..end];
            // The handlers: `get(list)`, `post(upload).layer(…)`, `get(a).post(b)`.
            let mut handlers = rest[end + 1..].trim_start().trim_start_matches(',');
            loop {
                handlers = handlers.trim_start().trim_start_matches('.');
                let name: String = handlers
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !["get", "post", "put", "patch", "delete"].contains(&name.as_str()) {
                    break;
                }
                if route.starts_with("/api/v1") {
                    found.insert((route.to_owned(), name.clone()));
                }
                // Past this handler's parentheses.
                let mut depth = 0;
                let mut past = handlers.len();
                for (i, c) in handlers.char_indices() {
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                past = i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                handlers = &handlers[past..];
            }
        }
    }
    found
}

fn document() -> Value {
    serde_json::from_str(super::OPENAPI).expect("openapi.json is JSON")
}

#[test]
fn every_routed_path_is_documented_and_nothing_else() {
    let routed = routed();
    assert!(
        routed.len() > 20 && routed.contains(&("/api/v1/batches/{id}".into(), "get".into())),
        "the route scan found too little: {routed:?}"
    );
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((path.clone(), method.clone()));
        }
    }
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "routed but not in openapi.json: {missing:?}; in openapi.json but not routed: {extra:?}"
    );
    // Every path parameter of a route is described.
    for (path, method) in &routed {
        let params: BTreeSet<String> = doc["paths"][path][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        let named: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_owned)
            .collect();
        assert_eq!(params, named, "{method} {path}");
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_documented_values_are_the_apis() {
    use crate::api;
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        strings(&schemas["RejectReason"]["oneOf"][0]["enum"]),
        api::reject_reasons()
    );
    let description = doc["info"]["description"].as_str().unwrap();
    for reason in api::reject_reasons() {
        assert!(description.contains(&reason), "{reason}");
    }
    let query = |path: &str, name: &str| -> Value {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} ?{name}"))["schema"]
            .clone()
    };
    assert_eq!(
        strings(&query("/api/v1/batches", "status")["enum"]),
        api::batch_statuses()
    );
    assert_eq!(
        strings(&query("/api/v1/batches", "role")["enum"]),
        api::roles()
    );
    assert_eq!(
        strings(&query("/api/v1/claims", "status")["enum"]),
        api::claim_statuses()
    );
    assert_eq!(
        strings(&schemas["BatchLine"]["properties"]["status"]["enum"]),
        api::line_statuses()
    );
    assert_eq!(
        strings(&schemas["DisputeCase"]["properties"]["status"]["enum"]),
        api::dispute_statuses()
    );
    assert!(
        query("/api/v1/batches/{id}", "line_status")["description"]
            .as_str()
            .unwrap()
            .ends_with(&api::line_statuses().join(", "))
    );
    assert!(
        query("/api/v1/claims/{id}", "line_status")["description"]
            .as_str()
            .unwrap()
            .ends_with(&api::claim_line_statuses().join(", "))
    );
    let state = |name: &str| strings(&query("/api/v1/transactions", name)["enum"]);
    let text = |all: &[&str]| all.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        state("state"),
        text(
            &store::TxState::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
        )
    );
    assert_eq!(
        state("step"),
        text(
            &store::Step::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
        )
    );
}

/// The API's lists of accepted values name every variant: a variant added to an engine enum
/// breaks this match until the list (and openapi.json) has it.
#[test]
fn the_accepted_values_cover_every_variant() {
    use engine::batch::{BatchStatus, LineStatus};
    use engine::claims::{ClaimStatus, LineOutcome};
    use engine::disputes::CaseStatus;
    use engine::reasons::RejectReason;
    let _ = |s: BatchStatus| match s {
        BatchStatus::Open
        | BatchStatus::AwaitingReview
        | BatchStatus::Closed
        | BatchStatus::Rejected => (),
    };
    let _ = |s: LineStatus| match s {
        LineStatus::Open
        | LineStatus::EligibilityDisputed
        | LineStatus::AmountDisputed
        | LineStatus::Duplicate
        | LineStatus::Accepted
        | LineStatus::Claimed
        | LineStatus::Rejected => (),
    };
    let _ = |s: ClaimStatus| match s {
        ClaimStatus::Open
        | ClaimStatus::PendingApproval
        | ClaimStatus::Approved
        | ClaimStatus::Rejected
        | ClaimStatus::Cancelled
        | ClaimStatus::Sent
        | ClaimStatus::Acknowledged
        | ClaimStatus::SettlementPending
        | ClaimStatus::Settled
        | ClaimStatus::Closed => (),
    };
    let _ = |s: LineOutcome| match s {
        LineOutcome::Paid
        | LineOutcome::Adjusted
        | LineOutcome::Rejected
        | LineOutcome::Pending
        | LineOutcome::Overpaid
        | LineOutcome::NoResponse => (),
    };
    let _ = |s: CaseStatus| match s {
        CaseStatus::Open
        | CaseStatus::Submitted
        | CaseStatus::UnderReview
        | CaseStatus::Won
        | CaseStatus::PartiallyWon
        | CaseStatus::Lost
        | CaseStatus::Withdrawn
        | CaseStatus::Expired => (),
    };
    let _ = |r: RejectReason| match r {
        RejectReason::EligibilityDisputed
        | RejectReason::AmountDisputed
        | RejectReason::Duplicate
        | RejectReason::DebitClaimNotSupported
        | RejectReason::Resubmitted
        | RejectReason::Withdrawn
        | RejectReason::Configured(_) => (),
    };
    assert_eq!(crate::api::batch_statuses().len(), 4);
    assert_eq!(crate::api::line_statuses().len(), 7);
    assert_eq!(crate::api::claim_statuses().len(), 10);
    assert_eq!(crate::api::claim_line_statuses().len(), 7);
    assert_eq!(crate::api::dispute_statuses().len(), 8);
    assert_eq!(crate::api::reject_reasons().len(), 6);
}
