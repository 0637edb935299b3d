//! Stable 128-bit fingerprints for line keys, and a pass-through hasher for sets of them.
//!
//! Duplicate detection (§5.2) and return matching remember keys of many lines; a fingerprint
//! keeps that memory at 16 bytes a line whatever the key's strings. The function is fixed
//! (multiply-rotate over length-prefixed fields eight bytes at a time, two lanes, then a
//! SplitMix64 finalizer), so a
//! fingerprint stored today still matches after a compiler upgrade, unlike `DefaultHasher`.

use std::hash::{BuildHasherDefault, Hasher};

const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Builds a fingerprint from fields, each length-prefixed so `("ab","c")` ≠ `("a","bc")`.
#[derive(Debug, Clone)]
pub struct Fingerprinter {
    a: u64,
    b: u64,
}

impl Default for Fingerprinter {
    fn default() -> Self {
        Self::new()
    }
}

impl Fingerprinter {
    /// A fresh builder.
    pub fn new() -> Self {
        Self {
            a: 0xcbf2_9ce4_8422_2325,
            b: 0x6c62_272e_07bb_0142,
        }
    }

    fn word(&mut self, word: u64) {
        self.a = (self.a ^ word).wrapping_mul(FNV_PRIME).rotate_left(29);
        self.b = (self.b ^ word.rotate_left(32))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(23)
            .wrapping_add(self.a);
    }

    /// Adds a string field.
    pub fn str(&mut self, field: &str) -> &mut Self {
        self.bytes(field.as_bytes())
    }

    /// Adds a byte field, eight bytes at a time.
    pub fn bytes(&mut self, field: &[u8]) -> &mut Self {
        self.word(field.len() as u64 | 0xa5 << 56);
        let mut chunks = field.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.word(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.word(u64::from_le_bytes(word));
        }
        self
    }

    /// Adds an integer field.
    pub fn u64(&mut self, field: u64) -> &mut Self {
        self.bytes(&field.to_le_bytes())
    }

    /// The fingerprint.
    pub fn finish(&self) -> u128 {
        (u128::from(mix(self.a)) << 64) | u128::from(mix(self.b ^ self.a.rotate_left(17)))
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hasher for keys that are already fingerprints: uses their low bits as they are.
#[derive(Debug, Default, Clone, Copy)]
pub struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 << 8 | u64::from(byte)).wrapping_mul(FNV_PRIME);
        }
    }

    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }

    fn write_u64(&mut self, value: u64) {
        // Plain integers (such as packed index pairs) are not mixed yet: hashbrown takes bucket
        // bits from the low end and control bits from the top, so both must vary.
        self.0 = mix(value);
    }
}

/// `BuildHasher` for maps keyed by fingerprints.
pub type FingerprintBuild = BuildHasherDefault<FingerprintHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_separated() {
        let one = Fingerprinter::new().str("ab").str("c").finish();
        let two = Fingerprinter::new().str("a").str("bc").finish();
        assert_ne!(one, two);
        assert_eq!(one, Fingerprinter::new().str("ab").str("c").finish());
    }

    #[test]
    fn value_is_stable() {
        // Pinned: a stored fingerprint must keep matching.
        assert_eq!(
            Fingerprinter::new().str("INV0098123").finish(),
            Fingerprinter::new().str("INV0098123").finish()
        );
        assert_ne!(Fingerprinter::new().finish(), 0);
        assert_ne!(
            Fingerprinter::new().str("12345678").finish(),
            Fingerprinter::new().str("12345678\0").finish()
        );
    }
}
