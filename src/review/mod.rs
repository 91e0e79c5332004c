//! The bot designer's review loop, as operations the CLI, the console and the JSON API all
//! call: list the customer messages the bot was unsure of, escalated or that an agent marked
//! "the bot misread this"; mark one; assign one to an intent (its text becomes an example in
//! the intent file, with the cross-validation figures before and after) or dismiss it. Owns
//! the rules and the typed errors; SQL stays in `store::review`, HTTP and HTML in the adapters.

mod assign;
pub mod measure;
pub mod yaml;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::intents::{self, diagnostic::did_you_mean, IntentsError, OUT_OF_SCOPE};
use crate::nlu::NluError;
use crate::store::review::{self as rows, Candidate, MarkRow, OpenFilter, OutcomeRow};
use crate::store::{Store, StoreError};

pub use assign::{assign, check, Assigned, Checked};
pub use measure::Figures;

/// The longest note an agent may leave on a mark, in characters.
pub const NOTE_LIMIT: usize = 500;
/// How many items a list returns by default, and at most.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;
/// Folds of the cross-validation run before and after an assignment.
pub const DEFAULT_FOLDS: usize = 5;

/// What the operations work on: the store, the intent files, and the time now.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub intents_dir: &'a Path,
    pub now_ms: i64,
}

impl<'a> Ctx<'a> {
    /// The running service's store and intent files.
    pub fn of(engine: &'a crate::engine::Engine) -> Self {
        Self {
            store: &engine.store,
            intents_dir: &engine.settings.nlu.intents_dir,
            now_ms: engine.clock.now_ms(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("there is no message {0}")]
    MessageNotFound(i64),
    #[error("message {0} is not a customer's: only what customers wrote can be reviewed")]
    NotCustomerMessage(i64),
    #[error("there is no intent '{name}'{}", hint.as_ref().map(|h| format!("; did you mean '{h}'?")).unwrap_or_default())]
    UnknownIntent { name: String, hint: Option<String> },
    #[error("message {message_id} was already reviewed: {outcome} by {actor}")]
    AlreadyReviewed {
        message_id: i64,
        outcome: String,
        actor: String,
    },
    #[error("\"{text}\" is already an example of '{intent}'")]
    DuplicateExample { intent: String, text: String },
    #[error("\"{text}\" is already an example of another intent, '{intent}'")]
    ExampleElsewhere { intent: String, text: String },
    #[error("the note has {len} characters; at most {limit} are allowed")]
    NoteTooLong { len: usize, limit: usize },
    #[error("message {0} has no text to learn from")]
    EmptyText(i64),
    #[error("{0}")]
    BadInput(String),
    #[error("the intent files have errors; fix them before adding examples:\n{0}")]
    IntentsInvalid(String),
    #[error("the example was not written: {0}")]
    WriteRefused(String),
    #[error("the model is still loading; try again shortly")]
    NotReady,
    #[error("intent files: {0}")]
    Files(String),
    #[error(transparent)]
    Nlu(#[from] NluError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ReviewError {
    /// The stable machine code of each error (the HTTP status is `http::error`'s table).
    pub fn code(&self) -> &'static str {
        match self {
            Self::MessageNotFound(_) => "message_not_found",
            Self::NotCustomerMessage(_) => "not_a_customer_message",
            Self::UnknownIntent { .. } => "unknown_intent",
            Self::AlreadyReviewed { .. } => "already_reviewed",
            Self::DuplicateExample { .. } => "duplicate_example",
            Self::ExampleElsewhere { .. } => "example_in_other_intent",
            Self::NoteTooLong { .. } => "note_too_long",
            Self::EmptyText(_) => "empty_example",
            Self::BadInput(_) => "bad_request",
            Self::IntentsInvalid(_) => "intents_invalid",
            Self::WriteRefused(_) => "write_refused",
            Self::NotReady => "not_ready",
            Self::Nlu(NluError::Overloaded) => "overloaded",
            Self::Files(_) | Self::Nlu(_) => "internal",
            Self::Store(StoreError::Unavailable(_)) => "store_unavailable",
            Self::Store(_) => "internal",
        }
    }
}

impl From<IntentsError> for ReviewError {
    fn from(e: IntentsError) -> Self {
        match e {
            IntentsError::Invalid { report, .. } => Self::IntentsInvalid(report),
            other => Self::Files(other.to_string()),
        }
    }
}

/// Why a message is on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    LowConfidence,
    Ambiguous,
    OutOfScopeIntent,
    Escalated,
    Marked,
}

impl Reason {
    pub const ALL: [Reason; 5] = [
        Self::LowConfidence,
        Self::Ambiguous,
        Self::OutOfScopeIntent,
        Self::Escalated,
        Self::Marked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LowConfidence => "low_confidence",
            Self::Ambiguous => "ambiguous",
            Self::OutOfScopeIntent => "out_of_scope_intent",
            Self::Escalated => "escalated",
            Self::Marked => "marked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::LowConfidence => "low confidence",
            Self::Ambiguous => "ambiguous",
            Self::OutOfScopeIntent => "out of scope",
            Self::Escalated => "escalated",
            Self::Marked => "marked by an agent",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ReviewError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|r| r.as_str()).collect();
                ReviewError::BadInput(format!(
                    "unknown reason '{s}'; one of: {}",
                    names.join(", ")
                ))
            })
    }
}

