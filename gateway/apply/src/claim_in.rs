//! `claim` (844 received from a distributor; we are the supplier side, §1.2 adjudicator):
//! adjudicated against our contracts and the distributor's earlier lines; the lines are kept
//! as a Closed adjudication batch (what the 849 pays anything on Claimed on claim #1, the rest
//! Rejected), the claim as a record with those claimed lines as the 849 answers them, and the
//! 849 goes to the outbox.
//!
//! A known header key (§5.2: distributor, supplier, debit memo) is refused whole with a
//! header-level 849 (AAA03 11), unless BAA01 is 05 (replace: the original's batch, still
//! open, is Rejected with its lines and its claim cancelled; the new claim is adjudicated in
//! its place) or 15 (re-submission of the original's rejected lines: adjudicated as a new
//! batch whose `corrects_batch_id` is the original's; lines already paid are duplicates).
//! Replacements and resubmissions are numbered `<debit memo>-R1`, `-R2`, ...

use engine::adjudicate::{adjudicate_with, duplicate_claim_response};
use engine::audit::status_name;
use engine::batch::{Batch, BatchHeader, BatchKind, BatchStatus, LineStatus};
use engine::claims::ClaimRecord;
use engine::sale::SaleLine;
use engine::settings::BatchMode;
use engine::settings::Role;
use rust_decimal::Decimal;
use schemas::Action;
use schemas::{Claim, Document};
use sha2::{Digest, Sha256};
use store::{BatchLineUpdate, EntityUpdate, NewBatch, NewClaim, StoreTx};
use uuid::Uuid;

use crate::audit::convert;
use crate::book::BookCache;
use crate::claim_answer::{insert_received_lines, response_header};
use crate::error::ApplyError;
use crate::partners::Partner;
use crate::state::{
    batch_payload, claim_payload, history_for, insert_lines, invoices_of, load_batch, write_claim,
};
use crate::{Context, Outcome};

fn content_hash(claim: &Claim) -> Result<String, ApplyError> {
    // The header key plus lines: the same claim sent again under another message id.
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(&claim.lines)?);
    hasher.update(claim.debit_memo.as_bytes());
    hasher.update(claim.total_claimed.to_string().as_bytes());
    Ok(format!("{:x}", hasher.finalize()))
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
    let related = related_claims(tx, &partner.id, &claim.debit_memo).await?;
    let Some(original) = related.first() else {
        return adjudicate_new(
            tx,
            cache,
            partner,
            claim,
            message_id,
            ctx,
            refs,
            New {
                claim_number: claim.debit_memo.clone(),
                link: None,
                hash,
            },
        )
        .await;
    };
    if related
        .iter()
        .any(|k| k.payload.get("content_hash").and_then(|h| h.as_str()) == Some(hash.as_str()))
    {
        return Ok(Outcome {
            summary: format!("claim {} already adjudicated", claim.debit_memo),
            refs,
            outbound: vec![],
        });
    }
    // §5.2: a known header key is refused whole unless it replaces (BAA01 05) an original
    // still open, or resubmits (15) the original's rejected lines.
    let claim_number = format!("{}-R{}", claim.debit_memo, related.len());
    let link = match claim.action {
        Action::Replace => {
            let current = related.last().unwrap_or(original);
            let Some(batch_id) = current.batch_id else {
                return refuse(
                    tx,
                    partner,
                    claim,
                    current.id,
                    "REPLACE_WITHOUT_BATCH",
                    message_id,
                    ctx,
                    refs,
                )
                .await;
            };
            let (record, mut batch) = load_batch(tx, batch_id).await?;
            if matches!(batch.status, BatchStatus::Closed | BatchStatus::Rejected) {
                return refuse(
                    tx,
                    partner,
                    claim,
                    current.id,
                    "REPLACE_OF_CLOSED_BATCH",
                    message_id,
                    ctx,
                    refs,
                )
                .await;
            }
            replace_batch(tx, cache, (&record, &mut batch), message_id, ctx).await?;
            cancel_replaced_claim(tx, current, &claim_number, message_id, ctx).await?;
            Link {
                kind: "replaces",
                claim: current.id,
                claim_number: current.claim_number.clone(),
                batch: batch_id,
            }
        }
        Action::Resubmission => {
            let Some(batch_id) = original.batch_id else {
                return refuse(
                    tx,
                    partner,
                    claim,
                    original.id,
                    "RESUBMISSION_WITHOUT_BATCH",
                    message_id,
                    ctx,
                    refs,
                )
                .await;
            };
            Link {
                kind: "resubmits",
                claim: original.id,
                claim_number: original.claim_number.clone(),
                batch: batch_id,
            }
        }
        _ => {
            return refuse(
                tx,
                partner,
                claim,
                original.id,
                "DUPLICATE_DEBIT_MEMO",
                message_id,
                ctx,
                refs,
            )
            .await;
        }
    };
    adjudicate_new(
        tx,
        cache,
        partner,
        claim,
        message_id,
        ctx,
        refs,
        New {
            claim_number,
            link: Some(link),
            hash,
        },
    )
    .await
}

