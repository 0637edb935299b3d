//! `chargegate batches disputes BATCH [--out FILE]` and `chargegate batches correct BATCH FILE
//! --expected-version N`: the dispute CSV of chargeback-rules §9 against the configured
//! store, as `GET /api/v1/batches/{id}/disputes.csv` and `POST .../corrections` do. BATCH is a
//! batch id, number, or `partner/report`. A corrected file that does not fit its batch is
//! exit 1 with `FILE: row R, column C: message` on stderr and nothing written; the import's
//! outcome is JSON on stdout.

use std::path::PathBuf;

use anyhow::Context as _;
use chrono::Utc;
use engine::disputes::DisputeCsvError;

use crate::Outcome;
use crate::cmd::ops::{ConfigFlag, open_existing_store, runtime};

/// Arguments of `batches disputes`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The batch: id, number, or partner/report.
    batch: String,
    /// Write the file here (default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    config: ConfigFlag,
}

/// Arguments of `batches correct`.
#[derive(clap::Args, Debug)]
pub struct CorrectArgs {
    /// The source batch: id, number, or partner/report.
    batch: String,
    /// The corrected dispute CSV.
    file: PathBuf,
    /// The source batch's version the file was exported from (`GET /api/v1/batches/{id}`).
    #[arg(long)]
    expected_version: i64,
    /// Who imports (audited).
    #[arg(long, default_value = "analyst")]
    actor: String,
    #[command(flatten)]
    config: ConfigFlag,
}

async fn locate(store: &dyn store::Store, key: &str) -> anyhow::Result<Option<uuid::Uuid>> {
    let mut read = store.reader().await?;
    Ok(apply::locate_batch(&mut *read, key).await?.map(|b| b.id))
}

/// Writes a batch's disputed lines.
pub fn export(args: ExportArgs) -> anyhow::Result<Outcome> {
    let settings = args.config.load()?;
    runtime()?.block_on(async move {
        let store = open_existing_store(&settings).await?;
        let ctx = settings.engine.context(Utc::now(), "analyst".to_owned());
        let result = match locate(&*store, &args.batch).await? {
            Some(id) => apply::export_disputes(&*store, id, &ctx).await.map(Some),
            None => Ok(None),
        };
        store.close().await;
        let export = match result {
            Ok(Some(export)) => export,
            Ok(None) => {
                eprintln!("chargegate: no batch {}", args.batch);
                return Ok(Outcome::Invalid);
            }
            Err(apply::ApplyError::DisputeCsv(e)) => {
                eprintln!("chargegate: {}: {e}", args.batch);
                return Ok(Outcome::Invalid);
            }
            Err(e) => return Err(e.into()),
        };
        match &args.out {
            Some(path) => std::fs::write(path, &export.csv)
                .with_context(|| format!("writing {}", path.display()))?,
            None => {
                use std::io::Write as _;
                crate::out::stdout().write_all(&export.csv)?;
            }
        }
        eprintln!(
            "chargegate: {} disputed line(s) of {} ({})",
            export.rows, args.batch, export.file_name
        );
        Ok(Outcome::Valid)
    })
}

/// Imports a corrected file as a new Corrected CSV batch.
pub fn correct(args: CorrectArgs) -> anyhow::Result<Outcome> {
    let settings = args.config.load()?;
    let csv =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let file = args.file.display().to_string();
    let name = args
        .file
        .file_name()
        .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned());
    runtime()?.block_on(async move {
        let store = open_existing_store(&settings).await?;
        let profiles = server::profiles::Profiles::load(&settings.paths.profiles)?;
        let partners = apply::Partners::from_profiles(&profiles.current())?;
        let ctx = settings.engine.context(Utc::now(), args.actor.clone());
        let result = match locate(&*store, &args.batch).await? {
            Some(id) => apply::import_dispute_corrections(
                &*store,
                &partners,
                id,
                args.expected_version,
                (&name, &csv),
                &ctx,
            )
            .await
            .map(Some),
            None => Ok(None),
        };
        store.close().await;
        match result {
            Ok(Some(done)) => {
                outln!(
                    "{}",
                    serde_json::json!({
                        "batch": {"id": done.batch, "number": done.number, "status": done.status},
                        "source_version": done.source_version,
                        "resubmitted": done.resubmitted,
                        "claim": done.claim.as_ref().map(|(n, a)| serde_json::json!({"number": n, "amount": a})),
                        "summary": done.summary,
                    })
                )?;
                eprintln!("chargegate: {}", done.summary);
                Ok(Outcome::Valid)
            }
            Ok(None) => {
                eprintln!("chargegate: no batch {}", args.batch);
                Ok(Outcome::Invalid)
            }
            Err(apply::ApplyError::DisputeCsv(DisputeCsvError::Located {
                row,
                column,
                message,
            })) => {
                eprintln!("{file}: row {row}, column {column}: {message}");
                Ok(Outcome::Invalid)
            }
            Err(
                e @ (apply::ApplyError::DisputeCsv(_)
                | apply::ApplyError::InvalidCorrection(_)
                | apply::ApplyError::Conflict { .. }),
            ) => {
                eprintln!("{file}: {e}");
                Ok(Outcome::Invalid)
            }
            Err(e) => Err(e.into()),
        }
    })
}
