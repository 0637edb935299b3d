//! Envelope and syntax validation: streaming, collecting located [`Diagnostic`]s and
//! per-interchange reports that the acknowledgment builders turn into TA1/997/999.
//!
//! [`Diagnostic`]: crate::Diagnostic

mod control;
pub mod datatype;
pub mod grammar;
pub mod report;
pub(crate) mod set_check;
pub mod syntax;
mod validator;

use std::io::Read;

pub use report::{
    GroupReport, InterchangeReport, IsaInfo, MAX_TA1_KEPT, ReceivedTa1, SegmentIssue, SetReport,
};
pub use set_check::{CheckMemo, SetFindings, check_set};
pub use syntax::ElementIssue;
pub use validator::{LenientSender, ValidateOptions, Validator};

use crate::diagnostic::Diagnostic;
use crate::tokenizer::{ReaderOptions, SegmentReader};

/// Everything found in one input.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// One report per interchange.
    pub interchanges: Vec<InterchangeReport>,
    /// Segments read.
    pub segments: u64,
}

impl Outcome {
    /// True when nothing at error severity was found.
    pub fn is_valid(&self) -> bool {
        self.diagnostics
            .iter()
            .all(|d| d.severity < crate::diagnostic::Severity::Error)
    }
}

/// Validates a whole input, calling `on_diagnostic` as findings appear (so a caller can print
/// them while streaming) and `on_interchange` for each finished interchange. Returns the
/// number of segments read.
pub fn validate_stream<R: Read>(
    src: R,
    reader: ReaderOptions,
    opts: ValidateOptions,
    mut on_diagnostic: impl FnMut(Diagnostic),
    mut on_interchange: impl FnMut(InterchangeReport),
) -> u64 {
    let mut segments = SegmentReader::with_options(src, reader);
    let mut v = Validator::new(opts);
    let mut count = 0u64;
    loop {
        match segments.next_segment() {
            Ok(Some(seg)) => {
                count += 1;
                v.feed(&seg);
            }
            Ok(None) => {
                v.finish();
                break;
            }
            Err(e) => {
                v.fail(&e);
                break;
            }
        }
        // Checked first: taking (and dropping) an empty vector per segment is not free.
        if v.has_diagnostics() {
            v.take_diagnostics()
                .into_iter()
                .for_each(&mut on_diagnostic);
        }
        if v.has_reports() {
            v.take_reports().into_iter().for_each(&mut on_interchange);
        }
    }
    v.take_diagnostics()
        .into_iter()
        .for_each(&mut on_diagnostic);
    v.take_reports().into_iter().for_each(&mut on_interchange);
    count
}

/// Validates a whole input and collects everything (for small inputs and tests).
pub fn validate<R: Read>(src: R, reader: ReaderOptions, opts: ValidateOptions) -> Outcome {
    let mut out = Outcome::default();
    let mut diags = Vec::new();
    let mut reports = Vec::new();
    out.segments = validate_stream(src, reader, opts, |d| diags.push(d), |r| reports.push(r));
    out.diagnostics = diags;
    out.interchanges = reports;
    out
}
