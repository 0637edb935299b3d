//! Watches partner inboxes and hands out complete files.
//!
//! Filesystem events (the `notify` crate, inotify on Linux) make new files show up at once; a
//! periodic scan of every inbox is the safety net for events that were missed (queue overflow,
//! a watch that could not be set up, files present before the start). Both only feed
//! observations to the [`Settler`], which decides when a file is complete; the events also
//! tell it who is writing (`IN_CREATE`/`IN_MODIFY` since the last `IN_CLOSE_WRITE`), and
//! before a file is handed out `/proc` is asked whether any process still holds it open for
//! writing ([`super::writers`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use super::error::{DropResult, io_err};
use super::names::is_temporary_name;
use super::root::{DropRoot, IncomingFile};
use super::settle::{Seen, Settler, Stamp};
use super::writers::{FileId, Writers, open_for_writing};

/// Hands out each complete file of the watched partner inboxes once per watcher lifetime (the
/// server's idempotency record on the file hash covers restarts).
///
/// A file is complete when it has a final name (never `*.part`, `*.filepart`, `*~`, hidden
/// names), either was renamed into the inbox (complete at once) or kept its size, mtime and
/// inode for the settle time, and no process holds it open for writing (a stock `sftp` put
/// pauses longer than the settle time while sftp-server keeps the file open). Symlinks, folders
/// and other non-regular entries are ignored.
pub struct DropWatcher {
    root: DropRoot,
    /// Inbox folder → partner id.
    inboxes: HashMap<PathBuf, String>,
    settler: Settler,
    ready: VecDeque<IncomingFile>,
    scan_every: Duration,
    next_scan: Instant,
    /// `None` when filesystem events are unavailable; scanning alone then finds files.
    notify: Option<Notify>,
    /// Files found in the inbox of no known partner, logged once each.
    strays: std::collections::HashSet<PathBuf>,
    /// Ask `/proc` whether a due file is still open for writing (off only in tests of the
    /// event rule).
    ask_proc: bool,
}

/// The filesystem-event side: the watcher must live as long as its receiver is read.
struct Notify {
    watcher: RecommendedWatcher,
    events: mpsc::UnboundedReceiver<notify::Result<Event>>,
}

impl DropWatcher {
    /// Ensures each partner's folders and starts watching their inboxes. `settle` is how long a
    /// file that was not renamed in must stay unchanged; `scan_every` is the safety-net scan
    /// period (the first scan happens on the first [`DropWatcher::next`]). Must be called
    /// inside a tokio runtime with the time driver.
    pub fn start(
        root: &DropRoot,
        partners: &[String],
        settle: Duration,
        scan_every: Duration,
    ) -> DropResult<Self> {
        let (tx, events) = mpsc::unbounded_channel();
        // The callback runs on notify's own thread; a send fails only once the watcher is
        // dropped, when nobody needs the event any more.
        let notify = match notify::recommended_watcher(move |event| {
            let _ = tx.send(event);
        }) {
            Ok(watcher) => Some(Notify { watcher, events }),
            Err(error) => {
                warn!(error = %error, "filesystem events unavailable, relying on inbox scans");
                None
            }
        };
        let mut watcher = Self {
            root: root.clone(),
            inboxes: HashMap::new(),
            settler: Settler::new(settle),
            ready: VecDeque::new(),
            scan_every,
            next_scan: Instant::now(),
            notify,
            strays: std::collections::HashSet::new(),
            ask_proc: true,
        };
        // One partner's broken folders (an outbox that is a file, a name refused) must not
        // leave every other partner's inbox unwatched: each is said in the log and skipped.
        for partner in partners {
            if let Err(error) = watcher.add_partner(partner) {
                error!(partner, %error, "partner's inbox not watched");
            }
        }
        Ok(watcher)
    }

