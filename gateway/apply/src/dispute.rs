//! Dispute cases (chargeback-rules 6.4, 7.4 Dispute): a user opens a case on claim lines an
//! 849 left unpaid (D1, Σ open cases on the lines ≤ their unpaid amount), sends it (D2), the
//! counterparty reviews it (D3), the decision is recorded (D4), or it is withdrawn (D5); the
//! clock expires it once its due date (`dispute_due_days`) has passed (D6). One transaction
//! each, under optimistic concurrency on the case's version; the engine's case state machine
//! decides what each status allows. A case that ends lets its Settled claim close (C16).

use engine::audit::{Actor, status_name};
use engine::disputes::{CaseStatus, Decision, DisputeCase};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use store::{EntityUpdate, NewDispute, Store, StoreTx};
use uuid::Uuid;

use crate::audit::convert;
use crate::error::ApplyError;
use crate::state::{corrupt, load_claim};
use crate::{Context, Partners, finish};

/// Case statuses that still count against a line's unpaid amount and keep a claim open.
const OPEN: [CaseStatus; 3] = [
    CaseStatus::Open,
    CaseStatus::Submitted,
    CaseStatus::UnderReview,
];

/// A user's request to open a case (D1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenDispute {
    /// The claim lines (PAD01) disputed.
    pub lines: Vec<String>,
    /// The amount disputed (positive, at most the lines' unpaid amount less open cases).
    pub amount: Decimal,
    /// Why.
    pub reason: String,
    /// Evidence: contract version and 845 control number, roster row, invoice copy.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Who owns the case; the acting user when not given.
    #[serde(default)]
    pub owner: Option<String>,
    /// The counterparty's contact.
    #[serde(default)]
    pub counterparty_contact: Option<String>,
}

/// What a user does to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum DisputeAction {
    /// D2: Open → Submitted (sent to the counterparty).
    Submit,
    /// D3: Submitted → Under Review.
    StartReview,
    /// D4: Under Review → Won, Partially Won or Lost, with the amount recovered.
    Decide {
        /// The decision.
        decision: Decision,
        /// What the decision recovers: by default all of the case when won, nothing when
        /// lost; required when partially won.
        #[serde(default)]
        recovered: Option<Decimal>,
    },
    /// D5: Open, Submitted or Under Review → Withdrawn.
    Withdraw,
}

/// What opening or acting on a case did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeOutcome {
    /// The case's row id.
    pub id: Uuid,
    /// Its version after the step (pass it as `expected_version` next time).
    pub version: i64,
    /// Its status after the step.
    pub status: String,
    /// The case as it stands.
    pub case: DisputeCase,
    /// Claims closed (C16) because this case ended: their numbers.
    pub closed_claims: Vec<String>,
    /// One line for logs.
    pub summary: String,
}

/// Opens a case on lines of claim `claim` (D1). Refused, with nothing written, when a line is
/// not on the claim, the reason is empty or the amount not positive, or the amount with the
/// open cases on those lines would exceed what the 849 left unpaid on them.
pub async fn open_dispute(
    store: &dyn Store,
    partners: &Partners,
    claim: Uuid,
    request: &OpenDispute,
    ctx: &Context,
) -> Result<DisputeOutcome, ApplyError> {
    let mut tx = store.begin().await?;
    let result = open(&mut *tx, partners, claim, request, ctx).await;
    let outcome = finish(tx, result).await?;
    tracing::info!(case = %outcome.id, %claim, summary = %outcome.summary, "dispute case opened");
    Ok(outcome)
}

