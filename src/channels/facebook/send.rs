//! Graph API calls: what each outbound action becomes (comment reply, private reply, Send API
//! message, like, hide, typing), the Graph error table (token, rate limits, the Messenger
//! 24-hour window), and the authenticated request every call goes through.

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

use super::{FacebookChannel, FacebookSettings};
use crate::channels::webhook::hmac_sha256;
use crate::channels::{transport_error, Outbound, OutboundKind, SendError};
use crate::policy::Visibility;

/// Messenger's text limit (characters).
pub const MESSENGER_TEXT_MAX: usize = 2000;
/// A comment's text limit (characters).
pub const COMMENT_TEXT_MAX: usize = 8000;
/// Messenger shows at most 13 quick replies, each title at most 20 characters.
const QUICK_REPLIES_MAX: usize = 13;
const QUICK_REPLY_TITLE_MAX: usize = 20;
const QUICK_REPLY_PAYLOAD_MAX: usize = 1000;
/// Meta's codes for "too many calls" (app, user, page, custom, business use case limits).
const RATE_LIMIT_CODES: [i64; 4] = [4, 17, 32, 613];
/// When Meta says neither how long nor when: wait a minute.
const DEFAULT_RATE_LIMIT_MS: i64 = 60_000;

/// One Graph API request, before credentials are attached.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphCall {
    pub method: Method,
    /// From the version on: `/v25.0/<id>/comments`.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Value>,
}

impl GraphCall {
    fn post(path: String, body: Value) -> Self {
        Self {
            method: Method::POST,
            path,
            query: Vec::new(),
            body: Some(body),
        }
    }
}

/// Graph ids are digits, `_` (post and comment ids) and Messenger's `m_`/`mid.` forms; anything
/// else would change the request path.
pub fn object_id(id: &str) -> Result<&str, SendError> {
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '$'));
    if ok {
        Ok(id)
    } else {
        Err(SendError::Permanent(format!(
            "facebook: {id:?} is not a Graph object id"
        )))
    }
}

