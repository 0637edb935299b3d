//! Raw files, content-addressed on disk (design.md 7): `<data>/raw/ab/cd/<sha256>`, written
//! once through a temporary file and a rename, never modified, so a replay always starts
//! from exactly the bytes the partner sent.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The raw file area.
#[derive(Debug, Clone)]
pub struct RawStore {
    root: PathBuf,
}

/// A stored raw file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFile {
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

impl RawStore {
    /// Raw files under `<data>/raw`.
    pub fn new(data: &Path) -> Self {
        Self {
            root: data.join("raw"),
        }
    }

    /// Where the file with this hash lives.
    pub fn path(&self, sha256: &str) -> PathBuf {
        let (a, b) = (
            &sha256[..2.min(sha256.len())],
            sha256.get(2..4).unwrap_or("00"),
        );
        self.root.join(a).join(b).join(sha256)
    }

    /// Copies `src` into the store while hashing it, in bounded memory; an existing copy is
    /// kept as it is (same hash, same bytes).
    pub fn put_reader(&self, mut src: impl Read) -> io::Result<RawFile> {
        std::fs::create_dir_all(&self.root)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.root)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut size = 0u64;
        loop {
            let n = match src.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n])?;
            size += n as u64;
        }
        tmp.as_file().sync_all()?;
        let sha256 = hex(&hasher.finalize());
        let path = self.path(&sha256);
        if !path.exists() {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            tmp.persist(&path).map_err(|e| e.error)?;
        }
        Ok(RawFile { sha256, size })
    }

    /// Stores bytes held in memory.
    pub fn put(&self, bytes: &[u8]) -> io::Result<RawFile> {
        self.put_reader(bytes)
    }

    /// Opens a stored file for streaming.
    pub fn open(&self, sha256: &str) -> io::Result<BufReader<File>> {
        Ok(BufReader::with_capacity(
            256 * 1024,
            File::open(self.path(sha256))?,
        ))
    }

    /// Reads a stored file whole (acknowledgments and rendered documents are small).
    pub fn read(&self, sha256: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.path(sha256))
    }
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// SHA-256 of bytes as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn stores_once_under_the_hash_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let raw = RawStore::new(dir.path());
        let a = raw.put(b"ISA*00*...").unwrap();
        assert_eq!(a.sha256, sha256_hex(b"ISA*00*..."));
        assert_eq!(a.size, 10);
        let path = raw.path(&a.sha256);
        assert!(path.ends_with(format!(
            "{}/{}/{}",
            &a.sha256[..2],
            &a.sha256[2..4],
            a.sha256
        )));
        let b = raw.put(b"ISA*00*...").unwrap();
        assert_eq!(a, b);
        assert_eq!(raw.read(&a.sha256).unwrap(), b"ISA*00*...");
        // Only the one file and its directories: no temporary file left behind.
        let entries: Vec<_> = std::fs::read_dir(dir.path().join("raw")).unwrap().collect();
        assert_eq!(entries.len(), 1);
    }
}
