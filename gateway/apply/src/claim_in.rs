//! `claim` (844 received from a distributor; we are the supplier side, §1.2 adjudicator):
//! adjudicated against our contracts and the distributor's earlier lines; the lines are kept
//! as a Closed adjudication batch, the claim as a record, and the 849 goes to the outbox.

use engine::adjudicate::{
    AdjudicatedStatus, ResponseHeader, adjudicate_with, duplicate_claim_response,
};
use engine::audit::status_name;
use engine::batch::{Batch, BatchHeader, BatchKind, BatchLine, BatchStatus, LineStatus};
use engine::sale::SaleLine;
use engine::settings::Role;
use schemas::{Claim, Document, Source};
use sha2::{Digest, Sha256};
use store::{NewBatch, NewClaim, StoreTx};
use uuid::Uuid;

use crate::book::BookCache;
use crate::error::ApplyError;
use crate::partners::Partner;
use crate::state::{CHUNK_LINES, batch_payload, history_for, invoices_of, line_row};
use crate::{Context, Outcome};

fn content_hash(claim: &Claim) -> Result<String, ApplyError> {
    // The header key plus lines: the same claim sent again under another message id.
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(&claim.lines)?);
    hasher.update(claim.debit_memo.as_bytes());
    hasher.update(claim.total_claimed.to_string().as_bytes());
    Ok(format!("{:x}", hasher.finalize()))
}

fn response_header(partner: &str, ctx: &Context) -> ResponseHeader {
    ResponseHeader {
        source: Source {
            file: String::new(),
            interchange: String::new(),
            group: String::new(),
            set: String::new(),
            partner: Some(partner.to_owned()),
        },
        date: ctx.today,
        credit_memo: None,
    }
}

