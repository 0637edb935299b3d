//! Resubmitting an unpaid part (chargeback-rules 7.4 Resubmit, 7.5), claimant side: the split
//! child that holds what an 849 left unpaid hands it over to a resubmission claim. The lines
//! are those of the nearest claim above the child that has lines (the 849's claim), at most
//! `resubmission_limit` times each; the user's corrections are applied; the resubmission gets
//! a new debit memo (`<original><suffix><n>`, e.g. `-R1`), BAA01 15, each line linked to its
//! original, and is approved by the acting user and sent at once (C3, C11: the 844 in the
//! outbox). The child ends (Cancelled, `resubmitted_as`), and the original lines count the
//! resubmission. The lines' unpaid amount must be the child's remaining amount: a child
//! holding several lines' money is split first, one part per path (7.4).

use engine::audit::{Actor, status_name};
use engine::claims::{Approval, ClaimRecord, ClaimSource, LineCorrection, resubmission_number};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use store::{Store, StoreTx};
use uuid::Uuid;

use crate::audit::append_all;
use crate::claim_out::queue_first_send;
use crate::error::ApplyError;
use crate::state::{
    ClaimLineChanges, claim_at_version, insert_child_claim, load_claim, load_claim_numbered,
    save_claim,
};
use crate::{Context, OutboundDoc, Partners, finish};

/// A user's resubmission of a split child's unpaid part.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resubmission {
    /// The lines (PAD01 of the 849's claim) to resubmit; every line left unpaid when empty.
    #[serde(default)]
    pub lines: Vec<String>,
    /// Corrections of those lines (§7.4 rule 3: "resubmit once corrected").
    #[serde(default)]
    pub corrections: Vec<LineCorrection>,
}

/// What a resubmission did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResubmissionOutcome {
    /// The child's version after it ended.
    pub version: i64,
    /// The child's status (`cancelled`).
    pub status: String,
    /// The resubmission claim: (row id, claim number).
    pub claim: (Uuid, String),
    /// Its amount.
    pub amount: Decimal,
    /// Its 844, queued in the outbox.
    pub outbound: OutboundDoc,
    /// Parents closed (C16) because the child ended.
    pub closed_parents: Vec<String>,
    /// One line for logs.
    pub summary: String,
}

/// Resubmits the unpaid part held by split child `child` (read at `expected_version`) in one
/// transaction; a stale version is [`ApplyError::Conflict`], a claim that is not an Open split
/// child is [`ApplyError::Claim`], lines that do not hold the child's money or a line beyond
/// `resubmission_limit` are refused; nothing is written then.
pub async fn resubmit_claim(
    store: &dyn Store,
    partners: &Partners,
    child: Uuid,
    expected_version: i64,
    request: &Resubmission,
    ctx: &Context,
) -> Result<ResubmissionOutcome, ApplyError> {
    let mut tx = store.begin().await?;
    let result = resubmit(&mut *tx, partners, child, expected_version, request, ctx).await;
    let outcome = finish(tx, result).await?;
    tracing::info!(%child, resubmission = %outcome.claim.1, summary = %outcome.summary, "unpaid part resubmitted");
    Ok(outcome)
}

fn invalid(message: String) -> ApplyError {
    ApplyError::InvalidResubmission(message)
}

