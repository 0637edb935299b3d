//! What every `/api/v1` handler shares, so the API answers every error in its one shape,
//! `{"error": "message"}` ([`error`]):
//!
//! - [`ApiJson`], [`ApiQuery`], [`ApiPath`]: axum's extractors, their rejections (plain text in
//!   axum) answered as JSON with axum's status (400 a bad query or path or malformed JSON, 422
//!   a body of the wrong shape, 415 a body that is not JSON) and a message naming the
//!   parameter or field;
//! - [`ApiBody`]: an upload's body under its limit, a larger one 413 naming the limit (as a
//!   JSON body over axum's [`DEFAULT_BODY_LIMIT`] is), one sent as JSON 415;
//! - [`layers`]: a handler's panic answered as a JSON 500 with an error id;
//! - [`not_found`] and [`method_not_allowed`]: the router's fallbacks;
//! - the accepted values of the filters ([`one_of`], [`statuses`], [`in_range`]): an unknown
//!   one is 400 naming those accepted;
//! - [`failure`]: an engine or store failure as its answer — a stale version says which version
//!   the entity is at and which was sent, a failure of the machinery ([`internal`]) is logged
//!   with a short error id and answered with that id only, never with SQL or driver text.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::http::error;

/// A JSON body; a rejection is answered as the API's JSON error.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        if !is_json(req.headers()) {
            return Err(not_json());
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|r| bytes_rejection(&r))?;
        match json_body(&bytes) {
            Some(Ok(value)) => Ok(Self(value)),
            Some(Err(rejection)) => Err(json_rejection(&rejection)),
            None => Err(nul_in_body()),
        }
    }
}

/// A JSON body as `T`: a string holding a NUL character (`\u0000`) is refused, 422, as a
/// body of the wrong shape (PostgreSQL cannot store it, and SQLite would keep what
/// PostgreSQL refuses: both backends answer alike).
fn json_body<T: DeserializeOwned>(bytes: &Bytes) -> Option<Result<T, JsonRejection>> {
    if holds_escaped_nul(bytes) {
        return None;
    }
    Some(axum::Json::<T>::from_bytes(bytes).map(|axum::Json(value)| value))
}

/// The answer to a JSON body holding a NUL character.
fn nul_in_body() -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid request body: a string holds a NUL character (\\u0000), which the gateway \
         does not store",
    )
}

/// Whether JSON text holds the escape `\u0000` (a NUL in a string; JSON has no other way to
/// write one). Escapes are skipped whole, so `\\u0000` (a backslash, then `u0000`) is not.
fn holds_escaped_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1..i + 6) == Some(b"u0000".as_slice()) {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Whether a URI's path or query string holds a NUL character once decoded (`%00`).
fn holds_encoded_nul(text: &str) -> bool {
    text.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// An optional JSON body: an empty body is `None`, whatever its content type.
impl<T: DeserializeOwned, S: Send + Sync> OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Response> {
        let json = is_json(req.headers());
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|r| bytes_rejection(&r))?;
        if bytes.is_empty() {
            return Ok(None);
        }
        if !json {
            return Err(not_json());
        }
        match json_body(&bytes) {
            Some(Ok(value)) => Ok(Some(Self(value))),
            Some(Err(rejection)) => Err(json_rejection(&rejection)),
            None => Err(nul_in_body()),
        }
    }
}

/// The largest body axum reads by default (`DefaultBodyLimit`): every JSON body's limit.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// 413 for a body over `max` bytes.
pub fn too_large(max: usize) -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the request body is larger than {max} bytes"),
    )
}

/// axum's rejection of a body it could not buffer, as the API's error: 413 naming the limit
/// when the body is over it.
fn bytes_rejection(rejection: &BytesRejection) -> Response {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(DEFAULT_BODY_LIMIT);
    }
    error(rejection.status(), &rejection.body_text())
}

/// A request body (a CSV upload) of at most `MAX` bytes: one declared or found larger is
/// answered 413 as the API's JSON error, naming the limit. The route needs no
/// `DefaultBodyLimit`: this reads the body under its own. A body sent as JSON is 415: read as
/// CSV, it was refused 422 for a "column" that was the JSON text.
#[derive(Debug)]
pub struct ApiBody<const MAX: usize>(pub Bytes);

