//! Whether some process still holds an inbox file open for writing, read from Linux's `/proc`.
//!
//! A stock `sftp` upload straight to the final name (no `.part`) is written by `sftp-server`
//! through one open file descriptor, in bursts: a rate-limited or slow client pauses longer
//! than any sensible settle time while the file is still open. `/proc/<pid>/fd/<n>` names every
//! open file of every process and `/proc/<pid>/fdinfo/<n>` its open flags, so the file's
//! writers can be seen directly. Another user's processes can be looked at only by root (or a
//! process with `CAP_SYS_PTRACE`); when some could not be, the answer for a file no visible
//! process writes is [`Writers::Unknown`], and the watcher falls back on filesystem events.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// What `/proc` says about a file's writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writers {
    /// A process has it open for writing (`O_WRONLY` or `O_RDWR`).
    Open,
    /// Every process was looked at and none has it open for writing.
    None,
    /// No visible process writes it, but some processes could not be looked at (or there is
    /// no `/proc`).
    Unknown,
}

/// A file as the kernel knows it: device and inode.
pub type FileId = (u64, u64);

/// Which of `files` some process holds open for writing, in the same order. One pass over
/// `/proc` however many files are asked about.
pub fn open_for_writing(files: &[FileId]) -> Vec<Writers> {
    open_for_writing_in(Path::new("/proc"), files)
}

fn open_for_writing_in(proc_root: &Path, files: &[FileId]) -> Vec<Writers> {
    if files.is_empty() {
        return Vec::new();
    }
    let Ok(processes) = fs::read_dir(proc_root) else {
        return vec![Writers::Unknown; files.len()];
    };
    let mut open = vec![false; files.len()];
    let mut complete = true;
    for process in processes.flatten() {
        let is_pid = process
            .file_name()
            .to_str()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !is_pid {
            continue;
        }
        let dir = process.path();
        let fds = match fs::read_dir(dir.join("fd")) {
            Ok(fds) => fds,
            // Exited meanwhile: it holds nothing.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            // Another user's process, and we are not root.
            Err(_) => {
                complete = false;
                continue;
            }
        };
        for fd in fds.flatten() {
            // Follows the magic link to the open file itself (closed meanwhile: skipped).
            let Ok(meta) = fs::metadata(fd.path()) else {
                continue;
            };
            let id = (meta.dev(), meta.ino());
            for (i, file) in files.iter().enumerate() {
                if *file == id && !open[i] {
                    // Unreadable flags (it closed meanwhile, or we may not look): counted as a
                    // writer, the safe side; the next check sees it again.
                    open[i] = writes(&dir, &fd.file_name()).unwrap_or(true);
                }
            }
        }
    }
    open.into_iter()
        .map(|open| match (open, complete) {
            (true, _) => Writers::Open,
            (false, true) => Writers::None,
            (false, false) => Writers::Unknown,
        })
        .collect()
}

/// Whether descriptor `fd` of the process at `dir` was opened for writing, from the octal
/// `flags:` line of its fdinfo; `None` when that cannot be read.
fn writes(dir: &Path, fd: &std::ffi::OsStr) -> Option<bool> {
    let info = fs::read_to_string(dir.join("fdinfo").join(fd)).ok()?;
    let flags = info
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())?;
    let mode = flags & libc::O_ACCMODE as u32;
    Some(mode == libc::O_WRONLY as u32 || mode == libc::O_RDWR as u32)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::Write;

    fn id(path: &Path) -> FileId {
        let meta = fs::metadata(path).unwrap();
        (meta.dev(), meta.ino())
    }

    #[test]
    fn a_file_open_for_writing_is_seen_and_not_once_closed() {
        let tmp = tempfile::tempdir().unwrap();
        let (written, read) = (tmp.path().join("w.edi"), tmp.path().join("r.edi"));
        fs::write(&read, b"x").unwrap();
        let mut writer = fs::File::create(&written).unwrap();
        writer.write_all(b"ISA").unwrap();
        // Open for reading only: not a writer.
        let _reader = fs::File::open(&read).unwrap();
        let files = [id(&written), id(&read)];
        let seen = open_for_writing(&files);
        // This process is always visible to itself.
        assert_eq!(seen[0], Writers::Open);
        assert_ne!(seen[1], Writers::Open);
        drop(writer);
        assert_ne!(open_for_writing(&files)[0], Writers::Open);
        // Appending and read-write opens count too.
        let _append = fs::OpenOptions::new().append(true).open(&read).unwrap();
        assert_eq!(open_for_writing(&files)[1], Writers::Open);
    }

    #[test]
    fn no_proc_means_unknown_and_no_files_means_no_pass() {
        assert_eq!(
            open_for_writing_in(Path::new("/no/such/proc"), &[(1, 2)]),
            [Writers::Unknown]
        );
        assert!(open_for_writing(&[]).is_empty());
    }

    #[test]
    fn the_access_mode_is_read_from_fdinfo() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        fs::create_dir(dir.join("fdinfo")).unwrap();
        for (fd, flags, writes_it) in [
            ("3", "0100000", false),
            ("4", "0100001", true),
            ("5", "02", true),
            ("6", "0102002", true),
        ] {
            fs::write(
                dir.join("fdinfo").join(fd),
                format!("pos:\t0\nflags:\t{flags}\nmnt_id:\t25\n"),
            )
            .unwrap();
            assert_eq!(writes(dir, fd.as_ref()), Some(writes_it), "{flags}");
        }
        assert_eq!(writes(dir, "9".as_ref()), None);
    }
}
