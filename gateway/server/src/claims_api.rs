//! The analyst's claim API (design.md 10): a claim with its lines, the 849s that answered it,
//! the 844s sent for it and where the money stands (status, dates, settled and remaining
//! amounts, age in days, chargeback-rules 8.2, 8.5); recording a settlement instrument on it
//! (C15, C16, with optimistic concurrency like the batch actions); and the Unmatched
//! Responses queue (849s no claim was found for). One instrument settling several claims is
//! `POST /api/v1/settlements` (7.3, 8.2: a mass settlement number on each claim). A user's
//! action on a claim (submit, approve, reject, reopen, cancel, write off, split: 6.3 C2–C6,
//! 7.4, 8.4) is `POST /api/v1/claims/{id}/actions`, under the same optimistic concurrency.
//! A claim lists its dispute cases (`disputes_api`).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use engine::claims::{ClaimRecord, Instrument, SettlementMethod};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::api::{
    ApiJson, ApiPath, ApiQuery, claim_line_statuses, claim_statuses, failure, internal,
};
use crate::batches_api::{LinesQuery, split_page};
use crate::http::{AppState, error};

/// The claim routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/claims", get(list))
        .route("/api/v1/claims/{id}", get(get_claim))
        .route("/api/v1/claims/{id}/settlements", post(settle))
        .route("/api/v1/claims/{id}/actions", post(act))
        .route("/api/v1/claims/{id}/resubmissions", post(resubmit))
        .route("/api/v1/settlements", post(settle_many))
        .route("/api/v1/settlements/proposal", get(propose))
}

/// `{id}` is a claim id or `partner/claim number` (URL-encoded).
async fn find(
    reader: &mut dyn store::StoreRead,
    id: &str,
) -> Result<Option<store::ClaimRecord>, store::StoreError> {
    if let Ok(uuid) = id.parse::<Uuid>() {
        return reader.get_claim(uuid).await;
    }
    match id.split_once('/') {
        Some((partner, number)) => reader.find_claim(partner, number).await,
        None => Ok(None),
    }
}

/// The claim `id` names, or the answer to give when there is none (404) or the store
/// failed (500).
/// The claim `id` names and the engine's partners (for the actions that need its settings).
pub(crate) async fn claim_and_partners(
    state: &AppState,
    id: &str,
) -> Result<(store::ClaimRecord, std::sync::Arc<apply::Partners>), Response> {
    let claim = found_claim(state, id).await?;
    let partners = state
        .shared
        .partners()
        .map_err(|e| internal("loading the partner profiles", &e))?;
    Ok((claim, partners))
}

pub(crate) async fn found_claim(
    state: &AppState,
    id: &str,
) -> Result<store::ClaimRecord, Response> {
    let found = async {
        let mut reader = state.shared.store.reader().await?;
        find(&mut *reader, id).await
    }
    .await;
    match found {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(error(StatusCode::NOT_FOUND, &format!("no claim {id}"))),
        Err(e) => Err(internal(&format!("reading claim {id}"), &e)),
    }
}