impl<const MAX: usize, S: Send + Sync> FromRequest<S> for ApiBody<MAX> {
    type Rejection = Response;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Response> {
        use http_body_util::BodyExt;
        if is_json(req.headers()) {
            return Err(error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the request body must be CSV, sent with Content-Type: text/csv",
            ));
        }
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX as u64) {
            return Err(too_large(MAX));
        }
        match http_body_util::Limited::new(req.into_body(), MAX)
            .collect()
            .await
        {
            Ok(collected) => Ok(Self(collected.to_bytes())),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(MAX)),
            Err(e) => Err(error(
                StatusCode::BAD_REQUEST,
                &format!("the request body could not be read: {e}"),
            )),
        }
    }
}

/// The layers every route is served through: a handler that panics is answered as a JSON
/// 500 with an error id ([`internal`]) instead of a dropped connection.
pub fn layers<S: Clone + Send + Sync + 'static>(router: axum::Router<S>) -> axum::Router<S> {
    router.layer(axum::middleware::from_fn(catch_panic))
}

async fn catch_panic(req: Request, next: axum::middleware::Next) -> Response {
    use futures_util::FutureExt;
    let doing = format!("answering {} {}", req.method(), req.uri().path());
    match std::panic::AssertUnwindSafe(next.run(req))
        .catch_unwind()
        .await
    {
        Ok(response) => response,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            internal(&doing, &format!("panicked: {what}"))
        }
    }
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase())
        .is_some_and(|mime| mime == "application/json" || mime.ends_with("+json"))
}

fn not_json() -> Response {
    error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "the request body must be JSON, sent with Content-Type: application/json",
    )
}

/// axum's rejection of a JSON body, as the API's error: what is wrong and where.
pub fn json_rejection(rejection: &JsonRejection) -> Response {
    let text = rejection.body_text();
    let message = match rejection {
        JsonRejection::JsonDataError(_) => format!(
            "invalid request body: {}",
            after_prefix(
                &text,
                "Failed to deserialize the JSON body into the target type"
            )
        ),
        JsonRejection::JsonSyntaxError(_) => format!(
            "the request body is not valid JSON: {}",
            after_prefix(&text, "Failed to parse the request body as JSON")
        ),
        JsonRejection::MissingJsonContentType(_) => return not_json(),
        JsonRejection::BytesRejection(bytes) => return bytes_rejection(bytes),
        _ => text,
    };
    error(rejection.status(), &message)
}

/// `text` without axum's generic `prefix: ` (the part after it names the field).
fn after_prefix<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.strip_prefix(prefix)
        .map(|rest| rest.trim_start_matches(':').trim_start())
        .filter(|rest| !rest.is_empty())
        .unwrap_or(text)
}

/// A query string; a rejection (a bad value, an unknown parameter) is answered as the API's
/// JSON error, 400, naming the parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        if parts.uri.query().is_some_and(holds_encoded_nul) {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "invalid query string: a value holds a NUL character (%00)",
            ));
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

fn query_rejection(rejection: &QueryRejection) -> Response {
    let text = rejection.body_text();
    error(
        rejection.status(),
        &format!(
            "invalid query string: {}",
            after_prefix(&text, "Failed to deserialize query string")
        ),
    )
}

/// Path parameters; a rejection is answered as the API's JSON error, 400, naming the
/// parameter.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        if holds_encoded_nul(parts.uri.path()) {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "invalid path: it holds a NUL character (%00)",
            ));
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(path_rejection(&rejection)),
        }
    }
}

fn path_rejection(rejection: &PathRejection) -> Response {
    let text = rejection.body_text();
    error(
        rejection.status(),
        &format!("invalid path: {}", after_prefix(&text, "Invalid URL")),
    )
}

/// The router's fallback: a path it does not serve.
pub async fn not_found(uri: Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!(
            "no route {}; the API's routes are listed in /api/v1/openapi.json",
            uri.path()
        ),
    )
}

/// A route the router serves, with a method it does not.
pub async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!(
            "{method} is not allowed on {}; see /api/v1/openapi.json",
            uri.path()
        ),
    )
}

/// The serde names of `values` (`awaiting_review`, ...).
pub fn names<T: Serialize>(values: &[T]) -> Vec<String> {
    values.iter().map(engine::audit::status_name).collect()
}

/// A request the API refuses before doing anything: 400 with this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRequest(pub String);

