//! Reference prices in the book (chargeback-rules 2.2, 4.1): effective-dated WAC or book cost
//! per supplier × item, loaded from a supplier's price list ([`crate::price_lists`]), and
//! `ref(d)`, the reference price per contract unit a line is priced with when its contract
//! states none (from a row in the contract unit, else converted exactly from another unit).
//!
//! A supplier's prices are one [`SupplierPrices`]: per normalized item key, rows that never
//! overlap for the same unit and basis. Loading a row supersedes the days it covers of the
//! rows already there (an effective-dated price list: the later load wins those days, the
//! earlier rows keep their other days), so loading the same rows again changes nothing.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{ContractBook, ItemIdx, PriceRow};
use crate::amounts::{ConvertedPrice, UomFactor};
use crate::identity::PartyKey;
use crate::name::Name;
use crate::settings::{EngineSettings, ReferencePriceBasis};

/// `ref(d)` of §4.1 as [`ContractBook::reference_price`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedReference {
    /// The price per contract unit: exact, except when converted by a division that does not
    /// end (100.00 per 12-EA case, per EA), where it has rust_decimal's full precision.
    pub per_contract_unit: Decimal,
    /// When a list row in another unit gave it: that row's unit, price and factor, which
    /// amounts are computed from (exactly: [`crate::amounts::line_amount_from`]).
    pub converted: Option<ConvertedReference>,
}

impl ResolvedReference {
    /// A price per contract unit as stated (the contract's, or a list row in its unit).
    pub fn own(price: Decimal) -> Self {
        Self {
            per_contract_unit: price,
            converted: None,
        }
    }
}

/// A reference price per contract unit converted from a supplier's list row in another unit:
/// the row's unit and price, and the exact factor from that unit to the contract unit. A
/// pricing snapshot keeps it, so recomputing the line gives the same cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvertedReference {
    /// The list row's unit (`EA`).
    pub uom: Name,
    /// The list row's price per `uom`.
    pub price: Decimal,
    /// `uom` → contract unit: `num / den` contract units per `uom` (1/12: an EA of a 12-EA
    /// case).
    pub factor: UomFactor,
}

impl ConvertedReference {
    /// The price and factor, for the arithmetic.
    pub fn exact(&self) -> ConvertedPrice {
        ConvertedPrice {
            price: self.price,
            factor: self.factor,
        }
    }
}

/// An effective-dated reference price (WAC or book cost) of a supplier's item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferencePriceRow {
    /// First day.
    pub start: NaiveDate,
    /// Last day, inclusive; `None` = open-ended.
    pub end: Option<NaiveDate>,
    /// Price per `uom`.
    pub price: Decimal,
    /// Unit of measure: a contract row of this unit is priced with it, and one of a unit
    /// this one converts into exactly when no row is in that unit.
    pub uom: String,
    /// What the price is: WAC or book cost. A partner's `reference_price_basis` takes the
    /// rows of its basis only.
    #[serde(default = "wac", skip_serializing_if = "is_wac")]
    pub basis: ReferencePriceBasis,
}

fn wac() -> ReferencePriceBasis {
    ReferencePriceBasis::Wac
}

fn is_wac(basis: &ReferencePriceBasis) -> bool {
    *basis == ReferencePriceBasis::Wac
}

fn day_before(d: NaiveDate) -> Option<NaiveDate> {
    d.checked_sub_days(Days::new(1))
}

fn day_after(d: NaiveDate) -> Option<NaiveDate> {
    d.checked_add_days(Days::new(1))
}

impl ReferencePriceRow {
    /// Whether the price is in force on `d`.
    pub fn covers(&self, d: NaiveDate) -> bool {
        self.start <= d && self.end.is_none_or(|end| d <= end)
    }

    /// Whether two rows price the same thing (unit and basis), so they may not overlap.
    pub(crate) fn same_series(&self, other: &Self) -> bool {
        self.uom == other.uom && self.basis == other.basis
    }

    /// Whether the two rows share a day.
    pub(crate) fn overlaps(&self, other: &Self) -> bool {
        let starts_before_other_ends = other.end.is_none_or(|end| self.start <= end);
        let ends_after_other_starts = self.end.is_none_or(|end| other.start <= end);
        starts_before_other_ends && ends_after_other_starts
    }

