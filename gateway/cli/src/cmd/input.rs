//! Opening input files and the reader options shared by the offline commands.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::Context;
use x12::{IsaMode, ReaderOptions};

/// Reader flags shared by `validate`, `parse` and `ack`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReadFlags {
    /// Read the ISA by counting separators instead of fixed offsets (tolerates mis-padded ids).
    #[arg(long)]
    pub lenient: bool,
}

impl ReadFlags {
    /// The tokenizer options these flags select.
    pub fn reader_options(&self) -> ReaderOptions {
        ReaderOptions {
            isa_mode: if self.lenient {
                IsaMode::Lenient
            } else {
                IsaMode::Strict
            },
            ..ReaderOptions::default()
        }
    }
}

/// Opens a file for streaming; a missing file is an environment error (exit 2).
pub fn open(path: &Path) -> anyhow::Result<BufReader<File>> {
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(BufReader::with_capacity(256 << 10, f))
}

/// Says on stderr that no partner profile applies to an offline run.
pub fn note_standard_dialect(path: &Path) {
    eprintln!(
        "note: {}: no partner profile given; using the standard X12 dialect and default rules",
        path.display()
    );
}
