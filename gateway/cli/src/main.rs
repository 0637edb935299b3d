//! The `chargegate` binary: parses arguments, sets up logging and calls the libraries.
//! Exit codes: 0 success, 1 the input is invalid, 2 usage or environment error (stdout that
//! cannot be written among them; a reader that went away is none: src/out.rs).

// First: its `outln!`/`out!` are used by the commands.
#[macro_use]
mod out;
mod cmd;
mod failure;
mod json;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc rather than the system allocator: translating a file makes and drops millions
/// of small strings, and glibc's malloc/free was a third of translate's time (README,
/// "Performance").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Chargegate: X12 chargeback gateway (845, 844, 849, 867, 997/999/TA1).
#[derive(Parser)]
#[command(name = "chargegate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check envelopes, syntax and set structure; one located error per line on stderr.
    Validate(cmd::validate::Args),
    /// Print the structure: interchanges, groups, sets, segment counts.
    Parse(cmd::parse::Args),
    /// Print the acknowledgment (997, 999 or TA1) the gateway would send for FILE.
    Ack(cmd::ack::Args),
    /// Print one normalized document per transaction set, as JSON lines.
    Translate(cmd::translate::Args),
    /// Render normalized documents (JSON) to X12 for a partner.
    Render(cmd::render::Args),
    /// Run the chargeback engine offline: validate an 844 claim against 845 contracts.
    Adjudicate(cmd::adjudicate::Args),
    /// Run the sample story end to end on embedded defaults and say where to look.
    Demo(cmd::demo::Args),
    /// Onboard a partner: draft a profile from samples, check it.
    #[command(subcommand)]
    Partner(cmd::partner::Command),
    /// Runs the gateway: drop folders, AS2, workers, engine, HTTP API.
    Serve(cmd::ops::ServeArgs),
    /// Applies database migrations (serve does it at start too).
    Migrate(cmd::ops::MigrateArgs),
    /// Lists transactions: all, failed, stuck, or by partner, control number, invoice, debit
    /// memo.
    Transactions(cmd::ops::TransactionsArgs),
    /// Replays a failed (or stuck) transaction without duplicating anything.
    Replay(cmd::ops::ReplayArgs),
    /// Dismisses a failed transaction (a corrected file replaced it): off the failed queue,
    /// not replayable, who and why audited.
    Dismiss(cmd::ops::AsideArgs),
    /// Restores a dismissed transaction (dismissed by mistake): failed again, back on the
    /// failed queue and replayable, who and why audited.
    Restore(cmd::ops::AsideArgs),
    /// Claimant batches: cut the claim periods that have ended.
    #[command(subcommand)]
    Batches(cmd::batches::Command),
    /// GPO rosters: upload a roster CSV (snapshot or delta), approve a held snapshot.
    #[command(subcommand)]
    Roster(cmd::roster::Command),
    /// Reference prices: load a supplier's WAC or book cost list, list what is loaded.
    #[command(subcommand)]
    Prices(cmd::prices::Command),
}

/// What a command concluded about its input.
pub enum Outcome {
    /// The input is valid.
    Valid,
    /// The input is invalid; the command has said why.
    Invalid,
}

fn main() -> ExitCode {
    use std::io::IsTerminal;
    let cli = Cli::parse();
    // The demo tells its own story; its gateway's start-up warnings (generated AS2 key, no
    // SFTP users) are noise there. CHARGEGATE_LOG still wins.
    let default_level = match cli.command {
        Command::Demo(_) => "error",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in log files and pipes.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CHARGEGATE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .init();
    let result = match cli.command {
        Command::Validate(a) => cmd::validate::run(a),
        Command::Parse(a) => cmd::parse::run(a),
        Command::Ack(a) => cmd::ack::run(a),
        Command::Demo(a) => cmd::demo::run(a),
        Command::Translate(a) => cmd::translate::run(a),
        Command::Render(a) => cmd::render::run(a),
        Command::Adjudicate(a) => cmd::adjudicate::run(a),
        Command::Partner(c) => cmd::partner::run(c),
        Command::Serve(a) => cmd::ops::serve(a),
        Command::Migrate(a) => cmd::ops::migrate(a),
        Command::Transactions(a) => cmd::ops::transactions(a),
        Command::Replay(a) => cmd::ops::replay(a),
        Command::Dismiss(a) => cmd::ops::dismiss(a),
        Command::Restore(a) => cmd::ops::restore(a),
        Command::Batches(c) => cmd::batches::run(c),
        Command::Roster(c) => cmd::roster::run(c),
        Command::Prices(c) => cmd::prices::run(c),
    };
    // What stdout still holds is written before the status is decided: a failure there is one
    // too. A reader that went away is none (src/out.rs): the status stays the command's.
    let result = result.and_then(|outcome| {
        out::flush()?;
        Ok(outcome)
    });
    match result {
        Ok(Outcome::Valid) => ExitCode::SUCCESS,
        Ok(Outcome::Invalid) => ExitCode::from(1),
        Err(e) => {
            match out::write_error() {
                // Said once and plainly, whatever the command was writing when it failed.
                Some(why) => eprintln!("chargegate: cannot write to stdout: {why}"),
                None => eprintln!("chargegate: {}", failure::message(&e)),
            }
            ExitCode::from(2)
        }
    }
}
