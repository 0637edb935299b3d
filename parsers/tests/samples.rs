//! Every sample in `samples/` reads without panicking; the good ones are clean, the bad one
//! produces located errors with the codes its README promises.

use std::path::PathBuf;

use x12::diagnostic::{Code, SegmentError, SetError, Ta1Note};
use x12::validate::{ValidateOptions, validate};
use x12::{IsaMode, ReaderOptions};

fn sample(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../samples")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn run(name: &str, mode: IsaMode) -> x12::validate::Outcome {
    let reader = ReaderOptions {
        isa_mode: mode,
        ..ReaderOptions::default()
    };
    let opts = ValidateOptions {
        file: Some(name.to_owned()),
        ..ValidateOptions::default()
    };
    validate(&sample(name)[..], reader, opts)
}

#[test]
fn good_samples_validate_clean() {
    for name in [
        "844_4010_claim.x12",
        "844_5010_ship_and_debit.x12",
        "845_4010_contract.x12",
        "845_5010_contract_change.x12",
        "849_4010_response.x12",
        "867_4010_sales.x12",
        "997_4010_ack_844.x12",
        "999_5010_reject_845.x12",
    ] {
        let out = run(name, IsaMode::Strict);
        let msgs: Vec<String> = out.diagnostics.iter().map(|d| d.to_string()).collect();
        assert!(out.is_valid(), "{name}: {msgs:#?}");
        assert_eq!(out.interchanges.len(), 1, "{name}");
        let ic = &out.interchanges[0];
        assert!(ic.errors.is_empty(), "{name}");
        assert_eq!(ic.groups.len(), 1, "{name}");
        assert_eq!(ic.groups[0].status(), "A", "{name}");
        assert_eq!(ic.groups[0].sets_received, 1, "{name}");
    }
}

#[test]
fn bad_isa_is_rejected_in_strict_mode_with_ta1_note() {
    let out = run("bad_isa_len_se_count.x12", IsaMode::Strict);
    assert!(!out.is_valid());
    let ic = &out.interchanges[0];
    assert!(
        ic.errors.contains(&Ta1Note::InvalidControlStructure),
        "{:?}",
        ic.errors
    );
    let first = out.diagnostics[0].to_string();
    assert!(first.starts_with("bad_isa_len_se_count.x12: "), "{first}");
    assert!(first.contains("TA105 022"), "{first}");
}

#[test]
fn bad_isa_read_leniently_reports_sender_id_and_segment_count() {
    let out = run("bad_isa_len_se_count.x12", IsaMode::Lenient);
    let ic = &out.interchanges[0];
    // Tolerated in lenient mode: a TA1 "accepted with errors", then the groups are checked.
    assert!(ic.errors.is_empty(), "{:?}", ic.errors);
    assert!(
        ic.warnings.contains(&Ta1Note::InvalidSenderId),
        "{:?}",
        ic.warnings
    );
    assert!(
        ic.warnings.contains(&Ta1Note::InvalidControlStructure),
        "{:?}",
        ic.warnings
    );
    let group = &ic.groups[0];
    assert_eq!(group.status(), "R");
    assert_eq!(group.sets[0].errors, vec![SetError::SegmentCountMismatch]);
    let se01 = out
        .diagnostics
        .iter()
        .find(|d| d.code == Code::Set(SetError::SegmentCountMismatch))
        .expect("SE01 finding");
    assert_eq!(
        se01.to_string(),
        "bad_isa_len_se_count.x12: interchange 000005001, group 5001, set 0001: SE01 says 62 segments, counted 64 [AK502 4]"
    );
    assert!(
        !out.diagnostics
            .iter()
            .any(|d| matches!(d.code, Code::Segment(SegmentError::Unrecognized)))
    );
}
