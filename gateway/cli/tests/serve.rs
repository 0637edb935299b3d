//! Black-box tests of `chargegate serve`, on embedded defaults (SQLite, in-process bus, local
//! drop folders) and on PostgreSQL + RabbitMQ: the sample story through the running binary,
//! as partners and an analyst see it — files in, acknowledgments and the 844 claim out, a
//! broken file rejected with a located error, the API answering.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::*;

#[test]
fn the_sample_story_goes_through_the_gateway_on_embedded_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    story(&start(tmp.path()));
}

#[test]
fn the_sample_story_goes_through_the_gateway_on_postgres_and_rabbitmq() {
    let tmp = tempfile::tempdir().unwrap();
    let serve = start_with(tmp.path(), Options::servers());
    let log = serve.log();
    assert!(
        log.contains("database=postgres://") && log.contains("bus=amqp://"),
        "not on the servers: {log}"
    );
    story(&serve);
}

fn story(serve: &Serve) {
    let tmp = &serve.dir;
    let drops = tmp.join("data/drop");
    let (status, ready) = get(serve.port, "/readyz").unwrap();
    assert_eq!(status, 200, "{ready}");

    // ACME's contract: filed as processed, answered with its acknowledgment.
    drop_file(serve, "acmepharma", "845_4010_contract.x12");
    wait_for(serve, "the 845's acknowledgment", || {
        files(&drops.join("acmepharma/outbox")).len() == 1
    });
    assert_eq!(
        files(&drops.join("acmepharma/processed")),
        ["845_4010_contract.x12"]
    );
    let ack = std::fs::read_to_string(
        drops
            .join("acmepharma/outbox")
            .join(&files(&drops.join("acmepharma/outbox"))[0]),
    )
    .unwrap();
    assert!(
        ack.contains("AK9*A*1*1*1") || ack.contains("IK5*A") || ack.contains("AK5*A"),
        "{ack}"
    );

    // GOOD DRUG's sales: a batch awaiting review (its profile is Review and Claim).
    drop_file(serve, "gooddrug", "867_4010_sales.x12");
    let batch_path = "/api/v1/batches/gooddrug%2FGDD-867-202611";
    wait_for(serve, "the 867's batch", || {
        get(serve.port, batch_path)
            .map(|(s, _)| s == 200)
            .unwrap_or(false)
    });
    let batch = json(&get(serve.port, batch_path).unwrap().1);
    assert_eq!(batch["status"], "awaiting_review", "{batch}");
    assert_eq!(batch["lines"].as_array().unwrap().len(), 4);
    wait_for(serve, "the 867's 997", || {
        !files(&drops.join("gooddrug/outbox")).is_empty()
    });

    // The analyst pays and closes: the 844 claim lands in ACME's outbox.
    let stale = http(
        serve.port,
        "POST",
        &format!("{batch_path}/actions"),
        Some(r#"{"expected_version": 0, "action": {"action": "pay_and_close"}}"#),
    )
    .unwrap();
    assert_eq!(stale.0, 409, "a stale version must conflict: {}", stale.1);
    let body = format!(
        r#"{{"expected_version": {}, "action": {{"action": "pay_and_close"}}}}"#,
        batch["version"]
    );
    let (status, paid) = http(
        serve.port,
        "POST",
        &format!("{batch_path}/actions"),
        Some(&body),
    )
    .unwrap();
    assert_eq!(status, 200, "{paid}");
    assert_eq!(json(&paid)["status"], "closed");
    wait_for(serve, "the 844 claim in ACME's outbox", || {
        files(&drops.join("acmepharma/outbox"))
            .iter()
            .any(|f| f.starts_with("claim-"))
    });
    let claim_file = files(&drops.join("acmepharma/outbox"))
        .into_iter()
        .find(|f| f.starts_with("claim-"))
        .unwrap();
    let claim = std::fs::read_to_string(drops.join("acmepharma/outbox").join(claim_file)).unwrap();
    assert!(claim.contains("ST*844*"), "{claim}");

    // A broken file: rejected, failed with a located error, answered with a TA1.
    drop_file(serve, "gooddrug", "bad_isa_len_se_count.x12");
    wait_for(serve, "the broken file to be rejected", || {
        !files(&drops.join("gooddrug/rejected")).is_empty()
    });
    let (_, failed) = get(serve.port, "/api/v1/transactions?failed=true").unwrap();
    let failed = json(&failed);
    let rows = failed.as_array().unwrap();
    assert!(!rows.is_empty(), "no failed transaction listed");
    let error = rows[0]["error"].as_str().unwrap_or("");
    assert!(
        error.contains("interchange") || error.contains("segment"),
        "not located: {error}"
    );

    // The same file again is not processed twice.
    let before = json(
        &get(serve.port, "/api/v1/transactions?limit=1000")
            .unwrap()
            .1,
    )
    .as_array()
    .unwrap()
    .len();
    std::fs::copy(
        repo().join("samples/845_4010_contract.x12"),
        drops.join("acmepharma/inbox/again.x12"),
    )
    .unwrap();
    wait_for(serve, "the duplicate to be filed", || {
        !files(&drops.join("acmepharma/rejected")).is_empty()
    });
    let after = json(
        &get(serve.port, "/api/v1/transactions?limit=1000")
            .unwrap()
            .1,
    )
    .as_array()
    .unwrap()
    .len();
    assert_eq!(
        before, after,
        "a duplicate file must not create transactions"
    );

    let (_, metrics) = get(serve.port, "/metrics").unwrap();
    assert!(
        metrics.contains("chargegate_files_received_total"),
        "{metrics}"
    );
}
