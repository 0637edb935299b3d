//! Peak memory of `chargegate serve` receiving one 50 MiB signed and encrypted AS2 message:
//! starts the release binary, POSTs the message from this process over plain HTTP/1.1, waits
//! for the MDN, and reads the server's peak RSS (VmHWM) against its RSS before the POST.
//!
//! ```text
//! cargo build --release -p chargegate
//! cargo run --release -p server --example as2_post_rss
//! ```
//!
//! `CHARGEGATE_BIN` names another binary; `AS2_MIB` another size.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use transport::as2::{
    EncryptionAlg, LocalIdentity, MdnMode, MicAlg, PartnerAs2, PartnerCert, build_message,
};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

fn main() {
    let mib: usize = std::env::var("AS2_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let partner = LocalIdentity::generate("ACMEAS2", &d.join("p.key"), &d.join("p.pem")).unwrap();
    LocalIdentity::generate("CHARGEGATE", &d.join("key.pem"), &d.join("cert.pem")).unwrap();
    let profiles = d.join("profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    let text =
        std::fs::read_to_string(repo().join("partner-maps/profiles/acmepharma.toml")).unwrap();
    let (start, end) = (text.find("[as2]").unwrap(), text.find("[dialect]").unwrap());
    let as2 = format!(
        "[as2]\nid = \"ACMEAS2\"\nurl = \"http://127.0.0.1:1/as2\"\nmdn = \"sync\"\ncertificates = [\"{}\"]\n\n",
        d.join("p.pem").display()
    );
    std::fs::write(
        profiles.join("acmepharma.toml"),
        format!("{}{as2}{}", &text[..start], &text[end..]),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dd = d.display();
    std::fs::write(
        d.join("chargegate.toml"),
        format!(
            "[http]\nlisten = \"127.0.0.1:{port}\"\n[paths]\ndata = \"{dd}/data\"\ndrop_root = \"{dd}/drop\"\nprofiles = \"{}\"\n[database]\nurl = \"sqlite://{dd}/chargegate.db\"\n[identity]\nkey = \"{dd}/key.pem\"\ncertificate = \"{dd}/cert.pem\"\n",
            profiles.display()
        ),
    )
    .unwrap();
    let bin = std::env::var("CHARGEGATE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("target/release/chargegate"));
    let mut child = Command::new(&bin)
        .args(["serve", "--config"])
        .arg(d.join("chargegate.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (cargo build --release -p chargegate)",
                bin.display()
            )
        });
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "serve did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));

    let to_gateway = PartnerAs2 {
        as2_id: "CHARGEGATE".into(),
        url: format!("http://127.0.0.1:{port}/as2"),
        certificates: vec![PartnerCert::from_pem_file(&d.join("cert.pem")).unwrap()],
        encrypt: Some(EncryptionAlg::Aes256Cbc),
        sign: Some(MicAlg::Sha256),
        mdn: MdnMode::Sync,
        signed_mdn: true,
    };
    let line = b"CON*PRICE*12.50*EA~\r\n";
    let payload: Vec<u8> = line.iter().copied().cycle().take(mib << 20).collect();
    let (msg, _) =
        build_message(&partner, &to_gateway, &payload, "big.x12", "<rss@bench>").unwrap();
    drop(payload);

    let pid = child.id();
    let before = status_kib(pid, "VmRSS:");
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut head = format!(
        "POST /as2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        msg.body.len()
    );
    for (k, v) in &msg.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&msg.body).unwrap();
    let mut response = Vec::new();
    s.read_to_end(&mut response).unwrap();
    let status = String::from_utf8_lossy(&response[..response.len().min(12)]).into_owned();
    std::thread::sleep(Duration::from_millis(500));
    let peak = status_kib(pid, "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();
    let message = msg.body.len() as f64 / 1024.0;
    let growth = peak.saturating_sub(before) as f64;
    println!(
        "response {status}; message {:.1} MiB; serve RSS before {:.1} MiB, peak {:.1} MiB; growth {:.1} MiB = {:.2}x the message",
        message / 1024.0,
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        growth / 1024.0,
        growth / message
    );
}
