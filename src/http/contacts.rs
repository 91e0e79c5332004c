//! `/v1/contacts`: a contact with its identities, conversations on every platform and links;
//! linking an identity into another contact (with evidence) and undoing it (`desk::contacts`).

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::json_body::JsonBody;
use super::{ApiError, AppState};
use crate::desk::contacts::{self, Evidence};
use crate::store::contacts as stored;
use crate::store::conversations::{self as convs, ListFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/contacts/{id}", get(one))
        .route("/v1/contacts/{id}/links", post(link))
        .route("/v1/links/{id}/undo", post(undo))
}

async fn one(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    let store = &state.engine.store;
    let contact = stored::get(store, id).await?;
    let conversations = convs::list(
        store,
        &ListFilter {
            contact_id: Some(id),
            limit: 500,
            ..Default::default()
        },
    )
    .await?;
    let links = stored::links_of(store, id).await?;
    Ok(Json(
        json!({ "contact": contact, "conversations": conversations, "links": links }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkRequest {
    identity_id: i64,
    actor: String,
    evidence: Evidence,
}

async fn link(
    State(state): State<AppState>,
    Path(contact_id): Path<i64>,
    JsonBody(r): JsonBody<LinkRequest>,
) -> Result<Json<Value>, ApiError> {
    let link = contacts::link(
        &state.engine,
        contact_id,
        r.identity_id,
        &r.actor,
        &r.evidence,
    )
    .await?;
    Ok(Json(json!({ "link": link })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UndoRequest {
    actor: String,
}

async fn undo(
    State(state): State<AppState>,
    Path(link_id): Path<i64>,
    JsonBody(r): JsonBody<UndoRequest>,
) -> Result<Json<Value>, ApiError> {
    let link = contacts::undo(&state.engine, link_id, &r.actor).await?;
    Ok(Json(json!({ "link": link })))
}
