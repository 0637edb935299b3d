//! Streaming segment reader over any `Read`.
//!
//! The reader owns one bounded buffer. It returns a segment only once its terminator is in
//! the buffer ("check before parse", as mini-redis frames do) and otherwise reads more,
//! compacting the buffer first, so memory is bounded by the longest segment, never by the
//! size of the file. Each interchange re-detects its delimiters from its own ISA, so files
//! that concatenate interchanges from different senders read correctly.

use std::io::Read;

use super::delimiters::{DelimiterError, Delimiters, IsaMode, detect};
use super::scan::Index;
use super::segment::Segment;

/// Bytes indexed at a time: small enough that the index and the bytes it describes are still
/// in the L1 cache when the segments are cut and read.
const PIECE: usize = 16 << 10;

/// Tuning for [`SegmentReader`].
#[derive(Debug, Clone, Copy)]
pub struct ReaderOptions {
    /// How the ISA is read (strict fixed width, or lenient separator counting).
    pub isa_mode: IsaMode,
    /// Longest segment accepted; longer input is reported instead of buffered without end.
    pub max_segment_len: usize,
    /// Size of each read from the source.
    pub chunk_size: usize,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            isa_mode: IsaMode::Strict,
            max_segment_len: 1 << 20,
            chunk_size: 256 << 10,
        }
    }
}

/// Why the byte stream could not be cut into segments. All variants carry the input offset.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Reading the source failed.
    #[error("byte {offset}: read failed: {source}")]
    Io {
        /// Offset reached when the read failed.
        offset: u64,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The interchange header could not be read, so its delimiters are unknown.
    #[error("byte {offset}: {source}")]
    Isa {
        /// Offset of the ISA.
        offset: u64,
        /// What was wrong with it.
        source: DelimiterError,
        /// The ISA's elements as far as they could be read by counting separators, so the
        /// rejecting TA1 can still echo the control number, date and time.
        salvaged: Vec<String>,
    },
    /// The input ended in the middle of a segment (no terminator).
    #[error("byte {offset}: input ends inside a segment (no segment terminator)")]
    Unterminated {
        /// Offset of the unterminated segment.
        offset: u64,
    },
    /// A segment is longer than the configured limit.
    #[error("byte {offset}: segment longer than {limit} bytes")]
    SegmentTooLong {
        /// Offset of the segment.
        offset: u64,
        /// The limit in force.
        limit: usize,
    },
}

impl TokenError {
    /// Input offset the error refers to.
    pub fn offset(&self) -> u64 {
        match self {
            TokenError::Io { offset, .. }
            | TokenError::Isa { offset, .. }
            | TokenError::Unterminated { offset }
            | TokenError::SegmentTooLong { offset, .. } => *offset,
        }
    }
}

/// Where the next segment lies in the buffer, found before any borrow is handed out.
struct Found {
    start: usize,
    end: usize,
    seps_from: usize,
    seps_to: usize,
    isa: bool,
}

/// Cuts a byte stream into [`Segment`]s, one at a time.
pub struct SegmentReader<R> {
    src: R,
    opts: ReaderOptions,
    buf: Vec<u8>,
    /// First byte not yet returned.
    start: usize,
    /// End of valid data in `buf`.
    filled: usize,
    /// End of the bytes already in `index`; indexing lags reading, a [`PIECE`] at a time.
    indexed: usize,
    index: Index,
    /// Element separators of the current ISA, which is indexed on its own.
    isa_seps: Vec<u32>,
    delimiters: Option<Delimiters>,
    /// Delimiters of the last interchange, kept for segments read after its IEA.
    last_delimiters: Option<Delimiters>,
    eof: bool,
    /// Input offset of `buf[0]`.
    base_offset: u64,
    at_file_start: bool,
}

impl<R: Read> SegmentReader<R> {
    /// A reader with default options.
    pub fn new(src: R) -> Self {
        Self::with_options(src, ReaderOptions::default())
    }

    /// A reader with the given options.
    pub fn with_options(src: R, opts: ReaderOptions) -> Self {
        SegmentReader {
            src,
            buf: vec![0; opts.chunk_size.max(4096)],
            opts,
            start: 0,
            filled: 0,
            indexed: 0,
            index: Index::default(),
            isa_seps: Vec::with_capacity(16),
            delimiters: None,
            last_delimiters: None,
            eof: false,
            base_offset: 0,
            at_file_start: true,
        }
    }

    /// Delimiters of the interchange being read (`None` before the first ISA).
    pub fn delimiters(&self) -> Option<Delimiters> {
        self.delimiters.or(self.last_delimiters)
    }

