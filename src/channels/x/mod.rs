//! X (API v2): Account Activity webhooks in (CRC handshake, signed deliveries); replies, DMs,
//! likes, reposts and hidden replies out; "who am I" and webhook registration.

mod account;
mod parse;
mod send;
mod text;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

pub use parse::parse_payload;
pub use text::{split_post, weighted_len, MAX_POST_WEIGHT};

use super::webhook::{hmac_sha256, hmac_sha256_matches, Method};
use super::{
    Channel, CheckReport, InboundError, MonitorFilter, Outbound, Registration, SendError, Sent,
    Webhook, WebhookReply, WebhookRequest,
};
use crate::secret::Secret;

/// The header X signs every event delivery with.
pub const SIGNATURE_HEADER: &str = "x-twitter-webhooks-signature";

/// One `[[channels.x]]` account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XSettings {
    /// The channel name, in URLs (`/v1/channels/<name>/webhook`) and transcripts.
    pub name: String,
    /// The API root; tests point it at a simulated X.
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// The app's consumer secret (API secret key): answers CRC checks, verifies deliveries.
    pub consumer_secret: Secret,
    /// OAuth 2.0 user-context access token of the account (tweet.read tweet.write users.read
    /// like.write dm.read dm.write tweet.moderate.write).
    pub user_token: Secret,
    /// The account's numeric id: its own posts and DMs are skipped; likes and reposts act as it.
    pub user_id: String,
    /// App-only bearer token for the webhook management endpoints (`/2/webhooks`), which X
    /// serves to app tokens only; `user_token` is used when unset.
    #[serde(default)]
    pub app_token: Option<Secret>,
    /// The registered webhook's id: `check` reports its state, `register` subscribes to it.
    #[serde(default)]
    pub webhook_id: Option<String>,
    /// Which public posts enter the pipeline.
    #[serde(default)]
    pub monitor: MonitorFilter,
}

fn default_api_base() -> String {
    "https://api.x.com".into()
}

impl XSettings {
    /// A channel with dummy credentials (tests, fuzzing).
    pub fn example(name: &str) -> Self {
        Self {
            name: name.into(),
            api_base: default_api_base(),
            consumer_secret: Secret::new("example_consumer_secret"),
            user_token: Secret::new("example-user-token"),
            user_id: "2244994945".into(),
            app_token: None,
            webhook_id: None,
            monitor: MonitorFilter::default(),
        }
    }
}

pub struct XChannel {
    settings: XSettings,
    http: reqwest::Client,
    /// Posts of a split reply already published, by idempotency key: a retry resumes the chain
    /// instead of posting its first part again (X refuses duplicate text). In memory only.
    chains: Mutex<HashMap<String, send::Chain>>,
}

impl XChannel {
    pub fn new(settings: XSettings, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap_or_default();
        Self {
            settings,
            http,
            chains: Mutex::new(HashMap::new()),
        }
    }

    /// The CRC answer: `sha256=` + base64(HMAC-SHA256(consumer secret, crc_token)).
    pub fn crc_response_token(&self, crc_token: &str) -> String {
        sign(self.settings.consumer_secret.expose(), crc_token.as_bytes())
    }

    /// Whether `header` is X's signature of `body`, compared in constant time.
    pub fn signature_matches(&self, header: Option<&str>, body: &[u8]) -> bool {
        let Some(encoded) = header
            .map(str::trim)
            .and_then(|h| h.strip_prefix("sha256="))
        else {
            return false;
        };
        let Ok(mac) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
            return false;
        };
        hmac_sha256_matches(
            self.settings.consumer_secret.expose().as_bytes(),
            &[body],
            &mac,
        )
    }
}

/// `sha256=<base64 HMAC-SHA256(secret, message)>`, X's format for CRC answers and signatures.
pub fn sign(secret: &str, message: &[u8]) -> String {
    let mac = hmac_sha256(secret.as_bytes(), &[message]);
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(mac)
    )
}

/// A real CRC token is a short opaque string. Anything else is refused: the CRC answer is the
/// same HMAC as a delivery signature, so answering a token that is a JSON document would sign
/// a forged delivery for whoever asked.
fn plausible_crc_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 512
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=_-.~:".contains(&b))
}

impl Webhook for XChannel {
    fn handle(&self, req: &WebhookRequest<'_>) -> Result<WebhookReply, InboundError> {
        match req.method {
            Method::Get => {
                let token = req.query_param("crc_token").ok_or_else(|| {
                    InboundError::Malformed("a CRC check carries `crc_token`".into())
                })?;
                if !plausible_crc_token(&token) {
                    return Err(InboundError::Malformed(
                        "`crc_token` must be up to 512 characters of [A-Za-z0-9+/=_.~:-]".into(),
                    ));
                }
                let body = serde_json::json!({ "response_token": self.crc_response_token(&token) });
                Ok(WebhookReply::Respond {
                    status: 200,
                    content_type: "application/json",
                    body: body.to_string(),
                })
            }
            Method::Post => {
                // No timestamp in X's scheme: replays are absorbed by the inbox's event ids.
                if !self.signature_matches(req.header(SIGNATURE_HEADER), req.body) {
                    return Err(InboundError::Unauthorized(format!(
                        "missing or wrong {SIGNATURE_HEADER}"
                    )));
                }
                parse_payload(&self.settings, req.body).map(WebhookReply::Events)
            }
        }
    }
}

impl Channel for XChannel {
    fn name(&self) -> &str {
        &self.settings.name
    }
    fn platform(&self) -> &'static str {
        "x"
    }
    fn webhook(&self) -> Option<&dyn Webhook> {
        Some(self)
    }
    fn monitor(&self) -> Option<&MonitorFilter> {
        Some(&self.settings.monitor)
    }
    fn send<'a>(
        &'a self,
        action: &'a Outbound,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(self.perform(action, key))
    }
    fn check(&self) -> BoxFuture<'_, Result<CheckReport, SendError>> {
        Box::pin(self.who_am_i())
    }
    fn register_webhook<'a>(
        &'a self,
        webhook_url: &'a str,
    ) -> BoxFuture<'a, Result<Registration, SendError>> {
        Box::pin(self.register(webhook_url))
    }
}
