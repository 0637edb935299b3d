//! Where translate's time goes: the same file read four times, each pass doing one stage
//! more (set reader with envelope checks only; with full validation; plus typed reading;
//! plus mapping to normalized documents), then the whole `translate`, with its worker thread
//! and on one thread. Medians of 5 runs.
//!
//! ```text
//! cargo run --release -p x12 --example gen_corpus -- --kind 867 --mb 10 --seed 2026 --out /tmp/c867.x12
//! cargo run --release -p partner-maps --example translate_stages -- /tmp/c867.x12
//! # one stage once (0-3), for `perf stat` / `perf record`; 4 is the whole `translate`, 5 the
//! # same on one thread; 6 and 7 are 4 and 5 ten times in one process (the steady state):
//! cargo run --release -p partner-maps --example translate_stages -- /tmp/c867.x12 2
//! ```

use std::time::{Duration, Instant};

use partner_maps::{Profile, ProfileSet, translate};
use schemas::Source;
use x12::ReaderOptions;
use x12::stream::{Event, SetReader};
use x12::validate::ValidateOptions;

/// The allocator the `chargegate` binary ships with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const STAGES: [&str; 4] = [
    "set reader, envelope checks",
    "set reader, full validation",
    "+ typed read",
    "+ mapping",
];

fn stage(data: &[u8], profile: &Profile, n: usize) -> usize {
    let options = ValidateOptions {
        envelope_only: n == 0,
        ..ValidateOptions::default()
    };
    let mut reader = SetReader::new(data, ReaderOptions::default(), options, 64 << 20);
    let source = Source {
        file: String::new(),
        interchange: Default::default(),
        group: Default::default(),
        set: Default::default(),
        partner: None,
    };
    let mut count = 0;
    while let Ok(Some(event)) = reader.next_event() {
        let Event::Set(raw) = event else { continue };
        count += raw.len();
        if n >= 2 {
            let typed = x12::sets::read_set(&raw).expect("generated input reads");
            if n >= 3 {
                let docs = partner_maps::map::map_set(&raw, &typed, profile, &source)
                    .expect("generated input maps");
                count += docs.len();
            }
        }
        reader.recycle(raw);
    }
    count
}

/// The whole `translate` of `data` with `profile`, with its worker thread or on one thread.
fn translate_once(data: &[u8], profile: &Profile, parallel: bool) {
    let options = partner_maps::translate::TranslateOptions {
        parallel,
        ..Default::default()
    };
    let lookup = partner_maps::translate::PartnerLookup::Profile(profile);
    for outcome in partner_maps::translate::translate_with(data, "", lookup, options) {
        std::hint::black_box(outcome.result.expect("generated input translates"));
    }
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: translate_stages FILE");
    let data = std::fs::read(&path).expect("readable file");
    let profile = Profile::default_for_unknown("bench");
    if let Some(n) = std::env::args().nth(2) {
        let n: usize = n.parse().expect("a stage number 0-4");
        if n >= 4 {
            // The whole `translate` once, for peak RSS (`/usr/bin/time -v`); 5 on one thread.
            // 6 and 7: ten times over, as 4 and 5, for a profile of the steady state.
            let times = if n >= 6 { 10 } else { 1 };
            for _ in 0..times {
                translate_once(&data, &profile, matches!(n, 4 | 6));
            }
        } else {
            std::hint::black_box(stage(&data, &profile, n));
        }
        return;
    }
    let mb = data.len() as f64 / f64::from(1 << 20);
    let report = |name: &str, d: Duration| {
        println!(
            "{name:<30} {:>8.1} ms {:>8.1} MiB/s",
            d.as_secs_f64() * 1e3,
            mb / d.as_secs_f64()
        );
    };
    for (n, name) in STAGES.iter().enumerate() {
        let runs = (0..5)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(stage(&data, &profile, n));
                t.elapsed()
            })
            .collect();
        report(name, median(runs));
    }
    let profiles = ProfileSet::from_profiles([profile.clone()]).expect("one profile");
    let runs = (0..5)
        .map(|_| {
            let t = Instant::now();
            for outcome in translate(&data[..], "", &profiles, Some("bench")) {
                std::hint::black_box(outcome.result.expect("generated input translates"));
            }
            t.elapsed()
        })
        .collect();
    report("translate", median(runs));
    let runs = (0..5)
        .map(|_| {
            let t = Instant::now();
            translate_once(&data, &profile, false);
            t.elapsed()
        })
        .collect();
    report("translate, one thread", median(runs));
}
