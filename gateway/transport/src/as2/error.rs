//! Errors of the AS2 module, and the failure a negative MDN is built from.

use super::receive::MdnRequest;

/// Result alias for AS2 operations.
pub type As2Result<T> = Result<T, As2Error>;

/// What went wrong while building, sending or parsing AS2 messages and MDNs.
#[derive(Debug, thiserror::Error)]
pub enum As2Error {
    /// Reading or writing a file or stream failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// OpenSSL refused an operation (bad key, bad certificate, cipher failure).
    #[error("openssl: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
    /// A CMS (ASN.1) structure was malformed or used an unsupported shape.
    #[error("malformed cms: {0}")]
    Asn1(String),
    /// A MIME entity or header was malformed.
    #[error("malformed mime: {0}")]
    Mime(String),
    /// The peer used an algorithm we do not accept (RC2, RC4, MD5, PSS…).
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// No partner certificate is valid now for the needed purpose.
    #[error("no valid certificate for partner {0}")]
    NoValidCertificate(String),
    /// The HTTP exchange failed.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    /// The partner answered with a non-success HTTP status.
    #[error("http status {status} from {url}")]
    HttpStatus {
        /// The status code received.
        status: u16,
        /// Where the request went.
        url: String,
    },
    /// An MDN could not be understood or does not belong to the message.
    #[error("bad mdn: {0}")]
    Mdn(String),
    /// Configuration given to this module is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// Disposition modifiers of RFC 4130 section 7.4.3 (and RFC 5402's `decompression-failed`),
/// used in negative MDNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureModifier {
    /// The AS2-From or AS2-To names nobody we trade with.
    UnknownTradingPartner,
    /// The message could not be decrypted with our key.
    DecryptionFailed,
    /// No partner certificate verifies the signature.
    AuthenticationFailed,
    /// The signed content does not match its digest.
    IntegrityCheckFailed,
    /// The partner must sign or encrypt and did not.
    InsufficientMessageSecurity,
    /// The message used a format or algorithm we refuse.
    UnsupportedFormat,
    /// A compressed-data layer could not be inflated, or expands past the size limit
    /// (RFC 5402).
    DecompressionFailed,
    /// The Message-ID was received before with other content: a Message-ID names one message,
    /// so this one is refused, not taken as a resend (the modifier pyas2lib uses for a
    /// repeated Message-ID).
    DuplicateDocument,
    /// Anything else.
    UnexpectedProcessingError,
}

impl FailureModifier {
    /// The modifier as written after `processed/error:` in the Disposition field.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownTradingPartner => "unknown-trading-partner",
            Self::DecryptionFailed => "decryption-failed",
            Self::AuthenticationFailed => "authentication-failed",
            Self::IntegrityCheckFailed => "integrity-check-failed",
            Self::InsufficientMessageSecurity => "insufficient-message-security",
            Self::UnsupportedFormat => "unsupported-format",
            Self::DecompressionFailed => "decompression-failed",
            Self::DuplicateDocument => "duplicate-document",
            Self::UnexpectedProcessingError => "unexpected-processing-error",
        }
    }
}

impl std::fmt::Display for FailureModifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An inbound message that could not be accepted, with what a negative MDN needs.
#[derive(Debug, thiserror::Error)]
#[error("as2 receive failed ({modifier}): {text}")]
pub struct ReceiveFailure {
    /// The AS2 Message-ID (without angle brackets) if the headers carried one.
    pub message_id: Option<String>,
    /// The AS2-From value if present.
    pub partner_as2_id: Option<String>,
    /// The disposition modifier for the negative MDN.
    pub modifier: FailureModifier,
    /// Human readable detail for logs and the MDN's text part.
    pub text: String,
    /// How the sender asked to be answered, if it did.
    pub mdn_request: Option<MdnRequest>,
}
