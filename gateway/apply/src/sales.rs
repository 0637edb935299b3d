//! `sales_report` (867 from a distributor, §1.2 claimant): its lines go into batches as the
//! partner's `claim_trigger` cuts them (chargeback-rules 8.1), validated against the stored
//! contracts and the earlier lines with the same invoices.
//!
//! - Daily, Weekly, Monthly: the report joins the one Open batch collecting the period of
//!   the day it posts (`Context::today`, the day it is applied; the key is
//!   `engine::claims::batch_key`), opened by the period's first report. Its lines wait,
//!   unprocessed, until the period has ended and the batch is cut (`crate::cut`): then the
//!   whole period's lines are validated and the batch ended in one transaction (Immediate
//!   Claim claims the valid lines and sends the 844, Review and Claim waits for the
//!   reviewer).
//! - Immediate: one batch per invoice, processed at once (B2–B5; Immediate Claim sends the
//!   claim of its valid lines in the same transaction).

use chrono::NaiveDate;
use engine::audit::{Actor, Entity, status_name};
use engine::batch::stream::{LineStream, Plan, ReturnSales, Survey};
use engine::batch::{Batch, BatchClaim, BatchHeader, BatchKind, BatchLine, BatchSummary};
use engine::caps::CapLedger;
use engine::claims::{batch_key, period_end};
use engine::sale::SaleLine;
use engine::settings::{ClaimTrigger, Role};
use schemas::{SalesLine, SalesReport};
use store::{EntityUpdate, NewBatchLine, NewClaimLine, ReportBatch, StoreTx};
use uuid::Uuid;

use crate::audit::convert;
use crate::book::{BookCache, Books};
use crate::claim_out::{ClaimLines, ClaimedChunk, SentClaim, StreamedClaim};
use crate::error::ApplyError;
use crate::line_source::{Chunk, Chunks, LineSource, return_lines};
use crate::partners::Partner;
use crate::state::{batch_payload, carried, chunk_lookup, insert_claimant_batch, line_row};
use crate::{Context, Outcome};

/// The batch number a report had when every report was its own batch (before migration
/// 0011): a report applied then is still recognised by it. New batches are numbered
/// `<partner>/<batch_key>` ([`period_batch_number`]); `partner/report` still finds a report's
/// batch through `sales_report_batches` (the batches API and [`find_report_batch`]).
pub fn batch_number(partner: &str, report_id: &str) -> String {
    format!("{partner}/{report_id}")
}

/// The number of `partner`'s batch for `engine::claims::batch_key` `key`, e.g.
/// `gooddrug/123456789/2026-12-02` (Daily) or `gooddrug/123456789/invoice/INV1` (Immediate).
pub fn period_batch_number(partner: &str, key: &str) -> String {
    format!("{partner}/{key}")
}

/// The batch a user names by `key`: its id, its number (`partner/supplier/period`, ...), or
/// `partner/report`, the batch that sales report went into.
pub async fn locate_batch(
    read: &mut dyn store::StoreRead,
    key: &str,
) -> Result<Option<store::BatchRecord>, ApplyError> {
    if let Ok(id) = key.parse::<uuid::Uuid>() {
        return Ok(read.get_batch(id).await?);
    }
    if let Some(batch) = read.find_batch(key).await? {
        return Ok(Some(batch));
    }
    match key.split_once('/') {
        Some((partner, report)) => match read.report_batch(partner, report).await? {
            Some(to) => Ok(read.get_batch(to.batch_id).await?),
            None => Ok(None),
        },
        None => Ok(None),
    }
}

/// The batch `partner`'s sales report `report_id` went into (its first, for an Immediate
/// trigger's batch per invoice), if it was applied.
pub async fn find_report_batch(
    read: &mut dyn store::StoreRead,
    partner: &str,
    report_id: &str,
) -> Result<Option<store::BatchRecord>, ApplyError> {
    if let Some(to) = read.report_batch(partner, report_id).await? {
        return Ok(read.get_batch(to.batch_id).await?);
    }
    Ok(read.find_batch(&batch_number(partner, report_id)).await?)
}

