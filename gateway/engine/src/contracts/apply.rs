//! Applying contract documents and rosters to the book.
//!
//! An original or replace 845 restates the contract; a change 845 carries only what changed
//! (PAD03 / `REF*TD` actions, §13.7). Each application that changes something pushes one
//! immutable version; applying a document whose result equals the current version (the same
//! document again, say) pushes nothing, so applying twice equals applying once.

use chrono::{Days, NaiveDate};
use schemas::{Action, Contract, ContractItem, ContractStatus, ItemAction, PartyAction};
use serde::{Deserialize, Serialize};

use super::{
    Authorization, ContractBook, ContractIdx, ContractKind, ContractLineage, ContractState,
    ContractVersion, EligibilityRow, Membership, PriceRow,
};
use crate::identity::{PartyKey, normalize_contract_number, write_item_key};

/// Why a document could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    /// The contract number is empty.
    #[error("contract number is empty")]
    EmptyContractNumber,
    /// A change, cancellation or delete arrived for a contract the book does not hold.
    #[error("{action:?} for unknown contract {contract}")]
    UnknownContract {
        /// The contract number.
        contract: String,
        /// The document's purpose.
        action: Action,
    },
    /// The contract's end is before its start.
    #[error("contract {contract} ends before it starts")]
    InvertedDates {
        /// The contract number.
        contract: String,
    },
    /// A cap names a line no item of the document has.
    #[error("contract {contract}: cap for line {line}, which no item of the document has")]
    CapItemUnknown {
        /// The contract number.
        contract: String,
        /// The cap's line (PAD01).
        line: String,
    },
    /// A cap's quantity is in another unit than the item's contract unit.
    #[error(
        "contract {contract}: cap of line {line} is in {cap_uom}, the item is priced in {contract_uom}"
    )]
    CapUnit {
        /// The contract number.
        contract: String,
        /// The cap's line (PAD01).
        line: String,
        /// The cap's unit.
        cap_uom: String,
        /// The item's contract unit.
        contract_uom: String,
    },
}

/// What applying a document did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The contract.
    pub contract: ContractIdx,
    /// The new version, or `None` when the document changed nothing.
    pub version: Option<u32>,
    /// Earliest effective date the document changed, when before its issue date: a retroactive
    /// change (§5.3) that needs approval before re-evaluation.
    pub retroactive_from: Option<NaiveDate>,
    /// Normalized keys of the items whose rows changed.
    pub changed_items: Vec<String>,
    /// Parties whose eligibility changed.
    pub changed_parties: Vec<PartyKey>,
}

/// Why a roster snapshot waits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    /// A full snapshot would deactivate more than 5 % of the members (§2.2).
    #[error("roster would deactivate {deactivating} of {members} members; approval needed")]
    NeedsApproval {
        /// Members the snapshot would deactivate.
        deactivating: usize,
        /// Members active before.
        members: usize,
    },
}

/// What applying a roster did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterApplied {
    /// Members added.
    pub added: usize,
    /// Listed members whose dates or tier changed.
    #[serde(default)]
    pub updated: usize,
    /// Members deactivated (end date set).
    pub deactivated: usize,
    /// Earliest past date the roster changed (§5.3): the retro run needs approval.
    #[serde(default)]
    pub retroactive_from: Option<NaiveDate>,
}

fn contract_state(doc: &Contract) -> ContractState {
    match doc.action {
        Action::Cancellation | Action::Delete => ContractState::Cancelled,
        _ => match doc.status {
            ContractStatus::Original
            | ContractStatus::Modified
            | ContractStatus::Renewed
            | ContractStatus::ValidOpen => ContractState::Active,
            ContractStatus::Expired => ContractState::Expired,
            ContractStatus::Cancelled => ContractState::Cancelled,
            ContractStatus::Proposed => ContractState::Proposed,
        },
    }
}

fn day_before(date: NaiveDate) -> NaiveDate {
    date.checked_sub_days(Days::new(1)).unwrap_or(date)
}

fn document_fingerprint(doc: &Contract) -> String {
    format!(
        "{}/{}/{}/{}/{}",
        doc.source.file,
        doc.source.interchange,
        doc.source.group,
        doc.source.set,
        normalize_contract_number(&doc.contract_id)
    )
}

