//! The API's lists and error answers over HTTP: an in-process gateway (`server::Gateway` on
//! embedded defaults in a temporary directory, HTTP on a free loopback port), its rows written
//! straight into its store, read back through the routes as a client reads them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use server::Gateway;
use server::settings::Settings;
use store::{Direction, MatchStatus, NewAuditEvent, NewDispute, NewResponse, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[path = "api/openapi.rs"]
mod openapi;

/// A running gateway.
struct Running {
    store: Arc<dyn Store>,
    addr: std::net::SocketAddr,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

async fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let profiles =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../partner-maps/profiles");
    let config = format!(
        "[http]\nlisten = \"127.0.0.1:0\"\n[paths]\ndata = \"{d}/data\"\ndrop_root = \"{d}/drop\"\n\
         profiles = \"{}\"\n[database]\nurl = \"sqlite://{d}/chargegate.db\"\n[bus]\n\
         url = \"memory://\"\n[identity]\nkey = \"{d}/key.pem\"\ncertificate = \"{d}/cert.pem\"\n",
        profiles.display()
    );
    std::fs::write(dir.path().join("chargegate.toml"), config).unwrap();
    let settings =
        Settings::load_with_env(Some(&dir.path().join("chargegate.toml")), Vec::new()).unwrap();
    let gateway = Gateway::open(settings).await.unwrap();
    let listener = gateway.bind().await.unwrap();
    let addr = listener.local_addr().unwrap();
    let store = gateway.shared.store.clone();
    let stop = CancellationToken::new();
    let s = stop.clone();
    let task = tokio::spawn(async move {
        let _ = gateway.serve(listener, s).await;
    });
    Running {
        store,
        addr,
        stop,
        task,
        _dir: dir,
    }
}

impl Running {
    async fn finish(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

/// An HTTP/1.1 answer: status, headers (lower-case names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `head` (request line and headers, without the blank line) and `body`, reads the
/// whole answer (`Connection: close`), de-chunking a chunked body.
async fn exchange(addr: std::net::SocketAddr, head: &str, body: &[u8]) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    // The server may answer (and close) before the whole body is sent.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer: {}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        let mut body = Vec::new();
        loop {
            let end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..end]).unwrap().trim(), 16)
                .unwrap();
            rest = &rest[end + 2..];
            if size == 0 {
                break;
            }
            body.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        body
    } else {
        rest.to_vec()
    };
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(addr: std::net::SocketAddr, path: &str) -> Answer {
    exchange(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: localhost"),
        b"",
    )
    .await
}

async fn post_json(addr: std::net::SocketAddr, path: &str, body: &[u8]) -> Answer {
    exchange(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\n\
             Content-Type: application/json\r\nContent-Length: {}",
            body.len()
        ),
        body,
    )
    .await
}

/// A transaction of a file GOOD DRUG sent, at `step` in `state`.
fn gooddrug_inbound(
    step: store::Step,
    state: store::TxState,
    at: DateTime<Utc>,
) -> store::NewTransaction {
    store::NewTransaction::new(
        Uuid::now_v7(),
        "gooddrug",
        Direction::Inbound,
        step,
        state,
        at,
    )
}

fn t(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .collect()
}

fn event(entity: &str, id: Uuid, to: &str, at: DateTime<Utc>) -> NewAuditEvent {
    NewAuditEvent::new("test", entity, id.to_string(), "created", at).transition(None, to)
}