/// `number`, or `number-2`, `-3`, ... when a batch has it already (a period cut early on
/// purpose and posted to again, an invoice posted again in a later report).
pub(crate) async fn free_batch_number(
    tx: &mut dyn StoreTx,
    number: String,
) -> Result<String, ApplyError> {
    if tx.find_batch(&number).await?.is_none() {
        return Ok(number);
    }
    let mut n = 2;
    loop {
        let candidate = format!("{number}-{n}");
        if tx.find_batch(&candidate).await?.is_none() {
            return Ok(candidate);
        }
        n += 1;
    }
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
    // The same report under a new message id writes nothing (§5.2 header key): its batch
    // holds it already (pending in a period batch until the cut).
    if let Some(batch) = find_report_batch(tx, &partner.id, &report.report_id).await? {
        return Ok(Outcome {
            summary: format!(
                "sales report {} already applied to batch {}",
                report.report_id, batch.number
            ),
            refs: vec![("batch".to_owned(), batch.number)],
            outbound: vec![],
        });
    }
    if report.lines.is_empty() {
        // A report without lines makes no batch (and a period batch without lines could not
        // be cut): refused whole, as before periods.
        return Err(engine::batch::BatchError::Empty.into());
    }
    let mut outcome = match partner.settings.claim_trigger {
        ClaimTrigger::Immediate => per_invoice(tx, cache, partner, report, message_id, ctx).await?,
        trigger => collect(tx, partner, report, trigger, message_id, ctx).await?,
    };
    let contracts: std::collections::BTreeSet<&str> = report
        .lines
        .iter()
        .filter_map(|l| l.contract_id.as_deref())
        .collect();
    outcome.refs.extend(
        contracts
            .into_iter()
            .map(|c| ("contract".to_owned(), c.to_owned())),
    );
    Ok(outcome)
}

/// Immediate (§8.1): one batch per invoice as it posts, processed at once, in the order the
/// report first lists each invoice.
async fn per_invoice(
    tx: &mut dyn StoreTx,
    cache: &BookCache,
    partner: &Partner,
    report: &SalesReport,
    message_id: &str,
    ctx: &Context,
) -> Result<Outcome, ApplyError> {
    let mut order: Vec<&str> = Vec::new();
    let mut groups: std::collections::HashMap<&str, Vec<SalesLine>> =
        std::collections::HashMap::new();
    for line in &report.lines {
        let group = groups.entry(line.invoice.as_str()).or_insert_with(|| {
            order.push(line.invoice.as_str());
            Vec::new()
        });
        group.push(line.clone());
    }
    let mut outcome = Outcome {
        summary: format!(
            "sales report {}: {} invoice batches",
            report.report_id,
            order.len()
        ),
        refs: Vec::new(),
        outbound: Vec::new(),
    };
    let mut first: Option<(Uuid, i64)> = None;
    for invoice in order {
        let lines = groups.remove(invoice).unwrap_or_default();
        let key = batch_key(
            ClaimTrigger::Immediate,
            &report.supplier.id,
            invoice,
            ctx.today,
        );
        let number = free_batch_number(tx, period_batch_number(&partner.id, &key)).await?;
        let line_count = lines.len() as i64;
        let made = process_now(
            tx, cache, partner, report, lines, number, key, message_id, ctx,
        )
        .await?;
        first.get_or_insert((made.id, line_count));
        outcome.summary.push_str("; ");
        outcome.summary.push_str(&made.outcome.summary);
        outcome.refs.extend(made.outcome.refs);
        outcome.outbound.extend(made.outcome.outbound);
    }
    if let Some((batch_id, line_count)) = first {
        tx.record_report_batch(
            &partner.id,
            &report.report_id,
            &ReportBatch {
                batch_id,
                first_line_no: 1,
                line_count,
                // Not kept pending: no cut reads it.
                return_lines: None,
            },
            false,
            ctx.now,
        )
        .await?;
    }
    Ok(outcome)
}

