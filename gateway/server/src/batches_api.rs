//! The analyst's batch API (design.md 10): read a batch by number, and act on it (Accept,
//! Reject with reason, Dispute, Pay and Close, ...) with optimistic concurrency: the body
//! names the version the analyst saw, and a stale one is answered 409 with nothing changed.
//! `POST /api/v1/batches/cut` cuts the claim periods that have ended (chargeback-rules 8.1)
//! on demand, as the service's tick does.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use engine::batch::BatchAction;
use serde::Deserialize;
use serde_json::json;

use crate::http::{AppState, error};

/// The batch routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/batches", get(list))
        .route("/api/v1/batches/{id}", get(get_batch))
        .route("/api/v1/batches/{id}/actions", post(act))
        .route("/api/v1/batches/cut", post(cut))
}

/// Query of `GET /api/v1/batches` and `GET /api/v1/claims`: every filter optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Partner.
    pub partner: Option<String>,
    /// Status, e.g. `awaiting_review`.
    pub status: Option<String>,
    /// Batches only: `claimant` or `adjudicator`.
    pub role: Option<String>,
    /// Number prefix.
    pub number: Option<String>,
    /// At most this many (default 100, at most 1,000).
    pub limit: Option<i64>,
}

impl ListQuery {
    /// The store filter.
    pub fn filter(self) -> store::EntityFilter {
        store::EntityFilter {
            partner: self.partner,
            status: self.status,
            role: self.role,
            number: self.number,
            limit: self.limit,
            oldest_first: false,
        }
    }
}

