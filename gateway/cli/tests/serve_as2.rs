//! Black-box tests of outbound AS2 in `chargegate serve`, against pyas2lib as ACME's AS2
//! server (tests/peers/as2_peer.py): ACME sends its 845 over AS2 and checks our MDN; its
//! acknowledgment and GOOD DRUG's 844 claim go back over AS2 with a synchronous MDN; a peer
//! that is down fails the transaction after the retries and a replay sends it; asynchronous
//! MDNs settle the transaction, and a missing one ends in resends, then failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

// The pyas2lib venv, the peer script and identities, shared with the transport's interop tests.
#[path = "../../transport/tests/as2_support/mod.rs"]
mod as2_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use as2_support::{Side, peer_args, peer_script, peer_send_file, python, side};
use support::*;
use transport::as2::LocalIdentity;

/// ACME's AS2 name (its profile's `[as2] id`) and ours (the default `identity.as2_id`).
const ACME: &str = "ACMEAS2";
const US: &str = "CHARGEGATE";

/// The pyas2lib peer in `serve` mode, killed when dropped.
struct Peer {
    child: Child,
    out: PathBuf,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Both sides' keys, the profiles naming the peer, and the gateway's directory.
struct World {
    tmp: tempfile::TempDir,
    acme: Side,
    us: Side,
    /// Where ACME's AS2 server listens (or will).
    peer_port: u16,
}

impl World {
    /// Keys for both sides (ours where `serve` looks for them) and the repository's profiles
    /// with ACME's `[as2]` pointing at the peer and its `[sftp]` outbox gone, so its files go
    /// over AS2.
    fn new(mdn: &str) -> Self {
        Self::with_channels(mdn, false)
    }

    /// [`World::new`], optionally keeping ACME's `[sftp]` drop folder beside its `[as2]`.
    fn with_channels(mdn: &str, keep_sftp: bool) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let certs = tmp.path().join("certs");
        std::fs::create_dir_all(&certs).unwrap();
        let (key, cert) = (certs.join("key.pem"), certs.join("cert.pem"));
        let identity = LocalIdentity::generate(US, &key, &cert).unwrap();
        let us = Side {
            id: US.into(),
            key,
            cert,
            identity,
        };
        let peer_dir = tmp.path().join("peer");
        std::fs::create_dir_all(&peer_dir).unwrap();
        let acme = side(&peer_dir, ACME);
        let peer_port = free_port();
        let profiles = tmp.path().join("profiles");
        std::fs::create_dir_all(&profiles).unwrap();
        for entry in std::fs::read_dir(repo().join("partner-maps/profiles")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                std::fs::copy(&path, profiles.join(path.file_name().unwrap())).unwrap();
            }
        }
        let file = profiles.join("acmepharma.toml");
        let text = std::fs::read_to_string(&file).unwrap();
        let start = text.find("[as2]").expect("acmepharma has [as2]");
        let end = text.find("[dialect]").expect("acmepharma has [dialect]");
        let as2 = format!(
            "[as2]\nid = \"{ACME}\"\nurl = \"http://127.0.0.1:{peer_port}/as2\"\nmdn = \"{mdn}\"\n\
             encrypt = \"aes256-cbc\"\nsign = \"sha256\"\ncertificates = [\"{}\"]\n\n",
            acme.cert.display()
        );
        let sftp = if keep_sftp {
            "[sftp]\nuser = \"acmepharma\"\n\n"
        } else {
            ""
        };
        std::fs::write(
            &file,
            format!("{}{as2}{sftp}{}", &text[..start], &text[end..]),
        )
        .unwrap();
        Self {
            tmp,
            acme,
            us,
            peer_port,
        }
    }

    fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// Starts the gateway with `workers` settings appended to the harness's `[workers]`.
    fn serve(&self, workers: &str) -> Serve {
        self.serve_on(Options::embedded(), workers)
    }

    /// [`World::serve`] with more keys of the `[http]` table.
    fn serve_with_http(&self, http: &str) -> Serve {
        self.serve_on(
            Options {
                http: http.to_owned(),
                ..Options::embedded()
            },
            "",
        )
    }

    /// [`World::serve`] on `base` (embedded defaults or the servers).
    fn serve_on(&self, base: Options, workers: &str) -> Serve {
        start_with(
            self.dir(),
            Options {
                profiles: self.dir().join("profiles"),
                extra: workers.to_owned(),
                ..base
            },
        )
    }

    /// Starts ACME's AS2 server on its port with more peer arguments.
    fn peer(&self, extra: &[&str]) -> Peer {
        let out = self.dir().join("peer/out");
        let mut child = Command::new(python())
            .arg(peer_script())
            .arg("serve")
            .args(peer_args(&self.acme, &self.us))
            .arg("--out-dir")
            .arg(&out)
            .args(["--port", &self.peer_port.to_string()])
            .args(extra)
            .stdout(Stdio::piped())
            // Its complaints (duplicates on resends) go to a file beside its out-dir.
            .stderr(std::fs::File::create(self.dir().join("peer/peer.log")).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("LISTENING"), "peer did not start: {line}");
        Peer { child, out }
    }

    /// ACME sends `sample` to the gateway's `POST /as2` with pyas2lib; its verdict on our MDN.
    fn acme_sends(&self, serve: &Serve, sample: &str) -> serde_json::Value {
        self.acme_sends_file(serve, &repo().join("samples").join(sample))
    }

    /// ACME sends the file at `path` to the gateway's `POST /as2` with pyas2lib.
    fn acme_sends_file(&self, serve: &Serve, path: &Path) -> serde_json::Value {
        self.acme_sends_with(serve, path, &[])
    }

    /// [`World::acme_sends_file`] with more peer arguments (`--message-id`, `--compress`).
    fn acme_sends_with(&self, serve: &Serve, path: &Path, extra: &[&str]) -> serde_json::Value {
        let url = format!("http://127.0.0.1:{}/as2", serve.port);
        peer_send_file(&self.acme, &self.us, &url, path, extra)
    }
}