/// `GET /api/v1/disputes` and `/api/v1/responses/unmatched`: filtered by the database, newest
/// first, `limit` rows a page after the `id` of the page before; a bad `limit` or `after` is a
/// JSON 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disputes_and_unmatched_849s_are_listed_a_page_at_a_time() {
    let g = start().await;
    let case = |n: u128, partner: &str, status: &str, at: i64| NewDispute {
        id: Uuid::from_u128(n),
        partner: partner.into(),
        claim_id: None,
        status: status.into(),
        amount: Decimal::new(100, 2),
        payload: json!({"reason": "test"}),
        at: t(at),
    };
    let cases = [
        case(1, "acmepharma", "open", 1),
        case(2, "acmepharma", "submitted", 2),
        case(3, "gooddrug", "open", 3),
        case(4, "acmepharma", "under_review", 4),
        case(5, "acmepharma", "won", 5),
    ];
    let response = |n: u128, partner: &str, status: MatchStatus, at: i64| NewResponse {
        id: Uuid::from_u128(100 + n),
        partner: partner.into(),
        direction: Direction::Inbound,
        isa13: Some(format!("{n:09}")),
        gs06: Some("1".into()),
        st02: Some("0001".into()),
        debit_memo: Some(format!("DM-{n}")),
        claim_id: None,
        match_status: status,
        total_claimed: None,
        total_approved: None,
        document_id: None,
        payload: json!({}),
        at: t(at),
    };
    let responses = [
        response(1, "acmepharma", MatchStatus::Unmatched, 1),
        response(2, "gooddrug", MatchStatus::Unmatched, 2),
        response(3, "acmepharma", MatchStatus::Unmatched, 3),
    ];
    let mut tx = g.store.begin().await.unwrap();
    for c in &cases {
        tx.insert_dispute(c, &event("dispute", c.id, &c.status, c.at))
            .await
            .unwrap();
    }
    for r in &responses {
        tx.insert_response(r, &event("response", r.id, "unmatched", r.at))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let id = |n: u128| Uuid::from_u128(n).to_string();

    // The open cases of every partner, newest first.
    let all = get(g.addr, "/api/v1/disputes").await;
    assert_eq!(all.status, 200);
    assert_eq!(ids(&all.json()), [id(4), id(3), id(2), id(1)]);
    // acmepharma's, two a page.
    let first = get(g.addr, "/api/v1/disputes?partner=acmepharma&limit=2").await;
    assert_eq!(ids(&first.json()), [id(4), id(2)]);
    assert_eq!(first.json()[0]["partner"], "acmepharma");
    let second = get(
        g.addr,
        &format!(
            "/api/v1/disputes?partner=acmepharma&limit=2&after={}",
            id(2)
        ),
    )
    .await;
    assert_eq!(ids(&second.json()), [id(1)]);
    let past = get(
        g.addr,
        &format!(
            "/api/v1/disputes?partner=acmepharma&limit=2&after={}",
            id(1)
        ),
    )
    .await;
    assert_eq!((past.status, past.json()), (200, json!([])));
    let won = get(g.addr, "/api/v1/disputes?status=won,lost").await;
    assert_eq!(ids(&won.json()), [id(5)]);
    // A case outside the list still marks its place.
    let after_won = get(g.addr, &format!("/api/v1/disputes?after={}&limit=1", id(5))).await;
    assert_eq!(ids(&after_won.json()), [id(4)]);

    // The Unmatched Responses queue, newest first, by partner, paged.
    let queue = get(g.addr, "/api/v1/responses/unmatched").await;
    assert_eq!(ids(&queue.json()), [id(103), id(102), id(101)]);
    let acme = get(
        g.addr,
        "/api/v1/responses/unmatched?partner=acmepharma&limit=1",
    )
    .await;
    assert_eq!(ids(&acme.json()), [id(103)]);
    let next = get(
        g.addr,
        &format!(
            "/api/v1/responses/unmatched?partner=acmepharma&limit=1&after={}",
            id(103)
        ),
    )
    .await;
    assert_eq!(ids(&next.json()), [id(101)]);

    // Refused, as JSON 400 naming the parameter: a limit out of range (never clamped), an
    // `after` that is no id or no row's.
    for (path, says) in [
        ("/api/v1/disputes?limit=0", "limit: 0 is out of range"),
        ("/api/v1/disputes?limit=1001", "between 1 and 1000"),
        ("/api/v1/disputes?after=nope", "after"),
        (
            "/api/v1/disputes?after=00000000-0000-0000-0000-0000000000ff",
            "after: no dispute case",
        ),
        ("/api/v1/disputes?status=bogus", "accepted"),
        ("/api/v1/responses/unmatched?limit=1001", "out of range"),
        ("/api/v1/responses/unmatched?after=nope", "after"),
        (
            "/api/v1/responses/unmatched?after=00000000-0000-0000-0000-0000000000ff",
            "after: no 849",
        ),
        ("/api/v1/responses/unmatched?status=open", "unknown field"),
    ] {
        let a = get(g.addr, path).await;
        assert_eq!(a.status, 400, "{path}");
        let body = a.json();
        let message = body["error"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{path}: {body}");
    }
    g.finish().await;
}

/// A body over a route's limit is a JSON 413 naming the limit, whether its length is declared
/// (a roster upload) or found while reading it (a chunked corrections upload, a JSON body).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_large_bodies_are_json_413s_naming_the_limit() {
    let g = start().await;
    let roster = exchange(
        g.addr,
        "POST /api/v1/gpos/GPO77/roster?mode=delta HTTP/1.1\r\nHost: localhost\r\n\
         Content-Type: text/csv\r\nContent-Length: 67108865",
        b"gpo_id_qualifier,gpo_id\n",
    )
    .await;
    assert_eq!(roster.status, 413);
    assert_eq!(roster.header("content-type"), Some("application/json"));
    assert_eq!(
        roster.json(),
        json!({"error": "the request body is larger than 67108864 bytes"})
    );

    // 64 MiB and one byte, chunked: no length to refuse it by, it is counted as it comes.
    let mut chunked = Vec::new();
    for _ in 0..64 {
        chunked.extend_from_slice(format!("{:x}\r\n", 1024 * 1024).as_bytes());
        chunked.extend(std::iter::repeat_n(b'a', 1024 * 1024));
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"1\r\na\r\n0\r\n\r\n");
    let corrections = exchange(
        g.addr,
        "POST /api/v1/batches/gooddrug%2Fx/corrections?expected_version=1 HTTP/1.1\r\n\
         Host: localhost\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked",
        &chunked,
    )
    .await;
    assert_eq!(corrections.status, 413);
    assert_eq!(
        corrections.json(),
        json!({"error": "the request body is larger than 67108864 bytes"})
    );

    let big_json = format!(r#"{{"actor": "{}"}}"#, "a".repeat(2 * 1024 * 1024));
    let cut = post_json(g.addr, "/api/v1/batches/cut", big_json.as_bytes()).await;
    assert_eq!(cut.status, 413);
    assert_eq!(
        cut.json(),
        json!({"error": "the request body is larger than 2097152 bytes"})
    );
    // Under the limit, a roster still arrives whole (and is judged on its content).
    let small = exchange(
        g.addr,
        "POST /api/v1/gpos/GPO77/roster?mode=delta HTTP/1.1\r\nHost: localhost\r\n\
         Content-Type: text/csv\r\nContent-Length: 6",
        b"nope\r\n",
    )
    .await;
    assert_eq!(
        small.status,
        422,
        "{}",
        String::from_utf8_lossy(&small.body)
    );
    g.finish().await;
}

/// A handler that panics is answered as the API's JSON 500 with an error id, not a dropped
/// connection; the server goes on answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_a_json_500() {
    let app = server::api::layers(
        axum::Router::new()
            .route(
                "/api/v1/boom",
                axum::routing::get(|| async {
                    if true {
                        panic!("boom");
                    }
                    "unreachable"
                }),
            )
            .route("/api/v1/fine", axum::routing::get(|| async { "fine" })),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = tokio::spawn(async move { axum::serve(listener, app).await });
    let boom = get(addr, "/api/v1/boom").await;
    assert_eq!(boom.status, 500);
    let message = boom.json()["error"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("internal error while answering GET /api/v1/boom (error id "),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
    assert_eq!(get(addr, "/api/v1/fine").await.body, b"fine");
    served.abort();
}

/// A misspelt field of a batch action or parameter of a corrections upload is refused and
/// named, never ignored (an ignored `expected_versoin` would act on no version check).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_of_batch_actions_and_uploads_are_refused() {
    let g = start().await;
    let body = br#"{"expected_version": 1, "action": {"action": "pay_and_close"}, "bogus": 1}"#;
    let act = post_json(g.addr, "/api/v1/batches/gooddrug%2Fx/actions", body).await;
    assert_eq!(act.status, 422);
    let said = act.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(said.contains("bogus"), "{said}");
    // Inside the action too: a misspelt amount would accept the line uncorrected.
    let body = br#"{"expected_version": 1, "action": {"action": "correct_and_accept", "line": "1", "amont": "5.00"}}"#;
    let act = post_json(g.addr, "/api/v1/batches/gooddrug%2Fx/actions", body).await;
    assert_eq!(act.status, 422, "{}", String::from_utf8_lossy(&act.body));
    let said = act.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(said.contains("amont"), "{said}");
    // And an action that takes no field (the openapi.json says so: no additional properties).
    let body = br#"{"expected_version": 1, "action": {"action": "pay_and_close", "line": "3"}}"#;
    let act = post_json(g.addr, "/api/v1/batches/gooddrug%2Fx/actions", body).await;
    assert_eq!(act.status, 422, "{}", String::from_utf8_lossy(&act.body));
    let said = act.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        said.starts_with("invalid request body: action: unknown field `line`, there are no fields"),
        "{said}"
    );

    let upload = exchange(
        g.addr,
        "POST /api/v1/batches/gooddrug%2Fx/corrections?expected_version=1&bogus=1 HTTP/1.1\r\n\
         Host: localhost\r\nContent-Type: text/csv\r\nContent-Length: 1",
        b"a",
    )
    .await;
    assert_eq!(upload.status, 400);
    let said = upload.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(said.contains("bogus"), "{said}");
    g.finish().await;
}

