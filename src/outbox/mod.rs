//! The outbox worker: claims due actions, sends each through its channel (or the ticket
//! tracker, or a webhook subscriber), and records the outcome. Failures retry with exponential
//! backoff and jitter until the action's deadline; then it is dead-lettered and escalated.
//! What an action is lives in `action`; what happens after a send, in `sent`.

pub mod action;
pub mod fanout;
mod sent;
mod webhook;

use rand::Rng;
use serde_json::json;

use crate::channels::{SendError, Sent};
use crate::engine::Engine;
use crate::events::{self, kind};
use crate::pipeline::{escalate, Escalation};
use crate::policy::{EscalationCause, Priority};
use crate::store::conversations as convs;
use crate::store::outbox::{self, OutboxRow};
use crate::store::StoreError;
use crate::store::Tx;

pub use action::OutboxAction;

/// A new action: what to do, under which idempotency key, until when.
pub struct NewAction<'a> {
    pub idempotency_key: &'a str,
    pub conversation_id: Option<i64>,
    pub action: &'a OutboxAction,
    pub deadline_ms: i64,
}

/// Queue an action in the caller's transaction (it is sent if and only if the change commits);
/// a second action with the same key is ignored. Returns its id when new. The one way onto the
/// outbox: the row's `kind`, `channel` and versioned payload all come from the typed action.
pub async fn enqueue(
    tx: &mut Tx,
    a: &NewAction<'_>,
    now_ms: i64,
) -> Result<Option<i64>, StoreError> {
    let (channel, payload) = (a.action.channel(), a.action.to_payload());
    outbox::insert(
        tx,
        &outbox::NewRow {
            idempotency_key: a.idempotency_key,
            conversation_id: a.conversation_id,
            channel: &channel,
            kind: a.action.kind(),
            payload: &payload,
            deadline_ms: a.deadline_ms,
        },
        now_ms,
    )
    .await
}

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
        match OutboxAction::from_payload(&row.payload) {
            Ok(action) => match attempt(engine, &row, &action).await {
                Ok(sent) => sent::on_sent(engine, &row, &action, sent).await?,
                Err(e) => on_failed(engine, &row, e).await?,
            },
            // Retrying cannot make it readable: dead at once, shown like a failed send.
            Err(e) => {
                let now = engine.clock.now_ms();
                dead_letter(engine, &row, row.attempts + 1, &e.to_string(), now).await?
            }
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

/// One try at the action, bounded by the send timeout. The only dispatch on the action type.
async fn attempt(
    engine: &Engine,
    row: &OutboxRow,
    action: &OutboxAction,
) -> Result<Sent, SendError> {
    let timeout = std::time::Duration::from_secs(engine.settings.outbox.send_timeout_secs);
    let key = &row.idempotency_key;
    let fut = async {
        match action {
            OutboxAction::Send(s) => {
                let channel = engine.channels.get(&s.channel).ok_or_else(|| {
                    SendError::Permanent(format!("channel {} is not configured", s.channel))
                })?;
                channel.send(&s.outbound, key).await
            }
            OutboxAction::Ticket(t) => crate::tickets::open(engine, t, key).await.map(|url| Sent {
                external_id: Some(url),
            }),
            OutboxAction::Webhook(w) => webhook::deliver(engine, w, key)
                .await
                .map(|_| Sent::default()),
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
                priority: Priority::High,
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
