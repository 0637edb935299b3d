//! An analyst records a settlement instrument on a claim (chargeback-rules 6.3 C15, C16, 7.3,
//! 8.3): the instrument is stored immutably with its allocation to the claim; when the matched
//! instruments cover what is due within 0.01 the claim is Settled (C15), else it stays
//! Settlement Pending with the remainder shown. A Settled claim with no open line outcome,
//! child claim or dispute case is Closed at once (C16).

use engine::audit::{Actor, status_name};
use engine::claims::{ClaimStatus, Instrument, SettlementMethod};
use rust_decimal::Decimal;
use store::{NewSettlement, StoreTx};
use uuid::Uuid;

use crate::Context;
use crate::audit::append_all;
use crate::error::ApplyError;
use crate::state::{load_claim, save_claim};

/// What recording an instrument did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementOutcome {
    /// The claim's new version.
    pub version: i64,
    /// The claim's status after it.
    pub status: String,
    /// Σ instruments allocated to the claim.
    pub settled: Decimal,
    /// `amount − Σ splits − settled` (§8.4).
    pub remaining: Decimal,
    /// One line for logs.
    pub summary: String,
}

/// Dispute cases still being worked (§6.4: D4–D6 outcomes are terminal).
const OPEN_DISPUTES: [&str; 3] = ["open", "submitted", "under_review"];

/// Claim statuses with nothing left to do.
const CLOSED: [&str; 2] = ["closed", "cancelled"];

/// The settlement table's `kind`: the method's name.
fn kind(method: &SettlementMethod) -> String {
    match method {
        SettlementMethod::UserDefined(name) => format!("user_defined:{name}"),
        other => status_name(other),
    }
}

pub(crate) async fn apply(
    tx: &mut dyn StoreTx,
    claim_id: Uuid,
    expected_version: i64,
    instrument: Instrument,
    ctx: &Context,
) -> Result<SettlementOutcome, ApplyError> {
    let record = tx
        .get_claim(claim_id)
        .await?
        .ok_or(ApplyError::UnknownClaim(claim_id))?;
    if record.version != expected_version {
        return Err(ApplyError::Conflict {
            entity: "claim",
            id: claim_id,
            expected: expected_version,
            actual: Some(record.version),
        });
    }
    let mut claim = load_claim(tx, &record).await?;
    let actor = Actor::User(ctx.actor.clone());
    let mut events = Vec::new();
    events.extend(claim.settle(instrument.clone(), &actor, ctx.today)?);
    let event =
        crate::audit::event(ctx, "claim", claim_id.to_string(), "settlement recorded").reason(
            format!("{} {}", kind(&instrument.method), instrument.number),
        );
    tx.insert_settlement(
        &NewSettlement {
            id: Uuid::now_v7(),
            partner: record.partner.clone(),
            kind: kind(&instrument.method),
            number: instrument.number.clone(),
            amount: instrument.amount,
            allocations: vec![(claim_id, instrument.amount)],
            payload: serde_json::to_value(&instrument)?,
            at: ctx.now,
        },
        &event,
    )
    .await?;
    if claim.status == ClaimStatus::Settled {
        // C16: children are claims of their own (automatic splits of an 849's unpaid part);
        // the parent closes only once none of them is open.
        let mut open_children = false;
        for (number, _) in &claim.children {
            let child = tx.find_claim(&record.partner, number).await?;
            open_children |= child.is_none_or(|c| !CLOSED.contains(&c.status.as_str()));
        }
        let open_disputes = tx
            .disputes_for_claim(claim_id)
            .await?
            .iter()
            .any(|d| OPEN_DISPUTES.contains(&d.status.as_str()));
        if let Ok(closed) = claim.close(open_children, open_disputes, ctx.today) {
            events.push(closed);
        }
    }
    let status = status_name(&claim.status);
    let version = save_claim(
        tx,
        ctx,
        (claim_id, expected_version, &record.status),
        &claim,
        "settlement",
        None,
    )
    .await?;
    append_all(tx, &events, ctx, &claim_id.to_string()).await?;
    Ok(SettlementOutcome {
        version,
        summary: format!(
            "claim {}: {} {} recorded, settled {}, remaining {}, {status}",
            claim.number,
            kind(&instrument.method),
            instrument.number,
            claim.settled(),
            claim.remaining()
        ),
        status,
        settled: claim.settled(),
        remaining: claim.remaining(),
    })
}
