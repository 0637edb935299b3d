//! Retro runs (chargeback-rules 5.3): a back-dated contract version is recorded with a
//! `pending` run (`contract`); approving it ([`crate::apply_retro_approval`]) re-evaluates the
//! past sales in one transaction and keeps what it made as Retro batches (always Review and
//! Claim), each line linked to its original. The run row is the (contract, version) ledger: a
//! second approval finds it done and creates nothing.
//!
//! Past sales are the lines of claimant batches reported or validated under the contract:
//! lines of Closed or Rejected batches, read with the 849 outcome of the claim line that
//! carried them (`engine::retro::past_state`); what earlier Retro batches already claimed for
//! an original (lines not rejected) counts as paid. Lines of batches still open are left to
//! revalidation (L14): as adjudicator, held batches' disputed lines of the contract are
//! revalidated at approval. `engine::retro::retro_run` decides, per distributor partner, with that
//! partner's settings (`claim_window_days`, `retro_clawback`) and `today`.

use std::collections::{BTreeMap, HashMap};

use engine::audit::{Actor, Entity, status_name};
use engine::batch::{
    Batch, BatchAction, BatchHeader, BatchKind, BatchLine, BatchStatus, LineStatus,
};
use engine::claims::ClaimLineRecord;
use engine::identity::{PartyKey, normalize_contract_number};
use engine::retro::{PastSale, RetroLedger, past_state, retro_run};
use engine::sale::LineRef;
use engine::settings::Role;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use store::{BatchLineRecord, BatchRecord, RetroRunRecord, StoreTx};
use uuid::Uuid;

use crate::audit::append_all;
use crate::book::{Books, StoredVersion};
use crate::error::ApplyError;
use crate::state::{corrupt, insert_claimant_batch, insert_lines};
use crate::{Context, Partners};

/// A Retro batch a run made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetroBatch {
    /// Batch id.
    pub id: Uuid,
    /// Batch number (`<partner>/RETRO-<contract>-V<n>`).
    pub number: String,
    /// Its distributor partner.
    pub partner: String,
    /// Lines.
    pub lines: usize,
    /// Σ line amounts (deltas and clawbacks signed).
    pub amount: Decimal,
}

/// What a run made, as kept on its row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetroResult {
    /// Retro batches, one per distributor partner with lines.
    pub batches: Vec<RetroBatch>,
    /// Retro-eligible sales outside `claim_window_days` (the leakage report).
    pub expired: Vec<LineRef>,
    /// Adjudicator batches held for review whose disputed lines of the contract were
    /// revalidated (L14), by number.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revalidated: Vec<String>,
}

/// What approving a retro run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetroOutcome {
    /// Contract id.
    pub contract_id: Uuid,
    /// Normalized contract number.
    pub contract_number: String,
    /// The back-dated version.
    pub version: i64,
    /// Earliest changed effective date.
    pub retroactive_from: String,
    /// `true` when the run had been approved before: nothing was created now.
    pub already_run: bool,
    /// Who approved it.
    pub approved_by: Option<String>,
    /// What the run made.
    #[serde(flatten)]
    pub result: RetroResult,
    /// One line for logs.
    pub summary: String,
}

/// The run row written with a back-dated version (`contract`), status `pending`.
pub(crate) async fn record_pending(
    tx: &mut dyn StoreTx,
    ctx: &Context,
    (contract_id, version_no): (Uuid, i64),
    partner: &str,
    contract_number: &str,
    from: chrono::NaiveDate,
    correlation: &str,
) -> Result<(), ApplyError> {
    let id = format!("{contract_id}/{version_no}");
    let event = crate::audit::event(ctx, "retro_run", id, "retro run pending approval")
        .transition(None, "pending")
        .reason(format!("retroactive from {from}"))
        .correlation(correlation.to_owned());
    tx.insert_retro_run(
        &RetroRunRecord {
            contract_id,
            version_no,
            partner: partner.to_owned(),
            contract_number: contract_number.to_owned(),
            retroactive_from: from.to_string(),
            status: "pending".to_owned(),
            approved_by: None,
            payload: serde_json::json!({}),
            created_at: ctx.now,
            updated_at: ctx.now,
        },
        &event,
    )
    .await?;
    Ok(())
}

