//! `/v1/calendar` (hours, special days and the status now) and `/v1/emergency` (the switch).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{body, json};
use super::{ApiError, AppState};
use crate::store::switches::{self, Switch};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/calendar", get(calendar))
        .route("/v1/emergency", put(set_emergency).get(emergency))
}

async fn calendar(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let engine = &state.engine;
    let status = engine.calendar_status().await?;
    let emergency = switches::get(&engine.store, switches::EMERGENCY).await?;
    Ok(Json(json!({
        "config": engine.settings.calendar,
        "now": engine.clock.now(),
        "status": status,
        "next_open": engine.calendar.next_open(engine.clock.now()),
        "emergency": emergency,
    })))
}

async fn emergency(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let s = switches::get(&state.engine.store, switches::EMERGENCY).await?;
    Ok(Json(json!({ "emergency": s })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmergencyRequest {
    on: bool,
    #[serde(default)]
    message: Option<String>,
    actor: String,
}

async fn set_emergency(
    State(state): State<AppState>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let bytes = body(raw, state.engine.settings.server.body_limit_bytes)?;
    let r: EmergencyRequest = json(&bytes)?;
    if r.actor.trim().is_empty() {
        return Err(ApiError::BadRequest("`actor` is required".into()));
    }
    let s = set(&state.engine, r.on, r.message, &r.actor).await?;
    Ok(Json(json!({ "emergency": s })))
}

/// Flip the switch and record the change as an event (shared with `hearken emergency`).
pub async fn set(
    engine: &crate::engine::Engine,
    on: bool,
    message: Option<String>,
    actor: &str,
) -> Result<Switch, crate::store::StoreError> {
    let now = engine.clock.now_ms();
    let s = Switch {
        name: switches::EMERGENCY.into(),
        on,
        message: message.filter(|m| !m.trim().is_empty()),
        actor: actor.into(),
        changed_at: now,
    };
    switches::set(&engine.store, &s).await?;
    let mut tx = engine.store.begin().await?;
    crate::events::record(
        &mut tx,
        crate::events::kind::EMERGENCY_CHANGED,
        None,
        json!({"on": s.on, "message": s.message, "actor": s.actor}),
        now,
    )
    .await?;
    tx.commit().await?;
    engine.wake.events.notify_one();
    Ok(s)
}