/// The claims received under a debit memo: the original, then each replacement or
/// resubmission (`<memo>-R1`, `-R2`, ...), oldest first.
async fn related_claims(
    tx: &mut dyn StoreTx,
    partner: &str,
    debit_memo: &str,
) -> Result<Vec<store::ClaimRecord>, ApplyError> {
    let mut out = Vec::new();
    let Some(original) = tx.find_claim(partner, debit_memo).await? else {
        return Ok(out);
    };
    out.push(original);
    while let Some(next) = tx
        .find_claim(partner, &format!("{debit_memo}-R{}", out.len()))
        .await?
    {
        out.push(next);
    }
    Ok(out)
}

/// §5.2: the claim is refused whole with a header-level 849 (AAA03 11); no batch.
#[allow(clippy::too_many_arguments)]
async fn refuse(
    tx: &mut dyn StoreTx,
    partner: &Partner,
    claim: &Claim,
    known: Uuid,
    reason: &str,
    message_id: &str,
    ctx: &Context,
    refs: Vec<(String, String)>,
) -> Result<Outcome, ApplyError> {
    let header = response_header(&partner.id, ctx);
    let response = duplicate_claim_response(claim, header, &partner.settings);
    let doc = Document::ClaimResponse(response);
    let out = crate::outbox::write_outbound(tx, &doc, &partner.id, ctx.now).await?;
    let what = match reason {
        "DUPLICATE_DEBIT_MEMO" => "duplicate debit memo refused",
        _ => "replacement refused",
    };
    let event = crate::audit::event(ctx, "claim", known.to_string(), what)
        .reason(format!("{reason} (BAA01 {})", claim.action.code()))
        .correlation(message_id.to_owned());
    tx.append_audit(&event).await?;
    let why = match reason {
        "DUPLICATE_DEBIT_MEMO" => "duplicate debit memo",
        "REPLACE_OF_CLOSED_BATCH" => "replaces a closed batch",
        _ => "nothing to replace or resubmit",
    };
    Ok(Outcome {
        summary: format!("claim {} refused: {why}", claim.debit_memo),
        refs,
        outbound: vec![out],
    })
}

/// The open batch a replacement takes the place of: its lines and itself Rejected
/// (`Batch::replaced`), under the batch's version, with their audit events.
async fn replace_batch(
    tx: &mut dyn StoreTx,
    cache: &BookCache,
    (record, batch): (&store::BatchRecord, &mut Batch),
    message_id: &str,
    ctx: &Context,
) -> Result<(), ApplyError> {
    let before = batch.lines.clone();
    let books = cache.snapshot(tx).await?;
    let mut history = engine::duplicates::LineHistory::new();
    // §5.1: the replaced lines give back what they reserved or consumed.
    let stored_caps = crate::caps::load(tx, &books.book).await?;
    let mut caps = stored_caps.ledger.clone();
    let actor = engine::audit::Actor::Partner(record.partner.clone());
    let out = batch.replaced(
        &actor,
        &mut engine::batch::Ledgers {
            book: &books.book,
            history: &mut history,
            caps: &mut caps,
        },
        ctx.today,
    )?;
    stored_caps.save(tx, &caps, Some(record.id), ctx).await?;
    let mut events = out.events.iter();
    for (i, (old, new)) in before.iter().zip(&batch.lines).enumerate() {
        if old == new {
            continue;
        }
        let event = events
            .next()
            .map(|e| convert(e, ctx.now, message_id))
            .unwrap_or_else(|| {
                crate::audit::event(
                    ctx,
                    "batch_line",
                    format!("{}/{}", record.id, new.sale.line),
                    "L12 replaced",
                )
            });
        tx.update_batch_line(
            &BatchLineUpdate {
                batch_id: record.id,
                line_no: i as i64 + 1,
                status: status_name(&new.status),
                calculated_amount: None,
                accepted_amount: None,
                claim_id: None,
                payload: serde_json::to_value(new)?,
                at: ctx.now,
            },
            &event,
        )
        .await?;
    }
    let event = events
        .next()
        .map(|e| convert(e, ctx.now, message_id))
        .unwrap_or_else(|| crate::audit::event(ctx, "batch", record.id.to_string(), "B8 replaced"));
    tx.update_batch(
        &EntityUpdate {
            id: record.id,
            expected_version: record.version,
            status: status_name(&batch.status),
            amount: None,
            payload: batch_payload(batch)?,
            at: ctx.now,
        },
        &event,
    )
    .await
    .map_err(ApplyError::from_store("batch", record.id, record.version))?;
    Ok(())
}

