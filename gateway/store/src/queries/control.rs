//! Control-number allocation (design.md 7, x12-chargeback 2.4).
//!
//! One upsert both creates the counter and advances it, under the row lock PostgreSQL takes
//! for `ON CONFLICT DO UPDATE` (SQLite: the store's write transactions are `BEGIN IMMEDIATE`,
//! so writers are serialized). The `WHERE` of the update refuses to go past the range end, so
//! an exhausted range changes nothing and returns no row.

use chrono::{DateTime, Utc};

use crate::error::{StoreError, StoreResult};
use crate::model::ControlNumberKey;
use crate::sql::{Dialect, Exec};

pub(crate) async fn allocate(
    c: &mut dyn Exec,
    key: &ControlNumberKey,
    range: (u32, u32),
    at: DateTime<Utc>,
) -> StoreResult<u32> {
    let (start, end) = range;
    if start > end {
        return Err(StoreError::InvalidValue {
            field: "control number range",
            reason: format!("start {start} is after end {end}"),
        });
    }
    let greatest = match c.dialect() {
        Dialect::Postgres => "GREATEST",
        Dialect::Sqlite => "MAX",
    };
    let sql = format!(
        "INSERT INTO control_numbers (partner, direction, kind, last_value, updated_at) \
         VALUES ($1, $2, $3, $4, $6) \
         ON CONFLICT (partner, direction, kind) DO UPDATE \
         SET last_value = {greatest}(control_numbers.last_value + 1, $4), updated_at = $6 \
         WHERE {greatest}(control_numbers.last_value + 1, $4) <= $5 \
         RETURNING last_value"
    );
    let row = c
        .fetch_optional(
            &sql,
            vec![
                key.partner.as_str().into(),
                key.direction.as_str().into(),
                key.kind.as_str().into(),
                i64::from(start).into(),
                i64::from(end).into(),
                at.into(),
            ],
        )
        .await?;
    let exhausted = || StoreError::RangeExhausted {
        partner: key.partner.clone(),
        direction: key.direction.as_str(),
        kind: key.kind.as_str(),
        start,
        end,
    };
    let Some(row) = row else {
        return Err(exhausted());
    };
    let value = row.int("last_value")?;
    u32::try_from(value).map_err(|_| exhausted())
}