/// Daily, Weekly, Monthly (§8.1): the report joins the Open batch collecting the period of
/// `ctx.today` (opened here by the period's first report). Its lines are kept as they came
/// (`sales_report_batches.pending_lines`) and numbered on after the period's earlier reports;
/// nothing is validated yet: the cut (`crate::cut`) validates the whole period's lines once,
/// in the transaction that ends the batch (chargeback-rules 6.2: a batch never rests Open
/// with processed lines).
async fn collect(
    tx: &mut dyn StoreTx,
    partner: &Partner,
    report: &SalesReport,
    trigger: ClaimTrigger,
    message_id: &str,
    ctx: &Context,
) -> Result<Outcome, ApplyError> {
    let mut key = batch_key(trigger, &report.supplier.id, "", ctx.today);
    // A claim is in one currency: a period's reports in another go to a batch of their own.
    if let Some(currency) = report.currency.as_deref().filter(|c| *c != "USD") {
        key = format!("{key}/{currency}");
    }
    let end = period_end(trigger, ctx.today).unwrap_or(ctx.today);
    let actor = Actor::Partner(partner.id.clone());
    let (id, number, first_line_no) = match tx.open_period_batch(&partner.id, &key).await? {
        Some(record) => {
            // The batch row is taken first (its version moves, the row stays locked on
            // PostgreSQL until commit): a concurrent report for the period, or a cut, waits
            // or meets a Conflict and is retried, so line numbers never collide and a cut
            // never misses a report.
            let event = crate::audit::event(ctx, "batch", record.id.to_string(), "B1 lines added")
                .transition(Some(&record.status), &record.status)
                .correlation(message_id.to_owned())
                .reason(format!(
                    "sales report {}: {} lines",
                    report.report_id,
                    report.lines.len()
                ));
            tx.update_batch(
                &EntityUpdate {
                    id: record.id,
                    expected_version: record.version,
                    status: record.status.clone(),
                    amount: None,
                    payload: record.payload.clone(),
                    at: ctx.now,
                },
                &event,
            )
            .await
            .map_err(ApplyError::from_store("batch", record.id, record.version))?;
            let next = tx.next_report_line_no(record.id).await?;
            (record.id, record.number, next)
        }
        None => {
            let id = Uuid::now_v7();
            let number = free_batch_number(tx, period_batch_number(&partner.id, &key)).await?;
            let mut header = sales_batch_header(report, id.to_string(), number.clone(), ctx.today);
            header.name = key.clone();
            // Settings (the trigger among them) are frozen here, at creation (§2.1).
            let (batch, opened) = Batch::open_streamed(
                header,
                &partner.settings,
                report.lines.len(),
                &actor,
                ctx.today,
            );
            insert_claimant_batch(
                tx,
                (id, &number, &partner.id),
                &batch,
                opened.events.first(),
                message_id,
                ctx,
            )
            .await?;
            tx.set_batch_period(id, &key, &end.to_string()).await?;
            (id, number, 1)
        }
    };
    let recorded = tx
        .record_report_batch(
            &partner.id,
            &report.report_id,
            &ReportBatch {
                batch_id: id,
                first_line_no,
                line_count: report.lines.len() as i64,
                return_lines: Some(return_lines(&report.lines)),
            },
            true,
            ctx.now,
        )
        .await?;
    if recorded {
        LineSource::keep_pending(tx, &partner.id, &report.report_id, &report.lines).await?;
    }
    tracing::info!(batch = %number, report = %report.report_id, lines = report.lines.len(), first_line_no, period_end = %end, "sales report collected");
    Ok(Outcome {
        summary: format!(
            "sales report {} -> batch {number} open until {end} is cut ({} lines from line {first_line_no}, validated at the cut)",
            report.report_id,
            report.lines.len()
        ),
        refs: vec![("batch".to_owned(), number)],
        outbound: vec![],
    })
}

/// A batch processed at once.
struct Made {
    id: Uuid,
    outcome: Outcome,
}

