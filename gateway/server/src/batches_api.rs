//! The analyst's batch API (design.md 10): read a batch by number, and act on it (Accept,
//! Reject with reason, Dispute, Pay and Close, ...) with optimistic concurrency: the body
//! names the version the analyst saw, and a stale one is answered 409 with nothing changed.
//! `POST /api/v1/batches/cut` cuts the claim periods that have ended (chargeback-rules 8.1)
//! on demand, as the service's tick does.
//!
//! A batch is read with its lines a page at a time (`lines_limit`, `after`, `line_status`):
//! the head carries the line counts and amount totals by status, summed by the database, so
//! neither the read nor the answer grows with the batch.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use engine::batch::BatchAction;
use serde::Deserialize;
use serde_json::json;

use crate::api::{
    ApiJson, ApiPath, ApiQuery, BadRequest, MAX_LISTED, batch_statuses, failure, in_range,
    internal, line_statuses, one_of, roles, statuses,
};
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
    /// At most this many (default 100, between 1 and 1,000).
    pub limit: Option<i64>,
}

impl ListQuery {
    /// The store filter; refused for a `status` (or `role`) that is not one of
    /// `accepted_statuses` (or a batch role), or a `limit` out of range.
    pub fn filter(self, accepted_statuses: &[String]) -> Result<store::EntityFilter, BadRequest> {
        if let Some(status) = &self.status {
            one_of("status", status, accepted_statuses)?;
        }
        if let Some(role) = &self.role {
            one_of("role", role, &roles())?;
        }
        in_range("limit", self.limit, (1, MAX_LISTED))?;
        Ok(store::EntityFilter {
            partner: self.partner,
            status: self.status,
            role: self.role,
            number: self.number,
            limit: self.limit,
            oldest_first: false,
        })
    }
}

/// `GET /api/v1/batches?status=awaiting_review&partner=gooddrug`: the batches to work,
/// newest first, without their lines.
async fn list(State(state): State<AppState>, ApiQuery(q): ApiQuery<ListQuery>) -> Response {
    let filter = match q.filter(&batch_statuses()) {
        Ok(f) => f,
        Err(bad) => return bad.into_response(),
    };
    let listed = async {
        let mut reader = state.shared.store.reader().await?;
        reader.list_batches(&filter).await
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
        Err(e) => internal("listing batches", &e),
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

async fn cut(State(state): State<AppState>, body: Option<ApiJson<CutRequest>>) -> Response {
    let req = body.map(|ApiJson(r)| r).unwrap_or_else(|| CutRequest {
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
        Err(apply::ApplyError::Conflict { id, .. }) => error(
            StatusCode::CONFLICT,
            &format!(
                "batch {id} kept changing while it was being cut; the batches cut so far stay \
                 cut: ask again to cut the rest"
            ),
        ),
        Err(e) => internal("cutting claim periods", &e),
    }
}

/// Body of `POST /api/v1/batches/{id}/actions` (a misspelt field is refused, not ignored).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
        Err(e) => Err(internal(&format!("reading batch {id}"), &e)),
    }
}

/// Query of `GET /api/v1/batches/{id}`: which page of its lines.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinesQuery {
    /// Lines a page (default [`DEFAULT_LINES`], between 1 and [`MAX_LINES`]).
    pub lines_limit: Option<i64>,
    /// The lines numbered above this (`next_after` of the page before; default 0).
    pub after: Option<i64>,
    /// Only lines in these statuses, comma-separated (`amount_disputed,duplicate`).
    pub line_status: Option<String>,
}

/// Lines a page by default.
pub const DEFAULT_LINES: i64 = 500;
/// Most lines a page.
pub const MAX_LINES: i64 = 5_000;

impl LinesQuery {
    /// The store's page, one line more than asked (to know whether another page follows);
    /// refused for a limit out of range, a negative `after`, or a status not in `accepted`.
    pub fn page(&self, accepted: &[String]) -> Result<store::LinePage, BadRequest> {
        in_range("lines_limit", self.lines_limit, (1, MAX_LINES))?;
        in_range("after", self.after, (0, i64::MAX))?;
        let statuses = match &self.line_status {
            Some(list) => statuses("line_status", list, accepted)?,
            None => Vec::new(),
        };
        Ok(store::LinePage {
            after: self.after.unwrap_or(0),
            limit: self.lines_limit.unwrap_or(DEFAULT_LINES) + 1,
            statuses,
        })
    }
}

/// A page read with one line more than asked: that line is dropped, and the page's last line
/// number is `next_after`; `None` when none followed.
pub(crate) fn split_page<T>(
    mut rows: Vec<T>,
    page: &store::LinePage,
    line_no: fn(&T) -> i64,
) -> (Vec<T>, Option<i64>) {
    let asked = usize::try_from(page.limit - 1).unwrap_or(0);
    if rows.len() > asked {
        rows.truncate(asked);
        let next = rows.last().map(line_no);
        (rows, next)
    } else {
        (rows, None)
    }
}

/// `GET /api/v1/batches/{id}?lines_limit=500&after=0&line_status=amount_disputed`: the batch,
/// its line counts and amounts by status (`line_summary`), its reports, and one page of its
/// lines in line order with `next_after`, the `after` of the next page (`null` at the end).
async fn get_batch(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<LinesQuery>,
) -> Response {
    let page = match q.page(&line_statuses()) {
        Ok(p) => p,
        Err(bad) => return bad.into_response(),
    };
    let b = match found(&state, &id).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let read = async {
        let mut r = state.shared.store.reader().await?;
        let lines = r.batch_lines_page(b.id, &page).await?;
        let totals = r.batch_line_totals(b.id).await?;
        let reports = r.batch_reports(b.id).await?;
        Ok::<_, store::StoreError>((lines, totals, reports))
    };
    let (lines, totals, reports) = match read.await {
        Ok(read) => read,
        Err(e) => return internal(&format!("reading batch {id}"), &e),
    };
    let (lines, next_after) = split_page(lines, &page, |l| l.line.line_no);
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
        "period": b.period_key, "period_end": b.period_end,
        "line_summary": line_summary(&totals),
        "reports": reports, "pending_lines": pending_lines,
        "lines": lines, "next_after": next_after,
    }))
    .into_response()
}

/// A batch's line counts and amount totals, overall and by status.
fn line_summary(totals: &[store::BatchLineTotals]) -> serde_json::Value {
    crate::api::line_summary(
        totals,
        |t| &t.status,
        |t| t.lines,
        &[
            ("claimed_amount", |t| t.claimed_amount),
            ("calculated_amount", |t| t.calculated_amount),
            ("accepted_amount", |t| t.accepted_amount),
        ],
    )
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
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ActionRequest>,
) -> Response {
    let batch = match found(&state, &id).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let partners = match state.shared.partners() {
        Ok(p) => p,
        Err(e) => return internal("loading the partner profiles", &e),
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
        Err(e) => failure(&format!("batch {}", batch.number), &e),
    }
}
