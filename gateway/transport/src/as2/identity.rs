//! Our AS2 identity (key and certificate) and what we know about a partner.

use std::path::Path;

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509, X509NameBuilder};

use super::error::{As2Error, As2Result};
use super::mic::MicAlg;

/// Our side of AS2: the AS2 name, the private key and its certificate (used to sign and decrypt).
pub struct LocalIdentity {
    /// Our AS2 name as partners put it in AS2-To.
    pub as2_id: String,
    pub(crate) key: PKey<Private>,
    pub(crate) cert: X509,
}

impl std::fmt::Debug for LocalIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key is never printed.
        f.debug_struct("LocalIdentity")
            .field("as2_id", &self.as2_id)
            .finish_non_exhaustive()
    }
}

impl LocalIdentity {
    /// Loads the PEM private key and certificate.
    pub fn from_pem_files(as2_id: &str, key: &Path, cert: &Path) -> As2Result<Self> {
        let key = PKey::private_key_from_pem(&std::fs::read(key)?)?;
        let cert = X509::from_pem(&std::fs::read(cert)?)?;
        if !cert.public_key()?.public_eq(&key) {
            return Err(As2Error::Config(
                "certificate does not match private key".into(),
            ));
        }
        Ok(Self {
            as2_id: as2_id.to_owned(),
            key,
            cert,
        })
    }

    /// A fresh self-signed identity (RSA 2048, SHA-256, ten years) written as PEM, for first
    /// start, demos and tests. The key file is created readable by its owner only.
    pub fn generate(as2_id: &str, key_out: &Path, cert_out: &Path) -> As2Result<Self> {
        let key = PKey::from_rsa(Rsa::generate(2048)?)?;
        let mut name = X509NameBuilder::new()?;
        name.append_entry_by_text("CN", as2_id)?;
        let name = name.build();
        let mut serial = BigNum::new()?;
        serial.rand(64, MsbOption::MAYBE_ZERO, false)?;
        let mut builder = X509::builder()?;
        builder.set_version(2)?;
        let serial = Asn1Integer::from_bn(&serial)?;
        builder.set_serial_number(&serial)?;
        builder.set_subject_name(&name)?;
        builder.set_issuer_name(&name)?;
        builder.set_pubkey(&key)?;
        let not_before = Asn1Time::days_from_now(0)?;
        let not_after = Asn1Time::days_from_now(3650)?;
        builder.set_not_before(&not_before)?;
        builder.set_not_after(&not_after)?;
        builder.append_extension(BasicConstraints::new().critical().build()?)?;
        builder.append_extension(
            KeyUsage::new()
                .digital_signature()
                .key_encipherment()
                .non_repudiation()
                .build()?,
        )?;
        let ski = SubjectKeyIdentifier::new().build(&builder.x509v3_context(None, None))?;
        builder.append_extension(ski)?;
        builder.sign(&key, MessageDigest::sha256())?;
        let cert = builder.build();
        write_private(key_out, &key.private_key_to_pem_pkcs8()?)?;
        std::fs::write(cert_out, cert.to_pem()?)?;
        Ok(Self {
            as2_id: as2_id.to_owned(),
            key,
            cert,
        })
    }

    /// Our certificate in PEM, to hand to partners.
    pub fn certificate_pem(&self) -> As2Result<Vec<u8>> {
        Ok(self.cert.to_pem()?)
    }
}

fn write_private(path: &Path, pem: &[u8]) -> As2Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(pem)?;
    Ok(())
}

/// One certificate of a partner; validity dates come from the certificate itself.
#[derive(Clone)]
pub struct PartnerCert {
    pub(crate) cert: X509,
}

impl std::fmt::Debug for PartnerCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerCert")
            .field("subject", &self.cert.subject_name())
            .field("not_after", &self.cert.not_after().to_string())
            .finish()
    }
}

impl PartnerCert {
    /// Loads a PEM certificate.
    pub fn from_pem_file(path: &Path) -> As2Result<Self> {
        Self::from_pem(&std::fs::read(path)?)
    }

    /// Parses a PEM certificate.
    pub fn from_pem(pem: &[u8]) -> As2Result<Self> {
        Ok(Self {
            cert: X509::from_pem(pem)?,
        })
    }

    /// True when now lies between notBefore and notAfter.
    pub fn valid_now(&self) -> bool {
        match Asn1Time::days_from_now(0) {
            Ok(now) => self.cert.not_before() <= now && self.cert.not_after() >= now,
            Err(_) => false,
        }
    }

    /// notAfter as OpenSSL prints it (for logs and operator screens).
    pub fn not_after(&self) -> String {
        self.cert.not_after().to_string()
    }
}

/// Content encryption algorithms we send with (all are accepted on receive too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncryptionAlg {
    /// AES-128-CBC.
    Aes128Cbc,
    /// AES-192-CBC.
    Aes192Cbc,
    /// AES-256-CBC (the default for new partners).
    Aes256Cbc,
    /// DES-EDE3-CBC, for old partners only.
    TripleDes,
}

impl EncryptionAlg {
    pub(crate) fn cipher(self) -> openssl::symm::Cipher {
        use openssl::symm::Cipher;
        match self {
            Self::Aes128Cbc => Cipher::aes_128_cbc(),
            Self::Aes192Cbc => Cipher::aes_192_cbc(),
            Self::Aes256Cbc => Cipher::aes_256_cbc(),
            Self::TripleDes => Cipher::des_ede3_cbc(),
        }
    }
}

/// How a partner wants its MDN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdnMode {
    /// In the HTTP response.
    Sync,
    /// Posted later to this URL (our receiving URL when we send).
    Async {
        /// Where the MDN goes.
        url: String,
    },
    /// No MDN.
    None,
}

/// A trading partner's AS2 settings.
#[derive(Debug, Clone)]
pub struct PartnerAs2 {
    /// The partner's AS2 name (its AS2-From on inbound messages).
    pub as2_id: String,
    /// Where we POST messages to this partner.
    pub url: String,
    /// Certificates, old and new; verify/decrypt tries every one valid now.
    pub certificates: Vec<PartnerCert>,
    /// Encrypt outbound messages with this algorithm; when set, inbound must be encrypted too.
    pub encrypt: Option<EncryptionAlg>,
    /// Sign outbound messages with this digest; when set, inbound must be signed too.
    pub sign: Option<MicAlg>,
    /// The MDN we ask for on outbound messages.
    pub mdn: MdnMode,
    /// Ask for a signed MDN (with `sign`'s algorithm, SHA-256 if unset).
    pub signed_mdn: bool,
}

impl PartnerAs2 {
    /// Certificates valid now, newest notAfter first (the one to encrypt to comes first).
    pub(crate) fn valid_certs(&self) -> Vec<&PartnerCert> {
        let mut certs: Vec<&PartnerCert> =
            self.certificates.iter().filter(|c| c.valid_now()).collect();
        certs.sort_by(|a, b| {
            b.cert
                .not_after()
                .compare(a.cert.not_after())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        certs
    }
}
