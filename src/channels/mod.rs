//! Channels: the `Channel` trait (send an outbound action to a platform, receive its webhooks or
//! poll it, check its credentials), the inbound event every adapter produces, and the configured
//! channels by name. One file (or folder) per platform, declared by `registry.rs` alone.

pub mod checks;
pub mod filter;
pub mod health;
pub mod registry;
pub mod webchat;
pub mod webhook;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub use filter::MonitorFilter;
pub use health::{CheckReport, HealthBoard, Registration};
// The platform modules (`channels::x`, ...) with the settings the registry builds.
pub use registry::*;
pub use webhook::{InboundError, Webhook, WebhookReply, WebhookRequest};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::policy::Visibility;

/// One inbound post, comment, mention or private message, as every adapter reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundEvent {
    pub channel: String,
    /// The platform's id of this delivery: a repeat of it is a no-op.
    pub event_id: String,
    pub visibility: Visibility,
    /// The thread: the root post of a public thread, or the private conversation id.
    pub thread_id: String,
    /// The platform's id of the message itself (a reply or like targets it).
    pub message_id: String,
    pub author: Author,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Author {
    /// The stable platform handle or user id.
    pub handle: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What the outbox asks a channel to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboundKind {
    Reply {
        visibility: Visibility,
        text: String,
        /// Quick-reply buttons, where the platform has them (Messenger, Telegram); others
        /// ignore them.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        quick_replies: Vec<String>,
    },
    Like,
    Repost,
    /// Hide the target comment from the public (Facebook).
    Hide,
    /// Show "typing..." in a private thread (Messenger, Telegram); best effort.
    Typing,
    /// Mark the customer's last message as seen (Messenger).
    Seen,
}

impl OutboundKind {
    /// The outbox row's `kind`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Reply { .. } => "reply",
            Self::Like => "like",
            Self::Repost => "repost",
            Self::Hide => "hide",
            Self::Typing => "typing",
            Self::Seen => "seen",
        }
    }
}

/// An outbound action with everything the platform needs to address it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outbound {
    #[serde(flatten)]
    pub kind: OutboundKind,
    /// The thread the action belongs to.
    pub thread_id: String,
    /// The message replied to, liked or reposted.
    pub target_message_id: Option<String>,
    /// The customer's handle (a private reply to a public post is a DM to them).
    pub recipient: String,
}

/// The platform's answer to a successful send.
#[derive(Debug, Clone, Default)]
pub struct Sent {
    pub external_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth retrying: a timeout, a 5xx, a connection error.
    #[error("{0}")]
    Retryable(String),
    /// The platform said 429; do not send on this channel for `retry_after_ms`.
    #[error("rate limited for {retry_after_ms} ms: {reason}")]
    RateLimited { retry_after_ms: i64, reason: String },
    /// Retrying will not help (4xx other than 401/429): dead-letter at once.
    #[error("{0}")]
    Permanent(String),
    /// The platform refused our credentials (expired or revoked token): the channel is marked
    /// unhealthy, the action dead-lettered and escalated.
    #[error("credentials refused: {0}")]
    Unauthorized(String),
}

/// What a poll brought: new events and the cursor to resume from.
#[derive(Debug, Default)]
pub struct Polled {
    pub events: Vec<InboundEvent>,
    /// Persisted after the events are committed; `None` keeps the previous cursor.
    pub cursor: Option<String>,
}

/// A platform with no webhooks (Mastodon): hearken asks it for news.
pub trait Poller: Send + Sync {
    /// Events after `cursor` (`None`: the first poll, which should start from now, not replay
    /// history).
    fn poll<'a>(&'a self, cursor: Option<&'a str>) -> BoxFuture<'a, Result<Polled, SendError>>;
    /// Time between polls.
    fn interval(&self) -> Duration;
}

