//! The `events` table: every state change, in order, until the dispatcher has fanned it out.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, Tx};

#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub uuid: String,
    pub kind: String,
    pub conversation_id: Option<i64>,
    pub payload: serde_json::Value,
    pub created_at: i64,
}

pub async fn insert(
    tx: &mut Tx,
    kind: &str,
    conversation_id: Option<i64>,
    payload: &serde_json::Value,
    now_ms: i64,
) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query(
        "INSERT INTO events (uuid, kind, conversation_id, payload, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(kind)
    .bind(conversation_id)
    .bind(payload.to_string())
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")?;
    Ok(id)
}

fn event(r: &sqlx::any::AnyRow) -> Result<EventRow, sqlx::Error> {
    let payload: String = r.try_get("payload")?;
    Ok(EventRow {
        id: r.try_get("id")?,
        uuid: r.try_get("uuid")?,
        kind: r.try_get("kind")?,
        conversation_id: r.try_get("conversation_id")?,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        created_at: r.try_get("created_at")?,
    })
}

const COLUMNS: &str = "id, uuid, kind, conversation_id, payload, created_at";

/// Events not yet fanned out, oldest first, claimed so that one process dispatches each.
pub async fn claim_undispatched(
    store: &Store,
    tx: &mut Tx,
    limit: usize,
) -> Result<Vec<EventRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE dispatched = 0 ORDER BY id LIMIT $1{}",
        store.skip_locked()
    );
    let rows = sqlx::query(&sql)
        .bind(limit as i64)
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.iter().map(event).collect::<Result<_, _>>()?)
}

pub async fn mark_dispatched(tx: &mut Tx, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE events SET dispatched = 1 WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct ListFilter {
    pub after_id: i64,
    pub kind: Option<String>,
    pub conversation_id: Option<i64>,
    pub limit: i64,
}

pub async fn list(store: &Store, f: &ListFilter) -> Result<Vec<EventRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE id > $1 AND ($2 = '' OR kind = $3) AND ($4 = 0 OR conversation_id = $5) \
         ORDER BY id LIMIT $6"
    );
    let kind = f.kind.clone().unwrap_or_default();
    let conv = f.conversation_id.unwrap_or(0);
    let rows = sqlx::query(&sql)
        .bind(f.after_id)
        .bind(kind.clone())
        .bind(kind)
        .bind(conv)
        .bind(conv)
        .bind(f.limit)
        .fetch_all(&store.pool)
        .await?;
    Ok(rows.iter().map(event).collect::<Result<_, _>>()?)
}

/// The newest event's id (0 when none): live views compare it to see changes by other processes.
pub async fn last_id(store: &Store) -> Result<i64, StoreError> {
    let r = sqlx::query("SELECT COALESCE(MAX(id), 0) AS n FROM events")
        .fetch_one(&store.pool)
        .await?;
    Ok(r.try_get("n")?)
}
