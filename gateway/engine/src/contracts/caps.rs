//! Caps on contract versions (§5.1): the caps of a contract document become [`CapRow`]s of
//! the version it makes, and [`ContractBook::caps`] lists the caps in force for the ledger.
//!
//! A cap's scope is the contract lineage × item (× end customer). A later version that restates
//! a cap keeps its `since` (the consumption so far still counts); a cap marked `reset` starts
//! over with the version that resets it. A cap without a line (a CON-level CTB) caps each item
//! of the contract; a version holds one cap per item (× customer), so a later cap of the same
//! document for the same item (a PAD-level CTB after the CON-level one) replaces it. A full restatement (original, replace) lists every cap; a change keeps the
//! caps it does not mention.

use schemas::Contract;
use serde::{Deserialize, Serialize};

use super::{BookError, CapRow, ContractBook, ContractIdx, ContractVersion, ItemIdx};
use crate::caps::{Cap, CapScope};
use crate::identity::PartyKey;

/// A cap in force, with the key the store keeps its ledger entries under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookCap {
    /// Stable key: supplier, contract, item, customer and the version the cap started at.
    /// A reset gives a new key, so consumption recorded before it stays under the old one.
    pub key: String,
    /// The cap for the ledger.
    pub cap: Cap,
}

impl ContractBook {
    /// Sets `version.caps` from the document. `next_no` is the number the version will get.
    pub(super) fn apply_caps(
        &mut self,
        version: &mut ContractVersion,
        previous: Option<&ContractVersion>,
        doc: &Contract,
        restating: bool,
        next_no: u32,
    ) -> Result<(), BookError> {
        if restating {
            version.caps.clear();
        }
        let mut buf = String::new();
        let mut listed: Vec<ItemIdx> = version.rows.iter().map(|r| r.item).collect();
        listed.dedup();
        for cap in &doc.caps {
            let items = match &cap.line {
                None => listed.clone(),
                Some(line) => {
                    let item = doc
                        .items
                        .iter()
                        .filter(|i| &i.line == line)
                        .find_map(|i| self.lookup_item_idx(&i.item, &mut buf));
                    let Some(item) = item else {
                        return Err(BookError::CapItemUnknown {
                            contract: doc.contract_id.clone(),
                            line: line.clone(),
                        });
                    };
                    vec![item]
                }
            };
            let customer = cap.customer.as_ref().map(PartyKey::of);
            for item in items {
                if let (Some(uom), Some(_)) = (cap.uom.as_deref(), cap.quantity) {
                    let contract_uom = version
                        .rows
                        .iter()
                        .find(|r| r.item == item)
                        .map(|r| self.uom(r.uom));
                    if let Some(contract_uom) = contract_uom
                        && contract_uom != uom
                    {
                        return Err(BookError::CapUnit {
                            contract: doc.contract_id.clone(),
                            line: cap.line.clone().unwrap_or_default(),
                            cap_uom: uom.to_owned(),
                            contract_uom: contract_uom.to_owned(),
                        });
                    }
                }
                let inherited = previous
                    .and_then(|p| {
                        p.caps
                            .iter()
                            .find(|c| c.item == item && c.customer == customer)
                    })
                    .map(|c| c.since);
                let since = match (cap.reset, inherited) {
                    (false, Some(since)) => since,
                    _ => next_no,
                };
                let row = CapRow {
                    item,
                    customer: customer.clone(),
                    quantity: cap.quantity,
                    amount: cap.amount,
                    since,
                };
                match version
                    .caps
                    .iter_mut()
                    .find(|c| c.item == item && c.customer == customer)
                {
                    Some(existing) => *existing = row,
                    None => version.caps.push(row),
                }
            }
        }
        Ok(())
    }

    /// The caps in force: those of each contract's current version.
    pub fn caps(&self) -> Vec<BookCap> {
        let mut out = Vec::new();
        for idx in 0..self.contracts.len() {
            self.push_caps(idx as ContractIdx, &mut out);
        }
        out
    }

    /// The caps in force of one contract.
    pub fn caps_of(&self, idx: ContractIdx) -> Vec<BookCap> {
        let mut out = Vec::new();
        self.push_caps(idx, &mut out);
        out
    }

