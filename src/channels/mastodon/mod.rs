//! Mastodon: settings, the channel (HTTP to the instance with the account's token, its error
//! mapping), `check` and the recent-status memory shared by polling and sending. Client apps
//! get no webhooks: mentions are polled (`poll.rs`), parsed (`parse.rs`, `stream.rs` for the
//! streaming API), answered (`send.rs`).

mod parse;
mod poll;
mod send;
mod stream;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use parse::{html_to_text, id_cmp, parse_payload, Me};
pub use send::{rate_limit_reset_ms, split_status, status_len};
pub use stream::parse_stream_event;

use super::{
    classify_response, retry_after_from_headers, transport_error, Channel, CheckReport,
    MonitorFilter, Outbound, Poller, Registration, SendError, Sent,
};
use crate::secret::Secret;

/// Who sees a public reply (Mastodon's own names; `private` is followers-only). Private
/// replies are always `direct`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplyVisibility {
    Public,
    #[default]
    Unlisted,
    Private,
    Direct,
}

impl ReplyVisibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Unlisted => "unlisted",
            Self::Private => "private",
            Self::Direct => "direct",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "public" => Self::Public,
            "unlisted" => Self::Unlisted,
            "private" => Self::Private,
            "direct" => Self::Direct,
            _ => return None,
        })
    }
}

/// One `[[channels.mastodon]]` account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MastodonSettings {
    /// The channel name, in URLs and transcripts.
    pub name: String,
    /// The instance the account lives on, e.g. `https://mastodon.social` (no default: there is
    /// no "official" Mastodon).
    pub api_base: String,
    /// The account's access token (scopes `read:accounts read:notifications read:statuses
    /// write:statuses write:favourites`), sent as `Authorization: Bearer`.
    pub access_token: Secret,
    /// Seconds between polls of the notifications (at least 5).
    #[serde(default = "default_poll_interval")]
    pub poll_interval_secs: u64,
    /// Visibility of public replies; never wider than the customer's own post.
    #[serde(default)]
    pub reply_visibility: ReplyVisibility,
    /// The instance's status length limit (500 on stock Mastodon); longer replies are split
    /// into a numbered chain.
    #[serde(default = "default_max_characters")]
    pub max_characters: usize,
    /// Which public posts enter the pipeline.
    #[serde(default)]
    pub monitor: MonitorFilter,
}

fn default_poll_interval() -> u64 {
    30
}

fn default_max_characters() -> usize {
    500
}

impl MastodonSettings {
    /// Dummy credentials, for tests and fuzzing.
    pub fn example(name: &str) -> Self {
        Self {
            name: name.into(),
            api_base: "https://mastodon.example".into(),
            access_token: Secret::new("example-access-token"),
            poll_interval_secs: default_poll_interval(),
            reply_visibility: ReplyVisibility::default(),
            max_characters: default_max_characters(),
            monitor: MonitorFilter::default(),
        }
    }
}

/// What hearken learnt about a status it saw or posted: enough to thread a reply to it and to
/// address its author without asking the instance again.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Known {
    /// The hearken thread (root status id) the status belongs to.
    pub thread: String,
    pub author_id: String,
    pub acct: String,
    pub visibility: Option<ReplyVisibility>,
}

/// Bounded memory of recent statuses; lost on restart, when the instance is asked instead.
#[derive(Debug, Default)]
pub(crate) struct Recent {
    statuses: HashMap<String, Known>,
}

const RECENT_MAX: usize = 20_000;

impl Recent {
    pub fn get(&self, status_id: &str) -> Option<Known> {
        self.statuses.get(status_id).cloned()
    }
    pub fn put(&mut self, status_id: &str, known: Known) {
        if self.statuses.len() >= RECENT_MAX {
            self.statuses.clear();
        }
        self.statuses.insert(status_id.to_string(), known);
    }
}

pub struct MastodonChannel {
    settings: MastodonSettings,
    base: String,
    http: reqwest::Client,
    me: Mutex<Option<Me>>,
    recent: Mutex<Recent>,
}

/// The path segment of an id from the platform: digits and letters only, so it cannot change
/// the path.
fn segment(id: &str) -> Result<&str, SendError> {
    if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(id)
    } else {
        Err(SendError::Permanent(format!("{id:?} is not a Mastodon id")))
    }
}

