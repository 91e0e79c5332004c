//! The agents operations (create, change, new password) shared by the API, the console's admin
//! page and `hearken agents`, with the rules they all keep.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Actor, DeskError, Op};
use crate::engine::Engine;
use crate::routing::{Role, MAX_SKILL_LEVEL};
use crate::store::agents::{self, Profile};
use crate::store::{sessions, StoreError};

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

/// A change to an agent's profile; what is `None` stays.
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

/// `billing=3` (level 1-5; `billing` alone is level 3): the CLI's `--skill` and the console's
/// skills box.
pub fn parse_skill(s: &str) -> Result<(String, u8), String> {
    let (name, level) = match s.split_once('=') {
        Some((n, l)) => (
            n.trim(),
            l.trim()
                .parse::<u8>()
                .map_err(|_| format!("{s:?}: the level must be a number 1-5"))?,
        ),
        None => (s.trim(), 3),
    };
    if name.is_empty() || !(1..=MAX_SKILL_LEVEL).contains(&level) {
        return Err(format!(
            "{s:?}: expected SKILL or SKILL=LEVEL with LEVEL 1-5"
        ));
    }
    Ok((name.to_string(), level))
}

/// Logins are part of the actor name (`agent:<login>`): keep them plain.
pub fn check_profile(p: &Profile) -> Result<(), DeskError> {
    let login_ok = (2..=64).contains(&p.login.len())
        && p.login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if !login_ok {
        return Err(DeskError::BadInput(
            "login must be 2-64 letters, digits, '.', '-', '_' or '@'".into(),
        ));
    }
    if p.name.trim().is_empty() {
        return Err(DeskError::BadInput("name is empty".into()));
    }
    if p.capacity > 100 {
        return Err(DeskError::BadInput("capacity must be 0 to 100".into()));
    }
    if let Some((s, l)) = p
        .skills
        .iter()
        .find(|(s, l)| s.trim().is_empty() || !(1..=MAX_SKILL_LEVEL).contains(*l))
    {
        return Err(DeskError::BadInput(format!(
            "skill {s:?} has level {l}; levels run from 1 to 5"
        )));
    }
    Ok(())
}

async fn hash(password: String) -> Result<String, DeskError> {
    // argon2 is deliberately slow: keep it off the async workers.
    tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
        .await
        .map_err(|e| DeskError::Internal(e.to_string()))?
        .map_err(|e| DeskError::BadInput(e.to_string()))
}

/// Create an agent: checked, hashed, stored offline.
pub async fn create(engine: &Engine, n: NewAgent) -> Result<i64, DeskError> {
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

/// Change an agent's profile; routing re-reads it at once. The last admin stays an admin.
pub async fn update(engine: &Engine, id: i64, c: AgentChange) -> Result<(), DeskError> {
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
        return Err(DeskError::Conflict(
            "this is the last admin; make another admin first".into(),
        ));
    }
    let now = engine.clock.now_ms();
    let mut tx = engine.store.begin().await?;
    agents::save_profile(&mut tx, id, &profile, disabled, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    if disabled {
        sessions::delete_for_agent(&engine.store, id).await?;
    }
    super::run(engine, &Actor::Api, Op::Refresh { agent_id: id }).await?;
    Ok(())
}

/// A new password (checked and hashed); the agent's sessions end.
pub async fn set_password(engine: &Engine, id: i64, password: String) -> Result<(), DeskError> {
    let hash = hash(password).await?;
    agents::set_password(&engine.store, id, &hash, engine.clock.now_ms()).await?;
    sessions::delete_for_agent(&engine.store, id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skill_is_a_name_with_an_optional_level_from_one_to_five() {
        assert_eq!(parse_skill("billing=4"), Ok(("billing".into(), 4)));
        assert_eq!(parse_skill(" orders "), Ok(("orders".into(), 3)));
        assert!(parse_skill("billing=6").is_err());
        assert!(parse_skill("billing=x").is_err());
        assert!(parse_skill("=2").is_err());
    }
}
