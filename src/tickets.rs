//! Tickets: the `ticket` action opens an issue in a tracker (GitHub Issues REST API, or a
//! generic signed webhook) and returns the ticket's URL for the customer's reply.

use serde_json::json;

use crate::channels::{classify_response, transport_error, SendError};
use crate::config::TicketSettings;
use crate::engine::Engine;
use crate::outbox::action::TicketRequest;
use crate::signature;

/// Open the ticket of an outbox `Ticket` action; returns its URL.
pub async fn open(
    engine: &Engine,
    ticket: &TicketRequest,
    idempotency_key: &str,
) -> Result<String, SendError> {
    let now = engine.clock.now();
    let title = &ticket.title;
    let body = &ticket.body;
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
                "skill": ticket.skill, "channel": ticket.reply.channel })
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