pub(crate) async fn apply(
    tx: &mut dyn StoreTx,
    cache: &BookCache,
    partner: &Partner,
    claim: &Claim,
    message_id: &str,
    ctx: &Context,
) -> Result<Outcome, ApplyError> {
    let mut refs = vec![
        ("debit_memo".to_owned(), claim.debit_memo.clone()),
        ("claim".to_owned(), claim.debit_memo.clone()),
    ];
    let invoices: std::collections::BTreeSet<&str> =
        claim.lines.iter().map(|l| l.invoice.as_str()).collect();
    refs.extend(
        invoices
            .into_iter()
            .map(|i| ("invoice".to_owned(), i.to_owned())),
    );
    let hash = content_hash(claim)?;
    let header = response_header(&partner.id, ctx);
    if let Some(known) = tx.find_claim(&partner.id, &claim.debit_memo).await? {
        let same =
            known.payload.get("content_hash").and_then(|h| h.as_str()) == Some(hash.as_str());
        if same {
            return Ok(Outcome {
                summary: format!("claim {} already adjudicated", claim.debit_memo),
                refs,
                outbound: vec![],
            });
        }
        // §5.2: a known header key is refused whole with a header-level 849 (AAA03 11).
        let response = duplicate_claim_response(claim, header, &partner.settings);
        let doc = Document::ClaimResponse(response);
        let out = crate::outbox::write_outbound(tx, &doc, &partner.id, ctx.now).await?;
        let event = crate::audit::event(
            ctx,
            "claim",
            known.id.to_string(),
            "duplicate debit memo refused",
        )
        .reason("DUPLICATE_DEBIT_MEMO")
        .correlation(message_id.to_owned());
        tx.append_audit(&event).await?;
        return Ok(Outcome {
            summary: format!("claim {} refused: duplicate debit memo", claim.debit_memo),
            refs,
            outbound: vec![out],
        });
    }
    let books = cache.snapshot(tx).await?;
    let sales: Vec<SaleLine> = claim.lines.iter().map(SaleLine::from).collect();
    let history = history_for(tx, &partner.id, "adjudicator", invoices_of(sales.iter())).await?;
    // §5.1: the caps in force with what earlier claims took; the approved lines consume.
    let stored_caps = crate::caps::load(tx, &books.book).await?;
    let mut caps = stored_caps.ledger.clone();
    let run = adjudicate_with(
        claim,
        &books.book,
        &partner.settings,
        ctx.today,
        &history,
        Some(&mut caps),
        None,
    );
    drop(history);
    for (line, adjudicated) in claim.lines.iter().zip(&run.report.lines) {
        if adjudicated.status == AdjudicatedStatus::Accepted {
            let line_ref = engine::sale::LineRef {
                batch: claim.debit_memo.clone(),
                line: line.line.clone(),
            };
            caps.consume(&line_ref, ctx.today);
        }
    }
    // Keep the lines as an adjudication batch: later claims find them as duplicates (§5.2).
    let batch_id = Uuid::now_v7();
    stored_caps.save(tx, &caps, Some(batch_id), ctx).await?;
    let number = format!("{}/{}", partner.id, claim.debit_memo);
    let lines: Vec<BatchLine> = sales
        .into_iter()
        .zip(run.validations.iter().cloned())
        .zip(&run.report.lines)
        .map(|((sale, v), adjudicated)| {
            let accepted = adjudicated.status == AdjudicatedStatus::Accepted;
            BatchLine {
                status: if accepted {
                    LineStatus::Claimed
                } else {
                    LineStatus::Rejected
                },
                accepted_quantity: accepted.then_some(sale.quantity),
                accepted_amount: Some(adjudicated.approved_amount),
                reject_reason: (!accepted).then(|| {
                    v.primary
                        .map(|r| r.category())
                        .unwrap_or(engine::RejectReason::EligibilityDisputed)
                }),
                validation: Some(v),
                comment: None,
                claim: Some(1),
                corrected_by: None,
                sale,
            }
        })
        .collect();
    let batch = Batch {
        header: BatchHeader {
            id: batch_id.to_string(),
            number: number.clone(),
            name: claim.debit_memo.clone(),
            kind: BatchKind::Claim844,
            role: Role::Adjudicator,
            distributor: claim.distributor.clone(),
            supplier: claim.supplier.clone(),
            currency: "USD".to_owned(),
            file_name: None,
            debit_memo: Some(claim.debit_memo.clone()),
            received_at: ctx.today,
            claim_date: claim.date,
            corrects_batch_id: None,
        },
        settings: partner.settings.clone(),
        mode: partner.settings.batch_mode,
        status: if run.held {
            BatchStatus::AwaitingReview
        } else {
            BatchStatus::Closed
        },
        lines,
        claims: vec![],
    };
    let event = crate::audit::event(ctx, "batch", batch_id.to_string(), "adjudicated")
        .transition(None, &status_name(&batch.status))
        .correlation(message_id.to_owned());
    tx.insert_batch(
        &NewBatch {
            id: batch_id,
            number: number.clone(),
            partner: partner.id.clone(),
            role: "adjudicator".to_owned(),
            status: status_name(&batch.status),
            debit_memo: Some(claim.debit_memo.clone()),
            source_document_id: None,
            payload: batch_payload(&batch)?,
            at: ctx.now,
        },
        &event,
    )
    .await?;
    for (chunk_no, chunk) in batch.lines.chunks(CHUNK_LINES).enumerate() {
        let rows = chunk
            .iter()
            .enumerate()
            .map(|(i, l)| line_row((chunk_no * CHUNK_LINES + i) as i64 + 1, l))
            .collect::<Result<Vec<_>, _>>()?;
        let event = crate::audit::event(ctx, "batch", batch_id.to_string(), "adjudicated lines")
            .correlation(message_id.to_owned());
        tx.insert_batch_lines(batch_id, &rows, ctx.now, &event)
            .await?;
    }
    let claim_id = Uuid::now_v7();
    let event = crate::audit::event(ctx, "claim", claim_id.to_string(), "C1 claim received")
        .transition(None, "open")
        .correlation(message_id.to_owned());
    tx.insert_claim(
        &NewClaim {
            id: claim_id,
            partner: partner.id.clone(),
            claim_number: claim.debit_memo.clone(),
            status: "open".to_owned(),
            amount: run.report.total_approved,
            batch_id: Some(batch_id),
            parent_id: None,
            payload: serde_json::json!({
                "role": "adjudicator",
                "content_hash": hash,
                "adjudication": run.report,
            }),
            at: ctx.now,
        },
        &event,
    )
    .await?;
    let mut outbound = Vec::new();
    let mut summary = format!(
        "claim {} adjudicated: approved {} of {}",
        claim.debit_memo, run.report.total_approved, run.report.total_claimed
    );
    match run.response(claim, header, &partner.settings) {
        Some(response) => {
            let doc = Document::ClaimResponse(response);
            outbound.push(crate::outbox::write_outbound(tx, &doc, &partner.id, ctx.now).await?);
        }
        None => summary.push_str("; held for review, no 849 (unattended_amount_disputes = hold)"),
    }
    refs.push(("batch".to_owned(), number));
    Ok(Outcome {
        summary,
        refs,
        outbound,
    })
}
