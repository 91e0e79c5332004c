//! What the conversation page shows, built from the store: the contact's transcript across
//! every conversation (messages, the bot's reading and decisions, owner changes, replies still
//! in the outbox), the routing state, and the responses the matching intents suggest.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::super::layout::{ago, when};
use super::super::queue::priority_name;
use crate::engine::Brain;
use crate::routing::Place;
use crate::store::contacts::Contact;
use crate::store::conversations::{Conversation, DecisionRow, Message, Transition};
use crate::store::outbox::OutboxRow;
use crate::store::routing::RoutedRow;

/// One line of the transcript.
pub enum Entry {
    /// The transcript moves to another conversation (another channel or thread).
    Divider(Divider),
    Message(MessageView),
    Decision(DecisionView),
    Transition(TransitionView),
    /// An action still in the outbox (or a reaction, which never becomes a message).
    Pending(PendingView),
}

pub struct Divider {
    pub conversation_id: i64,
    pub channel: String,
    pub visibility: String,
    pub began: String,
    pub owner: String,
    /// This is the conversation the page is about.
    pub current: bool,
}

/// The bot's reading of a customer message (`messages.analysis`).
pub struct Reading {
    pub intent: String,
    pub confidence: String,
    pub verdict: String,
    pub out_of_scope: bool,
    pub sentiment: Option<String>,
    pub sentiment_score: Option<String>,
    /// "complaint 0.83" when the message reads as a complaint (at or above `[policy] complaint`,
    /// the threshold the bot acted on), else None.
    pub complaint: Option<String>,
    /// The complaint probability to two places, shown in the details.
    pub complaint_score: Option<String>,
    pub reason: String,
}

pub struct MessageView {
    pub id: i64,
    /// `in`, `out` (the bot) or `out agent`.
    pub class: &'static str,
    pub author: String,
    pub visibility: String,
    pub text: String,
    pub when: String,
    pub reading: Option<Reading>,
    /// A customer message of this (public) conversation: like and repost apply to it.
    pub reactable: bool,
}

pub struct DecisionView {
    pub kind: String,
    pub reason: String,
    pub when: String,
}

pub struct TransitionView {
    pub from: String,
    pub to: String,
    pub actor: String,
    pub reason: String,
    pub when: String,
}

pub struct PendingView {
    pub outbox_id: i64,
    /// `pending` (waiting or retrying), `failed` (dead) or `sent` (a reaction that went out).
    pub class: &'static str,
    pub kind: String,
    pub visibility: String,
    pub author: String,
    pub agent: bool,
    pub text: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt: Option<String>,
    pub last_error: Option<String>,
    pub dead: bool,
    pub queued: String,
}

/// Where the conversation is in routing.
pub struct RoutingView {
    pub state: &'static str,
    pub agent: Option<String>,
    pub offered_to_me: bool,
    pub expires_in: Option<i64>,
    pub target: String,
    pub priority: &'static str,
    pub reason: String,
    /// The reason in words (the full one is on hover).
    pub why: String,
    pub cause: String,
    pub waited: String,
    pub sla_raised: bool,
    pub not_before: Option<String>,
}

pub fn routing(row: &RoutedRow, me: i64, agents: &BTreeMap<i64, String>, now: i64) -> RoutingView {
    let item = &row.placed.item;
    let holder = row.placed.place.agent_id();
    RoutingView {
        state: row.placed.place.state(),
        agent: holder.map(|id| {
            agents
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("agent {id}"))
        }),
        offered_to_me: matches!(row.placed.place, Place::Offered { agent_id, .. } if agent_id == me),
        expires_in: match row.placed.place {
            Place::Offered { expires_at_ms, .. } => Some(((expires_at_ms - now) / 1000).max(0)),
            _ => None,
        },
        target: item
            .group
            .clone()
            .map_or_else(|| format!("skill {}", item.skill), |g| format!("group {g}")),
        priority: priority_name(item.priority),
        reason: item.reason.clone(),
        why: super::super::queue::why_in_words(
            &row.cause,
            &item.reason,
            item.priority,
            &item.skill,
        ),
        cause: row.cause.clone(),
        waited: ago(now - row.escalated_at),
        sla_raised: item.sla_raised,
        not_before: item.not_before_ms.filter(|t| *t > now).map(when),
    }
}

/// The bot's reading of one customer message, from its stored analysis; `complaint_at` is the
/// policy's complaint threshold, so the mark agrees with what the bot did.
pub fn reading(analysis: &Value, complaint_at: f32) -> Option<Reading> {
    let intent = analysis.get("intent")?;
    let sentiment = analysis.get("sentiment").filter(|s| !s.is_null());
    let label = sentiment
        .and_then(|s| s["label"].as_str())
        .map(String::from);
    let score = match (sentiment, &label) {
        (Some(s), Some(l)) => s["scores"][l.as_str()].as_f64().map(|v| format!("{v:.2}")),
        _ => None,
    };
    let complaint = analysis.get("complaint").and_then(Value::as_f64);
    Some(Reading {
        intent: intent["name"].as_str().unwrap_or_default().to_string(),
        confidence: format!("{:.2}", intent["confidence"].as_f64().unwrap_or_default()),
        verdict: intent["verdict"]
            .as_str()
            .unwrap_or_default()
            .replace('_', " "),
        out_of_scope: analysis["out_of_scope"].as_bool().unwrap_or(false),
        sentiment: label,
        sentiment_score: score,
        complaint: complaint
            .filter(|c| *c >= f64::from(complaint_at))
            .map(|c| format!("{c:.2}")),
        complaint_score: complaint.map(|c| format!("{c:.2}")),
        reason: intent["reason"].as_str().unwrap_or_default().to_string(),
    })
}

