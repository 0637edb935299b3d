//! Engine state to and from store records: batches (header row + one row per line), claims
//! (header row + one row per line), and the duplicate/return history of earlier lines.

use std::collections::BTreeSet;

use engine::audit::status_name;
use engine::batch::stream::ChunkInvoices;
use engine::batch::{Batch, BatchLine, BatchStatus};
use engine::claims::ClaimRecord;
use engine::duplicates::{HistoryEntry, LineHistory};
use engine::sale::LineRef;
use store::{
    BatchLineRecord, BatchRecord, EntityUpdate, NewAuditEvent, NewBatchLine, NewClaimLine,
    StoreRead, StoreTx,
};
use uuid::Uuid;

use crate::Context;
use crate::error::ApplyError;

/// Lines written per `insert_batch_lines` call: memory for the rows being written stays
/// bounded whatever the batch size.
pub const CHUNK_LINES: usize = 10_000;

pub(crate) fn corrupt(what: impl Into<String>) -> impl FnOnce(serde_json::Error) -> ApplyError {
    let what = what.into();
    move |source| ApplyError::Corrupt { what, source }
}

/// The batch row's payload: the engine's batch without its lines (they have their own rows)
/// and without the claims' line lists (rebuilt from each line's `claim`).
pub(crate) fn batch_payload(batch: &Batch) -> Result<serde_json::Value, ApplyError> {
    let mut value = serde_json::to_value(BatchShell::of(batch))?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert("lines".into(), serde_json::Value::Array(vec![]));
    }
    Ok(value)
}

/// Borrowed view of a batch without lines, serialized like `Batch`.
#[derive(serde::Serialize)]
struct BatchShell<'a> {
    header: &'a engine::batch::BatchHeader,
    settings: &'a engine::EngineSettings,
    mode: engine::settings::BatchMode,
    status: BatchStatus,
    claims: Vec<engine::batch::BatchClaim>,
}

impl<'a> BatchShell<'a> {
    fn of(batch: &'a Batch) -> Self {
        BatchShell {
            header: &batch.header,
            settings: &batch.settings,
            mode: batch.mode,
            status: batch.status,
            claims: batch
                .claims
                .iter()
                .map(|c| engine::batch::BatchClaim {
                    seq: c.seq,
                    lines: vec![],
                    amount: c.amount,
                })
                .collect(),
        }
    }
}

/// One batch line as its row.
pub(crate) fn line_row(line_no: i64, line: &BatchLine) -> Result<NewBatchLine, ApplyError> {
    let v = line.validation.as_ref();
    Ok(NewBatchLine {
        line_no,
        status: status_name(&line.status),
        invoice: Some(line.sale.invoice.clone()).filter(|s| !s.is_empty()),
        item: Some(line.sale.item.id.to_string()).filter(|s| !s.is_empty()),
        customer: Some(line.sale.end_customer.id.to_string()).filter(|s| !s.is_empty()),
        contract: line.contract(),
        quantity: Some(line.sale.quantity),
        contract_price: v
            .and_then(|v| v.pricing.as_ref())
            .map(|p| p.contract_price_per_sale_unit())
            .filter(|p| p.scale() <= 6),
        claimed_amount: line.sale.claimed_amount,
        calculated_amount: v.and_then(|v| v.calculated_amount),
        accepted_amount: line.accepted_amount,
        payload: store::JsonText::of(line)?,
        claim_line: None,
    })
}

/// Writes the row of a new claimant batch (its lines apart), audited with the engine's
/// opening event when there is one.
pub(crate) async fn insert_claimant_batch(
    tx: &mut dyn StoreTx,
    (id, number, partner): (Uuid, &str, &str),
    batch: &Batch,
    opened: Option<&engine::audit::AuditEvent>,
    correlation: &str,
    ctx: &Context,
) -> Result<(), ApplyError> {
    let event = opened
        .map(|e| crate::audit::convert(e, ctx.now, correlation))
        .unwrap_or_else(|| crate::audit::event(ctx, "batch", id.to_string(), "B1 open"));
    tx.insert_batch(
        &store::NewBatch {
            id,
            number: number.to_owned(),
            partner: partner.to_owned(),
            role: "claimant".to_owned(),
            status: status_name(&batch.status),
            debit_memo: None,
            source_document_id: None,
            payload: batch_payload(batch)?,
            at: ctx.now,
        },
        &event,
    )
    .await?;
    Ok(())
}

