//! `chargegate ack FILE`: the acknowledgment the gateway would send for a file.

use std::path::PathBuf;

use anyhow::Context;
use partner_maps::Profile;
use partner_maps::ack::AckPolicy;
use partner_maps::translate::{PartnerLookup, TranslateOptions, translate_with};
use x12::ReaderOptions;
use x12::ack::{AckKind, AckParams, Ta1Policy, acknowledge};
use x12::envelope::Interchange;
use x12::validate::{InterchangeReport, ValidateOptions, validate_stream};
use x12::writer::write_interchange;

use super::input::{MAX_CONTROL_NUMBER, ReadFlags, open};
use super::translate::{report_finding, report_outside_sets};
use crate::Outcome;

/// Which acknowledgment to print.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 997 functional acknowledgment.
    #[value(name = "997")]
    Fa997,
    /// 999 implementation acknowledgment (005010 groups; a 004010 group gets a 997 and a note).
    #[value(name = "999")]
    Ia999,
    /// TA1 interchange acknowledgment only.
    Ta1,
}

/// Arguments of `ack`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The received X12 file.
    file: PathBuf,
    /// 997, 999 or ta1 (default: the partner profile's choice, else 997).
    #[arg(long, value_enum)]
    kind: Option<Kind>,
    /// Interchange control number of the acknowledgment (the service takes it from the store).
    #[arg(long, default_value_t = 1, value_parser = super::input::control_number)]
    icn: u32,
    /// First group control number of the acknowledgment.
    #[arg(long, default_value_t = 1, value_parser = super::input::control_number)]
    gcn: u32,
    /// Date of the acknowledgment, YYYYMMDD (default: today, UTC).
    #[arg(long)]
    date: Option<String>,
    /// Time of the acknowledgment, HHMM (default: now, UTC).
    #[arg(long)]
    time: Option<String>,
    /// List every set in the 997/999, not only those in error.
    #[arg(long)]
    all_sets: bool,
    #[command(flatten)]
    read: ReadFlags,
}

/// Runs the command. With a partner profile the file is translated too, so the
/// acknowledgment rejects what the gateway would: a set that does not map (AK5 `R`), a set
/// the partner may not send; without one, its syntax alone decides.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let profile = args.read.profile_for(&args.file)?;
    let src = open(&args.file)?;
    let (date, time) = clock(&args)?;
    let mut policy = AckPolicy::for_profile(profile.as_ref());
    policy.all_sets |= args.all_sets;
    match args.kind {
        Some(Kind::Ia999) => policy.kind = AckKind::Ia999,
        Some(Kind::Fa997) => policy.kind = AckKind::Fa997,
        Some(Kind::Ta1) | None => {}
    }
    let file = args.file.display().to_string();
    let reader = args.read.reader_options(profile.as_ref());
    let (reports, valid) = match &profile {
        Some(p) => translated(src, p, file, reader, policy.all_sets),
        None => validated(src, file, reader, policy.all_sets),
    };
    // One acknowledgment interchange per interchange received, numbered from --icn, their
    // groups numbered on from --gcn across the run (a GS06 is never repeated): the last
    // numbers must still fit nine digits.
    let last_icn = u64::from(args.icn) + reports.len().saturating_sub(1) as u64;
    let groups: usize = reports.iter().map(x12::ack::acknowledged_groups).sum();
    let last_gcn = u64::from(args.gcn) + groups.saturating_sub(1) as u64;
    anyhow::ensure!(
        last_icn <= u64::from(MAX_CONTROL_NUMBER) && last_gcn <= u64::from(MAX_CONTROL_NUMBER),
        "--icn {} / --gcn {}: the acknowledgments of {} interchange(s) with up to {groups} group(s) would need control numbers past {MAX_CONTROL_NUMBER}",
        args.icn,
        args.gcn,
        reports.len()
    );
    let params = policy.params(args.icn, args.gcn, &date, &time);
    let stdout = crate::out::stdout();
    let mut out = stdout;
    let mut gcn = args.gcn;
    for (i, r) in reports.iter().enumerate() {
        let mut p = params.clone();
        p.interchange_control_number = args.icn + i as u32;
        p.group_control_number = gcn;
        // Checked above: every number fits.
        gcn += x12::ack::acknowledged_groups(r) as u32;
        let ic = if args.kind == Some(Kind::Ta1) {
            ta1_only(r, &p)
        } else {
            note_997_for_999(r, policy.kind);
            acknowledge(r, &p)
        };
        let Some(ic) = ic else {
            eprintln!(
                "note: interchange {} is itself an acknowledgment; none is owed",
                r.isa.control_number
            );
            continue;
        };
        let wopts = partner_maps::ack::write_options(profile.as_ref(), r.delimiters, &ic);
        out = write_interchange(out, &ic, wopts).context("writing the acknowledgment")?;
    }
    Ok(if valid {
        Outcome::Valid
    } else {
        Outcome::Invalid
    })
}

