//! Reference price lists (chargeback-rules 2.2, 4.1): a supplier's WAC or book cost list, read
//! by the engine ([`engine::price_lists`]), loaded into the supplier's stored reference prices
//! in one transaction with its audit event. The contract book reloads them when their stored
//! generation moves, so V8 prices with them in any process (a contract-stated reference
//! price still wins).
//!
//! Each row of a load supersedes the days it covers of the rows of its item, unit and basis
//! loaded before; a load that changes nothing (the same file again) writes nothing, not even
//! an audit event.

use chrono::NaiveDate;
use engine::contracts::{PricesLoaded, SupplierPrices};
use engine::identity::normalize_id;
use engine::price_lists::{load_price_list, read_price_list};
use serde::Serialize;
use sha2::{Digest, Sha256};
use store::{ReferencePricesRecord, StoreRead, StoreTx};

use crate::Context;
use crate::error::ApplyError;

/// What loading a price list did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceListOutcome {
    /// The normalized supplier id.
    pub supplier: String,
    /// `loaded` (the list changed) or `unchanged` (nothing written).
    pub status: String,
    /// Rows added, unchanged, superseded, and from when past sales price otherwise.
    pub loaded: PricesLoaded,
    /// Rows in the supplier's list after the load.
    pub rows: usize,
    /// The SHA-256 of the file, as its audit event's correlation id.
    pub file_sha256: String,
    /// One line for logs.
    pub summary: String,
}

/// One reference price as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedPrice {
    /// The normalized item key (`NDC:12345010001`).
    pub item: String,
    /// The price per `uom`.
    pub price: rust_decimal::Decimal,
    /// Its unit.
    pub uom: String,
    /// First day.
    pub start: NaiveDate,
    /// Last day, inclusive; `None` = open-ended.
    pub end: Option<NaiveDate>,
    /// `wac` or `book`.
    pub basis: engine::settings::ReferencePriceBasis,
}

/// Which of a supplier's prices to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceQuery {
    /// Only this normalized item key.
    pub item: Option<String>,
    /// Only the prices in force on this day.
    pub date: Option<NaiveDate>,
    /// Only the items after this key (the `next_after` of the page before).
    pub after: Option<String>,
    /// At most this many items (each with all its rows).
    pub limit: usize,
}

/// A page of a supplier's prices, in item order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PricePage {
    /// The normalized supplier id.
    pub supplier: String,
    /// The rows of the page's items.
    pub prices: Vec<ListedPrice>,
    /// The item to ask `after` for the next page; `None` on the last page.
    pub next_after: Option<String>,
}

fn supplier_id(supplier: &str) -> Result<String, ApplyError> {
    let id = normalize_id(supplier);
    if id.is_empty() {
        return Err(ApplyError::InvalidSupplier(supplier.to_owned()));
    }
    Ok(id)
}

/// A supplier's stored prices and their version (`None` before its first load).
async fn stored(
    read: &mut dyn StoreRead,
    supplier: &str,
) -> Result<(SupplierPrices, Option<i64>), ApplyError> {
    match read.reference_prices(supplier).await? {
        None => Ok((SupplierPrices::default(), None)),
        Some(record) => {
            let prices =
                serde_json::from_value(record.payload).map_err(|source| ApplyError::Corrupt {
                    what: format!("reference prices of supplier {supplier}"),
                    source,
                })?;
            Ok((prices, Some(record.version)))
        }
    }
}

