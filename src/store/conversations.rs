//! The `conversations`, `messages`, `decisions` and `transitions` tables: threads, their
//! transcripts and who owns them.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, Tx};

#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    pub id: i64,
    pub channel: String,
    pub visibility: String,
    pub thread_key: String,
    pub contact_id: i64,
    pub owner: String,
    pub skill: Option<String>,
    pub priority: Option<i64>,
    pub not_before: Option<i64>,
    pub linked_to: Option<i64>,
    pub notice_sent: bool,
    pub ticket_url: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, channel, visibility, thread_key, contact_id, owner, skill, priority, \
    not_before, linked_to, notice_sent, ticket_url, created_at, updated_at";

fn conversation(r: &sqlx::any::AnyRow) -> Result<Conversation, sqlx::Error> {
    Ok(Conversation {
        id: r.try_get("id")?,
        channel: r.try_get("channel")?,
        visibility: r.try_get("visibility")?,
        thread_key: r.try_get("thread_key")?,
        contact_id: r.try_get("contact_id")?,
        owner: r.try_get("owner")?,
        skill: r.try_get("skill")?,
        priority: r.try_get("priority")?,
        not_before: r.try_get("not_before")?,
        linked_to: r.try_get("linked_to")?,
        notice_sent: r.try_get::<i64, _>("notice_sent")? != 0,
        ticket_url: r.try_get("ticket_url")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub struct NewConversation<'a> {
    pub channel: &'a str,
    pub visibility: &'a str,
    pub thread_key: &'a str,
    pub contact_id: i64,
    /// The public conversation this private one continues, if any.
    pub linked_to: Option<i64>,
}

/// The conversation of a thread, created on its first message. Returns (conversation, created).
pub async fn find_or_create(
    tx: &mut Tx,
    new: &NewConversation<'_>,
    now_ms: i64,
) -> Result<(Conversation, bool), StoreError> {
    if let Some(c) = by_thread(tx, new.channel, new.thread_key).await? {
        return Ok((c, false));
    }
    let id: i64 = sqlx::query(
        "INSERT INTO conversations (channel, visibility, thread_key, contact_id, linked_to, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(new.channel)
    .bind(new.visibility)
    .bind(new.thread_key)
    .bind(new.contact_id)
    .bind(new.linked_to)
    .bind(now_ms)
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")?;
    if let Some(public) = new.linked_to {
        sqlx::query("UPDATE conversations SET linked_to = $1 WHERE id = $2 AND linked_to IS NULL")
            .bind(id)
            .bind(public)
            .execute(&mut **tx)
            .await?;
    }
    Ok((get_tx(tx, id).await?, true))
}

async fn by_thread(
    tx: &mut Tx,
    channel: &str,
    key: &str,
) -> Result<Option<Conversation>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM conversations WHERE channel = $1 AND thread_key = $2");
    let row = sqlx::query(&sql)
        .bind(channel)
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.as_ref().map(conversation).transpose()?)
}

/// The most recent conversation of a contact on a channel with this visibility.
pub async fn latest_of_contact(
    tx: &mut Tx,
    contact_id: i64,
    channel: &str,
    visibility: &str,
) -> Result<Option<Conversation>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM conversations WHERE contact_id = $1 AND channel = $2 AND visibility = $3 \
         ORDER BY updated_at DESC, id DESC LIMIT 1"
    );
    let row = sqlx::query(&sql)
        .bind(contact_id)
        .bind(channel)
        .bind(visibility)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.as_ref().map(conversation).transpose()?)
}

pub async fn get_tx(tx: &mut Tx, id: i64) -> Result<Conversation, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM conversations WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("conversation {id}")))?;
    Ok(conversation(&row)?)
}

pub async fn get(store: &Store, id: i64) -> Result<Conversation, StoreError> {
    let mut tx = store.begin().await?;
    let c = get_tx(&mut tx, id).await?;
    tx.commit().await?;
    Ok(c)
}