impl std::fmt::Display for BadRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadRequest {}

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        error(StatusCode::BAD_REQUEST, &self.0)
    }
}

/// `value` of query parameter `param` when it is one of `accepted`, else 400 naming them.
pub fn one_of(param: &str, value: &str, accepted: &[String]) -> Result<(), BadRequest> {
    if accepted.iter().any(|a| a == value) {
        return Ok(());
    }
    Err(BadRequest(format!(
        "{param}: unknown value {value:?}; accepted: {}",
        accepted.join(", ")
    )))
}

/// A comma-separated list of query parameter `param`, each one of `accepted` (400 naming
/// them otherwise); empty items are skipped.
pub fn statuses(param: &str, list: &str, accepted: &[String]) -> Result<Vec<String>, BadRequest> {
    let values: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    for v in &values {
        one_of(param, v, accepted)?;
    }
    Ok(values)
}

/// Query parameter `param` when given: within `min..=max`, else 400 (never clamped).
pub fn in_range(param: &str, value: Option<i64>, (min, max): (i64, i64)) -> Result<(), BadRequest> {
    match value {
        Some(v) if v < min || v > max => Err(BadRequest(format!(
            "{param}: {v} is out of range; it must be between {min} and {max}"
        ))),
        _ => Ok(()),
    }
}

/// What the routes working on the store alone share (GPO rosters, reference prices): the
/// database and the business day.
#[derive(Clone)]
pub struct StoreState {
    /// The database.
    pub store: std::sync::Arc<dyn store::Store>,
    /// The business day.
    pub engine: crate::settings::EngineSettings,
}

/// Rows a list answers when no `limit` is given.
pub const DEFAULT_LISTED: i64 = 100;

/// Most rows one request lists (`limit`).
pub const MAX_LISTED: i64 = 1_000;

/// The page of a list read newest first (`GET /api/v1/disputes`, `/api/v1/responses/unmatched`):
/// `limit` rows (default [`DEFAULT_LISTED`], 1 to [`MAX_LISTED`], 400 outside) after row
/// `after`, the `id` of the last row of the page before.
pub fn list_page(
    limit: Option<i64>,
    after: Option<uuid::Uuid>,
) -> Result<store::ListPage, BadRequest> {
    in_range("limit", limit, (1, MAX_LISTED))?;
    Ok(store::ListPage {
        after,
        limit: limit.unwrap_or(DEFAULT_LISTED),
    })
}

/// The batch statuses (chargeback-rules 6.1).
pub fn batch_statuses() -> Vec<String> {
    use engine::batch::BatchStatus::*;
    names(&[Open, AwaitingReview, Closed, Rejected])
}

/// The batch line statuses (chargeback-rules 6.2).
pub fn line_statuses() -> Vec<String> {
    use engine::batch::LineStatus::*;
    names(&[
        Open,
        EligibilityDisputed,
        AmountDisputed,
        Duplicate,
        Accepted,
        Claimed,
        Rejected,
    ])
}

/// The roles of a batch.
pub fn roles() -> Vec<String> {
    use engine::settings::Role::*;
    names(&[Claimant, Adjudicator])
}

/// The claim statuses (chargeback-rules 6.3).
pub fn claim_statuses() -> Vec<String> {
    use engine::claims::ClaimStatus::*;
    names(&[
        Open,
        PendingApproval,
        Approved,
        Rejected,
        Cancelled,
        Sent,
        Acknowledged,
        SettlementPending,
        Settled,
        Closed,
    ])
}

/// The claim line statuses: `open` until an 849 answers it, then its outcome (7.7).
pub fn claim_line_statuses() -> Vec<String> {
    use engine::claims::LineOutcome::*;
    let mut all = vec!["open".to_owned()];
    all.extend(names(&[
        Paid, Adjusted, Rejected, Pending, Overpaid, NoResponse,
    ]));
    all
}

/// The dispute case statuses (chargeback-rules 6.4).
pub fn dispute_statuses() -> Vec<String> {
    use engine::disputes::CaseStatus::*;
    names(&[
        Open,
        Submitted,
        UnderReview,
        Won,
        PartiallyWon,
        Lost,
        Withdrawn,
        Expired,
    ])
}

