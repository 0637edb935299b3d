//! Reader and validator throughput on generated 844 claims, against a `memchr2` delimiter
//! count over the same bytes as the baseline (the least work any X12 reader must do).
//!
//! ```text
//! cargo bench -p x12 --bench validate
//! ```
//!
//! Inputs come from `x12::generate` with a fixed seed, built in memory once per size: 1, 10 and
//! 100 MiB. Groups, each reporting `Throughput::Bytes`:
//!
//! - `baseline_memchr2`: count `~` and `*` with `memchr::memchr2_iter`;
//! - `tokenize`: every segment and element through `SegmentReader` over the slice;
//! - `validate_stream`: every element visited plus every envelope check, `Validator` fed
//!   segment by segment (the target of issue #3: at least the baseline's throughput);
//! - `validate_envelope`: `validate_stream` with `envelope_only`;
//! - `validate_full`: `validate_stream` with element and segment syntax checks.
//!
//! Sampling is flat with 10 samples, 1 s of warm-up and 5 s of measurement, so each benchmark
//! runs at least ten iterations; the 100 MiB `validate_full` case alone needs about 40 s, and
//! the whole run took about 2 minutes on a 2-core machine, so 100 MiB is on by default.
//! `CHARGEGATE_BENCH_SMALL=1` leaves it out for a quicker run.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use x12::generate::{SetKind, corpus};
use x12::validate::{ValidateOptions, Validator, validate_stream};
use x12::{ReaderOptions, SegmentReader};

const SEED: u64 = 2026;

fn inputs() -> Vec<(String, Vec<u8>)> {
    let small = std::env::var_os("CHARGEGATE_BENCH_SMALL").is_some_and(|v| v == "1");
    let sizes: &[usize] = if small { &[1, 10] } else { &[1, 10, 100] };
    sizes
        .iter()
        .map(|&mb| {
            let mut data = Vec::with_capacity((mb << 20) + (64 << 10));
            corpus(SetKind::Claim844, mb << 20, SEED, &mut data).expect("writing to a Vec");
            (format!("{mb}MiB"), data)
        })
        .collect()
}

fn memchr2_count(data: &[u8]) -> usize {
    memchr::memchr2_iter(b'~', b'*', data).count()
}

/// Visits every segment and element; the summed lengths keep the work observable.
fn tokenize(data: &[u8]) -> usize {
    let mut r = SegmentReader::with_options(data, ReaderOptions::default());
    let mut total = 0usize;
    while let Ok(Some(seg)) = r.next_segment() {
        total += seg.id().len();
        for e in seg.elements() {
            total += e.len();
        }
    }
    total
}

/// The issue's target: every element tokenized and visited, plus every envelope check.
fn validate_stream_every_element(data: &[u8]) -> usize {
    let mut r = SegmentReader::with_options(data, ReaderOptions::default());
    let mut v = Validator::new(ValidateOptions {
        envelope_only: true,
        ..ValidateOptions::default()
    });
    let mut total = 0usize;
    while let Ok(Some(seg)) = r.next_segment() {
        for e in seg.elements() {
            total += e.len();
        }
        v.feed(&seg);
    }
    v.finish();
    assert!(!v.has_diagnostics(), "generated input is clean");
    total + v.take_reports().len()
}

fn validate(data: &[u8], envelope_only: bool) -> (u64, u64) {
    let opts = ValidateOptions {
        envelope_only,
        ..ValidateOptions::default()
    };
    let mut diagnostics = 0u64;
    let segments = validate_stream(
        data,
        ReaderOptions::default(),
        opts,
        |_| diagnostics += 1,
        |ic| {
            black_box(ic);
        },
    );
    (segments, diagnostics)
}

fn group(c: &mut Criterion, name: &str, inputs: &[(String, Vec<u8>)], run: impl Fn(&[u8]) -> u64) {
    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (label, data) in inputs {
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(label), &data[..], |b, d| {
            b.iter(|| run(black_box(d)))
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let inputs = inputs();
    for (label, data) in &inputs {
        // A benchmark of the error path would measure something else; check the input first.
        let (segments, diagnostics) = validate(data, false);
        assert_eq!(
            diagnostics, 0,
            "{label}: generated input must validate clean"
        );
        assert!(segments > 0);
    }
    group(c, "baseline_memchr2", &inputs, |d| memchr2_count(d) as u64);
    group(c, "tokenize", &inputs, |d| tokenize(d) as u64);
    group(c, "validate_stream", &inputs, |d| {
        validate_stream_every_element(d) as u64
    });
    group(c, "validate_envelope", &inputs, |d| validate(d, true).0);
    group(c, "validate_full", &inputs, |d| validate(d, false).0);
}

criterion_group!(validate_benches, benches);
criterion_main!(validate_benches);
