//! GPO roster memberships and roster uploads (chargeback-rules 2.2). Every change writes its
//! audit event in the same transaction.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit;
use super::keyed_lists::{KeyedList, KeyedTable, KeyedWrite};
use crate::error::{StoreError, StoreResult};
use crate::model::{GpoMembershipsRecord, NewAuditEvent, RosterUploadRecord};
use crate::sql::{Exec, Row};

/// One row per GPO: its memberships, as the engine holds them.
const MEMBERSHIPS: KeyedTable = KeyedTable {
    name: "gpo_memberships",
    key: "gpo",
    count: "members",
};

fn memberships(list: KeyedList) -> GpoMembershipsRecord {
    GpoMembershipsRecord {
        gpo: list.key,
        members: list.count,
        version: list.version,
        payload: list.payload,
        updated_at: list.updated_at,
    }
}

pub(crate) async fn get_memberships(
    c: &mut dyn Exec,
    gpo: &str,
) -> StoreResult<Option<GpoMembershipsRecord>> {
    Ok(MEMBERSHIPS.get(c, gpo).await?.map(memberships))
}

pub(crate) async fn all_memberships(c: &mut dyn Exec) -> StoreResult<Vec<GpoMembershipsRecord>> {
    Ok(MEMBERSHIPS
        .all(c)
        .await?
        .into_iter()
        .map(memberships)
        .collect())
}

/// The sum of the versions of every GPO's memberships: it grows with every write, so a
/// process caching memberships knows when to reload them.
pub(crate) async fn membership_generation(c: &mut dyn Exec) -> StoreResult<i64> {
    MEMBERSHIPS.generation(c).await
}

/// Writes a GPO's memberships: inserted when `expected_version` is `None`, else updated only
/// if the stored version is still `expected_version` (`Conflict` otherwise). Returns the new
/// version.
pub(crate) async fn put_memberships(
    c: &mut dyn Exec,
    record: &GpoMembershipsRecord,
    expected_version: Option<i64>,
    event: &NewAuditEvent,
) -> StoreResult<i64> {
    let list = KeyedWrite {
        key: &record.gpo,
        count: record.members,
        payload: &record.payload,
        updated_at: record.updated_at,
    };
    MEMBERSHIPS
        .put(c, "gpo_memberships", list, expected_version, event)
        .await
}

const UPLOAD_COLUMNS: &str =
    "id, gpo, mode, status, row_count, version, payload, created_at, updated_at";

fn upload(r: &Row) -> StoreResult<RosterUploadRecord> {
    Ok(RosterUploadRecord {
        id: r.uuid("id")?,
        gpo: r.text("gpo")?,
        mode: r.text("mode")?,
        status: r.text("status")?,
        row_count: r.int("row_count")?,
        version: r.int("version")?,
        payload: r.json("payload")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) async fn insert_upload(
    c: &mut dyn Exec,
    u: &RosterUploadRecord,
    event: &NewAuditEvent,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO roster_uploads (id, gpo, mode, status, row_count, version, payload, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8)",
        vec![
            u.id.into(),
            u.gpo.as_str().into(),
            u.mode.as_str().into(),
            u.status.as_str().into(),
            u.row_count.into(),
            (&u.payload).into(),
            u.created_at.into(),
            u.updated_at.into(),
        ],
    )
    .await?;
    audit::append(c, event).await?;
    Ok(())
}

pub(crate) async fn get_upload(
    c: &mut dyn Exec,
    id: Uuid,
) -> StoreResult<Option<RosterUploadRecord>> {
    c.fetch_optional(
        &format!("SELECT {UPLOAD_COLUMNS} FROM roster_uploads WHERE id = $1"),
        vec![id.into()],
    )
    .await?
    .map(|r| upload(&r))
    .transpose()
}

/// Moves a held upload to `applied`, only from `pending_approval` at `expected_version`
/// (`Conflict` otherwise: approved twice, or concurrently). Returns the new version.
pub(crate) async fn mark_upload_applied(
    c: &mut dyn Exec,
    id: Uuid,
    expected_version: i64,
    payload: &serde_json::Value,
    at: DateTime<Utc>,
    event: &NewAuditEvent,
) -> StoreResult<i64> {
    let row = c
        .fetch_optional(
            "UPDATE roster_uploads SET status = 'applied', payload = $3, updated_at = $4, \
             version = version + 1 \
             WHERE id = $1 AND version = $2 AND status = 'pending_approval' RETURNING version",
            vec![
                id.into(),
                expected_version.into(),
                payload.into(),
                at.into(),
            ],
        )
        .await?;
    let Some(row) = row else {
        let current = get_upload(c, id).await?;
        return Err(match current {
            None => StoreError::NotFound {
                entity: "roster_upload",
                id: id.to_string(),
            },
            Some(u) => StoreError::Conflict {
                entity: "roster_upload",
                id: id.to_string(),
                expected: expected_version,
                actual: u.version,
            },
        });
    };
    audit::append(c, event).await?;
    row.int("version")
}
