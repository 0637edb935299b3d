//! Profile errors that name the file, the line and the key.
//!
//! The `toml` crate reports a byte span and a serde message; operators need
//! `profiles/acme.toml:12: unknown key "wac_qualfier" in [dialect]`. This module turns one into
//! the other: it finds the key under the span in the parsed document (so the key path is exact
//! even for nested and inline tables), converts the offset to a line number, and rewrites the
//! serde message into one of a few kinds.

use std::fmt;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A profile that could not be read, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {kind}")]
pub struct ProfileError {
    /// The file as the caller named it (`profiles/acme.toml`).
    pub file: String,
    /// 1-based line of the offending key (or of its table when the key is missing).
    pub line: usize,
    /// What is wrong (boxed to keep `Result<_, ProfileError>` small).
    pub kind: Box<ProfileErrorKind>,
}

/// The table a key belongs to, displayed as `in [x12.delimiters]` or `at the top level`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section(pub Vec<String>);

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("at the top level")
        } else {
            write!(f, "in [{}]", self.0.join("."))
        }
    }
}

/// What is wrong with a profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileErrorKind {
    /// The text is not valid TOML.
    #[error("invalid TOML: {message}")]
    Syntax {
        /// The parser's message.
        message: String,
    },
    /// A key the format does not have (often a typo).
    #[error("unknown key \"{key}\" {section}{}", did_you_mean(.suggestion))]
    UnknownKey {
        /// The key as written.
        key: String,
        /// Its table.
        section: Section,
        /// The closest known key, when one is close.
        suggestion: Option<String>,
    },
    /// A required key is absent.
    #[error("missing key \"{key}\" {section}")]
    MissingKey {
        /// The key.
        key: String,
        /// The table that lacks it.
        section: Section,
    },
    /// A value of the wrong TOML type (a number where a string is expected, ...).
    #[error("wrong type for key \"{key}\" {section}: {message}")]
    WrongType {
        /// The key.
        key: String,
        /// Its table.
        section: Section,
        /// Expected and found types.
        message: String,
    },
    /// A value of the right type that is not allowed (an unknown enum value, a bad code, a
    /// range the wrong way round). The message names what is allowed.
    #[error("bad value {value} for key \"{key}\" {section}: {message}")]
    BadValue {
        /// The key.
        key: String,
        /// Its table.
        section: Section,
        /// The value as written in the file.
        value: String,
        /// What is allowed.
        message: String,
    },
    /// A `version` this build cannot read.
    #[error("unsupported profile version {found}: this build reads profile version {latest}")]
    UnsupportedVersion {
        /// The version found.
        found: String,
        /// The newest version this build reads.
        latest: u32,
    },
}

fn did_you_mean(s: &Option<String>) -> String {
    match s {
        Some(k) => format!(" (did you mean \"{k}\"?)"),
        None => String::new(),
    }
}

/// An error found while building a [`Profile`](super::Profile) from a raw one: the key path
/// and what is wrong; [`locate_build_error`] adds file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    /// Key path from the top (`["money", "abs_tol"]`). An entry of an array of tables is
    /// named by its 0-based index after `#`, right after the array's key
    /// (`["rules", "uom_conversions", "#1", "factor"]`): it locates the line, and is left out
    /// of the section the error displays (`in [rules.uom_conversions]`), as it is for an
    /// unknown key in such an entry.
    pub path: Vec<String>,
    /// What is wrong.
    pub problem: BuildProblem,
}

/// What a [`BuildError`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildProblem {
    /// The value is not allowed; `value` is shown quoted.
    BadValue {
        /// The value.
        value: String,
        /// What is allowed.
        message: String,
    },
    /// A key required in this context is absent.
    MissingKey,
}

impl BuildError {
    /// A bad value at `path`.
    pub fn bad(path: &[&str], value: impl fmt::Display, message: impl Into<String>) -> Self {
        BuildError {
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            problem: BuildProblem::BadValue {
                value: value.to_string(),
                message: message.into(),
            },
        }
    }

