//! Any bytes through the whole translation a partner's file takes (set reader, validation,
//! typed reading, mapping to normalized documents), under the sender lookup over the shipped
//! profiles, each shipped profile named, and offline; then every document rendered back in
//! its profile's dialect and every interchange report acknowledged (997 and 999, TA1 when
//! owed) and written: no panic, and every error renders. Shared by the `translate` fuzz
//! target and the replay test of `partner-maps` (`tests/fuzz_replay.rs`), which include it.

use std::sync::LazyLock;

use partner_maps::render::render_set;
use partner_maps::translate::{
    PartnerLookup, SetOutcome, TranslateError, TranslateOptions, fold_outcome, translate_with,
};
use partner_maps::{Profile, ProfileSet};
use x12::ReaderOptions;
use x12::ack::{AckKind, AckParams, Ta1Policy, acknowledge};
use x12::stream::{Event, SetReader};
use x12::validate::{IsaInfo, ValidateOptions};
use x12::writer::{WriteOptions, render_interchange};

/// What a run reached, so a replay can tell that its inputs go all the way through.
#[derive(Debug, Default, Clone, Copy)]
pub struct Reached {
    /// Sets translated into documents.
    pub documents: usize,
    /// Documents rendered back to a typed set.
    pub rendered: usize,
    /// Acknowledgments written.
    pub acks: usize,
}

/// The shipped profiles, compiled in (the fuzzer runs from anywhere).
static PROFILES: LazyLock<ProfileSet> =
    LazyLock::new(|| {
        let texts = [
            (
                "acmepharma.toml",
                include_str!("../../../partner-maps/profiles/acmepharma.toml"),
            ),
            (
                "caresupply.toml",
                include_str!("../../../partner-maps/profiles/caresupply.toml"),
            ),
            (
                "gooddrug.toml",
                include_str!("../../../partner-maps/profiles/gooddrug.toml"),
            ),
            (
                "voltadist.toml",
                include_str!("../../../partner-maps/profiles/voltadist.toml"),
            ),
        ];
        ProfileSet::from_profiles(texts.map(|(file, text)| {
            Profile::from_toml_str(text, file).expect("a shipped profile loads")
        }))
        .expect("the shipped profiles are one set")
    });