/// An intent the bot considered, with its confidence.
#[derive(Debug, Clone, Serialize)]
pub struct Nearest {
    pub intent: String,
    pub confidence: f32,
}

/// One message to review.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// The message's id: the review item's id too.
    pub message_id: i64,
    pub conversation_id: i64,
    pub channel: String,
    pub visibility: String,
    pub author: String,
    pub text: String,
    pub created_at: i64,
    /// The bot's top intent and its confidence and verdict, from the stored analysis.
    pub intent: Option<String>,
    pub confidence: Option<f32>,
    pub verdict: Option<String>,
    /// The first few intents of the bot's ranking.
    pub nearest: Vec<Nearest>,
    pub reasons: Vec<Reason>,
    /// Why it is listed, in words.
    pub why: String,
    pub marks: Vec<MarkRow>,
}

/// Items sharing the same nearest intent, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub intent: String,
    pub items: Vec<Item>,
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub reason: Option<Reason>,
    pub limit: Option<i64>,
    /// Only items older than this message id (the next page).
    pub before: Option<i64>,
}

/// The group of items without a reading.
pub const NO_READING: &str = "(no reading)";
const NEAREST: usize = 3;

/// Open items, newest first, grouped by nearest intent (groups ordered by their newest item).
pub async fn list(ctx: &Ctx<'_>, f: &Filter) -> Result<Vec<Group>, ReviewError> {
    let verdict = f.reason.and_then(|r| match r {
        Reason::LowConfidence | Reason::Ambiguous | Reason::OutOfScopeIntent => Some(r.as_str()),
        _ => None,
    });
    let candidates = rows::open(
        ctx.store,
        &OpenFilter {
            verdict,
            escalated: f.reason == Some(Reason::Escalated),
            marked: f.reason == Some(Reason::Marked),
            before_id: f.before,
            limit: f.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
        },
    )
    .await?;
    let ids: Vec<i64> = candidates.iter().map(|c| c.message_id).collect();
    let mut marks = marks_by_message(ctx, &ids).await?;
    let mut groups: Vec<Group> = Vec::new();
    for c in candidates {
        let marks = marks.remove(&c.message_id).unwrap_or_default();
        let item = item(c, marks);
        let key = item.intent.clone().unwrap_or_else(|| NO_READING.into());
        match groups.iter_mut().find(|g| g.intent == key) {
            Some(g) => g.items.push(item),
            None => groups.push(Group {
                intent: key,
                items: vec![item],
            }),
        }
    }
    Ok(groups)
}

