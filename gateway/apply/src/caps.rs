//! The cap ledger (chargeback-rules 5.1) through the store: the caps in force come from the
//! contract book (the contract documents' caps), their movements from `cap_ledger`.
//!
//! [`load`] locks the caps' rows (PostgreSQL `FOR UPDATE`; SQLite writers are serialized) and
//! replays every stored movement into an engine [`CapLedger`], so a batch in this transaction
//! sees what every earlier batch reserved and consumed; [`StoredCaps::save`] appends the
//! movements the engine made since. [`register`] writes the cap rows of a contract version.

use engine::caps::{CapEntry, CapEntryKind, CapLedger};
use engine::contracts::{BookCap, ContractBook};
use engine::sale::LineRef;
use store::{CapRecord, NewAuditEvent, NewCapEntry, StoreTx};
use uuid::Uuid;

use crate::Context;
use crate::error::ApplyError;

/// The ledger as stored, and where the store's part of its entries ends.
#[derive(Debug, Clone, Default)]
pub(crate) struct StoredCaps {
    /// The ledger with every stored movement replayed.
    pub ledger: CapLedger,
    /// Store key of each cap, by ledger index.
    keys: Vec<String>,
    /// Entries that came from the store.
    base: usize,
}

fn engine_kind(kind: store::CapEntryKind) -> CapEntryKind {
    match kind {
        store::CapEntryKind::Reserved => CapEntryKind::Reserved,
        store::CapEntryKind::Consumed => CapEntryKind::Consumed,
        store::CapEntryKind::Released => CapEntryKind::Released,
    }
}

fn store_kind(kind: CapEntryKind) -> store::CapEntryKind {
    match kind {
        CapEntryKind::Reserved => store::CapEntryKind::Reserved,
        CapEntryKind::Consumed => store::CapEntryKind::Consumed,
        CapEntryKind::Released => store::CapEntryKind::Released,
    }
}

/// The ledger of the caps in force in `book`, with their stored movements, rows locked.
pub(crate) async fn load(
    tx: &mut dyn StoreTx,
    book: &ContractBook,
) -> Result<StoredCaps, ApplyError> {
    let caps = book.caps();
    if caps.is_empty() {
        return Ok(StoredCaps::default());
    }
    let keys: Vec<String> = caps.iter().map(|c| c.key.clone()).collect();
    // The store takes them in its one lock order, whatever the order given.
    tx.lock_caps(&keys).await?;
    let mut ledger = CapLedger::new();
    let mut index = std::collections::HashMap::with_capacity(caps.len());
    for c in caps {
        index.insert(c.key.clone(), ledger.add_cap(c.cap));
    }
    // Every cap's movements in one query, in append order (each cap's order is kept).
    for record in tx.cap_entries(&keys).await? {
        let e = record.entry;
        let Some(&idx) = index.get(&e.cap_key) else {
            continue;
        };
        let line = e
            .line_ref
            .clone()
            .or_else(|| e.line_no.map(|n| n.to_string()))
            .unwrap_or_default();
        ledger.replay(CapEntry {
            cap: idx,
            line: LineRef {
                batch: e.batch_id.map(|b| b.to_string()).unwrap_or_default(),
                line,
            },
            quantity: e.quantity,
            amount: e.amount,
            kind: engine_kind(e.kind),
            date: e.at.date_naive(),
        });
    }
    let base = ledger.entries().len();
    Ok(StoredCaps { ledger, keys, base })
}

impl StoredCaps {
    /// Appends the movements `after` (a copy of this ledger the engine worked on) made since
    /// it was loaded, under `batch` (the one batch they are all for) or the batch their line
    /// reference names. They are audited by the line transitions that made them.
    pub(crate) async fn save(
        &self,
        tx: &mut dyn StoreTx,
        after: &CapLedger,
        batch: Option<Uuid>,
        ctx: &Context,
    ) -> Result<usize, ApplyError> {
        let new: Vec<NewCapEntry> = after
            .entries()
            .get(self.base..)
            .unwrap_or(&[])
            .iter()
            .filter_map(|e| {
                Some(NewCapEntry {
                    cap_key: self.keys.get(e.cap)?.clone(),
                    batch_id: batch.or_else(|| Uuid::parse_str(&e.line.batch).ok()),
                    line_no: e.line.line.parse().ok(),
                    line_ref: Some(e.line.line.clone()),
                    kind: store_kind(e.kind),
                    quantity: e.quantity,
                    amount: e.amount,
                    at: ctx.now,
                })
            })
            .collect();
        if !new.is_empty() {
            tx.append_cap_entries(&new).await?;
        }
        Ok(new.len())
    }
}

/// Writes the cap rows of a contract's caps in force (new limits, or a new key after a reset)
/// with an audit event each.
pub(crate) async fn register(
    tx: &mut dyn StoreTx,
    contract_id: Uuid,
    caps: &[BookCap],
    correlation: &str,
    ctx: &Context,
) -> Result<(), ApplyError> {
    for c in caps {
        let mut event: NewAuditEvent = crate::audit::event(ctx, "cap", c.key.clone(), "cap set")
            .correlation(correlation.to_owned());
        event.after = Some(serde_json::json!({
            "quantity": c.cap.quantity,
            "amount": c.cap.amount,
        }));
        tx.upsert_cap(
            &CapRecord {
                cap_key: c.key.clone(),
                contract_id: Some(contract_id),
                item: Some(c.cap.scope.item.clone()),
                customer: c
                    .cap
                    .scope
                    .customer
                    .as_ref()
                    .map(|k| format!("{:?}:{}", k.kind, k.id)),
                quantity_limit: c.cap.quantity,
                amount_limit: c.cap.amount,
                payload: serde_json::to_value(c)?,
                updated_at: ctx.now,
            },
            &event,
        )
        .await?;
    }
    Ok(())
}
