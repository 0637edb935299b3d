//! Reference prices (chargeback-rules 2.2, 4.1): `POST /api/v1/suppliers/{supplier}/reference-prices`
//! with a price list CSV as the body loads it for the supplier (README, "Reference price
//! lists"); `GET` on the same path lists the supplier's prices, every row or those in force
//! on `date`, for one `item` or all, a page of items at a time.
//!
//! Answers: 201 loaded (the list changed), 200 unchanged (the same rows again: nothing
//! written), 422 a refused file with every fault (`faults`: row, column, value, message),
//! 409 a load that met a concurrent one, 413 a list over 64 MiB; the GET 200, 400 for a bad
//! `item`, `date` or `limit`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use crate::api::{ApiBody, ApiPath, ApiQuery, BadRequest, DEFAULT_LISTED, MAX_LISTED, StoreState};
use crate::http::error;

/// Largest price list accepted (a few hundred thousand rows); a larger one is 413.
const MAX_PRICE_LIST: usize = 64 * 1024 * 1024;

/// The reference price routes.
pub fn routes() -> Router<StoreState> {
    Router::new().route(
        "/api/v1/suppliers/{supplier}/reference-prices",
        get(list).post(load),
    )
}

/// Query of the load.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadQuery {
    /// Who loads (audited); `analyst` when absent.
    pub actor: Option<String>,
}

/// Query of the list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this item, written as a price list writes it (NDC-11 with or without hyphens,
    /// GTIN, part number).
    pub item: Option<String>,
    /// The X12 qualifier of `item`, when its shape does not say it.
    pub item_qualifier: Option<String>,
    /// Only the prices in force on this day (`YYYY-MM-DD`).
    pub date: Option<String>,
    /// At most this many items (1 to 1,000, default 100), each with all its rows.
    pub limit: Option<i64>,
    /// The items after this one: the `next_after` of the page before.
    pub after: Option<String>,
}

impl ListQuery {
    fn query(&self) -> Result<apply::PriceQuery, BadRequest> {
        crate::api::in_range("limit", self.limit, (1, MAX_LISTED))?;
        let item = match &self.item {
            None => None,
            Some(id) => Some(
                engine::price_lists::item_key(self.item_qualifier.as_deref(), id)
                    .map_err(|m| BadRequest(format!("item: {id:?} {m}")))?,
            ),
        };
        let date = match &self.date {
            None => None,
            Some(d) => Some(
                engine::calendar::parse_iso_date(d)
                    .ok_or_else(|| BadRequest(format!("date: {d:?} is not a date (YYYY-MM-DD)")))?,
            ),
        };
        Ok(apply::PriceQuery {
            item,
            date,
            after: self.after.clone(),
            limit: usize::try_from(self.limit.unwrap_or(DEFAULT_LISTED)).unwrap_or(1),
        })
    }
}

fn failure(supplier: &str, e: &apply::ApplyError) -> Response {
    match e {
        apply::ApplyError::PriceList(list) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": e.to_string(),
                "faults": list.faults,
                "unlisted": list.unlisted,
            })),
        )
            .into_response(),
        apply::ApplyError::Store(store::StoreError::Conflict { .. }) => error(
            StatusCode::CONFLICT,
            &format!(
                "the reference prices of supplier {supplier} changed while this list was loaded; send it again"
            ),
        ),
        apply::ApplyError::InvalidSupplier(_) => error(StatusCode::BAD_REQUEST, &e.to_string()),
        _ => crate::api::failure(&format!("the reference prices of supplier {supplier}"), e),
    }
}

async fn load(
    State(state): State<StoreState>,
    ApiPath(supplier): ApiPath<String>,
    ApiQuery(q): ApiQuery<LoadQuery>,
    ApiBody(body): ApiBody<MAX_PRICE_LIST>,
) -> Response {
    let ctx = state
        .engine
        .context(Utc::now(), q.actor.unwrap_or_else(|| "analyst".into()));
    match apply::load_reference_prices(&*state.store, &supplier, &body, &ctx).await {
        Ok(o) => {
            let status = if o.loaded.changed() {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(o)).into_response()
        }
        Err(e) => failure(&supplier, &e),
    }
}

async fn list(
    State(state): State<StoreState>,
    ApiPath(supplier): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Response {
    let query = match q.query() {
        Ok(query) => query,
        Err(bad) => return bad.into_response(),
    };
    match apply::reference_prices_page(&*state.store, &supplier, &query).await {
        Ok(page) => Json(page).into_response(),
        Err(e) => failure(&supplier, &e),
    }
}

#[cfg(test)]
mod tests;
