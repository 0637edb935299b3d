//! AS2 receive through the running gateway: a 50 MiB signed and encrypted message POSTed to
//! `/as2` until its signed synchronous MDN is back and verified (HTTP, decrypt, verify, raw
//! copy stored, inbound-file and transaction rows, MDN signed) — what a partner waits for.
//! Baseline in the same run: `transport::as2::receive_owned` of the same message in memory
//! (decrypt and verify only; no HTTP, no store), and raw AES-256-CBC + SHA-256 over the bytes.
//!
//! ```text
//! cargo bench -p server --bench as2_post
//! ```
//!
//! Each iteration sends a new message (own Message-ID, payload differing in its first bytes,
//! so nothing is a duplicate); building it is outside the timed part. The payload is not X12,
//! so the gateway's processing after the MDN stops at the first bytes.

#[path = "../../transport/benches/as2_payload/mod.rs"]
mod as2_payload;
mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use as2_payload::payload;
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use support::{Setup, repo};
use tokio::runtime::Runtime;
use transport::as2::{
    EncryptionAlg, LocalIdentity, MdnMode, MicAlg, PartnerAs2, PartnerCert, SendOutcome, Sender,
    build_message, receive_owned,
};

const SIZE: usize = 50 * 1024 * 1024;
const PARTNER: &str = "ACMEAS2";
const US: &str = "CHARGEGATE";

/// ACME's profile from the repository with its `[as2]` naming the bench's partner key.
fn profiles(dir: &Path, partner_cert: &Path) -> std::path::PathBuf {
    let profiles = dir.join("profiles");
    std::fs::create_dir_all(&profiles).expect("profiles dir");
    let text = std::fs::read_to_string(repo().join("partner-maps/profiles/acmepharma.toml"))
        .expect("acmepharma profile");
    let start = text.find("[as2]").expect("[as2]");
    let end = text.find("[dialect]").expect("[dialect]");
    let as2 = format!(
        "[as2]\nid = \"{PARTNER}\"\nurl = \"http://127.0.0.1:1/as2\"\nmdn = \"sync\"\nencrypt = \"aes256-cbc\"\nsign = \"sha256\"\ncertificates = [\"{}\"]\n\n",
        partner_cert.display()
    );
    std::fs::write(
        profiles.join("acmepharma.toml"),
        format!("{}{as2}{}", &text[..start], &text[end..]),
    )
    .expect("profile");
    profiles
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let keys = tempfile::tempdir().expect("keys dir");
    let k = keys.path();
    let partner =
        LocalIdentity::generate(PARTNER, &k.join("p.key"), &k.join("p.pem")).expect("key");
    let gateway_key = (k.join("key.pem"), k.join("cert.pem"));
    let us = LocalIdentity::generate(US, &gateway_key.0, &gateway_key.1).expect("key");
    let profiles = profiles(k, &k.join("p.pem"));
    let (key, cert) = gateway_key.clone();
    let running = support::start(
        &rt,
        Setup {
            profiles: Some(profiles),
            prepare: Box::new(move |dir| {
                std::fs::copy(&key, dir.join("key.pem")).expect("key");
                std::fs::copy(&cert, dir.join("cert.pem")).expect("cert");
            }),
            ..Setup::default()
        },
    );
    let to_gateway = PartnerAs2 {
        as2_id: US.into(),
        url: format!("http://{}/as2", running.addr),
        certificates: vec![PartnerCert::from_pem_file(&gateway_key.1).expect("cert")],
        encrypt: Some(EncryptionAlg::Aes256Cbc),
        sign: Some(MicAlg::Sha256),
        mdn: MdnMode::Sync,
        signed_mdn: true,
    };
    let as_partner = PartnerAs2 {
        as2_id: PARTNER.into(),
        certificates: vec![PartnerCert::from_pem_file(&k.join("p.pem")).expect("cert")],
        ..to_gateway.clone()
    };
    let partner = Arc::new(partner);
    let sender = Sender::new(partner.clone(), Duration::from_secs(120)).expect("sender");

    let mut group = c.benchmark_group("as2_post_50MiB");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Bytes(SIZE as u64));

    let (fixed, _) = build_message(
        &partner,
        &to_gateway,
        &payload(SIZE, 0),
        "big.x12",
        "<fixed@bench>",
    )
    .expect("message");
    group.bench_function("baseline_receive_owned_in_memory", |b| {
        b.iter_batched(
            || fixed.body.clone(),
            |body| {
                let r = receive_owned(
                    &fixed.headers,
                    body,
                    &us,
                    &|name: &str| (name == PARTNER).then(|| as_partner.clone()),
                    usize::MAX,
                )
                .expect("received");
                assert_eq!(r.payload_len, SIZE as u64);
            },
            criterion::BatchSize::LargeInput,
        )
    });

    let mut n = 1u64;
    group.bench_function("gateway_post_to_verified_mdn", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let id = format!("<bench-{n}-{}@bench>", std::process::id());
                let (msg, mic) =
                    build_message(&partner, &to_gateway, &payload(SIZE, n), "big.x12", &id)
                        .expect("message");
                let started = Instant::now();
                let outcome = rt
                    .block_on(sender.send(&to_gateway, &msg, &mic, &id))
                    .expect("sent");
                total += started.elapsed();
                match outcome {
                    SendOutcome::SyncMdn(verdict) => assert!(verdict.is_ok(), "{verdict:?}"),
                    other => panic!("no synchronous MDN: {other:?}"),
                }
            }
            total
        })
    });
    group.finish();
    running.stop(&rt);
}

criterion_group!(benches, bench);
criterion_main!(benches);
