//! HTTP (design.md 10, 11): health, readiness, Prometheus metrics, the transactions API with
//! replay, `POST /as2`, and the batch, claim and GPO roster APIs.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Deserialize;
use serde_json::json;
use store::{TransactionFilter, TxState};
use uuid::Uuid;

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
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/transactions", get(list_transactions))
        .route("/api/v1/transactions/{id}", get(get_transaction))
        .route("/api/v1/transactions/{id}/replay", post(replay_transaction))
        .merge(crate::as2_endpoint::routes())
        .merge(crate::batches_api::routes())
        .merge(crate::claims_api::routes())
        .merge(crate::disputes_api::routes())
        .merge(crate::dispute_csv_api::routes())
        .merge(crate::responses_api::routes())
        .merge(
            crate::rosters_api::routes().with_state(crate::rosters_api::RosterState {
                store: state.shared.store.clone(),
                engine: state.shared.settings.engine.clone(),
            }),
        )
        .merge(crate::contracts_api::routes())
        .with_state(state)
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
pub struct ListQuery {
    /// Only failed transactions.
    #[serde(default)]
    pub failed: bool,
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
    /// At most this many.
    pub limit: Option<i64>,
}

impl ListQuery {
    /// The store filter.
    pub fn filter(&self) -> TransactionFilter {
        TransactionFilter {
            partner: self.partner.clone(),
            state: self.failed.then_some(TxState::Failed),
            failed_only: self.failed,
            control_number: self.control_number.clone(),
            invoice: self.invoice.clone(),
            debit_memo: self.debit_memo.clone(),
            doc_type: self.doc_type.clone(),
            limit: self.limit,
            ..Default::default()
        }
    }
}

async fn list_transactions(State(state): State<AppState>, Query(q): Query<ListQuery>) -> Response {
    match state.shared.store.list_transactions(&q.filter()).await {
        Ok(rows) => Json(rows).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

async fn get_transaction(State(state): State<AppState>, Path(id): Path<Uuid>) -> Response {
    let store = &state.shared.store;
    match store.get_transaction(id).await {
        Ok(Some(tx)) => {
            let children = store.child_transactions(id).await.unwrap_or_default();
            Json(json!({ "transaction": tx, "children": children })).into_response()
        }
        Ok(None) => error(StatusCode::NOT_FOUND, &format!("no transaction {id}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

async fn replay_transaction(State(state): State<AppState>, Path(id): Path<Uuid>) -> Response {
    match replay(&state.ingest, id).await {
        Ok(done) => Json(done).into_response(),
        Err(crate::PipelineError::NoTransaction(_)) => {
            error(StatusCode::NOT_FOUND, &format!("no transaction {id}"))
        }
        Err(e @ crate::PipelineError::NotReplayable(..)) => {
            error(StatusCode::CONFLICT, &e.to_string())
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// A JSON error body.
pub fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}
