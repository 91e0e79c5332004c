//! The `misreads` and `review_outcomes` tables, and the reads the review loop makes over
//! `messages`: customer messages the bot was unsure of, that were escalated or that an agent
//! marked, and not yet handled by a reviewer.

use serde::Serialize;
use sqlx::Row;

use super::{Backend, Store, StoreError};

/// Which open messages to read (all kinds when every field is off).
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenFilter<'a> {
    /// Only messages whose stored verdict is this one (`low_confidence`, `ambiguous`,
    /// `out_of_scope_intent`).
    pub verdict: Option<&'a str>,
    /// Only messages the bot escalated.
    pub escalated: bool,
    /// Only messages an agent marked.
    pub marked: bool,
    /// Only messages older than this id (paging).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// A customer message with what the review list needs to show it.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub message_id: i64,
    pub conversation_id: i64,
    pub channel: String,
    pub visibility: String,
    pub author: String,
    pub text: String,
    pub analysis: Option<serde_json::Value>,
    pub created_at: i64,
    /// The reason of the bot's escalation decision on this message, if it escalated.
    pub escalation: Option<String>,
    pub marks: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MarkRow {
    pub id: i64,
    pub message_id: i64,
    pub actor: String,
    pub intent: Option<String>,
    pub note: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutcomeRow {
    pub message_id: i64,
    /// `assigned`, `out_of_scope` or `dismissed`.
    pub outcome: String,
    pub intent: Option<String>,
    pub file: Option<String>,
    pub actor: String,
    pub figures: Option<serde_json::Value>,
    pub created_at: i64,
    pub text: String,
    pub channel: String,
}

pub struct NewOutcome<'a> {
    pub message_id: i64,
    pub outcome: &'a str,
    pub intent: Option<&'a str>,
    pub file: Option<&'a str>,
    pub actor: &'a str,
}

/// The verdict stored in `messages.analysis` (JSON text), as SQL on this backend.
fn verdict_sql(store: &Store) -> &'static str {
    match store.backend {
        Backend::Sqlite => "COALESCE(json_extract(m.analysis, '$.intent.verdict'), 'confident')",
        Backend::Postgres => "COALESCE(m.analysis::json #>> '{intent,verdict}', 'confident')",
    }
}

const ESCALATED: &str =
    "EXISTS (SELECT 1 FROM decisions d WHERE d.conversation_id = m.conversation_id \
     AND d.message_id = m.id AND d.kind = 'escalate')";
const MARKED: &str = "EXISTS (SELECT 1 FROM misreads k WHERE k.message_id = m.id)";

