//! An analyst records a settlement instrument on a claim (chargeback-rules 6.3 C15, C16, 7.3,
//! 8.3): the instrument is stored immutably with its allocation to the claim; when the matched
//! instruments cover what is due within 0.01 the claim is Settled (C15), else it stays
//! Settlement Pending with the remainder shown. A Settled claim with no open line outcome,
//! child claim or dispute case is Closed at once (C16), and a claim closing closes its
//! Settled parent in turn when that was the parent's last open child. One instrument may
//! settle several claims (`apply_mass`, 7.3): one settlement row with an allocation per
//! claim, the mass settlement number on each claim's instrument, all in one transaction.

use engine::audit::{Actor, status_name};
use engine::claims::{ClaimRecord, ClaimStatus, Instrument, SettlementMethod};
use rust_decimal::Decimal;
use store::{NewSettlement, StoreTx};
use uuid::Uuid;

use crate::Context;
use crate::audit::append_all;
use crate::error::ApplyError;
use crate::state::{claim_at_version, corrupt, load_claim, save_claim};

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
    /// Parent claims (numbers) this closing closed in turn (C16: their last open child).
    pub closed_parents: Vec<String>,
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
    // As a mass settlement's allocations: an instrument pays something, under a number (a
    // negative or zero one would unsettle the claim or record nothing under a number that is
    // then taken).
    if instrument.number.trim().is_empty() {
        return Err(ApplyError::InvalidSettlement(
            "the instrument number is required".into(),
        ));
    }
    if instrument.amount <= Decimal::ZERO {
        return Err(ApplyError::InvalidSettlement(format!(
            "the amount must be positive, not {}",
            instrument.amount
        )));
    }
    // Kept and shown to the cent, as the claim's amounts are (`5` is `5.00`).
    let instrument = Instrument {
        amount: engine::amounts::to_cents(instrument.amount),
        ..instrument
    };
    let record = claim_at_version(tx, claim_id, expected_version).await?;
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
    if claim.status == ClaimStatus::Settled
        && let Some(closed) = close_if_done(tx, &record, &mut claim, ctx).await?
    {
        events.push(closed);
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
    let mut closed_parents = Vec::new();
    if claim.status == ClaimStatus::Closed {
        closed_parents = close_parents(tx, record.parent_id, ctx).await?;
    }
    Ok(SettlementOutcome {
        closed_parents,
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

/// C16 for a Settled claim: Closed when no line outcome, child claim or dispute case is open.
/// Children are claims of their own (automatic splits of an 849's unpaid part), read from the
/// store as this transaction sees them.
async fn close_if_done(
    tx: &mut dyn StoreTx,
    record: &store::ClaimRecord,
    claim: &mut engine::claims::ClaimRecord,
    ctx: &Context,
) -> Result<Option<engine::audit::AuditEvent>, ApplyError> {
    let mut open_children = false;
    for (number, _) in &claim.children {
        let child = tx.find_claim(&record.partner, number).await?;
        open_children |= child.is_none_or(|c| !CLOSED.contains(&c.status.as_str()));
    }
    let open_disputes = tx
        .disputes_for_claim(record.id)
        .await?
        .iter()
        .any(|d| OPEN_DISPUTES.contains(&d.status.as_str()));
    Ok(claim.close(open_children, open_disputes, ctx.today).ok())
}

/// C16 up the split tree: a child claim just closed, so its Settled parent closes too once
/// nothing of its own is open, then the parent's parent, and so on. Returns the numbers of
/// the claims closed.
pub(crate) async fn close_parents(
    tx: &mut dyn StoreTx,
    mut parent_id: Option<Uuid>,
    ctx: &Context,
) -> Result<Vec<String>, ApplyError> {
    let mut closed = Vec::new();
    while let Some(id) = parent_id {
        let Some(record) = tx.get_claim(id).await? else {
            break;
        };
        if record.status != status_name(&ClaimStatus::Settled) {
            break;
        }
        let mut parent = load_claim(tx, &record).await?;
        let Some(event) = close_if_done(tx, &record, &mut parent, ctx).await? else {
            break;
        };
        save_claim(
            tx,
            ctx,
            (id, record.version, &record.status),
            &parent,
            "C16 close: last open child closed",
            None,
        )
        .await?;
        append_all(tx, &[event], ctx, &id.to_string()).await?;
        closed.push(parent.number.clone());
        parent_id = record.parent_id;
    }
    Ok(closed)
}

/// One allocation of a mass settlement: the claim, the version the analyst saw, the amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// Claim id.
    pub claim: Uuid,
    /// Its version as the analyst saw it.
    pub expected_version: i64,
    /// Amount of the instrument allocated to it.
    pub amount: Decimal,
}

/// How an instrument with no remittance would be allocated (chargeback-rules 7.3: oldest
/// first, once a user confirms): for the user to confirm as a [`MassSettlement`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationProposal {
    /// Allocations, oldest claim first, each with its claim number.
    pub allocations: Vec<(Allocation, String)>,
    /// What no Settlement Pending claim of the partner is left to take.
    pub unallocated: Decimal,
}

/// Proposes how `amount` from `partner` settles its Settlement Pending claims: oldest first
/// (claim date, then number, `engine::claims::allocate_instrument`), each up to its remaining
/// amount, until the amount is used.
/// Reads only; nothing is written until the user confirms it with
/// [`crate::apply_mass_settlement`] (each allocation carries the version it was read at).
pub async fn propose_allocations(
    store: &dyn store::Store,
    partner: &str,
    amount: Decimal,
) -> Result<AllocationProposal, ApplyError> {
    if amount <= Decimal::ZERO {
        return Err(ApplyError::InvalidSettlement(format!(
            "amount {amount} must be positive"
        )));
    }
    // What `POST /api/v1/settlements` would refuse is not proposed: an instrument is to the
    // cent (the settlement's NUMERIC(18,2)).
    if amount.normalize().scale() > 2 {
        return Err(ApplyError::InvalidSettlement(format!(
            "amount {amount} has more than 2 decimal places"
        )));
    }
    let mut read = store.reader().await?;
    let filter = store::EntityFilter {
        partner: Some(partner.to_owned()),
        status: Some("settlement_pending".to_owned()),
        limit: Some(1_000),
        oldest_first: true,
        ..Default::default()
    };
    let mut records = Vec::new();
    let mut claims = Vec::new();
    for record in read.list_claims(&filter).await? {
        // The payload holds what `remaining` needs (amount, splits, instruments), not lines.
        let claim: ClaimRecord = serde_json::from_value(record.payload.clone())
            .map_err(corrupt(format!("claim {}", record.id)))?;
        claims.push(claim);
        records.push(record);
    }
    // The engine's rule for an instrument without remittance, confirmed by the user.
    let open: Vec<&ClaimRecord> = claims.iter().collect();
    let by_number: std::collections::HashMap<&str, &store::ClaimRecord> = records
        .iter()
        .map(|r| (r.claim_number.as_str(), r))
        .collect();
    let mut left = amount;
    let mut allocations = Vec::new();
    for (number, take) in engine::claims::allocate_instrument(amount, None, &open, true) {
        let Some(record) = by_number.get(number.as_str()) else {
            continue;
        };
        left -= take;
        allocations.push((
            Allocation {
                claim: record.id,
                expected_version: record.version,
                amount: engine::amounts::to_cents(take),
            },
            number,
        ));
    }
    Ok(AllocationProposal {
        allocations,
        unallocated: engine::amounts::to_cents(left),
    })
}

/// One instrument paying several claims (chargeback-rules 7.3, 8.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MassSettlement {
    /// Method.
    pub method: SettlementMethod,
    /// Instrument number (credit memo, check, payment).
    pub number: String,
    /// Its date.
    pub date: chrono::NaiveDate,
    /// The mass settlement number recorded on each claim; `MS-<number>` when not given.
    pub mass_settlement: Option<String>,
    /// Allocations, one per claim.
    pub allocations: Vec<Allocation>,
}

