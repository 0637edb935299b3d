//! `chargegate batches cut [--partner P] [--through DATE]`: cuts the claim periods that have
//! ended (chargeback-rules 8.1) against the configured store, as `serve`'s tick and
//! `POST /api/v1/batches/cut` do: every Open Daily, Weekly or Monthly batch whose period ends
//! on or before `--through` (default yesterday) is cut in its own transaction — Immediate
//! Claim: claim #1 and its 844 queued in the outbox (a running gateway's relay sends it);
//! Review and Claim: Awaiting Review. Cutting again does nothing more.

use std::sync::Arc;

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};

use crate::Outcome;
use crate::cmd::ops::{ConfigFlag, open_existing_store, runtime};

/// `batches` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Cut the claim periods that ended on or before --through (default yesterday).
    Cut(CutArgs),
    /// Write a batch's disputed lines as the dispute CSV (chargeback-rules 9).
    Disputes(crate::cmd::batch_disputes::ExportArgs),
    /// Import a corrected dispute CSV as a new batch linked to its source.
    Correct(crate::cmd::batch_disputes::CorrectArgs),
}

/// Arguments of `batches cut`.
#[derive(clap::Args, Debug)]
pub struct CutArgs {
    /// Only this partner's batches.
    #[arg(long)]
    partner: Option<String>,
    /// Cut periods ending on or before this day (YYYY-MM-DD; default yesterday). A later day
    /// cuts a running period early, on purpose.
    #[arg(long)]
    through: Option<NaiveDate>,
    /// Who cuts (audited).
    #[arg(long, default_value = "system")]
    actor: String,
    /// JSON lines instead of one summary per batch.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    config: ConfigFlag,
}

/// Runs a `batches` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<Outcome> {
    match cmd {
        Command::Cut(a) => cut(a),
        Command::Disputes(a) => crate::cmd::batch_disputes::export(a),
        Command::Correct(a) => crate::cmd::batch_disputes::correct(a),
    }
}

fn cut(args: CutArgs) -> anyhow::Result<Outcome> {
    let settings = args.config.load()?;
    let ctx = settings.engine.context(Utc::now(), args.actor.clone());
    let through = match args.through {
        Some(d) => d,
        None => ctx.today.pred_opt().context("no day before today")?,
    };
    runtime()?.block_on(async move {
        let store = open_existing_store(&settings).await?;
        let profiles = server::profiles::Profiles::load(&settings.paths.profiles)?;
        let partners = Arc::new(apply::Partners::from_profiles(&profiles.current())?);
        let result =
            apply::cut_due(&*store, &partners, through, args.partner.as_deref(), &ctx).await;
        store.close().await;
        let cut = result?;
        for c in &cut {
            if args.json {
                outln!(
                    "{}",
                    serde_json::json!({
                        "id": c.id, "number": c.number, "period_end": c.period_end,
                        "status": c.status, "version": c.version, "lines": c.lines,
                        "claim": c.claim.as_ref().map(|(n, _)| n),
                        "amount": c.claim.as_ref().map(|(_, a)| a),
                    })
                )?;
            } else {
                outln!("{}", c.summary)?;
            }
        }
        eprintln!("chargegate: {} batch(es) cut through {through}", cut.len());
        Ok(Outcome::Valid)
    })
}