async fn open(
    tx: &mut dyn StoreTx,
    partners: &Partners,
    claim_id: Uuid,
    request: &OpenDispute,
    ctx: &Context,
) -> Result<DisputeOutcome, ApplyError> {
    let record = tx
        .get_claim(claim_id)
        .await?
        .ok_or(ApplyError::UnknownClaim(claim_id))?;
    let claim = load_claim(tx, &record).await?;
    let partner = partners.get(&record.partner)?;
    if request.lines.is_empty() {
        return Err(ApplyError::InvalidDispute(
            "name the claim lines disputed".into(),
        ));
    }
    let mut unpaid = Decimal::ZERO;
    for number in &request.lines {
        let line = claim
            .lines
            .iter()
            .find(|l| &l.line == number)
            .ok_or_else(|| {
                ApplyError::InvalidDispute(format!("claim {} has no line {number}", claim.number))
            })?;
        // Only what an 849 answered and left unpaid can be disputed.
        unpaid += line.unpaid();
    }
    let mut already_open = Decimal::ZERO;
    for other in tx.disputes_for_claim(claim_id).await? {
        let case = read_case(&other)?;
        if OPEN.contains(&case.status) && case.lines.iter().any(|l| request.lines.contains(l)) {
            already_open += case.amount;
        }
    }
    let id = Uuid::now_v7();
    let (mut case, event) = DisputeCase::open(
        id.to_string(),
        claim.number.clone(),
        request.lines.clone(),
        request.amount,
        request.reason.clone(),
        request.owner.clone().unwrap_or_else(|| ctx.actor.clone()),
        already_open,
        unpaid,
        &partner.settings,
        &Actor::User(ctx.actor.clone()),
        ctx.today,
    )?;
    case.evidence = request.evidence.clone();
    case.counterparty_contact = request.counterparty_contact.clone();
    tx.insert_dispute(
        &NewDispute {
            id,
            partner: record.partner.clone(),
            claim_id: Some(claim_id),
            status: status_name(&case.status),
            amount: case.amount,
            payload: serde_json::to_value(&case)?,
            at: ctx.now,
        },
        &convert(&event, ctx.now, &claim.number),
    )
    .await?;
    let summary = format!(
        "dispute case {id} on claim {} lines {}: {} open, due {}",
        claim.number,
        case.lines.join(","),
        case.amount,
        case.due
    );
    Ok(DisputeOutcome {
        id,
        version: 1,
        status: status_name(&case.status),
        case,
        closed_claims: Vec::new(),
        summary,
    })
}

/// Applies a user's action on case `id` in one transaction: a stale `expected_version` is
/// [`ApplyError::Conflict`], an action the case's status does not allow is
/// [`ApplyError::Dispute`], and either writes nothing.
pub async fn apply_dispute_action(
    store: &dyn Store,
    id: Uuid,
    expected_version: i64,
    action: &DisputeAction,
    ctx: &Context,
) -> Result<DisputeOutcome, ApplyError> {
    let mut tx = store.begin().await?;
    let result = act(&mut *tx, id, expected_version, action, ctx).await;
    let outcome = finish(tx, result).await?;
    tracing::info!(case = %id, version = outcome.version, status = %outcome.status, summary = %outcome.summary, "dispute action applied");
    Ok(outcome)
}

async fn act(
    tx: &mut dyn StoreTx,
    id: Uuid,
    expected_version: i64,
    action: &DisputeAction,
    ctx: &Context,
) -> Result<DisputeOutcome, ApplyError> {
    let record = tx
        .get_dispute(id)
        .await?
        .ok_or(ApplyError::UnknownDispute(id))?;
    if record.version != expected_version {
        return Err(ApplyError::Conflict {
            entity: "dispute case",
            id,
            expected: expected_version,
            actual: Some(record.version),
        });
    }
    let mut case = read_case(&record)?;
    let actor = Actor::User(ctx.actor.clone());
    let event = match action {
        DisputeAction::Submit => case.submit(&actor, ctx.today)?,
        DisputeAction::StartReview => case.start_review(&actor, ctx.today)?,
        DisputeAction::Decide {
            decision,
            recovered,
        } => {
            let recovered = match (decision, recovered) {
                (_, Some(r)) => *r,
                (Decision::Won, None) => case.amount,
                (Decision::Lost, None) => Decimal::ZERO,
                (Decision::PartiallyWon, None) => {
                    return Err(ApplyError::InvalidDispute(
                        "a partial win needs what it recovered (`recovered`)".into(),
                    ));
                }
            };
            if recovered < Decimal::ZERO || recovered > case.amount {
                return Err(ApplyError::InvalidDispute(format!(
                    "recovered {recovered} must be between 0 and the case's {}",
                    case.amount
                )));
            }
            case.decide(*decision, recovered, &actor, ctx.today)?
        }
        DisputeAction::Withdraw => case.withdraw(&actor, ctx.today)?,
    };
    save_case(tx, &record, &case, event, ctx).await
}

