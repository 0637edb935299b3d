//! Errors of the drop-folder module.

use std::io;
use std::path::PathBuf;

/// Result of drop-folder operations.
pub type DropResult<T> = Result<T, DropError>;

/// What went wrong while managing drop folders.
#[derive(Debug, thiserror::Error)]
pub enum DropError {
    /// A partner id that cannot name a folder: empty, too long, a path separator, `.`/`..`, a
    /// leading dot or a character outside `[A-Za-z0-9._-]`.
    #[error("invalid partner id {partner:?}: {reason}")]
    InvalidPartner {
        /// The id as given.
        partner: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// An outbound file name that is not a plain file name (separators, `.`/`..`, a leading
    /// dot, a temporary-file suffix, control characters).
    #[error("invalid file name {name:?}: {reason}")]
    InvalidFileName {
        /// The name as given.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A filesystem call failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was attempted (`create dir`, `rename`, ...).
        op: &'static str,
        /// The path it was attempted on.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A path OpenSSH would refuse as (or above) a `ChrootDirectory`: every component must be
    /// owned by root and not writable by group or others.
    #[error("chroot path {path} is unsafe for sshd: {reason}")]
    ChrootUnsafe {
        /// The offending directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// No free name was found for a file after many numbered suffixes.
    #[error("no free name for {path} after {tries} tries")]
    NoFreeName {
        /// The name that was wanted.
        path: PathBuf,
        /// How many suffixes were tried.
        tries: u32,
    },
    /// An inbox file is no longer what was found complete: its writer was not done (it grew
    /// or was rewritten), or it was replaced or removed. Nothing of it is taken or moved; the
    /// watcher hands it out again once it is complete.
    #[error(
        "{path} changed after it was found complete ({what}): left in the inbox until it is complete"
    )]
    Changed {
        /// The inbox file.
        path: PathBuf,
        /// What changed.
        what: String,
    },
    /// The file is not a regular file (a symlink, directory or device put into a drop folder).
    #[error("{path} is not a regular file")]
    NotRegularFile {
        /// The offending path.
        path: PathBuf,
    },
}

/// Wraps an `io::Error` with the operation and path, for `map_err`.
pub(crate) fn io_err(
    op: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(io::Error) -> DropError {
    let path = path.into();
    move |source| DropError::Io { op, path, source }
}
