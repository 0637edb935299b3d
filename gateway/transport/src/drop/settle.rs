//! When an inbox file counts as complete. Pure bookkeeping: the watcher feeds it observations
//! (size, mtime, inode) with the time they were made, and asks which files are due; the clock
//! and the filesystem are arguments, so the rules are tested without sleeping.
//!
//! The rules: a file renamed into the inbox is complete at once (the `.part`-then-rename
//! convention, where the rename is the partner's "done"); any other file is complete once its
//! stamp has stayed the same for the settle time. Each file (path plus stamp) is handed out once.

use std::collections::HashMap;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::root::IncomingFile;

/// What is compared to decide that a file stopped changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Inode: a file replaced under the same name is a different file.
    pub ino: u64,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time.
    pub mtime: SystemTime,
}

impl Stamp {
    /// The stamp of a regular file; `None` for anything else (symlinks, folders, devices), which
    /// the watcher never hands out.
    pub fn of(meta: &Metadata) -> Option<Self> {
        if !meta.file_type().is_file() {
            return None;
        }
        Some(Self {
            ino: meta.ino(),
            size: meta.len(),
            mtime: meta.modified().ok()?,
        })
    }
}

/// A file seen but not yet complete.
#[derive(Debug)]
struct Pending {
    partner: String,
    name: String,
    stamp: Stamp,
    /// When `stamp` was first seen; the file is due at `stable_since + settle`.
    stable_since: Instant,
}

/// Tracks inbox files until they are complete.
#[derive(Debug)]
pub struct Settler {
    settle: Duration,
    pending: HashMap<PathBuf, Pending>,
    /// Files already handed out, with the stamp they had then: seeing the same stamp again is
    /// ignored, a different one (the partner uploaded a new file under the same name) is new.
    handed_out: HashMap<PathBuf, Stamp>,
}

impl Settler {
    /// A tracker that needs `settle` without change before it calls a file complete.
    pub fn new(settle: Duration) -> Self {
        Self {
            settle,
            pending: HashMap::new(),
            handed_out: HashMap::new(),
        }
    }

    /// Records what was seen at `path` at `now`. `stamp` is `None` when the path is gone or is
    /// not a regular file. `renamed_in` says the path just appeared through a rename, which makes
    /// the file complete at once. Returns the file if it is complete now.
    pub fn observe(
        &mut self,
        partner: &str,
        path: &Path,
        stamp: Option<Stamp>,
        renamed_in: bool,
        now: Instant,
    ) -> Option<IncomingFile> {
        let Some(stamp) = stamp else {
            self.pending.remove(path);
            self.handed_out.remove(path);
            return None;
        };
        if self.handed_out.get(path) == Some(&stamp) {
            return None;
        }
        let name = path.file_name()?.to_str()?.to_owned();
        if renamed_in {
            self.pending.remove(path);
            return Some(self.hand_out(partner.to_owned(), path.to_owned(), name, stamp));
        }
        match self.pending.get_mut(path) {
            Some(pending) if pending.stamp == stamp => {}
            Some(pending) => {
                pending.stamp = stamp;
                pending.stable_since = now;
            }
            None => {
                self.pending.insert(
                    path.to_owned(),
                    Pending {
                        partner: partner.to_owned(),
                        name,
                        stamp,
                        stable_since: now,
                    },
                );
            }
        }
        None
    }

