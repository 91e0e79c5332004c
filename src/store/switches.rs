//! The `switches` table: runtime switches such as emergency mode, shared by every process.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, Tx};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Switch {
    pub name: String,
    pub on: bool,
    /// Overrides the configured message when set.
    pub message: Option<String>,
    pub actor: String,
    pub changed_at: i64,
}

pub const EMERGENCY: &str = "emergency";

pub async fn get(store: &Store, name: &str) -> Result<Option<Switch>, StoreError> {
    let r =
        sqlx::query("SELECT name, is_on, message, actor, changed_at FROM switches WHERE name = $1")
            .bind(name)
            .fetch_optional(&store.pool)
            .await?;
    r.map(|r| {
        Ok(Switch {
            name: r.try_get("name")?,
            on: r.try_get::<i64, _>("is_on")? != 0,
            message: r.try_get("message")?,
            actor: r.try_get("actor")?,
            changed_at: r.try_get("changed_at")?,
        })
    })
    .transpose()
    .map_err(|e: sqlx::Error| e.into())
}

/// Write a switch inside the caller's transaction (its event goes in the same one).
pub async fn set(tx: &mut Tx, s: &Switch) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO switches (name, is_on, message, actor, changed_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (name) DO UPDATE SET is_on = excluded.is_on, message = excluded.message, \
         actor = excluded.actor, changed_at = excluded.changed_at",
    )
    .bind(&s.name)
    .bind(i64::from(s.on))
    .bind(s.message.as_deref())
    .bind(&s.actor)
    .bind(s.changed_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
