//! The dispute CSV of chargeback-rules §9 over HTTP: `GET /api/v1/batches/{id}/disputes.csv`
//! downloads a batch's disputed lines (`<batch_number>-disputes-<yyyymmdd>.csv`), and
//! `POST /api/v1/batches/{id}/corrections?expected_version=N` uploads the corrected file
//! (body: the CSV) as a new Corrected CSV batch linked to it. A file that does not fit is
//! answered 422 with its row and column; a stale version 409; nothing is written either way.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::api::{ApiBody, ApiPath, ApiQuery, failure, internal};
use crate::batches_api::found;
use crate::http::AppState;

/// The dispute CSV routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/batches/{id}/disputes.csv", get(download))
        .route("/api/v1/batches/{id}/corrections", post(upload))
}

/// The file streams: the header, then the rows of a page of lines at a time as the store
/// reads them ([`apply::DisputeFile`]), so neither the file nor the batch is held whole. A
/// failure before the first byte is answered as any API error; one after it (the store gone
/// mid-file) is logged and ends the response without its last chunk, so the client sees an
/// incomplete download, never a short file that looks whole.
async fn download(State(state): State<AppState>, ApiPath(id): ApiPath<String>) -> Response {
    let batch = match found(&state, &id).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let ctx = state.shared.context("analyst".to_owned());
    let store = state.shared.store.clone();
    let file = match apply::DisputeFile::open(&*store, batch.id, &ctx).await {
        Ok(file) => file,
        Err(e) => return failure(&format!("batch {}", batch.number), &e),
    };
    // The file name has no `/` or `"` (engine::disputes::export_file_name).
    let disposition = format!("attachment; filename=\"{}\"", file.file_name);
    let number = batch.number;
    let parts = futures_util::stream::try_unfold((file, store), move |(mut file, store)| {
        let number = number.clone();
        async move {
            match file.next_part(&*store).await {
                Ok(Some(part)) => Ok(Some((Bytes::from(part), (file, store)))),
                Ok(None) => Ok(None),
                Err(e) => {
                    tracing::error!(batch = %number, error = %e, "dispute CSV download broken off");
                    Err(e)
                }
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(parts),
    )
        .into_response()
}

/// Largest corrected file accepted, as a roster (a row is ~270 bytes: some 240,000 corrected
/// lines, a large batch's disputes); a larger one is 413.
const MAX_CORRECTIONS: usize = 64 * 1024 * 1024;

/// Query of `POST /api/v1/batches/{id}/corrections`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The source batch's version the user exported from.
    pub expected_version: i64,
    /// Who uploads (audited).
    #[serde(default = "analyst")]
    pub actor: String,
    /// The uploaded file's name, kept on the new batch.
    #[serde(default = "default_file_name")]
    pub file_name: String,
}

fn analyst() -> String {
    "analyst".into()
}

fn default_file_name() -> String {
    "corrections.csv".into()
}

async fn upload(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    ApiBody(body): ApiBody<MAX_CORRECTIONS>,
) -> Response {
    let batch = match found(&state, &id).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let partners = match state.shared.partners() {
        Ok(p) => p,
        Err(e) => return internal("loading the partner profiles", &e),
    };
    let ctx = state.shared.context(query.actor.clone());
    match apply::import_dispute_corrections(
        &*state.shared.store,
        &partners,
        batch.id,
        query.expected_version,
        (&query.file_name, &body),
        &ctx,
    )
    .await
    {
        Ok(done) => {
            if !done.outbound.is_empty() {
                state.shared.wake_relay.notify_one();
            }
            (
                StatusCode::CREATED,
                Json(json!({
                    "batch": {"id": done.batch, "number": done.number, "status": done.status},
                    "source_version": done.source_version,
                    "resubmitted": done.resubmitted,
                    "claim": done.claim.as_ref().map(|(n, a)| json!({"number": n, "amount": a})),
                    "summary": done.summary,
                })),
            )
                .into_response()
        }
        Err(e) => failure(&format!("batch {}", batch.number), &e),
    }
}
