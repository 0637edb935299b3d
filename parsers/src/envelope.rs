//! An owned interchange model: what the writer renders and what `read_interchanges` builds
//! back from bytes. Used for outbound documents and acknowledgments (small), never for
//! reading big inbound files, which stream through the tokenizer instead.

use std::io::Read;

use crate::tokenizer::{Delimiters, SegmentReader, TokenError, components};

/// One element: its components (a simple element has exactly one).
pub type Element = Vec<String>;

/// A segment to write: id and elements, each element a list of components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seg {
    /// Segment id.
    pub id: String,
    /// Elements after the id.
    pub elements: Vec<Element>,
}

impl Seg {
    /// A segment of simple elements.
    pub fn new(id: &str, elements: &[&str]) -> Self {
        Seg {
            id: id.to_owned(),
            elements: elements.iter().map(|e| vec![(*e).to_owned()]).collect(),
        }
    }

    /// A segment built from owned simple elements.
    pub fn from_strings(id: &str, elements: Vec<String>) -> Self {
        Seg {
            id: id.to_owned(),
            elements: elements.into_iter().map(|e| vec![e]).collect(),
        }
    }

    /// Element `n` (1-based) joined with `:` when composite; `""` when absent.
    pub fn text(&self, n: usize) -> String {
        n.checked_sub(1)
            .and_then(|i| self.elements.get(i))
            .map(|c| c.join(":"))
            .unwrap_or_default()
    }

    /// Drops trailing empty elements, which X12 says must not be sent.
    pub fn trimmed(mut self) -> Self {
        for e in &mut self.elements {
            while e.len() > 1 && e.last().is_some_and(String::is_empty) {
                e.pop();
            }
        }
        while self
            .elements
            .last()
            .is_some_and(|e| e.iter().all(String::is_empty))
        {
            self.elements.pop();
        }
        self
    }
}

/// ISA fields that vary; the rest is fixed by the standard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterchangeHeader {
    /// ISA05.
    pub sender_qualifier: String,
    /// ISA06 (padded on output).
    pub sender_id: String,
    /// ISA07.
    pub receiver_qualifier: String,
    /// ISA08 (padded on output).
    pub receiver_id: String,
    /// ISA09 YYMMDD.
    pub date: String,
    /// ISA10 HHMM.
    pub time: String,
    /// ISA12 `00401` or `00501`.
    pub version: String,
    /// ISA13, 1..=999999999 (zero-padded on output).
    pub control_number: u32,
    /// ISA14: ask for a TA1.
    pub ack_requested: bool,
    /// ISA15 `P` or `T`.
    pub usage: char,
}

/// GS fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupHeader {
    /// GS01 functional id.
    pub functional_id: String,
    /// GS02.
    pub sender: String,
    /// GS03.
    pub receiver: String,
    /// GS04 CCYYMMDD.
    pub date: String,
    /// GS05 HHMM.
    pub time: String,
    /// GS06.
    pub control_number: u32,
    /// GS08, e.g. `004010`.
    pub version: String,
}

/// One transaction set without its ST and SE (the writer adds them and counts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionSet {
    /// ST01.
    pub id: String,
    /// ST02.
    pub control_number: String,
    /// ST03 (005010 only).
    pub implementation_ref: Option<String>,
    /// Segments between ST and SE.
    pub body: Vec<Seg>,
}

/// A functional group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// GS fields.
    pub header: GroupHeader,
    /// Sets in order.
    pub sets: Vec<TransactionSet>,
}

/// An interchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interchange {
    /// ISA fields.
    pub header: InterchangeHeader,
    /// TA1 segments (interchange acknowledgments) before any group.
    pub ta1: Vec<Seg>,
    /// Groups in order.
    pub groups: Vec<Group>,
}

/// Why bytes could not be read back into the owned model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The tokenizer failed.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The envelope structure is broken (a segment outside its envelope, a bad number).
    #[error("byte {offset}: {message}")]
    Structure {
        /// Offset of the offending segment.
        offset: u64,
        /// What is wrong.
        message: String,
    },
}

fn structure(offset: u64, message: impl Into<String>) -> ModelError {
    ModelError::Structure {
        offset,
        message: message.into(),
    }
}

/// Reads every interchange of a well-formed input into the owned model. Counts in SE/GE/IEA
/// are not kept (the writer recomputes them); run the validator to check them.
pub fn read_interchanges<R: Read>(src: R) -> Result<Vec<(Interchange, Delimiters)>, ModelError> {
    let mut reader = SegmentReader::new(src);
    let mut out: Vec<(Interchange, Delimiters)> = Vec::new();
    let mut open = false;
    while let Some(seg) = reader.next_segment()? {
        let d = seg.delimiters();
        let off = seg.offset();
        let text = |n: usize| seg.text(n).unwrap_or("").to_owned();
        let number = |n: usize| -> Result<u32, ModelError> {
            text(n)
                .trim()
                .parse()
                .map_err(|_| structure(off, format!("{}{n:02} is not a number", seg.id_str())))
        };
        match seg.id() {
            b"ISA" => {
                let header = InterchangeHeader {
                    sender_qualifier: text(5),
                    sender_id: text(6).trim_end().to_owned(),
                    receiver_qualifier: text(7),
                    receiver_id: text(8).trim_end().to_owned(),
                    date: text(9),
                    time: text(10),
                    version: text(12),
                    control_number: number(13)?,
                    ack_requested: text(14) == "1",
                    usage: text(15).chars().next().unwrap_or('P'),
                };
                out.push((
                    Interchange {
                        header,
                        ta1: Vec::new(),
                        groups: Vec::new(),
                    },
                    d,
                ));
                open = true;
            }
            b"IEA" => open = false,
            _ if !open => return Err(structure(off, "segment outside an interchange")),
            b"TA1" => {
                if let Some((ic, _)) = out.last_mut() {
                    ic.ta1.push(owned(&seg));
                }
            }
            b"GS" => {
                let header = GroupHeader {
                    functional_id: text(1),
                    sender: text(2),
                    receiver: text(3),
                    date: text(4),
                    time: text(5),
                    control_number: number(6)?,
                    version: text(8),
                };
                if let Some((ic, _)) = out.last_mut() {
                    ic.groups.push(Group {
                        header,
                        sets: Vec::new(),
                    });
                }
            }
            b"GE" => {}
            b"ST" => {
                let set = TransactionSet {
                    id: text(1),
                    control_number: text(2),
                    implementation_ref: seg.text(3).map(str::to_owned),
                    body: Vec::new(),
                };
                let group = out
                    .last_mut()
                    .and_then(|(ic, _)| ic.groups.last_mut())
                    .ok_or_else(|| structure(off, "ST outside a group"))?;
                group.sets.push(set);
            }
            b"SE" => {}
            _ => {
                let set = out
                    .last_mut()
                    .and_then(|(ic, _)| ic.groups.last_mut())
                    .and_then(|g| g.sets.last_mut())
                    .ok_or_else(|| structure(off, "segment outside a transaction set"))?;
                set.body.push(owned(&seg));
            }
        }
    }
    Ok(out)
}

fn owned(seg: &crate::tokenizer::Segment<'_>) -> Seg {
    let d = seg.delimiters();
    Seg {
        id: seg.id_str().to_owned(),
        elements: seg
            .elements()
            .map(|e| {
                components(e, &d)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect()
            })
            .collect(),
    }
}
