//! A batch whose lines stream through in chunks (a sales report of a million lines): the same
//! batch, lines, statuses and claim as [`Batch::process_with`], without holding the lines.
//!
//! How the batch ends (B2–B5) and whether the header tolerance fails (§13.4) depend on every
//! line, and they decide each line's final status. A [`Survey`] of some lines keeps only
//! counts and sums and yields a [`Plan`]: of every line, the plan itself; of the first chunk,
//! a guess. A [`LineStream`] validates the lines and hands out each in its final state under
//! a plan, ready to be written and dropped, and observes the plan the lines really make
//! ([`LineStream::finish`]). When that plan gives the lines other states than the guess did
//! ([`Plan::same_line_states`]), the caller discards what it wrote and streams again under the
//! observed plan. Both passes see the same book, history and a fresh cap ledger, and the
//! pipeline is deterministic, so they agree line for line. Like
//! `process_with(.., LineEvents::None)`, no per-line event is returned; unlike it, the history
//! and cap ledgers are not updated after validation (callers drop them once the batch is
//! validated). Validated `in_chunks`, each chunk is announced with what it meets of earlier
//! lines and other batches ([`NextChunk`]), so nothing kept grows with the batch.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::Outcome;
use super::{Batch, BatchClaim, BatchError, BatchHeader, BatchLine, BatchStatus, LineStatus};
use crate::audit::Actor;
use crate::caps::CapLedger;
use crate::contracts::ContractBook;
use crate::duplicates::LineHistory;
use crate::rules::{BatchContext, Pipeline, Validation};
pub use crate::rules::{ChunkInvoices, ReturnSales};
use crate::sale::SaleLine;
use crate::settings::{BatchMode, EngineSettings};

/// How a streamed batch ends, learnt from a first pass over its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Lines in the batch.
    pub lines: usize,
    /// Lines valid after the header tolerance check (Accepted or Claimed in the end).
    pub valid: usize,
    /// Whether the lines passed within tolerance fail the header tolerance (§13.4).
    pub tolerance_failed: bool,
    /// Whether the valid lines are claimed now (B3, or B4 in Immediate Claim).
    pub claim_valid: bool,
    /// Σ accepted amounts of the valid lines: claim #1's amount when `claim_valid`.
    pub valid_amount: Decimal,
}

impl Plan {
    /// Whether `other` gives every line the same final state as this plan: the same header
    /// tolerance outcome, the same claim decision and the same B2 (no valid line) decision.
    /// Counts and amounts may differ.
    pub fn same_line_states(&self, other: &Plan) -> bool {
        self.tolerance_failed == other.tolerance_failed
            && self.claim_valid == other.claim_valid
            && (self.valid == 0) == (other.valid == 0)
    }

    /// The status the batch ends in, and the rule that moves it there.
    fn end(&self, mode: BatchMode) -> (BatchStatus, &'static str) {
        if self.valid == 0 {
            (BatchStatus::Rejected, "B2 all lines disputed")
        } else if self.valid == self.lines {
            (BatchStatus::Closed, "B3 every line claimable")
        } else if mode == BatchMode::ImmediateClaim {
            (
                BatchStatus::AwaitingReview,
                "B4 claim #1, disputes to review",
            )
        } else {
            (BatchStatus::AwaitingReview, "B5 disputes to review")
        }
    }
}

#[derive(Debug, Default)]
struct Bucket {
    lines: usize,
    amount: Decimal,
}

/// What decides a batch's end, counted line by line.
#[derive(Debug)]
struct Tally {
    mode: BatchMode,
    lines: usize,
    /// Valid lines that passed V9 without tolerance.
    clean: Bucket,
    /// Valid lines that passed V9 only thanks to tolerance (they fail with the header).
    tolerated: Bucket,
}

impl Tally {
    fn new(mode: BatchMode) -> Self {
        Self {
            mode,
            lines: 0,
            clean: Bucket::default(),
            tolerated: Bucket::default(),
        }
    }

    /// Counts a line as the pipeline validated it (before any plan applies).
    fn add(&mut self, v: &Validation) {
        self.lines += 1;
        if v.status != LineStatus::Accepted {
            return;
        }
        let bucket = if v.within_tolerance {
            &mut self.tolerated
        } else {
            &mut self.clean
        };
        bucket.lines += 1;
        bucket.amount += v.accepted_amount.unwrap_or_default();
    }

    /// The plan of the lines counted; `Empty` for none.
    fn plan(self, tolerance_failed: bool) -> Result<Plan, BatchError> {
        if self.lines == 0 {
            return Err(BatchError::Empty);
        }
        let (valid, valid_amount) = if tolerance_failed {
            (self.clean.lines, self.clean.amount)
        } else {
            (
                self.clean.lines + self.tolerated.lines,
                self.clean.amount + self.tolerated.amount,
            )
        };
        Ok(Plan {
            lines: self.lines,
            valid,
            tolerance_failed,
            claim_valid: valid > 0
                && (valid == self.lines || self.mode == BatchMode::ImmediateClaim),
            valid_amount,
        })
    }
}

