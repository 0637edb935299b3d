//! Claim transmissions (`claim_transmissions`): each 844 sent for a claim and the control
//! numbers it went out under (chargeback-rules 6.3 C11–C13, 7.1).
//!
//! Changes are conditional: numbers are linked once (`isa13 IS NULL`), and a transmission is
//! answered once (`status = 'sent'`), so a second acknowledgment of the same 844, or a
//! redelivered render, changes nothing.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit;
use crate::error::StoreResult;
use crate::model::{
    ClaimTransmission, ControlLevel, NewAuditEvent, NewClaimTransmission, TransmissionStatus,
};
use crate::sql::{Exec, Row};

const COLUMNS: &str = "message_id, claim_id, partner, seq, isa13, gs06, st02, status, \
     answered_by, created_at, updated_at";

fn record(r: &Row) -> StoreResult<ClaimTransmission> {
    Ok(ClaimTransmission {
        message_id: r.text("message_id")?,
        claim_id: r.uuid("claim_id")?,
        partner: r.text("partner")?,
        seq: r.int("seq")?,
        isa13: r.opt_int("isa13")?,
        gs06: r.opt_int("gs06")?,
        st02: r.opt_int("st02")?,
        status: TransmissionStatus::parse("claim_transmissions.status", &r.text("status")?)?,
        answered_by: r.opt_text("answered_by")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) async fn insert(
    c: &mut dyn Exec,
    t: &NewClaimTransmission,
    event: &NewAuditEvent,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO claim_transmissions (message_id, claim_id, partner, seq, status, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, 'sent', $5, $5)",
        vec![
            t.message_id.as_str().into(),
            t.claim_id.into(),
            t.partner.as_str().into(),
            t.seq.into(),
            t.at.into(),
        ],
    )
    .await?;
    audit::append(c, event).await?;
    Ok(())
}

/// Sets the control numbers of the transmission carried by `message_id`; `false` when there is
/// none or it has numbers already.
pub(crate) async fn link(
    c: &mut dyn Exec,
    message_id: &str,
    numbers: (i64, i64, i64),
    at: DateTime<Utc>,
    event: &NewAuditEvent,
) -> StoreResult<bool> {
    let n = c
        .execute(
            "UPDATE claim_transmissions SET isa13 = $2, gs06 = $3, st02 = $4, updated_at = $5 \
             WHERE message_id = $1 AND isa13 IS NULL",
            vec![
                message_id.into(),
                numbers.0.into(),
                numbers.1.into(),
                numbers.2.into(),
                at.into(),
            ],
        )
        .await?;
    if n == 1 {
        audit::append(c, event).await?;
    }
    Ok(n == 1)
}

/// Records the answer to a transmission still `sent`; `false` when it was answered before.
pub(crate) async fn answer(
    c: &mut dyn Exec,
    message_id: &str,
    status: TransmissionStatus,
    answered_by: &str,
    at: DateTime<Utc>,
    event: &NewAuditEvent,
) -> StoreResult<bool> {
    let n = c
        .execute(
            "UPDATE claim_transmissions SET status = $2, answered_by = $3, updated_at = $4 \
             WHERE message_id = $1 AND status = 'sent'",
            vec![
                message_id.into(),
                status.as_str().into(),
                answered_by.into(),
                at.into(),
            ],
        )
        .await?;
    if n == 1 {
        audit::append(c, event).await?;
    }
    Ok(n == 1)
}

/// The transmission to `partner` that went out under interchange or group `number`.
pub(crate) async fn find(
    c: &mut dyn Exec,
    partner: &str,
    level: ControlLevel,
    number: i64,
) -> StoreResult<Option<ClaimTransmission>> {
    let column = match level {
        ControlLevel::Interchange => "isa13",
        ControlLevel::Group => "gs06",
    };
    c.fetch_optional(
        &format!("SELECT {COLUMNS} FROM claim_transmissions WHERE partner = $1 AND {column} = $2"),
        vec![partner.into(), number.into()],
    )
    .await?
    .as_ref()
    .map(record)
    .transpose()
}

/// A claim's transmissions, first send first.
pub(crate) async fn for_claim(
    c: &mut dyn Exec,
    claim_id: Uuid,
) -> StoreResult<Vec<ClaimTransmission>> {
    c.fetch_all(
        &format!("SELECT {COLUMNS} FROM claim_transmissions WHERE claim_id = $1 ORDER BY seq"),
        vec![claim_id.into()],
    )
    .await?
    .iter()
    .map(record)
    .collect()
}
