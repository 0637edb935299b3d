//! Retro runs (chargeback-rules 5.3) through the store, on SQLite and PostgreSQL: the sample
//! story as claimant ("as sent": GOOD DRUG claims GDD-CB-20261115-0001 under its ERP copy of
//! SPA-2026-0042, ACME's 845 and 849 follow), then a back-dated change of the contract is
//! approved and run. §5.3's example: had the price change been effective 2026-11-01, line 2
//! gets a +4.00 delta; had the start moved to 2026-10-01, line 6 is resubmitted for 6.25.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use apply::{
    ApplyError, BatchAction, Partners, apply_batch_action, apply_document, apply_retro_approval,
};
use common::{
    Harness, Kind, applied, ctx, date, earlier_start, partners, sales_of_claim, stale_copy,
    translate,
};
use engine::batch::{Batch, BatchLine};
use rust_decimal::Decimal;
use schemas::{Action, Document, ItemAction};
use uuid::Uuid;

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

/// The claimant story up to ACME's 849: lines 1, 2, 4 paid, 3 adjusted to 100.50, 5 and 6
/// rejected (03, 19). Returns the partners, ACME's real 845 and the sales batch id.
async fn story(h: &Harness) -> (Partners, schemas::Contract, Uuid) {
    let mut partners = partners();
    partners.get_mut("gooddrug").expect("gooddrug").claim_prefix = "GDD-CB".into();
    let real = translate("845_4010_contract.x12").remove(0);
    let steps = [
        ("engine.contracts", "m-erp", stale_copy(&real), "2026-11-01"),
        (
            "engine.sales",
            "m-sales",
            sales_of_claim(&translate("844_4010_claim.x12").remove(0)),
            "2026-11-15",
        ),
        ("engine.contracts", "m-845", real.clone(), "2026-11-16"),
        (
            "engine.responses",
            "m-849",
            translate("849_4010_response.x12").remove(0),
            "2026-11-18",
        ),
    ];
    for (consumer, message, doc, day) in &steps {
        applied(
            apply_document(
                &*h.store,
                &partners,
                consumer,
                message,
                doc,
                &ctx(day, "system"),
            )
            .await,
        );
        if matches!(doc, Document::SalesReport(_)) {
            // GOOD DRUG's Daily period is cut the day the sales post (8.1).
            common::cut(h, &partners, day).await;
        }
    }
    let batch = common::report_batch(h, "gooddrug", "GDD-CB-20261115-0001").await;
    let mut read = h.store.reader().await.unwrap();
    let parent = read
        .find_claim("acmepharma", "GDD-CB-20261115-0001")
        .await
        .unwrap()
        .expect("claim");
    assert_eq!(parent.status, "settlement_pending");
    let Document::Contract(real) = real else {
        panic!("not a contract")
    };
    (partners, real, batch.id)
}

/// §5.3: ACME reprices 12345020101 from 30.00 to 29.00, issued 2026-12-01, effective `from`.
fn price_change(real: &schemas::Contract, from: &str) -> Document {
    let mut change = real.clone();
    change.action = Action::Change;
    change.date = date("2026-12-01");
    change.source.interchange = "000000102".into();
    change.source.file = "1".repeat(64);
    change.eligible.clear();
    change.items = vec![change.items[1].clone()];
    assert_eq!(change.items[0].item.id, "12345020101");
    change.items[0].action = ItemAction::PriceChange;
    change.items[0].contract_price = Some(dec("29.00"));
    change.items[0].wac = None;
    change.items[0].start = Some(date(from));
    change.items[0].end = None;
    Document::Contract(change)
}

async fn apply_change(h: &Harness, partners: &Partners, change: &Document) -> Uuid {
    let out = applied(
        apply_document(
            &*h.store,
            partners,
            "engine.contracts",
            "m-845-change",
            change,
            &ctx("2026-12-01", "system"),
        )
        .await,
    );
    assert!(
        out.summary
            .starts_with("contract SPA-2026-0042 version 3, retroactive from"),
        "{}",
        out.summary
    );
    let mut read = h.store.reader().await.unwrap();
    let runs = read.retro_runs_by_number("SPA-2026-0042", 3).await.unwrap();
    assert_eq!(runs.len(), 1, "one pending run per back-dated version");
    assert_eq!(runs[0].status, "pending");
    assert_eq!(runs[0].partner, "acmepharma");
    runs[0].contract_id
}

