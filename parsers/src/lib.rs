//! Streaming ASC X12 for the chargeback transaction sets (004010 and 005010).
//!
//! Pure: reads from any `Read`, writes to any `Write`, never touches a clock, a socket or the
//! file system. Layers, bottom up: [`tokenizer`] cuts bytes into zero-copy segments,
//! [`dict`] holds the segment dictionary and set grammars, [`validate`] checks envelopes and
//! syntax and reports located [`Diagnostic`]s, [`ack`] turns those into 997/999/TA1, and
//! [`writer`] renders segments and envelopes with any delimiter set.
#![forbid(unsafe_code)]

pub mod ack;
pub mod diagnostic;
pub mod dict;
pub mod envelope;
pub mod generate;
pub mod sets;
pub mod stream;
pub mod tokenizer;
pub mod validate;
pub mod writer;

pub use diagnostic::{Code, Diagnostic, Location, Severity};
pub use tokenizer::{Delimiters, IsaMode, ReaderOptions, Segment, SegmentReader, TokenError};
