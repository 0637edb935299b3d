//! Peak memory of applying one big sales report: how much the resident set grows while
//! `apply::apply_document` turns a report of N lines into a stored batch, beyond the report
//! itself (which the caller holds; its own footprint is printed for comparison) and the
//! contract book.
//!
//! ```text
//! cargo run --release -p apply --example apply_rss -- 50000 sqlite
//! cargo run --release -p apply --example apply_rss -- 200000 postgres
//! ```
//!
//! The peak is read from `VmHWM` after resetting it (`/proc/self/clear_refs`, Linux) once
//! the contracts are applied and the report generated, so it measures the application only.
//! Sizes of the book: `BENCH_CONTRACTS` (default 1,000) x `BENCH_ITEMS` (default 100);
//! `APPLY_RSS_PRIOR=n` applies n reports of the same size first (their times are printed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/workload/mod.rs"]
mod workload;

/// The allocator the `chargegate` binary ships with, so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use schemas::Document;

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("status field")
}

fn main() {
    // `RUST_LOG=apply=info` shows what apply logs (e.g. a report streamed twice).
    let (args, rt) = workload::example_start(200_000);
    let (lines, contracts, items) = (args.lines, args.contracts, args.items);
    let backend = args.backend;
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, pg_name) = workload::store_for(&rt, &backend, dir.path());
    let partners = workload::partners();
    rt.block_on(workload::load_contracts(
        &*store, &partners, contracts, items,
    ));
    // A first small report builds the contract book cache, as a running gateway has it.
    let warm = Document::SalesReport(workload::report(0, 100, contracts, items));
    rt.block_on(workload::apply_and_cut(&*store, &partners, "warm", &warm));
    // `APPLY_RSS_PRIOR` earlier reports of the same size first: a store that already holds
    // lines, as in production (their time is printed, not their memory).
    for run in 0..workload::env("APPLY_RSS_PRIOR", 0) as u64 {
        let prior = Document::SalesReport(workload::report(1_000 + run, lines, contracts, items));
        let started = Instant::now();
        rt.block_on(workload::apply_and_cut(
            &*store,
            &partners,
            &format!("prior-{run}"),
            &prior,
        ));
        eprintln!("prior report {run}: {:.1?}", started.elapsed());
    }
    let without_report = status_kib("VmRSS:");
    let doc = Document::SalesReport(workload::report(1, lines, contracts, items));
    let before = status_kib("VmRSS:");
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak (Linux)");
    let started = Instant::now();
    // The report goes into the day's batch and the day is cut (Daily trigger, 8.1): batch,
    // lines, claim #1 and its 844, as one report was before periods collected lines.
    let summary = rt.block_on(workload::apply_and_cut(&*store, &partners, "big", &doc));
    let elapsed = started.elapsed();
    let peak = status_kib("VmHWM:");
    eprintln!("{summary}");
    // The report arrives as one bus message: what the caller holds, not what applying adds.
    println!(
        "{backend} report in memory: {} MiB ({} bytes/line)",
        before.saturating_sub(without_report) / 1024,
        before.saturating_sub(without_report) * 1024 / lines as u64
    );
    println!(
        "{backend} {lines} lines in {elapsed:.1?} ({:.0} lines/s): RSS before {} MiB, peak {} MiB, growth {} MiB ({} bytes/line)",
        lines as f64 / elapsed.as_secs_f64(),
        before / 1024,
        peak / 1024,
        peak.saturating_sub(before) / 1024,
        peak.saturating_sub(before) * 1024 / lines as u64
    );
    // `APPLY_RSS_KEEP=1` keeps the PostgreSQL database, to look at the rows written.
    if let Some(name) = pg_name {
        if std::env::var_os("APPLY_RSS_KEEP").is_some() {
            eprintln!("kept database {name}");
        } else {
            rt.block_on(workload::drop_pg(store, &name));
        }
    }
}