    /// What is left of `self` once `later` takes its days: the days before it and after it.
    fn outside(&self, later: &Self) -> impl Iterator<Item = Self> {
        let before = day_before(later.start)
            .filter(|last| self.start <= *last)
            .map(|last| Self {
                end: Some(self.end.map_or(last, |end| end.min(last))),
                ..self.clone()
            });
        let after = later.end.and_then(day_after).and_then(|first| {
            let ends_later = self.end.is_none_or(|end| first <= end);
            ends_later.then(|| Self {
                start: self.start.max(first),
                ..self.clone()
            })
        });
        before.into_iter().chain(after)
    }
}

/// What loading rows into a supplier's prices did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricesLoaded {
    /// Rows added (new, or replacing days of earlier rows).
    pub added: usize,
    /// Rows already there as they are: nothing to do.
    pub unchanged: usize,
    /// Earlier rows whose days a loaded row took, wholly or in part.
    pub superseded: usize,
    /// The earliest start of a row added, when before the day of the load: past sales are
    /// priced otherwise from then on (§5.3).
    pub retroactive_from: Option<NaiveDate>,
}

impl PricesLoaded {
    /// Whether the load changed anything.
    pub fn changed(&self) -> bool {
        self.added > 0
    }
}

/// One supplier's reference prices: per normalized item key (`NDC:12345010001`), its rows in
/// unit, basis and start order; rows of the same unit and basis never overlap.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SupplierPrices {
    items: BTreeMap<String, Vec<ReferencePriceRow>>,
}

impl SupplierPrices {
    /// Loads `rows` (item key, row) as of `today`: each supersedes the days it covers of the
    /// rows of its item, unit and basis already there. Rows given together must not overlap
    /// one another (the price list reader refuses a file where they do).
    pub fn load<'r>(
        &mut self,
        rows: impl IntoIterator<Item = (&'r str, &'r ReferencePriceRow)>,
        today: NaiveDate,
    ) -> PricesLoaded {
        let mut loaded = PricesLoaded::default();
        for (item, row) in rows {
            let list = self.items.entry(item.to_owned()).or_default();
            if list.contains(row) {
                loaded.unchanged += 1;
                continue;
            }
            let (taken, kept): (Vec<_>, Vec<_>) = std::mem::take(list)
                .into_iter()
                .partition(|old| old.same_series(row) && old.overlaps(row));
            loaded.superseded += taken.len();
            *list = kept;
            list.extend(taken.iter().flat_map(|old| old.outside(row)));
            list.push(row.clone());
            list.sort_by(|a, b| {
                (&a.uom, a.basis as u8, a.start).cmp(&(&b.uom, b.basis as u8, b.start))
            });
            loaded.added += 1;
            if row.start < today {
                loaded.retroactive_from = Some(
                    loaded
                        .retroactive_from
                        .map_or(row.start, |d| d.min(row.start)),
                );
            }
        }
        loaded
    }

    /// The items after `after` (every item when `None`), in key order.
    pub fn items_after<'a>(
        &'a self,
        after: Option<&str>,
    ) -> impl Iterator<Item = (&'a str, &'a [ReferencePriceRow])> {
        use std::ops::Bound::{Excluded, Unbounded};
        let from = after.map_or(Unbounded, |a| Excluded(a.to_owned()));
        self.items
            .range((from, Unbounded))
            .map(|(k, rows)| (k.as_str(), rows.as_slice()))
    }

    /// The rows of one item.
    pub fn rows(&self, item: &str) -> &[ReferencePriceRow] {
        self.items.get(item).map_or(&[], Vec::as_slice)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.items.values().map(Vec::len).sum()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The price of an item in `uom` and `basis` in force on `d`.
    pub fn price_on(
        &self,
        item: &str,
        uom: &str,
        basis: ReferencePriceBasis,
        d: NaiveDate,
    ) -> Option<Decimal> {
        self.rows(item)
            .iter()
            .find(|r| r.uom == uom && r.basis == basis && r.covers(d))
            .map(|r| r.price)
    }
}