/// The whole-batch history of a batch validated in chunks: none (each chunk brings its own).
static NO_HISTORY: std::sync::LazyLock<LineHistory> = std::sync::LazyLock::new(LineHistory::new);

/// The pipeline of a streamed batch's lines, reserving in `caps`.
fn batch_pipeline<'a>(
    batch: &'a Batch,
    ctx: &'a BatchContext,
    book: &'a ContractBook,
    history: &'a LineHistory,
    caps: &'a mut CapLedger,
    today: NaiveDate,
) -> Pipeline<'a> {
    Pipeline::new(book, &batch.settings, ctx, today, history, Some(caps))
}

/// How a [`Survey`] or [`LineStream`] validated `in_chunks` is told of its next chunk: first
/// the chunk's invoices, for the caller's lookup, then what the lookup found.
pub struct NextChunk<'p, 'a>(&'p mut Pipeline<'a>);

impl NextChunk<'_, '_> {
    /// The invoices of `sales`, the next chunk: `all` for the history of other batches, `new`
    /// (not on the chunk before) for the batch's own earlier lines; each once, as the keys
    /// compare them.
    pub fn invoices<'s>(&mut self, sales: &'s [SaleLine]) -> ChunkInvoices<'s> {
        self.0.chunk_invoices(sales)
    }

    /// Starts the next chunk, `sales`. `earlier` are the batch's lines before the previous
    /// chunk (as streamed: the validation keeps their keys) on the `new` invoices, spelt any
    /// way the keys ignore, in batch order; `history` the lines of other batches on `all`.
    pub fn begin<'l>(
        &mut self,
        earlier: impl IntoIterator<Item = &'l BatchLine>,
        history: LineHistory,
        sales: &[SaleLine],
    ) {
        let earlier = earlier
            .into_iter()
            .map(|l| (&l.sale, l.validation.as_ref().and_then(|v| v.keys)));
        self.0.begin_chunk(earlier, history, sales);
    }
}

/// A pass that validates lines and keeps only what decides the batch's end.
pub struct Survey<'a> {
    pipeline: Pipeline<'a>,
    tally: Tally,
}

impl<'a> Survey<'a> {
    /// A survey of `batch`'s lines (`batch` from [`Batch::open_streamed`], `ctx` its
    /// [`Batch::stream_context`]).
    pub fn new(
        batch: &'a Batch,
        ctx: &'a BatchContext,
        book: &'a ContractBook,
        history: &'a LineHistory,
        caps: &'a mut CapLedger,
        today: NaiveDate,
    ) -> Self {
        Self {
            pipeline: batch_pipeline(batch, ctx, book, history, caps, today),
            tally: Tally::new(batch.mode),
        }
    }

    /// Makes lines known as originals of the batch's returns: call with every chunk before
    /// the first [`Survey::add`].
    pub fn preload(&mut self, sales: &[SaleLine]) {
        self.pipeline.preload_sales(sales);
    }

    /// Validates the lines in chunks, as [`LineStream::in_chunks`].
    pub fn in_chunks(mut self, return_sales: &'a ReturnSales) -> Self {
        self.pipeline.in_chunks(return_sales);
        self
    }

    /// A survey validated in chunks from the start: each chunk brings the history it meets
    /// ([`NextChunk::begin`]), so none is given for the whole batch.
    pub fn chunked(
        (batch, ctx, book): (&'a Batch, &'a BatchContext, &'a ContractBook),
        caps: &'a mut CapLedger,
        today: NaiveDate,
        return_sales: &'a ReturnSales,
    ) -> Self {
        Self::new(batch, ctx, book, &NO_HISTORY, caps, today).in_chunks(return_sales)
    }

    /// The next chunk's calls, as [`LineStream::next_chunk`].
    pub fn next_chunk(&mut self) -> NextChunk<'_, 'a> {
        NextChunk(&mut self.pipeline)
    }

    /// Validates the next line.
    pub fn add(&mut self, sale: &SaleLine) {
        let v = self.pipeline.validate(sale);
        self.tally.add(&v);
    }

    /// The plan of the lines surveyed (of the whole batch when every line was added; a
    /// guess otherwise); `Empty` for a batch without lines.
    pub fn finish(self) -> Result<Plan, BatchError> {
        let tolerance_failed = self.pipeline.finish().exceeded;
        self.tally.plan(tolerance_failed)
    }
}

/// Validates the lines and gives each its final state under a plan (L1–L5, L13), observing
/// the plan the lines really make.
pub struct LineStream<'a> {
    pipeline: Pipeline<'a>,
    plan: &'a Plan,
    tally: Tally,
}

