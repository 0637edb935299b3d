//! Test harness: the system's OpenSSH `sshd` serving a [`DropRoot`] over SFTP, one chroot per
//! partner, on a free loopback port, with generated host and client keys. For this crate's
//! tests and the server's black-box tests (cargo feature `testing`); needs root, because sshd
//! chroots and partners are system users.
//!
//! ```no_run
//! # use transport::drop::testing::SshServer;
//! let server = SshServer::start(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), &["acme"])?;
//! let out = server.sftp("acme", "put /etc/hostname inbox/h.part\nrename inbox/h.part inbox/h")?;
//! assert!(out.success(), "{out}");
//! # Ok::<(), transport::drop::testing::HarnessError>(())
//! ```

use std::fmt;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::error::DropError;
use super::root::{DropRoot, PartnerDirs, check_chroot_path};

/// Where sshd lives on Debian; the prerequisites script installs it when missing.
const SSHD: &str = "/usr/sbin/sshd";
/// How long sshd may take to report that it listens.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// An sftp batch that has not finished by then is killed and reported.
const SFTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Why the harness could not do what a test asked.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A command (ssh-keygen, useradd, sshd, sftp) could not run or failed.
    #[error("{what}: {detail}")]
    Command {
        /// What was attempted.
        what: String,
        /// Its error output or exit status.
        detail: String,
    },
    /// Setting up the drop folders failed.
    #[error(transparent)]
    Drop(#[from] DropError),
    /// A file or folder of the harness could not be written.
    #[error("{what}: {source}")]
    Io {
        /// What was attempted.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// sshd's log lines, appended by the thread that drains its stderr.
type SshdLog = Arc<Mutex<Vec<String>>>;

/// A running sshd serving `<dir>/drop/<partner>` as each partner's chroot. Stops on drop.
pub struct SshServer {
    dir: PathBuf,
    port: u16,
    root: DropRoot,
    child: Child,
    log: SshdLog,
}

/// What an `sftp -b` run printed and how it ended.
#[derive(Debug, Clone)]
pub struct SftpOutput {
    /// Exit status code (`None` when killed by a signal or the timeout).
    pub status: Option<i32>,
    /// Standard output: the echoed commands and listings.
    pub stdout: String,
    /// Standard error: errors such as "Permission denied" or "not found".
    pub stderr: String,
}

impl SftpOutput {
    /// Whether every batch command succeeded (sftp stops at the first failing one).
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }
}

impl fmt::Display for SftpOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sftp exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

impl SshServer {
    /// Installs OpenSSH if missing (`scripts/sftp-prereqs.sh`), creates a unique folder under
    /// `<base>/sftp-test/`, generates keys, creates each partner's system user
    /// (same name as the partner) when missing, lays out the drop folders for chroot and starts
    /// sshd on a free loopback port. Tests pass `env!("CARGO_TARGET_TMPDIR")` as `base`.
    ///
    /// sshd refuses a chroot with a parent that is not root-owned or is group/other-writable
    /// (a checkout under /tmp, say); then [`FALLBACK_BASE`] is used instead of `base`.
    pub fn start(base: &Path, partners: &[&str]) -> Result<Self, HarnessError> {
        ensure_prerequisites()?;
        let dir = unique_dir(&chroot_safe_base(base)?)?;
        let root = DropRoot::new(dir.join("drop"));
        for partner in partners {
            ensure_user(partner)?;
            let (uid, gid) = user_ids(partner)?;
            root.sftp_layout(partner, uid, gid)?;
        }
        keygen(&dir.join("host_key"))?;
        keygen(&dir.join("client_key"))?;
        let public = read(&dir.join("client_key.pub"))?;
        write(&dir.join("authorized_keys"), &public)?;
        // Try a few ports: another process may take the one we found free before sshd binds it.
        let mut last = None;
        for _ in 0..5 {
            let port = free_port()?;
            write(
                &dir.join("sshd_config"),
                &sshd_config(&dir, &root, port, partners),
            )?;
            match spawn_sshd(&dir) {
                Ok((child, log)) => {
                    return Ok(Self {
                        dir,
                        port,
                        root,
                        child,
                        log,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| HarnessError::Command {
            what: "start sshd".into(),
            detail: "no attempt made".into(),
        }))
    }

    /// The drop root sshd serves.
    pub fn drop_root(&self) -> &DropRoot {
        &self.root
    }

    /// A partner's folders.
    pub fn partner_dirs(&self, partner: &str) -> Result<PartnerDirs, HarnessError> {
        Ok(self.root.partner_dirs(partner)?)
    }

    /// The loopback port sshd listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The harness folder (keys, config, drop root).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What sshd logged so far, for failure messages.
    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    /// The `sftp` arguments that log `partner` in: batch mode, key auth only, no user or system
    /// ssh config, host key accepted into the harness's own known_hosts.
    pub fn sftp_args(&self, partner: &str) -> Vec<String> {
        let known_hosts = self.dir.join("known_hosts");
        let key = self.dir.join("client_key");
        vec![
            "-F".into(),
            "/dev/null".into(),
            "-P".into(),
            self.port.to_string(),
            "-i".into(),
            key.display().to_string(),
            "-o".into(),
            "StrictHostKeyChecking=no".into(),
            "-o".into(),
            format!("UserKnownHostsFile={}", known_hosts.display()),
            "-o".into(),
            "BatchMode=yes".into(),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
            "-o".into(),
            "IdentityAgent=none".into(),
            "-o".into(),
            "ConnectTimeout=10".into(),
            "-o".into(),
            "LogLevel=ERROR".into(),
            format!("{partner}@127.0.0.1"),
        ]
    }

    /// Runs `sftp -b -` as `partner` with `batch` (one command a line) on standard input.
    /// Paths are relative to the partner's chroot: `inbox/x.edi`, `outbox/`.
    pub fn sftp(&self, partner: &str, batch: &str) -> Result<SftpOutput, HarnessError> {
        self.sftp_with(partner, &[], batch)
    }

    /// [`SshServer::sftp`] with extra client options before the destination, such as
    /// `["-l", "8000"]` to limit the bandwidth to 8000 Kbit/s.
    pub fn sftp_with(
        &self,
        partner: &str,
        extra_args: &[&str],
        batch: &str,
    ) -> Result<SftpOutput, HarnessError> {
        let mut args = self.sftp_args(partner);
        let destination = args.pop();
        args.extend(extra_args.iter().map(|a| a.to_string()));
        args.extend(destination);
        let mut child = Command::new("sftp")
            .arg("-b")
            .arg("-")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| command_error("run sftp", e))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(batch.as_bytes())
                .and_then(|()| stdin.write_all(b"\n"))
                .map_err(|e| command_error("write sftp batch", e))?;
        }
        let (tx, rx) = mpsc::channel();
        let id = child.id();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        match rx.recv_timeout(SFTP_TIMEOUT) {
            Ok(Ok(out)) => Ok(SftpOutput {
                status: out.status.code(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }),
            Ok(Err(e)) => Err(command_error("wait for sftp", e)),
            Err(_) => {
                let _ = Command::new("kill").arg(id.to_string()).status();
                Err(HarnessError::Command {
                    what: "sftp batch".into(),
                    detail: format!(
                        "no answer within {SFTP_TIMEOUT:?}; sshd log:\n{}",
                        self.log()
                    ),
                })
            }
        }
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Kept after a failed test for a look at the drop folders, config and keys.
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Runs `scripts/sftp-prereqs.sh` unless sshd, sftp and ssh-keygen are all there (and makes
/// sure sshd's privilege-separation folder exists, which vanishes on reboot).
fn ensure_prerequisites() -> Result<(), HarnessError> {
    static DONE: Mutex<bool> = Mutex::new(false);
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    if *done {
        return Ok(());
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sftp-prereqs.sh");
    run(
        "install OpenSSH (scripts/sftp-prereqs.sh)",
        Command::new("bash").arg(&script),
    )?;
    if !Path::new(SSHD).exists() {
        return Err(HarnessError::Command {
            what: "find sshd".into(),
            detail: format!("{SSHD} is missing after {}", script.display()),
        });
    }
    *done = true;
    Ok(())
}

/// Where the harness goes when the given base fails sshd's chroot rule: its parents are
/// root-owned 0755 on any Debian-like system.
pub const FALLBACK_BASE: &str = "/var/lib/chargegate-test";

/// `base` if sshd would accept chroots below it, else [`FALLBACK_BASE`].
fn chroot_safe_base(base: &Path) -> Result<PathBuf, HarnessError> {
    fs::create_dir_all(base).map_err(|e| io_error(format!("create {}", base.display()), e))?;
    if check_chroot_path(base).is_ok() {
        return Ok(base.to_owned());
    }
    let fallback = PathBuf::from(FALLBACK_BASE);
    fs::create_dir_all(&fallback)
        .map_err(|e| io_error(format!("create {}", fallback.display()), e))?;
    fs::set_permissions(&fallback, fs::Permissions::from_mode(0o755))
        .map_err(|e| io_error(format!("chmod {}", fallback.display()), e))?;
    check_chroot_path(&fallback)?;
    Ok(fallback)
}

/// A fresh folder `<base>/sftp-test/<pid>-<n>-<nanos>`, root-owned 0755 like its parents must be.
fn unique_dir(base: &Path) -> Result<PathBuf, HarnessError> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let parent = base.join("sftp-test");
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = parent.join(format!(
        "{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).map_err(|e| io_error(format!("create {}", dir.display()), e))?;
    for path in [&parent, &dir] {
        fs::set_permissions(path, fs::Permissions::from_mode(0o755))
            .map_err(|e| io_error(format!("chmod {}", path.display()), e))?;
    }
    Ok(dir)
}

/// Creates the system user `name` (no home, no shell, password `*` so that sshd without PAM
/// does not treat the account as locked, as it would with useradd's default `!`).
fn ensure_user(name: &str) -> Result<(), HarnessError> {
    // Tests in one process start servers in parallel; useradd takes a lock on /etc/passwd and
    // fails instead of waiting, so serialise here and retry against other processes.
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    for attempt in 0..20 {
        if user_ids(name).is_ok() {
            return Ok(());
        }
        let out = Command::new("useradd")
            .args(["-M", "-s", "/usr/sbin/nologin", "-p", "*", name])
            .output()
            .map_err(|e| command_error("run useradd", e))?;
        if out.status.success() {
            return Ok(());
        }
        if attempt == 19 {
            return Err(HarnessError::Command {
                what: format!("useradd {name}"),
                detail: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// The uid and gid of a system user.
fn user_ids(name: &str) -> Result<(u32, u32), HarnessError> {
    let id = |flag: &str| -> Result<u32, HarnessError> {
        let out = Command::new("id")
            .args([flag, name])
            .output()
            .map_err(|e| command_error("run id", e))?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| HarnessError::Command {
                what: format!("id {flag} {name}"),
                detail: String::from_utf8_lossy(&out.stderr).into_owned(),
            })
    };
    Ok((id("-u")?, id("-g")?))
}

fn keygen(path: &Path) -> Result<(), HarnessError> {
    run(
        "ssh-keygen",
        Command::new("ssh-keygen")
            .args([
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "chargegate-test",
                "-f",
            ])
            .arg(path),
    )
}

/// A port that was free a moment ago.
fn free_port() -> Result<u16, HarnessError> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| io_error("bind a free port".into(), e))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| io_error("read the free port".into(), e))
}

/// sshd_config: loopback only, key auth only from the harness's authorized_keys, and per
/// partner a chroot to its drop folder with internal-sftp forced.
fn sshd_config(dir: &Path, root: &DropRoot, port: u16, partners: &[&str]) -> String {
    let mut cfg = format!(
        "Port {port}\n\
         ListenAddress 127.0.0.1\n\
         HostKey {host_key}\n\
         PidFile none\n\
         AuthorizedKeysFile {keys}\n\
         AuthenticationMethods publickey\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         UsePAM no\n\
         PermitRootLogin no\n\
         StrictModes no\n\
         AllowUsers {users}\n\
         AllowTcpForwarding no\n\
         X11Forwarding no\n\
         LogLevel VERBOSE\n\
         Subsystem sftp internal-sftp\n",
        host_key = dir.join("host_key").display(),
        keys = dir.join("authorized_keys").display(),
        users = partners.join(" "),
    );
    for partner in partners {
        cfg.push_str(&format!(
            "Match User {partner}\n  ChrootDirectory {}\n  ForceCommand internal-sftp\n",
            root.path().join(partner).display()
        ));
    }
    cfg
}

/// Starts `sshd -D -e` and waits until it logs that it listens; its log is kept for failures.
fn spawn_sshd(dir: &Path) -> Result<(Child, SshdLog), HarnessError> {
    let config = dir.join("sshd_config");
    run(
        "sshd -t (config check)",
        Command::new(SSHD).arg("-t").arg("-f").arg(&config),
    )?;
    let mut child = Command::new(SSHD)
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| command_error("start sshd", e))?;
    let log = Arc::new(Mutex::new(Vec::new()));
    let (ready_tx, ready_rx) = mpsc::channel();
    if let Some(stderr) = child.stderr.take() {
        let log = Arc::clone(&log);
        // Keeps reading for the server's whole life so sshd never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("Server listening on") {
                    let _ = ready_tx.send(());
                }
                if let Ok(mut log) = log.lock() {
                    log.push(line);
                }
            }
        });
    }
    if ready_rx.recv_timeout(START_TIMEOUT).is_ok() {
        return Ok((child, log));
    }
    let _ = child.kill();
    let _ = child.wait();
    let detail = log.lock().map(|l| l.join("\n")).unwrap_or_default();
    Err(HarnessError::Command {
        what: "start sshd".into(),
        detail,
    })
}

fn run(what: &str, command: &mut Command) -> Result<(), HarnessError> {
    let out = command.output().map_err(|e| command_error(what, e))?;
    if out.status.success() {
        return Ok(());
    }
    Err(HarnessError::Command {
        what: what.into(),
        detail: format!(
            "{}: {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    })
}

fn read(path: &Path) -> Result<String, HarnessError> {
    fs::read_to_string(path).map_err(|e| io_error(format!("read {}", path.display()), e))
}

fn write(path: &Path, text: &str) -> Result<(), HarnessError> {
    fs::write(path, text).map_err(|e| io_error(format!("write {}", path.display()), e))
}

fn command_error(what: &str, e: std::io::Error) -> HarnessError {
    HarnessError::Command {
        what: what.into(),
        detail: e.to_string(),
    }
}

fn io_error(what: String, source: std::io::Error) -> HarnessError {
    HarnessError::Io { what, source }
}