/// One new batch of `lines` (an Immediate trigger's invoice), processed at once.
#[allow(clippy::too_many_arguments)]
async fn process_now(
    tx: &mut dyn StoreTx,
    cache: &BookCache,
    partner: &Partner,
    report: &SalesReport,
    report_lines: Vec<SalesLine>,
    number: String,
    name: String,
    message_id: &str,
    ctx: &Context,
) -> Result<Made, ApplyError> {
    let mut refs = vec![("batch".to_owned(), number.clone())];
    let id = Uuid::now_v7();
    let mut header = sales_batch_header(report, id.to_string(), number.clone(), ctx.today);
    header.name = name;
    let actor = Actor::Partner(partner.id.clone());
    let (mut batch, opened) = Batch::open_streamed(
        header,
        &partner.settings,
        report_lines.len(),
        &actor,
        ctx.today,
    );
    let target = Target {
        id,
        number: &number,
        row: Row::New {
            opened: opened.events.first(),
        },
        renumber: false,
        correlation: message_id,
    };
    let source = LineSource::Held(report_lines);
    let done = process_batch(tx, cache, partner, &mut batch, target, &source, ctx).await?;
    let totals = &done.totals;
    let mut summary = format!(
        "sales report {} -> batch {number} {} ({} lines, {} accepted, {} disputed)",
        report.report_id, done.status, totals.lines, totals.accepted_lines, totals.disputes
    );
    let mut outbound = Vec::new();
    if let Some(sent) = done.claim {
        summary.push_str(&format!("; claim {} {}", sent.number, sent.amount));
        refs.push(("claim".to_owned(), sent.number.clone()));
        refs.push(("debit_memo".to_owned(), sent.number));
        outbound.push(sent.outbound);
    }
    Ok(Made {
        id,
        outcome: Outcome {
            summary,
            refs,
            outbound,
        },
    })
}

/// The batch a [`process_batch`] fills.
pub(crate) struct Target<'a> {
    pub id: Uuid,
    pub number: &'a str,
    pub row: Row<'a>,
    /// Whether each line's id becomes its batch line number (in a period batch, where the
    /// lines of several reports meet; each report's place is kept by
    /// `sales_report_batches.first_line_no`).
    pub renumber: bool,
    /// The audit events' correlation.
    pub correlation: &'a str,
}

/// The batch's row.
pub(crate) enum Row<'a> {
    /// Not written yet: inserted (version 1) with the engine's opening event.
    New {
        opened: Option<&'a engine::audit::AuditEvent>,
    },
    /// Written and taken at `version` (a period batch being cut); the end event gets
    /// `reason`.
    Taken { version: i64, reason: String },
}

/// What [`process_batch`] did.
pub(crate) struct Processed {
    /// The batch's status after B2–B5.
    pub status: String,
    /// The batch row's version after it.
    pub version: i64,
    pub totals: BatchSummary,
    /// Claim #1 and its 844, when the valid lines were claimed.
    pub claim: Option<SentClaim>,
}