/// The shared mapping plus Mastodon's 429: `X-RateLimit-Reset` is an ISO 8601 timestamp.
async fn classify(resp: reqwest::Response) -> Result<Value, SendError> {
    let now = chrono::Utc::now();
    if resp.status().as_u16() == 429 {
        let headers = resp.headers();
        let retry_after_ms = rate_limit_reset_ms(headers, now)
            .unwrap_or_else(|| retry_after_from_headers(headers, now.timestamp_millis()));
        return Err(SendError::RateLimited {
            retry_after_ms,
            reason: "429 Too Many Requests (Mastodon rate limit)".into(),
        });
    }
    classify_response(resp, now.timestamp_millis()).await
}

impl MastodonChannel {
    pub fn new(settings: MastodonSettings, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap_or_default();
        Self {
            base: settings.api_base.trim_end_matches('/').to_string(),
            settings,
            http,
            me: Mutex::new(None),
            recent: Mutex::new(Recent::default()),
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(self.settings.access_token.expose())
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, SendError> {
        let resp = self
            .request(reqwest::Method::GET, path)
            .query(query)
            .send()
            .await
            .map_err(transport_error)?;
        classify(resp).await
    }

    /// A GET where 404 means "not there" (a deleted or hidden status), not a failure.
    async fn get_opt(&self, path: &str) -> Result<Option<Value>, SendError> {
        let resp = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .map_err(transport_error)?;
        if resp.status().as_u16() == 404 {
            return Ok(None);
        }
        classify(resp).await.map(Some)
    }

    async fn post(
        &self,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Value, SendError> {
        let mut req = self.request(reqwest::Method::POST, path);
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.map_err(transport_error)?;
        classify(resp).await
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, Recent> {
        self.recent.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Our account, asked once (`verify_credentials`) and then remembered.
    async fn me(&self) -> Result<Me, SendError> {
        if let Some(me) = self.me.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(me);
        }
        let (me, _) = self.verify_credentials().await?;
        Ok(me)
    }

    async fn verify_credentials(&self) -> Result<(Me, String), SendError> {
        let v = self.get("/api/v1/accounts/verify_credentials", &[]).await?;
        let account: parse::Account = serde_json::from_value(v).map_err(|e| {
            SendError::Retryable(format!("unreadable verify_credentials answer: {e}"))
        })?;
        let me = Me::from_account(&account, &self.base);
        let acct = account
            .acct
            .clone()
            .or(account.username.clone())
            .unwrap_or_default();
        *self.me.lock().unwrap_or_else(|p| p.into_inner()) = Some(me.clone());
        Ok((me, acct))
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(self.settings.poll_interval_secs.max(5))
    }
}

impl Channel for MastodonChannel {
    fn name(&self) -> &str {
        &self.settings.name
    }
    fn platform(&self) -> &'static str {
        "mastodon"
    }
    fn send<'a>(
        &'a self,
        action: &'a Outbound,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(self.perform(action, key))
    }
    fn poller(&self) -> Option<&dyn Poller> {
        Some(self)
    }
    fn monitor(&self) -> Option<&MonitorFilter> {
        Some(&self.settings.monitor)
    }
    fn check(&self) -> BoxFuture<'_, Result<CheckReport, SendError>> {
        Box::pin(async move {
            let (_, acct) = self.verify_credentials().await?;
            Ok(CheckReport {
                account: Some(format!("@{acct}")),
                webhook: None,
                notes: vec![
                    format!(
                        "no webhooks for client apps: hearken polls {} for mentions every {} s",
                        self.base,
                        self.interval().as_secs()
                    ),
                    format!(
                        "public replies are {} (never wider than the customer's post)",
                        self.settings.reply_visibility.as_str()
                    ),
                ],
            })
        })
    }
    fn register_webhook<'a>(
        &'a self,
        _webhook_url: &'a str,
    ) -> BoxFuture<'a, Result<Registration, SendError>> {
        Box::pin(async move {
            Ok(Registration::NotSupported(format!(
                "Mastodon has no webhooks for client apps; hearken polls every {} s",
                self.interval().as_secs()
            )))
        })
    }
}