/// Inserts `lines`, the whole of batch `batch_id`, numbered 1.. in order, a chunk of
/// [`CHUNK_LINES`] per statement, each chunk with a batch audit event `what` correlated to
/// `correlation`.
pub(crate) async fn insert_lines(
    tx: &mut dyn StoreTx,
    batch_id: Uuid,
    lines: &[BatchLine],
    what: &str,
    correlation: &str,
    ctx: &Context,
) -> Result<(), ApplyError> {
    for (chunk_no, chunk) in lines.chunks(CHUNK_LINES).enumerate() {
        let rows = chunk
            .iter()
            .enumerate()
            .map(|(i, l)| line_row((chunk_no * CHUNK_LINES + i) as i64 + 1, l))
            .collect::<Result<Vec<_>, _>>()?;
        let event = crate::audit::event(ctx, "batch", batch_id.to_string(), what)
            .correlation(correlation.to_owned());
        tx.insert_batch_lines(batch_id, &rows, ctx.now, &event)
            .await?;
    }
    Ok(())
}

/// A whole batch read back: the shell row plus its lines.
pub(crate) async fn load_batch(
    read: &mut dyn StoreRead,
    id: Uuid,
) -> Result<(BatchRecord, Batch), ApplyError> {
    let record = read
        .get_batch(id)
        .await?
        .ok_or(ApplyError::UnknownBatch(id))?;
    let mut batch: Batch =
        serde_json::from_value(record.payload.clone()).map_err(corrupt(format!("batch {id}")))?;
    let rows = read.batch_lines(id).await?;
    batch.lines = rows
        .into_iter()
        .map(|r| {
            r.line
                .payload
                .parse::<BatchLine>()
                .map_err(corrupt(format!("batch {id} line {}", r.line.line_no)))
        })
        .collect::<Result<_, _>>()?;
    for claim in &mut batch.claims {
        claim.lines = batch
            .lines
            .iter()
            .filter(|l| l.claim == Some(claim.seq))
            .map(|l| l.sale.line.clone())
            .collect();
    }
    Ok((record, batch))
}

fn batch_open(status: &str) -> bool {
    status == status_name(&BatchStatus::Open) || status == status_name(&BatchStatus::AwaitingReview)
}

/// The history of earlier lines of `partner` that share an invoice with `invoices`
/// (chargeback-rules 5.2: duplicates and returns look only at lines with the same invoice or
/// original invoice), rebuilt from their rows.
pub(crate) async fn history_for(
    read: &mut dyn StoreRead,
    partner: &str,
    role: &str,
    invoices: BTreeSet<String>,
) -> Result<LineHistory, ApplyError> {
    let mut history = LineHistory::new();
    if invoices.is_empty() {
        return Ok(history);
    }
    let invoices: Vec<String> = invoices.into_iter().collect();
    for chunk in invoices.chunks(CHUNK_LINES) {
        for (batch_status, row) in read.lines_for_invoices(partner, role, chunk).await? {
            record_history(&mut history, &batch_status, &row)?;
        }
    }
    Ok(history)
}

/// What validating the next chunk of a streamed batch needs from the store
/// (`engine::batch::stream::NextChunk`): the history of `partner`'s other batches on every
/// invoice of the chunk, and the lines of `batch` numbered below `before` on its `new`
/// invoices, in line order.
pub(crate) async fn chunk_lookup(
    read: &mut dyn StoreRead,
    (partner, batch): (&str, Uuid),
    invoices: &ChunkInvoices<'_>,
    before: i64,
) -> Result<(LineHistory, Vec<BatchLine>), ApplyError> {
    let mut history = LineHistory::new();
    let mut earlier = Vec::new();
    let new: Vec<String> = invoices.new.iter().map(|i| (*i).to_owned()).collect();
    for chunk in invoices.all.chunks(CHUNK_LINES) {
        let chunk: Vec<String> = chunk.iter().map(|i| (*i).to_owned()).collect();
        let rows = read
            .lines_for_chunk((partner, "claimant"), &chunk, batch, (&new, before))
            .await?;
        for (batch_status, row) in rows {
            if row.batch_id == batch {
                earlier.push((row.line.line_no, parse_line(&row)?));
            } else {
                record_history(&mut history, &batch_status, &row)?;
            }
        }
    }
    // In line order across the statements (the invoices are distinct keys: each line once).
    earlier.sort_by_key(|(line_no, _)| *line_no);
    Ok((history, earlier.into_iter().map(|(_, line)| line).collect()))
}

fn parse_line(row: &BatchLineRecord) -> Result<BatchLine, ApplyError> {
    row.line.payload.parse().map_err(corrupt(format!(
        "batch {} line {}",
        row.batch_id, row.line.line_no
    )))
}