/// `GET /api/v1/claims?status=settlement_pending&partner=acmepharma&number=GDD-CB`: claims,
/// split children too, newest first (the filters of `GET /api/v1/batches` but `role`).
async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<crate::batches_api::ListQuery>,
) -> Response {
    if q.role.is_some() {
        return crate::api::BadRequest(
            "role: claims are not filtered by role (it is a batch filter)".to_owned(),
        )
        .into_response();
    }
    let filter = match q.filter(&claim_statuses()) {
        Ok(f) => f,
        Err(bad) => return bad.into_response(),
    };
    let listed = async {
        let mut reader = state.shared.store.reader().await?;
        reader.list_claims(&filter).await
    }
    .await;
    match listed {
        Ok(rows) => Json(
            rows.iter()
                .map(|c| {
                    json!({
                        "id": c.id, "partner": c.partner, "claim_number": c.claim_number,
                        "status": c.status, "amount": c.amount, "version": c.version,
                        "batch_id": c.batch_id, "parent_id": c.parent_id,
                        "created_at": c.created_at, "updated_at": c.updated_at,
                    })
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => internal("listing claims", &e),
    }
}

/// `GET /api/v1/claims/{id}?lines_limit=500&after=0&line_status=open`: the claim, its line
/// counts and amounts by status (`line_summary`), its 849s, sends and dispute cases, and one
/// page of its lines in line order with `next_after` (`null` at the end), as batches page
/// theirs.
async fn get_claim(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<LinesQuery>,
) -> Response {
    let page = match q.page(&claim_line_statuses()) {
        Ok(p) => p,
        Err(bad) => return bad.into_response(),
    };
    let result = async {
        let mut reader = state.shared.store.reader().await?;
        let Some(claim) = find(&mut *reader, &id).await? else {
            return Ok(None);
        };
        let lines = reader.claim_lines_page(claim.id, &page).await?;
        let (lines, next_after) = split_page(lines, &page, |l| l.line.line_no);
        let totals = reader.claim_line_totals(claim.id).await?;
        let responses = reader.responses_for_claim(claim.id).await?;
        let transmissions = reader.claim_transmissions(claim.id).await?;
        let disputes = reader.disputes_for_claim(claim.id).await?;
        let mut body = json!({
            "id": claim.id,
            "partner": claim.partner,
            "claim_number": claim.claim_number,
            "status": claim.status,
            "amount": claim.amount,
            "batch_id": claim.batch_id,
            "parent_id": claim.parent_id,
            "version": claim.version,
            "lines": lines.iter().map(|l| json!({
                "line_no": l.line.line_no,
                "status": l.line.status,
                "claimed_amount": l.line.claimed_amount,
                "approved_amount": l.line.approved_amount,
                "batch_id": l.line.batch_id,
                "batch_line_no": l.line.batch_line_no,
            })).collect::<Vec<_>>(),
            "next_after": next_after,
            "line_summary": claim_line_summary(&totals),
            "responses": responses.iter().map(response_json).collect::<Vec<_>>(),
            "transmissions": transmissions.iter().map(|t| json!({
                "seq": t.seq,
                "status": t.status.as_str(),
                "control_numbers": {"isa13": t.isa13, "gs06": t.gs06, "st02": t.st02},
                "sent_at": t.created_at,
            })).collect::<Vec<_>>(),
            "disputes": disputes.iter().map(|d| json!({
                "id": d.id,
                "status": d.status,
                "amount": d.amount,
                "version": d.version,
            })).collect::<Vec<_>>(),
        });
        if let (Some(obj), Ok(engine)) = (
            body.as_object_mut(),
            serde_json::from_value::<ClaimRecord>(claim.payload.clone()),
        ) {
            obj.extend(lifecycle_json(
                &engine,
                state.shared.settings.engine.today(chrono::Utc::now()),
            ));
            // A received claim: held for review (13.1) or answered, with its adjudication.
            obj.insert("role".into(), json!(engine.role));
            if engine.role == engine::settings::Role::Adjudicator {
                let held = apply::held_for_review(&mut *reader, &claim).await?;
                obj.insert("held".into(), held.into());
                if let Some(report) = engine.extra.get("adjudication") {
                    obj.insert("adjudication".into(), report.clone());
                }
            }
        }
        Ok::<_, store::StoreError>(Some(body))
    }
    .await;
    match result {
        Ok(Some(body)) => Json(body).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, &format!("no claim {id}")),
        Err(e) => internal(&format!("reading claim {id}"), &e),
    }
}

/// A claim's line counts and amount totals, overall and by status.
fn claim_line_summary(totals: &[store::ClaimLineTotals]) -> serde_json::Value {
    crate::api::line_summary(
        totals,
        |t| &t.status,
        |t| t.lines,
        &[
            ("claimed_amount", |t| t.claimed_amount),
            ("approved_amount", |t| t.approved_amount),
        ],
    )
}

/// An 849 as the claim and the Unmatched Responses queue list it.
pub(crate) fn response_json(r: &store::ResponseRecord) -> serde_json::Value {
    let r = &r.response;
    json!({
        "id": r.id,
        "partner": r.partner,
        "debit_memo": r.debit_memo,
        "claim_id": r.claim_id,
        "match_status": r.match_status.as_str(),
        "total_claimed": r.total_claimed,
        "total_approved": r.total_approved,
        "control_numbers": {"isa13": r.isa13, "gs06": r.gs06, "st02": r.st02},
        "received_at": r.at,
    })
}

/// Where the claim stands in its lifecycle (chargeback-rules 8.2, 8.5): dates, settled and
/// remaining amounts, age in days ((settlement date or today) − claim date, frozen at
/// settlement) and the instruments recorded.
fn lifecycle_json(
    claim: &ClaimRecord,
    today: NaiveDate,
) -> serde_json::Map<String, serde_json::Value> {
    let d = &claim.dates;
    let value = json!({
        "dates": {
            "claim": claim.date,
            "sent": d.sent,
            "acknowledged": d.acknowledged,
            "response": d.response,
            "accounting": d.accounting,
            "settlement": d.settlement,
        },
        "settled_amount": claim.settled(),
        "split_amount": claim.split_amount(),
        "remaining_amount": claim.remaining(),
        "age_days": claim.age_days(today),
        "aging_bucket": claim.aging_bucket(today),
        "settlements": claim.instruments,
        "mass_settlement": claim.instruments.iter().rev().find_map(|i| i.mass_settlement.clone()),
        "automatic_split": claim.automatic,
        "written_off": claim.written_off,
        "resubmitted_as": claim.resubmitted_as,
    });
    match value {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// Body of `POST /api/v1/claims/{id}/settlements`: one instrument (chargeback-rules 8.3). A
/// misspelt field is refused, not ignored (a `mass_setlement` would record the instrument
/// without its mass settlement number, and its number could not be recorded again).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettlementRequest {
    /// The claim version the analyst saw.
    pub expected_version: i64,
    /// Who records it (audited).
    #[serde(default = "analyst")]
    pub actor: String,
    /// `credit_memo_on_account`, `credit_memo_on_invoice`, `check`,
    /// `payables_default_payment`, `deduction` or `{"user_defined": "name"}`.
    pub method: SettlementMethod,
    /// Credit memo, check or payment number.
    pub number: String,
    /// Its date.
    pub date: NaiveDate,
    /// The amount allocated to this claim.
    pub amount: Decimal,
    /// Mass settlement number when one instrument pays several claims.
    #[serde(default)]
    pub mass_settlement: Option<String>,
}

fn analyst() -> String {
    "analyst".into()
}

/// Body of `POST /api/v1/claims/{id}/actions`, e.g. `{"expected_version": 3, "actor":
/// "ann", "action": {"action": "split", "amount": "4.00"}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimActionRequest {
    /// The claim version the user saw.
    pub expected_version: i64,
    /// Who acts (audited).
    #[serde(default = "analyst")]
    pub actor: String,
    /// The action.
    pub action: apply::ClaimAction,
}

async fn act(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ClaimActionRequest>,
) -> Response {
    let claim = match found_claim(&state, &id).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let ctx = state.shared.context(req.actor.clone());
    match apply::apply_claim_action(
        &*state.shared.store,
        claim.id,
        req.expected_version,
        &req.action,
        &ctx,
    )
    .await
    {
        Ok(outcome) => Json(json!({
            "version": outcome.version,
            "status": outcome.status,
            "remaining_amount": outcome.remaining,
            "child": outcome.child.as_ref().map(|(id, number)| json!({"id": id, "claim_number": number})),
            "closed_parents": outcome.closed_parents,
            "summary": outcome.summary,
        }))
        .into_response(),
        Err(e) => failure(&format!("claim {}", claim_label(&claim)), &e),
    }
}

/// How the API names a claim in its messages: `partner/claim number`.
fn claim_label(claim: &store::ClaimRecord) -> String {
    format!("{}/{}", claim.partner, claim.claim_number)
}

/// Body of `POST /api/v1/claims/{id}/resubmissions` on a split child: `{"expected_version":
/// 1, "actor": "ann", "lines": ["1"], "corrections": [{"line": "1", "contract_price":
/// "41.25"}]}` (chargeback-rules 7.4 Resubmit, 7.5). The fields of [`apply::Resubmission`] are
/// spelt out rather than flattened: serde ignores `deny_unknown_fields` through `flatten`, and
/// a misspelt `corections` would resubmit the lines uncorrected.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResubmitRequest {
    /// The child's version the user saw.
    pub expected_version: i64,
    /// Who resubmits (audited; the approver of the resubmission).
    #[serde(default = "analyst")]
    pub actor: String,
    /// The lines (PAD01) to resubmit; every line left unpaid when empty.
    #[serde(default)]
    pub lines: Vec<String>,
    /// Corrections of those lines.
    #[serde(default)]
    pub corrections: Vec<engine::claims::LineCorrection>,
}

impl ResubmitRequest {
    /// The lines and their corrections.
    pub fn resubmission(&self) -> apply::Resubmission {
        apply::Resubmission {
            lines: self.lines.clone(),
            corrections: self.corrections.clone(),
        }
    }
}

async fn resubmit(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ResubmitRequest>,
) -> Response {
    let (claim, partners) = match claim_and_partners(&state, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let ctx = state.shared.context(req.actor.clone());
    match apply::resubmit_claim(
        &*state.shared.store,
        &partners,
        claim.id,
        req.expected_version,
        &req.resubmission(),
        &ctx,
    )
    .await
    {
        Ok(outcome) => {
            state.shared.wake_relay.notify_one();
            Json(json!({
                "version": outcome.version,
                "status": outcome.status,
                "resubmission": {
                    "id": outcome.claim.0,
                    "claim_number": outcome.claim.1,
                    "amount": outcome.amount,
                },
                "closed_parents": outcome.closed_parents,
                "summary": outcome.summary,
            }))
            .into_response()
        }
        Err(e) => failure(&format!("claim {}", claim_label(&claim)), &e),
    }
}

async fn settle(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<SettlementRequest>,
) -> Response {
    let claim = match found_claim(&state, &id).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let ctx = state.shared.context(req.actor.clone());
    let number = req.number.clone();
    let instrument = Instrument {
        method: req.method,
        number: req.number,
        date: req.date,
        amount: req.amount,
        mass_settlement: req.mass_settlement,
    };
    match apply::apply_claim_settlement(
        &*state.shared.store,
        claim.id,
        req.expected_version,
        instrument,
        &ctx,
    )
    .await
    {
        Ok(outcome) => Json(json!({
            "version": outcome.version,
            "status": outcome.status,
            "settled_amount": outcome.settled,
            "remaining_amount": outcome.remaining,
            "closed_parents": outcome.closed_parents,
            "summary": outcome.summary,
        }))
        .into_response(),
        Err(apply::ApplyError::Store(store::StoreError::Duplicate { .. })) => {
            already_recorded(&number)
        }
        Err(e) => failure(&format!("claim {}", claim_label(&claim)), &e),
    }
}

/// 409 for an instrument recorded before (its partner and number are taken).
fn already_recorded(number: &str) -> Response {
    error(
        StatusCode::CONFLICT,
        &format!(
            "settlement instrument {number} is already recorded for this partner; a second \
             allocation of it goes in one mass settlement (POST /api/v1/settlements)"
        ),
    )
}

/// One allocation of `POST /api/v1/settlements`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationRequest {
    /// Claim id or `partner/claim number`.
    pub claim: String,
    /// The claim version the analyst saw.
    pub expected_version: i64,
    /// Amount of the instrument allocated to the claim.
    pub amount: Decimal,
}

/// Query of `GET /api/v1/settlements/proposal?partner=acmepharma&amount=150.00`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalQuery {
    /// The partner the instrument comes from.
    pub partner: String,
    /// Its amount.
    pub amount: rust_decimal::Decimal,
}