/// The payloads the peer received (not its JSON notes or its POST log), as text.
fn received(peer: &Peer) -> Vec<String> {
    files(&peer.out)
        .into_iter()
        .filter(|f| !f.ends_with(".json") && f != "posts.log")
        .map(|f| std::fs::read_to_string(peer.out.join(f)).unwrap_or_default())
        .collect()
}

/// ACME's outbound transactions of `doc_type`.
fn outbound(serve: &Serve, doc_type: &str) -> Vec<serde_json::Value> {
    let (_, body) = get(
        serve.port,
        "/api/v1/transactions?partner=acmepharma&limit=100",
    )
    .unwrap();
    json(&body)
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["direction"] == "outbound" && t["doc_type"] == doc_type)
        .cloned()
        .collect()
}

/// ACME's inbound files (not their sets), newest first.
fn inbound_files(serve: &Serve) -> Vec<serde_json::Value> {
    let (_, body) = get(
        serve.port,
        "/api/v1/transactions?partner=acmepharma&limit=100",
    )
    .unwrap();
    json(&body)
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["direction"] == "inbound" && t["parent_id"].is_null())
        .cloned()
        .collect()
}

/// The acknowledgments ACME's AS2 server received.
fn acks(peer: &Peer) -> usize {
    received(peer).iter().filter(|x| is_ack(x)).count()
}

fn wait_state(serve: &Serve, doc_type: &str, state: &str) -> serde_json::Value {
    wait_for(
        serve,
        &format!("ACME's {doc_type} transaction {state}"),
        || {
            outbound(serve, doc_type)
                .iter()
                .any(|t| t["state"] == state)
        },
    );
    outbound(serve, doc_type)
        .into_iter()
        .find(|t| t["state"] == state)
        .unwrap()
}

fn is_ack(x12: &str) -> bool {
    x12.contains("ST*997*") || x12.contains("ST*999*")
}

#[test]
fn acme_talks_as2_both_ways_with_synchronous_mdns() {
    let w = World::new("sync");
    let peer = w.peer(&[]);
    as2_story(&w, &peer, &w.serve(""));
}

