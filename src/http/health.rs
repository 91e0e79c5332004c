//! `/health` (the process is alive) and `/ready` (store reachable and migrated, model loaded;
//! which model, and how the last intent reload went).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/ready", get(ready))
}

async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.engine.store.ping().await?;
    let Some(brain) = state.engine.brain() else {
        return Err(ApiError::NotReady("the model is loading".into()));
    };
    // Unauthenticated: counts, a hash and file names relative to the intents folder only.
    // A failed reload leaves the service ready: the previous model keeps answering.
    let model = state.engine.model_status();
    Ok(Json(json!({
        "status": "ready",
        "bot": brain.bot.settings.bot,
        "intents": brain.bot.intents.len(),
        "model": model.model,
        "reload": { "watching": model.watching, "last": model.last_reload },
        // A channel with bad credentials does not make the service unready (the others
        // work, and the inbox still takes messages); it is reported here and in /v1/channels.
        "channels": state.engine.channels.health_summary(),
    })))
}
