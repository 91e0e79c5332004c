//! The routing tables: `routing_items` (every escalated conversation: queued, offered or
//! assigned), `routing_state` (the lock routing operations take, and a change counter),
//! `escalations` (each escalation, for reports) and `work` (each accepted assignment).

use serde::Serialize;
use sqlx::Row;

use super::{Backend, Store, StoreError, Tx};
use crate::routing::{Place, Placed, Priority, QueueItem};

/// A routed conversation as stored: the router's view plus what the desk and reports add.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoutedRow {
    #[serde(flatten)]
    pub placed: Placed,
    /// Why it was escalated (an `EscalationCause` code).
    pub cause: String,
    pub channel: String,
    /// The first escalation of this wait (transfers keep it; time to resolve counts from it).
    pub escalated_at: i64,
}

fn priority_of(n: i64) -> Priority {
    match n {
        1 => Priority::Urgent,
        2 => Priority::High,
        _ => Priority::Normal,
    }
}

const COLUMNS: &str = "conversation_id, state, skill, grp, priority, reason, cause, channel, \
    escalated_at, enqueued_at, not_before, sla_raised, declined_by, waiting_notice_sent, agent_id, \
    offered_at, expires_at, accepted_at";

fn routed(r: &sqlx::any::AnyRow) -> Result<RoutedRow, StoreError> {
    let state: String = r.try_get("state")?;
    let declined: String = r.try_get("declined_by")?;
    let agent: Option<i64> = r.try_get("agent_id")?;
    let id: i64 = r.try_get("conversation_id")?;
    let broken = || StoreError::Query(format!("routing item {id}: state {state:?} is incomplete"));
    let place = match state.as_str() {
        "queued" => Place::Queued,
        "offered" => Place::Offered {
            agent_id: agent.ok_or_else(broken)?,
            offered_at_ms: r
                .try_get::<Option<i64>, _>("offered_at")?
                .ok_or_else(broken)?,
            expires_at_ms: r
                .try_get::<Option<i64>, _>("expires_at")?
                .ok_or_else(broken)?,
        },
        "assigned" => Place::Assigned {
            agent_id: agent.ok_or_else(broken)?,
            accepted_at_ms: r
                .try_get::<Option<i64>, _>("accepted_at")?
                .ok_or_else(broken)?,
        },
        _ => return Err(broken()),
    };
    Ok(RoutedRow {
        placed: Placed {
            item: QueueItem {
                conversation_id: id,
                skill: r.try_get("skill")?,
                group: r.try_get("grp")?,
                priority: priority_of(r.try_get("priority")?),
                reason: r.try_get("reason")?,
                enqueued_at_ms: r.try_get("enqueued_at")?,
                not_before_ms: r.try_get("not_before")?,
                sla_raised: r.try_get::<i64, _>("sla_raised")? != 0,
                declined_by: serde_json::from_str(&declined).unwrap_or_default(),
                waiting_notice_sent: r.try_get::<i64, _>("waiting_notice_sent")? != 0,
            },
            place,
        },
        cause: r.try_get("cause")?,
        channel: r.try_get("channel")?,
        escalated_at: r.try_get("escalated_at")?,
    })
}

/// Take the routing lock for the rest of the transaction and return the change counter.
/// PostgreSQL: a row lock, so routing operations of every process run one at a time. SQLite:
/// the transaction already holds the write lock (`BEGIN IMMEDIATE`).
pub async fn lock(store: &Store, tx: &mut Tx) -> Result<i64, StoreError> {
    let sql = match store.backend {
        Backend::Postgres => "SELECT version FROM routing_state WHERE id = 1 FOR UPDATE",
        Backend::Sqlite => "SELECT version FROM routing_state WHERE id = 1",
    };
    let r = sqlx::query(sql).fetch_one(&mut **tx).await?;
    Ok(r.try_get("version")?)
}

