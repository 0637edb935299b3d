//! The 849 of an adjudicator's batch a reviewer has ended (§7.7, §13.1 `hold`): when Pay and
//! Close (B6, B9, B10) or Reject Batch (B8) ends a held batch, every line is answered from its
//! final status and the customer claim takes the approved total and the lines the batch
//! claimed, as the 849 answers them, in the action's transaction.

use engine::adjudicate::{ResponseHeader, batch_answer};
use engine::batch::{Batch, LineStatus};
use engine::claims::ClaimRecord;
use schemas::{Document, Source};
use store::StoreTx;
use uuid::Uuid;

use crate::error::ApplyError;
use crate::state::{CHUNK_LINES, claim_line_row, claim_payload, load_claim, write_claim};
use crate::{Context, OutboundDoc};

/// Where and when an 849 to `partner` is issued: today, no credit memo yet (settlement
/// creates it).
pub(crate) fn response_header(partner: &str, ctx: &Context) -> ResponseHeader {
    ResponseHeader {
        source: Source {
            file: String::new(),
            interchange: Default::default(),
            group: Default::default(),
            set: Default::default(),
            partner: Some(partner.into()),
        },
        date: ctx.today,
        credit_memo: None,
    }
}

/// Whether claim `claim` is a received claim whose batch still waits for its reviewer (13.1
/// hold): read from the batch, so it holds exactly until the batch is answered.
pub async fn held_for_review(
    read: &mut dyn store::StoreRead,
    claim: &store::ClaimRecord,
) -> Result<bool, store::StoreError> {
    let Some(batch_id) = claim.batch_id else {
        return Ok(false);
    };
    Ok(read.get_batch(batch_id).await?.is_some_and(|b| {
        b.role == "adjudicator"
            && b.status == engine::audit::status_name(&engine::batch::BatchStatus::AwaitingReview)
    }))
}

/// Writes the lines of `claim`, the customer claim (row `claim_id`) of batch `batch_id` as
/// its 849 answered them ([`engine::claims::ClaimRecord::answer_received`]): one row each,
/// numbered in claim order, naming the batch line it claims (the batch's Claimed lines, in
/// order), a chunk of [`CHUNK_LINES`] per statement.
pub(crate) async fn insert_received_lines(
    tx: &mut dyn StoreTx,
    claim_id: Uuid,
    (batch_id, batch): (Uuid, &Batch),
    claim: &ClaimRecord,
    correlation: &str,
    ctx: &Context,
) -> Result<(), ApplyError> {
    let places = batch
        .lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.status == LineStatus::Claimed)
        .map(|(i, _)| i as i64 + 1);
    let rows = claim
        .lines
        .iter()
        .zip(places)
        .enumerate()
        .map(|(n, (line, place))| claim_line_row(n as i64 + 1, line, Some((batch_id, place))))
        .collect::<Result<Vec<_>, _>>()?;
    for chunk in rows.chunks(CHUNK_LINES) {
        let event = crate::audit::event(ctx, "claim", claim_id.to_string(), "claim lines")
            .correlation(correlation.to_owned())
            .reason(format!("{} lines answered by the 849", chunk.len()));
        tx.insert_claim_lines(claim_id, chunk, ctx.now, &event)
            .await?;
    }
    Ok(())
}

/// What answering a batch did.
pub(crate) struct Answered {
    /// The customer claim's number.
    pub claim_number: String,
    /// The approved total it now holds.
    pub approved: rust_decimal::Decimal,
    /// The 849 in the outbox.
    pub outbound: OutboundDoc,
}

/// Answers batch `batch_id` of `partner` once it is Closed or Rejected; `None` while open.
pub(crate) async fn answer_batch(
    tx: &mut dyn StoreTx,
    partner: &str,
    batch_id: Uuid,
    batch: &Batch,
    correlation: &str,
    ctx: &Context,
) -> Result<Option<Answered>, ApplyError> {
    let Some((report, response)) = batch_answer(batch, response_header(partner, ctx)) else {
        return Ok(None);
    };
    let record = tx
        .claims_of_batch(batch_id)
        .await?
        .into_iter()
        .next()
        .ok_or(ApplyError::NoClaimForBatch(batch_id))?;
    let mut claim = load_claim(tx, &record).await?;
    // The claim gets the lines the batch claimed, as the 849 answers them (claims #1 and #2).
    let had_lines = !claim.lines.is_empty();
    claim.answer_received(batch, &response);
    claim
        .extra
        .insert("adjudication".into(), serde_json::to_value(&report)?);
    let event = crate::audit::event(ctx, "claim", record.id.to_string(), "answered by 849")
        .transition(Some(&record.status), &record.status)
        .reason(format!(
            "approved {} of {}",
            response.total_approved, response.total_claimed
        ))
        .correlation(correlation.to_owned());
    write_claim(
        tx,
        (record.id, record.version),
        (
            record.status.clone(),
            Some(response.total_approved),
            claim_payload(&claim)?,
        ),
        &event,
        ctx,
    )
    .await?;
    if !had_lines {
        insert_received_lines(tx, record.id, (batch_id, batch), &claim, correlation, ctx).await?;
    }
    let approved = response.total_approved;
    let doc = Document::ClaimResponse(response);
    let outbound = crate::outbox::write_outbound(tx, &doc, partner, ctx.now).await?;
    Ok(Some(Answered {
        claim_number: record.claim_number,
        approved,
        outbound,
    }))
}
