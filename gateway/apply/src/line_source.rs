//! Where the lines of a batch being processed come from, a chunk at a time, in line order:
//! held in memory (an Immediate trigger's invoice), or a claim period's pending reports read
//! back from the store chunk by chunk (`pending_report_chunks`), so the cut of a period of
//! a million lines never holds its lines, or their JSON, at once. Each pass over the lines
//! reads them again ([`LineSource::chunks`]).

use engine::sale::SaleLine;
use schemas::SalesLine;
use store::{JsonText, StoreRead, StoreTx};

use crate::error::ApplyError;
use crate::state::{CHUNK_LINES, corrupt};

/// A batch's lines.
pub(crate) enum LineSource {
    /// In memory.
    Held(Vec<SalesLine>),
    /// `partner`'s pending reports, in line order.
    Pending {
        partner: String,
        reports: Vec<PendingReport>,
    },
}

/// A report whose lines wait in the store for their period's cut.
pub(crate) struct PendingReport {
    pub(crate) id: String,
    pub(crate) lines: i64,
    /// Its return lines; `None` when not counted (recorded before migration 0021).
    pub(crate) returns: Option<i64>,
}

/// How many of `lines` are returns, as recorded with their report.
pub(crate) fn return_lines(lines: &[SalesLine]) -> i64 {
    lines
        .iter()
        .filter(|l| engine::sale::is_return_quantity(l.quantity))
        .count() as i64
}

impl LineSource {
    /// How many lines the source holds.
    pub(crate) fn line_count(&self) -> usize {
        match self {
            LineSource::Held(lines) => lines.len(),
            LineSource::Pending { reports, .. } => {
                reports.iter().map(|r| r.lines).sum::<i64>().max(0) as usize
            }
        }
    }

    /// Whether any line may be a return (a pending report recorded before its returns were
    /// counted may).
    pub(crate) fn may_hold_returns(&self) -> bool {
        match self {
            LineSource::Held(lines) => return_lines(lines) > 0,
            LineSource::Pending { reports, .. } => reports.iter().any(|r| r.returns != Some(0)),
        }
    }

    /// A new pass over the lines.
    pub(crate) fn chunks(&self) -> Chunks<'_> {
        Chunks {
            source: self,
            report: 0,
            chunk_no: 0,
            held: 0,
        }
    }

    /// Keeps `lines`, a report of `partner`'s whose period is not cut yet, in chunks of
    /// [`CHUNK_LINES`]; chunk k+1 is serialized while chunk k is sent.
    pub(crate) async fn keep_pending(
        tx: &mut dyn StoreTx,
        partner: &str,
        report_id: &str,
        lines: &[SalesLine],
    ) -> Result<(), ApplyError> {
        let mut chunks = lines.chunks(CHUNK_LINES);
        let mut next = chunks.next().map(JsonText::of).transpose()?;
        let mut chunk_no = 0;
        while let Some(text) = next.take() {
            let (sent, serialized) = tokio::join!(
                tx.insert_pending_chunk(partner, report_id, chunk_no, &text),
                async { chunks.next().map(JsonText::of).transpose() }
            );
            sent?;
            next = serialized?;
            chunk_no += 1;
        }
        Ok(())
    }
}

/// One pass over a [`LineSource`].
pub(crate) struct Chunks<'s> {
    source: &'s LineSource,
    report: usize,
    chunk_no: i64,
    held: usize,
}

/// A chunk of lines, as read.
pub(crate) enum Chunk<'s> {
    Held(&'s [SalesLine]),
    /// A chunk of a pending report, not parsed yet.
    Stored {
        report_id: &'s str,
        text: String,
    },
}

impl<'s> Chunks<'s> {
    /// The next chunk; `None` after the last.
    pub(crate) async fn next(
        &mut self,
        read: &mut dyn StoreRead,
    ) -> Result<Option<Chunk<'s>>, ApplyError> {
        match self.source {
            LineSource::Held(lines) => {
                let lines: &'s [SalesLine] = lines;
                let rest = &lines[self.held.min(lines.len())..];
                let chunk = &rest[..rest.len().min(CHUNK_LINES)];
                self.held += chunk.len();
                Ok((!chunk.is_empty()).then_some(Chunk::Held(chunk)))
            }
            LineSource::Pending { partner, reports } => {
                while let Some(PendingReport { id: report_id, .. }) = reports.get(self.report) {
                    let text = read
                        .pending_report_chunk(partner, report_id, self.chunk_no)
                        .await?;
                    match text {
                        Some(text) => {
                            self.chunk_no += 1;
                            return Ok(Some(Chunk::Stored { report_id, text }));
                        }
                        None => {
                            self.report += 1;
                            self.chunk_no = 0;
                        }
                    }
                }
                Ok(None)
            }
        }
    }
}

impl Chunk<'_> {
    /// The chunk's lines as the engine validates them.
    pub(crate) fn sales(self) -> Result<Vec<SaleLine>, ApplyError> {
        match self {
            Chunk::Held(lines) => Ok(lines.iter().map(SaleLine::from).collect()),
            Chunk::Stored { report_id, text } => parse(report_id, text),
        }
    }

    /// [`Chunk::sales`] on a blocking thread for a stored chunk (megabytes of JSON), so the
    /// caller reads and parses the next chunks meanwhile.
    pub(crate) fn sales_apart(self) -> Parsing {
        match self {
            Chunk::Stored { report_id, text } => {
                let report_id = report_id.to_owned();
                Parsing::Apart(tokio::task::spawn_blocking(move || parse(&report_id, text)))
            }
            held => Parsing::Ready(held.sales()),
        }
    }
}

fn parse(report_id: &str, text: String) -> Result<Vec<SaleLine>, ApplyError> {
    let lines: Vec<SalesLine> = serde_json::from_str(&text)
        .map_err(corrupt(format!("pending lines of report {report_id}")))?;
    drop(text);
    Ok(lines.into_iter().map(SaleLine::from).collect())
}

/// A chunk's lines being parsed ([`Chunk::sales_apart`]).
pub(crate) enum Parsing {
    Ready(Result<Vec<SaleLine>, ApplyError>),
    Apart(tokio::task::JoinHandle<Result<Vec<SaleLine>, ApplyError>>),
}

impl Parsing {
    /// The lines, once parsed.
    pub(crate) async fn lines(self) -> Result<Vec<SaleLine>, ApplyError> {
        match self {
            Parsing::Ready(lines) => lines,
            Parsing::Apart(task) => task.await.map_err(|e| ApplyError::Corrupt {
                what: "pending lines".to_owned(),
                source: serde::de::Error::custom(format!("parsing stopped: {e}")),
            })?,
        }
    }
}
