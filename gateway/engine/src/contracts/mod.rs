//! The contract book: contracts built from `Contract` documents (845, CSV, manual entry), each
//! change kept as an immutable version, with effective-dated price rows, eligible parties, GPO
//! rosters and reference prices, and the lookups the pipeline needs ("price and eligibility in
//! force on date d").
//!
//! The newest version of a contract carries the whole effective-dated history of its rows: a
//! change 845 closes the previous price row the day before its new price starts (§13.7), so a
//! lookup on the newest version answers for any date, and a back-dated change re-prices past
//! sales (§5.3). Older versions stay for audit and for the pricing snapshots that cite them.

mod apply;
mod caps;
mod hot;
mod lookup;
mod pairs;
mod reference;

use crate::name::Name;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemas::{Action, Reference, Source};
use serde::{Deserialize, Serialize};

use crate::fingerprint::FingerprintBuild;
use crate::identity::PartyKey;

pub use apply::{Applied, BookError, RosterApplied, RosterError};
pub use caps::BookCap;
pub(crate) use hot::{HotContract, distributor_print};
pub use lookup::{CLASS_NOT_IN_BOOK, Eligibility, PriceChoice};
pub use reference::{
    ConvertedReference, PricesLoaded, ReferencePriceRow, ResolvedReference, SupplierPrices,
};

/// Index of a contract (lineage) in the book.
pub type ContractIdx = u32;
/// Index of a normalized item in the book's item master.
pub type ItemIdx = u32;

/// Contract status (§2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractState {
    /// Proposed, not yet in force.
    Proposed,
    /// In force between its dates.
    Active,
    /// Temporarily not in force.
    Suspended,
    /// Ended.
    Expired,
    /// Cancelled; lines against it fail V2.
    Cancelled,
}

/// Contract type (§2.2), derived from what the 845 lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractKind {
    /// Named end customers.
    EndCustomer,
    /// A buying group's members (possibly with named customers too).
    BuyingGroup,
    /// Any customer.
    Open,
}

/// A distributor authorized for a contract; no dates = the contract's whole life (§13.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    /// The distributor.
    pub distributor: PartyKey,
    /// First authorized day.
    pub start: Option<NaiveDate>,
    /// Last authorized day.
    pub end: Option<NaiveDate>,
}

/// A direct eligibility row (an `N1*EB` party, §13.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityRow {
    /// Every id of the party.
    pub keys: Vec<PartyKey>,
    /// Its name, for reports.
    pub name: Option<String>,
    /// First eligible day (`DTM*129`).
    pub start: Option<NaiveDate>,
    /// Last eligible day, inclusive (`DTM*130`).
    pub end: Option<NaiveDate>,
    /// The party's class of trade as the 845 states it, which prices a line for it that
    /// states no class of its own (V4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
}

/// An effective-dated price row of one item (and class of trade) on a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRow {
    /// The item.
    pub item: ItemIdx,
    /// Class of trade (index into the book's classes; 0 = any).
    pub class: u16,
    /// Contract unit of measure (index into the book's units).
    pub uom: u16,
    /// First day of the price.
    pub start: NaiveDate,
    /// Last day of the price, inclusive.
    pub end: NaiveDate,
    /// Contract price per contract unit.
    pub contract_price: Decimal,
    /// Reference price stated on the contract (`CTP**WHL`), which wins over the book's.
    pub reference_price: Option<Decimal>,
    /// The parties the price is only for (a CTP-level N1 loop): 1 + an index into the book's
    /// price party sets; 0 = every party.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub parties: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A cap of a version (§5.1): the approved quantity (contract units) and/or amount of one
/// item, optionally for one end customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapRow {
    /// The item.
    pub item: ItemIdx,
    /// The end customer of an item × customer cap.
    pub customer: Option<PartyKey>,
    /// Approved quantity in the item's contract unit.
    pub quantity: Option<Decimal>,
    /// Approved amount.
    pub amount: Option<Decimal>,
    /// The version that last started the cap over (its first version, or the amendment that
    /// reset it): consumption recorded under earlier starts no longer counts.
    pub since: u32,
}