    /// A missing key at `path`.
    pub fn missing(path: &[&str]) -> Self {
        BuildError {
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            problem: BuildProblem::MissingKey,
        }
    }
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Quotes a value for a message the way TOML writes a string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Where a span points in the document.
struct Hit {
    path: Vec<String>,
    /// True when the span is a key rather than a value.
    on_key: bool,
}

fn contains(span: &std::ops::Range<usize>, pos: usize) -> bool {
    span.start <= pos && pos < span.end.max(span.start + 1)
}

fn find_in_table(table: &DeTable<'_>, pos: usize, path: &mut Vec<String>) -> Option<bool> {
    for (k, v) in table.iter() {
        path.push(k.get_ref().to_string());
        if contains(&k.span(), pos) {
            return Some(true);
        }
        if let Some(found) = find_in_value(v, pos, path) {
            return Some(found);
        }
        path.pop();
    }
    None
}

fn find_in_value(v: &Spanned<DeValue<'_>>, pos: usize, path: &mut Vec<String>) -> Option<bool> {
    match v.get_ref() {
        DeValue::Table(t) => {
            if let Some(found) = find_in_table(t, pos, path) {
                return Some(found);
            }
        }
        DeValue::Array(items) => {
            for item in items.iter() {
                let DeValue::Table(t) = item.get_ref() else {
                    continue;
                };
                if let Some(found) = find_in_table(t, pos, path) {
                    return Some(found);
                }
                // An entry of an array of tables (`[[rules.uom_conversions]]`) lacking a key:
                // the array's key, the line the entry's own.
                if contains(&item.span(), pos) {
                    return Some(false);
                }
            }
        }
        _ => {}
    }
    contains(&v.span(), pos).then_some(false)
}

fn hit(doc: &Spanned<DeTable<'_>>, pos: usize) -> Hit {
    let mut path = Vec::new();
    match find_in_table(doc.get_ref(), pos, &mut path) {
        Some(on_key) => Hit { path, on_key },
        None => Hit {
            path: Vec::new(),
            on_key: false,
        },
    }
}

/// The index `n` of a path part `#n` (an entry of an array of tables, [`BuildError::path`]).
fn entry_index(part: &str) -> Option<usize> {
    part.strip_prefix('#')?.parse().ok()
}

/// The span of the key at `path`, or of its deepest existing ancestor.
fn key_span(doc: &Spanned<DeTable<'_>>, path: &[String]) -> Option<std::ops::Range<usize>> {
    let mut table = doc.get_ref();
    let mut best = None;
    let mut i = 0;
    while let Some(part) = path.get(i) {
        let Some((k, mut v)) = table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == part.as_str())
        else {
            break;
        };
        best = Some(k.span());
        // `[[a.b]]`: the entry the next part names, whose keys follow.
        if let (DeValue::Array(items), Some(n)) =
            (v.get_ref(), path.get(i + 1).and_then(|p| entry_index(p)))
        {
            let Some(entry) = items.get(n) else {
                break;
            };
            v = entry;
            i += 1;
        }
        match v.get_ref() {
            DeValue::Table(t) if i + 1 < path.len() => table = t,
            _ => break,
        }
        i += 1;
    }
    best
}

fn split_path(mut path: Vec<String>) -> (String, Section) {
    let key = path.pop().unwrap_or_default();
    (key, Section(path))
}

/// As [`split_path`], the `#n` entry indexes left out of the section.
fn split_build_path(path: Vec<String>) -> (String, Section) {
    let (key, Section(mut section)) = split_path(path);
    section.retain(|p| entry_index(p).is_none());
    (key, Section(section))
}

/// The names between backticks in a serde message (`expected one of `a`, `b``).
fn backticked(s: &str) -> Vec<String> {
    s.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, p)| p.to_owned())
        .collect()
}

fn requote(s: &str) -> String {
    s.replace('`', "\"")
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known key closest to a misspelt one, when it is close enough to be a typo.
fn suggest(key: &str, known: &[String]) -> Option<String> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), k))
        .filter(|(d, k)| *d <= 3.max(k.len() / 4) && *d < k.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.clone())
}

