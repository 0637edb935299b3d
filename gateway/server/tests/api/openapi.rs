//! The API as a client written from `openapi.json` alone sees it: every path and method of the
//! document is requested over HTTP, happily and unhappily (unknown ids, malformed JSON, the
//! wrong content type, missing fields, bad query values, unknown filters), against a gateway
//! holding the sample claim, a transaction, a dispute case and an unmatched 849. Each answer's
//! status must be one the document lists for the operation, its content type one it lists for
//! that status, and its body valid against the schema it gives (`$ref`s resolved in the
//! document); every 4xx is the documented `{"error": "..."}`. Paths the router does not serve
//! are 404 and methods a path does not take are 405 with `Allow`, both in the same shape.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::*;

/// The document the gateway serves.
fn document() -> Value {
    serde_json::from_str(server::http::OPENAPI).unwrap()
}

/// A request of the walk: the operation it exercises (`method`, documented `template`), the
/// path sent, its content type and body.
struct Probe {
    method: &'static str,
    template: String,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    /// The status a client is owed (what the request is about); `None` when any documented
    /// one will do.
    expect: Option<u16>,
}

fn probe(method: &'static str, template: &str, path: impl Into<String>) -> Probe {
    Probe {
        method,
        template: template.to_owned(),
        path: path.into(),
        content_type: None,
        body: Vec::new(),
        expect: None,
    }
}

impl Probe {
    fn json(mut self, body: &str) -> Self {
        self.content_type = Some("application/json");
        self.body = body.as_bytes().to_vec();
        self
    }

    fn typed(mut self, content_type: &'static str, body: &str) -> Self {
        self.content_type = Some(content_type);
        self.body = body.as_bytes().to_vec();
        self
    }

    fn untyped(mut self, body: &str) -> Self {
        self.body = body.as_bytes().to_vec();
        self
    }

    fn expect(mut self, status: u16) -> Self {
        self.expect = Some(status);
        self
    }

    async fn send(&self, addr: std::net::SocketAddr) -> Answer {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}",
            self.method.to_ascii_uppercase(),
            self.path,
            self.body.len()
        );
        if let Some(ct) = self.content_type {
            head.push_str(&format!("\r\nContent-Type: {ct}"));
        }
        exchange(addr, &head, &self.body).await
    }
}

/// `schema` as a validator, its `$ref`s (`#/components/...`) resolved in `doc`.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("not a valid schema ({e}): {schema}"))
}

/// What is wrong with `answer` as the document describes `method template`; nothing when it
/// is what the document promises.
fn disagreements(doc: &Value, method: &str, template: &str, answer: &Answer) -> Vec<String> {
    let mut wrong = Vec::new();
    let op = &doc["paths"][template][method];
    assert!(op.is_object(), "{method} {template} is not documented");
    let responses = &op["responses"];
    let status = answer.status.to_string();
    let documented = if responses[&status].is_object() {
        &responses[&status]
    } else if responses["default"].is_object() {
        &responses["default"]
    } else {
        let listed: Vec<&String> = responses.as_object().unwrap().keys().collect();
        wrong.push(format!(
            "status {status} is not documented (documented: {listed:?}); body {}",
            String::from_utf8_lossy(&answer.body)
        ));
        return wrong;
    };
    let Some(content) = documented["content"].as_object() else {
        if !answer.body.is_empty() {
            wrong.push(format!("{status}: a body where the document lists none"));
        }
        return wrong;
    };
    let mime = answer
        .header("content-type")
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let Some(media) = content.get(&mime) else {
        wrong.push(format!(
            "{status}: content type {mime:?}, the document lists {:?}",
            content.keys().collect::<Vec<_>>()
        ));
        return wrong;
    };
    if mime == "application/json" {
        let body: Value = match serde_json::from_slice(&answer.body) {
            Ok(body) => body,
            Err(e) => {
                wrong.push(format!("{status}: not JSON ({e})"));
                return wrong;
            }
        };
        let v = validator(doc, &media["schema"]);
        for e in v.iter_errors(&body) {
            wrong.push(format!(
                "{status}: body fails its schema at {}: {e}",
                e.instance_path()
            ));
        }
        if answer.status >= 400 {
            wrong.extend(error_shape(&body));
        }
    }
    wrong
}

/// What is wrong with an error body: it must carry a non-empty `error` message.
fn error_shape(body: &Value) -> Vec<String> {
    match body["error"].as_str() {
        Some(message) if !message.is_empty() => Vec::new(),
        _ => vec![format!("error body without its message: {body}")],
    }
}

/// What the walk reads and acts on besides the sample claim.
struct Loaded {
    /// A failed transaction.
    tx: Uuid,
    /// A dispute case opened through the API on the sample claim.
    case: Uuid,
    /// The sample 849, kept unmatched.
    response: Uuid,
}

