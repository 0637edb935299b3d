//! GPO roster uploads (chargeback-rules 2.2, 5.3): a roster CSV read by the engine, applied to
//! the GPO's stored memberships in one transaction with its audit event, or, for a snapshot
//! that would deactivate more than 5 % of the members, stored and held until approved.
//!
//! A roster that changes a date before the day it is applied is retroactive: its audit event
//! says `retroactive from <date>: retro run pending approval`, as a back-dated contract
//! version's does. Memberships reach V5 through the contract book, which reloads them when
//! the stored membership generation moves.

use engine::contracts::{Membership, RosterApplied, RosterError};
use engine::identity::{PartyKey, normalize_id};
use engine::rosters::{RosterMode, RosterRow, apply_roster, parse_roster};
use serde::{Deserialize, Serialize};
use store::{GpoMembershipsRecord, RosterUploadRecord, Store, StoreTx};
use uuid::Uuid;

use crate::Context;
use crate::error::ApplyError;

/// What a roster upload did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterOutcome {
    /// The upload's id (approve a held one with it).
    pub id: Uuid,
    /// The normalized GPO id.
    pub gpo: String,
    /// `applied` or `pending_approval`.
    pub status: String,
    /// What applying it did (`None` while it waits).
    pub applied: Option<RosterApplied>,
    /// Members a held snapshot would deactivate, and members active before.
    pub held: Option<(usize, usize)>,
    /// One line for logs.
    pub summary: String,
}

/// The stored payload of an upload: everything needed to apply it later.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct UploadPayload {
    mode: RosterMode,
    gpo: PartyKey,
    rows: Vec<RosterRow>,
    #[serde(default)]
    applied: Option<RosterApplied>,
}

/// Reads a roster CSV for GPO `gpo` and applies it (see the module doc), in one transaction.
pub async fn apply_roster_upload(
    store: &dyn Store,
    gpo: &str,
    mode: RosterMode,
    csv: &[u8],
    ctx: &Context,
) -> Result<RosterOutcome, ApplyError> {
    let (key, rows) = parse_roster(gpo, csv)?;
    let id = Uuid::now_v7();
    let mut payload = UploadPayload {
        mode,
        gpo: key.clone(),
        rows,
        applied: None,
    };
    let mut tx = store.begin().await?;
    let result = async {
        let (mut members, version) = load(&mut *tx, &key.id).await?;
        let incoming = memberships(&payload, id);
        match apply_roster(&mut members, &incoming, mode, ctx.today, false) {
            Ok(applied) => {
                payload.applied = Some(applied.clone());
                insert(&mut *tx, id, &key.id, "applied", &payload, ctx).await?;
                save(&mut *tx, &key.id, &members, version, &applied, id, ctx).await?;
                Ok(outcome(id, &key.id, Some(applied), None))
            }
            Err(RosterError::NeedsApproval {
                deactivating,
                members,
            }) => {
                insert(&mut *tx, id, &key.id, "pending_approval", &payload, ctx).await?;
                Ok(outcome(id, &key.id, None, Some((deactivating, members))))
            }
        }
    }
    .await;
    finish(tx, result).await
}

/// Approves a held snapshot: applies it to the memberships as they are now, in one
/// transaction (the upload is marked applied only from `pending_approval`).
pub async fn approve_roster_upload(
    store: &dyn Store,
    gpo: &str,
    id: Uuid,
    ctx: &Context,
) -> Result<RosterOutcome, ApplyError> {
    let gpo_id = normalize_id(gpo);
    let mut tx = store.begin().await?;
    let result = async {
        let upload = match tx.get_roster_upload(id).await? {
            Some(u) if u.gpo == gpo_id => u,
            _ => {
                return Err(ApplyError::UnknownRoster {
                    gpo: gpo_id.clone(),
                    id,
                });
            }
        };
        if upload.status != "pending_approval" {
            return Err(ApplyError::RosterNotPending(id));
        }
        let mut payload: UploadPayload =
            serde_json::from_value(upload.payload).map_err(|source| ApplyError::Corrupt {
                what: format!("roster upload {id}"),
                source,
            })?;
        let (mut members, version) = load(&mut *tx, &gpo_id).await?;
        let incoming = memberships(&payload, id);
        let applied = apply_roster(&mut members, &incoming, payload.mode, ctx.today, true)
            .map_err(ApplyError::RosterRule)?;
        payload.applied = Some(applied.clone());
        let event = crate::audit::event(ctx, "roster_upload", id.to_string(), "roster approved")
            .transition(Some("pending_approval"), "applied");
        tx.mark_roster_upload_applied(
            id,
            upload.version,
            &serde_json::to_value(&payload)?,
            ctx.now,
            &event,
        )
        .await
        .map_err(ApplyError::from_store("roster_upload", id, upload.version))?;
        save(&mut *tx, &gpo_id, &members, version, &applied, id, ctx).await?;
        Ok(outcome(id, &gpo_id, Some(applied), None))
    }
    .await;
    finish(tx, result).await
}

