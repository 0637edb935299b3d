//! Lookups on the book: "which contract", "which item", "price and eligibility in force on d".

use std::borrow::Cow;

use chrono::NaiveDate;
use schemas::Item;
use serde::{Deserialize, Serialize};

use super::hot::covers;
use super::{ContractBook, ContractIdx, ContractVersion, ItemIdx, PriceRow};
use crate::amounts::UomFactor;
use crate::identity::{MalformedItem, PartyKey, write_item_key};
use crate::settings::EngineSettings;

/// How (or why not) a customer is eligible on a date (V5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Eligibility {
    /// A direct eligibility row covers the date.
    Direct,
    /// An active member of the contract's GPO.
    Group,
    /// An open contract.
    Open,
    /// In the GPO's roster, but not active on the date.
    MembershipInactive,
    /// Not eligible.
    NotEligible,
}

/// What prices an item for a line on a date ([`ContractBook::price_row_for`], V4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceChoice<'r> {
    /// The row in force for the line.
    Row(&'r PriceRow),
    /// The item is priced on the date only per class of trade, the classes price it
    /// differently, and the line's class is not known: which price applies cannot be told.
    ClassUnknown,
    /// No row of the line's class (or of any class) is in force on the date.
    None,
}

impl<'r> PriceChoice<'r> {
    /// The row, when one prices the line.
    pub fn row(self) -> Option<&'r PriceRow> {
        match self {
            Self::Row(row) => Some(row),
            Self::ClassUnknown | Self::None => None,
        }
    }
}

/// A line's class of trade known to be none of the book's: it matches no class row.
pub const CLASS_NOT_IN_BOOK: u16 = u16::MAX;

