//! The `agents` table: the people who work in the console (login, role, skills, groups,
//! capacity, status) and their password hashes, which never leave this module unasked.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, Tx};
use crate::routing::{Agent, Role, Status};

/// An agent as stored: the routing view plus what only administration needs.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgentRow {
    #[serde(flatten)]
    pub agent: Agent,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What an administrator sets; status and idle time belong to routing.
#[derive(Debug, Clone)]
pub struct Profile {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub skills: BTreeMap<String, u8>,
    pub groups: Vec<String>,
    pub capacity: u32,
}

const COLUMNS: &str = "id, login, name, role, skills, agent_groups, capacity, status, idle_since, \
    disabled, created_at, updated_at";

fn row(r: &sqlx::any::AnyRow) -> Result<AgentRow, StoreError> {
    let bad = |what: &str, v: &str| StoreError::Query(format!("agents: unreadable {what} {v:?}"));
    let role: String = r.try_get("role")?;
    let skills: String = r.try_get("skills")?;
    let groups: String = r.try_get("agent_groups")?;
    let status: String = r.try_get("status")?;
    let capacity: i64 = r.try_get("capacity")?;
    Ok(AgentRow {
        agent: Agent {
            id: r.try_get("id")?,
            login: r.try_get("login")?,
            name: r.try_get("name")?,
            role: Role::parse(&role).ok_or_else(|| bad("role", &role))?,
            skills: serde_json::from_str(&skills).map_err(|_| bad("skills", &skills))?,
            groups: serde_json::from_str(&groups).map_err(|_| bad("groups", &groups))?,
            capacity: u32::try_from(capacity).unwrap_or(0),
            status: Status::parse(&status).ok_or_else(|| bad("status", &status))?,
            idle_since_ms: r.try_get("idle_since")?,
        },
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("maps and lists of strings serialise; this is a bug")
}

/// A new agent, offline. A login already taken is a conflict.
pub async fn create(
    store: &Store,
    p: &Profile,
    password_hash: &str,
    now_ms: i64,
) -> Result<i64, StoreError> {
    let mut tx = store.begin().await?;
    let taken = sqlx::query("SELECT id FROM agents WHERE login = $1")
        .bind(&p.login)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(StoreError::Conflict(format!(
            "the login {:?} is taken",
            p.login
        )));
    }
    let id: i64 = sqlx::query(
        "INSERT INTO agents (login, name, role, password_hash, skills, agent_groups, capacity, status, \
         idle_since, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'offline', $8, $9, $10) RETURNING id",
    )
    .bind(&p.login)
    .bind(&p.name)
    .bind(p.role.as_str())
    .bind(password_hash)
    .bind(json(&p.skills))
    .bind(json(&p.groups))
    .bind(i64::from(p.capacity))
    .bind(now_ms)
    .bind(now_ms)
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    tx.commit().await?;
    Ok(id)
}

pub async fn get(store: &Store, id: i64) -> Result<AgentRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM agents WHERE id = $1");
    let r = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("agent {id}")))?;
    row(&r)
}

/// The agent with this login and the stored password hash (for logging in).
pub async fn by_login(
    store: &Store,
    login: &str,
) -> Result<Option<(AgentRow, String)>, StoreError> {
    let sql = format!("SELECT {COLUMNS}, password_hash FROM agents WHERE login = $1");
    let r = sqlx::query(&sql)
        .bind(login)
        .fetch_optional(&store.pool)
        .await?;
    r.map(|r| Ok((row(&r)?, r.try_get("password_hash")?)))
        .transpose()
}

pub async fn list(store: &Store) -> Result<Vec<AgentRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM agents ORDER BY login");
    let rows = sqlx::query(&sql).fetch_all(&store.pool).await?;
    rows.iter().map(row).collect()
}

