//! Black-box tests of `chargegate serve`, on embedded defaults (SQLite, in-process bus) and on
//! PostgreSQL + RabbitMQ, with partners on SFTP: the sample story through the running binary,
//! as partners and an analyst see it — files in, acknowledgments and the 844 claim out, a
//! broken file rejected with a located error, the API answering.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::*;
use transport::drop::testing::SshServer;

/// On embedded defaults (SQLite, in-process bus), partners uploading over SFTP to the
/// system's OpenSSH (chrooted `internal-sftp`, one system user per partner).
#[test]
fn the_sample_story_goes_through_the_gateway_on_embedded_defaults_and_sftp() {
    story_over_sftp(Options::embedded(), "sqlite://");
}

/// The same story on the production servers: PostgreSQL and RabbitMQ.
#[test]
fn the_sample_story_goes_through_the_gateway_on_postgres_rabbitmq_and_sftp() {
    story_over_sftp(Options::servers(), "postgres://");
}

/// A partner that drops files locally (no SFTP) is served the same way.
#[test]
fn the_sample_story_goes_through_local_drop_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let serve = start(tmp.path());
    story(&serve, &|partner, name, bytes| {
        deliver(&serve, partner, name, bytes)
    });
}

fn story_over_sftp(base: Options, database: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let ssh = SshServer::start(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
        &["acmepharma", "gooddrug"],
    )
    .unwrap();
    let serve = start_with(
        tmp.path(),
        Options {
            drop_root: Some(ssh.drop_root().path().to_owned()),
            ..base
        },
    );
    let log = serve.log();
    assert!(
        log.contains(&format!("database={database}")),
        "not on {database}: {log}"
    );
    let staging = tmp.path().join("uploads");
    std::fs::create_dir_all(&staging).unwrap();
    story(&serve, &|partner, name, bytes| {
        let local = staging.join(name);
        std::fs::write(&local, bytes).unwrap();
        let out = ssh
            .sftp(
                partner,
                &format!(
                    "put {} inbox/{name}.part\nrename inbox/{name}.part inbox/{name}",
                    local.display()
                ),
            )
            .unwrap();
        assert!(out.success(), "upload over SFTP: {out}\n{}", ssh.log());
    });
    // The partner fetches its answers over SFTP too.
    let fetched = tmp.path().join("fetched");
    std::fs::create_dir_all(&fetched).unwrap();
    let out = ssh
        .sftp(
            "acmepharma",
            &format!("lcd {}\nget outbox/claim-*", fetched.display()),
        )
        .unwrap();
    assert!(out.success(), "download over SFTP: {out}");
    let claim = std::fs::read_dir(&fetched)
        .unwrap()
        .flatten()
        .next()
        .unwrap();
    assert!(
        std::fs::read_to_string(claim.path())
            .unwrap()
            .contains("ST*844*")
    );
}

/// A partner's stock `sftp` puts a file straight to its final name (no `.part`), slowly: a
/// rate limit and small writes make sftp-server's writes pause far longer than
/// `workers.settle_ms` while it holds the file open. The gateway waits for the whole file:
/// processed and acknowledged, not rejected as "input ends inside a segment" mid-upload.
#[test]
fn a_slow_sftp_put_to_the_final_name_is_taken_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let ssh = SshServer::start(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
        &["gooddrug"],
    )
    .unwrap();
    let serve = start_with(
        tmp.path(),
        Options {
            drop_root: Some(ssh.drop_root().path().to_owned()),
            ..Options::embedded()
        },
    );
    let sample = repo().join("samples/867_4010_sales.x12");
    let bytes = std::fs::read(&sample).unwrap();
    let target = serve.drop_dir("gooddrug", "inbox").join("867.x12");
    // How long the file stood still while incomplete: longer than the settle time (200 ms
    // in the harness), or this test would prove nothing.
    let uploading = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let monitor = {
        let uploading = uploading.clone();
        let full = bytes.len() as u64;
        let target = target.clone();
        std::thread::spawn(move || {
            let mut longest = std::time::Duration::ZERO;
            let mut last: Option<(u64, std::time::Instant)> = None;
            while uploading.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(size) = std::fs::metadata(&target).map(|m| m.len()) {
                    match last {
                        Some((s, since)) if s == size && size < full => {
                            longest = longest.max(since.elapsed());
                        }
                        Some((s, _)) if s == size => {}
                        _ => last = Some((size, std::time::Instant::now())),
                    }
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            longest
        })
    };
    let out = ssh
        .sftp_with(
            "gooddrug",
            &["-B", "256", "-l", "4"],
            &format!("put {} inbox/867.x12", sample.display()),
        )
        .unwrap();
    uploading.store(false, std::sync::atomic::Ordering::Relaxed);
    assert!(out.success(), "upload over SFTP: {out}\n{}", ssh.log());
    let longest = monitor.join().unwrap();
    let processed = serve.drop_dir("gooddrug", "processed");
    wait_for(&serve, "the file to be filed away", || {
        !files(&processed).is_empty() || !files(&serve.drop_dir("gooddrug", "rejected")).is_empty()
    });
    assert_eq!(
        files(&serve.drop_dir("gooddrug", "rejected")),
        Vec::<String>::new()
    );
    assert_eq!(files(&processed), ["867.x12"]);
    assert_eq!(std::fs::read(processed.join("867.x12")).unwrap(), bytes);
    // Seen in the inbox until it was complete, standing still for far longer than the settle
    // time on the way.
    assert!(
        longest > std::time::Duration::from_millis(600),
        "the upload never stood still for long: {longest:?}"
    );
    let outbox = serve.drop_dir("gooddrug", "outbox");
    let acks = settled_files(&serve, &outbox, "the 867's acknowledgment");
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert!(acks[0].starts_with("997-"), "{acks:?}");
    let (_, failed) = get(serve.port, "/api/v1/transactions?failed=true").unwrap();
    assert_eq!(json(&failed), serde_json::json!([]), "{failed}");
}

/// How a partner delivers a file: (partner, file name, bytes).
type Deliver<'a> = &'a dyn Fn(&str, &str, &[u8]);

