//! Standard output for every command: a reader that goes away (`chargegate transactions |
//! head -4`) ends the command quietly, with exit 0, instead of a "failed printing to stdout:
//! Broken pipe" panic. Rust ignores SIGPIPE, so a write to a closed pipe fails with
//! `BrokenPipe`: [`Out`] notes it, the command returns the error with `?`, and `main` sees
//! [`closed`] and says nothing.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether a write to stdout failed because its reader went away.
pub fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// A writer to stdout (or anything, in tests) that notes a closed reader.
pub struct Out<W>(W);

impl<W: Write> Write for Out<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        note(self.0.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        note(self.0.flush())
    }
}

fn note<T>(result: io::Result<T>) -> io::Result<T> {
    if let Err(e) = &result
        && e.kind() == io::ErrorKind::BrokenPipe
    {
        CLOSED.store(true, Ordering::Relaxed);
    }
    result
}

/// Locked stdout that notes a closed reader; write to it with `?`.
pub fn stdout() -> Out<io::StdoutLock<'static>> {
    Out(io::stdout().lock())
}

/// `println!` that returns the write's `io::Result` (use it with `?`) instead of panicking
/// when the reader went away.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!($crate::out::stdout(), $($arg)*)
    }};
}

/// `print!` that returns the write's `io::Result`, as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!($crate::out::stdout(), $($arg)*)
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_reader_is_noted_and_other_errors_are_not() {
        let mut other = Out(io::Cursor::new([0u8; 2]));
        assert!(other.write_all(b"too long").is_err());
        assert!(!closed());
        let e = Out(ClosedPipe)
            .write_all(b"x")
            .expect_err("the reader is gone");
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        assert!(closed());
    }
}
