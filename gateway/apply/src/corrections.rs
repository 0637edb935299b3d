//! The dispute CSV of chargeback-rules §9 for the batches a user works: the disputed lines
//! of a batch exported (`<batch_number>-disputes-<yyyymmdd>.csv`), and a corrected file
//! imported as a new Corrected CSV batch linked to its source, in one transaction: the new
//! batch runs the full pipeline (B2–B5, its claim sent as any claim), and the source lines it
//! corrects that are still disputed in a batch Awaiting Review become Rejected `Resubmitted`
//! (L16) under the source's version. The source is never reopened; a bad file fails whole
//! with its row and column, nothing written.
//!
//! Claimant batches only for import: a distributor corrects a received claim with a BAA01 15
//! resubmission 844 (§5.2), which is answered with its own 849.

use engine::audit::{Entity, status_name};
use engine::batch::{BatchHeader, BatchLine, BatchStatus, Ledgers, LineStatus};
use engine::disputes::{DisputeCsv, export_file_name, import_corrections, read_corrections};
use engine::settings::Role;
use store::{EntityUpdate, Store, StoreTx};
use uuid::Uuid;

use crate::action::write_changed_lines;
use crate::audit::append_all;
use crate::claim_out::send_claim;
use crate::error::ApplyError;
use crate::sales::free_batch_number;
use crate::state::{
    batch_payload, corrupt, history_for, insert_claimant_batch, insert_lines, invoices_of,
    load_batch,
};
use crate::{Context, OutboundDoc, Partners, finish};

/// A batch's disputed lines as the §9 file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeExport {
    /// `<batch_number>-disputes-<yyyymmdd>.csv`.
    pub file_name: String,
    /// Lines exported.
    pub rows: usize,
    /// The file (UTF-8, RFC 4180).
    pub csv: Vec<u8>,
}

/// Exports the disputed lines of batch `batch`: from a batch Awaiting Review its disputed
/// lines, from a Closed or Rejected one the lines rejected with a dispute category. The whole
/// file in memory: [`DisputeFile`] writes it a part at a time.
pub async fn export_disputes(
    store: &dyn Store,
    batch: Uuid,
    ctx: &Context,
) -> Result<DisputeExport, ApplyError> {
    let mut file = DisputeFile::open(store, batch, ctx).await?;
    let mut csv = Vec::new();
    while let Some(part) = file.next_part(store).await? {
        csv.extend_from_slice(&part);
    }
    Ok(DisputeExport {
        file_name: file.file_name.clone(),
        rows: file.rows(),
        csv,
    })
}

/// A batch's dispute file (as [`export_disputes`]) written a part at a time, for a download
/// that streams it: the header, then the rows of each page of (by default)
/// [`DisputeFile::PAGE_LINES`] disputed or Rejected lines read from the store (the status filter in SQL: a batch's
/// accepted and claimed lines, most of a large one, are never read for its file), so memory
/// follows one page whatever the size of the batch. Each part takes a connection of its own
/// and gives it back: a slow reader holds none. The batch's status is read once, when the
/// file is opened; the lines as each page is read.
#[derive(Debug)]
pub struct DisputeFile {
    /// `<batch_number>-disputes-<yyyymmdd>.csv`.
    pub file_name: String,
    /// The batch, its head and settings only (no lines).
    batch: engine::batch::Batch,
    id: Uuid,
    /// The lines after this one are still to be read; `None` once the last page is written.
    after: Option<i64>,
    page_lines: i64,
    header_written: bool,
    rows: usize,
}

impl DisputeFile {
    /// Lines read a page.
    pub const PAGE_LINES: i64 = 1_000;

    /// The file of batch `id`: [`ApplyError::UnknownBatch`] when there is none,
    /// [`ApplyError::DisputeCsv`] when it has no file (an Open batch); nothing is written yet.
    pub async fn open(store: &dyn Store, id: Uuid, ctx: &Context) -> Result<Self, ApplyError> {
        let record = store
            .reader()
            .await?
            .get_batch(id)
            .await?
            .ok_or(ApplyError::UnknownBatch(id))?;
        let mut batch: engine::batch::Batch =
            serde_json::from_value(record.payload).map_err(corrupt(format!("batch {id}")))?;
        batch.lines = Vec::new();
        DisputeCsv::new(&batch, &batch.settings)?;
        Ok(Self {
            file_name: export_file_name(&batch, ctx.today),
            batch,
            id,
            after: Some(0),
            page_lines: Self::PAGE_LINES,
            header_written: false,
            rows: 0,
        })
    }

