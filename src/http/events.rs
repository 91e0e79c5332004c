//! `/v1/events`: the event log, oldest first, for catching up after downtime.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{limit, ApiError, AppState};
use crate::store::events::{self, ListFilter};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/events", get(list))
}

#[derive(Deserialize)]
struct ListQuery {
    after: Option<i64>,
    kind: Option<String>,
    conversation_id: Option<i64>,
    limit: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let rows = events::list(
        &state.engine.store,
        &ListFilter {
            after_id: q.after.unwrap_or(0),
            kind: q.kind,
            conversation_id: q.conversation_id,
            limit: limit(q.limit),
        },
    )
    .await?;
    let events: Vec<Value> = rows.iter().map(crate::events::envelope).collect();
    Ok(Json(json!({ "events": events })))
}