/// Count a change (live views compare the counter).
pub async fn bump(tx: &mut Tx) -> Result<(), StoreError> {
    sqlx::query("UPDATE routing_state SET version = version + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The change counter, without the lock.
pub async fn version(store: &Store) -> Result<i64, StoreError> {
    let r = sqlx::query("SELECT version FROM routing_state WHERE id = 1")
        .fetch_one(&store.pool)
        .await?;
    Ok(r.try_get("version")?)
}

/// Every routed conversation (inside the locked transaction).
pub async fn load(tx: &mut Tx) -> Result<Vec<RoutedRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM routing_items ORDER BY conversation_id");
    let rows = sqlx::query(&sql).fetch_all(&mut **tx).await?;
    rows.iter().map(routed).collect()
}

pub async fn all(store: &Store) -> Result<Vec<RoutedRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM routing_items ORDER BY priority, enqueued_at, conversation_id"
    );
    let rows = sqlx::query(&sql).fetch_all(&store.pool).await?;
    rows.iter().map(routed).collect()
}

pub async fn get(store: &Store, conversation_id: i64) -> Result<Option<RoutedRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM routing_items WHERE conversation_id = $1");
    let r = sqlx::query(&sql)
        .bind(conversation_id)
        .fetch_optional(&store.pool)
        .await?;
    r.as_ref().map(routed).transpose()
}

/// Whether anything waits or is offered: a tick with nothing to do is skipped.
pub async fn anything_pending(store: &Store) -> Result<bool, StoreError> {
    let r = sqlx::query("SELECT 1 FROM routing_items WHERE state <> 'assigned' LIMIT 1")
        .fetch_optional(&store.pool)
        .await?;
    Ok(r.is_some())
}

/// A new escalation joins the queue; a conversation already routed keeps its place.
/// Returns whether it was added.
pub async fn add_waiting(
    tx: &mut Tx,
    item: &QueueItem,
    cause: &str,
    channel: &str,
) -> Result<bool, StoreError> {
    let n = sqlx::query(
        "INSERT INTO routing_items (conversation_id, state, skill, grp, priority, reason, cause, channel, \
         escalated_at, enqueued_at, not_before, sla_raised, declined_by, waiting_notice_sent) \
         VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, '[]', 0) ON CONFLICT (conversation_id) DO NOTHING",
    )
    .bind(item.conversation_id)
    .bind(&item.skill)
    .bind(item.group.as_deref())
    .bind(item.priority as i64)
    .bind(&item.reason)
    .bind(cause)
    .bind(channel)
    .bind(item.enqueued_at_ms)
    .bind(item.enqueued_at_ms)
    .bind(item.not_before_ms)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// Write the router's view of one routed conversation back.
pub async fn save(tx: &mut Tx, p: &Placed) -> Result<(), StoreError> {
    let i = &p.item;
    let (agent, offered, expires, accepted) = match p.place {
        Place::Queued => (None, None, None, None),
        Place::Offered {
            agent_id,
            offered_at_ms,
            expires_at_ms,
        } => (
            Some(agent_id),
            Some(offered_at_ms),
            Some(expires_at_ms),
            None,
        ),
        Place::Assigned {
            agent_id,
            accepted_at_ms,
        } => (Some(agent_id), None, None, Some(accepted_at_ms)),
    };
    let n = sqlx::query(
        "UPDATE routing_items SET state = $1, skill = $2, grp = $3, priority = $4, reason = $5, enqueued_at = $6, \
         not_before = $7, sla_raised = $8, declined_by = $9, waiting_notice_sent = $10, agent_id = $11, \
         offered_at = $12, expires_at = $13, accepted_at = $14 WHERE conversation_id = $15",
    )
    .bind(p.place.state())
    .bind(&i.skill)
    .bind(i.group.as_deref())
    .bind(i.priority as i64)
    .bind(&i.reason)
    .bind(i.enqueued_at_ms)
    .bind(i.not_before_ms)
    .bind(i64::from(i.sla_raised))
    .bind(serde_json::to_string(&i.declined_by).expect("ids serialise; this is a bug"))
    .bind(i64::from(i.waiting_notice_sent))
    .bind(agent)
    .bind(offered)
    .bind(expires)
    .bind(accepted)
    .bind(i.conversation_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!(
            "routing item {}",
            i.conversation_id
        )));
    }
    Ok(())
}