#[test]
fn acme_talks_as2_both_ways_on_postgres_and_rabbitmq() {
    let w = World::new("sync");
    let peer = w.peer(&[]);
    let serve = w.serve_on(Options::servers(), "");
    assert!(serve.log().contains("bus=amqp://"), "{}", serve.log());
    as2_story(&w, &peer, &serve);
}

/// ACME on AS2 (pyas2lib), GOOD DRUG on its drop folder: contract in, acknowledgment out,
/// claim out, ACME's 849 in, the claim reconciled.
fn as2_story(w: &World, peer: &Peer, serve: &Serve) {
    // ACME's contract over AS2: pyas2lib verifies our signed MDN and its MIC.
    let verdict = w.acme_sends(serve, "845_4010_contract.x12");
    assert_eq!(verdict["status"], "processed", "{verdict}");
    assert_eq!(verdict["mic_ok"], true, "{verdict}");
    assert_eq!(verdict["mdn_signed"], true, "{verdict}");

    // Its acknowledgment goes back over AS2; pyas2lib's MDN marks it done.
    wait_for(serve, "the acknowledgment at ACME's AS2 server", || {
        received(peer).iter().any(|x| is_ack(x))
    });
    let ack = wait_state(serve, "acknowledgment", "done");
    assert!(ack["error"].is_null(), "{ack}");
    assert!(
        ack["refs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "as2_message"),
        "{ack}"
    );
    assert!(
        files(&serve.drop_dir("acmepharma", "outbox")).is_empty(),
        "nothing goes to ACME's drop outbox"
    );

    // GOOD DRUG's sales, paid and closed: the 844 claim goes to ACME over AS2.
    drop_file(serve, "gooddrug", "867_4010_sales.x12");
    let batch_path = "/api/v1/batches/gooddrug%2FGDD-867-202611";
    wait_for_batch(serve, batch_path);
    // Today's Daily batch (8.1), cut on demand.
    assert_eq!(cut_today(serve, "gooddrug").len(), 1);
    let batch = json(&get(serve.port, batch_path).unwrap().1);
    let (status, paid) = pay_and_close(serve, batch_path, &batch["version"]);
    assert_eq!(status, 200, "{paid}");
    wait_for(serve, "the 844 claim at ACME's AS2 server", || {
        received(peer).iter().any(|x| x.contains("ST*844*"))
    });
    wait_state(serve, "claim", "done");
    // GOOD DRUG has no [as2]: its 997 still goes to its drop outbox.
    wait_for(serve, "GOOD DRUG's 997 in its outbox", || {
        !files(&serve.drop_dir("gooddrug", "outbox")).is_empty()
    });

    // ACME answers with its 849 over AS2: the claim is reconciled.
    let claim = received(peer)
        .into_iter()
        .find(|x| x.contains("ST*844*"))
        .unwrap();
    let claim_number = element(&claim, "BAA", 5);
    let claim_path = w.dir().join("peer/claim.x12");
    std::fs::write(&claim_path, &claim).unwrap();
    let answer = acme_answers(w.dir(), &claim_path);
    let answer_path = w.dir().join("peer/849.x12");
    std::fs::write(&answer_path, answer).unwrap();
    let verdict = w.acme_sends_file(serve, &answer_path);
    assert_eq!(verdict["status"], "processed", "{verdict}");
    wait_reconciled(serve, &claim_number);
    // The 849 is acknowledged over AS2 too: two acknowledgments at ACME (845, 849).
    wait_for(
        serve,
        "the 849's acknowledgment at ACME's AS2 server",
        || received(peer).iter().filter(|x| is_ack(x)).count() == 2,
    );

    serve.assert_metric("chargegate_files_sent_total{channel=\"as2\"}");
}

#[test]
fn a_peer_that_is_down_fails_the_send_and_a_replay_delivers_it() {
    let w = World::new("sync");
    let serve = w.serve("max_attempts = 3\n");
    drop_file(&serve, "acmepharma", "845_4010_contract.x12");
    let failed = wait_state(&serve, "acknowledgment", "failed");
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("acmepharma")
            && error.contains("AS2 message chargegate-")
            && error.contains(&format!("127.0.0.1:{}", w.peer_port)),
        "not readable: {error}"
    );
    assert!(failed["attempts"].as_i64().unwrap() >= 3, "{failed}");

    let peer = w.peer(&[]);
    let id = failed["id"].as_str().unwrap();
    let (status, body) = http(
        serve.port,
        "POST",
        &format!("/api/v1/transactions/{id}/replay"),
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    wait_state(&serve, "acknowledgment", "done");
    assert!(received(&peer).iter().any(|x| is_ack(x)));
}

#[test]
fn a_negative_mdn_fails_the_send_without_retries() {
    let w = World::new("sync");
    // ACME decrypts with a key we did not encrypt to: pyas2lib answers with a signed
    // `processed/error: decryption-failed`.
    let stranger = side(&w.dir().join("peer"), "STRANGER");
    let (key, cert) = (
        stranger.key.display().to_string(),
        stranger.cert.display().to_string(),
    );
    let peer = w.peer(&["--org-decrypt-key", &key, "--org-decrypt-cert", &cert]);
    let serve = w.serve("max_attempts = 3\n");
    drop_file(&serve, "acmepharma", "845_4010_contract.x12");
    let failed = wait_state(&serve, "acknowledgment", "failed");
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("acmepharma")
            && error.contains("AS2 message chargegate-")
            && error.contains("negative MDN")
            && error.contains("decryption-failed"),
        "not readable: {error}"
    );
    // Refused is final: one POST, no retry.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let posts = std::fs::read_to_string(peer.out.join("posts.log")).unwrap();
    assert_eq!(posts.lines().count(), 1, "{posts}");
    serve.assert_metric("chargegate_as2_mdn_failures_total 1");
}

