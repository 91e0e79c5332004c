//! Slack Events API payloads -> `InboundEvent`s: which events count (mentions, DMs, channel
//! messages), which are skipped (bots, ourselves, edits, deletions, joins), the ids, and the
//! text with Slack's markup made readable. No verification here: the caller has done it.

use serde::Deserialize;
use serde_json::Value;

use super::SlackSettings;
use crate::channels::{Author, InboundError, InboundEvent};
use crate::policy::Visibility;

/// What a verified request carried.
#[derive(Debug)]
pub(super) enum Parsed {
    /// `url_verification`: answer with this value.
    Challenge(String),
    Events(Vec<InboundEvent>),
}

/// The outer Events API wrapper (only what hearken reads).
#[derive(Deserialize)]
struct Wrapper {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    challenge: Option<String>,
    #[serde(default)]
    event: Option<Value>,
    #[serde(default)]
    authorizations: Option<Value>,
}

/// A `message` or `app_mention` event. Lenient: anything else in it is ignored.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Message {
    #[serde(rename = "type")]
    kind: String,
    subtype: Option<String>,
    user: Option<String>,
    bot_id: Option<String>,
    text: Option<String>,
    ts: Option<String>,
    thread_ts: Option<String>,
    channel: Option<String>,
    channel_type: Option<String>,
    hidden: bool,
    files: Vec<File>,
    attachments: Vec<Attachment>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct File {
    name: Option<String>,
    mimetype: Option<String>,
    permalink: Option<String>,
    url_private: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Attachment {
    fallback: Option<String>,
}

/// Subtypes that are still a person writing; every other subtype (bot_message,
/// message_changed, message_deleted, message_replied, channel_join, ...) is skipped.
const PERSON_SUBTYPES: [&str; 3] = ["file_share", "thread_broadcast", "me_message"];

/// Parse a request body without verifying it (for fuzzing and tests). Our own messages are
/// recognised by `settings.bot_user_id` and by bot authorizations in the payload.
pub fn parse_payload(
    settings: &SlackSettings,
    body: &[u8],
) -> Result<Vec<InboundEvent>, InboundError> {
    match parse(settings, settings.bot_user_id.as_deref(), body)? {
        Parsed::Challenge(_) => Ok(Vec::new()),
        Parsed::Events(events) => Ok(events),
    }
}

pub(super) fn parse(
    settings: &SlackSettings,
    own_user: Option<&str>,
    body: &[u8],
) -> Result<Parsed, InboundError> {
    let w: Wrapper =
        serde_json::from_slice(body).map_err(|e| InboundError::Malformed(e.to_string()))?;
    match w.kind.as_str() {
        "url_verification" => match w.challenge {
            Some(c) if !c.is_empty() => Ok(Parsed::Challenge(c)),
            _ => Err(InboundError::Malformed(
                "url_verification without a challenge".into(),
            )),
        },
        "event_callback" => {
            let event = w
                .event
                .ok_or_else(|| InboundError::Malformed("event_callback without an event".into()))?;
            let mut own: Vec<&str> = own_user.into_iter().collect();
            own.extend(bot_authorizations(w.authorizations.as_ref()));
            Ok(Parsed::Events(
                to_event(settings, event, &own).into_iter().collect(),
            ))
        }
        // app_rate_limited and anything newer: acknowledged, nothing to store.
        other => {
            tracing::debug!(kind = other, "slack request ignored");
            Ok(Parsed::Events(Vec::new()))
        }
    }
}

/// User ids of the bots this event was delivered for (that is: us).
fn bot_authorizations(auths: Option<&Value>) -> Vec<&str> {
    auths
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter(|a| a.get("is_bot").and_then(Value::as_bool) == Some(true))
                .filter_map(|a| a.get("user_id").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn to_event(settings: &SlackSettings, event: Value, own: &[&str]) -> Option<InboundEvent> {
    let m: Message = match serde_json::from_value(event) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "slack event with unexpected field types ignored");
            return None;
        }
    };
    let visibility = match (m.kind.as_str(), m.channel_type.as_deref()) {
        ("app_mention", _) => Visibility::Public,
        ("message", Some("im")) => Visibility::Private,
        ("message", Some("channel" | "group")) => Visibility::Public,
        _ => return None,
    };
    if m.hidden || m.bot_id.is_some() {
        return None;
    }
    if m.subtype
        .as_deref()
        .is_some_and(|s| !PERSON_SUBTYPES.contains(&s))
    {
        return None;
    }
    let user = non_empty(m.user)?;
    if own.contains(&user.as_str()) {
        return None;
    }
    // Ids are joined with ':' and split on the first one when sending.
    let channel = non_empty(m.channel).filter(|c| !c.contains(':'))?;
    let ts = non_empty(m.ts)?;
    let root = non_empty(m.thread_ts).unwrap_or_else(|| ts.clone());
    let message_id = format!("{channel}:{ts}");
    Some(InboundEvent {
        channel: settings.name.clone(),
        // The message's identity, not Slack's event_id: one message arrives as app_mention
        // AND message.channels (two event_ids), and must be one inbox row.
        event_id: message_id.clone(),
        visibility,
        thread_id: format!("{channel}:{root}"),
        message_id,
        // Events carry only the user id; a display name would need users.info per message.
        author: Author {
            handle: user,
            name: None,
        },
        text: describe(m.text.as_deref().unwrap_or(""), &m.files, &m.attachments),
    })
}

