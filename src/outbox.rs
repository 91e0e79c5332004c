//! The outbox worker: claims due actions, sends each through its channel (or the ticket
//! tracker, or a webhook subscriber), and records the outcome. Failures retry with exponential
//! backoff and jitter until the action's deadline; then it is dead-lettered and escalated.

use rand::Rng;
use serde_json::json;

use crate::channels::{Outbound, OutboundKind, SendError, Sent};
use crate::engine::Engine;
use crate::events::{self, kind};
use crate::intents::template;
use crate::pipeline::{escalate, Escalation};
use crate::policy::{EscalationCause, Priority, Visibility};
use crate::store::conversations::{self as convs, NewMessage};
use crate::store::outbox::{self, OutboxRow};
use crate::store::StoreError;

/// One pass over due actions; returns how many were attempted.
pub async fn run_once(engine: &Engine) -> Result<usize, StoreError> {
    let s = &engine.settings.outbox;
    let now = engine.clock.now_ms();
    let claim_ms = (s.send_timeout_secs as i64 + 30) * 1000;
    let rows = outbox::claim_due(
        &engine.store,
        s.batch,
        now,
        claim_ms,
        &engine.paused_channels(),
    )
    .await?;
    let n = rows.len();
    for row in rows {
        let span =
            tracing::info_span!("outbox", id = row.id, channel = %row.channel, kind = %row.kind);
        let _g = span.enter();
        // A 429 earlier in this batch: the rest of the channel's actions wait, uncounted.
        if let Some(until) = engine.paused_until(&row.channel) {
            let note = row
                .last_error
                .as_deref()
                .unwrap_or("waiting for the platform's rate limit");
            outbox::reschedule(&engine.store, row.id, row.attempts, until, note).await?;
            continue;
        }
        let result = attempt(engine, &row).await;
        match result {
            Ok(sent) => on_sent(engine, &row, sent).await?,
            Err(e) => on_failed(engine, &row, e).await?,
        }
    }
    Ok(n)
}

/// Delay before retry `attempt` (1-based): doubling from the initial delay, capped, with
/// +-25% jitter so that many failed actions do not retry in lockstep.
pub fn backoff_ms(initial_ms: u64, max_ms: u64, attempt: i64) -> i64 {
    let exp = initial_ms
        .saturating_mul(1u64 << (attempt.clamp(1, 30) - 1) as u32)
        .min(max_ms);
    let jitter = rand::rng().random_range(0.75..1.25);
    (exp as f64 * jitter) as i64
}

async fn attempt(engine: &Engine, row: &OutboxRow) -> Result<Sent, SendError> {
    let timeout = std::time::Duration::from_secs(engine.settings.outbox.send_timeout_secs);
    let fut = async {
        match row.kind.as_str() {
            "webhook" => events::deliver_webhook(engine, &row.payload, &row.idempotency_key)
                .await
                .map(|_| Sent::default()),
            "ticket" => crate::tickets::open(engine, &row.payload, &row.idempotency_key)
                .await
                .map(|url| Sent {
                    external_id: Some(url),
                }),
            _ => {
                let channel = engine.channels.get(&row.channel).ok_or_else(|| {
                    SendError::Permanent(format!("channel {} is not configured", row.channel))
                })?;
                let action: Outbound = serde_json::from_value(row.payload.clone())
                    .map_err(|e| SendError::Permanent(format!("unreadable action: {e}")))?;
                channel.send(&action, &row.idempotency_key).await
            }
        }
    };
    tokio::time::timeout(timeout, fut)
        .await
        .unwrap_or_else(|_| {
            Err(SendError::Retryable(format!(
                "no answer within {timeout:?}"
            )))
        })
}

async fn on_sent(engine: &Engine, row: &OutboxRow, sent: Sent) -> Result<(), StoreError> {
    if engine.channels.health.get(&row.channel).healthy == Some(false) {
        engine.channel_health(&row.channel, true, None, None).await;
    }
    let now = engine.clock.now_ms();
    let attempts = row.attempts + 1;
    let mut tx = engine.store.begin().await?;
    outbox::mark_sent(&mut tx, row.id, attempts, sent.external_id.as_deref(), now).await?;
    if let Some(conv_id) = row.conversation_id {
        match row.kind.as_str() {
            "reply" => {
                let action: Option<Outbound> = serde_json::from_value(row.payload.clone()).ok();
                if let Some(Outbound {
                    kind:
                        OutboundKind::Reply {
                            visibility, text, ..
                        },
                    ..
                }) = action
                {
                    // Agents' replies carry who wrote them; the bot's do not.
                    let author = row.payload["author"].as_str().unwrap_or("bot");
                    if author != "bot" {
                        crate::store::routing::mark_first_reply(&mut tx, conv_id, now).await?;
                    }
                    let message_id = convs::add_message(
                        &mut tx,
                        &NewMessage {
                            conversation_id: conv_id,
                            inbox_id: None,
                            outbox_id: Some(row.id),
                            direction: "out",
                            visibility: visibility.as_str(),
                            author,
                            text: &text,
                            platform_message_id: sent.external_id.as_deref(),
                            analysis: None,
                        },
                        now,
                    )
                    .await?;
                    events::record(
                        &mut tx,
                        kind::REPLY_SENT,
                        Some(conv_id),
                        json!({
                            "message_id": message_id, "outbox_id": row.id, "visibility": visibility,
                            "text": text, "attempts": attempts, "external_id": sent.external_id,
                            "author": author,
                        }),
                        now,
                    )
                    .await?;
                }
            }
            "ticket" => {
                let url = sent.external_id.clone().unwrap_or_default();
                convs::set_ticket_url(&mut tx, conv_id, &url).await?;
                events::record(
                    &mut tx,
                    kind::TICKET_OPENED,
                    Some(conv_id),
                    json!({"url": url, "outbox_id": row.id}),
                    now,
                )
                .await?;
                enqueue_ticket_reply(&mut tx, engine, row, conv_id, &url, now).await?;
            }
            other => {
                events::record(&mut tx, kind::ACTION_SENT, Some(conv_id), json!({
                    "kind": other, "outbox_id": row.id, "attempts": attempts, "external_id": sent.external_id,
                }), now).await?;
            }
        }
    }
    tx.commit().await?;
    engine.metrics.outbox_sent(&row.channel);
    if let Some(conv_id) = row.conversation_id {
        engine.publish(conv_id, "outbox");
    }
    engine.wake.events.notify_one();
    Ok(())
}

