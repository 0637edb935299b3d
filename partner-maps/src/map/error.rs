//! Located mapping errors and the acknowledgment codes they become.
//!
//! A mapping that finds no value for a required field returns a [`MapError`] naming the set,
//! the segment (position counted from ST = 1, as 997/999 count) and element where it looked,
//! the field, and the profile key that told it where to look:
//!
//! ```text
//! interchange 000005001, group 5001, set 0001, segment 12 (PAD): no contract price: no UIT with basis CT (dialect.contract_price_basis)
//! ```
//!
//! The standard has no code for "the partner's profile expected something else": a 997 takes
//! the nearest base code, a 999 the implementation code made for partner rules
//! (x12-chargeback 8.2):
//!
//! | kind | AK3/IK3 | AK4/IK4 | example |
//! |---|---|---|---|
//! | [`MapErrorKind::MissingSegment`] | AK304 `3` mandatory segment missing, IK304 `I6` implementation dependent segment missing; AK301 = the missing segment id, AK302 = where its loop starts | | no `UIT*..*CT` in a PAD loop |
//! | [`MapErrorKind::MissingElement`] | `8` | AK403 `1` mandatory element missing, IK403 `I9` implementation dependent element missing | PAD01 empty |
//! | [`MapErrorKind::InvalidCode`] | `8` | AK403 `7` invalid code value, IK403 `I6` code value not used in implementation | LIN qualifiers none of `product_id_priority` |
//! | [`MapErrorKind::OutOfSequence`] | `7` segment not in proper sequence | | 867 LIN before QTY when `lenient_867_line_order = false` |
//! | [`MapErrorKind::OutOfRange`] | `8` | `5` data element too long | CTT01 beyond 32 bits |
//!
//! A set with any mapping error is rejected as a whole: AK5/IK5 `R` with AK502 `5` (one or
//! more segments in error), IK502 `I5` (the same, by the implementation's rules).
//! [`crate::translate::reject`] folds the errors into the validator's report so the
//! acknowledgment builder writes exactly that.

use std::fmt;

use x12::diagnostic::{Code, ElementError, ElementPosition, SegmentError};
use x12::dict::{Node, SetDef};
use x12::stream::RawSet;
use x12::validate::{ElementIssue, SegmentIssue};
use x12::{Diagnostic, Location, Severity};

/// Where a mapping looked, as steps of (segment id, occurrence) resolved against the set's
/// segments only when an error has to be reported, so the happy path pays nothing for it.
///
/// `[("CON", 1), ("N1", 0)]` is the first N1 after the second CON; `[("PAD", 2)]` is the third
/// PAD of the set; no step at all is the set's first segment after ST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Path {
    steps: [(&'static str, u32); 3],
    len: u8,
}

/// Segment ids that open a loop in some chargeback set, for AK303 when the set's grammar is
/// not known (a LIN opens a loop in an 845, not in an 844).
const LOOP_STARTS: &[&str] = &["CON", "PAD", "N1", "PTD", "QTY", "CTP", "LIN"];

/// Whether `id` triggers a loop anywhere in `body`.
fn opens_loop(body: &[Node], id: &str) -> bool {
    body.iter().any(|n| match n {
        Node::Loop { id: l, body, .. } => *l == id || opens_loop(body, id),
        Node::Segment { .. } => false,
    })
}

impl Path {
    /// The heading: the segment after ST (BAA, BPA, BRC or BPT).
    pub const HEADING: Path = Path {
        steps: [("", 0); 3],
        len: 0,
    };

    /// The `n`-th (0-based) segment `id` of the set.
    pub fn at(id: &'static str, n: usize) -> Path {
        Path::HEADING.then(id, n)
    }

    /// The `n`-th segment `id` after this one.
    pub fn then(mut self, id: &'static str, n: usize) -> Path {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        if (self.len as usize) < self.steps.len() {
            self.steps[self.len as usize] = (id, n);
            self.len += 1;
        }
        self
    }

    fn steps(&self) -> &[(&'static str, u32)] {
        &self.steps[..self.len as usize]
    }

    /// The innermost loop the path points into (AK303), if any: by the set's grammar when
    /// known.
    fn loop_id(&self, set: Option<&SetDef>) -> Option<&'static str> {
        self.steps()
            .iter()
            .rev()
            .map(|(id, _)| *id)
            .find(|id| match set {
                Some(def) => opens_loop(def.body, id),
                None => LOOP_STARTS.contains(id),
            })
    }

    /// Index (0 = ST) and id of the segment the path names in `raw`.
    pub fn resolve(&self, raw: &RawSet) -> Option<(usize, String)> {
        if self.len == 0 {
            return raw.segment(1).map(|s| (1, s.id_str().to_owned()));
        }
        let mut from = 0usize;
        for &(id, n) in self.steps() {
            let mut seen = 0u32;
            let mut found = None;
            for i in from + 1..raw.len() {
                let seg = raw.segment(i)?;
                if seg.id() == id.as_bytes() {
                    if seen == n {
                        found = Some(i);
                        break;
                    }
                    seen += 1;
                }
            }
            from = found?;
        }
        Some((from, self.steps()[self.len as usize - 1].0.to_owned()))
    }
}