/// The claim of a replaced batch is cancelled, pointing at its replacement.
async fn cancel_replaced_claim(
    tx: &mut dyn StoreTx,
    current: &store::ClaimRecord,
    replaced_by: &str,
    message_id: &str,
    ctx: &Context,
) -> Result<(), ApplyError> {
    let mut payload = current.payload.clone();
    if let Some(obj) = payload.as_object_mut() {
        obj.insert("replaced_by".into(), replaced_by.into());
        obj.insert("status".into(), "cancelled".into());
    }
    let event = crate::audit::event(ctx, "claim", current.id.to_string(), "replaced by BAA01 05")
        .transition(Some(&current.status), "cancelled")
        .reason(format!("replaced by {replaced_by}"))
        .correlation(message_id.to_owned());
    // The payload edited as JSON: a claim stored before it was an engine `ClaimRecord`
    // (see `ClaimRecord::received`) is replaced the same way.
    write_claim(
        tx,
        (current.id, current.version),
        ("cancelled".to_owned(), None, payload),
        &event,
        ctx,
    )
    .await?;
    Ok(())
}

/// The earlier claim a replacement or resubmission is linked to.
struct Link {
    /// `replaces` (BAA01 05) or `resubmits` (15).
    kind: &'static str,
    claim: Uuid,
    claim_number: String,
    /// Its batch: the new batch's `corrects_batch_id`.
    batch: Uuid,
}

/// How a claim is recorded: its number (the debit memo, or `<memo>-R<n>` for a replacement
/// or resubmission) and its link.
struct New {
    claim_number: String,
    link: Option<Link>,
    hash: String,
}

