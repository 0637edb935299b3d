//! Interop with pyas2lib 1.4.4 (an independent AS2 implementation) over real HTTP on loopback,
//! in both directions. The peer runs from the virtualenv `scripts/pyas2lib-venv.sh` creates.
#![allow(clippy::unwrap_used)]

mod as2_support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use as2_support::{
    Side, partner_of, payload, peer_args, peer_script, peer_send_file, python, serve, side,
};
use transport::as2::{
    EncryptionAlg, FailureModifier, LocalIdentity, MdnOutcome, MdnVerdict, MicAlg, PartnerAs2,
    ReceiveFailure, Received, SendOutcome, Sender, build_mdn, build_message, new_message_id,
    receive,
};

struct World {
    dir: tempfile::TempDir,
    us: Side,
    them: Side,
}

fn world() -> Arc<World> {
    let dir = tempfile::tempdir().unwrap();
    let us = side(dir.path(), "chargegate");
    let them = side(dir.path(), "pyas2 peer");
    Arc::new(World { dir, us, them })
}

type Log = Arc<Mutex<Vec<Result<Received, ReceiveFailure>>>>;

/// The most a compressed-data layer may expand to, as the server's default `http.max_body`.
const MAX_CONTENT: usize = 256 << 20;

/// Our AS2 endpoint as the server will run it: receive, answer with an MDN (sync in the
/// response, or async posted to the URL the sender asked for), record every outcome.
fn our_endpoint(w: &Arc<World>, partner: PartnerAs2, count: usize) -> (String, Log) {
    our_endpoint_limited(w, partner, count, MAX_CONTENT)
}

/// [`our_endpoint`] with compressed content bounded to `max_content` bytes.
fn our_endpoint_limited(
    w: &Arc<World>,
    partner: PartnerAs2,
    count: usize,
    max_content: usize,
) -> (String, Log) {
    let log: Log = Arc::default();
    let (w, record) = (Arc::clone(w), Arc::clone(&log));
    let url = serve(count, move |(headers, body)| {
        let result = receive(
            &headers,
            &body,
            &w.us.identity,
            &|name| (name == partner.as2_id).then(|| partner.clone()),
            max_content,
        );
        let (to, id, outcome, request) = match &result {
            Ok(r) => (
                r.partner_as2_id.clone(),
                r.message_id.clone(),
                MdnOutcome::Processed {
                    mic: Some(r.mic.clone()),
                },
                r.mdn_request.clone(),
            ),
            Err(f) => (
                f.partner_as2_id.clone().unwrap_or_default(),
                f.message_id.clone().unwrap_or_default(),
                MdnOutcome::Failed {
                    modifier: f.modifier,
                    text: f.text.clone(),
                },
                f.mdn_request.clone(),
            ),
        };
        record.lock().unwrap().push(result);
        let Some(request) = request else {
            return (200, vec![], vec![]);
        };
        let mdn = build_mdn(&w.us.identity, &to, &id, outcome, request.signed_micalg).unwrap();
        match request.async_url {
            None => (200, mdn.headers, mdn.body),
            Some(url) => {
                let me = LocalIdentity::from_pem_files(&w.us.id, &w.us.key, &w.us.cert).unwrap();
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    let sender = Sender::new(Arc::new(me), Duration::from_secs(30)).unwrap();
                    rt.block_on(sender.send_mdn(&url, &mdn)).unwrap();
                });
                (200, vec![], vec![])
            }
        }
    });
    (format!("{url}/as2"), log)
}

/// Runs the peer in send mode and returns its JSON verdict.
fn peer_send(w: &World, peer: &Side, url: &str, data: &[u8], extra: &[&str]) -> serde_json::Value {
    let file = w.dir.path().join(format!("{}.x12", uuid_like()));
    std::fs::write(&file, data).unwrap();
    peer_send_file(peer, &w.us, url, &file, extra)
}

fn uuid_like() -> String {
    new_message_id("x")
        .trim_matches(['<', '>'])
        .replace('@', "_")
}

fn partner_them(w: &World) -> PartnerAs2 {
    partner_of(&w.them, "http://unused")
}