/// Agents routing may use (not disabled), inside the routing transaction.
pub async fn for_routing(tx: &mut Tx) -> Result<Vec<Agent>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM agents WHERE disabled = 0 ORDER BY id");
    let rows = sqlx::query(&sql).fetch_all(&mut **tx).await?;
    rows.iter().map(|r| row(r).map(|a| a.agent)).collect()
}

pub async fn get_tx(tx: &mut Tx, id: i64) -> Result<AgentRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM agents WHERE id = $1");
    let r = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("agent {id}")))?;
    row(&r)
}

/// What routing changes on an agent: status and the idle clock.
pub async fn save_routing(tx: &mut Tx, a: &Agent, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE agents SET status = $1, idle_since = $2, updated_at = $3 WHERE id = $4")
        .bind(a.status.as_str())
        .bind(a.idle_since_ms)
        .bind(now_ms)
        .bind(a.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What an administrator changes; the login stays (sessions and history refer to it).
pub async fn save_profile(
    tx: &mut Tx,
    id: i64,
    p: &Profile,
    disabled: bool,
    now_ms: i64,
) -> Result<(), StoreError> {
    let n = sqlx::query(
        "UPDATE agents SET name = $1, role = $2, skills = $3, agent_groups = $4, capacity = $5, \
         disabled = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(&p.name)
    .bind(p.role.as_str())
    .bind(json(&p.skills))
    .bind(json(&p.groups))
    .bind(i64::from(p.capacity))
    .bind(i64::from(disabled))
    .bind(now_ms)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!("agent {id}")));
    }
    Ok(())
}

pub async fn set_password(
    store: &Store,
    id: i64,
    password_hash: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    let n = sqlx::query("UPDATE agents SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(now_ms)
        .bind(id)
        .execute(&store.pool)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!("agent {id}")));
    }
    Ok(())
}

/// How many agents can administer (the first-start hint and "keep one admin").
pub async fn count_admins(store: &Store) -> Result<i64, StoreError> {
    let r = sqlx::query("SELECT COUNT(*) AS n FROM agents WHERE role = 'admin' AND disabled = 0")
        .fetch_one(&store.pool)
        .await?;
    Ok(r.try_get("n")?)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::StoreOptions;

    /// Rows are read by column name: selecting the columns in another order maps the same row.
    #[tokio::test]
    async fn a_reordered_column_list_maps_the_same_row() {
        let dir = std::env::temp_dir().join(format!("hearken-rows-{}", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}", dir.join("store.db").display());
        let opts = StoreOptions {
            max_connections: 1,
            acquire_timeout: Duration::from_secs(5),
        };
        let store = Store::connect(&url, &opts).await.unwrap();
        store.migrate().await.unwrap();
        let profile = Profile {
            login: "ada".into(),
            name: "Ada Lovelace".into(),
            role: Role::Supervisor,
            skills: BTreeMap::from([("billing".to_string(), 3)]),
            groups: vec!["tier2".into()],
            capacity: 4,
        };
        let id = create(&store, &profile, "hash", 1_000).await.unwrap();
        let expected = get(&store, id).await.unwrap();

        let reversed = COLUMNS
            .split(',')
            .map(str::trim)
            .rev()
            .collect::<Vec<_>>()
            .join(", ");
        assert_ne!(reversed, COLUMNS);
        let sql = format!("SELECT {reversed} FROM agents WHERE id = $1");
        let r = sqlx::query(&sql)
            .bind(id)
            .fetch_one(&store.pool)
            .await
            .unwrap();
        let got = row(&r).unwrap();
        assert_eq!(got, expected);
        assert_eq!(got.agent.login, "ada");
        assert_eq!(got.agent.name, "Ada Lovelace");
        assert_eq!(got.agent.role, Role::Supervisor);
        assert_eq!(got.agent.capacity, 4);
        assert_eq!(got.agent.groups, vec!["tier2".to_string()]);
        assert_eq!(got.created_at, 1_000);
        store.pool.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
