//! Our sender against our receiver: every layer combination, failures as negative MDN inputs,
//! canonicalization, duplicates, MDN verdicts and the async MDN post.
#![allow(clippy::unwrap_used)]

mod as2_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use as2_support::{partner_of, payload, serve, side};
use transport::as2::{
    EncryptionAlg, FailureModifier, MdnMode, MdnOutcome, MdnVerdict, MicAlg, PartnerAs2, Received,
    SendOutcome, Sender, build_mdn, build_message, new_message_id, parse_mdn, read_mdn_fields,
    receive, receive_to,
};

/// The most a compressed-data layer may expand to in these tests (none is compressed here).
const MAX: usize = 1 << 30;

struct World {
    _dir: tempfile::TempDir,
    us: as2_support::Side,
    them: as2_support::Side,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let us = side(dir.path(), "chargegate");
    let them = side(dir.path(), "ACME Stores");
    World {
        _dir: dir,
        us,
        them,
    }
}

/// Sends from `them` to `us` with the given settings and receives it.
fn round_trip(
    w: &World,
    encrypt: Option<EncryptionAlg>,
    sign: Option<MicAlg>,
    data: &[u8],
) -> Received {
    let mut to_us = partner_of(&w.us, "http://unused");
    to_us.encrypt = encrypt;
    to_us.sign = sign;
    let id = new_message_id("acme.example");
    let (msg, mic) = build_message(&w.them.identity, &to_us, data, "claims.x12", &id).unwrap();
    let mut from_them = partner_of(&w.them, "http://unused");
    from_them.encrypt = encrypt;
    from_them.sign = sign;
    let got = receive(
        &msg.headers,
        &msg.body,
        &w.us.identity,
        &|name| (name == "ACME Stores").then(|| from_them.clone()),
        MAX,
    )
    .unwrap();
    assert_eq!(got.payload, data);
    assert_eq!(
        got.mic, mic,
        "receiver's MIC equals the sender's expected MIC"
    );
    assert_eq!(format!("<{}>", got.message_id), id);
    // The owned variant (decrypt in place) must agree with the borrowed one.
    let owned = transport::as2::receive_owned(
        &msg.headers,
        msg.body.clone(),
        &w.us.identity,
        &|_| Some(from_them.clone()),
        MAX,
    )
    .unwrap();
    assert_eq!(owned.payload, got.payload);
    assert_eq!(owned.mic, got.mic);
    assert_eq!(owned.encryption, got.encryption);
    got
}

#[test]
fn signed_and_encrypted_aes256_round_trip_with_signed_mdn() {
    let w = world();
    let data = payload(100_000);
    let got = round_trip(
        &w,
        Some(EncryptionAlg::Aes256Cbc),
        Some(MicAlg::Sha256),
        &data,
    );
    assert!(got.signed && got.encrypted());
    assert_eq!(got.encryption, Some(EncryptionAlg::Aes256Cbc));
    assert_eq!(got.filename.as_deref(), Some("claims.x12"));
    assert_eq!(got.content_type, "application/edi-x12");
    let request = got.mdn_request.clone().unwrap();
    assert_eq!(request.signed_micalg, Some(MicAlg::Sha256));
    assert_eq!(request.async_url, None);

    let mdn = build_mdn(
        &w.us.identity,
        &got.partner_as2_id,
        &got.message_id,
        MdnOutcome::Processed {
            mic: Some(got.mic.clone()),
        },
        request.signed_micalg,
    )
    .unwrap();
    let partner_us = partner_of(&w.us, "http://unused");
    let verdict = parse_mdn(
        &w.them.identity,
        &partner_us,
        &mdn.headers,
        &mdn.body,
        &got.message_id,
        &got.mic,
    )
    .unwrap();
    assert_eq!(verdict, MdnVerdict::Processed);
}

#[test]
fn every_cipher_and_digest_round_trips() {
    let w = world();
    for enc in [
        EncryptionAlg::Aes128Cbc,
        EncryptionAlg::Aes192Cbc,
        EncryptionAlg::TripleDes,
    ] {
        let got = round_trip(&w, Some(enc), Some(MicAlg::Sha256), b"ISA*00~");
        assert_eq!(got.encryption, Some(enc));
    }
    for alg in [MicAlg::Sha1, MicAlg::Sha384, MicAlg::Sha512] {
        let got = round_trip(&w, Some(EncryptionAlg::Aes256Cbc), Some(alg), b"ISA*00~");
        assert_eq!(got.mic.alg, alg);
    }
}

