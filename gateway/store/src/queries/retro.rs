//! Retro runs (`retro_runs`, chargeback-rules 5.3) and the past sale lines a run reads.
//!
//! A run is written `pending` with its back-dated contract version and finished once: the
//! update is conditional on `status = 'pending'`, so a second approval, or two racing ones,
//! finish it at most once.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::Params;
use super::audit;
use super::engine::{BATCH_COLUMNS, LINE_COLUMNS, batch, batch_line};
use crate::error::StoreResult;
use crate::model::{BatchLineRecord, BatchRecord, ClaimLineRecord, NewAuditEvent, RetroRunRecord};
use crate::sql::{Exec, Row};

const COLUMNS: &str = "contract_id, version_no, partner, contract_number, retroactive_from, \
     status, approved_by, payload, created_at, updated_at";

fn record(r: &Row) -> StoreResult<RetroRunRecord> {
    Ok(RetroRunRecord {
        contract_id: r.uuid("contract_id")?,
        version_no: r.int("version_no")?,
        partner: r.text("partner")?,
        contract_number: r.text("contract_number")?,
        retroactive_from: r.text("retroactive_from")?,
        status: r.text("status")?,
        approved_by: r.opt_text("approved_by")?,
        payload: r.json("payload")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) async fn insert(
    c: &mut dyn Exec,
    run: &RetroRunRecord,
    event: &NewAuditEvent,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO retro_runs (contract_id, version_no, partner, contract_number, \
         retroactive_from, status, approved_by, payload, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            run.contract_id.into(),
            run.version_no.into(),
            run.partner.as_str().into(),
            run.contract_number.as_str().into(),
            run.retroactive_from.as_str().into(),
            run.status.as_str().into(),
            (&run.approved_by).into(),
            (&run.payload).into(),
            run.created_at.into(),
            run.updated_at.into(),
        ],
    )
    .await?;
    audit::append(c, event).await?;
    Ok(())
}

pub(crate) async fn get(
    c: &mut dyn Exec,
    contract_id: Uuid,
    version_no: i64,
) -> StoreResult<Option<RetroRunRecord>> {
    c.fetch_optional(
        &format!("SELECT {COLUMNS} FROM retro_runs WHERE contract_id = $1 AND version_no = $2"),
        vec![contract_id.into(), version_no.into()],
    )
    .await?
    .as_ref()
    .map(record)
    .transpose()
}

pub(crate) async fn by_number(
    c: &mut dyn Exec,
    contract_number: &str,
    version_no: i64,
) -> StoreResult<Vec<RetroRunRecord>> {
    c.fetch_all(
        &format!(
            "SELECT {COLUMNS} FROM retro_runs WHERE contract_number = $1 AND version_no = $2 \
             ORDER BY partner"
        ),
        vec![contract_number.into(), version_no.into()],
    )
    .await?
    .iter()
    .map(record)
    .collect()
}

/// Marks a pending run done; `false` (nothing written) when it was done before.
pub(crate) async fn finish(
    c: &mut dyn Exec,
    contract_id: Uuid,
    version_no: i64,
    approved_by: &str,
    payload: &Value,
    at: DateTime<Utc>,
    event: &NewAuditEvent,
) -> StoreResult<bool> {
    let n = c
        .execute(
            "UPDATE retro_runs SET status = 'done', approved_by = $3, payload = $4, \
             updated_at = $5 WHERE contract_id = $1 AND version_no = $2 AND status = 'pending'",
            vec![
                contract_id.into(),
                version_no.into(),
                approved_by.into(),
                payload.into(),
                at.into(),
            ],
        )
        .await?;
    if n == 1 {
        audit::append(c, event).await?;
    }
    Ok(n == 1)
}

/// Lines of claimant batches reported or validated under one of `contracts`, each with its
/// batch's status, in batch creation and line order.
pub(crate) async fn lines_for_contracts(
    c: &mut dyn Exec,
    contracts: &[String],
) -> StoreResult<Vec<(String, BatchLineRecord)>> {
    if contracts.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::default();
    let list = p.list(contracts);
    let sql = format!(
        "SELECT {LINE_COLUMNS}, b.status AS batch_status FROM batch_lines l \
         JOIN batches b ON b.id = l.batch_id \
         WHERE l.contract IN ({list}) AND b.role = 'claimant' \
         ORDER BY b.created_at, l.batch_id, l.line_no"
    );
    let rows = c.fetch_all(&sql, p.args).await?;
    rows.iter()
        .map(|r| Ok((r.text("batch_status")?, batch_line(r)?)))
        .collect()
}

pub(crate) async fn held_batches_for_contracts(
    c: &mut dyn Exec,
    contracts: &[String],
) -> StoreResult<Vec<BatchRecord>> {
    if contracts.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::default();
    let list = p.list(contracts);
    let sql = format!(
        "SELECT {BATCH_COLUMNS} FROM batches \
         WHERE role = 'adjudicator' AND status = 'awaiting_review' AND id IN (\
           SELECT batch_id FROM batch_lines WHERE contract IN ({list}) \
           AND status IN ('eligibility_disputed', 'amount_disputed')) \
         ORDER BY created_at, id"
    );
    let rows = c.fetch_all(&sql, p.args).await?;
    rows.iter().map(batch).collect()
}

/// The lines of the top-level claims (not split children) cut from a batch, in claim and
/// line order: the claim line, with its 849 outcome, that carried each batch line. Found
/// through the claims (`claims.batch_id`), whose lines all come from that batch.
pub(crate) async fn claim_lines_of_batch(
    c: &mut dyn Exec,
    batch_id: Uuid,
) -> StoreResult<Vec<ClaimLineRecord>> {
    let rows = c
        .fetch_all(
            &format!(
                "SELECT {}, k.created_at AS claim_created_at FROM claims k \
                 JOIN claim_lines cl ON cl.claim_id = k.id {} \
                 WHERE k.batch_id = $1 AND k.parent_id IS NULL AND cl.batch_id = $1 \
                 UNION ALL SELECT {}, k.created_at AS claim_created_at FROM claims k {} \
                 AND k.batch_id = $1 AND k.parent_id IS NULL \
                 ORDER BY claim_created_at, claim_id, line_no",
                super::engine::CLAIM_LINE_COLUMNS_CL,
                super::engine::CLAIM_LINE_BATCH_JOIN,
                super::engine::CARRIED_CLAIM_LINE_COLUMNS,
                super::engine::CARRIED_BY_CLAIM,
            ),
            vec![batch_id.into()],
        )
        .await?;
    rows.iter().map(super::engine::claim_line).collect()
}
