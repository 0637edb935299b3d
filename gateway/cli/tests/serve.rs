//! Black-box test of `chargegate serve` on embedded defaults (SQLite, in-process bus, local
//! drop folders): the sample story through the running binary, as a partner and an analyst
//! see it — files in, acknowledgments and the 844 claim out, a broken file rejected with
//! a located error, the API answering.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Serve {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(dir: &Path) -> Serve {
    let port = free_port();
    let config = format!(
        "[http]\nlisten = \"127.0.0.1:{port}\"\n[paths]\ndata = \"{d}/data\"\ndrop_root = \"{d}/data/drop\"\nprofiles = \"{p}\"\n[database]\nurl = \"sqlite://{d}/data/chargegate.db\"\n[identity]\nkey = \"{d}/certs/key.pem\"\ncertificate = \"{d}/certs/cert.pem\"\n[workers]\nsettle_ms = 200\nscan_ms = 100\nretry_ms = 100\n",
        d = dir.display(),
        p = repo().join("partner-maps/profiles").display()
    );
    std::fs::write(dir.join("chargegate.toml"), config).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_chargegate"))
        .args(["serve", "--config"])
        .arg(dir.join("chargegate.toml"))
        .env("CHARGEGATE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("serve.log")).unwrap())
        .spawn()
        .unwrap();
    let serve = Serve {
        child,
        port,
        dir: dir.to_path_buf(),
    };
    wait_for(&serve, "healthz", || {
        get(port, "/healthz")
            .map(|(s, _)| s == 200)
            .unwrap_or(false)
    });
    serve
}

fn wait_for(serve: &Serve, what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(serve.dir.join("serve.log")).unwrap_or_default();
    panic!("timed out waiting for {what}; serve log:\n{log}");
}

fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, dechunk(&body)))
}

/// Joins a chunked HTTP/1.1 body.
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            return body.to_owned();
        };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    if out.is_empty() { body.to_owned() } else { out }
}

fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    http(port, "GET", path, None)
}

/// Drops a sample the way a careful partner does: `.part`, then rename.
fn drop_file(serve: &Serve, partner: &str, sample: &str) {
    let inbox = serve.dir.join("data/drop").join(partner).join("inbox");
    let part = inbox.join(format!("{sample}.part"));
    std::fs::copy(repo().join("samples").join(sample), &part).unwrap();
    std::fs::rename(&part, inbox.join(sample)).unwrap();
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn the_sample_story_goes_through_the_running_gateway() {
    let tmp = tempfile::tempdir().unwrap();
    let serve = start(tmp.path());
    let drops = tmp.path().join("data/drop");
    let (status, ready) = get(serve.port, "/readyz").unwrap();
    assert_eq!(status, 200, "{ready}");

    // ACME's contract: filed as processed, answered with its acknowledgment.
    drop_file(&serve, "acmepharma", "845_4010_contract.x12");
    wait_for(&serve, "the 845's acknowledgment", || {
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
    drop_file(&serve, "gooddrug", "867_4010_sales.x12");
    let batch_path = "/api/v1/batches/gooddrug%2FGDD-867-202611";
    wait_for(&serve, "the 867's batch", || {
        get(serve.port, batch_path)
            .map(|(s, _)| s == 200)
            .unwrap_or(false)
    });
    let batch = json(&get(serve.port, batch_path).unwrap().1);
    assert_eq!(batch["status"], "awaiting_review", "{batch}");
    assert_eq!(batch["lines"].as_array().unwrap().len(), 4);
    wait_for(&serve, "the 867's 997", || {
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
    wait_for(&serve, "the 844 claim in ACME's outbox", || {
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
    drop_file(&serve, "gooddrug", "bad_isa_len_se_count.x12");
    wait_for(&serve, "the broken file to be rejected", || {
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
    wait_for(&serve, "the duplicate to be filed", || {
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