/// A value of the wrong type is named by its full path, down to the field: inside a batch
/// action (`action.line`, which said `action`: serde's derive reads an internally tagged enum
/// from a buffer a path cannot be followed into; engine::tagged), and in the other bodies
/// (`corrections[0].contract_price` of a resubmission, `allocations[0].amount` of a mass
/// settlement). A field written before the action's tag is read before the action is known:
/// it is named in the message after the action's path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_of_the_wrong_type_is_named_by_its_path() {
    let g = start().await;
    let actions = "/api/v1/batches/gooddrug%2Fx/actions";
    let posts: [(&str, &str, &str); 7] = [
        (
            actions,
            r#"{"expected_version": 1, "action": {"action": "accept", "line": 5}}"#,
            "invalid request body: action.line: invalid type: integer `5`, expected a string",
        ),
        (
            actions,
            r#"{"expected_version": 1, "action": {"line": 5, "action": "accept"}}"#,
            "invalid request body: action: line: invalid type: integer `5`, expected a string",
        ),
        (
            actions,
            r#"{"expected_version": 1, "action": {"action": "correct_and_accept", "line": "1",
                "quantity": "1", "amount": true}}"#,
            "invalid request body: action.amount: invalid type: boolean `true`, expected a Decimal",
        ),
        (
            actions,
            r#"{"expected_version": 1, "action": {"action": "reject", "line": "1",
                "reason": {"configured": 7}}}"#,
            "invalid request body: action.reason.configured: invalid type: integer `7`, expected a string",
        ),
        (
            actions,
            r#"{"expected_version": 1, "action": {"action": "acept", "line": "1"}}"#,
            "invalid request body: action.action: unknown variant `acept`, expected one of",
        ),
        (
            "/api/v1/claims/acmepharma%2FGDD-CB-1-S1/resubmissions",
            r#"{"expected_version": 1, "lines": ["1"],
                "corrections": [{"line": "1", "contract_price": false}]}"#,
            "invalid request body: corrections[0].contract_price: invalid type: boolean `false`",
        ),
        (
            "/api/v1/settlements",
            r#"{"actor": "ann", "method": "credit_memo_on_account", "number": "ACME-CM-9",
                "date": "2026-12-20", "allocations":
                [{"claim": "acmepharma/GDD-CB-1", "expected_version": 4, "amount": [1]}]}"#,
            "invalid request body: allocations[0].amount: invalid type: sequence",
        ),
    ];
    for (path, body, says) in posts {
        let answer = post_json(g.addr, path, body.as_bytes()).await;
        let said = answer.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(answer.status, 422, "{path}: {said}");
        assert!(said.starts_with(says), "{path} {body}: {said}");
    }
    g.finish().await;
}

