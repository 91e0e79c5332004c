//! Channels: the `Channel` trait (send an outbound action to a platform), the inbound event every
//! adapter produces, and the registry of configured channels. One file per platform.

pub mod api;
pub mod webchat;

use std::collections::BTreeMap;
use std::sync::Arc;

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
    },
    Like,
    Repost,
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
    /// Retrying will not help (4xx other than 429): dead-letter at once.
    #[error("{0}")]
    Permanent(String),
}

/// A platform the outbox can send through.
pub trait Channel: Send + Sync {
    fn name(&self) -> &str;
    /// Perform `action`; `idempotency_key` is passed to platforms that deduplicate on it.
    fn send<'a>(
        &'a self,
        action: &'a Outbound,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>>;
}

/// The configured channels by name.
#[derive(Clone, Default)]
pub struct Channels {
    by_name: BTreeMap<String, Arc<dyn Channel>>,
    /// The same API channels, typed, for their inbound webhooks.
    api: BTreeMap<String, Arc<api::ApiChannel>>,
}

impl Channels {
    pub fn insert(&mut self, channel: Arc<dyn Channel>) {
        self.by_name.insert(channel.name().to_string(), channel);
    }
    /// An API channel: sends like any channel, and accepts signed webhooks.
    pub fn insert_api(&mut self, channel: Arc<api::ApiChannel>) {
        self.api.insert(channel.name().to_string(), channel.clone());
        self.insert(channel);
    }
    pub fn api(&self, name: &str) -> Option<&Arc<api::ApiChannel>> {
        self.api.get(name)
    }
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Channel>> {
        self.by_name.get(name)
    }
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
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
