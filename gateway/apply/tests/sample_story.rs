//! The sample story (chargeback-rules 4.4, `samples/`): ACME's 845, GOOD DRUG's 844 and 867,
//! ACME's 849, translated from the sample files with the checked-in profiles and applied
//! through `apply_document` on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use apply::{BatchAction, apply_batch_action, apply_document};
use common::{
    Harness, Kind, applied, apply_sample_contract, ctx, date, outbox_doc, partners, sales_of_claim,
    stale_copy, translate,
};
use engine::RejectReason;
use rust_decimal::Decimal;
use schemas::{ClaimResponse, Document};

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

/// Supplier side: GOOD DRUG's 844 adjudicated against ACME's 845 gives the sample 849:
/// approved 223.50 of 255.25, line 3 `06` at 100.50, lines 5 and 6 `03` and `19`; the batch
/// claims lines 1-4 (line 3 at 100.50) on claim #1, and the customer claim lists them.
async fn adjudicator_story(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = partners();
    let contract = translate("845_4010_contract.x12");
    let out = applied(
        apply_document(
            &*h.store,
            &partners,
            "engine.contracts",
            "m-845",
            &contract[0],
            &ctx("2026-11-15", "system"),
        )
        .await,
    );
    assert_eq!(out.summary, "contract SPA-2026-0042 version 1");
    let claim = translate("844_4010_claim.x12");
    let out = applied(
        apply_document(
            &*h.store,
            &partners,
            "engine.claims",
            "m-844",
            &claim[0],
            &ctx("2026-11-18", "system"),
        )
        .await,
    );
    assert!(
        out.summary.contains("approved 223.50 of 255.25"),
        "{}",
        out.summary
    );
    assert!(
        out.refs
            .contains(&("debit_memo".into(), "GDD-CB-20261115-0001".into()))
    );
    assert_eq!(out.outbound.len(), 1);
    let sent = &out.outbound[0];
    assert_eq!(sent.routing_key, "outbound.claim_response.gooddrug");
    let Document::ClaimResponse(response) = outbox_doc(&h, &sent.message_id).await else {
        panic!("not an 849");
    };
    assert_eq!(response.total_claimed, dec("255.25"));
    assert_eq!(response.total_approved, dec("223.50"));
    let lines: Vec<String> = response
        .lines
        .iter()
        .map(|l| format!("{} {:?} {}", l.line, l.reason_code, l.approved_amount))
        .collect();
    assert_eq!(
        lines,
        [
            "1 None 62.50",
            "2 None 48.00",
            "3 Some(\"06\") 100.50",
            "4 None 12.50",
            "5 Some(\"03\") 0.00",
            "6 Some(\"19\") 0.00",
        ]
    );
    let record = h
        .store
        .reader()
        .await
        .unwrap()
        .find_claim("gooddrug", "GDD-CB-20261115-0001")
        .await
        .unwrap()
        .expect("adjudicated claim stored");
    assert_eq!(record.amount, dec("223.50"));
    // The batch keeps line 3, paid the calculated 100.50, Claimed on claim #1 with 1, 2 and
    // 4; lines 5 and 6, paid nothing, Rejected on no claim.
    let batch_id = record.batch_id.expect("the claim's batch");
    let mut read = h.store.reader().await.unwrap();
    let batch_lines: Vec<String> = read
        .batch_lines(batch_id)
        .await
        .unwrap()
        .iter()
        .map(|l| {
            let accepted = l.line.accepted_amount.map(|a| a.to_string());
            format!(
                "{} {} {}",
                l.line.line_no,
                l.line.status,
                accepted.as_deref().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        batch_lines,
        [
            "1 claimed 62.50",
            "2 claimed 48.00",
            "3 claimed 100.50",
            "4 claimed 12.50",
            "5 rejected -",
            "6 rejected -",
        ]
    );
    let kept: engine::batch::Batch =
        serde_json::from_value(read.get_batch(batch_id).await.unwrap().unwrap().payload).unwrap();
    assert_eq!(kept.claims.len(), 1);
    assert_eq!(
        (kept.claims[0].seq, kept.claims[0].amount),
        (1, dec("223.50"))
    );
    // The customer claim lists those lines, as the distributor claimed them and as the 849
    // answers them, a page at a time and summed by status in the database.
    let page = |after, limit| store::LinePage {
        after,
        limit,
        statuses: vec![],
    };
    let row = |l: &store::ClaimLineRecord| {
        format!(
            "{} {} {} {} {:?}",
            l.line.line_no,
            l.line.status,
            l.line.claimed_amount,
            l.line
                .approved_amount
                .map_or("-".to_owned(), |a| a.to_string()),
            l.line.batch_line_no
        )
    };
    let first: Vec<String> = read
        .claim_lines_page(record.id, &page(0, 3))
        .await
        .unwrap()
        .iter()
        .map(row)
        .collect();
    assert_eq!(
        first,
        [
            "1 paid 62.50 62.50 Some(1)",
            "2 paid 48.00 48.00 Some(2)",
            "3 adjusted 120.00 100.50 Some(3)",
        ]
    );
    let rest: Vec<String> = read
        .claim_lines_page(record.id, &page(3, 3))
        .await
        .unwrap()
        .iter()
        .map(row)
        .collect();
    assert_eq!(rest, ["4 paid 12.50 12.50 Some(4)"]);
    let adjusted = read
        .claim_lines_page(
            record.id,
            &store::LinePage {
                statuses: vec!["adjusted".into()],
                ..page(0, 10)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        adjusted.iter().map(row).collect::<Vec<_>>(),
        ["3 adjusted 120.00 100.50 Some(3)"]
    );
    let totals: Vec<String> = read
        .claim_line_totals(record.id)
        .await
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{} {} {} {}",
                t.status, t.lines, t.claimed_amount, t.approved_amount
            )
        })
        .collect();
    assert_eq!(totals, ["adjusted 1 120.00 100.50", "paid 3 123.00 123.00"]);
    drop(read);
    h.finish().await;
}

