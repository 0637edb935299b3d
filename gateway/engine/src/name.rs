//! `Name`: an immutable short string that clones without touching the heap.
//!
//! Contract numbers, item keys and units are copied into every validation and pricing
//! snapshot. Up to 31 bytes they live inline, so a copy is a 32-byte move; longer names share
//! one `Arc<str>`. Serialized as a plain string.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const INLINE: usize = 31;

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Shared(Arc<str>),
}

/// An immutable string, inline up to 31 bytes.
#[derive(Clone)]
pub struct Name(Repr);

impl Name {
    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Invariant: `bytes[..len]` was copied from a `&str`, so it is valid UTF-8.
            Repr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Shared(text) => text,
        }
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Self {
        if text.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            Self(Repr::Inline {
                len: text.len() as u8,
                bytes,
            })
        } else {
            Self(Repr::Shared(Arc::from(text)))
        }
    }
}

impl From<String> for Name {
    fn from(text: String) -> Self {
        Self::from(text.as_str())
    }
}

impl Default for Name {
    fn default() -> Self {
        Self::from("")
    }
}

impl Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Self::from(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_names_read_back() -> Result<(), serde_json::Error> {
        let short = Name::from("SPA-2026-0042");
        let long = Name::from("VP:A-VERY-LONG-MANUFACTURER-PART-NUMBER-123");
        assert_eq!(short.as_str(), "SPA-2026-0042");
        assert_eq!(long.as_str(), "VP:A-VERY-LONG-MANUFACTURER-PART-NUMBER-123");
        assert_eq!(serde_json::to_string(&short)?, "\"SPA-2026-0042\"");
        assert_eq!(
            serde_json::from_str::<Name>("\"NDC:12345010001\"")?,
            Name::from("NDC:12345010001")
        );
        assert_eq!(short.clone(), short);
        Ok(())
    }
}
