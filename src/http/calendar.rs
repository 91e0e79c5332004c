//! `/v1/calendar` (hours, special days and the status now) and `/v1/emergency` (the switch).

use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::json_body::JsonBody;
use super::{ApiError, AppState};
use crate::store::switches;

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
    JsonBody(r): JsonBody<EmergencyRequest>,
) -> Result<Json<Value>, ApiError> {
    let s = crate::desk::emergency::set(&state.engine, r.on, r.message, &r.actor).await?;
    Ok(Json(json!({ "emergency": s })))
}
