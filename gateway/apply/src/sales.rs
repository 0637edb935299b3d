//! `sales_report` (867 from a distributor, §1.2 claimant): one batch of its lines, validated
//! against the stored contracts and the earlier lines with the same invoices; Immediate Claim
//! sends the claim of the valid lines at once, Review and Claim waits for the reviewer.

use chrono::NaiveDate;
use engine::audit::{Actor, Entity, status_name};
use engine::batch::stream::{LineStream, Plan, Survey};
use engine::batch::{Batch, BatchClaim, BatchHeader, BatchKind, BatchSummary};
use engine::caps::CapLedger;
use engine::sale::SaleLine;
use engine::settings::Role;
use schemas::SalesReport;
use store::{EntityUpdate, NewBatchLine, NewClaimLine, StoreTx};
use uuid::Uuid;

use crate::audit::convert;
use crate::book::{BookCache, Books};
use crate::claim_out::{ClaimLines, StreamedClaim};
use crate::error::ApplyError;
use crate::partners::Partner;
use crate::state::{CHUNK_LINES, batch_payload, history_for, insert_claimant_batch, line_row};
use crate::{Context, Outcome};

/// The batch number of a report: unique per distributor and report id, so the same report
/// under a new message id is recognised (§5.2 header key) and writes nothing.
pub fn batch_number(partner: &str, report_id: &str) -> String {
    format!("{partner}/{report_id}")
}

/// The header of the batch a sales report becomes (claimant side), received and claimed
/// `today`.
pub fn sales_batch_header(
    report: &SalesReport,
    id: String,
    number: String,
    today: NaiveDate,
) -> BatchHeader {
    BatchHeader {
        id,
        number,
        name: report.report_id.clone(),
        kind: BatchKind::Sales867,
        role: Role::Claimant,
        distributor: report.distributor.clone(),
        supplier: report.supplier.clone(),
        // CUR02 of the 867; a report without CUR is in dollars.
        currency: report.currency.clone().unwrap_or_else(|| "USD".to_owned()),
        file_name: None,
        debit_memo: None,
        received_at: today,
        claim_date: today,
        corrects_batch_id: None,
    }
}

