//! Slack: the settings, the channel, and request verification (Events API signing secret).
//! Parsing lives in `parse.rs`, the Web API calls in `send.rs`.

mod parse;
mod send;
#[cfg(test)]
mod send_tests;
#[cfg(test)]
mod signature_tests;
#[cfg(test)]
mod spec_check;
#[cfg(test)]
mod tests;

use std::sync::RwLock;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

pub use parse::parse_payload;

use super::webhook::hmac_sha256_matches;
use super::{
    Channel, CheckReport, InboundError, MonitorFilter, Outbound, Registration, SendError, Sent,
    Webhook, WebhookReply, WebhookRequest,
};
use crate::secret::Secret;

/// Slack's window for `X-Slack-Request-Timestamp`: older (or further ahead) is a replay.
pub const MAX_SKEW_SECS: i64 = 300;
pub const TIMESTAMP_HEADER: &str = "x-slack-request-timestamp";
pub const SIGNATURE_HEADER: &str = "x-slack-signature";

/// The bot scopes hearken needs (docs/channels/slack.md explains each).
pub const REQUIRED_SCOPES: [&str; 6] = [
    "app_mentions:read",
    "chat:write",
    "im:history",
    "channels:history",
    "reactions:write",
    "im:write",
];

/// One `[[channels.slack]]` workspace app.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackSettings {
    /// The channel name, in URLs (`/v1/channels/<name>/webhook`) and transcripts.
    pub name: String,
    /// The Web API root; tests point it at a simulated Slack.
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// "Signing Secret" from the app's Basic Information page: verifies inbound requests.
    pub signing_secret: Secret,
    /// "Bot User OAuth Token" (`xoxb-...`) from the app's OAuth & Permissions page.
    pub bot_token: Secret,
    /// The bot's own user id (`U...`), whose messages are never answered. Optional: `check`
    /// learns it from `auth.test`, and bot messages are skipped by their `bot_id` anyway.
    #[serde(default)]
    pub bot_user_id: Option<String>,
    /// The reaction a like adds, without colons.
    #[serde(default = "default_like_emoji")]
    pub like_emoji: String,
    /// Which public posts enter the pipeline.
    #[serde(default)]
    pub monitor: MonitorFilter,
}

fn default_api_base() -> String {
    "https://slack.com/api".into()
}

fn default_like_emoji() -> String {
    "thumbsup".into()
}

impl SlackSettings {
    /// Settings with dummy credentials (tests, fuzzing).
    pub fn example(name: &str) -> Self {
        Self {
            name: name.into(),
            api_base: default_api_base(),
            signing_secret: Secret::new("8f742231b10e8888abcd99yyyzzz85a5"),
            bot_token: Secret::new("xoxb-0000000000-0000000000000-example"),
            bot_user_id: Some("U0HEARKEN".into()),
            like_emoji: default_like_emoji(),
            monitor: MonitorFilter::default(),
        }
    }
}

pub struct SlackChannel {
    settings: SlackSettings,
    http: reqwest::Client,
    /// The bot user id `auth.test` reported, when the settings do not name it.
    learned_bot_user: RwLock<Option<String>>,
}

impl SlackChannel {
    pub fn new(settings: SlackSettings, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap_or_default();
        Self {
            settings,
            http,
            learned_bot_user: RwLock::new(None),
        }
    }

    /// Our own user id, from the settings or learned by `check`.
    fn bot_user_id(&self) -> Option<String> {
        self.settings.bot_user_id.clone().or_else(|| {
            self.learned_bot_user
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
        })
    }

    fn learn_bot_user(&self, id: &str) {
        *self
            .learned_bot_user
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(id.to_string());
    }
}

/// Check `X-Slack-Signature` over `v0:<timestamp>:<raw body>` and the timestamp's age.
pub fn verify(
    signing_secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), InboundError> {
    let unauthorized = |m: &str| Err(InboundError::Unauthorized(m.to_string()));
    let (Some(ts), Some(sig)) = (timestamp, signature) else {
        return unauthorized("missing X-Slack-Request-Timestamp or X-Slack-Signature");
    };
    let Ok(at) = ts.trim().parse::<i64>() else {
        return unauthorized("X-Slack-Request-Timestamp is not a number");
    };
    if now_secs.abs_diff(at) > MAX_SKEW_SECS as u64 {
        return unauthorized("stale X-Slack-Request-Timestamp (possible replay)");
    }
    let Some(mac) = sig
        .trim()
        .strip_prefix("v0=")
        .and_then(|h| hex::decode(h).ok())
    else {
        return unauthorized("X-Slack-Signature is not v0=<hex>");
    };
    if !hmac_sha256_matches(
        signing_secret.as_bytes(),
        &[b"v0:", ts.trim().as_bytes(), b":", body],
        &mac,
    ) {
        return unauthorized("X-Slack-Signature does not match");
    }
    Ok(())
}

impl Webhook for SlackChannel {
    fn handle(&self, req: &WebhookRequest<'_>) -> Result<WebhookReply, InboundError> {
        verify(
            self.settings.signing_secret.expose(),
            req.header(TIMESTAMP_HEADER),
            req.header(SIGNATURE_HEADER),
            req.body,
            req.now_secs,
        )?;
        // A redelivery (`X-Slack-Retry-Num`) parses to the same event ids: the inbox answers
        // "duplicate" and Slack still gets its 200.
        match parse::parse(&self.settings, self.bot_user_id().as_deref(), req.body)? {
            parse::Parsed::Challenge(challenge) => Ok(WebhookReply::Respond {
                status: 200,
                content_type: "text/plain; charset=utf-8",
                body: challenge,
            }),
            parse::Parsed::Events(events) => Ok(WebhookReply::Events(events)),
        }
    }
}

impl Channel for SlackChannel {
    fn name(&self) -> &str {
        &self.settings.name
    }
    fn platform(&self) -> &'static str {
        "slack"
    }
    fn webhook(&self) -> Option<&dyn Webhook> {
        Some(self)
    }
    fn monitor(&self) -> Option<&MonitorFilter> {
        Some(&self.settings.monitor)
    }
    fn send<'a>(
        &'a self,
        action: &'a Outbound,
        _key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        // Slack's Web API has no idempotency key: the outbox's own row state keeps sends single.
        Box::pin(self.perform(action))
    }
    fn check(&self) -> BoxFuture<'_, Result<CheckReport, SendError>> {
        Box::pin(self.auth_test())
    }
    fn register_webhook<'a>(
        &'a self,
        webhook_url: &'a str,
    ) -> BoxFuture<'a, Result<Registration, SendError>> {
        Box::pin(async move {
            Ok(Registration::NotSupported(format!(
                "Slack has no API for this: at api.slack.com/apps, open the app, then Event \
                 Subscriptions: turn events on, set the Request URL to {webhook_url} (Slack checks \
                 it at once), and under \"Subscribe to bot events\" add app_mention, message.im \
                 and (to read whole channels) message.channels; then Save Changes. The bot token \
                 needs the scopes {}; reinstall the app after changing scopes.",
                REQUIRED_SCOPES.join(", ")
            )))
        })
    }
}
