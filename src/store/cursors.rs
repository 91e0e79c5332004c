//! The `channel_cursors` table: where each polled channel resumes after a restart.

use sqlx::Row;

use super::{Store, StoreError};

pub async fn get(store: &Store, channel: &str) -> Result<Option<String>, StoreError> {
    let r = sqlx::query("SELECT cursor FROM channel_cursors WHERE channel = $1")
        .bind(channel)
        .fetch_optional(&store.pool)
        .await?;
    Ok(r.map(|r| r.try_get("cursor")).transpose()?)
}

pub async fn set(
    store: &Store,
    channel: &str,
    cursor: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO channel_cursors (channel, cursor, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (channel) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
    )
    .bind(channel)
    .bind(cursor)
    .bind(now_ms)
    .execute(&store.pool)
    .await?;
    Ok(())
}
