//! `chargegate demo`: the sample story through a real gateway on embedded defaults (SQLite,
//! in-process bus, drop folders), run in this process under `data/demo/`: partners drop their
//! files, Chargegate acknowledges, validates, claims, reconciles, and says what happened.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use engine::batch::BatchAction;
use partner_maps::render::{Envelope, Identity};
use schemas::Document;
use server::app::Gateway;
use server::settings::Settings;
use server::shared::Shared;
use tokio_util::sync::CancellationToken;

use crate::Outcome;

/// Arguments of `demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where the demo gateway keeps its database, drop folders and raw files (emptied first).
    #[arg(long, default_value = "data/demo")]
    out: PathBuf,
    /// Partner profiles.
    #[arg(long, default_value = "partner-maps/profiles")]
    profiles: PathBuf,
}

const CONTRACT: &[u8] = include_bytes!("../../../../samples/845_4010_contract.x12");
const CONTRACT_CHANGE: &[u8] = include_bytes!("../../../../samples/845_5010_contract_change.x12");
const SALES: &[u8] = include_bytes!("../../../../samples/867_4010_sales.x12");
const CLAIM: &[u8] = include_bytes!("../../../../samples/844_4010_claim.x12");
const BROKEN: &[u8] = include_bytes!("../../../../samples/bad_isa_len_se_count.x12");

/// The story's business day: GOOD DRUG reports November on 2026-12-01 (BPT03). The demo
/// runs on it, so the story's claim windows and contract dates hold whatever the date.
const STORY_DAY: &str = "2026-12-01";

/// How long one step may take before the demo gives up and says where to look.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    if !args.profiles.is_dir() {
        bail!(
            "no partner profiles at {} (run the demo from the repository root, or pass --profiles)",
            args.profiles.display()
        );
    }
    if args.out.exists() {
        // Only a folder an earlier demo made (or an empty one) is emptied.
        let earlier_demo = args.out.join("chargegate.toml").is_file();
        let empty = std::fs::read_dir(&args.out).is_ok_and(|mut d| d.next().is_none());
        if !earlier_demo && !empty {
            bail!(
                "{} exists and is not an earlier demo's folder; pass another --out",
                args.out.display()
            );
        }
        std::fs::remove_dir_all(&args.out)
            .with_context(|| format!("emptying {}", args.out.display()))?;
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let settings = demo_settings(&args)?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(story(settings))?;
    Ok(Outcome::Valid)
}

fn demo_settings(args: &Args) -> anyhow::Result<Settings> {
    let out = std::path::absolute(&args.out)?;
    let profiles = std::path::absolute(&args.profiles)?;
    let d = out.display();
    let config = format!(
        "[http]\nlisten = \"127.0.0.1:0\"\n[paths]\ndata = \"{d}\"\ndrop_root = \"{d}/drop\"\nprofiles = \"{}\"\n[database]\nurl = \"sqlite://{d}/chargegate.db\"\n[identity]\nkey = \"{d}/certs/key.pem\"\ncertificate = \"{d}/certs/cert.pem\"\n[workers]\nsettle_ms = 100\nscan_ms = 100\n[engine]\nbusiness_day = \"{STORY_DAY}\"\n",
        profiles.display()
    );
    let path = out.join("chargegate.toml");
    std::fs::write(&path, config).with_context(|| format!("writing {}", path.display()))?;
    Ok(Settings::load_with_env(Some(&path), Vec::new())?)
}

async fn story(settings: Settings) -> anyhow::Result<()> {
    let gateway = Gateway::open(settings).await?;
    let listener = gateway.bind().await?;
    let shared = gateway.shared.clone();
    outln!(
        "Chargegate demo: a gateway on embedded defaults (SQLite, in-process bus, drop folders)\n\
         at http://{}, state in {}\n",
        listener.local_addr()?,
        shared.settings.paths.data.display()
    )?;
    let stop = CancellationToken::new();
    let running = tokio::spawn(gateway.serve(listener, stop.clone()));
    let result = steps(&shared).await;
    stop.cancel();
    running.await??;
    result?;
    let drop = shared.drops.path().display();
    outln!(
        "Everything the partners sent is in {drop}/<partner>/processed (or rejected), everything \
         Chargegate answered in {drop}/<partner>/outbox.\n\
         Run it for real with `chargegate serve`; find transactions with `chargegate transactions \
         --config {}/chargegate.toml`.",
        shared.settings.paths.data.display()
    )?;
    Ok(())
}