fn limit(text: &str, max: usize, what: &str) -> Result<(), SendError> {
    let n = text.chars().count();
    if n > max {
        return Err(SendError::Permanent(format!(
            "facebook cannot send a {what} of {n} characters (the limit is {max})"
        )));
    }
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// What `action` becomes. A Messenger conversation is the thread whose id is the person's
/// PSID (`thread_id == recipient`); any other thread is a Page post whose id is the thread.
pub fn plan(s: &FacebookSettings, action: &Outbound) -> Result<GraphCall, SendError> {
    let v = &s.graph_version;
    let messenger = action.thread_id == action.recipient;
    let target = action
        .target_message_id
        .as_deref()
        .filter(|t| !t.is_empty())
        .unwrap_or(&action.thread_id);
    let page = object_id(&s.page_id)?;
    let messages = format!("/{v}/{page}/messages");
    match &action.kind {
        OutboundKind::Reply {
            text,
            quick_replies,
            ..
        } if messenger => {
            limit(text, MESSENGER_TEXT_MAX, "Messenger text")?;
            let mut message = json!({ "text": text });
            if !quick_replies.is_empty() {
                let items: Vec<Value> = quick_replies
                    .iter()
                    .take(QUICK_REPLIES_MAX)
                    .map(|q| {
                        json!({
                            "content_type": "text",
                            "title": truncate(q, QUICK_REPLY_TITLE_MAX),
                            "payload": truncate(q, QUICK_REPLY_PAYLOAD_MAX),
                        })
                    })
                    .collect();
                message["quick_replies"] = Value::Array(items);
            }
            Ok(GraphCall::post(
                messages,
                json!({
                    "recipient": { "id": object_id(&action.recipient)? },
                    "messaging_type": "RESPONSE",
                    "message": message,
                }),
            ))
        }
        OutboundKind::Reply {
            visibility: Visibility::Public,
            text,
            ..
        } => {
            limit(text, COMMENT_TEXT_MAX, "comment")?;
            Ok(GraphCall::post(
                format!("/{v}/{}/comments", object_id(target)?),
                json!({ "message": text }),
            ))
        }
        OutboundKind::Reply {
            visibility: Visibility::Private,
            text,
            ..
        } => {
            // A private reply to the customer's comment (or visitor post): one message, within
            // 7 days; it opens a Messenger conversation once they answer.
            limit(text, MESSENGER_TEXT_MAX, "private reply")?;
            let key = if target == action.thread_id {
                "post_id"
            } else {
                "comment_id"
            };
            Ok(GraphCall::post(
                messages,
                json!({
                    "recipient": { key: object_id(target)? },
                    "message": { "text": text },
                }),
            ))
        }
        OutboundKind::Typing if messenger => Ok(GraphCall::post(
            messages,
            json!({
                "recipient": { "id": object_id(&action.recipient)? },
                "sender_action": "typing_on",
            }),
        )),
        OutboundKind::Typing => Err(SendError::Permanent(
            "facebook cannot show typing under a Page post".into(),
        )),
        OutboundKind::Seen if messenger => Ok(GraphCall::post(
            messages,
            json!({
                "recipient": { "id": object_id(&action.recipient)? },
                "sender_action": "mark_seen",
            }),
        )),
        OutboundKind::Seen => Err(SendError::Permanent(
            "facebook cannot mark a Page post seen".into(),
        )),
        OutboundKind::Like if messenger => Err(SendError::Permanent(
            "facebook cannot like a Messenger message".into(),
        )),
        OutboundKind::Like => Ok(GraphCall::post(
            format!("/{v}/{}/likes", object_id(target)?),
            json!({}),
        )),
        OutboundKind::Hide if messenger => Err(SendError::Permanent(
            "facebook cannot hide a Messenger message".into(),
        )),
        OutboundKind::Hide => Ok(GraphCall::post(
            format!("/{v}/{}", object_id(target)?),
            json!({ "is_hidden": true }),
        )),
        OutboundKind::Repost => Err(SendError::Permanent("facebook cannot repost".into())),
    }
}

/// `appsecret_proof`: lets the app require it (App Dashboard > Advanced) so a leaked token is
/// useless without the secret.
fn appsecret_proof(s: &FacebookSettings) -> String {
    hex::encode(hmac_sha256(
        s.app_secret.expose().as_bytes(),
        &[s.page_access_token.expose().as_bytes()],
    ))
}

/// Perform `call` with the Page token (`Authorization: Bearer`) and map the answer.
pub async fn graph(ch: &FacebookChannel, call: &GraphCall) -> Result<Value, SendError> {
    let s = &ch.settings;
    let url = format!("{}{}", s.api_base.trim_end_matches('/'), call.path);
    let mut req = ch
        .http
        .request(call.method.clone(), url)
        .bearer_auth(s.page_access_token.expose())
        .query(&[("appsecret_proof", appsecret_proof(s))])
        .query(&call.query);
    if let Some(body) = &call.body {
        req = req.json(body);
    }
    let resp = req.send().await.map_err(transport_error)?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    classify(status, &headers, &text)
}

/// The Graph error table: a body `{"error": {...}}` decides when present (Meta answers most
/// errors with 400), the HTTP status otherwise.
pub fn classify(status: u16, headers: &HeaderMap, body: &str) -> Result<Value, SendError> {
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    if let Some(err) = json.get("error").filter(|e| e.is_object()) {
        return Err(graph_error(status, headers, err));
    }
    let excerpt: String = body.chars().take(300).collect();
    match status {
        200..=299 => Ok(json),
        429 => Err(SendError::RateLimited {
            retry_after_ms: rate_limit_delay_ms(headers),
            reason: "facebook: 429 Too Many Requests".into(),
        }),
        401 => Err(SendError::Unauthorized(format!(
            "facebook: {status}: {excerpt}"
        ))),
        408 | 500..=599 => Err(SendError::Retryable(format!(
            "facebook: {status}: {excerpt}"
        ))),
        _ => Err(SendError::Permanent(format!(
            "facebook: {status}: {excerpt}"
        ))),
    }
}

fn graph_error(status: u16, headers: &HeaderMap, err: &Value) -> SendError {
    let code = err.get("code").and_then(Value::as_i64).unwrap_or(0);
    let sub = err
        .get("error_subcode")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let kind = err.get("type").and_then(Value::as_str).unwrap_or("");
    let message: String = err
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .chars()
        .take(300)
        .collect();
    let what = format!("facebook error {code}/{sub} ({kind}): {message}");
    let transient = err.get("is_transient").and_then(Value::as_bool) == Some(true);
    if code == 190 || status == 401 {
        return SendError::Unauthorized(what);
    }
    if RATE_LIMIT_CODES.contains(&code) || (80001..=80009).contains(&code) || status == 429 {
        return SendError::RateLimited {
            retry_after_ms: rate_limit_delay_ms(headers),
            reason: what,
        };
    }
    if code == 10 && sub == 2018278 {
        return SendError::Permanent(format!(
            "facebook: outside the Messenger 24-hour window (the customer last wrote more \
             than 24 hours ago; only they can reopen it): {what}"
        ));
    }
    if matches!(code, 1 | 2) || transient || status >= 500 {
        return SendError::Retryable(what);
    }
    SendError::Permanent(what)
}

/// How long Meta asks us to wait: the largest `estimated_time_to_regain_access` (minutes) in
/// `X-Business-Use-Case-Usage`, `X-App-Usage` or `X-Page-Usage`, else a minute.
pub fn rate_limit_delay_ms(headers: &HeaderMap) -> i64 {
    fn walk(v: &Value, depth: u8, best: &mut i64) {
        if depth > 4 {
            return;
        }
        match v {
            Value::Object(m) => {
                if let Some(n) = m
                    .get("estimated_time_to_regain_access")
                    .and_then(Value::as_i64)
                {
                    *best = (*best).max(n);
                }
                m.values().for_each(|x| walk(x, depth + 1, best));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, depth + 1, best)),
            _ => {}
        }
    }
    let mut minutes = 0;
    for name in ["x-business-use-case-usage", "x-app-usage", "x-page-usage"] {
        if let Some(v) = headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| serde_json::from_str::<Value>(h).ok())
        {
            walk(&v, 0, &mut minutes);
        }
    }
    if minutes > 0 {
        minutes.saturating_mul(60_000)
    } else {
        DEFAULT_RATE_LIMIT_MS
    }
}

/// The id the Graph created: a Send API `message_id`, a comment's `id`; likes and hides create
/// none.
pub fn created_id(json: &Value) -> Option<String> {
    ["message_id", "id"]
        .iter()
        .find_map(|k| json.get(*k).and_then(Value::as_str).map(String::from))
}
