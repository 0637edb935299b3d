//! The black-box harness: runs the built `chargegate serve` in a temporary directory with its
//! own configuration and talks to it as partners and analysts do (drop folders, HTTP).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The sample story's business day (GOOD DRUG reports November on 2026-12-01): every
/// gateway a test starts runs on it (`[engine] business_day`), so the story's claim windows
/// and contract dates hold whatever the real date.
pub const STORY_DAY: &str = "2026-12-01";

/// A running `chargegate serve`, killed when dropped.
pub struct Serve {
    child: Option<Child>,
    /// Its HTTP port.
    pub port: u16,
    /// Its directory (configuration, data, log).
    pub dir: PathBuf,
    /// Its drop folders: `<drop_root>/<partner>/{inbox,outbox,processed,rejected}`.
    pub drop_root: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where a test gateway keeps its state and talks to its steps.
pub struct Options {
    /// The partner profiles folder.
    pub profiles: PathBuf,
    /// `None`: SQLite under the test directory.
    pub database_url: Option<String>,
    /// `None`: the in-process bus.
    pub bus_url: Option<String>,
    /// `None`: `data/drop` under the test directory.
    pub drop_root: Option<PathBuf>,
    /// More TOML appended to the generated configuration.
    pub extra: String,
    /// More keys of the `[http]` table (`max_body = 1048576`).
    pub http: String,
}

impl Options {
    /// Embedded defaults with the repository's profiles.
    pub fn embedded() -> Self {
        Self {
            profiles: repo().join("partner-maps/profiles"),
            database_url: None,
            bus_url: None,
            drop_root: None,
            extra: String::new(),
            http: String::new(),
        }
    }