/// The customer's answer to a ticket, with its URL, goes out once the ticket exists.
async fn enqueue_ticket_reply(
    tx: &mut crate::store::Tx,
    engine: &Engine,
    row: &OutboxRow,
    conv_id: i64,
    url: &str,
    now: i64,
) -> Result<(), StoreError> {
    let p = &row.payload;
    let mut values = std::collections::BTreeMap::new();
    if let Some(fields) = p["fields"].as_object() {
        for (k, v) in fields {
            values.insert(k.as_str(), v.as_str().unwrap_or_default().to_string());
        }
    }
    if let Some(first) = values
        .get("name")
        .and_then(|n| n.split_whitespace().next())
        .map(String::from)
    {
        values.insert("first_name", first);
    }
    values.insert("ticket_url", url.to_string());
    let text = template::render(
        p["reply_template"].as_str().unwrap_or("{{ticket_url}}"),
        &values,
    );
    let visibility: Visibility =
        serde_json::from_value(p["reply_visibility"].clone()).unwrap_or(Visibility::Private);
    let action = Outbound {
        kind: OutboundKind::Reply {
            visibility,
            text,
            quick_replies: Vec::new(),
        },
        thread_id: p["thread_id"].as_str().unwrap_or_default().to_string(),
        target_message_id: p["target_message_id"].as_str().map(String::from),
        recipient: p["recipient"].as_str().unwrap_or_default().to_string(),
    };
    let key = format!("{}:reply", row.idempotency_key);
    let payload = serde_json::to_string(&action).expect("Outbound serialises; this is a bug");
    outbox::enqueue(
        tx,
        &outbox::NewAction {
            idempotency_key: &key,
            conversation_id: Some(conv_id),
            channel: p["channel"].as_str().unwrap_or_default(),
            kind: "reply",
            payload: &payload,
            deadline_ms: now + engine.settings.outbox.retry_for_secs as i64 * 1000,
        },
        now,
    )
    .await?;
    engine.wake.outbox.notify_one();
    Ok(())
}

async fn on_failed(engine: &Engine, row: &OutboxRow, err: SendError) -> Result<(), StoreError> {
    let s = &engine.settings.outbox;
    let now = engine.clock.now_ms();
    let attempts = row.attempts + 1;
    let next = match &err {
        SendError::Permanent(_) => None,
        SendError::Unauthorized(reason) => {
            engine
                .channel_health(
                    &row.channel,
                    false,
                    Some(format!("credentials refused: {reason}")),
                    None,
                )
                .await;
            None
        }
        SendError::RateLimited { retry_after_ms, .. } => {
            engine.pause_channel(&row.channel, now + retry_after_ms);
            Some(now + retry_after_ms)
        }
        SendError::Retryable(_) => {
            Some(now + backoff_ms(s.initial_backoff_ms, s.max_backoff_secs * 1000, attempts))
        }
    };
    let error = err.to_string();
    match next {
        Some(at) if at <= row.deadline_at => {
            tracing::warn!(attempts, error = %error, retry_in_ms = at - now, "send failed; will retry");
            outbox::reschedule(&engine.store, row.id, attempts, at, &error).await?;
            engine.metrics.outbox_retry(&row.channel);
            Ok(())
        }
        _ => dead_letter(engine, row, attempts, &error, now).await,
    }
}

async fn dead_letter(
    engine: &Engine,
    row: &OutboxRow,
    attempts: i64,
    error: &str,
    now: i64,
) -> Result<(), StoreError> {
    tracing::error!(attempts, error, "action dead-lettered");
    engine.metrics.outbox_dead(&row.channel);
    let mut tx = engine.store.begin().await?;
    outbox::mark_dead(&mut tx, row.id, attempts, error).await?;
    if let Some(conv_id) = row.conversation_id {
        let reason = format!("{} failed after {attempts} attempt(s): {error}", row.kind);
        let detail =
            json!({"kind": "escalate", "outbox_id": row.id, "error": error, "attempts": attempts});
        convs::add_decision(
            &mut tx,
            conv_id,
            None,
            "escalate",
            &reason,
            &detail.to_string(),
            now,
        )
        .await?;
        events::record(&mut tx, kind::REPLY_FAILED, Some(conv_id), json!({
            "outbox_id": row.id, "kind": row.kind, "attempts": attempts, "error": error, "action": row.payload,
        }), now).await?;
        let conv = convs::get_tx(&mut tx, conv_id).await?;
        let skill = conv
            .skill
            .clone()
            .unwrap_or_else(|| engine.settings.policy.fallback_skill.clone());
        escalate(
            &mut tx,
            conv_id,
            &Escalation {
                skill: &skill,
                priority: Priority::High as i64,
                not_before: None,
                reason: &reason,
                cause: EscalationCause::SendFailed,
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    if let Some(conv_id) = row.conversation_id {
        engine.publish(conv_id, "outbox");
    }
    engine.wake.events.notify_one();
    engine.wake.routing.notify_one();
    Ok(())
}
