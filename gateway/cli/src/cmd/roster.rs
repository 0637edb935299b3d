//! `chargegate roster upload --gpo G --mode snapshot|delta FILE.csv` and `chargegate roster
//! approve --gpo G ID`: GPO rosters (chargeback-rules 2.2) loaded into the configured store
//! directly, as `POST /api/v1/gpos/{gpo}/roster` and `.../roster/{id}/approve` do (README,
//! "GPO rosters"). A refused file is exit 1 with its located error on stderr
//! (`FILE: row R, column C: message`; the header is row 1) and nothing written; a snapshot
//! deactivating over 5 % of the members is held (exit 0, status `pending_approval`, approve
//! it with its id). stdout is the outcome as JSON.

use std::path::PathBuf;

use anyhow::Context as _;
use chrono::Utc;
use engine::rosters::RosterCsvError;
use uuid::Uuid;

use crate::Outcome;
use crate::cmd::ops::{ConfigFlag, open_existing_store, runtime};

/// `roster` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Upload a roster CSV for a GPO: a whole roster (snapshot) or changes (delta).
    Upload(UploadArgs),
    /// Approve a snapshot held because it deactivates more than 5 % of the members.
    Approve(ApproveArgs),
}

/// Arguments of `roster upload`.
#[derive(clap::Args, Debug)]
pub struct UploadArgs {
    /// The GPO id (must be the file's gpo_id).
    #[arg(long)]
    gpo: String,
    /// `snapshot` (the whole roster: members it does not list are deactivated) or `delta`.
    #[arg(long, value_parser = ["snapshot", "delta"])]
    mode: String,
    /// Who uploads (audited).
    #[arg(long, default_value = "analyst")]
    actor: String,
    /// The roster CSV (RFC 4180, UTF-8, header row).
    file: PathBuf,
    #[command(flatten)]
    config: ConfigFlag,
}

/// Arguments of `roster approve`.
#[derive(clap::Args, Debug)]
pub struct ApproveArgs {
    /// The GPO id.
    #[arg(long)]
    gpo: String,
    /// Who approves (audited).
    #[arg(long, default_value = "analyst")]
    actor: String,
    /// The held upload's id (printed by `roster upload`).
    id: Uuid,
    #[command(flatten)]
    config: ConfigFlag,
}

/// Runs a `roster` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<Outcome> {
    match cmd {
        Command::Upload(a) => upload(a),
        Command::Approve(a) => approve(a),
    }
}

fn print(o: &apply::RosterOutcome) -> anyhow::Result<()> {
    outln!(
        "{}",
        serde_json::json!({
            "id": o.id,
            "gpo": o.gpo,
            "status": o.status,
            "applied": o.applied,
            "held": o.held.map(|(deactivating, members)| serde_json::json!({"deactivating": deactivating, "members": members})),
            "summary": o.summary,
        })
    )?;
    eprintln!("chargegate: {}", o.summary);
    Ok(())
}

/// A refused file or request: the input is invalid (exit 1), located when it can be.
fn refused(file: &str, e: &apply::ApplyError) -> Option<Outcome> {
    match e {
        apply::ApplyError::Roster(RosterCsvError::Located {
            row,
            column,
            message,
        }) => {
            eprintln!("{file}: row {row}, column {column}: {message}");
            Some(Outcome::Invalid)
        }
        apply::ApplyError::Roster(other) => {
            eprintln!("{file}: {other}");
            Some(Outcome::Invalid)
        }
        apply::ApplyError::UnknownRoster { .. } | apply::ApplyError::RosterNotPending(_) => {
            eprintln!("chargegate: {e}");
            Some(Outcome::Invalid)
        }
        _ => None,
    }
}

fn upload(args: UploadArgs) -> anyhow::Result<Outcome> {
    let settings = args.config.load()?;
    let mode = apply::RosterMode::parse(&args.mode).context("--mode is snapshot or delta")?;
    let csv =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let file = args.file.display().to_string();
    runtime()?.block_on(async move {
        let store = open_existing_store(&settings).await?;
        let ctx = settings.engine.context(Utc::now(), args.actor.clone());
        let result = apply::apply_roster_upload(&*store, &args.gpo, mode, &csv, &ctx).await;
        store.close().await;
        match result {
            Ok(o) => {
                print(&o)?;
                Ok(Outcome::Valid)
            }
            Err(e) => refused(&file, &e).ok_or_else(|| anyhow::Error::new(e)),
        }
    })
}

fn approve(args: ApproveArgs) -> anyhow::Result<Outcome> {
    let settings = args.config.load()?;
    runtime()?.block_on(async move {
        let store = open_existing_store(&settings).await?;
        let ctx = settings.engine.context(Utc::now(), args.actor.clone());
        let result = apply::approve_roster_upload(&*store, &args.gpo, args.id, &ctx).await;
        store.close().await;
        match result {
            Ok(o) => {
                print(&o)?;
                Ok(Outcome::Valid)
            }
            Err(e) => refused(&args.id.to_string(), &e).ok_or_else(|| anyhow::Error::new(e)),
        }
    })
}