/// Turns a `toml` parse or deserialization error into a located profile error.
pub fn locate_toml_error(
    file: &str,
    text: &str,
    doc: Option<&Spanned<DeTable<'_>>>,
    err: &toml::de::Error,
) -> ProfileError {
    let span = err.span();
    let line = span.as_ref().map_or(1, |s| line_of(text, s.start));
    let message = err.message().trim().to_owned();
    let at = |kind| ProfileError {
        file: file.to_owned(),
        line,
        kind: Box::new(kind),
    };
    let Some(doc) = doc else {
        return at(ProfileErrorKind::Syntax { message });
    };
    let hit = match &span {
        Some(s) if !(s.start == 0 && s.end == 0) => hit(doc, s.start),
        _ => Hit {
            path: Vec::new(),
            on_key: false,
        },
    };
    let value_text = span
        .as_ref()
        .and_then(|s| text.get(s.clone()))
        .unwrap_or("")
        .to_owned();

    if let Some(rest) = message.strip_prefix("unknown field ") {
        let names = backticked(rest);
        let key = names.first().cloned().unwrap_or_default();
        let mut path = hit.path;
        if hit.on_key {
            path.pop();
        }
        return at(ProfileErrorKind::UnknownKey {
            suggestion: suggest(&key, &names[1.min(names.len())..]),
            key,
            section: Section(path),
        });
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let key = backticked(rest).into_iter().next().unwrap_or_default();
        return at(ProfileErrorKind::MissingKey {
            key,
            section: Section(hit.path),
        });
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let names = backticked(rest);
        let value = names.first().cloned().unwrap_or_default();
        let allowed: Vec<String> = names.iter().skip(1).map(|n| quote(n)).collect();
        if hit.on_key {
            // A map whose keys are an enum (`[reject_codes]`): an unknown key.
            let (key, section) = split_path(hit.path);
            return at(ProfileErrorKind::UnknownKey {
                suggestion: suggest(&key, &names[1.min(names.len())..]),
                key,
                section,
            });
        }
        let (key, section) = split_path(hit.path);
        return at(ProfileErrorKind::BadValue {
            key,
            section,
            value: quote(&value),
            message: format!("expected one of {}", allowed.join(", ")),
        });
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (key, section) = split_path(hit.path);
        let message = match rest.split_once(", expected ") {
            Some((found, expected)) => {
                format!("expected {}, found {}", expected, found.replace('`', ""))
            }
            None => requote(rest),
        };
        return at(ProfileErrorKind::WrongType {
            key,
            section,
            message,
        });
    }
    let (key, section) = split_path(hit.path);
    let message = message
        .strip_prefix("invalid value: ")
        .map_or_else(|| requote(&message), requote);
    at(ProfileErrorKind::BadValue {
        key,
        section,
        value: value_text,
        message,
    })
}

/// Adds file and line to an error found while building the validated profile.
pub fn locate_build_error(
    file: &str,
    text: &str,
    doc: &Spanned<DeTable<'_>>,
    err: BuildError,
) -> ProfileError {
    let line = key_span(doc, &err.path).map_or(1, |s| line_of(text, s.start));
    let (key, section) = split_build_path(err.path);
    let kind = match err.problem {
        BuildProblem::BadValue { value, message } => ProfileErrorKind::BadValue {
            key,
            section,
            value: quote(&value),
            message,
        },
        BuildProblem::MissingKey => ProfileErrorKind::MissingKey { key, section },
    };
    ProfileError {
        file: file.to_owned(),
        line,
        kind: Box::new(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    #[test]
    fn suggests_only_close_keys() {
        let known = vec!["reference_price_basis".to_owned(), "invoice_ref".to_owned()];
        assert_eq!(
            suggest("refrence_price_basis", &known).as_deref(),
            Some("reference_price_basis")
        );
        assert_eq!(suggest("wac_qualfier", &known), None);
    }

    #[test]
    fn key_paths_resolve_to_the_key_line_or_its_table() {
        let text = "version = 1\n\n[money]\nscale = 2\nabs_tol = \"x\"\n";
        let doc = DeTable::parse(text).expect("toml");
        let p = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let at = |path: &[&str]| key_span(&doc, &p(path)).map(|s| line_of(text, s.start));
        assert_eq!(at(&["money", "abs_tol"]), Some(5));
        assert_eq!(at(&["money", "pct_tol"]), Some(3));
        assert_eq!(at(&["rules", "x"]), None);
    }

    #[test]
    fn entry_indexes_reach_into_arrays_of_tables() {
        let text = "version = 1\n\n[rules]\n\n[[rules.uom_conversions]]\nfrom = \"EA\"\n\n\
                    [[rules.uom_conversions]]\nfrom = \"CS\"\nfactor = \"0\"\n";
        let doc = DeTable::parse(text).expect("toml");
        let p = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let at = |path: &[&str]| key_span(&doc, &p(path)).map(|s| line_of(text, s.start));
        assert_eq!(at(&["rules", "uom_conversions", "#0", "from"]), Some(6));
        assert_eq!(at(&["rules", "uom_conversions", "#1", "from"]), Some(9));
        assert_eq!(at(&["rules", "uom_conversions", "#1", "factor"]), Some(10));
        let e = locate_build_error(
            "p.toml",
            text,
            &doc,
            BuildError::bad(&["rules", "uom_conversions", "#1", "factor"], "0", "zero"),
        );
        assert_eq!(
            e.to_string(),
            "p.toml:10: bad value \"0\" for key \"factor\" in [rules.uom_conversions]: zero"
        );
    }
}
