//! `/v1/inbox`: inbound events by status, with counts; `failed` rows are the ones to look at.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{limit, ApiError, AppState};
use crate::store::inbox;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/inbox", get(list))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    limit: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let status = q.status.unwrap_or_default();
    if !["", "pending", "processing", "done", "failed"].contains(&status.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "status must be pending, processing, done or failed, not {status:?}"
        )));
    }
    let store = &state.engine.store;
    let rows = inbox::list(store, &status, limit(q.limit)).await?;
    let counts: serde_json::Map<String, Value> = inbox::counts(store)
        .await?
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    Ok(Json(json!({ "counts": counts, "events": rows })))
}