/// Claimant side, "as sent" (4.4): the batch claims 255.25 as GDD-CB-20261115-0001 and the
/// 844 goes to ACME; ACME's 845 then its 849 arrive; the 849 reconciles: 223.50 approved, an
/// automatic split of 31.75, the claim Settlement Pending.
async fn claimant_story(kind: Kind) {
    let h = Harness::new(kind).await;
    let mut partners = partners();
    partners.get_mut("gooddrug").expect("gooddrug").claim_prefix = "GDD-CB".into();
    let real = translate("845_4010_contract.x12").remove(0);
    applied(
        apply_document(
            &*h.store,
            &partners,
            "engine.contracts",
            "m-erp",
            &stale_copy(&real),
            &ctx("2026-11-01", "system"),
        )
        .await,
    );
    let claim = translate("844_4010_claim.x12").remove(0);
    let out = applied(
        apply_document(
            &*h.store,
            &partners,
            "engine.sales",
            "m-sales",
            &sales_of_claim(&claim),
            &ctx("2026-11-15", "system"),
        )
        .await,
    );
    assert!(
        out.summary.contains("open until 2026-11-15"),
        "{}",
        out.summary
    );
    assert!(out.outbound.is_empty(), "nothing is claimed before the cut");
    // GOOD DRUG's Daily period of 2026-11-15 is cut (8.1) that day: every line valid, the
    // batch closes with its claim.
    let mut cut = apply::cut_due(
        &*h.store,
        &partners,
        date("2026-11-15"),
        None,
        &ctx("2026-11-15", "system"),
    )
    .await
    .expect("cut");
    assert_eq!(cut.len(), 1);
    let out = cut.remove(0);
    assert!(out.summary.contains("closed"), "{}", out.summary);
    assert!(
        out.summary.contains("claim GDD-CB-20261115-0001 255.25"),
        "{}",
        out.summary
    );
    assert_eq!(out.outbound.len(), 1);
    assert_eq!(out.outbound[0].routing_key, "outbound.claim.acmepharma");
    let Document::Claim(sent) = outbox_doc(&h, &out.outbound[0].message_id).await else {
        panic!("not an 844");
    };
    assert_eq!(sent.debit_memo, "GDD-CB-20261115-0001");
    assert_eq!(sent.total_claimed, dec("255.25"));
    assert_eq!(sent.lines.len(), 6);

    let out = applied(
        apply_document(
            &*h.store,
            &partners,
            "engine.contracts",
            "m-845",
            &real,
            &ctx("2026-11-16", "system"),
        )
        .await,
    );
    // The real 845 starts a month later than the ERP copy: a change effective before its
    // issue date, which the contract's audit event records as needing the retro run (5.3).
    assert!(
        out.summary
            .starts_with("contract SPA-2026-0042 version 2, retroactive from"),
        "{}",
        out.summary
    );

    let response = translate("849_4010_response.x12").remove(0);
    let Document::ClaimResponse(r) = &response else {
        panic!("not an 849");
    };
    assert_eq!(response_totals(r), (dec("255.25"), dec("223.50")));
    let out = applied(
        apply_document(
            &*h.store,
            &partners,
            "engine.responses",
            "m-849",
            &response,
            &ctx("2026-11-18", "system"),
        )
        .await,
    );
    assert!(
        out.summary.contains("approved 223.50 of 255.25"),
        "{}",
        out.summary
    );
    assert!(
        out.summary
            .contains("split GDD-CB-20261115-0001-S1 of 31.75"),
        "{}",
        out.summary
    );
    let mut read = h.store.reader().await.unwrap();
    let parent = read
        .find_claim("acmepharma", "GDD-CB-20261115-0001")
        .await
        .unwrap()
        .expect("claim");
    assert_eq!(parent.status, "settlement_pending");
    let split = read
        .find_claim("acmepharma", "GDD-CB-20261115-0001-S1")
        .await
        .unwrap()
        .expect("split");
    assert_eq!(split.amount, dec("31.75"));
    assert_eq!(split.parent_id, Some(parent.id));
    let lines = read.claim_lines(parent.id).await.unwrap();
    let outcomes: Vec<(String, Option<Decimal>)> = lines
        .iter()
        .map(|l| (l.line.status.clone(), l.line.approved_amount))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("paid".into(), Some(dec("62.50"))),
            ("paid".into(), Some(dec("48.00"))),
            ("adjusted".into(), Some(dec("100.50"))),
            ("paid".into(), Some(dec("12.50"))),
            ("rejected".into(), Some(dec("0.00"))),
            ("rejected".into(), Some(dec("0.00"))),
        ]
    );
    let responses = read.responses_for_claim(parent.id).await.unwrap();
    assert_eq!(responses.len(), 1);
    assert_eq!(
        responses[0].response.match_status,
        store::MatchStatus::Matched
    );
    drop(read);
    h.finish().await;
}

