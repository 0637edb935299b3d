//! Provenance carried by every document: the raw file and the envelope it was read from.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Text;

/// Where a document came from: the stored raw file and the ISA13/GS06/ST02 control numbers of
/// the transaction set it was mapped from.
///
/// Together with the partner these identify the set, which is what replays and idempotency keys
/// are built on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// SHA-256 of the raw file as received, lowercase hex: its content address in the store.
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub file: String,
    /// ISA13 interchange control number, as sent (leading zeros kept).
    pub interchange: Text,
    /// GS06 group control number; empty for a TA1, which sits outside any group.
    pub group: Text,
    /// ST02 transaction set control number; empty for a TA1, which is not a transaction set.
    pub set: Text,
    /// Id of the partner profile the set was mapped with; absent when read without a profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<Text>,
}
