//! The dispute CSV of chargeback-rules §9 through the store, on SQLite and PostgreSQL:
//! GOOD DRUG's sales (its sample 844's lines) against ACME's 845 rest Awaiting Review; its disputed lines are exported,
//! line 6's mistyped invoice date is corrected in the file, and the file is imported as a new
//! Corrected CSV batch linked to the source: the corrected line passes and is claimed, the
//! source line becomes Rejected `Resubmitted` (L16), the line left out stays disputed. A file
//! that does not fit, or a stale version, writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use apply::{ApplyError, export_disputes, import_dispute_corrections};
use common::{
    Harness, Kind, apply_sample_contract, ctx, line_statuses, outbox_doc, partners, receive,
    sales_of_claim, translate,
};
use rust_decimal::Decimal;
use schemas::Document;

/// GOOD DRUG's sales: the lines of its sample 844 reported as an 867.
const REPORT: &str = "GDD-CB-20261115-0001";

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

/// The file with `edit(row)` applied to every data row, as a user's spreadsheet would save it.
fn edited(csv: &[u8], edit: impl Fn(&mut Vec<String>, &csv::StringRecord)) -> Vec<u8> {
    let mut reader = csv::Reader::from_reader(csv);
    let headers = reader.headers().unwrap().clone();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&headers).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        let mut row: Vec<String> = record.iter().map(str::to_owned).collect();
        edit(&mut row, &headers);
        out.write_record(&row).unwrap();
    }
    out.into_inner().unwrap()
}

fn column(headers: &csv::StringRecord, name: &str) -> usize {
    headers.iter().position(|h| h == name).expect(name)
}

