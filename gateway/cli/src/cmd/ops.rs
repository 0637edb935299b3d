//! The service commands: `serve`, `migrate`, `transactions`, `replay`, `dismiss`, `restore` (design.md 3). They
//! read the same layered configuration as the service (defaults < `chargegate.toml` or
//! `--config` < `CHARGEGATE__*`).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use server::http::ListQuery;
use server::ingest::Ingest;
use server::profiles::Profiles;
use server::raw::RawStore;
use server::{Gateway, Settings};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::Outcome;

/// The configuration file flag shared by the service commands.
#[derive(clap::Args, Debug)]
pub struct ConfigFlag {
    /// Configuration file (default: ./chargegate.toml when it exists).
    #[arg(long, env = "CHARGEGATE_CONFIG")]
    config: Option<PathBuf>,
}

impl ConfigFlag {
    pub(crate) fn load(&self) -> anyhow::Result<Settings> {
        Ok(Settings::load(self.config.as_deref())?)
    }
}

/// Arguments of `serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    config: ConfigFlag,
}

/// Arguments of `migrate`.
#[derive(clap::Args, Debug)]
pub struct MigrateArgs {
    #[command(flatten)]
    config: ConfigFlag,
}

/// Arguments of `transactions`.
#[derive(clap::Args, Debug)]
pub struct TransactionsArgs {
    /// Only failed transactions (the replay queue).
    #[arg(long)]
    failed: bool,
    /// Only stuck transactions: received or processing and not updated for MINUTES (15 when
    /// not given). Nothing is moving them; `replay` runs them again.
    #[arg(long, value_name = "MINUTES", num_args = 0..=1, default_missing_value = "15")]
    stuck: Option<i64>,
    /// Only transactions in this state: received, processing, done, failed or dismissed
    /// (the ones ops set aside; `restore` puts one back).
    #[arg(long)]
    state: Option<String>,
    /// Only this partner's.
    #[arg(long)]
    partner: Option<String>,
    /// ISA13, GS06 or ST02.
    #[arg(long)]
    control_number: Option<String>,
    /// An invoice number on the document.
    #[arg(long)]
    invoice: Option<String>,
    /// A debit memo number.
    #[arg(long)]
    debit_memo: Option<String>,
    /// At most this many (newest first).
    #[arg(long, default_value_t = 50)]
    limit: i64,
    /// JSON lines instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    config: ConfigFlag,
}

/// Arguments of `replay`.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// The transaction id (from `chargegate transactions --failed` or `--stuck`).
    id: Uuid,
    #[command(flatten)]
    config: ConfigFlag,
}

/// Arguments of `dismiss` and `restore`.
#[derive(clap::Args, Debug)]
pub struct AsideArgs {
    /// The transaction's id (a failed one from `chargegate transactions --failed` to dismiss,
    /// a dismissed one from `chargegate transactions --state dismissed` to restore).
    id: Uuid,
    /// Why, e.g. the corrected file that replaced it (audited).
    #[arg(long)]
    reason: String,
    /// Who does it (audited).
    #[arg(long, default_value = "ops")]
    actor: String,
    #[command(flatten)]
    config: ConfigFlag,
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// `chargegate serve`.
pub fn serve(args: ServeArgs) -> anyhow::Result<Outcome> {
    let settings = args.config.load()?;
    runtime()?.block_on(async move {
        let gateway = Gateway::open(settings).await?;
        let listener = gateway.bind().await?;
        eprintln!(
            "chargegate: serving on http://{} (database {}, bus {}); Ctrl-C or SIGTERM stops",
            listener.local_addr()?,
            server::app::redact(&gateway.shared.settings.database.url),
            server::app::redact(&gateway.shared.settings.bus.url),
        );
        let stop = CancellationToken::new();
        let on_signal = stop.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            // Finishing in-flight work can take a while (a large file's sets): say so, so the
            // operator does not take the silence for a hang and kill it.
            eprintln!("chargegate: stopping: no new input; finishing in-flight work");
            on_signal.cancel();
        });
        gateway.serve(listener, stop).await?;
        eprintln!("chargegate: stopped");
        Ok(Outcome::Valid)
    })
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// The configured database, created and migrated when it is not there yet (`migrate`).
pub(crate) async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn store::Store>> {
    Ok(server::app::open_store(&settings.database.url).await?)
}

