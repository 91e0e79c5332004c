//! What an outbox row asks for, as a type: the tagged, versioned JSON stored in `outbox.payload`
//! and the `kind`/`channel` columns derived from it. No I/O; a new action type starts here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::channels::Outbound;
use crate::policy::{Priority, Visibility};

/// The payload format this build writes and reads (`"v"` in the stored JSON).
pub const VERSION: u32 = 1;

/// The `channel` column of ticket actions: tickets do not go through a platform channel.
pub const TICKETS_CHANNEL: &str = "tickets";

/// One outbound action. Stored as `{"type": "send"|"ticket"|"webhook", "v": 1, ...fields}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutboxAction {
    /// A reply, like, repost, ... through a platform channel.
    Send(SendAction),
    /// Open a ticket in the configured tracker, then answer the customer with its URL.
    Ticket(TicketRequest),
    /// Deliver one event to a webhook subscriber.
    Webhook(WebhookDelivery),
}

/// A platform action. Flat, so `payload.text`, `payload.visibility` and `payload.author` read
/// as they did before the payload was typed (the console and API clients read them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendAction {
    /// The configured channel that sends it.
    pub channel: String,
    #[serde(flatten)]
    pub outbound: Outbound,
    /// Who the transcript shows (`agent:<login>`, `api`); `None` is the bot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// A ticket to open, and the customer's answer once it exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketRequest {
    pub title: String,
    pub body: String,
    pub skill: String,
    pub priority: Priority,
    /// Values for the reply template (`name`, `handle`, `channel`; `ticket_url` is added).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    pub reply: TicketReply,
}

/// Where and how the ticket's URL goes back to the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketReply {
    pub channel: String,
    pub visibility: Visibility,
    /// A response template; `{{ticket_url}}` is the ticket's URL.
    pub template: String,
    pub thread_id: String,
    pub target_message_id: Option<String>,
    pub recipient: String,
}

/// One event for one subscriber; `event` is the envelope exactly as it is signed and sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub subscriber: String,
    pub event: serde_json::Value,
}

impl WebhookDelivery {
    /// The event's kind, for the `X-Hearken-Event` header.
    pub fn event_kind(&self) -> &str {
        self.event["kind"].as_str().unwrap_or_default()
    }
}

/// A stored payload that this build cannot act on; the row is dead-lettered with this text.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("unreadable outbox action: {0}")]
    Unreadable(#[from] serde_json::Error),
    #[error("outbox action format {found} is not one this hearken reads (v{VERSION})")]
    Version { found: String },
}

/// The stored form: the version beside the tagged action.
#[derive(Serialize)]
struct Stored<'a> {
    v: u32,
    #[serde(flatten)]
    action: &'a OutboxAction,
}

impl OutboxAction {
    /// The `kind` column: the platform action's name, `ticket` or `webhook`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Send(s) => s.outbound.kind.name(),
            Self::Ticket(_) => "ticket",
            Self::Webhook(_) => "webhook",
        }
    }

    /// The `channel` column: what a 429 pauses and what the metrics count by.
    pub fn channel(&self) -> String {
        match self {
            Self::Send(s) => s.channel.clone(),
            Self::Ticket(_) => TICKETS_CHANNEL.to_string(),
            Self::Webhook(w) => format!("webhook:{}", w.subscriber),
        }
    }

    /// The JSON stored in `outbox.payload`.
    pub fn to_payload(&self) -> String {
        serde_json::to_string(&Stored {
            v: VERSION,
            action: self,
        })
        .expect("an outbox action serialises (string keys only); this is a bug")
    }

    /// Read a stored payload; rows written before the typed payload are converted by
    /// migration 0006.
    pub fn from_payload(payload: &serde_json::Value) -> Result<Self, PayloadError> {
        match payload.get("v").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(VERSION) => {}
            found => {
                return Err(PayloadError::Version {
                    found: found.map_or("without a version".into(), |v| format!("v{v}")),
                })
            }
        }
        Ok(Self::deserialize(payload)?)
    }
}

#[cfg(test)]
#[path = "action_tests.rs"]
mod tests;
