//! HTTP (design.md 10, 11): health, readiness, Prometheus metrics, the transactions API with
//! replay, `POST /as2`, and the batch, claim, GPO roster and reference price APIs; the OpenAPI
//! document of the API at `/api/v1/openapi.json` (`openapi.json`, kept beside this file).
//! Every error of the API is `{"error": "message"}` ([`error`], [`crate::api`]).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Deserialize;
use serde_json::json;
use store::{Direction, Step, TransactionFilter, TxState};
use uuid::Uuid;

use crate::api::{ApiJson, ApiPath, ApiQuery, BadRequest, in_range, internal, one_of};
use crate::ingest::Ingest;
use crate::replay::replay;
use crate::shared::Shared;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Gateway handles.
    pub shared: Arc<Shared>,
    /// The receive and parse/map steps.
    pub ingest: Arc<Ingest>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
}

/// The router.
pub fn router(state: AppState) -> Router {
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/transactions", get(list_transactions))
        .route("/api/v1/transactions/{id}", get(get_transaction))
        .route("/api/v1/transactions/{id}/replay", post(replay_transaction))
        .route(
            "/api/v1/transactions/{id}/dismiss",
            post(dismiss_transaction),
        )
        .route(
            "/api/v1/transactions/{id}/restore",
            post(restore_transaction),
        )
        .merge(crate::as2_endpoint::routes())
        .merge(crate::batches_api::routes())
        .merge(crate::claims_api::routes())
        .merge(crate::disputes_api::routes())
        .merge(crate::dispute_csv_api::routes())
        .merge(crate::responses_api::routes())
        .merge(
            crate::rosters_api::routes()
                .merge(crate::reference_prices_api::routes())
                .with_state(crate::api::StoreState {
                    store: state.shared.store.clone(),
                    engine: state.shared.settings.engine.clone(),
                }),
        )
        .merge(crate::contracts_api::routes())
        .route("/api/v1/openapi.json", get(openapi))
        .fallback(crate::api::not_found)
        .method_not_allowed_fallback(crate::api::method_not_allowed);
    crate::api::layers(router).with_state(state)
}

