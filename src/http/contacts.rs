//! `/v1/contacts`: a contact with its identities, conversations on every platform and links;
//! linking an identity into another contact (with evidence) and undoing it.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::json_body::JsonBody;
use super::{ApiError, AppState};
use crate::events::{self, kind};
use crate::store::conversations::{self as convs, ListFilter};
use crate::store::{contacts, StoreError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/contacts/{id}", get(one))
        .route("/v1/contacts/{id}/links", post(link))
        .route("/v1/links/{id}/undo", post(undo))
}

async fn one(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    let store = &state.engine.store;
    let contact = contacts::get(store, id).await?;
    let conversations = convs::list(
        store,
        &ListFilter {
            contact_id: Some(id),
            limit: 500,
            ..Default::default()
        },
    )
    .await?;
    let links = contacts::links_of(store, id).await?;
    Ok(Json(
        json!({ "contact": contact, "conversations": conversations, "links": links }),
    ))
}

/// Why two identities are one person. Linking needs one of these; a bare request is refused.
#[derive(Deserialize, Debug)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Evidence {
    /// An agent confirmed it (e.g. the customer said so in both places).
    AgentConfirmed { note: String },
    /// Both identities carry the same verified attribute (e.g. a verified e-mail).
    VerifiedAttribute { attribute: String, value: String },
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
    let evidence = match &r.evidence {
        Evidence::AgentConfirmed { note } if !note.trim().is_empty() => {
            json!({"kind": "agent_confirmed", "note": note})
        }
        Evidence::VerifiedAttribute { attribute, value }
            if !attribute.is_empty() && !value.is_empty() =>
        {
            json!({"kind": "verified_attribute", "attribute": attribute, "value": value})
        }
        _ => return Err(ApiError::BadRequest("evidence must not be empty".into())),
    };
    if r.actor.trim().is_empty() {
        return Err(ApiError::BadRequest("`actor` is required".into()));
    }
    let engine = &state.engine;
    let now = engine.clock.now_ms();
    let mut tx = engine.store.begin().await?;
    let link = contacts::link(
        &mut tx,
        r.identity_id,
        contact_id,
        &evidence.to_string(),
        &r.actor,
        now,
    )
    .await?;
    events::record(
        &mut tx,
        kind::CONTACT_LINKED,
        None,
        json!({
            "link_id": link.id, "identity_id": link.identity_id, "from_contact": link.from_contact,
            "to_contact": link.to_contact, "actor": link.actor, "evidence": evidence,
        }),
        now,
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    engine.wake.events.notify_one();
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
    if r.actor.trim().is_empty() {
        return Err(ApiError::BadRequest("`actor` is required".into()));
    }
    let engine = &state.engine;
    let now = engine.clock.now_ms();
    let mut tx = engine.store.begin().await?;
    let link = contacts::undo(&mut tx, link_id, &r.actor, now).await?;
    events::record(&mut tx, kind::CONTACT_UNLINKED, None, json!({
        "link_id": link.id, "identity_id": link.identity_id, "back_to_contact": link.from_contact, "actor": r.actor,
    }), now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    engine.wake.events.notify_one();
    Ok(Json(json!({ "link": link })))
}
