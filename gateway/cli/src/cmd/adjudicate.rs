//! `chargegate adjudicate CLAIM --contracts FILE... [--prices FILE...] [--uom-factor F...]`:
//! the engine run offline, supplier side. A price list (`--prices`, the CSV `prices load`
//! takes) gives the claim's supplier its reference prices, as loaded into a store; a
//! `--uom-factor` gives the engine an exact unit conversion (sale quantities and list prices).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use engine::adjudicate::{ResponseHeader, adjudicate};
use engine::contracts::{ContractBook, SupplierPrices};
use engine::identity::PartyKey;
use engine::price_lists::{PriceListRow, load_price_list, read_price_list};
use engine::settings::{EngineSettings, UomConversion};
use schemas::{Claim, Document, Source};

use super::input::ReadFlags;
use super::translate::translate_file;
use crate::Outcome;

/// Arguments of `adjudicate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The claim file (844).
    claim: PathBuf,
    /// Contract files (845), applied in order (originals before changes).
    #[arg(long, required = true, num_args = 1..)]
    contracts: Vec<PathBuf>,
    /// Reference price lists (CSV: item, price, uom, start, end, basis) of the claim's
    /// supplier, loaded in order (a later list supersedes the days it covers); a contract's
    /// own WAC still wins.
    #[arg(long, num_args = 1..)]
    prices: Vec<PathBuf>,
    /// An exact unit conversion for every item, `FROM:TO=NUM/DEN` (`EA:CA=1/12`: an EA is
    /// 1/12 of a CA; `CA:EA=12` the other way, derived when not given), repeatable: a sale in FROM against a contract row in TO, and a price
    /// list row in FROM pricing a contract row in TO (the gateway takes a partner's
    /// from its profile's `[[rules.uom_conversions]]`, which this offline command does not read).
    #[arg(long = "uom-factor", value_name = "FROM:TO=NUM/DEN", value_parser = parse_uom_factor)]
    uom_factors: Vec<UomConversion>,
    /// Pricing "today" (default: today, UTC).
    #[arg(long)]
    today: Option<NaiveDate>,
    /// Print the §13.12 JSON report instead of a table.
    #[arg(long)]
    json: bool,
    /// Print the 849 the supplier would send (as a normalized document, JSON).
    #[arg(long)]
    render_849: bool,
    #[command(flatten)]
    read: ReadFlags,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let today = args
        .today
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let Some(lists) = read_lists(&args.prices)? else {
        return Ok(Outcome::Invalid);
    };
    let mut book = ContractBook::new();
    let contract_flags = ReadFlags {
        partner: None,
        ..args.read.clone()
    };
    for path in &args.contracts {
        let (docs, ok) = translate_file(path, &contract_flags)?;
        anyhow::ensure!(
            ok,
            "{}: the contract file did not translate",
            path.display()
        );
        for doc in docs {
            if let Document::Contract(c) = doc {
                book.apply(&c)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            }
        }
    }
    let (docs, ok) = translate_file(&args.claim, &args.read)?;
    let claims: Vec<_> = docs
        .into_iter()
        .filter_map(|d| match d {
            Document::Claim(c) => Some(c),
            _ => None,
        })
        .collect();
    if claims.is_empty() {
        eprintln!("{}: no claim (844) found", args.claim.display());
        return Ok(Outcome::Invalid);
    }
    eprintln!(
        "note: engine rules are the defaults of chargeback-rules §2.1 (profile [rules] not applied offline)"
    );
    let settings = EngineSettings {
        uom_conversions: args.uom_factors.clone(),
        ..EngineSettings::default()
    };
    load_lists(&mut book, &claims, &lists, &settings, today);
    let mut out = crate::out::stdout();
    for claim in &claims {
        let run = adjudicate(claim, &book, &settings, today);
        if let Some(stated) = run.report.stated_total {
            eprintln!(
                "warning: debit memo {}: its summary total {stated} is not the sum of its lines ({}); the lines are adjudicated on their own amounts",
                run.report.debit_memo, run.report.total_claimed
            );
        }
        if args.render_849 {
            let header = ResponseHeader {
                source: Source {
                    file: String::new(),
                    interchange: Default::default(),
                    group: Default::default(),
                    set: Default::default(),
                    partner: claim.source.partner.clone(),
                },
                date: today,
                credit_memo: None,
            };
            match run.response(claim, header, &settings) {
                Some(resp) => {
                    serde_json::to_writer(&mut out, &Document::from(resp))?;
                    writeln!(out)?;
                }
                None => eprintln!("note: amount disputes are held for review: no 849"),
            }
        } else if args.json {
            serde_json::to_writer_pretty(&mut out, &run.report)?;
            writeln!(out)?;
        } else {
            let r = &run.report;
            writeln!(
                out,
                "debit memo {}: claimed {} approved {}",
                r.debit_memo, r.total_claimed, r.total_approved
            )?;
            for l in &r.lines {
                let v = serde_json::to_value(l).context("line as JSON")?;
                let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("-").to_owned();
                writeln!(
                    out,
                    "  line {:>3}  {:<22} {:<26} AAA03 {:<3} AAA04 {:<2} calculated {:>10} approved {:>10}",
                    l.line,
                    field("status"),
                    field("reason"),
                    field("x12_code"),
                    field("follow_up"),
                    field("calculated_amount"),
                    l.approved_amount,
                )?;
            }
        }
    }
    Ok(if ok { Outcome::Valid } else { Outcome::Invalid })
}