/// D6: every open case whose due date passed before `ctx.today` expires, one transaction
/// each (a case a user moved meanwhile is skipped and expires at the next run). Returns the
/// cases expired.
pub async fn expire_disputes(
    store: &dyn Store,
    ctx: &Context,
) -> Result<Vec<DisputeOutcome>, ApplyError> {
    let open: Vec<_> = {
        let mut read = store.reader().await?;
        let statuses: Vec<String> = OPEN.iter().map(status_name).collect();
        read.disputes_with_status(&statuses).await?
    };
    let mut expired = Vec::new();
    for record in open {
        let case = read_case(&record)?;
        if ctx.today <= case.due {
            continue;
        }
        let mut tx = store.begin().await?;
        let result = expire(&mut *tx, &record, case, ctx).await;
        let result = finish(tx, result).await;
        match result {
            Ok(outcome) => {
                tracing::info!(case = %record.id, summary = %outcome.summary, "dispute case expired");
                expired.push(outcome);
            }
            Err(ApplyError::Conflict { .. }) => {
                tracing::info!(case = %record.id, "dispute case moved while it expired: next run");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(expired)
}

async fn expire(
    tx: &mut dyn StoreTx,
    record: &store::DisputeRecord,
    mut case: DisputeCase,
    ctx: &Context,
) -> Result<DisputeOutcome, ApplyError> {
    let event = case.expire(ctx.today)?;
    save_case(tx, record, &case, event, ctx).await
}

fn read_case(record: &store::DisputeRecord) -> Result<DisputeCase, ApplyError> {
    serde_json::from_value(record.payload.clone())
        .map_err(corrupt(format!("dispute case {}", record.id)))
}

/// Writes the case under its version with its audit event; when it ended (D4–D6), its
/// Settled claim closes if nothing else is open (C16).
async fn save_case(
    tx: &mut dyn StoreTx,
    record: &store::DisputeRecord,
    case: &DisputeCase,
    event: engine::audit::AuditEvent,
    ctx: &Context,
) -> Result<DisputeOutcome, ApplyError> {
    let status = status_name(&case.status);
    let version = tx
        .update_dispute(
            &EntityUpdate {
                id: record.id,
                expected_version: record.version,
                status: status.clone(),
                amount: Some(case.amount),
                payload: serde_json::to_value(case)?,
                at: ctx.now,
            },
            &convert(&event, ctx.now, &case.claim),
        )
        .await
        .map_err(ApplyError::from_store(
            "dispute case",
            record.id,
            record.version,
        ))?;
    let closed_claims = if OPEN.contains(&case.status) {
        Vec::new()
    } else {
        crate::settle::close_parents(tx, record.claim_id, ctx).await?
    };
    let mut summary = format!("dispute case {} {}: {status}", record.id, event.event);
    if let Some(recovered) = case.recovered.filter(|r| !r.is_zero()) {
        summary.push_str(&format!(", {recovered} recovered"));
    }
    if !closed_claims.is_empty() {
        summary.push_str(&format!("; closed {}", closed_claims.join(", ")));
    }
    Ok(DisputeOutcome {
        id: record.id,
        version,
        status,
        case: case.clone(),
        closed_claims,
        summary,
    })
}