pub(crate) async fn apply(
    tx: &mut dyn StoreTx,
    cache: &BookCache,
    partner: &Partner,
    report: &SalesReport,
    message_id: &str,
    ctx: &Context,
) -> Result<Outcome, ApplyError> {
    let number = batch_number(&partner.id, &report.report_id);
    let mut refs = vec![("batch".to_owned(), number.clone())];
    if tx.find_batch(&number).await?.is_some() {
        return Ok(Outcome {
            summary: format!(
                "sales report {} already applied as batch {number}",
                report.report_id
            ),
            refs,
            outbound: vec![],
        });
    }
    let books = cache.snapshot(tx).await?;
    let history = history_for(tx, &partner.id, "claimant", report_invoices(report)).await?;
    let id = Uuid::now_v7();
    let header = sales_batch_header(report, id.to_string(), number.clone(), ctx.today);
    let actor = Actor::Partner(partner.id.clone());
    // The lines stream through in chunks of CHUNK_LINES, each validated once, written with
    // its final statuses and dropped. Those statuses depend on how the batch ends (B2-B5,
    // header tolerance), known only after the last line: the stream runs under the plan of
    // the first chunk, and in the rare batch whose later lines change it, the lines are
    // undone to a savepoint and streamed again under the plan they made. Only the
    // pipeline's per-line key fingerprints and the claim's 844 text grow with the report.
    let (mut batch, opened) = Batch::open_streamed(
        header,
        &partner.settings,
        report.lines.len(),
        &actor,
        ctx.today,
    );
    let bctx = batch.stream_context();
    // §5.1: every cap in force with what earlier batches reserved and consumed (rows locked
    // until commit); every pass starts from it, the movements of the pass that counts are
    // saved.
    let stored_caps = crate::caps::load(tx, &books.book).await?;
    let guess = {
        let mut caps = stored_caps.ledger.clone();
        let mut survey = Survey::new(&batch, &bctx, &books.book, &history, &mut caps, ctx.today);
        for chunk in report.lines.chunks(CHUNK_LINES) {
            survey.preload(&sales_of(chunk));
        }
        for chunk in report.lines.chunks(CHUNK_LINES).take(1) {
            for sale in &sales_of(chunk) {
                survey.add(sale);
            }
        }
        survey.finish()?
    };
    insert_claimant_batch(
        tx,
        (id, &number, &partner.id),
        &batch,
        opened.events.first(),
        message_id,
        ctx,
    )
    .await?;
    const LINES_SAVEPOINT: &str = "streamed_sales_lines";
    tx.savepoint(LINES_SAVEPOINT).await?;
    let lines = Lines {
        report,
        books: &books,
        partner,
        id,
        batch: &batch,
        bctx: &bctx,
        history: &history,
        message_id,
        ctx,
    };
    let mut streamed = lines.stream(tx, &guess, &stored_caps.ledger).await?;
    if !streamed.plan.same_line_states(&guess) {
        tracing::info!(batch = %number, "the first chunk's plan did not hold: streaming the lines again");
        tx.rollback_to_savepoint(LINES_SAVEPOINT).await?;
        let plan = streamed.plan.clone();
        streamed = lines.stream(tx, &plan, &stored_caps.ledger).await?;
    }
    stored_caps.save(tx, &streamed.caps, Some(id), ctx).await?;
    drop(history);
    let Streamed {
        plan,
        mut totals,
        claim,
        ..
    } = streamed;
    let processed = batch.finish_streamed(&plan, ctx.today)?;
    totals.payment_amount = batch.claims.iter().map(|c| c.amount).sum();
    let mut batch_events = processed
        .events
        .into_iter()
        .filter(|e| e.entity == Entity::Batch)
        .map(|e| convert(&e, ctx.now, message_id));
    let end_event = batch_events
        .next()
        .unwrap_or_else(|| crate::audit::event(ctx, "batch", id.to_string(), "B2-B5 end"));
    // Inserted as version 1 above, in this transaction.
    tx.update_batch(
        &EntityUpdate {
            id,
            expected_version: 1,
            status: status_name(&batch.status),
            amount: None,
            payload: batch_payload(&batch)?,
            at: ctx.now,
        },
        &end_event,
    )
    .await
    .map_err(ApplyError::from_store("batch", id, 1))?;
    for event in batch_events {
        tx.append_audit(&event).await?;
    }
    let mut outbound = Vec::new();
    let mut summary = format!(
        "sales report {} -> batch {number} {} ({} lines, {} accepted, {} disputed)",
        report.report_id,
        status_name(&batch.status),
        totals.lines,
        totals.accepted_lines,
        totals.disputes
    );
    if let Some((claim, claim_lines)) = claim {
        let sent = claim
            .finish(claim_lines, plan.valid_amount, tx, ctx)
            .await?;
        summary.push_str(&format!("; claim {} {}", sent.number, sent.amount));
        refs.push(("claim".to_owned(), sent.number.clone()));
        refs.push(("debit_memo".to_owned(), sent.number));
        outbound.push(sent.outbound);
    }
    let contracts: std::collections::BTreeSet<&str> = report
        .lines
        .iter()
        .filter_map(|l| l.contract_id.as_deref())
        .collect();
    refs.extend(
        contracts
            .into_iter()
            .map(|c| ("contract".to_owned(), c.to_owned())),
    );
    tracing::info!(batch = %number, lines = totals.lines, status = %status_name(&batch.status), "sales report applied");
    Ok(Outcome {
        summary,
        refs,
        outbound,
    })
}

/// `state::invoices_of` over the report's lines without converting them: a sales line has no
/// original invoice, so a return refers to its own invoice.
fn report_invoices(report: &SalesReport) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for l in &report.lines {
        let is_return = l.quantity.is_sign_negative() && !l.quantity.is_zero();
        if !l.invoice.is_empty() || is_return {
            out.insert(l.invoice.clone());
        }
    }
    out
}

fn sales_of(chunk: &[schemas::SalesLine]) -> Vec<SaleLine> {
    chunk.iter().map(SaleLine::from).collect()
}

/// Lines validated between a yield to the writer: a few milliseconds of work.
const YIELD_LINES: usize = 256;

/// What streaming a report's lines needs.
struct Lines<'a> {
    report: &'a SalesReport,
    books: &'a Books,
    partner: &'a Partner,
    id: Uuid,
    batch: &'a Batch,
    bctx: &'a engine::rules::BatchContext,
    history: &'a engine::duplicates::LineHistory,
    message_id: &'a str,
    ctx: &'a Context,
}

/// The lines written under a plan, and what they showed.
struct Streamed {
    /// The plan the lines make.
    plan: Plan,
    totals: BatchSummary,
    /// Claim #1 when the plan claimed lines: its row and its lines so far.
    claim: Option<(StreamedClaim, ClaimLines)>,
    /// The cap ledger after the lines' reservations, consumptions and releases.
    caps: CapLedger,
}