/// `FROM:TO=FACTOR` as a conversion for every item: two unit codes and a factor as a
/// profile writes it (`1/12` or `12`, [`partner_maps::profile::UomConversion::parse_factor`]).
fn parse_uom_factor(text: &str) -> Result<UomConversion, String> {
    let wrong = || format!("{text:?} is not FROM:TO=NUM/DEN (EA:CA=1/12)");
    let (units, factor) = text.split_once('=').ok_or_else(wrong)?;
    let (from, to) = units.split_once(':').ok_or_else(wrong)?;
    let unit = |u: &str| {
        let u = u.trim();
        (!u.is_empty() && u.chars().all(|c| c.is_ascii_alphanumeric()))
            .then(|| u.to_ascii_uppercase())
            .ok_or_else(wrong)
    };
    let (num, den) = partner_maps::profile::UomConversion::parse_factor(factor)
        .map_err(|e| format!("{text:?}: {e}"))?;
    Ok(UomConversion {
        item: None,
        from: unit(from)?,
        to: unit(to)?,
        num,
        den,
    })
}

/// A price list file and its rows.
type PriceList<'p> = (&'p Path, Vec<PriceListRow>);

/// The price lists, read in order; `None` when one is refused (its faults on stderr).
fn read_lists(paths: &[PathBuf]) -> anyhow::Result<Option<Vec<PriceList<'_>>>> {
    let mut lists = Vec::with_capacity(paths.len());
    for path in paths {
        let csv = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        match read_price_list(&csv[..]) {
            Ok(rows) => lists.push((path.as_path(), rows)),
            Err(e) => {
                super::prices::print_faults(&path.display().to_string(), &e);
                return Ok(None);
            }
        }
    }
    Ok(Some(lists))
}

/// Loads the lists, in order, as the reference prices of each claim's supplier, and says on
/// stderr how many rows of each are of another basis than the rules' (not used).
fn load_lists(
    book: &mut ContractBook,
    claims: &[Claim],
    lists: &[PriceList<'_>],
    settings: &EngineSettings,
    today: NaiveDate,
) {
    if lists.is_empty() {
        return;
    }
    for claim in claims {
        let supplier = PartyKey::of(&claim.supplier);
        if book.reference_prices(&supplier.id).is_some() {
            continue;
        }
        let mut prices = SupplierPrices::default();
        for (_, rows) in lists {
            load_price_list(&mut prices, rows, today);
        }
        book.set_reference_prices(&supplier.id, prices);
    }
    for (path, rows) in lists {
        let other = rows
            .iter()
            .filter(|r| r.reference.basis != settings.reference_price_basis)
            .count();
        if other > 0 {
            eprintln!(
                "note: {}: rows of another basis than the rules' reference_price_basis ({}) are not used: {other}",
                path.display(),
                engine::audit::status_name(&settings.reference_price_basis)
            );
        }
    }
}
