//! Segment order, presence, repeat and loop checks against a set grammar (AK3/IK3 codes).
//!
//! The walker keeps a stack of open loops, each with a cursor into its body and a use count
//! per node. A segment is matched by searching forward from the cursor in the innermost
//! loop, then in each enclosing one (closing the inner loops); this is how X12 loop
//! membership is decided, since loops are identified only by their first segment.

use crate::diagnostic::SegmentError;
use crate::dict::{Node, SetDef};

/// What the walker concluded about one segment. Mandatory segments found missing before it
/// go to a list the caller keeps (this runs for every segment: two lists made and dropped
/// each time, nearly always empty, showed in profiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// Loop id (AK303) of the innermost loop the segment belongs to, if any.
    pub loop_id: Option<&'static str>,
    /// The error for the segment itself (over max use, out of sequence, ...), if any.
    pub error: Option<SegmentError>,
}

/// Mandatory segments found missing: (segment id, loop id).
pub type Missing = Vec<(&'static str, Option<&'static str>)>;

struct Frame {
    body: &'static [Node],
    loop_id: Option<&'static str>,
    /// Index of the last matched node in `body`.
    pos: usize,
    /// Start of this frame's use counts in `Walker::counts`.
    counts_at: usize,
}

/// Walks one transaction set's segments through its grammar.
pub struct Walker {
    set: &'static SetDef,
    stack: Vec<Frame>,
    counts: Vec<u32>,
    /// An 867 line may open with LIN, its QTY right after (a partner's profile allows it:
    /// `lenient_867_line_order`).
    lin_first: bool,
    /// A line opened with LIN and its QTY is due next.
    qty_due: bool,
}

impl Walker {
    /// A walker positioned before ST of `set`.
    pub fn new(set: &'static SetDef) -> Self {
        let mut w = Walker {
            set,
            stack: Vec::with_capacity(8),
            counts: Vec::with_capacity(64),
            lin_first: false,
            qty_due: false,
        };
        w.push(set.body, None);
        w
    }

    /// A walker for `set` that also takes an 867 line sent LIN first (LIN, then its QTY at
    /// once), as the typed reader does; other sets are walked as [`Walker::new`] does.
    pub fn lin_first(set: &'static SetDef) -> Self {
        let mut w = Walker::new(set);
        w.lin_first = set.id == "867";
        w
    }

    fn push(&mut self, body: &'static [Node], loop_id: Option<&'static str>) {
        let counts_at = self.counts.len();
        self.counts.resize(counts_at + body.len(), 0);
        self.stack.push(Frame {
            body,
            loop_id,
            pos: 0,
            counts_at,
        });
    }

    /// Places the segment `id`, adding the mandatory segments found missing before it to
    /// `missing`; the walker's state only moves when the segment fits.
    // Inlined into the caller, so the common walk calls the grammar's placement directly (a
    // call more per segment cost ~1 % of translating an 867).
    #[inline]
    pub fn place(&mut self, id: &str, missing: &mut Missing) -> Placement {
        if self.lin_first {
            return self.place_lenient(id, missing);
        }
        self.place_in_grammar(id, missing)
    }

    /// [`Walker::place`] for an 867 whose lines may open with LIN.
    #[inline(never)]
    fn place_lenient(&mut self, id: &str, missing: &mut Missing) -> Placement {
        if self.qty_due {
            self.qty_due = false;
            if id == "QTY" {
                // The QTY of a line sent LIN first: already counted as the loop's start.
                return Placement {
                    loop_id: Some("QTY"),
                    error: None,
                };
            }
            missing.push(("QTY", Some("QTY")));
        } else if id == "LIN" && !self.after_qty() {
            return self.place_lin_first(missing);
        }
        self.place_in_grammar(id, missing)
    }

    /// True when the innermost open loop is an 867 line whose QTY was the last segment.
    fn after_qty(&self) -> bool {
        self.stack
            .last()
            .is_some_and(|f| f.loop_id == Some("QTY") && f.pos == 0)
    }

    /// A LIN that opens a line: placed as the line's QTY and then its LIN, its QTY due next.
    /// Where no line can start, the LIN is placed (and found wrong) as any segment.
    fn place_lin_first(&mut self, missing: &mut Missing) -> Placement {
        let line = self.place_in_grammar("QTY", missing);
        if !self.after_qty() {
            return self.place_in_grammar("LIN", missing);
        }
        self.qty_due = true;
        let lin = self.place_in_grammar("LIN", missing);
        Placement {
            loop_id: line.loop_id,
            error: line.error.or(lin.error),
        }
    }

