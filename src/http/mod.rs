//! HTTP: the axum application. One module per resource, each with `fn router() -> Router<AppState>`;
//! `error.rs` maps errors to status and code.

pub mod access;
pub mod agents;
pub mod auth;
pub mod calendar;
pub mod channels;
pub mod contacts;
pub mod conversations;
pub mod error;
pub mod events;
pub mod health;
pub mod inbox;
pub mod json_body;
pub mod openapi;
pub mod outbox;
pub mod reports;
pub mod review;
pub mod routing;
pub mod webchat;

use std::sync::Arc;

use axum::Router;

use crate::config::Secret;
use crate::engine::Engine;
use crate::intake::Intake;
pub use error::ApiError;

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    pub intake: Intake,
    pub api_token: Secret,
}

/// The whole HTTP application: the API, webhooks, the web chat and health, plus `pages`
/// (the console, mounted by startup so that `http` does not depend on it), under one body
/// limit and one trace layer.
pub fn router(state: AppState, pages: Router<AppState>) -> Router {
    let limit = state.engine.settings.server.body_limit_bytes;
    let api = Router::new()
        .merge(conversations::router())
        .merge(contacts::router())
        .merge(calendar::router())
        .merge(outbox::router())
        .merge(inbox::router())
        .merge(events::router())
        .merge(channels::api_router())
        .merge(routing::router())
        .merge(agents::router())
        .merge(reports::router())
        .merge(review::router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ));
    Router::new()
        .merge(health::router())
        .merge(webchat::router())
        .merge(channels::router())
        .merge(openapi::router())
        .merge(pages)
        .merge(api)
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Pagination limit from a query: default 50, at most 500.
pub fn limit(q: Option<i64>) -> i64 {
    q.unwrap_or(50).clamp(1, 500)
}
