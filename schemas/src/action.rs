//! Transaction set purpose (element 353), shared by the 844, 845, 849 and 867 headings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Purpose of a transaction set, element 353: BPA01 (845), BAA01 (844), BRC01 (849) and BPT01
/// (867).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// `00`: original.
    Original,
    /// `04`: change; only what changed is sent (a delta 845).
    Change,
    /// `05`: replace; the whole document is restated.
    Replace,
    /// `01`: cancellation.
    Cancellation,
    /// `03`: delete.
    Delete,
    /// `15`: re-submission of a corrected claim (844).
    Resubmission,
}

impl Action {
    /// The element 353 code, as written in BPA01/BAA01/BRC01/BPT01.
    pub fn code(self) -> &'static str {
        match self {
            Self::Original => "00",
            Self::Change => "04",
            Self::Replace => "05",
            Self::Cancellation => "01",
            Self::Delete => "03",
            Self::Resubmission => "15",
        }
    }

    /// Reads an element 353 code; `None` for a code without a meaning here.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::Original,
            Self::Change,
            Self::Replace,
            Self::Cancellation,
            Self::Delete,
            Self::Resubmission,
        ]
        .into_iter()
        .find(|action| action.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in ["00", "01", "03", "04", "05", "15"] {
            assert_eq!(Action::from_code(code).map(Action::code), Some(code));
        }
        assert_eq!(Action::from_code("06"), None);
        assert_eq!(Action::from_code("04"), Some(Action::Change));
    }
}
