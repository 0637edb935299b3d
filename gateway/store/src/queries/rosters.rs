//! GPO roster memberships and roster uploads (chargeback-rules 2.2). Every change writes its
//! audit event in the same transaction.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit;
use crate::error::{StoreError, StoreResult};
use crate::model::{GpoMembershipsRecord, NewAuditEvent, RosterUploadRecord};
use crate::sql::{Exec, Row};

const MEMBERSHIP_COLUMNS: &str = "gpo, members, version, payload, updated_at";

fn memberships(r: &Row) -> StoreResult<GpoMembershipsRecord> {
    Ok(GpoMembershipsRecord {
        gpo: r.text("gpo")?,
        members: r.int("members")?,
        version: r.int("version")?,
        payload: r.json("payload")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) async fn get_memberships(
    c: &mut dyn Exec,
    gpo: &str,
) -> StoreResult<Option<GpoMembershipsRecord>> {
    c.fetch_optional(
        &format!("SELECT {MEMBERSHIP_COLUMNS} FROM gpo_memberships WHERE gpo = $1"),
        vec![gpo.into()],
    )
    .await?
    .map(|r| memberships(&r))
    .transpose()
}

pub(crate) async fn all_memberships(c: &mut dyn Exec) -> StoreResult<Vec<GpoMembershipsRecord>> {
    let rows = c
        .fetch_all(
            &format!("SELECT {MEMBERSHIP_COLUMNS} FROM gpo_memberships ORDER BY gpo"),
            vec![],
        )
        .await?;
    rows.iter().map(memberships).collect()
}

/// The sum of the versions of every GPO's memberships: it grows with every write, so a
/// process caching memberships knows when to reload them.
pub(crate) async fn membership_generation(c: &mut dyn Exec) -> StoreResult<i64> {
    let rows = c
        .fetch_all(
            "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) AS n FROM gpo_memberships",
            vec![],
        )
        .await?;
    match rows.first() {
        Some(r) => r.int("n"),
        None => Ok(0),
    }
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
    let version = match expected_version {
        None => {
            c.execute(
                "INSERT INTO gpo_memberships (gpo, members, version, payload, updated_at) \
                 VALUES ($1, $2, 1, $3, $4)",
                vec![
                    record.gpo.as_str().into(),
                    record.members.into(),
                    (&record.payload).into(),
                    record.updated_at.into(),
                ],
            )
            .await?;
            1
        }
        Some(expected) => {
            let row = c
                .fetch_optional(
                    "UPDATE gpo_memberships SET members = $3, payload = $4, updated_at = $5, \
                     version = version + 1 WHERE gpo = $1 AND version = $2 RETURNING version",
                    vec![
                        record.gpo.as_str().into(),
                        expected.into(),
                        record.members.into(),
                        (&record.payload).into(),
                        record.updated_at.into(),
                    ],
                )
                .await?;
            match row {
                Some(r) => r.int("version")?,
                None => {
                    let actual = get_memberships(c, &record.gpo)
                        .await?
                        .map_or(0, |m| m.version);
                    return Err(StoreError::Conflict {
                        entity: "gpo_memberships",
                        id: record.gpo.clone(),
                        expected,
                        actual,
                    });
                }
            }
        }
    };
    audit::append(c, event).await?;
    Ok(version)
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