/// Validates the lines of `source` into the Open `batch` (L1–L5) and ends it (B2–B5) in this
/// transaction: each line is written once, in its final state, and when the batch claims its
/// valid lines claim #1 and its 844 are written as they stream. The lines are read a chunk at
/// a time in each pass: one pass gathers what validation needs of every line (invoices for
/// the history, the sales returns may refer to), a second validates and writes them, a third
/// only when the first chunk's plan did not hold. The lines are never held all at once
/// unless the source holds them.
pub(crate) async fn process_batch(
    tx: &mut dyn StoreTx,
    cache: &BookCache,
    partner: &Partner,
    batch: &mut Batch,
    target: Target<'_>,
    source: &LineSource,
    ctx: &Context,
) -> Result<Processed, ApplyError> {
    let id = target.id;
    let started = std::time::Instant::now();
    let books = cache.snapshot(tx).await?;
    // The lines stream through in chunks of CHUNK_LINES, each validated once, written with
    // its final statuses and dropped. Those statuses depend on how the batch ends (B2-B5,
    // header tolerance), known only after the last line: the stream runs under the plan of
    // the first chunk, and in the rare batch whose later lines change it, the lines are
    // undone to a savepoint and streamed again under the plan they made. What a chunk's
    // lines are checked against (earlier lines of the batch and of other batches with the
    // same invoices) is read from the store per chunk, so memory does not grow with the
    // lines (claim #1's 844 text goes to a file once it is large, `crate::spool`).
    let bctx = batch.stream_context();
    let Gathered { returns, first } = gather(tx, source, batch, &bctx).await?;
    let gathered_at = started.elapsed();
    // §5.1: every cap in force with what earlier batches reserved and consumed (rows locked
    // until commit); every pass starts from it, the movements of the pass that counts are
    // saved.
    let stored_caps = crate::caps::load(tx, &books.book).await?;
    let (guess, history_at) = {
        let mut caps = stored_caps.ledger.clone();
        let mut survey =
            Survey::chunked((batch, &bctx, &books.book), &mut caps, ctx.today, &returns);
        // No line of this batch is written yet: only other batches' history is read.
        let invoices = survey.next_chunk().invoices(&first);
        let (history, _) = chunk_lookup(tx, (&partner.id, id), &invoices, 1).await?;
        let history_at = started.elapsed();
        survey.next_chunk().begin([], history, &first);
        for sale in &first {
            survey.add(sale);
        }
        (survey.finish()?, history_at)
    };
    drop(first);
    let surveyed = started.elapsed();
    let version = match &target.row {
        Row::New { opened } => {
            insert_claimant_batch(
                tx,
                (id, target.number, &partner.id),
                batch,
                *opened,
                target.correlation,
                ctx,
            )
            .await?;
            1
        }
        Row::Taken { version, .. } => *version,
    };
    const LINES_SAVEPOINT: &str = "streamed_sales_lines";
    tx.savepoint(LINES_SAVEPOINT).await?;
    let streaming = Lines {
        source,
        renumber: target.renumber,
        books: &books,
        partner,
        id,
        batch,
        bctx: &bctx,
        returns: &returns,
        correlation: target.correlation,
        ctx,
    };
    let mut streamed = streaming.stream(tx, &guess, &stored_caps.ledger).await?;
    if !streamed.plan.same_line_states(&guess) {
        tracing::info!(batch = %target.number, "the first chunk's plan did not hold: streaming the lines again");
        tx.rollback_to_savepoint(LINES_SAVEPOINT).await?;
        let plan = streamed.plan.clone();
        streamed = streaming.stream(tx, &plan, &stored_caps.ledger).await?;
    }
    let streamed_at = started.elapsed();
    stored_caps.save(tx, &streamed.caps, Some(id), ctx).await?;
    let Streamed {
        plan,
        mut totals,
        claim,
        ..
    } = streamed;
    let from = status_name(&batch.status);
    let processed = batch.finish_streamed(&plan, ctx.today)?;
    totals.payment_amount = batch.claims.iter().map(|c| c.amount).sum();
    let status = status_name(&batch.status);
    let mut batch_events = processed
        .events
        .into_iter()
        .filter(|e| e.entity == Entity::Batch)
        .map(|e| convert(&e, ctx.now, target.correlation));
    let mut end_event = batch_events.next().unwrap_or_else(|| {
        crate::audit::event(ctx, "batch", id.to_string(), "B2-B5 end")
            .transition(Some(&from), &status)
    });
    if let Row::Taken { reason, .. } = &target.row {
        end_event = end_event.reason(reason.clone());
    }
    let version = tx
        .update_batch(
            &EntityUpdate {
                id,
                expected_version: version,
                status: status.clone(),
                amount: None,
                payload: batch_payload(batch)?,
                at: ctx.now,
            },
            &end_event,
        )
        .await
        .map_err(ApplyError::from_store("batch", id, version))?;
    for event in batch_events {
        tx.append_audit(&event).await?;
    }
    let claim = match claim {
        Some((claim, claim_lines)) => Some(
            claim
                .finish(claim_lines, plan.valid_amount, tx, ctx)
                .await?,
        ),
        None => None,
    };
    tracing::debug!(batch = %target.number, gathered = ?gathered_at, history = ?history_at, ?surveyed, streamed = ?streamed_at, total = ?started.elapsed(), "batch phases");
    tracing::info!(batch = %target.number, lines = totals.lines, %status, "batch processed");
    Ok(Processed {
        status,
        version,
        totals,
        claim,
    })
}