impl ContractBook {
    /// Applies a contract document; see the module doc.
    pub fn apply(&mut self, doc: &Contract) -> Result<Applied, BookError> {
        let number = normalize_contract_number(&doc.contract_id);
        if number.is_empty() {
            return Err(BookError::EmptyContractNumber);
        }
        if doc.expires < doc.effective {
            return Err(BookError::InvertedDates {
                contract: doc.contract_id.clone(),
            });
        }
        let supplier = PartyKey::of(&doc.supplier);
        let key = format!("{}\u{1f}{}", supplier.id, number);
        let existing = self.by_number.get(&key).copied();
        let fingerprint = document_fingerprint(doc);
        if let Some(idx) = existing
            && self.applied.contains(&fingerprint)
        {
            return Ok(Applied {
                contract: idx,
                version: None,
                retroactive_from: None,
                changed_items: vec![],
                changed_parties: vec![],
            });
        }
        let previous = existing.map(|idx| self.contracts[idx as usize].current().clone());
        let mut version = match (&previous, doc.action) {
            (Some(prev), Action::Change | Action::Cancellation | Action::Delete) => {
                let mut next = prev.clone();
                self.apply_change(&mut next, doc);
                next
            }
            (None, Action::Change | Action::Cancellation | Action::Delete) => {
                return Err(BookError::UnknownContract {
                    contract: doc.contract_id.clone(),
                    action: doc.action,
                });
            }
            _ => self.restate(doc),
        };
        let restating = !matches!(
            doc.action,
            Action::Change | Action::Cancellation | Action::Delete
        );
        let next_no = existing.map_or(1, |idx| {
            self.contracts[idx as usize].versions.len() as u32 + 1
        });
        self.apply_caps(&mut version, previous.as_ref(), doc, restating, next_no)?;
        version.action = doc.action;
        version.source = doc.source.clone();
        version.issued = doc.date;
        version.change_effective = doc.change_effective;
        version.status = contract_state(doc);
        version.kind = kind_of(&version);

        let (changed_items, changed_parties, earliest) = self.diff(previous.as_ref(), &version);
        let retroactive_from = earliest.filter(|d| *d < doc.date);

        let idx = match existing {
            Some(idx) => idx,
            None => {
                let idx = self.contracts.len() as ContractIdx;
                self.contracts.push(ContractLineage {
                    supplier,
                    number_as_issued: doc.contract_id.as_str().into(),
                    number: number.as_str().into(),
                    versions: Vec::new(),
                });
                self.index_contract(key, idx);
                idx
            }
        };
        self.applied.insert(fingerprint);
        if let Some(prev) = &previous
            && same_content(prev, &version)
        {
            return Ok(Applied {
                contract: idx,
                version: None,
                retroactive_from: None,
                changed_items: vec![],
                changed_parties: vec![],
            });
        }
        // Index the items new to this contract for derivation (§3.2).
        let mut last = None;
        for row in &version.rows {
            if last == Some(row.item) {
                continue;
            }
            last = Some(row.item);
            let known = previous
                .as_ref()
                .is_some_and(|p| p.rows.binary_search_by_key(&row.item, |r| r.item).is_ok());
            if !known {
                let list = self.item_contracts.entry(row.item).or_default();
                if list.last() != Some(&idx) {
                    list.push(idx);
                }
            }
        }
        let lineage = &mut self.contracts[idx as usize];
        version.version = lineage.versions.len() as u32 + 1;
        version.index();
        let number = version.version;
        lineage.versions.push(version);
        self.index_rows(idx, previous.as_ref());
        Ok(Applied {
            contract: idx,
            version: Some(number),
            retroactive_from,
            changed_items,
            changed_parties,
        })
    }