#[test]
fn pyas2lib_sends_signed_aes256_we_answer_signed_mdn_it_verifies() {
    let w = world();
    let (url, log) = our_endpoint(&w, partner_them(&w), 1);
    let data = payload(200_000);
    let verdict = peer_send(
        &w,
        &w.them,
        &url,
        &data,
        &["--enc-alg", "aes_256_cbc", "--sign", "sha256"],
    );
    assert_eq!(verdict["status"], "processed", "{verdict}");
    assert_eq!(verdict["mic_ok"], true, "{verdict}");
    assert_eq!(verdict["mdn_signed"], true, "{verdict}");
    assert!(verdict["detailed_status"].is_null(), "{verdict}");
    let got = log.lock().unwrap().pop().unwrap().unwrap();
    assert_eq!(got.payload, data);
    assert!(got.signed);
    assert_eq!(got.encryption, Some(EncryptionAlg::Aes256Cbc));
    assert_eq!(got.content_type, "application/edi-x12");
    assert_eq!(got.mic.base64(), verdict["expected_mic"].as_str().unwrap());
}

#[test]
fn pyas2lib_sends_3des_and_sha1() {
    let w = world();
    let mut partner = partner_them(&w);
    partner.sign = Some(MicAlg::Sha1);
    let (url, log) = our_endpoint(&w, partner, 1);
    let verdict = peer_send(
        &w,
        &w.them,
        &url,
        b"ISA*3des~",
        &[
            "--enc-alg",
            "tripledes_192_cbc",
            "--sign",
            "sha1",
            "--mdn-signed",
            "sha1",
        ],
    );
    assert_eq!(verdict["status"], "processed", "{verdict}");
    assert_eq!(verdict["mic_ok"], true, "{verdict}");
    let got = log.lock().unwrap().pop().unwrap().unwrap();
    assert_eq!(got.encryption, Some(EncryptionAlg::TripleDes));
    assert_eq!(got.mic.alg, MicAlg::Sha1);
    assert_eq!(got.payload, b"ISA*3des~");
}

#[test]
fn pyas2lib_sends_unsigned_and_unencrypted_variants() {
    let w = world();
    let mut partner = partner_them(&w);
    partner.sign = None;
    partner.encrypt = None;
    let (url, log) = our_endpoint(&w, partner, 3);
    for (enc, sign) in [
        ("none", "none"),
        ("aes_128_cbc", "none"),
        ("none", "sha256"),
    ] {
        let data = format!("ISA*{enc}*{sign}~").into_bytes();
        let verdict = peer_send(
            &w,
            &w.them,
            &url,
            &data,
            &["--enc-alg", enc, "--sign", sign],
        );
        assert_eq!(verdict["status"], "processed", "{enc}/{sign}: {verdict}");
        let got = log.lock().unwrap().pop().unwrap().unwrap();
        assert_eq!(got.payload, data);
        assert_eq!(got.encrypted(), enc != "none");
        assert_eq!(got.signed, sign != "none");
        if sign != "none" {
            assert_eq!(verdict["mic_ok"], true, "{verdict}");
        }
    }
}

#[test]
fn wrong_certificates_give_negative_mdns_pyas2lib_reads() {
    let w = world();
    let (url, log) = our_endpoint(&w, partner_them(&w), 2);
    // Encrypted to a certificate that is not ours.
    let stranger = side(w.dir.path(), "stranger");
    let verdict = peer_send(
        &w,
        &w.them,
        &url,
        b"x",
        &[
            "--partner-encrypt-cert",
            &stranger.cert.display().to_string(),
        ],
    );
    assert_eq!(verdict["status"], "processed/error", "{verdict}");
    assert_eq!(verdict["detailed_status"], "decryption-failed", "{verdict}");
    let failure = log.lock().unwrap().pop().unwrap().unwrap_err();
    assert_eq!(failure.modifier, FailureModifier::DecryptionFailed);
    assert!(failure.message_id.is_some());

    // Signed with a key whose certificate we do not have for this partner.
    let impostor = side(w.dir.path(), "pyas2 peer impostor");
    let impostor = Side {
        id: w.them.id.clone(),
        ..impostor
    };
    let verdict = peer_send(&w, &impostor, &url, b"x", &[]);
    assert_eq!(verdict["status"], "processed/error", "{verdict}");
    assert_eq!(
        verdict["detailed_status"], "authentication-failed",
        "{verdict}"
    );
    let failure = log.lock().unwrap().pop().unwrap().unwrap_err();
    assert_eq!(failure.modifier, FailureModifier::AuthenticationFailed);
}

