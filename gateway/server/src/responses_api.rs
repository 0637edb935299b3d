//! 849s received (chargeback-rules 7.6): `GET /api/v1/responses/unmatched[?partner=]` lists
//! the Unmatched Responses queue (kept, never dropped; newest first, a page at a time:
//! `limit`, `after`), and `POST
//! /api/v1/responses/{id}/link` with `{"claim": "acmepharma/GDD-CB-…", "actor": "ann"}` links
//! one to the claim it answers: audited, and reconciled as if it had matched (404 unknown
//! 849 or claim, 422 already linked or another partner's claim, 409 when it was linked
//! meanwhile; nothing written then).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::api::{ApiJson, ApiPath, ApiQuery, BadRequest, failure, internal, list_page};
use crate::claims_api::{found_claim, response_json};
use crate::http::{AppState, error};

/// The response routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/responses/unmatched", get(unmatched))
        .route("/api/v1/responses/{id}/link", post(link))
}

/// `?partner=acmepharma&limit=100&after=<id>`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnmatchedQuery {
    /// Partner.
    partner: Option<String>,
    /// At most this many (default 100, between 1 and 1,000).
    limit: Option<i64>,
    /// The 849s after this one, newest first: the `id` of the last 849 of the page before.
    after: Option<Uuid>,
}

/// `GET /api/v1/responses/unmatched`: the queue, newest received first, a page at a time.
async fn unmatched(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<UnmatchedQuery>,
) -> Response {
    let page = match list_page(q.limit, q.after) {
        Ok(p) => p,
        Err(bad) => return bad.into_response(),
    };
    let listed = async {
        let mut reader = state.shared.store.reader().await?;
        if let Some(after) = page.after
            && reader.get_response(after).await?.is_none()
        {
            return Ok(None);
        }
        reader
            .unmatched_responses_page(q.partner.as_deref(), &page)
            .await
            .map(Some)
    }
    .await;
    match listed {
        Ok(Some(rows)) => Json(rows.iter().map(response_json).collect::<Vec<_>>()).into_response(),
        Ok(None) => BadRequest(format!(
            "after: no 849 {}; give the id of the last 849 of the page before",
            page.after.unwrap_or_default()
        ))
        .into_response(),
        Err(e) => internal("listing unmatched 849s", &e),
    }
}

/// Body of `POST /api/v1/responses/{id}/link`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// The claim the 849 answers: its id, or `partner/claim-number`.
    pub claim: String,
    /// Who links it (audited).
    pub actor: String,
}

async fn link(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<LinkRequest>,
) -> Response {
    let claim = match found_claim(&state, &req.claim).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let partners = match state.shared.partners() {
        Ok(p) => p,
        Err(e) => return internal("loading the partner profiles", &e),
    };
    let ctx = state.shared.context(req.actor.clone());
    match apply::apply_response_link(&*state.shared.store, &partners, id, claim.id, &ctx).await {
        Ok(outcome) => Json(json!({
            "summary": outcome.summary,
            "refs": outcome.refs.iter().map(|(k, v)| json!({k: v})).collect::<Vec<_>>(),
        }))
        .into_response(),
        // Linked (or its claim changed) by someone else since it was read.
        Err(
            apply::ApplyError::Conflict { .. }
            | apply::ApplyError::Store(store::StoreError::NotFound { .. }),
        ) => error(
            StatusCode::CONFLICT,
            &format!(
                "849 {id} or claim {} changed while it was being linked; reload both and try \
                 again",
                req.claim
            ),
        ),
        Err(e) => failure(&format!("849 {id}"), &e),
    }
}
