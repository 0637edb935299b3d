//! Replays the fuzz seeds and every input the fuzzers ever failed on (`parsers/fuzz/seeds/`,
//! `parsers/fuzz/regressions/`) through the reader and the full validator, in both ISA modes,
//! so a fixed crash stays fixed without running libFuzzer. New failing inputs are copied into
//! `regressions/` by `scripts/fuzz.sh`.
//!
//! Termination is checked without timing: every reader call must consume input, so a file of
//! N bytes yields at most N segments; a validator that hung would hang this test.

use std::path::{Path, PathBuf};

use x12::validate::{ValidateOptions, validate};
use x12::{IsaMode, ReaderOptions, SegmentReader};

fn files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file() && p.file_name().is_none_or(|n| n != ".gitkeep"))
        .collect();
    out.sort();
    out
}

/// The options the fuzz targets use.
fn reader(isa_mode: IsaMode) -> ReaderOptions {
    ReaderOptions {
        isa_mode,
        max_segment_len: 64 << 10,
        chunk_size: 4096,
    }
}

fn replay(path: &Path) {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.display();
    for mode in [IsaMode::Strict, IsaMode::Lenient] {
        let mut r = SegmentReader::with_options(&data[..], reader(mode));
        let mut segments = 0usize;
        while let Ok(Some(seg)) = r.next_segment() {
            segments += 1;
            assert!(
                segments <= data.len(),
                "{name}: reader makes no progress ({mode:?})"
            );
            std::hint::black_box(seg.elements().map(<[u8]>::len).sum::<usize>());
        }
        let opts = ValidateOptions {
            file: Some(name.to_string()),
            keep_all_sets: true,
            ..ValidateOptions::default()
        };
        let out = validate(&data[..], reader(mode), opts);
        assert!(out.segments <= data.len() as u64, "{name}: {mode:?}");
        for d in &out.diagnostics {
            std::hint::black_box(d.to_string());
        }
    }
}

#[test]
fn fuzz_seeds_replay_without_panic() {
    let seeds = files("seeds");
    assert!(!seeds.is_empty(), "parsers/fuzz/seeds is empty");
    seeds.iter().for_each(|p| replay(p));
}

#[test]
fn fuzz_regressions_replay_without_panic() {
    files("regressions").iter().for_each(|p| replay(p));
}