impl ContractBook {
    /// Replaces a supplier's reference prices (as the store holds them).
    pub fn set_reference_prices(&mut self, supplier_id: &str, prices: SupplierPrices) {
        self.reference_prices.insert(supplier_id.to_owned(), prices);
    }

    /// Forgets every reference price (before loading them again).
    pub fn clear_reference_prices(&mut self) {
        self.reference_prices.clear();
    }

    /// A supplier's reference prices.
    pub fn reference_prices(&self, supplier_id: &str) -> Option<&SupplierPrices> {
        self.reference_prices.get(supplier_id)
    }

    /// Adds one effective-dated reference price for a supplier's item, superseding the days
    /// it covers of the item's earlier rows of its unit and basis.
    pub fn add_reference_price(
        &mut self,
        supplier: &PartyKey,
        item_key: &str,
        row: ReferencePriceRow,
        today: NaiveDate,
    ) -> PricesLoaded {
        self.reference_prices
            .entry(supplier.id.clone())
            .or_default()
            .load([(item_key, &row)], today)
    }

    /// `ref(d)` of §4.1 for a contract row, per the row's (contract) unit: the reference price
    /// the row states wins; else the supplier's price of the row's item (under any of the
    /// item's ids), of the partner's `reference_price_basis`, in force on `d`:
    ///
    /// 1. a list row in the contract row's own unit, whatever other units the list has;
    /// 2. else a row in another unit `U` the engine converts exactly into the contract unit
    ///    ([`ContractBook::uom_factor`], as a sale quantity is: the item's own conversion
    ///    first, then one for any item), its price per contract unit `price × den / num`.
    ///    Of several such units the first in byte order of the unit code wins (`BX` before
    ///    `EA`), then the item's main id before its other ids: a fixed choice, whatever order
    ///    the lists were loaded in.
    pub fn reference_price(
        &self,
        settings: &EngineSettings,
        supplier: &PartyKey,
        row: &PriceRow,
        d: NaiveDate,
    ) -> Option<ResolvedReference> {
        if let Some(price) = row.reference_price {
            return Some(ResolvedReference::own(price));
        }
        let basis = settings.reference_price_basis;
        let prices = self.reference_prices.get(&supplier.id)?;
        let uom = self.uom(row.uom);
        if let Some(price) = self
            .item_ids(row.item)
            .find_map(|key| prices.price_on(key, uom, basis, d))
        {
            return Some(ResolvedReference::own(price));
        }
        let mut best: Option<(&ReferencePriceRow, usize, UomFactor)> = None;
        for (id, key) in self.item_ids(row.item).enumerate() {
            // Rows are in unit order: the first convertible one is this id's best.
            let found = prices.rows(key).iter().find_map(|r| {
                let usable = r.basis == basis && r.uom != uom && r.covers(d);
                let factor = usable
                    .then(|| self.uom_factor(settings, row.item, &r.uom, uom))
                    .flatten()?;
                Some((r, id, factor))
            });
            if let Some(found) = found
                && best.is_none_or(|b| found.0.uom < b.0.uom)
            {
                best = Some(found);
            }
        }
        let (list_row, _, factor) = best?;
        let converted = ConvertedPrice {
            price: list_row.price,
            factor,
        };
        let per_contract_unit = converted.per_contract_unit().ok()?;
        Some(ResolvedReference {
            per_contract_unit,
            converted: (!factor.is_identity()).then(|| ConvertedReference {
                uom: Name::from(list_row.uom.as_str()),
                price: list_row.price,
                factor,
            }),
        })
    }

