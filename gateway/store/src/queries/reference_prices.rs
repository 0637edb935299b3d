//! Suppliers' reference prices (chargeback-rules 2.2, 4.1), one keyed list per supplier. Every
//! write carries its audit event in the same transaction.

use super::keyed_lists::{KeyedList, KeyedTable, KeyedWrite};
use crate::error::StoreResult;
use crate::model::{NewAuditEvent, ReferencePricesRecord};
use crate::sql::Exec;

/// One row per supplier: its reference prices, as the engine holds them.
const PRICES: KeyedTable = KeyedTable {
    name: "reference_prices",
    key: "supplier",
    count: "row_count",
};

fn prices(list: KeyedList) -> ReferencePricesRecord {
    ReferencePricesRecord {
        supplier: list.key,
        row_count: list.count,
        version: list.version,
        payload: list.payload,
        updated_at: list.updated_at,
    }
}

pub(crate) async fn get(
    c: &mut dyn Exec,
    supplier: &str,
) -> StoreResult<Option<ReferencePricesRecord>> {
    Ok(PRICES.get(c, supplier).await?.map(prices))
}

pub(crate) async fn all(c: &mut dyn Exec) -> StoreResult<Vec<ReferencePricesRecord>> {
    Ok(PRICES.all(c).await?.into_iter().map(prices).collect())
}

/// The sum of the versions of every supplier's prices.
pub(crate) async fn generation(c: &mut dyn Exec) -> StoreResult<i64> {
    PRICES.generation(c).await
}

/// Writes a supplier's prices: inserted when `expected_version` is `None`, else only over that
/// version (`Conflict` otherwise). Returns the new version.
pub(crate) async fn put(
    c: &mut dyn Exec,
    record: &ReferencePricesRecord,
    expected_version: Option<i64>,
    event: &NewAuditEvent,
) -> StoreResult<i64> {
    let list = KeyedWrite {
        key: &record.supplier,
        count: record.row_count,
        payload: &record.payload,
        updated_at: record.updated_at,
    };
    PRICES
        .put(c, "reference_prices", list, expected_version, event)
        .await
}