fn story(serve: &Serve, deliver: Deliver) {
    let tmp = &serve.dir;
    let drops = serve.drop_root.clone();
    let sample = |name: &str| std::fs::read(repo().join("samples").join(name)).unwrap();
    let (status, ready) = get(serve.port, "/readyz").unwrap();
    assert_eq!(status, 200, "{ready}");
    // Every counter is listed, described, before anything happened (a dashboard tells "no
    // failures" from "no such series").
    let (_, metrics) = get(serve.port, "/metrics").unwrap();
    for s in server::telemetry::SERIES {
        if s.kind == server::telemetry::Kind::Counter && s.label != Some(("status", &[])) {
            assert!(
                metrics.contains(&format!("# TYPE {} counter", s.name))
                    && metrics.contains(&format!("# HELP {} {}", s.name, s.help)),
                "{} not described:\n{metrics}",
                s.name
            );
        }
    }

    // ACME's contract: filed as processed, answered with its acknowledgment.
    deliver(
        "acmepharma",
        "845_4010_contract.x12",
        &sample("845_4010_contract.x12"),
    );
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

    // ACME's 845 is not back-dated (chargeback-rules 5.3): it has no retro run to approve.
    let (status, body) = http(
        serve.port,
        "POST",
        "/api/v1/contracts/acmepharma%2FSPA-2026-0042/versions/1/retro/approve",
        Some(r#"{"actor": "ann"}"#),
    )
    .unwrap();
    assert_eq!(status, 404, "{body}");

    // GOOD DRUG's sales: a batch awaiting review (its profile is Review and Claim).
    deliver(
        "gooddrug",
        "867_4010_sales.x12",
        &sample("867_4010_sales.x12"),
    );
    // It joins GOOD DRUG's Daily batch of today (claim_trigger, 8.1), found by the report
    // too; cut on demand, its lines are validated and it awaits review. Cutting again does
    // nothing more.
    let batch_path = "/api/v1/batches/gooddrug%2FGDD-867-202611";
    let batch = wait_for_batch(serve, batch_path);
    assert_eq!(batch["status"], "open", "{batch}");
    let cut = cut_today(serve, "gooddrug");
    assert_eq!(cut.len(), 1, "{cut:?}");
    assert_eq!(cut[0]["status"], "awaiting_review", "{cut:?}");
    assert_eq!(cut[0]["number"], batch["number"], "{cut:?}");
    assert!(cut_today(serve, "gooddrug").is_empty());
    let batch = json(&get(serve.port, batch_path).unwrap().1);
    assert_eq!(batch["status"], "awaiting_review", "{batch}");
    assert_eq!(batch["lines"].as_array().unwrap().len(), 4);
    assert!(
        batch["next_after"].is_null(),
        "one page holds 4 lines: {batch}"
    );
    batch_lines_come_a_page_at_a_time(serve, batch_path, &batch);
    api_errors_are_json(serve, batch_path);
    // The analyst finds it among the batches awaiting review.
    let waiting = json(
        &get(
            serve.port,
            "/api/v1/batches?status=awaiting_review&partner=gooddrug",
        )
        .unwrap()
        .1,
    );
    let waiting: Vec<_> = waiting
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["number"])
        .collect();
    assert_eq!(waiting, [&batch["number"]]);
    // The analyst downloads the disputed lines (chargeback-rules 9); a corrected file naming
    // a line the batch does not have is refused with its row and column, nothing written.
    let (status, csv) = get(serve.port, &format!("{batch_path}/disputes.csv")).unwrap();
    assert_eq!(status, 200, "{csv}");
    let mut rows = csv.lines();
    let header = rows.next().unwrap();
    assert!(
        header.starts_with("source_batch_number,source_line_id,"),
        "{csv}"
    );
    let data: Vec<&str> = rows.collect();
    let disputed = batch["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| {
            l["status"]
                .as_str()
                .is_some_and(|s| s.ends_with("disputed"))
        })
        .count();
    assert_eq!(data.len(), disputed, "{csv}");
    let fields: Vec<&str> = data[0].splitn(3, ',').collect();
    let bad = format!("{header}\n{},99,{}\n", fields[0], fields[2]);
    let (status, refused) = post_csv(
        serve.port,
        &format!(
            "{batch_path}/corrections?expected_version={}&actor=ann",
            batch["version"]
        ),
        &bad,
    )
    .unwrap();
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused.contains("row 2, column source_line_id"),
        "{refused}"
    );
    let unchanged = json(&get(serve.port, batch_path).unwrap().1);
    assert_eq!(unchanged["version"], batch["version"]);
    // The same from the command line, against the gateway's store.
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_chargegate"))
            .args(args)
            .arg("--config")
            .arg(serve.dir.join("chargegate.toml"))
            .output()
            .unwrap()
    };
    let exported = cli(&["batches", "disputes", "gooddrug/GDD-867-202611"]);
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&exported.stdout), csv);
    let bad_file = serve.dir.join("bad-corrections.csv");
    std::fs::write(&bad_file, &bad).unwrap();
    let version = batch["version"].to_string();
    let refused = cli(&[
        "batches",
        "correct",
        "gooddrug/GDD-867-202611",
        &bad_file.display().to_string(),
        "--expected-version",
        &version,
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(&format!(
            "{}: row 2, column source_line_id:",
            bad_file.display()
        )),
        "{stderr}"
    );
    // Lines accepted as the report is applied show the amount they were accepted at.
    let accepted: Vec<_> = batch["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["status"] == "accepted")
        .collect();
    assert!(!accepted.is_empty(), "{batch}");
    assert!(
        accepted.iter().all(|l| !l["accepted_amount"].is_null()),
        "{batch}"
    );
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
    let (status, paid) = pay_and_close(serve, batch_path, &batch["version"]);
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
    let claim_path = drops.join("acmepharma/outbox").join(claim_file);
    let claim = std::fs::read_to_string(&claim_path).unwrap();
    assert!(claim.contains("ST*844*"), "{claim}");

    // ACME's translator first refuses our interchange with a TA1 R (no group, x12-chargeback
    // 8.3): the 844's send is rejected and the same debit memo goes out again under new
    // control numbers (C13, then C11); the TA1 itself is never acknowledged.
    let claim_number = element(&claim, "BAA", 5);
    let claim_api = format!("/api/v1/claims/acmepharma%2F{claim_number}");
    let listed = json(
        &get(
            serve.port,
            &format!("/api/v1/claims?partner=acmepharma&number={claim_number}"),
        )
        .unwrap()
        .1,
    );
    assert_eq!(
        listed[0]["claim_number"].as_str(),
        Some(claim_number.as_str()),
        "{listed}"
    );
    let ta1 = format!(
        "ISA*00*          *00*          *ZZ*ACMEPHARMA     *ZZ*GOODDRUG       *261203*0900*U*00401*000000601*0*P*>~\nTA1*{}*{}*{}*R*022~\nIEA*0*000000601~\n",
        element(&claim, "ISA", 13),
        element(&claim, "ISA", 9),
        element(&claim, "ISA", 10),
    );
    deliver("acmepharma", "ta1.x12", ta1.as_bytes());
    wait_for(
        serve,
        "the TA1 to reject the send and the 844 to go again",
        || {
            get(serve.port, &claim_api)
                .map(|(_, b)| {
                    let b = json(&b);
                    b["transmissions"][0]["status"] == "rejected"
                        && b["transmissions"][1]["control_numbers"]["isa13"].is_i64()
                })
                .unwrap_or(false)
        },
    );
    let resent = json(&get(serve.port, &claim_api).unwrap().1);
    assert_eq!(resent["status"], "sent", "{resent}");
    assert_ne!(
        resent["transmissions"][0]["control_numbers"]["isa13"],
        resent["transmissions"][1]["control_numbers"]["isa13"],
        "{resent}"
    );
    wait_for(serve, "the 844 sent again", || {
        files(&drops.join("acmepharma/outbox"))
            .iter()
            .filter(|f| f.starts_with("claim-"))
            .count()
            == 2
    });
    let first_name = claim_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let again = files(&drops.join("acmepharma/outbox"))
        .into_iter()
        .find(|f| f.starts_with("claim-") && Some(f) != first_name.as_ref())
        .unwrap();
    let claim_path = drops.join("acmepharma/outbox").join(again);
    let claim = std::fs::read_to_string(&claim_path).unwrap();
    assert_eq!(element(&claim, "BAA", 5), claim_number, "same debit memo");
    assert_eq!(
        resent["transmissions"][1]["control_numbers"]["isa13"].as_i64(),
        element(&claim, "ISA", 13).parse().ok(),
        "{resent}"
    );

    // ACME's 997 for our 844 (made with `chargegate ack`, as ACME's translator would): the
    // claim is Acknowledged (C12), linked through the control numbers it went out under.
    let sent = json(&get(serve.port, &claim_api).unwrap().1);
    assert_eq!(sent["status"], "sent", "{sent}");
    assert_eq!(
        sent["transmissions"][1]["control_numbers"]["gs06"].as_i64(),
        element(&claim, "GS", 6).parse().ok(),
        "{sent}"
    );
    deliver("acmepharma", "997.x12", &acme_acks(&claim_path));
    wait_for(serve, "the 997 to acknowledge the claim (C12)", || {
        get(serve.port, &claim_api)
            .map(|(_, b)| json(&b)["status"] == "acknowledged")
            .unwrap_or(false)
    });
    let acked = json(&get(serve.port, &claim_api).unwrap().1);
    assert!(acked["dates"]["acknowledged"].is_string(), "{acked}");
    assert_eq!(acked["transmissions"][1]["status"], "accepted", "{acked}");

    // ACME answers with its 849 (made here with Chargegate's own offline tools, as ACME's
    // side): the claim is reconciled, the 849 acknowledged, the claim Settlement Pending (C14).
    let answer = acme_answers(tmp, &claim_path);
    deliver("acmepharma", "849.x12", &answer);
    let reconciled = wait_reconciled(serve, &claim_number);
    assert_eq!(
        reconciled["responses"][0]["total_approved"], "123.00",
        "{reconciled}"
    );
    assert_eq!(reconciled["status"], "settlement_pending", "{reconciled}");
    assert!(
        reconciled["dates"]["accounting"].is_string(),
        "{reconciled}"
    );
    assert_eq!(reconciled["remaining_amount"], "123.00", "{reconciled}");

    // A user's claim action over HTTP: resubmitting a claim the supplier already answered
    // is refused (C2 is from Open only), and so is a stale version; nothing changes.
    let act = |version: &serde_json::Value, action: &str| {
        let body = format!(
            r#"{{"expected_version": {version}, "actor": "ann", "action": {{"action": "{action}"}}}}"#
        );
        http(
            serve.port,
            "POST",
            &format!("{claim_api}/actions"),
            Some(&body),
        )
        .unwrap()
    };
    let (status, body) = act(&reconciled["version"], "submit");
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("submit"), "{body}");
    let (status, body) = act(&serde_json::json!(1), "submit");
    assert_eq!(status, 409, "{body}");
    // Writing off (7.4) is for a split child's unpaid part: this claim was paid in full.
    let write_off = format!(
        r#"{{"expected_version": {}, "actor": "ann", "action": {{"action": "write_off", "reason": "small"}}}}"#,
        reconciled["version"]
    );
    let (status, body) = http(
        serve.port,
        "POST",
        &format!("{claim_api}/actions"),
        Some(&write_off),
    )
    .unwrap();
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("split claims only"), "{body}");
    // A dispute case (6.4) needs an unpaid amount: ACME paid every line.
    let (status, body) = http(
        serve.port,
        "POST",
        &format!("{claim_api}/disputes"),
        Some(r#"{"actor": "ann", "lines": ["1"], "amount": "1.00", "reason": "price"}"#),
    )
    .unwrap();
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("unpaid"), "{body}");
    let (status, _) = get(
        serve.port,
        "/api/v1/disputes/00000000-0000-0000-0000-000000000000",
    )
    .unwrap();
    assert_eq!(status, 404);
    let (status, open_cases) = get(serve.port, "/api/v1/disputes?partner=acmepharma").unwrap();
    assert_eq!((status, json(&open_cases)), (200, serde_json::json!([])));
    // Resubmitting (7.5) is for a split child's unpaid part: this claim is not one.
    let resubmit = format!(
        r#"{{"expected_version": {}, "actor": "ann", "lines": ["1"]}}"#,
        reconciled["version"]
    );
    let (status, body) = http(
        serve.port,
        "POST",
        &format!("{claim_api}/resubmissions"),
        Some(&resubmit),
    )
    .unwrap();
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("split claims only"), "{body}");
    let unchanged = json(&get(serve.port, &claim_api).unwrap().1);
    assert_eq!(unchanged["version"], reconciled["version"], "{unchanged}");

    // The money arrives in two credit memos (C15): partial first, the remainder shown; then
    // the rest settles it, and with nothing left open it is Closed (C16).
    let settle = |version: &serde_json::Value, number: &str, amount: &str| {
        let body = format!(
            r#"{{"expected_version": {version}, "actor": "ann", "method": "credit_memo_on_account", "number": "{number}", "date": "2026-12-20", "amount": "{amount}"}}"#
        );
        http(
            serve.port,
            "POST",
            &format!("{claim_api}/settlements"),
            Some(&body),
        )
        .unwrap()
    };
    let (status, part) = settle(&reconciled["version"], "ACME-CM-1", "100.00");
    assert_eq!(status, 200, "{part}");
    let part = json(&part);
    assert_eq!(part["status"], "settlement_pending", "{part}");
    assert_eq!(part["remaining_amount"], "23.00", "{part}");
    let (status, stale) = settle(&reconciled["version"], "ACME-CM-2", "23.00");
    assert_eq!(status, 409, "a stale version must conflict: {stale}");
    // The rest comes as a mass settlement (one instrument, allocations per claim, 7.3); with
    // no remittance it would be allocated oldest first, as proposed here.
    let (status, proposal) = get(
        serve.port,
        "/api/v1/settlements/proposal?partner=acmepharma&amount=23.00",
    )
    .unwrap();
    assert_eq!(status, 200, "{proposal}");
    assert_eq!(
        json(&proposal),
        serde_json::json!({
            "allocations": [{
                "claim": format!("acmepharma/{claim_number}"),
                "expected_version": part["version"],
                "amount": "23.00",
            }],
            "unallocated": "0.00",
        })
    );
    let mass = |version: &serde_json::Value, claim: &str| {
        let body = format!(
            r#"{{"actor": "ann", "method": "credit_memo_on_account", "number": "ACME-CM-2", "date": "2026-12-20", "allocations": [{{"claim": "{claim}", "expected_version": {version}, "amount": "23.00"}}]}}"#
        );
        http(serve.port, "POST", "/api/v1/settlements", Some(&body)).unwrap()
    };
    let (status, missing) = mass(&part["version"], "acmepharma/NO-SUCH-CLAIM");
    assert_eq!(status, 404, "{missing}");
    let (status, stale) = mass(
        &reconciled["version"],
        &format!("acmepharma/{claim_number}"),
    );
    assert_eq!(status, 409, "a stale version must conflict: {stale}");
    let (status, done) = mass(&part["version"], &format!("acmepharma/{claim_number}"));
    assert_eq!(status, 200, "{done}");
    let done = json(&done);
    assert_eq!(done["mass_settlement"], "MS-ACME-CM-2", "{done}");
    assert_eq!(done["claims"][0]["status"], "closed", "{done}");
    let closed = json(&get(serve.port, &claim_api).unwrap().1);
    assert_eq!(closed["status"], "closed", "{closed}");
    assert_eq!(closed["mass_settlement"], "MS-ACME-CM-2", "{closed}");
    assert_eq!(closed["settled_amount"], "123.00", "{closed}");
    assert_eq!(closed["remaining_amount"], "0.00", "{closed}");
    assert_eq!(
        closed["settlements"].as_array().map(Vec::len),
        Some(2),
        "{closed}"
    );
    assert!(closed["dates"]["settlement"].is_string(), "{closed}");
    assert!(closed["age_days"].is_i64(), "{closed}");
    // Every 849 matched: the Unmatched Responses queue is empty, and linking an 849 that
    // does not exist is 404 (chargeback-rules 7.6).
    let (status, queue) = get(serve.port, "/api/v1/responses/unmatched").unwrap();
    assert_eq!((status, json(&queue)), (200, serde_json::json!([])));
    let (status, body) = http(
        serve.port,
        "POST",
        "/api/v1/responses/01900000-0000-7000-8000-000000000000/link",
        Some(&format!(
            r#"{{"claim": "acmepharma/{claim_number}", "actor": "ops1"}}"#
        )),
    )
    .unwrap();
    assert_eq!(status, 404, "{body}");
    assert!(
        reconciled["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["approved_amount"] == l["claimed_amount"]),
        "{reconciled}"
    );
    // Every inbound interchange got its acknowledgment: the 845 and the 849 from ACME, the
    // 867 from GOOD DRUG.
    wait_for(serve, "the 849's acknowledgment", || {
        files(&drops.join("acmepharma/outbox"))
            .iter()
            .filter(|f| f.starts_with("999-") || f.starts_with("997-"))
            .count()
            == 2
    });
    assert_eq!(files(&drops.join("gooddrug/outbox")).len(), 1);
    assert!(
        !files(&drops.join("acmepharma/outbox"))
            .iter()
            .any(|f| f.starts_with("ta1-")),
        "the TA1 is not acknowledged"
    );

    // ACME reprices 12345020101 from 30.00 to 29.00 in a replace 845 issued 2026-12-01, the
    // price effective from the contract's start (2026-11-01): a back-dated change whose retro
    // run, once approved, gives the 867's paid line a +4.00 delta in a Retro batch awaiting
    // review (chargeback-rules 5.3); approving it again creates nothing.
    let change = String::from_utf8(sample("845_4010_contract.x12"))
        .unwrap()
        .replace("*000000101*", "*000000111*")
        .replace("IEA*1*000000101", "IEA*1*000000111")
        .replace("*0930*101*X*", "*0930*111*X*")
        .replace("GE*1*101", "GE*1*111")
        .replace("BPA*00*20261101", "BPA*05*20261201")
        .replace("CTP**CON*30.00", "CTP**CON*29.00");
    deliver("acmepharma", "845_change.x12", change.as_bytes());
    let approve = "/api/v1/contracts/acmepharma%2FSPA-2026-0042/versions/2/retro/approve";
    let mut approved = None;
    wait_for(serve, "the back-dated 845's retro run", || {
        let (status, body) =
            http(serve.port, "POST", approve, Some(r#"{"actor": "ann"}"#)).unwrap();
        if status == 200 {
            approved = Some(json(&body));
        }
        status != 404
    });
    let approved = approved.expect("the retro run approved");
    assert_eq!(approved["already_run"], false, "{approved}");
    assert_eq!(approved["retroactive_from"], "2026-11-01", "{approved}");
    let batches = approved["batches"].as_array().unwrap();
    let expired = approved["expired"].as_array().unwrap();
    // The 867's 12345020101 line (2026-11-05) is in the 180-day claim window unless this
    // machine's clock is past 2027-05-04; then it is retro-eligible but expired.
    assert_eq!(batches.len() + expired.len(), 1, "{approved}");
    if let Some(retro) = batches.first() {
        assert_eq!(
            retro["number"], "gooddrug/RETRO-SPA-2026-0042-V2",
            "{approved}"
        );
        assert_eq!(
            (retro["lines"].as_i64(), retro["amount"].as_str()),
            (Some(1), Some("4.00"))
        );
        let batch = json(
            &get(
                serve.port,
                "/api/v1/batches/gooddrug%2FRETRO-SPA-2026-0042-V2",
            )
            .unwrap()
            .1,
        );
        assert_eq!(batch["status"], "awaiting_review", "{batch}");
        assert_eq!(batch["lines"][0]["claimed_amount"], "4.00", "{batch}");
        assert_eq!(batch["lines"][0]["status"], "accepted", "{batch}");
        assert_eq!(batch["lines"][0]["item"], "12345020101", "{batch}");
    }
    let (status, again) = http(serve.port, "POST", approve, Some(r#"{"actor": "bob"}"#)).unwrap();
    assert_eq!(status, 200, "{again}");
    let again = json(&again);
    assert_eq!(again["already_run"], true, "{again}");
    assert_eq!(again["batches"], approved["batches"], "{again}");
    assert_eq!(again["approved_by"], "ann", "{again}");

    // A broken file: rejected, failed with a located error, answered with a TA1.
    deliver(
        "gooddrug",
        "bad_isa_len_se_count.x12",
        &sample("bad_isa_len_se_count.x12"),
    );
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

    // The same file again is not processed twice: a receipt of its own, failed and refused
    // with a TA1 (025, duplicate interchange control number), its documents not taken again.
    let acks_before = files(&drops.join("acmepharma/outbox"));
    deliver("acmepharma", "again.x12", &sample("845_4010_contract.x12"));
    wait_for(serve, "the duplicate to be filed", || {
        !files(&drops.join("acmepharma/rejected")).is_empty()
    });
    let (_, again) = get(
        serve.port,
        "/api/v1/transactions?failed=true&partner=acmepharma",
    )
    .unwrap();
    let again = json(&again);
    let again = again.as_array().unwrap();
    // The file and its one set, each saying why.
    assert_eq!(again.len(), 2, "{again:?}");
    assert!(
        again
            .iter()
            .any(|t| t["parent_id"].is_null() && t["refs"][0]["value"] == "again.x12"),
        "{again:?}"
    );
    for t in again {
        let error = t["error"].as_str().unwrap_or("");
        assert!(
            error.contains("duplicate interchange control number")
                && error.contains("this same file was received"),
            "{error}"
        );
    }
    let contract = json(
        &get(
            serve.port,
            "/api/v1/transactions?partner=acmepharma&doc_type=contract",
        )
        .unwrap()
        .1,
    );
    let taken = contract.as_array().unwrap().iter();
    let taken = taken.filter(|t| t["isa13"] == "000000101").count();
    assert_eq!(taken, 1, "{contract}");
    let outbox = drops.join("acmepharma/outbox");
    let ta1s = || -> Vec<String> {
        files(&outbox)
            .into_iter()
            .filter(|f| !acks_before.contains(f))
            .filter_map(|f| std::fs::read_to_string(outbox.join(f)).ok())
            .filter(|x12| x12.contains("TA1*000000101*"))
            .collect()
    };
    wait_for(serve, "the duplicate's TA1", || !ta1s().is_empty());
    let ta1 = ta1s();
    assert_eq!(ta1.len(), 1, "{ta1:?}");
    assert!(ta1[0].contains("*R*025"), "{}", ta1[0]);

    // GOOD DRUG claims from us (844 GDD-CB-20261115-0001): adjudicated against ACME's
    // contract and answered at once with the 849; the customer claim, which shows its
    // adjudication, is approved and awaits its credit memo (C3, C7).
    deliver(
        "gooddrug",
        "844_4010_claim.x12",
        &sample("844_4010_claim.x12"),
    );
    let received = "/api/v1/claims/gooddrug%2FGDD-CB-20261115-0001";
    wait_for(serve, "GOOD DRUG's claim adjudicated", || {
        get(serve.port, received)
            .map(|(s, _)| s == 200)
            .unwrap_or(false)
    });
    let adjudicated = json(&get(serve.port, received).unwrap().1);
    assert_eq!(adjudicated["role"], "adjudicator", "{adjudicated}");
    assert_eq!(adjudicated["held"], false, "{adjudicated}");
    assert_eq!(adjudicated["adjudication"]["total_claimed"], "255.25");
    assert_eq!(
        adjudicated["amount"], adjudicated["adjudication"]["total_approved"],
        "{adjudicated}"
    );
    wait_for(serve, "the 849 in GOOD DRUG's outbox", || {
        files(&drops.join("gooddrug/outbox"))
            .iter()
            .any(|f| f.starts_with("claim_response-"))
    });
    let (status, approved) = http(
        serve.port,
        "POST",
        &format!("{received}/actions"),
        Some(&format!(
            r#"{{"expected_version": {}, "actor": "ar1", "action": {{"action": "approve"}}}}"#,
            adjudicated["version"]
        )),
    )
    .unwrap();
    assert_eq!(status, 200, "{approved}");
    assert_eq!(
        json(&approved)["status"],
        "settlement_pending",
        "{approved}"
    );

    serve.assert_metric("chargegate_files_received_total");
    // What the story did, counted: the lines the engine took and how long each step took.
    let (_, metrics) = get(serve.port, "/metrics").unwrap();
    for series in [
        "chargegate_lines_total{document=\"contract\"}",
        "chargegate_lines_total{document=\"sales_report\"}",
        "chargegate_lines_total{document=\"claim\"}",
        "chargegate_lines_total{document=\"claim_response\"}",
        "chargegate_queue_lag_seconds_count{queue=\"engine.sales\"}",
        "chargegate_engine_apply_seconds_count{queue=\"engine.claims\"}",
        "chargegate_engine_apply_seconds_bucket{queue=\"engine.contracts\",le=\"+Inf\"}",
    ] {
        assert!(
            metric_value(&metrics, series) >= 1.0,
            "{series}:\n{metrics}"
        );
    }
    // One processing per file the partners sent (845, 845 change, 867, 849, 844 at least).
    assert!(
        metric_value(&metrics, "chargegate_file_processing_seconds_count") >= 5.0,
        "{metrics}"
    );
}

/// The value of `series` (name and labels as rendered) in a Prometheus text page; 0 when absent.
fn metric_value(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// An integration mistake in GOOD DRUG's profile makes its 867 fail mapping; ops find it,
/// fix the profile and replay it from the command line: one batch, nothing twice.
#[test]
fn a_file_that_failed_mapping_completes_after_its_profile_is_fixed_and_replayed() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut serve, fix) = start_with_gooddrug_broken(tmp.path());
    let drops = tmp.path().join("data/drop");
    drop_file(&serve, "acmepharma", "845_4010_contract.x12");
    wait_for(&serve, "the contract's acknowledgment", || {
        !files(&drops.join("acmepharma/outbox")).is_empty()
    });
    drop_file(&serve, "gooddrug", "867_4010_sales.x12");
    let failed_path = "/api/v1/transactions?failed=true&partner=gooddrug";
    wait_for(&serve, "the 867 to fail mapping", || {
        get(serve.port, failed_path)
            .map(|(_, b)| json(&b).as_array().is_some_and(|a| !a.is_empty()))
            .unwrap_or(false)
    });
    let failed = json(&get(serve.port, failed_path).unwrap().1);
    let failed = &failed.as_array().unwrap()[0];
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("QTY") && error.contains("segment"),
        "the error must name the segment that did not map: {error}"
    );
    let id = failed["id"].as_str().unwrap().to_owned();
    // Ops find the failed set by an invoice it names, though it mapped to nothing.
    let by_invoice = json(
        &get(
            serve.port,
            "/api/v1/transactions?failed=true&invoice=INV0098301",
        )
        .unwrap()
        .1,
    );
    let found: Vec<&str> = by_invoice
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert!(found.contains(&id.as_str()), "{by_invoice}");
    let batch_path = "/api/v1/batches/gooddrug%2FGDD-867-202611";
    assert_eq!(get(serve.port, batch_path).unwrap().0, 404);
    let acks_before = settled_files(
        &serve,
        &drops.join("gooddrug/outbox"),
        "the 867's acknowledgment",
    );

    // The fix, then the replay from the command line (the running server relays its work).
    let replay = |id: &str| {
        let (code, stdout, stderr) = cli(tmp.path(), &["replay", id]);
        (code, stdout + &stderr)
    };
    // Replayed before the fix it fails again, and says so with its exit status.
    let (code, said) = replay(&id);
    assert_eq!(code, Some(1), "a replay that still fails exits 1: {said}");
    assert!(said.contains("1 failed"), "{said}");
    fix();
    let (code, said) = replay(&id);
    assert_eq!(code, Some(0), "replay failed: {said}");
    wait_for(&serve, "the replayed 867's batch", || {
        get(serve.port, batch_path)
            .map(|(s, _)| s == 200)
            .unwrap_or(false)
    });
    let batch = json(&get(serve.port, batch_path).unwrap().1);
    // GOOD DRUG's Daily period: the report's four lines wait for the day's cut.
    assert_eq!(batch["pending_lines"], 4, "{batch}");
    assert_eq!(
        batch["reports"][0]["report_id"], "GDD-867-202611",
        "{batch}"
    );
    assert!(batch["lines"].as_array().unwrap().is_empty(), "{batch}");
    // Done, and no longer showing the error it failed with (the audit trail keeps it).
    let tx_path = format!("/api/v1/transactions/{id}");
    wait_for(&serve, "the replayed set to be done", || {
        get(serve.port, &tx_path).is_ok_and(|(_, b)| json(&b)["transaction"]["state"] == "done")
    });
    let listed = json(&get(serve.port, &tx_path).unwrap().1);
    assert!(listed["transaction"]["error"].is_null(), "{listed}");
    // Found by its control numbers however they are padded (ISA13 000005002, GS06 5002).
    for cn in ["5002", "000005002"] {
        let found = json(
            &get(
                serve.port,
                &format!("/api/v1/transactions?partner=gooddrug&control_number={cn}"),
            )
            .unwrap()
            .1,
        );
        let found: Vec<&str> = found
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["id"].as_str())
            .collect();
        assert!(found.contains(&id.as_str()), "{cn}: {found:?}");
        assert!(found.len() >= 2, "the file and its set: {cn}: {found:?}");
    }

    // A second replay changes nothing: same batch version, no new file, no new transaction.
    let count = |serve: &Serve| {
        json(
            &get(serve.port, "/api/v1/transactions?limit=1000")
                .unwrap()
                .1,
        )
        .as_array()
        .unwrap()
        .len()
    };
    let before = count(&serve);
    // Done: nothing to replay, an answer about the input (exit 1), not a usage error (2).
    let (code, said) = replay(&id);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("nothing to replay"), "{said}");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(count(&serve), before, "a second replay made transactions");
    let again = json(&get(serve.port, batch_path).unwrap().1);
    assert_eq!(again["version"], batch["version"], "{again}");
    assert_eq!(files(&drops.join("gooddrug/outbox")), acks_before);

    // SIGTERM: the gateway finishes in-flight work and exits cleanly.
    let status = serve.terminate();
    assert!(
        status.success(),
        "exit after SIGTERM: {status:?}\n{}",
        serve.log()
    );
    // Said to the operator, whatever the log level: first at once, then when done.
    let log = serve.log();
    let stopping = log.find("chargegate: stopping: no new input");
    let stopped = log.find("chargegate: stopped");
    assert!(
        stopping.is_some() && stopping < stopped,
        "the stop is announced, then confirmed: {log}"
    );
}

