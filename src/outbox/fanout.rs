//! The fan-out: hands each recorded event to its subscribers, once. Webhook deliveries are
//! queued as outbox actions (so they are retried like any send); NATS gets a publish.

use crate::config::WebhookSubscriber;
use crate::engine::Engine;
use crate::events::{envelope, nats};
use crate::outbox;
use crate::outbox::action::{OutboxAction, WebhookDelivery};
use crate::store;

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
            nats::publish(js, cfg, e, &env).await?;
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
