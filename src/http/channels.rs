//! Platform webhooks: `POST /v1/channels/{name}/webhook`. The raw body is verified before it is
//! parsed; the event is committed to the inbox before the 2xx; a repeat is acknowledged and ignored.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::error::body;
use super::{ApiError, AppState};
use crate::channels::api::InboundError;
use crate::signature;
use crate::store::inbox::Stored;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/channels/{name}/webhook", post(webhook))
}

async fn webhook(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let channel = state
        .engine
        .channels
        .api(&name)
        .cloned()
        .ok_or_else(|| ApiError::UnknownChannel(name.clone()))?;
    let bytes = body(raw, state.engine.settings.server.body_limit_bytes)?;
    let sig = headers.get(signature::HEADER).and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    let event = channel.accept(sig, &bytes, now).map_err(|e| match e {
        InboundError::Signature(s) => ApiError::BadSignature(format!("channel {name}: {s}")),
        InboundError::Malformed(m) => ApiError::BadRequest(m),
    })?;
    let status = match state.intake.submit(&event).await? {
        Stored::New(_) => "accepted",
        Stored::Duplicate => "duplicate",
    };
    Ok((
        StatusCode::OK,
        Json(json!({"status": status, "event_id": event.event_id})),
    ))
}
