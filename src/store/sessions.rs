//! The `sessions` and `login_failures` tables: console sessions (only a hash of the cookie
//! token is stored) and failed logins for the rate limit, shared by every process.

use sqlx::Row;

use super::{Store, StoreError};

/// A live session: whose it is and the CSRF token its forms carry.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub agent_id: i64,
    pub csrf: String,
    pub expires_at: i64,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow")
            .field("agent_id", &self.agent_id)
            .field("csrf", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

pub async fn create(
    store: &Store,
    token_hash: &str,
    agent_id: i64,
    csrf: &str,
    now_ms: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, agent_id, csrf, created_at, last_seen, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(agent_id)
    .bind(csrf)
    .bind(now_ms)
    .bind(now_ms)
    .bind(expires_at)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// The session of this token hash, if it exists and has not expired.
pub async fn get(
    store: &Store,
    token_hash: &str,
    now_ms: i64,
) -> Result<Option<SessionRow>, StoreError> {
    let r = sqlx::query(
        "SELECT agent_id, csrf, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(&store.pool)
    .await?;
    r.map(|r| {
        Ok(SessionRow {
            agent_id: r.try_get("agent_id")?,
            csrf: r.try_get("csrf")?,
            expires_at: r.try_get("expires_at")?,
        })
    })
    .transpose()
    .map_err(|e: sqlx::Error| e.into())
}

pub async fn delete(store: &Store, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Ends every session of an agent (password changed, disabled).
pub async fn delete_for_agent(store: &Store, agent_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE agent_id = $1")
        .bind(agent_id)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Expired sessions and old failures go; called now and then.
pub async fn sweep(store: &Store, now_ms: i64, failures_before: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now_ms)
        .execute(&store.pool)
        .await?;
    sqlx::query("DELETE FROM login_failures WHERE created_at < $1")
        .bind(failures_before)
        .execute(&store.pool)
        .await?;
    Ok(())
}

pub async fn record_failure(
    store: &Store,
    login: &str,
    address: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO login_failures (login, address, created_at) VALUES ($1, $2, $3)")
        .bind(login)
        .bind(address)
        .bind(now_ms)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Failures since `since_ms` for this login and for this address, and the oldest of them.
pub async fn recent_failures(
    store: &Store,
    login: &str,
    address: &str,
    since_ms: i64,
) -> Result<(i64, i64, Option<i64>), StoreError> {
    let r = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN login = $1 THEN 1 ELSE 0 END), 0) AS by_login, \
         COALESCE(SUM(CASE WHEN address = $2 THEN 1 ELSE 0 END), 0) AS by_address, MIN(created_at) AS oldest \
         FROM login_failures WHERE created_at >= $3 AND (login = $4 OR address = $5)",
    )
    .bind(login)
    .bind(address)
    .bind(since_ms)
    .bind(login)
    .bind(address)
    .fetch_one(&store.pool)
    .await?;
    Ok((
        r.try_get("by_login")?,
        r.try_get("by_address")?,
        r.try_get("oldest")?,
    ))
}

/// A successful login forgets that login's failures (not the address's).
pub async fn clear_failures(store: &Store, login: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_failures WHERE login = $1")
        .bind(login)
        .execute(&store.pool)
        .await?;
    Ok(())
}
