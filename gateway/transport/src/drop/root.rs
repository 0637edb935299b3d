//! The drop root: per-partner folders, atomic outbound writes and moving taken files away.
//!
//! Every publish (an outbound file appearing under its final name, an inbox file moving to
//! `processed/` or `rejected/`) is a hard link to a name that must not exist yet followed by an
//! unlink of the old name. `link(2)` fails instead of replacing an existing file, so two writers
//! (or two gateway processes) can never overwrite each other's files, and a reader never sees a
//! final name before its bytes are on disk.
//!
//! An outbound file is delivered once: its writer holds an exclusive `flock(2)` on its `.part`
//! file from creating it until it is published, so a `.part` nobody holds is a stale one (its
//! writer died) and is removed before the name is written again, and a final file already
//! holding the same bytes (a delivery that stopped between publishing and being recorded sent,
//! and came again) is the delivery: nothing is written a second time.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use tracing::{debug, info, warn};

use super::error::{DropError, DropResult, io_err};
use super::names::{check_file_name, check_partner, numbered_name};
use super::settle::Stamp;

/// How many numbered variants of a clashing name are tried before giving up.
const MAX_NAME_TRIES: u32 = 10_000;

/// Mode of the partner folder and the folders in it: sshd refuses a chroot directory that is
/// group- or other-writable.
const DIR_MODE: u32 = 0o755;

/// The folder under which every partner has `<partner>/{inbox,outbox,processed,rejected}`.
#[derive(Debug, Clone)]
pub struct DropRoot {
    root: PathBuf,
}

/// The folders of one partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerDirs {
    /// The partner id.
    pub partner: String,
    /// `<root>/<partner>`: the partner's SFTP chroot.
    pub base: PathBuf,
    /// Where the partner uploads files for the gateway.
    pub inbox: PathBuf,
    /// Where the gateway leaves files for the partner to download.
    pub outbox: PathBuf,
    /// Inbox files whose raw copy is stored and that were accepted.
    pub processed: PathBuf,
    /// Inbox files whose raw copy is stored and that were refused.
    pub rejected: PathBuf,
}

/// A complete file found in a partner's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingFile {
    /// The partner whose inbox it is in.
    pub partner: String,
    /// Where it is now.
    pub path: PathBuf,
    /// Its file name in the inbox.
    pub name: String,
    /// Its size in bytes when it was found complete.
    pub size: u64,
    /// Its inode, size and mtime when it was found complete: what it must still be when it is
    /// taken ([`IncomingFile::open_unchanged`]) and filed away ([`DropRoot::finish`]).
    pub stamp: Stamp,
}

/// An outbound file in a partner's outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Its path.
    pub path: PathBuf,
    /// It was there already with the same bytes (an earlier delivery of it published it and
    /// stopped before it was recorded sent): nothing was written.
    pub already_there: bool,
}

/// Where an incoming file goes once its raw copy is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// Accepted: moved to `processed/`.
    Processed,
    /// Refused: moved to `rejected/`.
    Rejected,
}

