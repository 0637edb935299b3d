//! What ops staff search transactions by (design.md 10): contract numbers, debit and credit
//! memos, invoices, taken from the normalized document a set became.

use std::collections::BTreeSet;

use partner_maps::translate::SetKeys;
use schemas::Document;
use store::{RefKind, TransactionRef};

/// Invoices indexed per document at most: a million-line 867 must not become a million
/// reference rows; its batch lines are searchable in the engine's tables.
pub const MAX_INVOICE_REFS: usize = 500;

/// The document's debit memo (the transaction's own column) and its searchable references.
pub fn refs_of(doc: &Document) -> (Option<String>, Vec<TransactionRef>) {
    let mut refs = Vec::new();
    let mut invoices = BTreeSet::new();
    let mut contracts = BTreeSet::new();
    let mut debit_memo = None;
    match doc {
        Document::Contract(c) => {
            contracts.insert(c.contract_id.clone());
        }
        Document::Claim(c) => {
            debit_memo = Some(c.debit_memo.clone());
            for l in &c.lines {
                invoices.insert(l.invoice.clone());
                contracts.insert(l.contract_id.clone());
            }
        }
        Document::ClaimResponse(r) => {
            debit_memo = Some(r.debit_memo.clone());
            if let Some(cm) = &r.credit_memo {
                refs.push(TransactionRef::new(RefKind::CreditMemo, cm.clone()));
            }
            for l in &r.lines {
                invoices.insert(l.invoice.clone());
                contracts.extend(l.contract_id.clone());
            }
        }
        Document::SalesReport(s) => {
            for l in &s.lines {
                invoices.insert(l.invoice.to_string());
                contracts.extend(l.contract_id.as_ref().map(ToString::to_string));
            }
        }
        Document::Acknowledgment(_) => {}
    }
    search_refs(&mut refs, debit_memo.as_ref(), contracts, invoices);
    (debit_memo, refs)
}

/// The searchable references of a set that produced no documents, from what it names as
/// sent: the same kinds, in the same order, as a document's.
pub fn refs_of_keys(keys: &SetKeys) -> Vec<TransactionRef> {
    let mut refs = Vec::new();
    search_refs(
        &mut refs,
        keys.debit_memo.as_ref(),
        keys.contracts.iter().cloned(),
        keys.invoices.iter().cloned(),
    );
    refs
}

/// Adds the debit memo, then the contracts and the first [`MAX_INVOICE_REFS`] invoices,
/// leaving out empty values.
fn search_refs(
    refs: &mut Vec<TransactionRef>,
    debit_memo: Option<&String>,
    contracts: impl IntoIterator<Item = String>,
    invoices: impl IntoIterator<Item = String>,
) {
    if let Some(dm) = debit_memo {
        refs.push(TransactionRef::new(RefKind::DebitMemo, dm.clone()));
    }
    refs.extend(
        contracts
            .into_iter()
            .filter(|c| !c.is_empty())
            .map(|c| TransactionRef::new(RefKind::Contract, c)),
    );
    refs.extend(
        invoices
            .into_iter()
            .filter(|i| !i.is_empty())
            .take(MAX_INVOICE_REFS)
            .map(|i| TransactionRef::new(RefKind::Invoice, i)),
    );
}
