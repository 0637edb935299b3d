//! The outbound half of design.md 1: **render** (a normalized document from the engine to
//! X12 with the partner's profile and control numbers allocated in the database) and
//! **send** (the partner's SFTP outbox, written `.part` then renamed, or AS2 through
//! [`crate::as2_send`] for a partner with `[as2]` and no `[sftp]`, and for a partner with
//! both when the file answers one that came in over AS2).
//!
//! Rendering is keyed by the message id: the outbound transaction's id is derived from it,
//! so a redelivered message finds the file rendered before and sends the same bytes with the
//! same control numbers; a transaction already sent is acked without sending again.

use std::sync::Arc;

use bus::Delivery;
use chrono::Utc;
use partner_maps::render::Envelope;
use schemas::Document;
use store::{
    ControlKind, Direction, NewAuditEvent, NewTransaction, RefKind, Step, TransactionRef,
    TransactionUpdate, TxState,
};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use crate::consume::consume;
use crate::control;
use crate::engine_worker::header_uuid;
use crate::error::PipelineError;
use crate::messages::{RENDERED_SCHEMA, Rendered};
use crate::raw::RawStore;
use crate::refs::refs_of;
use crate::shared::Shared;

/// The sender's queue.
pub const QUEUE: &str = "outbound.send";

/// Consumes the outbound queue until `stop`.
pub async fn run(shared: Arc<Shared>, stop: CancellationToken) {
    consume(&shared, QUEUE, &stop, |delivery| {
        let shared = shared.clone();
        async move { handle(&shared, delivery).await }
    })
    .await;
}

async fn handle(shared: &Shared, delivery: Delivery) {
    let message_id = delivery.message.message_id.clone();
    let span = tracing::info_span!("send", message_id = %message_id);
    // The span follows the work across its awaits (a guard held across an await would
    // leave it entered on whichever thread resumed other tasks meanwhile).
    async move {
        // Owned copies: a delivery is not shared across the awaits below.
        let headers = delivery.message.headers.clone();
        let payload = delivery.message.payload.clone();
        let parent = header_uuid(&delivery, "transaction");
        let result = async {
            let rendered = if headers.get("schema").map(String::as_str) == Some(RENDERED_SCHEMA) {
                serde_json::from_slice::<Rendered>(&payload)?
            } else {
                let doc: Document = serde_json::from_slice(&payload)?;
                let partner = headers.get("partner").cloned().unwrap_or_default();
                render(shared, &message_id, &partner, &doc, parent).await?
            };
            send(shared, &rendered).await?;
            Ok::<_, PipelineError>(rendered)
        }
        .await;
        match result {
            Ok(_) => {
                if let Err(e) = delivery.ack().await {
                    tracing::error!(error = %e, "ack failed");
                }
            }
            Err(error) => {
                let error = error.to_string();
                let last = delivery.attempt >= shared.settings.workers.max_attempts;
                tracing::warn!(%error, attempt = delivery.attempt, last, "outbound not sent");
                metrics::counter!("chargegate_send_failures_total").increment(1);
                let id = rendered_id(&delivery);
                if let Some(id) = id {
                    let state = if last {
                        TxState::Failed
                    } else {
                        TxState::Processing
                    };
                    let _ = shared
                        .store
                        .update_transaction(
                            &TransactionUpdate::new(id, Step::Send, state, "system", Utc::now())
                                .with_error(error.clone()),
                        )
                        .await;
                }
                let settled = if last {
                    delivery.dead_letter(&error).await
                } else {
                    delivery.retry(&error).await.map(|_| ())
                };
                if let Err(e) = settled {
                    tracing::error!(error = %e, "retry/dead-letter failed");
                }
            }
        }
    }
    .instrument(span)
    .await
}

/// The outbound transaction a delivery is about, when it can be known without rendering.
fn rendered_id(delivery: &Delivery) -> Option<Uuid> {
    if delivery.message.headers.get("schema").map(String::as_str) == Some(RENDERED_SCHEMA) {
        serde_json::from_slice::<Rendered>(&delivery.message.payload)
            .ok()
            .map(|r| r.transaction)
    } else {
        Some(outbound_tx_id(&delivery.message.message_id))
    }
}

