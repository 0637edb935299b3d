//! Engine lists kept one row per key, as the engine's JSON, versioned for optimistic
//! concurrency: a GPO's roster memberships (`gpo_memberships`), a supplier's reference prices
//! (`reference_prices`). A write inserts the row (none read before) or updates it over the
//! version read (`Conflict` otherwise), with its audit event in the same transaction. The sum
//! of a table's versions grows with every write, so a process caching the lists knows when to
//! read them again.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::audit;
use crate::error::{StoreError, StoreResult};
use crate::model::NewAuditEvent;
use crate::sql::{Exec, Row};

/// A table of keyed lists: `<key>, <count>, version, payload, updated_at`.
pub(crate) struct KeyedTable {
    /// The table.
    pub name: &'static str,
    /// Its key column.
    pub key: &'static str,
    /// Its column counting the list's entries.
    pub count: &'static str,
}

/// A list to write.
pub(crate) struct KeyedWrite<'a> {
    pub key: &'a str,
    pub count: i64,
    pub payload: &'a Value,
    pub updated_at: DateTime<Utc>,
}

/// One row of a keyed list table.
pub(crate) struct KeyedList {
    pub key: String,
    pub count: i64,
    pub version: i64,
    pub payload: Value,
    pub updated_at: DateTime<Utc>,
}

impl KeyedTable {
    fn columns(&self) -> String {
        format!(
            "{} AS k, {} AS n, version, payload, updated_at",
            self.key, self.count
        )
    }

    fn list(&self, r: &Row) -> StoreResult<KeyedList> {
        Ok(KeyedList {
            key: r.text("k")?,
            count: r.int("n")?,
            version: r.int("version")?,
            payload: r.json("payload")?,
            updated_at: r.time("updated_at")?,
        })
    }

    pub(crate) async fn get(&self, c: &mut dyn Exec, key: &str) -> StoreResult<Option<KeyedList>> {
        let sql = format!(
            "SELECT {} FROM {} WHERE {} = $1",
            self.columns(),
            self.name,
            self.key
        );
        c.fetch_optional(&sql, vec![key.into()])
            .await?
            .map(|r| self.list(&r))
            .transpose()
    }

    pub(crate) async fn all(&self, c: &mut dyn Exec) -> StoreResult<Vec<KeyedList>> {
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            self.columns(),
            self.name,
            self.key
        );
        let rows = c.fetch_all(&sql, vec![]).await?;
        rows.iter().map(|r| self.list(r)).collect()
    }

    /// The sum of the versions of every row.
    pub(crate) async fn generation(&self, c: &mut dyn Exec) -> StoreResult<i64> {
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) AS n FROM {}",
            self.name
        );
        let rows = c.fetch_all(&sql, vec![]).await?;
        match rows.first() {
            Some(r) => r.int("n"),
            None => Ok(0),
        }
    }

    /// Writes a list: inserted when `expected_version` is `None`, else updated only if the
    /// stored version is still `expected_version` (`Conflict` naming `entity` otherwise).
    /// Returns the new version.
    pub(crate) async fn put(
        &self,
        c: &mut dyn Exec,
        entity: &'static str,
        list: KeyedWrite<'_>,
        expected_version: Option<i64>,
        event: &NewAuditEvent,
    ) -> StoreResult<i64> {
        let version = match expected_version {
            None => {
                let sql = format!(
                    "INSERT INTO {} ({}, {}, version, payload, updated_at) \
                     VALUES ($1, $2, 1, $3, $4)",
                    self.name, self.key, self.count
                );
                c.execute(
                    &sql,
                    vec![
                        list.key.into(),
                        list.count.into(),
                        list.payload.into(),
                        list.updated_at.into(),
                    ],
                )
                .await?;
                1
            }
            Some(expected) => {
                let sql = format!(
                    "UPDATE {} SET {} = $3, payload = $4, updated_at = $5, \
                     version = version + 1 WHERE {} = $1 AND version = $2 RETURNING version",
                    self.name, self.count, self.key
                );
                let row = c
                    .fetch_optional(
                        &sql,
                        vec![
                            list.key.into(),
                            expected.into(),
                            list.count.into(),
                            list.payload.into(),
                            list.updated_at.into(),
                        ],
                    )
                    .await?;
                match row {
                    Some(r) => r.int("version")?,
                    None => {
                        let actual = self.get(c, list.key).await?.map_or(0, |l| l.version);
                        return Err(StoreError::Conflict {
                            entity,
                            id: list.key.to_owned(),
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
}