/// The reports the gateway acknowledges a partner's file with: validated and translated
/// with its profile, so a set that does not map is rejected as the gateway rejects it.
/// Returns them and whether every set translated.
fn translated(
    src: impl std::io::Read,
    profile: &Profile,
    file: String,
    reader: ReaderOptions,
    all_sets: bool,
) -> (Vec<InterchangeReport>, bool) {
    let options = TranslateOptions {
        file: Some(file.clone()),
        keep_all_sets: Some(all_sets),
        reader: Some(reader),
        ..TranslateOptions::default()
    };
    let mut t = translate_with(src, "", PartnerLookup::Profile(profile), options);
    let mut valid = true;
    for outcome in t.by_ref() {
        for d in outcome.all_diagnostics() {
            valid &= report_finding(&d);
        }
        valid &= outcome.result.is_ok() || outcome.acknowledgment.is_some();
    }
    valid &= report_outside_sets(&mut t, &file);
    (t.take_reports(), valid)
}

/// The reports of a file no profile applies to: its syntax only (the standard dialect).
fn validated(
    src: impl std::io::Read,
    file: String,
    reader: ReaderOptions,
    all_sets: bool,
) -> (Vec<InterchangeReport>, bool) {
    let opts = ValidateOptions {
        file: Some(file),
        keep_all_sets: all_sets,
        ..ValidateOptions::default()
    };
    let mut reports = Vec::new();
    let mut valid = true;
    validate_stream(
        src,
        reader,
        opts,
        |d| valid &= report_finding(&d),
        |r| reports.push(r),
    );
    (reports, valid)
}

/// The 999 (005010X231) exists for 005010 only: a group of another version asked for one
/// gets the 997 the gateway sends it. Said, so that a 999 asked for is not quietly a 997.
fn note_997_for_999(r: &InterchangeReport, kind: AckKind) {
    if kind != AckKind::Ia999 || r.rejected() {
        return;
    }
    for g in r.groups.iter().filter(|g| g.acknowledgeable()) {
        if g.version != Some(x12::dict::Version::V005010) {
            eprintln!(
                "note: interchange {}, group {} (GS06) is version {}: a 999 acknowledges 005010 groups only (005010X231); it gets a 997",
                r.isa.control_number, g.control_number, g.version_code
            );
        }
    }
}

/// Only the TA1 of the acknowledgment; `None` when none is owed (the input is itself an
/// acknowledgment, and a TA1 is never answered with a TA1).
fn ta1_only(r: &x12::validate::InterchangeReport, p: &AckParams) -> Option<Interchange> {
    let always = AckParams {
        ta1: Ta1Policy::Always,
        ..p.clone()
    };
    let mut ic = acknowledge(r, &always)?;
    ic.groups.clear();
    (!ic.ta1.is_empty()).then_some(ic)
}

fn clock(args: &Args) -> anyhow::Result<(String, String)> {
    // The binary is the edge: it may read the clock; the libraries never do.
    let now = chrono::Utc::now();
    let date = args
        .date
        .clone()
        .unwrap_or_else(|| now.format("%Y%m%d").to_string());
    let time = args
        .time
        .clone()
        .unwrap_or_else(|| now.format("%H%M").to_string());
    anyhow::ensure!(
        chrono::NaiveDate::parse_from_str(&date, "%Y%m%d").is_ok(),
        "--date must be a date as YYYYMMDD"
    );
    anyhow::ensure!(
        time.len() == 4 && chrono::NaiveTime::parse_from_str(&time, "%H%M").is_ok(),
        "--time must be a time as HHMM"
    );
    Ok((date, time))
}