async fn steps(shared: &Arc<Shared>) -> anyhow::Result<()> {
    step(1, "ACME sends its contract SPA-2026-0042 (845, 004010)")?;
    deliver(shared, "acmepharma", "845_4010_contract.x12", CONTRACT)?;
    let ack = wait_new_file(shared, "acmepharma", "outbox", 1).await?;
    outln!(
        "   stored the contract; acknowledged with {}",
        summary(&ack)?
    )?;

    step(2, "ACME changes it (845, 005010, pipe-delimited, CRLF)")?;
    deliver(
        shared,
        "acmepharma",
        "845_5010_contract_change.x12",
        CONTRACT_CHANGE,
    )?;
    let ack = wait_new_file(shared, "acmepharma", "outbox", 2).await?;
    outln!(
        "   stored the new version; acknowledged with {}",
        summary(&ack)?
    )?;

    step(3, "GOOD DRUG reports its November sales (867)")?;
    deliver(shared, "gooddrug", "867_4010_sales.x12", SALES)?;
    let collecting = wait_for(|| async {
        let mut reader = shared.store.reader().await?;
        Ok(apply::find_report_batch(&mut *reader, "gooddrug", "GDD-867-202611").await?)
    })
    .await?;
    outln!(
        "   its lines went into batch {}, {} and collecting today's sales, unprocessed until \
         the cut (claim_trigger Daily: the service cuts each day's batch once the day is over \
         and validates its lines then)",
        collecting.number,
        collecting.status
    )?;
    // The story does not wait for midnight: it cuts today's period now, as
    // `chargegate batches cut --through <today>` would.
    let ctx = shared.context("demo analyst");
    let cut = server::cut::cut(shared, ctx.today, Some("gooddrug"), &ctx).await?;
    for c in &cut {
        outln!("   {}", c.summary)?;
    }
    let batch = shared
        .store
        .reader()
        .await?
        .get_batch(collecting.id)
        .await?
        .context("the cut batch")?;
    let lines = shared.store.reader().await?.batch_lines(batch.id).await?;
    outln!(
        "   batch {} is {} (GOOD DRUG's profile says Review and Claim):",
        batch.number,
        batch.status
    )?;
    for l in &lines {
        let payload = l.line.payload.to_value();
        let reason = payload["validation"]["primary"].as_str().unwrap_or("-");
        outln!(
            "     line {}: {} {} x{} -> {} {}",
            l.line.line_no,
            l.line.item.as_deref().unwrap_or("?"),
            l.line.invoice.as_deref().unwrap_or("?"),
            l.line
                .quantity
                .map(|q| q.normalize().to_string())
                .unwrap_or_default(),
            l.line.status,
            l.line
                .calculated_amount
                .map(|a| a.to_string())
                .unwrap_or_else(|| reason.to_owned())
        )?;
    }

    // The disputed lines as the dispute CSV (chargeback-rules 9), as
    // `GET /api/v1/batches/{id}/disputes.csv` serves it.
    let export = apply::export_disputes(&*shared.store, batch.id, &ctx).await?;
    let csv_path = shared
        .settings
        .paths
        .data
        .join(export.file_name.replace('/', "_"));
    std::fs::write(&csv_path, &export.csv)
        .with_context(|| format!("writing {}", csv_path.display()))?;
    outln!(
        "   {} disputed line(s) exported for correction: {}",
        export.rows,
        csv_path.display()
    )?;

    step(4, "the analyst pays and closes the batch")?;
    let ctx = shared.context("demo analyst");
    let partners = shared.partners()?;
    let outcome = apply::apply_batch_action(
        &*shared.store,
        &partners,
        batch.id,
        batch.version,
        BatchAction::PayAndClose,
        &ctx,
    )
    .await?;
    shared.wake_relay.notify_one();
    outln!("   {}", outcome.summary)?;
    let claim_number = outcome
        .refs
        .iter()
        .find(|(kind, _)| kind == "claim")
        .map(|(_, number)| number.clone())
        .context("Pay and Close made no claim")?;
    let claim_file = wait_file(shared, "acmepharma", "outbox", "claim-").await?;
    outln!("   the 844 claim went to ACME: {}", claim_file.display())?;

    step(5, "ACME answers the claim (849)")?;
    let answer = acme_answers(shared, &claim_file)?;
    deliver(shared, "acmepharma", "849-from-acme.x12", &answer)?;
    let (claim, response) = wait_for(|| async {
        let mut reader = shared.store.reader().await?;
        let Some(claim) = reader.find_claim("acmepharma", &claim_number).await? else {
            return Ok(None);
        };
        let responses = reader.responses_for_claim(claim.id).await?;
        Ok(responses.into_iter().next().map(|r| (claim, r)))
    })
    .await?;
    outln!(
        "   reconciled: claim {} {} — claimed {}, approved {}",
        claim.claim_number,
        claim.status,
        response.response.total_claimed.unwrap_or_default(),
        response.response.total_approved.unwrap_or_default()
    )?;

    step(
        6,
        "GOOD DRUG claims chargebacks directly (844, debit memo GDD-CB-20261115-0001)",
    )?;
    deliver(shared, "gooddrug", "844_4010_claim.x12", CLAIM)?;
    let response = wait_file(shared, "gooddrug", "outbox", "claim_response-").await?;
    outln!(
        "   adjudicated against ACME's contract; the 849 went back: {}",
        response.display()
    )?;
    print_849_totals(&response)?;

    step(7, "a broken file arrives (mis-padded ISA, wrong SE01)")?;
    deliver(shared, "gooddrug", "bad_isa_len_se_count.x12", BROKEN)?;
    wait_file(shared, "gooddrug", "rejected", "bad_isa").await?;
    let failed = wait_for(|| async {
        let query = store::TransactionFilter {
            failed_only: true,
            partner: Some("gooddrug".into()),
            ..Default::default()
        };
        Ok(shared
            .store
            .list_transactions(&query)
            .await?
            .into_iter()
            .next())
    })
    .await?;
    outln!(
        "   rejected and kept for replay (transaction {}):",
        failed.id
    )?;
    for line in failed.error.as_deref().unwrap_or("").lines().take(3) {
        outln!("     {line}")?;
    }
    let ta1 = wait_file(shared, "gooddrug", "outbox", "ta1-").await?;
    outln!("   answered with {}", summary(&ta1)?)?;
    outln!()?;
    Ok(())
}