/// An instrument with no remittance, allocated oldest first (chargeback-rules 7.3): the
/// allocations, ready to confirm as the body of `POST /api/v1/settlements`, and what is
/// left unallocated. Reads only.
async fn propose(State(state): State<AppState>, ApiQuery(q): ApiQuery<ProposalQuery>) -> Response {
    match apply::propose_allocations(&*state.shared.store, &q.partner, q.amount).await {
        Ok(p) => Json(json!({
            // As `POST /api/v1/settlements` takes them: the claim as `partner/number`.
            "allocations": p.allocations.iter().map(|(a, number)| json!({
                "claim": format!("{}/{number}", q.partner),
                "expected_version": a.expected_version, "amount": a.amount,
            })).collect::<Vec<_>>(),
            "unallocated": p.unallocated,
        }))
        .into_response(),
        Err(e) => failure(&format!("partner {}", q.partner), &e),
    }
}

/// Body of `POST /api/v1/settlements`: one instrument for several claims (chargeback-rules
/// 7.3, 8.2, 8.3); a misspelt field is refused, not ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MassSettlementRequest {
    /// Who records it (audited).
    #[serde(default = "analyst")]
    pub actor: String,
    /// As in the single-claim request.
    pub method: SettlementMethod,
    /// Credit memo, check or payment number.
    pub number: String,
    /// Its date.
    pub date: NaiveDate,
    /// The mass settlement number; `MS-<number>` when not given.
    #[serde(default)]
    pub mass_settlement: Option<String>,
    /// One per claim.
    pub allocations: Vec<AllocationRequest>,
}