impl fmt::Display for Path {
    /// `PAD 3`-style: the innermost step with its 1-based occurrence.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.steps().last() {
            Some((id, n)) => write!(f, "{id} #{}", n + 1),
            None => f.write_str("heading"),
        }
    }
}

/// What kind of value was missing or unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapErrorKind {
    /// No segment carries the value: the segment (with the qualifier the profile names) is
    /// absent from its loop.
    MissingSegment {
        /// The segment id looked for (`UIT`, `REF`, `N1`...).
        id: &'static str,
    },
    /// The segment is there, the element the value lives in is empty.
    MissingElement {
        /// Element position.
        element: u16,
        /// Data element reference number (AK402), when known.
        reference: Option<&'static str>,
    },
    /// The element holds a code the profile or the normalized document has no place for.
    InvalidCode {
        /// Element position.
        element: u16,
        /// Data element reference number (AK402), when known.
        reference: Option<&'static str>,
        /// The code as sent.
        value: String,
    },
    /// The segment is in an order the profile does not accept.
    OutOfSequence,
    /// A number does not fit the document (a line count beyond 32 bits).
    OutOfRange {
        /// Element position.
        element: u16,
        /// The value as sent.
        value: String,
    },
}

/// One required value a mapping did not find, located in its set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapError {
    /// Where: interchange, group, set, segment and element, filled as far as known. Before
    /// [`MapErrors::locate`] only the set-independent parts are known.
    pub location: Location,
    /// The claim line or contract item the value belongs to (PAD01, or the 867 line number),
    /// for the 999 CTX segment.
    pub line: Option<String>,
    /// The normalized field, in words (`contract price`, `debit memo`).
    pub field: &'static str,
    /// The profile key that says where the value is (`dialect.contract_price_basis`).
    pub profile_key: Option<&'static str>,
    /// What was wrong.
    pub kind: MapErrorKind,
    /// Lowercase, no trailing period: `no contract price: no UIT with basis CT`.
    pub message: String,
    /// Where the mapping looked, resolved into `location` by [`MapErrors::locate`].
    pub path: Path,
}

impl MapError {
    /// The acknowledgment code this error maps to (see the module table).
    pub fn code(&self) -> Code {
        match &self.kind {
            MapErrorKind::MissingSegment { .. } => {
                Code::Segment(SegmentError::ImplementationMissing)
            }
            MapErrorKind::MissingElement { .. } => {
                Code::Element(ElementError::ImplementationMissing)
            }
            MapErrorKind::InvalidCode { .. } => {
                Code::Element(ElementError::NotUsedInImplementation)
            }
            MapErrorKind::OutOfSequence => Code::Segment(SegmentError::OutOfSequence),
            MapErrorKind::OutOfRange { .. } => Code::Element(ElementError::TooLong),
        }
    }