/// The sample claim (batch and claim `gooddrug/GDD-CB-20261115-0001`), a failed transaction,
/// the sample 849 (no claim of ours answers it: unmatched), a dispute case opened on the claim
/// through the API, and, written straight into the store, a case on no claim and an 849
/// stating no totals (the nulls a client must be told of).
async fn load(g: &Running) -> Loaded {
    receive_sample_claim(g).await;
    let failed = gooddrug_inbound(store::Step::Parse, store::TxState::Failed, t(0));
    g.store.insert_transaction(&failed).await.unwrap();
    let partners = apply::Partners::from_profiles(&profiles()).unwrap();
    let ctx = apply::Context {
        today: "2026-11-18".parse().unwrap(),
        now: t(1),
        actor: "system".into(),
    };
    let doc = sample_document("849_4010_response.x12");
    apply::apply_document(
        &*g.store,
        &partners,
        "engine.responses",
        "m-849",
        &doc,
        &ctx,
    )
    .await
    .unwrap();
    let mut reader = g.store.reader().await.unwrap();
    let page = store::ListPage {
        after: None,
        limit: 10,
    };
    let unmatched = reader.unmatched_responses_page(None, &page).await.unwrap();
    drop(reader);
    assert_eq!(unmatched.len(), 1, "{unmatched:?}");
    let response = unmatched[0].response.id;
    let opened = post_json(
        g.addr,
        &format!("/api/v1/claims/{BATCH}/disputes"),
        br#"{"lines": ["3"], "amount": "5.00", "reason": "our price"}"#,
    )
    .await;
    assert_eq!(
        opened.status,
        200,
        "{}",
        String::from_utf8_lossy(&opened.body)
    );
    let case: Uuid = opened.json()["id"].as_str().unwrap().parse().unwrap();

    let no_claim = NewDispute {
        id: Uuid::from_u128(1),
        partner: "gooddrug".into(),
        claim_id: None,
        status: "open".into(),
        amount: Decimal::new(100, 2),
        payload: json!({"reason": "test"}),
        at: t(2),
    };
    let no_totals = NewResponse {
        id: Uuid::from_u128(101),
        partner: "gooddrug".into(),
        direction: Direction::Inbound,
        isa13: None,
        gs06: None,
        st02: None,
        debit_memo: None,
        claim_id: None,
        match_status: MatchStatus::Unmatched,
        total_claimed: None,
        total_approved: None,
        document_id: None,
        payload: json!({}),
        at: t(3),
    };
    let mut tx = g.store.begin().await.unwrap();
    tx.insert_dispute(&no_claim, &event("dispute", no_claim.id, "open", t(2)))
        .await
        .unwrap();
    tx.insert_response(
        &no_totals,
        &event("response", no_totals.id, "unmatched", t(3)),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Loaded {
        tx: failed.id,
        case,
        response,
    }
}

const BATCH: &str = "gooddrug%2FGDD-CB-20261115-0001";
const NO_ID: &str = "00000000-0000-0000-0000-0000000000ff";

/// The requests of the walk: at least one per documented operation.
fn probes(&Loaded { tx, case, response }: &Loaded) -> Vec<Probe> {
    let batch = format!("/api/v1/batches/{BATCH}");
    let claim = format!("/api/v1/claims/{BATCH}");
    let case = format!("/api/v1/disputes/{case}");
    let link = format!("/api/v1/responses/{response}/link");
    let mut p =
        vec![
        probe("get", "/api/v1/openapi.json", "/api/v1/openapi.json").expect(200),
        // Transactions.
        probe("get", "/api/v1/transactions", "/api/v1/transactions").expect(200),
        probe(
            "get",
            "/api/v1/transactions",
            "/api/v1/transactions?state=failed&direction=inbound&step=parse&limit=10",
        )
        .expect(200),
        probe("get", "/api/v1/transactions", "/api/v1/transactions?limit=0").expect(400),
        probe("get", "/api/v1/transactions", "/api/v1/transactions?limit=-5").expect(400),
        probe(
            "get",
            "/api/v1/transactions",
            "/api/v1/transactions?limit=99999999999999999999",
        )
        .expect(400),
        probe("get", "/api/v1/transactions", "/api/v1/transactions?limit=ten").expect(400),
        probe("get", "/api/v1/transactions", "/api/v1/transactions?state=bogus").expect(400),
        probe("get", "/api/v1/transactions", "/api/v1/transactions?colour=red").expect(400),
        probe("get", "/api/v1/transactions", "/api/v1/transactions?failed=maybe").expect(400),
        probe(
            "get",
            "/api/v1/transactions/{id}",
            format!("/api/v1/transactions/{tx}"),
        )
        .expect(200),
        probe(
            "get",
            "/api/v1/transactions/{id}",
            format!("/api/v1/transactions/{NO_ID}"),
        )
        .expect(404),
        probe(
            "get",
            "/api/v1/transactions/{id}",
            "/api/v1/transactions/not-a-uuid",
        )
        .expect(400),
        probe(
            "post",
            "/api/v1/transactions/{id}/replay",
            format!("/api/v1/transactions/{NO_ID}/replay"),
        )
        .expect(404),
        probe(
            "post",
            "/api/v1/transactions/{id}/replay",
            "/api/v1/transactions/nope/replay",
        )
        .expect(400),
        // A failed parse with no raw file to parse again.
        probe(
            "post",
            "/api/v1/transactions/{id}/replay",
            format!("/api/v1/transactions/{tx}/replay"),
        ),
        // Dismissed: off the failed queue, not dismissed twice, not replayed.
        probe(
            "post",
            "/api/v1/transactions/{id}/dismiss",
            format!("/api/v1/transactions/{NO_ID}/dismiss"),
        )
        .json(r#"{"actor": "ann", "reason": "resent"}"#)
        .expect(404),
        probe(
            "post",
            "/api/v1/transactions/{id}/dismiss",
            "/api/v1/transactions/nope/dismiss",
        )
        .json(r#"{"actor": "ann", "reason": "resent"}"#)
        .expect(400),
        probe(
            "post",
            "/api/v1/transactions/{id}/dismiss",
            format!("/api/v1/transactions/{tx}/dismiss"),
        )
        .json(r#"{"actor": "ann", "reason": " "}"#)
        .expect(422),
        probe(
            "post",
            "/api/v1/transactions/{id}/dismiss",
            format!("/api/v1/transactions/{tx}/dismiss"),
        )
        .json(r#"{"actor": "ann"}"#)
        .expect(422),
        probe(
            "post",
            "/api/v1/transactions/{id}/dismiss",
            format!("/api/v1/transactions/{tx}/dismiss"),
        )
        .untyped(r#"{"actor": "ann", "reason": "resent"}"#)
        .expect(415),
        probe(
            "post",
            "/api/v1/transactions/{id}/dismiss",
            format!("/api/v1/transactions/{tx}/dismiss"),
        )
        .json(r#"{"actor": "ann", "reason": "resent as ISA13 000000905"}"#)
        .expect(200),
        probe(
            "post",
            "/api/v1/transactions/{id}/dismiss",
            format!("/api/v1/transactions/{tx}/dismiss"),
        )
        .json(r#"{"actor": "ann", "reason": "again"}"#)
        .expect(409),
        probe(
            "post",
            "/api/v1/transactions/{id}/replay",
            format!("/api/v1/transactions/{tx}/replay"),
        )
        .expect(409),
        probe(
            "get",
            "/api/v1/transactions",
            "/api/v1/transactions?state=dismissed",
        )
        .expect(200),
        // Restored: failed again; not restored twice.
        probe(
            "post",
            "/api/v1/transactions/{id}/restore",
            format!("/api/v1/transactions/{NO_ID}/restore"),
        )
        .json(r#"{"actor": "ann", "reason": "wrong file"}"#)
        .expect(404),
        probe(
            "post",
            "/api/v1/transactions/{id}/restore",
            "/api/v1/transactions/nope/restore",
        )
        .json(r#"{"actor": "ann", "reason": "wrong file"}"#)
        .expect(400),
        probe(
            "post",
            "/api/v1/transactions/{id}/restore",
            format!("/api/v1/transactions/{tx}/restore"),
        )
        .json(r#"{"actor": "", "reason": "wrong file"}"#)
        .expect(422),
        probe(
            "post",
            "/api/v1/transactions/{id}/restore",
            format!("/api/v1/transactions/{tx}/restore"),
        )
        .untyped(r#"{"actor": "ann", "reason": "wrong file"}"#)
        .expect(415),
        probe(
            "post",
            "/api/v1/transactions/{id}/restore",
            format!("/api/v1/transactions/{tx}/restore"),
        )
        .json(r#"{"actor": "ann", "reason": "dismissed the wrong file"}"#)
        .expect(200),
        probe(
            "post",
            "/api/v1/transactions/{id}/restore",
            format!("/api/v1/transactions/{tx}/restore"),
        )
        .json(r#"{"actor": "ann", "reason": "again"}"#)
        .expect(409),
        // Batches.
        probe("get", "/api/v1/batches", "/api/v1/batches").expect(200),
        probe(
            "get",
            "/api/v1/batches",
            "/api/v1/batches?partner=gooddrug&status=closed&role=adjudicator&number=GDD&limit=5",
        )
        .expect(200),
        probe("get", "/api/v1/batches", "/api/v1/batches?limit=0").expect(400),
        probe("get", "/api/v1/batches", "/api/v1/batches?limit=1001").expect(400),
        probe("get", "/api/v1/batches", "/api/v1/batches?status=bogus").expect(400),
        probe("get", "/api/v1/batches", "/api/v1/batches?bogus=1").expect(400),
        probe("get", "/api/v1/batches/{id}", batch.clone()).expect(200),
        probe(
            "get",
            "/api/v1/batches/{id}",
            format!("{batch}?lines_limit=2&after=1&line_status=claimed,rejected"),
        )
        .expect(200),
        probe(
            "get",
            "/api/v1/batches/{id}",
            format!("{batch}?lines_limit=0"),
        )
        .expect(400),
        probe("get", "/api/v1/batches/{id}", format!("{batch}?after=-1")).expect(400),
        probe(
            "get",
            "/api/v1/batches/{id}",
            format!("{batch}?line_status=bogus"),
        )
        .expect(400),
        probe("get", "/api/v1/batches/{id}", "/api/v1/batches/gooddrug%2Fnope").expect(404),
        probe("get", "/api/v1/batches/{id}", format!("/api/v1/batches/{NO_ID}")).expect(404),
        probe(
            "post",
            "/api/v1/batches/{id}/actions",
            "/api/v1/batches/gooddrug%2Fnope/actions",
        )
        .json(r#"{"expected_version": 1, "action": {"action": "accept", "line": "1"}}"#)
        .expect(404),
        probe(
            "post",
            "/api/v1/batches/{id}/actions",
            format!("{batch}/actions"),
        )
        .json(r#"{"expected_version": 1, "action": {"action": "accept", "line": "1""#)
        .expect(400),
        probe(
            "post",
            "/api/v1/batches/{id}/actions",
            format!("{batch}/actions"),
        )
        .json(r#"{"action": {"action": "accept", "line": "1"}}"#)
        .expect(422),
        probe(
            "post",
            "/api/v1/batches/{id}/actions",
            format!("{batch}/actions"),
        )
        .typed(
            "text/plain",
            r#"{"expected_version": 1, "action": {"action": "accept", "line": "1"}}"#,
        )
        .expect(415),
        probe(
            "post",
            "/api/v1/batches/{id}/actions",
            format!("{batch}/actions"),
        ),
        probe(
            "post",
            "/api/v1/batches/{id}/actions",
            format!("{batch}/actions"),
        )
        .json(r#"{"expected_version": 1, "action": {"action": "accept", "line": "1"}}"#),
        probe("post", "/api/v1/batches/cut", "/api/v1/batches/cut")
            .json(r#"{"partner": "gooddrug", "through": "2026-12-01"}"#),
        probe("post", "/api/v1/batches/cut", "/api/v1/batches/cut"),
        probe("post", "/api/v1/batches/cut", "/api/v1/batches/cut")
            .json(r#"{"through": "yesterday"}"#)
            .expect(422),
        probe("post", "/api/v1/batches/cut", "/api/v1/batches/cut")
            .json("[")
            .expect(400),
        probe("post", "/api/v1/batches/cut", "/api/v1/batches/cut")
            .typed("application/x-www-form-urlencoded", "partner=gooddrug")
            .expect(415),
        probe("post", "/api/v1/batches/cut", "/api/v1/batches/cut")
            .json(r#"{"partner": "nobody"}"#),
        probe(
            "get",
            "/api/v1/batches/{id}/disputes.csv",
            format!("{batch}/disputes.csv"),
        ),
        probe(
            "get",
            "/api/v1/batches/{id}/disputes.csv",
            "/api/v1/batches/gooddrug%2Fnope/disputes.csv",
        )
        .expect(404),
        probe(
            "post",
            "/api/v1/batches/{id}/corrections",
            format!("{batch}/corrections?expected_version=1"),
        )
        .typed("text/csv", "nope\n"),
        probe(
            "post",
            "/api/v1/batches/{id}/corrections",
            format!("{batch}/corrections"),
        )
        .typed("text/csv", "nope\n")
        .expect(400),
        probe(
            "post",
            "/api/v1/batches/{id}/corrections",
            "/api/v1/batches/gooddrug%2Fnope/corrections?expected_version=1",
        )
        .typed("text/csv", "nope\n")
        .expect(404),
        // Claims.
        probe("get", "/api/v1/claims", "/api/v1/claims").expect(200),
        probe(
            "get",
            "/api/v1/claims",
            "/api/v1/claims?partner=gooddrug&status=settled&number=GDD&limit=3",
        )
        .expect(200),
        probe("get", "/api/v1/claims", "/api/v1/claims?limit=-1").expect(400),
        probe("get", "/api/v1/claims", "/api/v1/claims?status=bogus").expect(400),
        probe("get", "/api/v1/claims", "/api/v1/claims?bogus=1").expect(400),
        probe("get", "/api/v1/claims/{id}", claim.clone()).expect(200),
        probe(
            "get",
            "/api/v1/claims/{id}",
            format!("{claim}?lines_limit=1&line_status=paid"),
        )
        .expect(200),
        probe(
            "get",
            "/api/v1/claims/{id}",
            format!("{claim}?lines_limit=5001"),
        )
        .expect(400),
        probe("get", "/api/v1/claims/{id}", "/api/v1/claims/gooddrug%2Fnope").expect(404),
        probe("get", "/api/v1/claims/{id}", format!("/api/v1/claims/{NO_ID}")).expect(404),
        probe("post", "/api/v1/claims/{id}/actions", format!("{claim}/actions"))
            .json(r#"{"expected_version": 1, "action": {"action": "approve"}}"#),
        probe(
            "post",
            "/api/v1/claims/{id}/actions",
            "/api/v1/claims/gooddrug%2Fnope/actions",
        )
        .json(r#"{"expected_version": 1, "action": {"action": "approve"}}"#)
        .expect(404),
        probe("post", "/api/v1/claims/{id}/actions", format!("{claim}/actions"))
            .json(r#"{"expected_version": 1, "action": {"action": "fly"}}"#)
            .expect(422),
        probe("post", "/api/v1/claims/{id}/actions", format!("{claim}/actions"))
            .typed("text/plain", "approve")
            .expect(415),
        probe(
            "post",
            "/api/v1/claims/{id}/settlements",
            format!("{claim}/settlements"),
        )
        .json(
            r#"{"expected_version": 2, "method": "credit_memo_on_account", "number": "CM-1",
                "date": "2026-12-20", "amount": "1.00"}"#,
        )
        .expect(200),
        probe(
            "post",
            "/api/v1/claims/{id}/settlements",
            "/api/v1/claims/gooddrug%2Fnope/settlements",
        )
        .json(
            r#"{"expected_version": 1, "method": "check", "number": "CHK-1",
                "date": "2026-12-20", "amount": "1.00"}"#,
        )
        .expect(404),
        probe(
            "post",
            "/api/v1/claims/{id}/settlements",
            format!("{claim}/settlements"),
        )
        .json(r#"{"expected_version": 1, "method": "check"}"#)
        .expect(422),
        probe(
            "post",
            "/api/v1/claims/{id}/resubmissions",
            format!("{claim}/resubmissions"),
        )
        .json(r#"{"expected_version": 1, "lines": ["5"]}"#),
        probe(
            "post",
            "/api/v1/claims/{id}/resubmissions",
            "/api/v1/claims/gooddrug%2Fnope/resubmissions",
        )
        .json(r#"{"expected_version": 1}"#)
        .expect(404),
        probe(
            "post",
            "/api/v1/claims/{id}/resubmissions",
            format!("{claim}/resubmissions"),
        )
        .json("{}")
        .expect(422),
        probe(
            "post",
            "/api/v1/claims/{id}/disputes",
            format!("{claim}/disputes"),
        )
        .json(r#"{"lines": ["3"], "amount": "5.00", "reason": "their price"}"#),
        probe(
            "post",
            "/api/v1/claims/{id}/disputes",
            "/api/v1/claims/gooddrug%2Fnope/disputes",
        )
        .json(r#"{"lines": ["3"], "amount": "19.50", "reason": "our price"}"#)
        .expect(404),
        probe(
            "post",
            "/api/v1/claims/{id}/disputes",
            format!("{claim}/disputes"),
        )
        .json(r#"{"lines": ["3"]}"#)
        .expect(422),
        probe("post", "/api/v1/settlements", "/api/v1/settlements").json(
            r#"{"method": "credit_memo_on_account", "number": "CM-2", "date": "2026-12-20",
                "allocations": [{"claim": "gooddrug/GDD-CB-20261115-0001",
                "expected_version": 3, "amount": "1.00"}]}"#,
        )
        .expect(200),
        probe("post", "/api/v1/settlements", "/api/v1/settlements")
            .json(
                r#"{"method": "check", "number": "CHK-2", "date": "2026-12-20",
                "allocations": [{"claim": "gooddrug/nope",
                "expected_version": 1, "amount": "1.00"}]}"#,
            )
            .expect(404),
        probe("post", "/api/v1/settlements", "/api/v1/settlements")
            .json(r#"{"method": "check"}"#)
            .expect(422),
        probe(
            "get",
            "/api/v1/settlements/proposal",
            "/api/v1/settlements/proposal?partner=gooddrug&amount=10.00",
        ),
        probe(
            "get",
            "/api/v1/settlements/proposal",
            "/api/v1/settlements/proposal?partner=gooddrug",
        )
        .expect(400),
        probe(
            "get",
            "/api/v1/settlements/proposal",
            "/api/v1/settlements/proposal?partner=gooddrug&amount=ten",
        )
        .expect(400),
        // Disputes.
        probe("get", "/api/v1/disputes", "/api/v1/disputes").expect(200),
        probe(
            "get",
            "/api/v1/disputes",
            "/api/v1/disputes?status=open,won&partner=gooddrug&limit=1",
        )
        .expect(200),
        probe("get", "/api/v1/disputes", "/api/v1/disputes?limit=0").expect(400),
        probe("get", "/api/v1/disputes", "/api/v1/disputes?after=nope").expect(400),
        probe("get", "/api/v1/disputes/{id}", case.clone()).expect(200),
        probe(
            "get",
            "/api/v1/disputes/{id}",
            "/api/v1/disputes/00000000-0000-0000-0000-000000000001",
        )
        .expect(200),
        probe(
            "get",
            "/api/v1/disputes/{id}",
            format!("/api/v1/disputes/{NO_ID}"),
        )
        .expect(404),
        // An id that is no UUID names no case.
        probe("get", "/api/v1/disputes/{id}", "/api/v1/disputes/nope").expect(404),
        probe(
            "post",
            "/api/v1/disputes/{id}/actions",
            format!("{case}/actions"),
        )
        .json(r#"{"expected_version": 1, "action": {"action": "submit"}}"#),
        probe(
            "post",
            "/api/v1/disputes/{id}/actions",
            format!("/api/v1/disputes/{NO_ID}/actions"),
        )
        .json(r#"{"expected_version": 1, "action": {"action": "submit"}}"#)
        .expect(404),
        probe(
            "post",
            "/api/v1/disputes/{id}/actions",
            format!("{case}/actions"),
        )
        .json(r#"{"expected_version": 1, "action": {"action": "decide"}}"#)
        .expect(422),
        // 849s.
        probe(
            "get",
            "/api/v1/responses/unmatched",
            "/api/v1/responses/unmatched",
        )
        .expect(200),
        probe(
            "get",
            "/api/v1/responses/unmatched",
            "/api/v1/responses/unmatched?partner=gooddrug&limit=1000",
        )
        .expect(200),
        probe(
            "get",
            "/api/v1/responses/unmatched",
            "/api/v1/responses/unmatched?limit=0",
        )
        .expect(400),
        probe("post", "/api/v1/responses/{id}/link", link.clone())
            .json(r#"{"claim": "gooddrug/GDD-CB-20261115-0001", "actor": "ann"}"#),
        probe(
            "post",
            "/api/v1/responses/{id}/link",
            format!("/api/v1/responses/{NO_ID}/link"),
        )
        .json(r#"{"claim": "gooddrug/GDD-CB-20261115-0001", "actor": "ann"}"#)
        .expect(404),
        probe("post", "/api/v1/responses/{id}/link", link.clone())
            .json(r#"{"claim": "gooddrug/nope", "actor": "ann"}"#)
            .expect(404),
        probe("post", "/api/v1/responses/{id}/link", link.clone())
            .json(r#"{"actor": "ann"}"#)
            .expect(422),
        probe("post", "/api/v1/responses/{id}/link", link)
            .typed("text/plain", "hello")
            .expect(415),
        // GPO rosters.
        probe(
            "post",
            "/api/v1/gpos/{gpo}/roster",
            "/api/v1/gpos/GPO77/roster?mode=delta",
        )
        .typed("text/csv", "nope\n")
        .expect(422),
        probe(
            "post",
            "/api/v1/gpos/{gpo}/roster",
            "/api/v1/gpos/GPO77/roster",
        )
        .typed("text/csv", "nope\n")
        .expect(400),
        probe(
            "post",
            "/api/v1/gpos/{gpo}/roster",
            "/api/v1/gpos/GPO77/roster?mode=sideways",
        )
        .typed("text/csv", "nope\n")
        .expect(400),
        probe(
            "post",
            "/api/v1/gpos/{gpo}/roster/{id}/approve",
            format!("/api/v1/gpos/GPO77/roster/{NO_ID}/approve"),
        )
        .expect(404),
        probe(
            "post",
            "/api/v1/gpos/{gpo}/roster/{id}/approve",
            "/api/v1/gpos/GPO77/roster/nope/approve",
        )
        .expect(404),
        // Reference prices.
        probe(
            "get",
            "/api/v1/suppliers/{supplier}/reference-prices",
            "/api/v1/suppliers/acmepharma/reference-prices",
        )
        .expect(200),
        probe(
            "get",
            "/api/v1/suppliers/{supplier}/reference-prices",
            "/api/v1/suppliers/acmepharma/reference-prices?date=2026-12-01&limit=10",
        )
        .expect(200),
        probe(
            "get",
            "/api/v1/suppliers/{supplier}/reference-prices",
            "/api/v1/suppliers/acmepharma/reference-prices?date=soon",
        )
        .expect(400),
        probe(
            "get",
            "/api/v1/suppliers/{supplier}/reference-prices",
            "/api/v1/suppliers/acmepharma/reference-prices?limit=0",
        )
        .expect(400),
        probe(
            "post",
            "/api/v1/suppliers/{supplier}/reference-prices",
            "/api/v1/suppliers/acmepharma/reference-prices",
        )
        .typed("text/csv", "nope\n")
        .expect(422),
        // Contracts.
        probe(
            "post",
            "/api/v1/contracts/{contract}/versions/{version}/retro/approve",
            "/api/v1/contracts/nope/versions/1/retro/approve",
        )
        .json(r#"{"actor": "ann"}"#)
        .expect(404),
        probe(
            "post",
            "/api/v1/contracts/{contract}/versions/{version}/retro/approve",
            "/api/v1/contracts/nope/versions/one/retro/approve",
        )
        .json(r#"{"actor": "ann"}"#)
        .expect(400),
        probe(
            "post",
            "/api/v1/contracts/{contract}/versions/{version}/retro/approve",
            "/api/v1/contracts/nope/versions/1/retro/approve",
        )
        .json("{}")
        .expect(422),
    ];
    p.extend([
        probe(
            "get",
            "/api/v1/transactions",
            "/api/v1/transactions?limit=1.5",
        )
        .expect(400),
        probe("get", "/api/v1/transactions", "/api/v1/transactions?limit=").expect(400),
        probe(
            "get",
            "/api/v1/transactions",
            "/api/v1/transactions?stuck=525601",
        )
        .expect(400),
        probe(
            "get",
            "/api/v1/transactions",
            "/api/v1/transactions?limit=1&limit=2",
        )
        .expect(400),
        probe(
            "get",
            "/api/v1/claims/{id}",
            format!("{claim}?after=99999999999999999999"),
        )
        .expect(400),
        probe(
            "post",
            "/api/v1/batches/{id}/actions",
            format!("{batch}/actions"),
        )
        .json("[]")
        .expect(422),
        probe(
            "post",
            "/api/v1/batches/{id}/actions",
            format!("{batch}/actions"),
        )
        .json("\u{ff}\u{fe}")
        .expect(400),
        probe("post", "/api/v1/batches/cut", "/api/v1/batches/cut")
            .typed(
                "application/json; charset=utf-8",
                r#"{"partner": null, "through": null}"#,
            )
            .expect(200),
        probe(
            "get",
            "/api/v1/settlements/proposal",
            "/api/v1/settlements/proposal?partner=gooddrug&amount=-5",
        )
        .expect(422),
        probe(
            "get",
            "/api/v1/settlements/proposal",
            "/api/v1/settlements/proposal?partner=nobody&amount=5",
        ),
        probe(
            "get",
            "/api/v1/suppliers/{supplier}/reference-prices",
            "/api/v1/suppliers/acmepharma/reference-prices?after=garbage",
        ),
        probe(
            "get",
            "/api/v1/suppliers/{supplier}/reference-prices",
            "/api/v1/suppliers/acmepharma/reference-prices?bogus=1",
        )
        .expect(400),
        probe("post", "/api/v1/suppliers/{supplier}/reference-prices", "/api/v1/suppliers/acmepharma/reference-prices")
            .typed("text/csv", "item,price,uom,start\n12345-0100-01,18.75,CA,2026-01-01\n")
            .expect(201),
        probe("get", "/api/v1/suppliers/{supplier}/reference-prices", "/api/v1/suppliers/acmepharma/reference-prices?limit=1")
            .expect(200),
        probe("post", "/api/v1/gpos/{gpo}/roster", "/api/v1/gpos/GPO77/roster?mode=delta")
            .typed("text/csv", "gpo_id_qualifier,gpo_id,customer_id_qualifier,customer_id,customer_name,\
                 activation_date,deactivation_date,tier\n91,GPO77,21,5G6H7J8K9,HILLCREST,2026-11-01,,A\n"),
        // A CSV upload sent as JSON.
        probe(
            "post",
            "/api/v1/suppliers/{supplier}/reference-prices",
            "/api/v1/suppliers/acmepharma/reference-prices",
        )
        .json(r#"{"item": "x"}"#)
        .expect(415),
        probe(
            "post",
            "/api/v1/gpos/{gpo}/roster",
            "/api/v1/gpos/GPO77/roster?mode=delta",
        )
        .json(r#"{"gpo": "x"}"#)
        .expect(415),
        probe(
            "post",
            "/api/v1/batches/{id}/corrections",
            format!("{batch}/corrections?expected_version=1"),
        )
        .json(r#"{"line": "x"}"#)
        .expect(415),
        probe(
            "post",
            "/api/v1/gpos/{gpo}/roster",
            "/api/v1/gpos/GPO77/roster?mode=delta",
        ),
        probe(
            "post",
            "/api/v1/gpos/{gpo}/roster/{id}/approve",
            format!("/api/v1/gpos/GPO77/roster/{NO_ID}/approve?bogus=1"),
        ),
    ]);
    // A request body a client took from the document, sent without its content type.
    p.push(
        probe("post", "/api/v1/batches/cut", "/api/v1/batches/cut")
            .untyped(r#"{"partner": "gooddrug"}"#)
            .expect(415),
    );
    p
}

/// A value `schema` allows for a query parameter, URL-encoded: its example, default, first
/// enum value, minimum, or one of its type or format; none for an id (`format: uuid`), which
/// must name a row.
fn example(schema: &Value) -> Option<String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.replace(',', "%2C"),
        v => v.to_string(),
    };
    if schema["format"] == "uuid" {
        return None;
    }
    if let Some(v) = schema["examples"].get(0) {
        return Some(text(v));
    }
    if let Some(v) = schema.get("default") {
        return Some(text(v));
    }
    if let Some(v) = schema["enum"].get(0) {
        return Some(text(v));
    }
    if let Some(v) = schema.get("minimum") {
        return Some(text(v));
    }
    Some(
        match (schema["type"].as_str(), schema["format"].as_str()) {
            (_, Some("date")) => "2026-12-01",
            (Some("integer"), _) => "1",
            (Some("boolean"), _) => "false",
            (Some("string"), _) if schema.get("pattern").is_some() => "1.00",
            _ => "x",
        }
        .to_owned(),
    )
}

/// `schema` with its `$ref` followed (within `doc`).
fn resolved<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => resolved(doc, doc.pointer(r.trim_start_matches('#')).unwrap()),
        None => schema,
    }
}

/// The smallest instance of `schema` a client may send: its required properties only, each
/// at its first enum value, a decimal, a date or a placeholder; the first alternative of a
/// `oneOf`.
fn minimal(doc: &Value, schema: &Value) -> Value {
    let schema = resolved(doc, schema);
    if let Some(first) = schema["oneOf"].get(0) {
        return minimal(doc, first);
    }
    if let Some(v) = schema["enum"].get(0) {
        return v.clone();
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types[0].as_str().unwrap_or_default(),
        t => t.as_str().unwrap_or_default(),
    };
    match ty {
        "object" => {
            let mut o = serde_json::Map::new();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap();
                o.insert(name.into(), minimal(doc, &schema["properties"][name]));
            }
            Value::Object(o)
        }
        "array" => json!([]),
        "integer" => json!(1),
        "boolean" => json!(false),
        _ if schema["format"] == "date" => json!("2026-12-01"),
        _ if schema.get("pattern").is_some() => json!("1.00"),
        _ => json!("1"),
    }
}

/// The smallest bodies of `schema`: one, or one per alternative of the property that is a
/// `oneOf` (each action of an actions route).
fn minimal_bodies(doc: &Value, schema: &Value) -> Vec<Value> {
    let schema = resolved(doc, schema);
    let body = minimal(doc, schema);
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        if let Some(alternatives) = resolved(doc, property)["oneOf"].as_array()
            && body.get(name).is_some()
        {
            return alternatives
                .iter()
                .map(|alternative| {
                    let mut b = body.clone();
                    b[name] = minimal(doc, alternative);
                    b
                })
                .collect();
        }
    }
    vec![body]
}

/// Sends `p`; what is wrong with its answer (as the document describes it, against the status
/// the probe expects, a 500) is added to `wrong`. A body the probe sends as valid JSON must be
/// valid as the document says.
async fn walk(
    doc: &Value,
    addr: std::net::SocketAddr,
    p: &Probe,
    wrong: &mut Vec<String>,
) -> Answer {
    let op = &doc["paths"][p.template.as_str()][p.method];
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    if p.expect.is_none_or(|s| s < 300)
        && p.content_type == Some("application/json")
        && !schema.is_null()
    {
        let body: Value = serde_json::from_slice(&p.body).unwrap();
        let errors: Vec<String> = validator(doc, schema)
            .iter_errors(&body)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{} {}: {errors:?}", p.method, p.path);
    }
    let answer = p.send(addr).await;
    let mut found = disagreements(doc, p.method, &p.template, &answer);
    if let Some(expected) = p.expect
        && expected != answer.status
    {
        found.push(format!(
            "expected {expected}, got {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        ));
    }
    if answer.status >= 500 {
        found.push(String::from_utf8_lossy(&answer.body).into_owned());
    }
    for f in found {
        wrong.push(format!("{} {}: {f}", p.method.to_ascii_uppercase(), p.path));
    }
    answer
}

/// Every documented operation answers every request of the walk as the document says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_as_the_document_says() {
    let doc = document();
    let g = start().await;
    let loaded = load(&g).await;
    let probes = probes(&loaded);

    // The walk covers every path and method of the document.
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let walked: BTreeSet<(String, String)> = probes
        .iter()
        .map(|p| (p.method.to_owned(), p.template.to_owned()))
        .collect();
    let unwalked: Vec<_> = documented.difference(&walked).collect();
    assert!(unwalked.is_empty(), "not walked: {unwalked:?}");
    let undocumented: Vec<_> = walked.difference(&documented).collect();
    assert!(undocumented.is_empty(), "not documented: {undocumented:?}");

    let mut wrong = Vec::new();
    let mut statuses = BTreeSet::new();
    for p in &probes {
        statuses.insert(walk(&doc, g.addr, p, &mut wrong).await.status);
    }
    // A snapshot leaving out the member the walk's delta added would deactivate all of the
    // GPO's members: held (202) until approved.
    let held = probe(
        "post",
        "/api/v1/gpos/{gpo}/roster",
        "/api/v1/gpos/GPO77/roster?mode=snapshot",
    )
    .typed(
        "text/csv",
        "gpo_id_qualifier,gpo_id,customer_id_qualifier,customer_id,customer_name,\
         activation_date,deactivation_date,tier\n91,GPO77,21,1A2B3C4D5,RIVERSIDE,2026-11-01,,\n",
    )
    .expect(202);
    let held = walk(&doc, g.addr, &held, &mut wrong).await.json();
    assert_eq!(held["status"], "pending_approval", "{held}");
    assert_eq!(held["held"], json!({"deactivating": 1, "members": 1}));
    let approve = probe(
        "post",
        "/api/v1/gpos/{gpo}/roster/{id}/approve",
        format!(
            "/api/v1/gpos/GPO77/roster/{}/approve?actor=ann",
            held["id"].as_str().unwrap()
        ),
    )
    .expect(200);
    let approved = walk(&doc, g.addr, &approve, &mut wrong).await.json();
    assert_eq!(approved["status"], "applied", "{approved}");
    let again = walk(&doc, g.addr, &approve.expect(409), &mut wrong).await;
    assert_eq!(again.status, 409);
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // Every query parameter the document gives an operation is one the server takes: each
    // operation once more with all of them, at a value their schema allows.
    let mut sent_all = 0;
    let mut once = BTreeSet::new();
    for p in &probes {
        let op = &doc["paths"][p.template.as_str()][p.method];
        let params: Vec<(String, String)> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|q| q["in"] == "query")
            .filter_map(|q| Some((q["name"].as_str()?.to_owned(), example(&q["schema"])?)))
            .collect();
        let path = p.path.split('?').next().unwrap();
        if params.is_empty() || !once.insert((p.method, p.template.as_str())) {
            continue;
        }
        let query: Vec<String> = params.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let all = Probe {
            method: p.method,
            template: p.template.clone(),
            path: format!("{path}?{}", query.join("&")),
            content_type: p.content_type,
            body: p.body.clone(),
            expect: None,
        };
        let answer = walk(&doc, g.addr, &all, &mut wrong).await;
        assert_ne!(
            answer.status,
            400,
            "{} {}: {}",
            all.method,
            all.path,
            String::from_utf8_lossy(&answer.body)
        );
        sent_all += 1;
    }
    assert!(sent_all > 10, "{sent_all}");
    // The smallest body the document allows (each action of an actions route) is read:
    // whatever the answer, it is not about the body's shape. Sent for unknown entities, so
    // nothing changes.
    let mut minimal_sent = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        let Some(schema) = item["post"]["requestBody"]["content"]["application/json"].get("schema")
        else {
            continue;
        };
        let path = template
            .replace("{id}", NO_ID)
            .replace("{version}", "1")
            .replace(['{', '}'], "");
        for body in minimal_bodies(&doc, schema) {
            let p = Probe {
                method: "post",
                template: template.clone(),
                path: path.clone(),
                content_type: Some("application/json"),
                body: body.to_string().into_bytes(),
                expect: None,
            };
            let answer = walk(&doc, g.addr, &p, &mut wrong).await;
            let said = String::from_utf8_lossy(&answer.body);
            assert!(
                ![400, 415].contains(&answer.status) && !said.contains("invalid request body"),
                "POST {path} {body}: {} {said}",
                answer.status
            );
            minimal_sent += 1;
        }
    }
    assert!(minimal_sent > 30, "{minimal_sent}");
    // What a client reads back: a batch found by the prefix of the number it is shown under,
    // the two 849s of the queue, the one stating no totals with nulls.
    let batches = get(
        g.addr,
        "/api/v1/batches?number=gooddrug%2FGDD-CB&role=adjudicator",
    )
    .await
    .json();
    assert_eq!(
        batches[0]["number"], "gooddrug/GDD-CB-20261115-0001",
        "{batches}"
    );
    let queue = get(g.addr, "/api/v1/responses/unmatched").await.json();
    let rows: Vec<String> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["partner"], r["debit_memo"], r["total_claimed"], r["total_approved"]
            )
        })
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0], r#""gooddrug" null null null"#);
    assert!(
        rows[1].starts_with(r#""acmepharma" "GDD-CB-20261115-0001" "#),
        "{rows:?}"
    );
    // The walk met the answers it is about.
    for status in [200, 400, 404, 415, 422] {
        assert!(statuses.contains(&status), "no {status} in {statuses:?}");
    }
    g.finish().await;
}

/// A path the router does not serve is a 404 and a method a path does not take a 405 naming
/// the methods it does (`Allow`), both the documented `{"error": "..."}` as JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_and_methods_are_json_404s_and_405s() {
    let doc = document();
    let g = start().await;
    let error_schema = validator(&doc, &json!({"$ref": "#/components/schemas/Error"}));
    for path in [
        "/api/v1/nope",
        "/api/v1/batches/x/y/z",
        "/api/v2/batches",
        "/nope",
    ] {
        let answer = get(g.addr, path).await;
        assert_eq!(answer.status, 404, "{path}");
        assert_eq!(answer.header("content-type"), Some("application/json"));
        let body = answer.json();
        assert!(error_schema.is_valid(&body), "{path}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(path),
            "{path}: {body}"
        );
    }
    // Every documented path, with each method it does not document.
    let mut checked = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        let path = template
            .replace("{id}", NO_ID)
            .replace("{version}", "1")
            .replace(['{', '}'], "");
        let allowed: BTreeSet<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_ascii_uppercase())
            .collect();
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if allowed.contains(method) {
                continue;
            }
            let answer = exchange(
                g.addr,
                &format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0"),
                b"",
            )
            .await;
            assert_eq!(answer.status, 405, "{method} {path}");
            assert_eq!(
                answer.header("content-type"),
                Some("application/json"),
                "{method} {path}"
            );
            let body = answer.json();
            assert!(error_schema.is_valid(&body), "{method} {path}: {body}");
            let mut allow: BTreeSet<String> = answer
                .header("allow")
                .unwrap_or_else(|| panic!("{method} {path}: no Allow"))
                .split(',')
                .map(|m| m.trim().to_owned())
                .collect();
            // HEAD comes with GET.
            allow.remove("HEAD");
            assert_eq!(allow, allowed, "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
    g.finish().await;
}

/// The walk's judge finds what it is there to find: an undocumented status, a content type
/// the document does not list, a body off its schema, an error body without its message.
#[test]
fn the_judge_finds_disagreements() {
    let doc = document();
    let answer = |status: u16, content_type: &str, body: &str| Answer {
        status,
        headers: vec![("content-type".into(), content_type.into())],
        body: body.as_bytes().to_vec(),
    };
    let judge = |a: &Answer| disagreements(&doc, "get", "/api/v1/batches", a);
    let fine = answer(200, "application/json", r#"[]"#);
    assert_eq!(judge(&fine), Vec::<String>::new());
    let teapot = judge(&answer(418, "application/json", r#"{"error": "tea"}"#));
    assert!(
        teapot[0].starts_with("status 418 is not documented"),
        "{teapot:?}"
    );
    let csv = judge(&answer(200, "text/csv", "a,b"));
    assert!(csv[0].contains("content type \"text/csv\""), "{csv:?}");
    let off = judge(&answer(200, "application/json", r#"[{"version": "1"}]"#));
    assert!(
        off.iter()
            .any(|w| w.contains("at /0/version: \"1\" is not of type")),
        "{off:?}"
    );
    let missing = judge(&answer(200, "application/json", r#"[{"id": "x"}]"#));
    assert!(
        missing
            .iter()
            .any(|w| w.contains("\"number\" is a required property")),
        "{missing:?}"
    );
    let bare = judge(&answer(400, "application/json", r#"{"message": "no"}"#));
    assert!(bare.iter().any(|w| w.contains("\"error\"")), "{bare:?}");
}