async fn resubmit(
    tx: &mut dyn StoreTx,
    partners: &Partners,
    child_id: Uuid,
    expected_version: i64,
    request: &Resubmission,
    ctx: &Context,
) -> Result<ResubmissionOutcome, ApplyError> {
    let child_row = claim_at_version(tx, child_id, expected_version).await?;
    let mut child = load_claim(tx, &child_row).await?;
    if child.source != ClaimSource::Split {
        return Err(engine::claims::ClaimError::SplitOnly("resubmit").into());
    }
    // The claim whose lines the child's money came from: the nearest one above with lines.
    let mut above = child_row.parent_id;
    let (holder_row, mut holder, line_nos) = loop {
        let id =
            above.ok_or_else(|| invalid(format!("no claim above {} has lines", child.number)))?;
        let row = tx
            .get_claim(id)
            .await?
            .ok_or(ApplyError::UnknownClaim(id))?;
        let (claim, line_nos) = load_claim_numbered(tx, &row).await?;
        if !claim.lines.is_empty() {
            break (row, claim, line_nos);
        }
        above = row.parent_id;
    };
    let lines: Vec<String> = if request.lines.is_empty() {
        holder
            .lines
            .iter()
            .filter(|l| l.unpaid() > Decimal::ZERO)
            .map(|l| l.line.clone())
            .collect()
    } else {
        request.lines.clone()
    };
    // The holder's lines by number (the first of a number, as a search would find), and the
    // chosen numbers: a resubmission may name every unpaid line of a large claim.
    let mut by_number = std::collections::HashMap::with_capacity(holder.lines.len());
    for l in &holder.lines {
        by_number.entry(l.line.as_str()).or_insert(l);
    }
    let chosen: std::collections::HashSet<&str> = lines.iter().map(String::as_str).collect();
    let mut held = Decimal::ZERO;
    for number in &lines {
        let line = by_number
            .get(number.as_str())
            .copied()
            .ok_or_else(|| invalid(format!("claim {} has no line {number}", holder.number)))?;
        if line.unpaid().is_zero() {
            return Err(invalid(format!(
                "line {number} of claim {} has nothing unpaid to resubmit",
                holder.number
            )));
        }
        held += line.unpaid();
    }
    if lines.is_empty() || held != child.remaining() {
        return Err(invalid(format!(
            "lines {} leave {held} unpaid and {} holds {}: split {} so that each part follows one path",
            lines.join(","),
            child.number,
            child.remaining(),
            child.number
        )));
    }
    if let Some(c) = request
        .corrections
        .iter()
        .find(|c| !chosen.contains(c.line.as_str()))
    {
        return Err(invalid(format!(
            "correction of line {} which is not resubmitted",
            c.line
        )));
    }
    let partner = partners.get(&holder_row.partner)?;
    let settings = &partner.settings;
    let mut resubmission = holder.resubmission(
        &lines,
        &settings.resubmission_suffix,
        settings.resubmission_limit,
        ctx.today,
    )?;
    // A number taken by an earlier resubmission of other lines moves on to the next one.
    let base = resubmission
        .number
        .rsplit_once(settings.resubmission_suffix.as_str())
        .map_or_else(|| holder.number.clone(), |(base, _)| base.to_owned());
    let mut n = resubmission
        .lines
        .iter()
        .map(|l| l.resubmissions)
        .max()
        .unwrap_or(1);
    while tx
        .find_claim(&holder_row.partner, &resubmission.number)
        .await?
        .is_some()
    {
        n += 1;
        resubmission.number = resubmission_number(&base, &settings.resubmission_suffix, n)?;
    }
    let rounding = engine::amounts::Rounding::of(settings);
    for line in &mut resubmission.lines {
        if let Some(c) = request.corrections.iter().find(|c| c.line == line.line) {
            line.correct(c, rounding);
        }
    }
    resubmission.amount = resubmission.lines.iter().map(|l| l.claimed_amount).sum();
    let (id, outbound) = send(tx, &holder_row, &mut resubmission, ctx).await?;
    // The original lines count the resubmission (7.5).
    let mut changes = ClaimLineChanges::default();
    for (stored, line) in line_nos.iter().zip(&holder.lines) {
        if !chosen.contains(line.line.as_str()) {
            continue;
        }
        // Only the count changes; the outcome (the row's status) stays.
        changes
            .add(
                tx,
                (holder_row.id, stored),
                (line, line),
                (
                    "resubmitted",
                    Some(format!("resubmitted as {}", resubmission.number)),
                ),
                &resubmission.number,
                ctx,
            )
            .await?;
    }
    changes.write(tx).await?;
    let actor = Actor::User(ctx.actor.clone());
    let ended = child.hand_over_to_resubmission(&resubmission.number, &actor, ctx.today)?;
    let version = save_claim(
        tx,
        ctx,
        (child_id, expected_version, &child_row.status),
        &child,
        "resubmitted",
        Some(&resubmission.number),
    )
    .await?;
    append_all(tx, &[ended], ctx, &child_id.to_string()).await?;
    let closed_parents = crate::settle::close_parents(tx, child_row.parent_id, ctx).await?;
    let summary = format!(
        "{} resubmitted as {} ({} line(s), {}), sent to {}",
        child.number,
        resubmission.number,
        resubmission.lines.len(),
        resubmission.amount,
        holder_row.partner
    );
    Ok(ResubmissionOutcome {
        version,
        status: status_name(&child.status),
        claim: (id, resubmission.number),
        amount: resubmission.amount,
        outbound,
        closed_parents,
        summary,
    })
}

/// Approves the resubmission as the acting user and sends it (C3, C11): its row (a child of
/// the claim it corrects), its lines, the 844 in the outbox and its transmission.
async fn send(
    tx: &mut dyn StoreTx,
    holder: &store::ClaimRecord,
    claim: &mut ClaimRecord,
    ctx: &Context,
) -> Result<(Uuid, OutboundDoc), ApplyError> {
    let actor = Actor::User(ctx.actor.clone());
    let approved = claim.approve(&Approval::Approver(ctx.actor.clone()), &actor, ctx.today)?;
    let sent = claim.mark_sent(ctx.today)?;
    let id = insert_child_claim(tx, holder, claim, "C1 resubmission", &claim.number, ctx).await?;
    append_all(tx, &[approved, sent], ctx, &claim.number).await?;
    let outbound = queue_first_send(tx, id, claim, &holder.partner, ctx).await?;
    Ok((id, outbound))
}