impl DropRoot {
    /// A drop root at `root`; nothing is created until a partner is ensured.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root folder.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Files waiting in `<root>/<folder>/inbox` of folders that are no partner's (`known`
    /// says which are): nobody takes them (design.md 3: files of unknown partners are
    /// refused), so the watcher names them in its log rather than let them pile up unseen.
    pub fn unknown_partner_files(&self, known: impl Fn(&str) -> bool) -> Vec<PathBuf> {
        let Ok(folders) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let mut found: Vec<PathBuf> = folders
            .flatten()
            .filter(|f| f.file_type().is_ok_and(|t| t.is_dir()))
            .filter(|f| !f.file_name().to_str().is_some_and(&known))
            .filter_map(|f| std::fs::read_dir(f.path().join("inbox")).ok())
            .flat_map(|inbox| inbox.flatten().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        found
    }

    /// The folders of `partner`, without touching the filesystem.
    pub fn partner_dirs(&self, partner: &str) -> DropResult<PartnerDirs> {
        check_partner(partner)?;
        let base = self.root.join(partner);
        Ok(PartnerDirs {
            partner: partner.to_owned(),
            inbox: base.join("inbox"),
            outbox: base.join("outbox"),
            processed: base.join("processed"),
            rejected: base.join("rejected"),
            base,
        })
    }

    /// Creates the partner's folders (idempotent), mode 0755 so the partner folder can serve as
    /// an OpenSSH chroot; [`DropRoot::sftp_layout`] adds the ownership sshd needs.
    pub fn ensure_partner(&self, partner: &str) -> DropResult<PartnerDirs> {
        let dirs = self.partner_dirs(partner)?;
        let mut builder = DirBuilder::new();
        builder.recursive(true).mode(DIR_MODE);
        for dir in [&dirs.inbox, &dirs.outbox, &dirs.processed, &dirs.rejected] {
            builder.create(dir).map_err(io_err("create dir", dir))?;
        }
        Ok(dirs)
    }

    /// Prepares `partner`'s folders for OpenSSH's `ChrootDirectory <root>/<partner>` with
    /// `ForceCommand internal-sftp`: the partner folder is owned by root with mode 0755 and every
    /// ancestor is checked to be root-owned and not group/other-writable (sshd's rule, checked
    /// here so a bad layout fails with a clear error instead of a refused login); `inbox/` and
    /// `outbox/` are given to the partner's system user (`uid`, `gid`) so it can upload, rename
    /// and delete there; `processed/` and `rejected/` stay root's. Needs root.
    pub fn sftp_layout(&self, partner: &str, uid: u32, gid: u32) -> DropResult<PartnerDirs> {
        let dirs = self.ensure_partner(partner)?;
        std::os::unix::fs::chown(&dirs.base, Some(0), Some(0))
            .map_err(io_err("chown", &dirs.base))?;
        fs::set_permissions(&dirs.base, fs::Permissions::from_mode(DIR_MODE))
            .map_err(io_err("chmod", &dirs.base))?;
        check_chroot_path(&dirs.base)?;
        for dir in [&dirs.inbox, &dirs.outbox] {
            std::os::unix::fs::chown(dir, Some(uid), Some(gid)).map_err(io_err("chown", dir))?;
            fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))
                .map_err(io_err("chmod", dir))?;
        }
        Ok(dirs)
    }

    /// Prepares a partner's folders for the service: with an SFTP user that exists on this
    /// system and a root process, the chroot layout of [`Self::sftp_layout`] (so the partner can
    /// log in and drop files); otherwise plain folders. Returns the folders and, when the
    /// chroot layout could not be applied, why (for a warning: the folders still work for
    /// local drops).
    pub fn prepare_partner(
        &self,
        partner: &str,
        sftp_user: Option<&str>,
    ) -> DropResult<(PartnerDirs, Option<String>)> {
        let Some(user) = sftp_user else {
            return Ok((self.ensure_partner(partner)?, None));
        };
        if !nix::unistd::geteuid().is_root() {
            let why = format!(
                "not running as root: {partner}'s folders are not chrooted for SFTP user {user}"
            );
            return Ok((self.ensure_partner(partner)?, Some(why)));
        }
        match nix::unistd::User::from_name(user) {
            Ok(Some(u)) => match self.sftp_layout(partner, u.uid.as_raw(), u.gid.as_raw()) {
                Ok(dirs) => Ok((dirs, None)),
                Err(e) => {
                    let why = format!("chroot layout for SFTP user {user} of {partner}: {e}");
                    Ok((self.ensure_partner(partner)?, Some(why)))
                }
            },
            Ok(None) => {
                let why = format!("SFTP user {user} of {partner} does not exist on this system");
                Ok((self.ensure_partner(partner)?, Some(why)))
            }
            Err(e) => {
                let why = format!("looking up SFTP user {user} of {partner}: {e}");
                Ok((self.ensure_partner(partner)?, Some(why)))
            }
        }
    }

    /// Writes `<outbox>/<name>.part` (held under an exclusive `flock`), fsyncs it, then
    /// publishes it as `<outbox>/<name>` without ever overwriting an existing file: a clash with
    /// other bytes gets a numbered name (`x.1.edi`). A file under the name (or one of its
    /// numbered names) already holding these bytes is this file delivered before: it is
    /// returned with `already_there` and nothing is written. Stale `.part` files of the name
    /// (left by a writer that died) are removed first. The final name appears only once all
    /// bytes are on disk.
    pub fn write_outbound(&self, partner: &str, name: &str, bytes: &[u8]) -> DropResult<Written> {
        check_file_name(name)?;
        let dirs = self.ensure_partner(partner)?;
        remove_stale_parts_of(&dirs.outbox, name)?;
        if let Some(path) = find_same_file(&dirs.outbox, name, bytes)? {
            info!(partner, file = %path.display(), "outbound file already delivered with these bytes, not written again");
            return Ok(Written {
                path,
                already_there: true,
            });
        }
        let (part_path, mut part) = create_part_file(&dirs.outbox, name)?;
        let written = part
            .write_all(bytes)
            .and_then(|()| part.sync_all())
            .map_err(io_err("write", &part_path));
        let published =
            written.and_then(|()| publish_no_clobber(&part_path, &dirs.outbox, name, Some(bytes)));
        if published.is_err() {
            // Leave no half-written file behind; the error that matters is the one returned.
            let _ = fs::remove_file(&part_path);
        }
        // The lock goes only once the `.part` name is gone.
        drop(part);
        let (path, already_there) = published?;
        if already_there {
            info!(partner, file = %path.display(), "outbound file published meanwhile with these bytes, not written again");
        } else {
            info!(partner, file = %path.display(), bytes = bytes.len(), "outbound file written");
        }
        Ok(Written {
            path,
            already_there,
        })
    }

    /// Removes the stale `.part` files of `partner`'s outbox — those no live writer holds
    /// (their writer died before publishing them) — and returns their paths. Run at start; a
    /// write in progress, in this process or another, is left alone.
    pub fn remove_stale_parts(&self, partner: &str) -> DropResult<Vec<PathBuf>> {
        let dirs = self.partner_dirs(partner)?;
        let entries = match fs::read_dir(&dirs.outbox) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err("read dir", &dirs.outbox)(e)),
        };
        let mut removed = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err("read dir", &dirs.outbox))?;
            let is_part = entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.ends_with(".part"));
            // `file_type` does not follow a symlink: only regular files are ours.
            if is_part && entry.file_type().is_ok_and(|t| t.is_file()) {
                let path = entry.path();
                if remove_if_stale(&path)? == Stale::Removed {
                    removed.push(path);
                }
            }
        }
        removed.sort();
        Ok(removed)
    }

    /// Moves a taken inbox file to `processed/` or `rejected/` (a numbered name if one with
    /// the same name is already there) and returns its new path. Call it only after the raw
    /// copy is stored: the inbox file is the partner's only proof until then.
    ///
    /// A file that changed since it was found complete ([`DropError::Changed`]: its writer was
    /// not done after all) is left where it is: what was taken is not what is there, and the
    /// watcher hands the file out again, complete, as a new file.
    pub fn finish(&self, file: &IncomingFile, outcome: Finish) -> DropResult<PathBuf> {
        file.check_unchanged()?;
        let dirs = self.ensure_partner(&file.partner)?;
        let dir = match outcome {
            Finish::Processed => &dirs.processed,
            Finish::Rejected => &dirs.rejected,
        };
        let (path, _) = publish_no_clobber(&file.path, dir, &file.name, None)?;
        info!(partner = %file.partner, file = %path.display(), outcome = ?outcome, "inbox file finished");
        Ok(path)
    }
}

