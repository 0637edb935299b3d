//! Our control numbers for a partner (design.md 7): allocated in the database transaction
//! that records the outbound file, within the ranges the partner's profile sets (ISA13 is
//! nine digits at most, so a partner without a profile gets 1..=999,999,999).

use chrono::{DateTime, Utc};
use partner_maps::Profile;
use store::{ControlKind, ControlNumberKey, Direction, StoreTx};

use crate::error::PipelineError;

/// The inclusive range for `kind` from the profile, or the whole nine-digit range.
pub fn range(profile: Option<&Profile>, kind: ControlKind) -> (u32, u32) {
    const WIDEST: (u32, u32) = (1, 999_999_999);
    let Some(p) = profile else { return WIDEST };
    let cn = &p.x12.control_numbers;
    let r = match kind {
        ControlKind::Interchange => cn.interchange,
        ControlKind::Group => cn.group,
        ControlKind::Set => cn.set,
    };
    (
        u32::try_from(r.start).unwrap_or(WIDEST.0),
        u32::try_from(r.end).unwrap_or(WIDEST.1),
    )
}

/// The next outbound `kind` number for `partner`, committed with `t`.
pub async fn allocate(
    t: &mut dyn StoreTx,
    partner: &str,
    profile: Option<&Profile>,
    kind: ControlKind,
    now: DateTime<Utc>,
) -> Result<u32, PipelineError> {
    let key = ControlNumberKey::new(partner, Direction::Outbound, kind);
    Ok(t.allocate_control_number(&key, range(profile, kind), now)
        .await?)
}