/// The readable text, plus a line per attached file, so that a photo is not lost.
fn describe(text: &str, files: &[File], attachments: &[Attachment]) -> String {
    let mut lines: Vec<String> = Vec::new();
    let text = plain_text(text);
    if !text.trim().is_empty() {
        lines.push(text);
    }
    for f in files {
        let mime = f.mimetype.as_deref().unwrap_or("");
        let tag = match mime.split('/').next().unwrap_or("") {
            "image" => "[image]".to_string(),
            "video" => "[video]".to_string(),
            "audio" => "[audio]".to_string(),
            _ => match f.name.as_deref().filter(|n| !n.is_empty()) {
                Some(name) => format!("[file: {name}]"),
                None => "[file]".to_string(),
            },
        };
        match f.permalink.as_deref().or(f.url_private.as_deref()) {
            Some(url) if !url.is_empty() => lines.push(format!("{tag} {url}")),
            _ => lines.push(tag),
        }
    }
    if lines.is_empty() {
        let fallback = attachments.iter().find_map(|a| a.fallback.as_deref());
        lines.push(match fallback {
            Some(f) if !f.trim().is_empty() => format!("[attachment] {}", plain_text(f)),
            _ if !attachments.is_empty() => "[attachment]".to_string(),
            _ => "[empty message]".to_string(),
        });
    }
    lines.join("\n")
}

/// Slack's `mrkdwn` markup made readable: `<@U1>` -> `@U1`, `<#C1|general>` -> `#general`,
/// `<!here>` -> `@here`, `<https://x|label>` -> `label (https://x)`, and `&lt; &gt; &amp;`
/// unescaped (the only entities Slack escapes).
pub(super) fn plain_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('<') {
        out.push_str(&unescape(&rest[..open]));
        let after = &rest[open + 1..];
        match after.find('>') {
            Some(close) => {
                out.push_str(&token(&after[..close]));
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&unescape(&rest[open..]));
                rest = "";
            }
        }
    }
    out.push_str(&unescape(rest));
    out
}

/// One `<...>` token's readable form.
fn token(inner: &str) -> String {
    let (target, label) = match inner.split_once('|') {
        Some((t, l)) if !l.is_empty() => (t, Some(unescape(l))),
        Some((t, _)) => (t, None),
        None => (inner, None),
    };
    if let Some(id) = target.strip_prefix('@') {
        return label.map_or_else(
            || format!("@{id}"),
            |l| format!("@{}", l.trim_start_matches('@')),
        );
    }
    if let Some(id) = target.strip_prefix('#') {
        return label.map_or_else(|| format!("#{id}"), |l| format!("#{l}"));
    }
    if let Some(special) = target.strip_prefix('!') {
        // <!here>, <!channel>, <!subteam^ID|@team>, <!date^...|fallback>
        return label
            .unwrap_or_else(|| format!("@{}", special.split('^').next().unwrap_or(special)));
    }
    let url = unescape(target);
    match label {
        Some(l) if l != url && format!("mailto:{l}") != url => format!("{l} ({url})"),
        Some(l) => l,
        None => url,
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