impl IncomingFile {
    /// Opens the file for reading without following a symlink: a partner who swapped the file
    /// for a link (to `/etc/shadow`, say) after it was found gets an error, not our secrets.
    pub fn open(&self) -> DropResult<File> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&self.path)
            .map_err(io_err("open", &self.path))?;
        let meta = file.metadata().map_err(io_err("stat", &self.path))?;
        if !meta.is_file() {
            return Err(DropError::NotRegularFile {
                path: self.path.clone(),
            });
        }
        Ok(file)
    }

    /// Opens the file to take it (see [`IncomingFile::open`]), only when it is still what was
    /// found complete: same inode, size and mtime. The reader checks again at its end, so a
    /// copy made while the file still changed fails ([`DropError::Changed`] inside the
    /// `io::Error`) instead of passing for the whole file.
    pub fn open_unchanged(&self) -> DropResult<UnchangedReader> {
        let file = self.open()?;
        let now = file.metadata().map_err(io_err("stat", &self.path))?;
        self.compare(Stamp::of(&now))?;
        Ok(UnchangedReader {
            file,
            incoming: self.clone(),
            read: 0,
        })
    }

    /// `Ok` when the file at its path is still the one found complete; [`DropError::Changed`]
    /// when it grew, was rewritten, replaced or removed since.
    pub fn check_unchanged(&self) -> DropResult<()> {
        let now = fs::symlink_metadata(&self.path).ok();
        if now.as_ref().is_some_and(|m| !m.is_file()) {
            return Err(DropError::NotRegularFile {
                path: self.path.clone(),
            });
        }
        self.compare(now.as_ref().and_then(Stamp::of))
    }

    fn compare(&self, now: Option<Stamp>) -> DropResult<()> {
        let what = match now {
            Some(now) if now == self.stamp => return Ok(()),
            Some(now) if now.ino != self.stamp.ino => "replaced by another file".to_owned(),
            Some(now) if now.size != self.stamp.size => {
                format!("{} bytes, now {}", self.stamp.size, now.size)
            }
            Some(_) => "modified at the same size".to_owned(),
            None => "gone".to_owned(),
        };
        Err(DropError::Changed {
            path: self.path.clone(),
            what,
        })
    }

    /// Reads the whole file (see [`IncomingFile::open`]).
    pub fn read(&self) -> DropResult<Vec<u8>> {
        let mut file = self.open()?;
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut file, &mut bytes).map_err(io_err("read", &self.path))?;
        Ok(bytes)
    }
}