impl Lines<'_> {
    /// Validates and writes every line in its final state under `plan`, with claim #1's
    /// lines when the plan claims them, moving a copy of the `caps` ledger.
    async fn stream(
        &self,
        tx: &mut dyn StoreTx,
        plan: &Plan,
        caps: &CapLedger,
    ) -> Result<Streamed, ApplyError> {
        let mut totals = BatchSummary::default();
        let mut claim: Option<StreamedClaim> = None;
        let mut claim_lines = ClaimLines::new(self.id, self.batch);
        // Claim #1 as the plan cuts it; its amount is the plan's, settled when it finishes.
        let cut = plan.claim_valid.then(|| BatchClaim {
            seq: 1,
            lines: Vec::new(),
            amount: plan.valid_amount,
        });
        let mut caps = caps.clone();
        let mut stream = LineStream::new(
            self.batch,
            self.bctx,
            &self.books.book,
            self.history,
            &mut caps,
            self.ctx.today,
            plan,
        );
        for chunk in self.report.lines.chunks(CHUNK_LINES) {
            stream.preload(&sales_of(chunk));
        }
        // Chunk k+1 is validated and serialized while chunk k is written: the two futures
        // share the thread, the first yielding every few hundred lines, so the server
        // parses and inserts rows while the client builds the next ones.
        let mut chunks = self.report.lines.chunks(CHUNK_LINES);
        let mut line_no = 0i64;
        let mut pending: Option<ChunkRows> = None;
        loop {
            let next = chunks.next();
            let to_write = pending.take();
            let build = async {
                match next {
                    Some(chunk) => Some(
                        build_chunk(
                            &mut stream,
                            sales_of(chunk),
                            &mut line_no,
                            &mut totals,
                            &mut claim_lines,
                        )
                        .await,
                    ),
                    None => None,
                }
            };
            let write = async {
                match to_write {
                    Some(rows) => self.write_chunk(tx, rows, &mut claim, cut.as_ref()).await,
                    None => Ok(()),
                }
            };
            let (built, written) = tokio::join!(build, write);
            written?;
            match built {
                Some(rows) => pending = Some(rows?),
                None => break,
            }
        }
        let plan = stream.finish()?;
        Ok(Streamed {
            plan,
            totals,
            claim: claim.map(|c| (c, claim_lines)),
            caps,
        })
    }

    /// Writes a chunk's batch lines, then its claim lines (opening claim #1 with the first).
    async fn write_chunk(
        &self,
        tx: &mut dyn StoreTx,
        rows: ChunkRows,
        claim: &mut Option<StreamedClaim>,
        cut: Option<&BatchClaim>,
    ) -> Result<(), ApplyError> {
        // Line transitions are recorded on the line rows themselves (status, reasons,
        // pricing snapshot); one audit event per chunk, so a million-line report does not
        // write a million audit rows.
        let event = crate::audit::event(self.ctx, "batch", self.id.to_string(), "L1-L5 validate")
            .correlation(self.message_id.to_owned());
        tx.insert_batch_lines(self.id, &rows.batch, self.ctx.now, &event)
            .await?;
        let (false, Some(cut)) = (rows.claim.is_empty(), cut) else {
            return Ok(());
        };
        if claim.is_none() {
            let first_contract = rows.first_claimed_contract.unwrap_or_default();
            *claim = Some(
                StreamedClaim::start(
                    tx,
                    self.books,
                    self.partner,
                    self.id,
                    self.batch,
                    cut,
                    &first_contract,
                    self.ctx,
                )
                .await?,
            );
        }
        if let Some(claim) = claim.as_ref() {
            claim.write_lines(tx, &rows.claim, self.ctx).await?;
        }
        Ok(())
    }
}

/// One chunk's rows, ready to write.
struct ChunkRows {
    batch: Vec<NewBatchLine>,
    claim: Vec<NewClaimLine>,
    /// The contract of the chunk's first claimed line (the claim's supplier owns it).
    first_claimed_contract: Option<String>,
}

/// Validates a chunk's lines in their final state and serializes their rows.
async fn build_chunk(
    stream: &mut LineStream<'_>,
    sales: Vec<SaleLine>,
    line_no: &mut i64,
    totals: &mut BatchSummary,
    claim_lines: &mut ClaimLines,
) -> Result<ChunkRows, ApplyError> {
    let mut rows = ChunkRows {
        batch: Vec::with_capacity(sales.len()),
        claim: Vec::new(),
        first_claimed_contract: None,
    };
    for (n, sale) in sales.into_iter().enumerate() {
        if n > 0 && n % YIELD_LINES == 0 {
            tokio::task::yield_now().await;
        }
        let line = stream.next(sale);
        *line_no += 1;
        totals.add(&line);
        if line.claim.is_some() {
            if rows.first_claimed_contract.is_none() {
                rows.first_claimed_contract = Some(line.contract().unwrap_or_default());
            }
            claim_lines.add(*line_no, &line)?;
        }
        rows.batch.push(line_row(*line_no, &line)?);
    }
    rows.claim = claim_lines.take_rows();
    Ok(rows)
}