fn record_history(
    history: &mut LineHistory,
    batch_status: &str,
    row: &BatchLineRecord,
) -> Result<(), ApplyError> {
    let line = parse_line(row)?;
    let Some(v) = &line.validation else {
        return Ok(());
    };
    let Some(keys) = v.keys else {
        return Ok(());
    };
    // The batch header id is the batch row id (see `new_batch_id`).
    let entry = HistoryEntry {
        line: LineRef {
            batch: row.batch_id.to_string(),
            line: line.sale.line.clone(),
        },
        status: line.status,
        batch_open: batch_open(batch_status),
    };
    history.record(keys, entry, v.pricing_date, line.sale.quantity);
    Ok(())
}

/// Invoices (and original invoices of returns) a set of lines refers to.
pub(crate) fn invoices_of<'a>(
    lines: impl Iterator<Item = &'a engine::sale::SaleLine>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for l in lines {
        add_invoices(&mut out, l);
    }
    out
}

/// Adds the invoices `line` refers to (its own, and its original's when it is a return) to
/// `set`, copying each only the first time.
pub(crate) fn add_invoices(set: &mut BTreeSet<String>, line: &engine::sale::SaleLine) {
    let own = (!line.invoice.is_empty()).then_some(line.invoice.as_str());
    let original = line.is_return().then(|| line.return_of());
    for invoice in [own, original].into_iter().flatten() {
        if !set.contains(invoice) {
            set.insert(invoice.to_owned());
        }
    }
}

/// The claim row's payload: the engine's claim without its lines (they have their own rows).
pub(crate) fn claim_payload(claim: &ClaimRecord) -> Result<serde_json::Value, ApplyError> {
    let mut value = serde_json::to_value(ClaimRecord {
        lines: vec![],
        ..claim.clone()
    })?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert("lines".into(), serde_json::Value::Array(vec![]));
    }
    Ok(value)
}

/// A claim line's row status: its 849 outcome, `open` before one.
fn claim_line_status(line: &engine::claims::ClaimLineRecord) -> String {
    line.outcome
        .map_or_else(|| "open".to_owned(), |o| status_name(&o))
}

/// One claim line as its row.
pub(crate) fn claim_line_row(
    line_no: i64,
    line: &engine::claims::ClaimLineRecord,
    batch: Option<(Uuid, i64)>,
) -> Result<NewClaimLine, ApplyError> {
    Ok(claim_line_row_with(
        line_no,
        line,
        batch,
        store::JsonText::of(line)?,
        false,
    ))
}

/// The row of claim line `line` with `payload` (the line whole, or without its sale).
fn claim_line_row_with(
    line_no: i64,
    line: &engine::claims::ClaimLineRecord,
    batch: Option<(Uuid, i64)>,
    payload: store::JsonText,
    sale_from_batch: bool,
) -> NewClaimLine {
    NewClaimLine {
        line_no,
        batch_id: batch.map(|b| b.0),
        batch_line_no: batch.map(|b| b.1),
        status: claim_line_status(line),
        claimed_amount: line.claimed_amount,
        approved_amount: line.approved_amount,
        payload,
        sale_from_batch,
    }
}

/// [`claim_line_row`] of a line claiming batch line `batch` (`(id, line number)`), whose sale
/// is `sale`: kept without that sale when it can be rebuilt from it
/// ([`engine::claims::ClaimedFromLine`]), whole otherwise.
pub(crate) fn claim_line_row_from(
    line_no: i64,
    line: &engine::claims::ClaimLineRecord,
    batch: (Uuid, i64),
    sale: &engine::sale::SaleLine,
) -> Result<NewClaimLine, ApplyError> {
    let batch_id = batch.0.to_string();
    let place = engine::claims::ClaimLinePlace {
        number: line_no,
        batch: &batch_id,
    };
    let Some(compact) = engine::claims::ClaimedFromLine::of(line, sale, place) else {
        return claim_line_row(line_no, line, Some(batch));
    };
    Ok(claim_line_row_with(
        line_no,
        line,
        Some(batch),
        store::JsonText::of(&compact)?,
        true,
    ))
}

/// Claim line `row` as its batch line (`batch`, `(id, line number)`) carries it
/// ([`store::CarriedClaimLine`]): when it claims that line, keeps only what the claim changed
/// of its sale, and no 849 has answered it. The row itself otherwise.
pub(crate) fn carried(
    row: NewClaimLine,
    batch: (Uuid, i64),
) -> Result<store::CarriedClaimLine, NewClaimLine> {
    let carriable = row.sale_from_batch
        && row.status == "open"
        && row.approved_amount.is_none()
        && row.batch_id == Some(batch.0)
        && row.batch_line_no == Some(batch.1);
    if !carriable {
        return Err(row);
    }
    Ok(store::CarriedClaimLine {
        line_no: row.line_no,
        claimed_amount: row.claimed_amount,
        payload: row.payload,
    })
}

