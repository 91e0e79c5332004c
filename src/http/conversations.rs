//! `/v1/conversations`: lists, one conversation with its transcript, decisions and owner
//! history, and owner changes (hand to an agent, hand back to the bot, resolve).

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::json_body::JsonBody;
use super::{limit, ApiError, AppState};
use crate::desk;
use crate::policy::Owner;
use crate::store::conversations::{self as convs, ListFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/conversations", get(list))
        .route("/v1/conversations/{id}", get(one))
        .route("/v1/conversations/{id}/owner", post(change_owner))
}

#[derive(Deserialize)]
struct ListQuery {
    owner: Option<String>,
    contact_id: Option<i64>,
    before: Option<i64>,
    limit: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    if let Some(o) = &q.owner {
        Owner::parse(o).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "owner must be bot, queued, agent or resolved, not {o:?}"
            ))
        })?;
    }
    let rows = convs::list(
        &state.engine.store,
        &ListFilter {
            owner: q.owner,
            contact_id: q.contact_id,
            before_id: q.before,
            limit: limit(q.limit),
        },
    )
    .await?;
    Ok(Json(json!({ "conversations": rows })))
}

async fn one(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    let store = &state.engine.store;
    let conv = convs::get(store, id).await?;
    let messages = convs::messages(store, id, 0).await?;
    let decisions = convs::decisions(store, id).await?;
    let transitions = convs::transitions(store, id).await?;
    Ok(Json(json!({
        "conversation": conv,
        "messages": messages,
        "decisions": decisions,
        "transitions": transitions,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnerChange {
    to: Owner,
    actor: String,
    reason: String,
}

async fn change_owner(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    JsonBody(c): JsonBody<OwnerChange>,
) -> Result<Json<Value>, ApiError> {
    let engine = &state.engine;
    desk::owner::change(engine, id, c.to, &c.actor, &c.reason).await?;
    Ok(Json(
        json!({ "conversation": convs::get(&engine.store, id).await? }),
    ))
}