/// The outbound transaction id of a document message: derived from its message id.
pub fn outbound_tx_id(message_id: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_OID,
        format!("chargegate:outbound:{message_id}").as_bytes(),
    )
}

/// Renders an outbound document once: control numbers, bytes in the raw store and the
/// outbound transaction in one database transaction.
pub async fn render(
    shared: &Shared,
    message_id: &str,
    partner: &str,
    doc: &Document,
    parent: Option<Uuid>,
) -> Result<Rendered, PipelineError> {
    let id = outbound_tx_id(message_id);
    if let Some(tx) = shared.store.get_transaction(id).await? {
        return rendered_of(&tx, doc.doc_type(), &shared.raw);
    }
    let profiles = shared.profiles.current();
    let profile = profiles.get(partner).ok_or_else(|| {
        PipelineError::NotReplayable(
            id,
            format!("no partner profile \"{partner}\" to render for"),
        )
    })?;
    let now = Utc::now();
    let mut t = shared.store.begin().await?;
    let icn = control::allocate(
        &mut *t,
        partner,
        Some(profile),
        ControlKind::Interchange,
        now,
    )
    .await?;
    let gcn = control::allocate(&mut *t, partner, Some(profile), ControlKind::Group, now).await?;
    let scn = control::allocate(&mut *t, partner, Some(profile), ControlKind::Set, now).await?;
    let identity = shared.settings.identity.isa();
    let envelope = Envelope {
        interchange_control_number: icn,
        group_control_number: gcn,
        set_control_number: scn,
        date: now.date_naive(),
        time: now.time(),
        test: false,
        ack_requested: false,
    };
    let bytes =
        partner_maps::render_to_bytes(std::slice::from_ref(doc), profile, &identity, &envelope)
            .map_err(|e| PipelineError::Render(e.to_string()))?;
    let stored = shared.raw.put(&bytes)?;
    let (debit_memo, refs) = refs_of(doc);
    let mut row = NewTransaction::new(
        id,
        partner,
        Direction::Outbound,
        Step::Send,
        TxState::Received,
        now,
    );
    row.parent_id = parent;
    row.raw_sha256 = Some(stored.sha256.clone());
    row.doc_type = Some(doc.doc_type().to_owned());
    row.isa13 = Some(format!("{icn:09}"));
    row.gs06 = Some(gcn.to_string());
    row.st02 = Some(format!("{scn:04}"));
    row.debit_memo = debit_memo;
    row.refs = refs;
    // The name it is delivered under, kept with it: a resend (a replay) uses the same.
    let name = file_name(doc.doc_type(), partner, icn);
    row.refs
        .push(TransactionRef::new(RefKind::FileName, name.clone()));
    t.insert_transaction(&row).await?;
    if matches!(doc, Document::Claim(_)) {
        // The claim's send, recorded by apply under this message id, learns its numbers, so
        // the partner's 997/999/TA1 finds the claim (chargeback-rules 6.3 C12/C13, 7.1).
        let event = NewAuditEvent::new("system", "claim_transmission", message_id, "rendered", now)
            .correlation(id.to_string());
        t.link_claim_transmission(
            message_id,
            (i64::from(icn), i64::from(gcn), i64::from(scn)),
            now,
            &event,
        )
        .await?;
    }
    t.commit().await?;
    tracing::info!(transaction = %id, partner, doc_type = doc.doc_type(), icn, "rendered");
    Ok(Rendered {
        transaction: id,
        partner: partner.to_owned(),
        doc_type: doc.doc_type().to_owned(),
        raw_sha256: stored.sha256,
        file_name: name,
    })
}

