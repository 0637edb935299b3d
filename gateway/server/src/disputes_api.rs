//! The analyst's dispute cases (chargeback-rules 6.4, 7.4 Dispute): opening a case on claim
//! lines an 849 left unpaid, reading it, and acting on it (submit, start review, decide,
//! withdraw) under optimistic concurrency on its version, as the claim actions are. The clock
//! expires cases past their due date (D6) on the claim-period cut's tick.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::api::{
    ApiJson, ApiPath, ApiQuery, BadRequest, dispute_statuses, failure, internal, list_page,
    statuses,
};
use crate::claims_api::claim_and_partners;
use crate::http::{AppState, error};

/// The dispute routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/claims/{id}/disputes", post(open))
        .route("/api/v1/disputes", get(list))
        .route("/api/v1/disputes/{id}", get(get_case))
        .route("/api/v1/disputes/{id}/actions", post(act))
}

fn analyst() -> String {
    "analyst".into()
}

/// Body of `POST /api/v1/claims/{id}/disputes`: `{"actor": "ann", "lines": ["1"], "amount":
/// "6.00", "reason": "...", "evidence": [...], "owner": "...", "counterparty_contact": "..."}`.
/// The fields of [`apply::OpenDispute`] are spelt out rather than flattened: serde ignores
/// `deny_unknown_fields` through `flatten`, and a misspelt `evidnce` would open the case
/// without its evidence.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenRequest {
    /// Who opens it (audited; the owner when none is given).
    #[serde(default = "analyst")]
    pub actor: String,
    /// The claim lines (PAD01) disputed.
    pub lines: Vec<String>,
    /// The amount disputed.
    pub amount: rust_decimal::Decimal,
    /// Why.
    pub reason: String,
    /// Evidence.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Who owns the case; the acting user when not given.
    #[serde(default)]
    pub owner: Option<String>,
    /// The counterparty's contact.
    #[serde(default)]
    pub counterparty_contact: Option<String>,
}

impl OpenRequest {
    /// The case to open.
    pub fn case(&self) -> apply::OpenDispute {
        apply::OpenDispute {
            lines: self.lines.clone(),
            amount: self.amount,
            reason: self.reason.clone(),
            evidence: self.evidence.clone(),
            owner: self.owner.clone(),
            counterparty_contact: self.counterparty_contact.clone(),
        }
    }
}

/// Body of `POST /api/v1/disputes/{id}/actions`, e.g. `{"expected_version": 2, "actor":
/// "ann", "action": {"action": "decide", "decision": "partially_won", "recovered": "4.00"}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// The case version the user saw.
    pub expected_version: i64,
    /// Who acts (audited).
    #[serde(default = "analyst")]
    pub actor: String,
    /// The action.
    pub action: apply::DisputeAction,
}

fn outcome_json(o: &apply::DisputeOutcome) -> Response {
    Json(json!({
        "id": o.id,
        "version": o.version,
        "status": o.status,
        "case": o.case,
        "closed_claims": o.closed_claims,
        "summary": o.summary,
    }))
    .into_response()
}

async fn open(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<OpenRequest>,
) -> Response {
    let (claim, partners) = match claim_and_partners(&state, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let ctx = state.shared.context(req.actor.clone());
    match apply::open_dispute(&*state.shared.store, &partners, claim.id, &req.case(), &ctx).await {
        Ok(o) => outcome_json(&o),
        Err(e) => failure(
            &format!("claim {}/{}", claim.partner, claim.claim_number),
            &e,
        ),
    }
}

fn case_json(d: &store::DisputeRecord) -> serde_json::Value {
    json!({
        "id": d.id,
        "partner": d.partner,
        "claim_id": d.claim_id,
        "status": d.status,
        "amount": d.amount,
        "version": d.version,
        "case": d.payload,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    })
}

/// `?status=open,submitted&partner=acmepharma&limit=100&after=<id>`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Statuses, comma-separated (default: the open ones, `open,submitted,under_review`).
    pub status: Option<String>,
    /// Partner.
    pub partner: Option<String>,
    /// At most this many (default 100, between 1 and 1,000).
    pub limit: Option<i64>,
    /// The cases after this one, newest first: the `id` of the last case of the page before.
    pub after: Option<Uuid>,
}

/// `GET /api/v1/disputes`: the cases to work (open ones by default), newest first, a page at
/// a time; the filters are the database's (`StoreRead::list_disputes`).
async fn list(State(state): State<AppState>, ApiQuery(q): ApiQuery<ListQuery>) -> Response {
    let statuses = match statuses(
        "status",
        q.status.as_deref().unwrap_or("open,submitted,under_review"),
        &dispute_statuses(),
    ) {
        Ok(s) => s,
        Err(bad) => return bad.into_response(),
    };
    let page = match list_page(q.limit, q.after) {
        Ok(p) => p,
        Err(bad) => return bad.into_response(),
    };
    let listed = async {
        let mut reader = state.shared.store.reader().await?;
        if let Some(after) = page.after
            && reader.get_dispute(after).await?.is_none()
        {
            return Ok(None);
        }
        reader
            .list_disputes(&statuses, q.partner.as_deref(), &page)
            .await
            .map(Some)
    }
    .await;
    match listed {
        Ok(Some(rows)) => Json(rows.iter().map(case_json).collect::<Vec<_>>()).into_response(),
        Ok(None) => BadRequest(format!(
            "after: no dispute case {}; give the id of the last case of the page before",
            page.after.unwrap_or_default()
        ))
        .into_response(),
        Err(e) => internal("listing dispute cases", &e),
    }
}

async fn get_case(State(state): State<AppState>, ApiPath(id): ApiPath<String>) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return error(StatusCode::NOT_FOUND, &format!("no dispute case {id}"));
    };
    let found = async {
        let mut reader = state.shared.store.reader().await?;
        reader.get_dispute(id).await
    }
    .await;
    match found {
        Ok(Some(d)) => Json(case_json(&d)).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, &format!("no dispute case {id}")),
        Err(e) => internal(&format!("reading dispute case {id}"), &e),
    }
}

async fn act(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ActionRequest>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return error(StatusCode::NOT_FOUND, &format!("no dispute case {id}"));
    };
    let ctx = state.shared.context(req.actor.clone());
    match apply::apply_dispute_action(
        &*state.shared.store,
        id,
        req.expected_version,
        &req.action,
        &ctx,
    )
    .await
    {
        Ok(o) => outcome_json(&o),
        Err(e) => failure(&format!("dispute case {id}"), &e),
    }
}