/// Adjudicates a claim as a new batch and claim, the 849 to the outbox.
#[allow(clippy::too_many_arguments)]
async fn adjudicate_new(
    tx: &mut dyn StoreTx,
    cache: &BookCache,
    partner: &Partner,
    claim: &Claim,
    message_id: &str,
    ctx: &Context,
    mut refs: Vec<(String, String)>,
    new: New,
) -> Result<Outcome, ApplyError> {
    let header = response_header(&partner.id, ctx);
    let New {
        claim_number,
        link,
        hash,
    } = new;
    let books = cache.snapshot(tx).await?;
    let sales: Vec<SaleLine> = claim.lines.iter().map(SaleLine::from).collect();
    let history = history_for(tx, &partner.id, "adjudicator", invoices_of(sales.iter())).await?;
    // §5.1: the caps in force with what earlier claims took; the approved lines consume.
    let stored_caps = crate::caps::load(tx, &books.book).await?;
    let mut caps = stored_caps.ledger.clone();
    // The batch id first: the cap ledger's entries refer to its lines, so a later action on
    // the batch (a BAA01 05 replacement, a reviewer's reject) releases what they hold.
    let batch_id = Uuid::now_v7();
    let run = adjudicate_with(
        claim,
        &batch_id.to_string(),
        &books.book,
        &partner.settings,
        ctx.today,
        &history,
        Some(&mut caps),
        None,
    );
    drop(history);
    // Keep the lines as an adjudication batch: later claims find them as duplicates (§5.2);
    // a held one (§13.1 hold) is a reviewer's to work. A line the run pays anything on is
    // Claimed, so it consumes its cap (§5.1): a line paid at the calculated amount reserved
    // it in the run, as an accepted line does.
    let kept = run.batch(sales, partner.settings.batch_mode);
    for line in kept
        .lines
        .iter()
        .filter(|l| l.status == LineStatus::Claimed)
    {
        let line_ref = engine::sale::LineRef {
            batch: batch_id.to_string(),
            line: line.sale.line.clone(),
        };
        caps.consume(&line_ref, ctx.today);
    }
    stored_caps.save(tx, &caps, Some(batch_id), ctx).await?;
    let number = format!("{}/{}", partner.id, claim_number);
    let batch = Batch {
        header: BatchHeader {
            id: batch_id.to_string(),
            number: number.clone(),
            name: claim.debit_memo.clone(),
            kind: BatchKind::Claim844,
            role: Role::Adjudicator,
            distributor: claim.distributor.clone(),
            supplier: claim.supplier.clone(),
            // CUR02 of the 844; a claim without CUR is in dollars (x12-chargeback 5).
            currency: claim.currency.clone().unwrap_or_else(|| "USD".to_owned()),
            file_name: None,
            debit_memo: Some(claim.debit_memo.clone()),
            received_at: ctx.today,
            claim_date: claim.date,
            corrects_batch_id: link.as_ref().map(|l| l.batch.to_string()),
        },
        settings: partner.settings.clone(),
        mode: partner.settings.batch_mode,
        status: kept.status,
        lines: kept.lines,
        claims: kept.claims,
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
    insert_lines(
        tx,
        batch_id,
        &batch.lines,
        "adjudicated lines",
        message_id,
        ctx,
    )
    .await?;
    let claim_id = Uuid::now_v7();
    let mut event = crate::audit::event(ctx, "claim", claim_id.to_string(), "C1 claim received")
        .transition(None, "open")
        .correlation(message_id.to_owned());
    if let Some(l) = &link {
        event = event.reason(format!(
            "BAA01 {}: {} {}",
            claim.action.code(),
            l.kind,
            l.claim_number
        ));
    }
    // What the customer claim holds so far: everything approved, or while held, claim #1
    // of an Immediate Claim batch.
    let approved = if run.held {
        batch.claims.first().map_or(Decimal::ZERO, |c| c.amount)
    } else {
        run.report.total_approved
    };
    // Answered at once, the claim holds the lines its batch claimed, as the 849 answers them.
    let response = run.response(claim, header.clone(), &partner.settings);
    let mut record = ClaimRecord::received(&batch, claim_number.clone(), approved, ctx.today);
    if let Some(response) = &response {
        record.answer_received(&batch, response);
    }
    record.extra.insert("content_hash".into(), hash.into());
    record
        .extra
        .insert("adjudication".into(), serde_json::to_value(&run.report)?);
    if let Some(l) = &link {
        record
            .extra
            .insert(l.kind.into(), l.claim_number.clone().into());
        record
            .extra
            .insert(format!("{}_claim_id", l.kind), l.claim.to_string().into());
    }
    tx.insert_claim(
        &NewClaim {
            id: claim_id,
            partner: partner.id.clone(),
            claim_number: claim_number.clone(),
            status: "open".to_owned(),
            amount: approved,
            batch_id: Some(batch_id),
            parent_id: None,
            payload: claim_payload(&record)?,
            at: ctx.now,
        },
        &event,
    )
    .await?;
    insert_received_lines(tx, claim_id, (batch_id, &batch), &record, message_id, ctx).await?;
    let mut outbound = Vec::new();
    let mut summary = format!(
        "claim {} adjudicated: approved {} of {}",
        claim.debit_memo, approved, run.report.total_claimed
    );
    if let Some(stated) = run.report.stated_total {
        // x12-chargeback 5: the summary should be the sum of the lines. The lines are what
        // was adjudicated; the disagreement is said where the claim's outcome is read.
        tracing::warn!(partner = %partner.id, debit_memo = %claim.debit_memo, %stated, lines = %run.report.total_claimed, "claim summary total is not the sum of its lines");
        summary.push_str(&format!(
            " (its summary AMT says {stated}, not the sum of its lines)"
        ));
    }
    if let Some(l) = &link {
        summary.push_str(&format!(
            " as {claim_number} ({} {})",
            l.kind, l.claim_number
        ));
        refs.push(("claim".to_owned(), claim_number.clone()));
    }
    match response {
        Some(response) => {
            let doc = Document::ClaimResponse(response);
            outbound.push(crate::outbox::write_outbound(tx, &doc, &partner.id, ctx.now).await?);
        }
        None => {
            summary.push_str("; held for review, no 849 (unattended_amount_disputes = hold)");
            // §7.7: an Immediate Claim batch may answer its valid lines at once, the
            // disputed ones on hold (AAA04 Y); the full 849 follows at its end.
            if partner.settings.interim_849 && batch.mode == BatchMode::ImmediateClaim {
                let interim = run.interim_response(claim, header, &partner.settings);
                let doc = Document::ClaimResponse(interim);
                outbound.push(crate::outbox::write_outbound(tx, &doc, &partner.id, ctx.now).await?);
                summary.push_str("; interim 849 sent");
            }
        }
    }
    refs.push(("batch".to_owned(), number));
    Ok(Outcome {
        summary,
        refs,
        outbound,
    })
}
