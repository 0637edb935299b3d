//! `claim_response` (849 from a supplier, §7): matched to the claim we sent by debit memo,
//! reconciled line by line (partial payments, automatic split of the unpaid part, routing of
//! rejects); an 849 whose claim is not found is kept in the Unmatched Responses queue (§7.6).

use engine::claims::LineOutcome;
use engine::reconcile::{ReconcileContext, reconcile};
use schemas::ClaimResponse;
use store::{Direction, MatchStatus, NewResponse, StoreTx};
use uuid::Uuid;

use crate::audit::append_all;
use crate::book::BookCache;
use crate::error::ApplyError;
use crate::partners::Partner;
use crate::state::{ClaimLineChanges, insert_child_claim, load_claim_numbered, save_claim};
use crate::{Context, Outcome};

fn opt(s: &str) -> Option<String> {
    Some(s.to_owned()).filter(|s| !s.is_empty())
}

pub(crate) async fn apply(
    tx: &mut dyn StoreTx,
    cache: &BookCache,
    partner: &Partner,
    response: &ClaimResponse,
    message_id: &str,
    ctx: &Context,
) -> Result<Outcome, ApplyError> {
    let mut refs = vec![("debit_memo".to_owned(), response.debit_memo.clone())];
    if let Some(memo) = &response.credit_memo {
        refs.push(("credit_memo".to_owned(), memo.clone()));
    }
    let known = tx.find_claim(&partner.id, &response.debit_memo).await?;
    let response_id = Uuid::now_v7();
    let new = NewResponse {
        id: response_id,
        partner: partner.id.clone(),
        direction: Direction::Inbound,
        isa13: opt(&response.source.interchange),
        gs06: opt(&response.source.group),
        st02: opt(&response.source.set),
        debit_memo: Some(response.debit_memo.clone()),
        claim_id: None,
        match_status: MatchStatus::Unmatched,
        total_claimed: Some(response.total_claimed),
        total_approved: Some(response.total_approved),
        document_id: None,
        payload: serde_json::to_value(response)?,
        at: ctx.now,
    };
    let event = crate::audit::event(ctx, "response", response_id.to_string(), "849 received")
        .transition(None, "unmatched")
        .correlation(message_id.to_owned());
    if !tx.insert_response(&new, &event).await? {
        // §7.1: responses are idempotent on sender and control numbers.
        return Ok(Outcome {
            summary: format!("849 for {} already received", response.debit_memo),
            refs,
            outbound: vec![],
        });
    }
    let Some(record) = known else {
        return Ok(Outcome {
            summary: format!(
                "849 for {}: no such claim, kept as unmatched (7.6)",
                response.debit_memo
            ),
            refs,
            outbound: vec![],
        });
    };
    reconcile_with(
        tx,
        cache,
        partner,
        (response, response_id),
        &record,
        message_id,
        ctx,
        refs,
    )
    .await
}

