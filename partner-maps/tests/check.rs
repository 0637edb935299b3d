//! `check`: every profile passes over its own samples, and a sample that does not fit says
//! which segment and qualifier and which profile key.

use std::path::{Path, PathBuf};

use partner_maps::{CheckReport, ProfileSet, check};

fn profiles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles")
}

fn samples_of(id: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(profiles_dir().join(id).join("samples"))
        .expect("samples")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let name = format!(
                "{id}/samples/{}",
                f.file_name().and_then(|n| n.to_str()).expect("name")
            );
            (name, std::fs::read(&f).expect("read"))
        })
        .collect()
}

#[test]
fn every_profile_checks_clean_against_its_samples() {
    let set = ProfileSet::load_dir(profiles_dir()).expect("profiles load");
    for p in set.iter() {
        let samples = samples_of(&p.id);
        let refs: Vec<(&str, &[u8])> = samples
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let report = check(p, &refs);
        assert!(report.is_ok(), "{report}");
        let s = report.summary();
        assert_eq!(s.sets, s.mapped, "{report}");
        assert!(s.documents >= 1 && s.lines >= 1, "{report}");
    }
}

#[test]
fn gooddrug_summary_counts_documents_and_lines() {
    let set = ProfileSet::load_dir(profiles_dir()).expect("profiles load");
    let samples = samples_of("gooddrug");
    let refs: Vec<(&str, &[u8])> = samples
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let report = check(set.get("gooddrug").expect("gooddrug"), &refs);
    let s = report.summary();
    assert_eq!(
        (s.samples, s.sets, s.documents, s.lines, s.errors),
        (2, 2, 2, 10, 0)
    );
    let text = report.to_string();
    assert!(
        text.starts_with("partner gooddrug: 2 sample(s), 2 set(s), 2 mapped to 2 document(s) with 10 line(s); 0 error(s)"),
        "{text}"
    );
    assert!(
        text.contains("set 0001 (844): claim GDD-CB-20261115-0001 (6 line(s))"),
        "{text}"
    );
    assert!(
        text.contains("set 0001 (867): sales_report GDD-867-202611 (4 line(s))"),
        "{text}"
    );
}

/// GOOD DRUG's claim sample with `from` replaced by `to`, checked: the report and the notes
/// of its one set.
fn gooddrug_claim_edited(from: &str, to: &str) -> (CheckReport, Vec<String>) {
    let set = ProfileSet::load_dir(profiles_dir()).expect("profiles load");
    let sample =
        std::fs::read_to_string(profiles_dir().join("gooddrug/samples/844_4010_claim.x12"))
            .expect("sample");
    assert!(sample.contains(from), "{from:?} not in the sample");
    let text = sample.replace(from, to);
    let report = check(
        set.get("gooddrug").expect("gooddrug"),
        &[("claim.x12", text.as_bytes())],
    );
    let notes = report.samples[0].sets[0]
        .notes
        .iter()
        .map(|n| n.to_string())
        .collect();
    (report, notes)
}

#[test]
fn a_price_on_an_unknown_basis_is_named_with_its_segment_and_profile_key() {
    let (report, notes) = gooddrug_claim_edited("UIT*CA*65.00*WH~", "UIT*CA*65.00*SW~");
    // The WAC is optional in a claim: the line still maps, and the note says why it has none.
    assert!(report.is_ok(), "{report}");
    assert_eq!(
        notes,
        [
            "segment 28 (UIT), line 3: UIT03 'SW' not in dialect.reference_price_basis [\"WH\"] or dialect.contract_price_basis [\"CT\"]"
        ]
    );
    assert!(
        report
            .to_string()
            .contains("    note: segment 28 (UIT), line 3: UIT03 'SW'")
    );
}

/// A UIT without UIT03 has a price nobody can place (WAC? contract price?): the note says
/// so at the UIT, with the price left unused. It said "UIT03 '(none)' not in ...".
#[test]
fn a_price_without_a_basis_is_noted_at_its_uit_with_the_price_not_used() {
    let (report, notes) = gooddrug_claim_edited("UIT*CA*65.00*WH~", "UIT*CA*65.00~");
    assert!(report.is_ok(), "{report}");
    assert_eq!(
        notes,
        [
            "segment 28 (UIT), line 3: UIT has no UIT03 (basis of unit price); its price 65.00 was not used"
        ]
    );
}

/// The contract price is required: when the only candidate is a UIT without UIT03, the
/// error is that UIT's missing UIT03 (AK4 3 639), not a UIT missing from the loop.
#[test]
fn a_contract_price_without_a_basis_is_an_error_at_its_uit() {
    let (report, _) = gooddrug_claim_edited("UIT*CA*45.00*CT~", "UIT*CA*45.00~");
    assert!(!report.is_ok(), "{report}");
    let text = report.to_string();
    assert!(
        text.contains("segment 29 (UIT)")
            && text.contains(
                "no contract price: no UIT with basis CT: UIT has no UIT03 (basis of unit price); its price 45.00 was not used (dialect.contract_price_basis)"
            ),
        "{text}"
    );
}