/// A stored claim line as the engine's: read whole, or rebuilt from its batch line's sale.
pub fn claim_line_of(
    row: &store::ClaimLineRecord,
) -> Result<engine::claims::ClaimLineRecord, ApplyError> {
    let what = || format!("claim {} line {}", row.claim_id, row.line.line_no);
    if !row.line.sale_from_batch {
        return row.line.payload.parse().map_err(corrupt(what()));
    }
    let compact: engine::claims::ClaimedFromLine =
        row.line.payload.parse().map_err(corrupt(what()))?;
    /// A batch line's sale, the rest of its payload skipped.
    #[derive(serde::Deserialize)]
    struct SaleOf {
        sale: engine::sale::SaleLine,
    }
    let batch = row
        .batch_payload
        .as_ref()
        .ok_or_else(|| ApplyError::Corrupt {
            what: what(),
            source: serde::de::Error::custom("its batch line, which holds its sale, is missing"),
        })?;
    let SaleOf { sale } = batch
        .parse()
        .map_err(corrupt(format!("{}: its batch line", what())))?;
    let batch_id = row
        .line
        .batch_id
        .ok_or_else(|| ApplyError::Corrupt {
            what: what(),
            source: serde::de::Error::custom("kept without its sale but names no batch line"),
        })?
        .to_string();
    let place = engine::claims::ClaimLinePlace {
        number: row.line.line_no,
        batch: &batch_id,
    };
    Ok(compact.with_sale(sale, place))
}

/// Claim lines' new states, written in bulk ([`StoreTx::update_claim_lines`]) a chunk of
/// lines at a time: an 849 answers every line of a claim.
#[derive(Default)]
pub(crate) struct ClaimLineChanges {
    updates: Vec<store::ClaimLineUpdate>,
    events: Vec<store::NewAuditEvent>,
}

impl ClaimLineChanges {
    /// Adds a claim line's new state (row `stored` of claim `claim_id`, `before` as read):
    /// its status from its outcome, its approved amount and payload, with the audit event
    /// `what` (and `reason`); writes the chunk when it is full.
    pub(crate) async fn add(
        &mut self,
        tx: &mut dyn StoreTx,
        (claim_id, stored): (Uuid, &StoredLine),
        (before, line): (
            &engine::claims::ClaimLineRecord,
            &engine::claims::ClaimLineRecord,
        ),
        (what, reason): (&str, Option<String>),
        correlation: &str,
        ctx: &Context,
    ) -> Result<(), ApplyError> {
        let status = claim_line_status(line);
        let line_no = stored.line_no;
        let mut event =
            crate::audit::event(ctx, "claim_line", format!("{claim_id}/{line_no}"), what)
                .transition(Some(&claim_line_status(before)), &status)
                .correlation(correlation.to_owned());
        if let Some(reason) = reason {
            event = event.reason(reason);
        }
        self.updates.push(store::ClaimLineUpdate {
            claim_id,
            line_no,
            status,
            approved_amount: line.approved_amount,
            payload: serde_json::to_value(line)?,
            at: ctx.now,
            batch_line: stored.batch_line,
        });
        self.events.push(event);
        if self.updates.len() >= CHUNK_LINES {
            self.write(tx).await?;
        }
        Ok(())
    }

    /// Writes the changes added since the last write.
    pub(crate) async fn write(&mut self, tx: &mut dyn StoreTx) -> Result<(), ApplyError> {
        if !self.updates.is_empty() {
            tx.update_claim_lines(&self.updates, &self.events).await?;
        }
        self.updates.clear();
        self.events.clear();
        Ok(())
    }
}

/// The claim row `id` as the caller last read it: `Conflict` when its version has moved since
/// (optimistic concurrency, nothing written).
pub(crate) async fn claim_at_version(
    read: &mut dyn StoreRead,
    id: Uuid,
    expected_version: i64,
) -> Result<store::ClaimRecord, ApplyError> {
    let record = read
        .get_claim(id)
        .await?
        .ok_or(ApplyError::UnknownClaim(id))?;
    if record.version != expected_version {
        return Err(ApplyError::Conflict {
            entity: "claim",
            id,
            expected: expected_version,
            actual: Some(record.version),
        });
    }
    Ok(record)
}