/// What validating any line of a batch needs of all of them, gathered in a first pass.
struct Gathered {
    /// The sales the batch's returns find only after them (§13.10).
    returns: ReturnSales,
    /// The first chunk's lines, for the survey.
    first: Vec<SaleLine>,
}

async fn gather(
    tx: &mut dyn StoreTx,
    source: &LineSource,
    batch: &Batch,
    bctx: &engine::rules::BatchContext,
) -> Result<Gathered, ApplyError> {
    let mut gathered = Gathered {
        returns: ReturnSales::new(&batch.settings, bctx),
        first: Vec::new(),
    };
    if !source.may_hold_returns() {
        // No return: nothing to gather but the first chunk (the stream checks the count).
        if let Some(chunk) = source.chunks().next(tx).await? {
            gathered.first = chunk.sales()?;
        }
        return Ok(gathered);
    }
    // Two chunks are parsed at once on blocking threads, and the next one read, while the
    // one before is added.
    let mut chunks = source.chunks();
    let mut parsing = std::collections::VecDeque::with_capacity(3);
    let mut lines = 0;
    let mut more = true;
    while more && parsing.len() < 2 {
        match chunks.next(tx).await? {
            Some(chunk) => parsing.push_back(chunk.sales_apart()),
            None => more = false,
        }
    }
    while let Some(next) = parsing.pop_front() {
        let sales = next.lines().await?;
        lines += sales.len();
        let read = async {
            match more {
                true => chunks.next(tx).await,
                false => Ok(None),
            }
        };
        let add = async {
            gathered.returns.add(&sales);
        };
        let (read, ()) = tokio::join!(read, add);
        match read? {
            Some(chunk) => parsing.push_back(chunk.sales_apart()),
            None => more = false,
        }
        if gathered.first.is_empty() {
            gathered.first = sales;
        }
    }
    same_count(batch, lines, source)?;
    Ok(gathered)
}

/// Whether a pass read as many lines as `source` recorded.
fn same_count(batch: &Batch, lines: usize, source: &LineSource) -> Result<(), ApplyError> {
    if lines == source.line_count() {
        return Ok(());
    }
    Err(ApplyError::Corrupt {
        what: format!(
            "batch {}: {lines} lines read, {} recorded",
            batch.header.number,
            source.line_count()
        ),
        source: serde::de::Error::custom("pending lines missing or extra"),
    })
}

/// Lines validated between a yield to the writer: a few milliseconds of work.
const YIELD_LINES: usize = 256;

