//! `acknowledgment` (997/999/TA1 received): recorded as a document, an audit event on the
//! outbound transaction it answers when one carries its control number, and, when it answers
//! an 844 we sent, the claim's C12/C13 step ([`crate::transmission`]).

use schemas::Document;
use sha2::{Digest, Sha256};
use store::{Direction, DocumentSource, NewDocument, StoreTx, TransactionFilter};
use uuid::Uuid;

use crate::error::ApplyError;
use crate::{Context, Outcome};

pub(crate) async fn apply(
    tx: &mut dyn StoreTx,
    doc: &Document,
    message_id: &str,
    ctx: &Context,
) -> Result<Outcome, ApplyError> {
    let Document::Acknowledgment(ack) = doc else {
        return Err(ApplyError::NoPartner("acknowledgment"));
    };
    let partner = ack.source.partner.clone().unwrap_or_default();
    let body = serde_json::to_value(doc)?;
    let hash = format!("{:x}", Sha256::digest(serde_json::to_vec(&body)?));
    let (answered, control) = match (&ack.group, &ack.interchange) {
        (Some(g), _) => ("group", g.control_number.clone()),
        (None, Some(i)) => ("interchange", i.control_number.clone()),
        (None, None) => ("nothing", String::new()),
    };
    let refs = vec![("acknowledgment".to_owned(), control.clone())];
    let new = tx
        .insert_document(&NewDocument {
            id: Uuid::now_v7(),
            idempotency_key: format!("ack:{hash}"),
            doc_type: "acknowledgment".to_owned(),
            partner: partner.to_string(),
            source: DocumentSource {
                file_sha256: Some(ack.source.file.clone()).filter(|s| !s.is_empty()),
                isa13: Some(ack.source.interchange.to_string()).filter(|s| !s.is_empty()),
                gs06: Some(ack.source.group.to_string()).filter(|s| !s.is_empty()),
                st02: Some(ack.source.set.to_string()).filter(|s| !s.is_empty()),
            },
            tx_id: None,
            body: body.into(),
            created_at: ctx.now,
        })
        .await?;
    if !new {
        return Ok(Outcome {
            summary: format!("acknowledgment of {answered} {control} already recorded"),
            refs,
            outbound: vec![],
        });
    }
    let mut found = 0;
    if !control.is_empty() {
        let filter = TransactionFilter {
            partner: Some(partner.to_string()).filter(|p| !p.is_empty()),
            direction: Some(Direction::Outbound),
            control_number: Some(control.clone()),
            ..TransactionFilter::default()
        };
        for t in tx.list_transactions(&filter).await? {
            let event = crate::audit::event(ctx, "transaction", t.id.to_string(), "acknowledged")
                .reason(format!("{:?}", ack.kind))
                .correlation(message_id.to_owned());
            tx.append_audit(&event).await?;
            found += 1;
        }
    }
    let effect = crate::transmission::apply_ack(tx, ack, &partner, message_id, ctx).await?;
    let mut refs = refs;
    refs.extend(effect.claim.map(|c| ("claim".to_owned(), c)));
    Ok(Outcome {
        summary: format!(
            "acknowledgment of {answered} {control} recorded ({found} outbound transaction(s) found); {}",
            effect.note
        ),
        refs,
        outbound: effect.outbound.into_iter().collect(),
    })
}