#[test]
fn unsigned_and_unencrypted_variants() {
    let w = world();
    let enc_only = round_trip(&w, Some(EncryptionAlg::Aes256Cbc), None, b"only encrypted");
    assert!(enc_only.encrypted() && !enc_only.signed);
    let sign_only = round_trip(&w, None, Some(MicAlg::Sha256), b"only signed\r\n");
    assert!(sign_only.signed && !sign_only.encrypted());
    let plain = round_trip(&w, None, None, b"plain");
    assert!(!plain.signed && !plain.encrypted());
}

#[test]
fn receive_to_writes_the_payload_and_leaves_the_struct_empty() {
    let w = world();
    let data = payload(300_000);
    let to_us = partner_of(&w.us, "http://unused");
    let (msg, mic) = build_message(&w.them.identity, &to_us, &data, "a.x12", "<m1@acme>").unwrap();
    let from_them = partner_of(&w.them, "http://unused");
    let mut out = Vec::new();
    let got = receive_to(
        &msg.headers,
        msg.body.as_slice(),
        &w.us.identity,
        &|_| Some(from_them.clone()),
        MAX,
        &mut out,
    )
    .unwrap();
    assert_eq!(out, data);
    assert!(got.payload.is_empty());
    assert_eq!(got.payload_len, data.len() as u64);
    assert_eq!(got.mic, mic);
}

/// `msg` received by us from `partner`, whatever its AS2-From says.
fn receive_from(
    w: &World,
    msg: &transport::as2::HttpMessage,
    partner: &PartnerAs2,
) -> Result<transport::as2::Received, transport::as2::ReceiveFailure> {
    receive(
        &msg.headers,
        &msg.body,
        &w.us.identity,
        &|_| Some(partner.clone()),
        MAX,
    )
}

/// [`receive_from`], which must succeed.
fn received(
    w: &World,
    msg: &transport::as2::HttpMessage,
    partner: &PartnerAs2,
) -> transport::as2::Received {
    receive_from(w, msg, partner).unwrap()
}

/// [`receive_from`], which must fail.
fn refused(
    w: &World,
    msg: &transport::as2::HttpMessage,
    partner: PartnerAs2,
) -> transport::as2::ReceiveFailure {
    receive_from(w, msg, &partner).unwrap_err()
}

#[test]
fn encrypted_to_another_certificate_is_decryption_failed() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let stranger = side(dir.path(), "chargegate");
    let to_stranger = partner_of(&stranger, "http://unused");
    let (msg, _) = build_message(&w.them.identity, &to_stranger, b"x", "a", "<m2@acme>").unwrap();
    let failure = refused(&w, &msg, partner_of(&w.them, "u"));
    assert_eq!(failure.modifier, FailureModifier::DecryptionFailed);
    assert_eq!(failure.message_id.as_deref(), Some("m2@acme"));
    assert_eq!(failure.partner_as2_id.as_deref(), Some("ACME Stores"));
    assert!(
        failure.mdn_request.is_some(),
        "a negative MDN can still be sent as asked"
    );
}

#[test]
fn signature_from_unknown_key_is_authentication_failed() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let impostor = side(dir.path(), "ACME Stores");
    let (msg, _) = build_message(
        &impostor.identity,
        &partner_of(&w.us, "u"),
        b"x",
        "a",
        "<m3@acme>",
    )
    .unwrap();
    let failure = refused(&w, &msg, partner_of(&w.them, "u"));
    assert_eq!(failure.modifier, FailureModifier::AuthenticationFailed);
}

#[test]
fn rotated_certificates_any_valid_one_verifies() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let old = side(dir.path(), "old ACME");
    let (msg, _) = build_message(
        &w.them.identity,
        &partner_of(&w.us, "u"),
        b"x",
        "a",
        "<m4@acme>",
    )
    .unwrap();
    let mut partner = partner_of(&w.them, "u");
    partner.certificates.insert(
        0,
        transport::as2::PartnerCert::from_pem_file(&old.cert).unwrap(),
    );
    let got = received(&w, &msg, &partner);
    assert!(got.signed);
}

