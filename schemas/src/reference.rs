//! Qualified references (REF segments) kept on documents, parties and contract lines.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Text;

/// A REF segment: a qualified reference such as `REF*AH*GPO-AGR-7781` (GPO agreement),
/// `REF*PD` (promotion or ship-and-debit design win) or `REF*HI` (an extra HIN of a party).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// REF01 reference identification qualifier as sent (`AH`, `BC`, `PD`, `DH`, `HI`, ...).
    pub qualifier: Text,
    /// REF02 reference identification.
    pub id: Text,
    /// REF03 free-form description, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
