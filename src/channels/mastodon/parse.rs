//! Mastodon payloads -> `InboundEvent`s: the entities hearken reads (Notification, Status,
//! Account), status HTML to plain text, and the pure parser for a notifications page
//! (`parse_payload`). No I/O here.

use std::cmp::Ordering;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::MastodonSettings;
use crate::channels::{Author, InboundError, InboundEvent};
use crate::policy::Visibility;

/// Mastodon ids are strings "cast from an integer"; other servers may send numbers.
fn id_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error;
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(D::Error::custom("an id is a string")),
    }
}

fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Account {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    #[serde(default)]
    pub username: Option<String>,
    /// `user` for accounts of our instance, `user@domain` for remote ones.
    #[serde(default)]
    pub acct: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Media {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    #[serde(default, deserialize_with = "opt_id")]
    pub in_reply_to_id: Option<String>,
    /// `public`, `unlisted`, `private` (followers only) or `direct`.
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub spoiler_text: Option<String>,
    #[serde(default)]
    pub account: Option<Account>,
    #[serde(default)]
    pub media_attachments: Option<Vec<Media>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Notification {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub account: Option<Account>,
    #[serde(default)]
    pub status: Option<Status>,
}

/// Our own account (from `verify_credentials`): its posts are skipped and its leading
/// @mentions dropped from the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Me {
    pub id: String,
    pub username: String,
    /// Hosts our account may be written with (`@user@host`): the account URL's host and the
    /// instance's.
    pub hosts: Vec<String>,
}

impl Me {
    pub fn from_account(a: &Account, api_base: &str) -> Self {
        let hosts = [a.url.as_deref(), Some(api_base)]
            .into_iter()
            .flatten()
            .filter_map(host_of)
            .collect();
        Self {
            id: a.id.clone(),
            username: a.username.clone().unwrap_or_default(),
            hosts,
        }
    }

    /// Is `token` (`@user`, `@user@host`, maybe with trailing punctuation) us?
    fn is(&self, token: &str) -> bool {
        let t = token
            .trim_start_matches('@')
            .trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_')
            .to_lowercase();
        let (user, host) = match t.split_once('@') {
            Some((u, h)) => (u, Some(h)),
            None => (t.as_str(), None),
        };
        !self.username.is_empty()
            && user == self.username.to_lowercase()
            && host.is_none_or(|h| self.hosts.iter().any(|x| x.eq_ignore_ascii_case(h)))
    }
}

fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', ':', '?', '#']).next()?;
    (!host.is_empty()).then(|| host.to_lowercase())
}

/// Order of Mastodon ids: numeric strings compare by length, then lexically (no parsing, so
/// ids beyond u64 or with other characters still order totally).
pub fn id_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// "Jane Doe (@jane@example.social)"; "@jane@example.social" when there is no display name.
pub fn author_name(a: &Account) -> Option<String> {
    let display = a.display_name.as_deref().map(str::trim).unwrap_or("");
    let acct = a
        .acct
        .as_deref()
        .or(a.username.as_deref())
        .map(str::trim)
        .unwrap_or("");
    match (display.is_empty(), acct.is_empty()) {
        (false, false) => Some(format!("{display} (@{acct})")),
        (true, false) => Some(format!("@{acct}")),
        (false, true) => Some(display.to_string()),
        (true, true) => None,
    }
}

/// The customer's words: status HTML as plain text, our leading @mention(s) removed, a content
/// warning kept in front, attachments listed (`[image] <url>`) so that a photo is not lost.
pub fn status_text(s: &Status, me: Option<&Me>) -> String {
    let body = html_to_text(s.content.as_deref().unwrap_or(""));
    let mut text = match me {
        Some(me) => strip_leading_mentions(&body, me),
        None => body,
    };
    if let Some(cw) = s
        .spoiler_text
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        text = if text.is_empty() {
            format!("[CW: {cw}]")
        } else {
            format!("[CW: {cw}] {text}")
        };
    }
    for m in s.media_attachments.iter().flatten() {
        let kind = m
            .kind
            .as_deref()
            .filter(|k| !k.is_empty())
            .unwrap_or("attachment");
        let mut line = match m
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            Some(d) => format!("[{kind}: {d}]"),
            None => format!("[{kind}]"),
        };
        if let Some(url) = m.url.as_deref().filter(|u| !u.is_empty()) {
            line.push(' ');
            line.push_str(url);
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&line);
    }
    if text.is_empty() {
        text.push_str("[empty mention]");
    }
    text
}

/// Drop our own @mentions from the run of mentions the text starts with ("@acme @bob hi" ->
/// "@bob hi"); mentions later in the text are words like any other.
fn strip_leading_mentions(text: &str, me: &Me) -> String {
    let mut rest = text.trim_start();
    let mut kept: Vec<&str> = Vec::new();
    while rest.starts_with('@') {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (token, after) = rest.split_at(end);
        if !me.is(token) {
            kept.push(token);
        }
        rest = after.trim_start();
    }
    kept.push(rest);
    kept.retain(|s| !s.is_empty());
    kept.join(" ")
}