#[test]
fn an_asynchronous_mdn_settles_the_transaction() {
    let w = World::new("async");
    let peer = w.peer(&["--async-delay-ms", "300"]);
    let serve = w.serve("");
    drop_file(&serve, "acmepharma", "845_4010_contract.x12");
    wait_for(&serve, "the acknowledgment at ACME's AS2 server", || {
        received(&peer).iter().any(|x| is_ack(x))
    });
    let done = wait_state(&serve, "acknowledgment", "done");
    assert!(done["error"].is_null(), "the awaiting note is gone: {done}");

    // An MDN for a message we never sent: answered, counted, nothing else.
    let mdn = "--b\r\nContent-Type: text/plain\r\n\r\nok\r\n--b\r\n\
               Content-Type: message/disposition-notification\r\n\r\n\
               Original-Message-ID: <nobody@nowhere>\r\n\
               Disposition: automatic-action/MDN-sent-automatically; processed\r\n\r\n--b--\r\n";
    let request = format!(
        "POST /as2 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAS2-From: {ACME}\r\n\
         AS2-To: {US}\r\nContent-Type: multipart/report; report-type=disposition-notification; \
         boundary=\"b\"\r\nContent-Length: {}\r\n\r\n{mdn}",
        mdn.len()
    );
    let (status, _) = send_request(serve.port, &request).unwrap();
    assert_eq!(status, 200);
    serve.assert_metric("chargegate_as2_mdn_unknown_total 1");
    assert!(serve.log().contains("MDN for a message we did not send"));
}

#[test]
fn a_missing_asynchronous_mdn_means_resends_then_failure() {
    let w = World::new("async");
    let peer = w.peer(&["--async-mdn", "never"]);
    let serve = w.serve("as2_mdn_timeout_ms = 600\nas2_resends = 2\n");
    drop_file(&serve, "acmepharma", "845_4010_contract.x12");
    let waiting = wait_state(&serve, "acknowledgment", "processing");
    let failed = wait_state(&serve, "acknowledgment", "failed");
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains("no MDN after 3 attempts"), "{error}");
    assert_eq!(failed["id"], waiting["id"]);
    // Three POSTs, one Message-ID: the first send and two resends of the same message.
    let posts = std::fs::read_to_string(peer.out.join("posts.log")).unwrap();
    let ids: Vec<&str> = posts.lines().collect();
    assert_eq!(ids.len(), 3, "{posts}");
    assert!(
        ids.iter()
            .all(|i| *i == ids[0] && i.contains("chargegate-")),
        "{posts}"
    );
    serve.assert_metric("chargegate_as2_mdn_failures_total 1");
}

