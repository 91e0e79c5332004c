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
            OutboundKind::Seen => Err(SendError::Permanent("Mastodon has no read receipts".into())),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_reply_is_one_status_and_a_long_one_a_numbered_chain() {
        assert_eq!(split_status("@dana ", "hello", 500), ["@dana hello"]);
        let long = "word ".repeat(200);
        let parts = split_status("@dana@example.social ", &long, 500);
        assert_eq!(parts.len(), 3, "{parts:?}");
        for (i, p) in parts.iter().enumerate() {
            assert!(status_len(p) <= 500, "{} > 500", status_len(p));
            assert!(p.starts_with("@dana@example.social word"));
            assert!(p.ends_with(&format!(" ({}/3)", i + 1)), "{p}");
        }
        let words: usize = parts.iter().map(|p| p.matches("word").count()).sum();
        assert_eq!(words, 200, "no word lost");
        let huge = split_status("@d ", &"x".repeat(5000), 500);
        assert_eq!(huge.len(), 5, "at most five statuses");
        assert!(huge[4].ends_with("… (5/5)"), "{}", huge[4]);
        assert!(huge.iter().all(|p| status_len(p) <= 500));
    }

    #[test]
    fn lengths_count_urls_as_23_and_remote_mentions_without_their_domain() {
        assert_eq!(status_len("hi"), 2);
        assert_eq!(
            status_len("see https://example.com/a/very/long/path/that/goes/on/and/on"),
            4 + 23
        );
        assert_eq!(status_len("@jane@example.social hi"), 5 + 3);
        assert_eq!(status_len("héllo 👋"), 7);
    }

    #[test]
    fn the_rate_limit_reset_is_an_iso_8601_timestamp() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            "x-ratelimit-reset",
            "2026-11-23T10:00:30.123456Z".parse().unwrap(),
        );
        assert_eq!(rate_limit_reset_ms(&h, now), Some(30_123));
        h.insert("x-ratelimit-reset", "2026-11-23T09:00:00Z".parse().unwrap());
        assert_eq!(
            rate_limit_reset_ms(&h, now),
            Some(1000),
            "a past reset waits a second"
        );
        h.insert("x-ratelimit-reset", "1700000000".parse().unwrap());
        assert_eq!(
            rate_limit_reset_ms(&h, now),
            None,
            "epoch seconds are not Mastodon's format"
        );
    }

    #[test]
    fn replies_are_never_wider_than_the_post_they_answer() {
        use ReplyVisibility::*;
        assert_eq!(Unlisted.max(Public), Unlisted);
        assert_eq!(Unlisted.max(Private), Private);
        assert_eq!(Public.max(Direct), Direct);
        assert_eq!(ReplyVisibility::parse("private"), Some(Private));
        assert_eq!(ReplyVisibility::parse("limited"), None);
    }
}