/// What a mass settlement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MassSettlementOutcome {
    /// The mass settlement number recorded on each claim.
    pub mass_settlement: String,
    /// Σ allocations: the instrument's amount.
    pub amount: Decimal,
    /// Each claim after it, in allocation order: (claim id, claim number, outcome).
    pub claims: Vec<(Uuid, String, SettlementOutcome)>,
}

pub(crate) async fn apply_mass(
    tx: &mut dyn StoreTx,
    req: MassSettlement,
    ctx: &Context,
) -> Result<MassSettlementOutcome, ApplyError> {
    let invalid = |reason: String| ApplyError::InvalidSettlement(reason);
    if req.allocations.is_empty() {
        return Err(invalid(
            "a mass settlement allocates to at least one claim".into(),
        ));
    }
    if req.number.trim().is_empty() {
        return Err(invalid("the instrument number is required".into()));
    }
    let mut seen = std::collections::HashSet::new();
    for a in &req.allocations {
        if !seen.insert(a.claim) {
            return Err(invalid(format!("claim {} is allocated twice", a.claim)));
        }
        if a.amount <= Decimal::ZERO {
            return Err(invalid(format!(
                "allocation to claim {} must be positive, not {}",
                a.claim, a.amount
            )));
        }
    }
    let mass = req
        .mass_settlement
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| format!("MS-{}", req.number));
    let actor = Actor::User(ctx.actor.clone());
    // Pass 1: each claim takes its allocation (C15 when covered) and is saved.
    let mut partner: Option<String> = None;
    let mut settled = Vec::with_capacity(req.allocations.len());
    for a in &req.allocations {
        let record = claim_at_version(tx, a.claim, a.expected_version).await?;
        match &partner {
            None => partner = Some(record.partner.clone()),
            Some(p) if *p != record.partner => {
                return Err(invalid(format!(
                    "one instrument settles claims of one partner: {} is {}'s, not {p}'s",
                    record.claim_number, record.partner
                )));
            }
            Some(_) => {}
        }
        let mut claim = load_claim(tx, &record).await?;
        let instrument = Instrument {
            method: req.method.clone(),
            number: req.number.clone(),
            date: req.date,
            amount: a.amount,
            mass_settlement: Some(mass.clone()),
        };
        let events: Vec<_> = claim
            .settle(instrument, &actor, ctx.today)?
            .into_iter()
            .collect();
        let version = save_claim(
            tx,
            ctx,
            (record.id, record.version, &record.status),
            &claim,
            "settlement",
            Some(&mass),
        )
        .await?;
        append_all(tx, &events, ctx, &mass).await?;
        settled.push((record, claim, version));
    }
    let amount: Decimal = req.allocations.iter().map(|a| a.amount).sum();
    let event = crate::audit::event(ctx, "settlement", mass.clone(), "mass settlement recorded")
        .reason(format!(
            "{} {}: {} claim(s), {amount}",
            kind(&req.method),
            req.number,
            req.allocations.len()
        ))
        .correlation(mass.clone());
    tx.insert_settlement(
        &NewSettlement {
            id: Uuid::now_v7(),
            partner: partner.unwrap_or_default(),
            kind: kind(&req.method),
            number: req.number.clone(),
            amount,
            allocations: req
                .allocations
                .iter()
                .map(|a| (a.claim, a.amount))
                .collect(),
            payload: serde_json::json!({
                "method": req.method,
                "number": req.number,
                "date": req.date,
                "amount": amount,
                "mass_settlement": mass,
            }),
            at: ctx.now,
        },
        &event,
    )
    .await?;
    // Pass 2: C16 for each Settled claim, now that every claim of the instrument is saved
    // (a child settled by the same instrument counts as closed for its parent below).
    let mut closed_ids = Vec::new();
    for (record, claim, version) in &mut settled {
        if claim.status != ClaimStatus::Settled {
            continue;
        }
        if let Some(event) = close_if_done(tx, record, claim, ctx).await? {
            *version = save_claim(
                tx,
                ctx,
                (record.id, *version, &status_name(&ClaimStatus::Settled)),
                claim,
                "C16 close",
                Some(&mass),
            )
            .await?;
            append_all(tx, &[event], ctx, &mass).await?;
            closed_ids.push(record.parent_id);
        }
    }
    // Pass 3: parents whose last open child just closed (in this instrument or before).
    let mut closed_parents = Vec::new();
    for parent in closed_ids {
        closed_parents.extend(close_parents(tx, parent, ctx).await?);
    }
    let mut claims = Vec::with_capacity(settled.len());
    for (record, claim, version) in settled {
        let closed_later = closed_parents.contains(&claim.number);
        let (version, status) = if closed_later {
            let now = tx
                .get_claim(record.id)
                .await?
                .ok_or(ApplyError::UnknownClaim(record.id))?;
            (now.version, now.status)
        } else {
            (version, status_name(&claim.status))
        };
        claims.push((
            record.id,
            claim.number.clone(),
            SettlementOutcome {
                version,
                summary: format!(
                    "claim {}: {} {} ({mass}) recorded, settled {}, remaining {}, {status}",
                    claim.number,
                    kind(&req.method),
                    req.number,
                    claim.settled(),
                    claim.remaining()
                ),
                status,
                settled: claim.settled(),
                remaining: claim.remaining(),
                closed_parents: closed_parents.clone(),
            },
        ));
    }
    Ok(MassSettlementOutcome {
        mass_settlement: mass,
        amount,
        claims,
    })
}