    /// A version built from a full document (original or replace).
    fn restate(&mut self, doc: &Contract) -> ContractVersion {
        let mut version = ContractVersion {
            version: 0,
            action: doc.action,
            source: doc.source.clone(),
            issued: doc.date,
            change_effective: doc.change_effective,
            approver: None,
            status: contract_state(doc),
            effective: doc.effective,
            expires: doc.expires,
            kind: ContractKind::Open,
            gpo: doc.gpo.as_ref().map(PartyKey::of),
            refs: doc.refs.clone(),
            distributors: vec![Authorization {
                distributor: PartyKey::of(&doc.distributor),
                start: None,
                end: None,
            }],
            eligible: Vec::new(),
            rows: Vec::new(),
            caps: Vec::new(),
            row_items: Vec::new(),
            eligible_prints: Vec::new(),
        };
        for party in &doc.eligible {
            if party.action == PartyAction::Delete {
                continue;
            }
            upsert_eligibility(&mut version.eligible, party);
        }
        let mut buf = String::new();
        for item in &doc.items {
            if item.action == ItemAction::Delete {
                continue;
            }
            self.add_item_rows(&mut version, item, None, true, &mut buf);
        }
        // A restated item listed twice keeps its last row.
        version.rows.reverse();
        version
            .rows
            .sort_by_key(|r| (r.item, r.class, r.parties, r.start));
        version.rows.dedup_by(|later, earlier| {
            (later.item, later.class, later.parties, later.start)
                == (earlier.item, earlier.class, earlier.parties, earlier.start)
        });
        version
    }

    /// Applies a change document on a copy of the previous version.
    fn apply_change(&mut self, version: &mut ContractVersion, doc: &Contract) {
        version.effective = doc.effective;
        version.expires = doc.expires;
        if let Some(gpo) = &doc.gpo {
            version.gpo = Some(PartyKey::of(gpo));
        }
        if !doc.refs.is_empty() {
            version.refs = doc.refs.clone();
        }
        let change_day = doc.change_effective;
        for party in &doc.eligible {
            match party.action {
                PartyAction::Add | PartyAction::Change => {
                    upsert_eligibility(&mut version.eligible, party);
                }
                PartyAction::Delete => {
                    let keys = PartyKey::all_of(&party.party);
                    let end = party.end.or(change_day.map(day_before));
                    for row in &mut version.eligible {
                        if row.keys.iter().any(|k| keys.contains(k)) {
                            row.end = match (row.end, end) {
                                (Some(a), Some(b)) => Some(a.min(b)),
                                (None, b) => b,
                                (a, None) => a,
                            };
                        }
                    }
                }
            }
        }
        let mut buf = String::new();
        for item in &doc.items {
            match item.action {
                ItemAction::NoChange => {}
                ItemAction::Add | ItemAction::PriceChange | ItemAction::Replace => {
                    self.add_item_rows(version, item, change_day, false, &mut buf);
                }
                ItemAction::Delete => {
                    let Some(idx) = self.lookup_item_idx(&item.item, &mut buf) else {
                        continue;
                    };
                    let class = item
                        .class_of_trade
                        .as_deref()
                        .and_then(|c| self.class_index(c))
                        .unwrap_or(0);
                    let parties = self.price_parties_index(&item.parties);
                    let end = item
                        .end
                        .or(change_day.map(day_before))
                        .unwrap_or(version.expires);
                    let same =
                        |r: &PriceRow| r.item == idx && r.class == class && r.parties == parties;
                    version.rows.retain(|r| !(same(r) && r.start > end));
                    for row in &mut version.rows {
                        if same(row) && row.end > end {
                            row.end = end;
                        }
                    }
                }
            }
        }
        version
            .rows
            .sort_by_key(|r| (r.item, r.class, r.parties, r.start));
    }

