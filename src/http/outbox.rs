//! `/v1/outbox`: the state of outbound actions (pending, sending, sent, dead).

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{limit, ApiError, AppState};
use crate::store::outbox::{self, ListFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/outbox", get(list))
        .route("/v1/outbox/{id}", get(one))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    conversation_id: Option<i64>,
    limit: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    if let Some(s) = &q.status {
        if !["pending", "sending", "sent", "dead"].contains(&s.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "status must be pending, sending, sent or dead, not {s:?}"
            )));
        }
    }
    let rows = outbox::list(
        &state.engine.store,
        &ListFilter {
            status: q.status,
            conversation_id: q.conversation_id,
            limit: limit(q.limit),
        },
    )
    .await?;
    Ok(Json(json!({ "actions": rows })))
}

async fn one(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "action": outbox::get(&state.engine.store, id).await? }),
    ))
}