async fn case(kind: Kind) {
    let h = Harness::new(kind).await;
    let partners = partners();
    apply_sample_contract(&h, &partners, "2026-11-01").await;
    receive(
        &h,
        &partners,
        ("engine.sales", "m-867"),
        &sales_of_claim(&translate("844_4010_claim.x12").remove(0)),
        "2026-11-15",
    )
    .await;
    common::cut(&h, &partners, "2026-11-15").await;
    let source = common::report_batch(&h, "gooddrug", REPORT).await;
    assert_eq!(source.status, "awaiting_review");
    let before = line_statuses(&h, source.id).await;
    let disputed: Vec<usize> = before
        .iter()
        .enumerate()
        .filter(|(_, s)| s.ends_with("disputed") || *s == "duplicate")
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(disputed, [5, 6], "{before:?}");

    // Export: one row per disputed line, the §9 file name (the batch number's `/` made `_`,
    // so it names one file).
    let who = ctx("2026-12-02", "analyst1");
    let export = export_disputes(&*h.store, source.id, &who).await.unwrap();
    assert_eq!(
        export.file_name,
        format!("{}-disputes-20261202.csv", source.number.replace('/', "_"))
    );
    assert_eq!(export.rows, disputed.len());
    // Streamed a part at a time (the download), the same bytes: the header, then a page of
    // lines a part; and the bytes the engine writes for the whole batch held in memory (the
    // file as it was made before it streamed).
    for (page_lines, parts) in [(1_000, 2), (1, 1 + disputed.len())] {
        let mut file = apply::DisputeFile::open(&*h.store, source.id, &who)
            .await
            .unwrap()
            .with_page_lines(page_lines);
        let mut streamed = Vec::new();
        while let Some(part) = file.next_part(&*h.store).await.unwrap() {
            streamed.push(part);
        }
        assert_eq!(streamed.len(), parts, "{page_lines} lines a page");
        assert_eq!(streamed.concat(), export.csv, "{page_lines} lines a page");
        assert_eq!(file.rows(), disputed.len());
    }
    let whole = {
        let mut read = h.store.reader().await.unwrap();
        let record = read.get_batch(source.id).await.unwrap().unwrap();
        let mut batch: engine::batch::Batch = serde_json::from_value(record.payload).unwrap();
        batch.lines = read
            .batch_lines(source.id)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.line.payload.parse().unwrap())
            .collect();
        let mut csv = Vec::new();
        engine::disputes::export(&batch, &batch.settings, &mut csv).unwrap();
        csv
    };
    assert_eq!(whole, export.csv);
    let mut reader = csv::Reader::from_reader(export.csv.as_slice());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(headers.len(), 32);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let line = column(&headers, "source_line_id");
    let line6 = rows
        .iter()
        .find(|r| &r[line] == "6")
        .expect("line 6 exported");
    assert_eq!(
        &line6[column(&headers, "reason_code")],
        "CONTRACT_NOT_STARTED"
    );
    assert_eq!(&line6[column(&headers, "x12_reason")], "19");
    assert_eq!(&line6[column(&headers, "invoice_date")], "2026-10-20");

    // The invoice date was mistyped: the user corrects line 6 and keeps only that row.
    let fixed = edited(&export.csv, |row, headers| {
        if row[column(headers, "source_line_id")] == "6" {
            row[column(headers, "invoice_date")] = "2026-11-10".into();
            row[column(headers, "distributor_comment")] = "invoice date mistyped".into();
        }
    });
    let only_6: Vec<u8> = {
        let text = String::from_utf8(fixed).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let row = lines
            .find(|l| l.split(',').nth(1) == Some("6"))
            .expect("row 6");
        format!("{header}\n{row}\n").into_bytes()
    };

    // The user's corrected file, imported against the source at `version`.
    let import = async |version: i64, file: &[u8]| {
        import_dispute_corrections(
            &*h.store,
            &partners,
            source.id,
            version,
            ("fix.csv", file),
            &who,
        )
        .await
    };
    // A file naming a line the source does not have fails whole, located, nothing written.
    let bad = edited(&only_6, |row, headers| {
        row[column(headers, "source_line_id")] = "99".into();
    });
    let counts = h.counts().await;
    let refused = import(source.version, &bad).await;
    let Err(ApplyError::DisputeCsv(e)) = refused else {
        panic!("expected a located error, got {refused:?}");
    };
    assert_eq!(
        e.to_string(),
        "row 2, column source_line_id: unknown line of the source batch"
    );
    // A stale version of the source: refused too.
    let stale = import(source.version - 1, &only_6).await;
    assert!(
        matches!(stale, Err(ApplyError::Conflict { .. })),
        "{stale:?}"
    );
    assert_eq!(h.counts().await, counts, "nothing written");

    let done = import(source.version, &only_6).await.unwrap();
    assert_eq!(done.number, format!("{}/corrected", source.number));
    assert_eq!(done.status, "closed", "{}", done.summary);
    assert_eq!(done.resubmitted, 1);
    assert!(done.source_version > source.version);
    let (claim_number, amount) = done.claim.clone().expect("the corrected line is claimed");
    assert_eq!(amount, dec("6.25"));
    let Document::Claim(sent) = outbox_doc(&h, &done.outbound[0].message_id).await else {
        panic!("not an 844");
    };
    assert_eq!(sent.debit_memo, claim_number);
    assert_eq!(sent.lines.len(), 1);
    assert_eq!(sent.lines[0].contract_price, dec("12.50"));
    assert_eq!(sent.lines[0].invoice_date, Some(common::date("2026-11-10")));

    // The source: line 6 Rejected `Resubmitted`, the other lines as they were.
    let after = line_statuses(&h, source.id).await;
    for (i, status) in after.iter().enumerate() {
        if i + 1 == 6 {
            assert_eq!(status, "rejected");
        } else {
            assert_eq!(status, &before[i], "line {}", i + 1);
        }
    }
    let mut read = h.store.reader().await.unwrap();
    let source_line = read
        .batch_lines(source.id)
        .await
        .unwrap()
        .remove(5)
        .line
        .payload;
    let source_line: engine::batch::BatchLine = source_line.parse().unwrap();
    assert_eq!(
        source_line.reject_reason,
        Some(engine::RejectReason::Resubmitted)
    );
    let new = read
        .get_batch(done.batch)
        .await
        .unwrap()
        .expect("new batch");
    let new_batch: engine::batch::Batch = serde_json::from_value(new.payload).unwrap();
    assert_eq!(
        new_batch.header.corrects_batch_id,
        Some(source.id.to_string())
    );
    assert_eq!(
        new_batch.header.kind,
        engine::batch::BatchKind::CorrectedCsv
    );
    assert_eq!(new_batch.header.file_name.as_deref(), Some("fix.csv"));
    let new_lines = read.batch_lines(done.batch).await.unwrap();
    let new_line: engine::batch::BatchLine = new_lines[0].line.payload.parse().unwrap();
    assert_eq!(new_line.comment.as_deref(), Some("invoice date mistyped"));
    assert_eq!(
        new_line.sale.corrects.as_ref().map(|r| r.line.as_str()),
        Some("6")
    );
    drop(read);

    // The same file again: line 6's original is no longer disputed, and the corrected line
    // is now a duplicate of the claimed one.
    let source_now = common::report_batch(&h, "gooddrug", REPORT).await;
    let again = import(source_now.version, &only_6).await.unwrap();
    assert_eq!(again.resubmitted, 0);
    assert_eq!(again.number, format!("{}/corrected-2", source.number));
    assert_eq!(again.status, "rejected", "{}", again.summary);
    assert!(again.claim.is_none());
    // That import resubmitted nothing, yet it moved the source's version: the same request
    // sent again (a retry at the version it was made at) is refused, no third batch made.
    assert!(again.source_version > source_now.version);
    let counts = h.counts().await;
    let retried = import(source_now.version, &only_6).await;
    assert!(
        matches!(retried, Err(ApplyError::Conflict { .. })),
        "{retried:?}"
    );
    assert_eq!(h.counts().await, counts, "nothing written");
    h.finish().await;
}

both_backends!(dispute_csv, case);
