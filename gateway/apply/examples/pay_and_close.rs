//! An analyst's Pay and Close on a large batch awaiting review: how long the action takes
//! after a report of N lines is cut in Review and Claim (about 15 % of its lines disputed).
//!
//! ```text
//! cargo run --release -p apply --example pay_and_close -- 50000 postgres
//! cargo run --release -p apply --example pay_and_close -- 50000 sqlite
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/workload/mod.rs"]
mod workload;

/// The allocator the `chargegate` binary ships with, so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use engine::settings::BatchMode;
use schemas::Document;

fn main() {
    let (args, rt) = workload::example_start(50_000);
    let (lines, contracts, items) = (args.lines, args.contracts, args.items);
    let backend = args.backend;
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, pg_name) = workload::store_for(&rt, &backend, dir.path());
    let mut partners = workload::partners();
    partners
        .get_mut(workload::DISTRIBUTOR)
        .expect("distributor")
        .settings
        .batch_mode = BatchMode::ReviewAndClaim;
    rt.block_on(workload::load_contracts(
        &*store, &partners, contracts, items,
    ));
    let doc = Document::SalesReport(workload::report(1, lines, contracts, items));
    let started = Instant::now();
    let summary = rt.block_on(workload::apply_and_cut(&*store, &partners, "big", &doc));
    println!("report and cut: {:.1?}: {summary}", started.elapsed());
    let batch = rt.block_on(async {
        let mut read = store.reader().await.expect("reader");
        apply::find_report_batch(&mut *read, workload::DISTRIBUTOR, "BENCH-000001")
            .await
            .expect("query")
            .expect("batch")
    });
    let started = Instant::now();
    let paid = rt
        .block_on(apply::apply_batch_action(
            &*store,
            &partners,
            batch.id,
            batch.version,
            apply::BatchAction::PayAndClose,
            &workload::ctx(),
        ))
        .expect("pay and close");
    let took = started.elapsed();
    println!(
        "{backend} pay and close of {lines} lines: {took:.1?} ({:.0} lines/s): {}",
        lines as f64 / took.as_secs_f64(),
        paid.summary
    );
    if let Some(name) = pg_name {
        rt.block_on(workload::drop_pg(store, &name));
    }
}