/// Agents' replies carry `agent:<login>` (or `api` for the token); the bot's carry `bot`.
pub fn by_agent(author: &str) -> bool {
    author.starts_with("agent:") || author == "api"
}

fn pending(row: &OutboxRow, now: i64) -> PendingView {
    let p = &row.payload;
    let author = p["author"].as_str().unwrap_or("bot").to_string();
    let dead = row.status == "dead";
    let state = match row.status.as_str() {
        "dead" => "gave up".to_string(),
        "sent" => "sent".to_string(),
        "sending" => "sending now".to_string(),
        _ if row.attempts == 0 => "waiting to be sent".to_string(),
        _ if row.next_attempt_at > now => format!("retrying in {}", ago(row.next_attempt_at - now)),
        _ => "retrying now".to_string(),
    };
    PendingView {
        outbox_id: row.id,
        class: match row.status.as_str() {
            "dead" => "failed",
            "sent" => "sent",
            _ => "pending",
        },
        kind: row.kind.clone(),
        visibility: p["visibility"].as_str().unwrap_or_default().to_string(),
        agent: by_agent(&author),
        author,
        text: p["text"].as_str().unwrap_or_default().to_string(),
        state,
        attempts: row.attempts,
        next_attempt: (row.status == "pending" && row.attempts > 0)
            .then(|| when(row.next_attempt_at)),
        last_error: row.last_error.clone(),
        dead,
        queued: when(row.created_at),
    }
}

/// Everything the transcript is made of, for the conversations of one contact.
pub struct Parts<'a> {
    /// The conversation the page is about.
    pub current: &'a Conversation,
    pub conversations: &'a [Conversation],
    pub messages: &'a [Message],
    pub decisions: &'a [(i64, DecisionRow)],
    pub transitions: &'a [(i64, Transition)],
    pub outbox: &'a [OutboxRow],
    pub now: i64,
    /// `[policy] complaint`: where the reading marks a message as a complaint.
    pub complaint_at: f32,
    /// How to show each customer handle (name, readable handle or visitor label).
    pub labels: &'a BTreeMap<String, String>,
}

/// Sort key: time first; at the same millisecond, the message a line belongs to (its own id,
/// or the customer's latest message in its conversation by then), then messages before
/// decisions before owner changes before outbox actions.
type Key = (i64, i64, u8, i64);

/// The transcript in time order, with a divider wherever the conversation changes.
pub fn transcript(p: &Parts<'_>) -> Vec<Entry> {
    let mut by_conv: BTreeMap<i64, Vec<&Message>> = BTreeMap::new();
    for m in p.messages {
        by_conv.entry(m.conversation_id).or_default().push(m);
    }
    // The customer's latest message in a conversation at a moment: what a decision, owner
    // change or queued action at the same millisecond follows.
    let anchor = |conv: i64, at: i64| -> i64 {
        by_conv
            .get(&conv)
            .and_then(|ms| {
                ms.iter()
                    .filter(|m| m.direction == "in" && m.created_at <= at)
                    .map(|m| m.id)
                    .max()
            })
            .unwrap_or(0)
    };
    let message_at: BTreeMap<i64, i64> = p.messages.iter().map(|m| (m.id, m.created_at)).collect();
    let mut lines: Vec<(Key, i64, Entry)> = Vec::new();
    for m in p.messages {
        let inbound = m.direction == "in";
        let class = match (inbound, by_agent(&m.author)) {
            (true, _) => "in",
            (false, true) => "out agent",
            (false, false) => "out",
        };
        let view = MessageView {
            id: m.id,
            class,
            author: match p.labels.get(&m.author) {
                _ if !inbound => m.author.clone(),
                Some(label) => label.clone(),
                // A linked conversation of another contact: still never a raw id.
                None => {
                    let channel = p
                        .conversations
                        .iter()
                        .find(|c| c.id == m.conversation_id)
                        .map_or("", |c| c.channel.as_str());
                    crate::console::people::customer_label(None, &m.author, channel)
                }
            },
            visibility: m.visibility.clone(),
            text: m.text.clone(),
            when: when(m.created_at),
            reading: if inbound {
                m.analysis.as_ref().and_then(|a| reading(a, p.complaint_at))
            } else {
                None
            },
            reactable: inbound
                && m.conversation_id == p.current.id
                && p.current.visibility == "public",
        };
        lines.push((
            (m.created_at, m.id, 0, m.id),
            m.conversation_id,
            Entry::Message(view),
        ));
    }
    for (conv, d) in p.decisions {
        let key = match d
            .message_id
            .and_then(|id| message_at.get(&id).map(|at| (id, *at)))
        {
            Some((id, at)) => (at, id, 1, d.id),
            None => (d.created_at, anchor(*conv, d.created_at), 1, d.id),
        };
        let view = DecisionView {
            kind: d.kind.clone(),
            reason: d.reason.clone(),
            when: when(d.created_at),
        };
        lines.push((key, *conv, Entry::Decision(view)));
    }
    for (conv, t) in p.transitions {
        let view = TransitionView {
            from: t.from_owner.clone(),
            to: t.to_owner.clone(),
            actor: t.actor.clone(),
            reason: t.reason.clone(),
            when: when(t.created_at),
        };
        let key = (t.created_at, anchor(*conv, t.created_at), 2, t.id);
        lines.push((key, *conv, Entry::Transition(view)));
    }
    for row in p.outbox {
        let Some(conv) = row.conversation_id else {
            continue;
        };
        let key = (row.created_at, anchor(conv, row.created_at), 3, row.id);
        lines.push((key, conv, Entry::Pending(pending(row, p.now))));
    }
    lines.sort_by_key(|(k, _, _)| *k);
    let convs: BTreeMap<i64, &Conversation> = p.conversations.iter().map(|c| (c.id, c)).collect();
    let mut out = Vec::with_capacity(lines.len() + p.conversations.len());
    let mut last = None;
    for (_, conv, entry) in lines {
        if last != Some(conv) {
            if let Some(c) = convs.get(&conv) {
                out.push(Entry::Divider(Divider {
                    conversation_id: c.id,
                    channel: c.channel.clone(),
                    visibility: c.visibility.clone(),
                    began: when(c.created_at),
                    owner: c.owner.clone(),
                    current: c.id == p.current.id,
                }));
            }
            last = Some(conv);
        }
        out.push(entry);
    }
    out
}