    fn place_in_grammar(&mut self, id: &str, missing: &mut Missing) -> Placement {
        let mut placement = Placement {
            loop_id: None,
            error: None,
        };
        let Some((depth, j)) = self.find(id) else {
            placement.loop_id = self.stack.last().and_then(|f| f.loop_id);
            placement.error = Some(self.misplaced_kind(id));
            return placement;
        };
        while self.stack.len() > depth + 1 {
            self.close_top(missing);
        }
        let frame = &self.stack[depth];
        let from = if self.counts[frame.counts_at + frame.pos] > 0 {
            frame.pos + 1
        } else {
            frame.pos
        };
        for k in from..j {
            if frame.body[k].min() > 0 && self.counts[frame.counts_at + k] == 0 {
                missing.push((frame.body[k].id(), frame.loop_id));
            }
        }
        let node = frame.body[j];
        let loop_id = frame.loop_id;
        let counts_at = frame.counts_at;
        self.stack[depth].pos = j;
        self.counts[counts_at + j] += 1;
        let uses = self.counts[counts_at + j];
        match node {
            Node::Segment { max, .. } => {
                placement.loop_id = loop_id;
                if uses > max {
                    placement.error = Some(SegmentError::SegmentOverMax);
                }
            }
            Node::Loop { id, max, body, .. } => {
                placement.loop_id = Some(id);
                if uses > max {
                    placement.error = Some(SegmentError::LoopOverMax);
                }
                self.push(body, Some(id));
                let top = self.stack.len() - 1;
                let at = self.stack[top].counts_at;
                self.counts[at] = 1;
            }
        }
        placement
    }

    /// Closes every open loop at the end of the set; returns mandatory segments never seen.
    pub fn finish(&mut self) -> Missing {
        let mut missing = Vec::new();
        if std::mem::take(&mut self.qty_due) {
            missing.push(("QTY", Some("QTY")));
        }
        while !self.stack.is_empty() {
            self.close_top(&mut missing);
        }
        missing
    }

    fn close_top(&mut self, missing: &mut Missing) {
        if let Some(frame) = self.stack.pop() {
            for (k, node) in frame.body.iter().enumerate().skip(frame.pos) {
                if node.min() > 0 && self.counts[frame.counts_at + k] == 0 {
                    missing.push((node.id(), frame.loop_id));
                }
            }
            self.counts.truncate(frame.counts_at);
        }
    }

    /// Finds `(stack depth, node index)` for `id`, innermost loop first.
    fn find(&self, id: &str) -> Option<(usize, usize)> {
        let key = crate::dict::pack_prefix(id.as_bytes());
        for depth in (0..self.stack.len()).rev() {
            let frame = &self.stack[depth];
            // Node 0 of a loop is its trigger: seeing it again starts a new iteration, which
            // the enclosing frame handles.
            let first = if frame.loop_id.is_some() {
                frame.pos.max(1)
            } else {
                frame.pos
            };
            for (j, node) in frame.body.iter().enumerate().skip(first) {
                if node.key() != key {
                    continue;
                }
                let uses = self.counts[frame.counts_at + j];
                // A segment already at its max use may be matched again further on (the same id
                // can appear twice in a body); otherwise the repeat is an over-use error.
                if j == frame.pos
                    && uses >= node.max()
                    && matches!(node, Node::Segment { .. })
                    && let Some(k) = frame.body[j + 1..].iter().position(|n| n.key() == key)
                {
                    return Some((depth, j + 1 + k));
                }
                return Some((depth, j));
            }
        }
        None
    }

    fn misplaced_kind(&self, id: &str) -> SegmentError {
        let earlier = self.stack.iter().any(|f| {
            f.body[..f.pos.min(f.body.len())]
                .iter()
                .any(|n| n.id() == id)
        });
        if earlier {
            SegmentError::OutOfSequence
        } else if contains(self.set.body, id) {
            SegmentError::Unexpected
        } else {
            SegmentError::NotInSet
        }
    }
}

fn contains(body: &[Node], id: &str) -> bool {
    body.iter().any(|n| match n {
        Node::Segment { id: s, .. } => *s == id,
        Node::Loop { id: s, body, .. } => *s == id || contains(body, id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dict::{self, Version};

    /// Walks `ids` (after ST); returns the errors and the missing segments, in order.
    fn walk(lin_first: bool, ids: &[&str]) -> Vec<String> {
        let def = dict::set(Version::V004010, "867").expect("867 grammar");
        let mut w = if lin_first {
            Walker::lin_first(def)
        } else {
            Walker::new(def)
        };
        let mut found = Vec::new();
        for id in ["ST", "BPT"].iter().chain(ids).chain(&["SE"]) {
            let mut missing = Missing::new();
            let p = w.place(id, &mut missing);
            found.extend(
                missing
                    .iter()
                    .map(|(m, _)| format!("{m} missing before {id}")),
            );
            found.extend(p.error.map(|e| format!("{id}: {e:?}")));
        }
        found.extend(
            w.finish()
                .iter()
                .map(|(m, _)| format!("{m} missing at the end")),
        );
        found
    }

    #[test]
    fn an_867_line_may_open_with_lin_when_asked() {
        let lines = [
            "PTD", "LIN", "QTY", "UIT", "LIN", "QTY", "QTY", "LIN", "AMT",
        ];
        assert!(walk(true, &lines).is_empty(), "{:?}", walk(true, &lines));
        assert_eq!(
            walk(false, &lines),
            ["LIN: Unexpected", "LIN: OutOfSequence"]
        );
    }

    #[test]
    fn a_lin_first_line_without_its_qty_is_missing_it() {
        assert_eq!(
            walk(true, &["PTD", "LIN", "UIT"]),
            ["QTY missing before UIT"]
        );
        // SE closes the set: the QTY is due before it.
        assert_eq!(walk(true, &["PTD", "LIN"]), ["QTY missing before SE"]);
        // Only the segment right after the LIN is its QTY; a later one opens a new line.
        assert_eq!(
            walk(true, &["PTD", "LIN", "UIT", "QTY"]),
            ["QTY missing before UIT"]
        );
    }
}