/// The stored outbound file of a transaction, ready to send (again) under the name it was
/// first sent under, whichever path sends it: the name kept with the transaction, or, for a
/// transaction written before names were kept, the name its kind of file is given (an
/// acknowledgment's from what its stored bytes hold, `997-000000409.x12`).
pub(crate) fn rendered_of(
    tx: &store::TransactionRecord,
    doc_type: &str,
    raw: &RawStore,
) -> Result<Rendered, PipelineError> {
    let sha = tx
        .raw_sha256
        .clone()
        .ok_or_else(|| PipelineError::Inconsistent(format!("outbound {} has no file", tx.id)))?;
    let icn: u32 = tx
        .isa13
        .as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let kept = tx
        .refs
        .iter()
        .find(|r| r.kind == RefKind::FileName)
        .map(|r| r.value.clone());
    let file_name = match kept {
        Some(name) => name,
        None if doc_type == "acknowledgment" => {
            let bytes = std::fs::read(raw.path(&sha))?;
            crate::ingest::ack_file_name(crate::ingest::ack_kind_of(&bytes), icn)
        }
        None => file_name(doc_type, &tx.partner, icn),
    };
    Ok(Rendered {
        transaction: tx.id,
        partner: tx.partner.clone(),
        doc_type: doc_type.to_owned(),
        raw_sha256: sha,
        file_name,
    })
}

fn file_name(doc_type: &str, partner: &str, icn: u32) -> String {
    format!("{doc_type}-{partner}-{icn:09}.x12")
}

/// Whether `tx` answers a file that came in over AS2: its parent (the received file, for an
/// acknowledgment) or grandparent (for an 849 answering a set of that file) carries an AS2
/// Message-ID.
async fn answers_as2_file(
    shared: &Shared,
    tx: &store::TransactionRecord,
) -> Result<bool, PipelineError> {
    let mut next = tx.parent_id;
    for _ in 0..2 {
        let Some(id) = next else {
            return Ok(false);
        };
        let Some(parent) = shared.store.get_transaction(id).await? else {
            return Ok(false);
        };
        if parent.direction == Direction::Inbound
            && parent
                .refs
                .iter()
                .any(|r| r.kind == store::RefKind::As2Message)
        {
            return Ok(true);
        }
        next = parent.parent_id;
    }
    Ok(false)
}

/// Delivers a rendered file once: a transaction already sent is not sent again. Over AS2 a
/// partner's refusal fails the transaction here (not retried); transport errors come back as
/// `Err` for the bus to retry.
pub async fn send(shared: &Shared, rendered: &Rendered) -> Result<(), PipelineError> {
    let tx = shared
        .store
        .get_transaction(rendered.transaction)
        .await?
        .ok_or(PipelineError::NoTransaction(rendered.transaction))?;
    if tx.step == Step::Send && tx.state == TxState::Done {
        tracing::info!(transaction = %tx.id, "already sent");
        return Ok(());
    }
    let (has_as2, only_as2) = shared
        .profiles
        .current()
        .get(&rendered.partner)
        .map_or((false, false), |p| {
            (p.as2.is_some(), crate::as2_send::uses_as2(p))
        });
    // A partner on both channels gets answers where the file they answer came from.
    let over_as2 = only_as2 || (has_as2 && answers_as2_file(shared, &tx).await?);
    if over_as2 {
        return crate::as2_send::send(shared, &tx, rendered).await;
    }
    let now = Utc::now();
    shared
        .store
        .update_transaction(&TransactionUpdate::new(
            tx.id,
            Step::Send,
            TxState::Processing,
            "system",
            now,
        ))
        .await?;
    let bytes = shared.raw.read(&rendered.raw_sha256)?;
    let drops = shared.drops.clone();
    let (partner, name) = (rendered.partner.clone(), rendered.file_name.clone());
    // A file already there with these bytes is this one, published by a delivery that
    // stopped before recording it sent: written once, never as a numbered copy.
    let written = tokio::task::spawn_blocking(move || {
        drops.ensure_partner(&partner)?;
        drops.write_outbound(&partner, &name, &bytes)
    })
    .await?
    .map_err(|e| PipelineError::Send(e.to_string()))?;
    shared
        .store
        .update_transaction(&TransactionUpdate::new(
            tx.id,
            Step::Send,
            TxState::Done,
            "system",
            Utc::now(),
        ))
        .await?;
    let path = written.path.display();
    if written.already_there {
        tracing::info!(transaction = %tx.id, partner = %rendered.partner, %path, "already in the SFTP outbox with these bytes; recorded sent");
    } else {
        metrics::counter!("chargegate_files_sent_total", "channel" => "sftp").increment(1);
        tracing::info!(transaction = %tx.id, partner = %rendered.partner, %path, "sent to the SFTP outbox");
    }
    Ok(())
}