/// Reads a price list and loads it into `supplier`'s reference prices (see the module doc),
/// in one transaction. A refused file is [`ApplyError::PriceList`] with every fault, nothing
/// written.
pub async fn load_reference_prices(
    store: &dyn store::Store,
    supplier: &str,
    csv: &[u8],
    ctx: &Context,
) -> Result<PriceListOutcome, ApplyError> {
    let supplier = supplier_id(supplier)?;
    let rows = read_price_list(csv)?;
    let file_sha256 = format!("{:x}", Sha256::digest(csv));
    let mut tx = store.begin().await?;
    let result = async {
        let (mut prices, version) = stored(&mut *tx, &supplier).await?;
        let loaded = load_price_list(&mut prices, &rows, ctx.today);
        if loaded.changed() {
            save(
                &mut *tx,
                &supplier,
                &prices,
                version,
                &loaded,
                &file_sha256,
                ctx,
            )
            .await?;
        }
        Ok(outcome(supplier.clone(), loaded, prices.len(), file_sha256))
    }
    .await;
    match result {
        Ok(outcome) if outcome.loaded.changed() => {
            tx.commit().await?;
            tracing::info!(supplier = %outcome.supplier, file_sha256 = %outcome.file_sha256, summary = %outcome.summary, "reference prices loaded");
            Ok(outcome)
        }
        Ok(outcome) => {
            let _ = tx.rollback().await;
            tracing::info!(supplier = %outcome.supplier, file_sha256 = %outcome.file_sha256, "reference prices unchanged");
            Ok(outcome)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

fn outcome(supplier: String, loaded: PricesLoaded, rows: usize, sha: String) -> PriceListOutcome {
    let status = if loaded.changed() {
        "loaded"
    } else {
        "unchanged"
    };
    let retro = loaded
        .retroactive_from
        .map(|d| format!(", retroactive from {d}"))
        .unwrap_or_default();
    PriceListOutcome {
        summary: format!(
            "reference prices of supplier {supplier} {status}: {} added, {} unchanged, {} superseded, {rows} in the list{retro}",
            loaded.added, loaded.unchanged, loaded.superseded
        ),
        supplier,
        status: status.to_owned(),
        loaded,
        rows,
        file_sha256: sha,
    }
}

/// Writes a supplier's prices with the audit event of the load (a load changing past days
/// says so, as a back-dated contract or roster does, §5.3).
async fn save(
    tx: &mut dyn StoreTx,
    supplier: &str,
    prices: &SupplierPrices,
    version: Option<i64>,
    loaded: &PricesLoaded,
    file_sha256: &str,
    ctx: &Context,
) -> Result<(), ApplyError> {
    let mut event = crate::audit::event(
        ctx,
        "reference_prices",
        supplier.to_owned(),
        "reference prices loaded",
    )
    .correlation(file_sha256.to_owned());
    if let Some(from) = loaded.retroactive_from {
        event = event.reason(format!("retroactive from {from}"));
    }
    event.after = Some(serde_json::to_value(loaded)?);
    tx.put_reference_prices(
        &ReferencePricesRecord {
            supplier: supplier.to_owned(),
            row_count: prices.len() as i64,
            version: version.unwrap_or(0),
            payload: serde_json::to_value(prices)?,
            updated_at: ctx.now,
        },
        version,
        &event,
    )
    .await?;
    Ok(())
}

/// A page of `supplier`'s reference prices (see [`PriceQuery`]).
pub async fn reference_prices_page(
    store: &dyn store::Store,
    supplier: &str,
    query: &PriceQuery,
) -> Result<PricePage, ApplyError> {
    let supplier = supplier_id(supplier)?;
    let mut read = store.reader().await?;
    let (prices, _) = stored(&mut *read, &supplier).await?;
    let in_query = |item: &str| query.item.as_deref().is_none_or(|i| i == item);
    let mut items = prices
        .items_after(query.after.as_deref())
        .filter(|(item, _)| in_query(item))
        .map(|(item, rows)| {
            let rows: Vec<ListedPrice> = rows
                .iter()
                .filter(|r| query.date.is_none_or(|d| r.covers(d)))
                .map(|r| ListedPrice {
                    item: item.to_owned(),
                    price: r.price,
                    uom: r.uom.clone(),
                    start: r.start,
                    end: r.end,
                    basis: r.basis,
                })
                .collect();
            (item, rows)
        })
        .filter(|(_, rows)| !rows.is_empty());
    let mut page = PricePage {
        supplier: supplier.clone(),
        prices: Vec::new(),
        next_after: None,
    };
    let mut last = None;
    for (item, rows) in items.by_ref().take(query.limit) {
        page.prices.extend(rows);
        last = Some(item);
    }
    if items.next().is_some() {
        page.next_after = last.map(str::to_owned);
    }
    Ok(page)
}
