//! The agent console at `/console`: server-rendered pages (askama, auto-escaped), a little
//! JavaScript of our own (`assets/`), live updates over server-sent events. Everything it
//! needs is served by hearken itself: no build step, no CDN. It owns the pages and forms; the
//! rules it applies belong to the desk (`crate::desk`).

mod agents;
mod assets;
mod conversation;
mod guard;
mod layout;
mod live;
mod people;
mod queue;
mod reports;
mod review;
mod session;
mod supervisor;

use axum::Router;

use crate::http::AppState;
use crate::routing::Role;

pub use assets::VERSION as ASSET_VERSION;
pub use guard::CSRF_FIELD;
pub use layout::Page;

/// (method, route, least role) of every protected console route; the guard refuses a route
/// missing here, and the security tests walk it.
pub fn routes() -> Vec<(&'static str, &'static str, Role)> {
    [
        queue::ROUTES,
        conversation::ROUTES,
        supervisor::ROUTES,
        reports::ROUTES,
        review::ROUTES,
        agents::ROUTES,
        live::ROUTES,
        session::ROUTES,
    ]
    .concat()
}

pub fn router(state: &AppState) -> Router<AppState> {
    if !state.engine.settings.console.enabled {
        return Router::new();
    }
    let protected = Router::new()
        .merge(queue::router())
        .merge(conversation::router())
        .merge(supervisor::router())
        .merge(reports::router())
        .merge(review::router())
        .merge(agents::router())
        .merge(live::router())
        .merge(session::protected_router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::guard,
        ));
    Router::new()
        .merge(session::public_router())
        .merge(assets::router())
        .merge(protected)
}