/// The configured gateway's database, for the commands that read or change its state: a
/// database that is not there is an environment error (exit 2) naming where it was looked for,
/// never a new, empty one.
pub(crate) async fn open_existing_store(
    settings: &Settings,
) -> anyhow::Result<Arc<dyn store::Store>> {
    Ok(server::app::open_existing_store(&settings.database.url).await?)
}

/// `chargegate migrate`.
pub fn migrate(args: MigrateArgs) -> anyhow::Result<Outcome> {
    let settings = args.config.load()?;
    runtime()?.block_on(async move {
        open_store(&settings).await?;
        eprintln!(
            "chargegate: {} is migrated",
            server::app::redact(&settings.database.url)
        );
        Ok(Outcome::Valid)
    })
}

/// `chargegate transactions`.
pub fn transactions(args: TransactionsArgs) -> anyhow::Result<Outcome> {
    let settings = args.config.load()?;
    let query = ListQuery {
        failed: args.failed,
        stuck: args.stuck,
        state: args.state.clone(),
        partner: args.partner.clone(),
        control_number: args.control_number.clone(),
        invoice: args.invoice.clone(),
        debit_memo: args.debit_memo.clone(),
        limit: Some(args.limit),
        ..ListQuery::default()
    };
    let filter = query.filter()?;
    runtime()?.block_on(async move {
        let store = open_existing_store(&settings).await?;
        let rows = store.list_transactions(&filter).await?;
        if args.json {
            for r in &rows {
                outln!("{}", serde_json::to_string(r)?)?;
            }
        } else {
            outln!(
                "{:<36}  {:<10} {:<8} {:<7} {:<10} {:<14} {:<9}  error",
                "id",
                "partner",
                "dir",
                "step",
                "state",
                "doc",
                "isa13"
            )?;
            for r in &rows {
                let row = format!(
                    "{:<36}  {:<10} {:<8} {:<7} {:<10} {:<14} {:<9}  ",
                    r.id,
                    r.partner,
                    r.direction.as_str(),
                    r.step.as_str(),
                    r.state.as_str(),
                    r.doc_type.as_deref().unwrap_or("-"),
                    r.isa13.as_deref().unwrap_or("-"),
                );
                let mut errors = error_lines(r.error.as_deref().unwrap_or(""));
                outln!("{row}{}", errors.next().unwrap_or_default())?;
                // The other located errors under the first, in the error column: a bad
                // element's segment line (AK3) comes before the line naming the element.
                let indent = " ".repeat(row.chars().count());
                for more in errors {
                    outln!("{indent}{more}")?;
                }
            }
        }
        store.close().await;
        Ok(Outcome::Valid)
    })
}

/// Most error lines the `transactions` table shows for one transaction; `--json` has them all.
const TABLE_ERROR_LINES: usize = 10;

/// The lines of a transaction's error as the table shows them: at most
/// [`TABLE_ERROR_LINES`], the last saying how many more there are.
fn error_lines(error: &str) -> impl Iterator<Item = String> + '_ {
    let total = error.lines().count();
    let shown = if total > TABLE_ERROR_LINES {
        TABLE_ERROR_LINES - 1
    } else {
        total
    };
    error.lines().take(shown).map(str::to_owned).chain(
        (total > shown)
            .then(|| format!("... and {} more line(s): --json shows them", total - shown)),
    )
}

