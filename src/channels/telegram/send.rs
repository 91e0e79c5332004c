//! Telegram outbound: the Bot API call for each action (sendMessage, setMessageReaction,
//! sendChatAction, answerCallbackQuery), `check` and `setWebhook`, and the mapping of Bot API
//! errors onto `SendError`. The bot token is in every URL, so it is scrubbed from every error.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::{json, Value};

use super::{TelegramSettings, ALLOWED_UPDATES};
use crate::channels::{
    retry_after_from_headers, CheckReport, Outbound, OutboundKind, Registration, SendError, Sent,
};
use crate::policy::Visibility;
use crate::secret::Secret;

/// `sendMessage` takes 1-4096 characters (counted in UTF-16 code units).
pub(super) const MAX_TEXT_UTF16: usize = 4096;
/// `callback_data` is 1-64 bytes.
pub(super) const MAX_CALLBACK_BYTES: usize = 64;

/// One Bot API request: `POST {api_base}/bot{token}/{method}` with a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Call {
    pub method: &'static str,
    pub body: Value,
}

/// What an action performs: the call, and a best-effort follow-up (answering the button
/// press a reply answers).
#[derive(Debug, PartialEq)]
pub(super) struct Plan {
    pub call: Call,
    pub then: Option<Call>,
}

/// What an event's `message_id` names (see `parse.rs`).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Target {
    /// `{chat_id}:{message_id}`
    Message { chat: i64, id: i64 },
    /// `cb:{user_id}:{callback_query_id}`: a button press.
    Callback { user: i64, query: String },
}

