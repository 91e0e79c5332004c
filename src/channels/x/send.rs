//! Outbound on X API v2: public replies (split into a chain when over 280), DMs, likes,
//! reposts, hidden replies; the HTTP call every request shares and X's errors mapped onto
//! `SendError`.

use serde_json::{json, Value};

use super::text::split_post;
use super::XChannel;
use crate::channels::{
    classify_response, transport_error, Outbound, OutboundKind, SendError, Sent,
};
use crate::policy::Visibility;

/// X's limit on a DM's text.
pub const MAX_DM_CHARS: usize = 10_000;

/// How far a split reply got, for a retry of the same action.
#[derive(Debug, Default, Clone)]
pub(super) struct Chain {
    /// Ids of the parts already posted, in order.
    posted: Vec<String>,
}

/// Kept chains beyond this many are forgotten (a retry then starts over).
const MAX_CHAINS: usize = 1024;

/// Snowflake ids are 1 to 19 digits; anything else never reaches a URL or a body.
pub(super) fn is_id(s: &str) -> bool {
    (1..=19).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

fn id_or_refuse<'a>(what: &str, id: Option<&'a str>) -> Result<&'a str, SendError> {
    match id {
        Some(id) if is_id(id) => Ok(id),
        Some(id) => Err(SendError::Permanent(format!(
            "X {what} must be a numeric id, not {id:?}"
        ))),
        None => Err(SendError::Permanent(format!("X needs a {what}"))),
    }
}

pub(super) enum Auth {
    User,
    /// The app-only token (webhook management), the user token when none is set.
    App,
}

