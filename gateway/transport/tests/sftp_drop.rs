//! Drop folders served by the system's OpenSSH: partners upload and download with the real
//! `sftp` client in batch mode (key auth, chroot per partner) while the gateway side uses
//! `DropRoot` and `DropWatcher`. Needs root; installs openssh-server if missing.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use transport::drop::testing::SshServer;
use transport::drop::{DropWatcher, Finish, IncomingFile};

/// System users the harness creates once per machine; tests share them but not their sshd,
/// drop root or port.
const ACME: &str = "cg-sftp-acme";
const BETA: &str = "cg-sftp-beta";
/// Upper bound for anything the watcher is expected to hand out.
const BOUND: Duration = Duration::from_secs(20);

fn server(partners: &[&str]) -> SshServer {
    SshServer::start(Path::new(env!("CARGO_TARGET_TMPDIR")), partners).expect("sshd harness")
}

fn watcher(server: &SshServer, partners: &[&str], settle: Duration) -> DropWatcher {
    let partners: Vec<String> = partners.iter().map(|p| p.to_string()).collect();
    // The scan is slow on purpose: events must do the work; the scan is only the safety net.
    DropWatcher::start(
        server.drop_root(),
        &partners,
        settle,
        Duration::from_secs(3600),
    )
    .unwrap()
}

/// A local file to upload, in the harness folder.
fn local_file(server: &SshServer, name: &str, bytes: &[u8]) -> PathBuf {
    let path = server.dir().join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// Runs a batch and fails the test with sftp's and sshd's output when it does not succeed.
fn sftp_ok(server: &SshServer, partner: &str, batch: &str) -> String {
    let out = server.sftp(partner, batch).unwrap();
    assert!(out.success(), "{out}\nsshd log:\n{}", server.log());
    out.stdout
}

/// Runs a batch that must fail (sftp stops at the first failing command) and returns stderr.
fn sftp_fails(server: &SshServer, partner: &str, batch: &str) -> String {
    let out = server.sftp(partner, batch).unwrap();
    assert!(!out.success(), "expected a failure: {out}");
    out.stderr
}

async fn next(watcher: &mut DropWatcher) -> IncomingFile {
    tokio::time::timeout(BOUND, watcher.next())
        .await
        .expect("a complete file within the bound")
        .unwrap()
}

async fn nothing_within(watcher: &mut DropWatcher, wait: Duration) {
    if let Ok(file) = tokio::time::timeout(wait, watcher.next()).await {
        panic!("unexpected file {file:?}");
    }
}

/// Deterministic filler that is not one repeated byte, so a misplaced chunk would show.
fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ seed).collect()
}