fn step(n: u32, what: &str) -> std::io::Result<()> {
    outln!("{n}. {what}")
}

/// A partner's drop: `.part`, then rename, as careful partners do.
fn deliver(shared: &Shared, partner: &str, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let inbox = shared.drops.path().join(partner).join("inbox");
    let part = inbox.join(format!("{name}.part"));
    std::fs::write(&part, bytes).with_context(|| format!("writing {}", part.display()))?;
    std::fs::rename(&part, inbox.join(name))?;
    Ok(())
}

/// Polls `check` until it finds something or the step times out.
async fn wait_for<T, F, Fut>(mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        if let Some(found) = check().await? {
            return Ok(found);
        }
        if Instant::now() > deadline {
            bail!(
                "the gateway did not finish this step within {STEP_TIMEOUT:?}; see `chargegate transactions --failed --config data/demo/chargegate.toml`"
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn listing(shared: &Shared, partner: &str, folder: &str) -> Vec<PathBuf> {
    let dir = shared.drops.path().join(partner).join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// Waits until `folder` holds `count` files; returns the newest by name.
async fn wait_new_file(
    shared: &Shared,
    partner: &str,
    folder: &str,
    count: usize,
) -> anyhow::Result<PathBuf> {
    wait_for(|| async {
        let files = listing(shared, partner, folder);
        Ok((files.len() >= count)
            .then(|| files.last().cloned())
            .flatten())
    })
    .await
}

/// Waits for a file whose name starts with `prefix`.
async fn wait_file(
    shared: &Shared,
    partner: &str,
    folder: &str,
    prefix: &str,
) -> anyhow::Result<PathBuf> {
    wait_for(|| async {
        Ok(listing(shared, partner, folder).into_iter().find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        }))
    })
    .await
}

/// An acknowledgment's file name and verdict segments (TA1, AK5/IK5, AK9).
fn summary(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)?;
    let verdicts: Vec<&str> = text
        .split(['~', '\n'])
        .map(str::trim)
        .filter(|s| {
            ["TA1", "AK5", "IK5", "AK9"]
                .iter()
                .any(|p| s.starts_with(p))
        })
        .collect();
    Ok(format!(
        "{} ({})",
        path.file_name().unwrap_or_default().to_string_lossy(),
        verdicts.join(" ")
    ))
}

fn print_849_totals(path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)?;
    let amounts: Vec<&str> = text
        .split(['~', '\n'])
        .map(str::trim)
        .filter(|s| s.starts_with("AMT*CC*") || s.starts_with("AMT*TT*"))
        .collect();
    if let [.., claimed, approved] = amounts.as_slice() {
        outln!("   849 totals: {claimed} (claimed), {approved} (approved)")?;
    }
    Ok(())
}