/// ACME sends a payload that is not X12 over AS2: the AS2-From says who sent it, so its TA1 R
/// goes back over AS2 addressed to ACME (its profile's ISA qualifier and id, in the version we
/// send it), from us, dated now.
#[test]
fn an_unreadable_as2_payload_is_answered_to_its_sender() {
    let w = World::new("sync");
    let peer = w.peer(&[]);
    let serve = w.serve("");
    let hello = w.dir().join("peer/hello.txt");
    std::fs::write(&hello, "hello, not X12\n").unwrap();
    let verdict = w.acme_sends_file(&serve, &hello);
    assert_eq!(verdict["status"], "processed", "{verdict}");
    wait_for(&serve, "the TA1 at ACME's AS2 server", || {
        received(&peer).iter().any(|x| x.contains("TA1*"))
    });
    let ta1 = received(&peer)
        .into_iter()
        .find(|x| x.contains("TA1*"))
        .unwrap();
    assert_isa_to(&ta1, "ZZ", "ACMEPHARMA", "00501");
    assert!(
        ta1.contains("TA1*000000000*") && ta1.contains("*R*"),
        "{ta1}"
    );
}

/// AS2 files are often tens of megabytes: `http.max_body`, not a framework default, decides.
#[test]
fn a_large_message_is_received_and_answered() {
    let w = World::new("sync");
    let serve = w.serve("");
    let big = w.dir().join("peer/big.x12");
    let line = b"N1*ST*RIVERSIDE COMMUNITY HOSPITAL*11*AR1234563~\r\n";
    let body: Vec<u8> = line.iter().copied().cycle().take(12 << 20).collect();
    std::fs::write(&big, body).unwrap();
    let verdict = w.acme_sends_file(&serve, &big);
    assert_eq!(verdict["status"], "processed", "{verdict}");
    assert_eq!(verdict["mic_ok"], true, "{verdict}");
}

/// A partner on both AS2 and SFTP gets each acknowledgment on the channel its file came in by.
#[test]
fn acknowledgments_follow_the_channel_the_file_came_in_by() {
    let w = World::with_channels("sync", true);
    let peer = w.peer(&[]);
    let serve = w.serve("");
    let verdict = w.acme_sends(&serve, "845_4010_contract.x12");
    assert_eq!(verdict["status"], "processed", "{verdict}");
    wait_for(&serve, "the AS2 file's acknowledgment over AS2", || {
        received(&peer).iter().any(|x| is_ack(x))
    });
    drop_file(&serve, "acmepharma", "845_5010_contract_change.x12");
    wait_for(
        &serve,
        "the dropped file's acknowledgment in the outbox",
        || !files(&serve.drop_dir("acmepharma", "outbox")).is_empty(),
    );
    assert_eq!(files(&serve.drop_dir("acmepharma", "outbox")).len(), 1);
    assert_eq!(
        received(&peer).iter().filter(|x| is_ack(x)).count(),
        1,
        "the dropped file's acknowledgment went over AS2 too"
    );
}