    /// Adds the price row of one document item, closing the rows it supersedes and carrying
    /// over any price the document does not restate (§13.7).
    fn add_item_rows(
        &mut self,
        version: &mut ContractVersion,
        item: &ContractItem,
        change_day: Option<NaiveDate>,
        restating: bool,
        buf: &mut String,
    ) {
        let mut ids = Vec::with_capacity(1 + item.item.other_ids.len());
        if write_item_key(&item.item.qualifier, &item.item.id, buf).is_ok() {
            ids.push(buf.clone());
        }
        for other in &item.item.other_ids {
            if write_item_key(&other.qualifier, &other.id, buf).is_ok() && !ids.contains(buf) {
                ids.push(buf.clone());
            }
        }
        let Some(main) = ids.first() else { return };
        // Every id of the LIN names the same product: alias them to one index.
        let idx = match ids.iter().find_map(|k| self.item_index.get(k).copied()) {
            Some(idx) => idx,
            None => self.intern_item(main),
        };
        for alias in &ids {
            if !self.item_index.contains_key(alias) {
                self.alias_item(alias, idx);
            }
        }
        let class = self.intern_class(item.class_of_trade.as_deref());
        let parties = self.price_parties_index(&item.parties);
        let start = item
            .start
            .or(if item.action == ItemAction::Add {
                None
            } else {
                change_day
            })
            .unwrap_or(version.effective);
        let end = item.end.unwrap_or(version.expires);
        if restating {
            // A full restatement supersedes nothing: no lookups, so a large book builds in
            // linear time.
            let (Some(contract_price), Some(uom)) = (item.contract_price, item.uom.as_deref())
            else {
                if let Some(contract_price) = item.contract_price {
                    let uom = self.intern_uom("EA");
                    version.rows.push(PriceRow {
                        item: idx,
                        class,
                        uom,
                        start,
                        end,
                        contract_price,
                        reference_price: item.wac,
                        parties,
                    });
                }
                return;
            };
            let uom = self.intern_uom(uom);
            version.rows.push(PriceRow {
                item: idx,
                class,
                uom,
                start,
                end,
                contract_price,
                reference_price: item.wac,
                parties,
            });
            return;
        }
        let previous = version
            .rows
            .iter()
            .filter(|r| {
                r.item == idx && r.class == class && r.parties == parties && r.start <= start
            })
            .max_by_key(|r| r.start)
            .copied();
        let contract_price = match item.contract_price.or(previous.map(|p| p.contract_price)) {
            Some(price) => price,
            None => return,
        };
        let reference_price = item.wac.or(previous.and_then(|p| p.reference_price));
        let uom = match item.uom.as_deref() {
            Some(uom) => self.intern_uom(uom),
            None => match previous {
                Some(p) => p.uom,
                None => self.intern_uom("EA"),
            },
        };
        let end = if item.end.is_none() {
            previous.map_or(end, |p| p.end.max(end))
        } else {
            end
        };
        if item.action == ItemAction::Replace {
            version
                .rows
                .retain(|r| !(r.item == idx && r.class == class && r.parties == parties));
        } else {
            version.rows.retain(|r| {
                !(r.item == idx && r.class == class && r.parties == parties && r.start >= start)
            });
            for row in &mut version.rows {
                if row.item == idx
                    && row.class == class
                    && row.parties == parties
                    && row.end >= start
                {
                    row.end = day_before(start);
                }
            }
        }
        version.rows.push(PriceRow {
            item: idx,
            class,
            uom,
            start,
            end,
            contract_price,
            reference_price,
            parties,
        });
    }

    /// [`PriceRow::parties`] for the parties a price is only for: 0 for none, else 1 + the
    /// index of that set of parties (every id of each), added when new.
    fn price_parties_index(&mut self, parties: &[schemas::Party]) -> u32 {
        if parties.is_empty() {
            return 0;
        }
        let keys: Vec<PartyKey> = parties.iter().flat_map(PartyKey::all_of).collect();
        let at = match self.price_parties.iter().position(|k| *k == keys) {
            Some(at) => at,
            None => {
                self.price_parties.push(keys);
                self.price_parties.len() - 1
            }
        };
        u32::try_from(at + 1).unwrap_or(u32::MAX)
    }