/// A gateway on embedded defaults whose copy of GOOD DRUG's profile has an integration
/// mistake (its quantity qualifier), so GOOD DRUG's 867 fails mapping; the closure puts the
/// right profile back.
fn start_with_gooddrug_broken(dir: &std::path::Path) -> (Serve, impl Fn()) {
    let profiles = dir.join("profiles");
    copy_dir(&repo().join("partner-maps/profiles"), &profiles);
    let path = profiles.join("gooddrug.toml");
    let good = std::fs::read_to_string(&path).unwrap();
    let broken = good.replace(
        "quantity_qualifier = [\"39\"]",
        "quantity_qualifier = [\"QD\"]",
    );
    assert_ne!(good, broken, "the profile line to break moved");
    std::fs::write(&path, &broken).unwrap();
    let serve = start_with(
        dir,
        Options {
            profiles,
            ..Options::embedded()
        },
    );
    (serve, move || std::fs::write(&path, &good).unwrap())
}

/// Runs `chargegate ARGS --config DIR/chargegate.toml` (the running gateway's store): its
/// exit status, stdout and stderr.
fn cli(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chargegate"))
        .args(args)
        .arg("--config")
        .arg(dir.join("chargegate.toml"))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_set_in_an_interchange_its_ta1_rejects_is_not_processed() {
    // The IEA02 does not repeat the ISA13, which shows only at the end of the interchange,
    // after the set was translated: the TA1 says R (001), and nothing of it is processed.
    let tmp = tempfile::tempdir().unwrap();
    let serve = start_with(tmp.path(), Options::embedded());
    let sample = std::fs::read_to_string(repo().join("samples/867_4010_sales.x12")).unwrap();
    let icn = element(&sample, "ISA", 13);
    let broken = sample.replace(&format!("IEA*1*{icn}"), "IEA*1*999999999");
    assert_ne!(broken, sample, "the sample's IEA moved");
    deliver(&serve, "gooddrug", "bad-iea.x12", &broken);
    let drops = tmp.path().join("data/drop");
    let acks = settled_files(&serve, &drops.join("gooddrug/outbox"), "the TA1");
    assert_eq!(acks.len(), 1, "{acks:?}");
    let ta1 = std::fs::read_to_string(drops.join("gooddrug/outbox").join(&acks[0])).unwrap();
    assert!(
        ta1.contains(&format!("TA1*{icn}*")) && ta1.contains("*R*001"),
        "{ta1}"
    );
    let failed_path = "/api/v1/transactions?failed=true&partner=gooddrug";
    wait_for(&serve, "the file to fail", || {
        get(serve.port, failed_path)
            .map(|(_, b)| json(&b).as_array().is_some_and(|a| !a.is_empty()))
            .unwrap_or(false)
    });
    let failed = json(&get(serve.port, failed_path).unwrap().1);
    let error = failed[0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("interchange is rejected"), "{failed}");
    // No report was taken in: GOOD DRUG's batch for it does not exist.
    let batch_path = "/api/v1/batches/gooddrug%2FGDD-867-202611";
    assert_eq!(get(serve.port, batch_path).unwrap().0, 404);
    // The partner sends the interchange again, whole: it goes through.
    drop_file(&serve, "gooddrug", "867_4010_sales.x12");
    wait_for(&serve, "the resent report's batch", || {
        get(serve.port, batch_path)
            .map(|(s, _)| s == 200)
            .unwrap_or(false)
    });
}

#[test]
fn each_group_of_an_acknowledgment_takes_a_gs06_never_used_again() {
    // A file of two groups gets one 997 of two groups, GS06 N and N + 1; the next file
    // sent to the partner goes on from N + 2 (x12-chargeback 2.4: unique per sender).
    let tmp = tempfile::tempdir().unwrap();
    let serve = start_with(tmp.path(), Options::embedded());
    let drops = tmp.path().join("data/drop");
    let deliver = |name: &str, text: &str| deliver(&serve, "gooddrug", name, text);
    let sample = std::fs::read_to_string(repo().join("samples/867_4010_sales.x12")).unwrap();
    let icn = element(&sample, "ISA", 13);
    let gs = sample.find("GS*").unwrap();
    let ge_end = sample.find("IEA*").unwrap();
    let group = &sample[gs..ge_end];
    let second = group
        .replace("*5002*X*004010~", "*5003*X*004010~")
        .replace("GE*1*5002~", "GE*1*5003~");
    assert_ne!(second, group, "the sample's GS06 moved");
    let two_groups = format!(
        "{}{group}{second}IEA*2*000005102~\n",
        &sample[..gs].replace(&icn, "000005102")
    );
    deliver("two-groups.x12", &two_groups);
    let first = settled_files(
        &serve,
        &drops.join("gooddrug/outbox"),
        "the 997 of two groups",
    );
    assert_eq!(first.len(), 1, "{first:?}");
    let ack = std::fs::read_to_string(drops.join("gooddrug/outbox").join(&first[0])).unwrap();
    let gs06: Vec<u32> = ack
        .split('~')
        .map(str::trim)
        .filter(|s| s.starts_with("GS*"))
        .map(|s| s.split('*').nth(6).unwrap().parse().unwrap())
        .collect();
    assert_eq!(gs06.len(), 2, "{ack}");
    assert_eq!(gs06[1], gs06[0] + 1, "{ack}");
    assert!(
        ack.contains("AK1*PT*5002~") && ack.contains("AK1*PT*5003~"),
        "{ack}"
    );

    let another = sample
        .replace(&icn, "000005103")
        .replace("*5002*X*004010~", "*5004*X*004010~")
        .replace("GE*1*5002~", "GE*1*5004~");
    deliver("another.x12", &another);
    wait_for(&serve, "the second file's 997", || {
        files(&drops.join("gooddrug/outbox")).len() == 2
    });
    let outbox = files(&drops.join("gooddrug/outbox"));
    let next = outbox.iter().find(|f| !first.contains(f)).unwrap();
    let next = std::fs::read_to_string(drops.join("gooddrug/outbox").join(next)).unwrap();
    assert!(next.contains("AK1*PT*5004~"), "{next}");
    assert_eq!(element(&next, "GS", 6), (gs06[1] + 1).to_string(), "{next}");
}

#[test]
fn a_refused_interchange_is_acknowledged_as_refused() {
    // What the translation cannot see is refused at ingest, and the acknowledgment says so:
    // an interchange control number the partner used before for other bytes (TA1 R 025),
    // and a sender that is not the inbox's partner (TA1 R 006, back on the channel it came).
    let tmp = tempfile::tempdir().unwrap();
    let serve = start_with(tmp.path(), Options::embedded());
    let drops = tmp.path().join("data/drop");
    let deliver = |partner: &str, name: &str, text: &str| deliver(&serve, partner, name, text);
    let sample = std::fs::read_to_string(repo().join("samples/867_4010_sales.x12")).unwrap();
    let icn = element(&sample, "ISA", 13);
    drop_file(&serve, "gooddrug", "867_4010_sales.x12");
    let first = settled_files(&serve, &drops.join("gooddrug/outbox"), "the 867's 997");
    assert_eq!(first.len(), 1, "{first:?}");

    let other_bytes = sample.replacen("~\n", "~\r\n", 1);
    assert_ne!(other_bytes, sample);
    deliver("gooddrug", "867-again.x12", &other_bytes);
    wait_for(&serve, "the refusal's TA1", || {
        files(&drops.join("gooddrug/outbox")).len() == 2
    });
    let outbox = files(&drops.join("gooddrug/outbox"));
    let ack = outbox.iter().find(|f| !first.contains(f)).unwrap();
    let ack = std::fs::read_to_string(drops.join("gooddrug/outbox").join(ack)).unwrap();
    assert!(
        ack.contains(&format!("TA1*{icn}*")) && ack.contains("*R*025"),
        "{ack}"
    );
    assert!(!ack.contains("AK9*A"), "{ack}");

    deliver(
        "acmepharma",
        "not-acme.x12",
        &sample.replace(&icn, "000007777"),
    );
    let acme = settled_files(&serve, &drops.join("acmepharma/outbox"), "ACME's TA1");
    let ack = std::fs::read_to_string(drops.join("acmepharma/outbox").join(&acme[0])).unwrap();
    assert!(
        ack.contains("TA1*000007777*") && ack.contains("*R*006"),
        "{ack}"
    );
    assert!(!ack.contains("AK9*A"), "{ack}");
}

/// A file refused for an ISA13 used before (the partner then sends the corrected file under a
/// new one) is dismissed from the command line: exit 0, it leaves `transactions --failed` with
/// its set that failed with it,
/// `replay` refuses it (exit 1, saying it was dismissed), a second dismissal is refused
/// (exit 1, saying its state) and an unknown id is exit 2; `restore` undoes the dismissal.
#[test]
fn a_failed_file_is_dismissed_off_the_failed_queue_and_not_replayed() {
    let tmp = tempfile::tempdir().unwrap();
    let serve = start_with(tmp.path(), Options::embedded());
    let drops = tmp.path().join("data/drop");
    let sample = std::fs::read_to_string(repo().join("samples/867_4010_sales.x12")).unwrap();
    drop_file(&serve, "gooddrug", "867_4010_sales.x12");
    settled_files(&serve, &drops.join("gooddrug/outbox"), "the 867's 997");
    let other_bytes = sample.replacen("~\n", "~\r\n", 1);
    deliver(&serve, "gooddrug", "867-again.x12", &other_bytes);
    let failed_path = "/api/v1/transactions?failed=true&partner=gooddrug";
    wait_for(&serve, "the resent ISA13 to fail", || {
        get(serve.port, failed_path)
            .map(|(_, b)| json(&b).as_array().is_some_and(|a| !a.is_empty()))
            .unwrap_or(false)
    });
    let chargegate = |args: &[&str]| cli(tmp.path(), args);
    let failed_ids = || -> Vec<String> {
        let (code, stdout, stderr) = chargegate(&["transactions", "--failed", "--json"]);
        assert_eq!(code, Some(0), "{stderr}");
        stdout
            .lines()
            .map(|l| json(l)["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // The file and its set, failed with it; the file is dismissed (its set with it).
    let (_, listed, _) = chargegate(&["transactions", "--failed", "--json"]);
    let file: Vec<String> = listed
        .lines()
        .map(json)
        .filter(|t| t["parent_id"].is_null())
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(file.len(), 1, "{listed}");
    assert_eq!(failed_ids().len(), 2, "{listed}");
    let id = file[0].clone();

    let (code, stdout, stderr) = chargegate(&[
        "dismiss",
        &id,
        "--reason",
        "corrected file resent under a new ISA13",
        "--actor",
        "ann",
    ]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let tx = json(stdout.trim());
    assert_eq!(tx["state"], "dismissed", "{tx}");
    assert!(tx["error"].as_str().is_some_and(|e| !e.is_empty()), "{tx}");
    assert!(stderr.contains("dismissed"), "{stderr}");
    assert!(failed_ids().is_empty(), "still on the failed queue");
    let (code, stdout, _) = chargegate(&["transactions", "--json"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout
            .lines()
            .any(|l| json(l)["id"] == id.as_str() && json(l)["state"] == "dismissed"),
        "{stdout}"
    );

    let (code, stdout, stderr) = chargegate(&["replay", &id]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("it was dismissed"), "{stderr}");
    let (code, _, stderr) = chargegate(&["dismiss", &id, "--reason", "again"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("it is dismissed"), "{stderr}");
    let unknown = uuid::Uuid::now_v7().to_string();
    let (code, _, stderr) = chargegate(&["dismiss", &unknown, "--reason", "x"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("no transaction {unknown}")),
        "{stderr}"
    );
    let (code, _, stderr) = chargegate(&["dismiss", &id, "--reason", " "]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("reason is required"), "{stderr}");

    // The same bytes sent again are a receipt of their own: the dismissed run is not taken up
    // again (as a run that never finished would be).
    deliver(&serve, "gooddrug", "867-third.x12", &other_bytes);
    wait_for(&serve, "the copy to be refused", || {
        !failed_ids().is_empty()
    });
    assert!(!failed_ids().contains(&id));
    let tx = json(
        &get(serve.port, &format!("/api/v1/transactions/{id}"))
            .unwrap()
            .1,
    );
    assert_eq!(tx["transaction"]["state"], "dismissed", "{tx}");

    // Dismissed by mistake after all: `transactions --state dismissed` finds it and its set,
    // `restore` puts both back on the failed queue (exit 0), a second restore is exit 1.
    let (code, listed, stderr) = chargegate(&["transactions", "--state", "dismissed", "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let dismissed: Vec<String> = listed
        .lines()
        .map(|l| json(l)["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(dismissed.len(), 2, "the file and its set: {listed}");
    assert!(dismissed.contains(&id), "{listed}");
    let (code, stdout, stderr) = chargegate(&[
        "restore",
        &id,
        "--reason",
        "dismissed the wrong file",
        "--actor",
        "bob",
    ]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(json(stdout.trim())["state"], "failed", "{stdout}");
    assert!(stderr.contains("restored"), "{stderr}");
    let failed = failed_ids();
    for d in &dismissed {
        assert!(
            failed.contains(d),
            "{d} not back on the failed queue: {failed:?}"
        );
    }
    let (code, _, stderr) = chargegate(&["restore", &id, "--reason", "again"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("it is failed"), "{stderr}");
    let (code, _, stderr) = chargegate(&["transactions", "--state", "bogus"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("state"), "{stderr}");
}

/// Ops dismiss a set that failed mapping (its partner will resend it corrected), then fix
/// the profile and replay the file for the rest: the dismissed set is left alone (no batch,
/// still dismissed) and the replay says so. It was run again and went through, taking the
/// superseded set after all.
#[test]
fn a_replayed_file_leaves_its_dismissed_set_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let (serve, fix) = start_with_gooddrug_broken(tmp.path());
    drop_file(&serve, "gooddrug", "867_4010_sales.x12");
    let failed_path = "/api/v1/transactions?failed=true&partner=gooddrug";
    wait_for(&serve, "the 867 to fail mapping", || {
        get(serve.port, failed_path)
            .map(|(_, b)| json(&b).as_array().is_some_and(|a| a.len() == 2))
            .unwrap_or(false)
    });
    let failed = json(&get(serve.port, failed_path).unwrap().1);
    let id_of = |file: bool| -> String {
        failed
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["parent_id"].is_null() == file)
            .and_then(|t| t["id"].as_str())
            .unwrap()
            .to_owned()
    };
    let (file, set) = (id_of(true), id_of(false));
    let chargegate = |args: &[&str]| {
        let (code, stdout, stderr) = cli(tmp.path(), args);
        (code, stdout + &stderr)
    };
    let (code, said) = chargegate(&["dismiss", &set, "--reason", "partner resends it"]);
    assert_eq!(code, Some(0), "{said}");

    fix();
    let (code, said) = chargegate(&["replay", &file]);
    assert_eq!(code, Some(0), "{said}");
    let state = |id: &str| {
        json(
            &get(serve.port, &format!("/api/v1/transactions/{id}"))
                .unwrap()
                .1,
        )["transaction"]["state"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(state(&set), "dismissed", "{said}");
    assert_eq!(state(&file), "done", "{said}");
    assert!(said.contains("1 dismissed"), "{said}");
    assert!(said.contains("0 set(s) done now"), "{said}");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let batch_path = "/api/v1/batches/gooddrug%2FGDD-867-202611";
    assert_eq!(get(serve.port, batch_path).unwrap().0, 404);
}

/// A refused interchange's error is located as every other one, from the file it came in:
/// `FILE: interchange ICN: …`. An interchange control number used before and a sender that is
/// not the inbox's partner were said as `interchange ICN: …` alone, so the failed queue did
/// not tell ops which of a partner's files was refused (the same ISA13 comes in several).
#[test]
fn a_refused_interchange_names_its_file() {
    let tmp = tempfile::tempdir().unwrap();
    let serve = start_with(tmp.path(), Options::embedded());
    let drops = tmp.path().join("data/drop");
    let deliver = |partner: &str, name: &str, text: &str| deliver(&serve, partner, name, text);
    let sample = std::fs::read_to_string(repo().join("samples/867_4010_sales.x12")).unwrap();
    let icn = element(&sample, "ISA", 13);
    drop_file(&serve, "gooddrug", "867_4010_sales.x12");
    settled_files(&serve, &drops.join("gooddrug/outbox"), "the 867's 997");
    deliver(
        "gooddrug",
        "867-again.x12",
        &sample.replacen("~\n", "~\r\n", 1),
    );
    deliver(
        "acmepharma",
        "not-acme.x12",
        &sample.replace(&icn, "000007777"),
    );
    let failed = |partner: &str| {
        json(
            &get(
                serve.port,
                &format!("/api/v1/transactions?failed=true&partner={partner}"),
            )
            .unwrap()
            .1,
        )
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["error"].as_str().map(str::to_owned))
        .collect::<Vec<_>>()
    };
    wait_for(&serve, "both refusals", || {
        !failed("gooddrug").is_empty() && !failed("acmepharma").is_empty()
    });
    for error in failed("gooddrug") {
        assert!(
            error.starts_with(&format!(
                "867-again.x12: interchange {icn}: duplicate interchange control number"
            )),
            "{error}"
        );
    }
    for error in failed("acmepharma") {
        assert!(
            error.starts_with("not-acme.x12: interchange 000007777: sender belongs to partner"),
            "{error}"
        );
    }
}

/// `chargegate transactions` shows every located error of a failed transaction, not its first
/// line: a bad element is reported as its segment ("segment has element errors", AK3) and
/// then the element itself (AK4: which element, what is wrong, the value), and the table
/// showed only the segment line, so ops had to ask for `--json` to see why the set failed.
#[test]
fn the_transactions_table_shows_every_located_error() {
    let tmp = tempfile::tempdir().unwrap();
    let serve = start_with(tmp.path(), Options::embedded());
    let sample = std::fs::read_to_string(repo().join("samples/867_4010_sales.x12")).unwrap();
    let bad = sample.replacen("QTY*39*4*CA~", "QTY*39*4X*CA~", 1);
    assert_ne!(bad, sample, "the segment to break moved");
    deliver(&serve, "gooddrug", "bad-qty.x12", &bad);
    let failed_path = "/api/v1/transactions?failed=true&partner=gooddrug";
    wait_for(&serve, "the 867 to fail", || {
        get(serve.port, failed_path)
            .map(|(_, b)| json(&b).as_array().is_some_and(|a| a.len() == 2))
            .unwrap_or(false)
    });
    let (code, table, stderr) = cli(tmp.path(), &["transactions", "--failed"]);
    assert_eq!(code, Some(0), "{table}{stderr}");
    let element = "bad-qty.x12: interchange 000005002, group 5002, set 0001, segment 18 (QTY), \
                   element 2: invalid character in QTY02 (element 380): \"4X\"";
    // The file's row and its set's row each say it, under the error column.
    assert_eq!(table.matches(element).count(), 2, "{table}");
    let column = table.lines().next().unwrap().find("error").unwrap();
    for line in table.lines().filter(|l| l.contains(element)) {
        assert_eq!(line.find("bad-qty.x12"), Some(column), "{table}");
    }
    // A row is still one transaction: every line that is not one is under the error column.
    for line in table.lines().skip(1) {
        let id = line.split_whitespace().next().unwrap();
        assert!(
            uuid::Uuid::parse_str(id).is_ok() || line.find(|c: char| c != ' ') == Some(column),
            "{table}"
        );
    }
}

/// An acknowledgment that could not be delivered (GOOD DRUG's outbox broken) fails; replayed
/// from the command line once the outbox is back, it arrives under the name it was first
/// written for, `997-<ISA13>.x12`, not a name made up by the replay path.
#[test]
fn a_replayed_acknowledgment_keeps_its_file_name() {
    let tmp = tempfile::tempdir().unwrap();
    let serve = start_with(
        tmp.path(),
        Options {
            extra: "max_attempts = 2\n".into(),
            ..Options::embedded()
        },
    );
    let outbox = serve.drop_dir("gooddrug", "outbox");
    std::fs::remove_dir(&outbox).unwrap();
    std::fs::write(&outbox, "not a folder").unwrap();
    drop_file(&serve, "gooddrug", "867_4010_sales.x12");
    let path = "/api/v1/transactions?partner=gooddrug&failed=true";
    let failed_ack = || {
        get(serve.port, path).ok().and_then(|(_, b)| {
            json(&b)
                .as_array()?
                .iter()
                .find(|t| t["doc_type"] == "acknowledgment" && t["direction"] == "outbound")
                .cloned()
        })
    };
    wait_for(&serve, "the acknowledgment to fail", || {
        failed_ack().is_some()
    });
    let ack = failed_ack().unwrap();
    std::fs::remove_file(&outbox).unwrap();
    std::fs::create_dir(&outbox).unwrap();
    let (code, _, stderr) = cli(tmp.path(), &["replay", ack["id"].as_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    let sent = settled_files(&serve, &outbox, "the replayed acknowledgment");
    let isa13 = ack["isa13"].as_str().unwrap();
    assert_eq!(sent, [format!("997-{isa13}.x12")]);
    let x12 = std::fs::read_to_string(outbox.join(&sent[0])).unwrap();
    assert!(x12.contains("ST*997*"), "{x12}");
}

/// An empty file, and one that is not X12, dropped in GOOD DRUG's inbox: nothing to read the
/// sender from, but the inbox says who sent it. Each is rejected with a TA1 R addressed to
/// GOOD DRUG (its profile's ISA qualifier and id) from us, dated now.
#[test]
fn an_unreadable_dropped_file_is_answered_to_the_partner_of_its_inbox() {
    let tmp = tempfile::tempdir().unwrap();
    let serve = start_with(tmp.path(), Options::embedded());
    let outbox = serve.drop_dir("gooddrug", "outbox");
    for (n, (name, bytes)) in [("empty.x12", &b""[..]), ("hello.x12", b"hello, not X12\n")]
        .into_iter()
        .enumerate()
    {
        deliver(&serve, "gooddrug", name, bytes);
        wait_for(&serve, &format!("the TA1 for {name}"), || {
            files(&outbox).len() == n + 1
        });
        wait_for(&serve, &format!("{name} rejected"), || {
            files(&serve.drop_dir("gooddrug", "rejected")).contains(&name.to_owned())
        });
    }
    for file in files(&outbox) {
        assert!(file.starts_with("ta1-"), "{file}");
        let ta1 = std::fs::read_to_string(outbox.join(&file)).unwrap();
        assert_isa_to(&ta1, "ZZ", "GOODDRUG", "00401");
        assert!(
            ta1.contains("\nTA1*000000000*") && ta1.contains("*R*"),
            "{ta1}"
        );
    }
}

/// `GET /api/v1/batches/{id}` pages its lines (`lines_limit`, `after`, `line_status`), and its
/// head counts and sums them by status: walked a line a page, the pages add up to the head.
fn batch_lines_come_a_page_at_a_time(serve: &Serve, batch_path: &str, whole: &serde_json::Value) {
    let mut walked = Vec::new();
    let mut after = serde_json::json!(0);
    loop {
        let (status, body) = get(
            serve.port,
            &format!("{batch_path}?lines_limit=1&after={after}"),
        )
        .unwrap();
        assert_eq!(status, 200, "{body}");
        let page = json(&body);
        assert_eq!(page["line_summary"], whole["line_summary"], "{page}");
        let lines = page["lines"].as_array().unwrap();
        assert!(lines.len() <= 1, "{page}");
        walked.extend(lines.iter().cloned());
        if page["next_after"].is_null() {
            break;
        }
        assert_eq!(page["next_after"], lines[0]["line_no"], "{page}");
        after = page["next_after"].clone();
    }
    assert_eq!(&walked, whole["lines"].as_array().unwrap());
    // The head's counts and totals are those of the lines, overall and by status.
    let summary = &whole["line_summary"];
    assert_eq!(summary["lines"], 4, "{summary}");
    let cents = |v: &serde_json::Value| -> i64 {
        v.as_str()
            .map(|s| s.replace('.', "").parse().unwrap())
            .unwrap_or(0)
    };
    for field in ["claimed_amount", "calculated_amount", "accepted_amount"] {
        let sum: i64 = walked.iter().map(|l| cents(&l[field])).sum();
        assert_eq!(cents(&summary[field]), sum, "{field}: {summary}");
    }
    let by_status = summary["by_status"].as_object().unwrap();
    for (status, totals) in by_status {
        let of: Vec<_> = walked.iter().filter(|l| l["status"] == *status).collect();
        assert_eq!(totals["lines"], of.len(), "{status}: {summary}");
        let claimed: i64 = of.iter().map(|l| cents(&l["claimed_amount"])).sum();
        assert_eq!(cents(&totals["claimed_amount"]), claimed, "{status}");
    }
    // Of some statuses only: the disputed lines.
    let disputed: Vec<_> = walked
        .iter()
        .filter(|l| {
            l["status"].as_str().unwrap().ends_with("disputed") || l["status"] == "duplicate"
        })
        .map(|l| l["line_no"].clone())
        .collect();
    assert!(!disputed.is_empty(), "the sample story has disputed lines");
    let (status, body) = get(
        serve.port,
        &format!("{batch_path}?line_status=eligibility_disputed,amount_disputed,duplicate"),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let only: Vec<_> = json(&body)["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line_no"].clone())
        .collect();
    assert_eq!(only, disputed);
    // Bad paging parameters: 400, in the API's error shape, naming the parameter.
    for (query, names) in [
        ("lines_limit=0", "lines_limit"),
        ("lines_limit=5001", "lines_limit"),
        ("lines_limit=ten", "lines_limit"),
        ("after=-1", "after"),
        ("after=x", "after"),
        ("line_status=bogus", "line_status"),
        (
            "line_status=accepted,nope",
            "accepted: open, eligibility_disputed",
        ),
        ("lines=5", "unknown field `lines`"),
    ] {
        let (status, body) = get(serve.port, &format!("{batch_path}?{query}")).unwrap();
        assert_eq!(status, 400, "{query}: {body}");
        let error = json(&body)["error"].as_str().unwrap().to_owned();
        assert!(error.contains(names), "{query}: {error}");
    }
}

/// Every error of the API is `{"error": "..."}` with the right status and a message naming
/// what is wrong; a stale version says which version the batch is at.
fn api_errors_are_json(serve: &Serve, batch_path: &str) {
    let error_of = |status: u16, (got, body): (u16, String)| -> String {
        assert_eq!(got, status, "{body}");
        let body = json(&body);
        assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
        body["error"].as_str().unwrap().to_owned()
    };
    let post = |path: &str, body: &str| http(serve.port, "POST", path, Some(body)).unwrap();
    let actions = format!("{batch_path}/actions");
    // Malformed JSON: 400; the wrong shape: 422 naming the field; no content type: 415.
    let e = error_of(400, post(&actions, "{not json"));
    assert!(e.contains("not valid JSON"), "{e}");
    let e = error_of(
        422,
        post(&actions, r#"{"action": {"action": "pay_and_close"}}"#),
    );
    assert!(e.contains("expected_version"), "{e}");
    let e = error_of(
        422,
        post(
            &actions,
            r#"{"expected_version": "x", "action": {"action": "pay_and_close"}}"#,
        ),
    );
    assert!(e.contains("expected_version"), "{e}");
    // An unknown reject reason: the reasons a reviewer may give are named.
    let e = error_of(
        422,
        post(
            &actions,
            r#"{"expected_version": 1, "action": {"action": "reject", "line": "1", "reason": "bogus"}}"#,
        ),
    );
    assert!(
        e.contains("bogus") && e.contains("debit_claim_not_supported") && e.contains("withdrawn"),
        "{e}"
    );
    let raw = send_request(
        serve.port,
        &format!(
            "POST {actions} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Length: 2\r\n\r\n{{}}"
        ),
    )
    .unwrap();
    let e = error_of(415, raw);
    assert!(e.contains("Content-Type: application/json"), "{e}");
    // A stale version: 409 naming the batch, its version and the one sent; no SQL.
    let batch = json(&get(serve.port, batch_path).unwrap().1);
    let e = error_of(
        409,
        post(
            &actions,
            r#"{"expected_version": 0, "action": {"action": "pay_and_close"}}"#,
        ),
    );
    assert!(
        e.contains(&format!("batch {}", batch["number"].as_str().unwrap()))
            && e.contains(&format!("is at version {}", batch["version"]))
            && e.contains("you sent 0"),
        "{e}"
    );
    // Bad paths and unknown routes.
    let e = error_of(
        400,
        get(serve.port, "/api/v1/transactions/not-a-uuid").unwrap(),
    );
    assert!(e.contains("invalid path"), "{e}");
    let e = error_of(404, get(serve.port, "/api/v1/no-such-thing").unwrap());
    assert!(e.contains("/api/v1/no-such-thing"), "{e}");
    let e = error_of(405, http(serve.port, "DELETE", batch_path, None).unwrap());
    assert!(e.contains("DELETE"), "{e}");
    // Filters: an unknown value is 400 naming those accepted; a limit out of range too.
    for (path, names) in [
        ("/api/v1/batches?status=bogus", "awaiting_review"),
        ("/api/v1/batches?role=bogus", "claimant, adjudicator"),
        ("/api/v1/batches?limit=0", "between 1 and 1000"),
        ("/api/v1/batches?limit=1001", "between 1 and 1000"),
        ("/api/v1/batches?colour=red", "unknown field `colour`"),
        ("/api/v1/claims?status=nonsense", "settlement_pending"),
        ("/api/v1/claims?role=claimant", "role"),
        ("/api/v1/disputes?status=open,nonsense", "under_review"),
        ("/api/v1/transactions?state=bogus", "processing"),
        ("/api/v1/transactions?step=bogus", "render"),
        (
            "/api/v1/transactions?status=failed",
            "unknown field `status`",
        ),
        ("/api/v1/transactions?limit=0", "between 1 and 10000"),
        ("/api/v1/transactions?limit=abc", "limit"),
    ] {
        let e = error_of(400, get(serve.port, path).unwrap());
        assert!(e.contains(names), "{path}: {e}");
    }
    let (status, body) = get(serve.port, "/api/v1/transactions?state=done&limit=5").unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        json(&body)
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["state"] == "done"),
        "{body}"
    );
    // The OpenAPI document is served.
    let (status, body) = get(serve.port, "/api/v1/openapi.json").unwrap();
    assert_eq!(status, 200, "{body}");
    let doc = json(&body);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
    assert!(
        doc["paths"]["/api/v1/batches/{id}"]["get"].is_object(),
        "{doc}"
    );
}
