//! `chargegate render DOC.json --partner ID`: a normalized document back to X12.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{NaiveDate, NaiveTime, Timelike};
use partner_maps::ProfileSet;
use partner_maps::render::{Envelope, Identity};
use schemas::Document;

use crate::Outcome;

/// Arguments of `render`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A JSON file with one document, or JSON lines with several (as `translate` prints).
    doc: PathBuf,
    /// The partner the X12 is for.
    #[arg(long)]
    partner: String,
    /// Directory of partner profiles.
    #[arg(
        long,
        default_value = "partner-maps/profiles",
        env = "CHARGEGATE__PATHS__PROFILES"
    )]
    profiles: PathBuf,
    /// Interchange control number (default: the start of the profile's range; the service
    /// allocates it from the store).
    #[arg(long, value_parser = super::input::control_number)]
    icn: Option<u32>,
    /// First group control number (default: the start of the profile's range).
    #[arg(long, value_parser = super::input::control_number)]
    gcn: Option<u32>,
    /// First set control number (default: the start of the profile's range).
    #[arg(long, value_parser = super::input::control_number)]
    scn: Option<u32>,
    /// Envelope date YYYY-MM-DD (default: today, UTC).
    #[arg(long)]
    date: Option<NaiveDate>,
    /// Envelope time HH:MM (default: now, UTC).
    #[arg(long)]
    time: Option<String>,
    /// Our ISA qualifier (configuration `identity.isa_qualifier`).
    #[arg(
        long,
        default_value = "ZZ",
        env = "CHARGEGATE__IDENTITY__ISA_QUALIFIER"
    )]
    isa_qualifier: String,
    /// Our ISA id (configuration `identity.isa_id`).
    #[arg(
        long,
        default_value = "CHARGEGATE",
        env = "CHARGEGATE__IDENTITY__ISA_ID"
    )]
    isa_id: String,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(&args.doc)
        .with_context(|| format!("reading {}", args.doc.display()))?;
    let docs = match parse_documents(&text) {
        // An empty interchange is no rendering of nothing (a failed `translate` upstream).
        Ok(d) if d.is_empty() => {
            eprintln!("{}: no document to render", args.doc.display());
            return Ok(Outcome::Invalid);
        }
        Ok(d) => d,
        Err(e) => {
            eprintln!("{}: {e}", args.doc.display());
            return Ok(Outcome::Invalid);
        }
    };
    let profiles = ProfileSet::load_dir(&args.profiles)
        .with_context(|| format!("loading partner profiles from {}", args.profiles.display()))?;
    let profile = profiles
        .get(&args.partner)
        .with_context(|| format!("no partner profile {:?}", args.partner))?;
    let ranges = &profile.x12.control_numbers;
    let now = chrono::Utc::now();
    let time = match &args.time {
        Some(t) => NaiveTime::parse_from_str(t, "%H:%M").context("--time must be HH:MM")?,
        None => NaiveTime::from_hms_opt(now.hour(), now.minute(), 0).unwrap_or_default(),
    };
    let envelope = Envelope {
        interchange_control_number: args
            .icn
            .unwrap_or(u32::try_from(ranges.interchange.start).unwrap_or(1)),
        group_control_number: args
            .gcn
            .unwrap_or(u32::try_from(ranges.group.start).unwrap_or(1)),
        set_control_number: args
            .scn
            .unwrap_or(u32::try_from(ranges.set.start).unwrap_or(1)),
        date: args.date.unwrap_or_else(|| now.date_naive()),
        time,
        test: false,
        ack_requested: false,
    };
    let identity = Identity::new(&args.isa_qualifier, &args.isa_id);
    match partner_maps::render_to_bytes(&docs, profile, &identity, &envelope) {
        Ok(bytes) => {
            crate::out::stdout()
                .write_all(&bytes)
                .context("writing X12")?;
            Ok(Outcome::Valid)
        }
        Err(e) => {
            eprintln!("{}: {e}", args.doc.display());
            Ok(Outcome::Invalid)
        }
    }
}

/// One JSON document, or JSON lines.
fn parse_documents(text: &str) -> Result<Vec<Document>, String> {
    if let Ok(doc) = serde_json::from_str::<Document>(text) {
        return Ok(vec![doc]);
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}
