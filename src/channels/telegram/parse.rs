//! Telegram inbound: one Bot API `Update` (the webhook body) into `InboundEvent`s. Pure: no
//! verification, no I/O, total on any input (the fuzz target calls it on arbitrary bytes).

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::TelegramSettings;
use crate::channels::{Author, InboundError, InboundEvent};
use crate::policy::Visibility;

/// Only the fields hearken reads; everything else in an update is ignored, so new Bot API
/// fields never break parsing.
#[derive(Deserialize)]
struct Update {
    update_id: i64,
    message: Option<Message>,
    edited_message: Option<Message>,
    channel_post: Option<Message>,
    callback_query: Option<CallbackQuery>,
}

#[derive(Deserialize)]
struct Message {
    message_id: i64,
    message_thread_id: Option<i64>,
    from: Option<User>,
    sender_chat: Option<Chat>,
    chat: Chat,
    #[serde(default)]
    is_automatic_forward: bool,
    /// Not a `Message`: its id is all the thread needs, and the type stays non-recursive.
    reply_to_message: Option<MessageRef>,
    text: Option<String>,
    caption: Option<String>,
    photo: Option<IgnoredAny>,
    sticker: Option<Sticker>,
    animation: Option<IgnoredAny>,
    document: Option<Document>,
    video: Option<IgnoredAny>,
    video_note: Option<IgnoredAny>,
    voice: Option<IgnoredAny>,
    audio: Option<IgnoredAny>,
    location: Option<IgnoredAny>,
    venue: Option<Venue>,
    contact: Option<IgnoredAny>,
    poll: Option<Poll>,
    dice: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct MessageRef {
    message_id: i64,
}

#[derive(Deserialize)]
struct User {
    id: i64,
    #[serde(default)]
    is_bot: bool,
    #[serde(default)]
    first_name: String,
    last_name: Option<String>,
    username: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
    #[serde(rename = "type", default)]
    kind: String,
    title: Option<String>,
    username: Option<String>,
}

#[derive(Deserialize)]
struct CallbackQuery {
    id: String,
    from: User,
    data: Option<String>,
}

#[derive(Deserialize)]
struct Sticker {
    emoji: Option<String>,
}

#[derive(Deserialize)]
struct Document {
    file_name: Option<String>,
}

#[derive(Deserialize)]
struct Venue {
    title: Option<String>,
}

#[derive(Deserialize)]
struct Poll {
    question: Option<String>,
}

/// The events in one webhook body: none for update types hearken does not handle
/// (`inline_query`, `my_chat_member`...), for bots (ours included) and for service messages.
pub fn parse_payload(
    settings: &TelegramSettings,
    body: &[u8],
) -> Result<Vec<InboundEvent>, InboundError> {
    let update: Update =
        serde_json::from_slice(body).map_err(|e| InboundError::Malformed(e.to_string()))?;
    let event_id = format!("update:{}", update.update_id);
    let event = if let Some(m) = &update.message {
        message_event(m, Kind::New)
    } else if let Some(m) = &update.edited_message {
        message_event(m, Kind::Edited)
    } else if let Some(m) = &update.channel_post {
        message_event(m, Kind::ChannelPost)
    } else if let Some(q) = &update.callback_query {
        callback_event(q)
    } else {
        None
    };
    Ok(event
        .map(|e| InboundEvent {
            channel: settings.name.clone(),
            event_id,
            visibility: e.visibility,
            thread_id: e.thread_id,
            message_id: e.message_id,
            author: e.author,
            text: e.text,
        })
        .into_iter()
        .collect())
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    New,
    Edited,
    ChannelPost,
}

/// An event before the channel and the update id are attached.
struct Parsed {
    visibility: Visibility,
    thread_id: String,
    message_id: String,
    author: Author,
    text: String,
}

fn message_event(m: &Message, kind: Kind) -> Option<Parsed> {
    if m.is_automatic_forward {
        return None; // a channel post mirrored into its discussion group: seen as channel_post
    }
    let author = match (&m.sender_chat, &m.from) {
        // An anonymous group admin writes as the group itself: the group's staff, not a customer.
        (Some(chat), _) if chat.id == m.chat.id && kind != Kind::ChannelPost => return None,
        // Sent on behalf of a channel (a channel post, or a user posting as their channel):
        // `from`, if present, is a placeholder bot.
        (Some(chat), _) => chat_author(chat),
        (None, Some(user)) if user.is_bot => return None,
        (None, Some(user)) => user_author(user),
        (None, None) if kind == Kind::ChannelPost => chat_author(&m.chat),
        (None, None) => return None,
    };
    let body = content(m)?;
    let text = if kind == Kind::Edited {
        format!("[edited] {body}")
    } else {
        body
    };
    let chat = m.chat.id;
    let private = kind != Kind::ChannelPost && m.chat.kind == "private";
    let thread_id = if private {
        chat.to_string()
    } else {
        // Forum topic (or a supergroup reply thread), else the message replied to, else a new
        // thread rooted at this message.
        let root = m
            .message_thread_id
            .or(m.reply_to_message.as_ref().map(|r| r.message_id))
            .unwrap_or(m.message_id);
        format!("{chat}:{root}")
    };
    Some(Parsed {
        visibility: if private {
            Visibility::Private
        } else {
            Visibility::Public
        },
        thread_id,
        message_id: format!("{chat}:{}", m.message_id),
        author,
        text,
    })
}

/// A button press in the private chat with the user: its data is what they "said". The
/// message id names the query, so a reply to it can answer the query (and stop the spinner).
fn callback_event(q: &CallbackQuery) -> Option<Parsed> {
    if q.from.is_bot {
        return None;
    }
    let text = q.data.as_deref().map(str::trim).filter(|d| !d.is_empty())?;
    let user = q.from.id;
    Some(Parsed {
        visibility: Visibility::Private,
        thread_id: user.to_string(),
        message_id: format!("cb:{user}:{}", q.id),
        author: user_author(&q.from),
        text: text.to_string(),
    })
}

fn user_author(u: &User) -> Author {
    let full = match &u.last_name {
        Some(last) if !last.trim().is_empty() => format!("{} {}", u.first_name.trim(), last.trim()),
        _ => u.first_name.trim().to_string(),
    };
    Author {
        handle: u.id.to_string(),
        name: display_name(&full, u.username.as_deref()),
    }
}

fn chat_author(c: &Chat) -> Author {
    Author {
        handle: c.id.to_string(),
        name: display_name(
            c.title.as_deref().unwrap_or_default().trim(),
            c.username.as_deref(),
        ),
    }
}

/// `Jane Doe (@jane)`, `Jane Doe`, `@jane`, or nothing.
fn display_name(full: &str, username: Option<&str>) -> Option<String> {
    let username = username.map(str::trim).filter(|u| !u.is_empty());
    match (full.is_empty(), username) {
        (false, Some(u)) => Some(format!("{full} (@{u})")),
        (false, None) => Some(full.to_string()),
        (true, Some(u)) => Some(format!("@{u}")),
        (true, None) => None,
    }
}

/// The text, or what the message carries when it has none (`[photo]`, `[sticker 😀]`), with
/// the caption after it. `None` for service messages (members joining, pins...).
fn content(m: &Message) -> Option<String> {
    let words = m
        .text
        .as_deref()
        .or(m.caption.as_deref())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match (media_label(m), words) {
        (Some(label), Some(w)) => Some(format!("{label} {w}")),
        (Some(label), None) => Some(label),
        (None, Some(w)) => Some(w.to_string()),
        (None, None) => None,
    }
}

fn media_label(m: &Message) -> Option<String> {
    let named = |kind: &str, detail: Option<&str>| match detail.map(str::trim) {
        Some(d) if !d.is_empty() => format!("[{kind} {d}]"),
        _ => format!("[{kind}]"),
    };
    Some(if m.photo.is_some() {
        "[photo]".into()
    } else if let Some(s) = &m.sticker {
        named("sticker", s.emoji.as_deref())
    } else if m.animation.is_some() {
        // Checked before `document`: an animation also carries one, for old clients.
        "[animation]".into()
    } else if let Some(d) = &m.document {
        named("document", d.file_name.as_deref())
    } else if m.video.is_some() {
        "[video]".into()
    } else if m.video_note.is_some() {
        "[video message]".into()
    } else if m.voice.is_some() {
        "[voice message]".into()
    } else if m.audio.is_some() {
        "[audio]".into()
    } else if let Some(v) = &m.venue {
        // Checked before `location`: a venue also carries one.
        named("venue", v.title.as_deref())
    } else if m.location.is_some() {
        "[location]".into()
    } else if m.contact.is_some() {
        "[contact]".into()
    } else if let Some(p) = &m.poll {
        named("poll", p.question.as_deref())
    } else if m.dice.is_some() {
        "[dice]".into()
    } else {
        return None;
    })
}