/// What streaming a batch's lines needs.
struct Lines<'a> {
    source: &'a LineSource,
    /// Whether each line's id becomes its batch line number ([`Target::renumber`]).
    renumber: bool,
    books: &'a Books,
    partner: &'a Partner,
    id: Uuid,
    batch: &'a Batch,
    bctx: &'a engine::rules::BatchContext,
    returns: &'a ReturnSales,
    correlation: &'a str,
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
        let renumber = self.renumber;
        // Other batches' lines come with each chunk (`NextChunk::begin`), not for the whole batch.
        let mut stream = LineStream::chunked(
            (self.batch, self.bctx, &self.books.book),
            &mut caps,
            self.ctx.today,
            plan,
            self.returns,
        );
        // Three chunks at once: while chunk k+1 is validated (in line order, here), chunk k
        // is serialized on a blocking thread and then written, and chunk k+2 is read and
        // parsed on a blocking thread. Validation yields every few hundred lines, so the
        // writer keeps the server busy while the client builds the next rows. Before chunk
        // k+1 is validated, the lines it meets are read: of chunks up to k-1 from the store
        // (chunk k, validated, is not written yet: the stream remembers it).
        let mut chunks: Chunks<'_> = self.source.chunks();
        let mut next = chunks.next(tx).await?.map(Chunk::sales_apart);
        let mut line_no = 0;
        let mut serializing: Option<Serializing> = None;
        // Where the stream's time goes, for `RUST_LOG=apply=debug`: validating (the task),
        // waiting for a chunk's rows, writing them, reading the next chunk, and reading what
        // each chunk meets.
        let mut validating = std::time::Duration::ZERO;
        let mut spent = StreamTimes::default();
        // The first line number of the chunk validated last (not written yet).
        let mut unwritten_from = 1;
        loop {
            let sales = match next.take() {
                Some(parsing) => {
                    let sales = parsing.lines().await?;
                    let started = std::time::Instant::now();
                    let invoices = stream.next_chunk().invoices(&sales);
                    let (history, earlier) =
                        chunk_lookup(tx, (&self.partner.id, self.id), &invoices, unwritten_from)
                            .await?;
                    spent.lookup += started.elapsed();
                    stream.next_chunk().begin(&earlier, history, &sales);
                    unwritten_from = line_no + 1;
                    Some(sales)
                }
                None => None,
            };
            let to_write = serializing.take();
            if sales.is_none() && to_write.is_none() {
                break;
            }
            let build = async {
                match sales {
                    Some(sales) => {
                        let mut chunk = ValidatedChunk {
                            lines: Vec::new(),
                            claimed: claim_lines.chunk(),
                            first_claimed_contract: None,
                        };
                        let started = std::time::Instant::now();
                        validate_chunk(
                            &mut stream,
                            sales,
                            renumber,
                            (&mut line_no, &mut totals, &mut claim_lines),
                            &mut chunk,
                        )
                        .await;
                        validating += started.elapsed();
                        Ok::<_, ApplyError>(Some(chunk.serialize_apart()))
                    }
                    None => Ok(None),
                }
            };
            let write = async {
                let mut doc = None;
                if let Some(serializing) = to_write {
                    let started = std::time::Instant::now();
                    let mut rows = serializing.rows().await?;
                    spent.rows += started.elapsed();
                    doc = Some(std::mem::take(&mut rows.doc));
                    let started = std::time::Instant::now();
                    self.write_chunk(tx, rows, &mut claim, cut.as_ref()).await?;
                    spent.write += started.elapsed();
                }
                let started = std::time::Instant::now();
                let read = chunks.next(tx).await?.map(Chunk::sales_apart);
                spent.read += started.elapsed();
                Ok::<_, ApplyError>((read, doc))
            };
            let (built, written) = tokio::join!(build, write);
            let (read, doc) = written?;
            if let Some(doc) = doc {
                claim_lines.append(&doc)?;
            }
            next = read;
            serializing = built?;
        }
        same_count(self.batch, line_no as usize, self.source)?;
        let plan = stream.finish()?;
        tracing::debug!(lines = line_no, validate = ?validating, wait_for_rows = ?spent.rows, write = ?spent.write, read = ?spent.read, lookup = ?spent.lookup, "stream stages");
        Ok(Streamed {
            plan,
            totals,
            claim: claim.map(|c| (c, claim_lines)),
            caps,
        })
    }

    /// Writes a chunk's batch lines (with the claim lines they carry), then its other claim
    /// lines, opening claim #1 before the first line it claims.
    async fn write_chunk(
        &self,
        tx: &mut dyn StoreTx,
        mut rows: ChunkRows,
        claim: &mut Option<StreamedClaim>,
        cut: Option<&BatchClaim>,
    ) -> Result<(), ApplyError> {
        // Line transitions are recorded on the line rows themselves (status, reasons,
        // pricing snapshot); one audit event per chunk, so a million-line report does not
        // write a million audit rows.
        let event = crate::audit::event(self.ctx, "batch", self.id.to_string(), "L1-L5 validate")
            .correlation(self.correlation.to_owned());
        let claims_lines =
            !rows.claim.is_empty() || rows.batch.iter().any(|l| l.claim_line.is_some());
        let cut = match (claims_lines, cut) {
            (true, Some(cut)) => cut,
            _ => {
                // No line of the chunk is claimed, or the plan cuts no claim: nothing to carry.
                for line in &mut rows.batch {
                    line.claim_line = None;
                }
                tx.insert_batch_lines(self.id, &rows.batch, self.ctx.now, &event)
                    .await?;
                return Ok(());
            }
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
        tx.insert_batch_lines(self.id, &rows.batch, self.ctx.now, &event)
            .await?;
        if let Some(claim) = claim.as_ref() {
            claim.write_lines(tx, &rows.claim, self.ctx).await?;
        }
        Ok(())
    }
}

