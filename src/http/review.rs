//! The review loop over JSON: agents mark a customer message "the bot misread this"
//! (`/v1/messages/{id}/misread`); admins list what to review and assign or dismiss it
//! (`/v1/review`). The rules and errors are `crate::review`'s; this only parses and renders.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Principal;
use super::json_body::ActionBody;
use super::{ApiError, AppState};
use crate::review::{self, Ctx, Filter, Mark, Reason};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/messages/{id}/misread", post(misread))
        .route("/v1/review", get(list))
        .route("/v1/review/{id}/assign", post(assign))
        .route("/v1/review/{id}/dismiss", post(dismiss))
}

fn actor(p: &Principal) -> String {
    p.who().actor.name()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MisreadBody {
    /// The intent that was meant, if known.
    #[serde(default)]
    intent: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

async fn misread(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    ActionBody(b): ActionBody<MisreadBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mark = review::mark(
        &Ctx::of(&state.engine),
        id,
        &actor(&p),
        &Mark {
            intent: b.intent,
            note: b.note,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "mark": mark }))))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// low_confidence, ambiguous, out_of_scope_intent, escalated or marked.
    reason: Option<String>,
    limit: Option<i64>,
    before: Option<i64>,
    /// `open` (default) or `handled`.
    status: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::BadRequest(format!("query: {}", e.body_text())))?;
    let ctx = Ctx::of(&state.engine);
    match q.status.as_deref().unwrap_or("open") {
        "open" => {}
        "handled" => {
            let items = review::handled(&ctx, q.limit).await?;
            return Ok(Json(json!({ "status": "handled", "items": items })));
        }
        other => {
            return Err(ApiError::BadRequest(format!(
                "status must be open or handled, not {other:?}"
            )))
        }
    }
    let reason = q.reason.as_deref().map(Reason::parse).transpose()?;
    let groups = review::list(
        &ctx,
        &Filter {
            reason,
            limit: q.limit,
            before: q.before,
        },
    )
    .await?;
    let count: usize = groups.iter().map(|g| g.items.len()).sum();
    Ok(Json(
        json!({ "status": "open", "count": count, "groups": groups }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    /// An intent's name, or `out_of_scope`.
    intent: String,
    /// Cross-validation folds for the before/after figures (default 5).
    #[serde(default)]
    folds: Option<usize>,
}

async fn assign(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    ActionBody(b): ActionBody<AssignBody>,
) -> Result<Json<Value>, ApiError> {
    let folds = b.folds.unwrap_or(review::DEFAULT_FOLDS);
    if !(2..=10).contains(&folds) {
        return Err(ApiError::BadRequest("folds must be 2 to 10".into()));
    }
    let brain = state
        .engine
        .brain()
        .ok_or_else(|| ApiError::from(review::ReviewError::NotReady))?;
    let done = review::assign(
        &Ctx::of(&state.engine),
        id,
        &b.intent,
        &actor(&p),
        brain.nlu.encoder(),
        folds,
    )
    .await?;
    Ok(Json(json!({ "assigned": done })))
}

async fn dismiss(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    review::dismiss(&Ctx::of(&state.engine), id, &actor(&p)).await?;
    Ok(Json(json!({ "dismissed": id })))
}
