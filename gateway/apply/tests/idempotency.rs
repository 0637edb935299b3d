//! Applying a document twice changes nothing: the same message id again is
//! `AlreadyApplied` and writes nothing at all; the same content under a new message id (a
//! replay, or the partner sending it again) writes nothing but the new processed-message mark.
//! A property: any interleaving of the sample documents and analyst actions, each applied
//! twice, ends in the same state as applied once. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use apply::{Applied, ApplyError, BatchAction, Partners, apply_batch_action, apply_document};
use common::{Harness, Kind, ctx, partners, translate};
use proptest::prelude::*;
use schemas::Document;

fn without_marks(counts: &[(&'static str, i64)]) -> Vec<(&'static str, i64)> {
    counts
        .iter()
        .filter(|(t, _)| *t != "processed_messages")
        .copied()
        .collect()
}

fn marks(counts: &[(&'static str, i64)]) -> i64 {
    counts
        .iter()
        .find(|(t, _)| *t == "processed_messages")
        .map_or(0, |(_, n)| *n)
}

fn story_docs() -> Vec<(&'static str, Document)> {
    vec![
        (
            "engine.contracts",
            translate("845_4010_contract.x12").remove(0),
        ),
        ("engine.claims", translate("844_4010_claim.x12").remove(0)),
        ("engine.sales", translate("867_4010_sales.x12").remove(0)),
        (
            "engine.responses",
            translate("849_4010_response.x12").remove(0),
        ),
        (
            "engine.contracts",
            translate("845_5010_contract_change.x12").remove(0),
        ),
    ]
}

async fn twice_changes_nothing(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = partners();
    let day = ctx("2026-12-01", "system");
    for (n, (consumer, doc)) in story_docs().iter().enumerate() {
        let id = format!("m-{n}");
        let first = apply_document(&*h.store, &partners, consumer, &id, doc, &day).await;
        assert!(
            matches!(first, Ok(Applied::Applied(_))),
            "{} {first:?}",
            doc.doc_type()
        );
        let once = h.counts().await;
        let again = apply_document(&*h.store, &partners, consumer, &id, doc, &day).await;
        assert!(matches!(again, Ok(Applied::AlreadyApplied)), "{again:?}");
        assert_eq!(
            h.counts().await,
            once,
            "{}: same message id wrote something",
            doc.doc_type()
        );
        let replay = apply_document(
            &*h.store,
            &partners,
            consumer,
            &format!("{id}-replay"),
            doc,
            &day,
        )
        .await;
        let summary = match replay {
            Ok(Applied::Applied(o)) => o.summary,
            other => panic!("{other:?}"),
        };
        let after = h.counts().await;
        assert_eq!(
            without_marks(&after),
            without_marks(&once),
            "{}: replay wrote: {summary}",
            doc.doc_type()
        );
        assert_eq!(marks(&after), marks(&once) + 1);
    }
    h.finish().await;
}

both_backends!(twice, twice_changes_nothing);

/// One step of an interleaving.
#[derive(Debug, Clone, Copy)]
enum Op {
    Doc(usize),
    /// Reject the 867's disputed line 4 (if its batch awaits review).
    RejectLine4,
    /// Pay and Close the 867's batch (if it awaits review).
    PayAndClose,
    /// Cut the claim periods ended by the story's day (8.1; the 867's Daily batch).
    Cut,
}

async fn run_op(
    h: &Harness,
    partners: &Partners,
    docs: &[(&'static str, Document)],
    op: Op,
    n: usize,
    times: usize,
) {
    let day = ctx("2026-12-01", "analyst1");
    match op {
        Op::Doc(i) => {
            let (consumer, doc) = &docs[i];
            for t in 0..times {
                // Second time: the same message id; third: the same content, new id.
                let id = if t == 2 {
                    format!("d{i}-{n}-new")
                } else {
                    format!("d{i}-{n}")
                };
                let r = apply_document(&*h.store, partners, consumer, &id, doc, &day).await;
                // A document that cannot be applied in this order fails whole and is retried
                // by the bus; here it is simply skipped.
                if let Err(e) = r {
                    assert!(!matches!(e, ApplyError::Store(_)), "{e}");
                }
            }
        }
        Op::Cut => {
            for _ in 0..times {
                apply::cut_due(&*h.store, partners, day.today, None, &day)
                    .await
                    .expect("cut");
            }
        }
        Op::RejectLine4 | Op::PayAndClose => {
            let batch = {
                let mut read = h.store.reader().await.unwrap();
                apply::find_report_batch(&mut *read, "gooddrug", "GDD-867-202611")
                    .await
                    .unwrap()
            };
            let Some(batch) = batch else { return };
            let action = match op {
                Op::RejectLine4 => BatchAction::Reject {
                    line: "4".into(),
                    reason: engine::RejectReason::EligibilityDisputed,
                },
                _ => BatchAction::PayAndClose,
            };
            for _ in 0..times {
                // The analyst's screen still shows the version read before the first click.
                let r = apply_batch_action(
                    &*h.store,
                    partners,
                    batch.id,
                    batch.version,
                    action.clone(),
                    &day,
                )
                .await;
                if let Err(e) = r {
                    assert!(
                        matches!(e, ApplyError::Conflict { .. } | ApplyError::Batch(_)),
                        "{e}"
                    );
                }
            }
        }
    }
}

async fn run(kind: Kind, ops: &[Op], times: usize) -> Vec<String> {
    let h = Harness::new(kind).await;
    let partners = partners();
    let docs = story_docs();
    for (n, op) in ops.iter().enumerate() {
        run_op(&h, &partners, &docs, *op, n, times).await;
    }
    let digest = h.digest().await;
    h.finish().await;
    digest
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        (0usize..5).prop_map(Op::Doc),
        Just(Op::RejectLine4),
        Just(Op::PayAndClose),
        Just(Op::Cut),
    ];
    proptest::collection::vec(op, 1..9)
}

fn property(kind: Kind) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = ProptestConfig {
        cases: 12,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in ops())| {
        let (once, thrice) = rt.block_on(async {
            (run(kind, &ops, 1).await, run(kind, &ops, 3).await)
        });
        prop_assert_eq!(once, thrice);
    });
}

#[test]
fn interleavings_applied_twice_equal_once_sqlite() {
    property(Kind::Sqlite);
}

#[test]
fn interleavings_applied_twice_equal_once_postgres() {
    property(Kind::Postgres);
}
