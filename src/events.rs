//! Events: every state change is written to the `events` table in the same transaction as the
//! change; a dispatcher fans each one out to the configured webhook subscribers (through the
//! outbox, so deliveries are retried) and to a NATS JetStream stream. Schemas: docs/events.md.

use serde_json::{json, Value};

use crate::config::{NatsSettings, WebhookSubscriber};
use crate::engine::Engine;
use crate::outbox::action::{OutboxAction, WebhookDelivery};
use crate::signature;
use crate::store::{self, outbox, StoreError, Tx};

/// The event kinds, as they appear in `kind`, subjects and webhook headers.
pub mod kind {
    pub const MESSAGE_RECEIVED: &str = "message.received";
    pub const MESSAGE_CLASSIFIED: &str = "message.classified";
    pub const DECISION_MADE: &str = "decision.made";
    pub const REPLY_SENT: &str = "reply.sent";
    pub const REPLY_FAILED: &str = "reply.failed";
    pub const ACTION_SENT: &str = "action.sent";
    pub const CONVERSATION_ESCALATED: &str = "conversation.escalated";
    pub const CONVERSATION_OWNER_CHANGED: &str = "conversation.owner_changed";
    pub const CONVERSATION_ASSIGNED: &str = "conversation.assigned";
    pub const CONVERSATION_RESOLVED: &str = "conversation.resolved";
    pub const CONTACT_CREATED: &str = "contact.created";
    pub const CONTACT_LINKED: &str = "contact.linked";
    pub const CONTACT_UNLINKED: &str = "contact.unlinked";
    pub const TICKET_OPENED: &str = "ticket.opened";
    pub const EMERGENCY_CHANGED: &str = "emergency.changed";
    pub const CHANNEL_UNHEALTHY: &str = "channel.unhealthy";
    pub const CHANNEL_HEALTHY: &str = "channel.healthy";
    pub const CONVERSATION_TRANSFERRED: &str = "conversation.transferred";
    pub const ROUTING_OFFERED: &str = "routing.offered";
    pub const ROUTING_OFFER_EXPIRED: &str = "routing.offer_expired";
    pub const ROUTING_REQUEUED: &str = "routing.requeued";
    pub const ROUTING_WAITING_NOTICE: &str = "routing.waiting_notice";
    pub const ROUTING_SLA_BREACHED: &str = "routing.sla_breached";
    pub const AGENT_STATUS_CHANGED: &str = "agent.status_changed";
    pub const NLU_RELOADED: &str = "nlu.reloaded";
    pub const NLU_RELOAD_FAILED: &str = "nlu.reload_failed";
    pub const ALL: [&str; 26] = [
        MESSAGE_RECEIVED,
        MESSAGE_CLASSIFIED,
        DECISION_MADE,
        REPLY_SENT,
        REPLY_FAILED,
        ACTION_SENT,
        CONVERSATION_ESCALATED,
        CONVERSATION_OWNER_CHANGED,
        CONVERSATION_ASSIGNED,
        CONVERSATION_RESOLVED,
        CONTACT_CREATED,
        CONTACT_LINKED,
        CONTACT_UNLINKED,
        TICKET_OPENED,
        EMERGENCY_CHANGED,
        CHANNEL_UNHEALTHY,
        CHANNEL_HEALTHY,
        CONVERSATION_TRANSFERRED,
        ROUTING_OFFERED,
        ROUTING_OFFER_EXPIRED,
        ROUTING_REQUEUED,
        ROUTING_WAITING_NOTICE,
        ROUTING_SLA_BREACHED,
        AGENT_STATUS_CHANGED,
        NLU_RELOADED,
        NLU_RELOAD_FAILED,
    ];
}

/// Record an event inside the caller's transaction: it exists if and only if the change does.
pub async fn record(
    tx: &mut Tx,
    kind: &str,
    conversation_id: Option<i64>,
    data: Value,
    now_ms: i64,
) -> Result<(), StoreError> {
    store::events::insert(tx, kind, conversation_id, &data, now_ms).await?;
    Ok(())
}

