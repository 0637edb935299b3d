//! The supplier's 849 for a large claim: how long reconciling it takes after a report of N
//! lines is cut (claim #1 of its valid lines, about 85 % of them, sent as one 844). The 849
//! pays every line but the first, which it adjusts; every line's outcome changes.
//!
//! ```text
//! cargo run --release -p apply --example answer_849 -- 50000 postgres
//! cargo run --release -p apply --example answer_849 -- 50000 sqlite
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/workload/mod.rs"]
mod workload;

/// The allocator the `chargegate` binary ships with, so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use rust_decimal::Decimal;
use schemas::Document;

fn main() {
    let (args, rt) = workload::example_start(50_000);
    let (lines, contracts, items) = (args.lines, args.contracts, args.items);
    let backend = args.backend;
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, pg_name) = workload::store_for(&rt, &backend, dir.path());
    let partners = workload::partners();
    rt.block_on(workload::load_contracts(
        &*store, &partners, contracts, items,
    ));
    let doc = Document::SalesReport(workload::report(1, lines, contracts, items));
    let started = Instant::now();
    let summary = rt.block_on(workload::apply_and_cut(&*store, &partners, "big", &doc));
    println!("report and cut: {:.1?}: {summary}", started.elapsed());
    let sent = rt.block_on(async {
        let pending = store.pending_outbox(1_000).await.expect("outbox");
        let message = &pending
            .iter()
            .find(|m| m.message.routing_key.starts_with("outbound.claim."))
            .expect("844 in the outbox")
            .message;
        match serde_json::from_slice::<Document>(&message.payload).expect("844 document") {
            Document::Claim(claim) => claim,
            other => panic!("not an 844: {other:?}"),
        }
    });
    let source = schemas::Source {
        file: "849.edi".into(),
        interchange: "000000849".into(),
        group: "849".into(),
        set: "0001".into(),
        partner: Some(workload::SUPPLIER.into()),
    };
    // Every line paid but the first, adjusted by a cent: every outcome changes.
    let response = Document::ClaimResponse(workload::answer_849(
        &sent,
        source,
        workload::ctx().today,
        Decimal::new(1, 2),
    ));
    let started = Instant::now();
    let applied = rt
        .block_on(apply::apply_document(
            &*store,
            &partners,
            "engine.responses",
            "m-849",
            &response,
            &workload::ctx(),
        ))
        .expect("849 applies");
    let took = started.elapsed();
    let summary = match applied {
        apply::Applied::Applied(o) => o.summary,
        apply::Applied::AlreadyApplied => "already applied".to_owned(),
    };
    println!(
        "{backend} 849 for {} claim lines: {took:.1?} ({:.0} lines/s): {summary}",
        sent.lines.len(),
        sent.lines.len() as f64 / took.as_secs_f64(),
    );
    if let Some(name) = pg_name {
        rt.block_on(workload::drop_pg(store, &name));
    }
}
