//! `/v1/conversations`: lists, one conversation with its transcript, decisions and owner
//! history, and owner changes (hand to an agent, hand back to the bot, resolve).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{body, json};
use super::{limit, ApiError, AppState};
use crate::desk;
use crate::events::{self, kind};
use crate::pipeline;
use crate::policy::{EscalationCause, Owner};
use crate::routing::Target;
use crate::store::conversations::{self as convs, ListFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/conversations", get(list))
        .route("/v1/conversations/{id}", get(one))
        .route("/v1/conversations/{id}/owner", post(change_owner))
}

#[derive(Deserialize)]
struct ListQuery {
    owner: Option<String>,
    contact_id: Option<i64>,
    before: Option<i64>,
    limit: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    if let Some(o) = &q.owner {
        Owner::parse(o).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "owner must be bot, queued, agent or resolved, not {o:?}"
            ))
        })?;
    }
    let rows = convs::list(
        &state.engine.store,
        &ListFilter {
            owner: q.owner,
            contact_id: q.contact_id,
            before_id: q.before,
            limit: limit(q.limit),
        },
    )
    .await?;
    Ok(Json(json!({ "conversations": rows })))
}

async fn one(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    let store = &state.engine.store;
    let conv = convs::get(store, id).await?;
    let messages = convs::messages(store, id, 0).await?;
    let decisions = convs::decisions(store, id).await?;
    let transitions = convs::transitions(store, id).await?;
    Ok(Json(json!({
        "conversation": conv,
        "messages": messages,
        "decisions": decisions,
        "transitions": transitions,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnerChange {
    to: Owner,
    actor: String,
    reason: String,
}

/// The owner state machine: bot -> queued -> agent -> resolved, agent -> bot (hand-back).
pub fn allowed(from: Owner, to: Owner) -> bool {
    use Owner::*;
    matches!(
        (from, to),
        (Bot, Queued)
            | (Bot, Agent)
            | (Queued, Agent)
            | (Queued, Bot)
            | (Queued, Resolved)
            | (Agent, Bot)
            | (Agent, Queued)
            | (Agent, Resolved)
            | (Resolved, Bot)
            | (Bot, Resolved)
    )
}

async fn change_owner(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let bytes = body(raw, state.engine.settings.server.body_limit_bytes)?;
    let c: OwnerChange = json(&bytes)?;
    if c.actor.trim().is_empty() || c.reason.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "`actor` and `reason` are required".into(),
        ));
    }
    let engine = &state.engine;
    let conv = convs::get(&engine.store, id).await?;
    let from = Owner::parse(&conv.owner).unwrap_or(Owner::Bot);
    if !allowed(from, c.to) {
        return Err(ApiError::Conflict(format!(
            "a conversation owned by {} cannot go to {}",
            from.as_str(),
            c.to.as_str()
        )));
    }
    let actor = desk::Actor::Named(c.actor.trim().to_string());
    let routed = crate::store::routing::get(&engine.store, id)
        .await?
        .is_some();
    match (routed, c.to) {
        // The routing desk owns routed conversations: it frees the agent and keeps the
        // history right.
        (true, Owner::Queued) => {
            let skill = conv
                .skill
                .clone()
                .unwrap_or_else(|| engine.settings.policy.fallback_skill.clone());
            desk::run(
                engine,
                &actor,
                desk::Op::Transfer {
                    conversation_id: id,
                    target: Target::Skill(skill),
                },
            )
            .await?;
        }
        (true, to) => {
            desk::run(
                engine,
                &actor,
                desk::Op::Withdraw {
                    conversation_id: id,
                    to_owner: to,
                    reason: c.reason.clone(),
                },
            )
            .await?;
        }
        (false, Owner::Queued) => {
            let skill = conv
                .skill
                .clone()
                .unwrap_or_else(|| engine.settings.policy.fallback_skill.clone());
            let now = engine.clock.now_ms();
            let mut tx = engine.store.begin().await?;
            if from != Owner::Bot {
                // `escalate` only takes conversations from the bot.
                convs::transition(&mut tx, id, Owner::Bot.as_str(), &c.actor, &c.reason, now)
                    .await?;
            }
            pipeline::escalate(
                &mut tx,
                id,
                &pipeline::Escalation {
                    skill: &skill,
                    priority: conv.priority.map_or(
                        crate::policy::Priority::Normal,
                        crate::policy::Priority::from_rank,
                    ),
                    not_before: None,
                    reason: &c.reason,
                    cause: EscalationCause::Manual,
                },
                now,
            )
            .await?;
            tx.commit().await.map_err(crate::store::StoreError::from)?;
            engine.wake.routing.notify_one();
        }
        (false, to) => {
            let now = engine.clock.now_ms();
            let mut tx = engine.store.begin().await?;
            convs::transition(&mut tx, id, to.as_str(), &c.actor, &c.reason, now).await?;
            let event = match to {
                Owner::Agent => kind::CONVERSATION_ASSIGNED,
                Owner::Resolved => kind::CONVERSATION_RESOLVED,
                _ => kind::CONVERSATION_OWNER_CHANGED,
            };
            events::record(
                &mut tx,
                event,
                Some(id),
                json!({
                    "from": from, "to": to, "actor": c.actor, "reason": c.reason,
                }),
                now,
            )
            .await?;
            tx.commit().await.map_err(crate::store::StoreError::from)?;
        }
    }
    engine.wake.events.notify_one();
    engine.publish(id, "owner");
    Ok(Json(
        json!({ "conversation": convs::get(&engine.store, id).await? }),
    ))
}