/// The translation of `data` under `lookup`, its documents rendered back and its reports
/// acknowledged.
fn translate_all(data: &[u8], lookup: PartnerLookup<'_>, reached: &mut Reached) {
    let options = TranslateOptions {
        file: Some("fuzz.x12".to_owned()),
        // One thread: the outcomes are the same, and libFuzzer's inputs are small.
        parallel: false,
        ..TranslateOptions::default()
    };
    let mut translator = translate_with(data, "fuzz", lookup, options);
    for outcome in translator.by_ref() {
        for d in &outcome.diagnostics {
            let _ = d.to_string();
        }
        match &outcome.result {
            Ok(docs) => {
                let profile = outcome.partner.as_deref().and_then(|id| PROFILES.get(id));
                reached.documents += docs.len();
                for doc in docs {
                    for p in profile.into_iter().chain(PROFILES.iter().take(1)) {
                        if let Ok(set) = render_set(doc, p) {
                            let _ = set.to_segments(p.x12.version);
                            reached.rendered += 1;
                        }
                    }
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    let _ = translator.token_error().map(ToString::to_string);
    for d in translator.take_envelope_diagnostics() {
        let _ = d.to_string();
    }
    for report in translator.take_reports() {
        for kind in [AckKind::Fa997, AckKind::Ia999] {
            let params = AckParams {
                kind,
                ta1: Ta1Policy::WhenRequestedOrRejected,
                all_sets: true,
                interchange_control_number: 1,
                group_control_number: 1,
                date: "20261206".to_owned(),
                time: "1200".to_owned(),
            };
            if let Some(ack) = acknowledge(&report, &params)
                && render_interchange(&ack, WriteOptions::default()).is_ok()
            {
                reached.acks += 1;
            }
        }
    }
}

/// The translation leaves the checks inside each set to the thread that maps it: its
/// outcomes carry the findings, and its reports (failures folded in) are those of checking
/// every set as read, the translation's rejections folded in. Every set is kept in the
/// reports, so each set's report is compared. Returns the number of sets.
pub fn same_as_checked_inline(data: &[u8], lookup: PartnerLookup<'_>, parallel: bool) -> usize {
    let options = TranslateOptions {
        file: Some("fuzz.x12".to_owned()),
        keep_all_sets: Some(true),
        parallel,
        ..TranslateOptions::default()
    };
    let reader_options = match lookup {
        PartnerLookup::Profile(p) => p.x12.reader_options(),
        _ => ReaderOptions::default(),
    };
    let mut translator = translate_with(data, "fuzz", lookup, options);
    let outcomes: Vec<SetOutcome> = translator.by_ref().collect();
    let reports = translator.take_reports();
    let validate = |lenient| ValidateOptions {
        file: Some("fuzz.x12".to_owned()),
        keep_all_sets: true,
        lenient_867_line_order: lenient,
        ..ValidateOptions::default()
    };
    // Checked as read twice in step, as the standard has 867 lines and as a partner whose
    // profile allows LIN first sends them: each group takes the reading of its partner.
    let mut reader = SetReader::new(data, reader_options, validate(false), 64 << 20);
    let mut lenient_reader = SetReader::new(data, reader_options, validate(true), 64 << 20);
    let lenient = |isa: &IsaInfo, gs02: &str| match lookup {
        PartnerLookup::Profile(p) => p.dialect.lenient_867_line_order,
        PartnerLookup::Sender(set) => set
            .find_by_sender(&isa.sender_qualifier, &isa.sender_id, Some(gs02))
            .is_some_and(|p| p.dialect.lenient_867_line_order),
        PartnerLookup::Missing(_) | PartnerLookup::Offline => false,
    };
    // Outcomes come in input order: each interchange's sets, then one per TA1 it held.
    let (mut next, mut sets, mut from, mut inline) = (0, 0, 0, Vec::new());
    while let Ok(Some(event)) = reader.next_event() {
        let Ok(Some(twin)) = lenient_reader.next_event() else {
            panic!("both readings see the same envelopes");
        };
        match (event, twin) {
            (Event::Set(strict), Event::Set(lenient_raw)) => {
                let raw = if lenient(&strict.context.isa, &strict.context.group.sender) {
                    lenient_raw
                } else {
                    strict
                };
                let o = outcomes.get(next).expect("an outcome for every set");
                assert_eq!((&o.set, o.offset), (&raw.control_number, raw.offset));
                assert_eq!(
                    o.diagnostics, raw.diagnostics,
                    "set {} at {}",
                    o.set, o.offset
                );
                let invalid = matches!(o.result, Err(TranslateError::Invalid { .. }));
                assert_eq!(invalid, !raw.is_valid(), "set {} at {}", o.set, o.offset);
                next += 1;
                sets += 1;
            }
            (Event::InterchangeEnd(mut report), Event::InterchangeEnd(lenient_report)) => {
                for (group, twin) in report.groups.iter_mut().zip(lenient_report.groups) {
                    if lenient(&report.isa, &group.sender) {
                        *group = twin;
                    }
                }
                for o in &outcomes[from..next] {
                    fold_outcome(&mut report, o);
                }
                next += report.ta1s.len();
                from = next;
                inline.push(report);
            }
            _ => panic!("both readings see the same envelopes"),
        }
    }
    assert_eq!(next, outcomes.len(), "one outcome per set and TA1");
    assert_eq!(reports, inline, "reports");
    sets
}

/// [`translate_all`] under every lookup.
pub fn translate_everywhere(data: &[u8]) -> Reached {
    same_as_checked_inline(data, PartnerLookup::Sender(&PROFILES), false);
    let mut reached = Reached::default();
    translate_all(data, PartnerLookup::Sender(&PROFILES), &mut reached);
    translate_all(data, PartnerLookup::Offline, &mut reached);
    for profile in PROFILES.iter() {
        translate_all(data, PartnerLookup::Profile(profile), &mut reached);
    }
    reached
}
