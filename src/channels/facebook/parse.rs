//! Turns a verified `page` webhook body (Page feed `changes`, `mention` changes and Messenger
//! `messaging` items, several entries each) into inbound events. Pure and panic-free: fuzzed.

use serde_json::Value;

use super::FacebookSettings;
use crate::channels::{Author, InboundError, InboundEvent};
use crate::policy::Visibility;

/// Parse a `page` webhook body (not verified here) into the events it carries. Anything that
/// is not a customer's new post, comment, mention, message or postback (edits, removals,
/// reactions, delivery and read receipts, echoes, our own posts) yields no event.
pub fn parse_payload(
    settings: &FacebookSettings,
    body: &[u8],
) -> Result<Vec<InboundEvent>, InboundError> {
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| InboundError::Malformed(format!("not JSON: {e}")))?;
    let Some(obj) = root.as_object() else {
        return Err(InboundError::Malformed(
            "the body is not a JSON object".into(),
        ));
    };
    let Some(entries) = obj.get("entry").and_then(Value::as_array) else {
        return Err(InboundError::Malformed("no `entry` array".into()));
    };
    if obj.get("object").and_then(Value::as_str) != Some("page") {
        // Another object's notification (user, instagram...) sent to this URL: nothing for a
        // Page channel, and a 4xx would only make Meta retry it.
        tracing::debug!(channel = %settings.name, "non-page webhook object ignored");
        return Ok(Vec::new());
    }
    let p = Parser { settings };
    let mut events = Vec::new();
    for entry in entries {
        p.entry(entry, &mut events);
    }
    Ok(events)
}

struct Parser<'a> {
    settings: &'a FacebookSettings,
}

/// A string field, or a number written as one (Meta sends ids as strings, times as either).
fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn field(v: &Value, name: &str) -> Option<String> {
    text_of(v.get(name))
}

impl Parser<'_> {
    fn page_id(&self) -> &str {
        &self.settings.page_id
    }

    fn event(
        &self,
        event_id: String,
        visibility: Visibility,
        thread_id: String,
        message_id: String,
        author: Author,
        text: String,
    ) -> InboundEvent {
        InboundEvent {
            channel: self.settings.name.clone(),
            event_id,
            visibility,
            thread_id,
            message_id,
            author,
            text,
        }
    }

    fn entry(&self, entry: &Value, out: &mut Vec<InboundEvent>) {
        if let Some(id) = field(entry, "id") {
            if id != self.page_id() {
                // The app's one callback URL also receives other Pages' events; their replies
                // would need another Page's token.
                tracing::warn!(channel = %self.settings.name, entry_page = %id,
                    "webhook entry for another Page ignored (one channel per Page)");
                return;
            }
        }
        if self.settings.feed {
            for change in entry
                .get("changes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let value = change.get("value").unwrap_or(&Value::Null);
                let e = match change.get("field").and_then(Value::as_str) {
                    Some("feed") => self.feed(value),
                    Some("mention") => self.mention(value),
                    _ => None,
                };
                out.extend(e);
            }
        }
        if self.settings.messenger {
            for item in entry
                .get("messaging")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.extend(self.messaging(item));
            }
        }
    }

    /// A `feed` change: a new comment or visitor post. Edits, removals, hides, likes and
    /// reactions carry other verbs or items.
    fn feed(&self, v: &Value) -> Option<InboundEvent> {
        if v.get("verb").and_then(Value::as_str) != Some("add") {
            return None;
        }
        let from = v.get("from").unwrap_or(&Value::Null);
        let from_id = field(from, "id");
        if from_id.as_deref() == Some(self.page_id()) {
            return None;
        }
        let item = v.get("item").and_then(Value::as_str)?;
        let post_id = field(v, "post_id")?;
        let object_id = match item {
            "comment" => field(v, "comment_id")?,
            "post" | "status" | "photo" | "video" | "share" => post_id.clone(),
            _ => return None,
        };
        let author = Author {
            // Without `from` (the app lacks pages_read_user_content) the author is unknown:
            // one anonymous contact per object, never one shared by every stranger.
            handle: from_id.unwrap_or_else(|| format!("anonymous:{object_id}")),
            name: field(from, "name"),
        };
        let text = feed_text(v, item);
        Some(self.event(
            object_id.clone(),
            Visibility::Public,
            post_id,
            object_id,
            author,
            text,
        ))
    }

    /// A `mention` change: the Page was tagged in a post or comment elsewhere.
    fn mention(&self, v: &Value) -> Option<InboundEvent> {
        if v.get("verb").and_then(Value::as_str) != Some("add") {
            return None;
        }
        let sender = field(v, "sender_id");
        if sender.as_deref() == Some(self.page_id()) {
            return None;
        }
        let post_id = field(v, "post_id")?;
        let object_id = match v.get("item").and_then(Value::as_str) {
            Some("comment") => field(v, "comment_id")?,
            _ => post_id.clone(),
        };
        let author = Author {
            handle: sender.unwrap_or_else(|| format!("anonymous:{object_id}")),
            name: field(v, "sender_name"),
        };
        let text = field(v, "message").unwrap_or_else(|| "[mention]".into());
        Some(self.event(
            object_id.clone(),
            Visibility::Public,
            post_id,
            object_id,
            author,
            text,
        ))
    }

    /// One Messenger `messaging` item: a message or a postback from a person. Echoes of our
    /// own messages, delivery and read receipts, reactions, opt-ins and referrals are not.
    fn messaging(&self, item: &Value) -> Option<InboundEvent> {
        let sender = item.get("sender").unwrap_or(&Value::Null);
        let psid = field(sender, "id").or_else(|| field(sender, "user_ref"))?;
        if psid == self.page_id() {
            return None;
        }
        let author = Author {
            handle: psid.clone(),
            name: None,
        };
        if let Some(m) = item.get("message").filter(|m| m.is_object()) {
            if m.get("is_echo").and_then(Value::as_bool) == Some(true) {
                return None;
            }
            let mid = field(m, "mid")?;
            let text = message_text(m);
            return Some(self.event(mid.clone(), Visibility::Private, psid, mid, author, text));
        }
        if let Some(pb) = item.get("postback").filter(|p| p.is_object()) {
            let id = field(pb, "mid").unwrap_or_else(|| {
                let ts = field(item, "timestamp").unwrap_or_default();
                format!("postback:{psid}:{ts}")
            });
            let text = field(pb, "title")
                .or_else(|| field(pb, "payload"))
                .unwrap_or_else(|| "[postback]".into());
            return Some(self.event(id.clone(), Visibility::Private, psid, id, author, text));
        }
        None
    }
}