    /// Re-checks every pending file whose settle time has passed at `now`, using `stat` for its
    /// current stamp, and returns those that did not change. Changed files wait another settle
    /// time; vanished ones are forgotten.
    pub fn poll(
        &mut self,
        now: Instant,
        mut stat: impl FnMut(&Path) -> Option<Stamp>,
    ) -> Vec<IncomingFile> {
        let due: Vec<PathBuf> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_duration_since(p.stable_since) >= self.settle)
            .map(|(path, _)| path.clone())
            .collect();
        let mut complete = Vec::new();
        for path in due {
            let current = stat(&path);
            let Some(pending) = self.pending.get_mut(&path) else {
                continue;
            };
            match current {
                Some(stamp) if stamp == pending.stamp => {
                    if let Some(p) = self.pending.remove(&path) {
                        complete.push(self.hand_out(p.partner, path, p.name, stamp));
                    }
                }
                Some(stamp) => {
                    pending.stamp = stamp;
                    pending.stable_since = now;
                }
                None => {
                    self.pending.remove(&path);
                }
            }
        }
        complete
    }

    /// When the next pending file becomes due, if any.
    pub fn next_due(&self) -> Option<Instant> {
        self.pending
            .values()
            .map(|p| p.stable_since + self.settle)
            .min()
    }

    /// Forgets paths (pending or handed out) under `dir` that are not in `present`: called
    /// after a full scan, so the maps do not grow with files that were moved away.
    pub fn retain_present(&mut self, dir: &Path, present: &dyn Fn(&Path) -> bool) {
        let keep = |path: &PathBuf| path.parent() != Some(dir) || present(path);
        self.pending.retain(|path, _| keep(path));
        self.handed_out.retain(|path, _| keep(path));
    }

    /// How many files are waiting to settle.
    #[cfg(test)]
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    fn hand_out(
        &mut self,
        partner: String,
        path: PathBuf,
        name: String,
        stamp: Stamp,
    ) -> IncomingFile {
        self.handed_out.insert(path.clone(), stamp);
        IncomingFile {
            partner,
            path,
            name,
            size: stamp.size,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::fs;

    const SETTLE: Duration = Duration::from_secs(2);

    fn stamp(size: u64, mtime_secs: u64) -> Stamp {
        Stamp {
            ino: 7,
            size,
            mtime: SystemTime::UNIX_EPOCH + Duration::from_secs(mtime_secs),
        }
    }

    fn path() -> PathBuf {
        PathBuf::from("/drop/acme/inbox/x.edi")
    }

    #[test]
    fn a_file_is_complete_only_after_its_stamp_held_for_the_settle_time() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        assert_eq!(
            s.observe("acme", &path(), Some(stamp(10, 1)), false, t0),
            None
        );
        assert_eq!(s.next_due(), Some(t0 + SETTLE));
        // Not yet due: poll does not even stat.
        assert!(
            s.poll(t0 + SETTLE / 2, |_| panic!("stat before due"))
                .is_empty()
        );
        let done = s.poll(t0 + SETTLE, |_| Some(stamp(10, 1)));
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].name, "x.edi");
        assert_eq!(done[0].partner, "acme");
        assert_eq!(done[0].size, 10);
        assert_eq!(s.pending_len(), 0);
    }

    #[test]
    fn a_growing_file_restarts_its_settle_time() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        s.observe("acme", &path(), Some(stamp(10, 1)), false, t0);
        // Still growing when due: waits a full settle time from this change.
        assert!(s.poll(t0 + SETTLE, |_| Some(stamp(20, 2))).is_empty());
        assert_eq!(s.next_due(), Some(t0 + SETTLE * 2));
        // An event during the wait with yet another size pushes it further.
        s.observe(
            "acme",
            &path(),
            Some(stamp(30, 3)),
            false,
            t0 + SETTLE * 3 / 2,
        );
        assert!(s.poll(t0 + SETTLE * 2, |_| Some(stamp(30, 3))).is_empty());
        assert_eq!(s.poll(t0 + SETTLE * 5 / 2, |_| Some(stamp(30, 3))).len(), 1);
    }

    #[test]
    fn an_mtime_change_without_size_change_also_restarts() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        s.observe("acme", &path(), Some(stamp(10, 1)), false, t0);
        assert!(s.poll(t0 + SETTLE, |_| Some(stamp(10, 2))).is_empty());
        assert_eq!(s.poll(t0 + SETTLE * 2, |_| Some(stamp(10, 2))).len(), 1);
    }

    #[test]
    fn repeated_observations_of_the_same_stamp_do_not_restart() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        s.observe("acme", &path(), Some(stamp(10, 1)), false, t0);
        s.observe("acme", &path(), Some(stamp(10, 1)), false, t0 + SETTLE / 2);
        assert_eq!(s.poll(t0 + SETTLE, |_| Some(stamp(10, 1))).len(), 1);
    }

    #[test]
    fn a_renamed_in_file_is_complete_at_once() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        let done = s.observe("acme", &path(), Some(stamp(10, 1)), true, t0);
        assert_eq!(done.map(|f| f.size), Some(10));
        assert_eq!(s.next_due(), None);
    }

    #[test]
    fn a_file_is_handed_out_once_until_it_is_replaced() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        assert!(
            s.observe("acme", &path(), Some(stamp(10, 1)), true, t0)
                .is_some()
        );
        // The same file seen again by a scan or a late event: ignored.
        assert!(
            s.observe("acme", &path(), Some(stamp(10, 1)), true, t0)
                .is_none()
        );
        assert!(
            s.observe("acme", &path(), Some(stamp(10, 1)), false, t0)
                .is_none()
        );
        assert_eq!(s.next_due(), None);
        // A new upload under the same name (new stamp) is a new file.
        assert!(
            s.observe("acme", &path(), Some(stamp(11, 2)), true, t0)
                .is_some()
        );
        // Gone, then back with the old stamp (say restored): new again.
        s.observe("acme", &path(), None, false, t0);
        assert!(
            s.observe("acme", &path(), Some(stamp(11, 2)), true, t0)
                .is_some()
        );
    }

    #[test]
    fn a_file_that_vanishes_while_settling_is_forgotten() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        s.observe("acme", &path(), Some(stamp(10, 1)), false, t0);
        assert!(s.poll(t0 + SETTLE, |_| None).is_empty());
        assert_eq!(s.pending_len(), 0);
    }

    #[test]
    fn retain_present_forgets_only_missing_files_of_that_folder() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        let other = PathBuf::from("/drop/beta/inbox/y.edi");
        s.observe("acme", &path(), Some(stamp(1, 1)), false, t0);
        s.observe("beta", &other, Some(stamp(1, 1)), false, t0);
        s.retain_present(Path::new("/drop/acme/inbox"), &|_| false);
        assert_eq!(s.pending_len(), 1);
        assert_eq!(s.poll(t0 + SETTLE, |_| Some(stamp(1, 1)))[0].path, other);
    }

    #[test]
    fn stamps_of_real_files_follow_writes_and_ignore_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("x.edi");
        fs::write(&file, b"abc").unwrap();
        let first = Stamp::of(&fs::symlink_metadata(&file).unwrap()).unwrap();
        assert_eq!(first.size, 3);
        fs::write(&file, b"abcdef").unwrap();
        let second = Stamp::of(&fs::symlink_metadata(&file).unwrap()).unwrap();
        assert_ne!(first, second);
        let link = tmp.path().join("link.edi");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(Stamp::of(&fs::symlink_metadata(&link).unwrap()), None);
        assert_eq!(Stamp::of(&fs::symlink_metadata(tmp.path()).unwrap()), None);
    }
}