/// The JSON every subscriber receives.
pub fn envelope(e: &store::events::EventRow) -> Value {
    json!({
        "id": e.uuid,
        "sequence": e.id,
        "kind": e.kind,
        "created_at": store::from_millis(e.created_at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "conversation_id": e.conversation_id,
        "data": e.payload,
    })
}

fn wants(sub: &WebhookSubscriber, kind: &str) -> bool {
    sub.events.is_empty() || sub.events.iter().any(|k| k == "*" || k == kind)
}

/// Fan out undispatched events; returns how many. NATS failures leave events for the next pass.
pub async fn dispatch_once(engine: &Engine) -> Result<usize, String> {
    let store = &engine.store;
    let mut tx = store.begin().await.map_err(|e| e.to_string())?;
    let events = store::events::claim_undispatched(store, &mut tx, 200)
        .await
        .map_err(|e| e.to_string())?;
    if events.is_empty() {
        return Ok(0);
    }
    let now = engine.clock.now_ms();
    let deadline = now + engine.settings.outbox.retry_for_secs as i64 * 1000;
    let nats = engine.nats().await?;
    let mut queued = false;
    for e in &events {
        let env = envelope(e);
        for sub in engine
            .settings
            .events
            .webhooks
            .iter()
            .filter(|s| wants(s, &e.kind))
        {
            let key = format!("evt:{}:{}", e.uuid, sub.name);
            let action = OutboxAction::Webhook(WebhookDelivery {
                subscriber: sub.name.clone(),
                event: env.clone(),
            });
            outbox::enqueue(
                &mut tx,
                &outbox::NewAction {
                    idempotency_key: &key,
                    conversation_id: None,
                    action: &action,
                    deadline_ms: deadline,
                },
                now,
            )
            .await
            .map_err(|e| e.to_string())?;
            queued = true;
        }
        if let (Some(js), Some(cfg)) = (nats, &engine.settings.events.nats) {
            publish_nats(js, cfg, e, &env).await?;
        }
        store::events::mark_dispatched(&mut tx, e.id)
            .await
            .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    if queued {
        engine.wake.outbox.notify_one();
    }
    Ok(events.len())
}

pub async fn connect_nats(cfg: &NatsSettings) -> Result<async_nats::jetstream::Context, String> {
    let client = async_nats::connect(&cfg.url)
        .await
        .map_err(|e| format!("NATS {}: {e}", cfg.url))?;
    let js = async_nats::jetstream::new(client);
    js.get_or_create_stream(async_nats::jetstream::stream::Config {
        name: cfg.stream.clone(),
        subjects: vec![format!("{}.>", cfg.subject_prefix)],
        duplicate_window: std::time::Duration::from_secs(120),
        ..Default::default()
    })
    .await
    .map_err(|e| format!("NATS stream {}: {e}", cfg.stream))?;
    Ok(js)
}

async fn publish_nats(
    js: &async_nats::jetstream::Context,
    cfg: &NatsSettings,
    e: &store::events::EventRow,
    env: &Value,
) -> Result<(), String> {
    let mut headers = async_nats::HeaderMap::new();
    // JetStream drops a second publish with the same id inside the duplicate window.
    headers.insert("Nats-Msg-Id", e.uuid.as_str());
    let subject = format!("{}.{}", cfg.subject_prefix, e.kind);
    js.publish_with_headers(subject, headers, env.to_string().into())
        .await
        .map_err(|err| format!("NATS publish: {err}"))?
        .await
        .map_err(|err| format!("NATS ack: {err}"))?;
    Ok(())
}

/// Deliver one webhook (an outbox `Webhook` action).
pub async fn deliver_webhook(
    engine: &Engine,
    delivery: &WebhookDelivery,
    delivery_id: &str,
) -> Result<(), crate::channels::SendError> {
    use crate::channels::SendError;
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
        .map_err(crate::channels::transport_error)?;
    crate::channels::classify_response(resp, now.timestamp_millis()).await?;
    Ok(())
}