#[derive(Debug, Default)]
pub struct ListFilter {
    pub owner: Option<String>,
    pub contact_id: Option<i64>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub async fn list(store: &Store, f: &ListFilter) -> Result<Vec<Conversation>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM conversations WHERE ($1 = '' OR owner = $2) AND ($3 = 0 OR contact_id = $4) \
         AND ($5 = 0 OR id < $6) ORDER BY id DESC LIMIT $7"
    );
    let owner = f.owner.clone().unwrap_or_default();
    let contact = f.contact_id.unwrap_or(0);
    let before = f.before_id.unwrap_or(0);
    let rows = sqlx::query(&sql)
        .bind(owner.clone())
        .bind(owner)
        .bind(contact)
        .bind(contact)
        .bind(before)
        .bind(before)
        .bind(f.limit)
        .fetch_all(&store.pool)
        .await?;
    Ok(rows.iter().map(conversation).collect::<Result<_, _>>()?)
}

/// Change the owner, storing who did it and why. Fails when the owner is not `expected_from`.
pub async fn transition(
    tx: &mut Tx,
    id: i64,
    to: &str,
    actor: &str,
    reason: &str,
    now_ms: i64,
) -> Result<String, StoreError> {
    let current = get_tx(tx, id).await?;
    sqlx::query("UPDATE conversations SET owner = $1, updated_at = $2 WHERE id = $3")
        .bind(to)
        .bind(now_ms)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO transitions (conversation_id, from_owner, to_owner, actor, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(&current.owner)
    .bind(to)
    .bind(actor)
    .bind(reason)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(current.owner)
}

/// Queue for an agent: skill, priority and the earliest time an agent may take it.
pub async fn set_routing(
    tx: &mut Tx,
    id: i64,
    skill: &str,
    priority: i64,
    not_before: Option<i64>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE conversations SET skill = $1, priority = $2, not_before = $3 WHERE id = $4",
    )
    .bind(skill)
    .bind(priority)
    .bind(not_before)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn mark_notice_sent(tx: &mut Tx, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE conversations SET notice_sent = 1 WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_ticket_url(tx: &mut Tx, id: i64, url: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE conversations SET ticket_url = $1 WHERE id = $2")
        .bind(url)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn touch(tx: &mut Tx, id: i64, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE conversations SET updated_at = $1 WHERE id = $2")
        .bind(now_ms)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub direction: String,
    pub visibility: String,
    pub author: String,
    pub text: String,
    pub platform_message_id: Option<String>,
    pub analysis: Option<serde_json::Value>,
    pub created_at: i64,
}

pub struct NewMessage<'a> {
    pub conversation_id: i64,
    pub inbox_id: Option<i64>,
    pub outbox_id: Option<i64>,
    pub direction: &'a str,
    pub visibility: &'a str,
    pub author: &'a str,
    pub text: &'a str,
    pub platform_message_id: Option<&'a str>,
    pub analysis: Option<String>,
}

pub async fn add_message(tx: &mut Tx, m: &NewMessage<'_>, now_ms: i64) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query(
        "INSERT INTO messages (conversation_id, inbox_id, outbox_id, direction, visibility, author, text, \
         platform_message_id, analysis, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(m.conversation_id)
    .bind(m.inbox_id)
    .bind(m.outbox_id)
    .bind(m.direction)
    .bind(m.visibility)
    .bind(m.author)
    .bind(m.text)
    .bind(m.platform_message_id)
    .bind(m.analysis.as_deref())
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")?;
    touch(tx, m.conversation_id, now_ms).await?;
    Ok(id)
}

pub async fn messages(
    store: &Store,
    conversation_id: i64,
    after_id: i64,
) -> Result<Vec<Message>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, conversation_id, direction, visibility, author, text, platform_message_id, analysis, created_at \
         FROM messages WHERE conversation_id = $1 AND id > $2 ORDER BY id",
    )
    .bind(conversation_id)
    .bind(after_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(message)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// A `messages` row selected as `id, conversation_id, direction, visibility, author, text,
/// platform_message_id, analysis, created_at`.
pub(super) fn message(r: &sqlx::any::AnyRow) -> Result<Message, sqlx::Error> {
    let analysis: Option<String> = r.try_get("analysis")?;
    Ok(Message {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        direction: r.try_get("direction")?,
        visibility: r.try_get("visibility")?,
        author: r.try_get("author")?,
        text: r.try_get("text")?,
        platform_message_id: r.try_get("platform_message_id")?,
        analysis: analysis.and_then(|a: String| serde_json::from_str(&a).ok()),
        created_at: r.try_get("created_at")?,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionRow {
    pub id: i64,
    pub message_id: Option<i64>,
    pub kind: String,
    pub reason: String,
    pub detail: serde_json::Value,
    pub created_at: i64,
}

pub async fn add_decision(
    tx: &mut Tx,
    conversation_id: i64,
    message_id: Option<i64>,
    kind: &str,
    reason: &str,
    detail: &str,
    now_ms: i64,
) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query(
        "INSERT INTO decisions (conversation_id, message_id, kind, reason, detail, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(conversation_id)
    .bind(message_id)
    .bind(kind)
    .bind(reason)
    .bind(detail)
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")?;
    Ok(id)
}

pub async fn decisions(
    store: &Store,
    conversation_id: i64,
) -> Result<Vec<DecisionRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, message_id, kind, reason, detail, created_at FROM decisions WHERE conversation_id = $1 ORDER BY id",
    )
    .bind(conversation_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let detail: String = r.try_get("detail")?;
            Ok(DecisionRow {
                id: r.try_get("id")?,
                message_id: r.try_get("message_id")?,
                kind: r.try_get("kind")?,
                reason: r.try_get("reason")?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

#[derive(Debug, Clone, Serialize)]
pub struct Transition {
    pub id: i64,
    pub from_owner: String,
    pub to_owner: String,
    pub actor: String,
    pub reason: String,
    pub created_at: i64,
}

pub async fn transitions(
    store: &Store,
    conversation_id: i64,
) -> Result<Vec<Transition>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, from_owner, to_owner, actor, reason, created_at FROM transitions WHERE conversation_id = $1 ORDER BY id",
    )
    .bind(conversation_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Transition {
                id: r.try_get("id")?,
                from_owner: r.try_get("from_owner")?,
                to_owner: r.try_get("to_owner")?,
                actor: r.try_get("actor")?,
                reason: r.try_get("reason")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The conversation of a thread on a channel, if it has begun.
pub async fn latest_for_thread(
    tx: &mut Tx,
    channel: &str,
    thread_key: &str,
) -> Result<Option<Conversation>, StoreError> {
    by_thread(tx, channel, thread_key).await
}

/// Who wrote a customer message and the platform's id of it: what a reply addresses.
#[derive(Debug, Clone)]
pub struct InboundRef {
    pub author: String,
    pub platform_message_id: Option<String>,
}

/// The customer's latest message in a conversation.
pub async fn last_inbound_tx(
    tx: &mut Tx,
    conversation_id: i64,
) -> Result<Option<InboundRef>, StoreError> {
    let r = sqlx::query(
        "SELECT author, platform_message_id FROM messages WHERE conversation_id = $1 AND direction = 'in' \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(conversation_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(r.map(|r| {
        Ok::<_, sqlx::Error>(InboundRef {
            author: r.try_get("author")?,
            platform_message_id: r.try_get("platform_message_id")?,
        })
    })
    .transpose()?)
}

/// One customer message of this conversation (a like or repost targets it).
pub async fn inbound_message_tx(
    tx: &mut Tx,
    conversation_id: i64,
    message_id: i64,
) -> Result<InboundRef, StoreError> {
    let r = sqlx::query(
        "SELECT author, platform_message_id FROM messages WHERE id = $1 AND conversation_id = $2 AND direction = 'in'",
    )
    .bind(message_id)
    .bind(conversation_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| {
        StoreError::NotFound(format!(
            "customer message {message_id} in conversation {conversation_id}"
        ))
    })?;
    Ok(InboundRef {
        author: r.try_get("author")?,
        platform_message_id: r.try_get("platform_message_id")?,
    })
}

pub async fn set_priority(tx: &mut Tx, id: i64, priority: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE conversations SET priority = $1 WHERE id = $2")
        .bind(priority)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
