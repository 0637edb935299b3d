//! Claims we send (claimant side, §8.1): a batch's claim cut becomes a claim record, its rows,
//! and the outbound 844 in the outbox, addressed to the supplier partner owning the contract.

use engine::audit::Actor;
use engine::batch::{Batch, BatchClaim};
use engine::claims::{Approval, ClaimRecord, claim_number};
use schemas::{Document, Source};
use store::{NewClaim, StoreTx};
use uuid::Uuid;

use crate::audit::{append_all, convert};
use crate::book::Books;
use crate::error::ApplyError;
use crate::partners::Partner;
use crate::state::{CHUNK_LINES, claim_line_row, claim_payload};
use crate::{Context, OutboundDoc};

/// What sending a claim produced.
pub(crate) struct SentClaim {
    pub number: String,
    pub amount: rust_decimal::Decimal,
    pub outbound: OutboundDoc,
}

/// Builds, stores, approves and sends (outbox) the claim of `cut`.
pub(crate) async fn send_claim(
    tx: &mut dyn StoreTx,
    books: &Books,
    distributor: &Partner,
    batch_id: Uuid,
    batch: &Batch,
    cut: &BatchClaim,
    ctx: &Context,
) -> Result<SentClaim, ApplyError> {
    let first_contract = cut
        .lines
        .first()
        .and_then(|id| batch.lines.iter().find(|l| &l.sale.line == id))
        .and_then(|l| {
            l.validation
                .as_ref()
                .and_then(|v| v.contract.as_ref().map(|c| c.to_string()))
                .or_else(|| l.sale.contract_id.clone())
        })
        .unwrap_or_default();
    let supplier = books
        .owner(&first_contract)
        .ok_or_else(|| ApplyError::NoSupplierPartner(first_contract.clone()))?
        .to_owned();
    let number = free_claim_number(tx, &supplier, &distributor.claim_prefix, ctx).await?;
    let (mut claim, created) = ClaimRecord::from_batch(batch, cut, number.clone(), ctx.today);
    let actor = Actor::User(ctx.actor.clone());
    // Writing the 844 to the outbox hands it to transport: approved by whoever released it
    // (the reviewer's Pay and Close, or the system for Immediate Claim), then Sent (C3, C11).
    let approved = claim.approve(&Approval::Approver(ctx.actor.clone()), &actor, ctx.today)?;
    let sent = claim.mark_sent(ctx.today)?;
    let claim_id = Uuid::now_v7();
    let audit = convert(&created, ctx.now, &number);
    tx.insert_claim(
        &NewClaim {
            id: claim_id,
            partner: supplier.clone(),
            claim_number: number.clone(),
            status: engine::audit::status_name(&claim.status),
            amount: claim.amount,
            batch_id: Some(batch_id),
            parent_id: None,
            payload: claim_payload(&claim)?,
            at: ctx.now,
        },
        &audit,
    )
    .await?;
    append_all(tx, &[approved, sent], ctx, &number).await?;
    let line_nos: std::collections::HashMap<&str, i64> = batch
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.sale.line.as_str(), i as i64 + 1))
        .collect();
    for (chunk_no, chunk) in claim.lines.chunks(CHUNK_LINES).enumerate() {
        let rows = chunk
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let origin = l
                    .origin
                    .as_ref()
                    .and_then(|o| line_nos.get(o.line.as_str()).copied())
                    .map(|n| (batch_id, n));
                claim_line_row((chunk_no * CHUNK_LINES + i) as i64 + 1, l, origin)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let event = crate::audit::event(ctx, "claim", claim_id.to_string(), "claim lines")
            .correlation(number.clone());
        tx.insert_claim_lines(claim_id, &rows, ctx.now, &event)
            .await?;
    }
    let doc = Document::Claim(claim.to_844(Source {
        file: String::new(),
        interchange: String::new(),
        group: String::new(),
        set: String::new(),
        partner: Some(supplier.clone()),
    }));
    let outbound = crate::outbox::write_outbound(tx, &doc, &supplier, ctx.now).await?;
    crate::transmission::record_sent(tx, claim_id, &supplier, &outbound.message_id, 1, ctx).await?;
    Ok(SentClaim {
        number,
        amount: claim.amount,
        outbound,
    })
}

/// The first `<prefix>-<yyyymmdd>-<seq>` not yet used with this supplier.
async fn free_claim_number(
    tx: &mut dyn StoreTx,
    supplier: &str,
    prefix: &str,
    ctx: &Context,
) -> Result<String, ApplyError> {
    let mut seq = 1;
    loop {
        let candidate = claim_number(prefix, ctx.today, seq)?;
        if tx.find_claim(supplier, &candidate).await?.is_none() {
            return Ok(candidate);
        }
        seq += 1;
    }
}
