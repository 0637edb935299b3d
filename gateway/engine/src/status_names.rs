//! Statuses in messages read as the API and the files spell them (`eligibility_disputed`),
//! not as Rust names them (`EligibilityDisputed`): their serde names, as the audit trail
//! writes them ([`crate::audit::status_name`]).

use std::fmt;

use crate::audit::status_name;
use crate::batch::{BatchStatus, LineStatus};
use crate::claims::ClaimStatus;
use crate::disputes::CaseStatus;

macro_rules! display_by_serde_name {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&status_name(self))
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
