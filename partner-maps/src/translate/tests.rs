//! The translation with more workers than this machine may start by itself.

use super::*;

/// A translation of `data` as text: its outcomes and reports, with `workers` (`None`: on the
/// calling thread alone).
fn run(data: &[u8], profile: &Profile, workers: Option<&'static Workers>) -> (Vec<String>, String) {
    let options = TranslateOptions {
        parallel: workers.is_some(),
        ..TranslateOptions::default()
    };
    let mut t = translate_with(data, "", PartnerLookup::Profile(profile), options);
    t.workers = workers;
    let outcomes = t.by_ref().map(|o| format!("{o:?}")).collect();
    (outcomes, format!("{:?}", t.take_reports()))
}

#[test]
fn three_workers_share_each_round_and_give_the_one_thread_outcomes() {
    let workers: &'static Workers = Box::leak(Box::new(Workers::start(3).expect("threads start")));
    assert_eq!(workers.len(), 3);
    let profile = Profile::default_for_unknown("bench");
    for (kind, seed) in [
        (x12::generate::SetKind::Sales867, 7),
        (x12::generate::SetKind::Claim844, 8),
    ] {
        let mut data = Vec::new();
        x12::generate::corpus(kind, 1 << 20, seed, &mut data).expect("writing to a Vec");
        // Some sets fail (an unknown product qualifier), so rejections are folded in too.
        let data = x12::generate::corrupt_every(&data, b"LIN**", b"LIN**ZZ*", 41);
        let alone = run(&data, &profile, None);
        let shared = run(&data, &profile, Some(workers));
        assert!(alone.0.len() > 300, "{kind:?}: {} sets", alone.0.len());
        assert!(
            alone.0.iter().any(|o| o.contains("result: Err")),
            "{kind:?}"
        );
        assert!(alone.0.iter().any(|o| o.contains("result: Ok")), "{kind:?}");
        assert_eq!(alone, shared, "{kind:?}");
    }
    // Every worker had a share of the rounds.
    let taken = workers.taken();
    assert!(
        taken.iter().all(|&n| n > 0),
        "sets taken per worker: {taken:?}"
    );
}
