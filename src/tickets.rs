//! Tickets: the `ticket` action opens an issue in a tracker (GitHub Issues REST API, or a
//! generic signed webhook) and returns the ticket's URL for the customer's reply.

use serde_json::{json, Value};

use crate::channels::{classify_response, transport_error, SendError};
use crate::config::TicketSettings;
use crate::engine::Engine;
use crate::signature;

/// Open the ticket described by an outbox payload; returns its URL.
pub async fn open(
    engine: &Engine,
    payload: &Value,
    idempotency_key: &str,
) -> Result<String, SendError> {
    let now = engine.clock.now();
    let title = payload["title"].as_str().unwrap_or("Ticket from social");
    let body = payload["body"].as_str().unwrap_or_default();
    match &engine.settings.tickets {
        TicketSettings::None => Err(SendError::Permanent(
            "no ticket integration configured".into(),
        )),
        TicketSettings::Github {
            api_url,
            owner,
            repo,
            token,
            labels,
        } => {
            let url = format!(
                "{}/repos/{owner}/{repo}/issues",
                api_url.trim_end_matches('/')
            );
            let resp = engine
                .http
                .post(url)
                .bearer_auth(token.expose())
                .header("accept", "application/vnd.github+json")
                .header("x-github-api-version", "2022-11-28")
                .json(&json!({ "title": title, "body": body, "labels": labels }))
                .send()
                .await
                .map_err(transport_error)?;
            let answer = classify_response(resp, now.timestamp_millis()).await?;
            answer["html_url"]
                .as_str()
                .map(String::from)
                .ok_or_else(|| SendError::Permanent("GitHub answered without html_url".into()))
        }
        TicketSettings::Webhook { url, secret } => {
            let body = json!({ "idempotency_key": idempotency_key, "title": title, "body": body,
                "skill": payload["skill"], "channel": payload["channel"] })
            .to_string();
            let resp = engine
                .http
                .post(url)
                .header("content-type", "application/json")
                .header("idempotency-key", idempotency_key)
                .header(
                    signature::HEADER,
                    signature::sign(secret.expose(), now.timestamp(), body.as_bytes()),
                )
                .body(body)
                .send()
                .await
                .map_err(transport_error)?;
            let answer = classify_response(resp, now.timestamp_millis()).await?;
            answer["url"]
                .as_str()
                .map(String::from)
                .ok_or_else(|| SendError::Permanent("ticket webhook answered without `url`".into()))
        }
    }
}