fn response_totals(r: &ClaimResponse) -> (Decimal, Decimal) {
    (r.total_claimed, r.total_approved)
}

/// GOOD DRUG's 867 (Review and Claim): three lines on SPA-2026-0042 pass, Westside (no
/// contract, not eligible) is disputed; the reviewer rejects it and pays: one claim of
/// 123.00 to ACME; a stale version then conflicts and writes nothing.
async fn sales_review_story(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = partners();
    apply_sample_contract(&h, &partners, "2026-11-01").await;
    let sales = translate("867_4010_sales.x12").remove(0);
    let out = applied(
        apply_document(
            &*h.store,
            &partners,
            "engine.sales",
            "m-867",
            &sales,
            &ctx("2026-12-01", "system"),
        )
        .await,
    );
    assert!(
        out.summary
            .contains("(4 lines from line 1, validated at the cut)"),
        "{}",
        out.summary
    );
    // GOOD DRUG's Daily period is cut (8.1): Review and Claim, a line disputed (B5).
    let cut = common::cut(&h, &partners, "2026-12-01").await;
    assert_eq!(cut.len(), 1, "{cut:?}");
    assert!(
        cut[0].contains("awaiting_review, 4 lines, 3 accepted, 1 disputed"),
        "{cut:?}"
    );
    assert!(
        out.outbound.is_empty() && !cut[0].contains("claim"),
        "Review and Claim sends nothing before Pay"
    );
    let batch = common::report_batch(&h, "gooddrug", "GDD-867-202611").await;
    let mut read = h.store.reader().await.unwrap();
    let lines = read.batch_lines(batch.id).await.unwrap();
    let statuses: Vec<&str> = lines.iter().map(|l| l.line.status.as_str()).collect();
    assert_eq!(
        statuses,
        ["accepted", "accepted", "accepted", "eligibility_disputed"]
    );
    drop(read);
    let who = ctx("2026-12-02", "analyst1");
    let after_reject = apply_batch_action(
        &*h.store,
        &partners,
        batch.id,
        batch.version,
        BatchAction::Reject {
            line: "4".into(),
            reason: RejectReason::EligibilityDisputed,
        },
        &who,
    )
    .await
    .expect("reject line 4");
    assert_eq!(after_reject.version, batch.version + 1);
    let before = h.counts().await;
    let stale = apply_batch_action(
        &*h.store,
        &partners,
        batch.id,
        batch.version,
        BatchAction::PayAndClose,
        &who,
    )
    .await;
    assert!(
        matches!(stale, Err(apply::ApplyError::Conflict { .. })),
        "{stale:?}"
    );
    assert_eq!(h.counts().await, before, "a stale version writes nothing");
    let paid = apply_batch_action(
        &*h.store,
        &partners,
        batch.id,
        after_reject.version,
        BatchAction::PayAndClose,
        &who,
    )
    .await
    .expect("pay and close");
    assert_eq!(paid.status, "closed");
    assert!(paid.summary.contains("123.00"), "{}", paid.summary);
    assert_eq!(paid.outbound.len(), 1);
    let Document::Claim(sent) = outbox_doc(&h, &paid.outbound[0].message_id).await else {
        panic!("not an 844");
    };
    assert_eq!(sent.total_claimed, dec("123.00"));
    assert_eq!(sent.lines.len(), 3);
    let events = h
        .store
        .audit_events("batch", &batch.id.to_string())
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.event.event == "pay_and_close" && e.event.actor == "analyst1")
    );
    h.finish().await;
}