    /// Starts watching one more partner's inbox (creating its folders); files already there
    /// are found by the next scan, which is brought forward to now. An inbox that is there is
    /// watched even when another of the partner's folders cannot be made (a warning says
    /// which): its files are still taken, only what needs that folder fails.
    pub fn add_partner(&mut self, partner: &str) -> DropResult<()> {
        let dirs = match self.root.ensure_partner(partner) {
            Ok(dirs) => dirs,
            Err(error) => {
                let dirs = self.root.partner_dirs(partner)?;
                if !dirs.inbox.is_dir() {
                    return Err(error);
                }
                warn!(partner, %error, "a drop folder of the partner cannot be made; its inbox is watched");
                dirs
            }
        };
        if self.inboxes.contains_key(&dirs.inbox) {
            return Ok(());
        }
        if let Some(notify) = &mut self.notify
            && let Err(error) = notify
                .watcher
                .watch(&dirs.inbox, RecursiveMode::NonRecursive)
        {
            warn!(partner, file = %dirs.inbox.display(), error = %error,
                "cannot watch inbox, relying on scans");
        }
        info!(partner, file = %dirs.inbox.display(), "watching inbox");
        self.inboxes.insert(dirs.inbox, partner.to_owned());
        self.next_scan = Instant::now();
        Ok(())
    }

    /// Stops asking `/proc` about writers, leaving the filesystem events to say whether a
    /// file is still open for writing: what a gateway that is not root sees of another user's
    /// sftp-server. For tests of that rule.
    #[cfg(feature = "testing")]
    pub fn without_proc_checks(mut self) -> Self {
        self.ask_proc = false;
        self
    }

    /// Whether filesystem events are in use (otherwise only the periodic scan finds files).
    pub fn events_active(&self) -> bool {
        self.notify.is_some()
    }

    /// Waits for the next complete file. Returns `None` only when no partner is watched.
    /// Cancel-safe: a file is taken off the internal queue only when it is returned.
    pub async fn next(&mut self) -> Option<IncomingFile> {
        loop {
            if let Some(file) = self.ready.pop_front() {
                info!(partner = %file.partner, file = %file.path.display(), size = file.size,
                    "inbox file complete");
                return Some(file);
            }
            if self.inboxes.is_empty() {
                return None;
            }
            let now = Instant::now();
            if now >= self.next_scan {
                self.scan_all(now);
                self.next_scan = now + self.scan_every;
            }
            let ask_proc = self.ask_proc;
            self.ready
                .extend(self.settler.poll(now, stamp_at, |files: &[FileId]| {
                    if ask_proc {
                        open_for_writing(files)
                    } else {
                        vec![Writers::Unknown; files.len()]
                    }
                }));
            if !self.ready.is_empty() {
                continue;
            }
            let wake = self
                .settler
                .next_due()
                .map_or(self.next_scan, |due| due.min(self.next_scan));
            let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(wake));
            match &mut self.notify {
                Some(notify) => tokio::select! {
                    event = notify.events.recv() => match event {
                        Some(event) => {
                            self.on_event(event);
                            self.drain_events();
                        }
                        None => {
                            warn!("filesystem events stopped, relying on inbox scans");
                            self.notify = None;
                        }
                    },
                    () = sleep => {}
                },
                None => sleep.await,
            }
        }
    }

    /// Handles every event already queued, so a burst of writes costs one loop turn.
    fn drain_events(&mut self) {
        while let Some(event) = self.notify.as_mut().and_then(|n| n.events.try_recv().ok()) {
            self.on_event(event);
        }
    }

    fn on_event(&mut self, event: notify::Result<Event>) {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                warn!(error = %error, "filesystem event error, scanning inboxes");
                self.next_scan = Instant::now();
                return;
            }
        };
        if event.need_rescan() {
            // The kernel queue overflowed: events were lost, a writer's close among them
            // perhaps.
            debug!("filesystem events lost, scanning inboxes");
            self.settler.forget_writers();
            self.next_scan = Instant::now();
        }
        let now = Instant::now();
        let seen = match event.kind {
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
                // paths = [from, to]: the old name is gone, the new one was renamed in.
                if let [from, to] = event.paths.as_slice() {
                    self.observe(from, Seen::Listed, now);
                    self.observe(to, Seen::Renamed, now);
                }
                return;
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::To)) => Seen::Renamed,
            // A writer at work: created (opened with O_CREAT) or written to.
            EventKind::Create(_) | EventKind::Modify(ModifyKind::Data(_)) => Seen::Written,
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => Seen::Closed,
            // Opens and closes after reading (ours too) say nothing.
            EventKind::Access(_) | EventKind::Other => return,
            _ => Seen::Listed,
        };
        for path in &event.paths {
            self.observe(path, seen, now);
        }
    }

    /// Feeds the settler what is at `path` now, if `path` is a final name in a watched inbox.
    fn observe(&mut self, path: &Path, seen: Seen, now: Instant) {
        let Some(partner) = path.parent().and_then(|dir| self.inboxes.get(dir)) else {
            return;
        };
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return;
        };
        if is_temporary_name(name) {
            return;
        }
        let stamp = stamp_at(path);
        self.settler.observe(partner, path, stamp, seen, now);
    }

    fn scan_all(&mut self, now: Instant) {
        let inboxes: Vec<(PathBuf, String)> = self
            .inboxes
            .iter()
            .map(|(dir, partner)| (dir.clone(), partner.clone()))
            .collect();
        for (inbox, partner) in inboxes {
            if !inbox.is_dir() {
                // Someone removed the inbox (and with it the kernel's watch): put it back so
                // the partner can upload again and events resume.
                warn!(partner = %partner, file = %inbox.display(), "inbox missing, recreating it");
                if let Err(error) = self.rewatch(&partner, &inbox) {
                    warn!(partner = %partner, file = %inbox.display(), error = %error,
                        "cannot recreate inbox");
                    continue;
                }
            }
            if let Err(error) = self.scan(&inbox, now) {
                warn!(partner = %partner, file = %inbox.display(), error = %error, "cannot scan inbox");
            }
        }
        // Files dropped where no partner is: said once each, so ops see why nothing happens.
        let known: std::collections::HashSet<&str> =
            self.inboxes.values().map(String::as_str).collect();
        for file in self.root.unknown_partner_files(|p| known.contains(p)) {
            if self.strays.insert(file.clone()) {
                warn!(file = %file.display(), "file in the inbox of no known partner (no profile): not taken");
            }
        }
    }

    fn rewatch(&mut self, partner: &str, inbox: &Path) -> DropResult<()> {
        self.root.ensure_partner(partner)?;
        if let Some(notify) = &mut self.notify {
            // The old watch died with the folder; a failure here leaves the scan in charge.
            let _ = notify.watcher.unwatch(inbox);
            if let Err(error) = notify.watcher.watch(inbox, RecursiveMode::NonRecursive) {
                warn!(partner, file = %inbox.display(), error = %error,
                    "cannot watch inbox, relying on scans");
            }
        }
        Ok(())
    }

    /// Observes every entry of one inbox and forgets files that are no longer there.
    fn scan(&mut self, inbox: &Path, now: Instant) -> DropResult<()> {
        let mut present = HashSet::new();
        for entry in fs::read_dir(inbox).map_err(io_err("read dir", inbox))? {
            let entry = entry.map_err(io_err("read dir", inbox))?;
            let path = entry.path();
            self.observe(&path, Seen::Listed, now);
            present.insert(path);
        }
        self.settler
            .retain_present(inbox, &|path| present.contains(path));
        Ok(())
    }
}

