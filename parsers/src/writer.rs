//! Segments and envelopes to bytes, with any delimiter set.
//!
//! The envelope writer computes SE01, GE01 and IEA01 itself, so a caller cannot send counts
//! that disagree with the content. A value that contains an active delimiter would change
//! the structure the partner reads; it is refused or substituted, never written as is.

use std::io::{self, Write};

use crate::envelope::{Interchange, Seg, TransactionSet};
use crate::tokenizer::Delimiters;

/// What to do with a value containing an active delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DelimiterPolicy {
    /// Fail with [`WriteError::DelimiterInValue`].
    #[default]
    Reject,
    /// Replace each offending byte with this one (e.g. a space).
    Substitute(u8),
}

/// How to lay out the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Delimiters to use.
    pub delimiters: Delimiters,
    /// Bytes after each terminator: none, `\n` or `\r\n`.
    pub line_ending: &'static str,
    /// Handling of delimiters inside values.
    pub policy: DelimiterPolicy,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            delimiters: Delimiters {
                element: b'*',
                component: b'>',
                repetition: None,
                segment: b'~',
            },
            line_ending: "\n",
            policy: DelimiterPolicy::Reject,
        }
    }
}

/// Why a document could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The sink failed.
    #[error("write failed: {0}")]
    Io(#[from] io::Error),
    /// A value contains an active delimiter and the policy is to reject it.
    #[error(
        "segment {segment}, element {element}: value {value:?} contains the delimiter {delimiter:?}"
    )]
    DelimiterInValue {
        /// Segment id.
        segment: String,
        /// Element position, 1-based.
        element: usize,
        /// The value.
        value: String,
        /// The delimiter found.
        delimiter: char,
    },
    /// A fixed-width ISA field does not fit.
    #[error("ISA field {field} {value:?} is longer than {len} characters")]
    IsaFieldTooLong {
        /// Field name (ISA06 ...).
        field: &'static str,
        /// The value.
        value: String,
        /// Its fixed width.
        len: usize,
    },
}

/// Writes segments one at a time.
pub struct SegmentWriter<W: Write> {
    out: W,
    opts: WriteOptions,
    written: u64,
}

impl<W: Write> SegmentWriter<W> {
    /// A writer over `out`.
    pub fn new(out: W, opts: WriteOptions) -> Self {
        SegmentWriter {
            out,
            opts,
            written: 0,
        }
    }

    /// Segments written so far.
    pub fn count(&self) -> u64 {
        self.written
    }

    /// Writes one segment, trailing empty elements dropped.
    pub fn segment(&mut self, seg: &Seg) -> Result<(), WriteError> {
        let d = self.opts.delimiters;
        let mut line = Vec::with_capacity(64);
        line.extend_from_slice(seg.id.as_bytes());
        let last = seg
            .elements
            .iter()
            .rposition(|e| e.iter().any(|c| !c.is_empty()))
            .map_or(0, |i| i + 1);
        for (i, element) in seg.elements[..last].iter().enumerate() {
            line.push(d.element);
            let used = element
                .iter()
                .rposition(|c| !c.is_empty())
                .map_or(0, |i| i + 1);
            for (k, component) in element[..used.max(1).min(element.len())].iter().enumerate() {
                if k > 0 {
                    line.push(d.component);
                }
                self.push_value(&mut line, component, &seg.id, i + 1)?;
            }
        }
        line.push(d.segment);
        line.extend_from_slice(self.opts.line_ending.as_bytes());
        self.out.write_all(&line)?;
        self.written += 1;
        Ok(())
    }

    fn push_value(
        &self,
        line: &mut Vec<u8>,
        value: &str,
        segment: &str,
        element: usize,
    ) -> Result<(), WriteError> {
        let d = self.opts.delimiters;
        for &b in value.as_bytes() {
            if d.is_delimiter(b) {
                match self.opts.policy {
                    DelimiterPolicy::Reject => {
                        return Err(WriteError::DelimiterInValue {
                            segment: segment.to_owned(),
                            element,
                            value: value.to_owned(),
                            delimiter: b as char,
                        });
                    }
                    DelimiterPolicy::Substitute(s) => line.push(s),
                }
            } else {
                line.push(b);
            }
        }
        Ok(())
    }