/// One immutable version of a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractVersion {
    /// 1 for the first version.
    pub version: u32,
    /// Purpose of the document that made it.
    pub action: Action,
    /// The document it came from.
    pub source: Source,
    /// Issue date of the document (BPA02); decides whether a change is retroactive.
    pub issued: NaiveDate,
    /// Heading effective date of the change, when sent.
    pub change_effective: Option<NaiveDate>,
    /// Who approved it, for retroactive changes applied after approval.
    pub approver: Option<String>,
    /// Status.
    pub status: ContractState,
    /// First day of the contract.
    pub effective: NaiveDate,
    /// Last day of the contract.
    pub expires: NaiveDate,
    /// Type.
    pub kind: ContractKind,
    /// Buying group whose active members are eligible.
    pub gpo: Option<PartyKey>,
    /// GPO agreement, buyer's contract, deal references.
    pub refs: Vec<Reference>,
    /// Authorized distributors.
    pub distributors: Vec<Authorization>,
    /// Direct eligibility rows.
    pub eligible: Vec<EligibilityRow>,
    /// Price rows sorted by item, class and start.
    pub rows: Vec<PriceRow>,
    /// Quantity and amount caps (§5.1), one per item (× customer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caps: Vec<CapRow>,
    /// The item of each row, in row order: a compact array that a lookup binary-searches
    /// before touching the rows (derived from `rows`).
    pub row_items: Vec<ItemIdx>,
    /// Fingerprint of every key of every eligibility row with the row's index: one compact
    /// array to scan instead of chasing each row's strings (derived from `eligible`).
    #[serde(skip)]
    pub eligible_prints: Vec<(u128, u32)>,
}

impl ContractVersion {
    /// Rebuilds the derived lookup arrays after rows or eligibility changed.
    pub(crate) fn index(&mut self) {
        self.row_items = self.rows.iter().map(|r| r.item).collect();
        self.eligible_prints = self
            .eligible
            .iter()
            .enumerate()
            .flat_map(|(i, row)| row.keys.iter().map(move |k| (party_print(k), i as u32)))
            .collect();
    }
}

/// Fingerprint of a normalized party key.
pub fn party_print(key: &PartyKey) -> u128 {
    crate::fingerprint::Fingerprinter::new()
        .u64(key.kind as u64)
        .str(&key.id)
        .finish()
}

fn text_print(text: &str) -> u128 {
    crate::fingerprint::Fingerprinter::new().str(text).finish()
}

fn pair_key(contract: ContractIdx, item: ItemIdx) -> u64 {
    (u64::from(contract) << 32) | u64::from(item)
}

/// Hash indexes for the hot path, keyed by fingerprints so a probe never compares strings.
/// Derived from the book's persisted fields and rebuilt on load.
#[derive(Debug, Clone, Default)]
struct FastIndex {
    contracts: HashMap<u128, ContractIdx, FingerprintBuild>,
    items: HashMap<u128, ItemIdx, FingerprintBuild>,
    /// (contract, item) → first row and row count in the current version.
    rows: pairs::PairIndex,
    /// The hot fields of each contract's current version, by contract index.
    hot: Vec<HotContract>,
    /// The other keys of an item (a LIN's further ids), sorted, by item index.
    aliases: HashMap<ItemIdx, Vec<Name>>,
}

/// A contract and all its versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractLineage {
    /// Supplier granting it.
    pub supplier: PartyKey,
    /// Contract number as issued.
    pub number_as_issued: Name,
    /// Normalized contract number.
    pub number: Name,
    /// Versions, oldest first; never empty.
    pub versions: Vec<ContractVersion>,
}

impl ContractLineage {
    /// The newest version.
    pub fn current(&self) -> &ContractVersion {
        // Invariant: a lineage is created with its first version and versions are only pushed.
        &self.versions[self.versions.len() - 1]
    }
}

/// A GPO roster membership (§2.2): activation and deactivation dates, empty = open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The buying group.
    pub gpo: PartyKey,
    /// The member.
    pub customer: PartyKey,
    /// Activation date.
    pub start: Option<NaiveDate>,
    /// Deactivation date, inclusive.
    pub end: Option<NaiveDate>,
    /// Tier.
    pub tier: Option<String>,
    /// Roster document it came from.
    pub roster: Option<String>,
}

/// Every contract, roster and reference price the engine knows. Plain data: a store persists
/// it as it is (the hash indexes are rebuilt when it is read back).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "BookData")]
pub struct ContractBook {
    /// Normalized item keys (`NDC:12345010001`) by index: the item master (§13.5).
    item_keys: Vec<Name>,
    item_index: HashMap<String, ItemIdx>,
    /// Units of measure by index.
    uoms: Vec<Name>,
    /// Classes of trade by index; index 0 is "any".
    classes: Vec<String>,
    contracts: Vec<ContractLineage>,
    /// `supplier id` + U+001F + normalized number → contract.
    by_number: HashMap<String, ContractIdx>,
    /// Contracts listing an item, for derivation (§3.2); may repeat an index.
    item_contracts: HashMap<ItemIdx, Vec<ContractIdx>>,
    /// GPO id → roster memberships.
    memberships: BTreeMap<String, Vec<Membership>>,
    /// Normalized supplier id → its reference prices.
    reference_prices: BTreeMap<String, SupplierPrices>,
    /// Fingerprints of documents already applied.
    applied: BTreeSet<String>,
    /// The party sets prices are only for ([`PriceRow::parties`] − 1): every id of each
    /// party.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    price_parties: Vec<Vec<PartyKey>>,
    #[serde(skip)]
    fast: FastIndex,
}

