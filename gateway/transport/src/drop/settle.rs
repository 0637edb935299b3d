//! When an inbox file counts as complete. Pure bookkeeping: the watcher feeds it observations
//! (size, mtime, inode; what the filesystem event said about writers) with the time they were
//! made, and asks which files are due; the clock, the filesystem and `/proc` are arguments, so
//! the rules are tested without sleeping.
//!
//! The rules:
//! - a file renamed into the inbox is due at once (the `.part`-then-rename convention, where
//!   the rename is the partner's "done"); any other file once its stamp has stayed the same for
//!   the settle time;
//! - a due file is handed out only when no process holds it open for writing: a stock `sftp`
//!   upload straight to the final name pauses longer than any settle time while sftp-server
//!   keeps the file open. `/proc` answers when it can see every process
//!   ([`Writers`]); when it cannot (the gateway is not root and the writer is another user),
//!   the filesystem events answer: a file created or written to since its last
//!   `IN_CLOSE_WRITE` is still being written, and waits for that close (or, when no close ever
//!   comes, [`OPEN_WRITER_PATIENCE`] without a change);
//! - each file (path plus stamp) is handed out once.

use std::collections::HashMap;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::root::IncomingFile;
use super::writers::{FileId, Writers};

/// How long a file that events say is open for writing, and that `/proc` cannot vouch for,
/// may stay unchanged before it is taken anyway: a close event was lost, or the file was made
/// without an open descriptor (a hard link). Far beyond any pause of a live upload.
pub const OPEN_WRITER_PATIENCE: Duration = Duration::from_secs(600);

/// What is compared to decide that a file stopped changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Device of the filesystem holding it.
    pub dev: u64,
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
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.len(),
            mtime: meta.modified().ok()?,
        })
    }

    /// The file as `/proc` names it.
    pub fn file_id(&self) -> FileId {
        (self.dev, self.ino)
    }
}

/// What made the watcher look at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// It was renamed into the inbox: the partner's "done".
    Renamed,
    /// It was created or written to (`IN_CREATE`, `IN_MODIFY`): a writer has it open.
    Written,
    /// A writer closed it (`IN_CLOSE_WRITE`).
    Closed,
    /// A scan, or an event that says nothing about writers.
    Listed,
}

/// What the filesystem events say about a file's writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventWriter {
    /// No event about writers since the watcher knows the file (it was there before the
    /// start, or events were lost).
    Unknown,
    /// Created or written to since its last close for writing.
    Open,
    /// Closed for writing after its last write.
    Closed,
}

/// A file seen but not yet complete.
#[derive(Debug)]
struct Pending {
    partner: String,
    name: String,
    stamp: Stamp,
    /// When `stamp` was first seen.
    stable_since: Instant,
    /// When to look at it next: `stable_since + settle` (at once for a renamed-in file), later
    /// while a writer has it open.
    check_at: Instant,
    /// Renamed in and unchanged since: no settle time.
    renamed_in: bool,
    writer: EventWriter,
}

impl Pending {
    /// When it may be handed out as far as the stamp is concerned.
    fn ready_at(&self, settle: Duration) -> Instant {
        if self.renamed_in {
            self.stable_since
        } else {
            self.stable_since + settle
        }
    }
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