#[test]
fn a_claim_whose_summary_is_not_the_sum_of_its_lines_is_noted() {
    let (report, notes) = gooddrug_claim_edited("AMT*CC*255.25~", "AMT*CC*999.99~");
    assert!(report.is_ok(), "{report}");
    assert!(
        notes.iter().any(|n| n
            .ends_with("the summary AMT CC 999.99 is not the sum of the lines' amounts (255.25)")),
        "{notes:?}"
    );
}

#[test]
fn a_set_that_does_not_map_lists_every_reason() {
    let set = ProfileSet::load_dir(profiles_dir()).expect("profiles load");
    let text = std::fs::read_to_string(profiles_dir().join("gooddrug/samples/844_4010_claim.x12"))
        .expect("sample")
        .replace("UIT*CA*45.00*CT~", "UIT*CA*45.00*SC~")
        .replace("QTY*39*3*CA~", "QTY*32*3*CA~");
    let report = check(
        set.get("gooddrug").expect("gooddrug"),
        &[("claim.x12", text.as_bytes())],
    );
    assert!(!report.is_ok());
    let set_check = &report.samples[0].sets[0];
    assert!(set_check.documents.is_empty());
    assert_eq!(
        set_check.errors,
        [
            "claim.x12: interchange 000005001, group 5001, set 0001, segment 26 (PAD): line 3: no contract price: no UIT with basis CT (dialect.contract_price_basis)",
            "claim.x12: interchange 000005001, group 5001, set 0001, segment 46 (PAD): line 5: no quantity: no QTY with QTY01 39; found \"32\" (dialect.quantity_qualifier)",
        ]
    );
    let text = report.to_string();
    assert!(text.contains("(844): not mapped"), "{text}");
    assert!(text.contains("UIT03 'SC' not in"), "{text}");
}

#[test]
fn caresupply_notes_the_catalog_price_a_sales_line_has_no_place_for() {
    let set = ProfileSet::load_dir(profiles_dir()).expect("profiles load");
    let samples = samples_of("caresupply");
    let refs: Vec<(&str, &[u8])> = samples
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let report = check(set.get("caresupply").expect("caresupply"), &refs);
    let notes = &report.samples[0].sets[0].notes;
    assert_eq!(notes.len(), 6, "{report}");
    assert_eq!(
        notes[0].to_string(),
        "segment 16 (UIT), line 1: UIT03 'CA' not mapped: a sales line keeps only the sell price"
    );
}

/// CARE SUPPLY's tracing sample with every line opening with LIN, then QTY, as a partner
/// with `lenient_867_line_order = true` sends it.
fn caresupply_tracing_lin_first() -> String {
    let sample =
        std::fs::read_to_string(profiles_dir().join("caresupply/samples/867_5010_tracing.x12"))
            .expect("sample");
    let segments: Vec<&str> = sample.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut i = 0;
    while i < segments.len() {
        if segments[i].starts_with("QTY*")
            && segments.get(i + 1).is_some_and(|s| s.starts_with("LIN*"))
        {
            out.push_str(segments[i + 1]);
            out.push_str(segments[i]);
            i += 2;
        } else {
            out.push_str(segments[i]);
            i += 1;
        }
    }
    assert_ne!(out, sample, "no line was reordered");
    out
}

#[test]
fn a_profile_that_takes_lin_before_qty_checks_such_a_sample_clean() {
    // validate, translate and ack read it with the profile's line order; check must too, or
    // a drafted profile (`partner new` sets the flag from such samples) fails its own samples.
    let set = ProfileSet::load_dir(profiles_dir()).expect("profiles load");
    let profile = set.get("caresupply").expect("caresupply");
    assert!(profile.dialect.lenient_867_line_order);
    let text = caresupply_tracing_lin_first();
    let report = check(profile, &[("lin_first.x12", text.as_bytes())]);
    assert!(report.is_ok(), "{report}");
    let s = report.summary();
    assert_eq!(
        (s.sets, s.mapped, s.lines, s.errors),
        (1, 1, 6, 0),
        "{report}"
    );
}

#[test]
fn a_profile_that_wants_qty_first_still_flags_lin_before_qty() {
    let set = ProfileSet::load_dir(profiles_dir()).expect("profiles load");
    let mut profile = set.get("caresupply").expect("caresupply").clone();
    profile.dialect.lenient_867_line_order = false;
    let text = caresupply_tracing_lin_first();
    let report = check(&profile, &[("lin_first.x12", text.as_bytes())]);
    assert!(!report.is_ok(), "{report}");
    assert!(
        report.samples[0]
            .diagnostics
            .iter()
            .any(|d| d.to_string().contains("segment 13 (LIN)")),
        "{report}"
    );
}