    /// Capacity of the internal buffers in bytes; stays flat however large the input is.
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity() + self.index.capacity_bytes()
    }

    /// Input offset of the next unread byte.
    pub fn position(&self) -> u64 {
        self.base_offset + self.start as u64
    }

    /// The next segment, `Ok(None)` at the end of the input.
    // Always inlined: out of line, the 56-byte result went through memory and was reloaded
    // with wider loads than it was stored with, a store-forwarding stall per segment.
    #[inline(always)]
    pub fn next_segment(&mut self) -> Result<Option<Segment<'_>>, TokenError> {
        // Nearly every call is answered from the index; reading, indexing and the ISA are
        // out of line so that this stays small enough to inline into the caller's loop.
        let found = match self.next_indexed() {
            Some(found) => found,
            None => match self.locate()? {
                Some(found) => found,
                None => return Ok(None),
            },
        };
        let delimiters = self
            .delimiters
            .or(self.last_delimiters)
            .unwrap_or(Delimiters::STANDARD);
        let seps: &[u32] = if found.isa {
            &self.isa_seps
        } else {
            self.index.seps(found.seps_from, found.seps_to)
        };
        let seg = Segment::new(
            &self.buf[found.start..found.end],
            seps,
            found.start as u32,
            delimiters,
            self.base_offset + found.start as u64,
        );
        if seg.raw().first() == Some(&b'I') && seg.id() == b"IEA" {
            // The next interchange announces its own delimiters.
            self.last_delimiters = self.delimiters.take();
        }
        Ok(Some(seg))
    }

    /// The next segment whose terminator is already indexed.
    #[inline(always)]
    fn next_indexed(&mut self) -> Option<Found> {
        let d = self.delimiters?;
        let cut = self.index.next_cut()?;
        let start = self.start + line_breaks(&self.buf[self.start..cut.end], d);
        self.start = cut.end + 1;
        Some(Found {
            start,
            end: cut.end,
            seps_from: cut.seps_from,
            seps_to: cut.seps_to,
            isa: false,
        })
    }

    #[inline(never)]
    fn locate(&mut self) -> Result<Option<Found>, TokenError> {
        loop {
            match self.delimiters {
                None => {
                    if let Some(found) = self.locate_isa()? {
                        return Ok(Some(found));
                    }
                    if self.start == self.filled && self.eof {
                        if self.last_delimiters.is_none() {
                            // Not one interchange: an empty file is no X12 (nothing to
                            // acknowledge as received, and it must not pass as valid).
                            return Err(TokenError::Isa {
                                offset: self.position(),
                                source: DelimiterError::Empty,
                                salvaged: Vec::new(),
                            });
                        }
                        return Ok(None);
                    }
                }
                Some(d) => {
                    if let Some(found) = self.next_indexed() {
                        return Ok(Some(found));
                    }
                    if self.indexed < self.filled {
                        self.index_piece(d);
                        continue;
                    }
                    self.start += line_breaks(&self.buf[self.start..self.filled], d);
                    if self.eof {
                        self.skip_filler();
                        if self.start == self.filled {
                            return Ok(None);
                        }
                        return Err(TokenError::Unterminated {
                            offset: self.position(),
                        });
                    }
                    if self.filled - self.start > self.opts.max_segment_len {
                        return Err(TokenError::SegmentTooLong {
                            offset: self.position(),
                            limit: self.opts.max_segment_len,
                        });
                    }
                }
            }
            self.fill()?;
        }
    }

    /// Tries to read an ISA at `start`; `Ok(None)` means more input is needed (or the end).
    fn locate_isa(&mut self) -> Result<Option<Found>, TokenError> {
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        self.skip_filler();
        if self.at_file_start {
            let head = &self.buf[self.start..self.filled];
            // A BOM split across reads must not be mistaken for bad data.
            if !self.eof && head.len() < BOM.len() && !head.is_empty() && BOM.starts_with(head) {
                return Ok(None);
            }
            // One BOM at most, decided once: later reads must not skip another one.
            let decided = !head.is_empty();
            if head.starts_with(BOM) {
                self.start += BOM.len();
                self.skip_filler();
            }
            if decided {
                self.at_file_start = false;
            }
        }
        if self.start == self.filled {
            return Ok(None);
        }
        let data = &self.buf[self.start..self.filled];
        match detect(data, self.opts.isa_mode) {
            Ok(frame) => {
                self.at_file_start = false;
                let d = frame.delimiters;
                let start = self.start;
                let end = start + frame.len - 1;
                self.isa_seps.clear();
                self.isa_seps.extend(
                    self.buf[start..end]
                        .iter()
                        .enumerate()
                        .filter(|&(_, &b)| b == d.element)
                        .map(|(i, _)| (start + i) as u32),
                );
                self.delimiters = Some(d);
                self.start = end + 1;
                // Bytes after the ISA may have been indexed with another interchange's delimiters.
                self.index.clear();
                self.indexed = self.start;
                Ok(Some(Found {
                    start,
                    end,
                    seps_from: 0,
                    seps_to: 0,
                    isa: true,
                }))
            }
            Err(DelimiterError::Truncated) if !self.eof => Ok(None),
            Err(source) => Err(TokenError::Isa {
                offset: self.position(),
                source,
                salvaged: salvage_isa(data),
            }),
        }
    }

    /// Skips what may stand outside interchanges: whitespace, and the NUL and SUB (Ctrl-Z,
    /// the DOS end-of-file mark) bytes some senders' systems pad a file with or append to it.
    /// Read as the start of an interchange, they made a file of one good interchange a
    /// rejected one (TA1 `022`) and sent its partner a refusal for nothing.
    fn skip_filler(&mut self) {
        while self.start < self.filled && is_filler(self.buf[self.start]) {
            self.start += 1;
        }
    }

    fn fill(&mut self) -> Result<(), TokenError> {
        if self.start > 0 {
            self.compact();
        }
        if self.filled == self.buf.len() {
            // Only a segment longer than the buffer gets here; max_segment_len bounds it.
            let grown = (self.buf.len() * 2).min(self.opts.max_segment_len + self.opts.chunk_size);
            self.buf.resize(grown.max(self.buf.len() + 1), 0);
        }
        let n = loop {
            match self.src.read(&mut self.buf[self.filled..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(TokenError::Io {
                        offset: self.base_offset + self.filled as u64,
                        source,
                    });
                }
            }
        };
        if n == 0 {
            self.eof = true;
        }
        self.filled += n;
        Ok(())
    }

    fn compact(&mut self) {
        let shift = self.start;
        self.buf.copy_within(self.start..self.filled, 0);
        self.filled -= shift;
        self.indexed = self.indexed.saturating_sub(shift);
        self.base_offset += shift as u64;
        self.start = 0;
        if self.delimiters.is_some() {
            self.index.discard_consumed();
            self.index.shift(shift as u32);
        } else {
            // Between interchanges: the next ISA indexes afresh with its own delimiters.
            self.index.clear();
        }
    }

    /// Indexes the next [`PIECE`] of read bytes, first dropping the entries already used.
    fn index_piece(&mut self, d: Delimiters) {
        self.index.discard_consumed();
        let from = self.indexed.max(self.start);
        let to = self.filled.min(from + PIECE);
        self.index
            .extend(&self.buf[from..to], from as u32, d.element, d.segment);
        self.indexed = to;
    }
}