/// A partner that sends a message again because it lost our MDN gets the same answer, and
/// the file is processed once.
#[test]
fn a_message_id_sent_again_with_the_same_content_is_answered_again_and_processed_once() {
    let w = World::new("sync");
    let peer = w.peer(&[]);
    let serve = w.serve("");
    let contract = repo().join("samples/845_4010_contract.x12");
    let first = w.acme_sends_with(&serve, &contract, &["--message-id", "t1"]);
    assert_eq!(first["status"], "processed", "{first}");
    assert_eq!(first["mic_ok"], true, "{first}");
    wait_for(&serve, "the acknowledgment at ACME's AS2 server", || {
        acks(&peer) == 1
    });
    let again = w.acme_sends_with(&serve, &contract, &["--message-id", "t1"]);
    assert_eq!(again["message_id"], first["message_id"]);
    assert_eq!(again["status"], "processed", "{again}");
    assert_eq!(again["mic_ok"], true, "{again}");
    assert!(
        serve
            .log()
            .contains("received before with the same content; answering again, not processing"),
        "{}",
        serve.log()
    );
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(
        inbound_files(&serve).len(),
        1,
        "{:?}",
        inbound_files(&serve)
    );
    assert_eq!(acks(&peer), 1, "the file was not processed twice");
}