    /// What changed between two versions, and the earliest effective date of the changes.
    fn diff(
        &self,
        previous: Option<&ContractVersion>,
        next: &ContractVersion,
    ) -> (Vec<String>, Vec<PartyKey>, Option<NaiveDate>) {
        let mut items = Vec::new();
        let mut parties = Vec::new();
        let mut earliest: Option<NaiveDate> = None;
        let mut note = |d: NaiveDate| earliest = Some(earliest.map_or(d, |e| e.min(d)));
        let Some(prev) = previous else {
            // A first version is retroactive when it starts before it was issued.
            note(next.effective);
            return (items, parties, earliest);
        };
        if prev.effective != next.effective {
            note(prev.effective.min(next.effective));
        }
        if prev.expires != next.expires {
            note(prev.expires.min(next.expires));
        }
        let after = |d: NaiveDate| d.checked_add_days(Days::new(1)).unwrap_or(d);
        for row in &next.rows {
            if !prev.rows.contains(row) {
                let same_start = prev
                    .rows
                    .iter()
                    .find(|r| r.item == row.item && r.class == row.class && r.start == row.start);
                match same_start {
                    // Only the end moved: the change takes effect the day after the earlier end.
                    Some(old)
                        if old.contract_price == row.contract_price
                            && old.reference_price == row.reference_price
                            && old.uom == row.uom =>
                    {
                        note(after(old.end.min(row.end)));
                    }
                    _ => note(row.start),
                }
                if let Some(key) = self.item_key(row.item)
                    && !items.iter().any(|k: &String| k == key)
                {
                    items.push(key.to_owned());
                }
            }
        }
        for row in &prev.rows {
            if !next.rows.contains(row) {
                let changed_from = next
                    .rows
                    .iter()
                    .filter(|r| r.item == row.item && r.class == row.class)
                    .map(|r| r.end.checked_add_days(Days::new(1)).unwrap_or(r.end))
                    .find(|d| *d > row.start && *d <= row.end)
                    .unwrap_or(row.start);
                note(changed_from);
                if let Some(key) = self.item_key(row.item)
                    && !items.iter().any(|k: &String| k == key)
                {
                    items.push(key.to_owned());
                }
            }
        }
        for row in &next.eligible {
            if !prev.eligible.contains(row) {
                let old = prev
                    .eligible
                    .iter()
                    .find(|r| r.keys.iter().any(|k| row.keys.contains(k)));
                match old {
                    Some(old) => {
                        if old.start != row.start {
                            let starts = [old.start, row.start];
                            if let Some(d) = starts.iter().flatten().min() {
                                note(*d);
                            }
                        }
                        if old.end != row.end {
                            let ends = [old.end, row.end];
                            if let Some(d) = ends.iter().flatten().min() {
                                note(after(*d));
                            }
                        }
                    }
                    None => note(row.start.unwrap_or(next.effective)),
                }
                parties.extend(row.keys.iter().take(1).cloned());
            }
        }
        (items, parties, earliest)
    }

    /// Applies a full roster snapshot of a GPO as of `today`: members not listed are
    /// deactivated today, new ones added. More than 5 % deactivations need `approved`.
    pub fn apply_roster_snapshot(
        &mut self,
        gpo: &PartyKey,
        members: &[Membership],
        today: NaiveDate,
        approved: bool,
    ) -> Result<RosterApplied, RosterError> {
        let current = self.memberships.entry(gpo.id.clone()).or_default();
        crate::rosters::apply_roster(
            current,
            members,
            crate::rosters::RosterMode::Snapshot,
            today,
            approved,
        )
    }

    /// Replaces the memberships of a GPO (as the store holds them).
    pub fn set_memberships(&mut self, gpo_id: &str, members: Vec<Membership>) {
        self.memberships.insert(gpo_id.to_owned(), members);
    }

    /// Forgets every membership (before loading them again).
    pub fn clear_memberships(&mut self) {
        self.memberships.clear();
    }
}

fn upsert_eligibility(rows: &mut Vec<EligibilityRow>, party: &schemas::EligibleParty) {
    let keys = PartyKey::all_of(&party.party);
    let row = EligibilityRow {
        keys: keys.clone(),
        name: party.party.name.as_deref().map(str::to_owned),
        start: party.start,
        end: party.end,
        class: party.class_of_trade.clone(),
    };
    if let Some(existing) = rows
        .iter_mut()
        .find(|r| r.keys.iter().any(|k| keys.contains(k)))
    {
        if party.action == PartyAction::Change {
            existing.start = party.start.or(existing.start);
            existing.end = party.end.or(existing.end);
            if party.class_of_trade.is_some() {
                existing.class.clone_from(&party.class_of_trade);
            }
        } else {
            *existing = row;
        }
    } else {
        rows.push(row);
    }
}

fn kind_of(version: &ContractVersion) -> ContractKind {
    if version.gpo.is_some() {
        ContractKind::BuyingGroup
    } else if version.eligible.is_empty() {
        ContractKind::Open
    } else {
        ContractKind::EndCustomer
    }
}

/// Equal as contract content: everything but the version number and provenance.
fn same_content(a: &ContractVersion, b: &ContractVersion) -> bool {
    a.status == b.status
        && a.effective == b.effective
        && a.expires == b.expires
        && a.kind == b.kind
        && a.gpo == b.gpo
        && a.refs == b.refs
        && a.distributors == b.distributors
        && a.eligible == b.eligible
        && a.rows == b.rows
        && a.caps == b.caps
}
