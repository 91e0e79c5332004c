//! Polling: mention notifications after the cursor, page by page (`min_id` walks forward from
//! the cursor, so a bounded poll never skips one), each turned into an event in its thread.
//! The first poll only sets the cursor: history is not replayed.

use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;

use super::parse::{self, id_cmp, Me, Notification};
use super::{segment, Known, MastodonChannel, ReplyVisibility};
use crate::channels::{InboundEvent, Polled, Poller, SendError};

/// Mastodon's default page size (its maximum is 80).
pub(super) const PAGE: usize = 40;
/// Pages per poll: 400 mentions; the rest come with the next poll.
const MAX_PAGES: usize = 10;

impl Poller for MastodonChannel {
    fn poll<'a>(&'a self, cursor: Option<&'a str>) -> BoxFuture<'a, Result<Polled, SendError>> {
        Box::pin(self.poll_mentions(cursor))
    }
    fn interval(&self) -> Duration {
        MastodonChannel::interval(self)
    }
}

impl MastodonChannel {
    async fn page(
        &self,
        min_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Notification>, SendError> {
        let mut query = vec![
            ("types[]", "mention".to_string()),
            ("limit", limit.to_string()),
        ];
        if let Some(min_id) = min_id {
            query.push(("min_id", min_id.to_string()));
        }
        let v = self.get("/api/v1/notifications", &query).await?;
        if !v.is_array() {
            return Err(SendError::Retryable(
                "the notifications answer is not a JSON array".into(),
            ));
        }
        parse::notifications_from_value(v).map_err(|e| SendError::Retryable(e.to_string()))
    }

    async fn poll_mentions(&self, cursor: Option<&str>) -> Result<Polled, SendError> {
        let me = self.me().await?;
        let Some(cursor) = cursor else {
            // "0" when there is no mention yet: every later one is new.
            let newest = self
                .page(None, 1)
                .await?
                .into_iter()
                .map(|n| n.id)
                .max_by(|a, b| id_cmp(a, b))
                .unwrap_or_else(|| "0".into());
            tracing::info!(channel = %self.settings.name, cursor = %newest,
                "first poll: starting after the newest mention, older ones are not replayed");
            return Ok(Polled {
                events: Vec::new(),
                cursor: Some(newest),
            });
        };
        let mut min_id = cursor.to_string();
        let mut events = Vec::new();
        for _ in 0..MAX_PAGES {
            let mut page = self.page(Some(&min_id), PAGE).await?;
            let full = page.len() >= PAGE;
            // An instance that ignored `min_id` must not make us loop or go back.
            page.retain(|n| id_cmp(&n.id, &min_id).is_gt());
            page.sort_by(|a, b| id_cmp(&a.id, &b.id));
            let Some(newest) = page.last().map(|n| n.id.clone()) else {
                break;
            };
            for n in &page {
                if let Some(event) = self.mention(n, &me).await? {
                    events.push(event);
                }
            }
            min_id = newest;
            if !full {
                break;
            }
        }
        Ok(Polled {
            events,
            cursor: Some(min_id),
        })
    }

    /// A mention as an event in its thread; remembered, so replies to it need no lookup.
    async fn mention(&self, n: &Notification, me: &Me) -> Result<Option<InboundEvent>, SendError> {
        let Some(mut event) = parse::mention_event(&self.settings.name, n, Some(me)) else {
            return Ok(None);
        };
        let Some(status) = n.status.as_ref() else {
            return Ok(None);
        };
        event.thread_id = self
            .thread_of(&status.id, status.in_reply_to_id.as_deref())
            .await?;
        let acct = status
            .account
            .as_ref()
            .or(n.account.as_ref())
            .and_then(|a| a.acct.clone().or(a.username.clone()))
            .unwrap_or_default();
        self.recent().put(
            &status.id,
            Known {
                thread: event.thread_id.clone(),
                author_id: event.author.handle.clone(),
                acct,
                visibility: status
                    .visibility
                    .as_deref()
                    .and_then(ReplyVisibility::parse),
            },
        );
        Ok(Some(event))
    }

    /// The thread (root status) of a status: itself when it replies to nothing; else the
    /// thread of the status it replies to when hearken knows it; else the first ancestor the
    /// instance shows us (`GET /api/v1/statuses/:id/context`); else the status replied to.
    async fn thread_of(&self, status_id: &str, parent: Option<&str>) -> Result<String, SendError> {
        let Some(parent) = parent else {
            return Ok(status_id.to_string());
        };
        let known = self.recent().get(parent);
        if let Some(known) = known {
            return Ok(known.thread);
        }
        let Ok(id) = segment(status_id) else {
            return Ok(parent.to_string());
        };
        let context = self
            .get_opt(&format!("/api/v1/statuses/{id}/context"))
            .await?;
        let root = context
            .as_ref()
            .and_then(|c| c.get("ancestors"))
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(|s| s.get("id"))
            .and_then(Value::as_str);
        Ok(root.unwrap_or(parent).to_string())
    }
}
