//! The quantity and amount cap ledger (§5.1), across batches.
//!
//! `remaining = approved − Σ Consumed − Σ Reserved`. A line reserves on Accepted, consumes on
//! Claimed and releases on Rejected or on going back to Amount Disputed; a claimed return gives
//! quantity back. Entries are append-only; running totals per cap make a check O(1).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::identity::PartyKey;
use crate::sale::LineRef;

/// What a cap applies to: a contract lineage × item, optionally × end customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CapScope {
    /// Normalized contract number.
    pub contract: String,
    /// Normalized item key.
    pub item: String,
    /// End customer, for item × customer caps.
    pub customer: Option<PartyKey>,
}

/// A cap: approved quantity (contract units) and/or amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cap {
    /// Scope.
    pub scope: CapScope,
    /// Approved quantity.
    pub quantity: Option<Decimal>,
    /// Approved amount.
    pub amount: Option<Decimal>,
}

/// Kind of a ledger entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapEntryKind {
    /// Held by an Accepted line.
    Reserved,
    /// Used by a Claimed line.
    Consumed,
    /// A reservation or consumption given back.
    Released,
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapEntry {
    /// Index of the cap.
    pub cap: usize,
    /// The line.
    pub line: LineRef,
    /// Quantity in contract units.
    pub quantity: Decimal,
    /// Amount.
    pub amount: Decimal,
    /// Kind.
    pub kind: CapEntryKind,
    /// Day of the entry.
    pub date: NaiveDate,
}

/// Result of a cap check (V10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapCheck {
    /// No cap applies, or the remaining covers the line.
    Fits,
    /// Something is left, less than needed (`CAP_EXCEEDED`).
    Exceeded {
        /// Remaining quantity of the tightest cap.
        remaining: Decimal,
    },
    /// Nothing is left (`CAP_EXHAUSTED`).
    Exhausted,
}

/// Errors of ledger operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapError {
    /// The line holds nothing to consume or release.
    #[error("line {0:?} holds no cap entry")]
    NothingHeld(LineRef),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Usage {
    quantity: Decimal,
    amount: Decimal,
}

/// The ledger: caps, their append-only entries and running totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapLedger {
    caps: Vec<Cap>,
    entries: Vec<CapEntry>,
    usage: Vec<Usage>,
    /// What each line holds now: (cap, quantity, amount, Reserved or Consumed).
    held: BTreeMap<LineRef, Vec<(usize, Decimal, Decimal, CapEntryKind)>>,
}