    /// Reads `lines` lines a page (at least 1) instead of [`DisputeFile::PAGE_LINES`].
    pub fn with_page_lines(mut self, lines: i64) -> Self {
        self.page_lines = lines.max(1);
        self
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The next part of the file: the header first, then the rows of the next page of lines
    /// (a page none of whose lines the file holds gives an empty part); `None` after the last.
    pub async fn next_part(&mut self, store: &dyn Store) -> Result<Option<Vec<u8>>, ApplyError> {
        let csv = DisputeCsv::new(&self.batch, &self.batch.settings)?;
        let mut out = Vec::new();
        if !self.header_written {
            csv.header(&mut out)?;
            self.header_written = true;
            return Ok(Some(out));
        }
        let Some(after) = self.after else {
            return Ok(None);
        };
        let page = store::LinePage {
            after,
            limit: self.page_lines,
            statuses: [
                LineStatus::EligibilityDisputed,
                LineStatus::AmountDisputed,
                LineStatus::Duplicate,
                LineStatus::Rejected,
            ]
            .iter()
            .map(status_name)
            .collect(),
        };
        let rows = store
            .reader()
            .await?
            .batch_lines_page(self.id, &page)
            .await?;
        self.after = match rows.last() {
            Some(last) if rows.len() as i64 == self.page_lines => Some(last.line.line_no),
            _ => None,
        };
        if rows.is_empty() {
            return Ok(None);
        }
        let id = self.id;
        let lines = rows
            .into_iter()
            .map(|r| {
                r.line
                    .payload
                    .parse::<BatchLine>()
                    .map_err(corrupt(format!("batch {id} line {}", r.line.line_no)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.rows += csv.lines(&lines, &mut out)?;
        Ok(Some(out))
    }
}

/// What importing a corrected file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionOutcome {
    /// The new Corrected CSV batch.
    pub batch: Uuid,
    /// Its number (`<source number>/corrected`, `-2`, ...).
    pub number: String,
    /// Its status after the pipeline (`closed`, `awaiting_review`, `rejected`).
    pub status: String,
    /// Source lines moved to Rejected `Resubmitted` (L16).
    pub resubmitted: usize,
    /// The source batch's version after the import (every import moves it).
    pub source_version: i64,
    /// The claim cut from the new batch and its 844, when its valid lines were claimed.
    pub claim: Option<(String, rust_decimal::Decimal)>,
    /// Outbound documents written (the claim's 844).
    pub outbound: Vec<OutboundDoc>,
    /// One line for logs.
    pub summary: String,
}

/// Imports `csv`, a corrected dispute file of batch `source` (seen at `expected_version`),
/// named `file_name`, in one transaction. A stale version is [`ApplyError::Conflict`]; a
/// file that does not fit the source, [`ApplyError::DisputeCsv`] with its row and column.
pub async fn import_dispute_corrections(
    store: &dyn Store,
    partners: &Partners,
    source: Uuid,
    expected_version: i64,
    (file_name, csv): (&str, &[u8]),
    ctx: &Context,
) -> Result<CorrectionOutcome, ApplyError> {
    let mut tx = store.begin().await?;
    let result = import(
        &mut *tx,
        partners,
        source,
        expected_version,
        (file_name, csv),
        ctx,
    )
    .await;
    let outcome = finish(tx, result).await?;
    tracing::info!(%source, batch = %outcome.number, summary = %outcome.summary, "corrected disputes imported");
    Ok(outcome)
}

async fn import(
    tx: &mut dyn StoreTx,
    partners: &Partners,
    source_id: Uuid,
    expected_version: i64,
    (file_name, csv): (&str, &[u8]),
    ctx: &Context,
) -> Result<CorrectionOutcome, ApplyError> {
    let (record, mut source) = load_batch(tx, source_id).await?;
    if record.version != expected_version {
        return Err(ApplyError::Conflict {
            entity: "batch",
            id: source_id,
            expected: expected_version,
            actual: Some(record.version),
        });
    }
    if source.header.role != Role::Claimant {
        return Err(ApplyError::InvalidCorrection(format!(
            "batch {} is a received claim's: its distributor corrects it with a BAA01 15 \
             resubmission",
            record.number
        )));
    }
    let partner = partners.get(&record.partner)?;
    // Read once up front: a file that does not fit fails before anything is loaded, and its
    // invoices bound the duplicate history.
    let rows = read_corrections(&source, csv)?;
    let books = partners.cache.snapshot(tx).await?;
    let invoices = invoices_of(
        source
            .lines
            .iter()
            .map(|l| &l.sale)
            .chain(rows.iter().map(|r| &r.sale)),
    );
    let mut history = history_for(tx, &record.partner, "claimant", invoices).await?;
    let stored_caps = crate::caps::load(tx, &books.book).await?;
    let mut caps = stored_caps.ledger.clone();
    let id = Uuid::now_v7();
    let number = free_batch_number(tx, format!("{}/corrected", record.number)).await?;
    let header = BatchHeader {
        id: id.to_string(),
        number: number.clone(),
        name: format!("corrected {}", source.header.name),
        file_name: Some(file_name.to_owned()),
        debit_memo: None,
        received_at: ctx.today,
        claim_date: ctx.today,
        ..source.header.clone()
    };
    let before = source.lines.clone();
    let (batch, out) = {
        let mut ledgers = Ledgers {
            book: &books.book,
            history: &mut history,
            caps: &mut caps,
        };
        import_corrections(&mut source, csv, header, &mut ledgers, ctx.today)?
    };
    drop(history);
    // Each movement under the batch its line names (new lines, or a source line's release).
    stored_caps.save(tx, &caps, None, ctx).await?;
    let correlation = format!("corrections:{}", record.number);

    // The source: its corrected lines still disputed are Rejected `Resubmitted` (L16).
    let resubmitted = write_changed_lines(
        tx,
        source_id,
        &before,
        &source,
        &out.events,
        &correlation,
        ctx,
    )
    .await?;
    // The source's version moves with every import, even one that resubmits none of its
    // lines (a Closed source): the import is a change to it, and a request sent again with
    // the version it was made at (a retry, a second click) is refused as stale instead of
    // making another corrected batch of the same file.
    let event = if resubmitted == 0 {
        crate::audit::event(ctx, "batch", source_id.to_string(), "corrections imported").reason(
            format!("imported as {number}; no line of this batch was still disputed"),
        )
    } else {
        crate::audit::event(ctx, "batch", source_id.to_string(), "L16 corrected")
            .reason(format!("{resubmitted} line(s) resubmitted in {number}"))
    }
    .transition(Some(&record.status), &status_name(&source.status))
    .correlation(correlation.clone());
    let source_version = tx
        .update_batch(
            &EntityUpdate {
                id: source_id,
                expected_version,
                status: status_name(&source.status),
                amount: None,
                payload: batch_payload(&source)?,
                at: ctx.now,
            },
            &event,
        )
        .await
        .map_err(ApplyError::from_store("batch", source_id, expected_version))?;

    // The new batch, its lines in their final state and their events.
    let own = |e: &&engine::audit::AuditEvent| match e.entity {
        Entity::Batch => e.id == batch.header.id,
        Entity::BatchLine => e.id.starts_with(&format!("{}/", batch.header.id)),
        _ => true,
    };
    let mut events = out.events.iter().filter(own);
    insert_claimant_batch(
        tx,
        (id, &number, &record.partner),
        &batch,
        events.next(),
        &correlation,
        ctx,
    )
    .await?;
    insert_lines(tx, id, &batch.lines, "corrected lines", &correlation, ctx).await?;
    let rest: Vec<_> = events.cloned().collect();
    append_all(tx, &rest, ctx, &correlation).await?;

    let status = status_name(&batch.status);
    let mut summary = format!(
        "{} corrected line(s) of {} -> batch {number} {status}; {resubmitted} resubmitted (L16)",
        rows.len(),
        record.number
    );
    let mut outbound = Vec::new();
    let mut claim = None;
    if let Some(cut) = &out.claim {
        let sent = send_claim(tx, &books, partner, id, &batch, cut, ctx).await?;
        summary.push_str(&format!("; claim {} {}", sent.number, sent.amount));
        claim = Some((sent.number, sent.amount));
        outbound.push(sent.outbound);
    }
    debug_assert!(batch.status != BatchStatus::Open);
    Ok(CorrectionOutcome {
        batch: id,
        number,
        status,
        resubmitted,
        source_version,
        claim,
        outbound,
        summary,
    })
}
