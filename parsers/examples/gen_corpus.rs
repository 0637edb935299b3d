//! Writes a deterministic corpus of generated 004010 sets to a file, for benchmarks and the
//! memory measurement:
//!
//! ```text
//! cargo run --release -p x12 --example gen_corpus -- --kind 844|867 --mb N --seed S --out FILE
//! ```
//!
//! `--mb` is the target size in MiB (the corpus ends at the first set boundary after it);
//! `--seed` defaults to 1. Arguments are parsed by hand so the example needs only std.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use x12::generate::{SetKind, corpus};

const USAGE: &str = "usage: gen_corpus --kind 844|867 --mb N [--seed S] --out FILE";

struct Args {
    kind: SetKind,
    mb: usize,
    seed: u64,
    out: String,
}

fn parse_args() -> Result<Args, String> {
    let mut kind = None;
    let mut mb = None;
    let mut seed = 1u64;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.to_owned());
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--kind" => {
                kind = Some(
                    SetKind::from_set_id(&value)
                        .ok_or_else(|| format!("unknown --kind {value:?} (844 or 867)"))?,
                );
            }
            "--mb" => {
                mb = Some(
                    value
                        .parse::<usize>()
                        .map_err(|e| format!("--mb {value:?}: {e}"))?,
                );
            }
            "--seed" => {
                seed = value
                    .parse::<u64>()
                    .map_err(|e| format!("--seed {value:?}: {e}"))?;
            }
            "--out" => out = Some(value),
            _ => return Err(format!("unknown argument {flag:?}\n{USAGE}")),
        }
    }
    Ok(Args {
        kind: kind.ok_or_else(|| format!("--kind is required\n{USAGE}"))?,
        mb: mb.ok_or_else(|| format!("--mb is required\n{USAGE}"))?,
        seed,
        out: out.ok_or_else(|| format!("--out is required\n{USAGE}"))?,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let result = File::create(&args.out).and_then(|f| {
        let mut w = BufWriter::with_capacity(1 << 20, f);
        let stats = corpus(args.kind, args.mb << 20, args.seed, &mut w)?;
        w.flush()?;
        Ok(stats)
    });
    match result {
        Ok(s) => {
            println!(
                "{}: {} bytes, {} interchanges, {} sets, {} segments, {} lines",
                args.out, s.bytes, s.interchanges, s.sets, s.segments, s.lines
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", args.out);
            ExitCode::FAILURE
        }
    }
}