#[test]
fn tampered_signed_content_is_integrity_check_failed() {
    let w = world();
    let mut to_us = partner_of(&w.us, "u");
    to_us.encrypt = None;
    let (mut msg, _) = build_message(
        &w.them.identity,
        &to_us,
        b"ISA*00*AMOUNT=100~",
        "a",
        "<m5@acme>",
    )
    .unwrap();
    let at = msg.body.windows(3).position(|x| x == b"100").unwrap();
    msg.body[at] = b'9';
    let mut partner = partner_of(&w.them, "u");
    partner.encrypt = None;
    assert_eq!(
        refused(&w, &msg, partner).modifier,
        FailureModifier::IntegrityCheckFailed
    );
}

#[test]
fn signed_entity_delivered_with_bare_lf_verifies_in_canonical_form() {
    let w = world();
    let mut to_us = partner_of(&w.us, "u");
    to_us.encrypt = None;
    let (mut msg, mic) = build_message(
        &w.them.identity,
        &to_us,
        b"line1\r\nline2\r\n",
        "a",
        "<m6@acme>",
    )
    .unwrap();
    // A relay rewrote every CRLF as LF: raw verification fails, the canonical form matches.
    msg.body = String::from_utf8(msg.body)
        .unwrap()
        .replace("\r\n", "\n")
        .into_bytes();
    let mut partner = partner_of(&w.them, "u");
    partner.encrypt = None;
    let got = received(&w, &msg, &partner);
    assert_eq!(got.mic, mic);
    assert_eq!(got.payload, b"line1\nline2\n");
}

#[test]
fn unknown_partner_and_insufficient_security() {
    let w = world();
    let (msg, _) = build_message(
        &w.them.identity,
        &partner_of(&w.us, "u"),
        b"x",
        "a",
        "<m7@acme>",
    )
    .unwrap();
    let failure = receive(&msg.headers, &msg.body, &w.us.identity, &|_| None, MAX).unwrap_err();
    assert_eq!(failure.modifier, FailureModifier::UnknownTradingPartner);

    let mut plain = partner_of(&w.us, "u");
    plain.encrypt = None;
    plain.sign = None;
    let (msg, _) = build_message(&w.them.identity, &plain, b"x", "a", "<m8@acme>").unwrap();
    assert_eq!(
        refused(&w, &msg, partner_of(&w.them, "u")).modifier,
        FailureModifier::InsufficientMessageSecurity
    );
}

#[test]
fn duplicate_message_id_is_visible_in_the_result() {
    let w = world();
    let (msg, _) = build_message(
        &w.them.identity,
        &partner_of(&w.us, "u"),
        b"x",
        "a",
        "<dup@acme>",
    )
    .unwrap();
    let partner = partner_of(&w.them, "u");
    let first = received(&w, &msg, &partner);
    let again = received(&w, &msg, &partner);
    assert_eq!(first.dedup_key(), ("ACME Stores", "dup@acme"));
    assert_eq!(first.dedup_key(), again.dedup_key());
}

