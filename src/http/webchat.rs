//! The web chat channel over HTTP: messages in (`POST /v1/webchat/messages`), replies out by
//! polling or server-sent events, and the embeddable page at `/chat`.

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::Stream;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::json_body::JsonBody;
use super::{ApiError, AppState};
use crate::channels::{webchat, Author, InboundEvent};
use crate::desk::presence::{self, Presence};
use crate::policy::Visibility;
use crate::store::conversations;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chat", get(page))
        .route("/v1/webchat/messages", post(send))
        .route("/v1/webchat/sessions/{session}/messages", get(poll))
        .route("/v1/webchat/sessions/{session}/stream", get(stream))
}

#[derive(Template)]
#[template(path = "chat.html")]
struct ChatPage<'a> {
    bot: &'a str,
}

async fn page(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    let name = state
        .engine
        .brain()
        .map(|b| {
            b.bot
                .settings
                .brand
                .clone()
                .unwrap_or_else(|| b.bot.settings.bot.clone())
        })
        .unwrap_or_else(|| "hearken".into());
    ChatPage { bot: &name }
        .render()
        .map(Html)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebchatMessage {
    /// A random id the page keeps for the visitor (the thread).
    session_id: String,
    /// The page's id for this message; a retry with the same id is a no-op.
    #[serde(default)]
    message_id: Option<String>,
    text: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Serialize)]
struct Accepted {
    status: &'static str,
    event_id: String,
}

fn check_session(id: &str) -> Result<(), ApiError> {
    let ok = (16..=128).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "session_id must be 16-128 characters of letters, digits, '-' or '_' (a UUID works)"
                .into(),
        ))
    }
}

async fn send(
    State(state): State<AppState>,
    JsonBody(m): JsonBody<WebchatMessage>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    if !state.engine.settings.channels.webchat.enabled {
        return Err(ApiError::UnknownChannel(webchat::NAME.into()));
    }
    check_session(&m.session_id)?;
    let text = m.text.trim();
    if text.is_empty() {
        return Err(ApiError::BadRequest("`text` is empty".into()));
    }
    if text.chars().count() > 4000 {
        return Err(ApiError::BadRequest(
            "`text` is longer than 4000 characters".into(),
        ));
    }
    // Message ids come from browsers: scope them by session so two visitors cannot collide.
    let event_id = format!(
        "{}:{}",
        m.session_id,
        m.message_id
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
    );
    let event = InboundEvent {
        channel: webchat::NAME.into(),
        event_id: event_id.clone(),
        visibility: Visibility::Private,
        thread_id: m.session_id.clone(),
        message_id: event_id.clone(),
        author: Author {
            handle: m.session_id,
            name: m.name.filter(|n| !n.trim().is_empty()),
        },
        text: text.to_string(),
    };
    // The web chat has no keyword monitoring: its one event is new or a repeat.
    let accepted = state
        .intake
        .accept(&webchat::Webchat, std::slice::from_ref(&event))
        .await?;
    let status = if accepted.duplicate > 0 {
        "duplicate"
    } else {
        "accepted"
    };
    Ok((StatusCode::ACCEPTED, Json(Accepted { status, event_id })))
}

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: i64,
}

#[derive(Serialize)]
struct ChatMessage {
    id: i64,
    from: &'static str,
    text: String,
    at: i64,
}

/// The session's messages after `after`, and who is answering now (None before the first
/// message).
async fn messages_after(
    state: &AppState,
    session: &str,
    after: i64,
) -> Result<(Vec<ChatMessage>, Option<Presence>), ApiError> {
    let mut tx = state.engine.store.begin().await?;
    let conv = conversations::latest_for_thread(&mut tx, webchat::NAME, session).await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    let Some(conv) = conv else {
        return Ok((Vec::new(), None));
    };
    let presence = presence::of(&state.engine, &conv).await?;
    let messages = conversations::messages(&state.engine.store, conv.id, after)
        .await?
        .into_iter()
        .map(|m| ChatMessage {
            id: m.id,
            from: if m.direction == "in" {
                "you"
            } else if m.author == "bot" {
                "bot"
            } else {
                "agent"
            },
            text: m.text,
            at: m.created_at,
        })
        .collect();
    Ok((messages, Some(presence)))
}

async fn poll(
    State(state): State<AppState>,
    Path(session): Path<String>,
    Query(q): Query<After>,
) -> Result<Json<serde_json::Value>, ApiError> {
    check_session(&session)?;
    let (messages, presence) = messages_after(&state, &session, q.after).await?;
    Ok(Json(json!({ "messages": messages, "presence": presence })))
}

async fn stream(
    State(state): State<AppState>,
    Path(session): Path<String>,
    Query(q): Query<After>,
) -> Result<impl IntoResponse, ApiError> {
    check_session(&session)?;
    let live = state.engine.live.subscribe();
    Ok(Sse::new(replies(state, session, q.after, live)).keep_alive(KeepAlive::default()))
}

struct Cursor {
    state: AppState,
    session: String,
    after: i64,
    live: tokio::sync::broadcast::Receiver<crate::engine::LiveUpdate>,
    first: bool,
    /// The presence last sent; a change is sent as a `presence` event.
    presence: Option<Presence>,
}

/// New messages as SSE `messages` events: what exists now, then whatever each change adds.
fn replies(
    state: AppState,
    session: String,
    after: i64,
    live: tokio::sync::broadcast::Receiver<crate::engine::LiveUpdate>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let cursor = Cursor {
        state,
        session,
        after,
        live,
        first: true,
        presence: None,
    };
    futures::stream::unfold(cursor, |mut c| async move {
        loop {
            if !c.first {
                // Wake on any change, or every 15 s as a safety net.
                let _ = tokio::time::timeout(Duration::from_secs(15), c.live.recv()).await;
                while c.live.try_recv().is_ok() {}
            }
            c.first = false;
            let (msgs, presence) = messages_after(&c.state, &c.session, c.after)
                .await
                .unwrap_or_default();
            // Who is answering first (an agent joined), then the messages, without a wait.
            if presence.is_some() && presence != c.presence {
                c.presence = presence.clone();
                c.first = true;
                let data = serde_json::to_string(&presence).unwrap_or_else(|_| "null".into());
                return Some((Ok(Event::default().event("presence").data(data)), c));
            }
            if let Some(last) = msgs.last() {
                c.after = last.id;
                let data = serde_json::to_string(&msgs).unwrap_or_else(|_| "[]".into());
                return Some((Ok(Event::default().event("messages").data(data)), c));
            }
        }
    })
}