/// A misspelt field of a settlement, a mass settlement, a dispute case or a resubmission is
/// refused, 422 naming it, before anything is looked up or written: ignored, it would record
/// an instrument without its mass settlement number, open a case without its evidence, or
/// resubmit lines uncorrected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_of_settlements_disputes_and_resubmissions_are_refused() {
    let g = start().await;
    let posts: [(&str, &str, &str); 4] = [
        (
            "/api/v1/claims/acmepharma%2FGDD-CB-1/settlements",
            r#"{"expected_version": 4, "actor": "ann", "method": "credit_memo_on_account",
                "number": "ACME-CM-1", "date": "2026-12-20", "amount": "100.00",
                "mass_setlement": "MS-1"}"#,
            "mass_setlement",
        ),
        (
            "/api/v1/settlements",
            r#"{"actor": "ann", "method": "credit_memo_on_account", "number": "ACME-CM-9",
                "date": "2026-12-20", "mas_settlement": "MS-9", "allocations":
                [{"claim": "acmepharma/GDD-CB-1", "expected_version": 4, "amount": "1.00"}]}"#,
            "mas_settlement",
        ),
        (
            "/api/v1/claims/acmepharma%2FGDD-CB-1/disputes",
            r#"{"actor": "ann", "lines": ["1"], "amount": "6.00", "reason": "our price",
                "evidnce": ["845 000000101"]}"#,
            "evidnce",
        ),
        (
            "/api/v1/claims/acmepharma%2FGDD-CB-1-S1/resubmissions",
            r#"{"expected_version": 1, "actor": "ann", "lines": ["1"],
                "corections": [{"line": "1", "contract_price": "41.25"}]}"#,
            "corections",
        ),
    ];
    for (path, body, field) in posts {
        let answer = post_json(g.addr, path, body.as_bytes()).await;
        assert_eq!(
            answer.status,
            422,
            "{path}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        let said = answer.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(said.contains(field), "{path}: {said}");
    }
    g.finish().await;
}

