//! Reads across several conversations at once, for the console's transcript of a contact:
//! their messages, the bot's decisions, owner transitions and the outbox actions not yet sent.

use sqlx::Row;

use super::conversations::{self, DecisionRow, Message, Transition};
use super::outbox::{self, OutboxRow};
use super::{Store, StoreError};

/// `$first, $first+1, ...` for `n` bound values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every message of these conversations, oldest first.
pub async fn messages_of(
    store: &Store,
    conversation_ids: &[i64],
) -> Result<Vec<Message>, StoreError> {
    if conversation_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, conversation_id, direction, visibility, author, text, platform_message_id, analysis, created_at \
         FROM messages WHERE conversation_id IN ({}) ORDER BY created_at, id",
        placeholders(1, conversation_ids.len())
    );
    let mut q = sqlx::query(&sql);
    for id in conversation_ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&store.pool).await?;
    Ok(rows
        .iter()
        .map(conversations::message)
        .collect::<Result<_, _>>()?)
}

/// The bot's decisions in these conversations, each with its conversation id.
pub async fn decisions_of(
    store: &Store,
    conversation_ids: &[i64],
) -> Result<Vec<(i64, DecisionRow)>, StoreError> {
    if conversation_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, message_id, kind, reason, detail, created_at, conversation_id FROM decisions \
         WHERE conversation_id IN ({}) ORDER BY id",
        placeholders(1, conversation_ids.len())
    );
    let mut q = sqlx::query(&sql);
    for id in conversation_ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&store.pool).await?;
    rows.iter()
        .map(|r| {
            let detail: String = r.try_get("detail")?;
            Ok((
                r.try_get("conversation_id")?,
                DecisionRow {
                    id: r.try_get("id")?,
                    message_id: r.try_get("message_id")?,
                    kind: r.try_get("kind")?,
                    reason: r.try_get("reason")?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                    created_at: r.try_get("created_at")?,
                },
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Owner changes in these conversations, each with its conversation id.
pub async fn transitions_of(
    store: &Store,
    conversation_ids: &[i64],
) -> Result<Vec<(i64, Transition)>, StoreError> {
    if conversation_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, from_owner, to_owner, actor, reason, created_at, conversation_id FROM transitions \
         WHERE conversation_id IN ({}) ORDER BY id",
        placeholders(1, conversation_ids.len())
    );
    let mut q = sqlx::query(&sql);
    for id in conversation_ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&store.pool).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("conversation_id")?,
                Transition {
                    id: r.try_get("id")?,
                    from_owner: r.try_get("from_owner")?,
                    to_owner: r.try_get("to_owner")?,
                    actor: r.try_get("actor")?,
                    reason: r.try_get("reason")?,
                    created_at: r.try_get("created_at")?,
                },
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Outbox actions of these conversations that are not sent yet (pending, retrying, being sent
/// or dead), plus likes and reposts in any state: a sent reply is already a message, a sent
/// reaction is nowhere else.
pub async fn unsent_of(
    store: &Store,
    conversation_ids: &[i64],
) -> Result<Vec<OutboxRow>, StoreError> {
    if conversation_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {} FROM outbox WHERE conversation_id IN ({}) \
         AND (status <> 'sent' OR kind IN ('like', 'repost')) ORDER BY created_at, id",
        outbox::COLUMNS,
        placeholders(1, conversation_ids.len())
    );
    let mut q = sqlx::query(&sql);
    for id in conversation_ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&store.pool).await?;
    Ok(rows.iter().map(outbox::row).collect::<Result<_, _>>()?)
}
