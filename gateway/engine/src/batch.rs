//! Batches and batch lines: the state machines of §6.1 and §6.2.

use serde::{Deserialize, Serialize};

/// Batch line status (§6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// Imported, not yet validated.
    Open,
    /// Failed V0 or V2–V6.
    EligibilityDisputed,
    /// Failed V7–V10.
    AmountDisputed,
    /// Failed V1.
    Duplicate,
    /// Ready to claim; amount and quantity frozen.
    Accepted,
    /// On a claim (terminal).
    Claimed,
    /// Rejected with a reason (terminal).
    Rejected,
}