/// An inbox file being taken ([`IncomingFile::open_unchanged`]): reads it and, at its end,
/// checks that it is still the file found complete and that exactly its size was read.
pub struct UnchangedReader {
    file: File,
    incoming: IncomingFile,
    read: u64,
}

impl io::Read for UnchangedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read += n as u64;
        let ended = n == 0;
        if ended || self.read > self.incoming.stamp.size {
            let now = self.file.metadata()?;
            let mut check = self.incoming.compare(Stamp::of(&now));
            if check.is_ok() && self.read != self.incoming.stamp.size {
                check = Err(DropError::Changed {
                    path: self.incoming.path.clone(),
                    what: format!("{} bytes, read {}", self.incoming.stamp.size, self.read),
                });
            }
            check.map_err(io::Error::other)?;
        }
        Ok(n)
    }
}

/// The name of the `n`th temporary file for `name`: `<name>.part`, then `<name>.<n>.part`.
fn part_name(name: &str, n: u32) -> String {
    if n == 0 {
        format!("{name}.part")
    } else {
        format!("{name}.{n}.part")
    }
}

/// Creates `<dir>/<name>.part` exclusively and takes its lock; when it exists (a concurrent
/// writer, or a crash's leftover still there) `<name>.<n>.part` is used so no two writers
/// share a temporary file. Returned locked: a `.part` file is stale only once nobody holds it.
fn create_part_file(dir: &Path, name: &str) -> DropResult<(PathBuf, Flock<File>)> {
    for n in 0..MAX_NAME_TRIES {
        let path = dir.join(part_name(name, n));
        let file = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err("create", path)(e)),
        };
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            // Still the file under that name: between creating and locking it, a cleaner could
            // have taken it for a stale one and removed it.
            Ok(locked) if is_same_file(&path, &locked)? => return Ok((path, locked)),
            Ok(_) => continue,
            // A cleaner holds it for an instant and removes it: take another name.
            Err((_, Errno::EWOULDBLOCK)) => continue,
            Err((_, errno)) => return Err(io_err("lock", path)(io::Error::from(errno))),
        }
    }
    Err(DropError::NoFreeName {
        path: dir.join(format!("{name}.part")),
        tries: MAX_NAME_TRIES,
    })
}

/// Whether `path` still names the file open as `file` (a symlink never does).
fn is_same_file(path: &Path, file: &File) -> DropResult<bool> {
    let open = file.metadata().map_err(io_err("stat", path))?;
    match fs::symlink_metadata(path) {
        Ok(named) => Ok(named.dev() == open.dev() && named.ino() == open.ino()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_err("stat", path)(e)),
    }
}

/// What [`remove_if_stale`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stale {
    /// Nobody held it: removed.
    Removed,
    /// A writer holds it, or it is not a regular file of ours: left alone.
    Kept,
    /// No such file.
    Missing,
}

/// Removes the `.part` file at `path` if no writer holds its lock: its writer died before
/// publishing it (or after linking it to its final name, before unlinking it).
fn remove_if_stale(path: &Path) -> DropResult<Stale> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Stale::Missing),
        // A symlink (ELOOP) or anything else we may not open is not one of ours.
        Err(e) => {
            debug!(file = %path.display(), error = %e, "temporary file not checked");
            return Ok(Stale::Kept);
        }
    };
    let locked = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(locked) => locked,
        Err((_, Errno::EWOULDBLOCK)) => return Ok(Stale::Kept),
        Err((_, errno)) => return Err(io_err("lock", path)(io::Error::from(errno))),
    };
    if !locked.metadata().is_ok_and(|m| m.is_file()) || !is_same_file(path, &locked)? {
        return Ok(Stale::Kept);
    }
    match fs::remove_file(path) {
        Ok(()) => {
            warn!(file = %path.display(), "stale temporary file of an interrupted outbound write removed");
            Ok(Stale::Removed)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Stale::Missing),
        Err(e) => Err(io_err("remove", path)(e)),
    }
}

/// Removes the stale `.part` files of `name` in `dir` (`<name>.part`, `<name>.<n>.part`, up to
/// the first number not in use).
fn remove_stale_parts_of(dir: &Path, name: &str) -> DropResult<()> {
    for n in 0..MAX_NAME_TRIES {
        if remove_if_stale(&dir.join(part_name(name, n)))? == Stale::Missing {
            break;
        }
    }
    Ok(())
}