fn outcome_of(run: &RetroRunRecord, already_run: bool) -> Result<RetroOutcome, ApplyError> {
    let result: RetroResult = if run.status == "done" {
        serde_json::from_value(run.payload.clone()).map_err(corrupt(format!(
            "retro run {}/{}",
            run.contract_id, run.version_no
        )))?
    } else {
        RetroResult::default()
    };
    let lines: usize = result.batches.iter().map(|b| b.lines).sum();
    let summary = format!(
        "retro run {} v{}{}: {} batch(es), {lines} line(s), {} expired, {} held batch(es) revalidated",
        run.contract_number,
        run.version_no,
        if already_run { " (already run)" } else { "" },
        result.batches.len(),
        result.expired.len(),
        result.revalidated.len()
    );
    Ok(RetroOutcome {
        contract_id: run.contract_id,
        contract_number: run.contract_number.clone(),
        version: run.version_no,
        retroactive_from: run.retroactive_from.clone(),
        already_run,
        approved_by: run.approved_by.clone(),
        result,
        summary,
    })
}

/// Past-sale lines of one batch, with what the run needs about the batch.
struct PastBatch {
    record: BatchRecord,
    header: BatchHeader,
    lines: Vec<BatchLineRecord>,
}

pub(crate) async fn approve(
    tx: &mut dyn StoreTx,
    partners: &Partners,
    contract_id: Uuid,
    version_no: i64,
    ctx: &Context,
) -> Result<RetroOutcome, ApplyError> {
    let run = tx
        .retro_run(contract_id, version_no)
        .await?
        .ok_or(ApplyError::UnknownRetroRun {
            contract: contract_id,
            version: version_no,
        })?;
    if run.status == "done" {
        return outcome_of(&run, true);
    }
    // The book as of the approved version: the run re-evaluates against it (V2–V10).
    let mut books = Books::default();
    let mut target = None;
    for version in tx.all_contract_versions().await? {
        let stored: StoredVersion =
            serde_json::from_value(version.payload).map_err(corrupt(format!(
                "contract version {}/{}",
                version.contract_id, version.version_no
            )))?;
        let applied = books.apply(&stored)?;
        if version.contract_id == contract_id && version.version_no == version_no {
            target = Some((applied, stored.document.contract_id.clone()));
            break;
        }
    }
    let (applied, as_issued) = target.ok_or(ApplyError::UnknownRetroRun {
        contract: contract_id,
        version: version_no,
    })?;
    let normalized = normalize_contract_number(&as_issued).to_string();
    let mut numbers = vec![as_issued.clone()];
    if normalized != as_issued {
        numbers.push(normalized);
    }

    // Past sales, grouped by batch.
    let mut batches: BTreeMap<Uuid, PastBatch> = BTreeMap::new();
    let mut order: Vec<Uuid> = Vec::new();
    for (_, row) in tx.lines_for_contracts(&numbers).await? {
        let b = match batches.entry(row.batch_id) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                let record = tx
                    .get_batch(row.batch_id)
                    .await?
                    .ok_or(ApplyError::UnknownBatch(row.batch_id))?;
                let shell: Batch = serde_json::from_value(record.payload.clone())
                    .map_err(corrupt(format!("batch {}", record.id)))?;
                order.push(row.batch_id);
                e.insert(PastBatch {
                    record,
                    header: shell.header,
                    lines: Vec::new(),
                })
            }
        };
        b.lines.push(row);
    }
    // What earlier Retro batches claim for each original (lines not rejected).
    let mut prior: HashMap<LineRef, Decimal> = HashMap::new();
    for b in batches
        .values()
        .filter(|b| b.header.kind == BatchKind::Retro)
    {
        for row in &b.lines {
            let line = parse_line(row)?;
            if line.status == LineStatus::Rejected {
                continue;
            }
            if let Some(original) = &line.sale.corrects {
                *prior.entry(original.clone()).or_default() +=
                    line.accepted_amount.unwrap_or_default();
            }
        }
    }
    let closed = [
        status_name(&BatchStatus::Closed),
        status_name(&BatchStatus::Rejected),
    ];
    // Per distributor partner: its past sales and the parties of its first batch.
    let mut per_partner: BTreeMap<String, (BatchHeader, Vec<PastSale>)> = BTreeMap::new();
    for id in &order {
        let Some(b) = batches.get(id) else { continue };
        if b.header.kind == BatchKind::Retro || !closed.contains(&b.record.status) {
            continue;
        }
        let claim_lines: HashMap<i64, ClaimLineRecord> = tx
            .claim_lines_of_batch(*id)
            .await?
            .into_iter()
            .filter_map(|r| {
                let n = r.line.batch_line_no?;
                Some(crate::state::claim_line_of(&r).map(|l| (n, l)))
            })
            .collect::<Result<_, _>>()?;
        let entry = per_partner
            .entry(b.record.partner.clone())
            .or_insert_with(|| (b.header.clone(), Vec::new()));
        for row in &b.lines {
            let line = parse_line(row)?;
            let line_ref = LineRef {
                batch: id.to_string(),
                line: line.sale.line.clone(),
            };
            let before = prior.get(&line_ref).copied().unwrap_or_default();
            if let Some(state) = past_state(&line, claim_lines.get(&row.line.line_no), before) {
                entry.1.push(PastSale {
                    line: line_ref,
                    sale: line.sale,
                    state,
                });
            }
        }
    }

    let correlation = format!("retro:{contract_id}/{version_no}");
    let actor = Actor::User(ctx.actor.clone());
    let mut result = RetroResult::default();
    for (partner_id, (first, past)) in &per_partner {
        let partner = partners.get(partner_id)?;
        let Some(made) = retro_run(
            &books.book,
            &applied,
            past,
            &partner.settings,
            &PartyKey::of(&first.distributor),
            &PartyKey::of(&first.supplier),
            ctx.today,
            &mut RetroLedger::default(),
        ) else {
            continue;
        };
        result.expired.extend(made.expired.iter().cloned());
        if made.lines.is_empty() {
            continue;
        }
        let id = Uuid::now_v7();
        let number = format!("{partner_id}/RETRO-{}-V{version_no}", run.contract_number);
        let header = BatchHeader {
            id: id.to_string(),
            number: number.clone(),
            name: format!("retro {} version {version_no}", run.contract_number),
            kind: BatchKind::Retro,
            role: Role::Claimant,
            distributor: first.distributor.clone(),
            supplier: first.supplier.clone(),
            currency: first.currency.clone(),
            file_name: None,
            debit_memo: None,
            received_at: ctx.today,
            claim_date: ctx.today,
            corrects_batch_id: None,
        };
        let (batch, out) = Batch::open_retro(header, &partner.settings, &made, &actor, ctx.today)?;
        let mut events = out.events.iter();
        insert_claimant_batch(
            tx,
            (id, &number, partner_id),
            &batch,
            events.next(),
            &correlation,
            ctx,
        )
        .await?;
        insert_lines(tx, id, &batch.lines, "retro lines", &correlation, ctx).await?;
        let rest: Vec<_> = events.cloned().collect();
        append_all(tx, &rest, ctx, &correlation).await?;
        debug_assert!(rest.iter().any(|e| e.entity == Entity::BatchLine));
        result.batches.push(RetroBatch {
            id,
            number,
            partner: partner_id.clone(),
            lines: batch.lines.len(),
            amount: batch.lines.iter().filter_map(|l| l.accepted_amount).sum(),
        });
    }

    // §5.3 as adjudicator: the change revalidates the disputed lines of the contract in
    // batches still held for review (L14 by the approving user); closed ones change only
    // through the distributor's delta or resubmission lines.
    let revalidate = BatchAction::RevalidateDisputed {
        contract: Some(as_issued.clone()),
    };
    for held in tx.held_batches_for_contracts(&numbers).await? {
        crate::action::apply(tx, partners, held.id, held.version, &revalidate, ctx).await?;
        result.revalidated.push(held.number);
    }

    let payload = serde_json::to_value(&result)?;
    let mut event = crate::audit::event(
        ctx,
        "retro_run",
        format!("{contract_id}/{version_no}"),
        "retro run approved",
    )
    .transition(Some("pending"), "done")
    .correlation(correlation);
    event.after = Some(payload.clone());
    if !tx
        .finish_retro_run(
            contract_id,
            version_no,
            &ctx.actor,
            &payload,
            ctx.now,
            &event,
        )
        .await?
    {
        return Err(ApplyError::Conflict {
            entity: "retro_run",
            id: contract_id,
            expected: version_no,
            actual: None,
        });
    }
    let done = RetroRunRecord {
        status: "done".to_owned(),
        approved_by: Some(ctx.actor.clone()),
        payload,
        updated_at: ctx.now,
        ..run
    };
    outcome_of(&done, false)
}

fn parse_line(row: &BatchLineRecord) -> Result<BatchLine, ApplyError> {
    row.line.payload.parse().map_err(corrupt(format!(
        "batch {} line {}",
        row.batch_id, row.line.line_no
    )))
}