/// `chargegate replay ID`: runs the failed step again through the database and the outbox;
/// a running gateway picks the result up (its relay polls the outbox).
pub fn replay(args: ReplayArgs) -> anyhow::Result<Outcome> {
    let settings = args.config.load()?;
    runtime()?.block_on(async move {
        let store = open_existing_store(&settings).await?;
        let ingest = Ingest {
            store: store.clone(),
            raw: RawStore::new(&settings.paths.data),
            profiles: Arc::new(Profiles::load(&settings.paths.profiles)?),
            wake_relay: Arc::new(tokio::sync::Notify::new()),
            identity: settings.identity.isa(),
        };
        let done = match server::replay::replay(&ingest, args.id).await {
            Ok(done) => done,
            // Nothing to replay is an answer about the input, not a failure of the command.
            Err(error @ (server::PipelineError::Done(_) | server::PipelineError::Dismissed(_))) => {
                eprintln!("chargegate: {error}");
                store.close().await;
                return Ok(Outcome::Invalid);
            }
            Err(error) => return Err(error.into()),
        };
        outln!("{}", serde_json::to_string(&done)?)?;
        eprintln!("chargegate: {}", done.summary);
        store.close().await;
        // Still failing: the fix did not take (exit 1, as for any input still invalid).
        Ok(if done.still_failed {
            Outcome::Invalid
        } else {
            Outcome::Valid
        })
    })
}

/// `chargegate dismiss ID --reason TEXT`: sets a failed transaction aside (off the failed
/// queue, not replayable), who and why in its audit trail. Exit 1 when it is not failed.
pub fn dismiss(args: AsideArgs) -> anyhow::Result<Outcome> {
    aside(args, Aside::Dismiss)
}

/// `chargegate restore ID --reason TEXT`: undoes a dismissal (failed again, back on the
/// failed queue, replayable), who and why in its audit trail. Exit 1 when it is not
/// dismissed.
pub fn restore(args: AsideArgs) -> anyhow::Result<Outcome> {
    aside(args, Aside::Restore)
}

#[derive(Clone, Copy)]
enum Aside {
    Dismiss,
    Restore,
}

fn aside(args: AsideArgs, way: Aside) -> anyhow::Result<Outcome> {
    let settings = args.config.load()?;
    runtime()?.block_on(async move {
        let store = open_existing_store(&settings).await?;
        let result = match way {
            Aside::Dismiss => {
                server::replay::dismiss(&*store, args.id, &args.actor, &args.reason).await
            }
            Aside::Restore => {
                server::replay::restore(&*store, args.id, &args.actor, &args.reason).await
            }
        };
        store.close().await;
        let tx = match result {
            Ok(tx) => tx,
            // Not in the state the action needs (done, still running, dismissed or restored
            // before): an answer about the input.
            Err(
                error @ (server::PipelineError::NotFailed(..)
                | server::PipelineError::NotDismissed(..)),
            ) => {
                eprintln!("chargegate: {error}");
                return Ok(Outcome::Invalid);
            }
            Err(error) => return Err(error.into()),
        };
        outln!("{}", serde_json::to_string(&tx)?)?;
        match way {
            Aside::Dismiss => eprintln!(
                "chargegate: transaction {} dismissed (failed at {}); it is off the failed queue \
                 and will not be replayed",
                tx.id, tx.step
            ),
            Aside::Restore => eprintln!(
                "chargegate: transaction {} restored: failed again (at {}), back on the failed \
                 queue and replayable",
                tx.id, tx.step
            ),
        }
        Ok(Outcome::Valid)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_every_error_line_up_to_its_limit() {
        assert_eq!(error_lines("").count(), 0);
        assert_eq!(
            error_lines("f: segment 18 (QTY): x\nf: segment 18 (QTY), element 2: y")
                .collect::<Vec<_>>(),
            [
                "f: segment 18 (QTY): x",
                "f: segment 18 (QTY), element 2: y"
            ]
        );
        let many: Vec<String> = (1..=25).map(|n| format!("error {n}")).collect();
        let shown: Vec<String> = error_lines(&many.join("\n")).collect();
        assert_eq!(shown.len(), TABLE_ERROR_LINES);
        assert_eq!(
            shown[..TABLE_ERROR_LINES - 1],
            many[..TABLE_ERROR_LINES - 1]
        );
        assert_eq!(
            shown[TABLE_ERROR_LINES - 1],
            "... and 16 more line(s): --json shows them"
        );
        let exactly: Vec<String> = many[..TABLE_ERROR_LINES].to_vec();
        assert_eq!(
            error_lines(&exactly.join("\n")).collect::<Vec<_>>(),
            exactly
        );
    }
}
