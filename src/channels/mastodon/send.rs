//! Outbound: replies as statuses (the author @mentioned, in reply to their status, a
//! visibility never wider than theirs, an `Idempotency-Key`, split at the length limit),
//! favourites and boosts; Mastodon's ISO 8601 rate-limit reset.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{segment, Known, MastodonChannel, ReplyVisibility};
use crate::channels::{Outbound, OutboundKind, SendError, Sent};
use crate::policy::Visibility;

/// Every URL counts as 23 characters on Mastodon, whatever its length.
const URL_LEN: usize = 23;
/// A longer reply is cut after this many statuses (the last ends with "…").
const MAX_PARTS: usize = 5;
/// Room kept for the " (n/m)" numbering of a split reply.
const NUMBERING: usize = 6;

/// `X-RateLimit-Reset` (an ISO 8601 timestamp, not epoch seconds) as a delay from `now`; at
/// least a second.
pub fn rate_limit_reset_ms(
    headers: &reqwest::header::HeaderMap,
    now: DateTime<Utc>,
) -> Option<i64> {
    let v = headers.get("x-ratelimit-reset")?.to_str().ok()?.trim();
    let at = DateTime::parse_from_rfc3339(v).ok()?;
    Some((at.with_timezone(&Utc) - now).num_milliseconds().max(1000))
}

fn token_len(t: &str) -> usize {
    if t.starts_with("http://") || t.starts_with("https://") {
        return URL_LEN;
    }
    // A remote mention counts as its local part: "@jane@example.social" is 5.
    if let Some((user, _)) = t.strip_prefix('@').and_then(|r| r.split_once('@')) {
        return 1 + user.chars().count();
    }
    t.chars().count()
}

/// The length Mastodon counts (URLs as 23, remote mentions without their domain); characters,
/// not graphemes, so it never undercounts.
pub fn status_len(s: &str) -> usize {
    s.split(' ').map(token_len).sum::<usize>() + s.matches(' ').count()
}

/// `prefix` + `text` as statuses of at most `limit`: one when it fits; else cut between
/// words into numbered parts "(1/3)", each with the prefix, at most five (then "…").
pub fn split_status(prefix: &str, text: &str, limit: usize) -> Vec<String> {
    let text = text.trim();
    let whole = format!("{prefix}{text}");
    if status_len(&whole) <= limit {
        return vec![whole];
    }
    let budget = limit.saturating_sub(status_len(prefix) + NUMBERING).max(20);
    let mut chunks: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if token_len(word) > budget {
            // A word longer than a status: cut it by characters.
            if !cur.is_empty() {
                chunks.push(std::mem::take(&mut cur));
            }
            let chars: Vec<char> = word.chars().collect();
            chunks.extend(chars.chunks(budget).map(|c| c.iter().collect::<String>()));
            continue;
        }
        let candidate = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if status_len(&candidate) > budget {
            chunks.push(std::mem::replace(&mut cur, word.to_string()));
        } else {
            cur = candidate;
        }
    }
    if !cur.is_empty() {
        chunks.push(cur);
    }
    if chunks.len() > MAX_PARTS {
        chunks.truncate(MAX_PARTS);
        if let Some(last) = chunks.last_mut() {
            while status_len(last) + 1 > budget && last.pop().is_some() {}
            last.push('…');
        }
    }
    let n = chunks.len();
    if n <= 1 {
        return chunks.into_iter().map(|c| format!("{prefix}{c}")).collect();
    }
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{prefix}{c} ({}/{n})", i + 1))
        .collect()
}

impl MastodonChannel {
    pub(super) async fn perform(&self, action: &Outbound, key: &str) -> Result<Sent, SendError> {
        match &action.kind {
            OutboundKind::Reply {
                visibility, text, ..
            } => self.reply(action, *visibility, text, key).await,
            OutboundKind::Like => self.on_status(action, "favourite").await,
            OutboundKind::Repost => self.on_status(action, "reblog").await,
            OutboundKind::Hide => Err(SendError::Permanent(
                "Mastodon cannot hide a reply (client apps have no such API)".into(),
            )),
            OutboundKind::Typing => Err(SendError::Permanent("Mastodon cannot show typing".into())),
        }
    }

