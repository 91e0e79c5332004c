//! The API channel: any system (a CRM, an app, a test harness) posts signed messages in and
//! receives the bot's actions as signed POSTs to its URL. Same signature scheme as event webhooks.

use futures::future::BoxFuture;
use serde::Deserialize;
use std::time::Duration;

use super::webhook::Method;
use super::{
    classify_response, transport_error, Author, Channel, InboundError, InboundEvent, Outbound,
    SendError, Sent, Webhook, WebhookReply, WebhookRequest,
};
use crate::policy::Visibility;
use crate::secret::Secret;
use crate::signature;

#[derive(Debug, Clone, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiChannelSettings {
    /// The channel name, in URLs (`/v1/channels/<name>/webhook`) and transcripts.
    pub name: String,
    /// Shared secret for both directions.
    pub secret: Secret,
    /// Where actions are POSTed.
    pub outbound_url: String,
    /// Which public posts enter the pipeline.
    #[serde(default)]
    pub monitor: super::MonitorFilter,
}

/// The body an API channel posts in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiInbound {
    pub event_id: String,
    pub visibility: Visibility,
    pub thread_id: String,
    #[serde(default)]
    pub message_id: Option<String>,
    pub author: Author,
    pub text: String,
}

pub struct ApiChannel {
    settings: ApiChannelSettings,
    http: reqwest::Client,
}

impl ApiChannel {
    pub fn new(settings: ApiChannelSettings, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap_or_default();
        Self { settings, http }
    }

    /// Verify the raw body, then parse it.
    pub fn accept(
        &self,
        signature_header: Option<&str>,
        body: &[u8],
        now_secs: i64,
    ) -> Result<InboundEvent, InboundError> {
        signature::verify(
            self.settings.secret.expose(),
            signature_header,
            body,
            now_secs,
        )
        .map_err(|e| InboundError::Unauthorized(e.to_string()))?;
        let m: ApiInbound =
            serde_json::from_slice(body).map_err(|e| InboundError::Malformed(e.to_string()))?;
        if m.text.trim().is_empty() {
            return Err(InboundError::Malformed("`text` is empty".into()));
        }
        if m.event_id.is_empty() || m.thread_id.is_empty() || m.author.handle.is_empty() {
            return Err(InboundError::Malformed(
                "`event_id`, `thread_id` and `author.handle` must not be empty".into(),
            ));
        }
        Ok(InboundEvent {
            channel: self.settings.name.clone(),
            message_id: m.message_id.unwrap_or_else(|| m.event_id.clone()),
            event_id: m.event_id,
            visibility: m.visibility,
            thread_id: m.thread_id,
            author: m.author,
            text: m.text,
        })
    }
}

impl Webhook for ApiChannel {
    fn handle(&self, req: &WebhookRequest<'_>) -> Result<WebhookReply, InboundError> {
        if req.method != Method::Post {
            return Err(InboundError::Malformed(
                "API channels take POST requests only".into(),
            ));
        }
        let event = self.accept(req.header(signature::HEADER), req.body, req.now_secs)?;
        Ok(WebhookReply::Events(vec![event]))
    }
}

impl Channel for ApiChannel {
    fn name(&self) -> &str {
        &self.settings.name
    }
    fn platform(&self) -> &'static str {
        "api"
    }
    fn webhook(&self) -> Option<&dyn Webhook> {
        Some(self)
    }
    fn monitor(&self) -> Option<&super::MonitorFilter> {
        Some(&self.settings.monitor)
    }

    fn send<'a>(
        &'a self,
        action: &'a Outbound,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(async move {
            let body = serde_json::json!({ "idempotency_key": key, "action": action }).to_string();
            let now = chrono::Utc::now();
            let resp = self
                .http
                .post(&self.settings.outbound_url)
                .header("content-type", "application/json")
                .header("idempotency-key", key)
                .header(
                    signature::HEADER,
                    signature::sign(
                        self.settings.secret.expose(),
                        now.timestamp(),
                        body.as_bytes(),
                    ),
                )
                .body(body)
                .send()
                .await
                .map_err(transport_error)?;
            let json = classify_response(resp, now.timestamp_millis()).await?;
            Ok(Sent {
                external_id: json.get("id").map(|v| {
                    v.as_str()
                        .map(String::from)
                        .unwrap_or_else(|| v.to_string())
                }),
            })
        })
    }
}