/// The 867's CUR02 is its batch's currency (dollars when none is sent), and the lines
/// accepted at the period's cut keep their accepted amount in its column.
async fn sales_currency_story(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = partners();
    apply_sample_contract(&h, &partners, "2026-11-01").await;
    let Document::SalesReport(mut cad) = translate("867_4010_sales.x12").remove(0) else {
        panic!("not a sales report");
    };
    assert_eq!(cad.currency, None);
    let mut usd = cad.clone();
    usd.report_id.push_str("-USD");
    for line in &mut usd.lines {
        // Other sales, not duplicates of the first report's.
        line.invoice.push_str("-U");
    }
    cad.currency = Some("CAD".into());
    for (message, report) in [("m-867-cad", cad), ("m-867-usd", usd)] {
        applied(
            apply_document(
                &*h.store,
                &partners,
                "engine.sales",
                message,
                &Document::SalesReport(report),
                &ctx("2026-12-01", "system"),
            )
            .await,
        );
    }
    // One Daily batch per currency: a claim is in one currency.
    assert_eq!(common::cut(&h, &partners, "2026-12-01").await.len(), 2);
    for (number, currency) in [("GDD-867-202611", "CAD"), ("GDD-867-202611-USD", "USD")] {
        let batch = common::report_batch(&h, "gooddrug", number).await;
        let mut read = h.store.reader().await.unwrap();
        assert_eq!(batch.payload["header"]["currency"], currency, "{number}");
        let lines = read.batch_lines(batch.id).await.unwrap();
        let accepted: Vec<_> = lines
            .iter()
            .filter(|l| l.line.status == "accepted")
            .map(|l| l.line.accepted_amount)
            .collect();
        assert_eq!(accepted.len(), 3, "{number}");
        assert!(
            accepted.iter().all(Option::is_some),
            "{number}: {accepted:?}"
        );
    }
    h.finish().await;
}

both_backends!(adjudicator, adjudicator_story);
both_backends!(sales_currency, sales_currency_story);
both_backends!(claimant, claimant_story);
both_backends!(sales_review, sales_review_story);
