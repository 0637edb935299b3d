//! Bytes written in order that may grow past what should be held: kept in memory up to
//! [`SPOOL_AT`], then in an anonymous temporary file (removed when dropped). A claim #1 844
//! of a million-line period is ~300 MB of JSON; held, its buffer doubled (a copy of the whole)
//! while it grew.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

/// Bytes held in memory before they go to a file.
pub(crate) const SPOOL_AT: usize = 4 << 20;

/// See the module.
pub(crate) enum Spool {
    Memory(Vec<u8>),
    File { file: BufWriter<File>, len: u64 },
}

impl Default for Spool {
    fn default() -> Self {
        Spool::Memory(Vec::new())
    }
}

impl Spool {
    /// Bytes written.
    pub(crate) fn len(&self) -> u64 {
        match self {
            Spool::Memory(bytes) => bytes.len() as u64,
            Spool::File { len, .. } => *len,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What was written: the bytes, or the file to read them from (at its start).
    pub(crate) fn finish(self) -> std::io::Result<Spooled> {
        match self {
            Spool::Memory(bytes) => Ok(Spooled::Memory(bytes)),
            Spool::File { file, .. } => {
                let mut file = file.into_inner().map_err(|e| e.into_error())?;
                file.seek(SeekFrom::Start(0))?;
                Ok(Spooled::File(file))
            }
        }
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Spool::Memory(bytes) if bytes.len() + buf.len() <= SPOOL_AT => {
                bytes.extend_from_slice(buf);
            }
            Spool::Memory(bytes) => {
                let mut file = BufWriter::with_capacity(1 << 20, tempfile::tempfile()?);
                file.write_all(bytes)?;
                file.write_all(buf)?;
                let len = (bytes.len() + buf.len()) as u64;
                *self = Spool::File { file, len };
            }
            Spool::File { file, len } => {
                file.write_all(buf)?;
                *len += buf.len() as u64;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Spool::Memory(_) => Ok(()),
            Spool::File { file, .. } => file.flush(),
        }
    }
}

/// A finished [`Spool`].
pub(crate) enum Spooled {
    Memory(Vec<u8>),
    File(File),
}

impl Spooled {
    /// Rewinds a file to read it again.
    pub(crate) fn rewind(&mut self) -> std::io::Result<()> {
        if let Spooled::File(file) = self {
            file.seek(SeekFrom::Start(0))?;
        }
        Ok(())
    }

    /// Reads what was written, once per [`Spooled::rewind`].
    pub(crate) fn reader(&mut self) -> Box<dyn Read + Send + '_> {
        match self {
            Spooled::Memory(bytes) => Box::new(bytes.as_slice()),
            Spooled::File(file) => Box::new(file),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_writes_stay_in_memory_large_ones_go_to_a_file_and_read_back_whole() {
        let mut small = Spool::default();
        small.write_all(b"[1,2]").expect("write");
        assert!(matches!(small, Spool::Memory(_)));
        let mut spooled = small.finish().expect("finish");
        let mut back = Vec::new();
        spooled.reader().read_to_end(&mut back).expect("read");
        assert_eq!(back, b"[1,2]");

        let piece: Vec<u8> = (0..=255u8).cycle().take(1_000_003).collect();
        let mut big = Spool::default();
        for _ in 0..5 {
            big.write_all(&piece).expect("write");
        }
        assert!(matches!(big, Spool::File { .. }));
        assert_eq!(big.len(), 5 * piece.len() as u64);
        let mut spooled = big.finish().expect("finish");
        for _ in 0..2 {
            let mut back = Vec::new();
            spooled.reader().read_to_end(&mut back).expect("read");
            assert_eq!(back.len(), 5 * piece.len());
            assert!(back.chunks(piece.len()).all(|c| c == piece.as_slice()));
            spooled.rewind().expect("rewind");
        }
    }
}