fn item(c: Candidate, marks: Vec<MarkRow>) -> Item {
    let a = c.analysis.as_ref();
    let intent = a
        .and_then(|a| a["intent"]["name"].as_str())
        .map(String::from);
    let confidence = a
        .and_then(|a| a["intent"]["confidence"].as_f64())
        .map(|v| v as f32);
    let verdict = a
        .and_then(|a| a["intent"]["verdict"].as_str())
        .map(String::from);
    let nearest = a
        .and_then(|a| a["intent"]["ranking"].as_array())
        .map(|r| {
            r.iter()
                .take(NEAREST)
                .filter_map(|n| {
                    Some(Nearest {
                        intent: n["name"].as_str()?.to_string(),
                        confidence: n["confidence"].as_f64()? as f32,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mut reasons = Vec::new();
    let mut why = Vec::new();
    if let Some(r) = verdict.as_deref().and_then(|v| Reason::parse(v).ok()) {
        reasons.push(r);
        let because = a
            .and_then(|a| a["intent"]["reason"].as_str())
            .unwrap_or_default();
        why.push(format!("{}: {because}", r.label()));
    }
    if let Some(e) = &c.escalation {
        reasons.push(Reason::Escalated);
        why.push(format!("escalated: {e}"));
    }
    if !marks.is_empty() {
        reasons.push(Reason::Marked);
        for m in &marks {
            let mut s = format!("marked by {}", m.actor);
            if let Some(i) = &m.intent {
                s.push_str(&format!(" (meant {i})"));
            }
            if let Some(n) = &m.note {
                s.push_str(&format!(": \"{n}\""));
            }
            why.push(s);
        }
    }
    Item {
        message_id: c.message_id,
        conversation_id: c.conversation_id,
        channel: c.channel,
        visibility: c.visibility,
        author: c.author,
        text: c.text,
        created_at: c.created_at,
        intent,
        confidence,
        verdict,
        nearest,
        reasons,
        why: why.join("; "),
        marks,
    }
}

/// The marks agents left on these messages, by message.
pub async fn marks_by_message(
    ctx: &Ctx<'_>,
    message_ids: &[i64],
) -> Result<BTreeMap<i64, Vec<MarkRow>>, ReviewError> {
    let mut out: BTreeMap<i64, Vec<MarkRow>> = BTreeMap::new();
    for m in rows::marks_of(ctx.store, message_ids).await? {
        out.entry(m.message_id).or_default().push(m);
    }
    Ok(out)
}

/// The recently handled items: who did what, when.
pub async fn handled(ctx: &Ctx<'_>, limit: Option<i64>) -> Result<Vec<OutcomeRow>, ReviewError> {
    Ok(rows::handled(
        ctx.store,
        limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
    )
    .await?)
}

/// The names of the intents in the folder (the choices of an assignment), `out_of_scope` last.
pub fn intent_names(dir: &Path) -> Result<Vec<String>, ReviewError> {
    let (bot, _) = intents::load(dir)?;
    let mut names: Vec<String> = bot
        .intents
        .iter()
        .map(|i| i.name.clone())
        .filter(|n| n != OUT_OF_SCOPE)
        .collect();
    names.sort();
    if bot.intent(OUT_OF_SCOPE).is_some() {
        names.push(OUT_OF_SCOPE.into());
    }
    Ok(names)
}

/// An intent of the bot by name, or `unknown_intent` with the nearest name as a hint.
pub(crate) fn known_intent<'b>(
    bot: &'b intents::Bot,
    name: &str,
) -> Result<&'b intents::Intent, ReviewError> {
    let name = name.trim();
    bot.intent(name).ok_or_else(|| {
        let names: Vec<&str> = bot.intents.iter().map(|i| i.name.as_str()).collect();
        ReviewError::UnknownIntent {
            name: name.to_string(),
            hint: did_you_mean(name, &names).map(String::from),
        }
    })
}

/// A customer message as a review candidate, or the right error.
pub(crate) async fn customer_message(ctx: &Ctx<'_>, id: i64) -> Result<Candidate, ReviewError> {
    match rows::message(ctx.store, id).await? {
        None => Err(ReviewError::MessageNotFound(id)),
        Some((_, direction)) if direction != "in" => Err(ReviewError::NotCustomerMessage(id)),
        Some((c, _)) => Ok(c),
    }
}

/// Refuses a message that already has an outcome.
pub(crate) async fn not_reviewed(ctx: &Ctx<'_>, id: i64) -> Result<(), ReviewError> {
    match rows::outcome_of(ctx.store, id).await? {
        Some(o) => Err(already(&o)),
        None => Ok(()),
    }
}

fn already(o: &OutcomeRow) -> ReviewError {
    let outcome = match (&o.outcome[..], &o.intent) {
        ("assigned", Some(i)) => format!("assigned to {i}"),
        ("out_of_scope", _) => "sent to out_of_scope".into(),
        (other, _) => other.to_string(),
    };
    ReviewError::AlreadyReviewed {
        message_id: o.message_id,
        outcome,
        actor: o.actor.clone(),
    }
}

/// What an agent says about a message the bot misread.
#[derive(Debug, Clone, Default)]
pub struct Mark {
    /// The intent that was meant, if the agent knows it.
    pub intent: Option<String>,
    pub note: Option<String>,
}

/// An agent marks "the bot misread this": the message joins the review list with their
/// suggestion.
pub async fn mark(
    ctx: &Ctx<'_>,
    message_id: i64,
    actor: &str,
    m: &Mark,
) -> Result<MarkRow, ReviewError> {
    let note = m.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = note {
        let len = n.chars().count();
        if len > NOTE_LIMIT {
            return Err(ReviewError::NoteTooLong {
                len,
                limit: NOTE_LIMIT,
            });
        }
    }
    customer_message(ctx, message_id).await?;
    not_reviewed(ctx, message_id).await?;
    let intent = match m.intent.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        Some(name) => {
            let (bot, _) = intents::load(ctx.intents_dir)?;
            Some(known_intent(&bot, name)?.name.clone())
        }
        None => None,
    };
    Ok(rows::add_mark(
        ctx.store,
        message_id,
        actor,
        intent.as_deref(),
        note,
        ctx.now_ms,
    )
    .await?)
}

/// The reviewer decides the message needs nothing: it leaves the list.
pub async fn dismiss(ctx: &Ctx<'_>, message_id: i64, actor: &str) -> Result<(), ReviewError> {
    customer_message(ctx, message_id).await?;
    let claimed = rows::claim(
        ctx.store,
        &rows::NewOutcome {
            message_id,
            outcome: "dismissed",
            intent: None,
            file: None,
            actor,
        },
        ctx.now_ms,
    )
    .await?;
    if claimed {
        return Ok(());
    }
    not_reviewed(ctx, message_id).await?;
    Err(ReviewError::BadInput(format!(
        "message {message_id} could not be dismissed"
    )))
}
