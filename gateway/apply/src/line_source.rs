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
    /// `partner`'s pending reports, in line order, each with its line count.
    Pending {
        partner: String,
        reports: Vec<(String, i64)>,
    },
}

impl LineSource {
    /// How many lines the source holds.
    pub(crate) fn line_count(&self) -> usize {
        match self {
            LineSource::Held(lines) => lines.len(),
            LineSource::Pending { reports, .. } => {
                reports.iter().map(|(_, n)| *n).sum::<i64>().max(0) as usize
            }
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
    /// [`CHUNK_LINES`].
    pub(crate) async fn keep_pending(
        tx: &mut dyn StoreTx,
        partner: &str,
        report_id: &str,
        lines: &[SalesLine],
    ) -> Result<(), ApplyError> {
        for (n, chunk) in lines.chunks(CHUNK_LINES).enumerate() {
            let text = JsonText::of(chunk)?;
            tx.insert_pending_chunk(partner, report_id, n as i64, &text)
                .await?;
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
                while let Some((report_id, _)) = reports.get(self.report) {
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
            Chunk::Stored { report_id, text } => {
                let lines: Vec<SalesLine> = serde_json::from_str(&text)
                    .map_err(corrupt(format!("pending lines of report {report_id}")))?;
                drop(text);
                Ok(lines.into_iter().map(SaleLine::from).collect())
            }
        }
    }
}