async fn retro_lines(h: &Harness, number: &str) -> (Batch, Vec<BatchLine>) {
    let mut read = h.store.reader().await.unwrap();
    let record = read.find_batch(number).await.unwrap().expect("retro batch");
    let batch: Batch = serde_json::from_value(record.payload.clone()).unwrap();
    let lines = read
        .batch_lines(record.id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.line.payload.parse::<BatchLine>().unwrap())
        .collect();
    (batch, lines)
}

/// Back-dated price: approving the run makes one Retro batch (Review and Claim, Awaiting
/// Review) with a +4.00 delta for line 2 linked to the original; a second approval creates
/// nothing; Pay and Close claims the 4.00 as a Retro claim to ACME.
async fn delta_case(kind: Kind) {
    let h = Harness::new(kind).await;
    let (partners, real, sales_batch) = story(&h).await;
    let contract = apply_change(&h, &partners, &price_change(&real, "2026-11-01")).await;

    let out = apply_retro_approval(&*h.store, &partners, contract, 3, &ctx("2026-12-05", "ann"))
        .await
        .expect("approve");
    assert!(!out.already_run);
    assert_eq!(out.retroactive_from, "2026-11-01");
    assert_eq!(out.approved_by.as_deref(), Some("ann"));
    assert_eq!(out.result.batches.len(), 1, "{out:?}");
    assert!(out.result.expired.is_empty());
    let made = &out.result.batches[0];
    assert_eq!(made.number, "gooddrug/RETRO-SPA-2026-0042-V3");
    assert_eq!((made.lines, made.amount), (1, dec("4.00")));

    let (batch, lines) = retro_lines(&h, &made.number).await;
    assert_eq!(batch.header.kind, engine::batch::BatchKind::Retro);
    assert_eq!(batch.mode, engine::settings::BatchMode::ReviewAndClaim);
    assert_eq!(batch.status, engine::batch::BatchStatus::AwaitingReview);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].status, engine::batch::LineStatus::Accepted);
    assert_eq!(lines[0].accepted_amount, Some(dec("4.00")));
    assert_eq!(lines[0].sale.item.id, "12345020101");
    let original = lines[0]
        .sale
        .corrects
        .clone()
        .expect("linked to its original");
    assert_eq!(original.batch, sales_batch.to_string());
    assert_eq!(original.line, "2");
    assert!(
        lines[0]
            .comment
            .as_deref()
            .is_some_and(|c| c.starts_with("retro delta")),
        "{:?}",
        lines[0].comment
    );

    let run_events: Vec<String> = h
        .store
        .audit_events("retro_run", &format!("{contract}/3"))
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.event.event, e.event.actor))
        .collect();
    assert_eq!(
        run_events,
        [
            "retro run pending approval system",
            "retro run approved ann"
        ]
    );
    let batch_events: Vec<String> = h
        .store
        .audit_events("batch", &made.id.to_string())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event.event)
        .collect();
    assert!(
        batch_events.contains(&"B1 open".to_owned()),
        "{batch_events:?}"
    );
    assert!(
        batch_events.contains(&"B5 retro lines to review".to_owned()),
        "{batch_events:?}"
    );

    // A rerun for the same (contract, version) creates nothing new.
    let before = h.counts().await;
    let again = apply_retro_approval(&*h.store, &partners, contract, 3, &ctx("2026-12-06", "bob"))
        .await
        .expect("rerun");
    assert!(again.already_run);
    assert_eq!(again.result, out.result);
    assert_eq!(again.approved_by.as_deref(), Some("ann"));
    assert_eq!(h.counts().await, before, "a rerun writes nothing");

    // The reviewer claims the Retro batch: a Retro claim of 4.00 to ACME.
    let record = h
        .store
        .reader()
        .await
        .unwrap()
        .find_batch(&made.number)
        .await
        .unwrap()
        .unwrap();
    let paid = apply_batch_action(
        &*h.store,
        &partners,
        record.id,
        record.version,
        BatchAction::PayAndClose,
        &ctx("2026-12-06", "ann"),
    )
    .await
    .expect("pay and close");
    assert_eq!(paid.status, "closed");
    assert_eq!(paid.outbound.len(), 1);
    assert_eq!(paid.outbound[0].routing_key, "outbound.claim.acmepharma");
    let number = paid
        .refs
        .iter()
        .find(|(k, _)| k == "claim")
        .map(|(_, v)| v.clone())
        .expect("claim ref");
    let claim = h
        .store
        .reader()
        .await
        .unwrap()
        .find_claim("acmepharma", &number)
        .await
        .unwrap()
        .expect("retro claim");
    assert_eq!(claim.amount, dec("4.00"));
    assert_eq!(claim.payload["source"], "retro");
    h.finish().await;
}