/// The reject reasons a reviewer may give a line (chargeback-rules 3.1; `Reject`, `Reverse
/// Acceptance`): the categories and the shipped configured reasons, or any other configured
/// one as `{"configured": "text"}`.
pub fn reject_reasons() -> Vec<String> {
    use engine::reasons::RejectReason::*;
    names(&[
        EligibilityDisputed,
        AmountDisputed,
        Duplicate,
        DebitClaimNotSupported,
        Resubmitted,
        Withdrawn,
    ])
}

/// A short id naming one failure in the log and in its answer.
fn error_id() -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    id[id.len() - 10..].to_owned()
}

/// A failure of the machinery (database, files, stored state), never the caller's: logged
/// whole with an error id, answered 500 with that id and what was being done, nothing else.
pub fn internal(doing: &str, e: &dyn std::fmt::Display) -> Response {
    let id = error_id();
    tracing::error!(error_id = %id, doing, error = %e, "API request failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!("internal error while {doing} (error id {id}; the gateway's log has the details)"),
    )
}

/// 409 for a stale version: `entity` (`batch gooddrug/…`) is at `actual`, the caller sent
/// `expected`.
pub fn stale(entity: &str, expected: i64, actual: Option<i64>) -> Response {
    let message = match actual {
        Some(actual) => {
            format!("{entity} is at version {actual}, you sent {expected}; reload it and try again")
        }
        None => format!(
            "{entity} changed since version {expected}, which you sent; reload it and try again"
        ),
    };
    error(StatusCode::CONFLICT, &message)
}

/// An engine or store failure of an action on `entity` (e.g. `batch gooddrug/…`, named as the
/// caller named it): 409 for a stale version or a meanwhile change, 404 for something that does
/// not exist, 422 for what the rules refuse (their message is the user's), 500 ([`internal`])
/// for the machinery.
pub fn failure(entity: &str, e: &apply::ApplyError) -> Response {
    use apply::ApplyError as A;
    use store::StoreError as S;
    match e {
        A::Conflict {
            expected, actual, ..
        } => stale(entity, *expected, *actual),
        A::Store(S::Conflict {
            expected, actual, ..
        }) => stale(entity, *expected, Some(*actual)),
        A::Store(S::InvalidValue { field, reason }) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("invalid {field}: {reason}"),
        ),
        A::UnknownBatch(_)
        | A::UnknownClaim(_)
        | A::UnknownDispute(_)
        | A::UnknownResponse(_)
        | A::UnknownRetroRun { .. }
        | A::UnknownRoster { .. } => error(StatusCode::NOT_FOUND, &e.to_string()),
        A::RosterNotPending(_) => error(StatusCode::CONFLICT, &e.to_string()),
        A::Store(_)
        | A::Corrupt { .. }
        | A::Serialize(_)
        | A::Spool(_)
        | A::NoClaimForBatch(_)
        | A::Profile { .. } => internal(&format!("acting on {entity}"), e),
        _ => error(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
    }
}

/// One amount of a line summary: its name and how to read it from one status's totals.
pub(crate) type SummaryAmount<'a, T> = (&'a str, fn(&T) -> rust_decimal::Decimal);

/// The line counts and amount totals of a batch's or a claim's lines, overall (to the cent)
/// and by status, from the store's totals by status: `amounts` names each amount and how to
/// read it from one status's totals.
pub(crate) fn line_summary<T>(
    totals: &[T],
    status: fn(&T) -> &str,
    lines: fn(&T) -> i64,
    amounts: &[SummaryAmount<'_, T>],
) -> serde_json::Value {
    let of = |t: &T| {
        let mut o = serde_json::Map::new();
        o.insert("lines".into(), lines(t).into());
        for (name, amount) in amounts {
            o.insert((*name).into(), serde_json::json!(amount(t)));
        }
        serde_json::Value::Object(o)
    };
    let mut all = serde_json::Map::new();
    all.insert("lines".into(), totals.iter().map(lines).sum::<i64>().into());
    for (name, amount) in amounts {
        let mut total: rust_decimal::Decimal = totals.iter().map(amount).sum();
        total.rescale(2);
        all.insert((*name).into(), serde_json::json!(total));
    }
    let by_status: serde_json::Map<String, serde_json::Value> = totals
        .iter()
        .map(|t| (status(t).to_owned(), of(t)))
        .collect();
    all.insert("by_status".into(), serde_json::Value::Object(by_status));
    serde_json::Value::Object(all)
}
