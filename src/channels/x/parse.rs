//! Account Activity payloads (v1.1 Tweet, User and DM objects) into `InboundEvent`s. Pure: no
//! verification, no I/O; it never panics on any input (the fuzz target calls it directly).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::XSettings;
use crate::channels::{Author, InboundError, InboundEvent};
use crate::policy::Visibility;

/// An id X sends as a string (`"123"`) or, in older payloads, as a number.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Id {
    Str(String),
    Num(u64),
}

impl Id {
    fn into_string(self) -> String {
        match self {
            Self::Str(s) => s,
            Self::Num(n) => n.to_string(),
        }
    }
}

/// The keys of one delivery hearken reads; every other kind (follows, blocks, mutes, typing,
/// read receipts, deletions, app revocations) is acknowledged and dropped.
#[derive(Debug, Default, Deserialize)]
struct Delivery {
    for_user_id: Option<Id>,
    #[serde(default)]
    tweet_create_events: Vec<serde_json::Value>,
    #[serde(default)]
    direct_message_events: Vec<serde_json::Value>,
    /// DM deliveries name the people involved here, keyed by user id.
    #[serde(default)]
    users: BTreeMap<String, DmUser>,
}

#[derive(Debug, Deserialize)]
struct Tweet {
    id_str: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    full_text: Option<String>,
    #[serde(default)]
    extended_tweet: Option<ExtendedTweet>,
    #[serde(default)]
    in_reply_to_status_id_str: Option<String>,
    /// Not in the documented v1.1 object; read when X adds it, as the thread root.
    #[serde(default)]
    conversation_id_str: Option<String>,
    user: TweetUser,
    /// Present on a retweet: there is no customer text to answer.
    #[serde(default)]
    retweeted_status: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    entities: Option<Entities>,
    #[serde(default)]
    extended_entities: Option<Entities>,
}

#[derive(Debug, Deserialize)]
struct ExtendedTweet {
    #[serde(default)]
    full_text: Option<String>,
    #[serde(default)]
    entities: Option<Entities>,
    #[serde(default)]
    extended_entities: Option<Entities>,
}

#[derive(Debug, Deserialize)]
struct TweetUser {
    id_str: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    screen_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Entities {
    #[serde(default)]
    media: Vec<Media>,
}

#[derive(Debug, Deserialize)]
struct Media {
    /// The t.co link X puts in the text for this media.
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    media_url_https: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DmEvent {
    #[serde(rename = "type")]
    kind: String,
    id: Id,
    #[serde(default)]
    message_create: Option<MessageCreate>,
}

#[derive(Debug, Deserialize)]
struct MessageCreate {
    sender_id: Id,
    #[serde(default)]
    message_data: MessageData,
}

#[derive(Debug, Default, Deserialize)]
struct MessageData {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    attachment: Option<DmAttachment>,
}

#[derive(Debug, Deserialize)]
struct DmAttachment {
    #[serde(default)]
    media: Option<Media>,
}

#[derive(Debug, Default, Deserialize)]
struct DmUser {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    screen_name: Option<String>,
}

/// Parse one Account Activity delivery (already verified) into events: mentions and replies
/// (public), direct messages (private). Our own posts and DMs, retweets, likes, every other
/// activity kind, and deliveries for another account (`for_user_id` != `user_id`) give none.
pub fn parse_payload(settings: &XSettings, body: &[u8]) -> Result<Vec<InboundEvent>, InboundError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| InboundError::Malformed(e.to_string()))?;
    if !value.is_object() {
        return Err(InboundError::Malformed(
            "an Account Activity delivery is a JSON object".into(),
        ));
    }
    let delivery: Delivery = serde_json::from_value(value)
        .map_err(|e| InboundError::Malformed(format!("Account Activity delivery: {e}")))?;
    let for_user = delivery.for_user_id.clone().map(Id::into_string);
    if let Some(other) = for_user.as_deref().filter(|u| *u != settings.user_id) {
        // One app's webhook can carry several subscribed accounts: answering another account's
        // activity from this one would be wrong, so it is acknowledged and dropped.
        tracing::warn!(channel = %settings.name, for_user_id = other, user_id = %settings.user_id,
            "Account Activity delivery for another account ignored");
        return Ok(Vec::new());
    }
    let ours = |id: &str| id == settings.user_id;
    let mut events = Vec::new();
    for (i, raw) in delivery.tweet_create_events.iter().enumerate() {
        let tweet = Tweet::deserialize(raw)
            .map_err(|e| InboundError::Malformed(format!("tweet_create_events[{i}]: {e}")))?;
        if ours(&tweet.user.id_str) || tweet.retweeted_status.is_some() {
            continue;
        }
        events.push(tweet_event(settings, tweet));
    }
    for (i, raw) in delivery.direct_message_events.iter().enumerate() {
        let dm = DmEvent::deserialize(raw)
            .map_err(|e| InboundError::Malformed(format!("direct_message_events[{i}]: {e}")))?;
        let Some(create) = dm.message_create.filter(|_| dm.kind == "message_create") else {
            continue;
        };
        let sender = create.sender_id.into_string();
        if ours(&sender) {
            continue; // our own DM, echoed back to us
        }
        let user = delivery.users.get(&sender);
        let text = with_media(
            create.message_data.text.unwrap_or_default(),
            create.message_data.attachment.and_then(|a| a.media).iter(),
        );
        let id = dm.id.into_string();
        events.push(InboundEvent {
            channel: settings.name.clone(),
            event_id: id.clone(),
            visibility: Visibility::Private,
            // A one-to-one DM conversation is identified by the other participant.
            thread_id: sender.clone(),
            message_id: id,
            author: Author {
                name: user.and_then(|u| display_name(u.name.as_deref(), u.screen_name.as_deref())),
                handle: sender,
            },
            text,
        });
    }
    Ok(events)
}