impl Target {
    pub(super) fn parse(s: &str) -> Option<Self> {
        if let Some(rest) = s.strip_prefix("cb:") {
            let (user, query) = rest.split_once(':')?;
            return Some(Self::Callback {
                user: user.parse().ok()?,
                query: query.to_string(),
            });
        }
        let (chat, id) = s.split_once(':')?;
        Some(Self::Message {
            chat: chat.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

/// The chat of a thread: `{chat_id}` (private) or `{chat_id}:{root}` (groups, channels).
fn thread_chat(thread_id: &str) -> Result<i64, SendError> {
    let chat = thread_id.split_once(':').map_or(thread_id, |(c, _)| c);
    chat.parse()
        .map_err(|_| SendError::Permanent(format!("not a Telegram thread id: {thread_id:?}")))
}

/// The Bot API request(s) for `action`; unsupported actions are refused here, before any I/O.
pub(super) fn plan(settings: &TelegramSettings, action: &Outbound) -> Result<Plan, SendError> {
    let target = action.target_message_id.as_deref().and_then(Target::parse);
    let call = match &action.kind {
        OutboundKind::Reply {
            visibility,
            text,
            quick_replies,
        } => {
            let chat = match visibility {
                Visibility::Public => thread_chat(&action.thread_id)?,
                // A DM goes to the author; in a private chat the chat id is the user id.
                // Groups and channels have negative ids: they cannot be written to privately.
                Visibility::Private => action
                    .recipient
                    .parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .ok_or_else(|| {
                        SendError::Permanent(format!(
                            "Telegram cannot message {:?} privately: not a user",
                            action.recipient
                        ))
                    })?,
            };
            let mut body = json!({"chat_id": chat, "text": fit_text(text)});
            if let Some(Target::Message { chat: c, id }) = &target {
                // Only a message in the same chat can be replied to; a private answer to a
                // group message is a plain DM. Sent even if the customer deleted theirs.
                if *c == chat {
                    body["reply_parameters"] =
                        json!({"message_id": id, "allow_sending_without_reply": true});
                }
            }
            if !quick_replies.is_empty() {
                body["reply_markup"] = keyboard(quick_replies);
            }
            let then = match &target {
                Some(Target::Callback { query, .. }) => Some(Call {
                    method: "answerCallbackQuery",
                    body: json!({"callback_query_id": query}),
                }),
                _ => None,
            };
            return Ok(Plan {
                call: Call {
                    method: "sendMessage",
                    body,
                },
                then,
            });
        }
        OutboundKind::Like => match target {
            Some(Target::Message { chat, id }) => Call {
                method: "setMessageReaction",
                body: json!({"chat_id": chat, "message_id": id,
                             "reaction": [{"type": "emoji", "emoji": settings.like_emoji}]}),
            },
            Some(Target::Callback { .. }) => {
                return Err(SendError::Permanent(
                    "Telegram cannot like a button press".into(),
                ))
            }
            None => {
                return Err(SendError::Permanent(
                    "Telegram cannot like without a message to react to".into(),
                ))
            }
        },
        OutboundKind::Typing => Call {
            method: "sendChatAction",
            body: json!({"chat_id": thread_chat(&action.thread_id)?, "action": "typing"}),
        },
        OutboundKind::Repost => return Err(SendError::Permanent("Telegram cannot repost".into())),
        OutboundKind::Seen => {
            return Err(SendError::Permanent(
                "Telegram bots cannot mark messages read".into(),
            ))
        }
        OutboundKind::Hide => {
            return Err(SendError::Permanent(
                "Telegram cannot hide a message (only delete it)".into(),
            ))
        }
    };
    Ok(Plan { call, then: None })
}

/// Texts over Telegram's limit are cut with an ellipsis rather than refused or split (a split
/// reply retried halfway would repeat its first part).
pub(super) fn fit_text(text: &str) -> String {
    if text.encode_utf16().count() <= MAX_TEXT_UTF16 {
        return text.to_string();
    }
    let mut out = String::new();
    let mut units = 0;
    for c in text.chars() {
        units += c.len_utf16();
        if units > MAX_TEXT_UTF16 - 1 {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// One button per row; pressing it sends its label back as the callback data.
fn keyboard(labels: &[String]) -> Value {
    let rows: Vec<Value> = labels
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .map(|label| json!([{"text": label, "callback_data": clip(label, MAX_CALLBACK_BYTES)}]))
        .collect();
    json!({"inline_keyboard": rows})
}

/// The longest prefix of `s` within `max` bytes that ends on a character boundary.
pub(super) fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A Bot API answer: `{"ok": true, "result": ...}` or
/// `{"ok": false, "error_code", "description", "parameters": {"retry_after"}}`.
pub(super) fn classify(
    status: u16,
    headers: &HeaderMap,
    body: &str,
    now_ms: i64,
) -> Result<Value, SendError> {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let success = (200..300).contains(&status);
    if success && v["ok"].as_bool() != Some(false) {
        return Ok(v.get("result").cloned().unwrap_or(Value::Null));
    }
    let code = if success {
        v["error_code"].as_u64().map_or(400, |c| c as u16)
    } else {
        status
    };
    let description = v["description"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| body.chars().take(200).collect());
    let reason = format!("{code}: {description}");
    Err(match code {
        429 => SendError::RateLimited {
            retry_after_ms: v["parameters"]["retry_after"]
                .as_i64()
                .map(|s| s.max(1) * 1000)
                .unwrap_or_else(|| retry_after_from_headers(headers, now_ms)),
            reason,
        },
        401 => SendError::Unauthorized(reason),
        // Every method hearken calls exists: a 404 means the token in the path is not one.
        404 => SendError::Unauthorized(format!("{reason} (the bot token is not recognised)")),
        408 | 500..=599 => SendError::Retryable(reason),
        // 403 (blocked by the user, never started the bot, not in the chat), 400 and others.
        _ => SendError::Permanent(reason),
    })
}

/// `{chat_id}:{message_id}` of a sent message, as events name messages.
fn sent_id(result: &Value) -> Option<String> {
    let id = result.get("message_id")?.as_i64()?;
    let chat = result.get("chat")?.get("id")?.as_i64()?;
    Some(format!("{chat}:{id}"))
}

pub(super) struct Api {
    http: reqwest::Client,
    base: String,
    token: Secret,
}

impl Api {
    pub(super) fn new(settings: &TelegramSettings, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap_or_default();
        Self {
            http,
            base: settings.api_base.trim_end_matches('/').to_string(),
            token: settings.bot_token.clone(),
        }
    }

    /// The token never leaves in an error: reqwest errors carry the URL, which carries it.
    pub(super) fn redact(&self, s: &str) -> String {
        let token = self.token.expose();
        if token.is_empty() {
            s.to_string()
        } else {
            s.replace(token, "[redacted]")
        }
    }

    async fn call(&self, c: &Call) -> Result<Value, SendError> {
        let url = format!("{}/bot{}/{}", self.base, self.token.expose(), c.method);
        let transport = |e: reqwest::Error| {
            SendError::Retryable(self.redact(&format!(
                "transport ({}): {}",
                c.method,
                e.without_url()
            )))
        };
        let resp = self
            .http
            .post(url)
            .json(&c.body)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.map_err(transport)?;
        let now_ms = chrono::Utc::now().timestamp_millis();
        classify(status, &headers, &body, now_ms).map_err(|e| match e {
            SendError::Retryable(m) => SendError::Retryable(self.redact(&m)),
            SendError::Permanent(m) => SendError::Permanent(self.redact(&m)),
            SendError::Unauthorized(m) => SendError::Unauthorized(self.redact(&m)),
            SendError::RateLimited {
                retry_after_ms,
                reason,
            } => SendError::RateLimited {
                retry_after_ms,
                reason: self.redact(&reason),
            },
        })
    }

    pub(super) async fn perform(
        &self,
        settings: &TelegramSettings,
        action: &Outbound,
    ) -> Result<Sent, SendError> {
        let plan = plan(settings, action)?;
        let result = self.call(&plan.call).await?;
        if let Some(then) = &plan.then {
            // The reply is out; a button press left unanswered only keeps its spinner (and
            // Telegram refuses answers to presses older than a few seconds).
            if let Err(e) = self.call(then).await {
                tracing::debug!(method = then.method, "follow-up failed: {e}");
            }
        }
        Ok(Sent {
            external_id: sent_id(&result),
        })
    }

    pub(super) async fn check(&self) -> Result<CheckReport, SendError> {
        let empty = || json!({});
        let me = self
            .call(&Call {
                method: "getMe",
                body: empty(),
            })
            .await?;
        let mut notes = Vec::new();
        let account = me["username"].as_str().map(|u| format!("@{u}"));
        if me["can_read_all_group_messages"] == Value::Bool(false) {
            notes.push("privacy mode is on: in groups the bot sees only commands, replies to its messages and mentions (@BotFather > Bot Settings > Group Privacy turns it off)".to_string());
        }
        let info = self
            .call(&Call {
                method: "getWebhookInfo",
                body: empty(),
            })
            .await?;
        let url = info["url"].as_str().unwrap_or_default();
        let webhook = if url.is_empty() {
            notes.push("no webhook is set: register it (`hearken channels register-webhooks`) or nothing arrives".into());
            "none".to_string()
        } else {
            let pending = info["pending_update_count"].as_i64().unwrap_or(0);
            match info["last_error_message"].as_str() {
                Some(err) => format!("{url} ({pending} pending updates; last error: {err})"),
                None => format!("{url} ({pending} pending updates)"),
            }
        };
        if let Some(allowed) = info["allowed_updates"].as_array() {
            let missing: Vec<&str> = ALLOWED_UPDATES
                .into_iter()
                .filter(|u| !allowed.iter().any(|a| a == u))
                .collect();
            // An empty list means Telegram's default, which includes all of ours.
            if !allowed.is_empty() && !missing.is_empty() {
                notes.push(format!(
                    "the webhook does not receive {}: register it again",
                    missing.join(", ")
                ));
            }
        }
        Ok(CheckReport {
            account,
            webhook: Some(webhook),
            notes,
        })
    }

    pub(super) async fn register_webhook(
        &self,
        settings: &TelegramSettings,
        url: &str,
    ) -> Result<Registration, SendError> {
        let body = json!({
            "url": url,
            "secret_token": settings.secret_token.expose(),
            "allowed_updates": ALLOWED_UPDATES,
        });
        self.call(&Call {
            method: "setWebhook",
            body,
        })
        .await?;
        Ok(Registration::Registered(format!(
            "Telegram delivers {} updates to {url}",
            ALLOWED_UPDATES.join(", ")
        )))
    }
}