async fn settle_many(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<MassSettlementRequest>,
) -> Response {
    let mut allocations = Vec::with_capacity(req.allocations.len());
    let mut labels = std::collections::HashMap::new();
    let mut reader = match state.shared.store.reader().await {
        Ok(r) => r,
        Err(e) => return internal("reading the claims to settle", &e),
    };
    for a in &req.allocations {
        match find(&mut *reader, &a.claim).await {
            Ok(Some(c)) => {
                labels.insert(c.id, claim_label(&c));
                allocations.push(apply::Allocation {
                    claim: c.id,
                    expected_version: a.expected_version,
                    amount: a.amount,
                });
            }
            Ok(None) => return error(StatusCode::NOT_FOUND, &format!("no claim {}", a.claim)),
            Err(e) => return internal("reading the claims to settle", &e),
        }
    }
    drop(reader);
    let ctx = state.shared.context(req.actor.clone());
    let number = req.number.clone();
    let settlement = apply::MassSettlement {
        method: req.method,
        number: req.number,
        date: req.date,
        mass_settlement: req.mass_settlement,
        allocations,
    };
    match apply::apply_mass_settlement(&*state.shared.store, settlement, &ctx).await {
        Ok(outcome) => {
            let closed_parents = outcome
                .claims
                .first()
                .map(|(_, _, o)| o.closed_parents.clone())
                .unwrap_or_default();
            Json(json!({
                "mass_settlement": outcome.mass_settlement,
                "amount": outcome.amount,
                "claims": outcome.claims.iter().map(|(id, number, o)| json!({
                    "id": id,
                    "claim_number": number,
                    "version": o.version,
                    "status": o.status,
                    "settled_amount": o.settled,
                    "remaining_amount": o.remaining,
                })).collect::<Vec<_>>(),
                "closed_parents": closed_parents,
            }))
            .into_response()
        }
        Err(apply::ApplyError::Store(store::StoreError::Duplicate { .. })) => {
            already_recorded(&number)
        }
        Err(ref e @ apply::ApplyError::Conflict { id, .. }) => {
            let label = labels.get(&id).cloned().unwrap_or_else(|| id.to_string());
            failure(&format!("claim {label}"), e)
        }
        Err(e) => failure(&format!("mass settlement {number}"), &e),
    }
}