/// A response the agent may send, filled in for this customer.
pub struct Suggestion {
    pub intent: String,
    pub confidence: String,
    pub visibility: &'static str,
    pub text: String,
}

/// The confident intents of the customer's latest message that the bot has, with their
/// responses for the replies this conversation allows.
pub fn suggestions(
    brain: &Brain,
    latest: Option<&Message>,
    conv: &Conversation,
    contact: &Contact,
) -> Vec<Suggestion> {
    let Some(m) = latest else {
        return Vec::new();
    };
    let Some(ranking) = m
        .analysis
        .as_ref()
        .and_then(|a| a["intent"]["ranking"].as_array())
    else {
        return Vec::new();
    };
    let identity = contact
        .identities
        .iter()
        .find(|i| i.channel == conv.channel && i.handle == m.author)
        .or_else(|| {
            contact
                .identities
                .iter()
                .find(|i| i.channel == conv.channel)
        });
    let name = identity
        .and_then(|i| i.display_name.clone())
        .or_else(|| contact.display_name.clone());
    let fields = crate::pipeline::customer_fields(
        brain,
        name.as_deref(),
        &m.author,
        &conv.channel,
        conv.ticket_url.as_deref(),
    );
    let values: BTreeMap<&str, String> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let bot = &brain.bot;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for r in ranking {
        let name = r["name"].as_str().unwrap_or_default();
        let confidence = r["confidence"].as_f64().unwrap_or_default();
        let Some(intent) = bot
            .intent(name)
            .filter(|_| name != crate::intents::OUT_OF_SCOPE)
        else {
            continue;
        };
        let threshold = intent
            .threshold
            .unwrap_or(bot.settings.thresholds.confidence);
        if confidence < f64::from(threshold) {
            continue;
        }
        let mut lists = Vec::new();
        if conv.visibility == "public" {
            lists.push(("public", &intent.responses.public));
            lists.push(("private", &intent.responses.private));
        } else if intent.responses.private.is_empty() {
            lists.push(("private", &intent.responses.public));
        } else {
            lists.push(("private", &intent.responses.private));
        }
        for (visibility, list) in lists {
            for t in list {
                let text = crate::intents::template::render(&t.text, &values);
                if seen.insert(text.clone()) {
                    out.push(Suggestion {
                        intent: name.to_string(),
                        confidence: format!("{confidence:.2}"),
                        visibility,
                        text,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn analysis(complaint: f64) -> Value {
        json!({
            "intent": {"name": "refund", "confidence": 0.9, "verdict": "confident", "reason": ""},
            "sentiment": {"label": "negative", "scores": {"negative": 0.8}},
            "complaint": complaint,
        })
    }

    #[test]
    fn the_complaint_mark_follows_the_policy_threshold_not_a_fixed_half() {
        let a = analysis(0.42);
        let strict = reading(&a, 0.5).unwrap();
        assert_eq!(strict.complaint, None);
        assert_eq!(strict.complaint_score.as_deref(), Some("0.42"));
        let eager = reading(&a, 0.4).unwrap();
        assert_eq!(eager.complaint.as_deref(), Some("0.42"));
    }
}
