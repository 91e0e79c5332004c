//! `/v1/agents`: the people who work in the console. Supervisors read; admins create and
//! change them; an agent sets their own status (a supervisor anyone's).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Principal;
use super::error::{body, json};
use super::{ApiError, AppState};
use crate::desk::{self, commands, Op};
use crate::engine::Engine;
use crate::routing::{Role, Status};
use crate::store::agents::{self, Profile};
use crate::store::sessions;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agents", get(list).post(create))
        .route("/v1/agents/{id}", get(one).patch(update))
        .route("/v1/agents/{id}/status", post(status))
        .route("/v1/agents/{id}/password", post(password))
}

async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"agents": agents::list(&state.engine.store).await?}),
    ))
}

async fn one(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"agent": agents::get(&state.engine.store, id).await?}),
    ))
}

/// An agent's profile as the API and the console's admin page accept it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    pub login: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub skills: BTreeMap<String, u8>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default = "default_capacity")]
    pub capacity: u32,
    pub password: String,
}

fn default_capacity() -> u32 {
    3
}

/// Logins are part of the actor name (`agent:<login>`): keep them plain.
pub fn check_profile(p: &Profile) -> Result<(), ApiError> {
    let login_ok = (2..=64).contains(&p.login.len())
        && p.login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if !login_ok {
        return Err(ApiError::BadRequest(
            "login must be 2-64 letters, digits, '.', '-', '_' or '@'".into(),
        ));
    }
    if p.name.trim().is_empty() {
        return Err(ApiError::BadRequest("name is empty".into()));
    }
    if p.capacity > 100 {
        return Err(ApiError::BadRequest("capacity must be 0 to 100".into()));
    }
    if let Some((s, l)) = p
        .skills
        .iter()
        .find(|(s, l)| s.trim().is_empty() || !(1..=crate::routing::MAX_SKILL_LEVEL).contains(*l))
    {
        return Err(ApiError::BadRequest(format!(
            "skill {s:?} has level {l}; levels run from 1 to 5"
        )));
    }
    Ok(())
}

async fn hash(password: String) -> Result<String, ApiError> {
    // argon2 is deliberately slow: keep it off the async workers.
    tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// Create an agent (API and console): checked, hashed, stored offline.
pub async fn create_agent(engine: &Engine, n: NewAgent) -> Result<i64, ApiError> {
    let profile = Profile {
        login: n.login.trim().to_string(),
        name: n.name.trim().to_string(),
        role: n.role,
        skills: n.skills,
        groups: n.groups,
        capacity: n.capacity,
    };
    check_profile(&profile)?;
    let hash = hash(n.password).await?;
    let now = engine.clock.now_ms();
    Ok(agents::create(&engine.store, &profile, &hash, now).await?)
}

async fn create(
    State(state): State<AppState>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<(axum::http::StatusCode, Json<Value>), ApiError> {
    let bytes = body(raw, state.engine.settings.server.body_limit_bytes)?;
    let n: NewAgent = json(&bytes)?;
    let id = create_agent(&state.engine, n).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({"agent": agents::get(&state.engine.store, id).await?})),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentChange {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub skills: Option<BTreeMap<String, u8>>,
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    #[serde(default)]
    pub capacity: Option<u32>,
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// Change an agent's profile (API and console); routing re-reads it at once.
pub async fn update_agent(engine: &Engine, id: i64, c: AgentChange) -> Result<(), ApiError> {
    let current = agents::get(&engine.store, id).await?;
    let a = current.agent;
    let profile = Profile {
        login: a.login,
        name: c.name.map(|n| n.trim().to_string()).unwrap_or(a.name),
        role: c.role.unwrap_or(a.role),
        skills: c.skills.unwrap_or(a.skills),
        groups: c.groups.unwrap_or(a.groups),
        capacity: c.capacity.unwrap_or(a.capacity),
    };
    check_profile(&profile)?;
    let disabled = c.disabled.unwrap_or(current.disabled);
    let demoting = a.role == Role::Admin && (profile.role != Role::Admin || disabled);
    if demoting && !current.disabled && agents::count_admins(&engine.store).await? <= 1 {
        return Err(ApiError::Conflict(
            "this is the last admin; make another admin first".into(),
        ));
    }
    let now = engine.clock.now_ms();
    let mut tx = engine.store.begin().await?;
    agents::save_profile(&mut tx, id, &profile, disabled, now).await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    if disabled {
        sessions::delete_for_agent(&engine.store, id).await?;
    }
    desk::run(engine, &desk::Actor::Api, Op::Refresh { agent_id: id }).await?;
    Ok(())
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let bytes = body(raw, state.engine.settings.server.body_limit_bytes)?;
    let c: AgentChange = json(&bytes)?;
    update_agent(&state.engine, id, c).await?;
    Ok(Json(
        json!({"agent": agents::get(&state.engine.store, id).await?}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: Status,
}

async fn status(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let bytes = body(raw, state.engine.settings.server.body_limit_bytes)?;
    let b: StatusBody = json(&bytes)?;
    let o = commands::set_status(&state.engine, &p.who(), id, b.status).await?;
    state.engine.wake.routing.notify_one();
    Ok(Json(json!({
        "agent": agents::get(&state.engine.store, id).await?,
        "effects": o.effects,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

/// An admin sets a new password; the agent's sessions end.
async fn password(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let bytes = body(raw, state.engine.settings.server.body_limit_bytes)?;
    let b: PasswordBody = json(&bytes)?;
    set_password(&state.engine, id, b.password).await?;
    Ok(Json(json!({"agent_id": id, "sessions_ended": true})))
}

/// A new password (checked and hashed); the agent's sessions end.
pub async fn set_password(engine: &Engine, id: i64, password: String) -> Result<(), ApiError> {
    let hash = hash(password).await?;
    agents::set_password(&engine.store, id, &hash, engine.clock.now_ms()).await?;
    sessions::delete_for_agent(&engine.store, id).await?;
    Ok(())
}