/// The words of a comment or post, with what it carries (`[photo <url>]`) so nothing is lost.
fn feed_text(v: &Value, item: &str) -> String {
    let mut parts: Vec<String> = field(v, "message").into_iter().collect();
    if let Some(url) = field(v, "photo") {
        parts.push(format!("[photo {url}]"));
    }
    for url in v
        .get("photos")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(url) = url.as_str() {
            parts.push(format!("[photo {url}]"));
        }
    }
    if let Some(url) = field(v, "video") {
        parts.push(format!("[video {url}]"));
    }
    if let Some(url) = field(v, "link") {
        let kind = if item == "photo" { "photo" } else { "link" };
        parts.push(format!("[{kind} {url}]"));
    }
    if parts.is_empty() {
        return format!("[{item}]");
    }
    parts.join(" ")
}

/// A Messenger message's text, its attachments as `[image <url>]`, or the quick-reply payload
/// when the person tapped a button without text.
fn message_text(m: &Value) -> String {
    let mut parts: Vec<String> = field(m, "text").into_iter().collect();
    if parts.is_empty() {
        if let Some(p) = m.get("quick_reply").and_then(|q| field(q, "payload")) {
            parts.push(p);
        }
    }
    for a in m
        .get("attachments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        parts.push(attachment_text(a));
    }
    if parts.is_empty() {
        return "[message]".into();
    }
    parts.join(" ")
}

fn attachment_text(a: &Value) -> String {
    let payload = a.get("payload").unwrap_or(&Value::Null);
    let mut kind = field(a, "type").unwrap_or_else(|| "attachment".into());
    if payload.get("sticker_id").is_some() {
        kind = "sticker".into();
    }
    if kind == "location" {
        if let Some(c) = payload.get("coordinates") {
            if let (Some(lat), Some(long)) = (field(c, "lat"), field(c, "long")) {
                return format!("[location {lat},{long}]");
            }
        }
    }
    match field(payload, "url") {
        Some(url) => format!("[{kind} {url}]"),
        None => format!("[{kind}]"),
    }
}
