//! The `outbox` table: every outbound action, once per idempotency key, until sent or dead.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, Tx};

#[derive(Debug, Clone, Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub idempotency_key: String,
    pub conversation_id: Option<i64>,
    pub channel: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub deadline_at: i64,
    pub last_error: Option<String>,
    pub external_id: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

pub(super) const COLUMNS: &str =
    "id, idempotency_key, conversation_id, channel, kind, payload, status, attempts, \
    next_attempt_at, deadline_at, last_error, external_id, created_at, sent_at";

pub(super) fn row(r: &sqlx::any::AnyRow) -> Result<OutboxRow, sqlx::Error> {
    let payload: String = r.try_get("payload")?;
    Ok(OutboxRow {
        id: r.try_get("id")?,
        idempotency_key: r.try_get("idempotency_key")?,
        conversation_id: r.try_get("conversation_id")?,
        channel: r.try_get("channel")?,
        kind: r.try_get("kind")?,
        // Not JSON at all: the worker finds no action in Null and dead-letters the row.
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        deadline_at: r.try_get("deadline_at")?,
        last_error: r.try_get("last_error")?,
        external_id: r.try_get("external_id")?,
        created_at: r.try_get("created_at")?,
        sent_at: r.try_get("sent_at")?,
    })
}

/// A new row. `crate::outbox::enqueue` fills `channel`, `kind` and `payload` from a typed
/// action, so callers above the store never write them by hand.
pub struct NewRow<'a> {
    pub idempotency_key: &'a str,
    pub conversation_id: Option<i64>,
    pub channel: &'a str,
    pub kind: &'a str,
    pub payload: &'a str,
    pub deadline_ms: i64,
}

/// Insert a row; a second row with the same key is ignored. Returns its id when new.
pub async fn insert(tx: &mut Tx, a: &NewRow<'_>, now_ms: i64) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query(
        "INSERT INTO outbox (idempotency_key, conversation_id, channel, kind, payload, next_attempt_at, deadline_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(a.idempotency_key)
    .bind(a.conversation_id)
    .bind(a.channel)
    .bind(a.kind)
    .bind(a.payload)
    .bind(now_ms)
    .bind(a.deadline_ms)
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

/// Claim due actions. A claim expires, so an action whose sender died is tried again.
pub async fn claim_due(
    store: &Store,
    limit: usize,
    now_ms: i64,
    claim_ms: i64,
    paused_channels: &[String],
) -> Result<Vec<OutboxRow>, StoreError> {
    let paused = if paused_channels.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = paused_channels
            .iter()
            .map(|c| format!("'{}'", c.replace('\'', "''")))
            .collect();
        format!(" AND channel NOT IN ({})", list.join(", "))
    };
    let sql = format!(
        "UPDATE outbox SET status = 'sending', claimed_until = $1 WHERE id IN \
         (SELECT id FROM outbox WHERE ((status = 'pending' AND next_attempt_at <= $2) \
           OR (status = 'sending' AND claimed_until < $3)){paused} ORDER BY next_attempt_at, id LIMIT $4{}) \
         RETURNING {COLUMNS}",
        store.skip_locked()
    );
    let rows = sqlx::query(&sql)
        .bind(now_ms + claim_ms)
        .bind(now_ms)
        .bind(now_ms)
        .bind(limit as i64)
        .fetch_all(&store.pool)
        .await?;
    let mut out = rows.iter().map(row).collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|r| (r.next_attempt_at, r.id));
    Ok(out)
}

pub async fn mark_sent(
    tx: &mut Tx,
    id: i64,
    attempts: i64,
    external_id: Option<&str>,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE outbox SET status = 'sent', attempts = $1, external_id = $2, sent_at = $3, last_error = NULL WHERE id = $4",
    )
    .bind(attempts)
    .bind(external_id)
    .bind(now_ms)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn reschedule(
    store: &Store,
    id: i64,
    attempts: i64,
    next_attempt_ms: i64,
    error: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE outbox SET status = 'pending', attempts = $1, next_attempt_at = $2, last_error = $3, claimed_until = 0 WHERE id = $4",
    )
    .bind(attempts)
    .bind(next_attempt_ms)
    .bind(error)
    .bind(id)
    .execute(&store.pool)
    .await?;
    Ok(())
}

pub async fn mark_dead(tx: &mut Tx, id: i64, attempts: i64, error: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbox SET status = 'dead', attempts = $1, last_error = $2 WHERE id = $3")
        .bind(attempts)
        .bind(error)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct ListFilter {
    pub status: Option<String>,
    pub conversation_id: Option<i64>,
    pub limit: i64,
}

pub async fn list(store: &Store, f: &ListFilter) -> Result<Vec<OutboxRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM outbox WHERE ($1 = '' OR status = $2) AND ($3 = 0 OR conversation_id = $4) \
         ORDER BY id DESC LIMIT $5"
    );
    let status = f.status.clone().unwrap_or_default();
    let conv = f.conversation_id.unwrap_or(0);
    let rows = sqlx::query(&sql)
        .bind(status.clone())
        .bind(status)
        .bind(conv)
        .bind(conv)
        .bind(f.limit)
        .fetch_all(&store.pool)
        .await?;
    Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
}

pub async fn get(store: &Store, id: i64) -> Result<OutboxRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = $1");
    let r = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("outbox action {id}")))?;
    Ok(row(&r)?)
}

/// The earliest time a pending action becomes due, so the worker can sleep until then.
pub async fn next_due(store: &Store) -> Result<Option<i64>, StoreError> {
    let r =
        sqlx::query("SELECT MIN(next_attempt_at) AS next_at FROM outbox WHERE status = 'pending'")
            .fetch_one(&store.pool)
            .await?;
    Ok(r.try_get("next_at")?)
}

/// Actions per status (gauges for /metrics).
pub async fn counts(store: &Store) -> Result<Vec<(String, i64)>, StoreError> {
    super::status_counts(store, "outbox").await
}