/// ACME's side, played with Chargegate's own engine and renderer: adjudicate the claim we
/// sent against ACME's contract and render the 849 from ACME to us in ACME's dialect.
fn acme_answers(shared: &Shared, claim_file: &Path) -> anyhow::Result<Vec<u8>> {
    use engine::adjudicate::{ResponseHeader, adjudicate};
    use partner_maps::translate::{PartnerLookup, TranslateOptions, translate_with};

    let profiles = shared.profiles.current();
    let acme = profiles
        .get("acmepharma")
        .context("no acmepharma profile")?;
    // ACME reads what it receives; the standard dialect fits both files here (ACME's own
    // profile describes what ACME sends us, not what it receives).
    let documents = |bytes: &[u8]| -> Vec<Document> {
        translate_with(
            bytes,
            "demo",
            PartnerLookup::Offline,
            TranslateOptions::default(),
        )
        .flat_map(|o| o.documents().to_vec())
        .collect()
    };
    let mut book = engine::contracts::ContractBook::new();
    for doc in documents(CONTRACT) {
        if let Document::Contract(c) = doc {
            book.apply(&c)
                .map_err(|e| anyhow::anyhow!("applying the contract: {e}"))?;
        }
    }
    let claim = documents(&std::fs::read(claim_file)?)
        .into_iter()
        .find_map(|d| match d {
            Document::Claim(c) => Some(c),
            _ => None,
        })
        .context("the claim file holds no 844")?;
    let settings = engine::settings::EngineSettings::default();
    let today = shared.context("acme").today;
    let run = adjudicate(&claim, &book, &settings, today);
    let header = ResponseHeader {
        source: claim.source.clone(),
        date: today,
        credit_memo: None,
    };
    let response = run
        .response(&claim, header, &settings)
        .context("no 849 for the claim")?;
    // ACME's dialect, addressed from ACME to us.
    let mut to_us = acme.clone();
    to_us.x12.isa_qualifier = shared.settings.identity.isa_qualifier.clone();
    to_us.x12.isa_id = shared.settings.identity.isa_id.clone();
    to_us.x12.gs_id = shared.settings.identity.isa_id.clone();
    let from_acme = Identity::new(&acme.x12.isa_qualifier, &acme.x12.isa_id);
    let now = chrono::Utc::now();
    let envelope = Envelope {
        interchange_control_number: 777,
        group_control_number: 777,
        set_control_number: 1,
        date: now.date_naive(),
        time: now.time(),
        test: false,
        ack_requested: false,
    };
    Ok(partner_maps::render_to_bytes(
        &[Document::from(response)],
        &to_us,
        &from_acme,
        &envelope,
    )?)
}
