//! SFTP drop folders (design.md 8): per partner `<drop_root>/<partner>/{inbox,outbox,processed,
//! rejected}`, served to partners by the system's OpenSSH (`internal-sftp`, chroot per partner).
//!
//! - [`DropRoot`] creates the folders ([`DropRoot::sftp_layout`] with the ownership sshd's
//!   chroot needs), writes outbound files atomically and once (a redelivery finding the same
//!   bytes under the name writes nothing; stale `.part` files are removed) and moves taken
//!   files to `processed/` or `rejected/`, never overwriting a file.
//! - [`DropWatcher`] watches inboxes (filesystem events plus a periodic scan) and hands out
//!   only complete files: renamed into place, or unchanged for a settle time, and in either
//!   case held open for writing by no process (`/proc`, or the filesystem events when `/proc`
//!   cannot tell).
//! - `testing` (cargo feature `testing`): an sshd harness for tests.

mod error;
mod names;
mod root;
mod settle;
mod watcher;
mod writers;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::{DropError, DropResult};
pub use names::is_temporary_name;
pub use root::{DropRoot, Finish, IncomingFile, PartnerDirs, Written, check_chroot_path};
pub use settle::{OPEN_WRITER_PATIENCE, Stamp};
pub use watcher::DropWatcher;
pub use writers::{Writers, open_for_writing};