    /// Every normalized key of an item: its main one, then the other ids its contracts
    /// listed it under (a LIN's NDC and UPC, say).
    pub fn item_ids(&self, item: ItemIdx) -> impl Iterator<Item = &str> {
        self.item_key(item)
            .into_iter()
            .chain(self.item_aliases(item).iter().map(|k| &**k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    fn row(price: &str, start: &str, end: Option<&str>) -> ReferencePriceRow {
        ReferencePriceRow {
            start: date(start),
            end: end.map(date),
            price: price.parse().unwrap_or_default(),
            uom: "CA".into(),
            basis: ReferencePriceBasis::Wac,
        }
    }

    fn shown(prices: &SupplierPrices, item: &str) -> Vec<String> {
        prices
            .rows(item)
            .iter()
            .map(|r| {
                let end = r.end.map_or("open".to_owned(), |e| e.to_string());
                format!("{} {} {}..{end}", r.price, r.uom, r.start)
            })
            .collect()
    }

    const ITEM: &str = "NDC:12345010001";

    #[test]
    fn a_later_row_takes_the_days_it_covers_and_leaves_the_rest() {
        let mut prices = SupplierPrices::default();
        let today = date("2026-06-01");
        let year = row("18.75", "2026-01-01", Some("2026-12-31"));
        prices.load([(ITEM, &year)], today);
        // A price for March only splits the year in three.
        let march = row("19.50", "2026-03-01", Some("2026-03-31"));
        let loaded = prices.load([(ITEM, &march)], today);
        assert_eq!((loaded.added, loaded.superseded), (1, 1));
        assert_eq!(loaded.retroactive_from, Some(date("2026-03-01")));
        assert_eq!(
            shown(&prices, ITEM),
            [
                "18.75 CA 2026-01-01..2026-02-28",
                "19.50 CA 2026-03-01..2026-03-31",
                "18.75 CA 2026-04-01..2026-12-31",
            ]
        );
        // An open-ended price from November takes the rest of the year and beyond.
        let november = row("20.00", "2026-11-01", None);
        prices.load([(ITEM, &november)], today);
        assert_eq!(
            shown(&prices, ITEM),
            [
                "18.75 CA 2026-01-01..2026-02-28",
                "19.50 CA 2026-03-01..2026-03-31",
                "18.75 CA 2026-04-01..2026-10-31",
                "20.00 CA 2026-11-01..open",
            ]
        );
        // A price covering all of it replaces every row.
        let all = row("21.00", "2025-01-01", None);
        let loaded = prices.load([(ITEM, &all)], today);
        assert_eq!(loaded.superseded, 4);
        assert_eq!(shown(&prices, ITEM), ["21.00 CA 2025-01-01..open"]);
    }

    #[test]
    fn loading_the_same_rows_again_changes_nothing() {
        let mut prices = SupplierPrices::default();
        let rows = [
            row("18.75", "2026-01-01", Some("2026-06-30")),
            row("19.00", "2026-07-01", None),
        ];
        let today = date("2026-01-01");
        let first = prices.load(rows.iter().map(|r| (ITEM, r)), today);
        assert!(first.changed());
        let before = prices.clone();
        let again = prices.load(rows.iter().map(|r| (ITEM, r)), today);
        assert_eq!(
            again,
            PricesLoaded {
                added: 0,
                unchanged: 2,
                superseded: 0,
                retroactive_from: None
            }
        );
        assert_eq!(prices, before);
    }

    #[test]
    fn other_units_and_bases_are_other_prices() {
        let mut prices = SupplierPrices::default();
        let today = date("2026-01-01");
        let wac = row("18.75", "2026-01-01", None);
        let each = ReferencePriceRow {
            uom: "EA".into(),
            price: "1.60".parse().unwrap_or_default(),
            ..wac.clone()
        };
        let book = ReferencePriceRow {
            basis: ReferencePriceBasis::Book,
            price: "17.00".parse().unwrap_or_default(),
            ..wac.clone()
        };
        let loaded = prices.load([(ITEM, &wac), (ITEM, &each), (ITEM, &book)], today);
        assert_eq!((loaded.added, loaded.superseded), (3, 0));
        let on = |uom: &str, basis| {
            prices
                .price_on(ITEM, uom, basis, date("2026-05-01"))
                .map(|p| p.to_string())
        };
        assert_eq!(on("CA", ReferencePriceBasis::Wac).as_deref(), Some("18.75"));
        assert_eq!(on("EA", ReferencePriceBasis::Wac).as_deref(), Some("1.60"));
        assert_eq!(
            on("CA", ReferencePriceBasis::Book).as_deref(),
            Some("17.00")
        );
        assert_eq!(on("CA", ReferencePriceBasis::Distributor), None);
        assert_eq!(
            prices.price_on(ITEM, "CA", ReferencePriceBasis::Wac, date("2025-12-31")),
            None
        );
    }
}