pub async fn remove(tx: &mut Tx, conversation_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM routing_items WHERE conversation_id = $1")
        .bind(conversation_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub struct NewEscalation<'a> {
    pub conversation_id: i64,
    pub channel: &'a str,
    pub skill: &'a str,
    pub priority: i64,
    pub cause: &'a str,
    pub reason: &'a str,
}

pub async fn record_escalation(
    tx: &mut Tx,
    e: &NewEscalation<'_>,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO escalations (conversation_id, channel, skill, priority, cause, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(e.conversation_id)
    .bind(e.channel)
    .bind(e.skill)
    .bind(e.priority)
    .bind(e.cause)
    .bind(e.reason)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An agent accepted: their work on the conversation begins.
pub async fn start_work(
    tx: &mut Tx,
    row: &RoutedRow,
    agent_id: i64,
    accepted_at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO work (conversation_id, agent_id, channel, skill, escalated_at, enqueued_at, accepted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(row.placed.item.conversation_id)
    .bind(agent_id)
    .bind(&row.channel)
    .bind(&row.placed.item.skill)
    .bind(row.escalated_at)
    .bind(row.placed.item.enqueued_at_ms)
    .bind(accepted_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The agent's work on the conversation ends: resolved, handed back or transferred.
pub async fn end_work(
    tx: &mut Tx,
    conversation_id: i64,
    agent_id: i64,
    outcome: &str,
    disposition: Option<&str>,
    note: Option<&str>,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE work SET ended_at = $1, outcome = $2, disposition = $3, note = $4 \
         WHERE conversation_id = $5 AND agent_id = $6 AND ended_at IS NULL",
    )
    .bind(now_ms)
    .bind(outcome)
    .bind(disposition)
    .bind(note)
    .bind(conversation_id)
    .bind(agent_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The first reply an agent got out in this assignment (first-response time for agents).
pub async fn mark_first_reply(
    tx: &mut Tx,
    conversation_id: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE work SET first_reply_at = $1 WHERE conversation_id = $2 AND ended_at IS NULL AND first_reply_at IS NULL",
    )
    .bind(now_ms)
    .bind(conversation_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One finished or running assignment, for the transcript and reports.
#[derive(Debug, Clone, Serialize)]
pub struct WorkRow {
    pub id: i64,
    pub conversation_id: i64,
    pub agent_id: i64,
    pub channel: String,
    pub skill: String,
    pub escalated_at: i64,
    pub enqueued_at: i64,
    pub accepted_at: i64,
    pub first_reply_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub outcome: Option<String>,
    pub disposition: Option<String>,
    pub note: Option<String>,
}

pub async fn work_of(store: &Store, conversation_id: i64) -> Result<Vec<WorkRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, conversation_id, agent_id, channel, skill, escalated_at, enqueued_at, accepted_at, \
         first_reply_at, ended_at, outcome, disposition, note FROM work WHERE conversation_id = $1 ORDER BY id",
    )
    .bind(conversation_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(WorkRow {
                id: r.try_get("id")?,
                conversation_id: r.try_get("conversation_id")?,
                agent_id: r.try_get("agent_id")?,
                channel: r.try_get("channel")?,
                skill: r.try_get("skill")?,
                escalated_at: r.try_get("escalated_at")?,
                enqueued_at: r.try_get("enqueued_at")?,
                accepted_at: r.try_get("accepted_at")?,
                first_reply_at: r.try_get("first_reply_at")?,
                ended_at: r.try_get("ended_at")?,
                outcome: r.try_get("outcome")?,
                disposition: r.try_get("disposition")?,
                note: r.try_get("note")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// A routed conversation with what a queue view shows of it: who, where, and the customer's
/// message that escalated it (the latest one when no message did, e.g. a failed send).
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    #[serde(flatten)]
    pub row: RoutedRow,
    pub visibility: String,
    pub contact_id: i64,
    pub contact_name: Option<String>,
    /// The customer's handle on the conversation's channel.
    pub contact_handle: Option<String>,
    /// The message that escalated (not what the customer wrote since, while waiting).
    pub last_message: Option<String>,
    pub agent_login: Option<String>,
}

/// Where a waiting conversation stands, for telling its customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// 1 when it is next (or being offered to an agent right now).
    pub position: i64,
    /// When the customer was last told they are waiting: the last "still in the queue" notice,
    /// else the escalation itself (its acknowledgement said so).
    pub told_at: i64,
}

/// The place of a queued or offered conversation among those waiting for the same skill, in
/// the router's order (priority, then time queued); None once assigned or not routed.
pub async fn standing(tx: &mut Tx, conversation_id: i64) -> Result<Option<Standing>, StoreError> {
    let r = sqlx::query(
        "SELECT me.state AS state, COALESCE(me.queue_notice_at, me.escalated_at) AS told_at, \
         (SELECT COUNT(*) FROM routing_items o WHERE o.state = 'queued' AND o.skill = me.skill \
           AND o.conversation_id <> me.conversation_id \
           AND (o.priority < me.priority OR (o.priority = me.priority \
                AND (o.enqueued_at < me.enqueued_at \
                     OR (o.enqueued_at = me.enqueued_at AND o.conversation_id < me.conversation_id))))) AS ahead \
         FROM routing_items me WHERE me.conversation_id = $1",
    )
    .bind(conversation_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = r else { return Ok(None) };
    let state: String = r.try_get("state")?;
    let ahead: i64 = r.try_get("ahead")?;
    let position = match state.as_str() {
        "queued" => ahead + 1,
        "offered" => 1,
        _ => return Ok(None),
    };
    Ok(Some(Standing {
        position,
        told_at: r.try_get("told_at")?,
    }))
}

/// The customer was just told they are still in the queue.
pub async fn mark_queue_notice(
    tx: &mut Tx,
    conversation_id: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE routing_items SET queue_notice_at = $1 WHERE conversation_id = $2")
        .bind(now_ms)
        .bind(conversation_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Every routed conversation for the queue views, most urgent and longest waiting first.
pub async fn overview(store: &Store) -> Result<Vec<Overview>, StoreError> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("r.{c} AS {c}", c = c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols}, c.visibility AS visibility, c.contact_id AS contact_id, \
         COALESCE(k.display_name, (SELECT i.display_name FROM identities i WHERE i.contact_id = c.contact_id \
                   AND i.channel = c.channel AND i.display_name IS NOT NULL ORDER BY i.id LIMIT 1)) AS contact_name, \
         (SELECT i.handle FROM identities i WHERE i.contact_id = c.contact_id AND i.channel = c.channel \
          ORDER BY i.id LIMIT 1) AS contact_handle, \
         COALESCE((SELECT m.text FROM decisions d JOIN messages m ON m.id = d.message_id \
                   WHERE d.conversation_id = r.conversation_id AND d.kind = 'escalate' \
                   ORDER BY d.id DESC LIMIT 1), \
                  (SELECT m.text FROM messages m WHERE m.conversation_id = r.conversation_id AND m.direction = 'in' \
                   ORDER BY m.id DESC LIMIT 1)) AS last_message, a.login AS agent_login \
         FROM routing_items r JOIN conversations c ON c.id = r.conversation_id \
         JOIN contacts k ON k.id = c.contact_id LEFT JOIN agents a ON a.id = r.agent_id \
         ORDER BY r.priority, r.enqueued_at, r.conversation_id"
    );
    let rows = sqlx::query(&sql).fetch_all(&store.pool).await?;
    rows.iter()
        .map(|r| {
            Ok(Overview {
                row: routed(r)?,
                visibility: r.try_get("visibility")?,
                contact_id: r.try_get("contact_id")?,
                contact_name: r.try_get("contact_name")?,
                contact_handle: r.try_get("contact_handle")?,
                last_message: r.try_get("last_message")?,
                agent_login: r.try_get("agent_login")?,
            })
        })
        .collect()
}