fn tweet_event(settings: &XSettings, tweet: Tweet) -> InboundEvent {
    let (long_text, long_media) = match tweet.extended_tweet {
        Some(ext) => (
            ext.full_text,
            ext.extended_entities.or(ext.entities).map(|e| e.media),
        ),
        None => (None, None),
    };
    let text = long_text
        .or(tweet.full_text)
        .or(tweet.text)
        .unwrap_or_default();
    let media = long_media
        .or(tweet.extended_entities.map(|e| e.media))
        .or(tweet.entities.map(|e| e.media))
        .unwrap_or_default();
    let thread_id = tweet
        .conversation_id_str
        .or(tweet.in_reply_to_status_id_str)
        .unwrap_or_else(|| tweet.id_str.clone());
    InboundEvent {
        channel: settings.name.clone(),
        event_id: tweet.id_str.clone(),
        visibility: Visibility::Public,
        thread_id,
        message_id: tweet.id_str,
        author: Author {
            name: display_name(
                tweet.user.name.as_deref(),
                tweet.user.screen_name.as_deref(),
            ),
            handle: tweet.user.id_str,
        },
        text: with_media(unescape(&text), media.iter()),
    }
}

/// "Jane Doe (@jane)", "@jane" or "Jane Doe": X display names change, the @username is what
/// people recognise.
fn display_name(name: Option<&str>, screen_name: Option<&str>) -> Option<String> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let screen = screen_name.map(str::trim).filter(|s| !s.is_empty());
    match (name, screen) {
        (Some(n), Some(s)) => Some(format!("{n} ({})", at(s))),
        (None, Some(s)) => Some(at(s)),
        (Some(n), None) => Some(n.to_string()),
        (None, None) => None,
    }
}

fn at(screen_name: &str) -> String {
    format!("@{}", screen_name.trim_start_matches('@'))
}

/// v1.1 text escapes `&`, `<` and `>` as HTML entities; the engine wants what the person typed.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Replace each media's t.co link with what it is (`[image https://...]`), or append it when
/// the link is not in the text, so a photo-only post still reads as something.
fn with_media<'a>(mut text: String, media: impl Iterator<Item = &'a Media>) -> String {
    for m in media {
        let what = match m.kind.as_deref() {
            Some("photo") | None => "image",
            Some("animated_gif") => "gif",
            Some("video") => "video",
            Some(other) => other,
        };
        let label = match m.media_url_https.as_deref().filter(|u| !u.is_empty()) {
            Some(u) => format!("[{what} {u}]"),
            None => format!("[{what}]"),
        };
        match m
            .url
            .as_deref()
            .filter(|u| !u.is_empty() && text.contains(u))
        {
            Some(link) => text = text.replacen(link, &label, 1),
            None if text.trim().is_empty() => text = label,
            None => {
                text.push(' ');
                text.push_str(&label);
            }
        }
    }
    let text = text.trim();
    if text.is_empty() {
        "[empty message]".to_string()
    } else {
        text.to_string()
    }
}