/// The stamp of a regular file at `path`, without following symlinks.
fn stamp_at(path: &Path) -> Option<Stamp> {
    fs::symlink_metadata(path).ok().as_ref().and_then(Stamp::of)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::Write;

    /// Long enough that only filesystem events can find a file within a test's time bound.
    const NO_SCAN: Duration = Duration::from_secs(3600);
    const BOUND: Duration = Duration::from_secs(10);

    fn setup(settle: Duration, scan_every: Duration) -> (tempfile::TempDir, DropRoot, DropWatcher) {
        let tmp = tempfile::tempdir().unwrap();
        let root = DropRoot::new(tmp.path().join("drop"));
        let watcher = DropWatcher::start(&root, &["acme".to_owned()], settle, scan_every).unwrap();
        (tmp, root, watcher)
    }

    async fn next(watcher: &mut DropWatcher) -> IncomingFile {
        tokio::time::timeout(BOUND, watcher.next())
            .await
            .expect("a complete file within the time bound")
            .unwrap()
    }

    /// No file is handed out within `wait`.
    async fn nothing_within(watcher: &mut DropWatcher, wait: Duration) {
        if let Ok(file) = tokio::time::timeout(wait, watcher.next()).await {
            panic!("unexpected file {file:?}");
        }
    }

    #[tokio::test]
    async fn one_partners_broken_folders_leave_every_inbox_that_is_there_watched() {
        // acme's outbox is a file (its folders cannot all be made), beta's name is refused,
        // gamma is fine: acme's and gamma's inboxes are watched all the same.
        let tmp = tempfile::tempdir().unwrap();
        let root = DropRoot::new(tmp.path().join("drop"));
        let acme = root.partner_dirs("acme").unwrap();
        fs::create_dir_all(&acme.inbox).unwrap();
        fs::write(&acme.outbox, b"not a folder").unwrap();
        let partners = ["acme", "../beta", "gamma"].map(str::to_owned);
        let mut watcher = DropWatcher::start(&root, &partners, Duration::ZERO, NO_SCAN).unwrap();
        for partner in ["acme", "gamma"] {
            let inbox = root.partner_dirs(partner).unwrap().inbox;
            fs::write(inbox.join("x.part"), partner).unwrap();
            fs::rename(inbox.join("x.part"), inbox.join("x.edi")).unwrap();
            let file = next(&mut watcher).await;
            assert_eq!(
                (file.partner.as_str(), file.name.as_str()),
                (partner, "x.edi")
            );
        }
        // A partner without an inbox to watch is refused with the folder's error.
        let beta = root.partner_dirs("beta").unwrap();
        fs::create_dir_all(&beta.base).unwrap();
        fs::write(&beta.inbox, b"not a folder").unwrap();
        assert!(watcher.add_partner("beta").is_err());
    }

    #[tokio::test]
    async fn a_part_file_renamed_into_place_is_handed_out_once_by_events() {
        // A settle time far beyond the bound: only the rename can make the file complete.
        let (_tmp, root, mut watcher) = setup(Duration::from_secs(3600), NO_SCAN);
        assert!(watcher.events_active());
        let inbox = root.partner_dirs("acme").unwrap().inbox;
        // Let the first (empty) scan happen so events alone must report the file.
        nothing_within(&mut watcher, Duration::from_millis(50)).await;
        fs::write(inbox.join("x.edi.part"), b"ISA*payload~").unwrap();
        fs::rename(inbox.join("x.edi.part"), inbox.join("x.edi")).unwrap();
        let file = next(&mut watcher).await;
        assert_eq!(file.name, "x.edi");
        assert_eq!(file.partner, "acme");
        assert_eq!(file.size, 12);
        assert_eq!(file.read().unwrap(), b"ISA*payload~");
        nothing_within(&mut watcher, Duration::from_millis(300)).await;
    }

    #[tokio::test]
    async fn a_file_written_in_place_waits_for_the_settle_time() {
        // Generous against a loaded machine: a writer stalled longer than this looks finished.
        let settle = Duration::from_secs(1);
        let (_tmp, root, mut watcher) = setup(settle, NO_SCAN);
        let inbox = root.partner_dirs("acme").unwrap().inbox;
        nothing_within(&mut watcher, Duration::from_millis(50)).await;
        let mut f = fs::File::create(inbox.join("big.edi")).unwrap();
        f.write_all(b"first half ").unwrap();
        f.flush().unwrap();
        // Keep writing for longer than the settle time: still nothing may come out.
        for _ in 0..12 {
            nothing_within(&mut watcher, Duration::from_millis(150)).await;
            f.write_all(b"more ").unwrap();
        }
        drop(f);
        let file = next(&mut watcher).await;
        assert_eq!(file.name, "big.edi");
        // All of it: nothing was handed out while it grew.
        assert_eq!(file.size, 11 + 12 * 5);
    }

    /// A writer that pauses longer than the settle time, its file still open (a stock `sftp`
    /// put, rate-limited): not handed out until it is closed, whether `/proc` or, when `/proc`
    /// cannot tell, the filesystem events say so.
    async fn a_paused_writer_keeps_its_file(ask_proc: bool) {
        let settle = Duration::from_millis(200);
        let (_tmp, root, mut watcher) = setup(settle, Duration::from_millis(100));
        watcher.ask_proc = ask_proc;
        let inbox = root.partner_dirs("acme").unwrap().inbox;
        nothing_within(&mut watcher, Duration::from_millis(50)).await;
        let mut f = fs::File::create(inbox.join("slow.edi")).unwrap();
        for _ in 0..3 {
            f.write_all(b"burst ").unwrap();
            // Three settle times without a change, the file open.
            nothing_within(&mut watcher, settle * 3).await;
        }
        f.write_all(b"end").unwrap();
        drop(f);
        let file = next(&mut watcher).await;
        assert_eq!(file.name, "slow.edi");
        assert_eq!(file.size, 3 * 6 + 3);
        assert_eq!(file.read().unwrap(), b"burst burst burst end");
    }

    #[tokio::test]
    async fn a_file_open_for_writing_is_not_taken_however_long_it_pauses() {
        a_paused_writer_keeps_its_file(true).await;
    }

    #[tokio::test]
    async fn without_proc_the_close_event_says_when_a_written_file_is_done() {
        a_paused_writer_keeps_its_file(false).await;
    }

    #[tokio::test]
    async fn temporary_names_are_never_handed_out() {
        let (_tmp, root, mut watcher) =
            setup(Duration::from_millis(100), Duration::from_millis(50));
        let inbox = root.partner_dirs("acme").unwrap().inbox;
        for name in ["a.part", "b.filepart", "c~", ".d.swp", "e.tmp"] {
            fs::write(inbox.join(name), b"x").unwrap();
        }
        std::os::unix::fs::symlink("/etc/passwd", inbox.join("link.edi")).unwrap();
        fs::create_dir(inbox.join("sub.edi")).unwrap();
        nothing_within(&mut watcher, Duration::from_millis(600)).await;
        fs::write(inbox.join("real.edi"), b"x").unwrap();
        assert_eq!(next(&mut watcher).await.name, "real.edi");
    }

    #[tokio::test]
    async fn the_scan_finds_files_present_before_the_start() {
        let tmp = tempfile::tempdir().unwrap();
        let root = DropRoot::new(tmp.path().join("drop"));
        let dirs = root.ensure_partner("acme").unwrap();
        fs::write(dirs.inbox.join("old.edi"), b"old").unwrap();
        let mut watcher = DropWatcher::start(
            &root,
            &["acme".to_owned()],
            Duration::from_millis(100),
            NO_SCAN,
        )
        .unwrap();
        assert_eq!(next(&mut watcher).await.name, "old.edi");
    }

    #[tokio::test]
    async fn the_scan_alone_finds_files_when_events_are_off() {
        let (_tmp, root, mut watcher) =
            setup(Duration::from_millis(100), Duration::from_millis(100));
        // Simulates a lost watch: only the periodic scan can see the file.
        watcher.notify = None;
        nothing_within(&mut watcher, Duration::from_millis(50)).await;
        let inbox = root.partner_dirs("acme").unwrap().inbox;
        fs::write(inbox.join("y.edi"), b"y").unwrap();
        assert_eq!(next(&mut watcher).await.name, "y.edi");
    }

    #[tokio::test]
    async fn a_removed_inbox_is_recreated_and_watched_again() {
        let (_tmp, root, mut watcher) =
            setup(Duration::from_secs(3600), Duration::from_millis(100));
        let inbox = root.partner_dirs("acme").unwrap().inbox;
        nothing_within(&mut watcher, Duration::from_millis(50)).await;
        fs::remove_dir(&inbox).unwrap();
        // A scan notices and recreates it.
        nothing_within(&mut watcher, Duration::from_millis(300)).await;
        assert!(inbox.is_dir());
        // Renamed-in files are found through events again (the settle time is out of reach,
        // and a scan alone never makes a file complete before it).
        fs::write(inbox.join("x.part"), b"x").unwrap();
        fs::rename(inbox.join("x.part"), inbox.join("x.edi")).unwrap();
        assert_eq!(next(&mut watcher).await.name, "x.edi");
    }

    #[tokio::test]
    async fn finished_names_can_arrive_again_and_partners_can_be_added() {
        let (_tmp, root, mut watcher) =
            setup(Duration::from_secs(3600), Duration::from_millis(200));
        let acme = root.partner_dirs("acme").unwrap();
        fs::write(acme.inbox.join("x.part"), b"1").unwrap();
        fs::rename(acme.inbox.join("x.part"), acme.inbox.join("x.edi")).unwrap();
        let first = next(&mut watcher).await;
        root.finish(&first, super::super::Finish::Processed)
            .unwrap();
        // Let a scan notice the file left, then upload the same name again.
        nothing_within(&mut watcher, Duration::from_millis(300)).await;
        fs::write(acme.inbox.join("x.part"), b"22").unwrap();
        fs::rename(acme.inbox.join("x.part"), acme.inbox.join("x.edi")).unwrap();
        assert_eq!(next(&mut watcher).await.size, 2);

        watcher.add_partner("beta").unwrap();
        let beta = root.partner_dirs("beta").unwrap();
        fs::write(beta.inbox.join("z.part"), b"z").unwrap();
        fs::rename(beta.inbox.join("z.part"), beta.inbox.join("z.edi")).unwrap();
        let file = next(&mut watcher).await;
        assert_eq!(
            (file.partner.as_str(), file.name.as_str()),
            ("beta", "z.edi")
        );
    }
}