    /// A fresh PostgreSQL database and a fresh name prefix on RabbitMQ (the servers the test
    /// script starts), so runs do not see each other.
    pub fn servers() -> Self {
        let run = unique();
        Self {
            database_url: Some(format!("postgres://postgres@127.0.0.1:5432/cg_serve_{run}")),
            bus_url: Some(format!("amqp://guest:guest@127.0.0.1:5672/%2f#{run}")),
            ..Self::embedded()
        }
    }
}

/// A name unique to this process and call.
pub fn unique() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Starts `serve` on embedded defaults in `dir`.
pub fn start(dir: &Path) -> Serve {
    start_with(dir, Options::embedded())
}

/// Starts `serve` in `dir` with `options`, and waits until it answers `/healthz`.
pub fn start_with(dir: &Path, options: Options) -> Serve {
    let port = free_port();
    let database = options
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/data/chargegate.db", dir.display()));
    let (bus, prefix) = match &options.bus_url {
        Some(url) => match url.split_once('#') {
            Some((url, prefix)) => (url.to_owned(), format!("cgtest.{prefix}")),
            None => (url.clone(), String::new()),
        },
        None => ("memory://".to_owned(), String::new()),
    };
    let drop_root = options
        .drop_root
        .clone()
        .unwrap_or_else(|| dir.join("data/drop"));
    let config = format!(
        "[http]\nlisten = \"127.0.0.1:{port}\"\n{http}\n[paths]\ndata = \"{d}/data\"\ndrop_root = \"{r}\"\nprofiles = \"{p}\"\n[database]\nurl = \"{database}\"\n[bus]\nurl = \"{bus}\"\nprefix = \"{prefix}\"\n[identity]\nkey = \"{d}/certs/key.pem\"\ncertificate = \"{d}/certs/cert.pem\"\n[engine]\nbusiness_day = \"{STORY_DAY}\"\n[workers]\nsettle_ms = 200\nscan_ms = 100\nretry_ms = 100\n{extra}",
        d = dir.display(),
        r = drop_root.display(),
        p = options.profiles.display(),
        extra = options.extra,
        http = options.http,
    );
    std::fs::write(dir.join("chargegate.toml"), config).unwrap();
    let mut serve = Serve {
        child: None,
        port,
        dir: dir.to_path_buf(),
        drop_root,
    };
    serve.restart();
    serve
}

impl Serve {
    /// (Re)starts the process on the same configuration and waits for `/healthz`. The port
    /// was free when picked, but another process may take it before `serve` binds it: then
    /// `serve` exits, and it is started again on a newly picked port.
    pub fn restart(&mut self) {
        self.stop();
        for _ in 0..5 {
            let started = self.log().matches("gateway running").count();
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join("serve.log"))
                .unwrap();
            let child = Command::new(env!("CARGO_BIN_EXE_chargegate"))
                .args(["serve", "--config"])
                .arg(self.dir.join("chargegate.toml"))
                .env("CHARGEGATE_LOG", "info")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap();
            self.child = Some(child);
            // Bound once this process logs that it runs: only then is an answer on the
            // port surely its own and not another test's gateway.
            let deadline = Instant::now() + Duration::from_secs(60);
            let bound = loop {
                if self.log().matches("gateway running").count() > started {
                    break true;
                }
                let exited = self.child.as_mut().and_then(|c| c.try_wait().unwrap());
                if exited.is_some() || Instant::now() > deadline {
                    break false;
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            if bound {
                break;
            }
            self.stop();
            let log = self.log();
            assert!(
                log.contains("in use"),
                "serve did not start; serve log:\n{log}"
            );
            self.move_to_new_port();
        }
        let port = self.port;
        wait_for(self, "healthz", || {
            get(port, "/healthz")
                .map(|(s, _)| s == 200)
                .unwrap_or(false)
        });
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("serve did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Picks another free port and writes it into the configuration.
    fn move_to_new_port(&mut self) {
        let config = self.dir.join("chargegate.toml");
        let text = std::fs::read_to_string(&config).unwrap();
        let port = free_port();
        let text = text.replace(
            &format!("listen = \"127.0.0.1:{}\"", self.port),
            &format!("listen = \"127.0.0.1:{port}\""),
        );
        std::fs::write(&config, text).unwrap();
        self.port = port;
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The drop folder of a partner: `inbox`, `outbox`, `processed`, `rejected`.
    pub fn drop_dir(&self, partner: &str, folder: &str) -> PathBuf {
        self.drop_root.join(partner).join(folder)
    }

    /// The server's log so far.
    /// Asserts that the gateway's `/metrics` holds `line` (a metric, with its value when it
    /// matters: `chargegate_as2_refused_total 1`).
    pub fn assert_metric(&self, line: &str) {
        let (_, metrics) = get(self.port, "/metrics").unwrap();
        assert!(metrics.contains(line), "{line} not in:\n{metrics}");
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("serve.log")).unwrap_or_default()
    }
}

pub fn wait_for(serve: &Serve, what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = serve.log();
    panic!("timed out waiting for {what}; serve log:\n{log}");
}

pub fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    http_as(port, method, path, "application/json", body.unwrap_or(""))
}

/// POSTs a CSV upload (corrections, roster, price list) as `text/csv`: the API answers a body
/// sent as JSON 415.
pub fn post_csv(port: u16, path: &str, csv: &str) -> std::io::Result<(u16, String)> {
    http_as(port, "POST", path, "text/csv", csv)
}

fn http_as(
    port: u16,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    send_request(
        port,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// Sends a prepared HTTP/1.1 request (with `Connection: close`); the status and the body.
pub fn send_request(port: u16, request: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.write_all(request.as_bytes())?;
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

/// Waits until the batch at `path` (`/api/v1/batches/...`) exists; returns it.
pub fn wait_for_batch(serve: &Serve, path: &str) -> serde_json::Value {
    wait_for(serve, &format!("batch {path}"), || {
        get(serve.port, path)
            .map(|(s, _)| s == 200)
            .unwrap_or(false)
    });
    json(&get(serve.port, path).unwrap().1)
}

/// Cuts `partner`'s claim periods through the story's day over `POST /api/v1/batches/cut`, as an
/// operator would to have today's Daily batch processed now (chargeback-rules 8.1); the
/// answer's `batches`.
pub fn cut_today(serve: &Serve, partner: &str) -> Vec<serde_json::Value> {
    let body = format!(r#"{{"partner": "{partner}", "through": "{STORY_DAY}", "actor": "ann"}}"#);
    let (status, answer) = http(serve.port, "POST", "/api/v1/batches/cut", Some(&body)).unwrap();
    assert_eq!(status, 200, "{answer}");
    json(&answer)["batches"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The analyst's Pay and Close on the batch at `path`, as of `version`: status and body.
pub fn pay_and_close(serve: &Serve, path: &str, version: &serde_json::Value) -> (u16, String) {
    let body =
        format!(r#"{{"expected_version": {version}, "action": {{"action": "pay_and_close"}}}}"#);
    http(serve.port, "POST", &format!("{path}/actions"), Some(&body)).unwrap()
}

/// Waits until an 849 answered ACME's claim `number`; returns the claim from the API.
pub fn wait_reconciled(serve: &Serve, number: &str) -> serde_json::Value {
    let path = format!("/api/v1/claims/acmepharma%2F{number}");
    wait_for(serve, "the 849 to reconcile the claim", || {
        get(serve.port, &path)
            .map(|(s, b)| {
                s == 200
                    && json(&b)["responses"]
                        .as_array()
                        .is_some_and(|r| !r.is_empty())
            })
            .unwrap_or(false)
    });
    let claim = json(&get(serve.port, &path).unwrap().1);
    assert_eq!(claim["responses"][0]["match_status"], "matched", "{claim}");
    claim
}

/// Joins a chunked HTTP/1.1 body.
pub fn dechunk(body: &str) -> String {
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

pub fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    http(port, "GET", path, None)
}

/// Drops a sample the way a careful partner does: `.part`, then rename.
pub fn drop_file(serve: &Serve, partner: &str, sample: &str) {
    let bytes = std::fs::read(repo().join("samples").join(sample)).unwrap();
    deliver(serve, partner, sample, bytes);
}

/// Drops `bytes` into `partner`'s inbox as `name`, as a partner does: written as
/// `name.part`, then renamed.
pub fn deliver(serve: &Serve, partner: &str, name: &str, bytes: impl AsRef<[u8]>) {
    let inbox = serve.drop_dir(partner, "inbox");
    let part = inbox.join(format!("{name}.part"));
    std::fs::write(&part, bytes).unwrap();
    std::fs::rename(&part, inbox.join(name)).unwrap();
}

/// The files of `dir` a partner would take, sorted: not the `.part` the gateway writes a file
/// under before renaming it to its name (a test that saw `claim-….x12.part` mid-delivery took
/// it for the claim, then took the finished file for the next one).
pub fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| !name.ends_with(".part"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The files of `dir` once there are some and no more came for a second: what a step wrote,
/// not the first of its files (an acknowledgment written a moment after another).
pub fn settled_files(serve: &Serve, dir: &Path, what: &str) -> Vec<String> {
    wait_for(serve, what, || !files(dir).is_empty());
    let mut seen = files(dir);
    let mut quiet_since = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(60);
    while quiet_since.elapsed() < Duration::from_secs(1) {
        assert!(Instant::now() < deadline, "{what} never settled: {seen:?}");
        std::thread::sleep(Duration::from_millis(100));
        let now = files(dir);
        if now != seen {
            seen = now;
            quiet_since = Instant::now();
        }
    }
    seen
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Element `n` of the first segment `id` in an X12 text with `*` and `~`.
pub fn element(x12: &str, id: &str, n: usize) -> String {
    x12.split('~')
        .map(str::trim)
        .find(|s| s.starts_with(&format!("{id}*")))
        .and_then(|s| s.split('*').nth(n))
        .unwrap_or_else(|| panic!("no {id}{n:02} in {x12}"))
        .to_owned()
}

/// Checks the ISA of an acknowledgment we sent: from us (`ZZ*CHARGEGATE`, the default
/// `[identity]`) to `partner_qualifier*partner_id`, padded to 15, dated today (UTC) at a
/// valid time, in `version`.
pub fn assert_isa_to(x12: &str, partner_qualifier: &str, partner_id: &str, version: &str) {
    let isa: Vec<&str> = x12
        .split('~')
        .next()
        .unwrap_or_default()
        .split('*')
        .collect();
    assert_eq!(isa.len(), 17, "{x12}");
    assert_eq!(
        (isa[5], isa[6], isa[7], isa[8]),
        (
            "ZZ",
            "CHARGEGATE     ",
            partner_qualifier,
            format!("{partner_id:<15}").as_str()
        ),
        "{x12}"
    );
    let now = chrono::Utc::now();
    let days = [now, now - chrono::Duration::hours(1)].map(|t| t.format("%y%m%d").to_string());
    assert!(days.contains(&isa[9].to_owned()), "ISA09 not today: {x12}");
    let time = chrono::NaiveTime::parse_from_str(isa[10], "%H%M");
    assert!(time.is_ok(), "ISA10 not a time: {x12}");
    assert_eq!(isa[12], version, "{x12}");
    assert!(!x12.contains("UNKNOWN"), "{x12}");
}

/// ACME's 997 for a claim file we sent it, made with the offline `chargegate ack` as ACME's
/// translator would (interchange 776, so it never clashes with ACME's other files).
pub fn acme_acks(claim: &std::path::Path) -> Vec<u8> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chargegate"))
        .args(["ack".as_ref(), claim.as_os_str()])
        .args(["--kind", "997", "--icn", "776", "--gcn", "776"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ack: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("ST*997*"), "not a 997: {text}");
    out.stdout
}

/// ACME's 849 for a claim we sent it, made with the offline CLI as ACME would: adjudicate the
/// claim against its contract, render the answer in ACME's dialect from ACME to us.
pub fn acme_answers(dir: &std::path::Path, claim: &std::path::Path) -> Vec<u8> {
    let acme_side = dir.join("acme-side");
    std::fs::create_dir_all(&acme_side).unwrap();
    let profile = std::fs::read_to_string(repo().join("partner-maps/profiles/acmepharma.toml"))
        .unwrap()
        .lines()
        .map(|l| match l.split_whitespace().next() {
            Some("id") => "id = \"us\"".to_owned(),
            Some("isa_id") => "isa_id = \"CHARGEGATE\"".to_owned(),
            Some("gs_id") => "gs_id = \"CHARGEGATE\"".to_owned(),
            _ => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(acme_side.join("us.toml"), profile).unwrap();
    let run = |args: &[&std::ffi::OsStr]| -> Vec<u8> {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_chargegate"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let contract = repo().join("samples/845_4010_contract.x12");
    let response = run(&[
        "adjudicate".as_ref(),
        claim.as_os_str(),
        "--contracts".as_ref(),
        contract.as_os_str(),
        "--render-849".as_ref(),
    ]);
    let response_path = acme_side.join("849.json");
    std::fs::write(&response_path, response).unwrap();
    run(&[
        "render".as_ref(),
        response_path.as_os_str(),
        "--partner".as_ref(),
        "us".as_ref(),
        "--profiles".as_ref(),
        acme_side.as_os_str(),
        "--isa-id".as_ref(),
        "ACMEPHARMA".as_ref(),
        "--icn".as_ref(),
        "777".as_ref(),
    ])
}