impl PartialEq for ContractBook {
    fn eq(&self, other: &Self) -> bool {
        self.item_keys == other.item_keys
            && self.item_index == other.item_index
            && self.uoms == other.uoms
            && self.classes == other.classes
            && self.contracts == other.contracts
            && self.by_number == other.by_number
            && self.item_contracts == other.item_contracts
            && self.memberships == other.memberships
            && self.reference_prices == other.reference_prices
            && self.applied == other.applied
            && self.price_parties == other.price_parties
    }
}

impl Eq for ContractBook {}

/// The persisted fields of a [`ContractBook`].
#[derive(Deserialize)]
struct BookData {
    item_keys: Vec<Name>,
    item_index: HashMap<String, ItemIdx>,
    uoms: Vec<Name>,
    classes: Vec<String>,
    contracts: Vec<ContractLineage>,
    by_number: HashMap<String, ContractIdx>,
    item_contracts: HashMap<ItemIdx, Vec<ContractIdx>>,
    memberships: BTreeMap<String, Vec<Membership>>,
    reference_prices: BTreeMap<String, SupplierPrices>,
    applied: BTreeSet<String>,
    #[serde(default)]
    price_parties: Vec<Vec<PartyKey>>,
}

impl From<BookData> for ContractBook {
    fn from(data: BookData) -> Self {
        let mut book = Self {
            item_keys: data.item_keys,
            item_index: data.item_index,
            uoms: data.uoms,
            classes: data.classes,
            contracts: data.contracts,
            by_number: data.by_number,
            item_contracts: data.item_contracts,
            memberships: data.memberships,
            reference_prices: data.reference_prices,
            applied: data.applied,
            price_parties: data.price_parties,
            fast: FastIndex::default(),
        };
        for lineage in &mut book.contracts {
            for version in &mut lineage.versions {
                version.index();
            }
        }
        for (key, idx) in &book.by_number {
            book.fast.contracts.insert(text_print(key), *idx);
        }
        for (key, idx) in &book.item_index {
            book.fast.items.insert(text_print(key), *idx);
        }
        let aliases: Vec<(String, ItemIdx)> = book
            .item_index
            .iter()
            .filter(|(key, idx)| book.item_key(**idx) != Some(key.as_str()))
            .map(|(key, idx)| (key.clone(), *idx))
            .collect();
        for (key, idx) in aliases {
            book.note_alias(&key, idx);
        }
        let pairs = book.contracts.iter().map(|l| l.current().rows.len()).sum();
        book.fast.rows.reserve(pairs);
        for idx in 0..book.contracts.len() {
            book.index_rows(idx as ContractIdx, None);
        }
        book
    }
}

