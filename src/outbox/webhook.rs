//! Webhook delivery: one signed POST of an event to one subscriber (an outbox `Webhook` action).

use crate::channels::{classify_response, transport_error, SendError};
use crate::engine::Engine;
use crate::outbox::action::WebhookDelivery;
use crate::signature;

/// Deliver one webhook (an outbox `Webhook` action).
pub async fn deliver(
    engine: &Engine,
    delivery: &WebhookDelivery,
    delivery_id: &str,
) -> Result<(), SendError> {
    let name = &delivery.subscriber;
    let sub = engine
        .settings
        .events
        .webhooks
        .iter()
        .find(|s| &s.name == name)
        .ok_or_else(|| {
            SendError::Permanent(format!("webhook subscriber {name} is no longer configured"))
        })?;
    let body = delivery.event.to_string();
    let now = engine.clock.now();
    let resp = engine
        .http
        .post(&sub.url)
        .header("content-type", "application/json")
        .header("x-hearken-event", delivery.event_kind())
        .header("x-hearken-delivery", delivery_id)
        .header(
            signature::HEADER,
            signature::sign(sub.secret.expose(), now.timestamp(), body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .map_err(transport_error)?;
    classify_response(resp, now.timestamp_millis()).await?;
    Ok(())
}
