//! Transports partners use to reach the gateway (design.md 8): AS2 over HTTP with CMS
//! signing/encryption and MDNs, and SFTP drop folders served by the system's OpenSSH.

pub mod as2;
pub mod drop;