/// A platform the outbox can send through.
pub trait Channel: Send + Sync {
    fn name(&self) -> &str;
    /// The platform (`x`, `facebook`, `slack`, ...), for listings.
    fn platform(&self) -> &'static str {
        "other"
    }
    /// Perform `action`; `idempotency_key` is passed to platforms that deduplicate on it.
    fn send<'a>(
        &'a self,
        action: &'a Outbound,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>>;
    /// Inbound webhooks at `/v1/channels/<name>/webhook`; `None` when the channel has none.
    fn webhook(&self) -> Option<&dyn Webhook> {
        None
    }
    /// Inbound by polling; `None` when the channel has webhooks instead.
    fn poller(&self) -> Option<&dyn Poller> {
        None
    }
    /// Which public posts enter the pipeline.
    fn monitor(&self) -> Option<&MonitorFilter> {
        None
    }
    /// "Who am I": are the credentials good, is the webhook subscribed.
    fn check(&self) -> BoxFuture<'_, Result<CheckReport, SendError>> {
        Box::pin(async { Ok(CheckReport::default()) })
    }
    /// Subscribe the platform's webhooks to `webhook_url` where its API allows it.
    fn register_webhook<'a>(
        &'a self,
        _webhook_url: &'a str,
    ) -> BoxFuture<'a, Result<Registration, SendError>> {
        Box::pin(async {
            Ok(Registration::NotSupported(
                "this channel has no webhook to register".into(),
            ))
        })
    }
}

/// The configured channels by name, and their health.
#[derive(Clone, Default)]
pub struct Channels {
    by_name: BTreeMap<String, Arc<dyn Channel>>,
    pub health: Arc<HealthBoard>,
}

impl Channels {
    pub fn insert(&mut self, channel: Arc<dyn Channel>) {
        self.by_name.insert(channel.name().to_string(), channel);
    }
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Channel>> {
        self.by_name.get(name)
    }
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Channel>> {
        self.by_name.values()
    }
    /// Name -> "ok" / "unhealthy: <why>" / "unchecked", for `/ready`.
    pub fn health_summary(&self) -> BTreeMap<String, String> {
        self.names()
            .map(|n| {
                let s = self.health.get(n);
                let v = match s.healthy {
                    Some(true) => "ok".to_string(),
                    Some(false) => format!("unhealthy: {}", s.detail.unwrap_or_default()),
                    None => "unchecked".to_string(),
                };
                (n.to_string(), v)
            })
            .collect()
    }
}

/// Parse a platform's `Retry-After` / rate-limit reset headers into a delay (ms). `now_ms` is
/// the wall clock, against which platforms state their reset times.
pub fn retry_after_from_headers(headers: &reqwest::header::HeaderMap, now_ms: i64) -> i64 {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    if let Some(secs) = get("retry-after") {
        return (secs * 1000.0) as i64;
    }
    // X and GitHub: x-rate-limit-reset / x-ratelimit-reset, epoch seconds.
    if let Some(epoch) = get("x-rate-limit-reset").or_else(|| get("x-ratelimit-reset")) {
        return ((epoch * 1000.0) as i64 - now_ms).max(1000);
    }
    60_000
}

/// Map an HTTP answer to the send outcome every adapter shares.
pub async fn classify_response(
    resp: reqwest::Response,
    now_ms: i64,
) -> Result<serde_json::Value, SendError> {
    let status = resp.status();
    if status.as_u16() == 429 {
        let retry_after_ms = retry_after_from_headers(resp.headers(), now_ms);
        return Err(SendError::RateLimited {
            retry_after_ms,
            reason: "429 Too Many Requests".into(),
        });
    }
    let body = resp.text().await.unwrap_or_default();
    let excerpt: String = body.chars().take(300).collect();
    if status.as_u16() == 401 {
        return Err(SendError::Unauthorized(format!("{status}: {excerpt}")));
    }
    if status.is_server_error() || status.as_u16() == 408 {
        return Err(SendError::Retryable(format!("{status}: {excerpt}")));
    }
    if !status.is_success() {
        return Err(SendError::Permanent(format!("{status}: {excerpt}")));
    }
    Ok(serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
}

/// Connection failures and timeouts are worth retrying.
pub fn transport_error(e: reqwest::Error) -> SendError {
    SendError::Retryable(format!("transport: {e}"))
}
