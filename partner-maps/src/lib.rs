//! Partner profiles for Chargegate: the versioned TOML format, its validation into
//! [`Profile`], the loader for a profile directory ([`ProfileSet`]), and drafting a profile from
//! a partner's sample files ([`draft::draft`]).
//!
//! A profile is data, not code: onboarding a partner means writing one `profiles/<id>.toml`.
//! The mapping between typed X12 sets and normalized documents reads everything
//! partner-specific from a [`Profile`] (`profile.dialect.contract_ref`, `profile.money`, ...).
//!
//! Architecture invariant: this crate is pure. It never touches a clock, a socket or a
//! database; the only file system access is [`ProfileSet::load_dir`], which reads the
//! directory it is handed with `std::fs`.

#![forbid(unsafe_code)]

pub mod draft;
pub mod profile;
pub mod registry;

pub use draft::{Draft, DraftError, draft};
pub use profile::{Profile, ProfileError, ProfileErrorKind, VersionedProfile};
pub use registry::{LoadError, ProfileSet};