/// `GET /api/v1/transactions`: every filter given holds, so `failed=true` with a state other
/// than `failed` is a contradiction, a JSON 400 naming both (it listed the failed transactions
/// as if no `state` had been given); with `state=failed` it is the same list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_transactions_are_not_listed_under_another_state() {
    let g = start().await;
    let failed = gooddrug_inbound(store::Step::Parse, store::TxState::Failed, t(0));
    g.store.insert_transaction(&failed).await.unwrap();
    let id = failed.id;
    let contradicted = get(g.addr, "/api/v1/transactions?failed=true&state=done").await;
    assert_eq!(
        contradicted.status,
        400,
        "{}",
        String::from_utf8_lossy(&contradicted.body)
    );
    let said = contradicted.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        said.contains("failed") && said.contains("state=done"),
        "{said}"
    );
    let failed = get(g.addr, "/api/v1/transactions?failed=true&state=failed").await;
    assert_eq!(failed.status, 200);
    assert_eq!(ids(&failed.json()), [id.to_string()]);
    let done = get(g.addr, "/api/v1/transactions?state=done").await;
    assert!(ids(&done.json()).is_empty(), "{}", done.json());
    g.finish().await;
}

/// A NUL character in a path, a query string or a JSON string is refused before anything is
/// read or written, 400 (422 in a body) naming it: PostgreSQL cannot store or compare it and
/// answered 500 to every such request, SQLite took it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_characters_are_refused_as_bad_requests() {
    let g = start().await;
    for (path, said) in [
        ("/api/v1/batches?partner=good%00drug", "NUL"),
        ("/api/v1/claims?number=GDD%00", "NUL"),
        ("/api/v1/batches/gooddrug%2Fa%00b", "NUL"),
        ("/api/v1/claims/acmepharma%2FGDD%00", "NUL"),
    ] {
        let answer = get(g.addr, path).await;
        assert_eq!(
            answer.status,
            400,
            "{path}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        assert!(
            answer.json()["error"]
                .as_str()
                .unwrap_or_default()
                .contains(said),
            "{path}: {}",
            answer.json()
        );
    }
    let body = br#"{"partner": "good\u0000drug", "through": "2026-12-01"}"#;
    let cut = post_json(g.addr, "/api/v1/batches/cut", body).await;
    assert_eq!(cut.status, 422, "{}", String::from_utf8_lossy(&cut.body));
    assert!(
        cut.json()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("NUL"),
        "{}",
        cut.json()
    );
    // An escaped backslash before `u0000` is no NUL.
    let body = br#"{"partner": "good\\u0000drug", "through": "2026-12-01"}"#;
    let cut = post_json(g.addr, "/api/v1/batches/cut", body).await;
    assert_ne!(cut.status, 422, "{}", String::from_utf8_lossy(&cut.body));
    g.finish().await;
}

/// The checked-in partner profiles.
fn profiles() -> partner_maps::ProfileSet {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    partner_maps::ProfileSet::load_dir(repo.join("partner-maps/profiles")).unwrap()
}

/// The first document of a sample file, translated with the checked-in profiles.
fn sample_document(sample: &str) -> schemas::Document {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bytes = std::fs::read(repo.join("samples").join(sample)).unwrap();
    partner_maps::translate(&bytes[..], &format!("sha-of-{sample}"), &profiles(), None)
        .flat_map(|outcome| outcome.documents().to_vec())
        .next()
        .unwrap_or_else(|| panic!("{sample} gave no document"))
}

