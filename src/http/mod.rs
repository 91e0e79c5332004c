//! HTTP: the axum application. One module per resource, each with `fn router() -> Router<AppState>`;
//! `error.rs` maps errors to status and code.

pub mod calendar;
pub mod channels;
pub mod contacts;
pub mod conversations;
pub mod error;
pub mod events;
pub mod health;
pub mod inbox;
pub mod openapi;
pub mod outbox;
pub mod webchat;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;

use crate::config::Secret;
use crate::engine::Engine;
use crate::inbox::Intake;
pub use error::ApiError;

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    pub intake: Intake,
    pub api_token: Secret,
}

pub fn router(state: AppState) -> Router {
    let limit = state.engine.settings.server.body_limit_bytes;
    let api = Router::new()
        .merge(conversations::router())
        .merge(contacts::router())
        .merge(calendar::router())
        .merge(outbox::router())
        .merge(inbox::router())
        .merge(events::router())
        .merge(channels::api_router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_token,
        ));
    Router::new()
        .merge(health::router())
        .merge(webchat::router())
        .merge(channels::router())
        .merge(openapi::router())
        .merge(api)
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Bearer-token check for the JSON API, in constant time.
async fn require_token(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let given = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !constant_time_eq(given.as_bytes(), state.api_token.expose().as_bytes()) {
        return Err(ApiError::Unauthorized);
    }
    Ok(next.run(req).await)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || b.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Pagination limit from a query: default 50, at most 500.
pub fn limit(q: Option<i64>) -> i64 {
    q.unwrap_or(50).clamp(1, 500)
}
