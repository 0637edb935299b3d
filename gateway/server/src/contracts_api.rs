//! The analyst's contract API: approving the retro run of a back-dated contract version
//! (chargeback-rules 5.3). The run re-evaluates past sales in one transaction and writes what
//! it made as Retro batches awaiting review; approving it again creates nothing and answers
//! what the first approval made.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use engine::identity::normalize_contract_number;
use serde::Deserialize;
use uuid::Uuid;

use crate::api::{ApiJson, ApiPath, failure, internal};
use crate::http::{AppState, error};

/// The contract routes.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/contracts/{contract}/versions/{version}/retro/approve",
        post(approve_retro),
    )
}

/// Body of `POST /api/v1/contracts/{contract}/versions/{n}/retro/approve`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetroApproval {
    /// Who approves the run (audited; the Retro batches' actor).
    pub actor: String,
}

/// `{contract}` is a contract id, `partner/contract number` or a contract number (URL-encoded);
/// a number several suppliers use must name the partner.
async fn find_run(
    state: &AppState,
    contract: &str,
    version: i64,
) -> Result<Result<Uuid, Response>, store::StoreError> {
    if let Ok(id) = contract.parse::<Uuid>() {
        return Ok(Ok(id));
    }
    let (partner, number) = match contract.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, contract),
    };
    let mut reader = state.shared.store.reader().await?;
    let runs: Vec<_> = reader
        .retro_runs_by_number(&normalize_contract_number(number), version)
        .await?
        .into_iter()
        .filter(|r| partner.is_none_or(|p| p == r.partner))
        .collect();
    Ok(match runs.as_slice() {
        [] => Err(error(
            StatusCode::NOT_FOUND,
            &format!("no retro run for contract {contract} version {version}"),
        )),
        [one] => Ok(one.contract_id),
        _ => Err(error(
            StatusCode::CONFLICT,
            &format!(
                "contract number {number} is used by several partners; name it as partner/number"
            ),
        )),
    })
}

async fn approve_retro(
    State(state): State<AppState>,
    ApiPath((contract, version)): ApiPath<(String, i64)>,
    ApiJson(req): ApiJson<RetroApproval>,
) -> Response {
    if req.actor.trim().is_empty() {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "an approving actor is required",
        );
    }
    let contract_id = match find_run(&state, &contract, version).await {
        Ok(Ok(id)) => id,
        Ok(Err(response)) => return response,
        Err(e) => return internal(&format!("finding the retro run of {contract}"), &e),
    };
    let partners = match state.shared.partners() {
        Ok(p) => p,
        Err(e) => return internal("loading the partner profiles", &e),
    };
    let ctx = state.shared.context(req.actor);
    match apply::apply_retro_approval(&*state.shared.store, &partners, contract_id, version, &ctx)
        .await
    {
        Ok(outcome) => Json(outcome).into_response(),
        Err(e) => failure(
            &format!("the retro run of contract {contract} version {version}"),
            &e,
        ),
    }
}