/// Status HTML (Mastodon's small subset: p, br, a, span) to text: tags dropped, entities
/// decoded, `<br>` a newline, paragraphs separated by a blank line. Never panics.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    // Once no '>' is left, every later '<' is text: do not search again (linear time).
    let mut unclosed = false;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => match (!unclosed).then(|| rest.find('>')).flatten() {
                Some(end) => {
                    let tag = rest.get(1..end).unwrap_or("");
                    let closing = tag.starts_with('/');
                    let name: String = tag
                        .trim_start_matches('/')
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect::<String>()
                        .to_ascii_lowercase();
                    match (name.as_str(), closing) {
                        ("br", _) => out.push('\n'),
                        ("p" | "div" | "blockquote" | "pre" | "ul" | "ol", true) => {
                            out.push_str("\n\n")
                        }
                        ("li", true) => out.push('\n'),
                        _ => {}
                    }
                    rest = rest.get(end + 1..).unwrap_or("");
                }
                None => {
                    unclosed = true;
                    out.push('<');
                    rest = rest.get(1..).unwrap_or("");
                }
            },
            '&' => {
                let (decoded, used) = entity(rest);
                out.push_str(&decoded);
                rest = rest.get(used..).unwrap_or("");
            }
            '\n' | '\r' | '\t' => {
                out.push(' ');
                rest = rest.get(1..).unwrap_or("");
            }
            c => {
                out.push(c);
                rest = rest.get(c.len_utf8()..).unwrap_or("");
            }
        }
    }
    tidy(&out)
}

/// Decode the entity at the start of `s` (which starts with '&'): the text and the bytes used.
fn entity(s: &str) -> (String, usize) {
    let Some((semi, _)) = s.char_indices().take(12).find(|(_, c)| *c == ';') else {
        return ("&".into(), 1);
    };
    let name = s.get(1..semi).unwrap_or("");
    let ch = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => name.strip_prefix('#').and_then(|n| {
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => n.parse::<u32>().ok(),
            };
            code.and_then(char::from_u32)
        }),
    };
    match ch {
        Some(c) => (c.to_string(), semi + 1),
        None => ("&".into(), 1),
    }
}

/// Trailing spaces off each line, at most one blank line in a row, no blank ends.
fn tidy(s: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for line in s.split('\n').map(str::trim_end) {
        if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n").trim_start().to_string()
}

/// One mention notification as an event; `None` for other notification types, statuses
/// without an author, and our own posts. The thread is the status replied to (or the status
/// itself); the poller replaces it with the thread's root when it can find it.
pub fn mention_event(channel: &str, n: &Notification, me: Option<&Me>) -> Option<InboundEvent> {
    if n.kind != "mention" {
        return None;
    }
    let status = n.status.as_ref()?;
    let author = status.account.as_ref().or(n.account.as_ref())?;
    if author.id.is_empty() || status.id.is_empty() || n.id.is_empty() {
        return None;
    }
    if me.is_some_and(|me| me.id == author.id) {
        return None;
    }
    let visibility = if status.visibility.as_deref() == Some("direct") {
        Visibility::Private
    } else {
        Visibility::Public
    };
    Some(InboundEvent {
        channel: channel.to_string(),
        event_id: n.id.clone(),
        visibility,
        thread_id: status
            .in_reply_to_id
            .clone()
            .unwrap_or_else(|| status.id.clone()),
        message_id: status.id.clone(),
        author: Author {
            handle: author.id.clone(),
            name: author_name(author),
        },
        text: status_text(status, me),
    })
}

/// The notifications in a page (`GET /api/v1/notifications`: an array) or a single one;
/// unreadable entries are skipped, not fatal.
pub fn notifications(body: &[u8]) -> Result<Vec<Notification>, InboundError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| InboundError::Malformed(e.to_string()))?;
    notifications_from_value(v)
}

/// As [`notifications`], from parsed JSON.
pub fn notifications_from_value(v: Value) -> Result<Vec<Notification>, InboundError> {
    let items = match v {
        Value::Array(items) => items,
        v @ Value::Object(_) => vec![v],
        _ => {
            return Err(InboundError::Malformed(
                "expected a notification or an array of them".into(),
            ))
        }
    };
    Ok(items
        .into_iter()
        .filter_map(|i| serde_json::from_value(i).ok())
        .collect())
}

/// Pure parser (fuzzing, tools): a notifications page or one notification -> events, without
/// knowing our own account (so nothing is skipped as ours and mentions stay in the text).
pub fn parse_payload(
    settings: &MastodonSettings,
    body: &[u8],
) -> Result<Vec<InboundEvent>, InboundError> {
    Ok(notifications(body)?
        .iter()
        .filter_map(|n| mention_event(&settings.name, n, None))
        .collect())
}