/// A claim read back with its lines.
pub(crate) async fn load_claim(
    read: &mut dyn StoreRead,
    record: &store::ClaimRecord,
) -> Result<ClaimRecord, ApplyError> {
    Ok(load_claim_numbered(read, record).await?.0)
}

/// Where a claim line read with its claim is stored, for [`ClaimLineChanges::add`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredLine {
    /// Its row's line number in the claim.
    pub(crate) line_no: i64,
    /// The batch line it claims (which may still carry it, [`store::CarriedClaimLine`]).
    pub(crate) batch_line: Option<(Uuid, i64)>,
}

/// [`load_claim`], with where each line is stored (for [`ClaimLineChanges::add`]).
pub(crate) async fn load_claim_numbered(
    read: &mut dyn StoreRead,
    record: &store::ClaimRecord,
) -> Result<(ClaimRecord, Vec<StoredLine>), ApplyError> {
    let mut claim: ClaimRecord = serde_json::from_value(record.payload.clone())
        .map_err(corrupt(format!("claim {}", record.id)))?;
    let rows = read.claim_lines(record.id).await?;
    let mut stored = Vec::with_capacity(rows.len());
    claim.lines = rows
        .into_iter()
        .map(|r| {
            stored.push(StoredLine {
                line_no: r.line.line_no,
                batch_line: r.line.batch_id.zip(r.line.batch_line_no),
            });
            claim_line_of(&r)
        })
        .collect::<Result<_, _>>()?;
    Ok((claim, stored))
}

/// Writes `claim` over its row (id `id`, seen at `expected_version` in status `from`) with the
/// audit event `what`, correlated to `correlation` when given; returns the new version.
pub(crate) async fn save_claim(
    tx: &mut dyn StoreTx,
    ctx: &Context,
    (id, expected_version, from): (Uuid, i64, &str),
    claim: &ClaimRecord,
    what: &str,
    correlation: Option<&str>,
) -> Result<i64, ApplyError> {
    let to = status_name(&claim.status);
    let mut event: NewAuditEvent =
        crate::audit::event(ctx, "claim", id.to_string(), what).transition(Some(from), &to);
    if let Some(c) = correlation {
        event = event.correlation(c.to_owned());
    }
    write_claim(
        tx,
        (id, expected_version),
        (to, None, claim_payload(claim)?),
        &event,
        ctx,
    )
    .await
}

/// Writes claim row `id` (seen at `expected_version`): its status, its amount when given
/// (`None` keeps it) and its payload, with `event`; returns the new version.
pub(crate) async fn write_claim(
    tx: &mut dyn StoreTx,
    (id, expected_version): (Uuid, i64),
    (status, amount, payload): (String, Option<rust_decimal::Decimal>, serde_json::Value),
    event: &NewAuditEvent,
    ctx: &Context,
) -> Result<i64, ApplyError> {
    tx.update_claim(
        &EntityUpdate {
            id,
            expected_version,
            status,
            amount,
            payload,
            at: ctx.now,
        },
        event,
    )
    .await
    .map_err(ApplyError::from_store("claim", id, expected_version))
}

/// Stores `child`, a claim made from the claim row `parent` (a split, or a resubmission of
/// its lines), with its lines when it has any, and the audit event `what` correlated to
/// `correlation`; returns the child's row id.
pub(crate) async fn insert_child_claim(
    tx: &mut dyn StoreTx,
    parent: &store::ClaimRecord,
    child: &ClaimRecord,
    what: &str,
    correlation: &str,
    ctx: &Context,
) -> Result<Uuid, ApplyError> {
    let id = Uuid::now_v7();
    let event = crate::audit::event(ctx, "claim", id.to_string(), what)
        .transition(None, &status_name(&child.status))
        .correlation(correlation.to_owned());
    tx.insert_claim(
        &store::NewClaim {
            id,
            partner: parent.partner.clone(),
            claim_number: child.number.clone(),
            status: status_name(&child.status),
            amount: child.amount,
            batch_id: parent.batch_id,
            parent_id: Some(parent.id),
            payload: claim_payload(child)?,
            at: ctx.now,
        },
        &event,
    )
    .await?;
    if !child.lines.is_empty() {
        let rows = child
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| claim_line_row(i as i64 + 1, l, None))
            .collect::<Result<Vec<_>, _>>()?;
        let event = crate::audit::event(ctx, "claim", id.to_string(), "claim lines")
            .correlation(correlation.to_owned());
        tx.insert_claim_lines(id, &rows, ctx.now, &event).await?;
    }
    Ok(id)
}
