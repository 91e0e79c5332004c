//! Facebook Pages and Messenger: one channel per Page. Meta delivers Page feed changes and
//! Messenger events to the app's single `page` webhook; this module owns the settings, the
//! handshake and the `X-Hub-Signature-256` check, and wires parsing (`parse`) and the Graph API
//! calls (`send`) into the `Channel` trait.

mod account;
mod parse;
mod send;
#[cfg(test)]
mod tests;

use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

pub use parse::parse_payload;

use super::webhook::{constant_time_eq, hmac_sha256_matches, Method};
use super::{
    Channel, CheckReport, InboundError, MonitorFilter, Outbound, Registration, SendError, Sent,
    Webhook, WebhookReply, WebhookRequest,
};
use crate::secret::Secret;

/// The header Meta signs every event notification with.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";
/// The legacy SHA-1 header: recognised only to say why a request carrying it alone is refused.
const LEGACY_SIGNATURE_HEADER: &str = "x-hub-signature";

/// One `[[channels.facebook]]` Page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacebookSettings {
    /// The channel name, in URLs (`/v1/channels/<name>/webhook`) and transcripts.
    pub name: String,
    /// The Graph API root; tests point it at a simulated server.
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// The Graph API version in every path (`v25.0`).
    #[serde(default = "default_graph_version")]
    pub graph_version: String,
    /// The Page's numeric id: entries for other Pages are ignored, our own posts are skipped.
    pub page_id: String,
    /// The app secret: the key of `X-Hub-Signature-256` (and of `appsecret_proof`).
    pub app_secret: Secret,
    /// The verify token typed into the App Dashboard, checked on the `GET` handshake.
    pub verify_token: Secret,
    /// A Page access token (pages_messaging, pages_manage_engagement, pages_read_user_content...).
    pub page_access_token: Secret,
    /// Take Page feed comments, visitor posts and mentions.
    #[serde(default = "yes")]
    pub feed: bool,
    /// Take Messenger messages and postbacks.
    #[serde(default = "yes")]
    pub messenger: bool,
    /// Which public posts enter the pipeline.
    #[serde(default)]
    pub monitor: MonitorFilter,
}

fn default_api_base() -> String {
    "https://graph.facebook.com".into()
}
fn default_graph_version() -> String {
    "v25.0".into()
}
fn yes() -> bool {
    true
}

impl FacebookSettings {
    /// Settings with dummy credentials, for tests and fuzzing.
    pub fn example(name: &str) -> Self {
        Self {
            name: name.into(),
            api_base: default_api_base(),
            graph_version: default_graph_version(),
            page_id: "1000000001".into(),
            app_secret: Secret::new("example-app-secret"),
            verify_token: Secret::new("example-verify-token"),
            page_access_token: Secret::new("EAAexample-page-token"),
            feed: true,
            messenger: true,
            monitor: MonitorFilter::default(),
        }
    }
}

pub struct FacebookChannel {
    settings: FacebookSettings,
    http: reqwest::Client,
}

impl FacebookChannel {
    pub fn new(settings: FacebookSettings, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap_or_default();
        Self { settings, http }
    }

    pub fn settings(&self) -> &FacebookSettings {
        &self.settings
    }

    /// The subscription handshake: echo `hub.challenge` when the verify token matches.
    fn handshake(&self, req: &WebhookRequest<'_>) -> Result<WebhookReply, InboundError> {
        let (Some(mode), Some(token), Some(challenge)) = (
            req.query_param("hub.mode"),
            req.query_param("hub.verify_token"),
            req.query_param("hub.challenge"),
        ) else {
            return Err(InboundError::Malformed(
                "a Facebook handshake needs hub.mode, hub.verify_token and hub.challenge".into(),
            ));
        };
        if mode != "subscribe" {
            return Err(InboundError::Malformed(format!(
                "hub.mode is {mode:?}, expected \"subscribe\""
            )));
        }
        if !constant_time_eq(
            token.as_bytes(),
            self.settings.verify_token.expose().as_bytes(),
        ) {
            return Err(InboundError::Forbidden(
                "hub.verify_token does not match the configured verify_token".into(),
            ));
        }
        Ok(WebhookReply::Respond {
            status: 200,
            content_type: "text/plain; charset=utf-8",
            body: challenge,
        })
    }
}

/// Check `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`.
pub fn verify_signature(
    app_secret: &str,
    header: Option<&str>,
    legacy_header_present: bool,
    body: &[u8],
) -> Result<(), InboundError> {
    let Some(header) = header else {
        return Err(InboundError::Unauthorized(if legacy_header_present {
            "only the legacy SHA-1 X-Hub-Signature was sent; X-Hub-Signature-256 is required".into()
        } else {
            "missing X-Hub-Signature-256".into()
        }));
    };
    let hex_digest = header.trim().strip_prefix("sha256=").ok_or_else(|| {
        InboundError::Unauthorized("X-Hub-Signature-256 is not sha256=<hex>".into())
    })?;
    let digest = hex::decode(hex_digest)
        .map_err(|_| InboundError::Unauthorized("X-Hub-Signature-256 is not valid hex".into()))?;
    // verify_slice rejects any length but 32, so a truncated digest fails here too.
    if !hmac_sha256_matches(app_secret.as_bytes(), &[body], &digest) {
        return Err(InboundError::Unauthorized(
            "X-Hub-Signature-256 does not match the body (wrong app_secret or altered payload)"
                .into(),
        ));
    }
    Ok(())
}

impl Webhook for FacebookChannel {
    fn handle(&self, req: &WebhookRequest<'_>) -> Result<WebhookReply, InboundError> {
        match req.method {
            Method::Get => self.handshake(req),
            Method::Post => {
                verify_signature(
                    self.settings.app_secret.expose(),
                    req.header(SIGNATURE_HEADER),
                    req.headers.contains_key(LEGACY_SIGNATURE_HEADER),
                    req.body,
                )?;
                Ok(WebhookReply::Events(parse_payload(
                    &self.settings,
                    req.body,
                )?))
            }
        }
    }
}

impl Channel for FacebookChannel {
    fn name(&self) -> &str {
        &self.settings.name
    }
    fn platform(&self) -> &'static str {
        "facebook"
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
        _key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        // The Graph API takes no idempotency key; the outbox sends each action once and only
        // retries what failed or timed out.
        Box::pin(async move {
            let call = send::plan(&self.settings, action)?;
            let json = send::graph(self, &call).await?;
            Ok(Sent {
                external_id: send::created_id(&json),
            })
        })
    }
    fn check(&self) -> BoxFuture<'_, Result<CheckReport, SendError>> {
        Box::pin(account::check(self))
    }
    fn register_webhook<'a>(
        &'a self,
        webhook_url: &'a str,
    ) -> BoxFuture<'a, Result<Registration, SendError>> {
        Box::pin(account::register(self, webhook_url))
    }
}