/// Open review candidates, newest first.
pub async fn open(store: &Store, f: &OpenFilter<'_>) -> Result<Vec<Candidate>, StoreError> {
    let verdict = verdict_sql(store);
    let mut wanted = vec![format!(
        "({verdict} <> 'confident' OR {ESCALATED} OR {MARKED})"
    )];
    if f.verdict.is_some() {
        wanted.push(format!("{verdict} = $3"));
    }
    if f.escalated {
        wanted.push(ESCALATED.into());
    }
    if f.marked {
        wanted.push(MARKED.into());
    }
    let sql = format!(
        "SELECT m.id AS message_id, m.conversation_id AS conversation_id, c.channel AS channel, \
         m.visibility AS visibility, m.author AS author, m.text AS text, m.analysis AS analysis, \
         m.created_at AS created_at, \
         (SELECT d.reason FROM decisions d WHERE d.conversation_id = m.conversation_id AND d.message_id = m.id \
          AND d.kind = 'escalate' ORDER BY d.id LIMIT 1) AS escalation, \
         (SELECT COUNT(*) FROM misreads k WHERE k.message_id = m.id) AS marks \
         FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         WHERE m.direction = 'in' AND ($1 = 0 OR m.id < $2) \
         AND NOT EXISTS (SELECT 1 FROM review_outcomes o WHERE o.message_id = m.id) \
         AND {} ORDER BY m.id DESC LIMIT {}",
        wanted.join(" AND "),
        if f.verdict.is_some() { "$4" } else { "$3" }
    );
    let before = f.before_id.unwrap_or(0);
    let mut q = sqlx::query(&sql).bind(before).bind(before);
    if let Some(v) = f.verdict {
        q = q.bind(v);
    }
    let rows = q.bind(f.limit).fetch_all(&store.pool).await?;
    rows.iter()
        .map(|r| {
            let analysis: Option<String> = r.try_get("analysis")?;
            Ok(Candidate {
                message_id: r.try_get("message_id")?,
                conversation_id: r.try_get("conversation_id")?,
                channel: r.try_get("channel")?,
                visibility: r.try_get("visibility")?,
                author: r.try_get("author")?,
                text: r.try_get("text")?,
                analysis: analysis.and_then(|a| serde_json::from_str(&a).ok()),
                created_at: r.try_get("created_at")?,
                escalation: r.try_get("escalation")?,
                marks: r.try_get("marks")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// One message as a review candidate, whatever its state; `None` when there is no such message.
/// Outbound messages come back too (`direction` tells).
pub async fn message(store: &Store, id: i64) -> Result<Option<(Candidate, String)>, StoreError> {
    let r = sqlx::query(
        "SELECT m.id AS message_id, m.conversation_id AS conversation_id, c.channel AS channel, \
         m.visibility AS visibility, m.author AS author, m.text AS text, m.analysis AS analysis, \
         m.created_at AS created_at, \
         m.direction AS direction FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = $1",
    )
    .bind(id)
    .fetch_optional(&store.pool)
    .await?;
    let Some(r) = r else {
        return Ok(None);
    };
    let analysis: Option<String> = r.try_get("analysis")?;
    Ok(Some((
        Candidate {
            message_id: r.try_get("message_id")?,
            conversation_id: r.try_get("conversation_id")?,
            channel: r.try_get("channel")?,
            visibility: r.try_get("visibility")?,
            author: r.try_get("author")?,
            text: r.try_get("text")?,
            analysis: analysis.and_then(|a| serde_json::from_str(&a).ok()),
            created_at: r.try_get("created_at")?,
            escalation: None,
            marks: 0,
        },
        r.try_get("direction")?,
    )))
}

/// `$1, $2, ...` for `n` bound values.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The marks on these messages, oldest first.
pub async fn marks_of(store: &Store, message_ids: &[i64]) -> Result<Vec<MarkRow>, StoreError> {
    if message_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, message_id, actor, intent, note, created_at FROM misreads \
         WHERE message_id IN ({}) ORDER BY id",
        placeholders(message_ids.len())
    );
    let mut q = sqlx::query(&sql);
    for id in message_ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&store.pool).await?;
    rows.iter()
        .map(|r| {
            Ok(MarkRow {
                id: r.try_get("id")?,
                message_id: r.try_get("message_id")?,
                actor: r.try_get("actor")?,
                intent: r.try_get("intent")?,
                note: r.try_get("note")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn add_mark(
    store: &Store,
    message_id: i64,
    actor: &str,
    intent: Option<&str>,
    note: Option<&str>,
    now_ms: i64,
) -> Result<MarkRow, StoreError> {
    let id: i64 = sqlx::query(
        "INSERT INTO misreads (message_id, actor, intent, note, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(message_id)
    .bind(actor)
    .bind(intent)
    .bind(note)
    .bind(now_ms)
    .fetch_one(&store.pool)
    .await?
    .try_get("id")?;
    Ok(MarkRow {
        id,
        message_id,
        actor: actor.into(),
        intent: intent.map(String::from),
        note: note.map(String::from),
        created_at: now_ms,
    })
}

const OUTCOME_COLUMNS: &str = "o.message_id AS message_id, o.outcome AS outcome, \
    o.intent AS intent, o.file AS file, o.actor AS actor, o.figures AS figures, \
    o.created_at AS created_at, m.text AS text, c.channel AS channel";

fn outcome(r: &sqlx::any::AnyRow) -> Result<OutcomeRow, sqlx::Error> {
    let figures: Option<String> = r.try_get("figures")?;
    Ok(OutcomeRow {
        message_id: r.try_get("message_id")?,
        outcome: r.try_get("outcome")?,
        intent: r.try_get("intent")?,
        file: r.try_get("file")?,
        actor: r.try_get("actor")?,
        figures: figures.and_then(|f| serde_json::from_str(&f).ok()),
        created_at: r.try_get("created_at")?,
        text: r.try_get("text")?,
        channel: r.try_get("channel")?,
    })
}

/// What a reviewer did with this message, if anything.
pub async fn outcome_of(store: &Store, message_id: i64) -> Result<Option<OutcomeRow>, StoreError> {
    let sql = format!(
        "SELECT {OUTCOME_COLUMNS} FROM review_outcomes o JOIN messages m ON m.id = o.message_id \
         JOIN conversations c ON c.id = m.conversation_id WHERE o.message_id = $1"
    );
    let r = sqlx::query(&sql)
        .bind(message_id)
        .fetch_optional(&store.pool)
        .await?;
    Ok(r.as_ref().map(outcome).transpose()?)
}

/// Handled messages, most recently handled first.
pub async fn handled(store: &Store, limit: i64) -> Result<Vec<OutcomeRow>, StoreError> {
    let sql = format!(
        "SELECT {OUTCOME_COLUMNS} FROM review_outcomes o JOIN messages m ON m.id = o.message_id \
         JOIN conversations c ON c.id = m.conversation_id \
         ORDER BY o.created_at DESC, o.message_id DESC LIMIT $1"
    );
    let rows = sqlx::query(&sql).bind(limit).fetch_all(&store.pool).await?;
    Ok(rows.iter().map(outcome).collect::<Result<_, _>>()?)
}

/// Records an outcome; `false` when the message already has one (someone else was first).
pub async fn claim(store: &Store, o: &NewOutcome<'_>, now_ms: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO review_outcomes (message_id, outcome, intent, file, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id) DO NOTHING",
    )
    .bind(o.message_id)
    .bind(o.outcome)
    .bind(o.intent)
    .bind(o.file)
    .bind(o.actor)
    .bind(now_ms)
    .execute(&store.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes back a claim whose change could not be made.
pub async fn unclaim(store: &Store, message_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM review_outcomes WHERE message_id = $1")
        .bind(message_id)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// The file written and the figures before and after, once known.
pub async fn complete(
    store: &Store,
    message_id: i64,
    file: &str,
    figures: &serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE review_outcomes SET file = $1, figures = $2 WHERE message_id = $3")
        .bind(file)
        .bind(figures.to_string())
        .bind(message_id)
        .execute(&store.pool)
        .await?;
    Ok(())
}
