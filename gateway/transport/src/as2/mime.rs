//! The MIME subset AS2 uses: header blocks (folded, CRLF or bare LF), parameters with quoted
//! values, multipart bodies and CRLF canonicalization. Everything borrows from the input buffer
//! so a 50 MB body is never copied just to be looked at.

use std::borrow::Cow;
use std::ops::Range;

use memchr::memmem;

use super::error::{As2Error, As2Result};

/// Header fields in order, names as written.
pub type Headers = Vec<(String, String)>;

/// Case-insensitive header lookup (first occurrence).
pub fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Splits a MIME entity into its header fields and the offset where its body starts.
/// Continuation lines (starting with space or tab) are unfolded.
pub fn split_head(entity: &[u8]) -> As2Result<(Headers, usize)> {
    let mut headers: Headers = Vec::new();
    let mut pos = 0;
    loop {
        let Some(nl) = memchr::memchr(b'\n', &entity[pos..]) else {
            // A header block without the empty line: everything was headers, body is empty.
            push_line(&mut headers, &entity[pos..])?;
            return Ok((headers, entity.len()));
        };
        let line_end = pos + nl;
        let line = trim_cr(&entity[pos..line_end]);
        pos = line_end + 1;
        if line.is_empty() {
            return Ok((headers, pos));
        }
        push_line(&mut headers, line)?;
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn push_line(headers: &mut Headers, line: &[u8]) -> As2Result<()> {
    if line.is_empty() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(line);
    if line[0] == b' ' || line[0] == b'\t' {
        let last = headers
            .last_mut()
            .ok_or_else(|| As2Error::Mime("continuation line before any header".into()))?;
        last.1.push(' ');
        last.1.push_str(text.trim());
        return Ok(());
    }
    let (name, value) = text.split_once(':').ok_or_else(|| {
        As2Error::Mime(format!(
            "header line without colon: {}",
            text.chars().take(60).collect::<String>()
        ))
    })?;
    headers.push((name.trim().to_owned(), value.trim().to_owned()));
    Ok(())
}

/// A structured header value such as Content-Type: the lowercase main value and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderValue {
    /// The value before the first `;`, lowercased.
    pub value: String,
    /// Parameters with lowercase names and unquoted values.
    pub params: Vec<(String, String)>,
}

impl HeaderValue {
    /// Parses `type/subtype; a=b; c="quoted; value"`.
    pub fn parse(raw: &str) -> Self {
        let mut parts = split_unquoted(raw, ';').into_iter();
        let value = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let params = parts
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                Some((k.trim().to_ascii_lowercase(), unquote(v.trim())))
            })
            .collect();
        Self { value, params }
    }

    /// A parameter's value by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Splits on `sep` outside double quotes.