async fn finish(
    tx: Box<dyn StoreTx>,
    result: Result<RosterOutcome, ApplyError>,
) -> Result<RosterOutcome, ApplyError> {
    match result {
        Ok(outcome) => {
            tx.commit().await?;
            tracing::info!(gpo = %outcome.gpo, id = %outcome.id, summary = %outcome.summary, "roster upload");
            Ok(outcome)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

fn outcome(
    id: Uuid,
    gpo: &str,
    applied: Option<RosterApplied>,
    held: Option<(usize, usize)>,
) -> RosterOutcome {
    let (status, summary) = match (&applied, held) {
        (Some(a), _) => (
            "applied",
            format!(
                "roster {id} for GPO {gpo}: {} added, {} changed, {} deactivated{}",
                a.added,
                a.updated,
                a.deactivated,
                a.retroactive_from
                    .map(|d| format!(", retroactive from {d}"))
                    .unwrap_or_default()
            ),
        ),
        (None, Some((d, m))) => (
            "pending_approval",
            format!(
                "roster {id} for GPO {gpo} held: it would deactivate {d} of {m} members (over 5 %)"
            ),
        ),
        (None, None) => ("pending_approval", format!("roster {id} for GPO {gpo}")),
    };
    RosterOutcome {
        id,
        gpo: gpo.to_owned(),
        status: status.to_owned(),
        applied,
        held,
        summary,
    }
}

fn memberships(payload: &UploadPayload, id: Uuid) -> Vec<Membership> {
    payload
        .rows
        .iter()
        .map(|r| r.membership(&payload.gpo, &id.to_string()))
        .collect()
}

/// The GPO's stored memberships and their version (`None` before the first roster).
async fn load(
    tx: &mut dyn StoreTx,
    gpo: &str,
) -> Result<(Vec<Membership>, Option<i64>), ApplyError> {
    match tx.gpo_memberships(gpo).await? {
        None => Ok((Vec::new(), None)),
        Some(record) => {
            let members =
                serde_json::from_value(record.payload).map_err(|source| ApplyError::Corrupt {
                    what: format!("memberships of GPO {gpo}"),
                    source,
                })?;
            Ok((members, Some(record.version)))
        }
    }
}

async fn insert(
    tx: &mut dyn StoreTx,
    id: Uuid,
    gpo: &str,
    status: &str,
    payload: &UploadPayload,
    ctx: &Context,
) -> Result<(), ApplyError> {
    let name = if status == "applied" {
        "roster received"
    } else {
        "roster held for approval"
    };
    let mut event =
        crate::audit::event(ctx, "roster_upload", id.to_string(), name).transition(None, status);
    if status != "applied" {
        event = event.reason("snapshot would deactivate more than 5 % of the members".to_owned());
    }
    tx.insert_roster_upload(
        &RosterUploadRecord {
            id,
            gpo: gpo.to_owned(),
            mode: payload.mode.as_str().to_owned(),
            status: status.to_owned(),
            row_count: payload.rows.len() as i64,
            version: 1,
            payload: serde_json::to_value(payload)?,
            created_at: ctx.now,
            updated_at: ctx.now,
        },
        &event,
    )
    .await?;
    Ok(())
}

/// Writes the GPO's memberships with the audit event of the roster applied (retroactive ones
/// say the retro run waits for approval, §5.3).
#[allow(clippy::too_many_arguments)]
async fn save(
    tx: &mut dyn StoreTx,
    gpo: &str,
    members: &[Membership],
    version: Option<i64>,
    applied: &RosterApplied,
    upload: Uuid,
    ctx: &Context,
) -> Result<(), ApplyError> {
    let mut event = crate::audit::event(ctx, "gpo", gpo.to_owned(), "roster applied")
        .correlation(upload.to_string());
    if let Some(from) = applied.retroactive_from {
        event = event.reason(format!(
            "retroactive from {from}: retro run pending approval"
        ));
    }
    event.after = Some(serde_json::to_value(applied)?);
    tx.put_gpo_memberships(
        &GpoMembershipsRecord {
            gpo: gpo.to_owned(),
            members: members.len() as i64,
            version: version.unwrap_or(0),
            payload: serde_json::to_value(members)?,
            updated_at: ctx.now,
        },
        version,
        &event,
    )
    .await?;
    Ok(())
}
