//! Outbound AS2 messages and their MDN status (`as2_outbound`).
//!
//! Status changes are conditional (`WHERE status IN (...)`, `WHERE attempts = ...`), so two
//! gateway processes, or an MDN racing the sender, settle a message once: the loser sees
//! `false` and leaves the transaction alone.

use chrono::{DateTime, Utc};

use super::Params;
use crate::error::StoreResult;
use crate::model::{As2OutboundRecord, As2OutboundStatus, NewAs2Outbound};
use crate::sql::{Exec, Row};

const COLUMNS: &str = "message_id, partner, transaction_id, mic, headers, body_sha256, status, \
     detail, attempts, sent_at, updated_at";

fn record(r: &Row) -> StoreResult<As2OutboundRecord> {
    Ok(As2OutboundRecord {
        message_id: r.text("message_id")?,
        partner: r.text("partner")?,
        transaction_id: r.uuid("transaction_id")?,
        mic: r.text("mic")?,
        headers: r.json("headers")?,
        body_sha256: r.text("body_sha256")?,
        status: As2OutboundStatus::parse("as2_outbound.status", &r.text("status")?)?,
        detail: r.opt_text("detail")?,
        attempts: r.int("attempts")?,
        sent_at: r.opt_time("sent_at")?,
        updated_at: r.time("updated_at")?,
    })
}

/// Records a built message, or replaces one under the same Message-ID (a failed message sent
/// again after a replay): status `sending`, no attempts yet.
pub(crate) async fn put(c: &mut dyn Exec, m: &NewAs2Outbound) -> StoreResult<()> {
    c.execute(
        "INSERT INTO as2_outbound (message_id, partner, transaction_id, mic, headers, \
         body_sha256, status, detail, attempts, sent_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'sending', NULL, 0, NULL, $7) \
         ON CONFLICT (message_id) DO UPDATE SET mic = excluded.mic, \
         headers = excluded.headers, body_sha256 = excluded.body_sha256, status = 'sending', \
         detail = NULL, attempts = 0, sent_at = NULL, updated_at = excluded.updated_at",
        vec![
            m.message_id.as_str().into(),
            m.partner.as_str().into(),
            m.transaction_id.into(),
            m.mic.as_str().into(),
            (&m.headers).into(),
            m.body_sha256.as_str().into(),
            m.at.into(),
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get(
    c: &mut dyn Exec,
    message_id: &str,
) -> StoreResult<Option<As2OutboundRecord>> {
    c.fetch_optional(
        &format!("SELECT {COLUMNS} FROM as2_outbound WHERE message_id = $1"),
        vec![message_id.into()],
    )
    .await?
    .as_ref()
    .map(record)
    .transpose()
}

pub(crate) async fn awaiting_mdn(
    c: &mut dyn Exec,
    sent_before: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<As2OutboundRecord>> {
    c.fetch_all(
        &format!(
            "SELECT {COLUMNS} FROM as2_outbound WHERE status = 'awaiting_mdn' AND sent_at < $1 \
             ORDER BY sent_at, message_id LIMIT $2"
        ),
        vec![sent_before.into(), limit.into()],
    )
    .await?
    .iter()
    .map(record)
    .collect()
}

/// Counts a POST about to be made, if the message still has `seen_attempts` attempts and is
/// not settled; `false` when another process (or an MDN) got there first.
pub(crate) async fn claim_attempt(
    c: &mut dyn Exec,
    message_id: &str,
    seen_attempts: i64,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = c
        .execute(
            "UPDATE as2_outbound SET attempts = attempts + 1, sent_at = $3, updated_at = $3 \
             WHERE message_id = $1 AND attempts = $2 \
             AND status IN ('sending', 'awaiting_mdn')",
            vec![message_id.into(), seen_attempts.into(), at.into()],
        )
        .await?;
    Ok(n == 1)
}

/// Moves a message from one of `from` to `to` (with `detail`); `false` when it was in none.
pub(crate) async fn transition(
    c: &mut dyn Exec,
    message_id: &str,
    from: &[As2OutboundStatus],
    to: As2OutboundStatus,
    detail: Option<&str>,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let mut p = Params::default();
    let id = p.push(message_id);
    let status = p.push(to.as_str());
    let detail = p.push(detail);
    let at = p.push(at);
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let list = p.list(&from);
    let n = c
        .execute(
            &format!(
                "UPDATE as2_outbound SET status = {status}, detail = COALESCE({detail}, detail), \
                 updated_at = {at} WHERE message_id = {id} AND status IN ({list})"
            ),
            p.args,
        )
        .await?;
    Ok(n == 1)
}