#[test]
fn pyas2lib_resend_with_same_message_id_is_detectable() {
    let w = world();
    let (url, log) = our_endpoint(&w, partner_them(&w), 2);
    for _ in 0..2 {
        let verdict = peer_send(
            &w,
            &w.them,
            &url,
            b"ISA*dup~",
            &["--message-id", "resend-1"],
        );
        assert_eq!(verdict["status"], "processed", "{verdict}");
    }
    let log = log.lock().unwrap();
    let keys: Vec<(String, String)> = log
        .iter()
        .map(|r| {
            let r = r.as_ref().unwrap();
            (r.partner_as2_id.clone(), r.message_id.clone())
        })
        .collect();
    assert_eq!(keys[0], keys[1]);
    assert!(keys[0].1.starts_with("resend-1@"));
}

#[test]
fn pyas2lib_sends_compressed_signed_encrypted_and_verifies_our_mic() {
    let w = world();
    let (url, log) = our_endpoint(&w, partner_them(&w), 1);
    let data = payload(300_000);
    let verdict = peer_send(
        &w,
        &w.them,
        &url,
        &data,
        &["--compress", "before-sign", "--enc-alg", "aes_256_cbc"],
    );
    // pyas2lib compresses, then signs: the MIC it expects is the compressed entity's.
    assert_eq!(verdict["status"], "processed", "{verdict}");
    assert_eq!(verdict["mic_ok"], true, "{verdict}");
    let got = log.lock().unwrap().pop().unwrap().unwrap();
    assert_eq!(got.payload, data);
    assert!(got.compressed && got.signed && got.encrypted());
    assert_eq!(got.content_type, "application/edi-x12");
}

#[test]
fn pyas2lib_sends_compressed_without_encryption() {
    let w = world();
    let mut partner = partner_them(&w);
    partner.encrypt = None;
    partner.sign = None;
    let (url, log) = our_endpoint(&w, partner, 2);
    for sign in ["sha256", "none"] {
        let data = format!("ISA*compressed*{sign}~").repeat(5_000).into_bytes();
        let verdict = peer_send(
            &w,
            &w.them,
            &url,
            &data,
            &[
                "--compress",
                "before-sign",
                "--enc-alg",
                "none",
                "--sign",
                sign,
            ],
        );
        assert_eq!(verdict["status"], "processed", "{sign}: {verdict}");
        if sign != "none" {
            assert_eq!(verdict["mic_ok"], true, "{verdict}");
        }
        let got = log.lock().unwrap().pop().unwrap().unwrap();
        assert_eq!(got.payload, data, "{sign}");
        assert!(got.compressed && !got.encrypted());
        assert_eq!(got.signed, sign != "none");
    }
}

#[test]
fn pyas2lib_signs_then_compresses_and_verifies_our_mic() {
    let w = world();
    let mut partner = partner_them(&w);
    partner.encrypt = None;
    let (url, log) = our_endpoint(&w, partner, 2);
    for enc in ["aes_256_cbc", "none"] {
        let data = payload(120_000);
        let verdict = peer_send(
            &w,
            &w.them,
            &url,
            &data,
            &["--compress", "after-sign", "--enc-alg", enc],
        );
        // Signed first: the MIC is the payload entity's, inside the compression.
        assert_eq!(verdict["status"], "processed", "{enc}: {verdict}");
        assert_eq!(verdict["mic_ok"], true, "{enc}: {verdict}");
        let got = log.lock().unwrap().pop().unwrap().unwrap();
        assert_eq!(got.payload, data, "{enc}");
        assert!(got.compressed && got.signed);
        assert_eq!(got.encrypted(), enc != "none");
    }
}