#[test]
fn negative_mdn_and_mic_mismatch_and_unsigned_mdn_are_reported() {
    let w = world();
    let partner_us = partner_of(&w.us, "u");
    let mic = transport::as2::Mic::compute(MicAlg::Sha256, b"abc").unwrap();
    let negative = build_mdn(
        &w.us.identity,
        "ACME Stores",
        "<n1@acme>",
        MdnOutcome::Failed {
            modifier: FailureModifier::DecryptionFailed,
            text: "no".into(),
        },
        Some(MicAlg::Sha256),
    )
    .unwrap();
    let verdict = parse_mdn(
        &w.them.identity,
        &partner_us,
        &negative.headers,
        &negative.body,
        "n1@acme",
        &mic,
    )
    .unwrap();
    assert!(
        matches!(verdict, MdnVerdict::Negative(ref t) if t.contains("decryption-failed")),
        "{verdict:?}"
    );

    let other = transport::as2::Mic::compute(MicAlg::Sha256, b"abd").unwrap();
    let wrong_mic = build_mdn(
        &w.us.identity,
        "ACME Stores",
        "n2@acme",
        MdnOutcome::Processed { mic: Some(other) },
        Some(MicAlg::Sha256),
    )
    .unwrap();
    let verdict = parse_mdn(
        &w.them.identity,
        &partner_us,
        &wrong_mic.headers,
        &wrong_mic.body,
        "n2@acme",
        &mic,
    )
    .unwrap();
    assert!(
        matches!(verdict, MdnVerdict::MicMismatch { .. }),
        "{verdict:?}"
    );

    let unsigned = build_mdn(
        &w.us.identity,
        "ACME Stores",
        "n3@acme",
        MdnOutcome::Processed {
            mic: Some(mic.clone()),
        },
        None,
    )
    .unwrap();
    let verdict = parse_mdn(
        &w.them.identity,
        &partner_us,
        &unsigned.headers,
        &unsigned.body,
        "n3@acme",
        &mic,
    )
    .unwrap();
    assert_eq!(verdict, MdnVerdict::Unsigned);

    let dir = tempfile::tempdir().unwrap();
    let impostor = side(dir.path(), "chargegate");
    let forged = build_mdn(
        &impostor.identity,
        "ACME Stores",
        "n4@acme",
        MdnOutcome::Processed {
            mic: Some(mic.clone()),
        },
        Some(MicAlg::Sha256),
    )
    .unwrap();
    let verdict = parse_mdn(
        &w.them.identity,
        &partner_us,
        &forged.headers,
        &forged.body,
        "n4@acme",
        &mic,
    )
    .unwrap();
    assert!(
        matches!(verdict, MdnVerdict::SignatureInvalid(_)),
        "{verdict:?}"
    );

    assert!(
        parse_mdn(
            &w.them.identity,
            &partner_us,
            &forged.headers,
            &forged.body,
            "other@acme",
            &mic
        )
        .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sender_gets_sync_mdn_and_async_mdn_is_posted() {
    let w = Arc::new(world());
    // Our receiver behind a loopback HTTP server answering with a sync signed MDN.
    let w2 = Arc::clone(&w);
    let url = serve(1, move |(headers, body)| {
        let partner = partner_of(&w2.them, "u");
        let got = receive(
            &headers,
            &body,
            &w2.us.identity,
            &|_| Some(partner.clone()),
            MAX,
        )
        .unwrap();
        let req = got.mdn_request.clone().unwrap();
        let mdn = build_mdn(
            &w2.us.identity,
            &got.partner_as2_id,
            &got.message_id,
            MdnOutcome::Processed { mic: Some(got.mic) },
            req.signed_micalg,
        )
        .unwrap();
        (200, mdn.headers, mdn.body)
    });
    let sender = Sender::new(
        Arc::new(
            transport::as2::LocalIdentity::from_pem_files("ACME Stores", &w.them.key, &w.them.cert)
                .unwrap(),
        ),
        Duration::from_secs(30),
    )
    .unwrap();
    let to_us = partner_of(&w.us, &format!("{url}/as2"));
    let (msg, mic) =
        build_message(&w.them.identity, &to_us, b"ISA*sync~", "s.x12", "<s1@acme>").unwrap();
    let outcome = sender.send(&to_us, &msg, &mic, "<s1@acme>").await.unwrap();
    assert_eq!(outcome, SendOutcome::SyncMdn(MdnVerdict::Processed));

    // Async: the request carries the URL; send_mdn posts to a test listener.
    let posted: Arc<Mutex<Option<as2_support::Request>>> = Arc::default();
    let sink = Arc::clone(&posted);
    let mdn_url = serve(1, move |req| {
        *sink.lock().unwrap() = Some(req);
        (200, vec![], vec![])
    });
    let mut async_to_us = partner_of(&w.us, "http://unused");
    async_to_us.mdn = MdnMode::Async {
        url: format!("{mdn_url}/mdn"),
    };
    let (msg, mic) = build_message(
        &w.them.identity,
        &async_to_us,
        b"ISA*async~",
        "a.x12",
        "<a1@acme>",
    )
    .unwrap();
    let partner = partner_of(&w.them, "u");
    let got = received(&w, &msg, &partner);
    let request = got.mdn_request.clone().unwrap();
    assert_eq!(
        request.async_url.as_deref(),
        Some(format!("{mdn_url}/mdn").as_str())
    );
    let mdn = build_mdn(
        &w.us.identity,
        &got.partner_as2_id,
        &got.message_id,
        MdnOutcome::Processed {
            mic: Some(got.mic.clone()),
        },
        request.signed_micalg,
    )
    .unwrap();
    sender
        .send_mdn(request.async_url.as_deref().unwrap(), &mdn)
        .await
        .unwrap();
    let (headers, body) = posted.lock().unwrap().take().expect("mdn posted");
    assert_eq!(
        read_mdn_fields(&headers, &body)
            .unwrap()
            .original_message_id,
        "a1@acme"
    );
    let verdict = parse_mdn(
        &w.them.identity,
        &partner_of(&w.us, "u"),
        &headers,
        &body,
        "a1@acme",
        &mic,
    )
    .unwrap();
    assert_eq!(verdict, MdnVerdict::Processed);
}
