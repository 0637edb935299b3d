//! AS2 (RFC 4130): build, receive and acknowledge (MDN) signed and encrypted messages.