/// Earlier contract start: line 6, rejected by ACME's 849 with 19 (before the contract
/// start), is resubmitted for 6.25, linked to the rejected original; nothing else changes.
async fn resubmission_case(kind: Kind) {
    let h = Harness::new(kind).await;
    let (partners, real, sales_batch) = story(&h).await;
    let contract = apply_change(&h, &partners, &earlier_start(&real)).await;
    let out = apply_retro_approval(&*h.store, &partners, contract, 3, &ctx("2026-12-05", "ann"))
        .await
        .expect("approve");
    assert_eq!(out.retroactive_from, "2026-10-01");
    assert_eq!(out.result.batches.len(), 1, "{out:?}");
    let (_, lines) = retro_lines(&h, &out.result.batches[0].number).await;
    let got: Vec<(String, Option<Decimal>)> = lines
        .iter()
        .map(|l| {
            let o = l.sale.corrects.clone().expect("original");
            assert_eq!(o.batch, sales_batch.to_string());
            (o.line, l.accepted_amount)
        })
        .collect();
    assert_eq!(got, [("6".to_owned(), Some(dec("6.25")))]);
    assert!(
        lines[0]
            .comment
            .as_deref()
            .is_some_and(|c| c.starts_with("retro resubmission")),
        "{:?}",
        lines[0].comment
    );
    h.finish().await;
}

/// `claim_window_days`: a sale older than the window is counted as retro-eligible but
/// expired; no batch is made; the run is done all the same. An unknown version is refused.
async fn expired_case(kind: Kind) {
    let h = Harness::new(kind).await;
    let (mut partners, real, sales_batch) = story(&h).await;
    let contract = apply_change(&h, &partners, &price_change(&real, "2026-11-01")).await;
    partners
        .get_mut("gooddrug")
        .expect("gooddrug")
        .settings
        .claim_window_days = Some(30);
    let batches_before = h.counts().await;
    let out = apply_retro_approval(&*h.store, &partners, contract, 3, &ctx("2026-12-20", "ann"))
        .await
        .expect("approve");
    assert!(out.result.batches.is_empty(), "{out:?}");
    assert_eq!(out.result.expired.len(), 1);
    assert_eq!(out.result.expired[0].batch, sales_batch.to_string());
    assert_eq!(out.result.expired[0].line, "2");
    let after = h.counts().await;
    let count = |c: &[(&str, i64)], t: &str| c.iter().find(|(n, _)| *n == t).map(|(_, v)| *v);
    assert_eq!(count(&after, "batches"), count(&batches_before, "batches"));
    let run = h
        .store
        .reader()
        .await
        .unwrap()
        .retro_run(contract, 3)
        .await
        .unwrap()
        .expect("run");
    assert_eq!(run.status, "done");
    assert_eq!(run.payload["expired"][0]["line"], "2");

    let unknown =
        apply_retro_approval(&*h.store, &partners, contract, 9, &ctx("2026-12-20", "ann")).await;
    assert!(
        matches!(unknown, Err(ApplyError::UnknownRetroRun { version: 9, .. })),
        "{unknown:?}"
    );
    h.finish().await;
}

both_backends!(retro_delta, delta_case);
both_backends!(retro_resubmission, resubmission_case);
both_backends!(retro_expired, expired_case);
