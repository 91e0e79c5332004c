//! `/v1/queue`, `/v1/me` and what agents do with routed conversations over the API: accept,
//! decline, transfer, hand back, resolve, reply and react. The rules are the desk's.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Principal;
use super::json_body::ActionBody;
use super::{ApiError, AppState};
use crate::channels::OutboundKind;
use crate::desk::commands::{self, ReplyMode};
use crate::routing::Target;
use crate::store;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/queue", get(queue))
        .route("/v1/me", get(me))
        .route("/v1/conversations/{id}/accept", post(accept))
        .route("/v1/conversations/{id}/decline", post(decline))
        .route("/v1/conversations/{id}/transfer", post(transfer))
        .route("/v1/conversations/{id}/handback", post(hand_back))
        .route("/v1/conversations/{id}/resolve", post(resolve))
        .route("/v1/conversations/{id}/reply", post(reply))
        .route("/v1/conversations/{id}/react", post(react))
}

/// Every routed conversation: waiting, offered or assigned, most urgent first.
async fn queue(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let items = store::routing::all(&state.engine.store).await?;
    Ok(Json(json!({
        "items": items,
        "dispositions": state.engine.settings.routing.dispositions,
    })))
}

/// The caller, with what is offered and assigned to them.
async fn me(State(state): State<AppState>, p: Principal) -> Result<Json<Value>, ApiError> {
    let Some(agent) = &p.agent else {
        return Ok(Json(json!({"role": p.role, "agent": null, "items": []})));
    };
    let id = agent.agent.id;
    let items: Vec<_> = store::routing::all(&state.engine.store)
        .await?
        .into_iter()
        .filter(|r| r.placed.place.agent_id() == Some(id))
        .collect();
    Ok(Json(
        json!({"role": p.role, "agent": agent, "items": items}),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ForAgent {
    /// The API token (or a supervisor) acts for this agent.
    #[serde(default)]
    agent_id: Option<i64>,
}

fn done(state: &AppState, outcome: crate::desk::Outcome) -> Json<Value> {
    state.engine.wake.routing.notify_one();
    Json(json!({"effects": outcome.effects}))
}

async fn accept(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    ActionBody(f): ActionBody<ForAgent>,
) -> Result<Json<Value>, ApiError> {
    let o = commands::accept(&state.engine, &p.who(), id, f.agent_id).await?;
    Ok(done(&state, o))
}

async fn decline(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    ActionBody(f): ActionBody<ForAgent>,
) -> Result<Json<Value>, ApiError> {
    let o = commands::decline(&state.engine, &p.who(), id, f.agent_id).await?;
    Ok(done(&state, o))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferBody {
    /// `{"kind": "agent", "value": 3}`, `{"kind": "group", "value": "private"}` or
    /// `{"kind": "skill", "value": "billing"}`.
    to: Target,
}

async fn transfer(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    ActionBody(b): ActionBody<TransferBody>,
) -> Result<Json<Value>, ApiError> {
    let o = commands::transfer(&state.engine, &p.who(), id, b.to).await?;
    Ok(done(&state, o))
}

async fn hand_back(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let o = commands::hand_back(&state.engine, &p.who(), id).await?;
    Ok(done(&state, o))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveBody {
    disposition: String,
    #[serde(default)]
    note: Option<String>,
}

async fn resolve(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    ActionBody(b): ActionBody<ResolveBody>,
) -> Result<Json<Value>, ApiError> {
    let o = commands::resolve(&state.engine, &p.who(), id, &b.disposition, b.note).await?;
    Ok(done(&state, o))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    text: String,
    #[serde(default = "thread")]
    mode: ReplyMode,
    /// The public acknowledgement for `move_to_private` (default: the configured one).
    #[serde(default)]
    acknowledgement: Option<String>,
    /// The caller's id for this reply: sending it again is a no-op.
    #[serde(default)]
    request_id: Option<String>,
}

fn thread() -> ReplyMode {
    ReplyMode::Thread
}

async fn reply(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    ActionBody(b): ActionBody<ReplyBody>,
) -> Result<Json<Value>, ApiError> {
    let ack = match (&b.acknowledgement, b.mode) {
        (Some(a), _) => Some(a.clone()),
        (None, ReplyMode::MoveToPrivate) => {
            Some(crate::desk::customer::acknowledgement(&state.engine, id).await?)
        }
        (None, _) => None,
    };
    let request_id = b
        .request_id
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let q = commands::reply(
        &state.engine,
        &p.who(),
        id,
        &b.text,
        b.mode,
        ack.as_deref(),
        &request_id,
    )
    .await?;
    Ok(Json(json!({"outbox_ids": q.outbox_ids})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReactBody {
    /// `like` or `repost`.
    kind: String,
    message_id: i64,
}

async fn react(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    ActionBody(b): ActionBody<ReactBody>,
) -> Result<Json<Value>, ApiError> {
    let kind = match b.kind.as_str() {
        "like" => OutboundKind::Like,
        "repost" => OutboundKind::Repost,
        other => {
            return Err(ApiError::BadRequest(format!(
                "kind must be like or repost, not {other:?}"
            )))
        }
    };
    let q = commands::react(&state.engine, &p.who(), id, b.message_id, kind).await?;
    Ok(Json(json!({"outbox_ids": q.outbox_ids})))
}