/// Time the writer of a stream spent in each stage, summed over its chunks.
#[derive(Default)]
struct StreamTimes {
    rows: std::time::Duration,
    write: std::time::Duration,
    read: std::time::Duration,
    lookup: std::time::Duration,
}

/// One chunk's rows, ready to write.
struct ChunkRows {
    batch: Vec<NewBatchLine>,
    claim: Vec<NewClaimLine>,
    /// The claim lines as the 844's, in line order ([`ClaimLines::append`]).
    doc: Vec<u8>,
    /// The contract of the chunk's first claimed line (the claim's supplier owns it).
    first_claimed_contract: Option<String>,
}

/// One chunk's lines in their final state, to serialize.
struct ValidatedChunk {
    /// (batch line number, line).
    lines: Vec<(i64, BatchLine)>,
    claimed: ClaimedChunk,
    first_claimed_contract: Option<String>,
}

impl ValidatedChunk {
    /// Serializes the chunk's rows on a blocking thread: most of the client's work per line
    /// is JSON, and it needs nothing but the lines, so it runs beside the next chunk's
    /// validation.
    fn serialize_apart(self) -> Serializing {
        Serializing(tokio::task::spawn_blocking(move || {
            let mut batch: Vec<NewBatchLine> = self
                .lines
                .iter()
                .map(|(line_no, line)| line_row(*line_no, line))
                .collect::<Result<_, _>>()?;
            let batch_id = self.claimed.batch_id();
            let (claimed, doc) = self.claimed.serialize(&self.lines)?;
            // Claim #1's lines ride on the batch lines they claim: no second row each.
            let mut claim = Vec::new();
            for (at, row) in claimed {
                match batch.get_mut(at) {
                    Some(line) => match carried(row, (batch_id, line.line_no)) {
                        Ok(kept) => line.claim_line = Some(kept),
                        Err(row) => claim.push(row),
                    },
                    None => claim.push(row),
                }
            }
            Ok(ChunkRows {
                batch,
                claim,
                doc,
                first_claimed_contract: self.first_claimed_contract,
            })
        }))
    }
}

/// A chunk's rows being serialized ([`ValidatedChunk::serialize_apart`]).
struct Serializing(tokio::task::JoinHandle<Result<ChunkRows, ApplyError>>);

impl Serializing {
    async fn rows(self) -> Result<ChunkRows, ApplyError> {
        self.0.await.map_err(|e| ApplyError::Corrupt {
            what: "batch lines".to_owned(),
            source: serde::de::Error::custom(format!("serializing stopped: {e}")),
        })?
    }
}

/// Validates a chunk's lines in their final state into `chunk`, numbering them on from
/// `line_no` and counting them in `totals` and, when claimed, in `claim_lines`.
async fn validate_chunk(
    stream: &mut LineStream<'_>,
    sales: Vec<SaleLine>,
    renumber: bool,
    (line_no, totals, claim_lines): (&mut i64, &mut BatchSummary, &mut ClaimLines),
    chunk: &mut ValidatedChunk,
) {
    chunk.lines.reserve(sales.len());
    for (n, mut sale) in sales.into_iter().enumerate() {
        if n > 0 && n % YIELD_LINES == 0 {
            tokio::task::yield_now().await;
        }
        *line_no += 1;
        if renumber {
            sale.line = line_no.to_string();
        }
        let line = stream.next(sale);
        totals.add(&line);
        if line.claim.is_some() {
            if chunk.first_claimed_contract.is_none() {
                chunk.first_claimed_contract = Some(line.contract().unwrap_or_default());
            }
            claim_lines.add(&line, chunk.lines.len(), &mut chunk.claimed);
        }
        chunk.lines.push((*line_no, line));
    }
}