/// Whitespace, NUL or SUB: [`SegmentReader::skip_filler`].
fn is_filler(b: u8) -> bool {
    b.is_ascii_whitespace() || b == 0 || b == 0x1A
}

/// How many line-break bytes start `data`: partners send CR, LF or CRLF after terminators,
/// and some a space or tab before the line break (lines padded or trailed by the tool that
/// wrote them); none is data, for a segment id never starts with one. Read as data, `~ \n`
/// made the next segment's id `" \nLIN"`, rejected as unrecognized. A whitespace byte that
/// is itself a delimiter is data and stops the count.
#[inline]
fn line_breaks(data: &[u8], d: Delimiters) -> usize {
    data.iter()
        .take_while(|&&b| {
            matches!(b, b'\r' | b'\n' | b' ' | b'\t') && b != d.segment && b != d.element
        })
        .count()
}

/// Reads up to 16 ISA elements by splitting on the byte after `ISA`, stopping at a line
/// break or after 200 bytes; best effort, for error reporting only.
fn salvage_isa(data: &[u8]) -> Vec<String> {
    let Some(&sep) = data.get(3).filter(|_| data.starts_with(b"ISA")) else {
        return Vec::new();
    };
    let end = data
        .iter()
        .take(200)
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(data.len().min(200));
    data[4..end.max(4)]
        .split(|&b| b == sep)
        .take(16)
        .map(|e| String::from_utf8_lossy(e).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &[u8] = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *261115*1405*U*00401*000000001*0*P*>~\nGS*FA*A*B*20261115*1405*1*X*004010~\nST*997*0001~\nAK1*CF*5001~\nSE*3*0001~\nGE*1*1~\nIEA*1*000000001~\n\
ISA|00|          |00|          |ZZ|A              |ZZ|B              |261201|0800|^|00501|000000002|0|P|:\r\nGS|FA|A|B|20261201|0800|2|X|005010\r\nGE|0|2\r\nIEA|1|000000002\r\n";

    fn ids(data: &[u8], chunk: usize) -> Vec<String> {
        let opts = ReaderOptions {
            chunk_size: chunk,
            ..ReaderOptions::default()
        };
        let mut r = SegmentReader::with_options(data, opts);
        let mut out = Vec::new();
        while let Some(s) = r.next_segment().expect("valid input") {
            out.push(format!("{}:{}", s.id_str(), s.element_count()));
        }
        out
    }

    #[test]
    fn reads_two_interchanges_with_different_delimiters() {
        let got = ids(TWO, 4096);
        assert_eq!(
            got,
            vec![
                "ISA:16", "GS:8", "ST:2", "AK1:2", "SE:2", "GE:2", "IEA:2", "ISA:16", "GS:8",
                "GE:2", "IEA:2"
            ]
        );
    }

    /// NUL padding and a DOS end-of-file mark (Ctrl-Z) around and between interchanges are
    /// filler, as whitespace is, however the bytes are read.
    #[test]
    fn nul_and_ctrl_z_outside_interchanges_are_skipped() {
        let first_end = TWO
            .windows(4)
            .position(|w| w == b"\nISA")
            .expect("two interchanges")
            + 1;
        let mut padded = b"\0\0".to_vec();
        padded.extend_from_slice(&TWO[..first_end]);
        padded.extend_from_slice(b"\0\0\0\x1a\r\n");
        padded.extend_from_slice(&TWO[first_end..]);
        padded.extend_from_slice(&[0; 300]);
        padded.push(0x1A);
        for chunk in [4096, 1 << 16] {
            assert_eq!(ids(&padded, chunk), ids(TWO, chunk));
        }
        // Inside an interchange a NUL is data, not filler: the segment keeps it.
        let inside = String::from_utf8(TWO.to_vec()).expect("text").replacen(
            "AK1*CF*5001~",
            "AK1*CF*50\u{0}01~",
            1,
        );
        let mut r = SegmentReader::new(inside.as_bytes());
        let mut ak1 = None;
        while let Some(seg) = r.next_segment().expect("reads") {
            if seg.id() == b"AK1" {
                ak1 = seg.element(2).map(<[u8]>::to_vec);
            }
        }
        assert_eq!(ak1.as_deref(), Some(&b"50\x0001"[..]));
    }

    #[test]
    fn tiny_reads_give_the_same_segments() {
        // chunk_size is clamped to 4096, so exercise small reads through a slow source instead.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(out.len()).min(3);
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut r = SegmentReader::new(Trickle(TWO));
        let mut n = 0;
        while let Some(s) = r.next_segment().expect("valid") {
            assert!(!s.id().is_empty());
            n += 1;
        }
        assert_eq!(n, 11);
    }

    /// Regression: fuzz input `tokenize-bom-split-across-reads`.
    #[test]
    fn bom_split_across_reads_is_skipped() {
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(out.len()).min(1);
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut data = b"  \xEF\xBB\xBF".to_vec();
        data.extend_from_slice(&TWO[..TWO.len()]);
        let mut r = SegmentReader::new(OneByte(&data));
        let first = r.next_segment().expect("BOM skipped").expect("ISA");
        assert_eq!(first.id(), b"ISA");
        // Only blanks and a BOM: no interchange, wherever the reads split the BOM.
        let mut r = SegmentReader::new(OneByte(b"     \xEF\xBB\xBF"));
        assert!(matches!(
            r.next_segment(),
            Err(TokenError::Isa {
                source: DelimiterError::Empty,
                offset: 8,
                ..
            })
        ));
    }

    /// Regression: fuzz input `tokenize-crash-df9cb231…`: a second BOM was skipped only when
    /// it arrived in a later read, so chunking changed the error offset.
    #[test]
    fn only_one_bom_is_skipped_however_the_input_is_read() {
        let mut data = vec![b'\t'; 3];
        data.extend_from_slice(b"\xEF\xBB\xBF\t\t\xEF\xBB\xBF\t$");
        let whole = SegmentReader::new(&data[..])
            .next_segment()
            .map(|_| ())
            .expect_err("no ISA");
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(out.len()).min(1);
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let trickled = SegmentReader::new(OneByte(&data))
            .next_segment()
            .map(|_| ())
            .expect_err("no ISA");
        assert_eq!(whole.offset(), 8);
        assert_eq!(trickled.offset(), whole.offset());
    }

    #[test]
    fn elements_are_one_based_and_keep_empties() {
        let data = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *261115*1405*U*00401*000000001*0*P*>~N1*ST**11*AR1234563~";
        let mut r = SegmentReader::new(&data[..]);
        let isa = r.next_segment().expect("ok").expect("isa");
        assert_eq!(isa.element(13), Some(&b"000000001"[..]));
        assert_eq!(isa.element(16), Some(&b">"[..]));
        let n1 = r.next_segment().expect("ok").expect("n1");
        assert_eq!(n1.id(), b"N1");
        assert_eq!(n1.element(1), Some(&b"ST"[..]));
        assert_eq!(n1.element(2), Some(&b""[..]));
        assert_eq!(n1.element(4), Some(&b"AR1234563"[..]));
        assert_eq!(n1.element(5), None);
        assert_eq!(n1.text(2), None);
    }

    /// A line feed that is the element separator is data, not a line break after the
    /// terminator (skipping it left a separator before the segment's start, which panicked).
    #[test]
    fn line_feed_element_separator_is_not_skipped() {
        let mut data = TWO[..106].to_vec();
        for b in &mut data[..104] {
            if *b == b'*' {
                *b = b'\n';
            }
        }
        data.extend_from_slice(b"\nGS\nFA~");
        let mut r = SegmentReader::new(&data[..]);
        assert_eq!(r.next_segment().expect("isa").expect("isa").id(), b"ISA");
        let seg = r.next_segment().expect("read").expect("segment");
        assert_eq!(seg.id(), b"");
        assert_eq!(seg.elements().collect::<Vec<_>>(), vec![&b"GS"[..], b"FA"]);
    }

    /// Spaces or tabs around the line break after a terminator are not data: the segment
    /// after `~ \n` or `~\r\n\t` is read by its id, as after `~\n`.
    #[test]
    fn spaces_and_tabs_around_a_line_break_are_not_data() {
        let mut data = TWO[..106].to_vec();
        data.extend_from_slice(b" \nGS*FA~  \r\n\tST*997~\t\nSE*2* 0001 ~ ");
        let mut r = SegmentReader::new(&data[..]);
        assert_eq!(r.next_segment().expect("isa").expect("isa").id(), b"ISA");
        let mut ids = Vec::new();
        let mut last = Vec::new();
        while let Some(seg) = r.next_segment().expect("segment") {
            ids.push(String::from_utf8_lossy(seg.id()).into_owned());
            last = seg.elements().map(<[u8]>::to_vec).collect();
        }
        assert_eq!(ids, ["GS", "ST", "SE"]);
        // Spaces inside a segment are its data.
        assert_eq!(last, vec![b"2".to_vec(), b" 0001 ".to_vec()]);
    }

    #[test]
    fn piece_boundaries_do_not_change_segments() {
        // Long enough for several index pieces, with segments across every boundary.
        let mut data = TWO[..106].to_vec();
        for i in 0..5000 {
            data.extend_from_slice(format!("REF*IV*{}*{}~\r\n", "x".repeat(i % 37), i).as_bytes());
        }
        let mut r = SegmentReader::new(&data[..]);
        r.next_segment().expect("isa").expect("isa");
        for i in 0..5000 {
            let seg = r.next_segment().expect("read").expect("segment");
            let want = format!("{}", i);
            assert_eq!(seg.id(), b"REF");
            assert_eq!(seg.element(3), Some(want.as_bytes()));
            assert_eq!(seg.elements().len(), 3);
        }
        assert!(r.next_segment().expect("end").is_none());
    }

    #[test]
    fn unterminated_tail_is_an_error_with_offset() {
        let data = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *261115*1405*U*00401*000000001*0*P*>~GS*FA";
        let mut r = SegmentReader::new(&data[..]);
        assert!(r.next_segment().expect("isa").is_some());
        let err = r.next_segment().expect_err("unterminated");
        assert!(matches!(err, TokenError::Unterminated { offset: 106 }));
    }

    #[test]
    fn segment_longer_than_limit_is_refused() {
        let mut data = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *261115*1405*U*00401*000000001*0*P*>~NTE*".to_vec();
        data.extend(std::iter::repeat_n(b'x', 20_000));
        let opts = ReaderOptions {
            max_segment_len: 10_000,
            chunk_size: 4096,
            ..ReaderOptions::default()
        };
        let mut r = SegmentReader::with_options(&data[..], opts);
        assert!(r.next_segment().expect("isa").is_some());
        assert!(matches!(
            r.next_segment(),
            Err(TokenError::SegmentTooLong { offset: 106, .. })
        ));
    }
}
