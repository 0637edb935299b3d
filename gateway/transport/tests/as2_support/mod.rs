//! Shared by the AS2 integration tests: identities generated at test time, a tiny loopback
//! HTTP server, and the pyas2lib peer.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use transport::as2::{EncryptionAlg, LocalIdentity, MdnMode, MicAlg, PartnerAs2, PartnerCert};

/// One side's generated key and certificate files and the loaded identity.
pub struct Side {
    pub id: String,
    pub key: PathBuf,
    pub cert: PathBuf,
    pub identity: LocalIdentity,
}

/// Generates a fresh RSA identity under `dir`.
pub fn side(dir: &Path, id: &str) -> Side {
    let key = dir.join(format!("{}.key.pem", id.replace(' ', "_")));
    let cert = dir.join(format!("{}.cert.pem", id.replace(' ', "_")));
    let identity = LocalIdentity::generate(id, &key, &cert).expect("generate identity");
    Side {
        id: id.to_owned(),
        key,
        cert,
        identity,
    }
}

/// The partner record for `side`: signs with SHA-256, encrypts with AES-256, sync signed MDN.
pub fn partner_of(side: &Side, url: &str) -> PartnerAs2 {
    PartnerAs2 {
        as2_id: side.id.clone(),
        url: url.to_owned(),
        certificates: vec![PartnerCert::from_pem_file(&side.cert).unwrap()],
        encrypt: Some(EncryptionAlg::Aes256Cbc),
        sign: Some(MicAlg::Sha256),
        mdn: MdnMode::Sync,
        signed_mdn: true,
    }
}

/// A request seen by [`serve`].
pub type Request = (Vec<(String, String)>, Vec<u8>);
/// A response: status, headers, body.
pub type Response = (u16, Vec<(String, String)>, Vec<u8>);

/// Serves `count` HTTP/1.1 requests on a loopback port in a thread; returns the base URL.
pub fn serve<F>(count: usize, handler: F) -> String
where
    F: Fn(Request) -> Response + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for _ in 0..count {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut headers = Vec::new();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                let (k, v) = l.split_once(':').expect("header line");
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.parse().unwrap())
                .expect("requests in these tests carry Content-Length");
            let mut body = vec![0u8; len];
            reader.read_exact(&mut body).unwrap();
            let (status, response_headers, response_body) = handler((headers, body));
            let mut out = stream;
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: {}\r\n",
                response_body.len()
            );
            for (k, v) in response_headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            out.write_all(head.as_bytes()).unwrap();
            out.write_all(&response_body).unwrap();
            out.flush().unwrap();
        }
    });
    url
}

/// The venv python with pyas2lib, bootstrapped by `scripts/pyas2lib-venv.sh` (fails loudly).
pub fn python() -> PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let script = repo_root().join("scripts/pyas2lib-venv.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .expect("run pyas2lib-venv.sh");
        assert!(
            out.status.success(),
            "pyas2lib-venv.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
    .clone()
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn peer_script() -> PathBuf {
    repo_root().join("tests/peers/as2_peer.py")
}

/// Common peer arguments: the peer's own identity and what it knows of us.
pub fn peer_args(peer: &Side, us: &Side) -> Vec<String> {
    vec![
        "--org-id".into(),
        peer.id.clone(),
        "--org-key".into(),
        peer.key.display().to_string(),
        "--org-cert".into(),
        peer.cert.display().to_string(),
        "--partner-id".into(),
        us.id.clone(),
        "--partner-cert".into(),
        us.cert.display().to_string(),
    ]
}

/// A deterministic X12-looking payload of about `len` bytes.
pub fn payload(len: usize) -> Vec<u8> {
    let seg = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*U*00401*000000001*0*P*>~\r\n";
    seg.iter().copied().cycle().take(len).collect()
}

/// Runs the peer in send mode: `peer` sends `file` to `us` at `url` (more peer arguments in
/// `extra`); the peer's JSON verdict on our MDN.
pub fn peer_send_file(
    peer: &Side,
    us: &Side,
    url: &str,
    file: &Path,
    extra: &[&str],
) -> serde_json::Value {
    let out = std::process::Command::new(python())
        .arg(peer_script())
        .arg("send")
        .args(peer_args(peer, us))
        .arg("--url")
        .arg(url)
        .arg("--file")
        .arg(file)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "peer send failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout}"))
}