pub fn split_unquoted(raw: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in raw.chars() {
        if escaped {
            current.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => {
                current.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c == sep && !quoted => out.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    out.push(current);
    out
}

/// Removes surrounding double quotes and backslash escapes.
pub fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut escaped = false;
    for c in inner.chars() {
        if escaped || c != '\\' {
            out.push(c);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    out
}

/// The body parts of a multipart body as ranges into `body`, preamble and epilogue dropped.
/// A part ends before the line break that precedes its closing delimiter (RFC 2046 5.1.1).
pub fn split_multipart(body: &[u8], boundary: &str) -> As2Result<Vec<Range<usize>>> {
    if boundary.is_empty() {
        return Err(As2Error::Mime("empty multipart boundary".into()));
    }
    let delimiter = format!("--{boundary}");
    let finder = memmem::Finder::new(delimiter.as_bytes());
    let mut search = 0;
    let mut parts = Vec::new();
    let mut part_start: Option<usize> = None;
    while let Some(found) = finder.find(&body[search..]) {
        let at = search + found;
        search = at + delimiter.len();
        // A delimiter only counts at the start of a line.
        if at != 0 && body[at - 1] != b'\n' {
            continue;
        }
        if let Some(start) = part_start {
            let mut end = at;
            if end > start && body[end - 1] == b'\n' {
                end -= 1;
                if end > start && body[end - 1] == b'\r' {
                    end -= 1;
                }
            }
            parts.push(start..end.max(start));
        }
        if body[search..].starts_with(b"--") {
            return Ok(parts);
        }
        // Skip transport padding and the line break after the delimiter.
        let Some(nl) = memchr::memchr(b'\n', &body[search..]) else {
            return Err(As2Error::Mime("delimiter line not terminated".into()));
        };
        part_start = Some(search + nl + 1);
    }
    Err(As2Error::Mime(format!(
        "closing boundary {boundary} not found"
    )))
}

/// Converts bare LF line ends to CRLF (RFC 5751 canonical form); borrows when already canonical.
pub fn canonicalize(data: &[u8]) -> Cow<'_, [u8]> {
    let bare = memchr::memchr_iter(b'\n', data).any(|i| i == 0 || data[i - 1] != b'\r');
    if !bare {
        return Cow::Borrowed(data);
    }
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    let mut prev = 0u8;
    for &b in data {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    Cow::Owned(out)
}

/// Writes header fields as `Name: value\r\n` lines.
pub fn write_headers(out: &mut Vec<u8>, headers: &[(&str, &str)]) {
    for (k, v) in headers {
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// A fresh random boundary.
pub fn new_boundary() -> String {
    format!("----=_Part_{}", uuid::Uuid::new_v4().simple())
}

/// Decodes a base64 body, ignoring line breaks and other whitespace.
pub fn decode_base64(data: &[u8]) -> As2Result<Vec<u8>> {
    use base64::Engine;
    let compact: Vec<u8> = data
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| As2Error::Mime(format!("bad base64: {e}")))
}

/// Encodes base64 in 76-character CRLF lines, as MIME wants.
pub fn encode_base64_lines(data: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let flat = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = Vec::with_capacity(flat.len() + flat.len() / 38 + 2);
    for line in flat.as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn unfolds_continuation_lines() {
        let entity = b"Content-Type: multipart/signed;\r\n\tprotocol=\"application/pkcs7-signature\";\r\n micalg=sha-256\r\n\r\nbody";
        let (headers, at) = split_head(entity).unwrap();
        assert_eq!(
            header(&headers, "content-type").unwrap(),
            "multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256"
        );
        assert_eq!(&entity[at..], b"body");
    }

    #[test]
    fn header_block_with_bare_lf() {
        let (headers, at) = split_head(b"A: 1\nB: 2\n\nxyz").unwrap();
        assert_eq!(headers.len(), 2);
        assert_eq!(at, 11);
    }

    #[test]
    fn quoted_boundary_with_semicolon() {
        let v = HeaderValue::parse("Multipart/Signed; boundary=\"a;b=c\"; micalg=SHA256");
        assert_eq!(v.value, "multipart/signed");
        assert_eq!(v.param("BOUNDARY"), Some("a;b=c"));
        assert_eq!(v.param("micalg"), Some("SHA256"));
    }

    #[test]
    fn multipart_parts_exclude_the_crlf_before_delimiters() {
        let body =
            b"preamble\r\n--b1\r\nA: 1\r\n\r\none\r\n--b1\r\n\r\ntwo\r\n\r\n--b1--\r\nepilogue";
        let parts = split_multipart(body, "b1").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(&body[parts[0].clone()], b"A: 1\r\n\r\none");
        assert_eq!(&body[parts[1].clone()], b"\r\ntwo\r\n");
    }

    #[test]
    fn multipart_with_lf_only_and_boundary_inside_text() {
        let body = b"--b\nx: y\n\nsee --b in text\n--b\n\nz\n--b--\n";
        let parts = split_multipart(body, "b").unwrap();
        assert_eq!(&body[parts[0].clone()], b"x: y\n\nsee --b in text");
        assert_eq!(&body[parts[1].clone()], b"\nz");
    }

    #[test]
    fn missing_closing_boundary_is_an_error() {
        assert!(split_multipart(b"--b\r\n\r\nx\r\n", "b").is_err());
    }

    #[test]
    fn canonicalizes_bare_lf_only() {
        assert!(matches!(canonicalize(b"a\r\nb"), Cow::Borrowed(_)));
        assert_eq!(canonicalize(b"a\nb\r\nc\n").as_ref(), b"a\r\nb\r\nc\r\n");
    }
}