    fn push_caps(&self, idx: ContractIdx, out: &mut Vec<BookCap>) {
        let Some(lineage) = self.lineage(idx) else {
            return;
        };
        let version = lineage.current();
        for row in &version.caps {
            let Some(item) = self.item_key(row.item) else {
                continue;
            };
            let customer = row
                .customer
                .as_ref()
                .map_or_else(|| "*".to_owned(), |c| format!("{:?}:{}", c.kind, c.id));
            out.push(BookCap {
                key: format!(
                    "{}/{}/{}/{}/v{}",
                    lineage.supplier.id, lineage.number, item, customer, row.since
                ),
                cap: Cap {
                    scope: CapScope {
                        contract: lineage.number.to_string(),
                        item: item.to_owned(),
                        customer: row.customer.clone(),
                    },
                    quantity: row.quantity,
                    amount: row.amount,
                },
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use schemas::{Contract, ContractCap, Document};

    use super::*;
    use crate::caps::{CapCheck, CapLedger};
    use crate::sale::LineRef;

    fn golden(text: &str) -> Contract {
        match text.lines().next().map(serde_json::from_str::<Document>) {
            Some(Ok(Document::Contract(c))) => c,
            other => panic!("golden contract: {other:?}"),
        }
    }

    /// The acmepharma 845 with caps: CON-level 1000 CA / 50,000.00 per item, 12345010001 at
    /// 10 CA, 12345020101 at 5 CA for Riverside (DEA AR1234563).
    fn capped() -> Contract {
        golden(include_str!(
            "../../../../partner-maps/profiles/acmepharma/expected/845_5010_contract_caps.jsonl"
        ))
    }

    /// Its change 845: 12345010001 restated at 20 CA with CTB03 61 (reset).
    fn reset() -> Contract {
        golden(include_str!(
            "../../../../partner-maps/profiles/acmepharma/expected/845_5010_contract_caps_reset.jsonl"
        ))
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    fn summary(book: &ContractBook) -> Vec<String> {
        book.caps()
            .iter()
            .map(|c| {
                let show = |d: Option<Decimal>| d.map_or("-".to_owned(), |d| d.to_string());
                format!(
                    "{} q={} a={}",
                    c.key,
                    show(c.cap.quantity),
                    show(c.cap.amount)
                )
            })
            .collect()
    }

    #[test]
    fn an_845s_caps_become_item_and_item_customer_caps() {
        let mut book = ContractBook::new();
        assert!(book.apply(&capped()).is_ok());
        // One cap per item (× customer): the PAD-level 10 CA replaces the CON-level cap of
        // 12345010001, which still caps 12345020101.
        assert_eq!(
            summary(&book),
            [
                "123456789/SPA-2026-0099/NDC:12345010001/*/v1 q=10 a=-",
                "123456789/SPA-2026-0099/NDC:12345020101/*/v1 q=1000 a=50000.00",
                "123456789/SPA-2026-0099/NDC:12345020101/Dea:AR1234563/v1 q=5 a=-",
            ]
        );
        // The item × customer cap applies to Riverside's lines only; the item cap to all.
        let mut ledger = CapLedger::new();
        for c in book.caps() {
            ledger.add_cap(c.cap);
        }
        let riverside = [PartyKey::new("11", "AR1234563")];
        let other = [PartyKey::new("21", "1A2B3C4D5")];
        let item = "NDC:12345020101";
        assert_eq!(ledger.caps_for("SPA-2026-0099", item, &riverside).len(), 2);
        assert_eq!(ledger.caps_for("SPA-2026-0099", item, &other).len(), 1);
        let caps = ledger.caps_for("SPA-2026-0099", item, &riverside);
        assert_eq!(
            ledger.check(&caps, dec("6"), dec("180.00"), None),
            CapCheck::Exceeded {
                remaining: dec("5")
            }
        );
    }

    #[test]
    fn a_change_inherits_consumption_unless_it_resets() {
        let mut book = ContractBook::new();
        assert!(book.apply(&capped()).is_ok());
        let before = book.caps();
        // The same cap restated without reset: same key (consumption still counts), new limit.
        let mut keep = reset();
        keep.source.set = "0002".into();
        keep.caps[0].reset = false;
        let mut kept = book.clone();
        assert_eq!(kept.apply(&keep).map(|a| a.version), Ok(Some(2)));
        let after = kept.caps();
        assert_eq!(after[0].key, before[0].key);
        assert_eq!(after[0].cap.quantity, Some(dec("20")));
        // The CON-level cap of the other item and the customer cap are kept by a change.
        assert_eq!(after[1..], before[1..]);
        // With reset (CTB03 61): a new key, so the ledger starts the cap over.
        assert_eq!(book.apply(&reset()).map(|a| a.version), Ok(Some(2)));
        let after = book.caps();
        assert_eq!(after[0].key, "123456789/SPA-2026-0099/NDC:12345010001/*/v2");
        assert_eq!(after[0].cap.quantity, Some(dec("20")));
        assert_eq!(after[0].cap.amount, None);
        assert_eq!(after[1].key, before[1].key);
    }

    #[test]
    fn a_cap_for_an_unknown_line_or_in_another_unit_is_refused() {
        let mut doc = capped();
        doc.caps.push(ContractCap {
            line: Some("9".into()),
            customer: None,
            quantity: Some(Decimal::ONE),
            uom: None,
            amount: None,
            reset: false,
        });
        assert!(matches!(
            ContractBook::new().apply(&doc),
            Err(BookError::CapItemUnknown { line, .. }) if line == "9"
        ));
        let mut doc = capped();
        doc.caps[1].uom = Some("EA".into());
        assert!(matches!(
            ContractBook::new().apply(&doc),
            Err(BookError::CapUnit { cap_uom, contract_uom, .. })
                if cap_uom == "EA" && contract_uom == "CA"
        ));
    }

    #[test]
    fn a_ledger_replayed_from_its_entries_has_the_same_totals() {
        let mut book = ContractBook::new();
        assert!(book.apply(&capped()).is_ok());
        let mut ledger = CapLedger::new();
        for c in book.caps() {
            ledger.add_cap(c.cap);
        }
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap_or_default();
        let line = |n: &str| LineRef {
            batch: "B1".into(),
            line: n.into(),
        };
        let caps = ledger.caps_for("SPA-2026-0099", "NDC:12345010001", &[]);
        ledger.reserve(&caps, &line("1"), dec("6"), dec("37.50"), day);
        ledger.consume(&line("1"), day);
        ledger.reserve(&caps, &line("2"), dec("3"), dec("18.75"), day);
        ledger.reserve(&caps, &line("3"), dec("1"), dec("6.25"), day);
        ledger.release(&line("3"), day);
        let mut rebuilt = CapLedger::new();
        for c in book.caps() {
            rebuilt.add_cap(c.cap);
        }
        for e in ledger.entries() {
            rebuilt.replay(e.clone());
        }
        assert_eq!(rebuilt, ledger);
        assert_eq!(rebuilt.remaining(caps[0]).0, Some(dec("1")));
        assert_eq!(
            rebuilt.check(&caps, dec("2"), dec("12.50"), None),
            CapCheck::Exceeded {
                remaining: dec("1")
            }
        );
    }
}
