//! What the reports read: conversations started in a period with what happened to them,
//! escalations, and agents' work. Aggregation (percentiles, days) is in `crate::reports`.

use sqlx::Row;

use super::{Store, StoreError};

/// One conversation started in the period and what the bot and people did with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationFacts {
    pub id: i64,
    pub channel: String,
    pub created_at: i64,
    pub escalated: bool,
    pub replied: bool,
    pub liked: bool,
    pub ticketed: bool,
}

/// Conversations started in [from, to) (unix ms).
pub async fn conversations(
    store: &Store,
    from: i64,
    to: i64,
) -> Result<Vec<ConversationFacts>, StoreError> {
    // One pass with EXISTS per fact; CAST keeps the flag an integer on both databases.
    let flag = |cond: &str| format!("CAST(CASE WHEN EXISTS ({cond}) THEN 1 ELSE 0 END AS BIGINT)");
    let sql = format!(
        "SELECT c.id AS id, c.channel AS channel, c.created_at AS created_at, {} AS escalated, \
         {} AS replied, {} AS liked, {} AS ticketed FROM conversations c \
         WHERE c.created_at >= $1 AND c.created_at < $2 ORDER BY c.created_at",
        flag("SELECT 1 FROM escalations e WHERE e.conversation_id = c.id"),
        flag("SELECT 1 FROM decisions d WHERE d.conversation_id = c.id AND d.kind = 'reply'"),
        flag("SELECT 1 FROM decisions d WHERE d.conversation_id = c.id AND d.kind IN ('like', 'repost')"),
        flag("SELECT 1 FROM decisions d WHERE d.conversation_id = c.id AND d.kind = 'ticket'"),
    );
    let rows = sqlx::query(&sql)
        .bind(from)
        .bind(to)
        .fetch_all(&store.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ConversationFacts {
                id: r.try_get("id")?,
                channel: r.try_get("channel")?,
                created_at: r.try_get("created_at")?,
                escalated: r.try_get::<i64, _>("escalated")? != 0,
                replied: r.try_get::<i64, _>("replied")? != 0,
                liked: r.try_get::<i64, _>("liked")? != 0,
                ticketed: r.try_get::<i64, _>("ticketed")? != 0,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// One escalation: why a conversation went to a person.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationFact {
    pub conversation_id: i64,
    pub channel: String,
    pub skill: String,
    pub cause: String,
    pub created_at: i64,
}

/// Escalations made in [from, to).
pub async fn escalations(
    store: &Store,
    from: i64,
    to: i64,
) -> Result<Vec<EscalationFact>, StoreError> {
    let rows = sqlx::query(
        "SELECT conversation_id, channel, skill, cause, created_at FROM escalations \
         WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EscalationFact {
                conversation_id: r.try_get("conversation_id")?,
                channel: r.try_get("channel")?,
                skill: r.try_get("skill")?,
                cause: r.try_get("cause")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// One assignment of an escalated conversation to an agent, with who they are.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkFact {
    pub conversation_id: i64,
    pub agent_id: i64,
    pub login: String,
    pub name: String,
    pub channel: String,
    pub skill: String,
    pub escalated_at: i64,
    pub enqueued_at: i64,
    pub accepted_at: i64,
    pub first_reply_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub outcome: Option<String>,
    pub disposition: Option<String>,
}

/// Work on every escalation that has anything (acceptance, a first reply, an end) in [from, to),
/// with all the assignments of those escalations, so that each can be measured whole.
pub async fn work(store: &Store, from: i64, to: i64) -> Result<Vec<WorkFact>, StoreError> {
    let rows = sqlx::query(
        "SELECT w.conversation_id AS conversation_id, w.agent_id AS agent_id, a.login AS login, \
         a.name AS name, w.channel AS channel, w.skill AS skill, w.escalated_at AS escalated_at, \
         w.enqueued_at AS enqueued_at, w.accepted_at AS accepted_at, \
         w.first_reply_at AS first_reply_at, w.ended_at AS ended_at, w.outcome AS outcome, \
         w.disposition AS disposition \
         FROM work w JOIN agents a ON a.id = w.agent_id \
         WHERE EXISTS (SELECT 1 FROM work x WHERE x.conversation_id = w.conversation_id \
           AND x.escalated_at = w.escalated_at AND ( \
             (x.accepted_at >= $1 AND x.accepted_at < $2) \
             OR (x.first_reply_at >= $1 AND x.first_reply_at < $2) \
             OR (x.ended_at >= $1 AND x.ended_at < $2))) \
         ORDER BY w.conversation_id, w.escalated_at, w.id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(WorkFact {
                conversation_id: r.try_get("conversation_id")?,
                agent_id: r.try_get("agent_id")?,
                login: r.try_get("login")?,
                name: r.try_get("name")?,
                channel: r.try_get("channel")?,
                skill: r.try_get("skill")?,
                escalated_at: r.try_get("escalated_at")?,
                enqueued_at: r.try_get("enqueued_at")?,
                accepted_at: r.try_get("accepted_at")?,
                first_reply_at: r.try_get("first_reply_at")?,
                ended_at: r.try_get("ended_at")?,
                outcome: r.try_get("outcome")?,
                disposition: r.try_get("disposition")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
