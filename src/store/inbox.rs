//! The `inbox` table: every inbound event, stored once per (channel, platform event id).

use sqlx::Row;

use super::{Store, StoreError, Tx};

/// One event waiting to be (or being) processed.
#[derive(Debug, Clone)]
pub struct InboxRow {
    pub id: i64,
    pub channel: String,
    pub event_id: String,
    pub received_at: i64,
    pub event: String,
    pub attempts: i64,
}

/// What the intake learnt about one event: stored now, or already stored earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New(i64),
    Duplicate,
}

pub struct NewInbound<'a> {
    pub channel: &'a str,
    pub event_id: &'a str,
    pub event_json: &'a str,
}

/// Insert several events in one transaction (group commit); repeats are no-ops.
pub async fn insert_batch(
    store: &Store,
    events: &[NewInbound<'_>],
    now_ms: i64,
) -> Result<Vec<Stored>, StoreError> {
    let mut tx = store.begin().await?;
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let row = sqlx::query(
            "INSERT INTO inbox (channel, event_id, received_at, event) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (channel, event_id) DO NOTHING RETURNING id",
        )
        .bind(e.channel)
        .bind(e.event_id)
        .bind(now_ms)
        .bind(e.event_json)
        .fetch_optional(&mut *tx)
        .await?;
        out.push(match row {
            Some(r) => Stored::New(r.try_get("id")?),
            None => Stored::Duplicate,
        });
    }
    tx.commit().await?;
    Ok(out)
}

/// Claim up to `limit` rows that are pending or whose earlier claim has expired.
pub async fn claim(
    store: &Store,
    limit: usize,
    now_ms: i64,
    claim_ms: i64,
) -> Result<Vec<InboxRow>, StoreError> {
    let sql = format!(
        "UPDATE inbox SET status = 'processing', attempts = attempts + 1, claimed_until = $1 \
         WHERE id IN (SELECT id FROM inbox WHERE (status = 'pending' OR status = 'processing') \
            AND claimed_until < $2 ORDER BY id LIMIT $3{}) \
         RETURNING id, channel, event_id, received_at, event, attempts",
        store.skip_locked()
    );
    let rows = sqlx::query(&sql)
        .bind(now_ms + claim_ms)
        .bind(now_ms)
        .bind(limit as i64)
        .fetch_all(&store.pool)
        .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(InboxRow {
                id: r.try_get("id")?,
                channel: r.try_get("channel")?,
                event_id: r.try_get("event_id")?,
                received_at: r.try_get("received_at")?,
                event: r.try_get("event")?,
                attempts: r.try_get("attempts")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    out.sort_by_key(|r| r.id);
    Ok(out)
}

pub async fn mark_done(tx: &mut Tx, id: i64, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE inbox SET status = 'done', processed_at = $1, last_error = NULL WHERE id = $2",
    )
    .bind(now_ms)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Give a row back after a failure: pending again from `retry_at_ms` (so a passing fault does
/// not burn every attempt at once), or `failed` once out of attempts.
pub async fn release_failed(
    store: &Store,
    id: i64,
    error: &str,
    give_up: bool,
    retry_at_ms: i64,
) -> Result<(), StoreError> {
    let status = if give_up { "failed" } else { "pending" };
    sqlx::query("UPDATE inbox SET status = $1, last_error = $2, claimed_until = $3 WHERE id = $4")
        .bind(status)
        .bind(error)
        .bind(retry_at_ms)
        .bind(id)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Rows per status (counts for /v1/inbox).
pub async fn counts(store: &Store) -> Result<Vec<(String, i64)>, StoreError> {
    super::status_counts(store, "inbox").await
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct InboxEntry {
    pub id: i64,
    pub channel: String,
    pub event_id: String,
    pub received_at: i64,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub processed_at: Option<i64>,
}

/// Rows by status, newest first (`failed` ones are what an operator looks at).
pub async fn list(store: &Store, status: &str, limit: i64) -> Result<Vec<InboxEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, channel, event_id, received_at, status, attempts, last_error, processed_at FROM inbox \
         WHERE ($1 = '' OR status = $2) ORDER BY id DESC LIMIT $3",
    )
    .bind(status)
    .bind(status)
    .bind(limit)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(InboxEntry {
                id: r.try_get("id")?,
                channel: r.try_get("channel")?,
                event_id: r.try_get("event_id")?,
                received_at: r.try_get("received_at")?,
                status: r.try_get("status")?,
                attempts: r.try_get("attempts")?,
                last_error: r.try_get("last_error")?,
                processed_at: r.try_get("processed_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