    /// The located finding, as the validator would have reported it.
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code: self.code(),
            location: self.location.clone(),
            message: self.full_message(),
        }
    }

    /// The AK3/IK3 loop (with its AK4/IK4) for this error, once located in `raw`; `None` when
    /// the segment could not be found.
    pub fn to_segment_issue(&self, raw: &RawSet) -> Option<SegmentIssue> {
        let (position, anchor) = self.location.segment.clone()?;
        let set = raw
            .context
            .group
            .version
            .and_then(|v| x12::dict::set(v, &raw.id));
        let loop_id = self.path.loop_id(set);
        let context = self.line.as_ref().map(|l| {
            let name = if anchor == "QTY" || loop_id == Some("QTY") {
                "LINE"
            } else {
                "PAD01"
            };
            (name.to_owned(), l.clone())
        });
        let loop_id = loop_id.map(str::to_owned);
        let issue = |id: String, error, elements| SegmentIssue {
            id,
            position,
            loop_id: loop_id.clone(),
            error,
            elements,
            context: context.clone(),
        };
        let element = |element: u16, reference, error, data| ElementIssue {
            position: ElementPosition::element(element),
            ref_num: reference,
            error,
            data,
        };
        Some(match &self.kind {
            MapErrorKind::MissingSegment { id } => issue(
                (*id).to_owned(),
                SegmentError::ImplementationMissing,
                Vec::new(),
            ),
            MapErrorKind::MissingElement {
                element: e,
                reference,
            } => issue(
                anchor,
                SegmentError::HasElementErrors,
                vec![element(
                    *e,
                    *reference,
                    ElementError::ImplementationMissing,
                    None,
                )],
            ),
            MapErrorKind::InvalidCode {
                element: e,
                reference,
                value,
            } => issue(
                anchor,
                SegmentError::HasElementErrors,
                vec![element(
                    *e,
                    *reference,
                    ElementError::NotUsedInImplementation,
                    Some(value.clone()),
                )],
            ),
            MapErrorKind::OutOfSequence => issue(anchor, SegmentError::OutOfSequence, Vec::new()),
            MapErrorKind::OutOfRange { element: e, value } => issue(
                anchor,
                SegmentError::HasElementErrors,
                vec![element(
                    *e,
                    None,
                    ElementError::TooLong,
                    Some(value.clone()),
                )],
            ),
        })
    }

    /// The message with the profile key: `no contract price: no UIT with basis CT
    /// (dialect.contract_price_basis)`.
    pub fn full_message(&self) -> String {
        match self.profile_key {
            Some(key) => format!("{} ({key})", self.message),
            None => self.message.clone(),
        }
    }

    /// Fills interchange, group, set, offset, segment and element from the set the error was
    /// found in.
    pub fn locate(&mut self, raw: &RawSet) {
        let ctx = &raw.context;
        self.location.interchange = Some(ctx.isa.control_number.clone());
        self.location.group = Some(ctx.group.control_number.clone());
        self.location.set = Some(raw.control_number.clone());
        if let Some((index, id)) = self.path.resolve(raw) {
            self.location.offset = raw.segment(index).map_or(raw.offset, |s| s.offset());
            self.location.segment = Some((u32::try_from(index + 1).unwrap_or(u32::MAX), id));
        } else {
            self.location.offset = raw.offset;
        }
        self.location.element = match &self.kind {
            MapErrorKind::MissingElement { element, .. }
            | MapErrorKind::InvalidCode { element, .. }
            | MapErrorKind::OutOfRange { element, .. } => Some(ElementPosition::element(*element)),
            _ => None,
        };
    }
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let located = self.location.segment.is_some()
            || self.location.set.is_some()
            || self.location.file.is_some();
        if located {
            write!(f, "{}: ", self.location)?;
        } else {
            write!(f, "{}: ", self.path)?;
        }
        if let Some(line) = &self.line {
            write!(f, "line {line}: ")?;
        }
        f.write_str(&self.full_message())
    }
}

impl std::error::Error for MapError {}

/// Every required value a set's mapping did not find (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapErrors(pub Vec<MapError>);

impl MapErrors {
    /// Locates every error in the set it came from.
    pub fn locate(&mut self, raw: &RawSet) {
        for e in &mut self.0 {
            e.locate(raw);
        }
    }

    /// The errors.
    pub fn iter(&self) -> impl Iterator<Item = &MapError> {
        self.0.iter()
    }

    /// Number of errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is none (never the case for a value returned by a mapping).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for MapErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for MapErrors {}

/// Something a mapping left out on purpose or could not use, that is not an error: an
/// optional value that is absent while segments with other qualifiers are there, a price row
/// with a code the profile does not name. `chargegate partner check` prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapNote {
    /// Where the mapping looked.
    pub path: Path,
    /// The claim line or item, when the note belongs to one.
    pub line: Option<String>,
    /// Lowercase, no trailing period: `UIT03 'SW' not in dialect.reference_price_basis ["WH"]`.
    pub message: String,
    /// Segment position (ST = 1) and id, once located.
    pub segment: Option<(u32, String)>,
}

impl MapNote {
    /// Fills in the segment position from the set the note was made on.
    pub fn locate(&mut self, raw: &RawSet) {
        self.segment = self
            .path
            .resolve(raw)
            .map(|(i, id)| (u32::try_from(i + 1).unwrap_or(u32::MAX), id));
    }
}

impl fmt::Display for MapNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.segment, &self.line) {
            (Some((pos, id)), Some(line)) => write!(f, "segment {pos} ({id}), line {line}: ")?,
            (Some((pos, id)), None) => write!(f, "segment {pos} ({id}): ")?,
            (None, Some(line)) => write!(f, "{}, line {line}: ", self.path)?,
            (None, None) => write!(f, "{}: ", self.path)?,
        }
        f.write_str(&self.message)
    }
}
