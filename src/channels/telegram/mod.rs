//! Telegram (Bot API): settings and their start-up checks, the webhook (secret-token header
//! checked before the body is read), and the `Channel` glue. Parsing lives in `parse.rs`,
//! outbound requests and error mapping in `send.rs`.

mod parse;
mod send;
#[cfg(test)]
mod tests;

use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Deserializer, Serialize};

use super::webhook::{constant_time_eq, Method};
use super::{
    Channel, CheckReport, InboundError, MonitorFilter, Outbound, Registration, SendError, Sent,
    Webhook, WebhookReply, WebhookRequest,
};
use crate::secret::Secret;

pub use parse::parse_payload;

/// The header Telegram puts `secret_token` in on every webhook delivery.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// The update types hearken asks for in `setWebhook` (others are acknowledged and dropped).
pub const ALLOWED_UPDATES: [&str; 4] = [
    "message",
    "edited_message",
    "callback_query",
    "channel_post",
];

/// The emoji a bot may react with (`ReactionTypeEmoji.emoji` in Bot API 10.1); any other is
/// refused by Telegram with a 400, so `like_emoji` is checked against it at start.
#[rustfmt::skip]
pub const REACTION_EMOJI: [&str; 73] = [
    "❤", "👍", "👎", "🔥", "🥰", "👏", "😁", "🤔", "🤯", "😱", "🤬", "😢", "🎉", "🤩", "🤮", "💩", "🙏",
    "👌", "🕊", "🤡", "🥱", "🥴", "😍", "🐳", "❤\u{200d}🔥", "🌚", "🌭", "💯", "🤣", "⚡", "🍌", "🏆",
    "💔", "🤨", "😐", "🍓", "🍾", "💋", "🖕", "😈", "😴", "😭", "🤓", "👻", "👨\u{200d}💻", "👀",
    "🎃", "🙈", "😇", "😨", "🤝", "✍", "🤗", "🫡", "🎅", "🎄", "☃", "💅", "🤪", "🗿", "🆒", "💘",
    "🙉", "🦄", "😘", "💊", "🙊", "😎", "👾", "🤷\u{200d}♂", "🤷", "🤷\u{200d}♀", "😡",
];

/// One `[[channels.telegram]]` bot.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSettings {
    /// The channel name, in URLs (`/v1/channels/<name>/webhook`) and transcripts.
    pub name: String,
    /// The Bot API server; tests point it at a simulated one.
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// The token @BotFather gives (`123456789:AA...`); it is part of every request URL.
    #[serde(deserialize_with = "bot_token")]
    pub bot_token: Secret,
    /// Sent to `setWebhook`; Telegram echoes it in `X-Telegram-Bot-Api-Secret-Token`.
    #[serde(deserialize_with = "secret_token")]
    pub secret_token: Secret,
    /// The reaction a like sets.
    #[serde(default = "default_like_emoji", deserialize_with = "like_emoji")]
    pub like_emoji: String,
    /// Which public posts enter the pipeline.
    #[serde(default)]
    pub monitor: MonitorFilter,
}

fn default_api_base() -> String {
    "https://api.telegram.org".into()
}

fn default_like_emoji() -> String {
    "👍".into()
}

impl TelegramSettings {
    /// Dummy credentials for tests and fuzzing.
    pub fn example(name: &str) -> Self {
        Self {
            name: name.into(),
            api_base: default_api_base(),
            bot_token: Secret::new("123456789:TEST-bot-token_0123456789abcdefghij"),
            secret_token: Secret::new("test-secret_token-0123"),
            like_emoji: default_like_emoji(),
            monitor: MonitorFilter::default(),
        }
    }

    /// What Telegram would refuse later, said at start (never quoting the secrets).
    pub fn validate(&self) -> Result<(), String> {
        check_bot_token(self.bot_token.expose())?;
        check_secret_token(self.secret_token.expose())?;
        check_like_emoji(&self.like_emoji)
    }
}

/// The token goes into the URL path, so a `/` or a space in it would address another URL.
fn check_bot_token(token: &str) -> Result<(), String> {
    let well_formed = token.split_once(':').is_some_and(|(id, key)| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    });
    if well_formed {
        Ok(())
    } else {
        Err("telegram bot_token must look like `123456789:AAH...` (digits, a colon, then letters, digits, _ or -), as @BotFather gives it".into())
    }
}

fn check_secret_token(token: &str) -> Result<(), String> {
    let ok = (1..=256).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "telegram secret_token must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule for setWebhook); the configured one has {} characters{}",
            token.chars().count(),
            if token.is_empty() { "" } else { " or a character outside that set" }
        ))
    }
}

fn check_like_emoji(emoji: &str) -> Result<(), String> {
    if REACTION_EMOJI.contains(&emoji) {
        Ok(())
    } else {
        Err(format!(
            "telegram like_emoji {emoji:?} is not a reaction bots may set; use one of {}",
            REACTION_EMOJI.join(" ")
        ))
    }
}

fn checked<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
    check: impl Fn(&T) -> Result<(), String>,
) -> Result<T, D::Error> {
    let v = T::deserialize(d)?;
    check(&v).map_err(serde::de::Error::custom)?;
    Ok(v)
}

fn bot_token<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    checked(d, |s: &Secret| check_bot_token(s.expose()))
}

fn secret_token<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    checked(d, |s: &Secret| check_secret_token(s.expose()))
}

fn like_emoji<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    checked(d, |s: &String| check_like_emoji(s))
}

pub struct TelegramChannel {
    settings: TelegramSettings,
    api: send::Api,
}

impl TelegramChannel {
    pub fn new(settings: TelegramSettings, timeout: Duration) -> Self {
        if let Err(e) = settings.validate() {
            // Settings from hearken.toml were checked when read; this is a hand-built one.
            tracing::warn!(channel = %settings.name, "{e}");
        }
        let api = send::Api::new(&settings, timeout);
        Self { settings, api }
    }
}

impl Webhook for TelegramChannel {
    fn handle(&self, req: &WebhookRequest<'_>) -> Result<WebhookReply, InboundError> {
        let given = req.header(SECRET_HEADER).ok_or_else(|| {
            InboundError::Unauthorized("missing X-Telegram-Bot-Api-Secret-Token header".into())
        })?;
        let expected = self.settings.secret_token.expose();
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(InboundError::Unauthorized(
                "wrong X-Telegram-Bot-Api-Secret-Token".into(),
            ));
        }
        if req.method != Method::Post {
            return Err(InboundError::Malformed(
                "Telegram delivers updates by POST".into(),
            ));
        }
        parse_payload(&self.settings, req.body).map(WebhookReply::Events)
    }
}

impl Channel for TelegramChannel {
    fn name(&self) -> &str {
        &self.settings.name
    }
    fn platform(&self) -> &'static str {
        "telegram"
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
        _idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        // The Bot API takes no idempotency key; the outbox's own key is what prevents doubles.
        Box::pin(self.api.perform(&self.settings, action))
    }
    fn check(&self) -> BoxFuture<'_, Result<CheckReport, SendError>> {
        Box::pin(self.api.check())
    }
    fn register_webhook<'a>(
        &'a self,
        webhook_url: &'a str,
    ) -> BoxFuture<'a, Result<Registration, SendError>> {
        Box::pin(self.api.register_webhook(&self.settings, webhook_url))
    }
}
