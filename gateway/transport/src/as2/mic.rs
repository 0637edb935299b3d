//! Message integrity checks (MIC): the digest returned in an MDN's Received-Content-MIC.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::hash::{Hasher, MessageDigest};

use super::der::oids;
use super::error::{As2Error, As2Result};

/// Digest algorithms for signatures and MICs. MD5 is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MicAlg {
    /// SHA-1, for old partners.
    Sha1,
    /// SHA-256, the default.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl MicAlg {
    /// Parses either spelling (`sha-256` per RFC 5751, `sha256` as many stacks write it).
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().replace('-', "").as_str() {
            "sha1" => Some(Self::Sha1),
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The RFC 5751 spelling used in `micalg=` and Received-Content-MIC.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "sha-1",
            Self::Sha256 => "sha-256",
            Self::Sha384 => "sha-384",
            Self::Sha512 => "sha-512",
        }
    }

    pub(crate) fn digest(self) -> MessageDigest {
        match self {
            Self::Sha1 => MessageDigest::sha1(),
            Self::Sha256 => MessageDigest::sha256(),
            Self::Sha384 => MessageDigest::sha384(),
            Self::Sha512 => MessageDigest::sha512(),
        }
    }

    pub(crate) fn oid(self) -> &'static [u64] {
        match self {
            Self::Sha1 => oids::SHA1,
            Self::Sha256 => oids::SHA256,
            Self::Sha384 => oids::SHA384,
            Self::Sha512 => oids::SHA512,
        }
    }

    pub(crate) fn from_oid(arcs_der: &[u8]) -> Option<Self> {
        [Self::Sha1, Self::Sha256, Self::Sha384, Self::Sha512]
            .into_iter()
            .find(|alg| super::der::oid(alg.oid()) == arcs_der)
    }

    /// Digest of `data` in one pass.
    pub(crate) fn hash(self, data: &[u8]) -> As2Result<Vec<u8>> {
        let mut hasher = Hasher::new(self.digest())?;
        // Feed in large slices; openssl handles them without copying.
        hasher.update(data)?;
        Ok(hasher.finish()?.to_vec())
    }
}

/// A MIC: algorithm and raw digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mic {
    /// The digest algorithm.
    pub alg: MicAlg,
    /// The raw digest bytes.
    pub digest: Vec<u8>,
}

impl Mic {
    /// Computes the MIC of `data`.
    pub fn compute(alg: MicAlg, data: &[u8]) -> As2Result<Self> {
        Ok(Self {
            alg,
            digest: alg.hash(data)?,
        })
    }

    /// The base64 digest alone.
    pub fn base64(&self) -> String {
        STANDARD.encode(&self.digest)
    }

    /// The Received-Content-MIC value: `<base64>, sha-256`.
    pub fn to_header(&self) -> String {
        format!("{}, {}", self.base64(), self.alg.name())
    }

    /// Parses a Received-Content-MIC value, accepting both algorithm spellings.
    pub fn parse_header(value: &str) -> As2Result<Self> {
        let (digest, alg) = value
            .split_once(',')
            .ok_or_else(|| As2Error::Mdn(format!("mic without algorithm: {value}")))?;
        let alg = MicAlg::parse(alg)
            .ok_or_else(|| As2Error::UnsupportedAlgorithm(alg.trim().to_owned()))?;
        let digest = STANDARD
            .decode(digest.trim())
            .map_err(|e| As2Error::Mdn(format!("mic is not base64: {e}")))?;
        Ok(Self { alg, digest })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_both_spellings() {
        assert_eq!(MicAlg::parse("sha-256"), Some(MicAlg::Sha256));
        assert_eq!(MicAlg::parse(" SHA256 "), Some(MicAlg::Sha256));
        assert_eq!(MicAlg::parse("sha1"), Some(MicAlg::Sha1));
        assert_eq!(MicAlg::parse("md5"), None);
    }

    #[test]
    fn mic_of_known_input_matches_sha256_test_vector() {
        let mic = Mic::compute(MicAlg::Sha256, b"abc").unwrap();
        assert_eq!(mic.base64(), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
        assert_eq!(
            mic.to_header(),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=, sha-256"
        );
    }

    #[test]
    fn header_round_trips_with_other_spelling() {
        let mic =
            Mic::parse_header("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=, sha256").unwrap();
        assert_eq!(mic, Mic::compute(MicAlg::Sha256, b"abc").unwrap());
        assert!(Mic::parse_header("nocomma").is_err());
    }
}
