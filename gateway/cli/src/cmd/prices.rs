//! `chargegate prices load FILE --supplier ID` and `chargegate prices list --supplier ID`: a
//! supplier's reference price list (WAC or book cost per item, effective-dated;
//! chargeback-rules 2.2, 4.1) loaded into the configured store directly, as
//! `POST /api/v1/suppliers/{supplier}/reference-prices` does, and listed as its `GET` does
//! (README, "Reference price lists"). A refused file is exit 1 with every fault on stderr
//! (`FILE: row R, column C: "value" message`; the header is row 1) and nothing written; a
//! list loaded before is exit 0, `unchanged`. stdout is the outcome (or the list) as JSON.

use std::path::PathBuf;

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use engine::price_lists::PriceListError;

use crate::Outcome;
use crate::cmd::ops::{ConfigFlag, open_existing_store, runtime};

/// `prices` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Load a supplier's reference price list CSV (item, price, uom, start, end, basis).
    Load(LoadArgs),
    /// List a supplier's reference prices: every row, or those in force on a date.
    List(ListArgs),
}

/// Arguments of `prices load`.
#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// The supplier's id as its documents name it (N1*SU or N1*MF N104, e.g. 123456789).
    #[arg(long)]
    supplier: String,
    /// Who loads (audited).
    #[arg(long, default_value = "analyst")]
    actor: String,
    /// The price list CSV (RFC 4180, UTF-8, header row).
    file: PathBuf,
    #[command(flatten)]
    config: ConfigFlag,
}

/// Arguments of `prices list`.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// The supplier's id as its documents name it.
    #[arg(long)]
    supplier: String,
    /// Only this item (NDC-11 with or without hyphens, GTIN, part number).
    #[arg(long)]
    item: Option<String>,
    /// The X12 qualifier of `--item` when its shape does not say it (N1, N2, N3, VP, ...).
    #[arg(long)]
    item_qualifier: Option<String>,
    /// Only the prices in force on this day.
    #[arg(long)]
    date: Option<NaiveDate>,
    #[command(flatten)]
    config: ConfigFlag,
}

/// Runs a `prices` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<Outcome> {
    match cmd {
        Command::Load(a) => load(a),
        Command::List(a) => list(a),
    }
}

/// Every fault of a refused price list on stderr, one located line each.
pub(crate) fn print_faults(file: &str, e: &PriceListError) {
    for fault in &e.faults {
        eprintln!("{file}: {fault}");
    }
    if e.unlisted > 0 {
        eprintln!("{file}: and {} more faults", e.unlisted);
    }
}

fn load(args: LoadArgs) -> anyhow::Result<Outcome> {
    let settings = args.config.load()?;
    let csv =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let file = args.file.display().to_string();
    runtime()?.block_on(async move {
        let store = open_existing_store(&settings).await?;
        let ctx = settings.engine.context(Utc::now(), args.actor.clone());
        let result = apply::load_reference_prices(&*store, &args.supplier, &csv, &ctx).await;
        store.close().await;
        match result {
            Ok(o) => {
                outln!("{}", serde_json::to_string(&o)?)?;
                eprintln!("chargegate: {}", o.summary);
                Ok(Outcome::Valid)
            }
            Err(apply::ApplyError::PriceList(e)) => {
                print_faults(&file, &e);
                Ok(Outcome::Invalid)
            }
            Err(e) => Err(anyhow::Error::new(e)),
        }
    })
}

fn list(args: ListArgs) -> anyhow::Result<Outcome> {
    let settings = args.config.load()?;
    let item = match &args.item {
        None => None,
        Some(id) => Some(
            engine::price_lists::item_key(args.item_qualifier.as_deref(), id)
                .map_err(|m| anyhow::anyhow!("--item {id:?} {m}"))?,
        ),
    };
    let query = apply::PriceQuery {
        item,
        date: args.date,
        after: None,
        limit: usize::MAX,
    };
    runtime()?.block_on(async move {
        let store = open_existing_store(&settings).await?;
        let result = apply::reference_prices_page(&*store, &args.supplier, &query).await;
        store.close().await;
        outln!("{}", serde_json::to_string(&result?)?)?;
        Ok(Outcome::Valid)
    })
}
