//! Peak memory (VmHWM) of receiving a 50 MB signed and encrypted AS2 message.
//!
//! `cargo run --release -p transport --example as2_receive_rss`
//!
//! Each step runs in its own process so the peak belongs to that step alone: `generate` builds
//! the message (openssl's CMS encryption holds copies, which must not count), `spooled` receives
//! it from the body file as the server does after spooling the HTTP body to disk, `owned` reads
//! the whole body into memory and hands it over (`receive_owned`, decrypted in place), and
//! `borrowed` reads it into memory and receives from a borrowed slice (`receive_to`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::process::Command;

use transport::as2::{
    EncryptionAlg, LocalIdentity, MdnMode, MdnOutcome, MicAlg, PartnerAs2, PartnerCert, build_mdn,
    build_message, receive_owned, receive_to,
};

const SIZE: usize = 50 * 1024 * 1024;

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM line")
}

fn partner(id: &str, cert: &Path) -> PartnerAs2 {
    PartnerAs2 {
        as2_id: id.into(),
        url: "http://127.0.0.1:1/as2".into(),
        certificates: vec![PartnerCert::from_pem_file(cert).unwrap()],
        encrypt: Some(EncryptionAlg::Aes256Cbc),
        sign: Some(MicAlg::Sha256),
        mdn: MdnMode::Sync,
        signed_mdn: true,
    }
}

fn generate(dir: &Path) {
    let _us =
        LocalIdentity::generate("chargegate", &dir.join("us.key"), &dir.join("us.pem")).unwrap();
    let them =
        LocalIdentity::generate("partner", &dir.join("them.key"), &dir.join("them.pem")).unwrap();
    let data: Vec<u8> = b"CON*PRICE*12.50*EA~\r\n"
        .iter()
        .copied()
        .cycle()
        .take(SIZE)
        .collect();
    let (msg, _) = build_message(
        &them,
        &partner("chargegate", &dir.join("us.pem")),
        &data,
        "big.x12",
        "<rss@partner>",
    )
    .unwrap();
    let headers: String = msg
        .headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\n"))
        .collect();
    std::fs::write(dir.join("headers.txt"), headers).unwrap();
    std::fs::write(dir.join("body.bin"), &msg.body).unwrap();
}

fn receive(dir: &Path, mode: &str) {
    let us = LocalIdentity::from_pem_files("chargegate", &dir.join("us.key"), &dir.join("us.pem"))
        .unwrap();
    let them = partner("partner", &dir.join("them.pem"));
    let headers: Vec<(String, String)> = std::fs::read_to_string(dir.join("headers.txt"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            l.split_once(": ")
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect();
    let before = vm_hwm_kib();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(dir.join("payload.out")).unwrap());
    let read_body = || {
        let mut body = Vec::new();
        File::open(dir.join("body.bin"))
            .unwrap()
            .read_to_end(&mut body)
            .unwrap();
        body
    };
    let got = match mode {
        "spooled" => receive_to(
            &headers,
            File::open(dir.join("body.bin")).unwrap(),
            &us,
            &|_| Some(them.clone()),
            usize::MAX,
            &mut out,
        )
        .unwrap(),
        "owned" => {
            let mut got = receive_owned(
                &headers,
                read_body(),
                &us,
                &|_| Some(them.clone()),
                usize::MAX,
            )
            .unwrap();
            out.write_all(&got.payload).unwrap();
            got.payload = Vec::new();
            got
        }
        _ => receive_to(
            &headers,
            read_body().as_slice(),
            &us,
            &|_| Some(them.clone()),
            usize::MAX,
            &mut out,
        )
        .unwrap(),
    };
    drop(out);
    let mdn = build_mdn(
        &us,
        &got.partner_as2_id,
        &got.message_id,
        MdnOutcome::Processed { mic: Some(got.mic) },
        Some(MicAlg::Sha256),
    )
    .unwrap();
    assert_eq!(got.payload_len as usize, SIZE);
    assert!(!mdn.body.is_empty());
    println!("{} {}", before, vm_hwm_kib());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("generate") => generate(Path::new(&args[2])),
        Some(mode @ ("spooled" | "owned" | "borrowed")) => receive(Path::new(&args[2]), mode),
        _ => {
            let dir = tempfile::tempdir().unwrap();
            let me = std::env::current_exe().unwrap();
            let run = |step: &str| {
                let out = Command::new(&me)
                    .arg(step)
                    .arg(dir.path())
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{step}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                String::from_utf8(out.stdout).unwrap()
            };
            run("generate");
            let message = std::fs::metadata(dir.path().join("body.bin"))
                .unwrap()
                .len() as f64
                / 1024.0;
            println!(
                "message body: {:.1} MiB (payload {} MiB)",
                message / 1024.0,
                SIZE >> 20
            );
            for step in ["spooled", "owned", "borrowed"] {
                let line = run(step);
                let mut it = line.split_whitespace().map(|v| v.parse::<f64>().unwrap());
                let (before, peak) = (it.next().unwrap(), it.next().unwrap());
                println!(
                    "{step}: peak RSS {:.1} MiB = {:.2}x the message (process before receiving: {:.1} MiB)",
                    peak / 1024.0,
                    peak / message,
                    before / 1024.0
                );
            }
        }
    }
}
