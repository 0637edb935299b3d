//! AS2 (RFC 4130): build, receive and acknowledge (MDN) signed and encrypted messages.
//!
//! The HTTP endpoint lives in the server; this module gives it pure functions over headers and
//! bodies ([`receive`], [`receive_to`], [`build_mdn`], [`build_message`], [`parse_mdn`]) and an
//! HTTP [`Sender`]. Crypto is openssl: CMS encryption for outbound messages, and for inbound
//! ones a streamed EnvelopedData decryption plus detached-signature check over borrowed bytes
//! (see `cms`), so a large message is held once, decrypted. Compressed messages (CMS
//! CompressedData, RFC 5402) are inflated with flate2 under a size limit (see `compress`).

mod cms;
mod compress;
mod der;
mod error;
mod identity;
mod mdn;
mod message;
mod mic;
mod mime;
mod receive;
mod sender;

pub use error::{As2Error, As2Result, FailureModifier, ReceiveFailure};
pub use identity::{EncryptionAlg, LocalIdentity, MdnMode, PartnerAs2, PartnerCert};
pub use mdn::{MdnFields, MdnOutcome, MdnVerdict, build_mdn, parse_mdn, read_mdn_fields};
pub use message::{HttpMessage, build_message, new_message_id};
pub use mic::{Mic, MicAlg};
pub use receive::{MdnRequest, Received, receive, receive_owned, receive_to};
pub use sender::{SendOutcome, Sender};
