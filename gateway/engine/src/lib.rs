//! Chargegate's pure chargeback engine: which sale lines are payable, how amounts are computed,
//! how batches, lines, claims and disputes change state, and how 849s are reconciled
//! (`shared/chargeback-rules.md`).
//!
//! Architecture invariant: the engine is pure. It reads no clock (`today` is an argument),
//! does no I/O and knows no async runtime or database. It returns new state and audit events;
//! the store persists them in one transaction.

#![forbid(unsafe_code)]

pub mod adjudicate;
pub mod amounts;
pub mod audit;
pub mod batch;
pub mod caps;
pub mod claims;
pub mod contracts;
pub mod disputes;
pub mod duplicates;
pub mod fingerprint;
pub mod identity;
pub mod name;
pub mod reasons;
pub mod reconcile;
pub mod retro;
pub mod rules;
pub mod sale;
pub mod settings;

pub use reasons::{ReasonCode, RejectReason, Warning};
pub use settings::EngineSettings;
