//! `contract` (845 from a supplier): a new contract or a new immutable version of one
//! (chargeback-rules 2.2), with its GPO roster and eligibility. A document that changes
//! nothing writes nothing. A back-dated change is recorded as needing the retro run (§5.3).

use engine::identity::normalize_contract_number;
use schemas::Contract;
use store::{ContractVersion, EntityUpdate, NewContract, StoreTx};
use uuid::Uuid;

use crate::book::{BookGuard, StoredVersion};
use crate::error::ApplyError;
use crate::partners::Partner;
use crate::{Context, Outcome};

pub(crate) async fn apply(
    tx: &mut dyn StoreTx,
    guard: &mut BookGuard<'_>,
    partner: &Partner,
    doc: &Contract,
    message_id: &str,
    ctx: &Context,
) -> Result<Outcome, ApplyError> {
    let number = normalize_contract_number(&doc.contract_id);
    let refs = vec![("contract".to_owned(), doc.contract_id.clone())];
    let stored = StoredVersion {
        partner: partner.id.clone(),
        document: doc.clone(),
    };
    let books = guard.books();
    let applied = books.apply(&stored)?;
    let Some(engine_version) = applied.version else {
        return Ok(Outcome {
            summary: format!("contract {} unchanged", doc.contract_id),
            refs,
            outbound: vec![],
        });
    };
    books.count += 1;
    let supplier = doc.supplier.id.clone();
    let status = engine::audit::status_name(&doc.status);
    let summary_payload = serde_json::json!({
        "contract_id": doc.contract_id,
        "supplier": doc.supplier,
        "distributor": doc.distributor,
        "effective": doc.effective,
        "expires": doc.expires,
        "engine_version": engine_version,
    });
    let (contract_id, version_no) = match tx.find_contract(&partner.id, &supplier, &number).await? {
        None => {
            let id = Uuid::now_v7();
            let event = crate::audit::event(ctx, "contract", id.to_string(), "contract created")
                .transition(None, &status)
                .correlation(message_id.to_owned());
            tx.insert_contract(
                &NewContract {
                    id,
                    partner: partner.id.clone(),
                    supplier: supplier.to_string(),
                    contract_number: number.clone(),
                    status: status.clone(),
                    payload: summary_payload,
                    at: ctx.now,
                },
                &event,
            )
            .await?;
            (id, 1)
        }
        Some(record) => {
            let versions = tx.contract_versions(record.id).await?.len() as i64;
            let event =
                crate::audit::event(ctx, "contract", record.id.to_string(), "contract changed")
                    .transition(Some(&record.status), &status)
                    .correlation(message_id.to_owned());
            tx.update_contract(
                &EntityUpdate {
                    id: record.id,
                    expected_version: record.version,
                    status: status.clone(),
                    amount: None,
                    payload: summary_payload,
                    at: ctx.now,
                },
                &event,
            )
            .await
            .map_err(ApplyError::from_store(
                "contract",
                record.id,
                record.version,
            ))?;
            (record.id, versions + 1)
        }
    };
    let mut event = crate::audit::event(ctx, "contract", contract_id.to_string(), "version added")
        .correlation(message_id.to_owned());
    if let Some(from) = applied.retroactive_from {
        // §5.3: a back-dated change re-evaluates past sales only after approval; the run is
        // recorded here as pending and executed by `apply_retro_approval`.
        event = event.reason(format!(
            "retroactive from {from}: retro run pending approval"
        ));
    }
    event.after = Some(serde_json::json!({
        "version": version_no,
        "changed_items": applied.changed_items,
        "changed_parties": applied.changed_parties.len(),
        "retroactive_from": applied.retroactive_from,
    }));
    tx.insert_contract_version(
        &ContractVersion {
            contract_id,
            version_no,
            source_document_id: None,
            received_at: ctx.now,
            approved_by: None,
            payload: serde_json::to_value(&stored)?,
        },
        &event,
    )
    .await?;
    // §5.1: the version's caps get their rows (the ledger's movements reference them).
    let caps = guard.books().book.caps_of(applied.contract);
    crate::caps::register(tx, contract_id, &caps, message_id, ctx).await?;
    if let Some(from) = applied.retroactive_from {
        crate::retro::record_pending(
            tx,
            ctx,
            (contract_id, version_no),
            &partner.id,
            &number,
            from,
            message_id,
        )
        .await?;
    }
    let retro = applied
        .retroactive_from
        .map(|d| format!(", retroactive from {d}"))
        .unwrap_or_default();
    Ok(Outcome {
        summary: format!("contract {} version {version_no}{retro}", doc.contract_id),
        refs,
        outbound: vec![],
    })
}
