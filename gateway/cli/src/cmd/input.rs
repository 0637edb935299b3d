//! Opening input files, finding the partner profile that applies, and the reader options
//! shared by the offline commands.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::Context;
use partner_maps::{Profile, ProfileSet};
use x12::{IsaMode, ReaderOptions, SegmentReader};

/// Reader flags shared by `validate`, `parse` and `ack`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReadFlags {
    /// Read the ISA by counting separators instead of fixed offsets (tolerates mis-padded ids).
    #[arg(long)]
    pub lenient: bool,
    /// Partner profile id to apply (default: found from the file's ISA/GS sender).
    #[arg(long)]
    pub partner: Option<String>,
    /// Directory of partner profiles [default: partner-maps/profiles, when it exists].
    #[arg(long, env = "CHARGEGATE__PATHS__PROFILES")]
    pub profiles: Option<PathBuf>,
}

/// Where the profiles are when no directory is named.
const DEFAULT_PROFILES: &str = "partner-maps/profiles";

impl ReadFlags {
    /// The tokenizer options: the profile's, made lenient by `--lenient`.
    pub fn reader_options(&self, profile: Option<&Profile>) -> ReaderOptions {
        let mut opts = profile.map_or_else(ReaderOptions::default, |p| p.x12.reader_options());
        if self.lenient {
            opts.isa_mode = IsaMode::Lenient;
        }
        opts
    }

    /// Loads the profiles and picks the one for `path`: `--partner`, else by sender ids.
    /// Says on stderr when none applies (the standard dialect is used then).
    pub fn profile_for(&self, path: &Path) -> anyhow::Result<Option<Profile>> {
        // A directory named (flag or environment) must be there; the default may be absent
        // (offline commands then use the standard dialect).
        let named = self.profiles.is_some();
        let dir = self
            .profiles
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_PROFILES));
        let set = if dir.is_dir() {
            ProfileSet::load_dir(&dir)
                .with_context(|| format!("loading partner profiles from {}", dir.display()))?
        } else if named || self.partner.is_some() {
            anyhow::bail!("no profile directory at {}", dir.display());
        } else {
            ProfileSet::default()
        };
        if let Some(id) = &self.partner {
            let p = set
                .get(id)
                .with_context(|| format!("no partner profile {id:?} in {}", dir.display()))?;
            return Ok(Some(p.clone()));
        }
        let found = sender_of(path)?
            .and_then(|(q, id, gs)| set.find_by_sender(&q, &id, gs.as_deref()).cloned());
        match &found {
            Some(p) => eprintln!("note: {}: partner {} ({})", path.display(), p.id, p.name),
            None => eprintln!(
                "note: {}: no partner profile applies; using the standard X12 dialect and default rules",
                path.display()
            ),
        }
        Ok(found)
    }
}

/// ISA05, ISA06 and GS02 of the first interchange, read from the start of the file.
fn sender_of(path: &Path) -> anyhow::Result<Option<(String, String, Option<String>)>> {
    let mut head = Vec::with_capacity(8192);
    open(path)?
        .take(8192)
        .read_to_end(&mut head)
        .with_context(|| format!("reading {}", path.display()))?;
    let opts = ReaderOptions {
        isa_mode: IsaMode::Lenient,
        ..ReaderOptions::default()
    };
    let mut r = SegmentReader::with_options(&head[..], opts);
    let Ok(Some(isa)) = r.next_segment() else {
        return Ok(None);
    };
    if isa.id() != b"ISA" {
        return Ok(None);
    }
    let q = isa.text(5).unwrap_or("").trim().to_owned();
    let id = isa.text(6).unwrap_or("").trim().to_owned();
    let gs = match r.next_segment() {
        Ok(Some(gs)) if gs.id() == b"GS" => gs.text(2).map(str::to_owned),
        _ => None,
    };
    Ok(Some((q, id, gs)))
}

/// The largest interchange, group or set control number: ISA13 has nine digits, and GS06 and
/// ST02 at most nine.
pub const MAX_CONTROL_NUMBER: u32 = 999_999_999;

/// A control number argument (`--icn`, `--gcn`, `--scn`): 1 to [`MAX_CONTROL_NUMBER`].
pub fn control_number(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(n) if (1..=MAX_CONTROL_NUMBER).contains(&n) => Ok(n),
        _ => Err(format!("a control number is 1 to {MAX_CONTROL_NUMBER}")),
    }
}

/// Opens a file for streaming; a missing file is an environment error (exit 2).
pub fn open(path: &Path) -> anyhow::Result<BufReader<File>> {
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(BufReader::with_capacity(256 << 10, f))
}