    /// Records what was seen at `path` at `now`: `stamp` is `None` when the path is gone or is
    /// not a regular file; `seen` says what made the watcher look. A file becomes due in
    /// [`Settler::poll`], at once when it was renamed in.
    pub fn observe(
        &mut self,
        partner: &str,
        path: &Path,
        stamp: Option<Stamp>,
        seen: Seen,
        now: Instant,
    ) {
        let Some(stamp) = stamp else {
            self.pending.remove(path);
            self.handed_out.remove(path);
            return;
        };
        if self.handed_out.get(path) == Some(&stamp) {
            return;
        }
        let settle = self.settle;
        let pending = match self.pending.get_mut(path) {
            Some(pending) => pending,
            None => {
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                    return;
                };
                let pending = Pending {
                    partner: partner.to_owned(),
                    name: name.to_owned(),
                    stamp,
                    stable_since: now,
                    check_at: now + settle,
                    renamed_in: false,
                    writer: EventWriter::Unknown,
                };
                self.pending.entry(path.to_owned()).or_insert(pending)
            }
        };
        if pending.stamp != stamp {
            pending.stamp = stamp;
            pending.stable_since = now;
            pending.renamed_in = false;
            pending.check_at = now + settle;
        }
        match seen {
            Seen::Renamed => {
                pending.renamed_in = true;
                pending.check_at = now;
            }
            Seen::Written => pending.writer = EventWriter::Open,
            Seen::Closed => {
                pending.writer = EventWriter::Closed;
                // Closed after its last change: due as soon as the stamp allows.
                pending.check_at = pending.check_at.min(pending.ready_at(settle).max(now));
            }
            Seen::Listed => {}
        }
    }

    /// Forgets what events said about writers: events were lost (the kernel's queue
    /// overflowed), so a close may have gone unseen.
    pub fn forget_writers(&mut self) {
        for pending in self.pending.values_mut() {
            pending.writer = EventWriter::Unknown;
        }
    }

    /// Re-checks every pending file whose time has come at `now`, using `stat` for its current
    /// stamp and `writers` (one call for all of them, in order) for whether a process holds it
    /// open for writing, and returns those that are complete. Changed files wait another settle
    /// time, files open for writing until they are closed; vanished ones are forgotten.
    pub fn poll(
        &mut self,
        now: Instant,
        mut stat: impl FnMut(&Path) -> Option<Stamp>,
        writers: impl FnOnce(&[FileId]) -> Vec<Writers>,
    ) -> Vec<IncomingFile> {
        let settle = self.settle;
        let due: Vec<PathBuf> = self
            .pending
            .iter()
            .filter(|(_, p)| now >= p.check_at)
            .map(|(path, _)| path.clone())
            .collect();
        // Unchanged and past their settle time: their writers decide.
        let mut stable = Vec::new();
        for path in due {
            let current = stat(&path);
            let Some(pending) = self.pending.get_mut(&path) else {
                continue;
            };
            match current {
                Some(stamp) if stamp == pending.stamp => {
                    if now >= pending.ready_at(settle) {
                        stable.push((path, stamp));
                    } else {
                        pending.check_at = pending.ready_at(settle);
                    }
                }
                Some(stamp) => {
                    pending.stamp = stamp;
                    pending.stable_since = now;
                    pending.renamed_in = false;
                    pending.check_at = now + settle;
                }
                None => {
                    self.pending.remove(&path);
                }
            }
        }
        if stable.is_empty() {
            return Vec::new();
        }
        let ids: Vec<FileId> = stable.iter().map(|(_, s)| s.file_id()).collect();
        let mut seen = writers(&ids);
        seen.resize(stable.len(), Writers::Unknown);
        let mut complete = Vec::new();
        for ((path, stamp), proc_says) in stable.into_iter().zip(seen) {
            let Some(pending) = self.pending.get_mut(&path) else {
                continue;
            };
            let still_open = match proc_says {
                Writers::Open => true,
                Writers::None => false,
                Writers::Unknown => {
                    pending.writer == EventWriter::Open
                        && now.saturating_duration_since(pending.stable_since)
                            < OPEN_WRITER_PATIENCE
                }
            };
            if still_open {
                tracing::debug!(file = %path.display(), size = stamp.size, "still open for writing, not taken yet");
                // Looked at again after another settle time, or at its close event.
                pending.check_at = now + settle;
                continue;
            }
            if proc_says == Writers::Unknown && pending.writer == EventWriter::Open {
                tracing::warn!(file = %path.display(), size = stamp.size,
                    "no close seen for a file written to, unchanged for {} s: taken",
                    OPEN_WRITER_PATIENCE.as_secs());
            }
            if let Some(p) = self.pending.remove(&path) {
                complete.push(self.hand_out(p.partner, path, p.name, stamp));
            }
        }
        complete
    }

    /// When the next pending file is to be looked at, if any.
    pub fn next_due(&self) -> Option<Instant> {
        self.pending.values().map(|p| p.check_at).min()
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
            stamp,
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
            dev: 1,
            ino: 7,
            size,
            mtime: SystemTime::UNIX_EPOCH + Duration::from_secs(mtime_secs),
        }
    }

    fn path() -> PathBuf {
        PathBuf::from("/drop/acme/inbox/x.edi")
    }

    /// `/proc` saw no writer.
    fn no_writer(ids: &[FileId]) -> Vec<Writers> {
        vec![Writers::None; ids.len()]
    }

    /// `/proc` could not see every process (the gateway is not root).
    fn cannot_tell(ids: &[FileId]) -> Vec<Writers> {
        vec![Writers::Unknown; ids.len()]
    }

    /// `/proc` saw a writer.
    fn writing(ids: &[FileId]) -> Vec<Writers> {
        vec![Writers::Open; ids.len()]
    }

    fn never_asked(_: &[FileId]) -> Vec<Writers> {
        panic!("writers asked about a file that is not due")
    }

    #[test]
    fn a_file_is_complete_only_after_its_stamp_held_for_the_settle_time() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        s.observe("acme", &path(), Some(stamp(10, 1)), Seen::Listed, t0);
        assert_eq!(s.next_due(), Some(t0 + SETTLE));
        // Not yet due: poll does not even stat.
        assert!(
            s.poll(t0 + SETTLE / 2, |_| panic!("stat before due"), never_asked)
                .is_empty()
        );
        let done = s.poll(t0 + SETTLE, |_| Some(stamp(10, 1)), no_writer);
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].name, "x.edi");
        assert_eq!(done[0].partner, "acme");
        assert_eq!(done[0].size, 10);
        assert_eq!(done[0].stamp, stamp(10, 1));
        assert_eq!(s.pending_len(), 0);
    }

    #[test]
    fn a_growing_file_restarts_its_settle_time() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        s.observe("acme", &path(), Some(stamp(10, 1)), Seen::Listed, t0);
        // Still growing when due: waits a full settle time from this change.
        assert!(
            s.poll(t0 + SETTLE, |_| Some(stamp(20, 2)), never_asked)
                .is_empty()
        );
        assert_eq!(s.next_due(), Some(t0 + SETTLE * 2));
        // An event during the wait with yet another size pushes it further.
        s.observe(
            "acme",
            &path(),
            Some(stamp(30, 3)),
            Seen::Written,
            t0 + SETTLE * 3 / 2,
        );
        assert!(
            s.poll(t0 + SETTLE * 2, |_| Some(stamp(30, 3)), never_asked)
                .is_empty()
        );
        let later = t0 + SETTLE * 5 / 2;
        assert_eq!(s.poll(later, |_| Some(stamp(30, 3)), no_writer).len(), 1);
    }

    #[test]
    fn an_mtime_change_without_size_change_also_restarts() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        s.observe("acme", &path(), Some(stamp(10, 1)), Seen::Listed, t0);
        assert!(
            s.poll(t0 + SETTLE, |_| Some(stamp(10, 2)), never_asked)
                .is_empty()
        );
        let later = t0 + SETTLE * 2;
        assert_eq!(s.poll(later, |_| Some(stamp(10, 2)), no_writer).len(), 1);
    }

    #[test]
    fn repeated_observations_of_the_same_stamp_do_not_restart() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        s.observe("acme", &path(), Some(stamp(10, 1)), Seen::Listed, t0);
        s.observe(
            "acme",
            &path(),
            Some(stamp(10, 1)),
            Seen::Listed,
            t0 + SETTLE / 2,
        );
        assert_eq!(
            s.poll(t0 + SETTLE, |_| Some(stamp(10, 1)), no_writer).len(),
            1
        );
    }

    #[test]
    fn a_renamed_in_file_is_complete_at_once() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        s.observe("acme", &path(), Some(stamp(10, 1)), Seen::Renamed, t0);
        assert_eq!(s.next_due(), Some(t0));
        let done = s.poll(t0, |_| Some(stamp(10, 1)), no_writer);
        assert_eq!(done.iter().map(|f| f.size).collect::<Vec<_>>(), [10]);
        assert_eq!(s.next_due(), None);
    }

    #[test]
    fn a_file_is_handed_out_once_until_it_is_replaced() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        let take = |s: &mut Settler, st: Stamp, seen: Seen| {
            s.observe("acme", &path(), Some(st), seen, t0);
            s.poll(t0, |_| Some(st), no_writer).len()
        };
        assert_eq!(take(&mut s, stamp(10, 1), Seen::Renamed), 1);
        // The same file seen again by a scan or a late event: ignored.
        assert_eq!(take(&mut s, stamp(10, 1), Seen::Renamed), 0);
        assert_eq!(take(&mut s, stamp(10, 1), Seen::Closed), 0);
        assert_eq!(s.next_due(), None);
        // A new upload under the same name (new stamp) is a new file.
        assert_eq!(take(&mut s, stamp(11, 2), Seen::Renamed), 1);
        // Gone, then back with the old stamp (say restored): new again.
        s.observe("acme", &path(), None, Seen::Listed, t0);
        assert_eq!(take(&mut s, stamp(11, 2), Seen::Renamed), 1);
    }

    #[test]
    fn a_file_that_vanishes_while_settling_is_forgotten() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        s.observe("acme", &path(), Some(stamp(10, 1)), Seen::Listed, t0);
        assert!(s.poll(t0 + SETTLE, |_| None, never_asked).is_empty());
        assert_eq!(s.pending_len(), 0);
    }

    #[test]
    fn retain_present_forgets_only_missing_files_of_that_folder() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        let other = PathBuf::from("/drop/beta/inbox/y.edi");
        s.observe("acme", &path(), Some(stamp(1, 1)), Seen::Listed, t0);
        s.observe("beta", &other, Some(stamp(1, 1)), Seen::Listed, t0);
        s.retain_present(Path::new("/drop/acme/inbox"), &|_| false);
        assert_eq!(s.pending_len(), 1);
        assert_eq!(
            s.poll(t0 + SETTLE, |_| Some(stamp(1, 1)), no_writer)[0].path,
            other
        );
    }

    /// The open-for-write rule, as `/proc` answers it: a file that stopped changing for longer
    /// than the settle time (a stock `sftp -l` upload between bursts) is not taken while a
    /// process holds it open for writing, whatever the events said, and is taken once none
    /// does.
    #[test]
    fn a_settled_file_is_not_taken_while_proc_shows_a_writer() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        // Even a scan-found file with no events at all, or a renamed-in one.
        s.observe("acme", &path(), Some(stamp(10, 1)), Seen::Listed, t0);
        let renamed = PathBuf::from("/drop/acme/inbox/r.edi");
        s.observe("acme", &renamed, Some(stamp(5, 1)), Seen::Renamed, t0);
        let mut asked = Vec::new();
        let stat = |p: &Path| {
            Some(if p == renamed {
                stamp(5, 1)
            } else {
                stamp(10, 1)
            })
        };
        let held = s.poll(t0 + SETTLE, stat, |ids| {
            asked.extend_from_slice(ids);
            writing(ids)
        });
        assert!(held.is_empty(), "{held:?}");
        // One pass over /proc for both files.
        assert_eq!(asked.len(), 2);
        // Checked again a settle time later; a writer's close event would bring it forward.
        assert_eq!(s.next_due(), Some(t0 + SETTLE * 2));
        assert!(s.poll(t0 + SETTLE * 2, stat, writing).is_empty());
        // The writer closed it: taken, unchanged.
        let done = s.poll(t0 + SETTLE * 3, stat, no_writer);
        assert_eq!(done.len(), 2);
        // A writer /proc sees wins over a close event that said otherwise.
        let t1 = t0 + SETTLE * 4;
        s.observe("acme", &path(), Some(stamp(12, 4)), Seen::Closed, t1);
        assert!(
            s.poll(t1 + SETTLE, |_| Some(stamp(12, 4)), writing)
                .is_empty()
        );
    }

    /// The open-for-write rule, as the filesystem events answer it when `/proc` cannot (the
    /// gateway is not root, the writer is the partner's sftp-server): written to since its
    /// last close for writing means still open.
    #[test]
    fn a_settled_file_written_to_since_its_last_close_waits_for_its_close_event() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        // sftp-server creates the file and writes a first burst, then pauses.
        s.observe("acme", &path(), Some(stamp(0, 1)), Seen::Written, t0);
        s.observe(
            "acme",
            &path(),
            Some(stamp(32_768, 1)),
            Seen::Written,
            t0 + SETTLE / 4,
        );
        // Unchanged for longer than the settle time: still not taken.
        assert!(
            s.poll(t0 + SETTLE * 2, |_| Some(stamp(32_768, 1)), cannot_tell)
                .is_empty()
        );
        // The next burst, the last, then its close.
        let t1 = t0 + SETTLE * 3;
        s.observe("acme", &path(), Some(stamp(65_536, 2)), Seen::Written, t1);
        s.observe(
            "acme",
            &path(),
            Some(stamp(65_536, 2)),
            Seen::Closed,
            t1 + SETTLE / 10,
        );
        // Due when its settle time (counted from the last change) is over, not a full settle
        // time after the close.
        assert_eq!(s.next_due(), Some(t1 + SETTLE));
        let done = s.poll(t1 + SETTLE, |_| Some(stamp(65_536, 2)), cannot_tell);
        assert_eq!(done.iter().map(|f| f.size).collect::<Vec<_>>(), [65_536]);
    }

    #[test]
    fn a_close_for_writing_without_any_other_event_makes_a_file_due_when_settled() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        // Found by a scan (written before the start), then its writer closes it.
        s.observe("acme", &path(), Some(stamp(10, 1)), Seen::Listed, t0);
        s.observe(
            "acme",
            &path(),
            Some(stamp(10, 1)),
            Seen::Closed,
            t0 + SETTLE * 3,
        );
        assert_eq!(s.next_due(), Some(t0 + SETTLE));
        assert_eq!(
            s.poll(t0 + SETTLE * 3, |_| Some(stamp(10, 1)), cannot_tell)
                .len(),
            1
        );
    }

    #[test]
    fn lost_events_or_endless_silence_do_not_hold_a_file_forever() {
        let mut s = Settler::new(SETTLE);
        let t0 = Instant::now();
        s.observe("acme", &path(), Some(stamp(10, 1)), Seen::Written, t0);
        assert!(
            s.poll(t0 + SETTLE, |_| Some(stamp(10, 1)), cannot_tell)
                .is_empty()
        );
        // The kernel's event queue overflowed: the close may be among the lost events.
        s.forget_writers();
        assert_eq!(
            s.poll(t0 + SETTLE * 2, |_| Some(stamp(10, 1)), cannot_tell)
                .len(),
            1
        );
        // Created without a descriptor (a hard link), never closed: taken after the patience.
        let other = PathBuf::from("/drop/acme/inbox/linked.edi");
        s.observe("acme", &other, Some(stamp(3, 1)), Seen::Written, t0);
        let before = t0 + OPEN_WRITER_PATIENCE - SETTLE;
        assert!(
            s.poll(before, |_| Some(stamp(3, 1)), cannot_tell)
                .is_empty()
        );
        let after = t0 + OPEN_WRITER_PATIENCE + SETTLE;
        assert_eq!(s.poll(after, |_| Some(stamp(3, 1)), cannot_tell).len(), 1);
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
