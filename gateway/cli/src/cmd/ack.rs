//! `chargegate ack FILE`: the acknowledgment the gateway would send for a file.

use std::path::PathBuf;

use anyhow::Context;
use x12::ack::{AckKind, AckParams, Ta1Policy, acknowledge};
use x12::envelope::Interchange;
use x12::validate::{ValidateOptions, validate_stream};
use x12::writer::{DelimiterPolicy, WriteOptions, write_interchange};
use x12::{Delimiters, Severity};

use super::input::{ReadFlags, open};
use crate::Outcome;

/// Which acknowledgment to print.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 997 functional acknowledgment.
    #[value(name = "997")]
    Fa997,
    /// 999 implementation acknowledgment (005010 groups; 004010 groups still get a 997).
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
    #[arg(long, default_value_t = 1)]
    icn: u32,
    /// First group control number of the acknowledgment.
    #[arg(long, default_value_t = 1)]
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

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let profile = args.read.profile_for(&args.file)?;
    let src = open(&args.file)?;
    let (date, time) = clock(&args)?;
    let all_sets = args.all_sets || profile.as_ref().is_some_and(|p| p.x12.ack_all_sets);
    let opts = ValidateOptions {
        file: Some(args.file.display().to_string()),
        envelope_only: false,
        keep_all_sets: all_sets,
    };
    let kind = args
        .kind
        .unwrap_or(match profile.as_ref().map(|p| p.x12.acknowledgment) {
            Some(partner_maps::profile::AckKind::Ack999) => Kind::Ia999,
            _ => Kind::Fa997,
        });
    let ta1 = match profile.as_ref().map(|p| p.x12.ta1) {
        Some(partner_maps::profile::Ta1Policy::Always) => Ta1Policy::Always,
        Some(partner_maps::profile::Ta1Policy::Never) => Ta1Policy::Never,
        _ => Ta1Policy::WhenRequestedOrRejected,
    };
    let mut reports = Vec::new();
    let mut valid = true;
    validate_stream(
        src,
        args.read.reader_options(profile.as_ref()),
        opts,
        |d| {
            valid &= d.severity < Severity::Error;
            eprintln!("{d}");
        },
        |r| reports.push(r),
    );
    let params = AckParams {
        kind: if kind == Kind::Ia999 {
            AckKind::Ia999
        } else {
            AckKind::Fa997
        },
        ta1,
        all_sets,
        interchange_control_number: args.icn,
        group_control_number: args.gcn,
        date: date.clone(),
        time: time.clone(),
    };
    let stdout = std::io::stdout().lock();
    let mut out = stdout;
    for (i, r) in reports.iter().enumerate() {
        let mut p = params.clone();
        p.interchange_control_number = args.icn + i as u32;
        let ic = if kind == Kind::Ta1 {
            ta1_only(r, &p)
        } else {
            acknowledge(r, &p)
        };
        let Some(ic) = ic else {
            eprintln!(
                "note: interchange {} is itself an acknowledgment; none is owed",
                r.isa.control_number
            );
            continue;
        };
        let wopts = match &profile {
            Some(p) => {
                let mut w = p.x12.write_options();
                w.delimiters = ack_delimiters(w.delimiters, &ic);
                w.policy = DelimiterPolicy::Substitute(b' ');
                w
            }
            None => WriteOptions {
                delimiters: ack_delimiters(r.delimiters, &ic),
                line_ending: "\n",
                policy: DelimiterPolicy::Substitute(b' '),
            },
        };
        out = write_interchange(out, &ic, wopts).context("writing the acknowledgment")?;
    }
    Ok(if valid {
        Outcome::Valid
    } else {
        Outcome::Invalid
    })
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

/// Answer with the partner's own delimiters where they are sound, as most partners expect.
fn ack_delimiters(received: Delimiters, ic: &Interchange) -> Delimiters {
    let mut d = if received.check().is_ok() && received.segment != b'\n' {
        received
    } else {
        Delimiters::STANDARD
    };
    if ic.header.version.as_str() < "00501" {
        d.repetition = None;
    } else if d.repetition.is_none() {
        d.repetition = Some(b'^');
    }
    d
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
