//! Replays through the `translate` fuzz target's checks (`parsers/fuzz/src/translate_all.rs`:
//! the whole translation under every lookup, documents rendered back, reports acknowledged)
//! the fuzz seeds, every shipped profile's samples, and every input that target ever failed
//! on (`parsers/fuzz/regressions/translate-*`, copied there by `scripts/fuzz.sh`), so a fixed
//! crash stays fixed without running libFuzzer.

use std::path::{Path, PathBuf};

#[path = "../../parsers/fuzz/src/translate_all.rs"]
mod translate_all;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
}

fn files_in(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file() && p.file_name().and_then(|n| n.to_str()).is_some_and(&keep))
        .collect();
    out.sort();
    out
}

/// Replays `paths`; what each reached, by file.
fn replay(paths: &[PathBuf]) -> Vec<(&Path, translate_all::Reached)> {
    paths
        .iter()
        .map(|path| {
            let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path.as_path(), translate_all::translate_everywhere(&data))
        })
        .collect()
}

#[test]
fn fuzz_seeds_and_profile_samples_translate_without_panic() {
    let seeds = files_in(&root().join("parsers/fuzz/seeds"), |_| true);
    assert!(!seeds.is_empty(), "parsers/fuzz/seeds is empty");
    replay(&seeds);
    let profiles = root().join("partner-maps/profiles");
    let mut samples = Vec::new();
    for profile in std::fs::read_dir(&profiles).expect("profiles") {
        let dir = profile.expect("directory entry").path().join("samples");
        if dir.is_dir() {
            samples.extend(files_in(&dir, |n| n.ends_with(".x12")));
        }
    }
    assert!(samples.len() >= 4, "every shipped profile has samples");
    // The samples are good files: each goes all the way through, to documents rendered
    // back and an acknowledgment, so the checks reach every stage.
    for (path, reached) in replay(&samples) {
        let name = path.display();
        assert!(reached.documents > 0, "{name}: no document ({reached:?})");
        assert!(
            reached.rendered > 0,
            "{name}: nothing rendered back ({reached:?})"
        );
        assert!(reached.acks > 0, "{name}: no acknowledgment ({reached:?})");
    }
}

#[test]
fn translate_fuzz_regressions_replay_without_panic() {
    replay(&files_in(&root().join("parsers/fuzz/regressions"), |n| {
        n.starts_with("translate-")
    }));
}

/// The checks inside each set run on the mapping threads, after the envelope was read: over
/// many rounds, on both threads, with sets failing those checks (a bad date, an unknown
/// segment, a segment out of place), typed reading and mapping, the outcomes and reports are
/// those of checking every set as it is read.
#[test]
fn checks_on_the_mapping_threads_find_what_checking_as_read_finds() {
    let mut data = Vec::new();
    x12::generate::corpus(x12::generate::SetKind::Sales867, 2 << 20, 11, &mut data)
        .expect("writing to a Vec");
    let data = x12::generate::corrupt_every(&data, b"DTM*003*2026", b"DTM*003*2026X", 37);
    let data = x12::generate::corrupt_every(&data, b"LIN**N4*", b"LIN**ZZ*", 53);
    let data = x12::generate::corrupt_every(&data, b"~\nUIT*", b"~\nZZZ*1~\nUIT*", 71);
    let data =
        x12::generate::corrupt_every(&data, b"~\nCTT*", b"~\nCTT*1~\nDTM*090*20260101~\nCTT*", 29);
    let profile = partner_maps::Profile::default_for_unknown("bench");
    for parallel in [false, true] {
        let lookup = partner_maps::translate::PartnerLookup::Profile(&profile);
        let sets = translate_all::same_as_checked_inline(&data, lookup, parallel);
        assert!(sets > 500, "{sets} sets");
    }
    let text = String::from_utf8_lossy(&data);
    for what in ["ZZZ*1~", "2026X", "LIN**ZZ*", "CTT*1~"] {
        assert!(text.contains(what), "corrupted with {what}");
    }
}