impl ContractBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every contract.
    pub fn contracts(&self) -> &[ContractLineage] {
        &self.contracts
    }

    /// A contract by index.
    pub fn lineage(&self, idx: ContractIdx) -> Option<&ContractLineage> {
        self.contracts.get(idx as usize)
    }

    /// Normalized key of an item index.
    pub fn item_key(&self, idx: ItemIdx) -> Option<&str> {
        self.item_keys.get(idx as usize).map(|k| &**k)
    }

    /// Shared normalized key of an item index (no allocation).
    pub fn item_key_shared(&self, idx: ItemIdx) -> Option<Name> {
        self.item_keys.get(idx as usize).cloned()
    }

    /// Shared unit of measure by index (no allocation).
    pub fn uom_shared(&self, idx: u16) -> Name {
        self.uoms.get(usize::from(idx)).cloned().unwrap_or_default()
    }

    /// Number of items in the item master.
    pub fn item_count(&self) -> usize {
        self.item_keys.len()
    }

    /// A unit of measure by index.
    pub fn uom(&self, idx: u16) -> &str {
        self.uoms.get(usize::from(idx)).map_or("", |u| &**u)
    }

    /// A class of trade by index (0 = any).
    pub fn class(&self, idx: u16) -> Option<&str> {
        if idx == 0 {
            None
        } else {
            self.classes.get(usize::from(idx) - 1).map(String::as_str)
        }
    }

    /// Index of a class of trade, if known.
    pub fn class_index(&self, class: &str) -> Option<u16> {
        self.classes
            .iter()
            .position(|c| c == class)
            .and_then(|p| u16::try_from(p + 1).ok())
    }

    fn intern_item(&mut self, key: &str) -> ItemIdx {
        if let Some(&idx) = self.item_index.get(key) {
            return idx;
        }
        let idx = self.item_keys.len() as ItemIdx;
        self.item_keys.push(Name::from(key));
        self.alias_item(key, idx);
        idx
    }

    fn alias_item(&mut self, key: &str, idx: ItemIdx) {
        self.item_index.insert(key.to_owned(), idx);
        self.fast.items.insert(text_print(key), idx);
        self.note_alias(key, idx);
    }

    /// Records `key` among the other keys of item `idx` when it is not the item's main key.
    fn note_alias(&mut self, key: &str, idx: ItemIdx) {
        if self.item_key(idx) == Some(key) {
            return;
        }
        let aliases = self.fast.aliases.entry(idx).or_default();
        if let Err(at) = aliases.binary_search_by(|k| (**k).cmp(key)) {
            aliases.insert(at, Name::from(key));
        }
    }

    /// The keys of an item besides its main one, sorted.
    pub(crate) fn item_aliases(&self, idx: ItemIdx) -> &[Name] {
        self.fast.aliases.get(&idx).map_or(&[], Vec::as_slice)
    }

    fn index_contract(&mut self, key: String, idx: ContractIdx) {
        self.fast.contracts.insert(text_print(&key), idx);
        self.by_number.insert(key, idx);
    }

    /// Points the (contract, item) index at the current version's rows, after dropping the
    /// entries of `previous`.
    fn index_rows(&mut self, idx: ContractIdx, previous: Option<&ContractVersion>) {
        if let Some(previous) = previous {
            for item in &previous.row_items {
                self.fast.rows.remove(pair_key(idx, *item));
            }
        }
        let Some(version) = self.contracts.get(idx as usize).map(|l| l.current()) else {
            return;
        };
        // Contracts are indexed in order; fill any gap so `hot[i]` is always contract i's.
        while self.fast.hot.len() < idx as usize {
            let next = &self.contracts[self.fast.hot.len()];
            self.fast.hot.push(HotContract::of(next.current()));
        }
        let hot = HotContract::of(version);
        match self.fast.hot.get_mut(idx as usize) {
            Some(slot) => *slot = hot,
            None => self.fast.hot.push(hot),
        }
        let mut start = 0usize;
        while start < version.row_items.len() {
            let item = version.row_items[start];
            let len = version.row_items[start..]
                .iter()
                .take_while(|i| **i == item)
                .count();
            self.fast
                .rows
                .insert(pair_key(idx, item), start as u32, len as u32);
            start += len;
        }
    }

    /// Rows of an item on the current version of a contract, from the hash index.
    pub(crate) fn current_item_rows(&self, idx: ContractIdx, item: ItemIdx) -> &[PriceRow] {
        let Some(version) = self.current(idx) else {
            return &[];
        };
        match self.fast.rows.get(pair_key(idx, item)) {
            Some((start, len)) => version
                .rows
                .get(start as usize..(start + len) as usize)
                .unwrap_or(&[]),
            None => &[],
        }
    }

    /// The hot fields of a contract's current version.
    pub(crate) fn hot(&self, idx: ContractIdx) -> Option<&HotContract> {
        self.fast.hot.get(idx as usize)
    }

    pub(crate) fn fast_contract(&self, key: &str) -> Option<ContractIdx> {
        self.fast.contracts.get(&text_print(key)).copied()
    }

    pub(crate) fn fast_item(&self, key: &str) -> Option<ItemIdx> {
        self.fast.items.get(&text_print(key)).copied()
    }

    fn intern_uom(&mut self, uom: &str) -> u16 {
        if let Some(p) = self.uoms.iter().position(|u| &**u == uom) {
            return p as u16;
        }
        self.uoms.push(Name::from(uom));
        (self.uoms.len() - 1) as u16
    }

    fn intern_class(&mut self, class: Option<&str>) -> u16 {
        let Some(class) = class else { return 0 };
        if let Some(idx) = self.class_index(class) {
            return idx;
        }
        self.classes.push(class.to_owned());
        self.classes.len() as u16
    }

    /// Adds a roster membership as it is (no snapshot logic).
    pub fn add_membership(&mut self, membership: Membership) {
        self.memberships
            .entry(membership.gpo.id.clone())
            .or_default()
            .push(membership);
    }

    /// Memberships of a GPO.
    pub fn memberships(&self, gpo: &PartyKey) -> &[Membership] {
        self.memberships.get(&gpo.id).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests::{date, sample_contract};
    use schemas::Document;

    fn change() -> schemas::Contract {
        match serde_json::from_str(include_str!(
            "../../../../schemas/compat/contract.v1.change.json"
        )) {
            Ok(Document::Contract(c)) => c,
            other => panic!("{other:?}"),
        }
    }

    fn rows(book: &ContractBook) -> Vec<String> {
        let version = book.current(0).map(|v| v.rows.clone()).unwrap_or_default();
        version
            .iter()
            .map(|r| {
                format!(
                    "{} {} {}..{}",
                    book.item_key(r.item).unwrap_or("?"),
                    r.contract_price,
                    r.start,
                    r.end
                )
            })
            .collect()
    }

    /// The 5010 change 845 of the sample story, applied as version 2 (§13.7).
    #[test]
    fn change_845_makes_an_effective_dated_version_2() {
        let mut book = ContractBook::new();
        let _ = book.apply(&sample_contract());
        let applied = book.apply(&change());
        assert_eq!(
            applied.as_ref().map(|a| (a.version, a.retroactive_from)),
            Ok((Some(2), None))
        );
        assert_eq!(
            rows(&book),
            [
                "NDC:12345010001 12.50 2026-11-01..2027-10-31",
                "NDC:12345020101 30.00 2026-11-01..2026-11-30",
                "NDC:12345020101 29.00 2026-12-01..2027-10-31",
                "NDC:12345030005 48.25 2026-11-01..2026-12-31",
                "NDC:12345040050 9.10 2026-12-01..2027-10-31",
            ]
        );
        let v2 = book.current(0).cloned();
        let lakeside = v2.as_ref().and_then(|v| {
            v.eligible
                .iter()
                .find(|r| r.keys[0].id == "1A2B3C4D5")
                .map(|r| r.end)
        });
        assert_eq!(lakeside, Some(Some(date("2026-12-31"))));
        // The carried-over WAC of the repriced item, and the old version kept as it was.
        assert_eq!(
            v2.map(|v| v.rows[2].reference_price.map(|p| p.to_string())),
            Some(Some("42.00".into()))
        );
        assert_eq!(book.lineage(0).map(|l| l.versions[0].rows.len()), Some(3));
        // November lines keep 48.00 for 4 CA of 12345020101; December ones price at 29.00.
        let idx = book.item_by_key("NDC:12345020101").unwrap_or_default();
        let version = book
            .current(0)
            .cloned()
            .unwrap_or_else(|| panic!("no version"));
        let price = |d: &str| {
            ContractBook::price_row(&version, idx, 0, date(d)).map(|r| r.contract_price.to_string())
        };
        assert_eq!(
            (
                price("2026-11-05").as_deref(),
                price("2026-12-05").as_deref()
            ),
            (Some("30.00"), Some("29.00"))
        );
    }

    #[test]
    fn a_change_for_an_unknown_contract_is_refused() {
        let mut book = ContractBook::new();
        assert!(matches!(
            book.apply(&change()),
            Err(BookError::UnknownContract { .. })
        ));
    }

    #[test]
    fn roster_snapshot_over_5_percent_waits_for_approval() {
        let gpo = PartyKey::new("91", "GPO77");
        let member = |id: &str| Membership {
            gpo: gpo.clone(),
            customer: PartyKey::new("21", id),
            start: Some(date("2026-01-01")),
            end: None,
            tier: None,
            roster: Some("R1".into()),
        };
        let mut book = ContractBook::new();
        let all: Vec<Membership> = (0..20).map(|i| member(&format!("H{i:03}"))).collect();
        assert_eq!(
            book.apply_roster_snapshot(&gpo, &all, date("2026-11-01"), false)
                .map(|r| r.added),
            Ok(20)
        );
        // Dropping 1 of 20 (5 %) is fine; dropping 2 more of 19 is not without approval.
        assert_eq!(
            book.apply_roster_snapshot(&gpo, &all[1..], date("2026-11-02"), false)
                .map(|r| r.deactivated),
            Ok(1)
        );
        assert_eq!(
            book.apply_roster_snapshot(&gpo, &all[3..], date("2026-11-03"), false),
            Err(RosterError::NeedsApproval {
                deactivating: 2,
                members: 19
            })
        );
        assert_eq!(
            book.apply_roster_snapshot(&gpo, &all[3..], date("2026-11-03"), true)
                .map(|r| r.deactivated),
            Ok(2)
        );
        assert_eq!(book.memberships(&gpo)[0].end, Some(date("2026-11-02")));
    }
}