    /// `POST /api/v1/statuses/:id/favourite` or `/reblog` (both idempotent on Mastodon).
    async fn on_status(&self, action: &Outbound, verb: &str) -> Result<Sent, SendError> {
        let target = action.target_message_id.as_deref().ok_or_else(|| {
            SendError::Permanent(format!("Mastodon cannot {verb} without a status id"))
        })?;
        let v = self
            .post(
                &format!("/api/v1/statuses/{}/{verb}", segment(target)?),
                None,
                None,
            )
            .await?;
        Ok(Sent {
            external_id: v.get("id").and_then(Value::as_str).map(String::from),
        })
    }

    async fn reply(
        &self,
        action: &Outbound,
        visibility: Visibility,
        text: &str,
        key: &str,
    ) -> Result<Sent, SendError> {
        let (acct, theirs) = self.addressee(action).await?;
        let visibility = match visibility {
            // Direct statuses reach exactly the accounts they mention.
            Visibility::Private => ReplyVisibility::Direct,
            // Never wider than the customer's post: a followers-only mention gets a
            // followers-only answer, a DM a DM.
            Visibility::Public => self
                .settings
                .reply_visibility
                .max(theirs.unwrap_or(ReplyVisibility::Public)),
        };
        let mention = format!("@{acct}");
        let prefix = if text.trim_start().starts_with(&mention) {
            String::new()
        } else {
            format!("{mention} ")
        };
        let parts = split_status(&prefix, text, self.settings.max_characters);
        let our_id = self
            .me
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|m| m.id.clone())
            .unwrap_or_default();
        let mut in_reply_to = action.target_message_id.clone();
        let mut first = None;
        for (i, part) in parts.iter().enumerate() {
            let mut body = json!({ "status": part, "visibility": visibility.as_str() });
            if let Some(id) = &in_reply_to {
                body["in_reply_to_id"] = json!(id);
            }
            // Mastodon keeps idempotency keys for an hour: a retried reply is not posted twice.
            let part_key = match i {
                0 => key.to_string(),
                i => format!("{key}/{}", i + 1),
            };
            let v = self
                .post("/api/v1/statuses", Some(&body), Some(&part_key))
                .await?;
            if let Some(id) = v.get("id").and_then(Value::as_str) {
                // A customer answering our reply lands in the same thread.
                self.recent().put(
                    id,
                    Known {
                        thread: action.thread_id.clone(),
                        author_id: our_id.clone(),
                        acct: String::new(),
                        visibility: Some(visibility),
                    },
                );
                in_reply_to = Some(id.to_string());
                first = first.or_else(|| Some(id.to_string()));
            }
        }
        Ok(Sent { external_id: first })
    }

    /// The recipient's `acct` (to @mention them) and the visibility of the status replied to:
    /// from memory, else from the instance (`GET /api/v1/statuses/:id`, then
    /// `GET /api/v1/accounts/:id`).
    async fn addressee(
        &self,
        action: &Outbound,
    ) -> Result<(String, Option<ReplyVisibility>), SendError> {
        let recipient = action.recipient.as_str();
        let mut theirs = None;
        if let Some(target) = action.target_message_id.as_deref() {
            let known = self.recent().get(target);
            let known = match known {
                Some(k) => Some(k),
                None => self.fetch_status(target, &action.thread_id).await?,
            };
            if let Some(k) = known {
                theirs = k.visibility;
                if k.author_id == recipient && !k.acct.is_empty() {
                    return Ok((k.acct, theirs));
                }
            }
        }
        let v = self
            .get(&format!("/api/v1/accounts/{}", segment(recipient)?), &[])
            .await?;
        let acct = v
            .get("acct")
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                SendError::Permanent(format!("Mastodon account {recipient} has no acct"))
            })?;
        Ok((acct.to_string(), theirs))
    }

    async fn fetch_status(&self, id: &str, thread: &str) -> Result<Option<Known>, SendError> {
        let Some(v) = self
            .get_opt(&format!("/api/v1/statuses/{}", segment(id)?))
            .await?
        else {
            return Ok(None);
        };
        let Ok(status) = serde_json::from_value::<super::parse::Status>(v) else {
            return Ok(None);
        };
        let author = status.account.unwrap_or_default();
        let known = Known {
            thread: thread.to_string(),
            author_id: author.id,
            acct: author.acct.or(author.username).unwrap_or_default(),
            visibility: status
                .visibility
                .as_deref()
                .and_then(ReplyVisibility::parse),
        };
        self.recent().put(&status.id, known.clone());
        Ok(Some(known))
    }
}
