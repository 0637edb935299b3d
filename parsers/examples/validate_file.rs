//! Streams one file through the validator and prints what it found, for measuring peak memory
//! and wall time on large inputs until the `chargegate validate` subcommand exists:
//!
//! ```text
//! cargo build --release -p x12 --example validate_file
//! /usr/bin/time -v target/release/examples/validate_file FILE [--envelope-only]
//! ```
//!
//! Diagnostics are counted, and the first ten printed, so a bad file cannot flood the output.
//! Exit status 1 when anything at error severity was found.

use std::fs::File;
use std::process::ExitCode;
use std::time::Instant;

use x12::ReaderOptions;
use x12::Severity;
use x12::validate::{ValidateOptions, validate_stream};

fn main() -> ExitCode {
    let mut path = None;
    let mut envelope_only = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--envelope-only" => envelope_only = true,
            _ if path.is_none() => path = Some(arg),
            _ => {
                eprintln!("usage: validate_file FILE [--envelope-only]");
                return ExitCode::from(2);
            }
        }
    }
    let Some(path) = path else {
        eprintln!("usage: validate_file FILE [--envelope-only]");
        return ExitCode::from(2);
    };
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let opts = ValidateOptions {
        file: Some(path.clone()),
        envelope_only,
        ..ValidateOptions::default()
    };
    let started = Instant::now();
    let (mut diagnostics, mut errors, mut interchanges, mut sets) = (0u64, 0u64, 0u64, 0u64);
    let segments = validate_stream(
        file,
        ReaderOptions::default(),
        opts,
        |d| {
            diagnostics += 1;
            if d.severity >= Severity::Error {
                errors += 1;
            }
            if diagnostics <= 10 {
                eprintln!("{d}");
            }
        },
        |ic| {
            interchanges += 1;
            sets += ic
                .groups
                .iter()
                .map(|g| u64::from(g.sets_received))
                .sum::<u64>();
        },
    );
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{path}: {bytes} bytes, {interchanges} interchanges, {sets} sets, {segments} segments, \
         {diagnostics} diagnostics ({errors} errors) in {secs:.2} s ({:.0} MB/s)",
        bytes as f64 / 1e6 / secs.max(1e-9)
    );
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
