//! Statuses in messages read as the API and the files spell them (`eligibility_disputed`),
//! not as Rust names them (`EligibilityDisputed`): their serde names, in one place.

use std::fmt;

use crate::batch::{BatchStatus, LineStatus};
use crate::claims::ClaimStatus;
use crate::disputes::CaseStatus;

/// Writes `value`'s serde name (a unit variant's string).
fn serde_name<T: serde::Serialize + fmt::Debug>(
    value: &T,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => f.write_str(&name),
        _ => write!(f, "{value:?}"),
    }
}

macro_rules! display_by_serde_name {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                serde_name(self, f)
            }
        }
    )*};
}

display_by_serde_name!(BatchStatus, LineStatus, ClaimStatus, CaseStatus);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_display_as_the_api_spells_them() {
        assert_eq!(
            LineStatus::EligibilityDisputed.to_string(),
            "eligibility_disputed"
        );
        assert_eq!(BatchStatus::AwaitingReview.to_string(), "awaiting_review");
        assert_eq!(
            ClaimStatus::SettlementPending.to_string(),
            "settlement_pending"
        );
        assert_eq!(CaseStatus::PartiallyWon.to_string(), "partially_won");
    }
}
