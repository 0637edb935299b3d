//! `chargegate validate FILE...`: streaming envelope, syntax and set-structure checks.

use std::path::PathBuf;

use serde_json::json;
use x12::Severity;
use x12::validate::{ValidateOptions, validate_stream};

use super::input::{ReadFlags, open};
use crate::{Outcome, json};

/// Arguments of `validate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// X12 files to check.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print a JSON report on stdout instead of a summary line per file.
    #[arg(long)]
    json: bool,
    /// Check envelopes only (ISA/GS/ST..SE/GE/IEA), not element syntax.
    #[arg(long)]
    envelope_only: bool,
    #[command(flatten)]
    read: ReadFlags,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let mut all_valid = true;
    let mut reports = Vec::new();
    for path in &args.files {
        let profile = args.read.profile_for(path)?;
        let src = open(path)?;
        let name = path.display().to_string();
        let mut opts = profile
            .as_ref()
            .map_or_else(ValidateOptions::default, |p| p.validate_options(None));
        opts.file = Some(name.clone());
        opts.envelope_only = args.envelope_only;
        let (mut errors, mut warnings) = (0u64, 0u64);
        let mut found = Vec::new();
        let (mut interchanges, mut groups, mut sets) = (0u64, 0u64, 0u64);
        let segments = validate_stream(
            src,
            args.read.reader_options(profile.as_ref()),
            opts,
            |d| {
                match d.severity {
                    Severity::Error => errors += 1,
                    Severity::Warning => warnings += 1,
                }
                eprintln!("{d}");
                if args.json {
                    found.push(json::diagnostic(&d));
                }
            },
            |r| {
                interchanges += 1;
                groups += r.groups.len() as u64;
                sets += r
                    .groups
                    .iter()
                    .map(|g| u64::from(g.sets_received))
                    .sum::<u64>();
            },
        );
        let valid = errors == 0;
        all_valid &= valid;
        if args.json {
            reports.push(json!({
                "file": name,
                "valid": valid,
                "interchanges": interchanges,
                "groups": groups,
                "sets": sets,
                "segments": segments,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": found,
            }));
        } else {
            let verdict = if valid { "valid" } else { "invalid" };
            outln!(
                "{name}: {verdict}: {interchanges} interchanges, {groups} groups, {sets} sets, {segments} segments, {errors} errors, {warnings} warnings"
            )?;
        }
    }
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({ "files": reports }))?
        )?;
    }
    Ok(if all_valid {
        Outcome::Valid
    } else {
        Outcome::Invalid
    })
}
