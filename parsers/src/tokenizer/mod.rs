//! Bytes to segments: delimiter detection, the structural index, and the streaming reader.

pub mod delimiters;
pub mod reader;
pub mod scan;
pub mod segment;

pub use delimiters::{Delimiters, IsaFrame, IsaMode};
pub use reader::{ReaderOptions, SegmentReader, TokenError};
pub use segment::{Elements, OwnedSegment, Segment, components};
