//! Slack Web API calls: replies (chat.postMessage, in the thread or in a DM opened with
//! conversations.open), likes (reactions.add), `auth.test` for `check`, and the mapping of
//! Slack's `{"ok": false, "error": ...}` answers to `SendError`.

use reqwest::header::CONTENT_TYPE;
use serde_json::{json, Value};

use super::{SlackChannel, REQUIRED_SCOPES};
use crate::channels::{
    classify_response, retry_after_from_headers, transport_error, CheckReport, Outbound,
    OutboundKind, SendError, Sent,
};
use crate::policy::Visibility;

/// Slack wants the charset spelled out on JSON bodies (else a `missing_charset` warning).
const JSON_UTF8: &str = "application/json; charset=utf-8";

/// `C123:1700000000.000100` -> (`C123`, `1700000000.000100`).
fn split_id(id: &str) -> Result<(&str, &str), SendError> {
    match id.split_once(':') {
        Some((channel, ts)) if !channel.is_empty() && !ts.is_empty() => Ok((channel, ts)),
        _ => Err(SendError::Permanent(format!(
            "slack: {id:?} is not a <channel>:<ts> id"
        ))),
    }
}

/// Slack's error codes (HTTP 200, `ok: false`) as send outcomes.
pub(super) fn slack_error(method: &str, answer: &Value, retry_after_ms: i64) -> SendError {
    let code = answer
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or("unknown_error");
    let mut why = format!("slack {method}: {code}");
    if let Some(needed) = answer.get("needed").and_then(Value::as_str) {
        why.push_str(&format!(" (needed: {needed})"));
    }
    match code {
        "invalid_auth" | "not_authed" | "token_revoked" | "token_expired" | "account_inactive" => {
            SendError::Unauthorized(why)
        }
        "ratelimited" | "rate_limited" => SendError::RateLimited {
            retry_after_ms,
            reason: why,
        },
        // Slack's own transient failures, like a 5xx.
        "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" => {
            SendError::Retryable(why)
        }
        _ => SendError::Permanent(why),
    }
}

/// Put the method name in front of an HTTP-level failure.
fn in_method(method: &str, e: SendError) -> SendError {
    match e {
        SendError::Retryable(m) => SendError::Retryable(format!("slack {method}: {m}")),
        SendError::Permanent(m) => SendError::Permanent(format!("slack {method}: {m}")),
        SendError::Unauthorized(m) => SendError::Unauthorized(format!("slack {method}: {m}")),
        SendError::RateLimited {
            retry_after_ms,
            reason,
        } => SendError::RateLimited {
            retry_after_ms,
            reason: format!("slack {method}: {reason}"),
        },
    }
}

/// The HTTP answer, then Slack's `ok`: the JSON of a successful call. Error codes in
/// `tolerated` count as success (a like that is already there).
async fn answer(
    method: &str,
    resp: reqwest::Response,
    tolerated: &[&str],
) -> Result<Value, SendError> {
    let now = chrono::Utc::now().timestamp_millis();
    let retry_after_ms = retry_after_from_headers(resp.headers(), now);
    let json = classify_response(resp, now)
        .await
        .map_err(|e| in_method(method, e))?;
    match json.get("ok").and_then(Value::as_bool) {
        Some(true) => Ok(json),
        Some(false)
            if json
                .get("error")
                .and_then(Value::as_str)
                .is_some_and(|e| tolerated.contains(&e)) =>
        {
            Ok(json)
        }
        Some(false) => Err(slack_error(method, &json, retry_after_ms)),
        // A 200 that is not Slack's JSON (a proxy page?): retrying might post twice.
        None => Err(SendError::Permanent(format!(
            "slack {method}: the answer is not Slack JSON"
        ))),
    }
}

impl SlackChannel {
    fn url(&self, method: &str) -> String {
        format!("{}/{method}", self.settings.api_base.trim_end_matches('/'))
    }

    /// POST a Web API method with a JSON body and the bot token.
    async fn call(
        &self,
        method: &str,
        body: Value,
        tolerated: &[&str],
    ) -> Result<Value, SendError> {
        let resp = self
            .http
            .post(self.url(method))
            .bearer_auth(self.settings.bot_token.expose())
            .header(CONTENT_TYPE, JSON_UTF8)
            .body(body.to_string())
            .send()
            .await
            .map_err(transport_error)?;
        answer(method, resp, tolerated).await
    }