/// The sample 845 and GOOD DRUG's 844 applied as the gateway applies them: the claim is
/// adjudicated and answered at once (13.1 `pay_calculated`), its batch
/// `gooddrug/GDD-CB-20261115-0001` closed.
async fn receive_sample_claim(g: &Running) {
    let partners = apply::Partners::from_profiles(&profiles()).unwrap();
    for (consumer, message, sample, day) in [
        (
            "engine.contracts",
            "m-845",
            "845_4010_contract.x12",
            "2026-11-15",
        ),
        ("engine.claims", "m-844", "844_4010_claim.x12", "2026-11-18"),
    ] {
        let doc = sample_document(sample);
        let ctx = apply::Context {
            today: day.parse().unwrap(),
            now: t(0),
            actor: "system".into(),
        };
        apply::apply_document(&*g.store, &partners, consumer, message, &doc, &ctx)
            .await
            .unwrap();
    }
}

/// `GET /api/v1/claims/{id}` of a claim we received and answered at once (13.1
/// `pay_calculated`): its lines are the ones its batch claimed, each with its outcome, the
/// amount the distributor claimed and the one the 849 approved (line 3: 120.00 claimed,
/// 100.50 approved, adjusted), summed in `line_summary`; the batch shows line 3 claimed at
/// 100.50 and lines 5 and 6 rejected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_received_claim_lists_the_lines_its_849_paid() {
    let g = start().await;
    receive_sample_claim(&g).await;
    let claim = get(
        g.addr,
        "/api/v1/claims/gooddrug%2FGDD-CB-20261115-0001?lines_limit=3",
    )
    .await;
    assert_eq!(claim.status, 200);
    let claim = claim.json();
    assert_eq!(claim["role"], "adjudicator", "{claim}");
    assert_eq!(claim["amount"], "223.50");
    let lines = |page: &Value| -> Vec<String> {
        page["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                format!(
                    "{} {} {} {} {}",
                    l["line_no"],
                    l["status"],
                    l["claimed_amount"],
                    l["approved_amount"],
                    l["batch_line_no"]
                )
            })
            .collect()
    };
    assert_eq!(
        lines(&claim),
        [
            r#"1 "paid" "62.50" "62.50" 1"#,
            r#"2 "paid" "48.00" "48.00" 2"#,
            r#"3 "adjusted" "120.00" "100.50" 3"#,
        ]
    );
    assert_eq!(claim["next_after"], 3);
    let rest = get(
        g.addr,
        "/api/v1/claims/gooddrug%2FGDD-CB-20261115-0001?lines_limit=3&after=3",
    )
    .await
    .json();
    assert_eq!(lines(&rest), [r#"4 "paid" "12.50" "12.50" 4"#]);
    assert_eq!(rest["next_after"], Value::Null);
    assert_eq!(
        claim["line_summary"],
        json!({
            "lines": 4, "claimed_amount": "243.00", "approved_amount": "223.50",
            "by_status": {
                "adjusted": {"lines": 1, "claimed_amount": "120.00", "approved_amount": "100.50"},
                "paid": {"lines": 3, "claimed_amount": "123.00", "approved_amount": "123.00"},
            }
        })
    );
    let batch = get(g.addr, "/api/v1/batches/gooddrug%2FGDD-CB-20261115-0001")
        .await
        .json();
    let batch_lines: Vec<String> = batch["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("{} {} {}", l["line_no"], l["status"], l["accepted_amount"]))
        .collect();
    assert_eq!(
        batch_lines,
        [
            r#"1 "claimed" "62.50""#,
            r#"2 "claimed" "48.00""#,
            r#"3 "claimed" "100.50""#,
            r#"4 "claimed" "12.50""#,
            r#"5 "rejected" null"#,
            r#"6 "rejected" null"#,
        ]
    );
    assert_eq!(batch["lines"][2]["reason"], "CONTRACT_PRICE_MISMATCH");
    assert_eq!(
        batch["line_summary"]["by_status"]["claimed"]["accepted_amount"],
        "223.50"
    );
    g.finish().await;
}

/// An action on a closed batch is refused, 422, naming the batch once and by the number an
/// analyst sees in the console and the lists (it said `batch: batch <uuid> is closed ...`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_on_a_closed_batch_names_it_by_its_number() {
    let g = start().await;
    receive_sample_claim(&g).await;
    let path = "/api/v1/batches/gooddrug%2FGDD-CB-20261115-0001";
    let batch = get(g.addr, path).await.json();
    assert_eq!(batch["status"], "closed", "{batch}");
    let body = format!(
        r#"{{"expected_version": {}, "action": {{"action": "revalidate", "line": "5"}}}}"#,
        batch["version"]
    );
    let act = post_json(g.addr, &format!("{path}/actions"), body.as_bytes()).await;
    assert_eq!(act.status, 422, "{}", String::from_utf8_lossy(&act.body));
    assert_eq!(
        act.json(),
        json!({"error": "batch gooddrug/GDD-CB-20261115-0001 is closed and cannot change"})
    );
    g.finish().await;
}

/// `GET /api/v1/transactions?stuck=N`: what is `received` or `processing` and has not moved
/// for N minutes (an outbound 997 whose message was lost before it was sent, say) — not what
/// is fresh, done or failed; a replay sends it and it is stuck no more. A `stuck` out of range
/// is a JSON 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stuck_transactions_are_listed_and_replayed() {
    let g = start().await;
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bytes = std::fs::read(repo.join("samples/997_4010_ack_844.x12")).unwrap();
    let raw = server::raw::RawStore::new(&g._dir.path().join("data"))
        .put(&bytes)
        .unwrap();
    let hour_ago = Utc::now() - chrono::Duration::hours(1);
    let outbound = |state, at| store::NewTransaction {
        raw_sha256: Some(raw.sha256.clone()),
        doc_type: Some("acknowledgment".into()),
        isa13: Some("000000192".into()),
        ..store::NewTransaction::new(
            Uuid::now_v7(),
            "gooddrug",
            Direction::Outbound,
            store::Step::Send,
            state,
            at,
        )
    };
    let stuck = outbound(store::TxState::Received, hour_ago);
    let fresh = outbound(store::TxState::Received, Utc::now());
    let failed = outbound(store::TxState::Failed, hour_ago);
    for row in [&stuck, &fresh, &failed] {
        g.store.insert_transaction(row).await.unwrap();
    }
    let listed = get(g.addr, "/api/v1/transactions?stuck=10").await;
    assert_eq!(listed.status, 200);
    assert_eq!(ids(&listed.json()), [stuck.id.to_string()]);
    assert_eq!(
        ids(
            &get(g.addr, "/api/v1/transactions?stuck=0&partner=gooddrug")
                .await
                .json()
        ),
        [fresh.id.to_string(), stuck.id.to_string()]
    );
    let bad = get(g.addr, "/api/v1/transactions?stuck=-1").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("stuck: -1 is out of range"),
        "{}",
        bad.json()
    );

    let replayed = exchange(
        g.addr,
        &format!(
            "POST /api/v1/transactions/{}/replay HTTP/1.1\r\nHost: localhost",
            stuck.id
        ),
        b"",
    )
    .await;
    assert_eq!(replayed.status, 200, "{}", replayed.json());
    let sent = g._dir.path().join("drop/gooddrug/outbox/997-000000192.x12");
    let start = tokio::time::Instant::now();
    while !sent.exists() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "not sent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(std::fs::read(&sent).unwrap(), bytes);
    let start = tokio::time::Instant::now();
    loop {
        let tx = g.store.get_transaction(stuck.id).await.unwrap().unwrap();
        if tx.state == store::TxState::Done {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "{tx:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let listed = get(g.addr, "/api/v1/transactions?stuck=10").await;
    assert!(ids(&listed.json()).is_empty(), "{}", listed.json());
    g.finish().await;
}

/// `POST /api/v1/transactions/{id}/dismiss`: a failed transaction a corrected file replaced
/// leaves the failed queue (`failed=true`), is listed under `state=dismissed` with its error,
/// its audit trail says who and why, and it is neither dismissed again (409 saying its state)
/// nor replayed (409); an unknown id is 404, a blank or missing actor or reason 422 naming it.
/// `POST .../restore` undoes it: failed again, back on the queue, audited (409 when the
/// transaction is not dismissed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_transaction_is_dismissed_off_the_failed_queue() {
    let g = start().await;
    let failed = gooddrug_inbound(store::Step::Parse, store::TxState::Failed, Utc::now());
    let done = gooddrug_inbound(store::Step::Map, store::TxState::Done, Utc::now());
    g.store.insert_transaction(&failed).await.unwrap();
    g.store.insert_transaction(&done).await.unwrap();
    g.store
        .update_transaction(
            &store::TransactionUpdate::new(
                failed.id,
                store::Step::Parse,
                store::TxState::Failed,
                "system",
                Utc::now(),
            )
            .with_error("ISA13 000000904 was used before (TA1 025)"),
        )
        .await
        .unwrap();
    let queue = get(g.addr, "/api/v1/transactions?failed=true").await;
    assert_eq!(ids(&queue.json()), [failed.id.to_string()]);

    // POST /api/v1/transactions/{id}/{action}.
    let aside = |action: &'static str, id: Uuid, body: &'static str| {
        let path = format!("/api/v1/transactions/{id}/{action}");
        async move { post_json(g.addr, &path, body.as_bytes()).await }
    };
    let dismiss = |id, body| aside("dismiss", id, body);
    // Who did what to the transaction last, and why.
    let last_event = || async {
        let trail = g
            .store
            .audit_events("transaction", &failed.id.to_string())
            .await
            .unwrap();
        let e = trail.last().unwrap().event.clone();
        (e.actor, e.event, e.reason)
    };
    for (body, field) in [
        (r#"{"actor": " ", "reason": "resent"}"#, "actor"),
        (r#"{"actor": "ann", "reason": ""}"#, "reason"),
        (r#"{"actor": "ann"}"#, "reason"),
    ] {
        let refused = dismiss(failed.id, body).await;
        assert_eq!(refused.status, 422, "{body}: {}", refused.json());
        let said = refused.json()["error"].as_str().unwrap().to_owned();
        assert!(said.contains(field), "{body}: {said}");
    }
    let unknown = dismiss(Uuid::now_v7(), r#"{"actor": "ann", "reason": "resent"}"#).await;
    assert_eq!(unknown.status, 404, "{}", unknown.json());
    let not_failed = dismiss(done.id, r#"{"actor": "ann", "reason": "resent"}"#).await;
    assert_eq!(not_failed.status, 409, "{}", not_failed.json());
    assert!(
        not_failed.json()["error"]
            .as_str()
            .unwrap()
            .contains("it is done"),
        "{}",
        not_failed.json()
    );

    let dismissed = dismiss(
        failed.id,
        r#"{"actor": "ann", "reason": "corrected file resent as ISA13 000000905"}"#,
    )
    .await;
    assert_eq!(dismissed.status, 200, "{}", dismissed.json());
    let tx = dismissed.json();
    assert_eq!(tx["id"], failed.id.to_string());
    assert_eq!(tx["state"], "dismissed");
    assert_eq!(tx["error"], "ISA13 000000904 was used before (TA1 025)");

    let queue = get(g.addr, "/api/v1/transactions?failed=true").await;
    assert!(ids(&queue.json()).is_empty(), "{}", queue.json());
    let listed = get(g.addr, "/api/v1/transactions?state=dismissed").await;
    assert_eq!(ids(&listed.json()), [failed.id.to_string()]);
    assert_eq!(
        last_event().await,
        (
            "ann".to_owned(),
            "dismissed".to_owned(),
            Some("corrected file resent as ISA13 000000905".to_owned())
        )
    );

    let again = dismiss(failed.id, r#"{"actor": "ann", "reason": "again"}"#).await;
    assert_eq!(again.status, 409, "{}", again.json());
    assert!(
        again.json()["error"]
            .as_str()
            .unwrap()
            .contains("it is dismissed"),
        "{}",
        again.json()
    );
    let replayed = exchange(
        g.addr,
        &format!(
            "POST /api/v1/transactions/{}/replay HTTP/1.1\r\nHost: localhost",
            failed.id
        ),
        b"",
    )
    .await;
    assert_eq!(replayed.status, 409, "{}", replayed.json());
    assert!(
        replayed.json()["error"]
            .as_str()
            .unwrap()
            .contains("dismissed"),
        "{}",
        replayed.json()
    );

    // Dismissed by mistake: restored, it is failed again, on the failed queue, audited.
    let restore = |id, body| aside("restore", id, body);
    let not_dismissed = restore(done.id, r#"{"actor": "bob", "reason": "x"}"#).await;
    assert_eq!(not_dismissed.status, 409, "{}", not_dismissed.json());
    assert!(
        not_dismissed.json()["error"]
            .as_str()
            .unwrap()
            .contains("it is done"),
        "{}",
        not_dismissed.json()
    );
    let restored = restore(
        failed.id,
        r#"{"actor": "bob", "reason": "dismissed the wrong file"}"#,
    )
    .await;
    assert_eq!(restored.status, 200, "{}", restored.json());
    assert_eq!(restored.json()["state"], "failed");
    assert_eq!(
        restored.json()["error"],
        "ISA13 000000904 was used before (TA1 025)"
    );
    let queue = get(g.addr, "/api/v1/transactions?failed=true").await;
    assert_eq!(ids(&queue.json()), [failed.id.to_string()]);
    assert_eq!(
        last_event().await,
        (
            "bob".to_owned(),
            "restored".to_owned(),
            Some("dismissed the wrong file".to_owned())
        )
    );
    g.finish().await;
}