    /// Gives the sink back.
    pub fn into_inner(self) -> W {
        self.out
    }
}

fn pad(field: &'static str, value: &str, len: usize) -> Result<String, WriteError> {
    if value.len() > len {
        return Err(WriteError::IsaFieldTooLong {
            field,
            value: value.to_owned(),
            len,
        });
    }
    Ok(format!("{value:<len$}"))
}

/// Writes a whole interchange with computed counts.
pub fn write_interchange<W: Write>(
    out: W,
    ic: &Interchange,
    opts: WriteOptions,
) -> Result<W, WriteError> {
    let d = opts.delimiters;
    let h = &ic.header;
    let isa11 = if h.version.as_str() >= "00501" {
        d.repetition.map_or('^', char::from).to_string()
    } else {
        "U".to_owned()
    };
    // The ISA is fixed width, so it is formatted here rather than element by element.
    let isa = format!(
        "ISA{e}00{e}{a}{e}00{e}{a}{e}{sq}{e}{sid}{e}{rq}{e}{rid}{e}{date}{e}{time}{e}{isa11}{e}{ver}{e}{icn:09}{e}{ack}{e}{usage}{e}{comp}{term}{le}",
        e = d.element as char,
        a = " ".repeat(10),
        sq = pad("ISA05", &h.sender_qualifier, 2)?,
        sid = pad("ISA06", &h.sender_id, 15)?,
        rq = pad("ISA07", &h.receiver_qualifier, 2)?,
        rid = pad("ISA08", &h.receiver_id, 15)?,
        date = pad("ISA09", &h.date, 6)?,
        time = pad("ISA10", &h.time, 4)?,
        ver = pad("ISA12", &h.version, 5)?,
        icn = h.control_number,
        ack = if h.ack_requested { '1' } else { '0' },
        usage = h.usage,
        comp = d.component as char,
        term = d.segment as char,
        le = opts.line_ending,
    );
    let mut out = out;
    out.write_all(isa.as_bytes())?;
    let mut w = SegmentWriter::new(out, opts);
    for ta1 in &ic.ta1 {
        w.segment(ta1)?;
    }
    for g in &ic.groups {
        let gh = &g.header;
        w.segment(&Seg::from_strings(
            "GS",
            vec![
                gh.functional_id.clone(),
                gh.sender.clone(),
                gh.receiver.clone(),
                gh.date.clone(),
                gh.time.clone(),
                gh.control_number.to_string(),
                "X".to_owned(),
                gh.version.clone(),
            ],
        ))?;
        for set in &g.sets {
            write_set(&mut w, set)?;
        }
        w.segment(&Seg::from_strings(
            "GE",
            vec![g.sets.len().to_string(), gh.control_number.to_string()],
        ))?;
    }
    w.segment(&Seg::from_strings(
        "IEA",
        vec![
            ic.groups.len().to_string(),
            format!("{:09}", h.control_number),
        ],
    ))?;
    Ok(w.into_inner())
}

fn write_set<W: Write>(w: &mut SegmentWriter<W>, set: &TransactionSet) -> Result<(), WriteError> {
    let mut st = vec![set.id.clone(), set.control_number.clone()];
    if let Some(r) = &set.implementation_ref {
        st.push(r.clone());
    }
    w.segment(&Seg::from_strings("ST", st))?;
    for seg in &set.body {
        w.segment(seg)?;
    }
    w.segment(&Seg::from_strings(
        "SE",
        vec![(set.body.len() + 2).to_string(), set.control_number.clone()],
    ))
}

/// Renders an interchange to a byte vector.
pub fn render_interchange(ic: &Interchange, opts: WriteOptions) -> Result<Vec<u8>, WriteError> {
    write_interchange(Vec::new(), ic, opts)
}