/// The OpenAPI 3.1 document of every `/api/v1` route (a test keeps it and the router in step).
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
        .into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    let database = match state.shared.store.reader().await {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    };
    let bus = state.shared.bus.check().await.map_err(|e| e.to_string());
    let drops = if state.shared.settings.paths.drop_root.is_dir() {
        Ok(())
    } else {
        Err(format!(
            "{} is not a directory",
            state.shared.settings.paths.drop_root.display()
        ))
    };
    let ready = database.is_ok() && bus.is_ok() && drops.is_ok();
    let show = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.clone(),
    };
    let body = json!({
        "ready": ready,
        "database": show(&database),
        "bus": show(&bus),
        "drop_folders": show(&drops),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

async fn metrics(State(state): State<AppState>) -> String {
    state.metrics.render()
}

/// Query of `GET /api/v1/transactions`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only failed transactions.
    #[serde(default)]
    pub failed: bool,
    /// State: `received`, `processing`, `done`, `failed` or `dismissed`.
    pub state: Option<String>,
    /// Direction: `inbound` or `outbound`.
    pub direction: Option<String>,
    /// Pipeline step: `receive`, `parse`, `map`, `outbox`, `engine`, `render` or `send`.
    pub step: Option<String>,
    /// Partner id.
    pub partner: Option<String>,
    /// ISA13, GS06 or ST02.
    pub control_number: Option<String>,
    /// Invoice number.
    pub invoice: Option<String>,
    /// Debit memo.
    pub debit_memo: Option<String>,
    /// Document type.
    pub doc_type: Option<String>,
    /// Only stuck transactions: `received` or `processing` and not updated for this many
    /// minutes (0 to 525,600): nothing is moving them, replay them.
    pub stuck: Option<i64>,
    /// At most this many (default 100, between 1 and 10,000).
    pub limit: Option<i64>,
}

/// Most transactions one request lists.
pub const MAX_TRANSACTIONS: i64 = 10_000;

/// The longest idle time `stuck` takes, in minutes (a year).
pub const MAX_STUCK_MINUTES: i64 = 525_600;

impl ListQuery {
    /// The store filter; refused for a value the filter does not know (naming those it does)
    /// or a `limit` out of range.
    pub fn filter(&self) -> Result<TransactionFilter, BadRequest> {
        fn code<T: Copy + std::str::FromStr>(
            param: &str,
            value: Option<&str>,
            all: &[T],
            text: fn(T) -> &'static str,
        ) -> Result<Option<T>, BadRequest> {
            let Some(value) = value else { return Ok(None) };
            let accepted: Vec<String> = all.iter().map(|v| text(*v).to_owned()).collect();
            one_of(param, value, &accepted)?;
            Ok(value.parse().ok())
        }
        in_range("limit", self.limit, (1, MAX_TRANSACTIONS))?;
        in_range("stuck", self.stuck, (0, MAX_STUCK_MINUTES))?;
        let state = code(
            "state",
            self.state.as_deref(),
            TxState::ALL,
            TxState::as_str,
        )?;
        // Every filter given holds: `failed=true` with another state would list nothing, and
        // used to list the failed ones as if `state` had not been given.
        if let (true, Some(state)) = (self.failed, state)
            && state != TxState::Failed
        {
            return Err(BadRequest(format!(
                "failed=true lists the failed transactions; state={} contradicts it: give one \
                 or the other",
                state.as_str()
            )));
        }
        Ok(TransactionFilter {
            partner: self.partner.clone(),
            state: state.or(self.failed.then_some(TxState::Failed)),
            failed_only: self.failed,
            direction: code(
                "direction",
                self.direction.as_deref(),
                Direction::ALL,
                Direction::as_str,
            )?,
            step: code("step", self.step.as_deref(), Step::ALL, Step::as_str)?,
            control_number: self.control_number.clone(),
            invoice: self.invoice.clone(),
            debit_memo: self.debit_memo.clone(),
            doc_type: self.doc_type.clone(),
            stuck_since: self
                .stuck
                .map(|minutes| chrono::Utc::now() - chrono::Duration::minutes(minutes)),
            limit: self.limit,
            ..Default::default()
        })
    }
}

async fn list_transactions(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Response {
    let filter = match q.filter() {
        Ok(f) => f,
        Err(bad) => return bad.into_response(),
    };
    match state.shared.store.list_transactions(&filter).await {
        Ok(rows) => Json(rows).into_response(),
        Err(e) => internal("listing transactions", &e),
    }
}

async fn get_transaction(State(state): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> Response {
    let store = &state.shared.store;
    match store.get_transaction(id).await {
        Ok(Some(tx)) => match store.child_transactions(id).await {
            Ok(children) => {
                Json(json!({ "transaction": tx, "children": children })).into_response()
            }
            Err(e) => internal(&format!("reading transaction {id}"), &e),
        },
        Ok(None) => error(StatusCode::NOT_FOUND, &format!("no transaction {id}")),
        Err(e) => internal(&format!("reading transaction {id}"), &e),
    }
}

async fn replay_transaction(State(state): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> Response {
    match replay(&state.ingest, id).await {
        Ok(done) => Json(done).into_response(),
        Err(crate::PipelineError::NoTransaction(_)) => {
            error(StatusCode::NOT_FOUND, &format!("no transaction {id}"))
        }
        Err(
            e @ (crate::PipelineError::NotReplayable(..)
            | crate::PipelineError::Done(_)
            | crate::PipelineError::Dismissed(_)),
        ) => error(StatusCode::CONFLICT, &e.to_string()),
        Err(e) => internal(&format!("replaying transaction {id}"), &e),
    }
}

/// `POST /api/v1/transactions/{id}/dismiss` and `/restore`: who sets a failed transaction
/// aside (or undoes that), and why.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DismissRequest {
    /// Who dismisses (or restores) it (audited).
    pub actor: String,
    /// Why (audited), e.g. the corrected file that replaced it.
    pub reason: String,
}

async fn dismiss_transaction(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<DismissRequest>,
) -> Response {
    let result = crate::replay::dismiss(&*state.shared.store, id, &body.actor, &body.reason).await;
    aside_response(id, "dismissing", result)
}

async fn restore_transaction(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<DismissRequest>,
) -> Response {
    let result = crate::replay::restore(&*state.shared.store, id, &body.actor, &body.reason).await;
    aside_response(id, "restoring", result)
}

/// The answer to a dismissal or its undoing: the transaction as it now is, 404 for an
/// unknown id, 409 saying its state when it is not in the state the action needs, 422
/// naming a blank field.
fn aside_response(
    id: Uuid,
    doing: &str,
    result: Result<store::TransactionRecord, crate::PipelineError>,
) -> Response {
    match result {
        Ok(tx) => Json(tx).into_response(),
        Err(crate::PipelineError::NoTransaction(_)) => {
            error(StatusCode::NOT_FOUND, &format!("no transaction {id}"))
        }
        Err(e @ (crate::PipelineError::NotFailed(..) | crate::PipelineError::NotDismissed(..))) => {
            error(StatusCode::CONFLICT, &e.to_string())
        }
        Err(e @ crate::PipelineError::Blank(_)) => {
            error(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string())
        }
        Err(e) => internal(&format!("{doing} transaction {id}"), &e),
    }
}

/// A JSON error body.
pub fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

#[cfg(test)]
mod tests;