    pub(super) async fn perform(&self, action: &Outbound) -> Result<Sent, SendError> {
        match &action.kind {
            // Slack's buttons need an interactivity endpoint: quick replies are not sent.
            OutboundKind::Reply {
                visibility, text, ..
            } => match visibility {
                Visibility::Public => {
                    let (channel, root) = split_id(&action.thread_id)?;
                    self.post_message(channel, text, Some(root)).await
                }
                Visibility::Private => self.direct_message(action, text).await,
            },
            OutboundKind::Like => self.like(action).await,
            OutboundKind::Repost => {
                Err(SendError::Permanent("slack cannot repost a message".into()))
            }
            OutboundKind::Hide => Err(SendError::Permanent(
                "slack cannot hide a message (a bot may only delete its own)".into(),
            )),
            OutboundKind::Typing => Err(SendError::Permanent(
                "slack cannot show typing: Events API bots have no typing indicator".into(),
            )),
            OutboundKind::Seen => Err(SendError::Permanent(
                "slack cannot mark a message seen for a bot".into(),
            )),
        }
    }

    async fn post_message(
        &self,
        channel: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> Result<Sent, SendError> {
        let mut body = json!({ "channel": channel, "text": text });
        if let Some(ts) = thread_ts {
            body["thread_ts"] = json!(ts);
        }
        let r = self.call("chat.postMessage", body, &[]).await?;
        let external_id = match (r.get("channel").and_then(Value::as_str), r.get("ts")) {
            (Some(c), Some(Value::String(ts))) => Some(format!("{c}:{ts}")),
            _ => None,
        };
        Ok(Sent { external_id })
    }

    /// A private reply: the DM with the author (conversations.open is idempotent), in the
    /// DM thread when the customer wrote inside one.
    async fn direct_message(&self, action: &Outbound, text: &str) -> Result<Sent, SendError> {
        if action.recipient.is_empty() {
            return Err(SendError::Permanent(
                "slack: a private reply needs the recipient's user id".into(),
            ));
        }
        let open = self
            .call(
                "conversations.open",
                json!({ "users": action.recipient }),
                &[],
            )
            .await?;
        let dm = open
            .pointer("/channel/id")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                SendError::Permanent("slack conversations.open: no channel id in the answer".into())
            })?;
        let in_thread = match (split_id(&action.thread_id), &action.target_message_id) {
            (Ok((channel, root)), Some(target)) if channel == dm && *target != action.thread_id => {
                Some(root)
            }
            _ => None,
        };
        self.post_message(dm, text, in_thread).await
    }

    async fn like(&self, action: &Outbound) -> Result<Sent, SendError> {
        let target = action
            .target_message_id
            .as_deref()
            .unwrap_or(&action.thread_id);
        let (channel, ts) = split_id(target)?;
        let name = self.settings.like_emoji.trim_matches(':');
        let body = json!({ "channel": channel, "timestamp": ts, "name": name });
        // A like that is already there is what we wanted.
        self.call("reactions.add", body, &["already_reacted"])
            .await
            .map(|_| Sent::default())
    }

    /// `auth.test`: whose token this is; learns the bot user id; compares the granted scopes
    /// (header `x-oauth-scopes`) with the ones hearken needs.
    pub(super) async fn auth_test(&self) -> Result<CheckReport, SendError> {
        let resp = self
            .http
            .get(self.url("auth.test"))
            .bearer_auth(self.settings.bot_token.expose())
            .send()
            .await
            .map_err(transport_error)?;
        let scopes: Option<Vec<String>> = resp
            .headers()
            .get("x-oauth-scopes")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
        let r = answer("auth.test", resp, &[]).await?;
        let field = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("?");
        let mut notes = Vec::new();
        if let Some(id) = r.get("user_id").and_then(Value::as_str) {
            match self.settings.bot_user_id.as_deref() {
                Some(set) if set != id => notes.push(format!(
                    "bot_user_id is {set} in the settings but the token belongs to {id}: \
                     messages from {id} may be answered"
                )),
                Some(_) => notes.push(format!("bot user id {id}: its own messages are skipped")),
                None => {
                    self.learn_bot_user(id);
                    notes.push(format!(
                        "bot user id {id} (learned): its own messages are skipped"
                    ));
                }
            }
        }
        if r.get("bot_id").is_none() {
            notes.push("this is not a bot token: use the Bot User OAuth Token (xoxb-)".into());
        }
        if let Some(granted) = scopes {
            let missing: Vec<&str> = REQUIRED_SCOPES
                .iter()
                .copied()
                .filter(|s| !granted.iter().any(|g| g == s))
                .collect();
            if missing.is_empty() {
                notes.push("all required scopes granted".into());
            } else {
                notes.push(format!("missing scopes: {}", missing.join(", ")));
            }
        }
        notes.push(
            "the Request URL is set by hand (Event Subscriptions); Slack cannot be asked for it"
                .into(),
        );
        Ok(CheckReport {
            account: Some(format!("{} @ {}", field("user"), field("team"))),
            webhook: None,
            notes,
        })
    }
}