impl ContractBook {
    /// The contract a supplier issued under `number` (normalized with `scratch`).
    pub fn find_contract(
        &self,
        supplier_id: &str,
        number: &str,
        scratch: &mut String,
    ) -> Option<ContractIdx> {
        scratch.clear();
        scratch.push_str(supplier_id);
        scratch.push('\u{1f}');
        if number.is_ascii() {
            // Byte by byte (the usual case): the ASCII characters `char::is_whitespace` accepts.
            let upper = number
                .bytes()
                .filter(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
                .map(|b| char::from(b.to_ascii_uppercase()));
            scratch.extend(upper);
        } else {
            for c in number.chars().filter(|c| !c.is_whitespace()) {
                scratch.push(c.to_ascii_uppercase());
            }
        }
        self.fast_contract(scratch)
    }

    /// The item master index of an item: its first well-formed id that the master knows.
    /// `Err` when the LIN02/03 pair itself is malformed (V0 `ITEM_UNKNOWN`, §13.5).
    pub fn find_item(
        &self,
        item: &Item,
        scratch: &mut String,
    ) -> Result<Option<ItemIdx>, MalformedItem> {
        write_item_key(&item.qualifier, &item.id, scratch)?;
        if let Some(idx) = self.fast_item(scratch) {
            return Ok(Some(idx));
        }
        for other in &item.other_ids {
            if write_item_key(&other.qualifier, &other.id, scratch).is_ok()
                && let Some(idx) = self.fast_item(scratch)
            {
                return Ok(Some(idx));
            }
        }
        Ok(None)
    }

    /// The item master index of a normalized item key.
    pub fn item_by_key(&self, key: &str) -> Option<ItemIdx> {
        self.fast_item(key)
    }

    pub(super) fn lookup_item_idx(&self, item: &Item, scratch: &mut String) -> Option<ItemIdx> {
        self.find_item(item, scratch).ok().flatten()
    }

    /// Contracts that list an item (derivation candidates before V2–V5), without repeats.
    pub fn contracts_with_item(&self, item: ItemIdx) -> Vec<ContractIdx> {
        let mut list = self.item_contracts.get(&item).cloned().unwrap_or_default();
        list.sort_unstable();
        list.dedup();
        list
    }

    /// The newest version of a contract.
    pub fn current(&self, idx: ContractIdx) -> Option<&ContractVersion> {
        self.contracts.get(idx as usize).map(|l| l.current())
    }

    /// Whether a version lists an item at all (any date, any class).
    pub fn lists_item(version: &ContractVersion, item: ItemIdx) -> bool {
        version.rows.binary_search_by_key(&item, |r| r.item).is_ok()
    }

    /// Every row of an item on a version (one binary search; empty when not listed).
    pub fn item_rows(version: &ContractVersion, item: ItemIdx) -> &[PriceRow] {
        if version.row_items.len() == version.rows.len() {
            let first = version.row_items.partition_point(|i| *i < item);
            let len = version.row_items[first..]
                .iter()
                .take_while(|i| **i == item)
                .count();
            return &version.rows[first..first + len];
        }
        let first = version.rows.partition_point(|r| r.item < item);
        let rest = &version.rows[first..];
        let len = rest.iter().take_while(|r| r.item == item).count();
        &rest[..len]
    }

    /// The rows of one item that may price a sale to `customer` (every id of the end
    /// customer) on `d`: when a row for named parties that names the customer is in force on
    /// `d` (a CTP-level N1 loop), the rows for parties naming it (with the WAC of the row for
    /// every party when they state none); else the rows for every party. A row for other
    /// named parties never prices the sale. Borrowed as they are when no row is for named
    /// parties.
    pub fn rows_for_customer<'r>(
        &self,
        rows: &'r [PriceRow],
        customer: &[PartyKey],
        d: NaiveDate,
    ) -> Cow<'r, [PriceRow]> {
        if rows.iter().all(|r| r.parties == 0) {
            return Cow::Borrowed(rows);
        }
        let names_customer = |r: &PriceRow| {
            r.parties != 0
                && self
                    .price_parties
                    .get(r.parties as usize - 1)
                    .is_some_and(|keys| keys.iter().any(|k| customer.contains(k)))
        };
        let named = rows
            .iter()
            .any(|r| names_customer(r) && r.start <= d && d <= r.end);
        if !named {
            return Cow::Owned(rows.iter().filter(|r| r.parties == 0).copied().collect());
        }
        // The WAC (`CTP**WHL`) is the item's, stated once: a price for named parties that
        // states none takes the one for every party of its class and unit on `d`.
        let wac = |r: &PriceRow| {
            rows.iter()
                .find(|o| {
                    o.parties == 0
                        && (o.item, o.class, o.uom) == (r.item, r.class, r.uom)
                        && o.start <= d
                        && d <= o.end
                })
                .and_then(|o| o.reference_price)
        };
        Cow::Owned(
            rows.iter()
                .filter(|r| names_customer(r))
                .map(|r| PriceRow {
                    reference_price: r.reference_price.or_else(|| wac(r)),
                    ..*r
                })
                .collect(),
        )
    }

    /// The price row of an item in force on `d`: the customer's class of trade first, then the
    /// row for any class.
    pub fn price_row(
        version: &ContractVersion,
        item: ItemIdx,
        class: u16,
        d: NaiveDate,
    ) -> Option<&PriceRow> {
        Self::price_row_in(Self::item_rows(version, item), class, d)
    }

    /// [`Self::price_row`] on the rows of one item.
    pub fn price_row_in(rows: &[PriceRow], class: u16, d: NaiveDate) -> Option<&PriceRow> {
        let mut any = None;
        for row in rows {
            if row.start <= d && d <= row.end {
                if class != 0 && row.class == class {
                    return Some(row);
                }
                if row.class == 0 && any.is_none() {
                    any = Some(row);
                }
            }
        }
        any
    }

    /// The row that prices an item for a line on `d`, given the line's class of trade
    /// (`Some` index, [`CLASS_NOT_IN_BOOK`] for a class no contract prices, `None` when the
    /// line's class is not known):
    ///
    /// - a known class takes its class's row, else the row for any class
    ///   ([`Self::price_row_in`]);
    /// - an unknown class takes the row for any class; without one, the item's one price on
    ///   `d` whatever class it is stated for (a single class, or several that price it alike:
    ///   same unit, contract and reference price); when classes price it differently, which
    ///   one applies is the line's class, and the choice is [`PriceChoice::ClassUnknown`].
    pub fn price_row_for(rows: &[PriceRow], class: Option<u16>, d: NaiveDate) -> PriceChoice<'_> {
        if let Some(class) = class {
            return Self::price_row_in(rows, class, d).map_or(PriceChoice::None, PriceChoice::Row);
        }
        if let Some(row) = Self::price_row_in(rows, 0, d) {
            return PriceChoice::Row(row);
        }
        let mut in_force = rows.iter().filter(|r| r.start <= d && d <= r.end);
        let Some(first) = in_force.next() else {
            return PriceChoice::None;
        };
        let alike = |r: &PriceRow| {
            (r.uom, r.contract_price, r.reference_price)
                == (first.uom, first.contract_price, first.reference_price)
        };
        if in_force.all(alike) {
            PriceChoice::Row(first)
        } else {
            PriceChoice::ClassUnknown
        }
    }

    /// The class of trade a contract's current version lists a customer with: its first
    /// direct eligibility row (an `N1*EB` with a class, §13.6) in force on `d` that states
    /// one, as a class index ([`CLASS_NOT_IN_BOOK`] for a class no contract prices). For a
    /// line that states no class of its own (V4).
    pub fn eligible_class(
        &self,
        idx: ContractIdx,
        customer: &[PartyKey],
        d: NaiveDate,
    ) -> Option<u16> {
        let version = self.current(idx)?;
        version
            .eligible
            .iter()
            .filter(|row| covers(row.start, row.end, d))
            .filter(|row| row.keys.iter().any(|k| customer.contains(k)))
            .find_map(|row| row.class.as_deref())
            .map(|class| self.class_index(class).unwrap_or(CLASS_NOT_IN_BOOK))
    }

    /// The contract unit of an item on a version (its first row's), for V0's UOM check.
    pub fn item_uom(&self, version: &ContractVersion, item: ItemIdx) -> Option<&str> {
        let first = version.rows.partition_point(|r| r.item < item);
        version
            .rows
            .get(first)
            .filter(|r| r.item == item)
            .map(|r| self.uom(r.uom))
    }

    /// Whether a distributor is authorized on `d` (§13.8: no dates = the whole life).
    pub fn distributor_authorized(
        version: &ContractVersion,
        distributor: &PartyKey,
        d: NaiveDate,
    ) -> bool {
        version.distributors.is_empty()
            || version
                .distributors
                .iter()
                .any(|a| a.distributor.id == distributor.id && covers(a.start, a.end, d))
    }

    /// [`Self::eligibility`] with the customer's keys already fingerprinted
    /// ([`super::party_print`]), scanning the version's compact print array.
    pub fn eligibility_by_prints(
        &self,
        version: &ContractVersion,
        customer: &[PartyKey],
        prints: &[u128],
        d: NaiveDate,
    ) -> Eligibility {
        if version.eligible_prints.len() < version.eligible.len() {
            return self.eligibility(version, customer, d);
        }
        let mut listed = false;
        for (print, row) in &version.eligible_prints {
            if prints.contains(print) {
                listed = true;
                if let Some(row) = version.eligible.get(*row as usize)
                    && covers(row.start, row.end, d)
                {
                    return Eligibility::Direct;
                }
            }
        }
        self.group_or_open(version, customer, d, listed)
    }

    /// [`Self::eligibility_by_prints`] on the current version of contract `idx`, from its
    /// [`super::HotContract`] (the version itself is read only for a GPO roster).
    pub(crate) fn eligibility_of(
        &self,
        idx: ContractIdx,
        hot: &super::HotContract,
        customer: &[PartyKey],
        prints: &[u128],
        d: NaiveDate,
    ) -> Eligibility {
        let mut listed = false;
        for key in &hot.eligible {
            if prints.contains(&key.print) {
                listed = true;
                if covers(key.start, key.end, d) {
                    return Eligibility::Direct;
                }
            }
        }
        if hot.gpo {
            return match self.current(idx) {
                Some(version) => self.group_or_open(version, customer, d, listed),
                None => Eligibility::NotEligible,
            };
        }
        if hot.eligible_empty && !listed {
            Eligibility::Open
        } else {
            Eligibility::NotEligible
        }
    }

    /// V5 on a version: direct rows, then the GPO roster, then an open contract.
    pub fn eligibility(
        &self,
        version: &ContractVersion,
        customer: &[PartyKey],
        d: NaiveDate,
    ) -> Eligibility {
        let direct = version
            .eligible
            .iter()
            .filter(|row| row.keys.iter().any(|k| customer.contains(k)));
        let mut listed = false;
        for row in direct {
            listed = true;
            if covers(row.start, row.end, d) {
                return Eligibility::Direct;
            }
        }
        self.group_or_open(version, customer, d, listed)
    }

    fn group_or_open(
        &self,
        version: &ContractVersion,
        customer: &[PartyKey],
        d: NaiveDate,
        listed: bool,
    ) -> Eligibility {
        if let Some(gpo) = &version.gpo {
            let mut member = false;
            for m in self.memberships(gpo) {
                if customer.contains(&m.customer) {
                    member = true;
                    if covers(m.start, m.end, d) {
                        return Eligibility::Group;
                    }
                }
            }
            if member {
                return Eligibility::MembershipInactive;
            }
        } else if version.eligible.is_empty() && !listed {
            return Eligibility::Open;
        }
        Eligibility::NotEligible
    }

    /// Exact factor from a sale unit to the contract unit of a row: identity, else the
    /// settings' conversion for this item (named by any of its ids: its main one or another
    /// its contracts list it under, the first such conversion in the settings' order), else
    /// one for any item. At each of the two levels a conversion written the other way
    /// (`CA -> EA 12` for a sale in EA against a row in CA) gives its inverse when none is
    /// written this way: a pack size is one fact, whichever way the profile states it.
    pub fn uom_factor(
        &self,
        settings: &EngineSettings,
        item: ItemIdx,
        sale_uom: &str,
        contract_uom: &str,
    ) -> Option<UomFactor> {
        if sale_uom.eq_ignore_ascii_case(contract_uom) {
            return Some(UomFactor::IDENTITY);
        }
        let converts = |c: &crate::settings::UomConversion, from: &str, to: &str| {
            c.den != 0
                && c.num != 0
                && c.from.eq_ignore_ascii_case(from)
                && c.to.eq_ignore_ascii_case(to)
        };
        let this_item = |c: &crate::settings::UomConversion| {
            c.item
                .as_deref()
                .is_some_and(|i| self.item_ids(item).any(|k| k == i))
        };
        let every_item = |c: &crate::settings::UomConversion| c.item.is_none();
        let conversions = &settings.uom_conversions;
        [&this_item as &dyn Fn(&_) -> bool, &every_item]
            .into_iter()
            .find_map(|level| {
                let forward = conversions
                    .iter()
                    .find(|c| level(c) && converts(c, sale_uom, contract_uom))
                    .map(|c| UomFactor {
                        num: c.num,
                        den: c.den,
                    });
                forward.or_else(|| {
                    conversions
                        .iter()
                        .find(|c| level(c) && converts(c, contract_uom, sale_uom))
                        .map(|c| UomFactor {
                            num: c.den,
                            den: c.num,
                        })
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::*;

    fn row(class: u16, price: i64, start: &str, end: &str) -> PriceRow {
        PriceRow {
            item: 0,
            class,
            uom: 0,
            start: start.parse().unwrap_or_default(),
            end: end.parse().unwrap_or_default(),
            contract_price: Decimal::new(price, 2),
            reference_price: Some(Decimal::new(1875, 2)),
            parties: 0,
        }
    }

    fn priced(rows: &[PriceRow], class: Option<u16>, d: &str) -> String {
        match ContractBook::price_row_for(rows, class, d.parse().unwrap_or_default()) {
            PriceChoice::Row(r) => format!("class {} at {}", r.class, r.contract_price),
            PriceChoice::ClassUnknown => "class unknown".to_owned(),
            PriceChoice::None => "none".to_owned(),
        }
    }

    #[test]
    fn a_line_of_unknown_class_takes_the_one_price_in_force_or_none() {
        // Class 1 (HS) from November, class 2 (PH) from December at another price.
        let rows = [
            row(1, 1250, "2026-11-01", "2027-10-31"),
            row(2, 1400, "2026-12-01", "2027-10-31"),
        ];
        assert_eq!(priced(&rows, None, "2026-11-15"), "class 1 at 12.50");
        assert_eq!(priced(&rows, None, "2026-12-15"), "class unknown");
        assert_eq!(priced(&rows, None, "2026-10-15"), "none");
        assert_eq!(priced(&rows, Some(2), "2026-11-15"), "none");
        assert_eq!(priced(&rows, Some(2), "2026-12-15"), "class 2 at 14.00");
        assert_eq!(priced(&rows, Some(CLASS_NOT_IN_BOOK), "2026-12-15"), "none");
        // The same price for both classes: nothing to choose.
        let alike = [
            row(1, 1250, "2026-11-01", "2027-10-31"),
            row(2, 1250, "2026-11-01", "2027-10-31"),
        ];
        assert_eq!(priced(&alike, None, "2026-12-15"), "class 1 at 12.50");
        // A price for any class wins for an unknown class, and for a class without its own.
        let any = [
            row(0, 1300, "2026-11-01", "2027-10-31"),
            row(1, 1250, "2026-11-01", "2027-10-31"),
            row(2, 1400, "2026-11-01", "2027-10-31"),
        ];
        assert_eq!(priced(&any, None, "2026-12-15"), "class 0 at 13.00");
        assert_eq!(
            priced(&any, Some(CLASS_NOT_IN_BOOK), "2026-12-15"),
            "class 0 at 13.00"
        );
        assert_eq!(priced(&any, Some(2), "2026-12-15"), "class 2 at 14.00");
    }

    proptest! {
        /// The ASCII fast path normalizes a contract number like the character loop.
        #[test]
        fn contract_numbers_normalize_like_the_character_loop(number in "[ -~\t\n\x0b\x0c\réß\u{a0}\u{2003}]{0,12}") {
            let mut book_scratch = String::new();
            let book = ContractBook::new();
            let _ = book.find_contract("123", &number, &mut book_scratch);
            let mut expected = String::from("123\u{1f}");
            for c in number.chars().filter(|c| !c.is_whitespace()) {
                expected.push(c.to_ascii_uppercase());
            }
            prop_assert_eq!(book_scratch, expected);
        }
    }
}