impl<'a> LineStream<'a> {
    /// The stream of `batch`'s lines under `plan` (same arguments as the [`Survey`]).
    pub fn new(
        batch: &'a Batch,
        ctx: &'a BatchContext,
        book: &'a ContractBook,
        history: &'a LineHistory,
        caps: &'a mut CapLedger,
        today: NaiveDate,
        plan: &'a Plan,
    ) -> Self {
        Self {
            pipeline: batch_pipeline(batch, ctx, book, history, caps, today),
            plan,
            tally: Tally::new(batch.mode),
        }
    }

    /// As [`Survey::preload`].
    pub fn preload(&mut self, sales: &[SaleLine]) {
        self.pipeline.preload_sales(sales);
    }

    /// Validates the lines in chunks, each announced through [`LineStream::next_chunk`], holding
    /// only what the current chunk can meet instead of the whole batch's sale keys;
    /// `return_sales` were gathered from every line of the batch before.
    pub fn in_chunks(mut self, return_sales: &'a ReturnSales) -> Self {
        self.pipeline.in_chunks(return_sales);
        self
    }

    /// A stream validated in chunks from the start, as [`Survey::chunked`].
    pub fn chunked(
        (batch, ctx, book): (&'a Batch, &'a BatchContext, &'a ContractBook),
        caps: &'a mut CapLedger,
        today: NaiveDate,
        plan: &'a Plan,
        return_sales: &'a ReturnSales,
    ) -> Self {
        Self::new(batch, ctx, book, &NO_HISTORY, caps, today, plan).in_chunks(return_sales)
    }

    /// The calls that announce the next chunk, each chunk before its first line
    /// ([`NextChunk`]).
    pub fn next_chunk(&mut self) -> NextChunk<'_, 'a> {
        NextChunk(&mut self.pipeline)
    }

    /// The next line, validated, in the status it ends the processing in under the plan.
    pub fn next(&mut self, sale: SaleLine) -> BatchLine {
        let mut v = self.pipeline.validate(&sale);
        self.tally.add(&v);
        if self.plan.tolerance_failed && v.status == LineStatus::Accepted && v.within_tolerance {
            v.fail_header_tolerance();
        }
        let mut line = BatchLine::new(sale);
        let status = v.status;
        if status == LineStatus::Accepted {
            line.accepted_amount = v.accepted_amount;
            line.accepted_quantity = Some(line.sale.quantity);
        }
        line.validation = Some(v);
        line.status = status;
        if status == LineStatus::Accepted {
            if self.plan.claim_valid {
                // L5 (IC) or L8 via B3: the reservation becomes consumption (§5.1).
                line.status = LineStatus::Claimed;
                line.claim = Some(1);
                self.pipeline.consume_caps(&line.sale);
            }
        } else if self.plan.valid == 0 {
            // B2: L13, the reason is the line's dispute category.
            line.reject_reason = Some(line.dispute_category());
            line.status = LineStatus::Rejected;
        }
        line
    }

    /// The plan the streamed lines make, once every line went through [`LineStream::next`].
    /// The lines the header tolerance failed give their cap reservations back (§5.1), as
    /// [`Batch::process_with`] does at the end of a whole batch; until then they hold them, so
    /// every pass and the whole batch see the same remaining quantities.
    pub fn finish(self) -> Result<Plan, BatchError> {
        let tolerance_failed = self.pipeline.finish().exceeded;
        self.tally.plan(tolerance_failed)
    }
}

impl Batch {
    /// B1 for a batch whose `lines` lines stream through [`Survey`] and [`LineStream`]: the
    /// batch without its lines.
    pub fn open_streamed(
        header: BatchHeader,
        settings: &EngineSettings,
        lines: usize,
        actor: &Actor,
        today: NaiveDate,
    ) -> (Self, Outcome) {
        let batch = Self::opened(header, settings);
        let event = batch.event_of(
            lines,
            None,
            BatchStatus::Open,
            "B1 open",
            actor,
            None,
            today,
        );
        (
            batch,
            Outcome {
                events: vec![event],
                ..Outcome::default()
            },
        )
    }

    /// What the validation pipeline of a streamed batch needs to know about it.
    pub fn stream_context(&self) -> BatchContext {
        self.context()
    }

    /// B2–B5 of a streamed batch per its plan: the status, claim #1 (its line list stays
    /// empty: the lines carry `claim`) and the batch event.
    pub fn finish_streamed(
        &mut self,
        plan: &Plan,
        today: NaiveDate,
    ) -> Result<Outcome, BatchError> {
        self.open_for_processing()?;
        let mut out = Outcome {
            line_events: super::LineEvents::None,
            ..Outcome::default()
        };
        if plan.claim_valid {
            let claim = BatchClaim {
                seq: self.claims.len() as u8 + 1,
                lines: Vec::new(),
                amount: plan.valid_amount,
            };
            self.claims.push(claim.clone());
            out.claim = Some(claim);
        }
        let (to, rule) = plan.end(self.mode);
        let from = self.status;
        self.status = to;
        out.events.push(self.event_of(
            plan.lines,
            Some(from),
            to,
            rule,
            &Actor::System,
            None,
            today,
        ));
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