/// `GET /api/v1/batches?status=awaiting_review&partner=gooddrug`: the batches to work,
/// newest first, without their lines.
async fn list(State(state): State<AppState>, Query(q): Query<ListQuery>) -> Response {
    let listed = async {
        let mut reader = state.shared.store.reader().await?;
        reader.list_batches(&q.filter()).await
    }
    .await;
    match listed {
        Ok(rows) => Json(
            rows.iter()
                .map(|b| {
                    json!({
                        "id": b.id, "number": b.number, "partner": b.partner, "role": b.role,
                        "status": b.status, "version": b.version, "debit_memo": b.debit_memo,
                        "period_end": b.period_end, "created_at": b.created_at,
                        "updated_at": b.updated_at,
                    })
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// Body of `POST /api/v1/batches/cut` (every field optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CutRequest {
    /// Only this partner's batches.
    #[serde(default)]
    pub partner: Option<String>,
    /// Cut the periods that end on or before this day (default: yesterday, the periods that
    /// have ended; a later day cuts a running period early, on purpose).
    #[serde(default)]
    pub through: Option<chrono::NaiveDate>,
    /// Who cuts (audited).
    #[serde(default = "analyst")]
    pub actor: String,
}

async fn cut(State(state): State<AppState>, body: Option<Json<CutRequest>>) -> Response {
    let req = body.map(|Json(r)| r).unwrap_or_else(|| CutRequest {
        actor: analyst(),
        ..CutRequest::default()
    });
    let ctx = state.shared.context(req.actor.clone());
    let Some(through) = req.through.or_else(|| ctx.today.pred_opt()) else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "no day before today");
    };
    match crate::cut::cut(&state.shared, through, req.partner.as_deref(), &ctx).await {
        Ok(cut) => Json(json!({
            "through": through,
            "batches": cut.iter().map(|c| json!({
                "id": c.id,
                "number": c.number,
                "period_end": c.period_end,
                "status": c.status,
                "version": c.version,
                "lines": c.lines,
                "claim": c.claim.as_ref().map(|(n, _)| n),
                "amount": c.claim.as_ref().map(|(_, a)| a),
            })).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e @ apply::ApplyError::UnknownPartner(_)) => {
            error(StatusCode::NOT_FOUND, &e.to_string())
        }
        // Another writer kept moving a batch: the batches cut stay cut; asking again cuts
        // the rest.
        Err(e @ apply::ApplyError::Conflict { .. }) => error(StatusCode::CONFLICT, &e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// Body of `POST /api/v1/batches/{id}/actions`.
#[derive(Debug, Deserialize)]
pub struct ActionRequest {
    /// The batch version the analyst acted on.
    pub expected_version: i64,
    /// Who acts (audited).
    #[serde(default = "analyst")]
    pub actor: String,
    /// The action, e.g. `{"action": "pay_and_close"}`.
    pub action: BatchAction,
}

fn analyst() -> String {
    "analyst".into()
}

/// `{id}` is a batch id, a batch number (`partner/supplier/period`, URL-encoded) or
/// `partner/report`: the batch that sales report went into.
async fn find(state: &AppState, id: &str) -> Result<Option<store::BatchRecord>, apply::ApplyError> {
    let mut reader = state.shared.store.reader().await?;
    apply::locate_batch(&mut *reader, id).await
}

/// The batch `{id}` names, or the response to give: 404 when there is none, 500 when the
/// store fails.
pub(crate) async fn found(state: &AppState, id: &str) -> Result<store::BatchRecord, Response> {
    match find(state, id).await {
        Ok(Some(b)) => Ok(b),
        Ok(None) => Err(error(StatusCode::NOT_FOUND, &format!("no batch {id}"))),
        Err(e) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())),
    }
}

async fn get_batch(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match find(&state, &id).await {
        Ok(Some(b)) => {
            let read = async {
                let mut r = state.shared.store.reader().await?;
                let lines = r.batch_lines(b.id).await?;
                let reports = r.batch_reports(b.id).await?;
                Ok::<_, store::StoreError>((lines, reports))
            };
            let (lines, reports) = match read.await {
                Ok(read) => read,
                Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
            };
            let lines: Vec<_> = lines.iter().map(line_json).collect();
            // A claim period's reports: until the cut their lines wait here, unprocessed.
            let pending_lines: i64 = reports
                .iter()
                .filter(|r| r.pending)
                .map(|r| r.line_count)
                .sum();
            let reports: Vec<_> = reports
                .iter()
                .map(|r| {
                    json!({
                        "report_id": r.report_id, "first_line_no": r.first_line_no,
                        "line_count": r.line_count, "pending": r.pending,
                    })
                })
                .collect();
            Json(json!({
                "id": b.id, "number": b.number, "partner": b.partner, "status": b.status,
                "version": b.version, "debit_memo": b.debit_memo,
                "period": b.period_key, "period_end": b.period_end, "lines": lines,
                "reports": reports, "pending_lines": pending_lines,
            }))
            .into_response()
        }
        Ok(None) => error(StatusCode::NOT_FOUND, &format!("no batch {id}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// What an analyst needs to work a line: keys, amounts, and why it is where it is.
fn line_json(l: &store::BatchLineRecord) -> serde_json::Value {
    let payload = l.line.payload.to_value();
    let v = &payload["validation"];
    json!({
        "line_no": l.line.line_no,
        "status": l.line.status,
        "invoice": l.line.invoice,
        "item": l.line.item,
        "customer": l.line.customer,
        "contract": l.line.contract,
        "quantity": l.line.quantity,
        "contract_price": l.line.contract_price,
        "claimed_amount": l.line.claimed_amount,
        "calculated_amount": l.line.calculated_amount,
        "accepted_amount": l.line.accepted_amount,
        "reason": v["primary"],
        "failures": v["failures"],
        "reject_reason": payload["reject_reason"],
        "claim_id": l.claim_id,
    })
}

async fn act(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(req): Json<ActionRequest>,
) -> Response {
    let batch = match found(&state, &id).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let partners = match state.shared.partners() {
        Ok(p) => p,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let ctx = state.shared.context(req.actor.clone());
    match apply::apply_batch_action(
        &*state.shared.store,
        &partners,
        batch.id,
        req.expected_version,
        req.action,
        &ctx,
    )
    .await
    {
        Ok(outcome) => {
            if !outcome.outbound.is_empty() {
                state.shared.wake_relay.notify_one();
            }
            Json(json!({
                "version": outcome.version,
                "status": outcome.status,
                "summary": outcome.summary,
                "outbound": outcome.outbound.iter().map(|o| json!({"partner": o.partner, "doc_type": o.doc_type, "message_id": o.message_id})).collect::<Vec<_>>(),
            }))
            .into_response()
        }
        Err(e @ apply::ApplyError::Conflict { .. }) => error(StatusCode::CONFLICT, &e.to_string()),
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
    }
}
