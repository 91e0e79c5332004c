//! `/console/live`: server-sent events telling open console pages that something changed, so
//! they refresh their live regions. Changes in this process arrive at once (the engine's
//! broadcast); changes made by other processes sharing PostgreSQL are seen through the routing
//! change counter and the events table, read every second.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use futures::Stream;
use serde_json::json;

use crate::http::AppState;
use crate::routing::Role;
use crate::store;

pub const ROUTES: &[(&str, &str, Role)] = &[("GET", "/console/live", Role::Agent)];

pub fn router() -> Router<AppState> {
    Router::new().route("/console/live", get(live))
}

async fn live(State(state): State<AppState>) -> impl IntoResponse {
    let rx = state.engine.live.subscribe();
    let mut resp = Sse::new(changes(state, rx))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    super::layout::secure(&mut resp);
    resp
}

struct Watch {
    state: AppState,
    rx: tokio::sync::broadcast::Receiver<crate::engine::LiveUpdate>,
    /// The routing counter and newest event id last seen; `None` before the first look.
    seen: Option<(i64, i64)>,
}

/// The routing counter and the newest event id: what other processes' changes move.
async fn marks(state: &AppState) -> (i64, i64) {
    let store = &state.engine.store;
    let version = store::routing::version(store).await.unwrap_or(0);
    let last = store::events::last_id(store).await.unwrap_or(0);
    (version, last)
}

fn change(conversation_id: i64, kind: &str) -> Event {
    let data = json!({"conversation_id": conversation_id, "kind": kind});
    Event::default().event("change").data(data.to_string())
}

fn changes(
    state: AppState,
    rx: tokio::sync::broadcast::Receiver<crate::engine::LiveUpdate>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let w = Watch {
        state,
        rx,
        seen: None,
    };
    futures::stream::unfold(w, |mut w| async move {
        if w.seen.is_none() {
            w.seen = Some(marks(&w.state).await);
        }
        loop {
            match tokio::time::timeout(Duration::from_secs(1), w.rx.recv()).await {
                Ok(Ok(u)) => {
                    w.seen = Some(marks(&w.state).await);
                    return Some((Ok(change(u.conversation_id, u.kind)), w));
                }
                // Lagged behind a burst: refresh everything.
                Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                    return Some((Ok(change(0, "lagged")), w));
                }
                Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => return None,
                Err(_) => {
                    let now = marks(&w.state).await;
                    if w.seen != Some(now) {
                        w.seen = Some(now);
                        return Some((Ok(change(0, "elsewhere")), w));
                    }
                }
            }
        }
    })
}
