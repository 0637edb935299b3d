//! GPO roster uploads (chargeback-rules 2.2): `POST /api/v1/gpos/{gpo}/roster?mode=snapshot|delta`
//! with the roster CSV as the body (README, "GPO rosters"), and
//! `POST /api/v1/gpos/{gpo}/roster/{id}/approve` for a snapshot held because it would
//! deactivate more than 5 % of the members.
//!
//! Answers: 200 applied, 202 held for approval (with the upload id), 422 a refused file with
//! the row and column of the bad cell, 400 a missing or unknown `mode`, 404 an unknown upload,
//! 409 an upload already applied.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use engine::rosters::RosterCsvError;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::api::{ApiBody, ApiPath, ApiQuery, StoreState};
use crate::http::error;
use chrono::Utc;

/// Largest roster accepted (a GPO of a few hundred thousand members); a larger one is 413.
const MAX_ROSTER: usize = 64 * 1024 * 1024;

/// The roster routes.
pub fn routes() -> Router<StoreState> {
    Router::new()
        .route("/api/v1/gpos/{gpo}/roster", post(upload))
        .route("/api/v1/gpos/{gpo}/roster/{id}/approve", post(approve))
}

/// Query of the roster routes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterQuery {
    /// `snapshot` or `delta` (upload only).
    pub mode: Option<String>,
    /// Who uploads or approves (audited); `analyst` when absent.
    pub actor: Option<String>,
}

fn outcome_json(o: &apply::RosterOutcome) -> Response {
    let status = if o.status == "applied" {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let body = json!({
        "id": o.id,
        "gpo": o.gpo,
        "status": o.status,
        "applied": o.applied,
        "held": o.held.map(|(deactivating, members)| json!({"deactivating": deactivating, "members": members})),
        "summary": o.summary,
    });
    (status, Json(body)).into_response()
}

fn failure(gpo: &str, e: &apply::ApplyError) -> Response {
    match e {
        apply::ApplyError::Roster(RosterCsvError::Located {
            row,
            column,
            message,
        }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(
                json!({ "error": e.to_string(), "row": row, "column": column, "message": message }),
            ),
        )
            .into_response(),
        apply::ApplyError::Conflict { .. } => error(
            StatusCode::CONFLICT,
            &format!(
                "the roster of GPO {gpo} changed while this upload was applied; send it again"
            ),
        ),
        _ => crate::api::failure(&format!("the roster of GPO {gpo}"), e),
    }
}

async fn upload(
    State(state): State<StoreState>,
    ApiPath(gpo): ApiPath<String>,
    ApiQuery(q): ApiQuery<RosterQuery>,
    ApiBody(body): ApiBody<MAX_ROSTER>,
) -> Response {
    let Some(mode) = q.mode.as_deref().and_then(apply::RosterMode::parse) else {
        return error(
            StatusCode::BAD_REQUEST,
            "mode=snapshot or mode=delta is required",
        );
    };
    let ctx = state
        .engine
        .context(Utc::now(), q.actor.unwrap_or_else(|| "analyst".into()));
    match apply::apply_roster_upload(&*state.store, &gpo, mode, &body, &ctx).await {
        Ok(o) => outcome_json(&o),
        Err(e) => failure(&gpo, &e),
    }
}

async fn approve(
    State(state): State<StoreState>,
    ApiPath((gpo, id)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<RosterQuery>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return error(StatusCode::NOT_FOUND, &format!("no roster upload {id}"));
    };
    let ctx = state
        .engine
        .context(Utc::now(), q.actor.unwrap_or_else(|| "analyst".into()));
    match apply::approve_roster_upload(&*state.store, &gpo, id, &ctx).await {
        Ok(o) => outcome_json(&o),
        Err(e) => failure(&gpo, &e),
    }
}

#[cfg(test)]
mod tests;
