//! Policy: what the bot does with one analysed message. Pure decisions from the intent files,
//! thresholds, business calendar and conversation owner; no SQL, no HTTP, no clock reads.

pub mod calendar;
mod decide;
mod rules;

use serde::{Deserialize, Serialize};

pub use calendar::{Calendar, CalendarConfig, CalendarError, CalendarStatus, NoticeKind};
pub use decide::decide;
pub use rules::{ChannelRules, PolicyConfig, PolicyError};

/// Where a message was written: a public post/comment/mention, or a private message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
        }
    }
}

/// Who owns a conversation. The bot only acts while it is the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Bot,
    Queued,
    Agent,
    Resolved,
}

impl Owner {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Queued => "queued",
            Self::Agent => "agent",
            Self::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "bot" => Self::Bot,
            "queued" => Self::Queued,
            "agent" => Self::Agent,
            "resolved" => Self::Resolved,
            _ => return None,
        })
    }
}

/// Escalation priority: lower number is served first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Urgent = 1,
    High = 2,
    Normal = 3,
}

impl Priority {
    /// From the number stored in `conversations.priority` (anything else is normal).
    pub fn from_rank(n: i64) -> Self {
        match n {
            1 => Self::Urgent,
            2 => Self::High,
            _ => Self::Normal,
        }
    }
}

/// Everything policy needs to know about one inbound message.
#[derive(Debug, Clone)]
pub struct Situation<'a> {
    pub channel: &'a str,
    pub visibility: Visibility,
    pub owner: Owner,
    /// The recognised intent (None when the NLU had no confident or in-scope reading).
    pub intent: Option<&'a crate::intents::Intent>,
    pub analysis: &'a crate::nlu::Analysis,
    pub calendar: &'a CalendarStatus,
    /// A closed/special-day/emergency notice was already sent in this conversation.
    pub notice_already_sent: bool,
    /// Values for the response templates (name, first_name, handle, channel, brand, ticket_url).
    pub fields: &'a std::collections::BTreeMap<String, String>,
    /// Seed picking among several response variants, so the choice is stable for a message.
    pub variant_seed: u64,
    /// The conversation waits for a person at this place in the queue and its customer may be
    /// told so again (`still_queued_every_minutes` have passed since they last were).
    pub still_queued_at: Option<i64>,
}

/// One thing the bot decided, with the reason in words (stored on the transcript).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    #[serde(flatten)]
    pub action: DecisionAction,
    pub reason: String,
    /// Why a conversation goes to a person, as a stable code for reports (escalations only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<EscalationCause>,
}

/// Why a conversation was escalated: the reports group escalations by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationCause {
    /// The intent itself goes to a person (a complaint, asking for a human).
    Intent,
    /// A confident reading, but the customer is upset.
    NegativeSentiment,
    /// The message is a complaint (complaint probability at or above `policy.complaint`).
    Complaint,
    /// Low confidence or out of scope.
    Unsure,
    /// The intent answers, but no response is written for it.
    NoResponse,
    /// The intent opens a ticket and no ticket integration is configured.
    NoTicketIntegration,
    /// A reply or action could not be sent.
    SendFailed,
    /// A person or another system queued it (API, transfer).
    Manual,
}

impl EscalationCause {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intent => "intent",
            Self::NegativeSentiment => "negative_sentiment",
            Self::Complaint => "complaint",
            Self::Unsure => "unsure",
            Self::NoResponse => "no_response",
            Self::NoTicketIntegration => "no_ticket_integration",
            Self::SendFailed => "send_failed",
            Self::Manual => "manual",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionAction {
    Reply {
        visibility: Visibility,
        text: String,
    },
    Like,
    Repost,
    Escalate {
        skill: String,
        priority: Priority,
        /// Escalations that arrive while closed wait for this opening time (RFC 3339, UTC).
        #[serde(skip_serializing_if = "Option::is_none")]
        not_before: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Open a ticket; the reply (with `{ticket_url}`) is sent once the ticket exists.
    Ticket {
        skill: String,
        title: String,
        reply_visibility: Visibility,
        reply_template: String,
    },
    Notice {
        notice: NoticeKind,
        visibility: Visibility,
        text: String,
    },
    Silence,
}

impl DecisionAction {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Reply { .. } => "reply",
            Self::Like => "like",
            Self::Repost => "repost",
            Self::Escalate { .. } => "escalate",
            Self::Ticket { .. } => "ticket",
            Self::Notice { .. } => "notice",
            Self::Silence => "silence",
        }
    }
}