/// Reconciles `response` (stored unmatched as `response_id`) against its claim row `record`
/// and links it (7.1–7.4): line outcomes, caps given back by rejected lines (5.1), the
/// claim's status and its automatic split child.
#[allow(clippy::too_many_arguments)]
async fn reconcile_with(
    tx: &mut dyn StoreTx,
    cache: &BookCache,
    partner: &Partner,
    (response, response_id): (&ClaimResponse, Uuid),
    record: &store::ClaimRecord,
    message_id: &str,
    ctx: &Context,
    mut refs: Vec<(String, String)>,
) -> Result<Outcome, ApplyError> {
    refs.push(("claim".to_owned(), record.claim_number.clone()));
    let (mut claim, line_nos) = load_claim_numbered(tx, record).await?;
    let before = claim.clone();
    let books = cache.snapshot(tx).await?;
    let rctx = ReconcileContext {
        book: &books.book,
        settings: &partner.settings,
        today: ctx.today,
        sender: &partner.id,
        interchange: &response.source.interchange,
    };
    let split_number = claim.next_split_number();
    let result = reconcile(&mut claim, response, &rctx, split_number)?;
    let status = if result.unmatched.is_some() {
        MatchStatus::Partial
    } else {
        MatchStatus::Matched
    };
    let event = crate::audit::event(ctx, "response", response_id.to_string(), "linked")
        .transition(Some("unmatched"), status.as_str())
        .correlation(message_id.to_owned());
    tx.link_response(response_id, Some(record.id), status, ctx.now, &event)
        .await?;
    // §5.1 as claimant: the ledger mirrors the supplier's, so what a line the 849 rejects
    // consumed is given back (its original batch line is the ledger's key).
    let rejected: Vec<&engine::sale::LineRef> = before
        .lines
        .iter()
        .zip(&claim.lines)
        .filter(|(old, new)| {
            new.outcome == Some(LineOutcome::Rejected) && old.outcome != new.outcome
        })
        .filter_map(|(_, new)| new.origin.as_ref())
        .collect();
    if !rejected.is_empty() {
        let stored_caps = crate::caps::load(tx, &books.book).await?;
        let mut caps = stored_caps.ledger.clone();
        for origin in rejected {
            caps.release(origin, ctx.today);
        }
        stored_caps.save(tx, &caps, None, ctx).await?;
    }
    let mut changes = ClaimLineChanges::default();
    for (stored, (old, new)) in line_nos.iter().zip(before.lines.iter().zip(&claim.lines)) {
        if old == new {
            continue;
        }
        changes
            .add(
                tx,
                (record.id, stored),
                (old, new),
                ("849 outcome", None),
                message_id,
                ctx,
            )
            .await?;
    }
    changes.write(tx).await?;
    save_claim(
        tx,
        ctx,
        (record.id, record.version, &record.status),
        &claim,
        "849 reconciled",
        Some(message_id),
    )
    .await?;
    append_all(tx, &result.events, ctx, message_id).await?;
    let mut summary = format!(
        "849 for {}: approved {} of {}{}",
        response.debit_memo,
        response.total_approved,
        response.total_claimed,
        if result.consistent {
            ""
        } else {
            " (RESPONSE_INCONSISTENT)"
        }
    );
    if let Some(split) = &result.split {
        insert_child_claim(tx, record, split, "automatic split", message_id, ctx).await?;
        summary.push_str(&format!("; split {} of {}", split.number, split.amount));
        refs.push(("claim".to_owned(), split.number.clone()));
    }
    Ok(Outcome {
        summary,
        refs,
        outbound: vec![],
    })
}

/// 7.6: ops link an unmatched 849 (stored as `response_id`) to claim `claim_id` of the partner
/// that sent it, and it is reconciled as if it had matched, in one transaction, audited with
/// the acting user. An 849 already linked, or a claim of another partner, is refused with
/// nothing written.
pub(crate) async fn link(
    tx: &mut dyn StoreTx,
    partners: &crate::Partners,
    response_id: Uuid,
    claim_id: Uuid,
    ctx: &Context,
) -> Result<Outcome, ApplyError> {
    let stored = tx
        .get_response(response_id)
        .await?
        .ok_or(ApplyError::UnknownResponse(response_id))?;
    if stored.response.match_status != MatchStatus::Unmatched {
        return Err(ApplyError::InvalidLink(format!(
            "849 {response_id} is {}, not unmatched",
            stored.response.match_status.as_str()
        )));
    }
    let record = tx
        .get_claim(claim_id)
        .await?
        .ok_or(ApplyError::UnknownClaim(claim_id))?;
    if record.partner != stored.response.partner {
        return Err(ApplyError::InvalidLink(format!(
            "849 {response_id} is from {}; claim {} is {}'s",
            stored.response.partner, record.claim_number, record.partner
        )));
    }
    let partner = partners.get(&record.partner)?;
    let response: ClaimResponse = serde_json::from_value(stored.response.payload.clone())
        .map_err(crate::state::corrupt(format!("849 {response_id}")))?;
    let event = crate::audit::event(ctx, "response", response_id.to_string(), "linked by hand")
        .reason(format!(
            "debit memo {} linked to claim {} by {}",
            response.debit_memo, record.claim_number, ctx.actor
        ));
    tx.append_audit(&event).await?;
    let refs = vec![("debit_memo".to_owned(), response.debit_memo.clone())];
    let correlation = format!("link:{response_id}");
    reconcile_with(
        tx,
        &partners.cache,
        partner,
        (&response, response_id),
        &record,
        &correlation,
        ctx,
        refs,
    )
    .await
}