impl CapLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether any cap is defined (the pipeline skips V10 work otherwise).
    pub fn is_empty(&self) -> bool {
        self.caps.is_empty()
    }

    /// Adds a cap; returns its index.
    pub fn add_cap(&mut self, cap: Cap) -> usize {
        self.caps.push(cap);
        self.usage.push(Usage::default());
        self.caps.len() - 1
    }

    /// Caps for a contract, item and customer (item caps and item × customer caps).
    pub fn caps_for(&self, contract: &str, item: &str, customer: &[PartyKey]) -> Vec<usize> {
        self.caps
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.scope.contract == contract
                    && c.scope.item == item
                    && c.scope
                        .customer
                        .as_ref()
                        .is_none_or(|k| customer.contains(k))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Remaining quantity and amount of a cap.
    pub fn remaining(&self, cap: usize) -> (Option<Decimal>, Option<Decimal>) {
        let (Some(c), Some(u)) = (self.caps.get(cap), self.usage.get(cap)) else {
            return (None, None);
        };
        (
            c.quantity.map(|q| q - u.quantity),
            c.amount.map(|a| a - u.amount),
        )
    }

    /// Whether `quantity` and `amount` fit every cap in `caps`, not counting what `line`
    /// already holds (a re-check at Pay and Close).
    pub fn check(
        &self,
        caps: &[usize],
        quantity: Decimal,
        amount: Decimal,
        line: Option<&LineRef>,
    ) -> CapCheck {
        let mut result = CapCheck::Fits;
        for &cap in caps {
            let (mut qty_left, mut amount_left) = self.remaining(cap);
            if let Some(held) = line.and_then(|l| self.held.get(l)) {
                for (c, q, a, _) in held.iter().filter(|h| h.0 == cap) {
                    let _ = c;
                    qty_left = qty_left.map(|r| r + q);
                    amount_left = amount_left.map(|r| r + a);
                }
            }
            let short_qty = qty_left.is_some_and(|r| quantity > r);
            let short_amount = amount_left.is_some_and(|r| amount > r);
            if !short_qty && !short_amount {
                continue;
            }
            let exhausted = qty_left.is_some_and(|r| r <= Decimal::ZERO)
                || amount_left.is_some_and(|r| r <= Decimal::ZERO);
            if exhausted {
                return CapCheck::Exhausted;
            }
            let remaining = qty_left.unwrap_or(quantity).max(Decimal::ZERO);
            result = match result {
                CapCheck::Exceeded { remaining: r } => CapCheck::Exceeded {
                    remaining: r.min(remaining),
                },
                _ => CapCheck::Exceeded { remaining },
            };
        }
        result
    }

    fn push(
        &mut self,
        cap: usize,
        line: &LineRef,
        quantity: Decimal,
        amount: Decimal,
        kind: CapEntryKind,
        date: NaiveDate,
    ) {
        self.entries.push(CapEntry {
            cap,
            line: line.clone(),
            quantity,
            amount,
            kind,
            date,
        });
    }

    /// Reserves for an Accepted line.
    pub fn reserve(
        &mut self,
        caps: &[usize],
        line: &LineRef,
        quantity: Decimal,
        amount: Decimal,
        date: NaiveDate,
    ) {
        for &cap in caps {
            if let Some(usage) = self.usage.get_mut(cap) {
                usage.quantity += quantity;
                usage.amount += amount;
            }
            self.push(cap, line, quantity, amount, CapEntryKind::Reserved, date);
            self.held.entry(line.clone()).or_default().push((
                cap,
                quantity,
                amount,
                CapEntryKind::Reserved,
            ));
        }
    }

    /// Turns a line's reservations into consumption (the line is Claimed). A line with no cap
    /// holds nothing, which is fine.
    pub fn consume(&mut self, line: &LineRef, date: NaiveDate) {
        let Some(held) = self.held.get_mut(line) else {
            return;
        };
        let mut converted = Vec::new();
        for h in held.iter_mut().filter(|h| h.3 == CapEntryKind::Reserved) {
            h.3 = CapEntryKind::Consumed;
            converted.push((h.0, h.1, h.2));
        }
        for (cap, q, a) in converted {
            self.push(cap, line, q, a, CapEntryKind::Consumed, date);
        }
    }

    /// Releases what a line holds (Rejected, or back to Amount Disputed).
    pub fn release(&mut self, line: &LineRef, date: NaiveDate) {
        let Some(held) = self.held.remove(line) else {
            return;
        };
        for (cap, q, a, _) in held {
            if let Some(usage) = self.usage.get_mut(cap) {
                usage.quantity -= q;
                usage.amount -= a;
            }
            self.push(cap, line, q, a, CapEntryKind::Released, date);
        }
    }

    /// Restores one entry read back from the store (rebuilding the ledger in entry order):
    /// the cap's running totals and what the line holds follow as when it was first made.
    pub fn replay(&mut self, entry: CapEntry) {
        let (cap, q, a) = (entry.cap, entry.quantity, entry.amount);
        match entry.kind {
            CapEntryKind::Reserved => {
                if let Some(usage) = self.usage.get_mut(cap) {
                    usage.quantity += q;
                    usage.amount += a;
                }
                self.held.entry(entry.line.clone()).or_default().push((
                    cap,
                    q,
                    a,
                    CapEntryKind::Reserved,
                ));
            }
            CapEntryKind::Consumed => {
                let held = self.held.entry(entry.line.clone()).or_default();
                match held
                    .iter_mut()
                    .find(|h| h.0 == cap && h.3 == CapEntryKind::Reserved)
                {
                    Some(h) => h.3 = CapEntryKind::Consumed,
                    None => {
                        held.push((cap, q, a, CapEntryKind::Consumed));
                        if let Some(usage) = self.usage.get_mut(cap) {
                            usage.quantity += q;
                            usage.amount += a;
                        }
                    }
                }
            }
            CapEntryKind::Released => {
                if let Some(held) = self.held.get_mut(&entry.line) {
                    for (c, hq, ha, _) in held.iter().filter(|h| h.0 == cap) {
                        if let Some(usage) = self.usage.get_mut(*c) {
                            usage.quantity -= *hq;
                            usage.amount -= *ha;
                        }
                    }
                    held.retain(|h| h.0 != cap);
                    if held.is_empty() {
                        self.held.remove(&entry.line);
                    }
                }
            }
        }
        self.entries.push(entry);
    }

    /// The caps, by index.
    pub fn caps(&self) -> &[Cap] {
        &self.caps
    }

    /// What a line holds now.
    pub fn held_by(&self, line: &LineRef) -> &[(usize, Decimal, Decimal, CapEntryKind)] {
        self.held.get(line).map_or(&[], Vec::as_slice)
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> &[CapEntry] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    fn line(n: &str) -> LineRef {
        LineRef {
            batch: "B1".into(),
            line: n.into(),
        }
    }

    /// §5.1 example: 12345030005 capped at 10 CA; line 3 reserves 6; a later 5 CA line finds 4.
    #[test]
    fn v10_cap_example_of_5_1() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap_or_default();
        let mut ledger = CapLedger::new();
        let cap = ledger.add_cap(Cap {
            scope: CapScope {
                contract: "SPA-2026-0042".into(),
                item: "NDC:12345030005".into(),
                customer: None,
            },
            quantity: Some(d("10")),
            amount: None,
        });
        let caps = ledger.caps_for("SPA-2026-0042", "NDC:12345030005", &[]);
        assert_eq!(caps, vec![cap]);
        assert_eq!(
            ledger.check(&caps, d("6"), d("100.50"), None),
            CapCheck::Fits
        );
        ledger.reserve(&caps, &line("3"), d("6"), d("100.50"), day);
        assert_eq!(
            ledger.check(&caps, d("5"), d("83.75"), None),
            CapCheck::Exceeded { remaining: d("4") }
        );
        // Re-checking line 3 itself does not count its own reservation.
        assert_eq!(
            ledger.check(&caps, d("6"), d("100.50"), Some(&line("3"))),
            CapCheck::Fits
        );
        ledger.consume(&line("3"), day);
        assert_eq!(ledger.remaining(cap).0, Some(d("4")));
        ledger.reserve(&caps, &line("7"), d("4"), d("67.00"), day);
        assert_eq!(
            ledger.check(&caps, d("1"), d("16.75"), None),
            CapCheck::Exhausted
        );
        ledger.release(&line("7"), day);
        assert_eq!(ledger.remaining(cap).0, Some(d("4")));
        let kinds: Vec<_> = ledger.entries().iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                CapEntryKind::Reserved,
                CapEntryKind::Consumed,
                CapEntryKind::Reserved,
                CapEntryKind::Released
            ]
        );
    }
}