impl XChannel {
    /// One call to the X API; the JSON answer on 2xx, else X's error as a `SendError`.
    pub(super) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: Auth,
        body: Option<&Value>,
    ) -> Result<Value, SendError> {
        let token = match auth {
            Auth::App => self
                .settings
                .app_token
                .as_ref()
                .unwrap_or(&self.settings.user_token),
            Auth::User => &self.settings.user_token,
        };
        let url = format!("{}{path}", self.settings.api_base.trim_end_matches('/'));
        let mut req = self.http.request(method, url).bearer_auth(token.expose());
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(transport_error)?;
        let now_ms = chrono::Utc::now().timestamp_millis();
        if resp.status().as_u16() == 429 {
            return Err(rate_limited(resp.headers(), now_ms));
        }
        classify_response(resp, now_ms).await
    }

    pub(super) async fn perform(&self, action: &Outbound, key: &str) -> Result<Sent, SendError> {
        let target = action.target_message_id.as_deref();
        let me = &self.settings.user_id;
        match &action.kind {
            OutboundKind::Reply {
                visibility: Visibility::Public,
                text,
                ..
            } => {
                let to = id_or_refuse("post to reply to", target.or(Some(&action.thread_id)))?;
                self.reply_chain(to, text, key).await
            }
            OutboundKind::Reply {
                visibility: Visibility::Private,
                text,
                ..
            } => {
                let who = id_or_refuse("DM recipient", Some(&action.recipient))?;
                let text: String = text.chars().take(MAX_DM_CHARS).collect();
                let path = format!("/2/dm_conversations/with/{who}/messages");
                let body = json!({ "text": text });
                let answer = self
                    .call(reqwest::Method::POST, &path, Auth::User, Some(&body))
                    .await?;
                Ok(Sent {
                    external_id: str_at(&answer, "/data/dm_event_id"),
                })
            }
            OutboundKind::Like | OutboundKind::Repost => {
                let me = id_or_refuse("user_id (in hearken.toml)", Some(me))?;
                let post = id_or_refuse("post to act on", target)?;
                let what = if matches!(action.kind, OutboundKind::Like) {
                    "likes"
                } else {
                    "retweets"
                };
                let answer = self
                    .call(
                        reqwest::Method::POST,
                        &format!("/2/users/{me}/{what}"),
                        Auth::User,
                        Some(&json!({ "tweet_id": post })),
                    )
                    .await?;
                Ok(Sent {
                    external_id: str_at(&answer, "/data/rest_id"),
                })
            }
            OutboundKind::Hide => {
                let post = id_or_refuse("reply to hide", target)?;
                self.call(
                    reqwest::Method::PUT,
                    &format!("/2/tweets/{post}/hidden"),
                    Auth::User,
                    Some(&json!({ "hidden": true })),
                )
                .await?;
                Ok(Sent::default())
            }
            OutboundKind::Typing => Err(SendError::Permanent(
                "X cannot show typing: the API has no typing indicator".into(),
            )),
            OutboundKind::Seen => Err(SendError::Permanent(
                "X cannot mark a message seen through the v2 API".into(),
            )),
        }
    }

    /// Post `text` in reply to `to`; a long text becomes a chain, each part replying to the
    /// previous one. Answers with the first part's id.
    async fn reply_chain(&self, to: &str, text: &str, key: &str) -> Result<Sent, SendError> {
        let parts = split_post(text);
        let (mut posted, retry) = match self.chain_state(key) {
            Some(c) => (c.posted, true),
            None => (Vec::new(), false),
        };
        self.save_chain(key, &posted);
        for part in parts.iter().skip(posted.len()) {
            let in_reply_to = posted.last().map(String::as_str).unwrap_or(to);
            let body = json!({ "text": part, "reply": { "in_reply_to_tweet_id": in_reply_to } });
            match self
                .call(reqwest::Method::POST, "/2/tweets", Auth::User, Some(&body))
                .await
            {
                Ok(answer) => match str_at(&answer, "/data/id") {
                    Some(id) => {
                        posted.push(id);
                        self.save_chain(key, &posted);
                    }
                    None => {
                        return Err(SendError::Permanent(format!(
                            "X answered a post without its id: {answer}"
                        )))
                    }
                },
                // The first attempt may have been posted before its answer was lost: X then
                // refuses the same text again, which means it is out there already.
                Err(SendError::Permanent(why))
                    if retry && parts.len() == 1 && why.to_lowercase().contains("duplicate") =>
                {
                    tracing::warn!(
                        key,
                        "X says the reply is a duplicate of the earlier attempt; taking it as sent"
                    );
                    self.forget_chain(key);
                    return Ok(Sent::default());
                }
                Err(e) => {
                    if matches!(e, SendError::Permanent(_) | SendError::Unauthorized(_)) {
                        self.forget_chain(key); // never retried
                    }
                    return Err(e);
                }
            }
        }
        self.forget_chain(key);
        Ok(Sent {
            external_id: posted.first().cloned(),
        })
    }

    fn chain_state(&self, key: &str) -> Option<Chain> {
        let chains = self.chains.lock().unwrap_or_else(|p| p.into_inner());
        chains.get(key).cloned()
    }

    fn save_chain(&self, key: &str, posted: &[String]) {
        let mut chains = self.chains.lock().unwrap_or_else(|p| p.into_inner());
        if chains.len() >= MAX_CHAINS && !chains.contains_key(key) {
            chains.clear();
        }
        chains.insert(
            key.to_string(),
            Chain {
                posted: posted.to_vec(),
            },
        );
    }

    fn forget_chain(&self, key: &str) {
        let mut chains = self.chains.lock().unwrap_or_else(|p| p.into_inner());
        chains.remove(key);
    }
}

fn str_at(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(Value::as_str).map(String::from)
}

/// X's 429: wait for the window's `x-rate-limit-reset`, or for the 24-hour user cap's reset
/// when that is the one exhausted (its window is much longer than the 15-minute one).
fn rate_limited(headers: &reqwest::header::HeaderMap, now_ms: i64) -> SendError {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    let (retry_after_ms, reason) = match (
        get("x-user-limit-24hour-remaining"),
        get("x-user-limit-24hour-reset"),
    ) {
        (Some(0), Some(reset)) => (
            (reset * 1000 - now_ms).max(1000),
            "X 24-hour user limit reached (429)",
        ),
        _ => (
            crate::channels::retry_after_from_headers(headers, now_ms),
            "X rate limit reached (429)",
        ),
    };
    SendError::RateLimited {
        retry_after_ms,
        reason: reason.into(),
    }
}