/// The file among `<dir>/<name>` and its numbered names (up to the first number not in use)
/// that holds exactly `bytes`, if any.
fn find_same_file(dir: &Path, name: &str, bytes: &[u8]) -> DropResult<Option<PathBuf>> {
    for n in 0..MAX_NAME_TRIES {
        let candidate = if n == 0 {
            name.to_owned()
        } else {
            numbered_name(name, n)
        };
        let path = dir.join(candidate);
        match holds(&path, bytes)? {
            Some(true) => return Ok(Some(path)),
            Some(false) => continue,
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// Whether the regular file at `path` holds exactly `bytes`; `None` when nothing is there.
/// Read without following a symlink, a block at a time.
fn holds(path: &Path, bytes: &[u8]) -> DropResult<Option<bool>> {
    let mut file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        // Something is there (a symlink, ELOOP) but not a file of ours.
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(Some(false)),
        Err(e) => return Err(io_err("open", path)(e)),
    };
    let meta = file.metadata().map_err(io_err("stat", path))?;
    if !meta.is_file() || meta.len() != bytes.len() as u64 {
        return Ok(Some(false));
    }
    let mut block = vec![0; 64 * 1024];
    let mut rest = bytes;
    loop {
        let n = file.read(&mut block).map_err(io_err("read", path))?;
        if n == 0 {
            return Ok(Some(rest.is_empty()));
        }
        if n > rest.len() || block[..n] != rest[..n] {
            return Ok(Some(false));
        }
        rest = &rest[n..];
    }
}

/// Gives `src` the name `<dir>/<name>` (or the first free numbered variant) and removes the old
/// name, so the file is never visible twice for long and never replaces another file. With
/// `same`, a name already holding those bytes is the file published before: `src` is removed
/// and that name returned with `true`.
fn publish_no_clobber(
    src: &Path,
    dir: &Path,
    name: &str,
    same: Option<&[u8]>,
) -> DropResult<(PathBuf, bool)> {
    let meta = fs::symlink_metadata(src).map_err(io_err("stat", src))?;
    if !meta.is_file() {
        return Err(DropError::NotRegularFile {
            path: src.to_owned(),
        });
    }
    for n in 0..MAX_NAME_TRIES {
        let candidate = if n == 0 {
            name.to_owned()
        } else {
            numbered_name(name, n)
        };
        let dest = dir.join(&candidate);
        match fs::hard_link(src, &dest) {
            Ok(()) => {
                fs::remove_file(src).map_err(io_err("remove", src))?;
                sync_dir(dir)?;
                if n > 0 {
                    debug!(file = %dest.display(), wanted = name, "name taken, used a numbered name");
                }
                return Ok((dest, false));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if let Some(bytes) = same
                    && holds(&dest, bytes)? == Some(true)
                {
                    fs::remove_file(src).map_err(io_err("remove", src))?;
                    return Ok((dest, true));
                }
            }
            Err(e) => return Err(io_err("link", dest)(e)),
        }
    }
    Err(DropError::NoFreeName {
        path: dir.join(name),
        tries: MAX_NAME_TRIES,
    })
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> DropResult<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync dir", dir))
}

/// Checks OpenSSH's rule for a `ChrootDirectory`: the directory and every ancestor must be
/// owned by root and not writable by group or others.
pub fn check_chroot_path(dir: &Path) -> DropResult<()> {
    let canonical = fs::canonicalize(dir).map_err(io_err("canonicalize", dir))?;
    for path in canonical.ancestors() {
        let meta = fs::metadata(path).map_err(io_err("stat", path))?;
        if meta.uid() != 0 {
            return Err(DropError::ChrootUnsafe {
                path: path.to_owned(),
                reason: format!("owned by uid {}, not root", meta.uid()),
            });
        }
        if meta.mode() & 0o022 != 0 {
            return Err(DropError::ChrootUnsafe {
                path: path.to_owned(),
                reason: format!(
                    "mode {:o} is group- or other-writable",
                    meta.mode() & 0o7777
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn root() -> (tempfile::TempDir, DropRoot) {
        let tmp = tempfile::tempdir().unwrap();
        let root = DropRoot::new(tmp.path().join("drop"));
        (tmp, root)
    }

    #[test]
    fn ensure_partner_creates_the_four_folders_idempotently() {
        let (_tmp, root) = root();
        let first = root.ensure_partner("acme").unwrap();
        let second = root.ensure_partner("acme").unwrap();
        assert_eq!(first, second);
        for dir in [
            &first.inbox,
            &first.outbox,
            &first.processed,
            &first.rejected,
        ] {
            assert!(dir.is_dir(), "{}", dir.display());
        }
        assert_eq!(first.base, root.path().join("acme"));
        assert!(root.ensure_partner("../etc").is_err());
    }

    #[test]
    fn files_in_the_inbox_of_no_partner_are_found() {
        let (_tmp, root) = root();
        root.ensure_partner("acme").unwrap();
        std::fs::write(root.path().join("acme/inbox/a.x12"), b"ISA").unwrap();
        assert!(root.unknown_partner_files(|p| p == "acme").is_empty());
        let nobody = root.path().join("nobody/inbox");
        std::fs::create_dir_all(&nobody).unwrap();
        std::fs::write(nobody.join("x.x12"), b"ISA").unwrap();
        assert_eq!(
            root.unknown_partner_files(|p| p == "acme"),
            vec![nobody.join("x.x12")]
        );
    }

    #[test]
    fn write_outbound_publishes_complete_bytes_and_leaves_no_part_file() {
        let (_tmp, root) = root();
        let written = root
            .write_outbound("acme", "997_1.x12", b"ISA*00~")
            .unwrap();
        assert!(!written.already_there);
        let path = written.path;
        assert_eq!(path, root.path().join("acme/outbox/997_1.x12"));
        assert_eq!(fs::read(&path).unwrap(), b"ISA*00~");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["997_1.x12".to_owned()]);
    }

    #[test]
    fn outbound_bytes_are_never_written_under_the_final_name() {
        use notify::event::{AccessKind, AccessMode, ModifyKind};
        use notify::{EventKind, RecursiveMode, Watcher};
        let (_tmp, root) = root();
        let dirs = root.ensure_partner("acme").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let mut watcher = notify::recommended_watcher(tx).unwrap();
        watcher
            .watch(&dirs.outbox, RecursiveMode::NonRecursive)
            .unwrap();
        for i in 0..5 {
            root.write_outbound("acme", "x.edi", &vec![b'x'; 100_000 + i])
                .unwrap();
        }
        // inotify keeps order: once the sentinel's event is in, every earlier one is too.
        fs::write(dirs.outbox.join("sentinel"), b"").unwrap();
        let mut final_names_created = 0;
        loop {
            let event = rx
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("the sentinel's event")
                .unwrap();
            let names: Vec<String> = event
                .paths
                .iter()
                .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
                .collect();
            if names.iter().any(|n| n == "sentinel") {
                break;
            }
            let writes_data = matches!(
                event.kind,
                EventKind::Modify(ModifyKind::Data(_))
                    | EventKind::Access(AccessKind::Close(AccessMode::Write))
            );
            for name in names.iter().filter(|n| !n.ends_with(".part")) {
                assert!(!writes_data, "bytes written under a final name: {event:?}");
                if matches!(event.kind, EventKind::Create(_)) {
                    final_names_created += 1;
                    // Whole from the moment the name exists.
                    let len = fs::metadata(dirs.outbox.join(name)).unwrap().len();
                    assert!(len >= 100_000, "{name} appeared with {len} bytes");
                }
            }
        }
        assert_eq!(final_names_created, 5);
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_outbound_never_overwrites_and_numbers_the_clash() {
        let (_tmp, root) = root();
        let a = root.write_outbound("acme", "x.edi", b"first").unwrap().path;
        let b = root
            .write_outbound("acme", "x.edi", b"second")
            .unwrap()
            .path;
        let c = root.write_outbound("acme", "x.edi", b"third").unwrap().path;
        assert_eq!(a.file_name().unwrap(), "x.edi");
        assert_eq!(b.file_name().unwrap(), "x.1.edi");
        assert_eq!(c.file_name().unwrap(), "x.2.edi");
        assert_eq!(fs::read(&a).unwrap(), b"first");
        assert_eq!(fs::read(&b).unwrap(), b"second");
        assert_eq!(fs::read(&c).unwrap(), b"third");
    }

    /// A delivery that came again (the process stopped after publishing the file, before it
    /// was recorded sent) finds the same bytes under the name: the partner has the file once,
    /// no `x.1.edi` copy. Also when the file went to a numbered name behind another's.
    #[test]
    fn a_redelivered_file_with_the_same_bytes_is_not_written_again() {
        let (_tmp, root) = root();
        let first = root
            .write_outbound("acme", "997-000000192.x12", b"ISA*00*A~")
            .unwrap();
        assert!(!first.already_there);
        let again = root
            .write_outbound("acme", "997-000000192.x12", b"ISA*00*A~")
            .unwrap();
        assert_eq!(again.path, first.path);
        assert!(again.already_there);
        let outbox = first.path.parent().unwrap().to_owned();
        assert_eq!(names(&outbox), ["997-000000192.x12"]);

        // Other bytes under the same name are another file: numbered, never overwritten.
        let other = root
            .write_outbound("acme", "997-000000192.x12", b"ISA*00*B~")
            .unwrap();
        assert_eq!(other.path, outbox.join("997-000000192.1.x12"));
        assert!(!other.already_there);
        let other_again = root
            .write_outbound("acme", "997-000000192.x12", b"ISA*00*B~")
            .unwrap();
        assert_eq!(other_again.path, other.path);
        assert!(other_again.already_there);
        // Same length, one byte different: not the same file.
        let third = root
            .write_outbound("acme", "997-000000192.x12", b"ISA*00*C~")
            .unwrap();
        assert_eq!(third.path, outbox.join("997-000000192.2.x12"));
        assert_eq!(
            names(&outbox),
            [
                "997-000000192.1.x12",
                "997-000000192.2.x12",
                "997-000000192.x12"
            ]
        );
        assert_eq!(
            fs::read(outbox.join("997-000000192.x12")).unwrap(),
            b"ISA*00*A~"
        );
    }

    /// A writer killed between linking its `.part` to the final name and unlinking it leaves
    /// both names on one complete file (the probe's `claim_response-…x12.part`); one killed
    /// while writing leaves a short `.part`. The next delivery of the name removes them: the
    /// first is the file delivered, the second is written again whole.
    #[test]
    fn stale_part_files_are_removed_when_the_name_is_delivered_again() {
        let (_tmp, root) = root();
        let dirs = root.ensure_partner("acme").unwrap();
        let done = dirs.outbox.join("claim_response-acme-000002596.x12");
        fs::write(&done, b"ISA*complete~").unwrap();
        fs::hard_link(
            &done,
            dirs.outbox.join("claim_response-acme-000002596.x12.part"),
        )
        .unwrap();
        let again = root
            .write_outbound(
                "acme",
                "claim_response-acme-000002596.x12",
                b"ISA*complete~",
            )
            .unwrap();
        assert_eq!((again.path, again.already_there), (done, true));

        fs::write(dirs.outbox.join("997-acme-000000007.x12.part"), b"ISA*trun").unwrap();
        fs::write(dirs.outbox.join("997-acme-000000007.x12.1.part"), b"ISA").unwrap();
        let whole = root
            .write_outbound("acme", "997-acme-000000007.x12", b"ISA*truncated no more~")
            .unwrap();
        assert!(!whole.already_there);
        assert_eq!(fs::read(&whole.path).unwrap(), b"ISA*truncated no more~");
        assert_eq!(
            names(&dirs.outbox),
            [
                "997-acme-000000007.x12",
                "claim_response-acme-000002596.x12"
            ]
        );
    }

    /// A `.part` a live writer holds (its `flock`) is not stale: a concurrent delivery of the
    /// name writes beside it and the start-time sweep leaves it, while removing an unheld one.
    #[test]
    fn a_part_file_held_by_its_writer_is_left_alone() {
        let (_tmp, root) = root();
        let dirs = root.ensure_partner("acme").unwrap();
        let held_path = dirs.outbox.join("x.edi.part");
        fs::write(&held_path, b"being written").unwrap();
        let held = Flock::lock(
            File::open(&held_path).unwrap(),
            FlockArg::LockExclusiveNonblock,
        )
        .unwrap();
        fs::write(dirs.outbox.join("y.edi.part"), b"stale").unwrap();
        let path = root.write_outbound("acme", "x.edi", b"fresh").unwrap().path;
        assert_eq!(fs::read(path).unwrap(), b"fresh");
        assert_eq!(fs::read(&held_path).unwrap(), b"being written");
        assert!(!dirs.outbox.join("x.edi.1.part").exists());

        assert_eq!(
            root.remove_stale_parts("acme").unwrap(),
            [dirs.outbox.join("y.edi.part")]
        );
        assert_eq!(names(&dirs.outbox), ["x.edi", "x.edi.part"]);
        drop(held);
        assert_eq!(root.remove_stale_parts("acme").unwrap(), [held_path]);
        assert_eq!(names(&dirs.outbox), ["x.edi"]);
        // A partner without an outbox yet has nothing stale.
        assert!(root.remove_stale_parts("beta").unwrap().is_empty());
    }

    #[test]
    fn write_outbound_refuses_names_that_are_paths_or_temporary() {
        let (_tmp, root) = root();
        for name in ["../x", "x.part", ".x", ""] {
            assert!(matches!(
                root.write_outbound("acme", name, b"x"),
                Err(DropError::InvalidFileName { .. })
            ));
        }
    }

    /// What the watcher hands out for the regular file at `path`, as it is now.
    fn incoming_file(path: &Path) -> IncomingFile {
        let stamp = Stamp::of(&fs::symlink_metadata(path).unwrap()).unwrap();
        IncomingFile {
            partner: "acme".into(),
            path: path.to_owned(),
            name: path.file_name().unwrap().to_str().unwrap().to_owned(),
            size: stamp.size,
            stamp,
        }
    }

    fn read_all(mut r: impl io::Read) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    /// Size and mtime are checked again right before a file is taken, after its copy and
    /// before it is filed away: a file whose writer was not done after all is never taken or
    /// moved as complete, and stays in the inbox.
    #[test]
    fn a_file_that_changed_after_it_was_found_complete_is_not_taken_or_moved() {
        let (_tmp, root) = root();
        let dirs = root.ensure_partner("acme").unwrap();
        let path = dirs.inbox.join("x.edi");
        fs::write(&path, b"ISA*first half").unwrap();
        let found = incoming_file(&path);
        // Unchanged: read whole.
        assert_eq!(
            read_all(found.open_unchanged().unwrap()).unwrap(),
            b"ISA*first half"
        );
        // It grows before it is taken: refused at the open.
        let mut writer = OpenOptions::new().append(true).open(&path).unwrap();
        writer.write_all(b", second half").unwrap();
        assert!(matches!(
            found.open_unchanged(),
            Err(DropError::Changed { .. })
        ));
        // It grows while it is copied: the copy fails at its end.
        let found = incoming_file(&path);
        let mut reader = found.open_unchanged().unwrap();
        let mut first = [0u8; 4];
        io::Read::read_exact(&mut reader, &mut first).unwrap();
        writer.write_all(b"~").unwrap();
        let error = read_all(reader).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("changed after it was found complete"),
            "{error}"
        );
        // It grows after its copy: not filed away, still in the inbox for the next take.
        let found = incoming_file(&path);
        read_all(found.open_unchanged().unwrap()).unwrap();
        writer.write_all(b"IEA~").unwrap();
        assert!(matches!(
            root.finish(&found, Finish::Rejected),
            Err(DropError::Changed { .. })
        ));
        assert!(path.exists());
        assert!(fs::read_dir(&dirs.rejected).unwrap().next().is_none());
        // Once it is what was found, it is filed away.
        let found = incoming_file(&path);
        assert_eq!(
            root.finish(&found, Finish::Rejected).unwrap(),
            dirs.rejected.join("x.edi")
        );
    }

    #[test]
    fn finish_moves_to_processed_or_rejected_without_overwriting() {
        let (_tmp, root) = root();
        let dirs = root.ensure_partner("acme").unwrap();
        let incoming = |bytes: &[u8]| {
            let path = dirs.inbox.join("x.edi");
            fs::write(&path, bytes).unwrap();
            incoming_file(&path)
        };
        let first = root.finish(&incoming(b"one"), Finish::Processed).unwrap();
        let second = root.finish(&incoming(b"two"), Finish::Processed).unwrap();
        let third = root.finish(&incoming(b"three"), Finish::Rejected).unwrap();
        assert_eq!(first, dirs.processed.join("x.edi"));
        assert_eq!(second, dirs.processed.join("x.1.edi"));
        assert_eq!(third, dirs.rejected.join("x.edi"));
        assert_eq!(fs::read(first).unwrap(), b"one");
        assert_eq!(fs::read(second).unwrap(), b"two");
        assert_eq!(fs::read(third).unwrap(), b"three");
        assert!(!dirs.inbox.join("x.edi").exists());
    }

    #[test]
    fn open_refuses_a_symlink_swapped_in_for_the_file() {
        let (tmp, root) = root();
        let dirs = root.ensure_partner("acme").unwrap();
        let secret = tmp.path().join("secret");
        fs::write(&secret, b"secret").unwrap();
        let path = dirs.inbox.join("x.edi");
        std::os::unix::fs::symlink(&secret, &path).unwrap();
        // Found complete as the regular file it was, then swapped for the link.
        let file = IncomingFile {
            path,
            name: "x.edi".into(),
            ..incoming_file(&secret)
        };
        assert!(file.read().is_err());
        assert!(file.open_unchanged().is_err());
        assert!(matches!(
            root.finish(&file, Finish::Processed),
            Err(DropError::NotRegularFile { .. })
        ));
    }

    #[test]
    fn chroot_check_names_a_group_writable_ancestor() {
        let (tmp, _root) = root();
        let dir = tmp.path().join("a/b");
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(tmp.path().join("a"), fs::Permissions::from_mode(0o775)).unwrap();
        match check_chroot_path(&dir) {
            Err(DropError::ChrootUnsafe { path, .. }) => {
                // The first offender from the bottom is `a` (b is 0755); /tmp itself is 1777.
                assert_eq!(path, fs::canonicalize(tmp.path().join("a")).unwrap());
            }
            other => panic!("expected ChrootUnsafe, got {other:?}"),
        }
    }
}
