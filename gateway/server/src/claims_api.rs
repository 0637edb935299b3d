//! The analyst's claim API (design.md 10): a claim with its lines, the 849s that answered it
//! and where the money stands, and the Unmatched Responses queue (849s no claim was found for).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::http::{AppState, error};

/// The claim routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/claims/{id}", get(get_claim))
        .route("/api/v1/responses/unmatched", get(unmatched))
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

async fn get_claim(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let result = async {
        let mut reader = state.shared.store.reader().await?;
        let Some(claim) = find(&mut *reader, &id).await? else {
            return Ok(None);
        };
        let lines = reader.claim_lines(claim.id).await?;
        let responses = reader.responses_for_claim(claim.id).await?;
        Ok::<_, store::StoreError>(Some(json!({
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
            "responses": responses.iter().map(response_json).collect::<Vec<_>>(),
        })))
    }
    .await;
    match result {
        Ok(Some(body)) => Json(body).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, &format!("no claim {id}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// `?partner=`.
#[derive(Debug, Deserialize)]
struct UnmatchedQuery {
    partner: Option<String>,
}

async fn unmatched(State(state): State<AppState>, Query(q): Query<UnmatchedQuery>) -> Response {
    match state
        .shared
        .store
        .unmatched_responses(q.partner.as_deref())
        .await
    {
        Ok(rows) => Json(rows.iter().map(response_json).collect::<Vec<_>>()).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

fn response_json(r: &store::ResponseRecord) -> serde_json::Value {
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