/// A Message-ID names one message: another file under a used one is not acknowledged as
/// processed (pyas2lib's DuplicateDocument), but kept on a failed receipt ops can replay.
#[test]
fn a_message_id_reused_with_other_content_is_refused_kept_and_replayable() {
    let w = World::new("sync");
    let peer = w.peer(&[]);
    let serve = w.serve("");
    let contract = repo().join("samples/845_4010_contract.x12");
    let change = repo().join("samples/845_5010_contract_change.x12");
    let first = w.acme_sends_with(&serve, &contract, &["--message-id", "t1"]);
    assert_eq!(first["status"], "processed", "{first}");
    wait_for(&serve, "the acknowledgment at ACME's AS2 server", || {
        acks(&peer) == 1
    });

    let reused = w.acme_sends_with(&serve, &change, &["--message-id", "t1"]);
    assert_eq!(reused["message_id"], first["message_id"]);
    assert_eq!(reused["status"], "processed/error", "{reused}");
    assert_eq!(reused["detailed_status"], "duplicate-document", "{reused}");
    assert!(reused["mdn_mic"].is_null(), "nothing certified: {reused}");
    assert_eq!(reused["mdn_signed"], true, "{reused}");

    // Kept: a failed receipt of its own, with the Message-ID, the reason and the raw copy.
    let files = inbound_files(&serve);
    assert_eq!(files.len(), 2, "{files:?}");
    let kept = &files[0];
    assert_eq!(kept["state"], "failed", "{kept}");
    let error = kept["error"].as_str().unwrap();
    assert!(
        error.contains("received before with other content")
            && error.contains("duplicate-document"),
        "{error}"
    );
    let message_id = first["message_id"].as_str().unwrap();
    assert!(
        kept["refs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "as2_message" && r["value"] == message_id),
        "{kept}"
    );
    let sha = kept["raw_sha256"].as_str().unwrap();
    let raw = std::fs::read(
        w.dir()
            .join("data/raw")
            .join(&sha[..2])
            .join(&sha[2..4])
            .join(sha),
    )
    .unwrap();
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.contains("|00501|"), "the changed file is kept: {raw}");
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(acks(&peer), 1, "the reused message was not processed");
    serve.assert_metric("chargegate_as2_message_id_reused_total 1");

    // The first content again under its id is still a resend: answered, nothing new.
    let again = w.acme_sends_with(&serve, &contract, &["--message-id", "t1"]);
    assert_eq!(again["status"], "processed", "{again}");
    assert_eq!(again["mic_ok"], true, "{again}");
    assert_eq!(inbound_files(&serve).len(), 2);

    // Ops decide to take it: replaying the kept receipt processes it.
    let id = kept["id"].as_str().unwrap();
    let (status, body) = http(
        serve.port,
        "POST",
        &format!("/api/v1/transactions/{id}/replay"),
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    wait_for(&serve, "the kept file's acknowledgment", || {
        acks(&peer) == 2
    });
}

/// Compressed messages in both orders go through the gateway; one that inflates past
/// `http.max_body` gets a negative MDN and leaves nothing behind.
#[test]
fn compressed_messages_are_processed_and_a_decompression_bomb_is_refused() {
    let w = World::new("sync");
    let peer = w.peer(&[]);
    let serve = w.serve_with_http("max_body = 2097152");
    let contract = repo().join("samples/845_4010_contract.x12");
    let verdict = w.acme_sends_with(&serve, &contract, &["--compress", "before-sign"]);
    assert_eq!(verdict["status"], "processed", "{verdict}");
    assert_eq!(verdict["mic_ok"], true, "{verdict}");
    wait_for(&serve, "the compressed 845's acknowledgment", || {
        acks(&peer) == 1
    });
    let change = repo().join("samples/845_5010_contract_change.x12");
    let verdict = w.acme_sends_with(&serve, &change, &["--compress", "after-sign"]);
    assert_eq!(verdict["status"], "processed", "{verdict}");
    assert_eq!(verdict["mic_ok"], true, "{verdict}");
    wait_for(
        &serve,
        "the signed-then-compressed 845's acknowledgment",
        || acks(&peer) == 2,
    );
    assert!(
        received(&peer)
            .iter()
            .filter(|x| is_ack(x))
            .all(|x| !x.contains("AK5*R")),
        "both accepted"
    );

    // 8 MiB that compresses to a few KB: the POST is small, what it inflates to is not.
    let bomb = w.dir().join("peer/bomb.x12");
    std::fs::write(&bomb, vec![b'~'; 8 << 20]).unwrap();
    let verdict = w.acme_sends_with(&serve, &bomb, &["--compress", "before-sign"]);
    assert_eq!(verdict["status"], "processed/error", "{verdict}");
    assert_eq!(
        verdict["detailed_status"], "decompression-failed",
        "{verdict}"
    );
    assert!(verdict["mdn_mic"].is_null(), "{verdict}");
    assert!(
        serve.log().contains("expands past 2097152 bytes"),
        "{}",
        serve.log()
    );
    assert_eq!(inbound_files(&serve).len(), 2, "nothing kept of the bomb");
    serve.assert_metric("chargegate_as2_refused_total 1");
}

/// The partner fixes a reused Message-ID by sending the file again under a new one: it is
/// taken, once, through the receipt kept when it was refused.
#[test]
fn a_refused_reused_message_sent_again_under_a_new_message_id_is_processed_once() {
    let w = World::new("sync");
    let peer = w.peer(&[]);
    let serve = w.serve("");
    let contract = repo().join("samples/845_4010_contract.x12");
    let change = repo().join("samples/845_5010_contract_change.x12");
    let first = w.acme_sends_with(&serve, &contract, &["--message-id", "t1"]);
    assert_eq!(first["status"], "processed", "{first}");
    let reused = w.acme_sends_with(&serve, &change, &["--message-id", "t1"]);
    assert_eq!(reused["detailed_status"], "duplicate-document", "{reused}");
    wait_for(&serve, "the first file's acknowledgment", || {
        acks(&peer) == 1
    });

    let fixed = w.acme_sends_with(&serve, &change, &["--message-id", "t2"]);
    assert_eq!(fixed["status"], "processed", "{fixed}");
    assert_eq!(fixed["mic_ok"], true, "{fixed}");
    wait_for(&serve, "the changed file's acknowledgment", || {
        acks(&peer) == 2
    });
    let files = inbound_files(&serve);
    assert_eq!(files.len(), 2, "{files:?}");
    // The kept receipt that ran is found by both Message-IDs.
    let t1 = first["message_id"].as_str().unwrap();
    let t2 = fixed["message_id"].as_str().unwrap();
    let as2_refs = |t: &serde_json::Value| -> Vec<String> {
        let mut refs: Vec<String> = t["refs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == "as2_message")
            .map(|r| r["value"].as_str().unwrap().to_owned())
            .collect();
        refs.sort();
        refs
    };
    assert_eq!(as2_refs(&files[0]), [t1, t2], "{}", files[0]);
    assert_eq!(as2_refs(&files[1]), [t1], "{}", files[1]);
    wait_for(&serve, "both files done", || {
        inbound_files(&serve).iter().all(|f| f["state"] == "done")
    });
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(acks(&peer), 2, "processed once");
}
