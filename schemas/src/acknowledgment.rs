//! The `acknowledgment` document: a 997, 999 or TA1, sent or received.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Source;

/// An acknowledgment: what was acknowledged and with which codes. `chargegate.acknowledgment/1`.
///
/// A 997 or 999 answers one functional group (`group`) and lists sets in `sets` (usually only
/// those with errors); a TA1 answers one interchange (`interchange`). Error codes stay strings as
/// sent (`5`, `I4`, `022`) because the 997 and 999 code lists differ and grow between releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgment {
    /// Raw file and envelope the acknowledgment came in (or will go out in).
    pub source: Source,
    /// Which acknowledgment this is: 997, 999 or TA1.
    pub kind: AckKind,
    /// TA1: the interchange acknowledged; only for `kind` = `ta1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interchange: Option<InterchangeAck>,
    /// AK1 + AK9: the functional group acknowledged; only for 997 and 999.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupAck>,
    /// AK2 loops: the transaction sets acknowledged one by one.
    pub sets: Vec<SetAck>,
}

impl Acknowledgment {
    /// The `schema` tag of an acknowledgment document.
    pub const SCHEMA: &'static str = "chargegate.acknowledgment/1";
    /// The document type name.
    pub const DOC_TYPE: &'static str = "acknowledgment";
}

/// Kind of acknowledgment, from ST01 (`997`, `999`) or the TA1 segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum AckKind {
    /// `997` functional acknowledgment (004010 and 005010).
    #[serde(rename = "997")]
    Functional,
    /// `999` implementation acknowledgment (005010 only).
    #[serde(rename = "999")]
    Implementation,
    /// `TA1` interchange acknowledgment.
    #[serde(rename = "ta1")]
    Interchange,
}

/// Acceptance code of an acknowledgment: TA104, AK501/IK501 or AK901.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AckStatus {
    /// `A`: accepted.
    Accepted,
    /// `E`: accepted, but errors were noted (do not resend).
    AcceptedWithErrors,
    /// `P`: partially accepted, at least one set rejected (AK901 only).
    PartiallyAccepted,
    /// `R`: rejected; also the security rejections `M`, `W` and `X`.
    Rejected,
}

impl AckStatus {
    /// The code written for this status (`A`, `E`, `P`, `R`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Accepted => "A",
            Self::AcceptedWithErrors => "E",
            Self::PartiallyAccepted => "P",
            Self::Rejected => "R",
        }
    }

    /// Reads TA104, AK501/IK501 or AK901; the security codes `M`, `W` and `X` are rejections.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "A" => Some(Self::Accepted),
            "E" => Some(Self::AcceptedWithErrors),
            "P" => Some(Self::PartiallyAccepted),
            "R" | "M" | "W" | "X" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// The TA1 segment: acknowledgment of one interchange envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InterchangeAck {
    /// TA101: ISA13 of the interchange acknowledged.
    pub control_number: String,
    /// TA102: ISA09 date of the interchange acknowledged.
    pub date: NaiveDate,
    /// TA103: ISA10 time of the interchange acknowledged, `HHMM` as sent.
    pub time: String,
    /// TA104: acceptance (`accepted`, `accepted_with_errors` or `rejected`).
    pub status: AckStatus,
    /// TA105 note code (`000` no error, `022` invalid control structure, ...).
    pub note_code: String,
}

/// AK1 and AK9: acknowledgment of one functional group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupAck {
    /// AK101: GS01 functional id of the group acknowledged (`CF`, `PA`, `PT`, ...).
    pub functional_id: String,
    /// AK102: GS06 group control number acknowledged.
    pub control_number: String,
    /// AK103: GS08 version of the group acknowledged (005010).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// AK901: acceptance of the group.
    pub status: AckStatus,
    /// AK902: number of transaction sets included (GE01).
    pub sets_included: u32,
    /// AK903: number of transaction sets received.
    pub sets_received: u32,
    /// AK904: number of transaction sets accepted.
    pub sets_accepted: u32,
    /// AK905..AK909: group syntax error codes as sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_codes: Vec<String>,
}

/// An AK2 loop: acknowledgment of one transaction set (AK2, AK3/IK3, AK4/IK4, AK5/IK5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAck {
    /// AK201: ST01 of the set acknowledged (`844`, `845`, ...).
    pub set_id: String,
    /// AK202: ST02 control number of the set acknowledged.
    pub control_number: String,
    /// AK203: ST03 implementation convention reference (005010).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation_reference: Option<String>,
    /// AK501/IK501: acceptance of the set.
    pub status: AckStatus,
    /// AK502..AK506 / IK502..IK506: set syntax error codes as sent (`5`, `I5`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_codes: Vec<String>,
    /// AK3/IK3 loops: the segments in error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segment_errors: Vec<SegmentError>,
}

/// An AK3 (997) or IK3 (999) segment with its element errors: one segment in error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentError {
    /// AK301/IK301: the segment id (`REF`, `PAD`, ...).
    pub segment_id: String,
    /// AK302/IK302: segment position in the set, counted from ST = 1.
    pub position: u32,
    /// AK303/IK303: loop identifier (`N1`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_id: Option<String>,
    /// AK304/IK304: segment syntax error code as sent (`8`, `I4`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// AK4/IK4 segments: the elements in error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub element_errors: Vec<ElementError>,
}

/// An AK4 (997) or IK4 (999) segment: one element in error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ElementError {
    /// AK401-1/IK401-1: element position in the segment.
    pub position: u32,
    /// AK401-2/IK401-2: component position in a composite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<u32>,
    /// AK401-3/IK401-3: repetition position (005010).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repetition: Option<u32>,
    /// AK402/IK402: data element reference number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// AK403/IK403: element syntax error code as sent (`7`, `I6`, ...).
    pub code: String,
    /// AK404/IK404: copy of the bad data element.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bad_data: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_as_set_names() -> Result<(), serde_json::Error> {
        assert_eq!(serde_json::to_string(&AckKind::Functional)?, r#""997""#);
        assert_eq!(serde_json::to_string(&AckKind::Implementation)?, r#""999""#);
        assert_eq!(serde_json::to_string(&AckKind::Interchange)?, r#""ta1""#);
        Ok(())
    }

    #[test]
    fn security_codes_read_as_rejected() {
        for code in ["R", "M", "W", "X"] {
            assert_eq!(AckStatus::from_code(code), Some(AckStatus::Rejected));
        }
        assert_eq!(
            AckStatus::from_code("P"),
            Some(AckStatus::PartiallyAccepted)
        );
        assert_eq!(AckStatus::from_code("Q"), None);
        assert_eq!(AckStatus::AcceptedWithErrors.code(), "E");
    }
}
