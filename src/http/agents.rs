//! `/v1/agents`: the people who work in the console. Supervisors read; admins create and
//! change them; an agent sets their own status (a supervisor anyone's). The rules are the
//! desk's (`desk::agents`).

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Principal;
use super::json_body::JsonBody;
use super::{ApiError, AppState};
use crate::desk::agents::{AgentChange, NewAgent};
use crate::desk::{self, commands};
use crate::routing::Status;
use crate::store::agents;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agents", get(list).post(create))
        .route("/v1/agents/{id}", get(one).patch(update))
        .route("/v1/agents/{id}/status", post(status))
        .route("/v1/agents/{id}/password", post(password))
}

async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"agents": agents::list(&state.engine.store).await?}),
    ))
}

async fn one(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"agent": agents::get(&state.engine.store, id).await?}),
    ))
}

async fn create(
    State(state): State<AppState>,
    JsonBody(n): JsonBody<NewAgent>,
) -> Result<(axum::http::StatusCode, Json<Value>), ApiError> {
    let id = desk::agents::create(&state.engine, n).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({"agent": agents::get(&state.engine.store, id).await?})),
    ))
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    JsonBody(c): JsonBody<AgentChange>,
) -> Result<Json<Value>, ApiError> {
    desk::agents::update(&state.engine, id, c).await?;
    Ok(Json(
        json!({"agent": agents::get(&state.engine.store, id).await?}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: Status,
}

async fn status(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<StatusBody>,
) -> Result<Json<Value>, ApiError> {
    let o = commands::set_status(&state.engine, &p.who(), id, b.status).await?;
    state.engine.wake.routing.notify_one();
    Ok(Json(json!({
        "agent": agents::get(&state.engine.store, id).await?,
        "effects": o.effects,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

/// An admin sets a new password; the agent's sessions end.
async fn password(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<PasswordBody>,
) -> Result<Json<Value>, ApiError> {
    desk::agents::set_password(&state.engine, id, b.password).await?;
    Ok(Json(json!({"agent_id": id, "sessions_ended": true})))
}