#[test]
fn a_decompression_bomb_from_pyas2lib_gets_a_decompression_failed_mdn() {
    let w = world();
    // 16 MiB that compresses to a few KB, against a 1 MiB limit.
    let (url, log) = our_endpoint_limited(&w, partner_them(&w), 2, 1 << 20);
    let bomb = vec![b'~'; 16 << 20];
    for order in ["before-sign", "after-sign"] {
        let verdict = peer_send(&w, &w.them, &url, &bomb, &["--compress", order]);
        assert_eq!(verdict["status"], "processed/error", "{order}: {verdict}");
        assert_eq!(
            verdict["detailed_status"], "decompression-failed",
            "{order}: {verdict}"
        );
        assert!(verdict["mdn_mic"].is_null(), "no MIC for what was refused");
        let failure = log.lock().unwrap().pop().unwrap().unwrap_err();
        assert_eq!(failure.modifier, FailureModifier::DecompressionFailed);
        assert!(failure.text.contains("1048576 bytes"), "{}", failure.text);
    }
}

#[test]
fn pyas2lib_asks_for_async_mdn_we_post_it_and_it_verifies() {
    let w = world();
    let (url, log) = our_endpoint(&w, partner_them(&w), 1);
    let verdict = peer_send(&w, &w.them, &url, b"ISA*async~", &["--mdn", "async"]);
    assert_eq!(verdict["status"], "processed", "{verdict}");
    assert_eq!(verdict["mic_ok"], true, "{verdict}");
    let got = log.lock().unwrap().pop().unwrap().unwrap();
    let async_url = got.mdn_request.unwrap().async_url.unwrap();
    assert!(async_url.starts_with("http://127.0.0.1:"), "{async_url}");
}

/// The peer in serve mode, killed when dropped.
struct Peer {
    child: Child,
    url: String,
    out_dir: std::path::PathBuf,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn peer_serving(w: &World) -> Peer {
    let out_dir = w.dir.path().join("peer-inbox");
    let mut child = Command::new(python())
        .arg(peer_script())
        .arg("serve")
        .args(peer_args(&w.them, &w.us))
        .arg("--out-dir")
        .arg(&out_dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("LISTENING ")
        .unwrap_or_else(|| panic!("peer did not start: {line:?}"));
    Peer {
        child,
        url: format!("http://127.0.0.1:{port}/as2"),
        out_dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_send_signed_aes256_pyas2lib_receives_and_its_mdn_verifies() {
    let w = world();
    let peer = peer_serving(&w);
    let partner = partner_of(&w.them, &peer.url);
    let sender = Sender::new(
        Arc::new(LocalIdentity::from_pem_files(&w.us.id, &w.us.key, &w.us.cert).unwrap()),
        Duration::from_secs(60),
    )
    .unwrap();
    for (enc, sign) in [
        (Some(EncryptionAlg::Aes256Cbc), Some(MicAlg::Sha256)),
        (Some(EncryptionAlg::TripleDes), Some(MicAlg::Sha512)),
    ] {
        let mut partner = partner.clone();
        partner.encrypt = enc;
        partner.sign = sign;
        let data = payload(150_000);
        let id = new_message_id("chargegate.test");
        let (msg, mic) = build_message(&w.us.identity, &partner, &data, "claims.x12", &id).unwrap();
        let outcome = sender.send(&partner, &msg, &mic, &id).await.unwrap();
        assert_eq!(
            outcome,
            SendOutcome::SyncMdn(MdnVerdict::Processed),
            "{enc:?}/{sign:?}"
        );
        let name: String = id
            .trim_matches(['<', '>'])
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        assert_eq!(std::fs::read(peer.out_dir.join(&name)).unwrap(), data);
        let info: serde_json::Value = serde_json::from_slice(
            &std::fs::read(peer.out_dir.join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(info["signed"], true);
        assert_eq!(info["encrypted"], true);
        assert_eq!(info["mic"], mic.base64());
    }
}
