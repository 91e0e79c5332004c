//! Platform webhooks: `GET|POST /v1/channels/{name}/webhook`, and the channel listing. The raw
//! body is verified before it is parsed; events are committed to the inbox before the 2xx; a
//! repeat is acknowledged and ignored; an unverified request never gets a 2xx.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::error::body;
use super::{ApiError, AppState};
use crate::channels::webhook::Method as HookMethod;
use crate::channels::{InboundError, WebhookReply, WebhookRequest};
use crate::intake::Accepted;

/// Public routes: platforms call them, each adapter verifies its own scheme.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/channels/{name}/webhook", get(webhook).post(webhook))
}

/// Routes behind the API token.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/v1/channels", get(list))
        .route("/v1/channels/check", post(check))
}

/// Run every channel's credential and webhook check now (also done every
/// `channels.check_interval_secs` by `serve`).
async fn check(State(state): State<AppState>) -> Json<Value> {
    let outcomes = crate::channels::checks::check_all(&state.engine).await;
    Json(json!({ "channels": outcomes }))
}

async fn webhook(
    State(state): State<AppState>,
    Path(name): Path<String>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let channels = &state.engine.channels;
    let channel = channels
        .get(&name)
        .cloned()
        .ok_or_else(|| ApiError::UnknownChannel(name.clone()))?;
    let hook = channel
        .webhook()
        .ok_or_else(|| ApiError::UnknownChannel(name.clone()))?;
    let bytes = body(raw, state.engine.settings.server.body_limit_bytes)?;
    let req = WebhookRequest {
        method: if method == Method::GET {
            HookMethod::Get
        } else {
            HookMethod::Post
        },
        query: query.as_deref().unwrap_or(""),
        headers: &headers,
        body: &bytes,
        now_secs: chrono::Utc::now().timestamp(),
    };
    let reply = hook.handle(&req).map_err(|e| match e {
        InboundError::Unauthorized(m) => {
            channels.health.count_rejected(&name);
            ApiError::BadSignature(format!("channel {name}: {m}"))
        }
        InboundError::Forbidden(m) => {
            channels.health.count_rejected(&name);
            ApiError::Forbidden(format!("channel {name}: {m}"))
        }
        InboundError::Malformed(m) => ApiError::BadRequest(m),
    })?;
    let events = match reply {
        WebhookReply::Respond {
            status,
            content_type,
            body,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            return Ok((status, [(header::CONTENT_TYPE, content_type)], body).into_response());
        }
        WebhookReply::Events(events) => events,
    };
    let accepted = state.intake.accept(channel.as_ref(), &events).await?;
    Ok((StatusCode::OK, Json(answer(&accepted))).into_response())
}

/// The webhook's JSON answer; one event keeps the shape API channels have always answered with.
fn answer(accepted: &Accepted) -> Value {
    let status = match (accepted.new, accepted.duplicate) {
        (0, d) if d > 0 => "duplicate",
        (0, _) => "ignored",
        _ => "accepted",
    };
    let mut answer = json!({
        "status": status,
        "accepted": accepted.new,
        "duplicate": accepted.duplicate,
        "filtered": accepted.filtered,
    });
    let ids: Vec<&str> = accepted.stored_ids().collect();
    if let [id] = ids[..] {
        answer["event_id"] = json!(id);
    }
    answer
}

/// Every channel with its platform, how it receives, and its health.
async fn list(State(state): State<AppState>) -> Json<Value> {
    let channels = &state.engine.channels;
    let items: Vec<Value> = channels
        .iter()
        .map(|c| {
            json!({
                "name": c.name(),
                "platform": c.platform(),
                "inbound": if c.webhook().is_some() { "webhook" } else if c.poller().is_some() { "polling" } else { "api" },
                "health": channels.health.get(c.name()),
            })
        })
        .collect();
    Json(json!({ "channels": items }))
}
