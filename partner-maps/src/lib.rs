//! Partner profiles for Chargegate: the versioned TOML format, its validation into
//! [`Profile`], the loader for a profile directory ([`ProfileSet`]), drafting a profile from
//! a partner's sample files ([`draft::draft`]), and the mapping between X12 and normalized
//! documents in each partner's dialect:
//!
//! - [`map`]: typed 844/845/849/867 sets to `claim`, `contract`, `claim_response` and
//!   `sales_report` documents, with located [`map::MapError`]s for what is missing;
//! - [`render`]: the same documents back to X12 sets and whole interchanges;
//! - [`translate()`]: bytes to documents, streaming set by set, with the validator's reports
//!   (mapping failures folded in) for the acknowledgment;
//! - [`check()`]: a profile run over its samples, saying what mapped and what did not.
//!
//! A profile is data, not code: onboarding a partner means writing one `profiles/<id>.toml`.
//! The mapping between typed X12 sets and normalized documents reads everything
//! partner-specific from a [`Profile`] (`profile.dialect.contract_ref`, `profile.money`, ...).
//!
//! Architecture invariant: this crate is pure. It never touches a clock, a socket or a
//! database; the only file system access is [`ProfileSet::load_dir`], which reads the
//! directory it is handed with `std::fs`.

#![forbid(unsafe_code)]

pub mod ack;
pub mod ack_in;
pub mod check;
pub mod draft;
pub mod map;
pub mod profile;
pub mod registry;
pub mod render;
pub mod translate;

pub use check::{CheckReport, check};
pub use draft::{Draft, DraftError, draft};
pub use profile::{Profile, ProfileError, ProfileErrorKind, VersionedProfile};
pub use registry::{LoadError, ProfileSet};
pub use render::{render_document, render_interchange, render_to_bytes};
pub use translate::{SetOutcome, TranslateError, Translator, translate};