#[tokio::test]
async fn a_part_upload_renamed_into_place_is_handed_out_once() {
    let server = server(&[ACME]);
    // A settle time no test waits for: only the rename can make the file complete.
    let mut watcher = watcher(&server, &[ACME], Duration::from_secs(3600));
    nothing_within(&mut watcher, Duration::from_millis(50)).await;
    let bytes = payload(100_000, 1);
    let local = local_file(&server, "x.edi", &bytes);
    sftp_ok(
        &server,
        ACME,
        &format!("put {} inbox/x.edi.part", local.display()),
    );
    // The .part alone is never complete.
    nothing_within(&mut watcher, Duration::from_millis(300)).await;
    sftp_ok(&server, ACME, "rename inbox/x.edi.part inbox/x.edi");
    let file = next(&mut watcher).await;
    assert_eq!((file.partner.as_str(), file.name.as_str()), (ACME, "x.edi"));
    assert_eq!(file.size, bytes.len() as u64);
    assert_eq!(file.read().unwrap(), bytes);
    // Once: later events or the safety-net scan do not hand it out again.
    nothing_within(&mut watcher, Duration::from_millis(500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_put_is_handed_out_only_after_it_settled() {
    let server = Arc::new(server(&[ACME]));
    let settle = Duration::from_secs(1);
    let mut watcher = watcher(&server, &[ACME], settle);
    nothing_within(&mut watcher, Duration::from_millis(50)).await;
    // 3 MB at 8 Mbit/s takes about three settle times to upload, so the watcher sees the file
    // growing for well over the settle time and must keep waiting.
    let bytes = payload(3_000_000, 2);
    let local = local_file(&server, "big.edi", &bytes);
    let upload = {
        let server = Arc::clone(&server);
        tokio::task::spawn_blocking(move || {
            let batch = format!("put {} inbox/big.edi", local.display());
            let out = server.sftp_with(ACME, &["-l", "8000"], &batch).unwrap();
            assert!(out.success(), "{out}");
        })
    };
    let file = next(&mut watcher).await;
    upload.await.unwrap();
    assert_eq!(file.name, "big.edi");
    // All of it: a file handed out while still growing would be short.
    assert_eq!(file.size, bytes.len() as u64);
    assert_eq!(file.read().unwrap(), bytes);
}

/// Stock OpenSSH `sftp -l` (a rate-limited put straight to the final name, as a partner's
/// script does) writes in bursts with pauses longer than the settle time: the file's size and
/// mtime stand still while sftp-server still holds it open for writing. It must not be handed
/// out until the upload is complete and closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_put_that_pauses_longer_than_the_settle_time_is_taken_only_when_closed() {
    rate_limited_put(true).await;
}

/// The same when `/proc` cannot see sftp-server's descriptors (a gateway that is not root):
/// the inotify events say the file was written to and not closed yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_put_is_taken_only_when_closed_by_the_events_alone() {
    rate_limited_put(false).await;
}

async fn rate_limited_put(ask_proc: bool) {
    let server = Arc::new(server(&[ACME]));
    let settle = Duration::from_millis(500);
    let mut watcher = watcher(&server, &[ACME], settle);
    if !ask_proc {
        watcher = watcher.without_proc_checks();
    }
    nothing_within(&mut watcher, Duration::from_millis(50)).await;
    // 1 MB at 1500 kbit/s: about six seconds of upload in bursts.
    let bytes = payload(1_000_000, 3);
    let local = local_file(&server, "slow.edi", &bytes);
    let target = server.partner_dirs(ACME).unwrap().inbox.join("slow.edi");
    let uploading = Arc::new(AtomicBool::new(true));
    // Watches the file grow, to show the pauses are longer than the settle time (otherwise
    // this test would prove nothing).
    let longest_pause = {
        let uploading = Arc::clone(&uploading);
        let (target, full) = (target.clone(), bytes.len() as u64);
        std::thread::spawn(move || {
            let mut longest = Duration::ZERO;
            let mut last: Option<(u64, std::time::Instant)> = None;
            while uploading.load(Ordering::Relaxed) {
                if let Ok(meta) = fs::metadata(&target) {
                    let size = meta.len();
                    match last {
                        Some((s, since)) if s == size => {
                            if size < full {
                                longest = longest.max(since.elapsed());
                            }
                        }
                        _ => last = Some((size, std::time::Instant::now())),
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            longest
        })
    };
    let upload = {
        let server = Arc::clone(&server);
        tokio::task::spawn_blocking(move || {
            let batch = format!("put {} inbox/slow.edi", local.display());
            let out = server.sftp_with(ACME, &["-l", "1500"], &batch).unwrap();
            assert!(out.success(), "{out}");
        })
    };
    let file = next(&mut watcher).await;
    let read = file.read().unwrap();
    upload.await.unwrap();
    uploading.store(false, Ordering::Relaxed);
    let longest_pause = longest_pause.join().unwrap();
    assert!(
        longest_pause > settle,
        "the upload never paused longer than the settle time ({longest_pause:?}): the test proves nothing"
    );
    assert_eq!(file.name, "slow.edi");
    // All of it: a file handed out mid-upload would be short.
    assert_eq!(file.size, bytes.len() as u64, "taken mid-upload");
    assert_eq!(read.len(), bytes.len());
    assert!(read == bytes, "content differs");
    nothing_within(&mut watcher, Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_files_are_downloadable_and_never_visible_incomplete() {
    let server = Arc::new(server(&[ACME]));
    const SIZE: usize = 128 * 1024;
    const MAX_FILES: usize = 400;
    let listing_done = Arc::new(AtomicBool::new(false));
    // The partner lists the outbox over and over while the gateway keeps writing: every final
    // name it ever sees must already have its full size (only `.part` names may be short).
    // This is the partner's view, and a race by nature; the deterministic proof that no byte is
    // ever written under a final name is the inotify unit test in `src/drop/root.rs`.
    let lister = {
        let server = Arc::clone(&server);
        let done = Arc::clone(&listing_done);
        tokio::task::spawn_blocking(move || {
            let listing = sftp_ok(&server, ACME, &"ls -l outbox\n".repeat(100));
            done.store(true, Ordering::Relaxed);
            listing
        })
    };
    let root = server.drop_root().clone();
    let done = Arc::clone(&listing_done);
    let written = tokio::task::spawn_blocking(move || {
        let mut written = Vec::new();
        while written.len() < MAX_FILES && !done.load(Ordering::Relaxed) {
            let i = written.len();
            written.push(
                root.write_outbound(ACME, &format!("997_{i:03}.x12"), &payload(SIZE, i as u8))
                    .unwrap()
                    .path,
            );
        }
        written
    })
    .await
    .unwrap();
    let listing = lister.await.unwrap();
    let mut final_entries = 0;
    for line in listing.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // `-rw-r--r--    ? root     root       131072 Nov 23 17:00 outbox/997_000.x12`
        if fields.len() < 9 || !fields[0].starts_with('-') {
            continue;
        }
        let name = fields[8];
        if name.ends_with(".part") {
            continue;
        }
        final_entries += 1;
        assert_eq!(
            fields[4],
            SIZE.to_string(),
            "incomplete final name listed: {line}"
        );
    }
    // Not vacuous: the listings saw final names while writing went on.
    assert!(final_entries > 0, "no final names listed:\n{listing}");
    assert!(!written.is_empty());

    let downloads = server.dir().join("downloads");
    fs::create_dir_all(&downloads).unwrap();
    let mut batch = String::new();
    for path in &written {
        let name = path.file_name().unwrap().to_str().unwrap();
        batch.push_str(&format!(
            "get outbox/{name} {}\n",
            downloads.join(name).display()
        ));
    }
    batch.push_str("ls -1 outbox\n");
    let out = sftp_ok(&server, ACME, &batch);
    assert!(
        !out.contains(".part"),
        "a .part file was left behind:\n{out}"
    );
    for (i, path) in written.iter().enumerate() {
        let name = path.file_name().unwrap();
        assert_eq!(
            fs::read(downloads.join(name)).unwrap(),
            payload(SIZE, i as u8)
        );
    }
}

#[tokio::test]
async fn a_partner_is_confined_to_its_own_folder() {
    let server = server(&[ACME, BETA]);
    let beta_secret = server
        .drop_root()
        .write_outbound(BETA, "secret.x12", b"for beta only")
        .unwrap()
        .path;
    let downloads = server.dir().join("downloads");
    fs::create_dir_all(&downloads).unwrap();

    // The chroot's root is acme's own folder: no other partner, no system files.
    let listing = sftp_ok(&server, ACME, "cd /..\nls -1 /");
    let names: Vec<&str> = listing
        .lines()
        .filter(|l| !l.starts_with("sftp>"))
        .map(|l| l.trim().trim_start_matches('/'))
        .collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        ["inbox", "outbox", "processed", "rejected"],
        "{listing}"
    );

    let local = downloads.join("stolen");
    for path in [
        format!("../{BETA}/outbox/secret.x12"),
        format!("/../{BETA}/outbox/secret.x12"),
        beta_secret.display().to_string(),
        "/etc/passwd".to_owned(),
    ] {
        let err = sftp_fails(&server, ACME, &format!("get {path} {}", local.display()));
        assert!(
            err.contains("not found") || err.contains("No such file"),
            "{path}: {err}"
        );
        assert!(!local.exists(), "{path} was downloaded");
    }
    // Acme may not write where only the gateway writes.
    let file = local_file(&server, "x.edi", b"x");
    let err = sftp_fails(
        &server,
        ACME,
        &format!("put {} processed/x.edi", file.display()),
    );
    assert!(err.contains("Permission denied"), "{err}");
    // And beta, with its own chroot, does get its file.
    sftp_ok(
        &server,
        BETA,
        &format!("get outbox/secret.x12 {}", local.display()),
    );
    assert_eq!(fs::read(&local).unwrap(), b"for beta only");
}

#[tokio::test]
async fn finish_moves_taken_files_and_never_overwrites_a_same_named_one() {
    let server = server(&[ACME]);
    let mut watcher = watcher(&server, &[ACME], Duration::from_secs(3600));
    let root = server.drop_root().clone();
    let mut finished = Vec::new();
    for (round, outcome) in [
        (1u8, Finish::Processed),
        (2, Finish::Processed),
        (3, Finish::Rejected),
    ] {
        let local = local_file(&server, "x.edi", &payload(1000, round));
        sftp_ok(
            &server,
            ACME,
            &format!(
                "put {} inbox/x.edi.part\nrename inbox/x.edi.part inbox/x.edi",
                local.display()
            ),
        );
        let file = next(&mut watcher).await;
        assert_eq!(file.read().unwrap(), payload(1000, round));
        finished.push(root.finish(&file, outcome).unwrap());
    }
    let dirs = server.partner_dirs(ACME).unwrap();
    assert_eq!(
        finished,
        [
            dirs.processed.join("x.edi"),
            dirs.processed.join("x.1.edi"),
            dirs.rejected.join("x.edi"),
        ]
    );
    for (round, path) in (1u8..).zip(&finished) {
        assert_eq!(
            fs::read(path).unwrap(),
            payload(1000, round),
            "{}",
            path.display()
        );
    }
    // The partner sees its inbox emptied and the outcome folders filled.
    let listing = sftp_ok(
        &server,
        ACME,
        "ls -1 inbox\nls -1 processed\nls -1 rejected",
    );
    assert!(!listing.contains("inbox/x.edi"), "{listing}");
    assert!(listing.contains("processed/x.1.edi"), "{listing}");
    assert!(listing.contains("rejected/x.edi"), "{listing}");
}

#[tokio::test]
async fn the_harness_moves_off_a_base_that_sshd_would_refuse_as_chroot_parent() {
    // The system temp folder is world-writable: chroots below it would fail sshd's check.
    let tmp = std::env::temp_dir();
    let server = SshServer::start(&tmp, &[ACME]).expect("sshd harness");
    assert!(
        server
            .dir()
            .starts_with(transport::drop::testing::FALLBACK_BASE),
        "{}",
        server.dir().display()
    );
    let local = local_file(&server, "x.edi", b"hello");
    let listing = sftp_ok(
        &server,
        ACME,
        &format!("put {} inbox/x.edi\nls -1 inbox", local.display()),
    );
    assert!(listing.contains("inbox/x.edi"), "{listing}");
}
