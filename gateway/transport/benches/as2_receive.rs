//! Receiving a 50 MB signed and encrypted AS2 message (decrypt, verify, store the payload to a
//! file, build the signed MDN) against a same-run baseline: raw OpenSSL AES-256-CBC decryption
//! plus SHA-256 of the same 50 MB.
//!
//! Run: `cargo bench -p transport --bench as2_receive`
#![allow(clippy::unwrap_used, missing_docs)]

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use openssl::hash::{Hasher, MessageDigest};
mod as2_payload;

use as2_payload::payload;
use openssl::symm::{Cipher, Crypter, Mode, encrypt};
use transport::as2::{
    EncryptionAlg, LocalIdentity, MdnMode, MdnOutcome, MicAlg, PartnerAs2, PartnerCert, build_mdn,
    build_message, receive_owned, receive_to,
};

const SIZE: usize = 50 * 1024 * 1024;

struct Fixture {
    _dir: tempfile::TempDir,
    out_path: std::path::PathBuf,
    us: LocalIdentity,
    partner: PartnerAs2,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    plain: Vec<u8>,
    key: [u8; 32],
    iv: [u8; 16],
    ciphertext: Vec<u8>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let us = LocalIdentity::generate("chargegate", &p.join("us.key"), &p.join("us.pem")).unwrap();
    let them =
        LocalIdentity::generate("partner", &p.join("them.key"), &p.join("them.pem")).unwrap();
    let to_us = PartnerAs2 {
        as2_id: "chargegate".into(),
        url: "http://127.0.0.1:1/as2".into(),
        certificates: vec![PartnerCert::from_pem_file(&p.join("us.pem")).unwrap()],
        encrypt: Some(EncryptionAlg::Aes256Cbc),
        sign: Some(MicAlg::Sha256),
        mdn: MdnMode::Sync,
        signed_mdn: true,
    };
    let partner = PartnerAs2 {
        as2_id: "partner".into(),
        certificates: vec![PartnerCert::from_pem_file(&p.join("them.pem")).unwrap()],
        ..to_us.clone()
    };
    let plain = payload(SIZE, 0);
    let (msg, _) = build_message(&them, &to_us, &plain, "big.x12", "<bench@partner>").unwrap();
    let key = [7u8; 32];
    let iv = [9u8; 16];
    let ciphertext = encrypt(Cipher::aes_256_cbc(), &key, Some(&iv), &plain).unwrap();
    Fixture {
        out_path: dir.path().join("payload.out"),
        _dir: dir,
        us,
        partner,
        headers: msg.headers,
        body: msg.body,
        plain,
        key,
        iv,
        ciphertext,
    }
}

fn baseline(f: &Fixture, out: &mut Vec<u8>) -> Vec<u8> {
    let cipher = Cipher::aes_256_cbc();
    let mut crypter = Crypter::new(cipher, Mode::Decrypt, &f.key, Some(&f.iv)).unwrap();
    out.resize(f.ciphertext.len() + cipher.block_size(), 0);
    let mut n = crypter.update(&f.ciphertext, out).unwrap();
    n += crypter.finalize(&mut out[n..]).unwrap();
    out.truncate(n);
    let mut hasher = Hasher::new(MessageDigest::sha256()).unwrap();
    hasher.update(out).unwrap();
    hasher.finish().unwrap().to_vec()
}

fn receive_once(f: &Fixture) -> usize {
    let mut file = BufWriter::with_capacity(1 << 20, File::create(&f.out_path).unwrap());
    let got = receive_to(
        &f.headers,
        f.body.as_slice(),
        &f.us,
        &|_| Some(f.partner.clone()),
        usize::MAX,
        &mut file,
    )
    .unwrap();
    drop(file);
    let request = got.mdn_request.clone().unwrap();
    let mdn = build_mdn(
        &f.us,
        &got.partner_as2_id,
        &got.message_id,
        MdnOutcome::Processed { mic: Some(got.mic) },
        request.signed_micalg,
    )
    .unwrap();
    assert_eq!(got.payload_len as usize, SIZE);
    mdn.body.len()
}

fn receive_owned_once(f: &Fixture, body: Vec<u8>) -> usize {
    let got = receive_owned(
        &f.headers,
        body,
        &f.us,
        &|_| Some(f.partner.clone()),
        usize::MAX,
    )
    .unwrap();
    let mut file = BufWriter::with_capacity(1 << 20, File::create(&f.out_path).unwrap());
    file.write_all(&got.payload).unwrap();
    drop(file);
    let request = got.mdn_request.clone().unwrap();
    let mdn = build_mdn(
        &f.us,
        &got.partner_as2_id,
        &got.message_id,
        MdnOutcome::Processed { mic: Some(got.mic) },
        request.signed_micalg,
    )
    .unwrap();
    assert_eq!(got.payload.len(), SIZE);
    mdn.body.len()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let mut scratch = Vec::with_capacity(SIZE + 32);
    assert_eq!(baseline(&f, &mut scratch).len(), 32);
    assert_eq!(scratch, f.plain);

    let mut group = c.benchmark_group("as2_receive_50mb");
    group.throughput(Throughput::Bytes(SIZE as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("baseline_openssl_aes256cbc_sha256", |b| {
        b.iter(|| black_box(baseline(&f, &mut scratch)))
    });
    group.bench_function("receive_signed_encrypted_to_file_with_signed_mdn", |b| {
        b.iter(|| black_box(receive_once(&f)))
    });
    group.bench_function("receive_owned_in_place_to_file_with_signed_mdn", |b| {
        b.iter_batched(
            || f.body.clone(),
            |body| black_box(receive_owned_once(&f, body)),
            BatchSize::LargeInput,
        )
    });
    group.finish();

    // The ratio criterion does not print: medians of the same two operations, measured here.
    let (mut base, mut recv) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        let t = Instant::now();
        black_box(baseline(&f, &mut scratch));
        base.push(t.elapsed());
        let t = Instant::now();
        black_box(receive_once(&f));
        recv.push(t.elapsed());
    }
    let (base, recv) = (median(base), median(recv));
    let mbps = |d: Duration| SIZE as f64 / 1e6 / d.as_secs_f64();
    println!(
        "as2_receive summary: message {} bytes; baseline median {:.1} ms ({:.0} MB/s); receive median {:.1} ms ({:.0} MB/s); receive/baseline time ratio {:.2}",
        f.body.len(),
        base.as_secs_f64() * 1e3,
        mbps(base),
        recv.as_secs_f64() * 1e3,
        mbps(recv),
        recv.as_secs_f64() / base.as_secs_f64()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
