//! Chargegate's pure chargeback engine: which sale lines are payable, how amounts are computed,
//! how batches, lines, claims and disputes change state, and how 849s are reconciled
//! (`shared/chargeback-rules.md`).
//!
//! Architecture invariant: the engine is pure. It reads no clock (`today` is an argument),
//! does no I/O and knows no async runtime or database. It returns new state and audit events;
//! the store persists them in one transaction.
//!
//! Entry points:
//! - [`contracts::ContractBook::apply`] turns `Contract` documents (845) into immutable
//!   versions; [`contracts::ContractBook`] answers "price and eligibility in force on d".
//! - [`rules::Pipeline`] streams sale lines through V0..V10 ([`rules::Validation`] per line).
//! - [`adjudicate::adjudicate`] is the offline supplier-side run: its
//!   [`adjudicate::Adjudication`] serializes to the JSON of §13.12 and
//!   [`adjudicate::AdjudicationRun::response`] builds the 849.
//! - [`batch::Batch`] (`open`, `process`, `apply`) is the batch and line state machine of §6.1
//!   and §6.2; [`claims::ClaimRecord`] the claim of §6.3 and §8, with `to_844`;
//!   [`reconcile::reconcile`] applies an 849 as claimant; [`retro::retro_run`] re-prices past
//!   sales after a back-dated change; [`disputes`] exports and imports dispute CSVs and runs
//!   dispute cases; every change returns [`audit::AuditEvent`]s.
//! - State a store persists is plain serde data: `ContractBook`, `Batch`, `ClaimRecord`,
//!   `CapLedger`, `DisputeCase`, `RetroLedger`, `EngineSettings`. `LineHistory` is an index the
//!   store rebuilds from stored lines.

#![forbid(unsafe_code)]

pub mod adjudicate;
pub mod amounts;
pub mod audit;
pub mod batch;
pub mod calendar;
pub mod caps;
pub mod claims;
pub mod contracts;
pub mod disputes;
pub mod duplicates;
pub mod fingerprint;
pub mod identity;
pub mod name;
pub mod price_lists;
pub mod reasons;
pub mod reconcile;
pub mod retro;
pub mod rosters;
pub mod rules;
pub mod sale;
pub mod settings;
mod status_names;
mod tagged;

pub use reasons::{ReasonCode, RejectReason, Warning};
pub use settings::EngineSettings;
