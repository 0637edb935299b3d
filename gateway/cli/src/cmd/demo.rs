//! `chargegate demo`: the sample story on embedded defaults, end to end as far as the
//! product goes today, writing what it produces under `data/demo/` and saying where.

use std::path::{Path, PathBuf};

use anyhow::Context;
use x12::ack::{AckKind, AckParams, Ta1Policy, acknowledge};
use x12::validate::{ValidateOptions, validate};
use x12::writer::{DelimiterPolicy, WriteOptions, render_interchange};
use x12::{Delimiters, ReaderOptions};

use crate::Outcome;

/// Arguments of `demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the demo's output.
    #[arg(long, default_value = "data/demo")]
    out: PathBuf,
}

/// The story's files, in the order the trading partners exchange them.
const STORY: &[(&str, &str, &[u8])] = &[
    (
        "ACME sends its contract SPA-2026-0042 (845, 004010)",
        "845_4010_contract.x12",
        include_bytes!("../../../../samples/845_4010_contract.x12"),
    ),
    (
        "ACME changes the contract (845, 005010, pipe-delimited, CRLF)",
        "845_5010_contract_change.x12",
        include_bytes!("../../../../samples/845_5010_contract_change.x12"),
    ),
    (
        "GOOD DRUG claims chargebacks, debit memo GDD-CB-20261115-0001 (844, TA1 requested)",
        "844_4010_claim.x12",
        include_bytes!("../../../../samples/844_4010_claim.x12"),
    ),
    (
        "ACME answers line by line (849)",
        "849_4010_response.x12",
        include_bytes!("../../../../samples/849_4010_response.x12"),
    ),
    (
        "GOOD DRUG reports its November sales (867)",
        "867_4010_sales.x12",
        include_bytes!("../../../../samples/867_4010_sales.x12"),
    ),
    (
        "VOLTA claims ship-and-debit (844, 005010)",
        "844_5010_ship_and_debit.x12",
        include_bytes!("../../../../samples/844_5010_ship_and_debit.x12"),
    ),
    (
        "a broken file arrives (mis-padded ISA, wrong SE01)",
        "bad_isa_len_se_count.x12",
        include_bytes!("../../../../samples/bad_isa_len_se_count.x12"),
    ),
];

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let inbox = args.out.join("inbox");
    let outbox = args.out.join("outbox");
    for dir in [&inbox, &outbox] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let now = chrono::Utc::now();
    let (date, time) = (
        now.format("%Y%m%d").to_string(),
        now.format("%H%M").to_string(),
    );
    println!("Chargegate demo: the sample story on embedded defaults\n");
    let mut icn = 1u32;
    for (step, (what, name, bytes)) in STORY.iter().enumerate() {
        println!("{}. {what}", step + 1);
        let received = inbox.join(name);
        write(&received, bytes)?;
        let opts = ValidateOptions {
            file: Some(name.to_string()),
            ..ValidateOptions::default()
        };
        let out = validate(*bytes, ReaderOptions::default(), opts);
        let sets: u32 = out
            .interchanges
            .iter()
            .flat_map(|i| &i.groups)
            .map(|g| g.sets_received)
            .sum();
        if out.is_valid() {
            println!(
                "   received {} ({sets} set(s), {} segments): valid",
                received.display(),
                out.segments
            );
        } else {
            println!(
                "   received {}: {} problem(s), e.g.",
                received.display(),
                out.diagnostics.len()
            );
            for d in out.diagnostics.iter().take(3) {
                println!("     {d}");
            }
        }
        for report in &out.interchanges {
            let params = AckParams {
                kind: AckKind::Fa997,
                ta1: Ta1Policy::WhenRequestedOrRejected,
                all_sets: false,
                interchange_control_number: icn,
                group_control_number: icn,
                date: date.clone(),
                time: time.clone(),
            };
            let Some(ack) = acknowledge(report, &params) else {
                println!("   an acknowledgment is never acknowledged");
                continue;
            };
            icn += 1;
            let mut d = Delimiters::STANDARD;
            d.repetition = (ack.header.version.as_str() >= "00501").then_some(b'^');
            let wopts = WriteOptions {
                delimiters: d,
                line_ending: "\n",
                policy: DelimiterPolicy::Substitute(b' '),
            };
            let bytes = render_interchange(&ack, wopts).context("rendering acknowledgment")?;
            let path = outbox.join(format!("ack-{:09}-for-{name}", ack.header.control_number));
            write(&path, &bytes)?;
            let summary: Vec<String> = String::from_utf8_lossy(&bytes)
                .lines()
                .filter(|l| l.starts_with("TA1") || l.starts_with("AK5") || l.starts_with("AK9"))
                .map(str::to_owned)
                .collect();
            println!(
                "   answered with {} ({})",
                path.display(),
                summary.join(" ")
            );
        }
        println!();
    }
    adjudicate_story(&outbox)?;
    println!(
        "Look in {} (what partners sent) and {} (what Chargegate answered).",
        inbox.display(),
        outbox.display()
    );
    println!(
        "Try: chargegate validate {}/*.x12   chargegate parse --segments {}/844_4010_claim.x12",
        inbox.display(),
        inbox.display()
    );
    Ok(Outcome::Valid)
}

/// ACME's side of the story: translate its contract and GOOD DRUG's claim to normalized
/// documents, run the engine, and write the 849 it implies.
fn adjudicate_story(outbox: &Path) -> anyhow::Result<()> {
    use engine::adjudicate::{ResponseHeader, adjudicate};
    use partner_maps::translate::{PartnerLookup, TranslateOptions, translate_with};
    use schemas::Document;

    let documents = |bytes: &[u8], name: &str| -> Vec<Document> {
        let options = TranslateOptions {
            file: Some(name.to_owned()),
            ..TranslateOptions::default()
        };
        translate_with(bytes, name, PartnerLookup::Offline, options)
            .flat_map(|o| o.documents().to_vec())
            .collect()
    };
    println!("8. ACME checks the claim against its contract (chargeback engine)");
    let mut book = engine::contracts::ContractBook::new();
    for doc in documents(STORY[0].2, STORY[0].1) {
        if let Document::Contract(c) = doc {
            book.apply(&c)
                .map_err(|e| anyhow::anyhow!("applying the contract: {e}"))?;
        }
    }
    let settings = engine::settings::EngineSettings::default();
    let today = chrono::Utc::now().date_naive();
    for doc in documents(STORY[2].2, STORY[2].1) {
        let Document::Claim(claim) = doc else {
            continue;
        };
        let run = adjudicate(&claim, &book, &settings, today);
        let r = &run.report;
        println!(
            "   debit memo {}: claimed {}, approved {}",
            r.debit_memo, r.total_claimed, r.total_approved
        );
        for l in &r.lines {
            let reason = l
                .reason
                .map(|r| format!("{r:?}"))
                .unwrap_or_else(|| "-".to_owned());
            println!(
                "     line {}: {:?} {} AAA03 {} approved {}",
                l.line,
                l.status,
                reason,
                l.x12_code.as_deref().unwrap_or("-"),
                l.approved_amount
            );
        }
        let header = ResponseHeader {
            source: claim.source.clone(),
            date: today,
            credit_memo: None,
        };
        if let Some(resp) = run.response(&claim, header, &settings) {
            let path = outbox.join(format!("849-for-{}.json", claim.debit_memo));
            let json = serde_json::to_vec_pretty(&Document::from(resp))?;
            write(&path, &json)?;
            println!(
                "   the 849 it implies: {} (render it with chargegate render)",
                path.display()
            );
        }
    }
    println!();
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
