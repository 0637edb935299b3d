//! Standard output for every command. What a command finds decides its exit status, whatever
//! became of its output (README, "The command line"):
//!
//! - a reader that went away (`chargegate validate bad.x12 | true`, `... | head -4`) is no
//!   error. Rust ignores SIGPIPE, so the write fails with `BrokenPipe`: [`Out`] notes it and
//!   drops that write and every later one, the command runs to its end and exits with the
//!   status it would have had (1 for an invalid file, not 0 and not 141), saying nothing;
//! - any other failed write (a full disk, `/dev/full`) is returned with `?`, and `main` says
//!   `chargegate: cannot write to stdout: …` ([`write_error`]) and exits 2.
//!
//! A closed descriptor (`>&-`) never shows here: the Rust runtime opens `/dev/null` on a closed
//! stdout before `main`, so it reads as `>/dev/null`.

use std::io::{self, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// What became of stdout: its reader went away, or a write failed otherwise.
struct State {
    closed: AtomicBool,
    failed: Mutex<Option<String>>,
}

impl State {
    const fn new() -> Self {
        Self {
            closed: AtomicBool::new(false),
            failed: Mutex::new(None),
        }
    }

    /// The result of a write or a flush: a closed reader turns it into `nothing` (and every
    /// later one is dropped, [`State::closed`]); another error is noted, the first one kept.
    fn note<T>(&self, result: io::Result<T>, nothing: T) -> io::Result<T> {
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed.store(true, Ordering::Relaxed);
                Ok(nothing)
            }
            // Tried again by whoever writes (`write_all`): not a failure yet.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
                failed.get_or_insert_with(|| e.to_string());
                Err(e)
            }
            ok => ok,
        }
    }

    fn closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }
}

static STDOUT: State = State::new();

/// Why a write to stdout failed, other than its reader going away: the first such failure.
pub fn write_error() -> Option<String> {
    STDOUT
        .failed
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// A writer to stdout (or anything, in tests) that drops what is written once the reader went
/// away.
pub struct Out<W> {
    inner: W,
    state: &'static State,
}

impl<W: Write> Write for Out<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.state.closed() {
            return Ok(buf.len());
        }
        self.state.note(self.inner.write(buf), buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.state.closed() {
            return Ok(());
        }
        self.state.note(self.inner.flush(), ())
    }
}

/// Locked stdout that drops what is written once the reader went away; write to it with `?`.
pub fn stdout() -> Out<io::StdoutLock<'static>> {
    Out {
        inner: io::stdout().lock(),
        state: &STDOUT,
    }
}

/// Writes what stdout still holds (a last line without its newline). Rust flushes stdout at
/// exit too, but ignores an error there: `main` calls this before it decides the status.
pub fn flush() -> io::Result<()> {
    stdout().flush()
}

/// `println!` that returns the write's `io::Result` (use it with `?`) instead of panicking
/// when stdout cannot be written.
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

    /// A writer that fails every write with `kind`, counting the writes that reach it.
    struct Failing(io::ErrorKind, usize);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            self.1 += 1;
            Err(self.0.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_reader_drops_the_output_and_other_errors_are_returned() {
        static CLOSED: State = State::new();
        let mut pipe = Out {
            inner: Failing(io::ErrorKind::BrokenPipe, 0),
            state: &CLOSED,
        };
        pipe.write_all(b"x").expect("a closed reader is no error");
        writeln!(pipe, "more").expect("nor is a later write");
        assert_eq!(
            pipe.inner.1, 1,
            "nothing is written after the reader went away"
        );
        assert!(CLOSED.closed());
        assert!(CLOSED.failed.lock().expect("not poisoned").is_none());

        static INTERRUPTED: State = State::new();
        let mut interrupted = Out {
            inner: Failing(io::ErrorKind::Interrupted, 0),
            state: &INTERRUPTED,
        };
        assert!(
            interrupted.write(b"x").is_err(),
            "returned, to be tried again"
        );
        assert!(INTERRUPTED.failed.lock().expect("not poisoned").is_none());

        static FULL: State = State::new();
        let mut full = Out {
            inner: Failing(io::ErrorKind::StorageFull, 0),
            state: &FULL,
        };
        let e = full.write_all(b"x").expect_err("no room");
        assert_eq!(e.kind(), io::ErrorKind::StorageFull);
        assert!(!FULL.closed());
        assert_eq!(
            FULL.failed.lock().expect("not poisoned").as_deref(),
            Some(e.to_string().as_str())
        );
    }
}
